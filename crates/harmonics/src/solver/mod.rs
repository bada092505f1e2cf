//! Eigensolvers for the smallest eigenpairs of a sparse symmetric positive semi-definite matrix.
//!
//! - [`Solver::Dense`]: faer's dense self-adjoint eigendecomposition, for small matrices.
//! - [`Solver::ShiftInvertLanczos`]: thick-restarted block Lanczos with full reorthogonalisation on
//!   the operator (A + sI)⁻¹, applied through faer's sparse Cholesky factor of A + sI (A is
//!   singular for a Laplacian, so a small s > 0 makes it positive definite). The largest
//!   eigenvalues θ of the operator are the smallest of A, λ = 1/θ − s, and they converge fastest.
//!   When the basis is full before every wanted pair has converged, it restarts from the best Ritz
//!   vectors instead of giving up.
//!
//! Every solve is checked: ‖Aψ − λψ‖ ≤ 1e-8·‖A‖_∞ for every pair and |ΨᵀΨ − I| ≤ 1e-10 entrywise.
//! A solve that misses either is an error saying what was tried. A Krylov space started from b
//! vectors holds at most b copies of a repeated eigenvalue, so the Lanczos solver also counts, by
//! Sylvester's law of inertia (an LDLᵀ factorisation of A − σI), the eigenvalues below the largest
//! one it found, and searches again, deflated, until none is missing. A graph with c components
//! has a c-fold zero eigenvalue; for Laplacians ([`laplacian_eigenpairs`]) that null space is known
//! exactly and kept out of the Krylov space. All floating-point work runs sequentially in a fixed
//! order, so results are bit-identical whatever the thread count.

use crate::laplacian::{LaplacianKind, laplacian, norm_inf};
use anneal_connectome::components_of;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::prelude::{Reborrow, ReborrowMut};
use faer::sparse::linalg::SupernodalThreshold;
use faer::sparse::linalg::cholesky::{
    CholeskySymbolicParams, SymbolicCholesky, SymbolicCholeskyRaw, SymmetricOrdering,
    factorize_symbolic_cholesky,
};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Accum, Mat, MatMut, MatRef, Par, Side};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use sprs::CsMat;

mod factor;
mod lanczos;
mod orthogonal;
mod verify;

use factor::{LANES, ShiftedInverse};
use lanczos::lanczos;
use orthogonal::{
    column_norms, fill_random, orthonormalise, project_out, project_out_once, subtract_projection,
    transposed_coefficients,
};
use verify::{MultiplyGroup, finish};

/// Residual bound relative to ‖A‖_∞ (model.md §2).
pub const RESIDUAL_TOLERANCE: f64 = 1e-8;
/// Largest entry of |ΨᵀΨ − I| allowed (model.md §2).
pub const ORTHONORMALITY_TOLERANCE: f64 = 1e-10;
/// Krylov dimension allowed even for few wanted pairs: clusters converge with the number of steps.
const MIN_KRYLOV_DIMENSION: usize = 160;
/// Largest |Vᵀw|/‖w‖ of a new Lanczos block against the basis V that is left in place instead of
/// being subtracted by the full Gram–Schmidt pass: a tenth of the orthonormality tolerance.
const NEGLIGIBLE_LOSS_OF_ORTHOGONALITY: f64 = 1e-11;
/// Matrices up to this size are solved densely by [`Solver::Auto`].
pub const DENSE_LIMIT: usize = 2000;

/// Which eigensolver to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Solver {
    /// Dense for components of at most [`DENSE_LIMIT`] nodes, shift-invert Lanczos above.
    #[default]
    Auto,
    Dense,
    ShiftInvertLanczos,
}

/// Eigenpairs in ascending order of eigenvalue; column j of `vectors` (n × k, column-major) belongs
/// to `values[j]`. Vectors have unit norm and their largest-magnitude entry (lowest index on ties)
/// positive.
#[derive(Debug, Clone, PartialEq)]
pub struct Eigenpairs {
    pub values: Vec<f64>,
    pub vectors: Mat<f64>,
    /// The largest residual ‖Aψ − λψ‖ among the pairs, for reports.
    pub max_residual: f64,
}

