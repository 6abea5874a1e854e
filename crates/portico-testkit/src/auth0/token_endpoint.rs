//! `POST /oauth/token` for the client-credentials grant.
//!
//! The checks run in the order a request needs them: the grant type, the client's
//! credentials (401 `access_denied` for every failure, as Auth0 does, never `invalid_client`),
//! then what the authenticated client may do (403s), then issuance.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::http_responses::{
    invalid_json_payload, json_response, oauth_error, oauth_unauthorized, Refusal,
};
use super::Shared;

pub(crate) async fn issue_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue_token_or_refuse(&shared, &headers, &body) {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(),
    }
}

/// How the client authenticated, for the optional strict check against its configured method.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AuthenticationMethod {
    ClientSecretPost,
    ClientSecretBasic,
}

fn issue_token_or_refuse(
    shared: &Shared,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, Refusal> {
    let parameters = parse_parameters(headers, body)?;

    let grant_type = parameters
        .get("grant_type")
        .filter(|value| !value.is_empty())
        .ok_or_else(|| {
            oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing required parameter: grant_type",
            )
        })?;
    if grant_type != "client_credentials" {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Unsupported grant type: {grant_type}"),
        )
        .into());
    }

    let (client_id, presented_secret, method) = client_credentials(headers, &parameters)?;
    let now_secs = shared.now_secs();
    let now_millis = shared.now_millis();
    let tenant = shared.lock_tenant();

    let client = tenant.client(&client_id).ok_or_else(oauth_unauthorized)?;
    if !client.accepts_secret(&presented_secret, now_millis) {
        return Err(oauth_unauthorized().into());
    }
    if shared.config.strict_auth_method {
        let expected = match client.token_endpoint_auth_method() {
            "client_secret_basic" => Some(AuthenticationMethod::ClientSecretBasic),
            "client_secret_post" => Some(AuthenticationMethod::ClientSecretPost),
            _ => None,
        };
        if expected != Some(method) {
            return Err(oauth_unauthorized().into());
        }
    }
    if !client.allows_client_credentials() {
        return Err(json_response(
            StatusCode::FORBIDDEN,
            &json!({
                "error": "unauthorized_client",
                "error_description": "Grant type 'client_credentials' not allowed for the client.",
                "error_uri": "https://auth0.com/docs/clients/client-grant-types"
            }),
        )
        .into());
    }

    let audience = parameters
        .get("audience")
        .filter(|audience| !audience.is_empty())
        .cloned()
        .or_else(|| shared.config.default_audience.clone())
        .ok_or_else(|| {
            access_denied(
                "No audience parameter was provided, and no default audience has been configured",
            )
        })?;
    let resource_server = tenant
        .resource_server(&audience)
        .ok_or_else(|| access_denied(&format!("Service not enabled within domain: {audience}")))?;
    let grant = tenant
        .client_credentials_grant(&client_id, &audience)
        .ok_or_else(|| {
            access_denied(&format!(
                "Client is not authorized to access \"{audience}\". You need to create a \"client-grant\" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"
            ))
        })?;

    let granted_scopes = match parameters.get("scope").map(String::as_str) {
        Some(requested) if !requested.trim().is_empty() => {
            let requested: Vec<&str> = requested.split_whitespace().collect();
            let missing: Vec<&str> = requested
                .iter()
                .copied()
                .filter(|scope| !grant.scope.iter().any(|granted| granted == scope))
                .collect();
            if !missing.is_empty() {
                return Err(access_denied(&format!(
                    "Client has not been granted scopes: {}",
                    missing.join(" ")
                ))
                .into());
            }
            requested.into_iter().map(str::to_owned).collect()
        }
        _ => grant.scope.clone(),
    };

    let token_lifetime = resource_server.token_lifetime;
    let mut claims = Map::new();
    claims.insert("iss".to_owned(), json!(shared.issuer()));
    claims.insert("sub".to_owned(), json!(format!("{client_id}@clients")));
    claims.insert("aud".to_owned(), json!(audience));
    claims.insert("iat".to_owned(), json!(now_secs));
    claims.insert("exp".to_owned(), json!(now_secs + token_lifetime as i64));
    claims.insert("azp".to_owned(), json!(client_id));
    if !granted_scopes.is_empty() {
        claims.insert("scope".to_owned(), json!(granted_scopes.join(" ")));
    }
    claims.insert("gty".to_owned(), json!("client-credentials"));
    if resource_server.include_permissions_claim {
        claims.insert("permissions".to_owned(), json!(granted_scopes));
    }
    let access_token = tenant.keys.sign_rs256(&Value::Object(claims));
    drop(tenant);

    let mut body = Map::new();
    body.insert("access_token".to_owned(), json!(access_token));
    if !granted_scopes.is_empty() {
        body.insert("scope".to_owned(), json!(granted_scopes.join(" ")));
    }
    body.insert("expires_in".to_owned(), json!(token_lifetime));
    body.insert("token_type".to_owned(), json!("Bearer"));
    let mut response = json_response(StatusCode::OK, &Value::Object(body));
    // RFC 6749 section 5.1: responses carrying tokens must not be cached.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

