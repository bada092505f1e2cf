//! Schedules on integer step indices: sink profiles σ(t), cooling curves Θ(t) with reheating,
//! and source envelopes a(t). Each is a pure function of the step (plus, for reheating after a
//! stall, a small saved state), so a resumed run evaluates them exactly as an uninterrupted one.

use serde::{Deserialize, Serialize};

use anneal_plan::{CoolingCurve, CoolingShape, Envelope, Profile, Reheat, TablePoint};

/// Piecewise-linear interpolation; `outside` gives the value before the first and after the
/// last point (`None`: hold the end values).
fn table_value(points: &[TablePoint], step: f64, outside: Option<f64>) -> f64 {
    let (first, last) = (points[0], points[points.len() - 1]);
    if step <= first.step as f64 {
        return if step < first.step as f64 {
            outside.unwrap_or(first.value)
        } else {
            first.value
        };
    }
    if step >= last.step as f64 {
        return if step > last.step as f64 {
            outside.unwrap_or(last.value)
        } else {
            last.value
        };
    }
    // Points are strictly increasing (validated), so the partition point is well defined.
    let upper = points.partition_point(|p| (p.step as f64) <= step);
    let (a, b) = (points[upper - 1], points[upper]);
    let fraction = (step - a.step as f64) / (b.step - a.step) as f64;
    a.value + (b.value - a.value) * fraction
}

/// σ(step) of a sink profile.
pub fn profile_value(profile: &Profile, step: u64) -> f64 {
    match profile {
        Profile::Constant { value } => *value,
        Profile::Ramp {
            start_step,
            end_step,
            from,
            to,
        } => {
            if step <= *start_step {
                *from
            } else if step >= *end_step {
                *to
            } else {
                from + (to - from) * (step - start_step) as f64 / (end_step - start_step) as f64
            }
        }
        Profile::Table { points } => table_value(points, step as f64, None),
        Profile::Shaped { curve } => {
            if step < curve.start_step {
                curve.from
            } else {
                cooling_shape_value(curve, step - curve.start_step)
            }
        }
    }
}

/// Θ of a cooling shape, `elapsed` steps after its (re)start.
fn cooling_shape_value(curve: &CoolingCurve, elapsed: u64) -> f64 {
    let k = elapsed as f64 / curve.scale_steps as f64;
    let (from, to) = (curve.from, curve.to);
    match &curve.shape {
        CoolingShape::Constant => from,
        CoolingShape::Linear => from + (to - from) * k.min(1.0),
        CoolingShape::Exponential => to + (from - to) * (-k).exp(),
        CoolingShape::Logarithmic => to + (from - to) / (k + std::f64::consts::E).ln(),
        CoolingShape::Cauchy => to + (from - to) / (1.0 + k),
        CoolingShape::Quadratic => {
            let remaining = 1.0 - k.min(1.0);
            to + (from - to) * remaining * remaining
        }
        CoolingShape::Trigonometric => {
            to + 0.5 * (from - to) * (1.0 + (std::f64::consts::PI * k.min(1.0)).cos())
        }
        CoolingShape::Table { points } => table_value(points, elapsed as f64, None),
        // Whole stages from integer steps, so a stage boundary never drifts with rounding.
        CoolingShape::Geometric { ratio } => {
            let stage = elapsed / curve.scale_steps;
            let factor = ratio.powi(i32::try_from(stage).unwrap_or(i32::MAX));
            to + (from - to) * factor
        }
    }
}

/// The cooling curve's clock: where the curve last (re)started, and the stall monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoolingClock {
    pub last_restart: u64,
    pub best_monitored: f64,
    pub best_step: u64,
    pub restarts: u64,
}

impl CoolingClock {
    pub fn new(curve: &CoolingCurve) -> Self {
        CoolingClock {
            last_restart: curve.start_step,
            best_monitored: f64::INFINITY,
            best_step: curve.start_step,
            restarts: 0,
        }
    }

