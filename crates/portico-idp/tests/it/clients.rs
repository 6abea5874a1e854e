//! Creating, updating, rotating and deleting clients, checked against the emulator's state.

use portico_core::ports::{DcrProvider, IdpError};
use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
use serde_json::json;

use crate::support::{emulator, provider, request, token_status};

#[tokio::test]
async fn create_makes_a_machine_to_machine_client_with_its_grant() {
    let emulator = emulator().await;
    let provider = provider(&emulator);
    let request = request(&emulator);

    let issued = provider.create_client(&request).await.expect("created");

    let client = emulator
        .client(&issued.client_id)
        .expect("the client exists");
    assert_eq!(client["name"], "Weather dashboard");
    assert_eq!(client["description"], "Shows the forecast");
    assert_eq!(client["app_type"], "non_interactive");
    assert_eq!(client["grant_types"], json!(["client_credentials"]));
    assert_eq!(client["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(
        client["callbacks"],
        json!(["https://dashboard.example/callback"])
    );
    assert_eq!(
        client["client_metadata"],
        json!({
            "portico_application_id": request.application_id.to_string(),
            "portico_developer_id": request.developer_id.to_string(),
        })
    );
    assert_eq!(client["client_secret"], issued.client_secret.expose());

    let grants = emulator.client_grants();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["client_id"], issued.client_id.as_str());
    assert_eq!(grants[0]["audience"], emulator.api_audience());
    assert_eq!(
        grants[0]["scope"],
        json!(["read:weather"]),
        "OpenID scopes stay out"
    );

    // The exact body sent to Auth0 is part of the contract.
    let sent = emulator
        .requests()
        .into_iter()
        .find(|recorded| recorded.method == "POST" && recorded.path == "/api/v2/clients")
        .and_then(|recorded| recorded.body)
        .expect("the create request was recorded");
    assert_eq!(
        sent,
        json!({
            "name": "Weather dashboard",
            "description": "Shows the forecast",
            "app_type": "non_interactive",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_post",
            "callbacks": ["https://dashboard.example/callback"],
            "client_metadata": {
                "portico_application_id": request.application_id.to_string(),
                "portico_developer_id": request.developer_id.to_string(),
            }
        })
    );

    // The credentials work.
    assert_eq!(
        token_status(&emulator, &issued.client_id, issued.client_secret.expose()).await,
        200
    );
}

#[tokio::test]
async fn create_without_a_redirect_uri_sends_no_callbacks() {
    let emulator = emulator().await;
    let provider = provider(&emulator);
    let mut request = request(&emulator);
    request.redirect_uri = None;

    let issued = provider.create_client(&request).await.expect("created");

    let client = emulator.client(&issued.client_id).unwrap();
    assert!(
        client.get("callbacks").is_none() || client["callbacks"] == json!([]),
        "{client}"
    );
    let sent = emulator
        .requests()
        .into_iter()
        .find(|recorded| recorded.method == "POST" && recorded.path == "/api/v2/clients")
        .and_then(|recorded| recorded.body)
        .unwrap();
    assert!(sent.get("callbacks").is_none(), "{sent}");
}

