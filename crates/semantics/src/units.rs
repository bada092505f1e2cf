//! Units and dimensions. A quantity is an `f64` in SI base units (seconds, hertz, metres) with its
//! dimension: integer exponents of time and length. Conversions are exact where the decimal value is
//! (`1 min` is 60 s, `60 bpm` is 1 Hz) and correctly rounded otherwise, because sub-units divide
//! (`20 ms` is `20 / 1000`, the nearest double to 0.02) instead of multiplying by a rounded factor.

use std::fmt;

/// Exponents of the base dimensions: `time` seconds, `length` metres.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Dim {
    pub time: i8,
    pub length: i8,
}

impl Dim {
    pub const NONE: Dim = Dim { time: 0, length: 0 };
    pub const TIME: Dim = Dim { time: 1, length: 0 };
    pub const FREQUENCY: Dim = Dim {
        time: -1,
        length: 0,
    };
    pub const LENGTH: Dim = Dim { time: 0, length: 1 };

    pub fn times(self, other: Dim) -> Dim {
        Dim {
            time: self.time.saturating_add(other.time),
            length: self.length.saturating_add(other.length),
        }
    }

    pub fn per(self, other: Dim) -> Dim {
        Dim {
            time: self.time.saturating_sub(other.time),
            length: self.length.saturating_sub(other.length),
        }
    }

    pub fn is_none(self) -> bool {
        self == Dim::NONE
    }

    /// The SI unit symbol of this dimension, as quantities are printed: `s`, `Hz`, `m`, `s^2`.
    pub fn si_symbol(self) -> String {
        match self {
            Dim::NONE => String::new(),
            Dim::TIME => "s".into(),
            Dim::FREQUENCY => "Hz".into(),
            Dim::LENGTH => "m".into(),
            _ => {
                let mut parts = Vec::new();
                if self.length != 0 {
                    parts.push(if self.length == 1 {
                        "m".to_string()
                    } else {
                        format!("m^{}", self.length)
                    });
                }
                if self.time != 0 {
                    parts.push(if self.time == 1 {
                        "s".to_string()
                    } else {
                        format!("s^{}", self.time)
                    });
                }
                parts.join(" ")
            }
        }
    }
}

impl fmt::Display for Dim {
    /// Human names for error messages: "a time", "a frequency (1/time)", "a plain number".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Dim::NONE => write!(f, "a plain number"),
            Dim::TIME => write!(f, "a time"),
            Dim::FREQUENCY => write!(f, "a frequency (1/time)"),
            Dim::LENGTH => write!(f, "a length"),
            other => write!(f, "a quantity in {}", other.si_symbol()),
        }
    }
}

/// How a unit converts to SI: multiply by `numerator`, divide by `denominator`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    pub symbol: &'static str,
    pub dim: Dim,
    pub numerator: f64,
    pub denominator: f64,
    pub name: &'static str,
}

/// Every unit the language knows; the grammar's `unit` rule lists the same symbols.
pub const UNITS: &[Unit] = &[
    Unit {
        symbol: "s",
        dim: Dim::TIME,
        numerator: 1.0,
        denominator: 1.0,
        name: "second",
    },
    Unit {
        symbol: "ms",
        dim: Dim::TIME,
        numerator: 1.0,
        denominator: 1000.0,
        name: "millisecond",
    },
    Unit {
        symbol: "min",
        dim: Dim::TIME,
        numerator: 60.0,
        denominator: 1.0,
        name: "minute",
    },
    Unit {
        symbol: "h",
        dim: Dim::TIME,
        numerator: 3600.0,
        denominator: 1.0,
        name: "hour",
    },
    Unit {
        symbol: "d",
        dim: Dim::TIME,
        numerator: 86400.0,
        denominator: 1.0,
        name: "day",
    },
    Unit {
        symbol: "Hz",
        dim: Dim::FREQUENCY,
        numerator: 1.0,
        denominator: 1.0,
        name: "hertz",
    },
    Unit {
        symbol: "bpm",
        dim: Dim::FREQUENCY,
        numerator: 1.0,
        denominator: 60.0,
        name: "beats per minute",
    },
    Unit {
        symbol: "mm",
        dim: Dim::LENGTH,
        numerator: 1.0,
        denominator: 1000.0,
        name: "millimetre",
    },
    Unit {
        symbol: "cm",
        dim: Dim::LENGTH,
        numerator: 1.0,
        denominator: 100.0,
        name: "centimetre",
    },
    Unit {
        symbol: "m",
        dim: Dim::LENGTH,
        numerator: 1.0,
        denominator: 1.0,
        name: "metre",
    },
    Unit {
        symbol: "%",
        dim: Dim::NONE,
        numerator: 1.0,
        denominator: 100.0,
        name: "percent",
    },
];

pub fn unit(symbol: &str) -> Option<&'static Unit> {
    UNITS.iter().find(|u| u.symbol == symbol)
}

/// Converts `value` written in `unit` to SI.
pub fn to_si(value: f64, unit: &Unit) -> f64 {
    if unit.denominator == 1.0 {
        value * unit.numerator
    } else {
        value * unit.numerator / unit.denominator
    }
}

/// The time unit named by `per s`, `per min`, ... in a setting such as `sweeps 2 per s`.
pub fn time_unit(symbol: &str) -> Option<&'static Unit> {
    unit(symbol).filter(|u| u.dim == Dim::TIME)
}

/// Formats a quantity for messages: `1200 s`, `0.5`, `2 Hz`.
pub fn show(value: f64, dim: Dim) -> String {
    let symbol = dim.si_symbol();
    if symbol.is_empty() {
        format!("{value}")
    } else {
        format!("{value} {symbol}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_are_exact_or_correctly_rounded() {
        assert_eq!(to_si(1.0, unit("min").unwrap()), 60.0);
        assert_eq!(to_si(60.0, unit("bpm").unwrap()), 1.0);
        assert_eq!(to_si(90.0, unit("bpm").unwrap()), 1.5);
        assert_eq!(to_si(20.0, unit("ms").unwrap()), 0.02);
        assert_eq!(to_si(2.0, unit("d").unwrap()), 172_800.0);
        assert_eq!(to_si(50.0, unit("%").unwrap()), 0.5);
    }

    #[test]
    fn dimensions_combine() {
        assert_eq!(Dim::NONE.per(Dim::TIME), Dim::FREQUENCY);
        assert_eq!(Dim::FREQUENCY.times(Dim::TIME), Dim::NONE);
        assert_eq!(format!("{}", Dim::FREQUENCY), "a frequency (1/time)");
    }
}
