//! The state of a REPL session: the prepared script, its live engine, and the history of the
//! quantities sampled as the engine advances (for the sparklines of `:show`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::diagnostics::{RenderOptions, render_all};
use crate::engine::Engine;
use crate::plan::Band;
use crate::runner::{self, Prepared};

use super::command::{Advance, COMMANDS, Command};

/// Samples of each quantity kept for the sparkline.
const HISTORY_LENGTH: usize = 40;
/// A long `:step` is sampled this many times, so the sparkline shows its course.
const SAMPLES_PER_STEP_COMMAND: u64 = 20;

/// The quantities `:show` knows, with their units (`1` for dimensionless ratios).
pub const QUANTITIES: &[(&str, &str)] = &[
    ("time", "s"),
    ("temperature", "1"),
    ("bath", "1"),
    ("integration", "1"),
    ("consonance", "1"),
    ("dissonance", "1"),
    ("noise", "1"),
    ("valence", "1"),
    ("frustration", "1"),
    ("landscape_energy", "1"),
];

/// A script loaded into the session, with its engine.
struct Loaded {
    path: PathBuf,
    prepared: Prepared,
    engine: Engine,
}

/// What the caller should do after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// A REPL session.
#[derive(Default)]
pub struct Session {
    loaded: Option<Loaded>,
    history: BTreeMap<&'static str, Vec<f64>>,
}

impl Session {
    /// A session with no script loaded.
    pub fn new() -> Session {
        Session::default()
    }

    /// Loads and compiles the script at `path`, replacing the current one on success. Errors are
    /// rendered as `anneal check` renders them (plain, so transcripts stay stable).
    pub fn load(&mut self, path: &Path) -> Result<String, String> {
        let prepared = match runner::prepare(path, None) {
            Ok(prepared) => prepared,
            Err(failure) => {
                return Err(render_all(
                    &failure.diagnostics,
                    &failure.sources,
                    RenderOptions::plain(),
                ));
            }
        };
        let engine = Engine::new(&prepared.lowered.plan, &prepared.basis)
            .map_err(|error| format!("error: the engine cannot start: {error}"))?;
        let mut text = render_all(
            &prepared.warnings,
            &prepared.sources,
            RenderOptions::plain(),
        );
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
        self.loaded = Some(Loaded {
            path: path.to_path_buf(),
            prepared,
            engine,
        });
        self.history.clear();
        self.sample();
        Ok(text)
    }

    /// Runs one command and returns its output text (errors as `Err`).
    pub fn execute(&mut self, command: &Command) -> Result<(String, Flow), String> {
        let text = match command {
            Command::Nothing => String::new(),
            Command::Quit => return Ok((String::new(), Flow::Quit)),
            Command::Help(topic) => help(topic.as_deref())?,
            Command::Load(file) => self.load(Path::new(file))?,
            Command::Step(advance) => self.step(advance)?,
            Command::Show(quantity) => self.show(quantity)?,
            Command::Modes(top) => self.modes(*top)?,
            Command::Landscape => self.landscape()?,
            Command::Sources => self.sources()?,
            Command::Plan => self.plan()?,
            Command::Reset => self.reset()?,
        };
        Ok((text, Flow::Continue))
    }

    fn loaded(&self) -> Result<&Loaded, String> {
        self.loaded
            .as_ref()
            .ok_or_else(|| "no script is loaded (use `:load FILE`)".to_string())
    }

    fn step(&mut self, advance: &Advance) -> Result<String, String> {
        let loaded = self.loaded()?;
        let (n_steps, dt) = (
            loaded.prepared.lowered.plan.n_steps,
            loaded.prepared.lowered.plan.dt,
        );
        let now = loaded.engine.current_step();
        let wanted = match advance {
            Advance::Steps(steps) => *steps,
            Advance::Seconds(seconds) => (seconds / dt).round() as u64,
        };
        let left = n_steps - now;
        if left == 0 {
            return Err(format!(
                "the experiment is over (step {now} of {n_steps}); `:reset` starts it again"
            ));
        }
        let steps = wanted.min(left);
        let chunk = steps.div_ceil(SAMPLES_PER_STEP_COMMAND).max(1);
        let mut done = 0;
        while done < steps {
            let n = chunk.min(steps - done);
            let loaded = self.loaded.as_mut().expect("checked above");
            loaded
                .engine
                .step(n)
                .map_err(|error| format!("error: the engine stopped: {error}"))?;
            done += n;
            self.sample();
        }
        let loaded = self.loaded()?;
        let view = loaded.engine.state();
        let mut text = format!(
            "step {} of {}  t = {} s  T = {:.4}",
            view.step(),
            n_steps,
            format_number(view.time()),
            view.temperature()
        );
        if steps < wanted {
            let _ = write!(text, "  (stopped at the end of the experiment)");
        }
        text.push('\n');
        Ok(text)
    }

