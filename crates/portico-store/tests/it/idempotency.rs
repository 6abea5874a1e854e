use std::sync::Arc;

use portico_core::model::*;
use portico_core::ports::Store;
use time::Duration;

use crate::fixtures::*;

contract_tests!(
    the_first_request_reserves_the_key,
    keys_belong_to_one_developer,
    inserting_the_application_completes_the_key,
    release_frees_the_key,
    release_keeps_a_completed_key,
    an_abandoned_reservation_is_taken_over_after_a_minute,
    a_completed_key_is_never_taken_over,
    inserting_without_holding_the_key_conflicts,
    deleting_the_application_forgets_the_key,
);

async fn the_first_request_reserves_the_key(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let developer = world.developer.id;
    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-1", "hash-a", at(0))
            .await
            .unwrap(),
        IdempotencyState::Reserved
    );
    // A retry while the first request runs, with the same body or another one.
    for hash in ["hash-a", "hash-b"] {
        assert_eq!(
            store
                .reserve_idempotency_key(developer, "key-1", hash, at(1))
                .await
                .unwrap(),
            IdempotencyState::InProgress {
                request_hash: "hash-a".to_owned()
            }
        );
    }
    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-2", "hash-a", at(1))
            .await
            .unwrap(),
        IdempotencyState::Reserved
    );
}

async fn keys_belong_to_one_developer(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let grace = developer("grace@example.com");
    store.insert_developer(&grace).await.unwrap();
    for developer in [world.developer.id, grace.id] {
        assert_eq!(
            store
                .reserve_idempotency_key(developer, "key-1", "hash", at(0))
                .await
                .unwrap(),
            IdempotencyState::Reserved
        );
    }
}

async fn inserting_the_application_completes_the_key(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let developer = world.developer.id;
    store
        .reserve_idempotency_key(developer, "key-1", "hash-a", at(0))
        .await
        .unwrap();
    let application = world.application("client-1");
    store
        .insert_application(&application, Some("key-1"))
        .await
        .unwrap();

    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-1", "hash-a", at(5))
            .await
            .unwrap(),
        IdempotencyState::Completed {
            request_hash: "hash-a".to_owned(),
            application_id: application.id,
        }
    );
    assert_eq!(
        store.application(application.id).await.unwrap(),
        application
    );
}

async fn release_frees_the_key(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let developer = world.developer.id;
    store
        .reserve_idempotency_key(developer, "key-1", "hash-a", at(0))
        .await
        .unwrap();
    store
        .release_idempotency_key(developer, "key-1")
        .await
        .unwrap();
    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-1", "hash-b", at(1))
            .await
            .unwrap(),
        IdempotencyState::Reserved
    );
    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-1", "hash-a", at(2))
            .await
            .unwrap(),
        IdempotencyState::InProgress {
            request_hash: "hash-b".to_owned()
        }
    );
    // Releasing a key nobody holds is no error.
    store
        .release_idempotency_key(developer, "never-reserved")
        .await
        .unwrap();
}

async fn release_keeps_a_completed_key(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let developer = world.developer.id;
    store
        .reserve_idempotency_key(developer, "key-1", "hash-a", at(0))
        .await
        .unwrap();
    let application = world.application("client-1");
    store
        .insert_application(&application, Some("key-1"))
        .await
        .unwrap();
    store
        .release_idempotency_key(developer, "key-1")
        .await
        .unwrap();
    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-1", "hash-a", at(1))
            .await
            .unwrap(),
        IdempotencyState::Completed {
            request_hash: "hash-a".to_owned(),
            application_id: application.id,
        }
    );
}

async fn an_abandoned_reservation_is_taken_over_after_a_minute(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let developer = world.developer.id;
    store
        .reserve_idempotency_key(developer, "key-1", "hash-a", at(0))
        .await
        .unwrap();
    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-1", "hash-b", at(59))
            .await
            .unwrap(),
        IdempotencyState::InProgress {
            request_hash: "hash-a".to_owned()
        }
    );
    // Exactly a minute old is not yet older than a minute.
    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-1", "hash-b", at(60))
            .await
            .unwrap(),
        IdempotencyState::InProgress {
            request_hash: "hash-a".to_owned()
        }
    );
    let just_over_a_minute = at(60) + Duration::microseconds(1);
    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-1", "hash-b", just_over_a_minute)
            .await
            .unwrap(),
        IdempotencyState::Reserved
    );
    // The new holder's request, and its minute, now count.
    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-1", "hash-c", at(100))
            .await
            .unwrap(),
        IdempotencyState::InProgress {
            request_hash: "hash-b".to_owned()
        }
    );
    // The new holder completes the key.
    let application = world.application("client-1");
    store
        .insert_application(&application, Some("key-1"))
        .await
        .unwrap();
    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-1", "hash-b", at(101))
            .await
            .unwrap(),
        IdempotencyState::Completed {
            request_hash: "hash-b".to_owned(),
            application_id: application.id,
        }
    );
}

async fn a_completed_key_is_never_taken_over(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let developer = world.developer.id;
    store
        .reserve_idempotency_key(developer, "key-1", "hash-a", at(0))
        .await
        .unwrap();
    let application = world.application("client-1");
    store
        .insert_application(&application, Some("key-1"))
        .await
        .unwrap();
    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-1", "hash-b", at(86_400))
            .await
            .unwrap(),
        IdempotencyState::Completed {
            request_hash: "hash-a".to_owned(),
            application_id: application.id,
        }
    );
}

async fn inserting_without_holding_the_key_conflicts(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let application = world.application("client-1");
    assert_conflict(
        store
            .insert_application(&application, Some("never-reserved"))
            .await,
        "idempotency key",
    );
    assert_not_found(store.application(application.id).await);

    // Nor may a second application complete a key that is already completed.
    store
        .reserve_idempotency_key(world.developer.id, "key-1", "hash-a", at(0))
        .await
        .unwrap();
    store
        .insert_application(&application, Some("key-1"))
        .await
        .unwrap();
    let second = world.application("client-2");
    assert_conflict(
        store.insert_application(&second, Some("key-1")).await,
        "idempotency key",
    );
    assert_not_found(store.application(second.id).await);
}

async fn deleting_the_application_forgets_the_key(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let developer = world.developer.id;
    store
        .reserve_idempotency_key(developer, "key-1", "hash-a", at(0))
        .await
        .unwrap();
    let application = world.application("client-1");
    store
        .insert_application(&application, Some("key-1"))
        .await
        .unwrap();
    store
        .delete_application(application.id, None)
        .await
        .unwrap();
    assert_eq!(
        store
            .reserve_idempotency_key(developer, "key-1", "hash-a", at(1))
            .await
            .unwrap(),
        IdempotencyState::Reserved
    );
}
