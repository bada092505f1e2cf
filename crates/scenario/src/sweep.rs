//! A sweep's output folder: `sweep.yaml` (provenance, every item, the judged expectations),
//! `table.csv` and `table.yaml` (one row per item: its parameters and, for every recorded
//! quantity, its final value, mean, min and max) and `plots/AXIS.svg|png` (every quantity against
//! each varied parameter, see [`anneal_output::sweep_plot`]). A shard writes `shard.yaml` instead
//! (see [`super::shard`]). Everything is computed from the items in index order, so the folder
//! has the same bytes whatever the thread count, and whether it was written by one run or
//! merged from shards.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_norway::{Mapping, Value};

use super::shard::{SHARD_FILE, ShardFile};
use super::{AxisRecord, SweepReport};
use anneal_output::csv::{Cell, column_header, format_float, table_to_string};
use anneal_output::sweep_plot::{Panel, Positions, Summary, SweepFigure};
use anneal_output::{OutputError, ResultsWriter};

/// The sweep's folder inside an output folder: the script's folder relative to the folder
/// `anneal test` searched, then `STEM.SCENARIO` (the scenario name made file-safe), the same
/// names as its snapshot.
pub fn folder(script_relative: &Path, scenario: &str) -> PathBuf {
    let snapshot = super::snapshot::path_for(script_relative, scenario);
    let name = snapshot
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    script_relative.parent().unwrap_or(Path::new("")).join(name)
}

/// `sweep.yaml`.
#[derive(Debug, Serialize)]
pub struct SweepDocument<'a> {
    pub anneal_version: &'a str,
    /// The script, relative to the folder `anneal test` searched.
    pub script: &'a str,
    pub script_hash: &'a str,
    #[serde(flatten)]
    pub report: &'a SweepReport,
}

/// Every quantity recorded by any item, and its unit, in name order.
fn quantities_and_units(report: &SweepReport) -> (BTreeSet<&String>, BTreeMap<&String, &String>) {
    let quantities = report
        .items
        .iter()
        .flat_map(|item| item.quantities.keys())
        .collect();
    let units = report
        .items
        .iter()
        .flat_map(|item| item.units.iter())
        .collect();
    (quantities, units)
}

/// The CSV header and rows of the sweep table: `index`, one column per axis (its label), a
/// value column `AXIS [unit]` (`AXIS value` for plain numbers) for a numeric axis whose labels
/// are not its values (a list of durations, say), `seed` unless an axis varies it, and
/// `QUANTITY.final|mean|min|max` for every recorded quantity.
pub fn table(report: &SweepReport) -> (Vec<String>, Vec<Vec<Cell>>) {
    let (quantities, units) = quantities_and_units(report);
    let seed_varied = report.axes.iter().any(|axis| axis.name == "seed");
    let mut headers = vec!["index".to_string()];
    for axis in &report.axes {
        headers.push(axis.name.clone());
        if value_column(axis) {
            headers.push(value_header(axis));
        }
    }
    if !seed_varied {
        headers.push("seed".into());
    }
    const STATISTICS: [&str; 4] = ["final", "mean", "min", "max"];
    for name in &quantities {
        let unit = units.get(name).map_or("1", |u| u.as_str());
        for statistic in STATISTICS {
            headers.push(column_header(&format!("{name}.{statistic}"), unit));
        }
    }
    let rows = report
        .items
        .iter()
        .map(|item| {
            let mut row = vec![Cell::Count(item.index as u64)];
            for axis in &report.axes {
                let label = item.parameters.get(&axis.name);
                row.push(label.map_or(Cell::Empty, |l| Cell::Text(l.clone())));
                if value_column(axis) {
                    let value = label
                        .and_then(|l| axis.labels.iter().position(|x| x == l))
                        .zip(axis.values.as_ref())
                        .map(|(position, values)| values[position]);
                    row.push(value.map_or(Cell::Empty, Cell::Number));
                }
            }
            if !seed_varied {
                row.push(Cell::Count(item.seed));
            }
            for name in &quantities {
                match item.quantities.get(*name) {
                    Some(stats) => row.extend(
                        [stats.final_value, stats.mean, stats.min, stats.max].map(Cell::Number),
                    ),
                    None => row.extend([Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty]),
                }
            }
            row
        })
        .collect();
    (headers, rows)
}

/// `duration [s]`, or `suppression value` for plain numbers (the bare name is the label column).
fn value_header(axis: &AxisRecord) -> String {
    if axis.unit.is_empty() {
        format!("{} value", axis.name)
    } else {
        column_header(&axis.name, &axis.unit)
    }
}

