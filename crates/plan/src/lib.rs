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

/// A point of a piecewise-linear table over steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TablePoint {
    pub step: u64,
    pub value: f64,
}

/// A scalar function of the step index (used by the sink schedule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Profile {
    /// The same value at every step.
    Constant { value: f64 },
    /// `from` until `start_step`, linear to `to` at `end_step`, `to` afterwards.
    Ramp {
        start_step: u64,
        end_step: u64,
        from: f64,
        to: f64,
    },
    /// Piecewise linear through the points (steps strictly increasing), constant outside.
    Table { points: Vec<TablePoint> },
    /// Any other curve shape (exponential, logarithmic, Cauchy, quadratic, trigonometric,
    /// geometric), evaluated as the cooling curve of the same shape is: `from` before its
    /// start, then the shape's formula. Never reheats (the profile has no clock).
    Shaped { curve: CoolingCurve },
}

/// Sink schedule: overall gain, band affinities κ and the time profile σ(t).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinkSchedule {
    /// g_sink, damping rate (1/s) added at full sink strength for a mode of affinity 1.
    pub gain: f64,
    pub affinity: BandWeights,
    pub profile: Profile,
}

/// Shapes of the cooling curve Θ(t) of model.md §4. `k` below is the time since the (last)
/// start divided by the time scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CoolingShape {
    /// Θ = from.
    Constant,
    /// Θ = from + (to − from)·min(k, 1).
    Linear,
    /// Geometric / exponential: Θ = to + (from − to)·e^(−k).
    Exponential,
    /// Logarithmic (Boltzmann): Θ = to + (from − to) / ln(k + e).
    Logarithmic,
    /// Fast (Cauchy): Θ = to + (from − to) / (1 + k).
    Cauchy,
    /// Additive quadratic (Luke): Θ = to + (from − to)·(1 − min(k,1))².
    Quadratic,
    /// Additive trigonometric (Luke): Θ = to + ½(from − to)(1 + cos(π·min(k,1))).
    Trigonometric,
    /// Piecewise linear through (step offset from start, value) points; `from`/`to` unused.
    Table { points: Vec<TablePoint> },
    /// Stepwise geometric: Θ = to + (from − to)·ratio^⌊k⌋, k counted in `scale_steps` (the
    /// script's `every`): the classic annealing schedule that multiplies the excess by `ratio`
    /// once per stage.
    Geometric { ratio: f64 },
}

/// Reheating: restart the cooling curve at `from`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Reheat {
    /// Restart every `period_steps` steps after the start.
    Every { period_steps: u64 },
    /// Restart when the monitored energy (landscape energy per node when a landscape exists,
    /// the energy parameter T otherwise) has not improved by more than `tolerance` for
    /// `window_steps` steps.
    AfterStall { window_steps: u64, tolerance: f64 },
}

/// The cooling curve: bath temperature Θ(t).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoolingCurve {
    pub shape: CoolingShape,
    pub from: f64,
    pub to: f64,
    /// Before this step Θ = from.
    pub start_step: u64,
    /// The time scale of the curve, in steps (≥ 1).
    pub scale_steps: u64,
    pub reheat: Option<Reheat>,
}

impl CoolingCurve {
    /// A constant bath.
    pub fn constant(theta: f64) -> Self {
        CoolingCurve {
            shape: CoolingShape::Constant,
            from: theta,
            to: theta,
            start_step: 0,
            scale_steps: 1,
            reheat: None,
        }
    }
}

/// Initial field amplitudes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FieldInit {
    /// Drawn from each mode's stationary law at step 0 (complex normal of variance Θ*_m(0),
    /// the bath plus injection), from its own stream.
    Equilibrium,
    /// All amplitudes zero.
    Zero,
    /// Given amplitudes `[re, im]`, one per mode.
    Amplitudes { values: Vec<[f64; 2]> },
}

/// Field (fast layer) settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSettings {
    /// γ_0, the intrinsic damping rate of every mode (1/s).
    pub gamma0: f64,
    /// Θ_rest, the bath temperature at rest (the unit of T).
    pub theta_rest: f64,
    /// T_p: plasticity P(T) = clamp((T − 1)/(T_p − 1), 0, 1), shared by the landscape's
    /// consolidation and the structural plasticity of the field.
    pub plastic_temperature: f64,
    pub initial: FieldInit,
}

