//! `anneal`: a language and interpreter for neural-annealing experiments.
//!
//! Scripts flow in one direction, one crate per layer: syntax (pest grammar → AST with byte
//! spans) → semantics (names, units, types; lowering to a plan) → plan (plain, serialisable,
//! hashable data) → engine (runs a plan, knows nothing of syntax) → output. This crate gathers
//! the layers under one name for programs and tests that use the library; the `anneal` binary
//! (`src/main.rs`, `src/cli/`) is the edge that talks to the terminal. `ARCHITECTURE.md` at the
//! repository root has the map.

pub use anneal_connectome as connectome;
pub use anneal_diagnostics as diagnostics;
pub use anneal_engine as engine;
pub use anneal_harmonics as harmonics;
pub use anneal_output as output;
pub use anneal_plan as plan;
pub use anneal_repl as repl;
pub use anneal_runner as runner;
pub use anneal_scenario as scenario;
pub use anneal_semantics as semantics;
pub use anneal_syntax as syntax;
