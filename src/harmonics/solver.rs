//! Eigensolvers for the smallest eigenpairs of a sparse symmetric positive semi-definite matrix.
//!
//! - [`Solver::Dense`]: faer's dense self-adjoint eigendecomposition, for small matrices.
//! - [`Solver::ShiftInvertLanczos`]: block Lanczos with full reorthogonalisation on the operator
//!   (A + sI)⁻¹, applied through faer's sparse Cholesky factor of A + sI (A is singular for a
//!   Laplacian, so a small s > 0 makes it positive definite). The largest eigenvalues θ of the
//!   operator are the smallest of A, λ = 1/θ − s, and they converge fastest.
//!
//! Every solve is checked: ‖Aψ − λψ‖ ≤ 1e-8·‖A‖_∞ for every pair and |ΨᵀΨ − I| ≤ 1e-10 entrywise.
//! A solve that misses either is an error saying what was tried. Connected components are solved
//! separately (a graph with c components has a c-fold zero eigenvalue, which a Krylov method would
//! resolve only up to its block size) and the results merged. All floating-point work runs
//! sequentially in a fixed order, so results are bit-identical whatever the thread count.

use super::laplacian::{multiply, norm_inf, principal_submatrix};
use faer::linalg::matmul::matmul;
use faer::sparse::linalg::cholesky::{
    CholeskySymbolicParams, LltRef, SymbolicCholesky, SymmetricOrdering, factorize_symbolic_cholesky,
};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Accum, Conj, Mat, MatMut, MatRef, Par, Side};
use faer::dyn_stack::{MemBuffer, MemStack};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use sprs::CsMat;

/// Residual bound relative to ‖A‖_∞ (model.md §2).
pub const RESIDUAL_TOLERANCE: f64 = 1e-8;
/// Largest entry of |ΨᵀΨ − I| allowed (model.md §2).
pub const ORTHONORMALITY_TOLERANCE: f64 = 1e-10;
/// Krylov dimension allowed even for few wanted pairs: clusters converge with the number of steps.
const MIN_KRYLOV_DIMENSION: usize = 160;
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
        "shift-invert block Lanczos did not converge: tried shift {shift:e}, block size {block}, Krylov dimension up to {dimension}; {converged} of {wanted} pairs met the residual bound (worst estimate {worst:e} against {bound:e})"
    )]
    NotConverged { shift: f64, block: usize, dimension: usize, converged: usize, wanted: usize, worst: f64, bound: f64 },
    #[error("{solver} solve failed its check: {what}")]
    CheckFailed { solver: &'static str, what: String },
}

/// Tuning of the shift-invert Lanczos solver. The defaults suit graph Laplacians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LanczosOptions {
    /// Shift s relative to ‖A‖_∞: the factorised matrix is A + s‖A‖_∞·I.
    pub relative_shift: f64,
    /// Columns per block; also the largest eigenvalue multiplicity resolved reliably.
    pub block_size: usize,
    /// Largest Krylov dimension as a multiple of the number of wanted pairs (at least 160, plus
    /// four blocks).
    pub max_dimension_factor: usize,
    /// Seed of the deterministic start block.
    pub seed: u64,
}

impl Default for LanczosOptions {
    fn default() -> LanczosOptions {
        LanczosOptions { relative_shift: 1e-6, block_size: 8, max_dimension_factor: 4, seed: 0x5eed }
    }
}

/// The `k` smallest eigenpairs of the symmetric positive semi-definite `matrix`, checked.
pub fn smallest_eigenpairs(matrix: &CsMat<f64>, k: usize, solver: Solver) -> Result<Eigenpairs, SolveError> {
    smallest_eigenpairs_with(matrix, k, solver, &LanczosOptions::default())
}

