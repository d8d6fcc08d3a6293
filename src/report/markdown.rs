//! The report as Markdown, to paste into a ticket or a chat thread: a title, one summary
//! line, what shipped, a table per stack that moved, then the overrides, approvals,
//! announcements and refusals. Plain text only (no ANSI); times in UTC, said once.

use chrono::{DateTime, Utc};

use super::{Changes, Note, Report, Shipped, StackOutcome, StackReport, Step, short};

pub fn markdown(r: &Report) -> String {
    let clock = Clock::for_report(r);
    let mut out = String::new();
    let version = r.version.as_deref().map(short);
    match version {
        Some(v) => out.push_str(&format!("# Release report: {} {v}\n\n", r.service)),
        None => out.push_str(&format!("# Release report: {}\n\n", r.service)),
    }
    out.push_str(&summary(r, &clock));
    out.push_str("\n\n## What shipped\n\n");
    out.push_str(&shipped(&r.shipped));
    out.push_str("\n## Stacks\n\n");
    out.push_str(&stacks(&r.stacks, &clock));
    // (heading, what "none" calls them, the notes)
    let lists: [(&str, &str, &[Note]); 5] = [
        ("Overrides", "overrides", &r.overrides),
        ("Approvals", "approvals", &r.approvals),
        ("Announcements", "announcements", &r.announcements),
        ("Refused", "refusals", &r.refusals),
        ("Also recorded", "", &r.other),
    ];
    let mut none = Vec::new();
    for (title, plural, notes) in lists {
        if notes.is_empty() {
            if !plural.is_empty() {
                none.push(plural.to_string());
            }
            continue;
        }
        out.push_str(&format!("## {title}\n\n"));
        for n in notes {
            out.push_str(&note(n, &clock, &r.stacks));
        }
        out.push('\n');
    }
    if !none.is_empty() {
        out.push_str(&format!("No {} recorded.\n\n", join_words(&none, "or")));
    }
    out.push_str(&footer(r));
    out
}

/// Times within one day show as `12:04:31`, the day said once in the summary; a release
/// over several days shows `11-22 12:04` everywhere.
struct Clock {
    same_day: bool,
}

impl Clock {
    fn for_report(r: &Report) -> Clock {
        let same_day = match (r.first, r.last) {
            (Some(a), Some(b)) => a.date_naive() == b.date_naive(),
            _ => true,
        };
        Clock { same_day }
    }

    fn at(&self, t: DateTime<Utc>) -> String {
        if self.same_day {
            t.format("%H:%M:%S").to_string()
        } else {
            t.format("%m-%d %H:%M").to_string()
        }
    }
}

/// `38s`, `2m 13s`, `1h 04m`.
fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60)
    }
}

fn join_words(items: &[String], last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., tail] => format!("{} {last} {tail}", init.join(", ")),
    }
}

fn outcome_words(o: StackOutcome) -> &'static str {
    match o {
        StackOutcome::Promoted => "promoted",
        StackOutcome::RolledBack => "rolled back",
        StackOutcome::Failed => "failed",
        StackOutcome::Aborted => "aborted",
        StackOutcome::InProgress => "in progress",
        StackOutcome::NotPromoted => "not promoted",
    }
}

