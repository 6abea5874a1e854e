use std::sync::Arc;

use portico_core::id::*;
use portico_core::model::*;
use portico_core::ports::Store;

use crate::fixtures::*;

contract_tests!(
    crud,
    reused_id_conflicts,
    unknown_provider_conflicts,
    delete_while_used_by_an_api_conflicts,
    delete_while_used_by_an_application_conflicts,
    delete_while_the_default_conflicts,
);

async fn crud(store: Arc<dyn Store>) {
    let provider = auth0_provider();
    store.insert_dcr_provider(&provider).await.unwrap();
    let with_provider = strategy(Some(provider.id));
    let mut without_provider = strategy(None);
    without_provider.created_at = at(-10);
    without_provider.openid_connect.auth_methods = vec![AuthMethod::Bearer];
    without_provider.openid_connect.scopes = vec![];
    store.insert_auth_strategy(&with_provider).await.unwrap();
    store.insert_auth_strategy(&without_provider).await.unwrap();

    assert_eq!(
        store.auth_strategy(with_provider.id).await.unwrap(),
        with_provider
    );
    assert_eq!(
        store.auth_strategies().await.unwrap(),
        vec![without_provider.clone(), with_provider.clone()]
    );

    let mut updated = with_provider.clone();
    updated.name = "Renamed".to_owned();
    updated.dcr_provider_id = None;
    updated.openid_connect.credential_claim = vec!["sub".to_owned()];
    updated.updated_at = at(100);
    store.update_auth_strategy(&updated).await.unwrap();
    assert_eq!(store.auth_strategy(updated.id).await.unwrap(), updated);

    store.delete_auth_strategy(updated.id).await.unwrap();
    assert_not_found(store.auth_strategy(updated.id).await);
    assert_not_found(store.delete_auth_strategy(updated.id).await);
    assert_not_found(store.update_auth_strategy(&updated).await);
    assert_eq!(
        store.auth_strategies().await.unwrap(),
        vec![without_provider]
    );
}

async fn reused_id_conflicts(store: Arc<dyn Store>) {
    let strategy = strategy(None);
    store.insert_auth_strategy(&strategy).await.unwrap();
    assert_conflict(
        store.insert_auth_strategy(&strategy).await,
        "auth strategy id",
    );
}

async fn unknown_provider_conflicts(store: Arc<dyn Store>) {
    let strategy = strategy(Some(DcrProviderId::new()));
    assert_any_conflict(store.insert_auth_strategy(&strategy).await);
    assert_not_found(store.auth_strategy(strategy.id).await);

    let mut stored = crate::fixtures::strategy(None);
    store.insert_auth_strategy(&stored).await.unwrap();
    stored.dcr_provider_id = Some(DcrProviderId::new());
    assert_any_conflict(store.update_auth_strategy(&stored).await);
}

async fn delete_while_used_by_an_api_conflicts(store: Arc<dyn Store>) {
    let strategy = strategy(None);
    store.insert_auth_strategy(&strategy).await.unwrap();
    let api = api("things", Some(strategy.id));
    store.insert_api(&api).await.unwrap();

    assert_conflict(
        store.delete_auth_strategy(strategy.id).await,
        "auth strategy in use",
    );

    store.delete_api(api.id).await.unwrap();
    store.delete_auth_strategy(strategy.id).await.unwrap();
}

async fn delete_while_used_by_an_application_conflicts(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let application = world.application("client-1");
    store.insert_application(&application, None).await.unwrap();

    assert_conflict(
        store.delete_auth_strategy(world.strategy.id).await,
        "auth strategy in use",
    );
    assert_eq!(
        store.auth_strategy(world.strategy.id).await.unwrap(),
        world.strategy
    );
}

async fn delete_while_the_default_conflicts(store: Arc<dyn Store>) {
    let strategy = strategy(None);
    store.insert_auth_strategy(&strategy).await.unwrap();
    store
        .update_portal_settings(&PortalSettings {
            default_auth_strategy_id: Some(strategy.id),
            ..PortalSettings::default()
        })
        .await
        .unwrap();

    assert_conflict(
        store.delete_auth_strategy(strategy.id).await,
        "auth strategy in use",
    );

    store
        .update_portal_settings(&PortalSettings::default())
        .await
        .unwrap();
    store.delete_auth_strategy(strategy.id).await.unwrap();
}