/// [`smallest_eigenpairs`] with explicit Lanczos options.
pub fn smallest_eigenpairs_with(
    matrix: &CsMat<f64>,
    k: usize,
    solver: Solver,
    options: &LanczosOptions,
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
        return Ok(Eigenpairs { values: Vec::new(), vectors: Mat::zeros(n, 0), max_residual: 0.0 });
    }
    let components = super::super::connectome::components_of(&matrix);
    // Solve each component for as many pairs as it can contribute, then keep the k smallest overall.
    let mut candidates: Vec<(f64, usize, usize)> = Vec::new(); // (value, component, column)
    let mut parts = Vec::with_capacity(components.len());
    for (c, nodes) in components.iter().enumerate() {
        let sub = if components.len() == 1 { matrix.clone() } else { principal_submatrix(&matrix, nodes) };
        let kc = k.min(nodes.len());
        let use_dense = match solver {
            Solver::Dense => true,
            Solver::ShiftInvertLanczos => nodes.len() == 1,
            Solver::Auto => nodes.len() <= DENSE_LIMIT,
        };
        let (values, vectors) = if use_dense { dense(&sub, kc)? } else { lanczos(&sub, kc, options)? };
        for (j, &v) in values.iter().enumerate() {
            candidates.push((v, c, j));
        }
        parts.push(vectors);
    }
    // Sort by value; ties keep component order, so the merge is deterministic.
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    candidates.truncate(k);
    let mut values = Vec::with_capacity(k);
    let mut vectors = Mat::<f64>::zeros(n, k);
    for (col, &(value, c, j)) in candidates.iter().enumerate() {
        values.push(value);
        for (local, &node) in components[c].iter().enumerate() {
            vectors[(node, col)] = parts[c][(local, j)];
        }
    }
    let solver_name = if matches!(solver, Solver::Dense) { "dense" } else { "harmonics" };
    let max_residual = finish(&matrix, &mut values, &mut vectors, solver_name)?;
    Ok(Eigenpairs { values, vectors, max_residual })
}

/// Normalises, recomputes eigenvalues as Rayleigh quotients, fixes signs, and checks residuals and
/// orthonormality. Returns the largest residual.
pub(crate) fn finish(matrix: &CsMat<f64>, values: &mut [f64], vectors: &mut Mat<f64>, solver: &'static str) -> Result<f64, SolveError> {
    let n = matrix.rows();
    let norm = norm_inf(matrix);
    let bound = RESIDUAL_TOLERANCE * norm.max(f64::MIN_POSITIVE);
    let mut product = vec![0.0; n];
    let mut max_residual: f64 = 0.0;
    for j in 0..values.len() {
        let mut column: Vec<f64> = (0..n).map(|i| vectors[(i, j)]).collect();
        let length = column.iter().map(|x| x * x).sum::<f64>().sqrt();
        if !(length > 0.0) || !length.is_finite() {
            return Err(SolveError::CheckFailed { solver, what: format!("eigenvector {j} has norm {length}") });
        }
        column.iter_mut().for_each(|x| *x /= length);
        // Sign convention of model.md §2: the largest-magnitude entry, lowest index on ties, is positive.
        let mut pivot = 0;
        for (i, x) in column.iter().enumerate() {
            if x.abs() > column[pivot].abs() {
                pivot = i;
            }
        }
        if column[pivot] < 0.0 {
            column.iter_mut().for_each(|x| *x = -*x);
        }
        multiply(matrix, &column, &mut product);
        let rayleigh: f64 = column.iter().zip(&product).map(|(x, y)| x * y).sum();
        let residual = column.iter().zip(&product).map(|(x, y)| (y - rayleigh * x).powi(2)).sum::<f64>().sqrt();
        if !(residual <= bound) {
            return Err(SolveError::CheckFailed {
                solver,
                what: format!("pair {j} (λ = {rayleigh:e}) has residual {residual:e} > {bound:e} = 1e-8·‖A‖∞"),
            });
        }
        max_residual = max_residual.max(residual);
        values[j] = rayleigh;
        for (i, x) in column.into_iter().enumerate() {
            vectors[(i, j)] = x;
        }
    }
    let k = values.len();
    let mut gram = Mat::<f64>::zeros(k, k);
    matmul(gram.as_mut(), Accum::Replace, vectors.transpose(), vectors.as_ref(), 1.0, Par::Seq);
    for a in 0..k {
        for b in 0..k {
            let deviation = (gram[(a, b)] - if a == b { 1.0 } else { 0.0 }).abs();
            if !(deviation <= ORTHONORMALITY_TOLERANCE) {
                return Err(SolveError::CheckFailed {
                    solver,
                    what: format!("eigenvectors {a} and {b} deviate from orthonormality by {deviation:e}"),
                });
            }
        }
    }
    Ok(max_residual)
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
    let mut buffer = MemBuffer::new(self_adjoint_evd_scratch::<f64>(n, ComputeEigenvectors::Yes, Par::Seq, Default::default()));
    self_adjoint_evd(a, s.as_mut(), Some(u.as_mut()), Par::Seq, MemStack::new(&mut buffer), Default::default()).ok()?;
    let values: Vec<f64> = (0..n).map(|i| s[i]).collect();
    if values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some((values, u))
}

