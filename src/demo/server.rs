//! The demo's HTTP surface on loopback: the default `http` platform contract under
//! `/api` (see docs/http-platform.md), Prometheus endpoints per instance, smoke
//! endpoints per stack, and a plain-text deployment terminal page. Every bad request
//! gets a 4xx with a JSON `{"error": …}` body, as the contract's `error_pointer` expects.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::platform_sim::SimError;
use super::topology::{STACKS, stack_index};
use super::world::World;

pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<SimError> for ApiError {
    fn from(e: SimError) -> Self {
        match e {
            SimError::NotFound(m) => ApiError(StatusCode::NOT_FOUND, m),
            SimError::BadRequest(m) => ApiError(StatusCode::BAD_REQUEST, m),
            SimError::Conflict(m) => ApiError(StatusCode::CONFLICT, m),
        }
    }
}

fn bad_path(e: PathRejection) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, e.body_text())
}

type ApiResult<T> = Result<T, ApiError>;
type P<T> = Result<Path<T>, PathRejection>;

pub fn router(world: Arc<World>) -> Router {
    let api = Router::new()
        .route("/stacks", get(stacks))
        .route("/stacks/{stack}/environments/{env}", get(env_version))
        .route(
            "/stacks/{stack}/environments/{env}/deployments",
            post(start_deployment),
        )
        .route(
            "/stacks/{stack}/environments/{env}/instances",
            get(instances),
        )
        .route("/stacks/{stack}/environments/{env}/config", get(env_config))
        .route("/stacks/{stack}/deployments/{id}", get(status))
        .route("/stacks/{stack}/deployments/{id}/output", get(output))
        .route("/stacks/{stack}/deployments/{id}/abort", post(abort))
        .route(
            "/lock",
            get(super::lock::read)
                .post(super::lock::take)
                .delete(super::lock::release),
        )
        .route(
            "/approvals",
            get(super::approvals::read).post(super::approvals::record),
        );
    Router::new()
        .nest("/api", api)
        .route("/instances/{instance}/metrics", get(metrics))
        .route("/sites/{stack}", get(home))
        .route("/sites/{stack}/", get(home))
        .route("/sites/{stack}/healthz", get(healthz))
        .route("/sites/{stack}/articles/{id}", get(article))
        .route("/deployments/{id}", get(terminal))
        .route(
            "/chat/api/chat.postMessage",
            post(super::chat::post_message),
        )
        .route("/chat/messages", get(super::chat::messages))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(world)
}

async fn not_found() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "no such endpoint".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this endpoint".into(),
    )
}

async fn stacks() -> Json<serde_json::Value> {
    let list: Vec<_> = STACKS
        .iter()
        .enumerate()
        .map(|(i, s)| json!({ "id": s.id, "name": s.name, "order": i + 1 }))
        .collect();
    Json(json!(list))
}

async fn env_version(
    State(w): State<Arc<World>>,
    path: P<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let Path((stack, env)) = path.map_err(bad_path)?;
    Ok(Json(w.platform.env_view(&stack, &env)?))
}

#[derive(Deserialize)]
struct DeployRequest {
    version: String,
    #[serde(default)]
    rollback: bool,
}

async fn start_deployment(
    State(w): State<Arc<World>>,
    path: P<(String, String)>,
    body: Result<Json<DeployRequest>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    let Path((stack, env)) = path.map_err(bad_path)?;
    let Json(req) = body.map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "expected {{\"version\": \"<commit>\", \"rollback\": false}}: {}",
                e.body_text()
            ),
        )
    })?;
    let view = w.platform.start(&stack, &env, &req.version, req.rollback)?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn status(
    State(w): State<Arc<World>>,
    path: P<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let Path((stack, id)) = path.map_err(bad_path)?;
    Ok(Json(w.platform.status(&stack, &id)?))
}

async fn output(
    State(w): State<Arc<World>>,
    path: P<(String, String)>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> ApiResult<impl IntoResponse> {
    let Path((stack, id)) = path.map_err(bad_path)?;
    let Query(q) = query.map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.body_text()))?;
    let offset = match q.get("offset").map(|s| s.trim()) {
        None | Some("") => 0,
        Some(text) => text.parse::<u64>().map_err(|_| {
            ApiError(
                StatusCode::BAD_REQUEST,
                format!(
                    "offset must be a whole number, got '{}'",
                    crate::text::one_line(text, 40)
                ),
            )
        })?,
    };
    Ok(Json(w.platform.output(&stack, &id, offset)?))
}

