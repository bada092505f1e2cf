//! The full dynamic state out of an engine and back in: a restored engine continues bit for bit
//! as the uninterrupted run.

use super::*;

impl Engine {
    /// The full dynamic state.
    pub fn snapshot(&self) -> EngineState {
        EngineState {
            plan_hash: self.plan_hash.clone(),
            step: self.step,
            z_re: self.z_re.clone(),
            z_im: self.z_im.clone(),
            noise_stream: self.noise.save(),
            mean_energy: self.mean_energy.clone(),
            bath_energy: self.bath_energy.clone(),
            windowed_bath: self.windowed_bath.clone(),
            demod_re: self.demod_re.clone(),
            demod_im: self.demod_im.clone(),
            phasor_re: self.phasor_re.clone(),
            phasor_im: self.phasor_im.clone(),
            pair_index_re: self.pair_index_re.clone(),
            pair_index_im: self.pair_index_im.clone(),
            exposure: self.exposure.clone(),
            delta_gamma: self.delta_gamma.clone(),
            detuning: self.detuning.clone(),
            cooling_clock: self.cooling_clock.clone(),
            current: self.current,
            landscape: self.landscape.as_ref().map(|run| LandscapeState {
                couplings: run.landscape.couplings().to_vec(),
                spins: spins_to_i8(run.landscape.spins()),
                local_fields: run.landscape.local_fields().to_vec(),
                field: run.field.clone(),
                attractor: spins_to_i8(&run.attractor),
                window_start: spins_to_i8(&run.window_start),
                attractor_overlap: run.attractor_overlap,
                windowed_attractor_overlap: run.windowed_attractor_overlap,
                disintegrated: run.disintegrated,
                attempt_credit: run.attempt_credit,
                rng: run.rng.save(),
            }),
            recorder: self.recorder.clone(),
        }
    }

    /// Rebuilds an engine from a snapshot of a run of the same plan on the same basis.
    pub fn restore(
        plan: &Plan,
        basis: &ModeBasis,
        state: &EngineState,
    ) -> Result<Engine, EngineError> {
        let mut engine = Engine::new(plan, basis)?;
        if state.plan_hash != engine.plan_hash {
            return Err(EngineError::Snapshot("the plan hash differs".into()));
        }
        let m = engine.z_re.len();
        let lengths_ok = [
            state.z_re.len(),
            state.z_im.len(),
            state.mean_energy.len(),
            state.bath_energy.len(),
            state.windowed_bath.len(),
            state.demod_re.len(),
            state.demod_im.len(),
            state.phasor_re.len(),
            state.phasor_im.len(),
            state.delta_gamma.len(),
        ]
        .iter()
        .all(|len| *len == m)
            && state.pair_index_re.len() == engine.pairs.len()
            && state.pair_index_im.len() == engine.pairs.len()
            && state.exposure.len() == engine.exposure.len()
            && state.detuning.len() == engine.detuning.len()
            && state.recorder.columns.len() == engine.recorder.columns.len()
            && state.landscape.is_some() == engine.landscape.is_some();
        if !lengths_ok {
            return Err(EngineError::Snapshot(
                "array sizes differ from this basis".into(),
            ));
        }
        engine.step = state.step;
        engine.z_re = state.z_re.clone();
        engine.z_im = state.z_im.clone();
        engine.noise = Stream::restore(&state.noise_stream);
        engine.mean_energy = state.mean_energy.clone();
        engine.bath_energy = state.bath_energy.clone();
        engine.windowed_bath = state.windowed_bath.clone();
        engine.demod_re = state.demod_re.clone();
        engine.demod_im = state.demod_im.clone();
        engine.phasor_re = state.phasor_re.clone();
        engine.phasor_im = state.phasor_im.clone();
        engine.pair_index_re = state.pair_index_re.clone();
        engine.pair_index_im = state.pair_index_im.clone();
        engine.exposure = state.exposure.clone();
        engine.delta_gamma = state.delta_gamma.clone();
        engine.detuning = state.detuning.clone();
        engine.cooling_clock = state.cooling_clock.clone();
        engine.current = state.current;
        engine.recorder = state.recorder.clone();
        if let (Some(run), Some(saved)) = (&mut engine.landscape, &state.landscape) {
            let n = run.landscape.len();
            if saved.spins.len() != n || saved.couplings.len() != run.landscape.stored_entries() {
                return Err(EngineError::Snapshot("landscape sizes differ".into()));
            }
            run.landscape.restore(
                &saved.couplings,
                &spins_to_f64(&saved.spins),
                &saved.local_fields,
            );
            run.field = saved.field.clone();
            run.attractor = spins_to_f64(&saved.attractor);
            run.window_start = spins_to_f64(&saved.window_start);
            run.attractor_overlap = saved.attractor_overlap;
            run.windowed_attractor_overlap = saved.windowed_attractor_overlap;
            run.disintegrated = saved.disintegrated;
            run.attempt_credit = saved.attempt_credit;
            run.rng = Stream::restore(&saved.rng);
        }
        engine.frequencies_changed();
        for i in 0..m {
            engine.energy[i] = engine.z_re[i] * engine.z_re[i] + engine.z_im[i] * engine.z_im[i];
        }
        Ok(engine)
    }
}
