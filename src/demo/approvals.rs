//! The demo platform's approvals (the optional `approvals_*` endpoints of the `http`
//! contract): kept in memory, listed per stack and environment, so a slipway on another
//! machine (or another user's in another terminal) sees an approval at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::world::World;

/// Approvals kept at most: older ones go first (a demo runs for hours, not years).
const KEPT: usize = 1000;

#[derive(Default)]
pub struct Approvals {
    list: Mutex<Vec<Value>>,
}

impl Approvals {
    fn list(&self) -> std::sync::MutexGuard<'_, Vec<Value>> {
        self.list
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn bad(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

/// `POST /approvals` with `{stack, env, from, to, user, host, at}`.
pub async fn record(
    State(world): State<Arc<World>>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let Json(a) = match body {
        Ok(b) => b,
        Err(e) => return bad(format!("expected an approval as JSON: {}", e.body_text())),
    };
    let missing: Vec<&str> = ["stack", "env", "from", "to", "user", "at"]
        .into_iter()
        .filter(|k| !a.get(*k).is_some_and(Value::is_string))
        .collect();
    if !missing.is_empty() {
        return bad(format!("missing or not text: {}", missing.join(", ")));
    }
    let mut list = world.approvals.list();
    if list.len() >= KEPT {
        list.remove(0);
    }
    list.push(a);
    StatusCode::CREATED.into_response()
}

/// `GET /approvals?stack=S&env=E`: that stack's approvals onto that environment, oldest
/// first (either filter may be left out).
pub async fn read(
    State(world): State<Arc<World>>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let Query(q) = match query {
        Ok(q) => q,
        Err(e) => return bad(e.body_text()),
    };
    let wanted = |a: &Value, key: &str| q.get(key).is_none_or(|v| a[key].as_str() == Some(v));
    let found: Vec<Value> = world
        .approvals
        .list()
        .iter()
        .filter(|a| wanted(a, "stack") && wanted(a, "env"))
        .cloned()
        .collect();
    Json(found).into_response()
}
