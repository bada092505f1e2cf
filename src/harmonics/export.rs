//! Output pieces for `anneal harmonics FILE`.
