//! Importers for real connectome data: TVB connectivity zips, TVB surface meshes joined to a region
//! connectome (the Atasoy-style construction of model.md §1), edge-list CSV and dense-matrix CSV.
//!
//! Real data is not clean. Each repair (symmetrising, dropping the diagonal) and each noteworthy
//! property (isolated nodes, several components) is reported as a [`Warning`]; a malformed file is
//! an [`ImportError`] naming the file, line and column. Nothing is repaired silently.

use super::{Connectome, ConnectomeError, NodeKind, Regions, SurfaceMesh, components_of};
use sprs::{CsMat, TriMat};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

mod csv;
mod mesh;
mod tvb;

pub use csv::{dense_from_text, edge_list_from_text, import_dense_csv, import_edge_list_csv};
pub use mesh::{
    AtasoyStats, atasoy_connectome, import_surface_connectome, mesh_adjacency, mesh_connectome,
};
pub use tvb::{
    import_region_mapping, import_tvb_connectivity, import_tvb_surface, region_mapping_from_text,
    tvb_connectivity_from_bytes, tvb_surface_from_bytes,
};

/// Where in the input something was found. Line and column are 1-based; column counts characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl SourceLocation {
    pub fn file(file: &str) -> SourceLocation {
        SourceLocation {
            file: file.to_string(),
            line: None,
            column: None,
        }
    }

    pub fn at(file: &str, line: usize, column: usize) -> SourceLocation {
        SourceLocation {
            file: file.to_string(),
            line: Some(line),
            column: Some(column),
        }
    }
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// The kinds of data quirk an import reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WarningKind {
    /// W ≠ Wᵀ; the import used (W + Wᵀ)/2.
    Asymmetric,
    /// Non-zero self-connections; the import dropped them.
    Diagonal,
    /// Nodes without any connection.
    IsolatedNodes,
    /// The graph has more than one connected component.
    SeveralComponents,
    /// A construction left several components and only the largest was kept.
    KeptLargestComponent,
    /// An optional file of the format is absent.
    MissingOptionalFile,
    /// A region owns no vertex of the mesh, so it has no long-range edges.
    RegionWithoutVertices,
    /// A line has more fields than the format defines; the extra ones were ignored.
    ExtraColumn,
}

/// A quirk of the input that the import handled, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub kind: WarningKind,
    pub location: SourceLocation,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning: {}", self.location, self.message)
    }
}

/// Why an import failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: cannot read: {message}")]
    Io { file: String, message: String },
    #[error("{location}: {message}")]
    Parse {
        location: SourceLocation,
        message: String,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}: {source}")]
    Connectome {
        file: String,
        source: ConnectomeError,
    },
}

impl ImportError {
    /// The location the error points at (file, and line and column where known).
    pub fn location(&self) -> SourceLocation {
        match self {
            ImportError::Io { file, .. }
            | ImportError::Invalid { file, .. }
            | ImportError::Connectome { file, .. } => SourceLocation::file(file),
            ImportError::Parse { location, .. } => location.clone(),
        }
    }
}

fn parse_error(file: &str, line: usize, column: usize, message: impl Into<String>) -> ImportError {
    ImportError::Parse {
        location: SourceLocation::at(file, line, column),
        message: message.into(),
    }
}

fn invalid(file: &str, message: impl Into<String>) -> ImportError {
    ImportError::Invalid {
        file: file.to_string(),
        message: message.into(),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, ImportError> {
    std::fs::read(path).map_err(|e| ImportError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    })
}

fn utf8(file: &str, bytes: Vec<u8>) -> Result<String, ImportError> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        parse_error(file, line, column, "the file is not valid UTF-8 text")
    })
}

/// One token of a text table, with its 1-based line and character column.
#[derive(Debug, Clone)]
struct Token<'a> {
    text: &'a str,
    line: usize,
    column: usize,
}

/// Splits `text` into lines of tokens. Tokens are separated by whitespace, and also by commas when
/// `commas` is set. Blank lines and lines starting with `#` are skipped.
fn tokenize(text: &str, commas: bool) -> Vec<Vec<Token<'_>>> {
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let mut tokens = Vec::new();
        let mut start: Option<(usize, usize)> = None;
        let mut char_column = 0;
        for (byte, ch) in line.char_indices() {
            char_column += 1;
            let separator = ch.is_whitespace() || (commas && ch == ',');
            match (separator, start) {
                (true, Some((b, c))) => {
                    tokens.push(Token {
                        text: &line[b..byte],
                        line: index + 1,
                        column: c,
                    });
                    start = None;
                }
                (false, None) => start = Some((byte, char_column)),
                _ => {}
            }
        }
        if let Some((b, c)) = start {
            tokens.push(Token {
                text: &line[b..],
                line: index + 1,
                column: c,
            });
        }
        if !tokens.is_empty() {
            lines.push(tokens);
        }
    }
    lines
}

fn number(file: &str, token: &Token<'_>) -> Result<f64, ImportError> {
    match token.text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(parse_error(
            file,
            token.line,
            token.column,
            format!("`{}` is not a finite number", token.text),
        )),
        Err(_) => Err(parse_error(
            file,
            token.line,
            token.column,
            format!("expected a number, found `{}`", token.text),
        )),
    }
}

