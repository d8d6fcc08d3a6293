//! The terminal front end. Renders state built from engine events; performs no I/O itself.

pub mod logview;
