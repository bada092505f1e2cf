//! Random streams: one ChaCha8 stream per purpose, and the project's own normal transform.
//!
//! Each purpose (field noise, landscape, pattern generation, …) draws from its own stream of
//! the experiment's seed, so recording more quantities, adding a purpose or running items on
//! other threads never shifts another purpose's numbers. The normal transform is written here
//! (not `rand_distr`), so a dependency upgrade cannot move outputs: the ziggurat method in
//! Doornik's ZIGNOR form (J. A. Doornik, "An improved ziggurat method to generate normal random
//! samples", 2005), 128 layers, one 64-bit draw per normal on the fast path (98.8% of draws).

use std::sync::OnceLock;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Stream ids per purpose. Patterns use `PATTERN_BASE + pattern index`.
pub mod stream {
    pub const FIELD_NOISE: u64 = 1;
    pub const LANDSCAPE: u64 = 2;
    pub const INITIAL_FIELD: u64 = 3;
    pub const INITIAL_SPINS: u64 = 4;
    pub const PATTERN_BASE: u64 = 1 << 32;
}

/// A seeded ChaCha8 stream whose exact position can be saved and restored.
#[derive(Debug, Clone)]
pub struct Stream {
    rng: ChaCha8Rng,
}

/// The saved position of a [`Stream`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamState {
    pub seed: u64,
    pub stream: u64,
    /// Position in 32-bit words (a u128 split for serialisers without u128).
    pub word_pos_hi: u64,
    pub word_pos_lo: u64,
}

/// Number of ziggurat layers.
const LAYERS: usize = 128;
/// Start of the tail (x of the base layer's right edge).
const TAIL_START: f64 = 3.442619855899;
/// Area of each layer.
const LAYER_AREA: f64 = 9.91256303526217e-3;

/// Layer edges x_i (x_0 the base's pseudo-width, x_128 = 0) and ratios x_{i+1}/x_i.
struct Ziggurat {
    edge: [f64; LAYERS + 1],
    ratio: [f64; LAYERS],
}

fn ziggurat() -> &'static Ziggurat {
    static TABLES: OnceLock<Ziggurat> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut edge = [0.0; LAYERS + 1];
        let mut f = (-0.5 * TAIL_START * TAIL_START).exp();
        edge[0] = LAYER_AREA / f;
        edge[1] = TAIL_START;
        edge[LAYERS] = 0.0;
        for i in 2..LAYERS {
            edge[i] = (-2.0 * (LAYER_AREA / edge[i - 1] + f).ln()).sqrt();
            f = (-0.5 * edge[i] * edge[i]).exp();
        }
        let mut ratio = [0.0; LAYERS];
        for i in 0..LAYERS {
            ratio[i] = edge[i + 1] / edge[i];
        }
        Ziggurat { edge, ratio }
    })
}

/// Expands a 64-bit experiment seed to ChaCha's 32-byte key (little-endian, zero-padded),
/// which is stable across rand_core versions unlike `seed_from_u64`'s PCG expansion.
fn key(seed: u64) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes
}

