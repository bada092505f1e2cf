//! The scenario library in `examples/scenarios/`: every scenario runs over at least eight seeds,
//! its expectations pass, and its results (each item's summary statistics, and the measured
//! sides of every expectation) match the insta snapshot, so an engine change that moves a
//! result shows up as a snapshot diff to review.

use std::collections::BTreeMap;

use anneal::scenario::{self, snapshot};
use serde::Serialize;

/// What is snapshotted for one scenario.
#[derive(Serialize)]
struct Outcome {
    scenario: String,
    runs: usize,
    expectations: Vec<(String, String)>,
    items: snapshot::Snapshot,
}

#[test]
fn library() {
    insta::glob!("../examples/scenarios", "*.anneal", |path| {
        let checked = anneal::semantics::check_file(path);
        let program = checked.program.expect("the scenario script checks");
        assert!(
            !program.scenarios.is_empty(),
            "{} has no scenario",
            path.display()
        );
        let mut outcomes = Vec::new();
        for scenario in &program.scenarios {
            let seeds = scenario
                .axes
                .iter()
                .find(|axis| axis.target.name() == "seed")
                .map_or(0, |axis| axis.items.len());
            assert!(seeds >= 8, "{}: {} seeds", scenario.name, seeds);
            let items = scenario::run_items(path, scenario, None).expect("every item runs");
            let report = scenario::report(scenario, items);
            let measured: BTreeMap<&str, &str> = report
                .expectations
                .iter()
                .map(|e| (e.text.as_str(), e.measured.as_str()))
                .collect();
            assert!(
                report.all_passed(),
                "{} :: {}: {:?} {:?}",
                path.display(),
                scenario.name,
                measured,
                report.expectation_errors
            );
            outcomes.push(Outcome {
                scenario: scenario.name.clone(),
                runs: report.run_count,
                expectations: report
                    .expectations
                    .iter()
                    .map(|e| (e.text.clone(), e.measured.clone()))
                    .collect(),
                items: snapshot::of_report(&report),
            });
        }
        insta::assert_yaml_snapshot!(outcomes);
    });
}
