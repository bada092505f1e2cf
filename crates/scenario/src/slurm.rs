//! A sweep as a SLURM job array (`anneal submit`, `anneal status`): how many tasks, the time
//! and memory each asks for, the two batch scripts (the array of `anneal test --shard K/N`
//! tasks, and `anneal merge` after them), the record of what was submitted
//! (`submission.yaml`), and the reading of the scheduler's answers into the state of every
//! task. Running `sbatch`, `squeue` and `scancel` is left to the CLI; everything here is plain
//! data and text, so it is tested without a cluster.
//!
//! The work folder, on a filesystem the login node and every compute node share:
//!
//! ```text
//! WORK/submission.yaml   what was submitted: the tasks, the jobs (ids and task lists)
//! WORK/task.sbatch       the array script, task K runs shard K/N of every sweep
//! WORK/merge.sbatch      `anneal merge WORK/shards/1 ... WORK/shards/N --out WORK/sweeps`
//! WORK/shards/K/         task K's shard folders, renamed into place once all are written
//! WORK/shards/.K.partial.JOB/  task K while it runs (hidden: nothing reads it)
//! WORK/logs/             one log per task (task-JOB_K.out) and per merge (merge-JOB.out)
//! WORK/sweeps/           the merged sweep folders, as `anneal test --out` writes them
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::estimate::SweepEstimate;
use super::shard::Shard;

/// The submission's record inside the work folder.
pub const SUBMISSION_FILE: &str = "submission.yaml";
pub const TASK_SCRIPT: &str = "task.sbatch";
pub const MERGE_SCRIPT: &str = "merge.sbatch";
pub const SHARDS: &str = "shards";
pub const LOGS: &str = "logs";
pub const SWEEPS: &str = "sweeps";

/// Memory every task needs besides its items' engines: the program, the scripts' checks, the
/// connectome and its mode basis (a few tens of MB for the bundled cortex), with room to spare.
pub const BASE_MEMORY_BYTES: u64 = 256 << 20;

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

/// The `#SBATCH` lines shared by both scripts, and those of each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Directives {
    pub partition: Option<String>,
    pub account: Option<String>,
    /// Passed through as they are, each as `#SBATCH LINE` (`--qos=long`, `--constraint=skylake`).
    pub extra: Vec<String>,
    pub cpus_per_task: usize,
    /// Per task.
    pub time_seconds: u64,
    pub memory_mib: u64,
    /// For the merge job, which reads the shards and draws the plots.
    pub merge_time_seconds: u64,
    pub merge_memory_mib: u64,
}

impl Directives {
    /// Refuses extra lines that would break the script (a newline) or that the scripts set
    /// themselves (the array, the log files).
    pub fn check(&self) -> Result<(), String> {
        for line in &self.extra {
            let option = extra_line(line);
            if line.contains(['\n', '\r']) {
                return Err(format!("--sbatch `{line}` holds a line break"));
            }
            if !option.starts_with('-') {
                return Err(format!(
                    "--sbatch `{line}` is not an sbatch option (write it as --qos=long)"
                ));
            }
            for own in [
                "--array",
                "-a",
                "--output",
                "-o",
                "--error",
                "-e",
                "--dependency",
                "-d",
            ] {
                if option == own
                    || option.starts_with(&format!("{own}="))
                    || option.starts_with(&format!("{own} "))
                {
                    return Err(format!(
                        "--sbatch `{line}`: anneal submit sets {own} itself"
                    ));
                }
            }
        }
        for (what, value) in [("partition", &self.partition), ("account", &self.account)] {
            if let Some(value) = value
                && (value.is_empty() || value.contains(char::is_whitespace))
            {
                return Err(format!("--{what} `{value}` is not a {what} name"));
            }
        }
        Ok(())
    }

