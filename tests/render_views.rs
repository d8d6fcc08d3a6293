//! What to do next, visibly, and the record on screen: the History view (`H`), the next
//! stack in order, texts shown whole where there is room (authors, long messages), search
//! in Changes, and a commit's patch. Rendered into ratatui's `TestBackend` from a real git
//! history and a real journal file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

mod support;

use std::sync::Arc;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;
use slipway::engine::release::Board;
use slipway::engine::{Answer, Command, Event, Outcome};
use slipway::history::Timeline;
use slipway::journal::{Act, Entry};
use slipway::model::{StackId, StackVersions, Version};
use slipway::tui::app::App;
use slipway::tui::theme::Theme;
use slipway::vcs::{RiskRules, diff};
use support::dashboard::{app_info, board_on};
use support::gitrepo::GitRepo;

const LONG_AUTHOR: &str = "Bartholomew Fitzgerald-Smythe";

struct Fixture {
    app: App,
    board: Board,
    repo: GitRepo,
    test: String,
    /// The commit whose author's name is long, and its id.
    cache_fix: String,
}

/// WWW live; Cedric and Sally one range behind, Bruce the same. Four commits to ship,
/// one by an author with a long name, one touching only a path named `cache`.
fn fixture() -> Fixture {
    let mut r = GitRepo::new();
    let live = r.commit(
        "Alice",
        "Add cache headers (#1201)",
        &[("lib/cache.ex", "one\ntwo\nthree\n")],
    );
    r.commit(
        "Bob",
        "Add routes column (#1230)",
        &[("priv/repo/migrations/1_routes.exs", "m")],
    );
    r.commit("Carol", "Tidy the router", &[("lib/cache_router.ex", "x")]);
    let cache_fix = r.commit(
        LONG_AUTHOR,
        "Fix cache key for personalised pages (#1234)",
        &[("lib/cache.ex", "one\nTWO\nthree\nfour\n")],
    );
    let test = cache_fix.clone();
    let repo = git2::Repository::open(r.path()).expect("repo");
    let board = board_on(&test, [&test, &live, &live, &live]);
    let info = app_info(3);
    let mut app = App::new(info, Theme::load("dark").expect("theme"), board.clone());
    app.freeze_clock("12:04");
    app.on_engine_event(Event::Board(board.clone()));
    let cs = diff(&repo, &live, &test, &RiskRules::defaults()).expect("diff");
    app.on_engine_event(Event::Changes {
        live: Version::new(live.clone()),
        test: Version::new(test.clone()),
        changes: Arc::new(Ok(cs)),
    });
    Fixture {
        app,
        board,
        repo: r,
        test,
        cache_fix,
    }
}

fn render(app: &mut App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| app.render(f)).expect("draw");
    t.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn draw(app: &mut App, w: u16, h: u16) -> String {
    text(&render(app, w, h))
}

