//! The harmonic engine: runs a [`Plan`] on a [`ModeBasis`].
//!
//! One step, in order: evaluate the schedules at the step index (bath Θ, sink profile σ,
//! every envelope); rebuild the exact-step coefficients if any input changed; advance the
//! field exactly; apply the injection-locking phase kicks; update energies, T and the moving
//! averages; check for divergence; move the structural plasticity; run the landscape
//! (field, Metropolis, consolidation, events); record what is due. `docs/model.md` gives the
//! equations and the tests that pin each of them.
//!
//! The engine knows nothing of syntax or files. Everything it does is a pure function of the
//! plan, the basis and the seed, so reruns are bit-identical and a restored snapshot continues
//! exactly as the uninterrupted run.

// The numerical kernels walk several parallel per-mode arrays with one index; iterator
// chains over four or five slices would hide the arithmetic they carry.
#![allow(clippy::needless_range_loop)]

pub mod basis;
pub mod field;
pub mod landscape;
pub mod locking;
pub mod metrics;
pub mod random;
pub mod record;
pub mod schedule;
#[allow(unsafe_code)]
mod trig;

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use basis::{BasisError, LandscapeGraph, LandscapeLevel, ModeBasis, ModeSpec};
pub use record::{Column, Event, EventKind, Recorder};

use anneal_plan::{
    Action, Band, Envelope, FieldInit, PatternKind, Plan, PlanError, Quantity, SpinInit,
};
use field::StepCoefficients;
use landscape::Landscape;
use locking::{LockPair, MetronomeLink};
use metrics::SpectrumKernels;
use random::{Stream, StreamState, stream};
use schedule::CoolingClock;

/// Why the engine cannot be built or cannot go on.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EngineError {
    #[error("invalid plan: {0}")]
    Plan(#[from] PlanError),
    #[error("invalid basis: {0}")]
    Basis(#[from] BasisError),
    /// The plan names something the basis lacks (a region, a pattern, a mode).
    #[error("plan and basis disagree: {0}")]
    Mismatch(String),
    /// A quantity became NaN, infinite or overflowed; nothing after it is written.
    #[error("divergence at step {step}: {quantity} is {value}")]
    Divergence {
        step: u64,
        quantity: String,
        value: f64,
    },
    #[error("snapshot does not fit this plan and basis: {0}")]
    Snapshot(String),
}

/// Energies above this are treated as an overflow (far beyond any meaningful run, far below
/// the f64 limit so that sums of them stay finite and can be reported).
const OVERFLOW_ENERGY: f64 = 1e150;

/// A source component resolved against the basis.
#[derive(Debug, Clone)]
struct Compiled {
    envelope: Envelope,
    scale: f64,
    action: CompiledAction,
}

#[derive(Debug, Clone)]
enum CompiledAction {
    /// Injection rate per mode at envelope 1.
    Broadband {
        rate_per_mode: Vec<f64>,
    },
    /// Index into the drive slots.
    Drive {
        slot: usize,
        habituation: Option<(f64, f64)>,
    },
    /// Index into the metronome slots.
    Metronome {
        slot: usize,
        omega: f64,
        coupling: f64,
    },
    Suppression {
        level: f64,
    },
    Boost {
        level: f64,
    },
    Content {
        pattern: usize,
        strength: f64,
    },
    Weaken {
        delta_gamma: f64,
        rate: f64,
    },
    Detune {
        regions: Vec<usize>,
        rate: f64,
    },
    Restore {
        rate: f64,
    },
}

/// The landscape with its patterns and bookkeeping.
#[derive(Debug, Clone)]
struct LandscapeRun {
    landscape: Landscape,
    pattern_names: Vec<String>,
    patterns: Vec<Vec<f64>>,
    /// CSHW mode indices and their projections on the landscape nodes.
    csh_modes: Vec<usize>,
    projections: Vec<Vec<f64>>,
    field: Vec<f64>,
    attractor: Vec<f64>,
    window_start: Vec<f64>,
    attractor_overlap: f64,
    /// The overlap with the held attractor averaged over the metrics window: disintegration is
    /// the sustained loss of the attractor, not a few seconds' thermal excursion of the weakly
    /// coupled nodes.
    windowed_attractor_overlap: f64,
    disintegrated: bool,
    attempt_credit: f64,
    rng: Stream,
}

/// The full dynamic state of an engine, serialisable; restoring it continues bit for bit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    pub plan_hash: String,
    pub step: u64,
    pub z_re: Vec<f64>,
    pub z_im: Vec<f64>,
    pub noise_stream: StreamState,
    pub mean_energy: Vec<f64>,
    /// Per mode, the energy it would hold from the bath alone (see [`follow_bath`]).
    pub bath_energy: Vec<f64>,
    /// Per mode, that energy through the metrics window: the reference of the neutral field.
    pub windowed_bath: Vec<f64>,
    pub demod_re: Vec<f64>,
    pub demod_im: Vec<f64>,
    pub phasor_re: Vec<f64>,
    pub phasor_im: Vec<f64>,
    pub pair_index_re: Vec<f64>,
    pub pair_index_im: Vec<f64>,
    pub exposure: Vec<f64>,
    pub delta_gamma: Vec<f64>,
    pub detuning: Vec<f64>,
    pub cooling_clock: CoolingClock,
    pub current: Current,
    pub landscape: Option<LandscapeState>,
    pub recorder: Recorder,
}

/// The landscape part of [`EngineState`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandscapeState {
    pub couplings: Vec<f64>,
    pub spins: Vec<i8>,
    pub local_fields: Vec<f64>,
    pub field: Vec<f64>,
    pub attractor: Vec<i8>,
    pub window_start: Vec<i8>,
    pub attractor_overlap: f64,
    pub windowed_attractor_overlap: f64,
    pub disintegrated: bool,
    pub attempt_credit: f64,
    pub rng: StreamState,
}

/// Scalars of the last completed step.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Current {
    /// Θ used by the last step.
    pub bath: f64,
    /// σ(t) g_sink (1 − u + b): the effective sink gain (b the summed sink boost).
    pub sink_gain: f64,
    /// u(t), the combined sink suppression.
    pub suppression: f64,
    /// T = Σ E / (M Θ_rest).
    pub temperature: f64,
    /// T̄ = Σ ⟨E⟩ / (M Θ_rest) over the metrics window: the temperature the slow layer feels
    /// (landscape temperature, plasticity, events), free of the instantaneous fluctuation of
    /// a few modes.
    pub smoothed_temperature: f64,
    /// T per band (Csh, Rsh, Ssh); 0 for an empty band.
    pub band_temperature: [f64; 3],
    /// Σ E per band.
    pub band_energy: [f64; 3],
    /// P(T).
    pub plasticity: f64,
}

/// The harmonic engine.
pub struct Engine {
    plan: Plan,
    plan_hash: String,
    dt: f64,
    bands: Vec<Band>,
    mode_region: Vec<Option<usize>>,
    base_omega: Vec<f64>,
    omega: Vec<f64>,
    band_count: [usize; 3],
    kappa: Vec<f64>,
    region_names: Vec<String>,
    audible_scale: f64,
    components: Vec<Compiled>,
    drive_omega: Vec<f64>,
    drive_gain: Vec<Vec<f64>>,
    metronome_links: Vec<Vec<MetronomeLink>>,
    pairs: Vec<LockPair>,
    /// Per region: the lowest RSHW and the CSHW with the largest overlap (for detuning).
    detune_reference: Vec<Option<(usize, usize)>>,
    coefficients: StepCoefficients,
    coefficient_key: Vec<f64>,
    key_scratch: Vec<f64>,
    /// Whether any mode has a non-zero noise amplitude (skips the draws when none has).
    noisy: bool,
    drive_phasor: Vec<(f64, f64)>,
    gamma: Vec<f64>,
    theta_star: Vec<f64>,
    injection: Vec<f64>,
    demod_rotation: Vec<(f64, f64)>,
    envelope_values: Vec<f64>,
    dtheta: Vec<f64>,
    phases: Vec<f64>,
    energy: Vec<f64>,
    kernels: RefCell<Option<SpectrumKernels>>,
    landscape: Option<LandscapeRun>,
    failure: Option<EngineError>,
    // Dynamic state (saved in snapshots).
    step: u64,
    z_re: Vec<f64>,
    z_im: Vec<f64>,
    noise: Stream,
    mean_energy: Vec<f64>,
    /// Per mode: the expected energy from the bath alone, and its windowed mean Θ̄_m.
    bath_energy: Vec<f64>,
    windowed_bath: Vec<f64>,
    demod_re: Vec<f64>,
    demod_im: Vec<f64>,
    phasor_re: Vec<f64>,
    phasor_im: Vec<f64>,
    pair_index_re: Vec<f64>,
    pair_index_im: Vec<f64>,
    exposure: Vec<f64>,
    delta_gamma: Vec<f64>,
    detuning: Vec<f64>,
    cooling_clock: CoolingClock,
    current: Current,
    recorder: Recorder,
}

