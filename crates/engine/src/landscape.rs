//! The slow layer: an Ising-like attractor landscape searched by Metropolis and consolidated
//! by Hebbian plasticity.
//!
//! Spins s_i ∈ {−1, +1}; energy H(s) = −½ sᵀ J s − hᵀ s. Couplings are stored in compressed
//! rows with both directions of every edge, and each spin keeps its local field Σ_j J_ij s_j,
//! updated incrementally on every accepted flip, so an attempt costs O(1) and a flip O(degree).

use super::random::Stream;

/// The landscape's couplings, spins and incremental local fields.
#[derive(Debug, Clone)]
pub struct Landscape {
    n: usize,
    row_start: Vec<usize>,
    column: Vec<usize>,
    /// J on each stored (directed) entry; the two copies of an edge are updated identically.
    coupling: Vec<f64>,
    /// J⁰, the couplings plasticity relaxes back to.
    baseline: Vec<f64>,
    spins: Vec<f64>,
    /// Σ_j J_ij s_j.
    local: Vec<f64>,
}

impl Landscape {
    /// A landscape of `n` spins (all up) with undirected couplings `(i, j, J_ij)`, i ≠ j;
    /// duplicate pairs add up.
    pub fn from_couplings(n: usize, couplings: &[(usize, usize, f64)]) -> Landscape {
        let mut degree = vec![0usize; n];
        for &(i, j, _) in couplings {
            degree[i] += 1;
            degree[j] += 1;
        }
        let mut row_start = vec![0usize; n + 1];
        for i in 0..n {
            row_start[i + 1] = row_start[i] + degree[i];
        }
        let mut fill = row_start.clone();
        let mut column = vec![0usize; row_start[n]];
        let mut coupling = vec![0.0; row_start[n]];
        for &(i, j, w) in couplings {
            column[fill[i]] = j;
            coupling[fill[i]] = w;
            fill[i] += 1;
            column[fill[j]] = i;
            coupling[fill[j]] = w;
            fill[j] += 1;
        }
        let mut landscape = Landscape {
            n,
            row_start,
            column,
            baseline: coupling.clone(),
            coupling,
            spins: vec![1.0; n],
            local: vec![0.0; n],
        };
        landscape.recompute_local_fields();
        landscape
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Number of stored directed entries (twice the number of edges).
    pub fn stored_entries(&self) -> usize {
        self.column.len()
    }

    /// Spins as ±1.
    /// Mean number of stored couplings per spin (2 × edges / n); 0 for an empty landscape.
    pub fn mean_degree(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.row_start[self.n] as f64 / self.n as f64
        }
    }

    pub fn spins(&self) -> &[f64] {
        &self.spins
    }

    /// The couplings on the stored entries (row-major, both directions).
    pub fn couplings(&self) -> &[f64] {
        &self.coupling
    }

    /// Local fields Σ_j J_ij s_j.
    pub fn local_fields(&self) -> &[f64] {
        &self.local
    }

    /// Sets the spins (each ±1) and recomputes the local fields.
    pub fn set_spins(&mut self, spins: &[f64]) {
        self.spins.copy_from_slice(spins);
        self.recompute_local_fields();
    }

    /// Restores couplings, spins and local fields exactly as saved.
    pub fn restore(&mut self, coupling: &[f64], spins: &[f64], local: &[f64]) {
        self.coupling.copy_from_slice(coupling);
        self.spins.copy_from_slice(spins);
        self.local.copy_from_slice(local);
    }

    pub fn recompute_local_fields(&mut self) {
        for i in 0..self.n {
            let mut sum = 0.0;
            for e in self.row_start[i]..self.row_start[i + 1] {
                sum += self.coupling[e] * self.spins[self.column[e]];
            }
            self.local[i] = sum;
        }
    }

