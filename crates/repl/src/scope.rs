//! The language at the prompt: a line that is not a command is a `let`, `fn` or `use`
//! statement or an expression, checked and evaluated in the scope of the loaded script (its
//! top-level names, then whatever was defined at the prompt). Errors are the diagnostics of
//! `anneal check`, pointing into the typed line, whose source name is `<repl>`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anneal_diagnostics::{Diagnostic, RenderOptions, render_all};
use anneal_semantics::checker::Checker;
use anneal_semantics::value::{Module, Scope, Value};
use anneal_semantics::{Checked, FsLoader};

/// The source name of lines typed at the prompt, in diagnostics.
pub const PROMPT_SOURCE: &str = "<repl>";

/// Imports at the prompt read files from disk.
static FILES: FsLoader = FsLoader;

/// The scope in which the prompt evaluates the language.
pub struct PromptScope {
    checker: Checker<'static>,
    /// The latest scope: the script's names plus the prompt's definitions so far. Each line is
    /// checked in a new module holding a copy of this scope; a line without errors becomes the
    /// latest (functions defined at the prompt keep the module they were defined in).
    module: Rc<Module>,
    /// Imports typed at the prompt resolve relative to this path's folder.
    base: PathBuf,
    /// The definitions typed so far, replayed when the script's scope is rebuilt (`:set`).
    definitions: Vec<String>,
}

impl Default for PromptScope {
    fn default() -> Self {
        PromptScope::empty()
    }
}

impl PromptScope {
    /// A scope with only the builtins (no script loaded).
    pub fn empty() -> PromptScope {
        let mut checker = Checker::new(&FILES);
        let file = checker.add_source(PROMPT_SOURCE, "");
        PromptScope {
            checker,
            module: Rc::new(Module {
                file,
                display_name: PROMPT_SOURCE.into(),
                scope: Default::default(),
            }),
            base: PathBuf::from(PROMPT_SOURCE),
            definitions: Vec::new(),
        }
    }

    /// The scope of the script `text` at `path`, with the top-level `let`s named in `lets`
    /// given those expressions (as `:set` does). The script's own diagnostics are not repeated
    /// here: loading it reported them.
    pub fn of_script(path: &Path, text: &str, lets: &HashMap<String, String>) -> PromptScope {
        let mut checker = Checker::new(&FILES);
        checker.set_override_texts(lets.clone());
        let (_, module) = checker.check_main_module(&path.display().to_string(), path, text);
        checker.take_diagnostics();
        PromptScope {
            checker,
            module,
            base: path.to_path_buf(),
            definitions: Vec::new(),
        }
    }

    /// Replays the definitions typed in `earlier` into this scope; returns a note for each
    /// one that no longer checks (it is dropped).
    pub fn replay(&mut self, earlier: &PromptScope) -> Vec<String> {
        let mut notes = Vec::new();
        for line in &earlier.definitions {
            if self.evaluate(line, RenderOptions::plain()).is_err() {
                notes.push(format!(
                    "`{line}`, typed earlier, no longer checks and is dropped"
                ));
            }
        }
        notes
    }

    /// The names in scope: the script's and the prompt's (sorted, without duplicates).
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .module
            .scope
            .borrow()
            .names()
            .map(str::to_string)
            .collect();
        names.sort();
        names
    }

    /// Checks and evaluates one line. An expression gives its value with its unit; a definition
    /// gives an empty text (or its warnings). Errors come back rendered.
    pub fn evaluate(&mut self, line: &str, options: RenderOptions) -> Result<String, String> {
        let (module, outcome) = self.check_line(line);
        let diagnostics = self.checker.take_diagnostics();
        let rendered = render_all(&diagnostics, self.checker.sources(), options);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(rendered);
        }
        let mut text = rendered;
        match outcome {
            Some(value) => {
                let shown = display(&value)?;
                let _ = writeln!(text, "{shown}");
            }
            None => {
                self.definitions.push(line.to_string());
                self.module = module;
            }
        }
        Ok(text)
    }

    /// Checks a line in a new module holding a copy of the latest scope: `Some(value)` for an
    /// expression, `None` for statements. Diagnostics stay in the checker.
    fn check_line(&mut self, line: &str) -> (Rc<Module>, Option<Value>) {
        let file = self.checker.add_source(PROMPT_SOURCE, line);
        let scope = {
            let latest = self.module.scope.borrow();
            Scope {
                bindings: latest.bindings.clone(),
                count: latest.count,
            }
        };
        let module = Rc::new(Module {
            file,
            display_name: PROMPT_SOURCE.into(),
            scope: RefCell::new(scope),
        });
        // Each line gets the full evaluation budget of a script.
        self.checker.reset_budget();
        if starts_statement(line) {
            match anneal_syntax::parse(file, line) {
                Ok(parsed) => self
                    .checker
                    .check_prompt_statements(&module, &parsed, &self.base),
                Err(errors) => {
                    for error in errors {
                        self.checker.error(error);
                    }
                }
            }
            (module, None)
        } else {
            match anneal_syntax::parse_expression(file, line) {
                Ok(expr) => {
                    let value = self.checker.eval_at_prompt(&module, &expr);
                    (module, Some(value))
                }
                Err(error) => {
                    self.checker.error(error);
                    (module, Some(Value::Unknown))
                }
            }
        }
    }
}

