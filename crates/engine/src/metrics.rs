//! Consonance, dissonance, noise and valence of the energised harmonic spectrum (model.md §6).
//!
//! Valence here is a proxy suggested by the Symmetry Theory of Valence: consonance minus
//! dissonance of the mode spectrum, discounted by how noisy (incoherent) the field is. It is
//! a number computed from the model, not a measurement of experience.

/// Pairwise kernels of a fixed set of frequencies (upper triangle, row-major j < k).
#[derive(Debug, Clone)]
pub struct SpectrumKernels {
    /// Sethares roughness 5(e^{−3.51 s Δf} − e^{−5.75 s Δf}).
    pub roughness: Vec<f64>,
    /// Harmonicity h(f_j / f_k).
    pub harmonicity: Vec<f64>,
    pub len: usize,
    /// The frequencies the kernels hold, for [`SpectrumKernels::follow`].
    frequencies: Vec<f64>,
}

/// Width of the harmonicity peaks in ln-frequency (model: 0.01).
const HARMONICITY_WIDTH: f64 = 0.01;
/// Largest p·q of the ratios that count as consonant (model: 64).
const HARMONICITY_MAX_ORDER: u32 = 64;

/// Sethares' roughness of two partials at `f_a`, `f_b` (Hz) of unit amplitude.
pub fn roughness(f_a: f64, f_b: f64) -> f64 {
    let f_min = f_a.min(f_b);
    let s = 0.24 / (0.0207 * f_min + 18.96);
    let delta = (f_a - f_b).abs();
    5.0 * ((-3.51 * s * delta).exp() - (-5.75 * s * delta).exp())
}

/// h(r) = max over p/q with p·q ≤ 64 of (p q)^{−½} exp(−(ln(r q / p))² / (2 · 0.01²)).
pub fn harmonicity(ratio: f64) -> f64 {
    let mut best: f64 = 0.0;
    for q in 1..=HARMONICITY_MAX_ORDER {
        // Only p near r·q can contribute (others are below e^{−18}); p·q ≤ 64 bounds the rest.
        let centre = (ratio * f64::from(q)).round() as i64;
        let lowest = (centre - 1).max(1);
        if lowest * i64::from(q) > i64::from(HARMONICITY_MAX_ORDER) {
            // The lowest candidate p never falls as q grows, so no larger q has one either.
            break;
        }
        for p in lowest..=centre + 1 {
            if p * i64::from(q) > i64::from(HARMONICITY_MAX_ORDER) {
                continue;
            }
            let p = p as u32;
            let relative = ratio * f64::from(q) / f64::from(p);
            if !(NEGLIGIBLE_BELOW..=NEGLIGIBLE_ABOVE).contains(&relative) {
                // Its peak value would underflow to exactly 0, which never raises `best`.
                continue;
            }
            let log_error = relative.ln();
            let value = (-(log_error * log_error) / (2.0 * HARMONICITY_WIDTH * HARMONICITY_WIDTH))
                .exp()
                / f64::from(p * q).sqrt();
            best = best.max(value);
        }
    }
    best
}

/// Outside [e^{−0.39}, e^{0.39}] a ratio's harmonicity term is exp(−x) with x > 0.39²/(2·0.01²)
/// = 760 > 745.2, which is exactly 0 in f64: skipping such candidates changes no bit.
const NEGLIGIBLE_BELOW: f64 = 0.677;
const NEGLIGIBLE_ABOVE: f64 = 1.477;

impl SpectrumKernels {
    /// Kernels for audible frequencies `frequencies` (Hz).
    pub fn new(frequencies: &[f64]) -> Self {
        let len = frequencies.len();
        let mut roughness_values = Vec::with_capacity(len * len.saturating_sub(1) / 2);
        let mut harmonicity_values = Vec::with_capacity(roughness_values.capacity());
        for j in 0..len {
            for k in j + 1..len {
                roughness_values.push(roughness(frequencies[j], frequencies[k]));
                harmonicity_values.push(harmonicity(frequencies[j] / frequencies[k]));
            }
        }
        SpectrumKernels {
            roughness: roughness_values,
            harmonicity: harmonicity_values,
            len,
            frequencies: frequencies.to_vec(),
        }
    }

    /// Makes the kernels those of `frequencies` (as many as before), recomputing only the pairs
    /// of which a frequency changed. A detuning moves the RSHWs of some regions and never the
    /// CSHWs, so most pairs keep their values; each recomputed value is the one
    /// [`SpectrumKernels::new`] would give.
    pub fn follow(&mut self, frequencies: &[f64]) {
        assert_eq!(
            frequencies.len(),
            self.len,
            "kernels follow as many frequencies"
        );
        let changed: Vec<bool> = self
            .frequencies
            .iter()
            .zip(frequencies)
            .map(|(old, new)| old.to_bits() != new.to_bits())
            .collect();
        if !changed.contains(&true) {
            return;
        }
        let mut index = 0;
        for j in 0..self.len {
            for k in j + 1..self.len {
                if changed[j] || changed[k] {
                    self.roughness[index] = roughness(frequencies[j], frequencies[k]);
                    self.harmonicity[index] = harmonicity(frequencies[j] / frequencies[k]);
                }
                index += 1;
            }
        }
        self.frequencies.copy_from_slice(frequencies);
    }

