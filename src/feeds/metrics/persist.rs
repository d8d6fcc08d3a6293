//! Metric history kept in the state directory, so a restarted dashboard still has the
//! healthy period before a change to judge it by. One JSON file per release, rewritten
//! whole (to a temporary file, then renamed) every few rounds; bounded like the histories.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::history::Point;

/// What is saved: per stack, per series name, the displayed window and the older
/// baseline points.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub saved_at: Option<DateTime<Utc>>,
    pub stacks: HashMap<String, Vec<SavedSeries>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSeries {
    pub name: String,
    pub points: Vec<Point>,
    pub before: Vec<Point>,
}

/// Larger files are not read: a history is a few hundred points per series.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a saved history; a missing file is an empty one, a damaged one an error to show.
pub fn load(path: &Path) -> Result<Saved, String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Saved::default()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "{} is {} bytes, more than a metric history can be; ignored",
            path.display(),
            meta.len()
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{} is damaged ({e}); starting without it", path.display()))
}

/// Writes atomically: a crash mid-write leaves the previous file whole.
pub fn save(path: &Path, saved: &Saved) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_vec(saved).map_err(std::io::Error::other)?;
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m/history.json");
        assert_eq!(load(&path).unwrap(), Saved::default());
        let mut saved = Saved {
            saved_at: Some(Utc::now()),
            ..Saved::default()
        };
        saved.stacks.insert(
            "www".into(),
            vec![SavedSeries {
                name: "errors".into(),
                points: vec![Point {
                    at: Utc::now(),
                    value: Some(0.5),
                    traffic: None,
                }],
                before: Vec::new(),
            }],
        );
        save(&path, &saved).unwrap();
        assert_eq!(load(&path).unwrap(), saved);
        std::fs::write(&path, "{not json").unwrap();
        assert!(load(&path).unwrap_err().contains("damaged"));
    }
}
