//! Physics checks of the harmonic engine (issue 4, item 8), each able to fail.
//!
//! Tolerances are statistical where the quantity is random: a time average of a correlated
//! series has standard error sd·√(τ_int/N), τ_int the integrated autocorrelation time
//! measured from the series itself (initial positive sequence), and we accept 3σ.

use anneal::engine::{Engine, EngineError, LandscapeGraph, ModeBasis, ModeSpec};
use anneal::plan::{
    Action, Band, BandWeights, Component, CoolingCurve, Envelope, FieldInit, Plan, Profile,
    Quantity, RecordItem, Source,
};

/// A basis from (band, region, frequency) triples; every RSHW has its whole mass in its region
/// and every CSHW the given `csh_mass` in each region.
fn basis(modes: &[(Band, Option<usize>, f64)], regions: usize, csh_mass: f64) -> ModeBasis {
    let region_mass = modes
        .iter()
        .map(|(band, region, _)| match (band, region) {
            (Band::Rsh, Some(r)) => (0..regions)
                .map(|x| if x == *r { 1.0 } else { 0.0 })
                .collect(),
            _ => vec![csh_mass; regions],
        })
        .collect();
    let n_csh = modes.iter().filter(|m| m.0 == Band::Csh).count();
    ModeBasis {
        modes: modes
            .iter()
            .map(|(band, region, f)| ModeSpec {
                band: *band,
                region: *region,
                frequency_hz: *f,
            })
            .collect(),
        region_names: (0..regions).map(|r| format!("r{r}")).collect(),
        region_mass,
        landscape: LandscapeGraph {
            node_names: (0..regions).map(|r| format!("r{r}")).collect(),
            couplings: Vec::new(),
            csh_projection: vec![vec![0.0; regions]; n_csh],
        },
    }
}

/// Integrated autocorrelation time (in samples) by the initial positive sequence.
fn integrated_time(series: &[f64]) -> f64 {
    let n = series.len();
    let mean = series.iter().sum::<f64>() / n as f64;
    let var = series.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
    let mut tau = 1.0;
    for lag in 1..n / 20 {
        let c = (0..n - lag)
            .map(|t| (series[t] - mean) * (series[t + lag] - mean))
            .sum::<f64>()
            / ((n - lag) as f64 * var);
        if c <= 0.0 {
            break;
        }
        tau += 2.0 * c;
    }
    tau
}

