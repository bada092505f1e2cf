//! `anneal test` end to end through the binary: a missing snapshot fails under CI=true and is
//! not written; `--accept` writes it; an unchanged engine then passes; a changed result shows up
//! as a difference and fails. Sweep folders are the same bytes for any thread count and when
//! merged from shards; shards that do not belong together are refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
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

/// Two cooling rates (labels), two durations (a list: values differ from labels) and three
/// seeds: twelve items, so three shards of four.
const PRODUCT: &str = r#"experiment "product" {
  seed 1
  dt 50 ms
  duration 1 min
}
connectome c = ring(nodes: 16)
harmonics of c { modes 6 }
landscape on nodes { scale 0.5 }
record every 1 s { temperature, frustration }
scenario "rates" {
  vary cooling in { slow: exponential(from: 1.5, to: 1.0, tau: 30 s), fast: exponential(from: 1.5, to: 1.0, tau: 5 s) }
  vary duration in [30 s, 1 min]
  vary seed in 1..3
  expect mean(temperature, runs: { cooling: "slow" }) > mean(temperature, runs: { cooling: "fast" })
}
"#;

fn anneal(dir: &Path, args: &[&str], threads: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anneal"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("RAYON_NUM_THREADS", threads)
        .env_remove("CI")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every file under `dir` (hidden ones included), by relative path.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("folder listed") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("file read");
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    files
}

#[test]
fn sweeps_are_the_same_bytes_on_any_thread_count_and_merged_from_shards() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::create_dir(dir.path().join("lab")).unwrap();
    std::fs::write(dir.path().join("lab/product.anneal"), PRODUCT).unwrap();
    assert_success(&anneal(dir.path(), &["test", "lab", "--accept"], "2"));

    assert_success(&anneal(dir.path(), &["test", "lab", "--out", "one"], "1"));
    assert_success(&anneal(dir.path(), &["test", "lab", "--out", "two"], "2"));
    for shard in 1..=3 {
        let spec = format!("{shard}/3");
        let out = format!("shard{shard}");
        assert_success(&anneal(
            dir.path(),
            &["test", "lab", "--shard", &spec, "--out", &out],
            "2",
        ));
    }
    // Shards given in any order.
    let merged = anneal(
        dir.path(),
        &["merge", "shard3", "shard1", "shard2", "--out", "merged"],
        "2",
    );
    assert_success(&merged);
    assert!(String::from_utf8_lossy(&merged.stdout).contains("pass expect"));

    let one = tree(&dir.path().join("one"));
    let sweep = Path::new("product.rates");
    for file in [
        "sweep.yaml",
        "table.csv",
        "table.yaml",
        "plots/cooling.svg",
        "plots/cooling.png",
        "plots/duration.png",
        "plots/seed.svg",
    ] {
        assert!(
            one.contains_key(&sweep.join(file)),
            "{file} is written: {:?}",
            one.keys()
        );
    }
    let table = String::from_utf8_lossy(&one[&sweep.join("table.csv")]).into_owned();
    assert_eq!(
        table.lines().count(),
        13,
        "a header and twelve items:\n{table}"
    );
    assert!(table.starts_with("index,cooling,duration,duration [s],seed,frustration.final,"));
    assert_eq!(one, tree(&dir.path().join("two")), "1 and 2 threads differ");
    assert_eq!(
        one,
        tree(&dir.path().join("merged")),
        "merged shards differ"
    );
}

