//! Values of the evaluator: what an expression evaluates to while the script is checked.

use crate::builtins::Builtin;
use crate::program::*;
use anneal_syntax::ast::{FunctionDef, Text};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// The large variants are boxed: values are moved and copied at every step of evaluation, and
/// with them inline a `Value` took 168 bytes (now 48; the check's instructions fell from 253 M to
/// 237 M, docs/performance.md, "Fourth pass").
#[derive(Clone, Debug)]
pub enum Value {
    Number(Scalar),
    Bool(bool),
    Text(String),
    List(Vec<Value>),
    /// `[key: value, ...]`
    Table(Vec<(Value, Value)>),
    Record(Vec<(String, Value)>),
    /// `start..end` (both included), optionally `by step`.
    Range(Box<RangeValue>),
    /// Shared: a source is looked up far more often than it is changed.
    Source(Rc<Source>),
    Envelope(Box<Envelope>),
    Part(Box<SourcePart>),
    Curve(Box<Curve>),
    Connectome(Box<Connectome>),
    /// A pattern value, not yet declared in a landscape.
    Pattern(Box<Pattern>),
    /// A pattern declared in the landscape, by name.
    PatternName(Text),
    Observable(Box<Observable>),
    /// A statistic or arithmetic on statistics (one side of an expectation).
    Operand(Operand),
    Predicate(Box<Predicate>),
    Function(Rc<UserFunction>),
    Builtin(&'static Builtin),
    Module(Rc<Module>),
    /// The result of an expression that already produced an error: accepted everywhere silently,
    /// so one mistake gives one diagnostic.
    Unknown,
}

/// `start..end` (both included), optionally `by step`.
#[derive(Clone, Debug)]
pub struct RangeValue {
    pub start: Scalar,
    pub end: Scalar,
    pub step: Option<Scalar>,
}

impl Value {
    /// What the value is, for messages: "a time", "a connectome", "a list".
    pub fn describe(&self) -> String {
        match self {
            Value::Number(scalar) => format!("{}", scalar.dim),
            Value::Bool(_) => "a boolean".into(),
            Value::Text(_) => "a string".into(),
            Value::List(_) => "a list".into(),
            Value::Table(_) => "a table".into(),
            Value::Record(_) => "a record".into(),
            Value::Range(_) => "a range".into(),
            Value::Source(_) => "a source".into(),
            Value::Envelope(_) => "an envelope".into(),
            Value::Part(_) => "a source part".into(),
            Value::Curve(_) => "a schedule curve".into(),
            Value::Connectome(_) => "a connectome".into(),
            Value::Pattern(_) => "a pattern".into(),
            Value::PatternName(_) => "a declared pattern".into(),
            Value::Observable(_) => "a recorded quantity".into(),
            Value::Operand(_) => "a statistic".into(),
            Value::Predicate(_) => "a condition on results".into(),
            Value::Function(_) | Value::Builtin(_) => "a function".into(),
            Value::Module(_) => "a module".into(),
            Value::Unknown => "an unknown value".into(),
        }
    }
}

/// A user function: its definition, and the module scope it sees (names bound before it).
#[derive(Debug)]
pub struct UserFunction {
    pub def: Arc<FunctionDef>,
    pub module: Rc<Module>,
    /// Only module bindings with index below this are visible (those defined before the function).
    pub visible_below: usize,
}

/// A loaded file's top-level scope.
#[derive(Debug)]
pub struct Module {
    pub file: anneal_diagnostics::FileId,
    pub display_name: String,
    pub scope: RefCell<Scope>,
}

/// A scope's names. Names are hashed on every lookup, and SipHash's resistance to crafted keys buys
/// nothing for a script's own identifiers, so the map uses rustc's fast hash.
#[derive(Debug, Default)]
pub struct Scope {
    pub bindings: HashMap<Text, Vec<Binding>, rustc_hash::FxBuildHasher>,
    pub count: usize,
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub index: usize,
    pub value: Value,
    pub loc: Loc,
    pub used: bool,
    /// True for `let` and `fn` (those get unused warnings).
    pub warn_unused: bool,
}

impl Scope {
    pub fn lookup(&mut self, name: &str, below: usize) -> Option<&mut Binding> {
        self.bindings
            .get_mut(name)?
            .iter_mut()
            .rev()
            .find(|b| b.index < below)
    }

    pub fn insert(&mut self, name: &str, value: Value, loc: Loc, warn_unused: bool) {
        let index = self.count;
        self.count += 1;
        self.bindings
            .entry(Text::from(name))
            // Most names are bound once: a vector of one binding instead of the four a first
            // push reserves.
            .or_insert_with(|| Vec::with_capacity(1))
            .push(Binding {
                index,
                value,
                loc,
                used: false,
                warn_unused,
            });
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.bindings.keys().map(Text::as_str)
    }
}

#[cfg(test)]
mod tests {
    /// Values are moved at every step of evaluation; a new large variant belongs in a `Box`.
    #[test]
    fn values_stay_small() {
        assert!(std::mem::size_of::<super::Value>() <= 48);
    }
}
