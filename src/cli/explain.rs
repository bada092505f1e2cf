//! `anneal explain CODE`

use crate::cli::{EXIT_OK, EXIT_USAGE};

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A diagnostic code such as E0007 or W0001.
    pub code: String,
}

pub fn run(args: &ExplainArgs) -> i32 {
    match anneal_diagnostics::lookup(&args.code) {
        Some(info) => {
            print!("{info}");
            EXIT_OK
        }
        None => {
            eprintln!(
                "unknown code `{}`; codes run from E0001 to E{:04} and W0001 to W0003",
                args.code,
                anneal_diagnostics::CODES
                    .iter()
                    .filter(|c| c.code.starts_with('E'))
                    .count()
            );
            EXIT_USAGE
        }
    }
}
