//! `anneal plan FILE`: the compiled plan as YAML, with its hash and estimates.

use std::path::PathBuf;

use crate::cli::{EXIT_ERRORS, EXIT_OK};
use anneal_diagnostics::{RenderOptions, render_all};
use anneal_runner::{self as runner, Failure};

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The script to compile.
    pub file: PathBuf,
    /// Replace the script's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Refuse a run that would need more memory than this (e.g. 512MB, 2GB; default: half
    /// of the machine's memory).
    #[arg(long, value_parser = runner::parse_bytes)]
    pub max_memory: Option<u64>,
}

/// Prints diagnostics of a failed preparation on stderr.
pub fn report_failure(failure: &Failure) {
    eprint!(
        "{}",
        render_all(
            &failure.diagnostics,
            &failure.sources,
            RenderOptions::for_stderr()
        )
    );
}

pub fn run(args: &PlanArgs) -> i32 {
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
    let document = prepared.plan_document();
    let limit = args.max_memory.unwrap_or_else(runner::default_memory_limit);
    match serde_norway::to_string(&document) {
        Ok(text) => print!("{text}"),
        Err(error) => {
            eprintln!("error: cannot serialise the plan: {error}");
            return EXIT_ERRORS;
        }
    }
    if let Some(refusal) = runner::check_memory(&prepared, &document.estimates, limit) {
        eprint!("{}", render_all(&[refusal], &prepared.sources, options));
        return EXIT_ERRORS;
    }
    EXIT_OK
}
