//! The fast layer: complex mode amplitudes advanced by the exact exponential step.
//!
//! Over one step the coefficients (ω, γ, Θ*, drive amplitudes) are frozen and the linear
//! stochastic equation dz = (iω − γ) z dt + g e^{iΩt} dt + noise is integrated exactly:
//!
//!   z ← α z + g e^{iΩt} e^{iΩ dt} dt φ(x) + √(Θ* (1 − ρ²)) ζ,
//!   ρ = e^{−γ dt}, α = ρ e^{iω dt}, x = (γ + i(Ω − ω)) dt, φ(x) = (1 − e^{−x}) / x,
//!
//! which is model.md's (e^{iΩdt} − α)/(γ + i(Ω − ω)) rewritten so that it stays accurate when
//! γ → 0 and Ω → ω (φ's Taylor series below |x| = 1e-4). ζ is a complex standard normal with
//! real and imaginary parts N(0, ½). The step is stable and exact for any dt.

use super::random::Stream;
use super::trig;

/// Per-mode coefficients of the exact step, recomputed only when γ, ω or Θ* change.
#[derive(Debug, Clone, Default)]
pub struct StepCoefficients {
    pub alpha_re: Vec<f64>,
    pub alpha_im: Vec<f64>,
    /// √(Θ* (1 − ρ²) / 2): the standard deviation of each noise component.
    pub noise: Vec<f64>,
    /// ρ² = e^{−2γ dt}: the factor by which a mode's expected energy relaxes toward its bath
    /// target over one step (E ← Θ* + (E − Θ*) ρ² in expectation).
    pub energy_decay: Vec<f64>,
    /// For each drive, per mode, g_{s,m} e^{iΩ dt} dt φ(x) (multiplied each step by the
    /// drive's envelope and e^{iΩ t}).
    pub drive_re: Vec<Vec<f64>>,
    pub drive_im: Vec<Vec<f64>>,
    /// What the coefficients were last built from that changes rarely, with the values
    /// derived from it: see [`SlowParts`].
    slow: SlowParts,
}

/// The parts of the coefficients that depend only on inputs which change rarely or take few
/// distinct values, kept between updates. The bath Θ and the sink gain move at every step of
/// a cooling or a sink schedule, so the coefficients are rebuilt at every step; but the
/// rotations e^{iω dt} and e^{i(Ω − ω) dt} change only with the frequencies (a detuning), and
/// the decay e^{−γ dt} takes one value per band and plastic damping. Recomputing them only when
/// their own inputs change saves the sines, cosines and exponentials of every mode and drive at
/// every step, and gives the same bits: each is the same function of the same input.
#[derive(Debug, Clone, Default)]
struct SlowParts {
    /// ω dt per mode, and Ω dt per drive, for which the rotations below hold.
    omega: Vec<f64>,
    drive_omega: Vec<f64>,
    /// (sin ω dt, cos ω dt) per mode.
    rotation: Vec<(f64, f64)>,
    /// Per drive, per mode: (Ω − ω) dt and its (sin, cos), the phase drift inside φ.
    detuning: Vec<Vec<f64>>,
    detuning_rotation: Vec<Vec<(f64, f64)>>,
    /// (sin Ω dt, cos Ω dt) per drive.
    drive_rotation: Vec<(f64, f64)>,
    /// γ per mode and ρ = e^{−γ dt} for it.
    gamma: Vec<f64>,
    rho: Vec<f64>,
}

impl SlowParts {
    /// Rebuilds the rotations if the frequencies or the time step differ from those they hold.
    fn follow_frequencies(&mut self, dt: f64, omega: &[f64], drive_omega: &[f64]) {
        let same = self.omega.len() == omega.len()
            && self.drive_omega.len() == drive_omega.len()
            && self.omega.iter().zip(omega).all(|(a, w)| *a == w * dt)
            && self
                .drive_omega
                .iter()
                .zip(drive_omega)
                .all(|(a, w)| *a == w * dt);
        if same {
            return;
        }
        self.omega = omega.iter().map(|w| w * dt).collect();
        self.drive_omega = drive_omega.iter().map(|w| w * dt).collect();
        self.rotation = self.omega.iter().map(|x| trig::sin_cos(*x)).collect();
        self.drive_rotation = self.drive_omega.iter().map(|x| trig::sin_cos(*x)).collect();
        self.detuning = drive_omega
            .iter()
            .map(|big| omega.iter().map(|w| (big - w) * dt).collect())
            .collect();
        self.detuning_rotation = self
            .detuning
            .iter()
            .map(|row: &Vec<f64>| row.iter().map(|b| trig::sin_cos(*b)).collect())
            .collect();
    }