    fn shared(&self, out: &mut String) {
        if let Some(partition) = &self.partition {
            let _ = writeln!(out, "#SBATCH --partition={partition}");
        }
        if let Some(account) = &self.account {
            let _ = writeln!(out, "#SBATCH --account={account}");
        }
        for line in &self.extra {
            let _ = writeln!(out, "#SBATCH {}", extra_line(line));
        }
    }
}

/// An extra line without its `#SBATCH` prefix, if it was written with one.
fn extra_line(line: &str) -> &str {
    line.trim().strip_prefix("#SBATCH").unwrap_or(line).trim()
}

/// Where and how the tasks run `anneal`: paths as the compute nodes see them (the shared
/// filesystem), all absolute except `dir`, which is taken from `cwd` as it was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invocation {
    /// The folder `anneal submit` ran in: the tasks and the merge run there, so that the
    /// scripts' paths in the shards are the same as in a local run.
    pub cwd: PathBuf,
    /// The `anneal` executable.
    pub anneal: PathBuf,
    /// The folder of scripts, as given to `anneal submit`.
    pub dir: PathBuf,
    pub filter: Option<String>,
    pub work: PathBuf,
    pub tasks: usize,
}

/// A word for bash, in single quotes unless it needs none.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn quote_path(path: &Path) -> String {
    quote(&path.display().to_string())
}

/// The array script: task K runs shard K/N of every sweep into a hidden folder of its own and
/// renames it to `shards/K` only once `anneal test` has written every shard and succeeded.
pub fn task_script(directives: &Directives, invocation: &Invocation) -> String {
    let work = &invocation.work;
    let mut out = String::from("#!/bin/bash\n");
    let _ = writeln!(
        out,
        "# Written by `anneal submit`: task K of this array runs shard K/{} of every sweep.",
        invocation.tasks
    );
    let _ = writeln!(out, "#SBATCH --job-name=anneal-tasks");
    let _ = writeln!(out, "#SBATCH --array=1-{}", invocation.tasks);
    let _ = writeln!(
        out,
        "#SBATCH --time={}",
        format_time(directives.time_seconds)
    );
    let _ = writeln!(out, "#SBATCH --mem={}M", directives.memory_mib);
    let _ = writeln!(out, "#SBATCH --cpus-per-task={}", directives.cpus_per_task);
    let _ = writeln!(
        out,
        "#SBATCH --output={}",
        work.join(LOGS).join("task-%A_%a.out").display()
    );
    directives.shared(&mut out);
    let filter = invocation
        .filter
        .as_deref()
        .map(|f| format!(" --filter {}", quote(f)))
        .unwrap_or_default();
    let _ = write!(
        out,
        r#"set -euo pipefail
cd {cwd}
task=${{SLURM_ARRAY_TASK_ID:?this script runs as a task of a SLURM job array}}
shards={shards}
# Only this task's own folder is written. Its shards go to a hidden folder first, and the
# folder is renamed to shards/$task (one atomic rename) once anneal test has written all of
# them: a task killed before leaves no shards/$task, so anneal merge cannot take it for done.
# A killed attempt of this task leaves its hidden folder; the next attempt (never run beside
# it: anneal status --resume submits only tasks that ended) removes it.
partial="$shards/.$task.partial.${{SLURM_JOB_ID:-$$}}"
rm -rf "$shards/.$task.partial."*
mkdir -p "$shards"
export RAYON_NUM_THREADS="${{SLURM_CPUS_PER_TASK:-1}}"
{anneal} test {dir}{filter} --sweeps-only --shard "$task/{tasks}" --out "$partial"
mv -T "$partial" "$shards/$task"
"#,
        cwd = quote_path(&invocation.cwd),
        shards = quote_path(&work.join(SHARDS)),
        anneal = quote_path(&invocation.anneal),
        dir = quote_path(&invocation.dir),
        tasks = invocation.tasks,
    );
    out
}

