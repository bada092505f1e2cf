//! Eigensolvers for the smallest eigenpairs of a sparse symmetric positive semi-definite matrix.
//!
//! - [`Solver::Dense`]: faer's dense self-adjoint eigendecomposition, for small matrices.
//! - [`Solver::ShiftInvertLanczos`]: block Lanczos with full reorthogonalisation on the operator
//!   (A + sI)⁻¹, applied through faer's sparse Cholesky factor of A + sI (A is singular for a
//!   Laplacian, so a small s > 0 makes it positive definite). The largest eigenvalues θ of the
//!   operator are the smallest of A, λ = 1/θ − s, and they converge fastest.
//!
//! Every solve is checked: ‖Aψ − λψ‖ ≤ 1e-8·‖A‖_∞ for every pair and |ΨᵀΨ − I| ≤ 1e-10 entrywise.
//! A solve that misses either is an error saying what was tried. A graph with c components has a
//! c-fold zero eigenvalue, which a Krylov method would resolve only up to its block size; for
//! Laplacians ([`laplacian_eigenpairs`]) that null space is known exactly and kept out of the
//! Krylov space instead. All floating-point work runs sequentially in a fixed order, so results are
//! bit-identical whatever the thread count.

use super::laplacian::{LaplacianKind, laplacian, multiply, norm_inf};
use crate::connectome::components_of;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::matmul::matmul;
use faer::prelude::{Reborrow, ReborrowMut};
use faer::sparse::linalg::cholesky::{
    CholeskySymbolicParams, LltRef, SymbolicCholesky, SymmetricOrdering,
    factorize_symbolic_cholesky,
};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Accum, Conj, Mat, MatMut, MatRef, Par, Side};
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
    NotConverged {
        shift: f64,
        block: usize,
        dimension: usize,
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
        LanczosOptions {
            relative_shift: 1e-6,
            block_size: 8,
            max_dimension_factor: 4,
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

/// Normalises, recomputes eigenvalues as Rayleigh quotients, fixes signs, and checks residuals and
/// orthonormality. Returns the largest residual.
pub(crate) fn finish(
    matrix: &CsMat<f64>,
    values: &mut [f64],
    vectors: &mut Mat<f64>,
    solver: &'static str,
) -> Result<f64, SolveError> {
    let n = matrix.rows();
    let norm = norm_inf(matrix);
    let bound = RESIDUAL_TOLERANCE * norm.max(f64::MIN_POSITIVE);
    let mut product = vec![0.0; n];
    let mut max_residual: f64 = 0.0;
    for j in 0..values.len() {
        let mut column: Vec<f64> = (0..n).map(|i| vectors[(i, j)]).collect();
        let length = column.iter().map(|x| x * x).sum::<f64>().sqrt();
        if length <= 0.0 || !length.is_finite() {
            return Err(SolveError::CheckFailed {
                solver,
                what: format!("eigenvector {j} has norm {length}"),
            });
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
        let residual = column
            .iter()
            .zip(&product)
            .map(|(x, y)| (y - rayleigh * x).powi(2))
            .sum::<f64>()
            .sqrt();
        if !residual.is_finite() || residual > bound {
            return Err(SolveError::CheckFailed {
                solver,
                what: format!(
                    "pair {j} (λ = {rayleigh:e}) has residual {residual:e} > {bound:e} = 1e-8·‖A‖∞"
                ),
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
    matmul(
        gram.as_mut(),
        Accum::Replace,
        vectors.transpose(),
        vectors.as_ref(),
        1.0,
        Par::Seq,
    );
    for a in 0..k {
        for b in 0..k {
            let deviation = (gram[(a, b)] - if a == b { 1.0 } else { 0.0 }).abs();
            if deviation.is_nan() || deviation > ORTHONORMALITY_TOLERANCE {
                return Err(SolveError::CheckFailed {
                    solver,
                    what: format!(
                        "eigenvectors {a} and {b} deviate from orthonormality by {deviation:e}"
                    ),
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
        let mut scratch = MemBuffer::try_new(
            symbolic.factorize_numeric_llt_scratch::<f64>(Par::Seq, Default::default()),
        )
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
        let buffer = MemBuffer::try_new(symbolic.solve_in_place_scratch::<f64>(max_rhs, Par::Seq))
            .map_err(|e| fail(format!("{e:?}")))?;
        Ok(ShiftedInverse {
            symbolic,
            values: factor,
            buffer,
        })
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
    let mut coefficients = project_out_once(basis, block.rb_mut());
    coefficients += project_out_once(basis, block.rb_mut());
    coefficients
}

/// Fills `count` columns of `basis` from `start` with uniform random entries in [−½, ½).
fn fill_random(basis: &mut Mat<f64>, start: usize, count: usize, rng: &mut ChaCha8Rng) {
    for col in start..start + count {
        for i in 0..basis.nrows() {
            basis[(i, col)] = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) - 0.5;
        }
    }
}

/// Orthonormalises columns [start, start + b) of `basis` in place against everything before them.
/// The caller has projected the earlier columns out once; Gram–Schmidt within the block runs
/// twice per column, and when it cancels much of a column (so rounding may have brought earlier
/// directions back) the whole block is projected against the earlier columns again and
/// re-orthonormalised. A column found dependent on the ones before (an invariant subspace) keeps
/// its coefficients with a zero diagonal and is replaced by a fresh random direction.
/// Returns R with block = Q·R.
fn orthonormalise(basis: &mut Mat<f64>, start: usize, b: usize, rng: &mut ChaCha8Rng) -> Mat<f64> {
    let (first, cancelled) = orthonormalise_within_block(basis, start, b, rng);
    if !cancelled {
        return first;
    }
    {
        let (done, mut rest) = basis.as_mut().split_at_col_mut(start);
        project_out_once(done.rb(), rest.rb_mut().get_mut(.., ..b));
    }
    let (second, _) = orthonormalise_within_block(basis, start, b, rng);
    &second * &first
}

/// One Gram–Schmidt sweep over the block (two passes per column against the block's earlier
/// columns). Returns R and whether any column lost more than half its norm.
fn orthonormalise_within_block(
    basis: &mut Mat<f64>,
    start: usize,
    b: usize,
    rng: &mut ChaCha8Rng,
) -> (Mat<f64>, bool) {
    let mut r = Mat::<f64>::zeros(b, b);
    let mut cancelled = false;
    for q in 0..b {
        let col = start + q;
        let before = column_norm(basis.as_ref(), col);
        {
            let (done, mut rest) = basis.as_mut().split_at_col_mut(col);
            let coefficients =
                project_out(done.rb().get(.., start..), rest.rb_mut().get_mut(.., 0..1));
            for p in 0..q {
                r[(p, q)] = coefficients[(p, 0)];
            }
        }
        let after = column_norm(basis.as_ref(), col);
        if after < 0.5 * before {
            cancelled = true;
        }
        if after > 1e-10 * before && after > 0.0 {
            r[(q, q)] = after;
            basis
                .as_mut()
                .col_mut(col)
                .iter_mut()
                .for_each(|x| *x /= after);
            continue;
        }
        loop {
            fill_random(basis, col, 1, rng);
            let length = column_norm(basis.as_ref(), col);
            let (done, mut rest) = basis.as_mut().split_at_col_mut(col);
            project_out(done.rb(), rest.rb_mut().get_mut(.., 0..1));
            let after = column_norm(basis.as_ref(), col);
            if after > 1e-3 * length {
                basis
                    .as_mut()
                    .col_mut(col)
                    .iter_mut()
                    .for_each(|x| *x /= after);
                break;
            }
        }
    }
    (r, cancelled)
}

/// One pass of block classical Gram–Schmidt: block ← block − basis·(basisᵀ·block); returns
/// basisᵀ·block. Both products are formed transposed (blockᵀ·basis, then blockᵀ −= Cᵀ·basisᵀ) so
/// the small block, not the large basis, is the packed left operand: that saves the GEMM from
/// repacking the whole basis twice per step, about a fifth of the solver's time on the cortex.
fn project_out_once(basis: MatRef<'_, f64>, mut block: MatMut<'_, f64>) -> Mat<f64> {
    let mut transposed = Mat::<f64>::zeros(block.ncols(), basis.ncols());
    if basis.ncols() > 0 {
        matmul(
            transposed.as_mut(),
            Accum::Replace,
            block.rb().transpose(),
            basis,
            1.0,
            Par::Seq,
        );
        matmul(
            block.rb_mut().transpose_mut(),
            Accum::Add,
            transposed.as_ref(),
            basis.transpose(),
            -1.0,
            Par::Seq,
        );
    }
    transposed.transpose().to_owned()
}

/// The shift-invert block Lanczos solver; see the module documentation. `null_space` (n × c,
/// orthonormal) holds known eigenvectors of eigenvalue 0; they are kept as locked columns in front
/// of the Krylov basis, which stays orthogonal to them.
fn lanczos(
    matrix: &CsMat<f64>,
    k: usize,
    options: &LanczosOptions,
    null_space: Option<MatRef<'_, f64>>,
) -> Result<(Vec<f64>, Mat<f64>), SolveError> {
    let n = matrix.rows();
    let norm = norm_inf(matrix).max(f64::MIN_POSITIVE);
    let shift = options.relative_shift * norm;
    let b = options.block_size.clamp(1, n);
    let locked = null_space.map_or(0, |z| z.ncols());
    if locked >= k {
        let z = null_space
            .map(|z| z.get(.., ..k).to_owned())
            .unwrap_or_else(|| Mat::zeros(n, k));
        return Ok((vec![0.0; k], z));
    }
    let wanted = k - locked;
    let capacity =
        ((options.max_dimension_factor * wanted).max(MIN_KRYLOV_DIMENSION) + 4 * b).min(n);
    if locked + capacity >= n {
        // The Krylov space could span the whole space: the dense solver is exact and cheaper.
        return dense(matrix, k);
    }
    // The basis holds the locked columns, then whole blocks of the Krylov space.
    let max_dimension = (capacity / b) * b;
    let mut operator = ShiftedInverse::new(matrix, shift, b)?;
    let mut basis = Mat::<f64>::zeros(n, locked + max_dimension);
    if let Some(z) = null_space {
        basis.as_mut().get_mut(.., ..locked).copy_from(z);
    }
    let mut projected = Mat::<f64>::zeros(max_dimension, max_dimension);
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    rng.set_stream(0x6c61_6e63_7a6f_7300);
    fill_random(&mut basis, locked, b, &mut rng);
    {
        let (done, mut rest) = basis.as_mut().split_at_col_mut(locked);
        project_out(done.rb(), rest.rb_mut().get_mut(.., ..b));
    }
    orthonormalise(&mut basis, locked, b, &mut rng);

    // Converged when the bound on ‖Ax − λx‖ is half the required 1e-8·‖A‖∞; the true residuals
    // are computed and checked afterwards.
    let target = 0.5 * RESIDUAL_TOLERANCE * norm;
    let mut next_check = (wanted + wanted / 2 + 2 * b).min(max_dimension - b);
    let mut previous_check: Option<(usize, usize)> = None;
    let mut start = 0;
    loop {
        // Expand: W = Op·V_j, project out every earlier column, orthonormalise into the next block.
        let end = start + b;
        {
            let (done, mut rest) = basis.as_mut().split_at_col_mut(locked + end);
            let mut block = rest.rb_mut().get_mut(.., 0..b);
            block.copy_from(done.rb().get(.., locked + start..locked + end));
            operator.apply_in_place(block.rb_mut());
            // The three-term recurrence (the last two blocks), then one full pass: in exact
            // arithmetic the full pass removes nothing, in floating point it restores orthogonality.
            let local_start = locked + start.saturating_sub(b);
            let mut coefficients = Mat::<f64>::zeros(locked + end, b);
            let local = project_out_once(done.rb().get(.., local_start..), block.rb_mut());
            coefficients
                .as_mut()
                .get_mut(local_start.., ..)
                .copy_from(&local);
            coefficients += project_out_once(done.rb(), block.rb_mut());
            projected
                .as_mut()
                .get_mut(0..end, start..end)
                .copy_from(coefficients.as_ref().get(locked.., ..));
        }
        let r = orthonormalise(&mut basis, locked + end, b, &mut rng);
        projected
            .as_mut()
            .get_mut(end..end + b, start..end)
            .copy_from(&r);
        let dimension = end;
        if dimension >= next_check || end + 2 * b > max_dimension {
            // Rayleigh–Ritz on the projected operator H = VᵀOpV (symmetrised).
            let mut h = Mat::<f64>::zeros(dimension, dimension);
            for j in 0..dimension {
                for i in 0..dimension {
                    h[(i, j)] = 0.5 * (projected[(i, j)] + projected[(j, i)]);
                }
            }
            let (theta, y) =
                dense_eigen(h.as_ref()).ok_or(SolveError::DenseFailed { n: dimension })?;
            // The wanted pairs are the largest θ, in the last columns.
            let mut converged = 0;
            let mut worst: f64 = 0.0;
            for w in 0..wanted {
                let col = dimension - 1 - w;
                // ‖Op x − θx‖ = ‖R·y_last‖, and Ax − λx = −(A + sI)(Op x − θx)/θ.
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
            if converged == wanted {
                let mut vectors = Mat::<f64>::zeros(n, k);
                let mut chosen = Mat::<f64>::zeros(dimension, wanted);
                let mut values = vec![0.0; locked];
                for w in 0..wanted {
                    let col = dimension - 1 - w;
                    chosen.as_mut().col_mut(w).copy_from(y.as_ref().col(col));
                    values.push(1.0 / theta[col] - shift);
                }
                vectors
                    .as_mut()
                    .get_mut(.., ..locked)
                    .copy_from(basis.as_ref().get(.., ..locked));
                matmul(
                    vectors.as_mut().get_mut(.., locked..),
                    Accum::Replace,
                    basis.as_ref().get(.., locked..locked + dimension),
                    chosen.as_ref(),
                    1.0,
                    Par::Seq,
                );
                return Ok((values, vectors));
            }
            if end + 2 * b > max_dimension {
                return Err(SolveError::NotConverged {
                    shift,
                    block: b,
                    dimension,
                    converged: converged + locked,
                    wanted: k,
                    worst,
                    bound: target,
                });
            }
            // Converged pairs grow about linearly with the dimension: aim the next check where
            // the trend says all will have converged, growing by at least two blocks and at most
            // a quarter, so a poor extrapolation costs little.
            let step = match previous_check {
                Some((d0, c0)) if converged > c0 => {
                    (dimension - d0) * (wanted - converged) / (converged - c0)
                }
                _ => dimension / 4,
            };
            previous_check = Some((dimension, converged));
            next_check = (dimension + step.min(dimension / 4).max(2 * b)).min(max_dimension - b);
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
        let c = crate::connectome::Connectome::from_edges(512, &edges).unwrap();
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