/// Checks the script `text` at `path` as `:set` recompiles it, in one check so that every
/// diagnostic renders against its own sources: the top-level `let`s named in `lets` get those
/// expressions (evaluated where the `let` stands), and each `(name, expression)` of `others`
/// (a setting such as `cooling`, or a source) is evaluated in the script's scope afterwards.
/// The expressions are files named `<repl>`.
pub fn recheck(
    path: &Path,
    text: &str,
    lets: &HashMap<String, String>,
    others: &[(String, String)],
) -> (Checked, Vec<(String, Value)>) {
    let mut checker = Checker::new(&FILES);
    checker.set_override_texts(lets.clone());
    let (program, module) = checker.check_main_module(&path.display().to_string(), path, text);
    let values = others
        .iter()
        .map(|(name, expression)| {
            (
                name.clone(),
                checker.eval_text(&module, PROMPT_SOURCE, expression),
            )
        })
        .collect();
    let (diagnostics, sources) = checker.into_parts();
    let checked = Checked {
        program,
        diagnostics,
        sources,
    };
    (checked, values)
}

/// Whether a line starts with a statement keyword (`let x = ...`) rather than an expression;
/// a keyword followed by `(` is a call (`source(...)` is a builtin).
fn starts_statement(line: &str) -> bool {
    let line = line.trim_start();
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let (first, rest) = line.split_at(end);
    anneal_syntax::parser::STATEMENT_KEYWORDS.contains(&first)
        && !rest.trim_start().starts_with('(')
}

/// A value as the prompt prints it: numbers with their SI unit, lists and records by their
/// items, other values by what they are.
pub fn display(value: &Value) -> Result<String, String> {
    Ok(match value {
        Value::Number(scalar) => {
            if !scalar.value.is_finite() {
                return Err(format!("the value is {}, not a number", scalar.value));
            }
            quantity(scalar.value, scalar.dim)
        }
        Value::Bool(b) => b.to_string(),
        Value::Text(text) => format!("{text:?}"),
        Value::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(display)
                .collect::<Result<Vec<_>, _>>()?
                .join(", ")
        ),
        Value::Table(entries) => format!(
            "[{}]",
            entries
                .iter()
                .map(|(key, value)| Ok(format!("{}: {}", display(key)?, display(value)?)))
                .collect::<Result<Vec<_>, String>>()?
                .join(", ")
        ),
        Value::Record(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(name, value)| Ok(format!("{name}: {}", display(value)?)))
                .collect::<Result<Vec<_>, String>>()?
                .join(", ")
        ),
        Value::Range(range) => {
            let mut text = format!(
                "{}..{}",
                quantity(range.start.value, range.start.dim),
                quantity(range.end.value, range.end.dim)
            );
            if let Some(step) = &range.step {
                let _ = write!(text, " by {}", quantity(step.value, step.dim));
            }
            text
        }
        Value::PatternName(name) => format!("pattern {name}"),
        other => format!("<{}>", other.describe()),
    })
}

