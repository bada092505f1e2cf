//! Scenario sweeps in parallel: an 8-item sweep (eight seeds of a two-minute run on the bundled
//! 76-region connectome with its landscape) on a rayon pool of one thread and of two threads.
//! The items are independent, so two threads should take a little over half the time of one.
//!
//! Run: `cargo bench --bench scenarios` (figures in docs/performance.md, "Scenarios").

use std::path::Path;
use std::time::Duration;

use anneal::scenario::run_items;
use criterion::{Criterion, criterion_group, criterion_main};

const SWEEP: &str = r#"experiment "eight seeds" {
  seed 1
  dt 50 ms
  duration 2 min
}

connectome brain = human_regions()

harmonics of brain {
  modes 30
  regional 1 per region
}

landscape on regions {
  scale 0.5
  sweeps 2 per s
}

cooling exponential(from: 1.5, to: 1.0, tau: 1 min)

record every 1 s { temperature, energy by band, integration, frustration }

scenario "seeds" {
  vary seed in 1..8
  expect mean(frustration) >= 0
}
"#;

fn sweep(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("eight_seeds.anneal");
    std::fs::write(&path, SWEEP).expect("script written");
    let checked = anneal::semantics::check_file(&path);
    let scenario = checked.program.expect("the sweep checks").scenarios[0].clone();
    assert_eq!(scenario.run_count(), 8);
    let run = |path: &Path| run_items(path, &scenario, None).expect("every item runs");

    let mut group = c.benchmark_group("scenario");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        group.bench_function(format!("8 items, {threads} thread(s)"), |b| {
            b.iter(|| pool.install(|| run(&path)))
        });
    }
    group.finish();
}

// No plots: the plotters backend criterion uses needs system fonts the build machines lack.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = sweep
}
criterion_main!(benches);
