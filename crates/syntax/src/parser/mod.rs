//! From text to [`ast::File`]: pest parses, then this module walks the pairs and builds the tree,
//! giving expressions their structure with a Pratt parser.
//!
//! Two grammars accept the same language and produce the same pairs. `grammar/anneal.pest` is the
//! reference: its choices are ordered so that pest's "expected ..." lists make good messages, and
//! every syntax error is reported from it. `grammar/anneal_fast.pest` is arranged for speed and is
//! tried first; only a file it rejects is parsed again with the reference grammar. The tree builder
//! works on the pairs of either (see [`GrammarRule`]).
//!
//! Syntax errors are rare and returned once per file, so the size of `Diagnostic` in `Result`
//! does not matter here.
#![allow(clippy::result_large_err)]

use crate::ast::*;
use crate::{guard, workers};
use anneal_diagnostics::{Diagnostic, FileId};
use pest::Parser;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::num::NonZeroUsize;
use std::sync::{Arc, OnceLock};

mod build;
mod errors;

use build::Builder;
pub use errors::{MAX_OPERATORS, STATEMENT_KEYWORDS};
use errors::{check_operator_counts, syntax_error};

mod reference {
    #[derive(pest_derive::Parser)]
    #[grammar = "../../../grammar/anneal.pest"]
    pub struct ReferenceParser;
}

mod fast {
    #[derive(pest_derive::Parser)]
    #[grammar = "../../../grammar/anneal_fast.pest"]
    pub struct FastParser;
}

use reference::{ReferenceParser, Rule};

/// The rules of either grammar, as the tree builder sees them.
trait GrammarRule: pest::RuleType + 'static {
    /// The rule of the same name in the reference grammar, which the builder matches on.
    fn reference(self) -> Rule;
    /// The operator table, over this grammar's rules.
    fn pratt() -> &'static PrattParser<Self>;
}

/// The operators by precedence, loosest first (the order of `BinaryOp::precedence`); `Rule` is the
/// rule enum in scope where the macro is expanded.
macro_rules! operator_table {
    () => {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left))
            .op(Op::infix(Rule::op_by, Assoc::Left))
            .op(Op::infix(Rule::op_range_incl, Assoc::Left))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
            .op(Op::prefix(Rule::op_neg) | Op::prefix(Rule::op_not))
            .op(Op::postfix(Rule::call_args) | Op::postfix(Rule::field))
    };
}

impl GrammarRule for Rule {
    fn reference(self) -> Rule {
        self
    }

    fn pratt() -> &'static PrattParser<Rule> {
        static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
        PRATT.get_or_init(|| operator_table!())
    }
}

/// Maps every rule of the fast grammar to the reference rule of the same name. The match is
/// exhaustive, so a rule added to one grammar and not to the other does not compile.
macro_rules! same_rules {
    ($($name:ident),* $(,)?) => {
        impl GrammarRule for fast::Rule {
            fn reference(self) -> Rule {
                match self {
                    $(fast::Rule::$name => Rule::$name,)*
                }
            }

            fn pratt() -> &'static PrattParser<fast::Rule> {
                use fast::Rule;
                static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
                PRATT.get_or_init(|| operator_table!())
            }
        }
    };
}

same_rules!(
    EOI,
    WHITESPACE,
    file,
    statement,
    word_char,
    word,
    ident,
    use_stmt,
    module_path,
    use_tail,
    let_stmt,
    fn_stmt,
    fn_param,
    fn_body,
    experiment_stmt,
    connectome_stmt,
    harmonics_stmt,
    sinks_stmt,
    cooling_stmt,
    source_stmt,
    landscape_stmt,
    record_stmt,
    expect_stmt,
    scenario_stmt,
    scenario_item,
    vary_stmt,
    settings,
    setting,
    pattern_decl,
    plain_setting,
    per_clause,
    record_item,
    record_arg,
    by_clause,
    expr,
    infix,
    op_or,
    op_and,
    op_eq,
    op_ne,
    op_le,
    op_ge,
    op_lt,
    op_gt,
    op_range_incl,
    op_by,
    op_add,
    op_sub,
    op_mul,
    op_div,
    prefix,
    op_neg,
    op_not,
    call_args,
    call_arg,
    field,
    primary,
    paren,
    quantity,
    number,
    unit,
    string,
    string_inner,
    boolean,
    list,
    list_item,
    record,
    record_field,
);

