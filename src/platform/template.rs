//! Command templates: how a platform that runs programs (`command`, the `GitOps` platform's
//! rollout check) turns a line of config into the exact argv it executes.
//!
//! A template is written in config in one of three shapes ([`TemplateSpec`]):
//!
//! - a TOML array of arguments: `["kubectl", "rollout", "undo", "deploy/{stack}"]`;
//! - a string, split into arguments the way a POSIX shell would split it (quotes,
//!   backslashes), *without* running a shell. An unquoted `&&` separates steps run one
//!   after another; any other shell syntax (`|`, `;`, `>`, `$`, backticks…) is refused at
//!   load, because without a shell it would silently mean something else;
//! - an array holding arrays (and strings): several steps, each one command.
//!
//! Placeholders (`{stack}`, `{version}`…) are substituted *inside* each argument after the
//! split and never re-split, so a value holding spaces, quotes, `;` or `$(…)` reaches the
//! program as exactly one argument. Which placeholders a template may use is decided by
//! the caller; any other `{word}` is a config error. `{{` and `}}` are literal braces
//! (`jsonpath={{.spec.replicas}}`), and a lone brace is an error, so a template never
//! means something other than what it looks like.
//!
//! With `shell = true` a string template is a script run as `sh -c SCRIPT`: placeholders
//! are replaced by shell-quoted values, and must therefore stand outside quotes in the
//! script (inside `"…"` a value holding `$(…)` would run). Every rendered command also
//! carries the values as `SLIPWAY_<NAME>` environment variables.

use std::borrow::Cow;
use std::fmt;

use crate::feeds::logs::template::shell_quote;

pub use crate::config::{StepSpec, TemplateSpec};

/// A parsed template: one or more steps, run in order by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTemplate {
    steps: Vec<Step>,
}

/// A command ready to run: no shell involved unless `program` is `sh` by the user's choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedCommand {
    pub program: String,
    pub args: Vec<String>,
    /// `SLIPWAY_STACK=www`…: the template's values, for scripts that prefer variables.
    pub env: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// Program and arguments, each with its placeholders.
    Argv(Vec<Arg>),
    /// `sh -c SCRIPT`, placeholders shell-quoted.
    Script(Arg),
}

/// One argument (or a whole script): literal text and placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Arg(Vec<Piece>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(String),
}

impl CommandTemplate {
    /// Parses a template from config. `allowed` lists the placeholder names this template
    /// may use (without braces); `shell` is the platform's `shell = true` opt-in. The
    /// error is a sentence for the user, to be prefixed with the config key.
    pub fn parse(spec: &TemplateSpec, shell: bool, allowed: &[&str]) -> Result<Self, String> {
        let steps = match (spec, shell) {
            (TemplateSpec::Line(line), false) => split_line(line)?
                .into_iter()
                .map(|words| argv_step(&words, allowed))
                .collect::<Result<Vec<_>, _>>()?,
            (TemplateSpec::Line(script), true) => vec![script_step(script, allowed)?],
            (TemplateSpec::Argv(words), false) => vec![argv_step(words, allowed)?],
            (TemplateSpec::Steps(steps), false) => steps
                .iter()
                .map(|step| match step {
                    StepSpec::Argv(words) => argv_step(words, allowed),
                    StepSpec::Line(line) => {
                        let mut parts = split_line(line)?;
                        if parts.len() != 1 {
                            return Err(
                                "a step in a list of steps is one command: write '&&' steps as separate list items"
                                    .into(),
                            );
                        }
                        argv_step(&parts.remove(0), allowed)
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
            (TemplateSpec::Argv(_) | TemplateSpec::Steps(_), true) => {
                return Err(
                    "with shell = true write the command as one string (a script for sh -c)"
                        .into(),
                );
            }
        };
        if steps.is_empty() {
            return Err("the command is empty".into());
        }
        Ok(CommandTemplate { steps })
    }

    /// The commands to run, in order, with `vars` (`("stack", "www")`…) substituted. A
    /// placeholder missing from `vars` becomes empty text.
    pub fn render(&self, vars: &[(&str, &str)]) -> Vec<RenderedCommand> {
        let env: Vec<(String, String)> = vars
            .iter()
            .map(|(name, value)| {
                (
                    format!("SLIPWAY_{}", name.to_ascii_uppercase()),
                    value.to_string(),
                )
            })
            .collect();
        self.steps
            .iter()
            .map(|step| match step {
                Step::Argv(args) => {
                    let mut words = args.iter().map(|a| a.render(vars, false));
                    RenderedCommand {
                        program: words.next().unwrap_or_default(),
                        args: words.collect(),
                        env: env.clone(),
                    }
                }
                Step::Script(script) => RenderedCommand {
                    program: "sh".into(),
                    args: vec!["-c".into(), script.render(vars, true)],
                    env: env.clone(),
                },
            })
            .collect()
    }

    /// The program of the first step (`kubectl`), for messages such as `command kubectl`;
    /// for a shell script, its first word (`helm` in `helm list … | jq …`).
    pub fn program(&self) -> String {
        match self.steps.first() {
            Some(Step::Argv(args)) => args
                .first()
                .map(|a| a.render(&[], false))
                .unwrap_or_default(),
            Some(Step::Script(script)) => script
                .render(&[], false)
                .split_whitespace()
                .next()
                .unwrap_or("sh")
                .to_string(),
            None => "sh".into(),
        }
    }

    /// How many commands run, one after another.
    pub fn steps(&self) -> usize {
        self.steps.len()
    }

    /// Whether any step uses `{name}`.
    pub fn uses(&self, name: &str) -> bool {
        let in_arg = |a: &Arg| a.0.iter().any(|p| matches!(p, Piece::Var(v) if v == name));
        self.steps.iter().any(|s| match s {
            Step::Argv(args) => args.iter().any(in_arg),
            Step::Script(script) => in_arg(script),
        })
    }
}

impl RenderedCommand {
    /// The exact command line, each word shell-quoted where needed, so that pasting it
    /// into a shell runs the very same argv (the environment variables are not shown).
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|w| shell_quote(w))
            .collect::<Vec<Cow<'_, str>>>()
            .join(" ")
    }

    /// A short name for messages: the program and its first argument (`kubectl get`).
    pub fn short(&self) -> String {
        let name = self.program.rsplit('/').next().unwrap_or(&self.program);
        match self.args.first() {
            Some(first) if self.program != "sh" && !first.starts_with('-') => {
                crate::text::one_line(&format!("{name} {first}"), 60)
            }
            _ => crate::text::one_line(name, 60),
        }
    }
}

impl fmt::Display for RenderedCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl Arg {
    fn render(&self, vars: &[(&str, &str)], quote: bool) -> String {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map_or(String::new(), |(_, v)| v.to_string())
        };
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(name) if quote => out.push_str(&shell_quote(&lookup(name))),
                Piece::Var(name) => out.push_str(&lookup(name)),
            }
        }
        out
    }
}

