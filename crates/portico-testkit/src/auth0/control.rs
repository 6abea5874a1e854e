//! A control endpoint for tests that run the emulator as a separate process (the browser
//! tests start the `auth0-emulator` binary): `POST /__emulator/fail-next` with the JSON body
//! `{"method": "POST", "path_prefix": "/api/v2/clients", "n": 1, "status": 503}` does what
//! [`super::Auth0Emulator::fail_next`] does in-process. It is mounted outside the traffic
//! middleware, so it is neither recorded nor subject to the rules it sets. Auth0 has no such
//! path; nothing in Portico calls it.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::traffic::FaultAction;
use super::Shared;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FailNext {
    /// An HTTP method, or `"*"` for any.
    method: String,
    path_prefix: String,
    /// How many matching requests fail; 1 when left out.
    #[serde(default = "one")]
    n: usize,
    /// 400 to 599.
    status: u16,
}

fn one() -> usize {
    1
}

pub(crate) async fn fail_next(
    State(shared): State<Arc<Shared>>,
    Json(request): Json<FailNext>,
) -> StatusCode {
    if !(400..=599).contains(&request.status) {
        return StatusCode::BAD_REQUEST;
    }
    shared.lock_traffic().add_rule(
        &request.method,
        &request.path_prefix,
        request.n,
        FaultAction::Fail {
            status: request.status,
        },
    );
    StatusCode::NO_CONTENT
}
