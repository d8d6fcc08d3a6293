//! Hostile bytes never reach the terminal: whatever goes in, the rendered buffer holds only
//! printable text (styles aside).

use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use slipway::text::{SanitizeOptions, sanitize};
use slipway::tui::logview::{LogViewState, LogViewStyles, render};

fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Renders raw lines through the log view and returns every cell's symbol.
fn rendered(lines: &[&[u8]], wrap: bool) -> Vec<String> {
    let mut state = LogViewState::new(100);
    state.set_wrap(wrap);
    state.push_lines(lines.iter().copied());
    let area = Rect::new(0, 0, 50, 12);
    let mut buf = Buffer::empty(area);
    render(&mut state, area, &mut buf, &LogViewStyles::default());
    buf.content()
        .iter()
        .map(|c| c.symbol().to_string())
        .collect()
}

fn assert_clean(symbols: &[String]) {
    for s in symbols {
        assert!(
            !s.chars().any(unsafe_char),
            "control character reached the buffer: {s:?}"
        );
    }
}

#[test]
fn crafted_attacks_are_neutralised() {
    let attacks: &[&[u8]] = &[
        b"\x1b[2J\x1b[H\x1b[31mcleared and red\x1b[0m",
        b"move \x1b[10;10H\x1b[5A\x1b[3C\x1b[s\x1b[u here",
        b"\x1b]0;pwned title\x07after title",
        b"\x1b]52;c;cm0gLXJmIH4=\x1b\\clipboard write",
        b"\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
        b"\x1b[200~paste\x1b[201~ markers",
        b"\x1bP+q544e\x1b\\dcs query",
        b"8-bit \xc2\x9b31m csi \xc2\x9d0;t\xc2\x9c osc \xc2\x85 nel",
        b"raw C1 \x9b\x9d\x90 bytes",
        b"invalid \xff\xfe\xc3( utf8",
        b"bell\x07 backspace\x08\x08 nul\x00 del\x7f vt\x0b ff\x0c",
        b"\x1b[?1049h\x1b[?25l alt screen",
        b"\x1bc reset \x1b7 save \x1b8 restore \x1b(0 charset",
        b"tab\there\r\x1b[Kprogress",
        b"bidi \xe2\x80\xae reversed",
        b"unterminated \x1b]0;title",
        b"\x1b[38;5;300m bad colour \x1b[38;2;1;2m short rgb",
    ];
    assert_clean(&rendered(attacks, false));
    assert_clean(&rendered(attacks, true));
    let texts: Vec<String> = attacks
        .iter()
        .map(|a| sanitize(a, &SanitizeOptions::default()).text().to_string())
        .collect();
    assert!(texts[0] == "cleared and red", "{texts:?}");
    assert!(texts[2] == "after title");
    assert!(texts[3] == "clipboard write");
    assert!(texts[5] == "paste markers");
    assert!(texts[9].contains('\u{fffd}'));
    assert!(texts[13] == "progress", "{:?}", texts[13]);
}

/// Bytes biased towards the ones that start and end escape sequences.
fn nasty_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => any::<u8>(),
        2 => Just(0x1b_u8),
        1 => prop::sample::select(vec![b'[', b']', b'P', b'_', b'^', b'\\', b';', b'm', b'K', b'G', b'0', b'3', b'8', b'\r', b'\t', 0x07, 0x9b, 0x9c, 0x9d, 0xc2]),
        3 => 0x20u8..0x7f,
    ];
    prop::collection::vec(byte, 0..400)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_reach_the_terminal(a in nasty_bytes(), b in nasty_bytes()) {
        let line = sanitize(&a, &SanitizeOptions { max_chars: 120, tab_width: 8 });
        prop_assert!(!line.text().chars().any(unsafe_char), "{:?}", line.text());
        for run in line.runs() {
            prop_assert!(run.start < run.end && run.end as usize <= line.text().len());
            prop_assert!(line.text().is_char_boundary(run.start as usize));
            prop_assert!(line.text().is_char_boundary(run.end as usize));
        }
        let marker = line.truncation_marker().unwrap_or(line.text().len());
        prop_assert!(line.text()[..marker].chars().count() <= 120);
        let symbols = rendered(&[&a, &b], true);
        prop_assert!(!symbols.iter().any(|s| s.chars().any(unsafe_char)));
    }
}
