//! The admin and portal HTTP surfaces: JSON APIs with their generated OpenAPI documents,
//! sessions, request ids, and the one mapping of errors to `application/problem+json`.
//! Handlers are thin: they extract, call [`portico_core::service::Portico`], and map the
//! result. This crate knows no SQL and no IdP.

pub mod admin;
pub mod error;
pub mod extract;
pub mod idp;
pub mod openapi;
pub mod pages;
pub mod portal;
pub mod wire;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use portico_core::id::Id;
use portico_core::service::Portico;
use portico_core::SecretString;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::wire::StatusBody;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub portico: Portico,
    pub admin_token: SecretString,
    /// Whether cookies get `Secure` (the portal is served over HTTPS).
    pub secure_cookies: bool,
    /// Set once the database is migrated and every listener is up.
    pub ready: Arc<AtomicBool>,
}

/// The admin listener: `/v1/...`, `/status`, `/openapi.json` and the admin console's pages.
pub fn admin_app(state: AppState) -> Router {
    let (router, document) = admin::router().split_for_parts();
    let document = Arc::new(document);
    let pages = pages::admin_router(state.clone());
    let router = router
        .route("/status", get(status))
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { Json(document.as_ref().clone()) }
            }),
        )
        .with_state(state)
        .merge(pages);
    with_common_layers(router)
}

/// The portal listener: `/api/v1/...`, `/openapi.json` and the Dev Portal's pages.
pub fn portal_app(state: AppState) -> Router {
    let (router, document) = portal::router().split_for_parts();
    let document = Arc::new(document);
    let pages = pages::portal_router(state.clone());
    let router = router
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { Json(document.as_ref().clone()) }
            }),
        )
        .merge(idp::router())
        .with_state(state)
        .merge(pages);
    with_common_layers(router)
}

/// The generated OpenAPI documents, for snapshot tests and tooling.
pub fn admin_openapi() -> utoipa::openapi::OpenApi {
    admin::router().split_for_parts().1
}

pub fn portal_openapi() -> utoipa::openapi::OpenApi {
    portal::router().split_for_parts().1
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids (taken from the caller or made up, and echoed), a span per request, problem
/// bodies for every error, the 1 MiB body limit, and a panic turned into a 500 problem.
fn with_common_layers(router: Router) -> Router {
    router
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "an internal error occurred").into_response()
        }))
        .layer(axum::middleware::from_fn(error::problem_middleware))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

#[utoipa::path(get, path = "/status", responses((status = 200, body = StatusBody), (status = 503, body = StatusBody)))]
async fn status(State(state): State<AppState>) -> impl IntoResponse {
    let ready = state.ready.load(Ordering::Acquire);
    let body = StatusBody {
        status: if ready { "ok" } else { "starting" }.into(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}

/// Parses a path id; a malformed one is a 400 naming `id`.
pub fn parse_id<Kind>(value: &str) -> Result<Id<Kind>, ApiError> {
    value
        .parse()
        .map_err(|_| ApiError::invalid_field("id", "must be a UUID"))
}
