//! Why a request was not proxied, who is to blame, and the one mapping of that to HTTP.
//!
//! Every refusal becomes `application/problem+json` with the request id as `instance`. The
//! body says no more than the status does (a client never learns whether its secret or its
//! client id was wrong); the precise reason goes to the log with the request id.

use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use portico_core::ports::StoreError;
use serde::Serialize;

/// The gateway could not be built or could not read its configuration.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("could not read the gateway configuration from the store: {0}")]
    Store(#[from] StoreError),
}

/// Who caused a request to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The caller: no route, bad or missing credentials, not registered, a bad request.
    Client,
    /// The API's upstream could not be reached or did not answer in time.
    Upstream,
    /// The identity provider could not be reached or misbehaved.
    Idp,
    /// The gateway itself (a bug or a misconfiguration).
    Internal,
}

impl Party {
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Client => "client",
            Party::Upstream => "upstream",
            Party::Idp => "idp",
            Party::Internal => "internal",
        }
    }
}

/// What went wrong, in the terms of the contract (product spec section 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestErrorKind {
    /// No route of a published API matches: 404.
    NoRoute,
    /// No `Authorization` header: 401 without `error=`.
    MissingCredentials,
    /// Credentials or a token were presented and refused: 401 with `error="invalid_token"`.
    InvalidCredentials,
    /// The application holds no approved registration for the route's API: 403.
    NotRegistered,
    /// The IdP could not judge the credentials: 503 with `Retry-After`.
    IdpUnavailable { retry_after: Duration },
    /// The upstream refused the connection or broke it: 502.
    UpstreamUnreachable,
    /// The upstream did not connect or answer in time: 504.
    UpstreamTimeout,
    /// The client stopped sending its request body: 408.
    ClientBodyTimeout,
    /// The client's request body broke off or did not match its framing: 400.
    BadClientBody,
    /// The request cannot be proxied as sent (for example a path with `..` segments): 400.
    BadRequest,
    /// A bug or a misconfiguration of the gateway: 500.
    Internal,
}

/// A request that is answered by the gateway instead of the upstream.
#[derive(Debug, Clone)]
pub struct RequestError {
    pub kind: RequestErrorKind,
    /// For the log only; never sent to the client, never holds a secret or a token.
    pub reason: String,
}

