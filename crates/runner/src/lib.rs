//! From a script on disk to a results folder: check, build the connectome, lower to a plan,
//! compute the harmonics and the mode basis, estimate, run, judge the expectations and write
//! the results. The CLI's `plan` and `run` commands are thin layers over this module.

pub mod basis;
pub mod expect;
pub mod results;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use anneal_connectome::Connectome;
use anneal_diagnostics::{Diagnostic, SourceMap};
use anneal_engine::ModeBasis;
use anneal_plan::{MemoryEstimate, Plan, Quantity};
use anneal_semantics::lower::{LandscapeContext, Lowered, lower};
use anneal_semantics::program::Program;

/// Why a script cannot be prepared: diagnostics with spans (render them against `sources`).
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

/// A script compiled down to everything a run needs.
pub struct Prepared {
    pub program: Program,
    pub sources: SourceMap,
    /// Warnings of the check, the connectome import and the lowering.
    pub warnings: Vec<Diagnostic>,
    /// Import warnings of the connectome (data quirks), as text.
    pub connectome_notes: Vec<String>,
    pub connectome: Connectome,
    pub lowered: Lowered,
    pub basis: ModeBasis,
    /// Notes of the harmonics solver (regions with fewer modes than asked, ...).
    pub harmonics_notes: Vec<String>,
}

/// Checks, lowers and builds the basis of the script at `path`, with the seed replaced by
/// `seed` when given.
pub fn prepare(path: &Path, seed: Option<u64>) -> Result<Prepared, Box<Failure>> {
    let (mut program, sources, warnings) = checked_program(anneal_semantics::check_file(path))?;
    if let Some(seed) = seed {
        program.experiment.seed = seed;
    }
    let script_dir = path.parent().unwrap_or(Path::new("."));
    prepare_program(program, sources, warnings, script_dir)
}

/// The program of a check with its sources and warnings, or the check's errors (E0044 when
/// the file declares no experiment).
pub fn checked_program(
    checked: anneal_semantics::Checked,
) -> Result<(Program, SourceMap, Vec<Diagnostic>), Box<Failure>> {
    let warnings: Vec<Diagnostic> = checked
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .cloned()
        .collect();
    let sources = checked.sources;
    let Some(program) = checked.program.filter(|_| {
        !checked
            .diagnostics
            .iter()
            .any(anneal_diagnostics::Diagnostic::is_error)
    }) else {
        let mut diagnostics = checked.diagnostics;
        if !diagnostics.iter().any(Diagnostic::is_error) {
            diagnostics.push(
                Diagnostic::error(
                    "E0046",
                    anneal_diagnostics::FileId(0),
                    Default::default(),
                    "this file declares no experiment, so there is nothing to run",
                )
                .with_help(
                    "add an `experiment \"name\" { seed 1  dt 20 ms  duration 10 min }` block",
                ),
            );
        }
        return Err(Box::new(Failure {
            diagnostics,
            sources,
        }));
    };
    Ok((program, sources, warnings))
}

/// Builds the connectome, lowers and builds the basis of an already checked `program` (for
/// example one scenario item), whose files are in `sources` and whose relative paths are
/// relative to `script_dir`; `warnings` are the check's warnings, kept in the result.
pub fn prepare_program(
    program: Program,
    sources: SourceMap,
    mut warnings: Vec<Diagnostic>,
    script_dir: &Path,
) -> Result<Prepared, Box<Failure>> {
    let fail = |diagnostics: Vec<Diagnostic>, sources: SourceMap| {
        Box::new(Failure {
            diagnostics,
            sources,
        })
    };
    let (connectome, import_warnings) =
        match basis::build_connectome(&program.connectome.value, script_dir) {
            Ok(built) => built,
            Err(diagnostic) => return Err(fail(vec![*diagnostic], sources)),
        };
    let lowered = match lower_on(&program, &sources, &connectome) {
        Ok(lowered) => lowered,
        Err(diagnostics) => return Err(fail(diagnostics, sources)),
    };
    warnings.extend(lowered.warnings.iter().cloned());
    let (basis, harmonics_notes) = match basis::build_basis(&program, &connectome) {
        Ok(built) => built,
        Err(diagnostic) => return Err(fail(vec![*diagnostic], sources)),
    };
    Ok(Prepared {
        program,
        sources,
        warnings,
        connectome_notes: import_warnings,
        connectome,
        lowered,
        basis,
        harmonics_notes,
    })
}

fn lower_on(
    program: &Program,
    sources: &SourceMap,
    connectome: &Connectome,
) -> Result<Lowered, Vec<Diagnostic>> {
    let context = LandscapeContext {
        region_names: connectome
            .regions()
            .map(|r| r.names.clone())
            .unwrap_or_default(),
        node_count: connectome.n(),
    };
    lower(program, sources, &context)
}