/// The settled initial state (`SpinInit::Settled`) anneals the landscape geometrically from
/// this temperature (well above the normalised critical temperature 1) to the resting
/// landscape temperature τ_L, in this many stages of this many sweeps.
const SETTLE_FROM_TEMPERATURE: f64 = 3.0;
const SETTLE_STAGES: u64 = 100;
const SETTLE_SWEEPS_PER_STAGE: u64 = 2;

/// How many standard deviations of the windowed energy's equilibrium spread a CSHW must rise
/// above the bath before it makes a neutral field (one-sided, about 0.1% of rest windows).
const NEUTRAL_FIELD_SIGMAS: f64 = 3.0;

/// Relative standard deviation, at equilibrium, of the exponential moving average (factor
/// `beta` per step) of a mode's energy E = |z|² with damping `gamma`: E is exponential (its
/// standard deviation equals its mean) with autocorrelation ρ^lag, ρ = e^{−2γ dt}, so
/// Var(Ē)/Ē² = β/(2 − β) · (1 + (1 − β)ρ)/(1 − (1 − β)ρ).
fn window_spread(beta: f64, gamma: f64, dt: f64) -> f64 {
    let rho = (-2.0 * gamma * dt).exp();
    let carried = (1.0 - beta) * rho;
    (beta / (2.0 - beta) * (1.0 + carried) / (1.0 - carried)).sqrt()
}

/// Advances one mode's bath reference over one step: `bath_energy` is the energy the mode
/// would hold from the bath Θ alone, relaxed toward Θ by the same factor ρ² = e^{−2γ dt}
/// (`energy_decay`) as the mode's expected energy, and `windowed_bath` is that energy through
/// the same moving average (factor `beta`) as the windowed energy Ē. Ē minus this Θ̄ is what
/// sources put in; after a drop of the bath both lag alike, so leftover heat is not counted
/// as injected energy. At a constant bath both stay at Θ.
fn follow_bath(
    bath_energy: &mut f64,
    windowed_bath: &mut f64,
    theta: f64,
    energy_decay: f64,
    beta: f64,
) {
    *bath_energy = theta + (*bath_energy - theta) * energy_decay;
    *windowed_bath += beta * (*bath_energy - *windowed_bath);
}

/// The smoothing factor of a moving average with a time constant of `window` steps.
fn smoothing(window: u64) -> f64 {
    1.0 - (-1.0 / window as f64).exp()
}

fn spins_to_i8(spins: &[f64]) -> Vec<i8> {
    spins
        .iter()
        .map(|s| if *s > 0.0 { 1 } else { -1 })
        .collect()
}

fn spins_to_f64(spins: &[i8]) -> Vec<f64> {
    spins.iter().map(|s| f64::from(*s)).collect()
}

/// The noble ratio m + 1/φ nearest a ratio: the hardest ratios to approximate by fractions.
fn nearest_noble(ratio: f64) -> f64 {
    let inverse_golden = (5f64.sqrt() - 1.0) / 2.0;
    (ratio - inverse_golden).round().max(0.0) + inverse_golden
}

impl Engine {
    /// Builds an engine at step 0 (records the initial values).
    pub fn new(plan: &Plan, basis: &ModeBasis) -> Result<Engine, EngineError> {
        plan.validate()?;
        basis.validate()?;
        let m = basis.modes.len();
        let dt = plan.dt;
        let bands: Vec<Band> = basis.modes.iter().map(|mode| mode.band).collect();
        let mode_region: Vec<Option<usize>> = basis.modes.iter().map(|mode| mode.region).collect();
        let base_omega: Vec<f64> = basis
            .modes
            .iter()
            .map(|mode| std::f64::consts::TAU * mode.frequency_hz)
            .collect();
        let mut band_count = [0usize; 3];
        for band in &bands {
            band_count[band.index()] += 1;
        }
        let kappa = bands.iter().map(|b| plan.sinks.affinity.get(*b)).collect();
        let n_regions = basis.region_names.len();
        let region_weights =
            |what: &str, list: &[anneal_plan::RegionWeight]| -> Result<Vec<f64>, EngineError> {
                // Per mode: the band weight is applied by the caller; here the region weight.
                if list.is_empty() {
                    return Ok(vec![1.0; m]);
                }
                let mut by_region = vec![0.0; n_regions];
                for entry in list {
                    let r = basis.region_index(&entry.region).ok_or_else(|| {
                        EngineError::Mismatch(format!("{what}: unknown region `{}`", entry.region))
                    })?;
                    by_region[r] += entry.weight;
                }
                Ok((0..m)
                    .map(|mode| match basis.modes[mode].region {
                        Some(r) => by_region[r],
                        // A global mode takes the weights in proportion to its mass in each region.
                        None => basis.region_mass[mode]
                            .iter()
                            .zip(&by_region)
                            .map(|(a, b)| a * b)
                            .sum(),
                    })
                    .collect())
            };
        // Landscape first: content components refer to its patterns.
        let landscape = match &plan.landscape {
            Some(settings) => Some(build_landscape(plan, settings, basis)?),
            None => None,
        };
        let mut components = Vec::new();
        let mut drive_omega = Vec::new();
        let mut drive_gain = Vec::new();
        let mut metronome_omegas = Vec::new();
        for source in &plan.sources {
            for (index, component) in source.components.iter().enumerate() {
                let what = format!("source `{}` component {}", source.name, index + 1);
                let action = match &component.action {
                    Action::Broadband {
                        rate,
                        bands: weights,
                        regions,
                    } => {
                        let region_w = region_weights(&what, regions)?;
                        CompiledAction::Broadband {
                            rate_per_mode: (0..m)
                                .map(|i| rate * weights.get(bands[i]) * region_w[i])
                                .collect(),
                        }
                    }
                    Action::Drive {
                        frequency_hz,
                        amplitude,
                        bands: weights,
                        regions,
                        habituation,
                    } => {
                        let region_w = region_weights(&what, regions)?;
                        drive_omega.push(std::f64::consts::TAU * frequency_hz);
                        drive_gain.push(
                            (0..m)
                                .map(|i| amplitude * weights.get(bands[i]) * region_w[i])
                                .collect::<Vec<f64>>(),
                        );
                        CompiledAction::Drive {
                            slot: drive_omega.len() - 1,
                            habituation: habituation
                                .as_ref()
                                .map(|h| (h.time_constant_steps as f64, h.depth)),
                        }
                    }
                    Action::Metronome {
                        frequency_hz,
                        coupling,
                    } => {
                        let omega = std::f64::consts::TAU * frequency_hz;
                        metronome_omegas.push(omega);
                        CompiledAction::Metronome {
                            slot: metronome_omegas.len() - 1,
                            omega,
                            coupling: *coupling,
                        }
                    }
                    Action::SinkSuppression { level } => {
                        CompiledAction::Suppression { level: *level }
                    }
                    Action::SinkBoost { level } => CompiledAction::Boost { level: *level },
                    Action::Content { pattern, strength } => {
                        let run = landscape.as_ref().ok_or_else(|| {
                            EngineError::Mismatch(format!(
                                "{what}: a content pattern needs a landscape"
                            ))
                        })?;
                        let index = run
                            .pattern_names
                            .iter()
                            .position(|p| p == pattern)
                            .ok_or_else(|| {
                                EngineError::Mismatch(format!(
                                    "{what}: unknown pattern `{pattern}`"
                                ))
                            })?;
                        CompiledAction::Content {
                            pattern: index,
                            strength: *strength,
                        }
                    }
                    Action::WeakenCsh { delta_gamma, rate } => CompiledAction::Weaken {
                        delta_gamma: *delta_gamma,
                        rate: *rate,
                    },
                    Action::DetuneRegion { region, rate } => {
                        let regions = match region {
                            None => (0..n_regions).collect(),
                            Some(name) => vec![basis.region_index(name).ok_or_else(|| {
                                EngineError::Mismatch(format!("{what}: unknown region `{name}`"))
                            })?],
                        };
                        CompiledAction::Detune {
                            regions,
                            rate: *rate,
                        }
                    }
                    Action::Restore { rate } => CompiledAction::Restore { rate: *rate },
                };
                components.push(Compiled {
                    envelope: component.envelope.clone(),
                    scale: component.scale,
                    action,
                });
            }
        }
        // Locking pairs: every RSHW with every CSHW whose mass in its region is not negligible.
        let mut pairs = Vec::new();
        for j in 0..m {
            let (Band::Rsh, Some(r)) = (bands[j], mode_region[j]) else {
                continue;
            };
            for k in 0..m {
                if bands[k] != Band::Csh {
                    continue;
                }
                let overlap = basis.region_mass[k][r];
                if overlap >= plan.locking.prune_below && overlap > 0.0 {
                    pairs.push(LockPair::new(j, k, r, overlap));
                }
            }
        }
        let mut detune_reference = vec![None; n_regions];
        for (r, reference) in detune_reference.iter_mut().enumerate() {
            let lowest_rsh = (0..m)
                .filter(|&j| bands[j] == Band::Rsh && mode_region[j] == Some(r))
                .min_by(|a, b| base_omega[*a].total_cmp(&base_omega[*b]));
            let heaviest_csh = (0..m).filter(|&k| bands[k] == Band::Csh).max_by(|a, b| {
                basis.region_mass[*a][r]
                    .total_cmp(&basis.region_mass[*b][r])
                    .then(b.cmp(a))
            });
            if let (Some(j), Some(k)) = (lowest_rsh, heaviest_csh) {
                *reference = Some((j, k));
            }
        }
        let initial_field = match &plan.field.initial {
            FieldInit::Zero => (vec![0.0; m], vec![0.0; m]),
            FieldInit::Amplitudes { values } => {
                if values.len() != m {
                    return Err(EngineError::Mismatch(format!(
                        "{} initial amplitudes for {m} modes",
                        values.len()
                    )));
                }
                if values.iter().flatten().any(|v| !v.is_finite()) {
                    return Err(EngineError::Mismatch(
                        "initial amplitudes must be finite".into(),
                    ));
                }
                (
                    values.iter().map(|v| v[0]).collect(),
                    values.iter().map(|v| v[1]).collect(),
                )
            }
            // Drawn below, once the bath targets Θ*_m(0) are known.
            FieldInit::Equilibrium => (vec![0.0; m], vec![0.0; m]),
        };
        let n_pairs = pairs.len();
        let n_drives = drive_omega.len();
        let mut engine = Engine {
            plan_hash: plan.content_hash(),
            plan: plan.clone(),
            dt,
            bands,
            mode_region,
            omega: base_omega.clone(),
            base_omega,
            band_count,
            kappa,
            region_names: basis.region_names.clone(),
            audible_scale: plan.metrics.reference_hz / basis.fundamental_hz(),
            components,
            drive_omega,
            drive_gain,
            metronome_links: vec![Vec::new(); metronome_omegas.len()],
            pairs,
            detune_reference,
            coefficients: StepCoefficients::default(),
            coefficient_key: Vec::new(),
            key_scratch: Vec::new(),
            noisy: false,
            drive_phasor: vec![(0.0, 0.0); n_drives],
            gamma: vec![0.0; m],
            theta_star: vec![0.0; m],
            injection: vec![0.0; m],
            demod_rotation: Vec::new(),
            envelope_values: Vec::new(),
            dtheta: vec![0.0; m],
            phases: vec![0.0; m],
            energy: vec![0.0; m],
            kernels: RefCell::new(None),
            landscape,
            failure: None,
            step: 0,
            z_re: initial_field.0,
            z_im: initial_field.1,
            noise: Stream::new(plan.seed, stream::FIELD_NOISE),
            mean_energy: vec![0.0; m],
            bath_energy: vec![0.0; m],
            windowed_bath: vec![0.0; m],
            demod_re: vec![0.0; m],
            demod_im: vec![0.0; m],
            phasor_re: vec![1.0; m],
            phasor_im: vec![0.0; m],
            pair_index_re: vec![0.0; n_pairs],
            pair_index_im: vec![0.0; n_pairs],
            exposure: vec![0.0; n_drives],
            delta_gamma: vec![0.0; m],
            detuning: vec![0.0; n_regions],
            cooling_clock: CoolingClock::new(&plan.cooling),
            current: Current::default(),
            recorder: Recorder::default(),
        };
        engine.frequencies_changed();
        let theta0 = engine.cooling_clock.theta(&engine.plan.cooling, 0);
        engine.evaluate_inputs(0, theta0)?;
        if engine.plan.field.initial == FieldInit::Equilibrium {
            // Each mode starts in its stationary law at step 0: complex normal of variance Θ*_m.
            let mut rng = Stream::new(engine.plan.seed, stream::INITIAL_FIELD);
            for i in 0..m {
                let scale = (0.5 * engine.theta_star[i]).sqrt();
                let (a, b) = rng.normal_pair();
                engine.z_re[i] = scale * a;
                engine.z_im[i] = scale * b;
            }
        }
        // The moving averages start from the initial field so that early windows are unbiased;
        // the windowed energy of a field drawn from its stationary law starts at that law's
        // mean Θ*_m rather than at the single draw, whose exponential spread would otherwise
        // make the first seconds of T̄ and of the neutral field (a square root of the excess)
        // noise: it disintegrated the landscape within a second of rest.
        let equilibrium = engine.plan.field.initial == FieldInit::Equilibrium;
        for i in 0..m {
            let e = engine.z_re[i] * engine.z_re[i] + engine.z_im[i] * engine.z_im[i];
            engine.energy[i] = e;
            engine.mean_energy[i] = if equilibrium { engine.theta_star[i] } else { e };
            // The bath reference starts at the bath: for the stationary start, the bath's share
            // Θ of the law's mean Θ*_m; the rest of Θ*_m is injected.
            engine.bath_energy[i] = theta0;
            engine.windowed_bath[i] = theta0;
            engine.demod_re[i] = engine.z_re[i];
            engine.demod_im[i] = engine.z_im[i];
        }
        engine.update_temperatures();
        if let Some(run) = &mut engine.landscape {
            run.field = vec![0.0; run.landscape.len()];
        }
        engine.check_finite()?;
        engine.check_record_names()?;
        engine.create_columns();
        engine.record_due();
        Ok(engine)
    }

