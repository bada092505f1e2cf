//! Validation of a plan: every number and reference checked before an engine is built from it.

use super::*;

pub(crate) fn check(
    what: impl Into<String>,
    value: f64,
    ok: bool,
    requirement: &'static str,
) -> Result<(), PlanError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(PlanError::OutOfRange {
            what: what.into(),
            requirement,
            value,
        })
    }
}

fn check_table(what: &str, points: &[TablePoint]) -> Result<(), PlanError> {
    if points.is_empty() {
        return Err(PlanError::Invalid(format!(
            "{what}: a table needs at least one point"
        )));
    }
    for pair in points.windows(2) {
        if pair[1].step <= pair[0].step {
            return Err(PlanError::Invalid(format!(
                "{what}: table steps must increase strictly ({} then {})",
                pair[0].step, pair[1].step
            )));
        }
    }
    for point in points {
        check(
            format!("{what} value at step {}", point.step),
            point.value,
            true,
            "finite",
        )?;
    }
    Ok(())
}

fn check_bands(what: &str, bands: &BandWeights) -> Result<(), PlanError> {
    for band in Band::ALL {
        let value = bands.get(band);
        check(
            format!("{what} weight of band {}", band.name()),
            value,
            value >= 0.0,
            "≥ 0",
        )?;
    }
    Ok(())
}

impl Plan {
    /// Checks every number and reference that does not need the basis. The engine checks the
    /// rest (region and pattern names, initial amplitudes) when it is built.
    pub fn validate(&self) -> Result<(), PlanError> {
        check("dt", self.dt, self.dt > 0.0, "> 0 seconds")?;
        check(
            "field.gamma0",
            self.field.gamma0,
            self.field.gamma0 >= 0.0,
            "≥ 0",
        )?;
        check(
            "field.theta_rest",
            self.field.theta_rest,
            self.field.theta_rest > 0.0,
            "> 0",
        )?;
        let tp = self.field.plastic_temperature;
        check("field.plastic_temperature", tp, tp > 1.0, "> 1 (rest)")?;
        check("sinks.gain", self.sinks.gain, self.sinks.gain >= 0.0, "≥ 0")?;
        check_bands("sinks.affinity", &self.sinks.affinity)?;
        match &self.sinks.profile {
            Profile::Constant { value } => check("sink profile", *value, *value >= 0.0, "≥ 0")?,
            Profile::Ramp {
                start_step,
                end_step,
                from,
                to,
            } => {
                check("sink ramp from", *from, *from >= 0.0, "≥ 0")?;
                check("sink ramp to", *to, *to >= 0.0, "≥ 0")?;
                if end_step < start_step {
                    return Err(PlanError::Invalid("sink ramp ends before it starts".into()));
                }
            }
            Profile::Table { points } => {
                check_table("sink table", points)?;
                for point in points {
                    check("sink table value", point.value, point.value >= 0.0, "≥ 0")?;
                }
            }
            Profile::Shaped { curve } => {
                check("sink curve from", curve.from, curve.from >= 0.0, "≥ 0")?;
                check("sink curve to", curve.to, curve.to >= 0.0, "≥ 0")?;
                if curve.scale_steps == 0 {
                    return Err(PlanError::Invalid(
                        "sink curve time scale must be at least one step".into(),
                    ));
                }
                if let CoolingShape::Geometric { ratio } = curve.shape {
                    check(
                        "sink geometric ratio",
                        ratio,
                        (0.0..=1.0).contains(&ratio),
                        "in [0, 1]",
                    )?;
                }
                if curve.reheat.is_some() || matches!(curve.shape, CoolingShape::Table { .. }) {
                    return Err(PlanError::Invalid(
                        "a shaped sink curve neither reheats nor is a table".into(),
                    ));
                }
            }
        }
        let cooling = &self.cooling;
        check("cooling.from", cooling.from, cooling.from >= 0.0, "≥ 0")?;
        check("cooling.to", cooling.to, cooling.to >= 0.0, "≥ 0")?;
        if cooling.scale_steps == 0 {
            return Err(PlanError::Invalid(
                "cooling time scale must be at least one step".into(),
            ));
        }
        if let CoolingShape::Geometric { ratio } = cooling.shape {
            check(
                "cooling geometric ratio",
                ratio,
                (0.0..=1.0).contains(&ratio),
                "in [0, 1]",
            )?;
        }
        if let CoolingShape::Table { points } = &cooling.shape {
            check_table("cooling table", points)?;
            for point in points {
                check(
                    "cooling table value",
                    point.value,
                    point.value >= 0.0,
                    "≥ 0",
                )?;
            }
        }
        match &cooling.reheat {
            Some(Reheat::Every { period_steps: 0 }) => {
                return Err(PlanError::Invalid(
                    "reheating period must be at least one step".into(),
                ));
            }
            Some(Reheat::AfterStall {
                window_steps,
                tolerance,
            }) => {
                if *window_steps == 0 {
                    return Err(PlanError::Invalid(
                        "reheating stall window must be at least one step".into(),
                    ));
                }
                check("reheat tolerance", *tolerance, *tolerance >= 0.0, "≥ 0")?;
            }
            _ => {}
        }
        let locking = &self.locking;
        check(
            "locking.epsilon",
            locking.epsilon,
            locking.epsilon >= 0.0,
            "≥ 0",
        )?;
        if locking.max_denominator == 0 {
            return Err(PlanError::Invalid(
                "locking.max_denominator must be at least 1".into(),
            ));
        }
        check(
            "locking.prune_below",
            locking.prune_below,
            locking.prune_below >= 0.0,
            "≥ 0",
        )?;
        if locking.window_steps == 0 || self.metrics.window_steps == 0 {
            return Err(PlanError::Invalid(
                "averaging windows must be at least one step".into(),
            ));
        }
        check(
            "metrics.reference_hz",
            self.metrics.reference_hz,
            self.metrics.reference_hz > 0.0,
            "> 0",
        )?;
        // The phase update of the locking is explicit (operator splitting), so the largest
        // phase kick per step must stay well below one radian or the scheme stops tracking
        // the continuous dynamics. This is reported, never clamped.
        let mut strongest = locking.epsilon;
        for source in &self.sources {
            for component in &source.components {
                if let Action::Metronome { coupling, .. } = component.action {
                    strongest = strongest
                        .max(coupling * component.scale.abs() * envelope_peak(&component.envelope));
                }
            }
        }
        if strongest * self.dt > 0.5 {
            return Err(PlanError::Invalid(format!(
                "locking coupling × dt = {} exceeds 0.5 rad per step; use a smaller dt",
                strongest * self.dt
            )));
        }
        for (source_index, source) in self.sources.iter().enumerate() {
            for (index, component) in source.components.iter().enumerate() {
                let what = format!("source `{}` component {}", source.name, index + 1);
                self.validate_component(&what, component)
                    .map_err(|error| PlanError::InSource {
                        source_index,
                        error: Box::new(error),
                    })?;
            }
        }
        if let Some(landscape) = &self.landscape {
            validate_landscape(landscape)?;
        }
        for item in &self.record.items {
            if item.every_steps == 0 {
                return Err(PlanError::Invalid(format!(
                    "record {:?}: every must be at least one step",
                    item.quantity
                )));
            }
        }
        Ok(())
    }

