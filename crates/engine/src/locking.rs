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
pub fn refresh_ratios(pairs: &mut [LockPair], omega: &[f64], max_q: u32) {
    for pair in pairs {
        let ratio = omega[pair.j] / omega[pair.k];
        if pair.stable.0 < ratio && ratio < pair.stable.1 {
            continue;
        }
        let (p, q) = best_rational(ratio, max_q);
        pair.p = p;
        pair.q = q;
        pair.stable = stable_interval(p, q, max_q);
    }
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

/// Inputs of one locking update.
pub struct LockingInputs<'a> {
    pub epsilon: f64,
    /// Phases θ_m of every mode (wrapped).
    pub theta: &'a [f64],
    /// Energies E_m.
    pub energy: &'a [f64],
    /// Smoothing factor of the locking-index moving average.
    pub beta: f64,
}

/// Accumulates the phase velocities of the pair coupling into `dtheta` and updates each
/// pair's moving average of e^{iψ} in `index_re`/`index_im`.
pub fn pair_coupling(
    inputs: &LockingInputs<'_>,
    pairs: &[LockPair],
    index_re: &mut [f64],
    index_im: &mut [f64],
    dtheta: &mut [f64],
) {
    for (n, pair) in pairs.iter().enumerate() {
        let (p, q) = (f64::from(pair.p), f64::from(pair.q));
        let psi = wrap(p * inputs.theta[pair.k]) - wrap(q * inputs.theta[pair.j]);
        let (s, c) = super::trig::sin_cos(psi);
        index_re[n] += inputs.beta * (c - index_re[n]);
        index_im[n] += inputs.beta * (s - index_im[n]);
        if inputs.epsilon == 0.0 {
            continue;
        }
        let (ej, ek) = (inputs.energy[pair.j], inputs.energy[pair.k]);
        let total = ej + ek;
        let (pi_kj, pi_jk) = if total > 0.0 {
            (ek / total, ej / total)
        } else {
            (0.5, 0.5)
        };
        let kick = inputs.epsilon * pair.strength() * s;
        dtheta[pair.j] += kick * pi_kj / q;
        dtheta[pair.k] -= kick * pi_jk / p;
    }
}

/// Accumulates the pull of a metronome of phase `metro_phase` and strength `coupling`
/// (already multiplied by its envelope): the virtual oscillator has infinite power, so it
/// pulls each mode fully and is never pushed back.
pub fn metronome_coupling(
    links: &[MetronomeLink],
    metro_phase: f64,
    coupling: f64,
    theta: &[f64],
    dtheta: &mut [f64],
) {
    for link in links {
        let (p, q) = (f64::from(link.p), f64::from(link.q));
        let psi = wrap(p * metro_phase) - wrap(q * theta[link.mode]);
        dtheta[link.mode] += coupling / (p * q) * psi.sin() / q;
    }
}

/// Rotates each amplitude by dt · dθ_m (energies unchanged) and clears `dtheta`.
pub fn apply_rotation(z_re: &mut [f64], z_im: &mut [f64], dtheta: &mut [f64], dt: f64) {
    for m in 0..z_re.len() {
        if dtheta[m] != 0.0 {
            let (s, c) = super::trig::sin_cos(dtheta[m] * dt);
            let (x, y) = (z_re[m], z_im[m]);
            z_re[m] = c * x - s * y;
            z_im[m] = c * y + s * x;
            dtheta[m] = 0.0;
        }
    }
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
        numerator += weight * index_re[n].hypot(index_im[n]);
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