impl Stream {
    /// The stream `stream` of the experiment seed.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut rng = ChaCha8Rng::from_seed(key(seed));
        rng.set_stream(stream);
        Stream { rng }
    }

    /// Saves the exact position.
    pub fn save(&self) -> StreamState {
        let seed_bytes = self.rng.get_seed();
        let mut first = [0u8; 8];
        first.copy_from_slice(&seed_bytes[..8]);
        let pos = self.rng.get_word_pos();
        StreamState {
            seed: u64::from_le_bytes(first),
            stream: self.rng.get_stream(),
            word_pos_hi: (pos >> 64) as u64,
            word_pos_lo: pos as u64,
        }
    }

    /// Restores a saved position.
    pub fn restore(state: &StreamState) -> Self {
        let mut stream = Stream::new(state.seed, state.stream);
        stream
            .rng
            .set_word_pos((u128::from(state.word_pos_hi) << 64) | u128::from(state.word_pos_lo));
        stream
    }

    /// Uniform on [0, 1) with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform index in 0..n (n ≥ 1) by Lemire's multiply-shift on 32 bits; the bias is at
    /// most n/2³², negligible for landscapes below millions of nodes.
    #[inline]
    pub fn index(&mut self, n: usize) -> usize {
        ((u64::from(self.rng.next_u32()) * n as u64) >> 32) as usize
    }

    /// A uniform on (0, 1] (never 0, for logarithms).
    #[inline]
    fn open_uniform(&mut self) -> f64 {
        ((self.rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// One standard normal by the ziggurat.
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let tables = ziggurat();
        loop {
            let bits = self.rng.next_u64();
            // The low 7 bits pick the layer; the top 53 bits make u ∈ [−1, 1).
            let layer = (bits & 0x7f) as usize;
            let u = ((bits >> 11) as f64 * (1.0 / (1u64 << 52) as f64)) - 1.0;
            if u.abs() < tables.ratio[layer] {
                return u * tables.edge[layer];
            }
            if layer == 0 {
                return self.tail(u < 0.0);
            }
            let x = u * tables.edge[layer];
            let below = (-0.5 * (tables.edge[layer] * tables.edge[layer] - x * x)).exp();
            let above = (-0.5 * (tables.edge[layer + 1] * tables.edge[layer + 1] - x * x)).exp();
            if above + self.uniform() * (below - above) < 1.0 {
                return x;
            }
        }
    }

    /// A draw from the normal tail beyond the base layer (Marsaglia's tail method).
    #[cold]
    fn tail(&mut self, negative: bool) -> f64 {
        loop {
            let x = self.open_uniform().ln() / TAIL_START;
            let y = self.open_uniform().ln();
            if -2.0 * y >= x * x {
                return if negative {
                    x - TAIL_START
                } else {
                    TAIL_START - x
                };
            }
        }
    }

    /// A pair of independent standard normals.
    #[inline]
    pub fn normal_pair(&mut self) -> (f64, f64) {
        (self.normal(), self.normal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normals_have_unit_moments() {
        let mut stream = Stream::new(7, stream::FIELD_NOISE);
        let n = 400_000;
        let (mut s1, mut s2, mut s4) = (0.0, 0.0, 0.0);
        for _ in 0..n / 2 {
            let (a, b) = stream.normal_pair();
            for x in [a, b] {
                s1 += x;
                s2 += x * x;
                s4 += x * x * x * x;
            }
        }
        let n = n as f64;
        // Standard errors: mean 1/√n, variance √(2/n), fourth moment √(96/n).
        assert!((s1 / n).abs() < 4.0 / n.sqrt());
        assert!((s2 / n - 1.0).abs() < 4.0 * (2.0 / n).sqrt());
        assert!((s4 / n - 3.0).abs() < 4.0 * (96.0 / n).sqrt());
    }

    /// Φ(x) from the Maclaurin series erf(z) = 2/√π Σ (−1)^n z^{2n+1}/(n!(2n+1)), accurate to
    /// ~1e-15 absolute for |x| ≤ 5 (the terms stay below 1e3 there).
    fn normal_cdf(x: f64) -> f64 {
        let z = x / std::f64::consts::SQRT_2;
        let (mut term, mut sum, mut n) = (z, z, 0.0);
        while term.abs() > 1e-17 * sum.abs().max(1e-300) || n < 3.0 {
            n += 1.0;
            term *= -z * z / n;
            sum += term / (2.0 * n + 1.0);
            if n > 400.0 {
                break;
            }
        }
        0.5 * (1.0 + 2.0 / std::f64::consts::PI.sqrt() * sum)
    }

    #[test]
    fn normals_follow_the_normal_distribution_into_the_tails() {
        // χ² of counts in 40 equal-width bins over [−5, 5] plus the two outer tails, against
        // the exact Φ; bins cover the tail start 3.44, the layer boundaries and the centre.
        let mut stream = Stream::new(21, stream::FIELD_NOISE);
        let n = 4_000_000;
        let edges: Vec<f64> = (0..=40).map(|i| -5.0 + 0.25 * f64::from(i)).collect();
        let bin_of = |x: f64| {
            if x < -5.0 {
                0
            } else if x >= 5.0 {
                41
            } else {
                (1 + ((x + 5.0) / 0.25) as usize).min(41)
            }
        };
        let mut counts = vec![0u64; 42];
        // The same draws widened by 1%: the test must reject them.
        let mut widened = vec![0u64; 42];
        for _ in 0..n {
            let x = stream.normal();
            counts[bin_of(x)] += 1;
            widened[bin_of(1.01 * x)] += 1;
        }
        let mut probabilities = vec![normal_cdf(-5.0)];
        for w in edges.windows(2) {
            probabilities.push(normal_cdf(w[1]) - normal_cdf(w[0]));
        }
        probabilities.push(1.0 - normal_cdf(5.0));
        let statistic = |counts: &[u64]| {
            let (mut chi2, mut bins) = (0.0, 0);
            for (count, p) in counts.iter().zip(&probabilities) {
                let expected = n as f64 * p;
                if expected >= 5.0 {
                    chi2 += (*count as f64 - expected).powi(2) / expected;
                    bins += 1;
                }
            }
            (chi2, bins)
        };
        let (chi2, bins) = statistic(&counts);
        // 0.1% critical value of χ²(bins − 1 ≈ 39) is about 72.
        let dof = f64::from(bins - 1);
        let a = 2.0 / (9.0 * dof);
        let critical = dof * (1.0 - a + 3.09 * a.sqrt()).powi(3);
        assert!(
            chi2 < critical,
            "χ² = {chi2:.1} over {bins} bins, critical {critical:.1}"
        );
        let (wide_chi2, _) = statistic(&widened);
        assert!(
            wide_chi2 > critical,
            "a 1% wider normal passes (χ² = {wide_chi2:.1})"
        );
    }

    #[test]
    fn save_and_restore_continue_the_same_numbers() {
        let mut stream = Stream::new(3, 9);
        for _ in 0..17 {
            stream.normal();
        }
        let saved = stream.save();
        let mut copy = Stream::restore(&saved);
        for _ in 0..100 {
            assert_eq!(stream.normal().to_bits(), copy.normal().to_bits());
            assert_eq!(stream.index(77), copy.index(77));
        }
        let mut other = Stream::new(3, 10);
        assert_ne!(Stream::new(3, 9).uniform(), other.uniform());
    }
}
