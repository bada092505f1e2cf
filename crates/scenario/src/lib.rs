//! Scenarios: the Cartesian product of a scenario's axes, every item run on rayon, the results
//! collected in item order (so output is identical for any thread count), the cross-run
//! expectations judged over the items they select, and the sweep table of every item.
//!
//! Each item's random streams come from its own program's seed (the base seed, or the item's
//! `vary seed` value), never from the thread that ran it.

pub mod estimate;
pub mod shard;
pub mod slurm;
pub mod snapshot;
pub mod sweep;

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use anneal_runner::expect::{Judged, judge_with, statistic};
use anneal_semantics::program::{AxisValue, Expectation, Scenario, Statistic};
use anneal_semantics::{FsLoader, check_scenario_item};

/// One item of a scenario: its position in the product and the label chosen on every axis,
/// in axis order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub index: usize,
    pub choice: Vec<(String, String)>,
}

/// Every item of `scenario`, the last axis varying fastest.
pub fn items(scenario: &Scenario) -> Vec<Item> {
    let count = scenario.run_count();
    (0..count)
        .map(|index| {
            let mut rest = index;
            let mut choice = vec![(String::new(), String::new()); scenario.axes.len()];
            for (slot, axis) in scenario.axes.iter().enumerate().rev() {
                let position = rest % axis.items.len();
                rest /= axis.items.len();
                choice[slot] = (
                    axis.target.name().to_string(),
                    axis.items[position].label.clone(),
                );
            }
            Item { index, choice }
        })
        .collect()
}

/// Initial, final, min, max and mean of one quantity over a run: the statistics a results
/// folder's summary holds.
pub use anneal_output::stats::SummaryStats as Stats;

/// The result of one item: its parameters, provenance and summary quantities, and the value in
/// this run of every statistic the scenario's expectations use (in [`statistics`] order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub index: usize,
    pub parameters: BTreeMap<String, String>,
    pub seed: u64,
    pub plan_hash: String,
    pub quantities: BTreeMap<String, Stats>,
    /// Each quantity's unit as written in scripts (`1` for dimensionless).
    pub units: BTreeMap<String, String>,
    pub measures: Vec<f64>,
}

/// One comparison of a cross-run expectation, with both measured sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRecord {
    pub lhs: f64,
    pub op: String,
    pub rhs: f64,
    pub holds: bool,
}

/// A cross-run expectation and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossRunRecord {
    pub text: String,
    pub passed: bool,
    /// `lhs op rhs` for every comparison, as judged.
    pub measured: String,
    pub comparisons: Vec<ComparisonRecord>,
}

/// One axis of a scenario: its name, its items' labels and, when every item is a number, their
/// values in SI units (what the sweep plots put on the horizontal axis).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisRecord {
    pub name: String,
    pub labels: Vec<String>,
    pub values: Option<Vec<f64>>,
    /// The SI unit symbol of the values (`s`, `Hz`), empty for plain numbers and labels.
    pub unit: String,
}

impl AxisRecord {
    /// The record of one axis of a scenario.
    pub fn of(axis: &anneal_semantics::program::Axis) -> AxisRecord {
        let numbers: Option<Vec<_>> = axis
            .items
            .iter()
            .map(|item| match &item.value {
                AxisValue::Number(scalar) => Some(*scalar),
                _ => None,
            })
            .collect();
        AxisRecord {
            name: axis.target.name().to_string(),
            labels: axis.items.iter().map(|item| item.label.clone()).collect(),
            values: numbers
                .as_ref()
                .map(|numbers| numbers.iter().map(|n| n.value).collect()),
            unit: numbers
                .and_then(|numbers| numbers.first().map(|n| n.dim.si_symbol()))
                .unwrap_or_default(),
        }
    }
}

/// The whole sweep: `sweep.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    pub scenario: String,
    /// The axes in declaration order (the table's parameter columns).
    pub axes: Vec<AxisRecord>,
    pub run_count: usize,
    pub items: Vec<ItemRecord>,
    pub expectations: Vec<CrossRunRecord>,
    /// Expectations that could not be judged (they count as failed).
    pub expectation_errors: Vec<String>,
}

impl SweepReport {
    pub fn all_passed(&self) -> bool {
        self.expectation_errors.is_empty() && self.expectations.iter().all(|e| e.passed)
    }
}

/// Every statistic used by `expectations`, in the order written.
pub fn statistics(expectations: &[Expectation]) -> Vec<Statistic> {
    let mut out = Vec::new();
    for expectation in expectations {
        expectation
            .predicate
            .visit_statistics(&mut |statistic| out.push(statistic.clone()));
    }
    out
}

