//! Parsing of REPL command lines (`:step 10 s`, `:show valence`, ...).

/// How far `:step` advances the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Advance {
    /// A number of engine steps.
    Steps(u64),
    /// A span of simulated time, in seconds.
    Seconds(f64),
}

/// Which engine event `:run until event ...` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventName {
    Disintegration,
    Crystallisation,
    Reheat,
}

impl EventName {
    /// Every event name, as typed.
    pub const ALL: [(&'static str, EventName); 3] = [
        ("disintegration", EventName::Disintegration),
        ("crystallisation", EventName::Crystallisation),
        ("reheat", EventName::Reheat),
    ];

    pub fn name(self) -> &'static str {
        EventName::ALL
            .iter()
            .find(|(_, event)| *event == self)
            .map_or("", |(name, _)| name)
    }
}

/// A comparison of `:run until QUANTITY OP NUMBER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    /// The operators, longest first so that `<=` is not read as `<`.
    const OPERATORS: [(&'static str, Comparison); 4] = [
        ("<=", Comparison::LessOrEqual),
        (">=", Comparison::GreaterOrEqual),
        ("<", Comparison::Less),
        (">", Comparison::Greater),
    ];

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Less => value < threshold,
            Comparison::LessOrEqual => value <= threshold,
            Comparison::Greater => value > threshold,
            Comparison::GreaterOrEqual => value >= threshold,
        }
    }

    pub fn symbol(self) -> &'static str {
        Comparison::OPERATORS
            .iter()
            .find(|(_, comparison)| *comparison == self)
            .map_or("", |(symbol, _)| symbol)
    }
}

/// When `:run until` stops.
#[derive(Debug, Clone, PartialEq)]
pub enum Until {
    /// A simulated time from the start of the experiment, in seconds.
    Time(f64),
    /// The next event of this kind.
    Event(EventName),
    /// The first step at which `quantity op threshold` holds.
    Condition {
        quantity: String,
        comparison: Comparison,
        threshold: f64,
    },
}

/// One command of the REPL.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Step(Advance),
    Run(Until),
    Show(String),
    Modes(usize),
    Landscape,
    Sources,
    Plan,
    /// `:set NAME = EXPR`: the name and the expression's text.
    Set {
        name: String,
        expression: String,
    },
    Reset,
    Save(String),
    Load(String),
    Help(Option<String>),
    Quit,
    /// A line of the language (an expression, `let`, `fn` or `use`) to evaluate.
    Evaluate(String),
    /// An empty line or a comment: nothing to do.
    Nothing,
}

/// Every command with a one-line description, in the order `:help` lists them.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        ":step [N | duration]",
        "advance the engine N steps (default 1) or a span of time such as `10 s` or `2 min`",
    ),
    (
        ":run until <time | event | condition>",
        "run until a time (`30 s`), an event (`event disintegration`) or a condition (`temperature > 1.2`); Ctrl-C stops it",
    ),
    (
        ":show <quantity>",
        "the current value of a quantity and a sparkline of its recent history",
    ),
    (
        ":modes [top N]",
        "the modes holding most energy (default top 10)",
    ),
    (
        ":landscape",
        "frustration, landscape energy and overlaps with the patterns",
    ),
    (
        ":sources",
        "the energy sources: whether each is active now, and its envelope now",
    ),
    (":plan", "the plan: hash, seed, steps, time step"),
    (
        ":set <name> = <expr>",
        "change a `let` of the script (or `cooling`, `seed`, `dt`, `duration`, a source) and recompile; continues when it can, otherwise restarts",
    ),
    (":reset", "restart the engine from step 0"),
    (
        ":save DIR",
        "write the results so far to DIR, as `anneal run` writes them",
    ),
    (":load FILE", "load and compile another script"),
    (":help [command]", "this list, or the help of one command"),
    (":quit", "leave (Ctrl-D too)"),
];

/// The command names, for completion.
pub fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS
        .iter()
        .map(|(usage, _)| usage.split(' ').next().unwrap_or(usage))
}

