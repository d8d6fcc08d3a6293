//! The logs followed this session, one per (stack, instance), so that going back to an
//! instance shows what was read from it before. Bounded twice: a number of streams, and a
//! total of lines held across them (the followed stream alone may fill its own buffer),
//! the least recently shown going first. The stream being followed is never evicted.

use crate::config::LogsConfig;
use crate::feeds::logs::{LineBatch, LogFeedEvent, SourceStatus};
use crate::model::StackId;
use crate::text::{SanitizeOptions, sanitize};
use crate::tui::logview::LogViewState;

/// Streams kept at most.
pub const MAX_STREAMS: usize = 8;

/// One instance's log as read this session.
#[derive(Debug)]
pub struct Stream {
    pub stack: StackId,
    pub instance: String,
    /// The source in words (`ssh web-1:/var/log/app.log`).
    pub description: String,
    pub status: SourceStatus,
    /// The last failure, until the source follows again (its message outlives the
    /// "reconnecting in Ns" that replaces it as the status).
    pub failure: Option<String>,
    /// Since when the source has been failing (the clock handed to the pane), for the age
    /// in the title; cleared when it follows again.
    pub failing_since: Option<chrono::DateTime<chrono::Utc>>,
    pub view: LogViewState,
    /// The engine follows this one now.
    pub live: bool,
    /// Times the engine started following it (a second time re-reads some history).
    pub followed: u32,
    /// When it stopped being followed (local `HH:MM:SS`).
    left_at: Option<String>,
    /// Followed again: the next batch starts with history we may hold already.
    resume: Option<Resume>,
    /// When it was last shown or followed, for eviction.
    used: u64,
}

impl Stream {
    fn new(stack: StackId, instance: String, view: LogViewState) -> Self {
        Stream {
            stack,
            instance,
            description: String::new(),
            status: SourceStatus::Connecting,
            failure: None,
            failing_since: None,
            view,
            live: false,
            followed: 0,
            left_at: None,
            resume: None,
            used: 0,
        }
    }

    /// Applies a feed event at `now`; statuses go to the title, the rest to the view.
    pub fn apply(&mut self, event: &LogFeedEvent, now: chrono::DateTime<chrono::Utc>) {
        match event {
            LogFeedEvent::Status(status) => {
                match status {
                    SourceStatus::Failed(m) => {
                        self.failure = Some(m.clone());
                        self.failing_since.get_or_insert(now);
                    }
                    SourceStatus::Following => {
                        self.failure = None;
                        self.failing_since = None;
                    }
                    _ => {}
                }
                self.status = status.clone();
            }
            LogFeedEvent::Lines { lines, dropped } if self.resume.is_some() => {
                if let Some(resume) = self.resume.take() {
                    self.view.add_dropped(*dropped);
                    resume.apply(lines, &mut self.view);
                }
            }
            other => self.view.apply(other),
        }
    }

    /// Followed again after a while: a source starts with the last lines of the log, and
    /// the first of those may be lines this view holds already. Remember where the view
    /// ends, so they can be recognised and skipped.
    pub fn resume(&mut self, sanitize: SanitizeOptions) {
        let held: Vec<&str> = self.view.lines().filter(|l| !is_marker(l)).collect();
        let anchor = held[held.len().saturating_sub(ANCHOR_LINES)..]
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        self.resume = Some(Resume {
            anchor,
            left_at: self.left_at.clone(),
            sanitize,
        });
    }
}

/// Lines that must match, in order, for a place in the new history to count as where the
/// view ended.
const ANCHOR_LINES: usize = 3;

/// Markers are ours (`— reason —`), never lines from the source.
fn is_marker(text: &str) -> bool {
    text.starts_with("— ") && text.ends_with(" —")
}

#[derive(Debug)]
struct Resume {
    /// The last lines the view held (oldest first).
    anchor: Vec<String>,
    left_at: Option<String>,
    sanitize: SanitizeOptions,
}

