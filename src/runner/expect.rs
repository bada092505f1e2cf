//! Judging a script's `expect` statements against the recorded traces.

use std::collections::BTreeMap;

use crate::output::window_stats;
use crate::plan::lower::observable_column;
use crate::semantics::program::{
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
