//! Factorisation: the sparse Cholesky factor of A + sI that applies the shift-invert operator,
//! and the LDLᵀ inertia count of A − σI that finds eigenvalues a Krylov space missed.

use super::*;

/// A factorised A + sI, applied as (A + sI)⁻¹ to blocks of vectors.
///
/// faer computes the simplicial Cholesky factor L of P(A + sI)Pᵀ; the solves with L and Lᵀ run
/// here, on the right-hand sides interleaved row by row (entry i of every column side by side),
/// so each entry of L is read once per block and updates one contiguous row. faer's own solve
/// takes the columns four at a time in column-major order, reading L twice for a block of 8 and
/// touching four scattered cache lines per entry; the solves took a fifth of the solver's time
/// (k = 100 on the cortex), half of that now. The arithmetic per column is faer's, operation for
/// operation and in the same order, so the results are the same bits.
pub(super) struct ShiftedInverse {
    pub(super) symbolic: SymbolicCholesky<usize>,
    /// Row i of P(A + sI)Pᵀ is row `permutation[i]` of A + sI.
    pub(super) permutation: Vec<usize>,
    /// Column j of L: the diagonal entry, then the entries below it, at `col_ptr[j]..col_ptr[j + 1]`.
    pub(super) col_ptr: Vec<usize>,
    /// Row indices of L's entries, narrowed to 32 bits to halve their memory traffic.
    pub(super) row_idx: Vec<u32>,
    pub(super) values: Vec<f64>,
    /// 1 / L_jj, as faer's solve computes it.
    pub(super) inverse_diagonal: Vec<f64>,
    /// The interleaved right-hand sides: entry (i, c) at i·width + c.
    pub(super) work: Vec<f64>,
}

/// Right-hand sides solved together by [`ShiftedInverse::apply_in_place`]: one row of them fills
/// a 64-byte cache line.
pub(super) const LANES: usize = 8;

/// [`FactorRef::substitute`] as a `pulp::WithSimd` operation: pulp compiles `with_simd` with the
/// processor's target features, and code inlined into it with them. A closure passed to pulp's
/// dispatch is compiled separately, without them (perf showed the solves in a plain
/// `FnOnce::call_once`, in SSE2).
struct Substitution<'a> {
    pub(super) factor: FactorRef<'a>,
    pub(super) work: &'a mut [f64],
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
    pub(super) col_ptr: &'a [usize],
    pub(super) row_idx: &'a [u32],
    pub(super) values: &'a [f64],
    pub(super) inverse_diagonal: &'a [f64],
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
    pub(super) fn new(matrix: &CsMat<f64>, shift: f64) -> Result<ShiftedInverse, SolveError> {
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
    pub(super) fn apply_in_place(&mut self, mut block: MatMut<'_, f64>) {
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
    pub(super) fn count_below(
        &self,
        matrix: &CsMat<f64>,
        sigma: f64,
    ) -> Result<Option<usize>, SolveError> {
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