    /// `attempts` Metropolis attempts at temperature `temperature` (≥ 0) in external field
    /// `field`, each at a uniformly chosen site. Returns the number of accepted flips.
    pub fn metropolis(
        &mut self,
        attempts: u64,
        temperature: f64,
        field: &[f64],
        rng: &mut Stream,
    ) -> u64 {
        let n = self.n;
        if n == 0 {
            return 0;
        }
        let inverse_temperature = if temperature > 0.0 {
            1.0 / temperature
        } else {
            f64::INFINITY
        };
        let mut accepted = 0;
        for _ in 0..attempts {
            let i = rng.index(n);
            let s = self.spins[i];
            let delta = 2.0 * s * (self.local[i] + field[i]);
            let accept = delta <= 0.0
                || (inverse_temperature.is_finite()
                    && rng.uniform() < (-delta * inverse_temperature).exp());
            if accept {
                let flipped = -s;
                self.spins[i] = flipped;
                let change = 2.0 * flipped;
                for e in self.row_start[i]..self.row_start[i + 1] {
                    self.local[self.column[e]] += self.coupling[e] * change;
                }
                accepted += 1;
            }
        }
        accepted
    }

    /// Zero-temperature descent: sweeps the sites in index order and flips every spin whose
    /// flip lowers H, until a whole sweep flips none. Each flip lowers H by a positive amount
    /// and there are finitely many states, so it ends, in a local minimum of H (an attractor).
    /// Returns the number of flips.
    pub fn descend(&mut self, field: &[f64]) -> u64 {
        let mut flips = 0;
        loop {
            let mut flipped_this_sweep = false;
            for i in 0..self.n {
                let s = self.spins[i];
                if 2.0 * s * (self.local[i] + field[i]) < 0.0 {
                    let flipped = -s;
                    self.spins[i] = flipped;
                    for e in self.row_start[i]..self.row_start[i + 1] {
                        self.local[self.column[e]] += self.coupling[e] * 2.0 * flipped;
                    }
                    flips += 1;
                    flipped_this_sweep = true;
                }
            }
            if !flipped_this_sweep {
                return flips;
            }
        }
    }

    /// One explicit step of Hebbian consolidation on every edge:
    /// J ← J + rate_dt · (η s_i s_j − λ (J − J⁰)), where rate_dt = P(T) dt.
    /// The local fields are recomputed in the same pass, each as four interleaved partial sums
    /// over its row: independent additions overlap, where one running sum waits for each
    /// addition in turn (the rounding differs from [`Landscape::recompute_local_fields`] as an
    /// incremental update's does).
    pub fn consolidate(&mut self, rate_dt: f64, hebb: f64, relax: f64) {
        for i in 0..self.n {
            let si = self.spins[i];
            let mut lanes = [0.0; 4];
            let start = self.row_start[i];
            for e in start..self.row_start[i + 1] {
                let sj = self.spins[self.column[e]];
                let j = self.coupling[e]
                    + rate_dt * (hebb * si * sj - relax * (self.coupling[e] - self.baseline[e]));
                self.coupling[e] = j;
                lanes[(e - start) % 4] += j * sj;
            }
            self.local[i] = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        }
    }

    /// H(s)/n = (−½ sᵀ J s − hᵀ s)/n.
    pub fn energy_per_node(&self, field: &[f64]) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let mut energy = 0.0;
        for i in 0..self.n {
            energy -= self.spins[i] * (0.5 * self.local[i] + field[i]);
        }
        energy / self.n as f64
    }

    /// H(s) for arbitrary spins (used by exact enumeration in tests and by diagnostics).
    pub fn energy_of(&self, spins: &[f64], field: &[f64]) -> f64 {
        let mut energy = 0.0;
        for i in 0..self.n {
            let mut sum = 0.0;
            for e in self.row_start[i]..self.row_start[i + 1] {
                sum += self.coupling[e] * spins[self.column[e]];
            }
            energy -= spins[i] * (0.5 * sum + field[i]);
        }
        energy
    }

    /// Frustration F = Σ|J_ij| [J_ij s_i s_j < 0] / Σ|J_ij| (0 without couplings).
    pub fn frustration(&self) -> f64 {
        let (mut unsatisfied, mut total) = (0.0, 0.0);
        for i in 0..self.n {
            for e in self.row_start[i]..self.row_start[i + 1] {
                let j = self.coupling[e];
                total += j.abs();
                if j * self.spins[i] * self.spins[self.column[e]] < 0.0 {
                    unsatisfied += j.abs();
                }
            }
        }
        if total > 0.0 {
            unsatisfied / total
        } else {
            0.0
        }
    }

    /// Overlap (1/n) Σ ξ_i s_i with a pattern.
    pub fn overlap(&self, pattern: &[f64]) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        self.spins
            .iter()
            .zip(pattern)
            .map(|(s, x)| s * x)
            .sum::<f64>()
            / self.n as f64
    }

    /// Largest |J| over the stored entries; used to detect divergence.
    pub fn largest_coupling(&self) -> f64 {
        self.coupling.iter().fold(0.0, |a, b| a.max(b.abs()))
    }

    /// Mean absolute change of J from J⁰ over the stored entries.
    pub fn mean_coupling_change(&self) -> f64 {
        if self.coupling.is_empty() {
            return 0.0;
        }
        self.coupling
            .iter()
            .zip(&self.baseline)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
            / self.coupling.len() as f64
    }
}