/// A factorised A + sI, applied as (A + sI)⁻¹ to blocks of vectors.
struct ShiftedInverse {
    symbolic: SymbolicCholesky<usize>,
    values: Vec<f64>,
    buffer: MemBuffer,
}

impl ShiftedInverse {
    fn new(matrix: &CsMat<f64>, shift: f64, max_rhs: usize) -> Result<ShiftedInverse, SolveError> {
        let n = matrix.rows();
        let fail = |message: String| SolveError::Factorization { shift, message };
        // Lower triangle of A + sI in compressed columns: for symmetric A, CSR row j holds column j.
        let mut col_ptr = Vec::with_capacity(n + 1);
        let mut row_idx = Vec::with_capacity(matrix.nnz() / 2 + n);
        let mut values = Vec::with_capacity(matrix.nnz() / 2 + n);
        col_ptr.push(0usize);
        for (j, row) in matrix.outer_iterator().enumerate() {
            let mut has_diagonal = false;
            for (i, &a) in row.iter() {
                if i == j {
                    has_diagonal = true;
                    row_idx.push(i);
                    values.push(a + shift);
                } else if i > j {
                    if !has_diagonal {
                        has_diagonal = true;
                        row_idx.push(j);
                        values.push(shift);
                    }
                    row_idx.push(i);
                    values.push(a);
                }
            }
            if !has_diagonal {
                row_idx.push(j);
                values.push(shift);
            }
            col_ptr.push(row_idx.len());
        }
        let structure = SymbolicSparseColMatRef::new_checked(n, n, &col_ptr, None, &row_idx);
        let lower = SparseColMatRef::new(structure, &values);
        let symbolic = factorize_symbolic_cholesky(
            structure,
            Side::Lower,
            SymmetricOrdering::Amd,
            CholeskySymbolicParams::default(),
        )
        .map_err(|e| fail(format!("{e:?}")))?;
        let mut factor = vec![0.0; symbolic.len_val()];
        let mut scratch = MemBuffer::try_new(symbolic.factorize_numeric_llt_scratch::<f64>(Par::Seq, Default::default()))
            .map_err(|e| fail(format!("{e:?}")))?;
        symbolic
            .factorize_numeric_llt::<f64>(
                &mut factor,
                lower,
                Side::Lower,
                Default::default(),
                Par::Seq,
                MemStack::new(&mut scratch),
                Default::default(),
            )
            .map_err(|e| fail(format!("{e:?}")))?;
        let buffer = MemBuffer::try_new(symbolic.solve_in_place_scratch::<f64>(max_rhs, Par::Seq)).map_err(|e| fail(format!("{e:?}")))?;
        Ok(ShiftedInverse { symbolic, values: factor, buffer })
    }

    fn apply_in_place(&mut self, block: MatMut<'_, f64>) {
        LltRef::new(&self.symbolic, &self.values).solve_in_place_with_conj(
            Conj::No,
            block,
            Par::Seq,
            MemStack::new(&mut self.buffer),
        );
    }
}

