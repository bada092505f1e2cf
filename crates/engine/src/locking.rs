//! Injection locking: n:m phase coupling between RSHWs and CSHWs, and to metronomes.
//!
//! For RSHW j (region r) and CSHW k with overlap o_jk, p/q the best rational approximation of
//! ω_j/ω_k with q ≤ Q, w = 1/(p q), ψ = p θ_k − q θ_j and power weights π_kj = E_k/(E_k + E_j):
//!
//!   dθ_j/dt += ε o w π_kj sin ψ / q,   dθ_k/dt −= ε o w π_jk sin ψ / p,
//!
//! so dψ/dt = (p ω_k − q ω_j) − ε o w sin ψ: an Adler equation that locks iff the detuning of
//! the combination is at most ε o w. The update is applied after the linear step (operator
//! splitting) by rotating each amplitude, which leaves every energy unchanged.

/// The best rational approximation p/q (q ≤ `max_q`, p ≥ 1) of a positive ratio: the smallest
/// error, the smallest q on ties (so the fraction is in lowest terms).
pub fn best_rational(ratio: f64, max_q: u32) -> (u32, u32) {
    let mut best = (1u32, 1u32);
    let mut best_error = f64::INFINITY;
    for q in 1..=max_q {
        let p = (ratio * f64::from(q)).round().max(1.0);
        let error = (ratio - p / f64::from(q)).abs();
        if error < best_error {
            best_error = error;
            best = (p as u32, q);
        }
    }
    best
}

/// A coupled RSHW–CSHW pair.
#[derive(Debug, Clone, PartialEq)]
pub struct LockPair {
    /// The RSHW.
    pub j: usize,
    /// The CSHW.
    pub k: usize,
    /// The RSHW's region.
    pub region: usize,
    pub p: u32,
    pub q: u32,
    /// o_jk, the CSHW's mass in the RSHW's region.
    pub overlap: f64,
    /// Open interval of ratios ω_j/ω_k whose best approximation is certainly p/q (see
    /// [`stable_interval`]); empty until the first [`refresh_ratios`].
    pub stable: (f64, f64),
}

impl LockPair {
    /// A pair whose ratio is not yet approximated: the first [`refresh_ratios`] sets p/q.
    pub fn new(j: usize, k: usize, region: usize, overlap: f64) -> Self {
        LockPair {
            j,
            k,
            region,
            p: 1,
            q: 1,
            overlap,
            stable: (f64::INFINITY, f64::NEG_INFINITY),
        }
    }

    /// o_jk / (p q): the coupling before ε and the power weights.
    pub fn strength(&self) -> f64 {
        self.overlap / (f64::from(self.p) * f64::from(self.q))
    }
}

/// Relative margin by which [`stable_interval`] stays inside the exact interval: far above the
/// rounding error of [`best_rational`]'s comparisons (about 1e−16), so that inside the interval
/// the floating-point search certainly returns the same p/q.
const STABLE_MARGIN: f64 = 1e-9;

/// The open interval of ratios for which p/q (in lowest terms, as [`best_rational`] returns it)
/// is the best approximation with denominators up to `max_q`: between the midpoints to its
/// nearest neighbours among the fractions p'/q' (p' ≥ 1, q' ≤ `max_q`), shrunk by a relative
/// [`STABLE_MARGIN`]. Inside it, every other fraction is farther from the ratio than p/q.
pub fn stable_interval(p: u32, q: u32, max_q: u32) -> (f64, f64) {
    let (p, q) = (u64::from(p), u64::from(q));
    // Nearest fractions below and above p/q, compared exactly as integer cross products.
    let mut below: Option<(u64, u64)> = None;
    let mut above: Option<(u64, u64)> = None;
    for q_other in 1..=u64::from(max_q) {
        // The largest p' with p'/q' < p/q, and the smallest with p'/q' > p/q.
        let p_below = (p * q_other - 1) / q;
        if p_below >= 1 && below.is_none_or(|(bp, bq)| p_below * bq > bp * q_other) {
            below = Some((p_below, q_other));
        }
        let p_above = p * q_other / q + 1;
        if above.is_none_or(|(ap, aq)| p_above * aq < ap * q_other) {
            above = Some((p_above, q_other));
        }
    }
    let midpoint = |(other_p, other_q): (u64, u64)| {
        (p * other_q + other_p * q) as f64 / (2 * q * other_q) as f64
    };
    let low = below.map_or(0.0, |b| midpoint(b) * (1.0 + STABLE_MARGIN));
    let high = above.map_or(f64::INFINITY, |a| midpoint(a) * (1.0 - STABLE_MARGIN));
    (low, high)
}
/// A mode coupled to a metronome's virtual oscillator: ψ = p θ_metro − q θ_m.
#[derive(Debug, Clone, PartialEq)]
pub struct MetronomeLink {
    pub mode: usize,
    pub p: u32,
    pub q: u32,
}