/// The largest eigenvalue of a non-negative symmetric matrix given by its edges, by power
/// iteration on W + cI (the shift keeps a bipartite graph's −λ from competing with λ).
pub fn largest_eigenvalue(n: usize, edges: &[(usize, usize, f64)]) -> f64 {
    if n == 0 || edges.is_empty() {
        return 0.0;
    }
    let mut row_sum = vec![0.0; n];
    for &(i, j, w) in edges {
        row_sum[i] += w;
        row_sum[j] += w;
    }
    let shift = row_sum.iter().fold(0.0, |a: f64, b| a.max(*b));
    let mut vector = vec![1.0 / (n as f64).sqrt(); n];
    let mut estimate = 0.0;
    for _ in 0..10_000 {
        let mut next: Vec<f64> = vector.iter().map(|v| shift * v).collect();
        for &(i, j, w) in edges {
            next[i] += w * vector[j];
            next[j] += w * vector[i];
        }
        let norm = next.iter().map(|v| v * v).sum::<f64>().sqrt();
        let new_estimate = norm - shift;
        for (v, x) in vector.iter_mut().zip(&next) {
            *v = x / norm;
        }
        if (new_estimate - estimate).abs() <= 1e-13 * new_estimate.abs().max(1e-300) {
            return new_estimate;
        }
        estimate = new_estimate;
    }
    estimate
}

#[cfg(test)]
mod tests {
    use super::super::random::{Stream, stream};
    use super::*;

    /// A random Gaussian-coupled 10-spin system with fields.
    fn ten_spins(seed: u64) -> (Landscape, Vec<f64>) {
        let mut rng = Stream::new(seed, 99);
        let mut couplings = Vec::new();
        for i in 0..10 {
            for j in i + 1..10 {
                if rng.uniform() < 0.5 {
                    couplings.push((i, j, 0.6 * rng.normal()));
                }
            }
        }
        let field: Vec<f64> = (0..10).map(|_| 0.3 * rng.normal()).collect();
        (Landscape::from_couplings(10, &couplings), field)
    }

    #[test]
    fn descent_ends_in_a_local_minimum_below_its_start() {
        for seed in 0..20 {
            let (mut landscape, field) = ten_spins(seed);
            let mut rng = Stream::new(seed, 7);
            let start: Vec<f64> = (0..10)
                .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
                .collect();
            landscape.set_spins(&start);
            let before = landscape.energy_of(&start, &field);
            landscape.descend(&field);
            let settled = landscape.spins().to_vec();
            let after = landscape.energy_of(&settled, &field);
            assert!(after <= before, "descent raised H from {before} to {after}");
            // No single flip lowers H any more: checked by recomputing H, not the local fields.
            for i in 0..10 {
                let mut flipped = settled.clone();
                flipped[i] = -flipped[i];
                assert!(landscape.energy_of(&flipped, &field) >= after - 1e-12);
            }
        }
    }

