//! The two batch scripts: the array of `anneal test --shard K/N` tasks, and the merge after them.

use super::*;

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
