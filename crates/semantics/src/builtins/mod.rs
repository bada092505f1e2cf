//! The builtins table: every function, quantity and block setting the language provides, with its
//! parameters (types, dimensions, defaults) and documentation, in one place. The checker binds
//! arguments and checks types against this table; `docs/language.md` is checked against it by a
//! test. Later issues add entries here rather than special cases in the checker.

use crate::program::Grouping;
use crate::units::Dim;

mod functions;
mod quantities;
mod settings;

pub use functions::BUILTINS;
pub use quantities::{QUANTITIES, QuantityInfo, quantity};
pub use settings::{SETTINGS, SettingInfo, VARY_TARGETS, settings_of};

/// The type a parameter accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ty {
    /// A number of this dimension.
    Number(Dim),
    /// A whole number ≥ 0, dimensionless.
    Count,
    /// A plain number in [0, 1] (percentages allowed: `40%`).
    Fraction,
    /// A time (half-life) or a frequency (rate); stored as a rate in Hz.
    HalfLifeOrRate,
    Text,
    Bool,
    Connectome,
    Source,
    Envelope,
    SourcePart,
    Curve,
    Pattern,
    Quantity,
    /// A list whose items have the given type.
    List(&'static Ty),
    /// A table `[time: value, ...]` with times and plain-number values.
    TimeTable,
    /// A record `{csh: 1, rsh: 0.5, ssh: 0}`; missing bands take the parameter's default.
    Bands,
    /// A record of region name → weight `{ rPFCDL: 1.0 }`.
    Weights,
    /// A window: a source, a time, or (for `during`) a time range.
    Window,
    /// A record of scenario axis name → item label.
    RunSelection,
    /// One of the listed words, written bare: `laplacian normalized`.
    Keyword(&'static [&'static str]),
    /// A record with the listed fields, each a plain number or frequency as documented.
    Plasticity,
}

impl Ty {
    pub fn describe(&self) -> String {
        match self {
            Ty::Number(dim) => format!("{dim}"),
            Ty::Count => "a whole number".into(),
            Ty::Fraction => "a fraction between 0 and 1".into(),
            Ty::HalfLifeOrRate => "a half-life (time) or a rate (frequency)".into(),
            Ty::Text => "a string".into(),
            Ty::Bool => "true or false".into(),
            Ty::Connectome => "a connectome".into(),
            Ty::Source => "a source".into(),
            Ty::Envelope => "an envelope".into(),
            Ty::SourcePart => "a source part".into(),
            Ty::Curve => "a schedule curve".into(),
            Ty::Pattern => "a landscape pattern".into(),
            Ty::Quantity => "a recorded quantity".into(),
            Ty::List(item) => format!("a list of {}", item.describe()),
            Ty::TimeTable => "a table [time: value, ...]".into(),
            Ty::Bands => "a record of band weights {csh, rsh, ssh}".into(),
            Ty::Weights => "a record of region weights".into(),
            Ty::Window => "a source, a time or a time range".into(),
            Ty::RunSelection => "a record of axis labels".into(),
            Ty::Keyword(words) => format!("one of: {}", words.join(", ")),
            Ty::Plasticity => "a record {rate, decay, threshold}".into(),
        }
    }
}

/// The default of a parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Default {
    /// No default: the argument must be given.
    Required,
    /// Absent unless given.
    Optional,
    /// A number in SI units (the parameter's dimension).
    Number(f64),
    Bool(bool),
    Keyword(&'static str),
    EmptyList,
    /// Band weights csh, rsh, ssh.
    Bands(f64, f64, f64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Param {
    pub name: &'static str,
    pub ty: Ty,
    pub default: Default,
    /// Collects every remaining positional argument into a list.
    pub variadic: bool,
    pub doc: &'static str,
}

const fn p(name: &'static str, ty: Ty, default: Default, doc: &'static str) -> Param {
    Param {
        name,
        ty,
        default,
        variadic: false,
        doc,
    }
}

const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Param {
    Param {
        name,
        ty,
        default: Default::Required,
        variadic: false,
        doc,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Envelope,
    SourcePart,
    Source,
    Curve,
    Connectome,
    Pattern,
    Statistic,
    Quantity,
}

impl Category {
    pub fn title(self) -> &'static str {
        match self {
            Category::Envelope => "envelopes",
            Category::SourcePart => "source parts",
            Category::Source => "the source primitive",
            Category::Curve => "cooling curves and schedules",
            Category::Connectome => "connectome constructors",
            Category::Pattern => "landscape patterns",
            Category::Statistic => "statistics for expectations",
            Category::Quantity => "quantity functions",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Builtin {
    pub name: &'static str,
    pub category: Category,
    pub params: &'static [Param],
    pub doc: &'static str,
}

/// Shorthands for the parameter types the tables use most.
const TIME: Ty = Ty::Number(Dim::TIME);
const FREQ: Ty = Ty::Number(Dim::FREQUENCY);
const PLAIN: Ty = Ty::Number(Dim::NONE);
const LENGTH: Ty = Ty::Number(Dim::LENGTH);
const NO_BANDS: Default = Default::Bands(1.0, 1.0, 0.0);

pub fn builtin(name: &str) -> Option<&'static Builtin> {
    // The checker looks a name up here whenever it is not a local or a script name, which is
    // every builtin call in every stdlib function body: a hash map instead of a scan of the table.
    static BY_NAME: std::sync::OnceLock<rustc_hash::FxHashMap<&'static str, &'static Builtin>> =
        std::sync::OnceLock::new();
    BY_NAME
        .get_or_init(|| BUILTINS.iter().map(|b| (b.name, b)).collect())
        .get(name)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`builtin`] looks names up in a map built from the table, which keeps one entry per name.
    #[test]
    fn every_builtin_is_found_by_its_own_name() {
        for entry in BUILTINS {
            assert!(
                std::ptr::eq(builtin(entry.name).unwrap(), entry),
                "{}",
                entry.name
            );
        }
        assert!(builtin("no_such_builtin").is_none());
    }
}