    /// Recomputes everything derived from the mode frequencies (after detuning).
    fn frequencies_changed(&mut self) {
        for i in 0..self.omega.len() {
            self.omega[i] = match (self.bands[i], self.mode_region[i]) {
                (Band::Rsh, Some(r)) => self.base_omega[i] * (1.0 + self.detuning[r]),
                _ => self.base_omega[i],
            };
        }
        locking::refresh_ratios(
            &mut self.pairs,
            &self.omega,
            self.plan.locking.max_denominator,
        );
        for component in &self.components {
            if let CompiledAction::Metronome { slot, omega, .. } = component.action {
                self.metronome_links[slot] = locking::metronome_links(
                    omega,
                    &self.omega,
                    self.plan.locking.max_denominator,
                    self.plan.locking.prune_below,
                );
            }
        }
        self.demod_rotation = self
            .omega
            .iter()
            .map(|w| (-w * self.dt).sin_cos())
            .collect();
        self.coefficient_key.clear();
        *self.kernels.borrow_mut() = None;
    }

    /// Evaluates the schedules at `step` and rebuilds the step coefficients when an input
    /// changed. Fails on a non-physical bath target (injection without damping).
    fn evaluate_inputs(&mut self, step: u64, theta: f64) -> Result<(), EngineError> {
        let plan = &self.plan;
        self.envelope_values.clear();
        for component in &self.components {
            self.envelope_values.push(
                schedule::envelope_value(&component.envelope, step, self.dt) * component.scale,
            );
        }
        let sigma = schedule::profile_value(&plan.sinks.profile, step);
        let mut pass = 1.0;
        let mut boost = 0.0;
        for (component, a) in self.components.iter().zip(&self.envelope_values) {
            match component.action {
                // Independent suppressions combine as 1 − Π(1 − u_s), which stays in [0, 1].
                CompiledAction::Suppression { level } => pass *= 1.0 - level * a,
                // Boosts add: b = Σ b_s a_s(t) ≥ 0 (levels, scales and envelopes are ≥ 0).
                CompiledAction::Boost { level } => boost += level * a,
                _ => {}
            }
        }
        let suppression = 1.0 - pass;
        let sink_gain = plan.sinks.gain * sigma * (1.0 - suppression + boost);
        self.current.bath = theta;
        self.current.sink_gain = sink_gain;
        self.current.suppression = suppression;
        // The key of every input of the coefficients; unchanged key ⇒ unchanged coefficients.
        let mut key = std::mem::take(&mut self.key_scratch);
        key.clear();
        key.push(theta);
        key.push(sink_gain);
        for (component, a) in self.components.iter().zip(&self.envelope_values) {
            if matches!(component.action, CompiledAction::Broadband { .. }) {
                key.push(*a);
            }
        }
        if key == self.coefficient_key {
            self.key_scratch = key;
            return Ok(());
        }
        let m = self.omega.len();
        self.injection.iter_mut().for_each(|d| *d = 0.0);
        for (component, a) in self.components.iter().zip(&self.envelope_values) {
            if let CompiledAction::Broadband { rate_per_mode } = &component.action
                && *a != 0.0
            {
                for i in 0..m {
                    self.injection[i] += a * rate_per_mode[i];
                }
            }
        }
        for i in 0..m {
            self.gamma[i] = plan.field.gamma0 + sink_gain * self.kappa[i] + self.delta_gamma[i];
            let target = if self.injection[i] == 0.0 {
                theta
            } else {
                theta + self.injection[i] / (2.0 * self.gamma[i])
            };
            if !target.is_finite() || target < 0.0 {
                return Err(EngineError::Divergence {
                    step,
                    quantity: format!(
                        "bath target Θ* of mode {i} (injection {} with damping {})",
                        self.injection[i], self.gamma[i]
                    ),
                    value: target,
                });
            }
            self.theta_star[i] = target;
        }
        self.coefficients.update(
            self.dt,
            &self.gamma,
            &self.omega,
            &self.theta_star,
            &self.drive_omega,
            &self.drive_gain,
        );
        self.noisy = self.coefficients.noise.iter().any(|s| *s != 0.0);
        self.key_scratch = std::mem::replace(&mut self.coefficient_key, key);
        Ok(())
    }

