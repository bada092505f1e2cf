//! `anneal submit [DIR] --work WORK [--tasks N | --items-per-task M] ...`: runs the sweeps of a
//! scenario library on a SLURM cluster. Every item is estimated first (its plan's run time and
//! memory, see `anneal_scenario::estimate`); then the array script (task K runs
//! `anneal test DIR --sweeps-only --shard K/N`) and the merge script are written to WORK,
//! the array is submitted with `sbatch`, and the merge after it with `--dependency=afterok`.
//! `--dry-run` prints both scripts and the `sbatch` commands, and writes and submits nothing.
//! `anneal status WORK` follows the sweep (see `status.rs`). The layout of WORK is in
//! `anneal_scenario::slurm` and docs/cluster.md.
//!
//! The scheduler's commands are run here, and `status.rs` uses them too.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::test::find_scripts;
use crate::cli::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};
use anneal_diagnostics::{RenderOptions, render_all};
use anneal_runner as runner;
use anneal_scenario::estimate::{SweepEstimate, estimate_items};
use anneal_scenario::slurm::{
    self, Directives, Invocation, Job, JobKind, MERGE_SCRIPT, Split, Submission, SweepEntry,
    TASK_SCRIPT,
};
use anneal_scenario::sweep;

#[derive(Debug, clap::Args)]
pub struct SubmitArgs {
    /// The folder to search for `.anneal` scripts, as for `anneal test`.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The work folder, on a filesystem every node shares: the batch scripts, the shards, the
    /// logs and the merged sweeps (WORK/sweeps) go there.
    #[arg(long)]
    pub work: PathBuf,
    /// Only scripts whose path or scenario name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// The number of tasks of the job array (at most the largest sweep's item count).
    #[arg(long, conflicts_with = "items_per_task")]
    pub tasks: Option<usize>,
    /// The most items of each sweep one task runs (the default is 1: a task per item).
    #[arg(long)]
    pub items_per_task: Option<usize>,
    /// CPUs per task; a task runs its items on that many threads.
    #[arg(long, default_value_t = 1)]
    pub cpus_per_task: usize,
    /// The partition (queue) to submit to.
    #[arg(long)]
    pub partition: Option<String>,
    /// The account to charge.
    #[arg(long)]
    pub account: Option<String>,
    /// An extra `#SBATCH` option for both scripts, as sbatch takes it (repeat for more):
    /// `--sbatch=--qos=long --sbatch=--constraint=skylake`.
    #[arg(long = "sbatch", value_name = "OPTION", allow_hyphen_values = true)]
    pub extra: Vec<String>,
    /// The factor on the estimated time and memory of a task.
    #[arg(long, default_value_t = 2.0)]
    pub margin: f64,
    /// The least time a task (and the merge) asks for: startup, reading the scripts and
    /// writing the shards are not in the estimates.
    #[arg(long, default_value = "10min", value_parser = slurm::parse_time)]
    pub min_time: u64,
    /// Ask for this time per task instead of the estimate (HH:MM:SS, D-HH:MM:SS, 2h, ...).
    #[arg(long, value_parser = slurm::parse_time)]
    pub time: Option<u64>,
    /// Ask for this memory per task instead of the estimate (512MB, 2GB, ...).
    #[arg(long, value_parser = runner::parse_bytes)]
    pub mem: Option<u64>,
    /// The `anneal` the tasks run (default: this one); it must be on the shared filesystem.
    #[arg(long)]
    pub anneal: Option<PathBuf>,
    /// Print the scripts and the sbatch commands; write and submit nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// A sweep of the library with its estimate.
struct Found {
    entry: SweepEntry,
    estimate: SweepEstimate,
}

pub fn run(args: &SubmitArgs) -> i32 {
    match submit(args) {
        Ok(code) => code,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            EXIT_USAGE
        }
        Err(Failure::Errors(message)) => {
            eprintln!("error: {message}");
            EXIT_ERRORS
        }
    }
}

enum Failure {
    Usage(String),
    Errors(String),
}

