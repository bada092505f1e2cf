//! `:set`: a `let`, a source or the cooling curve changed at the prompt, the script re-checked
//! with the new value, and the engine carried over to the new plan or restarted.

use super::*;

impl Session {
    /// `:set NAME = EXPR`: recompiles the script with the new value (evaluated in the
    /// script's scope), and continues from the current state when only schedules changed.
    pub(super) fn set(&mut self, name: &str, expression: &str) -> Result<String, String> {
        let loaded = self.loaded()?;
        Target::of(name, loaded)?;
        let mut overrides = loaded.overrides.clone();
        overrides.insert(name.to_string(), expression.to_string());
        let mut lets = HashMap::new();
        let mut others = Vec::new();
        for (name, expression) in &overrides {
            if Target::of(name, loaded)? == Target::Let {
                lets.insert(name.clone(), expression.clone());
            } else {
                others.push((name.clone(), expression.clone()));
            }
        }
        let (checked, values) = scope::recheck(&loaded.path, &loaded.text, &lets, &others);
        let unchanged = format!(
            "error: with `{name} = {expression}` the script does not compile; nothing changed"
        );
        let (mut program, sources, warnings) = runner::checked_program(checked)
            .map_err(|failure| format!("{}{unchanged}", self.failure(&failure)))?;
        for (name, value) in &values {
            match Target::of(name, loaded)? {
                Target::Setting(setting) => apply_setting(&mut program, setting, value)
                    .map_err(|error| format!("`:set {name}`: {error}"))?,
                Target::Source => {
                    let Value::Source(source) = value else {
                        return Err(format!(
                            "`{name}` is a source, but the value given is {}",
                            value.describe()
                        ));
                    };
                    if let Some(named) = program.sources.iter_mut().find(|s| &s.name == name) {
                        named.source = anneal_semantics::program::Source::clone(source);
                    }
                }
                Target::Let => {}
            }
        }
        let script_dir = loaded.path.parent().unwrap_or(Path::new("."));
        let prepared = runner::prepare_program(program, sources, warnings, script_dir)
            .map_err(|failure| format!("{}{unchanged}", self.failure(&failure)))?;
        let (engine, outcome) = continue_or_restart(loaded, &prepared)?;
        // The script's own warnings were shown when it was loaded; only new ones, in what
        // was typed, are shown here.
        let typed: Vec<_> = prepared
            .warnings
            .iter()
            .filter(|w| prepared.sources.name(w.file) == scope::PROMPT_SOURCE)
            .cloned()
            .collect();
        let mut text = render_all(&typed, &prepared.sources, self.render);
        let continued = matches!(outcome, Outcome::Continued(_));
        let _ = writeln!(text, "set {name} = {expression}; {}", outcome.describe());
        let loaded = self.loaded.as_mut().expect("checked above");
        loaded.prepared = prepared;
        loaded.engine = engine;
        loaded.overrides = overrides;
        let mut scope = PromptScope::of_script(&loaded.path, &loaded.text, &lets);
        for note in scope.replay(&self.scope) {
            let _ = writeln!(text, "note: {note}");
        }
        self.scope = scope;
        if !continued {
            self.history.clear();
            self.sample();
        }
        Ok(text)
    }
}

/// What `:set` may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A top-level `let` of the script.
    Let,
    /// One of [`SETTABLE`].
    Setting(&'static str),
    /// A `source NAME = ...` of the script.
    Source,
}

impl Target {
    fn of(name: &str, loaded: &Loaded) -> Result<Target, String> {
        let parsed = anneal_syntax::parse(FileId(0), &loaded.text)
            .map_err(|_| "the loaded script no longer parses; `:load` it again".to_string())?;
        let is_let = parsed.statements.iter().any(
            |statement| matches!(&statement.kind, StatementKind::Let { name: n, .. } if n.text == name),
        );
        if is_let {
            return Ok(Target::Let);
        }
        if let Some(setting) = SETTABLE.iter().find(|s| **s == name) {
            return Ok(Target::Setting(setting));
        }
        if loaded
            .prepared
            .program
            .sources
            .iter()
            .any(|s| s.name == name)
        {
            return Ok(Target::Source);
        }
        Err(format!(
            "`{name}` is not a `let` of the script, a source, nor one of {}",
            SETTABLE.join(", ")
        ))
    }
}

