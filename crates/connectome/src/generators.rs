//! Synthetic connectomes: rings, paths, lattices, hypercubes, complete graphs, small worlds,
//! modular graphs with named regions, random geometric graphs, and a sensorium of body nodes.
//!
//! Random generators take a seed and draw from ChaCha8 on a stream of their own, so the same
//! arguments always give the same graph, bit for bit.

use super::{Connectome, ConnectomeError, NodeKind, Regions};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use sprs::TriMat;

/// The ChaCha stream every connectome generator draws from (model.md §7: a fixed stream id per
/// purpose).
const GENERATOR_STREAM: u64 = 0x636f_6e6e_6563_7400;

fn rng(seed: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(GENERATOR_STREAM);
    rng
}

/// A uniform draw in [0, 1) with 53 random bits.
fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

fn parameter(message: String) -> ConnectomeError {
    ConnectomeError::Parameter(message)
}

/// Cycle graph C_n (n ≥ 3), unit weights. Combinatorial spectrum 2 − 2cos(2πk/n).
pub fn ring(n: usize) -> Result<Connectome, ConnectomeError> {
    ring_with(n, 1, 1.0)
}

/// A ring where each node joins its `neighbours` nearest nodes on each side with `weight`
/// (a circulant graph). `2 · neighbours < n`, so no pair is joined twice around the ring.
pub fn ring_with(n: usize, neighbours: usize, weight: f64) -> Result<Connectome, ConnectomeError> {
    if n < 3 {
        return Err(parameter(format!("a ring needs at least 3 nodes, got {n}")));
    }
    if neighbours == 0 || 2 * neighbours >= n {
        return Err(parameter(format!(
            "a ring of {n} nodes needs 1 ≤ neighbours < {n}/2 on each side, got {neighbours}"
        )));
    }
    if !weight.is_finite() || weight <= 0.0 {
        return Err(parameter(format!(
            "a ring's weight must be a positive number, got {weight}"
        )));
    }
    let edges: Vec<_> = (0..n)
        .flat_map(|i| (1..=neighbours).map(move |d| (i, (i + d) % n, weight)))
        .collect();
    Connectome::from_edges(n, &edges)
}

/// Path graph P_n (n ≥ 2), unit weights. Combinatorial spectrum 2 − 2cos(πk/n).
pub fn path(n: usize) -> Result<Connectome, ConnectomeError> {
    if n < 2 {
        return Err(parameter(format!("a path needs at least 2 nodes, got {n}")));
    }
    let edges: Vec<_> = (0..n - 1).map(|i| (i, i + 1, 1.0)).collect();
    Connectome::from_edges(n, &edges)
}

/// A rows × cols grid, unit weights, node (r, c) = r·cols + c, with positions (c, r, 0) in mm.
/// `torus` wraps both directions (then each side needs at least 3 nodes).
pub fn lattice(rows: usize, cols: usize, torus: bool) -> Result<Connectome, ConnectomeError> {
    let min = if torus { 3 } else { 1 };
    if rows < min || cols < min || rows * cols < 2 {
        return Err(parameter(format!(
            "a {rows}×{cols} {} is too small",
            if torus { "torus" } else { "lattice" }
        )));
    }
    let id = |r: usize, c: usize| r * cols + c;
    let mut edges = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            if c + 1 < cols || torus {
                edges.push((id(r, c), id(r, (c + 1) % cols), 1.0));
            }
            if r + 1 < rows || torus {
                edges.push((id(r, c), id((r + 1) % rows, c), 1.0));
            }
        }
    }
    let positions = (0..rows * cols)
        .map(|i| [(i % cols) as f64, (i / cols) as f64, 0.0])
        .collect();
    Connectome::from_edges(rows * cols, &edges)?.with_positions(positions)
}

/// The complete graph K_n (n ≥ 2), unit weights. Combinatorial spectrum {0, n (n − 1 times)}.
pub fn complete(n: usize) -> Result<Connectome, ConnectomeError> {
    if n < 2 {
        return Err(parameter(format!(
            "a complete graph needs at least 2 nodes, got {n}"
        )));
    }
    let edges: Vec<_> = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j, 1.0)))
        .collect();
    Connectome::from_edges(n, &edges)
}

/// The d-dimensional hypercube Q_d (1 ≤ d ≤ 20), unit weights. Combinatorial eigenvalue 2j with
/// multiplicity C(d, j).
pub fn hypercube(d: u32) -> Result<Connectome, ConnectomeError> {
    if !(1..=20).contains(&d) {
        return Err(parameter(format!(
            "hypercube dimension must be 1..=20, got {d}"
        )));
    }
    let n = 1usize << d;
    let edges: Vec<_> = (0..n)
        .flat_map(|i| (0..d).map(move |b| (i, i ^ (1 << b), 1.0)))
        .filter(|&(i, j, _)| i < j)
        .collect();
    Connectome::from_edges(n, &edges)
}

