//! `anneal harmonics FILE` end to end through the binary: the table and the files it writes
//! for a ring, whose combinatorial spectrum is known in closed form, and a clear failure on a
//! script with errors.

use std::path::Path;
use std::process::Command;

const RING_SCRIPT: &str = r#"experiment "ring" {
  seed 1
  dt 50 ms
  duration 1 min
}
connectome c = ring(nodes: 12)
harmonics of c {
  laplacian combinatorial
  modes 6
}
"#;

fn anneal(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_anneal"));
    command.env("NO_COLOR", "1").current_dir(dir);
    command
}

#[test]
fn a_ring_gives_its_analytic_spectrum_as_table_csv_and_npy() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("ring.anneal"), RING_SCRIPT).expect("script written");
    let output = anneal(dir.path())
        .args(["harmonics", "ring.anneal", "--no-cache", "--out", "modes"])
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let table = String::from_utf8(output.stdout).expect("utf-8 table");
    assert!(table.lines().next().expect("header").contains("λ"));
    assert_eq!(table.lines().count(), 7, "header and six modes:\n{table}");

    // The ring's combinatorial Laplacian has eigenvalues 2 − 2cos(2πk/n), each k ≠ 0, n/2 twice.
    let n = 12.0;
    let mut expected: Vec<f64> = (0..12)
        .map(|k| 2.0 - 2.0 * (2.0 * std::f64::consts::PI * f64::from(k) / n).cos())
        .collect();
    expected.sort_by(f64::total_cmp);
    let csv = std::fs::read_to_string(dir.path().join("modes/spectrum.csv")).expect("csv");
    let eigenvalues: Vec<f64> = csv
        .lines()
        .skip(1)
        .map(|line| {
            line.split(',')
                .nth(3)
                .expect("eigenvalue column")
                .parse()
                .expect("number")
        })
        .collect();
    assert_eq!(eigenvalues.len(), 6);
    for (got, want) in eigenvalues.iter().zip(&expected) {
        assert!((got - want).abs() <= 1e-10, "λ = {got}, expected {want}");
    }

    let npy = std::fs::read(dir.path().join("modes/vectors.npy")).expect("npy");
    assert_eq!(&npy[..6], b"\x93NUMPY");
    let header = String::from_utf8_lossy(&npy[10..128]);
    assert!(header.contains("'shape': (12, 6)"), "{header}");
    assert_eq!(
        npy.len() % 64,
        (128 + 12 * 6 * 8) % 64,
        "header padded to 64 bytes"
    );
    assert!(dir.path().join("modes/spectrum.png").is_file());
    // A ring has no surface mesh, so no painted modes.
    assert!(!dir.path().join("modes/modes").exists());
}

#[test]
fn a_script_with_errors_is_reported_and_exits_1() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let broken = RING_SCRIPT.replace("ring(nodes: 12)", "rign(nodes: 12)");
    std::fs::write(dir.path().join("broken.anneal"), broken).expect("script written");
    let output = anneal(dir.path())
        .args(["harmonics", "broken.anneal", "--no-cache"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("rign"), "{stderr}");
    assert!(!dir.path().join("broken.harmonics").exists());
}
