//! From the entries of one release to the report: each promotion or rollback with its
//! deployment's start, finish and outcome, smoke results and metric flags per stack, and
//! the overrides, approvals, announcements and refusals, each with who and when.

use chrono::{DateTime, Utc};

use super::{
    FlagRaised, Note, Report, Shipped, SmokeRun, StackOutcome, StackReport, Step, Window, short,
};
use crate::journal::{Act, Entry};
use crate::text::one_line;

/// Notes kept per list at most (a refusal loop must not make a report of thousands of
/// lines); what is left out is said.
const MAX_NOTES: usize = 50;

/// What the report needs besides the journal.
#[derive(Debug, Clone)]
pub struct Context {
    pub service: String,
    /// (id, display name) in promotion order.
    pub stacks: Vec<(String, String)>,
    /// The last environment's name.
    pub live_env: String,
    pub journal: String,
    pub unreadable: usize,
    pub generated_at: DateTime<Utc>,
}

struct Stack {
    id: String,
    name: String,
    steps: Vec<Step>,
    smoke: Vec<SmokeRun>,
    flags: Vec<FlagRaised>,
}

pub fn build(ctx: &Context, window: &Window, shipped: Shipped) -> Report {
    let mut stacks: Vec<Stack> = ctx
        .stacks
        .iter()
        .map(|(id, name)| Stack {
            id: id.clone(),
            name: name.clone(),
            steps: Vec::new(),
            smoke: Vec::new(),
            flags: Vec::new(),
        })
        .collect();
    let mut notes = Notes::default();
    let mut people: Vec<String> = Vec::new();
    for e in &window.entries {
        if acted(e) && !people.contains(&e.actor()) {
            people.push(e.actor());
        }
        let stack = e.stack.as_deref().map(|id| stack_mut(&mut stacks, id));
        match (e.action.as_str(), stack) {
            ("promote" | "rollback", Some(s)) => {
                s.steps.push(step(e, &e.action, e.actor()));
                // A promotion out of order is an override even when nobody recorded one
                // with a reason (the gates write `override` entries; this one is not
                // listed twice).
                if let Some(d) = e
                    .detail
                    .as_deref()
                    .filter(|d| d.starts_with("out of order"))
                    && !has_override_near(&window.entries, e)
                {
                    notes.push(
                        Kind::Override,
                        e,
                        format!("promoted {}; no reason recorded", one_line(d, 300)),
                    );
                }
            }
            ("observed", Some(s)) => {
                s.steps
                    .push(step(e, "outside", "outside slipway".to_string()));
            }
            ("deploy_started", Some(s)) => deploy_started(s, e),
            ("deploy_finished", Some(s)) => deploy_finished(s, e),
            ("abort", Some(s)) => {
                let by = e.actor();
                match find_deployment(s, e.deployment.as_deref()) {
                    Some(step) => step.aborted_by = Some(by),
                    None => notes.push(Kind::Other, e, "asked to abort a deployment".into()),
                }
            }
            ("smoke", Some(s)) => s.smoke.push(smoke(e)),
            ("flag", Some(s)) => s.flags.push(FlagRaised {
                at: e.at,
                by: e.actor(),
                series: e.series.clone().unwrap_or_else(|| "a series".into()),
                effect: e.outcome.clone().unwrap_or_else(|| "flag".into()),
                detail: e.detail.clone(),
            }),
            ("override", _) => notes.push(Kind::Override, e, detail_or(e, "no reason recorded")),
            ("approve", _) => notes.push(Kind::Approval, e, approval(e)),
            ("announce", _) => notes.push(Kind::Announcement, e, detail_or(e, "posted to chat")),
            ("refused", _) => notes.push(Kind::Refusal, e, detail_or(e, "refused")),
            (action, _) => notes.push(
                Kind::Other,
                e,
                match &e.detail {
                    Some(d) => format!("{}: {d}", action.replace('_', " ")),
                    None => action.replace('_', " "),
                },
            ),
        }
    }
    let stacks = stacks
        .into_iter()
        .map(|s| finish(s, &ctx.live_env))
        .collect();
    let [overrides, approvals, announcements, refusals, other] = notes.into_lists();
    Report {
        format: 1,
        service: ctx.service.clone(),
        version: window.version.clone(),
        scope: window.describe.clone(),
        first: window.entries.first().map(|e| e.at),
        last: window.entries.last().map(|e| e.at),
        generated_at: ctx.generated_at,
        journal: ctx.journal.clone(),
        entries: window.entries.len(),
        unreadable_lines: ctx.unreadable,
        shipped,
        stacks,
        overrides,
        approvals,
        announcements,
        refusals,
        other,
        people,
    }
}