/// A number with six significant digits and its SI unit: `6`, `0.666667 Hz`, `1200 s`.
fn quantity(value: f64, dim: anneal_semantics::units::Dim) -> String {
    let number = crate::format::format_number(value);
    let symbol = dim.si_symbol();
    if symbol.is_empty() {
        number
    } else {
        format!("{number} {symbol}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluate(scope: &mut PromptScope, line: &str) -> Result<String, String> {
        scope.evaluate(line, RenderOptions::plain())
    }

    #[test]
    fn expressions_print_with_their_units() {
        let mut scope = PromptScope::empty();
        assert_eq!(evaluate(&mut scope, "2 Hz * 3 s").unwrap(), "6\n");
        assert_eq!(evaluate(&mut scope, "let f = 40 bpm").unwrap(), "");
        assert_eq!(evaluate(&mut scope, "f").unwrap(), "0.666667 Hz\n");
        assert_eq!(evaluate(&mut scope, "f * 2 min").unwrap(), "80\n");
        assert_eq!(
            evaluate(&mut scope, "[1 s, 2 min]").unwrap(),
            "[1 s, 120 s]\n"
        );
        assert_eq!(evaluate(&mut scope, "1 s < 2 s").unwrap(), "true\n");
    }

    #[test]
    fn a_let_may_be_typed_again_and_functions_keep_their_scope() {
        let mut scope = PromptScope::empty();
        evaluate(&mut scope, "let a = 2 s").unwrap();
        evaluate(&mut scope, "fn twice(x) = 2 * x").unwrap();
        evaluate(&mut scope, "let a = 3 s").unwrap();
        assert_eq!(evaluate(&mut scope, "twice(a)").unwrap(), "6 s\n");
        assert!(scope.names().contains(&"twice".to_string()));
    }

    #[test]
    fn errors_point_into_the_typed_line_with_codes() {
        let mut scope = PromptScope::empty();
        let error = evaluate(&mut scope, "2 Hz + 3 s").unwrap_err();
        assert!(error.contains("<repl>"), "{error}");
        assert!(error.contains("[E"), "{error}");
        let error = evaluate(&mut scope, "nosuchname * 2").unwrap_err();
        assert!(error.contains("nosuchname"), "{error}");
        let error = evaluate(&mut scope, "2 +").unwrap_err();
        assert!(error.contains("<repl>"), "{error}");
        // A failed definition leaves the scope as it was.
        assert!(evaluate(&mut scope, "let b = 2 Hz + 1 s").is_err());
        assert!(!scope.names().contains(&"b".to_string()));
        let error = evaluate(&mut scope, "experiment \"x\" { seed 1 }").unwrap_err();
        assert!(error.contains("E0014"), "{error}");
        assert!(starts_statement("source s = x") && !starts_statement("source(envelope: e)"));
    }

    #[test]
    fn the_scripts_names_are_in_scope_with_overrides() {
        let text = "let tau = 5 s\nlet twice = 2 * tau\n";
        let mut scope = PromptScope::of_script(Path::new("x.anneal"), text, &HashMap::new());
        assert!(scope.names().contains(&"twice".to_string()));
        assert_eq!(evaluate(&mut scope, "twice").unwrap(), "10 s\n");
        let lets = HashMap::from([("tau".to_string(), "1 min".to_string())]);
        let mut scope = PromptScope::of_script(Path::new("x.anneal"), text, &lets);
        assert_eq!(evaluate(&mut scope, "twice").unwrap(), "120 s\n");
    }

    #[test]
    fn a_recheck_reports_errors_in_the_set_expressions_against_their_own_text() {
        let text = "let tau = 5 s\nlet twice = 2 * tau\n";
        let lets = HashMap::from([("tau".to_string(), "3 Hz + 1 s".to_string())]);
        let others = [("extra".to_string(), "twice * 2".to_string())];
        let (checked, values) = recheck(Path::new("x.anneal"), text, &lets, &others);
        assert!(checked.has_errors());
        let rendered = render_all(
            &checked.diagnostics,
            &checked.sources,
            RenderOptions::plain(),
        );
        assert!(rendered.contains("<repl>:1:1"), "{rendered}");
        assert_eq!(values.len(), 1);
        let lets = HashMap::from([("tau".to_string(), "1 s".to_string())]);
        let (checked, values) = recheck(Path::new("x.anneal"), text, &lets, &others);
        assert!(!checked.has_errors());
        assert_eq!(display(&values[0].1).unwrap(), "4 s");
    }
}
