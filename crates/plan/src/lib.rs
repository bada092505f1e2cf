//! The deterministic simulation plan: plain, serialisable data that the engine runs.
//!
//! A plan says everything a run needs apart from the mode basis (which comes from the
//! connectome and its harmonics): the seed, the time step, how many steps, the sink schedule,
//! the cooling curve, every source with its envelope, the landscape and what to record.
//! Every time inside a plan is an integer step index, so schedules never drift; the lowering
//! from script values (seconds) to steps is where rounding is reported.
//!
//! The plan's content hash is blake3 over a canonical serialisation (YAML with fields in
//! declaration order and no maps), so two equal plans hash equally on every machine.

use serde::{Deserialize, Serialize};
use thiserror::Error;

mod estimate;
mod landscape;
mod record;
mod schedules;
mod settings;
mod sources;
mod validate;

pub use estimate::*;
pub use landscape::*;
pub use record::*;
pub use schedules::*;
pub use settings::*;
pub use sources::*;
use validate::check;

/// The three families of harmonic modes of the essay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Connectome-specific harmonic waves: eigenmodes of the whole graph.
    Csh,
    /// Region-specific harmonic waves: Dirichlet eigenmodes of one region.
    Rsh,
    /// Sensorium-specific harmonic waves: modes living on the body nodes.
    Ssh,
}

impl Band {
    /// All bands in their fixed order (used for per-band columns).
    pub const ALL: [Band; 3] = [Band::Csh, Band::Rsh, Band::Ssh];

    /// Lower-case name used in column names.
    pub fn name(self) -> &'static str {
        match self {
            Band::Csh => "csh",
            Band::Rsh => "rsh",
            Band::Ssh => "ssh",
        }
    }

    /// Index of the band in [`Band::ALL`].
    pub fn index(self) -> usize {
        match self {
            Band::Csh => 0,
            Band::Rsh => 1,
            Band::Ssh => 2,
        }
    }
}

/// One weight per band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandWeights {
    pub csh: f64,
    pub rsh: f64,
    pub ssh: f64,
}

impl BandWeights {
    /// The same weight for every band.
    pub const fn uniform(value: f64) -> Self {
        BandWeights {
            csh: value,
            rsh: value,
            ssh: value,
        }
    }

    /// The sink affinities of model.md §3: semantically-neutral (CSHW, SSHW) energy is partly
    /// illegible to the sinks, which mostly act on region-specific (sensory) modes.
    pub const fn default_sink_affinity() -> Self {
        BandWeights {
            csh: 0.25,
            rsh: 1.0,
            ssh: 0.1,
        }
    }

    /// The weight of one band.
    pub fn get(&self, band: Band) -> f64 {
        match band {
            Band::Csh => self.csh,
            Band::Rsh => self.rsh,
            Band::Ssh => self.ssh,
        }
    }
}

/// The whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub seed: u64,
    /// Time step in seconds.
    pub dt: f64,
    pub n_steps: u64,
    pub field: FieldSettings,
    pub sinks: SinkSchedule,
    pub cooling: CoolingCurve,
    pub locking: LockingSettings,
    pub metrics: MetricSettings,
    pub sources: Vec<Source>,
    pub landscape: Option<LandscapeSettings>,
    pub record: RecordSpec,
}

/// A plan that cannot run, with the reason.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PlanError {
    #[error("{what} must be {requirement}, got {value}")]
    OutOfRange {
        what: String,
        requirement: &'static str,
        value: f64,
    },
    #[error("{0}")]
    Invalid(String),
    /// A component of `Plan::sources[source_index]` cannot run: the index lets whoever built the plan
    /// point at the source's declaration without reading the message.
    #[error("{error}")]
    InSource {
        source_index: usize,
        error: Box<PlanError>,
    },
}

impl Default for Plan {
    /// A resting plan: 1 ms steps, no sources, constant bath at rest, default sinks.
    fn default() -> Self {
        Plan {
            seed: 0,
            dt: 1e-3,
            n_steps: 1000,
            field: FieldSettings {
                gamma0: 0.5,
                theta_rest: 1.0,
                plastic_temperature: 2.0,
                initial: FieldInit::Equilibrium,
            },
            sinks: SinkSchedule {
                gain: 1.0,
                affinity: BandWeights::default_sink_affinity(),
                profile: Profile::Constant { value: 1.0 },
            },
            cooling: CoolingCurve::constant(1.0),
            locking: LockingSettings {
                epsilon: 0.0,
                max_denominator: 8,
                prune_below: 1e-3,
                window_steps: 10_000,
            },
            metrics: MetricSettings {
                window_steps: 10_000,
                reference_hz: 220.0,
            },
            sources: Vec::new(),
            landscape: None,
            record: RecordSpec::default(),
        }
    }
}

