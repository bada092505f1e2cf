//! Thick-restarted block Lanczos on the shift-invert operator, and the deflated searches that
//! continue until the inertia count says no eigenvalue is missing.

use super::*;

/// The shift-invert block Lanczos solver; see the module documentation. `null_space` (n × c,
/// orthonormal) holds known eigenvectors of eigenvalue 0; they are kept as locked columns in front
/// of the Krylov basis, which stays orthogonal to them.
///
/// After the first search has converged, Sylvester's law of inertia says how many eigenvalues lie
/// below σ, just above the largest one found. A Krylov space started from b vectors holds at most b
/// copies of a repeated eigenvalue, so when the count exceeds what was found, the missing pairs
/// are searched for again from a fresh random block orthogonal to everything found (deflation),
/// until the count agrees.
pub(super) fn lanczos(
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
    pub(super) matrix: &'a CsMat<f64>,
    /// ‖A‖∞, which the residual bound is relative to.
    pub(super) norm: f64,
    pub(super) shift: f64,
    pub(super) block: usize,
    pub(super) max_dimension_factor: usize,
    pub(super) max_restarts: usize,
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
