//! Lowering: a checked [`Program`] (values in seconds, with their source locations) becomes a
//! [`Plan`] (integer step indices, engine settings), or diagnostics that point at the value that
//! could not be lowered.
//!
//! Every script time goes through [`seconds_to_steps`], so a time that is not a whole number of
//! steps is an error at its span (model.md §7), never a silent rounding. Lowering also checks what
//! the semantics cannot know without the time grid: events after the end, expectation windows
//! outside the run, expectations that read a source the experiment does not declare or a
//! quantity that is not one recorded column.
//!
//! The connectome enters only as [`LandscapeContext`]: the names of the landscape's nodes, so
//! that patterns given by region names or node indices become explicit spins.

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::program::{
    self, Coupling, Curve, Grouping, LandscapeLevel, LandscapeTemperature, Loc, Observable,
    Program, Scalar, SourcePart, Window,
};
use crate::units::Dim;
use anneal_diagnostics::{Diagnostic, SourceMap};
use anneal_plan::{
    Action, Band, BandWeights, Component, CoolingCurve, CoolingShape, Envelope, FieldInit,
    FieldSettings, Habituation, LandscapeSettings, LockingSettings, MetricSettings, PatternKind,
    PatternSpec, Plan, Prior, Profile, Quantity, RecordItem, RecordSpec, RegionWeight, Reheat,
    SinkSchedule, Source, SpinInit, TablePoint, envelope_peak, seconds_to_steps,
};

/// Intrinsic damping γ₀ of every mode (1/s): the relaxation time of an unforced mode is 2 s,
/// slow against the 20 ms steps scripts use and fast against minutes-long sessions.
pub const GAMMA0: f64 = 0.5;
/// Injection-locking coupling ε (rad/s). With ε·dt ≤ 0.5 rad per step required by the plan's
/// validation, this allows steps up to 250 ms.
pub const LOCKING_EPSILON: f64 = 2.0;
/// Trailing window (s) of the locking index and of the windowed metrics (model.md §3).
pub const WINDOW_SECONDS: f64 = 10.0;
/// Depth of habituation: the share of a predictable drive the sinks learn to cancel.
pub const HABITUATION_DEPTH: f64 = 0.8;
/// Rate (1/s at full plasticity) at which trauma's structural targets are approached; the
/// script's `detune_region(amount:)` and `restore_integration(strength)` scale it.
pub const STRUCTURAL_RATE: f64 = 0.5;
/// Relative improvement below which a reheating-after-stall curve counts the energy as stalled.
pub const STALL_TOLERANCE: f64 = 1e-3;

/// What lowering needs to know about the connectome: the landscape's nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct LandscapeContext {
    /// Region names of the connectome, in region order (empty without regions).
    pub region_names: Vec<String>,
    /// Number of connectome nodes.
    pub node_count: usize,
}

/// A lowered script: the plan, warnings, and the provenance of its sources.
#[derive(Debug, Clone)]
pub struct Lowered {
    pub plan: Plan,
    /// Non-fatal findings (for example a setting the engine applies to more modes than asked).
    pub warnings: Vec<Diagnostic>,
    /// blake3 of the script and of every module it imports (stdlib included), by name.
    pub source_hashes: BTreeMap<String, String>,
    /// For every recorded column name, its unit as written in scripts (`1` when dimensionless).
    pub units: BTreeMap<String, String>,
    /// Recording starts here (s).
    pub record_from: f64,
}

/// blake3 (hex) of every text in the source map, by file name.
pub fn source_hashes(sources: &SourceMap) -> BTreeMap<String, String> {
    (0..sources.len())
        .map(anneal_diagnostics::FileId)
        .map(|file| {
            (
                sources.name(file).to_string(),
                blake3::hash(sources.text(file).as_bytes())
                    .to_hex()
                    .to_string(),
            )
        })
        .collect()
}

/// The recorded column an expectation's quantity reads, if it names exactly one column.
pub fn observable_column(observable: &Observable) -> Option<String> {
    if observable.grouping.is_some() {
        return None;
    }
    Some(
        match (observable.quantity, observable.component.as_deref()) {
            ("overlap", _) => format!("overlap.{}", observable.pattern.as_deref()?),
            ("energy", Some(band)) => format!("band_energy.{band}"),
            (quantity, Some(component)) => format!("{quantity}.{component}"),
            (quantity, None) => quantity.to_string(),
        },
    )
}

struct Lowerer<'a> {
    program: &'a Program,
    context: &'a LandscapeContext,
    dt: f64,
    n_steps: u64,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// Lowers a checked program. `sources` are the texts the program's locations point into.
