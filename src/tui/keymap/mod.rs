//! Keys as data: each scope (everywhere, each pane, each dialog) has one table of
//! bindings. Dispatch looks a key up in it, and the hints bar and the `?` help are drawn
//! from the same table, so what is listed is what works. `[keys]` in the config replaces
//! the keys of an action (see `config::keys`).

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::pane::Hint;

pub mod catalog;
pub mod validate;
use crate::config::keys::KeysConfig;

/// One key, as written in tables and config: `p`, `P`, `?`, `Enter`, `Esc`, `Tab`,
/// `S-Tab`, `Ctrl-R` (also `C-r`, `^R`), `Alt-x`, `space`, `PgUp`, `Home`, `F1`...
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    /// Control and Alt only: Shift is part of the character (`P`) or of the key (`S-Tab`).
    pub mods: KeyModifiers,
}

impl KeySpec {
    pub fn parse(text: &str) -> Result<KeySpec, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("an empty key".into());
        }
        // A single character is itself, whatever it is (`-`, `^`, `?`, `P`).
        if t.chars().count() == 1 {
            let code = match t.chars().next().unwrap_or(' ') {
                // How the help shows these keys reads back as them.
                '⏎' => KeyCode::Enter,
                '↑' => KeyCode::Up,
                '↓' => KeyCode::Down,
                '←' => KeyCode::Left,
                '→' => KeyCode::Right,
                c => KeyCode::Char(c),
            };
            return Ok(KeySpec::plain(code));
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = t;
        loop {
            let lower = rest.to_ascii_lowercase();
            let cut = ["ctrl-", "control-", "c-", "alt-", "a-", "m-", "^"]
                .iter()
                .find(|p| lower.starts_with(**p) && rest.len() > p.len());
            match cut {
                Some(p) => {
                    mods |= if p.starts_with('a') || p.starts_with('m') {
                        KeyModifiers::ALT
                    } else {
                        KeyModifiers::CONTROL
                    };
                    rest = &rest[p.len()..];
                }
                None => break,
            }
        }
        let lower = rest.to_ascii_lowercase();
        let code = match lower.as_str() {
            "enter" | "return" | "cr" | "⏎" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "s-tab" | "shift-tab" | "backtab" => KeyCode::BackTab,
            "space" | "spc" => KeyCode::Char(' '),
            "backspace" | "bs" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "insert" | "ins" => KeyCode::Insert,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pgdown" | "pagedown" => KeyCode::PageDown,
            "up" | "↑" => KeyCode::Up,
            "down" | "↓" => KeyCode::Down,
            "left" | "←" => KeyCode::Left,
            "right" | "→" => KeyCode::Right,
            "minus" => KeyCode::Char('-'),
            f if f.starts_with('f')
                && f.len() > 1
                && f[1..].chars().all(|c| c.is_ascii_digit()) =>
            {
                match f[1..].parse::<u8>() {
                    Ok(n @ 1..=12) => KeyCode::F(n),
                    _ => return Err(format!("'{text}' is not a key (F1 to F12)")),
                }
            }
            _ if rest.chars().count() == 1 => {
                let c = rest.chars().next().unwrap_or(' ');
                // Ctrl-R and Ctrl-r are one key: terminals send the lower case.
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => {
                return Err(format!(
                    "'{text}' is not a key (try a character, Enter, Esc, Tab, S-Tab, space, \
                     PgUp, PgDn, Home, End, Up, Down, Left, Right, F1-F12, with Ctrl- or Alt-)"
                ));
            }
        };
        Ok(KeySpec { code, mods })
    }

    pub const fn plain(code: KeyCode) -> KeySpec {
        KeySpec {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    /// Whether the terminal's key is this one (Shift is ignored: it is in the character).
    pub fn matches(&self, key: &KeyEvent) -> bool {
        let wanted = KeyModifiers::CONTROL | KeyModifiers::ALT;
        let code = match key.code {
            // Some terminals report Ctrl-R as 'R' with Shift.
            KeyCode::Char(c) if key.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        code == self.code && key.modifiers.intersection(wanted) == self.mods
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                write!(f, "{}", c.to_ascii_uppercase())
            }
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("⏎"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("S-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Where a table applies, which decides what can clash with what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// Keys that work everywhere (after the focused pane declined the key).
    Global,
    /// A pane's keys while it is focused: they come before the global ones.
    Pane,
    /// A dialog, overlay or sub-view: while it is open it has every key.
    Dialog,
}

/// One action of a scope: its keys by default, its name in `[keys.SCOPE]`, and its words.
#[derive(Debug)]
pub struct Binding<A: 'static> {
    pub action: A,
    /// The action's name in the config (`promote` in `[keys.global] promote = "P"`).
    pub name: &'static str,
    pub keys: &'static [&'static str],
    /// A word or two for the hints bar.
    pub hint: &'static str,
    /// A sentence for the `?` help.
    pub help: &'static str,
}

/// One binding, written as a row of a scope's table: the action, its config name, its
/// default keys, a word or two for the hints bar and a sentence for the `?` help.
pub const fn bind<A>(
    action: A,
    name: &'static str,
    keys: &'static [&'static str],
    hint: &'static str,
    help: &'static str,
) -> Binding<A> {
    Binding {
        action,
        name,
        keys,
        hint,
        help,
    }
}

/// A scope's table.
#[derive(Debug)]
pub struct Scope<A: 'static> {
    /// Its name in the config: `[keys.NAME]`.
    pub name: &'static str,
    /// Its heading in the help.
    pub title: &'static str,
    pub kind: ScopeKind,
    pub bindings: &'static [Binding<A>],
}

/// What the config checks need of a table (no actions, only names and keys).
#[derive(Debug, Clone)]
pub struct ScopeInfo {
    pub name: &'static str,
    pub title: &'static str,
    pub kind: ScopeKind,
    /// Action name and its default keys.
    pub actions: Vec<(&'static str, &'static [&'static str])>,
}

impl<A: Copy + PartialEq + 'static> Scope<A> {
    pub fn info(&self) -> ScopeInfo {
        ScopeInfo {
            name: self.name,
            title: self.title,
            kind: self.kind,
            actions: self.bindings.iter().map(|b| (b.name, b.keys)).collect(),
        }
    }
}

/// Whether an action can be done now, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Ready,
    Unavailable(String),
}

impl Availability {
    pub fn why_not(reason: impl Into<String>) -> Availability {
        Availability::Unavailable(reason.into())
    }

    pub fn is_ready(&self) -> bool {
        matches!(self, Availability::Ready)
    }
}

/// A scope's table with the configured keys in place of the defaults.
#[derive(Debug, Clone)]
pub struct Keymap<A: 'static> {
    scope: &'static Scope<A>,
    /// Per binding, in table order.
    keys: Vec<Vec<KeySpec>>,
}