/// Watts–Strogatz small world: a ring lattice where each node links to its `k`/2 nearest
/// neighbours on each side (k even, 2 ≤ k < n), then each edge (i, i + s) is rewired with
/// probability `p` to a uniformly chosen node that is neither i nor already a neighbour.
pub fn small_world(n: usize, k: usize, p: f64, seed: u64) -> Result<Connectome, ConnectomeError> {
    if k < 2 || !k.is_multiple_of(2) || k >= n {
        return Err(parameter(format!(
            "small world needs an even k with 2 ≤ k < n, got k = {k}, n = {n}"
        )));
    }
    if !(0.0..=1.0).contains(&p) {
        return Err(parameter(format!(
            "rewiring probability must be in [0, 1], got {p}"
        )));
    }
    let mut rng = rng(seed);
    let mut adjacent = vec![std::collections::BTreeSet::new(); n];
    for i in 0..n {
        for s in 1..=k / 2 {
            let j = (i + s) % n;
            adjacent[i].insert(j);
            adjacent[j].insert(i);
        }
    }
    for s in 1..=k / 2 {
        for i in 0..n {
            let j = (i + s) % n;
            if uniform(&mut rng) < p && adjacent[i].len() < n - 1 {
                let target = loop {
                    let t = (rng.next_u64() % n as u64) as usize;
                    if t != i && !adjacent[i].contains(&t) {
                        break t;
                    }
                };
                adjacent[i].remove(&j);
                adjacent[j].remove(&i);
                adjacent[i].insert(target);
                adjacent[target].insert(i);
            }
        }
    }
    let edges: Vec<_> = (0..n)
        .flat_map(|i| {
            adjacent[i]
                .iter()
                .filter(move |&&j| i < j)
                .map(move |&j| (i, j, 1.0))
                .collect::<Vec<_>>()
        })
        .collect();
    Connectome::from_edges(n, &edges)
}

/// A modular graph: named regions of the given sizes; two nodes in the same region are linked with
/// probability `p_in`, in different regions with `p_out` (stochastic block model, unit weights).
/// Nodes are numbered region by region; the regions are recorded.
pub fn modular(
    regions: &[(&str, usize)],
    p_in: f64,
    p_out: f64,
    seed: u64,
) -> Result<Connectome, ConnectomeError> {
    for p in [p_in, p_out] {
        check_probability(p)?;
    }
    block_model(regions, seed, |a, b| if a == b { p_in } else { p_out })
}

/// A hierarchical modular graph: `levels` levels of `modules` groups each, so `modules^levels`
/// bottom modules of `module_size` nodes. Two nodes in the same bottom module are linked with
/// probability `inside`; two nodes whose lowest common group is ℓ levels up with probability
/// `between · (between / inside)^(ℓ − 1)`, so every level up divides the density by the same
/// ratio inside/between (Kaiser and Hilgetag's hierarchical modular networks). With one level this
/// is [`modular`] with `modules` regions named `m0`, `m1`, …; deeper bottom modules are named by
/// their path through the hierarchy, `m1_0_2` being the third module of the first group of the
/// second group.
pub fn hierarchical(
    modules: usize,
    levels: u32,
    module_size: usize,
    inside: f64,
    between: f64,
    seed: u64,
) -> Result<Connectome, ConnectomeError> {
    for p in [inside, between] {
        check_probability(p)?;
    }
    if modules == 0 || levels == 0 || module_size == 0 {
        return Err(parameter(format!(
            "a hierarchical graph needs at least one module, one level and one node per module; got {modules} modules, {levels} levels, {module_size} nodes"
        )));
    }
    if levels > 1 && !(between <= inside && inside > 0.0) {
        return Err(parameter(format!(
            "with more than one level the density must fall going up the hierarchy: `between` ({between}) must not exceed `inside` ({inside}), and `inside` must be positive"
        )));
    }
    let bottom_modules = u32::try_from(modules)
        .ok()
        .and_then(|m| m.checked_pow(levels))
        .map(|m| m as usize)
        .filter(|&m| m.checked_mul(module_size).is_some_and(|n| n <= MAX_GENERATED_NODES))
        .ok_or_else(|| {
            parameter(format!(
                "{modules}^{levels} modules of {module_size} nodes exceed {MAX_GENERATED_NODES} nodes"
            ))
        })?;
    let digits = |module: usize| -> Vec<usize> {
        (0..levels)
            .rev()
            .map(|level| module / modules.pow(level) % modules)
            .collect()
    };
    let names: Vec<String> = (0..bottom_modules)
        .map(|module| {
            let path: Vec<String> = digits(module).iter().map(|d| d.to_string()).collect();
            format!("m{}", path.join("_"))
        })
        .collect();
    let regions: Vec<(&str, usize)> = names.iter().map(|n| (n.as_str(), module_size)).collect();
    let ratio = if inside > 0.0 { between / inside } else { 0.0 };
    block_model(&regions, seed, |a, b| {
        // The lowest common group is as many levels up as the paths' differing digits reach.
        let (mut a, mut b, mut up) = (a, b, 0);
        while a != b {
            a /= modules;
            b /= modules;
            up += 1;
        }
        match up {
            0 => inside,
            _ => between * ratio.powi(up - 1),
        }
    })
}

