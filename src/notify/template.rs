//! Message text from templates (minijinja, Jinja syntax) over the summaries in
//! `summary.rs`. Each message has a built-in default; config may replace any of them.
//!
//! Templates are whitespace-friendly (`trim_blocks` and `lstrip_blocks`: a line holding
//! only a `{% tag %}` leaves no blank line). In `mrkdwn` format every value printed is
//! escaped for Slack (`&`, `<`, `>`), so a commit subject cannot turn into a link or an
//! `@channel` ping; `link(text, url)` writes a real link in either format.

use minijinja::value::{Serde, Value};
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use super::summary::{Completion, DeployInfo, DeployOutcome, ReleaseSummary};
use crate::config::{AnnounceConfig, MessageFormat};
use crate::text::one_line;

/// The announcement: stacks and versions, the commits with authors and PR numbers, and
/// the risk flags. Commits past 30 are counted, not listed, to keep the message readable.
pub const DEFAULT_ANNOUNCEMENT: &str = r#"🚀 *Releasing {{ release }} to live*: {{ commit_count }} commit{{ "s" if commit_count != 1 else "" }}{{ (", " ~ risky_count ~ " risky") if risky_count else "" }}

{% for s in stacks %}
{% if s.live == s.test %}
• *{{ s.name }}*: {{ s.env }} on `{{ s.live }}`{{ (" (shipped, from `" ~ s.shipped_from ~ "`)") if s.shipped_from else "" }}
{% else %}
• *{{ s.name }}*: {{ s.env }} `{{ s.live }}` → `{{ s.test }}` from {{ s.source_env }}{{ " ⚠️ drift" if s.name in drift else "" }}
{% endif %}
{% endfor %}

{% if drift %}
⚠️ *Drift* on {{ drift|join(", ") }}: live has commits that test lacks.
{% endif %}
{% if risk_counts %}
*Risk flags:* {% for flag, n in risk_counts|items %}{{ flag }} ×{{ n }}{{ ", " if not loop.last else "" }}{% endfor %}

{% endif %}
{% if drift or risk_counts %}

{% endif %}
{% if commit_count %}
*Changes:*
{% set shown = commits[:30] %}
{% for c in shown %}
• `{{ c.short }}` {{ c.subject }} — {{ c.author }}{{ (" (#" ~ c.pr ~ ")") if c.pr and ('#' ~ c.pr) not in c.subject else "" }}{% for r in c.risks %} *{{ r|upper }}*{% endfor %}

{% endfor %}
{% if commit_count > shown|length %}
…and {{ commit_count - shown|length }} more
{% endif %}
{% else %}
Nothing to ship: live and test are on the same version.
{% endif %}
"#;

/// A thread reply when a stack's deployment starts.
pub const DEFAULT_DEPLOY_STARTED: &str = "▶️ Deploying *{{ stack_name }}* to live: `{{ from }}` → `{{ to }}` · deployment {{ link(deployment_id, url) }}";

/// A thread reply when a stack's deployment ends.
pub const DEFAULT_DEPLOY_FINISHED: &str = r#"{% if outcome == "succeeded" %}
✅ *{{ stack_name }}* is live on `{{ to }}` (was `{{ from }}`) · deployment {{ link(deployment_id, url) }}
{% else %}
{{ "⛔" if outcome == "aborted" else "❌" }} *{{ stack_name }}* deployment {{ outcome|replace("_", " ") }} (`{{ from }}` → `{{ to }}`) · deployment {{ link(deployment_id, url) }}{% if detail %}: {{ detail }}{% endif %}

{% endif %}
"#;

/// The last message in each thread.
pub const DEFAULT_COMPLETION: &str = r#"{% if all_succeeded %}
✅ *{{ release }}* release complete: {{ stacks|map(attribute="name")|join(", ") }} live on {% for v in versions %}`{{ v }}`{% if not loop.last %}, {% endif %}{% endfor %}.
{% else %}
⚠️ *{{ release }}* release finished with problems:
{% for s in stacks %}
• *{{ s.name }}*: {{ s.outcome|replace("_", " ") }}{{ (" (" ~ s.reason ~ ")") if s.reason else "" }}, live on `{{ s.version }}`
{% endfor %}
{% endif %}
{% if note %}

{{ note }}
{% endif %}
"#;

/// Which template, named by its config key so errors point at the line to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    Announcement,
    DeployStarted,
    DeployFinished,
    Completion,
}

impl TemplateKind {
    pub const ALL: [TemplateKind; 4] = [
        TemplateKind::Announcement,
        TemplateKind::DeployStarted,
        TemplateKind::DeployFinished,
        TemplateKind::Completion,
    ];