fn submit(args: &SubmitArgs) -> Result<i32, Failure> {
    if !(args.margin.is_finite() && args.margin > 0.0) {
        return Err(Failure::Usage(format!(
            "--margin {} is not a positive factor",
            args.margin
        )));
    }
    if args.tasks == Some(0) || args.items_per_task == Some(0) || args.cpus_per_task == 0 {
        return Err(Failure::Usage(
            "--tasks, --items-per-task and --cpus-per-task must be at least 1".into(),
        ));
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::Errors(format!("cannot read the current folder: {e}")))?;
    let work = cwd.join(&args.work);
    if !slurm::plain_path(&work) {
        return Err(Failure::Usage(format!(
            "the work folder `{}` has characters sbatch cannot take in an #SBATCH line \
             (spaces, quotes, ...): choose a plainer path",
            work.display()
        )));
    }
    if work.join(slurm::SUBMISSION_FILE).exists() {
        return Err(Failure::Errors(format!(
            "`{}` already holds a submission: follow it with `anneal status {}` (or `--resume` \
             it), or choose another --work folder",
            work.display(),
            args.work.display()
        )));
    }
    let anneal = match &args.anneal {
        Some(path) => cwd.join(path),
        None => std::env::current_exe()
            .map_err(|e| Failure::Errors(format!("cannot find this anneal executable: {e}")))?,
    };
    if !anneal.is_file() {
        return Err(Failure::Usage(format!(
            "--anneal `{}` is not a file",
            anneal.display()
        )));
    }

    let found = find_sweeps(args)?;
    if found.is_empty() {
        return Err(Failure::Errors(format!(
            "no scenario under `{}`{}: nothing to submit",
            args.dir.display(),
            args.filter
                .as_deref()
                .map(|f| format!(" matches `{f}`"))
                .unwrap_or_default()
        )));
    }
    let max_items = found.iter().map(|f| f.entry.items).max().unwrap_or(0);
    let split = match (args.tasks, args.items_per_task) {
        (Some(tasks), _) => Split::Tasks(tasks),
        (None, per_task) => Split::ItemsPerTask(per_task.unwrap_or(1)),
    };
    let tasks = slurm::task_count(max_items, split);
    if let Some(asked) = args.tasks
        && asked > tasks
    {
        println!(
            "note: {tasks} tasks rather than {asked}: the largest sweep has {max_items} items"
        );
    }
    let estimates: Vec<SweepEstimate> = found.iter().map(|f| f.estimate.clone()).collect();
    let needs = slurm::task_needs(&estimates, tasks, args.cpus_per_task);
    let (estimated_seconds, estimated_mib) = slurm::request(&needs, args.margin, args.min_time);
    let time_seconds = args.time.unwrap_or(estimated_seconds);
    let memory_mib = args
        .mem
        .map_or(estimated_mib, |bytes| bytes.div_ceil(1 << 20));
    let directives = Directives {
        partition: args.partition.clone(),
        account: args.account.clone(),
        extra: args.extra.clone(),
        cpus_per_task: args.cpus_per_task,
        time_seconds,
        memory_mib,
        // The merge reads the shards' records (small), checks the scripts again and draws the
        // plots: the least time and a task's memory are plenty.
        merge_time_seconds: args.min_time.div_ceil(60) * 60,
        merge_memory_mib: memory_mib,
    };
    directives.check().map_err(Failure::Usage)?;
    let invocation = Invocation {
        cwd,
        anneal,
        dir: args.dir.clone(),
        filter: args.filter.clone(),
        work: work.clone(),
        tasks,
    };

    let longest = needs.iter().map(|n| n.seconds).fold(0.0, f64::max);
    let largest = needs.iter().map(|n| n.memory_bytes).max().unwrap_or(0);
    println!(
        "{} sweep{}, {} items in all; {tasks} task{} of at most {} item{} of each sweep",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        found.iter().map(|f| f.entry.items).sum::<usize>(),
        if tasks == 1 { "" } else { "s" },
        max_items.div_ceil(tasks),
        if max_items.div_ceil(tasks) == 1 {
            ""
        } else {
            "s"
        },
    );
    println!(
        "per task: estimated {:.1} s and {} at most; asking {} and {} MiB{}",
        longest,
        runner::format_bytes(largest),
        slurm::format_time(time_seconds),
        memory_mib,
        if args.time.is_some() || args.mem.is_some() {
            " (as given)".to_string()
        } else {
            format!(
                " (margin {}, at least {})",
                args.margin,
                slurm::format_time(args.min_time)
            )
        }
    );

    let task_text = slurm::task_script(&directives, &invocation);
    let merge_text = slurm::merge_script(&directives, &invocation);
    let task_path = work.join(TASK_SCRIPT);
    let merge_path = work.join(MERGE_SCRIPT);
    if args.dry_run {
        println!("--- {} ---", task_path.display());
        print!("{task_text}");
        println!("--- {} ---", merge_path.display());
        print!("{merge_text}");
        println!("--- would run ---");
        println!("sbatch --parsable {}", task_path.display());
        println!(
            "sbatch --parsable --dependency=afterok:<the tasks' job id> {}",
            merge_path.display()
        );
        return Ok(EXIT_OK);
    }

    for folder in [
        work.clone(),
        work.join(slurm::LOGS),
        work.join(slurm::SHARDS),
    ] {
        std::fs::create_dir_all(&folder)
            .map_err(|e| Failure::Errors(format!("cannot create `{}`: {e}", folder.display())))?;
    }
    for (path, text) in [(&task_path, &task_text), (&merge_path, &merge_text)] {
        write_atomically(path, text).map_err(Failure::Errors)?;
    }
    let mut submission = Submission {
        anneal_version: env!("CARGO_PKG_VERSION").to_string(),
        invocation,
        directives,
        sweeps: found.into_iter().map(|f| f.entry).collect(),
        jobs: Vec::new(),
    };
    let tasks_job = sbatch(&[], &task_path).map_err(Failure::Errors)?;
    println!("submitted the tasks: job {tasks_job} (array 1-{tasks})");
    submission.jobs.push(Job {
        kind: JobKind::Tasks,
        id: tasks_job.clone(),
        tasks: (1..=tasks).collect(),
    });
    // Recorded before the merge is submitted, so that `anneal status` knows the tasks even if
    // the merge cannot be submitted.
    save(&submission).map_err(Failure::Errors)?;
    let merge_job = sbatch(&[format!("--dependency=afterok:{tasks_job}")], &merge_path)
        .map_err(|error| {
            Failure::Errors(format!(
                "{error}\nthe tasks run; submit the merge with `anneal status {} --resume` once they are done",
                args.work.display()
            ))
        })?;
    println!("submitted the merge: job {merge_job}, after every task succeeds");
    submission.jobs.push(Job {
        kind: JobKind::Merge,
        id: merge_job,
        tasks: Vec::new(),
    });
    save(&submission).map_err(Failure::Errors)?;
    println!(
        "follow it with `anneal status {}`; the merged sweeps will be in {}",
        args.work.display(),
        work.join(slurm::SWEEPS).display()
    );
    Ok(EXIT_OK)
}

