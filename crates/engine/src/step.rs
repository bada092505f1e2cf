//! One step of the field: schedules and inputs, the exact field step, injection locking,
//! temperatures, the divergence check and structural plasticity.

use super::*;

impl Engine {
    /// Recomputes everything derived from the mode frequencies (after detuning).
    pub(crate) fn frequencies_changed(&mut self) {
        for i in 0..self.omega.len() {
            self.omega[i] = match (self.bands[i], self.mode_region[i]) {
                (Band::Rsh, Some(r)) => self.base_omega[i] * (1.0 + self.detuning[r]),
                _ => self.base_omega[i],
            };
        }
        if locking::refresh_ratios(
            &mut self.pairs,
            &self.omega,
            self.plan.locking.max_denominator,
        ) {
            self.coupling =
                PairCoupling::new(&self.pairs, self.omega.len(), self.plan.locking.epsilon);
        }
        for component in &self.components {
            if let CompiledAction::Metronome { slot, omega, .. } = component.action {
                self.metronome_links[slot] = locking::metronome_links(
                    omega,
                    &self.omega,
                    self.plan.locking.max_denominator,
                    self.plan.locking.prune_below,
                );
            }
        }
        self.demod_rotation = self
            .omega
            .iter()
            .map(|w| (-w * self.dt).sin_cos())
            .collect();
        self.coefficient_key.clear();
    }

    /// Evaluates the schedules at `step` and rebuilds the step coefficients when an input
    /// changed. Fails on a non-physical bath target (injection without damping).
    pub(crate) fn evaluate_inputs(&mut self, step: u64, theta: f64) -> Result<(), EngineError> {
        let plan = &self.plan;
        self.envelope_values.clear();
        for component in &self.components {
            self.envelope_values.push(
                schedule::envelope_value(&component.envelope, step, self.dt) * component.scale,
            );
        }
        let sigma = schedule::profile_value(&plan.sinks.profile, step);
        let mut pass = 1.0;
        let mut boost = 0.0;
        for (component, a) in self.components.iter().zip(&self.envelope_values) {
            match component.action {
                // Independent suppressions combine as 1 − Π(1 − u_s), which stays in [0, 1].
                CompiledAction::Suppression { level } => pass *= 1.0 - level * a,
                // Boosts add: b = Σ b_s a_s(t) ≥ 0 (levels, scales and envelopes are ≥ 0).
                CompiledAction::Boost { level } => boost += level * a,
                _ => {}
            }
        }
        let suppression = 1.0 - pass;
        let sink_gain = plan.sinks.gain * sigma * (1.0 - suppression + boost);
        self.current.bath = theta;
        self.current.sink_gain = sink_gain;
        self.current.suppression = suppression;
        // The key of every input of the coefficients; unchanged key ⇒ unchanged coefficients.
        let mut key = std::mem::take(&mut self.key_scratch);
        key.clear();
        key.push(theta);
        key.push(sink_gain);
        for (component, a) in self.components.iter().zip(&self.envelope_values) {
            if matches!(component.action, CompiledAction::Broadband { .. }) {
                key.push(*a);
            }
        }
        if key == self.coefficient_key {
            self.key_scratch = key;
            return Ok(());
        }
        let m = self.omega.len();
        self.injection.iter_mut().for_each(|d| *d = 0.0);
        for (component, a) in self.components.iter().zip(&self.envelope_values) {
            if let CompiledAction::Broadband { rate_per_mode } = &component.action
                && *a != 0.0
            {
                for i in 0..m {
                    self.injection[i] += a * rate_per_mode[i];
                }
            }
        }
        for i in 0..m {
            self.gamma[i] = plan.field.gamma0 + sink_gain * self.kappa[i] + self.delta_gamma[i];
            let target = if self.injection[i] == 0.0 {
                theta
            } else {
                theta + self.injection[i] / (2.0 * self.gamma[i])
            };
            if !target.is_finite() || target < 0.0 {
                return Err(EngineError::Divergence {
                    step,
                    quantity: format!(
                        "bath target Θ* of mode {i} (injection {} with damping {})",
                        self.injection[i], self.gamma[i]
                    ),
                    value: target,
                });
            }
            self.theta_star[i] = target;
        }
        self.coefficients.update(
            self.dt,
            &self.gamma,
            &self.omega,
            &self.theta_star,
            &self.drive_omega,
            &self.drive_gain,
        );
        self.noisy = self.coefficients.noise.iter().any(|s| *s != 0.0);
        self.key_scratch = std::mem::replace(&mut self.coefficient_key, key);
        Ok(())
    }

