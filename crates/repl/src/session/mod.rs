//! The state of a REPL session: the prepared script, its live engine, the history of the
//! quantities sampled as the engine advances (for the sparklines of `:show`), the values set
//! with `:set`, and the scope in which typed expressions are evaluated.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anneal_diagnostics::{FileId, RenderOptions, render_all};
use anneal_engine::schedule::envelope_value;
use anneal_engine::{Continuation, Engine, EngineView, EventKind, RestartReason};
use anneal_plan::{Action, Band};
use anneal_runner::{self as runner, Failure, Prepared};
use anneal_semantics::units::Dim;
use anneal_semantics::value::Value;
use anneal_syntax::ast::StatementKind;

use super::command::{Advance, COMMANDS, Command, EventName, Until};
use super::scope::{self, PromptScope};
use crate::format::{format_number, join_words, sparkline};

mod set;

/// Samples of each quantity kept for the sparkline.
const HISTORY_LENGTH: usize = 40;
/// A long `:step` is sampled this many times, so the sparkline shows its course.
const SAMPLES_PER_STEP_COMMAND: u64 = 20;
/// Steps between two looks at the Ctrl-C flag during a long `:step` or `:run`.
const INTERRUPT_CHUNK: u64 = 200;

/// The quantities `:show` and `:run until` know, with their units (`1` for dimensionless
/// ratios); the names are those of the recorded columns. `overlap.PATTERN` is known too for
/// each pattern of the landscape.
pub const QUANTITIES: &[(&str, &str)] = &[
    ("time", "s"),
    ("temperature", "1"),
    ("temperature.csh", "1"),
    ("temperature.rsh", "1"),
    ("temperature.ssh", "1"),
    ("bath", "1"),
    ("integration", "1"),
    ("consonance", "1"),
    ("dissonance", "1"),
    ("noise", "1"),
    ("valence", "1"),
    ("frustration", "1"),
    ("landscape_energy", "1"),
];

/// The settings of the experiment that `:set` can change besides the script's `let`s.
const SETTABLE: &[&str] = &["cooling", "seed", "dt", "duration"];

/// A script loaded into the session, with its engine.
struct Loaded {
    path: PathBuf,
    /// The script's text as loaded (`:set` recompiles this text, not the file as it is now).
    text: String,
    prepared: Prepared,
    engine: Engine,
    /// The expressions given with `:set`, by name.
    overrides: BTreeMap<String, String>,
}

/// What the caller should do after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// What `:run until` waits for: looked at after every step, it says how the goal was met.
type Goal<'a> = dyn FnMut(&EngineView<'_>) -> Option<String> + 'a;

/// Why the engine stopped advancing.
enum Stopped {
    /// It went as far as asked.
    Reached,
    /// The `:run until` target was met; the text says how.
    Met(String),
    /// Ctrl-C.
    Interrupted,
    /// The experiment ended first.
    End,
}

/// A REPL session.
pub struct Session {
    loaded: Option<Loaded>,
    history: BTreeMap<String, Vec<f64>>,
    scope: PromptScope,
    interrupt: Arc<AtomicBool>,
    render: RenderOptions,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// A session with no script loaded, rendering diagnostics without colour.
    pub fn new() -> Session {
        Session {
            loaded: None,
            history: BTreeMap::new(),
            scope: PromptScope::empty(),
            interrupt: Arc::new(AtomicBool::new(false)),
            render: RenderOptions::plain(),
        }
    }

    /// Renders diagnostics with these options from now on (colour at a terminal).
    pub fn set_render_options(&mut self, options: RenderOptions) {
        self.render = options;
    }

