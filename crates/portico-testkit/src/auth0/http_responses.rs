//! The response shapes Auth0 uses, in one place so every handler answers alike.
//!
//! Two error families exist: the Management API (and the tenant's generic errors) answers
//! `{"statusCode","error","message","errorCode"?}`, while the Authentication API
//! (`/oauth/token`) answers `{"error","error_description"}`.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

/// Auth0 labels every JSON answer with an explicit charset, 204s included.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

/// A 204 with an empty body, still labelled as JSON like Auth0's.
pub(crate) fn no_content_response() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

/// `{"statusCode":…,"error":"<reason phrase>","message":…,"errorCode":…}`.
pub(crate) fn management_error(
    status: StatusCode,
    message: &str,
    error_code: Option<&str>,
) -> Response {
    let mut body = Map::new();
    body.insert("statusCode".to_owned(), json!(status.as_u16()));
    body.insert("error".to_owned(), json!(reason_phrase(status)));
    body.insert("message".to_owned(), json!(message));
    if let Some(error_code) = error_code {
        body.insert("errorCode".to_owned(), json!(error_code));
    }
    json_response(status, &Value::Object(body))
}

/// A Management API 401: Auth0 repeats the message under `attributes.error` and names it in
/// `WWW-Authenticate`.
pub(crate) fn management_unauthorized(message: &str) -> Response {
    let body = json!({
        "statusCode": 401,
        "error": "Unauthorized",
        "message": message,
        "attributes": { "error": message }
    });
    let mut response = json_response(StatusCode::UNAUTHORIZED, &body);
    let challenge = format!("Bearer error=\"{}\"", message.replace('"', "'"));
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// The 403 Auth0 sends when the token lacks every scope that would allow the endpoint.
pub(crate) fn insufficient_scope(accepted_scopes: &[&str]) -> Response {
    management_error(
        StatusCode::FORBIDDEN,
        &format!(
            "Insufficient scope, expected any of: {}",
            accepted_scopes.join(",")
        ),
        Some("insufficient_scope"),
    )
}

/// A `Payload validation error: …` 400.
pub(crate) fn invalid_body(message: &str) -> Response {
    management_error(StatusCode::BAD_REQUEST, message, Some("invalid_body"))
}

/// A `Query validation error: …` 400.
pub(crate) fn invalid_query_string(message: &str) -> Response {
    management_error(
        StatusCode::BAD_REQUEST,
        message,
        Some("invalid_query_string"),
    )
}

/// Auth0's answer (hapi's wording) to a body that is not JSON at all.
pub(crate) fn invalid_json_payload() -> Response {
    management_error(
        StatusCode::BAD_REQUEST,
        "Invalid request payload JSON format",
        None,
    )
}

/// The Management API 429, with no rate-limit headers (the caller adds them).
pub(crate) fn management_rate_limited() -> Response {
    management_error(
        StatusCode::TOO_MANY_REQUESTS,
        "Global limit has been reached",
        Some("too_many_requests"),
    )
}

/// An Authentication API error: `{"error":…,"error_description":…}`.
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

/// The 401 Auth0 gives for every client-authentication failure at `/oauth/token`.
pub(crate) fn oauth_unauthorized() -> Response {
    oauth_error(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized")
}

/// The reply to a request for which a test injected `status` with `fail_next`.
pub(crate) fn injected_failure(path: &str, status: StatusCode) -> Response {
    if is_authentication_api(path) {
        let (error, description) = match status.as_u16() {
            401 => ("access_denied", "Unauthorized"),
            403 => ("access_denied", "Forbidden"),
            429 => ("too_many_requests", "Global limit has been reached"),
            400..=499 => ("invalid_request", reason_phrase(status)),
            503 => ("temporarily_unavailable", "Service Unavailable"),
            _ => ("server_error", reason_phrase(status)),
        };
        return oauth_error(status, error, description);
    }
    match status.as_u16() {
        401 => management_unauthorized("Invalid token"),
        429 => management_rate_limited(),
        // hapi, which serves Auth0's APIs, words its 500 this way.
        500 => management_error(status, "An internal server error occurred", None),
        _ => management_error(status, reason_phrase(status), None),
    }
}

/// The 503 served to every request while a test has set the tenant down.
pub(crate) fn service_unavailable() -> Response {
    management_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "The tenant is temporarily unavailable. Please try again later.",
        None,
    )
}

/// The 404 for paths the emulator does not serve, worded as hapi words it.
pub(crate) fn route_not_found() -> Response {
    management_error(StatusCode::NOT_FOUND, "Not Found", None)
}

/// Auth0's Authentication API (OAuth endpoints) uses the OAuth error body, not hapi's.
pub(crate) fn is_authentication_api(path: &str) -> bool {
    path.starts_with("/oauth/")
}

fn reason_phrase(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Unknown")
}

/// A refused request, carrying the response to send instead.
///
/// Handlers thread refusals through `?` many times per request; a bare `Response` is large,
/// so it travels boxed. `From<Response>` lets any response builder above be used with `?`.
pub(crate) struct Refusal(Box<Response>);

impl From<Response> for Refusal {
    fn from(response: Response) -> Refusal {
        Refusal(Box::new(response))
    }
}

impl Refusal {
    pub(crate) fn into_response(self) -> Response {
        *self.0
    }
}
