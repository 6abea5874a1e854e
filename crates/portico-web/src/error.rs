//! The one place where errors become HTTP: `application/problem+json` (RFC 9457) with the
//! request id as `instance`. Causes go to the log; the body says only what the caller may know.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portico_core::ports::IdpError;
use portico_core::{CoreError, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// A problem document. `instance` is filled in by [`problem_middleware`], which knows the
/// request id.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub instance: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid_parameters: Option<Vec<InvalidParameter>>,
    /// Verification failures, one per cause (422 from Application Setup and verify).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvalidParameter {
    pub field: String,
    pub reason: String,
}

/// Marks a response that carries an error format of its own, which [`problem_middleware`]
/// must leave alone: the built-in IdP's token endpoint answers RFC 6749 error JSON, which
/// OAuth clients parse.
#[derive(Debug, Clone, Copy)]
pub struct NotAProblem;

/// An error on its way to becoming a problem response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: String,
    invalid_parameters: Option<Vec<InvalidParameter>>,
    errors: Option<Vec<String>>,
    retry_after: Option<u64>,
    www_authenticate: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            invalid_parameters: None,
            errors: None,
            retry_after: None,
            www_authenticate: false,
        }
    }

    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let detail = fields
            .iter()
            .map(|field| format!("{} {}", field.field, field.reason))
            .collect::<Vec<_>>()
            .join("; ");
        let mut error = Self::new(StatusCode::BAD_REQUEST, detail);
        error.invalid_parameters = Some(
            fields
                .into_iter()
                .map(|field| InvalidParameter {
                    field: field.field,
                    reason: field.reason,
                })
                .collect(),
        );
        error
    }

    pub fn invalid_field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, reason)])
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        let mut error = Self::new(StatusCode::UNAUTHORIZED, detail);
        error.www_authenticate = true;
        error
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn invalid_parameters(&self) -> &[InvalidParameter] {
        self.invalid_parameters.as_deref().unwrap_or(&[])
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Invalid(fields) => ApiError::invalid(fields),
            CoreError::NotFound(what) => ApiError::not_found(what),
            CoreError::Conflict(detail) => ApiError::new(StatusCode::CONFLICT, detail),
            CoreError::Unauthenticated(detail) => ApiError::unauthorized(detail),
            CoreError::Forbidden(detail) => ApiError::new(StatusCode::FORBIDDEN, detail),
            CoreError::RateLimited { retry_after_secs } => {
                let mut error = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many attempts; try again later",
                );
                error.retry_after = Some(retry_after_secs);
                error
            }
            CoreError::VerificationFailed(errors) => {
                let mut error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, errors.join("; "));
                error.errors = Some(errors);
                error
            }
            CoreError::Unprocessable(detail) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
            }
            CoreError::Idp(idp) => {
                tracing::warn!(error = %idp, "identity provider call failed");
                let detail = match &idp {
                    IdpError::Rejected { message, .. } => {
                        format!("the identity provider refused the request: {message}")
                    }
                    IdpError::Unavailable(reason) => {
                        format!("the identity provider is unavailable: {reason}")
                    }
                    IdpError::InvalidResponse(_) => {
                        "the identity provider sent a response Portico could not understand".into()
                    }
                };
                ApiError::new(StatusCode::BAD_GATEWAY, detail)
            }
            CoreError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "an internal error occurred; the request id identifies it in the logs",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            problem_type: "about:blank".into(),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            instance: String::new(),
            invalid_parameters: self.invalid_parameters,
            errors: self.errors,
        };
        let mut response = problem_response(self.status, &problem);
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.www_authenticate {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"portico\""),
            );
        }
        response.extensions_mut().insert(problem);
        response
    }
}

fn problem_response(status: StatusCode, problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).expect("a problem always serializes");
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        )],
        body,
    )
        .into_response()
}

/// Writes the request id into every problem body, and turns the plain-text errors that axum
/// and tower produce on their own (unknown route, wrong method, oversized body) into problems.
pub async fn problem_middleware(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let problem = match parts.extensions.remove::<Problem>() {
        Some(problem) => Some(problem),
        None if (parts.status.is_client_error() || parts.status.is_server_error())
            && !is_problem(&parts.headers)
            && parts.extensions.get::<NotAProblem>().is_none() =>
        {
            let detail = match parts.status {
                StatusCode::NOT_FOUND => "no such resource".to_owned(),
                StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this resource".to_owned(),
                StatusCode::PAYLOAD_TOO_LARGE => "the request body is larger than 1 MiB".to_owned(),
                other => other.canonical_reason().unwrap_or("error").to_owned(),
            };
            // An oversized body is bad input like any other: 400, as the contract says.
            let too_large = parts.status == StatusCode::PAYLOAD_TOO_LARGE;
            let status = if too_large {
                StatusCode::BAD_REQUEST
            } else {
                parts.status
            };
            parts.status = status;
            Some(Problem {
                problem_type: "about:blank".into(),
                title: status.canonical_reason().unwrap_or("Error").into(),
                status: status.as_u16(),
                detail,
                instance: String::new(),
                invalid_parameters: too_large.then(|| {
                    vec![InvalidParameter {
                        field: "body".into(),
                        reason: "must be at most 1 MiB".into(),
                    }]
                }),
                errors: None,
            })
        }
        None => None,
    };
    match problem {
        Some(mut problem) => {
            problem.instance = request_id;
            let mut response = problem_response(parts.status, &problem);
            for (name, value) in parts.headers.iter() {
                if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                    response.headers_mut().insert(name.clone(), value.clone());
                }
            }
            response
        }
        None => Response::from_parts(parts, body),
    }
}

fn is_problem(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("application/problem+json") || value.starts_with("text/html")
        })
}
