//! The `anneal` command-line tool: a thin layer over the library.

use clap::Parser;

fn main() {
    // clap exits with status 2 on usage errors and 0 for --help/--version.
    let cli = anneal::cli::Cli::parse();
    // Checking walks syntax trees recursively; their depth is bounded by the parser's limits, and a
    // generous stack makes the bound comfortable on every platform.
    let worker = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || anneal::cli::run(cli));
    let code = match worker {
        Ok(handle) => handle.join().unwrap_or(101),
        Err(error) => {
            eprintln!("anneal: cannot start: {error}");
            101
        }
    };
    std::process::exit(code);
}