    /// The key under `[announce]`.
    pub fn key(self) -> &'static str {
        match self {
            TemplateKind::Announcement => "template",
            TemplateKind::DeployStarted => "deploy_started_template",
            TemplateKind::DeployFinished => "deploy_finished_template",
            TemplateKind::Completion => "completion_template",
        }
    }

    pub fn default_source(self) -> &'static str {
        match self {
            TemplateKind::Announcement => DEFAULT_ANNOUNCEMENT,
            TemplateKind::DeployStarted => DEFAULT_DEPLOY_STARTED,
            TemplateKind::DeployFinished => DEFAULT_DEPLOY_FINISHED,
            TemplateKind::Completion => DEFAULT_COMPLETION,
        }
    }

    fn configured(self, cfg: &AnnounceConfig) -> Option<&str> {
        match self {
            TemplateKind::Announcement => cfg.template.as_deref(),
            TemplateKind::DeployStarted => cfg.deploy_started_template.as_deref(),
            TemplateKind::DeployFinished => cfg.deploy_finished_template.as_deref(),
            TemplateKind::Completion => cfg.completion_template.as_deref(),
        }
    }
}

/// A template that does not compile or render, named by its config key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("announce.{}: {message}", kind.key())]
pub struct TemplateError {
    pub kind: TemplateKind,
    /// Line within the template, when the engine knows it.
    pub line: Option<usize>,
    pub message: String,
}

impl TemplateError {
    /// The dotted config key (`announce.template`).
    pub fn key(&self) -> String {
        format!("announce.{}", self.kind.key())
    }

    fn new(kind: TemplateKind, doing: &str, e: &minijinja::Error) -> TemplateError {
        let what = match e.detail() {
            Some(detail) => format!("{}: {detail}", e.kind()),
            None => e.kind().to_string(),
        };
        let at = e
            .line()
            .map(|l| format!(" at line {l} of the template"))
            .unwrap_or_default();
        TemplateError {
            kind,
            line: e.line(),
            message: format!("{doing}: {what}{at}"),
        }
    }
}

/// The four compiled templates and the format they write.
pub struct Templates {
    env: Environment<'static>,
    format: MessageFormat,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Templates {
    /// The built-in defaults.
    pub fn defaults(format: MessageFormat) -> Templates {
        match Templates::build(format, |_| None) {
            Ok(t) => t,
            // The defaults are compiled in every test run; this arm cannot be reached
            // by anything a user writes.
            Err(e) => unreachable!("a built-in template does not compile: {e}"),
        }
    }

    /// The configured templates, defaults where none is given.
    pub fn from_config(cfg: &AnnounceConfig) -> Result<Templates, TemplateError> {
        Templates::build(cfg.format(), |kind| kind.configured(cfg))
    }

    fn build<'a>(
        format: MessageFormat,
        source: impl Fn(TemplateKind) -> Option<&'a str>,
    ) -> Result<Templates, TemplateError> {
        let mut env = Environment::new();
        // SemiStrict: `{{ typo }}` is an error (caught by `check`), `{% if typo %}` is not.
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        let mut syntax = minijinja::syntax::SyntaxConfig::builder();
        syntax.trim_blocks(true).lstrip_blocks(true);
        if let Ok(syntax) = syntax.build() {
            env.set_syntax(syntax);
        }
        let mrkdwn = format == MessageFormat::Mrkdwn;
        env.set_formatter(move |out, _state, value| {
            // None and undefined print as nothing (Jinja would print "none").
            if value.is_none() || value.is_undefined() {
                return Ok(());
            }
            let text = value.to_string();
            if mrkdwn && !value.is_safe() {
                out.write_str(&escape_mrkdwn(&text))?;
            } else {
                out.write_str(&text)?;
            }
            Ok(())
        });
        env.add_function("link", move |text: Value, url: Option<String>| {
            link(mrkdwn, &text.to_string(), url.as_deref())
        });
        for kind in TemplateKind::ALL {
            let text = source(kind).unwrap_or(kind.default_source());
            env.add_template_owned(kind.key(), text.to_string())
                .map_err(|e| TemplateError::new(kind, "does not compile", &e))?;
        }
        Ok(Templates { env, format })
    }

    pub fn format(&self) -> MessageFormat {
        self.format
    }

