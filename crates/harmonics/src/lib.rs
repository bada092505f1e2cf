//! Connectome harmonics (model.md §2): Laplacians, checked eigensolvers, CSHWs, RSHWs, SSHWs, the
//! frequency map and an on-disk cache.
//!
//! [`compute_harmonics`] is the entry point: it returns every mode with its band, region,
//! eigenvalue and temporal frequency, and the mode vectors as columns of an n × M matrix.

pub mod cache;
pub mod laplacian;
pub mod solver;

pub use cache::Cache;
pub use laplacian::LaplacianKind;

use anneal_connectome::Connectome;
use laplacian::{laplacian, norm_inf, principal_submatrix};
use nalgebra::DMatrix;
use solver::{LanczosOptions, SolveError, Solver, laplacian_eigenpairs, smallest_eigenpairs_with};

/// Bumped whenever a change to the solvers could change results; part of the cache key.
pub const SOLVER_VERSION: u32 = 4;

/// Which modes to compute and how to map them to frequencies.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HarmonicsSettings {
    pub laplacian: LaplacianKind,
    /// Number of connectome-specific harmonic waves (smallest eigenpairs of the whole graph).
    pub csh_modes: usize,
    /// Region-specific harmonic waves per region (Dirichlet sub-Laplacian); a region with fewer
    /// nodes contributes one per node, which [`Harmonics::notes`] records.
    pub rsh_per_region: usize,
    /// Sensorium-specific harmonic waves: the lowest modes with at least a quarter of their weight
    /// (‖ψ restricted to body nodes‖² ≥ 0.25) on body nodes.
    pub sshw: usize,
    /// f_1, the frequency of the smallest non-zero CSHW eigenvalue, in Hz.
    pub fundamental_hz: f64,
}

impl Default for HarmonicsSettings {
    fn default() -> HarmonicsSettings {
        HarmonicsSettings {
            laplacian: LaplacianKind::Normalized,
            csh_modes: 100,
            rsh_per_region: 0,
            sshw: 0,
            fundamental_hz: 1.0,
        }
    }
}

/// The band of a mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeKind {
    Csh,
    Rsh,
    Ssh,
}

impl ModeKind {
    pub fn name(self) -> &'static str {
        match self {
            ModeKind::Csh => "CSH",
            ModeKind::Rsh => "RSH",
            ModeKind::Ssh => "SSH",
        }
    }
}

/// One harmonic mode; its vector is the column of the same index in [`Harmonics::vectors`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Mode {
    pub kind: ModeKind,
    /// The region of an RSHW.
    pub region: Option<usize>,
    pub eigenvalue: f64,
    /// f_m = f_1 · sqrt(λ_m / λ_1); 0 for a zero mode (|λ| within the solver's accuracy of 0).
    pub frequency_hz: f64,
}

/// Modes in the order CSHWs (ascending λ), RSHWs (region by region, ascending λ), SSHWs.
#[derive(Debug, Clone, PartialEq)]
pub struct Harmonics {
    pub modes: Vec<Mode>,
    /// n × M, column m is mode m: unit norm, largest-magnitude entry positive.
    pub vectors: DMatrix<f64>,
    pub laplacian: LaplacianKind,
    /// λ_1, the smallest non-zero CSHW eigenvalue, which the frequency map divides by.
    pub lambda_1: f64,
    /// Facts about the computation a reader should know (clamped RSHW counts, missing body nodes).
    pub notes: Vec<String>,
}

/// Why harmonics could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HarmonicsError {
    #[error("invalid harmonics settings: {0}")]
    Settings(String),
    #[error("{band} solve failed: {source}")]
    Solve { band: String, source: SolveError },
    #[error(
        "all {count} CSHW eigenvalues are zero (the graph has {components} components), so there is no λ₁ for the frequency map; ask for more than {components} CSHW modes"
    )]
    NoNonZeroEigenvalue { count: usize, components: usize },
}

/// Computes the harmonics of `connectome`; reads and writes `cache` when given.
pub fn compute_harmonics(
    connectome: &Connectome,
    settings: &HarmonicsSettings,
    cache: Option<&Cache>,
) -> Result<Harmonics, HarmonicsError> {
    validate(connectome, settings)?;
    if let Some(cache) = cache
        && let Some(found) = cache.load(connectome, settings)
    {
        return Ok(found);
    }
    let harmonics = compute_uncached(connectome, settings)?;
    if let Some(cache) = cache {
        // A cache that cannot be written costs only time on the next run; the result stands.
        let _ignored = cache.store(connectome, settings, &harmonics);
    }
    Ok(harmonics)
}

