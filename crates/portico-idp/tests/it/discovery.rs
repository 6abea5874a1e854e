//! The discovery cache the gateway uses.

use std::time::Duration;

use portico_core::ports::IdpError;
use portico_core::Issuer;
use portico_idp::{Discovery, RetryPolicy};

use crate::support::{client, emulator};

#[tokio::test]
async fn the_document_is_fetched_once_and_kept() {
    let emulator = emulator().await;
    let discovery = Discovery::new(
        client(),
        Issuer::parse(&emulator.issuer()).unwrap(),
        RetryPolicy::fast(),
    );

    let document = discovery.document().await.expect("discovered");
    assert_eq!(document.issuer, emulator.issuer());
    assert_eq!(
        document.token_endpoint,
        format!("{}/oauth/token", emulator.base_url())
    );
    assert_eq!(
        document.jwks_uri,
        format!("{}/.well-known/jwks.json", emulator.base_url())
    );
    discovery.document().await.unwrap();
    assert_eq!(
        emulator.request_count("GET", "/.well-known/openid-configuration"),
        1
    );

    discovery.invalidate().await;
    discovery.document().await.unwrap();
    assert_eq!(
        emulator.request_count("GET", "/.well-known/openid-configuration"),
        2
    );
}

#[tokio::test]
async fn an_expired_document_is_fetched_again() {
    let emulator = emulator().await;
    let discovery = Discovery::new(
        client(),
        Issuer::parse(&emulator.issuer()).unwrap(),
        RetryPolicy::fast(),
    )
    .with_time_to_live(Duration::ZERO);
    discovery.document().await.unwrap();
    discovery.document().await.unwrap();
    assert_eq!(
        emulator.request_count("GET", "/.well-known/openid-configuration"),
        2
    );
}

#[tokio::test]
async fn a_document_for_another_issuer_is_refused() {
    let emulator = emulator().await;
    let configured = emulator.base_url().replace("127.0.0.1", "localhost");
    let discovery = Discovery::new(
        client(),
        Issuer::parse(&configured).unwrap(),
        RetryPolicy::fast(),
    );
    match discovery.document().await {
        Err(IdpError::InvalidResponse(message)) => {
            assert!(
                message.contains(&emulator.issuer()) && message.contains(&configured),
                "{message}"
            )
        }
        other => panic!("expected InvalidResponse, got {other:?}"),
    }
}