impl Plan {
    /// The content hash of the plan: blake3 over its canonical serialisation, as hex.
    pub fn content_hash(&self) -> String {
        let canonical = self.canonical_text();
        blake3::hash(canonical.as_bytes()).to_hex().to_string()
    }

    /// The canonical serialisation (YAML, fields in declaration order, no maps).
    pub fn canonical_text(&self) -> String {
        // Serialising plain structs, enums, vectors and finite floats cannot fail; a failure
        // would be a bug in the serialiser, and the text then says so instead of panicking.
        serde_norway::to_string(self)
            .unwrap_or_else(|error| format!("unserialisable plan: {error}"))
    }
}

/// Converts a time in seconds to a step index for time step `dt`. A time that is not a whole
/// number of steps (beyond floating-point noise of 1e-9 steps) is an error naming the nearest
/// multiples, never a silent rounding (model.md §7).
pub fn seconds_to_steps(what: &str, seconds: f64, dt: f64) -> Result<u64, PlanError> {
    check(what, seconds, seconds >= 0.0, "≥ 0 seconds")?;
    check("dt", dt, dt > 0.0, "> 0 seconds")?;
    let steps = seconds / dt;
    let nearest = steps.round();
    if nearest > u64::MAX as f64 {
        return Err(PlanError::Invalid(format!(
            "{what}: {seconds} s is too many steps of {dt} s"
        )));
    }
    if (steps - nearest).abs() > 1e-9 * nearest.max(1.0) {
        return Err(PlanError::Invalid(format!(
            "{what}: {seconds} s is not a whole number of steps of {dt} s (nearest: {} s or {} s)",
            steps.floor() * dt,
            steps.ceil() * dt
        )));
    }
    Ok(nearest as u64)
}

