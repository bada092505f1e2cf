//! The standard library: modules written in `.anneal`, embedded in the binary.

/// Module name → source text.
pub static MODULES: &[(&str, &str)] = &[
    (
        "std.sources",
        include_str!("../../../stdlib/sources.anneal"),
    ),
    (
        "std.cooling",
        include_str!("../../../stdlib/cooling.anneal"),
    ),
    (
        "std.connectomes",
        include_str!("../../../stdlib/connectomes.anneal"),
    ),
];

pub fn module(name: &str) -> Option<&'static str> {
    MODULES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}
