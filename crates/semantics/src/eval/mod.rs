//! Expression evaluation with name resolution, units, types and builtin calls.

use crate::builtins::{self, Builtin, Default as ParamDefault, Param, Ty};
use crate::call::Call;
use crate::checker::Checker;
use crate::env::{Env, STEP_BUDGET};
use crate::program::*;
use crate::units::{self, Dim};
use crate::value::{RangeValue, UserFunction, Value};
use anneal_diagnostics::{Diagnostic, FileId};
use anneal_syntax::ast::*;
use anneal_syntax::suggest::closest;
use std::rc::Rc;

mod calls;
mod coerce;

/// E0007 for a number of the wrong dimension where `expected` (a description) was wanted.
fn wrong_dimension(file: FileId, span: Span, expected: &str, found: Dim) -> Diagnostic {
    Diagnostic::error(
        "E0007",
        file,
        span,
        format!("expected {expected}, found {found}"),
    )
    .with_label(span, format!("this is {found}"))
}

fn loc(file: FileId, span: Span) -> Loc {
    Loc { file, span }
}

impl Checker<'_> {
    pub fn eval(&mut self, env: &mut Env, expr: &Expr) -> Value {
        self.steps += 1;
        if self.steps > STEP_BUDGET {
            if !self.budget_exceeded {
                self.budget_exceeded = true;
                self.error(Diagnostic::error(
                    "E0021",
                    env.file(),
                    expr.span,
                    format!("evaluation exceeded {STEP_BUDGET} steps"),
                ));
            }
            return Value::Unknown;
        }
        let file = env.file();
        match &expr.kind {
            ExprKind::Number { value, unit, .. } => {
                let (si, dim) = match unit {
                    Some(unit) => match units::unit(&unit.text) {
                        Some(info) => (units::to_si(*value, info), info.dim),
                        None => (*value, Dim::NONE),
                    },
                    None => (*value, Dim::NONE),
                };
                if !si.is_finite() {
                    self.error(Diagnostic::error(
                        "E0017",
                        file,
                        expr.span,
                        "this number is too large to represent",
                    ));
                    return Value::Unknown;
                }
                Value::Number(Scalar {
                    value: si,
                    dim,
                    loc: loc(file, expr.span),
                })
            }
            ExprKind::String(text) => Value::Text(text.clone()),
            ExprKind::Bool(value) => Value::Bool(*value),
            ExprKind::Ident(name) => self.lookup(env, name, expr.span),
            ExprKind::Paren(inner) => self.eval(env, inner),
            ExprKind::List(items) => {
                let has_keys = items.iter().any(|item| item.key.is_some());
                if has_keys {
                    let mut entries = Vec::new();
                    for item in items {
                        let value = self.eval(env, &item.value);
                        match &item.key {
                            Some(key) => {
                                let key = self.eval(env, key);
                                entries.push((key, value));
                            }
                            None => {
                                self.error(
                                    Diagnostic::error("E0030", file, item.value.span, "this table entry has no key")
                                        .with_label(item.value.span, "write `key: value`")
                                        .with_help("every entry of a table needs a key, as in `[0 min: 1.0, 5 min: 0.5]`"),
                                );
                            }
                        }
                    }
                    Value::Table(entries)
                } else {
                    Value::List(
                        items
                            .iter()
                            .map(|item| self.eval(env, &item.value))
                            .collect(),
                    )
                }
            }
            ExprKind::Record(fields) => {
                let mut out: Vec<(String, Value)> = Vec::new();
                for (name, value_expr) in fields {
                    let value = self.eval(env, value_expr);
                    if out.iter().any(|(existing, _)| *existing == name.text) {
                        self.error(
                            Diagnostic::error(
                                "E0012",
                                file,
                                name.span,
                                format!("field `{}` is given twice", name.text),
                            )
                            .with_label(name.span, "second definition"),
                        );
                        continue;
                    }
                    out.push((name.text.to_string(), value));
                }
                Value::Record(out)
            }
            ExprKind::Unary { op, operand } => {
                let value = self.eval(env, operand);
                match (op, value) {
                    (_, Value::Unknown) => Value::Unknown,
                    (UnaryOp::Neg, Value::Number(scalar)) => Value::Number(Scalar {
                        value: -scalar.value,
                        loc: loc(file, expr.span),
                        ..scalar
                    }),
                    (UnaryOp::Neg, Value::Operand(operand)) => {
                        Value::Operand(Operand::Negate(Box::new(operand)))
                    }
                    (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
                    (UnaryOp::Not, Value::Predicate(p)) => {
                        Value::Predicate(Box::new(Predicate::Not(p)))
                    }
                    (op, other) => {
                        let wanted = if *op == UnaryOp::Neg {
                            "a number"
                        } else {
                            "a boolean or a condition"
                        };
                        self.error(
                            Diagnostic::error(
                                "E0008",
                                file,
                                operand.span,
                                format!("expected {wanted}, found {}", other.describe()),
                            )
                            .with_label(operand.span, other.describe()),
                        );
                        Value::Unknown
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let left = self.eval(env, lhs);
                let right = self.eval(env, rhs);
                self.binary(file, *op, left, lhs.span, right, rhs.span, expr.span)
            }
            ExprKind::Field { object, field } => {
                let value = self.eval(env, object);
                self.field(file, value, object.span, field)
            }
            ExprKind::Call { callee, args } => {
                let callee_value = self.eval(env, callee);
                match callee_value {
                    Value::Builtin(builtin) => self.call_builtin(env, builtin, args, expr.span),
                    Value::Function(function) => self.call_user(env, &function, args, expr.span),
                    Value::Unknown => {
                        for arg in args {
                            self.eval(env, &arg.value);
                        }
                        Value::Unknown
                    }
                    other => {
                        self.error(
                            Diagnostic::error(
                                "E0019",
                                file,
                                callee.span,
                                format!("{} is not a function", other.describe()),
                            )
                            .with_label(callee.span, format!("this is {}", other.describe())),
                        );
                        Value::Unknown
                    }
                }
            }
        }
    }

    fn lookup(&mut self, env: &mut Env, name: &str, span: Span) -> Value {
        if let Some((_, value)) = env.locals.iter().rev().find(|(local, _)| *local == name) {
            return value.clone();
        }
        if let Some(binding) = env
            .module
            .scope
            .borrow_mut()
            .lookup(name, env.visible_below)
        {
            binding.used = true;
            return binding.value.clone();
        }
        if let Some(builtin) = builtins::builtin(name) {
            return Value::Builtin(builtin);
        }
        if let Some(quantity) = builtins::quantity(name) {
            return Value::Observable(Box::new(Observable {
                quantity: quantity.name,
                grouping: None,
                pattern: None,
                component: None,
                loc: loc(env.file(), span),
            }));
        }
        if self
            .defining
            .iter()
            .any(|defining| defining.name.text == name)
        {
            self.error(
                Diagnostic::error("E0020", env.file(), span, format!("function `{name}` calls itself"))
                    .with_label(span, "recursive call")
                    .with_help("script functions describe values and cannot recurse; write the repetition out or use a list"),
            );
            return Value::Unknown;
        }
        let mut candidates: Vec<String> = env.locals.iter().map(|(n, _)| n.to_string()).collect();
        {
            let scope = env.module.scope.borrow();
            for (key, bindings) in &scope.bindings {
                if bindings.iter().any(|b| b.index < env.visible_below) {
                    candidates.push(key.to_string());
                }
            }
        }
        candidates.extend(builtins::BUILTINS.iter().map(|b| b.name.to_string()));
        candidates.extend(builtins::QUANTITIES.iter().map(|q| q.name.to_string()));
        candidates.sort();
        let mut diagnostic =
            Diagnostic::error("E0004", env.file(), span, format!("unknown name `{name}`"))
                .with_label(span, "not defined here");
        if let Some(suggestion) = closest(name, candidates.iter().map(String::as_str)) {
            diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
        } else {
            let declared_later = env
                .module
                .scope
                .borrow()
                .bindings
                .get(name)
                .is_some_and(|b| !b.is_empty());
            let in_stdlib = crate::stdlib::MODULES
                .iter()
                .find(|(_, text)| text.contains(&format!("fn {name}(")))
                .map(|(module, _)| *module);
            if let Some(module) = in_stdlib {
                diagnostic = diagnostic.with_help(format!(
                    "`{name}` is in `{module}`: add `use {module}.{{{name}}}`"
                ));
            } else if declared_later {
                diagnostic = diagnostic.with_help(format!("`{name}` is declared further down; scripts are read top to bottom, so move its declaration up"));
            }
        }
        self.error(diagnostic);
        Value::Unknown
    }

    fn field(&mut self, file: FileId, value: Value, object_span: Span, field: &Name) -> Value {
        match value {
            Value::Unknown => Value::Unknown,
            Value::Module(module) => {
                let mut scope = module.scope.borrow_mut();
                if let Some(binding) = scope.lookup(&field.text, usize::MAX) {
                    binding.used = true;
                    return binding.value.clone();
                }
                let names: Vec<String> = scope.names().map(str::to_string).collect();
                drop(scope);
                let mut diagnostic = Diagnostic::error(
                    "E0023",
                    file,
                    field.span,
                    format!("module `{}` has no `{}`", module.display_name, field.text),
                )
                .with_label(field.span, "not in the module");
                if let Some(s) = closest(&field.text, names.iter().map(String::as_str)) {
                    diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"));
                }
                self.error(diagnostic);
                Value::Unknown
            }
            Value::Record(fields) => {
                if let Some((_, value)) = fields.iter().find(|(name, _)| *name == field.text) {
                    return value.clone();
                }
                let mut diagnostic = Diagnostic::error(
                    "E0023",
                    file,
                    field.span,
                    format!("the record has no field `{}`", field.text),
                )
                .with_label(field.span, "no such field");
                let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                if let Some(s) = closest(&field.text, names.iter().copied()) {
                    diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"));
                } else {
                    diagnostic =
                        diagnostic.with_help(format!("its fields are: {}", names.join(", ")));
                }
                self.error(diagnostic);
                Value::Unknown
            }
            Value::Observable(observable) => self.observable_component(file, *observable, field),
            other => {
                self.error(
                    Diagnostic::error(
                        "E0023",
                        file,
                        field.span,
                        format!("{} has no fields", other.describe()),
                    )
                    .with_label(object_span, format!("this is {}", other.describe())),
                );
                Value::Unknown
            }
        }
    }

    /// `temperature.csh`, `energy.rsh`, `integration.rAMYG`: one band of a quantity the engine
    /// records per band, or one region of the integration. Whether the band exists in this
    /// experiment's harmonics and whether the region exists in its connectome is known only when
    /// the plan is lowered (E0042 there).
    fn observable_component(
        &mut self,
        file: FileId,
        observable: Observable,
        field: &Name,
    ) -> Value {
        let span = Span::new(observable.loc.span.start, field.span.end);
        let splittable = matches!(
            observable.quantity,
            "temperature" | "energy" | "integration"
        );
        let refusal = match (splittable, &observable.component) {
            (false, _) => Some(format!(
                "`{}` is one number per time; only `temperature` and `energy` (by band) and \
                 `integration` (by region) have components",
                observable.quantity
            )),
            (true, Some(component)) => Some(format!(
                "`{}.{component}` is already one component",
                observable.quantity
            )),
            (true, None) => None,
        };
        if let Some(message) = refusal {
            self.error(
                Diagnostic::error(
                    "E0023",
                    file,
                    field.span,
                    format!(
                        "`{}` has no component `{}`",
                        observable.quantity, field.text
                    ),
                )
                .with_label(field.span, "not a component")
                .with_help(message),
            );
            return Value::Unknown;
        }
        if matches!(observable.quantity, "temperature" | "energy") {
            let bands = ["csh", "rsh", "ssh"];
            if !bands.contains(&field.text.as_str()) {
                let mut diagnostic = Diagnostic::error(
                    "E0023",
                    file,
                    field.span,
                    format!(
                        "`{}` has no band `{}`; its bands are csh, rsh and ssh",
                        observable.quantity, field.text
                    ),
                )
                .with_label(field.span, "not a band");
                if let Some(s) = closest(&field.text, bands) {
                    diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"));
                }
                self.error(diagnostic);
                return Value::Unknown;
            }
        }
        Value::Observable(Box::new(Observable {
            component: Some(field.text.to_string()),
            loc: loc(file, span),
            ..observable
        }))
    }

    #[allow(clippy::too_many_arguments)]
    fn binary(
        &mut self,
        file: FileId,
        op: BinaryOp,
        left: Value,
        ls: Span,
        right: Value,
        rs: Span,
        span: Span,
    ) -> Value {
        use BinaryOp::*;
        let here = loc(file, span);
        let mismatch = |checker: &mut Self, what: &str, l: &Value, r: &Value| {
            checker.error(
                Diagnostic::error(
                    "E0008",
                    file,
                    span,
                    format!("cannot {what} {} and {}", l.describe(), r.describe()),
                )
                .with_label(ls, l.describe())
                .with_label(rs, r.describe()),
            );
            Value::Unknown
        };
        match (op, left, right) {
            (_, Value::Unknown, _) | (_, _, Value::Unknown) => Value::Unknown,
            (Add | Sub, Value::Number(a), Value::Number(b)) => {
                if a.dim != b.dim {
                    return self.dim_mismatch(
                        file,
                        if op == Add { "add" } else { "subtract" },
                        a.dim,
                        ls,
                        b.dim,
                        rs,
                        span,
                    );
                }
                let value = if op == Add {
                    a.value + b.value
                } else {
                    a.value - b.value
                };
                self.finite_number(file, value, a.dim, span)
            }
            (Mul, Value::Number(a), Value::Number(b)) => {
                self.finite_number(file, a.value * b.value, a.dim.times(b.dim), span)
            }
            (Div, Value::Number(a), Value::Number(b)) => {
                if b.value == 0.0 {
                    self.error(
                        Diagnostic::error("E0027", file, rs, "division by zero")
                            .with_label(rs, "this is zero"),
                    );
                    return Value::Unknown;
                }
                self.finite_number(file, a.value / b.value, a.dim.per(b.dim), span)
            }
            (Add, Value::Source(a), Value::Source(b)) => {
                let mut components = Rc::unwrap_or_clone(a).components;
                components.extend(Rc::unwrap_or_clone(b).components);
                Value::Source(Rc::new(Source { components }))
            }
            (Mul, Value::Number(k), Value::Source(s))
            | (Mul, Value::Source(s), Value::Number(k)) => {
                self.scale_source(file, Rc::unwrap_or_clone(s), k, ls.join(rs))
            }
            (Div, Value::Source(s), Value::Number(k)) => {
                if k.value == 0.0 {
                    self.error(
                        Diagnostic::error("E0027", file, rs, "division by zero")
                            .with_label(rs, "this is zero"),
                    );
                    return Value::Unknown;
                }
                self.scale_source(
                    file,
                    Rc::unwrap_or_clone(s),
                    Scalar {
                        value: 1.0 / k.value,
                        ..k
                    },
                    rs,
                )
            }
            (
                Add | Sub | Mul | Div,
                l @ (Value::Operand(_) | Value::Number(_)),
                r @ (Value::Operand(_) | Value::Number(_)),
            ) => {
                let (Some(lo), Some(ro)) = (self.operand(file, l, ls), self.operand(file, r, rs))
                else {
                    return Value::Unknown;
                };
                let arith = match op {
                    Add => ArithOp::Add,
                    Sub => ArithOp::Sub,
                    Mul => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                Value::Operand(Operand::Arith {
                    op: arith,
                    lhs: Box::new(lo),
                    rhs: Box::new(ro),
                })
            }
            (Lt | Le | Gt | Ge | Eq | Ne, Value::Number(a), Value::Number(b)) => {
                if a.dim != b.dim {
                    return self.dim_mismatch(file, "compare", a.dim, ls, b.dim, rs, span);
                }
                Value::Bool(match op {
                    Lt => a.value < b.value,
                    Le => a.value <= b.value,
                    Gt => a.value > b.value,
                    Ge => a.value >= b.value,
                    Eq => a.value == b.value,
                    _ => a.value != b.value,
                })
            }
            (
                Lt | Le | Gt | Ge | Eq | Ne,
                l @ (Value::Operand(_) | Value::Number(_)),
                r @ (Value::Operand(_) | Value::Number(_)),
            ) => {
                let (Some(lo), Some(ro)) = (self.operand(file, l, ls), self.operand(file, r, rs))
                else {
                    return Value::Unknown;
                };
                let compare = match op {
                    Lt => CompareOp::Lt,
                    Le => CompareOp::Le,
                    Gt => CompareOp::Gt,
                    Ge => CompareOp::Ge,
                    Eq => CompareOp::Eq,
                    _ => CompareOp::Ne,
                };
                Value::Predicate(Box::new(Predicate::Compare {
                    lhs: lo,
                    op: compare,
                    rhs: ro,
                }))
            }
            (Eq | Ne, Value::Text(a), Value::Text(b)) => Value::Bool((a == b) == (op == Eq)),
            (Eq | Ne, Value::Bool(a), Value::Bool(b)) => Value::Bool((a == b) == (op == Eq)),
            (And | Or, Value::Bool(a), Value::Bool(b)) => {
                Value::Bool(if op == And { a && b } else { a || b })
            }
            (And | Or, Value::Predicate(a), Value::Predicate(b)) => {
                Value::Predicate(Box::new(if op == And {
                    Predicate::And(a, b)
                } else {
                    Predicate::Or(a, b)
                }))
            }
            (Range, Value::Number(a), Value::Number(b)) => {
                if a.dim != b.dim {
                    return self.dim_mismatch(file, "make a range of", a.dim, ls, b.dim, rs, span);
                }
                Value::Range(Box::new(RangeValue {
                    start: a,
                    end: b,
                    step: None,
                }))
            }
            (By, Value::Range(range), Value::Number(step)) if range.step.is_none() => {
                let RangeValue { start, end, .. } = *range;
                if step.dim != start.dim {
                    return self.dim_mismatch(file, "step", start.dim, ls, step.dim, rs, span);
                }
                if step.value <= 0.0 {
                    self.out_of_range(file, rs, "a range step must be positive", "not positive");
                    return Value::Unknown;
                }
                Value::Range(Box::new(RangeValue {
                    start,
                    end,
                    step: Some(step),
                }))
            }
            (op, l, r) => {
                let _ = here;
                mismatch(self, &format!("apply `{}` to", op.symbol()), &l, &r)
            }
        }
    }

    fn scale_source(&mut self, file: FileId, mut source: Source, k: Scalar, k_span: Span) -> Value {
        if !k.dim.is_none() {
            self.error(
                Diagnostic::error(
                    "E0007",
                    file,
                    k_span,
                    format!(
                        "a source can only be scaled by a plain number, not {}",
                        k.dim
                    ),
                )
                .with_label(k.loc.span, format!("{}", k.dim)),
            );
            return Value::Unknown;
        }
        for component in &mut source.components {
            component.scale *= k.value;
        }
        Value::Source(Rc::new(source))
    }

    fn operand(&mut self, file: FileId, value: Value, span: Span) -> Option<Operand> {
        match value {
            Value::Operand(operand) => Some(operand),
            Value::Number(scalar) => Some(Operand::Constant(scalar)),
            other => {
                self.error(
                    Diagnostic::error(
                        "E0008",
                        file,
                        span,
                        format!(
                            "expected a number or a statistic, found {}",
                            other.describe()
                        ),
                    )
                    .with_label(span, other.describe()),
                );
                None
            }
        }
    }

    fn finite_number(&mut self, file: FileId, value: f64, dim: Dim, span: Span) -> Value {
        if !value.is_finite() {
            self.out_of_range(
                file,
                span,
                "the result is too large to represent",
                "overflows",
            );
            return Value::Unknown;
        }
        Value::Number(Scalar {
            value,
            dim,
            loc: loc(file, span),
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub fn dim_mismatch(
        &mut self,
        file: FileId,
        verb: &str,
        a: Dim,
        ls: Span,
        b: Dim,
        rs: Span,
        span: Span,
    ) -> Value {
        self.error(
            Diagnostic::error("E0007", file, span, format!("cannot {verb} {a} and {b}"))
                .with_label(ls, format!("this is {a}"))
                .with_label(rs, format!("this is {b}"))
                .with_help("both sides must have the same dimension; check the units"),
        );
        Value::Unknown
    }

    pub fn error(&mut self, diagnostic: Diagnostic) {
        if self
            .reported
            .insert((diagnostic.code, diagnostic.file, diagnostic.span))
        {
            self.diagnostics.push(diagnostic);
        }
    }
}
