//! The `anneal` command-line tool: a thin layer over the library crates.

mod cli;

use clap::Parser;

/// The front end allocates a node, a name or a value per token and the engine many small buffers;
/// with glibc's allocator, allocating and freeing took about a quarter of `anneal check`'s time
/// (docs/performance.md, "Front end"). The allocator changes no result.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // clap exits with status 2 on usage errors and 0 for --help/--version.
    let cli = cli::Cli::parse();
    // Checking walks syntax trees recursively; their depth is bounded by the parser's limits, and a
    // generous stack makes the bound comfortable on every platform.
    let worker = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || cli::run(cli));
    let code = match worker {
        Ok(handle) => handle.join().unwrap_or(101),
        Err(error) => {
            eprintln!("anneal: cannot start: {error}");
            101
        }
    };
    std::process::exit(code);
}
