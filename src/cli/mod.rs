//! The command-line interface: one clap subcommand per file in this folder.

pub mod check;
pub mod explain;
pub mod fmt;
pub mod harmonics;
pub mod merge;
pub mod plan;
pub mod progress;
pub mod repl;
pub mod run;
pub mod status;
pub mod submit;
pub mod test;

use clap::{Parser, Subcommand};

/// `anneal`: a language and interpreter for neural-annealing experiments.
#[derive(Debug, Parser)]
#[command(name = "anneal", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check scripts: every error at once, with spans, codes and help.
    Check(check::CheckArgs),
    /// Format scripts in the canonical layout.
    Fmt(fmt::FmtArgs),
    /// Explain a diagnostic code at length, with an example.
    Explain(explain::ExplainArgs),
    /// Compute the connectome harmonics of a script: table, CSV, .npy, spectrum plot, painted modes.
    Harmonics(harmonics::HarmonicsArgs),
    /// Compile a script to its deterministic plan: YAML with hash and estimates.
    Plan(plan::PlanArgs),
    /// Run a script and write its results folder; exit 1 if an expectation fails.
    Run(run::RunArgs),
    /// Run every scenario under a folder, judge it and compare it with its snapshots.
    Test(test::TestArgs),
    /// Load a script and step through it interactively, looking inside the engine.
    Repl(repl::ReplArgs),
    /// Join the shard folders of `anneal test --shard K/N` into the unsharded sweep folders.
    Merge(merge::MergeArgs),
    /// Run a library's sweeps on a SLURM cluster: a job array of shards, then their merge.
    Submit(submit::SubmitArgs),
    /// The state of a sweep sent by `anneal submit`; --resume resubmits what failed.
    Status(status::StatusArgs),
}

/// Exit codes: 0 success, 1 the input has errors (or `fmt --check` found changes), 2 usage errors.
pub const EXIT_OK: i32 = 0;
pub const EXIT_ERRORS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

/// Runs a parsed command line and returns the exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Harmonics(args) => harmonics::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Repl(args) => repl::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Submit(args) => submit::run(&args),
        Command::Status(args) => status::run(&args),
    }
}
