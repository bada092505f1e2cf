//! Times the shift-invert Lanczos solver on the cortex mesh Laplacian of `data/README.md`
//! (L = D − A, A the binary triangle-edge adjacency of TVB's cortex_16384) for k = 100 and 200.
//! Run by `bench/harmonics_vs_scipy.sh`, which times scipy on the same matrix in the same run.
//!
//! `cargo bench --bench cortex_harmonics [-- K...]` prints one line per k:
//! `anneal k=<k> seconds=<best of 3> max_residual=<r>`.

use anneal::connectome::import::{import_tvb_surface, mesh_connectome};
use anneal::harmonics::laplacian::LaplacianKind;
use anneal::harmonics::solver::{LanczosOptions, Solver, laplacian_eigenpairs};
use std::path::Path;
use std::time::Instant;

fn main() {
    let ks: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let ks = if ks.is_empty() { vec![100, 200] } else { ks };
    let zip = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tvb/cortex_16384.zip");
    let mesh = import_tvb_surface(&zip).expect("cortex mesh");
    let connectome = mesh_connectome(mesh).expect("mesh connectome");
    let options = LanczosOptions::default();
    for k in ks {
        let mut best = f64::INFINITY;
        let mut residual = 0.0;
        for _ in 0..3 {
            let started = Instant::now();
            let pairs = laplacian_eigenpairs(
                connectome.weights(),
                LaplacianKind::Combinatorial,
                k,
                Solver::ShiftInvertLanczos,
                &options,
            )
            .expect("solve");
            best = best.min(started.elapsed().as_secs_f64());
            residual = pairs.max_residual;
        }
        println!("anneal k={k} seconds={best:.3} max_residual={residual:.3e}");
    }
}
