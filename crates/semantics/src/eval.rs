//! Expression evaluation with name resolution, units, types and builtin calls.

use crate::builtins::{self, Builtin, Category, Default as ParamDefault, Param, Ty};
use crate::checker::Checker;
use crate::program::*;
use crate::units::{self, Dim};
use crate::value::{Module, RangeValue, UserFunction, Value};
use anneal_diagnostics::{Diagnostic, FileId};
use anneal_syntax::ast::*;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Maximum evaluation steps per check (guards against exponential function call patterns).
pub const STEP_BUDGET: u64 = 10_000_000;
/// Maximum items a range may expand to.
pub const MAX_ITEMS: usize = 1_000_000;

/// Where an expression is evaluated: the module scope (bindings below `visible_below`), local
/// bindings (function parameters and block lets), and the scenario axes when inside a scenario.
pub struct Env<'a> {
    pub module: &'a Rc<Module>,
    pub visible_below: usize,
    /// Parameters and block `let`s, innermost last; the names borrow from the syntax tree.
    pub locals: Vec<(&'a str, Value)>,
    pub axes: Option<&'a [Axis]>,
}

impl Env<'_> {
    pub fn file(&self) -> FileId {
        self.module.file
    }
}

/// Levenshtein distance, for "did you mean".
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

/// The closest candidate within a distance that scales with the word's length.
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

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
                    self.error(
                        Diagnostic::error("E0017", file, rs, "a range step must be positive")
                            .with_label(rs, "not positive"),
                    );
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
            self.error(
                Diagnostic::error("E0017", file, span, "the result is too large to represent")
                    .with_label(span, "overflows"),
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

    /// Binds call arguments to parameters: positional in order (a variadic parameter takes the
    /// rest), then by name. Reports unknown names, duplicates, too many and missing arguments.
    /// Returns `None` if binding failed; otherwise each parameter's value expression (if given).
    fn bind_args<P: ParamShape>(
        &mut self,
        file: FileId,
        callee: &str,
        params: &[P],
        args: &[Arg],
        call_span: Span,
    ) -> Option<Bound> {
        let mut bound = Bound::default();
        let mut ok = true;
        let mut position = 0;
        for (arg_index, arg) in args.iter().enumerate() {
            match &arg.name {
                None => {
                    while position < params.len()
                        && bound.first(position).is_some()
                        && !params[position].variadic()
                    {
                        position += 1;
                    }
                    if position >= params.len() {
                        self.error(
                            Diagnostic::error(
                                "E0009",
                                file,
                                arg.value.span,
                                format!(
                                    "`{callee}` takes at most {} positional argument{}",
                                    params.len(),
                                    if params.len() == 1 { "" } else { "s" }
                                ),
                            )
                            .with_label(arg.value.span, "extra argument")
                            .with_help(format!(
                                "its parameters are: {}",
                                params.iter().map(P::name).collect::<Vec<_>>().join(", ")
                            )),
                        );
                        ok = false;
                        continue;
                    }
                    bound.slots.push((position, arg_index));
                    if !params[position].variadic() {
                        position += 1;
                    }
                }
                Some(name) => match params.iter().position(|p| p.name() == name.text) {
                    Some(index) => {
                        if let Some(first) = bound.first(index)
                            && !params[index].variadic()
                        {
                            self.error(
                                Diagnostic::error(
                                    "E0013",
                                    file,
                                    name.span,
                                    format!("argument `{}` is given twice", name.text),
                                )
                                .with_label(args[first].value.span, "first value")
                                .with_label(name.span, "second value"),
                            );
                            ok = false;
                        } else {
                            bound.slots.push((index, arg_index));
                        }
                    }
                    None => {
                        let mut diagnostic = Diagnostic::error(
                            "E0010",
                            file,
                            name.span,
                            format!("`{callee}` has no parameter `{}`", name.text),
                        )
                        .with_label(name.span, "unknown parameter");
                        match closest(&name.text, params.iter().map(P::name)) {
                            Some(s) => {
                                diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"))
                            }
                            None => {
                                diagnostic = diagnostic.with_help(format!(
                                    "its parameters are: {}",
                                    params.iter().map(P::name).collect::<Vec<_>>().join(", ")
                                ))
                            }
                        }
                        self.error(diagnostic);
                        ok = false;
                    }
                },
            }
        }
        for (index, param) in params.iter().enumerate() {
            let name = param.name();
            if param.required() && bound.first(index).is_none() {
                self.error(
                    Diagnostic::error(
                        "E0011",
                        file,
                        call_span,
                        format!("`{callee}` needs the argument `{name}`"),
                    )
                    .with_label(call_span, format!("`{name}` is missing"))
                    .with_help(format!("add `{name}: ...`")),
                );
                ok = false;
            }
        }
        ok.then_some(bound)
    }

    fn call_user(
        &mut self,
        env: &mut Env,
        function: &Rc<UserFunction>,
        args: &[Arg],
        call_span: Span,
    ) -> Value {
        let file = env.file();
        let def = &function.def;
        let arg_values: Vec<Value> = args.iter().map(|a| self.eval(env, &a.value)).collect();
        let Some(bound) = self.bind_args(file, &def.name.text, &def.params, args, call_span) else {
            return Value::Unknown;
        };
        let mut callee_env = Env {
            module: &function.module,
            visible_below: function.visible_below,
            locals: Vec::new(),
            axes: env.axes,
        };
        for (index, param) in def.params.iter().enumerate() {
            let value = match bound.first(index) {
                Some(arg_index) => arg_values[arg_index].clone(),
                None => match &param.default {
                    Some(default) => self.eval(&mut callee_env, default),
                    None => Value::Unknown,
                },
            };
            callee_env.locals.push((&param.name.text, value));
        }
        self.defining.push(std::sync::Arc::clone(def));
        let result = self.eval_body(&mut callee_env, def);
        self.defining.pop();
        result
    }

    /// Evaluates a function body in an environment whose locals hold the parameters.
    pub fn eval_body<'d>(&mut self, env: &mut Env<'d>, def: &'d FunctionDef) -> Value {
        for (name, value_expr) in &def.lets {
            let value = self.eval(env, value_expr);
            env.locals.push((&name.text, value));
        }
        self.eval(env, &def.result)
    }

    fn call_builtin(
        &mut self,
        env: &mut Env,
        builtin: &'static Builtin,
        args: &[Arg],
        call_span: Span,
    ) -> Value {
        let file = env.file();
        let Some(bound) = self.bind_args(file, builtin.name, builtin.params, args, call_span)
        else {
            for arg in args {
                self.eval(env, &arg.value);
            }
            return Value::Unknown;
        };
        let mut values: Vec<Option<(Value, Span)>> = Vec::with_capacity(builtin.params.len());
        let mut failed = false;
        for (index, param) in builtin.params.iter().enumerate() {
            if param.variadic {
                let mut items = Vec::new();
                for arg in bound.given(index).map(|arg_index| &args[arg_index]) {
                    let value = self.eval(env, &arg.value);
                    match self.coerce(env, value, &param.ty, &arg.value) {
                        Some(v) => items.push(v),
                        None => failed = true,
                    }
                }
                values.push(Some((Value::List(items), call_span)));
                continue;
            }
            let Some(arg) = bound.first(index).map(|arg_index| &args[arg_index]) else {
                values.push(None);
                continue;
            };
            let value = self.eval(env, &arg.value);
            match self.coerce(env, value, &param.ty, &arg.value) {
                Some(v) => values.push(Some((v, arg.value.span))),
                None => {
                    values.push(None);
                    failed = true;
                }
            }
        }
        if failed {
            return Value::Unknown;
        }
        let mut call = Call {
            builtin,
            values,
            file,
            span: call_span,
        };
        self.construct(env, &mut call)
    }

    /// Checks a value against a parameter type, reporting a mismatch; `None` means "do not use".
    /// Numbers are returned as given (already SI); half-lives are turned into rates.
    pub fn coerce(&mut self, env: &Env, value: Value, ty: &Ty, expr: &Expr) -> Option<Value> {
        let file = env.file();
        let span = expr.span;
        if let Value::Unknown = value {
            return None;
        }
        let wrong = |checker: &mut Self, value: &Value| {
            let mut diagnostic = Diagnostic::error(
                "E0008",
                file,
                span,
                format!("expected {}, found {}", ty.describe(), value.describe()),
            )
            .with_label(span, format!("this is {}", value.describe()));
            if let (Ty::Source, Value::Connectome(_)) = (ty, value) {
                diagnostic = diagnostic.with_help("a connectome is the brain the sources act on; a source is made with `source(...)` or a preset such as `meditation(...)`");
            }
            checker.error(diagnostic);
            None
        };
        match ty {
            Ty::Number(dim) => match value {
                Value::Number(scalar) if scalar.dim == *dim => Some(Value::Number(scalar)),
                Value::Number(scalar) => {
                    let mut diagnostic = wrong_dimension(file, span, &dim.to_string(), scalar.dim);
                    if scalar.dim.is_none() {
                        let example = match *dim {
                            Dim::TIME => "`10 min`",
                            Dim::FREQUENCY => "`2 Hz`",
                            Dim::LENGTH => "`50 mm`",
                            _ => "a unit",
                        };
                        diagnostic =
                            diagnostic.with_help(format!("add a unit, for example {example}"));
                    }
                    self.error(diagnostic);
                    None
                }
                other => wrong(self, &other),
            },
            Ty::Count => match value {
                Value::Number(scalar) if scalar.dim.is_none() => {
                    if scalar.value < 0.0 {
                        self.error(
                            Diagnostic::error(
                                "E0017",
                                file,
                                span,
                                format!("expected a whole number ≥ 0, found {}", scalar.value),
                            )
                            .with_label(span, "negative"),
                        );
                        None
                    } else if scalar.value.fract() != 0.0 || scalar.value > 9.007_199_254_740_992e15
                    {
                        self.error(
                            Diagnostic::error(
                                "E0018",
                                file,
                                span,
                                format!("expected a whole number, found {}", scalar.value),
                            )
                            .with_label(span, "not a whole number"),
                        );
                        None
                    } else {
                        Some(Value::Number(scalar))
                    }
                }
                Value::Number(scalar) => {
                    self.error(wrong_dimension(file, span, "a whole number", scalar.dim));
                    None
                }
                other => wrong(self, &other),
            },
            Ty::Fraction => match value {
                Value::Number(scalar) if scalar.dim.is_none() => {
                    if (0.0..=1.0).contains(&scalar.value) {
                        Some(Value::Number(scalar))
                    } else {
                        self.error(
                            Diagnostic::error(
                                "E0017",
                                file,
                                span,
                                format!(
                                    "expected a fraction between 0 and 1, found {}",
                                    scalar.value
                                ),
                            )
                            .with_label(span, "out of range")
                            .with_help("write a fraction such as 0.4 or a percentage such as 40%"),
                        );
                        None
                    }
                }
                Value::Number(scalar) => {
                    self.error(wrong_dimension(file, span, "a plain fraction", scalar.dim));
                    None
                }
                other => wrong(self, &other),
            },
            Ty::HalfLifeOrRate => match value {
                Value::Number(scalar) if scalar.dim == Dim::TIME && scalar.value > 0.0 => {
                    Some(Value::Number(Scalar {
                        value: std::f64::consts::LN_2 / scalar.value,
                        dim: Dim::FREQUENCY,
                        ..scalar
                    }))
                }
                Value::Number(scalar) if scalar.dim == Dim::FREQUENCY && scalar.value > 0.0 => {
                    Some(Value::Number(scalar))
                }
                Value::Number(scalar)
                    if scalar.dim == Dim::TIME || scalar.dim == Dim::FREQUENCY =>
                {
                    self.error(
                        Diagnostic::error(
                            "E0017",
                            file,
                            span,
                            "a half-life or rate must be positive",
                        )
                        .with_label(span, "not positive"),
                    );
                    None
                }
                Value::Number(scalar) => {
                    self.error(wrong_dimension(
                        file,
                        span,
                        "a half-life (time) or a rate (frequency)",
                        scalar.dim,
                    ));
                    None
                }
                other => wrong(self, &other),
            },
            Ty::Text => match value {
                Value::Text(_) => Some(value),
                other => wrong(self, &other),
            },
            Ty::Bool => match value {
                Value::Bool(_) => Some(value),
                other => wrong(self, &other),
            },
            Ty::Connectome => match value {
                Value::Connectome(_) => Some(value),
                other => wrong(self, &other),
            },
            Ty::Source => match value {
                Value::Source(_) => Some(value),
                other => wrong(self, &other),
            },
            Ty::Envelope => match value {
                Value::Envelope(_) => Some(value),
                Value::Curve(curve) if curve.kind == "table" => {
                    Some(Value::Envelope(Box::new(Envelope::Table(curve.table))))
                }
                other => wrong(self, &other),
            },
            Ty::SourcePart => match value {
                Value::Part(_) => Some(value),
                other => wrong(self, &other),
            },
            Ty::Curve => match value {
                Value::Curve(_) => Some(value),
                other => wrong(self, &other),
            },
            Ty::Pattern => match value {
                Value::PatternName(_) => Some(value),
                Value::Pattern(_) => {
                    self.error(
                        Diagnostic::error("E0028", file, span, "this pattern is not declared in the landscape")
                            .with_label(span, "an undeclared pattern")
                            .with_help("declare it in the landscape block (`pattern name = ...`) and refer to it by name"),
                    );
                    None
                }
                other => wrong(self, &other),
            },
            Ty::Quantity => match value {
                Value::Observable(_) => Some(value),
                other => wrong(self, &other),
            },
            Ty::List(item_ty) => match value {
                Value::List(items) => {
                    let item_exprs: Vec<&Expr> = match &expr.kind {
                        ExprKind::List(list) => list.iter().map(|i| &i.value).collect(),
                        _ => Vec::new(),
                    };
                    let mut out = Vec::new();
                    let mut ok = true;
                    for (index, item) in items.into_iter().enumerate() {
                        let item_expr = item_exprs.get(index).copied().unwrap_or(expr);
                        match self.coerce(env, item, item_ty, item_expr) {
                            Some(v) => out.push(v),
                            None => ok = false,
                        }
                    }
                    ok.then_some(Value::List(out))
                }
                other => wrong(self, &other),
            },
            Ty::TimeTable => match value {
                Value::Table(entries) => {
                    if entries.is_empty() {
                        self.error(
                            Diagnostic::error(
                                "E0030",
                                file,
                                span,
                                "a table needs at least one entry",
                            )
                            .with_label(span, "empty"),
                        );
                        return None;
                    }
                    let mut out = Vec::new();
                    let mut previous: Option<f64> = None;
                    for (key, value) in entries {
                        let (Value::Number(t), Value::Number(v)) = (&key, &value) else {
                            if matches!(key, Value::Unknown) || matches!(value, Value::Unknown) {
                                return None;
                            }
                            self.error(
                                Diagnostic::error(
                                    "E0008",
                                    file,
                                    span,
                                    format!(
                                        "table entries must be `time: number`, found {} and {}",
                                        key.describe(),
                                        value.describe()
                                    ),
                                )
                                .with_label(span, "here"),
                            );
                            return None;
                        };
                        if t.dim != Dim::TIME {
                            self.error(
                                Diagnostic::error(
                                    "E0007",
                                    file,
                                    t.loc.span,
                                    format!("table keys must be times, found {}", t.dim),
                                )
                                .with_label(t.loc.span, format!("this is {}", t.dim))
                                .with_help("write e.g. `0 min: 1.0`"),
                            );
                            return None;
                        }
                        if !v.dim.is_none() {
                            self.error(
                                Diagnostic::error(
                                    "E0007",
                                    file,
                                    v.loc.span,
                                    format!("table values must be plain numbers, found {}", v.dim),
                                )
                                .with_label(v.loc.span, format!("this is {}", v.dim)),
                            );
                            return None;
                        }
                        if previous.is_some_and(|p| t.value <= p) {
                            self.error(
                                Diagnostic::error(
                                    "E0030",
                                    file,
                                    t.loc.span,
                                    "table times must increase",
                                )
                                .with_label(t.loc.span, "not after the previous time"),
                            );
                            return None;
                        }
                        previous = Some(t.value);
                        out.push((Value::Number(*t), Value::Number(*v)));
                    }
                    Some(Value::Table(out))
                }
                Value::List(items) if items.is_empty() => {
                    self.error(
                        Diagnostic::error("E0030", file, span, "a table needs at least one entry")
                            .with_label(span, "empty"),
                    );
                    None
                }
                other => wrong(self, &other),
            },
            Ty::Bands | Ty::Weights | Ty::Plasticity | Ty::RunSelection => match value {
                Value::Record(fields) => {
                    let allowed: &[&str] = match ty {
                        Ty::Bands => &["csh", "rsh", "ssh"],
                        Ty::Plasticity => &["rate", "decay", "threshold"],
                        _ => &[],
                    };
                    for (name, field_value) in &fields {
                        if !allowed.is_empty() && !allowed.contains(&name.as_str()) {
                            let mut diagnostic = Diagnostic::error(
                                "E0023",
                                file,
                                span,
                                format!("unknown field `{name}`; expected {}", allowed.join(", ")),
                            )
                            .with_label(span, "in this record");
                            if let Some(s) = closest(name, allowed.iter().copied()) {
                                diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"));
                            }
                            self.error(diagnostic);
                            return None;
                        }
                        let expected_dim = match (ty, name.as_str()) {
                            (Ty::Plasticity, "rate" | "decay") => Some(Dim::FREQUENCY),
                            (Ty::RunSelection, _) => None,
                            _ => Some(Dim::NONE),
                        };
                        match (expected_dim, field_value) {
                            (_, Value::Unknown) => return None,
                            (Some(dim), Value::Number(s)) if s.dim == dim => {
                                if s.value < 0.0 {
                                    self.error(
                                        Diagnostic::error(
                                            "E0017",
                                            file,
                                            s.loc.span,
                                            format!("`{name}` must not be negative"),
                                        )
                                        .with_label(s.loc.span, "negative"),
                                    );
                                    return None;
                                }
                            }
                            (Some(dim), Value::Number(s)) => {
                                self.error(
                                    Diagnostic::error(
                                        "E0007",
                                        file,
                                        s.loc.span,
                                        format!("`{name}` must be {dim}, found {}", s.dim),
                                    )
                                    .with_label(s.loc.span, format!("this is {}", s.dim)),
                                );
                                return None;
                            }
                            (None, Value::Text(_)) => {}
                            (_, other) => {
                                self.error(
                                    Diagnostic::error(
                                        "E0008",
                                        file,
                                        span,
                                        format!(
                                            "field `{name}` must be {}, found {}",
                                            if expected_dim.is_some() {
                                                "a number"
                                            } else {
                                                "a string"
                                            },
                                            other.describe()
                                        ),
                                    )
                                    .with_label(span, "in this record"),
                                );
                                return None;
                            }
                        }
                    }
                    Some(Value::Record(fields))
                }
                other => wrong(self, &other),
            },
            Ty::Window => match value {
                Value::Source(_) | Value::Range { .. } => Some(value),
                Value::Number(s) if s.dim == Dim::TIME => Some(value),
                Value::Number(s) => {
                    self.error(
                        Diagnostic::error(
                            "E0026",
                            file,
                            span,
                            format!(
                                "a window must be a source, a time or a time range, found {}",
                                s.dim
                            ),
                        )
                        .with_label(span, format!("this is {}", s.dim)),
                    );
                    None
                }
                other => {
                    self.error(
                        Diagnostic::error(
                            "E0026",
                            file,
                            span,
                            format!(
                                "a window must be a source, a time or a time range, found {}",
                                other.describe()
                            ),
                        )
                        .with_label(span, format!("this is {}", other.describe())),
                    );
                    None
                }
            },
            Ty::Keyword(words) => match &expr.kind {
                ExprKind::Ident(word) if words.contains(&word.as_str()) => {
                    Some(Value::Text(word.to_string()))
                }
                _ => {
                    self.error(
                        Diagnostic::error(
                            "E0008",
                            file,
                            span,
                            format!("expected {}", ty.describe()),
                        )
                        .with_label(span, "not one of these words"),
                    );
                    None
                }
            },
        }
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

/// The arguments of a call bound to the callee's parameters: one vector of (parameter index,
/// argument index) pairs in call order instead of a vector per parameter, because binding runs
/// for every call the checker evaluates and most parameters get one argument or none.
#[derive(Default)]
struct Bound {
    slots: Vec<(usize, usize)>,
}

impl Bound {
    /// The argument given for parameter `param`, the first one for a variadic parameter.
    fn first(&self, param: usize) -> Option<usize> {
        self.given(param).next()
    }

    /// Every argument given for parameter `param`, in call order.
    fn given(&self, param: usize) -> impl Iterator<Item = usize> + '_ {
        self.slots
            .iter()
            .filter(move |(bound_param, _)| *bound_param == param)
            .map(|(_, arg_index)| *arg_index)
    }
}

