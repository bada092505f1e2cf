//! Shards: `anneal test --shard K/N` runs every item whose index is `K - 1` modulo `N` and
//! writes them to `shard.yaml`; [`merge`] joins the shards of one sweep back into all of its
//! items, refusing shards that do not belong together.
//!
//! Items are dealt round-robin rather than in contiguous blocks because the last axis varies
//! fastest: with `vary duration in [...]` first and `vary seed in 1..8` last, contiguous blocks
//! would give one shard all the long runs, while round-robin gives every shard a mix.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{AxisRecord, ItemRecord};
use anneal_diagnostics::{FileId, SourceMap};

/// One shard of a sweep: number `number` (from 1) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub number: usize,
    pub count: usize,
}

impl Shard {
    /// Whether the item with this index (from 0) belongs to this shard.
    pub fn selects(self, index: usize) -> bool {
        index % self.count == self.number - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.number, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N` with `1 <= K <= N`, as job arrays number their tasks.
    fn from_str(text: &str) -> Result<Shard, String> {
        let usage =
            || format!("`{text}` is not a shard: write K/N, for example 2/8 (K from 1 to N)");
        let (number, count) = text.split_once('/').ok_or_else(usage)?;
        let number: usize = number.trim().parse().map_err(|_| usage())?;
        let count: usize = count.trim().parse().map_err(|_| usage())?;
        if count == 0 || number == 0 || number > count {
            return Err(format!(
                "`{text}` is not a shard: K must be between 1 and N (shards are numbered from 1)"
            ));
        }
        Ok(Shard { number, count })
    }
}

/// The file name of a shard's results inside its sweep folder.
pub const SHARD_FILE: &str = "shard.yaml";

/// `shard.yaml`: what one shard ran, with everything [`merge`] needs to check that shards
/// belong together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    pub anneal_version: String,
    /// The script's path as the shard was run (relative to the working folder then), which
    /// `anneal merge` reads again to judge the expectations.
    pub script: String,
    /// The script's path relative to the folder `anneal test` searched (the sweep's folder name).
    pub script_relative: String,
    /// Hash of the script and every file it imports (see [`script_hash`]).
    pub script_hash: String,
    pub scenario: String,
    pub axes: Vec<AxisRecord>,
    pub run_count: usize,
    pub shard: Shard,
    pub items: Vec<ItemRecord>,
}

/// A blake3 hash of the text of every file of a checked script (the script first, then its
/// imports in loading order), so that a changed script or module is noticed at merge time.
pub fn script_hash(sources: &SourceMap) -> String {
    let mut hasher = blake3::Hasher::new();
    for file in 0..sources.len() {
        let text = sources.text(FileId(file));
        hasher.update(&(text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    hasher.finalize().to_hex().to_string()
}

/// All the items of one sweep, joined from its shards.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The header every shard agreed on (its `shard` and `items` are those of the first shard).
    pub header: ShardFile,
    /// Every item, in index order.
    pub items: Vec<ItemRecord>,
}

/// Joins the shards of one sweep (`(where it was read, its contents)`). Refuses shards of
/// different anneal versions, scripts, scenarios or shard counts, a shard given twice or
/// missing, and items that are missing, repeated or not of their shard.
pub fn merge(shards: Vec<(PathBuf, ShardFile)>) -> Result<Merged, String> {
    let Some((first_path, first)) = shards.first() else {
        return Err("no shards to merge".into());
    };
    let name = format!("{} :: {}", first.script_relative, first.scenario);
    let mut by_number: Vec<Option<&PathBuf>> = vec![None; first.shard.count];
    for (path, shard) in &shards {
        let differs = |what: &str, a: &dyn fmt::Display, b: &dyn fmt::Display| {
            Err(format!(
                "{name}: `{}` and `{}` do not belong to the same sweep: {what} {a} against {b}",
                first_path.display(),
                path.display()
            ))
        };
        if shard.anneal_version != first.anneal_version {
            return differs(
                "made by anneal",
                &first.anneal_version,
                &shard.anneal_version,
            );
        }
        if shard.script_relative != first.script_relative || shard.scenario != first.scenario {
            return differs(
                "sweep",
                &format!("{} :: {}", first.script_relative, first.scenario),
                &format!("{} :: {}", shard.script_relative, shard.scenario),
            );
        }
        if shard.script_hash != first.script_hash {
            return differs(
                "the script's text (hash)",
                &short(&first.script_hash),
                &short(&shard.script_hash),
            );
        }
        if shard.axes != first.axes || shard.run_count != first.run_count {
            return differs(
                "the scenario's items (runs)",
                &first.run_count,
                &shard.run_count,
            );
        }
        if shard.shard.count != first.shard.count {
            return differs("shard count", &first.shard.count, &shard.shard.count);
        }
        let slot = &mut by_number[shard.shard.number - 1];
        if let Some(earlier) = slot {
            return Err(format!(
                "{name}: shard {} is given twice, in `{}` and `{}`",
                shard.shard,
                earlier.display(),
                path.display()
            ));
        }
        *slot = Some(path);
    }
    let missing: Vec<String> = by_number
        .iter()
        .enumerate()
        .filter(|(_, found)| found.is_none())
        .map(|(number, _)| format!("{}/{}", number + 1, first.shard.count))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{name}: missing shard{} {}",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        ));
    }
    let mut slots: Vec<Option<ItemRecord>> = vec![None; first.run_count];
    for (path, shard) in &shards {
        for item in &shard.items {
            if item.index >= first.run_count || !shard.shard.selects(item.index) {
                return Err(format!(
                    "{name}: `{}` holds item {}, which is not an item of shard {}",
                    path.display(),
                    item.index,
                    shard.shard
                ));
            }
            if slots[item.index].replace(item.clone()).is_some() {
                return Err(format!(
                    "{name}: item {} appears twice in `{}`",
                    item.index,
                    path.display()
                ));
            }
        }
    }
    let absent: Vec<String> = slots
        .iter()
        .enumerate()
        .filter(|(_, item)| item.is_none())
        .map(|(index, _)| index.to_string())
        .collect();
    if !absent.is_empty() {
        return Err(format!(
            "{name}: the shards lack item{} {}",
            if absent.len() == 1 { "" } else { "s" },
            absent.join(", ")
        ));
    }
    Ok(Merged {
        header: first.clone(),
        items: slots.into_iter().flatten().collect(),
    })
}

fn short(hash: &str) -> String {
    hash.chars().take(16).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn shards_parse_from_one_and_refuse_nonsense() {
        assert_eq!(
            "2/8".parse::<Shard>(),
            Ok(Shard {
                number: 2,
                count: 8
            })
        );
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "-1/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_item_belongs_to_exactly_one_shard() {
        let count = 3;
        for index in 0..20 {
            let owners = (1..=count)
                .filter(|&number| Shard { number, count }.selects(index))
                .count();
            assert_eq!(owners, 1, "item {index}");
        }
    }

    fn item(index: usize) -> ItemRecord {
        ItemRecord {
            index,
            parameters: BTreeMap::from([("seed".to_string(), index.to_string())]),
            seed: index as u64,
            plan_hash: format!("plan{index}"),
            quantities: BTreeMap::new(),
            units: BTreeMap::new(),
            measures: vec![index as f64],
        }
    }

    fn shard(number: usize, count: usize, run_count: usize) -> (PathBuf, ShardFile) {
        let shard = Shard { number, count };
        (
            PathBuf::from(format!("shard{number}/sweep/shard.yaml")),
            ShardFile {
                anneal_version: "0.1.0".into(),
                script: "lab/sweep.anneal".into(),
                script_relative: "sweep.anneal".into(),
                script_hash: "abc".into(),
                scenario: "seeds".into(),
                axes: Vec::new(),
                run_count,
                shard,
                items: (0..run_count)
                    .filter(|&i| shard.selects(i))
                    .map(item)
                    .collect(),
            },
        )
    }

    #[test]
    fn complete_shards_merge_into_every_item_in_order() {
        let merged = merge(vec![shard(3, 3, 7), shard(1, 3, 7), shard(2, 3, 7)]).unwrap();
        let indices: Vec<usize> = merged.items.iter().map(|i| i.index).collect();
        assert_eq!(indices, (0..7).collect::<Vec<_>>());
        assert_eq!(merged.items[4], item(4));
    }

    #[test]
    fn missing_duplicate_and_foreign_shards_are_refused() {
        let error = merge(vec![shard(1, 3, 7), shard(3, 3, 7)]).unwrap_err();
        assert!(error.contains("missing shard 2/3"), "{error}");
        let error = merge(vec![shard(1, 2, 7), shard(1, 2, 7), shard(2, 2, 7)]).unwrap_err();
        assert!(error.contains("given twice"), "{error}");

        let mut other_script = shard(2, 2, 7);
        other_script.1.script_hash = "def".into();
        let error = merge(vec![shard(1, 2, 7), other_script]).unwrap_err();
        assert!(error.contains("hash"), "{error}");

        let mut other_version = shard(2, 2, 7);
        other_version.1.anneal_version = "0.2.0".into();
        let error = merge(vec![shard(1, 2, 7), other_version]).unwrap_err();
        assert!(error.contains("0.2.0"), "{error}");

        let error = merge(vec![shard(1, 2, 7), shard(2, 3, 7)]).unwrap_err();
        assert!(error.contains("shard count"), "{error}");

        let mut lacking = shard(2, 2, 7);
        lacking.1.items.pop();
        let error = merge(vec![shard(1, 2, 7), lacking]).unwrap_err();
        assert!(error.contains("lack item 5"), "{error}");

        let mut foreign = shard(2, 2, 7);
        foreign.1.items.push(item(0));
        let error = merge(vec![shard(1, 2, 7), foreign]).unwrap_err();
        assert!(error.contains("not an item of shard 2/2"), "{error}");
    }
}
