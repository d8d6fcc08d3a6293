//! Sparklines: a series' history scaled to eight block heights once per update, then drawn
//! on every frame from those heights straight into the buffer (no allocation per point).
//!
//! The newest point is always in the rightmost column, so the sparklines of one stack line
//! up in time; a column with no value stays blank (a gap is not a zero, which is `▁`), and
//! the promotion is a marker column of its own between the last point before it and the
//! first after it.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::style::Style;

use crate::feeds::metrics::Point;

/// The height of a point with no value.
const GAP: u8 = u8::MAX;
const BARS: [&str; 8] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
/// Drawn where the stack was promoted.
pub const MARKER: &str = "┃";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spark {
    /// One height (0..=7) per history point, oldest first; `GAP` where there is no value.
    heights: Vec<u8>,
    /// Index of the first point at or after the promotion (`heights.len()` when the
    /// promotion came after the newest point); `None` when not promoted.
    promoted: Option<usize>,
    /// Each point's place on the scale in thousandths, for tall charts; `FINE_GAP` where
    /// there is no value.
    fine: Vec<u16>,
    /// The scale's bottom and top (as `f64::to_bits`), for the axis labels.
    scale: (u64, u64),
}

const FINE: u16 = 1000;
const FINE_GAP: u16 = u16::MAX;
/// The baseline level across a tall chart.
pub const BASELINE: &str = "╌";

/// How the parts of a sparkline look.
#[derive(Debug, Clone, Copy)]
pub struct SparkStyles {
    /// Points before the promotion (all of them when not promoted).
    pub before: Style,
    /// Points since the promotion: coloured by the verdict.
    pub after: Style,
    pub marker: Style,
}

impl Spark {
    /// Scales `points` from zero (or the lowest value, if negative) to the highest finite
    /// value, so a steady series reads as steady rather than as magnified noise.
    pub fn new(points: &[Point], promoted_at: Option<DateTime<Utc>>) -> Spark {
        Spark::with_floor(points, promoted_at, 0.0)
    }

    /// As `new`, with the scale at least `floor` tall: noise around 0 % (0.01 % now and
    /// then) stays a flat line instead of filling the cell like a spike.
    pub fn with_floor(points: &[Point], promoted_at: Option<DateTime<Utc>>, floor: f64) -> Spark {
        let finite = || {
            points
                .iter()
                .filter_map(|p| p.value)
                .filter(|v| v.is_finite())
        };
        let lo = finite().fold(0.0_f64, f64::min);
        let hi = finite().fold(f64::NEG_INFINITY, f64::max);
        let span = (hi - lo).max(floor);
        let heights = points
            .iter()
            .map(|p| match p.value {
                Some(v) if v.is_finite() => {
                    if span > 0.0 {
                        ((v - lo) / span * 7.0).round().clamp(0.0, 7.0) as u8
                    } else if hi > 0.0 {
                        7
                    } else {
                        0
                    }
                }
                _ => GAP,
            })
            .collect();
        let promoted = promoted_at.map(|t| {
            points
                .iter()
                .position(|p| p.at >= t)
                .unwrap_or(points.len())
        });
        let fine = points
            .iter()
            .map(|p| match p.value {
                Some(v) if v.is_finite() && span > 0.0 => ((v - lo) / span * f64::from(FINE))
                    .round()
                    .clamp(0.0, f64::from(FINE))
                    as u16,
                Some(v) if v.is_finite() => {
                    if hi > 0.0 {
                        FINE
                    } else {
                        0
                    }
                }
                _ => FINE_GAP,
            })
            .collect();
        let top = if hi.is_finite() { lo + span } else { lo };
        Spark {
            heights,
            promoted,
            fine,
            scale: (lo.to_bits(), top.to_bits()),
        }
    }

    /// The bottom and the top of the scale.
    pub fn range(&self) -> (f64, f64) {
        (f64::from_bits(self.scale.0), f64::from_bits(self.scale.1))
    }