impl Resume {
    /// Adds the first batch after following again: the lines up to where the view ended
    /// are skipped when that place is found; a marker says what happened either way.
    fn apply(self, lines: &LineBatch, view: &mut LogViewState) {
        let texts: Vec<String> = lines
            .iter()
            .map(|raw| sanitize(raw, &self.sanitize).text().to_string())
            .collect();
        let k = self.anchor.len();
        // Where the view ended: the first place the last lines held end, so that nothing
        // new is ever skipped. A history shorter than that may start partway into them.
        let end = (0..texts.len()).find(|&i| {
            let m = (i + 1).min(k);
            m > 0 && texts[i + 1 - m..=i].iter().eq(self.anchor[k - m..].iter())
        });
        let away = self
            .left_at
            .map(|t| format!(" (not followed since {t})"))
            .unwrap_or_default();
        let now = chrono::Local::now().format("%H:%M:%S");
        match end {
            Some(i) => {
                view.push_marker(&format!("— following again at {now}{away} —"));
                view.push_lines(lines.iter().skip(i + 1));
            }
            None => {
                view.push_marker(&format!(
                    "— following again at {now}{away}; lines in between may be missing or repeated —"
                ));
                view.push_lines(lines.iter());
            }
        }
    }
}

#[derive(Debug)]
pub struct Streams {
    list: Vec<Stream>,
    /// Lines all streams together may hold.
    line_budget: usize,
    logs: LogsConfig,
    clock: u64,
}