/// Injection-locking settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockingSettings {
    /// ε, the locking coupling (rad/s).
    pub epsilon: f64,
    /// Largest denominator q of the rational approximations (model: 8).
    pub max_denominator: u32,
    /// Pairs whose structural weight o_jk/(p·q) is below this are not simulated.
    pub prune_below: f64,
    /// Trailing window of the locking index (time constant of its moving average), in steps.
    pub window_steps: u64,
}

/// Windowed metrics settings (coherence, smoothed energies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSettings {
    /// Time constant of the moving averages of energy and demodulated amplitude, in steps.
    pub window_steps: u64,
    /// Audible frequency to which the lowest CSHW frequency is mapped (Hz, model: 220).
    pub reference_hz: f64,
}

/// A region weight by region name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionWeight {
    pub region: String,
    pub weight: f64,
}

/// Habituation of the sinks to a predictable drive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Habituation {
    /// Exposure (envelope integrated over steps) at which 63% of `depth` is reached.
    pub time_constant_steps: u64,
    /// How much of the drive the sinks learn to cancel, in [0, 1] (a novel drive: small).
    pub depth: f64,
}

/// Envelope a(t) of a source component, on step indices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Envelope {
    /// 1 at every step.
    Always,
    /// 1 on [at, at + duration), 0 elsewhere.
    Pulse { at_step: u64, duration_steps: u64 },
    /// Linear rise, hold at 1, linear fall.
    Ramp {
        at_step: u64,
        rise_steps: u64,
        hold_steps: u64,
        fall_steps: u64,
    },
    /// One-compartment pharmacokinetics with first-order absorption (rates per second):
    /// a(t) = dose·k_a/(k_a − k_e)·(e^(−k_e t) − e^(−k_a t)) for t ≥ 0.
    Bateman {
        at_step: u64,
        dose: f64,
        absorption_rate: f64,
        elimination_rate: f64,
    },
    /// Piecewise linear through the points, 0 outside.
    Table { points: Vec<TablePoint> },
}

/// What a source component does (the generic source primitive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Action {
    /// Semantically-neutral broadband injection D (energy per second per mode at weight 1).
    Broadband {
        rate: f64,
        bands: BandWeights,
        regions: Vec<RegionWeight>,
    },
    /// A periodic drive (tone or rhythm) of complex amplitude `amplitude` (energy^½ per second).
    Drive {
        frequency_hz: f64,
        amplitude: f64,
        bands: BandWeights,
        regions: Vec<RegionWeight>,
        habituation: Option<Habituation>,
    },
    /// A coherent global phase drive (virtual oscillator) with coupling strength (rad/s).
    Metronome { frequency_hz: f64, coupling: f64 },
    /// Sink suppression u ∈ [0, 1].
    SinkSuppression { level: f64 },
    /// Sink boost b ≥ 0 (a departure from the reference, which only lowers the sinks).
    SinkBoost { level: f64 },
    /// A content pattern of the landscape acting as an external field.
    Content { pattern: String, strength: f64 },
    /// Trauma: push the plastic damping Δγ of every CSHW toward `delta_gamma` (rate 1/s at P = 1).
    WeakenCsh { delta_gamma: f64, rate: f64 },
    /// Trauma: detune a region's RSHWs toward a noble (golden-mean) ratio against its CSHW.
    /// `region: None` detunes every region.
    DetuneRegion { region: Option<String>, rate: f64 },
    /// Integration: push Δγ and every detuning back toward 0 (rate 1/s at P = 1).
    Restore { rate: f64 },
}

/// One component of a source: an action under an envelope, scaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    pub envelope: Envelope,
    pub scale: f64,
    pub action: Action,
}

/// A named energy source: a sum of components.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub name: String,
    pub components: Vec<Component>,
}

/// How a landscape pattern is made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PatternKind {
    /// Given spins (each −1 or +1), one per landscape node.
    Explicit { spins: Vec<i8> },
    /// Independent ±1 spins from the pattern stream (each pattern its own stream).
    Random,
    /// The sign of the projection of CSHW number `mode` (index among the basis's CSHWs).
    Csh { mode: usize },
}

