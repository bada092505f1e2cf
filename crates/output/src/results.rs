//! The atomic results folder.
//!
//! [`ResultsWriter::create`] makes a hidden temporary sibling of the final folder,
//! `.NAME.tmp-SUFFIX`, and every file is written there. [`ResultsWriter::commit`] renames it
//! into place in one step; an existing results folder is first renamed aside to
//! `.NAME.tmp-SUFFIX.old` and removed only once the new one is in place. Dropping the writer
//! without committing removes the temporary folder. So whatever happens to the process
//! (Ctrl-C, `kill -9`, a panic, a full disk), the final path holds either the old complete
//! results or the new complete results, never a mixture, and the only debris is hidden
//! `.NAME.tmp-*` siblings.
//!
//! Each temporary folder has a lock file `.NAME.tmp-SUFFIX.lock` beside it, held with an
//! exclusive advisory lock for the writer's lifetime. The operating system releases the lock
//! when a process dies, so the next `create` can tell debris of a killed run (lock free) from
//! the folder of a run still writing (lock held), and removes only the former. If a run was
//! killed between moving the old results aside and renaming the new ones into place, the old
//! results are restored.
//!
//! A folder is only ever replaced if it is empty or carries the marker file
//! [`MARKER_FILE`] that every results folder gets, so `--out ~` cannot wipe a home directory.
//! Two runs writing the same folder at once are not coordinated: the last commit wins.

use std::fs::{self, File, TryLockError};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::{OutputError, Series};

/// The marker file inside every results folder; its presence allows replacing the folder.
pub const MARKER_FILE: &str = ".anneal-results";
const MARKER_TEXT: &str =
    "This folder was written by `anneal run`; a later run may replace it whole.\n";

/// Makes temporary names unique among writers created by one process.
static NEXT_WRITER: AtomicU64 = AtomicU64::new(0);

/// Writes a results folder atomically; see the module documentation.
#[derive(Debug)]
pub struct ResultsWriter {
    final_dir: PathBuf,
    temp_dir: PathBuf,
    lock_path: PathBuf,
    /// Holds the advisory lock until the writer is committed or dropped.
    lock: Option<File>,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> OutputError {
    let path = path.to_path_buf();
    move |source| OutputError::io(action, path, source)
}

/// Removes a folder, treating "already gone" as success (another cleaner may have won).
fn remove_dir_if_present(path: &Path) -> Result<(), OutputError> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(OutputError::io("cannot remove", path, e)),
        _ => Ok(()),
    }
}

fn remove_file_if_present(path: &Path) -> Result<(), OutputError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(OutputError::io("cannot remove", path, e)),
        _ => Ok(()),
    }
}

/// Whether `dir` may be replaced: it is a directory that is empty or carries the marker.
fn check_replaceable(dir: &Path) -> Result<(), OutputError> {
    let metadata = match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        other => other.map_err(io("cannot inspect", dir))?,
    };
    let refuse = |reason: &str| {
        Err(OutputError::RefuseReplace {
            path: dir.to_path_buf(),
            reason: reason.into(),
        })
    };
    if !metadata.is_dir() {
        return refuse("it exists and is not a folder");
    }
    if dir.join(MARKER_FILE).is_file() {
        return Ok(());
    }
    if fs::read_dir(dir)
        .map_err(io("cannot list", dir))?
        .next()
        .is_some()
    {
        return refuse(
            "it is a non-empty folder that was not written by `anneal run` (no .anneal-results marker)",
        );
    }
    Ok(())
}

/// Writes `bytes` to `path` and flushes them to the disk before returning.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut file = File::create(path).map_err(io("cannot create", path))?;
    file.write_all(bytes).map_err(io("cannot write", path))?;
    file.sync_all().map_err(io("cannot flush", path))
}

/// Flushes a folder's entries (renames, creations) to the disk, where the platform allows it.
fn sync_dir(dir: &Path) {
    // Opening a directory for syncing is a Unix idiom; elsewhere it fails and the rename is
    // still atomic for processes, only not guaranteed across a power cut. Nothing to report.
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}

