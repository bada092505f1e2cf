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

/// Every `tests/repl/*.txt` is a transcript: its first line, `// anneal repl SCRIPT`, names
/// the script (a comment for the REPL), the rest are typed lines. Its output is the snapshot
/// `repl__STEM.snap`.
#[test]
fn transcripts() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/repl");
    let mut paths: Vec<_> = std::fs::read_dir(folder)
        .expect("tests/repl")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 3, "{paths:?}");
    for path in paths {
        let commands = std::fs::read_to_string(&path).expect("transcript");
        let script = commands
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("// anneal repl"))
            .map(str::trim)
            .filter(|script| !script.is_empty());
        let text = transcript(script, &commands);
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if stem == "session" {
            // `:quit` ends the session: the `:plan` after it is never read.
            assert_eq!(text.matches("anneal> :plan").count(), 1, "{text}");
        }
        insta::assert_snapshot!(stem, text);
    }
}

/// Ctrl-C (SIGINT) during a long `:run` stops it; the session goes on with the next command.
#[test]
fn an_interrupt_stops_a_long_run_and_keeps_the_session() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_anneal"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["repl", "tests/repl/pulse.anneal"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start anneal");
    let mut stdin = child.stdin.take().expect("stdin");
    // 36 million steps: minutes of work, so the signal surely arrives during the run.
    stdin
        .write_all(b":set duration = 100 h\n:run until 99 h\n")
        .expect("write");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut seen = String::new();
    while !seen.contains("anneal> :run until 99 h") {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).expect("read") > 0, "{seen}");
        seen.push_str(&line);
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    stdin.write_all(b":show time\n:quit\n").expect("write");
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("read");
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    assert!(
        rest.contains("(interrupted by Ctrl-C before t = 356400 s)"),
        "{rest}"
    );
    assert!(rest.contains("anneal> :show time\ntime = "), "{rest}");
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

/// Every ```console block of docs/repl.md is a real transcript: its first line is
/// `$ anneal repl SCRIPT`, its typed lines follow `anneal> `, and the output of `anneal repl`
/// fed those lines is exactly the block.
#[test]
fn the_guide_shows_real_transcripts() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/repl.md"))
        .expect("docs/repl.md");
    let mut count = 0;
    for block in doc.split("```console\n").skip(1) {
        let block = block.split("```").next().expect("closed block");
        let (first, shown) = block.split_once('\n').expect("a command line");
        let script = first
            .strip_prefix("$ anneal repl")
            .map(str::trim)
            .expect("blocks start with `$ anneal repl`");
        let commands: String = shown
            .lines()
            .filter_map(|line| line.strip_prefix("anneal> "))
            .map(|line| format!("{line}\n"))
            .collect();
        let text = transcript((!script.is_empty()).then_some(script), &commands);
        assert_eq!(text, shown, "block {count} of docs/repl.md");
        count += 1;
    }
    assert!(count >= 4, "only {count} transcripts in docs/repl.md");
}

/// `:set` recompiles like an edit of the script: setting `tau` at step 0 and running gives the
/// traces `anneal run` gives for the script edited so; setting a `let` to its own value in the
/// middle of a run continues from the restored state without changing a bit.
#[test]
fn set_matches_an_edited_script_and_a_restored_state_continues_exactly() {
    let temp = tempfile::tempdir().expect("temporary folder");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let original = std::fs::read_to_string(root.join("tests/repl/pulse.anneal")).expect("script");
    assert!(original.contains("let tau = 4 s"));
    let edited = temp.path().join("edited.anneal");
    std::fs::write(&edited, original.replace("let tau = 4 s", "let tau = 1 s")).expect("write");
    let run = |script: &std::path::Path, out: &std::path::Path| {
        let status = Command::new(env!("CARGO_BIN_EXE_anneal"))
            .current_dir(root)
            .arg("run")
            .arg(script)
            .arg("--out")
            .arg(out)
            .output()
            .expect("anneal run");
        assert!(status.status.success(), "{status:?}");
    };
    run(&edited, &temp.path().join("edited_run"));
    run(
        std::path::Path::new("tests/repl/pulse.anneal"),
        &temp.path().join("original_run"),
    );
    let text = transcript(
        Some("tests/repl/pulse.anneal"),
        &format!(
            ":set tau = 1 s\n:step 20 s\n:save {}\n:reset\n:set tau = 4 s\n:step 3 s\n:set tau = 2 s * 2\n:step 20 s\n:save {}\n",
            temp.path().join("set_at_start").display(),
            temp.path().join("set_unchanged").display()
        ),
    );
    assert!(
        text.contains("set tau = 1 s; the cooling curve changed; at step 0"),
        "{text}"
    );
    assert!(
        text.contains("set tau = 2 s * 2; the plan is unchanged; continuing from step 300"),
        "{text}"
    );
    for (expected, got) in [
        ("edited_run", "set_at_start"),
        ("original_run", "set_unchanged"),
    ] {
        for file in ["traces.csv", "mode_energy.npy", "plan.yaml"] {
            let read = |folder: &str| std::fs::read(temp.path().join(folder).join(file)).unwrap();
            assert!(
                read(expected) == read(got),
                "{file} of {got} differs from {expected}"
            );
        }
    }
}