/// `**belfrage 9be77d1**: WWW promoted · Sally rolled back · Cedric and Bruce not
/// promoted · 14 commits, 2 risky · 2026-11-22 12:01–12:20 UTC (19m) · alice@laptop`
fn summary(r: &Report, clock: &Clock) -> String {
    let mut parts = Vec::new();
    let order = [
        StackOutcome::Promoted,
        StackOutcome::InProgress,
        StackOutcome::RolledBack,
        StackOutcome::Failed,
        StackOutcome::Aborted,
        StackOutcome::NotPromoted,
    ];
    for o in order {
        let names: Vec<String> = r
            .stacks
            .iter()
            .filter(|s| s.outcome == o)
            .map(|s| s.name.clone())
            .collect();
        if !names.is_empty() {
            parts.push(format!(
                "{} {}",
                join_words(&names, "and"),
                outcome_words(o)
            ));
        }
    }
    if let Shipped::Listed(c) = &r.shipped {
        let mut s = format!("{} commit{}", c.count, if c.count == 1 { "" } else { "s" });
        if c.risky > 0 {
            s.push_str(&format!(", {} risky", c.risky));
        }
        parts.push(s);
    }
    if let (Some(a), Some(b)) = (r.first, r.last) {
        let took = duration((b - a).num_seconds());
        parts.push(if clock.same_day {
            format!(
                "{} {}–{} UTC ({took})",
                a.format("%Y-%m-%d"),
                a.format("%H:%M"),
                b.format("%H:%M")
            )
        } else {
            format!(
                "{} – {} UTC ({took})",
                a.format("%Y-%m-%d %H:%M"),
                b.format("%Y-%m-%d %H:%M")
            )
        });
    }
    if !r.people.is_empty() {
        parts.push(format!("by {}", join_words(&r.people, "and")));
    }
    let title = match r.version.as_deref() {
        Some(v) => format!("{} {}", r.service, short(v)),
        None => r.service.clone(),
    };
    format!("**{title}**: {}", parts.join(" · "))
}

fn shipped(s: &Shipped) -> String {
    match s {
        Shipped::NotConfigured => "The repository is not configured (no `[repo]` in the config): the commits are not listed.\n".into(),
        Shipped::Unavailable { reason } => {
            format!("The commits could not be read: {}.\n", cell(reason))
        }
        Shipped::NothingPromoted => "Nothing was promoted.\n".into(),
        Shipped::Listed(c) => changes(c),
    }
}

fn changes(c: &Changes) -> String {
    let mut out = format!(
        "**{} commit{}** from `{}` to `{}`",
        c.count,
        if c.count == 1 { "" } else { "s" },
        short(&c.from),
        short(&c.to)
    );
    if c.risky > 0 {
        let kinds: Vec<String> = c
            .risk_counts
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        out.push_str(&format!(", {} risky ({})", c.risky, kinds.join(", ")));
    }
    out.push('.');
    if !c.prs.is_empty() {
        out.push_str(&format!(" PRs: {}.", c.prs.join(", ")));
    }
    out.push('\n');
    if c.drift {
        out.push_str(
            "\n**Drift:** live had commits that test did not; they are not in this list.\n",
        );
    }
    out.push('\n');
    for commit in &c.commits {
        let mut line = format!("- `{}` {}", commit.short, cell(&commit.subject));
        if let Some(pr) = &commit.pr
            && !commit.subject.contains(pr.as_str())
        {
            line.push_str(&format!(" ({pr})"));
        }
        line.push_str(&format!(" — {}", cell(&commit.author)));
        if !commit.risks.is_empty() {
            line.push_str(&format!(" · **{}**", commit.risks.join(", ")));
        }
        out.push_str(&line);
        out.push('\n');
    }
    if c.more > 0 {
        out.push_str(&format!(
            "- … and {} more (`slipway diff` lists them all)\n",
            c.more
        ));
    }
    for other in &c.other_ranges {
        let count = match other.count {
            Some(n) => format!("{n} of these commits"),
            None => "commits that could not be read".to_string(),
        };
        out.push_str(&format!(
            "\nStacks that ran `{}` shipped {count} (`{}` to `{}`).\n",
            short(&other.from),
            short(&other.from),
            short(&other.to)
        ));
    }
    out
}

