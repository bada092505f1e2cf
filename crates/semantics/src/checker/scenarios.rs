//! Scenarios: `vary` axes and the items of their Cartesian product.

use super::*;

impl<'l> Checker<'l> {
    pub(super) fn scenario(
        &mut self,
        module: &Rc<Module>,
        title: &StringLit,
        items: &[ScenarioItem],
        span: Span,
        gathered: &Gathered,
    ) -> Option<Scenario> {
        let file = module.file;
        let mut axes: Vec<Axis> = Vec::new();
        let mut expectations = Vec::new();
        for item in items {
            match item {
                ScenarioItem::Vary {
                    target,
                    values,
                    span: vary_span,
                } => {
                    let vary_target = match target.text.as_str() {
                        "seed" => VaryTarget::Seed,
                        "dt" => VaryTarget::Dt,
                        "duration" => VaryTarget::Duration,
                        "cooling" => VaryTarget::Cooling,
                        other => {
                            let is_let =
                                module
                                    .scope
                                    .borrow_mut()
                                    .lookup(other, usize::MAX)
                                    .map(|b| {
                                        b.used = true;
                                        b.warn_unused
                                    });
                            if is_let == Some(true) {
                                VaryTarget::Let(other.to_string())
                            } else {
                                let mut candidates: Vec<String> = builtins::VARY_TARGETS
                                    .iter()
                                    .map(|s| s.to_string())
                                    .collect();
                                candidates.extend(
                                    module
                                        .scope
                                        .borrow()
                                        .bindings
                                        .iter()
                                        .filter(|(_, b)| b.iter().any(|b| b.warn_unused))
                                        .map(|(n, _)| n.to_string()),
                                );
                                let mut diagnostic = Diagnostic::error(
                                    "E0025",
                                    file,
                                    target.span,
                                    format!("a scenario cannot vary `{other}`"),
                                )
                                .with_label(target.span, "not variable");
                                diagnostic = match closest(other, candidates.iter().map(String::as_str)) {
                                    Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                                    None => diagnostic.with_help("a scenario can vary seed, dt, duration, cooling and top-level `let` bindings"),
                                };
                                self.error(diagnostic);
                                continue;
                            }
                        }
                    };
                    if axes.iter().any(|a| a.target == vary_target) {
                        self.error(
                            Diagnostic::error(
                                "E0025",
                                file,
                                target.span,
                                format!("`{}` is varied twice", target.text),
                            )
                            .with_label(target.span, "second"),
                        );
                        continue;
                    }
                    let mut env = self.env(module);
                    let evaluated = self.eval(&mut env, values);
                    let Some(raw_items) = self.axis_items(file, evaluated, values) else {
                        continue;
                    };
                    let mut axis_items = Vec::new();
                    let mut ok = true;
                    for (label, value) in raw_items {
                        match self.axis_value(module, &vary_target, value, values, gathered) {
                            Some(v) => axis_items.push(AxisItem { label, value: v }),
                            None => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    if ok {
                        axes.push(Axis {
                            target: vary_target,
                            items: axis_items,
                            loc: loc(file, *vary_span),
                        });
                    }
                }
                ScenarioItem::Expect { condition, .. } => {
                    let visible_below = module.scope.borrow().count;
                    let mut env = Env {
                        module,
                        visible_below,
                        locals: Vec::new(),
                        axes: Some(&axes),
                    };
                    if let Some(expectation) = self.expectation(&mut env, condition) {
                        expectations.push(expectation);
                    }
                }
            }
        }
        Some(Scenario {
            name: title.value.clone(),
            axes,
            expectations,
            loc: loc(file, span),
        })
    }

    fn axis_items(
        &mut self,
        file: FileId,
        value: Value,
        expr: &Expr,
    ) -> Option<Vec<(String, Value)>> {
        match value {
            Value::Unknown => None,
            Value::List(items) => Some(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v))
                    .collect(),
            ),
            Value::Record(fields) => Some(fields),
            Value::Range(range) => {
                let RangeValue { start, end, step } = *range;
                let step_value = step.map_or(1.0, |s| s.value);
                let count = ((end.value - start.value) / step_value).floor() + 1.0;
                if count > MAX_ITEMS as f64 {
                    self.error(
                        Diagnostic::error(
                            "E0021",
                            file,
                            expr.span,
                            format!("this range has more than {MAX_ITEMS} items"),
                        )
                        .with_label(expr.span, "too many runs"),
                    );
                    return None;
                }
                if count < 1.0 {
                    self.error(
                        Diagnostic::error("E0025", file, expr.span, "this range is empty")
                            .with_label(expr.span, "end before start"),
                    );
                    return None;
                }
                Some(
                    (0..count as usize)
                        .map(|i| {
                            let v = start.value + step_value * i as f64;
                            (
                                units::show(v, start.dim),
                                Value::Number(Scalar { value: v, ..start }),
                            )
                        })
                        .collect(),
                )
            }
            other => {
                self.error(
                    Diagnostic::error("E0025", file, expr.span, format!("`vary ... in` needs a list, a record of labelled values or a range, found {}", other.describe()))
                        .with_label(expr.span, other.describe()),
                );
                None
            }
        }
    }

