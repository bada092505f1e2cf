//! CSV connectomes: edge lists `i,j,w` and dense weight matrices.

use super::*;

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