/// Why a solve failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SolveError {
    #[error("asked for {wanted} eigenpairs of a {n}×{n} matrix")]
    TooMany { wanted: usize, n: usize },
    #[error("the matrix is not symmetric at ({i}, {j})")]
    NotSymmetric { i: usize, j: usize },
    #[error("the matrix has a non-finite entry at ({i}, {j})")]
    NotFinite { i: usize, j: usize },
    #[error("sparse Cholesky factorisation of A + {shift:e}·I failed: {message}")]
    Factorization { shift: f64, message: String },
    #[error("dense eigendecomposition of a {n}×{n} matrix did not converge")]
    DenseFailed { n: usize },
    #[error(
        "shift-invert block Lanczos did not converge: tried shift {shift:e}, block size {block}, Krylov dimension {dimension} restarted {restarts} times; {converged} of {wanted} pairs met the residual bound (worst estimate {worst:e} against {bound:e})"
    )]
    NotConverged {
        shift: f64,
        block: usize,
        dimension: usize,
        restarts: usize,
        converged: usize,
        wanted: usize,
        worst: f64,
        bound: f64,
    },
    #[error("{solver} solve failed its check: {what}")]
    CheckFailed { solver: &'static str, what: String },
}

/// Tuning of the shift-invert Lanczos solver. The defaults suit graph Laplacians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LanczosOptions {
    /// Shift s relative to ‖A‖_∞: the factorised matrix is A + s‖A‖_∞·I.
    pub relative_shift: f64,
    /// Columns per block. A Krylov space holds at most this many copies of a repeated eigenvalue;
    /// the inertia check finds the others by deflated searches.
    pub block_size: usize,
    /// Krylov dimension before a thick restart, as a multiple of the number of wanted pairs (at
    /// least 160, plus four blocks).
    pub max_dimension_factor: usize,
    /// Thick restarts allowed before the solve is reported as not converged.
    pub max_restarts: usize,
    /// Seed of the deterministic start block.
    pub seed: u64,
}

impl Default for LanczosOptions {
    fn default() -> LanczosOptions {
        LanczosOptions {
            relative_shift: 1e-6,
            block_size: 8,
            max_dimension_factor: 4,
            max_restarts: 40,
            seed: 0x5eed,
        }
    }
}

/// The `k` smallest eigenpairs of the symmetric positive semi-definite `matrix`, checked.
pub fn smallest_eigenpairs(
    matrix: &CsMat<f64>,
    k: usize,
    solver: Solver,
) -> Result<Eigenpairs, SolveError> {
    smallest_eigenpairs_with(matrix, k, solver, &LanczosOptions::default(), None)
}

/// The `k` smallest eigenpairs of the Laplacian of `weights`, checked. The null space is known
/// exactly (one vector per connected component: its indicator for L, D^{1/2} times it for L_sym, a
/// unit vector for an isolated node) and is deflated, so any number of components is handled.
pub fn laplacian_eigenpairs(
    weights: &CsMat<f64>,
    kind: LaplacianKind,
    k: usize,
    solver: Solver,
    options: &LanczosOptions,
) -> Result<Eigenpairs, SolveError> {
    let matrix = laplacian(weights, kind);
    let null = laplacian_null_space(weights, kind);
    smallest_eigenpairs_with(&matrix, k, solver, options, Some(null.as_ref()))
}

/// An orthonormal basis of the Laplacian's null space, one column per connected component.
pub fn laplacian_null_space(weights: &CsMat<f64>, kind: LaplacianKind) -> Mat<f64> {
    let components = components_of(weights);
    let degree: Vec<f64> = weights
        .outer_iterator()
        .map(|row| row.data().iter().sum())
        .collect();
    let mut null = Mat::<f64>::zeros(weights.rows(), components.len());
    for (c, nodes) in components.iter().enumerate() {
        let entry = |i: usize| match kind {
            LaplacianKind::Combinatorial => 1.0,
            LaplacianKind::Normalized if degree[i] > 0.0 => degree[i].sqrt(),
            LaplacianKind::Normalized => 1.0,
        };
        let length = nodes.iter().map(|&i| entry(i).powi(2)).sum::<f64>().sqrt();
        for &i in nodes {
            null[(i, c)] = entry(i) / length;
        }
    }
    null
}

