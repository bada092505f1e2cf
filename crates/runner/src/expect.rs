//! Judging a script's `expect` statements against the recorded traces.

use std::collections::BTreeMap;

use anneal_output::window_stats;
use anneal_semantics::lower::observable_column;
use anneal_semantics::program::{
    Aggregate, ArithOp, CompareOp, Expectation, Operand, Predicate, Statistic, Window,
};

/// Recorded traces on one time axis (seconds), by column name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Traces {
    pub times: Vec<f64>,
    pub columns: BTreeMap<String, Vec<f64>>,
    /// Step length, so that a window reaching the end includes the last sample.
    pub dt: f64,
}

/// One comparison inside an expectation, with both measured sides.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub lhs: f64,
    pub op: CompareOp,
    pub rhs: f64,
    pub holds: bool,
}

/// An expectation and its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub text: String,
    pub passed: bool,
    /// Every comparison in the order written.
    pub comparisons: Vec<Comparison>,
}

impl Judged {
    /// The value the expectation was judged on: the left side of its first comparison.
    pub fn measured(&self) -> f64 {
        self.comparisons.first().map_or(0.0, |c| c.lhs)
    }

    /// `lhs op rhs` for each comparison, e.g. `0.213 > 0.187`.
    pub fn describe(&self) -> String {
        self.comparisons
            .iter()
            .map(|c| format!("{} {} {}", short(c.lhs), op_text(c.op), short(c.rhs)))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn short(value: f64) -> String {
    format!("{value:.6}")
}

fn op_text(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Eq => "==",
        CompareOp::Ne => "!=",
    }
}

/// Judges every expectation. An expectation whose statistic cannot be computed (for example a
/// window with no samples) is an error naming it, never a silent pass or a made-up value.
pub fn judge(expectations: &[Expectation], traces: &Traces) -> Result<Vec<Judged>, String> {
    judge_with(expectations, &|s| statistic(s, traces))
}

/// Judges every expectation with `measure` giving the value of each statistic (a scenario
/// measures a statistic over several runs).
pub fn judge_with(
    expectations: &[Expectation],
    measure: &dyn Fn(&Statistic) -> Result<f64, String>,
) -> Result<Vec<Judged>, String> {
    expectations
        .iter()
        .map(|expectation| {
            let mut comparisons = Vec::new();
            let passed = predicate(&expectation.predicate, measure, &mut comparisons)
                .map_err(|error| format!("`{}`: {error}", expectation.text))?;
            Ok(Judged {
                text: expectation.text.clone(),
                passed,
                comparisons,
            })
        })
        .collect()
}

fn predicate(
    predicate: &Predicate,
    measure: &dyn Fn(&Statistic) -> Result<f64, String>,
    comparisons: &mut Vec<Comparison>,
) -> Result<bool, String> {
    Ok(match predicate {
        Predicate::Compare { lhs, op, rhs } => {
            let (a, b) = (operand(lhs, measure)?, operand(rhs, measure)?);
            let holds = match op {
                CompareOp::Lt => a < b,
                CompareOp::Le => a <= b,
                CompareOp::Gt => a > b,
                CompareOp::Ge => a >= b,
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
            };
            comparisons.push(Comparison {
                lhs: a,
                op: *op,
                rhs: b,
                holds,
            });
            holds
        }
        // Both sides are always evaluated so that every measured value is reported.
        Predicate::And(a, b) => {
            let first = self::predicate(a, measure, comparisons)?;
            let second = self::predicate(b, measure, comparisons)?;
            first && second
        }
        Predicate::Or(a, b) => {
            let first = self::predicate(a, measure, comparisons)?;
            let second = self::predicate(b, measure, comparisons)?;
            first || second
        }
        Predicate::Not(inner) => !self::predicate(inner, measure, comparisons)?,
    })
}

fn operand(
    operand: &Operand,
    measure: &dyn Fn(&Statistic) -> Result<f64, String>,
) -> Result<f64, String> {
    let value = match operand {
        Operand::Constant(scalar) => scalar.value,
        Operand::Statistic(statistic) => measure(statistic)?,
        Operand::Negate(inner) => -self::operand(inner, measure)?,
        Operand::Arith { op, lhs, rhs } => {
            let (a, b) = (self::operand(lhs, measure)?, self::operand(rhs, measure)?);
            match op {
                ArithOp::Add => a + b,
                ArithOp::Sub => a - b,
                ArithOp::Mul => a * b,
                ArithOp::Div => a / b,
            }
        }
    };
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("a side evaluates to {value} (a division by zero?)"))
    }
}

