//! Memory estimates: what a run of a plan holds, known before it starts.

use super::*;

impl Plan {
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
