//! CPU time (not wall time) of parsing, and of parsing and checking, the generated 1 MB script of
//! `benches/frontend.rs`: the thread's own run time from `/proc/thread-self/schedstat` (Linux),
//! minimum and median of N runs (default 12). Other builds sharing the machine lengthen wall
//! time far more than CPU time, so this compares changes where criterion's figures cannot.
//! Run: `cargo bench --bench frontend_cpu` or `cargo bench --bench frontend_cpu -- 20`.

#[path = "frontend.rs"]
#[allow(dead_code)]
mod frontend;

use anneal::diagnostics::FileId;
use anneal::semantics::{MemoryLoader, check_source};
use std::process::ExitCode;

/// Nanoseconds this thread has run on a CPU, if the kernel reports it.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// CPU milliseconds of one call of `work`.
fn cpu_ms<T>(work: impl FnOnce() -> T) -> Option<f64> {
    let start = thread_cpu_ns()?;
    drop(std::hint::black_box(work()));
    Some((thread_cpu_ns()? - start) as f64 / 1e6)
}

fn report(what: &str, mut times: Vec<f64>) {
    times.sort_by(f64::total_cmp);
    println!(
        "{what}: CPU min {:.1} ms, median {:.1} ms ({} runs)",
        times[0],
        times[times.len() / 2],
        times.len()
    );
}

fn main() -> ExitCode {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(12)
        .max(1);
    let script = frontend::generated_script(1 << 20);
    let loader = MemoryLoader::default();
    let mut parse = Vec::new();
    let mut check = Vec::new();
    for _ in 0..runs {
        let parsed = cpu_ms(|| anneal::syntax::parse(FileId(0), &script).is_ok());
        let checked = cpu_ms(|| check_source("generated.anneal", &script, &loader).has_errors());
        match (parsed, checked) {
            (Some(parsed), Some(checked)) => {
                parse.push(parsed);
                check.push(checked);
            }
            _ => {
                eprintln!("/proc/thread-self/schedstat is not readable: CPU time is unavailable");
                return ExitCode::FAILURE;
            }
        }
    }
    report("parse 1 MB", parse);
    report("parse and check 1 MB", check);
    ExitCode::SUCCESS
}
