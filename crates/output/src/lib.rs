//! The output layer: everything a run leaves on disk, independent of how the values were computed.
//!
//! Inputs are plain data (names, units, `f64` slices), so the engine, the CLI and tests can all
//! use this module without knowing each other. The pieces:
//!
//! - [`npy`]: NumPy `.npy` files (format 1.0, little-endian `<f8` and `<c16`, C order) and a reader;
//! - [`csv`]: the `traces.csv` table with exact, shortest round-trip numbers;
//! - [`yaml`]: YAML through `serde_norway`, refusing non-finite numbers;
//! - [`results`]: [`ResultsWriter`], the atomic results folder (temporary sibling, then rename);
//! - [`stats`]: summary statistics over a recorded trace and over time windows;
//! - [`summary`]: the records that make up `summary.yaml`;
//! - [`plot`]: SVG and PNG figures drawn with plotters and an embedded font;
//! - [`sweep_plot`]: a scenario sweep's quantities against one varied parameter;
//! - [`progress`]: a terminal progress bar that hides itself when stderr is not a terminal.
//!
//! No function here ever writes NaN or infinity: non-finite input is reported as an error that
//! names the quantity and the row.

pub mod csv;
pub mod harmonics;
pub mod npy;
pub mod plot;
pub mod results;
pub mod stats;
pub mod summary;
pub mod sweep_plot;
pub mod yaml;

mod error;

pub use error::OutputError;
pub use results::ResultsWriter;
pub use stats::{SummaryStats, WindowStats, summarise, window_stats};

/// One recorded quantity: its name (used as a column header and a file name), its unit as
/// written in scripts (`"1"` for dimensionless) and one value per recorded time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Series<'a> {
    /// The quantity's name, e.g. `valence`; must be a valid file stem (see [`check_file_stem`]).
    pub name: &'a str,
    /// The unit, e.g. `K` or `1` for dimensionless quantities.
    pub unit: &'a str,
    /// One value per entry of the time column.
    pub values: &'a [f64],
}

/// Checks that `name` can be used as a file stem inside a results folder: non-empty, at most
/// 100 bytes, ASCII letters, digits, `_`, `-` and `.` only, and not starting with `.` (hidden
/// files are reserved for the atomic-write machinery).
pub fn check_file_stem(name: &str) -> Result<(), OutputError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if name.is_empty() || name.len() > 100 || name.starts_with('.') || !name.chars().all(allowed) {
        return Err(OutputError::InvalidName {
            name: name.to_string(),
        });
    }
    Ok(())
}

/// Returns an error naming `what` and the index of the first non-finite value, if any.
pub(crate) fn check_finite(what: &str, values: &[f64]) -> Result<(), OutputError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(OutputError::NonFinite {
            what: what.to_string(),
            index,
            value: values[index],
        }),
    }
}
