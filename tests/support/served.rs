//! `slipway demo --serve` as a separate process, as a second terminal runs it: the
//! simulated environment a test's CLI commands and dashboards talk to. Killed on drop.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Serve {
    pub child: Child,
    /// The config it wrote, pointing at it.
    pub config: PathBuf,
    /// `XDG_STATE_HOME` for every slipway of the test.
    pub state: tempfile::TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts it with fast deployments (30 ms a step) and waits for its config.
pub fn serve() -> Serve {
    let state = tempfile::tempdir().expect("state dir");
    let config = state.path().join("demo.toml");
    let child = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(["demo", "--serve", "--step-ms", "30", "--write-config"])
        .arg(&config)
        .env("XDG_STATE_HOME", state.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("slipway demo --serve starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !config.exists() {
        assert!(Instant::now() < deadline, "the config was not written");
        std::thread::sleep(Duration::from_millis(50));
    }
    Serve {
        child,
        config,
        state,
    }
}
