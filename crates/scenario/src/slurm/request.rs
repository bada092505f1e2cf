//! What each task asks the scheduler for: the number of tasks, and the time and memory from
//! every item's plan estimates with a margin.

use super::*;

/// How the items are spread over the array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// This many tasks (fewer when no sweep has that many items).
    Tasks(usize),
    /// At most this many items of each sweep per task.
    ItemsPerTask(usize),
}

/// The number of tasks of the array for sweeps of at most `max_items` items. Task K runs the
/// items of shard K/N of every sweep, so more tasks than the largest sweep's items would run
/// nothing.
pub fn task_count(max_items: usize, split: Split) -> usize {
    let max_items = max_items.max(1);
    match split {
        Split::Tasks(tasks) => tasks.clamp(1, max_items),
        Split::ItemsPerTask(per_task) => max_items.div_ceil(per_task.max(1)),
    }
}

/// What one task needs: seconds of wall-clock time and bytes of memory, before any margin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Needs {
    pub seconds: f64,
    pub memory_bytes: u64,
}

/// The needs of every task (task K at position K − 1) when `tasks` tasks share the `sweeps`
/// and each runs its items on `cpus` threads.
///
/// Time: a task runs the sweeps one after the other; for each, it builds the sweep's bases
/// (measured when the sweep was estimated) and runs its items. The items' times are summed as
/// if run on one core, an upper bound whatever `cpus` is. Memory: the sweeps run one at a time
/// and at most `cpus` items of one sweep at once, so a task needs the largest `cpus` items of
/// its share of some sweep, plus [`BASE_MEMORY_BYTES`].
pub fn task_needs(sweeps: &[SweepEstimate], tasks: usize, cpus: usize) -> Vec<Needs> {
    (1..=tasks)
        .map(|number| {
            let shard = Shard {
                number,
                count: tasks,
            };
            let mut seconds = 0.0;
            let mut peak = 0u64;
            for sweep in sweeps {
                let mut mine: Vec<_> = sweep
                    .items
                    .iter()
                    .filter(|item| shard.selects(item.index))
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                seconds += sweep.basis_seconds + mine.iter().map(|i| i.run_seconds).sum::<f64>();
                mine.sort_by_key(|item| std::cmp::Reverse(item.memory_bytes));
                let at_once: u64 = mine.iter().take(cpus.max(1)).map(|i| i.memory_bytes).sum();
                peak = peak.max(at_once);
            }
            Needs {
                seconds,
                memory_bytes: BASE_MEMORY_BYTES + peak,
            }
        })
        .collect()
}

/// The time and memory every task of the array asks for (one array, one request): the largest
/// needs times `margin`, the time at least `min_seconds` and rounded up to whole minutes, the
/// memory rounded up to whole MiB.
pub fn request(needs: &[Needs], margin: f64, min_seconds: u64) -> (u64, u64) {
    let seconds = needs.iter().map(|n| n.seconds).fold(0.0, f64::max) * margin;
    let seconds = (seconds.ceil() as u64).max(min_seconds).div_ceil(60) * 60;
    let bytes = needs.iter().map(|n| n.memory_bytes).max().unwrap_or(0) as f64 * margin;
    let mebibytes = (bytes / (1u64 << 20) as f64).ceil() as u64;
    (seconds, mebibytes.max(1))
}

/// SLURM's time format, `[D-]HH:MM:SS`.
pub fn format_time(seconds: u64) -> String {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let clock = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        (rest % 3600) / 60,
        rest % 60
    );
    if days > 0 {
        format!("{days}-{clock}")
    } else {
        clock
    }
}

/// Parses a time as `sbatch --time` takes it: `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`,
/// `D-HH:MM:SS`, or a number with a unit (`90s`, `10min`, `2h`, `1d`).
pub fn parse_time(text: &str) -> Result<u64, String> {
    let bad =
        || format!("`{text}` is not a time: write HH:MM:SS, D-HH:MM:SS, MM, or 90s, 10min, 2h, 1d");
    let text = text.trim();
    let number = |part: &str| part.parse::<u64>().map_err(|_| bad());
    if let Some(split) = text.find(|c: char| c.is_ascii_alphabetic()) {
        let (value, unit) = text.split_at(split);
        let value = number(value.trim())?;
        let factor = match unit {
            "s" | "sec" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        return Ok(value * factor);
    }
    let (days, clock) = match text.split_once('-') {
        Some((days, clock)) => (Some(number(days)?), clock),
        None => (None, text),
    };
    let parts = clock
        .split(':')
        .map(number)
        .collect::<Result<Vec<u64>, String>>()?;
    let seconds = match (days, parts.as_slice()) {
        (None, [minutes]) => minutes * 60,
        (None, [minutes, seconds]) => minutes * 60 + seconds,
        (_, [hours, minutes, seconds]) => hours * 3600 + minutes * 60 + seconds,
        (Some(_), [hours]) => hours * 3600,
        (Some(_), [hours, minutes]) => hours * 3600 + minutes * 60,
        _ => return Err(bad()),
    };
    Ok(days.unwrap_or(0) * 86_400 + seconds)
}