/// Parses one line typed at the prompt. A line that does not start with `:` is language text.
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with("//") || line.starts_with('#') {
        return Ok(Command::Nothing);
    }
    let Some(rest) = line.strip_prefix(':') else {
        return Ok(Command::Evaluate(line.to_string()));
    };
    let (name, argument) = match rest.split_once(char::is_whitespace) {
        Some((name, argument)) => (name, argument.trim()),
        None => (rest, ""),
    };
    let no_argument = |command: Command| {
        if argument.is_empty() {
            Ok(command)
        } else {
            Err(format!(":{name} takes no argument, but got `{argument}`"))
        }
    };
    match name {
        "step" | "s" => parse_advance(argument).map(Command::Step),
        "run" => parse_until(argument).map(Command::Run),
        "show" => {
            if argument.is_empty() {
                Err(":show needs a quantity, such as `:show valence`".into())
            } else {
                Ok(Command::Show(argument.to_string()))
            }
        }
        "modes" => {
            let count = argument.strip_prefix("top").unwrap_or(argument).trim();
            if count.is_empty() {
                Ok(Command::Modes(10))
            } else {
                count
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .map(Command::Modes)
                    .ok_or_else(|| format!(":modes expects `top N` with N ≥ 1, not `{argument}`"))
            }
        }
        "landscape" => no_argument(Command::Landscape),
        "sources" => no_argument(Command::Sources),
        "plan" => no_argument(Command::Plan),
        "set" => parse_set(argument),
        "reset" => no_argument(Command::Reset),
        "save" if !argument.is_empty() => Ok(Command::Save(argument.to_string())),
        "save" => Err(":save needs a folder, such as `:save results/explore`".into()),
        "load" if !argument.is_empty() => Ok(Command::Load(argument.to_string())),
        "load" => Err(":load needs a script, such as `:load examples/first_sit.anneal`".into()),
        "help" | "h" => Ok(Command::Help(
            (!argument.is_empty()).then(|| argument.trim_start_matches(':').to_string()),
        )),
        "quit" | "q" | "exit" => no_argument(Command::Quit),
        _ => Err(format!("unknown command `:{name}` (try `:help`)")),
    }
}

/// `NAME = EXPR`.
fn parse_set(argument: &str) -> Result<Command, String> {
    let usage = ":set needs `NAME = EXPR`, such as `:set tau = 20 min`";
    let (name, expression) = argument.split_once('=').ok_or(usage)?;
    let (name, expression) = (name.trim(), expression.trim());
    let is_name = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !is_name || expression.is_empty() {
        return Err(usage.into());
    }
    Ok(Command::Set {
        name: name.to_string(),
        expression: expression.to_string(),
    })
}

