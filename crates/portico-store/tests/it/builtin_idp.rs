//! The built-in identity provider's clients and signing keys.

use std::sync::Arc;

use portico_core::id::ApplicationId;
use portico_core::model::{BuiltinClient, SigningKey};
use portico_core::ports::Store;
use portico_core::{EncryptedSecret, Issuer};

use crate::fixtures::*;

contract_tests!(
    clients_crud,
    client_without_application_round_trips,
    reused_client_id_conflicts,
    deleting_a_missing_client_succeeds,
    signing_keys_list_oldest_first_and_retire,
    private_key_bytes_round_trip,
    reused_kid_conflicts,
    updating_a_missing_key_is_not_found,
    builtin_tables_do_not_move_config_version,
    plain_http_builtin_issuer_round_trips,
);

fn client(client_id: &str) -> BuiltinClient {
    BuiltinClient {
        client_id: client_id.to_owned(),
        secret_hash: "a".repeat(64),
        name: "Ada's app".to_owned(),
        audience: "portico".to_owned(),
        application_id: Some(ApplicationId::new()),
        created_at: at(0),
        updated_at: at(0),
    }
}

fn key(kid: &str, created: i64) -> SigningKey {
    SigningKey {
        kid: kid.to_owned(),
        algorithm: "RS256".to_owned(),
        private_key: EncryptedSecret(vec![7; 48]),
        public_jwk: format!(r#"{{"kty":"RSA","kid":"{kid}","n":"AQAB","e":"AQAB"}}"#),
        created_at: at(created),
        retires_at: None,
    }
}

async fn clients_crud(store: Arc<dyn Store>) {
    let first = client("client-1");
    let second = client("client-2");
    store.insert_builtin_client(&first).await.unwrap();
    store.insert_builtin_client(&second).await.unwrap();
    assert_eq!(store.builtin_client("client-1").await.unwrap(), first);
    assert_not_found(store.builtin_client("CLIENT-1").await);

    let mut updated = first.clone();
    updated.secret_hash = "b".repeat(64);
    updated.name = "Renamed".to_owned();
    updated.audience = "https://api.example.com".to_owned();
    updated.application_id = None;
    updated.updated_at = at(100);
    // Neither the client id nor created_at is written by an update.
    updated.created_at = at(50);
    store.update_builtin_client(&updated).await.unwrap();
    let stored = store.builtin_client("client-1").await.unwrap();
    assert_eq!(stored.created_at, at(0));
    assert_eq!(
        stored,
        BuiltinClient {
            created_at: at(0),
            ..updated.clone()
        }
    );

    store.delete_builtin_client("client-1").await.unwrap();
    assert_not_found(store.builtin_client("client-1").await);
    assert_not_found(store.update_builtin_client(&updated).await);
    assert_eq!(store.builtin_client("client-2").await.unwrap(), second);
}

async fn client_without_application_round_trips(store: Arc<dyn Store>) {
    let mut orphan = client("orphan");
    orphan.application_id = None;
    store.insert_builtin_client(&orphan).await.unwrap();
    assert_eq!(store.builtin_client("orphan").await.unwrap(), orphan);
}

async fn reused_client_id_conflicts(store: Arc<dyn Store>) {
    store.insert_builtin_client(&client("same")).await.unwrap();
    assert_conflict(
        store.insert_builtin_client(&client("same")).await,
        "builtin client id",
    );
}

async fn deleting_a_missing_client_succeeds(store: Arc<dyn Store>) {
    store.delete_builtin_client("never-there").await.unwrap();
    store.insert_builtin_client(&client("twice")).await.unwrap();
    store.delete_builtin_client("twice").await.unwrap();
    store.delete_builtin_client("twice").await.unwrap();
}

async fn signing_keys_list_oldest_first_and_retire(store: Arc<dyn Store>) {
    assert!(store.signing_keys().await.unwrap().is_empty());
    let newer = key("newer", 10);
    let older = key("older", 0);
    store.insert_signing_key(&newer).await.unwrap();
    store.insert_signing_key(&older).await.unwrap();
    assert_eq!(
        store.signing_keys().await.unwrap(),
        vec![older.clone(), newer.clone()]
    );

    let mut retiring = older.clone();
    retiring.retires_at = Some(at(86_400));
    store.update_signing_key(&retiring).await.unwrap();
    assert_eq!(
        store.signing_keys().await.unwrap(),
        vec![retiring.clone(), newer.clone()]
    );

    // And back: the retirement may be called off.
    store.update_signing_key(&older).await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap()[0].retires_at, None);
}

async fn private_key_bytes_round_trip(store: Arc<dyn Store>) {
    let mut every_byte = key("bytes", 0);
    every_byte.private_key = EncryptedSecret((0..=255u8).rev().chain([0, 0]).collect());
    store.insert_signing_key(&every_byte).await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap(), vec![every_byte]);
}

async fn reused_kid_conflicts(store: Arc<dyn Store>) {
    store.insert_signing_key(&key("kid-1", 0)).await.unwrap();
    assert_conflict(
        store.insert_signing_key(&key("kid-1", 5)).await,
        "signing key id",
    );
}

async fn updating_a_missing_key_is_not_found(store: Arc<dyn Store>) {
    assert_not_found(store.update_signing_key(&key("missing", 0)).await);
}

async fn builtin_tables_do_not_move_config_version(store: Arc<dyn Store>) {
    let before = store.config_version().await.unwrap();
    store.insert_builtin_client(&client("quiet")).await.unwrap();
    store.insert_signing_key(&key("quiet", 0)).await.unwrap();
    store.delete_builtin_client("quiet").await.unwrap();
    assert_eq!(store.config_version().await.unwrap(), before);
}

/// Portico's own issuer may be plain http on a non-loopback host (the operator's portal URL);
/// what was stored must read back.
async fn plain_http_builtin_issuer_round_trips(store: Arc<dyn Store>) {
    let issuer =
        Issuer::from_trusted_url(&url::Url::parse("http://portal.internal:8003/idp").unwrap())
            .unwrap();
    let mut provider = builtin_provider();
    provider.issuer = issuer.clone();
    let mut strategy = strategy(Some(provider.id));
    strategy.openid_connect.issuer = issuer;
    store.insert_dcr_provider(&provider).await.unwrap();
    store.insert_auth_strategy(&strategy).await.unwrap();
    assert_eq!(store.dcr_provider(provider.id).await.unwrap(), provider);
    assert_eq!(store.auth_strategy(strategy.id).await.unwrap(), strategy);
}