/// A named landscape pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternSpec {
    pub name: String,
    pub kind: PatternKind,
}

/// A stored prior: Hebbian couplings of a pattern with a strength.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    pub pattern: String,
    pub strength: f64,
}

/// Initial spins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SpinInit {
    AllUp,
    Random,
    /// Seeded random spins relaxed by zero-temperature descent into the nearest local minimum
    /// of the resting landscape (no field), so the run starts in one of its attractors.
    Settled,
    Pattern {
        name: String,
    },
}

/// Landscape (slow layer) settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandscapeSettings {
    /// τ_L: landscape temperature T_L = τ_L · T.
    pub temperature_ratio: f64,
    /// A landscape temperature held fixed whatever T does (`temperature` in a script's
    /// `landscape` block); when set it replaces τ_L · T̄ in the Metropolis search, while
    /// plasticity and events still follow T̄.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_temperature: Option<f64>,
    /// Metropolis sweeps per second of simulated time (fractions accumulate).
    pub sweeps_per_second: f64,
    /// Weight of the normalised structural couplings.
    pub structure_weight: f64,
    pub patterns: Vec<PatternSpec>,
    pub priors: Vec<Prior>,
    pub initial: SpinInit,
    /// Gain of the neutral field from energised CSHWs.
    pub neutral_field_gain: f64,
    /// Recompute the external field (content plus neutral) every this many steps (≥ 1). The
    /// neutral field costs (landscape nodes × CSHWs) per update, which on node-level
    /// landscapes dominates a step; the energies it reads are windowed averages that change
    /// slowly, so updating every few steps loses little.
    pub field_every_steps: u64,
    /// η, Hebbian rate (1/s at P = 1).
    pub hebb_rate: f64,
    /// λ, relaxation rate of J toward J⁰ (1/s at P = 1).
    pub relax_rate: f64,
    /// Disintegration when the overlap with the attractor held at the last rest drops below this.
    pub disintegration_overlap: f64,
    /// Crystallisation when T is back under this with a stable state.
    pub crystallisation_temperature: f64,
    /// The window over which the state must be stable (overlap ≥ 0.9 with its start), in steps.
    pub crystallisation_window_steps: u64,
    /// Largest landscape for which priors are stored on all pairs (above: on graph edges only).
    pub dense_prior_limit: usize,
}

/// A quantity the recorder can decimate into a column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Quantity {
    /// T, the energy parameter.
    Temperature,
    /// T̄, T over the metrics window (what the landscape and plasticity feel).
    SmoothedTemperature,
    /// T of one band.
    BandTemperature {
        band: Band,
    },
    /// Θ, the bath.
    Bath,
    /// E_m for every mode (one column per mode).
    ModeEnergy,
    /// Σ E_m over a band.
    BandEnergy {
        band: Band,
    },
    Consonance,
    Dissonance,
    Noise,
    /// The Symmetry-Theory-of-Valence proxy.
    Valence,
    Integration,
    RegionIntegration {
        region: String,
    },
    Frustration,
    /// Landscape energy per node H/n.
    LandscapeEnergy,
    Overlap {
        pattern: String,
    },
    /// σ(t)·g_sink·(1 − u(t)), the effective sink gain.
    SinkGain,
}

/// One recorded quantity with its decimation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordItem {
    pub quantity: Quantity,
    /// Record at every step index divisible by this (≥ 1), including step 0.
    pub every_steps: u64,
}

/// What to record.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RecordSpec {
    pub items: Vec<RecordItem>,
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
}

fn check(
    what: impl Into<String>,
    value: f64,
    ok: bool,
    requirement: &'static str,
) -> Result<(), PlanError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(PlanError::OutOfRange {
            what: what.into(),
            requirement,
            value,
        })
    }
}

fn check_table(what: &str, points: &[TablePoint]) -> Result<(), PlanError> {
    if points.is_empty() {
        return Err(PlanError::Invalid(format!(
            "{what}: a table needs at least one point"
        )));
    }
    for pair in points.windows(2) {
        if pair[1].step <= pair[0].step {
            return Err(PlanError::Invalid(format!(
                "{what}: table steps must increase strictly ({} then {})",
                pair[0].step, pair[1].step
            )));
        }
    }
    for point in points {
        check(
            format!("{what} value at step {}", point.step),
            point.value,
            true,
            "finite",
        )?;
    }
    Ok(())
}

