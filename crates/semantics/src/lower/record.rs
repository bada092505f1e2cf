//! What is recorded and what expectations read: record items, the columns expectations need,
//! and the checks of expectation windows against the run.

use super::*;

impl Lowerer<'_> {
    pub(super) fn record(&mut self) -> (RecordSpec, BTreeMap<String, String>) {
        let spec = &self.program.record;
        let every = self
            .steps("the recording interval", &spec.every)
            .unwrap_or(1);
        if every == 0 {
            self.error(
                "E0040",
                spec.every.loc,
                "the recording interval must be at least one step".to_string(),
                "zero",
            );
        }
        let every = every.max(1);
        let mut quantities: Vec<(Quantity, String)> = Vec::new();
        let mut push = |quantity: Quantity, unit: &str| {
            if !quantities.iter().any(|(q, _)| *q == quantity) {
                quantities.push((quantity, unit.to_string()));
            }
        };
        let present = self.bands_present();
        // Quantities read by expectations are recorded too (W0003 told the author).
        let mut observables: Vec<Observable> = spec.observables.clone();
        for expectation in &self.program.expectations {
            expectation.predicate.visit_statistics(&mut |statistic| {
                observables.push(statistic.observable.clone());
            });
        }
        for observable in &observables {
            if let Some(component) = &observable.component {
                match self.component_quantity(observable, component, &present) {
                    Some(quantity) => push(quantity, "1"),
                    None => continue,
                }
                if observable.quantity == "energy" {
                    // The `energy` column is the sum of the recorded bands, so every band is
                    // recorded whenever energy is.
                    for band in &present {
                        push(Quantity::BandEnergy { band: *band }, "1");
                    }
                }
                continue;
            }
            match (observable.quantity, observable.grouping) {
                ("temperature", None) => push(Quantity::Temperature, "1"),
                ("temperature", Some(_)) => {
                    for band in &present {
                        push(Quantity::BandTemperature { band: *band }, "1");
                    }
                }
                ("bath", _) => push(Quantity::Bath, "1"),
                ("energy", Some(Grouping::Mode)) => push(Quantity::ModeEnergy, "1"),
                ("energy", _) => {
                    for band in &present {
                        push(Quantity::BandEnergy { band: *band }, "1");
                    }
                }
                ("consonance", _) => push(Quantity::Consonance, "1"),
                ("dissonance", _) => push(Quantity::Dissonance, "1"),
                ("noise", _) => push(Quantity::Noise, "1"),
                ("valence", _) => push(Quantity::Valence, "1"),
                ("integration", Some(Grouping::Region)) => {
                    for region in &self.context.region_names {
                        push(
                            Quantity::RegionIntegration {
                                region: region.clone(),
                            },
                            "1",
                        );
                    }
                }
                ("integration", _) => push(Quantity::Integration, "1"),
                ("frustration", _) => push(Quantity::Frustration, "1"),
                ("landscape_energy", _) => push(Quantity::LandscapeEnergy, "1"),
                ("overlap", _) => {
                    if let Some(pattern) = &observable.pattern {
                        push(
                            Quantity::Overlap {
                                pattern: pattern.clone(),
                            },
                            "1",
                        );
                    }
                }
                ("sink_gain", _) => push(Quantity::SinkGain, "1/s"),
                (other, _) => {
                    let at = observable.loc;
                    self.error(
                        "E0043",
                        at,
                        format!("the engine cannot record `{other}`"),
                        "unknown quantity",
                    );
                }
            }
        }
        // Mode energies are always recorded: they make `mode_energy.npy` and its heatmap.
        push(Quantity::ModeEnergy, "1");
        let mut units = BTreeMap::new();
        for (quantity, unit) in &quantities {
            units.insert(column_name(quantity), unit.clone());
        }
        if quantities
            .iter()
            .any(|(q, _)| matches!(q, Quantity::BandEnergy { .. }))
        {
            units.insert("energy".to_string(), "1".to_string());
        }
        let items = quantities
            .into_iter()
            .map(|(quantity, _)| RecordItem {
                quantity,
                every_steps: every,
            })
            .collect();
        (RecordSpec { items }, units)
    }

    /// The recorded quantity behind `temperature.csh`, `energy.rsh` or `integration.rAMYG`, or
    /// E0042 when this experiment has no such band or region.
    fn component_quantity(
        &mut self,
        observable: &Observable,
        component: &str,
        present: &[Band],
    ) -> Option<Quantity> {
        if observable.quantity == "integration" {
            if self.context.region_names.iter().any(|r| r == component) {
                return Some(Quantity::RegionIntegration {
                    region: component.to_string(),
                });
            }
            let names: Vec<&str> = self
                .context
                .region_names
                .iter()
                .map(String::as_str)
                .collect();
            let help = match anneal_syntax::suggest::closest(component, names.iter().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None if names.is_empty() => "the connectome has no regions".to_string(),
                None => format!("its regions are: {}", names.join(", ")),
            };
            self.errors.push(
                Diagnostic::error(
                    "E0042",
                    observable.loc.file,
                    observable.loc.span,
                    format!("the connectome has no region `{component}`"),
                )
                .with_label(observable.loc.span, "unknown region")
                .with_help(help),
            );
            return None;
        }
        let band = Band::ALL.into_iter().find(|b| b.name() == component)?;
        if !present.contains(&band) {
            let why = match band {
                Band::Rsh => "the harmonics have no region modes (`regional N per region`)",
                Band::Ssh => "the harmonics have no sensorium modes (`sensory N`)",
                Band::Csh => "the harmonics have no connectome modes",
            };
            self.error(
                "E0042",
                observable.loc,
                format!("`{}.{component}` is empty: {why}", observable.quantity),
                "a band this experiment does not have",
            );
            return None;
        }
        Some(match observable.quantity {
            "temperature" => Quantity::BandTemperature { band },
            _ => Quantity::BandEnergy { band },
        })
    }

    pub(super) fn expectations(&mut self) {
        let declared: Vec<&str> = self
            .program
            .sources
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        let mut found = Vec::new();
        for expectation in &self.program.expectations {
            expectation.predicate.visit_statistics(&mut |statistic| {
                found.push(statistic.clone());
            });
        }
        let end = self.program.experiment.duration.value;
        for statistic in found {
            if observable_column(&statistic.observable).is_none() {
                self.error(
                    "E0042",
                    statistic.observable.loc,
                    format!(
                        "`{}` split by {:?} is several columns; an expectation reads one",
                        statistic.observable.quantity, statistic.observable.grouping
                    ),
                    "not a single quantity",
                );
            }
            let (source, start) = match &statistic.window {
                Window::Whole => (None, None),
                Window::Between { start, source, .. } => (source.as_ref(), Some(*start)),
                Window::Before { time, source } => (source.as_ref(), Some(*time)),
                Window::After { time, source } => (source.as_ref(), Some(*time)),
            };
            if let Some(source) = source
                && !declared.contains(&source.as_str())
            {
                self.error(
                    "E0042",
                    statistic.loc,
                    format!(
                        "`{source}` is not a source of this experiment (declared: {})",
                        if declared.is_empty() {
                            "none".to_string()
                        } else {
                            declared.join(", ")
                        }
                    ),
                    "unknown source",
                );
            }
            let record_from = self.program.experiment.record_from.value;
            let ends_before_recording = match &statistic.window {
                Window::Before { time, .. } => *time <= record_from,
                Window::Between { end, .. } => *end <= record_from,
                _ => false,
            };
            if ends_before_recording {
                self.error(
                    "E0041",
                    statistic.loc,
                    format!(
                        "this window ends before recording starts ({record_from} s), so it holds no samples"
                    ),
                    "empty window",
                );
            }
            if let Some(start) = start
                && start >= end
                && !matches!(statistic.window, Window::Before { .. })
            {
                self.error(
                    "E0041",
                    statistic.loc,
                    format!(
                        "this window starts at {start} s, at or after the end of the experiment ({end} s), so it holds no samples"
                    ),
                    "empty window",
                );
            }
        }
    }
}

/// The engine's column name of a quantity with one column.
pub fn column_name(quantity: &Quantity) -> String {
    match quantity {
        Quantity::Temperature => "temperature".into(),
        Quantity::SmoothedTemperature => "smoothed_temperature".into(),
        Quantity::BandTemperature { band } => format!("temperature.{}", band.name()),
        Quantity::Bath => "bath".into(),
        Quantity::ModeEnergy => "mode_energy".into(),
        Quantity::BandEnergy { band } => format!("band_energy.{}", band.name()),
        Quantity::Consonance => "consonance".into(),
        Quantity::Dissonance => "dissonance".into(),
        Quantity::Noise => "noise".into(),
        Quantity::Valence => "valence".into(),
        Quantity::Integration => "integration".into(),
        Quantity::RegionIntegration { region } => format!("integration.{region}"),
        Quantity::Frustration => "frustration".into(),
        Quantity::LandscapeEnergy => "landscape_energy".into(),
        Quantity::Overlap { pattern } => format!("overlap.{pattern}"),
        Quantity::SinkGain => "sink_gain".into(),
    }
}
