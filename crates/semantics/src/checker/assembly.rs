//! Assembly: the gathered declarations become one [`Program`], with the defaults a script
//! leaves out.

use super::*;

impl<'l> Checker<'l> {
    pub(super) fn assemble(
        &mut self,
        file: FileId,
        parsed: &File,
        gathered: Gathered,
    ) -> Option<Program> {
        let experiment = gathered.experiment?;
        let whole = Span::new(0, 0);
        let connectome = match &gathered.harmonics {
            Some(h) => gathered
                .connectomes
                .iter()
                .find(|c| c.name == h.connectome)
                .cloned(),
            None => gathered.connectomes.first().cloned(),
        };
        let Some(connectome) = connectome else {
            if !self.diagnostics.iter().any(Diagnostic::is_error) {
                self.error(
                    Diagnostic::error(
                        "E0015",
                        file,
                        experiment.loc.span,
                        "the experiment declares no connectome",
                    )
                    .with_label(experiment.loc.span, "this experiment needs a brain")
                    .with_help("add e.g. `connectome brain = human_cortex()`"),
                );
            }
            return None;
        };
        let here = loc(file, whole);
        let harmonics = gathered.harmonics.unwrap_or(Harmonics {
            connectome: connectome.name.clone(),
            laplacian: LaplacianKind::Normalized,
            modes: 100,
            regional_per_region: 0,
            sensory: 0,
            fundamental: Scalar {
                value: 1.0,
                dim: Dim::FREQUENCY,
                loc: here,
            },
            loc: here,
        });
        let sinks = gathered.sinks.unwrap_or(Sinks {
            gain: Scalar {
                value: 1.0,
                dim: Dim::NONE,
                loc: here,
            },
            affinity: Bands {
                csh: 0.25,
                rsh: 1.0,
                ssh: 0.1,
            },
            schedule: constant_curve(1.0, here),
            loc: here,
        });
        let landscape = gathered.landscape.unwrap_or(Landscape {
            declared: false,
            level: LandscapeLevel::Regions,
            temperature: LandscapeTemperature::Scale(Scalar {
                value: 0.5,
                dim: Dim::NONE,
                loc: here,
            }),
            couplings: Couplings::Structural,
            neutral: Scalar {
                value: 1.0,
                dim: Dim::NONE,
                loc: here,
            },
            sweeps: Scalar {
                value: 1.0,
                dim: Dim::FREQUENCY,
                loc: here,
            },
            plasticity: default_plasticity(here),
            patterns: Vec::new(),
            loc: here,
        });
        let record = gathered.record.unwrap_or(RecordSpec {
            every: Scalar {
                value: 1.0,
                dim: Dim::TIME,
                loc: here,
            },
            observables: Vec::new(),
            destination: None,
            loc: here,
        });
        let _ = parsed;
        // Expectations may read quantities the record statement does not list: say so.
        let recorded: Vec<(&str, Option<String>)> = record
            .observables
            .iter()
            .map(|o| (o.quantity, o.pattern.clone()))
            .collect();
        let mut unrecorded = Vec::new();
        for expectation in gathered.expectations.iter().chain(
            gathered
                .scenarios
                .iter()
                .flat_map(|s| s.expectations.iter()),
        ) {
            expectation.predicate.visit_statistics(&mut |statistic| {
                let key = (
                    statistic.observable.quantity,
                    statistic.observable.pattern.clone(),
                );
                if !recorded.contains(&key) {
                    unrecorded.push((statistic.observable.clone(), statistic.loc));
                }
            });
        }
        for (observable, at) in unrecorded {
            self.error(
                Diagnostic::warning("W0003", at.file, at.span, format!("`{}` is not in the `record` statement", observable.quantity))
                    .with_label(at.span, "read here")
                    .with_help("it will be recorded for this expectation; add it to `record` to see it in the results"),
            );
        }
        Some(Program {
            experiment,
            connectome,
            harmonics,
            sinks,
            cooling: gathered
                .cooling
                .unwrap_or_else(|| constant_curve(1.0, here)),
            sources: gathered.sources,
            landscape,
            record,
            expectations: gathered.expectations,
            scenarios: gathered.scenarios,
        })
    }
}

/// The landscape's plasticity when the script does not set it (the `plasticity` setting's
/// documented defaults: rate 0.05/s, decay 0.01/s, threshold 2).
pub(super) fn default_plasticity(here: Loc) -> Plasticity {
    Plasticity {
        rate: Scalar {
            value: 0.05,
            dim: Dim::FREQUENCY,
            loc: here,
        },
        decay: Scalar {
            value: 0.01,
            dim: Dim::FREQUENCY,
            loc: here,
        },
        threshold: Scalar {
            value: 2.0,
            dim: Dim::NONE,
            loc: here,
        },
    }
}

pub(super) fn constant_curve(level: f64, at: Loc) -> Curve {
    let mut params = BTreeMap::new();
    params.insert(
        "level",
        Scalar {
            value: level,
            dim: Dim::NONE,
            loc: at,
        },
    );
    Curve {
        kind: "constant",
        params,
        table: Vec::new(),
        base: None,
        loc: at,
    }
}
