//! `anneal repl [FILE]`: step through an experiment and look inside. At a terminal it edits
//! lines with rustyline; with stdin not a terminal it reads commands line by line and echoes
//! each one after a prompt, so a transcript reads like a session.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use crate::cli::{EXIT_ERRORS, EXIT_OK};
use crate::repl::session::Flow;
use crate::repl::{Session, parse};

#[derive(Debug, clap::Args)]
pub struct ReplArgs {
    /// The script to load (the session starts empty without one).
    pub file: Option<PathBuf>,
}

const PROMPT: &str = "anneal> ";

pub fn run(args: &ReplArgs) -> i32 {
    let mut session = Session::new();
    if let Some(file) = &args.file {
        match session.load(file) {
            Ok(text) => print!("{text}"),
            Err(text) => {
                print!("{text}");
                return EXIT_ERRORS;
            }
        }
    }
    if std::io::stdin().is_terminal() {
        interactive(&mut session)
    } else {
        piped(&mut session)
    }
}

/// Runs one line; returns whether the session goes on.
fn handle(session: &mut Session, line: &str) -> Flow {
    let result = parse(line).and_then(|command| session.execute(&command));
    match result {
        Ok((text, flow)) => {
            print!("{text}");
            flow
        }
        Err(text) => {
            // One-line messages get the `error:` prefix; rendered diagnostics carry their own.
            let text = if text.trim_end().contains('\n') || text.starts_with("error") {
                text
            } else {
                format!("error: {text}")
            };
            println!("{}", text.trim_end());
            Flow::Continue
        }
    }
}

fn piped(session: &mut Session) -> i32 {
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else {
            eprintln!("error: stdin is not UTF-8 text");
            return EXIT_ERRORS;
        };
        println!("{PROMPT}{line}");
        if handle(session, &line) == Flow::Quit {
            break;
        }
        let _ = std::io::stdout().flush();
    }
    EXIT_OK
}

fn interactive(session: &mut Session) -> i32 {
    let mut editor = match rustyline::DefaultEditor::new() {
        Ok(editor) => editor,
        Err(error) => {
            eprintln!("error: cannot start the line editor: {error}");
            return EXIT_ERRORS;
        }
    };
    loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                if handle(session, &line) == Flow::Quit {
                    return EXIT_OK;
                }
            }
            // Ctrl-C abandons the line being typed; Ctrl-D leaves.
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => return EXIT_OK,
            Err(error) => {
                eprintln!("error: {error}");
                return EXIT_ERRORS;
            }
        }
    }
}
