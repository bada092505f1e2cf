//! A progress bar for long runs, on indicatif.
//!
//! The bar draws on stderr with the elapsed time, the ETA and the rate in steps per second. When
//! stderr is not a terminal (a pipe, a file, CI) indicatif's stderr draw target reports itself
//! hidden and draws nothing, so logs and captured output stay clean; the counters still advance.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar counting simulation steps.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

const TEMPLATE: &str =
    "{msg} [{bar:30.cyan/blue}] {pos}/{len} steps  {rate}  elapsed {elapsed}  ETA {eta}";

impl Progress {
    /// A bar for `total_steps` steps, labelled `label` (e.g. the script's name), drawn on stderr
    /// when stderr is a terminal and hidden otherwise.
    pub fn new(total_steps: u64, label: &str) -> Self {
        Self::with_target(total_steps, label, ProgressDrawTarget::stderr())
    }

    /// A bar that never draws, for callers that want no output at all (e.g. `--quiet`).
    pub fn hidden(total_steps: u64, label: &str) -> Self {
        Self::with_target(total_steps, label, ProgressDrawTarget::hidden())
    }

    fn with_target(total_steps: u64, label: &str, target: ProgressDrawTarget) -> Self {
        let style = ProgressStyle::with_template(TEMPLATE)
            .expect("the template is a constant checked by the tests")
            .progress_chars("=> ")
            // indicatif's own `{per_sec}` prints four decimals; whole steps per second read better.
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{:.0} steps/s", state.per_sec());
                },
            );
        let bar = ProgressBar::with_draw_target(Some(total_steps), target).with_style(style);
        bar.set_message(label.to_string());
        // A steady tick redraws the ETA even when steps are slow; it is a no-op when hidden.
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar }
    }

    /// Records that `steps` more steps are done.
    pub fn advance(&self, steps: u64) {
        self.bar.inc(steps);
    }

    /// Ends the bar, leaving its final line on the terminal.
    pub fn finish(&self) {
        self.bar.finish();
    }
}

#[cfg(test)]
mod tests {
    use std::io::IsTerminal;

    use super::*;

    #[test]
    fn counts_steps_and_hides_itself_off_a_terminal() {
        let progress = Progress::new(1000, "meditation");
        progress.advance(250);
        progress.advance(250);
        assert_eq!(progress.bar.position(), 500);
        // Under `cargo test` stderr is captured or piped unless run by hand in a terminal, and
        // indicatif must agree with the standard library about it.
        assert_eq!(!progress.bar.is_hidden(), std::io::stderr().is_terminal());
        progress.finish();
        assert!(Progress::hidden(10, "x").bar.is_hidden());
    }

    /// A terminal that records what is written to it.
    #[derive(Debug, Clone, Default)]
    struct RecordingTerm(std::sync::Arc<std::sync::Mutex<String>>);

    impl indicatif::TermLike for RecordingTerm {
        fn width(&self) -> u16 {
            160
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(&format!("{s}\n"))
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn renders_label_counts_rate_and_eta_when_drawn() {
        let term = RecordingTerm::default();
        let progress = Progress::with_target(
            200,
            "music",
            ProgressDrawTarget::term_like(Box::new(term.clone())),
        );
        assert!(!progress.bar.is_hidden());
        progress.advance(50);
        progress.finish();
        let screen = term.0.lock().unwrap().clone();
        let last = screen.lines().last().unwrap_or_default().to_string();
        for part in ["music", "200/200 steps", " steps/s", "ETA", "elapsed"] {
            assert!(last.contains(part), "missing {part:?} in {last:?}");
        }
    }
}
