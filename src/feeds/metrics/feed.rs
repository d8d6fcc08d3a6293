//! One round of the feed: scrape every instance and ask Prometheus, all at once and each
//! with a timeout; parse off the async threads; evaluate every series per stack; judge it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::aggregate::{self, Aggregated, InstanceReading, Query, Selection};
use super::anomaly::{Context, Detector};
use super::change::{LiveView, Watch};
use super::control::{ControlComparison, compare_with_control};
use super::exposition::{self, BadLine, Wanted};
use super::history::{Point, SeriesHistory};
use super::promql::{Prometheus, QueryError};
use super::scrape::{FetchError, Scraper, instance_url};
use super::update::{
    MetricsUpdate, SeriesUpdate, Source, SourceProblem, SourceReport, SourceTotals,
};
use crate::config::{MetricsConfig, SeriesConfig};
use crate::model::{Instance, StackId};

/// Scrapes in flight at once: enough for hundreds of endpoints within one timeout, few
/// enough not to exhaust file descriptors.
const CONCURRENT_SCRAPES: usize = 64;

/// How a configured series gets its value.
#[derive(Debug, Clone)]
enum Plan {
    /// Indices into `Feed::queries`.
    Scraped {
        num: usize,
        den: Option<usize>,
    },
    Promql,
}

/// The feed's state between rounds.
pub struct Feed {
    config: MetricsConfig,
    stacks: Vec<StackId>,
    queries: Arc<Vec<Query>>,
    wanted: Arc<Wanted>,
    plans: Vec<Plan>,
    scraper: Result<Scraper, String>,
    prometheus: Option<Result<Prometheus, String>>,
    per_stack: HashMap<StackId, StackState>,
}

struct StackState {
    histories: Vec<SeriesHistory>,
    detectors: Vec<Detector>,
    /// The change last applied to the histories, and where its healthy period ends (which
    /// stays put when a flagged release is rolled back or fixed forward).
    watch: Option<Watch>,
    baseline_until: Option<DateTime<Utc>>,
    instances: HashMap<String, InstanceState>,
    prometheus_totals: SourceTotals,
    /// Problems met outside a round (the backfill), reported with the next one.
    pending: Vec<SourceProblem>,
}

#[derive(Default)]
struct InstanceState {
    /// The last successful scrape's selections, one per query (for rates).
    previous: Option<Vec<Selection>>,
    totals: SourceTotals,
}

type PromAnswer = Result<Option<f64>, QueryError>;

/// What one instance's scrape gave.
struct Scraped {
    stack: StackId,
    instance: Instance,
    url: String,
    result: Result<ParsedScrape, FetchError>,
}

struct ParsedScrape {
    selections: Vec<Selection>,
    sample_lines: usize,
    not_understood: usize,
    examples: Vec<BadLine>,
}

impl Feed {
    pub fn new(config: MetricsConfig, stacks: Vec<StackId>) -> Feed {
        let mut queries: Vec<Query> = Vec::new();
        let mut sources = Vec::new();
        let mut plans = Vec::new();
        // Identical queries (requests as a series and as a divisor) are read once.
        let mut intern =
            |q: &crate::config::ScrapeQuery, queries: &mut Vec<Query>| -> Option<usize> {
                if let Some(i) = sources.iter().position(|s| s == q) {
                    return Some(i);
                }
                // Validation has compiled every regex already; a failure here leaves the
                // series without value rather than stopping the feed.
                let compiled = Query::compile(q).ok()?;
                sources.push(q.clone());
                queries.push(compiled);
                Some(queries.len() - 1)
            };
        for s in &config.series {
            let plan = match s.scrape_query() {
                Some(q) => match intern(&q, &mut queries) {
                    Some(num) => Plan::Scraped {
                        num,
                        den: s.divide_by.as_ref().and_then(|d| intern(d, &mut queries)),
                    },
                    None => Plan::Promql,
                },
                None => Plan::Promql,
            };
            plans.push(plan);
        }
        let wanted = Wanted::names(queries.iter().map(|q| q.metric.as_str()));
        let scraper = Scraper::new(Duration::from_secs(config.timeout_secs.max(1)));
        let prometheus = config.prometheus.as_ref().map(Prometheus::new);
        let per_stack = stacks
            .iter()
            .map(|id| {
                let n = config.series.len();
                let state = StackState {
                    histories: (0..n).map(|_| SeriesHistory::new(config.history)).collect(),
                    detectors: vec![Detector::default(); n],
                    watch: None,
                    baseline_until: None,
                    instances: HashMap::new(),
                    prometheus_totals: SourceTotals::default(),
                    pending: Vec::new(),
                };
                (id.clone(), state)
            })
            .collect();
        Feed {
            config,
            stacks,
            queries: Arc::new(queries),
            wanted: Arc::new(wanted),
            plans,
            scraper,
            prometheus,
            per_stack,
        }
    }

