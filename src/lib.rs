//! `anneal`: a language and interpreter for neural-annealing experiments.
//!
//! Scripts flow in one direction: syntax (pest grammar → AST with byte spans) → semantics
//! (names, units, types) → plan (plain, serialisable, hashable data) → engine (runs a plan,
//! knows nothing of syntax) → output. `ARCHITECTURE.md` at the repository root has the map.

pub mod cli;
pub mod connectome;
pub mod diagnostics;
pub mod engine;
pub mod harmonics;
pub mod output;
pub mod plan;
pub mod repl;
pub mod runner;
pub mod scenario;
pub mod semantics;
pub mod syntax;

/// The front end allocates a node, a name or a value per token and the engine many small buffers;
/// with glibc's allocator, allocating and freeing took about a quarter of `anneal check`'s time
/// (docs/performance.md, "Front end"). The allocator changes no result.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