fn argv_step(words: &[String], allowed: &[&str]) -> Result<Step, String> {
    let first = words.first().ok_or("the command is empty")?;
    if first.trim().is_empty() {
        return Err("the program to run is empty".into());
    }
    let args = words
        .iter()
        .map(|w| pieces(w, allowed, None))
        .collect::<Result<Vec<_>, _>>()?;
    if matches!(args[0].0.first(), Some(Piece::Var(_))) {
        return Err("the program must be written out, not a placeholder".into());
    }
    Ok(Step::Argv(args))
}

fn script_step(script: &str, allowed: &[&str]) -> Result<Step, String> {
    if script.trim().is_empty() {
        return Err("the command is empty".into());
    }
    let quoted = quoted_bytes(script)?;
    Ok(Step::Script(pieces(script, allowed, Some(&quoted))?))
}

/// Splits text into literal pieces and placeholders. With `quoted` (shell scripts), a
/// placeholder inside quotes is refused: its shell-quoted value would be quoted twice.
fn pieces(text: &str, allowed: &[&str], quoted: Option<&[bool]>) -> Result<Arg, String> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                literal.push('{');
                i += 2;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                literal.push('}');
                i += 2;
            }
            b'{' => {
                let rest = &text[i + 1..];
                let name = rest
                    .find('}')
                    .map(|close| &rest[..close])
                    .filter(|n| is_name(n))
                    .ok_or_else(|| {
                        format!(
                            "a lone '{{' in '{}': write '{{{{' for a literal brace, or a placeholder such as {}",
                            crate::text::one_line(text, 80),
                            known(allowed)
                        )
                    })?;
                if !allowed.contains(&name) {
                    return Err(format!(
                        "unknown placeholder {{{name}}} here (known: {})",
                        known(allowed)
                    ));
                }
                if quoted.is_some_and(|q| q.get(i).copied().unwrap_or(false)) {
                    return Err(format!(
                        "with shell = true write {{{name}}} outside quotes: slipway quotes the value itself (or use \"$SLIPWAY_{}\")",
                        name.to_ascii_uppercase()
                    ));
                }
                if !literal.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut literal)));
                }
                out.push(Piece::Var(name.to_string()));
                i += name.len() + 2;
            }
            b'}' => {
                return Err(format!(
                    "a lone '}}' in '{}': write '}}}}' for a literal brace",
                    crate::text::one_line(text, 80)
                ));
            }
            _ => {
                // Copy up to the next brace (brace bytes never occur inside a UTF-8
                // sequence, so the slice is on a character boundary).
                let next = text[i..].find(['{', '}']).map_or(text.len(), |off| i + off);
                literal.push_str(&text[i..next]);
                i = next;
            }
        }
    }
    if !literal.is_empty() || out.is_empty() {
        out.push(Piece::Text(literal));
    }
    Ok(Arg(out))
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn known(allowed: &[&str]) -> String {
    allowed
        .iter()
        .map(|n| format!("{{{n}}}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// For each byte of a shell script, whether it is inside single or double quotes.
fn quoted_bytes(script: &str) -> Result<Vec<bool>, String> {
    let mut marks = vec![false; script.len()];
    let bytes = script.as_bytes();
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        marks[i] = single || double;
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'\\' if !single => {
                if let Some(m) = marks.get_mut(i + 1) {
                    *m = true;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    if single || double {
        return Err("an unclosed quote in the script".into());
    }
    Ok(marks)
}

/// Splits a command line into steps (separated by an unquoted `&&`) of words, like a
/// POSIX shell would, without expanding anything. Shell syntax that would mean something
/// here (pipes, redirections, `;`, `$`, backticks, comments) is refused with a hint.
fn split_line(line: &str) -> Result<Vec<Vec<String>>, String> {
    let refuse = |what: &str| {
        Err(format!(
            "{what} is shell syntax, but commands run without a shell: quote it to pass it literally, or set shell = true"
        ))
    };
    let mut steps: Vec<Vec<String>> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    // A word has started even when empty (`''` is an empty argument).
    let mut started = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            '\'' => {
                started = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => word.push(ch),
                        None => return Err("an unclosed ' quote".into()),
                    }
                }
            }
            '"' => {
                started = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('"' | '\\' | '$' | '`')) => word.push(ch),
                            Some('\n') => {}
                            Some(ch) => {
                                word.push('\\');
                                word.push(ch);
                            }
                            None => return Err("an unclosed \" quote".into()),
                        },
                        Some('$') => return refuse("'$' inside double quotes"),
                        Some('`') => return refuse("'`' inside double quotes"),
                        Some(ch) => word.push(ch),
                        None => return Err("an unclosed \" quote".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(ch) => {
                    started = true;
                    word.push(ch);
                }
                None => return Err("a '\\' at the end of the command".into()),
            },
            '&' if chars.peek() == Some(&'&') => {
                chars.next();
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
                if words.is_empty() {
                    return Err("'&&' needs a command on each side".into());
                }
                steps.push(std::mem::take(&mut words));
            }
            '#' if !started => return refuse("'#' (a comment)"),
            '|' | ';' | '<' | '>' | '&' | '(' | ')' | '$' | '`' => {
                return refuse(&format!("'{c}'"));
            }
            ch => {
                started = true;
                word.push(ch);
            }
        }
    }
    if started {
        words.push(word);
    }
    if words.is_empty() {
        if steps.is_empty() {
            return Err("the command is empty".into());
        }
        return Err("'&&' needs a command on each side".into());
    }
    steps.push(words);
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    const ALL: &[&str] = &["stack", "env", "version"];

    fn line(s: &str) -> TemplateSpec {
        TemplateSpec::Line(s.into())
    }

    fn argv(cmd: &RenderedCommand) -> Vec<String> {
        std::iter::once(cmd.program.clone())
            .chain(cmd.args.iter().cloned())
            .collect()
    }

    const NASTY: &str = "1.0 \"q\" 'x' ; $(touch x) `id`";

    #[test]
    fn a_string_splits_like_a_shell_and_values_are_never_resplit() {
        let t = CommandTemplate::parse(
            &line(r#"deploy --to "{env} zone" 'a b' x\ y --version={version}"#),
            false,
            ALL,
        )
        .unwrap();
        let cmds = t.render(&[("env", "live"), ("version", NASTY)]);
        assert_eq!(
            argv(&cmds[0]),
            vec![
                "deploy".to_string(),
                "--to".into(),
                "live zone".into(),
                "a b".into(),
                "x y".into(),
                format!("--version={NASTY}"),
            ]
        );
        assert_eq!(
            cmds[0].env,
            vec![
                ("SLIPWAY_ENV".to_string(), "live".to_string()),
                ("SLIPWAY_VERSION".to_string(), NASTY.to_string())
            ]
        );
    }

    #[test]
    fn braces_escape_and_unknown_placeholders_are_errors() {
        let t = CommandTemplate::parse(
            &line("kubectl get deploy {stack} -o 'jsonpath={{.spec.replicas}}'"),
            false,
            ALL,
        )
        .unwrap();
        assert_eq!(
            argv(&t.render(&[("stack", "www")])[0])[5],
            "jsonpath={.spec.replicas}"
        );
        let e = CommandTemplate::parse(&line("x {stak}"), false, ALL).unwrap_err();
        assert!(e.contains("{stak}") && e.contains("{stack}"), "{e}");
        let e = CommandTemplate::parse(&line("x {user}"), false, ALL).unwrap_err();
        assert!(e.contains("unknown placeholder {user}"), "{e}");
        let e = CommandTemplate::parse(&line("x '{.a}'"), false, ALL).unwrap_err();
        assert!(e.contains("'{{'"), "{e}");
        let e = CommandTemplate::parse(&line("x a}"), false, ALL).unwrap_err();
        assert!(e.contains("'}}'"), "{e}");
    }

    #[test]
    fn and_and_separates_steps_and_other_shell_syntax_is_refused() {
        let t = CommandTemplate::parse(&line("a {stack} && b 'x && y'"), false, ALL).unwrap();
        let cmds = t.render(&[("stack", "www")]);
        assert_eq!(argv(&cmds[0]), vec!["a", "www"]);
        assert_eq!(argv(&cmds[1]), vec!["b", "x && y"]);
        for bad in [
            "a | b",
            "a; b",
            "a > f",
            "echo $HOME",
            "echo \"$HOME\"",
            "a `b`",
            "a &",
            "a # c",
            "&& a",
            "a &&",
            "a 'b",
            "",
            "  ",
        ] {
            assert!(
                CommandTemplate::parse(&line(bad), false, ALL).is_err(),
                "accepted {bad:?}"
            );
        }
        // Literal when quoted or escaped.
        let t = CommandTemplate::parse(&line(r#"echo '$HOME' \; "a|b""#), false, ALL).unwrap();
        assert_eq!(argv(&t.render(&[])[0]), vec!["echo", "$HOME", ";", "a|b"]);
    }

    #[test]
    fn shell_mode_quotes_values_and_refuses_placeholders_in_quotes() {
        let t = CommandTemplate::parse(&line("deploy {version} | tee log"), true, ALL).unwrap();
        let cmd = &t.render(&[("version", "a'b $(x)")])[0];
        assert_eq!(cmd.program, "sh");
        assert_eq!(t.program(), "deploy");
        assert_eq!(cmd.args, vec!["-c", r"deploy 'a'\''b $(x)' | tee log"]);
        for bad in ["echo \"{version}\"", "echo '{version}'", "echo 'x"] {
            assert!(
                CommandTemplate::parse(&line(bad), true, ALL).is_err(),
                "accepted {bad:?}"
            );
        }
        assert!(CommandTemplate::parse(&TemplateSpec::Argv(vec!["a".into()]), true, ALL).is_err());
    }

    #[test]
    fn display_is_the_exact_command_line() {
        let t = CommandTemplate::parse(
            &TemplateSpec::Argv(vec!["deploy".into(), "{version}".into(), "--x=1".into()]),
            false,
            ALL,
        )
        .unwrap();
        let cmd = &t.render(&[("version", "it's 1")])[0];
        assert_eq!(cmd.display(), r"deploy 'it'\''s 1' --x=1");
        assert_eq!(cmd.short(), "deploy it's 1");
        assert_eq!(t.program(), "deploy");
        assert!(t.uses("version") && !t.uses("stack"));
    }

    #[test]
    fn specs_deserialize_from_each_toml_shape() {
        #[derive(Deserialize)]
        struct Doc {
            a: TemplateSpec,
            b: TemplateSpec,
            c: TemplateSpec,
        }
        let doc: Doc =
            toml::from_str("a = \"x y\"\nb = [\"x\", \"y z\"]\nc = [[\"x\", \"1\"], \"y 2\"]\n")
                .unwrap();
        assert_eq!(doc.a, line("x y"));
        assert_eq!(doc.b, TemplateSpec::Argv(vec!["x".into(), "y z".into()]));
        let c = CommandTemplate::parse(&doc.c, false, ALL).unwrap();
        assert_eq!(c.steps(), 2);
        assert_eq!(argv(&c.render(&[])[1]), vec!["y", "2"]);
        let e = toml::from_str::<Doc>("a = 1\nb = \"\"\nc = \"\"\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("a command"), "{e}");
        let e = CommandTemplate::parse(&TemplateSpec::Argv(vec![]), false, ALL).unwrap_err();
        assert!(e.contains("empty"), "{e}");
        let e = CommandTemplate::parse(&TemplateSpec::Argv(vec!["{stack}".into()]), false, ALL)
            .unwrap_err();
        assert!(e.contains("program"), "{e}");
    }
}