    /// What to save of the histories (see `persist`).
    pub fn saved(&self, now: DateTime<Utc>) -> super::persist::Saved {
        let mut saved = super::persist::Saved {
            saved_at: Some(now),
            ..Default::default()
        };
        for (stack, state) in &self.per_stack {
            let series = self
                .config
                .series
                .iter()
                .zip(&state.histories)
                .map(|(cfg, h)| super::persist::SavedSeries {
                    name: cfg.name.clone(),
                    points: h.snapshot(),
                    before: h.baseline_snapshot(),
                })
                .collect();
            saved.stacks.insert(stack.to_string(), series);
        }
        saved
    }

    /// Takes back saved histories (a restart), by stack and series name, keeping only
    /// points young enough to matter: the display window, and twice that for the baseline.
    pub fn restore(&mut self, saved: super::persist::Saved, now: DateTime<Utc>) {
        let window = chrono::Duration::seconds(
            (self.config.interval_secs.max(1) * self.config.history as u64) as i64,
        );
        for (stack, state) in &mut self.per_stack {
            let Some(series) = saved.stacks.get(stack.as_str()) else {
                continue;
            };
            for (cfg, history) in self.config.series.iter().zip(&mut state.histories) {
                let Some(s) = series.iter().find(|s| s.name == cfg.name) else {
                    continue;
                };
                let young = |p: &&Point, span: chrono::Duration| p.at > now - span && p.at <= now;
                let points: Vec<Point> = s
                    .points
                    .iter()
                    .filter(|p| young(p, window))
                    .copied()
                    .collect();
                let before: Vec<Point> = s
                    .before
                    .iter()
                    .filter(|p| young(p, window * 2))
                    .copied()
                    .collect();
                *history = SeriesHistory::restored(self.config.history, points, before);
            }
        }
    }

    fn has_promql(&self) -> bool {
        self.config.series.iter().any(|s| s.promql.is_some())
    }

    /// Fills the histories of `PromQL` series from `query_range`, so the baseline exists at
    /// once instead of after minutes of watching.
    pub async fn backfill(&mut self, now: DateTime<Utc>) {
        let Some(Ok(prom)) = &self.prometheus else {
            return;
        };
        if !self.config.prometheus.as_ref().is_some_and(|p| p.backfill) {
            return;
        }
        let step = Duration::from_secs(self.config.interval_secs.max(1));
        let span = chrono::Duration::seconds(
            (self.config.interval_secs.max(1) * self.config.history as u64) as i64,
        );
        let mut jobs = Vec::new();
        for stack in &self.stacks {
            for (i, s) in self.config.series.iter().enumerate() {
                if let Some(q) = s.history_promql_for(stack) {
                    jobs.push((stack.clone(), i, q));
                }
            }
        }
        let results: Vec<_> = futures::stream::iter(jobs)
            .map(|(stack, i, q)| async move {
                let r = prom.range(&q, now - span, now, step).await;
                (stack, i, r)
            })
            .buffer_unordered(CONCURRENT_SCRAPES)
            .collect()
            .await;
        for (stack, i, r) in results {
            let Some(state) = self.per_stack.get_mut(&stack) else {
                continue;
            };
            match r {
                Ok(points) => {
                    // Scaled as every round's value is, so history and rounds compare.
                    let scale = self.config.series[i].scale;
                    for (at, value) in points {
                        state.histories[i].push(Point {
                            at,
                            value: value.map(|v| v * scale),
                            traffic: None,
                        });
                    }
                }
                Err(error) => state.pending.push(SourceProblem::Query {
                    series: self.config.series[i].name.clone(),
                    backfill: true,
                    error,
                }),
            }
        }
    }