fn column_norm(m: MatRef<'_, f64>, j: usize) -> f64 {
    m.col(j).iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Orthogonalises the columns of `block` against `basis` (two passes of block classical
/// Gram–Schmidt) and returns the projection coefficients basisᵀ·block.
fn project_out(basis: MatRef<'_, f64>, mut block: MatMut<'_, f64>) -> Mat<f64> {
    let mut coefficients = Mat::<f64>::zeros(basis.ncols(), block.ncols());
    if basis.ncols() == 0 {
        return coefficients;
    }
    let mut pass = Mat::<f64>::zeros(basis.ncols(), block.ncols());
    for _ in 0..2 {
        matmul(pass.as_mut(), Accum::Replace, basis.transpose(), block.rb(), 1.0, Par::Seq);
        matmul(block.rb_mut(), Accum::Add, basis, pass.as_ref(), -1.0, Par::Seq);
        coefficients += &pass;
    }
    coefficients
}

/// The shift-invert block Lanczos solver; see the module documentation.
fn lanczos(matrix: &CsMat<f64>, k: usize, options: &LanczosOptions) -> Result<(Vec<f64>, Mat<f64>), SolveError> {
    let n = matrix.rows();
    let norm = norm_inf(matrix).max(f64::MIN_POSITIVE);
    let shift = options.relative_shift * norm;
    let b = options.block_size.clamp(1, n);
    let capacity = ((options.max_dimension_factor * k).max(MIN_KRYLOV_DIMENSION) + 4 * b).min(n);
    // The basis must hold the current blocks plus one more; round down to whole blocks.
    let max_dimension = (capacity / b) * b;
    let not_converged = |dimension: usize, converged: usize, worst: f64, bound: f64| SolveError::NotConverged {
        shift,
        block: b,
        dimension,
        converged,
        wanted: k,
        worst,
        bound,
    };
    if capacity >= n {
        // The Krylov space could span the whole space: the dense solver is exact and cheaper.
        return dense(matrix, k);
    }

    let mut operator = ShiftedInverse::new(matrix, shift, b)?;
    let mut basis = Mat::<f64>::zeros(n, max_dimension);
    let mut projected = Mat::<f64>::zeros(max_dimension, max_dimension);
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    rng.set_stream(0x6c61_6e63_7a6f_7300);
    let mut random_column = |rng: &mut ChaCha8Rng| -> Vec<f64> {
        (0..n).map(|_| (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) - 0.5).collect()
    };

    // Orthonormalises columns [start, start + b) of the basis in place against everything before,
    // replacing (near-)dependent columns by fresh random directions. Returns R with block = Q·R
    // (zero rows for replaced columns).
    let orthonormalise = |basis: &mut Mat<f64>, start: usize, rng: &mut ChaCha8Rng, random: &mut dyn FnMut(&mut ChaCha8Rng) -> Vec<f64>| -> Mat<f64> {
        let mut r = Mat::<f64>::zeros(b, b);
        for q in 0..b {
            let col = start + q;
            let before = column_norm(basis.as_ref(), col);
            let (done, mut rest) = basis.as_mut().split_at_col_mut(col);
            let coefficients = project_out(done.rb().get(.., start..), rest.rb_mut().get_mut(.., 0..1));
            // The caller projected the earlier blocks out already; only when the in-block step
            // cancelled much of the column can rounding have brought them back, so then repeat it.
            let in_block = column_norm(rest.rb().get(.., 0..1), 0);
            if in_block < 0.5 * before {
                project_out(done.rb().get(.., ..start), rest.rb_mut().get_mut(.., 0..1));
            }
            for p in 0..q {
                r[(p, q)] = coefficients[(p, 0)];
            }
            let after = column_norm(basis.as_ref(), col);
            if after > 1e-10 * before && after > 0.0 {
                r[(q, q)] = after;
                basis.as_mut().col_mut(col).iter_mut().for_each(|x| *x /= after);
            } else {
                // The column lies in the span of the ones before (an invariant subspace was found):
                // its coefficients stay in R with a zero diagonal, and a fresh random direction
                // continues the basis.
                loop {
                    let fresh = random(rng);
                    for (i, x) in fresh.into_iter().enumerate() {
                        basis[(i, col)] = x;
                    }
                    let length = column_norm(basis.as_ref(), col);
                    let (done, mut rest) = basis.as_mut().split_at_col_mut(col);
                    project_out(done.rb(), rest.rb_mut().get_mut(.., 0..1));
                    let after = column_norm(basis.as_ref(), col);
                    if after > 1e-3 * length {
                        basis.as_mut().col_mut(col).iter_mut().for_each(|x| *x /= after);
                        break;
                    }
                }
            }
        }
        r
    };

    for q in 0..b {
        let fresh = random_column(&mut rng);
        for (i, x) in fresh.into_iter().enumerate() {
            basis[(i, q)] = x;
        }
    }
    orthonormalise(&mut basis, 0, &mut rng, &mut random_column);

    let target = RESIDUAL_TOLERANCE * norm * 0.1;
    let mut next_check = (k + k / 4 + 2 * b).min(max_dimension - b);
    let mut start = 0;
    loop {
        // Expand: W = Op·V_j, project out the whole basis, orthonormalise into the next block.
        let end = start + b;
        {
            let (done, mut rest) = basis.as_mut().split_at_col_mut(end);
            let mut block = rest.rb_mut().get_mut(.., 0..b);
            block.copy_from(done.rb().get(.., start..end));
            operator.apply_in_place(block.rb_mut());
            let coefficients = project_out(done.rb(), block.rb_mut());
            projected.as_mut().get_mut(0..end, start..end).copy_from(&coefficients);
        }
        let r = orthonormalise(&mut basis, end, &mut rng, &mut random_column);
        projected.as_mut().get_mut(end..end + b, start..end).copy_from(&r);
        let dimension = end;
        if dimension >= next_check || end + 2 * b > max_dimension {
            // Rayleigh–Ritz on the projected operator H = VᵀOpV (symmetrised).
            let mut h = Mat::<f64>::zeros(dimension, dimension);
            for i in 0..dimension {
                for j in 0..dimension {
                    h[(i, j)] = 0.5 * (projected[(i, j)] + projected[(j, i)]);
                }
            }
            let (theta, y) = dense_eigen(h.as_ref()).ok_or(SolveError::DenseFailed { n: dimension })?;
            // The wanted pairs are the k largest θ, in columns dimension−1 down to dimension−k.
            let mut converged = 0;
            let mut worst: f64 = 0.0;
            for w in 0..k {
                let col = dimension - 1 - w;
                // ‖Op x − θ x‖ = ‖R·y_last‖; then ‖Ax − λx‖ ≤ ‖A + sI‖·‖Op x − θx‖/θ.
                let mut estimate: f64 = 0.0;
                for p in 0..b {
                    let mut s = 0.0;
                    for q in 0..b {
                        s += r[(p, q)] * y[(start + q, col)];
                    }
                    estimate += s * s;
                }
                let estimate = (norm + shift) * estimate.sqrt() / theta[col].abs();
                worst = worst.max(estimate);
                if estimate <= target && theta[col] > 0.0 {
                    converged += 1;
                }
            }
            if converged == k {
                let mut ritz = Mat::<f64>::zeros(n, k);
                let mut chosen = Mat::<f64>::zeros(dimension, k);
                let mut values = Vec::with_capacity(k);
                for w in 0..k {
                    let col = dimension - 1 - w;
                    chosen.as_mut().col_mut(w).copy_from(y.as_ref().col(col));
                    values.push(1.0 / theta[col] - shift);
                }
                matmul(ritz.as_mut(), Accum::Replace, basis.as_ref().get(.., ..dimension), chosen.as_ref(), 1.0, Par::Seq);
                return Ok((values, ritz));
            }
            if end + 2 * b > max_dimension {
                return Err(not_converged(dimension, converged, worst, target));
            }
            next_check = (dimension + (dimension / 8).max(2 * b)).min(max_dimension - b);
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectome::generators;
    use crate::harmonics::laplacian::{LaplacianKind, laplacian};

    fn both(w: &CsMat<f64>, k: usize) -> [(LaplacianKind, Eigenpairs, Eigenpairs); 2] {
        [LaplacianKind::Combinatorial, LaplacianKind::Normalized].map(|kind| {
            let l = laplacian(w, kind);
            let options = LanczosOptions { block_size: 8, ..Default::default() };
            let dense = smallest_eigenpairs_with(&l, k, Solver::Dense, &options).unwrap();
            let sparse = smallest_eigenpairs_with(&l, k, Solver::ShiftInvertLanczos, &options).unwrap();
            (kind, dense, sparse)
        })
    }

    fn assert_spectrum(got: &[f64], expected: &[f64], what: &str) {
        assert_eq!(got.len(), expected.len());
        for (i, (g, e)) in got.iter().zip(expected).enumerate() {
            assert!((g - e).abs() <= 1e-10 * e.abs().max(1.0), "{what}: λ_{i} = {g}, expected {e}");
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
        let exact = sorted((0..n).map(|j| 2.0 - 2.0 * (2.0 * std::f64::consts::PI * j as f64 / n as f64).cos()).collect(), k);
        for (kind, dense, sparse) in both(generators::ring(n).unwrap().weights(), k) {
            // A ring is 2-regular, so L_sym = L / 2.
            let scale = if kind == LaplacianKind::Normalized { 0.5 } else { 1.0 };
            let expected: Vec<f64> = exact.iter().map(|x| x * scale).collect();
            assert_spectrum(&dense.values, &expected, "ring dense");
            assert_spectrum(&sparse.values, &expected, "ring lanczos");
        }
    }

    #[test]
    fn path_and_torus_spectra() {
        let n = 250;
        let k = 30;
        let exact = sorted((0..n).map(|j| 2.0 - 2.0 * (std::f64::consts::PI * j as f64 / n as f64).cos()).collect(), k);
        let [(_, dense, sparse), (_, dense_sym, sparse_sym)] = both(generators::path(n).unwrap().weights(), k);
        assert_spectrum(&dense.values, &exact, "path dense");
        assert_spectrum(&sparse.values, &exact, "path lanczos");
        // L_sym of a path: 1 − cos(πj/(n−1)).
        let exact_sym =
            sorted((0..n).map(|j| 1.0 - (std::f64::consts::PI * j as f64 / (n - 1) as f64).cos()).collect(), k);
        assert_spectrum(&dense_sym.values, &exact_sym, "path sym dense");
        assert_spectrum(&sparse_sym.values, &exact_sym, "path sym lanczos");

        let (r, c) = (30, 40);
        let mut all = Vec::new();
        for a in 0..r {
            for b in 0..c {
                let f = |j: usize, m: usize| 2.0 - 2.0 * (2.0 * std::f64::consts::PI * j as f64 / m as f64).cos();
                all.push(f(a, r) + f(b, c));
            }
        }
        let exact = sorted(all, 25);
        for (kind, dense, sparse) in both(generators::lattice(r, c, true).unwrap().weights(), 25) {
            let scale = if kind == LaplacianKind::Normalized { 0.25 } else { 1.0 };
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
            let top = if kind == LaplacianKind::Normalized { n as f64 / (n - 1) as f64 } else { n as f64 };
            let expected: Vec<f64> = (0..k).map(|j| if j == 0 { 0.0 } else { top }).collect();
            assert_spectrum(&dense.values, &expected, "complete dense");
            assert_spectrum(&sparse.values, &expected, "complete lanczos");
        }
        // Q_7: eigenvalue 2j with multiplicity C(7, j); the first 8 are 0 and seven 2s.
        let d = 7;
        for (kind, dense, sparse) in both(generators::hypercube(d).unwrap().weights(), 8) {
            let scale = if kind == LaplacianKind::Normalized { 1.0 / d as f64 } else { 1.0 };
            let expected: Vec<f64> = (0..8).map(|j| if j == 0 { 0.0 } else { 2.0 * scale }).collect();
            assert_spectrum(&dense.values, &expected, "hypercube dense");
            assert_spectrum(&sparse.values, &expected, "hypercube lanczos");
        }
    }

    #[test]
    fn solvers_agree_on_random_graph_vectors_by_subspace() {
        let c = generators::small_world(400, 6, 0.1, 11).unwrap();
        for (_, dense, sparse) in both(c.weights(), 30) {
            assert_spectrum(&sparse.values, &dense.values, "small world");
            // The subspaces agree: ‖Dᵀ S‖_F² = k when both span the same space.
            let mut overlap = Mat::<f64>::zeros(30, 30);
            matmul(overlap.as_mut(), Accum::Replace, dense.vectors.transpose(), sparse.vectors.as_ref(), 1.0, Par::Seq);
            let frobenius: f64 = (0..30).flat_map(|i| (0..30).map(move |j| (i, j))).map(|(i, j)| overlap[(i, j)].powi(2)).sum();
            assert!((frobenius - 30.0).abs() < 1e-8, "{frobenius}");
        }
    }

    #[test]
    fn components_are_solved_separately_and_signs_are_fixed() {
        // Twelve isolated nodes and a ring: a 13-fold zero eigenvalue, beyond the block size.
        let mut edges: Vec<(usize, usize, f64)> = (0..50).map(|i| (12 + i, 12 + (i + 1) % 50, 1.0)).collect();
        edges.push((12, 30, 0.5));
        let c = crate::connectome::Connectome::from_edges(62, &edges).unwrap();
        let l = laplacian(c.weights(), LaplacianKind::Combinatorial);
        let e = smallest_eigenpairs(&l, 15, Solver::ShiftInvertLanczos).unwrap();
        assert!(e.values[..13].iter().all(|v| v.abs() < 1e-12));
        assert!(e.values[13] > 1e-3);
        for j in 0..15 {
            let col: Vec<f64> = e.vectors.col(j).iter().copied().collect();
            let pivot = col.iter().enumerate().fold(0, |p, (i, x)| if x.abs() > col[p].abs() { i } else { p });
            assert!(col[pivot] > 0.0);
        }
    }

    #[test]
    fn bad_requests_are_errors() {
        let l = laplacian(generators::ring(5).unwrap().weights(), LaplacianKind::Combinatorial);
        assert!(matches!(smallest_eigenpairs(&l, 6, Solver::Auto), Err(SolveError::TooMany { .. })));
    }
}