/// The merge script, submitted with `--dependency=afterok:` on the tasks (given on the
/// command line, since the tasks' job id is known only once they are submitted).
pub fn merge_script(directives: &Directives, invocation: &Invocation) -> String {
    let work = &invocation.work;
    let mut out = String::from("#!/bin/bash\n");
    let _ = writeln!(
        out,
        "# Written by `anneal submit`: joins the {} shard folders into the sweep folders.",
        invocation.tasks
    );
    let _ = writeln!(out, "#SBATCH --job-name=anneal-merge");
    let _ = writeln!(
        out,
        "#SBATCH --time={}",
        format_time(directives.merge_time_seconds)
    );
    let _ = writeln!(out, "#SBATCH --mem={}M", directives.merge_memory_mib);
    let _ = writeln!(out, "#SBATCH --cpus-per-task=1");
    let _ = writeln!(
        out,
        "#SBATCH --output={}",
        work.join(LOGS).join("merge-%j.out").display()
    );
    directives.shared(&mut out);
    let _ = write!(
        out,
        r#"set -euo pipefail
cd {cwd}
shards={shards}
{anneal} merge "$shards"/{{1..{tasks}}} --out {sweeps}
"#,
        cwd = quote_path(&invocation.cwd),
        shards = quote_path(&work.join(SHARDS)),
        anneal = quote_path(&invocation.anneal),
        tasks = invocation.tasks,
        sweeps = quote_path(&work.join(SWEEPS)),
    );
    out
}

/// What a job of the submission was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    Tasks,
    Merge,
}

/// One `sbatch` of the submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub kind: JobKind,
    pub id: String,
    /// The array's task numbers (empty for a merge).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<usize>,
}

/// One sweep of the submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepEntry {
    /// `script :: scenario`.
    pub name: String,
    /// Its folder under `sweeps/` (and under every `shards/K/`), see [`super::sweep::folder`].
    pub folder: PathBuf,
    pub items: usize,
}

/// `submission.yaml`: everything `anneal status` and `--resume` need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub anneal_version: String,
    pub invocation: Invocation,
    pub directives: Directives,
    pub sweeps: Vec<SweepEntry>,
    /// In the order submitted: a task's latest attempt is the last job that lists it.
    pub jobs: Vec<Job>,
}

impl Submission {
    /// The latest array job that ran task `number`.
    pub fn latest_job_of(&self, number: usize) -> Option<&Job> {
        self.jobs
            .iter()
            .rev()
            .find(|job| job.kind == JobKind::Tasks && job.tasks.contains(&number))
    }

    pub fn latest_merge(&self) -> Option<&Job> {
        self.jobs
            .iter()
            .rev()
            .find(|job| job.kind == JobKind::Merge)
    }
}

