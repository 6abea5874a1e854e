use std::sync::Arc;

use portico_core::id::*;
use portico_core::model::*;
use portico_core::ports::Store;

use crate::fixtures::*;

contract_tests!(crud, email_is_unique, reused_id_conflicts);

async fn crud(store: Arc<dyn Store>) {
    let ada = developer("ada@example.com");
    let mut grace = developer("grace@example.com");
    grace.created_at = at(-1);
    grace.status = ApprovalStatus::Pending;
    store.insert_developer(&ada).await.unwrap();
    store.insert_developer(&grace).await.unwrap();

    assert_eq!(store.developer(ada.id).await.unwrap(), ada);
    assert_eq!(
        store.developer_by_email("grace@example.com").await.unwrap(),
        grace
    );
    assert_eq!(
        store.developers().await.unwrap(),
        vec![grace.clone(), ada.clone()]
    );

    let mut updated = ada.clone();
    updated.email = "ada.lovelace@example.com".to_owned();
    updated.full_name = "Augusta Ada King".to_owned();
    updated.status = ApprovalStatus::Revoked;
    updated.password_hash = "$argon2id$other".to_owned();
    updated.updated_at = at(100);
    store.update_developer(&updated).await.unwrap();
    assert_eq!(store.developer(ada.id).await.unwrap(), updated);
    assert_eq!(
        store
            .developer_by_email("ada.lovelace@example.com")
            .await
            .unwrap(),
        updated
    );
    assert_not_found(store.developer_by_email("ada@example.com").await);

    assert_not_found(store.developer(DeveloperId::new()).await);
    assert_not_found(
        store
            .update_developer(&developer("nobody@example.com"))
            .await,
    );
}

async fn email_is_unique(store: Arc<dyn Store>) {
    let ada = developer("ada@example.com");
    store.insert_developer(&ada).await.unwrap();
    assert_conflict(
        store.insert_developer(&developer("ada@example.com")).await,
        "developer email",
    );

    let mut grace = developer("grace@example.com");
    store.insert_developer(&grace).await.unwrap();
    grace.email = "ada@example.com".to_owned();
    assert_conflict(store.update_developer(&grace).await, "developer email");
    assert_eq!(
        store.developer_by_email("ada@example.com").await.unwrap(),
        ada
    );
}

async fn reused_id_conflicts(store: Arc<dyn Store>) {
    let ada = developer("ada@example.com");
    store.insert_developer(&ada).await.unwrap();
    let same_id = Developer {
        email: "other@example.com".to_owned(),
        ..ada
    };
    assert_conflict(store.insert_developer(&same_id).await, "developer id");
}
