//! Connectomes: weighted undirected graphs of brain regions or surface vertices.
//!
//! A [`Connectome`] holds n nodes and a sparse symmetric, non-negative weight matrix with a zero
//! diagonal (model.md §1), plus optional per-node data: labels, regions, positions, tract lengths,
//! node kinds and a surface mesh for painting. Constructors check these invariants and return an
//! error instead of repairing data silently; the importers (see [`import`]) repair real data's quirks
//! and report each repair as a [`Warning`].

pub mod bundled;
pub mod generators;
pub mod import;

pub use bundled::{human_cortex, human_regions};
pub use import::{ImportError, SourceLocation, Warning, WarningKind};

use sprs::{CsMat, TriMat};
use std::fmt;

/// What a node stands for. Body nodes make up the sensorium (model.md §2, SSHWs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Cortical,
    Subcortical,
    Body,
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NodeKind::Cortical => "cortical",
            NodeKind::Subcortical => "subcortical",
            NodeKind::Body => "body",
        })
    }
}

/// Named regions and the region of every node (`None` for nodes outside every region, such as
/// body nodes).
#[derive(Debug, Clone, PartialEq)]
pub struct Regions {
    pub names: Vec<String>,
    pub of_node: Vec<Option<usize>>,
}

impl Regions {
    /// The nodes of region `region`, ascending.
    pub fn nodes_of(&self, region: usize) -> Vec<usize> {
        self.of_node
            .iter()
            .enumerate()
            .filter(|(_, r)| **r == Some(region))
            .map(|(i, _)| i)
            .collect()
    }
}

/// A triangulated surface, one vertex per connectome node, used to paint modes.
#[derive(Debug, Clone, PartialEq)]
pub struct SurfaceMesh {
    pub vertices: Vec<[f64; 3]>,
    pub triangles: Vec<[usize; 3]>,
}

/// Why a connectome could not be built from the parts given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectomeError {
    #[error("the weight matrix is {rows}×{cols}; it must be square")]
    NotSquare { rows: usize, cols: usize },
    #[error("a connectome needs at least one node")]
    Empty,
    #[error("weight between nodes {i} and {j} is {value}; weights must be finite and non-negative")]
    BadWeight { i: usize, j: usize, value: f64 },
    #[error(
        "weight between nodes {i} and {j} is {wij} but {wji} the other way; weights must be symmetric"
    )]
    Asymmetric {
        i: usize,
        j: usize,
        wij: f64,
        wji: f64,
    },
    #[error("node {node} has a self-connection of weight {value}; the diagonal must be zero")]
    Diagonal { node: usize, value: f64 },
    #[error("{what} has {got} entries but the connectome has {n} nodes")]
    WrongLength {
        what: &'static str,
        got: usize,
        n: usize,
    },
    #[error("node {node} names region {region}, but there are only {count} regions")]
    RegionOutOfRange {
        node: usize,
        region: usize,
        count: usize,
    },
    #[error("{what} of node {node} is not finite")]
    NotFinite { what: &'static str, node: usize },
    #[error("triangle {triangle} uses vertex {vertex}, but there are only {n} vertices")]
    TriangleOutOfRange {
        triangle: usize,
        vertex: usize,
        n: usize,
    },
    #[error("edge ({i}, {j}) names a node outside 0..{n}")]
    EdgeOutOfRange { i: usize, j: usize, n: usize },
    #[error("invalid generator parameter: {0}")]
    Parameter(String),
}

/// A weighted undirected graph with optional anatomy. See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Connectome {
    weights: CsMat<f64>,
    labels: Vec<String>,
    regions: Option<Regions>,
    positions: Option<Vec<[f64; 3]>>,
    tract_lengths: Option<CsMat<f64>>,
    kinds: Vec<NodeKind>,
    mesh: Option<SurfaceMesh>,
}

impl Connectome {
    /// Builds a connectome from a weight matrix that already satisfies the invariants (square,
    /// symmetric, finite, non-negative, zero diagonal). Labels default to the node index, kinds to
    /// cortical. Explicit zeros are dropped so the stored pattern is the edge set.
    pub fn new(weights: CsMat<f64>) -> Result<Connectome, ConnectomeError> {
        let (rows, cols) = weights.shape();
        if rows != cols {
            return Err(ConnectomeError::NotSquare { rows, cols });
        }
        if rows == 0 {
            return Err(ConnectomeError::Empty);
        }
        let weights = weights.to_csr();
        for (&value, (i, j)) in weights.iter() {
            if !value.is_finite() || value < 0.0 {
                return Err(ConnectomeError::BadWeight { i, j, value });
            }
            if i == j && value != 0.0 {
                return Err(ConnectomeError::Diagonal { node: i, value });
            }
            let wji = weights.get(j, i).copied().unwrap_or(0.0);
            if wji != value {
                return Err(ConnectomeError::Asymmetric {
                    i,
                    j,
                    wij: value,
                    wji,
                });
            }
        }
        let weights = drop_zeros(&weights);
        Ok(Connectome {
            labels: (0..rows).map(|i| i.to_string()).collect(),
            kinds: vec![NodeKind::Cortical; rows],
            weights,
            regions: None,
            positions: None,
            tract_lengths: None,
            mesh: None,
        })
    }