    /// ρ = e^{−γ dt} of mode `i`, recomputed only when its γ changed; a mode with the same γ as
    /// the mode before it (modes of one band) reuses that mode's value.
    fn rho(&mut self, i: usize, gamma: f64, dt: f64) -> f64 {
        if self.gamma[i] != gamma {
            self.rho[i] = if i > 0 && self.gamma[i - 1] == gamma {
                self.rho[i - 1]
            } else {
                (-gamma * dt).exp()
            };
            self.gamma[i] = gamma;
        }
        self.rho[i]
    }
}

/// (1 − e^{−x}) / x for complex x = (a, b), accurate near 0.
#[cfg(test)]
fn phi(a: f64, b: f64) -> (f64, f64) {
    phi_from_parts(a, b, (-a).exp(), b.sin_cos())
}

/// φ(a + ib) given e^{−a} and (sin b, cos b), which the step coefficients keep between
/// updates.
fn phi_from_parts(a: f64, b: f64, decay: f64, (sin_b, cos_b): (f64, f64)) -> (f64, f64) {
    let modulus2 = a * a + b * b;
    if modulus2 < 1e-8 {
        // 1 − x/2 + x²/6 − x³/24; the next term is below 1e-18.
        let (x2r, x2i) = (a * a - b * b, 2.0 * a * b);
        let (x3r, x3i) = (x2r * a - x2i * b, x2r * b + x2i * a);
        return (
            1.0 - a / 2.0 + x2r / 6.0 - x3r / 24.0,
            -b / 2.0 + x2i / 6.0 - x3i / 24.0,
        );
    }
    // 1 − e^{−x} = 1 − e^{−a}(cos b − i sin b)
    let (nr, ni) = (1.0 - decay * cos_b, decay * sin_b);
    // divide by (a + ib)
    ((nr * a + ni * b) / modulus2, (ni * a - nr * b) / modulus2)
}

impl StepCoefficients {
    /// Fills the coefficients for damping `gamma`, angular frequency `omega`, bath target
    /// `theta_star` (per mode), and the drives' angular frequencies and per-mode gains.
    pub fn update(
        &mut self,
        dt: f64,
        gamma: &[f64],
        omega: &[f64],
        theta_star: &[f64],
        drive_omega: &[f64],
        drive_gain: &[Vec<f64>],
    ) {
        let m = gamma.len();
        self.alpha_re.resize(m, 0.0);
        self.alpha_im.resize(m, 0.0);
        self.noise.resize(m, 0.0);
        self.energy_decay.resize(m, 0.0);
        let slow = &mut self.slow;
        slow.follow_frequencies(dt, omega, drive_omega);
        // A NaN never equals itself, so every mode's ρ is computed on the first update.
        slow.gamma.resize(m, f64::NAN);
        slow.rho.resize(m, 0.0);
        for i in 0..m {
            let rho = slow.rho(i, gamma[i], dt);
            let (s, c) = slow.rotation[i];
            self.alpha_re[i] = rho * c;
            self.alpha_im[i] = rho * s;
            self.noise[i] = (0.5 * theta_star[i] * (1.0 - rho * rho)).sqrt();
            self.energy_decay[i] = rho * rho;
        }
        self.drive_re.resize(drive_omega.len(), Vec::new());
        self.drive_im.resize(drive_omega.len(), Vec::new());
        for d in 0..drive_omega.len() {
            let (rot_s, rot_c) = slow.drive_rotation[d];
            let (re, im) = (&mut self.drive_re[d], &mut self.drive_im[d]);
            re.resize(m, 0.0);
            im.resize(m, 0.0);
            for i in 0..m {
                let g = drive_gain[d][i];
                if g == 0.0 {
                    re[i] = 0.0;
                    im[i] = 0.0;
                    continue;
                }
                // e^{−γ dt} is ρ, the same exponential of the same argument.
                let (pr, pi) = phi_from_parts(
                    gamma[i] * dt,
                    slow.detuning[d][i],
                    slow.rho[i],
                    slow.detuning_rotation[d][i],
                );
                // g · e^{iΩdt} · dt · φ
                re[i] = g * dt * (rot_c * pr - rot_s * pi);
                im[i] = g * dt * (rot_c * pi + rot_s * pr);
            }
        }
    }
}

