use std::sync::Arc;

use portico_core::id::*;
use portico_core::model::*;
use portico_core::ports::Store;

use crate::fixtures::*;

contract_tests!(
    crud,
    lists_come_oldest_first,
    client_id_is_unique_per_provider,
    reused_id_conflicts,
    missing_references_conflict,
    delete_takes_the_registrations_and_queues_the_idp_deletion,
    delete_without_an_idp_deletion,
    delete_of_a_missing_application_queues_nothing,
    a_deletion_that_cannot_be_queued_keeps_the_application,
);

async fn crud(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let application = world.application("client-1");
    let mut without_redirect = world.application("client-2");
    without_redirect.redirect_uri = None;
    without_redirect.created_at = at(11);
    store.insert_application(&application, None).await.unwrap();
    store
        .insert_application(&without_redirect, None)
        .await
        .unwrap();

    assert_eq!(
        store.application(application.id).await.unwrap(),
        application
    );
    assert_eq!(
        store
            .application_by_client_id(world.provider.id, "client-2")
            .await
            .unwrap(),
        without_redirect
    );
    assert_not_found(
        store
            .application_by_client_id(world.provider.id, "client-3")
            .await,
    );
    assert_not_found(
        store
            .application_by_client_id(DcrProviderId::new(), "client-1")
            .await,
    );

    let other_strategy = strategy(None);
    store.insert_auth_strategy(&other_strategy).await.unwrap();
    let mut updated = application.clone();
    updated.name = "Renamed".to_owned();
    updated.description = String::new();
    updated.redirect_uri = None;
    updated.client_id = "client-1b".to_owned();
    updated.auth_strategy_id = other_strategy.id;
    updated.updated_at = at(100);
    store.update_application(&updated).await.unwrap();
    assert_eq!(store.application(application.id).await.unwrap(), updated);
    assert_not_found(
        store
            .application_by_client_id(world.provider.id, "client-1")
            .await,
    );

    assert_not_found(store.application(ApplicationId::new()).await);
    assert_not_found(
        store
            .update_application(&world.application("client-9"))
            .await,
    );
}

async fn lists_come_oldest_first(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let grace = developer("grace@example.com");
    store.insert_developer(&grace).await.unwrap();

    let mut newest = world.application("newest");
    newest.created_at = at(300);
    let mut oldest = world.application("oldest");
    oldest.created_at = at(100);
    let mut graces = world.application("graces");
    graces.developer_id = grace.id;
    graces.created_at = at(200);
    for application in [&newest, &graces, &oldest] {
        store.insert_application(application, None).await.unwrap();
    }

    assert_eq!(
        store.applications(None).await.unwrap(),
        vec![oldest.clone(), graces.clone(), newest.clone()]
    );
    assert_eq!(
        store.applications(Some(world.developer.id)).await.unwrap(),
        vec![oldest, newest]
    );
    assert_eq!(
        store.applications(Some(grace.id)).await.unwrap(),
        vec![graces]
    );
    assert!(store
        .applications(Some(DeveloperId::new()))
        .await
        .unwrap()
        .is_empty());
}

async fn client_id_is_unique_per_provider(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    store
        .insert_application(&world.application("client-1"), None)
        .await
        .unwrap();
    assert_conflict(
        store
            .insert_application(&world.application("client-1"), None)
            .await,
        "application client_id",
    );

    // Another provider may hand out the same client id.
    let other = builtin_provider();
    store.insert_dcr_provider(&other).await.unwrap();
    let mut elsewhere = world.application("client-1");
    elsewhere.dcr_provider_id = other.id;
    store.insert_application(&elsewhere, None).await.unwrap();

    // And an update may not take a client id that is in use.
    let mut second = world.application("client-2");
    store.insert_application(&second, None).await.unwrap();
    second.client_id = "client-1".to_owned();
    assert_conflict(
        store.update_application(&second).await,
        "application client_id",
    );
}

async fn reused_id_conflicts(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let application = world.application("client-1");
    store.insert_application(&application, None).await.unwrap();
    let same_id = Application {
        client_id: "client-2".to_owned(),
        ..application
    };
    assert_conflict(
        store.insert_application(&same_id, None).await,
        "application id",
    );
}

async fn missing_references_conflict(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let mut orphan = world.application("client-1");
    orphan.developer_id = DeveloperId::new();
    assert_any_conflict(store.insert_application(&orphan, None).await);

    let mut orphan = world.application("client-2");
    orphan.auth_strategy_id = AuthStrategyId::new();
    assert_any_conflict(store.insert_application(&orphan, None).await);

    let mut orphan = world.application("client-3");
    orphan.dcr_provider_id = DcrProviderId::new();
    assert_any_conflict(store.insert_application(&orphan, None).await);

    assert!(store.applications(None).await.unwrap().is_empty());
}

async fn delete_takes_the_registrations_and_queues_the_idp_deletion(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let application = world.application("client-1");
    let kept = world.application("client-2");
    store.insert_application(&application, None).await.unwrap();
    store.insert_application(&kept, None).await.unwrap();
    let things = api("things", None);
    store.insert_api(&things).await.unwrap();
    let gone = registration(application.id, things.id, ApprovalStatus::Approved);
    let stays = registration(kept.id, things.id, ApprovalStatus::Approved);
    store.insert_registration(&gone).await.unwrap();
    store.insert_registration(&stays).await.unwrap();

    let deletion = world.deletion("client-1", at(50));
    store
        .delete_application(application.id, Some(&deletion))
        .await
        .unwrap();

    assert_not_found(store.application(application.id).await);
    assert_not_found(store.registration(gone.id).await);
    assert!(store
        .registrations_of(application.id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.registrations(None).await.unwrap(), vec![stays]);
    assert_eq!(store.idp_deletions().await.unwrap(), vec![deletion]);
    assert_eq!(store.applications(None).await.unwrap(), vec![kept]);
}

async fn delete_without_an_idp_deletion(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let application = world.application("client-1");
    store.insert_application(&application, None).await.unwrap();

    store
        .delete_application(application.id, None)
        .await
        .unwrap();
    assert_not_found(store.application(application.id).await);
    assert!(store.idp_deletions().await.unwrap().is_empty());
    assert_not_found(store.delete_application(application.id, None).await);
}

async fn delete_of_a_missing_application_queues_nothing(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let deletion = world.deletion("client-1", at(50));
    assert_not_found(
        store
            .delete_application(ApplicationId::new(), Some(&deletion))
            .await,
    );
    assert!(store.idp_deletions().await.unwrap().is_empty());
}

async fn a_deletion_that_cannot_be_queued_keeps_the_application(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let application = world.application("client-1");
    store.insert_application(&application, None).await.unwrap();
    let things = api("things", None);
    store.insert_api(&things).await.unwrap();
    let registration = registration(application.id, things.id, ApprovalStatus::Approved);
    store.insert_registration(&registration).await.unwrap();

    // The queued deletion's id is taken, so queueing fails after the application is deleted:
    // the transaction must undo that deletion.
    let taken = world.deletion("other-client", at(40));
    store.enqueue_idp_deletion(&taken).await.unwrap();
    let deletion = PendingIdpDeletion {
        client_id: "client-1".to_owned(),
        ..taken.clone()
    };
    assert!(store
        .delete_application(application.id, Some(&deletion))
        .await
        .is_err());

    assert_eq!(
        store.application(application.id).await.unwrap(),
        application
    );
    assert_eq!(
        store.registration(registration.id).await.unwrap(),
        registration
    );
    assert_eq!(store.idp_deletions().await.unwrap(), vec![taken]);
}
