//! The valid corpus checks clean; `fmt` is idempotent and meaning-preserving on every script.

mod common;

use anneal::diagnostics::{FileId, RenderOptions, render_all};
use anneal::syntax::{format::format_file, parse};

#[test]
fn valid_scripts_and_examples_check_clean() {
    let mut files = common::scripts(&common::root().join("tests/valid"));
    files.retain(|p| !p.to_string_lossy().contains("/lib/"));
    files.extend(common::scripts(&common::root().join("examples")));
    assert!(files.len() >= 5);
    for path in files {
        let checked = anneal::semantics::check_file(&path);
        let rendered = render_all(
            &checked.diagnostics,
            &checked.sources,
            RenderOptions::plain(),
        );
        assert!(
            checked.diagnostics.is_empty(),
            "{}:\n{rendered}",
            path.display()
        );
        assert!(
            checked.program.is_some(),
            "{} gave no program",
            path.display()
        );
    }
}

#[test]
fn stdlib_modules_check_clean() {
    for (name, text) in anneal::semantics::stdlib::MODULES {
        let checked = anneal::semantics::check_source(
            "probe.anneal",
            &format!("use {name}\n"),
            &anneal::semantics::MemoryLoader::default(),
        );
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error() || d.code != "W0001")
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: {}",
            render_all(
                &checked.diagnostics,
                &checked.sources,
                RenderOptions::plain()
            )
        );
        assert!(!text.is_empty());
    }
}

#[test]
fn fmt_is_idempotent_and_preserves_meaning() {
    for path in common::all_scripts() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(original) = parse(FileId(0), &text) else {
            continue;
        };
        let once = format_file(&original, &text);
        let reparsed = parse(FileId(0), &once).unwrap_or_else(|e| {
            panic!(
                "{}: formatted text does not parse: {e:?}\n{once}",
                path.display()
            )
        });
        assert_eq!(
            original.without_spans(),
            reparsed.without_spans(),
            "{}: fmt changed the meaning",
            path.display()
        );
        let twice = format_file(&reparsed, &once);
        assert_eq!(once, twice, "{}: fmt is not idempotent", path.display());
        assert_eq!(
            text.matches('#').count() - text.matches("\"#").count(),
            once.matches('#').count() - once.matches("\"#").count(),
            "{}: comments lost",
            path.display()
        );
    }
}

#[test]
fn the_first_sit_program_has_the_values_written() {
    let checked = anneal::semantics::check_file(&common::root().join("examples/first_sit.anneal"));
    let program = checked.program.expect("program");
    assert_eq!(program.experiment.seed, 7);
    assert_eq!(program.experiment.dt.value, 0.05);
    assert_eq!(program.experiment.duration.value, 2400.0);
    assert_eq!(program.harmonics.modes, 100);
    assert_eq!(program.harmonics.regional_per_region, 1);
    assert_eq!(program.cooling.kind, "exponential");
    assert_eq!(program.cooling.param("tau"), Some(900.0));
    assert_eq!(program.landscape.sweeps.value, 2.0);
    assert_eq!(program.sources.len(), 2);
    let song = &program.sources[1];
    assert_eq!(song.source.active_interval(), Some((900.0, 2100.0)));
    assert_eq!(program.record.observables.len(), 6);
    assert_eq!(program.expectations.len(), 2);
}

#[test]
fn scenario_items_rebind_lets_and_settings() {
    let path = common::root().join("tests/valid/every_construct.anneal");
    let text = std::fs::read_to_string(&path).expect("readable");
    let choice = vec![
        ("tempo".to_string(), "1".to_string()),
        ("seed".to_string(), "3".to_string()),
    ];
    let program = anneal::semantics::check_scenario_item(
        "every_construct.anneal",
        &path,
        &text,
        &anneal::semantics::FsLoader,
        "cooling rates",
        &choice,
    )
    .expect("item");
    assert_eq!(program.experiment.seed, 3);
    let song = program
        .sources
        .iter()
        .find(|s| s.name == "song")
        .expect("song");
    let beat = song.source.components[0]
        .parts
        .iter()
        .find_map(|p| match p {
            anneal::semantics::program::SourcePart::Beat { frequency, .. } => Some(frequency.value),
            _ => None,
        });
    assert_eq!(beat, Some(2.0), "tempo 120 bpm is 2 Hz");
}

/// The fast grammar, tried first, and the reference grammar, which reports errors, accept the same
/// scripts and build the same trees over every script of the repository, valid or wrong.
#[test]
fn fast_and_reference_grammars_agree_on_every_script() {
    use anneal::syntax::{guard, parser};
    let mut accepted = 0;
    for path in common::all_scripts() {
        let text = std::fs::read_to_string(&path).expect("readable script");
        if guard::check_text(FileId(0), &text).is_err()
            || guard::check_nesting(FileId(0), &text).is_err()
        {
            continue;
        }
        let fast = parser::parse_fast(FileId(0), &text);
        accepted += usize::from(fast.is_some());
        assert_eq!(
            fast,
            parser::parse_reference(FileId(0), &text),
            "{}",
            path.display()
        );
    }
    assert!(accepted > 10, "only {accepted} scripts parsed");
}
