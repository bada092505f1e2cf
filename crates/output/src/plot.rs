//! Figures as SVG and PNG, drawn with plotters and the embedded DejaVu Sans font.
//!
//! Four kinds of [`Figure`]: time series as lines ([`Figure::Lines`]), energy by band as stacked
//! areas ([`Figure::StackedAreas`]), a mode × time heatmap with a colour bar
//! ([`Figure::Heatmap`]) and a spectrum as stems ([`Figure::Spectrum`]). Every figure is drawn
//! from plain numbers; the time axis is shown in seconds, minutes or hours, whichever reads best
//! for the run's length. The same figure always gives the same bytes: nothing depends on the
//! system's fonts, the clock or hash-map order.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::OutputError;

/// DejaVu Sans (see assets/fonts/DejaVuSans-LICENSE.txt), so text never depends on system fonts.
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// Registered as plotters' generic family so every default text style uses it too.
pub(crate) const FONT_FAMILY: &str = "sans-serif";
static REGISTER_FONT: Once = Once::new();

/// Width and height in pixels: 16:10, legible when projected in a talk.
pub const SIZE: (u32, u32) = (1280, 800);
pub(super) const TITLE_SIZE: f64 = 34.0;
pub(super) const AXIS_LABEL_SIZE: f64 = 26.0;
pub(super) const TICK_LABEL_SIZE: f64 = 20.0;
pub(super) const LEGEND_SIZE: f64 = 22.0;

/// The Okabe–Ito palette: distinguishable with every common colour-vision deficiency.
pub(super) const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(240, 228, 66),
];

pub(crate) fn register_font() {
    REGISTER_FONT.call_once(|| {
        // The bytes are a fixed, valid TrueType file; a failure here is a build defect that
        // the tests catch, and drawing would then report FontUnavailable rather than panic.
        let _ = plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT);
    });
}

/// One named line: a label for the legend and one value per time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line<'a> {
    /// Legend label, e.g. `valence`.
    pub label: &'a str,
    /// One value per entry of the figure's time axis.
    pub values: &'a [f64],
}

/// Whether heatmap colours follow the values or their decimal logarithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourScale {
    /// Colour proportional to the value.
    Linear,
    /// Colour proportional to `log10(value)`; every value must be positive.
    Log10,
}

/// A figure, described by plain data.
#[derive(Debug, Clone, PartialEq)]
pub enum Figure<'a> {
    /// Several quantities against time, one line each.
    Lines {
        /// The title above the plot.
        title: &'a str,
        /// Vertical axis label with its unit, e.g. `temperature [K]`.
        y_label: &'a str,
        /// Times in seconds.
        times: &'a [f64],
        /// The lines, drawn in order with the palette's colours.
        lines: Vec<Line<'a>>,
    },
    /// Non-negative parts of a whole (e.g. energy by band) stacked against time.
    StackedAreas {
        /// The title above the plot.
        title: &'a str,
        /// Vertical axis label with its unit.
        y_label: &'a str,
        /// Times in seconds.
        times: &'a [f64],
        /// The parts, stacked bottom to top.
        parts: Vec<Line<'a>>,
    },
    /// A matrix of values over time (columns) and mode index (rows), with a colour bar.
    Heatmap {
        /// The title above the plot.
        title: &'a str,
        /// Label of the colour bar with its unit, e.g. `mode energy`.
        value_label: &'a str,
        /// Times in seconds, one per record.
        times: &'a [f64],
        /// Number of modes per record.
        modes: usize,
        /// `times.len() × modes` values, record-major (the layout of `mode_energy.npy`).
        values: &'a [f64],
        /// Linear or logarithmic colours.
        scale: ColourScale,
    },
    /// Values against their index as stems with markers, e.g. eigenvalues or frequencies by mode.
    Spectrum {
        /// The title above the plot.
        title: &'a str,
        /// Horizontal axis label, e.g. `mode index`.
        x_label: &'a str,
        /// Vertical axis label with its unit, e.g. `frequency [Hz]`.
        y_label: &'a str,
        /// One value per index, starting at index 0.
        values: &'a [f64],
    },
}

