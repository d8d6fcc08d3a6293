//! Colour themes, loaded from TOML (`themes/*.toml` are built in; a path loads a user's).
//! `NO_COLOR` turns every colour off and keeps only bold/reverse/underline.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub dim: Style,
    pub border: Style,
    pub border_focused: Style,
    pub title: Style,
    pub accent: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub info: Style,
    pub debug: Style,
    pub selection: Style,
    pub highlight: Style,
    pub button: Style,
    pub header: Style,
    /// Live, where users are: the environment's name in dialogs and the header wears it.
    pub live: Style,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    colors: BTreeMap<String, String>,
}

impl Theme {
    /// A built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> Result<Theme, String> {
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Theme::parse(text);
        }
        let path = Path::new(name_or_path);
        if path.exists() {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read theme {}: {e}", path.display()))?;
            return Theme::parse(&text).map_err(|e| format!("{}: {e}", path.display()));
        }
        Err(format!(
            "no theme '{name_or_path}': built-in themes are {}, or give a path to a theme file",
            Theme::built_in_names().join(", ")
        ))
    }

    pub fn built_in_names() -> Vec<&'static str> {
        BUILT_IN.iter().map(|(n, _)| *n).collect()
    }

    pub fn parse(text: &str) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let color = |key: &str| -> Result<Color, String> {
            let value = file
                .colors
                .get(key)
                .ok_or_else(|| format!("colors.{key} is missing"))?;
            Color::from_str(value).map_err(|_| format!("colors.{key}: '{value}' is not a colour"))
        };
        let fg = |key: &str| color(key).map(|c| Style::new().fg(c));
        let known = [
            "text",
            "dim",
            "border",
            "border_focused",
            "title",
            "accent",
            "ok",
            "warn",
            "error",
            "info",
            "debug",
            "selection_bg",
            "highlight_fg",
            "highlight_bg",
            "button_fg",
            "button_bg",
            "header_fg",
            "header_bg",
            "live_fg",
            "live_bg",
        ];
        if let Some(unknown) = file.colors.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!(
                "colors.{unknown} is not a theme colour (known: {})",
                known.join(", ")
            ));
        }
        Ok(Theme {
            name: file.name,
            text: fg("text")?,
            dim: fg("dim")?,
            border: fg("border")?,
            border_focused: fg("border_focused")?.add_modifier(Modifier::BOLD),
            title: fg("title")?.add_modifier(Modifier::BOLD),
            accent: fg("accent")?,
            ok: fg("ok")?,
            warn: fg("warn")?,
            error: fg("error")?.add_modifier(Modifier::BOLD),
            info: fg("info")?,
            debug: fg("debug")?,
            selection: Style::new().bg(color("selection_bg")?),
            highlight: Style::new()
                .fg(color("highlight_fg")?)
                .bg(color("highlight_bg")?),
            button: Style::new()
                .fg(color("button_fg")?)
                .bg(color("button_bg")?)
                .add_modifier(Modifier::BOLD),
            header: Style::new().fg(color("header_fg")?).bg(color("header_bg")?),
            // Optional in a theme file: the error colour as a badge when not given.
            live: Style::new()
                .fg(color("live_fg").or_else(|_| color("highlight_fg"))?)
                .bg(color("live_bg").or_else(|_| color("error"))?)
                .add_modifier(Modifier::BOLD),
        })
    }

    /// No colour at all (for `NO_COLOR`): emphasis by modifiers only.
    pub fn monochrome() -> Theme {
        let plain = Style::new();
        Theme {
            name: "no-color".into(),
            text: plain,
            dim: plain.add_modifier(Modifier::DIM),
            border: plain,
            border_focused: plain.add_modifier(Modifier::BOLD),
            title: plain.add_modifier(Modifier::BOLD),
            accent: plain.add_modifier(Modifier::BOLD),
            ok: plain,
            warn: plain.add_modifier(Modifier::BOLD),
            error: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            info: plain,
            debug: plain.add_modifier(Modifier::DIM),
            selection: plain.add_modifier(Modifier::REVERSED),
            highlight: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            button: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            header: plain.add_modifier(Modifier::REVERSED),
            live: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD | Modifier::UNDERLINED),
        }
    }

    /// The configured theme, unless `NO_COLOR` is set (<https://no-color.org>).
    pub fn for_terminal(configured: &str) -> Result<Theme, String> {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Ok(Theme::monochrome());
        }
        Theme::load(configured)
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::load("dark").unwrap_or_else(|_| Theme::monochrome())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_parses() {
        for name in Theme::built_in_names() {
            let theme = Theme::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(theme.name, name);
        }
    }

    #[test]
    fn bad_colour_and_unknown_key_are_named() {
        let bad =
            include_str!("../../themes/dark.toml").replace("ok = \"#9ece6a\"", "ok = \"grassy\"");
        assert_eq!(
            Theme::parse(&bad).unwrap_err(),
            "colors.ok: 'grassy' is not a colour"
        );
        let extra = format!(
            "{}\nsparkle = \"red\"\n",
            include_str!("../../themes/dark.toml")
        );
        assert!(
            Theme::parse(&extra)
                .unwrap_err()
                .contains("colors.sparkle is not a theme colour")
        );
        assert!(
            Theme::load("nope")
                .unwrap_err()
                .contains("built-in themes are dark, light")
        );
    }
}
