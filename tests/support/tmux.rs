//! Drives a real terminal program in tmux: start it, read the screen, press keys.
//! Each session gets its own tmux server socket so tests never touch the user's tmux.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
    pub dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts `command` (a shell line) in a `w`×`h` terminal. The line's exit status is
    /// written to `exit` in the session's directory when it ends.
    pub fn start(command: &str, w: u16, h: u16) -> Tmux {
        let found = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "tmux is needed for end-to-end tests (apt-get install tmux)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = format!("slipway-test-{}-{}", std::process::id(), fastrand::u32(..));
        let exit = dir.path().join("exit");
        let line = format!("{command}; echo $? > {}; sleep 600", exit.display());
        let t = Tmux { socket, dir };
        t.tmux(&[
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
            &line,
        ]);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env("TERM", "xterm-256color")
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "main"])
    }

    /// Presses keys as tmux names them (`Enter`, `q`, `C-c`, `Tab`…).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Waits until the screen satisfies `pred`; on timeout, fails showing the screen.
    pub fn wait_for(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() <= deadline,
                "timed out after {secs}s waiting for {what}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn wait_text(&self, text: &str, secs: u64) -> String {
        self.wait_for(&format!("'{text}'"), secs, |s| s.contains(text))
    }

    /// The program's exit status, once it has ended.
    pub fn wait_exit(&self, secs: u64) -> i32 {
        let path: PathBuf = self.dir.path().join("exit");
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Ok(s) = std::fs::read_to_string(&path)
                && let Ok(code) = s.trim().parse()
            {
                return code;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "the program did not exit within {secs}s; the screen:\n{}",
            self.screen()
        );
    }

    /// Whether the pane is in the alternate screen (a full-screen program still owns it).
    pub fn alternate_screen(&self) -> bool {
        self.tmux(&["display", "-p", "-t", "main", "#{alternate_on}"])
            .trim()
            == "1"
    }

    /// The pid of the program running in the pane's shell.
    pub fn pane_pid(&self) -> u32 {
        self.tmux(&["display", "-p", "-t", "main", "#{pane_pid}"])
            .trim()
            .parse()
            .unwrap_or(0)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}
