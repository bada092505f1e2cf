//! Graph Laplacians (model.md §2).

use sprs::{CsMat, TriMat};

/// Which Laplacian the harmonics are eigenmodes of.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum LaplacianKind {
    /// L = D − W.
    Combinatorial,
    /// L_sym = I − D^{-1/2} W D^{-1/2}; an isolated node gets a zero row (as scipy and networkx do).
    #[default]
    Normalized,
}

impl LaplacianKind {
    pub fn name(self) -> &'static str {
        match self {
            LaplacianKind::Combinatorial => "combinatorial",
            LaplacianKind::Normalized => "normalized",
        }
    }
}

/// The Laplacian of a symmetric weight matrix with zero diagonal, in CSR with sorted indices and an
/// explicit diagonal entry on every row (zero for isolated nodes), which the sparse factorisation
/// relies on.
pub fn laplacian(weights: &CsMat<f64>, kind: LaplacianKind) -> CsMat<f64> {
    let n = weights.rows();
    let weights = weights.to_csr();
    let degree: Vec<f64> = weights
        .outer_iterator()
        .map(|row| row.data().iter().sum())
        .collect();
    let scale: Vec<f64> = degree
        .iter()
        .map(|&d| if d > 0.0 { 1.0 / d.sqrt() } else { 0.0 })
        .collect();
    // Each row in column order, the diagonal entry in its place: rows of a CsMat are sorted, so
    // the CSR arrays are built directly (sorting triplets and the conversion took 1.5% of the k = 100 bench's profile).
    let mut indptr = Vec::with_capacity(n + 1);
    let mut indices = Vec::with_capacity(weights.nnz() + n);
    let mut data = Vec::with_capacity(weights.nnz() + n);
    indptr.push(0);
    for (i, row) in weights.outer_iterator().enumerate() {
        let diagonal = match kind {
            LaplacianKind::Combinatorial => degree[i],
            LaplacianKind::Normalized => {
                if degree[i] > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
        };
        let mut placed = false;
        for (j, &w) in row.iter() {
            if !placed && j > i {
                indices.push(i);
                data.push(diagonal);
                placed = true;
            }
            if j != i && w != 0.0 {
                indices.push(j);
                data.push(match kind {
                    LaplacianKind::Combinatorial => -w,
                    LaplacianKind::Normalized => -w * (scale[i] * scale[j]),
                });
            }
        }
        if !placed {
            indices.push(i);
            data.push(diagonal);
        }
        indptr.push(indices.len());
    }
    match CsMat::try_new((n, n), indptr, indices, data) {
        Ok(matrix) => matrix,
        // Rows with unsorted or repeated columns: the triplets, summed and sorted.
        Err((indptr, indices, data, _)) => from_triplets(n, &indptr, &indices, &data),
    }
}

/// The CSR matrix of the entries (row, indices[p], data[p]) for p in the row's range of `indptr`,
/// repeated entries summed.
fn from_triplets(n: usize, indptr: &[usize], indices: &[usize], data: &[f64]) -> CsMat<f64> {
    let mut tri = TriMat::with_capacity((n, n), data.len());
    for (i, range) in indptr.windows(2).enumerate() {
        for p in range[0]..range[1] {
            tri.add_triplet(i, indices[p], data[p]);
        }
    }
    tri.to_csr()
}

/// The largest absolute row sum ‖L‖_∞. For a symmetric matrix it bounds the spectral norm from
/// above (and, for a Laplacian, overestimates it by at most a factor 2), so accuracy checks relative
/// to it are never stricter than relative to ‖L‖₂ by more than that factor.
pub fn norm_inf(matrix: &CsMat<f64>) -> f64 {
    matrix
        .outer_iterator()
        .map(|row| row.data().iter().map(|x| x.abs()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// The principal submatrix on `nodes` (ascending): the Dirichlet restriction used for RSHWs.
pub fn principal_submatrix(matrix: &CsMat<f64>, nodes: &[usize]) -> CsMat<f64> {
    let mut index = vec![usize::MAX; matrix.rows()];
    for (k, &v) in nodes.iter().enumerate() {
        index[v] = k;
    }
    let mut tri = TriMat::new((nodes.len(), nodes.len()));
    for (k, &v) in nodes.iter().enumerate() {
        if let Some(row) = matrix.outer_view(v) {
            for (j, &x) in row.iter() {
                if index[j] != usize::MAX {
                    tri.add_triplet(k, index[j], x);
                }
            }
        }
    }
    tri.to_csr()
}

/// y = A x for a CSR matrix, one column at a time: the reference that the solver's interleaved
/// products are checked against, bit for bit.
#[cfg(test)]
pub(crate) fn multiply(matrix: &CsMat<f64>, x: &[f64], y: &mut [f64]) {
    for (i, row) in matrix.outer_iterator().enumerate() {
        y[i] = row.iter().map(|(j, &a)| a * x[j]).sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anneal_connectome::generators::path;

    #[test]
    fn laplacian_arrays_match_the_triplet_assembly() {
        // A random graph with isolated nodes, both kinds: the directly built CSR arrays equal
        // those of the summed and sorted triplets.
        let w = anneal_connectome::generators::small_world(200, 4, 0.3, 5)
            .unwrap()
            .weights()
            .clone();
        let mut tri = TriMat::new((203, 203));
        for (&x, (i, j)) in w.iter() {
            tri.add_triplet(i, j, 0.5 + x * (i + j) as f64 / 400.0);
        }
        let w: CsMat<f64> = tri.to_csr();
        for kind in [LaplacianKind::Combinatorial, LaplacianKind::Normalized] {
            let direct = laplacian(&w, kind);
            let expected = from_triplets(
                direct.rows(),
                direct.indptr().raw_storage(),
                direct.indices(),
                direct.data(),
            );
            assert_eq!(direct, expected);
            assert_eq!(direct.nnz(), w.nnz() + 203);
            for i in 200..203 {
                assert_eq!(direct.get(i, i), Some(&0.0), "isolated node {i}");
            }
        }
    }

    #[test]
    fn path_laplacians() {
        let w = path(3).unwrap().weights().clone();
        let l = laplacian(&w, LaplacianKind::Combinatorial);
        assert_eq!(l.get(1, 1), Some(&2.0));
        assert_eq!(l.get(0, 1), Some(&-1.0));
        let s = laplacian(&w, LaplacianKind::Normalized);
        assert_eq!(s.get(0, 0), Some(&1.0));
        assert!((s.get(0, 1).unwrap() + 1.0 / 2f64.sqrt()).abs() < 1e-15);
        assert_eq!(norm_inf(&l), 4.0);
    }

    #[test]
    fn isolated_node_has_zero_row_in_both() {
        let mut tri = TriMat::new((3, 3));
        tri.add_triplet(0, 1, 1.0);
        tri.add_triplet(1, 0, 1.0);
        for kind in [LaplacianKind::Combinatorial, LaplacianKind::Normalized] {
            let l = laplacian(&tri.to_csr(), kind);
            assert_eq!(l.get(2, 2), Some(&0.0));
            assert_eq!(l.outer_view(2).unwrap().nnz(), 1);
        }
    }
}