/// The unit in which the time axis is labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds.
    Seconds,
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
}

impl TimeUnit {
    /// The most readable unit for a run spanning `span_seconds`: seconds below three minutes,
    /// minutes below three hours, hours beyond.
    pub fn for_span(span_seconds: f64) -> Self {
        if span_seconds < 180.0 {
            TimeUnit::Seconds
        } else if span_seconds < 3.0 * 3600.0 {
            TimeUnit::Minutes
        } else {
            TimeUnit::Hours
        }
    }

    /// Seconds per unit.
    pub fn seconds(self) -> f64 {
        match self {
            TimeUnit::Seconds => 1.0,
            TimeUnit::Minutes => 60.0,
            TimeUnit::Hours => 3600.0,
        }
    }

    /// The symbol used in the axis label.
    pub fn symbol(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "s",
            TimeUnit::Minutes => "min",
            TimeUnit::Hours => "h",
        }
    }
}

type DrawResult = Result<(), String>;

pub(super) fn draw_error(error: impl std::fmt::Display) -> String {
    error.to_string()
}

/// A range containing `[lo, hi]` with a 5 % margin, never empty.
pub(super) fn padded(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let span = hi - lo;
    if span > 0.0 {
        (lo - 0.05 * span)..(hi + 0.05 * span)
    } else {
        let half = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
        (lo - half)..(hi + half)
    }
}

pub(super) fn extent(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

impl Figure<'_> {
    fn title(&self) -> &str {
        match self {
            Figure::Lines { title, .. }
            | Figure::StackedAreas { title, .. }
            | Figure::Heatmap { title, .. }
            | Figure::Spectrum { title, .. } => title,
        }
    }

    /// Checks lengths and finiteness before anything is drawn.
    fn validate(&self) -> Result<(), OutputError> {
        let check_lines = |times: &[f64], lines: &[Line<'_>]| -> Result<(), OutputError> {
            if times.is_empty() {
                return Err(OutputError::Statistics(format!(
                    "plot `{}` has no recorded times",
                    self.title()
                )));
            }
            super::check_finite("time", times)?;
            for line in lines {
                if line.values.len() != times.len() {
                    return Err(OutputError::LengthMismatch {
                        what: format!("plotted `{}` against the time axis", line.label),
                        expected: times.len(),
                        found: line.values.len(),
                    });
                }
                super::check_finite(line.label, line.values)?;
            }
            Ok(())
        };
        match self {
            Figure::Lines { times, lines, .. } => check_lines(times, lines),
            Figure::StackedAreas { times, parts, .. } => {
                check_lines(times, parts)?;
                for part in parts {
                    if let Some(row) = part.values.iter().position(|v| *v < 0.0) {
                        return Err(OutputError::Statistics(format!(
                            "stacked plot `{}`: `{}` is negative at row {row}, and only non-negative parts can be stacked",
                            self.title(),
                            part.label
                        )));
                    }
                }
                Ok(())
            }
            Figure::Heatmap {
                times,
                modes,
                values,
                scale,
                ..
            } => {
                if times.is_empty() || *modes == 0 {
                    return Err(OutputError::Statistics(format!(
                        "heatmap `{}` has no data",
                        self.title()
                    )));
                }
                super::check_finite("time", times)?;
                if values.len() != times.len() * modes {
                    return Err(OutputError::LengthMismatch {
                        what: format!(
                            "heatmap `{}` ({} records × {modes} modes)",
                            self.title(),
                            times.len()
                        ),
                        expected: times.len() * modes,
                        found: values.len(),
                    });
                }
                super::check_finite(self.title(), values)?;
                if *scale == ColourScale::Log10
                    && let Some(index) = values.iter().position(|v| *v <= 0.0)
                {
                    return Err(OutputError::Statistics(format!(
                        "heatmap `{}` uses a logarithmic scale, but value {index} (record {}, mode {}) is {}",
                        self.title(),
                        index / modes,
                        index % modes,
                        values[index]
                    )));
                }
                Ok(())
            }
            Figure::Spectrum { values, .. } => {
                if values.is_empty() {
                    return Err(OutputError::Statistics(format!(
                        "spectrum `{}` has no values",
                        self.title()
                    )));
                }
                super::check_finite(self.title(), values)
            }
        }
    }

    /// Draws the figure as an SVG document.
    pub fn render_svg(&self) -> Result<String, OutputError> {
        self.validate()?;
        register_font();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            self.draw(&root)
                .and_then(|()| root.present().map_err(draw_error))
                .map_err(|reason| OutputError::Plot {
                    plot: self.title().to_string(),
                    reason,
                })?;
        }
        Ok(svg)
    }

    /// Draws the figure as a PNG file at `path`.
    pub fn render_png(&self, path: &Path) -> Result<(), OutputError> {
        self.validate()?;
        register_font();
        let root = BitMapBackend::new(path, SIZE).into_drawing_area();
        self.draw(&root)
            .and_then(|()| root.present().map_err(draw_error))
            .map_err(|reason| OutputError::Plot {
                plot: self.title().to_string(),
                reason,
            })
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        root.fill(&WHITE).map_err(draw_error)?;
        match self {
            Figure::Lines {
                title,
                y_label,
                times,
                lines,
            } => draw_lines(root, title, y_label, times, lines, false),
            Figure::StackedAreas {
                title,
                y_label,
                times,
                parts,
            } => draw_lines(root, title, y_label, times, parts, true),
            Figure::Heatmap {
                title,
                value_label,
                times,
                modes,
                values,
                scale,
            } => draw_heatmap(root, title, value_label, times, *modes, values, *scale),
            Figure::Spectrum {
                title,
                x_label,
                y_label,
                values,
            } => draw_spectrum(root, title, x_label, y_label, values),
        }
    }
}

