//! Reading and writing a version inside an environment file. Writing replaces the bytes
//! of the version and nothing else, then reads the result back to prove it: a file is
//! never re-serialised, so comments, key order and formatting stay byte for byte.

use regex::Regex;

use super::yaml_path::{self, Style};

/// How the version is found in a file.
#[derive(Debug, Clone)]
pub enum Locator {
    /// A JSON pointer into the YAML/JSON document, and what part of the value is the
    /// version.
    Pointer { pointer: String, part: Part },
    /// The first match's first capture group.
    Regex(Regex),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Whole,
    /// An image reference: the version is the tag after the last `:` of the last path
    /// segment (`registry:5000/www:ce4e1c5`).
    ImageTag,
    /// The value is this prefix then the version.
    Prefix(String),
}

/// Where the version sits in one file's text.
struct Found {
    /// Byte range replaced when writing.
    start: usize,
    end: usize,
    version: String,
    /// How to write a new value in that range.
    render: Render,
}

enum Render {
    /// The range is the version's own text (a regex group).
    Verbatim,
    /// The range is a whole YAML scalar: write `before + version + after` in `style`.
    Scalar {
        style: Style,
        before: String,
        after: String,
        json: bool,
    },
}

impl Locator {
    /// A regex must have exactly one capture group: the version.
    pub fn regex(pattern: &str) -> Result<Locator, String> {
        let re = Regex::new(pattern).map_err(|e| format!("bad regex: {e}"))?;
        if re.captures_len() != 2 {
            return Err(format!(
                "the regex must have exactly one capture group, the version (it has {})",
                re.captures_len() - 1
            ));
        }
        Ok(Locator::Regex(re))
    }

    pub fn pointer(pointer: &str, part: Part) -> Result<Locator, String> {
        yaml_path::parse_pointer(pointer)?;
        Ok(Locator::Pointer {
            pointer: pointer.to_string(),
            part,
        })
    }

    /// The version in `text`; `file` names it in messages.
    pub fn read(&self, text: &str, file: &str) -> Result<String, String> {
        self.find(text, file).map(|f| f.version)
    }

    /// `text` with the version replaced by `version`, everything else unchanged.
    pub fn write(&self, text: &str, file: &str, version: &str) -> Result<String, String> {
        if version.is_empty() || version.chars().any(char::is_control) {
            return Err(format!("'{version}' cannot be written as a version"));
        }
        let found = self.find(text, file)?;
        let new_text = match &found.render {
            Render::Verbatim => version.to_string(),
            Render::Scalar {
                style,
                before,
                after,
                json,
            } => render_scalar(&format!("{before}{version}{after}"), *style, *json),
        };
        let mut out = String::with_capacity(text.len() + new_text.len());
        out.push_str(&text[..found.start]);
        out.push_str(&new_text);
        out.push_str(&text[found.end..]);
        // Read back: the edit must say exactly the new version where the old one was.
        match self.find(&out, file) {
            Ok(again) if again.version == version && again.start == found.start => Ok(out),
            Ok(again) => Err(format!(
                "{file}: writing '{version}' would read back as '{}'; the file was left as it is",
                again.version
            )),
            Err(e) => Err(format!(
                "{file}: writing '{version}' would break the file ({e}); the file was left as it is"
            )),
        }
    }

    fn find(&self, text: &str, file: &str) -> Result<Found, String> {
        match self {
            Locator::Regex(re) => {
                let caps = re
                    .captures(text)
                    .ok_or_else(|| format!("{file}: the regex {} matches nothing", re.as_str()))?;
                let group = caps.get(1).ok_or_else(|| {
                    format!(
                        "{file}: the regex {} matched without its capture group",
                        re.as_str()
                    )
                })?;
                Ok(Found {
                    start: group.start(),
                    end: group.end(),
                    version: group.as_str().to_string(),
                    render: Render::Verbatim,
                })
            }
            Locator::Pointer { pointer, part } => {
                let at = yaml_path::find(text, pointer).map_err(|e| format!("{file}: {e}"))?;
                if at.style == Style::Block {
                    return Err(format!(
                        "{file}:{}: the value at {pointer} is a block scalar (| or >), which cannot be edited in place; write it on one line",
                        at.line
                    ));
                }
                let (before, version, after) = split(&at.value, part)
                    .map_err(|e| format!("{file}:{}: {pointer}: {e}", at.line))?;
                Ok(Found {
                    start: at.start,
                    end: at.end,
                    version,
                    render: Render::Scalar {
                        style: at.style,
                        before,
                        after,
                        json: std::path::Path::new(file)
                            .extension()
                            .is_some_and(|e| e.eq_ignore_ascii_case("json")),
                    },
                })
            }
        }
    }
}