/// [`smallest_eigenpairs`] with explicit Lanczos options and, optionally, a known orthonormal basis
/// of the null space (n × c), which the Lanczos solver keeps out of its Krylov space: a c-fold zero
/// eigenvalue would otherwise be resolved only up to the block size.
pub fn smallest_eigenpairs_with(
    matrix: &CsMat<f64>,
    k: usize,
    solver: Solver,
    options: &LanczosOptions,
    null_space: Option<MatRef<'_, f64>>,
) -> Result<Eigenpairs, SolveError> {
    let n = matrix.rows();
    if k > n || matrix.cols() != n {
        return Err(SolveError::TooMany { wanted: k, n });
    }
    let matrix = matrix.to_csr();
    for (&a, (i, j)) in matrix.iter() {
        if !a.is_finite() {
            return Err(SolveError::NotFinite { i, j });
        }
        if matrix.get(j, i) != Some(&a) {
            return Err(SolveError::NotSymmetric { i, j });
        }
    }
    if k == 0 {
        return Ok(Eigenpairs {
            values: Vec::new(),
            vectors: Mat::zeros(n, 0),
            max_residual: 0.0,
        });
    }
    let use_dense = match solver {
        Solver::Dense => true,
        Solver::ShiftInvertLanczos => false,
        Solver::Auto => n <= DENSE_LIMIT,
    };
    let (mut values, mut vectors) = if use_dense {
        dense(&matrix, k)?
    } else {
        lanczos(&matrix, k, options, null_space)?
    };
    let solver_name = if matches!(solver, Solver::Dense) {
        "dense"
    } else {
        "harmonics"
    };
    let max_residual = finish(&matrix, &mut values, &mut vectors, solver_name)?;
    Ok(Eigenpairs {
        values,
        vectors,
        max_residual,
    })
}

/// Dense symmetric eigendecomposition of a (small) matrix, sequential, the k smallest pairs.
fn dense(matrix: &CsMat<f64>, k: usize) -> Result<(Vec<f64>, Mat<f64>), SolveError> {
    let n = matrix.rows();
    let mut a = Mat::<f64>::zeros(n, n);
    for (&x, (i, j)) in matrix.iter() {
        a[(i, j)] = x;
    }
    let (values, vectors) = dense_eigen(a.as_ref()).ok_or(SolveError::DenseFailed { n })?;
    let mut out = Mat::<f64>::zeros(n, k);
    out.copy_from(vectors.as_ref().get(.., ..k));
    Ok((values[..k].to_vec(), out))
}