    /// Θ at `step`.
    pub fn theta(&self, curve: &CoolingCurve, step: u64) -> f64 {
        if step < curve.start_step {
            return match &curve.shape {
                CoolingShape::Table { points } => points[0].value,
                _ => curve.from,
            };
        }
        let start = match curve.reheat {
            Some(Reheat::Every { period_steps }) => {
                curve.start_step + (step - curve.start_step) / period_steps * period_steps
            }
            _ => self.last_restart.max(curve.start_step),
        };
        cooling_shape_value(curve, step - start)
    }

    /// Feeds the monitored energy at `step` (after the step's dynamics); with reheating after
    /// a stall, restarts the curve when no improvement beyond the tolerance came for a window.
    /// Returns true when the curve restarted.
    pub fn observe(&mut self, curve: &CoolingCurve, step: u64, monitored: f64) -> bool {
        let Some(Reheat::AfterStall {
            window_steps,
            tolerance,
        }) = curve.reheat
        else {
            return false;
        };
        if step < curve.start_step {
            return false;
        }
        if monitored < self.best_monitored - tolerance {
            self.best_monitored = monitored;
            self.best_step = step;
        } else if step - self.best_step >= window_steps {
            self.last_restart = step;
            self.best_monitored = f64::INFINITY;
            self.best_step = step;
            self.restarts += 1;
            return true;
        }
        false
    }
}

