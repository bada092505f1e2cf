//! Output pieces for `anneal harmonics FILE`: the spectrum as a text table and as CSV, the vectors
//! as `.npy`, a plot of the spectrum, and modes painted on the cortex mesh (lateral and dorsal
//! views), the figure connectome harmonics are known by.
//!
//! Painting assumes TVB's frame: x runs back to front, y right (−) to left (+), z down to up. The
//! lateral view looks at the left hemisphere from the left; the dorsal view looks down with the
//! front at the top. Triangles are drawn far to near (painter's algorithm) and shaded by how
//! squarely they face the viewer; the orientation of the triangle winding does not matter.

use anneal_connectome::Connectome;
use anneal_harmonics::{Harmonics, ModeKind};
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::plot::{FONT_FAMILY, register_font};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: drawing failed: {message}")]
    Draw { path: String, message: String },
    #[error("mode {mode} does not exist: there are {count} modes")]
    NoSuchMode { mode: usize, count: usize },
    #[error("the connectome has no surface mesh to paint on")]
    NoMesh,
    #[error("{path}: unknown image format; use a .png or .svg file name")]
    Format { path: String },
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> ExportError {
    ExportError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn draw_error(path: &Path, e: impl std::fmt::Display) -> ExportError {
    ExportError::Draw {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn region_name(h: &Harmonics, c: &Connectome, m: usize) -> String {
    match (h.modes[m].region, c.regions()) {
        (Some(r), Some(regions)) => regions.names[r].clone(),
        (Some(r), None) => r.to_string(),
        (None, _) => "-".to_string(),
    }
}

/// The spectrum as an aligned text table: mode, kind, region, λ, f (Hz).
pub fn spectrum_table(h: &Harmonics, c: &Connectome) -> String {
    let regions: Vec<String> = (0..h.modes.len()).map(|m| region_name(h, c, m)).collect();
    let width = regions
        .iter()
        .map(|r| r.chars().count())
        .max()
        .unwrap_or(0)
        .max("region".len());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>5}  {:<4}  {:<width$}  {:>22}  {:>12}",
        "mode", "kind", "region", "λ", "f (Hz)"
    );
    for (m, mode) in h.modes.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>5}  {:<4}  {:<width$}  {:>22.15e}  {:>12.6}",
            m,
            mode.kind.name(),
            regions[m],
            mode.eigenvalue,
            mode.frequency_hz
        );
    }
    out
}

/// The spectrum as CSV (`mode,kind,region,eigenvalue,frequency_hz`), full precision.
pub fn spectrum_csv(h: &Harmonics, c: &Connectome) -> String {
    let mut out = String::from("mode,kind,region,eigenvalue,frequency_hz\n");
    for (m, mode) in h.modes.iter().enumerate() {
        let region = if mode.region.is_some() {
            region_name(h, c, m)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{m},{},{},{:e},{:e}",
            mode.kind.name(),
            csv_field(&region),
            mode.eigenvalue,
            mode.frequency_hz
        );
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes [`spectrum_csv`] to `path`.
pub fn write_spectrum_csv(path: &Path, h: &Harmonics, c: &Connectome) -> Result<(), ExportError> {
    std::fs::write(path, spectrum_csv(h, c)).map_err(|e| io_error(path, e))
}

/// The mode vectors as a `.npy` file (n × M, little-endian f64, C order, through the project's
/// one `.npy` writer), which `numpy.load` reads into an array whose column m is mode m.
pub fn vectors_npy(h: &Harmonics) -> Result<Vec<u8>, ExportError> {
    let (rows, cols) = h.vectors.shape();
    let row_major: Vec<f64> = (0..rows)
        .flat_map(|i| (0..cols).map(move |m| (i, m)))
        .map(|(i, m)| h.vectors[(i, m)])
        .collect();
    crate::npy::encode_f64("vectors", &[rows, cols], &row_major).map_err(|e| ExportError::Io {
        path: "vectors.npy".to_string(),
        message: e.to_string(),
    })
}

/// Writes [`vectors_npy`] to `path`.
pub fn write_vectors_npy(path: &Path, h: &Harmonics) -> Result<(), ExportError> {
    std::fs::write(path, vectors_npy(h)?).map_err(|e| io_error(path, e))
}

enum Format {
    Png,
    Svg,
}

fn format_of(path: &Path) -> Result<Format, ExportError> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => Ok(Format::Png),
        Some("svg") => Ok(Format::Svg),
        _ => Err(ExportError::Format {
            path: path.display().to_string(),
        }),
    }
}

