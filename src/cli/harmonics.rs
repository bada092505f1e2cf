//! `anneal harmonics FILE`: the connectome harmonics of a script's connectome, as a table on
//! stdout and as files: eigenvalues and frequencies (CSV), eigenvectors (`.npy`), a plot of the
//! spectrum and, when the connectome has a surface mesh, chosen modes painted on the cortex.

use std::path::{Path, PathBuf};

use crate::cli::{EXIT_ERRORS, EXIT_OK};
use anneal_diagnostics::{RenderOptions, render_all};
use anneal_harmonics::cache::Cache;
use anneal_harmonics::compute_harmonics;
use anneal_output::harmonics as export;
use anneal_runner::basis::{build_connectome, harmonics_settings};

#[derive(Debug, clap::Args)]
pub struct HarmonicsArgs {
    /// The script whose connectome and `harmonics` block are used.
    pub file: PathBuf,
    /// Folder for the files (default: `<script name>.harmonics` beside the script).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Modes to paint on the cortex (indices into the table), e.g. `--paint 1,2,3`.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2, 3, 4])]
    pub paint: Vec<usize>,
    /// Image format of the painted modes and the spectrum plot.
    #[arg(long, default_value = "png", value_parser = ["png", "svg"])]
    pub format: String,
    /// Cache folder for computed harmonics (default: `ANNEAL_CACHE_DIR`, else the XDG cache dir).
    #[arg(long, conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
    /// Compute afresh, neither reading nor writing the cache.
    #[arg(long)]
    pub no_cache: bool,
}

pub fn run(args: &HarmonicsArgs) -> i32 {
    let checked = anneal_semantics::check_file(&args.file);
    let options = RenderOptions::for_stderr();
    eprint!(
        "{}",
        render_all(&checked.diagnostics, &checked.sources, options)
    );
    let program = match checked.program {
        Some(program) if !checked.has_errors() => program,
        _ => return EXIT_ERRORS,
    };
    let script_dir = args.file.parent().unwrap_or(Path::new("."));
    let (connectome, notes) = match build_connectome(&program.connectome.value, script_dir) {
        Ok(built) => built,
        Err(diagnostic) => {
            eprint!("{}", render_all(&[*diagnostic], &checked.sources, options));
            return EXIT_ERRORS;
        }
    };
    for note in &notes {
        eprintln!("{note}");
    }
    let cache = if args.no_cache {
        None
    } else {
        args.cache_dir
            .clone()
            .map(Cache::new)
            .or_else(Cache::from_env)
    };
    let settings = harmonics_settings(&program.harmonics);
    let harmonics = match compute_harmonics(&connectome, &settings, cache.as_ref()) {
        Ok(harmonics) => harmonics,
        Err(error) => {
            eprintln!("error: cannot compute the harmonics: {error}");
            return EXIT_ERRORS;
        }
    };
    print!("{}", export::spectrum_table(&harmonics, &connectome));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_folder(&args.file));
    match write_files(args, &out, &connectome, &harmonics) {
        Ok(files) => {
            for file in files {
                eprintln!("wrote {}", file.display());
            }
            EXIT_OK
        }
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_ERRORS
        }
    }
}

fn default_folder(script: &Path) -> PathBuf {
    let stem = script.file_stem().map_or_else(
        || "anneal".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    script.with_file_name(format!("{stem}.harmonics"))
}

fn write_files(
    args: &HarmonicsArgs,
    out: &Path,
    connectome: &anneal_connectome::Connectome,
    harmonics: &anneal_harmonics::Harmonics,
) -> Result<Vec<PathBuf>, export::ExportError> {
    std::fs::create_dir_all(out).map_err(|error| export::ExportError::Io {
        path: out.display().to_string(),
        message: error.to_string(),
    })?;
    let csv = out.join("spectrum.csv");
    export::write_spectrum_csv(&csv, harmonics, connectome)?;
    let npy = out.join("vectors.npy");
    export::write_vectors_npy(&npy, harmonics)?;
    let plot = out.join(format!("spectrum.{}", args.format));
    export::plot_spectrum(&plot, harmonics)?;
    let mut files = vec![csv, npy, plot];
    if connectome.mesh().is_some() {
        files.extend(export::paint_modes(
            connectome,
            harmonics,
            &args.paint,
            &out.join("modes"),
            &args.format,
        )?);
    }
    Ok(files)
}
