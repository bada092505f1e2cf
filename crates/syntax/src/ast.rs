//! The syntax tree of a `.anneal` script. Every node carries the byte span of the text it came from,
//! so that any later stage (name resolution, units, lowering to a plan) can point at the source.
//!
//! Equality up to spans (used to prove that `anneal fmt` preserves meaning) is provided by
//! [`File::without_spans`], which returns a copy with every span zeroed.

pub use anneal_diagnostics::Span;

/// The text of a name or a number as written. Names are short (a few letters on average) and a
/// large file has hundreds of thousands of them: stored inline up to 24 bytes, they cost no
/// allocation when the tree is built, copied into values or dropped.
pub type Text = compact_str::CompactString;

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: Text,
    pub span: Span,
}

/// A parsed file: its statements in source order.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub statements: Vec<Statement>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StatementKind {
    /// `use std.sources.{meditation, music}`, `use std.cooling`, `use "lib.anneal" as lib`.
    Use(UseStatement),
    /// `let name = value`
    Let { name: Name, value: Expr },
    /// `fn name(a, b = 2) = body` or with a block body. Shared, because every value that refers to
    /// the function keeps its definition; `Arc` rather than `Rc` so that a tree built on one thread
    /// (large files are parsed in parallel) can be handed to another.
    Function(std::sync::Arc<FunctionDef>),
    /// `experiment "name" { seed 7  dt 20 ms  duration 40 min }`
    Experiment {
        title: StringLit,
        settings: Vec<Setting>,
    },
    /// `connectome brain = human_cortex()`
    Connectome { name: Name, value: Expr },
    /// `harmonics of brain { ... }`
    Harmonics {
        connectome: Name,
        settings: Vec<Setting>,
    },
    /// `sinks { gain 1.0 ... }`
    Sinks { settings: Vec<Setting> },
    /// `cooling exponential(from: 1.5, to: 1.0, tau: 15 min)`
    Cooling { value: Expr },
    /// `source sit = meditation(...)`
    Source { name: Name, value: Expr },
    /// `landscape on regions { ... }`
    Landscape { level: Name, settings: Vec<Setting> },
    /// `record every 1 s { temperature, energy by band } to "results"`
    Record {
        every: Expr,
        items: Vec<RecordItem>,
        destination: Option<StringLit>,
    },
    /// `expect mean(valence, during: song) > 0`
    Expect { condition: Expr },
    /// `scenario "name" { vary seed in 1..8  expect ... }`
    Scenario {
        title: StringLit,
        items: Vec<ScenarioItem>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct StringLit {
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UseStatement {
    pub target: UseTarget,
    /// `.{a, b}`: the names imported; empty when the whole module is bound.
    pub names: Vec<Name>,
    /// `as alias`
    pub alias: Option<Name>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum UseTarget {
    /// A dotted module path such as `std.sources`.
    Module(Vec<Name>),
    /// A path to one of the user's files, relative to the importing script.
    File(StringLit),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    pub name: Name,
    pub params: Vec<Param>,
    /// `let` bindings of a block body, evaluated in order before `result`.
    pub lets: Vec<(Name, Expr)>,
    pub result: Expr,
    /// True when the body was written as a block `{ ... }` rather than `= expr`.
    pub block_body: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Name,
    pub default: Option<Expr>,
}

/// One line of a settings block.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    /// `name value` with an optional `per word` qualifier.
    Plain {
        name: Name,
        value: Expr,
        per: Option<Name>,
        span: Span,
    },
    /// `pattern calm = regions("rPFCDL")` (landscape blocks).
    Pattern { name: Name, value: Expr, span: Span },
}

impl Setting {
    pub fn span(&self) -> Span {
        match self {
            Setting::Plain { span, .. } | Setting::Pattern { span, .. } => *span,
        }
    }
}

/// One quantity in a `record` statement: `temperature`, `energy by band`, `overlap(calm)`.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordItem {
    pub quantity: Name,
    pub argument: Option<Name>,
    pub by: Option<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ScenarioItem {
    Vary {
        target: Name,
        values: Expr,
        span: Span,
    },
    Expect {
        condition: Expr,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// `a..b`, both ends included.
    Range,
    /// `range by step`
    By,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Range => "..",
            BinaryOp::By => "by",
        }
    }

    /// Binding strength, higher binds tighter; the formatter uses it to place parentheses and the
    /// parser's Pratt table is written in the same order.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => 3,
            BinaryOp::By => 4,
            BinaryOp::Range => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div => 7,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number with an optional unit, as written: `20 ms`, `0.6`, `50%`.
    Number {
        value: f64,
        text: Text,
        unit: Option<Name>,
    },
    String(String),
    Bool(bool),
    Ident(Text),
    List(Vec<ListItem>),
    Record(Vec<(Name, Expr)>),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    Field {
        object: Box<Expr>,
        field: Name,
    },
    /// Parentheses are kept so the formatter can reproduce them.
    Paren(Box<Expr>),
}

/// A list element; `key: value` entries make a table such as `[0 min: 1.0, 12 min: 0.6]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ListItem {
    pub key: Option<Expr>,
    pub value: Expr,
}