    fn validate_component(&self, what: &str, component: &Component) -> Result<(), PlanError> {
        check(format!("{what} scale"), component.scale, true, "finite")?;
        match &component.envelope {
            Envelope::Bateman {
                dose,
                absorption_rate,
                elimination_rate,
                ..
            } => {
                check(format!("{what} dose"), *dose, *dose >= 0.0, "≥ 0")?;
                check(
                    format!("{what} absorption rate"),
                    *absorption_rate,
                    *absorption_rate > 0.0,
                    "> 0",
                )?;
                check(
                    format!("{what} elimination rate"),
                    *elimination_rate,
                    *elimination_rate > 0.0,
                    "> 0",
                )?;
            }
            Envelope::Table { points } => check_table(what, points)?,
            _ => {}
        }
        match &component.action {
            Action::Broadband {
                rate,
                bands,
                regions,
            } => {
                check(format!("{what} rate"), *rate, true, "finite")?;
                check_bands(what, bands)?;
                check_regions(what, regions)?;
            }
            Action::Drive {
                frequency_hz,
                amplitude,
                bands,
                regions,
                habituation,
            } => {
                check(
                    format!("{what} frequency"),
                    *frequency_hz,
                    *frequency_hz >= 0.0,
                    "≥ 0 Hz",
                )?;
                check(format!("{what} amplitude"), *amplitude, true, "finite")?;
                check_bands(what, bands)?;
                check_regions(what, regions)?;
                if let Some(habituation) = habituation {
                    if habituation.time_constant_steps == 0 {
                        return Err(PlanError::Invalid(format!(
                            "{what}: habituation time constant must be ≥ 1 step"
                        )));
                    }
                    let depth = habituation.depth;
                    check(
                        format!("{what} habituation depth"),
                        depth,
                        (0.0..=1.0).contains(&depth),
                        "in [0, 1]",
                    )?;
                }
            }
            Action::Metronome {
                frequency_hz,
                coupling,
            } => {
                check(
                    format!("{what} metronome frequency"),
                    *frequency_hz,
                    *frequency_hz > 0.0,
                    "> 0 Hz",
                )?;
                check(
                    format!("{what} metronome coupling"),
                    *coupling,
                    *coupling >= 0.0,
                    "≥ 0",
                )?;
            }
            Action::SinkSuppression { level } => {
                check(
                    format!("{what} suppression"),
                    *level,
                    (0.0..=1.0).contains(level),
                    "in [0, 1]",
                )?;
                let peak = component.scale.abs() * envelope_peak(&component.envelope);
                check(
                    format!("{what} suppression × envelope peak"),
                    *level * peak,
                    *level * peak <= 1.0,
                    "≤ 1",
                )?;
            }
            Action::SinkBoost { level } => {
                check(format!("{what} sink boost"), *level, *level >= 0.0, "≥ 0")?;
                // A negative scale or table value would turn the boost into a suppression
                // without the [0, 1] bound that suppression has, so the boost stays ≥ 0.
                check(
                    format!("{what} sink boost scale"),
                    component.scale,
                    component.scale >= 0.0,
                    "≥ 0",
                )?;
                if let Envelope::Table { points } = &component.envelope
                    && let Some(point) = points.iter().find(|p| p.value < 0.0)
                {
                    check(
                        format!("{what} sink boost envelope at step {}", point.step),
                        point.value,
                        false,
                        "≥ 0",
                    )?;
                }
            }
            Action::Content { strength, .. } => {
                check(format!("{what} strength"), *strength, true, "finite")?
            }
            Action::WeakenCsh { delta_gamma, rate } => {
                check(
                    format!("{what} delta_gamma"),
                    *delta_gamma,
                    *delta_gamma >= 0.0,
                    "≥ 0",
                )?;
                check(format!("{what} rate"), *rate, *rate >= 0.0, "≥ 0")?;
            }
            Action::DetuneRegion { rate, .. } | Action::Restore { rate } => {
                check(format!("{what} rate"), *rate, *rate >= 0.0, "≥ 0")?;
            }
        }
        Ok(())
    }
}