/// Recomputes the rational approximations of every pair for the current angular frequencies.
/// A pair whose ratio is still inside its stable interval keeps its p/q: the search would
/// return the same fraction, and detuning moves every RSHW's ratio at every step.
/// Returns whether any pair's p/q changed.
pub fn refresh_ratios(pairs: &mut [LockPair], omega: &[f64], max_q: u32) -> bool {
    let mut changed = false;
    for pair in pairs {
        let ratio = omega[pair.j] / omega[pair.k];
        if pair.stable.0 < ratio && ratio < pair.stable.1 {
            continue;
        }
        let (p, q) = best_rational(ratio, max_q);
        changed |= (p, q) != (pair.p, pair.q);
        pair.p = p;
        pair.q = q;
        pair.stable = stable_interval(p, q, max_q);
    }
    changed
}

/// The links of one metronome at angular frequency `metro_omega` to every mode whose order
/// weight 1/(p q) is at least `prune_below`.
pub fn metronome_links(
    metro_omega: f64,
    omega: &[f64],
    max_q: u32,
    prune_below: f64,
) -> Vec<MetronomeLink> {
    let mut links = Vec::new();
    for (mode, &w) in omega.iter().enumerate() {
        // ψ = p θ_metro − q θ_m is stationary when p Ω = q ω_m, i.e. p/q ≈ ω_m / Ω.
        let (p, q) = best_rational(w / metro_omega, max_q);
        if 1.0 / (f64::from(p) * f64::from(q)) >= prune_below {
            links.push(MetronomeLink { mode, p, q });
        }
    }
    links
}

/// Wraps an angle into (−π, π] so that large p·θ stay accurate.
#[inline]
fn wrap(angle: f64) -> f64 {
    let two_pi = std::f64::consts::TAU;
    angle - two_pi * (angle / two_pi).round()
}

/// The unit phasors e^{iθ_m} = z_m/|z_m| of the modes and the integer powers e^{inθ_m} the
/// pairs need (p for a pair's CSHW, q for its RSHW), in one table laid out level by level.
///
/// A pair's e^{iψ} = e^{ipθ_k} e^{−iqθ_j} is then one complex product of two table entries:
/// no angle, no wrapping and no sine or cosine per pair. A power is the one below it times the
/// phasor, so its rounding error grows like n ulp (n ≤ 8·ω_j/ω_k, under 1e-13 for the ratios
/// of any basis), no more than the n-fold rounding of θ that p θ_k carried before. Level n
/// holds the power n + 1 of every mode that needs it; the modes are ranked by the highest power
/// they need, largest first, so each level is a prefix of that ranking and one level is
/// computed from the one below by a loop over contiguous entries, which vectorises.
#[derive(Debug, Clone, Default)]
pub struct PhasorPowers {
    /// The modes in the order of the highest power they need, largest first (ties by index).
    order: Vec<usize>,
    /// Each mode's position in `order`.
    rank: Vec<usize>,
    /// The highest power each mode needs (at least 1).
    highest: Vec<u32>,
    /// Where level n starts in `re` and `im`, and how many modes it holds.
    level_start: Vec<usize>,
    level_len: Vec<usize>,
    re: Vec<f64>,
    im: Vec<f64>,
}

