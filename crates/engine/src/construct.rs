//! Building an engine from a plan and a basis: the compiled sources, the locking pairs, the
//! metric kernels, the landscape and the initial state of every mode.

use super::*;

impl Engine {
    /// Builds an engine at step 0 (records the initial values).
    pub fn new(plan: &Plan, basis: &ModeBasis) -> Result<Engine, EngineError> {
        plan.validate()?;
        basis.validate()?;
        let m = basis.modes.len();
        let dt = plan.dt;
        let bands: Vec<Band> = basis.modes.iter().map(|mode| mode.band).collect();
        let mode_region: Vec<Option<usize>> = basis.modes.iter().map(|mode| mode.region).collect();
        let base_omega: Vec<f64> = basis
            .modes
            .iter()
            .map(|mode| std::f64::consts::TAU * mode.frequency_hz)
            .collect();
        let mut band_count = [0usize; 3];
        for band in &bands {
            band_count[band.index()] += 1;
        }
        let kappa = bands.iter().map(|b| plan.sinks.affinity.get(*b)).collect();
        let n_regions = basis.region_names.len();
        let region_weights =
            |what: &str, list: &[anneal_plan::RegionWeight]| -> Result<Vec<f64>, EngineError> {
                // Per mode: the band weight is applied by the caller; here the region weight.
                if list.is_empty() {
                    return Ok(vec![1.0; m]);
                }
                let mut by_region = vec![0.0; n_regions];
                for entry in list {
                    let r = basis.region_index(&entry.region).ok_or_else(|| {
                        EngineError::Mismatch(format!("{what}: unknown region `{}`", entry.region))
                    })?;
                    by_region[r] += entry.weight;
                }
                Ok((0..m)
                    .map(|mode| match basis.modes[mode].region {
                        Some(r) => by_region[r],
                        // A global mode takes the weights in proportion to its mass in each region.
                        None => basis.region_mass[mode]
                            .iter()
                            .zip(&by_region)
                            .map(|(a, b)| a * b)
                            .sum(),
                    })
                    .collect())
            };
        // Landscape first: content components refer to its patterns.
        let landscape = match &plan.landscape {
            Some(settings) => Some(build_landscape(plan, settings, basis)?),
            None => None,
        };
        let mut components = Vec::new();
        let mut drive_omega = Vec::new();
        let mut drive_gain = Vec::new();
        let mut metronome_omegas = Vec::new();
        for source in &plan.sources {
            for (index, component) in source.components.iter().enumerate() {
                let what = format!("source `{}` component {}", source.name, index + 1);
                let action = match &component.action {
                    Action::Broadband {
                        rate,
                        bands: weights,
                        regions,
                    } => {
                        let region_w = region_weights(&what, regions)?;
                        CompiledAction::Broadband {
                            rate_per_mode: (0..m)
                                .map(|i| rate * weights.get(bands[i]) * region_w[i])
                                .collect(),
                        }
                    }
                    Action::Drive {
                        frequency_hz,
                        amplitude,
                        bands: weights,
                        regions,
                        habituation,
                    } => {
                        let region_w = region_weights(&what, regions)?;
                        drive_omega.push(std::f64::consts::TAU * frequency_hz);
                        drive_gain.push(
                            (0..m)
                                .map(|i| amplitude * weights.get(bands[i]) * region_w[i])
                                .collect::<Vec<f64>>(),
                        );
                        CompiledAction::Drive {
                            slot: drive_omega.len() - 1,
                            habituation: habituation
                                .as_ref()
                                .map(|h| (h.time_constant_steps as f64, h.depth)),
                        }
                    }
                    Action::Metronome {
                        frequency_hz,
                        coupling,
                    } => {
                        let omega = std::f64::consts::TAU * frequency_hz;
                        metronome_omegas.push(omega);
                        CompiledAction::Metronome {
                            slot: metronome_omegas.len() - 1,
                            omega,
                            coupling: *coupling,
                        }
                    }
                    Action::SinkSuppression { level } => {
                        CompiledAction::Suppression { level: *level }
                    }
                    Action::SinkBoost { level } => CompiledAction::Boost { level: *level },
                    Action::Content { pattern, strength } => {
                        let run = landscape.as_ref().ok_or_else(|| {
                            EngineError::Mismatch(format!(
                                "{what}: a content pattern needs a landscape"
                            ))
                        })?;
                        let index = run
                            .pattern_names
                            .iter()
                            .position(|p| p == pattern)
                            .ok_or_else(|| {
                                EngineError::Mismatch(format!(
                                    "{what}: unknown pattern `{pattern}`"
                                ))
                            })?;
                        CompiledAction::Content {
                            pattern: index,
                            strength: *strength,
                        }
                    }
                    Action::WeakenCsh { delta_gamma, rate } => CompiledAction::Weaken {
                        delta_gamma: *delta_gamma,
                        rate: *rate,
                    },
                    Action::DetuneRegion { region, rate } => {
                        let regions = match region {
                            None => (0..n_regions).collect(),
                            Some(name) => vec![basis.region_index(name).ok_or_else(|| {
                                EngineError::Mismatch(format!("{what}: unknown region `{name}`"))
                            })?],
                        };
                        CompiledAction::Detune {
                            regions,
                            rate: *rate,
                        }
                    }
                    Action::Restore { rate } => CompiledAction::Restore { rate: *rate },
                };
                components.push(Compiled {
                    envelope: component.envelope.clone(),
                    scale: component.scale,
                    action,
                });
            }
        }
        // Locking pairs: every RSHW with every CSHW whose mass in its region is not negligible.
        let mut pairs = Vec::new();
        for j in 0..m {
            let (Band::Rsh, Some(r)) = (bands[j], mode_region[j]) else {
                continue;
            };
            for k in 0..m {
                if bands[k] != Band::Csh {
                    continue;
                }
                let overlap = basis.region_mass[k][r];
                if overlap >= plan.locking.prune_below && overlap > 0.0 {
                    pairs.push(LockPair::new(j, k, r, overlap));
                }
            }
        }
        let mut detune_reference = vec![None; n_regions];
        for (r, reference) in detune_reference.iter_mut().enumerate() {
            let lowest_rsh = (0..m)
                .filter(|&j| bands[j] == Band::Rsh && mode_region[j] == Some(r))
                .min_by(|a, b| base_omega[*a].total_cmp(&base_omega[*b]));
            let heaviest_csh = (0..m).filter(|&k| bands[k] == Band::Csh).max_by(|a, b| {
                basis.region_mass[*a][r]
                    .total_cmp(&basis.region_mass[*b][r])
                    .then(b.cmp(a))
            });
            if let (Some(j), Some(k)) = (lowest_rsh, heaviest_csh) {
                *reference = Some((j, k));
            }
        }
        let initial_field = match &plan.field.initial {
            FieldInit::Zero => (vec![0.0; m], vec![0.0; m]),
            FieldInit::Amplitudes { values } => {
                if values.len() != m {
                    return Err(EngineError::Mismatch(format!(
                        "{} initial amplitudes for {m} modes",
                        values.len()
                    )));
                }
                if values.iter().flatten().any(|v| !v.is_finite()) {
                    return Err(EngineError::Mismatch(
                        "initial amplitudes must be finite".into(),
                    ));
                }
                (
                    values.iter().map(|v| v[0]).collect(),
                    values.iter().map(|v| v[1]).collect(),
                )
            }
            // Drawn below, once the bath targets Θ*_m(0) are known.
            FieldInit::Equilibrium => (vec![0.0; m], vec![0.0; m]),
        };
        let n_pairs = pairs.len();
        let n_drives = drive_omega.len();
        let mut engine = Engine {
            plan_hash: plan.content_hash(),
            plan: plan.clone(),
            dt,
            bands,
            mode_region,
            omega: base_omega.clone(),
            base_omega,
            band_count,
            kappa,
            region_names: basis.region_names.clone(),
            audible_scale: plan.metrics.reference_hz / basis.fundamental_hz(),
            components,
            drive_omega,
            drive_gain,
            metronome_links: vec![Vec::new(); metronome_omegas.len()],
            pairs,
            detune_reference,
            coefficients: StepCoefficients::default(),
            coefficient_key: Vec::new(),
            key_scratch: Vec::new(),
            noisy: false,
            drive_phasor: vec![(0.0, 0.0); n_drives],
            gamma: vec![0.0; m],
            theta_star: vec![0.0; m],
            injection: vec![0.0; m],
            demod_rotation: Vec::new(),
            envelope_values: Vec::new(),
            dtheta: vec![0.0; m],
            coupling: PairCoupling::default(),
            energy: vec![0.0; m],
            kernels: RefCell::new(None),
            landscape,
            failure: None,
            step: 0,
            z_re: initial_field.0,
            z_im: initial_field.1,
            noise: Stream::new(plan.seed, stream::FIELD_NOISE),
            mean_energy: vec![0.0; m],
            bath_energy: vec![0.0; m],
            windowed_bath: vec![0.0; m],
            demod_re: vec![0.0; m],
            demod_im: vec![0.0; m],
            phasor_re: vec![1.0; m],
            phasor_im: vec![0.0; m],
            pair_index_re: vec![0.0; n_pairs],
            pair_index_im: vec![0.0; n_pairs],
            exposure: vec![0.0; n_drives],
            delta_gamma: vec![0.0; m],
            detuning: vec![0.0; n_regions],
            cooling_clock: CoolingClock::new(&plan.cooling),
            current: Current::default(),
            recorder: Recorder::default(),
        };
        engine.frequencies_changed();
        engine.coupling = PairCoupling::new(&engine.pairs, m, engine.plan.locking.epsilon);
        let theta0 = engine.cooling_clock.theta(&engine.plan.cooling, 0);
        engine.evaluate_inputs(0, theta0)?;
        if engine.plan.field.initial == FieldInit::Equilibrium {
            // Each mode starts in its stationary law at step 0: complex normal of variance Θ*_m.
            let mut rng = Stream::new(engine.plan.seed, stream::INITIAL_FIELD);
            for i in 0..m {
                let scale = (0.5 * engine.theta_star[i]).sqrt();
                let (a, b) = rng.normal_pair();
                engine.z_re[i] = scale * a;
                engine.z_im[i] = scale * b;
            }
        }
        // The moving averages start from the initial field so that early windows are unbiased;
        // the windowed energy of a field drawn from its stationary law starts at that law's
        // mean Θ*_m rather than at the single draw, whose exponential spread would otherwise
        // make the first seconds of T̄ and of the neutral field (a square root of the excess)
        // noise: it disintegrated the landscape within a second of rest.
        let equilibrium = engine.plan.field.initial == FieldInit::Equilibrium;
        for i in 0..m {
            let e = engine.z_re[i] * engine.z_re[i] + engine.z_im[i] * engine.z_im[i];
            engine.energy[i] = e;
            engine.mean_energy[i] = if equilibrium { engine.theta_star[i] } else { e };
            // The bath reference starts at the bath: for the stationary start, the bath's share
            // Θ of the law's mean Θ*_m; the rest of Θ*_m is injected.
            engine.bath_energy[i] = theta0;
            engine.windowed_bath[i] = theta0;
            engine.demod_re[i] = engine.z_re[i];
            engine.demod_im[i] = engine.z_im[i];
        }
        engine.update_temperatures();
        if let Some(run) = &mut engine.landscape {
            run.field = vec![0.0; run.landscape.len()];
        }
        engine.check_finite()?;
        engine.check_record_names()?;
        engine.create_columns();
        engine.record_due();
        Ok(engine)
    }
}

