//! `verify`: one precise, actionable message per cause.

use portico_core::ports::DcrProvider;
use portico_idp::{Auth0Provider, RetryPolicy, REQUIRED_PERMISSIONS};

use crate::support::{client, closed_port, emulator, settings};

#[tokio::test]
async fn the_seeded_management_client_verifies() {
    let emulator = emulator().await;
    let provider = Auth0Provider::new(
        client(),
        settings(&emulator.issuer(), emulator.management_client()),
        RetryPolicy::fast(),
    );
    assert_eq!(provider.verify().await.errors, Vec::<String>::new());
    assert_eq!(
        emulator.request_count("GET", "/.well-known/openid-configuration"),
        1
    );

    // An explicit Management API audience (custom-domain tenants) is used as given.
    let mut explicit = settings(&emulator.base_url(), emulator.management_client());
    explicit.initial_client_audience = Some(emulator.management_audience());
    let provider = Auth0Provider::new(client(), explicit, RetryPolicy::fast());
    assert!(provider.verify().await.is_success());
}

#[tokio::test]
async fn a_wrong_secret_is_named() {
    let emulator = emulator().await;
    let (client_id, _) = emulator.management_client();
    let provider = Auth0Provider::new(
        client(),
        settings(&emulator.issuer(), (client_id, "not-the-secret".to_owned())),
        RetryPolicy::fast(),
    );
    assert_eq!(
        provider.verify().await.errors,
        ["the initial client credentials were rejected by Auth0: check Initial Client ID and Initial Client Secret"]
    );
}

#[tokio::test]
async fn missing_permissions_are_listed_in_canonical_order() {
    let emulator = emulator().await;
    let without_one: Vec<&str> = REQUIRED_PERMISSIONS
        .into_iter()
        .filter(|scope| *scope != "create:client_grants")
        .collect();
    let provider = Auth0Provider::new(
        client(),
        settings(
            &emulator.issuer(),
            emulator.add_management_client(&without_one),
        ),
        RetryPolicy::fast(),
    );
    assert_eq!(
        provider.verify().await.errors,
        ["the Auth0 application is missing the Management API permissions: create:client_grants"]
    );

    let without_two: Vec<&str> = REQUIRED_PERMISSIONS
        .into_iter()
        .filter(|scope| !matches!(*scope, "update:client_keys" | "read:clients"))
        .collect();
    let provider = Auth0Provider::new(
        client(),
        settings(
            &emulator.issuer(),
            emulator.add_management_client(&without_two),
        ),
        RetryPolicy::fast(),
    );
    assert_eq!(
        provider.verify().await.errors,
        ["the Auth0 application is missing the Management API permissions: read:clients, update:client_keys"]
    );
}

#[tokio::test]
async fn an_application_not_authorized_for_the_management_api_is_named() {
    let emulator = emulator().await;
    let credentials = emulator.add_machine_to_machine_client(
        "API only",
        &emulator.api_audience(),
        &["read:weather"],
    );
    let provider = Auth0Provider::new(
        client(),
        settings(&emulator.issuer(), credentials),
        RetryPolicy::fast(),
    );
    let errors = provider.verify().await.errors;
    assert_eq!(errors.len(), 1, "{errors:?}");
    let expected_start = format!(
        "the Auth0 application is not authorized for the Management API ({}): Client is not authorized to access",
        emulator.management_audience()
    );
    assert!(errors[0].starts_with(&expected_start), "{}", errors[0]);
}

#[tokio::test]
async fn an_issuer_without_a_discovery_document_is_named() {
    let emulator = emulator().await;
    let issuer = format!("{}/other", emulator.base_url());
    let provider = Auth0Provider::new(
        client(),
        settings(&issuer, emulator.management_client()),
        RetryPolicy::fast(),
    );
    assert_eq!(
        provider.verify().await.errors,
        [format!(
            "could not read the issuer's discovery document at {issuer}/.well-known/openid-configuration: it answered 404 Not Found; check the Issuer URL"
        )]
    );
    assert_eq!(
        emulator.request_count("POST", "/"),
        0,
        "no token request after a failed discovery"
    );
}

#[tokio::test]
async fn an_issuer_mismatch_names_both_issuers() {
    let emulator = emulator().await;
    // The same tenant under another name: its discovery document names 127.0.0.1.
    let configured = emulator.base_url().replace("127.0.0.1", "localhost");
    let provider = Auth0Provider::new(
        client(),
        settings(&configured, emulator.management_client()),
        RetryPolicy::fast(),
    );
    let errors = provider.verify().await.errors;
    assert_eq!(
        errors[0],
        format!(
            "the issuer's discovery document names the issuer {found}, not the configured {configured}; set the Issuer URL to {found}",
            found = emulator.issuer()
        )
    );
}

#[tokio::test]
async fn an_unreachable_issuer_is_named() {
    let issuer = format!("http://127.0.0.1:{}", closed_port().await);
    let provider = Auth0Provider::new(
        client(),
        settings(&issuer, ("id".to_owned(), "secret".to_owned())),
        RetryPolicy::fast(),
    );
    let errors = provider.verify().await.errors;
    assert_eq!(errors.len(), 1, "{errors:?}");
    let expected_start =
        format!("could not reach the issuer at {issuer}/.well-known/openid-configuration: ");
    assert!(errors[0].starts_with(&expected_start), "{}", errors[0]);
    assert!(errors[0].contains("could not connect"), "{}", errors[0]);
}
