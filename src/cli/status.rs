//! `anneal status WORK [--resume [--dry-run] [--time T] [--mem SIZE]]`: the state of a sweep
//! submitted by `anneal submit --work WORK`. Every task is done (its folder `shards/K` is in
//! place), queued (pending or running), failed (ended without its folder: failed, cancelled,
//! out of time or memory) or lost (no folder, and the scheduler no longer knows it). The
//! scheduler is asked first (`sacct` where accounting is on, then `squeue --states=all`, whose
//! answer is the more recent), and the folders are read after, so a task that finishes in
//! between counts as done. `--resume` submits the failed and lost tasks again as a new array,
//! and a new merge after them and after the tasks still queued.
//!
//! Exit code: 0 when nothing failed (the sweep is merged or on its way), 1 when a task or the
//! merge failed (and `--resume` was not asked) or the state cannot be read.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::cli::submit::{load, save, sbatch, scheduler};
use crate::cli::{EXIT_ERRORS, EXIT_OK};
use anneal_runner as runner;
use anneal_scenario::slurm::{self, Job, JobKey, JobKind, Submission, TaskState};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The work folder given to `anneal submit --work`.
    pub work: PathBuf,
    /// Submit the failed and lost tasks again, then the merge after them.
    #[arg(long)]
    pub resume: bool,
    /// With --resume: print what would be submitted, and submit and cancel nothing.
    #[arg(long, requires = "resume")]
    pub dry_run: bool,
    /// With --resume: ask for this time per task instead of the first submission's (for tasks
    /// that ran out of time).
    #[arg(long, requires = "resume", value_parser = slurm::parse_time)]
    pub time: Option<u64>,
    /// With --resume: ask for this memory per task instead of the first submission's.
    #[arg(long, requires = "resume", value_parser = runner::parse_bytes)]
    pub mem: Option<u64>,
}

pub fn run(args: &StatusArgs) -> i32 {
    match status(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_ERRORS
        }
    }
}

/// The scheduler's states of every job of the submission, and a note when it could not tell.
fn scheduler_states(submission: &Submission) -> (BTreeMap<JobKey, String>, Vec<String>) {
    let ids: Vec<&str> = submission.jobs.iter().map(|job| job.id.as_str()).collect();
    let mut states = BTreeMap::new();
    let mut notes = Vec::new();
    if ids.is_empty() {
        return (states, notes);
    }
    let jobs = format!("--jobs={}", ids.join(","));
    // sacct remembers every job but needs accounting; squeue knows only the jobs the
    // controller still holds (MinJobAge after they end), but is up to date, so it goes last.
    let sacct = [
        "--noheader",
        "--parsable2",
        "--allocations",
        "--format=JobID,State",
        &jobs,
    ]
    .map(str::to_string);
    let squeue = [
        "--noheader",
        "--array",
        "--states=all",
        "--format=%i|%T",
        &jobs,
    ]
    .map(str::to_string);
    let mut answered = false;
    for (program, args) in [("sacct", &sacct[..]), ("squeue", &squeue[..])] {
        match scheduler(program, args) {
            Ok(text) => {
                answered = true;
                states.extend(slurm::parse_states(&text));
            }
            Err(error) => notes.push(error),
        }
    }
    if answered {
        // One of the two failing is normal (no accounting; jobs the controller forgot).
        notes.clear();
    }
    (states, notes)
}

