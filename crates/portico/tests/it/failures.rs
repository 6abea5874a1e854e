//! What happens when Auth0 refuses, fails, throttles or disappears.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

async fn started() -> (
    portico_testkit::auth0::Auth0Emulator,
    tempfile::TempDir,
    TestPortico,
) {
    let emulator = emulator().await;
    let data_dir = tempfile::tempdir().unwrap();
    let url = portico_store::sqlite_url(&data_dir.path().join("portico.db"));
    let portico = TestPortico::start(data_dir.path(), &url).await;
    (emulator, data_dir, portico)
}

fn setup_body(
    emulator: &portico_testkit::auth0::Auth0Emulator,
    client_id: &str,
    client_secret: &str,
) -> serde_json::Value {
    json!({
        "provider_type": "auth0",
        "issuer": emulator.base_url(),
        "client_token_audience": emulator.api_audience(),
        "scopes": ["openid"],
        "consumer_claims": ["azp"],
        "initial_client_id": client_id,
        "initial_client_secret": client_secret,
    })
}

#[tokio::test]
async fn verification_fails_with_a_wrong_secret_and_nothing_is_saved() {
    let (emulator, _dir, portico) = started().await;
    let (client_id, _) = emulator.management_client();
    let (status, problem) = portico
        .admin(
            Method::PUT,
            "/v1/portal/application-setup",
            Some(setup_body(&emulator, &client_id, "wrong-secret")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("Initial Client Secret"), "{detail}");
    assert_setup_is_still_the_builtin_one(&portico).await;
    let (_, providers) = portico.admin(Method::GET, "/v1/dcr-providers", None).await;
    let providers = providers["data"].as_array().unwrap();
    assert_eq!(
        providers.len(),
        1,
        "only the built-in provider: {providers:?}"
    );
    assert_eq!(providers[0]["provider_type"], "builtin");
}

/// A fresh install's setup is the built-in provider's; a failed save leaves it so.
async fn assert_setup_is_still_the_builtin_one(portico: &TestPortico) {
    let (status, setup) = portico
        .admin(Method::GET, "/v1/portal/application-setup", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    assert_eq!(setup["provider_type"], "builtin", "{setup}");
}

#[tokio::test]
async fn verification_names_each_missing_permission() {
    let (emulator, _dir, portico) = started().await;
    let (client_id, client_secret) = emulator.add_management_client(&[
        "read:clients",
        "create:clients",
        "update:clients",
        "delete:clients",
        "read:client_grants",
        "update:client_grants",
        "delete:client_grants",
    ]);
    let (status, problem) = portico
        .admin(
            Method::PUT,
            "/v1/portal/application-setup",
            Some(setup_body(&emulator, &client_id, &client_secret)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        problem["detail"],
        "the Auth0 application is missing the Management API permissions: create:client_grants, update:client_keys"
    );
    assert_setup_is_still_the_builtin_one(&portico).await;
}

#[tokio::test]
async fn a_failed_client_grant_leaves_nothing_behind() {
    let (emulator, _dir, portico) = started().await;
    assert_eq!(portico.application_setup(&emulator).await.0, StatusCode::OK);
    let token = portico.developer("grant@example.com").await;
    emulator.fail_next("POST", "/api/v2/client-grants", 1, 403);
    let (status, problem) = portico
        .portal(
            Method::POST,
            "/api/v1/applications",
            Some(&token),
            Some(json!({"name": "Doomed", "description": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{problem}");
    assert_eq!(
        emulator.request_count("POST", "/api/v2/clients"),
        1,
        "a client was made first"
    );
    assert!(
        emulator.clients().is_empty(),
        "the client was deleted again"
    );
    let (_, listed) = portico
        .portal(Method::GET, "/api/v1/applications", Some(&token), None)
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0);
    let (_, all) = portico.admin(Method::GET, "/v1/applications", None).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn two_429s_then_success_creates_the_application() {
    let (emulator, _dir, portico) = started().await;
    assert_eq!(portico.application_setup(&emulator).await.0, StatusCode::OK);
    let token = portico.developer("patient@example.com").await;
    emulator.rate_limit_next("POST", "/api/v2/clients", 2, 1);
    let (status, created) = portico
        .portal(
            Method::POST,
            "/api/v1/applications",
            Some(&token),
            Some(json!({"name": "Patient", "description": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(emulator.request_count("POST", "/api/v2/clients"), 3);
    assert_eq!(emulator.clients().len(), 1);
}

#[tokio::test]
async fn auth0_down_at_delete_is_retried_until_it_is_back_also_across_a_restart() {
    let (mut emulator, _dir, mut portico) = started().await;
    assert_eq!(portico.application_setup(&emulator).await.0, StatusCode::OK);
    let token = portico.developer("outage@example.com").await;
    let (status, created) = portico
        .portal(
            Method::POST,
            "/api/v1/applications",
            Some(&token),
            Some(json!({"name": "Outage", "description": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let application_id = created["id"].as_str().unwrap().to_owned();
    let client_id = created["client_id"].as_str().unwrap().to_owned();

    emulator.stop().await;
    let (status, _) = portico
        .portal(
            Method::DELETE,
            &format!("/api/v1/applications/{application_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = portico
        .portal(
            Method::GET,
            &format!("/api/v1/applications/{application_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "gone from Portico at once");

    // Portico restarts while Auth0 is still down; the queued deletion survives.
    portico.restart().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        emulator.client(&client_id).is_some(),
        "Auth0 could not be told yet"
    );

    emulator.restart().await;
    let gone = eventually(20, || emulator.client(&client_id).is_none()).await;
    assert!(gone, "the queued deletion reached Auth0 once it was back");
    portico.stop().await;
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_makes_one_client() {
    let (emulator, _dir, portico) = started().await;
    assert_eq!(portico.application_setup(&emulator).await.0, StatusCode::OK);
    let token = portico.developer("retry@example.com").await;
    let create = |key: &'static str| {
        portico
            .http
            .post(portico.portal_url("/api/v1/applications"))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&json!({"name": "Retried", "description": "once"}))
            .send()
    };
    let (first_status, first) = read(create("key-1").await.unwrap()).await;
    assert_eq!(first_status, StatusCode::CREATED, "{first}");
    assert!(first["client_secret"].is_string());
    let second = create("key-1").await.unwrap();
    assert_eq!(second.headers().get("idempotent-replayed").unwrap(), "true");
    let (second_status, second) = read(second).await;
    assert_eq!(second_status, StatusCode::OK, "{second}");
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["client_id"], first["client_id"]);
    assert!(second.get("client_secret").is_none());
    assert_eq!(emulator.request_count("POST", "/api/v2/clients"), 1);
    assert_eq!(emulator.clients().len(), 1);

    // The same key with another body is refused rather than silently replayed.
    let (status, _) = read(
        portico
            .http
            .post(portico.portal_url("/api/v1/applications"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "key-1")
            .json(&json!({"name": "Something else", "description": ""}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(emulator.clients().len(), 1);
}