    fn render(&self, kind: TemplateKind, ctx: Value) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template(kind.key())
            .map_err(|e| TemplateError::new(kind, "is missing", &e))?;
        let text = template
            .render(ctx)
            .map_err(|e| TemplateError::new(kind, "cannot be rendered", &e))?;
        Ok(text.trim().to_string())
    }

    pub fn render_announcement(&self, summary: &ReleaseSummary) -> Result<String, TemplateError> {
        self.render(
            TemplateKind::Announcement,
            Value::from(Serde(sanitised_summary(summary))),
        )
    }

    pub fn render_deploy_started(&self, deploy: &DeployInfo) -> Result<String, TemplateError> {
        self.render(
            TemplateKind::DeployStarted,
            Value::from(Serde(DeployContext::new(deploy, None, None))),
        )
    }

    pub fn render_deploy_finished(
        &self,
        deploy: &DeployInfo,
        outcome: DeployOutcome,
        detail: Option<&str>,
    ) -> Result<String, TemplateError> {
        self.render(
            TemplateKind::DeployFinished,
            Value::from(Serde(DeployContext::new(deploy, Some(outcome), detail))),
        )
    }

    pub fn render_completion(&self, completion: &Completion) -> Result<String, TemplateError> {
        self.render(
            TemplateKind::Completion,
            Value::from(Serde(CompletionContext::new(completion))),
        )
    }
}

