//! Running a prepared script and writing its results folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anneal_engine::{Engine, EventKind};
use anneal_output::plot::{ColourScale, Figure, Line};
use anneal_output::summary::{
    EventRecord, ExpectationRecord, Provenance, RunSummary, summarise_quantities,
};
use anneal_output::{OutputError, ResultsWriter, Series};
use anneal_plan::{Envelope, Plan};

use super::Prepared;
use super::expect::{Judged, Traces, judge};

/// Steps per progress callback: often enough for a smooth bar, rare enough to cost nothing.
const PROGRESS_CHUNK: u64 = 500;

/// Everything a run produced.
pub struct RunOutput {
    pub traces: Traces,
    /// Mode energies, record-major: `traces.times.len()` rows of `modes` values.
    pub mode_energy: Vec<f64>,
    pub modes: usize,
    pub events: Vec<EventRecord>,
    pub judged: Vec<Judged>,
    /// Why some expectations could not be judged (they count as failed).
    pub expectation_errors: Vec<String>,
}

impl RunOutput {
    pub fn all_passed(&self) -> bool {
        self.expectation_errors.is_empty() && self.judged.iter().all(|j| j.passed)
    }
}

/// Runs the plan on the basis, calling `progress(done, total)` as steps complete.
pub fn run(prepared: &Prepared, mut progress: impl FnMut(u64, u64)) -> Result<RunOutput, String> {
    let plan = &prepared.lowered.plan;
    let mut engine = Engine::new(plan, &prepared.basis).map_err(|e| e.to_string())?;
    engine
        .run_with_progress(PROGRESS_CHUNK, &mut progress)
        .map_err(|e| e.to_string())?;
    Ok(collect(prepared, &engine))
}

/// Gathers what `engine` (running `prepared`'s plan) has recorded so far into a [`RunOutput`]:
/// the traces from `record_from` on, the mode energies, the events up to the current step and
/// the expectations judged on those traces. After a full run this is exactly what [`run`]
/// returns; the REPL's `:save` calls it in the middle of a run.
pub fn collect(prepared: &Prepared, engine: &Engine) -> RunOutput {
    let plan = &prepared.lowered.plan;
    let recorder = engine.recorder();
    let record_from = prepared.lowered.record_from;
    let mut traces = Traces {
        times: Vec::new(),
        columns: BTreeMap::new(),
        dt: plan.dt,
    };
    let mut mode_columns: Vec<&[f64]> = Vec::new();
    for column in &recorder.columns {
        let times: Vec<f64> = column.steps().map(|s| s as f64 * plan.dt).collect();
        let keep = times.partition_point(|&t| t < record_from);
        if traces.times.is_empty() {
            traces.times = times[keep..].to_vec();
        }
        let values = &column.values[keep..];
        if column.name.starts_with("mode_energy[") {
            mode_columns.push(values);
        } else {
            traces.columns.insert(column.name.clone(), values.to_vec());
        }
    }
    // Total energy, when the bands were recorded: the sum over bands, in band order.
    let band_names: Vec<String> = traces
        .columns
        .keys()
        .filter(|k| k.starts_with("band_energy."))
        .cloned()
        .collect();
    if !band_names.is_empty() {
        let rows = traces.times.len();
        let total: Vec<f64> = (0..rows)
            .map(|row| band_names.iter().map(|b| traces.columns[b][row]).sum())
            .collect();
        traces.columns.insert("energy".into(), total);
    }
    let rows = traces.times.len();
    let modes = mode_columns.len();
    let mut mode_energy = Vec::with_capacity(rows * modes);
    for row in 0..rows {
        for column in &mode_columns {
            mode_energy.push(column[row]);
        }
    }
    let events = events(plan, &recorder.events, engine.current_step());
    let (judged, expectation_errors) = match judge(&prepared.program.expectations, &traces) {
        Ok(judged) => (judged, Vec::new()),
        Err(error) => (Vec::new(), vec![error]),
    };
    RunOutput {
        traces,
        mode_energy,
        modes,
        events,
        judged,
        expectation_errors,
    }
}

/// Source starts and ends from the plan, and the engine's events, in time order. Before the end
/// of the run (`now < n_steps`), only what happened up to step `now` is listed.
fn events(plan: &Plan, engine_events: &[anneal_engine::Event], now: u64) -> Vec<EventRecord> {
    let mut all: Vec<(u64, String)> = Vec::new();
    for source in &plan.sources {
        let mut start = u64::MAX;
        let mut end = 0u64;
        for component in &source.components {
            let (a, b) = match &component.envelope {
                Envelope::Always => (0, plan.n_steps),
                Envelope::Pulse {
                    at_step,
                    duration_steps,
                } => (*at_step, at_step + duration_steps),
                Envelope::Ramp {
                    at_step,
                    rise_steps,
                    hold_steps,
                    fall_steps,
                } => (*at_step, at_step + rise_steps + hold_steps + fall_steps),
                Envelope::Bateman { at_step, .. } => (*at_step, plan.n_steps),
                Envelope::Table { points } => (
                    points.first().map_or(0, |p| p.step),
                    points.last().map_or(0, |p| p.step),
                ),
            };
            start = start.min(a);
            end = end.max(b);
        }
        if start != u64::MAX {
            all.push((start, format!("start {}", source.name)));
            if end < plan.n_steps {
                all.push((end, format!("end {}", source.name)));
            }
        }
    }
    for event in engine_events {
        let kind = match event.kind {
            EventKind::Disintegration => "disintegration",
            EventKind::Crystallisation => "crystallisation",
            EventKind::Reheat => "reheat",
        };
        all.push((
            event.step,
            format!(
                "{kind} (T = {:.4}, overlap with the held attractor {:.4})",
                event.temperature, event.overlap
            ),
        ));
    }
    if now < plan.n_steps {
        all.retain(|(step, _)| *step <= now);
    }
    // Stable sort: at equal steps, sources in declaration order, then engine events.
    all.sort_by_key(|(step, _)| *step);
    all.into_iter()
        .map(|(step, description)| EventRecord {
            time_s: step as f64 * plan.dt,
            description,
        })
        .collect()
}

