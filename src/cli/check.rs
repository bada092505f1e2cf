//! `anneal check FILE...`

use crate::cli::{EXIT_ERRORS, EXIT_OK};
use anneal_diagnostics::{RenderOptions, render_all};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Script files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn run(args: &CheckArgs) -> i32 {
    let options = RenderOptions::for_stderr();
    let mut failed = false;
    for path in &args.files {
        let checked = anneal_semantics::check_file(path);
        eprint!(
            "{}",
            render_all(&checked.diagnostics, &checked.sources, options)
        );
        let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = checked.diagnostics.len() - errors;
        if errors > 0 {
            failed = true;
            eprintln!(
                "{}: {errors} error{}, {warnings} warning{}",
                path.display(),
                plural(errors),
                plural(warnings)
            );
        } else {
            println!(
                "{}: ok{}",
                path.display(),
                if warnings > 0 {
                    format!(" ({warnings} warning{})", plural(warnings))
                } else {
                    String::new()
                }
            );
        }
    }
    if failed { EXIT_ERRORS } else { EXIT_OK }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