fn check_bands(what: &str, bands: &BandWeights) -> Result<(), PlanError> {
    for band in Band::ALL {
        let value = bands.get(band);
        check(
            format!("{what} weight of band {}", band.name()),
            value,
            value >= 0.0,
            "≥ 0",
        )?;
    }
    Ok(())
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

impl Default for LandscapeSettings {
    fn default() -> Self {
        LandscapeSettings {
            temperature_ratio: 0.5,
            sweeps_per_second: 10.0,
            structure_weight: 1.0,
            patterns: Vec::new(),
            priors: Vec::new(),
            fixed_temperature: None,
            initial: SpinInit::AllUp,
            neutral_field_gain: 1.0,
            field_every_steps: 1,
            hebb_rate: 0.05,
            relax_rate: 0.05,
            disintegration_overlap: 0.5,
            crystallisation_temperature: 1.2,
            crystallisation_window_steps: 1000,
            dense_prior_limit: 1024,
        }
    }
}

impl Plan {
    /// Checks every number and reference that does not need the basis. The engine checks the
    /// rest (region and pattern names, initial amplitudes) when it is built.
    pub fn validate(&self) -> Result<(), PlanError> {
        check("dt", self.dt, self.dt > 0.0, "> 0 seconds")?;
        check(
            "field.gamma0",
            self.field.gamma0,
            self.field.gamma0 >= 0.0,
            "≥ 0",
        )?;
        check(
            "field.theta_rest",
            self.field.theta_rest,
            self.field.theta_rest > 0.0,
            "> 0",
        )?;
        let tp = self.field.plastic_temperature;
        check("field.plastic_temperature", tp, tp > 1.0, "> 1 (rest)")?;
        check("sinks.gain", self.sinks.gain, self.sinks.gain >= 0.0, "≥ 0")?;
        check_bands("sinks.affinity", &self.sinks.affinity)?;
        match &self.sinks.profile {
            Profile::Constant { value } => check("sink profile", *value, *value >= 0.0, "≥ 0")?,
            Profile::Ramp {
                start_step,
                end_step,
                from,
                to,
            } => {
                check("sink ramp from", *from, *from >= 0.0, "≥ 0")?;
                check("sink ramp to", *to, *to >= 0.0, "≥ 0")?;
                if end_step < start_step {
                    return Err(PlanError::Invalid("sink ramp ends before it starts".into()));
                }
            }
            Profile::Table { points } => {
                check_table("sink table", points)?;
                for point in points {
                    check("sink table value", point.value, point.value >= 0.0, "≥ 0")?;
                }
            }
            Profile::Shaped { curve } => {
                check("sink curve from", curve.from, curve.from >= 0.0, "≥ 0")?;
                check("sink curve to", curve.to, curve.to >= 0.0, "≥ 0")?;
                if curve.scale_steps == 0 {
                    return Err(PlanError::Invalid(
                        "sink curve time scale must be at least one step".into(),
                    ));
                }
                if let CoolingShape::Geometric { ratio } = curve.shape {
                    check(
                        "sink geometric ratio",
                        ratio,
                        (0.0..=1.0).contains(&ratio),
                        "in [0, 1]",
                    )?;
                }
                if curve.reheat.is_some() || matches!(curve.shape, CoolingShape::Table { .. }) {
                    return Err(PlanError::Invalid(
                        "a shaped sink curve neither reheats nor is a table".into(),
                    ));
                }
            }
        }
        let cooling = &self.cooling;
        check("cooling.from", cooling.from, cooling.from >= 0.0, "≥ 0")?;
        check("cooling.to", cooling.to, cooling.to >= 0.0, "≥ 0")?;
        if cooling.scale_steps == 0 {
            return Err(PlanError::Invalid(
                "cooling time scale must be at least one step".into(),
            ));
        }
        if let CoolingShape::Geometric { ratio } = cooling.shape {
            check(
                "cooling geometric ratio",
                ratio,
                (0.0..=1.0).contains(&ratio),
                "in [0, 1]",
            )?;
        }
        if let CoolingShape::Table { points } = &cooling.shape {
            check_table("cooling table", points)?;
            for point in points {
                check(
                    "cooling table value",
                    point.value,
                    point.value >= 0.0,
                    "≥ 0",
                )?;
            }
        }
        match &cooling.reheat {
            Some(Reheat::Every { period_steps: 0 }) => {
                return Err(PlanError::Invalid(
                    "reheating period must be at least one step".into(),
                ));
            }
            Some(Reheat::AfterStall {
                window_steps,
                tolerance,
            }) => {
                if *window_steps == 0 {
                    return Err(PlanError::Invalid(
                        "reheating stall window must be at least one step".into(),
                    ));
                }
                check("reheat tolerance", *tolerance, *tolerance >= 0.0, "≥ 0")?;
            }
            _ => {}
        }
        let locking = &self.locking;
        check(
            "locking.epsilon",
            locking.epsilon,
            locking.epsilon >= 0.0,
            "≥ 0",
        )?;
        if locking.max_denominator == 0 {
            return Err(PlanError::Invalid(
                "locking.max_denominator must be at least 1".into(),
            ));
        }
        check(
            "locking.prune_below",
            locking.prune_below,
            locking.prune_below >= 0.0,
            "≥ 0",
        )?;
        if locking.window_steps == 0 || self.metrics.window_steps == 0 {
            return Err(PlanError::Invalid(
                "averaging windows must be at least one step".into(),
            ));
        }
        check(
            "metrics.reference_hz",
            self.metrics.reference_hz,
            self.metrics.reference_hz > 0.0,
            "> 0",
        )?;
        // The phase update of the locking is explicit (operator splitting), so the largest
        // phase kick per step must stay well below one radian or the scheme stops tracking
        // the continuous dynamics. This is reported, never clamped.
        let mut strongest = locking.epsilon;
        for source in &self.sources {
            for component in &source.components {
                if let Action::Metronome { coupling, .. } = component.action {
                    strongest = strongest
                        .max(coupling * component.scale.abs() * envelope_peak(&component.envelope));
                }
            }
        }
        if strongest * self.dt > 0.5 {
            return Err(PlanError::Invalid(format!(
                "locking coupling × dt = {} exceeds 0.5 rad per step; use a smaller dt",
                strongest * self.dt
            )));
        }
        for source in &self.sources {
            for (index, component) in source.components.iter().enumerate() {
                let what = format!("source `{}` component {}", source.name, index + 1);
                self.validate_component(&what, component)?;
            }
        }
        if let Some(landscape) = &self.landscape {
            validate_landscape(landscape)?;
        }
        for item in &self.record.items {
            if item.every_steps == 0 {
                return Err(PlanError::Invalid(format!(
                    "record {:?}: every must be at least one step",
                    item.quantity
                )));
            }
        }
        Ok(())
    }

    fn validate_component(&self, what: &str, component: &Component) -> Result<(), PlanError> {
        check(format!("{what} scale"), component.scale, true, "finite")?;
        match &component.envelope {
            Envelope::Bateman {
                dose,
                absorption_rate,
                elimination_rate,
                ..
            } => {
                check(format!("{what} dose"), *dose, *dose >= 0.0, "≥ 0")?;
                check(
                    format!("{what} absorption rate"),
                    *absorption_rate,
                    *absorption_rate > 0.0,
                    "> 0",
                )?;
                check(
                    format!("{what} elimination rate"),
                    *elimination_rate,
                    *elimination_rate > 0.0,
                    "> 0",
                )?;
            }
            Envelope::Table { points } => check_table(what, points)?,
            _ => {}
        }
        match &component.action {
            Action::Broadband {
                rate,
                bands,
                regions,
            } => {
                check(format!("{what} rate"), *rate, true, "finite")?;
                check_bands(what, bands)?;
                check_regions(what, regions)?;
            }
            Action::Drive {
                frequency_hz,
                amplitude,
                bands,
                regions,
                habituation,
            } => {
                check(
                    format!("{what} frequency"),
                    *frequency_hz,
                    *frequency_hz >= 0.0,
                    "≥ 0 Hz",
                )?;
                check(format!("{what} amplitude"), *amplitude, true, "finite")?;
                check_bands(what, bands)?;
                check_regions(what, regions)?;
                if let Some(habituation) = habituation {
                    if habituation.time_constant_steps == 0 {
                        return Err(PlanError::Invalid(format!(
                            "{what}: habituation time constant must be ≥ 1 step"
                        )));
                    }
                    let depth = habituation.depth;
                    check(
                        format!("{what} habituation depth"),
                        depth,
                        (0.0..=1.0).contains(&depth),
                        "in [0, 1]",
                    )?;
                }
            }
            Action::Metronome {
                frequency_hz,
                coupling,
            } => {
                check(
                    format!("{what} metronome frequency"),
                    *frequency_hz,
                    *frequency_hz > 0.0,
                    "> 0 Hz",
                )?;
                check(
                    format!("{what} metronome coupling"),
                    *coupling,
                    *coupling >= 0.0,
                    "≥ 0",
                )?;
            }
            Action::SinkSuppression { level } => {
                check(
                    format!("{what} suppression"),
                    *level,
                    (0.0..=1.0).contains(level),
                    "in [0, 1]",
                )?;
                let peak = component.scale.abs() * envelope_peak(&component.envelope);
                check(
                    format!("{what} suppression × envelope peak"),
                    *level * peak,
                    *level * peak <= 1.0,
                    "≤ 1",
                )?;
            }
            Action::SinkBoost { level } => {
                check(format!("{what} sink boost"), *level, *level >= 0.0, "≥ 0")?;
                // A negative scale or table value would turn the boost into a suppression
                // without the [0, 1] bound that suppression has, so the boost stays ≥ 0.
                check(
                    format!("{what} sink boost scale"),
                    component.scale,
                    component.scale >= 0.0,
                    "≥ 0",
                )?;
                if let Envelope::Table { points } = &component.envelope
                    && let Some(point) = points.iter().find(|p| p.value < 0.0)
                {
                    check(
                        format!("{what} sink boost envelope at step {}", point.step),
                        point.value,
                        false,
                        "≥ 0",
                    )?;
                }
            }
            Action::Content { strength, .. } => {
                check(format!("{what} strength"), *strength, true, "finite")?
            }
            Action::WeakenCsh { delta_gamma, rate } => {
                check(
                    format!("{what} delta_gamma"),
                    *delta_gamma,
                    *delta_gamma >= 0.0,
                    "≥ 0",
                )?;
                check(format!("{what} rate"), *rate, *rate >= 0.0, "≥ 0")?;
            }
            Action::DetuneRegion { rate, .. } | Action::Restore { rate } => {
                check(format!("{what} rate"), *rate, *rate >= 0.0, "≥ 0")?;
            }
        }
        Ok(())
    }

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

    /// Bytes a run of this plan needs on a basis of this shape: engine state plus every
    /// recorded column. The per-item sizes follow the engine's state layout; the engine's tests
    /// check the estimate against what a run really holds.
    pub fn memory_estimate(&self, basis: &BasisShape) -> MemoryEstimate {
        let m = basis.modes;
        let regions = basis.regions;
        let (n_csh, n_rsh) = (basis.csh_modes, basis.rsh_modes);
        let drives = self
            .sources
            .iter()
            .flat_map(|s| &s.components)
            .filter(|c| matches!(c.action, Action::Drive { .. } | Action::Broadband { .. }))
            .count() as u64;
        // Per mode: amplitudes, averages, phasors, coefficients, caches (about 24 f64), the
        // consonance kernels (two f64 per pair), one coefficient vector per drive or broadband.
        let mut state = 8 * (24 * m + m * m + 2 * drives * m + m * regions);
        // Locking pairs: indices, ratio, overlap and the two averages.
        state += 64 * n_csh * n_rsh;
        if let Some(landscape) = &self.landscape {
            let n = basis.landscape_nodes;
            let edges = basis.landscape_edges;
            let prior_edges =
                if !landscape.priors.is_empty() && n as usize <= landscape.dense_prior_limit {
                    n * n.saturating_sub(1) / 2
                } else {
                    0
                };
            state += 8 * (6 * n) + 2 * 24 * (edges + prior_edges) + 8 * n * n_csh;
        }
        let mut record = 0;
        for item in &self.record.items {
            let width = match item.quantity {
                Quantity::ModeEnergy => m,
                _ => 1,
            };
            record += 8 * width * (self.n_steps / item.every_steps + 1);
        }
        MemoryEstimate {
            state_bytes: state,
            record_bytes: record,
        }
    }
}

/// The sizes of a mode basis that decide a run's memory: what the plan needs to know of the
/// basis to estimate, without depending on the engine that builds and uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BasisShape {
    /// All modes of every band.
    pub modes: u64,
    pub csh_modes: u64,
    pub rsh_modes: u64,
    pub regions: u64,
    pub landscape_nodes: u64,
    pub landscape_edges: u64,
}

