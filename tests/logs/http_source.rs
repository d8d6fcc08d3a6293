//! The `http` source against a chunked-streaming server on loopback.

use std::time::Duration;

use slipway::config::{AuthConfig, LogSourceConfig};
use slipway::feeds::logs::{SourceStatus, TemplateVars, spawn_source_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::{Seen, fast_options, until};

async fn read_request(sock: &mut TcpStream) -> String {
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        req.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&req).into_owned()
}

async fn chunk(sock: &mut TcpStream, data: &str) {
    let frame = format!("{:x}\r\n{data}\r\n", data.len());
    sock.write_all(frame.as_bytes()).await.unwrap();
    sock.flush().await.unwrap();
}

const STREAM_HEAD: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";

#[tokio::test]
async fn streams_lines_across_chunks_and_reconnects_with_a_gap_marker() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        // First: refuse with a reason.
        let (mut s, _) = listener.accept().await.unwrap();
        read_request(&mut s).await;
        s.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 13\r\n\r\nwarming \x1b[2Jup",
        )
        .await
        .unwrap();
        drop(s);
        // Second: stream, then end the stream.
        let (mut s, _) = listener.accept().await.unwrap();
        let req = read_request(&mut s).await;
        assert!(req.starts_with("GET /logs/web%201?follow=1 "), "{req}");
        assert!(
            req.to_lowercase().contains("authorization: bearer s3cret"),
            "{req}"
        );
        s.write_all(STREAM_HEAD.as_bytes()).await.unwrap();
        chunk(&mut s, "line 1\nli").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        chunk(&mut s, "ne 2\n").await;
        s.write_all(b"0\r\n\r\n").await.unwrap();
        drop(s);
        // Third: stream and stay open.
        let (mut s, _) = listener.accept().await.unwrap();
        read_request(&mut s).await;
        s.write_all(STREAM_HEAD.as_bytes()).await.unwrap();
        chunk(&mut s, "line 3\n").await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret\n").unwrap();
    let config = LogSourceConfig::Http {
        url: format!("http://127.0.0.1:{port}/logs/{{instance}}?follow=1"),
        auth: Some(AuthConfig {
            header: "Authorization".into(),
            scheme: "Bearer".into(),
            token_env: None,
            token_file: Some(token),
        }),
        timeout_secs: 5,
        idle_timeout_secs: 60,
    };
    let vars = TemplateVars {
        instance: "web 1".into(),
        ..Default::default()
    };
    let (tx, mut rx) = mpsc::channel(16);
    let _h = spawn_source_with(&config, &vars, fast_options(), tx);
    let mut seen = Seen::default();
    until(&mut rx, &mut seen, Duration::from_secs(15), |s| {
        s.lines.len() >= 3
    })
    .await;
    assert_eq!(seen.lines, ["line 1", "line 2", "line 3"]);
    let failures: Vec<&String> = seen
        .statuses
        .iter()
        .filter_map(|s| match s {
            SourceStatus::Failed(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 2, "{seen:?}");
    assert!(
        failures[0].starts_with("HTTP 503 Service Unavailable: warming"),
        "{failures:?}"
    );
    assert!(!failures[0].contains('\x1b'), "error text is sanitised");
    assert_eq!(failures[1], "the server ended the stream");
    assert_eq!(seen.gaps.len(), 1, "{seen:?}");
    assert!(seen.gaps[0].starts_with("reconnected after"));
    assert_eq!(seen.statuses.last(), Some(&SourceStatus::Following));
    server.abort();
}
