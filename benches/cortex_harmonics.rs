//! Times the shift-invert Lanczos solver on the cortex mesh Laplacian of `data/README.md`
//! (L = D − A, A the binary triangle-edge adjacency of TVB's cortex_16384) for k = 100 and 200.
//! Run by `bench/harmonics_vs_scipy.sh`, which times scipy on the same matrix in the same run.
//!
//! `cargo bench --bench cortex_harmonics [-- K...]` prints one line per k:
//! `anneal k=<k> seconds=<best of 3> cpu_seconds=<best of 3> max_residual=<r>`. CPU time (user +
//! system, from /proc/self/stat, 10 ms resolution) is what a loaded machine disturbs least.

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
        let mut best_cpu = f64::INFINITY;
        let mut residual = 0.0;
        for _ in 0..3 {
            let started = Instant::now();
            let cpu_started = process_cpu_seconds();
            let pairs = laplacian_eigenpairs(
                connectome.weights(),
                LaplacianKind::Combinatorial,
                k,
                Solver::ShiftInvertLanczos,
                &options,
            )
            .expect("solve");
            best = best.min(started.elapsed().as_secs_f64());
            best_cpu = best_cpu.min(process_cpu_seconds() - cpu_started);
            residual = pairs.max_residual;
        }
        println!(
            "anneal k={k} seconds={best:.3} cpu_seconds={best_cpu:.3} max_residual={residual:.3e}"
        );
    }
}

/// User plus system CPU time of this process, from fields 14 and 15 of /proc/self/stat, in clock
/// ticks of 1/100 s (Linux's USER_HZ); NaN where /proc is unavailable.
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // The command name (field 2) may contain spaces; the fields after its ')' are plain.
    let Some(after_name) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return f64::NAN;
    };
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // after_name starts at field 3, so fields 14 and 15 are at indices 11 and 12.
    match (fields.get(11), fields.get(12)) {
        (Some(user), Some(system)) => match (user.parse::<f64>(), system.parse::<f64>()) {
            (Ok(user), Ok(system)) => (user + system) / 100.0,
            _ => f64::NAN,
        },
        _ => f64::NAN,
    }
}