    /// One round: every source asked, every series evaluated and judged, one update per
    /// stack (in the configured order).
    pub async fn round(
        &mut self,
        instances: &HashMap<StackId, Vec<Instance>>,
        live: &LiveView,
    ) -> Vec<MetricsUpdate> {
        let now = Utc::now();
        let (scraped, answers) = tokio::join!(self.scrape_all(instances), self.ask_prometheus(now));
        self.finish_round(scraped, answers, live, now)
    }

    /// The CPU part of a round on bodies already fetched, parsed on this thread: what a
    /// round costs apart from waiting for the network (the benchmark runs this).
    pub fn round_from_bodies(
        &mut self,
        bodies: Vec<(StackId, Instance, Result<String, FetchError>)>,
        live: &LiveView,
        now: DateTime<Utc>,
    ) -> Vec<MetricsUpdate> {
        let scraped = bodies
            .into_iter()
            .map(|(stack, instance, body)| Scraped {
                url: self
                    .config
                    .scrape_url
                    .as_deref()
                    .map(|t| instance_url(t, &stack, &instance))
                    .unwrap_or_default(),
                result: body.map(|t| parse_and_select(&t, now, &self.wanted, &self.queries)),
                stack,
                instance,
            })
            .collect();
        self.finish_round(scraped, Vec::new(), live, now)
    }

    fn finish_round(
        &mut self,
        scraped: Vec<Scraped>,
        answers: Vec<(StackId, usize, Result<Option<f64>, QueryError>)>,
        live: &LiveView,
        now: DateTime<Utc>,
    ) -> Vec<MetricsUpdate> {
        let mut by_stack: HashMap<StackId, Vec<Scraped>> = HashMap::new();
        for s in scraped {
            by_stack.entry(s.stack.clone()).or_default().push(s);
        }
        let mut answers_by_stack: HashMap<StackId, Vec<(usize, PromAnswer)>> = HashMap::new();
        for (stack, i, r) in answers {
            answers_by_stack.entry(stack).or_default().push((i, r));
        }
        let mut updates = Vec::new();
        for stack in self.stacks.clone() {
            let scraped = by_stack.remove(&stack).unwrap_or_default();
            let answers = answers_by_stack.remove(&stack).unwrap_or_default();
            updates.push(self.evaluate_stack(
                &stack,
                scraped,
                answers,
                live.watches.get(&stack),
                now,
            ));
        }
        // Verdicts last: a short baseline falls back on the control stacks, which needs
        // every stack's history of this round.
        for update in &mut updates {
            self.judge_stack(update, live, now);
        }
        updates
    }

    /// Control comparisons and verdicts for one stack's update.
    fn judge_stack(&mut self, update: &mut MetricsUpdate, live: &LiveView, now: DateTime<Utc>) {
        let rollout = update.watch.as_ref().and_then(|w| w.rollout);
        let controls: Vec<Option<ControlComparison>> = (0..update.series.len())
            .map(|i| self.control_for(&update.stack, i, live))
            .collect();
        let Some(state) = self.per_stack.get_mut(&update.stack) else {
            return;
        };
        for (i, series) in update.series.iter_mut().enumerate() {
            let (Some(cfg), Some(history), Some(detector)) = (
                self.config.series.get(i),
                state.histories.get(i),
                state.detectors.get_mut(i),
            ) else {
                continue;
            };
            let control = controls.get(i).cloned().flatten();
            series.verdict = detector.evaluate(
                history,
                cfg.bad,
                &self.config.anomaly,
                now,
                Context {
                    rollout,
                    control: control.as_ref(),
                },
            );
            series.control = control;
        }
    }

    fn control_for(&self, stack: &StackId, i: usize, live: &LiveView) -> Option<ControlComparison> {
        let cfg: &SeriesConfig = self.config.series.get(i)?;
        let state = self.per_stack.get(stack)?;
        let watch = state.watch.as_ref()?;
        let own = state.histories.get(i)?;
        let controls: Vec<&SeriesHistory> = live
            .running(&watch.before, stack)
            .filter_map(|s| self.per_stack.get(s)?.histories.get(i))
            .collect();
        compare_with_control(
            own,
            &controls,
            cfg.is_intensive(),
            cfg.bad,
            &self.config.anomaly,
        )
    }

