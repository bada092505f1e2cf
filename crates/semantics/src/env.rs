//! Where an expression is evaluated, and the limits on evaluation.

use crate::program::Axis;
use crate::value::{Module, Value};
use anneal_diagnostics::FileId;
use std::rc::Rc;

/// Maximum evaluation steps per check (guards against exponential function call patterns).
pub const STEP_BUDGET: u64 = 10_000_000;
/// Maximum items a range may expand to.
pub const MAX_ITEMS: usize = 1_000_000;

/// Where an expression is evaluated: the module scope (bindings below `visible_below`), local
/// bindings (function parameters and block lets), and the scenario axes when inside a scenario.
pub struct Env<'a> {
    pub module: &'a Rc<Module>,
    pub visible_below: usize,
    /// Parameters and block `let`s, innermost last; the names borrow from the syntax tree.
    pub locals: Vec<(&'a str, Value)>,
    pub axes: Option<&'a [Axis]>,
}

impl Env<'_> {
    pub fn file(&self) -> FileId {
        self.module.file
    }
}
