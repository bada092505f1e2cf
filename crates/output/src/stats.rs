//! Summary statistics over a recorded (decimated) trace.
//!
//! **Mean convention: the sample mean.** The recorder keeps one sample every fixed number of
//! steps, so samples are equally spaced in time and the sample mean equals the time-weighted
//! (left Riemann) mean of the held signal. We use the sample mean rather than a trapezoid rule
//! because it needs no interpolation at window edges and gives exactly what a researcher
//! computes with `numpy.mean` over the same rows of `traces.csv`. Sums use Neumaier's
//! compensated summation so long traces keep full precision.
//!
//! A window `[t0, t1)` holds the samples whose time `t` satisfies `t0 <= t < t1`, compared
//! exactly; recorded times and event times must therefore come from the same arithmetic
//! (`step as f64 * dt`), which the engine guarantees.

use serde::{Deserialize, Serialize};

use super::OutputError;

/// Initial, final, extreme and mean values of one quantity over the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SummaryStats {
    /// The first recorded value.
    pub initial: f64,
    /// The last recorded value.
    #[serde(rename = "final")]
    pub final_value: f64,
    /// The smallest recorded value.
    pub min: f64,
    /// The largest recorded value.
    pub max: f64,
    /// The sample mean (see the module documentation).
    pub mean: f64,
}

/// Mean, minimum and maximum of one quantity over a time window `[t0, t1)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WindowStats {
    /// Window start in seconds (included).
    pub t0: f64,
    /// Window end in seconds (excluded).
    pub t1: f64,
    /// How many samples fell in the window.
    pub samples: usize,
    /// The sample mean over the window.
    pub mean: f64,
    /// The smallest value in the window.
    pub min: f64,
    /// The largest value in the window.
    pub max: f64,
}

fn error(message: String) -> OutputError {
    OutputError::Statistics(message)
}

/// Checks that the trace is non-empty, of matching lengths, finite, with increasing times.
fn check_trace(name: &str, times: &[f64], values: &[f64]) -> Result<(), OutputError> {
    if times.len() != values.len() {
        return Err(OutputError::LengthMismatch {
            what: format!("trace `{name}` against the time column"),
            expected: times.len(),
            found: values.len(),
        });
    }
    if times.is_empty() {
        return Err(error(format!("trace `{name}` has no recorded samples")));
    }
    super::check_finite("time", times)?;
    super::check_finite(name, values)?;
    if let Some(row) = times.windows(2).position(|pair| pair[1] <= pair[0]) {
        return Err(error(format!(
            "trace `{name}`: times must increase, but row {} is at {} s after {} s",
            row + 1,
            times[row + 1],
            times[row]
        )));
    }
    Ok(())
}

