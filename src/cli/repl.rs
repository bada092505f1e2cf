//! `anneal repl [FILE]`: step through an experiment and look inside. At a terminal it edits
//! lines with rustyline (completion, history hints, highlighting, multi-line input while a
//! bracket is open, history in the XDG data folder); with stdin not a terminal it reads
//! commands line by line and echoes each one after a prompt, so a transcript reads like a
//! session. In both, Ctrl-C (SIGINT) during a long `:step` or `:run` stops it and the session
//! goes on.

use std::borrow::Cow;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};

use crate::cli::{EXIT_ERRORS, EXIT_OK};
use anneal_diagnostics::RenderOptions;
use anneal_repl::editing::{self, InputState, Vocabulary};
use anneal_repl::session::Flow;
use anneal_repl::{Session, parse};

#[derive(Debug, clap::Args)]
pub struct ReplArgs {
    /// The script to load (the session starts empty without one).
    pub file: Option<PathBuf>,
}

const PROMPT: &str = "anneal> ";

pub fn run(args: &ReplArgs) -> i32 {
    let mut session = Session::new();
    let terminal = std::io::stdin().is_terminal();
    if terminal {
        session.set_render_options(RenderOptions {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        });
    }
    // While a command runs, SIGINT sets the session's flag instead of ending the process; at
    // the prompt rustyline reads Ctrl-C as a key (the terminal is in raw mode) and clears the
    // line.
    if let Err(error) =
        signal_hook::flag::register(signal_hook::consts::SIGINT, session.interrupt_flag())
    {
        eprintln!("warning: Ctrl-C will end the session, not only a run: {error}");
    }
    if let Some(file) = &args.file {
        match session.load(file) {
            Ok(text) => print!("{text}"),
            Err(text) => {
                print!("{text}");
                return EXIT_ERRORS;
            }
        }
    }
    if terminal {
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

/// rustyline's view of the session: what to complete, and whether colours are wanted.
struct ReplHelper {
    vocabulary: Vocabulary,
    colour: bool,
    hinter: HistoryHinter,
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _context: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, found) = editing::complete(line, pos, &self.vocabulary);
        Ok((
            start,
            found
                .into_iter()
                .map(|candidate| Pair {
                    display: candidate.clone(),
                    replacement: candidate,
                })
                .collect(),
        ))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, context: &Context<'_>) -> Option<String> {
        self.hinter.hint(line, pos, context)
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.colour {
            Cow::Owned(editing::highlight(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colour {
            // Dim, so a hint reads as a suggestion.
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.colour && kind != CmdKind::MoveCursor
    }
}

impl Validator for ReplHelper {
    fn validate(&self, context: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(match editing::input_state(context.input()) {
            InputState::Complete => ValidationResult::Valid(None),
            InputState::Incomplete => ValidationResult::Incomplete,
            InputState::Invalid(message) => ValidationResult::Invalid(Some(format!("  {message}"))),
        })
    }
}

impl Helper for ReplHelper {}

fn vocabulary(session: &Session) -> Vocabulary {
    Vocabulary {
        names: session.names_in_scope(),
        quantities: session.quantity_names(),
    }
}

fn interactive(session: &mut Session) -> i32 {
    let mut editor: Editor<ReplHelper, DefaultHistory> = match Editor::new() {
        Ok(editor) => editor,
        Err(error) => {
            eprintln!("error: cannot start the line editor: {error}");
            return EXIT_ERRORS;
        }
    };
    editor.set_helper(Some(ReplHelper {
        vocabulary: vocabulary(session),
        colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        hinter: HistoryHinter::new(),
    }));
    let history =
        editing::history_path(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"));
    if let Some(path) = &history
        && path.exists()
        && let Err(error) = editor.load_history(path)
    {
        eprintln!(
            "warning: cannot read the history {}: {error}",
            path.display()
        );
    }
    let save_history = |editor: &mut Editor<ReplHelper, DefaultHistory>| {
        let Some(path) = &history else { return };
        let saved = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .map_err(|error| error.to_string())
            .and_then(|()| editor.save_history(path).map_err(|error| error.to_string()));
        if let Err(error) = saved {
            eprintln!(
                "warning: cannot write the history {}: {error}",
                path.display()
            );
        }
    };
    loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let flow = handle(session, &line);
                if let Some(helper) = editor.helper_mut() {
                    helper.vocabulary = vocabulary(session);
                }
                if flow == Flow::Quit {
                    save_history(&mut editor);
                    return EXIT_OK;
                }
            }
            // Ctrl-C abandons the line being typed; Ctrl-D leaves.
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => {
                save_history(&mut editor);
                return EXIT_OK;
            }
            Err(error) => {
                save_history(&mut editor);
                eprintln!("error: {error}");
                return EXIT_ERRORS;
            }
        }
    }
}