pub fn lower(
    program: &Program,
    sources: &SourceMap,
    context: &LandscapeContext,
) -> Result<Lowered, Vec<Diagnostic>> {
    let experiment = &program.experiment;
    let dt = experiment.dt.value;
    let mut lowerer = Lowerer {
        program,
        context,
        dt,
        n_steps: 0,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let n_steps = lowerer
        .steps("the duration", &experiment.duration)
        .unwrap_or(0);
    lowerer.n_steps = n_steps;
    let record_from = experiment.record_from.value;
    lowerer.time_within_run("the start of recording", &experiment.record_from);

    let window_steps = ((WINDOW_SECONDS / dt).round() as u64).max(1);
    let field = FieldSettings {
        gamma0: GAMMA0,
        theta_rest: 1.0,
        plastic_temperature: program.landscape.plasticity.threshold.value,
        initial: FieldInit::Equilibrium,
    };
    let sinks = SinkSchedule {
        gain: program.sinks.gain.value,
        affinity: bands(&program.sinks.affinity),
        profile: lowerer.profile(&program.sinks.schedule),
    };
    let cooling = lowerer
        .cooling(&program.cooling)
        .unwrap_or_else(|| CoolingCurve::constant(1.0));
    let plan_sources = program
        .sources
        .iter()
        .map(|named| Source {
            name: named.name.clone(),
            components: named
                .source
                .components
                .iter()
                .flat_map(|component| lowerer.components(component))
                .collect(),
        })
        .collect();
    let landscape = lowerer.landscape();
    let (record, units) = lowerer.record();
    lowerer.expectations();

    let plan = Plan {
        seed: experiment.seed,
        dt,
        n_steps,
        field,
        sinks,
        cooling,
        locking: LockingSettings {
            epsilon: LOCKING_EPSILON,
            max_denominator: 8,
            prune_below: 1e-3,
            window_steps,
        },
        metrics: MetricSettings {
            window_steps,
            reference_hz: 220.0,
        },
        sources: plan_sources,
        landscape: Some(landscape),
        record,
    };
    if lowerer.errors.is_empty()
        && let Err(error) = plan.validate()
    {
        // Validation names a failing source as "source `NAME`"; point at its declaration.
        let message = error.to_string();
        let (at, label) = program
            .sources
            .iter()
            .find(|s| message.contains(&format!("source `{}`", s.name)))
            .map_or((experiment.loc, "in this experiment"), |s| {
                (s.loc, "in this source")
            });
        lowerer.errors.push(
            Diagnostic::error(
                "E0044",
                at.file,
                at.span,
                format!("the plan cannot run: {message}"),
            )
            .with_label(at.span, label),
        );
    }
    if lowerer.errors.is_empty() {
        Ok(Lowered {
            plan,
            warnings: lowerer.warnings,
            source_hashes: source_hashes(sources),
            units,
            record_from,
        })
    } else {
        let mut all = lowerer.errors;
        all.extend(lowerer.warnings);
        Err(all)
    }
}

fn bands(b: &program::Bands) -> BandWeights {
    BandWeights {
        csh: b.csh,
        rsh: b.rsh,
        ssh: b.ssh,
    }
}

fn regions(coupling: &Coupling) -> Vec<RegionWeight> {
    coupling
        .regions
        .iter()
        .map(|(region, weight)| RegionWeight {
            region: region.clone(),
            weight: *weight,
        })
        .collect()
}

impl Lowerer<'_> {
    fn error(&mut self, code: &'static str, at: Loc, message: String, label: &str) {
        self.errors
            .push(Diagnostic::error(code, at.file, at.span, message).with_label(at.span, label));
    }

    /// A time as a whole number of steps, or an E0040 at the value.
    fn steps(&mut self, what: &str, time: &Scalar) -> Option<u64> {
        match seconds_to_steps(what, time.value, self.dt) {
            Ok(steps) => Some(steps),
            Err(error) => {
                self.errors.push(
                    Diagnostic::error("E0040", time.loc.file, time.loc.span, error.to_string())
                        .with_label(time.loc.span, "this time")
                        .with_help(format!(
                            "every time must be a whole number of steps of dt = {} s",
                            self.dt
                        )),
                );
                None
            }
        }
    }

    /// A time that must fall inside the run (an event after the end is an error, E0041).
    fn time_within_run(&mut self, what: &str, time: &Scalar) -> Option<u64> {
        let step = self.steps(what, time)?;
        if step > self.n_steps {
            let duration = self.program.experiment.duration.value;
            self.errors.push(
                Diagnostic::error(
                    "E0041",
                    time.loc.file,
                    time.loc.span,
                    format!(
                        "{what} at {} s is after the end of the experiment ({duration} s)",
                        time.value
                    ),
                )
                .with_label(time.loc.span, "after the end")
                .with_label_in(
                    self.program.experiment.duration.loc.file,
                    self.program.experiment.duration.loc.span,
                    "the experiment ends here",
                ),
            );
            return None;
        }
        Some(step)
    }

    fn table(&mut self, what: &str, points: &[(Scalar, Scalar)], offset: u64) -> Vec<TablePoint> {
        points
            .iter()
            .filter_map(|(time, value)| {
                let step = self.steps(what, time)?;
                Some(TablePoint {
                    step: step.saturating_sub(offset),
                    value: value.value,
                })
            })
            .collect()
    }

    fn unsupported(&mut self, at: Loc, message: String) {
        self.error("E0043", at, message, "not supported by the engine");
    }

    fn profile(&mut self, curve: &Curve) -> Profile {
        match curve.kind {
            "constant" => Profile::Constant {
                value: curve.param("level").unwrap_or(1.0),
            },
            "linear" => {
                let start = self.curve_param_steps(curve, "at").unwrap_or(0);
                let over = self.curve_param_steps(curve, "over").unwrap_or(0);
                Profile::Ramp {
                    start_step: start,
                    end_step: start + over,
                    from: curve.param("from").unwrap_or(1.0),
                    to: curve.param("to").unwrap_or(1.0),
                }
            }
            "table" => Profile::Table {
                points: self.table("a sink schedule point", &curve.table, 0),
            },
            "reheating" => {
                self.unsupported(
                    curve.loc,
                    "a sink schedule cannot reheat: reheating restarts the bath after a stall of \
                     the run's own energy or every period, a clock the sinks do not have; write the \
                     repeated curve as a `table`"
                        .to_string(),
                );
                Profile::Constant { value: 1.0 }
            }
            _ => match self.cooling(curve) {
                Some(shaped) => Profile::Shaped { curve: shaped },
                None => Profile::Constant { value: 1.0 },
            },
        }
    }

    fn curve_param_steps(&mut self, curve: &Curve, name: &str) -> Option<u64> {
        let scalar = curve.params.get(name)?;
        self.steps(&format!("`{name}`"), scalar)
    }

    fn cooling(&mut self, curve: &Curve) -> Option<CoolingCurve> {
        let from = curve.param("from").unwrap_or(1.0);
        let to = curve.param("to").unwrap_or(from);
        let start_step = match curve.params.get("at") {
            Some(at) => self.time_within_run("the start of the cooling curve", at)?,
            None => 0,
        };
        let (shape, scale) = match curve.kind {
            "constant" => {
                let level = curve.param("level").unwrap_or(1.0);
                return Some(CoolingCurve::constant(level));
            }
            "linear" => (CoolingShape::Linear, "over"),
            "exponential" => (CoolingShape::Exponential, "tau"),
            "logarithmic" => (CoolingShape::Logarithmic, "tau"),
            "cauchy" => (CoolingShape::Cauchy, "tau"),
            "quadratic" => (CoolingShape::Quadratic, "over"),
            "trigonometric" => (CoolingShape::Trigonometric, "over"),
            "geometric" => (
                CoolingShape::Geometric {
                    ratio: curve.param("ratio").unwrap_or(1.0),
                },
                "every",
            ),
            "table" => {
                let points = self.table("a cooling table point", &curve.table, start_step);
                let first = points.first().map_or(1.0, |p| p.value);
                let last = points.last().map_or(1.0, |p| p.value);
                return Some(CoolingCurve {
                    shape: CoolingShape::Table { points },
                    from: first,
                    to: last,
                    start_step,
                    scale_steps: 1,
                    reheat: None,
                });
            }
            "reheating" => {
                let base = curve.base.as_deref()?;
                let mut lowered = self.cooling(base)?;
                let reheat = if let Some(every) = curve.params.get("every") {
                    Reheat::Every {
                        period_steps: self.steps("the reheating period", every)?.max(1),
                    }
                } else if let Some(stall) = curve.params.get("stall") {
                    Reheat::AfterStall {
                        window_steps: self.steps("the stall window", stall)?.max(1),
                        tolerance: STALL_TOLERANCE,
                    }
                } else {
                    self.unsupported(
                        curve.loc,
                        "`reheating` needs `every:` or `stall:`".to_string(),
                    );
                    return None;
                };
                lowered.reheat = Some(reheat);
                return Some(lowered);
            }
            other => {
                self.unsupported(
                    curve.loc,
                    format!("the engine has no `{other}` cooling curve"),
                );
                return None;
            }
        };
        let scale_steps = self.curve_param_steps(curve, scale)?;
        if scale_steps == 0 {
            let at = curve.params.get(scale).map_or(curve.loc, |s| s.loc);
            self.error(
                "E0040",
                at,
                format!("the cooling time scale `{scale}` must be at least one step"),
                "zero",
            );
            return None;
        }
        Some(CoolingCurve {
            shape,
            from,
            to,
            start_step,
            scale_steps,
            reheat: None,
        })
    }

    fn envelope(&mut self, envelope: &program::Envelope) -> Option<Envelope> {
        Some(match envelope {
            program::Envelope::Pulse { at, length } => Envelope::Pulse {
                at_step: self.time_within_run("a source's start", at)?,
                duration_steps: self.steps("a source's length", length)?,
            },
            program::Envelope::Ramp {
                at,
                rise,
                hold,
                fall,
            } => Envelope::Ramp {
                at_step: self.time_within_run("a source's start", at)?,
                rise_steps: self.steps("a rise", rise)?,
                hold_steps: self.steps("a hold", hold)?,
                fall_steps: self.steps("a fall", fall)?,
            },
            program::Envelope::Bateman {
                at,
                dose,
                absorption_rate,
                elimination_rate,
            } => {
                let absorption = self.rate(absorption_rate)?;
                let elimination = self.rate(elimination_rate)?;
                // The script's dose is the peak of the envelope (semantics::program::Envelope).
                let unit_peak = envelope_peak(&Envelope::Bateman {
                    at_step: 0,
                    dose: 1.0,
                    absorption_rate: absorption,
                    elimination_rate: elimination,
                });
                Envelope::Bateman {
                    at_step: self.time_within_run("a dose", at)?,
                    dose: dose.value / unit_peak,
                    absorption_rate: absorption,
                    elimination_rate: elimination,
                }
            }
            program::Envelope::Table(points) => {
                for (time, _) in points {
                    self.time_within_run("an envelope point", time)?;
                }
                Envelope::Table {
                    points: self.table("an envelope point", points, 0),
                }
            }
        })
    }

    /// A first-order rate (1/s) from a half-life (a time: k = ln 2 / t½) or a frequency.
    fn rate(&mut self, value: &Scalar) -> Option<f64> {
        if value.dim == Dim::TIME && value.value > 0.0 {
            Some(std::f64::consts::LN_2 / value.value)
        } else if value.dim == Dim::FREQUENCY && value.value > 0.0 {
            Some(value.value)
        } else {
            self.error(
                "E0044",
                value.loc,
                "a pharmacokinetic rate needs a positive half-life or frequency".to_string(),
                "not a positive time or frequency",
            );
            None
        }
    }

    fn components(&mut self, component: &program::SourceComponent) -> Vec<Component> {
        let Some(envelope) = self.envelope(&component.envelope) else {
            return Vec::new();
        };
        let habituation = component.parts.iter().find_map(|part| match part {
            SourcePart::Habituation { tau } => Some(tau),
            _ => None,
        });
        let habituation = match habituation {
            Some(tau) => self
                .steps("the habituation time constant", tau)
                .map(|steps| Habituation {
                    time_constant_steps: steps.max(1),
                    depth: HABITUATION_DEPTH,
                }),
            None => None,
        };
        let mut actions = Vec::new();
        for part in &component.parts {
            match part {
                SourcePart::Broadband { rate, coupling } => actions.push(Action::Broadband {
                    rate: rate.value,
                    bands: bands(&coupling.bands),
                    regions: regions(coupling),
                }),
                SourcePart::Tones {
                    frequencies,
                    amplitude,
                    coupling,
                } => {
                    for frequency in frequencies {
                        actions.push(Action::Drive {
                            frequency_hz: frequency.value,
                            amplitude: amplitude.value,
                            bands: bands(&coupling.bands),
                            regions: regions(coupling),
                            habituation: habituation.clone(),
                        });
                    }
                }
                SourcePart::Beat {
                    frequency,
                    amplitude,
                    coupling,
                } => actions.push(Action::Drive {
                    frequency_hz: frequency.value,
                    amplitude: amplitude.value,
                    bands: bands(&coupling.bands),
                    regions: regions(coupling),
                    habituation: habituation.clone(),
                }),
                SourcePart::Metronome {
                    frequency,
                    coupling,
                } => actions.push(Action::Metronome {
                    frequency_hz: frequency.value,
                    coupling: coupling.value,
                }),
                SourcePart::SuppressSinks { amount } => actions.push(Action::SinkSuppression {
                    level: amount.value,
                }),
                SourcePart::BoostSinks { amount } => actions.push(Action::SinkBoost {
                    level: amount.value,
                }),
                SourcePart::Content { pattern, strength } => actions.push(Action::Content {
                    pattern: pattern.clone(),
                    strength: strength.value,
                }),
                SourcePart::WeakenHarmonics { amount, modes } => {
                    let harmonics = self.program.harmonics.modes;
                    if (*modes as usize) < harmonics as usize {
                        let at = component.loc;
                        self.warnings.push(
                            Diagnostic::warning(
                                "W0040",
                                at.file,
                                at.span,
                                format!(
                                    "the engine weakens all {harmonics} CSHWs, not only the lowest {modes}"
                                ),
                            )
                            .with_label(at.span, "weakens every CSHW"),
                        );
                    }
                    actions.push(Action::WeakenCsh {
                        delta_gamma: amount.value,
                        rate: STRUCTURAL_RATE,
                    })
                }
                SourcePart::DetuneRegion { region, amount } => {
                    if !self.context.region_names.contains(region) {
                        self.unknown_region(region, component.loc);
                    }
                    actions.push(Action::DetuneRegion {
                        region: Some(region.clone()),
                        rate: amount.value * STRUCTURAL_RATE,
                    })
                }
                SourcePart::RestoreIntegration { strength } => actions.push(Action::Restore {
                    rate: strength.value * STRUCTURAL_RATE,
                }),
                SourcePart::Habituation { .. } => {}
            }
        }
        for part in &component.parts {
            let coupling = match part {
                SourcePart::Broadband { coupling, .. }
                | SourcePart::Tones { coupling, .. }
                | SourcePart::Beat { coupling, .. } => coupling,
                _ => continue,
            };
            for region in coupling.regions.keys() {
                if !self.context.region_names.contains(region) {
                    self.unknown_region(region, component.loc);
                }
            }
        }
        actions
            .into_iter()
            .map(|action| Component {
                envelope: envelope.clone(),
                scale: component.scale,
                action,
            })
            .collect()
    }

    fn unknown_region(&mut self, region: &str, at: Loc) {
        let known = if self.context.region_names.is_empty() {
            "the connectome has no regions".to_string()
        } else {
            format!("regions: {}", self.context.region_names.join(", "))
        };
        self.errors.push(
            Diagnostic::error(
                "E0042",
                at.file,
                at.span,
                format!("the connectome has no region `{region}`"),
            )
            .with_label(at.span, "names an unknown region")
            .with_help(known),
        );
    }

    fn landscape(&mut self) -> LandscapeSettings {
        let declared = &self.program.landscape;
        let mut settings = LandscapeSettings::default();
        match &declared.temperature {
            LandscapeTemperature::Scale(scale) => settings.temperature_ratio = scale.value,
            LandscapeTemperature::Fixed(fixed) => {
                settings.fixed_temperature = Some(fixed.value);
            }
        }
        settings.neutral_field_gain = declared.neutral.value;
        settings.sweeps_per_second = declared.sweeps.value;
        settings.hebb_rate = declared.plasticity.rate.value;
        settings.relax_rate = declared.plasticity.decay.value;
        settings.crystallisation_window_steps = ((WINDOW_SECONDS / self.dt).round() as u64).max(1);
        let level = declared.effective_level(!self.context.region_names.is_empty());
        let nodes: Vec<String> = match level {
            LandscapeLevel::Regions => self.context.region_names.clone(),
            LandscapeLevel::Nodes => (0..self.context.node_count)
                .map(|i| format!("node{i}"))
                .collect(),
        };
        if nodes.is_empty() {
            self.error(
                "E0042",
                declared.loc,
                "a landscape on regions needs a connectome with regions".to_string(),
                "no regions",
            );
        }
        for pattern in &declared.patterns {
            let spins: Vec<i8> = match &pattern.kind {
                program::PatternKind::Regions(names) => {
                    if level != LandscapeLevel::Regions {
                        self.unsupported(
                            pattern.loc,
                            "a pattern by region names needs `landscape on regions`".to_string(),
                        );
                        continue;
                    }
                    for name in names {
                        if !nodes.contains(name) {
                            self.unknown_region(name, pattern.loc);
                        }
                    }
                    nodes
                        .iter()
                        .map(|node| if names.contains(node) { 1 } else { -1 })
                        .collect()
                }
                program::PatternKind::Nodes(indices) => {
                    if let Some(bad) = indices.iter().find(|&&i| i as usize >= nodes.len()) {
                        self.error(
                            "E0042",
                            pattern.loc,
                            format!(
                                "node {bad} is not a landscape node (there are {})",
                                nodes.len()
                            ),
                            "out of range",
                        );
                        continue;
                    }
                    (0..nodes.len() as u64)
                        .map(|i| if indices.contains(&i) { 1 } else { -1 })
                        .collect()
                }
                program::PatternKind::Random { seed, fraction } => {
                    // Each random pattern draws from its own seed (as ChaCha's key, which unlike
                    // `seed_from_u64` is stable across rand_core versions), so adding a pattern
                    // or changing the experiment's seed never changes it.
                    let mut key = [0u8; 32];
                    key[..8].copy_from_slice(&seed.to_le_bytes());
                    let mut rng = ChaCha8Rng::from_seed(key);
                    (0..nodes.len())
                        .map(|_| {
                            let uniform = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                            if uniform < *fraction { 1 } else { -1 }
                        })
                        .collect()
                }
            };
            settings.patterns.push(PatternSpec {
                name: pattern.name.clone(),
                kind: PatternKind::Explicit { spins },
            });
            settings.priors.push(Prior {
                pattern: pattern.name.clone(),
                strength: pattern.strength.value,
            });
        }
        settings.initial = SpinInit::Settled;
        settings
    }

    fn bands_present(&self) -> Vec<Band> {
        let harmonics = &self.program.harmonics;
        let mut present = vec![Band::Csh];
        if harmonics.regional_per_region > 0 {
            present.push(Band::Rsh);
        }
        if harmonics.sensory > 0 {
            present.push(Band::Ssh);
        }
        present
    }

    fn record(&mut self) -> (RecordSpec, BTreeMap<String, String>) {
        let spec = &self.program.record;
        let every = self
            .steps("the recording interval", &spec.every)
            .unwrap_or(1);
        if every == 0 {
            self.error(
                "E0040",
                spec.every.loc,
                "the recording interval must be at least one step".to_string(),
                "zero",
            );
        }
        let every = every.max(1);
        let mut quantities: Vec<(Quantity, String)> = Vec::new();
        let mut push = |quantity: Quantity, unit: &str| {
            if !quantities.iter().any(|(q, _)| *q == quantity) {
                quantities.push((quantity, unit.to_string()));
            }
        };
        let present = self.bands_present();
        // Quantities read by expectations are recorded too (W0003 told the author).
        let mut observables: Vec<Observable> = spec.observables.clone();
        for expectation in &self.program.expectations {
            expectation.predicate.visit_statistics(&mut |statistic| {
                observables.push(statistic.observable.clone());
            });
        }
        for observable in &observables {
            if let Some(component) = &observable.component {
                match self.component_quantity(observable, component, &present) {
                    Some(quantity) => push(quantity, "1"),
                    None => continue,
                }
                if observable.quantity == "energy" {
                    // The `energy` column is the sum of the recorded bands, so every band is
                    // recorded whenever energy is.
                    for band in &present {
                        push(Quantity::BandEnergy { band: *band }, "1");
                    }
                }
                continue;
            }
            match (observable.quantity, observable.grouping) {
                ("temperature", None) => push(Quantity::Temperature, "1"),
                ("temperature", Some(_)) => {
                    for band in &present {
                        push(Quantity::BandTemperature { band: *band }, "1");
                    }
                }
                ("bath", _) => push(Quantity::Bath, "1"),
                ("energy", Some(Grouping::Mode)) => push(Quantity::ModeEnergy, "1"),
                ("energy", _) => {
                    for band in &present {
                        push(Quantity::BandEnergy { band: *band }, "1");
                    }
                }
                ("consonance", _) => push(Quantity::Consonance, "1"),
                ("dissonance", _) => push(Quantity::Dissonance, "1"),
                ("noise", _) => push(Quantity::Noise, "1"),
                ("valence", _) => push(Quantity::Valence, "1"),
                ("integration", Some(Grouping::Region)) => {
                    for region in &self.context.region_names {
                        push(
                            Quantity::RegionIntegration {
                                region: region.clone(),
                            },
                            "1",
                        );
                    }
                }
                ("integration", _) => push(Quantity::Integration, "1"),
                ("frustration", _) => push(Quantity::Frustration, "1"),
                ("landscape_energy", _) => push(Quantity::LandscapeEnergy, "1"),
                ("overlap", _) => {
                    if let Some(pattern) = &observable.pattern {
                        push(
                            Quantity::Overlap {
                                pattern: pattern.clone(),
                            },
                            "1",
                        );
                    }
                }
                ("sink_gain", _) => push(Quantity::SinkGain, "1/s"),
                (other, _) => {
                    let at = observable.loc;
                    self.error(
                        "E0043",
                        at,
                        format!("the engine cannot record `{other}`"),
                        "unknown quantity",
                    );
                }
            }
        }
        // Mode energies are always recorded: they make `mode_energy.npy` and its heatmap.
        push(Quantity::ModeEnergy, "1");
        let mut units = BTreeMap::new();
        for (quantity, unit) in &quantities {
            units.insert(column_name(quantity), unit.clone());
        }
        if quantities
            .iter()
            .any(|(q, _)| matches!(q, Quantity::BandEnergy { .. }))
        {
            units.insert("energy".to_string(), "1".to_string());
        }
        let items = quantities
            .into_iter()
            .map(|(quantity, _)| RecordItem {
                quantity,
                every_steps: every,
            })
            .collect();
        (RecordSpec { items }, units)
    }

    /// The recorded quantity behind `temperature.csh`, `energy.rsh` or `integration.rAMYG`, or
    /// E0042 when this experiment has no such band or region.
    fn component_quantity(
        &mut self,
        observable: &Observable,
        component: &str,
        present: &[Band],
    ) -> Option<Quantity> {
        if observable.quantity == "integration" {
            if self.context.region_names.iter().any(|r| r == component) {
                return Some(Quantity::RegionIntegration {
                    region: component.to_string(),
                });
            }
            let names: Vec<&str> = self
                .context
                .region_names
                .iter()
                .map(String::as_str)
                .collect();
            let help = match anneal_syntax::suggest::closest(component, names.iter().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None if names.is_empty() => "the connectome has no regions".to_string(),
                None => format!("its regions are: {}", names.join(", ")),
            };
            self.errors.push(
                Diagnostic::error(
                    "E0042",
                    observable.loc.file,
                    observable.loc.span,
                    format!("the connectome has no region `{component}`"),
                )
                .with_label(observable.loc.span, "unknown region")
                .with_help(help),
            );
            return None;
        }
        let band = Band::ALL.into_iter().find(|b| b.name() == component)?;
        if !present.contains(&band) {
            let why = match band {
                Band::Rsh => "the harmonics have no region modes (`regional N per region`)",
                Band::Ssh => "the harmonics have no sensorium modes (`sensory N`)",
                Band::Csh => "the harmonics have no connectome modes",
            };
            self.error(
                "E0042",
                observable.loc,
                format!("`{}.{component}` is empty: {why}", observable.quantity),
                "a band this experiment does not have",
            );
            return None;
        }
        Some(match observable.quantity {
            "temperature" => Quantity::BandTemperature { band },
            _ => Quantity::BandEnergy { band },
        })
    }

    fn expectations(&mut self) {
        let declared: Vec<&str> = self
            .program
            .sources
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        let mut found = Vec::new();
        for expectation in &self.program.expectations {
            expectation.predicate.visit_statistics(&mut |statistic| {
                found.push(statistic.clone());
            });
        }
        let end = self.program.experiment.duration.value;
        for statistic in found {
            if observable_column(&statistic.observable).is_none() {
                self.error(
                    "E0042",
                    statistic.observable.loc,
                    format!(
                        "`{}` split by {:?} is several columns; an expectation reads one",
                        statistic.observable.quantity, statistic.observable.grouping
                    ),
                    "not a single quantity",
                );
            }
            let (source, start) = match &statistic.window {
                Window::Whole => (None, None),
                Window::Between { start, source, .. } => (source.as_ref(), Some(*start)),
                Window::Before { time, source } => (source.as_ref(), Some(*time)),
                Window::After { time, source } => (source.as_ref(), Some(*time)),
            };
            if let Some(source) = source
                && !declared.contains(&source.as_str())
            {
                self.error(
                    "E0042",
                    statistic.loc,
                    format!(
                        "`{source}` is not a source of this experiment (declared: {})",
                        if declared.is_empty() {
                            "none".to_string()
                        } else {
                            declared.join(", ")
                        }
                    ),
                    "unknown source",
                );
            }
            let record_from = self.program.experiment.record_from.value;
            let ends_before_recording = match &statistic.window {
                Window::Before { time, .. } => *time <= record_from,
                Window::Between { end, .. } => *end <= record_from,
                _ => false,
            };
            if ends_before_recording {
                self.error(
                    "E0041",
                    statistic.loc,
                    format!(
                        "this window ends before recording starts ({record_from} s), so it holds no samples"
                    ),
                    "empty window",
                );
            }
            if let Some(start) = start
                && start >= end
                && !matches!(statistic.window, Window::Before { .. })
            {
                self.error(
                    "E0041",
                    statistic.loc,
                    format!(
                        "this window starts at {start} s, at or after the end of the experiment ({end} s), so it holds no samples"
                    ),
                    "empty window",
                );
            }
        }
    }
}

