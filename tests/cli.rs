//! The binary: exit codes 0/1/2, `check` clean on every example, `fmt --check`, `explain`, `--help`.

mod common;

use std::process::Command;

fn anneal() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_anneal"));
    command.env("NO_COLOR", "1");
    command
}

#[test]
fn every_example_checks_clean() {
    for path in common::scripts(&common::root().join("examples")) {
        let output = anneal().arg("check").arg(&path).output().expect("runs");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn errors_exit_1_and_usage_errors_exit_2() {
    let wrong = common::root().join("tests/diagnostics/units_add_frequency_time.anneal");
    let output = anneal().arg("check").arg(&wrong).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("E0007") && !stderr.contains('\u{1b}'),
        "{stderr}"
    );
    assert_eq!(
        anneal().arg("check").output().expect("runs").status.code(),
        Some(2)
    );
    assert_eq!(
        anneal()
            .arg("frobnicate")
            .output()
            .expect("runs")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        anneal()
            .args(["explain", "E9999"])
            .output()
            .expect("runs")
            .status
            .code(),
        Some(2)
    );
    let missing = anneal()
        .args(["check", "/no/such/file.anneal"])
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn help_on_every_command_and_explain_prints_an_example() {
    for command in [
        vec!["--help"],
        vec!["check", "--help"],
        vec!["fmt", "--help"],
        vec!["explain", "--help"],
    ] {
        let output = anneal().args(&command).output().expect("runs");
        assert_eq!(output.status.code(), Some(0), "{command:?}");
    }
    let output = anneal().args(["explain", "E0007"]).output().expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("dimension mismatch") && text.contains("Example"),
        "{text}"
    );
}

#[test]
fn fmt_check_reports_changes_and_fmt_fixes_them() {
    let folder = tempfile::tempdir().expect("tempdir");
    let path = folder.path().join("messy.anneal");
    std::fs::write(&path, "let  x=1   # one\n").expect("write");
    assert_eq!(
        anneal()
            .args(["fmt", "--check"])
            .arg(&path)
            .output()
            .expect("runs")
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        anneal()
            .arg("fmt")
            .arg(&path)
            .output()
            .expect("runs")
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "let x = 1  # one\n"
    );
    assert_eq!(
        anneal()
            .args(["fmt", "--check"])
            .arg(&path)
            .output()
            .expect("runs")
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn hostile_inputs_get_errors_not_crashes() {
    let folder = tempfile::tempdir().expect("tempdir");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.anneal", Vec::new()),
        ("nul.anneal", b"let x\0 = 1".to_vec()),
        ("latin1.anneal", b"let x = \"caf\xe9\"".to_vec()),
        (
            "deep.anneal",
            format!("let x = {}1{}", "(".repeat(10_000), ")".repeat(10_000)).into_bytes(),
        ),
        (
            "unclosed.anneal",
            format!("let x = {}", "[".repeat(10_000)).into_bytes(),
        ),
    ];
    for (name, bytes) in cases {
        let path = folder.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let output = anneal().arg("check").arg(&path).output().expect("runs");
        let expected = if name == "empty.anneal" { 0 } else { 1 };
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn a_file_without_an_experiment_is_e0046_for_plan_and_run() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let script = folder.path().join("library.anneal");
    std::fs::write(&script, "let depth = 0.6\n").expect("written");
    for command in ["plan", "run"] {
        let mut invocation = anneal();
        invocation.arg(command).arg(&script);
        if command == "run" {
            invocation.arg("--out").arg(folder.path().join("out"));
        }
        let output = invocation.output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{command}: {stderr}");
        assert!(
            stderr.contains("E0046") && stderr.contains("declares no experiment"),
            "{command}: {stderr}"
        );
    }
}