#[tokio::test]
async fn a_failed_grant_deletes_the_client_again() {
    let emulator = emulator().await;
    let provider = provider(&emulator);

    emulator.fail_next("POST", "/api/v2/client-grants", 1, 500);
    let error = provider
        .create_client(&request(&emulator))
        .await
        .expect_err("the grant failed");
    assert!(matches!(error.error, IdpError::Unavailable(_)), "{error:?}");
    assert_eq!(error.orphan, None);
    assert!(emulator.clients().is_empty(), "{:?}", emulator.clients());
    assert!(emulator.client_grants().is_empty());

    emulator.fail_next("POST", "/api/v2/client-grants", 1, 409);
    let error = provider
        .create_client(&request(&emulator))
        .await
        .expect_err("the grant conflicted");
    match &error.error {
        IdpError::Rejected {
            status, message, ..
        } => {
            assert_eq!(*status, 409);
            assert_eq!(message, "Conflict");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(error.orphan, None);
    assert!(emulator.clients().is_empty());
}

#[tokio::test]
async fn a_client_that_cannot_be_deleted_again_is_reported_as_an_orphan() {
    let emulator = emulator().await;
    let provider = provider(&emulator);

    emulator.fail_next("POST", "/api/v2/client-grants", 1, 500);
    // The first attempt and the fast policy's three retries all fail.
    emulator.fail_next("DELETE", "/api/v2/clients/", 4, 503);
    let error = provider
        .create_client(&request(&emulator))
        .await
        .expect_err("the grant failed");

    let orphan = error
        .orphan
        .clone()
        .expect("the undeletable client is reported");
    assert!(matches!(error.error, IdpError::Unavailable(_)), "{error:?}");
    assert!(
        emulator.client(&orphan).is_some(),
        "the orphan is still at Auth0"
    );
    assert_eq!(emulator.request_count("DELETE", "/api/v2/clients/"), 4);

    // Once Auth0 recovers, the queued deletion goes through.
    provider
        .delete_client(&orphan)
        .await
        .expect("deleted later");
    assert!(emulator.client(&orphan).is_none());
}

#[tokio::test]
async fn update_changes_name_description_and_callbacks() {
    let emulator = emulator().await;
    let provider = provider(&emulator);
    let mut request = request(&emulator);
    let issued = provider.create_client(&request).await.unwrap();

    request.name = "Renamed".to_owned();
    request.description = "New words".to_owned();
    request.redirect_uri = Some("https://other.example/cb".to_owned());
    provider
        .update_client(&issued.client_id, &request)
        .await
        .expect("updated");
    let client = emulator.client(&issued.client_id).unwrap();
    assert_eq!(client["name"], "Renamed");
    assert_eq!(client["description"], "New words");
    assert_eq!(client["callbacks"], json!(["https://other.example/cb"]));

    request.redirect_uri = None;
    provider
        .update_client(&issued.client_id, &request)
        .await
        .expect("updated");
    let client = emulator.client(&issued.client_id).unwrap();
    assert_eq!(client["callbacks"], json!([]));
    // The update leaves the rest alone.
    assert_eq!(client["grant_types"], json!(["client_credentials"]));
}

#[tokio::test]
async fn updating_an_unknown_client_keeps_auth0_words() {
    let emulator = emulator().await;
    let provider = provider(&emulator);
    match provider
        .update_client("no-such-client", &request(&emulator))
        .await
    {
        Err(IdpError::Rejected {
            status,
            code,
            message,
        }) => {
            assert_eq!(status, 404);
            assert_eq!(code.as_deref(), Some("inexistent_client"));
            assert_eq!(message, "The client does not exist");
        }
        other => panic!("expected a 404 rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn rotate_replaces_the_secret() {
    let emulator = emulator().await;
    let provider = provider(&emulator);
    let issued = provider.create_client(&request(&emulator)).await.unwrap();

    let rotated = provider
        .rotate_secret(&issued.client_id)
        .await
        .expect("rotated");

    assert_ne!(rotated, issued.client_secret);
    assert_eq!(
        token_status(&emulator, &issued.client_id, issued.client_secret.expose()).await,
        401
    );
    assert_eq!(
        token_status(&emulator, &issued.client_id, rotated.expose()).await,
        200
    );
}

#[tokio::test]
async fn delete_removes_the_client_and_its_grants_even_without_cascade() {
    // Auth0 does not promise to delete grants with their client, so the emulator keeps them
    // here: only an explicit grant deletion passes this test.
    let emulator = Auth0Emulator::start(EmulatorConfig {
        cascade_grants_on_client_delete: false,
        ..EmulatorConfig::default()
    })
    .await;
    let provider = provider(&emulator);
    let kept = provider.create_client(&request(&emulator)).await.unwrap();
    let issued = provider.create_client(&request(&emulator)).await.unwrap();
    assert_eq!(emulator.client_grants().len(), 2);

    provider
        .delete_client(&issued.client_id)
        .await
        .expect("deleted");

    assert!(emulator.client(&issued.client_id).is_none());
    let grants = emulator.client_grants();
    assert_eq!(grants.len(), 1, "only the other client's grant is left");
    assert_eq!(grants[0]["client_id"], kept.client_id.as_str());
    assert_eq!(
        token_status(&emulator, &issued.client_id, issued.client_secret.expose()).await,
        401
    );

    provider
        .delete_client(&issued.client_id)
        .await
        .expect("deleting again succeeds");
    assert!(emulator.client(&kept.client_id).is_some());
}
