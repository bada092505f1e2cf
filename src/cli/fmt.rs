//! `anneal fmt FILE... [--check]`

use crate::cli::{EXIT_ERRORS, EXIT_OK};
use anneal_diagnostics::{RenderOptions, SourceMap, render_all};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Script files to format in place.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Do not write; exit 1 if any file would change.
    #[arg(long)]
    pub check: bool,
}

/// Formats text; `Err` holds rendered syntax errors.
pub fn format_text(name: &str, text: &str) -> Result<String, String> {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    match anneal_syntax::parse(file, text) {
        Ok(parsed) => Ok(anneal_syntax::format::format_file(&parsed, text)),
        Err(errors) => Err(render_all(&errors, &sources, RenderOptions::for_stderr())),
    }
}

pub fn run(args: &FmtArgs) -> i32 {
    let mut status = EXIT_OK;
    for path in &args.files {
        let name = path.display().to_string();
        let text = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    eprintln!("{name}: not valid UTF-8; not formatted");
                    status = EXIT_ERRORS;
                    continue;
                }
            },
            Err(error) => {
                eprintln!("{name}: cannot read: {error}");
                status = EXIT_ERRORS;
                continue;
            }
        };
        let formatted = match format_text(&name, &text) {
            Ok(formatted) => formatted,
            Err(rendered) => {
                eprint!("{rendered}");
                status = EXIT_ERRORS;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if args.check {
            println!("{name}: would be reformatted");
            status = EXIT_ERRORS;
        } else if let Err(error) = write_atomically(path, &formatted) {
            eprintln!("{name}: cannot write: {error}");
            status = EXIT_ERRORS;
        } else {
            println!("{name}: formatted");
        }
    }
    status
}

/// Writes through a temporary file in the same folder and renames it over the original, so an
/// interrupted run never leaves a half-written script.
fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".fmt-tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}
