//! The `anneal` command-line tool: a thin layer over the library.

use clap::Parser;

fn main() {
    // clap exits with status 2 on usage errors and 0 for --help/--version.
    let cli = anneal::cli::Cli::parse();
    std::process::exit(anneal::cli::run(cli));
}