    /// Advances `n` steps (stops at the first error, which every later call repeats).
    pub fn step(&mut self, n: u64) -> Result<(), EngineError> {
        if let Some(error) = &self.failure {
            return Err(error.clone());
        }
        for _ in 0..n {
            if let Err(error) = self.advance_one() {
                self.failure = Some(error.clone());
                return Err(error);
            }
        }
        Ok(())
    }

    /// Runs to the plan's `n_steps` in chunks of `chunk` steps, calling `progress(done, total)`
    /// after each chunk (for progress bars).
    pub fn run_with_progress(
        &mut self,
        chunk: u64,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<(), EngineError> {
        let total = self.plan.n_steps;
        let chunk = chunk.max(1);
        while self.step < total {
            let n = chunk.min(total - self.step);
            self.step(n)?;
            progress(self.step, total);
        }
        Ok(())
    }

    /// Runs to the plan's `n_steps`.
    pub fn run(&mut self) -> Result<(), EngineError> {
        self.run_with_progress(u64::MAX, |_, _| {})
    }

    fn advance_one(&mut self) -> Result<(), EngineError> {
        let n = self.step;
        let dt = self.dt;
        let theta = self.cooling_clock.theta(&self.plan.cooling, n);
        self.evaluate_inputs(n, theta)?;
        // Drive phasors a_s h_s e^{iΩ_s t_n}; the phase is reduced exactly as a fraction of a turn.
        let mut drive_phasor = std::mem::take(&mut self.drive_phasor);
        drive_phasor.iter_mut().for_each(|p| *p = (0.0, 0.0));
        let time = n as f64 * dt;
        for (c, component) in self.components.iter().enumerate() {
            if let CompiledAction::Drive { slot, habituation } = component.action {
                let a = self.envelope_values[c];
                if a == 0.0 {
                    continue;
                }
                let gain = match habituation {
                    Some((tau, depth)) => 1.0 - depth * (1.0 - (-self.exposure[slot] / tau).exp()),
                    None => 1.0,
                };
                let turns = self.drive_omega[slot] / std::f64::consts::TAU * time;
                let (s, co) = (std::f64::consts::TAU * (turns - turns.floor())).sin_cos();
                drive_phasor[slot] = (a * gain * co, a * gain * s);
                self.exposure[slot] += a.abs();
            }
        }
        field::exact_step(
            &mut self.z_re,
            &mut self.z_im,
            &self.coefficients,
            &drive_phasor,
            &mut self.noise,
            self.noisy,
        );
        self.drive_phasor = drive_phasor;
        self.apply_locking(n + 1);
        // Energies and moving averages.
        let m = self.z_re.len();
        let beta = smoothing(self.plan.metrics.window_steps);
        for i in 0..m {
            let (x, y) = (self.z_re[i], self.z_im[i]);
            let e = x * x + y * y;
            self.energy[i] = e;
            self.mean_energy[i] += beta * (e - self.mean_energy[i]);
            follow_bath(
                &mut self.bath_energy[i],
                &mut self.windowed_bath[i],
                theta,
                self.coefficients.energy_decay[i],
                beta,
            );
            // Demodulation phasor e^{−iω t}, renormalised so rounding cannot make it drift.
            let (s, c) = self.demod_rotation[i];
            let (pr, pi) = (self.phasor_re[i], self.phasor_im[i]);
            let (mut nr, mut ni) = (pr * c - pi * s, pr * s + pi * c);
            let correction = 1.5 - 0.5 * (nr * nr + ni * ni);
            nr *= correction;
            ni *= correction;
            self.phasor_re[i] = nr;
            self.phasor_im[i] = ni;
            self.demod_re[i] += beta * (x * nr - y * ni - self.demod_re[i]);
            self.demod_im[i] += beta * (x * ni + y * nr - self.demod_im[i]);
        }
        self.update_temperatures();
        self.step = n + 1;
        self.check_finite()?;
        self.structural_plasticity()?;
        self.run_landscape()?;
        // Only reheating after a stall watches an energy; skip its O(n) cost otherwise.
        if matches!(
            self.plan.cooling.reheat,
            Some(anneal_plan::Reheat::AfterStall { .. })
        ) {
            let monitored = match &self.landscape {
                Some(run) => run.landscape.energy_per_node(&run.field),
                None => self.current.smoothed_temperature,
            };
            if self
                .cooling_clock
                .observe(&self.plan.cooling, self.step, monitored)
            {
                self.push_event(EventKind::Reheat);
            }
        }
        self.record_due();
        Ok(())
    }

    fn apply_locking(&mut self, next_step: u64) {
        let active_metronome = self
            .components
            .iter()
            .zip(&self.envelope_values)
            .any(|(c, a)| matches!(c.action, CompiledAction::Metronome { .. }) && *a != 0.0);
        if self.pairs.is_empty() && !active_metronome {
            return;
        }
        for i in 0..self.z_re.len() {
            self.phases[i] = self.z_im[i].atan2(self.z_re[i]);
            self.energy[i] = self.z_re[i] * self.z_re[i] + self.z_im[i] * self.z_im[i];
        }
        let inputs = locking::LockingInputs {
            epsilon: self.plan.locking.epsilon,
            theta: &self.phases,
            energy: &self.energy,
            beta: smoothing(self.plan.locking.window_steps),
        };
        locking::pair_coupling(
            &inputs,
            &self.pairs,
            &mut self.pair_index_re,
            &mut self.pair_index_im,
            &mut self.dtheta,
        );
        let time = next_step as f64 * self.dt;
        for (c, component) in self.components.iter().enumerate() {
            if let CompiledAction::Metronome {
                slot,
                omega,
                coupling,
            } = component.action
            {
                let a = self.envelope_values[c];
                if a == 0.0 {
                    continue;
                }
                let turns = omega / std::f64::consts::TAU * time;
                let phase = std::f64::consts::TAU * (turns - turns.floor());
                locking::metronome_coupling(
                    &self.metronome_links[slot],
                    phase,
                    coupling * a,
                    &self.phases,
                    &mut self.dtheta,
                );
            }
        }
        locking::apply_rotation(&mut self.z_re, &mut self.z_im, &mut self.dtheta, self.dt);
    }

    /// T, T̄, per-band T and P(T̄) from `self.energy`, which holds |z|² of the current state
    /// (filled by the averaging loop of each step, by `new` and by `restore`).
    fn update_temperatures(&mut self) {
        let rest = self.plan.field.theta_rest;
        let mut band_energy = [0.0; 3];
        for (i, band) in self.bands.iter().enumerate() {
            band_energy[band.index()] += self.energy[i];
        }
        let total: f64 = band_energy.iter().sum();
        self.current.band_energy = band_energy;
        self.current.temperature = total / (self.bands.len() as f64 * rest);
        for b in 0..3 {
            self.current.band_temperature[b] = if self.band_count[b] > 0 {
                band_energy[b] / (self.band_count[b] as f64 * rest)
            } else {
                0.0
            };
        }
        let mean_total: f64 = self.mean_energy.iter().sum();
        self.current.smoothed_temperature = mean_total / (self.bands.len() as f64 * rest);
        let tp = self.plan.field.plastic_temperature;
        self.current.plasticity =
            ((self.current.smoothed_temperature - 1.0) / (tp - 1.0)).clamp(0.0, 1.0);
    }

    /// Reports the first non-finite or overflowing quantity of the field.
    fn check_finite(&self) -> Result<(), EngineError> {
        let total: f64 = self.current.band_energy.iter().sum();
        if total.is_finite() && total < OVERFLOW_ENERGY {
            return Ok(());
        }
        for i in 0..self.z_re.len() {
            let e = self.z_re[i] * self.z_re[i] + self.z_im[i] * self.z_im[i];
            if !e.is_finite() || e >= OVERFLOW_ENERGY {
                return Err(EngineError::Divergence {
                    step: self.step,
                    quantity: format!("energy of mode {i}"),
                    value: e,
                });
            }
        }
        Err(EngineError::Divergence {
            step: self.step,
            quantity: "total field energy".into(),
            value: total,
        })
    }

    /// Moves Δγ (CSHWs) and the region detunings δ_r toward the targets of the active plastic
    /// components at rate P(T) Σ a·rate, by exact relaxation over the step.
    fn structural_plasticity(&mut self) -> Result<(), EngineError> {
        let p = self.current.plasticity;
        if p == 0.0 {
            return Ok(());
        }
        let (mut gamma_rate, mut gamma_pull) = (0.0, 0.0);
        let n_regions = self.detuning.len();
        let mut detune_rate = vec![0.0; n_regions];
        let mut detune_pull = vec![0.0; n_regions];
        let mut any = false;
        for (component, a) in self.components.iter().zip(&self.envelope_values) {
            let a = a.abs();
            if a == 0.0 {
                continue;
            }
            match &component.action {
                CompiledAction::Weaken { delta_gamma, rate } => {
                    gamma_rate += a * rate;
                    gamma_pull += a * rate * delta_gamma;
                    any = true;
                }
                CompiledAction::Detune { regions, rate } => {
                    for &r in regions {
                        if let Some((j, k)) = self.detune_reference[r] {
                            let ratio = self.base_omega[j] / self.base_omega[k];
                            let target = nearest_noble(ratio) / ratio - 1.0;
                            detune_rate[r] += a * rate;
                            detune_pull[r] += a * rate * target;
                            any = true;
                        }
                    }
                }
                CompiledAction::Restore { rate } => {
                    gamma_rate += a * rate;
                    for r in 0..n_regions {
                        detune_rate[r] += a * rate;
                    }
                    any = true;
                }
                _ => {}
            }
        }
        if !any {
            return Ok(());
        }
        if gamma_rate > 0.0 {
            let target = gamma_pull / gamma_rate;
            let keep = (-p * gamma_rate * self.dt).exp();
            for i in 0..self.delta_gamma.len() {
                if self.bands[i] == Band::Csh {
                    self.delta_gamma[i] = target + (self.delta_gamma[i] - target) * keep;
                }
            }
            self.coefficient_key.clear();
        }
        let mut detuned = false;
        for r in 0..n_regions {
            if detune_rate[r] > 0.0 {
                let target = detune_pull[r] / detune_rate[r];
                let keep = (-p * detune_rate[r] * self.dt).exp();
                self.detuning[r] = target + (self.detuning[r] - target) * keep;
                detuned = true;
            }
        }
        if detuned {
            self.frequencies_changed();
        }
        if let Some(value) = self
            .delta_gamma
            .iter()
            .chain(&self.detuning)
            .find(|v| !v.is_finite())
        {
            return Err(EngineError::Divergence {
                step: self.step,
                quantity: "structural plasticity".into(),
                value: *value,
            });
        }
        Ok(())
    }

    fn run_landscape(&mut self) -> Result<(), EngineError> {
        let Some(settings) = &self.plan.landscape else {
            return Ok(());
        };
        let temperature = self.current.smoothed_temperature;
        let plasticity = self.current.plasticity;
        let step = self.step;
        // The neutral field compares each CSHW's windowed energy with the windowed energy the
        // bath alone would give it; with no bath (Θ = 0) there is no bath share, and Θ_rest
        // sets the scale instead.
        let bath_present = self.current.bath > 0.0;
        let theta_rest = self.plan.field.theta_rest;
        let run = self
            .landscape
            .as_mut()
            .expect("landscape settings imply a landscape run");
        let n = run.landscape.len();
        // External field: content patterns of active sources plus the neutral field, refreshed
        // every `field_every_steps` steps (step 1 is the first step that runs the landscape).
        if (step - 1).is_multiple_of(settings.field_every_steps) {
            run.field.iter_mut().for_each(|h| *h = 0.0);
            for (component, a) in self.components.iter().zip(&self.envelope_values) {
                if let CompiledAction::Content { pattern, strength } = component.action
                    && *a != 0.0
                {
                    for (h, x) in run.field.iter_mut().zip(&run.patterns[pattern]) {
                        *h += a * strength * x;
                    }
                }
            }
            if settings.neutral_field_gain != 0.0 {
                let beta = smoothing(self.plan.metrics.window_steps);
                for (k, projection) in run.csh_modes.iter().zip(&run.projections) {
                    // Only the excess beyond what equilibrium fluctuation of the windowed energy
                    // explains counts (subtracted, so the field grows continuously from zero):
                    // at rest each Ē_k wanders by about a quarter of Θ, and the square root
                    // turned that into a random field of order one per CSHW that disordered
                    // the resting landscape.
                    // The reference is the bath passed through the mode's relaxation and the
                    // window (`follow_bath`), not the instantaneous bath: after a fast drop of
                    // Θ the windowed energy lags above the new bath for minutes, and counted
                    // against Θ that leftover heat made a spurious fading field on a quench.
                    let spread = window_spread(beta, self.gamma[*k], self.dt);
                    let reference = if bath_present {
                        self.windowed_bath[*k]
                    } else {
                        theta_rest
                    };
                    let excess =
                        self.mean_energy[*k] / reference - 1.0 - NEUTRAL_FIELD_SIGMAS * spread;
                    if excess > 0.0 {
                        let weight = settings.neutral_field_gain * excess.sqrt();
                        for (h, x) in run.field.iter_mut().zip(projection) {
                            *h += weight * x;
                        }
                    }
                }
            }
        }
        run.attempt_credit += settings.sweeps_per_second * self.dt * n as f64;
        let attempts = run.attempt_credit.floor();
        run.attempt_credit -= attempts;
        let search_temperature = settings
            .fixed_temperature
            .unwrap_or(settings.temperature_ratio * temperature);
        let flips = run.landscape.metropolis(
            attempts as u64,
            search_temperature,
            &run.field,
            &mut run.rng,
        );
        if plasticity > 0.0 && (settings.hebb_rate > 0.0 || settings.relax_rate > 0.0) {
            // The Hebbian term is normalised by the mean degree, as the priors are by n: at the
            // fixed point J − J⁰ = (η/λ) s_i s_j / d̄ adds about η/λ to each spin's local field,
            // the scale of the normalised structure (λ_max(J⁰) = 1), whatever the graph's size.
            // Unnormalised, the 76-region landscape gained η/λ · 75 per spin and froze.
            let degree = run.landscape.mean_degree().max(1.0);
            run.landscape.consolidate(
                plasticity * self.dt,
                settings.hebb_rate / degree,
                settings.relax_rate,
            );
            let largest = run.landscape.largest_coupling();
            if !largest.is_finite() || largest > OVERFLOW_ENERGY {
                return Err(EngineError::Divergence {
                    step,
                    quantity: "landscape coupling".into(),
                    value: largest,
                });
            }
        }
        if let Some(h) = run.field.iter().find(|h| !h.is_finite()) {
            return Err(EngineError::Divergence {
                step,
                quantity: "landscape field".into(),
                value: *h,
            });
        }
        if flips > 0 {
            run.attractor_overlap = run.landscape.overlap(&run.attractor);
        }
        let mut events = Vec::new();
        run.windowed_attractor_overlap += smoothing(self.plan.metrics.window_steps)
            * (run.attractor_overlap - run.windowed_attractor_overlap);
        // At rest (T̄ under the crystallisation temperature) the held attractor follows the
        // state at each window boundary, so a change of state at rest (on the 76-region
        // connectome one hemisphere, weakly tied to the other, can flip as a whole at τ_L = 0.5)
        // moves the attractor; disintegration is the loss of the attractor in a hot phase.
        let hot = temperature >= settings.crystallisation_temperature;
        if !run.disintegrated
            && hot
            && run.windowed_attractor_overlap < settings.disintegration_overlap
        {
            run.disintegrated = true;
            events.push((EventKind::Disintegration, run.windowed_attractor_overlap));
        }
        if step.is_multiple_of(settings.crystallisation_window_steps) {
            let stable = run.landscape.overlap(&run.window_start) >= 0.9;
            if temperature < settings.crystallisation_temperature {
                if run.disintegrated && stable {
                    run.disintegrated = false;
                    events.push((EventKind::Crystallisation, run.attractor_overlap));
                }
                if !run.disintegrated {
                    // At rest the attractor follows the state: it is "the attractor held at
                    // the last rest" that a later disintegration is measured against.
                    run.attractor.copy_from_slice(run.landscape.spins());
                    run.attractor_overlap = 1.0;
                    run.windowed_attractor_overlap = 1.0;
                }
            }
            run.window_start.copy_from_slice(run.landscape.spins());
        }
        for (kind, overlap) in events {
            self.recorder.events.push(Event {
                step,
                kind,
                temperature,
                overlap,
            });
        }
        Ok(())
    }

    fn push_event(&mut self, kind: EventKind) {
        let overlap = self
            .landscape
            .as_ref()
            .map_or(0.0, |run| run.attractor_overlap);
        self.recorder.events.push(Event {
            step: self.step,
            kind,
            temperature: self.current.smoothed_temperature,
            overlap,
        });
    }

    fn column_names(&self, quantity: &Quantity) -> Vec<String> {
        match quantity {
            Quantity::Temperature => vec!["temperature".into()],
            Quantity::SmoothedTemperature => vec!["smoothed_temperature".into()],
            Quantity::BandTemperature { band } => vec![format!("temperature.{}", band.name())],
            Quantity::Bath => vec!["bath".into()],
            Quantity::ModeEnergy => (0..self.z_re.len())
                .map(|i| format!("mode_energy[{i}]"))
                .collect(),
            Quantity::BandEnergy { band } => vec![format!("band_energy.{}", band.name())],
            Quantity::Consonance => vec!["consonance".into()],
            Quantity::Dissonance => vec!["dissonance".into()],
            Quantity::Noise => vec!["noise".into()],
            Quantity::Valence => vec!["valence".into()],
            Quantity::Integration => vec!["integration".into()],
            Quantity::RegionIntegration { region } => vec![format!("integration.{region}")],
            Quantity::Frustration => vec!["frustration".into()],
            Quantity::LandscapeEnergy => vec!["landscape_energy".into()],
            Quantity::Overlap { pattern } => vec![format!("overlap.{pattern}")],
            Quantity::SinkGain => vec!["sink_gain".into()],
        }
    }

    /// Every region and pattern a recorded quantity names must exist.
    fn check_record_names(&self) -> Result<(), EngineError> {
        for item in &self.plan.record.items {
            match &item.quantity {
                Quantity::RegionIntegration { region } if !self.region_names.contains(region) => {
                    return Err(EngineError::Mismatch(format!(
                        "recorded integration of unknown region `{region}`"
                    )));
                }
                Quantity::Overlap { pattern } => {
                    let known = self
                        .landscape
                        .as_ref()
                        .is_some_and(|run| run.pattern_names.contains(pattern));
                    if !known {
                        return Err(EngineError::Mismatch(format!(
                            "recorded overlap with unknown pattern `{pattern}`"
                        )));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn create_columns(&mut self) {
        let mut columns = Vec::new();
        for item in &self.plan.record.items {
            for name in self.column_names(&item.quantity) {
                columns.push(Column {
                    name,
                    quantity: item.quantity.clone(),
                    every_steps: item.every_steps,
                    values: Vec::new(),
                });
            }
        }
        self.recorder.columns = columns;
    }

    fn record_due(&mut self) {
        let mut column = 0;
        let mut values = Vec::new();
        for item in &self.plan.record.items {
            let width = match item.quantity {
                Quantity::ModeEnergy => self.z_re.len(),
                _ => 1,
            };
            if self.step.is_multiple_of(item.every_steps) {
                values.clear();
                self.state().values_into(&item.quantity, &mut values);
                for (offset, value) in values.iter().enumerate().take(width) {
                    self.recorder.columns[column + offset].values.push(*value);
                }
            }
            column += width;
        }
    }

    /// A read-only view of the current state.
    pub fn state(&self) -> EngineView<'_> {
        EngineView { engine: self }
    }

    /// The recorded traces and events.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// The number of completed steps.
    pub fn current_step(&self) -> u64 {
        self.step
    }

    /// The plan this engine runs.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The full dynamic state.
    pub fn snapshot(&self) -> EngineState {
        EngineState {
            plan_hash: self.plan_hash.clone(),
            step: self.step,
            z_re: self.z_re.clone(),
            z_im: self.z_im.clone(),
            noise_stream: self.noise.save(),
            mean_energy: self.mean_energy.clone(),
            bath_energy: self.bath_energy.clone(),
            windowed_bath: self.windowed_bath.clone(),
            demod_re: self.demod_re.clone(),
            demod_im: self.demod_im.clone(),
            phasor_re: self.phasor_re.clone(),
            phasor_im: self.phasor_im.clone(),
            pair_index_re: self.pair_index_re.clone(),
            pair_index_im: self.pair_index_im.clone(),
            exposure: self.exposure.clone(),
            delta_gamma: self.delta_gamma.clone(),
            detuning: self.detuning.clone(),
            cooling_clock: self.cooling_clock.clone(),
            current: self.current,
            landscape: self.landscape.as_ref().map(|run| LandscapeState {
                couplings: run.landscape.couplings().to_vec(),
                spins: spins_to_i8(run.landscape.spins()),
                local_fields: run.landscape.local_fields().to_vec(),
                field: run.field.clone(),
                attractor: spins_to_i8(&run.attractor),
                window_start: spins_to_i8(&run.window_start),
                attractor_overlap: run.attractor_overlap,
                windowed_attractor_overlap: run.windowed_attractor_overlap,
                disintegrated: run.disintegrated,
                attempt_credit: run.attempt_credit,
                rng: run.rng.save(),
            }),
            recorder: self.recorder.clone(),
        }
    }

    /// Rebuilds an engine from a snapshot of a run of the same plan on the same basis.
    pub fn restore(
        plan: &Plan,
        basis: &ModeBasis,
        state: &EngineState,
    ) -> Result<Engine, EngineError> {
        let mut engine = Engine::new(plan, basis)?;
        if state.plan_hash != engine.plan_hash {
            return Err(EngineError::Snapshot("the plan hash differs".into()));
        }
        let m = engine.z_re.len();
        let lengths_ok = [
            state.z_re.len(),
            state.z_im.len(),
            state.mean_energy.len(),
            state.bath_energy.len(),
            state.windowed_bath.len(),
            state.demod_re.len(),
            state.demod_im.len(),
            state.phasor_re.len(),
            state.phasor_im.len(),
            state.delta_gamma.len(),
        ]
        .iter()
        .all(|len| *len == m)
            && state.pair_index_re.len() == engine.pairs.len()
            && state.pair_index_im.len() == engine.pairs.len()
            && state.exposure.len() == engine.exposure.len()
            && state.detuning.len() == engine.detuning.len()
            && state.recorder.columns.len() == engine.recorder.columns.len()
            && state.landscape.is_some() == engine.landscape.is_some();
        if !lengths_ok {
            return Err(EngineError::Snapshot(
                "array sizes differ from this basis".into(),
            ));
        }
        engine.step = state.step;
        engine.z_re = state.z_re.clone();
        engine.z_im = state.z_im.clone();
        engine.noise = Stream::restore(&state.noise_stream);
        engine.mean_energy = state.mean_energy.clone();
        engine.bath_energy = state.bath_energy.clone();
        engine.windowed_bath = state.windowed_bath.clone();
        engine.demod_re = state.demod_re.clone();
        engine.demod_im = state.demod_im.clone();
        engine.phasor_re = state.phasor_re.clone();
        engine.phasor_im = state.phasor_im.clone();
        engine.pair_index_re = state.pair_index_re.clone();
        engine.pair_index_im = state.pair_index_im.clone();
        engine.exposure = state.exposure.clone();
        engine.delta_gamma = state.delta_gamma.clone();
        engine.detuning = state.detuning.clone();
        engine.cooling_clock = state.cooling_clock.clone();
        engine.current = state.current;
        engine.recorder = state.recorder.clone();
        if let (Some(run), Some(saved)) = (&mut engine.landscape, &state.landscape) {
            let n = run.landscape.len();
            if saved.spins.len() != n || saved.couplings.len() != run.landscape.stored_entries() {
                return Err(EngineError::Snapshot("landscape sizes differ".into()));
            }
            run.landscape.restore(
                &saved.couplings,
                &spins_to_f64(&saved.spins),
                &saved.local_fields,
            );
            run.field = saved.field.clone();
            run.attractor = spins_to_f64(&saved.attractor);
            run.window_start = spins_to_f64(&saved.window_start);
            run.attractor_overlap = saved.attractor_overlap;
            run.windowed_attractor_overlap = saved.windowed_attractor_overlap;
            run.disintegrated = saved.disintegrated;
            run.attempt_credit = saved.attempt_credit;
            run.rng = Stream::restore(&saved.rng);
        }
        engine.frequencies_changed();
        for i in 0..m {
            engine.energy[i] = engine.z_re[i] * engine.z_re[i] + engine.z_im[i] * engine.z_im[i];
        }
        Ok(engine)
    }
}

/// Builds the landscape: patterns, couplings J⁰ (normalised structure + priors), spins.
fn build_landscape(
    plan: &Plan,
    settings: &anneal_plan::LandscapeSettings,
    basis: &ModeBasis,
) -> Result<LandscapeRun, EngineError> {
    let graph = &basis.landscape;
    let n = graph.node_names.len();
    let csh_modes: Vec<usize> = (0..basis.modes.len())
        .filter(|&m| basis.modes[m].band == Band::Csh)
        .collect();
    let mut pattern_names = Vec::new();
    let mut patterns = Vec::new();
    for (index, spec) in settings.patterns.iter().enumerate() {
        let spins = match &spec.kind {
            PatternKind::Explicit { spins } => {
                if spins.len() != n {
                    return Err(EngineError::Mismatch(format!(
                        "pattern `{}` has {} spins for {n} landscape nodes",
                        spec.name,
                        spins.len()
                    )));
                }
                spins_to_f64(spins)
            }
            PatternKind::Random => {
                let mut rng = Stream::new(plan.seed, stream::PATTERN_BASE + index as u64);
                (0..n)
                    .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
                    .collect()
            }
            PatternKind::Csh { mode } => {
                let projection = graph.csh_projection.get(*mode).ok_or_else(|| {
                    EngineError::Mismatch(format!(
                        "pattern `{}`: CSHW {mode} of {}",
                        spec.name,
                        csh_modes.len()
                    ))
                })?;
                projection
                    .iter()
                    .map(|v| if *v < 0.0 { -1.0 } else { 1.0 })
                    .collect()
            }
        };
        pattern_names.push(spec.name.clone());
        patterns.push(spins);
    }
    let mut couplings: std::collections::BTreeMap<(usize, usize), f64> =
        std::collections::BTreeMap::new();
    let largest = landscape::largest_eigenvalue(n, &graph.couplings);
    for &(i, j, w) in &graph.couplings {
        let value = if largest > 0.0 {
            settings.structure_weight * w / largest
        } else {
            0.0
        };
        *couplings.entry((i.min(j), i.max(j))).or_insert(0.0) += value;
    }
    let dense = n <= settings.dense_prior_limit;
    for prior in &settings.priors {
        let index = pattern_names
            .iter()
            .position(|p| *p == prior.pattern)
            .expect("validated prior pattern");
        let xi = &patterns[index];
        let scale = prior.strength / n as f64;
        if dense {
            for i in 0..n {
                for j in i + 1..n {
                    *couplings.entry((i, j)).or_insert(0.0) += scale * xi[i] * xi[j];
                }
            }
        } else {
            for &(i, j, _) in &graph.couplings {
                *couplings.entry((i.min(j), i.max(j))).or_insert(0.0) += scale * xi[i] * xi[j];
            }
        }
    }
    let list: Vec<(usize, usize, f64)> =
        couplings.into_iter().map(|((i, j), w)| (i, j, w)).collect();
    let mut landscape = Landscape::from_couplings(n, &list);
    let spins: Vec<f64> = match &settings.initial {
        SpinInit::AllUp => vec![1.0; n],
        SpinInit::Random => {
            let mut rng = Stream::new(plan.seed, stream::INITIAL_SPINS);
            (0..n)
                .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
                .collect()
        }
        SpinInit::Settled => {
            // Simulated annealing from disorder down to the resting landscape temperature,
            // then descent: the run starts in a deep attractor of the resting landscape, as a
            // brain at rest does, rather than in an arbitrary state whose domains coarsen
            // (and would be reported as disintegrations) during the first minutes.
            let mut rng = Stream::new(plan.seed, stream::INITIAL_SPINS);
            let start: Vec<f64> = (0..n)
                .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
                .collect();
            landscape.set_spins(&start);
            let no_field = vec![0.0; n];
            // Down to the resting search temperature: τ_L at T = 1, or the fixed one. A
            // geometric schedule cannot reach 0, so a zero-temperature search settles to a
            // hundredth of the start; the descent below finishes at zero.
            let rest = settings
                .fixed_temperature
                .unwrap_or(settings.temperature_ratio);
            let rest = if rest > 0.0 {
                rest
            } else {
                SETTLE_FROM_TEMPERATURE / 100.0
            };
            let hot = SETTLE_FROM_TEMPERATURE;
            for stage in 0..SETTLE_STAGES {
                let fraction = stage as f64 / (SETTLE_STAGES - 1) as f64;
                let temperature = hot * (rest / hot).powf(fraction);
                landscape.metropolis(
                    SETTLE_SWEEPS_PER_STAGE * n as u64,
                    temperature,
                    &no_field,
                    &mut rng,
                );
            }
            landscape.descend(&no_field);
            landscape.spins().to_vec()
        }
        SpinInit::Pattern { name } => {
            let index = pattern_names
                .iter()
                .position(|p| p == name)
                .expect("validated initial pattern");
            patterns[index].clone()
        }
    };
    landscape.set_spins(&spins);
    let projections = graph.csh_projection.clone();
    Ok(LandscapeRun {
        landscape,
        pattern_names,
        patterns,
        csh_modes,
        projections,
        field: vec![0.0; n],
        attractor: spins.clone(),
        window_start: spins,
        attractor_overlap: 1.0,
        windowed_attractor_overlap: 1.0,
        disintegrated: false,
        attempt_credit: 0.0,
        rng: Stream::new(plan.seed, stream::LANDSCAPE),
    })
}

/// Read-only view of an engine between steps.
pub struct EngineView<'a> {
    engine: &'a Engine,
}

impl<'a> EngineView<'a> {
    pub fn step(&self) -> u64 {
        self.engine.step
    }

    /// Simulated time (s).
    pub fn time(&self) -> f64 {
        self.engine.step as f64 * self.engine.dt
    }

    /// Scalars of the last step (bath, sink gain, T, per-band T, P).
    pub fn current(&self) -> Current {
        self.engine.current
    }

    /// E_m = |z_m|² now.
    pub fn mode_energy(&self) -> Vec<f64> {
        self.engine
            .z_re
            .iter()
            .zip(&self.engine.z_im)
            .map(|(x, y)| x * x + y * y)
            .collect()
    }

    /// ⟨E_m⟩ over the metrics window.
    pub fn mean_mode_energy(&self) -> &'a [f64] {
        &self.engine.mean_energy
    }

    /// Θ̄_m: per mode, the windowed energy the bath alone would give it (the bath through the
    /// mode's relaxation and the metrics window), against which the neutral field measures
    /// injected energy.
    pub fn windowed_bath(&self) -> &'a [f64] {
        &self.engine.windowed_bath
    }

    /// Complex amplitudes (re, im).
    pub fn amplitudes(&self) -> (&'a [f64], &'a [f64]) {
        (&self.engine.z_re, &self.engine.z_im)
    }

    pub fn temperature(&self) -> f64 {
        self.engine.current.temperature
    }

    pub fn band_temperature(&self, band: Band) -> f64 {
        self.engine.current.band_temperature[band.index()]
    }

    pub fn bath(&self) -> f64 {
        self.engine.current.bath
    }

    /// Current angular frequencies (with detuning).
    pub fn angular_frequencies(&self) -> &'a [f64] {
        &self.engine.omega
    }

    /// Current damping rates γ_m.
    pub fn damping(&self) -> &'a [f64] {
        &self.engine.gamma
    }