fn access_denied(description: &str) -> Response {
    oauth_error(StatusCode::FORBIDDEN, "access_denied", description)
}

/// Reads the parameters from a JSON body or a form body. Auth0 documents both encodings.
fn parse_parameters(headers: &HeaderMap, body: &Bytes) -> Result<HashMap<String, String>, Refusal> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") {
        if body.is_empty() {
            return Ok(HashMap::new());
        }
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
            return Err(invalid_json_payload().into());
        };
        // Non-string values are not meaningful for any parameter of this grant, so they are
        // treated as absent rather than coerced.
        return Ok(object
            .into_iter()
            .filter_map(|(name, value)| match value {
                Value::String(text) => Some((name, text)),
                _ => None,
            })
            .collect());
    }
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map(|pairs| pairs.into_iter().collect())
        .map_err(|_| {
            oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The request body could not be parsed",
            )
            .into()
        })
}

/// Finds the client's credentials: HTTP Basic (`client_secret_basic`) when present, else the
/// body (`client_secret_post`). Anything missing or malformed is a 401 like a wrong secret.
fn client_credentials(
    headers: &HeaderMap,
    parameters: &HashMap<String, String>,
) -> Result<(String, String, AuthenticationMethod), Refusal> {
    let basic_credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, encoded) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("basic")
                .then(|| encoded.trim().to_owned())
        });
    if let Some(encoded) = basic_credentials {
        let decoded = STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(oauth_unauthorized)?;
        let (encoded_id, encoded_secret) =
            decoded.split_once(':').ok_or_else(oauth_unauthorized)?;
        // RFC 6749 section 2.3.1 form-encodes both parts before joining them.
        let client_id = form_decode(encoded_id);
        let client_secret = form_decode(encoded_secret);
        if let Some(body_client_id) = parameters.get("client_id") {
            if *body_client_id != client_id {
                return Err(oauth_unauthorized().into());
            }
        }
        return Ok((
            client_id,
            client_secret,
            AuthenticationMethod::ClientSecretBasic,
        ));
    }
    let client_id = parameters
        .get("client_id")
        .filter(|value| !value.is_empty())
        .ok_or_else(oauth_unauthorized)?;
    let client_secret = parameters
        .get("client_secret")
        .filter(|value| !value.is_empty())
        .ok_or_else(oauth_unauthorized)?;
    Ok((
        client_id.clone(),
        client_secret.clone(),
        AuthenticationMethod::ClientSecretPost,
    ))
}

fn form_decode(value: &str) -> String {
    url::form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, decoded)| decoded.into_owned())
        .unwrap_or_default()
}
