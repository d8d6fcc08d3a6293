//! The log view rendered into a `TestBackend`: what a user sees.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use slipway::feeds::logs::GapReason;
use slipway::tui::logview::{LogView, LogViewState, LogViewStyles, SaveScope};

fn draw(state: &mut LogViewState, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let styles = LogViewStyles::default();
    term.draw(|f| f.render_stateful_widget(LogView::new(&styles), f.area(), state))
        .unwrap();
    term.backend().buffer().clone()
}

pub fn row(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol())
        .collect::<String>()
        .trim_end()
        .to_string()
}

pub fn screen(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height).map(|y| row(buf, y)).collect()
}

fn push(state: &mut LogViewState, lines: &[&str]) {
    state.push_lines(lines.iter().map(|l| l.as_bytes()));
}

#[test]
fn follows_the_newest_lines_and_shows_what_was_dropped() {
    let mut s = LogViewState::new(5);
    let lines: Vec<String> = (1..=8).map(|i| format!("line {i}")).collect();
    s.push_lines(lines.iter().map(std::string::String::as_bytes));
    let buf = draw(&mut s, 40, 4);
    let rows = screen(&buf);
    assert!(rows[0].ends_with("3 lines dropped"), "{rows:?}");
    assert_eq!(&rows[1..], ["line 6", "line 7", "line 8"]);
    assert_eq!(s.len(), 5);
    assert_eq!(s.dropped(), 3);
}

#[test]
fn filter_shows_matches_highlighted_and_keeps_the_old_filter_on_a_bad_regex() {
    let mut s = LogViewState::new(100);
    push(
        &mut s,
        &[
            "GET /a 200",
            "upstream Timeout after 5s",
            "GET /b 200",
            "db timeout",
        ],
    );
    s.set_filter("timeout").unwrap();
    let buf = draw(&mut s, 40, 3);
    assert_eq!(
        screen(&buf),
        ["upstream Timeout after 5s", "db timeout", ""]
    );
    // "Timeout" on row 0 starts at column 9, highlighted.
    assert_eq!(buf[(9, 0)].bg, Color::Yellow);
    assert_eq!(buf[(15, 0)].bg, Color::Yellow);
    assert_ne!(buf[(16, 0)].bg, Color::Yellow);
    assert_ne!(buf[(0, 0)].bg, Color::Yellow);

    let err = s.set_filter("/(unclosed/").unwrap_err();
    assert!(err.contains("regex"), "{err}");
    assert_eq!(s.filter().unwrap().pattern(), "timeout");

    s.set_filter("/^GET .* 200$/").unwrap();
    let buf = draw(&mut s, 40, 3);
    assert_eq!(screen(&buf), ["GET /a 200", "GET /b 200", ""]);

    // New lines are checked against the filter as they arrive.
    push(&mut s, &["POST /c 500", "GET /d 200"]);
    let buf = draw(&mut s, 40, 3);
    assert_eq!(screen(&buf), ["GET /a 200", "GET /b 200", "GET /d 200"]);

    s.set_filter("nothing like this").unwrap();
    let buf = draw(&mut s, 40, 3);
    assert_eq!(row(&buf, 0), "no lines match nothing like this");
}

#[test]
fn wrap_splits_long_lines_and_can_be_turned_off() {
    let mut s = LogViewState::new(100);
    push(&mut s, &["short", "0123456789abcdefghijKLMNO"]);
    s.set_wrap(true);
    let buf = draw(&mut s, 10, 4);
    assert_eq!(screen(&buf), ["short", "0123456789", "abcdefghij", "KLMNO"]);
    s.toggle_wrap();
    let buf = draw(&mut s, 10, 4);
    assert_eq!(screen(&buf), ["short", "0123456789", "", ""]);
    // Sideways scrolling when not wrapping.
    s.scroll_right(10);
    let buf = draw(&mut s, 10, 4);
    assert_eq!(row(&buf, 1), "abcdefghij");
}

#[test]
fn wrapped_view_with_a_filter_and_follow() {
    let mut s = LogViewState::new(100);
    s.set_wrap(true);
    s.set_filter("err").unwrap();
    for i in 0..20 {
        let line = format!("{i:02} ERROR something long enough to wrap");
        s.push_raw(line.as_bytes());
        s.push_raw(b"noise");
    }
    let buf = draw(&mut s, 20, 4);
    let rows = screen(&buf);
    // The newest match fills the last rows.
    assert_eq!(rows[2], "19 ERROR something l", "{rows:?}");
    assert_eq!(rows[3], "ong enough to wrap", "{rows:?}");
    assert!(rows.iter().all(|r| !r.contains("noise")), "{rows:?}");
}

