//! Syntax errors: pest's "expected ..." lists turned into messages a person can act on, and
//! the limits that keep every tree shallow.

use super::*;
use crate::suggest::edit_distance;

/// Most operators accepted in one statement. A chain `1 + 1 + ...` becomes a tree as deep as it is
/// long, and every later stage walks trees recursively; with brackets limited to
/// [`guard::MAX_NESTING`] this keeps every tree shallow enough for any thread's stack.
pub const MAX_OPERATORS: usize = 500;

pub(super) fn check_operator_counts<R: GrammarRule>(
    file: FileId,
    offset: usize,
    file_pair: Pair<R>,
) -> Result<(), Diagnostic> {
    for statement in file_pair.into_inner() {
        // Every operator pair starts at a byte of its own (its symbol, or the `(` or `.` of a call
        // or field), so a statement of at most `MAX_OPERATORS` bytes cannot exceed the limit and
        // its pairs need not be walked again.
        if statement.as_span().end() - statement.as_span().start() <= MAX_OPERATORS {
            continue;
        }
        let operators = statement
            .clone()
            .into_inner()
            .flatten()
            .filter(|p| {
                matches!(
                    p.as_rule().reference(),
                    Rule::op_or
                        | Rule::op_and
                        | Rule::op_eq
                        | Rule::op_ne
                        | Rule::op_le
                        | Rule::op_ge
                        | Rule::op_lt
                        | Rule::op_gt
                        | Rule::op_range_incl
                        | Rule::op_by
                        | Rule::op_add
                        | Rule::op_sub
                        | Rule::op_mul
                        | Rule::op_div
                        | Rule::op_neg
                        | Rule::op_not
                        | Rule::call_args
                        | Rule::field
                )
            })
            .count();
        if operators > MAX_OPERATORS {
            let span = Span::new(
                statement.as_span().start() + offset,
                statement.as_span().start() + offset,
            );
            return Err(Diagnostic::error(
                "E0003",
                file,
                span,
                format!("this statement has {operators} operators; at most {MAX_OPERATORS} are allowed in one statement"),
            )
            .with_help("split the expression into smaller parts with `let`"));
        }
    }
    Ok(())
}

pub(super) fn syntax_error(
    file: FileId,
    text: &str,
    offset: usize,
    error: pest::error::Error<Rule>,
) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    // Positions from pest are relative to the chunk that was parsed; everything below works on
    // absolute offsets into the whole text, so that "found ..." describes what really follows.
    let (mut start, mut end) = match error.location {
        InputLocation::Pos(pos) => (pos + offset, pos + offset),
        InputLocation::Span((a, b)) => (a + offset, b + offset),
    };
    let mut detailed_expectations: Vec<String> = Vec::new();
    if let Some(attempts) = error.parse_attempts()
        && attempts.max_position + offset >= start
        && attempts.max_position + offset <= text.len()
    {
        start = attempts.max_position + offset;
        end = start;
        for token in attempts.expected_tokens() {
            let token = token.to_string();
            // Character ranges and builtin rules (`ASCII_DIGIT`) describe the inside of numbers
            // and names; the rule names below say that better.
            if !token.contains("..") && token != "BUILTIN_RULE" && !token.trim().is_empty() {
                detailed_expectations.push(format!("`{token}`"));
            }
        }
        for stack in &attempts.call_stacks {
            if let Some(rule) = stack.parent {
                detailed_expectations.push(friendly(rule).to_string());
            }
        }
    }
    // Point at the token that stopped the parser, not at an empty position.
    let token_end = if end == start {
        next_token_end(text, start)
    } else {
        end
    };
    let span = Span::new(start, token_end);
    let found = if start >= text.len() {
        "the end of the file".to_string()
    } else {
        describe_token(&text[start..token_end])
    };
    let message = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut expected: Vec<String> = if detailed_expectations.is_empty() {
                positives
                    .iter()
                    .map(|rule| friendly(*rule).to_string())
                    .collect()
            } else {
                detailed_expectations
            };
            expected.sort();
            expected.dedup();
            summarise(&mut expected);
            expected.retain(|e| e != "more input");
            let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            if expected.is_empty() {
                format!("unexpected {found}")
            } else {
                format!("expected {}, found {found}", join_alternatives(&expected))
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let mut diagnostic = Diagnostic::error("E0001", file, span, message)
        .with_label(span, format!("unexpected {found}"));
    let rest = &text[start.min(text.len())..];
    let before = &text[..start.min(text.len())];
    let previous = before.trim_end();
    let same_line = !before[previous.len()..].contains('\n');
    if let Some(word) = rest.split(|c: char| !c.is_ascii_alphanumeric()).next()
        && same_line
        && previous.chars().last().is_some_and(|c| c.is_ascii_digit())
        && !word.is_empty()
        && word.chars().all(|c| c.is_ascii_alphabetic())
    {
        diagnostic = diagnostic.with_help(format!(
            "`{word}` is not a unit; units are s, ms, min, h, d (time), Hz, bpm (frequency), mm, cm, m (length) and %"
        ));
    } else if let Some(help) = misspelled_statement(text, start) {
        diagnostic = diagnostic.with_help(help);
    } else if rest.is_empty() {
        diagnostic = diagnostic.with_help("the file ends early: is a bracket or a value missing?");
    }
    diagnostic
}

