//! End-to-end engine scenarios: trauma and its repair by a metronome session, disintegration
//! and crystallisation of the landscape, determinism, snapshots and recording.

use anneal::engine::{Engine, EventKind, LandscapeGraph, ModeBasis, ModeSpec};
use anneal::plan::{
    Action, Band, BandWeights, Component, CoolingCurve, CoolingShape, Envelope, LandscapeSettings,
    PatternKind, PatternSpec, Plan, Prior, Quantity, RecordItem, Source, SpinInit, TablePoint,
};

fn always(action: Action) -> Component {
    Component {
        envelope: Envelope::Always,
        scale: 1.0,
        action,
    }
}

fn pulse(at_step: u64, duration_steps: u64, action: Action) -> Component {
    Component {
        envelope: Envelope::Pulse {
            at_step,
            duration_steps,
        },
        scale: 1.0,
        action,
    }
}

/// Two CSHWs (1 and 1.5 Hz, half their mass in each of two regions) and one RSHW per region
/// (2 and 3 Hz): every pair starts near a low-order ratio.
fn two_region_basis() -> ModeBasis {
    let modes = vec![
        ModeSpec {
            band: Band::Csh,
            region: None,
            frequency_hz: 1.0,
        },
        ModeSpec {
            band: Band::Csh,
            region: None,
            frequency_hz: 1.5,
        },
        ModeSpec {
            band: Band::Rsh,
            region: Some(0),
            frequency_hz: 2.0,
        },
        ModeSpec {
            band: Band::Rsh,
            region: Some(1),
            frequency_hz: 3.0,
        },
    ];
    ModeBasis {
        modes,
        region_names: vec!["left".into(), "right".into()],
        region_mass: vec![
            vec![0.5, 0.5],
            vec![0.5, 0.5],
            vec![1.0, 0.0],
            vec![0.0, 1.0],
        ],
        landscape: LandscapeGraph {
            node_names: vec!["left".into(), "right".into()],
            couplings: vec![(0, 1, 1.0)],
            csh_projection: vec![vec![1.0, 1.0], vec![1.0, -1.0]],
        },
    }
}

const DT: f64 = 0.01;

fn steps(seconds: f64) -> u64 {
    (seconds / DT).round() as u64
}

/// A life: a standing neutral input, a trauma at 100 s, optionally an MDMA-like session with
/// a metronome at 300 s.
fn life_plan(seed: u64, with_metronome: bool) -> Plan {
    let mut plan = Plan {
        seed,
        dt: DT,
        n_steps: steps(500.0),
        ..Plan::default()
    };
    plan.field.gamma0 = 0.2;
    plan.field.plastic_temperature = 3.0;
    plan.sinks.gain = 0.3;
    plan.locking.epsilon = 8.0;
    plan.locking.window_steps = steps(10.0);
    plan.metrics.window_steps = steps(10.0);
    plan.cooling = CoolingCurve::constant(1.0);
    plan.record.items = vec![
        RecordItem {
            quantity: Quantity::Integration,
            every_steps: steps(1.0),
        },
        RecordItem {
            quantity: Quantity::BandEnergy { band: Band::Csh },
            every_steps: steps(0.1),
        },
    ];
    let everywhere = BandWeights::uniform(1.0);
    let mut sources = vec![
        Source {
            name: "daily life".into(),
            components: vec![always(Action::Broadband {
                rate: 0.5,
                bands: everywhere,
                regions: Vec::new(),
            })],
        },
        Source {
            name: "trauma".into(),
            components: vec![
                pulse(
                    steps(100.0),
                    steps(20.0),
                    Action::Broadband {
                        rate: 30.0,
                        bands: everywhere,
                        regions: Vec::new(),
                    },
                ),
                pulse(
                    steps(100.0),
                    steps(20.0),
                    Action::WeakenCsh {
                        delta_gamma: 2.0,
                        rate: 0.5,
                    },
                ),
                pulse(
                    steps(100.0),
                    steps(20.0),
                    Action::DetuneRegion {
                        region: None,
                        rate: 0.5,
                    },
                ),
            ],
        },
    ];
    if with_metronome {
        sources.push(Source {
            name: "mdma".into(),
            components: vec![
                pulse(
                    steps(300.0),
                    steps(40.0),
                    Action::Broadband {
                        rate: 10.0,
                        bands: everywhere,
                        regions: Vec::new(),
                    },
                ),
                pulse(
                    steps(300.0),
                    steps(40.0),
                    Action::Metronome {
                        frequency_hz: 1.0,
                        coupling: 2.0,
                    },
                ),
                pulse(steps(300.0), steps(40.0), Action::Restore { rate: 0.5 }),
            ],
        });
    }
    plan.sources = sources;
    plan
}

