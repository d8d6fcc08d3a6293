//! The demo's text material (commit subjects, deploy output, log lines), compiled into the
//! binary with `include_str!` so `slipway demo` works from any directory, and parsed here
//! once at start-up. A malformed asset is a build mistake caught by the unit tests below,
//! but it is still reported as an error rather than a panic.

use anyhow::{Context, bail};

const COMMITS: &str = include_str!("../../assets/demo/commits.txt");
const DEPLOY_STEPS: &str = include_str!("../../assets/demo/deploy_steps.txt");
const LOG_LINES: &str = include_str!("../../assets/demo/log_lines.txt");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub email: String,
    pub login: String,
}

/// Which files a pull request touches; the last three are what a release engineer
/// looks out for (schema changes, production config, dependency bumps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    Code,
    Test,
    Docs,
    Ci,
    Config,
    Deps,
    Migration,
}

impl ChangeKind {
    pub fn is_risky(self) -> bool {
        matches!(
            self,
            ChangeKind::Config | ChangeKind::Deps | ChangeKind::Migration
        )
    }

    fn parse(word: &str) -> Option<ChangeKind> {
        Some(match word {
            "code" => ChangeKind::Code,
            "test" => ChangeKind::Test,
            "docs" => ChangeKind::Docs,
            "ci" => ChangeKind::Ci,
            "config" => ChangeKind::Config,
            "deps" => ChangeKind::Deps,
            "migration" => ChangeKind::Migration,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub kind: ChangeKind,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct CommitMaterial {
    pub authors: Vec<Author>,
    pub subjects: Vec<Subject>,
    pub followups: Vec<String>,
}

/// Lines that are neither blank nor comments, with their section (`[name]`).
fn sections(text: &str) -> Vec<(String, usize, &str)> {
    let mut out = Vec::new();
    let mut section = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            section = line[1..line.len() - 1].to_string();
            continue;
        }
        out.push((section.clone(), n + 1, line));
    }
    out
}

pub fn commit_material() -> anyhow::Result<CommitMaterial> {
    let mut m = CommitMaterial {
        authors: Vec::new(),
        subjects: Vec::new(),
        followups: Vec::new(),
    };
    for (section, n, line) in sections(COMMITS) {
        let at = || format!("assets/demo/commits.txt:{n}");
        match section.as_str() {
            "authors" => {
                let (name, rest) = line.split_once('<').with_context(at)?;
                let (email, login) = rest.split_once('>').with_context(at)?;
                m.authors.push(Author {
                    name: name.trim().to_string(),
                    email: email.trim().to_string(),
                    login: login.trim().to_string(),
                });
            }
            "subjects" => {
                let (kind, text) = line.split_once(':').with_context(at)?;
                let kind = ChangeKind::parse(kind.trim())
                    .with_context(|| format!("{}: unknown kind '{}'", at(), kind.trim()))?;
                m.subjects.push(Subject {
                    kind,
                    text: text.trim().to_string(),
                });
            }
            "followups" => m.followups.push(line.trim().to_string()),
            other => bail!("{}: unknown section [{other}]", at()),
        }
    }
    if m.authors.len() < 2 || m.subjects.is_empty() || m.followups.is_empty() {
        bail!("assets/demo/commits.txt needs authors, subjects and followups");
    }
    for kind in [ChangeKind::Config, ChangeKind::Deps, ChangeKind::Migration] {
        if !m.subjects.iter().any(|s| s.kind == kind) {
            bail!("assets/demo/commits.txt needs at least one {kind:?} subject");
        }
    }
    Ok(m)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// The deployment is still waiting for a slot (state `queued`).
    Queued,
    Step,
    /// Repeated for each instance of the target environment.
    EachInstance,
}

#[derive(Debug, Clone)]
pub struct StepTemplate {
    pub kind: StepKind,
    /// The status message while this step runs (may hold placeholders).
    pub message: String,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct DeployScript {
    pub steps: Vec<StepTemplate>,
    pub success: Vec<String>,
    pub aborted: Vec<String>,
}

pub fn deploy_script() -> anyhow::Result<DeployScript> {
    let mut script = DeployScript {
        steps: Vec::new(),
        success: Vec::new(),
        aborted: Vec::new(),
    };
    // Which list the lines that follow a header belong to.
    enum Target {
        None,
        Step,
        Success,
        Aborted,
    }
    let mut target = Target::None;
    for (n, raw) in DEPLOY_STEPS.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix("==[") {
            let (kind, message) = header
                .split_once(']')
                .with_context(|| format!("assets/demo/deploy_steps.txt:{}: bad header", n + 1))?;
            let message = message.trim().to_string();
            target = match kind {
                "queued" | "step" | "each" => {
                    let kind = match kind {
                        "queued" => StepKind::Queued,
                        "each" => StepKind::EachInstance,
                        _ => StepKind::Step,
                    };
                    script.steps.push(StepTemplate {
                        kind,
                        message,
                        lines: Vec::new(),
                    });
                    Target::Step
                }
                "success" => Target::Success,
                "aborted" => Target::Aborted,
                other => bail!(
                    "assets/demo/deploy_steps.txt:{}: unknown block kind '{other}'",
                    n + 1
                ),
            };
            continue;
        }
        let line = line.to_string();
        match target {
            Target::Step => {
                if let Some(step) = script.steps.last_mut() {
                    step.lines.push(line);
                }
            }
            Target::Success => script.success.push(line),
            Target::Aborted => script.aborted.push(line),
            Target::None => bail!(
                "assets/demo/deploy_steps.txt:{}: output line before any ==[...] header",
                n + 1
            ),
        }
    }
    if script.steps.is_empty() || script.success.is_empty() || script.aborted.is_empty() {
        bail!("assets/demo/deploy_steps.txt needs steps, a success and an aborted block");
    }
    Ok(script)
}

#[derive(Debug, Clone)]
pub struct LogTemplates {
    pub request: Vec<(u32, String)>,
    pub warn: Vec<(u32, String)>,
    pub error: Vec<(u32, String)>,
    pub startup: Vec<String>,
}

pub fn log_templates() -> anyhow::Result<LogTemplates> {
    let mut t = LogTemplates {
        request: Vec::new(),
        warn: Vec::new(),
        error: Vec::new(),
        startup: Vec::new(),
    };
    for (section, n, line) in sections(LOG_LINES) {
        let at = || format!("assets/demo/log_lines.txt:{n}");
        if section == "startup" {
            t.startup.push(line.to_string());
            continue;
        }
        let (weight, template) = line.split_once(" | ").with_context(at)?;
        let weight: u32 = weight
            .trim()
            .parse()
            .with_context(|| format!("{}: weight is not a number", at()))?;
        let entry = (weight, template.to_string());
        match section.as_str() {
            "request" => t.request.push(entry),
            "warn" => t.warn.push(entry),
            "error" => t.error.push(entry),
            other => bail!("{}: unknown section [{other}]", at()),
        }
    }
    if t.request.is_empty() || t.warn.is_empty() || t.error.is_empty() || t.startup.is_empty() {
        bail!("assets/demo/log_lines.txt needs request, warn, error and startup sections");
    }
    Ok(t)
}

/// Picks an entry by weight with the caller's generator (deterministic when seeded).
pub fn pick_weighted<'a>(rng: &mut fastrand::Rng, entries: &'a [(u32, String)]) -> &'a str {
    let total: u32 = entries.iter().map(|(w, _)| *w).sum();
    let mut roll = rng.u32(0..total.max(1));
    for (w, t) in entries {
        if roll < *w {
            return t;
        }
        roll -= w;
    }
    entries.last().map_or("", |(_, t)| t.as_str())
}

