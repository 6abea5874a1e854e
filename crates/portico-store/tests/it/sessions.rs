use std::sync::Arc;

use portico_core::id::*;
use portico_core::model::*;
use portico_core::ports::Store;

use crate::fixtures::*;

contract_tests!(
    valid_until_expiry,
    delete_one,
    delete_all_of_a_developer,
    unknown_developer_conflicts,
    purge_forgets_expired_sessions_and_old_idempotency_keys,
);

fn session(token_hash: &str, developer: DeveloperId) -> Session {
    Session {
        token_hash: token_hash.to_owned(),
        developer_id: developer,
        created_at: at(0),
        expires_at: at(3600),
    }
}

async fn valid_until_expiry(store: Arc<dyn Store>) {
    let ada = developer("ada@example.com");
    store.insert_developer(&ada).await.unwrap();
    let session = session("hash-1", ada.id);
    store.insert_session(&session).await.unwrap();

    assert_eq!(store.session("hash-1", at(0)).await.unwrap(), session);
    assert_eq!(store.session("hash-1", at(3599)).await.unwrap(), session);
    let last_microsecond = at(3600) - time::Duration::microseconds(1);
    assert_eq!(
        store.session("hash-1", last_microsecond).await.unwrap(),
        session
    );
    assert_not_found(store.session("hash-1", at(3600)).await);
    assert_not_found(store.session("hash-1", at(7200)).await);
    assert_not_found(store.session("hash-2", at(0)).await);
    assert_conflict(store.insert_session(&session).await, "session token");
}

async fn delete_one(store: Arc<dyn Store>) {
    let ada = developer("ada@example.com");
    store.insert_developer(&ada).await.unwrap();
    store
        .insert_session(&session("hash-1", ada.id))
        .await
        .unwrap();
    store
        .insert_session(&session("hash-2", ada.id))
        .await
        .unwrap();

    store.delete_session("hash-1").await.unwrap();
    assert_not_found(store.session("hash-1", at(0)).await);
    assert!(store.session("hash-2", at(0)).await.is_ok());
    assert_not_found(store.delete_session("hash-1").await);
}

async fn delete_all_of_a_developer(store: Arc<dyn Store>) {
    let ada = developer("ada@example.com");
    let grace = developer("grace@example.com");
    store.insert_developer(&ada).await.unwrap();
    store.insert_developer(&grace).await.unwrap();
    store
        .insert_session(&session("ada-1", ada.id))
        .await
        .unwrap();
    store
        .insert_session(&session("ada-2", ada.id))
        .await
        .unwrap();
    store
        .insert_session(&session("grace-1", grace.id))
        .await
        .unwrap();

    store.delete_sessions_of(ada.id).await.unwrap();
    assert_not_found(store.session("ada-1", at(0)).await);
    assert_not_found(store.session("ada-2", at(0)).await);
    assert!(store.session("grace-1", at(0)).await.is_ok());
    // Nothing left to delete is no error.
    store.delete_sessions_of(ada.id).await.unwrap();
}

async fn unknown_developer_conflicts(store: Arc<dyn Store>) {
    let session = session("hash-1", DeveloperId::new());
    assert_any_conflict(store.insert_session(&session).await);
    assert_not_found(store.session("hash-1", at(0)).await);
}

async fn purge_forgets_expired_sessions_and_old_idempotency_keys(store: Arc<dyn Store>) {
    let ada = developer("ada@example.com");
    store.insert_developer(&ada).await.unwrap();
    let mut expired = session("expired", ada.id);
    expired.expires_at = at(100);
    store.insert_session(&expired).await.unwrap();
    store
        .insert_session(&session("current", ada.id))
        .await
        .unwrap();
    store
        .reserve_idempotency_key(ada.id, "old", "hash", at(0))
        .await
        .unwrap();
    store
        .reserve_idempotency_key(ada.id, "new", "hash", at(500))
        .await
        .unwrap();

    let purged = store.purge_expired(at(200), at(400)).await.unwrap();
    assert_eq!(purged, 2, "one session and one key");
    assert!(store.session("current", at(200)).await.is_ok());
    // The old key is gone, so it can be reserved afresh; the new one is still held.
    assert_eq!(
        store
            .reserve_idempotency_key(ada.id, "old", "other", at(201))
            .await
            .unwrap(),
        IdempotencyState::Reserved
    );
    assert!(matches!(
        store
            .reserve_idempotency_key(ada.id, "new", "hash", at(501))
            .await
            .unwrap(),
        IdempotencyState::InProgress { .. }
    ));
    assert_eq!(store.purge_expired(at(200), at(0)).await.unwrap(), 0);
}
