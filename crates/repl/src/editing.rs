//! The line editor's logic as plain functions (rustyline calls them from `src/cli/repl.rs`):
//! completion of commands, names, quantities and paths; whether typed input is complete or
//! waits for more lines (open brackets); highlighting; where the history lives.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::command::command_names;

/// What completion offers besides the commands: the names in scope and the quantities.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vocabulary {
    pub names: Vec<String>,
    pub quantities: Vec<String>,
}

/// The completions of the word before `pos` in `line`: the byte offset where the word starts
/// and the candidates that replace it, sorted. Commands complete at the start of a line, paths
/// after `:load` and `:save`, quantities after `:show` and `:run until`, and names (the
/// script's and the prompt's, the builtins, the quantities) elsewhere.
pub fn complete(line: &str, pos: usize, vocabulary: &Vocabulary) -> (usize, Vec<String>) {
    let pos = pos.min(line.len());
    let before = &line[..pos];
    let trimmed = before.trim_start();
    let word_start = |is_part: fn(char) -> bool| {
        before
            .char_indices()
            .rev()
            .find(|(_, c)| !is_part(*c))
            .map_or(0, |(i, c)| i + c.len_utf8())
    };
    if trimmed.starts_with(':') && !trimmed.contains(char::is_whitespace) {
        let start = pos - trimmed.len();
        return (
            start,
            matching(command_names().map(str::to_string), trimmed),
        );
    }
    for command in [":load", ":save"] {
        if let Some(rest) = trimmed.strip_prefix(command)
            && rest.starts_with(char::is_whitespace)
        {
            let partial = rest.trim_start();
            return (pos - partial.len(), complete_path(partial));
        }
    }
    let start = word_start(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    let word = &before[start..];
    let quantities_only = trimmed.starts_with(":show") || trimmed.starts_with(":run");
    let mut candidates: Vec<String> = vocabulary.quantities.clone();
    if trimmed.starts_with(":run") {
        candidates.extend(["until", "event"].map(str::to_string));
        candidates.extend(super::command::EventName::ALL.map(|(name, _)| name.to_string()));
    }
    if !quantities_only {
        candidates.extend(vocabulary.names.iter().cloned());
        candidates.extend(
            anneal_semantics::builtins::BUILTINS
                .iter()
                .map(|b| b.name.to_string()),
        );
    }
    if word.is_empty() {
        return (start, Vec::new());
    }
    (start, matching(candidates.into_iter(), word))
}

/// The candidates starting with `prefix`, sorted, without duplicates.
fn matching(candidates: impl Iterator<Item = String>, prefix: &str) -> Vec<String> {
    let mut found: Vec<String> = candidates.filter(|c| c.starts_with(prefix)).collect();
    found.sort();
    found.dedup();
    found
}

/// Files and folders whose path starts with `partial` (folders end with `/`), sorted.
pub fn complete_path(partial: &str) -> Vec<String> {
    let (folder, prefix) = match partial.rfind('/') {
        Some(slash) => (&partial[..=slash], &partial[slash + 1..]),
        None => ("", partial),
    };
    let listed = if folder.is_empty() {
        Path::new(".")
    } else {
        Path::new(folder)
    };
    let Ok(entries) = std::fs::read_dir(listed) else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            // Hidden files only when asked for with a leading dot.
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let is_dir = entry.file_type().ok()?.is_dir();
            Some(format!("{folder}{name}{}", if is_dir { "/" } else { "" }))
        })
        .collect();
    found.sort();
    found
}

/// Whether typed input can run, or waits for more lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputState {
    Complete,
    /// A bracket is open: the editor asks for another line.
    Incomplete,
    /// A closing bracket that matches nothing: the message says which.
    Invalid(String),
}

