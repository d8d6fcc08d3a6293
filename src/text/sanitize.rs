//! Turns one raw line of bytes from outside (a log, a deploy job's terminal) into a
//! [`StyledLine`] that is safe to draw.
//!
//! What survives: printable text, and SGR colours/attributes, which become ratatui styles
//! (through ansi-to-tui). What goes: every other escape or control sequence (CSI cursor
//! moves, OSC titles and clipboard writes, DCS/SOS/PM/APC strings, charset switches,
//! 8-bit C1 controls, C0 controls such as BEL and backspace, bidi overrides). Invalid UTF-8
//! becomes U+FFFD, tabs become spaces, and very long lines are cut with a visible marker.
//!
//! A `\r` (or `CSI 1 G`) moves the cursor back to column 0, so a line with progress rewrites
//! keeps only what a terminal would finally show: each later segment overlays the earlier
//! ones, and an erase-in-line (`CSI K`) blanks what was behind it. [`RewriteJoiner`] carries
//! that across lines for views that receive a progress bar as consecutive `\r`-ended lines.
//!
//! Most log lines are plain printable ASCII: those take a fast path that only copies.

use ansi_to_tui::IntoText as _;
use ratatui::style::{Color, Style};
use unicode_width::UnicodeWidthChar;

use super::styled::{StyleRun, StyledLine};

/// How lines are cut and tabs expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SanitizeOptions {
    /// Characters kept per line; the rest is replaced by a marker.
    pub max_chars: usize,
    /// Tab stops every this many columns.
    pub tab_width: usize,
}

impl Default for SanitizeOptions {
    fn default() -> Self {
        SanitizeOptions {
            max_chars: 4000,
            tab_width: 8,
        }
    }
}

/// Sanitises one line (without its `\n`).
pub fn sanitize(raw: &[u8], opts: &SanitizeOptions) -> StyledLine {
    let raw = super::redact::redact_bytes(raw);
    let raw = raw.as_ref();
    if let Some(line) = fast_path(raw, opts) {
        return line;
    }
    let parsed = Parser::run(raw, opts);
    compose(None, &parsed, raw.len(), opts.max_chars)
}

/// Sanitises `raw` as the continuation of `prev`, a line that ended with `\r`: the cursor is
/// back at column 0, so `raw` overwrites `prev` from the left.
pub fn sanitize_over(prev: &StyledLine, raw: &[u8], opts: &SanitizeOptions) -> StyledLine {
    let raw = super::redact::redact_bytes(raw);
    let raw = raw.as_ref();
    let parsed = Parser::run(raw, opts);
    compose(Some(prev), &parsed, raw.len(), opts.max_chars)
}

/// What a view should do with a sanitised line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    /// Append a new line.
    New(StyledLine),
    /// Replace the last line: it was a `\r` progress line and this is its next state.
    ReplaceLast(StyledLine),
}

/// Treats consecutive `\r`-rewrites as one updating line (the Deploy view's progress bars).
///
/// Contract: lines are split on `\n` with `\r\n` already removed, so a line that still ends
/// with `\r` is a progress line whose cursor went back to column 0 and whose next output
/// lands on the same terminal row. Feeds that read a stream emit such partial lines when
/// output pauses after a `\r` (see `feeds::logs::LineSplitter`).
#[derive(Debug, Clone, Default)]
pub struct RewriteJoiner {
    open: bool,
}

impl RewriteJoiner {
    /// `last` is the line currently shown last (the one an open rewrite replaces).
    pub fn push(
        &mut self,
        last: Option<&StyledLine>,
        raw: &[u8],
        opts: &SanitizeOptions,
    ) -> Rewrite {
        let was_open = std::mem::replace(&mut self.open, raw.last() == Some(&b'\r'));
        match last {
            Some(prev) if was_open => Rewrite::ReplaceLast(sanitize_over(prev, raw, opts)),
            _ => Rewrite::New(sanitize(raw, opts)),
        }
    }

    /// Forget an open rewrite (a gap marker or a new deployment came in between).
    pub fn close(&mut self) {
        self.open = false;
    }

    pub fn is_open(&self) -> bool {
        self.open
    }
}

