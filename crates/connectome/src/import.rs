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

/// The files of a zip archive by base name, so that flat zips and zips with a folder read alike.
struct ZipFiles {
    archive: String,
    files: BTreeMap<String, Vec<u8>>,
}

impl ZipFiles {
    fn open(archive: &str, bytes: &[u8]) -> Result<ZipFiles, ImportError> {
        let zip_error =
            |e: zip::result::ZipError| invalid(archive, format!("not a readable zip archive: {e}"));
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zip_error)?;
        let mut files = BTreeMap::new();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(zip_error)?;
            if entry.is_dir() {
                continue;
            }
            let name = entry.name().map_err(zip_error)?.to_string();
            let base = name.rsplit('/').next().unwrap_or(&name).to_string();
            let mut data = Vec::new();
            entry
                .read_to_end(&mut data)
                .map_err(|e| invalid(archive, format!("cannot unpack `{name}`: {e}")))?;
            if files.insert(base.clone(), data).is_some() {
                return Err(invalid(archive, format!("holds more than one `{base}`")));
            }
        }
        Ok(ZipFiles {
            archive: archive.to_string(),
            files,
        })
    }

    /// The display name of a member, `archive.zip/member`.
    fn member(&self, name: &str) -> String {
        format!("{}/{}", self.archive, name)
    }

    fn text(&self, name: &str) -> Result<Option<(String, String)>, ImportError> {
        match self.files.get(name) {
            Some(bytes) => {
                let file = self.member(name);
                let text = utf8(&file, bytes.clone())?;
                Ok(Some((file, text)))
            }
            None if self.files.contains_key(&format!("{name}.bz2")) => Err(invalid(
                &self.archive,
                format!(
                    "`{name}` is stored bzip2-compressed (`{name}.bz2`); anneal reads plain text: unpack it and zip it again"
                ),
            )),
            None => Ok(None),
        }
    }

    fn required_text(&self, name: &str) -> Result<(String, String), ImportError> {
        self.text(name)?
            .ok_or_else(|| invalid(&self.archive, format!("has no `{name}`")))
    }
}

/// Reads a TVB connectivity zip from disk. See [`tvb_connectivity_from_bytes`].
pub fn import_tvb_connectivity(path: &Path) -> Result<(Connectome, Vec<Warning>), ImportError> {
    tvb_connectivity_from_bytes(&path.display().to_string(), &read_file(path)?)
}