impl Streams {
    pub fn new(logs: &LogsConfig) -> Self {
        Streams {
            list: Vec::new(),
            // The followed stream can fill a whole buffer; the others share another.
            line_budget: logs.buffer_lines.saturating_mul(2).max(1),
            logs: logs.clone(),
            clock: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn position(&self, stack: &StackId, instance: &str) -> Option<usize> {
        self.list
            .iter()
            .position(|s| &s.stack == stack && s.instance == instance)
    }

    pub fn get(&self, stack: &StackId, instance: &str) -> Option<&Stream> {
        self.position(stack, instance).map(|i| &self.list[i])
    }

    pub fn get_mut(&mut self, stack: &StackId, instance: &str) -> Option<&mut Stream> {
        self.position(stack, instance).map(|i| &mut self.list[i])
    }

    /// The stream for (stack, instance), made if new. A new view takes its display
    /// options (filter, wrap, timestamps) from `like`, so switching instances keeps them.
    pub fn get_or_insert(
        &mut self,
        stack: &StackId,
        instance: &str,
        like: Option<(&StackId, &str)>,
    ) -> &mut Stream {
        self.clock += 1;
        let i = match self.position(stack, instance) {
            Some(i) => i,
            None => {
                let mut view = LogViewState::for_config(&self.logs);
                if let Some(model) = like.and_then(|(s, i)| self.get(s, i)) {
                    copy_options(&model.view, &mut view);
                }
                self.list
                    .push(Stream::new(stack.clone(), instance.to_string(), view));
                self.list.len() - 1
            }
        };
        self.list[i].used = self.clock;
        &mut self.list[i]
    }

    /// Marks a stream as just looked at (it is evicted last).
    pub fn touch(&mut self, stack: &StackId, instance: &str) {
        self.clock += 1;
        let clock = self.clock;
        if let Some(s) = self.get_mut(stack, instance) {
            s.used = clock;
        }
    }

    /// The most recently used stream of `stack`.
    pub fn latest_of(&self, stack: &StackId) -> Option<&Stream> {
        self.list
            .iter()
            .filter(|s| &s.stack == stack)
            .max_by_key(|s| s.used)
    }

    /// Lines held for (stack, instance), if it has a stream (for the picker).
    pub fn kept_lines(&self, stack: &StackId, instance: &str) -> Option<usize> {
        self.get(stack, instance).map(|s| s.view.len())
    }

    pub fn set_live(&mut self, target: Option<(&StackId, &str)>) {
        for s in &mut self.list {
            let live = target.is_some_and(|(st, i)| &s.stack == st && s.instance == i);
            if s.live && !live {
                s.left_at = Some(chrono::Local::now().format("%H:%M:%S").to_string());
            }
            s.live = live;
        }
    }

    /// How lines are cut, as the views cut them.
    pub fn sanitize_options(&self) -> SanitizeOptions {
        SanitizeOptions {
            max_chars: self.logs.max_line_chars,
            ..SanitizeOptions::default()
        }
    }

    /// Drops least recently used streams that are not followed until both bounds hold.
    pub fn evict(&mut self) {
        loop {
            let total: usize = self.list.iter().map(|s| s.view.len()).sum();
            if self.list.len() <= MAX_STREAMS && total <= self.line_budget {
                return;
            }
            let oldest = self
                .list
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.live)
                .min_by_key(|(_, s)| s.used)
                .map(|(i, _)| i);
            match oldest {
                Some(i) => {
                    self.list.remove(i);
                }
                None => return,
            }
        }
    }

    /// Lines held by all streams together.
    pub fn total_lines(&self) -> usize {
        self.list.iter().map(|s| s.view.len()).sum()
    }
}

fn copy_options(from: &LogViewState, to: &mut LogViewState) {
    if let Some(f) = from.filter() {
        // It parsed once, so it parses again.
        let _ = to.set_filter(f.pattern());
    }
    to.set_wrap(from.wrap());
    to.set_timestamps(from.timestamps());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::logs::LineBatch;

    fn lines(n: usize) -> LogFeedEvent {
        let text: Vec<String> = (0..n).map(|i| format!("line {i}")).collect();
        LogFeedEvent::Lines {
            lines: text
                .iter()
                .map(std::string::String::as_bytes)
                .collect::<LineBatch>(),
            dropped: 0,
        }
    }

    #[test]
    fn keeps_a_bounded_number_of_streams_and_never_the_followed_one() {
        let logs = LogsConfig {
            buffer_lines: 100,
            ..LogsConfig::default()
        };
        let mut s = Streams::new(&logs);
        let stack = StackId::new("sally");
        s.get_or_insert(&stack, "i0", None);
        s.set_live(Some((&stack, "i0")));
        for i in 1..=12 {
            s.get_or_insert(&stack, &format!("i{i}"), None);
            s.evict();
        }
        assert_eq!(s.len(), MAX_STREAMS);
        assert!(s.get(&stack, "i0").is_some(), "the followed stream stays");
        assert!(s.get(&stack, "i1").is_none(), "the oldest other one went");
        assert!(s.get(&stack, "i12").is_some());
    }

    #[test]
    fn keeps_the_total_of_lines_within_budget() {
        let logs = LogsConfig {
            buffer_lines: 100,
            ..LogsConfig::default()
        };
        let mut s = Streams::new(&logs);
        let stack = StackId::new("sally");
        for i in 0..4 {
            let inst = format!("i{i}");
            s.get_or_insert(&stack, &inst, None)
                .apply(&lines(100), Default::default());
            s.set_live(Some((&stack, &inst)));
            s.evict();
        }
        assert!(s.total_lines() <= 200, "{}", s.total_lines());
        assert!(s.get(&stack, "i3").is_some() && s.get(&stack, "i2").is_some());
    }

    fn batch(lines: &[&str]) -> LogFeedEvent {
        LogFeedEvent::Lines {
            lines: lines.iter().map(|l| l.as_bytes()).collect::<LineBatch>(),
            dropped: 0,
        }
    }

    #[test]
    fn following_again_skips_the_history_already_held() {
        let mut s = Streams::new(&LogsConfig::default());
        let stack = StackId::new("sally");
        let a = s.get_or_insert(&stack, "a", None);
        a.apply(&batch(&["1", "2", "3", "4"]), Default::default());
        s.set_live(Some((&stack, "a")));
        s.set_live(None);
        let opts = s.sanitize_options();
        let a = s.get_or_insert(&stack, "a", None);
        a.resume(opts);
        // The source starts again with its last lines: 2, 3, 4 are held, 5 and 6 are new.
        a.apply(&batch(&["2", "3", "4", "5", "6"]), Default::default());
        let lines: Vec<&str> = a.view.lines().collect();
        assert_eq!(lines[..4], ["1", "2", "3", "4"]);
        assert!(lines[4].starts_with("— following again at "), "{lines:?}");
        assert!(lines[4].contains("not followed since"), "{lines:?}");
        assert_eq!(lines[5..], ["5", "6"]);

        // Too much happened meanwhile: everything is kept and the marker says so.
        a.resume(opts);
        a.apply(&batch(&["x", "y"]), Default::default());
        let lines: Vec<&str> = a.view.lines().collect();
        assert!(lines[7].contains("may be missing"), "{lines:?}");
        assert_eq!(lines[8..], ["x", "y"]);
    }

    #[test]
    fn a_new_stream_inherits_the_display_options() {
        let mut s = Streams::new(&LogsConfig::default());
        let stack = StackId::new("sally");
        let first = s.get_or_insert(&stack, "a", None);
        first.view.set_filter("ERROR").unwrap();
        first.view.set_wrap(true);
        let second = s.get_or_insert(&stack, "b", Some((&stack, "a")));
        assert_eq!(
            second
                .view
                .filter()
                .map(crate::text::filter::Filter::pattern),
            Some("ERROR")
        );
        assert!(second.view.wrap());
    }
}