    /// (consonance, dissonance), each normalised by Σ_{j<k} a_j a_k (0 when that is 0).
    pub fn consonance_dissonance(&self, amplitudes: &[f64]) -> (f64, f64) {
        let (mut consonance, mut dissonance, mut norm) = (0.0, 0.0, 0.0);
        let mut index = 0;
        for j in 0..self.len {
            let a = amplitudes[j];
            for k in j + 1..self.len {
                let b = amplitudes[k];
                consonance += a * b * self.harmonicity[index];
                dissonance += a.min(b) * self.roughness[index];
                norm += a * b;
                index += 1;
            }
        }
        if norm > 0.0 {
            (consonance / norm, dissonance / norm)
        } else {
            (0.0, 0.0)
        }
    }
}

/// N = 1 − Σ_m |⟨z_m e^{−iω_m t}⟩|² / Σ_m ⟨|z_m|²⟩ (0 when there is no energy).
pub fn noise(mean_energy: &[f64], demod_re: &[f64], demod_im: &[f64]) -> f64 {
    let total: f64 = mean_energy.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let coherent: f64 = demod_re
        .iter()
        .zip(demod_im)
        .map(|(a, b)| a * a + b * b)
        .sum();
    1.0 - coherent / total
}

/// V = (C − D)/(C + D) · (1 − N), 0 when C + D = 0.
pub fn valence(consonance: f64, dissonance: f64, noise: f64) -> f64 {
    let sum = consonance + dissonance;
    if sum > 0.0 {
        (consonance - dissonance) / sum * (1.0 - noise)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roughness_peaks_where_sethares_puts_it() {
        // The kernel's maximum is at s Δf = ln(5.75/3.51)/(5.75 − 3.51).
        let f = 220.0;
        let s = 0.24 / (0.0207 * f + 18.96);
        let peak = (5.75f64 / 3.51).ln() / (5.75 - 3.51) / s;
        let at_peak = roughness(f, f + peak);
        assert_eq!(roughness(f, f), 0.0);
        assert!(at_peak > roughness(f, f + 0.8 * peak) && at_peak > roughness(f, f + 1.2 * peak));
        assert!(
            roughness(f, 2.0 * f) < 0.05 * at_peak,
            "an octave is far smoother than the peak"
        );
    }

    /// The same sum with neither shortcut: every q, and the three p nearest r·q evaluated.
    fn harmonicity_without_shortcuts(ratio: f64) -> f64 {
        let mut best: f64 = 0.0;
        for q in 1..=HARMONICITY_MAX_ORDER {
            let centre = (ratio * f64::from(q)).round() as i64;
            for p in (centre - 1).max(1)..=centre + 1 {
                if p * i64::from(q) > i64::from(HARMONICITY_MAX_ORDER) {
                    continue;
                }
                let p = p as u32;
                let log_error = (ratio * f64::from(q) / f64::from(p)).ln();
                let value = (-(log_error * log_error)
                    / (2.0 * HARMONICITY_WIDTH * HARMONICITY_WIDTH))
                    .exp()
                    / f64::from(p * q).sqrt();
                best = best.max(value);
            }
        }
        best
    }

    #[test]
    fn pruned_harmonicity_equals_the_unpruned_sum_bit_for_bit() {
        for bound in [NEGLIGIBLE_BELOW, NEGLIGIBLE_ABOVE] {
            let exponent = bound.ln().powi(2) / (2.0 * HARMONICITY_WIDTH * HARMONICITY_WIDTH);
            assert!(exponent > 746.0 && (-exponent).exp() == 0.0, "{bound}");
        }
        let mut ratio = 0.02;
        while ratio < 70.0 {
            assert_eq!(
                harmonicity(ratio).to_bits(),
                harmonicity_without_shortcuts(ratio).to_bits(),
                "ratio {ratio}"
            );
            ratio *= 1.000_37;
        }
    }

    #[test]
    fn harmonicity_ranks_simple_ratios_above_the_golden_mean() {
        let golden = (1.0 + 5f64.sqrt()) / 2.0;
        assert!((harmonicity(1.0) - 1.0).abs() < 1e-12);
        assert!((harmonicity(1.5) - 1.0 / 6f64.sqrt()).abs() < 1e-12);
        assert!(harmonicity(2.0) > harmonicity(1.5));
        assert!(
            harmonicity(golden) < 0.25 * harmonicity(1.5),
            "{}",
            harmonicity(golden)
        );
    }

    #[test]
    fn valence_prefers_a_consonant_coherent_spectrum() {
        let consonant = SpectrumKernels::new(&[220.0, 330.0, 440.0]);
        let dissonant = SpectrumKernels::new(&[220.0, 233.0, 247.0]);
        let amplitudes = [1.0, 1.0, 1.0];
        let (c1, d1) = consonant.consonance_dissonance(&amplitudes);
        let (c2, d2) = dissonant.consonance_dissonance(&amplitudes);
        assert!(valence(c1, d1, 0.0) > 0.0);
        assert!(valence(c2, d2, 0.0) < 0.0);
        assert!(valence(c1, d1, 0.5) < valence(c1, d1, 0.0));
        assert_eq!(noise(&[1.0, 1.0], &[1.0, 0.0], &[0.0, 1.0]), 0.0);
        assert_eq!(noise(&[1.0, 1.0], &[0.0, 0.0], &[0.0, 0.0]), 1.0);
    }
}
