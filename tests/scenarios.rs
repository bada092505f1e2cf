//! `anneal test` end to end through the binary: a missing snapshot fails under CI=true and is
//! not written; `--accept` writes it; an unchanged engine then passes; a changed result shows up
//! as a difference and fails.

use std::path::Path;
use std::process::{Command, Output};

const SWEEP: &str = r#"experiment "tiny sweep" {
  seed 1
  dt 50 ms
  duration 1 min
}
connectome c = ring(nodes: 16)
harmonics of c { modes 6 }
landscape on nodes { scale 0.5 }
record every 1 s { temperature, frustration }
scenario "seeds" {
  vary seed in 1..2
  expect mean(temperature) > 0
}
"#;

fn anneal_test(dir: &Path, ci: bool, extra: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_anneal"));
    command
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .arg("test")
        .arg(dir)
        .args(extra);
    if ci {
        command.env("CI", "true");
    }
    command.output().expect("the binary runs")
}

#[test]
fn snapshots_are_written_only_on_accept_and_differences_fail() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("sweep.anneal"), SWEEP).expect("script written");
    let snapshot = dir.path().join("snapshots/sweep.seeds.yaml");

    let missing = anneal_test(dir.path(), true, &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(!snapshot.exists(), "CI=true must never write a snapshot");

    let accepted = anneal_test(dir.path(), false, &["--accept"]);
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stdout)
    );
    assert!(snapshot.is_file());

    let again = anneal_test(dir.path(), true, &[]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );

    // A different bath makes a different run: the snapshot comparison must catch it.
    let warmer = SWEEP.replace("record every", "cooling constant(1.5)\nrecord every");
    std::fs::write(dir.path().join("sweep.anneal"), warmer).expect("script rewritten");
    let changed = anneal_test(dir.path(), true, &[]);
    assert_eq!(changed.status.code(), Some(1));
    let report = String::from_utf8_lossy(&changed.stdout);
    assert!(report.contains("temperature"), "{report}");
}