/// Parses a whole file. On syntax errors, tries to find every error (not only the first) by
/// re-parsing the file statement by statement.
pub fn parse(file: FileId, text: &str) -> Result<File, Vec<Diagnostic>> {
    parse_into(file, text, None, &mut IgnoreStatements)
}

/// Receives a file's statements while [`parse_streaming`] parses it.
pub trait StatementSink {
    /// Receives, in file order and before any statement goes to [`StatementSink::statement`],
    /// every statement in whose text the early word given to [`parse_streaming`] occurs (and
    /// possibly others).
    fn early(&mut self, statement: &Statement);
    /// Receives every statement of the file, in file order.
    fn statement(&mut self, statement: &Statement);
}

/// Parses a whole file like [`parse`] and hands its statements to `sink` as they are ready: while
/// the sink works on the first statements of a large file, the pool's threads parse the later
/// ones (see [`parse_fast`]). Statements containing `early_word` go to the sink first (see
/// [`StatementSink`]). When the file has a syntax error the result is `Err`, and the sink may have
/// seen some statements before the error was found: what it made of them is to be dropped.
pub fn parse_streaming(
    file: FileId,
    text: &str,
    early_word: &str,
    sink: &mut dyn StatementSink,
) -> Result<File, Vec<Diagnostic>> {
    parse_into(file, text, Some(early_word), sink)
}

/// [`parse`] and [`parse_streaming`]: the guards, the fast grammar, and the reference grammar for
/// the messages of a file the fast one refuses.
fn parse_into(
    file: FileId,
    text: &str,
    early_word: Option<&str>,
    sink: &mut dyn StatementSink,
) -> Result<File, Vec<Diagnostic>> {
    guard::check_text(file, text).map_err(|d| vec![d])?;
    guard::check_nesting(file, text).map_err(|d| vec![d])?;
    match parse_fast_into(file, text, threads_for(text), early_word, sink) {
        Some(parsed) => Ok(parsed),
        None => parse_reporting_errors(file, text),
    }
}

/// Parses a file that the fast grammar refused with the reference grammar, for its messages.
fn parse_reporting_errors(file: FileId, text: &str) -> Result<File, Vec<Diagnostic>> {
    match parse_chunk(file, text, 0, text.len(), false) {
        Ok(parsed) => Ok(parsed),
        Err(first) => {
            let mut all = Vec::new();
            for (start, end) in statement_chunks(text) {
                if let Err(error) = parse_chunk(file, text, start, end, true) {
                    all.push(error);
                }
            }
            // The chunks cover the file, so every error shows up in one of them with detail; if
            // splitting hid the error (a statement spanning chunks), the whole-file error stands.
            if all.is_empty() {
                all.push(first);
            }
            all.sort_by_key(|d| d.span.start);
            Err(all)
        }
    }
}

/// Parses `text` as one expression alone (a line typed at the REPL prompt), with spans into
/// `text`. The same guards and operator limit as for a file apply.
pub fn parse_expression(file: FileId, text: &str) -> Result<Expr, Diagnostic> {
    guard::check_text(file, text)?;
    guard::check_nesting(file, text)?;
    set_call_limit(text);
    let pairs = ReferenceParser::parse(Rule::expression_line, text).map_err(|_| {
        // A failed line is short: parse it again with pest's error detail for a precise message.
        pest::set_error_detail(true);
        let detailed = ReferenceParser::parse(Rule::expression_line, text);
        pest::set_error_detail(false);
        let mut diagnostic = match detailed {
            Err(error) => syntax_error(file, text, 0, error),
            Ok(_) => Diagnostic::error("E0001", file, Span::new(0, 0), "the parser failed"),
        };
        // The messages are written for files: here the input is one line, and the advice
        // about misspelled statements does not apply to an expression.
        let for_line = |text: &str| text.replace("the end of the file", "the end of the line");
        diagnostic.message = for_line(&diagnostic.message);
        for label in &mut diagnostic.labels {
            label.message = for_line(&label.message);
        }
        diagnostic.help = diagnostic
            .help
            .filter(|help| !help.contains("does not start a statement"));
        diagnostic
    })?;
    let line = pairs
        .into_iter()
        .next()
        .expect("the expression_line rule always produces one pair");
    check_operator_counts(file, 0, line.clone())?;
    let expr = line
        .into_inner()
        .find(|p| p.as_rule() == Rule::expr)
        .expect("an expression line holds one expression");
    Ok(Builder { offset: 0 }.expr(expr))
}

