//! `anneal test [DIR] [--filter S] [--accept] [--out OUT] [--shard K/N]`: runs every script
//! under DIR that has scenarios or expectations, judges their expectations and compares each
//! scenario's results, and each script's own run, with its snapshot in `snapshots/` beside the
//! script. Under `CI=true` no snapshot is ever
//! written. With `--out`, every sweep's folder (table, plots, `sweep.yaml`) is written under OUT;
//! with `--shard K/N`, only that shard's items run, and OUT receives their `shard.yaml` for
//! `anneal merge`.

use std::path::{Path, PathBuf};

use crate::cli::plan::report_failure;
use crate::cli::{EXIT_ERRORS, EXIT_OK};
use anneal_diagnostics::{RenderOptions, render_all};
use anneal_runner as runner;
use anneal_scenario::shard::{Shard, ShardFile, script_hash};
use anneal_scenario::{self as scenario, snapshot, sweep};
use anneal_semantics::program::Scenario;

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The folder to search for `.anneal` scripts (recursively).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Only scripts whose path or scenario name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Write new snapshots where they differ or are missing (never under CI=true).
    #[arg(long, conflicts_with = "shard")]
    pub accept: bool,
    /// Write every sweep's folder (table.csv, table.yaml, plots, sweep.yaml) under this folder,
    /// at the script's path relative to DIR, named STEM.SCENARIO.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only shard K of N (K from 1): the items whose index is K-1 modulo N. Their results go
    /// to `shard.yaml` under --out, for `anneal merge`; the expectations are judged there.
    #[arg(long, requires = "out")]
    pub shard: Option<Shard>,
    /// Only run the scenarios' items and write their sweep (or shard) folders: compare no
    /// snapshot and skip the scripts' own runs. What `anneal submit`'s tasks run, since a
    /// sweep made for its results usually has no snapshot.
    #[arg(long, conflicts_with = "accept")]
    pub sweeps_only: bool,
}

/// The `.anneal` files under `dir`, sorted, skipping hidden folders, `target` and `snapshots`.
pub fn find_scripts(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !(name.starts_with('.') || name == "target" || name == "snapshots") {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "anneal") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

pub fn run(args: &TestArgs) -> i32 {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let write_allowed = args.accept && !ci;
    if args.accept && ci {
        eprintln!("note: CI=true, so --accept writes nothing");
    }
    let mut failures = 0usize;
    let mut passed = 0usize;
    for script in find_scripts(&args.dir) {
        let wanted = args
            .filter
            .as_deref()
            .is_none_or(|filter| script.display().to_string().contains(filter));
        let checked = anneal_semantics::check_file(&script);
        let program = match checked.program {
            Some(program)
                if !checked
                    .diagnostics
                    .iter()
                    .any(anneal_diagnostics::Diagnostic::is_error) =>
            {
                program
            }
            // A script that does not check may hold the scenarios the library relies on, so it
            // fails the test rather than dropping out of it unseen.
            _ => {
                if wanted {
                    eprint!(
                        "{}",
                        render_all(
                            &checked.diagnostics,
                            &checked.sources,
                            RenderOptions::for_stderr()
                        )
                    );
                    println!("FAIL {}: the script does not check", script.display());
                    failures += 1;
                }
                continue;
            }
        };
        let relative = script.strip_prefix(&args.dir).unwrap_or(&script);
        let hash = script_hash(&checked.sources);
        let context = Context {
            script: &script,
            relative,
            hash: &hash,
            write_allowed,
        };
        // A script's own expectations are judged on its own run, as `anneal run` would; a
        // sharded test gives that run to shard 1, as if it were the script's item 0.
        if !program.expectations.is_empty()
            && !args.sweeps_only
            && wanted
            && args.shard.is_none_or(|shard| shard.selects(0))
        {
            if test_run(&context) {
                passed += 1;
            } else {
                failures += 1;
            }
        }
        for scenario in &program.scenarios {
            let wanted = args.filter.as_deref().is_none_or(|filter| {
                script.display().to_string().contains(filter) || scenario.name.contains(filter)
            });
            if !wanted {
                continue;
            }
            let ok = match args.shard {
                Some(shard) => test_shard(args, &context, scenario, shard),
                None => test_scenario(args, &context, scenario),
            };
            if ok {
                passed += 1;
            } else {
                failures += 1;
            }
        }
    }
    println!("tests: {passed} passed, {failures} failed");
    if failures == 0 { EXIT_OK } else { EXIT_ERRORS }
}

/// Where a scenario comes from.
struct Context<'a> {
    script: &'a Path,
    /// The script's path relative to the folder searched.
    relative: &'a Path,
    /// [`script_hash`] of the script and its imports.
    hash: &'a str,
    write_allowed: bool,
}

/// Runs a script's experiment as `anneal run` would, judges its expectations and compares the
/// run's summary with its snapshot `snapshots/STEM.yaml`; returns whether everything passed.
fn test_run(context: &Context<'_>) -> bool {
    let title = format!("{} :: run", context.script.display());
    let prepared = match runner::prepare(context.script, None) {
        Ok(prepared) => prepared,
        Err(failure) => {
            report_failure(&failure);
            println!("FAIL {title}: the script cannot be prepared");
            return false;
        }
    };
    let estimates = runner::estimates(&prepared.lowered.plan, &prepared.basis);
    if let Some(refusal) =
        runner::check_memory(&prepared, &estimates, runner::default_memory_limit())
    {
        println!("FAIL {title}: {}", refusal.message);
        return false;
    }
    let outcome = runner::results::run(&prepared, |_, _| {}).and_then(|output| {
        let record = scenario::record_run(0, Default::default(), &prepared, &output, Vec::new())?;
        Ok((output, record))
    });
    let (output, record) = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            println!("FAIL {title}: {error}");
            return false;
        }
    };
    for judged in &output.judged {
        println!(
            "  {} expect {}  ({})",
            if judged.passed { "pass" } else { "FAIL" },
            judged.text,
            judged.describe()
        );
    }
    for error in &output.expectation_errors {
        println!("  FAIL {error}");
    }
    let mut ok = output.all_passed();
    let path = snapshot::run_path_for(context.script);
    ok &= compare_snapshot(
        &path,
        &snapshot::of_run(&record),
        context.write_allowed,
        false,
    );
    println!("{} {title}", if ok { "ok  " } else { "FAIL" });
    ok
}

