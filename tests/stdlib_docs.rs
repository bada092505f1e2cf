//! docs/stdlib.md lists every preset of the standard library with its parameters and defaults,
//! exactly as the embedded `.anneal` modules declare them: a preset, parameter or default that is
//! missing from the doc, or that the doc still lists after the stdlib changed, fails this test.

mod common;

use std::collections::BTreeMap;

use anneal::diagnostics::FileId;
use anneal::semantics::stdlib::MODULES;
use anneal::syntax::ast::StatementKind;

/// One preset: its parameters in order, each with its default written as the formatter prints it
/// (`None` for a required parameter).
type Presets = BTreeMap<String, Vec<(String, Option<String>)>>;

/// Module name → presets, read from the stdlib sources.
fn stdlib_presets() -> BTreeMap<String, Presets> {
    let mut modules = BTreeMap::new();
    for (module, text) in MODULES {
        let file = anneal::syntax::parse(FileId(0), text).expect("the stdlib parses");
        let mut presets = Presets::new();
        for statement in &file.statements {
            if let StatementKind::Function(function) = &statement.kind {
                let params = function
                    .params
                    .iter()
                    .map(|param| {
                        (
                            param.name.text.to_string(),
                            param.default.as_ref().map(anneal::syntax::format::expr),
                        )
                    })
                    .collect();
                presets.insert(function.name.text.to_string(), params);
            }
        }
        modules.insert(module.to_string(), presets);
    }
    modules
}

/// Module name → presets, read from docs/stdlib.md: a `## std.MODULE` heading opens a module, a
/// ``### `name(...)` `` heading a preset, and the rows of the parameter table that follows give
/// each parameter with its default in backticks, or `required`.
fn documented_presets(doc: &str) -> BTreeMap<String, Presets> {
    let mut modules: BTreeMap<String, Presets> = BTreeMap::new();
    let mut module: Option<String> = None;
    let mut preset: Option<String> = None;
    for line in doc.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            let name = heading.trim();
            module = name.starts_with("std.").then(|| name.to_string());
            preset = None;
            if let Some(module) = &module {
                modules.entry(module.clone()).or_default();
            }
        } else if let Some(heading) = line.strip_prefix("### ") {
            let Some(module) = &module else {
                panic!("preset heading outside a module: {line}");
            };
            let signature = heading.trim().trim_matches('`');
            let name = signature.split('(').next().expect("a name").to_string();
            assert!(
                !modules[module].contains_key(&name),
                "{module}.{name} is documented twice"
            );
            modules
                .get_mut(module)
                .expect("module")
                .insert(name.clone(), Vec::new());
            preset = Some(name);
        } else if let (Some(module), Some(name)) = (&module, &preset) {
            let cells: Vec<&str> = line
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            let is_parameter_row = line.starts_with('|')
                && cells.len() >= 3
                && cells[0].starts_with('`')
                && cells[0].ends_with('`');
            if is_parameter_row {
                let param = cells[0].trim_matches('`').to_string();
                let default = match cells[1] {
                    "required" => None,
                    cell => Some(
                        cell.strip_prefix('`')
                            .and_then(|c| c.strip_suffix('`'))
                            .unwrap_or_else(|| {
                                panic!("{module}.{name}.{param}: default `{cell}` not in backticks")
                            })
                            .to_string(),
                    ),
                };
                modules
                    .get_mut(module)
                    .expect("module")
                    .get_mut(name)
                    .expect("preset")
                    .push((param, default));
            }
        }
    }
    modules
}

/// The heading signature a preset must have: `name(a, b = default)`.
fn signature(name: &str, params: &[(String, Option<String>)]) -> String {
    let params: Vec<String> = params
        .iter()
        .map(|(param, default)| match default {
            Some(default) => format!("{param} = {default}"),
            None => param.clone(),
        })
        .collect();
    format!("{name}({})", params.join(", "))
}

fn stdlib_doc() -> String {
    std::fs::read_to_string(common::root().join("docs/stdlib.md")).expect("docs/stdlib.md")
}

#[test]
fn the_doc_lists_every_preset_with_its_parameters_and_defaults() {
    let doc = stdlib_doc();
    let documented = documented_presets(&doc);
    let declared = stdlib_presets();
    for (module, presets) in &declared {
        let Some(documented_module) = documented.get(module) else {
            panic!("docs/stdlib.md has no `## {module}` section");
        };
        for (name, params) in presets {
            let Some(documented_params) = documented_module.get(name) else {
                panic!("docs/stdlib.md does not document {module}.{name}");
            };
            assert_eq!(
                documented_params, params,
                "docs/stdlib.md: the parameter table of {module}.{name} differs from the stdlib"
            );
            let heading = format!("### `{}`", signature(name, params));
            assert!(
                doc.contains(&heading),
                "docs/stdlib.md: expected the heading {heading}"
            );
        }
    }
    for (module, presets) in &documented {
        let Some(declared_module) = declared.get(module) else {
            panic!("docs/stdlib.md documents a module {module} the stdlib does not have");
        };
        for name in presets.keys() {
            assert!(
                declared_module.contains_key(name),
                "docs/stdlib.md documents {module}.{name}, which the stdlib does not define"
            );
        }
    }
}

#[test]
fn a_stale_default_is_caught() {
    // The check above must be able to fail: change one default in the doc and the parsed tables
    // no longer match the stdlib.
    let doc = stdlib_doc();
    let stale = doc.replacen("| `tau` | `20 min` |", "| `tau` | `25 min` |", 1);
    assert_ne!(
        stale, doc,
        "the doc lists gentle's tau with its default 20 min"
    );
    assert_ne!(documented_presets(&stale), stdlib_presets());
    assert_eq!(documented_presets(&doc), stdlib_presets());
}