/// Reads a TVB connectivity zip (flat, or with the files inside one folder): `weights.txt` is
/// required; `centres.txt` (labels and positions), `tract_lengths.txt` and `cortical.txt` are used
/// when present and a warning says which are missing. Each region becomes a node and its own region.
pub fn tvb_connectivity_from_bytes(
    archive: &str,
    bytes: &[u8],
) -> Result<(Connectome, Vec<Warning>), ImportError> {
    let zip = ZipFiles::open(archive, bytes)?;
    let (weights_file, weights_text) = zip.required_text("weights.txt")?;
    let weights = square_matrix(&weights_file, &tokenize(&weights_text, false), None)?;
    let n = weights.len();
    if n == 0 {
        return Err(invalid(&weights_file, "holds no rows"));
    }
    let mut warnings = Vec::new();
    let mut missing = Vec::new();

    let (labels, positions) = match zip.text("centres.txt")? {
        Some((file, text)) => {
            let lines = tokenize(&text, false);
            if lines.len() != n {
                return Err(invalid(
                    &file,
                    format!("has {} lines but weights.txt has {n} regions", lines.len()),
                ));
            }
            let mut labels = Vec::with_capacity(n);
            let mut positions = Vec::with_capacity(n);
            let mut extra_columns = 0;
            for tokens in &lines {
                if tokens.len() == 5 {
                    // connectivity_66 carries a fifth column (`None`) that no format describes.
                    extra_columns += 1;
                } else if tokens.len() != 4 {
                    let t = &tokens[0];
                    return Err(parse_error(
                        &file,
                        t.line,
                        t.column,
                        format!("expected `label x y z`, found {} fields", tokens.len()),
                    ));
                }
                labels.push(tokens[0].text.to_string());
                positions.push([
                    number(&file, &tokens[1])?,
                    number(&file, &tokens[2])?,
                    number(&file, &tokens[3])?,
                ]);
            }
            if extra_columns > 0 {
                warnings.push(Warning {
                    kind: WarningKind::ExtraColumn,
                    location: SourceLocation::file(&file),
                    message: format!(
                        "{extra_columns} lines have a fifth field after `label x y z`; ignored"
                    ),
                });
            }
            (labels, Some(positions))
        }
        None => {
            missing.push("centres.txt");
            ((0..n).map(|i| format!("r{i}")).collect(), None)
        }
    };

    let (symmetric, repairs) = clean_dense(&weights_file, &weights, &labels);
    warnings.extend(repairs);

    let tract_lengths = match zip.text("tract_lengths.txt")? {
        Some((file, text)) => {
            let lengths = square_matrix(&file, &tokenize(&text, false), Some(n))?;
            // Lengths are kept on the edges of the symmetrised graph; TVB's length matrix is
            // symmetric, so using the mean of both directions changes nothing there.
            let mut tri = TriMat::new((n, n));
            for (_, (i, j)) in symmetric.iter() {
                tri.add_triplet(i, j, 0.5 * (lengths[i][j] + lengths[j][i]));
            }
            Some(tri.to_csr())
        }
        None => {
            missing.push("tract_lengths.txt");
            None
        }
    };

    let kinds = match zip.text("cortical.txt")? {
        Some((file, text)) => {
            let tokens: Vec<Token<'_>> = tokenize(&text, false).into_iter().flatten().collect();
            if tokens.len() != n {
                return Err(invalid(
                    &file,
                    format!(
                        "has {} values but weights.txt has {n} regions",
                        tokens.len()
                    ),
                ));
            }
            tokens
                .iter()
                .map(|t| match t.text {
                    "1" | "True" | "true" => Ok(NodeKind::Cortical),
                    "0" | "False" | "false" => Ok(NodeKind::Subcortical),
                    other => Err(parse_error(
                        &file,
                        t.line,
                        t.column,
                        format!("expected 1 or 0, found `{other}`"),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?
        }
        None => {
            missing.push("cortical.txt");
            vec![NodeKind::Cortical; n]
        }
    };

    if !missing.is_empty() {
        warnings.push(Warning {
            kind: WarningKind::MissingOptionalFile,
            location: SourceLocation::file(archive),
            message: format!("optional files missing: {}", missing.join(", ")),
        });
    }

    let mut connectome = with_file(&weights_file, Connectome::new(symmetric))?;
    connectome = with_file(archive, connectome.with_labels(labels.clone()))?;
    connectome = with_file(
        archive,
        connectome.with_regions(Regions {
            names: labels,
            of_node: (0..n).map(Some).collect(),
        }),
    )?;
    if let Some(p) = positions {
        connectome = with_file(archive, connectome.with_positions(p))?;
    }
    if let Some(t) = tract_lengths {
        connectome = with_file(archive, connectome.with_tract_lengths(t))?;
    }
    connectome = with_file(archive, connectome.with_kinds(kinds))?;
    warnings.extend(graph_warnings(archive, &connectome));
    Ok((connectome, warnings))
}

/// Reads a TVB surface zip from disk. See [`tvb_surface_from_bytes`].
pub fn import_tvb_surface(path: &Path) -> Result<SurfaceMesh, ImportError> {
    tvb_surface_from_bytes(&path.display().to_string(), &read_file(path)?)
}

/// Reads a TVB surface zip: `vertices.txt` (x y z per line, mm) and `triangles.txt` (three 0-based
/// vertex ids per line). Stored normals are ignored: TVB's point inward, and painting recomputes them.
pub fn tvb_surface_from_bytes(archive: &str, bytes: &[u8]) -> Result<SurfaceMesh, ImportError> {
    let zip = ZipFiles::open(archive, bytes)?;
    let (vfile, vtext) = zip.required_text("vertices.txt")?;
    let mut vertices = Vec::new();
    for tokens in tokenize(&vtext, false) {
        if tokens.len() != 3 {
            return Err(parse_error(
                &vfile,
                tokens[0].line,
                tokens[0].column,
                format!("expected `x y z`, found {} fields", tokens.len()),
            ));
        }
        vertices.push([
            number(&vfile, &tokens[0])?,
            number(&vfile, &tokens[1])?,
            number(&vfile, &tokens[2])?,
        ]);
    }
    if vertices.is_empty() {
        return Err(invalid(&vfile, "holds no vertices"));
    }
    let (tfile, ttext) = zip.required_text("triangles.txt")?;
    let mut triangles = Vec::new();
    for tokens in tokenize(&ttext, false) {
        if tokens.len() != 3 {
            return Err(parse_error(
                &tfile,
                tokens[0].line,
                tokens[0].column,
                format!("expected three vertex ids, found {} fields", tokens.len()),
            ));
        }
        let mut tri = [0usize; 3];
        for (k, t) in tokens.iter().enumerate() {
            let v = index(&tfile, t, "a vertex id")?;
            if v >= vertices.len() {
                return Err(parse_error(
                    &tfile,
                    t.line,
                    t.column,
                    format!(
                        "vertex id {v} is out of range: there are {} vertices",
                        vertices.len()
                    ),
                ));
            }
            tri[k] = v;
        }
        if tri[0] == tri[1] || tri[1] == tri[2] || tri[0] == tri[2] {
            return Err(parse_error(
                &tfile,
                tokens[0].line,
                tokens[0].column,
                "degenerate triangle: a vertex id repeats",
            ));
        }
        triangles.push(tri);
    }
    Ok(SurfaceMesh {
        vertices,
        triangles,
    })
}

/// Reads a region mapping (one 0-based region id per vertex, whitespace separated) from disk.
pub fn import_region_mapping(
    path: &Path,
    vertices: usize,
    regions: usize,
) -> Result<Vec<usize>, ImportError> {
    let file = path.display().to_string();
    let text = utf8(&file, read_file(path)?)?;
    region_mapping_from_text(&file, &text, vertices, regions)
}

/// Parses a region mapping and checks it has one id per vertex, each below `regions`.
pub fn region_mapping_from_text(
    file: &str,
    text: &str,
    vertices: usize,
    regions: usize,
) -> Result<Vec<usize>, ImportError> {
    let tokens: Vec<Token<'_>> = tokenize(text, false).into_iter().flatten().collect();
    let mut mapping = Vec::with_capacity(tokens.len());
    for t in &tokens {
        let r = index(file, t, "a region id")?;
        if r >= regions {
            return Err(parse_error(
                file,
                t.line,
                t.column,
                format!("region id {r} is out of range: the connectivity has {regions} regions"),
            ));
        }
        mapping.push(r);
    }
    if mapping.len() != vertices {
        return Err(invalid(
            file,
            format!(
                "has {} region ids but the mesh has {vertices} vertices",
                mapping.len()
            ),
        ));
    }
    Ok(mapping)
}

/// The binary adjacency of a mesh: weight 1 on every triangle edge.
pub fn mesh_adjacency(mesh: &SurfaceMesh) -> CsMat<f64> {
    let n = mesh.vertices.len();
    let mut pairs: Vec<(usize, usize)> = Vec::with_capacity(mesh.triangles.len() * 3);
    for t in &mesh.triangles {
        for (a, b) in [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])] {
            pairs.push((a.min(b), a.max(b)));
        }
    }
    binary_matrix(n, pairs)
}

fn binary_matrix(n: usize, mut pairs: Vec<(usize, usize)>) -> CsMat<f64> {
    pairs.sort_unstable();
    pairs.dedup();
    let mut tri = TriMat::with_capacity((n, n), pairs.len() * 2);
    for (a, b) in pairs {
        tri.add_triplet(a, b, 1.0);
        tri.add_triplet(b, a, 1.0);
    }
    tri.to_csr()
}

fn distance(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// The connectome of a bare mesh: binary triangle-edge adjacency, positions and the mesh itself.
/// This is the matrix of `data/reference/cortex16k_mesh_eigs.txt`.
pub fn mesh_connectome(mesh: SurfaceMesh) -> Result<Connectome, ConnectomeError> {
    let weights = mesh_adjacency(&mesh);
    let lengths = edge_lengths(&weights, &mesh.vertices);
    Connectome::new(weights)?
        .with_labels((0..mesh.vertices.len()).map(|i| format!("v{i}")).collect())?
        .with_positions(mesh.vertices.clone())?
        .with_tract_lengths(lengths)?
        .with_mesh(mesh)
}

fn edge_lengths(weights: &CsMat<f64>, positions: &[[f64; 3]]) -> CsMat<f64> {
    let mut tri = TriMat::new(weights.shape());
    for (_, (i, j)) in weights.iter() {
        tri.add_triplet(i, j, distance(&positions[i], &positions[j]));
    }
    tri.to_csr()
}

/// Summary of the long-range edges the Atasoy-style construction added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtasoyStats {
    /// Distinct vertex pairs joined by long-range edges.
    pub long_range_pairs: usize,
    /// How many of those pairs were already mesh edges (and so collapse).
    pub already_mesh_edges: usize,
}

/// The Atasoy-style connectome of model.md §1: the mesh's binary adjacency OR long-range edges.
/// For each region pair (a, b), a ≠ b, with positive weight in `regions` (already symmetrised), the
/// vertex of a nearest to b's centre joins the vertex of b nearest to a's centre (squared Euclidean
/// distance; ties go to the lowest vertex id). Weight 1; a long-range edge that is also a mesh edge
/// collapses into it. When the result has several components the largest is kept, with a warning.
///
/// `regions` must carry positions (the centres); `mapping` gives each vertex's region.
pub fn atasoy_connectome(
    source: &str,
    mesh: SurfaceMesh,
    mapping: &[usize],
    regions: &Connectome,
) -> Result<(Connectome, Vec<Warning>, AtasoyStats), ImportError> {
    let n = mesh.vertices.len();
    let r = regions.n();
    if mapping.len() != n {
        return Err(invalid(
            source,
            format!(
                "the region mapping has {} entries but the mesh has {n} vertices",
                mapping.len()
            ),
        ));
    }
    if let Some(&bad) = mapping.iter().find(|&&m| m >= r) {
        return Err(invalid(
            source,
            format!("the region mapping names region {bad}, but the connectivity has {r} regions"),
        ));
    }
    let centres = regions.positions().ok_or_else(|| {
        invalid(
            source,
            "the region connectome has no centres, which the long-range edges need",
        )
    })?;
    let mut warnings = Vec::new();

    // nearest[a][b] = the vertex of region a nearest to the centre of region b.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); r];
    for (v, &region) in mapping.iter().enumerate() {
        members[region].push(v);
    }
    let empty: Vec<String> = (0..r)
        .filter(|&a| members[a].is_empty())
        .map(|a| regions.labels()[a].clone())
        .collect();
    if !empty.is_empty() {
        warnings.push(Warning {
            kind: WarningKind::RegionWithoutVertices,
            location: SourceLocation::file(source),
            message: format!(
                "{} regions own no mesh vertex ({}); their connections are not represented",
                empty.len(),
                abbreviate(&empty)
            ),
        });
    }
    let nearest = |a: usize, b: usize| -> Option<usize> {
        let c = centres[b];
        let mut best: Option<(f64, usize)> = None;
        for &v in &members[a] {
            let p = mesh.vertices[v];
            let d = (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) + (p[2] - c[2]).powi(2);
            // Members are ascending, so a strict comparison keeps the lowest id on ties.
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, v));
            }
        }
        best.map(|(_, v)| v)
    };

    let mesh_weights = mesh_adjacency(&mesh);
    let mut long_range: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (&w, (a, b)) in regions.weights().iter() {
        if a < b
            && w > 0.0
            && let (Some(va), Some(vb)) = (nearest(a, b), nearest(b, a))
            && va != vb
        {
            long_range.push((va.min(vb), va.max(vb), a, b));
        }
    }
    long_range.sort_unstable();
    long_range.dedup_by_key(|e| (e.0, e.1));
    let already = long_range
        .iter()
        .filter(|e| mesh_weights.get(e.0, e.1).is_some())
        .count();
    let stats = AtasoyStats {
        long_range_pairs: long_range.len(),
        already_mesh_edges: already,
    };

    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (_, (i, j)) in mesh_weights.iter() {
        if i < j {
            pairs.push((i, j));
        }
    }
    pairs.extend(long_range.iter().map(|e| (e.0, e.1)));
    let weights = binary_matrix(n, pairs);

    // Mesh edges are as long as they are; a long-range edge takes its regions' tract length when
    // known and the straight distance otherwise.
    let mut lengths = TriMat::new((n, n));
    let mut long_length: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for e in &long_range {
        let l = regions
            .tract_lengths()
            .and_then(|t| t.get(e.2, e.3).copied())
            .unwrap_or_else(|| distance(&mesh.vertices[e.0], &mesh.vertices[e.1]));
        long_length.insert((e.0, e.1), l);
    }
    for (_, (i, j)) in weights.iter() {
        let l = if mesh_weights.get(i, j).is_some() {
            distance(&mesh.vertices[i], &mesh.vertices[j])
        } else {
            long_length[&(i.min(j), i.max(j))]
        };
        lengths.add_triplet(i, j, l);
    }

    let connectome = with_file(source, Connectome::new(weights))?;
    let connectome = with_file(
        source,
        connectome.with_labels((0..n).map(|i| format!("v{i}")).collect()),
    )?;
    let connectome = with_file(
        source,
        connectome.with_regions(Regions {
            names: regions.labels().to_vec(),
            of_node: mapping.iter().map(|&m| Some(m)).collect(),
        }),
    )?;
    let kinds = mapping.iter().map(|&m| regions.kinds()[m]).collect();
    let connectome = with_file(source, connectome.with_positions(mesh.vertices.clone()))?;
    let connectome = with_file(source, connectome.with_tract_lengths(lengths.to_csr()))?;
    let connectome = with_file(source, connectome.with_kinds(kinds))?;
    let connectome = with_file(source, connectome.with_mesh(mesh))?;

    let components = components_of(connectome.weights());
    if components.len() > 1 {
        let largest = components
            .iter()
            .enumerate()
            .max_by_key(|(i, c)| (c.len(), std::cmp::Reverse(*i)))
            .map(|(i, _)| i)
            .unwrap_or(0);
        let dropped: usize = n - components[largest].len();
        warnings.push(Warning {
            kind: WarningKind::KeptLargestComponent,
            location: SourceLocation::file(source),
            message: format!(
                "the construction left {} components; kept the largest ({} nodes) and dropped {dropped} nodes",
                components.len(),
                components[largest].len()
            ),
        });
        return Ok((connectome.induced(&components[largest]), warnings, stats));
    }
    Ok((connectome, warnings, stats))
}

