//! Engine speed: field mode-steps per second with noise, Metropolis attempts per second on a
//! sparse graph of mean degree 6, and the cost of injection locking per pair-step.
//!
//! Run: `cargo bench --bench engine` (one core; figures in docs/performance.md).

use std::hint::black_box;
use std::time::Duration;

use anneal::engine::landscape::Landscape;
use anneal::engine::locking::{self, LockPair, PairCoupling};
use anneal::engine::random::Stream;
use anneal::engine::{Engine, LandscapeGraph, ModeBasis, ModeSpec};
use anneal::plan::{Band, CoolingCurve, Plan};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const MODES: usize = 512;
const STEPS_PER_ITERATION: u64 = 100;

fn field_basis() -> ModeBasis {
    ModeBasis {
        modes: (0..MODES)
            .map(|m| ModeSpec {
                band: Band::Csh,
                region: None,
                frequency_hz: 1.0 + (m as f64).sqrt(),
            })
            .collect(),
        region_names: vec!["all".into()],
        region_mass: vec![vec![1.0]; MODES],
        landscape: LandscapeGraph {
            node_names: vec!["all".into()],
            couplings: Vec::new(),
            csh_projection: vec![vec![0.0]; MODES],
        },
    }
}

fn field(c: &mut Criterion) {
    let basis = field_basis();
    let plan = Plan {
        dt: 1e-3,
        cooling: CoolingCurve::constant(1.0),
        ..Plan::default()
    };
    let mut engine = Engine::new(&plan, &basis).expect("engine");
    let mut group = c.benchmark_group("field");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(MODES as u64 * STEPS_PER_ITERATION));
    group.bench_function("engine step, 512 modes, noise, constant schedules", |b| {
        b.iter(|| engine.step(black_box(STEPS_PER_ITERATION)).expect("step"))
    });
    group.finish();
}

fn metropolis(c: &mut Criterion) {
    // Random graph of the size of the largest landscape we run (one spin per vertex of TVB's
    // cortex_16384): n nodes, 3n edges (mean degree 6), Gaussian couplings, random fields.
    let n = 16_384;
    let mut rng = Stream::new(1, 77);
    let mut edges = Vec::with_capacity(3 * n);
    while edges.len() < 3 * n {
        let (i, j) = (rng.index(n), rng.index(n));
        if i != j {
            edges.push((i, j, rng.normal() / 6f64.sqrt()));
        }
    }
    let field: Vec<f64> = (0..n).map(|_| 0.1 * rng.normal()).collect();
    let mut landscape = Landscape::from_couplings(n, &edges);
    let mut stream = Stream::new(2, 2);
    let attempts = 1_000_000u64;
    let mut group = c.benchmark_group("landscape");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(attempts));
    group.bench_function("metropolis attempts, mean degree 6, T = 1.5", |b| {
        b.iter(|| landscape.metropolis(black_box(attempts), 1.5, &field, &mut stream))
    });
    group.finish();
}

fn locking_pairs(c: &mut Criterion) {
    // 64 CSHWs × 256 RSHWs = 16384 pairs with assorted ratios.
    let (n_csh, n_rsh) = (64usize, 256usize);
    let m = n_csh + n_rsh;
    let omega: Vec<f64> = (0..m).map(|i| 1.0 + 0.37 * i as f64).collect();
    let mut pairs = Vec::new();
    for j in n_csh..m {
        for k in 0..n_csh {
            pairs.push(LockPair::new(j, k, j % 8, 0.1));
        }
    }
    locking::refresh_ratios(&mut pairs, &omega, 8);
    let mut rng = Stream::new(3, 3);
    let theta: Vec<f64> = (0..m).map(|_| rng.uniform() * 6.0 - 3.0).collect();
    let energy: Vec<f64> = (0..m).map(|_| rng.uniform() + 0.5).collect();
    let z_re: Vec<f64> = (0..m).map(|i| energy[i].sqrt() * theta[i].cos()).collect();
    let z_im: Vec<f64> = (0..m).map(|i| energy[i].sqrt() * theta[i].sin()).collect();
    let mut coupling = PairCoupling::new(&pairs, m, 1.0);
    let (mut re, mut im, mut dtheta) =
        (vec![0.0; pairs.len()], vec![0.0; pairs.len()], vec![0.0; m]);
    let mut group = c.benchmark_group("locking");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(pairs.len() as u64));
    group.bench_function("pair coupling and locking index, per pair-step", |b| {
        b.iter(|| {
            // Per step the engine fills the table of phasor powers once, then runs the pairs.
            coupling.powers.fill(black_box(&z_re), &z_im);
            coupling.apply(&energy, 1e-4, &mut re, &mut im, &mut dtheta)
        })
    });
    group.finish();
}

// No plots: the plotters backend criterion uses needs system fonts the build machines lack.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = field, metropolis, locking_pairs
}
criterion_main!(benches);