/// Tick labels with at most six significant digits and no trailing `.0` (`20`, `0.3`, `1e-12`).
pub(super) fn tick_label(value: &f64) -> String {
    let rounded: f64 = format!("{value:.5e}").parse().unwrap_or(*value);
    super::csv::format_float(if rounded == 0.0 { 0.0 } else { rounded })
}

pub(super) fn text(size: f64) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&BLACK)
}

fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    times: &[f64],
    lines: &[Line<'_>],
    stacked: bool,
) -> DrawResult {
    let unit = TimeUnit::for_span(times[times.len() - 1] - times[0]);
    let scaled: Vec<f64> = times.iter().map(|t| t / unit.seconds()).collect();
    // Cumulative sums give each stacked band its upper edge; plain lines use the values as is.
    let mut tops: Vec<Vec<f64>> = Vec::with_capacity(lines.len());
    for line in lines {
        let top: Vec<f64> = match (stacked, tops.last()) {
            (true, Some(below)) => below.iter().zip(line.values).map(|(b, v)| b + v).collect(),
            _ => line.values.to_vec(),
        };
        tops.push(top);
    }
    let (mut lo, hi) = extent(tops.iter().flatten().copied());
    if stacked {
        lo = 0.0;
    }
    let (lo, hi) = if lines.is_empty() {
        (0.0, 1.0)
    } else {
        (lo, hi)
    };
    let y_range = if stacked {
        0.0..padded(lo, hi).end
    } else {
        padded(lo, hi)
    };
    let x_range = padded(scaled[0], scaled[scaled.len() - 1]);
    let x_range = if scaled.len() > 1 {
        scaled[0]..scaled[scaled.len() - 1]
    } else {
        x_range
    };

    let mut chart = ChartBuilder::on(root)
        .caption(title, text(TITLE_SIZE))
        .margin(24)
        .x_label_area_size(70)
        .y_label_area_size(110)
        .build_cartesian_2d(x_range, y_range)
        .map_err(draw_error)?;
    chart
        .configure_mesh()
        .x_desc(format!("time [{}]", unit.symbol()))
        .y_desc(y_label)
        .axis_desc_style(text(AXIS_LABEL_SIZE))
        .label_style(text(TICK_LABEL_SIZE))
        .x_label_formatter(&tick_label)
        .y_label_formatter(&tick_label)
        .bold_line_style(RGBColor(220, 220, 220))
        .light_line_style(RGBColor(242, 242, 242))
        .x_labels(8)
        .y_labels(8)
        .draw()
        .map_err(draw_error)?;

    for (index, (line, top)) in lines.iter().zip(&tops).enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        if stacked {
            let bottom: Vec<f64> = if index == 0 {
                vec![0.0; top.len()]
            } else {
                tops[index - 1].clone()
            };
            let mut outline: Vec<(f64, f64)> =
                scaled.iter().copied().zip(top.iter().copied()).collect();
            outline.extend(scaled.iter().copied().zip(bottom.iter().copied()).rev());
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    colour.mix(0.75).filled(),
                )))
                .map_err(draw_error)?
                .label(line.label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 8), (x + 24, y + 8)], colour.mix(0.75).filled())
                });
            chart
                .draw_series(LineSeries::new(
                    scaled.iter().copied().zip(top.iter().copied()),
                    colour.stroke_width(2),
                ))
                .map_err(draw_error)?;
        } else {
            let style = colour.stroke_width(3);
            chart
                .draw_series(LineSeries::new(
                    scaled.iter().copied().zip(top.iter().copied()),
                    style,
                ))
                .map_err(draw_error)?
                .label(line.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], style));
        }
    }
    if !lines.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .margin(12)
            .label_font(text(LEGEND_SIZE))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .draw()
            .map_err(draw_error)?;
    }
    Ok(())
}

