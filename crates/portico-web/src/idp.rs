//! The built-in identity provider's HTTP surface, on the portal listener under `/idp`:
//! the OpenID discovery document, the JWKS, and the token endpoint of the client-credentials
//! grant (RFC 6749 section 4.4).
//!
//! These speak OAuth, not Portico's API conventions: the token endpoint takes a form body,
//! authenticates the client by HTTP Basic (RFC 6749 section 2.3.1: id and secret
//! form-urlencoded, then base64) or by `client_id` and `client_secret` in the form, and
//! answers errors as `{"error", "error_description"}` JSON (section 5.2), which OAuth clients
//! parse, instead of problem+json. They are not part of the portal's OpenAPI document.
//! Without a built-in IdP wired in, every route answers 404.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use portico_core::service::{BuiltinIdp, OAuthError, OAuthErrorCode, TokenRequest};
use portico_core::SecretString;
use serde_json::{json, Value};

use crate::error::{ApiError, NotAProblem};
use crate::AppState;

/// Token requests are a handful of short parameters; anything larger is not one.
const MAX_TOKEN_REQUEST_BYTES: usize = 16 * 1024;

/// The three routes; merged into the portal listener's router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/idp/.well-known/openid-configuration", get(discovery))
        .route("/idp/.well-known/jwks.json", get(jwks))
        .route("/idp/oauth/token", post(token))
}

fn builtin(state: &AppState) -> Result<&Arc<BuiltinIdp>, ApiError> {
    state
        .portico
        .builtin_idp()
        .ok_or_else(|| ApiError::not_found("built-in identity provider"))
}

/// RFC 8414 / OpenID Connect Discovery metadata, limited to what this server does: no
/// authorization endpoint, no ID tokens, only the client-credentials grant.
async fn discovery(State(state): State<AppState>) -> Result<Response, ApiError> {
    let idp = builtin(&state)?;
    let issuer = idp.issuer();
    let document = json!({
        "issuer": issuer.as_str(),
        "token_endpoint": issuer.join("oauth/token"),
        "jwks_uri": issuer.join(".well-known/jwks.json"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        // Required by RFC 8414; empty because there is no authorization endpoint.
        "response_types_supported": [],
        "claims_supported": ["iss", "sub", "aud", "azp", "client_id", "iat", "exp", "scope", "jti"],
        "access_token_signing_alg_values_supported": ["RS256"],
    });
    Ok((
        [(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=300"),
        )],
        Json(document),
    )
        .into_response())
}

async fn jwks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let document = builtin(&state)?.jwks().await?;
    // Short, so that a rotated key shows up soon even behind an HTTP cache.
    Ok((
        [(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=60"),
        )],
        Json(document),
    )
        .into_response())
}

async fn token(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let idp = builtin(&state)?.clone();
    let (parts, body) = request.into_parts();
    let outcome = match read_token_request(&parts.headers, body).await {
        Ok(token_request) => idp.issue_token(token_request).await,
        Err(error) => Err(error),
    };
    Ok(match outcome {
        Ok(issued) => {
            let mut body = json!({
                "access_token": issued.access_token.expose(),
                "token_type": issued.token_type,
                "expires_in": issued.expires_in,
            });
            if let Some(scope) = issued.scope {
                body["scope"] = Value::String(scope);
            }
            oauth_response(StatusCode::OK, &body)
        }
        Err(error) => error_response(&error),
    })
}

/// Reads the form body and the client authentication into a [`TokenRequest`].
async fn read_token_request(headers: &HeaderMap, body: Body) -> Result<TokenRequest, OAuthError> {
    let invalid_request =
        |description: &str| OAuthError::new(OAuthErrorCode::InvalidRequest, description.to_owned());
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(invalid_request(
            "the body must be sent as application/x-www-form-urlencoded",
        ));
    }
    let bytes = axum::body::to_bytes(body, MAX_TOKEN_REQUEST_BYTES)
        .await
        .map_err(|_| invalid_request("the body is too large or could not be read"))?;

    let mut request = TokenRequest::default();
    let mut form_client_id = None;
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(&bytes) {
        // RFC 6749 section 3.2: parameters must not be sent twice.
        if seen.iter().any(|earlier| *earlier == name) {
            return Err(invalid_request(&format!(
                "the parameter {name} is sent more than once"
            )));
        }
        seen.push(name.to_string());
        let value = value.into_owned();
        match name.as_ref() {
            "grant_type" => request.grant_type = Some(value),
            "client_id" => form_client_id = Some(value),
            "client_secret" => request.client_secret = Some(SecretString::new(value)),
            "audience" => request.audience = Some(value),
            "scope" => request.scope = Some(value),
            // Unknown parameters are ignored (RFC 6749 section 3.2).
            _ => {}
        }
    }

    match basic_credentials(headers)? {
        Some((client_id, client_secret)) => {
            // Section 2.3: one authentication method per request.
            if request.client_secret.is_some() {
                return Err(invalid_request(
                    "the client authenticated both with HTTP Basic and with client_secret",
                ));
            }
            if form_client_id
                .as_deref()
                .is_some_and(|form_id| form_id != client_id)
            {
                return Err(invalid_request(
                    "the client_id parameter differs from the HTTP Basic user name",
                ));
            }
            request.client_id = Some(client_id);
            request.client_secret = Some(client_secret);
        }
        None => request.client_id = form_client_id,
    }
    Ok(request)
}