    /// Builds a connectome from undirected edges `(i, j, w)`. Each unordered pair may appear once;
    /// a pair given twice is summed, which is what generators that may propose an edge twice want.
    pub fn from_edges(
        n: usize,
        edges: &[(usize, usize, f64)],
    ) -> Result<Connectome, ConnectomeError> {
        let mut tri = TriMat::new((n, n));
        for &(i, j, w) in edges {
            if i >= n || j >= n {
                return Err(ConnectomeError::EdgeOutOfRange { i, j, n });
            }
            if i == j {
                return Err(ConnectomeError::Diagonal { node: i, value: w });
            }
            if !w.is_finite() || w < 0.0 {
                return Err(ConnectomeError::BadWeight { i, j, value: w });
            }
            tri.add_triplet(i, j, w);
            tri.add_triplet(j, i, w);
        }
        Connectome::new(tri.to_csr())
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.labels.len()
    }

    /// The symmetric weight matrix (CSR, sorted indices, no explicit zeros).
    pub fn weights(&self) -> &CsMat<f64> {
        &self.weights
    }

    /// Number of undirected edges.
    pub fn edge_count(&self) -> usize {
        self.weights.nnz() / 2
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    pub fn regions(&self) -> Option<&Regions> {
        self.regions.as_ref()
    }

    /// Positions in mm, one per node, when known.
    pub fn positions(&self) -> Option<&[[f64; 3]]> {
        self.positions.as_deref()
    }

    /// Tract lengths in mm on the edges (same pattern as, or a subset of, the weights), when known.
    pub fn tract_lengths(&self) -> Option<&CsMat<f64>> {
        self.tract_lengths.as_ref()
    }

    pub fn kinds(&self) -> &[NodeKind] {
        &self.kinds
    }

    /// The surface mesh whose vertices are this connectome's nodes, when there is one.
    pub fn mesh(&self) -> Option<&SurfaceMesh> {
        self.mesh.as_ref()
    }

    /// Nodes of kind [`NodeKind::Body`], ascending.
    pub fn body_nodes(&self) -> Vec<usize> {
        (0..self.n())
            .filter(|&i| self.kinds[i] == NodeKind::Body)
            .collect()
    }

    /// Weighted degree of every node.
    pub fn degrees(&self) -> Vec<f64> {
        self.weights
            .outer_iterator()
            .map(|row| row.data().iter().sum())
            .collect()
    }

    pub fn with_labels(mut self, labels: Vec<String>) -> Result<Connectome, ConnectomeError> {
        check_len("labels", labels.len(), self.n())?;
        self.labels = labels;
        Ok(self)
    }

    pub fn with_regions(mut self, regions: Regions) -> Result<Connectome, ConnectomeError> {
        check_len("the region map", regions.of_node.len(), self.n())?;
        for (node, region) in regions.of_node.iter().enumerate() {
            if let Some(region) = *region
                && region >= regions.names.len()
            {
                return Err(ConnectomeError::RegionOutOfRange {
                    node,
                    region,
                    count: regions.names.len(),
                });
            }
        }
        self.regions = Some(regions);
        Ok(self)
    }

    pub fn with_positions(
        mut self,
        positions: Vec<[f64; 3]>,
    ) -> Result<Connectome, ConnectomeError> {
        check_len("positions", positions.len(), self.n())?;
        if let Some(node) = positions
            .iter()
            .position(|p| p.iter().any(|x| !x.is_finite()))
        {
            return Err(ConnectomeError::NotFinite {
                what: "position",
                node,
            });
        }
        self.positions = Some(positions);
        Ok(self)
    }

    pub fn with_tract_lengths(
        mut self,
        lengths: CsMat<f64>,
    ) -> Result<Connectome, ConnectomeError> {
        let (rows, cols) = lengths.shape();
        if rows != cols {
            return Err(ConnectomeError::NotSquare { rows, cols });
        }
        check_len("tract lengths", rows, self.n())?;
        let lengths = lengths.to_csr();
        for (&value, (i, j)) in lengths.iter() {
            if !value.is_finite() || value < 0.0 {
                return Err(ConnectomeError::BadWeight { i, j, value });
            }
        }
        self.tract_lengths = Some(lengths);
        Ok(self)
    }

    pub fn with_kinds(mut self, kinds: Vec<NodeKind>) -> Result<Connectome, ConnectomeError> {
        check_len("node kinds", kinds.len(), self.n())?;
        self.kinds = kinds;
        Ok(self)
    }

    pub fn with_mesh(mut self, mesh: SurfaceMesh) -> Result<Connectome, ConnectomeError> {
        check_len("mesh vertices", mesh.vertices.len(), self.n())?;
        let n = self.n();
        for (t, tri) in mesh.triangles.iter().enumerate() {
            if let Some(&v) = tri.iter().find(|&&v| v >= n) {
                return Err(ConnectomeError::TriangleOutOfRange {
                    triangle: t,
                    vertex: v,
                    n,
                });
            }
        }
        self.mesh = Some(mesh);
        Ok(self)
    }

    /// Connected components (ignoring zero weights), each a sorted node list, ordered by their
    /// smallest node.
    pub fn components(&self) -> Vec<Vec<usize>> {
        components_of(&self.weights)
    }

    /// The sub-connectome on `nodes` (ascending, distinct), keeping every per-node datum and the
    /// mesh triangles whose three vertices are kept.
    pub fn induced(&self, nodes: &[usize]) -> Connectome {
        let n = self.n();
        let mut new_index = vec![usize::MAX; n];
        for (k, &v) in nodes.iter().enumerate() {
            new_index[v] = k;
        }
        let restrict = |m: &CsMat<f64>| {
            let mut tri = TriMat::new((nodes.len(), nodes.len()));
            for (&w, (i, j)) in m.iter() {
                if new_index[i] != usize::MAX && new_index[j] != usize::MAX {
                    tri.add_triplet(new_index[i], new_index[j], w);
                }
            }
            tri.to_csr()
        };
        Connectome {
            weights: restrict(&self.weights),
            labels: nodes.iter().map(|&v| self.labels[v].clone()).collect(),
            regions: self.regions.as_ref().map(|r| Regions {
                names: r.names.clone(),
                of_node: nodes.iter().map(|&v| r.of_node[v]).collect(),
            }),
            positions: self
                .positions
                .as_ref()
                .map(|p| nodes.iter().map(|&v| p[v]).collect()),
            tract_lengths: self.tract_lengths.as_ref().map(restrict),
            kinds: nodes.iter().map(|&v| self.kinds[v]).collect(),
            mesh: self.mesh.as_ref().map(|m| SurfaceMesh {
                vertices: nodes.iter().map(|&v| m.vertices[v]).collect(),
                triangles: m
                    .triangles
                    .iter()
                    .filter(|t| t.iter().all(|&v| new_index[v] != usize::MAX))
                    .map(|t| [new_index[t[0]], new_index[t[1]], new_index[t[2]]])
                    .collect(),
            }),
        }
    }

    /// A BLAKE3 hash (hex) of everything that defines this connectome: weights (exact bits), labels,
    /// regions, positions, tract lengths, kinds and mesh. Equal hashes mean equal connectomes.
    pub fn content_hash(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(b"anneal-connectome-v1");
        let put_usize = |h: &mut blake3::Hasher, x: usize| {
            h.update(&(x as u64).to_le_bytes());
        };
        let put_str = |h: &mut blake3::Hasher, s: &str| {
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        let put_matrix = |h: &mut blake3::Hasher, m: &CsMat<f64>| {
            let m = m.to_csr();
            h.update(&(m.rows() as u64).to_le_bytes());
            for row in m.outer_iterator() {
                h.update(&(row.nnz() as u64).to_le_bytes());
                for (j, &w) in row.iter() {
                    h.update(&(j as u64).to_le_bytes());
                    h.update(&w.to_bits().to_le_bytes());
                }
            }
        };
        put_usize(&mut h, self.n());
        put_matrix(&mut h, &self.weights);
        for l in &self.labels {
            put_str(&mut h, l);
        }
        match &self.regions {
            None => put_usize(&mut h, 0),
            Some(r) => {
                put_usize(&mut h, 1);
                put_usize(&mut h, r.names.len());
                for name in &r.names {
                    put_str(&mut h, name);
                }
                for region in &r.of_node {
                    put_usize(&mut h, region.map_or(0, |x| x + 1));
                }
            }
        }
        match &self.positions {
            None => put_usize(&mut h, 0),
            Some(p) => {
                put_usize(&mut h, 1);
                for x in p.iter().flatten() {
                    h.update(&x.to_bits().to_le_bytes());
                }
            }
        }
        match &self.tract_lengths {
            None => put_usize(&mut h, 0),
            Some(m) => {
                put_usize(&mut h, 1);
                put_matrix(&mut h, m);
            }
        }
        for k in &self.kinds {
            put_usize(&mut h, *k as usize);
        }
        match &self.mesh {
            None => put_usize(&mut h, 0),
            Some(m) => {
                put_usize(&mut h, 1);
                for x in m.vertices.iter().flatten() {
                    h.update(&x.to_bits().to_le_bytes());
                }
                put_usize(&mut h, m.triangles.len());
                for v in m.triangles.iter().flatten() {
                    put_usize(&mut h, *v);
                }
            }
        }
        h.finalize().to_hex().to_string()
    }
}

fn check_len(what: &'static str, got: usize, n: usize) -> Result<(), ConnectomeError> {
    if got == n {
        Ok(())
    } else {
        Err(ConnectomeError::WrongLength { what, got, n })
    }
}

/// The same matrix without explicitly stored zeros, in CSR with sorted indices.
fn drop_zeros(m: &CsMat<f64>) -> CsMat<f64> {
    let mut tri = TriMat::new(m.shape());
    for (&w, (i, j)) in m.iter() {
        if w != 0.0 {
            tri.add_triplet(i, j, w);
        }
    }
    tri.to_csr()
}

/// Connected components of the graph whose edges are the non-zero entries of `m`.
pub fn components_of(m: &CsMat<f64>) -> Vec<Vec<usize>> {
    let n = m.rows();
    let m = m.to_csr();
    let mut component = vec![usize::MAX; n];
    let mut result = Vec::new();
    for start in 0..n {
        if component[start] != usize::MAX {
            continue;
        }
        let id = result.len();
        let mut members = vec![start];
        component[start] = id;
        let mut stack = vec![start];
        while let Some(v) = stack.pop() {
            if let Some(row) = m.outer_view(v) {
                for (u, &w) in row.iter() {
                    if w != 0.0 && component[u] == usize::MAX {
                        component[u] = id;
                        members.push(u);
                        stack.push(u);
                    }
                }
            }
        }
        members.sort_unstable();
        result.push(members);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_rejects_asymmetric_negative_and_diagonal() {
        let mut tri = TriMat::new((2, 2));
        tri.add_triplet(0, 1, 1.0);
        assert!(matches!(
            Connectome::new(tri.to_csr()),
            Err(ConnectomeError::Asymmetric { .. })
        ));
        assert!(matches!(
            Connectome::from_edges(2, &[(0, 1, -1.0)]),
            Err(ConnectomeError::BadWeight { .. })
        ));
        assert!(matches!(
            Connectome::from_edges(2, &[(1, 1, 1.0)]),
            Err(ConnectomeError::Diagonal { .. })
        ));
        assert!(matches!(
            Connectome::from_edges(2, &[(0, 2, 1.0)]),
            Err(ConnectomeError::EdgeOutOfRange { .. })
        ));
    }

    #[test]
    fn components_and_induced_subgraph() {
        let c = Connectome::from_edges(5, &[(0, 1, 1.0), (1, 2, 2.0), (3, 4, 1.0)]).unwrap();
        assert_eq!(c.components(), vec![vec![0, 1, 2], vec![3, 4]]);
        let sub = c.induced(&[1, 2]);
        assert_eq!(sub.n(), 2);
        assert_eq!(sub.weights().get(0, 1), Some(&2.0));
        assert_eq!(sub.labels(), &["1".to_string(), "2".to_string()]);
    }

    #[test]
    fn content_hash_sees_every_part() {
        let a = Connectome::from_edges(3, &[(0, 1, 1.0), (1, 2, 1.0)]).unwrap();
        let b = Connectome::from_edges(3, &[(0, 1, 1.0), (1, 2, 1.0 + 1e-15)]).unwrap();
        let c = a
            .clone()
            .with_labels(vec!["x".into(), "y".into(), "z".into()])
            .unwrap();
        let d = a
            .clone()
            .with_kinds(vec![NodeKind::Cortical, NodeKind::Cortical, NodeKind::Body])
            .unwrap();
        let hashes = [
            a.content_hash(),
            b.content_hash(),
            c.content_hash(),
            d.content_hash(),
        ];
        for i in 0..4 {
            for j in 0..i {
                assert_ne!(hashes[i], hashes[j]);
            }
        }
        assert_eq!(a.content_hash(), a.clone().content_hash());
    }
}