    pub fn delta_gamma(&self) -> &'a [f64] {
        &self.engine.delta_gamma
    }

    pub fn detuning(&self) -> &'a [f64] {
        &self.engine.detuning
    }

    /// The locking pairs with their current ratios.
    pub fn pairs(&self) -> &'a [LockPair] {
        &self.engine.pairs
    }

    /// Locking index |⟨e^{iψ}⟩| of each pair.
    pub fn locking_indices(&self) -> Vec<f64> {
        self.engine
            .pair_index_re
            .iter()
            .zip(&self.engine.pair_index_im)
            .map(|(a, b)| a.hypot(*b))
            .collect()
    }

    pub fn integration(&self) -> f64 {
        locking::integration(
            &self.engine.pairs,
            &self.engine.pair_index_re,
            &self.engine.pair_index_im,
            &self.engine.mean_energy,
            None,
        )
    }

    pub fn region_integration(&self, region: usize) -> f64 {
        locking::integration(
            &self.engine.pairs,
            &self.engine.pair_index_re,
            &self.engine.pair_index_im,
            &self.engine.mean_energy,
            Some(region),
        )
    }

    fn consonance_dissonance(&self) -> (f64, f64) {
        let engine = self.engine;
        let mut cache = engine.kernels.borrow_mut();
        let kernels = cache.get_or_insert_with(|| {
            let audible: Vec<f64> = engine
                .omega
                .iter()
                .map(|w| w / std::f64::consts::TAU * engine.audible_scale)
                .collect();
            SpectrumKernels::new(&audible)
        });
        let amplitudes: Vec<f64> = engine.mean_energy.iter().map(|e| e.sqrt()).collect();
        kernels.consonance_dissonance(&amplitudes)
    }

    pub fn consonance(&self) -> f64 {
        self.consonance_dissonance().0
    }

    pub fn dissonance(&self) -> f64 {
        self.consonance_dissonance().1
    }

    pub fn noise(&self) -> f64 {
        metrics::noise(
            &self.engine.mean_energy,
            &self.engine.demod_re,
            &self.engine.demod_im,
        )
    }

    /// The Symmetry-Theory-of-Valence proxy V = (C − D)/(C + D) (1 − N).
    pub fn valence(&self) -> f64 {
        let (c, d) = self.consonance_dissonance();
        metrics::valence(c, d, self.noise())
    }

    /// Landscape frustration (0 without a landscape).
    pub fn frustration(&self) -> f64 {
        self.engine
            .landscape
            .as_ref()
            .map_or(0.0, |run| run.landscape.frustration())
    }

    /// Landscape energy per node H/n (0 without a landscape).
    pub fn landscape_energy(&self) -> f64 {
        self.engine
            .landscape
            .as_ref()
            .map_or(0.0, |run| run.landscape.energy_per_node(&run.field))
    }

    /// Overlap with a named pattern.
    pub fn overlap(&self, pattern: &str) -> Option<f64> {
        let run = self.engine.landscape.as_ref()?;
        let index = run.pattern_names.iter().position(|p| p == pattern)?;
        Some(run.landscape.overlap(&run.patterns[index]))
    }

    /// Overlap with the attractor held at the last rest.
    pub fn attractor_overlap(&self) -> Option<f64> {
        self.engine
            .landscape
            .as_ref()
            .map(|run| run.attractor_overlap)
    }

    /// The external field on the landscape nodes (content patterns and the neutral field) as
    /// last refreshed.
    pub fn landscape_field(&self) -> Option<&'a [f64]> {
        self.engine
            .landscape
            .as_ref()
            .map(|run| run.field.as_slice())
    }

    /// The spins (±1).
    pub fn spins(&self) -> Option<&'a [f64]> {
        self.engine
            .landscape
            .as_ref()
            .map(|run| run.landscape.spins())
    }

    /// The couplings J on the stored entries and their mean change from J⁰.
    pub fn coupling_change(&self) -> Option<f64> {
        self.engine
            .landscape
            .as_ref()
            .map(|run| run.landscape.mean_coupling_change())
    }

    pub fn events(&self) -> &'a [Event] {
        &self.engine.recorder.events
    }

    /// The values of a recordable quantity now (one per column).
    pub fn values_into(&self, quantity: &Quantity, out: &mut Vec<f64>) {
        let current = &self.engine.current;
        match quantity {
            Quantity::Temperature => out.push(current.temperature),
            Quantity::SmoothedTemperature => out.push(current.smoothed_temperature),
            Quantity::BandTemperature { band } => out.push(current.band_temperature[band.index()]),
            Quantity::Bath => out.push(current.bath),
            Quantity::ModeEnergy => out.extend(self.mode_energy()),
            Quantity::BandEnergy { band } => out.push(current.band_energy[band.index()]),
            Quantity::Consonance => out.push(self.consonance()),
            Quantity::Dissonance => out.push(self.dissonance()),
            Quantity::Noise => out.push(self.noise()),
            Quantity::Valence => out.push(self.valence()),
            Quantity::Integration => out.push(self.integration()),
            Quantity::RegionIntegration { region } => {
                let index = self.engine.region_names.iter().position(|r| r == region);
                out.push(index.map_or(0.0, |r| self.region_integration(r)));
            }
            Quantity::Frustration => out.push(self.frustration()),
            Quantity::LandscapeEnergy => out.push(self.landscape_energy()),
            Quantity::Overlap { pattern } => out.push(self.overlap(pattern).unwrap_or(0.0)),
            Quantity::SinkGain => out.push(current.sink_gain),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_spread_is_the_measured_spread_of_a_windowed_energy_at_equilibrium() {
        // One mode in its stationary law, advanced by the exact damped step with the bath's
        // noise (the rotation e^{iω dt} does not change |z|²), and its energy averaged with the
        // engine's moving average: the relative standard deviation of that average matches
        // the formula; ignoring the energy's autocorrelation would be about six times too small.
        let (gamma, dt, theta, window) = (0.75f64, 0.05f64, 1.3f64, 200u64);
        let beta = smoothing(window);
        let rho = (-gamma * dt).exp();
        let noise = (0.5 * theta * (1.0 - rho * rho)).sqrt();
        let mut rng = Stream::new(5, 0);
        let (a, b) = rng.normal_pair();
        let (mut x, mut y) = ((0.5 * theta).sqrt() * a, (0.5 * theta).sqrt() * b);
        let mut average = theta;
        let (mut sum, mut sum_sq, mut count) = (0.0, 0.0, 0.0);
        for step in 0..2_000_000u64 {
            let (a, b) = rng.normal_pair();
            x = rho * x + noise * a;
            y = rho * y + noise * b;
            average += beta * (x * x + y * y - average);
            if step > 10 * window {
                sum += average;
                sum_sq += average * average;
                count += 1.0;
            }
        }
        let mean = sum / count;
        let measured = (sum_sq / count - mean * mean).sqrt() / mean;
        let predicted = window_spread(beta, gamma, dt);
        assert!((mean / theta - 1.0).abs() < 0.02, "mean {mean}");
        assert!(
            (measured / predicted - 1.0).abs() < 0.1,
            "measured {measured}, predicted {predicted}"
        );
        let uncorrelated = (beta / (2.0 - beta)).sqrt();
        assert!(measured > 3.0 * uncorrelated);
    }

    /// The response of the two filters of `follow_bath` (relaxation by r = ρ² per step, then
    /// the moving average with factor β, c = 1 − β) to a step of the bath from `from` to `to`
    /// after `k` steps at the new bath: the relaxed energy is to + (from − to) r^k, and the
    /// window solves u_k = c u_{k−1} + β r^k, u_0 = 1, so u_k = c^k + β r (r^k − c^k)/(r − c).
    fn step_response(from: f64, to: f64, r: f64, beta: f64, k: i32) -> (f64, f64) {
        let c = 1.0 - beta;
        let relaxed = to + (from - to) * r.powi(k);
        let windowed = c.powi(k) + beta * r * (r.powi(k) - c.powi(k)) / (r - c);
        (relaxed, to + (from - to) * windowed)
    }

    #[test]
    fn the_bath_reference_follows_the_analytic_response_of_its_two_filters_to_a_step() {
        let (gamma, dt, window) = (0.4f64, 0.05f64, 200u64);
        let beta = smoothing(window);
        let r = (-2.0 * gamma * dt).exp();
        let (mut relaxed, mut windowed) = (4.0, 4.0);
        for k in 1..=3_000 {
            follow_bath(&mut relaxed, &mut windowed, 1.0, r, beta);
            let (want_relaxed, want_windowed) = step_response(4.0, 1.0, r, beta, k);
            assert!((relaxed - want_relaxed).abs() < 1e-12, "step {k}");
            assert!(
                (windowed - want_windowed).abs() < 1e-12,
                "step {k}: {windowed} against {want_windowed}"
            );
        }
        // At a constant bath nothing moves, to the bit.
        let (mut relaxed, mut windowed) = (1.3, 1.3);
        for _ in 0..1_000 {
            follow_bath(&mut relaxed, &mut windowed, 1.3, r, beta);
        }
        assert_eq!((relaxed, windowed), (1.3, 1.3));
    }

    #[test]
    fn the_engine_carries_the_bath_reference_through_a_drop_of_the_bath() {
        // One CSHW, the bath dropped from 4 to 1 between steps 1000 and 1001: the engine's Θ̄
        // is the analytic step response from the first step at the new bath, and it lags
        // the bath as the windowed energy does.
        let basis = ModeBasis {
            modes: vec![ModeSpec {
                band: Band::Csh,
                region: None,
                frequency_hz: 1.0,
            }],
            region_names: vec!["all".into()],
            region_mass: vec![vec![1.0]],
            landscape: LandscapeGraph {
                node_names: vec!["all".into()],
                couplings: Vec::new(),
                csh_projection: vec![vec![1.0]],
            },
        };
        let points = [(0, 4.0), (1_000, 4.0), (1_001, 1.0)]
            .into_iter()
            .map(|(step, value)| anneal_plan::TablePoint { step, value })
            .collect();
        let mut plan = Plan {
            seed: 3,
            dt: 0.05,
            n_steps: 4_000,
            ..Plan::default()
        };
        plan.field.gamma0 = 0.4;
        plan.metrics.window_steps = 200;
        plan.cooling = anneal_plan::CoolingCurve {
            shape: anneal_plan::CoolingShape::Table { points },
            from: 4.0,
            to: 1.0,
            start_step: 0,
            scale_steps: 1,
            reheat: None,
        };
        let mut engine = Engine::new(&plan, &basis).expect("engine");
        engine.step(1_001).expect("run");
        assert_eq!(engine.state().windowed_bath(), &[4.0]);
        let gamma = engine.state().damping()[0];
        let r = (-2.0 * gamma * plan.dt).exp();
        let beta = smoothing(plan.metrics.window_steps);
        for k in [1, 10, 100, 1_000, 2_999] {
            let mut probe = Engine::restore(&plan, &basis, &engine.snapshot()).expect("restore");
            probe.step(k as u64).expect("run");
            let (_, want) = step_response(4.0, 1.0, r, beta, k);
            let got = probe.state().windowed_bath()[0];
            assert!(
                (got - want).abs() < 1e-9,
                "after {k} steps: {got} against {want}"
            );
        }
    }
}
