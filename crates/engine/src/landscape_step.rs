//! The attractor landscape's part of a step: its field from the CSHWs, Metropolis sweeps,
//! consolidation and the events it raises.

use super::*;

impl Engine {
    pub(crate) fn run_landscape(&mut self) -> Result<(), EngineError> {
        let Some(settings) = &self.plan.landscape else {
            return Ok(());
        };
        let temperature = self.current.smoothed_temperature;
        let plasticity = self.current.plasticity;
        let step = self.step;
        // The neutral field compares each CSHW's windowed energy with the windowed energy the
        // bath alone would give it; with no bath (Θ = 0) there is no bath share, and Θ_rest
        // sets the scale instead.
        let bath_present = self.current.bath > 0.0;
        let theta_rest = self.plan.field.theta_rest;
        let run = self
            .landscape
            .as_mut()
            .expect("landscape settings imply a landscape run");
        let n = run.landscape.len();
        // External field: content patterns of active sources plus the neutral field, refreshed
        // every `field_every_steps` steps (step 1 is the first step that runs the landscape).
        if (step - 1).is_multiple_of(settings.field_every_steps) {
            run.field.iter_mut().for_each(|h| *h = 0.0);
            for (component, a) in self.components.iter().zip(&self.envelope_values) {
                if let CompiledAction::Content { pattern, strength } = component.action
                    && *a != 0.0
                {
                    for (h, x) in run.field.iter_mut().zip(&run.patterns[pattern]) {
                        *h += a * strength * x;
                    }
                }
            }
            if settings.neutral_field_gain != 0.0 {
                let beta = smoothing(self.plan.metrics.window_steps);
                for (k, projection) in run.csh_modes.iter().zip(&run.projections) {
                    // Only the excess beyond what equilibrium fluctuation of the windowed energy
                    // explains counts (subtracted, so the field grows continuously from zero):
                    // at rest each Ē_k wanders by about a quarter of Θ, and the square root
                    // turned that into a random field of order one per CSHW that disordered
                    // the resting landscape.
                    // The reference is the bath passed through the mode's relaxation and the
                    // window (`follow_bath`), not the instantaneous bath: after a fast drop of
                    // Θ the windowed energy lags above the new bath for minutes, and counted
                    // against Θ that leftover heat made a spurious fading field on a quench.
                    let spread = window_spread(beta, self.gamma[*k], self.dt);
                    let reference = if bath_present {
                        self.windowed_bath[*k]
                    } else {
                        theta_rest
                    };
                    let excess =
                        self.mean_energy[*k] / reference - 1.0 - NEUTRAL_FIELD_SIGMAS * spread;
                    if excess > 0.0 {
                        let weight = settings.neutral_field_gain * excess.sqrt();
                        for (h, x) in run.field.iter_mut().zip(projection) {
                            *h += weight * x;
                        }
                    }
                }
            }
        }
        run.attempt_credit += settings.sweeps_per_second * self.dt * n as f64;
        let attempts = run.attempt_credit.floor();
        run.attempt_credit -= attempts;
        let search_temperature = settings
            .fixed_temperature
            .unwrap_or(settings.temperature_ratio * temperature);
        let flips = run.landscape.metropolis(
            attempts as u64,
            search_temperature,
            &run.field,
            &mut run.rng,
        );
        if plasticity > 0.0 && (settings.hebb_rate > 0.0 || settings.relax_rate > 0.0) {
            // The Hebbian term is normalised by the mean degree, as the priors are by n: at the
            // fixed point J − J⁰ = (η/λ) s_i s_j / d̄ adds about η/λ to each spin's local field,
            // the scale of the normalised structure (λ_max(J⁰) = 1), whatever the graph's size.
            // Unnormalised, the 76-region landscape gained η/λ · 75 per spin and froze.
            let degree = run.landscape.mean_degree().max(1.0);
            run.landscape.consolidate(
                plasticity * self.dt,
                settings.hebb_rate / degree,
                settings.relax_rate,
            );
            let largest = run.landscape.largest_coupling();
            if !largest.is_finite() || largest > OVERFLOW_ENERGY {
                return Err(EngineError::Divergence {
                    step,
                    quantity: "landscape coupling".into(),
                    value: largest,
                });
            }
        }
        if let Some(h) = run.field.iter().find(|h| !h.is_finite()) {
            return Err(EngineError::Divergence {
                step,
                quantity: "landscape field".into(),
                value: *h,
            });
        }
        if flips > 0 {
            run.attractor_overlap = run.landscape.overlap(&run.attractor);
        }
        let mut events = Vec::new();
        run.windowed_attractor_overlap += smoothing(self.plan.metrics.window_steps)
            * (run.attractor_overlap - run.windowed_attractor_overlap);
        // At rest (T̄ under the crystallisation temperature) the held attractor follows the
        // state at each window boundary, so a change of state at rest (on the 76-region
        // connectome one hemisphere, weakly tied to the other, can flip as a whole at τ_L = 0.5)
        // moves the attractor; disintegration is the loss of the attractor in a hot phase.
        let hot = temperature >= settings.crystallisation_temperature;
        if !run.disintegrated
            && hot
            && run.windowed_attractor_overlap < settings.disintegration_overlap
        {
            run.disintegrated = true;
            events.push((EventKind::Disintegration, run.windowed_attractor_overlap));
        }
        if step.is_multiple_of(settings.crystallisation_window_steps) {
            let stable = run.landscape.overlap(&run.window_start) >= 0.9;
            if temperature < settings.crystallisation_temperature {
                if run.disintegrated && stable {
                    run.disintegrated = false;
                    events.push((EventKind::Crystallisation, run.attractor_overlap));
                }
                if !run.disintegrated {
                    // At rest the attractor follows the state: it is "the attractor held at
                    // the last rest" that a later disintegration is measured against.
                    run.attractor.copy_from_slice(run.landscape.spins());
                    run.attractor_overlap = 1.0;
                    run.windowed_attractor_overlap = 1.0;
                }
            }
            run.window_start.copy_from_slice(run.landscape.spins());
        }
        for (kind, overlap) in events {
            self.recorder.events.push(Event {
                step,
                kind,
                temperature,
                overlap,
            });
        }
        Ok(())
    }

    pub(crate) fn push_event(&mut self, kind: EventKind) {
        let overlap = self
            .landscape
            .as_ref()
            .map_or(0.0, |run| run.attractor_overlap);
        self.recorder.events.push(Event {
            step: self.step,
            kind,
            temperature: self.current.smoothed_temperature,
            overlap,
        });
    }
}
