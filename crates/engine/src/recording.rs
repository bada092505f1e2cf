//! Which columns a plan records and when: names per quantity, checks, and the values due at a step.

use super::*;

impl Engine {
    fn column_names(&self, quantity: &Quantity) -> Vec<String> {
        match quantity {
            Quantity::Temperature => vec!["temperature".into()],
            Quantity::SmoothedTemperature => vec!["smoothed_temperature".into()],
            Quantity::BandTemperature { band } => vec![format!("temperature.{}", band.name())],
            Quantity::Bath => vec!["bath".into()],
            Quantity::ModeEnergy => (0..self.z_re.len())
                .map(|i| format!("mode_energy[{i}]"))
                .collect(),
            Quantity::BandEnergy { band } => vec![format!("band_energy.{}", band.name())],
            Quantity::Consonance => vec!["consonance".into()],
            Quantity::Dissonance => vec!["dissonance".into()],
            Quantity::Noise => vec!["noise".into()],
            Quantity::Valence => vec!["valence".into()],
            Quantity::Integration => vec!["integration".into()],
            Quantity::RegionIntegration { region } => vec![format!("integration.{region}")],
            Quantity::Frustration => vec!["frustration".into()],
            Quantity::LandscapeEnergy => vec!["landscape_energy".into()],
            Quantity::Overlap { pattern } => vec![format!("overlap.{pattern}")],
            Quantity::SinkGain => vec!["sink_gain".into()],
        }
    }

    /// Every region and pattern a recorded quantity names must exist.
    pub(crate) fn check_record_names(&self) -> Result<(), EngineError> {
        for item in &self.plan.record.items {
            match &item.quantity {
                Quantity::RegionIntegration { region } if !self.region_names.contains(region) => {
                    return Err(EngineError::Mismatch(format!(
                        "recorded integration of unknown region `{region}`"
                    )));
                }
                Quantity::Overlap { pattern } => {
                    let known = self
                        .landscape
                        .as_ref()
                        .is_some_and(|run| run.pattern_names.contains(pattern));
                    if !known {
                        return Err(EngineError::Mismatch(format!(
                            "recorded overlap with unknown pattern `{pattern}`"
                        )));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    pub(crate) fn create_columns(&mut self) {
        let mut columns = Vec::new();
        for item in &self.plan.record.items {
            for name in self.column_names(&item.quantity) {
                columns.push(Column {
                    name,
                    quantity: item.quantity.clone(),
                    every_steps: item.every_steps,
                    values: Vec::new(),
                });
            }
        }
        self.recorder.columns = columns;
    }

    pub(crate) fn record_due(&mut self) {
        let mut column = 0;
        let mut values = Vec::new();
        for item in &self.plan.record.items {
            let width = match item.quantity {
                Quantity::ModeEnergy => self.z_re.len(),
                _ => 1,
            };
            if self.step.is_multiple_of(item.every_steps) {
                values.clear();
                self.state().values_into(&item.quantity, &mut values);
                for (offset, value) in values.iter().enumerate().take(width) {
                    self.recorder.columns[column + offset].values.push(*value);
                }
            }
            column += width;
        }
    }
}
