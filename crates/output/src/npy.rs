//! NumPy `.npy` files, format version 1.0.
//!
//! The layout (from NumPy's `numpy.lib.format` specification): the magic string `\x93NUMPY`,
//! the format version `1 0`, a little-endian `u16` header length, then an ASCII Python dict
//! literal `{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }` padded with spaces and
//! ended by `\n` so that the data starts at a multiple of 64 bytes, then the raw values in C
//! (row-major) order. We write `<f8` (little-endian `f64`) and `<c16` (pairs of `f64`: real,
//! imaginary). Load with `numpy.load("valence.npy")`.

use std::path::Path;

use super::OutputError;

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// NumPy aligns the start of the data to this many bytes.
const ALIGNMENT: usize = 64;
/// Magic (6) + version (2) + header length (2).
const PREAMBLE_LEN: usize = 10;

/// The element types this module writes and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// Little-endian IEEE 754 double, NumPy `<f8`.
    Float64,
    /// Two little-endian doubles (real, imaginary), NumPy `<c16`.
    Complex128,
}

impl DType {
    fn descr(self) -> &'static str {
        match self {
            DType::Float64 => "<f8",
            DType::Complex128 => "<c16",
        }
    }
}

/// The values of a `.npy` file read back by [`decode`].
#[derive(Debug, Clone, PartialEq)]
pub enum NpyValues {
    /// `<f8` data.
    Float64(Vec<f64>),
    /// `<c16` data as `[real, imaginary]` pairs.
    Complex128(Vec<[f64; 2]>),
}

/// A decoded `.npy` array: its shape and its values in C order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// The shape, e.g. `[records, modes]`.
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub values: NpyValues,
}

/// The header (preamble, dict and padding) for an array of `dtype` and `shape`.
pub fn header(dtype: DType, shape: &[usize]) -> Vec<u8> {
    let shape_text = match shape {
        [single] => format!("({single},)"),
        dims => {
            let parts: Vec<String> = dims.iter().map(usize::to_string).collect();
            format!("({})", parts.join(", "))
        }
    };
    let mut dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        dtype.descr(),
        shape_text
    );
    // Pad with spaces so that preamble + dict + '\n' is a multiple of the alignment.
    let unpadded = PREAMBLE_LEN + dict.len() + 1;
    let padding = (ALIGNMENT - unpadded % ALIGNMENT) % ALIGNMENT;
    dict.extend(std::iter::repeat_n(' ', padding));
    dict.push('\n');
    let header_len = u16::try_from(dict.len()).expect("a shape of a few numbers fits a u16 header");
    let mut bytes = Vec::with_capacity(PREAMBLE_LEN + dict.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&header_len.to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    bytes
}

fn element_count(what: &str, shape: &[usize]) -> Result<usize, OutputError> {
    shape
        .iter()
        .try_fold(1usize, |acc, &dim| acc.checked_mul(dim))
        .ok_or_else(|| OutputError::NpyFormat {
            reason: format!("{what}: shape {shape:?} overflows"),
        })
}

/// Encodes `values` (row-major, `shape.iter().product()` of them) as a `<f8` `.npy` file.
/// `what` names the array in errors; non-finite values are refused.
pub fn encode_f64(what: &str, shape: &[usize], values: &[f64]) -> Result<Vec<u8>, OutputError> {
    let expected = element_count(what, shape)?;
    if values.len() != expected {
        return Err(OutputError::LengthMismatch {
            what: format!("{what} with shape {shape:?}"),
            expected,
            found: values.len(),
        });
    }
    super::check_finite(what, values)?;
    let mut bytes = header(DType::Float64, shape);
    bytes.reserve(values.len() * 8);
    for value in values {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    Ok(bytes)
}

/// Encodes complex `values` given as `[real, imaginary]` pairs as a `<c16` `.npy` file.
pub fn encode_complex(
    what: &str,
    shape: &[usize],
    values: &[[f64; 2]],
) -> Result<Vec<u8>, OutputError> {
    let expected = element_count(what, shape)?;
    if values.len() != expected {
        return Err(OutputError::LengthMismatch {
            what: format!("{what} with shape {shape:?}"),
            expected,
            found: values.len(),
        });
    }
    super::check_finite(what, values.as_flattened())?;
    let mut bytes = header(DType::Complex128, shape);
    bytes.reserve(values.len() * 16);
    for value in values.as_flattened() {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    Ok(bytes)
}

/// Writes a `<f8` `.npy` file at `path` (see [`encode_f64`]).
pub fn write_f64(path: &Path, shape: &[usize], values: &[f64]) -> Result<(), OutputError> {
    let what = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = encode_f64(&what, shape, values)?;
    std::fs::write(path, bytes).map_err(|e| OutputError::io("cannot write", path, e))
}

/// Writes a `<c16` `.npy` file at `path` (see [`encode_complex`]).
pub fn write_complex(path: &Path, shape: &[usize], values: &[[f64; 2]]) -> Result<(), OutputError> {
    let what = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = encode_complex(&what, shape, values)?;
    std::fs::write(path, bytes).map_err(|e| OutputError::io("cannot write", path, e))
}

fn format_error(reason: impl Into<String>) -> OutputError {
    OutputError::NpyFormat {
        reason: reason.into(),
    }
}

/// Extracts the text after `'key': ` in the header dict, up to the next top-level `,` or `}`
/// (a tuple's inner commas are kept).
fn dict_entry<'h>(dict: &'h str, key: &str) -> Result<&'h str, OutputError> {
    let pattern = format!("'{key}':");
    let start = dict
        .find(&pattern)
        .ok_or_else(|| format_error(format!("header lacks `{key}`")))?;
    let rest = dict[start + pattern.len()..].trim_start();
    let mut depth = 0usize;
    for (offset, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' | '}' if depth == 0 => return Ok(rest[..offset].trim()),
            _ => {}
        }
    }
    Err(format_error(format!(
        "header entry `{key}` is not terminated"
    )))
}