/// A call argument, positional or `name: value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Name>,
    pub value: Expr,
}

/// Returns a copy of `file` with every span set to zero: two files that differ only in layout are
/// equal after this.
impl File {
    pub fn without_spans(&self) -> File {
        let mut copy = self.clone();
        copy.zero_spans();
        copy
    }

    fn zero_spans(&mut self) {
        for statement in &mut self.statements {
            statement.zero_spans();
        }
    }
}

impl Name {
    fn zero_spans(&mut self) {
        self.span = Span::default();
    }
}

impl StringLit {
    fn zero_spans(&mut self) {
        self.span = Span::default();
    }
}

fn zero_settings(settings: &mut [Setting]) {
    for setting in settings {
        match setting {
            Setting::Plain {
                name,
                value,
                per,
                span,
            } => {
                name.zero_spans();
                value.zero_spans();
                if let Some(per) = per {
                    per.zero_spans();
                }
                *span = Span::default();
            }
            Setting::Pattern { name, value, span } => {
                name.zero_spans();
                value.zero_spans();
                *span = Span::default();
            }
        }
    }
}

impl Statement {
    fn zero_spans(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            StatementKind::Use(use_statement) => {
                match &mut use_statement.target {
                    UseTarget::Module(path) => path.iter_mut().for_each(Name::zero_spans),
                    UseTarget::File(path) => path.zero_spans(),
                }
                use_statement.names.iter_mut().for_each(Name::zero_spans);
                if let Some(alias) = &mut use_statement.alias {
                    alias.zero_spans();
                }
            }
            StatementKind::Let { name, value }
            | StatementKind::Connectome { name, value }
            | StatementKind::Source { name, value } => {
                name.zero_spans();
                value.zero_spans();
            }
            StatementKind::Function(function) => {
                let function = std::sync::Arc::make_mut(function);
                function.name.zero_spans();
                for param in &mut function.params {
                    param.name.zero_spans();
                    if let Some(default) = &mut param.default {
                        default.zero_spans();
                    }
                }
                for (name, value) in &mut function.lets {
                    name.zero_spans();
                    value.zero_spans();
                }
                function.result.zero_spans();
            }
            StatementKind::Experiment { title, settings } => {
                title.zero_spans();
                zero_settings(settings);
            }
            StatementKind::Harmonics {
                connectome,
                settings,
            } => {
                connectome.zero_spans();
                zero_settings(settings);
            }
            StatementKind::Sinks { settings } => zero_settings(settings),
            StatementKind::Landscape { level, settings } => {
                level.zero_spans();
                zero_settings(settings);
            }
            StatementKind::Cooling { value } => value.zero_spans(),
            StatementKind::Expect { condition } => condition.zero_spans(),
            StatementKind::Record {
                every,
                items,
                destination,
            } => {
                every.zero_spans();
                for item in items {
                    item.quantity.zero_spans();
                    if let Some(argument) = &mut item.argument {
                        argument.zero_spans();
                    }
                    if let Some(by) = &mut item.by {
                        by.zero_spans();
                    }
                    item.span = Span::default();
                }
                if let Some(destination) = destination {
                    destination.zero_spans();
                }
            }
            StatementKind::Scenario { title, items } => {
                title.zero_spans();
                for item in items {
                    match item {
                        ScenarioItem::Vary {
                            target,
                            values,
                            span,
                        } => {
                            target.zero_spans();
                            values.zero_spans();
                            *span = Span::default();
                        }
                        ScenarioItem::Expect { condition, span } => {
                            condition.zero_spans();
                            *span = Span::default();
                        }
                    }
                }
            }
        }
    }
}

impl Expr {
    fn zero_spans(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            ExprKind::Number { unit, .. } => {
                if let Some(unit) = unit {
                    unit.zero_spans();
                }
            }
            ExprKind::String(_) | ExprKind::Bool(_) | ExprKind::Ident(_) => {}
            ExprKind::List(items) => {
                for item in items {
                    if let Some(key) = &mut item.key {
                        key.zero_spans();
                    }
                    item.value.zero_spans();
                }
            }
            ExprKind::Record(fields) => {
                for (name, value) in fields {
                    name.zero_spans();
                    value.zero_spans();
                }
            }
            ExprKind::Unary { operand, .. } => operand.zero_spans(),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.zero_spans();
                rhs.zero_spans();
            }
            ExprKind::Call { callee, args } => {
                callee.zero_spans();
                for arg in args {
                    if let Some(name) = &mut arg.name {
                        name.zero_spans();
                    }
                    arg.value.zero_spans();
                }
            }
            ExprKind::Field { object, field } => {
                object.zero_spans();
                field.zero_spans();
            }
            ExprKind::Paren(inner) => inner.zero_spans(),
        }
    }
}