    /// The flag a Ctrl-C handler sets to stop a long `:step` or `:run`; the session looks at
    /// it between chunks of steps and clears it when a command ends.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.interrupt)
    }

    /// The names an expression typed now can use (script, prompt definitions), sorted.
    pub fn names_in_scope(&self) -> Vec<String> {
        self.scope.names()
    }

    /// The quantities `:show` and `:run until` know for the loaded plan.
    pub fn quantity_names(&self) -> Vec<String> {
        let mut names: Vec<String> = QUANTITIES.iter().map(|(n, _)| n.to_string()).collect();
        if let Some(landscape) = self
            .loaded
            .as_ref()
            .and_then(|l| l.prepared.lowered.plan.landscape.as_ref())
        {
            names.extend(
                landscape
                    .patterns
                    .iter()
                    .map(|p| format!("overlap.{}", p.name)),
            );
        }
        names
    }

    fn failure(&self, failure: &Failure) -> String {
        render_all(&failure.diagnostics, &failure.sources, self.render)
    }

    /// Loads and compiles the script at `path`, replacing the current one on success. Errors are
    /// rendered as `anneal check` renders them.
    pub fn load(&mut self, path: &Path) -> Result<String, String> {
        let prepared = runner::prepare(path, None).map_err(|failure| self.failure(&failure))?;
        let engine = Engine::new(&prepared.lowered.plan, &prepared.basis)
            .map_err(|error| format!("error: the engine cannot start: {error}"))?;
        let mut text = render_all(&prepared.warnings, &prepared.sources, self.render);
        let plan = &prepared.lowered.plan;
        let _ = writeln!(
            text,
            "loaded experiment \"{}\" from {}: {} modes, {} steps of {} s",
            prepared.program.experiment.name,
            path.display(),
            prepared.basis.modes.len(),
            plan.n_steps,
            plan.dt
        );
        // The main script is the first file of a check.
        let script = prepared.sources.text(FileId(0)).to_string();
        self.scope = PromptScope::of_script(path, &script, &HashMap::new());
        self.loaded = Some(Loaded {
            path: path.to_path_buf(),
            text: script,
            prepared,
            engine,
            overrides: BTreeMap::new(),
        });
        self.history.clear();
        self.sample();
        Ok(text)
    }

    /// Runs one command and returns its output text (errors as `Err`).
    pub fn execute(&mut self, command: &Command) -> Result<(String, Flow), String> {
        let result = self.dispatch(command);
        // A Ctrl-C belongs to the command it interrupted (or arrived while none was running).
        self.interrupt.store(false, Ordering::SeqCst);
        result
    }

    fn dispatch(&mut self, command: &Command) -> Result<(String, Flow), String> {
        let text = match command {
            Command::Nothing => String::new(),
            Command::Quit => return Ok((String::new(), Flow::Quit)),
            Command::Help(topic) => help(topic.as_deref())?,
            Command::Load(file) => self.load(Path::new(file))?,
            Command::Step(advance) => self.step(advance)?,
            Command::Run(until) => self.run_until(until)?,
            Command::Show(quantity) => self.show(quantity)?,
            Command::Modes(top) => self.modes(*top)?,
            Command::Landscape => self.landscape()?,
            Command::Sources => self.sources()?,
            Command::Plan => self.plan()?,
            Command::Set { name, expression } => self.set(name, expression)?,
            Command::Reset => self.reset()?,
            Command::Save(folder) => self.save(Path::new(folder))?,
            Command::Evaluate(line) => self.scope.evaluate(line, self.render)?,
        };
        Ok((text, Flow::Continue))
    }

    fn loaded(&self) -> Result<&Loaded, String> {
        self.loaded
            .as_ref()
            .ok_or_else(|| "no script is loaded (use `:load FILE`)".to_string())
    }

    /// Advances up to `steps` steps (not past the end of the experiment), sampling the
    /// history every `sample_every` steps and at the end, looking at the Ctrl-C flag between
    /// chunks, and stopping early when `target` (looked at after every step) says so.
    fn advance(
        &mut self,
        steps: u64,
        sample_every: u64,
        mut target: Option<&mut Goal<'_>>,
    ) -> Result<Stopped, String> {
        let names = self.quantity_names();
        let loaded = self
            .loaded
            .as_mut()
            .ok_or("no script is loaded (use `:load FILE`)")?;
        let start = loaded.engine.current_step();
        let n_steps = loaded.prepared.lowered.plan.n_steps;
        let end = start.saturating_add(steps).min(n_steps);
        let sample_every = sample_every.max(1);
        while loaded.engine.current_step() < end {
            let now = loaded.engine.current_step();
            let next_sample = start + ((now - start) / sample_every + 1) * sample_every;
            let n = if target.is_some() {
                1
            } else {
                (end - now).min(INTERRUPT_CHUNK).min(next_sample - now)
            };
            loaded
                .engine
                .step(n)
                .map_err(|error| format!("error: the engine stopped: {error}"))?;
            let now = loaded.engine.current_step();
            if (now - start) % sample_every == 0 || now == end {
                sample_into(loaded, &names, &mut self.history);
            }
            if let Some(target) = target.as_mut()
                && let Some(met) = target(&loaded.engine.state())
            {
                if (now - start) % sample_every != 0 && now != end {
                    sample_into(loaded, &names, &mut self.history);
                }
                return Ok(Stopped::Met(met));
            }
            if self.interrupt.load(Ordering::SeqCst) {
                if (now - start) % sample_every != 0 {
                    sample_into(loaded, &names, &mut self.history);
                }
                return Ok(Stopped::Interrupted);
            }
        }
        Ok(if end < start.saturating_add(steps) {
            Stopped::End
        } else {
            Stopped::Reached
        })
    }

    /// `step N of M  t = X s  T = Y`.
    fn position(&self) -> Result<String, String> {
        let loaded = self.loaded()?;
        let view = loaded.engine.state();
        Ok(format!(
            "step {} of {}  t = {} s  T = {:.4}",
            view.step(),
            loaded.prepared.lowered.plan.n_steps,
            format_number(view.time()),
            view.temperature()
        ))
    }

    /// Refuses to advance an experiment that is over.
    fn not_over(&self) -> Result<(), String> {
        let loaded = self.loaded()?;
        let (now, n_steps) = (
            loaded.engine.current_step(),
            loaded.prepared.lowered.plan.n_steps,
        );
        if now >= n_steps {
            return Err(format!(
                "the experiment is over (step {now} of {n_steps}); `:reset` starts it again"
            ));
        }
        Ok(())
    }

    fn step(&mut self, advance: &Advance) -> Result<String, String> {
        self.not_over()?;
        let dt = self.loaded()?.prepared.lowered.plan.dt;
        let wanted = match advance {
            Advance::Steps(steps) => *steps,
            Advance::Seconds(seconds) => (seconds / dt).round() as u64,
        };
        let sample_every = wanted.div_ceil(SAMPLES_PER_STEP_COMMAND);
        let stopped = self.advance(wanted, sample_every, None)?;
        let mut text = self.position()?;
        match stopped {
            Stopped::End => text.push_str("  (stopped at the end of the experiment)"),
            Stopped::Interrupted => text.push_str("  (interrupted by Ctrl-C)"),
            Stopped::Reached | Stopped::Met(_) => {}
        }
        text.push('\n');
        Ok(text)
    }

    fn run_until(&mut self, until: &Until) -> Result<String, String> {
        self.not_over()?;
        let loaded = self.loaded()?;
        let plan = &loaded.prepared.lowered.plan;
        let (now, n_steps, dt) = (loaded.engine.current_step(), plan.n_steps, plan.dt);
        let left = n_steps - now;
        // A run to the end samples the sparkline about twice as often as it holds samples.
        let sample_every = (n_steps / (2 * HISTORY_LENGTH as u64)).max(1);
        let (stopped, goal) = match until {
            Until::Time(seconds) => {
                let target = (seconds / dt).round();
                if target <= now as f64 {
                    return Err(format!(
                        "t = {} s is not ahead: the engine is at t = {} s",
                        format_number(*seconds),
                        format_number(now as f64 * dt)
                    ));
                }
                let steps = if target > n_steps as f64 {
                    left + 1
                } else {
                    target as u64 - now
                };
                let stopped = self.advance(steps, steps.min(left).div_ceil(20), None)?;
                (stopped, format!("t = {} s", format_number(*seconds)))
            }
            Until::Event(event) => {
                let kind = match event {
                    EventName::Disintegration => EventKind::Disintegration,
                    EventName::Crystallisation => EventKind::Crystallisation,
                    EventName::Reheat => EventKind::Reheat,
                };
                let seen = loaded.engine.recorder().events_of(kind).count();
                let mut target = |view: &EngineView<'_>| {
                    let mut of_kind = view.events().iter().filter(|e| e.kind == kind);
                    of_kind.nth(seen).map(|event| {
                        format!(
                            "{} at t = {} s (T = {:.4}, overlap with the held attractor {:.4})",
                            event_name(kind),
                            format_number(event.step as f64 * dt),
                            event.temperature,
                            event.overlap
                        )
                    })
                };
                // One step more than is left, so that running out is `Stopped::End`.
                let stopped = self.advance(left + 1, sample_every, Some(&mut target))?;
                (stopped, format!("event {}", event.name()))
            }
            Until::Condition {
                quantity: name,
                comparison,
                threshold,
            } => {
                let known = self.quantity_names();
                if !known.contains(name) {
                    return Err(unknown_quantity(name, &known));
                }
                let goal = format!("{name} {} {}", comparison.symbol(), threshold);
                let value = quantity(&loaded.engine.state(), name).unwrap_or(f64::NAN);
                if comparison.holds(value, *threshold) {
                    return Ok(format!(
                        "`{goal}` holds already ({name} = {}); nothing to run\n",
                        format_number(value)
                    ));
                }
                let mut target = |view: &EngineView<'_>| {
                    let value = quantity(view, name)?;
                    comparison
                        .holds(value, *threshold)
                        .then(|| format!("{name} = {}", format_number(value)))
                };
                let stopped = self.advance(left + 1, sample_every, Some(&mut target))?;
                (stopped, format!("`{goal}`"))
            }
        };
        let position = self.position()?;
        Ok(match stopped {
            Stopped::Met(how) => format!("{position}\n  reached: {how}\n"),
            Stopped::Reached => format!("{position}\n  reached {goal}\n"),
            Stopped::Interrupted => {
                format!("{position}  (interrupted by Ctrl-C before {goal})\n")
            }
            Stopped::End => {
                format!("{position}\n  the experiment ended before {goal} was reached\n")
            }
        })
    }

    /// Appends the current value of every quantity to its history.
    fn sample(&mut self) {
        let names = self.quantity_names();
        if let Some(loaded) = &self.loaded {
            sample_into(loaded, &names, &mut self.history);
        }
    }

    fn show(&self, name: &str) -> Result<String, String> {
        let loaded = self.loaded()?;
        let known = self.quantity_names();
        if !known.iter().any(|k| k == name) {
            return Err(unknown_quantity(name, &known));
        }
        let unit = QUANTITIES
            .iter()
            .find(|(key, _)| *key == name)
            .map_or("1", |(_, unit)| unit);
        let view = loaded.engine.state();
        let value = quantity(&view, name).ok_or_else(|| format!("`{name}` has no value now"))?;
        let unit = if unit == "1" {
            String::new()
        } else {
            format!(" {unit}")
        };
        let history = self.history.get(name).map(Vec::as_slice).unwrap_or(&[]);
        Ok(format!(
            "{name} = {}{unit}\n  {}  ({} samples)\n",
            format_number(value),
            sparkline(history),
            history.len()
        ))
    }

    fn modes(&self, top: usize) -> Result<String, String> {
        let loaded = self.loaded()?;
        let basis = &loaded.prepared.basis;
        let energy = loaded.engine.state().mode_energy();
        let mut order: Vec<usize> = (0..energy.len()).collect();
        // Largest energy first; ties by index, so the listing is stable.
        order.sort_by(|&a, &b| energy[b].total_cmp(&energy[a]).then(a.cmp(&b)));
        let mut text = format!(
            "{:>5}  {:<5} {:<12} {:>12} {:>12}\n",
            "mode", "kind", "region", "freq (Hz)", "energy"
        );
        for &index in order.iter().take(top) {
            let mode = &basis.modes[index];
            let kind = match mode.band {
                Band::Csh => "CSHW",
                Band::Rsh => "RSHW",
                Band::Ssh => "SSHW",
            };
            let region = mode
                .region
                .and_then(|r| basis.region_names.get(r))
                .map_or("-", String::as_str);
            let _ = writeln!(
                text,
                "{index:>5}  {kind:<5} {region:<12} {:>12} {:>12}",
                format_number(mode.frequency_hz),
                format_number(energy[index])
            );
        }
        Ok(text)
    }

    fn landscape(&self) -> Result<String, String> {
        let loaded = self.loaded()?;
        let plan = &loaded.prepared.lowered.plan;
        let Some(landscape) = &plan.landscape else {
            return Ok("this plan has no landscape\n".into());
        };
        let view = loaded.engine.state();
        let mut text = format!(
            "frustration {}  energy {}\n",
            format_number(view.frustration()),
            format_number(view.landscape_energy())
        );
        if let Some(overlap) = view.attractor_overlap() {
            let _ = writeln!(
                text,
                "overlap with the held attractor {}",
                format_number(overlap)
            );
        }
        for pattern in &landscape.patterns {
            if let Some(overlap) = view.overlap(&pattern.name) {
                let _ = writeln!(
                    text,
                    "overlap({}) = {}",
                    pattern.name,
                    format_number(overlap)
                );
            }
        }
        Ok(text)
    }

    /// Each source with whether it is active at the current step (any component's envelope is
    /// non-zero) and each component's envelope value there: what the next step applies.
    fn sources(&self) -> Result<String, String> {
        let loaded = self.loaded()?;
        let plan = &loaded.prepared.lowered.plan;
        if plan.sources.is_empty() {
            return Ok("no sources\n".into());
        }
        let now = loaded.engine.current_step();
        let mut text = format!(
            "at step {now} (t = {} s):\n",
            format_number(now as f64 * plan.dt)
        );
        let width = plan.sources.iter().map(|s| s.name.len()).max().unwrap_or(0);
        for source in &plan.sources {
            let values: Vec<f64> = source
                .components
                .iter()
                .map(|c| envelope_value(&c.envelope, now, plan.dt))
                .collect();
            let active = values.iter().any(|v| *v != 0.0);
            let components: Vec<String> = source
                .components
                .iter()
                .zip(&values)
                .map(|(component, value)| {
                    format!(
                        "{} {}",
                        describe_action(&component.action),
                        format_number(*value)
                    )
                })
                .collect();
            let _ = writeln!(
                text,
                "  {:<width$}  {:<8}  envelope: {}",
                source.name,
                if active { "active" } else { "inactive" },
                components.join(", ")
            );
        }
        Ok(text)
    }

    fn plan(&self) -> Result<String, String> {
        let loaded = self.loaded()?;
        let plan = &loaded.prepared.lowered.plan;
        let mut text = format!(
            "experiment \"{}\" ({})\n  plan {}  seed {}  {} steps of {} s ({} s)\n  {} modes, now at step {}\n",
            loaded.prepared.program.experiment.name,
            loaded.path.display(),
            &plan.content_hash()[..16],
            plan.seed,
            plan.n_steps,
            plan.dt,
            format_number(plan.n_steps as f64 * plan.dt),
            loaded.prepared.basis.modes.len(),
            loaded.engine.current_step()
        );
        for (name, expression) in &loaded.overrides {
            let _ = writeln!(text, "  set {name} = {expression}");
        }
        Ok(text)
    }

    fn reset(&mut self) -> Result<String, String> {
        let loaded = self
            .loaded
            .as_mut()
            .ok_or("no script is loaded (use `:load FILE`)")?;
        loaded.engine = Engine::new(&loaded.prepared.lowered.plan, &loaded.prepared.basis)
            .map_err(|error| format!("error: the engine cannot start: {error}"))?;
        self.history.clear();
        self.sample();
        Ok("reset to step 0\n".into())
    }

    /// Writes what was recorded so far as `anneal run` writes a results folder.
    fn save(&self, folder: &Path) -> Result<String, String> {
        let loaded = self.loaded()?;
        let output = runner::results::collect(&loaded.prepared, &loaded.engine);
        let path = runner::results::write(&loaded.prepared, &output, folder)
            .map_err(|error| format!("cannot write the results: {error}"))?;
        let plan = &loaded.prepared.lowered.plan;
        let now = loaded.engine.current_step();
        let mut text = format!(
            "saved step {now} of {} (t = {} s, {} records) to {}\n",
            plan.n_steps,
            format_number(now as f64 * plan.dt),
            output.traces.times.len(),
            path.display()
        );
        for judged in &output.judged {
            let _ = writeln!(
                text,
                "  {} expect {}  ({})",
                if judged.passed { "pass" } else { "FAIL" },
                judged.text,
                judged.describe()
            );
        }
        for error in &output.expectation_errors {
            let _ = writeln!(text, "  FAIL {error}");
        }
        Ok(text)
    }
}

