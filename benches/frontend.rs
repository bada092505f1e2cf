//! Parses and checks a generated 1 MB script (target: under 100 ms).
//! Run: `cargo bench --bench frontend`

use anneal::semantics::{MemoryLoader, check_source};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// The binary's allocator, so that the figures are those of `anneal check`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A realistic script of about `bytes` bytes: an experiment, then many lets, functions, sources
/// and expectations that use each other.
pub fn generated_script(bytes: usize) -> String {
    let mut text = String::from(
        "use std.sources.{meditation, music}\n\nexperiment \"generated\" {\n  seed 1\n  dt 20 ms\n  duration 10 h\n}\n\nconnectome brain = human_cortex()\n\nlandscape on regions {\n  pattern calm = regions(\"rPFCDL\", \"lPFCDL\")\n}\n\nrecord every 1 s { temperature, valence, frustration, overlap(calm) }\n\n",
    );
    let mut index = 0;
    while text.len() < bytes {
        text.push_str(&format!(
            "# block {index}\nlet start_{index} = {index} s + 1 min\nfn sit_{index}(at, depth = 40%) = meditation(at: at, for: 10 min, depth: depth)\nsource s_{index} = sit_{index}(start_{index}) + 0.5 * music(at: start_{index} + 20 min, for: 5 min, frequencies: [2 Hz, 3 Hz], tempo: 90 bpm)\nexpect mean(valence, during: s_{index}) > mean(valence, before: s_{index}) - 0.1\n\n"
        ));
        index += 1;
    }
    text
}

fn bench(c: &mut Criterion) {
    let script = generated_script(1 << 20);
    let loader = MemoryLoader::default();
    let checked = check_source("generated.anneal", &script, &loader);
    assert!(
        !checked.has_errors(),
        "the generated script must check clean"
    );
    let mut group = c.benchmark_group("frontend");
    group.sample_size(10);
    group.bench_function("parse 1 MB", |b| {
        b.iter(|| {
            anneal::syntax::parse(anneal::diagnostics::FileId(0), black_box(&script))
                .expect("parses")
        })
    });
    group.bench_function("parse and check 1 MB", |b| {
        b.iter(|| check_source("generated.anneal", black_box(&script), &loader))
    });
    group.finish();
}

// Plots need system fonts, which the build machines lack; the numbers are what matter.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
