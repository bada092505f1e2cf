//! The bundled human cortex end to end: import, harmonics, determinism, cache and painting.

use anneal::connectome::human_cortex;
use anneal::harmonics::export::{paint_modes, plot_spectrum, spectrum_table};
use anneal::harmonics::{Cache, HarmonicsSettings, ModeKind, compute_harmonics};

#[test]
fn bundled_cortex_harmonics_are_deterministic_cached_and_paintable() {
    let (cortex, warnings) = human_cortex().unwrap();
    // The connectivity's own quirks are reported; the surface construction adds none.
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    let settings = HarmonicsSettings {
        csh_modes: 12,
        rsh_per_region: 2,
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let first = compute_harmonics(&cortex, &settings, Some(&cache)).unwrap();
    let again = compute_harmonics(&cortex, &settings, None).unwrap();
    assert_eq!(first, again, "same input, same bits");
    assert_eq!(cache.load(&cortex, &settings), Some(first.clone()));

    // One component: a single zero mode, then positive eigenvalues with rising frequencies.
    assert!(first.modes[0].eigenvalue.abs() < 1e-12);
    assert!(first.modes[1].eigenvalue > 1e-6);
    assert!((first.modes[1].frequency_hz - 1.0).abs() < 1e-12);
    let rsh = first
        .modes
        .iter()
        .filter(|m| m.kind == ModeKind::Rsh)
        .count();
    assert_eq!(rsh, 2 * 76);
    assert!(spectrum_table(&first, &cortex).contains("RSH"));

    let out = std::env::var_os("ANNEAL_PAINT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or(dir.path().join("paint"));
    let files = paint_modes(&cortex, &first, &[1, 2, 3], &out, "png").unwrap();
    assert_eq!(files.len(), 3);
    for f in files {
        assert!(std::fs::read(f).unwrap().starts_with(b"\x89PNG"));
    }
    plot_spectrum(&out.join("spectrum.png"), &first).unwrap();
    assert!(
        std::fs::read(out.join("spectrum.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );
}
