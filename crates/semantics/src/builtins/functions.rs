//! The builtin functions: sources, curves, connectomes, patterns and statistics, each with its
//! parameters and documentation.

use super::*;

const CURVE_AT: Param = p(
    "at",
    TIME,
    Default::Number(0.0),
    "time the curve starts moving; before it the curve holds `from`",
);

/// The parameters of the schedules that fall from `from` toward a floor on a time scale.
const FROM_TO_FLOOR: &[Param] = &[
    req("from", PLAIN, "start value"),
    req("to", PLAIN, "floor"),
    req("tau", TIME, "time scale"),
    CURVE_AT,
];

/// The parameters of the schedules that go from `from` to `to` over a duration.
const FROM_TO_OVER: &[Param] = &[
    req("from", PLAIN, "start value"),
    req("to", PLAIN, "end value"),
    req("over", TIME, "duration"),
    CURVE_AT,
];

const STAT_PARAMS: &[Param] = &[
    req("quantity", Ty::Quantity, "the recorded quantity"),
    p(
        "during",
        Ty::Window,
        Default::Optional,
        "a source (its active interval) or a time range",
    ),
    p(
        "before",
        Ty::Window,
        Default::Optional,
        "a source (before its start) or a time",
    ),
    p(
        "after",
        Ty::Window,
        Default::Optional,
        "a source (after its end) or a time",
    ),
    p(
        "runs",
        Ty::RunSelection,
        Default::Optional,
        "in a scenario: the runs to average over, by axis label",
    ),
];