/// Plots eigenvalue against mode index, one colour per band, to a PNG or SVG file.
pub fn plot_spectrum(path: &Path, h: &Harmonics) -> Result<(), ExportError> {
    register_font();
    match format_of(path)? {
        Format::Png => draw_spectrum(
            BitMapBackend::new(path, (900, 600)).into_drawing_area(),
            h,
            path,
        ),
        Format::Svg => draw_spectrum(
            SVGBackend::new(path, (900, 600)).into_drawing_area(),
            h,
            path,
        ),
    }
}

fn draw_spectrum<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    h: &Harmonics,
    path: &Path,
) -> Result<(), ExportError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| draw_error(path, e))?;
    let top = h
        .modes
        .iter()
        .map(|m| m.eigenvalue)
        .fold(0.0, f64::max)
        .max(1e-12)
        * 1.05;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("spectrum ({} Laplacian)", h.laplacian.name()),
            (FONT_FAMILY, 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..h.modes.len().max(1) as f64, 0f64..top)
        .map_err(|e| draw_error(path, e))?;
    chart
        .configure_mesh()
        .x_desc("mode")
        .y_desc("eigenvalue λ")
        .label_style((FONT_FAMILY, 14))
        .draw()
        .map_err(|e| draw_error(path, e))?;
    for (kind, colour) in [
        (ModeKind::Csh, RGBColor(33, 102, 172)),
        (ModeKind::Rsh, RGBColor(178, 24, 43)),
        (ModeKind::Ssh, RGBColor(27, 120, 55)),
    ] {
        let points: Vec<(f64, f64)> = h
            .modes
            .iter()
            .enumerate()
            .filter(|(_, m)| m.kind == kind)
            .map(|(i, m)| (i as f64, m.eigenvalue))
            .collect();
        if points.is_empty() {
            continue;
        }
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, colour.filled())),
            )
            .map_err(|e| draw_error(path, e))?
            .label(kind.name())
            .legend(move |(x, y)| Circle::new((x, y), 4, colour.filled()));
    }
    chart
        .configure_series_labels()
        .label_font((FONT_FAMILY, 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| draw_error(path, e))?;
    root.present().map_err(|e| draw_error(path, e))
}

/// A diverging blue–white–red map of t ∈ [−1, 1].
pub fn diverging_colour(t: f64) -> (f64, f64, f64) {
    let t = if t.is_finite() {
        t.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let blue = (0.129, 0.400, 0.675);
    let red = (0.698, 0.094, 0.169);
    let (end, s) = if t < 0.0 { (blue, -t) } else { (red, t) };
    (
        1.0 + (end.0 - 1.0) * s,
        1.0 + (end.1 - 1.0) * s,
        1.0 + (end.2 - 1.0) * s,
    )
}

#[derive(Clone, Copy)]
enum View {
    Lateral,
    Dorsal,
}

impl View {
    /// Screen coordinates (right, up) and depth (towards the viewer) of a point.
    fn project(self, p: [f64; 3]) -> (f64, f64, f64) {
        match self {
            View::Lateral => (-p[0], p[2], p[1]),
            View::Dorsal => (-p[1], p[0], p[2]),
        }
    }

    fn name(self) -> &'static str {
        match self {
            View::Lateral => "lateral (left)",
            View::Dorsal => "dorsal",
        }
    }
}