#[test]
fn shards_that_do_not_belong_together_are_refused() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(
        dir.path().join("product.anneal"),
        PRODUCT.replace("1..3", "1..2"),
    )
    .unwrap();
    assert_success(&anneal(dir.path(), &["test", ".", "--accept"], "2"));
    for shard in 1..=2 {
        let (spec, out) = (format!("{shard}/2"), format!("shard{shard}"));
        assert_success(&anneal(
            dir.path(),
            &["test", ".", "--shard", &spec, "--out", &out],
            "2",
        ));
    }
    let refused = |args: &[&str], needle: &str| {
        let output = anneal(dir.path(), args, "2");
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "expected `{needle}` in: {stderr}");
        assert!(
            !dir.path().join("merged").exists(),
            "a refused merge writes nothing"
        );
    };
    refused(&["merge", "shard1", "--out", "merged"], "missing shard 2/2");
    refused(
        &["merge", "shard1", "shard1", "shard2", "--out", "merged"],
        "given twice",
    );
    assert_eq!(
        anneal(
            dir.path(),
            &["test", ".", "--shard", "3/2", "--out", "x"],
            "2"
        )
        .status
        .code(),
        Some(2)
    );

    // A shard of a changed script does not merge with one of the old script.
    std::fs::write(
        dir.path().join("product.anneal"),
        PRODUCT
            .replace("1..3", "1..2")
            .replace("tau: 5 s", "tau: 6 s"),
    )
    .unwrap();
    assert_success(&anneal(dir.path(), &["test", ".", "--accept"], "2"));
    assert_success(&anneal(
        dir.path(),
        &["test", ".", "--shard", "2/2", "--out", "new2"],
        "2",
    ));
    refused(
        &["merge", "shard1", "new2", "--out", "merged"],
        "do not belong to the same sweep",
    );
    // Old shards whose script has changed since are refused too.
    refused(
        &["merge", "shard1", "shard2", "--out", "merged"],
        "changed since the shards ran",
    );
}

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

/// A script with expectations and no scenario is run as `anneal run` would run it.
const SINGLE: &str = r#"experiment "single" {
  seed 3
  dt 50 ms
  duration 1 min
}
connectome c = ring(nodes: 16)
harmonics of c { modes 6 }
landscape on nodes { scale 0.5 }
cooling exponential(from: 1.5, to: 1.0, tau: 10 s)
record every 1 s { temperature, frustration }
expect mean(temperature, after: 40 s) < mean(temperature, before: 10 s)
"#;

#[test]
fn scripts_with_only_expectations_are_run_judged_and_snapshotted() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("single.anneal"), SINGLE).expect("script written");
    let snapshot = dir.path().join("snapshots/single.yaml");

    let missing = anneal_test(dir.path(), true, &[]);
    assert_eq!(missing.status.code(), Some(1));
    let report = String::from_utf8_lossy(&missing.stdout).into_owned();
    assert!(report.contains("pass expect mean(temperature"), "{report}");
    assert!(!snapshot.exists());

    assert_success(&anneal_test(dir.path(), false, &["--accept"]));
    let written = std::fs::read_to_string(&snapshot).expect("snapshot written");
    assert!(
        written.starts_with("run:\n") && written.contains("frustration.final"),
        "{written}"
    );
    assert_success(&anneal_test(dir.path(), true, &[]));

    // The bath now ends warmer than it starts: the expectation fails with both sides shown.
    let failing = SINGLE.replace("from: 1.5, to: 1.0", "from: 1.0, to: 1.5");
    std::fs::write(dir.path().join("single.anneal"), failing).expect("script rewritten");
    let failed = anneal_test(dir.path(), true, &[]);
    assert_eq!(failed.status.code(), Some(1));
    let report = String::from_utf8_lossy(&failed.stdout).into_owned();
    assert!(report.contains("FAIL expect mean(temperature"), "{report}");
    assert!(report.contains("temperature.mean: old"), "{report}");
}

#[test]
fn a_script_that_does_not_check_fails_the_test_with_its_diagnostics() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let broken = SINGLE.replace("ring(nodes: 16)", "ring(nodez: 16)");
    std::fs::write(dir.path().join("broken.anneal"), broken).expect("script written");
    let output = anneal_test(dir.path(), true, &[]);
    assert_eq!(output.status.code(), Some(1));
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        report.contains("broken.anneal: the script does not check"),
        "{report}"
    );
    assert!(report.contains("tests: 0 passed, 1 failed"), "{report}");
    let diagnostics = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(diagnostics.contains("nodez"), "{diagnostics}");

    // A filter that leaves the script out leaves its errors out too.
    let filtered = anneal_test(dir.path(), true, &["--filter", "elsewhere"]);
    assert!(filtered.status.success());
}
