//! `anneal submit` and `anneal status` through the binary, without a cluster: the scripts of
//! `--dry-run` (snapshots), clear errors when `sbatch` is missing or refuses, and the whole
//! submit → status → `--resume` conversation with stand-ins for `sbatch`, `squeue`, `sacct` and
//! `scancel` that record their arguments and answer what the test tells them. The same against
//! a real SLURM cluster is `tests/slurm/run.sh`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Six items on a small ring: every estimate is tiny, so the requests are the floors.
const SEEDS: &str = r#"experiment "seeds" {
  seed 1
  dt 50 ms
  duration 1 min
}
connectome c = ring(nodes: 16)
harmonics of c {
  modes 6
}
landscape on nodes {
  scale 0.5
}
record every 1 s { temperature, frustration }
scenario "seeds" {
  vary seed in 1..6
  expect mean(temperature) > 0
}
"#;

/// A folder with the library `lab/` and a folder `bin/` for the stand-in commands.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path().canonicalize().expect("canonical path");
    std::fs::create_dir_all(root.join("lab/more")).unwrap();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::write(root.join("lab/seeds.anneal"), SEEDS).unwrap();
    std::fs::write(
        root.join("lab/more/pair.anneal"),
        SEEDS
            .replace("1..6", "1..2")
            .replace("\"seeds\" {\n  vary", "\"pair\" {\n  vary"),
    )
    .unwrap();
    (dir, root)
}

