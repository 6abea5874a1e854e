use std::sync::Arc;

use portico_core::id::*;
use portico_core::model::*;
use portico_core::ports::Store;
use portico_core::EncryptedSecret;

use crate::fixtures::*;

contract_tests!(
    crud,
    secret_bytes_round_trip,
    reused_id_conflicts,
    delete_while_used_by_a_strategy_conflicts,
    delete_while_used_by_an_application_conflicts,
    delete_while_named_by_application_setup_conflicts,
    delete_drops_the_queued_idp_deletions,
);

async fn crud(store: Arc<dyn Store>) {
    assert!(store.dcr_providers().await.unwrap().is_empty());
    let auth0 = auth0_provider();
    let builtin = builtin_provider();
    // Inserted newest first: lists still come oldest first.
    store.insert_dcr_provider(&builtin).await.unwrap();
    store.insert_dcr_provider(&auth0).await.unwrap();

    assert_eq!(store.dcr_provider(auth0.id).await.unwrap(), auth0);
    assert_eq!(store.dcr_provider(builtin.id).await.unwrap(), builtin);
    assert_eq!(
        store.dcr_providers().await.unwrap(),
        vec![auth0.clone(), builtin.clone()]
    );

    let mut updated = auth0.clone();
    updated.name = "Renamed".to_owned();
    updated.issuer = portico_core::Issuer::parse("https://custom.example.com").unwrap();
    updated.dcr_config = DcrConfig::Auth0 {
        initial_client_id: "rotated-client".to_owned(),
        initial_client_secret: EncryptedSecret(vec![1, 2, 3]),
        initial_client_audience: None,
    };
    updated.updated_at = at(100);
    store.update_dcr_provider(&updated).await.unwrap();
    assert_eq!(store.dcr_provider(auth0.id).await.unwrap(), updated);

    // A provider may change kind; the configuration follows.
    let mut now_builtin = updated.clone();
    now_builtin.provider_type = ProviderType::Builtin;
    now_builtin.dcr_config = DcrConfig::Builtin;
    store.update_dcr_provider(&now_builtin).await.unwrap();
    assert_eq!(store.dcr_provider(auth0.id).await.unwrap(), now_builtin);

    store.delete_dcr_provider(auth0.id).await.unwrap();
    assert_not_found(store.dcr_provider(auth0.id).await);
    assert_not_found(store.delete_dcr_provider(auth0.id).await);
    assert_not_found(store.update_dcr_provider(&auth0).await);
    assert_eq!(store.dcr_providers().await.unwrap(), vec![builtin]);
}

async fn secret_bytes_round_trip(store: Arc<dyn Store>) {
    let mut provider = auth0_provider();
    let secret: Vec<u8> = (0..=255u8).rev().chain([0, 0, 0xff, 0xfe]).collect();
    provider.dcr_config = DcrConfig::Auth0 {
        initial_client_id: "client".to_owned(),
        initial_client_secret: EncryptedSecret(secret.clone()),
        initial_client_audience: None,
    };
    store.insert_dcr_provider(&provider).await.unwrap();
    match store.dcr_provider(provider.id).await.unwrap().dcr_config {
        DcrConfig::Auth0 {
            initial_client_secret,
            ..
        } => assert_eq!(initial_client_secret.0, secret),
        DcrConfig::Builtin => panic!("the configuration changed kind"),
    }
}

async fn reused_id_conflicts(store: Arc<dyn Store>) {
    let provider = auth0_provider();
    store.insert_dcr_provider(&provider).await.unwrap();
    assert_conflict(
        store.insert_dcr_provider(&provider).await,
        "dcr provider id",
    );
}

async fn delete_while_used_by_a_strategy_conflicts(store: Arc<dyn Store>) {
    let provider = auth0_provider();
    let strategy = strategy(Some(provider.id));
    store.insert_dcr_provider(&provider).await.unwrap();
    store.insert_auth_strategy(&strategy).await.unwrap();

    assert_conflict(
        store.delete_dcr_provider(provider.id).await,
        "dcr provider in use",
    );
    assert_eq!(store.dcr_provider(provider.id).await.unwrap(), provider);

    store.delete_auth_strategy(strategy.id).await.unwrap();
    store.delete_dcr_provider(provider.id).await.unwrap();
}

async fn delete_while_used_by_an_application_conflicts(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    // A strategy of no provider, so that only the application holds on to it.
    let mut strategy = world.strategy.clone();
    strategy.dcr_provider_id = None;
    store.update_auth_strategy(&strategy).await.unwrap();
    let application = world.application("client-1");
    store.insert_application(&application, None).await.unwrap();

    assert_conflict(
        store.delete_dcr_provider(world.provider.id).await,
        "dcr provider in use",
    );

    store
        .delete_application(application.id, None)
        .await
        .unwrap();
    store.delete_dcr_provider(world.provider.id).await.unwrap();
}

async fn delete_while_named_by_application_setup_conflicts(store: Arc<dyn Store>) {
    let provider = auth0_provider();
    let strategy = strategy(None);
    store
        .save_application_setup(&provider, &strategy)
        .await
        .unwrap();

    assert_conflict(
        store.delete_dcr_provider(provider.id).await,
        "dcr provider in use",
    );

    store
        .update_portal_settings(&PortalSettings {
            default_auth_strategy_id: Some(strategy.id),
            ..PortalSettings::default()
        })
        .await
        .unwrap();
    store.delete_dcr_provider(provider.id).await.unwrap();
}

async fn delete_drops_the_queued_idp_deletions(store: Arc<dyn Store>) {
    let provider = auth0_provider();
    let other = builtin_provider();
    store.insert_dcr_provider(&provider).await.unwrap();
    store.insert_dcr_provider(&other).await.unwrap();
    let deletion = PendingIdpDeletion {
        id: PendingDeletionId::new(),
        dcr_provider_id: provider.id,
        client_id: "orphan".to_owned(),
        attempts: 3,
        next_attempt_at: at(60),
        last_error: Some("unreachable".to_owned()),
        created_at: at(0),
    };
    let kept = PendingIdpDeletion {
        id: PendingDeletionId::new(),
        dcr_provider_id: other.id,
        ..deletion.clone()
    };
    store.enqueue_idp_deletion(&deletion).await.unwrap();
    store.enqueue_idp_deletion(&kept).await.unwrap();

    store.delete_dcr_provider(provider.id).await.unwrap();
    assert_eq!(store.idp_deletions().await.unwrap(), vec![kept]);
}