/// Every builtin function.
pub static BUILTINS: &[Builtin] = &[
    // ---- envelopes ----
    Builtin {
        name: "pulse",
        category: Category::Envelope,
        params: &[req("at", TIME, "start time"), req("for", TIME, "length")],
        doc: "A rectangular envelope: 1 from `at` for `for`, 0 elsewhere.",
    },
    Builtin {
        name: "ramp",
        category: Category::Envelope,
        params: &[
            req("at", TIME, "start time"),
            req("rise", TIME, "time to rise linearly from 0 to 1"),
            p("hold", TIME, Default::Number(0.0), "time held at 1"),
            p(
                "fall",
                TIME,
                Default::Number(0.0),
                "time to fall linearly back to 0",
            ),
        ],
        doc: "A trapezoid envelope: rise, hold, fall.",
    },
    Builtin {
        name: "bateman",
        category: Category::Envelope,
        params: &[
            req("at", TIME, "dosing time"),
            p(
                "dose",
                PLAIN,
                Default::Number(1.0),
                "peak height of the envelope",
            ),
            req(
                "absorption",
                Ty::HalfLifeOrRate,
                "absorption half-life (time) or rate (frequency)",
            ),
            req(
                "elimination",
                Ty::HalfLifeOrRate,
                "elimination half-life (time) or rate (frequency)",
            ),
        ],
        doc: "Pharmacokinetics (Bateman function): absorption then elimination, scaled so its peak equals `dose`.",
    },
    Builtin {
        name: "table",
        category: Category::Curve,
        params: &[req(
            "points",
            Ty::TimeTable,
            "[time: value, ...] with increasing times",
        )],
        doc: "Piecewise-linear curve through the points; usable as a cooling curve, a sink schedule or an envelope (0 outside the points).",
    },
    // ---- source parts ----
    Builtin {
        name: "broadband",
        category: Category::SourcePart,
        params: &[
            req(
                "rate",
                FREQ,
                "energy injected per second (write e.g. `0.5 Hz`)",
            ),
            p(
                "bands",
                Ty::Bands,
                NO_BANDS,
                "weights per band {csh, rsh, ssh}",
            ),
            p(
                "regions",
                Ty::Weights,
                Default::Optional,
                "weights per region name (default: all regions 1)",
            ),
        ],
        doc: "Semantically neutral broadband injection D: noise carrying no content pattern.",
    },
    Builtin {
        name: "tones",
        category: Category::SourcePart,
        params: &[
            req("frequencies", Ty::List(&FREQ), "tone frequencies"),
            p(
                "amplitude",
                PLAIN,
                Default::Number(1.0),
                "drive amplitude of each tone",
            ),
            p("bands", Ty::Bands, NO_BANDS, "weights per band"),
            p(
                "regions",
                Ty::Weights,
                Default::Optional,
                "weights per region name",
            ),
        ],
        doc: "Periodic drives at the given frequencies.",
    },
    Builtin {
        name: "beat",
        category: Category::SourcePart,
        params: &[
            req("frequency", FREQ, "beat frequency (tempo)"),
            p("amplitude", PLAIN, Default::Number(1.0), "drive amplitude"),
            p("bands", Ty::Bands, NO_BANDS, "weights per band"),
            p(
                "regions",
                Ty::Weights,
                Default::Optional,
                "weights per region name",
            ),
        ],
        doc: "A rhythmic periodic drive (a beat) at one frequency.",
    },
    Builtin {
        name: "metronome",
        category: Category::SourcePart,
        params: &[
            req("frequency", FREQ, "metronome frequency"),
            p(
                "coupling",
                PLAIN,
                Default::Number(1.0),
                "phase coupling strength",
            ),
        ],
        doc: "A coherent global phase drive that pulls every region toward one rhythm.",
    },
    Builtin {
        name: "suppress_sinks",
        category: Category::SourcePart,
        params: &[req("amount", Ty::Fraction, "sink suppression u in [0, 1]")],
        doc: "Lowers the sinks' grip while the source is active (meditation, psychedelics).",
    },
    Builtin {
        name: "boost_sinks",
        category: Category::SourcePart,
        params: &[req(
            "amount",
            PLAIN,
            "sink boost b ≥ 0 (1 doubles the sink gain)",
        )],
        doc: "Raises the sinks' grip while the source is active (antipsychotics: sinks up).",
    },
    Builtin {
        name: "content",
        category: Category::SourcePart,
        params: &[
            req("pattern", Ty::Pattern, "a landscape pattern"),
            p("strength", PLAIN, Default::Number(1.0), "field strength"),
        ],
        doc: "A content pattern pushed onto the landscape as an external field (the magnet near the cooling iron).",
    },
    Builtin {
        name: "weaken_harmonics",
        category: Category::SourcePart,
        params: &[
            req("amount", FREQ, "target extra damping of the CSHWs (1/s)"),
            p(
                "modes",
                Ty::Count,
                Default::Number(10.0),
                "how many of the lowest CSHWs",
            ),
        ],
        doc: "Plastic target: raise CSHW damping (trauma).",
    },
    Builtin {
        name: "detune_region",
        category: Category::SourcePart,
        params: &[
            req("region", Ty::Text, "region name"),
            p(
                "amount",
                Ty::Fraction,
                Default::Number(1.0),
                "how far toward the golden-mean ratio",
            ),
        ],
        doc: "Plastic target: detune a region's RSHWs toward the golden-mean ratio (trauma).",
    },
    Builtin {
        name: "restore_integration",
        category: Category::SourcePart,
        params: &[p(
            "strength",
            Ty::Fraction,
            Default::Number(1.0),
            "how strongly damping and detuning are pushed back to 0",
        )],
        doc: "Plastic target: undo weakening and detuning (metronome, low-frequency rhythm).",
    },
    Builtin {
        name: "habituation",
        category: Category::SourcePart,
        params: &[req("tau", TIME, "time constant of habituation")],
        doc: "Sinks learn this component's predictable drives: their effective gain decays with exposure.",
    },
    // ---- the primitive ----
    Builtin {
        name: "source",
        category: Category::Source,
        params: &[
            req(
                "envelope",
                Ty::Envelope,
                "a_s(t): pulse, ramp, bateman or table",
            ),
            p(
                "parts",
                Ty::List(&Ty::SourcePart),
                Default::EmptyList,
                "what the source does while its envelope is on",
            ),
        ],
        doc: "The generic source primitive every preset is written with. Sources add with `+` and scale with `*`.",
    },
    // ---- cooling curves ----
    Builtin {
        name: "constant",
        category: Category::Curve,
        params: &[p(
            "level",
            PLAIN,
            Default::Number(1.0),
            "the constant value",
        )],
        doc: "A constant curve.",
    },
    Builtin {
        name: "linear",
        category: Category::Curve,
        params: &[
            req("from", PLAIN, "start value"),
            req("to", PLAIN, "end value"),
            req("over", TIME, "duration of the change"),
            CURVE_AT,
        ],
        doc: "Linear change from `from` to `to` over `over`, then held (a ramp).",
    },
    Builtin {
        name: "exponential",
        category: Category::Curve,
        params: &[
            req("from", PLAIN, "start value"),
            req("to", PLAIN, "asymptote"),
            req("tau", TIME, "time constant"),
            CURVE_AT,
        ],
        doc: "to + (from − to) · e^(−t/tau).",
    },
    Builtin {
        name: "geometric",
        category: Category::Curve,
        params: &[
            req("from", PLAIN, "start value"),
            req("to", PLAIN, "asymptote"),
            req(
                "ratio",
                Ty::Fraction,
                "factor applied to (T − to) at each step",
            ),
            req("every", TIME, "step length"),
            CURVE_AT,
        ],
        doc: "Stepwise geometric cooling: to + (from − to) · ratio^k at step k.",
    },
    Builtin {
        name: "logarithmic",
        category: Category::Curve,
        params: FROM_TO_FLOOR,
        doc: "Boltzmann schedule: to + (from − to) / ln(k + e), k = t / tau.",
    },
    Builtin {
        name: "cauchy",
        category: Category::Curve,
        params: FROM_TO_FLOOR,
        doc: "Fast (Cauchy) schedule: to + (from − to) / (1 + k), k = t / tau.",
    },
    Builtin {
        name: "quadratic",
        category: Category::Curve,
        params: FROM_TO_OVER,
        doc: "Additive quadratic schedule (Luke): to + (from − to) · ((over − t)/over)².",
    },
    Builtin {
        name: "trigonometric",
        category: Category::Curve,
        params: FROM_TO_OVER,
        doc: "Additive trigonometric schedule (Luke): to + (from − to) · (1 + cos(π t / over)) / 2.",
    },
    Builtin {
        name: "reheating",
        category: Category::Curve,
        params: &[
            req("base", Ty::Curve, "the curve to restart"),
            p("every", TIME, Default::Optional, "restart at this period"),
            p(
                "stall",
                TIME,
                Default::Optional,
                "restart when the energy has not improved for this long",
            ),
        ],
        doc: "Restarts `base` (back to its `from`) every period or after a stall; give exactly one of `every`, `stall`.",
    },
    // ---- connectomes ----
    Builtin {
        name: "ring",
        category: Category::Connectome,
        params: &[
            req("nodes", Ty::Count, "number of nodes (≥ 3)"),
            p(
                "neighbours",
                Ty::Count,
                Default::Number(1.0),
                "neighbours joined on each side",
            ),
            p("weight", PLAIN, Default::Number(1.0), "edge weight"),
        ],
        doc: "A ring (cycle) graph.",
    },
    Builtin {
        name: "lattice",
        category: Category::Connectome,
        params: &[
            req("rows", Ty::Count, "rows"),
            req("columns", Ty::Count, "columns"),
            p(
                "periodic",
                Ty::Bool,
                Default::Bool(false),
                "wrap around (torus)",
            ),
        ],
        doc: "A 2-D grid graph.",
    },
    Builtin {
        name: "small_world",
        category: Category::Connectome,
        params: &[
            req("nodes", Ty::Count, "number of nodes"),
            p(
                "neighbours",
                Ty::Count,
                Default::Number(2.0),
                "ring neighbours on each side",
            ),
            p(
                "rewire",
                Ty::Fraction,
                Default::Number(0.1),
                "rewiring probability",
            ),
            p(
                "seed",
                Ty::Count,
                Default::Number(0.0),
                "seed of the rewiring",
            ),
        ],
        doc: "A Watts-Strogatz small-world graph.",
    },
    Builtin {
        name: "modular",
        category: Category::Connectome,
        params: &[
            req("modules", Ty::Count, "modules per level"),
            req("size", Ty::Count, "nodes per bottom module"),
            p(
                "levels",
                Ty::Count,
                Default::Number(1.0),
                "hierarchy levels",
            ),
            p(
                "inside",
                Ty::Fraction,
                Default::Number(0.5),
                "edge probability inside a module",
            ),
            p(
                "between",
                Ty::Fraction,
                Default::Number(0.05),
                "edge probability between modules",
            ),
            p("seed", Ty::Count, Default::Number(0.0), "seed"),
        ],
        doc: "A modular / hierarchical graph; each bottom module is a region.",
    },
    Builtin {
        name: "complete",
        category: Category::Connectome,
        params: &[req("nodes", Ty::Count, "number of nodes")],
        doc: "The complete graph.",
    },
    Builtin {
        name: "random_geometric",
        category: Category::Connectome,
        params: &[
            req("nodes", Ty::Count, "number of nodes"),
            p(
                "radius",
                PLAIN,
                Default::Number(0.2),
                "connection radius in the unit square",
            ),
            p("seed", Ty::Count, Default::Number(0.0), "seed"),
        ],
        doc: "A random geometric graph in the unit square.",
    },
    Builtin {
        name: "tvb",
        category: Category::Connectome,
        params: &[req(
            "path",
            Ty::Text,
            "a TVB connectivity zip, relative to the script",
        )],
        doc: "Imports a The Virtual Brain connectivity zip (weights, tract lengths, centres).",
    },
    Builtin {
        name: "surface",
        category: Category::Connectome,
        params: &[
            req(
                "mesh",
                Ty::Text,
                "cortical surface zip (vertices, triangles)",
            ),
            req("regions", Ty::Text, "region connectivity zip"),
            req("mapping", Ty::Text, "vertex to region mapping file"),
        ],
        doc: "A surface mesh joined to a region connectome (Atasoy-style long-range edges).",
    },
    Builtin {
        name: "edge_list",
        category: Category::Connectome,
        params: &[req(
            "path",
            Ty::Text,
            "CSV with columns source,target[,weight]",
        )],
        doc: "Imports an edge list CSV.",
    },
    Builtin {
        name: "matrix",
        category: Category::Connectome,
        params: &[req("path", Ty::Text, "CSV dense weight matrix")],
        doc: "Imports a dense weight matrix CSV.",
    },
    Builtin {
        name: "human_cortex",
        category: Category::Connectome,
        params: &[],
        doc: "The bundled default: TVB's cortex_16384 surface joined to connectivity_76.",
    },
    Builtin {
        name: "human_regions",
        category: Category::Connectome,
        params: &[],
        doc: "The bundled 76-region TVB connectome (connectivity_76).",
    },
    Builtin {
        name: "with_sensorium",
        category: Category::Connectome,
        params: &[
            req("base", Ty::Connectome, "the connectome to extend"),
            req("nodes", Ty::Count, "number of body nodes"),
            p(
                "nerve_length",
                LENGTH,
                Default::Number(0.5),
                "nerve length from body node to brain",
            ),
            p(
                "attach",
                Ty::List(&Ty::Text),
                Default::EmptyList,
                "region names the body nodes attach to (default: all)",
            ),
        ],
        doc: "Attaches body (sensorium) nodes with nerve lengths to a connectome.",
    },
    // ---- patterns ----
    Builtin {
        name: "regions",
        category: Category::Pattern,
        params: &[
            Param {
                name: "names",
                ty: Ty::Text,
                default: Default::Required,
                variadic: true,
                doc: "region names",
            },
            p("strength", PLAIN, Default::Number(1.0), "prior strength"),
        ],
        doc: "A pattern: +1 on the named regions, −1 elsewhere.",
    },
    Builtin {
        name: "nodes",
        category: Category::Pattern,
        params: &[
            req("indices", Ty::List(&Ty::Count), "node indices"),
            p("strength", PLAIN, Default::Number(1.0), "prior strength"),
        ],
        doc: "A pattern: +1 on the listed nodes, −1 elsewhere.",
    },
    Builtin {
        name: "random",
        category: Category::Pattern,
        params: &[
            req("seed", Ty::Count, "the pattern's own seed"),
            p(
                "fraction",
                Ty::Fraction,
                Default::Number(0.5),
                "fraction of +1 entries",
            ),
            p("strength", PLAIN, Default::Number(1.0), "prior strength"),
        ],
        doc: "A random ±1 pattern with its own seed.",
    },
    // ---- statistics ----
    Builtin {
        name: "mean",
        category: Category::Statistic,
        params: STAT_PARAMS,
        doc: "Time mean of a quantity over a window.",
    },
    Builtin {
        name: "min",
        category: Category::Statistic,
        params: STAT_PARAMS,
        doc: "Minimum of a quantity over a window.",
    },
    Builtin {
        name: "max",
        category: Category::Statistic,
        params: STAT_PARAMS,
        doc: "Maximum of a quantity over a window.",
    },
    Builtin {
        name: "initial",
        category: Category::Statistic,
        params: STAT_PARAMS,
        doc: "First recorded value in a window.",
    },
    Builtin {
        name: "final",
        category: Category::Statistic,
        params: STAT_PARAMS,
        doc: "Last recorded value in a window.",
    },
    // ---- quantity functions ----
    Builtin {
        name: "overlap",
        category: Category::Quantity,
        params: &[req("pattern", Ty::Pattern, "a declared landscape pattern")],
        doc: "Overlap of the landscape state with a pattern.",
    },
];