/// The memory a run needs, known before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryEstimate {
    /// Field, locking, landscape and metric state.
    pub state_bytes: u64,
    /// All recorded columns at the end of the run.
    pub record_bytes: u64,
}

impl MemoryEstimate {
    pub fn total(&self) -> u64 {
        self.state_bytes + self.record_bytes
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

fn check_regions(what: &str, regions: &[RegionWeight]) -> Result<(), PlanError> {
    for region in regions {
        check(
            format!("{what} weight of region {}", region.region),
            region.weight,
            region.weight >= 0.0,
            "≥ 0",
        )?;
    }
    Ok(())
}

fn validate_landscape(landscape: &LandscapeSettings) -> Result<(), PlanError> {
    check(
        "landscape.temperature_ratio",
        landscape.temperature_ratio,
        landscape.temperature_ratio > 0.0,
        "> 0",
    )?;
    if let Some(fixed) = landscape.fixed_temperature {
        check(
            "landscape.fixed_temperature",
            fixed,
            fixed >= 0.0,
            "≥ 0 (0 is a zero-temperature search)",
        )?;
    }
    check(
        "landscape.sweeps_per_second",
        landscape.sweeps_per_second,
        landscape.sweeps_per_second >= 0.0,
        "≥ 0",
    )?;
    check(
        "landscape.structure_weight",
        landscape.structure_weight,
        true,
        "finite",
    )?;
    check(
        "landscape.neutral_field_gain",
        landscape.neutral_field_gain,
        true,
        "finite",
    )?;
    check(
        "landscape.hebb_rate",
        landscape.hebb_rate,
        landscape.hebb_rate >= 0.0,
        "≥ 0",
    )?;
    check(
        "landscape.relax_rate",
        landscape.relax_rate,
        landscape.relax_rate >= 0.0,
        "≥ 0",
    )?;
    check(
        "landscape.disintegration_overlap",
        landscape.disintegration_overlap,
        (-1.0..=1.0).contains(&landscape.disintegration_overlap),
        "in [−1, 1]",
    )?;
    check(
        "landscape.crystallisation_temperature",
        landscape.crystallisation_temperature,
        true,
        "finite",
    )?;
    if landscape.field_every_steps == 0 {
        return Err(PlanError::Invalid(
            "landscape field update interval must be at least one step".into(),
        ));
    }
    if landscape.crystallisation_window_steps == 0 {
        return Err(PlanError::Invalid(
            "crystallisation window must be at least one step".into(),
        ));
    }
    let mut names: Vec<&str> = landscape.patterns.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(PlanError::Invalid(
            "two landscape patterns share a name".into(),
        ));
    }
    for pattern in &landscape.patterns {
        if let PatternKind::Explicit { spins } = &pattern.kind
            && spins.iter().any(|s| *s != 1 && *s != -1)
        {
            return Err(PlanError::Invalid(format!(
                "pattern `{}`: spins must be −1 or +1",
                pattern.name
            )));
        }
    }
    for prior in &landscape.priors {
        check(
            format!("prior `{}` strength", prior.pattern),
            prior.strength,
            true,
            "finite",
        )?;
        if !names.contains(&prior.pattern.as_str()) {
            return Err(PlanError::Invalid(format!(
                "prior names unknown pattern `{}`",
                prior.pattern
            )));
        }
    }
    if let SpinInit::Pattern { name } = &landscape.initial
        && !names.contains(&name.as_str())
    {
        return Err(PlanError::Invalid(format!(
            "initial spins name unknown pattern `{name}`"
        )));
    }
    Ok(())
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