/// Paints each chosen mode on the connectome's surface mesh, one image per mode with a lateral and
/// a dorsal view, into `dir` as `mode_<m>.<ext>` (`ext` is `png` or `svg`). Returns the files.
pub fn paint_modes(
    c: &Connectome,
    h: &Harmonics,
    modes: &[usize],
    dir: &Path,
    ext: &str,
) -> Result<Vec<PathBuf>, ExportError> {
    let mesh = c.mesh().ok_or(ExportError::NoMesh)?;
    register_font();
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let mut files = Vec::new();
    for &m in modes {
        if m >= h.modes.len() {
            return Err(ExportError::NoSuchMode {
                mode: m,
                count: h.modes.len(),
            });
        }
        let path = dir.join(format!("mode_{m:03}.{ext}"));
        let values: Vec<f64> = h.vectors.column(m).iter().copied().collect();
        let title = format!(
            "mode {m} ({}, λ = {:.4e}, f = {:.3} Hz)",
            h.modes[m].kind.name(),
            h.modes[m].eigenvalue,
            h.modes[m].frequency_hz
        );
        match format_of(&path)? {
            Format::Png => paint(
                BitMapBackend::new(&path, (1200, 560)).into_drawing_area(),
                mesh,
                &values,
                &title,
                &path,
            )?,
            Format::Svg => paint(
                SVGBackend::new(&path, (1200, 560)).into_drawing_area(),
                mesh,
                &values,
                &title,
                &path,
            )?,
        }
        files.push(path);
    }
    Ok(files)
}