fn key(app: &mut App, code: KeyCode) {
    app.on_terminal_event(TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn commands(app: &mut App) -> Vec<Command> {
    app.take_commands().into_iter().map(|r| r.command).collect()
}

/// Where `needle` starts on screen (column, row).
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let s = text(buf);
    s.lines().enumerate().find_map(|(y, line)| {
        let at = line.find(needle)?;
        Some((line[..at].chars().count() as u16, y as u16))
    })
}

// ---- History (H) ----

/// A journal as the engine writes it, in a real file, read back as the engine does.
fn journal_timeline(board: &Board, extra: usize) -> Timeline {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("belfrage.jsonl");
    let mut entries = vec![
        Entry::new(Act::Promote)
            .stack("www")
            .env("live")
            .versions("3f2a1c4d5e6f7a8b9c0d", "9be77d1e2f3a4b5c6d7e"),
        Entry::new(Act::DeployFinished)
            .stack("www")
            .env("live")
            .versions("3f2a1c4d5e6f7a8b9c0d", "9be77d1e2f3a4b5c6d7e")
            .deployment("5639226")
            .outcome("succeeded"),
        Entry::new(Act::Flag)
            .stack("www")
            .series("errors")
            .outcome("spike"),
        Entry::new(Act::Rollback)
            .stack("sally")
            .env("live")
            .versions("9be77d1e2f3a4b5c6d7e", "3f2a1c4d5e6f7a8b9c0d")
            .outcome("failed")
            .detail("health check timed out"),
        Entry::new(Act::Announce).detail("release message sent to chat"),
    ];
    for i in 0..extra {
        entries.push(
            Entry::new(Act::Smoke)
                .stack("bruce")
                .detail(format!("run {i}")),
        );
    }
    for e in &entries {
        slipway::journal::append(&path, e).expect("append");
    }
    let order: Vec<String> = board.stacks.iter().map(|s| s.id.to_string()).collect();
    Timeline::read(&path, &order).expect("read")
}

#[test]
fn history_is_asked_of_the_engine_and_shows_a_timeline_per_stack_at_80x24() {
    let mut f = fixture();
    commands(&mut f.app);
    key(&mut f.app, KeyCode::Char('H'));
    assert!(
        matches!(commands(&mut f.app).as_slice(), [Command::LoadHistory]),
        "H asks the engine for the journal"
    );
    let s = draw(&mut f.app, 80, 24);
    assert!(s.contains("History"), "{s}");
    assert!(s.contains("Reading the journal"), "{s}");

    let timeline = journal_timeline(&f.board, 0);
    f.app.on_engine_event(Event::History(Ok(timeline)));
    let s = draw(&mut f.app, 80, 24);
    let me = slipway::journal::os_user();
    for want in [
        "WWW · 1 promotion/rollback · ⚑ 1 flag",
        "live 3f2a1c4 → 9be77d1",
        "#5639226",
        "succeeded",
        "⚑ flag",
        "errors",
        "Sally",
        "live 9be77d1 → 3f2a1c4",
        "failed",
        "health check",
        "The release",
        me.as_str(),
    ] {
        assert!(s.contains(want), "'{want}' in the history:\n{s}");
    }
    // Stacks in the release's order, newest first within each.
    let www = s.find("WWW · 1").expect("WWW");
    let sally = s.find("Sally ·").expect("Sally");
    assert!(www < sally, "{s}");
    assert!(
        s.find("⚑ flag").unwrap() < s.find("promote live").unwrap(),
        "{s}"
    );

    key(&mut f.app, KeyCode::Esc);
    assert!(!draw(&mut f.app, 80, 24).contains("History"));
}

#[test]
fn a_long_history_scrolls_and_says_what_the_journal_could_not_give() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('H'));
    let timeline = journal_timeline(&f.board, 40);
    f.app.on_engine_event(Event::History(Ok(timeline)));
    let top = draw(&mut f.app, 80, 24);
    assert!(top.contains("run 39"), "newest first:\n{top}");
    assert!(!top.contains("run 0 "), "{top}");
    assert!(!top.contains("The release"), "{top}");
    for _ in 0..60 {
        key(&mut f.app, KeyCode::Char('j'));
    }
    let bottom = draw(&mut f.app, 80, 24);
    assert!(
        bottom.contains("The release"),
        "scrolled to the end:\n{bottom}"
    );
    assert!(!bottom.contains("run 39"), "{bottom}");

    // An unreadable journal is said in the view, not a blank page.
    key(&mut f.app, KeyCode::Char('H'));
    key(&mut f.app, KeyCode::Char('H'));
    f.app.on_engine_event(Event::History(Err(
        "cannot read the journal /x/belfrage.jsonl: permission denied".into(),
    )));
    let s = draw(&mut f.app, 80, 24);
    assert!(s.contains("permission denied"), "{s}");
}