fn index(file: &str, token: &Token<'_>, what: &str) -> Result<usize, ImportError> {
    token.text.parse::<usize>().map_err(|_| {
        parse_error(
            file,
            token.line,
            token.column,
            format!(
                "expected {what} (a non-negative integer), found `{}`",
                token.text
            ),
        )
    })
}

/// A square matrix of numbers, one row a line, with the location of every entry kept for errors.
fn square_matrix(
    file: &str,
    lines: &[Vec<Token<'_>>],
    n: Option<usize>,
) -> Result<Vec<Vec<f64>>, ImportError> {
    let n = n.unwrap_or(lines.len());
    if lines.len() != n {
        return Err(invalid(
            file,
            format!("expected {n} rows, found {}", lines.len()),
        ));
    }
    let mut matrix = Vec::with_capacity(n);
    for tokens in lines {
        if tokens.len() != n {
            let at = tokens.get(n).unwrap_or(&tokens[tokens.len() - 1]);
            return Err(parse_error(
                file,
                at.line,
                at.column,
                format!("expected {n} values on this row, found {}", tokens.len()),
            ));
        }
        let mut row = Vec::with_capacity(n);
        for t in tokens {
            let x = number(file, t)?;
            if x < 0.0 {
                return Err(parse_error(
                    file,
                    t.line,
                    t.column,
                    format!("negative value {x}; weights and lengths must be non-negative"),
                ));
            }
            row.push(x);
        }
        matrix.push(row);
    }
    Ok(matrix)
}

/// Cleans a dense weight matrix as model.md §1 prescribes: W ← (W + Wᵀ)/2, diagonal dropped, each
/// repair reported. Returns the symmetric sparse matrix.
fn clean_dense(file: &str, w: &[Vec<f64>], labels: &[String]) -> (CsMat<f64>, Vec<Warning>) {
    let n = w.len();
    let mut warnings = Vec::new();
    let mut asymmetric_pairs = 0;
    let mut diagonal = Vec::new();
    let mut tri = TriMat::new((n, n));
    for i in 0..n {
        if w[i][i] != 0.0 {
            diagonal.push(labels[i].clone());
        }
        for (j, column) in w.iter().enumerate().skip(i + 1) {
            if w[i][j] != column[i] {
                asymmetric_pairs += 1;
            }
            let s = 0.5 * (w[i][j] + column[i]);
            if s != 0.0 {
                tri.add_triplet(i, j, s);
                tri.add_triplet(j, i, s);
            }
        }
    }
    if asymmetric_pairs > 0 {
        warnings.push(Warning {
            kind: WarningKind::Asymmetric,
            location: SourceLocation::file(file),
            message: format!(
                "the weights are asymmetric in {asymmetric_pairs} pairs; using (W + Wᵀ)/2"
            ),
        });
    }
    if !diagonal.is_empty() {
        warnings.push(Warning {
            kind: WarningKind::Diagonal,
            location: SourceLocation::file(file),
            message: format!(
                "{} nodes have a non-zero self-connection ({}); dropped the diagonal",
                diagonal.len(),
                abbreviate(&diagonal)
            ),
        });
    }
    (tri.to_csr(), warnings)
}

fn abbreviate(names: &[String]) -> String {
    const SHOWN: usize = 8;
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!(
            "{}, … and {} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        )
    }
}

/// Warnings about the graph itself: isolated nodes and several components.
pub fn graph_warnings(file: &str, connectome: &Connectome) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let isolated: Vec<String> = connectome
        .weights()
        .outer_iterator()
        .enumerate()
        .filter(|(_, row)| row.nnz() == 0)
        .map(|(i, _)| connectome.labels()[i].clone())
        .collect();
    if !isolated.is_empty() {
        warnings.push(Warning {
            kind: WarningKind::IsolatedNodes,
            location: SourceLocation::file(file),
            message: format!(
                "{} isolated nodes ({}); they get a zero row in the normalised Laplacian",
                isolated.len(),
                abbreviate(&isolated)
            ),
        });
    }
    let components = connectome.components();
    if components.len() > 1 {
        let mut sizes: Vec<usize> = components.iter().map(Vec::len).collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        warnings.push(Warning {
            kind: WarningKind::SeveralComponents,
            location: SourceLocation::file(file),
            message: format!(
                "the graph has {} connected components (sizes {}); each adds a zero eigenvalue",
                components.len(),
                abbreviate(&sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            ),
        });
    }
    warnings
}

fn with_file<T>(file: &str, r: Result<T, ConnectomeError>) -> Result<T, ImportError> {
    r.map_err(|source| ImportError::Connectome {
        file: file.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(path: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data")
            .join(path)
    }

    #[test]
    fn tvb76_reports_its_known_quirks() {
        let (c, warnings) = import_tvb_connectivity(&data("tvb/connectivity_76.zip")).unwrap();
        assert_eq!(c.n(), 76);
        let kinds: Vec<WarningKind> = warnings.iter().map(|w| w.kind).collect();
        assert_eq!(
            kinds,
            vec![
                WarningKind::Asymmetric,
                WarningKind::Diagonal,
                WarningKind::IsolatedNodes,
                WarningKind::SeveralComponents
            ]
        );
        assert!(warnings[0].message.contains("585 pairs"), "{}", warnings[0]);
        assert!(
            warnings[1].message.starts_with("66 nodes"),
            "{}",
            warnings[1]
        );
        assert!(
            warnings[2].message.contains("rCC") && warnings[2].message.contains("lCC"),
            "{}",
            warnings[2]
        );
        assert_eq!(c.labels()[2], "rAMYG");
        assert!(c.positions().is_some() && c.tract_lengths().is_some());
        assert!(c.kinds().iter().all(|&k| k == NodeKind::Cortical));
    }

    #[test]
    fn tvb_zip_with_folder_and_with_missing_optional_files() {
        let (c192, _) = import_tvb_connectivity(&data("tvb/connectivity_192.zip")).unwrap();
        assert_eq!(c192.n(), 192);
        let (c66, warnings) = import_tvb_connectivity(&data("tvb/connectivity_66.zip")).unwrap();
        assert_eq!(c66.n(), 66);
        let missing = warnings
            .iter()
            .find(|w| w.kind == WarningKind::MissingOptionalFile)
            .unwrap();
        assert!(missing.message.contains("cortical.txt"), "{missing}");
        let err = import_tvb_connectivity(&data("tvb/connectivity_68.zip")).unwrap_err();
        assert!(err.to_string().contains("bzip2"), "{err}");
    }

    #[test]
    fn atasoy_construction_on_cortex_matches_model() {
        let (regions, _) = import_tvb_connectivity(&data("tvb/connectivity_76.zip")).unwrap();
        let mesh = import_tvb_surface(&data("tvb/cortex_16384.zip")).unwrap();
        assert_eq!((mesh.vertices.len(), mesh.triangles.len()), (16384, 32760));
        let mapping =
            import_region_mapping(&data("tvb/regionMapping_16k_76.txt"), 16384, 76).unwrap();
        let mesh_edges = mesh_adjacency(&mesh).nnz() / 2;
        assert_eq!(mesh_edges, 49140);
        let (c, warnings, stats) = atasoy_connectome("cortex", mesh, &mapping, &regions).unwrap();
        assert_eq!(
            stats,
            AtasoyStats {
                long_range_pairs: 881,
                already_mesh_edges: 15
            }
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(c.components().len(), 1);
        assert_eq!(c.edge_count(), 49140 + 881 - 15);
    }

    #[test]
    fn malformed_files_name_line_and_column() {
        let err = dense_from_text("m.csv", "0,1\n1,x\n").unwrap_err();
        assert_eq!(err.location(), SourceLocation::at("m.csv", 2, 3));
        let err = dense_from_text("m.csv", "0,1,2\n1,0\n").unwrap_err();
        assert_eq!(err.location().line, Some(1));
        let err = dense_from_text("m.csv", "0 -1\n-1 0\n").unwrap_err();
        assert_eq!(err.location(), SourceLocation::at("m.csv", 1, 3));
        let err = dense_from_text("m.csv", "0 nan\n1 0\n").unwrap_err();
        assert!(err.to_string().contains("finite"), "{err}");
        let err = edge_list_from_text("e.csv", "a,b,1\nb,c,2\na,b,3\n").unwrap_err();
        assert_eq!(err.location(), SourceLocation::at("e.csv", 3, 1));
        let err = region_mapping_from_text("map.txt", "0 1\n2 9\n", 4, 5).unwrap_err();
        assert_eq!(err.location(), SourceLocation::at("map.txt", 2, 3));
    }

    #[test]
    fn edge_list_with_names_header_and_asymmetry() {
        let (c, warnings) = edge_list_from_text(
            "e.csv",
            "source,target,weight\na,b,1\nb,a,3\nb,c,2\nc,c,1\n",
        )
        .unwrap();
        assert_eq!(c.labels(), &["a", "b", "c"]);
        assert_eq!(c.weights().get(0, 1), Some(&2.0));
        assert_eq!(c.weights().get(2, 1), Some(&2.0));
        let kinds: Vec<_> = warnings.iter().map(|w| w.kind).collect();
        assert_eq!(kinds, vec![WarningKind::Asymmetric, WarningKind::Diagonal]);
        let (c, warnings) = edge_list_from_text("e.csv", "0,1\n3,4\n").unwrap();
        assert_eq!(c.n(), 5);
        let kinds: Vec<_> = warnings.iter().map(|w| w.kind).collect();
        assert_eq!(
            kinds,
            vec![WarningKind::IsolatedNodes, WarningKind::SeveralComponents]
        );
    }

    #[test]
    fn dense_csv_with_labels() {
        let (c, warnings) = dense_from_text("d.csv", "x,y,z\n0,1,0\n1,0,2\n0,2,0\n").unwrap();
        assert!(warnings.is_empty());
        assert_eq!(c.labels(), &["x", "y", "z"]);
        assert_eq!(c.edge_count(), 2);
    }
}
