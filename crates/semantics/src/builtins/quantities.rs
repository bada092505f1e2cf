//! The quantities a script can record and expect on, with their meaning.

use super::*;

/// A recordable quantity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantityInfo {
    pub name: &'static str,
    /// Allowed `by` groupings in `record`.
    pub groupings: &'static [Grouping],
    pub doc: &'static str,
}

pub static QUANTITIES: &[QuantityInfo] = &[
    QuantityInfo {
        name: "temperature",
        groupings: &[Grouping::Band],
        doc: "T(t), mean mode energy relative to rest; by band: T_csh, T_rsh, T_ssh",
    },
    QuantityInfo {
        name: "bath",
        groupings: &[],
        doc: "Θ(t), the cooling curve's bath temperature",
    },
    QuantityInfo {
        name: "energy",
        groupings: &[Grouping::Band, Grouping::Mode],
        doc: "total mode energy; per band or per mode",
    },
    QuantityInfo {
        name: "consonance",
        groupings: &[],
        doc: "consonance C of the energised spectrum",
    },
    QuantityInfo {
        name: "dissonance",
        groupings: &[],
        doc: "dissonance D (Sethares roughness)",
    },
    QuantityInfo {
        name: "noise",
        groupings: &[],
        doc: "noise N, the incoherent share of energy",
    },
    QuantityInfo {
        name: "valence",
        groupings: &[],
        doc: "valence proxy (C − D)/(C + D)·(1 − N), after the Symmetry Theory of Valence",
    },
    QuantityInfo {
        name: "integration",
        groupings: &[Grouping::Region],
        doc: "integration I(t), global or per region",
    },
    QuantityInfo {
        name: "frustration",
        groupings: &[],
        doc: "landscape frustration F (internal stress)",
    },
    QuantityInfo {
        name: "landscape_energy",
        groupings: &[],
        doc: "landscape energy H/n",
    },
    QuantityInfo {
        name: "overlap",
        groupings: &[],
        doc: "overlap with a declared pattern: overlap(name)",
    },
    QuantityInfo {
        name: "sink_gain",
        groupings: &[],
        doc: "effective sink gain g_sink·σ(t)",
    },
];

pub fn quantity(name: &str) -> Option<&'static QuantityInfo> {
    QUANTITIES.iter().find(|q| q.name == name)
}