/// Printable ASCII, or valid UTF-8 with nothing to remove, and short enough: copy as is.
fn fast_path(raw: &[u8], opts: &SanitizeOptions) -> Option<StyledLine> {
    // Branch-free over the bytes so the compiler vectorises it.
    let mut control = false;
    let mut high = false;
    for &b in raw {
        control |= (b < 0x20) || (b == 0x7f);
        high |= b >= 0x80;
    }
    if control {
        return None;
    }
    if !high {
        let text = std::str::from_utf8(raw).ok()?;
        if raw.len() <= opts.max_chars {
            return Some(StyledLine::from_clean(text.into()));
        }
        let mut out = String::with_capacity(opts.max_chars + 48);
        out.push_str(&text[..opts.max_chars]);
        let at = out.len();
        push_marker(&mut out, raw.len());
        return Some(StyledLine::from_parts(out, Vec::new(), Some(at)));
    }
    let text = std::str::from_utf8(raw).ok()?;
    let mut chars = 0usize;
    for c in text.chars() {
        if removed(c) || matches!(c, '\u{2028}' | '\u{2029}') {
            return None;
        }
        chars += 1;
    }
    (chars <= opts.max_chars).then(|| StyledLine::from_clean(text.into()))
}

fn push_marker(out: &mut String, raw_len: usize) {
    out.push_str(" … [line truncated: ");
    out.push_str(&group_thousands(raw_len as u64));
    out.push_str(" bytes]");
}

/// `1234567` → `1,234,567`, for counts shown to people.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Characters dropped outright: C0 and C1 controls, DEL, and the bidi controls
/// (embeddings, overrides, isolates and the invisible direction marks) that would let a
/// line of text visually reorder itself: `abc\u{202e}fed` must not read as `abcdef`.
pub fn removed(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x1f'
            | '\x7f'..='\u{9f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{061c}'
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    /// After ESC.
    Esc,
    /// ESC followed by intermediates (charset designations and the like).
    EscInter,
    Csi,
    /// A malformed CSI: swallowed up to its final byte.
    CsiIgnore,
    /// OSC, DCS, SOS, PM or APC: swallowed up to BEL or ST.
    Str,
    /// ESC inside a string: `\` ends it (ST), anything else aborts it.
    StrEsc,
}

/// One stretch of the line between cursor returns to column 0.
#[derive(Debug, Clone)]
struct Seg {
    /// Byte range in `Parsed::clean`.
    start: usize,
    end: usize,
    /// Display columns written.
    width: usize,
    chars: usize,
    /// An erase-in-line blanked whatever earlier segments had left on the row.
    erases: bool,
    truncated: bool,
}

impl Seg {
    fn at(start: usize) -> Self {
        Seg {
            start,
            end: start,
            width: 0,
            chars: 0,
            erases: false,
            truncated: false,
        }
    }
}

/// The line with everything but text and SGR removed, split into segments.
struct Parsed {
    /// Text and SGR sequences; segments are separated by `\r` so that ansi-to-tui carries the
    /// current style across them, as a terminal does.
    clean: String,
    segs: Vec<Seg>,
    has_sgr: bool,
}

struct Parser<'o> {
    opts: &'o SanitizeOptions,
    state: State,
    /// Parameter bytes of the CSI being read (bounded: longer ones are ignored).
    params: String,
    intermediate: bool,
    out: Parsed,
}

const MAX_CSI_PARAMS: usize = 64;

impl<'o> Parser<'o> {
    fn run(raw: &[u8], opts: &'o SanitizeOptions) -> Parsed {
        let mut p = Parser {
            opts,
            state: State::Ground,
            params: String::new(),
            intermediate: false,
            out: Parsed {
                clean: String::with_capacity(raw.len().min(opts.max_chars * 4) + 8),
                segs: vec![Seg::at(0)],
                has_sgr: false,
            },
        };
        for chunk in raw.utf8_chunks() {
            for c in chunk.valid().chars() {
                p.step(c);
            }
            if !chunk.invalid().is_empty() {
                p.step(char::REPLACEMENT_CHARACTER);
            }
        }
        p.close_segment();
        p.out
    }

    fn seg(&mut self) -> &mut Seg {
        // `segs` always holds the open segment: it starts with one and only grows.
        let last = self.out.segs.len() - 1;
        &mut self.out.segs[last]
    }

    fn close_segment(&mut self) {
        let end = self.out.clean.len();
        self.seg().end = end;
    }

    fn carriage_return(&mut self) {
        self.close_segment();
        self.out.clean.push('\r');
        let start = self.out.clean.len();
        self.out.segs.push(Seg::at(start));
    }