/// `(before, version, after)` of a value.
fn split(value: &str, part: &Part) -> Result<(String, String, String), String> {
    let nothing = || String::new();
    let (before, version) = match part {
        Part::Whole => (nothing(), value.to_string()),
        Part::Prefix(prefix) => match value.strip_prefix(prefix.as_str()) {
            Some(v) => (prefix.clone(), v.to_string()),
            None => {
                return Err(format!(
                    "'{value}' does not start with the image_prefix '{prefix}'"
                ));
            }
        },
        Part::ImageTag => {
            if value.contains('@') {
                return Err(format!("'{value}' is pinned by digest (@…), not by a tag"));
            }
            let name_start = value.rfind('/').map_or(0, |i| i + 1);
            match value[name_start..].rfind(':') {
                Some(i) => {
                    let colon = name_start + i;
                    (value[..=colon].to_string(), value[colon + 1..].to_string())
                }
                None => return Err(format!("'{value}' has no tag (nothing after a ':')")),
            }
        }
    };
    if version.is_empty() {
        return Err(format!("no version in '{value}'"));
    }
    Ok((before, version, nothing()))
}

/// A scalar written in the style it had. A plain one that YAML would read as something
/// other than a string (`1234567` is a number to Helm) is double-quoted; in a JSON file a
/// plain value stays plain only when it is a number.
fn render_scalar(value: &str, style: Style, json: bool) -> String {
    match style {
        Style::SingleQuoted => format!("'{}'", value.replace('\'', "''")),
        Style::Plain if json && is_json_number(value) => value.to_string(),
        Style::Plain if !json && plain_string(value) => value.to_string(),
        _ => double_quoted(value),
    }
}

fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Safe to write unquoted, and read back as the same string.
fn plain_string(v: &str) -> bool {
    let Some(first) = v.chars().next() else {
        return false;
    };
    let chars_ok = first.is_ascii_alphanumeric()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/+:@".contains(c));
    chars_ok && !resolves_to_non_string(v)
}

/// YAML 1.1 and 1.2 core schema words and numbers (the two that tools disagree on).
fn resolves_to_non_string(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    let words = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    if words.contains(&lower.as_str()) {
        return true;
    }
    // A pattern that fails to build (it cannot) counts every value as a number: quoted.
    NUMBER.as_ref().is_none_or(|re| re.is_match(&lower))
}

/// YAML 1.1/1.2 ints and floats (with `_`, hex, octal, binary, sexagesimal, .inf, .nan).
static NUMBER: std::sync::LazyLock<Option<Regex>> = std::sync::LazyLock::new(|| {
    Regex::new(
        r"^[-+]?(\d[\d_]*(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|0x[0-9a-f_]+|0o[0-7_]+|0b[01_]+|\.inf|\.nan|\d+(:[0-5]?\d)+(\.\d*)?)$",
    )
    .ok()
});

