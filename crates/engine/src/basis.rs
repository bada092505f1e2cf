//! The engine's input from the harmonics layer: which modes exist, how they sit on regions,
//! and the graph the landscape lives on. The engine never sees eigenvectors themselves; the
//! constructor [`ModeBasis::from_dense`] reduces them to what the dynamics needs.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use anneal_plan::{Band, BasisShape};

/// One mode of the basis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeSpec {
    pub band: Band,
    /// The region an RSHW belongs to; `None` for CSHWs and SSHWs.
    pub region: Option<usize>,
    /// Temporal frequency f_m (Hz).
    pub frequency_hz: f64,
}

/// Where the landscape's spins live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LandscapeLevel {
    /// One spin per region (nodes without a region are left out).
    Regions,
    /// One spin per connectome node.
    Nodes,
}

/// The landscape graph: nodes, structural couplings and the CSHW projections that make the
/// neutral field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandscapeGraph {
    pub node_names: Vec<String>,
    /// Structural couplings (i < j, weight > 0), unnormalised; the engine normalises them.
    pub couplings: Vec<(usize, usize, f64)>,
    /// For each CSHW (in basis order), its projection on each landscape node: the mean of
    /// sign(ψ_k) over the node's members, in [−1, 1].
    pub csh_projection: Vec<Vec<f64>>,
}

/// Everything the engine needs to know about the harmonics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeBasis {
    pub modes: Vec<ModeSpec>,
    pub region_names: Vec<String>,
    /// For each mode and region, the mass Σ_{i∈V_r} ψ_m(i)² of the mode in the region.
    /// For an RSHW of region r this is 1 at r. The locking overlap o_jk of RSHW j (region r)
    /// and CSHW k is `region_mass[k][r]`.
    pub region_mass: Vec<Vec<f64>>,
    pub landscape: LandscapeGraph,
}

/// A basis that cannot be used.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BasisError {
    #[error("mode {mode}: {reason}")]
    Mode { mode: usize, reason: String },
    #[error("{0}")]
    Shape(String),
}

impl ModeBasis {
    /// The sizes the plan's memory estimate needs.
    pub fn shape(&self) -> BasisShape {
        let count = |band: Band| self.modes.iter().filter(|mode| mode.band == band).count() as u64;
        BasisShape {
            modes: self.modes.len() as u64,
            csh_modes: count(Band::Csh),
            rsh_modes: count(Band::Rsh),
            regions: self.region_names.len() as u64,
            landscape_nodes: self.landscape.node_names.len() as u64,
            landscape_edges: self.landscape.couplings.len() as u64,
        }
    }