/// Mean of a recorded column over [from, to) seconds.
fn window_mean(engine: &Engine, name: &str, from: f64, to: f64) -> f64 {
    let column = engine.recorder().column(name).expect("recorded column");
    let values: Vec<f64> = column
        .steps()
        .zip(&column.values)
        .filter(|(step, _)| (*step as f64 * DT) >= from && (*step as f64 * DT) < to)
        .map(|(_, v)| *v)
        .collect();
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn trauma_sticks_and_a_metronome_session_repairs_integration() {
    let basis = two_region_basis();
    let mut wins = 0;
    let seeds = 4;
    for seed in 0..seeds {
        let mut treated = Engine::new(&life_plan(seed, true), &basis).expect("engine");
        treated.run().expect("run");
        let mut untreated = Engine::new(&life_plan(seed, false), &basis).expect("engine");
        untreated.run().expect("run");
        let baseline_integration = window_mean(&untreated, "integration", 50.0, 100.0);
        let after_trauma = window_mean(&untreated, "integration", 200.0, 300.0);
        let much_later = window_mean(&untreated, "integration", 420.0, 500.0);
        let repaired = window_mean(&treated, "integration", 420.0, 500.0);
        let baseline_energy = window_mean(&untreated, "band_energy.csh", 20.0, 100.0);
        let energy_after = window_mean(&untreated, "band_energy.csh", 200.0, 300.0);
        let energy_much_later = window_mean(&untreated, "band_energy.csh", 420.0, 500.0);
        if std::env::var("DEBUG_SCENARIO").is_ok() {
            eprintln!(
                "seed {seed}: integration {baseline_integration:.3} → {after_trauma:.3} → {much_later:.3}, repaired {repaired:.3}; CSHW energy {baseline_energy:.3} → {energy_after:.3} → {energy_much_later:.3}"
            );
        }
        // Trauma lowers CSHW energy (under the same standing input) and integration, and both
        // stay low through a long rest; the metronome session brings integration back.
        assert!(
            energy_after < 0.8 * baseline_energy,
            "seed {seed}: CSHW energy {baseline_energy} → {energy_after}"
        );
        assert!(
            energy_much_later < 0.8 * baseline_energy,
            "seed {seed}: CSHW energy recovered without repair"
        );
        assert!(
            after_trauma < 0.7 * baseline_integration,
            "seed {seed}: integration {baseline_integration} → {after_trauma}"
        );
        assert!(
            much_later < 0.7 * baseline_integration,
            "seed {seed}: integration recovered without repair"
        );
        assert!(
            repaired > 1.3 * much_later,
            "seed {seed}: repaired {repaired} vs untreated {much_later}"
        );
        if repaired > 0.8 * baseline_integration {
            wins += 1;
        }
        // The state shows the mechanism: detuning toward a noble ratio, then back.
        let detuned = untreated.state().detuning().to_vec();
        // Region 0: 2 Hz against 1 Hz → the noble 1 + 1/φ; region 1: 3 → 2 + 1/φ.
        let inverse_golden = (5f64.sqrt() - 1.0) / 2.0;
        assert!(
            (detuned[0] - ((1.0 + inverse_golden) / 2.0 - 1.0)).abs() < 0.01,
            "{detuned:?}"
        );
        assert!(
            (detuned[1] - ((2.0 + inverse_golden) / 3.0 - 1.0)).abs() < 0.01,
            "{detuned:?}"
        );
        assert!(
            treated.state().detuning().iter().all(|d| d.abs() < 0.02),
            "{:?}",
            treated.state().detuning()
        );
    }
    assert!(
        wins >= seeds - 1,
        "integration recovered toward baseline in only {wins} of {seeds} seeds"
    );
}

/// Eight regions on a ring, one CSHW per pattern of signs, a stored "rest" prior.
fn ring_basis() -> ModeBasis {
    let n = 8;
    let modes = vec![
        ModeSpec {
            band: Band::Csh,
            region: None,
            frequency_hz: 1.0,
        },
        ModeSpec {
            band: Band::Csh,
            region: None,
            frequency_hz: 1.7,
        },
        ModeSpec {
            band: Band::Rsh,
            region: Some(0),
            frequency_hz: 4.1,
        },
        ModeSpec {
            band: Band::Rsh,
            region: Some(5),
            frequency_hz: 5.3,
        },
    ];
    let mut region_mass = vec![vec![1.0 / n as f64; n], vec![1.0 / n as f64; n]];
    region_mass.push((0..n).map(|r| if r == 0 { 1.0 } else { 0.0 }).collect());
    region_mass.push((0..n).map(|r| if r == 5 { 1.0 } else { 0.0 }).collect());
    ModeBasis {
        modes,
        region_names: (0..n).map(|r| format!("r{r}")).collect(),
        region_mass,
        landscape: LandscapeGraph {
            node_names: (0..n).map(|r| format!("r{r}")).collect(),
            couplings: (0..n)
                .map(|i| (i.min((i + 1) % n), i.max((i + 1) % n), 1.0))
                .collect(),
            csh_projection: vec![
                vec![1.0; n],
                (0..n).map(|i| if i < n / 2 { 1.0 } else { -1.0 }).collect(),
            ],
        },
    }
}

fn heating_plan(seed: u64) -> Plan {
    let mut plan = Plan {
        seed,
        dt: 0.01,
        n_steps: 30_000,
        ..Plan::default()
    };
    plan.field.gamma0 = 1.0;
    // With four modes T fluctuates strongly; the slow layer feels T over 10 s.
    plan.metrics.window_steps = 1000;
    plan.field.plastic_temperature = 3.0;
    plan.cooling = CoolingCurve {
        shape: CoolingShape::Table {
            points: vec![
                TablePoint {
                    step: 0,
                    value: 1.0,
                },
                TablePoint {
                    step: 5_000,
                    value: 1.0,
                },
                TablePoint {
                    step: 7_000,
                    value: 12.0,
                },
                TablePoint {
                    step: 12_000,
                    value: 12.0,
                },
                TablePoint {
                    step: 20_000,
                    value: 1.0,
                },
            ],
        },
        from: 1.0,
        to: 1.0,
        start_step: 0,
        scale_steps: 1,
        reheat: None,
    };
    plan.landscape = Some(LandscapeSettings {
        patterns: vec![
            PatternSpec {
                name: "rest".into(),
                kind: PatternKind::Explicit {
                    spins: vec![1, 1, -1, -1, 1, 1, -1, -1],
                },
            },
            PatternSpec {
                name: "noise".into(),
                kind: PatternKind::Random,
            },
        ],
        // Strong enough that the rest pattern holds at T_L ≈ 0.5–0.8 (flip cost ≈ 5 T_L),
        // weak enough that the hot bath (T_L ≈ 6) melts it.
        priors: vec![Prior {
            pattern: "rest".into(),
            strength: 3.0,
        }],
        initial: SpinInit::Pattern {
            name: "rest".into(),
        },
        sweeps_per_second: 20.0,
        crystallisation_window_steps: 500,
        // This scenario is about the bath alone; with four modes the neutral field of
        // fluctuating CSHW energies would be a second, noisy drive.
        neutral_field_gain: 0.0,
        ..LandscapeSettings::default()
    });
    plan.record.items = vec![
        RecordItem {
            quantity: Quantity::Temperature,
            every_steps: 100,
        },
        RecordItem {
            quantity: Quantity::Overlap {
                pattern: "rest".into(),
            },
            every_steps: 100,
        },
        RecordItem {
            quantity: Quantity::Frustration,
            every_steps: 100,
        },
        RecordItem {
            quantity: Quantity::LandscapeEnergy,
            every_steps: 100,
        },
        RecordItem {
            quantity: Quantity::Valence,
            every_steps: 1000,
        },
        RecordItem {
            quantity: Quantity::ModeEnergy,
            every_steps: 1000,
        },
    ];
    plan
}

#[test]
fn heating_disintegrates_and_cooling_crystallises() {
    let basis = ring_basis();
    for seed in 0..5 {
        heating_run(&basis, seed);
    }
}

fn heating_run(basis: &ModeBasis, seed: u64) {
    let mut engine = Engine::new(&heating_plan(seed), basis).expect("engine");
    engine.run().expect("run");
    let events = engine.recorder().events.clone();
    let disintegration = events
        .iter()
        .find(|e| e.kind == EventKind::Disintegration)
        .expect("a disintegration event");
    let crystallisation = events
        .iter()
        .find(|e| e.kind == EventKind::Crystallisation)
        .expect("a crystallisation event");
    // Disintegration only once the bath is hot (T_L = T/2 past the critical ≈ 1 of the
    // normalised couplings plus the prior), crystallisation only after cooling.
    assert!(
        disintegration.step > 5_000 && disintegration.temperature > 2.0,
        "seed {seed}: {disintegration:?}"
    );
    assert!(
        crystallisation.step > disintegration.step && crystallisation.temperature < 1.2,
        "seed {seed}: {crystallisation:?}"
    );
    let overlap = engine.recorder().column("overlap.rest").expect("overlap");
    assert!(
        overlap.values[..50].iter().all(|o| o.abs() > 0.5),
        "seed {seed}: ordered at rest before heating"
    );
    // Plasticity acted while hot: couplings changed.
    assert!(engine.state().coupling_change().expect("landscape") > 1e-3);
}

#[test]
fn a_fixed_landscape_temperature_ignores_the_bath() {
    // The same heating as above. Held at T_L = 0.3 the landscape keeps its rest pattern
    // through the hot phase (no disintegration); held at T_L = 8, far above the critical
    // temperature of the prior, it is disordered even before the bath heats.
    let basis = ring_basis();
    for seed in 0..3 {
        let mut cold = heating_plan(seed);
        cold.landscape
            .as_mut()
            .expect("landscape")
            .fixed_temperature = Some(0.3);
        let mut engine = Engine::new(&cold, &basis).expect("engine");
        engine.run().expect("run");
        let overlap = engine.recorder().column("overlap.rest").expect("overlap");
        assert!(
            overlap.values.iter().all(|o| o.abs() > 0.5),
            "seed {seed}: the cold landscape lost its pattern"
        );
        assert!(
            !engine
                .recorder()
                .events
                .iter()
                .any(|e| e.kind == EventKind::Disintegration),
            "seed {seed}"
        );
        let mut hot = heating_plan(seed);
        hot.landscape.as_mut().expect("landscape").fixed_temperature = Some(8.0);
        let mut engine = Engine::new(&hot, &basis).expect("engine");
        engine.run().expect("run");
        let overlap = engine.recorder().column("overlap.rest").expect("overlap");
        let before_heating = &overlap.values[..50];
        let mean_abs = before_heating.iter().map(|o| o.abs()).sum::<f64>() / 50.0;
        assert!(mean_abs < 0.5, "seed {seed}: mean |overlap| {mean_abs}");
    }
}

#[test]
fn runs_are_deterministic_and_recording_changes_nothing() {
    let basis = ring_basis();
    let mut plan = heating_plan(9);
    plan.n_steps = 9_000;
    plan.locking.epsilon = 2.0;
    let mut a = Engine::new(&plan, &basis).expect("engine");
    a.run().expect("run");
    let mut b = Engine::new(&plan, &basis).expect("engine");
    b.run().expect("run");
    assert_eq!(a.snapshot(), b.snapshot());
    // Recording only a subset leaves the state bit-identical.
    let mut fewer = plan.clone();
    fewer.record.items.truncate(1);
    let mut c = Engine::new(&fewer, &basis).expect("engine");
    c.run().expect("run");
    let (sa, sc) = (a.snapshot(), c.snapshot());
    assert_eq!(sa.z_re, sc.z_re);
    assert_eq!(sa.landscape, sc.landscape);
    assert_eq!(sa.pair_index_re, sc.pair_index_re);
    // Another seed gives another run.
    let mut other = plan.clone();
    other.seed = 10;
    let mut d = Engine::new(&other, &basis).expect("engine");
    d.run().expect("run");
    assert_ne!(sa.z_re, d.snapshot().z_re);
}

#[test]
fn a_restored_snapshot_continues_bit_for_bit() {
    let basis = two_region_basis();
    let mut plan = life_plan(5, true);
    plan.n_steps = steps(330.0);
    plan.record.items.push(RecordItem {
        quantity: Quantity::Valence,
        every_steps: 500,
    });
    let mut whole = Engine::new(&plan, &basis).expect("engine");
    whole.run().expect("run");
    // Stop in the middle of the trauma (plasticity active) and again in the metronome session.
    let mut first = Engine::new(&plan, &basis).expect("engine");
    first.step(steps(110.0) + 7).expect("run");
    let text = serde_norway::to_string(&first.snapshot()).expect("serialise");
    let saved = serde_norway::from_str(&text).expect("deserialise");
    let mut second = Engine::restore(&plan, &basis, &saved).expect("restore");
    second.step(steps(200.0)).expect("run");
    let mut third = Engine::restore(&plan, &basis, &second.snapshot()).expect("restore");
    third.run().expect("run");
    assert_eq!(third.snapshot(), whole.snapshot());
    assert_eq!(third.recorder(), whole.recorder());

    let heating = heating_plan(2);
    let mut whole = Engine::new(&heating, &basis_for_heating()).expect("engine");
    whole.step(12_000).expect("run");
    let mut part = Engine::new(&heating, &basis_for_heating()).expect("engine");
    part.step(6_543).expect("run");
    let mut resumed =
        Engine::restore(&heating, &basis_for_heating(), &part.snapshot()).expect("restore");
    resumed.step(12_000 - 6_543).expect("run");
    assert_eq!(resumed.snapshot(), whole.snapshot());

    // A landscape whose field is refreshed every 5 steps, stopped between refreshes.
    let content = Action::Content {
        pattern: "partner".into(),
        strength: 1.5,
    };
    let plan_with_field = field_plan(1, Some(content));
    let mut whole = Engine::new(&plan_with_field, &split_basis()).expect("engine");
    whole.run().expect("run");
    let mut part = Engine::new(&plan_with_field, &split_basis()).expect("engine");
    part.step(2_003).expect("run");
    let mut resumed =
        Engine::restore(&plan_with_field, &split_basis(), &part.snapshot()).expect("restore");
    resumed.run().expect("run");
    assert_eq!(resumed.snapshot(), whole.snapshot());

    // A snapshot of another plan is refused.
    let mut other = plan.clone();
    other.seed += 1;
    assert!(Engine::restore(&other, &basis, &first.snapshot()).is_err());
}

fn basis_for_heating() -> ModeBasis {
    ring_basis()
}

#[test]
fn the_memory_estimate_covers_the_recorded_columns() {
    let basis = ring_basis();
    let plan = heating_plan(1);
    let estimate = plan.memory_estimate(&basis.shape());
    let mut engine = Engine::new(&plan, &basis).expect("engine");
    let mut chunks = 0;
    engine
        .run_with_progress(7_000, |done, total| {
            chunks += 1;
            assert!(done <= total);
        })
        .expect("run");
    assert_eq!(chunks, 5);
    let recorded: u64 = engine
        .recorder()
        .columns
        .iter()
        .map(|c| 8 * c.values.len() as u64)
        .sum();
    assert_eq!(estimate.record_bytes, recorded);
    assert!(estimate.state_bytes > 0);
}

/// The ring with a single CSHW whose sign pattern splits the ring in halves.
fn split_basis() -> ModeBasis {
    let mut basis = ring_basis();
    basis.modes.remove(0);
    basis.region_mass.remove(0);
    basis.landscape.csh_projection.remove(0);
    basis
}

fn field_plan(seed: u64, source: Option<Action>) -> Plan {
    let mut plan = Plan {
        seed,
        dt: 0.01,
        n_steps: 6_000,
        ..Plan::default()
    };
    plan.field.gamma0 = 1.0;
    // A 10 s window, as scripts use: a CSHW makes a neutral field only once its windowed
    // energy is beyond the window's equilibrium spread, and a 3 s window spreads by about
    // 40% of Θ, as much as a strong injection adds.
    plan.metrics.window_steps = 1_000;
    plan.landscape = Some(LandscapeSettings {
        structure_weight: 0.2,
        patterns: vec![
            PatternSpec {
                name: "csh".into(),
                kind: PatternKind::Csh { mode: 0 },
            },
            PatternSpec {
                name: "partner".into(),
                kind: PatternKind::Random,
            },
        ],
        initial: SpinInit::Random,
        sweeps_per_second: 20.0,
        hebb_rate: 0.0,
        relax_rate: 0.0,
        field_every_steps: 5,
        ..LandscapeSettings::default()
    });
    if let Some(action) = source {
        plan.sources = vec![Source {
            name: "source".into(),
            components: vec![always(action)],
        }];
    }
    plan
}

/// Mean overlap with a pattern over the second half of a run.
fn late_overlap(plan: &Plan, pattern: &str) -> f64 {
    let mut engine = Engine::new(plan, &split_basis()).expect("engine");
    engine.step(plan.n_steps / 2).expect("run");
    let mut sum = 0.0;
    let samples = 300;
    for _ in 0..samples {
        engine.step(plan.n_steps / 2 / samples).expect("run");
        sum += engine.state().overlap(pattern).expect("pattern");
    }
    sum / samples as f64
}

#[test]
fn neutral_energy_and_content_patterns_shape_the_landscape() {
    // Energy injected into the CSHW makes a field along its sign pattern; a content source
    // makes a field along its own pattern; without either the weakly coupled ring has no
    // preference for them.
    let neutral = Action::Broadband {
        rate: 3.0,
        bands: BandWeights {
            csh: 1.0,
            rsh: 0.0,
            ssh: 0.0,
        },
        regions: Vec::new(),
    };
    let content = Action::Content {
        pattern: "partner".into(),
        strength: 1.5,
    };
    let seeds = 0..4u64;
    let mean = |source: &Option<Action>, pattern: &str| {
        seeds
            .clone()
            .map(|seed| late_overlap(&field_plan(seed, source.clone()), pattern))
            .sum::<f64>()
            / 4.0
    };
    let csh_with = mean(&Some(neutral), "csh");
    let csh_without = mean(&None, "csh");
    let partner_with = mean(&Some(content), "partner");
    let partner_without = mean(&None, "partner");
    // Equilibrium fluctuations of the CSHW energy make no field (they stay within the
    // window's spread); injected energy makes a field that dominates.
    assert!(csh_with > 0.8, "neutral field overlap {csh_with}");
    assert!(
        csh_with - csh_without > 0.3,
        "with {csh_with}, without {csh_without}"
    );
    assert!(
        csh_without.abs() < 0.3,
        "no injection, overlap with the CSHW pattern {csh_without}"
    );
    assert!(partner_with > 0.8, "content field overlap {partner_with}");
    assert!(
        partner_without.abs() < 0.3,
        "no content, overlap {partner_without}"
    );
}

/// A 48-region landscape with no structure and ten random stored patterns: a Hopfield network
/// at load 0.2, whose many competing minima make it frustrated.
fn glassy_basis() -> ModeBasis {
    let n = 48;
    let modes = vec![
        ModeSpec {
            band: Band::Csh,
            region: None,
            frequency_hz: 1.0,
        },
        ModeSpec {
            band: Band::Csh,
            region: None,
            frequency_hz: 1.9,
        },
        ModeSpec {
            band: Band::Rsh,
            region: Some(0),
            frequency_hz: 4.3,
        },
        ModeSpec {
            band: Band::Rsh,
            region: Some(1),
            frequency_hz: 5.9,
        },
    ];
    let unit = |r: usize| {
        (0..n)
            .map(|x| if x == r { 1.0 } else { 0.0 })
            .collect::<Vec<f64>>()
    };
    ModeBasis {
        modes,
        region_names: (0..n).map(|r| format!("r{r}")).collect(),
        region_mass: vec![
            vec![1.0 / n as f64; n],
            vec![1.0 / n as f64; n],
            unit(0),
            unit(1),
        ],
        landscape: LandscapeGraph {
            node_names: (0..n).map(|r| format!("r{r}")).collect(),
            couplings: Vec::new(),
            csh_projection: vec![vec![0.0; n]; 2],
        },
    }
}

fn annealing_plan(seed: u64, quench: bool) -> Plan {
    let total = 40_000;
    let mut plan = Plan {
        seed,
        dt: 0.01,
        n_steps: total,
        ..Plan::default()
    };
    plan.field.gamma0 = 2.0;
    plan.metrics.window_steps = 50;
    // Both start hot (Θ = 6, T_L ≈ 3: disordered) and end at Θ = 0.1 (T_L ≈ 0.05); the slow
    // curve cools geometrically over the run, the quench drops at once.
    let points = if quench {
        vec![
            TablePoint {
                step: 0,
                value: 6.0,
            },
            TablePoint {
                step: 1_000,
                value: 6.0,
            },
            TablePoint {
                step: 1_001,
                value: 0.1,
            },
        ]
    } else {
        (0..=20)
            .map(|i| TablePoint {
                step: 1_000 + i * 1_900,
                value: 6.0 * (0.1f64 / 6.0).powf(i as f64 / 20.0),
            })
            .collect()
    };
    plan.cooling = CoolingCurve {
        shape: CoolingShape::Table { points },
        from: 6.0,
        to: 0.1,
        start_step: 0,
        scale_steps: 1,
        reheat: None,
    };
    plan.landscape = Some(LandscapeSettings {
        structure_weight: 0.0,
        patterns: (0..30)
            .map(|i| PatternSpec {
                name: format!("p{i}"),
                kind: PatternKind::Random,
            })
            .collect(),
        priors: (0..30)
            .map(|i| Prior {
                pattern: format!("p{i}"),
                strength: 1.0,
            })
            .collect(),
        initial: SpinInit::Random,
        sweeps_per_second: 20.0,
        hebb_rate: 0.0,
        relax_rate: 0.0,
        neutral_field_gain: 0.0,
        ..LandscapeSettings::default()
    });
    plan
}

#[test]
fn a_quench_ends_more_frustrated_than_slow_cooling() {
    // Claim 15 through the whole chain (bath → field energies → T̄ → landscape temperature):
    // over 80 seeds, paired on the seed (same patterns, same start), the quench ends with
    // higher frustration and landscape energy; one-sided paired t-tests at p < 0.005
    // (t₇₉ > 2.640). The effect is about half a standard deviation per seed at this size, so
    // the 20 seeds of the landscape-level test would be too few here, and 40 seeds left the
    // test at the edge of its critical value (t = 2.56 after an unrelated change of streams).
    let basis = glassy_basis();
    let (mut frustration, mut energy) = (Vec::new(), Vec::new());
    for seed in 0..80 {
        let mut slow = Engine::new(&annealing_plan(seed, false), &basis).expect("engine");
        slow.run().expect("run");
        let mut quench = Engine::new(&annealing_plan(seed, true), &basis).expect("engine");
        quench.run().expect("run");
        frustration.push(quench.state().frustration() - slow.state().frustration());
        energy.push(quench.state().landscape_energy() - slow.state().landscape_energy());
    }
    let paired_t = |values: &[f64]| {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        (mean, mean / (sd / n.sqrt()))
    };
    let (mean, t) = paired_t(&frustration);
    assert!(
        t > 2.640,
        "mean frustration difference {mean:.4}, t = {t:.2}"
    );
    let (mean, t) = paired_t(&energy);
    assert!(
        t > 2.640,
        "mean landscape energy difference {mean:.4}, t = {t:.2}"
    );
}

/// A plan on the split ring: the bath held at `from` for 60 s, then dropped to 1 at once
/// (`from` = 1: a constant bath), with an optional standing injection into the CSHW.
fn quench_plan(seed: u64, from: f64, injection: Option<f64>) -> Plan {
    let mut plan = field_plan(seed, None);
    plan.n_steps = steps(150.0);
    plan.cooling = CoolingCurve {
        shape: CoolingShape::Table {
            points: vec![
                TablePoint {
                    step: 0,
                    value: from,
                },
                TablePoint {
                    step: steps(60.0),
                    value: from,
                },
                TablePoint {
                    step: steps(60.0) + 1,
                    value: 1.0,
                },
            ],
        },
        from,
        to: 1.0,
        start_step: 0,
        scale_steps: 1,
        reheat: None,
    };
    if let Some(rate) = injection {
        plan.sources = vec![Source {
            name: "psychedelic".into(),
            components: vec![always(Action::Broadband {
                rate,
                bands: BandWeights {
                    csh: 1.0,
                    rsh: 1.0,
                    ssh: 1.0,
                },
                regions: Vec::new(),
            })],
        }];
    }
    plan
}

/// The largest neutral field on any landscape node at any refresh from 60 s (the drop) to the
/// end, and the mean over that time of the largest field per refresh.
fn neutral_field_after_the_drop(plan: &Plan) -> (f64, f64) {
    let mut engine = Engine::new(plan, &split_basis()).expect("engine");
    engine.step(steps(60.0)).expect("run");
    let (mut largest, mut sum, mut count) = (0.0f64, 0.0, 0.0);
    while engine.current_step() < plan.n_steps {
        engine.step(5).expect("run");
        let field = engine.state().landscape_field().expect("landscape");
        let here = field.iter().fold(0.0f64, |a, h| a.max(h.abs()));
        largest = largest.max(here);
        sum += here;
        count += 1.0;
    }
    (largest, sum / count)
}

#[test]
fn a_quench_of_the_bath_makes_no_neutral_field_and_an_injection_still_does() {
    // The bath falls from 4 to 1 at once with no source: the CSHW's windowed energy lags
    // above the new bath for tens of seconds, but that is leftover heat, not injected energy,
    // and must make no neutral field (measured against the instantaneous bath it made a field
    // of up to 1.25 g, 0.13 g on average over the 90 s after the drop, in seed 0). A broadband
    // injection of 3 per second still makes one, at a constant bath and through the same quench:
    // measured, the mean of the largest field per refresh is 0.65-0.93 and 0.50-0.77 over four
    // seeds, against at most 0.0005 for the bare quench. Through the quench it is lower while Θ̄
    // still lags high: the same injection over a hotter bath is a smaller relative excess.
    for seed in 0..4 {
        let (quench_largest, quench_mean) =
            neutral_field_after_the_drop(&quench_plan(seed, 4.0, None));
        assert!(
            quench_largest < 0.2 && quench_mean < 0.01,
            "seed {seed}: a bare quench made a neutral field (largest {quench_largest}, mean {quench_mean})"
        );
        let (_, injected_mean) = neutral_field_after_the_drop(&quench_plan(seed, 1.0, Some(3.0)));
        assert!(
            injected_mean > 0.35,
            "seed {seed}: an injection at a constant bath, mean field {injected_mean}"
        );
        let (_, injected_quench_mean) =
            neutral_field_after_the_drop(&quench_plan(seed, 4.0, Some(3.0)));
        assert!(
            injected_quench_mean > 0.35,
            "seed {seed}: an injection through the quench, mean field {injected_quench_mean}"
        );
    }
}