fn check_regions(what: &str, regions: &[RegionWeight]) -> Result<(), PlanError> {
    for region in regions {
        check(
            format!("{what} weight of region {}", region.region),
            region.weight,
            region.weight >= 0.0,
            "≥ 0",
        )?;
    }
    Ok(())
}

fn validate_landscape(landscape: &LandscapeSettings) -> Result<(), PlanError> {
    check(
        "landscape.temperature_ratio",
        landscape.temperature_ratio,
        landscape.temperature_ratio > 0.0,
        "> 0",
    )?;
    if let Some(fixed) = landscape.fixed_temperature {
        check(
            "landscape.fixed_temperature",
            fixed,
            fixed >= 0.0,
            "≥ 0 (0 is a zero-temperature search)",
        )?;
    }
    check(
        "landscape.sweeps_per_second",
        landscape.sweeps_per_second,
        landscape.sweeps_per_second >= 0.0,
        "≥ 0",
    )?;
    check(
        "landscape.structure_weight",
        landscape.structure_weight,
        true,
        "finite",
    )?;
    check(
        "landscape.neutral_field_gain",
        landscape.neutral_field_gain,
        true,
        "finite",
    )?;
    check(
        "landscape.hebb_rate",
        landscape.hebb_rate,
        landscape.hebb_rate >= 0.0,
        "≥ 0",
    )?;
    check(
        "landscape.relax_rate",
        landscape.relax_rate,
        landscape.relax_rate >= 0.0,
        "≥ 0",
    )?;
    check(
        "landscape.disintegration_overlap",
        landscape.disintegration_overlap,
        (-1.0..=1.0).contains(&landscape.disintegration_overlap),
        "in [−1, 1]",
    )?;
    check(
        "landscape.crystallisation_temperature",
        landscape.crystallisation_temperature,
        true,
        "finite",
    )?;
    if landscape.field_every_steps == 0 {
        return Err(PlanError::Invalid(
            "landscape field update interval must be at least one step".into(),
        ));
    }
    if landscape.crystallisation_window_steps == 0 {
        return Err(PlanError::Invalid(
            "crystallisation window must be at least one step".into(),
        ));
    }
    let mut names: Vec<&str> = landscape.patterns.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(PlanError::Invalid(
            "two landscape patterns share a name".into(),
        ));
    }
    for pattern in &landscape.patterns {
        if let PatternKind::Explicit { spins } = &pattern.kind
            && spins.iter().any(|s| *s != 1 && *s != -1)
        {
            return Err(PlanError::Invalid(format!(
                "pattern `{}`: spins must be −1 or +1",
                pattern.name
            )));
        }
    }
    for prior in &landscape.priors {
        check(
            format!("prior `{}` strength", prior.pattern),
            prior.strength,
            true,
            "finite",
        )?;
        if !names.contains(&prior.pattern.as_str()) {
            return Err(PlanError::Invalid(format!(
                "prior names unknown pattern `{}`",
                prior.pattern
            )));
        }
    }
    if let SpinInit::Pattern { name } = &landscape.initial
        && !names.contains(&name.as_str())
    {
        return Err(PlanError::Invalid(format!(
            "initial spins name unknown pattern `{name}`"
        )));
    }
    Ok(())
}
