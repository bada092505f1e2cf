//! Parsing of REPL command lines (`:step 10 s`, `:show valence`, ...).

/// How far `:step` advances the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Advance {
    /// A number of engine steps.
    Steps(u64),
    /// A span of simulated time, in seconds.
    Seconds(f64),
}

/// One command of the REPL.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Step(Advance),
    Show(String),
    Modes(usize),
    Landscape,
    Sources,
    Plan,
    Reset,
    Load(String),
    Help(Option<String>),
    Quit,
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
        "the energy sources of the plan and whether they are active now",
    ),
    (":plan", "the plan: hash, seed, steps, time step"),
    (":reset", "restart the engine from step 0"),
    (":load FILE", "load and compile another script"),
    (":help [command]", "this list, or the help of one command"),
    (":quit", "leave (Ctrl-D too)"),
];

/// Parses one line typed at the prompt.
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with("//") {
        return Ok(Command::Nothing);
    }
    let Some(rest) = line.strip_prefix(':') else {
        return Err(format!(
            "`{line}` is not a command; commands start with `:` (try `:help`)"
        ));
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
        "reset" => no_argument(Command::Reset),
        "load" if !argument.is_empty() => Ok(Command::Load(argument.to_string())),
        "load" => Err(":load needs a script, such as `:load examples/first_sit.anneal`".into()),
        "help" | "h" => Ok(Command::Help(
            (!argument.is_empty()).then(|| argument.trim_start_matches(':').to_string()),
        )),
        "quit" | "q" | "exit" => no_argument(Command::Quit),
        _ => Err(format!("unknown command `:{name}` (try `:help`)")),
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
        assert!(parse(":plan now").is_err());
        assert!(parse(":frobnicate").is_err());
        assert!(parse("valence").is_err());
    }
}
