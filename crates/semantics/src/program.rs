//! The checked and evaluated program: what the next stage (lowering to an engine plan) reads.
//!
//! All quantities are `f64` in SI base units (seconds, hertz, metres) with their dimension, and
//! every value keeps the location ([`Loc`]: file and byte span) of the expression that produced it,
//! so later stages can report errors such as "event time not a multiple of dt" at the right place.
//! Maps are `BTreeMap`s or sorted vectors, so iteration order (and any output) is stable.

use crate::units::Dim;
use anneal_diagnostics::FileId;
use anneal_syntax::ast::Span;
use std::collections::BTreeMap;

/// Where a value came from: a file (script, imported file or stdlib module) and a byte span in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

/// A number in SI base units with its dimension and origin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scalar {
    pub value: f64,
    pub dim: Dim,
    pub loc: Loc,
}

/// The whole experiment a script describes.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub experiment: Experiment,
    pub connectome: NamedConnectome,
    pub harmonics: Harmonics,
    pub sinks: Sinks,
    /// The bath temperature schedule Θ(t) (model.md §4). `constant(level: 1)` when not declared.
    pub cooling: Curve,
    /// Named sources in declaration order.
    pub sources: Vec<NamedSource>,
    pub landscape: Landscape,
    pub record: RecordSpec,
    pub expectations: Vec<Expectation>,
    pub scenarios: Vec<Scenario>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    pub name: String,
    /// Whole number ≥ 0.
    pub seed: u64,
    pub seed_loc: Loc,
    /// Time step (s), > 0.
    pub dt: Scalar,
    /// Total simulated time (s), ≥ dt.
    pub duration: Scalar,
    /// Recording starts at this time (s); 0 unless `record_from` is set.
    pub record_from: Scalar,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NamedConnectome {
    pub name: String,
    pub value: Connectome,
}

/// A connectome expression, evaluated and checked once: which constructor of the builtins table,
/// with its arguments typed (whole counts, lengths in metres, paths as written, defaults filled
/// in). The runner builds the graph from it with one match; argument meanings are documented in
/// `semantics::builtins`.
#[derive(Clone, Debug, PartialEq)]
pub struct Connectome {
    pub kind: ConnectomeKind,
    pub loc: Loc,
}

/// The connectome constructors, one variant each.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnectomeKind {
    Ring {
        nodes: usize,
        neighbours: usize,
        weight: f64,
    },
    Lattice {
        rows: usize,
        columns: usize,
        periodic: bool,
    },
    SmallWorld {
        nodes: usize,
        neighbours: usize,
        rewire: f64,
        seed: u64,
    },
    Modular {
        modules: usize,
        levels: u32,
        size: usize,
        inside: f64,
        between: f64,
        seed: u64,
    },
    Complete {
        nodes: usize,
    },
    RandomGeometric {
        nodes: usize,
        radius: f64,
        seed: u64,
    },
    /// A TVB connectivity zip.
    Tvb {
        path: String,
    },
    /// A cortical surface mesh with its region mapping and region connectivity.
    Surface {
        mesh: String,
        mapping: String,
        regions: String,
    },
    /// A CSV edge list `i,j,w`.
    EdgeList {
        path: String,
    },
    /// A CSV dense weight matrix.
    Matrix {
        path: String,
    },
    HumanCortex,
    HumanRegions,
    /// A brain with body nodes attached by nerves of `nerve_length` metres, to the regions named
    /// in `attach` (all nodes when empty).
    WithSensorium {
        base: Box<Connectome>,
        nodes: usize,
        nerve_length: f64,
        attach: Vec<String>,
    },
}