/// A stand-in for a scheduler command: appends its name and arguments to `calls.log`, then
/// runs `body` (POSIX sh).
fn fake(root: &Path, name: &str, body: &str) {
    let path = root.join("bin").join(name);
    let script = format!(
        "#!/bin/sh\nPATH=/usr/bin:/bin\necho \"{name} $*\" >> '{log}'\n{body}\n",
        log = root.join("calls.log").display()
    );
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `sbatch --parsable` numbering its jobs from 100.
fn fake_sbatch(root: &Path) {
    let next = root.join("next_job");
    fake(
        root,
        "sbatch",
        &format!(
            "n=$(cat '{next}' 2>/dev/null || echo 100)\necho $((n + 1)) > '{next}'\necho \"$n\"",
            next = next.display()
        ),
    );
}

/// A cluster without accounting (sacct refuses), whose squeue prints the file `squeue.txt`.
fn fake_queue(root: &Path) {
    fake(
        root,
        "sacct",
        "echo 'Slurm accounting storage is disabled' >&2\nexit 1",
    );
    fake(
        root,
        "squeue",
        &format!("cat '{}'", root.join("squeue.txt").display()),
    );
    fake(root, "scancel", "exit 0");
}

/// Runs anneal in `root` with only `root/bin` on PATH.
fn anneal(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anneal"))
        .current_dir(root)
        .env("PATH", root.join("bin"))
        .env("NO_COLOR", "1")
        .env("RAYON_NUM_THREADS", "1")
        .env_remove("CI")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// stdout with the test's folder and the binary's path replaced by stable names.
fn stable(root: &Path, output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .replace(env!("CARGO_BIN_EXE_anneal"), "[ANNEAL]")
        .replace(&root.display().to_string(), "[ROOT]")
}

fn calls(root: &Path) -> String {
    std::fs::read_to_string(root.join("calls.log"))
        .unwrap_or_default()
        .replace(&root.display().to_string(), "[ROOT]")
}

#[test]
fn dry_run_prints_the_array_and_the_merge_scripts() {
    let (_dir, root) = setup();
    let output = anneal(
        &root,
        &[
            "submit",
            "lab",
            "--work",
            "runs/one",
            "--items-per-task",
            "2",
            "--partition",
            "compute",
            "--account",
            "lab42",
            "--sbatch=--qos=long",
            "--sbatch",
            "#SBATCH --constraint=skylake",
            "--dry-run",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let stdout = stable(&root, &output);
    // The estimated seconds include the measured time of the harmonics, so that line is
    // checked apart from the snapshot.
    let (head, scripts) = stdout.split_once("--- ").expect("the scripts are printed");
    assert!(
        head.contains("2 sweeps, 8 items in all; 3 tasks of at most 2 items of each sweep"),
        "{head}"
    );
    // The memory asked is twice (the margin) a task's base and its one item at a time, whose
    // estimate is the plan's (every item differs only by its seed).
    let plan = anneal(&root, &["plan", "lab/seeds.anneal"]);
    let plan = String::from_utf8_lossy(&plan.stdout);
    let item_bytes: u64 = plan
        .lines()
        .find_map(|line| line.trim().strip_prefix("memory_bytes: "))
        .and_then(|n| n.parse().ok())
        .expect("the plan's memory estimate");
    let mebibytes = (2 * ((256 << 20) + item_bytes)).div_ceil(1 << 20);
    assert!(
        head.contains(&format!(
            "asking 00:10:00 and {mebibytes} MiB (margin 2, at least 00:10:00)"
        )),
        "{head}"
    );
    insta::assert_snapshot!(format!("--- {scripts}"));
    // A dry run writes nothing and calls nothing.
    assert!(!root.join("runs").exists());
    assert_eq!(calls(&root), "");
}

#[test]
fn time_memory_and_the_task_count_can_be_given() {
    let (_dir, root) = setup();
    let output = anneal(
        &root,
        &[
            "submit",
            "lab",
            "--work",
            "w",
            "--tasks",
            "50",
            "--time",
            "1-2",
            "--mem",
            "3GB",
            "--cpus-per-task",
            "4",
            "--filter",
            "pair",
            "--dry-run",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let stdout = stable(&root, &output);
    // The filter keeps the two-item sweep: two tasks, not fifty.
    assert!(
        stdout.contains("note: 2 tasks rather than 50: the largest sweep has 2 items"),
        "{stdout}"
    );
    for line in [
        "#SBATCH --array=1-2",
        "#SBATCH --time=1-02:00:00",
        "#SBATCH --mem=2862M",
        "#SBATCH --cpus-per-task=4",
        "[ANNEAL] test lab --filter pair --sweeps-only --shard \"$task/2\" --out \"$partial\"",
    ] {
        assert!(stdout.contains(line), "{line} in\n{stdout}");
    }
}

#[test]
fn bad_requests_are_usage_errors() {
    let (_dir, root) = setup();
    for (args, message) in [
        (
            &["--sbatch=--array=1-9"][..],
            "anneal submit sets --array itself",
        ),
        (
            &["--margin", "0"][..],
            "--margin 0 is not a positive factor",
        ),
        (&["--tasks", "0"][..], "must be at least 1"),
        (&["--time", "soon"][..], "`soon` is not a time"),
    ] {
        let mut all = vec!["submit", "lab", "--work", "w", "--dry-run"];
        all.extend_from_slice(args);
        let output = anneal(&root, &all);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains(message),
            "{args:?}: {}",
            text(&output)
        );
    }
    let spaced = anneal(&root, &["submit", "lab", "--work", "my runs", "--dry-run"]);
    assert_eq!(spaced.status.code(), Some(2), "{}", text(&spaced));
    assert!(text(&spaced).contains("#SBATCH line"), "{}", text(&spaced));
}

#[test]
fn a_missing_sbatch_is_a_clear_error_and_leaves_no_submission() {
    let (_dir, root) = setup();
    let output = anneal(&root, &["submit", "lab", "--work", "w"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let message = text(&output);
    assert!(message.contains("`sbatch` was not found"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    // The scripts are there to read, but nothing was submitted, so the folder can be reused.
    assert!(root.join("w/task.sbatch").is_file());
    assert!(!root.join("w/submission.yaml").exists());
    let status = anneal(&root, &["status", "w"]);
    assert_eq!(status.status.code(), Some(1));
    assert!(
        text(&status).contains("holds no submission.yaml"),
        "{}",
        text(&status)
    );
}

#[test]
fn a_refusing_sbatch_is_reported_with_its_message() {
    let (_dir, root) = setup();
    fake(
        &root,
        "sbatch",
        "echo 'sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified' >&2\nexit 1",
    );
    let output = anneal(
        &root,
        &["submit", "lab", "--work", "w", "--account", "nobody"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let message = text(&output);
    assert!(message.contains("Invalid account"), "{message}");
    assert!(message.contains("`sbatch --parsable"), "{message}");
    assert!(!root.join("w/submission.yaml").exists());

    fake(&root, "sbatch", "echo 'Submitted batch job 12'");
    let output = anneal(&root, &["submit", "lab", "--work", "w2"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("not a job id"), "{}", text(&output));
}

#[test]
fn submit_status_and_resume_talk_to_the_scheduler() {
    let (_dir, root) = setup();
    fake_sbatch(&root);
    fake_queue(&root);
    let output = anneal(&root, &["submit", "lab", "--work", "w", "--tasks", "4"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("submitted the tasks: job 100 (array 1-4)"));
    assert!(text(&output).contains("submitted the merge: job 101"));
    assert_eq!(
        calls(&root),
        "sbatch --parsable [ROOT]/w/task.sbatch\n\
         sbatch --parsable --dependency=afterok:100 [ROOT]/w/merge.sbatch\n"
    );
    let again = anneal(&root, &["submit", "lab", "--work", "w", "--tasks", "4"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("already holds a submission"));

    // Tasks 1 and 3 wrote their folders; 2 was cancelled, 4 runs; the merge waits.
    for done in ["1", "3"] {
        std::fs::create_dir_all(root.join("w/shards").join(done)).unwrap();
    }
    std::fs::write(
        root.join("squeue.txt"),
        "100_1|COMPLETED\n100_2|CANCELLED\n100_3|COMPLETED\n100_4|RUNNING\n101|PENDING\n",
    )
    .unwrap();
    std::fs::remove_file(root.join("calls.log")).unwrap();
    let status = anneal(&root, &["status", "w"]);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status));
    insta::assert_snapshot!("status_with_a_cancelled_task", stable(&root, &status));
    assert_eq!(
        calls(&root),
        "sacct --noheader --parsable2 --allocations --format=JobID,State --jobs=100,101\n\
         squeue --noheader --array --states=all --format=%i|%T --jobs=100,101\n"
    );

    std::fs::remove_file(root.join("calls.log")).unwrap();
    let dry = anneal(&root, &["status", "w", "--resume", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(
        text(&dry).contains(
            "would run: sbatch --parsable --dependency=afterok:<the new tasks' job id>:100_4"
        ),
        "{}",
        text(&dry)
    );
    assert!(
        !calls(&root).contains("sbatch --parsable"),
        "{}",
        calls(&root)
    );

    std::fs::remove_file(root.join("calls.log")).unwrap();
    let resume = anneal(&root, &["status", "w", "--resume", "--time", "2h"]);
    assert!(resume.status.success(), "{}", text(&resume));
    let log = calls(&root);
    let submitted: Vec<&str> = log
        .lines()
        .filter(|line| !line.starts_with("sacct") && !line.starts_with("squeue"))
        .collect();
    assert_eq!(
        submitted,
        [
            "scancel 101",
            "sbatch --parsable --array=2 --time=02:00:00 [ROOT]/w/task.sbatch",
            "sbatch --parsable --dependency=afterok:102:100_4 [ROOT]/w/merge.sbatch",
        ]
    );

    // Task 2 runs again as job 102; once every folder is there and the merged sweeps are
    // written, the sweep is complete and --resume has nothing to do.
    for done in ["2", "4"] {
        std::fs::create_dir_all(root.join("w/shards").join(done)).unwrap();
    }
    for sweep in ["seeds.seeds", "more/pair.pair"] {
        let folder = root.join("w/sweeps").join(sweep);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("sweep.yaml"), "").unwrap();
    }
    std::fs::write(
        root.join("squeue.txt"),
        "100_4|COMPLETED\n102_2|COMPLETED\n103|COMPLETED\n",
    )
    .unwrap();
    let status = anneal(&root, &["status", "w", "--resume"]);
    assert!(status.status.success(), "{}", text(&status));
    let report = text(&status);
    assert!(
        report.contains("tasks: 4 done, 0 queued, 0 failed, 0 lost"),
        "{report}"
    );
    assert!(report.contains("merge: done"), "{report}");
    assert!(report.contains("resume: nothing to submit"), "{report}");
}

#[test]
fn status_works_from_the_folders_where_the_scheduler_forgot_the_jobs() {
    let (_dir, root) = setup();
    fake_sbatch(&root);
    fake_queue(&root);
    assert!(
        anneal(&root, &["submit", "lab", "--work", "w", "--tasks", "2"])
            .status
            .success()
    );
    std::fs::create_dir_all(root.join("w/shards/1")).unwrap();
    std::fs::write(root.join("squeue.txt"), "").unwrap();
    let status = anneal(&root, &["status", "w"]);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status));
    let report = text(&status);
    assert!(report.contains("task 2: lost"), "{report}");
    assert!(
        report.contains("merge: not done, and the scheduler no longer knows job 101"),
        "{report}"
    );
}

#[test]
fn submit_and_status_have_help() {
    let (_dir, root) = setup();
    for command in [&["submit", "--help"][..], &["status", "--help"][..]] {
        let output = anneal(&root, command);
        assert!(output.status.success(), "{command:?}: {}", text(&output));
    }
}

/// Every file under `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("folder listed") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("file read");
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    files
}

/// Runs a batch script as SLURM would run task `task` of job `job` (bash, the array's
/// variables set), in `root` with the usual PATH.
fn run_script(root: &Path, script: &Path, task: Option<usize>, job: usize) -> Output {
    let mut command = Command::new("bash");
    command
        .arg(script)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env("SLURM_JOB_ID", job.to_string())
        .env("SLURM_CPUS_PER_TASK", "1")
        .env_remove("CI");
    if let Some(task) = task {
        command.env("SLURM_ARRAY_TASK_ID", task.to_string());
    }
    command.output().expect("bash runs")
}

#[test]
fn the_written_scripts_merge_into_the_local_runs_folder_and_a_killed_task_leaves_no_shard() {
    let (_dir, root) = setup();
    fake_sbatch(&root);
    // Without snapshots, `anneal test` fails; `--sweeps-only` (what the tasks run) does not.
    let plain = anneal(&root, &["test", "lab", "--out", "local"]);
    assert_eq!(plain.status.code(), Some(1), "{}", text(&plain));
    assert!(text(&plain).contains("no snapshot"), "{}", text(&plain));
    let local = anneal(&root, &["test", "lab", "--sweeps-only", "--out", "local"]);
    assert!(local.status.success(), "{}", text(&local));

    let submit = anneal(&root, &["submit", "lab", "--work", "w", "--tasks", "3"]);
    assert!(submit.status.success(), "{}", text(&submit));
    let work = root.join("w");
    for task in 1..=3 {
        let output = run_script(&root, &work.join("task.sbatch"), Some(task), 10 + task);
        assert!(output.status.success(), "task {task}: {}", text(&output));
        assert!(work.join("shards").join(task.to_string()).is_dir());
    }
    // Only the three folders: the hidden partial folders were renamed into place.
    let names: Vec<String> = std::fs::read_dir(work.join("shards"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let merge = run_script(&root, &work.join("merge.sbatch"), None, 20);
    assert!(merge.status.success(), "{}", text(&merge));
    let merged = tree(&work.join("sweeps"));
    assert_eq!(merged.len(), 12, "{:?}", merged.keys());
    assert!(
        merged == tree(&root.join("local")),
        "the merged folder differs from the local run's"
    );

    // A task killed after its shards were written but before the rename: its anneal is a
    // stand-in that runs the real one, then dies by SIGKILL.
    let killer = root.join("bin/anneal-killed");
    std::fs::write(
        &killer,
        format!(
            "#!/bin/sh\n'{}' \"$@\"\nkill -9 $$\n",
            env!("CARGO_BIN_EXE_anneal")
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&killer, std::fs::Permissions::from_mode(0o755)).unwrap();
    let killed_submit = anneal(
        &root,
        &[
            "submit",
            "lab",
            "--work",
            "k",
            "--tasks",
            "3",
            "--anneal",
            "bin/anneal-killed",
        ],
    );
    assert!(killed_submit.status.success(), "{}", text(&killed_submit));
    let killed_work = root.join("k");
    let killed = run_script(&root, &killed_work.join("task.sbatch"), Some(2), 31);
    assert!(!killed.status.success(), "{}", text(&killed));
    assert!(!killed_work.join("shards/2").exists());
    // Its shards are complete, but hidden in its partial folder, which nothing reads.
    assert!(
        killed_work
            .join("shards/.2.partial.31/seeds.seeds/shard.yaml")
            .is_file()
    );
    for task in [1, 3] {
        std::fs::create_dir_all(killed_work.join("shards")).unwrap();
        let from = work.join("shards").join(task.to_string());
        let status = Command::new("cp")
            .arg("-r")
            .arg(&from)
            .arg(killed_work.join("shards").join(task.to_string()))
            .status()
            .unwrap();
        assert!(status.success());
    }
    let refused = run_script(&root, &killed_work.join("merge.sbatch"), None, 40);
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("shards/2` is not a folder"),
        "{}",
        text(&refused)
    );
    assert!(!killed_work.join("sweeps").exists());
}

#[test]
fn a_merge_that_wrote_the_sweeps_but_failed_an_expectation_fails_the_status() {
    let (_dir, root) = setup();
    fake_sbatch(&root);
    fake_queue(&root);
    assert!(
        anneal(&root, &["submit", "lab", "--work", "w", "--tasks", "2"])
            .status
            .success()
    );
    for task in ["1", "2"] {
        std::fs::create_dir_all(root.join("w/shards").join(task)).unwrap();
    }
    for sweep in ["seeds.seeds", "more/pair.pair"] {
        let folder = root.join("w/sweeps").join(sweep);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("sweep.yaml"), "").unwrap();
    }
    std::fs::write(
        root.join("squeue.txt"),
        "100_1|COMPLETED\n100_2|COMPLETED\n101|FAILED\n",
    )
    .unwrap();
    let status = anneal(&root, &["status", "w"]);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status));
    assert!(
        text(&status).contains("but the merge job ended FAILED: an expectation failed"),
        "{}",
        text(&status)
    );
    assert!(!text(&status).contains("--resume"), "{}", text(&status));
    let resume = anneal(&root, &["status", "w", "--resume"]);
    assert_eq!(resume.status.code(), Some(1), "{}", text(&resume));
    assert!(text(&resume).contains("resume: nothing to submit"));
    // The two sbatch calls of the submission, and no other.
    let log = calls(&root);
    assert_eq!(log.matches("sbatch ").count(), 2, "{log}");
}