impl TemplateKind {
    /// The names a template of this kind may use at its top level (`stack_name`,
    /// `commits`…), read from the example data it is checked against.
    pub fn variables(self) -> Vec<String> {
        let value = match self {
            TemplateKind::Announcement => {
                serde_json::to_value(sanitised_summary(&ReleaseSummary::example()))
            }
            TemplateKind::DeployStarted | TemplateKind::DeployFinished => serde_json::to_value(
                DeployContext::new(&DeployInfo::example(), Some(DeployOutcome::Succeeded), None),
            ),
            TemplateKind::Completion => {
                serde_json::to_value(CompletionContext::new(&Completion::example()))
            }
        };
        match value {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The configured source of this template, if any.
    pub fn source(self, cfg: &AnnounceConfig) -> Option<&str> {
        self.configured(cfg)
    }
}

/// Compiles the configured templates and renders each over the example data, so that
/// `check-config` reports a bad template (syntax, unknown filter, misspelt field) with
/// its key before a release depends on it.
pub fn check(cfg: &AnnounceConfig) -> Result<(), TemplateError> {
    let t = Templates::from_config(cfg)?;
    t.render_announcement(&ReleaseSummary::example())?;
    t.render_announcement(&ReleaseSummary {
        release: "belfrage".into(),
        ..ReleaseSummary::default()
    })?;
    let deploy = DeployInfo::example();
    t.render_deploy_started(&deploy)?;
    let no_link = DeployInfo {
        url: None,
        ..deploy.clone()
    };
    t.render_deploy_started(&no_link)?;
    t.render_deploy_finished(&deploy, DeployOutcome::Succeeded, None)?;
    t.render_deploy_finished(&no_link, DeployOutcome::Failed, Some("health check failed"))?;
    let mut completion = Completion::example();
    t.render_completion(&completion)?;
    if let Some(last) = completion.stacks.last_mut() {
        last.outcome = DeployOutcome::RolledBack;
    }
    completion.note = Some("Bruce rolled back; investigating.".into());
    t.render_completion(&completion)?;
    Ok(())
}

/// Slack's three control characters in text; everything else is literal.
pub fn escape_mrkdwn(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// `<url|text>` in mrkdwn, `text (url)` in plain; just the text without a usable URL.
fn link(mrkdwn: bool, text: &str, url: Option<&str>) -> Value {
    let url = url
        .map(str::trim)
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .filter(|u| !u.chars().any(|c| c.is_whitespace() || c.is_control()));
    let text = one_line(text, 200);
    let out = match (url, mrkdwn) {
        (Some(u), true) => format!(
            "<{}|{}>",
            escape_mrkdwn(u),
            escape_mrkdwn(&text).replace('|', "¦")
        ),
        (Some(u), false) => format!("{text} ({u})"),
        (None, true) => escape_mrkdwn(&text),
        (None, false) => text,
    };
    Value::from_safe_string(out)
}

/// Text from outside (commit subjects, author names, platform messages) made one line and
/// bounded, so a pasted stack trace cannot swamp the channel.
fn clean(s: &str, max: usize) -> String {
    one_line(s, max)
}

fn sanitised_summary(s: &ReleaseSummary) -> ReleaseSummary {
    use super::summary::{CommitLine, StackLine};
    ReleaseSummary {
        release: clean(&s.release, 80),
        stacks: s
            .stacks
            .iter()
            .map(|st| StackLine {
                id: clean(&st.id, 80),
                name: clean(&st.name, 80),
                live: clean(&st.live, 40),
                test: clean(&st.test, 40),
                env: clean(&st.env, 40),
                source_env: clean(&st.source_env, 40),
                shipped_from: st.shipped_from.as_deref().map(|f| clean(f, 40)),
            })
            .collect(),
        commits: s
            .commits
            .iter()
            .map(|c| CommitLine {
                short: clean(&c.short, 40),
                subject: clean(&c.subject, 200),
                author: clean(&c.author, 80),
                pr: c.pr,
                risks: c.risks.iter().map(|r| clean(r, 40)).collect(),
            })
            .collect(),
        commit_count: s.commit_count,
        risky_count: s.risky_count,
        risk_counts: s
            .risk_counts
            .iter()
            .map(|(k, v)| (clean(k, 40), *v))
            .collect(),
        drift: s.drift.iter().map(|d| clean(d, 80)).collect(),
    }
}

#[derive(Serialize)]
struct DeployContext {
    release: String,
    stack_id: String,
    stack_name: String,
    from: String,
    to: String,
    deployment_id: String,
    url: Option<String>,
    /// `succeeded`, `failed`, `aborted`, `rolled_back`; none when starting.
    outcome: Option<&'static str>,
    detail: Option<String>,
}

impl DeployContext {
    fn new(d: &DeployInfo, outcome: Option<DeployOutcome>, detail: Option<&str>) -> Self {
        DeployContext {
            release: clean(&d.release, 80),
            stack_id: clean(&d.stack_id, 80),
            stack_name: clean(&d.stack_name, 80),
            from: clean(&d.from, 40),
            to: clean(&d.to, 40),
            deployment_id: clean(&d.deployment_id, 80),
            url: d.url.clone(),
            outcome: outcome.map(DeployOutcome::as_str),
            detail: detail.map(|t| clean(t, 300)).filter(|t| !t.is_empty()),
        }
    }
}

#[derive(Serialize)]
struct CompletionContext {
    release: String,
    stacks: Vec<super::summary::StackResult>,
    note: Option<String>,
    all_succeeded: bool,
    /// The distinct versions live is on now, in stack order.
    versions: Vec<String>,
}

impl CompletionContext {
    fn new(c: &Completion) -> Self {
        let stacks: Vec<_> = c
            .stacks
            .iter()
            .map(|s| super::summary::StackResult {
                id: clean(&s.id, 80),
                name: clean(&s.name, 80),
                version: clean(&s.version, 40),
                outcome: s.outcome,
                reason: s.reason.as_deref().map(|r| clean(r, 200)),
            })
            .collect();
        let mut versions: Vec<String> = Vec::new();
        for s in &stacks {
            if !versions.contains(&s.version) {
                versions.push(s.version.clone());
            }
        }
        CompletionContext {
            release: clean(&c.release, 80),
            all_succeeded: !stacks.is_empty()
                && stacks.iter().all(|s| s.outcome == DeployOutcome::Succeeded),
            stacks,
            // The operator's note may span lines; only control characters go.
            note: c
                .note
                .as_deref()
                .map(|n| {
                    n.lines()
                        .map(|l| clean(l, 500))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .filter(|n| !n.trim().is_empty()),
            versions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mrkdwn() -> Templates {
        Templates::defaults(MessageFormat::Mrkdwn)
    }

    #[test]
    fn default_announcement_reads_well() {
        let text = mrkdwn()
            .render_announcement(&ReleaseSummary::example())
            .unwrap();
        insta::assert_snapshot!(text);
    }

    #[test]
    fn default_announcement_in_plain_format_does_not_escape() {
        let text = Templates::defaults(MessageFormat::Plain)
            .render_announcement(&ReleaseSummary::example())
            .unwrap();
        assert!(
            text.contains("Fix cache key for <personalised> pages"),
            "{text}"
        );
        assert!(text.contains("HTTP client & TLS"), "{text}");
    }

    #[test]
    fn values_are_escaped_for_slack_so_subjects_cannot_ping_or_link() {
        let mut s = ReleaseSummary::example();
        s.commits[0].subject = "Say hi <!channel> & <https://evil.example|click>".into();
        let text = mrkdwn().render_announcement(&s).unwrap();
        assert!(
            text.contains("Say hi &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"),
            "{text}"
        );
        assert!(!text.contains("<!channel>"), "{text}");
    }

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let mut s = ReleaseSummary::example();
        let c = s.commits[0].clone();
        s.commits = (0..45)
            .map(|i| CommitLine {
                short: format!("{i:07x}"),
                ..c.clone()
            })
            .collect();
        s.commit_count = 50;
        let text = mrkdwn().render_announcement(&s).unwrap();
        assert_eq!(text.matches("Fix cache key").count(), 30, "{text}");
        assert!(text.contains("…and 20 more"), "{text}");
    }

    use super::super::summary::CommitLine;

    #[test]
    fn nothing_to_ship_is_said_plainly() {
        let s = ReleaseSummary {
            release: "belfrage".into(),
            ..ReleaseSummary::default()
        };
        let text = mrkdwn().render_announcement(&s).unwrap();
        assert!(text.contains("0 commits"), "{text}");
        assert!(text.contains("Nothing to ship"), "{text}");
    }

    #[test]
    fn deploy_replies_link_the_deployment() {
        let t = mrkdwn();
        let d = DeployInfo::example();
        insta::assert_snapshot!(t.render_deploy_started(&d).unwrap(), @"▶️ Deploying *Sally* to live: `3f2a1c0` → `9be77d4` · deployment <https://deploy.example.internal/deployments/5639226|5639226>");
        insta::assert_snapshot!(t.render_deploy_finished(&d, DeployOutcome::Succeeded, None).unwrap(), @"✅ *Sally* is live on `9be77d4` (was `3f2a1c0`) · deployment <https://deploy.example.internal/deployments/5639226|5639226>");
        let no_link = DeployInfo { url: None, ..d };
        insta::assert_snapshot!(
            t.render_deploy_finished(&no_link, DeployOutcome::Failed, Some("2 of 6 instances\nunhealthy")).unwrap(),
            @"❌ *Sally* deployment failed (`3f2a1c0` → `9be77d4`) · deployment 5639226: 2 of 6 instances unhealthy"
        );
    }

    #[test]
    fn plain_links_show_the_url() {
        let t = Templates::defaults(MessageFormat::Plain);
        let text = t.render_deploy_started(&DeployInfo::example()).unwrap();
        assert!(
            text.ends_with(
                "deployment 5639226 (https://deploy.example.internal/deployments/5639226)"
            ),
            "{text}"
        );
    }

    #[test]
    fn completion_lists_problems_only_when_there_are_some() {
        let t = mrkdwn();
        let mut c = Completion::example();
        insta::assert_snapshot!(t.render_completion(&c).unwrap(), @"✅ *belfrage* release complete: WWW, Cedric, Sally, Bruce live on `9be77d4`.");
        c.stacks[3].outcome = DeployOutcome::RolledBack;
        c.stacks[3].version = "3f2a1c0".into();
        c.note = Some("Investigating Bruce's errors.".into());
        insta::assert_snapshot!(t.render_completion(&c).unwrap());
    }

    #[test]
    fn broken_template_names_its_key_and_line() {
        let cfg = AnnounceConfig {
            template: Some("Release {{ release }}\n{% for c in commits %}\n{{ c.subject \n".into()),
            ..slack_config()
        };
        let e = Templates::from_config(&cfg).unwrap_err();
        assert_eq!(e.key(), "announce.template");
        let shown = e.to_string();
        assert!(
            shown.starts_with("announce.template: does not compile: syntax error"),
            "{shown}"
        );
        assert!(shown.contains("line 3"), "{shown}");
    }

    #[test]
    fn misspelt_field_is_caught_by_check() {
        let cfg = AnnounceConfig {
            deploy_started_template: Some("Deploying {{ stack_nmae }}".into()),
            ..slack_config()
        };
        let e = check(&cfg).unwrap_err();
        assert_eq!(e.key(), "announce.deploy_started_template");
        assert!(
            e.message.contains("cannot be rendered: undefined value"),
            "{e}"
        );
    }

    #[test]
    fn unknown_filter_is_caught_by_check() {
        let cfg = AnnounceConfig {
            completion_template: Some("{{ release|shout }}".into()),
            ..slack_config()
        };
        let e = check(&cfg).unwrap_err();
        assert_eq!(e.key(), "announce.completion_template");
        assert!(e.message.contains("shout"), "{e}");
    }

    #[test]
    fn defaults_pass_the_check() {
        check(&slack_config()).unwrap();
    }

    fn slack_config() -> AnnounceConfig {
        toml::from_str(
            "kind = \"slack\"\nchannels = [\"#belfrage\"]\ntoken_env = \"SLACK_BOT_TOKEN\"\n",
        )
        .unwrap()
    }
}