fn event_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Disintegration => "disintegration",
        EventKind::Crystallisation => "crystallisation",
        EventKind::Reheat => "reheat",
    }
}

fn describe_action(action: &Action) -> String {
    match action {
        Action::Broadband { .. } => "broadband".into(),
        Action::Drive { frequency_hz, .. } => {
            format!("drive {} Hz", format_number(*frequency_hz))
        }
        Action::Metronome { frequency_hz, .. } => {
            format!("metronome {} Hz", format_number(*frequency_hz))
        }
        Action::SinkSuppression { .. } => "sink suppression".into(),
        Action::SinkBoost { .. } => "sink boost".into(),
        Action::Content { pattern, .. } => format!("content {pattern}"),
        Action::WeakenCsh { .. } => "weaken CSHW".into(),
        Action::DetuneRegion { region, .. } => match region {
            Some(region) => format!("detune {region}"),
            None => "detune every region".into(),
        },
        Action::Restore { .. } => "restore".into(),
    }
}

fn unknown_quantity(name: &str, known: &[String]) -> String {
    format!("unknown quantity `{name}`; known: {}", known.join(", "))
}

/// Appends the current value of each named quantity to its history.
fn sample_into(loaded: &Loaded, names: &[String], history: &mut BTreeMap<String, Vec<f64>>) {
    let view = loaded.engine.state();
    for name in names {
        let Some(value) = quantity(&view, name) else {
            continue;
        };
        let samples = history.entry(name.clone()).or_default();
        samples.push(value);
        if samples.len() > HISTORY_LENGTH {
            samples.remove(0);
        }
    }
}