impl ResultsWriter {
    /// Starts writing the results folder `final_dir`: checks that an existing `final_dir` may
    /// be replaced, removes debris of killed runs, and creates the temporary sibling.
    pub fn create(final_dir: impl AsRef<Path>) -> Result<Self, OutputError> {
        let final_dir = final_dir.as_ref().to_path_buf();
        let name = final_dir
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| !n.starts_with('.'))
            .ok_or_else(|| OutputError::InvalidName {
                name: final_dir.display().to_string(),
            })?
            .to_string();
        let parent = match final_dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io("cannot create", &parent))?;
        check_replaceable(&final_dir)?;
        clean_stale_siblings(&parent, &name, &final_dir)?;

        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let suffix = format!(
            "{}-{nanos}-{}",
            std::process::id(),
            NEXT_WRITER.fetch_add(1, Ordering::Relaxed)
        );
        let temp_dir = parent.join(format!(".{name}.tmp-{suffix}"));
        let lock_path = parent.join(format!(".{name}.tmp-{suffix}.lock"));
        let lock = File::create_new(&lock_path).map_err(io("cannot create", &lock_path))?;
        lock.try_lock().map_err(|e| match e {
            TryLockError::Error(source) => OutputError::io("cannot lock", &lock_path, source),
            TryLockError::WouldBlock => OutputError::io(
                "cannot lock",
                &lock_path,
                std::io::Error::new(ErrorKind::WouldBlock, "a fresh lock file is already locked"),
            ),
        })?;
        let writer = ResultsWriter {
            final_dir,
            temp_dir,
            lock_path,
            lock: Some(lock),
        };
        fs::create_dir(&writer.temp_dir).map_err(io("cannot create", &writer.temp_dir))?;
        writer.write_bytes(MARKER_FILE, MARKER_TEXT.as_bytes())?;
        Ok(writer)
    }

    /// The temporary folder being written (for callers that write files themselves).
    pub fn temp_path(&self) -> &Path {
        &self.temp_dir
    }

    /// Where the results will be after [`commit`](Self::commit).
    pub fn final_path(&self) -> &Path {
        &self.final_dir
    }

    /// The path of `relative` (e.g. `plots/valence.svg`) inside the temporary folder, after
    /// checking each component and creating the sub-folders.
    pub fn file_path(&self, relative: &str) -> Result<PathBuf, OutputError> {
        let components: Vec<&str> = relative.split('/').collect();
        let (file, folders) = components
            .split_last()
            .expect("split yields at least one part");
        let mut path = self.temp_dir.clone();
        for folder in folders {
            super::check_file_stem(folder)?;
            path.push(folder);
        }
        if *file != MARKER_FILE {
            super::check_file_stem(file)?;
        }
        fs::create_dir_all(&path).map_err(io("cannot create", &path))?;
        path.push(file);
        Ok(path)
    }

    /// Writes raw bytes to `relative`.
    pub fn write_bytes(&self, relative: &str, bytes: &[u8]) -> Result<(), OutputError> {
        write_synced(&self.file_path(relative)?, bytes)
    }

    /// Writes a `<f8` `.npy` array (see [`super::npy::encode_f64`]).
    pub fn write_npy_f64(
        &self,
        relative: &str,
        shape: &[usize],
        values: &[f64],
    ) -> Result<(), OutputError> {
        let what = relative.trim_end_matches(".npy");
        self.write_bytes(relative, &super::npy::encode_f64(what, shape, values)?)
    }

    /// Writes a `<c16` `.npy` array of `[real, imaginary]` pairs.
    pub fn write_npy_complex(
        &self,
        relative: &str,
        shape: &[usize],
        values: &[[f64; 2]],
    ) -> Result<(), OutputError> {
        let what = relative.trim_end_matches(".npy");
        self.write_bytes(relative, &super::npy::encode_complex(what, shape, values)?)
    }

    /// Writes a YAML document (see [`super::yaml::to_string`]).
    pub fn write_yaml(
        &self,
        relative: &str,
        value: &(impl Serialize + ?Sized),
    ) -> Result<(), OutputError> {
        self.write_bytes(relative, super::yaml::to_string(value)?.as_bytes())
    }

    /// Writes the trace table (see [`super::csv::write_traces`]).
    pub fn write_traces_csv(
        &self,
        relative: &str,
        times: &[f64],
        series: &[Series<'_>],
    ) -> Result<(), OutputError> {
        self.write_bytes(
            relative,
            super::csv::traces_to_string(times, series)?.as_bytes(),
        )
    }

    /// Writes `time.npy` and one `NAME.npy` per series, each 1-D with one value per record.
    pub fn write_series_npy(
        &self,
        times: &[f64],
        series: &[Series<'_>],
    ) -> Result<(), OutputError> {
        self.write_npy_f64("time.npy", &[times.len()], times)?;
        for column in series {
            super::check_file_stem(column.name)?;
            if column.name == "time" {
                return Err(OutputError::InvalidName {
                    name: "time (reserved for the time column)".into(),
                });
            }
            if column.values.len() != times.len() {
                return Err(OutputError::LengthMismatch {
                    what: format!("`{}` against the time column", column.name),
                    expected: times.len(),
                    found: column.values.len(),
                });
            }
            self.write_npy_f64(
                &format!("{}.npy", column.name),
                &[times.len()],
                column.values,
            )?;
        }
        Ok(())
    }

    /// Moves the finished folder into place, replacing an earlier results folder, and returns
    /// the final path.
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        sync_dir(&self.temp_dir);
        check_replaceable(&self.final_dir)?;
        let aside = PathBuf::from(format!("{}.old", self.temp_dir.display()));
        let had_old = match fs::rename(&self.final_dir, &aside) {
            Ok(()) => true,
            Err(e) if e.kind() == ErrorKind::NotFound => false,
            Err(e) => return Err(OutputError::io("cannot move aside", &self.final_dir, e)),
        };
        if let Err(e) = fs::rename(&self.temp_dir, &self.final_dir) {
            if had_old {
                // Put the previous results back so the failure leaves things as they were.
                let _ = fs::rename(&aside, &self.final_dir);
            }
            return Err(OutputError::io(
                "cannot move into place",
                &self.final_dir,
                e,
            ));
        }
        if let Some(parent) = self.final_dir.parent() {
            sync_dir(if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            });
        }
        // The new results are in place; failing to delete the old copy only leaves hidden
        // debris, which the next `create` removes, so it is reported but not fatal.
        let cleanup = if had_old {
            remove_dir_if_present(&aside)
        } else {
            Ok(())
        };
        self.release_lock();
        cleanup.map(|()| self.final_dir.clone())
    }

    fn release_lock(&mut self) {
        if self.lock.take().is_some() {
            let _ = fs::remove_file(&self.lock_path);
        }
    }
}