/// Puts a value given to `:set` for an experiment setting into the program.
fn apply_setting(
    program: &mut anneal_semantics::program::Program,
    setting: &str,
    value: &Value,
) -> Result<(), String> {
    match (setting, value) {
        ("cooling", Value::Curve(curve)) => program.cooling = (**curve).clone(),
        ("seed", Value::Number(scalar)) if scalar.dim == Dim::NONE => {
            if scalar.value < 0.0 || scalar.value.fract() != 0.0 || scalar.value > 2f64.powi(53) {
                return Err(format!(
                    "a seed is a whole number ≥ 0, not {}",
                    scalar.value
                ));
            }
            program.experiment.seed = scalar.value as u64;
        }
        ("dt" | "duration", Value::Number(scalar)) if scalar.dim == Dim::TIME => {
            if !(scalar.value.is_finite() && scalar.value > 0.0) {
                return Err(format!("{setting} must be a positive time"));
            }
            if setting == "dt" {
                program.experiment.dt = *scalar;
            } else {
                program.experiment.duration = *scalar;
            }
        }
        (setting, value) => {
            let wanted = match setting {
                "cooling" => "a cooling curve",
                "seed" => "a plain whole number",
                _ => "a time",
            };
            return Err(format!(
                "`{setting}` needs {wanted}, not {}",
                value.describe()
            ));
        }
    }
    Ok(())
}

/// How `:set` carried the engine over to the new plan.
enum Outcome {
    /// The state was restored into the new plan; the text lists what changed.
    Continued(String),
    /// The engine starts again; the text says why.
    Restarted(String),
}

impl Outcome {
    fn describe(&self) -> String {
        match self {
            Outcome::Continued(what) => what.clone(),
            Outcome::Restarted(why) => format!("{why}, so the engine restarts from step 0"),
        }
    }
}

/// Builds the engine for `new`: from step 0 when the connectome, the harmonics or the start of
/// recording changed (inputs the engine never sees), otherwise as the engine decides
/// ([`Engine::continue_with`]).
fn continue_or_restart(loaded: &Loaded, new: &Prepared) -> Result<(Engine, Outcome), String> {
    let old = &loaded.prepared;
    let plan = &new.lowered.plan;
    let cannot_start = |error| format!("error: the engine cannot start: {error}");
    let mut blocking = Vec::new();
    if old.connectome.content_hash() != new.connectome.content_hash() {
        blocking.push("the connectome");
    }
    if old.basis != new.basis {
        blocking.push("the harmonics");
    }
    if old.lowered.record_from != new.lowered.record_from {
        blocking.push("record_from");
    }
    if !blocking.is_empty() {
        let engine = Engine::new(plan, &new.basis).map_err(cannot_start)?;
        let why = format!("{} changed", join_words(&blocking));
        return Ok((engine, Outcome::Restarted(why)));
    }
    let now = loaded.engine.current_step();
    match loaded
        .engine
        .continue_with(plan, &new.basis)
        .map_err(cannot_start)?
    {
        Continuation::Continued { engine, changed } => {
            let what = if changed.is_empty() {
                "the plan is unchanged".to_string()
            } else {
                format!("{} changed", join_words(&changed))
            };
            let at = if now == 0 {
                "at step 0".to_string()
            } else {
                format!(
                    "continuing from step {now} (t = {} s)",
                    format_number(now as f64 * plan.dt)
                )
            };
            Ok((engine, Outcome::Continued(format!("{what}; {at}"))))
        }
        Continuation::Restarted { engine, reason } => {
            let why = match reason {
                RestartReason::Changed(parts) => format!("{} changed", join_words(&parts)),
                RestartReason::Shorter { new_steps, done } => format!(
                    "the new duration ({new_steps} steps) is shorter than the {done} steps already run"
                ),
                RestartReason::StateDoesNotFit(error) => {
                    format!("the engine state does not fit the new plan ({error})")
                }
            };
            Ok((engine, Outcome::Restarted(why)))
        }
    }
}