    /// The integrated autocorrelation time of a series (initial positive sequence).
    fn integrated_time(series: &[f64]) -> f64 {
        let n = series.len();
        let mean = series.iter().sum::<f64>() / n as f64;
        let var = series.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let mut tau = 1.0;
        for lag in 1..n / 10 {
            let c = (0..n - lag)
                .map(|t| (series[t] - mean) * (series[t + lag] - mean))
                .sum::<f64>()
                / ((n - lag) as f64 * var);
            if c <= 0.0 {
                break;
            }
            tau += 2.0 * c;
        }
        tau
    }

    #[test]
    fn metropolis_samples_the_boltzmann_distribution() {
        let temperature = 1.3;
        let (mut landscape, field) = ten_spins(5);
        // Exact enumeration of the 1024 states.
        let mut weights = vec![0.0; 1024];
        for (state, weight) in weights.iter_mut().enumerate() {
            let spins: Vec<f64> = (0..10)
                .map(|i| if state >> i & 1 == 1 { 1.0 } else { -1.0 })
                .collect();
            *weight = (-landscape.energy_of(&spins, &field) / temperature).exp();
        }
        let z: f64 = weights.iter().sum();
        let mut rng = Stream::new(11, stream::LANDSCAPE);
        landscape.metropolis(10_000, temperature, &field, &mut rng);
        // Sample every `thin` sweeps; thinning is chosen from the measured autocorrelation of
        // the energy so that the samples are close to independent, as the χ² test assumes.
        let mut pilot = Vec::new();
        for _ in 0..20_000 {
            landscape.metropolis(10, temperature, &field, &mut rng);
            pilot.push(landscape.energy_per_node(&field));
        }
        let tau = integrated_time(&pilot);
        let thin = (50.0 * tau.ceil()) as u64; // five integrated times (tau is in units of 10 attempts)
        let samples = 100_000usize;
        let mut counts = vec![0u64; 1024];
        for _ in 0..samples {
            landscape.metropolis(thin, temperature, &field, &mut rng);
            let state = landscape
                .spins()
                .iter()
                .enumerate()
                .fold(
                    0usize,
                    |acc, (i, s)| if *s > 0.0 { acc | 1 << i } else { acc },
                );
            counts[state] += 1;
        }
        // χ² over states with expected count ≥ 5; the rest pooled into one bin.
        let (mut chi2, mut bins) = (0.0, 0usize);
        let (mut pooled_expected, mut pooled_observed) = (0.0, 0.0);
        for state in 0..1024 {
            let expected = samples as f64 * weights[state] / z;
            if expected >= 5.0 {
                chi2 += (counts[state] as f64 - expected).powi(2) / expected;
                bins += 1;
            } else {
                pooled_expected += expected;
                pooled_observed += counts[state] as f64;
            }
        }
        if pooled_expected > 0.0 {
            chi2 += (pooled_observed - pooled_expected).powi(2) / pooled_expected.max(1e-300);
            bins += 1;
        }
        let dof = (bins - 1) as f64;
        // Upper 0.1% point of χ²(dof) by the Wilson–Hilferty approximation (z = 3.09).
        let a = 2.0 / (9.0 * dof);
        let critical = dof * (1.0 - a + 3.09 * a.sqrt()).powi(3);
        assert!(
            bins > 100,
            "too few populated states ({bins}) for a meaningful test"
        );
        assert!(
            chi2 < critical,
            "χ² = {chi2:.1} over {bins} bins exceeds {critical:.1} (thin = {thin})"
        );
        // The same samples judged against a 15% wrong temperature must fail: the check can fail.
        let mut wrong_weights = vec![0.0; 1024];
        for (state, weight) in wrong_weights.iter_mut().enumerate() {
            let spins: Vec<f64> = (0..10)
                .map(|i| if state >> i & 1 == 1 { 1.0 } else { -1.0 })
                .collect();
            *weight = (-landscape.energy_of(&spins, &field) / (1.15 * temperature)).exp();
        }
        let wrong_z: f64 = wrong_weights.iter().sum();
        let mut wrong = 0.0;
        for state in 0..1024 {
            let expected = samples as f64 * wrong_weights[state] / wrong_z;
            if expected >= 5.0 {
                wrong += (counts[state] as f64 - expected).powi(2) / expected;
            }
        }
        assert!(
            wrong > critical,
            "the χ² statistic is not sensitive enough ({wrong:.1})"
        );
    }