    async fn scrape_all(&self, instances: &HashMap<StackId, Vec<Instance>>) -> Vec<Scraped> {
        let Some(template) = &self.config.scrape_url else {
            return Vec::new();
        };
        if self.queries.is_empty() {
            return Vec::new();
        }
        let mut jobs = Vec::new();
        for stack in &self.stacks {
            for inst in instances.get(stack).into_iter().flatten() {
                jobs.push((
                    stack.clone(),
                    inst.clone(),
                    instance_url(template, stack, inst),
                ));
            }
        }
        let scraper = match &self.scraper {
            Ok(s) => s,
            // No HTTP client at all: every source says so rather than vanishing.
            Err(e) => {
                return jobs
                    .into_iter()
                    .map(|(stack, instance, url)| Scraped {
                        stack,
                        instance,
                        url,
                        result: Err(FetchError::Unreachable(e.clone())),
                    })
                    .collect();
            }
        };
        futures::stream::iter(jobs)
            .map(|(stack, instance, url)| {
                let queries = Arc::clone(&self.queries);
                let wanted = Arc::clone(&self.wanted);
                async move {
                    let result = match scraper.fetch(&url).await {
                        Ok(text) => {
                            let at = Utc::now();
                            // Parsing is CPU work: keep it off the threads that run the UI
                            // and the other feeds.
                            tokio::task::spawn_blocking(move || {
                                parse_and_select(&text, at, &wanted, &queries)
                            })
                            .await
                            .map_err(|e| FetchError::Body(format!("parser failed: {e}")))
                        }
                        Err(e) => Err(e),
                    };
                    Scraped {
                        stack,
                        instance,
                        url,
                        result,
                    }
                }
            })
            .buffer_unordered(CONCURRENT_SCRAPES)
            .collect()
            .await
    }

    async fn ask_prometheus(
        &self,
        now: DateTime<Utc>,
    ) -> Vec<(StackId, usize, Result<Option<f64>, QueryError>)> {
        let Some(Ok(prom)) = &self.prometheus else {
            return Vec::new();
        };
        let mut jobs = Vec::new();
        for stack in &self.stacks {
            for (i, s) in self.config.series.iter().enumerate() {
                if let Some(q) = s.promql_for(stack) {
                    jobs.push((stack.clone(), i, q));
                }
            }
        }
        futures::stream::iter(jobs)
            .map(|(stack, i, q)| async move { (stack, i, prom.instant(&q, now).await) })
            .buffer_unordered(CONCURRENT_SCRAPES)
            .collect()
            .await
    }

    fn evaluate_stack(
        &mut self,
        stack: &StackId,
        scraped: Vec<Scraped>,
        answers: Vec<(usize, PromAnswer)>,
        watch: Option<&Watch>,
        now: DateTime<Utc>,
    ) -> MetricsUpdate {
        let series_cfg = self.config.series.clone();
        let has_promql = self.has_promql();
        let prom_url = self.config.prometheus.as_ref().map(|p| p.url.clone());
        let prom_setup = match &self.prometheus {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        };
        let Some(state) = self.per_stack.get_mut(stack) else {
            return empty_update(stack, now, watch.cloned());
        };
        state.apply_watch(watch);
        let (mut sources, current) = read_instances(state, scraped, &self.plans, &series_cfg);
        let mut values = evaluate_scraped(state, &current, &self.plans, &self.queries, &series_cfg);
        let prom_problems = apply_answers(state, answers, &mut values, &series_cfg);
        // Backfill problems of scraped series' baseline queries are shown too.
        if (has_promql || !prom_problems.is_empty())
            && let Some(url) = prom_url
        {
            sources.push(prometheus_report(state, url, prom_problems, prom_setup));
        }
        // This round's selections become the previous ones.
        for (id, sels) in current {
            if let Some(inst) = state.instances.get_mut(&id) {
                inst.previous = Some(sels);
            }
        }
        // History; verdicts follow once every stack's round is in (`judge_stack`).
        let series = record_history(state, &values, &series_cfg, watch, now);
        MetricsUpdate {
            stack: stack.clone(),
            at: now,
            watch: watch.cloned(),
            series,
            sources,
            baseline: super::Baseline {
                have: baseline_samples(state),
                need: self.config.anomaly.min_baseline_samples,
                interval_secs: self.config.interval_secs.max(1),
            },
        }
    }
}