fn paint<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    mesh: &anneal_connectome::SurfaceMesh,
    values: &[f64],
    title: &str,
    path: &Path,
) -> Result<(), ExportError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| draw_error(path, e))?;
    let root = root
        .titled(title, (FONT_FAMILY, 22))
        .map_err(|e| draw_error(path, e))?;
    let scale = values.iter().map(|v| v.abs()).fold(0.0, f64::max);
    let scale = if scale > 0.0 { scale } else { 1.0 };
    let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
    for (area, view) in [(left, View::Lateral), (right, View::Dorsal)] {
        let (width, height) = area.dim_in_pixel();
        let projected: Vec<(f64, f64, f64)> =
            mesh.vertices.iter().map(|&p| view.project(p)).collect();
        let (mut min_x, mut max_x, mut min_y, mut max_y) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for &(x, y, _) in &projected {
            min_x = min_x.min(x);
            max_x = max_x.max(x);
            min_y = min_y.min(y);
            max_y = max_y.max(y);
        }
        let margin = 30.0;
        let zoom = ((width as f64 - 2.0 * margin) / (max_x - min_x).max(1e-9))
            .min((height as f64 - 2.0 * margin) / (max_y - min_y).max(1e-9));
        let to_pixel = |x: f64, y: f64| -> (i32, i32) {
            let px = width as f64 / 2.0 + (x - (min_x + max_x) / 2.0) * zoom;
            let py = height as f64 / 2.0 - (y - (min_y + max_y) / 2.0) * zoom;
            (px.round() as i32, py.round() as i32)
        };
        let mut order: Vec<(f64, usize)> = mesh
            .triangles
            .iter()
            .enumerate()
            .map(|(t, tri)| (tri.iter().map(|&v| projected[v].2).sum::<f64>(), t))
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (_, t) in order {
            let tri = mesh.triangles[t];
            let [a, b, c] = tri.map(|v| projected[v]);
            // Facing: |normal · view direction|, from the projected triangle's signed area.
            let u = (b.0 - a.0, b.1 - a.1, b.2 - a.2);
            let w = (c.0 - a.0, c.1 - a.1, c.2 - a.2);
            let normal = (
                u.1 * w.2 - u.2 * w.1,
                u.2 * w.0 - u.0 * w.2,
                u.0 * w.1 - u.1 * w.0,
            );
            let length = (normal.0 * normal.0 + normal.1 * normal.1 + normal.2 * normal.2).sqrt();
            let facing = if length > 0.0 {
                (normal.2 / length).abs()
            } else {
                0.0
            };
            let value = tri.iter().map(|&v| values[v]).sum::<f64>() / 3.0;
            let (r, g, bl) = diverging_colour(value / scale);
            let shade = 0.35 + 0.65 * facing;
            let colour = RGBColor(
                (r * shade * 255.0) as u8,
                (g * shade * 255.0) as u8,
                (bl * shade * 255.0) as u8,
            );
            let points = vec![to_pixel(a.0, a.1), to_pixel(b.0, b.1), to_pixel(c.0, c.1)];
            area.draw(&Polygon::new(points, colour.filled()))
                .map_err(|e| draw_error(path, e))?;
        }
        area.draw(&Text::new(view.name(), (10, 10), (FONT_FAMILY, 16)))
            .map_err(|e| draw_error(path, e))?;
    }
    root.present().map_err(|e| draw_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anneal_connectome::generators::lattice;
    use anneal_connectome::{SurfaceMesh, import::mesh_connectome};
    use anneal_harmonics::{HarmonicsSettings, compute_harmonics};

    fn little_sphere() -> Connectome {
        // An octahedron: a closed mesh with 6 vertices and 8 triangles.
        let vertices = vec![
            [1.0, 0.0, 0.0],
            [-1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, -1.0, 0.0],
            [0.0, 0.0, 1.0],
            [0.0, 0.0, -1.0],
        ];
        let triangles = vec![
            [0, 2, 4],
            [2, 1, 4],
            [1, 3, 4],
            [3, 0, 4],
            [2, 0, 5],
            [1, 2, 5],
            [3, 1, 5],
            [0, 3, 5],
        ];
        mesh_connectome(SurfaceMesh {
            vertices,
            triangles,
        })
        .unwrap()
    }

    #[test]
    fn table_csv_and_npy() {
        let c = lattice(3, 3, false).unwrap();
        let h = compute_harmonics(
            &c,
            &HarmonicsSettings {
                csh_modes: 4,
                ..Default::default()
            },
            None,
        )
        .unwrap();
        let table = spectrum_table(&h, &c);
        assert_eq!(table.lines().count(), 5);
        assert!(table.lines().nth(1).unwrap().contains("CSH"));
        let csv = spectrum_csv(&h, &c);
        let second: Vec<&str> = csv.lines().nth(2).unwrap().split(',').collect();
        assert_eq!(second[1], "CSH");
        assert_eq!(second[3].parse::<f64>().unwrap(), h.modes[1].eigenvalue);
        let npy = vectors_npy(&h).unwrap();
        assert_eq!(&npy[..6], b"\x93NUMPY");
        let header_len = u16::from_le_bytes([npy[8], npy[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        assert!(
            std::str::from_utf8(&npy[10..10 + header_len])
                .unwrap()
                .contains("'shape': (9, 4)")
        );
        let first = f64::from_le_bytes(npy[10 + header_len..18 + header_len].try_into().unwrap());
        assert_eq!(first, h.vectors[(0, 0)]);
        assert_eq!(npy.len(), 10 + header_len + 9 * 4 * 8);
    }

    #[test]
    fn painting_and_spectrum_plot_write_files() {
        let c = little_sphere();
        let h = compute_harmonics(
            &c,
            &HarmonicsSettings {
                csh_modes: 3,
                ..Default::default()
            },
            None,
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let files = paint_modes(&c, &h, &[1, 2], dir.path(), "svg").unwrap();
        assert_eq!(files.len(), 2);
        let svg = std::fs::read_to_string(&files[0]).unwrap();
        assert_eq!(
            svg.matches("<polygon").count(),
            16,
            "8 triangles in each of two views"
        );
        let png = paint_modes(&c, &h, &[1], dir.path(), "png").unwrap();
        assert!(std::fs::read(&png[0]).unwrap().starts_with(b"\x89PNG"));
        plot_spectrum(&dir.path().join("spectrum.svg"), &h).unwrap();
        assert!(matches!(
            paint_modes(&c, &h, &[7], dir.path(), "svg"),
            Err(ExportError::NoSuchMode { .. })
        ));
        assert!(matches!(
            paint_modes(&lattice(2, 2, false).unwrap(), &h, &[0], dir.path(), "svg"),
            Err(ExportError::NoMesh)
        ));
    }

    #[test]
    fn diverging_map_ends_and_middle() {
        assert_eq!(diverging_colour(0.0), (1.0, 1.0, 1.0));
        assert!(diverging_colour(1.0).0 > diverging_colour(1.0).2);
        assert!(diverging_colour(-1.0).2 > diverging_colour(-1.0).0);
    }
}
