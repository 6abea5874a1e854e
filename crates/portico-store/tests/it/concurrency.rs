use std::sync::Arc;

use portico_core::model::*;
use portico_core::ports::{Store, StoreError};
use tokio::task::JoinSet;

use crate::fixtures::*;

contract_tests!(
    concurrent_writes_all_succeed,
    racing_sign_ups_with_one_email_have_one_winner,
    racing_reservations_of_one_key_have_one_winner,
    concurrent_transactions_all_succeed,
);

const TASKS: usize = 20;

async fn concurrent_writes_all_succeed(store: Arc<dyn Store>) {
    let mut tasks = JoinSet::new();
    for index in 0..TASKS {
        let store = store.clone();
        tasks.spawn(async move {
            store
                .insert_developer(&developer(&format!("dev{index}@example.com")))
                .await
        });
    }
    while let Some(outcome) = tasks.join_next().await {
        outcome.unwrap().expect("every insert succeeds");
    }
    assert_eq!(store.developers().await.unwrap().len(), TASKS);
}

async fn racing_sign_ups_with_one_email_have_one_winner(store: Arc<dyn Store>) {
    let mut tasks = JoinSet::new();
    for _ in 0..TASKS {
        let store = store.clone();
        tasks.spawn(async move { store.insert_developer(&developer("ada@example.com")).await });
    }
    let mut winners = 0;
    while let Some(outcome) = tasks.join_next().await {
        match outcome.unwrap() {
            Ok(()) => winners += 1,
            Err(StoreError::Conflict(rule)) => assert_eq!(rule, "developer email"),
            Err(other) => panic!("expected a conflict, got {other:?}"),
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(store.developers().await.unwrap().len(), 1);
}

async fn racing_reservations_of_one_key_have_one_winner(store: Arc<dyn Store>) {
    let world = World::new(&store).await;
    let mut tasks = JoinSet::new();
    for index in 0..TASKS {
        let store = store.clone();
        let developer = world.developer.id;
        tasks.spawn(async move {
            store
                .reserve_idempotency_key(developer, "key-1", &format!("hash-{index}"), at(0))
                .await
        });
    }
    let mut winners = 0;
    while let Some(outcome) = tasks.join_next().await {
        match outcome.unwrap().unwrap() {
            IdempotencyState::Reserved => winners += 1,
            IdempotencyState::InProgress { .. } => {}
            other => panic!("nothing completed the key, yet got {other:?}"),
        }
    }
    assert_eq!(winners, 1);
}

/// Transactions that write after reading are where SQLite would answer `SQLITE_BUSY`.
async fn concurrent_transactions_all_succeed(store: Arc<dyn Store>) {
    let world = Arc::new(World::new(&store).await);
    let things = api("things", None);
    store.insert_api(&things).await.unwrap();
    let mut tasks = JoinSet::new();
    for index in 0..TASKS {
        let store = store.clone();
        let world = world.clone();
        tasks.spawn(async move {
            let key = format!("key-{index}");
            let state = store
                .reserve_idempotency_key(world.developer.id, &key, "hash", at(0))
                .await?;
            assert_eq!(state, IdempotencyState::Reserved);
            let application = world.application(&format!("client-{index}"));
            store.insert_application(&application, Some(&key)).await?;
            store
                .insert_registration(&registration(
                    application.id,
                    things.id,
                    ApprovalStatus::Approved,
                ))
                .await?;
            let deletion = world.deletion(&application.client_id, at(0));
            store
                .delete_application(application.id, Some(&deletion))
                .await
        });
    }
    while let Some(outcome) = tasks.join_next().await {
        outcome.unwrap().expect("every transaction succeeds");
    }
    assert!(store.applications(None).await.unwrap().is_empty());
    assert_eq!(store.idp_deletions().await.unwrap().len(), TASKS);
}
