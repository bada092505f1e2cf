//! Building a basis from dense eigenvectors of a small analytic graph (a ring of 8 nodes in two
//! regions of 4), the way the harmonics layer will, and running the engine on it.

use anneal::engine::{Engine, LandscapeLevel, ModeBasis, ModeSpec};
use anneal::plan::{Band, LandscapeSettings, Plan, Quantity, RecordItem};
use nalgebra::{DMatrix, SymmetricEigen};

/// Eigenpairs sorted by eigenvalue, eigenvectors as columns.
fn sorted_eigen(matrix: DMatrix<f64>) -> Vec<(f64, Vec<f64>)> {
    let eigen = SymmetricEigen::new(matrix);
    let mut pairs: Vec<(f64, Vec<f64>)> = (0..eigen.eigenvalues.len())
        .map(|i| {
            (
                eigen.eigenvalues[i],
                eigen.eigenvectors.column(i).iter().copied().collect(),
            )
        })
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    pairs
}

#[test]
fn a_ring_basis_from_dense_eigenvectors() {
    let n = 8;
    let edges: Vec<(usize, usize, f64)> = (0..n).map(|i| (i, (i + 1) % n, 1.0)).collect();
    let laplacian = DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            2.0
        } else if (i + 1) % n == j || (j + 1) % n == i {
            -1.0
        } else {
            0.0
        }
    });
    let regions: Vec<Option<usize>> = (0..n).map(|i| Some(i / 4)).collect();
    let csh = sorted_eigen(laplacian.clone());
    // The ring's spectrum is 2 − 2 cos(2πk/8): check the solver before trusting the vectors.
    for (k, (value, _)) in csh.iter().enumerate() {
        let expected = [0, 1, 1, 2, 2, 3, 3, 4][k] as f64;
        let analytic = 2.0 - 2.0 * (std::f64::consts::TAU * expected / 8.0).cos();
        assert!((value - analytic).abs() < 1e-12);
    }
    let lambda_1 = csh[1].0;
    let mut vectors = Vec::new();
    let mut modes = Vec::new();
    for (value, vector) in &csh[1..4] {
        vectors.push(vector.clone());
        modes.push(ModeSpec {
            band: Band::Csh,
            region: None,
            frequency_hz: (value / lambda_1).sqrt(),
        });
    }
    // RSHWs: the lowest Dirichlet mode of each region's principal submatrix (a path of 4).
    for region in 0..2 {
        let members: Vec<usize> = (0..n).filter(|i| i / 4 == region).collect();
        let sub = DMatrix::from_fn(4, 4, |a, b| laplacian[(members[a], members[b])]);
        let (value, local) = sorted_eigen(sub).remove(0);
        let mut vector = vec![0.0; n];
        for (a, node) in members.iter().enumerate() {
            vector[*node] = local[a];
        }
        vectors.push(vector);
        modes.push(ModeSpec {
            band: Band::Rsh,
            region: Some(region),
            frequency_hz: (value / lambda_1).sqrt(),
        });
    }
    let basis = ModeBasis::from_dense(
        &vectors,
        modes,
        &regions,
        vec!["left".into(), "right".into()],
        &edges,
        LandscapeLevel::Regions,
    )
    .expect("basis");
    // Unit vectors with every node in a region: each mode's region masses sum to 1.
    for (m, mass) in basis.region_mass.iter().enumerate() {
        assert!(
            (mass.iter().sum::<f64>() - 1.0).abs() < 1e-12,
            "mode {m}: {mass:?}"
        );
    }
    assert!((basis.region_mass[3][0] - 1.0).abs() < 1e-12 && basis.region_mass[3][1] == 0.0);
    // Two ring edges join the regions.
    assert_eq!(basis.landscape.couplings, vec![(0, 1, 2.0)]);
    assert!(
        basis
            .landscape
            .csh_projection
            .iter()
            .flatten()
            .all(|p| (-1.0..=1.0).contains(p))
    );

    let mut plan = Plan {
        n_steps: 2_000,
        ..Plan::default()
    };
    plan.locking.epsilon = 1.0;
    plan.landscape = Some(LandscapeSettings::default());
    plan.record.items = vec![
        RecordItem {
            quantity: Quantity::Integration,
            every_steps: 100,
        },
        RecordItem {
            quantity: Quantity::RegionIntegration {
                region: "right".into(),
            },
            every_steps: 100,
        },
        RecordItem {
            quantity: Quantity::Valence,
            every_steps: 100,
        },
    ];
    let mut engine = Engine::new(&plan, &basis).expect("engine");
    engine.run().expect("run");
    assert_eq!(
        engine.state().pairs().len(),
        6,
        "two RSHWs × three CSHWs with overlap"
    );
    let valence = engine.recorder().column("valence").expect("valence");
    assert_eq!(valence.values.len(), 21);
    assert!(valence.values.iter().all(|v| (-1.0..=1.0).contains(v)));
}

#[test]
fn engines_can_move_to_worker_threads() {
    // Scenario sweeps run one engine per rayon task: the engine and its state must be Send.
    fn assert_send<T: Send>() {}
    assert_send::<Engine>();
    assert_send::<anneal::engine::EngineState>();
    assert_send::<Plan>();
    assert_send::<ModeBasis>();
}