/// An `override` entry about the same stack within ten minutes of `promote`.
fn has_override_near(entries: &[Entry], promote: &Entry) -> bool {
    let near = chrono::Duration::minutes(10);
    entries.iter().any(|o| {
        o.is(Act::Override) && o.stack == promote.stack && (o.at - promote.at).abs() <= near
    })
}

/// Entries written because someone did something (not by a slipway observing).
fn acted(e: &Entry) -> bool {
    matches!(
        Act::parse(&e.action),
        Some(
            Act::Promote
                | Act::Rollback
                | Act::Abort
                | Act::Announce
                | Act::Approve
                | Act::Override
                | Act::LockStolen
                | Act::Refused
        )
    ) || (e.is(Act::Smoke)
        && e.detail
            .as_deref()
            .is_some_and(|d| d.starts_with("Request")))
}

fn stack_mut<'a>(stacks: &'a mut Vec<Stack>, id: &str) -> &'a mut Stack {
    let i = match stacks.iter().position(|s| s.id == id) {
        Some(i) => i,
        None => {
            // A stack the config no longer has: still reported, under its id.
            stacks.push(Stack {
                id: id.to_string(),
                name: id.to_string(),
                steps: Vec::new(),
                smoke: Vec::new(),
                flags: Vec::new(),
            });
            stacks.len() - 1
        }
    };
    &mut stacks[i]
}

fn step(e: &Entry, action: &str, by: String) -> Step {
    Step {
        action: action.to_string(),
        env: e.env.clone(),
        from: e.from.clone(),
        to: e.to.clone(),
        by,
        requested: e.at,
        deployment: e.deployment.clone(),
        started: None,
        finished: None,
        duration_secs: None,
        outcome: "in progress".into(),
        detail: e.detail.as_deref().map(|d| one_line(d, 300)),
        aborted_by: None,
    }
}

/// The step a deployment belongs to: the one naming it, else the newest still open.
fn find_deployment<'a>(s: &'a mut Stack, id: Option<&str>) -> Option<&'a mut Step> {
    let named = id.and_then(|id| {
        s.steps
            .iter()
            .rposition(|st| st.deployment.as_deref() == Some(id))
    });
    let i = named.or_else(|| s.steps.iter().rposition(|st| st.finished.is_none()))?;
    s.steps.get_mut(i)
}

fn deploy_started(s: &mut Stack, e: &Entry) {
    let open = s
        .steps
        .iter()
        .rposition(|st| st.deployment.is_none() && st.finished.is_none());
    let i = match open {
        Some(i) => i,
        None => {
            // Started by a slipway whose request is not in this part of the journal
            // (recovered after a crash): reported all the same.
            let action = if e.detail.as_deref() == Some("roll back") {
                "rollback"
            } else {
                "promote"
            };
            s.steps.push(step(e, action, e.actor()));
            s.steps.len() - 1
        }
    };
    let st = &mut s.steps[i];
    st.deployment = e.deployment.clone().or(st.deployment.take());
    st.started = Some(e.at);
    if st.from.is_none() {
        st.from = e.from.clone();
        st.to = e.to.clone();
    }
    // A start the platform refused, or that could not be made, ends the step.
    if let Some(outcome) = &e.outcome {
        st.outcome = outcome.clone();
        st.finished = Some(e.at);
        add_detail(st, e.detail.as_deref());
    }
}

fn deploy_finished(s: &mut Stack, e: &Entry) {
    if find_deployment(s, e.deployment.as_deref()).is_none() {
        s.steps.push(step(e, "promote", e.actor()));
        if let Some(st) = s.steps.last_mut() {
            st.detail = None;
        }
    }
    let Some(st) = find_deployment(s, e.deployment.as_deref()) else {
        return;
    };
    st.finished = Some(e.at);
    st.outcome = e.outcome.clone().unwrap_or_else(|| "finished".into());
    if st.deployment.is_none() {
        st.deployment = e.deployment.clone();
    }
    add_detail(st, e.detail.as_deref());
}

fn add_detail(st: &mut Step, more: Option<&str>) {
    let Some(more) = more.map(|m| one_line(m, 300)).filter(|m| !m.is_empty()) else {
        return;
    };
    st.detail = Some(match st.detail.take() {
        Some(d) if d != more => format!("{d}; {more}"),
        _ => more,
    });
}

