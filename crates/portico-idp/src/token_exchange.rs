//! The OAuth 2.0 client-credentials grant: a client id and secret exchanged for an access
//! token at an issuer's token endpoint.
//!
//! The request is what Auth0 records show (`client_secret_post`, form body): `grant_type`,
//! `client_id`, `client_secret` and `audience`, and deliberately no `scope`: OpenID Connect
//! scopes belong to user sign-in, and Auth0 refuses a scope its grant does not hold.
//!
//! The call is made once, without retries: the gateway's caller is waiting, and the gateway
//! answers 503 with `Retry-After` instead. Three outcomes are kept apart, because the gateway
//! remembers only a real rejection: the IdP judged the credentials and refused them
//! ([`ExchangeError::Rejected`]), the IdP could not judge them ([`ExchangeError::Unavailable`]),
//! or it answered something that is not a token response ([`ExchangeError::InvalidResponse`]).

use std::fmt;
use std::time::Duration;

use portico_core::SecretString;
use reqwest::StatusCode;
use serde::Deserialize;

/// The longest `Retry-After` taken over from the IdP.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// One client-credentials exchange.
#[derive(Clone, Copy)]
pub struct ClientCredentialsRequest<'a> {
    /// From the issuer's discovery document.
    pub token_endpoint: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a SecretString,
    /// The API identifier the token is for.
    pub audience: &'a str,
}

impl fmt::Debug for ClientCredentialsRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentialsRequest")
            .field("token_endpoint", &self.token_endpoint)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("audience", &self.audience)
            .finish()
    }
}

/// The token endpoint's answer.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// A bearer credential: redacted in `Debug` like a secret.
    pub access_token: SecretString,
    /// Seconds until the token expires, when the IdP says.
    pub expires_in: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// The IdP judged the credentials and refused them (401 or 403, or an RFC 6749 client
    /// error such as `invalid_client`).
    #[error("the identity provider refused the credentials ({status}): {message}")]
    Rejected {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// The IdP could not be reached, timed out, or answered 5xx or 429.
    #[error("the identity provider is unavailable: {reason}")]
    Unavailable {
        reason: String,
        /// How long the IdP asked callers to wait, when it said (capped at a minute).
        retry_after: Option<Duration>,
    },
    /// The IdP answered something that is not a token response; `body` is for the log.
    #[error("the identity provider sent an unexpected response: {reason}")]
    InvalidResponse { reason: String, body: String },
}

/// Exchanges client credentials for an access token.
pub async fn exchange_client_credentials(
    http: &reqwest::Client,
    request: ClientCredentialsRequest<'_>,
) -> Result<IssuedToken, ExchangeError> {
    let response = http
        .post(request.token_endpoint)
        .header("accept", "application/json")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", request.client_id),
            ("client_secret", request.client_secret.expose()),
            ("audience", request.audience),
        ])
        .send()
        .await
        .map_err(|error| ExchangeError::Unavailable {
            reason: crate::retry::describe(&error),
            retry_after: None,
        })?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(|seconds| Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    let body = response
        .bytes()
        .await
        .map_err(|error| ExchangeError::Unavailable {
            reason: crate::retry::describe(&error),
            retry_after: None,
        })?;
    interpret(status, retry_after, &body)
}

