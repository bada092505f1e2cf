//! Diagnostics: codes, messages, labelled spans, help; rendering with ariadne; `explain` texts.
//!
//! Every diagnostic has a code (`E0001`… for errors, `W0001`… for warnings), a plain-text message,
//! a primary span, optional further labels (each with its own span and text) and optional help.
//! Spans are byte offsets (pest's), so the renderer configures ariadne with `IndexType::Byte`.
//! Colour is decided here, not by ariadne: only when asked for (a terminal and no `NO_COLOR`).

use ariadne::{CharSet, Config, IndexType, Label as AriadneLabel, Report, ReportKind};
use std::fmt;

/// A byte range `start..end` into the source text of one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn join(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// Index of a source file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub usize);

/// The texts of all files a check touched (the script, its imports, embedded stdlib modules), so
/// that diagnostics in any of them can be rendered.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<(String, String)>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id. The text should be what was parsed, so spans line up.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push((name.into(), text.into()));
        FileId(self.files.len() - 1)
    }

    pub fn name(&self, file: FileId) -> &str {
        &self.files[file.0].0
    }

    pub fn text(&self, file: FileId) -> &str {
        &self.files[file.0].1
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// A labelled span in some file.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub file: FileId,
    pub span: Span,
    /// Labels; the first one usually sits on `span`.
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error with code `code` (which must be in [`CODES`]), a message and one label on `span`.
    pub fn error(
        code: &'static str,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        debug_assert!(lookup(code).is_some(), "unknown diagnostic code {code}");
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            file,
            span,
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(
        code: &'static str,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, span, message)
        }
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            file: self.file,
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_label_in(
        mut self,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// How to render: colour on or off. Use [`RenderOptions::for_stderr`] in the CLI.
#[derive(Clone, Copy, Debug)]
pub struct RenderOptions {
    pub color: bool,
}

impl RenderOptions {
    /// Colour only when stderr is a terminal and `NO_COLOR` is unset (any value, even empty, turns
    /// colour off, as no-color.org asks).
    pub fn for_stderr() -> RenderOptions {
        use std::io::IsTerminal;
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        RenderOptions { color }
    }

    pub fn plain() -> RenderOptions {
        RenderOptions { color: false }
    }
}

/// A file as ariadne knows it: by its index, since two files may share a name (every line
/// typed at the REPL prompt is `<repl>`), and shown by its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SourceKey {
    index: usize,
    name: String,
}

impl std::fmt::Display for SourceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// Renders one diagnostic to text. With colour off the output is plain ASCII, stable for snapshots.
pub fn render(diagnostic: &Diagnostic, sources: &SourceMap, options: RenderOptions) -> String {
    let kind = match diagnostic.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let char_set = if options.color {
        CharSet::Unicode
    } else {
        CharSet::Ascii
    };
    let config = Config::default()
        .with_index_type(IndexType::Byte)
        .with_color(options.color)
        .with_char_set(char_set);
    let name_of = |file: FileId| SourceKey {
        index: file.0,
        name: sources.name(file).to_string(),
    };
    let clamp = |file: FileId, span: Span| {
        let len = sources.text(file).len();
        let start = span.start.min(len);
        start..span.end.clamp(start, len)
    };
    let primary = (
        name_of(diagnostic.file),
        clamp(diagnostic.file, diagnostic.span),
    );
    let mut builder = Report::build(kind, primary.clone())
        .with_config(config)
        .with_code(diagnostic.code)
        .with_message(&diagnostic.message);
    if diagnostic.labels.is_empty() {
        builder = builder.with_label(AriadneLabel::new(primary).with_message(&diagnostic.message));
    }
    for (order, label) in diagnostic.labels.iter().enumerate() {
        let label_color = if options.color {
            Some(if order == 0 {
                ariadne::Color::Red
            } else {
                ariadne::Color::Blue
            })
        } else {
            None
        };
        let mut ariadne_label =
            AriadneLabel::new((name_of(label.file), clamp(label.file, label.span)))
                .with_message(&label.message)
                .with_order(order as i32);
        if let Some(color) = label_color {
            ariadne_label = ariadne_label.with_color(color);
        }
        builder = builder.with_label(ariadne_label);
    }
    if let Some(help) = &diagnostic.help {
        builder = builder.with_help(help);
    }
    for note in &diagnostic.notes {
        builder = builder.with_note(note);
    }
    let report = builder.finish();
    let cache = ariadne::sources((0..sources.len()).map(|index| {
        (
            name_of(FileId(index)),
            sources.text(FileId(index)).to_string(),
        )
    }));
    let mut out = Vec::new();
    if report.write(cache, &mut out).is_err() {
        // Writing to a Vec cannot fail for IO reasons; if ariadne fails we still show the essentials.
        return format!(
            "[{}] {}: {}\n",
            diagnostic.code,
            sources.name(diagnostic.file),
            diagnostic.message
        );
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Renders many diagnostics, errors and warnings in source order.
pub fn render_all(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    options: RenderOptions,
) -> String {
    let mut sorted: Vec<&Diagnostic> = diagnostics.iter().collect();
    sorted.sort_by_key(|d| (d.file, d.span.start, d.span.end, d.code));
    sorted.iter().map(|d| render(d, sources, options)).collect()
}

/// One entry of the code table: what `anneal explain CODE` prints.
pub struct CodeInfo {
    pub code: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
    pub example: &'static str,
}

impl fmt::Display for CodeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}\n", self.code, self.title)?;
        writeln!(f, "{}\n", self.explanation)?;
        writeln!(f, "Example:\n")?;
        for line in self.example.lines() {
            writeln!(f, "    {line}")?;
        }
        Ok(())
    }
}

pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    CODES
        .iter()
        .find(|info| info.code.eq_ignore_ascii_case(code))
}