impl Drop for ResultsWriter {
    fn drop(&mut self) {
        if self.lock.is_some() {
            // Not committed: the partial results must not survive. Errors cannot be reported
            // from a destructor; leftovers are hidden and removed by the next `create`.
            let _ = fs::remove_dir_all(&self.temp_dir);
            self.release_lock();
        }
    }
}

/// Removes the hidden `.NAME.tmp-*` debris of killed runs next to `final_dir`, restoring moved-
/// aside old results if the kill came between the two renames of a commit.
fn clean_stale_siblings(parent: &Path, name: &str, final_dir: &Path) -> Result<(), OutputError> {
    let prefix = format!(".{name}.tmp-");
    let mut suffixes: Vec<String> = Vec::new();
    for entry in fs::read_dir(parent).map_err(io("cannot list", parent))? {
        let entry = entry.map_err(io("cannot list", parent))?;
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let base = rest
            .strip_suffix(".lock")
            .or_else(|| rest.strip_suffix(".old"))
            .unwrap_or(rest);
        suffixes.push(base.to_string());
    }
    suffixes.sort();
    suffixes.dedup();
    for suffix in suffixes {
        let temp_dir = parent.join(format!("{prefix}{suffix}"));
        let aside = parent.join(format!("{prefix}{suffix}.old"));
        let lock_path = parent.join(format!("{prefix}{suffix}.lock"));
        // Hold the lock (if any) while cleaning so a concurrent cleaner skips this entry.
        let _held = match File::open(&lock_path) {
            Ok(file) => match file.try_lock() {
                Ok(()) => Some(file),
                Err(TryLockError::WouldBlock) => continue, // A live writer owns it.
                Err(TryLockError::Error(e)) => {
                    return Err(OutputError::io("cannot lock", &lock_path, e));
                }
            },
            // A lock file is created before its folder and removed after it, so a folder
            // without one is debris.
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(OutputError::io("cannot open", &lock_path, e)),
        };
        if aside.is_dir() && !final_dir.exists() {
            fs::rename(&aside, final_dir).map_err(io("cannot restore", &aside))?;
        }
        remove_dir_if_present(&temp_dir)?;
        remove_dir_if_present(&aside)?;
        remove_file_if_present(&lock_path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn nothing_appears_until_commit_and_then_everything_does() {
        let root = tempfile::tempdir().unwrap();
        let final_dir = root.path().join("results");
        let writer = ResultsWriter::create(&final_dir).unwrap();
        writer.write_bytes("a.txt", b"alpha").unwrap();
        writer.write_bytes("plots/b.svg", b"<svg/>").unwrap();
        assert!(!final_dir.exists());
        assert_eq!(
            listing(root.path()).len(),
            2,
            "temporary folder and its lock"
        );
        assert!(
            listing(root.path())
                .iter()
                .all(|n| n.starts_with(".results.tmp-"))
        );
        assert_eq!(writer.commit().unwrap(), final_dir);
        assert_eq!(listing(root.path()), vec!["results"]);
        assert_eq!(listing(&final_dir), vec![MARKER_FILE, "a.txt", "plots"]);
        assert_eq!(fs::read(final_dir.join("plots/b.svg")).unwrap(), b"<svg/>");
    }

    #[test]
    fn commit_replaces_earlier_results_whole() {
        let root = tempfile::tempdir().unwrap();
        let final_dir = root.path().join("out");
        let first = ResultsWriter::create(&final_dir).unwrap();
        first.write_bytes("only_in_first.txt", b"1").unwrap();
        first.commit().unwrap();
        let second = ResultsWriter::create(&final_dir).unwrap();
        second.write_bytes("summary.yaml", b"x: 2\n").unwrap();
        // Until the commit the first results are intact.
        assert!(final_dir.join("only_in_first.txt").exists());
        second.commit().unwrap();
        assert_eq!(listing(&final_dir), vec![MARKER_FILE, "summary.yaml"]);
        assert_eq!(listing(root.path()), vec!["out"]);
    }

    #[test]
    fn dropping_without_commit_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let writer = ResultsWriter::create(root.path().join("r")).unwrap();
        writer.write_bytes("x.csv", b"1").unwrap();
        drop(writer);
        assert!(listing(root.path()).is_empty());
    }

    #[test]
    fn folders_not_written_by_us_are_never_replaced() {
        let root = tempfile::tempdir().unwrap();
        let precious = root.path().join("home");
        fs::create_dir(&precious).unwrap();
        fs::write(precious.join("thesis.tex"), "years of work").unwrap();
        let err = ResultsWriter::create(&precious).unwrap_err();
        assert!(matches!(err, OutputError::RefuseReplace { .. }), "{err}");
        fs::write(root.path().join("file"), "x").unwrap();
        assert!(ResultsWriter::create(root.path().join("file")).is_err());
        // An empty folder is fine.
        fs::create_dir(root.path().join("empty")).unwrap();
        ResultsWriter::create(root.path().join("empty"))
            .unwrap()
            .commit()
            .unwrap();
        assert!(root.path().join("empty").join(MARKER_FILE).exists());
    }

    #[test]
    fn unsafe_relative_paths_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let writer = ResultsWriter::create(root.path().join("r")).unwrap();
        for bad in [
            "../escape.txt",
            "/abs",
            "a//b",
            ".hidden",
            "plots/",
            "sp ace.txt",
        ] {
            assert!(writer.write_bytes(bad, b"x").is_err(), "{bad}");
        }
    }

    #[test]
    fn stale_debris_is_removed_but_live_writers_are_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let final_dir = root.path().join("r");
        // Debris of a killed run: a temporary folder whose lock file nobody holds.
        fs::create_dir(root.path().join(".r.tmp-dead")).unwrap();
        fs::write(root.path().join(".r.tmp-dead/half.csv"), "1,2").unwrap();
        fs::write(root.path().join(".r.tmp-dead.lock"), "").unwrap();
        // And an orphan folder without a lock file.
        fs::create_dir(root.path().join(".r.tmp-orphan")).unwrap();
        let live = ResultsWriter::create(&final_dir).unwrap();
        let mut names = listing(root.path());
        names.retain(|n| n.contains("dead") || n.contains("orphan"));
        assert!(names.is_empty(), "debris left: {names:?}");
        // A second writer must not remove the first one's folder while it is alive.
        let other = ResultsWriter::create(&final_dir).unwrap();
        assert!(live.temp_path().is_dir());
        live.write_bytes("still_here.txt", b"ok").unwrap();
        drop(other);
        live.commit().unwrap();
        assert!(final_dir.join("still_here.txt").exists());
    }

    #[test]
    fn old_results_are_restored_after_a_kill_between_the_two_renames() {
        let root = tempfile::tempdir().unwrap();
        let final_dir = root.path().join("r");
        let first = ResultsWriter::create(&final_dir).unwrap();
        first.write_bytes("old.txt", b"old").unwrap();
        first.commit().unwrap();
        // Simulate the state right after `final` was moved aside and before the new folder was
        // renamed in, with the writing process gone (so its lock is free).
        fs::rename(&final_dir, root.path().join(".r.tmp-9.old")).unwrap();
        fs::create_dir(root.path().join(".r.tmp-9")).unwrap();
        fs::write(root.path().join(".r.tmp-9.lock"), "").unwrap();
        let next = ResultsWriter::create(&final_dir).unwrap();
        assert_eq!(fs::read(final_dir.join("old.txt")).unwrap(), b"old");
        drop(next);
        assert_eq!(listing(root.path()), vec!["r"]);
    }

    /// Environment variable that turns [`child_writer_that_gets_killed`] into a slow writer.
    const CHILD_DIR_VAR: &str = "ANNEAL_TEST_KILLED_WRITER_DIR";

    /// Run by [`a_killed_process_leaves_old_results_intact`] in a child process: writes files
    /// into a results folder forever, slowly, until it is killed.
    #[test]
    #[ignore = "helper run as a child process by a_killed_process_leaves_old_results_intact"]
    fn child_writer_that_gets_killed() {
        let Some(dir) = std::env::var_os(CHILD_DIR_VAR) else {
            return;
        };
        let writer = ResultsWriter::create(PathBuf::from(dir)).unwrap();
        for index in 0.. {
            writer
                .write_bytes(&format!("part{index}.txt"), b"partial")
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    #[test]
    fn a_killed_process_leaves_old_results_intact() {
        let root = tempfile::tempdir().unwrap();
        let final_dir = root.path().join("results");
        let first = ResultsWriter::create(&final_dir).unwrap();
        first
            .write_bytes("summary.yaml", b"complete: true\n")
            .unwrap();
        first.commit().unwrap();

        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "results::tests::child_writer_that_gets_killed",
                "--ignored",
                "--nocapture",
            ])
            .env(CHILD_DIR_VAR, &final_dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the child is demonstrably mid-write: its temporary folder holds files.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mid_write = loop {
            let busy = listing(root.path()).iter().any(|n| {
                n.starts_with(".results.tmp-")
                    && !n.ends_with(".lock")
                    && fs::read_dir(root.path().join(n)).is_ok_and(|d| d.count() >= 4)
            });
            if busy || std::time::Instant::now() > deadline {
                break busy;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        child.kill().unwrap(); // SIGKILL on Unix: no destructor runs.
        child.wait().unwrap();
        assert!(mid_write, "the child never started writing");

        // The old results are untouched and the only debris is hidden.
        assert_eq!(listing(&final_dir), vec![MARKER_FILE, "summary.yaml"]);
        let debris: Vec<String> = listing(root.path())
            .into_iter()
            .filter(|n| n != "results")
            .collect();
        assert!(
            !debris.is_empty() && debris.iter().all(|n| n.starts_with(".results.tmp-")),
            "{debris:?}"
        );

        // The next run cleans up after the killed one.
        let next = ResultsWriter::create(&final_dir).unwrap();
        next.write_bytes("summary.yaml", b"complete: again\n")
            .unwrap();
        next.commit().unwrap();
        assert_eq!(listing(root.path()), vec!["results"]);
        assert_eq!(
            fs::read(final_dir.join("summary.yaml")).unwrap(),
            b"complete: again\n"
        );
    }
}
