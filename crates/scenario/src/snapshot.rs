//! Snapshots of scenario results: per item, every summary quantity, as YAML in `snapshots/`
//! beside the script, and the readable differences between an old and a new snapshot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{ItemRecord, SweepReport};

/// What a snapshot holds: item (`cooling=slow, seed=3`) → `quantity.statistic` → value.
pub type Snapshot = BTreeMap<String, BTreeMap<String, f64>>;

/// The snapshot of a sweep.
pub fn of_report(report: &SweepReport) -> Snapshot {
    report
        .items
        .iter()
        .map(|item| {
            let key = report
                .axes
                .iter()
                .map(|axis| {
                    format!(
                        "{}={}",
                        axis.name,
                        item.parameters.get(&axis.name).map_or("", String::as_str)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            (key, values(item))
        })
        .collect()
}

/// The item key of a script's own run (without a scenario) in its snapshot.
pub const RUN_KEY: &str = "run";

/// The snapshot of a script's own run: one item, [`RUN_KEY`].
pub fn of_run(run: &ItemRecord) -> Snapshot {
    Snapshot::from([(RUN_KEY.to_string(), values(run))])
}

/// `quantity.statistic` → value for every summary statistic of an item.
fn values(item: &ItemRecord) -> BTreeMap<String, f64> {
    let mut values = BTreeMap::new();
    for (name, stats) in &item.quantities {
        values.insert(format!("{name}.initial"), stats.initial);
        values.insert(format!("{name}.final"), stats.final_value);
        values.insert(format!("{name}.min"), stats.min);
        values.insert(format!("{name}.max"), stats.max);
        values.insert(format!("{name}.mean"), stats.mean);
    }
    values
}

/// `snapshots/STEM.yaml` beside the script: the snapshot of its own run. It cannot collide with
/// a scenario's, whose names always have a second dot.
pub fn run_path_for(script: &Path) -> PathBuf {
    let stem = script
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    script
        .parent()
        .unwrap_or(Path::new("."))
        .join("snapshots")
        .join(format!("{stem}.yaml"))
}

/// `snapshots/STEM.SCENARIO.yaml` beside the script, the scenario name made file-safe.
pub fn path_for(script: &Path, scenario: &str) -> PathBuf {
    let stem = script
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let safe: String = scenario
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    script
        .parent()
        .unwrap_or(Path::new("."))
        .join("snapshots")
        .join(format!("{stem}.{safe}.yaml"))
}

/// Reads a snapshot; `Ok(None)` when there is none.
pub fn read(path: &Path) -> Result<Option<Snapshot>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_norway::from_str(&text)
            .map(Some)
            .map_err(|e| format!("cannot read the snapshot `{}`: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read `{}`: {e}", path.display())),
    }
}

/// Writes a snapshot (creating `snapshots/`).
pub fn write(path: &Path, snapshot: &Snapshot) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    }
    anneal_output::yaml::write(path, snapshot).map_err(|e| e.to_string())
}

/// One line per difference: `item: quantity: old X, new Y` (`missing` for an absent side).
pub fn differences(old: &Snapshot, new: &Snapshot) -> Vec<String> {
    let mut lines = Vec::new();
    let empty = BTreeMap::new();
    let items: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for item in items {
        let (before, after) = (
            old.get(item).unwrap_or(&empty),
            new.get(item).unwrap_or(&empty),
        );
        let names: std::collections::BTreeSet<&String> =
            before.keys().chain(after.keys()).collect();
        for name in names {
            let (a, b) = (before.get(name), after.get(name));
            if a.map(|v| v.to_bits()) != b.map(|v| v.to_bits()) {
                let show = |v: Option<&f64>| v.map_or("missing".to_string(), |v| format!("{v}"));
                lines.push(format!("{item}: {name}: old {}, new {}", show(a), show(b)));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_the_item_the_quantity_and_both_values() {
        let mut old = Snapshot::new();
        old.insert(
            "seed=1".into(),
            BTreeMap::from([
                ("frustration.final".into(), 0.5),
                ("energy.mean".into(), 1.0),
            ]),
        );
        let mut new = old.clone();
        new.get_mut("seed=1")
            .unwrap()
            .insert("frustration.final".into(), 0.25);
        new.insert(
            "seed=2".into(),
            BTreeMap::from([("energy.mean".into(), 2.0)]),
        );
        assert_eq!(
            differences(&old, &new),
            vec![
                "seed=1: frustration.final: old 0.5, new 0.25".to_string(),
                "seed=2: energy.mean: old missing, new 2".to_string(),
            ]
        );
        assert!(differences(&old, &old).is_empty());
    }
}
