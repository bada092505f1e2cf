//! Carrying a running engine over to a changed plan, as the REPL's `:set` does: the engine knows
//! which parts of a plan its state depends on, so it alone decides whether that state can go on
//! under the new plan or the run must start again.

use super::*;

/// The engine for a new plan, and how it came from the old one.
pub enum Continuation {
    /// The state was carried over; `changed` names the parts of the plan that differ (the
    /// sources, the cooling curve, the sinks, the duration), empty when the plan is the same.
    Continued {
        engine: Engine,
        changed: Vec<&'static str>,
    },
    /// The engine starts again from step 0, for the reason given.
    Restarted {
        engine: Engine,
        reason: RestartReason,
    },
}

/// Why a changed plan cannot continue from the current state.
#[derive(Debug)]
pub enum RestartReason {
    /// Parts of the plan the state depends on changed (the time step, the seed, the field,
    /// locking, metric or landscape settings, what is recorded).
    Changed(Vec<&'static str>),
    /// The new run is shorter than the part already run.
    Shorter { new_steps: u64, done: u64 },
    /// The saved state was refused by the new plan (its error says why).
    StateDoesNotFit(EngineError),
}

impl Engine {
    /// Builds the engine that runs `plan` on `basis` (the basis this engine runs on) from here:
    /// from the current state when only schedules, sources or the duration changed, otherwise
    /// from step 0. A cooling curve that changed before its first reheat starts on its own
    /// clock, as the new curve would.
    pub fn continue_with(
        &self,
        plan: &Plan,
        basis: &ModeBasis,
    ) -> Result<Continuation, EngineError> {
        let old = &self.plan;
        let now = self.step;
        let restart = |reason| -> Result<Continuation, EngineError> {
            Ok(Continuation::Restarted {
                engine: Engine::new(plan, basis)?,
                reason,
            })
        };
        let blocking: Vec<&'static str> = [
            (old.dt != plan.dt, "dt"),
            (old.seed != plan.seed, "the seed"),
            (old.field != plan.field, "the field settings"),
            (old.locking != plan.locking, "the locking settings"),
            (old.metrics != plan.metrics, "the metric settings"),
            (old.landscape != plan.landscape, "the landscape"),
            (old.record != plan.record, "what is recorded"),
        ]
        .into_iter()
        .filter_map(|(differs, what)| differs.then_some(what))
        .collect();
        if !blocking.is_empty() {
            return restart(RestartReason::Changed(blocking));
        }
        if plan.n_steps < now {
            return restart(RestartReason::Shorter {
                new_steps: plan.n_steps,
                done: now,
            });
        }
        let changed: Vec<&'static str> = [
            (old.sources != plan.sources, "the sources"),
            (old.cooling != plan.cooling, "the cooling curve"),
            (old.sinks != plan.sinks, "the sinks"),
            (old.n_steps != plan.n_steps, "the duration"),
        ]
        .into_iter()
        .filter_map(|(differs, what)| differs.then_some(what))
        .collect();
        if now == 0 {
            let engine = Engine::new(plan, basis)?;
            return Ok(Continuation::Continued { engine, changed });
        }
        let mut state = self.snapshot();
        state.plan_hash = plan.content_hash();
        if old.cooling != plan.cooling && state.cooling_clock.restarts == 0 {
            state.cooling_clock = CoolingClock::new(&plan.cooling);
        }
        match Engine::restore(plan, basis, &state) {
            Ok(engine) => Ok(Continuation::Continued { engine, changed }),
            Err(error) => restart(RestartReason::StateDoesNotFit(error)),
        }
    }
}
