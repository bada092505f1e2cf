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

use super::laplacian::{LaplacianKind, laplacian, norm_inf};
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
    let mut max_residual: f64 = 0.0;
    // The columns LANES at a time, interleaved row by row, so that one pass over the matrix
    // multiplies all of them and every other pass reads one array; each column's arithmetic is
    // what it was one column at a time, in the same order (sums from −0.0, as `Iterator::sum`),
    // so the results are the same bits. One column at a time, with a sparse product per column,
    // this took a tenth of a k = 100 cortex solve.
    let mut x = vec![[0.0f64; LANES]; n];
    let mut product = vec![[0.0f64; LANES]; n];
    for first in (0..values.len()).step_by(LANES) {
        let group = LANES.min(values.len() - first);
        for (i, row) in x.iter_mut().enumerate() {
            for (c, entry) in row.iter_mut().enumerate() {
                *entry = if c < group {
                    vectors[(i, first + c)]
                } else {
                    0.0
                };
            }
        }
        let Measured {
            lengths,
            usable,
            rayleigh,
            residual,
        } = pulp::Arch::new().dispatch(MeasureGroup {
            matrix,
            x: &mut x,
            product: &mut product,
        });
        for c in 0..group {
            let j = first + c;
            if !usable[c] {
                return Err(SolveError::CheckFailed {
                    solver,
                    what: format!("eigenvector {j} has norm {}", lengths[c]),
                });
            }
            if !residual[c].is_finite() || residual[c] > bound {
                return Err(SolveError::CheckFailed {
                    solver,
                    what: format!(
                        "pair {j} (λ = {:e}) has residual {:e} > {bound:e} = 1e-8·‖A‖∞",
                        rayleigh[c], residual[c]
                    ),
                });
            }
            max_residual = max_residual.max(residual[c]);
            values[j] = rayleigh[c];
            for (i, row) in x.iter().enumerate() {
                vectors[(i, j)] = row[c];
            }
        }
    }
    let k = values.len();
    // ΨᵀΨ is symmetric: its lower triangle, half the work, holds every deviation.
    let mut gram = Mat::<f64>::zeros(k, k);
    triangular::matmul(
        gram.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        vectors.transpose(),
        BlockStructure::Rectangular,
        vectors.as_ref(),
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
    for b in 0..k {
        for a in b..k {
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

/// What [`MeasureGroup`] finds for each of [`LANES`] interleaved columns.
struct Measured {
    lengths: [f64; LANES],
    /// Whether the length is positive and finite (the column was normalised).
    usable: [bool; LANES],
    rayleigh: [f64; LANES],
    residual: [f64; LANES],
}

/// [`finish`]'s work on [`LANES`] interleaved columns `x`: normalises them, fixes their signs, and
/// measures their Rayleigh quotients and residuals, using `product` for A·x. A `pulp::WithSimd`
/// operation, compiled for the processor's vector instructions; every lane's arithmetic is the
/// column's, in the same order.
struct MeasureGroup<'a> {
    matrix: &'a CsMat<f64>,
    x: &'a mut [[f64; LANES]],
    product: &'a mut [[f64; LANES]],
}

impl pulp::WithSimd for MeasureGroup<'_> {
    type Output = Measured;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) -> Measured {
        let MeasureGroup { matrix, x, product } = self;
        let mut lengths = [-0.0f64; LANES];
        for row in x.iter() {
            for (length, &entry) in lengths.iter_mut().zip(row) {
                *length += entry * entry;
            }
        }
        let lengths = lengths.map(f64::sqrt);
        let usable = lengths.map(|length| length > 0.0 && length.is_finite());
        let divisors: [f64; LANES] =
            std::array::from_fn(|c| if usable[c] { lengths[c] } else { 1.0 });
        for row in x.iter_mut() {
            for (entry, &divisor) in row.iter_mut().zip(&divisors) {
                *entry /= divisor;
            }
        }
        // Sign convention of model.md §2: the largest-magnitude entry, lowest index on ties, is
        // positive.
        let mut pivot = [0usize; LANES];
        let mut largest = x.first().map_or([0.0; LANES], |row| row.map(f64::abs));
        for (i, row) in x.iter().enumerate() {
            for c in 0..LANES {
                if row[c].abs() > largest[c] {
                    largest[c] = row[c].abs();
                    pivot[c] = i;
                }
            }
        }
        let signs: [f64; LANES] =
            std::array::from_fn(|c| if x[pivot[c]][c] < 0.0 { -1.0 } else { 1.0 });
        for row in x.iter_mut() {
            for (entry, &sign) in row.iter_mut().zip(&signs) {
                *entry *= sign;
            }
        }
        pulp::WithSimd::with_simd(MultiplyGroup { matrix, x, product }, simd);
        let mut rayleigh = [-0.0f64; LANES];
        for (row, sum) in x.iter().zip(product.iter()) {
            for c in 0..LANES {
                rayleigh[c] += row[c] * sum[c];
            }
        }
        let mut residual = [-0.0f64; LANES];
        for (row, sum) in x.iter().zip(product.iter()) {
            for c in 0..LANES {
                residual[c] += (sum[c] - rayleigh[c] * row[c]).powi(2);
            }
        }
        Measured {
            lengths,
            usable,
            rayleigh,
            residual: residual.map(f64::sqrt),
        }
    }
}

