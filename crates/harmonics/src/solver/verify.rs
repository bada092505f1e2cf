//! Verification of every solve: residuals and orthonormality measured, in a fixed order, on the
//! vector units.

use super::*;

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
    pub(super) lengths: [f64; LANES],
    /// Whether the length is positive and finite (the column was normalised).
    pub(super) usable: [bool; LANES],
    pub(super) rayleigh: [f64; LANES],
    pub(super) residual: [f64; LANES],
}

/// [`finish`]'s work on [`LANES`] interleaved columns `x`: normalises them, fixes their signs, and
/// measures their Rayleigh quotients and residuals, using `product` for A·x. A `pulp::WithSimd`
/// operation, compiled for the processor's vector instructions; every lane's arithmetic is the
/// column's, in the same order.
struct MeasureGroup<'a> {
    pub(super) matrix: &'a CsMat<f64>,
    pub(super) x: &'a mut [[f64; LANES]],
    pub(super) product: &'a mut [[f64; LANES]],
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
pub(super) struct MultiplyGroup<'a> {
    pub(super) matrix: &'a CsMat<f64>,
    pub(super) x: &'a [[f64; LANES]],
    pub(super) product: &'a mut [[f64; LANES]],
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
