//! Semantics: scopes and `use`, units and dimensions, types, the builtins table, and evaluation of
//! the declarative part of a script to a [`Program`] of plain values.
//!
//! Entry points: [`check_file`] for a script on disk, [`check_source`] for text with a custom
//! [`Loader`] (tests, the REPL), and [`check_scenario_item`] for one run of a scenario.

pub mod builtins;
pub mod checker;
pub mod eval;
pub mod program;
pub mod stdlib;
pub mod units;
pub mod value;

use crate::diagnostics::{Diagnostic, SourceMap};
use crate::semantics::program::{AxisValue, Program, VaryTarget};
use crate::semantics::value::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Reads imported files. The checker never touches the file system except through this.
pub trait Loader {
    fn load(&self, path: &Path) -> std::io::Result<Vec<u8>>;
}

/// Reads files from disk.
pub struct FsLoader;

impl Loader for FsLoader {
    fn load(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
}

/// Serves files from memory (tests).
#[derive(Default)]
pub struct MemoryLoader {
    pub files: HashMap<PathBuf, Vec<u8>>,
}

impl Loader for MemoryLoader {
    fn load(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not in memory"))
    }
}

/// The result of a check: the program (when the file is an experiment and has no errors), every
/// diagnostic (errors and warnings), and the texts they point into.
pub struct Checked {
    pub program: Option<Program>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks a script file on disk; imports are resolved relative to it.
pub fn check_file(path: &Path) -> Checked {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => check_bytes(&name, path, &bytes, &FsLoader),
        Err(error) => {
            let mut sources = SourceMap::new();
            let file = sources.add(name.clone(), "");
            let diagnostic = Diagnostic::error(
                "E0005",
                file,
                Default::default(),
                format!("cannot read `{name}`: {error}"),
            );
            Checked {
                program: None,
                diagnostics: vec![diagnostic],
                sources,
            }
        }
    }
}

/// Checks raw bytes (refusing invalid UTF-8 and NUL bytes).
pub fn check_bytes(name: &str, path: &Path, bytes: &[u8], loader: &dyn Loader) -> Checked {
    match std::str::from_utf8(bytes) {
        Ok(text) => check_source_at(name, path, text, loader, &HashMap::new()),
        Err(_) => {
            let mut sources = SourceMap::new();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let file = sources.add(name, text);
            let diagnostic = crate::syntax::guard::decode(file, bytes)
                .err()
                .into_iter()
                .collect();
            Checked {
                program: None,
                diagnostics: diagnostic,
                sources,
            }
        }
    }
}

/// Checks script text named `name`; relative imports resolve against the current directory.
pub fn check_source(name: &str, text: &str, loader: &dyn Loader) -> Checked {
    check_source_at(name, Path::new(name), text, loader, &HashMap::new())
}

fn check_source_at(
    name: &str,
    path: &Path,
    text: &str,
    loader: &dyn Loader,
    overrides: &HashMap<String, Value>,
) -> Checked {
    let mut checker = checker::Checker::new(loader);
    checker.overrides = overrides.clone();
    let program = checker.check_main(name, path, text);
    Checked {
        program,
        diagnostics: checker.diagnostics,
        sources: checker.sources,
    }
}

/// The program of one scenario run: `choice` gives, for each axis (by its target name: `seed`,
/// `cooling`, or a `let` name), the label of the item to use. Top-level `let`s are re-evaluated
/// with the item's value, so everything derived from them follows.
pub fn check_scenario_item(
    name: &str,
    path: &Path,
    text: &str,
    loader: &dyn Loader,
    scenario: &str,
    choice: &[(String, String)],
) -> Result<Program, String> {
    let base = check_source_at(name, path, text, loader, &HashMap::new());
    let program = base.program.ok_or("the script has errors")?;
    let found = program
        .scenarios
        .iter()
        .find(|s| s.name == scenario)
        .ok_or_else(|| format!("no scenario `{scenario}`"))?;
    let mut overrides = HashMap::new();
    let mut direct = Vec::new();
    for (axis_name, label) in choice {
        let axis = found
            .axes
            .iter()
            .find(|a| a.target.name() == axis_name)
            .ok_or_else(|| format!("no axis `{axis_name}`"))?;
        let item = axis
            .items
            .iter()
            .find(|i| &i.label == label)
            .ok_or_else(|| format!("axis `{axis_name}` has no item `{label}`"))?;
        match &axis.target {
            VaryTarget::Let(let_name) => {
                let value = match &item.value {
                    AxisValue::Number(s) => Value::Number(*s),
                    AxisValue::Bool(b) => Value::Bool(*b),
                    AxisValue::Text(t) => Value::Text(t.clone()),
                    AxisValue::Curve(c) => Value::Curve(c.clone()),
                    AxisValue::Source(s) => Value::Source(s.clone()),
                    AxisValue::Connectome(c) => Value::Connectome(c.clone()),
                };
                overrides.insert(let_name.clone(), value);
            }
            target => direct.push((target.clone(), item.value.clone())),
        }
    }
    let mut program = if overrides.is_empty() {
        program
    } else {
        check_source_at(name, path, text, loader, &overrides)
            .program
            .ok_or("the script has errors with this item")?
    };
    for (target, value) in direct {
        match (target, value) {
            (VaryTarget::Seed, AxisValue::Number(s)) => program.experiment.seed = s.value as u64,
            (VaryTarget::Dt, AxisValue::Number(s)) => program.experiment.dt = s,
            (VaryTarget::Duration, AxisValue::Number(s)) => program.experiment.duration = s,
            (VaryTarget::Cooling, AxisValue::Curve(c)) => program.cooling = c,
            _ => return Err("axis value of the wrong kind".into()),
        }
    }
    Ok(program)
}