impl RequestError {
    pub fn new(kind: RequestErrorKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
        }
    }

    pub fn party(&self) -> Party {
        match self.kind {
            RequestErrorKind::NoRoute
            | RequestErrorKind::MissingCredentials
            | RequestErrorKind::InvalidCredentials
            | RequestErrorKind::NotRegistered
            | RequestErrorKind::ClientBodyTimeout
            | RequestErrorKind::BadClientBody
            | RequestErrorKind::BadRequest => Party::Client,
            RequestErrorKind::IdpUnavailable { .. } => Party::Idp,
            RequestErrorKind::UpstreamUnreachable | RequestErrorKind::UpstreamTimeout => {
                Party::Upstream
            }
            RequestErrorKind::Internal => Party::Internal,
        }
    }

    /// Whether the client may send the same request again and hope for another answer
    /// without changing anything.
    pub fn retry_safe(&self) -> bool {
        matches!(
            self.kind,
            RequestErrorKind::IdpUnavailable { .. }
                | RequestErrorKind::UpstreamUnreachable
                | RequestErrorKind::UpstreamTimeout
        )
    }

    pub fn status(&self) -> StatusCode {
        match self.kind {
            RequestErrorKind::NoRoute => StatusCode::NOT_FOUND,
            RequestErrorKind::MissingCredentials | RequestErrorKind::InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            RequestErrorKind::NotRegistered => StatusCode::FORBIDDEN,
            RequestErrorKind::IdpUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            RequestErrorKind::UpstreamUnreachable => StatusCode::BAD_GATEWAY,
            RequestErrorKind::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            RequestErrorKind::ClientBodyTimeout => StatusCode::REQUEST_TIMEOUT,
            RequestErrorKind::BadClientBody | RequestErrorKind::BadRequest => {
                StatusCode::BAD_REQUEST
            }
            RequestErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The safe sentence for the problem's `detail`.
    fn detail(&self) -> &'static str {
        match self.kind {
            RequestErrorKind::NoRoute => "No API is published at this path.",
            RequestErrorKind::MissingCredentials => {
                "Credentials of a registered application are required."
            }
            RequestErrorKind::InvalidCredentials => "The credentials or token are not valid.",
            RequestErrorKind::NotRegistered => "The application is not registered for this API.",
            RequestErrorKind::IdpUnavailable { .. } => {
                "The identity provider cannot be reached; try again later."
            }
            RequestErrorKind::UpstreamUnreachable => "The API's upstream cannot be reached.",
            RequestErrorKind::UpstreamTimeout => "The API's upstream did not answer in time.",
            RequestErrorKind::ClientBodyTimeout => "The request body was not sent in time.",
            RequestErrorKind::BadClientBody => "The request body was incomplete or malformed.",
            RequestErrorKind::BadRequest => "The request cannot be proxied as sent.",
            RequestErrorKind::Internal => "The gateway failed to handle the request.",
        }
    }

    /// The problem+json response, with `WWW-Authenticate` on 401 and `Retry-After` on 503.
    pub fn to_response(&self, request_id: &HeaderValue) -> Response<Full<Bytes>> {
        let status = self.status();
        let problem = Problem {
            problem_type: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.detail(),
            instance: request_id.to_str().unwrap_or_default(),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match &self.kind {
            RequestErrorKind::MissingCredentials => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer realm="portico""#),
                );
            }
            RequestErrorKind::InvalidCredentials => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer realm="portico", error="invalid_token""#),
                );
            }
            RequestErrorKind::IdpUnavailable { retry_after } => {
                let seconds = retry_after.as_secs().max(1);
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            _ => {}
        }
        headers.insert(crate::context::X_REQUEST_ID, request_id.clone());
        response
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    problem_type: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    instance: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_of(response: Response<Full<Bytes>>) -> serde_json::Value {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn a_refused_token_gets_a_problem_and_a_challenge() {
        let request_id = HeaderValue::from_static("req-1");
        let error = RequestError::new(RequestErrorKind::InvalidCredentials, "expired");
        let response = error.to_response(&request_id);
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            r#"Bearer realm="portico", error="invalid_token""#
        );
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(
            body_of(response).await,
            serde_json::json!({
                "type": "about:blank",
                "title": "Unauthorized",
                "status": 401,
                "detail": "The credentials or token are not valid.",
                "instance": "req-1"
            })
        );
    }

    #[test]
    fn statuses_and_parties_follow_the_contract() {
        let cases = [
            (RequestErrorKind::NoRoute, 404, Party::Client),
            (RequestErrorKind::MissingCredentials, 401, Party::Client),
            (RequestErrorKind::NotRegistered, 403, Party::Client),
            (
                RequestErrorKind::IdpUnavailable {
                    retry_after: Duration::from_secs(3),
                },
                503,
                Party::Idp,
            ),
            (RequestErrorKind::UpstreamUnreachable, 502, Party::Upstream),
            (RequestErrorKind::UpstreamTimeout, 504, Party::Upstream),
            (RequestErrorKind::ClientBodyTimeout, 408, Party::Client),
        ];
        for (kind, status, party) in cases {
            let error = RequestError::new(kind, "");
            assert_eq!(error.status().as_u16(), status);
            assert_eq!(error.party(), party);
        }
        let missing = RequestError::new(RequestErrorKind::MissingCredentials, "")
            .to_response(&HeaderValue::from_static("r"));
        assert_eq!(
            missing.headers()[header::WWW_AUTHENTICATE],
            r#"Bearer realm="portico""#
        );
        let unavailable = RequestError::new(
            RequestErrorKind::IdpUnavailable {
                retry_after: Duration::from_secs(3),
            },
            "",
        )
        .to_response(&HeaderValue::from_static("r"));
        assert_eq!(unavailable.headers()[header::RETRY_AFTER], "3");
    }
}
