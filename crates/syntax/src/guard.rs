//! Checks made on raw input before pest sees it. pest recurses once per nested bracket and is not
//! packrat, so a file of 10,000 opening brackets would exhaust the stack; we measure the nesting
//! depth ourselves with a linear scan that skips strings and comments, and refuse deep input with a
//! diagnostic instead. This limit is the only bound on pest's recursion: pest is built without its
//! own stack guard, whose cost is measured in docs/performance.md (see `Cargo.toml`).
//!
//! Syntax errors are rare and returned once per file, so the size of `Diagnostic` in `Result`
//! does not matter here.
#![allow(clippy::result_large_err)]

use crate::ast::Span;
use anneal_diagnostics::{Diagnostic, FileId};

/// Deepest bracket nesting accepted. Real scripts stay under ten.
pub const MAX_NESTING: usize = 100;

/// Converts raw bytes to text, refusing invalid UTF-8 and NUL bytes with a diagnostic that points at
/// the first offending byte.
pub fn decode(file: FileId, bytes: &[u8]) -> Result<&str, Diagnostic> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let at = error.valid_up_to();
            return Err(Diagnostic::error(
                "E0002",
                file,
                Span::new(at, at),
                format!(
                    "the file is not valid UTF-8 (byte {at} is 0x{:02X})",
                    bytes[at]
                ),
            )
            .with_help("save the script as UTF-8 text"));
        }
    };
    check_text(file, text)?;
    Ok(text)
}

/// Refuses NUL bytes in text that is already UTF-8.
pub fn check_text(file: FileId, text: &str) -> Result<(), Diagnostic> {
    if let Some(at) = text.bytes().position(|byte| byte == 0) {
        return Err(Diagnostic::error(
            "E0002",
            file,
            Span::new(at, at + 1),
            format!("the file contains a NUL byte at offset {at}"),
        )
        .with_help("scripts are plain text; remove the NUL byte (the file may be binary)"));
    }
    Ok(())
}

/// Finds the first place where bracket nesting exceeds [`MAX_NESTING`].
pub fn check_nesting(file: FileId, text: &str) -> Result<(), Diagnostic> {
    let bytes = text.as_bytes();
    // Most bytes are none of these; skipping them with a table lookup keeps the scan to a few
    // instructions a byte.
    const SIGNIFICANT: [bool; 256] = {
        let mut table = [false; 256];
        let mut i = 0;
        while i < 8 {
            table[b"#\"([{)]}"[i] as usize] = true;
            i += 1;
        }
        table
    };
    let mut depth = 0usize;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index..]
            .iter()
            .position(|&byte| SIGNIFICANT[byte as usize])
        {
            Some(skip) => index += skip,
            None => break,
        }
        match bytes[index] {
            b'#' => {
                while index < bytes.len() && bytes[index] != b'\n' {
                    index += 1;
                }
                continue;
            }
            b'"' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' && bytes[index] != b'\n' {
                    if bytes[index] == b'\\' {
                        index += 1;
                    }
                    index += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(Diagnostic::error(
                        "E0003",
                        file,
                        Span::new(index, index + 1),
                        format!("brackets nest more than {MAX_NESTING} levels deep"),
                    )
                    .with_help("split the expression into smaller parts with `let`"));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        index += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_invalid_utf8_at_the_right_byte() {
        let error = decode(FileId(0), b"let x = \xE9").unwrap_err();
        assert_eq!(error.code, "E0002");
        assert_eq!(error.span.start, 8);
    }

    #[test]
    fn refuses_nul() {
        let error = decode(FileId(0), b"let x\0 = 1").unwrap_err();
        assert_eq!(error.span, Span::new(5, 6));
    }

    #[test]
    fn deep_nesting_is_refused_but_brackets_in_strings_and_comments_are_ignored() {
        let deep = "(".repeat(10_000);
        assert_eq!(check_nesting(FileId(0), &deep).unwrap_err().code, "E0003");
        let quoted = format!("let x = \"{}\" # {}", "(".repeat(500), "[".repeat(500));
        assert!(check_nesting(FileId(0), &quoted).is_ok());
        let ok = format!("{}{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert!(check_nesting(FileId(0), &ok).is_ok());
    }
}