    /// Advances `n` steps (stops at the first error, which every later call repeats).
    pub fn step(&mut self, n: u64) -> Result<(), EngineError> {
        if let Some(error) = &self.failure {
            return Err(error.clone());
        }
        for _ in 0..n {
            if let Err(error) = self.advance_one() {
                self.failure = Some(error.clone());
                return Err(error);
            }
        }
        Ok(())
    }

    /// Runs to the plan's `n_steps` in chunks of `chunk` steps, calling `progress(done, total)`
    /// after each chunk (for progress bars).
    pub fn run_with_progress(
        &mut self,
        chunk: u64,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<(), EngineError> {
        let total = self.plan.n_steps;
        let chunk = chunk.max(1);
        while self.step < total {
            let n = chunk.min(total - self.step);
            self.step(n)?;
            progress(self.step, total);
        }
        Ok(())
    }

    /// Runs to the plan's `n_steps`.
    pub fn run(&mut self) -> Result<(), EngineError> {
        self.run_with_progress(u64::MAX, |_, _| {})
    }

    fn advance_one(&mut self) -> Result<(), EngineError> {
        let n = self.step;
        let dt = self.dt;
        let theta = self.cooling_clock.theta(&self.plan.cooling, n);
        self.evaluate_inputs(n, theta)?;
        // Drive phasors a_s h_s e^{iΩ_s t_n}; the phase is reduced exactly as a fraction of a turn.
        let mut drive_phasor = std::mem::take(&mut self.drive_phasor);
        drive_phasor.iter_mut().for_each(|p| *p = (0.0, 0.0));
        let time = n as f64 * dt;
        for (c, component) in self.components.iter().enumerate() {
            if let CompiledAction::Drive { slot, habituation } = component.action {
                let a = self.envelope_values[c];
                if a == 0.0 {
                    continue;
                }
                let gain = match habituation {
                    Some((tau, depth)) => 1.0 - depth * (1.0 - (-self.exposure[slot] / tau).exp()),
                    None => 1.0,
                };
                let turns = self.drive_omega[slot] / std::f64::consts::TAU * time;
                let (s, co) = (std::f64::consts::TAU * (turns - turns.floor())).sin_cos();
                drive_phasor[slot] = (a * gain * co, a * gain * s);
                self.exposure[slot] += a.abs();
            }
        }
        field::exact_step(
            &mut self.z_re,
            &mut self.z_im,
            &self.coefficients,
            &drive_phasor,
            &mut self.noise,
            self.noisy,
        );
        self.drive_phasor = drive_phasor;
        self.apply_locking(n + 1);
        // Energies and moving averages.
        let m = self.z_re.len();
        let beta = smoothing(self.plan.metrics.window_steps);
        for i in 0..m {
            let (x, y) = (self.z_re[i], self.z_im[i]);
            let e = x * x + y * y;
            self.energy[i] = e;
            self.mean_energy[i] += beta * (e - self.mean_energy[i]);
            follow_bath(
                &mut self.bath_energy[i],
                &mut self.windowed_bath[i],
                theta,
                self.coefficients.energy_decay[i],
                beta,
            );
            // Demodulation phasor e^{−iω t}, renormalised so rounding cannot make it drift.
            let (s, c) = self.demod_rotation[i];
            let (pr, pi) = (self.phasor_re[i], self.phasor_im[i]);
            let (mut nr, mut ni) = (pr * c - pi * s, pr * s + pi * c);
            let correction = 1.5 - 0.5 * (nr * nr + ni * ni);
            nr *= correction;
            ni *= correction;
            self.phasor_re[i] = nr;
            self.phasor_im[i] = ni;
            self.demod_re[i] += beta * (x * nr - y * ni - self.demod_re[i]);
            self.demod_im[i] += beta * (x * ni + y * nr - self.demod_im[i]);
        }
        self.update_temperatures();
        self.step = n + 1;
        self.check_finite()?;
        self.structural_plasticity()?;
        self.run_landscape()?;
        // Only reheating after a stall watches an energy; skip its O(n) cost otherwise.
        if matches!(
            self.plan.cooling.reheat,
            Some(anneal_plan::Reheat::AfterStall { .. })
        ) {
            let monitored = match &self.landscape {
                Some(run) => run.landscape.energy_per_node(&run.field),
                None => self.current.smoothed_temperature,
            };
            if self
                .cooling_clock
                .observe(&self.plan.cooling, self.step, monitored)
            {
                self.push_event(EventKind::Reheat);
            }
        }
        self.record_due();
        Ok(())
    }

    fn apply_locking(&mut self, next_step: u64) {
        let active_metronome = self
            .components
            .iter()
            .zip(&self.envelope_values)
            .any(|(c, a)| matches!(c.action, CompiledAction::Metronome { .. }) && *a != 0.0);
        if self.pairs.is_empty() && !active_metronome {
            return;
        }
        for i in 0..self.z_re.len() {
            self.energy[i] = self.z_re[i] * self.z_re[i] + self.z_im[i] * self.z_im[i];
        }
        self.coupling.powers.fill(&self.z_re, &self.z_im);
        self.coupling.apply(
            &self.energy,
            smoothing(self.plan.locking.window_steps),
            &mut self.pair_index_re,
            &mut self.pair_index_im,
            &mut self.dtheta,
        );
        let time = next_step as f64 * self.dt;
        for (c, component) in self.components.iter().enumerate() {
            if let CompiledAction::Metronome {
                slot,
                omega,
                coupling,
            } = component.action
            {
                let a = self.envelope_values[c];
                if a == 0.0 {
                    continue;
                }
                let turns = omega / std::f64::consts::TAU * time;
                let phase = std::f64::consts::TAU * (turns - turns.floor());
                locking::metronome_coupling(
                    &self.metronome_links[slot],
                    phase,
                    coupling * a,
                    &self.coupling.powers,
                    &mut self.dtheta,
                );
            }
        }
        locking::apply_rotation(&mut self.z_re, &mut self.z_im, &mut self.dtheta, self.dt);
    }

    /// T, T̄, per-band T and P(T̄) from `self.energy`, which holds |z|² of the current state
    /// (filled by the averaging loop of each step, by `new` and by `restore`).
    pub(crate) fn update_temperatures(&mut self) {
        let rest = self.plan.field.theta_rest;
        let mut band_energy = [0.0; 3];
        for (i, band) in self.bands.iter().enumerate() {
            band_energy[band.index()] += self.energy[i];
        }
        let total: f64 = band_energy.iter().sum();
        self.current.band_energy = band_energy;
        self.current.temperature = total / (self.bands.len() as f64 * rest);
        for b in 0..3 {
            self.current.band_temperature[b] = if self.band_count[b] > 0 {
                band_energy[b] / (self.band_count[b] as f64 * rest)
            } else {
                0.0
            };
        }
        let mean_total: f64 = self.mean_energy.iter().sum();
        self.current.smoothed_temperature = mean_total / (self.bands.len() as f64 * rest);
        let tp = self.plan.field.plastic_temperature;
        self.current.plasticity =
            ((self.current.smoothed_temperature - 1.0) / (tp - 1.0)).clamp(0.0, 1.0);
    }

    /// Reports the first non-finite or overflowing quantity of the field.
    pub(crate) fn check_finite(&self) -> Result<(), EngineError> {
        let total: f64 = self.current.band_energy.iter().sum();
        if total.is_finite() && total < OVERFLOW_ENERGY {
            return Ok(());
        }
        for i in 0..self.z_re.len() {
            let e = self.z_re[i] * self.z_re[i] + self.z_im[i] * self.z_im[i];
            if !e.is_finite() || e >= OVERFLOW_ENERGY {
                return Err(EngineError::Divergence {
                    step: self.step,
                    quantity: format!("energy of mode {i}"),
                    value: e,
                });
            }
        }
        Err(EngineError::Divergence {
            step: self.step,
            quantity: "total field energy".into(),
            value: total,
        })
    }

    /// Moves Δγ (CSHWs) and the region detunings δ_r toward the targets of the active plastic
    /// components at rate P(T) Σ a·rate, by exact relaxation over the step.
    fn structural_plasticity(&mut self) -> Result<(), EngineError> {
        let p = self.current.plasticity;
        if p == 0.0 {
            return Ok(());
        }
        let (mut gamma_rate, mut gamma_pull) = (0.0, 0.0);
        let n_regions = self.detuning.len();
        let mut detune_rate = vec![0.0; n_regions];
        let mut detune_pull = vec![0.0; n_regions];
        let mut any = false;
        for (component, a) in self.components.iter().zip(&self.envelope_values) {
            let a = a.abs();
            if a == 0.0 {
                continue;
            }
            match &component.action {
                CompiledAction::Weaken { delta_gamma, rate } => {
                    gamma_rate += a * rate;
                    gamma_pull += a * rate * delta_gamma;
                    any = true;
                }
                CompiledAction::Detune { regions, rate } => {
                    for &r in regions {
                        if let Some((j, k)) = self.detune_reference[r] {
                            let ratio = self.base_omega[j] / self.base_omega[k];
                            let target = nearest_noble(ratio) / ratio - 1.0;
                            detune_rate[r] += a * rate;
                            detune_pull[r] += a * rate * target;
                            any = true;
                        }
                    }
                }
                CompiledAction::Restore { rate } => {
                    gamma_rate += a * rate;
                    for r in 0..n_regions {
                        detune_rate[r] += a * rate;
                    }
                    any = true;
                }
                _ => {}
            }
        }
        if !any {
            return Ok(());
        }
        if gamma_rate > 0.0 {
            let target = gamma_pull / gamma_rate;
            let keep = (-p * gamma_rate * self.dt).exp();
            for i in 0..self.delta_gamma.len() {
                if self.bands[i] == Band::Csh {
                    self.delta_gamma[i] = target + (self.delta_gamma[i] - target) * keep;
                }
            }
            self.coefficient_key.clear();
        }
        let mut detuned = false;
        for r in 0..n_regions {
            if detune_rate[r] > 0.0 {
                let target = detune_pull[r] / detune_rate[r];
                let keep = (-p * detune_rate[r] * self.dt).exp();
                let moved = target + (self.detuning[r] - target) * keep;
                // A pull toward the value a region already holds (a restoring source on an
                // untouched region, or a detuning that has converged) leaves it unchanged, and
                // then the frequencies and everything derived from them stay as they are: their
                // rebuild (ratios, kernels, rotations) would cost more than the step itself.
                detuned |= moved != self.detuning[r];
                self.detuning[r] = moved;
            }
        }
        if detuned {
            self.frequencies_changed();
        }
        if let Some(value) = self
            .delta_gamma
            .iter()
            .chain(&self.detuning)
            .find(|v| !v.is_finite())
        {
            return Err(EngineError::Divergence {
                step: self.step,
                quantity: "structural plasticity".into(),
                value: *value,
            });
        }
        Ok(())
    }
}