fn status(args: &StatusArgs) -> Result<i32, String> {
    let submission = load(&args.work)?;
    if submission.anneal_version != env!("CARGO_PKG_VERSION") {
        println!(
            "note: submitted by anneal {}, and this is anneal {}",
            submission.anneal_version,
            env!("CARGO_PKG_VERSION")
        );
    }
    let work = &submission.invocation.work;
    let (states, notes) = scheduler_states(&submission);
    for note in &notes {
        println!("note: the scheduler cannot tell: {note}");
    }
    // After the scheduler: a task that ends in between is then found done.
    let done = slurm::done_tasks(work, submission.invocation.tasks);
    let merged = slurm::merged(&submission);
    let tasks = slurm::task_states(&submission, &done, &states);
    let merge_job = submission.latest_merge();
    let merge_state = merge_job.and_then(|job| states.get(&(job.id.clone(), None)));

    println!(
        "{}: {} sweep{}, {} task{}",
        args.work.display(),
        submission.sweeps.len(),
        if submission.sweeps.len() == 1 {
            ""
        } else {
            "s"
        },
        submission.invocation.tasks,
        if submission.invocation.tasks == 1 {
            ""
        } else {
            "s"
        },
    );
    let done_list: Vec<usize> = done.iter().copied().collect();
    let mut counts = [0usize; 4];
    for (number, state) in &tasks {
        match state {
            TaskState::Done => counts[0] += 1,
            TaskState::Queued { state, job } => {
                counts[1] += 1;
                println!("  task {number}: {state} (job {job}_{number})");
            }
            TaskState::Failed { state, job } => {
                counts[2] += 1;
                println!(
                    "  task {number}: {state} (job {job}_{number}; log {})",
                    slurm::task_log(work, job, *number).display()
                );
            }
            TaskState::Lost => {
                counts[3] += 1;
                println!(
                    "  task {number}: lost (no shard folder, and the scheduler no longer knows it)"
                );
            }
        }
    }
    if !done_list.is_empty() {
        println!("  done: {}", slurm::array_spec(&done_list));
    }
    println!(
        "tasks: {} done, {} queued, {} failed, {} lost",
        counts[0], counts[1], counts[2], counts[3]
    );
    let merge_failed = !merged && merge_state.is_some_and(|state| !slurm::is_active(state));
    // The merge writes the sweeps and then fails when a cross-run expectation fails, as
    // `anneal merge` exits 1 then.
    let expectations_failed =
        merged && merge_state.is_some_and(|state| !slurm::is_active(state) && state != "COMPLETED");
    match (merged, merge_job, merge_state) {
        (true, Some(job), Some(state)) if expectations_failed => println!(
            "merge: done, in {}, but the merge job ended {state}: an expectation failed (log {})",
            work.join(slurm::SWEEPS).display(),
            slurm::merge_log(work, &job.id).display()
        ),
        (true, _, _) => println!("merge: done, in {}", work.join(slurm::SWEEPS).display()),
        (false, Some(job), Some(state)) => println!(
            "merge: {state} (job {}; log {}){}",
            job.id,
            slurm::merge_log(work, &job.id).display(),
            // SLURM keeps a job whose afterok dependency failed pending (DependencyNeverSatisfied).
            if slurm::is_active(state) && counts[2] + counts[3] > 0 {
                "; it waits for tasks that failed, so it will not run: --resume replaces it"
            } else {
                ""
            }
        ),
        (false, Some(job), None) => println!(
            "merge: not done, and the scheduler no longer knows job {}",
            job.id
        ),
        (false, None, _) => println!("merge: not submitted"),
    }
    let resumable = counts[2] + counts[3] > 0 || merge_failed || (merge_job.is_none() && !merged);
    let failed = resumable || expectations_failed;
    if !args.resume {
        if resumable {
            println!(
                "resubmit what failed with `anneal status {} --resume`",
                args.work.display()
            );
        }
        return Ok(if failed { EXIT_ERRORS } else { EXIT_OK });
    }

    let plan = slurm::resume_plan(
        &tasks,
        merge_state.map(String::as_str),
        merge_job.map(|job| job.id.as_str()),
        merged,
    );
    if plan.tasks.is_empty() && !plan.merge {
        println!("resume: nothing to submit");
        return Ok(if expectations_failed {
            EXIT_ERRORS
        } else {
            EXIT_OK
        });
    }
    let plan = slurm::ResumePlan {
        waiting_for: slurm::compact_dependencies(&submission, &tasks, &plan.waiting_for),
        ..plan
    };
    resume(args, submission, &plan)?;
    Ok(EXIT_OK)
}

/// Cancels the merge the plan replaces, submits the plan's tasks as a new array and a new
/// merge after them, recording every job in `submission.yaml` as soon as it is submitted.
fn resume(
    args: &StatusArgs,
    mut submission: Submission,
    plan: &slurm::ResumePlan,
) -> Result<(), String> {
    let work = submission.invocation.work.clone();
    let task_script = work.join(slurm::TASK_SCRIPT);
    let merge_script = work.join(slurm::MERGE_SCRIPT);
    let mut task_options = Vec::new();
    if !plan.tasks.is_empty() {
        task_options.push(format!("--array={}", slurm::array_spec(&plan.tasks)));
    }
    if let Some(seconds) = args.time {
        task_options.push(format!("--time={}", slurm::format_time(seconds)));
    }
    if let Some(bytes) = args.mem {
        task_options.push(format!("--mem={}M", bytes.div_ceil(1 << 20)));
    }
    if args.dry_run {
        if let Some(job) = &plan.cancel_merge {
            println!("would run: scancel {job}");
        }
        if !plan.tasks.is_empty() {
            println!(
                "would run: sbatch --parsable {} {}",
                task_options.join(" "),
                task_script.display()
            );
        }
        if plan.merge {
            let mut after = plan.waiting_for.clone();
            if !plan.tasks.is_empty() {
                after.insert(0, "<the new tasks' job id>".into());
            }
            let dependency = if after.is_empty() {
                String::new()
            } else {
                format!("--dependency=afterok:{} ", after.join(":"))
            };
            println!(
                "would run: sbatch --parsable {dependency}{}",
                merge_script.display()
            );
        }
        return Ok(());
    }
    // The replaced merge waits on tasks that failed, so it would never run; it is cancelled
    // first, so that two merges never write the sweeps at once.
    if let Some(job) = &plan.cancel_merge {
        scheduler("scancel", std::slice::from_ref(job))?;
        println!("cancelled the merge job {job}");
    }
    let mut after = plan.waiting_for.clone();
    if !plan.tasks.is_empty() {
        let id = sbatch(&task_options, &task_script)?;
        println!(
            "resubmitted task{} {}: job {id}",
            if plan.tasks.len() == 1 { "" } else { "s" },
            slurm::array_spec(&plan.tasks)
        );
        after.insert(0, id.clone());
        submission.jobs.push(Job {
            kind: JobKind::Tasks,
            id,
            tasks: plan.tasks.clone(),
        });
        save(&submission)?;
    }
    if plan.merge {
        let options: Vec<String> = if after.is_empty() {
            Vec::new()
        } else {
            vec![format!("--dependency=afterok:{}", after.join(":"))]
        };
        let id = sbatch(&options, &merge_script)?;
        println!(
            "submitted the merge: job {id}{}",
            if after.is_empty() {
                String::new()
            } else {
                format!(", after {}", after.join(", "))
            }
        );
        submission.jobs.push(Job {
            kind: JobKind::Merge,
            id,
            tasks: Vec::new(),
        });
        save(&submission)?;
    }
    Ok(())
}
