//! The script's connectome value → a [`Connectome`] (generators, importers, bundled data) →
//! harmonics → the engine's [`ModeBasis`].

use std::path::Path;

use anneal_connectome::generators::{self, BodyNode};
use anneal_connectome::{Connectome, import};
use anneal_diagnostics::Diagnostic;
use anneal_engine::{LandscapeLevel, ModeBasis, ModeSpec};
use anneal_harmonics::{Cache, HarmonicsSettings, LaplacianKind, ModeKind, compute_harmonics};
use anneal_plan::Band;
use anneal_semantics::program::{self, ConnectomeKind, Couplings, Program};

fn failure(at: program::Loc, message: String) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error("E0044", at.file, at.span, message)
            .with_label(at.span, "this connectome"),
    )
}

/// Builds the connectome a script names. Returns it with the import's data-quirk warnings as
/// text (asymmetry, diagonal, isolated regions, ...), which the CLI prints: nothing is fixed
/// silently. Paths are relative to the script's folder.
pub fn build_connectome(
    value: &program::Connectome,
    script_dir: &Path,
) -> Result<(Connectome, Vec<String>), Box<Diagnostic>> {
    let at = value.loc;
    let constructor = value.kind.constructor();
    let generated = |result: Result<Connectome, anneal_connectome::ConnectomeError>| {
        result
            .map(|c| (c, Vec::new()))
            .map_err(|error| failure(at, format!("cannot build `{constructor}`: {error}")))
    };
    let imported =
        |result: Result<(Connectome, Vec<import::Warning>), import::ImportError>| match result {
            Ok((c, warnings)) => Ok((c, warnings.iter().map(|w| w.to_string()).collect())),
            Err(error) => Err(failure(
                at,
                format!("cannot import `{constructor}`: {error}"),
            )),
        };
    let path = |relative: &str| script_dir.join(relative);
    match &value.kind {
        ConnectomeKind::Ring {
            nodes,
            neighbours,
            weight,
        } => generated(generators::ring_with(*nodes, *neighbours, *weight)),
        ConnectomeKind::Lattice {
            rows,
            columns,
            periodic,
        } => generated(generators::lattice(*rows, *columns, *periodic)),
        ConnectomeKind::SmallWorld {
            nodes,
            neighbours,
            rewire,
            seed,
        } => generated(generators::small_world(*nodes, *neighbours, *rewire, *seed)),
        ConnectomeKind::Modular {
            modules,
            levels,
            size,
            inside,
            between,
            seed,
        } => generated(generators::hierarchical(
            *modules, *levels, *size, *inside, *between, *seed,
        )),
        ConnectomeKind::Complete { nodes } => generated(generators::complete(*nodes)),
        ConnectomeKind::RandomGeometric {
            nodes,
            radius,
            seed,
        } => generated(generators::random_geometric(*nodes, *radius, 1.0, *seed)),
        ConnectomeKind::Tvb { path: zip } => imported(import::import_tvb_connectivity(&path(zip))),
        ConnectomeKind::Surface {
            mesh,
            mapping,
            regions,
        } => imported(import::import_surface_connectome(
            &path(mesh),
            &path(mapping),
            &path(regions),
        )),
        ConnectomeKind::EdgeList { path: csv } => {
            imported(import::import_edge_list_csv(&path(csv)))
        }
        ConnectomeKind::Matrix { path: csv } => imported(import::import_dense_csv(&path(csv))),
        ConnectomeKind::HumanCortex => imported(anneal_connectome::bundled::human_cortex()),
        ConnectomeKind::HumanRegions => imported(anneal_connectome::bundled::human_regions()),
        ConnectomeKind::WithSensorium {
            base,
            nodes,
            nerve_length,
            attach,
        } => {
            let (brain, notes) = build_connectome(base, script_dir)?;
            let nodes = *nodes;
            // Nerve lengths are written in metres in scripts and kept in mm by the connectome.
            let nerve_length_mm = nerve_length * 1000.0;
            let targets: Vec<usize> = match brain.regions() {
                Some(regions) if !attach.is_empty() => {
                    let mut targets = Vec::new();
                    for name in attach {
                        let Some(r) = regions.names.iter().position(|n| n == name) else {
                            return Err(failure(
                                at,
                                format!("the base connectome has no region `{name}`"),
                            ));
                        };
                        targets.extend(regions.nodes_of(r));
                    }
                    targets
                }
                None if !attach.is_empty() => {
                    return Err(failure(
                        at,
                        "`attach` names regions, and the base connectome has none".into(),
                    ));
                }
                _ => (0..brain.n()).collect(),
            };
            if nodes == 0 || targets.is_empty() {
                return Err(failure(
                    at,
                    "a sensorium needs body nodes and brain nodes to attach them to".into(),
                ));
            }
            // Body node b attaches to every `nodes`-th target starting at b, so the body spreads
            // evenly over the attachment nodes.
            let body: Vec<BodyNode> = (0..nodes)
                .map(|b| BodyNode {
                    label: format!("body{b}"),
                    attached_to: targets.iter().copied().skip(b).step_by(nodes).collect(),
                    weight: 1.0,
                    nerve_length_mm,
                })
                .filter(|node| !node.attached_to.is_empty())
                .collect();
            generated(generators::attach_sensorium(&brain, &body)).map(|(c, _)| (c, notes))
        }
    }
}

