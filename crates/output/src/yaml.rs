//! YAML through `serde_norway`, with deterministic output and no non-finite numbers.
//!
//! Key order is whatever the serialised value gives, and `serde_norway` keeps it: struct fields
//! come out in declaration order, and maps in their iteration order. Keep output deterministic
//! by using `BTreeMap` (sorted) or `Vec` for every map-like field, never `HashMap`. Floats are
//! written by `serde_norway` with the shortest round-trip formatting (ryu). NaN and infinity,
//! which YAML could spell `.nan` and `.inf`, are refused with the path of the offending field.

use std::path::Path;

use serde::Serialize;
use serde_norway::Value;

use super::OutputError;

/// Serialises `value` to a YAML document, refusing NaN and infinite numbers.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, OutputError> {
    let tree = serde_norway::to_value(value)?;
    check_finite_tree(&tree, "document")?;
    Ok(serde_norway::to_string(&tree)?)
}

/// Writes `value` as YAML to `path` (see [`to_string`]).
pub fn write(path: &Path, value: &(impl Serialize + ?Sized)) -> Result<(), OutputError> {
    let text = to_string(value)?;
    std::fs::write(path, text).map_err(|e| OutputError::io("cannot write", path, e))
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => serde_norway::to_string(other)
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default(),
    }
}

fn check_finite_tree(value: &Value, path: &str) -> Result<(), OutputError> {
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(float) if !float.is_finite() => Err(OutputError::NonFinite {
                what: path.to_string(),
                index: 0,
                value: float,
            }),
            _ => Ok(()),
        },
        Value::Sequence(items) => {
            for (index, item) in items.iter().enumerate() {
                // A bad number directly in a list is reported as that list's row `index`.
                if let Some(float) = item.as_f64().filter(|f| !f.is_finite()) {
                    return Err(OutputError::NonFinite {
                        what: path.to_string(),
                        index,
                        value: float,
                    });
                }
                check_finite_tree(item, &format!("{path}[{index}]"))?;
            }
            Ok(())
        }
        Value::Mapping(map) => {
            for (key, item) in map {
                check_finite_tree(item, &format!("{path}.{}", key_text(key)))?;
            }
            Ok(())
        }
        Value::Tagged(tagged) => check_finite_tree(&tagged.value, path),
        Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Serialize)]
    struct Example {
        zeta: f64,
        alpha: Vec<f64>,
        nested: BTreeMap<String, f64>,
    }

    #[test]
    fn fields_keep_declaration_order_and_maps_are_sorted() {
        let nested = BTreeMap::from([("b".to_string(), 2.0), ("a".to_string(), 0.1 + 0.2)]);
        let text = to_string(&Example {
            zeta: 1.5,
            alpha: vec![1e-300],
            nested,
        })
        .unwrap();
        assert_eq!(
            text,
            "zeta: 1.5\nalpha:\n- 1e-300\nnested:\n  a: 0.30000000000000004\n  b: 2.0\n"
        );
        let back: BTreeMap<String, Value> = serde_norway::from_str(&text).unwrap();
        assert_eq!(back["zeta"].as_f64(), Some(1.5));
    }

    #[test]
    fn nan_is_refused_with_the_field_path() {
        let nested = BTreeMap::from([("valence".to_string(), f64::NAN)]);
        let err = to_string(&Example {
            zeta: 1.0,
            alpha: vec![],
            nested,
        })
        .unwrap_err();
        assert!(err.to_string().contains("document.nested.valence"), "{err}");
        let err = to_string(&Example {
            zeta: 1.0,
            alpha: vec![0.0, f64::INFINITY],
            nested: BTreeMap::new(),
        })
        .unwrap_err();
        assert!(
            matches!(err, OutputError::NonFinite { ref what, index: 1, .. } if what == "document.alpha"),
            "{err}"
        );
    }
}
