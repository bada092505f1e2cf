//! `anneal repl`: a session that holds a compiled script and a live engine, driven by commands
//! typed at a prompt (rustyline) or read line by line from a pipe (for transcripts and tests).
//! Lines that are not commands are the language, evaluated in the script's scope (`scope.rs`).

pub mod command;
pub mod editing;
pub mod format;
pub mod scope;
pub mod session;

pub use command::{Command, parse};
pub use session::Session;
