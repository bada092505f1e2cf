//! The Virtual Brain's formats: connectivity zips, surface zips and region mappings.

use super::*;

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
