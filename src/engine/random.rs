//! Random streams: one ChaCha8 stream per purpose, and the project's own normal transform.
//!
//! Each purpose (field noise, landscape, pattern generation, …) draws from its own stream of
//! the experiment's seed, so recording more quantities, adding a purpose or running items on
//! other threads never shifts another purpose's numbers. The normal transform is Marsaglia's
//! polar method written here (not `rand_distr`), so a dependency upgrade cannot move outputs.

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
    /// A second normal from the last polar draw, kept so no randomness is wasted.
    spare_normal: Option<f64>,
}

/// The saved position of a [`Stream`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamState {
    pub seed: u64,
    pub stream: u64,
    /// Position in 32-bit words (a u128 split for serialisers without u128).
    pub word_pos_hi: u64,
    pub word_pos_lo: u64,
    pub spare_normal: Option<f64>,
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
        Stream { rng, spare_normal: None }
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
            spare_normal: self.spare_normal,
        }
    }

    /// Restores a saved position.
    pub fn restore(state: &StreamState) -> Self {
        let mut stream = Stream::new(state.seed, state.stream);
        stream.rng.set_word_pos((u128::from(state.word_pos_hi) << 64) | u128::from(state.word_pos_lo));
        stream.spare_normal = state.spare_normal;
        stream
    }

    /// Uniform on [0, 1) with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on (−1, 1) with 53 random bits.
    #[inline]
    fn symmetric(&mut self) -> f64 {
        ((self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 52) as f64)) - 1.0
    }

    /// A uniform index in 0..n (n ≥ 1) by Lemire's multiply-shift on 32 bits; the bias is at
    /// most n/2³², negligible for landscapes below millions of nodes.
    #[inline]
    pub fn index(&mut self, n: usize) -> usize {
        ((u64::from(self.rng.next_u32()) * n as u64) >> 32) as usize
    }

    /// A pair of independent standard normals (Marsaglia's polar method).
    #[inline]
    pub fn normal_pair(&mut self) -> (f64, f64) {
        loop {
            let u = self.symmetric();
            let v = self.symmetric();
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let factor = (-2.0 * s.ln() / s).sqrt();
                return (u * factor, v * factor);
            }
        }
    }

    /// One standard normal (uses the spare of the last pair when there is one).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        if let Some(value) = self.spare_normal.take() {
            return value;
        }
        let (a, b) = self.normal_pair();
        self.spare_normal = Some(b);
        a
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
