//! Syntax: the grammar-driven parser, the syntax tree with byte spans, and the formatter.
//! This layer knows nothing of units or of the engine.

pub mod ast;
pub mod format;
pub mod guard;
pub mod parser;
pub mod suggest;
mod workers;

pub use parser::{parse, parse_expression};