/// Parses with the fast grammar; `None` when it rejects the text or the operator limit is
/// exceeded, which the reference grammar then reports. Exposed for the test that both grammars
/// agree; the guards of [`parse`] must have passed.
///
/// The text is parsed in batches of whole statements (cut where a line starts with a statement
/// keyword, see [`statement_chunks`]), so that pest's token queue stays small and in cache instead
/// of growing to tens of megabytes for a large file. A cut never changes the tree: no rule
/// continues a complete statement with a word at the start of a line, and a cut inside brackets
/// leaves a batch that does not parse, so the whole file goes to the reference grammar. The
/// batches of a large file are parsed on all cores ([`parse_fast_into`]).
#[doc(hidden)]
pub fn parse_fast(file: FileId, text: &str) -> Option<File> {
    parse_fast_into(file, text, threads_for(text), None, &mut IgnoreStatements)
}

/// How many threads parse `text`: a file smaller than 128 KB per thread stays on fewer threads,
/// because handing a batch to another thread costs more than parsing a small one.
fn threads_for(text: &str) -> usize {
    const BYTES_PER_THREAD: usize = 128 * 1024;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    cores.min(text.len() / BYTES_PER_THREAD).max(1)
}

/// [`parse_fast`] on at most `threads` threads (the calling one and the pool's), handing the
/// statements to `sink` on the calling thread, those of the batches where `early_word` occurs
/// first. Batches are started in file order by whichever thread is free, and their statements
/// are joined in file order, so the tree is the same whatever the number of threads.
fn parse_fast_into(
    file: FileId,
    text: &str,
    threads: usize,
    early_word: Option<&str>,
    sink: &mut dyn StatementSink,
) -> Option<File> {
    let batches: Arc<[std::ops::Range<usize>]> = fast_batches(text).into();
    if let Some(largest) = batches.iter().map(|batch| batch.len()).max() {
        set_call_limit(&text[..largest]);
    }
    let early = early_word.map_or_else(Vec::new, |word| batches_holding(&batches, text, word));
    let helpers = threads.clamp(1, batches.len().max(1)) - 1;
    // The pool's threads outlive this call, so they read their own copy of the text.
    let shared: Arc<str> = Arc::from(text);
    let parse_batch = {
        let batches = Arc::clone(&batches);
        move |index: usize| {
            let batch = batches[index].clone();
            let pairs = fast::FastParser::parse(fast::Rule::file, &shared[batch.clone()]).ok()?;
            let mut statements = Vec::new();
            build_statements(file, batch.start, pairs, &mut statements).ok()?;
            Some(statements)
        }
    };
    workers::make_in_order(batches.len(), helpers, parse_batch, |take| {
        let mut parts: Vec<Option<Vec<Statement>>> = (0..batches.len()).map(|_| None).collect();
        for &index in &early {
            let part = take(index)?;
            for statement in &part {
                sink.early(statement);
            }
            parts[index] = Some(part);
        }
        for (index, slot) in parts.iter_mut().enumerate() {
            let part = match slot.take() {
                Some(part) => part,
                None => take(index)?,
            };
            for statement in &part {
                sink.statement(statement);
            }
            *slot = Some(part);
        }
        Some(File {
            statements: parts.into_iter().flatten().flatten().collect(),
        })
    })
}

