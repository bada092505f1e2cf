//! The shape of `summary.yaml`: provenance, per-quantity statistics, events and expectations.
//!
//! These are plain records filled by the run command; every map is a `BTreeMap`, so the file's
//! key order is fixed (struct fields in declaration order, map keys sorted).

use std::collections::BTreeMap;

use serde::Serialize;

use super::stats::{SummaryStats, summarise};
use super::{OutputError, Series};

/// The whole `summary.yaml` document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// Where the results came from.
    pub provenance: Provenance,
    /// Statistics of every recorded quantity, by name.
    pub quantities: BTreeMap<String, QuantitySummary>,
    /// The events of the run, in time order.
    pub events: Vec<EventRecord>,
    /// Every `expect` of the script with its measured value.
    pub expectations: Vec<ExpectationRecord>,
}

/// What is needed to reproduce the run bit for bit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// The `anneal` version that wrote the results.
    pub anneal_version: String,
    /// Content hash of the plan.
    pub plan_hash: String,
    /// Hash of the script and of every module it imports, by path.
    pub sources: BTreeMap<String, String>,
    /// The random seed.
    pub seed: u64,
    /// Content hash of the connectome.
    pub connectome_hash: String,
}

/// A quantity's unit and statistics (the statistics' fields appear inline).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantitySummary {
    /// The unit as written in scripts (`1` for dimensionless).
    pub unit: String,
    /// Initial, final, min, max and mean.
    #[serde(flatten)]
    pub stats: SummaryStats,
}

/// One event of the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    /// When it happened, in seconds from the start.
    pub time_s: f64,
    /// What happened, e.g. `start music`.
    pub description: String,
}

/// One expectation and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpectationRecord {
    /// The expectation as written in the script.
    pub text: String,
    /// The measured value it was judged on.
    pub measured: f64,
    /// Whether it held.
    pub passed: bool,
}

/// Summarises every series over the whole run, keyed by name.
pub fn summarise_quantities(
    times: &[f64],
    series: &[Series<'_>],
) -> Result<BTreeMap<String, QuantitySummary>, OutputError> {
    let mut quantities = BTreeMap::new();
    for column in series {
        let stats = summarise(column.name, times, column.values)?;
        if quantities
            .insert(
                column.name.to_string(),
                QuantitySummary {
                    unit: column.unit.to_string(),
                    stats,
                },
            )
            .is_some()
        {
            return Err(OutputError::InvalidName {
                name: format!("{} (recorded twice)", column.name),
            });
        }
    }
    Ok(quantities)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_yaml_has_a_fixed_layout() {
        let times = [0.0, 1.0, 2.0];
        let series = [
            Series {
                name: "valence",
                unit: "1",
                values: &[0.5, -0.25, 1.0],
            },
            Series {
                name: "temperature",
                unit: "K",
                values: &[3.0, 2.0, 1.0],
            },
        ];
        let summary = RunSummary {
            provenance: Provenance {
                anneal_version: "0.1.0".into(),
                plan_hash: "ab12".into(),
                sources: BTreeMap::from([("meditation.anneal".to_string(), "cd34".to_string())]),
                seed: 7,
                connectome_hash: "ef56".into(),
            },
            quantities: summarise_quantities(&times, &series).unwrap(),
            events: vec![EventRecord {
                time_s: 1.0,
                description: "start music".into(),
            }],
            expectations: vec![ExpectationRecord {
                text: "final(temperature) < 2 K".into(),
                measured: 1.0,
                passed: true,
            }],
        };
        let yaml = super::super::yaml::to_string(&summary).unwrap();
        assert_eq!(
            yaml,
            "provenance:\n  anneal_version: 0.1.0\n  plan_hash: ab12\n  sources:\n    meditation.anneal: cd34\n  seed: 7\n  connectome_hash: ef56\n\
             quantities:\n  temperature:\n    unit: K\n    initial: 3.0\n    final: 1.0\n    min: 1.0\n    max: 3.0\n    mean: 2.0\n\
             \x20 valence:\n    unit: '1'\n    initial: 0.5\n    final: 1.0\n    min: -0.25\n    max: 1.0\n    mean: 0.4166666666666667\n\
             events:\n- time_s: 1.0\n  description: start music\n\
             expectations:\n- text: final(temperature) < 2 K\n  measured: 1.0\n  passed: true\n"
        );
    }

    #[test]
    fn a_quantity_recorded_twice_is_an_error() {
        let series = [
            Series {
                name: "x",
                unit: "1",
                values: &[1.0],
            },
            Series {
                name: "x",
                unit: "1",
                values: &[2.0],
            },
        ];
        assert!(summarise_quantities(&[0.0], &series).is_err());
    }
}