    fn axis_value(
        &mut self,
        module: &Rc<Module>,
        target: &VaryTarget,
        value: Value,
        expr: &Expr,
        _gathered: &Gathered,
    ) -> Option<AxisValue> {
        let file = module.file;
        let env = self.env(module);
        let ty = match target {
            VaryTarget::Seed => Ty::Count,
            VaryTarget::Dt | VaryTarget::Duration => Ty::Number(Dim::TIME),
            VaryTarget::Cooling => Ty::Curve,
            VaryTarget::Let(name) => {
                let current = module
                    .scope
                    .borrow_mut()
                    .lookup(name, usize::MAX)
                    .map(|b| b.value.clone());
                match (current, &value) {
                    (Some(Value::Number(c)), Value::Number(v)) if c.dim != v.dim => {
                        self.error(
                            Diagnostic::error(
                                "E0025",
                                file,
                                expr.span,
                                format!("`{name}` is {}, but this item is {}", c.dim, v.dim),
                            )
                            .with_label(v.loc.span, format!("this is {}", v.dim))
                            .with_label_in(
                                c.loc.file,
                                c.loc.span,
                                format!("`{name}` is {} here", c.dim),
                            ),
                        );
                        return None;
                    }
                    (Some(current), value)
                        if std::mem::discriminant(&current) != std::mem::discriminant(value)
                            && !matches!(current, Value::Unknown)
                            && !matches!(value, Value::Unknown) =>
                    {
                        self.error(
                            Diagnostic::error(
                                "E0025",
                                file,
                                expr.span,
                                format!(
                                    "`{name}` is {}, but an item is {}",
                                    current.describe(),
                                    value.describe()
                                ),
                            )
                            .with_label(expr.span, "items must have the kind of the binding"),
                        );
                        return None;
                    }
                    _ => {}
                }
                return match value {
                    Value::Number(s) => Some(AxisValue::Number(s)),
                    Value::Bool(b) => Some(AxisValue::Bool(b)),
                    Value::Text(t) => Some(AxisValue::Text(t)),
                    Value::Curve(c) => Some(AxisValue::Curve(*c)),
                    Value::Source(s) => Some(AxisValue::Source(Rc::unwrap_or_clone(s))),
                    Value::Connectome(c) => Some(AxisValue::Connectome(*c)),
                    Value::Unknown => None,
                    other => {
                        self.error(
                            Diagnostic::error(
                                "E0025",
                                file,
                                expr.span,
                                format!("a scenario cannot vary {}", other.describe()),
                            )
                            .with_label(expr.span, "not variable"),
                        );
                        None
                    }
                };
            }
        };
        let item_expr = expr;
        match self.coerce(&env, value, &ty, item_expr)? {
            Value::Number(s) => {
                if matches!(target, VaryTarget::Dt | VaryTarget::Duration) && s.value <= 0.0 {
                    self.out_of_range(file, s.loc.span, "must be positive", "not positive");
                    return None;
                }
                Some(AxisValue::Number(s))
            }
            Value::Curve(c) => Some(AxisValue::Curve(*c)),
            _ => None,
        }
    }

    // ---- assembly -----------------------------------------------------------------------------
}
