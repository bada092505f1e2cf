//! Blocks: the settings of `experiment`, `harmonics`, `sinks`, `landscape` and `record`, and
//! `expect` statements.

use super::*;

impl<'l> Checker<'l> {
    /// Checks a settings block against the table: unknown and repeated settings, types, `per`.
    fn settings(
        &mut self,
        module: &Rc<Module>,
        block: &'static str,
        settings: &[Setting],
    ) -> BTreeMap<&'static str, (Value, Span)> {
        let file = module.file;
        let mut out: BTreeMap<&'static str, (Value, Span)> = BTreeMap::new();
        for setting in settings {
            let Setting::Plain {
                name,
                value,
                per,
                span,
            } = setting
            else {
                if block != "landscape" {
                    let span = setting.span();
                    self.error(
                        Diagnostic::error(
                            "E0016",
                            file,
                            span,
                            format!("patterns belong in the landscape block, not in `{block}`"),
                        )
                        .with_label(span, "pattern here"),
                    );
                }
                continue;
            };
            let Some(info) = builtins::settings_of(block).find(|s| s.name == name.text) else {
                let names: Vec<&str> = builtins::settings_of(block).map(|s| s.name).collect();
                let mut diagnostic = Diagnostic::error(
                    "E0016",
                    file,
                    name.span,
                    format!("`{block}` has no setting `{}`", name.text),
                )
                .with_label(name.span, "unknown setting");
                diagnostic = match closest(&name.text, names.iter().copied()) {
                    Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                    None => diagnostic.with_help(format!("its settings are: {}", names.join(", "))),
                };
                self.error(diagnostic);
                let mut env = self.env(module);
                self.eval(&mut env, value);
                continue;
            };
            if let Some((_, first)) = out.get(info.name) {
                let first = *first;
                self.error(
                    Diagnostic::error(
                        "E0014",
                        file,
                        name.span,
                        format!("`{}` is set twice", name.text),
                    )
                    .with_label(name.span, "second")
                    .with_label(first, "first"),
                );
                continue;
            }
            let mut env = self.env(module);
            let evaluated = if matches!(info.ty, Ty::Keyword(_)) {
                Value::Unknown
            } else {
                self.eval(&mut env, value)
            };
            let evaluated = match (info.per, per) {
                (Some("time"), Some(unit_name)) => {
                    match (units::time_unit(&unit_name.text), evaluated) {
                        (Some(unit), Value::Number(s)) if s.dim.is_none() => {
                            Value::Number(Scalar {
                                value: s.value / units::to_si(1.0, unit),
                                dim: Dim::FREQUENCY,
                                loc: loc(file, value.span.join(unit_name.span)),
                            })
                        }
                        (Some(_), Value::Number(s)) => {
                            self.error(
                                Diagnostic::error(
                                    "E0007",
                                    file,
                                    value.span,
                                    format!(
                                        "`{} ... per {}` needs a plain number, found {}",
                                        name.text, unit_name.text, s.dim
                                    ),
                                )
                                .with_label(value.span, format!("this is {}", s.dim)),
                            );
                            continue;
                        }
                        (None, _) => {
                            self.error(
                                Diagnostic::error(
                                    "E0016",
                                    file,
                                    unit_name.span,
                                    format!("`per {}` is not a time unit", unit_name.text),
                                )
                                .with_label(unit_name.span, "expected s, ms, min, h or d"),
                            );
                            continue;
                        }
                        (_, other) => other,
                    }
                }
                (Some(word), Some(unit_name)) if word != "time" && unit_name.text != word => {
                    self.error(
                        Diagnostic::error(
                            "E0016",
                            file,
                            unit_name.span,
                            format!("expected `per {word}`"),
                        )
                        .with_label(unit_name.span, format!("write `per {word}`")),
                    );
                    continue;
                }
                (None, Some(unit_name)) => {
                    self.error(
                        Diagnostic::error(
                            "E0016",
                            file,
                            unit_name.span,
                            format!("`{}` takes no `per` clause", name.text),
                        )
                        .with_label(unit_name.span, "remove this"),
                    );
                    continue;
                }
                (_, _) => evaluated,
            };
            let value_for_coerce = if matches!(info.ty, Ty::Keyword(_)) {
                Value::Bool(true)
            } else {
                evaluated
            };
            if let Some(v) = self.coerce(&env, value_for_coerce, &info.ty, value) {
                out.insert(info.name, (v, *span));
            }
        }
        out
    }

    /// A landscape setting that must not be negative (E0017 otherwise, and `None`).
    fn non_negative_landscape_setting(
        &mut self,
        file: FileId,
        values: &BTreeMap<&'static str, (Value, Span)>,
        name: &str,
        what: &str,
        fallback: Span,
    ) -> Option<Scalar> {
        let value = self.setting_scalar(file, values, "landscape", name, fallback)?;
        if value.value < 0.0 {
            self.out_of_range(
                file,
                value.loc.span,
                format!("{what} must not be negative"),
                "negative",
            );
            return None;
        }
        Some(value)
    }

    fn setting_scalar(
        &self,
        file: FileId,
        values: &BTreeMap<&'static str, (Value, Span)>,
        block: &str,
        name: &str,
        fallback: Span,
    ) -> Option<Scalar> {
        match values.get(name) {
            Some((Value::Number(s), _)) => Some(*s),
            _ => {
                let info = builtins::settings_of(block).find(|s| s.name == name)?;
                let dim = if let Ty::Number(dim) = info.ty {
                    dim
                } else {
                    Dim::NONE
                };
                match info.default {
                    ParamDefault::Number(value) => Some(Scalar {
                        value,
                        dim,
                        loc: loc(file, fallback),
                    }),
                    _ => None,
                }
            }
        }
    }

    pub(super) fn experiment(
        &mut self,
        module: &Rc<Module>,
        title: &StringLit,
        settings: &[Setting],
        span: Span,
    ) -> Option<Experiment> {
        let file = module.file;
        let values = self.settings(module, "experiment", settings);
        let mut missing = false;
        for required in ["seed", "dt", "duration"] {
            if !values.contains_key(required)
                && !settings
                    .iter()
                    .any(|s| matches!(s, Setting::Plain { name, .. } if name.text == required))
            {
                self.error(
                    Diagnostic::error(
                        "E0029",
                        file,
                        span,
                        format!("the experiment needs `{required}`"),
                    )
                    .with_label(title.span, format!("`{required}` is missing"))
                    .with_help(format!(
                        "add a line such as `{}`",
                        match required {
                            "seed" => "seed 1",
                            "dt" => "dt 20 ms",
                            _ => "duration 10 min",
                        }
                    )),
                );
                missing = true;
            }
        }
        let seed = self.setting_scalar(file, &values, "experiment", "seed", span);
        let dt = self.setting_scalar(file, &values, "experiment", "dt", span);
        let duration = self.setting_scalar(file, &values, "experiment", "duration", span);
        let record_from = self.setting_scalar(file, &values, "experiment", "record_from", span)?;
        if missing {
            return None;
        }
        let (seed, dt, duration) = (seed?, dt?, duration?);
        if dt.value <= 0.0 {
            self.out_of_range(
                file,
                dt.loc.span,
                "the time step must be positive",
                "not positive",
            );
            return None;
        }
        if duration.value < dt.value {
            self.error(
                Diagnostic::error(
                    "E0017",
                    file,
                    duration.loc.span,
                    "the duration is shorter than one time step",
                )
                .with_label(duration.loc.span, units::show(duration.value, Dim::TIME))
                .with_label(dt.loc.span, units::show(dt.value, Dim::TIME)),
            );
            return None;
        }
        if record_from.value < 0.0 || record_from.value > duration.value {
            self.out_of_range(
                file,
                record_from.loc.span,
                "recording must start between 0 and the duration",
                "out of range",
            );
            return None;
        }
        Some(Experiment {
            name: title.value.clone(),
            seed: seed.value as u64,
            seed_loc: seed.loc,
            dt,
            duration,
            record_from,
            loc: loc(file, span),
        })
    }

    pub(super) fn harmonics(
        &mut self,
        module: &Rc<Module>,
        connectome: &Name,
        settings: &[Setting],
        span: Span,
    ) -> Option<Harmonics> {
        let file = module.file;
        let mut env = self.env(module);
        let target = self.eval(
            &mut env,
            &Expr {
                kind: ExprKind::Ident(connectome.text.clone()),
                span: connectome.span,
            },
        );
        let values = self.settings(module, "harmonics", settings);
        match target {
            Value::Connectome(_) => {}
            Value::Unknown => return None,
            other => {
                self.expected(file, connectome.span, "a connectome", &other);
                return None;
            }
        }
        let laplacian = match values.get("laplacian") {
            Some((Value::Text(kind), _)) if kind == "combinatorial" => LaplacianKind::Combinatorial,
            _ => LaplacianKind::Normalized,
        };
        let count = |name: &str| {
            self.setting_scalar(file, &values, "harmonics", name, span)
                .map_or(0, |s| s.value.min(u32::MAX as f64) as u32)
        };
        let modes = count("modes");
        let regional_per_region = count("regional");
        let sensory = count("sensory");
        if modes == 0 {
            let at = values.get("modes").map_or(span, |(_, s)| *s);
            self.out_of_range(file, at, "at least one mode is needed", "zero modes");
            return None;
        }
        let fundamental = self.setting_scalar(file, &values, "harmonics", "fundamental", span)?;
        if fundamental.value <= 0.0 {
            self.out_of_range(
                file,
                fundamental.loc.span,
                "the fundamental frequency must be positive",
                "not positive",
            );
            return None;
        }
        Some(Harmonics {
            connectome: connectome.text.to_string(),
            laplacian,
            modes,
            regional_per_region,
            sensory,
            fundamental,
            loc: loc(file, span),
        })
    }

    pub(super) fn sinks(
        &mut self,
        module: &Rc<Module>,
        settings: &[Setting],
        span: Span,
    ) -> Option<Sinks> {
        let file = module.file;
        let values = self.settings(module, "sinks", settings);
        let gain = self.setting_scalar(file, &values, "sinks", "gain", span)?;
        let mut affinity = Bands {
            csh: 0.25,
            rsh: 1.0,
            ssh: 0.1,
        };
        if let Some((Value::Record(fields), _)) = values.get("affinity") {
            for (name, value) in fields {
                if let Value::Number(s) = value {
                    match name.as_str() {
                        "csh" => affinity.csh = s.value,
                        "rsh" => affinity.rsh = s.value,
                        _ => affinity.ssh = s.value,
                    }
                }
            }
        }
        let schedule = match values.get("schedule") {
            Some((Value::Curve(curve), _)) => (**curve).clone(),
            _ => constant_curve(1.0, loc(file, span)),
        };
        Some(Sinks {
            gain,
            affinity,
            schedule,
            loc: loc(file, span),
        })
    }

    pub(super) fn landscape(
        &mut self,
        module: &Rc<Module>,
        level: &Name,
        settings: &[Setting],
        span: Span,
    ) -> Option<Landscape> {
        let file = module.file;
        let level_kind = match level.text.as_str() {
            "regions" => LandscapeLevel::Regions,
            "nodes" => LandscapeLevel::Nodes,
            other => {
                let mut diagnostic = Diagnostic::error(
                    "E0016",
                    file,
                    level.span,
                    format!("a landscape is on `regions` or `nodes`, not `{other}`"),
                )
                .with_label(level.span, "unknown level");
                if let Some(s) = closest(other, ["regions", "nodes"]) {
                    diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"));
                }
                self.error(diagnostic);
                LandscapeLevel::Regions
            }
        };
        let values = self.settings(module, "landscape", settings);
        let mut patterns: Vec<Pattern> = Vec::new();
        for setting in settings {
            if let Setting::Pattern {
                name,
                value,
                span: pattern_span,
            } = setting
            {
                let mut env = self.env(module);
                match self.eval(&mut env, value) {
                    Value::Pattern(mut pattern) => {
                        if patterns.iter().any(|p| p.name == name.text) {
                            self.error(
                                Diagnostic::error(
                                    "E0012",
                                    file,
                                    name.span,
                                    format!("pattern `{}` is declared twice", name.text),
                                )
                                .with_label(name.span, "second declaration"),
                            );
                            continue;
                        }
                        pattern.name = name.text.to_string();
                        pattern.loc = loc(file, *pattern_span);
                        patterns.push(*pattern);
                    }
                    Value::Unknown => {}
                    other => self.expected(
                        file,
                        value.span,
                        "a pattern (`regions(...)`, `nodes([...])` or `random(seed: ...)`)",
                        &other,
                    ),
                }
            }
        }
        let scale = self.setting_scalar(file, &values, "landscape", "scale", span)?;
        let temperature = match values.get("temperature") {
            Some((Value::Number(t), _)) => {
                if values.contains_key("scale") {
                    self.error(
                        Diagnostic::error(
                            "E0014",
                            file,
                            t.loc.span,
                            "give either `scale` or a fixed `temperature`, not both",
                        )
                        .with_label(t.loc.span, "fixed temperature")
                        .with_label(values["scale"].1, "scale"),
                    );
                    return None;
                }
                if t.value <= 0.0 {
                    self.out_of_range(
                        file,
                        t.loc.span,
                        "the landscape temperature must be positive",
                        "not positive",
                    );
                    return None;
                }
                LandscapeTemperature::Fixed(*t)
            }
            _ => LandscapeTemperature::Scale(scale),
        };
        let couplings = match values.get("couplings") {
            Some((Value::Text(kind), _)) if kind == "uniform" => Couplings::Uniform,
            _ => Couplings::Structural,
        };
        let neutral = self.non_negative_landscape_setting(
            file,
            &values,
            "neutral",
            "the neutral field gain",
            span,
        )?;
        let sweeps = self.non_negative_landscape_setting(
            file,
            &values,
            "sweeps",
            "sweeps per second",
            span,
        )?;
        let here = loc(file, span);
        let mut plasticity = default_plasticity(here);
        if let Some((Value::Record(fields), _)) = values.get("plasticity") {
            for (name, value) in fields {
                if let Value::Number(s) = value {
                    match name.as_str() {
                        "rate" => plasticity.rate = *s,
                        "decay" => plasticity.decay = *s,
                        _ => {
                            if s.value <= 1.0 {
                                self.out_of_range(
                                    file,
                                    s.loc.span,
                                    "the plasticity threshold must be above 1 (rest)",
                                    "not above 1",
                                );
                                return None;
                            }
                            plasticity.threshold = *s
                        }
                    }
                }
            }
        }
        Some(Landscape {
            declared: true,
            level: level_kind,
            temperature,
            couplings,
            neutral,
            sweeps,
            plasticity,
            patterns,
            loc: here,
        })
    }

    pub(super) fn record(
        &mut self,
        module: &Rc<Module>,
        every: &Expr,
        items: &[RecordItem],
        destination: &Option<StringLit>,
        span: Span,
        patterns: &[String],
    ) -> Option<RecordSpec> {
        let file = module.file;
        let mut env = self.env(module);
        let interval = self.eval(&mut env, every);
        let every_scalar = self.coerce(&env, interval, &Ty::Number(Dim::TIME), every);
        let mut observables = Vec::new();
        for item in items {
            let Some(info) = builtins::quantity(&item.quantity.text) else {
                let mut diagnostic = Diagnostic::error(
                    "E0022",
                    file,
                    item.quantity.span,
                    format!("`{}` is not a recordable quantity", item.quantity.text),
                )
                .with_label(item.quantity.span, "unknown quantity");
                diagnostic = match closest(
                    &item.quantity.text,
                    builtins::QUANTITIES.iter().map(|q| q.name),
                ) {
                    Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                    None => diagnostic.with_help(format!(
                        "quantities: {}",
                        builtins::QUANTITIES
                            .iter()
                            .map(|q| q.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                self.error(diagnostic);
                continue;
            };
            let grouping = match &item.by {
                None => None,
                Some(by) => {
                    let grouping = match by.text.as_str() {
                        "band" => Some(Grouping::Band),
                        "mode" => Some(Grouping::Mode),
                        "region" => Some(Grouping::Region),
                        _ => None,
                    };
                    match grouping {
                        Some(g) if info.groupings.contains(&g) => Some(g),
                        _ => {
                            let allowed: Vec<String> = info
                                .groupings
                                .iter()
                                .map(|g| format!("`by {}`", format!("{g:?}").to_lowercase()))
                                .collect();
                            self.error(
                                Diagnostic::error(
                                    "E0022",
                                    file,
                                    by.span,
                                    format!("`{}` cannot be recorded by `{}`", info.name, by.text),
                                )
                                .with_label(by.span, "unsupported grouping")
                                .with_help(if allowed.is_empty() {
                                    format!("`{}` has no groupings", info.name)
                                } else {
                                    format!("allowed: {}", allowed.join(", "))
                                }),
                            );
                            continue;
                        }
                    }
                }
            };
            let pattern = match (&item.argument, info.name) {
                (Some(argument), "overlap") => {
                    if !patterns.iter().any(|known| *known == argument.text) {
                        let mut diagnostic = Diagnostic::error(
                            "E0028",
                            file,
                            argument.span,
                            format!("no pattern `{}` is declared", argument.text),
                        )
                        .with_label(argument.span, "unknown pattern");
                        diagnostic = match closest(
                            &argument.text,
                            patterns.iter().map(String::as_str),
                        ) {
                            Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                            None => diagnostic.with_help(
                                "declare it in the landscape block: `pattern name = regions(...)`",
                            ),
                        };
                        self.error(diagnostic);
                        continue;
                    }
                    Some(argument.text.to_string())
                }
                (None, "overlap") => {
                    self.error(
                        Diagnostic::error(
                            "E0028",
                            file,
                            item.span,
                            "`overlap` needs a pattern: `overlap(name)`",
                        )
                        .with_label(item.span, "no pattern"),
                    );
                    continue;
                }
                (Some(argument), _) => {
                    self.error(
                        Diagnostic::error(
                            "E0022",
                            file,
                            argument.span,
                            format!("`{}` takes no argument", info.name),
                        )
                        .with_label(argument.span, "remove this"),
                    );
                    continue;
                }
                (None, _) => None,
            };
            observables.push(Observable {
                quantity: info.name,
                grouping,
                pattern,
                component: None,
                loc: loc(file, item.span),
            });
        }
        let Some(Value::Number(every)) = every_scalar else {
            return None;
        };
        if every.value <= 0.0 {
            self.out_of_range(
                file,
                every.loc.span,
                "the record interval must be positive",
                "not positive",
            );
            return None;
        }
        Some(RecordSpec {
            every,
            observables,
            destination: destination.as_ref().map(|d| d.value.clone()),
            loc: loc(file, span),
        })
    }

    pub(super) fn expectation(&mut self, env: &mut Env, condition: &Expr) -> Option<Expectation> {
        let file = env.file();
        let value = self.eval(env, condition);
        match value {
            Value::Predicate(predicate) => {
                if !predicate.reads_results() {
                    self.error(
                        Diagnostic::error(
                            "E0024",
                            file,
                            condition.span,
                            "this expectation does not read any recorded quantity",
                        )
                        .with_label(condition.span, "compares constants only"),
                    );
                    return None;
                }
                let text = self
                    .sources
                    .text(file)
                    .get(condition.span.range())
                    .unwrap_or("")
                    .to_string();
                Some(Expectation {
                    predicate: *predicate,
                    text,
                    loc: loc(file, condition.span),
                })
            }
            Value::Unknown => None,
            Value::Bool(_) => {
                self.error(
                    Diagnostic::error("E0024", file, condition.span, "this expectation compares constants, not results")
                        .with_label(condition.span, "always the same, whatever the run does")
                        .with_help("compare a statistic of a recorded quantity, e.g. `mean(valence, during: song) > 0`"),
                );
                None
            }
            other => {
                self.error(
                    Diagnostic::error(
                        "E0024",
                        file,
                        condition.span,
                        format!(
                            "an expectation must be a comparison, found {}",
                            other.describe()
                        ),
                    )
                    .with_label(condition.span, other.describe())
                    .with_help(
                        "write a comparison such as `final(frustration) < initial(frustration)`",
                    ),
                );
                None
            }
        }
    }
}
