//! `traces.csv`: a time column and one column per recorded quantity.
//!
//! Headers are `name [unit]` (`time [s]` first); dimensionless quantities (unit `1`) are written
//! as the bare name. Numbers use the fewest digits that parse back to the identical `f64`
//! (Rust's float formatting guarantees the round trip), in plain form unless the exponent form
//! is much shorter (see [`format_float`]), so `pandas.read_csv` and `numpy.loadtxt` reproduce the values bit for bit. Fields
//! are quoted per RFC 4180 only when they contain a comma, a quote or a line break. Lines end
//! with `\n`.

use std::io::Write;

use super::{OutputError, Series};

/// Formats `value` with the fewest significant digits that read back as exactly `value`, in
/// plain notation unless the exponent form is more than three characters shorter (so `0.001`
/// stays plain while `1e-300` and `6.02e23` do not spell out their zeros). Callers must pass
/// finite values; the writer checks that before formatting.
pub fn format_float(value: f64) -> String {
    let plain = format!("{value}");
    let exponent = format!("{value:e}");
    if exponent.len() + 3 < plain.len() {
        exponent
    } else {
        plain
    }
}

fn quote_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// The header text of a column: `name [unit]`, or the bare name when the unit is `1` or empty.
pub fn column_header(name: &str, unit: &str) -> String {
    if unit.is_empty() || unit == "1" {
        name.to_string()
    } else {
        format!("{name} [{unit}]")
    }
}