/// Builds the landscape: patterns, couplings J⁰ (normalised structure + priors), spins.
fn build_landscape(
    plan: &Plan,
    settings: &anneal_plan::LandscapeSettings,
    basis: &ModeBasis,
) -> Result<LandscapeRun, EngineError> {
    let graph = &basis.landscape;
    let n = graph.node_names.len();
    let csh_modes: Vec<usize> = (0..basis.modes.len())
        .filter(|&m| basis.modes[m].band == Band::Csh)
        .collect();
    let mut pattern_names = Vec::new();
    let mut patterns = Vec::new();
    for (index, spec) in settings.patterns.iter().enumerate() {
        let spins = match &spec.kind {
            PatternKind::Explicit { spins } => {
                if spins.len() != n {
                    return Err(EngineError::Mismatch(format!(
                        "pattern `{}` has {} spins for {n} landscape nodes",
                        spec.name,
                        spins.len()
                    )));
                }
                spins_to_f64(spins)
            }
            PatternKind::Random => {
                let mut rng = Stream::new(plan.seed, stream::PATTERN_BASE + index as u64);
                (0..n)
                    .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
                    .collect()
            }
            PatternKind::Csh { mode } => {
                let projection = graph.csh_projection.get(*mode).ok_or_else(|| {
                    EngineError::Mismatch(format!(
                        "pattern `{}`: CSHW {mode} of {}",
                        spec.name,
                        csh_modes.len()
                    ))
                })?;
                projection
                    .iter()
                    .map(|v| if *v < 0.0 { -1.0 } else { 1.0 })
                    .collect()
            }
        };
        pattern_names.push(spec.name.clone());
        patterns.push(spins);
    }
    let mut couplings: std::collections::BTreeMap<(usize, usize), f64> =
        std::collections::BTreeMap::new();
    let largest = landscape::largest_eigenvalue(n, &graph.couplings);
    for &(i, j, w) in &graph.couplings {
        let value = if largest > 0.0 {
            settings.structure_weight * w / largest
        } else {
            0.0
        };
        *couplings.entry((i.min(j), i.max(j))).or_insert(0.0) += value;
    }
    let dense = n <= settings.dense_prior_limit;
    for prior in &settings.priors {
        let index = pattern_names
            .iter()
            .position(|p| *p == prior.pattern)
            .expect("validated prior pattern");
        let xi = &patterns[index];
        let scale = prior.strength / n as f64;
        if dense {
            for i in 0..n {
                for j in i + 1..n {
                    *couplings.entry((i, j)).or_insert(0.0) += scale * xi[i] * xi[j];
                }
            }
        } else {
            for &(i, j, _) in &graph.couplings {
                *couplings.entry((i.min(j), i.max(j))).or_insert(0.0) += scale * xi[i] * xi[j];
            }
        }
    }
    let list: Vec<(usize, usize, f64)> =
        couplings.into_iter().map(|((i, j), w)| (i, j, w)).collect();
    let mut landscape = Landscape::from_couplings(n, &list);
    let spins: Vec<f64> = match &settings.initial {
        SpinInit::AllUp => vec![1.0; n],
        SpinInit::Random => {
            let mut rng = Stream::new(plan.seed, stream::INITIAL_SPINS);
            (0..n)
                .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
                .collect()
        }
        SpinInit::Settled => {
            // Simulated annealing from disorder down to the resting landscape temperature,
            // then descent: the run starts in a deep attractor of the resting landscape, as a
            // brain at rest does, rather than in an arbitrary state whose domains coarsen
            // (and would be reported as disintegrations) during the first minutes.
            let mut rng = Stream::new(plan.seed, stream::INITIAL_SPINS);
            let start: Vec<f64> = (0..n)
                .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
                .collect();
            landscape.set_spins(&start);
            let no_field = vec![0.0; n];
            // Down to the resting search temperature: τ_L at T = 1, or the fixed one. A
            // geometric schedule cannot reach 0, so a zero-temperature search settles to a
            // hundredth of the start; the descent below finishes at zero.
            let rest = settings
                .fixed_temperature
                .unwrap_or(settings.temperature_ratio);
            let rest = if rest > 0.0 {
                rest
            } else {
                SETTLE_FROM_TEMPERATURE / 100.0
            };
            let hot = SETTLE_FROM_TEMPERATURE;
            for stage in 0..SETTLE_STAGES {
                let fraction = stage as f64 / (SETTLE_STAGES - 1) as f64;
                let temperature = hot * (rest / hot).powf(fraction);
                landscape.metropolis(
                    SETTLE_SWEEPS_PER_STAGE * n as u64,
                    temperature,
                    &no_field,
                    &mut rng,
                );
            }
            landscape.descend(&no_field);
            landscape.spins().to_vec()
        }
        SpinInit::Pattern { name } => {
            let index = pattern_names
                .iter()
                .position(|p| p == name)
                .expect("validated initial pattern");
            patterns[index].clone()
        }
    };
    landscape.set_spins(&spins);
    let projections = graph.csh_projection.clone();
    Ok(LandscapeRun {
        landscape,
        pattern_names,
        patterns,
        csh_modes,
        projections,
        field: vec![0.0; n],
        attractor: spins.clone(),
        window_start: spins,
        attractor_overlap: 1.0,
        windowed_attractor_overlap: 1.0,
        disintegrated: false,
        attempt_credit: 0.0,
        rng: Stream::new(plan.seed, stream::LANDSCAPE),
    })
}