    /// A frustrated instance: Sherrington–Kirkpatrick ±J couplings on 48 spins.
    fn frustrated(seed: u64) -> Landscape {
        let n = 48;
        let mut rng = Stream::new(seed, 7);
        let mut couplings = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                couplings.push((i, j, sign / (n as f64).sqrt()));
            }
        }
        let mut landscape = Landscape::from_couplings(n, &couplings);
        let spins: Vec<f64> = (0..n)
            .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
            .collect();
        landscape.set_spins(&spins);
        landscape
    }

    #[test]
    fn slow_cooling_ends_less_frustrated_than_a_quench() {
        let sweeps = 2000u64;
        let mut differences = Vec::new();
        for seed in 0..20 {
            let field = vec![0.0; 48];
            let mut slow = frustrated(seed);
            let mut quench = slow.clone();
            let mut rng_slow = Stream::new(seed, stream::LANDSCAPE);
            let mut rng_quench = Stream::new(seed, stream::LANDSCAPE);
            for sweep in 0..sweeps {
                // Geometric cooling from 2 (well above the SK critical temperature 1) to 0.05.
                let t = 2.0 * (0.05f64 / 2.0).powf(sweep as f64 / (sweeps - 1) as f64);
                slow.metropolis(48, t, &field, &mut rng_slow);
                quench.metropolis(48, 0.05, &field, &mut rng_quench);
            }
            differences.push(quench.frustration() - slow.frustration());
        }
        // Paired t-test: quench minus slow must be significantly positive (one-sided, p < 0.005,
        // t₁₉ critical value 2.861).
        let n = differences.len() as f64;
        let mean = differences.iter().sum::<f64>() / n;
        let sd = (differences.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let t = mean / (sd / n.sqrt());
        assert!(t > 2.861, "mean difference {mean:.4}, t = {t:.2}");
    }

    #[test]
    fn incremental_local_fields_match_a_recomputation() {
        let (mut landscape, field) = ten_spins(3);
        let mut rng = Stream::new(1, 2);
        landscape.metropolis(5000, 0.8, &field, &mut rng);
        let incremental = landscape.local_fields().to_vec();
        landscape.recompute_local_fields();
        for (a, b) in incremental.iter().zip(landscape.local_fields()) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn consolidation_moves_couplings_toward_the_state_and_back() {
        let mut landscape = Landscape::from_couplings(3, &[(0, 1, 0.0), (1, 2, 0.0)]);
        landscape.set_spins(&[1.0, -1.0, -1.0]);
        // Relaxation rate λ·rate_dt = 0.005 per step: 4000 steps leave e^{-20} of the start.
        for _ in 0..4000 {
            landscape.consolidate(0.01, 1.0, 0.5);
        }
        // Fixed point: J = J⁰ + η s_i s_j / λ = ±2.
        let j = landscape.couplings();
        assert!(j.iter().all(|v| (v.abs() - 2.0).abs() < 1e-3), "{j:?}");
        assert_eq!(landscape.frustration(), 0.0);
    }

    #[test]
    fn power_iteration_finds_the_largest_eigenvalue() {
        // Path of three nodes: eigenvalues ±√2 and 0 (bipartite).
        let value = largest_eigenvalue(3, &[(0, 1, 1.0), (1, 2, 1.0)]);
        assert!((value - 2f64.sqrt()).abs() < 1e-9, "{value}");
        let complete = largest_eigenvalue(
            4,
            &[
                (0, 1, 1.0),
                (0, 2, 1.0),
                (0, 3, 1.0),
                (1, 2, 1.0),
                (1, 3, 1.0),
                (2, 3, 1.0),
            ],
        );
        assert!((complete - 3.0).abs() < 1e-9);
    }
}
