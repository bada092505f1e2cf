//! Coercion: a value checked against a parameter's type and converted to it, with the
//! diagnostic that says why not.

use super::*;

impl Checker<'_> {
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
                        self.out_of_range(
                            file,
                            span,
                            format!("expected a whole number ≥ 0, found {}", scalar.value),
                            "negative",
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
                    self.out_of_range(
                        file,
                        span,
                        "a half-life or rate must be positive",
                        "not positive",
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
                                    self.out_of_range(
                                        file,
                                        s.loc.span,
                                        format!("`{name}` must not be negative"),
                                        "negative",
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
}
