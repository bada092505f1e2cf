//! Every `anneal` code block in docs/language.md checks without errors, and the reference names
//! every builtin, quantity and setting of the builtins table.

mod common;

use anneal::diagnostics::{RenderOptions, render_all};
use anneal::semantics::builtins::{BUILTINS, QUANTITIES, SETTINGS};

fn language_doc() -> String {
    std::fs::read_to_string(common::root().join("docs/language.md")).expect("docs/language.md")
}

#[test]
fn every_example_checks() {
    let doc = language_doc();
    let mut count = 0;
    for block in doc.split("```anneal\n").skip(1) {
        let code = block.split("```").next().expect("closed block");
        let checked = anneal::semantics::check_source(
            "example.anneal",
            code,
            &anneal::semantics::MemoryLoader::default(),
        );
        assert!(
            !checked.has_errors(),
            "{code}\n{}",
            render_all(
                &checked.diagnostics,
                &checked.sources,
                RenderOptions::plain()
            )
        );
        count += 1;
    }
    assert!(count >= 10, "only {count} examples");
}

#[test]
fn the_reference_names_every_builtin() {
    let doc = language_doc();
    for builtin in BUILTINS {
        assert!(
            doc.contains(&format!("`{}(", builtin.name))
                || doc.contains(&format!("{}(", builtin.name)),
            "docs/language.md does not mention `{}`",
            builtin.name
        );
    }
    for quantity in QUANTITIES {
        assert!(
            doc.contains(&format!("`{}", quantity.name)),
            "docs/language.md does not mention quantity `{}`",
            quantity.name
        );
    }
    for setting in SETTINGS {
        assert!(
            doc.contains(setting.name),
            "docs/language.md does not mention setting `{}`",
            setting.name
        );
    }
}
