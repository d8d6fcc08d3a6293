//! Where each pane goes for a terminal size. Pure: a size in, rectangles out.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

use super::pane::PaneId;

/// The smallest size the dashboard draws in; below it a message asks for more room.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScreenLayout {
    pub header: Rect,
    pub panes: Vec<(PaneId, Rect)>,
    pub status: Rect,
    pub hints: Rect,
    /// The screen is too small to draw the dashboard.
    pub too_small: bool,
}

impl ScreenLayout {
    pub fn pane_at(&self, x: u16, y: u16) -> Option<(PaneId, Rect)> {
        self.panes
            .iter()
            .copied()
            .find(|(_, r)| r.contains(ratatui::layout::Position { x, y }))
    }

    pub fn area_of(&self, id: PaneId) -> Option<Rect> {
        self.panes.iter().find(|(p, _)| *p == id).map(|(_, r)| *r)
    }
}

/// Lays out the dashboard; with `zoom`, the focused pane takes the whole body.
pub fn compute(area: Rect, zoom: Option<PaneId>, stacks: usize) -> ScreenLayout {
    compute_for(area, zoom, stacks, 2)
}

/// As [`compute`] for a release with `envs` environments: the Stacks pane has a version
/// column for each.
pub fn compute_for(area: Rect, zoom: Option<PaneId>, stacks: usize, envs: usize) -> ScreenLayout {
    compute_needs(
        area,
        zoom,
        Needs {
            stacks,
            envs,
            metrics_rows: 3,
        },
    )
}

/// What the panes would like to show, for sharing the height by need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub stacks: usize,
    pub envs: usize,
    /// Rows the Metrics pane has content for (series, sources, other stacks).
    pub metrics_rows: usize,
}

/// The heights of the top row (Stacks, Changes), the Metrics pane and the bottom row
/// (Logs, Deploy), borders included, for a body `body` rows tall: each row gets what its
/// content needs while the text panes keep a fair share; when that does not fit, Metrics
/// gives first, then the text panes, then Metrics again, then Stacks (which says how many it hides).
fn heights(body: u16, needs: Needs) -> (u16, u16, u16) {
    let stacks = (needs.stacks as u16).saturating_add(3).max(5);
    let metrics = (needs.metrics_rows as u16)
        .saturating_add(2)
        .clamp(3, (body / 3).max(5));
    let bottom = (body * 35 / 100).max(5);
    let (mut top, mut metrics, mut bottom) = (stacks, metrics, bottom);
    // Too tall: give back in priority order, down to each row's minimum.
    for (row, min) in [(1, 4), (2, 4), (1, 3), (0, 5)] {
        let over = (top + metrics + bottom).saturating_sub(body);
        let h = match row {
            0 => &mut top,
            1 => &mut metrics,
            _ => &mut bottom,
        };
        *h -= over.min(h.saturating_sub(min));
    }
    // Room to spare: the Changes list grows on tall terminals, the text panes get the rest.
    let spare = body.saturating_sub(top + metrics + bottom);
    let tall_top = (body * 3 / 10).min(body / 3 + 1);
    let grow = tall_top.saturating_sub(top).min(spare);
    top += grow;
    bottom += spare - grow;
    (top, metrics, bottom)
}