/// Whether a numeric axis needs its values beside its labels: when a label is not simply the
/// value written out (list positions `0`, `1`, or `10 min` for 600 s).
fn value_column(axis: &AxisRecord) -> bool {
    axis.values.as_ref().is_some_and(|values| {
        axis.labels
            .iter()
            .zip(values)
            .any(|(label, value)| *label != format_float(*value))
    })
}

/// The sweep table as YAML: a list of rows, each a mapping with the CSV's columns in order
/// (empty fields as null).
pub fn table_yaml(headers: &[String], rows: &[Vec<Cell>]) -> Vec<Mapping> {
    rows.iter()
        .map(|row| {
            headers
                .iter()
                .zip(row)
                .map(|(header, cell)| {
                    let value = match cell {
                        Cell::Text(text) => Value::String(text.clone()),
                        Cell::Count(count) => Value::Number((*count).into()),
                        Cell::Number(number) => Value::Number((*number).into()),
                        Cell::Empty => Value::Null,
                    };
                    (Value::String(header.clone()), value)
                })
                .collect()
        })
        .collect()
}

/// Mean and spread of one quantity's summaries over the items of each value of an axis.
struct AxisSummaries {
    final_means: Vec<f64>,
    final_spreads: Vec<f64>,
    mean_means: Vec<f64>,
    mean_spreads: Vec<f64>,
}

/// The mean and the sample standard deviation (0 for one value).
fn mean_and_spread(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, variance.sqrt())
}

fn summarise_axis(report: &SweepReport, axis: &AxisRecord, quantity: &str) -> AxisSummaries {
    let mut out = AxisSummaries {
        final_means: Vec::new(),
        final_spreads: Vec::new(),
        mean_means: Vec::new(),
        mean_spreads: Vec::new(),
    };
    for label in &axis.labels {
        let stats: Vec<super::Stats> = report
            .items
            .iter()
            .filter(|item| item.parameters.get(&axis.name) == Some(label))
            .filter_map(|item| item.quantities.get(quantity).copied())
            .collect();
        let finals: Vec<f64> = stats.iter().map(|s| s.final_value).collect();
        let means: Vec<f64> = stats.iter().map(|s| s.mean).collect();
        let (m, d) = mean_and_spread(&finals);
        out.final_means.push(m);
        out.final_spreads.push(d);
        let (m, d) = mean_and_spread(&means);
        out.mean_means.push(m);
        out.mean_spreads.push(d);
    }
    out
}

/// Writes `plots/AXIS.svg` and `plots/AXIS.png` for every axis of the sweep.
fn write_plots(writer: &ResultsWriter, report: &SweepReport) -> Result<(), OutputError> {
    let (quantities, units) = quantities_and_units(report);
    if quantities.is_empty() {
        return Ok(());
    }
    for axis in &report.axes {
        anneal_output::check_file_stem(&axis.name)?;
        let summaries: Vec<(String, AxisSummaries)> = quantities
            .iter()
            .map(|name| {
                let unit = units.get(name).map_or("1", |u| u.as_str());
                (
                    column_header(name, unit),
                    summarise_axis(report, axis, name),
                )
            })
            .collect();
        let panels = summaries
            .iter()
            .map(|(title, s)| Panel {
                title,
                summaries: vec![
                    Summary {
                        label: "final",
                        means: &s.final_means,
                        spreads: &s.final_spreads,
                    },
                    Summary {
                        label: "mean over the run",
                        means: &s.mean_means,
                        spreads: &s.mean_spreads,
                    },
                ],
            })
            .collect();
        let title = format!("{}: by {}", report.scenario, axis.name);
        let x_label = column_header(&axis.name, &axis.unit);
        let figure = SweepFigure {
            title: &title,
            x_label: &x_label,
            positions: match &axis.values {
                Some(values) => Positions::Values(values),
                None => Positions::Labels(&axis.labels),
            },
            panels,
        };
        let svg = figure.render_svg()?;
        writer.write_bytes(&format!("plots/{}.svg", axis.name), svg.as_bytes())?;
        figure.render_png(&writer.file_path(&format!("plots/{}.png", axis.name))?)?;
    }
    Ok(())
}

/// Writes a whole sweep's folder atomically (see the module documentation) and returns its
/// path.
pub fn write(
    folder: &Path,
    script_relative: &str,
    script_hash: &str,
    report: &SweepReport,
) -> Result<PathBuf, OutputError> {
    let writer = ResultsWriter::create(folder)?;
    writer.write_yaml(
        "sweep.yaml",
        &SweepDocument {
            anneal_version: env!("CARGO_PKG_VERSION"),
            script: script_relative,
            script_hash,
            report,
        },
    )?;
    let (headers, rows) = table(report);
    writer.write_bytes("table.csv", table_to_string(&headers, &rows)?.as_bytes())?;
    writer.write_yaml("table.yaml", &table_yaml(&headers, &rows))?;
    write_plots(&writer, report)?;
    writer.commit()
}