impl PhasorPowers {
    /// A table holding, for each of `modes` modes, the powers up to `highest[m]` (at least the
    /// first).
    fn with_highest(highest: Vec<u32>) -> Self {
        let mut order: Vec<usize> = (0..highest.len()).collect();
        order.sort_by(|a, b| highest[*b].cmp(&highest[*a]).then(a.cmp(b)));
        let mut rank = vec![0; highest.len()];
        for (position, mode) in order.iter().enumerate() {
            rank[*mode] = position;
        }
        let top = highest.iter().copied().max().unwrap_or(1);
        let (mut level_start, mut level_len) = (Vec::new(), Vec::new());
        let mut size = 0;
        for n in 1..=top {
            let len = order.iter().take_while(|m| highest[**m] >= n).count();
            level_start.push(size);
            level_len.push(len);
            size += len;
        }
        PhasorPowers {
            order,
            rank,
            highest,
            level_start,
            level_len,
            re: vec![0.0; size],
            im: vec![0.0; size],
        }
    }

    /// The table slot of e^{inθ_m}, for 1 ≤ n ≤ the highest power mode m needs.
    fn slot(&self, mode: usize, n: u32) -> usize {
        self.level_start[n as usize - 1] + self.rank[mode]
    }

    /// Fills the table from the amplitudes. A zero amplitude has the phasor 1, as
    /// atan2(0, 0) = 0 gave it a phase of 0.
    pub fn fill(&mut self, z_re: &[f64], z_im: &[f64]) {
        let first = self.level_len.first().copied().unwrap_or(0);
        for position in 0..first {
            let mode = self.order[position];
            let (x, y) = (z_re[mode], z_im[mode]);
            let energy = x * x + y * y;
            let (u, v) = if energy >= f64::MIN_POSITIVE && energy.is_finite() {
                let inverse = 1.0 / energy.sqrt();
                (x * inverse, y * inverse)
            } else if x == 0.0 && y == 0.0 {
                (1.0, 0.0)
            } else {
                // |z|² underflows or overflows: the modulus without squaring.
                let modulus = x.hypot(y);
                (x / modulus, y / modulus)
            };
            self.re[position] = u;
            self.im[position] = v;
        }
        for level in 1..self.level_len.len() {
            let (start, len) = (self.level_start[level], self.level_len[level]);
            let below = self.level_start[level - 1];
            let (lower_re, upper_re) = self.re.split_at_mut(start);
            let (lower_im, upper_im) = self.im.split_at_mut(start);
            let (base_re, base_im) = (&lower_re[..len], &lower_im[..len]);
            let (prev_re, prev_im) = (&lower_re[below..below + len], &lower_im[below..below + len]);
            let (next_re, next_im) = (&mut upper_re[..len], &mut upper_im[..len]);
            for r in 0..len {
                next_re[r] = prev_re[r] * base_re[r] - prev_im[r] * base_im[r];
                next_im[r] = prev_re[r] * base_im[r] + prev_im[r] * base_re[r];
            }
        }
    }

    /// e^{inθ_m} for any n ≥ 1: from the table, or multiplied up from the highest power held.
    pub fn power(&self, mode: usize, n: u32) -> (f64, f64) {
        let held = n.min(self.highest[mode]);
        let at = self.slot(mode, held);
        let (mut re, mut im) = (self.re[at], self.im[at]);
        let base = self.slot(mode, 1);
        let (u, v) = (self.re[base], self.im[base]);
        for _ in held..n {
            (re, im) = (re * u - im * v, re * v + im * u);
        }
        (re, im)
    }
}

/// The pairs laid out for the coupling loop: for each pair its modes, the table slots of
/// e^{ipθ_k} and e^{iqθ_j}, and its gains, one array per quantity so that the loop over pairs
/// reads each as a stream.
#[derive(Debug, Clone, Default)]
pub struct PairCoupling {
    j: Vec<usize>,
    k: Vec<usize>,
    slot_k: Vec<usize>,
    slot_j: Vec<usize>,
    /// ε o w / q and ε o w / p: the kicks on the RSHW and the CSHW per unit sin ψ and power weight.
    gain_j: Vec<f64>,
    gain_k: Vec<f64>,
    /// Per pair, sin ψ and the kicks of the current step (scratch, kept to avoid an allocation
    /// per step).
    sin_psi: Vec<f64>,
    kick_j: Vec<f64>,
    kick_k: Vec<f64>,
    /// The runs of consecutive pairs with the same RSHW: (j, first pair, end).
    runs: Vec<(usize, usize, usize)>,
    /// Whether ε ≠ 0: without coupling the pairs only measure their locking, and no kick is
    /// added (not even 0 · NaN from an overflowing mode, which must be reported as that
    /// mode's divergence, not spread to its partners).
    coupled: bool,
    /// The table of phasor powers the pairs read.
    pub powers: PhasorPowers,
}

