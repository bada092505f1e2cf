//! Orthogonalisation of Krylov blocks against the basis and within themselves (Cholesky QR with
//! a Gram–Schmidt fallback), with random fill for lost directions.

use super::*;

fn column_norm(m: MatRef<'_, f64>, j: usize) -> f64 {
    m.col(j).iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Orthogonalises the columns of `block` against `basis` (two passes of block classical
/// Gram–Schmidt) and returns the projection coefficients basisᵀ·block.
pub(super) fn project_out(basis: MatRef<'_, f64>, mut block: MatMut<'_, f64>) -> Mat<f64> {
    let mut coefficients = project_out_once(basis, block.rb_mut());
    coefficients += project_out_once(basis, block.rb_mut());
    coefficients
}

/// Fills `count` columns of `basis` from `start` with uniform random entries in [−½, ½).
pub(super) fn fill_random(basis: &mut Mat<f64>, start: usize, count: usize, rng: &mut ChaCha8Rng) {
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
pub(super) fn orthonormalise(
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
pub(super) fn cholesky_qr(
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
pub(super) fn column_norms(m: MatRef<'_, f64>, start: usize, b: usize) -> Vec<f64> {
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
pub(super) fn project_out_once(basis: MatRef<'_, f64>, mut block: MatMut<'_, f64>) -> Mat<f64> {
    let transposed = transposed_coefficients(basis, block.rb());
    subtract_projection(basis, block.rb_mut(), transposed.as_ref());
    transposed.transpose().to_owned()
}

/// blockᵀ·basis, the Gram–Schmidt coefficients transposed (block columns × basis columns).
pub(super) fn transposed_coefficients(basis: MatRef<'_, f64>, block: MatRef<'_, f64>) -> Mat<f64> {
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
pub(super) fn subtract_projection(
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
