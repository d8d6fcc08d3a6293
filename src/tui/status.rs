//! The status line: the latest message, with older ones kept (bounded) for the help view.

use std::collections::VecDeque;

use chrono::{DateTime, Local};

const KEEP: usize = 200;
/// How long a warning or an error stays on the line against routine news (a chat post
/// went out, a file was saved): those go to the history meanwhile.
const STICKY_SECS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub level: Level,
    pub text: String,
    pub at: DateTime<Local>,
}

#[derive(Debug, Default)]
pub struct StatusLine {
    current: Option<Message>,
    history: VecDeque<Message>,
}

impl StatusLine {
    /// Says something. A failure, flag or abort on the line is not replaced by less
    /// serious news for a while; that news is kept in the history all the same.
    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        let m = self.remember(level, text.into());
        let keep_current = self
            .current
            .as_ref()
            .is_some_and(|c| c.level > level && (m.at - c.at).num_seconds() < STICKY_SECS);
        if !keep_current {
            self.current = Some(m);
        }
    }

    /// Says something that settles what the line says now (a flag cleared): shown even
    /// over an error.
    pub fn resolve(&mut self, level: Level, text: impl Into<String>) {
        let m = self.remember(level, text.into());
        self.current = Some(m);
    }

    fn remember(&mut self, level: Level, text: String) -> Message {
        let m = Message {
            level,
            text: crate::text::one_line(&text, 500),
            at: Local::now(),
        };
        if self.history.len() == KEEP {
            self.history.pop_front();
        }
        self.history.push_back(m.clone());
        m
    }

    pub fn clear(&mut self) -> bool {
        self.current.take().is_some()
    }

    pub fn current(&self) -> Option<&Message> {
        self.current.as_ref()
    }

    pub fn history(&self) -> impl DoubleEndedIterator<Item = &Message> {
        self.history.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routine_news_does_not_replace_a_failure() {
        let mut s = StatusLine::default();
        s.say(Level::Error, "Sally: ▲ errors ×24");
        s.say(Level::Info, "release announcement: #belfrage posted");
        assert_eq!(
            s.current().map(|m| m.text.as_str()),
            Some("Sally: ▲ errors ×24")
        );
        assert_eq!(s.history().count(), 2, "the routine news is kept");
        s.say(Level::Error, "abort sally: refused");
        assert_eq!(s.current().map(|m| m.level), Some(Level::Error));
        s.resolve(Level::Info, "Sally: no longer flagged");
        assert_eq!(s.current().map(|m| m.level), Some(Level::Info));
        s.say(Level::Warn, "Not promoting: out of order");
        assert_eq!(s.current().map(|m| m.level), Some(Level::Warn));
    }
}
