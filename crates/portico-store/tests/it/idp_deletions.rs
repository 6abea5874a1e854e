use std::sync::Arc;

use portico_core::id::*;
use portico_core::model::*;
use portico_core::ports::Store;

use crate::fixtures::*;

contract_tests!(
    queue_round_trip,
    due_deletions_come_by_next_attempt_within_the_limit,
    unknown_provider_conflicts,
);

async fn queue_round_trip(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let first = world.deletion("client-1", at(100));
    let mut second = world.deletion("client-2", at(50));
    second.created_at = at(21);
    store.enqueue_idp_deletion(&first).await.unwrap();
    store.enqueue_idp_deletion(&second).await.unwrap();
    assert_eq!(
        store.idp_deletions().await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert_conflict(store.enqueue_idp_deletion(&first).await, "idp deletion id");

    let retried = PendingIdpDeletion {
        attempts: u32::MAX,
        next_attempt_at: at(3600),
        last_error: Some("the identity provider is unavailable: timeout".to_owned()),
        ..first.clone()
    };
    store.update_idp_deletion(&retried).await.unwrap();
    assert_eq!(
        store.idp_deletions().await.unwrap(),
        vec![retried.clone(), second.clone()]
    );

    store.remove_idp_deletion(first.id).await.unwrap();
    assert_eq!(store.idp_deletions().await.unwrap(), vec![second]);
    assert_not_found(store.remove_idp_deletion(first.id).await);
    assert_not_found(store.update_idp_deletion(&retried).await);
}

async fn due_deletions_come_by_next_attempt_within_the_limit(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let late = world.deletion("late", at(30));
    let early = world.deletion("early", at(10));
    let middle = world.deletion("middle", at(20));
    let on_time = world.deletion("on-time", at(40));
    let future = world.deletion("future", at(41));
    for deletion in [&late, &future, &early, &on_time, &middle] {
        store.enqueue_idp_deletion(deletion).await.unwrap();
    }

    assert_eq!(
        store.due_idp_deletions(at(40), 10).await.unwrap(),
        vec![early.clone(), middle.clone(), late.clone(), on_time]
    );
    assert_eq!(
        store.due_idp_deletions(at(40), 2).await.unwrap(),
        vec![early, middle]
    );
    assert!(store.due_idp_deletions(at(0), 10).await.unwrap().is_empty());
    assert!(store.due_idp_deletions(at(40), 0).await.unwrap().is_empty());
}

async fn unknown_provider_conflicts(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let deletion = PendingIdpDeletion {
        dcr_provider_id: DcrProviderId::new(),
        ..world.deletion("client-1", at(0))
    };
    assert_any_conflict(store.enqueue_idp_deletion(&deletion).await);
    assert!(store.idp_deletions().await.unwrap().is_empty());
}