impl PairCoupling {
    /// The layout of `pairs` (with their current p/q) over `modes` modes, at coupling ε.
    pub fn new(pairs: &[LockPair], modes: usize, epsilon: f64) -> Self {
        let mut highest = vec![1u32; modes];
        for pair in pairs {
            highest[pair.k] = highest[pair.k].max(pair.p);
            highest[pair.j] = highest[pair.j].max(pair.q);
        }
        let powers = PhasorPowers::with_highest(highest);
        let n = pairs.len();
        let mut runs: Vec<(usize, usize, usize)> = Vec::new();
        for (e, pair) in pairs.iter().enumerate() {
            match runs.last_mut() {
                Some((j, _, end)) if *j == pair.j => *end = e + 1,
                _ => runs.push((pair.j, e, e + 1)),
            }
        }
        PairCoupling {
            runs,
            j: pairs.iter().map(|pair| pair.j).collect(),
            k: pairs.iter().map(|pair| pair.k).collect(),
            slot_k: pairs
                .iter()
                .map(|pair| powers.slot(pair.k, pair.p))
                .collect(),
            slot_j: pairs
                .iter()
                .map(|pair| powers.slot(pair.j, pair.q))
                .collect(),
            gain_j: pairs
                .iter()
                .map(|pair| epsilon * pair.strength() / f64::from(pair.q))
                .collect(),
            gain_k: pairs
                .iter()
                .map(|pair| epsilon * pair.strength() / f64::from(pair.p))
                .collect(),
            sin_psi: vec![0.0; n],
            kick_j: vec![0.0; n],
            kick_k: vec![0.0; n],
            coupled: epsilon != 0.0,
            powers,
        }
    }

    /// Updates each pair's moving average of e^{iψ} (factor `beta`) in `index_re`/`index_im`
    /// and accumulates the phase velocities of the coupling into `dtheta`, with power weights
    /// from the energies `energy`. The table must hold the current phasors ([`PhasorPowers::fill`]).
    pub fn apply(
        &mut self,
        energy: &[f64],
        beta: f64,
        index_re: &mut [f64],
        index_im: &mut [f64],
        dtheta: &mut [f64],
    ) {
        let n = self.j.len();
        let (table_re, table_im) = (&self.powers.re, &self.powers.im);
        let (index_re, index_im) = (&mut index_re[..n], &mut index_im[..n]);
        // First every pair's e^{iψ} and locking index, then its kicks, each pair on its own (no
        // two pairs write one place, so the loops vectorise); then the kicks are added to the
        // modes in pair order, which fixes the order of every sum.
        for e in 0..n {
            let (a_re, a_im) = (table_re[self.slot_k[e]], table_im[self.slot_k[e]]);
            let (b_re, b_im) = (table_re[self.slot_j[e]], table_im[self.slot_j[e]]);
            // e^{iψ} = e^{ipθ_k} · conj(e^{iqθ_j}).
            let c = a_re * b_re + a_im * b_im;
            let s = a_im * b_re - a_re * b_im;
            index_re[e] += beta * (c - index_re[e]);
            index_im[e] += beta * (s - index_im[e]);
            self.sin_psi[e] = s;
        }
        if !self.coupled {
            return;
        }
        for e in 0..n {
            let s = self.sin_psi[e];
            let (ej, ek) = (energy[self.j[e]], energy[self.k[e]]);
            let total = ej + ek;
            let (pi_kj, pi_jk) = if total > 0.0 {
                let inverse = 1.0 / total;
                (ek * inverse, ej * inverse)
            } else {
                (0.5, 0.5)
            };
            self.kick_j[e] = self.gain_j[e] * s * pi_kj;
            self.kick_k[e] = self.gain_k[e] * s * pi_jk;
        }
        // The pairs of one RSHW are consecutive (see `runs`): their kicks are summed in four
        // lanes and added once, instead of a chain of additions to one place that each waits
        // for the one before. The CSHWs of consecutive pairs differ, so their kicks go straight in.
        for &(j, start, end) in &self.runs {
            dtheta[j] += lane_sum(&self.kick_j[start..end]);
        }
        for e in 0..n {
            dtheta[self.k[e]] -= self.kick_k[e];
        }
    }
}

