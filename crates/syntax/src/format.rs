//! `anneal fmt`: one canonical layout. Statements one per line (blocks indented by two spaces, one
//! setting a line), expressions on one line with single spaces around binary operators, at most one
//! blank line between statements (kept where the author left one).
//!
//! Comments are kept: a comment on the line where a statement or setting ends stays at the end of
//! that line; every other comment is placed on its own line before the statement or setting it sits
//! in or precedes. The layout is a fixed point: formatting formatted text changes nothing, and the
//! tree of the output equals the tree of the input up to spans (both are tested over every script in
//! the repository).

use crate::ast::*;

/// A `#` comment found in the source: its byte offset, its text (without the newline), and whether
/// code precedes it on its line.
#[derive(Clone, Debug)]
struct Comment {
    start: usize,
    text: String,
}

/// Finds every comment, skipping `#` inside strings.
fn collect_comments(source: &str) -> Vec<Comment> {
    let bytes = source.as_bytes();
    let mut comments = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'"' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' && bytes[index] != b'\n' {
                    if bytes[index] == b'\\' {
                        index += 1;
                    }
                    index += 1;
                }
                index += 1;
            }
            b'#' => {
                let end = source[index..]
                    .find('\n')
                    .map_or(source.len(), |offset| index + offset);
                comments.push(Comment {
                    start: index,
                    text: source[index..end].trim_end().to_string(),
                });
                index = end;
            }
            _ => index += 1,
        }
    }
    comments
}

/// Formats a parsed file. `source` must be the text `file` was parsed from (comments and blank lines
/// are taken from it).
pub fn format_file(file: &File, source: &str) -> String {
    let mut printer = Printer {
        source,
        comments: collect_comments(source),
        next_comment: 0,
        out: String::new(),
    };
    for (index, statement) in file.statements.iter().enumerate() {
        let end = printer.content_end(statement.span.start, statement.span.end);
        if index > 0 {
            let previous = &file.statements[index - 1].span;
            let previous_end = printer.content_end(previous.start, previous.end);
            let gap_start = printer.comment_or(previous_end, statement.span.start);
            if has_blank_line(&source[previous_end..gap_start]) {
                printer.out.push('\n');
            }
        }
        printer.comments_before_statement(leading_limit(statement, end), statement.span.start);
        printer.statement(statement);
        printer.trailing_comment(end);
        printer.out.push('\n');
    }
    // Comments after the last statement.
    let rest: Vec<Comment> = printer.comments[printer.next_comment..].to_vec();
    if !rest.is_empty() {
        let last_end = file
            .statements
            .last()
            .map_or(0, |s| printer.content_end(s.span.start, s.span.end));
        if !file.statements.is_empty() && has_blank_line(&source[last_end..rest[0].start]) {
            printer.out.push('\n');
        }
        for comment in rest {
            printer.out.push_str(&comment.text);
            printer.out.push('\n');
        }
    }
    printer.out
}

/// Comments up to this offset are printed before a statement. Statements printed on one line take
/// every comment inside them (up to `end`, where their last token ends); block statements keep the
/// comments inside the block in place.
fn leading_limit(statement: &Statement, end: usize) -> usize {
    match &statement.kind {
        StatementKind::Experiment { .. }
        | StatementKind::Harmonics { .. }
        | StatementKind::Sinks { .. }
        | StatementKind::Landscape { .. }
        | StatementKind::Scenario { .. } => statement.span.start,
        StatementKind::Function(function) if function.block_body => statement.span.start,
        _ => end,
    }
}

fn has_blank_line(gap: &str) -> bool {
    gap.matches('\n').count() >= 2
}

struct Printer<'a> {
    source: &'a str,
    comments: Vec<Comment>,
    next_comment: usize,
    out: String,
}