    /// Appends the current value of every quantity to its history.
    fn sample(&mut self) {
        let Some(loaded) = &self.loaded else { return };
        let view = loaded.engine.state();
        for (name, _) in QUANTITIES {
            let value = quantity(&view, name).expect("listed quantity");
            let history = self.history.entry(name).or_default();
            history.push(value);
            if history.len() > HISTORY_LENGTH {
                history.remove(0);
            }
        }
    }

    fn show(&self, name: &str) -> Result<String, String> {
        let loaded = self.loaded()?;
        let Some((key, unit)) = QUANTITIES.iter().find(|(key, _)| *key == name) else {
            return Err(format!(
                "unknown quantity `{name}`; known: {}",
                QUANTITIES
                    .iter()
                    .map(|(key, _)| *key)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        let view = loaded.engine.state();
        let value = quantity(&view, key).expect("listed quantity");
        let unit = if *unit == "1" {
            String::new()
        } else {
            format!(" {unit}")
        };
        let history = self.history.get(key).map(Vec::as_slice).unwrap_or(&[]);
        Ok(format!(
            "{key} = {}{unit}\n  {}  ({} samples)\n",
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

    fn sources(&self) -> Result<String, String> {
        let loaded = self.loaded()?;
        let plan = &loaded.prepared.lowered.plan;
        if plan.sources.is_empty() {
            return Ok("no sources\n".into());
        }
        let mut text = String::new();
        for source in &plan.sources {
            let _ = writeln!(
                text,
                "{}: {} component{}",
                source.name,
                source.components.len(),
                if source.components.len() == 1 {
                    ""
                } else {
                    "s"
                }
            );
        }
        Ok(text)
    }

    fn plan(&self) -> Result<String, String> {
        let loaded = self.loaded()?;
        let plan = &loaded.prepared.lowered.plan;
        Ok(format!(
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
        ))
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
}

/// The value of a quantity listed in [`QUANTITIES`].
fn quantity(view: &crate::engine::EngineView<'_>, name: &str) -> Option<f64> {
    Some(match name {
        "time" => view.time(),
        "temperature" => view.temperature(),
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
            for (usage, about) in COMMANDS {
                let _ = writeln!(text, "{usage:<22} {about}");
            }
        }
        Some(topic) => {
            let (usage, about) = COMMANDS
                .iter()
                .find(|(usage, _)| usage[1..].split(' ').next() == Some(topic))
                .ok_or_else(|| format!("no command `:{topic}` (try `:help`)"))?;
            let _ = writeln!(text, "{usage}\n  {about}");
            if topic == "show" {
                let names: Vec<&str> = QUANTITIES.iter().map(|(name, _)| *name).collect();
                let _ = writeln!(text, "  quantities: {}", names.join(", "));
            }
        }
    }
    Ok(text)
}

/// Six significant digits, without noise from the last bits of the float.
fn format_number(value: f64) -> String {
    if value == 0.0 || (1e-3..1e6).contains(&value.abs()) {
        let text = format!("{value:.6}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        text.to_string()
    } else {
        format!("{value:.5e}")
    }
}

/// A unicode sparkline (▁ to █) of the values, scaled between their minimum and maximum.
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let low = finite.clone().fold(f64::INFINITY, f64::min);
    let high = finite.fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|&value| {
            if !value.is_finite() {
                '?'
            } else if high <= low {
                BARS[0]
            } else {
                let level = ((value - low) / (high - low) * 7.0).round() as usize;
                BARS[level.min(7)]
            }
        })
        .collect()
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
    fn help_knows_every_command() {
        for (usage, _) in COMMANDS {
            let name = usage[1..].split(' ').next().unwrap();
            assert!(help(Some(name)).is_ok(), "{name}");
        }
        assert!(help(Some("nope")).is_err());
    }
}
