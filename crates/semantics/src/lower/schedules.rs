//! Curves to schedules: cooling curves and sink profiles on the step grid.

use super::*;

impl Lowerer<'_> {
    pub(super) fn profile(&mut self, curve: &Curve) -> Profile {
        match curve.kind {
            "constant" => Profile::Constant {
                value: curve.param("level").unwrap_or(1.0),
            },
            "linear" => {
                let start = self.curve_param_steps(curve, "at").unwrap_or(0);
                let over = self.curve_param_steps(curve, "over").unwrap_or(0);
                Profile::Ramp {
                    start_step: start,
                    end_step: start + over,
                    from: curve.param("from").unwrap_or(1.0),
                    to: curve.param("to").unwrap_or(1.0),
                }
            }
            "table" => Profile::Table {
                points: self.table("a sink schedule point", &curve.table, 0),
            },
            "reheating" => {
                self.unsupported(
                    curve.loc,
                    "a sink schedule cannot reheat: reheating restarts the bath after a stall of \
                     the run's own energy or every period, a clock the sinks do not have; write the \
                     repeated curve as a `table`"
                        .to_string(),
                );
                Profile::Constant { value: 1.0 }
            }
            _ => match self.cooling(curve) {
                Some(shaped) => Profile::Shaped { curve: shaped },
                None => Profile::Constant { value: 1.0 },
            },
        }
    }

    fn curve_param_steps(&mut self, curve: &Curve, name: &str) -> Option<u64> {
        let scalar = curve.params.get(name)?;
        self.steps(&format!("`{name}`"), scalar)
    }

    pub(super) fn cooling(&mut self, curve: &Curve) -> Option<CoolingCurve> {
        let from = curve.param("from").unwrap_or(1.0);
        let to = curve.param("to").unwrap_or(from);
        let start_step = match curve.params.get("at") {
            Some(at) => self.time_within_run("the start of the cooling curve", at)?,
            None => 0,
        };
        let (shape, scale) = match curve.kind {
            "constant" => {
                let level = curve.param("level").unwrap_or(1.0);
                return Some(CoolingCurve::constant(level));
            }
            "linear" => (CoolingShape::Linear, "over"),
            "exponential" => (CoolingShape::Exponential, "tau"),
            "logarithmic" => (CoolingShape::Logarithmic, "tau"),
            "cauchy" => (CoolingShape::Cauchy, "tau"),
            "quadratic" => (CoolingShape::Quadratic, "over"),
            "trigonometric" => (CoolingShape::Trigonometric, "over"),
            "geometric" => (
                CoolingShape::Geometric {
                    ratio: curve.param("ratio").unwrap_or(1.0),
                },
                "every",
            ),
            "table" => {
                let points = self.table("a cooling table point", &curve.table, start_step);
                let first = points.first().map_or(1.0, |p| p.value);
                let last = points.last().map_or(1.0, |p| p.value);
                return Some(CoolingCurve {
                    shape: CoolingShape::Table { points },
                    from: first,
                    to: last,
                    start_step,
                    scale_steps: 1,
                    reheat: None,
                });
            }
            "reheating" => {
                let base = curve.base.as_deref()?;
                let mut lowered = self.cooling(base)?;
                let reheat = if let Some(every) = curve.params.get("every") {
                    Reheat::Every {
                        period_steps: self.steps("the reheating period", every)?.max(1),
                    }
                } else if let Some(stall) = curve.params.get("stall") {
                    Reheat::AfterStall {
                        window_steps: self.steps("the stall window", stall)?.max(1),
                        tolerance: STALL_TOLERANCE,
                    }
                } else {
                    self.unsupported(
                        curve.loc,
                        "`reheating` needs `every:` or `stall:`".to_string(),
                    );
                    return None;
                };
                lowered.reheat = Some(reheat);
                return Some(lowered);
            }
            other => {
                self.unsupported(
                    curve.loc,
                    format!("the engine has no `{other}` cooling curve"),
                );
                return None;
            }
        };
        let scale_steps = self.curve_param_steps(curve, scale)?;
        if scale_steps == 0 {
            let at = curve.params.get(scale).map_or(curve.loc, |s| s.loc);
            self.error(
                "E0040",
                at,
                format!("the cooling time scale `{scale}` must be at least one step"),
                "zero",
            );
            return None;
        }
        Some(CoolingCurve {
            shape,
            from,
            to,
            start_step,
            scale_steps,
            reheat: None,
        })
    }
}