/// The sum of `values` in a fixed order: four interleaved partial sums, then
/// (s₀ + s₁) + (s₂ + s₃). Independent partial sums let the additions overlap.
fn lane_sum(values: &[f64]) -> f64 {
    let mut lanes = [0.0; 4];
    let chunks = values.chunks_exact(4);
    let rest = chunks.remainder();
    for chunk in chunks {
        for l in 0..4 {
            lanes[l] += chunk[l];
        }
    }
    for (l, value) in rest.iter().enumerate() {
        lanes[l] += value;
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}

/// Accumulates the pull of a metronome of phase `metro_phase` and strength `coupling`
/// (already multiplied by its envelope): the virtual oscillator has infinite power, so it
/// pulls each mode fully and is never pushed back. `powers` holds the modes' phasors.
pub fn metronome_coupling(
    links: &[MetronomeLink],
    metro_phase: f64,
    coupling: f64,
    powers: &PhasorPowers,
    dtheta: &mut [f64],
) {
    for link in links {
        let (p, q) = (f64::from(link.p), f64::from(link.q));
        let (metro_sin, metro_cos) = super::trig::sin_cos(wrap(p * metro_phase));
        let (u, v) = powers.power(link.mode, link.q);
        // sin(p θ_metro − q θ_m) = Im(e^{ipθ_metro} · conj(e^{iqθ_m})).
        let sin_psi = metro_sin * u - metro_cos * v;
        dtheta[link.mode] += coupling / (p * q) * sin_psi / q;
    }
}

/// Largest rotation angle for which [`small_sin_cos`] is used; beyond it glibc's `sincos`.
const SMALL_ANGLE: f64 = 0.5;

/// (sin x, cos x) for |x| ≤ [`SMALL_ANGLE`] by their Taylor series to x¹⁷ and x¹⁸: the first
/// terms left out are below 4e-23 of the result, far under half an ulp, so the values are
/// correctly rounded but for the rounding of the few operations (at most an ulp or two). The
/// series has no branch, so a loop over the modes vectorises where `sincos` is a call per mode.
#[inline]
fn small_sin_cos(x: f64) -> (f64, f64) {
    let x2 = x * x;
    // Horner in x² with the coefficients 1/(2n+1)! and 1/(2n)!, alternating in sign.
    let sin = x
        * (1.0
            + x2 * (-1.0 / 6.0
                + x2 * (1.0 / 120.0
                    + x2 * (-1.0 / 5_040.0
                        + x2 * (1.0 / 362_880.0
                            + x2 * (-1.0 / 39_916_800.0
                                + x2 * (1.0 / 6_227_020_800.0
                                    + x2 * (-1.0 / 1_307_674_368_000.0
                                        + x2 * (1.0 / 355_687_428_096_000.0)))))))));
    let cos = 1.0
        + x2 * (-0.5
            + x2 * (1.0 / 24.0
                + x2 * (-1.0 / 720.0
                    + x2 * (1.0 / 40_320.0
                        + x2 * (-1.0 / 3_628_800.0
                            + x2 * (1.0 / 479_001_600.0
                                + x2 * (-1.0 / 87_178_291_200.0
                                    + x2 * (1.0 / 20_922_789_888_000.0
                                        + x2 * (-1.0 / 6_402_373_705_728_000.0)))))))));
    (sin, cos)
}

/// Rotates each amplitude by dt · dθ_m (energies unchanged up to rounding) and clears `dtheta`.
/// A mode without a kick keeps its amplitude exactly (sin 0 = 0, cos 0 = 1).
pub fn apply_rotation(z_re: &mut [f64], z_im: &mut [f64], dtheta: &mut [f64], dt: f64) {
    let m = z_re.len();
    let (z_re, z_im, dtheta) = (&mut z_re[..m], &mut z_im[..m], &mut dtheta[..m]);
    let rotate = |z_re: &mut f64, z_im: &mut f64, (s, c): (f64, f64)| {
        let (x, y) = (*z_re, *z_im);
        *z_re = c * x - s * y;
        *z_im = c * y + s * x;
    };
    // Each angle gets the same sine and cosine on either path; the first, taken when every
    // angle is small (always, at the couplings scripts use), has no call and vectorises.
    if dtheta.iter().all(|d| (d * dt).abs() <= SMALL_ANGLE) {
        for i in 0..m {
            rotate(&mut z_re[i], &mut z_im[i], small_sin_cos(dtheta[i] * dt));
        }
    } else {
        for i in 0..m {
            let angle = dtheta[i] * dt;
            let rotation = if angle.abs() <= SMALL_ANGLE {
                small_sin_cos(angle)
            } else {
                super::trig::sin_cos(angle)
            };
            rotate(&mut z_re[i], &mut z_im[i], rotation);
        }
    }
    dtheta.iter_mut().for_each(|d| *d = 0.0);
}

/// The integration index: mean of the locking indices |⟨e^{iψ}⟩| weighted by o_jk times the
/// pair's harmonic power Ē_j Ē_k/(Ē_j + Ē_k). With `region`, only that region's pairs.
/// Returns 0 when no pair carries power.
pub fn integration(
    pairs: &[LockPair],
    index_re: &[f64],
    index_im: &[f64],
    mean_energy: &[f64],
    region: Option<usize>,
) -> f64 {
    let (mut numerator, mut denominator) = (0.0, 0.0);
    for (n, pair) in pairs.iter().enumerate() {
        if region.is_some_and(|r| r != pair.region) {
            continue;
        }
        let (ej, ek) = (mean_energy[pair.j], mean_energy[pair.k]);
        if ej + ek <= 0.0 {
            continue;
        }
        let weight = pair.overlap * ej * ek / (ej + ek);
        // |L| ≤ 1, so the plain square root cannot overflow and is far cheaper than `hypot`.
        let (re, im) = (index_re[n], index_im[n]);
        numerator += weight * (re * re + im * im).sqrt();
        denominator += weight;
    }
    if denominator > 0.0 {
        numerator / denominator
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_rational_approximations() {
        assert_eq!(best_rational(1.5, 8), (3, 2));
        assert_eq!(best_rational(2.0, 8), (2, 1));
        assert_eq!(best_rational(std::f64::consts::PI, 8), (22, 7));
        let golden = (1.0 + 5f64.sqrt()) / 2.0;
        assert_eq!(best_rational(golden, 8), (13, 8));
        assert_eq!(best_rational(golden, 5), (8, 5));
        assert_eq!(best_rational(0.01, 8), (1, 8));
        // The golden mean's approximants have the largest orders among nearby ratios.
        let order = |r: f64| {
            let (p, q) = best_rational(r, 8);
            p * q
        };
        assert!(order(golden) > order(1.5) && order(golden) > order(5.0 / 3.0));
    }

    #[test]
    fn the_search_returns_the_same_fraction_throughout_its_stable_interval() {
        let mut rng = crate::random::Stream::new(5, 1);
        for _ in 0..2000 {
            let ratio = 0.02 + 40.0 * rng.uniform().powi(2);
            let (p, q) = best_rational(ratio, 8);
            let (low, high) = stable_interval(p, q, 8);
            assert!(
                low < ratio && ratio < high,
                "{ratio}: {p}/{q} in ({low}, {high})"
            );
            for t in [0.0, 1e-12, 0.3, 0.7, 1.0 - 1e-12, 1.0] {
                let inside = (low + t * (high - low)).clamp(low, high);
                if low < inside && inside < high {
                    assert_eq!(best_rational(inside, 8), (p, q), "{inside}");
                }
            }
            // Just beyond either end another fraction is at least as near: the interval is
            // the whole stretch where p/q wins, less the margin.
            let beyond_high = high * (1.0 + 3.0 * STABLE_MARGIN);
            assert_ne!(best_rational(beyond_high, 8), (p, q), "{beyond_high}");
            if low > 0.0 {
                let beyond_low = low * (1.0 - 3.0 * STABLE_MARGIN);
                assert_ne!(best_rational(beyond_low, 8), (p, q), "{beyond_low}");
            }
        }
    }

    #[test]
    fn wrapped_phase_difference_equals_the_plain_one() {
        for (a, b) in [(100.3f64, 7.1f64), (-3.0, 12.0), (1e4, 1e4 + 0.2)] {
            let plain = (3.0 * a - 2.0 * b).sin();
            let wrapped = (wrap(3.0 * a) - wrap(2.0 * b)).sin();
            assert!((plain - wrapped).abs() < 1e-9);
        }
    }
}
