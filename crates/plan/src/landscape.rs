//! The attractor landscape: patterns, priors, initial spins and settings.

use super::*;

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