/// Substitutes `{name}` placeholders that `value` knows; anything else in braces (JSON,
/// Elixir maps) is kept as written. Colour names become raw ANSI SGR sequences and
/// `{progress:LABEL}` a `\r`-rewritten progress line, because that is what real deploy
/// terminals send and what slipway must cope with.
pub fn render(template: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == ' '))
            .unwrap_or(after.len());
        let closes = after[name_len..].starts_with('}');
        let name = &after[..name_len];
        let replacement = if closes && !name.is_empty() {
            builtin(name).or_else(|| value(name))
        } else {
            None
        };
        match replacement {
            Some(r) => {
                out.push_str(&r);
                rest = &after[name_len + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn builtin(name: &str) -> Option<String> {
    let sgr = |code: &str| Some(format!("\u{1b}[{code}m"));
    match name {
        "green" => sgr("32"),
        "yellow" => sgr("33"),
        "red" => sgr("31"),
        "bold" => sgr("1"),
        "reset" => sgr("0"),
        _ => name.strip_prefix("progress:").map(progress_line),
    }
}

/// `Downloading artefact   0%\rDownloading artefact  12%\r…100%` in one line.
fn progress_line(label: &str) -> String {
    [0, 7, 12, 26, 45, 63, 81, 94, 100]
        .iter()
        .map(|p| format!("{label} {p:>3}%"))
        .collect::<Vec<_>>()
        .join("\r")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_assets_parse() {
        let m = commit_material().unwrap();
        assert!(m.subjects.len() >= 140, "{} subjects", m.subjects.len());
        assert!(m.authors.len() >= 6);
        let s = deploy_script().unwrap();
        assert!(s.steps.iter().any(|s| s.kind == StepKind::EachInstance));
        assert_eq!(s.steps[0].kind, StepKind::Queued);
        let l = log_templates().unwrap();
        assert!(l.error.iter().any(|(_, t)| t.starts_with("{\"time\"")));
    }

    #[test]
    fn render_substitutes_known_names_and_keeps_json() {
        let v = |n: &str| (n == "id").then(|| "42".to_string());
        assert_eq!(
            render("{\"id\":{id},\"x\":{unknown}} {green}OK{reset}", &v),
            "{\"id\":42,\"x\":{unknown}} \u{1b}[32mOK\u{1b}[0m"
        );
        let p = render("{progress:Downloading}", &v);
        assert!(p.starts_with("Downloading   0%\r"));
        assert!(p.ends_with("Downloading 100%"));
        assert_eq!(render("{", &v), "{");
        assert_eq!(render("a{b", &v), "a{b");
    }

    #[test]
    fn weighted_pick_covers_every_entry() {
        let entries = vec![(1, "a".to_string()), (3, "b".to_string())];
        let mut rng = fastrand::Rng::with_seed(1);
        let picks: Vec<&str> = (0..200)
            .map(|_| pick_weighted(&mut rng, &entries))
            .collect();
        assert!(picks.contains(&"a") && picks.contains(&"b"));
    }
}
