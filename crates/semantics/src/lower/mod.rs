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

mod landscape;
mod record;
mod schedules;
mod sources;

pub use record::column_name;

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
    PatternSpec, Plan, PlanError, Prior, Profile, Quantity, RecordItem, RecordSpec, RegionWeight,
    Reheat, SinkSchedule, Source, SpinInit, TablePoint, envelope_peak, seconds_to_steps,
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
        // A failing source is named by its index, which is its index in the program: the plan's
        // sources were built from the program's in order.
        let message = error.to_string();
        let (at, label) = match &error {
            PlanError::InSource { source_index, .. } => {
                (program.sources[*source_index].loc, "in this source")
            }
            _ => (experiment.loc, "in this experiment"),
        };
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