/// `until 30 s`, `until event disintegration`, `until temperature > 1.2`.
fn parse_until(argument: &str) -> Result<Until, String> {
    let usage =
        ":run needs `until <time | event NAME | QUANTITY OP NUMBER>`, such as `:run until 30 s`";
    let target = argument
        .strip_prefix("until")
        .filter(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
        .map(str::trim)
        .filter(|rest| !rest.is_empty())
        .ok_or(usage)?;
    if let Some(event) = target.strip_prefix("event") {
        let event = event.trim();
        return EventName::ALL
            .iter()
            .find(|(name, _)| *name == event)
            .map(|(_, kind)| Until::Event(*kind))
            .ok_or_else(|| {
                format!(
                    "unknown event `{event}` (use {})",
                    EventName::ALL.map(|(name, _)| name).join(", ")
                )
            });
    }
    for (symbol, comparison) in Comparison::OPERATORS {
        if let Some((quantity, threshold)) = target.split_once(symbol) {
            let quantity = quantity.trim();
            let threshold_text = threshold.trim();
            let threshold: f64 = threshold_text
                .parse()
                .ok()
                .filter(|t: &f64| t.is_finite())
                .ok_or_else(|| format!("`{threshold_text}` is not a number to compare with"))?;
            if quantity.is_empty() {
                return Err(usage.into());
            }
            return Ok(Until::Condition {
                quantity: quantity.to_string(),
                comparison,
                threshold,
            });
        }
    }
    match parse_advance(target)? {
        Advance::Seconds(seconds) => Ok(Until::Time(seconds)),
        Advance::Steps(_) => Err(format!(
            "`{target}` has no unit: give a time such as `{target} s`"
        )),
    }
}

/// `""` → one step, `250` → 250 steps, `10 s` / `2min` / `500 ms` / `1 h` → simulated time.
fn parse_advance(argument: &str) -> Result<Advance, String> {
    if argument.is_empty() {
        return Ok(Advance::Steps(1));
    }
    if let Ok(steps) = argument.parse::<u64>() {
        return Ok(Advance::Steps(steps));
    }
    let split = argument
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(argument.len());
    let (number, unit) = argument.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{argument}` is neither a step count nor a duration"))?;
    let scale = match unit.trim() {
        "ms" => 1e-3,
        "s" => 1.0,
        "min" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "unknown time unit `{other}` in `{argument}` (use ms, s, min or h)"
            ));
        }
    };
    let seconds = value * scale;
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(format!("`{argument}` is not a positive duration"));
    }
    Ok(Advance::Seconds(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_and_durations() {
        assert_eq!(parse(":step").unwrap(), Command::Step(Advance::Steps(1)));
        assert_eq!(
            parse(":step 40").unwrap(),
            Command::Step(Advance::Steps(40))
        );
        assert_eq!(
            parse(":step 2 min").unwrap(),
            Command::Step(Advance::Seconds(120.0))
        );
        assert_eq!(
            parse(":step 500ms").unwrap(),
            Command::Step(Advance::Seconds(0.5))
        );
        assert!(parse(":step 3 parsecs").is_err());
        assert!(parse(":step 0 s").is_err());
    }

    #[test]
    fn parses_the_other_commands_and_refuses_bad_ones() {
        assert_eq!(parse(":modes top 3").unwrap(), Command::Modes(3));
        assert_eq!(parse(":modes").unwrap(), Command::Modes(10));
        assert!(parse(":modes top 0").is_err());
        assert_eq!(
            parse(":help :step").unwrap(),
            Command::Help(Some("step".into()))
        );
        assert_eq!(parse("  ").unwrap(), Command::Nothing);
        assert_eq!(parse("# a note").unwrap(), Command::Nothing);
        assert!(parse(":plan now").is_err());
        assert!(parse(":frobnicate").is_err());
        assert_eq!(
            parse("2 Hz * 3 s").unwrap(),
            Command::Evaluate("2 Hz * 3 s".into())
        );
        assert_eq!(parse(":save out/x").unwrap(), Command::Save("out/x".into()));
        assert!(parse(":save").is_err());
    }

    #[test]
    fn parses_run_until_times_events_and_conditions() {
        assert_eq!(
            parse(":run until 30 s").unwrap(),
            Command::Run(Until::Time(30.0))
        );
        assert_eq!(
            parse(":run until event disintegration").unwrap(),
            Command::Run(Until::Event(EventName::Disintegration))
        );
        assert_eq!(
            parse(":run until temperature.csh >= 1.2").unwrap(),
            Command::Run(Until::Condition {
                quantity: "temperature.csh".into(),
                comparison: Comparison::GreaterOrEqual,
                threshold: 1.2
            })
        );
        assert_eq!(
            parse(":run until valence < -0.5").unwrap(),
            Command::Run(Until::Condition {
                quantity: "valence".into(),
                comparison: Comparison::Less,
                threshold: -0.5
            })
        );
        assert!(parse(":run 30 s").is_err());
        assert!(parse(":run until").is_err());
        assert!(parse(":run until 3000").is_err());
        assert!(parse(":run until event sunrise").is_err());
        assert!(parse(":run until valence > high").is_err());
        assert!(parse(":run untilx 3 s").is_err());
    }

    #[test]
    fn parses_set() {
        assert_eq!(
            parse(":set tau = 20 min").unwrap(),
            Command::Set {
                name: "tau".into(),
                expression: "20 min".into()
            }
        );
        assert!(parse(":set tau").is_err());
        assert!(parse(":set = 3").is_err());
        assert!(parse(":set 2x = 3").is_err());
        assert!(parse(":set tau =").is_err());
    }

    #[test]
    fn every_command_has_a_name() {
        let names: Vec<&str> = command_names().collect();
        assert!(names.contains(&":run") && names.contains(&":save") && names.contains(&":set"));
        assert_eq!(names.len(), COMMANDS.len());
    }
}
