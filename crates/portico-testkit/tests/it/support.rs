//! Helpers shared by the test modules.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Header, Validation};
use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

pub async fn emulator() -> Auth0Emulator {
    Auth0Emulator::start(EmulatorConfig::default()).await
}

/// A client that never goes through a proxy from the environment, since the emulator is local.
pub fn http() -> Client {
    Client::builder()
        .no_proxy()
        .build()
        .expect("building the HTTP client failed")
}

pub fn token_url(emulator: &Auth0Emulator) -> String {
    format!("{}/oauth/token", emulator.base_url())
}

pub fn management_url(emulator: &Auth0Emulator, path: &str) -> String {
    format!("{}/api/v2{path}", emulator.base_url())
}

/// Posts client-credentials parameters as a form (`client_secret_post`).
pub async fn request_token(
    emulator: &Auth0Emulator,
    client_id: &str,
    client_secret: &str,
    audience: &str,
) -> Response {
    http()
        .post(token_url(emulator))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("audience", audience),
        ])
        .send()
        .await
        .expect("the token request failed to send")
}

/// Gets an access token and fails the test if the emulator refuses.
pub async fn access_token(
    emulator: &Auth0Emulator,
    credentials: &(String, String),
    audience: &str,
) -> String {
    let response = request_token(emulator, &credentials.0, &credentials.1, audience).await;
    assert_eq!(response.status(), StatusCode::OK, "token request refused");
    let body: Value = response.json().await.expect("token response is JSON");
    body["access_token"]
        .as_str()
        .expect("access_token is a string")
        .to_owned()
}

/// A Management API token for the seeded client holding Portico's nine scopes.
pub async fn management_token(emulator: &Auth0Emulator) -> String {
    access_token(
        emulator,
        &emulator.management_client(),
        &emulator.management_audience(),
    )
    .await
}

/// A Management API token that also holds `read:client_keys`.
pub async fn full_management_token(emulator: &Auth0Emulator) -> String {
    access_token(
        emulator,
        &emulator.full_management_client(),
        &emulator.management_audience(),
    )
    .await
}

/// Verifies a token against the emulator's published JWKS with an independent JWT library.
pub fn verify_with_jwks(emulator: &Auth0Emulator, token: &str, audience: &str) -> (Header, Value) {
    let header = decode_header(token).expect("the token header decodes");
    let jwks: JwkSet = serde_json::from_value(emulator.jwks()).expect("the JWKS parses");
    let kid = header.kid.clone().expect("the token names a kid");
    let jwk = jwks.find(&kid).expect("the kid is published");
    let key = DecodingKey::from_jwk(jwk).expect("the JWK is a usable RSA key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[emulator.issuer()]);
    let claims = decode::<Value>(token, &key, &validation)
        .expect("the token verifies against the JWKS")
        .claims;
    (header, claims)
}

pub async fn json_body(response: Response) -> Value {
    let text = response.text().await.expect("the body is readable");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("the body is not JSON: {text}"))
}

pub fn content_type(response: &Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Creates a client through the Management API and returns the 201 body.
pub async fn create_client(emulator: &Auth0Emulator, token: &str, body: Value) -> Value {
    let response = http()
        .post(management_url(emulator, "/clients"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("the create request failed to send");
    assert_eq!(response.status(), StatusCode::CREATED);
    json_body(response).await
}

/// Creates an M2M client with a grant on `audience` through the Management API and returns
/// `(client_id, client_secret)`.
pub async fn create_m2m_client_with_grant(
    emulator: &Auth0Emulator,
    token: &str,
    audience: &str,
    scopes: &[&str],
) -> (String, String) {
    let client = create_client(
        emulator,
        token,
        json!({ "name": "Weather app", "app_type": "non_interactive", "grant_types": ["client_credentials"] }),
    )
    .await;
    let client_id = client["client_id"].as_str().expect("client_id").to_owned();
    let response = http()
        .post(management_url(emulator, "/client-grants"))
        .bearer_auth(token)
        .json(&json!({ "client_id": client_id, "audience": audience, "scope": scopes }))
        .send()
        .await
        .expect("the grant request failed to send");
    assert_eq!(response.status(), StatusCode::CREATED);
    let secret = client["client_secret"]
        .as_str()
        .expect("client_secret")
        .to_owned();
    (client_id, secret)
}
