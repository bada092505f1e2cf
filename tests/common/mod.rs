//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.anneal` file under `dir` (recursively), sorted.
pub fn scripts(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "anneal") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Every script in the repository: examples, stdlib, valid and wrong corpora.
pub fn all_scripts() -> Vec<PathBuf> {
    ["examples", "stdlib", "tests/valid", "tests/diagnostics"]
        .iter()
        .flat_map(|d| scripts(&root().join(d)))
        .collect()
}
