//! Everything known about one stack, in one place: full versions, where it is in the
//! release and why, its deployment, the rollback target, the metric flag, and each
//! smoke check with its status, latency and why it failed.

use ratatui::text::{Line, Span};

use super::page::{Page, PageResult};
use crate::engine::release::{Phase, StackRelease};
use crate::feeds::smoke::SmokeReport;
use crate::text::one_line;
use crate::tui::theme::Theme;

/// The details of a stack (`v`), or a dry run's plan.
pub enum Details {}
pub type DetailsOverlay = Page<Details>;
/// Every page's answer; the name the app matches on.
pub type DetailsResult = PageResult;

fn row(label: &str, value: Span<'static>) -> Line<'static> {
    Line::from(vec![Span::raw(format!("  {label:<14}")), value])
}

impl Page<Details> {
    /// A titled, scrollable page of plain lines (a dry run's plan).
    pub fn text(title: impl Into<String>, lines: &[String], theme: &Theme) -> Self {
        Page::of(
            title,
            lines
                .iter()
                .map(|l| Line::styled(format!("  {}", one_line(l, 2000)), theme.text))
                .collect(),
        )
    }

    pub fn new(
        stack: &StackRelease,
        smoke: (Option<&SmokeReport>, bool),
        flag: Option<String>,
        theme: &Theme,
    ) -> Self {
        let mut lines = release_rows(stack, theme);
        lines.push(row(
            "Metrics",
            match flag {
                Some(f) => Span::styled(f, theme.error),
                None => Span::styled("no flag", theme.dim),
            },
        ));
        lines.push(Line::raw(""));
        lines.extend(smoke_lines(smoke, theme));
        Page::of(format!("{} ({})", stack.name, stack.id), lines)
    }
}

/// Where the stack is in the release: its full versions, its state (and why it failed),
/// the move in flight, its last deployment and what a rollback would go back to.
fn release_rows(stack: &StackRelease, theme: &Theme) -> Vec<Line<'static>> {
    let v = stack.versions.as_ref();
    let ver = |x: Option<&crate::model::Version>| {
        x.map_or_else(|| "unknown".into(), std::string::ToString::to_string)
    };
    let mut lines = vec![
        row(
            "Live",
            Span::raw(ver(v.map(crate::model::StackVersions::target))),
        ),
        row(
            "Test",
            Span::raw(ver(v.map(crate::model::StackVersions::source))),
        ),
    ];
    let (phase, style) = match &stack.phase {
        Phase::Failed { reason, .. } => (format!("failed: {}", one_line(reason, 300)), theme.error),
        Phase::Live => ("live (runs test's version)".to_string(), theme.ok),
        other => (other.label().to_string(), theme.text),
    };
    lines.push(row("State", Span::styled(phase, style)));
    if let Some(t) = stack.phase.in_flight() {
        lines.push(row(
            "Moving",
            Span::raw(format!(
                "{} → {} since {}",
                t.from.short(),
                t.to.short(),
                t.started.format("%H:%M:%S UTC")
            )),
        ));
    }
    if let Some(d) = &stack.last_deployment {
        let link = d
            .url
            .as_deref()
            .map(|u| format!("  {}", one_line(u, 120)))
            .unwrap_or_default();
        lines.push(row("Deployment", Span::raw(format!("#{}{link}", d.id))));
    }
    let target = stack.previous_live.as_ref().map_or_else(
        || {
            let how = crate::tui::remedy::words(&crate::model::Remedy::NameRollbackVersion {
                stack: stack.id.clone(),
            });
            format!("unknown: {how}")
        },
        |p| format!("{} (live before the last promotion)", p.short()),
    );
    lines.push(row("Rollback to", Span::raw(target)));
    lines
}

/// The smoke checks since the last deployment: running, not run, or each check with its
/// status, latency and why it failed.
fn smoke_lines(smoke: (Option<&SmokeReport>, bool), theme: &Theme) -> Vec<Line<'static>> {
    let report = match smoke {
        (_, true) => return vec![Line::styled("Smoke checks: running…", theme.accent)],
        (None, false) => {
            return vec![Line::styled(
                "Smoke checks: not run since the last deployment (s runs them)",
                theme.dim,
            )];
        }
        (Some(r), false) => r,
    };
    let ok = report.checks.iter().filter(|c| c.passed).count();
    let style = if report.passed() {
        theme.ok
    } else {
        theme.error
    };
    let mut lines = vec![Line::styled(
        format!(
            "Smoke checks at {}: {ok}/{} passed",
            report.at.format("%H:%M:%S UTC"),
            report.checks.len()
        ),
        style,
    )];
    for c in &report.checks {
        lines.extend(check_lines(c, theme));
    }
    lines
}

/// One smoke check: `✓ home  200  12ms  GET https://…`, and why it failed under it.
fn check_lines(c: &crate::feeds::smoke::CheckResult, theme: &Theme) -> Vec<Line<'static>> {
    let (mark, style) = if c.passed {
        ("✓", theme.ok)
    } else {
        ("✗", theme.error)
    };
    let status = c.status.map_or("---".to_string(), |s| s.to_string());
    let tries = if c.attempts > 1 {
        format!(", {} tries", c.attempts)
    } else {
        String::new()
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("  {mark} {:<14}", one_line(&c.name, 14)), style),
        Span::raw(format!("{status}  {}ms{tries}  ", c.latency_ms)),
        Span::styled(format!("{} {}", c.method, one_line(&c.url, 80)), theme.dim),
    ])];
    if let Some(f) = &c.failure {
        lines.push(Line::styled(
            format!("      {}", one_line(f, 200)),
            theme.error,
        ));
    }
    lines
}
