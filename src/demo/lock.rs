//! The demo platform's release lock (the optional `lock_*` endpoints of the `http`
//! contract): one holder at a time, whoever's slipway it is, on whatever machine.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::world::World;

#[derive(Default)]
pub struct Lock {
    holder: Mutex<Option<Value>>,
}

impl Lock {
    fn held(&self) -> std::sync::MutexGuard<'_, Option<Value>> {
        self.holder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The same process (host and pid) holds it: taking it again is fine.
fn same(a: &Value, b: &Value) -> bool {
    a["host"] == b["host"] && a["pid"] == b["pid"]
}

pub async fn take(State(world): State<Arc<World>>, Json(me): Json<Value>) -> Response {
    let mut held = world.lock.held();
    match held.as_ref() {
        Some(h) if !same(h, &me) => (StatusCode::CONFLICT, Json(h.clone())).into_response(),
        _ => {
            *held = Some(me);
            StatusCode::OK.into_response()
        }
    }
}

pub async fn release(State(world): State<Arc<World>>, Json(body): Json<Value>) -> Response {
    let mut held = world.lock.held();
    let force = body["force"].as_bool().unwrap_or(false);
    match held.as_ref() {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(h) if force || same(h, &body["holder"]) => {
            *held = None;
            StatusCode::OK.into_response()
        }
        Some(h) => (
            StatusCode::CONFLICT,
            Json(json!({"error": "held by someone else", "holder": h})),
        )
            .into_response(),
    }
}

pub async fn read(State(world): State<Arc<World>>) -> Response {
    match world.lock.held().clone() {
        Some(h) => Json(h).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
