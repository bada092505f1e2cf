//! The settings of each block (`experiment`, `harmonics`, `sinks`, `landscape`, `record`).

use super::*;

/// A setting of a block statement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SettingInfo {
    pub block: &'static str,
    pub name: &'static str,
    pub ty: Ty,
    pub default: Default,
    /// The word allowed after `per` (`per region`), or `"time"` for `per s`/`per min` (divides).
    pub per: Option<&'static str>,
    pub doc: &'static str,
}

const fn setting(
    block: &'static str,
    name: &'static str,
    ty: Ty,
    default: Default,
    doc: &'static str,
) -> SettingInfo {
    SettingInfo {
        block,
        name,
        ty,
        default,
        per: None,
        doc,
    }
}

pub static SETTINGS: &[SettingInfo] = &[
    setting(
        "experiment",
        "seed",
        Ty::Count,
        Default::Required,
        "seed of every random stream",
    ),
    setting("experiment", "dt", TIME, Default::Required, "time step"),
    setting(
        "experiment",
        "duration",
        TIME,
        Default::Required,
        "simulated time",
    ),
    setting(
        "experiment",
        "record_from",
        TIME,
        Default::Number(0.0),
        "time recording starts",
    ),
    setting(
        "harmonics",
        "laplacian",
        Ty::Keyword(&["normalized", "combinatorial"]),
        Default::Keyword("normalized"),
        "Laplacian kind",
    ),
    setting(
        "harmonics",
        "modes",
        Ty::Count,
        Default::Number(100.0),
        "number of CSHWs",
    ),
    SettingInfo {
        block: "harmonics",
        name: "regional",
        ty: Ty::Count,
        default: Default::Number(0.0),
        per: Some("region"),
        doc: "RSHWs per region: `regional 6 per region`",
    },
    setting(
        "harmonics",
        "sensory",
        Ty::Count,
        Default::Number(0.0),
        "number of SSHWs (needs a sensorium)",
    ),
    setting(
        "harmonics",
        "fundamental",
        FREQ,
        Default::Number(1.0),
        "frequency f_1 of the lowest CSHW",
    ),
    setting(
        "sinks",
        "gain",
        PLAIN,
        Default::Number(1.0),
        "sink gain g_sink",
    ),
    setting(
        "sinks",
        "affinity",
        Ty::Bands,
        Default::Bands(0.25, 1.0, 0.1),
        "sink affinity per band",
    ),
    setting(
        "sinks",
        "schedule",
        Ty::Curve,
        Default::Optional,
        "sink schedule σ(t) (default constant 1)",
    ),
    setting(
        "landscape",
        "scale",
        PLAIN,
        Default::Number(0.5),
        "landscape temperature = scale · T(t)",
    ),
    setting(
        "landscape",
        "temperature",
        PLAIN,
        Default::Optional,
        "a fixed landscape temperature instead of scale",
    ),
    setting(
        "landscape",
        "neutral",
        PLAIN,
        Default::Number(1.0),
        "gain of the neutral field from CSHW energy beyond the bath; 0 switches it off",
    ),
    setting(
        "landscape",
        "couplings",
        Ty::Keyword(&["structural", "uniform"]),
        Default::Keyword("structural"),
        "coupling structure",
    ),
    SettingInfo {
        block: "landscape",
        name: "sweeps",
        ty: FREQ,
        default: Default::Number(1.0),
        per: Some("time"),
        doc: "Metropolis sweeps per second: `sweeps 2 per s`",
    },
    setting(
        "landscape",
        "plasticity",
        Ty::Plasticity,
        Default::Optional,
        "{rate, decay, threshold}: Hebbian rate and decay (1/s), saturation temperature",
    ),
];

pub fn settings_of(block: &str) -> impl Iterator<Item = &'static SettingInfo> {
    SETTINGS.iter().filter(move |s| s.block == block)
}

/// Names a scenario can `vary` besides top-level `let`s.
pub const VARY_TARGETS: &[&str] = &["seed", "dt", "duration", "cooling"];