/// Everything a program's connectome and mode basis are built from: programs that agree here
/// (the items of a sweep over seeds or cooling curves, say) can share one [`BuiltBasis`].
#[derive(Debug, Clone, PartialEq)]
pub struct BasisInputs {
    connectome: anneal_semantics::program::Connectome,
    harmonics: anneal_semantics::program::Harmonics,
    level: anneal_semantics::program::LandscapeLevel,
    declared: bool,
    couplings: anneal_semantics::program::Couplings,
}

impl BasisInputs {
    pub fn of(program: &Program) -> BasisInputs {
        BasisInputs {
            connectome: program.connectome.value.clone(),
            harmonics: program.harmonics.clone(),
            level: program.landscape.level,
            declared: program.landscape.declared,
            couplings: program.landscape.couplings,
        }
    }
}

/// A program's connectome and mode basis with their notes, built once by [`build_basis_of`]
/// and given to [`prepare_program_on`] for every program with the same [`BasisInputs`].
#[derive(Debug, Clone)]
pub struct BuiltBasis {
    pub connectome: Connectome,
    pub connectome_notes: Vec<String>,
    pub basis: ModeBasis,
    pub harmonics_notes: Vec<String>,
}

/// Builds the connectome and the mode basis of `program` (relative paths from `script_dir`).
pub fn build_basis_of(program: &Program, script_dir: &Path) -> Result<BuiltBasis, Box<Diagnostic>> {
    let (connectome, connectome_notes) =
        basis::build_connectome(&program.connectome.value, script_dir)?;
    let (basis, harmonics_notes) = basis::build_basis(program, &connectome)?;
    Ok(BuiltBasis {
        connectome,
        connectome_notes,
        basis,
        harmonics_notes,
    })
}

/// [`prepare_program`] on a basis already built (by [`build_basis_of`] for a program with the
/// same [`BasisInputs`]): only the lowering is left to do.
pub fn prepare_program_on(
    program: Program,
    sources: SourceMap,
    mut warnings: Vec<Diagnostic>,
    built: BuiltBasis,
) -> Result<Prepared, Box<Failure>> {
    let lowered = match lower_on(&program, &sources, &built.connectome) {
        Ok(lowered) => lowered,
        Err(diagnostics) => {
            return Err(Box::new(Failure {
                diagnostics,
                sources,
            }));
        }
    };
    warnings.extend(lowered.warnings.iter().cloned());
    Ok(Prepared {
        program,
        sources,
        warnings,
        connectome_notes: built.connectome_notes,
        connectome: built.connectome,
        lowered,
        basis: built.basis,
        harmonics_notes: built.harmonics_notes,
    })
}

/// Memory and run-time estimates, known before anything large is allocated.
#[derive(Debug, Clone, Serialize)]
pub struct Estimates {
    pub memory_bytes: u64,
    pub state_bytes: u64,
    pub record_bytes: u64,
    /// Wall-clock seconds on one core of the 2-vCPU build machine (docs/performance.md), from
    /// the measured costs per mode-step, per locking pair-step and per Metropolis attempt; an
    /// upper bound on the locking, whose pairs are pruned by overlap when the engine starts.
    pub run_seconds: f64,
}

/// Measured costs (docs/performance.md, "Engine"): nanoseconds per element.
const NS_PER_MODE_STEP: f64 = 45.0;
const NS_PER_PAIR_STEP: f64 = 80.0;
const NS_PER_METROPOLIS_ATTEMPT: f64 = 65.0;
/// The spectrum metrics cost one kernel evaluation per mode pair per recorded valence sample.
const NS_PER_SPECTRUM_PAIR: f64 = 5.0;

pub fn estimates(plan: &Plan, basis: &ModeBasis) -> Estimates {
    let memory: MemoryEstimate = plan.memory_estimate(&basis.shape());
    let modes = basis.modes.len() as f64;
    let csh = basis
        .modes
        .iter()
        .filter(|m| m.band == anneal_plan::Band::Csh)
        .count() as f64;
    let rsh = basis
        .modes
        .iter()
        .filter(|m| m.band == anneal_plan::Band::Rsh)
        .count() as f64;
    let steps = plan.n_steps as f64;
    let pairs = if plan.locking.epsilon > 0.0 {
        csh * rsh
    } else {
        0.0
    };
    let mut ns = steps * (modes * NS_PER_MODE_STEP + pairs * NS_PER_PAIR_STEP);
    if let Some(landscape) = &plan.landscape {
        let attempts =
            landscape.sweeps_per_second * plan.dt * steps * basis.landscape.node_names.len() as f64;
        ns += attempts * NS_PER_METROPOLIS_ATTEMPT;
    }
    for item in &plan.record.items {
        if matches!(
            item.quantity,
            Quantity::Valence | Quantity::Consonance | Quantity::Dissonance
        ) {
            ns += (steps / item.every_steps as f64) * modes * modes * NS_PER_SPECTRUM_PAIR;
        }
    }
    Estimates {
        memory_bytes: memory.total(),
        state_bytes: memory.state_bytes,
        record_bytes: memory.record_bytes,
        run_seconds: ns * 1e-9,
    }
}

