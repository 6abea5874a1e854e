//! The factory keeps providers, and with them their management tokens, between calls.

use portico_core::id::DcrProviderId;
use portico_core::model::{DcrConfig, DcrProvider as ProviderRecord, ProviderType};
use portico_core::ports::DcrProviderFactory;
use portico_core::{EncryptedSecret, Issuer, SecretString};
use portico_idp::{IdpRegistry, RetryPolicy};
use time::OffsetDateTime;

use crate::support::{client, emulator};

#[tokio::test]
async fn the_management_token_survives_between_lookups_until_the_record_changes() {
    let emulator = emulator().await;
    let (client_id, client_secret) = emulator.management_client();
    let now = OffsetDateTime::now_utc();
    let mut record = ProviderRecord {
        id: DcrProviderId::new(),
        name: "Emulated tenant".to_owned(),
        provider_type: ProviderType::Auth0,
        issuer: Issuer::parse(&emulator.issuer()).unwrap(),
        dcr_config: DcrConfig::Auth0 {
            initial_client_id: client_id,
            // The registry is handed the decrypted secret; the stored bytes are not read.
            initial_client_secret: EncryptedSecret(Vec::new()),
            initial_client_audience: None,
        },
        created_at: now,
        updated_at: now,
    };
    let registry = IdpRegistry::new(client(), RetryPolicy::fast());
    let secret = || Some(SecretString::new(client_secret.clone()));

    for _ in 0..3 {
        let provider = registry.provider(&record, secret());
        assert!(provider.verify().await.is_success());
        provider.delete_client("gone").await.unwrap();
    }
    // `verify` always asks for a token of its own; the deletes reuse the last one.
    assert_eq!(emulator.request_count("POST", "/oauth/token"), 3);

    emulator.clear_requests();
    registry
        .provider(&record, secret())
        .delete_client("gone")
        .await
        .unwrap();
    assert_eq!(emulator.request_count("POST", "/oauth/token"), 0);

    record.updated_at += time::Duration::seconds(1);
    registry
        .provider(&record, secret())
        .delete_client("gone")
        .await
        .unwrap();
    assert_eq!(
        emulator.request_count("POST", "/oauth/token"),
        1,
        "a changed record gets a new provider"
    );
}
