//! `{stack}`, `{instance}`, `{host}` and `{env}` in log source strings. Values come from the
//! platform (instance names, hosts), so where they land in a shell command they are quoted:
//! an instance called `x; rm -rf ~` must stay one argument.

use std::borrow::Cow;

/// The values a source's templates are filled with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateVars {
    pub stack: String,
    pub instance: String,
    pub host: String,
    pub env: String,
}

/// How a substituted value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// As is (file paths).
    None,
    /// Shell-quoted when it holds anything but safe characters (commands, remote paths).
    Shell,
    /// Percent-encoded (URLs).
    Url,
}

/// Everything but RFC 3986 unreserved characters (and `:` for `host:port`) is encoded, so a
/// value stays inside its path segment or query value but a host name still works.
const URL_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

pub const NAMES: [&str; 4] = ["stack", "instance", "host", "env"];

impl TemplateVars {
    fn get(&self, name: &str) -> Option<&str> {
        match name {
            "stack" => Some(&self.stack),
            "instance" => Some(&self.instance),
            "host" => Some(&self.host),
            "env" => Some(&self.env),
            _ => None,
        }
    }

    /// Fills the placeholders in `template`; unknown `{words}` are left as written
    /// (config validation reports them).
    pub fn expand(&self, template: &str, quoting: Quoting) -> String {
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}').map(|close| (&after[..close], close)) {
                Some((name, close)) if self.get(name).is_some() => {
                    let value = self.get(name).unwrap_or_default();
                    out.push_str(&quote(value, quoting));
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// The first `{word}` in `template` that is not a known placeholder.
pub fn unknown_placeholder(template: &str) -> Option<String> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find('}') {
            let name = &after[..close];
            let is_word =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if is_word && !NAMES.contains(&name) {
                return Some(name.to_string());
            }
        }
        rest = after;
    }
    None
}

fn quote(value: &str, quoting: Quoting) -> Cow<'_, str> {
    match quoting {
        Quoting::None => Cow::Borrowed(value),
        Quoting::Shell => shell_quote(value),
        Quoting::Url => {
            Cow::Owned(percent_encoding::utf8_percent_encode(value, URL_VALUE).to_string())
        }
    }
}

/// POSIX shell quoting, only when needed: `abc-1.log` stays as is, `a b` becomes `'a b'`,
/// and a `'` inside becomes `'\''`.
pub fn shell_quote(value: &str) -> Cow<'_, str> {
    let safe = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if safe {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> TemplateVars {
        TemplateVars {
            stack: "sally".into(),
            instance: "x; rm -rf ~".into(),
            host: "10.0.0.5".into(),
            env: "live".into(),
        }
    }

    #[test]
    fn expands_and_quotes_for_the_shell() {
        let v = vars();
        assert_eq!(
            v.expand("kubectl logs -f {instance} -n {stack}", Quoting::Shell),
            "kubectl logs -f 'x; rm -rf ~' -n sally"
        );
        assert_eq!(
            v.expand("/var/log/{stack}.log", Quoting::None),
            "/var/log/sally.log"
        );
        assert_eq!(
            v.expand("http://{host}/logs/{instance}", Quoting::Url),
            "http://10.0.0.5/logs/x%3B%20rm%20-rf%20~"
        );
        assert_eq!(v.expand("{unknown} {", Quoting::None), "{unknown} {");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn finds_unknown_placeholders() {
        assert_eq!(unknown_placeholder("/var/{stack}/{instance}.log"), None);
        assert_eq!(unknown_placeholder("/var/{stak}.log"), Some("stak".into()));
        assert_eq!(unknown_placeholder("awk '{print $1}'"), None);
    }
}