#[test]
fn level_words_are_coloured() {
    let mut s = LogViewState::new(10);
    push(
        &mut s,
        &["12:00:00 ERROR boom", r#"{"level":"warn","msg":"slow"}"#],
    );
    let buf = draw(&mut s, 40, 2);
    assert_eq!(buf[(9, 0)].fg, Color::Red);
    assert_eq!(buf[(13, 0)].fg, Color::Red);
    assert_ne!(buf[(15, 0)].fg, Color::Red);
    // A JSON line reads level first, its level word coloured like a plain line's.
    assert!(row(&buf, 1).starts_with("WARN  slow"), "{:?}", row(&buf, 1));
    assert_eq!(buf[(0, 1)].fg, Color::Yellow);
    assert_eq!(buf[(3, 1)].fg, Color::Yellow);
    assert_ne!(buf[(6, 1)].fg, Color::Yellow);
}

#[test]
fn scrolling_up_pauses_and_bottom_resumes() {
    let mut s = LogViewState::new(1000);
    let lines: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
    s.push_lines(lines.iter().map(std::string::String::as_bytes));
    draw(&mut s, 30, 5);
    s.scroll_up(3);
    assert!(!s.is_following());
    assert_eq!(s.selected_text(), Some("line 96"));
    let buf = draw(&mut s, 30, 5);
    assert_eq!(
        screen(&buf),
        ["line 95", "line 96", "line 97", "line 98", "line 99"]
    );
    assert_eq!(
        buf[(0, 1)].bg,
        Color::DarkGray,
        "selected line is highlighted"
    );

    // New lines do not move a paused view; a note says they are there.
    push(&mut s, &["new 1", "new 2"]);
    let buf = draw(&mut s, 30, 5);
    assert_eq!(row(&buf, 0), "line 95");
    assert!(row(&buf, 4).ends_with("↓ 2 new"), "{:?}", screen(&buf));

    s.page_up();
    let buf = draw(&mut s, 30, 5);
    assert_eq!(row(&buf, 0), "line 92", "{:?}", screen(&buf));
    s.top();
    let buf = draw(&mut s, 30, 5);
    assert_eq!(row(&buf, 0), "line 0");

    s.scroll_down(1000);
    assert!(s.is_following(), "reaching the bottom resumes following");
    let buf = draw(&mut s, 30, 5);
    assert_eq!(row(&buf, 4), "new 2");

    s.toggle_follow();
    assert!(!s.is_following());
    assert_eq!(s.selected_text(), Some("new 2"));
    s.toggle_follow();
    assert!(s.is_following());
}

#[test]
fn a_paused_view_keeps_its_place_while_old_lines_are_evicted() {
    let mut s = LogViewState::new(50);
    let lines: Vec<String> = (0..50).map(|i| format!("line {i}")).collect();
    s.push_lines(lines.iter().map(std::string::String::as_bytes));
    draw(&mut s, 30, 3);
    s.scroll_up(10); // line 39
    let before = screen(&draw(&mut s, 30, 3));
    let more: Vec<String> = (50..70).map(|i| format!("line {i}")).collect();
    s.push_lines(more.iter().map(std::string::String::as_bytes));
    let after = screen(&draw(&mut s, 30, 3));
    assert_eq!(before[1], after[1], "rows under the dropped note stay");
    assert!(after[2].starts_with(&before[2]), "{after:?}");
    assert!(after[2].ends_with("↓ 20 new"), "{after:?}");
    assert_eq!(s.selected_text(), Some("line 39"));
}

#[test]
fn clicking_a_row_selects_its_line() {
    let mut s = LogViewState::new(10);
    push(&mut s, &["a", "b", "c"]);
    draw(&mut s, 10, 3);
    s.click_row(1);
    assert_eq!(s.selected_text(), Some("b"));
    assert!(!s.is_following());
}

#[test]
fn gap_markers_and_timestamps() {
    let mut s = LogViewState::new(10);
    push(&mut s, &["before"]);
    s.push_gap(&GapReason::Reconnected {
        after: std::time::Duration::from_secs(5),
    });
    push(&mut s, &["after"]);
    s.set_filter("after").unwrap();
    let buf = draw(&mut s, 60, 3);
    assert_eq!(
        screen(&buf),
        [
            "— reconnected after 5s; lines may be missing —",
            "after",
            ""
        ]
    );
    assert_eq!(buf[(0, 0)].fg, Color::Cyan);
    s.clear_filter();
    s.set_timestamps(true);
    let buf = draw(&mut s, 60, 3);
    let first = row(&buf, 0);
    assert_eq!(first.len(), "HH:MM:SS before".len(), "{first}");
    assert_eq!(&first[2..3], ":");
    assert!(first.ends_with(" before"));
}

#[test]
fn progress_rewrites_are_one_updating_line() {
    let mut s = LogViewState::new(10);
    s.push_raw(b"Deploying stack sally");
    s.push_raw(b"Updating instances 1/6 \x1b[32m[=     ]\x1b[0m\r");
    s.push_raw(b"Updating instances 2/6 \x1b[32m[==    ]\x1b[0m\r");
    assert_eq!(s.len(), 2);
    let buf = draw(&mut s, 40, 2);
    assert_eq!(row(&buf, 1), "Updating instances 2/6 [==    ]");
    assert_eq!(buf[(24, 1)].fg, Color::Green);
    s.push_raw(b"Updating instances 6/6 done");
    s.push_raw(b"Finished");
    assert_eq!(
        s.lines().collect::<Vec<_>>(),
        [
            "Deploying stack sally",
            "Updating instances 6/6 done   ]",
            "Finished"
        ]
    );
}

#[test]
fn save_and_copy_return_data() {
    let mut s = LogViewState::new(10);
    push(&mut s, &["one", "two ERROR", "three"]);
    s.set_filter("error").unwrap();
    assert_eq!(s.save_text(SaveScope::All), "one\ntwo ERROR\nthree\n");
    assert_eq!(s.save_text(SaveScope::Shown), "two ERROR\n");
    s.clear_filter();
    draw(&mut s, 20, 3);
    s.scroll_up(2);
    assert_eq!(s.copy_selected_osc52().unwrap(), "\x1b]52;c;b25l\x07");
}