impl Printer<'_> {
    /// The offset of the first pending comment before `limit`, or `limit`: blank lines are looked
    /// for between the previous statement and whatever is printed next.
    fn comment_or(&self, after: usize, limit: usize) -> usize {
        self.comments[self.next_comment..]
            .iter()
            .find(|c| c.start >= after && c.start < limit)
            .map_or(limit, |c| c.start)
    }

    /// Where the element spanning `start..end` really ends: before the whitespace and comments that
    /// its span may carry at the end. A rule that ends with an optional part (`record … to
    /// "file"`) takes the trivia before that part into its span even when the part is absent, and
    /// a comment there belongs to what follows.
    fn content_end(&self, start: usize, end: usize) -> usize {
        let mut end = end;
        loop {
            let trimmed = start + self.source[start..end].trim_end().len();
            match self
                .comments
                .iter()
                .find(|c| c.start >= start && c.start + c.text.len() == trimmed)
            {
                Some(comment) => end = comment.start,
                None => return trimmed,
            }
        }
    }

    /// Prints the pending comments before a top-level statement that starts at `start`, as
    /// [`Printer::leading_comments`] does, keeping a blank line that separates a comment from the
    /// next comment or from the statement (a file's header comment stays apart from the code).
    fn comments_before_statement(&mut self, limit: usize, start: usize) {
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.start >= limit {
                break;
            }
            let comment_end = comment.start + comment.text.len();
            self.out.push_str(&comment.text.clone());
            self.out.push('\n');
            self.next_comment += 1;
            let next = self
                .comments
                .get(self.next_comment)
                .map(|c| c.start)
                .filter(|&next| next < limit)
                .unwrap_or(start);
            if next > comment_end && has_blank_line(&self.source[comment_end..next]) {
                self.out.push('\n');
            }
        }
    }

    /// Prints, each on its own line, every pending comment that starts before `end`: comments inside
    /// an element that is printed on one line move before it.
    fn leading_comments(&mut self, end: usize, indent: usize) {
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.start >= end {
                break;
            }
            let text = comment.text.clone();
            self.push_indent(indent);
            self.out.push_str(&text);
            self.out.push('\n');
            self.next_comment += 1;
        }
    }

    /// Appends the pending comment that starts on the line where an element ended.
    fn trailing_comment(&mut self, end: usize) {
        if let Some(comment) = self.comments.get(self.next_comment)
            && comment.start >= end
            && self.on_same_line(end, comment.start)
        {
            let text = comment.text.clone();
            self.out.push_str("  ");
            self.out.push_str(&text);
            self.next_comment += 1;
        }
    }

    fn on_same_line(&self, a: usize, b: usize) -> bool {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        !self.source[low..high].contains('\n')
    }

    fn push_indent(&mut self, indent: usize) {
        for _ in 0..indent {
            self.out.push_str("  ");
        }
    }

    fn statement(&mut self, statement: &Statement) {
        match &statement.kind {
            StatementKind::Use(use_statement) => {
                self.out.push_str("use ");
                match &use_statement.target {
                    UseTarget::Module(path) => {
                        let joined: Vec<&str> = path.iter().map(|n| n.text.as_str()).collect();
                        self.out.push_str(&joined.join("."));
                    }
                    UseTarget::File(path) => self.out.push_str(&quote(&path.value)),
                }
                if !use_statement.names.is_empty() {
                    let names: Vec<&str> = use_statement
                        .names
                        .iter()
                        .map(|n| n.text.as_str())
                        .collect();
                    self.out.push_str(&format!(".{{{}}}", names.join(", ")));
                }
                if let Some(alias) = &use_statement.alias {
                    self.out.push_str(&format!(" as {}", alias.text));
                }
            }
            StatementKind::Let { name, value } => {
                self.out
                    .push_str(&format!("let {} = {}", name.text, expr(value)))
            }
            StatementKind::Function(function) => {
                let params: Vec<String> = function
                    .params
                    .iter()
                    .map(|p| match &p.default {
                        Some(default) => format!("{} = {}", p.name.text, expr(default)),
                        None => p.name.text.to_string(),
                    })
                    .collect();
                self.out
                    .push_str(&format!("fn {}({})", function.name.text, params.join(", ")));
                if function.block_body {
                    self.out.push_str(" {\n");
                    for (name, value) in &function.lets {
                        self.leading_comments(value.span.end, 1);
                        self.out
                            .push_str(&format!("  let {} = {}", name.text, expr(value)));
                        self.trailing_comment(value.span.end);
                        self.out.push('\n');
                    }
                    self.leading_comments(function.result.span.end, 1);
                    self.out.push_str(&format!("  {}", expr(&function.result)));
                    self.trailing_comment(function.result.span.end);
                    self.out.push_str("\n}");
                } else {
                    self.out.push_str(&format!(" = {}", expr(&function.result)));
                }
            }
            StatementKind::Experiment { title, settings } => {
                self.out
                    .push_str(&format!("experiment {} ", quote(&title.value)));
                self.settings(settings, statement.span.end);
            }
            StatementKind::Connectome { name, value } => {
                self.out
                    .push_str(&format!("connectome {} = {}", name.text, expr(value)))
            }
            StatementKind::Harmonics {
                connectome,
                settings,
            } => {
                self.out
                    .push_str(&format!("harmonics of {} ", connectome.text));
                self.settings(settings, statement.span.end);
            }
            StatementKind::Sinks { settings } => {
                self.out.push_str("sinks ");
                self.settings(settings, statement.span.end);
            }
            StatementKind::Cooling { value } => {
                self.out.push_str(&format!("cooling {}", expr(value)))
            }
            StatementKind::Source { name, value } => {
                self.out
                    .push_str(&format!("source {} = {}", name.text, expr(value)))
            }
            StatementKind::Landscape { level, settings } => {
                self.out.push_str(&format!("landscape on {} ", level.text));
                self.settings(settings, statement.span.end);
            }
            StatementKind::Record {
                every,
                items,
                destination,
            } => {
                let items: Vec<String> = items
                    .iter()
                    .map(|item| {
                        let mut text = item.quantity.text.to_string();
                        if let Some(argument) = &item.argument {
                            text.push_str(&format!("({})", argument.text));
                        }
                        if let Some(by) = &item.by {
                            text.push_str(&format!(" by {}", by.text));
                        }
                        text
                    })
                    .collect();
                let body = if items.is_empty() {
                    "{}".to_string()
                } else {
                    format!("{{ {} }}", items.join(", "))
                };
                self.out
                    .push_str(&format!("record every {} {body}", expr(every)));
                if let Some(destination) = destination {
                    self.out
                        .push_str(&format!(" to {}", quote(&destination.value)));
                }
            }
            StatementKind::Expect { condition } => {
                self.out.push_str(&format!("expect {}", expr(condition)))
            }
            StatementKind::Scenario { title, items } => {
                self.out
                    .push_str(&format!("scenario {} {{\n", quote(&title.value)));
                for item in items {
                    let (text, span) = match item {
                        ScenarioItem::Vary {
                            target,
                            values,
                            span,
                        } => (format!("vary {} in {}", target.text, expr(values)), *span),
                        ScenarioItem::Expect { condition, span } => {
                            (format!("expect {}", expr(condition)), *span)
                        }
                    };
                    self.leading_comments(span.end, 1);
                    self.out.push_str("  ");
                    self.out.push_str(&text);
                    self.trailing_comment(span.end);
                    self.out.push('\n');
                }
                self.leading_comments(statement.span.end.saturating_sub(1), 1);
                self.out.push('}');
            }
        }
    }

    fn settings(&mut self, settings: &[Setting], block_end: usize) {
        if settings.is_empty()
            && self
                .comments
                .get(self.next_comment)
                .is_none_or(|c| c.start >= block_end)
        {
            self.out.push_str("{}");
            return;
        }
        self.out.push_str("{\n");
        for setting in settings {
            let span = setting.span();
            self.leading_comments(span.end, 1);
            self.out.push_str("  ");
            match setting {
                Setting::Plain {
                    name, value, per, ..
                } => {
                    self.out.push_str(&format!("{} {}", name.text, expr(value)));
                    if let Some(per) = per {
                        self.out.push_str(&format!(" per {}", per.text));
                    }
                }
                Setting::Pattern { name, value, .. } => {
                    self.out
                        .push_str(&format!("pattern {} = {}", name.text, expr(value)))
                }
            }
            self.trailing_comment(span.end);
            self.out.push('\n');
        }
        // Comments after the last setting, before the closing brace.
        self.leading_comments(block_end.saturating_sub(1), 1);
        self.out.push('}');
    }
}

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// Prints an expression on one line. Parentheses are nodes of the tree, so none are added or
/// removed and the printed text parses back to the same tree.
pub fn expr(expression: &Expr) -> String {
    let mut out = String::new();
    write_expr(expression, &mut out);
    out
}

