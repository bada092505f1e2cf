//! The single error type of the output layer.

use std::path::PathBuf;

/// Everything that can go wrong while writing (or, for tests, reading) results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file-system operation failed; `path` is the file or folder involved.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        /// What was being done, e.g. "cannot write".
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A NaN or infinite value was about to be written.
    #[error("{what}: value at row {index} is {value}, and results never contain NaN or infinity")]
    NonFinite {
        /// The quantity (column, array or field) holding the value.
        what: String,
        /// The row (or flat index) of the first bad value, counted from 0.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Array lengths or shapes do not agree.
    #[error("{what}: expected {expected} values, found {found}")]
    LengthMismatch {
        /// What was being checked.
        what: String,
        /// The length implied by the shape or the time column.
        expected: usize,
        /// The length actually given.
        found: usize,
    },
    /// A quantity or file name cannot be used inside a results folder.
    #[error(
        "`{name}` cannot be used as a file name in a results folder: use 1 to 100 ASCII letters, \
         digits, `_`, `-` or `.`, not starting with `.`"
    )]
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// A `.npy` file is malformed or of an unsupported kind.
    #[error("not a supported .npy file: {reason}")]
    NpyFormat {
        /// Why it was rejected.
        reason: String,
    },
    /// YAML serialisation failed.
    #[error("cannot serialise YAML: {0}")]
    Yaml(#[from] serde_norway::Error),
    /// A statistic was requested over a window or trace that holds no samples, or is malformed.
    #[error("{0}")]
    Statistics(String),
    /// Drawing a figure failed.
    #[error("cannot draw plot `{plot}`: {reason}")]
    Plot {
        /// The plot's file stem.
        plot: String,
        /// The backend's explanation.
        reason: String,
    },
    /// The destination exists but is not something we may replace.
    #[error("refusing to replace `{}`: {reason}", path.display())]
    RefuseReplace {
        /// The existing path.
        path: PathBuf,
        /// Why it is not replaced.
        reason: String,
    },
}

impl OutputError {
    /// Wraps an I/O error with the action and the path it concerns.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        OutputError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
