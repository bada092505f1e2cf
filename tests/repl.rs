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
