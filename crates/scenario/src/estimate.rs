//! What a sweep's items will cost before any of them runs: every item is checked and lowered to
//! its plan, and the plan's estimates ([`anneal_runner::estimates`]) give its run time on one
//! core and its memory. `anneal submit` sizes its SLURM tasks from these (see [`super::slurm`]).
//!
//! The estimates need each item's mode basis (the plan's memory depends on its shape), so every
//! distinct basis of the sweep is built here once, as [`super::run_items`] would; how long that
//! took is measured and kept, because every task of the job array builds the bases of its
//! items again before running them.

use std::path::Path;
use std::time::Instant;

use anneal_semantics::program::Scenario;
use anneal_semantics::{FsLoader, check_scenario_item};

use super::{Item, describe, items};

/// The cost of one item, from its plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemEstimate {
    pub index: usize,
    /// Wall-clock seconds on one core ([`anneal_runner::Estimates::run_seconds`]).
    pub run_seconds: f64,
    /// Bytes of engine state and recorded columns ([`anneal_runner::Estimates::memory_bytes`]).
    pub memory_bytes: u64,
}

/// The cost of every item of one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepEstimate {
    pub scenario: String,
    /// Seconds this machine took to build every distinct connectome and basis of the sweep
    /// (a task that runs any item of the sweep builds at most these).
    pub basis_seconds: f64,
    /// Every item, in index order.
    pub items: Vec<ItemEstimate>,
}

/// Checks and lowers every item of `scenario` in the script at `path` and estimates it. Fails
/// with the first item that does not check or lower, as a run would.
pub fn estimate_items(path: &Path, scenario: &Scenario) -> Result<SweepEstimate, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let name = path.display().to_string();
    let sources = anneal_semantics::check_file(path).sources;
    let script_dir = path.parent().unwrap_or(Path::new("."));
    let fail = |item: &Item, error: String| {
        format!("item {} ({}): {error}", item.index, describe(&item.choice))
    };
    let mut bases: Vec<(anneal_runner::BasisInputs, anneal_runner::BuiltBasis)> = Vec::new();
    let mut basis_seconds = 0.0;
    let mut estimates = Vec::new();
    // One item after the other, on this thread: the time measured for the bases is then that of
    // one core, as the estimates of the runs are.
    for item in items(scenario) {
        let program =
            check_scenario_item(&name, path, &text, &FsLoader, &scenario.name, &item.choice)
                .map_err(|error| fail(&item, error))?;
        let inputs = anneal_runner::BasisInputs::of(&program);
        let built = match bases.iter().find(|(known, _)| *known == inputs) {
            Some((_, built)) => built.clone(),
            None => {
                let start = Instant::now();
                let built = anneal_runner::build_basis_of(&program, script_dir)
                    .map_err(|diagnostic| fail(&item, diagnostic.message.clone()))?;
                basis_seconds += start.elapsed().as_secs_f64();
                bases.push((inputs, built.clone()));
                built
            }
        };
        let prepared =
            anneal_runner::prepare_program_on(program, sources.clone(), Vec::new(), built)
                .map_err(|failure| {
                    let messages: Vec<String> = failure
                        .diagnostics
                        .iter()
                        .map(|d| d.message.clone())
                        .collect();
                    fail(&item, messages.join("; "))
                })?;
        let estimate = anneal_runner::estimates(&prepared.lowered.plan, &prepared.basis);
        estimates.push(ItemEstimate {
            index: item.index,
            run_seconds: estimate.run_seconds,
            memory_bytes: estimate.memory_bytes,
        });
    }
    Ok(SweepEstimate {
        scenario: scenario.name.clone(),
        basis_seconds,
        items: estimates,
    })
}