    fn step(&mut self, c: char) {
        match self.state {
            State::Ground => self.ground(c),
            State::Esc => match c {
                '[' => self.start_csi(),
                ']' | 'P' | 'X' | '^' | '_' => self.state = State::Str,
                '\x20'..='\x2f' => self.state = State::EscInter,
                '\x30'..='\x7e' => self.state = State::Ground,
                '\x1b' => {}
                _ => {
                    self.state = State::Ground;
                    self.ground(c);
                }
            },
            State::EscInter => match c {
                '\x20'..='\x2f' => {}
                '\x30'..='\x7e' => self.state = State::Ground,
                '\x1b' => self.state = State::Esc,
                _ => {
                    self.state = State::Ground;
                    self.ground(c);
                }
            },
            State::Csi => match c {
                '\x30'..='\x3f' if !self.intermediate && self.params.len() < MAX_CSI_PARAMS => {
                    self.params.push(c);
                }
                '\x30'..='\x3f' => self.state = State::CsiIgnore,
                '\x20'..='\x2f' => self.intermediate = true,
                '\x40'..='\x7e' => {
                    self.state = State::Ground;
                    self.dispatch_csi(c);
                }
                '\x1b' => self.state = State::Esc,
                // Terminals execute C0 controls met inside a CSI; the only ones that mean
                // anything here are the cursor return and the tab.
                '\r' | '\t' => self.ground(c),
                '\0'..='\x1f' => {}
                _ => self.state = State::CsiIgnore,
            },
            State::CsiIgnore => match c {
                '\x40'..='\x7e' => self.state = State::Ground,
                '\x1b' => self.state = State::Esc,
                _ => {}
            },
            State::Str => match c {
                '\x07' | '\u{9c}' => self.state = State::Ground,
                '\x1b' => self.state = State::StrEsc,
                _ => {}
            },
            State::StrEsc => {
                if c == '\\' {
                    self.state = State::Ground;
                } else {
                    self.state = State::Esc;
                    self.step(c);
                }
            }
        }
    }

    fn start_csi(&mut self) {
        self.state = State::Csi;
        self.params.clear();
        self.intermediate = false;
    }

    fn ground(&mut self, c: char) {
        match c {
            '\x1b' => self.state = State::Esc,
            // 8-bit C1 introducers, as some terminals honour them even in UTF-8.
            '\u{9b}' => self.start_csi(),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => self.state = State::Str,
            '\r' => self.carriage_return(),
            '\t' => {
                let tab = self.opts.tab_width.max(1);
                let spaces = tab - self.seg().width % tab;
                for _ in 0..spaces {
                    self.emit(' ');
                }
            }
            '\u{2028}' | '\u{2029}' => self.emit(' '),
            c if removed(c) => {}
            c => self.emit(c),
        }
    }

    fn emit(&mut self, c: char) {
        let max = self.opts.max_chars;
        let seg = self.seg();
        if seg.chars >= max {
            seg.truncated = true;
            return;
        }
        seg.chars += 1;
        seg.width += c.width().unwrap_or(0);
        self.out.clean.push(c);
    }

    fn dispatch_csi(&mut self, fin: char) {
        if self.intermediate {
            return;
        }
        let params = std::mem::take(&mut self.params);
        let p = params.as_str();
        match fin {
            // SGR with plain numeric parameters (colon sub-parameters and private markers
            // are not understood downstream, so they are dropped rather than half-applied).
            'm' if p.bytes().all(|b| b.is_ascii_digit() || b == b';') && !self.seg().truncated => {
                self.out.has_sgr = true;
                self.out.clean.push_str("\x1b[");
                self.out.clean.push_str(p);
                self.out.clean.push('m');
            }
            // Erase to end of line, or the whole line.
            'K' if matches!(p, "" | "0" | "2") => self.seg().erases = true,
            // Cursor to column 1: a carriage return in other words.
            'G' if matches!(p, "" | "0" | "1") => self.carriage_return(),
            _ => {}
        }
        // Hand the buffer back so its allocation is reused by the next sequence.
        self.params = params;
    }
}

/// A piece of a segment's text with its style.
type Piece<'a> = (&'a str, Style);

