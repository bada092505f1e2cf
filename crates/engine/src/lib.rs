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
mod construct;
mod continuation;
pub mod field;
pub mod landscape;
mod landscape_step;
pub mod locking;
pub mod metrics;
pub mod random;
pub mod record;
mod recording;
pub mod schedule;
mod snapshot;
mod step;
#[allow(unsafe_code)]
mod trig;
mod view;

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use basis::{BasisError, LandscapeGraph, LandscapeLevel, ModeBasis, ModeSpec};
pub use continuation::{Continuation, RestartReason};
pub use record::{Column, Event, EventKind, Recorder};
pub use view::EngineView;

use anneal_plan::{
    Action, Band, Envelope, FieldInit, PatternKind, Plan, PlanError, Quantity, SpinInit,
};
use field::StepCoefficients;
use landscape::Landscape;
use locking::{LockPair, MetronomeLink, PairCoupling};
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
    /// The pairs laid out for the coupling loop with the table of phasor powers it reads;
    /// rebuilt when a pair's p/q changes.
    coupling: PairCoupling,
    energy: Vec<f64>,
    /// Consonance and dissonance kernels, built at the first read of a metric that needs them
    /// and brought up to date with the frequencies at each later read (only when recorded).
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