/// The largest graph a generator builds by testing every pair of nodes.
const MAX_GENERATED_NODES: usize = 100_000;

fn check_probability(p: f64) -> Result<(), ConnectomeError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(parameter(format!(
            "link probabilities must be in [0, 1], got {p}"
        )))
    }
}

/// A stochastic block model with unit weights: nodes numbered region by region, each pair linked
/// with the probability `link(region_a, region_b)` gives, one uniform draw per pair in order.
fn block_model(
    regions: &[(&str, usize)],
    seed: u64,
    link: impl Fn(usize, usize) -> f64,
) -> Result<Connectome, ConnectomeError> {
    if regions.is_empty() || regions.iter().any(|r| r.1 == 0) {
        return Err(parameter("every region needs at least one node".into()));
    }
    let of_node: Vec<usize> = regions
        .iter()
        .enumerate()
        .flat_map(|(r, &(_, size))| std::iter::repeat_n(r, size))
        .collect();
    let n = of_node.len();
    let mut rng = rng(seed);
    let mut edges = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if uniform(&mut rng) < link(of_node[i], of_node[j]) {
                edges.push((i, j, 1.0));
            }
        }
    }
    let names: Vec<String> = regions.iter().map(|r| r.0.to_string()).collect();
    let labels = (0..n)
        .map(|i| format!("{}{}", names[of_node[i]], i))
        .collect();
    Connectome::from_edges(n, &edges)?
        .with_labels(labels)?
        .with_regions(Regions {
            names,
            of_node: of_node.into_iter().map(Some).collect(),
        })
}

/// Random geometric graph: n points uniform in the unit square (positions in mm scaled by
/// `side_mm`), linked with unit weight when closer than `radius` (in unit-square units).
pub fn random_geometric(
    n: usize,
    radius: f64,
    side_mm: f64,
    seed: u64,
) -> Result<Connectome, ConnectomeError> {
    if n < 2 || radius <= 0.0 || side_mm <= 0.0 || !radius.is_finite() || !side_mm.is_finite() {
        return Err(parameter(format!(
            "random geometric graph needs n ≥ 2 and positive radius and side; got {n}, {radius}, {side_mm}"
        )));
    }
    let mut rng = rng(seed);
    let points: Vec<[f64; 2]> = (0..n)
        .map(|_| [uniform(&mut rng), uniform(&mut rng)])
        .collect();
    let mut edges = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let d = ((points[i][0] - points[j][0]).powi(2) + (points[i][1] - points[j][1]).powi(2))
                .sqrt();
            if d < radius {
                edges.push((i, j, 1.0));
            }
        }
    }
    let positions = points
        .iter()
        .map(|p| [p[0] * side_mm, p[1] * side_mm, 0.0])
        .collect();
    Connectome::from_edges(n, &edges)?.with_positions(positions)
}

/// One body node of a sensorium: its label, the brain nodes its nerve reaches, the nerve's weight
/// and length (mm).
#[derive(Debug, Clone, PartialEq)]
pub struct BodyNode {
    pub label: String,
    pub attached_to: Vec<usize>,
    pub weight: f64,
    pub nerve_length_mm: f64,
}