/// a(step) of an envelope; `dt` converts steps to seconds for the pharmacokinetic curve.
pub fn envelope_value(envelope: &Envelope, step: u64, dt: f64) -> f64 {
    match envelope {
        Envelope::Always => 1.0,
        Envelope::Pulse {
            at_step,
            duration_steps,
        } => {
            if step >= *at_step && step - at_step < *duration_steps {
                1.0
            } else {
                0.0
            }
        }
        Envelope::Ramp {
            at_step,
            rise_steps,
            hold_steps,
            fall_steps,
        } => {
            if step < *at_step {
                return 0.0;
            }
            let t = step - at_step;
            if t < *rise_steps {
                t as f64 / *rise_steps as f64
            } else if t < rise_steps + hold_steps {
                1.0
            } else if t < rise_steps + hold_steps + fall_steps {
                1.0 - (t - rise_steps - hold_steps) as f64 / *fall_steps as f64
            } else {
                0.0
            }
        }
        Envelope::Bateman {
            at_step,
            dose,
            absorption_rate,
            elimination_rate,
        } => {
            if step < *at_step {
                return 0.0;
            }
            let t = (step - at_step) as f64 * dt;
            let (ka, ke) = (*absorption_rate, *elimination_rate);
            if (ka - ke).abs() <= 1e-12 * ka.max(ke) {
                // The limit k_a → k_e of the Bateman function.
                dose * ka * t * (-ka * t).exp()
            } else {
                dose * ka / (ka - ke) * ((-ke * t).exp() - (-ka * t).exp())
            }
        }
        Envelope::Table { points } => table_value(points, step as f64, Some(0.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(shape: CoolingShape) -> CoolingCurve {
        CoolingCurve {
            shape,
            from: 4.0,
            to: 1.0,
            start_step: 10,
            scale_steps: 100,
            reheat: None,
        }
    }

    #[test]
    fn a_shaped_sink_profile_follows_the_curve_of_its_shape() {
        // σ(t) = to + (from − to) e^{−(t − start)/τ} after the start, `from` before it: the
        // same values the cooling clock gives for the same exponential.
        let shaped = curve(CoolingShape::Exponential);
        let profile = Profile::Shaped {
            curve: shaped.clone(),
        };
        let clock = CoolingClock::new(&shaped);
        for step in [0u64, 9, 10, 11, 60, 110, 510, 5_000] {
            let expected = if step < 10 {
                4.0
            } else {
                1.0 + 3.0 * (-((step - 10) as f64) / 100.0).exp()
            };
            assert!((profile_value(&profile, step) - expected).abs() < 1e-12);
            assert_eq!(profile_value(&profile, step), clock.theta(&shaped, step));
        }
    }

    #[test]
    fn geometric_cooling_multiplies_the_excess_by_the_ratio_once_per_stage() {
        let geometric = curve(CoolingShape::Geometric { ratio: 0.5 });
        let clock = CoolingClock::new(&geometric);
        // from 4, to 1, stages of 100 steps starting at step 10: excess 3, 1.5, 0.75, ...
        assert_eq!(clock.theta(&geometric, 0), 4.0);
        for stage in 0..8u64 {
            let first = 10 + stage * 100;
            let expected_excess = 3.0 * 0.5f64.powi(stage as i32);
            for step in [first, first + 57, first + 99] {
                let theta = clock.theta(&geometric, step);
                assert!(
                    (theta - 1.0 - expected_excess).abs() < 1e-12,
                    "step {step}: {theta}"
                );
            }
        }
        // Constant within a stage, a jump at each boundary: not the exponential's smooth fall.
        let exponential = curve(CoolingShape::Exponential);
        let smooth = CoolingClock::new(&exponential);
        assert!((smooth.theta(&exponential, 60) - smooth.theta(&exponential, 100)).abs() > 0.1);
        assert_eq!(clock.theta(&geometric, 60), clock.theta(&geometric, 100));
    }

    #[test]
    fn cooling_shapes_follow_their_formulas() {
        let clock = CoolingClock::new(&curve(CoolingShape::Constant));
        type Formula = Box<dyn Fn(f64) -> f64>;
        let cases: Vec<(CoolingShape, Formula)> = vec![
            (CoolingShape::Constant, Box::new(|_| 4.0)),
            (
                CoolingShape::Linear,
                Box::new(|k: f64| 4.0 - 3.0 * k.min(1.0)),
            ),
            (
                CoolingShape::Exponential,
                Box::new(|k: f64| 1.0 + 3.0 * (-k).exp()),
            ),
            (
                CoolingShape::Logarithmic,
                Box::new(|k: f64| 1.0 + 3.0 / (k + std::f64::consts::E).ln()),
            ),
            (
                CoolingShape::Cauchy,
                Box::new(|k: f64| 1.0 + 3.0 / (1.0 + k)),
            ),
            (
                CoolingShape::Quadratic,
                Box::new(|k: f64| 1.0 + 3.0 * (1.0 - k.min(1.0)).powi(2)),
            ),
            (
                CoolingShape::Trigonometric,
                Box::new(|k: f64| 1.0 + 1.5 * (1.0 + (std::f64::consts::PI * k.min(1.0)).cos())),
            ),
        ];
        for (shape, formula) in cases {
            let c = curve(shape.clone());
            assert_eq!(clock.theta(&c, 0), 4.0, "{shape:?} before start");
            for step in [10u64, 35, 60, 110, 300] {
                let k = (step - 10) as f64 / 100.0;
                let value = clock.theta(&c, step);
                assert!(
                    (value - formula(k)).abs() < 1e-12,
                    "{shape:?} at {step}: {value} vs {}",
                    formula(k)
                );
            }
            // Every curve starts at `from`.
            assert!((clock.theta(&c, 10) - 4.0).abs() < 1e-12, "{shape:?}");
        }
        let table = curve(CoolingShape::Table {
            points: vec![
                TablePoint {
                    step: 0,
                    value: 3.0,
                },
                TablePoint {
                    step: 50,
                    value: 1.0,
                },
            ],
        });
        assert_eq!(clock.theta(&table, 35), 2.0);
        assert_eq!(clock.theta(&table, 500), 1.0);
    }

    #[test]
    fn reheating_restarts_the_curve() {
        let mut every = curve(CoolingShape::Linear);
        every.reheat = Some(Reheat::Every { period_steps: 50 });
        let clock = CoolingClock::new(&every);
        assert_eq!(clock.theta(&every, 60), 4.0);
        assert!((clock.theta(&every, 85) - clock.theta(&every, 35)).abs() < 1e-12);

        let mut stall = curve(CoolingShape::Linear);
        stall.reheat = Some(Reheat::AfterStall {
            window_steps: 5,
            tolerance: 0.1,
        });
        let mut clock = CoolingClock::new(&stall);
        let mut restarted_at = None;
        for step in 10..40 {
            // Improves until step 20, then stalls.
            let monitored = if step < 20 { -(step as f64) } else { -20.0 };
            if clock.observe(&stall, step, monitored) {
                restarted_at = Some(step);
                break;
            }
        }
        assert_eq!(restarted_at, Some(25), "best at step 20, window 5");
        assert_eq!(clock.theta(&stall, 25), 4.0);
    }

    #[test]
    fn envelopes_and_profiles() {
        let pulse = Envelope::Pulse {
            at_step: 5,
            duration_steps: 3,
        };
        let values: Vec<f64> = (3..10).map(|s| envelope_value(&pulse, s, 0.1)).collect();
        assert_eq!(values, vec![0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]);
        let ramp = Envelope::Ramp {
            at_step: 0,
            rise_steps: 4,
            hold_steps: 2,
            fall_steps: 4,
        };
        let values: Vec<f64> = (0..11).map(|s| envelope_value(&ramp, s, 0.1)).collect();
        assert_eq!(
            values,
            vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0]
        );
        let bateman = Envelope::Bateman {
            at_step: 10,
            dose: 1.0,
            absorption_rate: 2.0,
            elimination_rate: 0.5,
        };
        assert_eq!(envelope_value(&bateman, 9, 0.01), 0.0);
        let t: f64 = 1.3;
        let expected = 2.0 / 1.5 * ((-0.5 * t).exp() - (-2.0 * t).exp());
        assert!((envelope_value(&bateman, 140, 0.01) - expected).abs() < 1e-12);
        let equal = Envelope::Bateman {
            at_step: 0,
            dose: 1.0,
            absorption_rate: 1.0,
            elimination_rate: 1.0,
        };
        let near = Envelope::Bateman {
            at_step: 0,
            dose: 1.0,
            absorption_rate: 1.0 + 1e-7,
            elimination_rate: 1.0,
        };
        assert!(
            (envelope_value(&equal, 100, 0.01) - envelope_value(&near, 100, 0.01)).abs() < 1e-6
        );
        let table = Envelope::Table {
            points: vec![
                TablePoint {
                    step: 2,
                    value: 1.0,
                },
                TablePoint {
                    step: 4,
                    value: 3.0,
                },
            ],
        };
        assert_eq!(envelope_value(&table, 1, 1.0), 0.0);
        assert_eq!(envelope_value(&table, 3, 1.0), 2.0);
        assert_eq!(envelope_value(&table, 5, 1.0), 0.0);
        let profile = Profile::Ramp {
            start_step: 10,
            end_step: 20,
            from: 1.0,
            to: 0.0,
        };
        assert_eq!(profile_value(&profile, 15), 0.5);
        assert_eq!(profile_value(&profile, 25), 0.0);
    }

    proptest::proptest! {
        #[test]
        fn cooling_stays_between_its_ends(from in 0.0f64..10.0, to in 0.0f64..10.0, scale in 1u64..10_000, step in 0u64..1_000_000, shape in 0usize..7) {
            let shape = [
                CoolingShape::Constant,
                CoolingShape::Linear,
                CoolingShape::Exponential,
                CoolingShape::Logarithmic,
                CoolingShape::Cauchy,
                CoolingShape::Quadratic,
                CoolingShape::Trigonometric,
            ][shape].clone();
            let curve = CoolingCurve { shape, from, to, start_step: 0, scale_steps: scale, reheat: None };
            let value = CoolingClock::new(&curve).theta(&curve, step);
            let (low, high) = (from.min(to), from.max(to));
            proptest::prop_assert!(value >= low - 1e-12 && value <= high + 1e-12, "{value} outside [{low}, {high}]");
        }

        #[test]
        fn bateman_never_exceeds_its_peak(dose in 0.0f64..10.0, ka in 0.01f64..10.0, ke in 0.01f64..10.0, step in 0u64..100_000) {
            let envelope = Envelope::Bateman { at_step: 0, dose, absorption_rate: ka, elimination_rate: ke };
            let value = envelope_value(&envelope, step, 0.01);
            let peak = anneal_plan::envelope_peak(&envelope);
            proptest::prop_assert!(value >= 0.0 && value <= peak * (1.0 + 1e-9) + 1e-12, "{value} > {peak}");
        }
    }
}
