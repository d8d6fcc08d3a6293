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
    // Stacks need a header row, one row each and a border; the rest is shared by
    // metrics (fixed) and the two text panes (which grow with the terminal).
    // On tall terminals the top row grows so the Changes list shows more commits.
    let top = (stacks as u16 + 3)
        .max(body.height * 3 / 10)
        .clamp(5, body.height / 3 + 1);
    let metrics = if body.height >= 40 {
        10
    } else if body.height >= 28 {
        7
    } else {
        5
    };
    let [top_row, metrics_row, bottom_row] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(metrics),
        Constraint::Min(4),
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