/// Decodes a version 1.0 `.npy` file of `<f8` or `<c16` values in C order.
pub fn decode(bytes: &[u8]) -> Result<NpyArray, OutputError> {
    if bytes.len() < PREAMBLE_LEN || &bytes[..6] != MAGIC {
        return Err(format_error("missing the \\x93NUMPY magic string"));
    }
    if bytes[6..8] != [1, 0] {
        return Err(format_error(format!(
            "format version {}.{} (only 1.0 is read)",
            bytes[6], bytes[7]
        )));
    }
    let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    let data_start = PREAMBLE_LEN + header_len;
    let dict_bytes = bytes
        .get(PREAMBLE_LEN..data_start)
        .ok_or_else(|| format_error("truncated header"))?;
    let dict = std::str::from_utf8(dict_bytes).map_err(|_| format_error("header is not ASCII"))?;
    let dtype = match dict_entry(dict, "descr")? {
        "'<f8'" => DType::Float64,
        "'<c16'" => DType::Complex128,
        other => {
            return Err(format_error(format!(
                "dtype {other} (only '<f8' and '<c16' are read)"
            )));
        }
    };
    if dict_entry(dict, "fortran_order")? != "False" {
        return Err(format_error("Fortran order is not read"));
    }
    let shape_text = dict_entry(dict, "shape")?;
    let inner = shape_text
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format_error(format!("shape `{shape_text}` is not a tuple")))?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<usize>()
                .map_err(|_| format_error(format!("bad dimension `{part}`")))
        })
        .collect::<Result<Vec<usize>, OutputError>>()?;
    let count = element_count("array", &shape)?;
    let element_size = match dtype {
        DType::Float64 => 8,
        DType::Complex128 => 16,
    };
    let data = &bytes[data_start..];
    if Some(data.len()) != count.checked_mul(element_size) {
        return Err(format_error(format!(
            "shape {shape:?} needs {count} values of {element_size} bytes, found {} bytes",
            data.len()
        )));
    }
    let floats: Vec<f64> = data
        .chunks_exact(8)
        .map(|chunk| f64::from_le_bytes(chunk.try_into().expect("chunks_exact yields 8 bytes")))
        .collect();
    let values = match dtype {
        DType::Float64 => NpyValues::Float64(floats),
        DType::Complex128 => {
            NpyValues::Complex128(floats.chunks_exact(2).map(|p| [p[0], p[1]]).collect())
        }
    };
    Ok(NpyArray { shape, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_matches_the_format_specification_byte_for_byte() {
        let bytes = header(DType::Float64, &[3]);
        let mut expected = b"\x93NUMPY\x01\x00".to_vec();
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
        // The 58-character dict and its newline do not fit in 64 - 10 bytes, so the data starts
        // at byte 128: 10 bytes of preamble, the dict, 59 spaces of padding, the newline.
        let header_len = 128 - 10;
        expected.extend_from_slice(&(header_len as u16).to_le_bytes());
        expected.extend_from_slice(dict.as_bytes());
        expected.extend(std::iter::repeat_n(b' ', header_len - dict.len() - 1));
        expected.push(b'\n');
        assert_eq!(bytes, expected);
    }

    #[test]
    fn every_header_is_aligned_and_newline_terminated() {
        for shape in [
            vec![0],
            vec![1],
            vec![7],
            vec![2, 3],
            vec![123456789, 98765],
            vec![4, 0],
        ] {
            for dtype in [DType::Float64, DType::Complex128] {
                let bytes = header(dtype, &shape);
                assert_eq!(bytes.len() % 64, 0, "{shape:?}");
                assert_eq!(*bytes.last().unwrap(), b'\n');
                let declared = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
                assert_eq!(declared + 10, bytes.len());
                assert!(bytes[10..].is_ascii());
            }
        }
        let two_d = String::from_utf8(header(DType::Complex128, &[2, 3])[10..].to_vec()).unwrap();
        assert!(two_d.starts_with("{'descr': '<c16', 'fortran_order': False, 'shape': (2, 3), }"));
    }

    #[test]
    fn float_values_round_trip_bit_for_bit() {
        let values = [0.0, -0.0, 1.0 / 3.0, f64::MIN_POSITIVE, -1e300, 5e-324, 2.5];
        let bytes = encode_f64("v", &[values.len()], &values).unwrap();
        assert_eq!(bytes.len(), 128 + 8 * values.len());
        assert_eq!(&bytes[128..136], &0.0f64.to_le_bytes());
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded.shape, vec![values.len()]);
        let NpyValues::Float64(read) = decoded.values else {
            panic!("expected <f8")
        };
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&read), bits(&values));
    }

    #[test]
    fn two_dimensional_and_complex_arrays_round_trip() {
        let values: Vec<f64> = (0..6).map(f64::from).collect();
        let decoded = decode(&encode_f64("m", &[2, 3], &values).unwrap()).unwrap();
        assert_eq!(
            decoded,
            NpyArray {
                shape: vec![2, 3],
                values: NpyValues::Float64(values)
            }
        );
        let complex = vec![[1.0, -2.0], [0.5, 0.25]];
        let decoded = decode(&encode_complex("c", &[2], &complex).unwrap()).unwrap();
        assert_eq!(
            decoded,
            NpyArray {
                shape: vec![2],
                values: NpyValues::Complex128(complex)
            }
        );
    }

    #[test]
    fn non_finite_values_and_wrong_lengths_are_refused_with_their_position() {
        let err = encode_f64("valence", &[3], &[1.0, f64::NAN, 2.0]).unwrap_err();
        assert!(
            matches!(err, OutputError::NonFinite { ref what, index: 1, .. } if what == "valence")
        );
        let err = encode_complex("z", &[1], &[[0.0, f64::INFINITY]]).unwrap_err();
        assert!(matches!(err, OutputError::NonFinite { index: 1, .. }));
        let err = encode_f64("m", &[2, 2], &[1.0; 3]).unwrap_err();
        assert!(matches!(
            err,
            OutputError::LengthMismatch {
                expected: 4,
                found: 3,
                ..
            }
        ));
    }

    #[test]
    fn malformed_files_are_rejected_not_panicked_on() {
        let good = encode_f64("v", &[2], &[1.0, 2.0]).unwrap();
        assert!(decode(&good[..good.len() - 1]).is_err());
        assert!(decode(&good[..20]).is_err());
        assert!(decode(b"\x93NUMPY").is_err());
        assert!(decode(b"not numpy at all").is_err());
        let mut wrong_version = good.clone();
        wrong_version[6] = 3;
        assert!(decode(&wrong_version).is_err());
    }

    /// Asks a real NumPy to read our files, when python3 with numpy is installed.
    #[test]
    fn numpy_reads_what_we_write() {
        let probe = std::process::Command::new("python3")
            .args(["-c", "import numpy"])
            .output();
        if !probe.is_ok_and(|out| out.status.success()) {
            println!("note: python3 with numpy is not available; skipping the NumPy cross-check");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.npy");
        let complex = dir.path().join("complex.npy");
        write_f64(
            &real,
            &[2, 3],
            &[0.1, -2.0, 3.5e-300, 4.0, 1e300, 1.0 / 3.0],
        )
        .unwrap();
        write_complex(&complex, &[2], &[[1.0, -2.0], [0.5, 0.25]]).unwrap();
        let script = format!(
            "import numpy as np\n\
             a = np.load({real:?}); c = np.load({complex:?})\n\
             assert a.dtype == np.float64 and a.shape == (2, 3) and a.flags['C_CONTIGUOUS']\n\
             assert a[0, 0] == 0.1 and a[0, 2] == 3.5e-300 and a[1, 2] == 1.0 / 3.0\n\
             assert c.dtype == np.complex128 and c.shape == (2,) and c[0] == 1 - 2j\n\
             assert np.lib.format.read_magic(open({real:?}, 'rb')) == (1, 0)\n",
            real = real.display().to_string(),
            complex = complex.display().to_string()
        );
        let out = std::process::Command::new("python3")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "numpy rejected our file: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
