//! The tree builder: pest pairs of either grammar to the syntax tree, expressions through the
//! Pratt parser.

use super::*;

pub(super) struct Builder {
    pub(super) offset: usize,
}

impl Builder {
    fn span<R: GrammarRule>(&self, pair: &Pair<R>) -> Span {
        let span = pair.as_span();
        Span::new(span.start() + self.offset, span.end() + self.offset)
    }

    fn name<R: GrammarRule>(&self, pair: Pair<R>) -> Name {
        Name {
            text: Text::from(pair.as_str()),
            span: self.span(&pair),
        }
    }

    fn string<R: GrammarRule>(&self, pair: Pair<R>) -> StringLit {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
        StringLit {
            value: unescape(inner),
            span,
        }
    }

    pub(super) fn statement<R: GrammarRule>(&self, pair: Pair<R>) -> Statement {
        let span = self.span(&pair);
        let rule = pair.as_rule().reference();
        let mut inner = pair.into_inner();
        let kind = match rule {
            Rule::use_stmt => {
                let target_pair = inner.next().expect("use has a target");
                let target = if target_pair.as_rule().reference() == Rule::string {
                    UseTarget::File(self.string(target_pair))
                } else {
                    UseTarget::Module(target_pair.into_inner().map(|p| self.name(p)).collect())
                };
                let mut names = Vec::new();
                let mut alias = None;
                if let Some(tail) = inner.next() {
                    let is_alias = tail.as_str().trim_start().starts_with("as");
                    let tail_names: Vec<Name> = tail.into_inner().map(|p| self.name(p)).collect();
                    if is_alias {
                        alias = tail_names.into_iter().next();
                    } else {
                        names = tail_names;
                    }
                }
                StatementKind::Use(UseStatement {
                    target,
                    names,
                    alias,
                })
            }
            Rule::let_stmt => {
                let (name, value) = self.let_parts(inner);
                StatementKind::Let { name, value }
            }
            Rule::fn_stmt => StatementKind::Function(std::sync::Arc::new(self.function(inner))),
            Rule::experiment_stmt => {
                let title = self.string(inner.next().expect("title"));
                StatementKind::Experiment {
                    title,
                    settings: self.settings(inner.next().expect("settings")),
                }
            }
            Rule::connectome_stmt => {
                let (name, value) = self.let_parts(inner);
                StatementKind::Connectome { name, value }
            }
            Rule::source_stmt => {
                let (name, value) = self.let_parts(inner);
                StatementKind::Source { name, value }
            }
            Rule::harmonics_stmt => {
                let connectome = self.name(inner.next().expect("connectome name"));
                StatementKind::Harmonics {
                    connectome,
                    settings: self.settings(inner.next().expect("settings")),
                }
            }
            Rule::sinks_stmt => StatementKind::Sinks {
                settings: self.settings(inner.next().expect("settings")),
            },
            Rule::cooling_stmt => StatementKind::Cooling {
                value: self.expr(inner.next().expect("value")),
            },
            Rule::landscape_stmt => {
                let level = self.name(inner.next().expect("level"));
                StatementKind::Landscape {
                    level,
                    settings: self.settings(inner.next().expect("settings")),
                }
            }
            Rule::record_stmt => {
                let every = self.expr(inner.next().expect("interval"));
                let mut items = Vec::new();
                let mut destination = None;
                for part in inner {
                    match part.as_rule().reference() {
                        Rule::record_item => items.push(self.record_item(part)),
                        Rule::string => destination = Some(self.string(part)),
                        _ => {}
                    }
                }
                StatementKind::Record {
                    every,
                    items,
                    destination,
                }
            }
            Rule::expect_stmt => StatementKind::Expect {
                condition: self.expr(inner.next().expect("condition")),
            },
            Rule::scenario_stmt => {
                let title = self.string(inner.next().expect("title"));
                let items = inner
                    .map(|item| {
                        let item_span = self.span(&item);
                        let rule = item.as_rule().reference();
                        let mut parts = item.into_inner();
                        if rule == Rule::vary_stmt {
                            let target = self.name(parts.next().expect("target"));
                            let values = self.expr(parts.next().expect("values"));
                            ScenarioItem::Vary {
                                target,
                                span: Span::new(item_span.start, values.span.end),
                                values,
                            }
                        } else {
                            let condition = self.expr(parts.next().expect("condition"));
                            ScenarioItem::Expect {
                                span: Span::new(item_span.start, condition.span.end),
                                condition,
                            }
                        }
                    })
                    .collect();
                StatementKind::Scenario { title, items }
            }
            other => unreachable!("the grammar has no statement rule {other:?}"),
        };
        // pest lets a rule that ends in an expression run on over the whitespace and comments that
        // follow it; such statements end where their expression ends.
        let span = match &kind {
            StatementKind::Let { value, .. }
            | StatementKind::Connectome { value, .. }
            | StatementKind::Source { value, .. }
            | StatementKind::Cooling { value } => Span::new(span.start, value.span.end),
            StatementKind::Expect { condition } => Span::new(span.start, condition.span.end),
            StatementKind::Function(function) if !function.block_body => {
                Span::new(span.start, function.result.span.end)
            }
            _ => span,
        };
        Statement { kind, span }
    }