/// Runs every item of a scenario, judges it, compares it with its snapshot and writes its sweep
/// folder when asked; returns whether everything passed.
fn test_scenario(args: &TestArgs, context: &Context<'_>, scenario: &Scenario) -> bool {
    let title = format!("{} :: {}", context.script.display(), scenario.name);
    let items = match scenario::run_items(context.script, scenario, None) {
        Ok(items) => items,
        Err(error) => {
            println!("FAIL {title}: {error}");
            return false;
        }
    };
    let report = scenario::report(scenario, items);
    let mut ok = report.all_passed();
    print_expectations(&report);
    let path = snapshot::path_for(context.script, &scenario.name);
    ok &= args.sweeps_only
        || compare_snapshot(
            &path,
            &snapshot::of_report(&report),
            context.write_allowed,
            false,
        );
    if let Some(out) = &args.out {
        let folder = out.join(sweep::folder(context.relative, &scenario.name));
        let relative = context.relative.display().to_string();
        match sweep::write(&folder, &relative, context.hash, &report) {
            Ok(path) => println!("  sweep: {}", path.display()),
            Err(error) => {
                println!("  cannot write the sweep: {error}");
                ok = false;
            }
        }
    }
    println!(
        "{} {title} ({} runs)",
        if ok { "ok  " } else { "FAIL" },
        report.run_count
    );
    ok
}

/// Runs one shard of a scenario, compares its items with theirs in the snapshot and writes its
/// `shard.yaml`; the cross-run expectations wait for `anneal merge`.
fn test_shard(args: &TestArgs, context: &Context<'_>, scenario: &Scenario, shard: Shard) -> bool {
    let title = format!(
        "{} :: {} (shard {shard})",
        context.script.display(),
        scenario.name
    );
    let items = match scenario::run_items(context.script, scenario, Some(shard)) {
        Ok(items) => items,
        Err(error) => {
            println!("FAIL {title}: {error}");
            return false;
        }
    };
    let count = items.len();
    // The report of a part of the items serves only to name them as the snapshot does.
    let partial = scenario::report(scenario, items);
    let path = snapshot::path_for(context.script, &scenario.name);
    let mut ok =
        args.sweeps_only || compare_snapshot(&path, &snapshot::of_report(&partial), false, true);
    let file = ShardFile {
        anneal_version: env!("CARGO_PKG_VERSION").to_string(),
        script: context.script.display().to_string(),
        script_relative: context.relative.display().to_string(),
        script_hash: context.hash.to_string(),
        scenario: scenario.name.clone(),
        axes: partial.axes,
        run_count: partial.run_count,
        shard,
        items: partial.items,
    };
    if let Some(out) = &args.out {
        let folder = out.join(sweep::folder(context.relative, &scenario.name));
        match sweep::write_shard(&folder, &file) {
            Ok(path) => println!("  shard: {}", path.display()),
            Err(error) => {
                println!("  cannot write the shard: {error}");
                ok = false;
            }
        }
    }
    println!(
        "{} {title} ({count} of {} runs; expectations are judged by `anneal merge`)",
        if ok { "ok  " } else { "FAIL" },
        file.run_count
    );
    ok
}

/// Compares `new` with the snapshot at `path` (only the items `new` holds when `partial`),
/// printing the differences, and writes it when allowed; returns whether it matched or was
/// written.
/// Prints each cross-run expectation of a sweep with its measured values, and each expectation
/// that could not be judged.
pub(super) fn print_expectations(report: &scenario::SweepReport) {
    for expectation in &report.expectations {
        println!(
            "  {} expect {}  ({})",
            if expectation.passed { "pass" } else { "FAIL" },
            expectation.text,
            expectation.measured
        );
    }
    for error in &report.expectation_errors {
        println!("  FAIL {error}");
    }
}

fn compare_snapshot(
    path: &Path,
    new: &snapshot::Snapshot,
    write_allowed: bool,
    partial: bool,
) -> bool {
    match snapshot::read(path) {
        Ok(Some(mut old)) => {
            if partial {
                old.retain(|item, _| new.contains_key(item));
            }
            let differences = snapshot::differences(&old, new);
            if differences.is_empty() {
                return true;
            }
            println!("  snapshot {} differs:", path.display());
            for line in &differences {
                println!("    {line}");
            }
            write_allowed && accept(path, new)
        }
        Ok(None) => {
            if write_allowed {
                accept(path, new)
            } else {
                println!(
                    "  no snapshot {} (run `anneal test --accept` to write it)",
                    path.display()
                );
                false
            }
        }
        Err(error) => {
            println!("  {error}");
            false
        }
    }
}

fn accept(path: &Path, snapshot: &snapshot::Snapshot) -> bool {
    match snapshot::write(path, snapshot) {
        Ok(()) => {
            println!("  wrote {}", path.display());
            true
        }
        Err(error) => {
            println!("  {error}");
            false
        }
    }
}