/// All eigenpairs of a dense symmetric matrix, ascending; `None` when the iteration fails.
fn dense_eigen(a: MatRef<'_, f64>) -> Option<(Vec<f64>, Mat<f64>)> {
    use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
    let n = a.nrows();
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    let mut u = Mat::<f64>::zeros(n, n);
    let mut buffer = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        ComputeEigenvectors::Yes,
        Par::Seq,
        Default::default(),
    ));
    self_adjoint_evd(
        a,
        s.as_mut(),
        Some(u.as_mut()),
        Par::Seq,
        MemStack::new(&mut buffer),
        Default::default(),
    )
    .ok()?;
    let values: Vec<f64> = (0..n).map(|i| s[i]).collect();
    if values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some((values, u))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laplacian::{LaplacianKind, laplacian, multiply};
    use anneal_connectome::generators;
    use orthogonal::cholesky_qr;

    fn both(w: &CsMat<f64>, k: usize) -> [(LaplacianKind, Eigenpairs, Eigenpairs); 2] {
        [LaplacianKind::Combinatorial, LaplacianKind::Normalized].map(|kind| {
            let options = LanczosOptions::default();
            let dense = laplacian_eigenpairs(w, kind, k, Solver::Dense, &options).unwrap();
            let sparse =
                laplacian_eigenpairs(w, kind, k, Solver::ShiftInvertLanczos, &options).unwrap();
            (kind, dense, sparse)
        })
    }

    fn assert_spectrum(got: &[f64], expected: &[f64], what: &str) {
        assert_eq!(got.len(), expected.len());
        for (i, (g, e)) in got.iter().zip(expected).enumerate() {
            assert!(
                (g - e).abs() <= 1e-10 * e.abs().max(1.0),
                "{what}: λ_{i} = {g}, expected {e}"
            );
        }
    }

    fn sorted(mut v: Vec<f64>, k: usize) -> Vec<f64> {
        v.sort_by(f64::total_cmp);
        v.truncate(k);
        v
    }

    #[test]
    fn ring_spectrum_both_laplacians_both_solvers() {
        let n = 300;
        let k = 40;
        let exact = sorted(
            (0..n)
                .map(|j| 2.0 - 2.0 * (2.0 * std::f64::consts::PI * j as f64 / n as f64).cos())
                .collect(),
            k,
        );
        for (kind, dense, sparse) in both(generators::ring(n).unwrap().weights(), k) {
            // A ring is 2-regular, so L_sym = L / 2.
            let scale = if kind == LaplacianKind::Normalized {
                0.5
            } else {
                1.0
            };
            let expected: Vec<f64> = exact.iter().map(|x| x * scale).collect();
            assert_spectrum(&dense.values, &expected, "ring dense");
            assert_spectrum(&sparse.values, &expected, "ring lanczos");
        }
    }

    #[test]
    fn path_and_torus_spectra() {
        let n = 250;
        let k = 30;
        let exact = sorted(
            (0..n)
                .map(|j| 2.0 - 2.0 * (std::f64::consts::PI * j as f64 / n as f64).cos())
                .collect(),
            k,
        );
        let [(_, dense, sparse), (_, dense_sym, sparse_sym)] =
            both(generators::path(n).unwrap().weights(), k);
        assert_spectrum(&dense.values, &exact, "path dense");
        assert_spectrum(&sparse.values, &exact, "path lanczos");
        // L_sym of a path: 1 − cos(πj/(n−1)).
        let exact_sym = sorted(
            (0..n)
                .map(|j| 1.0 - (std::f64::consts::PI * j as f64 / (n - 1) as f64).cos())
                .collect(),
            k,
        );
        assert_spectrum(&dense_sym.values, &exact_sym, "path sym dense");
        assert_spectrum(&sparse_sym.values, &exact_sym, "path sym lanczos");

        let (r, c) = (30, 40);
        let mut all = Vec::new();
        for a in 0..r {
            for b in 0..c {
                let f = |j: usize, m: usize| {
                    2.0 - 2.0 * (2.0 * std::f64::consts::PI * j as f64 / m as f64).cos()
                };
                all.push(f(a, r) + f(b, c));
            }
        }
        let exact = sorted(all, 25);
        for (kind, dense, sparse) in both(generators::lattice(r, c, true).unwrap().weights(), 25) {
            let scale = if kind == LaplacianKind::Normalized {
                0.25
            } else {
                1.0
            };
            let expected: Vec<f64> = exact.iter().map(|x| x * scale).collect();
            assert_spectrum(&dense.values, &expected, "torus dense");
            assert_spectrum(&sparse.values, &expected, "torus lanczos");
        }
    }

    #[test]
    fn complete_graph_and_hypercube_spectra() {
        let n = 40;
        let k = 6;
        for (kind, dense, sparse) in both(generators::complete(n).unwrap().weights(), k) {
            let top = if kind == LaplacianKind::Normalized {
                n as f64 / (n - 1) as f64
            } else {
                n as f64
            };
            let expected: Vec<f64> = (0..k).map(|j| if j == 0 { 0.0 } else { top }).collect();
            assert_spectrum(&dense.values, &expected, "complete dense");
            assert_spectrum(&sparse.values, &expected, "complete lanczos");
        }
        // Q_7: eigenvalue 2j with multiplicity C(7, j); the first 8 are 0 and seven 2s.
        let d = 7;
        for (kind, dense, sparse) in both(generators::hypercube(d).unwrap().weights(), 8) {
            let scale = if kind == LaplacianKind::Normalized {
                1.0 / d as f64
            } else {
                1.0
            };
            let expected: Vec<f64> = (0..8)
                .map(|j| if j == 0 { 0.0 } else { 2.0 * scale })
                .collect();
            assert_spectrum(&dense.values, &expected, "hypercube dense");
            assert_spectrum(&sparse.values, &expected, "hypercube lanczos");
        }
    }

    /// Sparse-path eigenvalues against an analytic multiset (sorted), both Laplacians.
    fn assert_sparse_spectrum(
        c: &anneal_connectome::Connectome,
        expected: &[(f64, usize)],
        what: &str,
    ) {
        let k: usize = expected.iter().map(|&(_, m)| m).sum();
        let options = LanczosOptions::default();
        assert!(
            c.n() > DENSE_LIMIT.min(2 * k + 200) || c.n() >= 500,
            "{what}: keep it sparse"
        );
        for kind in [LaplacianKind::Combinatorial, LaplacianKind::Normalized] {
            let degree = c
                .weights()
                .outer_view(0)
                .unwrap()
                .data()
                .iter()
                .sum::<f64>();
            // Every graph here is regular, so L_sym = L / degree.
            let scale = if kind == LaplacianKind::Normalized {
                1.0 / degree
            } else {
                1.0
            };
            let exact: Vec<f64> = expected
                .iter()
                .flat_map(|&(value, copies)| std::iter::repeat_n(value * scale, copies))
                .collect();
            let sparse =
                laplacian_eigenpairs(c.weights(), kind, k, Solver::ShiftInvertLanczos, &options)
                    .unwrap_or_else(|e| panic!("{what} {kind:?}: {e}"));
            assert_spectrum(&sparse.values, &exact, what);
        }
    }

    #[test]
    fn multiplicities_beyond_the_block_size_are_all_found() {
        // Q_9: eigenvalue 2j with multiplicity C(9, j): 0, nine 2s, thirty-six 4s. The Krylov
        // space of 8 start vectors becomes invariant after ten blocks, and the breakdowns bring
        // in fresh directions.
        assert_sparse_spectrum(
            &generators::hypercube(9).unwrap(),
            &[(0.0, 1), (2.0, 9), (4.0, 36)],
            "Q_9",
        );
        // Twelve disjoint rings of 100: 12 zero eigenvalues (deflated as the null space), then
        // 2 − 2cos(2πj/100) for j = 1, 2, each 24 times. No breakdown occurs, so a block of 8 sees
        // 8 of the 24 copies; the inertia count at the largest value found exposes the rest.
        let edges: Vec<(usize, usize, f64)> = (0..12)
            .flat_map(|r| (0..100).map(move |i| (r * 100 + i, r * 100 + (i + 1) % 100, 1.0)))
            .collect();
        let rings = anneal_connectome::Connectome::from_edges(1200, &edges).unwrap();
        let ring = |j: f64| 2.0 - 2.0 * (2.0 * std::f64::consts::PI * j / 100.0).cos();
        assert_sparse_spectrum(
            &rings,
            &[(0.0, 12), (ring(1.0), 24), (ring(2.0), 24)],
            "12 rings",
        );
        // K_600: 0 once, then 600 with multiplicity 599: every vector orthogonal to 1 is an
        // eigenvector, the first block spans an invariant subspace, and the boundary eigenvalue's
        // other copies tie with the ones returned.
        assert_sparse_spectrum(
            &generators::complete(600).unwrap(),
            &[(0.0, 1), (600.0, 19)],
            "K_600",
        );
    }

    #[test]
    fn cholesky_qr_orthonormalises_and_declines_dependent_blocks() {
        let n = 400;
        let b = 8;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut basis = Mat::<f64>::zeros(n, b);
        fill_random(&mut basis, 0, b, &mut rng);
        // Column 5 leans on column 4, keeping 0.6 of its norm: still within the fast path.
        for i in 0..n {
            basis[(i, 5)] = 0.8 * basis[(i, 4)] + 0.6 * basis[(i, 5)];
        }
        let original = basis.clone();
        let reference = column_norms(basis.as_ref(), 0, b);
        let first = cholesky_qr(&mut basis, 0, b, Some(&reference)).unwrap();
        let second = cholesky_qr(&mut basis, 0, b, None).unwrap();
        let r = &second * &first;
        let gram = basis.transpose() * &basis;
        let rebuilt = &basis * &r;
        for q in 0..b {
            for p in 0..b {
                let identity = if p == q { 1.0 } else { 0.0 };
                assert!((gram[(p, q)] - identity).abs() < 1e-14, "QᵀQ at ({p}, {q})");
                if p > q {
                    assert_eq!(r[(p, q)], 0.0, "R is upper triangular");
                }
            }
            for i in 0..n {
                assert!(
                    (rebuilt[(i, q)] - original[(i, q)]).abs() < 1e-13,
                    "Q·R at ({i}, {q})"
                );
            }
        }
        // A column that keeps less than half its norm against the earlier ones (here a tenth):
        // declined, the block left as it was, for the column-by-column sweep.
        let mut dependent = original.clone();
        for i in 0..n {
            dependent[(i, 6)] = 0.995 * dependent[(i, 2)] + 0.0999 * dependent[(i, 6)];
        }
        let before = dependent.clone();
        let norms = column_norms(dependent.as_ref(), 0, b);
        assert!(cholesky_qr(&mut dependent, 0, b, Some(&norms)).is_none());
        assert_eq!(dependent, before);
    }

    #[test]
    fn finish_matches_one_column_at_a_time_bit_for_bit() {
        // Exact eigenpairs, mixed signs and lengths: widths below, at and above the eight lanes.
        let n = 300;
        let l = laplacian(
            generators::ring(n).unwrap().weights(),
            LaplacianKind::Combinatorial,
        );
        let (values, vectors) = dense(&l, 19).unwrap();
        let mut scaled = vectors.clone();
        for j in 0..scaled.ncols() {
            let factor = if j % 3 == 0 { -2.5 } else { 0.75 + j as f64 };
            scaled.col_mut(j).iter_mut().for_each(|x| *x *= factor);
        }
        for width in [1, 8, 11, 19] {
            let mut ours_values = values[..width].to_vec();
            let mut ours = scaled.as_ref().get(.., ..width).to_owned();
            let largest = finish(&l, &mut ours_values, &mut ours, "test").unwrap();
            let mut expected_largest: f64 = 0.0;
            for j in 0..width {
                // The check one column at a time, as it was written before the interleaving.
                let mut column: Vec<f64> = scaled.col(j).iter().copied().collect();
                let length = column.iter().map(|x| x * x).sum::<f64>().sqrt();
                column.iter_mut().for_each(|x| *x /= length);
                let mut pivot = 0;
                for (i, x) in column.iter().enumerate() {
                    if x.abs() > column[pivot].abs() {
                        pivot = i;
                    }
                }
                if column[pivot] < 0.0 {
                    column.iter_mut().for_each(|x| *x = -*x);
                }
                let mut product = vec![0.0; n];
                multiply(&l, &column, &mut product);
                let rayleigh: f64 = column.iter().zip(&product).map(|(x, y)| x * y).sum();
                let residual = column
                    .iter()
                    .zip(&product)
                    .map(|(x, y)| (y - rayleigh * x).powi(2))
                    .sum::<f64>()
                    .sqrt();
                expected_largest = expected_largest.max(residual);
                assert_eq!(ours_values[j].to_bits(), rayleigh.to_bits(), "λ_{j}");
                for (i, x) in column.iter().enumerate() {
                    assert_eq!(ours[(i, j)].to_bits(), x.to_bits(), "entry ({i}, {j})");
                }
            }
            assert_eq!(largest.to_bits(), expected_largest.to_bits());
        }
    }

    #[test]
    fn finish_reports_the_first_failing_column() {
        let n = 40;
        let l = laplacian(
            generators::ring(n).unwrap().weights(),
            LaplacianKind::Combinatorial,
        );
        let (values, vectors) = dense(&l, 12).unwrap();
        // Column 9 is zero and column 10 is no eigenvector: the zero column is reported.
        let mut broken = vectors.clone();
        broken.col_mut(9).fill(0.0);
        broken.col_mut(10).fill(1.0);
        broken[(0, 10)] = 2.0;
        let error = finish(&l, &mut values.clone(), &mut broken, "test").unwrap_err();
        assert!(
            error.to_string().contains("eigenvector 9 has norm 0"),
            "{error}"
        );
        broken.col_mut(9).copy_from(vectors.col(9));
        let error = finish(&l, &mut values.clone(), &mut broken, "test").unwrap_err();
        assert!(error.to_string().contains("pair 10 "), "{error}");
        broken[(3, 11)] = f64::NAN;
        broken.col_mut(10).copy_from(vectors.col(10));
        let error = finish(&l, &mut values.clone(), &mut broken, "test").unwrap_err();
        assert!(
            error.to_string().contains("eigenvector 11 has norm NaN"),
            "{error}"
        );
    }

    #[test]
    fn interleaved_solve_matches_faer_bit_for_bit_and_solves() {
        use faer::Conj;
        use faer::sparse::linalg::cholesky::LltRef;
        // A small-world graph: AMD reorders it and its factor fills in. Widths below, at and
        // above the eight lanes, the last padded.
        let n = 500;
        let l = laplacian(
            generators::small_world(n, 6, 0.1, 3).unwrap().weights(),
            LaplacianKind::Combinatorial,
        );
        let shift = 1e-3;
        let mut operator = ShiftedInverse::new(&l, shift).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for width in [1, 3, 8, 11] {
            let mut right = Mat::<f64>::zeros(n, width);
            fill_random(&mut right, 0, width, &mut rng);
            let mut ours = right.clone();
            operator.apply_in_place(ours.as_mut());
            let mut theirs = right.clone();
            let mut buffer = MemBuffer::new(
                operator
                    .symbolic
                    .solve_in_place_scratch::<f64>(width, Par::Seq),
            );
            LltRef::new(&operator.symbolic, &operator.values).solve_in_place_with_conj(
                Conj::No,
                theirs.as_mut(),
                Par::Seq,
                MemStack::new(&mut buffer),
            );
            let mut product = vec![0.0; n];
            for c in 0..width {
                for i in 0..n {
                    assert_eq!(
                        ours[(i, c)].to_bits(),
                        theirs[(i, c)].to_bits(),
                        "width {width}, entry ({i}, {c})"
                    );
                }
                let x: Vec<f64> = ours.col(c).iter().copied().collect();
                multiply(&l, &x, &mut product);
                for i in 0..n {
                    let residual = product[i] + shift * x[i] - right[(i, c)];
                    assert!(
                        residual.abs() < 1e-9,
                        "width {width}: residual {residual:e}"
                    );
                }
            }
        }
    }

    #[test]
    fn inertia_counts_eigenvalues_below_a_shift() {
        // Path of 300: λ_j = 2 − 2cos(πj/300), j = 0..299.
        let n = 300;
        let l = laplacian(
            generators::path(n).unwrap().weights(),
            LaplacianKind::Combinatorial,
        );
        let operator = ShiftedInverse::new(&l, 1e-6).unwrap();
        for sigma in [0.01, 0.5, 1.05, 3.9] {
            let expected = (0..n)
                .filter(|&j| 2.0 - 2.0 * (std::f64::consts::PI * j as f64 / n as f64).cos() < sigma)
                .count();
            assert_eq!(
                operator.count_below(&l, sigma).unwrap(),
                Some(expected),
                "σ = {sigma}"
            );
        }
    }

    #[test]
    fn solvers_agree_on_random_graph_vectors_by_subspace() {
        let c = generators::small_world(400, 6, 0.1, 11).unwrap();
        for (_, dense, sparse) in both(c.weights(), 30) {
            assert_spectrum(&sparse.values, &dense.values, "small world");
            // The subspaces agree: ‖Dᵀ S‖_F² = k when both span the same space.
            let mut overlap = Mat::<f64>::zeros(30, 30);
            matmul(
                overlap.as_mut(),
                Accum::Replace,
                dense.vectors.transpose(),
                sparse.vectors.as_ref(),
                1.0,
                Par::Seq,
            );
            let frobenius: f64 = (0..30)
                .flat_map(|i| (0..30).map(move |j| (i, j)))
                .map(|(i, j)| overlap[(i, j)].powi(2))
                .sum();
            assert!((frobenius - 30.0).abs() < 1e-8, "{frobenius}");
        }
    }

    #[test]
    fn many_components_are_deflated_and_signs_are_fixed() {
        // Twelve isolated nodes and a ring: a 13-fold zero eigenvalue, beyond the block size.
        let mut edges: Vec<(usize, usize, f64)> = (0..500)
            .map(|i| (12 + i, 12 + (i + 1) % 500, 1.0))
            .collect();
        edges.push((12, 300, 0.5));
        let c = anneal_connectome::Connectome::from_edges(512, &edges).unwrap();
        let options = LanczosOptions::default();
        let e = laplacian_eigenpairs(
            c.weights(),
            LaplacianKind::Normalized,
            15,
            Solver::ShiftInvertLanczos,
            &options,
        )
        .unwrap();
        assert!(e.values[..13].iter().all(|v| v.abs() < 1e-12));
        assert!(e.values[13] > 1e-6);
        for j in 0..15 {
            let col: Vec<f64> = e.vectors.col(j).iter().copied().collect();
            let pivot = col
                .iter()
                .enumerate()
                .fold(0, |p, (i, x)| if x.abs() > col[p].abs() { i } else { p });
            assert!(col[pivot] > 0.0);
        }
    }

    #[test]
    fn bad_requests_are_errors() {
        let l = laplacian(
            generators::ring(5).unwrap().weights(),
            LaplacianKind::Combinatorial,
        );
        assert!(matches!(
            smallest_eigenpairs(&l, 6, Solver::Auto),
            Err(SolveError::TooMany { .. })
        ));
    }
}
