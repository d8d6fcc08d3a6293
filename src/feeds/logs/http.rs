//! The `http` source: a streamed (chunked) HTTP response read as lines. When the stream
//! ends or stalls it reconnects with back-off and marks the gap.

use std::time::Duration;

use futures::StreamExt;
use tokio::time::{Instant, sleep_until, timeout};

use super::backoff::{Backoff, countdown};
use super::batch::Outbox;
use super::pump::earliest;
use super::split::LineSplitter;
use super::{GapReason, LogFeedEvent, SourceOptions, SourceStatus};
use crate::config::AuthConfig;

pub(super) struct HttpSpec {
    pub url: String,
    pub auth: Option<AuthConfig>,
    /// Connect and wait for the response headers.
    pub timeout: Duration,
    /// Reconnect when no bytes arrived for this long.
    pub idle_timeout: Duration,
}

/// How one connection ended.
enum Outcome {
    /// The server ended the stream or it went silent; `streamed` if we got as far as reading.
    Ended {
        streamed: bool,
        why: String,
    },
    Closed,
}

/// A connection that lasted this long resets the back-off.
const STABLE_CONNECTION: Duration = Duration::from_secs(10);

pub(super) async fn run(spec: HttpSpec, opts: SourceOptions, mut out: Outbox) {
    let client = match reqwest::Client::builder()
        .connect_timeout(spec.timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            let _ = out.status(SourceStatus::Failed(format!(
                "cannot set up HTTP: {}",
                e.without_url()
            )));
            out.finish(Duration::from_secs(5)).await;
            return;
        }
    };
    let mut backoff = Backoff::new(opts.backoff_min, opts.backoff_max);
    let mut lost_at: Option<Instant> = None;
    loop {
        if out.status(SourceStatus::Connecting).is_err() {
            return;
        }
        let started = Instant::now();
        match stream_once(&client, &spec, &opts, &mut out, &mut lost_at).await {
            Outcome::Closed => return,
            Outcome::Ended { streamed, why } => {
                if !opts.follow && streamed {
                    let _ = out.status(SourceStatus::Ended { code: None });
                    out.finish(Duration::from_secs(5)).await;
                    return;
                }
                if out.status(SourceStatus::Failed(why)).is_err() {
                    return;
                }
                if !opts.follow {
                    out.finish(Duration::from_secs(5)).await;
                    return;
                }
                if streamed {
                    lost_at = Some(Instant::now());
                    if started.elapsed() >= STABLE_CONNECTION {
                        backoff.reset();
                    }
                }
            }
        }
        if countdown(&mut out, backoff.next_delay()).await.is_err() {
            return;
        }
    }
}

async fn stream_once(
    client: &reqwest::Client,
    spec: &HttpSpec,
    opts: &SourceOptions,
    out: &mut Outbox,
    lost_at: &mut Option<Instant>,
) -> Outcome {
    let response = match connect(client, spec).await {
        Ok(r) => r,
        Err(why) => {
            return Outcome::Ended {
                streamed: false,
                why,
            };
        }
    };
    if out.status(SourceStatus::Following).is_err() {
        return Outcome::Closed;
    }
    if let Some(at) = lost_at.take()
        && out
            .event(LogFeedEvent::Gap {
                reason: GapReason::Reconnected {
                    after: at.elapsed(),
                },
            })
            .is_err()
    {
        return Outcome::Closed;
    }
    pump(response, spec, opts, out).await
}

/// Sends the request and checks its status: the response to stream, or why not.
async fn connect(client: &reqwest::Client, spec: &HttpSpec) -> Result<reqwest::Response, String> {
    let mut request = client.get(&spec.url);
    if let Some(auth) = &spec.auth {
        let token = match crate::secrets::read_secret(
            auth.token_env.as_deref(),
            auth.token_file.as_deref(),
        ) {
            Ok(t) => t,
            Err(e) => return Err(e),
        };
        let value = if auth.scheme.is_empty() {
            token
        } else {
            format!("{} {token}", auth.scheme)
        };
        request = request.header(auth.header.as_str(), value);
    }
    let response = match timeout(spec.timeout, request.send()).await {
        Err(_) => {
            return Err(format!(
                "no response within {}s",
                spec.timeout.as_secs_f64().round()
            ));
        }
        Ok(Err(e)) => return Err(crate::text::one_line(&e.without_url().to_string(), 300)),
        Ok(Ok(r)) => r,
    };
    let status = response.status();
    if !status.is_success() {
        // A little of the body usually says why (a JSON error, a proxy page).
        let body = timeout(Duration::from_secs(2), response.bytes())
            .await
            .ok()
            .and_then(Result::ok)
            .map(|b| crate::text::one_line(&String::from_utf8_lossy(&b[..b.len().min(2000)]), 200))
            .unwrap_or_default();
        let why = if body.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status}: {body}")
        };
        return Err(why);
    }
    Ok(response)
}

/// Streams the body into lines until it ends, stalls or the pane goes away.
async fn pump(
    response: reqwest::Response,
    spec: &HttpSpec,
    opts: &SourceOptions,
    out: &mut Outbox,
) -> Outcome {
    let mut split = LineSplitter::new(opts.max_line_bytes);
    let mut body = response.bytes_stream();
    let far = || Instant::now() + Duration::from_secs(86_400);
    let mut idle_until = Instant::now() + spec.idle_timeout;
    let mut progress_since: Option<Instant> = None;
    loop {
        if progress_since.is_none() && split.has_progress() {
            progress_since = Some(Instant::now());
        }
        let deadline = earliest(
            out.deadline(),
            progress_since.map(|t| t + opts.batch_interval),
        );
        tokio::select! {
            chunk = body.next() => match chunk {
                Some(Ok(bytes)) => {
                    idle_until = Instant::now() + spec.idle_timeout;
                    split.feed(&bytes, |l| out.push_line(l));
                }
                Some(Err(e)) => {
                    split.finish(|l| out.push_line(l));
                    return Outcome::Ended {
                        streamed: true,
                        why: format!("stream broke: {}", crate::text::one_line(&e.without_url().to_string(), 300)),
                    };
                }
                None => {
                    split.finish(|l| out.push_line(l));
                    return Outcome::Ended {
                        streamed: true,
                        why: "the server ended the stream".into(),
                    };
                }
            },
            () = sleep_until(idle_until) => {
                split.finish(|l| out.push_line(l));
                return Outcome::Ended {
                    streamed: true,
                    why: format!("no data for {}s", spec.idle_timeout.as_secs()),
                };
            },
            () = sleep_until(deadline.unwrap_or_else(far)), if deadline.is_some() => {
                split.flush_progress(|l| out.push_line(l));
                progress_since = None;
                if out.tick().is_err() {
                    return Outcome::Closed;
                }
            },
        }
        if out.is_closed() {
            return Outcome::Closed;
        }
    }
}