/// `1-4,7,9-10`: task numbers as `--array` takes them.
pub fn array_spec(tasks: &[usize]) -> String {
    let mut sorted: Vec<usize> = tasks.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut index = 0;
    while index < sorted.len() {
        let start = sorted[index];
        let mut end = start;
        while index + 1 < sorted.len() && sorted[index + 1] == end + 1 {
            index += 1;
            end = sorted[index];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        index += 1;
    }
    parts.join(",")
}

/// Parses an `--array` range list (`1-3,5`, `[1-3,5%2]`, `7`).
fn parse_array_spec(text: &str) -> Option<Vec<usize>> {
    let text = text.trim().trim_start_matches('[').trim_end_matches(']');
    let text = text.split('%').next()?;
    let mut numbers = Vec::new();
    for part in text.split(',') {
        match part.split_once('-') {
            Some((start, end)) => {
                let (start, end): (usize, usize) = (start.parse().ok()?, end.parse().ok()?);
                numbers.extend(start..=end);
            }
            None => numbers.push(part.parse().ok()?),
        }
    }
    Some(numbers)
}

/// A job or array task as the scheduler names it: `123` or task 4 of `123`.
pub type JobKey = (String, Option<usize>);

/// Reads `JOBID|STATE` lines, as `squeue --array --noheader --format=%i|%T` or
/// `sacct --noheader --parsable2 --allocations --format=JobID,State` print them (`123`,
/// `123_4`, `123_[5-8]`; `CANCELLED by 0`), into the state of every job and task. Lines it
/// cannot read are skipped: the shard folders have the last word anyway.
pub fn parse_states(text: &str) -> BTreeMap<JobKey, String> {
    let mut states = BTreeMap::new();
    for line in text.lines() {
        let Some((id, state)) = line.trim().split_once('|') else {
            continue;
        };
        let Some(state) = state.split_whitespace().next() else {
            continue;
        };
        // sacct's job steps (`123.batch`) are not the tasks.
        if id.contains('.') {
            continue;
        }
        // A federation or het job id suffix (`123+0`) is not ours either.
        let id = id.split('+').next().unwrap_or(id);
        match id.split_once('_') {
            Some((job, tasks)) => {
                if let Some(numbers) = parse_array_spec(tasks) {
                    for number in numbers {
                        states.insert((job.to_string(), Some(number)), state.to_string());
                    }
                }
            }
            None => {
                states.insert((id.to_string(), None), state.to_string());
            }
        }
    }
    states
}

/// The state of one task of the sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    /// `shards/K` is in place.
    Done,
    /// Pending or running in the scheduler (its state, and the job).
    Queued { state: String, job: String },
    /// Ended without `shards/K`: failed, cancelled, out of time or memory (the scheduler's
    /// state), or `COMPLETED` without the folder.
    Failed { state: String, job: String },
    /// Neither done nor known to the scheduler (its record expired, or it was never submitted).
    Lost,
}

/// Whether a scheduler state means the job may still run.
pub fn is_active(state: &str) -> bool {
    matches!(
        state,
        "PENDING"
            | "RUNNING"
            | "CONFIGURING"
            | "COMPLETING"
            | "SUSPENDED"
            | "REQUEUED"
            | "REQUEUE_FED"
            | "REQUEUE_HOLD"
            | "RESIZING"
            | "SIGNALING"
            | "STAGE_OUT"
            | "RESV_DEL_HOLD"
    )
}

/// The state of every task, from the shard folders in place (`done`) and the scheduler's
/// `states`. The folders win: a task whose folder is in place is done whatever the scheduler
/// says (so read the scheduler first, then the folders).
pub fn task_states(
    submission: &Submission,
    done: &BTreeSet<usize>,
    states: &BTreeMap<JobKey, String>,
) -> Vec<(usize, TaskState)> {
    (1..=submission.invocation.tasks)
        .map(|number| {
            if done.contains(&number) {
                return (number, TaskState::Done);
            }
            let Some(job) = submission.latest_job_of(number) else {
                return (number, TaskState::Lost);
            };
            let state = match states.get(&(job.id.clone(), Some(number))) {
                None => TaskState::Lost,
                Some(state) if is_active(state) => TaskState::Queued {
                    state: state.clone(),
                    job: job.id.clone(),
                },
                Some(state) => TaskState::Failed {
                    state: if state == "COMPLETED" {
                        "COMPLETED without its shard folder".into()
                    } else {
                        state.clone()
                    },
                    job: job.id.clone(),
                },
            };
            (number, state)
        })
        .collect()
}

/// What `--resume` does, decided from the task states and the merge job's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumePlan {
    /// Tasks to submit again (failed or lost).
    pub tasks: Vec<usize>,
    /// Tasks still queued from earlier arrays, which the new merge waits for too (`JOB_K`).
    pub waiting_for: Vec<String>,
    /// Whether a new merge job is needed.
    pub merge: bool,
    /// A merge job still queued that the new one replaces (it waits on tasks that failed,
    /// so it would never run).
    pub cancel_merge: Option<String>,
}