/// Writes a shard's folder (`shard.yaml` only) atomically and returns its path.
pub fn write_shard(folder: &Path, shard: &ShardFile) -> Result<PathBuf, OutputError> {
    let writer = ResultsWriter::create(folder)?;
    writer.write_yaml(SHARD_FILE, shard)?;
    writer.commit()
}

#[cfg(test)]
mod tests {
    use super::super::{ItemRecord, Stats};
    use super::*;

    fn report() -> SweepReport {
        let axes = vec![
            AxisRecord {
                name: "duration".into(),
                labels: vec!["10 min".into(), "20 min".into()],
                values: Some(vec![600.0, 1200.0]),
                unit: "s".into(),
            },
            AxisRecord {
                name: "seed".into(),
                labels: vec!["1".into(), "2".into()],
                values: Some(vec![1.0, 2.0]),
                unit: String::new(),
            },
        ];
        let items = (0..4)
            .map(|index| {
                let stats = Stats {
                    initial: 1.0,
                    final_value: index as f64,
                    min: 0.0,
                    max: 3.0,
                    mean: 0.5 * index as f64,
                };
                ItemRecord {
                    index,
                    parameters: BTreeMap::from([
                        ("duration".into(), axes[0].labels[index / 2].clone()),
                        ("seed".into(), axes[1].labels[index % 2].clone()),
                    ]),
                    seed: 1 + (index % 2) as u64,
                    plan_hash: String::new(),
                    quantities: BTreeMap::from([("frustration".into(), stats)]),
                    units: BTreeMap::from([("frustration".into(), "1".into())]),
                    measures: Vec::new(),
                }
            })
            .collect();
        SweepReport {
            scenario: "lengths".into(),
            axes,
            run_count: 4,
            items,
            expectations: Vec::new(),
            expectation_errors: Vec::new(),
        }
    }

    #[test]
    fn the_table_has_labels_values_where_they_differ_and_four_statistics() {
        let (headers, rows) = table(&report());
        assert_eq!(
            headers,
            [
                "index",
                "duration",
                "duration [s]",
                "seed",
                "frustration.final",
                "frustration.mean",
                "frustration.min",
                "frustration.max"
            ]
        );
        let csv = table_to_string(&headers, &rows).unwrap();
        assert_eq!(csv.lines().nth(3), Some("2,20 min,1200,1,2,1,0,3"));
        let yaml = anneal_output::yaml::to_string(&table_yaml(&headers, &rows)).unwrap();
        assert!(yaml.starts_with("- index: 0\n  duration: 10 min\n  duration [s]: 600.0\n"));
    }

    #[test]
    fn a_list_of_plain_numbers_gets_a_value_column_named_apart_from_its_labels() {
        let mut report = report();
        report.axes[1] = AxisRecord {
            name: "suppression".into(),
            labels: vec!["0".into(), "1".into()],
            values: Some(vec![0.8, 0.0]),
            unit: String::new(),
        };
        for item in &mut report.items {
            let label = if item.index % 2 == 0 { "0" } else { "1" };
            item.parameters.remove("seed");
            item.parameters.insert("suppression".into(), label.into());
        }
        let (headers, rows) = table(&report);
        assert_eq!(headers[3..6], ["suppression", "suppression value", "seed"]);
        assert_eq!(rows[1][3..5], [Cell::Text("1".into()), Cell::Number(0.0)]);
    }

    #[test]
    fn axis_summaries_average_over_the_other_axes() {
        let report = report();
        let by_duration = summarise_axis(&report, &report.axes[0], "frustration");
        // Items 0 and 1 (10 min) end at 0 and 1; items 2 and 3 at 2 and 3.
        assert_eq!(by_duration.final_means, vec![0.5, 2.5]);
        assert_eq!(
            by_duration.final_spreads,
            vec![0.5f64.sqrt(), 0.5f64.sqrt()]
        );
        let by_seed = summarise_axis(&report, &report.axes[1], "frustration");
        assert_eq!(by_seed.final_means, vec![1.0, 2.0]);
    }

    #[test]
    fn the_folder_is_named_like_the_snapshot() {
        assert_eq!(
            folder(Path::new("lab/cooling.anneal"), "slow vs fast"),
            Path::new("lab/cooling.slow_vs_fast")
        );
        assert_eq!(
            folder(Path::new("cooling.anneal"), "a"),
            Path::new("cooling.a")
        );
    }
}
