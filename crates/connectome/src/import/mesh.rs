//! Connectomes from cortical meshes: the mesh graph, and the Atasoy connectome of mesh plus
//! region connectivity.

use super::*;

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