/// Mean and its standard error from a correlated series.
fn mean_and_error(series: &[f64]) -> (f64, f64) {
    let n = series.len() as f64;
    let mean = series.iter().sum::<f64>() / n;
    let sd = (series.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    (mean, sd * (integrated_time(series) / n).sqrt())
}

fn quiet_plan(dt: f64, theta: f64) -> Plan {
    Plan {
        dt,
        cooling: CoolingCurve::constant(theta),
        ..Plan::default()
    }
}

fn always(action: Action) -> Component {
    Component {
        envelope: Envelope::Always,
        scale: 1.0,
        action,
    }
}

/// Samples each mode's energy every `every` steps for `samples` samples after `burn` steps.
fn sample_energies(engine: &mut Engine, burn: u64, every: u64, samples: usize) -> Vec<Vec<f64>> {
    engine.step(burn).expect("burn-in");
    let m = engine.state().mode_energy().len();
    let mut series = vec![Vec::with_capacity(samples); m];
    for _ in 0..samples {
        engine.step(every).expect("run");
        for (s, e) in series.iter_mut().zip(engine.state().mode_energy()) {
            s.push(e);
        }
    }
    series
}

#[test]
fn equipartition_without_sources() {
    // Three bands, different damping through the sink affinities: without sources every mode
    // must still settle at the bath temperature Θ.
    let basis = basis(
        &[
            (Band::Csh, None, 1.0),
            (Band::Rsh, Some(0), 3.7),
            (Band::Ssh, None, 0.6),
        ],
        1,
        0.5,
    );
    let theta = 1.7;
    let mut plan = quiet_plan(0.05, theta);
    plan.sinks.gain = 2.0;
    let mut engine = Engine::new(&plan, &basis).expect("engine");
    let series = sample_energies(&mut engine, 1000, 2, 40_000);
    for (m, s) in series.iter().enumerate() {
        let (mean, error) = mean_and_error(s);
        assert!(
            (mean - theta).abs() < 3.0 * error,
            "mode {m}: ⟨E⟩ = {mean:.4} ± {error:.4}, Θ = {theta}"
        );
        assert!(
            error < 0.03 * theta,
            "mode {m}: the run is too short to test anything (σ = {error})"
        );
    }
    // The check can fail: a 5% wrong bath is rejected by the same statistics.
    let (mean, error) = mean_and_error(&series[0]);
    assert!((mean - 1.05 * theta).abs() > 3.0 * error);
}

#[test]
fn resonance_follows_the_lorentzian() {
    let f0 = 2.0;
    let omega = std::f64::consts::TAU * f0;
    let basis = basis(&[(Band::Csh, None, f0)], 1, 1.0);
    for dt in [1e-3, 0.05] {
        for detune in [-3.0, -1.0, -0.3, 0.0, 0.2, 0.7, 2.5] {
            let big_omega = omega + detune;
            let mut plan = quiet_plan(dt, 0.0);
            plan.field.initial = FieldInit::Zero;
            plan.field.gamma0 = 0.4;
            plan.sinks.gain = 0.0;
            let g = 0.8;
            plan.sources = vec![Source {
                name: "tone".into(),
                components: vec![always(Action::Drive {
                    frequency_hz: big_omega / std::f64::consts::TAU,
                    amplitude: g,
                    bands: BandWeights::uniform(1.0),
                    regions: Vec::new(),
                    habituation: None,
                })],
            }];
            let mut engine = Engine::new(&plan, &basis).expect("engine");
            // 40 damping times: the transient is e^{-16} of the start.
            engine.step((40.0 / 0.4 / dt) as u64).expect("run");
            let amplitude = engine.state().mode_energy()[0].sqrt();
            let lorentzian = g / (0.4f64.powi(2) + detune * detune).sqrt();
            assert!(
                (amplitude / lorentzian - 1.0).abs() < 0.01,
                "dt {dt}, detune {detune}: |z| = {amplitude}, Lorentzian {lorentzian}"
            );
        }
    }
}

#[test]
fn the_exact_step_holds_at_large_dt() {
    // Broadband injection on top of the bath: Θ* = Θ + D/(2γ) per mode, at dt = 1 s and 1 ms.
    let basis = basis(&[(Band::Csh, None, 1.0), (Band::Rsh, Some(0), 5.0)], 1, 0.5);
    let make = |dt: f64| {
        let mut plan = quiet_plan(dt, 1.0);
        plan.field.gamma0 = 0.5;
        plan.sinks.gain = 1.0;
        plan.sources = vec![Source {
            name: "neutral".into(),
            components: vec![always(Action::Broadband {
                rate: 2.0,
                bands: BandWeights::uniform(1.0),
                regions: Vec::new(),
            })],
        }];
        Engine::new(&plan, &basis).expect("engine")
    };
    let gamma = [0.5 + 0.25, 0.5 + 1.0];
    let expected: Vec<f64> = gamma.iter().map(|g| 1.0 + 2.0 / (2.0 * g)).collect();
    let coarse = sample_energies(&mut make(1.0), 50, 1, 60_000);
    // At 1 ms, sample every 0.2 s (the correlation time is 1/(2γ) ≈ 0.3–0.7 s).
    let fine = sample_energies(&mut make(1e-3), 5_000, 200, 12_000);
    for m in 0..2 {
        let (mean_c, err_c) = mean_and_error(&coarse[m]);
        let (mean_f, err_f) = mean_and_error(&fine[m]);
        assert!(
            (mean_c - expected[m]).abs() < 3.0 * err_c,
            "dt 1 s, mode {m}: {mean_c} ± {err_c} vs {}",
            expected[m]
        );
        assert!(
            (mean_f - expected[m]).abs() < 3.0 * err_f,
            "dt 1 ms, mode {m}: {mean_f} ± {err_f} vs {}",
            expected[m]
        );
        assert!(
            (mean_c - mean_f).abs() < 3.0 * err_c.hypot(err_f),
            "mode {m}: dt 1 s and 1 ms disagree"
        );
        // The distribution, not only the mean: E is exponential, so P(E > Θ*) = e^{-1}.
        for (label, series) in [("1 s", &coarse[m]), ("1 ms", &fine[m])] {
            let indicator: Vec<f64> = series
                .iter()
                .map(|e| if *e > expected[m] { 1.0 } else { 0.0 })
                .collect();
            let (fraction, error) = mean_and_error(&indicator);
            let target = (-1.0f64).exp();
            assert!(
                (fraction - target).abs() < 3.0 * error,
                "dt {label}, mode {m}: P(E > Θ*) = {fraction} ± {error}"
            );
        }
    }
}

/// Unwrapped phase difference tracking for two modes.
fn phase(engine: &Engine, m: usize) -> f64 {
    let (re, im) = engine.state().amplitudes();
    im[m].atan2(re[m])
}

/// Does a 1:1 pair with frequency difference `delta_omega` (rad/s) lock at coupling ε?
fn locks(delta_omega: f64, epsilon: f64) -> bool {
    let f_k = 10.0;
    let f_j = f_k + delta_omega / std::f64::consts::TAU;
    let basis = basis(&[(Band::Csh, None, f_k), (Band::Rsh, Some(0), f_j)], 1, 1.0);
    let mut plan = quiet_plan(1e-3, 0.0);
    plan.field.gamma0 = 0.0;
    plan.sinks.gain = 0.0;
    plan.field.initial = FieldInit::Amplitudes {
        values: vec![[1.0, 0.0], [0.0, 1.0]],
    };
    plan.locking.epsilon = epsilon;
    let mut engine = Engine::new(&plan, &basis).expect("engine");
    assert_eq!(
        (engine.state().pairs()[0].p, engine.state().pairs()[0].q),
        (1, 1)
    );
    // Transient, then measure the drift of ψ = θ_k − θ_j over 60 s.
    engine.step(40_000).expect("transient");
    let mut unwrapped = 0.0;
    let mut last = phase(&engine, 0) - phase(&engine, 1);
    for _ in 0..60_000 {
        engine.step(1).expect("run");
        let now = phase(&engine, 0) - phase(&engine, 1);
        let mut change = now - last;
        change -= std::f64::consts::TAU * (change / std::f64::consts::TAU).round();
        unwrapped += change;
        last = now;
    }
    unwrapped.abs() < std::f64::consts::PI
}

#[test]
fn adler_locking_threshold_is_the_coupling() {
    let epsilon = 1.5;
    // Scan |Δω| in 1% steps of ε; the largest locking value must be within 2% of ε.
    let mut threshold = None;
    for step in 90..=110 {
        let delta = epsilon * f64::from(step) / 100.0;
        if locks(delta, epsilon) {
            threshold = Some(delta);
        } else {
            break;
        }
    }
    let threshold = threshold.expect("locks at 0.9 ε");
    assert!(
        (threshold / epsilon - 1.0).abs() <= 0.02,
        "threshold {threshold} vs ε {epsilon}"
    );
    assert!(
        locks(-0.95 * epsilon, epsilon),
        "locking is symmetric in the sign of Δω"
    );
    assert!(!locks(-1.05 * epsilon, epsilon));
}

/// Locking index after 60 s for a CSHW at 2 Hz and an RSHW at `ratio` times it.
fn locking_index(ratio: f64, epsilon: f64) -> f64 {
    let basis = basis(
        &[(Band::Csh, None, 2.0), (Band::Rsh, Some(0), 2.0 * ratio)],
        1,
        1.0,
    );
    let mut plan = quiet_plan(1e-3, 0.0);
    plan.field.gamma0 = 0.0;
    plan.sinks.gain = 0.0;
    plan.field.initial = FieldInit::Amplitudes {
        values: vec![[1.0, 0.0], [0.0, 1.0]],
    };
    plan.locking.epsilon = epsilon;
    plan.locking.window_steps = 10_000;
    let mut engine = Engine::new(&plan, &basis).expect("engine");
    engine.step(60_000).expect("run");
    engine.state().locking_indices()[0]
}

#[test]
fn the_golden_mean_locks_less_than_simple_ratios() {
    let golden = (1.0 + 5f64.sqrt()) / 2.0;
    let epsilon = 3.0;
    // Simple ratios slightly detuned (by a third of their locking range) still lock; the
    // golden mean, whose best approximant with q ≤ 8 is 13/8, does not.
    let omega_k = std::f64::consts::TAU * 2.0;
    let three_two = 1.5 + (epsilon / 6.0) / 3.0 / (2.0 * omega_k);
    let two_one = 2.0 + (epsilon / 2.0) / 3.0 / omega_k;
    let i_golden = locking_index(golden, epsilon);
    let i_three_two = locking_index(three_two, epsilon);
    let i_two_one = locking_index(two_one, epsilon);
    assert!(
        i_three_two > 0.95 && i_two_one > 0.95,
        "3:2 {i_three_two}, 2:1 {i_two_one}"
    );
    assert!(
        i_golden < 0.5 * i_three_two,
        "golden {i_golden} vs 3:2 {i_three_two}"
    );
    // Without coupling the detuned 3:2 pair drifts too: the locking is the coupling's doing.
    assert!(locking_index(1.52, 0.0) < 0.5);
}

#[test]
fn divergence_is_reported_with_step_and_quantity() {
    let basis = basis(&[(Band::Csh, None, 1.0), (Band::Rsh, Some(0), 2.0)], 1, 1.0);
    // A drive so strong that the energy overflows within a few steps.
    let mut plan = quiet_plan(1e-2, 1.0);
    plan.record.items = vec![RecordItem {
        quantity: Quantity::Temperature,
        every_steps: 1,
    }];
    plan.sources = vec![Source {
        name: "blast".into(),
        components: vec![Component {
            envelope: Envelope::Pulse {
                at_step: 3,
                duration_steps: 10,
            },
            scale: 1.0,
            action: Action::Drive {
                frequency_hz: 1.0,
                amplitude: 1e200,
                bands: BandWeights {
                    csh: 0.0,
                    rsh: 1.0,
                    ssh: 0.0,
                },
                regions: Vec::new(),
                habituation: None,
            },
        }],
    }];
    let mut engine = Engine::new(&plan, &basis).expect("engine");
    let error = engine.step(20).expect_err("must diverge");
    match &error {
        EngineError::Divergence { step, quantity, .. } => {
            assert_eq!(*step, 4, "the first step driven is step 3 → 4");
            assert_eq!(quantity, "energy of mode 1");
        }
        other => panic!("unexpected error {other}"),
    }
    // Nothing non-finite was recorded, and stepping on repeats the error.
    let temperature = engine.recorder().column("temperature").expect("column");
    assert_eq!(temperature.values.len(), 4);
    assert!(temperature.values.iter().all(|v| v.is_finite()));
    assert_eq!(engine.step(1).expect_err("still failed"), error);

    // Injection without any damping has no finite bath target.
    let mut plan = quiet_plan(1e-2, 1.0);
    plan.field.gamma0 = 0.0;
    plan.sinks.profile = Profile::Constant { value: 0.0 };
    plan.sources = vec![Source {
        name: "neutral".into(),
        components: vec![Component {
            envelope: Envelope::Pulse {
                at_step: 5,
                duration_steps: 10,
            },
            scale: 1.0,
            action: Action::Broadband {
                rate: 1.0,
                bands: BandWeights::uniform(1.0),
                regions: Vec::new(),
            },
        }],
    }];
    let mut engine = Engine::new(&plan, &basis).expect("engine");
    match engine.step(10) {
        Err(EngineError::Divergence {
            step: 5, quantity, ..
        }) => assert!(quantity.contains("bath target"), "{quantity}"),
        other => panic!("unexpected {other:?}"),
    }
}

/// Mean total energy over the last `seconds` of a run with the given sources.
fn late_energy(basis: &ModeBasis, plan: &Plan, seconds: f64) -> f64 {
    let mut engine = Engine::new(plan, basis).expect("engine");
    let total = plan.n_steps;
    let window = (seconds / plan.dt) as u64;
    engine.step(total - window).expect("run");
    let mut sum = 0.0;
    for _ in 0..window {
        engine.step(1).expect("run");
        sum += engine.state().mode_energy().iter().sum::<f64>();
    }
    sum / window as f64
}

#[test]
fn sinks_soak_up_energy_unless_suppressed() {
    // Claim 5: the same neutral input gives a lower energy with the sinks at full gain than
    // with them suppressed; the difference is the analytic D/(2γ) change.
    let basis = basis(&[(Band::Csh, None, 1.0), (Band::Rsh, Some(0), 4.0)], 1, 1.0);
    let input = always(Action::Broadband {
        rate: 4.0,
        bands: BandWeights::uniform(1.0),
        regions: Vec::new(),
    });
    let mut plan = quiet_plan(0.05, 1.0);
    plan.n_steps = 40_000;
    plan.sinks.gain = 2.0;
    plan.sources = vec![Source {
        name: "input".into(),
        components: vec![input.clone()],
    }];
    let with_sinks = late_energy(&basis, &plan, 1500.0);
    plan.sources[0]
        .components
        .push(always(Action::SinkSuppression { level: 1.0 }));
    let suppressed = late_energy(&basis, &plan, 1500.0);
    let expected_with = 2.0 + 4.0 / (2.0 * (0.5 + 0.5)) + 4.0 / (2.0 * (0.5 + 2.0));
    let expected_suppressed = 2.0 + 2.0 * 4.0 / (2.0 * 0.5);
    // 1500 s of samples with correlation times of 0.2–1 s: the standard error of each mean is
    // below 3% of it, so a 10% tolerance is more than 3σ yet far tighter than the 40% effect.
    assert!(
        with_sinks < 0.75 * suppressed,
        "{with_sinks} vs {suppressed}"
    );
    assert!(
        (with_sinks / expected_with - 1.0).abs() < 0.1,
        "{with_sinks} vs {expected_with}"
    );
    assert!(
        (suppressed / expected_suppressed - 1.0).abs() < 0.1,
        "{suppressed} vs {expected_suppressed}"
    );
}

#[test]
fn predictable_drives_habituate_and_novel_ones_less() {
    // Claim 8: a resonant drive whose sinks learn it (depth 0.9) loses energy over a session;
    // a novel one (depth 0.1) keeps most of it. Noise-free, so the numbers are exact.
    let basis = basis(&[(Band::Csh, None, 1.0)], 1, 1.0);
    let energy_at = |depth: f64, seconds: f64| {
        let mut plan = quiet_plan(0.01, 0.0);
        plan.field.initial = FieldInit::Zero;
        plan.sources = vec![Source {
            name: "music".into(),
            components: vec![always(Action::Drive {
                frequency_hz: 1.0,
                amplitude: 1.0,
                bands: BandWeights::uniform(1.0),
                regions: Vec::new(),
                habituation: Some(anneal::plan::Habituation {
                    time_constant_steps: 6_000,
                    depth,
                }),
            })],
        }];
        let mut engine = Engine::new(&plan, &basis).expect("engine");
        engine.step((seconds / 0.01) as u64).expect("run");
        engine.state().mode_energy()[0]
    };
    let (early_predictable, late_predictable) = (energy_at(0.9, 20.0), energy_at(0.9, 300.0));
    let (early_novel, late_novel) = (energy_at(0.1, 20.0), energy_at(0.1, 300.0));
    // After 300 s the exposure is 30 000 steps = 5 τ: the gain is 1 − depth (1 − e^{−5}) and the
    // steady energy ∝ gain² (the gain changes over ~60 s, far slower than the 1.3 s response,
    // so the lag costs well under 2%).
    let gain = |depth: f64| 1.0 - depth * (1.0 - (-5.0f64).exp());
    let expected = (gain(0.9) / gain(0.1)).powi(2);
    let ratio = late_predictable / late_novel;
    assert!(
        (ratio / expected - 1.0).abs() < 0.02,
        "{ratio} vs {expected}"
    );
    assert!(late_predictable < 0.2 * early_predictable);
    assert!(late_novel > 0.75 * early_novel);
}

/// Mean angular velocity of mode 0 over `seconds` after a transient, with a metronome of
/// coupling `coupling` at 10 Hz (or none).
fn entrained_velocity(frequency_hz: f64, coupling: Option<f64>) -> f64 {
    let basis = basis(&[(Band::Csh, None, frequency_hz)], 1, 1.0);
    let mut plan = quiet_plan(1e-3, 0.0);
    plan.field.gamma0 = 0.0;
    plan.sinks.gain = 0.0;
    plan.field.initial = FieldInit::Amplitudes {
        values: vec![[1.0, 0.0]],
    };
    if let Some(coupling) = coupling {
        plan.sources = vec![Source {
            name: "metronome".into(),
            components: vec![always(Action::Metronome {
                frequency_hz: 10.0,
                coupling,
            })],
        }];
    }
    let mut engine = Engine::new(&plan, &basis).expect("engine");
    engine.step(20_000).expect("transient");
    let (mut unwrapped, mut last) = (0.0, phase(&engine, 0));
    let steps = 200_000;
    for _ in 0..steps {
        engine.step(1).expect("run");
        let now = phase(&engine, 0);
        let mut change = now - last;
        change -= std::f64::consts::TAU * (change / std::f64::consts::TAU).round();
        unwrapped += change;
        last = now;
    }
    unwrapped / (steps as f64 * 1e-3)
}

#[test]
fn a_metronome_entrains_modes_within_its_locking_range() {
    // A 1:1 link to the virtual oscillator is an Adler equation with range K (the metronome has
    // infinite power and is never pulled): a mode detuned by K/2 runs at the metronome's
    // frequency, one detuned by 2K keeps drifting, and without the metronome nothing moves.
    // At 10 Hz both detunings keep 1:1 as the best approximation with q ≤ 8.
    let coupling = 0.5;
    let metronome = 10.0 * std::f64::consts::TAU;
    let near = 10.0 + 0.5 * coupling / std::f64::consts::TAU;
    let far = 10.0 + 2.0 * coupling / std::f64::consts::TAU;
    let locked = entrained_velocity(near, Some(coupling));
    let drifting = entrained_velocity(far, Some(coupling));
    let free = entrained_velocity(near, None);
    assert!(
        (locked / metronome - 1.0).abs() < 1e-3,
        "locked {locked} vs {metronome}"
    );
    // Outside the range the mean slip rate is Adler's √(Δ² − K²) with Δ = 2K; 200 s hold
    // about 27 slips, so the unfinished last slip biases the mean by at most about 4%.
    let slip = (drifting - metronome) / (3f64.sqrt() * coupling);
    assert!(
        (slip - 1.0).abs() < 0.05,
        "drifting {drifting}: slip {slip} of Adler's"
    );
    assert!(
        (free / (std::f64::consts::TAU * near) - 1.0).abs() < 1e-6,
        "free {free}"
    );
}

#[test]
fn reheating_after_a_stall_restarts_the_bath() {
    // Linear cooling 3 → 1 over 2 s; once T̄ stops falling for 3 s the curve restarts at 3.
    let basis = basis(&[(Band::Csh, None, 1.0), (Band::Rsh, Some(0), 2.0)], 1, 1.0);
    let mut plan = quiet_plan(0.01, 1.0);
    plan.field.gamma0 = 2.0;
    plan.metrics.window_steps = 20;
    plan.cooling = anneal::plan::CoolingCurve {
        shape: anneal::plan::CoolingShape::Linear,
        from: 3.0,
        to: 1.0,
        start_step: 0,
        scale_steps: 200,
        reheat: Some(anneal::plan::Reheat::AfterStall {
            window_steps: 300,
            tolerance: 0.5,
        }),
    };
    plan.record.items = vec![RecordItem {
        quantity: Quantity::Bath,
        every_steps: 1,
    }];
    let mut engine = Engine::new(&plan, &basis).expect("engine");
    engine.step(2_000).expect("run");
    let reheats: Vec<u64> = engine.recorder().events.iter().map(|e| e.step).collect();
    assert!(!reheats.is_empty(), "no reheat event");
    let first = reheats[0];
    // Not before the curve has bottomed out plus a stall window, not long after.
    assert!((300..=800).contains(&first), "first reheat at step {first}");
    let bath = &engine.recorder().column("bath").expect("bath").values;
    assert!(
        (bath[first as usize - 1] - 1.0).abs() < 1e-12
            && (bath[first as usize + 1] - 3.0).abs() < 0.02
    );
}

#[test]
fn boosted_sinks_drain_injected_energy_unevenly() {
    // Antipsychotics, "sinks up": a constant injection D holds each mode at E = Θ + D/(2γ), so a
    // sink boost b, which raises γ = γ0 + g κ (1 + b), lowers the excess E − Θ by the factor
    // γ(0)/γ(b). The factor is smaller (a stronger drain) in the RSHW, whose sink affinity κ is 1,
    // than in the CSHW (κ = 0.25): the cooling of a driven state is rapid and uneven.
    let basis = basis(&[(Band::Csh, None, 1.0), (Band::Rsh, Some(0), 4.0)], 1, 1.0);
    let theta = 1.0;
    let rate = 4.0;
    let boost = 1.5;
    let mut plan = quiet_plan(0.05, theta);
    plan.sinks.gain = 2.0;
    plan.sources = vec![Source {
        name: "input".into(),
        components: vec![always(Action::Broadband {
            rate,
            bands: BandWeights::uniform(1.0),
            regions: Vec::new(),
        })],
    }];
    let excess = |plan: &Plan| -> Vec<(f64, f64)> {
        let mut engine = Engine::new(plan, &basis).expect("engine");
        sample_energies(&mut engine, 400, 2, 40_000)
            .iter()
            .map(|series| {
                let (mean, error) = mean_and_error(series);
                (mean - theta, error)
            })
            .collect()
    };
    let plain = excess(&plan);
    plan.sources[0]
        .components
        .push(always(Action::SinkBoost { level: boost }));
    let boosted = excess(&plan);
    let gamma = |kappa: f64, b: f64| plan.field.gamma0 + plan.sinks.gain * kappa * (1.0 + b);
    let kappas = [
        plan.sinks.affinity.get(Band::Csh),
        plan.sinks.affinity.get(Band::Rsh),
    ];
    let mut factors = Vec::new();
    for (mode, kappa) in kappas.iter().enumerate() {
        for ((measured, error), b) in [(plain[mode], 0.0), (boosted[mode], boost)] {
            let predicted = rate / (2.0 * gamma(*kappa, b));
            assert!(
                (measured - predicted).abs() < 3.0 * error + 0.02 * predicted,
                "mode {mode}, boost {b}: excess {measured} ± {error}, predicted {predicted}"
            );
        }
        let factor = gamma(*kappa, 0.0) / gamma(*kappa, boost);
        let measured = boosted[mode].0 / plain[mode].0;
        // The error of a ratio of two independent means, by propagation.
        let error = measured
            * ((boosted[mode].1 / boosted[mode].0).powi(2)
                + (plain[mode].1 / plain[mode].0).powi(2))
            .sqrt();
        assert!(
            (measured - factor).abs() < 3.0 * error + 0.02 * factor,
            "mode {mode}: excess lowered by {measured} ± {error}, predicted {factor}"
        );
        factors.push(measured);
    }
    // Uneven: the RSHW loses a larger share of its excess than the CSHW (predicted 0.45 against
    // 0.57), a gap far beyond the few-percent errors of the measured factors.
    assert!(factors[1] < factors[0] - 0.05, "{factors:?}");
}