/// Decides the resubmission: the failed and lost tasks again, and a new merge after them and
/// after the tasks still queued, unless the merge already ran or is queued on tasks that may
/// still succeed. `merged` is whether the sweeps folder is complete.
pub fn resume_plan(
    task_states: &[(usize, TaskState)],
    merge_state: Option<&str>,
    merge_job: Option<&str>,
    merged: bool,
) -> ResumePlan {
    let tasks: Vec<usize> = task_states
        .iter()
        .filter(|(_, state)| matches!(state, TaskState::Failed { .. } | TaskState::Lost))
        .map(|(number, _)| *number)
        .collect();
    let waiting_for: Vec<String> = task_states
        .iter()
        .filter_map(|(number, state)| match state {
            TaskState::Queued { job, .. } => Some(format!("{job}_{number}")),
            _ => None,
        })
        .collect();
    let merge_active = merge_state.is_some_and(is_active);
    let merge = if tasks.is_empty() {
        // Every task is done or queued: the merge is needed only when it is neither done nor
        // queued (it failed, was cancelled, or its record expired before it ran).
        !merged && !merge_active
    } else {
        true
    };
    let cancel_merge = (merge && merge_active)
        .then(|| merge_job.map(str::to_string))
        .flatten();
    ResumePlan {
        tasks,
        waiting_for,
        merge,
        cancel_merge,
    }
}

/// The dependencies of a new merge on the tasks still queued (`waiting_for`, as `JOB_K`),
/// with every array job whose tasks all still run or succeeded named whole (`JOB`): a
/// thousand queued tasks of one array are then one dependency rather than a thousand.
pub fn compact_dependencies(
    submission: &Submission,
    task_states: &[(usize, TaskState)],
    waiting_for: &[String],
) -> Vec<String> {
    let state_of: BTreeMap<usize, &TaskState> = task_states
        .iter()
        .map(|(number, state)| (*number, state))
        .collect();
    let whole: Vec<&str> = submission
        .jobs
        .iter()
        .filter(|job| job.kind == JobKind::Tasks)
        .filter(|job| {
            // afterok on a whole array needs every one of its tasks to succeed: none may have
            // been run again by a later job (its attempt here failed), or have failed.
            job.tasks.iter().all(|&number| {
                submission.latest_job_of(number).map(|latest| &latest.id) == Some(&job.id)
                    && matches!(
                        state_of.get(&number),
                        Some(TaskState::Done | TaskState::Queued { .. })
                    )
            })
        })
        .map(|job| job.id.as_str())
        .collect();
    let mut out: Vec<String> = Vec::new();
    for dependency in waiting_for {
        let job = dependency.split('_').next().unwrap_or(dependency);
        let named = if whole.contains(&job) {
            job.to_string()
        } else {
            dependency.clone()
        };
        if !out.contains(&named) {
            out.push(named);
        }
    }
    out
}

/// The numbers of the tasks whose folder `shards/K` is in place.
pub fn done_tasks(work: &Path, tasks: usize) -> BTreeSet<usize> {
    (1..=tasks)
        .filter(|number| work.join(SHARDS).join(number.to_string()).is_dir())
        .collect()
}

/// Whether every sweep's merged folder is in place under `sweeps/`.
pub fn merged(submission: &Submission) -> bool {
    let sweeps = submission.invocation.work.join(SWEEPS);
    submission
        .sweeps
        .iter()
        .all(|sweep| sweeps.join(&sweep.folder).join("sweep.yaml").is_file())
}

/// Whether a path can stand in an `#SBATCH` line as it is: sbatch reads those lines without a
/// shell, so the log paths inside the work folder must need no quoting.
pub fn plain_path(path: &Path) -> bool {
    let text = path.display().to_string();
    quote(&text) == text
}

/// The path of a task's log, as the array script names it.
pub fn task_log(work: &Path, job: &str, number: usize) -> PathBuf {
    work.join(LOGS).join(format!("task-{job}_{number}.out"))
}