/// The `summary.yaml` document of a run.
pub fn summary(prepared: &Prepared, output: &RunOutput) -> Result<RunSummary, OutputError> {
    let series = series(prepared, output);
    let provenance = prepared.provenance();
    Ok(RunSummary {
        provenance: Provenance {
            anneal_version: provenance.anneal_version,
            plan_hash: prepared.lowered.plan.content_hash(),
            sources: provenance.sources,
            seed: provenance.seed,
            connectome_hash: provenance.connectome_hash,
        },
        quantities: summarise_quantities(&output.traces.times, &series)?,
        events: output.events.clone(),
        expectations: output
            .judged
            .iter()
            .map(|j| ExpectationRecord {
                text: j.text.clone(),
                measured: j.measured(),
                passed: j.passed,
            })
            .collect(),
    })
}

fn series<'a>(prepared: &'a Prepared, output: &'a RunOutput) -> Vec<Series<'a>> {
    output
        .traces
        .columns
        .iter()
        .map(|(name, values)| Series {
            name,
            unit: prepared.lowered.units.get(name).map_or("1", String::as_str),
            values,
        })
        .collect()
}

/// Writes the results folder atomically: summary.yaml, traces.csv, one .npy per quantity,
/// mode_energy.npy, the plan, and the plots as SVG and PNG.
pub fn write(
    prepared: &Prepared,
    output: &RunOutput,
    folder: &Path,
) -> Result<PathBuf, OutputError> {
    let writer = ResultsWriter::create(folder)?;
    let series = series(prepared, output);
    let times = &output.traces.times;
    writer.write_yaml("summary.yaml", &summary(prepared, output)?)?;
    writer.write_bytes(
        "plan.yaml",
        prepared.lowered.plan.canonical_text().as_bytes(),
    )?;
    writer.write_traces_csv("traces.csv", times, &series)?;
    writer.write_series_npy(times, &series)?;
    if output.modes > 0 {
        writer.write_npy_f64(
            "mode_energy.npy",
            &[times.len(), output.modes],
            &output.mode_energy,
        )?;
    }
    let column = |name: &str| output.traces.columns.get(name).map(Vec::as_slice);
    let lines = |names: &[(&'static str, &'static str)]| -> Vec<Line<'_>> {
        names
            .iter()
            .filter_map(|(name, label)| column(name).map(|values| Line { label, values }))
            .collect()
    };
    let figures: Vec<(&str, Figure<'_>)> = vec![
        (
            "temperature",
            Figure::Lines {
                title: "Temperature and bath",
                y_label: "T (relative to rest)",
                times,
                lines: lines(&[
                    ("temperature", "T"),
                    ("bath", "bath Θ"),
                    ("temperature.csh", "T CSHW"),
                    ("temperature.rsh", "T RSHW"),
                    ("temperature.ssh", "T SSHW"),
                ]),
            },
        ),
        (
            "energy_by_band",
            Figure::StackedAreas {
                title: "Energy by band",
                y_label: "energy (units of rest)",
                times,
                parts: lines(&[
                    ("band_energy.csh", "CSHW"),
                    ("band_energy.rsh", "RSHW"),
                    ("band_energy.ssh", "SSHW"),
                ]),
            },
        ),
        (
            "valence",
            Figure::Lines {
                title: "Consonance, dissonance, noise and valence (STV proxy)",
                y_label: "value",
                times,
                lines: lines(&[
                    ("consonance", "consonance"),
                    ("dissonance", "dissonance"),
                    ("noise", "noise"),
                    ("valence", "valence"),
                ]),
            },
        ),
        (
            "integration",
            Figure::Lines {
                title: "Integration",
                y_label: "locking index",
                times,
                lines: lines(&[("integration", "integration")]),
            },
        ),
    ];
    for (stem, figure) in &figures {
        let empty = match figure {
            Figure::Lines { lines, .. } => lines.is_empty(),
            Figure::StackedAreas { parts, .. } => parts.is_empty(),
            _ => false,
        };
        if !empty && !times.is_empty() {
            writer.write_figure(stem, figure)?;
        }
    }
    // Frustration and overlaps: one line each, labelled by the column name.
    let landscape_lines: Vec<Line<'_>> = output
        .traces
        .columns
        .iter()
        .filter(|(name, _)| *name == "frustration" || name.starts_with("overlap."))
        .map(|(name, values)| Line {
            label: name,
            values,
        })
        .collect();
    if !landscape_lines.is_empty() && !times.is_empty() {
        writer.write_figure(
            "landscape",
            &Figure::Lines {
                title: "Frustration and overlaps",
                y_label: "value",
                times,
                lines: landscape_lines,
            },
        )?;
    }
    if output.modes > 0 && !times.is_empty() {
        let positive = output.mode_energy.iter().all(|&e| e > 0.0);
        writer.write_figure(
            "mode_energy",
            &Figure::Heatmap {
                title: "Mode energy",
                value_label: "mode energy",
                times,
                modes: output.modes,
                values: &output.mode_energy,
                scale: if positive {
                    ColourScale::Log10
                } else {
                    ColourScale::Linear
                },
            },
        )?;
    }
    writer.commit()
}