/// The value of one statistic over its window.
pub fn statistic(statistic: &Statistic, traces: &Traces) -> Result<f64, String> {
    let name = observable_column(&statistic.observable)
        .ok_or_else(|| format!("`{}` is not one column", statistic.observable.quantity))?;
    let values = traces
        .columns
        .get(&name)
        .ok_or_else(|| format!("`{name}` was not recorded"))?;
    let end = traces.times.last().copied().unwrap_or(0.0) + traces.dt;
    let (t0, t1) = match &statistic.window {
        Window::Whole => (traces.times.first().copied().unwrap_or(0.0), end),
        Window::Between {
            start, end: stop, ..
        } => (*start, *stop),
        Window::Before { time, .. } => (traces.times.first().copied().unwrap_or(0.0), *time),
        Window::After { time, .. } => (*time, end),
    };
    let stats = window_stats(&name, &traces.times, values, t0, t1).map_err(|e| e.to_string())?;
    Ok(match statistic.aggregate {
        Aggregate::Mean => stats.mean,
        Aggregate::Min => stats.min,
        Aggregate::Max => stats.max,
        Aggregate::Initial | Aggregate::Final => {
            let first = traces.times.partition_point(|&t| t < t0);
            let last = traces.times.partition_point(|&t| t < t1) - 1;
            if statistic.aggregate == Aggregate::Initial {
                values[first]
            } else {
                values[last]
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anneal_semantics::{MemoryLoader, check_source};

    /// Temperature rising by 1 per second from 0 at t = 0 s to 9 at t = 9 s.
    fn ramp() -> Traces {
        let times: Vec<f64> = (0..10).map(f64::from).collect();
        Traces {
            columns: BTreeMap::from([("temperature".to_string(), times.clone())]),
            times,
            dt: 1.0,
        }
    }

    fn judged(expectations: &str) -> Result<Vec<Judged>, String> {
        let text = format!(
            "experiment \"t\" {{\n  seed 1\n  dt 1 s\n  duration 10 s\n}}\nconnectome brain = ring(nodes: 8)\nrecord every 1 s {{ temperature }}\n{expectations}"
        );
        let checked = check_source("t.anneal", &text, &MemoryLoader::default());
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        judge(&checked.program.expect("experiment").expectations, &ramp())
    }

    #[test]
    fn statistics_read_their_windows() {
        let results = judged(
            "expect mean(temperature) == 4.5\nexpect mean(temperature, during: 2 s..5 s) == 3\nexpect initial(temperature, after: 3 s) == 3\nexpect final(temperature, before: 3 s) == 2\nexpect max(temperature) - min(temperature) == 9\n",
        )
        .expect("judged");
        for result in &results {
            assert!(result.passed, "{} ({})", result.text, result.describe());
        }
        assert_eq!(results[1].measured(), 3.0);
    }

    #[test]
    fn a_failed_expectation_reports_both_sides() {
        let results = judged("expect final(temperature) < 2\n").expect("judged");
        assert!(!results[0].passed);
        assert_eq!(results[0].describe(), "9.000000 < 2.000000");
    }

    #[test]
    fn an_empty_window_is_an_error_not_a_value() {
        let error = judged("expect mean(temperature, before: 0 s) > 0\n").expect_err("no samples");
        assert!(error.contains("before: 0 s"), "{error}");
    }
}
