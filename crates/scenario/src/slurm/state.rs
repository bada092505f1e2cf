//! The scheduler's answers read into the state of every task, and the plan of a resume.

use super::*;

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
pub(super) fn parse_array_spec(text: &str) -> Option<Vec<usize>> {
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