#[test]
fn an_empty_journal_says_what_will_appear() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('H'));
    f.app
        .on_engine_event(Event::History(Ok(Timeline::build(&[], 0, &[]))));
    let s = draw(&mut f.app, 80, 24);
    assert!(s.contains("Nothing recorded yet"), "{s}");
}

// ---- the next stack ----

#[test]
fn the_next_stack_is_marked_and_selected_once_our_promotion_is_live() {
    let mut f = fixture();
    let s = draw(&mut f.app, 200, 60);
    assert!(s.contains("Stacks · 1/4 live · next: Cedric"), "{s}");
    let cedric = s.lines().find(|l| l.contains("2 Cedric ")).unwrap_or("");
    assert!(cedric.contains("[Promote] ◀ next"), "{s}");
    let sally = s.lines().find(|l| l.contains("3 Sally ")).unwrap_or("");
    assert!(!sally.contains("next"), "{s}");
    // At 80 columns the title still names it, and the row keeps the arrow.
    let s = draw(&mut f.app, 80, 24);
    assert!(s.contains("next: Cedric"), "{s}");
    let cedric = s.lines().find(|l| l.contains("2 Cedric ")).unwrap_or("");
    assert!(cedric.contains("[Promote] ◀"), "{s}");

    key(&mut f.app, KeyCode::Char('2'));
    key(&mut f.app, KeyCode::Enter);
    assert!(draw(&mut f.app, 80, 24).contains("Promote Cedric to live?"));
    key(&mut f.app, KeyCode::Enter);
    let sent = f.app.take_commands();
    let req = sent
        .iter()
        .find(|r| matches!(r.command, Command::Promote { .. }))
        .expect("the promotion was sent");
    // The engine: Cedric runs test's version, then its answer.
    let cedric = StackId::new("cedric");
    f.board.apply_versions(
        &cedric,
        StackVersions::pair(
            Version::new(f.test.clone()),
            Version::new(f.test.clone()),
            None,
        ),
    );
    f.app.on_engine_event(Event::Board(f.board.clone()));
    assert_eq!(
        f.app.selected_stack(),
        Some(&cedric),
        "not before the answer"
    );
    f.app.on_engine_event(Event::Answer {
        id: req.id,
        stack: cedric.clone(),
        action: slipway::engine::Action::Promote,
        answer: Answer::Finished(Outcome::Live {
            version: Version::new(f.test.clone()),
        }),
    });
    assert_eq!(f.app.selected_stack(), Some(&StackId::new("sally")));
    let s = draw(&mut f.app, 200, 60);
    assert!(s.contains("2/4 live · next: Sally"), "{s}");
    let sally = s.lines().find(|l| l.contains("3 Sally ")).unwrap_or("");
    assert!(sally.contains("▶3 Sally"), "the selection moved on:\n{s}");
    assert!(s.contains("Sally · live "), "the header follows:\n{s}");
}

#[test]
fn someone_elses_promotion_does_not_move_the_selection() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('2'));
    let cedric = StackId::new("cedric");
    f.board.apply_versions(
        &cedric,
        StackVersions::pair(
            Version::new(f.test.clone()),
            Version::new(f.test.clone()),
            None,
        ),
    );
    f.app.on_engine_event(Event::Board(f.board.clone()));
    f.app.on_engine_event(Event::Answer {
        id: slipway::engine::RequestId::next(),
        stack: cedric.clone(),
        action: slipway::engine::Action::Promote,
        answer: Answer::Finished(Outcome::Live {
            version: Version::new(f.test.clone()),
        }),
    });
    assert_eq!(f.app.selected_stack(), Some(&cedric));
    assert!(draw(&mut f.app, 120, 30).contains("next: Sally"));
}

// ---- texts not cut where there is room ----