/// Viridis at nine evenly spaced points, interpolated linearly between them.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// The viridis colour at `fraction` in [0, 1].
pub fn viridis(fraction: f64) -> RGBColor {
    let position = fraction.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let index = (position.floor() as usize).min(VIRIDIS.len() - 2);
    let weight = position - index as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + weight * (f64::from(b) - f64::from(a))).round() as u8;
    let (a, b) = (VIRIDIS[index], VIRIDIS[index + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// At most this many heatmap cells along time: more would not be visible at [`SIZE`] and would
/// make the SVG huge, so records are averaged in equal consecutive groups.
const MAX_HEATMAP_COLUMNS: usize = 400;
/// At most this many heatmap rows (modes), averaged the same way.
const MAX_HEATMAP_ROWS: usize = 200;

/// Averages a `rows × columns` matrix (row-major) into at most `max_rows × max_columns` blocks.
fn block_average(
    values: &[f64],
    rows: usize,
    columns: usize,
    max_rows: usize,
    max_columns: usize,
) -> (Vec<f64>, usize, usize) {
    let row_group = rows.div_ceil(max_rows);
    let column_group = columns.div_ceil(max_columns);
    let out_rows = rows.div_ceil(row_group);
    let out_columns = columns.div_ceil(column_group);
    let mut sums = vec![0.0; out_rows * out_columns];
    let mut counts = vec![0usize; out_rows * out_columns];
    for row in 0..rows {
        for column in 0..columns {
            let cell = (row / row_group) * out_columns + column / column_group;
            sums[cell] += values[row * columns + column];
            counts[cell] += 1;
        }
    }
    let averages = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| s / c as f64)
        .collect();
    (averages, out_rows, out_columns)
}

fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    value_label: &str,
    times: &[f64],
    modes: usize,
    values: &[f64],
    scale: ColourScale,
) -> DrawResult {
    let records = times.len();
    let mapped: Vec<f64> = match scale {
        ColourScale::Linear => values.to_vec(),
        ColourScale::Log10 => values.iter().map(|v| v.log10()).collect(),
    };
    let (cells, record_blocks, mode_blocks) = block_average(
        &mapped,
        records,
        modes,
        MAX_HEATMAP_COLUMNS,
        MAX_HEATMAP_ROWS,
    );
    let (lo, hi) = extent(cells.iter().copied());
    let colour_span = if hi > lo { hi - lo } else { 1.0 };

    let unit = TimeUnit::for_span(times[records - 1] - times[0]);
    let t_start = times[0] / unit.seconds();
    // Each record stands for the interval up to the next one; the last gets the mean spacing.
    let step = if records > 1 {
        (times[records - 1] - times[0]) / (records - 1) as f64 / unit.seconds()
    } else {
        1.0
    };
    let t_end = times[records - 1] / unit.seconds() + step;
    let records_per_block = records.div_ceil(record_blocks.max(1)).max(1);
    let modes_per_block = modes.div_ceil(mode_blocks.max(1)).max(1);
    let record_time = |record: usize| {
        if record >= records {
            t_end
        } else {
            times[record] / unit.seconds()
        }
    };

    let root = root
        .margin(20, 0, 0, 0)
        .titled(title, text(TITLE_SIZE))
        .map_err(draw_error)?;
    let (main, bar_area) = root.split_horizontally(SIZE.0 - 200);
    let mut chart = ChartBuilder::on(&main)
        .margin(24)
        .x_label_area_size(70)
        .y_label_area_size(110)
        .build_cartesian_2d(t_start..t_end, 0.0..modes as f64)
        .map_err(draw_error)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(format!("time [{}]", unit.symbol()))
        .y_desc("mode index")
        .axis_desc_style(text(AXIS_LABEL_SIZE))
        .label_style(text(TICK_LABEL_SIZE))
        .x_label_formatter(&tick_label)
        .y_label_formatter(&tick_label)
        .x_labels(8)
        .y_labels(8)
        .draw()
        .map_err(draw_error)?;
    let rectangles = (0..record_blocks)
        .flat_map(|block_column| (0..mode_blocks).map(move |block_row| (block_column, block_row)));
    chart
        .draw_series(rectangles.map(|(block_column, block_row)| {
            // Rows of `cells` are records (time), columns are modes.
            let value = cells[block_column * mode_blocks + block_row];
            let x0 = record_time(block_column * records_per_block);
            let x1 = record_time((block_column + 1) * records_per_block);
            let y0 = (block_row * modes_per_block) as f64;
            let y1 = ((block_row + 1) * modes_per_block).min(modes) as f64;
            Rectangle::new(
                [(x0, y0), (x1, y1)],
                viridis((value - lo) / colour_span).filled(),
            )
        }))
        .map_err(draw_error)?;

    // The colour bar: a thin chart whose y axis carries the value scale.
    let bar_label = match scale {
        ColourScale::Linear => value_label.to_string(),
        ColourScale::Log10 => format!("log10 {value_label}"),
    };
    let (bar_lo, bar_hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let mut bar = ChartBuilder::on(&bar_area)
        .margin_top(24)
        .margin_bottom(94)
        .margin_right(20)
        .y_label_area_size(100)
        .build_cartesian_2d(0.0..1.0, bar_lo..bar_hi)
        .map_err(draw_error)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(bar_label)
        .axis_desc_style(text(AXIS_LABEL_SIZE))
        .label_style(text(TICK_LABEL_SIZE))
        .y_label_formatter(&tick_label)
        .y_labels(6)
        .draw()
        .map_err(draw_error)?;
    const BAR_STEPS: usize = 128;
    bar.draw_series((0..BAR_STEPS).map(|i| {
        let f0 = i as f64 / BAR_STEPS as f64;
        let f1 = (i + 1) as f64 / BAR_STEPS as f64;
        let y0 = bar_lo + f0 * (bar_hi - bar_lo);
        let y1 = bar_lo + f1 * (bar_hi - bar_lo);
        Rectangle::new([(0.0, y0), (1.0, y1)], viridis((f0 + f1) / 2.0).filled())
    }))
    .map_err(draw_error)?;
    Ok(())
}

fn draw_spectrum<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    values: &[f64],
) -> DrawResult {
    let (lo, hi) = extent(values.iter().copied());
    let y_range = padded(lo.min(0.0), hi.max(0.0));
    let x_range = -0.5..(values.len() as f64 - 0.5);
    let mut chart = ChartBuilder::on(root)
        .caption(title, text(TITLE_SIZE))
        .margin(24)
        .x_label_area_size(70)
        .y_label_area_size(110)
        .build_cartesian_2d(x_range, y_range)
        .map_err(draw_error)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style(text(AXIS_LABEL_SIZE))
        .label_style(text(TICK_LABEL_SIZE))
        .x_label_formatter(&tick_label)
        .y_label_formatter(&tick_label)
        .bold_line_style(RGBColor(220, 220, 220))
        .light_line_style(RGBColor(242, 242, 242))
        .x_labels(10)
        .y_labels(8)
        .draw()
        .map_err(draw_error)?;
    let colour = PALETTE[0];
    // Markers shrink for long spectra so neighbours stay apart.
    let radius = if values.len() > 100 { 2 } else { 5 };
    chart
        .draw_series(values.iter().enumerate().map(|(index, &value)| {
            PathElement::new(
                vec![(index as f64, 0.0), (index as f64, value)],
                colour.mix(0.6).stroke_width(2),
            )
        }))
        .map_err(draw_error)?;
    chart
        .draw_series(
            values
                .iter()
                .enumerate()
                .map(|(index, &value)| Circle::new((index as f64, value), radius, colour.filled())),
        )
        .map_err(draw_error)?;
    Ok(())
}