fn write_expr(expression: &Expr, out: &mut String) {
    match &expression.kind {
        ExprKind::Number { text, unit, .. } => {
            out.push_str(text);
            if let Some(unit) = unit {
                if unit.text != "%" {
                    out.push(' ');
                }
                out.push_str(&unit.text);
            }
        }
        ExprKind::String(value) => out.push_str(&quote(value)),
        ExprKind::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        ExprKind::Ident(name) => out.push_str(name),
        ExprKind::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                if let Some(key) = &item.key {
                    write_expr(key, out);
                    out.push_str(": ");
                }
                write_expr(&item.value, out);
            }
            out.push(']');
        }
        ExprKind::Record(fields) => {
            if fields.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{ ");
            for (index, (name, value)) in fields.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                out.push_str(&name.text);
                out.push_str(": ");
                write_expr(value, out);
            }
            out.push_str(" }");
        }
        ExprKind::Unary { op, operand } => {
            out.push_str(match op {
                UnaryOp::Neg => "-",
                UnaryOp::Not => "not ",
            });
            write_expr(operand, out);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            write_expr(lhs, out);
            if *op == BinaryOp::Range {
                out.push_str("..");
            } else {
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
            }
            write_expr(rhs, out);
        }
        ExprKind::Call { callee, args } => {
            write_expr(callee, out);
            out.push('(');
            for (index, arg) in args.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                if let Some(name) = &arg.name {
                    out.push_str(&name.text);
                    out.push_str(": ");
                }
                write_expr(&arg.value, out);
            }
            out.push(')');
        }
        ExprKind::Field { object, field } => {
            write_expr(object, out);
            out.push('.');
            out.push_str(&field.text);
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_expr(inner, out);
            out.push(')');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;
    use anneal_diagnostics::FileId;

    fn fmt(text: &str) -> String {
        format_file(&parse(FileId(0), text).expect("parses"), text)
    }

    #[test]
    fn canonical_layout_keeps_comments_and_is_idempotent() {
        let messy = "# head\nexperiment   \"x\"{seed 7 dt 20ms # step\n duration 40 min}\n\n\n\nlet a=(1+2)*3 s   # trailing\nexpect mean(valence,during:a)>-1\n# tail\n";
        let once = fmt(messy);
        assert_eq!(
            once,
            "# head\nexperiment \"x\" {\n  seed 7  # step\n  dt 20 ms\n  duration 40 min\n}\n\nlet a = (1 + 2) * 3 s  # trailing\nexpect mean(valence, during: a) > -1\n# tail\n"
        );
        assert_eq!(fmt(&once), once);
        let original = parse(FileId(0), messy).unwrap().without_spans();
        let formatted = parse(FileId(0), &once).unwrap().without_spans();
        assert_eq!(original, formatted);
    }

    #[test]
    fn comments_inside_expressions_move_before_the_statement() {
        let text = "let a = [1, # one\n  2]\n";
        let once = fmt(text);
        assert_eq!(once, "# one\nlet a = [1, 2]\n");
        assert_eq!(fmt(&once), once);
    }

    #[test]
    fn a_comment_after_a_statement_with_an_absent_optional_ending_stays_after_it() {
        // `record … { … }` may end with `to "file"`; the comment belongs to the `expect`.
        let text = "record every 1 s { temperature }\n# The bath stays put.\nexpect final(temperature) < 2\n\n# Last.\nrecord every 2 s { valence }  # slower\n";
        assert_eq!(fmt(text), text);
    }

    #[test]
    fn blank_lines_between_leading_comments_and_statements_stay() {
        let text = "# Header.\n\n# About a.\nlet a = 1\n";
        assert_eq!(fmt(text), text);
        assert_eq!(
            fmt("# Header.\n\n\n\nlet a = 1\n"),
            "# Header.\n\nlet a = 1\n"
        );
    }
}
