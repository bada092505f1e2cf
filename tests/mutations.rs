//! Property test: random mutations of valid scripts never make the parser, checker or formatter
//! panic or hang, and the fast and reference grammars agree on every one. 100,000 cases in total
//! over the corpus.

mod common;

use anneal::diagnostics::FileId;
use anneal::semantics::{MemoryLoader, check_source};
use anneal::syntax::{guard, parser};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CASES: u32 = 100_000;

/// Pieces of the language that mutations splice in, so that mutants reach the checker often.
const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "=",
    "+",
    "-",
    "*",
    "/",
    "..",
    " by ",
    " and ",
    "not ",
    "<",
    ">=",
    "\"",
    "#",
    " ms",
    " Hz",
    " min",
    "%",
    "0",
    "1e308",
    "-3",
    "x",
    "let ",
    "fn ",
    "use ",
    "source ",
    "cooling ",
    "expect ",
    "mean(",
    "valence",
    "ring(nodes: 3)",
    "pulse(at: 1 min, for: 1 s)",
    "\n",
    "é",
    "\u{0}",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, fragment: usize },
    Duplicate { at: usize, len: usize },
    Swap { a: usize, b: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..12).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..FRAGMENTS.len())
            .prop_map(|(at, fragment)| Mutation::Insert { at, fragment }),
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap { a, b }),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, mutation: &Mutation) -> String {
    match mutation {
        Mutation::Delete { at, len } => {
            let start = boundary(text, *at);
            let end = boundary(text, (start + len).min(text.len()));
            format!("{}{}", &text[..start], &text[end.max(start)..])
        }
        Mutation::Insert { at, fragment } => {
            let at = boundary(text, *at);
            format!("{}{}{}", &text[..at], FRAGMENTS[*fragment], &text[at..])
        }
        Mutation::Duplicate { at, len } => {
            let start = boundary(text, *at);
            let end = boundary(text, (start + len).min(text.len())).max(start);
            format!("{}{}{}", &text[..end], &text[start..end], &text[end..])
        }
        Mutation::Swap { a, b } => {
            let (a, b) = (boundary(text, *a), boundary(text, *b));
            let (low, high) = (a.min(b), a.max(b));
            let tokens_low = text[low..].split_whitespace().next().unwrap_or("");
            let tokens_high = text[high..].split_whitespace().next().unwrap_or("");
            text.replacen(tokens_low, "\u{1}", 1)
                .replacen(tokens_high, tokens_low, 1)
                .replacen('\u{1}', tokens_high, 1)
        }
    }
}

#[test]
fn random_mutations_never_panic() {
    let mut corpus: Vec<String> = common::all_scripts()
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    corpus.retain(|t| t.len() < 20_000);
    assert!(!corpus.is_empty());
    let loader = MemoryLoader::default();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..corpus.len(), proptest::collection::vec(mutation(), 1..4));
    runner
        .run(&strategy, |(index, mutations)| {
            let mut text = corpus[index].clone();
            for m in &mutations {
                text = apply(&text, m);
            }
            let checked = check_source("mutant.anneal", &text, &loader);
            // The fast grammar (tried first) and the reference grammar (which reports errors)
            // accept the same mutants and build the same trees.
            if guard::check_text(FileId(0), &text).is_ok()
                && guard::check_nesting(FileId(0), &text).is_ok()
            {
                prop_assert_eq!(
                    parser::parse_fast(FileId(0), &text),
                    parser::parse_reference(FileId(0), &text),
                    "the grammars disagree on:\n{}",
                    text
                );
            }
            for diagnostic in &checked.diagnostics {
                prop_assert!(diagnostic.span.end <= checked.sources.text(diagnostic.file).len());
            }
            if let Ok(parsed) = anneal::syntax::parse(FileId(0), &text) {
                let formatted = anneal::syntax::format::format_file(&parsed, &text);
                let reparsed = anneal::syntax::parse(FileId(0), &formatted);
                prop_assert!(
                    reparsed.is_ok(),
                    "formatted mutant does not parse:\n{formatted}"
                );
                prop_assert_eq!(
                    parsed.without_spans(),
                    reparsed.expect("checked").without_spans()
                );
            }
            Ok(())
        })
        .expect("no mutant may crash the front end");
}