/// Reads a TVB surface zip, a region mapping and a TVB connectivity zip from disk and builds the
/// Atasoy-style connectome. Warnings of the connectivity import come first.
pub fn import_surface_connectome(
    surface: &Path,
    mapping: &Path,
    connectivity: &Path,
) -> Result<(Connectome, Vec<Warning>), ImportError> {
    let (regions, mut warnings) = import_tvb_connectivity(connectivity)?;
    let mesh = import_tvb_surface(surface)?;
    let map = import_region_mapping(mapping, mesh.vertices.len(), regions.n())?;
    let (connectome, more, _) =
        atasoy_connectome(&surface.display().to_string(), mesh, &map, &regions)?;
    warnings.extend(more);
    Ok((connectome, warnings))
}

/// Reads an edge-list CSV from disk. See [`edge_list_from_text`].
pub fn import_edge_list_csv(path: &Path) -> Result<(Connectome, Vec<Warning>), ImportError> {
    let file = path.display().to_string();
    let text = utf8(&file, read_file(path)?)?;
    edge_list_from_text(&file, &text)
}

/// Parses an undirected edge list: `source,target[,weight]` per line (weight 1 when absent), `#`
/// comments, and an optional header line (recognised when its weight field is not a number, or its
/// first two fields are `source,target` or `from,to`). When every endpoint is a non-negative integer
/// the nodes are 0..=max id; otherwise they are the names in order of first appearance.
/// An edge given in both directions with different weights is asymmetric and averaged, with a
/// warning; the same direction twice is an error.
pub fn edge_list_from_text(
    file: &str,
    text: &str,
) -> Result<(Connectome, Vec<Warning>), ImportError> {
    let mut lines = tokenize(text, true);
    if let Some(first) = lines.first() {
        let named = first.len() >= 2
            && matches!(
                (
                    first[0].text.to_ascii_lowercase().as_str(),
                    first[1].text.to_ascii_lowercase().as_str()
                ),
                ("source", "target") | ("from", "to")
            );
        let text_weight = first.len() == 3 && first[2].text.parse::<f64>().is_err();
        if named || text_weight {
            lines.remove(0);
        }
    }
    if lines.is_empty() {
        return Err(invalid(file, "holds no edges"));
    }
    let numeric = lines.iter().all(|l| {
        l.len() >= 2 && l[0].text.parse::<usize>().is_ok() && l[1].text.parse::<usize>().is_ok()
    });
    let mut names: Vec<String> = Vec::new();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut directed: BTreeMap<(usize, usize), (f64, usize)> = BTreeMap::new();
    let mut max_id = 0;
    for tokens in &lines {
        if tokens.len() < 2 || tokens.len() > 3 {
            return Err(parse_error(
                file,
                tokens[0].line,
                tokens[0].column,
                format!(
                    "expected `source,target[,weight]`, found {} fields",
                    tokens.len()
                ),
            ));
        }
        let mut endpoint = |t: &Token<'_>| -> usize {
            if numeric {
                let id = t.text.parse::<usize>().unwrap_or(0);
                max_id = max_id.max(id);
                id
            } else {
                *ids.entry(t.text.to_string()).or_insert_with(|| {
                    names.push(t.text.to_string());
                    names.len() - 1
                })
            }
        };
        let a = endpoint(&tokens[0]);
        let b = endpoint(&tokens[1]);
        let w = match tokens.get(2) {
            Some(t) => number(file, t)?,
            None => 1.0,
        };
        if w < 0.0 {
            let t = &tokens[2];
            return Err(parse_error(
                file,
                t.line,
                t.column,
                format!("negative weight {w}"),
            ));
        }
        if let Some((_, line)) = directed.insert((a, b), (w, tokens[0].line)) {
            return Err(parse_error(
                file,
                tokens[0].line,
                tokens[0].column,
                format!("this edge was already given on line {line}"),
            ));
        }
    }
    let n = if numeric { max_id + 1 } else { names.len() };
    let labels: Vec<String> = if numeric {
        (0..n).map(|i| i.to_string()).collect()
    } else {
        names
    };
    let mut dense_free = TriMat::new((n, n));
    let mut asymmetric = 0;
    let mut self_loops = Vec::new();
    for (&(a, b), &(w, _)) in &directed {
        if a == b {
            if w != 0.0 {
                self_loops.push(labels[a].clone());
            }
            continue;
        }
        match directed.get(&(b, a)) {
            Some(&(back, _)) => {
                if a < b {
                    if back != w {
                        asymmetric += 1;
                    }
                    let s = 0.5 * (w + back);
                    if s != 0.0 {
                        dense_free.add_triplet(a, b, s);
                        dense_free.add_triplet(b, a, s);
                    }
                }
            }
            None => {
                if w != 0.0 {
                    dense_free.add_triplet(a, b, w);
                    dense_free.add_triplet(b, a, w);
                }
            }
        }
    }
    let mut warnings = Vec::new();
    if asymmetric > 0 {
        warnings.push(Warning {
            kind: WarningKind::Asymmetric,
            location: SourceLocation::file(file),
            message: format!(
                "{asymmetric} edges are given both ways with different weights; using their mean"
            ),
        });
    }
    if !self_loops.is_empty() {
        warnings.push(Warning {
            kind: WarningKind::Diagonal,
            location: SourceLocation::file(file),
            message: format!(
                "{} self-loops ({}) dropped",
                self_loops.len(),
                abbreviate(&self_loops)
            ),
        });
    }
    let connectome = with_file(file, Connectome::new(dense_free.to_csr()))?;
    let connectome = with_file(file, connectome.with_labels(labels))?;
    warnings.extend(graph_warnings(file, &connectome));
    Ok((connectome, warnings))
}