/// The path of a merge job's log.
pub fn merge_log(work: &Path, job: &str) -> PathBuf {
    work.join(LOGS).join(format!("merge-{job}.out"))
}

#[cfg(test)]
mod tests {
    use super::super::estimate::ItemEstimate;
    use super::*;

    fn directives() -> Directives {
        Directives {
            partition: Some("compute".into()),
            account: Some("lab42".into()),
            extra: vec!["--qos=long".into(), "#SBATCH --constraint=skylake".into()],
            cpus_per_task: 2,
            time_seconds: 5400,
            memory_mib: 812,
            merge_time_seconds: 600,
            merge_memory_mib: 1024,
        }
    }

    fn invocation() -> Invocation {
        Invocation {
            cwd: "/shared/lab".into(),
            anneal: "/shared/bin/anneal".into(),
            dir: "scenarios".into(),
            filter: Some("cooling runs".into()),
            work: "/shared/lab/runs/sweep-1".into(),
            tasks: 8,
        }
    }

    #[test]
    fn the_task_script_runs_one_shard_into_its_own_folder() {
        insta::assert_snapshot!(task_script(&directives(), &invocation()));
    }

    #[test]
    fn the_merge_script_joins_every_shard_folder() {
        insta::assert_snapshot!(merge_script(&directives(), &invocation()));
    }

    #[test]
    fn the_task_count_follows_the_items_and_the_split() {
        assert_eq!(task_count(32, Split::Tasks(4)), 4);
        assert_eq!(task_count(3, Split::Tasks(4)), 3);
        assert_eq!(task_count(32, Split::ItemsPerTask(5)), 7);
        assert_eq!(task_count(32, Split::ItemsPerTask(1)), 32);
        assert_eq!(task_count(0, Split::ItemsPerTask(1)), 1);
    }

    fn sweep(times: &[f64], memory: &[u64], basis_seconds: f64) -> SweepEstimate {
        SweepEstimate {
            scenario: "s".into(),
            basis_seconds,
            items: times
                .iter()
                .zip(memory)
                .enumerate()
                .map(|(index, (&run_seconds, &memory_bytes))| ItemEstimate {
                    index,
                    run_seconds,
                    memory_bytes,
                })
                .collect(),
        }
    }

    #[test]
    fn a_task_needs_its_items_time_and_its_largest_items_memory() {
        // Items 0, 2, 4 go to task 1 of 2; items 1, 3 to task 2.
        let sweeps = [
            sweep(&[10.0, 20.0, 30.0, 40.0, 50.0], &[1, 2, 3, 4, 5], 5.0),
            sweep(&[100.0], &[1000], 1.0),
        ];
        let needs = task_needs(&sweeps, 2, 2);
        assert_eq!(needs[0].seconds, 5.0 + 10.0 + 30.0 + 50.0 + 1.0 + 100.0);
        assert_eq!(needs[0].memory_bytes, BASE_MEMORY_BYTES + 1000);
        // Task 2 has no item of the second sweep, so it does not build its basis.
        assert_eq!(needs[1].seconds, 5.0 + 20.0 + 40.0);
        assert_eq!(needs[1].memory_bytes, BASE_MEMORY_BYTES + 4 + 2);
        let one_cpu = task_needs(&sweeps[..1], 2, 1);
        assert_eq!(one_cpu[0].memory_bytes, BASE_MEMORY_BYTES + 5);
    }

    #[test]
    fn the_request_adds_the_margin_and_rounds_up() {
        let needs = [
            Needs {
                seconds: 100.0,
                memory_bytes: 300 << 20,
            },
            Needs {
                seconds: 1000.0,
                memory_bytes: 100 << 20,
            },
        ];
        // 2000 s → 34 minutes; 600 MiB.
        assert_eq!(request(&needs, 2.0, 600), (34 * 60, 600));
        assert_eq!(request(&needs, 0.1, 600), (600, 30));
    }