/// This round's selections of each instance that answered.
type Readings = Vec<(String, Vec<Selection>)>;

/// Step one of a stack's round: each scraped instance's report (what went wrong, running
/// totals) and the selections of those that answered. Instances that are gone take their
/// state with them.
fn read_instances(
    state: &mut StackState,
    scraped: Vec<Scraped>,
    plans: &[Plan],
    series_cfg: &[SeriesConfig],
) -> (Vec<SourceReport>, Readings) {
    let mut sources = Vec::new();
    let mut current: Readings = Vec::new();
    let seen_ids: Vec<String> = scraped.iter().map(|s| s.instance.id.clone()).collect();
    for s in scraped {
        let inst = state.instances.entry(s.instance.id.clone()).or_default();
        inst.totals.rounds += 1;
        let mut problems = Vec::new();
        match s.result {
            Err(error) => {
                inst.totals.failed += 1;
                problems.push(SourceProblem::Fetch { error });
            }
            Ok(parsed) => {
                if parsed.not_understood > 0 {
                    inst.totals.lines_not_understood += parsed.not_understood as u64;
                    problems.push(SourceProblem::NotUnderstood {
                        lines: parsed.not_understood,
                        of: parsed.sample_lines,
                        examples: parsed.examples.iter().map(Into::into).collect(),
                    });
                }
                let missing = missing_series(&parsed, plans, series_cfg);
                if !missing.is_empty() {
                    inst.totals.series_missing += missing.len() as u64;
                    problems.push(SourceProblem::MissingSeries { series: missing });
                }
                current.push((s.instance.id.clone(), parsed.selections));
            }
        }
        sources.push(SourceReport {
            source: Source::Instance {
                id: s.instance.id.clone(),
                url: s.url,
            },
            problems,
            totals: inst.totals,
        });
    }
    state.instances.retain(|id, _| seen_ids.contains(id));
    (sources, current)
}

/// The scraped series whose metric (or denominator) an instance's scrape lacks.
fn missing_series(
    parsed: &ParsedScrape,
    plans: &[Plan],
    series_cfg: &[SeriesConfig],
) -> Vec<String> {
    plans
        .iter()
        .zip(series_cfg)
        .filter_map(|(plan, cfg)| match plan {
            Plan::Scraped { num, den } => {
                let absent = |i: &usize| parsed.selections.get(*i).is_none_or(|s| !s.metric_seen);
                (absent(num) || den.as_ref().is_some_and(absent)).then(|| cfg.name.clone())
            }
            Plan::Promql => None,
        })
        .collect()
}

/// Step two: every scraped series' value across the instances that answered (`PromQL`
/// series stay empty until their answers are applied).
fn evaluate_scraped(
    state: &StackState,
    current: &Readings,
    plans: &[Plan],
    queries: &[Query],
    series_cfg: &[SeriesConfig],
) -> Vec<Aggregated> {
    let mut values: Vec<Aggregated> = vec![Aggregated::default(); series_cfg.len()];
    for (i, plan) in plans.iter().enumerate() {
        if let Plan::Scraped { num, den } = plan {
            let eval = |qi: usize| {
                let readings: Vec<InstanceReading<'_>> = current
                    .iter()
                    .filter_map(|(id, sels)| {
                        Some(InstanceReading {
                            previous: state
                                .instances
                                .get(id)
                                .and_then(|s| s.previous.as_ref())
                                .and_then(|p| p.get(qi)),
                            current: sels.get(qi)?,
                        })
                    })
                    .collect();
                match queries.get(qi) {
                    Some(q) if !readings.is_empty() => aggregate::aggregate(q, &readings),
                    _ => Aggregated::default(),
                }
            };
            let scale = series_cfg[i].scale;
            values[i] = match den {
                Some(d) => aggregate::ratio(eval(*num), eval(*d), scale),
                None => aggregate::scaled(eval(*num), scale),
            };
        }
    }
    values
}

