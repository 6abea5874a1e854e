use std::sync::Arc;

use portico_core::model::*;
use portico_core::ports::Store;

use crate::fixtures::*;

contract_tests!(
    moves_on_every_write_the_gateway_reads,
    stays_on_reads_and_failed_writes
);

/// Asserts that `config_version` moved up since `before`, and returns it.
async fn moved(store: &Arc<dyn Store>, before: i64, what: &str) -> i64 {
    let after = store.config_version().await.unwrap();
    assert!(
        after > before,
        "{what} did not move config_version ({before} -> {after})"
    );
    after
}

async fn moves_on_every_write_the_gateway_reads(store: Arc<dyn Store>) {
    let mut version = store.config_version().await.unwrap();

    let provider = auth0_provider();
    store.insert_dcr_provider(&provider).await.unwrap();
    version = moved(&store, version, "insert_dcr_provider").await;
    store.update_dcr_provider(&provider).await.unwrap();
    version = moved(&store, version, "update_dcr_provider").await;

    let strategy = strategy(Some(provider.id));
    store.insert_auth_strategy(&strategy).await.unwrap();
    version = moved(&store, version, "insert_auth_strategy").await;
    store.update_auth_strategy(&strategy).await.unwrap();
    version = moved(&store, version, "update_auth_strategy").await;

    store
        .save_application_setup(&provider, &strategy)
        .await
        .unwrap();
    version = moved(&store, version, "save_application_setup").await;
    store
        .update_portal_settings(&PortalSettings::default())
        .await
        .unwrap();
    version = moved(&store, version, "update_portal_settings").await;

    let things = api("things", None);
    store.insert_api(&things).await.unwrap();
    version = moved(&store, version, "insert_api").await;
    store.update_api(&things).await.unwrap();
    moved(&store, version, "update_api").await;

    // A new developer is no concern of the gateway: start counting again after this one.
    let mut ada = developer("ada@example.com");
    store.insert_developer(&ada).await.unwrap();
    version = store.config_version().await.unwrap();
    // A change of status is: it decides whether the developer's applications may call APIs.
    ada.status = ApprovalStatus::Revoked;
    store.update_developer(&ada).await.unwrap();
    version = moved(&store, version, "update_developer (status)").await;
    ada.status = ApprovalStatus::Approved;
    store.update_developer(&ada).await.unwrap();
    version = moved(&store, version, "update_developer (status)").await;
    let world = World {
        provider: provider.clone(),
        strategy: strategy.clone(),
        developer: ada,
    };
    let application = world.application("client-1");
    store.insert_application(&application, None).await.unwrap();
    version = moved(&store, version, "insert_application").await;
    store.update_application(&application).await.unwrap();
    version = moved(&store, version, "update_application").await;

    let registration = registration(application.id, things.id, ApprovalStatus::Pending);
    store.insert_registration(&registration).await.unwrap();
    version = moved(&store, version, "insert_registration").await;
    store.update_registration(&registration).await.unwrap();
    version = moved(&store, version, "update_registration").await;
    store.delete_registration(registration.id).await.unwrap();
    version = moved(&store, version, "delete_registration").await;

    store
        .delete_application(application.id, None)
        .await
        .unwrap();
    version = moved(&store, version, "delete_application").await;
    store.delete_api(things.id).await.unwrap();
    version = moved(&store, version, "delete_api").await;
    store.delete_auth_strategy(strategy.id).await.unwrap();
    version = moved(&store, version, "delete_auth_strategy").await;
    store.delete_dcr_provider(provider.id).await.unwrap();
    moved(&store, version, "delete_dcr_provider").await;
}

async fn stays_on_reads_and_failed_writes(store: Arc<dyn Store>) {
    let things = api("things", None);
    store.insert_api(&things).await.unwrap();
    let version = store.config_version().await.unwrap();

    store.apis().await.unwrap();
    store.api(things.id).await.unwrap();
    store.portal_settings().await.unwrap();
    assert_conflict(store.insert_api(&api("things", None)).await, "api slug");
    assert_not_found(store.update_api(&api("missing", None)).await);

    assert_eq!(store.config_version().await.unwrap(), version);
}