impl ConnectomeKind {
    /// The builtin's name, as scripts write it.
    pub fn constructor(&self) -> &'static str {
        match self {
            ConnectomeKind::Ring { .. } => "ring",
            ConnectomeKind::Lattice { .. } => "lattice",
            ConnectomeKind::SmallWorld { .. } => "small_world",
            ConnectomeKind::Modular { .. } => "modular",
            ConnectomeKind::Complete { .. } => "complete",
            ConnectomeKind::RandomGeometric { .. } => "random_geometric",
            ConnectomeKind::Tvb { .. } => "tvb",
            ConnectomeKind::Surface { .. } => "surface",
            ConnectomeKind::EdgeList { .. } => "edge_list",
            ConnectomeKind::Matrix { .. } => "matrix",
            ConnectomeKind::HumanCortex => "human_cortex",
            ConnectomeKind::HumanRegions => "human_regions",
            ConnectomeKind::WithSensorium { .. } => "with_sensorium",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaplacianKind {
    /// L = D − W
    Combinatorial,
    /// L_sym = I − D^{-1/2} W D^{-1/2} (default)
    Normalized,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Harmonics {
    /// Name of the connectome the modes are computed on.
    pub connectome: String,
    pub laplacian: LaplacianKind,
    /// Number of CSHWs (whole number ≥ 1; default 100).
    pub modes: u32,
    /// RSHWs per region (default 0 = none).
    pub regional_per_region: u32,
    /// Number of SSHWs (default 0; needs a connectome with a sensorium).
    pub sensory: u32,
    /// f_1, the frequency of the lowest non-constant CSHW (Hz; default 1 Hz).
    pub fundamental: Scalar,
    pub loc: Loc,
}

/// Band weights {csh, rsh, ssh}: plain numbers ≥ 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bands {
    pub csh: f64,
    pub rsh: f64,
    pub ssh: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Sinks {
    /// g_sink (default 1).
    pub gain: Scalar,
    /// κ per band (defaults csh 0.25, rsh 1.0, ssh 0.1).
    pub affinity: Bands,
    /// σ(t), dimensionless (default constant 1).
    pub schedule: Curve,
    pub loc: Loc,
}

/// A schedule over time: a cooling curve Θ(t) or a sink schedule σ(t). `kind` names the builtin
/// that made it (`constant`, `linear`, `exponential`, `logarithmic`, `cauchy`, `quadratic`,
/// `trigonometric`, `table`, `ramp`, `reheating`); `params` holds its arguments by name in SI units
/// (for example `from`, `to`, `tau` for `exponential`; see `semantics::builtins` for each kind).
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub kind: &'static str,
    pub params: BTreeMap<&'static str, Scalar>,
    /// `(time, value)` points of a `table` curve, times strictly increasing (s).
    pub table: Vec<(Scalar, Scalar)>,
    /// The curve that `reheating` restarts.
    pub base: Option<Box<Curve>>,
    pub loc: Loc,
}

impl Curve {
    pub fn param(&self, name: &str) -> Option<f64> {
        self.params.get(name).map(|s| s.value)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NamedSource {
    pub name: String,
    pub source: Source,
    pub loc: Loc,
}

/// A source: a sum of components of the generic primitive (`a + b` concatenates components;
/// `k * a` multiplies every component's scale by k).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Source {
    pub components: Vec<SourceComponent>,
}

impl Source {
    /// The interval `[start, end]` (s) during which any component's envelope is non-zero, used by
    /// windows `during:`, `before:` and `after:`. `None` for a source with no components.
    pub fn active_interval(&self) -> Option<(f64, f64)> {
        let mut interval: Option<(f64, f64)> = None;
        for component in &self.components {
            let (start, end) = component.envelope.interval();
            interval = Some(match interval {
                None => (start, end),
                Some((a, b)) => (a.min(start), b.max(end)),
            });
        }
        interval
    }
}

/// One use of the generic source primitive.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceComponent {
    /// Amplitude factor from `k * source` (default 1).
    pub scale: f64,
    pub envelope: Envelope,
    pub parts: Vec<SourcePart>,
    pub loc: Loc,
}

/// a_s(t), the envelope of a component.
#[derive(Clone, Debug, PartialEq)]
pub enum Envelope {
    /// 1 on [at, at + length), 0 elsewhere.
    Pulse { at: Scalar, length: Scalar },
    /// Linear rise from 0 to 1 over `rise`, `hold` at 1, linear fall over `fall`.
    Ramp {
        at: Scalar,
        rise: Scalar,
        hold: Scalar,
        fall: Scalar,
    },
    /// Bateman pharmacokinetics: dose · k_a/(k_a − k_e) · (e^{−k_e τ} − e^{−k_a τ}) for τ = t − at ≥ 0,
    /// with rates k = ln 2 / half-life (Hz). Normalised by the builtin so the peak equals `dose`.
    Bateman {
        at: Scalar,
        dose: Scalar,
        absorption_rate: Scalar,
        elimination_rate: Scalar,
    },
    /// Piecewise linear through `(time, value)` points, 0 outside.
    Table(Vec<(Scalar, Scalar)>),
}

impl Envelope {
    /// Start and end (s) of the envelope's support. A Bateman curve never reaches zero; its window
    /// ends five elimination half-lives after the peak time (under 4% of the peak remains).
    pub fn interval(&self) -> (f64, f64) {
        match self {
            Envelope::Pulse { at, length } => (at.value, at.value + length.value),
            Envelope::Ramp {
                at,
                rise,
                hold,
                fall,
            } => (at.value, at.value + rise.value + hold.value + fall.value),
            Envelope::Bateman {
                at,
                absorption_rate,
                elimination_rate,
                ..
            } => {
                let (ka, ke) = (absorption_rate.value, elimination_rate.value);
                let peak = if (ka - ke).abs() < 1e-12 {
                    1.0 / ka
                } else {
                    (ka / ke).ln() / (ka - ke)
                };
                (
                    at.value,
                    at.value + peak + 5.0 * std::f64::consts::LN_2 / ke,
                )
            }
            Envelope::Table(points) => (
                points.first().map_or(0.0, |p| p.0.value),
                points.last().map_or(0.0, |p| p.0.value),
            ),
        }
    }
}

/// Where a part of a source couples: weights per band, and optionally per region (by name).
#[derive(Clone, Debug, PartialEq)]
pub struct Coupling {
    pub bands: Bands,
    /// Region name → weight; empty means every region with weight 1.
    pub regions: BTreeMap<String, f64>,
}

/// The parts of the generic primitive (source-primitive.md). Rates are per second.
#[derive(Clone, Debug, PartialEq)]
pub enum SourcePart {
    /// Semantically neutral broadband injection D (energy per second).
    Broadband { rate: Scalar, coupling: Coupling },
    /// Periodic drives at the given frequencies (Hz), each with `amplitude`.
    Tones {
        frequencies: Vec<Scalar>,
        amplitude: Scalar,
        coupling: Coupling,
    },
    /// A rhythmic drive (beat) at `frequency` with `amplitude`.
    Beat {
        frequency: Scalar,
        amplitude: Scalar,
        coupling: Coupling,
    },
    /// A coherent global phase drive at `frequency` with coupling strength `coupling`.
    Metronome { frequency: Scalar, coupling: Scalar },
    /// Sink suppression u ∈ [0, 1].
    SuppressSinks { amount: Scalar },
    /// Sink boost b ≥ 0: raises the sinks' grip above the reference (antipsychotics).
    BoostSinks { amount: Scalar },
    /// A landscape pattern (by name) pushed as an external field with `strength`.
    Content { pattern: String, strength: Scalar },
    /// Plastic target: raise CSHW damping Δγ toward `amount` (1/s) for the `modes` lowest CSHWs.
    WeakenHarmonics { amount: Scalar, modes: u32 },
    /// Plastic target: detune a region's RSHWs toward the golden-mean ratio, by `amount` ∈ [0, 1].
    DetuneRegion { region: String, amount: Scalar },
    /// Plastic target: push Δγ and detuning back to 0 with `strength` ∈ [0, 1].
    RestoreIntegration { strength: Scalar },
    /// Sinks learn predictable drives of this component with time constant `tau` (s).
    Habituation { tau: Scalar },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LandscapeLevel {
    Regions,
    Nodes,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LandscapeTemperature {
    /// T_L = scale · T(t) (default scale 0.5).
    Scale(Scalar),
    /// A fixed landscape temperature, detached from the field.
    Fixed(Scalar),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Couplings {
    /// Connectome weights aggregated to the landscape level (default).
    Structural,
    /// Every pair coupled equally.
    Uniform,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plasticity {
    /// η, Hebbian learning rate (1/s); 0 switches learning off.
    pub rate: Scalar,
    /// λ, relaxation toward the structural couplings (1/s).
    pub decay: Scalar,
    /// T_p, the temperature at which plasticity saturates (> 1).
    pub threshold: Scalar,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Landscape {
    pub level: LandscapeLevel,
    /// Whether the script declared the landscape. An undeclared landscape is on regions when the
    /// connectome has regions and on nodes otherwise (model.md §5).
    pub declared: bool,
    pub temperature: LandscapeTemperature,
    pub couplings: Couplings,
    /// Gain of the neutral field that CSHW energy beyond the bath makes (0 switches it off).
    pub neutral: Scalar,
    /// Metropolis sweeps per second of simulated time (Hz).
    pub sweeps: Scalar,
    pub plasticity: Plasticity,
    pub patterns: Vec<Pattern>,
    pub loc: Loc,
}

impl Landscape {
    /// The level the landscape runs on: as declared, or for an undeclared landscape, regions when
    /// the connectome has them and nodes otherwise.
    pub fn effective_level(&self, connectome_has_regions: bool) -> LandscapeLevel {
        if self.declared || connectome_has_regions {
            self.level
        } else {
            LandscapeLevel::Nodes
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum PatternKind {
    /// +1 on the named regions, −1 elsewhere.
    Regions(Vec<String>),
    /// +1 on the listed node indices, −1 elsewhere.
    Nodes(Vec<u64>),
    /// ±1 drawn with its own seed; `fraction` of entries +1.
    Random { seed: u64, fraction: f64 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub name: String,
    pub kind: PatternKind,
    /// Prior strength in the Hebbian couplings (default 1).
    pub strength: Scalar,
    pub loc: Loc,
}

/// How a recorded quantity is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grouping {
    Band,
    Mode,
    Region,
}

/// A recordable quantity: a name from the builtins table's quantity list, optionally split, and
/// for `overlap` the pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Observable {
    pub quantity: &'static str,
    pub grouping: Option<Grouping>,
    pub pattern: Option<String>,
    /// One part of a split quantity, read with a field: the band of `temperature.csh` or
    /// `energy.rsh`, the region of `integration.rAMYG`.
    pub component: Option<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecordSpec {
    /// Sampling interval (s). Default 1 s.
    pub every: Scalar,
    pub observables: Vec<Observable>,
    /// Output folder, relative to the script, if given.
    pub destination: Option<String>,
    pub loc: Loc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Mean,
    Min,
    Max,
    Initial,
    Final,
}

/// The time window of a statistic, resolved to seconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Window {
    /// The whole recording.
    Whole,
    /// `[start, end]`. `source` names the source when the window came from `during: src`.
    Between {
        start: f64,
        end: f64,
        source: Option<String>,
    },
    /// Before `time` (from `before: src`, the source's start, or `before: 10 min`).
    Before { time: f64, source: Option<String> },
    /// After `time` (from `after: src`, the source's end, or `after: 2 h`).
    After { time: f64, source: Option<String> },
}

/// `mean(valence, during: song)`: an aggregate of a recorded quantity over a window; in scenarios,
/// over the runs selected by `runs` (axis name → item label), averaged across them.
#[derive(Clone, Debug, PartialEq)]
pub struct Statistic {
    pub aggregate: Aggregate,
    pub observable: Observable,
    pub window: Window,
    pub runs: BTreeMap<String, String>,
    pub loc: Loc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// One side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Statistic(Box<Statistic>),
    Constant(Scalar),
    Arith {
        op: ArithOp,
        lhs: Box<Operand>,
        rhs: Box<Operand>,
    },
    Negate(Box<Operand>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Predicate {
    Compare {
        lhs: Operand,
        op: CompareOp,
        rhs: Operand,
    },
    And(Box<Predicate>, Box<Predicate>),
    Or(Box<Predicate>, Box<Predicate>),
    Not(Box<Predicate>),
}

impl Operand {
    /// Calls `visit` on every statistic of the operand, left to right.
    pub fn visit_statistics(&self, visit: &mut dyn FnMut(&Statistic)) {
        match self {
            Operand::Statistic(statistic) => visit(statistic),
            Operand::Constant(_) => {}
            Operand::Arith { lhs, rhs, .. } => {
                lhs.visit_statistics(visit);
                rhs.visit_statistics(visit);
            }
            Operand::Negate(inner) => inner.visit_statistics(visit),
        }
    }

    /// Whether the operand reads a recorded quantity (holds a statistic).
    pub fn reads_results(&self) -> bool {
        let mut reads = false;
        self.visit_statistics(&mut |_| reads = true);
        reads
    }
}

impl Predicate {
    /// Calls `visit` on every statistic of the predicate, in the order written. This is the one
    /// walker over predicates: checking, lowering and scenario reports all go through it.
    pub fn visit_statistics(&self, visit: &mut dyn FnMut(&Statistic)) {
        match self {
            Predicate::Compare { lhs, rhs, .. } => {
                lhs.visit_statistics(visit);
                rhs.visit_statistics(visit);
            }
            Predicate::And(a, b) | Predicate::Or(a, b) => {
                a.visit_statistics(visit);
                b.visit_statistics(visit);
            }
            Predicate::Not(inner) => inner.visit_statistics(visit),
        }
    }

    /// Whether every comparison of the predicate reads results: one that compares constants
    /// only would be decided before the run and is refused.
    pub fn reads_results(&self) -> bool {
        match self {
            Predicate::Compare { lhs, rhs, .. } => lhs.reads_results() || rhs.reads_results(),
            Predicate::And(a, b) | Predicate::Or(a, b) => a.reads_results() && b.reads_results(),
            Predicate::Not(inner) => inner.reads_results(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub predicate: Predicate,
    /// The expectation as written (for reports).
    pub text: String,
    pub loc: Loc,
}

/// What a scenario axis varies.
#[derive(Clone, Debug, PartialEq)]
pub enum VaryTarget {
    Seed,
    Dt,
    Duration,
    Cooling,
    /// A top-level `let` of the main script, re-evaluated with the item's value.
    Let(String),
}

impl VaryTarget {
    pub fn name(&self) -> &str {
        match self {
            VaryTarget::Seed => "seed",
            VaryTarget::Dt => "dt",
            VaryTarget::Duration => "duration",
            VaryTarget::Cooling => "cooling",
            VaryTarget::Let(name) => name,
        }
    }
}

/// The value of one item of an axis.
#[derive(Clone, Debug, PartialEq)]
pub enum AxisValue {
    Number(Scalar),
    Bool(bool),
    Text(String),
    Curve(Curve),
    Source(Source),
    Connectome(Connectome),
}

#[derive(Clone, Debug, PartialEq)]
pub struct AxisItem {
    /// From a record `{slow: ..., fast: ...}`, or the item's position (`0`, `1`, ...) for lists, or
    /// the number for ranges.
    pub label: String,
    pub value: AxisValue,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub target: VaryTarget,
    pub items: Vec<AxisItem>,
    pub loc: Loc,
}

/// A named set of runs: the Cartesian product of its axes, each item run with the base program
/// changed as the axes say. `semantics::check_scenario_item` produces the program of one item.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub axes: Vec<Axis>,
    pub expectations: Vec<Expectation>,
    pub loc: Loc,
}

impl Scenario {
    /// Number of runs: the product of the axis lengths.
    pub fn run_count(&self) -> usize {
        self.axes.iter().map(|axis| axis.items.len()).product()
    }
}
