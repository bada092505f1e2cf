//! A builtin call with its arguments bound to the builtin's parameters: what the evaluator
//! hands to the constructors.

use crate::builtins::{Builtin, Default as ParamDefault, Param, Ty};
use crate::program::*;
use crate::units::Dim;
use crate::value::Value;
use anneal_diagnostics::FileId;
use anneal_syntax::ast::Span;
use std::collections::BTreeMap;

/// A builtin call whose arguments are bound and type-checked.
pub struct Call {
    pub builtin: &'static Builtin,
    /// The value given for each parameter of `builtin.params`, in the same order, with the span
    /// of its expression; `None` where the argument was left out.
    pub values: Vec<Option<(Value, Span)>>,
    pub file: FileId,
    pub span: Span,
}

impl Call {
    fn index(&self, name: &str) -> usize {
        self.builtin
            .params
            .iter()
            .position(|p| p.name == name)
            .expect("parameter from the builtins table")
    }

    fn param(&self, name: &str) -> &'static Param {
        &self.builtin.params[self.index(name)]
    }

    /// The value given for the parameter `name` and its span.
    fn given(&self, name: &str) -> Option<&(Value, Span)> {
        self.values.get(self.index(name))?.as_ref()
    }

    /// A numeric argument or its default, in SI units.
    pub fn scalar(&self, name: &str) -> Option<Scalar> {
        match self.given(name) {
            Some((Value::Number(s), _)) => Some(*s),
            _ => {
                let param = self.param(name);
                let dim = match param.ty {
                    Ty::Number(dim) => dim,
                    _ => Dim::NONE,
                };
                match param.default {
                    ParamDefault::Number(value) => Some(Scalar {
                        value,
                        dim,
                        loc: Loc {
                            file: self.file,
                            span: self.span,
                        },
                    }),
                    _ => None,
                }
            }
        }
    }

    pub fn number(&self, name: &str) -> f64 {
        self.scalar(name).map_or(0.0, |s| s.value)
    }

    pub fn text(&self, name: &str) -> Option<String> {
        match self.given(name) {
            Some((Value::Text(t), _)) => Some(t.clone()),
            _ => None,
        }
    }

    pub fn value(&self, name: &str) -> Option<&Value> {
        self.given(name).map(|(v, _)| v)
    }

    pub fn span_of(&self, name: &str) -> Span {
        self.given(name).map_or(self.span, |(_, s)| *s)
    }

    pub fn bands(&self, name: &str) -> Bands {
        let (csh, rsh, ssh) = match self.param(name).default {
            ParamDefault::Bands(a, b, c) => (a, b, c),
            _ => (1.0, 1.0, 0.0),
        };
        let mut bands = Bands { csh, rsh, ssh };
        if let Some(Value::Record(fields)) = self.value(name) {
            for (field, value) in fields {
                if let Value::Number(s) = value {
                    match field.as_str() {
                        "csh" => bands.csh = s.value,
                        "rsh" => bands.rsh = s.value,
                        _ => bands.ssh = s.value,
                    }
                }
            }
        }
        bands
    }

    pub fn weights(&self, name: &str) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        if let Some(Value::Record(fields)) = self.value(name) {
            for (field, value) in fields {
                if let Value::Number(s) = value {
                    out.insert(field.clone(), s.value);
                }
            }
        }
        out
    }

    pub fn loc(&self) -> Loc {
        Loc {
            file: self.file,
            span: self.span,
        }
    }
}
