//! Sources: envelopes, the actions of their components, and the regions they reach.

use super::*;

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
