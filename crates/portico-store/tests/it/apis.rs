use std::sync::Arc;

use portico_core::id::*;
use portico_core::model::*;
use portico_core::ports::Store;

use crate::fixtures::*;

contract_tests!(
    crud,
    slug_is_unique,
    reused_id_conflicts,
    unknown_strategy_conflicts,
    delete_takes_the_registrations_along,
);

async fn crud(store: Arc<dyn Store>) {
    let strategy = strategy(None);
    store.insert_auth_strategy(&strategy).await.unwrap();
    let things = api("things", Some(strategy.id));
    let mut widgets = api("widgets", None);
    widgets.created_at = at(-1);
    widgets.published = false;
    widgets.routes = vec![];
    store.insert_api(&things).await.unwrap();
    store.insert_api(&widgets).await.unwrap();

    assert_eq!(store.api(things.id).await.unwrap(), things);
    assert_eq!(store.api(widgets.id).await.unwrap(), widgets);
    assert_eq!(
        store.apis().await.unwrap(),
        vec![widgets.clone(), things.clone()]
    );

    let mut updated = things.clone();
    updated.name = "Things v2".to_owned();
    updated.slug = "things-v2".to_owned();
    updated.description = String::new();
    updated.version = "2.0.0".to_owned();
    updated.upstream_url = url::Url::parse("https://things.internal:8443/v2").unwrap();
    updated.routes = vec![Route {
        paths: vec!["/v2".to_owned()],
        methods: vec!["DELETE".to_owned()],
        strip_path: false,
    }];
    updated.auth_strategy_id = None;
    updated.published = false;
    updated.updated_at = at(100);
    store.update_api(&updated).await.unwrap();
    assert_eq!(store.api(things.id).await.unwrap(), updated);

    store.delete_api(things.id).await.unwrap();
    assert_not_found(store.api(things.id).await);
    assert_not_found(store.delete_api(things.id).await);
    assert_not_found(store.update_api(&updated).await);
    assert_eq!(store.apis().await.unwrap(), vec![widgets]);
}

async fn slug_is_unique(store: Arc<dyn Store>) {
    let things = api("things", None);
    store.insert_api(&things).await.unwrap();
    assert_conflict(store.insert_api(&api("things", None)).await, "api slug");

    let mut widgets = api("widgets", None);
    store.insert_api(&widgets).await.unwrap();
    widgets.slug = "things".to_owned();
    assert_conflict(store.update_api(&widgets).await, "api slug");
    assert_eq!(store.api(widgets.id).await.unwrap().slug, "widgets");
}

async fn reused_id_conflicts(store: Arc<dyn Store>) {
    let things = api("things", None);
    store.insert_api(&things).await.unwrap();
    let same_id = Api {
        slug: "other".to_owned(),
        ..things
    };
    assert_conflict(store.insert_api(&same_id).await, "api id");
}

async fn unknown_strategy_conflicts(store: Arc<dyn Store>) {
    let things = api("things", Some(AuthStrategyId::new()));
    assert_any_conflict(store.insert_api(&things).await);
    assert_not_found(store.api(things.id).await);
}

async fn delete_takes_the_registrations_along(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let application = world.application("client-1");
    store.insert_application(&application, None).await.unwrap();
    let things = api("things", None);
    let widgets = api("widgets", None);
    store.insert_api(&things).await.unwrap();
    store.insert_api(&widgets).await.unwrap();
    let to_things = registration(application.id, things.id, ApprovalStatus::Approved);
    let to_widgets = registration(application.id, widgets.id, ApprovalStatus::Pending);
    store.insert_registration(&to_things).await.unwrap();
    store.insert_registration(&to_widgets).await.unwrap();

    store.delete_api(things.id).await.unwrap();

    assert_not_found(store.registration(to_things.id).await);
    assert_eq!(
        store.registrations_of(application.id).await.unwrap(),
        vec![to_widgets]
    );
    assert_eq!(
        store.application(application.id).await.unwrap(),
        application
    );
}