/// Every diagnostic code. A test checks that each code used in the source appears here and that
/// each example here really produces its code.
pub static CODES: &[CodeInfo] = &[
    CodeInfo {
        code: "E0001",
        title: "syntax error",
        explanation: "The parser could not read the script at this point. The message lists what it \
expected instead. Common causes: a missing closing bracket, a missing `=` in `let`, `source` or \
`connectome`, a unit the language does not know (`3 kg`), or two values with no operator between them.",
        example: "let x = (1 + 2\n# error: the bracket opened here is never closed",
    },
    CodeInfo {
        code: "E0002",
        title: "input is not a valid script file",
        explanation: "Scripts are UTF-8 text without NUL bytes. The file contains bytes that are not \
valid UTF-8 (perhaps it is a binary file or saved in another encoding) or a NUL byte. Re-save it as \
UTF-8.",
        example: "# a file saved as Latin-1 containing the byte 0xE9 for 'é'",
    },
    CodeInfo {
        code: "E0003",
        title: "nesting too deep or expression too long",
        explanation: "Brackets, lists, records and calls may nest at most 100 levels deep, and one \
statement may contain at most 500 operators. Larger expressions are almost certainly generated by \
mistake, and refusing them keeps every stage from exhausting its stack. Split the expression with \
`let` bindings.",
        example: "let x = ((((((((((((((( ... 1 ... )))))))))))))))   # 10,000 brackets",
    },
    CodeInfo {
        code: "E0004",
        title: "unknown name",
        explanation: "The name is not defined at this point. Names come from `let`, `fn`, `source`, \
`connectome`, landscape `pattern`s, `use` imports, function parameters and the builtins (see \
docs/language.md). Scripts are read top to bottom: a name must be declared before it is used. When \
a known name is close in spelling, the help suggests it.",
        example: "use std.sources.{meditation}\nsource sit = meditaton(at: 2 min, for: 10 min)\n# error: unknown name `meditaton`; did you mean `meditation`?",
    },
    CodeInfo {
        code: "E0005",
        title: "module or file not found",
        explanation: "A `use` names a standard-library module that does not exist, a name that the \
module does not define, or a file that cannot be read. The standard library has `std.sources`, \
`std.cooling` and `std.connectomes`. File paths are relative to the importing script.",
        example: "use std.sauces.{music}\n# error: there is no module `std.sauces`; did you mean `std.sources`?",
    },
    CodeInfo {
        code: "E0006",
        title: "import cycle",
        explanation: "Files import each other in a circle, so none can be read first. The message \
shows the chain of imports. Move the shared definitions into a third file that both import.",
        example: "# a.anneal\nuse \"b.anneal\" as b\n# b.anneal\nuse \"a.anneal\" as a\n# error: import cycle a.anneal -> b.anneal -> a.anneal",
    },
    CodeInfo {
        code: "E0007",
        title: "dimension mismatch",
        explanation: "Two quantities are combined or compared, or a value is given to a parameter, \
but their physical dimensions do not agree. `.anneal` checks units when the script is checked: \
times (s, ms, min, h, d) can be added to times, frequencies (Hz, bpm) to frequencies, and plain \
numbers (including percentages) to plain numbers. Multiplying and dividing combine dimensions \
(`1 / 2 s` is a frequency). Conversions are exact: `1 min + 30 s` is 90 s, `60 bpm` is 1 Hz. \
Each operand is labelled with its dimension; fix the unit of the one that is wrong.",
        example: "let x = 2 Hz + 3 s\n# error: cannot add a frequency (1/time) and a time",
    },
    CodeInfo {
        code: "E0008",
        title: "type mismatch",
        explanation: "A value of one kind was given where another kind is required: a connectome \
where a source belongs, a string where a number belongs, a list where a record belongs. The label \
says what was found and what is expected.",
        example: "connectome brain = ring(nodes: 10)\nsource s = brain\n# error: expected a source, found a connectome",
    },
    CodeInfo {
        code: "E0009",
        title: "too many arguments",
        explanation: "A function was called with more positional arguments than it has parameters. \
Builtins and user functions list their parameters in docs/language.md; pass extra values by name.",
        example: "let r = ring(10, 2, 3, 4)",
    },
    CodeInfo {
        code: "E0010",
        title: "unknown argument name",
        explanation: "A named argument does not match any parameter of the function. The help \
suggests the closest parameter name.",
        example: "use std.sources.{meditation}\nsource sit = meditation(at: 2 min, lenght: 10 min)",
    },
    CodeInfo {
        code: "E0011",
        title: "missing argument",
        explanation: "A required parameter (one without a default) was not given.",
        example: "cooling exponential(from: 1.5, to: 1.0)\n# error: missing argument `tau`",
    },
    CodeInfo {
        code: "E0012",
        title: "duplicate definition",
        explanation: "A name is defined twice in the same scope (two `let`s, two sources, a source and \
a function with the same name, two patterns, two parameters). Rename one of them.",
        example: "let depth = 0.5\nlet depth = 0.6",
    },
    CodeInfo {
        code: "E0013",
        title: "argument given twice",
        explanation: "The same parameter received two values, by name twice or by position and by \
name.",
        example: "cooling constant(1.0, level: 1.0)",
    },
    CodeInfo {
        code: "E0014",
        title: "duplicate statement",
        explanation: "A statement that describes the one experiment of a script appears twice \
(`experiment`, `cooling`, `sinks`, `harmonics`, `landscape`, `record`), or a setting appears twice \
in one block. Merge them into one.",
        example: "cooling constant(1.0)\ncooling constant(1.2)",
    },
    CodeInfo {
        code: "E0015",
        title: "missing statement",
        explanation: "A script that describes an experiment (it has an `experiment` block) must also \
declare a connectome. Files with no `experiment` block are libraries and may contain only \
definitions.",
        example: "experiment \"e\" { seed 1 dt 10 ms duration 1 min }\n# error: no connectome is declared",
    },
    CodeInfo {
        code: "E0016",
        title: "unknown setting",
        explanation: "A settings block (`experiment`, `harmonics`, `sinks`, `landscape`) contains a \
setting it does not know. The help lists the settings of the block or suggests the closest.",
        example: "experiment \"e\" { seed 1  dt 10 ms  durration 1 min }",
    },
    CodeInfo {
        code: "E0017",
        title: "value out of range",
        explanation: "A value has the right kind and dimension but is outside the range the model \
accepts: a negative duration or time step, zero modes, a sink suppression above 100%, a time \
step longer than the experiment.",
        example: "experiment \"e\" { seed 1  dt -10 ms  duration 1 min }",
    },
    CodeInfo {
        code: "E0018",
        title: "whole number required",
        explanation: "A count (seed, number of modes, nodes, run index) must be a whole number.",
        example: "connectome c = ring(nodes: 10.5)",
    },
    CodeInfo {
        code: "E0019",
        title: "not a function",
        explanation: "Only functions (builtins, stdlib presets and `fn` definitions) can be called. \
The value before the parentheses is something else.",
        example: "let x = 3\nlet y = x(2)",
    },
    CodeInfo {
        code: "E0020",
        title: "recursive function",
        explanation: "A function calls itself. Script functions describe values, and recursion has no \
way to stop (the language has no conditionals), so it is refused. (Mutual recursion cannot be \
written: a function sees only names defined before it.)",
        example: "fn f(x) = f(x)\nlet y = f(1)",
    },
    CodeInfo {
        code: "E0021",
        title: "evaluation too large",
        explanation: "Evaluating the script's declarations took more than the step budget (10 \
million steps) or built a list longer than one million items. This happens with functions that \
call each other in an exponentially growing pattern or with huge ranges. Simplify the script.",
        example: "let seeds = 1..100000000",
    },
    CodeInfo {
        code: "E0022",
        title: "unknown record quantity",
        explanation: "A `record` statement names a quantity the engine does not compute, or a \
grouping (`by band`, `by region`, `by mode`) the quantity does not support. The help lists the \
closest quantity.",
        example: "record every 1 s { temprature }",
    },
    CodeInfo {
        code: "E0023",
        title: "no such field",
        explanation: "A `.field` access names a field that the record or module does not have.",
        example: "let r = { a: 1 }\nlet b = r.b",
    },
    CodeInfo {
        code: "E0024",
        title: "expectation is not a condition on results",
        explanation: "`expect` needs a comparison involving a statistic of a recorded quantity, such \
as `mean(valence, during: song) > 0` or `final(frustration) < initial(frustration)`. A plain \
number or a comparison of constants says nothing about the run.",
        example: "expect 1 < 2",
    },
    CodeInfo {
        code: "E0025",
        title: "invalid scenario",
        explanation: "A scenario's `vary` names something that cannot vary (it can vary `seed`, \
`dt`, `duration`, `cooling` and top-level `let` bindings), gives values of the wrong kind or \
dimension, varies the same thing twice, or a run selection (`runs: {cooling: \"slow\"}`) names an \
axis or label that does not exist. Run selections are only allowed inside scenarios.",
        example: "scenario \"s\" { vary colling in [1, 2] }",
    },
    CodeInfo {
        code: "E0026",
        title: "invalid window",
        explanation: "A statistic's window (`during:`, `before:`, `after:`) must be a source (its \
active interval) or a time (`after: 2 h`); `during:` also accepts a time range `5 min..10 min`. \
Give at most one window.",
        example: "expect mean(valence, during: 3) > 0",
    },
    CodeInfo {
        code: "E0027",
        title: "division by zero",
        explanation: "A division by zero occurred while evaluating the script's declarations.",
        example: "let x = 1 / 0",
    },
    CodeInfo {
        code: "E0028",
        title: "unknown pattern",
        explanation: "`overlap(name)` in a record or expectation, and the `content` of a source, \
name a landscape pattern that is not declared with `pattern name = ...` in the `landscape` block.",
        example: "landscape on regions { pattern calm = regions(\"rPFCDL\") }\nrecord every 1 s { overlap(clam) }",
    },
    CodeInfo {
        code: "E0029",
        title: "missing setting",
        explanation: "A block lacks a setting that has no default: `experiment` needs `seed`, `dt` \
and `duration`.",
        example: "experiment \"e\" { seed 1  duration 1 min }",
    },
    CodeInfo {
        code: "E0030",
        title: "invalid table",
        explanation: "A table `[t0: v0, t1: v1, ...]` must have at least one entry, every entry \
must have a key, and its keys (times) must increase strictly.",
        example: "sinks { schedule table([0 min: 1.0, 0 min: 0.5]) }",
    },
    CodeInfo {
        code: "E0040",
        title: "time is not a whole number of steps",
        explanation: "Every time in a script (a source's start and length, a table point, a cooling \
time scale, the recording interval, the duration) becomes a whole number of steps of `dt` when the \
script is compiled to a plan. A time that falls between two steps is an error that names the two \
nearest times, never a silent rounding, so a schedule can never drift. Change the time or `dt`.",
        example: "experiment \"e\" { dt 20 ms  duration 1 min }\nsource s = meditation(at: 2.01 s, for: 30 s)",
    },
    CodeInfo {
        code: "E0041",
        title: "event after the end of the experiment",
        explanation: "A source starts, a dose is given, a curve starts or an expectation's window \
begins at or after the end of the experiment (or ends before recording starts), so it would never \
happen or would hold no recorded samples. Make the experiment longer or move the event.",
        example: "experiment \"e\" { dt 20 ms  duration 10 min }\nsource s = meditation(at: 20 min, for: 5 min)",
    },
    CodeInfo {
        code: "E0042",
        title: "unknown source, region, pattern node or quantity column",
        explanation: "The plan names something the experiment does not have: an expectation window \
over a source that is not declared with `source`, a region the connectome lacks, a pattern node \
out of range, or an expectation over a quantity split into several columns (`by band`), which \
cannot be compared as one number.",
        example: "let other = meditation(at: 1 min, for: 5 min)\nexpect mean(valence, during: other) > 0",
    },
    CodeInfo {
        code: "E0043",
        title: "not supported by the engine",
        explanation: "The language can say this, but the engine cannot run it: a `reheating` sink \
schedule (reheating restarts a curve after a stall of the run's own energy or every period, a \
clock only the bath has). The message names the supported form: a `table` through the repeated \
curve's points.",
        example: "sinks { schedule reheating(base: linear(from: 1, to: 0.5, over: 5 min), every: 10 min) }",
    },
    CodeInfo {
        code: "E0044",
        title: "the plan cannot run",
        explanation: "The compiled plan fails the engine's checks: a number out of its range (for \
example a locking coupling so strong for this `dt` that the phase update would jump more than half \
a radian per step), a connectome that cannot be built, or harmonics that cannot be computed. The \
message gives the value and the requirement.",
        example: "source m = mdma(at: 0 min)  # with dt 1 s the metronome kick per step is too large",
    },
    CodeInfo {
        code: "E0045",
        title: "the run would exceed the memory limit",
        explanation: "`anneal plan` and `anneal run` estimate the memory a run needs (engine state \
plus every recorded column) before allocating anything, and refuse a run above `--max-memory` \
(default: half of the machine's memory). Record less often, record fewer quantities (`energy by \
mode` is one column per mode), use fewer modes, or raise the limit.",
        example: "anneal run big.anneal --max-memory 100MB",
    },
    CodeInfo {
        code: "E0046",
        title: "nothing to run",
        explanation: "The file checks, but it declares no `experiment` block, so there is no time \
step, duration or seed and nothing to plan or run. A library of `let`s and functions is used from \
another script with `use`; a script meant to run needs an `experiment` block.",
        example: "let depth = 0.6  # a whole file with no experiment block",
    },
    CodeInfo {
        code: "W0001",
        title: "unused binding",
        explanation: "A `let` binding or function in the main script is never used. Remove it or \
use it; names starting with `_` are exempt.",
        example: "let unused = 3",
    },
    CodeInfo {
        code: "W0002",
        title: "name shadows a builtin",
        explanation: "A definition reuses the name of a builtin (such as `ring` or `mean`), so the \
builtin can no longer be reached in the rest of the file. Rename the definition.",
        example: "let mean = 3",
    },
    CodeInfo {
        code: "W0003",
        title: "expectation reads a quantity that is not recorded",
        explanation: "An `expect` reads a quantity that the `record` statement does not list. The \
engine will record it for the expectation anyway, at the record interval; add it to `record` to \
see it in the results.",
        example: "record every 1 s { temperature }\nexpect final(valence) > 0",
    },
    CodeInfo {
        code: "W0040",
        title: "the engine applies a setting more broadly than written",
        explanation: "`weaken_harmonics(modes: k)` asks for the lowest k CSHWs, but the engine \
raises the damping of every CSHW of the basis. The run goes ahead with every CSHW weakened.",
        example: "harmonics of brain { modes 100 }\nsource t = trauma(at: 1 min, pattern: calm)",
    },
];