impl<A: Copy + PartialEq + 'static> Keymap<A> {
    /// The table's own keys.
    pub fn defaults(scope: &'static Scope<A>) -> Self {
        Keymap::new(scope, &KeysConfig::default())
    }

    /// The table with `[keys.SCOPE]` applied. Keys that do not parse were reported by
    /// `check-config` and the config refused, so here they are only skipped.
    pub fn new(scope: &'static Scope<A>, config: &KeysConfig) -> Self {
        let keys = scope
            .bindings
            .iter()
            .map(|b| {
                let texts: Vec<&str> = match config.get(scope.name, b.name) {
                    Some(list) => list.iter().map(String::as_str).collect(),
                    None => b.keys.to_vec(),
                };
                texts
                    .iter()
                    .filter_map(|t| KeySpec::parse(t).ok())
                    .collect()
            })
            .collect();
        Keymap { scope, keys }
    }

    pub fn scope(&self) -> &'static Scope<A> {
        self.scope
    }

    /// The action a key means here, and which of its keys it was (`1`..`9` pick a stack).
    pub fn lookup(&self, key: &KeyEvent) -> Option<(A, usize)> {
        self.scope
            .bindings
            .iter()
            .zip(&self.keys)
            .find_map(|(b, keys)| {
                keys.iter()
                    .position(|k| k.matches(key))
                    .map(|i| (b.action, i))
            })
    }

    pub fn action(&self, key: &KeyEvent) -> Option<A> {
        self.lookup(key).map(|(a, _)| a)
    }

    fn index(&self, action: A) -> Option<usize> {
        self.scope.bindings.iter().position(|b| b.action == action)
    }

    /// The keys of an action as shown: `j/↓`, `1-9`, `Ctrl-R` (empty when it has none).
    pub fn label(&self, action: A) -> String {
        self.index(action)
            .map(|i| label_of(&self.keys[i]))
            .unwrap_or_default()
    }

    /// The first key of an action, for sentences ("press o to override").
    pub fn first_key(&self, action: A) -> String {
        self.index(action)
            .and_then(|i| self.keys[i].first())
            .map(std::string::ToString::to_string)
            .unwrap_or_default()
    }

    /// The hints-bar entry of an action: its first key (a run of digits reads `1-9`),
    /// None when it has no key. The help lists all of its keys.
    pub fn hint(&self, action: A) -> Option<Hint> {
        let i = self.index(action)?;
        let keys = &self.keys[i];
        let first = keys.first()?;
        let label = label_of(keys);
        let key = if label.contains('-') && label.chars().all(|c| c.is_ascii_digit() || c == '-') {
            label
        } else {
            first.to_string()
        };
        Some(Hint::owned(key, self.scope.bindings[i].hint))
    }

    /// One entry for two actions that read as a pair: `j/k scroll`.
    pub fn pair(&self, a: A, b: A, words: &'static str) -> Option<Hint> {
        let (a, b) = (self.first_key(a), self.first_key(b));
        (!a.is_empty() && !b.is_empty()).then(|| Hint::owned(format!("{a}/{b}"), words))
    }

    /// The hints-bar entries of these actions, in this order.
    pub fn hints(&self, actions: &[A]) -> Vec<Hint> {
        actions.iter().filter_map(|a| self.hint(*a)).collect()
    }

    /// Every binding for the help: keys as configured, and the sentence. Two actions
    /// that go together (down and up, top and bottom...) share a row: `j/↓, k/↑`.
    pub fn help(&self) -> HelpSection {
        const PAIRS: &[(&str, &str)] = &[
            ("down", "up"),
            ("page_down", "page_up"),
            ("top", "bottom"),
            ("first", "last"),
            ("left", "right"),
            ("older", "newer"),
            ("start", "end"),
            ("delete_back", "delete_forward"),
            ("focus_next", "focus_prev"),
            ("next_match", "prev_match"),
        ];
        let rows: Vec<(&Binding<A>, &Vec<KeySpec>)> = self
            .scope
            .bindings
            .iter()
            .zip(&self.keys)
            .filter(|(_, keys)| !keys.is_empty())
            .collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let (b, keys) = rows[i];
            if let Some((nb, nkeys)) = rows.get(i + 1)
                && PAIRS.contains(&(b.name, nb.name))
            {
                out.push(Hint {
                    key: format!("{}, {}", label_of(keys), label_of(nkeys)).into(),
                    action: format!("{} · {}", b.help, nb.help).into(),
                });
                i += 2;
                continue;
            }
            out.push(Hint::owned(label_of(keys), b.help));
            i += 1;
        }
        HelpSection {
            title: self.scope.title.to_string(),
            rows: out,
        }
    }

    /// Every key this table answers to (for the test that the help lists them all).
    pub fn all_keys(&self) -> Vec<KeySpec> {
        self.keys.iter().flatten().copied().collect()
    }
}

