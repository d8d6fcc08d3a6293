//! A deliberately small HTTP/1.1 server on loopback whose answers a test scripts per
//! path, including the misbehaviours a real server library will not produce: closing
//! the connection without answering, and never answering.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone, Debug)]
pub enum Reply {
    Json(u16, String),
    Text(u16, String),
    /// Close the connection without a byte of answer.
    Close,
    /// Keep the connection open and never answer.
    Hang,
}

#[derive(Clone, Default)]
pub struct Script {
    /// Exact path (with query) → replies in turn; the last one repeats.
    routes: Arc<Mutex<HashMap<String, Vec<Reply>>>>,
    /// Every request seen: "METHOD /path".
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl Script {
    pub fn on(&self, method: &str, path: &str, replies: Vec<Reply>) {
        if let Ok(mut r) = self.routes.lock() {
            r.insert(format!("{method} {path}"), replies);
        }
    }

    fn next(&self, key: &str) -> Reply {
        let Ok(mut routes) = self.routes.lock() else {
            return Reply::Close;
        };
        match routes.get_mut(key) {
            Some(list) if list.len() > 1 => list.remove(0),
            Some(list) => list.first().cloned().unwrap_or(Reply::Close),
            None => Reply::Json(
                404,
                r#"{"error":"no such route in the test script"}"#.into(),
            ),
        }
    }

    pub fn count(&self, key: &str) -> usize {
        self.seen
            .lock()
            .map_or(0, |s| s.iter().filter(|k| *k == key).count())
    }
}

/// Starts the server; returns its base URL (`http://127.0.0.1:PORT`).
pub async fn serve(script: Script) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let script = script.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head and whatever body Content-Length announces.
                let head_end = loop {
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let len = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < head_end + len {
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let mut parts = head.split_whitespace();
                let key = format!(
                    "{} {}",
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or("")
                );
                if let Ok(mut seen) = script.seen.lock() {
                    seen.push(key.clone());
                }
                let (status, ctype, body) = match script.next(&key) {
                    Reply::Json(s, b) => (s, "application/json", b),
                    Reply::Text(s, b) => (s, "text/plain", b),
                    Reply::Close => return,
                    Reply::Hang => {
                        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                        return;
                    }
                };
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(answer.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}