/// Reads a dense-matrix CSV from disk. See [`dense_from_text`].
pub fn import_dense_csv(path: &Path) -> Result<(Connectome, Vec<Warning>), ImportError> {
    let file = path.display().to_string();
    let text = utf8(&file, read_file(path)?)?;
    dense_from_text(&file, &text)
}

/// Parses a square weight matrix, values separated by commas and/or whitespace, with an optional
/// first row of node labels (recognised when its first field is not a number). Cleaned as TVB
/// weights are: symmetrised and without diagonal, with warnings.
pub fn dense_from_text(file: &str, text: &str) -> Result<(Connectome, Vec<Warning>), ImportError> {
    let mut lines = tokenize(text, true);
    let mut labels = None;
    if let Some(first) = lines.first()
        && first[0].text.parse::<f64>().is_err()
    {
        labels = Some(first.iter().map(|t| t.text.to_string()).collect::<Vec<_>>());
        lines.remove(0);
    }
    if lines.is_empty() {
        return Err(invalid(file, "holds no matrix rows"));
    }
    let matrix = square_matrix(file, &lines, None)?;
    let n = matrix.len();
    let labels = match labels {
        Some(l) if l.len() != n => {
            return Err(parse_error(
                file,
                1,
                1,
                format!(
                    "the header names {} nodes but the matrix has {n} rows",
                    l.len()
                ),
            ));
        }
        Some(l) => l,
        None => (0..n).map(|i| i.to_string()).collect(),
    };
    let (symmetric, mut warnings) = clean_dense(file, &matrix, &labels);
    let connectome = with_file(file, Connectome::new(symmetric))?;
    let connectome = with_file(file, connectome.with_labels(labels))?;
    warnings.extend(graph_warnings(file, &connectome));
    Ok((connectome, warnings))
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