/// product ← A·x for [`LANES`] interleaved columns x (row i at x[i]): one pass over the sparse
/// matrix for all of them, each lane's sums the same bits as [`multiply`]'s (from −0.0, in the
/// order of the row's entries). A `pulp::WithSimd` operation.
struct MultiplyGroup<'a> {
    matrix: &'a CsMat<f64>,
    x: &'a [[f64; LANES]],
    product: &'a mut [[f64; LANES]],
}

impl pulp::WithSimd for MultiplyGroup<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let MultiplyGroup { matrix, x, product } = self;
        for (sum, row) in product.iter_mut().zip(matrix.outer_iterator()) {
            let mut total = [-0.0; LANES];
            for (j, &a) in row.iter() {
                for (s, &entry) in total.iter_mut().zip(&x[j]) {
                    *s += a * entry;
                }
            }
            *sum = total;
        }
    }
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
///
/// faer computes the simplicial Cholesky factor L of P(A + sI)Pᵀ; the solves with L and Lᵀ run
/// here, on the right-hand sides interleaved row by row (entry i of every column side by side),
/// so each entry of L is read once per block and updates one contiguous row. faer's own solve
/// takes the columns four at a time in column-major order, reading L twice for a block of 8 and
/// touching four scattered cache lines per entry; the solves took a fifth of the solver's time
/// (k = 100 on the cortex), half of that now. The arithmetic per column is faer's, operation for
/// operation and in the same order, so the results are the same bits.
struct ShiftedInverse {
    symbolic: SymbolicCholesky<usize>,
    /// Row i of P(A + sI)Pᵀ is row `permutation[i]` of A + sI.
    permutation: Vec<usize>,
    /// Column j of L: the diagonal entry, then the entries below it, at `col_ptr[j]..col_ptr[j + 1]`.
    col_ptr: Vec<usize>,
    /// Row indices of L's entries, narrowed to 32 bits to halve their memory traffic.
    row_idx: Vec<u32>,
    values: Vec<f64>,
    /// 1 / L_jj, as faer's solve computes it.
    inverse_diagonal: Vec<f64>,
    /// The interleaved right-hand sides: entry (i, c) at i·width + c.
    work: Vec<f64>,
}

/// Right-hand sides solved together by [`ShiftedInverse::apply_in_place`]: one row of them fills
/// a 64-byte cache line.
const LANES: usize = 8;

/// [`FactorRef::substitute`] as a `pulp::WithSimd` operation: pulp compiles `with_simd` with the
/// processor's target features, and code inlined into it with them. A closure passed to pulp's
/// dispatch is compiled separately, without them (perf showed the solves in a plain
/// `FnOnce::call_once`, in SSE2).
struct Substitution<'a> {
    factor: FactorRef<'a>,
    work: &'a mut [f64],
}

impl pulp::WithSimd for Substitution<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        self.factor.substitute(self.work);
    }
}

/// A simplicial Cholesky factor L, borrowed from a [`ShiftedInverse`].
struct FactorRef<'a> {
    col_ptr: &'a [usize],
    row_idx: &'a [u32],
    values: &'a [f64],
    inverse_diagonal: &'a [f64],
}

impl FactorRef<'_> {
    /// work ← L⁻ᵀL⁻¹·work for `LANES` interleaved right-hand sides (row i at i·LANES).
    #[inline(always)]
    fn substitute(&self, work: &mut [f64]) {
        let n = self.inverse_diagonal.len();
        let row_of = |work: &[f64], i: usize| {
            let mut row = [0.0; LANES];
            row.copy_from_slice(&work[i * LANES..(i + 1) * LANES]);
            row
        };
        // Forward substitution, L·y = b, column by column of L.
        for j in 0..n {
            let (first, last) = (self.col_ptr[j], self.col_ptr[j + 1]);
            let mut current = row_of(work, j);
            for x in &mut current {
                *x *= self.inverse_diagonal[j];
            }
            work[j * LANES..(j + 1) * LANES].copy_from_slice(&current);
            for (&i, &l) in self.row_idx[first + 1..last]
                .iter()
                .zip(&self.values[first + 1..last])
            {
                let i = i as usize;
                let row = &mut work[i * LANES..(i + 1) * LANES];
                for (x, &c) in row.iter_mut().zip(&current) {
                    *x -= l * c;
                }
            }
        }
        // Back substitution, Lᵀ·x = y, accumulating each column's dot products from its last entry.
        for j in (0..n).rev() {
            let (first, last) = (self.col_ptr[j], self.col_ptr[j + 1]);
            let mut sum = [0.0; LANES];
            for (&i, &l) in self.row_idx[first + 1..last]
                .iter()
                .zip(&self.values[first + 1..last])
                .rev()
            {
                let row = row_of(work, i as usize);
                for (s, &x) in sum.iter_mut().zip(&row) {
                    *s += l * x;
                }
            }
            let row = &mut work[j * LANES..(j + 1) * LANES];
            for (x, &s) in row.iter_mut().zip(&sum) {
                *x = (*x - s) * self.inverse_diagonal[j];
            }
        }
    }
}

/// The lower triangle of A + shift·I in compressed columns, with an explicit diagonal entry in every
/// column (the factorisations rely on it). For symmetric A, CSR row j holds column j.
fn shifted_lower_triangle(matrix: &CsMat<f64>, shift: f64) -> (Vec<usize>, Vec<usize>, Vec<f64>) {
    let n = matrix.rows();
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
    (col_ptr, row_idx, values)
}