/// An action type with one table of its own: its keymap can start from the defaults.
pub trait DefaultScope: Copy + PartialEq + 'static {
    fn scope() -> &'static Scope<Self>;
}

impl<A: DefaultScope> Default for Keymap<A> {
    fn default() -> Self {
        Keymap::defaults(A::scope())
    }
}

/// A titled list of keys and what they do, for the help.
#[derive(Debug, Clone, PartialEq)]
pub struct HelpSection {
    pub title: String,
    pub rows: Vec<Hint>,
}

/// How a list of keys reads: runs of digits collapse (`1-9`), the rest join with `/`.
pub fn label_of(keys: &[KeySpec]) -> String {
    let digit = |k: &KeySpec| match k.code {
        KeyCode::Char(c) if c.is_ascii_digit() && k.mods.is_empty() => Some(c),
        _ => None,
    };
    let digits: Vec<char> = keys.iter().filter_map(digit).collect();
    if keys.len() > 2 && digits.len() == keys.len() {
        let run = digits.windows(2).all(|w| w[1] as u32 == w[0] as u32 + 1);
        if run {
            return format!("{}-{}", digits[0], digits[digits.len() - 1]);
        }
    }
    keys.iter()
        .map(std::string::ToString::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum T {
        Go,
        Pick,
        Quit,
    }

    static SCOPE: Scope<T> = Scope {
        name: "global",
        title: "Test",
        kind: ScopeKind::Global,
        bindings: &[
            Binding {
                action: T::Go,
                name: "promote",
                keys: &["p", "Ctrl-R"],
                hint: "go",
                help: "go somewhere",
            },
            Binding {
                action: T::Pick,
                name: "select_stack",
                keys: &["1", "2", "3"],
                hint: "pick",
                help: "pick one",
            },
            Binding {
                action: T::Quit,
                name: "quit",
                keys: &["q"],
                hint: "quit",
                help: "quit",
            },
        ],
    };

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn parses_the_usual_spellings() {
        let p = |t: &str| KeySpec::parse(t).map(|k| (k.code, k.mods));
        let ctrl = KeyModifiers::CONTROL;
        assert_eq!(p("Ctrl-R"), Ok((KeyCode::Char('r'), ctrl)));
        assert_eq!(p("C-r"), Ok((KeyCode::Char('r'), ctrl)));
        assert_eq!(p("^S"), Ok((KeyCode::Char('s'), ctrl)));
        assert_eq!(p("S-Tab"), Ok((KeyCode::BackTab, KeyModifiers::NONE)));
        assert_eq!(p("?"), Ok((KeyCode::Char('?'), KeyModifiers::NONE)));
        assert_eq!(p("P"), Ok((KeyCode::Char('P'), KeyModifiers::NONE)));
        assert_eq!(p("Enter"), Ok((KeyCode::Enter, KeyModifiers::NONE)));
        assert_eq!(p("space"), Ok((KeyCode::Char(' '), KeyModifiers::NONE)));
        assert_eq!(p("PgDn"), Ok((KeyCode::PageDown, KeyModifiers::NONE)));
        assert_eq!(p("alt-x"), Ok((KeyCode::Char('x'), KeyModifiers::ALT)));
        assert_eq!(p("F5"), Ok((KeyCode::F(5), KeyModifiers::NONE)));
        assert_eq!(p("-"), Ok((KeyCode::Char('-'), KeyModifiers::NONE)));
        for bad in ["", "Ctrl-", "enterr", "F13", "hello"] {
            assert!(p(bad).is_err(), "{bad:?} is not a key");
        }
    }

    #[test]
    fn what_is_shown_parses_back_to_the_same_key() {
        for t in [
            "p", "Ctrl-R", "S-Tab", "Enter", "space", "PgUp", "Alt-x", "F2", "↑",
        ] {
            let k = KeySpec::parse(t).expect("parses");
            assert_eq!(KeySpec::parse(&k.to_string()), Ok(k), "{t} shown as {k}");
        }
    }

    #[test]
    fn lookup_matches_modifiers_and_ignores_shift() {
        let map = Keymap::defaults(&SCOPE);
        assert_eq!(
            map.lookup(&key(KeyCode::Char('p'), KeyModifiers::NONE)),
            Some((T::Go, 0))
        );
        // Ctrl-R, however the terminal spells it; a bare r is not it.
        for k in [
            key(KeyCode::Char('r'), KeyModifiers::CONTROL),
            key(
                KeyCode::Char('R'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT,
            ),
        ] {
            assert_eq!(map.lookup(&k), Some((T::Go, 1)));
        }
        assert_eq!(
            map.action(&key(KeyCode::Char('r'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            map.lookup(&key(KeyCode::Char('3'), KeyModifiers::NONE)),
            Some((T::Pick, 2))
        );
        assert_eq!(map.label(T::Pick), "1-3");
        assert_eq!(map.label(T::Go), "p/Ctrl-R");
    }

    #[test]
    fn an_override_replaces_the_default_keys_and_shows_in_help() {
        let config = KeysConfig::from_toml("[global]\npromote = \"P\"\nquit = [\"Q\", \"F10\"]")
            .expect("parses");
        let map = Keymap::new(&SCOPE, &config);
        assert_eq!(
            map.action(&key(KeyCode::Char('p'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            map.action(&key(KeyCode::Char('P'), KeyModifiers::SHIFT)),
            Some(T::Go)
        );
        assert_eq!(
            map.action(&key(KeyCode::F(10), KeyModifiers::NONE)),
            Some(T::Quit)
        );
        let help = map.help();
        assert!(
            help.rows
                .iter()
                .any(|h| h.key == "P" && h.action == "go somewhere")
        );
        assert!(help.rows.iter().any(|h| h.key == "Q/F10"));
        assert_eq!(map.hint(T::Go).map(|h| h.key.to_string()), Some("P".into()));
        assert_eq!(
            map.hint(T::Pick).map(|h| h.key.to_string()),
            Some("1-3".into())
        );
    }
}
