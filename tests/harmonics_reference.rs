//! The solvers against eigenvalues computed by established tools on real data
//! (`data/reference/`, see `data/README.md`): 1e-8 relative, 1e-10 absolute near zero.

use anneal::connectome::import::{import_tvb_connectivity, import_tvb_surface, mesh_connectome};
use anneal::harmonics::laplacian::LaplacianKind;
use anneal::harmonics::solver::{LanczosOptions, Solver, laplacian_eigenpairs};
use std::path::{Path, PathBuf};

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(path)
}

fn reference(name: &str) -> Vec<f64> {
    std::fs::read_to_string(data(&format!("reference/{name}")))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

fn assert_matches(got: &[f64], expected: &[f64], what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}");
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        let ok = if e.abs() < 1e-6 {
            (g - e).abs() <= 1e-10
        } else {
            (g - e).abs() <= 1e-8 * e.abs()
        };
        assert!(ok, "{what}: λ_{i} = {g:.17e}, reference {e:.17e}");
    }
}

#[test]
fn tvb76_both_laplacians_all_76() {
    let (c, _) = import_tvb_connectivity(&data("tvb/connectivity_76.zip")).unwrap();
    for (kind, file) in [
        (LaplacianKind::Combinatorial, "tvb76_eigs_comb.txt"),
        (LaplacianKind::Normalized, "tvb76_eigs_norm.txt"),
    ] {
        let e = laplacian_eigenpairs(
            c.weights(),
            kind,
            76,
            Solver::Dense,
            &LanczosOptions::default(),
        )
        .unwrap();
        assert_matches(&e.values, &reference(file), file);
    }
}

#[test]
fn cortex_mesh_first_200_with_shift_invert_lanczos() {
    let mesh = import_tvb_surface(&data("tvb/cortex_16384.zip")).unwrap();
    let c = mesh_connectome(mesh).unwrap();
    let started = std::time::Instant::now();
    let options = LanczosOptions::default();
    let e = laplacian_eigenpairs(
        c.weights(),
        LaplacianKind::Combinatorial,
        200,
        Solver::ShiftInvertLanczos,
        &options,
    )
    .unwrap();
    eprintln!(
        "cortex k = 200: {:.2} s, max residual {:e}",
        started.elapsed().as_secs_f64(),
        e.max_residual
    );
    assert_matches(
        &e.values,
        &reference("cortex16k_mesh_eigs.txt"),
        "cortex16k",
    );
}
