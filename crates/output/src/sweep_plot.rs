//! The figure of a scenario sweep against one varied parameter: one panel per recorded
//! quantity, each showing a summary of that quantity (its final value, its mean over the run)
//! at every value of the parameter as the mean over the other axes (seeds, ...) with a bar of
//! ± one standard deviation. Numeric parameters are placed by value; labelled ones (`slow`,
//! `fast`) are placed in their order, evenly spaced.
//!
//! Drawn with the same font, palette and sizes as [`super::plot`], so the bytes depend only on
//! the numbers.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::OutputError;
use super::plot::{
    AXIS_LABEL_SIZE, LEGEND_SIZE, PALETTE, SIZE, TICK_LABEL_SIZE, TITLE_SIZE, draw_error, extent,
    padded, register_font, text, tick_label,
};

/// Where the parameter's values go on the horizontal axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Positions<'a> {
    /// Numbers (in the unit of the axis label), placed by value.
    Values(&'a [f64]),
    /// Labels, placed at 0, 1, 2, ... and written under their place.
    Labels(&'a [String]),
}

impl Positions<'_> {
    fn len(&self) -> usize {
        match self {
            Positions::Values(values) => values.len(),
            Positions::Labels(labels) => labels.len(),
        }
    }

    fn x(&self, index: usize) -> f64 {
        match self {
            Positions::Values(values) => values[index],
            Positions::Labels(_) => index as f64,
        }
    }
}

/// One summary of a quantity over the parameter's values: the mean at each value and the
/// spread (one standard deviation) around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary<'a> {
    /// Legend label, e.g. `final`.
    pub label: &'a str,
    /// One mean per parameter value.
    pub means: &'a [f64],
    /// One non-negative spread per parameter value.
    pub spreads: &'a [f64],
}

/// One panel: a quantity and its summaries.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel<'a> {
    /// The quantity with its unit, e.g. `frustration` or `energy [1]`.
    pub title: &'a str,
    pub summaries: Vec<Summary<'a>>,
}

/// A sweep figure, described by plain data.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepFigure<'a> {
    pub title: &'a str,
    /// The parameter with its unit, e.g. `duration [s]`.
    pub x_label: &'a str,
    pub positions: Positions<'a>,
    pub panels: Vec<Panel<'a>>,
}

/// Panels per row: two up to four panels, three beyond.
fn columns(panels: usize) -> usize {
    if panels <= 1 {
        1
    } else if panels <= 4 {
        2
    } else {
        3
    }
}