#[test]
fn authors_are_shown_whole_when_there_is_room_and_cut_when_narrow() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('2'));
    key(&mut f.app, KeyCode::Tab);
    key(&mut f.app, KeyCode::Char('z'));
    let wide = draw(&mut f.app, 160, 30);
    assert!(wide.contains(LONG_AUTHOR), "{wide}");
    assert!(
        wide.contains("Fix cache key for personalised pages"),
        "{wide}"
    );
    key(&mut f.app, KeyCode::Char('z'));
    // Not zoomed, the Changes pane has less room than the name: cut, with a mark.
    let middle = draw(&mut f.app, 120, 30);
    assert!(!middle.contains(LONG_AUTHOR), "{middle}");
    let row = middle
        .lines()
        .find(|l| l.contains("Bartholomew"))
        .unwrap_or_else(|| panic!("no author:\n{middle}"));
    let name = &row[row.find("Bartholomew").unwrap_or_default()..];
    let name: String = name.chars().take_while(|&c| c != '#').collect();
    assert!(name.trim_end().ends_with('…'), "cut with a mark: {row}");
    // At 80×24 the author is the field a narrow row gives up whole (before the PR number);
    // no stub of a name is left to misread.
    let narrow = draw(&mut f.app, 80, 24);
    assert!(!narrow.contains("Bartholomew"), "{narrow}");
    assert!(narrow.contains("#1234"), "{narrow}");
}

#[test]
fn a_long_error_is_cut_on_the_status_line_and_whole_in_messages() {
    let mut f = fixture();
    let tail = "and the platform said: upstream connect error or disconnect/reset before headers, reset reason: connection termination";
    f.app.on_engine_event(Event::Problem {
        context: "platform".into(),
        message: format!("GET https://deploy.example/api/stacks/sally/versions failed {tail}"),
    });
    let s = draw(&mut f.app, 80, 24);
    // A long message takes the hints row too; what still does not fit ends with the mark.
    let status = s.lines().nth(22).unwrap_or("");
    let below = s.lines().nth(23).unwrap_or("");
    assert!(status.contains("platform: GET"), "{s}");
    assert!(below.contains("… (:messages)"), "{s}");
    assert!(!s.contains("connection termination"), "{s}");

    key(&mut f.app, KeyCode::Char(':'));
    typed(&mut f.app, "messages");
    key(&mut f.app, KeyCode::Enter);
    let s = draw(&mut f.app, 80, 24);
    assert!(s.contains("Messages · newest first"), "{s}");
    assert!(s.contains("connection termination"), "wrapped whole:\n{s}");
    key(&mut f.app, KeyCode::Esc);
    assert!(!draw(&mut f.app, 80, 24).contains("Messages ·"));
}

// ---- search in Changes ----

#[test]
fn search_counts_highlights_and_says_subject_or_path_and_n_moves() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('2'));
    key(&mut f.app, KeyCode::Tab);
    key(&mut f.app, KeyCode::Char('z'));
    key(&mut f.app, KeyCode::Char('/'));
    typed(&mut f.app, "cache");
    key(&mut f.app, KeyCode::Enter);
    let buf = render(&mut f.app, 140, 30);
    let s = text(&buf);
    assert!(
        s.contains("2 matches: 1 in subjects, 1 in paths · n/N next/previous"),
        "{s}"
    );
    // The path match says so, with the path.
    assert!(
        s.contains("path lib/cache_router.ex · Tidy the router"),
        "{s}"
    );
    assert!(!s.contains("Add routes column"), "{s}");
    // The matched text stands out, in the subject and in the path.
    let (x, y) = find(&buf, "Fix cache key").expect("subject on screen");
    let hit = &buf[(x + 4, y)];
    assert_eq!(hit.symbol(), "c");
    assert!(hit.modifier.contains(Modifier::REVERSED), "{hit:?}");
    assert!(!buf[(x, y)].modifier.contains(Modifier::REVERSED));
    let (x, y) = find(&buf, "lib/cache_router").expect("path on screen");
    assert!(buf[(x + 4, y)].modifier.contains(Modifier::REVERSED));

    // n and N move between the matches, wrapping round.
    // The selected row wears the theme's selection background (its first cell inside
    // the pane's border).
    let selection = Theme::load("dark")
        .expect("theme")
        .selection
        .bg
        .expect("a selection background");
    let selected_row = |buf: &Buffer| -> String {
        let s = text(buf);
        let rows: Vec<&str> = s.lines().collect();
        (0..buf.area.height)
            .find(|&y| buf[(1, y)].bg == selection)
            .map(|y| rows[y as usize].to_string())
            .unwrap_or_default()
    };
    let first = selected_row(&buf);
    key(&mut f.app, KeyCode::Char('n'));
    let second = selected_row(&render(&mut f.app, 140, 30));
    assert_ne!(first, second, "n moved");
    key(&mut f.app, KeyCode::Char('n'));
    assert_eq!(selected_row(&render(&mut f.app, 140, 30)), first, "wrapped");
    key(&mut f.app, KeyCode::Char('N'));
    assert_eq!(selected_row(&render(&mut f.app, 140, 30)), second);
}