/// Who asked, for the deployment output: a `by`/`user` field in the body if the client
/// sends one, else its User-Agent (slipway sends `slipway/<version>`).
fn requester(headers: &HeaderMap, body: &[u8]) -> String {
    let named = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            ["by", "user"]
                .iter()
                .find_map(|k| v.get(k).and_then(|x| x.as_str()).map(str::to_string))
        });
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| format!("{ua} (API request)"));
    named
        .or(agent)
        .unwrap_or_else(|| "an API request".to_string())
}

async fn abort(
    State(w): State<Arc<World>>,
    path: P<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let Path((stack, id)) = path.map_err(bad_path)?;
    let who = requester(&headers, &body);
    Ok(Json(w.platform.abort(&stack, &id, &who)?))
}

async fn instances(
    State(w): State<Arc<World>>,
    path: P<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let Path((stack, env)) = path.map_err(bad_path)?;
    Ok(Json(w.platform.instances(&stack, &env)?))
}

async fn env_config(
    State(w): State<Arc<World>>,
    path: P<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let Path((stack, env)) = path.map_err(bad_path)?;
    Ok(Json(w.platform.env_config(&stack, &env)?))
}

async fn metrics(State(w): State<Arc<World>>, path: P<String>) -> ApiResult<Response> {
    let Path(instance) = path.map_err(bad_path)?;
    let unknown = || {
        ApiError(
            StatusCode::NOT_FOUND,
            format!(
                "unknown instance '{}'",
                crate::text::one_line(&instance, 60)
            ),
        )
    };
    let index = w.topo.find(&instance).ok_or_else(unknown)?;
    let profile = w.profiles().into_iter().nth(index).ok_or_else(unknown)?;
    let inst = &w.topo.instances[index];
    let text = w
        .traffic()
        .exposition(index, inst, &profile)
        .ok_or_else(unknown)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// The stack's index and the version its live environment runs.
fn live_site(w: &World, stack: &str) -> ApiResult<(usize, String)> {
    let unknown = || {
        ApiError(
            StatusCode::NOT_FOUND,
            format!("unknown site '{}'", crate::text::one_line(stack, 40)),
        )
    };
    let index = stack_index(stack).ok_or_else(unknown)?;
    let version = w
        .platform
        .version_of(index, w.platform.live_env())
        .ok_or_else(unknown)?;
    Ok((index, version))
}

async fn healthz(State(w): State<Arc<World>>, path: P<String>) -> ApiResult<Response> {
    let Path(stack) = path.map_err(bad_path)?;
    live_site(&w, &stack)?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok").into_response())
}

async fn home(State(w): State<Arc<World>>, path: P<String>) -> ApiResult<Response> {
    let Path(stack) = path.map_err(bad_path)?;
    let (index, version) = live_site(&w, &stack)?;
    let spec = &STACKS[index];
    let short: String = version.chars().take(7).collect();
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>BBC - Home ({name})</title></head>\n<body><h1>BBC Home</h1><p>Served by belfrage {short} on {name} (live).</p></body></html>\n",
        name = spec.name
    );
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

async fn article(State(w): State<Arc<World>>, path: P<(String, String)>) -> ApiResult<Response> {
    let Path((stack, id)) = path.map_err(bad_path)?;
    let (index, version) = live_site(&w, &stack)?;
    if w.is_bad(index, &version) {
        return Ok(
            ApiError(StatusCode::INTERNAL_SERVER_ERROR, "upstream timeout".into()).into_response(),
        );
    }
    let id = crate::text::one_line(&id, 40);
    Ok(Json(json!({
        "id": id,
        "headline": "Belfrage demo article",
        "section": "news",
        "served_by": { "stack": STACKS[index].id, "version": version },
    }))
    .into_response())
}

/// The deployment terminal as plain text, which is what the platform's deployment URL
/// shows (and what the reference process pastes into the release thread).
async fn terminal(State(w): State<Arc<World>>, path: P<String>) -> ApiResult<Response> {
    let Path(id) = path.map_err(bad_path)?;
    let stack = w.platform.stack_of(&id)?;
    let out = w.platform.output(stack, &id, 0)?;
    let mut text = out.lines.join("\n");
    text.push('\n');
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}
