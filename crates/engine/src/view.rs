//! A read-only view of an engine between steps: every quantity a run can record or the REPL show.

use super::*;

/// Read-only view of an engine between steps.
pub struct EngineView<'a> {
    pub(crate) engine: &'a Engine,
}

impl<'a> EngineView<'a> {
    pub fn step(&self) -> u64 {
        self.engine.step
    }

    /// Simulated time (s).
    pub fn time(&self) -> f64 {
        self.engine.step as f64 * self.engine.dt
    }

    /// Scalars of the last step (bath, sink gain, T, per-band T, P).
    pub fn current(&self) -> Current {
        self.engine.current
    }

    /// E_m = |z_m|² now.
    pub fn mode_energy(&self) -> Vec<f64> {
        self.engine
            .z_re
            .iter()
            .zip(&self.engine.z_im)
            .map(|(x, y)| x * x + y * y)
            .collect()
    }

    /// ⟨E_m⟩ over the metrics window.
    pub fn mean_mode_energy(&self) -> &'a [f64] {
        &self.engine.mean_energy
    }

    /// Θ̄_m: per mode, the windowed energy the bath alone would give it (the bath through the
    /// mode's relaxation and the metrics window), against which the neutral field measures
    /// injected energy.
    pub fn windowed_bath(&self) -> &'a [f64] {
        &self.engine.windowed_bath
    }

    /// Complex amplitudes (re, im).
    pub fn amplitudes(&self) -> (&'a [f64], &'a [f64]) {
        (&self.engine.z_re, &self.engine.z_im)
    }

    pub fn temperature(&self) -> f64 {
        self.engine.current.temperature
    }

    pub fn band_temperature(&self, band: Band) -> f64 {
        self.engine.current.band_temperature[band.index()]
    }

    pub fn bath(&self) -> f64 {
        self.engine.current.bath
    }

    /// Current angular frequencies (with detuning).
    pub fn angular_frequencies(&self) -> &'a [f64] {
        &self.engine.omega
    }

    /// Current damping rates γ_m.
    pub fn damping(&self) -> &'a [f64] {
        &self.engine.gamma
    }

    pub fn delta_gamma(&self) -> &'a [f64] {
        &self.engine.delta_gamma
    }

    pub fn detuning(&self) -> &'a [f64] {
        &self.engine.detuning
    }

    /// The locking pairs with their current ratios.
    pub fn pairs(&self) -> &'a [LockPair] {
        &self.engine.pairs
    }

    /// Locking index |⟨e^{iψ}⟩| of each pair.
    pub fn locking_indices(&self) -> Vec<f64> {
        self.engine
            .pair_index_re
            .iter()
            .zip(&self.engine.pair_index_im)
            .map(|(a, b)| a.hypot(*b))
            .collect()
    }

    pub fn integration(&self) -> f64 {
        locking::integration(
            &self.engine.pairs,
            &self.engine.pair_index_re,
            &self.engine.pair_index_im,
            &self.engine.mean_energy,
            None,
        )
    }

    pub fn region_integration(&self, region: usize) -> f64 {
        locking::integration(
            &self.engine.pairs,
            &self.engine.pair_index_re,
            &self.engine.pair_index_im,
            &self.engine.mean_energy,
            Some(region),
        )
    }

    fn consonance_dissonance(&self) -> (f64, f64) {
        let engine = self.engine;
        let audible: Vec<f64> = engine
            .omega
            .iter()
            .map(|w| w / std::f64::consts::TAU * engine.audible_scale)
            .collect();
        let mut cache = engine.kernels.borrow_mut();
        let kernels = match cache.as_mut() {
            Some(kernels) => {
                kernels.follow(&audible);
                kernels
            }
            None => cache.insert(SpectrumKernels::new(&audible)),
        };
        let amplitudes: Vec<f64> = engine.mean_energy.iter().map(|e| e.sqrt()).collect();
        kernels.consonance_dissonance(&amplitudes)
    }

    pub fn consonance(&self) -> f64 {
        self.consonance_dissonance().0
    }

    pub fn dissonance(&self) -> f64 {
        self.consonance_dissonance().1
    }

    pub fn noise(&self) -> f64 {
        metrics::noise(
            &self.engine.mean_energy,
            &self.engine.demod_re,
            &self.engine.demod_im,
        )
    }

    /// The Symmetry-Theory-of-Valence proxy V = (C − D)/(C + D) (1 − N).
    pub fn valence(&self) -> f64 {
        let (c, d) = self.consonance_dissonance();
        metrics::valence(c, d, self.noise())
    }

    /// Landscape frustration (0 without a landscape).
    pub fn frustration(&self) -> f64 {
        self.engine
            .landscape
            .as_ref()
            .map_or(0.0, |run| run.landscape.frustration())
    }

    /// Landscape energy per node H/n (0 without a landscape).
    pub fn landscape_energy(&self) -> f64 {
        self.engine
            .landscape
            .as_ref()
            .map_or(0.0, |run| run.landscape.energy_per_node(&run.field))
    }

    /// Overlap with a named pattern.
    pub fn overlap(&self, pattern: &str) -> Option<f64> {
        let run = self.engine.landscape.as_ref()?;
        let index = run.pattern_names.iter().position(|p| p == pattern)?;
        Some(run.landscape.overlap(&run.patterns[index]))
    }

    /// Overlap with the attractor held at the last rest.
    pub fn attractor_overlap(&self) -> Option<f64> {
        self.engine
            .landscape
            .as_ref()
            .map(|run| run.attractor_overlap)
    }

    /// The external field on the landscape nodes (content patterns and the neutral field) as
    /// last refreshed.
    pub fn landscape_field(&self) -> Option<&'a [f64]> {
        self.engine
            .landscape
            .as_ref()
            .map(|run| run.field.as_slice())
    }

    /// The spins (±1).
    pub fn spins(&self) -> Option<&'a [f64]> {
        self.engine
            .landscape
            .as_ref()
            .map(|run| run.landscape.spins())
    }

    /// The couplings J on the stored entries and their mean change from J⁰.
    pub fn coupling_change(&self) -> Option<f64> {
        self.engine
            .landscape
            .as_ref()
            .map(|run| run.landscape.mean_coupling_change())
    }

    pub fn events(&self) -> &'a [Event] {
        &self.engine.recorder.events
    }

    /// The values of a recordable quantity now (one per column).
    pub fn values_into(&self, quantity: &Quantity, out: &mut Vec<f64>) {
        let current = &self.engine.current;
        match quantity {
            Quantity::Temperature => out.push(current.temperature),
            Quantity::SmoothedTemperature => out.push(current.smoothed_temperature),
            Quantity::BandTemperature { band } => out.push(current.band_temperature[band.index()]),
            Quantity::Bath => out.push(current.bath),
            Quantity::ModeEnergy => out.extend(self.mode_energy()),
            Quantity::BandEnergy { band } => out.push(current.band_energy[band.index()]),
            Quantity::Consonance => out.push(self.consonance()),
            Quantity::Dissonance => out.push(self.dissonance()),
            Quantity::Noise => out.push(self.noise()),
            Quantity::Valence => out.push(self.valence()),
            Quantity::Integration => out.push(self.integration()),
            Quantity::RegionIntegration { region } => {
                let index = self.engine.region_names.iter().position(|r| r == region);
                out.push(index.map_or(0.0, |r| self.region_integration(r)));
            }
            Quantity::Frustration => out.push(self.frustration()),
            Quantity::LandscapeEnergy => out.push(self.landscape_energy()),
            Quantity::Overlap { pattern } => out.push(self.overlap(pattern).unwrap_or(0.0)),
            Quantity::SinkGain => out.push(current.sink_gain),
        }
    }
}