fn smoke(e: &Entry) -> SmokeRun {
    let detail = e.detail.clone().unwrap_or_default();
    let (cause, summary) = match detail.split_once(": ") {
        Some(("Promotion", rest)) => ("after the promotion", rest),
        Some(("Rollback", rest)) => ("after the rollback", rest),
        Some(("Request", rest)) => ("on request", rest),
        _ => ("", detail.as_str()),
    };
    SmokeRun {
        at: e.at,
        by: e.actor(),
        passed: e.outcome.as_deref() == Some("passed"),
        cause: cause.to_string(),
        summary: one_line(summary, 300),
    }
}

fn detail_or(e: &Entry, default: &str) -> String {
    e.detail
        .as_deref()
        .map(|d| one_line(d, 500))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn approval(e: &Entry) -> String {
    let what = match (&e.env, &e.to) {
        (Some(env), Some(to)) => format!("approved {} onto {env}", short(to)),
        (None, Some(to)) => format!("approved {}", short(to)),
        _ => "approved".to_string(),
    };
    match e.detail.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => format!("{what}: {}", one_line(d, 500)),
        None => what,
    }
}

/// Durations and where each stack ended up.
fn finish(mut s: Stack, live_env: &str) -> StackReport {
    for st in &mut s.steps {
        let from = st.started.unwrap_or(st.requested);
        st.duration_secs = st.finished.map(|f| (f - from).num_seconds().max(0));
    }
    let (outcome, state) = match s.steps.last() {
        None => (StackOutcome::NotPromoted, "not promoted".to_string()),
        Some(st) => {
            let env = st.env.as_deref().unwrap_or(live_env);
            let to = st.to.as_deref().map_or("?", short);
            let from = st.from.as_deref().map_or("?", short);
            let smoke_failed = s.smoke.iter().any(|r| {
                !r.passed
                    && r.cause == "after the promotion"
                    && st.finished.is_some_and(|f| r.at >= f)
            });
            match (st.action.as_str(), st.outcome.as_str()) {
                (_, "in progress") if st.action == "rollback" => {
                    (StackOutcome::InProgress, format!("rolling back on {env}"))
                }
                (_, "in progress") => (StackOutcome::InProgress, format!("moving to {env}")),
                ("rollback", "succeeded") => (
                    StackOutcome::RolledBack,
                    format!("rolled back to {to} on {env}"),
                ),
                ("rollback", o) => (StackOutcome::Failed, format!("rollback {o}")),
                (_, "succeeded") if smoke_failed => (
                    StackOutcome::Failed,
                    format!("{env} runs {to}; its smoke checks failed"),
                ),
                (_, "succeeded") => (StackOutcome::Promoted, format!("{env} runs {to}")),
                (_, "aborted") => (StackOutcome::Aborted, format!("aborted; {env} runs {from}")),
                (_, "refused") => (
                    StackOutcome::Failed,
                    "the platform refused the promotion".to_string(),
                ),
                (_, o) => (StackOutcome::Failed, format!("promotion {o}")),
            }
        }
    };
    StackReport {
        id: s.id,
        name: s.name,
        state,
        outcome,
        steps: s.steps,
        smoke: s.smoke,
        flags: s.flags,
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Override = 0,
    Approval = 1,
    Announcement = 2,
    Refusal = 3,
    Other = 4,
}

#[derive(Default)]
struct Notes {
    lists: [Vec<Note>; 5],
    /// Per kind: notes left out, and when the newest of them was recorded.
    dropped: [(usize, Option<DateTime<Utc>>); 5],
}

impl Notes {
    fn push(&mut self, kind: Kind, e: &Entry, text: String) {
        let k = kind as usize;
        if self.lists[k].len() >= MAX_NOTES {
            self.dropped[k].0 += 1;
            self.dropped[k].1 = Some(e.at);
            return;
        }
        self.lists[k].push(Note {
            at: e.at,
            by: e.actor(),
            stack: e.stack.clone(),
            text,
        });
    }

    /// The lists, each ending with what was left out of it.
    fn into_lists(mut self) -> [Vec<Note>; 5] {
        for (list, (n, newest)) in self.lists.iter_mut().zip(self.dropped) {
            if let (true, Some(at)) = (n > 0, newest) {
                list.push(Note {
                    at,
                    by: String::new(),
                    stack: None,
                    text: format!(
                        "{n} more not listed, the newest at {}",
                        at.format("%H:%M:%S UTC")
                    ),
                });
            }
        }
        self.lists
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
            .single()
            .unwrap()
            + Duration::seconds(secs)
    }

    fn e(secs: i64, action: &str, stack: &str) -> Entry {
        let mut e =
            Entry::new(crate::journal::Act::parse(action).expect("a journal word")).stack(stack);
        e.at = at(secs);
        e.user = "alice".into();
        e.host = "laptop".into();
        e
    }

    fn ctx() -> Context {
        Context {
            service: "belfrage".into(),
            stacks: vec![
                ("www".into(), "WWW".into()),
                ("sally".into(), "Sally".into()),
                ("bruce".into(), "Bruce".into()),
            ],
            live_env: "live".into(),
            journal: "/j.jsonl".into(),
            unreadable: 0,
            generated_at: at(999),
        }
    }

    #[test]
    fn steps_pair_requests_with_their_deployments_and_stacks_end_up_somewhere() {
        let entries = vec![
            e(0, "promote", "www").env("live").versions("a1", "b2"),
            e(1, "deploy_started", "www")
                .deployment("7")
                .versions("a1", "b2"),
            e(40, "deploy_finished", "www")
                .deployment("7")
                .outcome("succeeded"),
            e(45, "smoke", "www")
                .outcome("passed")
                .detail("Promotion: 3/3 passed"),
            e(50, "promote", "sally").env("live").versions("a0", "b2"),
            e(51, "deploy_started", "sally").deployment("8"),
            e(60, "abort", "sally").deployment("8"),
            e(70, "deploy_finished", "sally")
                .deployment("8")
                .outcome("aborted"),
            {
                let mut x = e(80, "override", "sally").detail("friday fix, agreed with Dana");
                x.user = "bob".into();
                x
            },
        ];
        let w = Window {
            version: Some("b2".into()),
            entries,
            describe: "test".into(),
        };
        let r = build(&ctx(), &w, Shipped::NotConfigured);
        let www = &r.stacks[0];
        assert_eq!(www.outcome, StackOutcome::Promoted);
        assert_eq!(www.state, "live runs b2");
        assert_eq!(www.steps.len(), 1);
        assert_eq!(www.steps[0].duration_secs, Some(39));
        assert_eq!(www.steps[0].deployment.as_deref(), Some("7"));
        assert_eq!(www.smoke[0].cause, "after the promotion");
        let sally = &r.stacks[1];
        assert_eq!(sally.outcome, StackOutcome::Aborted);
        assert_eq!(sally.steps[0].aborted_by.as_deref(), Some("alice@laptop"));
        assert_eq!(r.stacks[2].outcome, StackOutcome::NotPromoted);
        assert_eq!(r.overrides.len(), 1);
        assert_eq!(r.overrides[0].text, "friday fix, agreed with Dana");
        assert_eq!(r.people, ["alice@laptop", "bob@laptop"]);
    }

    #[test]
    fn a_failed_smoke_check_after_the_promotion_fails_the_stack() {
        let entries = vec![
            e(0, "promote", "sally").versions("a", "b"),
            e(1, "deploy_started", "sally").deployment("9"),
            e(9, "deploy_finished", "sally")
                .deployment("9")
                .outcome("succeeded"),
            e(12, "smoke", "sally")
                .outcome("failed")
                .detail("Promotion: 2/3 passed; article: 500"),
        ];
        let w = Window {
            version: Some("b".into()),
            entries,
            describe: String::new(),
        };
        let r = build(&ctx(), &w, Shipped::NotConfigured);
        assert_eq!(r.stacks[1].outcome, StackOutcome::Failed);
        assert!(r.stacks[1].state.contains("smoke checks failed"));
    }

    #[test]
    fn a_promotion_out_of_order_is_an_override_listed_once() {
        let promote = e(0, "promote", "sally")
            .versions("a", "b")
            .detail("out of order by override; not live yet: cedric");
        let w = |entries: Vec<Entry>| Window {
            version: Some("b".into()),
            entries,
            describe: String::new(),
        };
        let r = build(&ctx(), &w(vec![promote.clone()]), Shipped::NotConfigured);
        assert_eq!(
            r.overrides[0].text,
            "promoted out of order by override; not live yet: cedric; no reason recorded"
        );
        let reason = e(-30, "override", "sally").detail("cedric is frozen for the match");
        let r = build(&ctx(), &w(vec![reason, promote]), Shipped::NotConfigured);
        assert_eq!(r.overrides.len(), 1);
        assert_eq!(r.overrides[0].text, "cedric is frozen for the match");
    }

    #[test]
    fn a_refusal_storm_is_bounded() {
        let entries: Vec<Entry> = (0..500)
            .map(|i| e(i, "refused", "www").detail("promote: locked"))
            .collect();
        let w = Window {
            version: None,
            entries,
            describe: String::new(),
        };
        let r = build(&ctx(), &w, Shipped::NothingPromoted);
        assert_eq!(r.refusals.len(), MAX_NOTES + 1);
        let last = r
            .refusals
            .last()
            .map(|n| n.text.clone())
            .unwrap_or_default();
        assert!(last.starts_with("450 more not listed"), "{last}");
    }
}
