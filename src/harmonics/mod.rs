//! Connectome harmonics (model.md §2): Laplacians, eigensolvers, CSHWs, RSHWs, SSHWs and the
//! frequency map.

pub mod laplacian;
pub mod solver;
