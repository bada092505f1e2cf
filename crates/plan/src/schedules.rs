//! Schedules on the step grid: sink profiles and cooling curves.

use super::*;

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
