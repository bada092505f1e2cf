//! Sources to plan components: envelopes, rates, drives and the regions they reach.

use super::*;

impl Lowerer<'_> {
    fn envelope(&mut self, envelope: &program::Envelope) -> Option<Envelope> {
        Some(match envelope {
            program::Envelope::Pulse { at, length } => Envelope::Pulse {
                at_step: self.time_within_run("a source's start", at)?,
                duration_steps: self.steps("a source's length", length)?,
            },
            program::Envelope::Ramp {
                at,
                rise,
                hold,
                fall,
            } => Envelope::Ramp {
                at_step: self.time_within_run("a source's start", at)?,
                rise_steps: self.steps("a rise", rise)?,
                hold_steps: self.steps("a hold", hold)?,
                fall_steps: self.steps("a fall", fall)?,
            },
            program::Envelope::Bateman {
                at,
                dose,
                absorption_rate,
                elimination_rate,
            } => {
                let absorption = self.rate(absorption_rate)?;
                let elimination = self.rate(elimination_rate)?;
                // The script's dose is the peak of the envelope (semantics::program::Envelope).
                let unit_peak = envelope_peak(&Envelope::Bateman {
                    at_step: 0,
                    dose: 1.0,
                    absorption_rate: absorption,
                    elimination_rate: elimination,
                });
                Envelope::Bateman {
                    at_step: self.time_within_run("a dose", at)?,
                    dose: dose.value / unit_peak,
                    absorption_rate: absorption,
                    elimination_rate: elimination,
                }
            }
            program::Envelope::Table(points) => {
                for (time, _) in points {
                    self.time_within_run("an envelope point", time)?;
                }
                Envelope::Table {
                    points: self.table("an envelope point", points, 0),
                }
            }
        })
    }

    /// A first-order rate (1/s) from a half-life (a time: k = ln 2 / t½) or a frequency.
    fn rate(&mut self, value: &Scalar) -> Option<f64> {
        if value.dim == Dim::TIME && value.value > 0.0 {
            Some(std::f64::consts::LN_2 / value.value)
        } else if value.dim == Dim::FREQUENCY && value.value > 0.0 {
            Some(value.value)
        } else {
            self.error(
                "E0044",
                value.loc,
                "a pharmacokinetic rate needs a positive half-life or frequency".to_string(),
                "not a positive time or frequency",
            );
            None
        }
    }

    pub(super) fn components(&mut self, component: &program::SourceComponent) -> Vec<Component> {
        let Some(envelope) = self.envelope(&component.envelope) else {
            return Vec::new();
        };
        let habituation = component.parts.iter().find_map(|part| match part {
            SourcePart::Habituation { tau } => Some(tau),
            _ => None,
        });
        let habituation = match habituation {
            Some(tau) => self
                .steps("the habituation time constant", tau)
                .map(|steps| Habituation {
                    time_constant_steps: steps.max(1),
                    depth: HABITUATION_DEPTH,
                }),
            None => None,
        };
        let mut actions = Vec::new();
        for part in &component.parts {
            match part {
                SourcePart::Broadband { rate, coupling } => actions.push(Action::Broadband {
                    rate: rate.value,
                    bands: bands(&coupling.bands),
                    regions: regions(coupling),
                }),
                SourcePart::Tones {
                    frequencies,
                    amplitude,
                    coupling,
                } => {
                    for frequency in frequencies {
                        actions.push(Action::Drive {
                            frequency_hz: frequency.value,
                            amplitude: amplitude.value,
                            bands: bands(&coupling.bands),
                            regions: regions(coupling),
                            habituation: habituation.clone(),
                        });
                    }
                }
                SourcePart::Beat {
                    frequency,
                    amplitude,
                    coupling,
                } => actions.push(Action::Drive {
                    frequency_hz: frequency.value,
                    amplitude: amplitude.value,
                    bands: bands(&coupling.bands),
                    regions: regions(coupling),
                    habituation: habituation.clone(),
                }),
                SourcePart::Metronome {
                    frequency,
                    coupling,
                } => actions.push(Action::Metronome {
                    frequency_hz: frequency.value,
                    coupling: coupling.value,
                }),
                SourcePart::SuppressSinks { amount } => actions.push(Action::SinkSuppression {
                    level: amount.value,
                }),
                SourcePart::BoostSinks { amount } => actions.push(Action::SinkBoost {
                    level: amount.value,
                }),
                SourcePart::Content { pattern, strength } => actions.push(Action::Content {
                    pattern: pattern.clone(),
                    strength: strength.value,
                }),
                SourcePart::WeakenHarmonics { amount, modes } => {
                    let harmonics = self.program.harmonics.modes;
                    if (*modes as usize) < harmonics as usize {
                        let at = component.loc;
                        self.warnings.push(
                            Diagnostic::warning(
                                "W0040",
                                at.file,
                                at.span,
                                format!(
                                    "the engine weakens all {harmonics} CSHWs, not only the lowest {modes}"
                                ),
                            )
                            .with_label(at.span, "weakens every CSHW"),
                        );
                    }
                    actions.push(Action::WeakenCsh {
                        delta_gamma: amount.value,
                        rate: STRUCTURAL_RATE,
                    })
                }
                SourcePart::DetuneRegion { region, amount } => {
                    if !self.context.region_names.contains(region) {
                        self.unknown_region(region, component.loc);
                    }
                    actions.push(Action::DetuneRegion {
                        region: Some(region.clone()),
                        rate: amount.value * STRUCTURAL_RATE,
                    })
                }
                SourcePart::RestoreIntegration { strength } => actions.push(Action::Restore {
                    rate: strength.value * STRUCTURAL_RATE,
                }),
                SourcePart::Habituation { .. } => {}
            }
        }
        for part in &component.parts {
            let coupling = match part {
                SourcePart::Broadband { coupling, .. }
                | SourcePart::Tones { coupling, .. }
                | SourcePart::Beat { coupling, .. } => coupling,
                _ => continue,
            };
            for region in coupling.regions.keys() {
                if !self.context.region_names.contains(region) {
                    self.unknown_region(region, component.loc);
                }
            }
        }
        actions
            .into_iter()
            .map(|action| Component {
                envelope: envelope.clone(),
                scale: component.scale,
                action,
            })
            .collect()
    }

    pub(super) fn unknown_region(&mut self, region: &str, at: Loc) {
        let known = if self.context.region_names.is_empty() {
            "the connectome has no regions".to_string()
        } else {
            format!("regions: {}", self.context.region_names.join(", "))
        };
        self.errors.push(
            Diagnostic::error(
                "E0042",
                at.file,
                at.span,
                format!("the connectome has no region `{region}`"),
            )
            .with_label(at.span, "names an unknown region")
            .with_help(known),
        );
    }
}