    /// As [`Spark::draw`], `height` rows tall, with `baseline` (a value) drawn as a line
    /// across the chart where no bar covers it.
    #[allow(clippy::too_many_arguments)]
    pub fn draw_tall(
        &self,
        buf: &mut Buffer,
        x: u16,
        y: u16,
        width: u16,
        height: u16,
        styles: SparkStyles,
        baseline: Option<f64>,
    ) {
        let width = width as usize;
        if width == 0 || height == 0 {
            return;
        }
        let len = self.fine.len();
        let in_view = self
            .promoted
            .filter(|&p| p >= len.saturating_sub(width.saturating_sub(1)));
        let room = if in_view.is_some() { width - 1 } else { width };
        let start = len.saturating_sub(room);
        let shown = &self.fine[start..];
        let marker_at = in_view.map(|p| p - start);
        let (lo, hi) = self.range();
        let rows = u32::from(height);
        // The baseline's row, counted from the bottom.
        let base_row = baseline
            .filter(|b| b.is_finite() && hi > lo)
            .map(|b| (((b - lo) / (hi - lo)).clamp(0.0, 1.0) * f64::from(rows - 1)).round() as u32);
        let mut put = |col: usize, row: u32, symbol: &str, style: Style| {
            if let (Ok(cx), Ok(cy)) = (u16::try_from(col), u16::try_from(row))
                && let Some(cell) = buf.cell_mut((cx, y.saturating_add(height - 1 - cy)))
            {
                cell.set_symbol(symbol).set_style(style);
            }
        };
        let mut col = x as usize + (room - shown.len());
        let marker_col = |col: usize, put: &mut dyn FnMut(usize, u32, &str, Style)| {
            for r in 0..rows {
                put(col, r, MARKER, styles.marker);
            }
        };
        for (i, &f) in shown.iter().enumerate() {
            if marker_at == Some(i) {
                marker_col(col, &mut put);
                col += 1;
            }
            let style = if marker_at.is_some_and(|m| i >= m) {
                styles.after
            } else {
                styles.before
            };
            // The bar's height in eighths of a row; a value at the bottom still shows.
            let eighths = if f == FINE_GAP {
                0
            } else {
                (u32::from(f) * rows * 8 / u32::from(FINE)).max(1)
            };
            for r in 0..rows {
                let part = eighths.saturating_sub(r * 8).min(8);
                if part > 0 {
                    put(col, r, BARS[part as usize - 1], style);
                } else if base_row == Some(r) {
                    put(
                        col,
                        r,
                        BASELINE,
                        styles
                            .marker
                            .remove_modifier(ratatui::style::Modifier::BOLD),
                    );
                }
            }
            col += 1;
        }
        if marker_at == Some(shown.len()) {
            marker_col(col, &mut put);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.heights.is_empty()
    }

    /// Draws the newest points that fit into `width` columns at (`x`, `y`), right-aligned.
    /// Cells outside the buffer are skipped.
    pub fn draw(&self, buf: &mut Buffer, x: u16, y: u16, width: u16, styles: SparkStyles) {
        let width = width as usize;
        if width == 0 {
            return;
        }
        // The change is marked only where it is in view: a marker at the edge for a change
        // scrolled out would point at a moment that is not on screen.
        let len = self.heights.len();
        let in_view = self
            .promoted
            .filter(|&p| p >= len.saturating_sub(width.saturating_sub(1)));
        let room = if in_view.is_some() { width - 1 } else { width };
        let start = len.saturating_sub(room);
        let shown = &self.heights[start..];
        let marker_at = in_view.map(|p| p - start);
        let mut col = x as usize + (room - shown.len());
        let mut put = |col: &mut usize, symbol: &str, style: Style| {
            if let Ok(cx) = u16::try_from(*col)
                && let Some(cell) = buf.cell_mut((cx, y))
            {
                cell.set_symbol(symbol).set_style(style);
            }
            *col += 1;
        };
        for (i, &h) in shown.iter().enumerate() {
            if marker_at == Some(i) {
                put(&mut col, MARKER, styles.marker);
            }
            let style = if marker_at.is_some_and(|m| i >= m) {
                styles.after
            } else {
                styles.before
            };
            let symbol = BARS.get(h as usize).copied().unwrap_or(" ");
            put(&mut col, symbol, style);
        }
        if marker_at == Some(shown.len()) {
            put(&mut col, MARKER, styles.marker);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use ratatui::layout::Rect;

    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .unwrap_or_default()
            + Duration::seconds(s)
    }

    fn points(values: &[Option<f64>]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                at: t(i as i64 * 10),
                value: *v,
                traffic: None,
            })
            .collect()
    }

