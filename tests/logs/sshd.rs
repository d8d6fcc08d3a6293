//! A real OpenSSH server on loopback for the `ssh` source tests: generated host and client
//! keys, a config in a temp dir, a free high port, run in the foreground as the current
//! user. The client side gets its own `ssh_config` (`-F`) with the identity and `known_hosts`
//! in the temp dir, so nothing of the machine's or the user's ssh setup is touched.
//!
//! Without `/usr/sbin/sshd` the tests say so and pass locally, but fail on CI (`CI` set),
//! where openssh-server must be installed.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";

/// The host alias the generated `ssh_config` defines.
pub const HOST: &str = "slipway-test";

pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Sshd {
    /// Keys and configs ready, server not started (so its port is closed). `None` when
    /// sshd is not installed and this is not CI.
    pub fn prepare() -> Option<Sshd> {
        if !Path::new(SSHD).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{SSHD} is missing: the ssh log source tests need openssh-server on CI"
            );
            eprintln!(
                "skipping: {SSHD} not found (apt-get install openssh-server to run the ssh tests)"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for key in ["host_key", "client_key"] {
            run(Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", "slipway-test", "-f"])
                .arg(d.join(key)));
        }
        std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).unwrap();
        let port = free_port();
        let user = run(Command::new("id").arg("-un"));
        let host_pub = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {}\n", host_pub.trim()),
        )
        .unwrap();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {dir}/host_key\n\
                 AuthorizedKeysFile {dir}/authorized_keys\nPidFile {dir}/sshd.pid\n\
                 StrictModes no\nUsePAM no\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
                 PermitRootLogin prohibit-password\nLogLevel ERROR\n",
                dir = d.display()
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("ssh_config"),
            format!(
                "Host {HOST}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n\
                 \x20 IdentityFile {dir}/client_key\n  IdentitiesOnly yes\n\
                 \x20 UserKnownHostsFile {dir}/known_hosts\n  GlobalKnownHostsFile /dev/null\n\
                 \x20 StrictHostKeyChecking yes\n  LogLevel ERROR\n",
                dir = d.display()
            ),
        )
        .unwrap();
        Some(Sshd {
            dir,
            port,
            child: None,
        })
    }

    /// Prepared and started.
    pub fn start() -> Option<Sshd> {
        let mut s = Sshd::prepare()?;
        s.spawn();
        Some(s)
    }

    /// Starts the server and waits until its port accepts connections.
    pub fn spawn(&mut self) {
        // As root, sshd wants its privilege-separation directory; a service start would
        // have made it, a bare package install in a container does not.
        if run(Command::new("id").arg("-u")) == "0" {
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        let log = std::fs::File::create(self.dir.path().join("sshd.log")).unwrap();
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(self.dir.path().join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not start: {}",
                std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The client options a source needs: this server's `ssh_config`.
    pub fn client_options(&self) -> Vec<String> {
        vec!["-F".into(), self.ssh_config().display().to_string()]
    }

    pub fn ssh_config(&self) -> PathBuf {
        self.dir.path().join("ssh_config")
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