/// The engine's column name of a quantity with one column.
pub fn column_name(quantity: &Quantity) -> String {
    match quantity {
        Quantity::Temperature => "temperature".into(),
        Quantity::SmoothedTemperature => "smoothed_temperature".into(),
        Quantity::BandTemperature { band } => format!("temperature.{}", band.name()),
        Quantity::Bath => "bath".into(),
        Quantity::ModeEnergy => "mode_energy".into(),
        Quantity::BandEnergy { band } => format!("band_energy.{}", band.name()),
        Quantity::Consonance => "consonance".into(),
        Quantity::Dissonance => "dissonance".into(),
        Quantity::Noise => "noise".into(),
        Quantity::Valence => "valence".into(),
        Quantity::Integration => "integration".into(),
        Quantity::RegionIntegration { region } => format!("integration.{region}"),
        Quantity::Frustration => "frustration".into(),
        Quantity::LandscapeEnergy => "landscape_energy".into(),
        Quantity::Overlap { pattern } => format!("overlap.{pattern}"),
        Quantity::SinkGain => "sink_gain".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryLoader, check_source};

    const HEADER: &str = "use std.sources.{meditation, psilocybin}\nexperiment \"t\" {\n  seed 3\n  dt 50 ms\n  duration 10 min\n}\nconnectome brain = ring(nodes: 12)\n";

    fn context() -> LandscapeContext {
        LandscapeContext {
            region_names: vec!["left".into(), "right".into()],
            node_count: 12,
        }
    }

    /// Lowers `HEADER` + `body`; on errors returns each code with the text its span covers.
    fn lowered(body: &str) -> Result<Lowered, Vec<(&'static str, String)>> {
        let text = format!("{HEADER}{body}");
        let checked = check_source("t.anneal", &text, &MemoryLoader::default());
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let program = checked.program.expect("an experiment");
        lower(&program, &checked.sources, &context()).map_err(|diagnostics| {
            diagnostics
                .iter()
                .map(|d| (d.code, text.get(d.span.range()).unwrap_or("").to_string()))
                .collect()
        })
    }

    #[test]
    fn times_become_whole_steps() {
        let plan = lowered("source sit = meditation(at: 2 min, for: 5 min)\n")
            .expect("lowers")
            .plan;
        assert_eq!(plan.n_steps, 12_000);
        let Envelope::Ramp {
            at_step,
            rise_steps,
            hold_steps,
            fall_steps,
        } = plan.sources[0].components[0].envelope
        else {
            panic!("meditation is a ramp");
        };
        // 2 min at 50 ms; the preset rises and falls over 2 min and holds for `for` − 4 min.
        assert_eq!(
            (at_step, rise_steps, hold_steps, fall_steps),
            (2400, 2400, 1200, 2400)
        );
    }

    #[test]
    fn a_time_between_steps_is_an_error_at_its_span() {
        let errors = lowered("source sit = meditation(at: 2 min + 10 ms, for: 5 min)\n")
            .expect_err("10 ms is not a multiple of 50 ms");
        assert!(
            errors.contains(&("E0040", "2 min + 10 ms".to_string())),
            "{errors:?}"
        );
    }

    #[test]
    fn an_event_after_the_end_is_an_error_at_its_span() {
        let errors = lowered("source sit = meditation(at: 11 min, for: 5 min)\n")
            .expect_err("after the end");
        assert!(
            errors.contains(&("E0041", "11 min".to_string())),
            "{errors:?}"
        );
    }

    #[test]
    fn an_expectation_over_an_undeclared_source_is_an_error() {
        let errors = lowered(
            "let other = meditation(at: 1 min, for: 5 min)\nrecord every 1 s { temperature }\nexpect mean(temperature, during: other) > 0\n",
        )
        .expect_err("`other` is not a source of the experiment");
        assert!(
            errors
                .iter()
                .any(|(code, text)| *code == "E0042" && text.contains("during: other")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_dose_is_the_peak_of_its_bateman_envelope() {
        let plan = lowered("source trip = psilocybin(at: 1 min, dose: 0.5)\n")
            .expect("lowers")
            .plan;
        let envelope = &plan.sources[0].components[0].envelope;
        assert!((envelope_peak(envelope) - 0.5).abs() < 1e-12);
        let Envelope::Bateman {
            absorption_rate, ..
        } = envelope
        else {
            panic!("psilocybin is a Bateman envelope");
        };
        // Onset half-life 30 min: k_a = ln 2 / 1800 s.
        assert!((absorption_rate - std::f64::consts::LN_2 / 1800.0).abs() < 1e-15);
    }

    #[test]
    fn a_source_the_engine_refuses_is_reported_at_the_source() {
        // Suppression 0.6 at a peak dose of 2 asks the sinks to work at −20%.
        let errors = lowered("source trip = psilocybin(at: 1 min, dose: 2.0)\n")
            .expect_err("suppression above 1");
        assert!(
            errors
                .iter()
                .any(|(code, text)| *code == "E0044" && text.contains("psilocybin(at: 1 min")),
            "{errors:?}"
        );
    }

    #[test]
    fn patterns_by_region_become_explicit_spins() {
        let plan = lowered(
            "landscape on regions {\n  pattern calm = regions(\"right\")\n}\nrecord every 1 s { overlap(calm) }\n",
        )
        .expect("lowers")
        .plan;
        let landscape = plan.landscape.expect("a landscape");
        assert_eq!(
            landscape.patterns[0].kind,
            PatternKind::Explicit { spins: vec![-1, 1] }
        );
        assert!(plan.record.items.iter().any(|i| i.quantity
            == Quantity::Overlap {
                pattern: "calm".into()
            }));
    }

    #[test]
    fn an_expectation_on_one_band_or_region_records_that_column() {
        let lowered = lowered(
            "source sit = meditation(at: 2 min, for: 5 min)\nexpect mean(temperature.csh, during: sit) > mean(energy.csh, before: sit)\nexpect final(integration.left) > 0\n",
        )
        .expect("lowers");
        let quantities: Vec<&Quantity> = lowered
            .plan
            .record
            .items
            .iter()
            .map(|i| &i.quantity)
            .collect();
        assert!(quantities.contains(&&Quantity::BandTemperature { band: Band::Csh }));
        assert!(quantities.contains(&&Quantity::BandEnergy { band: Band::Csh }));
        assert!(quantities.contains(&&Quantity::RegionIntegration {
            region: "left".into()
        }));
        // Only the band asked for: the ring has no region modes, and `temperature.csh` alone
        // does not record the total temperature.
        assert!(!quantities.contains(&&Quantity::Temperature));
    }

    #[test]
    fn a_band_or_region_the_experiment_lacks_is_an_error_at_its_span() {
        let errors = lowered(
            "record every 1 s { temperature }\nexpect mean(temperature.rsh) > 0\nexpect mean(integration.middle) > 0\n",
        )
        .expect_err("no region modes, no region `middle`");
        assert!(errors.contains(&("E0042", "temperature.rsh".to_string())));
        assert!(errors.contains(&("E0042", "integration.middle".to_string())));
    }

    #[test]
    fn a_fixed_landscape_temperature_reaches_the_plan() {
        let plan = lowered("landscape on regions {\n  temperature 0.3\n}\n")
            .expect("lowers")
            .plan;
        assert_eq!(
            plan.landscape.expect("a landscape").fixed_temperature,
            Some(0.3)
        );
        let scaled = lowered("landscape on regions {\n  scale 0.4\n}\n")
            .expect("lowers")
            .plan;
        let landscape = scaled.landscape.expect("a landscape");
        assert_eq!(landscape.fixed_temperature, None);
        assert_eq!(landscape.temperature_ratio, 0.4);
    }

    #[test]
    fn the_neutral_field_gain_reaches_the_plan_and_must_not_be_negative() {
        let default = lowered("landscape on regions {\n  scale 0.4\n}\n")
            .expect("lowers")
            .plan;
        assert_eq!(
            default.landscape.expect("a landscape").neutral_field_gain,
            1.0
        );
        let off = lowered("landscape on regions {\n  neutral 0\n}\n")
            .expect("lowers")
            .plan;
        assert_eq!(off.landscape.expect("a landscape").neutral_field_gain, 0.0);
        let text = format!("{HEADER}landscape on regions {{\n  neutral -1\n}}\n");
        let checked = check_source("t.anneal", &text, &MemoryLoader::default());
        let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec!["E0017"], "{:?}", checked.diagnostics);
    }

    #[test]
    fn a_sink_schedule_of_any_curve_shape_lowers() {
        let plan = lowered(
            "sinks {\n  schedule exponential(from: 1.0, to: 0.4, tau: 2 min, at: 1 min)\n}\n",
        )
        .expect("lowers")
        .plan;
        let Profile::Shaped { curve } = &plan.sinks.profile else {
            panic!("{:?}", plan.sinks.profile);
        };
        assert_eq!(curve.shape, CoolingShape::Exponential);
        assert_eq!((curve.start_step, curve.scale_steps), (1_200, 2_400));
        assert_eq!((curve.from, curve.to), (1.0, 0.4));
    }

    #[test]
    fn geometric_cooling_lowers_to_stages_of_whole_steps() {
        let plan = lowered("cooling geometric(from: 2.0, to: 1.0, ratio: 0.8, every: 30 s)\n")
            .expect("lowers")
            .plan;
        assert_eq!(plan.cooling.shape, CoolingShape::Geometric { ratio: 0.8 });
        // 30 s of 50 ms steps.
        assert_eq!(plan.cooling.scale_steps, 600);
        assert_eq!((plan.cooling.from, plan.cooling.to), (2.0, 1.0));
    }
}
