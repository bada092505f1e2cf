//! `anneal test [DIR] [--filter S] [--accept]`: runs every script under DIR that has scenarios,
//! judges their expectations and compares each scenario's results with its snapshot in
//! `snapshots/` beside the script. Under `CI=true` no snapshot is ever written.

use std::path::{Path, PathBuf};

use crate::cli::{EXIT_ERRORS, EXIT_OK};
use crate::scenario::{self, snapshot};

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The folder to search for `.anneal` scripts (recursively).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Only scripts whose path or scenario name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Write new snapshots where they differ or are missing (never under CI=true).
    #[arg(long)]
    pub accept: bool,
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
        let checked = crate::semantics::check_file(&script);
        let Some(program) = checked.program else {
            continue;
        };
        if checked
            .diagnostics
            .iter()
            .any(crate::diagnostics::Diagnostic::is_error)
        {
            continue;
        }
        for scenario in &program.scenarios {
            let wanted = args.filter.as_deref().is_none_or(|filter| {
                script.display().to_string().contains(filter) || scenario.name.contains(filter)
            });
            if !wanted {
                continue;
            }
            let title = format!("{} :: {}", script.display(), scenario.name);
            let items = match scenario::run_items(&script, scenario, None) {
                Ok(items) => items,
                Err(error) => {
                    println!("FAIL {title}: {error}");
                    failures += 1;
                    continue;
                }
            };
            let report = scenario::report(scenario, items);
            let mut ok = report.all_passed();
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
            let path = snapshot::path_for(&script, &scenario.name);
            let new = snapshot::of_report(&report);
            match snapshot::read(&path) {
                Ok(Some(old)) => {
                    let differences = snapshot::differences(&old, &new);
                    if !differences.is_empty() {
                        println!("  snapshot {} differs:", path.display());
                        for line in &differences {
                            println!("    {line}");
                        }
                        if write_allowed {
                            ok &= accept(&path, &new);
                        } else {
                            ok = false;
                        }
                    }
                }
                Ok(None) => {
                    if write_allowed {
                        ok &= accept(&path, &new);
                    } else {
                        println!(
                            "  no snapshot {} (run `anneal test --accept` to write it)",
                            path.display()
                        );
                        ok = false;
                    }
                }
                Err(error) => {
                    println!("  {error}");
                    ok = false;
                }
            }
            println!(
                "{} {title} ({} runs)",
                if ok { "ok  " } else { "FAIL" },
                report.run_count
            );
            if ok {
                passed += 1;
            } else {
                failures += 1;
            }
        }
    }
    println!("scenarios: {passed} passed, {failures} failed");
    if failures == 0 { EXIT_OK } else { EXIT_ERRORS }
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