/// The indices of the batches in which `word` occurs, in order.
fn batches_holding(batches: &[std::ops::Range<usize>], text: &str, word: &str) -> Vec<usize> {
    let mut holding: Vec<usize> = Vec::new();
    for (offset, _) in text.match_indices(word) {
        let index = batches.partition_point(|batch| batch.end <= offset);
        if holding.last() != Some(&index) {
            holding.push(index);
        }
    }
    holding
}

/// A sink for a parse whose statements are only wanted at the end.
struct IgnoreStatements;

impl StatementSink for IgnoreStatements {
    fn early(&mut self, _: &Statement) {}
    fn statement(&mut self, _: &Statement) {}
}

/// The batches of whole statements that the fast grammar parses one at a time: cut at statement
/// starts (see [`statement_chunks`]) once a batch holds at least `BATCH_BYTES`.
fn fast_batches(text: &str) -> Vec<std::ops::Range<usize>> {
    /// Smallest batch: big enough that the per-parse set-up is negligible, small enough to stay
    /// in cache.
    const BATCH_BYTES: usize = 16 * 1024;
    let mut batches = Vec::new();
    let mut batch_start = 0;
    for (_, end) in statement_chunks(text) {
        if end - batch_start < BATCH_BYTES && end < text.len() {
            continue;
        }
        batches.push(batch_start..end);
        batch_start = end;
    }
    batches
}

/// Parses with the reference grammar alone, without messages: the counterpart of [`parse_fast`]
/// for the test that both grammars agree.
#[doc(hidden)]
pub fn parse_reference(file: FileId, text: &str) -> Option<File> {
    set_call_limit(text);
    let pairs = ReferenceParser::parse(Rule::file, text).ok()?;
    build_file(file, 0, pairs).ok()
}

/// pest counts rule calls; a generous limit proportional to the input turns any pathological
/// backtracking into an error instead of a hang.
fn set_call_limit(text: &str) {
    let limit = (text.len().saturating_mul(400)).max(1_000_000);
    pest::set_call_limit(NonZeroUsize::new(limit));
}

/// Builds the tree of a parsed file (or of the chunk starting at `offset`), refusing statements
/// with too many operators.
fn build_file<R: GrammarRule>(
    file: FileId,
    offset: usize,
    pairs: Pairs<R>,
) -> Result<File, Diagnostic> {
    let mut statements = Vec::new();
    build_statements(file, offset, pairs, &mut statements)?;
    Ok(File { statements })
}

/// Appends the statements of a parsed file (or chunk) to `statements`, refusing statements with
/// too many operators.
fn build_statements<R: GrammarRule>(
    file: FileId,
    offset: usize,
    pairs: Pairs<R>,
    statements: &mut Vec<Statement>,
) -> Result<(), Diagnostic> {
    let builder = Builder { offset };
    let file_pair = pairs
        .into_iter()
        .next()
        .expect("the file rule always produces one pair");
    check_operator_counts(file, offset, file_pair.clone())?;
    statements.extend(
        file_pair
            .into_inner()
            .filter(|p| p.as_rule().reference() != Rule::EOI)
            .map(|p| builder.statement(p)),
    );
    Ok(())
}

/// The byte ranges of text starting at lines that begin (in column 0) with a statement keyword.
fn statement_chunks(text: &str) -> Vec<(usize, usize)> {
    const STARTERS: [&str; 13] = [
        "use ",
        "let ",
        "fn ",
        "experiment ",
        "connectome ",
        "harmonics ",
        "sinks",
        "cooling ",
        "source ",
        "landscape ",
        "record ",
        "expect ",
        "scenario ",
    ];
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > 0 && STARTERS.iter().any(|starter| line.starts_with(starter)) {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| (start, starts.get(i + 1).copied().unwrap_or(text.len())))
        .collect()
}