fn is_json_number(v: &str) -> bool {
    serde_json::from_str::<serde_json::Number>(v).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: &str = "# www on live — do not edit by hand during a release\nimage:\n  repository: registry.example.com/www   # the app\n  tag: ce4e1c5\nresources: {cpu: 100m}\n";

    #[test]
    fn a_plain_tag_is_replaced_and_nothing_else_moves() {
        let loc = Locator::pointer("/image/tag", Part::Whole).unwrap();
        assert_eq!(loc.read(VALUES, "v.yaml").unwrap(), "ce4e1c5");
        let out = loc.write(VALUES, "v.yaml", "c570624").unwrap();
        assert_eq!(out, VALUES.replace("tag: ce4e1c5", "tag: c570624"));
    }

    #[test]
    fn a_version_yaml_would_read_as_a_number_is_quoted() {
        let loc = Locator::pointer("/image/tag", Part::Whole).unwrap();
        let out = loc.write(VALUES, "v.yaml", "1234567").unwrap();
        assert!(out.contains("tag: \"1234567\"\n"), "{out}");
        let out = loc.write(VALUES, "v.yaml", "1.10").unwrap();
        assert!(out.contains("tag: \"1.10\"\n"), "{out}");
        assert_eq!(loc.read(&out, "v.yaml").unwrap(), "1.10");
    }

    #[test]
    fn quoting_style_is_kept() {
        let loc = Locator::pointer("/tag", Part::Whole).unwrap();
        let out = loc.write("tag: 'v1' # x\n", "f.yaml", "v2").unwrap();
        assert_eq!(out, "tag: 'v2' # x\n");
        let out = loc.write("tag: \"v1\"\n", "f.yaml", "v2").unwrap();
        assert_eq!(out, "tag: \"v2\"\n");
        let json = "{\n  \"tag\": \"v1\",\n  \"n\": 2\n}\n";
        let out = loc.write(json, "f.json", "v2").unwrap();
        assert_eq!(out, json.replace("\"v1\"", "\"v2\""));
    }

    #[test]
    fn image_tags_and_prefixes() {
        let doc = "spec:\n  containers:\n    - name: app\n      image: registry:5000/acme/www:ce4e1c5 # pinned\n";
        let loc = Locator::pointer("/spec/containers/0/image", Part::ImageTag).unwrap();
        assert_eq!(loc.read(doc, "d.yaml").unwrap(), "ce4e1c5");
        let out = loc.write(doc, "d.yaml", "c570624").unwrap();
        assert_eq!(out, doc.replace(":ce4e1c5", ":c570624"));
        let prefix = Locator::pointer(
            "/spec/containers/0/image",
            Part::Prefix("registry:5000/acme/www:".into()),
        )
        .unwrap();
        assert_eq!(prefix.read(doc, "d.yaml").unwrap(), "ce4e1c5");
        let other =
            Locator::pointer("/spec/containers/0/image", Part::Prefix("x/".into())).unwrap();
        assert!(
            other
                .read(doc, "d.yaml")
                .unwrap_err()
                .contains("image_prefix")
        );
        let untagged = "image: registry:5000/www\n";
        let loc = Locator::pointer("/image", Part::ImageTag).unwrap();
        assert!(loc.read(untagged, "u.yaml").unwrap_err().contains("no tag"));
    }

    #[test]
    fn regex_group_is_the_version() {
        let loc = Locator::regex(r"newTag: ([0-9a-f]+)").unwrap();
        let doc = "images:\n  - name: www\n    newTag: ce4e1c5 # kustomize\n";
        assert_eq!(loc.read(doc, "k.yaml").unwrap(), "ce4e1c5");
        assert_eq!(
            loc.write(doc, "k.yaml", "c570624").unwrap(),
            doc.replace("ce4e1c5", "c570624")
        );
        // A version the regex could not read back is refused, not written.
        let e = loc.write(doc, "k.yaml", "v1.2").unwrap_err();
        assert!(e.contains("left as it is"), "{e}");
        assert!(
            loc.read("nothing here", "k.yaml")
                .unwrap_err()
                .contains("matches nothing")
        );
        assert!(
            Locator::regex("tag: .*")
                .unwrap_err()
                .contains("one capture group")
        );
        assert!(Locator::regex("(a)(b)").unwrap_err().contains("has 2"));
    }

    #[test]
    fn block_scalars_and_bad_versions_are_refused() {
        let loc = Locator::pointer("/v", Part::Whole).unwrap();
        assert!(
            loc.read("v: |\n  abc\n", "b.yaml")
                .unwrap_err()
                .contains("block scalar")
        );
        assert!(loc.write("v: a\n", "b.yaml", "x\ny").is_err());
    }
}
