//! The seed journey through the HTTP APIs, against the Auth0 emulator, on both backends.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

async fn seed_journey(backend: Backend) {
    capture_logs();
    let emulator = emulator().await;
    let data_dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(backend, data_dir.path()).await;
    let portico = TestPortico::start(data_dir.path(), &database.url).await;
    let (_, management_secret) = emulator.management_client();

    // Settings > Application Setup, with the issuer written without its trailing slash.
    assert!(!emulator.base_url().ends_with('/'));
    let (status, setup) = portico.application_setup(&emulator).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    assert_eq!(setup["provider_type"], "auth0");
    assert_eq!(setup["client_token_audience"], emulator.api_audience());
    assert_eq!(setup["consumer_claims"], json!(["azp"]));
    assert!(setup["dcr_provider_id"].is_string() && setup["auth_strategy_id"].is_string());
    assert!(
        !setup.to_string().contains(&management_secret),
        "the initial secret is write-only"
    );
    let (status, fetched) = portico
        .admin(Method::GET, "/v1/portal/application-setup", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["issuer"], setup["issuer"]);
    assert!(!fetched.to_string().contains(&management_secret));
    let (_, providers) = portico.admin(Method::GET, "/v1/dcr-providers", None).await;
    assert!(!providers.to_string().contains(&management_secret));

    // The provider publishes an API.
    let (status, api) = portico
        .admin(
            Method::POST,
            "/v1/apis",
            Some(json!({"name": "Weather", "upstream_url": "http://127.0.0.1:9/", "routes": [{"paths": ["/weather"]}], "published": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{api}");

    // A developer signs up and in, then My Apps > New App > Create.
    let token = portico.developer("ada@example.com").await;
    let (status, me) = portico
        .portal(Method::GET, "/api/v1/developer/me", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], "ada@example.com");
    let (status, created) = portico
        .portal(
            Method::POST,
            "/api/v1/applications",
            Some(&token),
            Some(json!({"name": "Ada's app", "redirect_uri": "https://ada.example.com/callback", "description": "Weather dashboard"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let application_id = created["id"].as_str().unwrap().to_owned();
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let client_secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(!client_secret.is_empty());

    // What Auth0 now holds.
    let client = emulator
        .client(&client_id)
        .expect("the client exists in Auth0");
    assert_eq!(client["app_type"], "non_interactive");
    assert_eq!(client["grant_types"], json!(["client_credentials"]));
    assert_eq!(
        client["callbacks"],
        json!(["https://ada.example.com/callback"])
    );
    assert_eq!(
        client["client_metadata"]["portico_application_id"],
        application_id
    );
    assert_eq!(client["client_metadata"]["portico_developer_id"], me["id"]);
    let grants: Vec<_> = emulator
        .client_grants()
        .into_iter()
        .filter(|grant| grant["client_id"] == client_id.as_str())
        .collect();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["audience"], emulator.api_audience());
    assert_eq!(
        token_status(&emulator, &client_id, &client_secret).await,
        StatusCode::OK
    );

    // GET never returns the secret.
    let (status, fetched) = portico
        .portal(
            Method::GET,
            &format!("/api/v1/applications/{application_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["client_id"], client_id);
    assert!(fetched.get("client_secret").is_none());
    assert!(!fetched.to_string().contains(&client_secret));
    let (_, listed) = portico
        .portal(Method::GET, "/api/v1/applications", Some(&token), None)
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&client_secret));
    let (_, admin_listed) = portico.admin(Method::GET, "/v1/applications", None).await;
    assert!(!admin_listed.to_string().contains(&client_secret));

    // Registration for the API, approved at once (auto-approve is on by default).
    let (status, registration) = portico
        .portal(
            Method::POST,
            &format!("/api/v1/applications/{application_id}/registrations"),
            Some(&token),
            Some(json!({"api_id": api["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{registration}");
    assert_eq!(registration["status"], "approved");

    // Regenerate rotates the secret in Auth0.
    let (status, rotated) = portico
        .portal(
            Method::POST,
            &format!("/api/v1/applications/{application_id}/regenerate-secret"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    assert_eq!(rotated["client_id"], client_id);
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, client_secret);
    assert_eq!(
        token_status(&emulator, &client_id, &client_secret).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        token_status(&emulator, &client_id, &new_secret).await,
        StatusCode::OK
    );

    // Delete removes the client (and its grant) from Auth0.
    let (status, _) = portico
        .portal(
            Method::DELETE,
            &format!("/api/v1/applications/{application_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(emulator.client(&client_id).is_none());
    assert!(emulator
        .client_grants()
        .iter()
        .all(|grant| grant["client_id"] != client_id.as_str()));
    let (status, _) = portico
        .portal(
            Method::GET,
            &format!("/api/v1/applications/{application_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, pending) = portico.admin(Method::GET, "/v1/registrations", None).await;
    assert_eq!(pending["data"].as_array().unwrap().len(), 0);

    // No secret handled on the way appears in any log line.
    let logs = captured_logs();
    assert!(
        logs.contains("application created"),
        "the logs were captured"
    );
    for secret in [
        management_secret.as_str(),
        client_secret.as_str(),
        new_secret.as_str(),
        token.as_str(),
        "correct horse battery",
    ] {
        assert!(!logs.contains(secret), "a secret appears in the logs");
    }

    portico.stop().await;
    database.drop_database().await;
}

#[tokio::test]
async fn seed_journey_on_sqlite() {
    seed_journey(Backend::Sqlite).await;
}

#[tokio::test]
async fn seed_journey_on_postgres() {
    seed_journey(Backend::Postgres).await;
}