/// Brackets `(`, `[`, `{` left open make the input incomplete; those inside strings and `#`
/// comments do not count.
pub fn input_state(input: &str) -> InputState {
    let mut open: Vec<char> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut in_comment = false;
    for c in input.chars() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' | '\n' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '#' => in_comment = true,
            '(' | '[' | '{' => open.push(c),
            ')' | ']' | '}' => {
                let wanted = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                match open.pop() {
                    Some(bracket) if bracket == wanted => {}
                    Some(bracket) => {
                        return InputState::Invalid(format!(
                            "`{c}` closes `{bracket}`; close it with `{}` first",
                            closing(bracket)
                        ));
                    }
                    None => return InputState::Invalid(format!("`{c}` closes nothing")),
                }
            }
            _ => {}
        }
    }
    if open.is_empty() {
        InputState::Complete
    } else {
        InputState::Incomplete
    }
}

fn closing(bracket: char) -> char {
    match bracket {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

/// The keywords of the language that the highlighter colours.
const KEYWORDS: &[&str] = &[
    "use", "let", "fn", "true", "false", "and", "or", "not", "in", "by", "per", "until", "event",
];

const BOLD_BLUE: &str = "\x1b[1;34m";
const MAGENTA: &str = "\x1b[35m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

/// The line with ANSI colours: the command in bold blue, keywords in magenta, strings in
/// green. Only colours are added, so the visible text keeps its width.
pub fn highlight(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let mut rest = line;
    let leading = rest.len() - rest.trim_start().len();
    out.push_str(&rest[..leading]);
    rest = &rest[leading..];
    if rest.starts_with(':') {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push_str(BOLD_BLUE);
        out.push_str(&rest[..end]);
        out.push_str(RESET);
        rest = &rest[end..];
    }
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '"' {
            let mut end = rest.len();
            while let Some((j, d)) = chars.next() {
                if d == '\\' {
                    chars.next();
                } else if d == '"' {
                    end = j + 1;
                    break;
                }
            }
            out.push_str(GREEN);
            out.push_str(&rest[i..end]);
            out.push_str(RESET);
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut end = rest.len();
            while let Some(&(j, d)) = chars.peek() {
                if d.is_ascii_alphanumeric() || d == '_' {
                    chars.next();
                } else {
                    end = j;
                    break;
                }
            }
            let word = &rest[i..end];
            if KEYWORDS.contains(&word) {
                out.push_str(MAGENTA);
                out.push_str(word);
                out.push_str(RESET);
            } else {
                out.push_str(word);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Where the history is kept: `$XDG_DATA_HOME/anneal/history` when that variable holds an
/// absolute path (the XDG rule: relative values are ignored), else
/// `$HOME/.local/share/anneal/history`; `None` without either.
pub fn history_path(xdg_data_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let data = xdg_data_home
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| {
            home.map(PathBuf::from)
                .filter(|path| !path.as_os_str().is_empty())
                .map(|home| home.join(".local").join("share"))
        })?;
    Some(data.join("anneal").join("history"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        Vocabulary {
            names: vec!["tau".into(), "tone".into(), "hot".into()],
            quantities: vec![
                "temperature".into(),
                "temperature.csh".into(),
                "valence".into(),
            ],
        }
    }

    #[test]
    fn commands_complete_at_the_start() {
        let (start, found) = complete(":s", 2, &vocabulary());
        assert_eq!(start, 0);
        assert_eq!(found, [":save", ":set", ":show", ":sources", ":step"]);
        let (start, found) = complete("  :lo", 5, &vocabulary());
        assert_eq!((start, found), (2, vec![":load".to_string()]));
        assert_eq!(complete(":zz", 3, &vocabulary()).1, Vec::<String>::new());
    }

    #[test]
    fn quantities_complete_after_show_and_run() {
        let (start, found) = complete(":show temp", 10, &vocabulary());
        assert_eq!(start, 6);
        assert_eq!(found, ["temperature", "temperature.csh"]);
        let (start, found) = complete(":run until val", 14, &vocabulary());
        assert_eq!((start, found), (11, vec!["valence".to_string()]));
        // Names of the script are not quantities.
        assert!(
            complete(":show t", 7, &vocabulary())
                .1
                .iter()
                .all(|c| c.starts_with("temp"))
        );
        assert_eq!(
            complete(":run until event dis", 20, &vocabulary()).1,
            ["disintegration"]
        );
    }

    #[test]
    fn names_and_builtins_complete_in_expressions() {
        let (start, found) = complete("2 * t", 5, &vocabulary());
        assert_eq!(start, 4);
        assert!(found.contains(&"tau".to_string()) && found.contains(&"tone".to_string()));
        assert!(found.contains(&"tones".to_string()), "{found:?}");
        assert!(found.contains(&"temperature".to_string()));
        let (start, found) = complete(":set cooling = expon", 20, &vocabulary());
        assert_eq!((start, found), (15, vec!["exponential".to_string()]));
        // Nothing typed yet: no flood of every name.
        assert!(complete("2 * ", 4, &vocabulary()).1.is_empty());
    }

    #[test]
    fn paths_complete_after_load_and_save() {
        let temp = tempfile::tempdir().unwrap();
        std::fs::write(temp.path().join("ring.anneal"), "").unwrap();
        std::fs::write(temp.path().join("rest.anneal"), "").unwrap();
        std::fs::create_dir(temp.path().join("results")).unwrap();
        std::fs::write(temp.path().join(".hidden"), "").unwrap();
        let base = format!("{}/", temp.path().display());
        let line = format!(":load {base}r");
        let (start, found) = complete(&line, line.len(), &vocabulary());
        assert_eq!(start, 6);
        assert_eq!(
            found,
            [
                format!("{base}rest.anneal"),
                format!("{base}results/"),
                format!("{base}ring.anneal")
            ]
        );
        let line = format!(":save {base}");
        let found = complete(&line, line.len(), &vocabulary()).1;
        assert_eq!(found.len(), 3, "hidden files are left out: {found:?}");
        assert!(complete_path("/no/such/folder/x").is_empty());
    }

    #[test]
    fn open_brackets_wait_for_more_lines() {
        assert_eq!(input_state(":step 10 s"), InputState::Complete);
        assert_eq!(input_state("let f = table(["), InputState::Incomplete);
        assert_eq!(
            input_state("let f = table([\n  0 s: 1,\n  1 s: 2\n])"),
            InputState::Complete
        );
        assert_eq!(input_state("fn f(x) {"), InputState::Incomplete);
        assert_eq!(input_state("\"a ( in a string\""), InputState::Complete);
        assert_eq!(
            input_state("1 + 2 # a ( in a comment"),
            InputState::Complete
        );
        assert_eq!(input_state("\"escaped \\\" (\""), InputState::Complete);
        assert!(matches!(input_state("f(1]"), InputState::Invalid(_)));
        assert!(matches!(input_state(")"), InputState::Invalid(_)));
    }

    #[test]
    fn highlighting_adds_only_colours() {
        let line = ":set cooling = exponential(from: 2, to: 1) # and \"more\"";
        let coloured = highlight(line);
        assert!(coloured.starts_with(&format!("{BOLD_BLUE}:set{RESET}")));
        let plain = coloured
            .replace(BOLD_BLUE, "")
            .replace(MAGENTA, "")
            .replace(GREEN, "")
            .replace(RESET, "");
        assert_eq!(plain, line);
        assert!(highlight("let x = \"a").contains(GREEN));
        assert_eq!(highlight("2 * x"), "2 * x");
    }

    #[test]
    fn history_follows_xdg() {
        let path = history_path(Some("/data".into()), Some("/home/me".into()));
        assert_eq!(path, Some(PathBuf::from("/data/anneal/history")));
        let path = history_path(Some("relative".into()), Some("/home/me".into()));
        assert_eq!(
            path,
            Some(PathBuf::from("/home/me/.local/share/anneal/history"))
        );
        let path = history_path(None, Some("/home/me".into()));
        assert_eq!(
            path,
            Some(PathBuf::from("/home/me/.local/share/anneal/history"))
        );
        assert_eq!(history_path(None, None), None);
        assert_eq!(history_path(Some("".into()), Some("".into())), None);
    }
}
