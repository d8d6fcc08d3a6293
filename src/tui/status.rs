//! The status line: the latest message, with older ones kept (bounded) for the help view.

use std::collections::VecDeque;

use chrono::{DateTime, Local};

const KEEP: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        let m = Message {
            level,
            text: crate::text::one_line(&text.into(), 500),
            at: Local::now(),
        };
        if self.history.len() == KEEP {
            self.history.pop_front();
        }
        self.history.push_back(m.clone());
        self.current = Some(m);
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
