//! End-to-end transcripts of `anneal repl` with stdin not a terminal: every command, and the
//! errors of bad ones, on a small ring connectome so the session runs in a moment.

use std::io::Write;
use std::process::{Command, Stdio};

fn transcript(script: Option<&str>, commands: &str) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut command = Command::new(env!("CARGO_BIN_EXE_anneal"));
    command.current_dir(root).arg("repl");
    if let Some(script) = script {
        command.arg(script);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start anneal");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(commands.as_bytes())
        .expect("write commands");
    let output = child.wait_with_output().expect("anneal repl");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn every_command_on_a_ring() {
    let commands = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/repl/session.txt"
    ))
    .expect("session.txt");
    let text = transcript(Some("tests/repl/ring.anneal"), &commands);
    // `:quit` ends the session: the `:plan` after it is never read.
    assert_eq!(text.matches("anneal> :plan").count(), 1, "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn an_empty_session_asks_for_a_script() {
    let text = transcript(None, ":step\n:show valence\n");
    insta::assert_snapshot!(text);
}

/// Every file under `folder`, by path relative to it, with its bytes.
fn files(folder: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut found = std::collections::BTreeMap::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("list folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(folder).unwrap().display().to_string();
                found.insert(relative, std::fs::read(&path).expect("read file"));
            }
        }
    }
    found
}

#[test]
fn save_after_the_whole_experiment_writes_what_anneal_run_writes() {
    let temp = tempfile::tempdir().expect("temporary folder");
    let by_run = temp.path().join("by_run");
    let by_repl = temp.path().join("by_repl");
    let run = Command::new(env!("CARGO_BIN_EXE_anneal"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "tests/repl/pulse.anneal", "--out"])
        .arg(&by_run)
        .output()
        .expect("anneal run");
    assert!(run.status.success(), "{run:?}");
    // The whole experiment in two steps, with a look at the sources between: stepping in
    // pieces and inspecting must not change a bit of the run.
    let text = transcript(
        Some("tests/repl/pulse.anneal"),
        &format!(
            ":step 7 s\n:sources\n:step 20 s\n:save {}\n",
            by_repl.display()
        ),
    );
    assert!(text.contains("saved step 2000 of 2000"), "{text}");
    let (expected, saved) = (files(&by_run), files(&by_repl));
    assert_eq!(
        expected.keys().collect::<Vec<_>>(),
        saved.keys().collect::<Vec<_>>()
    );
    assert!(expected.contains_key("summary.yaml") && expected.contains_key("traces.csv"));
    for (name, bytes) in &expected {
        assert!(&saved[name] == bytes, "{name} differs");
    }
}

#[test]
fn save_in_the_middle_writes_the_records_and_events_so_far() {
    let temp = tempfile::tempdir().expect("temporary folder");
    let folder = temp.path().join("partial");
    let text = transcript(
        Some("tests/repl/pulse.anneal"),
        &format!(":step 4 s\n:save {}\n:save tests/repl\n", folder.display()),
    );
    assert!(
        text.contains("saved step 400 of 2000 (t = 4 s, 41 records)"),
        "{text}"
    );
    // An existing folder that is not a results folder is never replaced.
    assert!(text.contains("error: cannot write the results"), "{text}");
    let traces = std::fs::read_to_string(folder.join("traces.csv")).expect("traces.csv");
    // A header and one row every 100 ms from 0 s to 4 s.
    assert_eq!(traces.lines().count(), 1 + 41);
    let summary = std::fs::read_to_string(folder.join("summary.yaml")).expect("summary.yaml");
    // The tone starts at 5 s: not yet.
    assert!(!summary.contains("start hum"), "{summary}");
}
