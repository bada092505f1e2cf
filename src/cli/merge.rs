//! `anneal merge SHARD_DIR... --out DIR`: joins the shard folders written by
//! `anneal test --shard K/N --out SHARD_DIR` into the sweep folders `anneal test --out DIR`
//! would have written, byte for byte, and judges the cross-run expectations.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cli::{EXIT_ERRORS, EXIT_OK};
use anneal_scenario::shard::{self, SHARD_FILE, ShardFile};
use anneal_scenario::{self as scenario, AxisRecord, sweep};

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The folders the shards were written to (their --out), one per shard.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Where to write the merged sweep folders.
    #[arg(long)]
    pub out: PathBuf,
}

/// Every `shard.yaml` under `dir`, keyed by its folder relative to `dir`.
fn find_shards(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    if !dir.is_dir() {
        return Err(format!("`{}` is not a folder", dir.display()));
    }
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|e| format!("cannot list `{}`: {e}", folder.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if path.is_dir() && !hidden {
                pending.push(path);
            } else if entry.file_name() == SHARD_FILE {
                let relative = folder.strip_prefix(dir).unwrap_or(&folder).to_path_buf();
                found.push((relative, path));
            }
        }
    }
    found.sort();
    Ok(found)
}

fn read_shard(path: &Path) -> Result<ShardFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    serde_norway::from_str(&text)
        .map_err(|e| format!("`{}` is not a shard file: {e}", path.display()))
}

/// Reads the script a sweep ran again and returns its scenario, after checking that neither
/// the script nor the scenario changed since the shards ran.
fn scenario_of(header: &ShardFile) -> Result<anneal_semantics::program::Scenario, String> {
    let name = format!("{} :: {}", header.script_relative, header.scenario);
    let path = Path::new(&header.script);
    if !path.is_file() {
        return Err(format!(
            "{name}: the script `{}` is not there (run `anneal merge` from the folder the shards ran in)",
            header.script
        ));
    }
    let checked = anneal_semantics::check_file(path);
    let program = checked
        .program
        .filter(|_| {
            !checked
                .diagnostics
                .iter()
                .any(anneal_diagnostics::Diagnostic::is_error)
        })
        .ok_or_else(|| format!("{name}: the script `{}` has errors now", header.script))?;
    if shard::script_hash(&checked.sources) != header.script_hash {
        return Err(format!(
            "{name}: the script `{}` or a file it imports changed since the shards ran",
            header.script
        ));
    }
    let scenario = program
        .scenarios
        .into_iter()
        .find(|s| s.name == header.scenario)
        .ok_or_else(|| format!("{name}: the script has no scenario `{}`", header.scenario))?;
    let axes: Vec<AxisRecord> = scenario.axes.iter().map(AxisRecord::of).collect();
    if axes != header.axes {
        return Err(format!(
            "{name}: the scenario's axes differ from the shards'"
        ));
    }
    Ok(scenario)
}

pub fn run(args: &MergeArgs) -> i32 {
    let mut sweeps: BTreeMap<PathBuf, Vec<(PathBuf, ShardFile)>> = BTreeMap::new();
    for dir in &args.shards {
        let found = match find_shards(dir) {
            Ok(found) => found,
            Err(error) => {
                eprintln!("error: {error}");
                return EXIT_ERRORS;
            }
        };
        if found.is_empty() {
            eprintln!(
                "error: `{}` holds no {SHARD_FILE} (write shards with `anneal test --shard K/N --out DIR`)",
                dir.display()
            );
            return EXIT_ERRORS;
        }
        for (relative, path) in found {
            match read_shard(&path) {
                Ok(file) => sweeps.entry(relative).or_default().push((path, file)),
                Err(error) => {
                    eprintln!("error: {error}");
                    return EXIT_ERRORS;
                }
            }
        }
    }
    // Every sweep is checked before anything is written, so a refused merge writes nothing.
    let mut merged = Vec::new();
    for (relative, shards) in sweeps {
        let joined = shard::merge(shards).and_then(|joined| {
            if joined.header.anneal_version != env!("CARGO_PKG_VERSION") {
                return Err(format!(
                    "{} :: {}: the shards were made by anneal {}, and this is anneal {}",
                    joined.header.script_relative,
                    joined.header.scenario,
                    joined.header.anneal_version,
                    env!("CARGO_PKG_VERSION")
                ));
            }
            let scenario = scenario_of(&joined.header)?;
            Ok((joined, scenario))
        });
        match joined {
            Ok(joined) => merged.push((relative, joined)),
            Err(error) => {
                eprintln!("error: {error}");
                return EXIT_ERRORS;
            }
        }
    }
    let mut failures = 0usize;
    for (relative, (joined, scenario)) in &merged {
        let header = &joined.header;
        let title = format!("{} :: {}", header.script_relative, header.scenario);
        let report = scenario::report(scenario, joined.items.clone());
        let mut ok = report.all_passed();
        crate::cli::test::print_expectations(&report);
        match sweep::write(
            &args.out.join(relative),
            &header.script_relative,
            &header.script_hash,
            &report,
        ) {
            Ok(path) => println!("  sweep: {}", path.display()),
            Err(error) => {
                println!("  cannot write the sweep: {error}");
                ok = false;
            }
        }
        println!(
            "{} {title} ({} runs from {} shards)",
            if ok { "ok  " } else { "FAIL" },
            report.run_count,
            header.shard.count
        );
        if !ok {
            failures += 1;
        }
    }
    println!(
        "merged: {} passed, {failures} failed",
        merged.len() - failures
    );
    if failures == 0 { EXIT_OK } else { EXIT_ERRORS }
}