/// Compensated (Neumaier) sum, accurate to a few ulps for any length.
fn compensated_sum(values: &[f64]) -> f64 {
    let mut sum = 0.0f64;
    let mut compensation = 0.0f64;
    for &value in values {
        let total = sum + value;
        if sum.abs() >= value.abs() {
            compensation += (sum - total) + value;
        } else {
            compensation += (value - total) + sum;
        }
        sum = total;
    }
    sum + compensation
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// Summarises a whole trace. `name` labels errors; `times` are in seconds.
pub fn summarise(name: &str, times: &[f64], values: &[f64]) -> Result<SummaryStats, OutputError> {
    check_trace(name, times, values)?;
    let (min, max) = min_max(values);
    Ok(SummaryStats {
        initial: values[0],
        final_value: values[values.len() - 1],
        min,
        max,
        mean: compensated_sum(values) / values.len() as f64,
    })
}

/// Statistics of a trace over the window `[t0, t1)` in seconds, e.g. for
/// `mean(valence, during: song)`. An empty or inverted window is an error that says where the
/// samples are, so the script author can widen the window or record more often.
pub fn window_stats(
    name: &str,
    times: &[f64],
    values: &[f64],
    t0: f64,
    t1: f64,
) -> Result<WindowStats, OutputError> {
    check_trace(name, times, values)?;
    if !(t0.is_finite() && t1.is_finite()) || t1 <= t0 {
        return Err(error(format!(
            "statistics of `{name}` over [{t0} s, {t1} s): the window must end after it starts"
        )));
    }
    // Times increase, so the window is one contiguous run of rows.
    let first = times.partition_point(|&t| t < t0);
    let end = times.partition_point(|&t| t < t1);
    if first >= end {
        let spacing = if times.len() > 1 {
            format!(
                " every {} s",
                (times[times.len() - 1] - times[0]) / (times.len() - 1) as f64
            )
        } else {
            String::new()
        };
        return Err(error(format!(
            "statistics of `{name}` over [{t0} s, {t1} s): no recorded sample falls in this window \
             (samples run from {} s to {} s{spacing}); widen the window or record more often",
            times[0],
            times[times.len() - 1]
        )));
    }
    let window = &values[first..end];
    let (min, max) = min_max(window);
    Ok(WindowStats {
        t0,
        t1,
        samples: window.len(),
        mean: compensated_sum(window) / window.len() as f64,
        min,
        max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMES: [f64; 6] = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
    const VALUES: [f64; 6] = [2.0, -1.0, 4.0, 0.5, 3.0, 1.5];

    #[test]
    fn whole_trace_summary_matches_hand_computation() {
        let stats = summarise("valence", &TIMES, &VALUES).unwrap();
        // (2 - 1 + 4 + 0.5 + 3 + 1.5) / 6 = 10 / 6.
        assert_eq!(
            stats,
            SummaryStats {
                initial: 2.0,
                final_value: 1.5,
                min: -1.0,
                max: 4.0,
                mean: 10.0 / 6.0
            }
        );
    }

    #[test]
    fn window_includes_its_start_and_excludes_its_end() {
        let stats = window_stats("valence", &TIMES, &VALUES, 1.0, 4.0).unwrap();
        // Rows at t = 1, 2, 3: (-1 + 4 + 0.5) / 3.
        assert_eq!(stats.samples, 3);
        assert_eq!(stats.mean, 3.5 / 3.0);
        assert_eq!((stats.min, stats.max), (-1.0, 4.0));
        let between = window_stats("valence", &TIMES, &VALUES, 2.5, 10.0).unwrap();
        // Rows at t = 3, 4, 5: (0.5 + 3 + 1.5) / 3.
        assert_eq!((between.samples, between.mean), (3, 5.0 / 3.0));
    }

    #[test]
    fn empty_and_inverted_windows_are_clear_errors() {
        let err = window_stats("valence", &TIMES, &VALUES, 3.2, 3.8)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no recorded sample") && err.contains("valence"),
            "{err}"
        );
        assert!(err.contains("from 0 s to 5 s every 1 s"), "{err}");
        let err = window_stats("valence", &TIMES, &VALUES, 4.0, 4.0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("must end after it starts"), "{err}");
        assert!(window_stats("valence", &TIMES, &VALUES, 6.0, 9.0).is_err());
        assert!(window_stats("valence", &TIMES, &VALUES, f64::NAN, 9.0).is_err());
    }

    #[test]
    fn malformed_traces_are_rejected() {
        assert!(summarise("x", &[], &[]).is_err());
        assert!(summarise("x", &[0.0, 1.0], &[1.0]).is_err());
        assert!(
            summarise("x", &[0.0, 1.0], &[1.0, f64::NAN])
                .unwrap_err()
                .to_string()
                .contains("row 1")
        );
        let err = summarise("x", &[0.0, 2.0, 1.0], &[1.0, 2.0, 3.0])
            .unwrap_err()
            .to_string();
        assert!(err.contains("times must increase"), "{err}");
    }

    #[test]
    fn compensated_mean_keeps_small_terms_that_naive_summation_loses() {
        // 1e16 + 1 + 1 ... - 1e16: a naive left-to-right sum loses every 1.
        let mut values = vec![1e16];
        values.extend(std::iter::repeat_n(1.0, 1000));
        values.push(-1e16);
        let times: Vec<f64> = (0..values.len()).map(|i| i as f64).collect();
        let stats = summarise("x", &times, &values).unwrap();
        assert_eq!(stats.mean, 1000.0 / 1002.0);
    }
}