    #[test]
    fn times_format_and_parse_as_sbatch_takes_them() {
        assert_eq!(format_time(600), "00:10:00");
        assert_eq!(format_time(90_061), "1-01:01:01");
        for (text, seconds) in [
            ("10", 600),
            ("10:30", 630),
            ("01:02:03", 3723),
            ("2-3", 2 * 86_400 + 3 * 3600),
            ("1-00:30", 86_400 + 1800),
            ("1-01:01:01", 90_061),
            ("90s", 90),
            ("10min", 600),
            ("2h", 7200),
            ("1d", 86_400),
        ] {
            assert_eq!(parse_time(text), Ok(seconds), "{text}");
        }
        for bad in ["", "ten", "1:2:3:4", "5 weeks", "-3"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn extra_lines_pass_through_but_cannot_replace_the_scripts_own() {
        assert_eq!(directives().check(), Ok(()));
        for bad in [
            "--array=1-3",
            "#SBATCH --output=x",
            "-o x",
            "--dependency=afterok:1",
            "qos=long",
            "--qos=long\n--mem=1",
        ] {
            let mut directives = directives();
            directives.extra = vec![bad.into()];
            assert!(directives.check().is_err(), "{bad}");
        }
        let mut spaced = directives();
        spaced.partition = Some("a b".into());
        assert!(spaced.check().is_err());
    }

    #[test]
    fn words_are_quoted_for_bash() {
        assert_eq!(quote("/a/b-c_d.e"), "/a/b-c_d.e");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn array_specs_are_compact_and_read_back() {
        assert_eq!(array_spec(&[7, 1, 2, 3, 9, 10, 3]), "1-3,7,9-10");
        assert_eq!(
            parse_array_spec("[1-3,7,9-10%2]"),
            Some(vec![1, 2, 3, 7, 9, 10])
        );
    }

    #[test]
    fn scheduler_lines_give_the_state_of_every_task() {
        let squeue = "12_1|COMPLETED\n12_2|CANCELLED\n12_[3-4]|PENDING\n13|PENDING\n";
        let sacct = "14_2|CANCELLED by 0\n14_2.batch|CANCELLED\n14_3|RUNNING\nnonsense\n";
        let states = parse_states(&format!("{squeue}{sacct}"));
        let get = |job: &str, task: Option<usize>| {
            states.get(&(job.to_string(), task)).map(String::as_str)
        };
        assert_eq!(get("12", Some(2)), Some("CANCELLED"));
        assert_eq!(get("12", Some(4)), Some("PENDING"));
        assert_eq!(get("13", None), Some("PENDING"));
        assert_eq!(get("14", Some(2)), Some("CANCELLED"));
        assert_eq!(get("14", Some(3)), Some("RUNNING"));
        assert_eq!(states.len(), 7);
    }

    fn submission() -> Submission {
        Submission {
            anneal_version: "0.1.0".into(),
            invocation: Invocation {
                tasks: 5,
                ..invocation()
            },
            directives: directives(),
            sweeps: vec![SweepEntry {
                name: "a.anneal :: s".into(),
                folder: "a.s".into(),
                items: 10,
            }],
            jobs: vec![
                Job {
                    kind: JobKind::Tasks,
                    id: "12".into(),
                    tasks: vec![1, 2, 3, 4, 5],
                },
                Job {
                    kind: JobKind::Merge,
                    id: "13".into(),
                    tasks: Vec::new(),
                },
            ],
        }
    }

    #[test]
    fn the_folders_win_and_the_scheduler_tells_the_rest() {
        let states = parse_states(
            "12_1|COMPLETED\n12_2|CANCELLED\n12_3|RUNNING\n12_4|COMPLETED\n13|PENDING\n",
        );
        let done = BTreeSet::from([1]);
        let tasks = task_states(&submission(), &done, &states);
        assert_eq!(
            tasks,
            vec![
                (1, TaskState::Done),
                (
                    2,
                    TaskState::Failed {
                        state: "CANCELLED".into(),
                        job: "12".into()
                    }
                ),
                (
                    3,
                    TaskState::Queued {
                        state: "RUNNING".into(),
                        job: "12".into()
                    }
                ),
                (
                    4,
                    TaskState::Failed {
                        state: "COMPLETED without its shard folder".into(),
                        job: "12".into()
                    }
                ),
                (5, TaskState::Lost),
            ]
        );
        let plan = resume_plan(&tasks, Some("PENDING"), Some("13"), false);
        assert_eq!(
            plan,
            ResumePlan {
                tasks: vec![2, 4, 5],
                waiting_for: vec!["12_3".into()],
                merge: true,
                cancel_merge: Some("13".into()),
            }
        );
    }

    #[test]
    fn a_resubmitted_task_is_judged_by_its_latest_job() {
        let mut submission = submission();
        submission.jobs.push(Job {
            kind: JobKind::Tasks,
            id: "20".into(),
            tasks: vec![2],
        });
        let states = parse_states("12_2|CANCELLED\n20_2|RUNNING\n");
        let tasks = task_states(&submission, &BTreeSet::from([1, 3, 4, 5]), &states);
        assert_eq!(
            tasks[1],
            (
                2,
                TaskState::Queued {
                    state: "RUNNING".into(),
                    job: "20".into()
                }
            )
        );
    }

    #[test]
    fn an_array_whose_tasks_all_run_or_succeeded_is_one_dependency() {
        let mut submission = submission();
        submission.jobs.push(Job {
            kind: JobKind::Tasks,
            id: "20".into(),
            tasks: vec![2, 3],
        });
        // Job 12 ran 1-5; 2 and 3 failed there and run again in job 20, with 4 and 5 queued
        // in job 12 still: job 12 as a whole will never succeed, job 20 may.
        let states = parse_states("12_4|RUNNING\n12_5|PENDING\n20_2|RUNNING\n20_3|PENDING\n");
        let tasks = task_states(&submission, &BTreeSet::from([1]), &states);
        let plan = resume_plan(&tasks, Some("PENDING"), Some("13"), false);
        assert_eq!(plan.waiting_for, ["20_2", "20_3", "12_4", "12_5"]);
        assert_eq!(
            compact_dependencies(&submission, &tasks, &plan.waiting_for),
            ["20", "12_4", "12_5"]
        );
        // The first array alone, all of it queued or done: one dependency.
        let first = Submission {
            jobs: submission.jobs[..2].to_vec(),
            ..submission
        };
        let states = parse_states("12_2|RUNNING\n12_3|PENDING\n12_4|PENDING\n12_5|PENDING\n");
        let tasks = task_states(&first, &BTreeSet::from([1]), &states);
        let plan = resume_plan(&tasks, Some("FAILED"), Some("13"), false);
        assert!(plan.merge && plan.tasks.is_empty());
        assert_eq!(
            compact_dependencies(&first, &tasks, &plan.waiting_for),
            ["12"]
        );
    }

    #[test]
    fn with_every_task_done_only_a_missing_merge_is_submitted() {
        let done: Vec<(usize, TaskState)> = (1..=3).map(|n| (n, TaskState::Done)).collect();
        let nothing = ResumePlan {
            tasks: Vec::new(),
            waiting_for: Vec::new(),
            merge: false,
            cancel_merge: None,
        };
        assert_eq!(
            resume_plan(&done, Some("COMPLETED"), Some("13"), true),
            nothing
        );
        assert_eq!(
            resume_plan(&done, Some("RUNNING"), Some("13"), false),
            nothing
        );
        let failed_merge = resume_plan(&done, Some("FAILED"), Some("13"), false);
        assert!(failed_merge.merge && failed_merge.cancel_merge.is_none());
        assert!(resume_plan(&done, None, None, false).merge);
    }
}