/// Builds the final line: for each column, what the last segment to write it left there.
fn compose(
    prev: Option<&StyledLine>,
    parsed: &Parsed,
    raw_len: usize,
    max_chars: usize,
) -> StyledLine {
    let clean = parsed.clean.as_str();
    let clean_bytes = clean.as_bytes();
    // Styled pieces of each segment, with the style carried across `\r` like a terminal.
    let styled = if parsed.has_sgr {
        clean_bytes.to_text().ok()
    } else {
        None
    };
    // If ansi-to-tui ever gives up, keep the text and lose the colours.
    let stripped: Vec<String> = if parsed.has_sgr && styled.is_none() {
        parsed
            .segs
            .iter()
            .map(|seg| strip_sgr(&clean[seg.start..seg.end]))
            .collect()
    } else {
        Vec::new()
    };
    let mut pieces: Vec<Vec<Piece<'_>>> = parsed
        .segs
        .iter()
        .enumerate()
        .map(|(i, seg)| match (&styled, stripped.get(i)) {
            (Some(text), _) => text.lines.get(i).map_or_else(Vec::new, |line| {
                line.spans
                    .iter()
                    .map(|s| (s.content.as_ref(), normalise(s.style)))
                    .collect()
            }),
            (None, Some(plain)) => vec![(plain.as_str(), Style::default())],
            (None, None) => vec![(&clean[seg.start..seg.end], Style::default())],
        })
        .collect();
    let mut widths: Vec<usize> = parsed.segs.iter().map(|s| s.width).collect();
    let mut erases: Vec<bool> = parsed.segs.iter().map(|s| s.erases).collect();
    let mut truncated: Vec<bool> = parsed.segs.iter().map(|s| s.truncated).collect();
    if let Some(prev) = prev {
        let prev_pieces: Vec<Piece<'_>> = prev
            .segments()
            .map(|(r, style)| (&prev.text()[r], style))
            .collect();
        let prev_width = prev.text().chars().map(|c| c.width().unwrap_or(0)).sum();
        pieces.insert(0, prev_pieces);
        widths.insert(0, prev_width);
        erases.insert(0, false);
        truncated.insert(0, false);
    }

    // Walk back from the last segment: each earlier one shows only past what later ones
    // covered, and nothing shows from before an erase.
    let mut parts: Vec<(usize, usize, usize)> = Vec::new();
    let mut covered = 0usize;
    for i in (0..pieces.len()).rev() {
        if widths[i] > covered {
            parts.push((i, covered, widths[i]));
            covered = widths[i];
        }
        if erases[i] {
            break;
        }
    }

    let mut text = String::new();
    let mut runs: Vec<StyleRun> = Vec::new();
    for &(i, from, to) in &parts {
        slice_columns(&pieces[i], from, to, &mut text, &mut runs);
    }
    let mut cut = parts.last().is_some_and(|&(i, _, _)| truncated[i]);
    // Overlaid segments (wide characters under narrow ones) can add up to more characters
    // than any one segment had: the limit holds for the result too.
    if let Some((at, _)) = text.char_indices().nth(max_chars) {
        text.truncate(at);
        runs.retain_mut(|r| {
            r.end = r.end.min(at as u32);
            r.start < r.end
        });
        cut = true;
    }
    let marker_at = cut.then(|| {
        let at = text.len();
        push_marker(&mut text, raw_len);
        at
    });
    StyledLine::from_parts(text, runs, marker_at)
}

