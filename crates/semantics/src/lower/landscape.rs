//! The landscape's settings, patterns and priors, with patterns by region or node made explicit.

use super::*;

impl Lowerer<'_> {
    pub(super) fn landscape(&mut self) -> LandscapeSettings {
        let declared = &self.program.landscape;
        let mut settings = LandscapeSettings::default();
        match &declared.temperature {
            LandscapeTemperature::Scale(scale) => settings.temperature_ratio = scale.value,
            LandscapeTemperature::Fixed(fixed) => {
                settings.fixed_temperature = Some(fixed.value);
            }
        }
        settings.neutral_field_gain = declared.neutral.value;
        settings.sweeps_per_second = declared.sweeps.value;
        settings.hebb_rate = declared.plasticity.rate.value;
        settings.relax_rate = declared.plasticity.decay.value;
        settings.crystallisation_window_steps = ((WINDOW_SECONDS / self.dt).round() as u64).max(1);
        let level = declared.effective_level(!self.context.region_names.is_empty());
        let nodes: Vec<String> = match level {
            LandscapeLevel::Regions => self.context.region_names.clone(),
            LandscapeLevel::Nodes => (0..self.context.node_count)
                .map(|i| format!("node{i}"))
                .collect(),
        };
        if nodes.is_empty() {
            self.error(
                "E0042",
                declared.loc,
                "a landscape on regions needs a connectome with regions".to_string(),
                "no regions",
            );
        }
        for pattern in &declared.patterns {
            let spins: Vec<i8> = match &pattern.kind {
                program::PatternKind::Regions(names) => {
                    if level != LandscapeLevel::Regions {
                        self.unsupported(
                            pattern.loc,
                            "a pattern by region names needs `landscape on regions`".to_string(),
                        );
                        continue;
                    }
                    for name in names {
                        if !nodes.contains(name) {
                            self.unknown_region(name, pattern.loc);
                        }
                    }
                    nodes
                        .iter()
                        .map(|node| if names.contains(node) { 1 } else { -1 })
                        .collect()
                }
                program::PatternKind::Nodes(indices) => {
                    if let Some(bad) = indices.iter().find(|&&i| i as usize >= nodes.len()) {
                        self.error(
                            "E0042",
                            pattern.loc,
                            format!(
                                "node {bad} is not a landscape node (there are {})",
                                nodes.len()
                            ),
                            "out of range",
                        );
                        continue;
                    }
                    (0..nodes.len() as u64)
                        .map(|i| if indices.contains(&i) { 1 } else { -1 })
                        .collect()
                }
                program::PatternKind::Random { seed, fraction } => {
                    // Each random pattern draws from its own seed (as ChaCha's key, which unlike
                    // `seed_from_u64` is stable across rand_core versions), so adding a pattern
                    // or changing the experiment's seed never changes it.
                    let mut key = [0u8; 32];
                    key[..8].copy_from_slice(&seed.to_le_bytes());
                    let mut rng = ChaCha8Rng::from_seed(key);
                    (0..nodes.len())
                        .map(|_| {
                            let uniform = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                            if uniform < *fraction { 1 } else { -1 }
                        })
                        .collect()
                }
            };
            settings.patterns.push(PatternSpec {
                name: pattern.name.clone(),
                kind: PatternKind::Explicit { spins },
            });
            settings.priors.push(Prior {
                pattern: pattern.name.clone(),
                strength: pattern.strength.value,
            });
        }
        settings.initial = SpinInit::Settled;
        settings
    }

    pub(super) fn bands_present(&self) -> Vec<Band> {
        let harmonics = &self.program.harmonics;
        let mut present = vec![Band::Csh];
        if harmonics.regional_per_region > 0 {
            present.push(Band::Rsh);
        }
        if harmonics.sensory > 0 {
            present.push(Band::Ssh);
        }
        present
    }
}