/// HTTP Basic client credentials (RFC 6749 section 2.3.1): `base64(urlencode(id) ":"
/// urlencode(secret))`. `Ok(None)` without an `Authorization` header.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, SecretString)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let refused = || {
        OAuthError::new(
            OAuthErrorCode::InvalidClient,
            "the Authorization header is not valid HTTP Basic client authentication",
        )
    };
    let value = value.to_str().map_err(|_| refused())?.trim();
    let (scheme, encoded) = value.split_once(' ').ok_or_else(refused)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(refused());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| refused())?;
    let decoded = String::from_utf8(decoded).map_err(|_| refused())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(refused)?;
    let id = form_decode(id);
    let secret = form_decode(secret);
    if id.is_empty() {
        return Err(refused());
    }
    Ok(Some((id, SecretString::new(secret))))
}

/// The application/x-www-form-urlencoded decoding of one value (`+` is a space).
fn form_decode(value: &str) -> String {
    url::form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, decoded)| decoded.into_owned())
        .unwrap_or_default()
}

/// RFC 6749 section 5.2's error response: 401 with a challenge for `invalid_client`
/// (a 401 always names a scheme; Basic is the one clients can use here), 500 for Portico's
/// own failures, 400 otherwise.
fn error_response(error: &OAuthError) -> Response {
    let status = match error.code {
        OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    tracing::info!(error = error.code.as_str(), description = %error.description, "token request refused");
    let mut response = oauth_response(
        status,
        &json!({
            "error": error.code.as_str(),
            "error_description": error.description,
        }),
    );
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"portico\""),
        );
    }
    response
}

/// A JSON answer of the token endpoint: never cached (section 5.1), and kept out of the
/// problem+json conversion.
fn oauth_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (
        status,
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        Json(body),
    )
        .into_response();
    response.extensions_mut().insert(NotAProblem);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(authorization).unwrap(),
        );
        headers
    }

    fn encode(pair: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(pair)
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let (id, secret) = basic_credentials(&headers(&format!(
            "Basic {}",
            encode("my%20client:s%3Ac+r")
        )))
        .unwrap()
        .unwrap();
        assert_eq!(id, "my client");
        assert_eq!(secret.expose(), "s:c r");
        let (id, secret) = basic_credentials(&headers(&format!("basic {}", encode("abc:xyz"))))
            .unwrap()
            .unwrap();
        assert_eq!((id.as_str(), secret.expose()), ("abc", "xyz"));
        assert!(basic_credentials(&HeaderMap::new()).unwrap().is_none());
    }

    #[test]
    fn malformed_basic_credentials_are_invalid_client() {
        for value in [
            "Basic".to_owned(),
            "Basic !!!".to_owned(),
            format!("Basic {}", encode("no-colon")),
            format!("Basic {}", encode(":secret")),
            "Bearer a.b.c".to_owned(),
        ] {
            let error = basic_credentials(&headers(&value)).unwrap_err();
            assert_eq!(error.code, OAuthErrorCode::InvalidClient, "{value}");
        }
    }

    #[test]
    fn errors_follow_rfc_6749() {
        let response = error_response(&OAuthError::new(OAuthErrorCode::InvalidClient, "no"));
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Basic realm=\"portico\""
        );
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        assert!(response.extensions().get::<NotAProblem>().is_some());
        let response = error_response(&OAuthError::new(OAuthErrorCode::InvalidTarget, "no"));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
    }
}