fn validate(connectome: &Connectome, settings: &HarmonicsSettings) -> Result<(), HarmonicsError> {
    let n = connectome.n();
    if settings.csh_modes == 0 || settings.csh_modes > n {
        return Err(HarmonicsError::Settings(format!(
            "csh_modes must be between 1 and the number of nodes ({n}), got {}",
            settings.csh_modes
        )));
    }
    if settings.fundamental_hz <= 0.0 || !settings.fundamental_hz.is_finite() {
        return Err(HarmonicsError::Settings(format!(
            "the fundamental must be a positive frequency, got {} Hz",
            settings.fundamental_hz
        )));
    }
    if settings.rsh_per_region > 0 && connectome.regions().is_none() {
        return Err(HarmonicsError::Settings(
            "RSHWs need regions, and this connectome has none".into(),
        ));
    }
    Ok(())
}

fn solve_error(band: impl Into<String>) -> impl FnOnce(SolveError) -> HarmonicsError {
    let band = band.into();
    move |source| HarmonicsError::Solve { band, source }
}

fn compute_uncached(
    connectome: &Connectome,
    settings: &HarmonicsSettings,
) -> Result<Harmonics, HarmonicsError> {
    let n = connectome.n();
    let kind = settings.laplacian;
    let options = LanczosOptions::default();
    let full = laplacian(connectome.weights(), kind);
    let zero_tolerance = solver::RESIDUAL_TOLERANCE * norm_inf(&full).max(f64::MIN_POSITIVE);
    let mut notes = Vec::new();

    // SSHWs come from the same spectrum as the CSHWs, extended until enough body-heavy modes appear.
    let body = connectome.body_nodes();
    let mut k = settings.csh_modes;
    if settings.sshw > 0 && !body.is_empty() {
        k = (settings.csh_modes + 4 * settings.sshw).min(n);
    }
    let (csh, ssh_columns) = loop {
        let pairs = laplacian_eigenpairs(connectome.weights(), kind, k, Solver::Auto, &options)
            .map_err(solve_error("CSHW"))?;
        if settings.sshw == 0 || body.is_empty() {
            break (pairs, Vec::new());
        }
        let heavy: Vec<usize> = (0..k)
            .filter(|&j| {
                body.iter()
                    .map(|&i| pairs.vectors[(i, j)].powi(2))
                    .sum::<f64>()
                    >= 0.25
            })
            .take(settings.sshw)
            .collect();
        if heavy.len() == settings.sshw || k == n {
            if heavy.len() < settings.sshw {
                notes.push(format!(
                    "only {} of the {} requested SSHWs exist: no other mode has a quarter of its weight on body nodes",
                    heavy.len(),
                    settings.sshw
                ));
            }
            break (pairs, heavy);
        }
        k = (2 * k).min(n);
    };
    if settings.sshw > 0 && body.is_empty() {
        notes.push("no SSHWs: the connectome has no body nodes".into());
    }

    let lambda_1 = csh.values[..settings.csh_modes]
        .iter()
        .copied()
        .find(|&v| v > zero_tolerance)
        .ok_or(HarmonicsError::NoNonZeroEigenvalue {
            count: settings.csh_modes,
            components: connectome.components().len(),
        })?;
    let frequency = |lambda: f64| {
        if lambda.abs() <= zero_tolerance {
            0.0
        } else {
            settings.fundamental_hz * (lambda / lambda_1).sqrt()
        }
    };

    let mut modes = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for j in 0..settings.csh_modes {
        modes.push(Mode {
            kind: ModeKind::Csh,
            region: None,
            eigenvalue: csh.values[j],
            frequency_hz: frequency(csh.values[j]),
        });
        columns.push(csh.vectors.col(j).iter().copied().collect());
    }

    if settings.rsh_per_region > 0
        && let Some(regions) = connectome.regions()
    {
        for (r, name) in regions.names.iter().enumerate() {
            let nodes = regions.nodes_of(r);
            if nodes.is_empty() {
                notes.push(format!("region {name} has no nodes, so no RSHWs"));
                continue;
            }
            let kr = settings.rsh_per_region.min(nodes.len());
            if kr < settings.rsh_per_region {
                notes.push(format!(
                    "region {name} has {} nodes, so {kr} RSHWs instead of {}",
                    nodes.len(),
                    settings.rsh_per_region
                ));
            }
            let sub = principal_submatrix(&full, &nodes);
            let pairs = smallest_eigenpairs_with(&sub, kr, Solver::Auto, &options, None)
                .map_err(solve_error(format!("RSHW (region {name})")))?;
            for j in 0..kr {
                let lambda = pairs.values[j];
                if lambda <= zero_tolerance {
                    notes.push(format!("region {name} has a zero Dirichlet mode: it is a whole component of the graph"));
                }
                modes.push(Mode {
                    kind: ModeKind::Rsh,
                    region: Some(r),
                    eigenvalue: lambda,
                    frequency_hz: frequency(lambda.max(0.0)),
                });
                let mut column = vec![0.0; n];
                for (local, &node) in nodes.iter().enumerate() {
                    column[node] = pairs.vectors[(local, j)];
                }
                columns.push(column);
            }
        }
    }

    for &j in &ssh_columns {
        modes.push(Mode {
            kind: ModeKind::Ssh,
            region: None,
            eigenvalue: csh.values[j],
            frequency_hz: frequency(csh.values[j]),
        });
        columns.push(csh.vectors.col(j).iter().copied().collect());
    }

    let vectors = DMatrix::from_fn(n, columns.len(), |i, j| columns[j][i]);
    Ok(Harmonics {
        modes,
        vectors,
        laplacian: kind,
        lambda_1,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anneal_connectome::generators::{BodyNode, attach_sensorium, modular, ring};

    #[test]
    fn frequency_map_follows_square_root_of_eigenvalue() {
        let c = ring(60).unwrap();
        let settings = HarmonicsSettings {
            laplacian: LaplacianKind::Combinatorial,
            csh_modes: 7,
            fundamental_hz: 2.0,
            ..Default::default()
        };
        let h = compute_harmonics(&c, &settings, None).unwrap();
        assert_eq!(h.modes[0].frequency_hz, 0.0);
        let l1 = 2.0 - 2.0 * (2.0 * std::f64::consts::PI / 60.0).cos();
        assert!((h.lambda_1 - l1).abs() < 1e-12);
        for m in &h.modes[1..] {
            assert!((m.frequency_hz - 2.0 * (m.eigenvalue / l1).sqrt()).abs() < 1e-12);
        }
        // The ring's second spatial harmonic, λ = 4sin²(2π/60), sits at f_1·sin(2π/60)/sin(π/60) = f_1·2cos(π/60).
        assert!(
            (h.modes[3].frequency_hz - 2.0 * 2.0 * (std::f64::consts::PI / 60.0).cos()).abs()
                < 1e-9
        );
    }

    #[test]
    fn rshws_vanish_outside_their_region_and_interlace() {
        let c = modular(&[("a", 30), ("b", 40)], 0.4, 0.05, 9).unwrap();
        let settings = HarmonicsSettings {
            csh_modes: 5,
            rsh_per_region: 3,
            ..Default::default()
        };
        let h = compute_harmonics(&c, &settings, None).unwrap();
        let regions = c.regions().unwrap();
        let rsh: Vec<usize> = (0..h.modes.len())
            .filter(|&m| h.modes[m].kind == ModeKind::Rsh)
            .collect();
        assert_eq!(rsh.len(), 6);
        for &m in &rsh {
            let r = h.modes[m].region.unwrap();
            for i in 0..c.n() {
                if regions.of_node[i] != Some(r) {
                    assert_eq!(h.vectors[(i, m)], 0.0);
                }
            }
        }
        // Cauchy interlacing: the j-th Dirichlet eigenvalue of a region is at least the j-th of the graph.
        for (j, &m) in rsh[..3].iter().enumerate() {
            assert!(h.modes[m].eigenvalue >= h.modes[j].eigenvalue - 1e-12);
        }
    }

    #[test]
    fn sshws_carry_weight_on_body_nodes() {
        let brain = ring(40).unwrap();
        let body: Vec<BodyNode> = (0..3)
            .map(|b| BodyNode {
                label: format!("b{b}"),
                attached_to: vec![b * 13],
                weight: 0.05,
                nerve_length_mm: 500.0,
            })
            .collect();
        let c = attach_sensorium(&brain, &body).unwrap();
        let settings = HarmonicsSettings {
            laplacian: LaplacianKind::Combinatorial,
            csh_modes: 4,
            sshw: 2,
            ..Default::default()
        };
        let h = compute_harmonics(&c, &settings, None).unwrap();
        let ssh: Vec<usize> = (0..h.modes.len())
            .filter(|&m| h.modes[m].kind == ModeKind::Ssh)
            .collect();
        assert_eq!(ssh.len(), 2);
        for &m in &ssh {
            let mass: f64 = c
                .body_nodes()
                .iter()
                .map(|&i| h.vectors[(i, m)].powi(2))
                .sum();
            assert!(mass >= 0.25, "{mass}");
        }
    }

    #[test]
    fn bad_settings_are_errors() {
        let c = ring(10).unwrap();
        let zero = HarmonicsSettings {
            csh_modes: 0,
            ..Default::default()
        };
        assert!(matches!(
            compute_harmonics(&c, &zero, None),
            Err(HarmonicsError::Settings(_))
        ));
        let only_zero = HarmonicsSettings {
            csh_modes: 1,
            ..Default::default()
        };
        assert!(matches!(
            compute_harmonics(&c, &only_zero, None),
            Err(HarmonicsError::NoNonZeroEigenvalue { .. })
        ));
        let nan = HarmonicsSettings {
            csh_modes: 3,
            fundamental_hz: f64::NAN,
            ..Default::default()
        };
        assert!(compute_harmonics(&c, &nan, None).is_err());
        let rsh = HarmonicsSettings {
            csh_modes: 3,
            rsh_per_region: 2,
            ..Default::default()
        };
        assert!(compute_harmonics(&c, &rsh, None).is_err());
    }
}