    fn let_parts<R: GrammarRule>(&self, mut inner: Pairs<R>) -> (Name, Expr) {
        let name = self.name(inner.next().expect("name"));
        (name, self.expr(inner.next().expect("value")))
    }

    fn function<R: GrammarRule>(&self, inner: Pairs<R>) -> FunctionDef {
        let mut name = None;
        let mut params = Vec::new();
        let mut lets = Vec::new();
        let mut result = None;
        let mut block_body = false;
        for part in inner {
            match part.as_rule().reference() {
                Rule::ident => name = Some(self.name(part)),
                Rule::fn_param => {
                    let mut parts = part.into_inner();
                    let param_name = self.name(parts.next().expect("parameter name"));
                    params.push(Param {
                        name: param_name,
                        default: parts.next().map(|p| self.expr(p)),
                    });
                }
                Rule::fn_body => {
                    block_body = part.as_str().starts_with('{');
                    for body_part in part.into_inner() {
                        if body_part.as_rule().reference() == Rule::let_stmt {
                            lets.push(self.let_parts(body_part.into_inner()));
                        } else {
                            result = Some(self.expr(body_part));
                        }
                    }
                }
                _ => {}
            }
        }
        FunctionDef {
            name: name.expect("function name"),
            params,
            lets,
            result: result.expect("function body"),
            block_body,
        }
    }

    fn settings<R: GrammarRule>(&self, pair: Pair<R>) -> Vec<Setting> {
        pair.into_inner()
            .map(|setting| {
                let span = self.span(&setting);
                let rule = setting.as_rule().reference();
                let mut parts = setting.into_inner();
                let name = self.name(parts.next().expect("setting name"));
                let value = self.expr(parts.next().expect("setting value"));
                if rule == Rule::pattern_decl {
                    Setting::Pattern {
                        span: Span::new(span.start, value.span.end),
                        name,
                        value,
                    }
                } else {
                    let per = parts
                        .next()
                        .and_then(|p| p.into_inner().next())
                        .map(|p| self.name(p));
                    let end = per.as_ref().map_or(value.span.end, |p| p.span.end);
                    Setting::Plain {
                        name,
                        value,
                        per,
                        span: Span::new(span.start, end),
                    }
                }
            })
            .collect()
    }

    fn record_item<R: GrammarRule>(&self, pair: Pair<R>) -> RecordItem {
        let span = self.span(&pair);
        let mut parts = pair.into_inner();
        let quantity = self.name(parts.next().expect("quantity"));
        let mut argument = None;
        let mut by = None;
        for part in parts {
            let inner = part.clone().into_inner().next().map(|p| self.name(p));
            match part.as_rule().reference() {
                Rule::record_arg => argument = inner,
                Rule::by_clause => by = inner,
                _ => {}
            }
        }
        RecordItem {
            quantity,
            argument,
            by,
            span,
        }
    }