/// Advances every amplitude by one exact step. `drive_phasor[d]` is the drive's current
/// complex factor a_s(t) h_s(t) e^{iΩ_s t}; `noisy` skips the noise draw when every Θ* is 0.
pub fn exact_step(
    z_re: &mut [f64],
    z_im: &mut [f64],
    coefficients: &StepCoefficients,
    drive_phasor: &[(f64, f64)],
    noise: &mut Stream,
    noisy: bool,
) {
    let m = z_re.len();
    let (ar, ai, sd) = (
        &coefficients.alpha_re[..m],
        &coefficients.alpha_im[..m],
        &coefficients.noise[..m],
    );
    if noisy {
        for i in 0..m {
            let (x, y) = (z_re[i], z_im[i]);
            let (n1, n2) = noise.normal_pair();
            z_re[i] = ar[i] * x - ai[i] * y + sd[i] * n1;
            z_im[i] = ar[i] * y + ai[i] * x + sd[i] * n2;
        }
    } else {
        for i in 0..m {
            let (x, y) = (z_re[i], z_im[i]);
            z_re[i] = ar[i] * x - ai[i] * y;
            z_im[i] = ar[i] * y + ai[i] * x;
        }
    }
    for (d, &(pr, pi)) in drive_phasor.iter().enumerate() {
        if pr == 0.0 && pi == 0.0 {
            continue;
        }
        let (cr, ci) = (
            &coefficients.drive_re[d][..m],
            &coefficients.drive_im[d][..m],
        );
        for i in 0..m {
            z_re[i] += cr[i] * pr - ci[i] * pi;
            z_im[i] += cr[i] * pi + ci[i] * pr;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phi_matches_its_definition_on_both_sides_of_the_series_switch() {
        for (a, b) in [
            (1e-5, 2e-5),
            (3e-5, 0.0),
            (0.0, 1e-4 * 0.99),
            (0.5, -2.0),
            (1e-3, 1e-3),
        ] {
            let (pr, pi) = phi(a, b);
            // direct formula with the complex exponential in extended form
            let decay = (-a).exp();
            let (nr, ni) = (1.0 - decay * b.cos(), decay * b.sin());
            let m2 = a * a + b * b;
            let (dr, di) = ((nr * a + ni * b) / m2, (ni * a - nr * b) / m2);
            let tolerance = if m2 < 1e-6 { 1e-7 } else { 1e-13 };
            assert!(
                (pr - dr).abs() < tolerance && (pi - di).abs() < tolerance,
                "x = ({a}, {b}): ({pr}, {pi}) vs ({dr}, {di})"
            );
        }
        assert_eq!(phi(0.0, 0.0), (1.0, 0.0));
    }

    #[test]
    fn undriven_noiseless_step_is_the_exact_rotation_and_decay() {
        let mut coefficients = StepCoefficients::default();
        coefficients.update(0.3, &[0.2], &[5.0], &[0.0], &[], &[]);
        let (mut re, mut im) = (vec![1.0], vec![0.0]);
        let mut stream = Stream::new(0, 0);
        for _ in 0..10 {
            exact_step(&mut re, &mut im, &coefficients, &[], &mut stream, false);
        }
        let t: f64 = 3.0;
        let expected = (
            (-0.2 * t).exp() * (5.0 * t).cos(),
            (-0.2 * t).exp() * (5.0 * t).sin(),
        );
        assert!((re[0] - expected.0).abs() < 1e-12 && (im[0] - expected.1).abs() < 1e-12);
    }
}
