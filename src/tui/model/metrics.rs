//! A [`MetricsUpdate`] turned into what the dashboard shows, once per update: words for
//! verdicts, scaled values, sparkline heights, statistics for the detail view and the
//! source problems in sentences. Rendering then only copies these onto the screen. The
//! one place a SPIKE or a DROP is put into words (`flag_label`), and the one threshold
//! for a flag (`Severity::Alert`: a series' verdict is a SPIKE or a DROP).

use ratatui::style::Style;

use crate::config::BadDirection;
use crate::feeds::metrics::{
    Basis, ControlComparison, Hold, Insufficient, MetricsUpdate, SeriesUpdate, Shift, Source,
    SourceProblem, SourceReport, Verdict,
};
use crate::feeds::metrics::{anomaly, scrape::FetchError};
use crate::text::one_line;
use crate::tui::panes::metrics::format::{self, NO_VALUE};
use crate::tui::panes::metrics::sparkline::Spark;
use crate::tui::theme::Theme;

/// How much attention a piece of text asks for; each has a style, and the words carry the
/// meaning too (colour is never the only signal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Nothing to judge (not promoted).
    Quiet,
    Good,
    /// Cannot judge, and says why.
    Note,
    /// Worse, not yet for long enough; or a source problem.
    Watch,
    /// SPIKE or DROP.
    Alert,
}

impl Severity {
    pub fn style(self, theme: &Theme) -> Style {
        match self {
            Severity::Quiet => theme.dim,
            Severity::Good => theme.ok,
            Severity::Note => theme.info,
            Severity::Watch => theme.warn,
            Severity::Alert => theme.error,
        }
    }
}

/// A verdict in words, long (`▲ SPIKE since 12:03 (+310%)`) and short (`▲ SPIKE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub full: String,
    pub short: String,
    pub severity: Severity,
}

pub fn verdict_words(v: &Verdict) -> Words {
    let w = |full: String, short: &str, severity| Words {
        full,
        short: short.to_string(),
        severity,
    };
    match v {
        Verdict::Unchanged => w("no change on live".into(), "unchanged", Severity::Quiet),
        Verdict::RollingOut {
            progress,
            rolling_back,
        } => {
            let word = if *rolling_back {
                "rolling back"
            } else {
                "rolling out"
            };
            w(
                format!("{word}{}", percent(*progress)),
                word,
                Severity::Note,
            )
        }
        Verdict::Collecting { have, need } => w(
            format!("collecting {have}/{need}"),
            "collecting",
            Severity::Note,
        ),
        Verdict::NotEvaluated { reason } => w(
            format!("not evaluated: {}", insufficient_words(reason)),
            "not evaluated",
            Severity::Note,
        ),
        Verdict::Stale { age_secs } => w(
            format!("stale: no data for {}", format::age(*age_secs)),
            "stale",
            Severity::Watch,
        ),
        Verdict::Ok => w("✓ ok".into(), "✓ ok", Severity::Good),
        Verdict::Watching {
            consecutive,
            needed,
            basis,
        } => w(
            match consecutive {
                0 => format!(
                    "watch: above normal, not yet significant{}",
                    basis_words(*basis)
                ),
                n => format!("watch {n}/{needed}{}", basis_words(*basis)),
            },
            "watch",
            Severity::Watch,
        ),
        Verdict::Spike(flag) | Verdict::Drop(flag) => {
            let label = flag_label(v);
            let mut full = format!(
                "{label} since {} ({}){}",
                format::clock(flag.since),
                format::relative(flag.magnitude.relative),
                basis_words(flag.basis)
            );
            if let Some(hold) = &flag.hold {
                full.push_str(" · ");
                full.push_str(&hold_words(hold));
            }
            w(full, &label, Severity::Alert)
        }
    }
}

fn percent(progress: Option<f32>) -> String {
    progress
        .map(|p| format!(" {:.0}%", (p * 100.0).clamp(0.0, 100.0)))
        .unwrap_or_default()
}