/// What [`Checker::bind_args`] needs to know of a parameter, for builtins and user functions alike.
trait ParamShape {
    fn name(&self) -> &str;
    /// True when a call must give the argument.
    fn required(&self) -> bool;
    /// True when the parameter collects every remaining positional argument.
    fn variadic(&self) -> bool;
}

impl ParamShape for Param {
    fn name(&self) -> &str {
        self.name
    }
    fn required(&self) -> bool {
        self.default == ParamDefault::Required
    }
    fn variadic(&self) -> bool {
        self.variadic
    }
}

impl ParamShape for anneal_syntax::ast::Param {
    fn name(&self) -> &str {
        &self.name.text
    }
    fn required(&self) -> bool {
        self.default.is_none()
    }
    fn variadic(&self) -> bool {
        false
    }
}

/// A builtin call whose arguments are bound and type-checked.
pub struct Call {
    pub builtin: &'static Builtin,
    /// The value given for each parameter of `builtin.params`, in the same order, with the span
    /// of its expression; `None` where the argument was left out.
    pub values: Vec<Option<(Value, Span)>>,
    pub file: FileId,
    pub span: Span,
}

impl Call {
    fn index(&self, name: &str) -> usize {
        self.builtin
            .params
            .iter()
            .position(|p| p.name == name)
            .expect("parameter from the builtins table")
    }

