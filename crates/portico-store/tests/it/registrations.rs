use std::sync::Arc;

use portico_core::id::*;
use portico_core::model::*;
use portico_core::ports::Store;

use crate::fixtures::*;

contract_tests!(
    crud,
    lists_filter_by_status_oldest_first,
    one_per_application_and_api,
    reused_id_conflicts,
    missing_references_conflict,
);

async fn crud(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let application = world.application("client-1");
    store.insert_application(&application, None).await.unwrap();
    let things = api("things", None);
    let widgets = api("widgets", None);
    store.insert_api(&things).await.unwrap();
    store.insert_api(&widgets).await.unwrap();
    let to_things = registration(application.id, things.id, ApprovalStatus::Pending);
    let mut to_widgets = registration(application.id, widgets.id, ApprovalStatus::Approved);
    to_widgets.created_at = at(29);
    store.insert_registration(&to_things).await.unwrap();
    store.insert_registration(&to_widgets).await.unwrap();

    assert_eq!(store.registration(to_things.id).await.unwrap(), to_things);
    assert_eq!(
        store.registrations_of(application.id).await.unwrap(),
        vec![to_widgets.clone(), to_things.clone()]
    );

    let mut approved = to_things.clone();
    approved.status = ApprovalStatus::Approved;
    approved.updated_at = at(100);
    store.update_registration(&approved).await.unwrap();
    assert_eq!(store.registration(to_things.id).await.unwrap(), approved);

    store.delete_registration(to_things.id).await.unwrap();
    assert_not_found(store.registration(to_things.id).await);
    assert_not_found(store.delete_registration(to_things.id).await);
    assert_not_found(store.update_registration(&approved).await);
    assert_eq!(
        store.registrations_of(application.id).await.unwrap(),
        vec![to_widgets]
    );
    assert!(store
        .registrations_of(ApplicationId::new())
        .await
        .unwrap()
        .is_empty());
}

async fn lists_filter_by_status_oldest_first(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let things = api("things", None);
    store.insert_api(&things).await.unwrap();
    let statuses = [
        ApprovalStatus::Pending,
        ApprovalStatus::Approved,
        ApprovalStatus::Pending,
        ApprovalStatus::Rejected,
        ApprovalStatus::Revoked,
    ];
    let mut registrations = Vec::new();
    // Inserted newest first.
    for (index, status) in statuses.into_iter().enumerate().rev() {
        let application = world.application(&format!("client-{index}"));
        store.insert_application(&application, None).await.unwrap();
        let mut registration = registration(application.id, things.id, status);
        registration.created_at = at(index as i64);
        store.insert_registration(&registration).await.unwrap();
        registrations.insert(0, registration);
    }

    assert_eq!(store.registrations(None).await.unwrap(), registrations);
    assert_eq!(
        store
            .registrations(Some(ApprovalStatus::Pending))
            .await
            .unwrap(),
        vec![registrations[0].clone(), registrations[2].clone()]
    );
    assert_eq!(
        store
            .registrations(Some(ApprovalStatus::Revoked))
            .await
            .unwrap(),
        vec![registrations[4].clone()]
    );
}

async fn one_per_application_and_api(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let application = world.application("client-1");
    store.insert_application(&application, None).await.unwrap();
    let things = api("things", None);
    let widgets = api("widgets", None);
    store.insert_api(&things).await.unwrap();
    store.insert_api(&widgets).await.unwrap();
    store
        .insert_registration(&registration(
            application.id,
            things.id,
            ApprovalStatus::Approved,
        ))
        .await
        .unwrap();

    assert_conflict(
        store
            .insert_registration(&registration(
                application.id,
                things.id,
                ApprovalStatus::Pending,
            ))
            .await,
        "registration",
    );

    let mut to_widgets = registration(application.id, widgets.id, ApprovalStatus::Pending);
    store.insert_registration(&to_widgets).await.unwrap();
    to_widgets.api_id = things.id;
    assert_conflict(store.update_registration(&to_widgets).await, "registration");
}

async fn reused_id_conflicts(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let application = world.application("client-1");
    store.insert_application(&application, None).await.unwrap();
    let things = api("things", None);
    let widgets = api("widgets", None);
    store.insert_api(&things).await.unwrap();
    store.insert_api(&widgets).await.unwrap();
    let first = registration(application.id, things.id, ApprovalStatus::Approved);
    store.insert_registration(&first).await.unwrap();
    let same_id = Registration {
        api_id: widgets.id,
        ..first
    };
    assert_conflict(store.insert_registration(&same_id).await, "registration id");
}

async fn missing_references_conflict(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let application = world.application("client-1");
    store.insert_application(&application, None).await.unwrap();
    let things = api("things", None);
    store.insert_api(&things).await.unwrap();

    assert_any_conflict(
        store
            .insert_registration(&registration(
                ApplicationId::new(),
                things.id,
                ApprovalStatus::Approved,
            ))
            .await,
    );
    assert_any_conflict(
        store
            .insert_registration(&registration(
                application.id,
                ApiId::new(),
                ApprovalStatus::Approved,
            ))
            .await,
    );
    assert!(store.registrations(None).await.unwrap().is_empty());
}