/// The value of a quantity listed in [`QUANTITIES`], or of `overlap.PATTERN`.
fn quantity(view: &EngineView<'_>, name: &str) -> Option<f64> {
    if let Some(pattern) = name.strip_prefix("overlap.") {
        return view.overlap(pattern);
    }
    Some(match name {
        "time" => view.time(),
        "temperature" => view.temperature(),
        "temperature.csh" => view.band_temperature(Band::Csh),
        "temperature.rsh" => view.band_temperature(Band::Rsh),
        "temperature.ssh" => view.band_temperature(Band::Ssh),
        "bath" => view.bath(),
        "integration" => view.integration(),
        "consonance" => view.consonance(),
        "dissonance" => view.dissonance(),
        "noise" => view.noise(),
        "valence" => view.valence(),
        "frustration" => view.frustration(),
        "landscape_energy" => view.landscape_energy(),
        _ => return None,
    })
}

/// `:help` and `:help step`.
fn help(topic: Option<&str>) -> Result<String, String> {
    let mut text = String::new();
    match topic {
        None => {
            let width = COMMANDS
                .iter()
                .map(|(usage, _)| usage.len())
                .max()
                .unwrap_or(0);
            for (usage, about) in COMMANDS {
                let _ = writeln!(text, "{usage:<width$}  {about}");
            }
            let _ = writeln!(
                text,
                "{:<width$}  any other line is the language: `2 Hz * 3 s`, `let f = 40 bpm`",
                "EXPR | let | fn | use"
            );
        }
        Some(topic) => {
            let (usage, about) = COMMANDS
                .iter()
                .find(|(usage, _)| usage[1..].split(' ').next() == Some(topic))
                .ok_or_else(|| format!("no command `:{topic}` (try `:help`)"))?;
            let _ = writeln!(text, "{usage}\n  {about}");
            if topic == "show" || topic == "run" {
                let names: Vec<&str> = QUANTITIES.iter().map(|(name, _)| *name).collect();
                let _ = writeln!(text, "  quantities: {}, overlap.PATTERN", names.join(", "));
            }
            if topic == "run" {
                let events: Vec<&str> = EventName::ALL.iter().map(|(name, _)| *name).collect();
                let _ = writeln!(text, "  events: {}", events.join(", "));
            }
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_spans_the_range() {
        assert_eq!(sparkline(&[0.0, 1.0, 7.0]), "▁▂█");
        assert_eq!(sparkline(&[2.0, 2.0]), "▁▁");
        assert_eq!(sparkline(&[f64::NAN, 1.0]), "?▁");
    }

    #[test]
    fn numbers_lose_only_float_noise() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(2.0 / 3.0), "0.666667");
        assert_eq!(format_number(1200.0), "1200");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(-1.5), "-1.5");
        assert_eq!(format_number(1.25e-5), "1.25000e-5");
    }

    #[test]
    fn help_knows_every_command() {
        for (usage, _) in COMMANDS {
            let name = usage[1..].split(' ').next().unwrap();
            assert!(help(Some(name)).is_ok(), "{name}");
        }
        assert!(help(Some("nope")).is_err());
    }

    #[test]
    fn an_interrupt_stops_a_step_after_one_chunk_and_the_session_goes_on() {
        let mut session = Session::new();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/repl/pulse.anneal");
        session.load(Path::new(script)).unwrap();
        session.interrupt_flag().store(true, Ordering::SeqCst);
        let (text, _) = session
            .execute(&Command::Step(Advance::Seconds(20.0)))
            .unwrap();
        // The first chunk ends at the first sample or after INTERRUPT_CHUNK steps.
        let first_chunk = INTERRUPT_CHUNK.min(2000u64.div_ceil(SAMPLES_PER_STEP_COMMAND));
        assert!(
            text.starts_with(&format!("step {first_chunk} of 2000"))
                && text.contains("interrupted by Ctrl-C"),
            "{text}"
        );
        // The flag was cleared with the command: the next one runs to the end.
        let (text, _) = session.execute(&Command::Run(Until::Time(20.0))).unwrap();
        assert!(text.starts_with("step 2000 of 2000"), "{text}");
        assert!(text.contains("reached t = 20 s"), "{text}");
    }

    #[test]
    fn words_join_in_english() {
        assert_eq!(join_words(&["dt"]), "dt");
        assert_eq!(join_words(&["a", "b", "c"]), "a, b and c");
    }
}