    /// Builds a basis from dense eigenvectors (one `Vec` of length n per mode), the mode
    /// descriptions, a region id per node, the region names and the connectome's weighted
    /// edges `(i, j, w)` (each undirected edge once or twice; duplicates add up).
    pub fn from_dense(
        vectors: &[Vec<f64>],
        modes: Vec<ModeSpec>,
        node_region: &[Option<usize>],
        region_names: Vec<String>,
        edges: &[(usize, usize, f64)],
        level: LandscapeLevel,
    ) -> Result<ModeBasis, BasisError> {
        let n = node_region.len();
        if vectors.len() != modes.len() {
            return Err(BasisError::Shape(format!(
                "{} vectors for {} modes",
                vectors.len(),
                modes.len()
            )));
        }
        let n_regions = region_names.len();
        for (node, region) in node_region.iter().enumerate() {
            if let Some(r) = region
                && *r >= n_regions
            {
                return Err(BasisError::Shape(format!(
                    "node {node} has region {r} of {n_regions}"
                )));
            }
        }
        let mut region_mass = Vec::with_capacity(modes.len());
        for (m, vector) in vectors.iter().enumerate() {
            if vector.len() != n {
                return Err(BasisError::Mode {
                    mode: m,
                    reason: format!("vector length {} ≠ {n} nodes", vector.len()),
                });
            }
            let mut mass = vec![0.0; n_regions];
            for (value, region) in vector.iter().zip(node_region) {
                if !value.is_finite() {
                    return Err(BasisError::Mode {
                        mode: m,
                        reason: "non-finite entry".into(),
                    });
                }
                if let Some(r) = region {
                    mass[*r] += value * value;
                }
            }
            region_mass.push(mass);
        }
        // Landscape nodes and the map from connectome node to landscape node.
        let (node_names, member_of): (Vec<String>, Vec<Option<usize>>) = match level {
            LandscapeLevel::Regions => (region_names.clone(), node_region.to_vec()),
            LandscapeLevel::Nodes => (
                (0..n).map(|i| format!("node{i}")).collect(),
                (0..n).map(Some).collect(),
            ),
        };
        let n_land = node_names.len();
        let mut summed: std::collections::BTreeMap<(usize, usize), f64> =
            std::collections::BTreeMap::new();
        for &(i, j, w) in edges {
            if i >= n || j >= n {
                return Err(BasisError::Shape(format!(
                    "edge ({i}, {j}) outside {n} nodes"
                )));
            }
            if !w.is_finite() || w < 0.0 {
                return Err(BasisError::Shape(format!("edge ({i}, {j}) has weight {w}")));
            }
            if let (Some(a), Some(b)) = (member_of[i], member_of[j])
                && a != b
                && w > 0.0
            {
                *summed.entry((a.min(b), a.max(b))).or_insert(0.0) += w;
            }
        }
        let couplings = summed.into_iter().map(|((a, b), w)| (a, b, w)).collect();
        let mut members = vec![0usize; n_land];
        for node in member_of.iter().flatten() {
            members[*node] += 1;
        }
        let mut csh_projection = Vec::new();
        for (mode, vector) in modes.iter().zip(vectors) {
            if mode.band != Band::Csh {
                continue;
            }
            let mut projection = vec![0.0; n_land];
            for (value, node) in vector.iter().zip(&member_of) {
                if let Some(a) = node {
                    // sign(0) = 0: a node on a nodal line carries no sign.
                    let sign = if *value > 0.0 {
                        1.0
                    } else if *value < 0.0 {
                        -1.0
                    } else {
                        0.0
                    };
                    projection[*a] += sign;
                }
            }
            for (value, count) in projection.iter_mut().zip(&members) {
                if *count > 0 {
                    *value /= *count as f64;
                }
            }
            csh_projection.push(projection);
        }
        let basis = ModeBasis {
            modes,
            region_names,
            region_mass,
            landscape: LandscapeGraph {
                node_names,
                couplings,
                csh_projection,
            },
        };
        basis.validate()?;
        Ok(basis)
    }

    /// Checks the basis's internal consistency.
    pub fn validate(&self) -> Result<(), BasisError> {
        if self.modes.is_empty() {
            return Err(BasisError::Shape("the basis has no modes".into()));
        }
        if self.region_mass.len() != self.modes.len() {
            return Err(BasisError::Shape(
                "region_mass needs one row per mode".into(),
            ));
        }
        let n_regions = self.region_names.len();
        for (m, mode) in self.modes.iter().enumerate() {
            if !mode.frequency_hz.is_finite() || mode.frequency_hz <= 0.0 {
                return Err(BasisError::Mode {
                    mode: m,
                    reason: format!("frequency {} Hz is not > 0", mode.frequency_hz),
                });
            }
            match (mode.band, mode.region) {
                (Band::Rsh, None) => {
                    return Err(BasisError::Mode {
                        mode: m,
                        reason: "an RSHW needs a region".into(),
                    });
                }
                (Band::Rsh, Some(r)) if r >= n_regions => {
                    return Err(BasisError::Mode {
                        mode: m,
                        reason: format!("region {r} of {n_regions}"),
                    });
                }
                _ => {}
            }
            let row = &self.region_mass[m];
            if row.len() != n_regions || row.iter().any(|v| !v.is_finite() || *v < 0.0) {
                return Err(BasisError::Mode {
                    mode: m,
                    reason: "region masses must be finite, ≥ 0, one per region".into(),
                });
            }
        }
        let n_csh = self.modes.iter().filter(|m| m.band == Band::Csh).count();
        let n_land = self.landscape.node_names.len();
        if self.landscape.csh_projection.len() != n_csh {
            return Err(BasisError::Shape(format!(
                "{} CSHW projections for {n_csh} CSHWs",
                self.landscape.csh_projection.len()
            )));
        }
        if self
            .landscape
            .csh_projection
            .iter()
            .any(|p| p.len() != n_land || p.iter().any(|v| !v.is_finite()))
        {
            return Err(BasisError::Shape(
                "each CSHW projection needs one finite value per landscape node".into(),
            ));
        }
        for &(i, j, w) in &self.landscape.couplings {
            if i >= n_land || j >= n_land || i == j || !w.is_finite() || w < 0.0 {
                return Err(BasisError::Shape(format!(
                    "landscape coupling ({i}, {j}, {w}) is invalid"
                )));
            }
        }
        Ok(())
    }