impl super::ResultsWriter {
    /// Writes `plots/STEM.svg` and `plots/STEM.png`.
    pub fn write_figure(&self, stem: &str, figure: &Figure<'_>) -> Result<(), OutputError> {
        super::check_file_stem(stem)?;
        let svg = figure.render_svg()?;
        self.write_bytes(&format!("plots/{stem}.svg"), svg.as_bytes())?;
        figure.render_png(&self.file_path(&format!("plots/{stem}.png"))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_times(n: usize, end: f64) -> Vec<f64> {
        (0..n).map(|i| end * i as f64 / (n - 1) as f64).collect()
    }

    #[test]
    fn time_unit_follows_the_span() {
        assert_eq!(TimeUnit::for_span(90.0), TimeUnit::Seconds);
        assert_eq!(TimeUnit::for_span(1800.0), TimeUnit::Minutes);
        assert_eq!(TimeUnit::for_span(6.0 * 3600.0), TimeUnit::Hours);
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(&20.0), "20");
        assert_eq!(tick_label(&0.30000000000000004), "0.3");
        assert_eq!(tick_label(&-0.0), "0");
        assert_eq!(tick_label(&1e-12), "1e-12");
        assert_eq!(tick_label(&2.5), "2.5");
    }

    #[test]
    fn viridis_ends_are_the_published_colours() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(0.5), RGBColor(33, 144, 141));
    }

    #[test]
    fn block_average_preserves_the_mean() {
        let values: Vec<f64> = (0..12).map(f64::from).collect();
        let (cells, rows, columns) = block_average(&values, 4, 3, 2, 3);
        assert_eq!((rows, columns), (2, 3));
        // Rows 0-1 and 2-3 averaged: (0+3)/2, (1+4)/2, ...
        assert_eq!(cells, vec![1.5, 2.5, 3.5, 7.5, 8.5, 9.5]);
    }

    #[test]
    fn the_same_figure_gives_the_same_svg_bytes_and_uses_the_labels() {
        let times = demo_times(50, 600.0);
        let a: Vec<f64> = times.iter().map(|t| (t / 60.0).sin()).collect();
        let figure = Figure::Lines {
            title: "Valence",
            y_label: "valence [1]",
            times: &times,
            lines: vec![Line {
                label: "valence",
                values: &a,
            }],
        };
        let first = figure.render_svg().unwrap();
        assert_eq!(first, figure.render_svg().unwrap());
        assert!(
            first.contains("time [min]")
                && first.contains("valence [1]")
                && first.contains("Valence")
        );
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        let times = [0.0, 1.0];
        let lines = |values| Figure::Lines {
            title: "t",
            y_label: "y",
            times: &times,
            lines: vec![Line { label: "x", values }],
        };
        assert!(lines(&[1.0, f64::NAN]).render_svg().is_err());
        assert!(lines(&[1.0]).render_svg().is_err());
        let negative = Figure::StackedAreas {
            title: "t",
            y_label: "y",
            times: &times,
            parts: vec![Line {
                label: "low",
                values: &[1.0, -1.0],
            }],
        };
        assert!(
            negative
                .render_svg()
                .unwrap_err()
                .to_string()
                .contains("negative")
        );
        let zero = Figure::Heatmap {
            title: "h",
            value_label: "E",
            times: &times,
            modes: 1,
            values: &[1.0, 0.0],
            scale: ColourScale::Log10,
        };
        assert!(
            zero.render_svg()
                .unwrap_err()
                .to_string()
                .contains("record 1, mode 0")
        );
        assert!(
            Figure::Spectrum {
                title: "s",
                x_label: "i",
                y_label: "v",
                values: &[]
            }
            .render_svg()
            .is_err()
        );
    }

    #[test]
    fn every_kind_renders_svg_and_png() {
        let dir = tempfile::tempdir().unwrap();
        let times = demo_times(300, 2.0 * 3600.0);
        let low: Vec<f64> = times
            .iter()
            .map(|t| 1.0 + (t / 900.0).sin().abs())
            .collect();
        let high: Vec<f64> = times
            .iter()
            .map(|t| 0.5 + 0.4 * (t / 400.0).cos())
            .collect();
        let modes = 60;
        let energy: Vec<f64> = (0..times.len() * modes)
            .map(|i| {
                let (record, mode) = (i / modes, i % modes);
                (-(mode as f64) / 15.0).exp()
                    * (1.0 + 0.5 * (record as f64 / 40.0 + mode as f64).sin())
                    + 1e-3
            })
            .collect();
        let spectrum: Vec<f64> = (0..40).map(|k| (k as f64).sqrt() * 0.8).collect();
        let figures = [
            (
                "lines",
                Figure::Lines {
                    title: "Temperature and bath",
                    y_label: "temperature [1]",
                    times: &times,
                    lines: vec![
                        Line {
                            label: "temperature",
                            values: &low,
                        },
                        Line {
                            label: "bath",
                            values: &high,
                        },
                    ],
                },
            ),
            (
                "bands",
                Figure::StackedAreas {
                    title: "Energy by band",
                    y_label: "energy [1]",
                    times: &times,
                    parts: vec![
                        Line {
                            label: "low (0–10)",
                            values: &low,
                        },
                        Line {
                            label: "high (10–60)",
                            values: &high,
                        },
                    ],
                },
            ),
            (
                "heatmap",
                Figure::Heatmap {
                    title: "Mode energy",
                    value_label: "energy [1]",
                    times: &times,
                    modes,
                    values: &energy,
                    scale: ColourScale::Log10,
                },
            ),
            (
                "spectrum",
                Figure::Spectrum {
                    title: "Spectrum",
                    x_label: "mode index",
                    y_label: "eigenvalue [1]",
                    values: &spectrum,
                },
            ),
        ];
        for (stem, figure) in &figures {
            let svg = figure.render_svg().unwrap();
            assert!(
                svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
                "{stem}"
            );
            let png = dir.path().join(format!("{stem}.png"));
            figure.render_png(&png).unwrap();
            let bytes = std::fs::read(&png).unwrap();
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{stem}");
            if let Some(keep) = std::env::var_os("ANNEAL_KEEP_PLOTS") {
                std::fs::copy(&png, Path::new(&keep).join(format!("{stem}.png"))).unwrap();
            }
        }
    }
}