/// Extends a connectome with body nodes (kind [`NodeKind::Body`], no region, no position), each
/// linked to its brain nodes with the given weight; nerve lengths are recorded as tract lengths.
/// Existing per-node data is kept; the mesh is dropped because body nodes are not on it.
pub fn attach_sensorium(
    brain: &Connectome,
    body: &[BodyNode],
) -> Result<Connectome, ConnectomeError> {
    let n0 = brain.n();
    let n = n0 + body.len();
    let mut weights = TriMat::new((n, n));
    for (&w, (i, j)) in brain.weights().iter() {
        weights.add_triplet(i, j, w);
    }
    let mut lengths = TriMat::new((n, n));
    if let Some(t) = brain.tract_lengths() {
        for (&l, (i, j)) in t.iter() {
            lengths.add_triplet(i, j, l);
        }
    }
    for (b, node) in body.iter().enumerate() {
        let v = n0 + b;
        if node.weight <= 0.0
            || !node.weight.is_finite()
            || node.nerve_length_mm < 0.0
            || !node.nerve_length_mm.is_finite()
        {
            return Err(parameter(format!(
                "body node `{}` needs a positive weight and a non-negative nerve length",
                node.label
            )));
        }
        if node.attached_to.is_empty() {
            return Err(parameter(format!(
                "body node `{}` is attached to nothing",
                node.label
            )));
        }
        let mut targets = node.attached_to.clone();
        targets.sort_unstable();
        targets.dedup();
        for &t in &targets {
            if t >= n0 {
                return Err(ConnectomeError::EdgeOutOfRange { i: v, j: t, n: n0 });
            }
            weights.add_triplet(v, t, node.weight);
            weights.add_triplet(t, v, node.weight);
            lengths.add_triplet(v, t, node.nerve_length_mm);
            lengths.add_triplet(t, v, node.nerve_length_mm);
        }
    }
    let mut labels = brain.labels().to_vec();
    labels.extend(body.iter().map(|b| b.label.clone()));
    let mut kinds = brain.kinds().to_vec();
    kinds.extend(std::iter::repeat_n(NodeKind::Body, body.len()));
    let mut c = Connectome::new(weights.to_csr())?
        .with_labels(labels)?
        .with_kinds(kinds)?
        .with_tract_lengths(lengths.to_csr())?;
    if let Some(r) = brain.regions() {
        let mut of_node = r.of_node.clone();
        of_node.extend(std::iter::repeat_n(None, body.len()));
        c = c.with_regions(Regions {
            names: r.names.clone(),
            of_node,
        })?;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_with_neighbours_has_the_circulant_spectrum() {
        // Fourier modes are exact eigenvectors of a circulant graph's Laplacian L = D − W, with
        // λ_j = w Σ_{d=1..k} 2 (1 − cos(2π j d / n)): the Rayleigh quotient of each mode,
        // computed from the connectome's weights, must equal it.
        let (n, k, w) = (24usize, 3usize, 0.7);
        let ring = ring_with(n, k, w).unwrap();
        assert_eq!(ring.edge_count(), n * k);
        let weights = ring.weights();
        for j in 0..n {
            let x: Vec<f64> = (0..n)
                .map(|i| (std::f64::consts::TAU * (j * i) as f64 / n as f64).cos())
                .collect();
            let mut quadratic = 0.0;
            for (value, (a, b)) in weights.iter() {
                quadratic += 0.5 * value * (x[a] - x[b]).powi(2);
            }
            let norm: f64 = x.iter().map(|v| v * v).sum();
            let analytic: f64 = (1..=k)
                .map(|d| {
                    2.0 * w * (1.0 - (std::f64::consts::TAU * (j * d) as f64 / n as f64).cos())
                })
                .sum();
            assert!(
                (quadratic / norm - analytic).abs() < 1e-12,
                "mode {j}: {} against {analytic}",
                quadratic / norm
            );
        }
        assert!(ring_with(10, 5, 1.0).is_err());
        assert!(ring_with(10, 2, 0.0).is_err());
    }

    #[test]
    fn shapes_and_degrees() {
        assert_eq!(ring(10).unwrap().edge_count(), 10);
        assert_eq!(path(10).unwrap().edge_count(), 9);
        assert_eq!(lattice(3, 4, false).unwrap().edge_count(), 3 * 3 + 2 * 4);
        assert_eq!(lattice(3, 4, true).unwrap().edge_count(), 24);
        assert_eq!(complete(6).unwrap().edge_count(), 15);
        let q = hypercube(4).unwrap();
        assert!(q.degrees().iter().all(|&d| d == 4.0));
        assert!(ring(2).is_err() && lattice(2, 5, true).is_err() && hypercube(0).is_err());
    }

    #[test]
    fn small_world_keeps_edge_count_and_is_deterministic() {
        let a = small_world(100, 6, 0.2, 7).unwrap();
        assert_eq!(a.edge_count(), 300);
        assert_eq!(a, small_world(100, 6, 0.2, 7).unwrap());
        assert_ne!(a, small_world(100, 6, 0.2, 8).unwrap());
        assert_eq!(small_world(100, 6, 0.0, 7).unwrap().edge_count(), 300);
        assert!(small_world(10, 3, 0.1, 1).is_err());
    }

    #[test]
    fn modular_graph_is_denser_inside_regions() {
        let c = modular(&[("a", 40), ("b", 40)], 0.5, 0.02, 3).unwrap();
        let r = c.regions().unwrap();
        let (mut inside, mut across) = (0, 0);
        for (_, (i, j)) in c.weights().iter() {
            if r.of_node[i] == r.of_node[j] {
                inside += 1
            } else {
                across += 1
            }
        }
        // Expected directed entries: inside 2·(2·780)·0.5 = 1560, across 2·1600·0.02 = 64.
        assert!(inside > 1400 && inside < 1720, "{inside}");
        assert!(across > 20 && across < 120, "{across}");
    }

    #[test]
    fn one_level_hierarchy_is_the_modular_graph() {
        let flat = modular(&[("m0", 9), ("m1", 9), ("m2", 9)], 0.6, 0.1, 4).unwrap();
        let one_level = hierarchical(3, 1, 9, 0.6, 0.1, 4).unwrap();
        assert_eq!(flat.weights(), one_level.weights());
        assert_eq!(flat.regions(), one_level.regions());
    }

    #[test]
    fn hierarchy_density_falls_by_the_same_ratio_at_every_level() {
        // Two groups per level, three levels: 8 bottom modules of 10 nodes. Pairs by the level of
        // their lowest common group, counted exactly: 8·C(10,2), 4·10·10, 2·20·20, 40·40.
        let (inside, between) = (0.8, 0.2);
        let graph = hierarchical(2, 3, 10, inside, between, 11).unwrap();
        let regions = graph.regions().unwrap();
        assert_eq!(regions.names[0], "m0_0_0");
        assert_eq!(regions.names[5], "m1_0_1");
        let module = |i: usize| regions.of_node[i].unwrap();
        let level = |i: usize, j: usize| {
            let (a, b) = (module(i), module(j));
            (0..=3).find(|&up| a >> up == b >> up).unwrap()
        };
        let mut linked = [0.0; 4];
        for (_, (i, j)) in graph.weights().iter() {
            if i < j {
                linked[level(i, j)] += 1.0;
            }
        }
        let pairs = [360.0, 400.0, 800.0, 1600.0];
        let probability = [inside, between, between / 4.0, between / 16.0];
        for up in 0..4 {
            let (n, p) = (pairs[up], probability[up]);
            let sd = (n * p * (1.0 - p)).sqrt();
            assert!(
                (linked[up] - n * p).abs() < 4.0 * sd,
                "level {up}: {} links among {n} pairs, expected {}",
                linked[up],
                n * p
            );
        }
    }

    #[test]
    fn deeper_hierarchies_refuse_a_density_that_rises_going_up() {
        let error = hierarchical(2, 2, 4, 0.1, 0.5, 1).unwrap_err();
        assert!(error.to_string().contains("must not exceed"), "{error}");
        assert!(hierarchical(10, 6, 1, 0.5, 0.1, 1).is_err());
        assert!(hierarchical(2, 0, 4, 0.5, 0.1, 1).is_err());
    }

    #[test]
    fn geometric_edges_respect_radius() {
        let c = random_geometric(200, 0.1, 100.0, 5).unwrap();
        let p = c.positions().unwrap();
        for (_, (i, j)) in c.weights().iter() {
            let d = ((p[i][0] - p[j][0]).powi(2) + (p[i][1] - p[j][1]).powi(2)).sqrt();
            assert!(d < 10.0);
        }
        assert!(c.edge_count() > 0);
    }

    #[test]
    fn sensorium_adds_body_nodes() {
        let brain = ring(6).unwrap();
        let body = [BodyNode {
            label: "hand".into(),
            attached_to: vec![0, 3],
            weight: 0.5,
            nerve_length_mm: 800.0,
        }];
        let c = attach_sensorium(&brain, &body).unwrap();
        assert_eq!(c.n(), 7);
        assert_eq!(c.body_nodes(), vec![6]);
        assert_eq!(c.weights().get(6, 3), Some(&0.5));
        assert_eq!(c.tract_lengths().unwrap().get(0, 6), Some(&800.0));
        let bad = [BodyNode {
            label: "x".into(),
            attached_to: vec![9],
            weight: 1.0,
            nerve_length_mm: 1.0,
        }];
        assert!(attach_sensorium(&brain, &bad).is_err());
    }
}