/// Step three: the `PromQL` answers into `values`; returns Prometheus's problems (with
/// those met outside the round, by the backfill).
fn apply_answers(
    state: &mut StackState,
    answers: Vec<(usize, PromAnswer)>,
    values: &mut [Aggregated],
    series_cfg: &[SeriesConfig],
) -> Vec<SourceProblem> {
    let mut prom_problems = Vec::new();
    prom_problems.append(&mut state.pending);
    for (i, r) in answers {
        match r {
            Ok(v) => {
                values[i] = aggregate::scaled(
                    Aggregated {
                        value: v,
                        traffic: None,
                    },
                    series_cfg[i].scale,
                );
            }
            Err(error) => prom_problems.push(SourceProblem::Query {
                series: series_cfg[i].name.clone(),
                backfill: false,
                error,
            }),
        }
    }
    prom_problems
}

/// Prometheus as a source this round, with its running totals.
fn prometheus_report(
    state: &mut StackState,
    url: String,
    mut problems: Vec<SourceProblem>,
    setup: Option<String>,
) -> SourceReport {
    if let Some(message) = setup {
        problems.push(SourceProblem::Setup { message });
    }
    let totals = &mut state.prometheus_totals;
    totals.rounds += 1;
    if !problems.is_empty() {
        totals.failed += 1;
    }
    SourceReport {
        source: Source::Prometheus { url },
        problems,
        totals: *totals,
    }
}

/// Step four: this round's values into each series' history; the updates carry no
/// verdict yet.
fn record_history(
    state: &mut StackState,
    values: &[Aggregated],
    series_cfg: &[SeriesConfig],
    watch: Option<&Watch>,
    now: DateTime<Utc>,
) -> Vec<SeriesUpdate> {
    let mut series = Vec::with_capacity(series_cfg.len());
    for (i, cfg) in series_cfg.iter().enumerate() {
        let history = &mut state.histories[i];
        history.set_watch(state.baseline_until, watch.and_then(|w| w.traffic_since));
        history.push(Point {
            at: now,
            value: values[i].value,
            traffic: values[i].traffic,
        });
        series.push(SeriesUpdate {
            name: cfg.name.clone(),
            unit: cfg.unit.clone(),
            bad: cfg.bad,
            value: values[i].value,
            verdict: super::Verdict::Unchanged,
            control: None,
            history: history.snapshot(),
        });
    }
    series
}

/// Healthy samples the stack has before its change: the fewest of any series.
fn baseline_samples(state: &StackState) -> usize {
    state
        .histories
        .iter()
        .map(|h| {
            h.baseline()
                .filter(|p| p.value.is_some_and(f64::is_finite))
                .count()
        })
        .min()
        .unwrap_or(0)
}

impl StackState {
    /// Takes the engine's account of the stack's change. A new change starts its series'
    /// detectors afresh, except over a flagged release: a fix-forward is judged against
    /// the same healthy period and keeps the flag until data shows recovery.
    fn apply_watch(&mut self, watch: Option<&Watch>) {
        let same = match (&self.watch, watch) {
            (None, None) => true,
            (Some(old), Some(new)) => old.same_change(new),
            _ => false,
        };
        if !same {
            let flagged = self.detectors.iter().any(Detector::is_flagged);
            match watch {
                Some(w) if flagged && self.baseline_until.is_some() => {
                    tracing::info!(baseline_until = ?self.baseline_until, to = %w.now, "new change on a flagged stack keeps its baseline");
                }
                Some(w) => {
                    self.baseline_until = Some(w.baseline_until);
                    self.reset_detectors();
                }
                None => {
                    self.baseline_until = None;
                    self.reset_detectors();
                }
            }
        }
        self.watch = watch.cloned();
    }

    fn reset_detectors(&mut self) {
        for d in &mut self.detectors {
            *d = Detector::default();
        }
    }
}

fn empty_update(stack: &StackId, now: DateTime<Utc>, watch: Option<Watch>) -> MetricsUpdate {
    MetricsUpdate {
        stack: stack.clone(),
        at: now,
        watch,
        series: Vec::new(),
        sources: Vec::new(),
        baseline: super::Baseline::default(),
    }
}

/// Parses one scrape and keeps only what the queries select (the CPU part of a round).
fn parse_and_select(
    text: &str,
    at: DateTime<Utc>,
    wanted: &Wanted,
    queries: &[Query],
) -> ParsedScrape {
    let e = exposition::parse(text, at, wanted);
    ParsedScrape {
        selections: queries.iter().map(|q| q.select(&e.samples, at)).collect(),
        sample_lines: e.sample_lines,
        not_understood: e.not_understood,
        examples: e.examples,
    }
}