/// Runs one item of `scenario`, already checked to `program`, on the connectome and basis
/// `built` (shared by the items whose basis inputs agree).
fn run_item(
    scenario: &Scenario,
    item: &Item,
    program: anneal_semantics::program::Program,
    sources: anneal_diagnostics::SourceMap,
    built: anneal_runner::BuiltBasis,
) -> Result<ItemRecord, String> {
    let prepared = anneal_runner::prepare_program_on(program, sources, Vec::new(), built)
        .map_err(|failure| messages(&failure.diagnostics))?;
    let output = anneal_runner::results::run(&prepared, |_, _| {})?;
    let measures = statistics(&scenario.expectations)
        .iter()
        .map(|s| statistic(s, &output.traces))
        .collect::<Result<Vec<_>, _>>()?;
    record_run(
        item.index,
        item.choice.iter().cloned().collect(),
        &prepared,
        &output,
        measures,
    )
}

fn messages(diagnostics: &[anneal_diagnostics::Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The record of one finished run: its summary quantities, provenance and `measures`.
pub fn record_run(
    index: usize,
    parameters: BTreeMap<String, String>,
    prepared: &anneal_runner::Prepared,
    output: &anneal_runner::results::RunOutput,
    measures: Vec<f64>,
) -> Result<ItemRecord, String> {
    let summary = anneal_runner::results::summary(prepared, output).map_err(|e| e.to_string())?;
    let mut quantities = BTreeMap::new();
    let mut units = BTreeMap::new();
    for (name, q) in summary.quantities {
        quantities.insert(
            name.clone(),
            Stats {
                initial: q.stats.initial,
                final_value: q.stats.final_value,
                min: q.stats.min,
                max: q.stats.max,
                mean: q.stats.mean,
            },
        );
        units.insert(name, q.unit);
    }
    Ok(ItemRecord {
        index,
        parameters,
        seed: summary.provenance.seed,
        plan_hash: summary.provenance.plan_hash,
        quantities,
        units,
        measures,
    })
}

/// Runs the items of `scenario` selected by `shard` (every item, or those of one shard: see
/// [`shard::Shard::selects`]) on rayon, returning them in item order.
///
/// Three parallel phases: every item's program is checked; the connectome and mode basis are
/// built once for each distinct [`anneal_runner::BasisInputs`] (a sweep over seeds computes its
/// harmonics once, not once per item); then the items run. Nothing depends on which thread
/// did what, so the results are the same for any thread count.
pub fn run_items(
    path: &Path,
    scenario: &Scenario,
    shard: Option<shard::Shard>,
) -> Result<Vec<ItemRecord>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let name = path.display().to_string();
    let sources = anneal_semantics::check_file(path).sources;
    let script_dir = path.parent().unwrap_or(Path::new("."));
    let selected: Vec<Item> = items(scenario)
        .into_iter()
        .filter(|item| shard.is_none_or(|shard| shard.selects(item.index)))
        .collect();
    let fail = |item: &Item, error: String| {
        format!("item {} ({}): {error}", item.index, describe(&item.choice))
    };
    let programs: Vec<anneal_semantics::program::Program> = selected
        .par_iter()
        .map(|item| {
            check_scenario_item(&name, path, &text, &FsLoader, &scenario.name, &item.choice)
                .map_err(|error| fail(item, error))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<_, _>>()?;
    // Distinct basis inputs in item order, each with the first item that has them.
    let mut distinct: Vec<(anneal_runner::BasisInputs, usize)> = Vec::new();
    let basis_of: Vec<usize> = programs
        .iter()
        .enumerate()
        .map(|(position, program)| {
            let inputs = anneal_runner::BasisInputs::of(program);
            match distinct.iter().position(|(known, _)| *known == inputs) {
                Some(found) => found,
                None => {
                    distinct.push((inputs, position));
                    distinct.len() - 1
                }
            }
        })
        .collect();
    let bases: Vec<anneal_runner::BuiltBasis> = distinct
        .par_iter()
        .map(|(_, first)| {
            anneal_runner::build_basis_of(&programs[*first], script_dir)
                .map_err(|diagnostic| fail(&selected[*first], diagnostic.message.clone()))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<_, _>>()?;
    // Collected in item order first, so that the error reported is that of the first failing
    // item whatever the thread count.
    let results: Vec<Result<ItemRecord, String>> = selected
        .par_iter()
        .zip(programs)
        .zip(basis_of)
        .map(|((item, program), basis)| {
            run_item(
                scenario,
                item,
                program,
                sources.clone(),
                bases[basis].clone(),
            )
            .map_err(|error| fail(item, error))
        })
        .collect();
    results.into_iter().collect()
}

/// `cooling=slow, seed=3`.
pub fn describe(choice: &[(String, String)]) -> String {
    choice
        .iter()
        .map(|(axis, label)| format!("{axis}={label}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Judges the cross-run expectations over all the items of a scenario. A statistic with
/// `runs: {...}` is averaged over the items whose labels match; one without is averaged over
/// every item.
pub fn report(scenario: &Scenario, items: Vec<ItemRecord>) -> SweepReport {
    let used = statistics(&scenario.expectations);
    let measure = |wanted: &Statistic| -> Result<f64, String> {
        let slot = used
            .iter()
            .position(|s| s == wanted)
            .ok_or("a statistic outside the scenario's expectations")?;
        let values: Vec<f64> = items
            .iter()
            .filter(|item| {
                wanted
                    .runs
                    .iter()
                    .all(|(axis, label)| item.parameters.get(axis) == Some(label))
            })
            .map(|item| item.measures[slot])
            .collect();
        if values.is_empty() {
            return Err(format!(
                "no run matches {}",
                describe(
                    &wanted
                        .runs
                        .iter()
                        .map(|(a, l)| (a.clone(), l.clone()))
                        .collect::<Vec<_>>()
                )
            ));
        }
        Ok(values.iter().sum::<f64>() / values.len() as f64)
    };
    let (expectations, expectation_errors) = match judge_with(&scenario.expectations, &measure) {
        Ok(judged) => (judged.iter().map(record).collect(), Vec::new()),
        Err(error) => (Vec::new(), vec![error]),
    };
    SweepReport {
        scenario: scenario.name.clone(),
        axes: scenario.axes.iter().map(AxisRecord::of).collect(),
        run_count: scenario.run_count(),
        items,
        expectations,
        expectation_errors,
    }
}

fn record(judged: &Judged) -> CrossRunRecord {
    CrossRunRecord {
        text: judged.text.clone(),
        passed: judged.passed,
        measured: judged.describe(),
        comparisons: judged
            .comparisons
            .iter()
            .map(|c| ComparisonRecord {
                lhs: c.lhs,
                op: format!("{:?}", c.op),
                rhs: c.rhs,
                holds: c.holds,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curves_scenario() -> Scenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/valid/curves.anneal");
        let checked = anneal_semantics::check_file(&path);
        checked.program.expect("curves.anneal checks").scenarios[0].clone()
    }

    #[test]
    fn items_are_the_product_of_the_axes_with_the_last_axis_fastest() {
        let scenario = curves_scenario();
        let all = items(&scenario);
        let lengths: Vec<usize> = scenario.axes.iter().map(|a| a.items.len()).collect();
        assert_eq!(all.len(), lengths.iter().product::<usize>());
        let label = |item: &Item, axis: usize| item.choice[axis].1.clone();
        let last = scenario.axes.len() - 1;
        assert_eq!(label(&all[1], last), scenario.axes[last].items[1].label);
        assert_eq!(label(&all[1], 0), scenario.axes[0].items[0].label);
        assert_eq!(
            label(&all[lengths[last]], last),
            scenario.axes[last].items[0].label
        );
        let mut seen: Vec<Vec<(String, String)>> = all.iter().map(|i| i.choice.clone()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), all.len(), "every item is a different choice");
    }

    #[test]
    fn a_statistic_with_runs_averages_the_matching_items_only() {
        let scenario = curves_scenario();
        let slots = statistics(&scenario.expectations).len();
        let records: Vec<ItemRecord> = items(&scenario)
            .iter()
            .map(|item| ItemRecord {
                index: item.index,
                parameters: item.choice.iter().cloned().collect(),
                seed: 0,
                plan_hash: String::new(),
                quantities: BTreeMap::new(),
                units: BTreeMap::new(),
                // Items with cooling "0" measure -(index), the others +1: the mean over
                // cooling "0" is negative, so `>= 0` fails with that mean shown.
                measures: vec![
                    if item.choice[0].1 == "0" {
                        -(item.index as f64) - 1.0
                    } else {
                        1.0
                    };
                    slots
                ],
            })
            .collect();
        let matching: Vec<f64> = records
            .iter()
            .filter(|r| r.parameters["cooling"] == "0")
            .map(|r| r.measures[0])
            .collect();
        let expected = matching.iter().sum::<f64>() / matching.len() as f64;
        let report = report(&scenario, records);
        assert!(report.expectation_errors.is_empty());
        assert!(!report.expectations[0].passed);
        assert_eq!(report.expectations[0].comparisons[0].lhs, expected);
    }
}