/// Writes the trace table. `times` are in seconds; every series must have one value per time.
/// Nothing is written if any value is NaN or infinite: the error names the column and the row
/// (counted from 0, excluding the header line).
pub fn write_traces(
    out: &mut impl Write,
    times: &[f64],
    series: &[Series<'_>],
) -> Result<(), OutputError> {
    super::check_finite("time", times)?;
    for column in series {
        if column.values.len() != times.len() {
            return Err(OutputError::LengthMismatch {
                what: format!("column `{}` against the time column", column.name),
                expected: times.len(),
                found: column.values.len(),
            });
        }
        super::check_finite(column.name, column.values)?;
    }
    let mut text = String::new();
    text.push_str(&quote_field(&column_header("time", "s")));
    for column in series {
        text.push(',');
        text.push_str(&quote_field(&column_header(column.name, column.unit)));
    }
    text.push('\n');
    for (row, time) in times.iter().enumerate() {
        text.push_str(&format_float(*time));
        for column in series {
            text.push(',');
            text.push_str(&format_float(column.values[row]));
        }
        text.push('\n');
    }
    out.write_all(text.as_bytes())
        .map_err(|e| OutputError::io("cannot write", "traces.csv", e))
}

/// Renders the trace table to a string (see [`write_traces`]).
pub fn traces_to_string(times: &[f64], series: &[Series<'_>]) -> Result<String, OutputError> {
    let mut bytes = Vec::new();
    write_traces(&mut bytes, times, series)?;
    Ok(String::from_utf8(bytes).expect("the writer emits UTF-8 only"))
}

/// One field of a general table (see [`table_to_string`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, quoted when needed.
    Text(String),
    /// A whole number, written as is.
    Count(u64),
    /// A number, written exactly (see [`format_float`]); never NaN or infinite.
    Number(f64),
    /// No value: an empty field.
    Empty,
}

/// Renders a table with one header line and one line per row, every row as long as the
/// header. Nothing is rendered if a number is NaN or infinite: the error names the column and
/// the row (counted from 0, excluding the header line).
pub fn table_to_string(headers: &[String], rows: &[Vec<Cell>]) -> Result<String, OutputError> {
    let mut text = headers
        .iter()
        .map(|h| quote_field(h))
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    for (row, cells) in rows.iter().enumerate() {
        if cells.len() != headers.len() {
            return Err(OutputError::LengthMismatch {
                what: format!("table row {row} against the header"),
                expected: headers.len(),
                found: cells.len(),
            });
        }
        let mut fields = Vec::with_capacity(cells.len());
        for (cell, header) in cells.iter().zip(headers) {
            fields.push(match cell {
                Cell::Text(value) => quote_field(value),
                Cell::Count(value) => value.to_string(),
                Cell::Number(value) if value.is_finite() => format_float(*value),
                Cell::Number(value) => {
                    return Err(OutputError::NonFinite {
                        what: header.clone(),
                        index: row,
                        value: *value,
                    });
                }
                Cell::Empty => String::new(),
            });
        }
        text.push_str(&fields.join(","));
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table_has_units_in_headers_and_exact_numbers() {
        let times = [0.0, 0.5, 1.0];
        let temperature = [1.0, 0.75, 0.1 + 0.2];
        let valence = [-1e-12, 0.0, 12345.5];
        let text = traces_to_string(
            &times,
            &[
                Series {
                    name: "temperature",
                    unit: "K",
                    values: &temperature,
                },
                Series {
                    name: "valence",
                    unit: "1",
                    values: &valence,
                },
            ],
        )
        .unwrap();
        assert_eq!(
            text,
            "time [s],temperature [K],valence\n\
             0,1,-1e-12\n\
             0.5,0.75,0\n\
             1,0.30000000000000004,12345.5\n"
        );
    }

    #[test]
    fn nan_is_refused_naming_column_and_row() {
        let err = traces_to_string(
            &[0.0, 1.0, 2.0],
            &[
                Series {
                    name: "bath",
                    unit: "1",
                    values: &[1.0, 2.0, 3.0],
                },
                Series {
                    name: "valence",
                    unit: "1",
                    values: &[0.0, 1.0, f64::NAN],
                },
            ],
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("valence") && message.contains("row 2"),
            "{message}"
        );
        assert!(
            traces_to_string(&[f64::INFINITY], &[])
                .unwrap_err()
                .to_string()
                .contains("time")
        );
    }

    #[test]
    fn mismatched_lengths_are_refused() {
        let err = traces_to_string(
            &[0.0, 1.0],
            &[Series {
                name: "x",
                unit: "1",
                values: &[1.0],
            }],
        )
        .unwrap_err();
        assert!(matches!(
            err,
            OutputError::LengthMismatch {
                expected: 2,
                found: 1,
                ..
            }
        ));
    }

    #[test]
    fn awkward_names_are_quoted() {
        let text = traces_to_string(
            &[0.0],
            &[Series {
                name: "a,\"b\"",
                unit: "1",
                values: &[1.0],
            }],
        )
        .unwrap();
        assert_eq!(text.lines().next().unwrap(), "time [s],\"a,\"\"b\"\"\"");
    }

    #[test]
    fn extreme_values_use_the_shorter_exponent_form() {
        assert_eq!(format_float(1e-300), "1e-300");
        assert_eq!(format_float(6.02e23), "6.02e23");
        assert_eq!(format_float(-0.0), "-0");
        assert_eq!(format_float(5e-324), "5e-324");
        assert_eq!(format_float(0.001), "0.001");
        assert_eq!(format_float(0.000001), "1e-6");
        assert_eq!(format_float(123456.0), "123456");
    }

    #[test]
    fn general_tables_quote_text_and_refuse_nan() {
        let headers = vec![
            "index".to_string(),
            "cooling".into(),
            "frustration.final".into(),
        ];
        let text = table_to_string(
            &headers,
            &[
                vec![
                    Cell::Count(0),
                    Cell::Text("slow, gentle".into()),
                    Cell::Number(0.25),
                ],
                vec![Cell::Count(1), Cell::Text("fast".into()), Cell::Empty],
            ],
        )
        .unwrap();
        assert_eq!(
            text,
            "index,cooling,frustration.final\n0,\"slow, gentle\",0.25\n1,fast,\n"
        );
        let error = table_to_string(
            &headers,
            &[vec![Cell::Count(0), Cell::Empty, Cell::Number(f64::NAN)]],
        )
        .unwrap_err();
        assert!(error.to_string().contains("frustration.final"), "{error}");
        assert!(table_to_string(&headers, &[vec![Cell::Empty]]).is_err());
    }

    proptest! {
        #[test]
        fn every_finite_float_reads_back_identically(bits in any::<u64>()) {
            let value = f64::from_bits(bits);
            prop_assume!(value.is_finite());
            let text = format_float(value);
            prop_assert_eq!(text.parse::<f64>().unwrap().to_bits(), value.to_bits());
        }
    }
}