fn interpret(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<IssuedToken, ExchangeError> {
    let raw_body = || String::from_utf8_lossy(&body[..body.len().min(2048)]).into_owned();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return Err(ExchangeError::Unavailable {
            reason: format!("the token endpoint answered {status}"),
            retry_after,
        });
    }
    if status.is_success() {
        #[derive(Deserialize)]
        struct Success {
            access_token: String,
            #[serde(default)]
            token_type: Option<String>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let success: Success =
            serde_json::from_slice(body).map_err(|error| ExchangeError::InvalidResponse {
                reason: format!("the token response is not JSON of the expected shape: {error}"),
                body: "[not logged: may hold a token]".to_owned(),
            })?;
        if let Some(token_type) = &success.token_type {
            if !token_type.eq_ignore_ascii_case("bearer") {
                return Err(ExchangeError::InvalidResponse {
                    reason: format!("the token type is {token_type:?}, not Bearer"),
                    body: String::new(),
                });
            }
        }
        if success.access_token.is_empty() {
            return Err(ExchangeError::InvalidResponse {
                reason: "the access token is empty".to_owned(),
                body: String::new(),
            });
        }
        return Ok(IssuedToken {
            access_token: SecretString::new(success.access_token),
            expires_in: success.expires_in,
        });
    }

    #[derive(Deserialize, Default)]
    struct ErrorBody {
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        error_description: Option<String>,
    }
    let error_body: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let message = error_body
        .error_description
        .clone()
        .or_else(|| error_body.error.clone())
        .unwrap_or_else(|| status.to_string());
    let judged = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        || matches!(
            error_body.error.as_deref(),
            // `invalid_scope` and `invalid_target` (RFC 8707) judge this client too: it is
            // not allowed the audience or scope the strategy asks for.
            Some(
                "invalid_client"
                    | "invalid_grant"
                    | "unauthorized_client"
                    | "access_denied"
                    | "invalid_scope"
                    | "invalid_target"
            )
        );
    if judged {
        Err(ExchangeError::Rejected {
            status: status.as_u16(),
            code: error_body.error,
            message,
        })
    } else {
        Err(ExchangeError::InvalidResponse {
            reason: format!("the token endpoint answered {status}: {message}"),
            body: raw_body(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth0_bad_credentials_are_a_rejection() {
        let outcome = interpret(
            StatusCode::UNAUTHORIZED,
            None,
            br#"{"error":"access_denied","error_description":"Unauthorized"}"#,
        );
        assert_eq!(
            outcome.unwrap_err(),
            ExchangeError::Rejected {
                status: 401,
                code: Some("access_denied".into()),
                message: "Unauthorized".into()
            }
        );
        for code in ["invalid_client", "invalid_target", "invalid_scope"] {
            let body = format!(r#"{{"error":"{code}"}}"#);
            assert!(
                matches!(
                    interpret(StatusCode::BAD_REQUEST, None, body.as_bytes()),
                    Err(ExchangeError::Rejected { status: 400, .. })
                ),
                "{code}"
            );
        }
        assert!(matches!(
            interpret(
                StatusCode::BAD_REQUEST,
                None,
                br#"{"error":"invalid_request"}"#
            ),
            Err(ExchangeError::InvalidResponse { .. })
        ));
    }

    #[test]
    fn server_errors_and_rate_limits_are_unavailability() {
        assert!(matches!(
            interpret(StatusCode::SERVICE_UNAVAILABLE, None, b"{}"),
            Err(ExchangeError::Unavailable { .. })
        ));
        assert_eq!(
            interpret(
                StatusCode::TOO_MANY_REQUESTS,
                Some(Duration::from_secs(7)),
                b"{}"
            )
            .unwrap_err(),
            ExchangeError::Unavailable {
                reason: "the token endpoint answered 429 Too Many Requests".into(),
                retry_after: Some(Duration::from_secs(7))
            }
        );
    }

    #[test]
    fn a_token_response_is_read() {
        let token = interpret(
            StatusCode::OK,
            None,
            br#"{"access_token":"a.b.c","expires_in":86400,"token_type":"Bearer"}"#,
        )
        .unwrap();
        assert_eq!(token.access_token.expose(), "a.b.c");
        assert_eq!(token.expires_in, Some(86400));
        assert!(!format!("{token:?}").contains("a.b.c"));
        assert!(matches!(
            interpret(
                StatusCode::OK,
                None,
                br#"{"access_token":"x","token_type":"mac"}"#
            ),
            Err(ExchangeError::InvalidResponse { .. })
        ));
        assert!(matches!(
            interpret(StatusCode::OK, None, b"<html>"),
            Err(ExchangeError::InvalidResponse { .. })
        ));
    }
}