    pub(super) fn expr<R: GrammarRule>(&self, pair: Pair<R>) -> Expr {
        let mut inner = pair.into_inner();
        // An expression of one pair is one operand (the commonest case: an argument, a setting,
        // a list item), which needs no precedence climbing.
        if inner.len() == 1 {
            return self.primary(inner.next().expect("one pair"));
        }
        // An operand followed only by calls and fields (`f(x)`, `a.b`, `f(x).y`), the next
        // commonest case, folds from left to right as the Pratt parser would, without its tables.
        let is_prefix =
            |pair: &Pair<R>| matches!(pair.as_rule().reference(), Rule::op_neg | Rule::op_not);
        let is_postfix =
            |pair: &Pair<R>| matches!(pair.as_rule().reference(), Rule::call_args | Rule::field);
        let mut rest = inner.clone();
        if rest.next().is_some_and(|first| !is_prefix(&first)) && rest.all(|pair| is_postfix(&pair))
        {
            let mut expr = self.primary(inner.next().expect("an operand"));
            for op in inner {
                expr = self.postfix(expr, op);
            }
            return expr;
        }
        R::pratt()
            .map_primary(|primary| self.primary(primary))
            .map_prefix(|op, operand| {
                let span = self.span(&op).join(operand.span);
                let op = if op.as_rule().reference() == Rule::op_neg {
                    UnaryOp::Neg
                } else {
                    UnaryOp::Not
                };
                Expr {
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(operand),
                    },
                    span,
                }
            })
            .map_postfix(|object, op| self.postfix(object, op))
            .map_infix(|lhs, op, rhs| {
                let span = lhs.span.join(rhs.span);
                let op = match op.as_rule().reference() {
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_range_incl => BinaryOp::Range,
                    Rule::op_by => BinaryOp::By,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    Rule::op_div => BinaryOp::Div,
                    other => unreachable!("not an infix operator: {other:?}"),
                };
                Expr {
                    kind: ExprKind::Binary {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    span,
                }
            })
            .parse(inner)
    }

    /// Applies a call's arguments or a field access to `object`.
    fn postfix<R: GrammarRule>(&self, object: Expr, op: Pair<R>) -> Expr {
        let span = object.span.join(self.span(&op));
        match op.as_rule().reference() {
            Rule::call_args => {
                let args = op
                    .into_inner()
                    .map(|arg| {
                        // `name: value` or `value`: a second part means the first is the name.
                        let mut parts = arg.into_inner();
                        let first = parts.next().expect("argument value");
                        match parts.next() {
                            Some(value) => Arg {
                                name: Some(self.name(first)),
                                value: self.expr(value),
                            },
                            None => Arg {
                                name: None,
                                value: self.expr(first),
                            },
                        }
                    })
                    .collect();
                Expr {
                    kind: ExprKind::Call {
                        callee: Box::new(object),
                        args,
                    },
                    span,
                }
            }
            _ => {
                let field = self.name(op.into_inner().next().expect("field name"));
                Expr {
                    kind: ExprKind::Field {
                        object: Box::new(object),
                        field,
                    },
                    span,
                }
            }
        }
    }

    fn primary<R: GrammarRule>(&self, pair: Pair<R>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule().reference() {
            Rule::quantity => {
                let mut parts = pair.into_inner();
                let number = parts.next().expect("number");
                let text = Text::from(number.as_str());
                // The grammar admits only digits, a point and an exponent, which always parse; an
                // overflow to infinity is caught by the checker.
                let value = text.parse::<f64>().unwrap_or(f64::INFINITY);
                ExprKind::Number {
                    value,
                    text,
                    unit: parts.next().map(|p| self.name(p)),
                }
            }
            Rule::string => ExprKind::String(self.string(pair).value),
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::ident => ExprKind::Ident(Text::from(pair.as_str())),
            Rule::paren => ExprKind::Paren(Box::new(
                self.expr(pair.into_inner().next().expect("inner")),
            )),
            Rule::list => ExprKind::List(
                pair.into_inner()
                    .map(|item| {
                        // `key: value` or `value`: a second part means the first is the key.
                        let mut parts = item.into_inner();
                        let first = self.expr(parts.next().expect("list value"));
                        match parts.next() {
                            Some(value) => ListItem {
                                key: Some(first),
                                value: self.expr(value),
                            },
                            None => ListItem {
                                key: None,
                                value: first,
                            },
                        }
                    })
                    .collect(),
            ),
            Rule::record => ExprKind::Record(
                pair.into_inner()
                    .map(|field| {
                        let mut parts = field.into_inner();
                        let name = self.name(parts.next().expect("field name"));
                        (name, self.expr(parts.next().expect("field value")))
                    })
                    .collect(),
            ),
            other => unreachable!("not a primary: {other:?}"),
        };
        Expr { kind, span }
    }
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}