impl ShiftedInverse {
    fn new(matrix: &CsMat<f64>, shift: f64) -> Result<ShiftedInverse, SolveError> {
        let n = matrix.rows();
        let fail = |message: String| SolveError::Factorization { shift, message };
        let (col_ptr, row_idx, values) = shifted_lower_triangle(matrix, shift);
        let structure = SymbolicSparseColMatRef::new_checked(n, n, &col_ptr, None, &row_idx);
        let lower = SparseColMatRef::new(structure, &values);
        // Simplicial: measured faster than supernodal on the cortex mesh, and its LDLᵀ factor keeps
        // D on the diagonal of each column, which `count_below` reads.
        let symbolic = factorize_symbolic_cholesky(
            structure,
            Side::Lower,
            SymmetricOrdering::Amd,
            CholeskySymbolicParams {
                supernodal_flop_ratio_threshold: SupernodalThreshold::FORCE_SIMPLICIAL,
                ..Default::default()
            },
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
        let SymbolicCholeskyRaw::Simplicial(simplicial) = symbolic.raw() else {
            return Err(fail("the factorisation is not simplicial".into()));
        };
        let col_ptr = simplicial.col_ptr().to_vec();
        let row_idx = simplicial
            .row_idx()
            .iter()
            .map(|&i| u32::try_from(i))
            .collect::<Result<Vec<u32>, _>>()
            .map_err(|_| fail(format!("{n} rows exceed 32-bit indices")))?;
        let inverse_diagonal = col_ptr[..n].iter().map(|&p| factor[p].recip()).collect();
        let permutation = match symbolic.perm() {
            Some(perm) => perm.arrays().0.to_vec(),
            None => (0..n).collect(),
        };
        Ok(ShiftedInverse {
            symbolic,
            permutation,
            col_ptr,
            row_idx,
            values: factor,
            inverse_diagonal,
            work: vec![0.0; n * LANES],
        })
    }

    /// block ← (A + sI)⁻¹·block.
    fn apply_in_place(&mut self, mut block: MatMut<'_, f64>) {
        let columns = block.ncols();
        for group_start in (0..columns).step_by(LANES) {
            let group = LANES.min(columns - group_start);
            if group < LANES {
                // A short last group is padded with zero columns, whose solution is zero.
                self.work.fill(0.0);
            }
            for c in 0..group {
                let column = block.rb().col(group_start + c);
                for (row, &source) in self.work.chunks_exact_mut(LANES).zip(&self.permutation) {
                    row[c] = column[source];
                }
            }
            let factor = FactorRef {
                col_ptr: &self.col_ptr,
                row_idx: &self.row_idx,
                values: &self.values,
                inverse_diagonal: &self.inverse_diagonal,
            };
            // Compiled for the widest vector instructions the processor has (one register holds
            // a row of eight lanes with AVX-512); the arithmetic is the same in every version.
            pulp::Arch::new().dispatch(Substitution {
                factor,
                work: &mut self.work,
            });
            for c in 0..group {
                let mut column = block.rb_mut().col_mut(group_start + c);
                for (row, &source) in self.work.chunks_exact(LANES).zip(&self.permutation) {
                    column[source] = row[c];
                }
            }
        }
    }

    /// The number of eigenvalues of `matrix` below `sigma`, by Sylvester's law of inertia: the
    /// count of negative pivots of the LDLᵀ factorisation of A − σI (same sparsity, so the same
    /// symbolic analysis). Rounding can misplace only eigenvalues within a few ulps·‖A‖ of σ.
    /// `None` when a pivot is exactly zero (σ is an eigenvalue to working precision).
    fn count_below(&self, matrix: &CsMat<f64>, sigma: f64) -> Result<Option<usize>, SolveError> {
        let n = matrix.rows();
        let fail = |message: String| SolveError::Factorization {
            shift: -sigma,
            message,
        };
        let (col_ptr, row_idx, values) = shifted_lower_triangle(matrix, -sigma);
        let structure = SymbolicSparseColMatRef::new_checked(n, n, &col_ptr, None, &row_idx);
        let lower = SparseColMatRef::new(structure, &values);
        let mut factor = vec![0.0; self.symbolic.len_val()];
        let mut scratch = MemBuffer::try_new(
            self.symbolic
                .factorize_numeric_ldlt_scratch::<f64>(Par::Seq, Default::default()),
        )
        .map_err(|e| fail(format!("{e:?}")))?;
        let factorised = self.symbolic.factorize_numeric_ldlt::<f64>(
            &mut factor,
            lower,
            Side::Lower,
            Default::default(),
            Par::Seq,
            MemStack::new(&mut scratch),
            Default::default(),
        );
        if factorised.is_err() {
            return Ok(None);
        }
        let SymbolicCholeskyRaw::Simplicial(simplicial) = self.symbolic.raw() else {
            return Err(fail("the factorisation is not simplicial".into()));
        };
        // A simplicial factor stores each column's diagonal entry (here D_jj) first.
        let pointers = simplicial.col_ptr();
        let mut negative = 0;
        for j in 0..n {
            let pivot = factor[pointers[j]];
            if !pivot.is_finite() || pivot == 0.0 {
                return Ok(None);
            }
            if pivot < 0.0 {
                negative += 1;
            }
        }
        Ok(Some(negative))
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
/// The caller has projected the earlier columns out once. Two passes of Cholesky QR
/// ([`cholesky_qr`]) do when no column cancels much; otherwise Gram–Schmidt within the block runs
/// twice per column, and when it cancels much of a column (so rounding may have brought earlier
/// directions back) the whole block is projected against the earlier columns again and
/// re-orthonormalised. `reference` holds each column's norm before the caller's projection:
/// measured against it, a column that lost all but 1e-10 of its length is rounding noise, that is
/// dependent on the columns before (an invariant subspace, as every vector is for a complete
/// graph); it keeps its coefficients with a zero diagonal and is replaced by a fresh random
/// direction. Normalising such noise instead would let directions the operator amplifies (the
/// deflated null space, by 1/s) grow back step after step. Returns R with block = Q·R.
fn orthonormalise(
    basis: &mut Mat<f64>,
    start: usize,
    b: usize,
    rng: &mut ChaCha8Rng,
    reference: &[f64],
) -> Mat<f64> {
    if let Some(first) = cholesky_qr(basis, start, b, Some(reference)) {
        // A second pass restores orthonormality to rounding (CholQR2).
        if let Some(second) = cholesky_qr(basis, start, b, None) {
            return &second * &first;
        }
        let norms = column_norms(basis.as_ref(), start, b);
        let (second, _) = orthonormalise_within_block(basis, start, b, rng, &norms);
        return &second * &first;
    }
    let (first, cancelled) = orthonormalise_within_block(basis, start, b, rng, reference);
    if !cancelled {
        return first;
    }
    {
        let (done, mut rest) = basis.as_mut().split_at_col_mut(start);
        project_out_once(done.rb(), rest.rb_mut().get_mut(.., ..b));
    }
    let norms = column_norms(basis.as_ref(), start, b);
    let (second, _) = orthonormalise_within_block(basis, start, b, rng, &norms);
    &second * &first
}

/// One pass of Cholesky QR on columns [start, start + b) of `basis`: G = WᵀW = RᵀR, W ← W·R⁻¹;
/// returns R. Two passes over the block instead of the column-by-column sweep's dozens, which
/// cost a tenth of a k = 100 cortex solve. `None`, with the block untouched, when the Cholesky
/// factorisation fails or, given `reference` (as for [`orthonormalise`]), when a column keeps less
/// than half its norm against the block's earlier columns or less than 1e-4 of its reference
/// norm: the cases in which the sweep replaces noise and projects the whole block again. Otherwise
/// the block's condition number is modest, and a second pass (without `reference`) leaves it
/// orthonormal to rounding.
fn cholesky_qr(
    basis: &mut Mat<f64>,
    start: usize,
    b: usize,
    reference: Option<&[f64]>,
) -> Option<Mat<f64>> {
    let block = basis.as_ref().get(.., start..start + b);
    let mut gram = Mat::<f64>::zeros(b, b);
    matmul(
        gram.as_mut(),
        Accum::Replace,
        block.transpose(),
        block,
        1.0,
        Par::Seq,
    );
    let mut r = Mat::<f64>::zeros(b, b);
    for q in 0..b {
        for p in 0..=q {
            let dot: f64 = (0..p).map(|i| r[(i, p)] * r[(i, q)]).sum();
            if p < q {
                r[(p, q)] = (gram[(p, q)] - dot) / r[(p, p)];
            } else {
                let squared = gram[(q, q)] - dot;
                let length = squared.sqrt();
                let kept = reference.is_none_or(|reference| {
                    length >= 0.5 * gram[(q, q)].sqrt() && length >= 1e-4 * reference[q]
                });
                if !(squared > 0.0 && length.is_finite() && kept) {
                    return None;
                }
                r[(q, q)] = length;
            }
        }
    }
    // W ← W·R⁻¹, column by column: column q minus its coefficients on the finished columns,
    // divided by the diagonal.
    let mut inverse = Mat::<f64>::identity(b, b);
    for q in 0..b {
        for p in 0..q {
            let coefficient = r[(p, q)];
            for i in 0..b {
                inverse[(i, q)] -= inverse[(i, p)] * coefficient;
            }
        }
        for i in 0..b {
            inverse[(i, q)] /= r[(q, q)];
        }
    }
    let mut orthonormal = Mat::<f64>::zeros(basis.nrows(), b);
    matmul(
        orthonormal.as_mut(),
        Accum::Replace,
        block,
        inverse.as_ref(),
        1.0,
        Par::Seq,
    );
    basis
        .as_mut()
        .get_mut(.., start..start + b)
        .copy_from(&orthonormal);
    Some(r)
}

/// The norms of columns [start, start + b), each the same bits as [`column_norm`]'s. Up to
/// [`LANES`] columns are summed side by side, row by row: one column at a time, each sum waits
/// on the previous addition, and the norms of the new blocks took 0.02 s of a k = 100 cortex
/// solve.
fn column_norms(m: MatRef<'_, f64>, start: usize, b: usize) -> Vec<f64> {
    let mut norms = Vec::with_capacity(b);
    // Missing lanes are summed over a column of zeros, so that every sum stays in a register.
    let zeros = vec![0.0; m.nrows()];
    for first in (start..start + b).step_by(LANES) {
        let count = LANES.min(start + b - first);
        let columns: Option<Vec<&[f64]>> = (first..first + count)
            .map(|j| m.col(j).try_as_col_major().map(|column| column.as_slice()))
            .collect();
        let Some(columns) = columns else {
            norms.extend((first..first + count).map(|j| column_norm(m, j)));
            continue;
        };
        let slices: [&[f64]; LANES] =
            std::array::from_fn(|c| columns.get(c).copied().unwrap_or(&zeros[..]));
        let mut sums = [-0.0f64; LANES];
        for i in 0..m.nrows() {
            for (sum, column) in sums.iter_mut().zip(&slices) {
                let x = column[i];
                *sum += x * x;
            }
        }
        norms.extend(sums[..count].iter().map(|sum| sum.sqrt()));
    }
    norms
}

/// One Gram–Schmidt sweep over the block (two passes per column against the block's earlier
/// columns). Returns R and whether any column lost more than half its norm here, or all but
/// 1e-4 of its `reference` norm overall (one more full pass is then needed for orthogonality).
fn orthonormalise_within_block(
    basis: &mut Mat<f64>,
    start: usize,
    b: usize,
    rng: &mut ChaCha8Rng,
    reference: &[f64],
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
        if after < 0.5 * before || after < 1e-4 * reference[q] {
            cancelled = true;
        }
        if after > 1e-10 * before.max(reference[q]) && after > 0.0 {
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
    let transposed = transposed_coefficients(basis, block.rb());
    subtract_projection(basis, block.rb_mut(), transposed.as_ref());
    transposed.transpose().to_owned()
}

/// blockᵀ·basis, the Gram–Schmidt coefficients transposed (block columns × basis columns).
fn transposed_coefficients(basis: MatRef<'_, f64>, block: MatRef<'_, f64>) -> Mat<f64> {
    let mut transposed = Mat::<f64>::zeros(block.ncols(), basis.ncols());
    if basis.ncols() > 0 {
        matmul(
            transposed.as_mut(),
            Accum::Replace,
            block.transpose(),
            basis,
            1.0,
            Par::Seq,
        );
    }
    transposed
}

/// block ← block − basis·C for C = `transposed`ᵀ from [`transposed_coefficients`].
fn subtract_projection(
    basis: MatRef<'_, f64>,
    mut block: MatMut<'_, f64>,
    transposed: MatRef<'_, f64>,
) {
    if basis.ncols() > 0 {
        matmul(
            block.rb_mut().transpose_mut(),
            Accum::Add,
            transposed,
            basis.transpose(),
            -1.0,
            Par::Seq,
        );
    }
}

/// The shift-invert block Lanczos solver; see the module documentation. `null_space` (n × c,
/// orthonormal) holds known eigenvectors of eigenvalue 0; they are kept as locked columns in front
/// of the Krylov basis, which stays orthogonal to them.
///
/// After the first search has converged, Sylvester's law of inertia says how many eigenvalues lie
/// below σ, just above the largest one found. A Krylov space started from b vectors holds at most b
/// copies of a repeated eigenvalue, so when the count exceeds what was found, the missing pairs
/// are searched for again from a fresh random block orthogonal to everything found (deflation),
/// until the count agrees.
fn lanczos(
    matrix: &CsMat<f64>,
    k: usize,
    options: &LanczosOptions,
    null_space: Option<MatRef<'_, f64>>,
) -> Result<(Vec<f64>, Mat<f64>), SolveError> {
    let n = matrix.rows();
    let norm = norm_inf(matrix).max(f64::MIN_POSITIVE);
    let shift = options.relative_shift * norm;
    let block = options.block_size.clamp(1, n);
    let null_count = null_space.map_or(0, |z| z.ncols());
    if null_count >= k {
        let z = null_space
            .map(|z| z.get(.., ..k).to_owned())
            .unwrap_or_else(|| Mat::zeros(n, k));
        return Ok((vec![0.0; k], z));
    }
    let search = Search {
        matrix,
        norm,
        shift,
        block,
        max_dimension_factor: options.max_dimension_factor,
        max_restarts: options.max_restarts,
    };
    if null_count + search.capacity(k - null_count) + block >= n {
        // The Krylov space could span the whole space: the dense solver is exact and cheaper.
        return dense(matrix, k);
    }
    let mut operator = ShiftedInverse::new(matrix, shift)?;
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut found_values = vec![0.0; null_count];
    let mut found_vectors = Mat::<f64>::zeros(n, null_count);
    if let Some(z) = null_space {
        found_vectors.copy_from(z);
    }
    let (values, vectors) = search.run(
        &mut operator,
        found_vectors.as_ref(),
        k - null_count,
        &mut rng,
        0,
    )?;
    found_values.extend(values);
    found_vectors = concatenate(found_vectors.as_ref(), vectors.as_ref());

    // Each value found lies within its residual (at most 1e-8·‖A‖∞, checked afterwards) of a
    // true eigenvalue; `margin` exceeds that, and rounding in the inertia counts, comfortably.
    let margin = 4.0 * RESIDUAL_TOLERANCE * norm;
    let mut searches = 1;
    loop {
        let mut sorted = found_values.clone();
        sorted.sort_by(f64::total_cmp);
        let top = sorted[k - 1];
        let found_below = |sigma: f64| found_values.iter().filter(|&&v| v < sigma).count();
        // Nothing unfound below top + margin: the k smallest found are the k smallest.
        if let Some((above, count)) =
            count_below_near(&operator, matrix, top + margin, margin / 4.0)?
            && count == found_below(above)
        {
            break;
        }
        // Something unfound lies below top + margin. Below top − margin it must be found; within
        // the window it ties with the k-th eigenvalue to within the solver's accuracy (a multiple
        // eigenvalue at the boundary, as in a complete graph) and either copy is as good.
        let (beneath, counted) = count_below_near(&operator, matrix, top - margin, -margin / 4.0)?
            .ok_or_else(|| SolveError::CheckFailed {
                solver: "harmonics",
                what: format!(
                    "LDLᵀ of A − σI met a zero pivot at four shifts from σ = {:e}",
                    top - margin
                ),
            })?;
        let found = found_below(beneath);
        if counted == found {
            break;
        }
        if counted < found {
            return Err(SolveError::CheckFailed {
                solver: "harmonics",
                what: format!(
                    "the inertia of A − σI counts {counted} eigenvalues below σ = {beneath:e}, but the solver found {found}"
                ),
            });
        }
        let (values, vectors) = search.run(
            &mut operator,
            found_vectors.as_ref(),
            counted - found,
            &mut rng,
            searches,
        )?;
        searches += 1;
        if values.iter().all(|&v| v >= beneath) {
            return Err(SolveError::CheckFailed {
                solver: "harmonics",
                what: format!(
                    "the inertia of A − σI counts {counted} eigenvalues below σ = {beneath:e}; {found} were found and a deflated search found no more"
                ),
            });
        }
        found_values.extend(values);
        found_vectors = concatenate(found_vectors.as_ref(), vectors.as_ref());
    }

    let mut order: Vec<usize> = (0..found_values.len()).collect();
    order.sort_by(|&a, &b| found_values[a].total_cmp(&found_values[b]).then(a.cmp(&b)));
    let mut values = Vec::with_capacity(k);
    let mut vectors = Mat::<f64>::zeros(n, k);
    for (j, &source) in order[..k].iter().enumerate() {
        values.push(found_values[source]);
        vectors
            .as_mut()
            .col_mut(j)
            .copy_from(found_vectors.col(source));
    }
    Ok((values, vectors))
}

/// [`ShiftedInverse::count_below`] at `sigma`, or, when a pivot is zero there (σ is an eigenvalue
/// to working precision), at up to three shifts moved on by `step`; the shift used and its count.
fn count_below_near(
    operator: &ShiftedInverse,
    matrix: &CsMat<f64>,
    sigma: f64,
    step: f64,
) -> Result<Option<(f64, usize)>, SolveError> {
    for attempt in 0..4 {
        let shifted = sigma + attempt as f64 * step;
        if let Some(count) = operator.count_below(matrix, shifted)? {
            return Ok(Some((shifted, count)));
        }
    }
    Ok(None)
}

/// The columns of `left` followed by those of `right`.
fn concatenate(left: MatRef<'_, f64>, right: MatRef<'_, f64>) -> Mat<f64> {
    let mut both = Mat::<f64>::zeros(left.nrows(), left.ncols() + right.ncols());
    both.as_mut().get_mut(.., ..left.ncols()).copy_from(left);
    both.as_mut().get_mut(.., left.ncols()..).copy_from(right);
    both
}

/// One thick-restarted block Lanczos search for the largest eigenvalues of the operator restricted
/// to the complement of some locked columns.
struct Search<'a> {
    matrix: &'a CsMat<f64>,
    /// ‖A‖∞, which the residual bound is relative to.
    norm: f64,
    shift: f64,
    block: usize,
    max_dimension_factor: usize,
    max_restarts: usize,
}

impl Search<'_> {
    /// ZᵀZ for Z = (A + sI)·Q.
    fn shifted_gram(&self, q: MatRef<'_, f64>) -> Mat<f64> {
        let n = q.nrows();
        let b = q.ncols();
        let mut z = Mat::<f64>::zeros(n, b);
        // LANES columns per pass over the matrix, interleaved (see [`MultiplyGroup`]).
        let mut x = vec![[0.0f64; LANES]; n];
        let mut product = vec![[0.0f64; LANES]; n];
        for first in (0..b).step_by(LANES) {
            let group = LANES.min(b - first);
            for (i, row) in x.iter_mut().enumerate() {
                for (c, entry) in row.iter_mut().enumerate() {
                    *entry = if c < group { q[(i, first + c)] } else { 0.0 };
                }
            }
            pulp::Arch::new().dispatch(MultiplyGroup {
                matrix: self.matrix,
                x: &x,
                product: &mut product,
            });
            for c in 0..group {
                for (i, (sum, row)) in product.iter().zip(&x).enumerate() {
                    z[(i, first + c)] = sum[c] + self.shift * row[c];
                }
            }
        }
        let mut gram = Mat::<f64>::zeros(b, b);
        matmul(
            gram.as_mut(),
            Accum::Replace,
            z.transpose(),
            z.as_ref(),
            1.0,
            Par::Seq,
        );
        gram
    }

    /// Krylov basis columns before a restart, for `wanted` pairs.
    fn capacity(&self, wanted: usize) -> usize {
        (self.max_dimension_factor * wanted).max(MIN_KRYLOV_DIMENSION) + 4 * self.block
    }

    /// The `wanted` largest eigenpairs of the operator on the orthogonal complement of `locked`
    /// (orthonormal columns), as eigenvalues λ = 1/θ − s of A, ascending, and their vectors.
    ///
    /// The basis grows block by block (three-term recurrence plus one full reorthogonalisation
    /// pass); at checkpoints Rayleigh–Ritz on the projected matrix H = VᵀOpV says how many pairs
    /// have converged. When the basis is full, it restarts thickly: the best Ritz vectors are kept
    /// with their Ritz values on the diagonal of H and their coupling to the last residual block
    /// in H's next rows (an arrowhead), and the recurrence continues from that residual block.
    fn run(
        &self,
        operator: &mut ShiftedInverse,
        locked: MatRef<'_, f64>,
        wanted: usize,
        rng: &mut ChaCha8Rng,
        search: u64,
    ) -> Result<(Vec<f64>, Mat<f64>), SolveError> {
        let n = locked.nrows();
        let l = locked.ncols();
        let b = self.block;
        // Leave at least one block outside the basis so that a fresh random direction exists.
        let max_dimension = self.capacity(wanted).min(n.saturating_sub(l + b));
        if max_dimension < wanted + 3 * b {
            return Err(SolveError::CheckFailed {
                solver: "harmonics",
                what: format!(
                    "a deflated search for {wanted} more pairs beyond {l} found ones does not fit in {n} dimensions; use the dense solver"
                ),
            });
        }
        // Kept Ritz vectors at a restart: the wanted ones plus half the rest, which keeps the
        // convergence rate of the unwanted neighbours; at least three blocks stay free to grow.
        let keep = (wanted + (max_dimension - wanted) / 2).min(max_dimension - 3 * b);
        // Room for the whole basis, but columns are added (and their memory first touched) only
        // as the recurrence needs them: most solves converge well before the basis is full, and
        // zeroing unused columns cost a few percent of a cortex solve in page faults.
        let mut basis = Mat::<f64>::with_capacity(n, l + max_dimension);
        basis.resize_with(n, l + b, |i, j| if j < l { locked[(i, j)] } else { 0.0 });
        let mut projected = Mat::<f64>::zeros(max_dimension, max_dimension);
        rng.set_stream(0x6c61_6e63_7a6f_7300 + search);
        fill_random(&mut basis, l, b, rng);
        {
            let (done, mut rest) = basis.as_mut().split_at_col_mut(l);
            project_out(done.rb(), rest.rb_mut().get_mut(.., ..b));
        }
        let norms = column_norms(basis.as_ref(), l, b);
        orthonormalise(&mut basis, l, b, rng, &norms);

        // Converged when the bound on ‖Ax − λx‖ is half the required 1e-8·‖A‖∞; the true residuals
        // are computed and checked afterwards.
        let target = 0.5 * RESIDUAL_TOLERANCE * self.norm;
        let mut generated = 0;
        let mut next_check = wanted + wanted / 2 + 2 * b;
        let mut previous_check: Option<(usize, usize)> = None;
        let mut restarts = 0;
        // Op·V_start has non-zero coefficients on columns [coupled_from, start + b): the previous
        // block in the three-term recurrence, all kept Ritz vectors just after a restart.
        let mut coupled_from = 0;
        let mut start = 0;
        loop {
            // Expand: W = Op·V_j, project out every earlier column, orthonormalise into the next block.
            let end = start + b;
            if basis.ncols() < l + end + b {
                basis.resize_with(n, l + end + b, |_, _| 0.0);
            }
            let image_norms = {
                let (done, mut rest) = basis.as_mut().split_at_col_mut(l + end);
                let mut next = rest.rb_mut().get_mut(.., 0..b);
                next.copy_from(done.rb().get(.., l + start..l + end));
                operator.apply_in_place(next.rb_mut());
                let image_norms = column_norms(next.rb(), 0, b);
                // The recurrence's own columns first, then one full pass: in exact arithmetic the
                // full pass removes nothing, in floating point it restores orthogonality.
                let local_start = l + coupled_from;
                let mut coefficients = Mat::<f64>::zeros(l + end, b);
                let local = project_out_once(done.rb().get(.., local_start..), next.rb_mut());
                coefficients
                    .as_mut()
                    .get_mut(local_start.., ..)
                    .copy_from(&local);
                // The full pass reads the whole basis twice, once for its coefficients and once
                // for the update, and is bound by memory bandwidth. The coefficients are always
                // computed (they belong in H and measure the loss of orthogonality exactly); the
                // update is skipped when every one of them is negligible relative to what is
                // left of its column. On the cortex they come out near 3e-12 after the
                // recurrence's pass when the previous block was updated, and larger after a
                // skipped one, so about every other update is skipped; the basis then stays
                // orthogonal to about 1e-11, the eigenvectors to about 1e-11 (checked against
                // 1e-10 by `finish`), and the Ritz values move by about 1e-11 relative, far
                // inside the residual bound.
                let remaining = column_norms(next.rb(), 0, b);
                let full = transposed_coefficients(done.rb(), next.rb());
                let largest = (0..b)
                    .map(|p| {
                        (0..l + end).fold(0.0f64, |m, i| m.max(full[(p, i)].abs())) / remaining[p]
                    })
                    .fold(
                        0.0f64,
                        |m, x| if x.is_nan() { f64::INFINITY } else { m.max(x) },
                    );
                // A NaN ratio (a column projected to zero) counts as infinite, not negligible.
                if largest > NEGLIGIBLE_LOSS_OF_ORTHOGONALITY {
                    subtract_projection(done.rb(), next.rb_mut(), full.as_ref());
                }
                coefficients += full.transpose();
                projected
                    .as_mut()
                    .get_mut(0..end, start..end)
                    .copy_from(coefficients.as_ref().get(l.., ..));
                image_norms
            };
            let r = orthonormalise(&mut basis, l + end, b, rng, &image_norms);
            projected
                .as_mut()
                .get_mut(end..end + b, start..end)
                .copy_from(&r);
            generated += b;
            coupled_from = start;
            let full = end + 2 * b > max_dimension;
            if generated >= next_check || full {
                // Rayleigh–Ritz on the projected operator H = VᵀOpV (symmetrised).
                let dimension = end;
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
                // Op x − θx = Q·R·y_last for the residual block Q, so Ax − λx = −(A + sI)Q·c/θ
                // with c = R·y_last: ‖Ax − λx‖² = cᵀ(ZᵀZ)c/θ² for Z = (A + sI)Q. Measured this
                // way the residual is exact, not bounded by ‖A‖·‖Op x − θx‖/θ, which
                // overestimates it by about ‖A‖/λ_k (a hundredfold on the cortex at k = 100).
                let gram = self.shifted_gram(basis.as_ref().get(.., l + end..l + end + b));
                for w in 0..wanted {
                    let col = dimension - 1 - w;
                    let c: Vec<f64> = (0..b)
                        .map(|p| (0..b).map(|q| r[(p, q)] * y[(start + q, col)]).sum())
                        .collect();
                    let mut squared: f64 = 0.0;
                    for p in 0..b {
                        for q in 0..b {
                            squared += c[p] * gram[(p, q)] * c[q];
                        }
                    }
                    let estimate = squared.max(0.0).sqrt() / theta[col].abs();
                    worst = worst.max(estimate);
                    if estimate <= target && theta[col] > 0.0 {
                        converged += 1;
                    }
                }
                if converged == wanted {
                    let mut chosen = Mat::<f64>::zeros(dimension, wanted);
                    let mut values = Vec::with_capacity(wanted);
                    for w in 0..wanted {
                        let col = dimension - 1 - w;
                        chosen.as_mut().col_mut(w).copy_from(y.as_ref().col(col));
                        values.push(1.0 / theta[col] - self.shift);
                    }
                    let mut vectors = Mat::<f64>::zeros(n, wanted);
                    matmul(
                        vectors.as_mut(),
                        Accum::Replace,
                        basis.as_ref().get(.., l..l + dimension),
                        chosen.as_ref(),
                        1.0,
                        Par::Seq,
                    );
                    return Ok((values, vectors));
                }
                if full && restarts == self.max_restarts {
                    return Err(SolveError::NotConverged {
                        shift: self.shift,
                        block: b,
                        dimension,
                        restarts,
                        converged,
                        wanted,
                        worst,
                        bound: target,
                    });
                }
                // Converged pairs grow about linearly with the columns generated: aim the next
                // check where the trend says all will have converged, growing by at least two
                // blocks and at most a quarter, so a poor extrapolation costs little.
                let step = match previous_check {
                    Some((g0, c0)) if converged > c0 => {
                        (generated - g0) * (wanted - converged) / (converged - c0)
                    }
                    _ => generated / 4,
                };
                previous_check = Some((generated, converged));
                next_check = generated + step.min(generated / 4).max(2 * b);
                if full {
                    // Thick restart: V ← V·Y_kept, then the residual block, H ← arrowhead.
                    let first_kept = dimension - keep;
                    let mut ritz = Mat::<f64>::zeros(n, keep);
                    matmul(
                        ritz.as_mut(),
                        Accum::Replace,
                        basis.as_ref().get(.., l..l + dimension),
                        y.as_ref().get(.., first_kept..),
                        1.0,
                        Par::Seq,
                    );
                    basis.as_mut().get_mut(.., l..l + keep).copy_from(&ritz);
                    // keep + b ≤ dimension, so the residual block does not overlap its new place.
                    let (mut front, back) = basis.as_mut().split_at_col_mut(l + dimension);
                    front
                        .rb_mut()
                        .get_mut(.., l + keep..l + keep + b)
                        .copy_from(back.rb().get(.., ..b));
                    let mut coupling = Mat::<f64>::zeros(b, keep);
                    matmul(
                        coupling.as_mut(),
                        Accum::Replace,
                        r.as_ref(),
                        y.as_ref().get(start..end, first_kept..),
                        1.0,
                        Par::Seq,
                    );
                    projected.fill(0.0);
                    for i in 0..keep {
                        projected[(i, i)] = theta[first_kept + i];
                    }
                    projected
                        .as_mut()
                        .get_mut(keep..keep + b, ..keep)
                        .copy_from(&coupling);
                    restarts += 1;
                    coupled_from = 0;
                    start = keep;
                    continue;
                }
            }
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laplacian::{LaplacianKind, laplacian, multiply};
    use anneal_connectome::generators;

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