    fn drawn(spark: &Spark, width: u16) -> String {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, 1));
        let s = Style::new();
        let styles = SparkStyles {
            before: s,
            after: s,
            marker: s,
        };
        spark.draw(&mut buf, 0, 0, width, styles);
        (0..width)
            .map(|x| buf[(x, 0)].symbol().to_string())
            .collect()
    }

    #[test]
    fn scaled_from_zero_with_gaps_blank() {
        let p = points(&[Some(0.0), Some(7.0), None, Some(3.5), Some(f64::NAN)]);
        assert_eq!(drawn(&Spark::new(&p, None), 5), "▁█ ▅ ");
    }

    #[test]
    fn right_aligned_and_cut_to_the_newest() {
        let p = points(&[Some(1.0), Some(2.0)]);
        assert_eq!(drawn(&Spark::new(&p, None), 4), "  ▅█");
        let p = points(&[Some(8.0), Some(1.0), Some(2.0), Some(4.0), Some(8.0)]);
        assert_eq!(drawn(&Spark::new(&p, None), 3), "▃▅█");
    }

    #[test]
    fn promotion_is_a_column_of_its_own() {
        let p = points(&[Some(1.0), Some(1.0), Some(8.0), Some(8.0)]);
        // Promoted between the second and third point.
        assert_eq!(drawn(&Spark::new(&p, Some(t(15))), 5), "▂▂┃██");
        // Before everything shown: marked at the left edge.
        assert_eq!(drawn(&Spark::new(&p, Some(t(15))), 3), "┃██");
        // After the newest point (just promoted): marked at the right edge.
        assert_eq!(drawn(&Spark::new(&p, Some(t(100))), 5), "▂▂██┃");
    }

    #[test]
    fn flat_and_empty_series_and_tiny_widths() {
        assert_eq!(drawn(&Spark::new(&points(&[Some(0.0); 3]), None), 3), "▁▁▁");
        assert_eq!(drawn(&Spark::new(&points(&[Some(5.0); 3]), None), 3), "███");
        assert_eq!(drawn(&Spark::new(&points(&[None; 3]), None), 3), "   ");
        let empty = Spark::new(&[], Some(t(0)));
        assert_eq!(drawn(&empty, 2), " ┃");
        assert_eq!(drawn(&empty, 0), "");
        // Off the buffer: nothing drawn, no panic.
        let mut buf = Buffer::empty(Rect::new(0, 0, 2, 1));
        let s = Style::new();
        Spark::new(&points(&[Some(1.0); 9]), Some(t(5))).draw(
            &mut buf,
            1,
            3,
            40,
            SparkStyles {
                before: s,
                after: s,
                marker: s,
            },
        );
    }

    #[test]
    fn a_floor_keeps_noise_near_zero_flat_and_an_old_change_unmarked() {
        let p = points(&[Some(0.0), Some(0.01), Some(0.0), Some(0.26)]);
        assert_eq!(drawn(&Spark::new(&p, None), 4), "▁▁▁█", "without a floor");
        assert_eq!(drawn(&Spark::with_floor(&p, None, 1.0), 4), "▁▁▁▃");
        // A change before the first point shown is not marked at the edge.
        let p = points(&[Some(1.0); 9]);
        let marked = drawn(&Spark::new(&p, Some(t(10))), 4);
        assert!(!marked.contains(MARKER), "{marked}");
        assert!(drawn(&Spark::new(&p, Some(t(70))), 4).contains(MARKER));
    }
}