/// Every scenario of the library (as `anneal test` would choose them), estimated.
fn find_sweeps(args: &SubmitArgs) -> Result<Vec<Found>, Failure> {
    let mut found = Vec::new();
    for script in find_scripts(&args.dir) {
        let checked = anneal_semantics::check_file(&script);
        let has_errors = checked
            .diagnostics
            .iter()
            .any(anneal_diagnostics::Diagnostic::is_error);
        let path_matches = args
            .filter
            .as_deref()
            .is_none_or(|filter| script.display().to_string().contains(filter));
        let Some(program) = checked.program.filter(|_| !has_errors) else {
            // A script the filter keeps must check, as for `anneal test`: its scenarios would
            // be silently left out of the sweep otherwise.
            if path_matches {
                eprint!(
                    "{}",
                    render_all(
                        &checked.diagnostics,
                        &checked.sources,
                        RenderOptions::for_stderr()
                    )
                );
                return Err(Failure::Errors(format!(
                    "`{}` does not check",
                    script.display()
                )));
            }
            continue;
        };
        let relative = script.strip_prefix(&args.dir).unwrap_or(&script);
        for scenario in &program.scenarios {
            let wanted = path_matches
                || args
                    .filter
                    .as_deref()
                    .is_some_and(|filter| scenario.name.contains(filter));
            if !wanted {
                continue;
            }
            let name = format!("{} :: {}", relative.display(), scenario.name);
            println!("estimating {name} ({} items)", scenario.run_count());
            let estimate = estimate_items(&script, scenario)
                .map_err(|error| Failure::Errors(format!("{name}: {error}")))?;
            found.push(Found {
                entry: SweepEntry {
                    name,
                    folder: sweep::folder(relative, &scenario.name),
                    items: scenario.run_count(),
                },
                estimate,
            });
        }
    }
    Ok(found)
}

/// Writes `text` to `path` through a temporary file and a rename, so that a reader on another
/// node sees the old file or the new one, never a part.
pub(super) fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            format!("cannot write `{}`: {e}", path.display())
        })
}

/// Writes `submission.yaml`.
pub(super) fn save(submission: &Submission) -> Result<(), String> {
    let text = serde_norway::to_string(submission)
        .map_err(|e| format!("cannot serialise the submission: {e}"))?;
    write_atomically(
        &submission.invocation.work.join(slurm::SUBMISSION_FILE),
        &text,
    )
}

/// Reads `WORK/submission.yaml`.
pub(super) fn load(work: &Path) -> Result<Submission, String> {
    let path = work.join(slurm::SUBMISSION_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == ErrorKind::NotFound {
            format!(
                "`{}` holds no {} (a work folder of `anneal submit --work`)",
                work.display(),
                slurm::SUBMISSION_FILE
            )
        } else {
            format!("cannot read `{}`: {e}", path.display())
        }
    })?;
    serde_norway::from_str(&text)
        .map_err(|e| format!("`{}` is not a submission: {e}", path.display()))
}

/// The output of a scheduler command, or why there is none.
pub(super) fn scheduler(program: &str, args: &[String]) -> Result<String, String> {
    let output = Command::new(program).args(args).output().map_err(|e| {
        if e.kind() == ErrorKind::NotFound {
            format!(
                "`{program}` was not found: anneal submit and status need SLURM's commands \
                 (run them on a login node of the cluster; `anneal submit --dry-run` prints \
                 the scripts without them)"
            )
        } else {
            format!("cannot run `{program}`: {e}")
        }
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "`{program} {}` failed ({}): {}",
            args.join(" "),
            output.status,
            stderr.trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Submits `script` with `sbatch --parsable` and the given options; returns the job id.
pub(super) fn sbatch(options: &[String], script: &Path) -> Result<String, String> {
    let mut args = vec!["--parsable".to_string()];
    args.extend(options.iter().cloned());
    args.push(script.display().to_string());
    let output = scheduler("sbatch", &args)?;
    // `--parsable` prints `JOBID` or `JOBID;CLUSTER`.
    let id = output.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("sbatch answered `{}`, not a job id", output.trim()));
    }
    Ok(id)
}
