//! `anneal run FILE [--out DIR] [--seed N]`: run a script and write its results folder.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::plan::report_failure;
use crate::cli::progress::Progress;
use crate::cli::{EXIT_ERRORS, EXIT_OK};
use anneal_diagnostics::{RenderOptions, render_all};
use anneal_runner::{self as runner, format_bytes};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The script to run.
    pub file: PathBuf,
    /// The results folder (default: the script's `record ... to`, or `results/STEM`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the script's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Refuse a run that would need more memory than this (e.g. 512MB, 2GB; default: half
    /// of the machine's memory).
    #[arg(long, value_parser = runner::parse_bytes)]
    pub max_memory: Option<u64>,
}

pub fn run(args: &RunArgs) -> i32 {
    let prepared = match runner::prepare(&args.file, args.seed) {
        Ok(prepared) => prepared,
        Err(failure) => {
            report_failure(&failure);
            return EXIT_ERRORS;
        }
    };
    let options = RenderOptions::for_stderr();
    eprint!(
        "{}",
        render_all(&prepared.warnings, &prepared.sources, options)
    );
    for note in prepared
        .connectome_notes
        .iter()
        .chain(&prepared.harmonics_notes)
    {
        eprintln!("note: {note}");
    }
    let plan = &prepared.lowered.plan;
    let estimates = runner::estimates(plan, &prepared.basis);
    let limit = args.max_memory.unwrap_or_else(runner::default_memory_limit);
    if let Some(refusal) = runner::check_memory(&prepared, &estimates, limit) {
        eprint!("{}", render_all(&[refusal], &prepared.sources, options));
        return EXIT_ERRORS;
    }
    let basis = prepared.basis_summary();
    println!("experiment \"{}\"", prepared.program.experiment.name);
    println!(
        "  plan {}  seed {}  {} steps of {} s ({} s)",
        &plan.content_hash()[..16],
        plan.seed,
        plan.n_steps,
        plan.dt,
        plan.n_steps as f64 * plan.dt
    );
    println!(
        "  connectome {} nodes; modes: {} CSHW, {} RSHW, {} SSHW ({:.3}–{:.3} Hz); landscape {} nodes",
        basis.nodes,
        basis.csh,
        basis.rsh,
        basis.ssh,
        basis.lowest_frequency_hz,
        basis.highest_frequency_hz,
        basis.landscape_nodes
    );
    println!(
        "  sources: {}",
        if plan.sources.is_empty() {
            "none".to_string()
        } else {
            plan.sources
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    println!(
        "  estimates: {} memory, about {:.0} s",
        format_bytes(estimates.memory_bytes),
        estimates.run_seconds.max(1.0)
    );
    let progress = if std::io::stderr().is_terminal() {
        Progress::new(plan.n_steps, &prepared.program.experiment.name)
    } else {
        Progress::hidden(plan.n_steps, &prepared.program.experiment.name)
    };
    let mut done = 0;
    let output = runner::results::run(&prepared, |now, _| {
        progress.advance(now - done);
        done = now;
    });
    progress.finish();
    let output = match output {
        Ok(output) => output,
        Err(error) => {
            eprintln!("error: the run failed: {error}");
            return EXIT_ERRORS;
        }
    };
    let folder = args
        .out
        .clone()
        .unwrap_or_else(|| prepared.default_output(&args.file));
    match runner::results::write(&prepared, &output, &folder) {
        Ok(path) => println!("results: {}", path.display()),
        Err(error) => {
            eprintln!("error: cannot write the results: {error}");
            return EXIT_ERRORS;
        }
    }
    for judged in &output.judged {
        println!(
            "{} expect {}  ({})",
            if judged.passed { "pass" } else { "FAIL" },
            judged.text,
            judged.describe()
        );
    }
    for error in &output.expectation_errors {
        println!("FAIL {error}");
    }
    let failed =
        output.judged.iter().filter(|j| !j.passed).count() + output.expectation_errors.len();
    if output.judged.len() + output.expectation_errors.len() > 0 {
        println!(
            "expectations: {} passed, {} failed",
            output.judged.len() - (failed - output.expectation_errors.len()),
            failed
        );
    }
    if output.all_passed() {
        EXIT_OK
    } else {
        EXIT_ERRORS
    }
}
