//! Log view budgets (issue 5):
//! - ingest through sanitise + ring buffer + filter: at least 1,000,000 lines/s on one core;
//! - a frame of the log view at 200×60 with a full 100,000-line buffer and an active
//!   filter: median under 2 ms.
//!
//! Run: `cargo bench --bench log_ingest`. Criterion prints lines/s (throughput) for ingest
//! and the time per frame for rendering.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use slipway::tui::logview::{LogViewState, LogViewStyles, render};

const CAPACITY: usize = 100_000;
const BATCH: usize = 10_000;

/// Realistic application log lines: mostly plain, a few warnings and errors, and (for the
/// mixed set) some coloured like a deploy job's terminal.
fn lines(n: usize, coloured_every: Option<usize>) -> Vec<Vec<u8>> {
    let paths = [
        "/api/v1/stacks/sally",
        "/health",
        "/api/v1/releases/42/changes",
        "/metrics",
    ];
    (0..n)
        .map(|i| {
            let level = match i % 50 {
                0 => "ERROR",
                1..=3 => "WARN",
                4..=9 => "DEBUG",
                _ => "INFO",
            };
            let line = if coloured_every.is_some_and(|k| i % k == 0) {
                format!(
                    "\x1b[2m2026-11-22T12:00:{:02}.{:03}Z\x1b[0m \x1b[32m{level}\x1b[0m belfrage::http: request_id=req-{i:08x} GET {} -> \x1b[1m200\x1b[0m in {}ms",
                    i % 60,
                    i % 1000,
                    paths[i % paths.len()],
                    i % 97
                )
            } else {
                format!(
                    "2026-11-22T12:00:{:02}.{:03}Z {level} belfrage::http: request_id=req-{i:08x} GET {} -> 200 in {}ms upstream=sally-{} cache=miss",
                    i % 60,
                    i % 1000,
                    paths[i % paths.len()],
                    i % 97,
                    i % 7
                )
            };
            line.into_bytes()
        })
        .collect()
}

/// A view whose buffer is already full, so every push also evicts (the steady state).
fn full_view(filter: Option<&str>, data: &[Vec<u8>]) -> LogViewState {
    let mut state = LogViewState::new(CAPACITY);
    if let Some(f) = filter {
        state.set_filter(f).ok();
    }
    while state.len() < CAPACITY {
        state.push_lines(data.iter().map(Vec::as_slice));
    }
    state
}

fn ingest(c: &mut Criterion) {
    let plain = lines(BATCH, None);
    let mixed = lines(BATCH, Some(10));
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.measurement_time(Duration::from_secs(4));
    for (name, data, filter) in [
        ("plain, no filter", &plain, None),
        ("plain, substring filter", &plain, Some("error")),
        (
            "plain, regex filter",
            &plain,
            Some("/timeout|ERROR|5\\d\\d/"),
        ),
        ("10% coloured, substring filter", &mixed, Some("error")),
    ] {
        let mut state = full_view(filter, data);
        group.bench_function(name, |b| {
            b.iter(|| state.push_lines(black_box(data).iter().map(Vec::as_slice)));
        });
    }
    group.finish();
}

fn frame(c: &mut Criterion) {
    let data = lines(BATCH, Some(10));
    let styles = LogViewStyles::default();
    let area = Rect::new(0, 0, 200, 60);
    let mut group = c.benchmark_group("frame 200x60, 100k lines");
    group.measurement_time(Duration::from_secs(4));
    let cases: [(&str, &str, bool, bool); 4] = [
        ("following, substring filter", "error", false, false),
        (
            "following, regex filter, wrap",
            "/request_id=req-0000|ERROR/",
            true,
            false,
        ),
        (
            "paused mid-buffer, substring filter, wrap",
            "get",
            true,
            true,
        ),
        (
            "following, filter matching every line, timestamps",
            "belfrage",
            false,
            false,
        ),
    ];
    for (name, filter, wrap, paused) in cases {
        let mut state = full_view(Some(filter), &data);
        state.set_wrap(wrap);
        if name.contains("timestamps") {
            state.set_timestamps(true);
        }
        let mut buf = Buffer::empty(area);
        render(&mut state, area, &mut buf, &styles);
        if paused {
            state.scroll_up(state.shown_len() / 2);
        }
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || Buffer::empty(area),
                |buf| render(&mut state, area, buf, &styles),
                BatchSize::SmallInput,
            );
        });
    }
    // A frame right after a batch of new lines arrived (the usual case while following).
    let mut state = full_view(Some("error"), &data);
    let fresh = lines(200, Some(10));
    group.bench_function(
        "following, substring filter, +200 new lines per frame",
        |b| {
            b.iter_batched_ref(
                || Buffer::empty(area),
                |buf| {
                    state.push_lines(fresh.iter().map(Vec::as_slice));
                    render(&mut state, area, buf, &styles);
                },
                BatchSize::SmallInput,
            );
        },
    );
    group.finish();
}

criterion_group!(benches, ingest, frame);
criterion_main!(benches);
