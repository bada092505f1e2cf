//! The `anneal` command-line tool: a thin layer over the library.

fn main() {
    println!("anneal {}", env!("CARGO_PKG_VERSION"));
}