/// Parses `full[offset..end]`. With `detail`, a failed parse is repeated with pest's error detail
/// on: it records the literal tokens (`=`, `{`) wanted at the furthest position, which makes
/// messages precise but costs time, so only the small chunks of a failed file pay it.
fn parse_chunk(
    file: FileId,
    full: &str,
    offset: usize,
    end: usize,
    detail: bool,
) -> Result<File, Diagnostic> {
    let text = &full[offset..end];
    set_call_limit(text);
    let pairs = ReferenceParser::parse(Rule::file, text).map_err(|plain| {
        if !detail {
            return syntax_error(file, full, offset, plain);
        }
        pest::set_error_detail(true);
        let detailed = ReferenceParser::parse(Rule::file, text);
        pest::set_error_detail(false);
        match detailed {
            Err(error) => syntax_error(file, full, offset, error),
            Ok(_) => Diagnostic::error(
                "E0001",
                file,
                Span::new(offset, offset),
                "the parser failed",
            ),
        }
    })?;
    build_file(file, offset, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> File {
        match parse(FileId(0), text) {
            Ok(file) => file,
            Err(errors) => panic!("parse failed: {errors:?}"),
        }
    }

    fn first_expr(text: &str) -> Expr {
        match &parse_ok(text).statements[0].kind {
            StatementKind::Let { value, .. } => value.clone(),
            other => panic!("not a let: {other:?}"),
        }
    }

    #[test]
    fn precedence_and_spans() {
        let expr = first_expr("let x = 1 + 2 * 3 s");
        let ExprKind::Binary {
            op: BinaryOp::Add,
            rhs,
            ..
        } = &expr.kind
        else {
            panic!("{expr:?}")
        };
        assert!(matches!(
            rhs.kind,
            ExprKind::Binary {
                op: BinaryOp::Mul,
                ..
            }
        ));
        assert_eq!(expr.span, Span::new(8, 19));
        assert_eq!(rhs.span, Span::new(12, 19));
    }

    #[test]
    fn units_bind_to_numbers_and_spans_are_bytes() {
        let text = "# é\nlet x = 20 ms";
        let expr = first_expr(text);
        assert_eq!(&text[expr.span.range()], "20 ms");
        let ExprKind::Number {
            unit: Some(unit), ..
        } = expr.kind
        else {
            panic!()
        };
        assert_eq!(unit.text, "ms");
    }

    /// Calls and fields after an operand are folded without the Pratt parser: the result must be
    /// the tree the Pratt parser builds (it still builds the same chain inside an operator).
    #[test]
    fn chains_of_calls_and_fields_nest_from_the_left() {
        let alone = first_expr("let x = f(a)(b).c.d(e)");
        let within = first_expr("let x = f(a)(b).c.d(e) + 1");
        let ExprKind::Binary { lhs, .. } = within.kind else {
            panic!("an addition")
        };
        // Both texts start alike, so the operand of `+` has the same spans as the chain alone.
        assert_eq!(alone, *lhs);
        let text = "let x = f(a)(b).c.d(e)";
        assert_eq!(&text[alone.span.range()], "f(a)(b).c.d(e)");
        let ExprKind::Call { callee, args } = alone.kind else {
            panic!("the outermost node is the last call")
        };
        assert_eq!(args.len(), 1);
        assert_eq!(&text[callee.span.range()], "f(a)(b).c.d");
        let ExprKind::Field { object, field } = callee.kind else {
            panic!("then the field d")
        };
        assert_eq!(field.text, "d");
        assert_eq!(&text[object.span.range()], "f(a)(b).c");
    }

    #[test]
    fn calls_with_named_arguments_and_tables() {
        let expr = first_expr("let s = f(1, at: 2 min, table: [0 min: 1.0, 5 min: 0.5])");
        let ExprKind::Call { args, .. } = expr.kind else {
            panic!()
        };
        assert_eq!(args.len(), 3);
        assert_eq!(args[1].name.as_ref().unwrap().text, "at");
        let ExprKind::List(items) = &args[2].value.kind else {
            panic!()
        };
        assert!(items[0].key.is_some());
    }

    #[test]
    fn empty_file_is_fine() {
        assert!(parse_ok("").statements.is_empty());
        assert!(parse_ok("  # only a comment\n").statements.is_empty());
    }

    #[test]
    fn every_error_of_a_file_is_reported() {
        let errors = parse(FileId(0), "let a = (1\nlet b = 2\nlet c = * 3\n").unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn a_ten_megabyte_line_parses() {
        let text = format!("let x = \"{}\"", "a".repeat(10 << 20));
        assert_eq!(parse_ok(&text).statements.len(), 1);
        let list = format!("let y = [1{}]", ", 1".repeat(200_000));
        assert_eq!(parse_ok(&list).statements.len(), 1);
        let sum = format!("let y = 1{}", " + 1".repeat(200_000));
        assert_eq!(parse(FileId(0), &sum).unwrap_err()[0].code, "E0003");
        let negations = format!("let z = {}1", "-".repeat(100_000));
        assert_eq!(parse(FileId(0), &negations).unwrap_err()[0].code, "E0003");
    }

    /// Both grammars give the same tree, or both reject, on texts that stress what the fast grammar
    /// arranges differently: whitespace and comments, names next to keywords, operators after
    /// operands, strings with escapes. `tests/valid.rs` and `tests/mutations.rs` compare them over
    /// the corpora.
    #[test]
    fn fast_grammar_matches_the_reference() {
        let texts = [
            "",
            "# only a comment",
            "let x = 1 # trailing comment\n\n  # indented comment\r\nlet y = x",
            "letx = 1",
            "let x=-not-1..2 by 3",
            "let x = a.b.c(1)(2).d",
            "let x = f(at: 1 min, for: 2 s, [1, 2,], {a: 1, b: 2})",
            "let x = f(a::b)",
            "let x = 1e5 ms + 2.5E-3Hz * 3 % / 4 bpm",
            "let x = 1 mx",
            "let x = 2 min2",
            "let x = a == b != c <= d >= e < f > g and h or i",
            "let x = andy + order + byte + notable + in_ + true_ + falsehood",
            "let x = true and false",
            "let x = fnord + uses + letter + perk + tru + u + p + a + b + by_ + zeta + Mu",
            "let x = 1 + per",
            "let x = 1 s + 2 sx + 3 min + 4 minx + 5 ms + 6 mm + 7 m + 8 h + 9 d + 10 Hz + 11 bpm",
            "let x = \"a \\\" b \\n \\t \\\\ c\"",
            "let x = \"bad \\q escape\"",
            "let x = \"unclosed\nlet y = 1",
            "fn f(a, b = 2,) { let c = a\n let d = b\n c + d }",
            "fn f() = 1\nfn g(x) = f() + x",
            "use std.sources.{meditation, music,}\nuse \"lib.anneal\" as lib\nuse std.cooling",
            "experiment \"e\" { seed 7 dt 20 ms duration 1 h }",
            "landscape on regions { pattern calm = regions(\"a\") scale 2 couplings hebbian sweeps 2 per s }",
            "record every 1 s { temperature, energy by band, overlap(calm), } to \"out\"",
            "scenario \"s\" { vary seed in 1..8 expect mean(valence) > 0 }",
            "harmonics of brain { modes 10 }\nsinks { gain 1 }\ncooling exponential(from: 1, to: 0, tau: 1 min)",
            "connectome brain = human_cortex()\nsource s = pulse(at: 1 min, for: 1 s)\nexpect s > 0",
            "let x = (1 + 2",
            "let = 1",
            "let x = 1 +",
            "let x = [1: 2, 3: 4]",
            "expect not a and -b",
        ];
        for text in texts {
            assert_eq!(
                parse_fast(FileId(0), text),
                parse_reference(FileId(0), text),
                "{text:?}"
            );
        }
        assert!(parse_fast(FileId(0), texts[2]).is_some());
    }

    /// A file of many batches gives the reference grammar's tree on any number of threads, and
    /// one bad batch sends the whole file back.
    #[test]
    fn parallel_fast_parse_matches_the_reference_on_any_number_of_threads() {
        let block =
            "let a = 1 s + f(x: [1, 2], y: 3 Hz) # c\nfn g(b = 2) = b * 2\n\nexpect mean(v) > 0\n";
        let text = block.repeat(2_000);
        let reference = parse_reference(FileId(0), &text).expect("the reference grammar parses");
        assert!(fast_batches(&text).len() > 4);
        let on = |text: &str, threads| {
            parse_fast_into(FileId(0), text, threads, None, &mut IgnoreStatements)
        };
        for threads in [0, 1, 2, 3, 7, 10_000] {
            assert_eq!(
                on(&text, threads).as_ref(),
                Some(&reference),
                "{threads} threads"
            );
        }
        let broken = format!("{text}let = 1\n{text}");
        for threads in [1, 3] {
            assert_eq!(on(&broken, threads), None, "{threads} threads");
        }
    }

    /// Records what a streamed parse hands over, and in which order.
    #[derive(Default)]
    struct Recorder {
        early: Vec<Span>,
        statements: Vec<Span>,
        early_after_statements: bool,
    }

    impl StatementSink for Recorder {
        fn early(&mut self, statement: &Statement) {
            self.early_after_statements |= !self.statements.is_empty();
            self.early.push(statement.span);
        }
        fn statement(&mut self, statement: &Statement) {
            self.statements.push(statement.span);
        }
    }

    /// Every statement reaches the sink once, in file order, and the statements holding the early
    /// word (here a landscape near the end of a large file) reach it before any other.
    #[test]
    fn a_streamed_parse_hands_over_every_statement_in_order_the_early_ones_first() {
        let block = "let a = 1 s + f(x: [1, 2], y: 3 Hz)\nexpect mean(v) > 0\n";
        let landscape = "landscape on regions {\n  pattern calm = regions(\"A\")\n}\n";
        let text = format!("{}{landscape}{}", block.repeat(6_000), block.repeat(100));
        for threads in [1, 2, 5] {
            let mut recorder = Recorder::default();
            let parsed =
                parse_fast_into(FileId(0), &text, threads, Some("landscape"), &mut recorder)
                    .expect("parses");
            let spans: Vec<Span> = parsed.statements.iter().map(|s| s.span).collect();
            assert_eq!(recorder.statements, spans, "{threads} threads");
            assert!(!recorder.early_after_statements);
            let landscape_span = parsed
                .statements
                .iter()
                .find(|s| matches!(s.kind, StatementKind::Landscape { .. }))
                .expect("the landscape is parsed")
                .span;
            assert!(recorder.early.contains(&landscape_span));
            assert!(
                recorder.early.len() < spans.len() / 10,
                "only the batch holding the word"
            );
        }
        let mut recorder = Recorder::default();
        let broken = format!("{text}let = 1\n");
        assert!(parse_streaming(FileId(0), &broken, "landscape", &mut recorder).is_err());
    }

    /// pest is built without its stack guard (see `Cargo.toml`), so the nesting limit is what
    /// bounds its recursion: the deepest nesting accepted must parse, with either grammar, on a
    /// thread with a quarter of the stack of a default Rust thread.
    #[test]
    fn the_deepest_accepted_nesting_parses_on_a_small_stack() {
        let depth = guard::MAX_NESTING;
        let texts = [
            format!("let x = {}1{}", "(".repeat(depth), ")".repeat(depth)),
            format!("let x = {}1{}", "[".repeat(depth), "]".repeat(depth)),
            format!("let x = {}1{}", "f(".repeat(depth), ")".repeat(depth)),
            format!(
                "let x = {}a: 1{}",
                "{a: ".repeat(depth - 1) + "{",
                "}".repeat(depth)
            ),
            format!("let x = {}1{}", "(".repeat(depth), " +".repeat(depth)),
        ];
        std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || {
                for text in &texts {
                    assert_eq!(
                        parse_fast(FileId(0), text),
                        parse_reference(FileId(0), text)
                    );
                    let _ = parse(FileId(0), text);
                }
                assert!(parse_fast(FileId(0), &texts[0]).is_some());
            })
            .expect("thread starts")
            .join()
            .expect("no stack overflow");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("let x = {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let errors = parse(FileId(0), &text).unwrap_err();
        assert_eq!(errors[0].code, "E0003");
        let unclosed = format!("let x = {}", "[".repeat(90));
        assert_eq!(parse(FileId(0), &unclosed).unwrap_err()[0].code, "E0001");
    }
}