impl SweepFigure<'_> {
    /// The figure's size: [`SIZE`] for up to two rows of panels, taller beyond so that every
    /// panel keeps 400 pixels of height.
    pub fn size(&self) -> (u32, u32) {
        let rows = self
            .panels
            .len()
            .div_ceil(columns(self.panels.len()))
            .max(1);
        (SIZE.0, SIZE.1.max(400 * rows as u32))
    }

    fn validate(&self) -> Result<(), OutputError> {
        let count = self.positions.len();
        if count == 0 || self.panels.is_empty() {
            return Err(OutputError::Statistics(format!(
                "sweep plot `{}` has no data",
                self.title
            )));
        }
        if let Positions::Values(values) = self.positions {
            super::check_finite(self.x_label, values)?;
        }
        for panel in &self.panels {
            for summary in &panel.summaries {
                for (what, values) in [("means", summary.means), ("spreads", summary.spreads)] {
                    if values.len() != count {
                        return Err(OutputError::LengthMismatch {
                            what: format!(
                                "sweep plot `{}`: {what} of `{}` {}",
                                self.title, panel.title, summary.label
                            ),
                            expected: count,
                            found: values.len(),
                        });
                    }
                    super::check_finite(panel.title, values)?;
                }
                if let Some(index) = summary.spreads.iter().position(|s| *s < 0.0) {
                    return Err(OutputError::Statistics(format!(
                        "sweep plot `{}`: the spread of `{}` {} is negative at value {index}",
                        self.title, panel.title, summary.label
                    )));
                }
            }
        }
        Ok(())
    }

    /// Draws the figure as an SVG document.
    pub fn render_svg(&self) -> Result<String, OutputError> {
        self.validate()?;
        register_font();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, self.size()).into_drawing_area();
            self.draw(&root)
                .and_then(|()| root.present().map_err(draw_error))
                .map_err(|reason| self.failure(reason))?;
        }
        Ok(svg)
    }

    /// Draws the figure as a PNG file at `path`.
    pub fn render_png(&self, path: &Path) -> Result<(), OutputError> {
        self.validate()?;
        register_font();
        let root = BitMapBackend::new(path, self.size()).into_drawing_area();
        self.draw(&root)
            .and_then(|()| root.present().map_err(draw_error))
            .map_err(|reason| self.failure(reason))
    }

    fn failure(&self, reason: String) -> OutputError {
        OutputError::Plot {
            plot: self.title.to_string(),
            reason,
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(draw_error)?;
        let root = root
            .margin(16, 0, 0, 0)
            .titled(self.title, text(TITLE_SIZE))
            .map_err(draw_error)?;
        let columns = columns(self.panels.len());
        let rows = self.panels.len().div_ceil(columns);
        let areas = root.split_evenly((rows, columns));
        for (panel, area) in self.panels.iter().zip(&areas) {
            self.draw_panel(area, panel)?;
        }
        Ok(())
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel<'_>,
    ) -> Result<(), String> {
        let count = self.positions.len();
        let x_range = match self.positions {
            // A wider margin than `padded` gives, so the bars at the ends clear the axes.
            Positions::Values(values) => {
                let (lo, hi) = extent(values.iter().copied());
                let inner = padded(lo, hi);
                let margin = (inner.end - inner.start) * 0.05;
                (inner.start - margin)..(inner.end + margin)
            }
            Positions::Labels(_) => -0.5..(count as f64 - 0.5),
        };
        let (lo, hi) = extent(panel.summaries.iter().flat_map(|s| {
            s.means
                .iter()
                .zip(s.spreads)
                .flat_map(|(m, d)| [m - d, m + d])
        }));
        // The top third of each panel is left to the legend, so it never hides a point.
        let y_range = if lo.is_finite() {
            let inner = padded(lo, hi);
            inner.start..(inner.end + 0.5 * (inner.end - inner.start))
        } else {
            0.0..1.0
        };
        // Horizontal room between the summaries at one place, so their bars do not overlap.
        let x_span = x_range.end - x_range.start;
        let nudge = 0.012 * x_span;
        let labels = match self.positions {
            Positions::Labels(labels) => Some(labels),
            Positions::Values(_) => None,
        };
        let x_formatter = |x: &f64| match labels {
            // Labels sit at whole positions; ticks elsewhere stay blank.
            Some(labels) => {
                let nearest = x.round();
                if (x - nearest).abs() < 1e-9 && nearest >= 0.0 && (nearest as usize) < count {
                    labels[nearest as usize].clone()
                } else {
                    String::new()
                }
            }
            None => tick_label(x),
        };
        let mut chart = ChartBuilder::on(area)
            .caption(panel.title, text(AXIS_LABEL_SIZE))
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(96)
            .build_cartesian_2d(x_range, y_range)
            .map_err(draw_error)?;
        chart
            .configure_mesh()
            .x_desc(self.x_label)
            .axis_desc_style(text(TICK_LABEL_SIZE))
            .label_style(text(TICK_LABEL_SIZE))
            .x_label_formatter(&x_formatter)
            .y_label_formatter(&tick_label)
            .bold_line_style(RGBColor(220, 220, 220))
            .light_line_style(RGBColor(242, 242, 242))
            .x_labels(if labels.is_some() { count + 1 } else { 6 })
            .y_labels(6)
            .draw()
            .map_err(draw_error)?;
        let offset = |s: usize| (s as f64 - (panel.summaries.len() as f64 - 1.0) / 2.0) * nudge;
        for (s, summary) in panel.summaries.iter().enumerate() {
            let colour = PALETTE[s % PALETTE.len()];
            let points: Vec<(f64, f64)> = (0..count)
                .map(|i| (self.positions.x(i) + offset(s), summary.means[i]))
                .collect();
            // Numeric parameters are joined in order of value; labels are categories, so their
            // means are not joined.
            if labels.is_none() {
                let mut ordered = points.clone();
                ordered.sort_by(|a, b| a.0.total_cmp(&b.0));
                chart
                    .draw_series(LineSeries::new(ordered, colour.mix(0.6).stroke_width(2)))
                    .map_err(draw_error)?;
            }
            let cap = 0.5 * nudge;
            chart
                .draw_series(
                    points
                        .iter()
                        .zip(summary.spreads)
                        .flat_map(|(&(x, y), &d)| {
                            let style = colour.stroke_width(2);
                            [
                                PathElement::new(vec![(x, y - d), (x, y + d)], style),
                                PathElement::new(vec![(x - cap, y - d), (x + cap, y - d)], style),
                                PathElement::new(vec![(x - cap, y + d), (x + cap, y + d)], style),
                            ]
                        }),
                )
                .map_err(draw_error)?;
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&point| Circle::new(point, 6, colour.filled())),
                )
                .map_err(draw_error)?
                .label(summary.label)
                .legend(move |(x, y)| Circle::new((x + 12, y), 6, colour.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .margin(8)
            .label_font(text(LEGEND_SIZE * 0.8))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .draw()
            .map_err(draw_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure<'a>(
        positions: Positions<'a>,
        means: &'a [f64],
        spreads: &'a [f64],
    ) -> SweepFigure<'a> {
        SweepFigure {
            title: "cooling rates by tau",
            x_label: "tau [s]",
            positions,
            panels: vec![
                Panel {
                    title: "frustration",
                    summaries: vec![Summary {
                        label: "final",
                        means,
                        spreads,
                    }],
                };
                5
            ],
        }
    }

    #[test]
    fn the_same_sweep_gives_the_same_bytes_with_labels_and_values() {
        let values = [60.0, 600.0, 1800.0];
        let labels = ["slow".to_string(), "medium".into(), "fast".into()];
        let means = [0.5, 0.25, 0.125];
        let spreads = [0.05, 0.0, 0.01];
        for positions in [Positions::Values(&values), Positions::Labels(&labels)] {
            let sweep = figure(positions, &means, &spreads);
            let svg = sweep.render_svg().unwrap();
            assert_eq!(svg, sweep.render_svg().unwrap());
            assert!(svg.contains("tau [s]") && svg.contains("frustration"));
            if let Positions::Labels(_) = positions {
                assert!(
                    svg.contains("medium"),
                    "labels are written under their place"
                );
            }
            let dir = tempfile::tempdir().unwrap();
            let png = dir.path().join("sweep.png");
            sweep.render_png(&png).unwrap();
            assert_eq!(&std::fs::read(&png).unwrap()[..4], b"\x89PNG");
        }
        // Five panels take two rows of three.
        assert_eq!(
            figure(Positions::Values(&values), &means, &spreads).size(),
            (1280, 800)
        );
    }

    #[test]
    fn bad_sweeps_are_errors_not_panics() {
        let values = [1.0, 2.0];
        assert!(
            figure(Positions::Values(&values), &[1.0, f64::NAN], &[0.0, 0.0])
                .render_svg()
                .is_err()
        );
        assert!(
            figure(Positions::Values(&values), &[1.0], &[0.0])
                .render_svg()
                .is_err()
        );
        assert!(
            figure(Positions::Values(&values), &[1.0, 2.0], &[0.0, -1.0])
                .render_svg()
                .unwrap_err()
                .to_string()
                .contains("negative")
        );
        assert!(
            figure(Positions::Values(&[]), &[], &[])
                .render_svg()
                .is_err()
        );
    }
}