/// The harmonics settings of a script.
pub fn harmonics_settings(harmonics: &program::Harmonics) -> HarmonicsSettings {
    HarmonicsSettings {
        laplacian: match harmonics.laplacian {
            program::LaplacianKind::Combinatorial => LaplacianKind::Combinatorial,
            program::LaplacianKind::Normalized => LaplacianKind::Normalized,
        },
        csh_modes: harmonics.modes as usize,
        rsh_per_region: harmonics.regional_per_region as usize,
        sshw: harmonics.sensory as usize,
        fundamental_hz: harmonics.fundamental.value,
    }
}

/// Computes the harmonics (through the cache named by `ANNEAL_CACHE`, when set) and reduces
/// them to the engine's basis. Modes of frequency zero (the constant mode of each component)
/// are reported by the harmonics but not driven (model.md §2), so they are left out of the
/// basis. Returns the basis and the solver's notes.
pub fn build_basis(
    program: &Program,
    connectome: &Connectome,
) -> Result<(ModeBasis, Vec<String>), Box<Diagnostic>> {
    let at = program.harmonics.loc;
    let settings = harmonics_settings(&program.harmonics);
    let cache = Cache::from_env();
    let harmonics = compute_harmonics(connectome, &settings, cache.as_ref()).map_err(|error| {
        Box::new(
            Diagnostic::error(
                "E0044",
                at.file,
                at.span,
                format!("cannot compute the harmonics: {error}"),
            )
            .with_label(at.span, "these harmonics"),
        )
    })?;
    let mut vectors = Vec::new();
    let mut modes = Vec::new();
    for (index, mode) in harmonics.modes.iter().enumerate() {
        if mode.frequency_hz <= 0.0 {
            continue;
        }
        vectors.push(harmonics.vectors.column(index).iter().copied().collect());
        modes.push(ModeSpec {
            band: match mode.kind {
                ModeKind::Csh => Band::Csh,
                ModeKind::Rsh => Band::Rsh,
                ModeKind::Ssh => Band::Ssh,
            },
            region: mode.region,
            frequency_hz: mode.frequency_hz,
        });
    }
    let (node_region, region_names) = match connectome.regions() {
        Some(regions) => (regions.of_node.clone(), regions.names.clone()),
        None => (vec![None; connectome.n()], Vec::new()),
    };
    let mut edges = Vec::with_capacity(connectome.edge_count());
    for (weight, (i, j)) in connectome.weights().iter() {
        if i < j {
            edges.push((i, j, *weight));
        }
    }
    let level = match program
        .landscape
        .effective_level(connectome.regions().is_some())
    {
        program::LandscapeLevel::Regions => LandscapeLevel::Regions,
        program::LandscapeLevel::Nodes => LandscapeLevel::Nodes,
    };
    let mut basis =
        ModeBasis::from_dense(&vectors, modes, &node_region, region_names, &edges, level).map_err(
            |error| {
                Box::new(
                    Diagnostic::error(
                        "E0044",
                        at.file,
                        at.span,
                        format!("cannot build the mode basis: {error}"),
                    )
                    .with_label(at.span, "these harmonics"),
                )
            },
        )?;
    if program.landscape.couplings == Couplings::Uniform {
        let n = basis.landscape.node_names.len();
        basis.landscape.couplings = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j, 1.0)))
            .collect();
    }
    Ok((basis, harmonics.notes))
}
