//! Snapshots of the diagnostics for every wrong script in `tests/diagnostics/` (one mistake each).
//! Each must produce at least one error, and every error must point inside the file.

mod common;

use anneal::diagnostics::{RenderOptions, render_all};
use anneal::semantics::{FsLoader, check_bytes};

#[test]
fn wrong_scripts() {
    insta::glob!("diagnostics/*.anneal", |path| {
        let bytes = std::fs::read(path).expect("readable");
        let name = path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let checked = check_bytes(&name, path, &bytes, &FsLoader);
        assert!(checked.has_errors(), "{name} produced no error");
        for diagnostic in &checked.diagnostics {
            let text = checked.sources.text(diagnostic.file);
            assert!(
                diagnostic.span.end <= text.len(),
                "{name}: span outside the file"
            );
            assert!(
                anneal::diagnostics::lookup(diagnostic.code).is_some(),
                "{name}: unknown code"
            );
        }
        insta::assert_snapshot!(render_all(
            &checked.diagnostics,
            &checked.sources,
            RenderOptions::plain()
        ));
    });
}

#[test]
fn the_corpus_has_at_least_forty_scripts() {
    let count = common::scripts(&common::root().join("tests/diagnostics"))
        .iter()
        .filter(|p| !p.to_string_lossy().contains("/lib/"))
        .count();
    assert!(count >= 40, "only {count} wrong scripts");
}

#[test]
fn every_explain_example_of_an_error_code_is_self_consistent() {
    // Each code's explanation and example are non-empty and the codes are unique and ordered.
    let codes: Vec<&str> = anneal::diagnostics::CODES.iter().map(|c| c.code).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted);
    for info in anneal::diagnostics::CODES {
        assert!(
            !info.explanation.is_empty() && !info.example.is_empty(),
            "{}",
            info.code
        );
    }
}

/// Appends the text of every `.rs` file under `folder`, its subfolders included.
fn read_rust_sources(folder: &std::path::Path, source: &mut String) {
    for entry in std::fs::read_dir(folder).expect("folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            read_rust_sources(&path, source);
        } else if path.extension().is_some_and(|e| e == "rs") {
            source.push_str(&std::fs::read_to_string(path).expect("readable"));
        }
    }
}

#[test]
fn every_code_in_the_table_is_used_and_every_used_code_is_in_the_table() {
    let mut source = String::new();
    for folder in [
        "crates/syntax/src",
        "crates/semantics/src",
        "src/cli",
        "crates/plan/src",
        "crates/runner/src",
    ] {
        read_rust_sources(&common::root().join(folder), &mut source);
    }
    for info in anneal::diagnostics::CODES {
        assert!(
            source.contains(&format!("\"{}\"", info.code)),
            "{} is never produced",
            info.code
        );
    }
    for (index, _) in source
        .match_indices("\"E0")
        .chain(source.match_indices("\"W0"))
    {
        let code = &source[index + 1..index + 6];
        assert!(
            anneal::diagnostics::lookup(code).is_some(),
            "{code} is used but not in the table"
        );
    }
}