fn stacks(stacks: &[StackReport], clock: &Clock) -> String {
    let mut out = String::new();
    let mut idle = Vec::new();
    for s in stacks {
        if s.steps.is_empty() && s.smoke.is_empty() && s.flags.is_empty() {
            idle.push(s.name.clone());
            continue;
        }
        out.push_str(&format!("### {}: {}\n\n", s.name, s.state));
        if !s.steps.is_empty() {
            out.push_str("| Step | Versions | By | Started | Finished | Took | Outcome |\n");
            out.push_str("|---|---|---|---|---|---|---|\n");
            for st in &s.steps {
                out.push_str(&step_row(st, clock));
            }
            out.push('\n');
        }
        for run in &s.smoke {
            let verdict = if run.passed { "passed" } else { "**failed**" };
            let cause = if run.cause.is_empty() {
                String::new()
            } else {
                format!(" {}", run.cause)
            };
            out.push_str(&format!(
                "- Smoke checks{cause}, {}: {verdict}, {} ({})\n",
                clock.at(run.at),
                cell(&run.summary),
                run.by
            ));
        }
        for f in &s.flags {
            // The detail starts with the series and the effect (`errors SPIKE +340% …`):
            // those in bold, the rest as written.
            let what = format!("{} {}", cell(&f.series), f.effect.to_uppercase());
            let detail = f.detail.as_deref().map(cell).unwrap_or_default();
            let rest = detail.strip_prefix(what.as_str()).unwrap_or(&detail).trim();
            let rest = if rest.is_empty() {
                String::new()
            } else {
                format!(" {rest}")
            };
            out.push_str(&format!(
                "- Metric flag, {}: **{what}**{rest} (seen by {})\n",
                clock.at(f.at),
                f.by
            ));
        }
        if s.flags.is_empty() && !s.steps.is_empty() {
            out.push_str("- No metric flag raised.\n");
        }
        out.push('\n');
    }
    if !idle.is_empty() {
        out.push_str(&format!("Not promoted: {}.\n\n", join_words(&idle, "and")));
    }
    out
}

fn step_row(st: &Step, clock: &Clock) -> String {
    let env = st.env.as_deref().unwrap_or("live");
    let what = match st.action.as_str() {
        "promote" => format!("promote to {env}"),
        "rollback" => format!("rollback on {env}"),
        _ => format!("outside slipway on {env}"),
    };
    let versions = match (&st.from, &st.to) {
        (Some(f), Some(t)) => format!("`{}` → `{}`", short(f), short(t)),
        (None, Some(t)) => format!("→ `{}`", short(t)),
        _ => String::new(),
    };
    let mut outcome = st.outcome.clone();
    if let Some(d) = &st.deployment {
        outcome.push_str(&format!(" · #{d}"));
    }
    if let Some(by) = &st.aborted_by {
        outcome.push_str(&format!(" · abort asked by {by}"));
    }
    if let Some(d) = &st.detail {
        outcome.push_str(&format!(" · {d}"));
    }
    format!(
        "| {what} | {versions} | {} | {} | {} | {} | {} |\n",
        cell(&st.by),
        st.started.map(|t| clock.at(t)).unwrap_or_default(),
        st.finished.map(|t| clock.at(t)).unwrap_or_default(),
        st.duration_secs.map(duration).unwrap_or_default(),
        cell(&outcome)
    )
}

fn note(n: &Note, clock: &Clock, stacks: &[StackReport]) -> String {
    let stack = n
        .stack
        .as_deref()
        .map(|id| {
            let name = stacks
                .iter()
                .find(|s| s.id == id)
                .map_or(id, |s| s.name.as_str());
            format!(" · {name}")
        })
        .unwrap_or_default();
    let by = if n.by.is_empty() {
        String::new()
    } else {
        format!(" · {}", n.by)
    };
    format!("- {}{by}{stack}: {}\n", clock.at(n.at), cell(&n.text))
}

fn footer(r: &Report) -> String {
    let mut out = format!(
        "_From the journal `{}`: {} entr{}, {}. Times in UTC. Built by slipway at {}._\n",
        r.journal,
        r.entries,
        if r.entries == 1 { "y" } else { "ies" },
        r.scope,
        r.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    if r.unreadable_lines > 0 {
        out.push_str(&format!(
            "\n_{} line(s) of the journal could not be read and were skipped._\n",
            r.unreadable_lines
        ));
    }
    out
}

/// Text from outside in a line or a table cell: one line, no control characters, and no
/// `|` to break the table.
fn cell(s: &str) -> String {
    crate::text::one_line(s, 500).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration(38), "38s");
        assert_eq!(duration(133), "2m 13s");
        assert_eq!(duration(3840), "1h 04m");
        assert_eq!(
            join_words(&["a".into(), "b".into(), "c".into()], "and"),
            "a, b and c"
        );
    }

    #[test]
    fn outside_text_cannot_break_a_table_or_the_terminal() {
        assert_eq!(cell("a | b\n\x1b[31mc"), "a \\| b c");
    }
}