/// As [`compute_for`], sharing the height by what each pane has to show.
pub fn compute_needs(area: Rect, zoom: Option<PaneId>, needs: Needs) -> ScreenLayout {
    let envs = needs.envs;
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return ScreenLayout {
            too_small: true,
            ..Default::default()
        };
    }
    let [header, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut layout = ScreenLayout {
        header,
        status,
        hints,
        ..Default::default()
    };
    if let Some(id) = zoom {
        layout.panes.push((id, body));
        return layout;
    }
    let (top, metrics, bottom) = heights(body.height, needs);
    let [top_row, metrics_row, bottom_row] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(metrics),
        Constraint::Length(bottom),
    ])
    .areas(body);
    let extra_columns = 8 * envs.saturating_sub(2).min(4) as u16;
    let stacks_width = if area.width >= 140 {
        60 + extra_columns
    } else {
        (44 + extra_columns).min(area.width / 2 + 4 + extra_columns / 2 + extra_columns / 4)
    };
    let [stacks_area, changes_area] =
        Layout::horizontal([Constraint::Length(stacks_width), Constraint::Min(10)]).areas(top_row);
    let [logs_area, deploy_area] = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .areas(bottom_row);
    layout.panes = vec![
        (PaneId::Stacks, stacks_area),
        (PaneId::Changes, changes_area),
        (PaneId::Metrics, metrics_row),
        (PaneId::Logs, logs_area),
        (PaneId::Deploy, deploy_area),
    ];
    layout
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pane_fits_inside_the_screen_at_many_sizes() {
        for (w, h) in [
            (60, 16),
            (80, 24),
            (100, 30),
            (200, 60),
            (500, 200),
            (1000, 400),
        ] {
            let area = Rect::new(0, 0, w, h);
            let l = compute(area, None, 4);
            assert!(!l.too_small);
            assert_eq!(l.panes.len(), 5);
            for (id, r) in &l.panes {
                assert!(area.contains(r.as_position()), "{id:?} at {w}x{h}");
                assert!(
                    r.right() <= w && r.bottom() <= h,
                    "{id:?} overflows at {w}x{h}"
                );
                assert!(
                    r.height >= 3 && r.width >= 10,
                    "{id:?} too small at {w}x{h}: {r:?}"
                );
            }
        }
    }

    fn height_of(l: &ScreenLayout, id: PaneId) -> u16 {
        l.area_of(id).map_or(0, |r| r.height)
    }

    #[test]
    fn the_height_is_shared_by_need() {
        let needs = |stacks, metrics_rows| Needs {
            stacks,
            envs: 2,
            metrics_rows,
        };
        for (w, h) in [(80, 24), (120, 38), (200, 60)] {
            let area = Rect::new(0, 0, w, h);
            // Four stacks leave no empty rows in Stacks; Metrics gets more as it needs more.
            let few = compute_needs(area, None, needs(4, 3));
            let many = compute_needs(area, None, needs(4, 8));
            assert!(height_of(&few, PaneId::Stacks) >= 7, "{w}x{h}: {few:?}");
            assert!(
                height_of(&many, PaneId::Metrics) > height_of(&few, PaneId::Metrics),
                "{w}x{h}"
            );
            assert_eq!(
                height_of(&few, PaneId::Metrics),
                5,
                "{w}x{h}: three rows and the border"
            );
            // Above 80x24 what Metrics needs fits whole, and Logs keeps a fair share.
            if h > 24 {
                assert_eq!(height_of(&many, PaneId::Metrics), 10, "{w}x{h}");
            }
            assert!(height_of(&many, PaneId::Logs) >= 7, "{w}x{h}: {many:?}");
            let total: u16 = [PaneId::Stacks, PaneId::Metrics, PaneId::Logs]
                .iter()
                .map(|id| height_of(&many, *id))
                .sum();
            assert_eq!(total, h - 3, "{w}x{h}: the body is used whole");
        }
        // The smallest size still shows every pane.
        let l = compute_needs(Rect::new(0, 0, 60, 16), None, needs(4, 8));
        for (id, r) in &l.panes {
            assert!(r.height >= 3, "{id:?}: {r:?}");
        }
    }

    #[test]
    fn tiny_screens_are_reported_not_laid_out() {
        for (w, h) in [(0, 0), (1, 1), (59, 24), (80, 15)] {
            assert!(compute(Rect::new(0, 0, w, h), None, 4).too_small);
        }
    }

    #[test]
    fn zoom_gives_the_body_to_one_pane() {
        let l = compute(Rect::new(0, 0, 80, 24), Some(PaneId::Logs), 4);
        assert_eq!(l.panes, vec![(PaneId::Logs, Rect::new(0, 1, 80, 21))]);
    }
}
