//! Builds real git repositories with the git command line, for tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct GitRepo {
    pub dir: tempfile::TempDir,
    clock: u64,
}

impl GitRepo {
    pub fn new() -> GitRepo {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = GitRepo {
            dir,
            clock: 1_790_000_000,
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn path_buf(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Runs git with a fixed identity and clock so runs are repeatable; returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let date = format!("{} +0000", self.clock);
        let out = Command::new("git")
            .args(args)
            .current_dir(self.dir.path())
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Writes the files and commits them as `author`; returns the new commit's hash.
    pub fn commit(&mut self, author: &str, subject: &str, files: &[(&str, &str)]) -> String {
        self.clock += 3600;
        for (path, content) in files {
            let full = self.dir.path().join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(full, content).expect("write");
            self.git(&["add", path]);
        }
        let who = format!("{author} <{}@example.com>", author.to_lowercase());
        self.git(&[
            "-c",
            &format!("user.name={author}"),
            "-c",
            &format!("user.email={}@example.com", author.to_lowercase()),
            "commit",
            "-q",
            "--allow-empty",
            "--author",
            &who,
            "-m",
            subject,
        ]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// Moves the clock the next commit is dated from (each commit adds an hour first):
    /// `-3600` dates it like the one before, more goes back in time as a skewed clock.
    pub fn shift_clock(&mut self, seconds: i64) {
        self.clock = self.clock.saturating_add_signed(seconds);
    }

    pub fn checkout(&self, args: &[&str]) {
        let mut all = vec!["checkout", "-q"];
        all.extend_from_slice(args);
        self.git(&all);
    }

    /// `git merge --no-ff` with a GitHub-style subject.
    pub fn merge(&mut self, branch: &str, subject: &str) -> String {
        self.clock += 3600;
        self.git(&[
            "-c",
            "user.name=Merger",
            "-c",
            "user.email=merger@example.com",
            "merge",
            "-q",
            "--no-ff",
            "-m",
            subject,
            branch,
        ]);
        self.head()
    }
}

/// A bare repository on disk: the remote that clones fetch from and push to.
pub struct BareRemote {
    pub dir: tempfile::TempDir,
}

impl BareRemote {
    /// A bare copy of `seed` (its `main` and everything on it).
    pub fn from(seed: &GitRepo) -> BareRemote {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("remote.git");
        seed.git(&[
            "clone",
            "-q",
            "--bare",
            ".",
            target.to_str().expect("utf-8 path"),
        ]);
        BareRemote { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("remote.git")
    }

    /// The remote as a string for config (`remote = "…"`).
    pub fn url(&self) -> String {
        self.path().to_string_lossy().into_owned()
    }

    /// Runs git in the bare repository; returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A file as it is on `main`, byte for byte.
    pub fn file(&self, path: &str) -> String {
        let out = Command::new("git")
            .args(["show", &format!("main:{path}")])
            .current_dir(self.path())
            .output()
            .expect("git runs");
        assert!(out.status.success(), "no {path} on main");
        String::from_utf8(out.stdout).expect("utf-8")
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "main"])
    }

    /// A clone of the remote to work in as someone else would.
    pub fn clone_as_someone(&self) -> GitRepo {
        let repo = GitRepo {
            dir: tempfile::tempdir().expect("temp dir"),
            clock: 1_795_000_000,
        };
        repo.git(&["clone", "-q", &self.url(), "."]);
        repo
    }
}
