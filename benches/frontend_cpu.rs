//! Wall time and CPU time of parsing, and of parsing and checking, the generated 1 MB script of
//! `benches/frontend.rs`: minimum and median wall time of N runs (default 12), and the CPU time of
//! the whole process (every thread: a large file is parsed on all cores) per run, averaged over
//! the N runs from `/proc/self/stat` (Linux), whose clock ticks are too coarse for one run.
//! Criterion's loop of back-to-back runs measures something else as well, the allocator
//! returning and refaulting pages between runs; this bench interleaves the two tasks as a
//! sequence of `anneal check` calls would, and gives the CPU time, which other builds sharing
//! the machine disturb less than wall time.
//! Run: `cargo bench --bench frontend_cpu` or `cargo bench --bench frontend_cpu -- 20`.
//! `cargo bench --bench frontend_cpu -- --write FILE` writes the script to FILE and exits, so that
//! `anneal check FILE` can be timed as a user would run it.

// The criterion benchmark's module, for its script generator and for the binary's allocator,
// which it sets so that the figures are those of `anneal check`.
#[path = "frontend.rs"]
#[allow(dead_code)]
mod frontend;

use anneal::diagnostics::FileId;
use anneal::semantics::{MemoryLoader, check_source};
use std::process::ExitCode;
use std::time::Instant;

/// Clock ticks per second of `/proc/self/stat`'s CPU times (`getconf CLK_TCK` on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU time of the whole process so far (user and system, every thread, finished ones included),
/// in clock ticks, if the kernel reports it.
fn process_cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name in brackets may hold spaces; the fields after it are space separated, and
    // utime and stime are the 12th and 13th of them.
    let after_name = &stat[stat.rfind(')')? + 2..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// Wall milliseconds of one call of `work`, the result dropped inside the timing.
fn wall_ms<T>(work: impl FnOnce() -> T) -> f64 {
    let start = Instant::now();
    drop(std::hint::black_box(work()));
    start.elapsed().as_secs_f64() * 1e3
}

fn report(what: &str, mut times: Vec<f64>, cpu_ticks: u64) {
    times.sort_by(f64::total_cmp);
    let runs = times.len();
    println!(
        "{what}: wall min {:.1} ms, median {:.1} ms; CPU {:.1} ms per run, all threads ({runs} runs)",
        times[0],
        times[runs / 2],
        cpu_ticks as f64 / TICKS_PER_SECOND * 1e3 / runs as f64,
    );
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--write") {
        let Some(path) = args.get(at + 1) else {
            eprintln!("--write needs a file name");
            return ExitCode::FAILURE;
        };
        return match std::fs::write(path, frontend::generated_script(1 << 20)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("cannot write {path}: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let runs: usize = args
        .iter()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(12)
        .max(1);
    let script = frontend::generated_script(1 << 20);
    let loader = MemoryLoader::default();
    let mut parse = Vec::new();
    let mut check = Vec::new();
    let (mut parse_ticks, mut check_ticks) = (0, 0);
    for _ in 0..runs {
        let (Some(before), parse_ms, Some(between), check_ms, Some(after)) = (
            process_cpu_ticks(),
            wall_ms(|| anneal::syntax::parse(FileId(0), &script).is_ok()),
            process_cpu_ticks(),
            wall_ms(|| check_source("generated.anneal", &script, &loader).has_errors()),
            process_cpu_ticks(),
        ) else {
            eprintln!("/proc/self/stat is not readable: CPU time is unavailable");
            return ExitCode::FAILURE;
        };
        parse.push(parse_ms);
        check.push(check_ms);
        parse_ticks += between - before;
        check_ticks += after - between;
    }
    report("parse 1 MB", parse, parse_ticks);
    report("parse and check 1 MB", check, check_ticks);
    ExitCode::SUCCESS
}