/// Half of the machine's memory (from `/proc/meminfo`), or 4 GiB where that is unknown.
pub fn default_memory_limit() -> u64 {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("MemTotal:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024);
    total.map_or(4 << 30, |bytes| bytes / 2)
}

/// Parses `512MB`, `2 GB`, `1.5GiB`, `100000` (bytes).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size such as 512MB or 2GB"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown size unit `{other}` (use B, KB, MB, GB, TB, KiB, MiB, GiB)"
            ));
        }
    };
    let bytes = value * factor;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(format!("`{text}` is not a usable size"));
    }
    Ok(bytes as u64)
}

/// Human-readable bytes.
pub fn format_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} KB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}

/// The refusal of a run over the memory limit, before anything is allocated (E0045).
pub fn check_memory(prepared: &Prepared, estimate: &Estimates, limit: u64) -> Option<Diagnostic> {
    (estimate.memory_bytes > limit).then(|| {
        let at = prepared.program.experiment.loc;
        Diagnostic::error(
            "E0045",
            at.file,
            at.span,
            format!(
                "this run needs about {} ({} engine state, {} recorded columns), over the limit of {}",
                format_bytes(estimate.memory_bytes),
                format_bytes(estimate.state_bytes),
                format_bytes(estimate.record_bytes),
                format_bytes(limit)
            ),
        )
        .with_label(at.span, "this experiment")
        .with_help("record less often or fewer quantities, use fewer modes, or raise --max-memory")
    })
}

/// The plan document `anneal plan` prints.
#[derive(Debug, Serialize)]
pub struct PlanDocument<'a> {
    pub plan_hash: String,
    pub provenance: ProvenanceDocument,
    pub basis: BasisSummary,
    pub estimates: Estimates,
    pub plan: &'a Plan,
}

/// Where a plan came from.
#[derive(Debug, Clone, Serialize)]
pub struct ProvenanceDocument {
    pub anneal_version: String,
    pub sources: BTreeMap<String, String>,
    pub seed: u64,
    pub connectome_hash: String,
}

/// The size of the mode basis.
#[derive(Debug, Clone, Serialize)]
pub struct BasisSummary {
    pub nodes: usize,
    pub csh: usize,
    pub rsh: usize,
    pub ssh: usize,
    pub landscape_nodes: usize,
    pub lowest_frequency_hz: f64,
    pub highest_frequency_hz: f64,
}

impl Prepared {
    pub fn provenance(&self) -> ProvenanceDocument {
        ProvenanceDocument {
            anneal_version: env!("CARGO_PKG_VERSION").to_string(),
            sources: self.lowered.source_hashes.clone(),
            seed: self.lowered.plan.seed,
            connectome_hash: self.connectome.content_hash(),
        }
    }

    pub fn basis_summary(&self) -> BasisSummary {
        let count = |band| self.basis.modes.iter().filter(|m| m.band == band).count();
        let frequencies = self.basis.modes.iter().map(|m| m.frequency_hz);
        BasisSummary {
            nodes: self.connectome.n(),
            csh: count(anneal_plan::Band::Csh),
            rsh: count(anneal_plan::Band::Rsh),
            ssh: count(anneal_plan::Band::Ssh),
            landscape_nodes: self.basis.landscape.node_names.len(),
            lowest_frequency_hz: frequencies.clone().fold(f64::INFINITY, f64::min),
            highest_frequency_hz: frequencies.fold(0.0, f64::max),
        }
    }

    pub fn plan_document(&self) -> PlanDocument<'_> {
        PlanDocument {
            plan_hash: self.lowered.plan.content_hash(),
            provenance: self.provenance(),
            basis: self.basis_summary(),
            estimates: estimates(&self.lowered.plan, &self.basis),
            plan: &self.lowered.plan,
        }
    }

    /// The default results folder: the script's `record ... to "DIR"` (relative to the script)
    /// or `results/STEM` in the current directory.
    pub fn default_output(&self, script: &Path) -> PathBuf {
        match &self.program.record.destination {
            Some(destination) => script.parent().unwrap_or(Path::new(".")).join(destination),
            None => Path::new("results").join(
                script
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "run".into()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_decimal_and_binary_units() {
        assert_eq!(parse_bytes("512MB"), Ok(512_000_000));
        assert_eq!(parse_bytes("2 GB"), Ok(2_000_000_000));
        assert_eq!(parse_bytes("1.5GiB"), Ok(1_610_612_736));
        assert_eq!(parse_bytes("100000"), Ok(100_000));
        assert!(parse_bytes("12 parsecs").is_err());
        assert!(parse_bytes("MB").is_err());
        assert!(parse_bytes("-3MB").is_err());
    }
}
