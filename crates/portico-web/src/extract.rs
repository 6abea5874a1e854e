//! Request extractors: JSON bodies that fail with a field name, the admin token, and the
//! signed-in developer.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum_extra::extract::CookieJar;
use portico_core::model::Developer;
use portico_core::SecretString;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::AppState;

/// Request bodies larger than this are refused.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
pub const SESSION_COOKIE: &str = "portico_session";

/// A JSON body. Unlike axum's `Json`, every failure is a 400 naming the field: malformed
/// JSON, a wrong type, a missing or unknown field, a body over 1 MiB.
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type_ok = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                let essence = value.split(';').next().unwrap_or("").trim();
                essence.eq_ignore_ascii_case("application/json")
                    || essence.to_ascii_lowercase().ends_with("+json")
            })
            .unwrap_or(false);
        if !content_type_ok {
            return Err(ApiError::invalid_field(
                "body",
                "must be JSON sent with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::invalid_field("body", "must be at most 1 MiB")
                } else {
                    ApiError::invalid_field("body", "could not be read")
                }
            })?;
        if bytes.len() > MAX_BODY_BYTES {
            return Err(ApiError::invalid_field("body", "must be at most 1 MiB"));
        }
        parse_json(&bytes).map(JsonBody)
    }
}

/// Deserializes `bytes`, naming the offending field in the error.
/// Every body of the APIs is a JSON object; serde would also accept an array for a struct.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|byte| !byte.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ApiError::invalid_field("body", "must be a JSON object"));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        // serde_json appends " at line L column C"; the position means nothing to a caller.
        let reason = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::invalid_field("body", format!("is not valid JSON: {reason}"));
        }
        let parent = if path == "." || path == "?" {
            String::new()
        } else {
            path
        };
        // A missing field is reported at its parent; name the field itself.
        if let Some(missing) = reason
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            let field = join_path(&parent, missing);
            return ApiError::invalid_field(field, "is required");
        }
        if reason.starts_with("unknown field") {
            return ApiError::invalid_field(
                if parent.is_empty() {
                    "body".into()
                } else {
                    parent
                },
                reason.replacen("unknown field", "is not a known field", 1),
            );
        }
        ApiError::invalid_field(
            if parent.is_empty() {
                "body".into()
            } else {
                parent
            },
            reason,
        )
    })
}

fn join_path(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_owned()
    } else {
        format!("{parent}.{field}")
    }
}

/// Passes only requests that carry `Authorization: Bearer <admin token>`.
pub struct AdminAuth;

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match bearer_token(parts) {
            Some(token) if token == state.admin_token => Ok(AdminAuth),
            Some(_) => Err(ApiError::unauthorized("the admin token is wrong")),
            None => Err(ApiError::unauthorized(
                "send the admin token as Authorization: Bearer <token>",
            )),
        }
    }
}

/// The developer signed in with the session cookie or `Authorization: Bearer`.
pub struct CurrentDeveloper {
    pub developer: Developer,
    pub session_token: SecretString,
}

impl FromRequestParts<AppState> for CurrentDeveloper {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = match bearer_token(parts) {
            Some(token) => Some(token),
            None => CookieJar::from_headers(&parts.headers)
                .get(SESSION_COOKIE)
                .map(|cookie| SecretString::new(cookie.value())),
        };
        let Some(token) = token else {
            return Err(ApiError::unauthorized("sign in first"));
        };
        let developer = state.portico.developer_for_session(&token).await?;
        Ok(CurrentDeveloper {
            developer,
            session_token: token,
        })
    }
}

pub fn bearer_token(parts: &Parts) -> Option<SecretString> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then(|| SecretString::new(token))
}

/// An optional `Idempotency-Key` header.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(value) => value
                .to_str()
                .map(|key| IdempotencyKey(Some(key.to_owned())))
                .map_err(|_| ApiError::invalid_field("Idempotency-Key", "must be visible ASCII")),
        }
    }
}
