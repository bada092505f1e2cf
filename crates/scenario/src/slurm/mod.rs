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

mod request;
mod scripts;
mod state;

pub use request::*;
pub use scripts::*;
pub use state::*;

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