fn basis_words(basis: Basis) -> &'static str {
    match basis {
        Basis::Baseline => "",
        Basis::OtherStacks => " vs other stacks",
    }
}

fn insufficient_words(reason: &Insufficient) -> String {
    match reason {
        Insufficient::NoBaseline => "no samples from before the change".into(),
        Insufficient::FewBaselineSamples { have, need } => format!("baseline {have}/{need}"),
        Insufficient::NoData => "no data yet".into(),
        Insufficient::LowTraffic { traffic, min } => format!(
            "traffic {} below {}",
            format::value(Some(*traffic), "/s"),
            format::value(Some(*min), "/s")
        ),
    }
}

/// Why a flag stands without fresh evidence, in a few words.
fn hold_words(hold: &Hold) -> String {
    match hold {
        Hold::RollingBack { progress } => format!("rolling back{}", percent(*progress)),
        Hold::Stale { age_secs } => format!("stale {}", format::age(*age_secs)),
        Hold::AwaitingData { have, need } => format!("rolled back, checking {have}/{need}"),
        Hold::Recovering { ok, needed } => format!("recovering {ok}/{needed}"),
        Hold::NotEvaluated { reason } => insufficient_words(reason),
    }
}

fn flag_symbol(v: &Verdict) -> (&'static str, &'static str) {
    if matches!(v, Verdict::Drop(_)) {
        ("▼", "DROP")
    } else {
        ("▲", "SPIKE")
    }
}

/// A flag in words, short: `▲ SPIKE`, `▼ DROP`.
fn flag_label(v: &Verdict) -> String {
    let (sym, word) = flag_symbol(v);
    format!("{sym} {word}")
}

/// How bad a verdict is, to find a stack's worst series.
fn rank(v: &Verdict) -> u8 {
    match v {
        Verdict::Unchanged => 0,
        Verdict::Ok => 1,
        Verdict::RollingOut { .. } => 2,
        Verdict::Collecting { .. } => 3,
        Verdict::NotEvaluated { .. } => 4,
        Verdict::Stale { .. } => 5,
        Verdict::Watching { .. } => 6,
        Verdict::Spike(_) | Verdict::Drop(_) => 7,
    }
}

