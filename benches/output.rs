//! Cost of writing a results folder: `cargo bench --bench output`.

use criterion::{Criterion, criterion_group, criterion_main};

use anneal::output::Series;
use anneal::output::csv::traces_to_string;
use anneal::output::npy::encode_f64;
use anneal::output::plot::{ColourScale, Figure, Line};

const RECORDS: usize = 10_000;
const MODES: usize = 200;

fn bench_output(c: &mut Criterion) {
    let times: Vec<f64> = (0..RECORDS).map(|i| i as f64 * 0.1).collect();
    let columns: Vec<Vec<f64>> = (0..10)
        .map(|q| {
            times
                .iter()
                .map(|t| (t * (q + 1) as f64 / 50.0).sin())
                .collect()
        })
        .collect();
    let series: Vec<Series<'_>> = columns
        .iter()
        .map(|values| Series {
            name: "quantity",
            unit: "1",
            values,
        })
        .collect();
    let energy: Vec<f64> = (0..RECORDS * MODES)
        .map(|i| 1.0 + (i % 997) as f64 / 997.0)
        .collect();

    let mut group = c.benchmark_group("output");
    group.sample_size(10);
    group.bench_function("npy mode_energy 10000x200", |b| {
        b.iter(|| encode_f64("mode_energy", &[RECORDS, MODES], &energy).unwrap())
    });
    group.bench_function("csv 10000 rows x 10 quantities", |b| {
        b.iter(|| traces_to_string(&times, &series).unwrap())
    });
    let lines: Vec<Line<'_>> = columns
        .iter()
        .take(4)
        .map(|values| Line { label: "q", values })
        .collect();
    let line_figure = Figure::Lines {
        title: "Lines",
        y_label: "value",
        times: &times,
        lines,
    };
    group.bench_function("svg lines 4 x 10000", |b| {
        b.iter(|| line_figure.render_svg().unwrap())
    });
    let heatmap = Figure::Heatmap {
        title: "Mode energy",
        value_label: "energy",
        times: &times,
        modes: MODES,
        values: &energy,
        scale: ColourScale::Log10,
    };
    group.bench_function("svg heatmap 10000x200", |b| {
        b.iter(|| heatmap.render_svg().unwrap())
    });
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("heatmap.png");
    group.bench_function("png heatmap 10000x200", |b| {
        b.iter(|| heatmap.render_png(&png).unwrap())
    });
    group.finish();
}

// Criterion's own report plots need system fonts that plotters, built without its default
// features here, does not load; the numbers are what matters.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench_output
}
criterion_main!(benches);