/// The largest value an envelope reaches (used by validation bounds).
pub fn envelope_peak(envelope: &Envelope) -> f64 {
    match envelope {
        Envelope::Always | Envelope::Pulse { .. } | Envelope::Ramp { .. } => 1.0,
        Envelope::Bateman {
            dose,
            absorption_rate,
            elimination_rate,
            ..
        } => {
            let (ka, ke) = (*absorption_rate, *elimination_rate);
            if (ka - ke).abs() <= 1e-12 * ka.max(ke) {
                dose / std::f64::consts::E
            } else {
                let t_max = (ka / ke).ln() / (ka - ke);
                dose * ka / (ka - ke) * ((-ke * t_max).exp() - (-ka * t_max).exp())
            }
        }
        Envelope::Table { points } => points.iter().map(|p| p.value.abs()).fold(0.0, f64::max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_sensitive() {
        let plan = Plan::default();
        assert_eq!(plan.content_hash(), plan.clone().content_hash());
        let mut other = plan.clone();
        other.seed = 1;
        assert_ne!(plan.content_hash(), other.content_hash());
        let text = plan.canonical_text();
        let back: Plan = serde_norway::from_str(&text).expect("round trip");
        assert_eq!(back, plan);
    }

    #[test]
    fn validation_reports_bad_numbers() {
        let plan = Plan {
            dt: 0.0,
            ..Plan::default()
        };
        assert!(matches!(plan.validate(), Err(PlanError::OutOfRange { .. })));
        let plan = Plan {
            dt: f64::NAN,
            ..Plan::default()
        };
        assert!(plan.validate().is_err());
        let mut plan = Plan::default();
        plan.locking.epsilon = 1000.0;
        assert!(
            plan.validate().is_err(),
            "explicit phase step too large must be refused"
        );
        let mut plan = Plan::default();
        plan.cooling.shape = CoolingShape::Table {
            points: vec![
                TablePoint {
                    step: 5,
                    value: 1.0,
                },
                TablePoint {
                    step: 5,
                    value: 2.0,
                },
            ],
        };
        assert!(plan.validate().is_err());
        assert!(Plan::default().validate().is_ok());
    }

    /// A plan using every kind of schedule, envelope, action and record item.
    fn full_plan() -> Plan {
        let everywhere = BandWeights::uniform(1.0);
        let component = |envelope, action| Component {
            envelope,
            scale: 1.0,
            action,
        };
        Plan {
            seed: 42,
            sinks: SinkSchedule {
                gain: 1.0,
                affinity: BandWeights::default_sink_affinity(),
                profile: Profile::Ramp {
                    start_step: 0,
                    end_step: 500,
                    from: 1.0,
                    to: 0.5,
                },
            },
            cooling: CoolingCurve {
                shape: CoolingShape::Logarithmic,
                from: 3.0,
                to: 1.0,
                start_step: 100,
                scale_steps: 200,
                reheat: Some(Reheat::AfterStall {
                    window_steps: 50,
                    tolerance: 0.01,
                }),
            },
            sources: vec![Source {
                name: "everything".into(),
                components: vec![
                    component(
                        Envelope::Bateman {
                            at_step: 10,
                            dose: 1.0,
                            absorption_rate: 1.0,
                            elimination_rate: 0.1,
                        },
                        Action::Broadband {
                            rate: 2.0,
                            bands: everywhere,
                            regions: vec![RegionWeight {
                                region: "r0".into(),
                                weight: 0.5,
                            }],
                        },
                    ),
                    component(
                        Envelope::Ramp {
                            at_step: 0,
                            rise_steps: 10,
                            hold_steps: 10,
                            fall_steps: 10,
                        },
                        Action::Drive {
                            frequency_hz: 2.0,
                            amplitude: 0.3,
                            bands: everywhere,
                            regions: Vec::new(),
                            habituation: Some(Habituation {
                                time_constant_steps: 100,
                                depth: 0.5,
                            }),
                        },
                    ),
                    component(
                        Envelope::Always,
                        Action::Metronome {
                            frequency_hz: 1.0,
                            coupling: 0.5,
                        },
                    ),
                    component(
                        Envelope::Pulse {
                            at_step: 5,
                            duration_steps: 5,
                        },
                        Action::SinkSuppression { level: 0.5 },
                    ),
                    component(
                        Envelope::Table {
                            points: vec![
                                TablePoint {
                                    step: 0,
                                    value: 0.0,
                                },
                                TablePoint {
                                    step: 9,
                                    value: 1.0,
                                },
                            ],
                        },
                        Action::Content {
                            pattern: "p".into(),
                            strength: 1.0,
                        },
                    ),
                    component(
                        Envelope::Always,
                        Action::WeakenCsh {
                            delta_gamma: 1.0,
                            rate: 0.1,
                        },
                    ),
                    component(
                        Envelope::Always,
                        Action::DetuneRegion {
                            region: None,
                            rate: 0.1,
                        },
                    ),
                    component(Envelope::Always, Action::Restore { rate: 0.1 }),
                ],
            }],
            landscape: Some(LandscapeSettings {
                patterns: vec![PatternSpec {
                    name: "p".into(),
                    kind: PatternKind::Random,
                }],
                priors: vec![Prior {
                    pattern: "p".into(),
                    strength: 1.0,
                }],
                ..LandscapeSettings::default()
            }),
            record: RecordSpec {
                items: vec![
                    RecordItem {
                        quantity: Quantity::Temperature,
                        every_steps: 10,
                    },
                    RecordItem {
                        quantity: Quantity::BandTemperature { band: Band::Csh },
                        every_steps: 10,
                    },
                    RecordItem {
                        quantity: Quantity::Overlap {
                            pattern: "p".into(),
                        },
                        every_steps: 10,
                    },
                ],
            },
            ..Plan::default()
        }
    }

    #[test]
    fn the_canonical_serialisation_is_stable() {
        let plan = full_plan();
        assert!(plan.validate().is_ok(), "{:?}", plan.validate());
        // The hash is over this text: a change here changes every plan hash, so it is pinned.
        insta::assert_snapshot!("full_plan", plan.canonical_text());
        let back: Plan = serde_norway::from_str(&plan.canonical_text()).expect("round trip");
        assert_eq!(back, plan);
    }

    #[test]
    fn seconds_convert_to_whole_steps_or_fail() {
        assert_eq!(seconds_to_steps("t", 1.5, 0.001), Ok(1500));
        assert_eq!(seconds_to_steps("t", 0.3, 0.1), Ok(3));
        assert!(matches!(
            seconds_to_steps("pulse at", 1.0005, 0.001),
            Err(PlanError::Invalid(_))
        ));
        assert!(seconds_to_steps("t", -1.0, 0.1).is_err());
    }

    #[test]
    fn bateman_peak_matches_its_formula() {
        let envelope = Envelope::Bateman {
            at_step: 0,
            dose: 2.0,
            absorption_rate: 1.0,
            elimination_rate: 0.2,
        };
        let peak = envelope_peak(&envelope);
        // t_max = ln(5)/0.8; evaluate the curve densely and compare.
        let mut best: f64 = 0.0;
        for i in 0..200_000 {
            let t = i as f64 * 1e-4;
            best = best.max(2.0 * 1.0 / 0.8 * ((-0.2 * t).exp() - (-t).exp()));
        }
        assert!((peak - best).abs() < 1e-8, "{peak} vs {best}");
    }
}