/// Every flagged series with its effect, in config order: `▲ errors ×24, p99 +121%` (a
/// series flagged the other way gets its own symbol). `None` when nothing is flagged.
pub fn flagged_effects(update: &MetricsUpdate) -> Option<String> {
    let mut first_symbol = None;
    let parts: Vec<String> = update
        .flagged()
        .filter_map(|s| {
            let flag = s.verdict.flag()?;
            let (sym, _) = flag_symbol(&s.verdict);
            let shown = match first_symbol {
                None => {
                    first_symbol = Some(sym);
                    format!("{sym} ")
                }
                Some(f) if f == sym => String::new(),
                Some(_) => format!("{sym} "),
            };
            Some(format!(
                "{shown}{} {}",
                one_line(&s.name, 16),
                format::relative(flag.magnitude.relative)
            ))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// A stack's worst verdict in a few words: every flagged series with its effect
/// (`▲ errors ×24, ▲ p99 +121%`), else the worst one named (`watch p99 2/3`, `stale`,
/// `rolling out 62%`, `✓ ok`). `None` without series.
pub fn worst(update: &MetricsUpdate) -> Option<Words> {
    let top = update.series.iter().map(|s| rank(&s.verdict)).max()?;
    let first = update.series.iter().find(|s| rank(&s.verdict) == top)?;
    let words = verdict_words(&first.verdict);
    let name = one_line(&first.name, 16);
    Some(match &first.verdict {
        Verdict::Spike(flag) | Verdict::Drop(flag) => {
            let effects = flagged_effects(update).unwrap_or_default();
            let held = flag
                .hold
                .as_ref()
                .map(|h| format!(" · {}", hold_words(h)))
                .unwrap_or_default();
            Words {
                full: format!("{effects}{held}"),
                short: flag_label(&first.verdict),
                severity: Severity::Alert,
            }
        }
        Verdict::Watching {
            consecutive,
            needed,
            ..
        } => Words {
            full: format!("watch {name} {consecutive}/{needed}"),
            short: "watch".into(),
            severity: Severity::Watch,
        },
        Verdict::Stale { .. } => Words {
            full: format!("{name} {}", words.full),
            short: words.short,
            severity: words.severity,
        },
        _ => Words {
            full: words.full.clone(),
            short: words.short,
            severity: words.severity,
        },
    })
}

/// What the Stacks pane shows for a stack's metrics: only a flag, a watch or stale data.
pub fn stack_flag(update: &MetricsUpdate) -> Option<Words> {
    worst(update).filter(|w| w.severity >= Severity::Watch)
}

/// The names of a stack's flagged series (a SPIKE or a DROP: `Severity::Alert`), in config
/// order.
pub fn flagged_names(update: &MetricsUpdate) -> Vec<String> {
    update.flagged().map(|s| s.name.clone()).collect()
}

/// Numbers behind a series for the detail view, over the history the update carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub samples: usize,
    pub gaps: usize,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Samples in view before the promotion and since.
    pub before: usize,
    pub since: usize,
    /// Since the promotion against before it, over the samples in view (the detector's
    /// own baseline may reach further back; its numbers come with a flag).
    pub in_view: Option<Shift>,
}

impl Stats {
    fn of(s: &SeriesUpdate, promoted: Option<chrono::DateTime<chrono::Utc>>) -> Stats {
        let finite = |p: &&crate::feeds::metrics::Point| p.value.is_some_and(f64::is_finite);
        let values = s.history.iter().filter(finite).filter_map(|p| p.value);
        let (min, max) = values.fold((None, None), |(lo, hi): (Option<f64>, Option<f64>), v| {
            (
                Some(lo.map_or(v, |l| l.min(v))),
                Some(hi.map_or(v, |h| h.max(v))),
            )
        });
        let mut stats = Stats {
            samples: s.history.len(),
            gaps: s.history.iter().filter(|p| !finite(p)).count(),
            min,
            max,
            ..Stats::default()
        };
        if let Some(t) = promoted {
            let split = |after: bool| -> Vec<f64> {
                s.history
                    .iter()
                    .filter(|p| (p.at >= t) == after)
                    .filter(finite)
                    .filter_map(|p| p.value)
                    .collect()
            };
            let (before, since) = (split(false), split(true));
            stats.before = before.len();
            stats.since = since.len();
            stats.in_view = anomaly::shift(&since, &before, s.bad);
        }
        stats
    }
}

/// One series, ready to draw.
#[derive(Debug, Clone)]
pub struct SeriesView {
    pub name: String,
    pub unit: String,
    pub bad: BadDirection,
    pub value: String,
    pub verdict: Words,
    pub spark: Spark,
    /// `4.1% vs 0.90% on 2 other stacks: worse`.
    pub control: Option<Words>,
    /// The effect and p-value behind it.
    pub control_detail: Option<String>,
    pub stats: Stats,
    pub raw: Verdict,
}

impl SeriesView {
    fn new(s: &SeriesUpdate, promoted: Option<chrono::DateTime<chrono::Utc>>) -> SeriesView {
        let unit = one_line(&s.unit, 12);
        SeriesView {
            name: one_line(&s.name, 24),
            value: format::value(s.value, &unit),
            verdict: verdict_words(&s.verdict),
            spark: Spark::with_floor(&s.history, promoted, scale_floor(&s.unit)),
            control: s.control.as_ref().map(|c| control_words(c, &unit)),
            control_detail: s.control.as_ref().map(control_detail),
            stats: Stats::of(s, promoted),
            raw: s.verdict.clone(),
            bad: s.bad,
            unit,
        }
    }

    /// A number of this series with its unit.
    pub fn fmt(&self, v: Option<f64>) -> String {
        format::value(v, &self.unit)
    }
}

/// The least height a sparkline's scale spans, per unit: a change smaller than this is
/// noise to the eye (a tenth of an error percent, a few milliseconds).
fn scale_floor(unit: &str) -> f64 {
    match unit {
        "%" => 1.0,
        "ms" => 10.0,
        "s" => 0.01,
        _ => 0.0,
    }
}

/// `4.1% vs 0.90% on 2 other stacks: worse` (the series' name goes before it).
fn control_words(c: &ControlComparison, unit: &str) -> Words {
    let stacks = match c.control_stacks {
        1 => "1 other stack".to_string(),
        n => format!("{n} other stacks"),
    };
    // Normalised values are each stack against its own level before the change.
    let v = |x: f64| {
        if !c.normalised {
            format::value(Some(x), unit)
        } else if x.is_finite() {
            format!("×{x:.2}")
        } else {
            NO_VALUE.to_string()
        }
    };
    let own = if c.normalised {
        " (each against its own baseline)"
    } else {
        ""
    };
    let (word, severity) = if c.worse {
        ("worse", Severity::Watch)
    } else {
        ("not worse", Severity::Good)
    };
    Words {
        full: format!(
            "{} vs {} on {stacks}{own}: {word}",
            v(c.shift.recent_median),
            v(c.shift.baseline_median),
        ),
        short: format!("vs other stacks: {word}"),
        severity,
    }
}

/// The test behind a control comparison, for the detail view.
fn control_detail(c: &ControlComparison) -> String {
    format!(
        "vs other stacks: effect {} · p {} · {} stack(s) still on the old version",
        format::relative(c.shift.relative),
        format::p_value(c.shift.p_value),
        c.control_stacks
    )
}

/// A source in a line: its name, this round's problems and its running totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    pub text: String,
    pub severity: Severity,
}

/// A whole update, ready to draw.
#[derive(Debug, Clone)]
pub struct StackView {
    pub series: Vec<SeriesView>,
    /// The stack's worst verdict, for its compact row.
    pub worst: Option<Words>,
    /// The flagged series by name: the stack is flagged when there is any.
    pub flagged: Vec<String>,
    /// Every flagged series with its effect (`▲ errors ×24, p99 +121%`), if any.
    pub effects: Option<String>,
    /// This round's source problems in one line (`2 of 6 sources unreachable: …`), or
    /// that all answered.
    pub sources_summary: Words,
    /// Sources with problems now or before, one line each.
    pub source_lines: Vec<SourceLine>,
    /// Where the sparklines mark the change of live (its traffic swap), if any.
    pub marker: Option<chrono::DateTime<chrono::Utc>>,
    /// The change in words: `promoted by alice@web-3`, `changed outside slipway`.
    pub change: Option<String>,
    pub baseline: crate::feeds::metrics::Baseline,
    /// Sources asked this round, and how many of them had a problem.
    pub sources: usize,
    pub troubled: usize,
    /// The last round with any value, when this one has none (every source failing):
    /// what is on screen is that old. `None` with `data_now` false: never any data.
    pub last_data: Option<chrono::DateTime<chrono::Utc>>,
    /// This round gave at least one value.
    pub data_now: bool,
}

impl StackView {
    /// What the Stacks pane and the details show: a flag, a watch or stale data only.
    pub fn attention(&self) -> Option<&Words> {
        self.worst
            .as_ref()
            .filter(|w| w.severity >= Severity::Watch)
    }

    pub fn is_flagged(&self) -> bool {
        !self.flagged.is_empty()
    }

    /// Everything derived here, so no frame looks at the raw history again.
    pub fn new(update: &MetricsUpdate) -> StackView {
        StackView {
            series: update
                .series
                .iter()
                .map(|s| SeriesView::new(s, update.marker()))
                .collect(),
            worst: worst(update),
            flagged: flagged_names(update),
            effects: flagged_effects(update),
            sources_summary: sources_summary(&update.sources),
            source_lines: update.sources.iter().filter_map(source_line).collect(),
            marker: update.marker(),
            baseline: update.baseline,
            change: update
                .watch
                .as_ref()
                .map(crate::feeds::metrics::change::Watch::describe),
            sources: update.sources.len(),
            troubled: update.troubled_sources().count(),
            last_data: None,
            data_now: update.series.iter().any(|s| s.value.is_some()),
        }
        .dated(update.at)
    }

    /// Remembers when data last came: this round if it gave any.
    fn dated(mut self, at: chrono::DateTime<chrono::Utc>) -> StackView {
        if self.data_now {
            self.last_data = Some(at);
        }
        self
    }

    /// The view of the next round, keeping when data last came if this one gave none.
    pub fn after(previous: Option<&StackView>, update: &MetricsUpdate) -> StackView {
        let mut next = StackView::new(update);
        if !next.data_now {
            next.last_data = previous.and_then(|p| p.last_data);
        }
        next
    }

    /// `⚠ no data since 16:02 (2m ago)` when this round gave nothing (every source
    /// failing or silent), judged at `now`.
    pub fn staleness(&self, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
        if self.data_now || self.series.is_empty() {
            return None;
        }
        Some(match self.last_data {
            Some(at) => format!(
                "⚠ no data since {}",
                crate::engine::freshness::at_and_ago(at, now)
            ),
            None => "⚠ no data yet".to_string(),
        })
    }
}

/// A source's name for the screen: instance ids come from the platform, URLs from config
/// (whose user info, if any, is left out).
pub fn source_name(s: &Source) -> String {
    match s {
        Source::Instance { id, .. } => one_line(id, 40),
        Source::Prometheus { url } => {
            let shown = match url.split_once("://") {
                Some((scheme, rest)) => {
                    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
                    match rest[..end].rfind('@') {
                        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                        None => url.clone(),
                    }
                }
                None => url.clone(),
            };
            format!("Prometheus {}", one_line(&shown, 60))
        }
    }
}

fn is_unreachable(e: &FetchError) -> bool {
    matches!(e, FetchError::Timeout { .. } | FetchError::Unreachable(_))
}

/// `2 of 6 sources unreachable: sally-0a1b no answer within 2 s; 3 lines not understood`.
pub fn sources_summary(sources: &[SourceReport]) -> Words {
    let n = sources.len();
    if n == 0 {
        return Words {
            full: "no sources: the stack has no instances to scrape".into(),
            short: "no instances".into(),
            severity: Severity::Watch,
        };
    }
    let mut parts: Vec<String> = fetch_failures(sources).into_iter().collect();
    parts.extend(Tally::of(sources).parts(n));
    if parts.is_empty() {
        let all = if n == 1 {
            "the source answered".to_string()
        } else {
            format!("all {n} sources answered")
        };
        return Words {
            short: all.clone(),
            full: all,
            severity: Severity::Good,
        };
    }
    let troubled = sources.iter().filter(|s| !s.problems.is_empty()).count();
    Words {
        full: parts.join("; "),
        short: format!("{troubled} of {n} sources with problems"),
        severity: Severity::Watch,
    }
}

/// `2 of 6 sources unreachable: sally-0a1b no answer within 2 s, …` when any source could
/// not be read: the first one named, "failing" unless every one is out of reach.
fn fetch_failures(sources: &[SourceReport]) -> Option<String> {
    let fetch: Vec<(&SourceReport, &FetchError)> = sources
        .iter()
        .filter_map(|s| {
            s.problems.iter().find_map(|p| match p {
                SourceProblem::Fetch { error } => Some((s, error)),
                _ => None,
            })
        })
        .collect();
    let (first, error) = fetch.first()?;
    let word = if fetch.iter().all(|(_, e)| is_unreachable(e)) {
        "unreachable"
    } else {
        "failing"
    };
    let more = if fetch.len() > 1 { ", …" } else { "" };
    Some(format!(
        "{} of {} sources {word}: {} {}{more}",
        fetch.len(),
        sources.len(),
        source_name(&first.source),
        one_line(&error.to_string(), 60)
    ))
}

/// This round's problems other than reading a source, added up over the sources.
#[derive(Default)]
struct Tally<'a> {
    /// Lines not understood, and on how many sources.
    lines: usize,
    lines_sources: usize,
    /// Series some source lacked (each named once), and how many sources lacked any.
    missing: Vec<&'a str>,
    missing_sources: usize,
    query: Vec<String>,
    setup: Vec<String>,
}

