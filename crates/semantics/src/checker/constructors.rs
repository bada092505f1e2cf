//! Constructors: builtin calls that build program values (connectomes, sources, curves, patterns)
//! and the statistics that expectations read.

use super::*;

impl<'l> Checker<'l> {
    /// Builds the value of a builtin call whose arguments are bound and type-checked.
    pub fn construct(&mut self, env: &mut Env, call: &mut Call) -> Value {
        use crate::builtins::Category::*;
        let file = call.file;
        let name = call.builtin.name;
        match call.builtin.category {
            Envelope => {
                let envelope = match name {
                    "pulse" => crate::program::Envelope::Pulse {
                        at: call.scalar("at").expect("required"),
                        length: call.scalar("for").expect("required"),
                    },
                    "ramp" => crate::program::Envelope::Ramp {
                        at: call.scalar("at").expect("required"),
                        rise: call.scalar("rise").expect("required"),
                        hold: call.scalar("hold").expect("default"),
                        fall: call.scalar("fall").expect("default"),
                    },
                    _ => crate::program::Envelope::Bateman {
                        at: call.scalar("at").expect("required"),
                        dose: call.scalar("dose").expect("default"),
                        absorption_rate: call.scalar("absorption").expect("required"),
                        elimination_rate: call.scalar("elimination").expect("required"),
                    },
                };
                for param in ["for", "rise", "hold", "fall"] {
                    if call.builtin.params.iter().any(|p| p.name == param)
                        && let Some(s) = call.scalar(param)
                        && s.value < 0.0
                    {
                        let span = call.span_of(param);
                        self.out_of_range(
                            file,
                            span,
                            format!("`{param}` must not be negative"),
                            "negative",
                        );
                        return Value::Unknown;
                    }
                }
                Value::Envelope(Box::new(envelope))
            }
            SourcePart => {
                let coupling = || Coupling {
                    bands: call.bands("bands"),
                    regions: call.weights("regions"),
                };
                let part = match name {
                    "broadband" => crate::program::SourcePart::Broadband {
                        rate: call.scalar("rate").expect("required"),
                        coupling: coupling(),
                    },
                    "tones" => {
                        let frequencies = match call.value("frequencies") {
                            Some(Value::List(items)) => items
                                .iter()
                                .filter_map(|v| {
                                    if let Value::Number(s) = v {
                                        Some(*s)
                                    } else {
                                        None
                                    }
                                })
                                .collect(),
                            _ => Vec::new(),
                        };
                        crate::program::SourcePart::Tones {
                            frequencies,
                            amplitude: call.scalar("amplitude").expect("default"),
                            coupling: coupling(),
                        }
                    }
                    "beat" => crate::program::SourcePart::Beat {
                        frequency: call.scalar("frequency").expect("required"),
                        amplitude: call.scalar("amplitude").expect("default"),
                        coupling: coupling(),
                    },
                    "metronome" => crate::program::SourcePart::Metronome {
                        frequency: call.scalar("frequency").expect("required"),
                        coupling: call.scalar("coupling").expect("default"),
                    },
                    "suppress_sinks" => crate::program::SourcePart::SuppressSinks {
                        amount: call.scalar("amount").expect("required"),
                    },
                    "boost_sinks" => {
                        let amount = call.scalar("amount").expect("required");
                        if amount.value < 0.0 {
                            let span = call.span_of("amount");
                            self.out_of_range(file, span, "`amount` of boost_sinks must not be negative (lower the sinks with suppress_sinks)", "negative");
                            return Value::Unknown;
                        }
                        crate::program::SourcePart::BoostSinks { amount }
                    }
                    "content" => {
                        let pattern = match call.value("pattern") {
                            Some(Value::PatternName(n)) => n.to_string(),
                            _ => String::new(),
                        };
                        crate::program::SourcePart::Content {
                            pattern,
                            strength: call.scalar("strength").expect("default"),
                        }
                    }
                    "weaken_harmonics" => crate::program::SourcePart::WeakenHarmonics {
                        amount: call.scalar("amount").expect("required"),
                        modes: call.number("modes") as u32,
                    },
                    "detune_region" => crate::program::SourcePart::DetuneRegion {
                        region: call.text("region").unwrap_or_default(),
                        amount: call.scalar("amount").expect("default"),
                    },
                    "restore_integration" => crate::program::SourcePart::RestoreIntegration {
                        strength: call.scalar("strength").expect("default"),
                    },
                    _ => crate::program::SourcePart::Habituation {
                        tau: call.scalar("tau").expect("required"),
                    },
                };
                Value::Part(Box::new(part))
            }
            Source => {
                let Some(Value::Envelope(envelope)) = call.value("envelope").cloned() else {
                    return Value::Unknown;
                };
                let parts = match call.value("parts") {
                    Some(Value::List(items)) => items
                        .iter()
                        .filter_map(|v| {
                            if let Value::Part(p) = v {
                                Some((**p).clone())
                            } else {
                                None
                            }
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                Value::Source(Rc::new(crate::program::Source {
                    components: vec![SourceComponent {
                        scale: 1.0,
                        envelope: *envelope,
                        parts,
                        loc: call.loc(),
                    }],
                }))
            }
            Curve => {
                let mut curve = crate::program::Curve {
                    kind: name,
                    params: BTreeMap::new(),
                    table: Vec::new(),
                    base: None,
                    loc: call.loc(),
                };
                for param in call.builtin.params {
                    if let Ty::Number(_) | Ty::Fraction = param.ty
                        && let Some(s) = call.scalar(param.name)
                    {
                        curve.params.insert(param.name, s);
                    }
                }
                for (param, must_be_positive) in [
                    ("tau", true),
                    ("over", true),
                    ("every", true),
                    ("stall", true),
                ] {
                    if let Some(s) = curve.params.get(param)
                        && must_be_positive
                        && s.value <= 0.0
                    {
                        let span = call.span_of(param);
                        self.out_of_range(
                            file,
                            span,
                            format!("`{param}` must be positive"),
                            "not positive",
                        );
                        return Value::Unknown;
                    }
                }
                match name {
                    "table" => {
                        if let Some(Value::Table(entries)) = call.value("points") {
                            curve.table = entries
                                .iter()
                                .filter_map(|(k, v)| match (k, v) {
                                    (Value::Number(t), Value::Number(x)) => Some((*t, *x)),
                                    _ => None,
                                })
                                .collect();
                        }
                    }
                    "reheating" => {
                        if let Some(Value::Curve(base)) = call.value("base") {
                            curve.base = Some(base.clone());
                        }
                        let has_every = call.value("every").is_some();
                        let has_stall = call.value("stall").is_some();
                        if has_every == has_stall {
                            self.error(
                                Diagnostic::error(
                                    "E0011",
                                    file,
                                    call.span,
                                    "`reheating` needs exactly one of `every` and `stall`",
                                )
                                .with_label(
                                    call.span,
                                    if has_every {
                                        "both given"
                                    } else {
                                        "neither given"
                                    },
                                ),
                            );
                            return Value::Unknown;
                        }
                    }
                    _ => {}
                }
                Value::Curve(Box::new(curve))
            }
            Connectome => match self.connectome_kind(name, call) {
                Some(kind) => Value::Connectome(Box::new(crate::program::Connectome {
                    kind,
                    loc: call.loc(),
                })),
                None => Value::Unknown,
            },
            Pattern => {
                let kind = match name {
                    "regions" => {
                        let names: Vec<String> = match call.value("names") {
                            Some(Value::List(items)) => items
                                .iter()
                                .filter_map(|v| {
                                    if let Value::Text(t) = v {
                                        Some(t.clone())
                                    } else {
                                        None
                                    }
                                })
                                .collect(),
                            _ => Vec::new(),
                        };
                        if names.is_empty() {
                            self.error(
                                Diagnostic::error(
                                    "E0011",
                                    file,
                                    call.span,
                                    "`regions` needs at least one region name",
                                )
                                .with_label(call.span, "no regions"),
                            );
                            return Value::Unknown;
                        }
                        PatternKind::Regions(names)
                    }
                    "nodes" => PatternKind::Nodes(match call.value("indices") {
                        Some(Value::List(items)) => items
                            .iter()
                            .filter_map(|v| {
                                if let Value::Number(s) = v {
                                    Some(s.value as u64)
                                } else {
                                    None
                                }
                            })
                            .collect(),
                        _ => Vec::new(),
                    }),
                    _ => PatternKind::Random {
                        seed: call.number("seed") as u64,
                        fraction: call.number("fraction"),
                    },
                };
                Value::Pattern(Box::new(crate::program::Pattern {
                    name: String::new(),
                    kind,
                    strength: call.scalar("strength").expect("default"),
                    loc: call.loc(),
                }))
            }
            Quantity => {
                let pattern = match call.value("pattern") {
                    Some(Value::PatternName(n)) => Some(n.to_string()),
                    _ => None,
                };
                Value::Observable(Box::new(Observable {
                    quantity: "overlap",
                    grouping: None,
                    pattern,
                    component: None,
                    loc: call.loc(),
                }))
            }
            Statistic => self.statistic(env, call),
        }
    }

    fn statistic(&mut self, env: &mut Env, call: &Call) -> Value {
        let file = call.file;
        let aggregate = match call.builtin.name {
            "mean" => Aggregate::Mean,
            "min" => Aggregate::Min,
            "max" => Aggregate::Max,
            "initial" => Aggregate::Initial,
            _ => Aggregate::Final,
        };
        let Some(Value::Observable(observable)) = call.value("quantity").cloned() else {
            return Value::Unknown;
        };
        let windows: Vec<&str> = ["during", "before", "after"]
            .into_iter()
            .filter(|w| call.value(w).is_some())
            .collect();
        if windows.len() > 1 {
            let span = call.span_of(windows[1]);
            self.error(
                Diagnostic::error(
                    "E0026",
                    file,
                    span,
                    "give at most one window (`during`, `before` or `after`)",
                )
                .with_label(call.span_of(windows[0]), "first window")
                .with_label(span, "second window"),
            );
            return Value::Unknown;
        }
        let source_name = |span: Span| -> Option<String> {
            let text = self.sources.text(file).get(span.range())?.trim();
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                .then(|| text.to_string())
        };
        let window = match windows.first().copied() {
            None => Window::Whole,
            Some(which) => {
                let span = call.span_of(which);
                let value = call.value(which).cloned().unwrap_or(Value::Unknown);
                match (which, value) {
                    (_, Value::Source(source)) => {
                        let Some((start, end)) = source.active_interval() else {
                            return Value::Unknown;
                        };
                        let name = source_name(span);
                        match which {
                            "during" => Window::Between {
                                start,
                                end,
                                source: name,
                            },
                            "before" => Window::Before {
                                time: start,
                                source: name,
                            },
                            _ => Window::After {
                                time: end,
                                source: name,
                            },
                        }
                    }
                    ("during", Value::Range(range)) if range.start.dim == Dim::TIME => {
                        let (start, end) = (&range.start, &range.end);
                        if end.value < start.value {
                            self.error(
                                Diagnostic::error(
                                    "E0026",
                                    file,
                                    span,
                                    "the window ends before it starts",
                                )
                                .with_label(span, "empty window"),
                            );
                            return Value::Unknown;
                        }
                        Window::Between {
                            start: start.value,
                            end: end.value,
                            source: None,
                        }
                    }
                    ("during", Value::Number(_)) => {
                        self.error(
                            Diagnostic::error("E0026", file, span, "`during:` needs a source or a time range, not a single time")
                                .with_label(span, "a single time")
                                .with_help("write a range such as `during: 5 min..10 min`, or use `before:`/`after:`"),
                        );
                        return Value::Unknown;
                    }
                    ("before", Value::Number(t)) => Window::Before {
                        time: t.value,
                        source: None,
                    },
                    ("after", Value::Number(t)) => Window::After {
                        time: t.value,
                        source: None,
                    },
                    (_, Value::Range { .. }) => {
                        self.error(
                            Diagnostic::error(
                                "E0026",
                                file,
                                span,
                                format!("`{which}:` needs a source or a time, not a range"),
                            )
                            .with_label(span, "a range")
                            .with_help("use `during:` for a range"),
                        );
                        return Value::Unknown;
                    }
                    _ => return Value::Unknown,
                }
            }
        };
        let mut runs = BTreeMap::new();
        if let Some(Value::Record(fields)) = call.value("runs") {
            let span = call.span_of("runs");
            let Some(axes) = env.axes else {
                self.error(
                    Diagnostic::error("E0025", file, span, "`runs:` selects runs of a scenario and is allowed only inside a `scenario`")
                        .with_label(span, "outside a scenario"),
                );
                return Value::Unknown;
            };
            for (axis_name, label) in fields {
                let Value::Text(label) = label else { continue };
                let Some(axis) = axes.iter().find(|a| a.target.name() == axis_name) else {
                    let mut diagnostic = Diagnostic::error(
                        "E0025",
                        file,
                        span,
                        format!("the scenario varies no `{axis_name}`"),
                    )
                    .with_label(span, "unknown axis");
                    if let Some(s) = closest(axis_name, axes.iter().map(|a| a.target.name())) {
                        diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"));
                    }
                    self.error(diagnostic);
                    return Value::Unknown;
                };
                if !axis.items.iter().any(|item| &item.label == label) {
                    let labels: Vec<&str> = axis.items.iter().map(|i| i.label.as_str()).collect();
                    let mut diagnostic = Diagnostic::error(
                        "E0025",
                        file,
                        span,
                        format!("axis `{axis_name}` has no item `{label}`"),
                    )
                    .with_label(span, "unknown label");
                    diagnostic = match closest(label, labels.iter().copied()) {
                        Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                        None => {
                            diagnostic.with_help(format!("its labels are: {}", labels.join(", ")))
                        }
                    };
                    self.error(diagnostic);
                    return Value::Unknown;
                }
                runs.insert(axis_name.clone(), label.clone());
            }
        }
        Value::Operand(Operand::Statistic(Box::new(crate::program::Statistic {
            aggregate,
            observable: *observable,
            window,
            runs,
            loc: call.loc(),
        })))
    }

    // ---- blocks -------------------------------------------------------------------------------

    /// The typed connectome a constructor call builds, or `None` after reporting why not.
    /// Counts arrive as whole numbers (coerced by their `Count` type); only the model's own
    /// minimums are checked here.
    fn connectome_kind(&mut self, name: &str, call: &Call) -> Option<ConnectomeKind> {
        let file = call.file;
        for (param, minimum) in [
            ("nodes", 1.0),
            ("rows", 1.0),
            ("columns", 1.0),
            ("modules", 1.0),
            ("size", 1.0),
        ] {
            if name != "with_sensorium"
                && call.builtin.params.iter().any(|p| p.name == param)
                && call.number(param) < minimum
            {
                let span = call.span_of(param);
                self.out_of_range(
                    file,
                    span,
                    format!("`{param}` must be at least {minimum}"),
                    "too small",
                );
                return None;
            }
        }
        let count = |param: &str| call.number(param) as usize;
        let seed = |param: &str| call.number(param) as u64;
        let path = |param: &str| call.text(param).unwrap_or_default();
        Some(match name {
            "ring" => {
                if call.number("nodes") < 3.0 {
                    let span = call.span_of("nodes");
                    self.out_of_range(file, span, "a ring needs at least 3 nodes", "too few");
                    return None;
                }
                ConnectomeKind::Ring {
                    nodes: count("nodes"),
                    neighbours: count("neighbours"),
                    weight: call.number("weight"),
                }
            }
            "lattice" => ConnectomeKind::Lattice {
                rows: count("rows"),
                columns: count("columns"),
                periodic: matches!(call.value("periodic"), Some(Value::Bool(true))),
            },
            "small_world" => ConnectomeKind::SmallWorld {
                nodes: count("nodes"),
                neighbours: count("neighbours"),
                rewire: call.number("rewire"),
                seed: seed("seed"),
            },
            "modular" => ConnectomeKind::Modular {
                modules: count("modules"),
                levels: u32::try_from(count("levels")).unwrap_or(u32::MAX),
                size: count("size"),
                inside: call.number("inside"),
                between: call.number("between"),
                seed: seed("seed"),
            },
            "complete" => ConnectomeKind::Complete {
                nodes: count("nodes"),
            },
            "random_geometric" => ConnectomeKind::RandomGeometric {
                nodes: count("nodes"),
                radius: call.number("radius"),
                seed: seed("seed"),
            },
            "tvb" => ConnectomeKind::Tvb { path: path("path") },
            "surface" => ConnectomeKind::Surface {
                mesh: path("mesh"),
                mapping: path("mapping"),
                regions: path("regions"),
            },
            "edge_list" => ConnectomeKind::EdgeList { path: path("path") },
            "matrix" => ConnectomeKind::Matrix { path: path("path") },
            "human_cortex" => ConnectomeKind::HumanCortex,
            "human_regions" => ConnectomeKind::HumanRegions,
            "with_sensorium" => {
                let Some(Value::Connectome(base)) = call.value("base") else {
                    // The `Connectome` type of `base` was checked when the call was bound.
                    return None;
                };
                let attach = match call.value("attach") {
                    Some(Value::List(items)) => items
                        .iter()
                        .filter_map(|item| match item {
                            Value::Text(text) => Some(text.clone()),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                ConnectomeKind::WithSensorium {
                    base: base.clone(),
                    nodes: count("nodes"),
                    nerve_length: call.number("nerve_length"),
                    attach,
                }
            }
            other => unreachable!(
                "`{other}` is in the builtins table as a connectome but has no constructor here"
            ),
        })
    }
}