    fn param(&self, name: &str) -> &'static Param {
        &self.builtin.params[self.index(name)]
    }

    /// The value given for the parameter `name` and its span.
    fn given(&self, name: &str) -> Option<&(Value, Span)> {
        self.values.get(self.index(name))?.as_ref()
    }

    /// A numeric argument or its default, in SI units.
    pub fn scalar(&self, name: &str) -> Option<Scalar> {
        match self.given(name) {
            Some((Value::Number(s), _)) => Some(*s),
            _ => {
                let param = self.param(name);
                let dim = match param.ty {
                    Ty::Number(dim) => dim,
                    _ => Dim::NONE,
                };
                match param.default {
                    ParamDefault::Number(value) => Some(Scalar {
                        value,
                        dim,
                        loc: Loc {
                            file: self.file,
                            span: self.span,
                        },
                    }),
                    _ => None,
                }
            }
        }
    }

    pub fn number(&self, name: &str) -> f64 {
        self.scalar(name).map_or(0.0, |s| s.value)
    }

    pub fn text(&self, name: &str) -> Option<String> {
        match self.given(name) {
            Some((Value::Text(t), _)) => Some(t.clone()),
            _ => None,
        }
    }

    pub fn value(&self, name: &str) -> Option<&Value> {
        self.given(name).map(|(v, _)| v)
    }

    pub fn span_of(&self, name: &str) -> Span {
        self.given(name).map_or(self.span, |(_, s)| *s)
    }

    pub fn bands(&self, name: &str) -> Bands {
        let (csh, rsh, ssh) = match self.param(name).default {
            ParamDefault::Bands(a, b, c) => (a, b, c),
            _ => (1.0, 1.0, 0.0),
        };
        let mut bands = Bands { csh, rsh, ssh };
        if let Some(Value::Record(fields)) = self.value(name) {
            for (field, value) in fields {
                if let Value::Number(s) = value {
                    match field.as_str() {
                        "csh" => bands.csh = s.value,
                        "rsh" => bands.rsh = s.value,
                        _ => bands.ssh = s.value,
                    }
                }
            }
        }
        bands
    }

    pub fn weights(&self, name: &str) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        if let Some(Value::Record(fields)) = self.value(name) {
            for (field, value) in fields {
                if let Value::Number(s) = value {
                    out.insert(field.clone(), s.value);
                }
            }
        }
        out
    }

    pub fn loc(&self) -> Loc {
        Loc {
            file: self.file,
            span: self.span,
        }
    }
}

/// Category check used by docs tests.
pub fn category_of(name: &str) -> Option<Category> {
    builtins::builtin(name).map(|b| b.category)
}
