//! What a run records: quantities, items and their cadence.

use super::*;

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