    /// Index of a region by name.
    pub fn region_index(&self, name: &str) -> Option<usize> {
        self.region_names.iter().position(|r| r == name)
    }

    /// The lowest CSHW frequency (the fundamental), or the lowest frequency if no CSHW exists.
    pub fn fundamental_hz(&self) -> f64 {
        let csh = self
            .modes
            .iter()
            .filter(|m| m.band == Band::Csh)
            .map(|m| m.frequency_hz)
            .fold(f64::INFINITY, f64::min);
        if csh.is_finite() {
            csh
        } else {
            self.modes
                .iter()
                .map(|m| m.frequency_hz)
                .fold(f64::INFINITY, f64::min)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_mass_and_projection_come_from_the_vectors() {
        // Path of 4 nodes, regions {0,1} and {2,3}; one CSHW and one RSHW.
        let s = 0.5;
        let vectors = vec![vec![s, s, -s, -s], vec![0.0, 0.0, 0.6, 0.8]];
        let modes = vec![
            ModeSpec {
                band: Band::Csh,
                region: None,
                frequency_hz: 1.0,
            },
            ModeSpec {
                band: Band::Rsh,
                region: Some(1),
                frequency_hz: 3.0,
            },
        ];
        let regions = [Some(0), Some(0), Some(1), Some(1)];
        let edges = [(0, 1, 1.0), (1, 2, 2.0), (2, 3, 1.0)];
        let basis = ModeBasis::from_dense(
            &vectors,
            modes,
            &regions,
            vec!["a".into(), "b".into()],
            &edges,
            LandscapeLevel::Regions,
        )
        .expect("valid basis");
        assert_eq!(basis.region_mass[0], vec![0.5, 0.5]);
        assert!((basis.region_mass[1][1] - 1.0).abs() < 1e-15);
        assert_eq!(basis.landscape.couplings, vec![(0, 1, 2.0)]);
        assert_eq!(basis.landscape.csh_projection, vec![vec![1.0, -1.0]]);
        let nodes = ModeBasis::from_dense(
            &vectors,
            basis.modes.clone(),
            &regions,
            vec!["a".into(), "b".into()],
            &edges,
            LandscapeLevel::Nodes,
        )
        .expect("valid basis");
        assert_eq!(nodes.landscape.couplings.len(), 3);
    }

    #[test]
    fn bad_input_is_reported() {
        let modes = vec![ModeSpec {
            band: Band::Rsh,
            region: None,
            frequency_hz: 1.0,
        }];
        let result = ModeBasis::from_dense(
            &[vec![1.0]],
            modes,
            &[Some(0)],
            vec!["a".into()],
            &[],
            LandscapeLevel::Regions,
        );
        assert!(matches!(result, Err(BasisError::Mode { mode: 0, .. })));
        let modes = vec![ModeSpec {
            band: Band::Csh,
            region: None,
            frequency_hz: f64::NAN,
        }];
        let result = ModeBasis::from_dense(
            &[vec![1.0]],
            modes,
            &[Some(0)],
            vec!["a".into()],
            &[],
            LandscapeLevel::Regions,
        );
        assert!(result.is_err());
    }
}