/// Replaces long lists of alternatives by what they have in common: after a value any operator,
/// unit or new statement may follow, and naming each buries the useful alternatives.
fn summarise(expected: &mut Vec<String>) {
    const GROUPS: &[(&str, &[&str])] = &[
        (
            "an operator",
            &[
                "`!=`", "`*`", "`+`", "`-`", "`..`", "`/`", "`<=`", "`<`", "`==`", "`>=`", "`>`",
                "`and`", "`by`", "`or`", "`(`", "`.`",
            ],
        ),
        (
            "a unit",
            &[
                "`%`", "`Hz`", "`bpm`", "`cm`", "`d`", "`h`", "`m`", "`min`", "`mm`", "`ms`",
                "`s`", "a unit",
            ],
        ),
        (
            "a new statement",
            &[
                "`connectome`",
                "`cooling`",
                "`expect`",
                "`experiment`",
                "`fn`",
                "`harmonics`",
                "`landscape`",
                "`let`",
                "`record`",
                "`scenario`",
                "`sinks`",
                "`source`",
                "`use`",
                "a statement",
            ],
        ),
        (
            "a value",
            &[
                "`\"`", "`(`", "`-`", "`[`", "`false`", "`not`", "`true`", "`{`", "a name",
                "a number", "a string",
            ],
        ),
    ];
    expected.retain(|e| e != "`#`" && e != "`_`" && e != "more input");
    for (summary, members) in GROUPS {
        if expected
            .iter()
            .filter(|e| members.contains(&e.as_str()))
            .count()
            >= 3
        {
            expected.retain(|e| !members.contains(&e.as_str()));
            expected.push((*summary).to_string());
        }
    }
    expected.sort();
    expected.dedup();
}

/// The words that start a statement rather than an expression.
pub const STATEMENT_KEYWORDS: [&str; 13] = [
    "use",
    "let",
    "fn",
    "experiment",
    "connectome",
    "harmonics",
    "sinks",
    "cooling",
    "source",
    "landscape",
    "record",
    "expect",
    "scenario",
];

/// `lett x = 1` fails at `x` (pest reads `let` then `t`); the first word of the line tells.
fn misspelled_statement(text: &str, at: usize) -> Option<String> {
    let line_start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let word: String = text[line_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if word.is_empty()
        || STATEMENT_KEYWORDS.contains(&word.as_str())
        || line_start != 0
            && text[..line_start]
                .trim_end()
                .ends_with(['{', ',', '(', '['])
    {
        return None;
    }
    let closest = STATEMENT_KEYWORDS
        .iter()
        .min_by_key(|k| edit_distance(&word, k))?;
    (edit_distance(&word, closest) <= 2)
        .then(|| format!("`{word}` does not start a statement; did you mean `{closest}`?"))
}

fn next_token_end(text: &str, start: usize) -> usize {
    let rest = &text[start.min(text.len())..];
    let Some(first) = rest.chars().next() else {
        return start;
    };
    if first.is_ascii_alphanumeric() || first == '_' {
        start
            + rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(rest.len())
    } else {
        start + first.len_utf8()
    }
}

fn describe_token(token: &str) -> String {
    match token {
        "\n" => "a line break".to_string(),
        _ if token.chars().count() > 40 => {
            format!("`{}…`", token.chars().take(40).collect::<String>())
        }
        _ => format!("`{token}`"),
    }
}

fn join_alternatives(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn friendly(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the file",
        Rule::ident | Rule::word => "a name",
        Rule::expr => "an expression",
        Rule::string | Rule::string_inner => "a string",
        Rule::quantity | Rule::number => "a number",
        Rule::unit => "a unit",
        Rule::use_stmt
        | Rule::let_stmt
        | Rule::fn_stmt
        | Rule::experiment_stmt
        | Rule::connectome_stmt
        | Rule::harmonics_stmt
        | Rule::sinks_stmt
        | Rule::cooling_stmt
        | Rule::source_stmt
        | Rule::landscape_stmt
        | Rule::record_stmt
        | Rule::expect_stmt
        | Rule::scenario_stmt => "a statement",
        Rule::settings => "a settings block `{ ... }`",
        Rule::pattern_decl | Rule::plain_setting => "a setting",
        Rule::per_clause => "`per`",
        Rule::record_item => "a quantity to record",
        Rule::record_arg => "`(`",
        Rule::by_clause | Rule::op_by => "`by`",
        Rule::vary_stmt => "`vary`",
        Rule::call_args => "`(`",
        Rule::call_arg => "an argument",
        Rule::field => "`.`",
        Rule::fn_param => "a parameter",
        Rule::fn_body => "`=` or `{`",
        Rule::module_path => "a module path",
        Rule::use_tail => "`.{` or `as`",
        Rule::list | Rule::list_item => "a list",
        Rule::record | Rule::record_field => "a record field",
        Rule::paren => "`(`",
        Rule::boolean => "`true` or `false`",
        Rule::op_or => "`or`",
        Rule::op_and => "`and`",
        Rule::op_eq => "`==`",
        Rule::op_ne => "`!=`",
        Rule::op_le => "`<=`",
        Rule::op_ge => "`>=`",
        Rule::op_lt => "`<`",
        Rule::op_gt => "`>`",
        Rule::op_range_incl => "`..`",
        Rule::op_add => "`+`",
        Rule::op_sub => "`-`",
        Rule::op_mul => "`*`",
        Rule::op_div => "`/`",
        Rule::op_neg => "`-`",
        Rule::op_not => "`not`",
        _ => "more input",
    }
}
