//! Settings of the field, the locking and the metrics.

use super::*;

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