impl<'a> Tally<'a> {
    fn of(sources: &'a [SourceReport]) -> Tally<'a> {
        let mut t = Tally::default();
        for s in sources {
            for p in &s.problems {
                match p {
                    SourceProblem::Fetch { .. } => {}
                    SourceProblem::NotUnderstood { lines: l, .. } => {
                        t.lines += l;
                        t.lines_sources += 1;
                    }
                    SourceProblem::MissingSeries { series } => {
                        t.missing_sources += 1;
                        for name in series {
                            if !t.missing.contains(&name.as_str()) {
                                t.missing.push(name);
                            }
                        }
                    }
                    SourceProblem::Query { .. } => t.query.push(one_line(&p.to_string(), 80)),
                    SourceProblem::Setup { message } => t.setup.push(one_line(message, 80)),
                }
            }
        }
        t
    }

    /// One part of the summary per kind of problem there was, of `n` sources.
    fn parts(&self, n: usize) -> Vec<String> {
        let mut parts = Vec::new();
        if self.lines > 0 {
            let on = if self.lines_sources > 1 {
                format!(" on {} sources", self.lines_sources)
            } else {
                String::new()
            };
            let plural = if self.lines == 1 { "line" } else { "lines" };
            parts.push(format!("{} {plural} not understood{on}", self.lines));
        }
        if !self.missing.is_empty() {
            let names: Vec<String> = self.missing.iter().map(|m| one_line(m, 24)).collect();
            parts.push(format!(
                "missing {} on {} of {n}",
                names.join(", "),
                self.missing_sources
            ));
        }
        if let Some(first) = self.query.first() {
            let more = if self.query.len() > 1 {
                format!(" (+{} more)", self.query.len() - 1)
            } else {
                String::new()
            };
            parts.push(format!("PromQL {first}{more}"));
        }
        if let Some(first) = self.setup.first() {
            parts.push(first.clone());
        }
        parts
    }
}

/// `sally-0a1b: no answer within 2 s · 3 of 40 rounds failed`, for a source with problems
/// this round or in its totals; `None` for one that never had any.
fn source_line(s: &SourceReport) -> Option<SourceLine> {
    let t = &s.totals;
    let mut history = Vec::new();
    if t.failed > 0 {
        history.push(format!("{} of {} rounds failed", t.failed, t.rounds));
    }
    if t.lines_not_understood > 0 {
        history.push(format!("{} lines not understood", t.lines_not_understood));
    }
    if t.series_missing > 0 {
        history.push(format!("{} series-rounds missing", t.series_missing));
    }
    if s.problems.is_empty() && history.is_empty() {
        return None;
    }
    let now: Vec<String> = s.problems.iter().map(problem_text).collect();
    let (mark, now_text, severity) = if now.is_empty() {
        ("✓", "answering now".to_string(), Severity::Quiet)
    } else {
        ("✗", now.join("; "), Severity::Watch)
    };
    let totals = if history.is_empty() {
        String::new()
    } else {
        format!(" · so far: {}", history.join(", "))
    };
    Some(SourceLine {
        text: format!("{mark} {}: {now_text}{totals}", source_name(&s.source)),
        severity,
    })
}

fn problem_text(p: &SourceProblem) -> String {
    match p {
        SourceProblem::NotUnderstood {
            lines,
            of,
            examples,
        } => {
            let example = examples
                .first()
                .map(|e| {
                    format!(
                        " (line {}: {}: {})",
                        e.line,
                        one_line(&e.reason, 40),
                        one_line(&e.text, 50)
                    )
                })
                .unwrap_or_default();
            format!("{lines} of {of} lines not understood{example}")
        }
        other => one_line(&other.to_string(), 120),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::feeds::metrics::{BadLineReport, SourceTotals};
    use crate::model::StackId;

    fn instance(id: &str, problems: Vec<SourceProblem>, totals: SourceTotals) -> SourceReport {
        SourceReport {
            source: Source::Instance {
                id: id.into(),
                url: format!("http://{id}/metrics"),
            },
            problems,
            totals,
        }
    }

    fn series(name: &str, verdict: Verdict) -> SeriesUpdate {
        SeriesUpdate {
            name: name.into(),
            unit: "%".into(),
            bad: BadDirection::Up,
            value: Some(1.0),
            verdict,
            control: None,
            history: Vec::new(),
        }
    }

    fn update(series: Vec<SeriesUpdate>) -> MetricsUpdate {
        MetricsUpdate {
            baseline: Default::default(),
            stack: StackId::new("sally"),
            at: Utc::now(),
            watch: None,
            series,
            sources: Vec::new(),
        }
    }

    fn shift() -> Shift {
        Shift {
            baseline_median: 1.0,
            recent_median: 4.1,
            relative: 3.1,
            p_value: 0.0001,
        }
    }

    #[test]
    fn a_round_without_any_value_says_since_when_there_is_no_data() {
        let t0 = Utc
            .with_ymd_and_hms(2026, 12, 1, 16, 0, 0)
            .single()
            .unwrap_or_default();
        let at = |secs: i64, value: Option<f64>| MetricsUpdate {
            at: t0 + chrono::Duration::seconds(secs),
            ..update(vec![SeriesUpdate {
                value,
                ..series("errors", Verdict::Unchanged)
            }])
        };
        let never = StackView::after(None, &at(0, None));
        assert_eq!(never.staleness(t0).as_deref(), Some("⚠ no data yet"));
        let fresh = StackView::after(Some(&never), &at(5, Some(1.0)));
        assert_eq!(fresh.staleness(t0 + chrono::Duration::seconds(6)), None);
        let gone = StackView::after(Some(&fresh), &at(10, None));
        let gone = StackView::after(Some(&gone), &at(15, None));
        let hhmm = t0.with_timezone(&chrono::Local).format("%H:%M").to_string();
        assert_eq!(
            gone.staleness(t0 + chrono::Duration::seconds(125)),
            Some(format!("⚠ no data since {hhmm} (2m ago)"))
        );
    }

    #[test]
    fn summary_counts_every_kind_of_problem() {
        let timeout = SourceProblem::Fetch {
            error: FetchError::Timeout { secs: 2 },
        };
        let sources = vec![
            instance("sally-0a1b", vec![timeout.clone()], SourceTotals::default()),
            instance("sally-0a1c", vec![timeout], SourceTotals::default()),
            instance(
                "sally-0a1d",
                vec![SourceProblem::NotUnderstood {
                    lines: 3,
                    of: 40,
                    examples: vec![BadLineReport {
                        line: 7,
                        reason: "bad label value".into(),
                        text: "x{a=\"}\"} 1\x1b[31m".into(),
                    }],
                }],
                SourceTotals::default(),
            ),
            instance("sally-0a1e", vec![], SourceTotals::default()),
            instance("sally-0a1f", vec![], SourceTotals::default()),
            instance(
                "sally-0a20",
                vec![],
                SourceTotals {
                    rounds: 40,
                    failed: 3,
                    ..Default::default()
                },
            ),
        ];
        let w = sources_summary(&sources);
        assert_eq!(
            w.full,
            "2 of 6 sources unreachable: sally-0a1b no answer within 2 s, …; 3 lines not understood"
        );
        assert_eq!(w.short, "3 of 6 sources with problems");
        let lines: Vec<String> = sources
            .iter()
            .filter_map(source_line)
            .map(|l| l.text)
            .collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[2],
            "✗ sally-0a1d: 3 of 40 lines not understood (line 7: bad label value: x{a=\"}\"} 1)"
        );
        assert_eq!(
            lines[3],
            "✓ sally-0a20: answering now · so far: 3 of 40 rounds failed"
        );
        assert_eq!(
            sources_summary(&sources[3..5]).full,
            "all 2 sources answered"
        );
        assert_eq!(sources_summary(&[]).short, "no instances");
    }

    #[test]
    fn worst_names_the_series_and_counts_the_rest() {
        let since = Utc
            .with_ymd_and_hms(2026, 3, 1, 12, 3, 0)
            .single()
            .unwrap_or_default();
        let u = update(vec![
            series("req/s", Verdict::Ok),
            series(
                "errors",
                Verdict::Spike(crate::feeds::metrics::Flag::fresh(since, shift())),
            ),
            series(
                "p99",
                Verdict::Spike(crate::feeds::metrics::Flag::fresh(since, shift())),
            ),
        ]);
        let w = worst(&u).unwrap_or_else(|| panic!("no verdict"));
        assert_eq!(w.full, "▲ errors +310%, p99 +310%");
        assert_eq!(w.short, "▲ SPIKE");
        assert_eq!(w.severity, Severity::Alert);
        assert!(stack_flag(&u).is_some());

        let u = update(vec![
            series("req/s", Verdict::Ok),
            series(
                "p99",
                Verdict::Watching {
                    consecutive: 2,
                    needed: 3,
                    basis: crate::feeds::metrics::Basis::Baseline,
                },
            ),
        ]);
        assert_eq!(
            stack_flag(&u).map(|w| w.full).as_deref(),
            Some("watch p99 2/3")
        );
        let u = update(vec![series("req/s", Verdict::Ok)]);
        assert_eq!(worst(&u).map(|w| w.full).as_deref(), Some("✓ ok"));
        assert_eq!(stack_flag(&u), None);
        assert_eq!(worst(&update(vec![])), None);
    }

    #[test]
    fn verdicts_in_words() {
        let since = Utc
            .with_ymd_and_hms(2026, 3, 1, 12, 3, 0)
            .single()
            .unwrap_or_default();
        let clock = format::clock(since);
        let w = verdict_words(&Verdict::Spike(crate::feeds::metrics::Flag::fresh(
            since,
            shift(),
        )));
        assert_eq!(w.full, format!("▲ SPIKE since {clock} (+310%)"));
        let w = verdict_words(&Verdict::NotEvaluated {
            reason: Insufficient::FewBaselineSamples { have: 4, need: 12 },
        });
        assert_eq!(w.full, "not evaluated: baseline 4/12");
        let w = verdict_words(&Verdict::NotEvaluated {
            reason: Insufficient::LowTraffic {
                traffic: 0.02,
                min: 0.1,
            },
        });
        assert_eq!(w.full, "not evaluated: traffic 0.020/s below 0.10/s");
        assert_eq!(verdict_words(&Verdict::Unchanged).full, "no change on live");
        let w = verdict_words(&Verdict::RollingOut {
            progress: Some(0.62),
            rolling_back: false,
        });
        assert_eq!(w.full, "rolling out 62%");
        let w = verdict_words(&Verdict::Stale { age_secs: 12 });
        assert_eq!(w.full, "stale: no data for 12s");
        assert!(w.severity > Severity::Good, "stale never reads as healthy");
        let held = Verdict::Spike(crate::feeds::metrics::Flag {
            hold: Some(Hold::RollingBack {
                progress: Some(0.5),
            }),
            ..crate::feeds::metrics::Flag::fresh(since, shift())
        });
        assert_eq!(
            verdict_words(&held).full,
            format!("▲ SPIKE since {clock} (+310%) · rolling back 50%")
        );
    }

    #[test]
    fn prometheus_user_info_is_not_shown() {
        let s = Source::Prometheus {
            url: "https://user:secret@prom.example:9090/x".into(),
        };
        assert_eq!(source_name(&s), "Prometheus https://prom.example:9090/x");
        let s = Source::Prometheus {
            url: "http://prom:9090/q?a=b@c".into(),
        };
        assert_eq!(source_name(&s), "Prometheus http://prom:9090/q?a=b@c");
    }
}