// ---- the commit's patch ----

#[test]
fn the_commit_view_toggles_to_the_patch_from_the_engine_coloured_and_bounded() {
    let mut f = fixture();
    key(&mut f.app, KeyCode::Char('2'));
    key(&mut f.app, KeyCode::Tab);
    key(&mut f.app, KeyCode::Char('z'));
    commands(&mut f.app);
    key(&mut f.app, KeyCode::Enter); // the newest commit: the cache fix
    let s = draw(&mut f.app, 120, 30);
    assert!(s.contains("Files (1):"), "{s}");
    assert!(s.contains("d patch"), "the hint names the toggle:\n{s}");
    commands(&mut f.app);
    key(&mut f.app, KeyCode::Char('d'));
    let sent = commands(&mut f.app);
    assert!(
        matches!(sent.as_slice(), [Command::Patch { commit }] if *commit == f.cache_fix),
        "{sent:?}"
    );
    assert!(draw(&mut f.app, 120, 30).contains("Reading the patch…"));

    let repo = git2::Repository::open(f.repo.path()).expect("repo");
    let patch = slipway::vcs::patch::patch(&repo, &f.cache_fix).expect("patch");
    f.app.on_engine_event(Event::Patch {
        commit: f.cache_fix.clone(),
        result: Ok(patch),
    });
    let buf = render(&mut f.app, 120, 30);
    let s = text(&buf);
    assert!(
        s.contains("diff --git a/lib/cache.ex b/lib/cache.ex"),
        "{s}"
    );
    assert!(s.contains("@@ "), "{s}");
    assert!(s.contains("d files"), "{s}");
    let theme = Theme::load("dark").expect("theme");
    let (x, y) = find(&buf, "+TWO").expect("added line");
    assert_eq!(
        buf[(x, y)].fg,
        theme.ok.fg.unwrap_or_default(),
        "+ in the ok colour"
    );
    let (x, y) = find(&buf, "-two").expect("removed line");
    assert_eq!(buf[(x, y)].fg, theme.error.fg.unwrap_or_default());
    assert!(!s.contains("truncated"), "{s}");

    // Over its bounds, the patch says it was truncated.
    let small = slipway::vcs::patch::patch_bounded(&repo, &f.cache_fix, 4, 1 << 20).expect("patch");
    assert_eq!(small.lines.len(), 4);
    assert!(small.left_out > 0);
    f.app.on_engine_event(Event::Patch {
        commit: f.cache_fix.clone(),
        result: Ok(small),
    });
    let s = draw(&mut f.app, 120, 30);
    assert!(s.contains("… truncated:"), "{s}");
    assert!(!s.contains("+TWO"), "{s}");

    // d goes back to the files; the patch is kept, not asked again.
    key(&mut f.app, KeyCode::Char('d'));
    assert!(draw(&mut f.app, 120, 30).contains("Files (1):"));
    key(&mut f.app, KeyCode::Char('d'));
    assert!(commands(&mut f.app).is_empty());
}