/// Appends the columns `from..to` of a segment to `text`, recording style runs.
fn slice_columns(
    pieces: &[Piece<'_>],
    from: usize,
    to: usize,
    text: &mut String,
    runs: &mut Vec<StyleRun>,
) {
    let mut col = 0usize;
    for &(content, style) in pieces {
        let start = text.len();
        for c in content.chars() {
            let w = c.width().unwrap_or(0);
            if w > 0 && col >= to {
                break;
            }
            if col >= from {
                // Zero-width characters belong to the character before them: keep them
                // only if that one was kept.
                if w > 0 || col > from || from == 0 {
                    text.push(c);
                }
            } else if col + w > from {
                // A wide character whose left half a later segment overwrote.
                for _ in from..col + w {
                    text.push(' ');
                }
            }
            col += w;
        }
        push_run(runs, start, text.len(), style);
        if col >= to {
            break;
        }
    }
}

fn push_run(runs: &mut Vec<StyleRun>, start: usize, end: usize, style: Style) {
    if start == end || style == Style::default() {
        return;
    }
    if let Some(last) = runs.last_mut()
        && last.end as usize == start
        && last.style == style
    {
        last.end = end as u32;
        return;
    }
    runs.push(StyleRun {
        start: start as u32,
        end: end as u32,
        style,
    });
}

/// ansi-to-tui returns `Reset` colours for SGR 0/39/49; as a stored style that would paint
/// over the view's own background (selection, highlight), so a reset means "inherit".
fn normalise(s: Style) -> Style {
    Style {
        fg: s.fg.filter(|c| *c != Color::Reset),
        bg: s.bg.filter(|c| *c != Color::Reset),
        add_modifier: s.add_modifier,
        ..Style::default()
    }
}

/// A clean segment without its SGR sequences (the only escapes a clean segment holds).
fn strip_sgr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(esc) = rest.find('\x1b') {
        out.push_str(&rest[..esc]);
        rest = &rest[esc..];
        rest = rest.find('m').map_or("", |m| &rest[m + 1..]);
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(raw: &[u8]) -> String {
        sanitize(raw, &SanitizeOptions::default())
            .text()
            .to_string()
    }

    #[test]
    fn plain_ascii_is_copied() {
        assert_eq!(clean(b"hello world"), "hello world");
        assert_eq!(clean("héllo → µs".as_bytes()), "héllo → µs");
    }

    #[test]
    fn sgr_becomes_styles() {
        let line = sanitize(b"a\x1b[31mred\x1b[0m b", &SanitizeOptions::default());
        assert_eq!(line.text(), "ared b");
        assert_eq!(line.runs().len(), 1);
        assert_eq!(line.runs()[0].start, 1);
        assert_eq!(line.runs()[0].end, 4);
        assert_eq!(line.runs()[0].style.fg, Some(Color::Red));
    }

    #[test]
    fn other_sequences_are_removed() {
        assert_eq!(clean(b"\x1b[2J\x1b[Hcleared"), "cleared");
        assert_eq!(clean(b"\x1b]0;evil title\x07ok"), "ok");
        assert_eq!(clean(b"\x1b]52;c;aGVsbG8=\x1b\\ok"), "ok");
        assert_eq!(clean(b"\x1bPq#0;2;0;0;0\x1b\\dcs"), "dcs");
        assert_eq!(clean(b"\x1b[200~pasted\x1b[201~"), "pasted");
        assert_eq!(clean(b"a\x07b\x08c\x00d\x7fe"), "abcde");
        assert_eq!(clean("x\u{9b}31my\u{9d}0;t\u{9c}z".as_bytes()), "xyz");
        assert_eq!(clean(b"\x1b(Bcharset"), "charset");
        assert_eq!(clean("a\u{202e}b".as_bytes()), "ab");
        // Every bidi control, the fast path (no other escape) included.
        for bidi in [
            '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}',
        ] {
            assert_eq!(
                clean(format!("v1.2{bidi}3").as_bytes()),
                "v1.23",
                "{bidi:?}"
            );
        }
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(clean(b"a\xffb\xc3"), "a\u{fffd}b\u{fffd}");
    }

    #[test]
    fn tabs_expand_to_stops() {
        assert_eq!(clean(b"a\tb"), "a       b");
        assert_eq!(clean(b"abcdefgh\tb"), "abcdefgh        b");
    }

    #[test]
    fn long_lines_are_cut_with_a_marker() {
        let opts = SanitizeOptions {
            max_chars: 10,
            ..Default::default()
        };
        let long = "x".repeat(50);
        let line = sanitize(long.as_bytes(), &opts);
        assert!(line.text().starts_with("xxxxxxxxxx …"));
        assert!(line.text().contains("50 bytes"));
        assert_eq!(line.truncation_marker(), Some(10));
        let long_tab = format!("\t{long}");
        let line = sanitize(long_tab.as_bytes(), &opts);
        assert_eq!(line.truncation_marker(), Some(10));
    }

    #[test]
    fn carriage_returns_keep_what_a_terminal_shows() {
        assert_eq!(clean(b"10%\r20%\r100%"), "100%");
        assert_eq!(clean(b"downloading 10%\rDONE"), "DONEloading 10%");
        assert_eq!(clean(b"downloading 10%\r\x1b[KDONE"), "DONE");
        assert_eq!(clean(b"abc\r"), "abc");
        assert_eq!(clean(b"abc\x1b[1Gx"), "xbc");
        assert_eq!(clean("漢字\rx".as_bytes()), "x 字");
    }

    #[test]
    fn style_carries_across_carriage_returns() {
        let line = sanitize(b"\x1b[32mold text\rnew", &SanitizeOptions::default());
        assert_eq!(line.text(), "new text");
        assert_eq!(line.runs().len(), 1);
        assert_eq!(line.runs()[0].end, 8);
    }

    #[test]
    fn joiner_updates_the_progress_line() {
        let opts = SanitizeOptions::default();
        let mut j = RewriteJoiner::default();
        let Rewrite::New(a) = j.push(None, b"copying 10%\r", &opts) else {
            panic!("first line must be new");
        };
        assert_eq!(a.text(), "copying 10%");
        let Rewrite::ReplaceLast(b) = j.push(Some(&a), b"copying 50%\r", &opts) else {
            panic!("a rewrite replaces");
        };
        assert_eq!(b.text(), "copying 50%");
        let Rewrite::ReplaceLast(c) = j.push(Some(&b), b"done", &opts) else {
            panic!("a rewrite replaces");
        };
        assert_eq!(c.text(), "doneing 50%");
        assert!(matches!(j.push(Some(&c), b"next", &opts), Rewrite::New(_)));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(1234567), "1,234,567");
    }
}
