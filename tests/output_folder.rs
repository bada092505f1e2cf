//! End to end through the output layer: a complete results folder, written twice from the same
//! numbers, must hold the documented files with identical bytes.

use std::collections::BTreeMap;
use std::path::Path;

use anneal::output::npy::{NpyValues, decode};
use anneal::output::plot::{ColourScale, Figure, Line};
use anneal::output::summary::{Provenance, RunSummary, summarise_quantities};
use anneal::output::{ResultsWriter, Series};

fn write_folder(dir: &Path) {
    let times: Vec<f64> = (0..120).map(|i| f64::from(i) * 5.0).collect();
    let temperature: Vec<f64> = times.iter().map(|t| 1.0 / (1.0 + t / 100.0)).collect();
    let valence: Vec<f64> = times.iter().map(|t| (t / 90.0).sin()).collect();
    let modes = 8;
    let energy: Vec<f64> = (0..times.len() * modes)
        .map(|i| 1.0 + (i % modes) as f64 * 0.5)
        .collect();
    let series = [
        Series {
            name: "temperature",
            unit: "1",
            values: &temperature,
        },
        Series {
            name: "valence",
            unit: "1",
            values: &valence,
        },
    ];
    let writer = ResultsWriter::create(dir).unwrap();
    let summary = RunSummary {
        provenance: Provenance {
            anneal_version: "test".into(),
            plan_hash: "0".into(),
            sources: BTreeMap::new(),
            seed: 1,
            connectome_hash: "0".into(),
        },
        quantities: summarise_quantities(&times, &series).unwrap(),
        events: vec![],
        expectations: vec![],
    };
    writer.write_yaml("summary.yaml", &summary).unwrap();
    writer
        .write_traces_csv("traces.csv", &times, &series)
        .unwrap();
    writer.write_series_npy(&times, &series).unwrap();
    writer
        .write_npy_f64("mode_energy.npy", &[times.len(), modes], &energy)
        .unwrap();
    let lines = vec![Line {
        label: "temperature",
        values: &temperature,
    }];
    writer
        .write_figure(
            "temperature",
            &Figure::Lines {
                title: "Temperature",
                y_label: "temperature",
                times: &times,
                lines,
            },
        )
        .unwrap();
    let heatmap = Figure::Heatmap {
        title: "Mode energy",
        value_label: "energy",
        times: &times,
        modes,
        values: &energy,
        scale: ColourScale::Linear,
    };
    writer.write_figure("mode_energy", &heatmap).unwrap();
    writer.commit().unwrap();
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            for (inner, bytes) in files(&path) {
                out.insert(format!("{name}/{inner}"), bytes);
            }
        } else {
            out.insert(name, std::fs::read(&path).unwrap());
        }
    }
    out
}

#[test]
fn a_results_folder_has_the_documented_files_and_is_reproducible() {
    let root = tempfile::tempdir().unwrap();
    write_folder(&root.path().join("a"));
    write_folder(&root.path().join("b"));
    let a = files(&root.path().join("a"));
    let names: Vec<&str> = a.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            ".anneal-results",
            "mode_energy.npy",
            "plots/mode_energy.png",
            "plots/mode_energy.svg",
            "plots/temperature.png",
            "plots/temperature.svg",
            "summary.yaml",
            "temperature.npy",
            "time.npy",
            "traces.csv",
            "valence.npy",
        ]
    );
    assert_eq!(
        a,
        files(&root.path().join("b")),
        "same numbers must give the same bytes"
    );
    let energy = decode(&a["mode_energy.npy"]).unwrap();
    assert_eq!(energy.shape, vec![120, 8]);
    let NpyValues::Float64(time) = decode(&a["time.npy"]).unwrap().values else {
        panic!("time is <f8")
    };
    assert_eq!(time[1], 5.0);
    let csv = String::from_utf8(a["traces.csv"].clone()).unwrap();
    assert!(csv.starts_with("time [s],temperature,valence\n0,1,0\n5,"));
}
