//! Semantics: scopes and `use`, units and dimensions, types, the builtins table, and evaluation of
//! the declarative part of a script to a [`Program`] of plain values.
//!
//! Entry points: [`check_file`] for a script on disk, [`check_source`] for text with a custom
//! [`Loader`] (tests, the REPL), and [`check_scenario_item`] for one run of a scenario.

pub mod builtins;
pub mod call;
pub mod checker;
pub mod env;
pub mod eval;
pub mod lower;
pub mod program;
pub mod stdlib;
pub mod units;
pub mod value;

use crate::program::{AxisValue, Program, VaryTarget};
use crate::value::Value;
use anneal_diagnostics::{Diagnostic, SourceMap};
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
            let diagnostic = anneal_syntax::guard::decode(file, bytes)
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
                    AxisValue::Curve(c) => Value::Curve(Box::new(c.clone())),
                    AxisValue::Source(s) => Value::Source(std::rc::Rc::new(s.clone())),
                    AxisValue::Connectome(c) => Value::Connectome(Box::new(c.clone())),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::{SourcePart, Window};

    fn check(text: &str) -> Checked {
        check_source("test.anneal", text, &MemoryLoader::default())
    }

    fn codes(text: &str) -> Vec<&'static str> {
        check(text).diagnostics.iter().map(|d| d.code).collect()
    }

    const HEADER: &str = "experiment \"t\" {\n  seed 1\n  dt 10 ms\n  duration 1 h\n}\nconnectome c = ring(nodes: 10)\n";

    /// A script large enough to be parsed on several threads and checked while it is parsed
    /// (see `syntax::parser::parse_streaming`), with a source that names a pattern declared by a
    /// landscape near its end, and more than a parsing batch (16 KB) after the landscape.
    fn large_script(with_error_at_the_end: &str) -> String {
        let mut text = format!(
            "{HEADER}use std.sources\nsource k = sources.trauma(at: 10 min, pattern: hurt)\n"
        );
        for index in 0..12_000 {
            text.push_str(&format!("let _v{index} = {index} s + 1 min\n"));
        }
        text.push_str("landscape on nodes {\n  pattern hurt = random(seed: 1)\n}\n");
        for index in 0..2_000 {
            text.push_str(&format!("let _w{index} = {index} Hz\n"));
        }
        text.push_str(with_error_at_the_end);
        text
    }

    #[test]
    fn a_large_script_sees_a_pattern_declared_after_its_use() {
        let text = large_script("");
        assert!(text.len() > 256 * 1024);
        let checked = check(&text);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        assert!(checked.program.is_some());
    }

    /// The statements checked before the parser reaches a syntax error near the end leave no
    /// trace: the file reports its syntax error alone, as a small file does.
    #[test]
    fn a_large_script_with_a_syntax_error_reports_that_alone() {
        let text = large_script("let _u = unknown_name * 2\nlet = 1\n");
        let with_error_first = format!("let _early = also_unknown\n{text}");
        for text in [text, with_error_first] {
            assert_eq!(codes(&text), ["E0001"]);
        }
    }

    /// After a check that a late syntax error cut short, an import it had loaded is loaded again
    /// when the prompt uses it, with its own errors, as if it had never been loaded.
    #[test]
    fn a_check_cut_short_by_a_syntax_error_keeps_no_imports() {
        let mut loader = MemoryLoader::default();
        loader
            .files
            .insert("lib.anneal".into(), b"let odd = 2 Hz + 3 s\n".to_vec());
        let text = format!("use \"lib.anneal\" as lib\n{}", large_script("let = 1\n"));
        let mut checker = checker::Checker::new(&loader);
        let path = Path::new("main.anneal");
        let (program, module) = checker.check_main_module("main.anneal", path, &text);
        assert!(program.is_none());
        let codes: Vec<&str> = checker.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["E0001"]);
        checker.diagnostics.clear();
        let file = checker
            .sources
            .add("<prompt>", "use \"lib.anneal\" as again");
        let typed = anneal_syntax::parse(file, "use \"lib.anneal\" as again").expect("parses");
        checker.check_prompt_statements(&module, &typed, path);
        let codes: Vec<&str> = checker.diagnostics.iter().map(|d| d.code).collect();
        assert!(codes.contains(&"E0007"), "{codes:?}");
    }

    #[test]
    fn dimension_errors_label_both_operands() {
        let checked = check("let _x = 2 Hz + 3 s\n");
        let error = &checked.diagnostics[0];
        assert_eq!(error.code, "E0007");
        let texts: Vec<&str> = error
            .labels
            .iter()
            .map(|l| &checked.sources.text(l.file)[l.span.range()])
            .collect();
        assert_eq!(texts, ["2 Hz", "3 s"]);
        assert!(
            error.labels[0].message.contains("frequency")
                && error.labels[1].message.contains("time")
        );
    }

    #[test]
    fn near_misses_get_suggestions() {
        let checked = check("let rate = 2 Hz\nlet _y = rat * 2\n");
        assert_eq!(
            checked.diagnostics[0].help.as_deref(),
            Some("did you mean `rate`?")
        );
    }

    #[test]
    fn import_cycles_show_their_chain() {
        let mut loader = MemoryLoader::default();
        loader
            .files
            .insert("a.anneal".into(), b"use \"b.anneal\" as b\n".to_vec());
        loader
            .files
            .insert("b.anneal".into(), b"use \"a.anneal\" as a\n".to_vec());
        let checked = check_source("main.anneal", "use \"a.anneal\" as a\n", &loader);
        let cycle = checked
            .diagnostics
            .iter()
            .find(|d| d.code == "E0006")
            .expect("cycle reported");
        assert!(
            cycle.message.contains("a.anneal -> b.anneal -> a.anneal"),
            "{}",
            cycle.message
        );
    }

    #[test]
    fn all_errors_of_a_file_in_one_run() {
        let found = codes("let _a = 1 s + 1 Hz\nlet _b = nope\nconnectome c = ring(nodes: 2.5)\n");
        assert_eq!(found, ["E0007", "E0004", "E0018"]);
    }

    #[test]
    fn a_connectome_where_a_source_belongs_is_a_type_error() {
        assert_eq!(
            codes("connectome c = ring(nodes: 10)\nsource s = c\n"),
            ["E0008"]
        );
    }

    #[test]
    fn windows_resolve_to_the_source_interval_in_seconds() {
        let text = format!(
            "{HEADER}use std.sources.{{meditation}}\nsource sit = meditation(at: 2 min, for: 10 min)\nrecord every 1 s {{ valence }}\nexpect mean(valence, during: sit) > mean(valence, before: sit)\nexpect final(valence, after: 2 min) > 0\n"
        );
        let program = check(&text).program.expect("clean");
        let mut windows = Vec::new();
        for expectation in &program.expectations {
            expectation
                .predicate
                .visit_statistics(&mut |s| windows.push(s.window.clone()));
        }
        assert_eq!(
            windows,
            [
                Window::Between {
                    start: 120.0,
                    end: 720.0,
                    source: Some("sit".into())
                },
                Window::Before {
                    time: 120.0,
                    source: Some("sit".into())
                },
                Window::After {
                    time: 120.0,
                    source: None
                },
            ]
        );
    }

    #[test]
    fn sources_combine_and_scale() {
        let text = format!(
            "{HEADER}let e = pulse(at: 1 min, for: 1 min)\nsource a = source(envelope: e, parts: [suppress_sinks(40%)])\nsource b = 0.5 * a + a\n"
        );
        let program = check(&text).program.expect("clean");
        let b = &program.sources[1].source;
        assert_eq!(b.components.len(), 2);
        assert_eq!(b.components[0].scale, 0.5);
        assert_eq!(
            b.components[0].parts[0],
            SourcePart::SuppressSinks {
                amount: match &b.components[0].parts[0] {
                    SourcePart::SuppressSinks { amount } => {
                        assert_eq!(amount.value, 0.4);
                        *amount
                    }
                    other => panic!("{other:?}"),
                }
            }
        );
    }

    #[test]
    fn scenario_axes_are_labelled() {
        let text = format!(
            "{HEADER}record every 1 s {{ frustration }}\nscenario \"s\" {{\n  vary cooling in {{ slow: constant(1.0), fast: constant(2.0) }}\n  vary seed in 1..3\n  expect final(frustration, runs: {{ cooling: \"slow\" }}) < final(frustration, runs: {{ cooling: \"fast\" }})\n}}\n"
        );
        let program = check(&text).program.expect("clean");
        let scenario = &program.scenarios[0];
        assert_eq!(scenario.run_count(), 6);
        let labels: Vec<&str> = scenario.axes[1]
            .items
            .iter()
            .map(|i| i.label.as_str())
            .collect();
        assert_eq!(labels, ["1", "2", "3"]);
        assert_eq!(scenario.expectations.len(), 1);
    }

    #[test]
    fn recursion_and_runaway_evaluation_are_refused() {
        assert!(codes("fn f(x) = f(x)\nlet _y = f(1)\n").contains(&"E0020"));
        let mut text = String::from("fn f0(x) = x\n");
        for i in 1..40 {
            text.push_str(&format!("fn f{i}(x) = f{p}(x) + f{p}(x)\n", p = i - 1));
        }
        text.push_str("let _y = f39(1)\n");
        assert!(codes(&text).contains(&"E0021"));
    }

    #[test]
    fn warnings_for_shadowing_and_unrecorded_quantities() {
        assert_eq!(codes("let mean = 3\nlet _x = mean\n"), ["W0002"]);
        assert_eq!(
            codes("landscape on regions { pattern noise = random(seed: 1) }\n"),
            ["W0002"]
        );
        let text =
            format!("{HEADER}record every 1 s {{ temperature }}\nexpect final(valence) > 0\n");
        let checked = check(&text);
        assert!(checked.program.is_some());
        assert_eq!(
            checked
                .diagnostics
                .iter()
                .map(|d| d.code)
                .collect::<Vec<_>>(),
            ["W0003"]
        );
    }

    #[test]
    fn a_band_or_region_of_a_quantity_is_read_with_a_field() {
        let text = format!(
            "{HEADER}record every 1 s {{ temperature by band, energy by band }}\nexpect mean(temperature.csh) > mean(energy.rsh)\nexpect final(integration.rAMYG) > 0\n"
        );
        let checked = check(&text);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let program = checked.program.expect("an experiment");
        let mut components = Vec::new();
        for expectation in &program.expectations {
            expectation.predicate.visit_statistics(&mut |statistic| {
                let observable = &statistic.observable;
                let text = &checked.sources.text(observable.loc.file)[observable.loc.span.range()];
                components.push((
                    observable.quantity,
                    observable.component.clone(),
                    text.to_string(),
                ));
            });
        }
        assert_eq!(
            components,
            [
                ("temperature", Some("csh".into()), "temperature.csh".into()),
                ("energy", Some("rsh".into()), "energy.rsh".into()),
                (
                    "integration",
                    Some("rAMYG".into()),
                    "integration.rAMYG".into()
                ),
            ]
        );
        for wrong in [
            "mean(temperature.csj)",
            "mean(valence.csh)",
            "mean(temperature.csh.rsh)",
        ] {
            let text = format!("{HEADER}record every 1 s {{ temperature }}\nexpect {wrong} > 0\n");
            assert!(codes(&text).contains(&"E0023"), "{wrong}");
        }
        let near = check(&format!("{HEADER}expect mean(temperature.csj) > 0\n"));
        assert!(
            near.diagnostics
                .iter()
                .any(|d| d.help.as_deref() == Some("did you mean `csh`?"))
        );
    }
}
