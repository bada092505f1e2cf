//! `anneal repl`: a session that holds a compiled script and a live engine, driven by commands
//! typed at a prompt (rustyline) or read line by line from a pipe (for transcripts and tests).

pub mod command;
pub mod session;

pub use command::{Command, parse};
pub use session::Session;
