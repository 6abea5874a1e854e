//! Changes made in the store take effect at the gateway within two seconds, without a
//! restart.

use std::time::Duration;

use portico_core::model::ApprovalStatus;
use serde_json::Value;

use crate::support::*;

const WITHIN: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regenerated_secret_refuses_the_old_one_within_two_seconds() {
    let harness = Harness::start().await;
    let old_secret = harness.client_secret.clone();
    seen(
        harness
            .get_literal_basic("/echo", &harness.client_id, &old_secret)
            .await,
    )
    .await;

    // What the portal does on "regenerate": rotate at the IdP, then record the change.
    let management_token = harness.management_token().await;
    let rotated: Value = harness
        .http
        .post(format!(
            "{}/api/v2/clients/{}/rotate-secret",
            harness.emulator.base_url(),
            harness.client_id
        ))
        .bearer_auth(&management_token)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    let mut application = harness.application.clone();
    application.updated_at = now();
    harness
        .store
        .update_application(&application)
        .await
        .unwrap();

    let took = eventually(WITHIN, || async {
        harness
            .get_literal_basic("/echo", &harness.client_id, &old_secret)
            .await
            .status()
            == 401
    })
    .await;
    assert!(took < WITHIN);
    seen(
        harness
            .get_literal_basic("/echo", &harness.client_id, &new_secret)
            .await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_registration_is_refused_within_two_seconds() {
    let harness = Harness::start().await;
    let token = harness
        .token_from_idp(&harness.client_id, &harness.client_secret)
        .await;
    seen(harness.get_bearer("/echo", &token).await).await;
    seen(
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await,
    )
    .await;

    let mut registration = harness
        .store
        .registrations_of(harness.application.id)
        .await
        .unwrap()
        .remove(0);
    registration.status = ApprovalStatus::Revoked;
    registration.updated_at = now();
    harness
        .store
        .update_registration(&registration)
        .await
        .unwrap();

    eventually(WITHIN, || async {
        harness.get_bearer("/echo", &token).await.status() == 403
    })
    .await;
    problem(
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await,
        403,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_developers_applications_are_refused_within_two_seconds() {
    let harness = Harness::start().await;
    seen(
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await,
    )
    .await;

    let mut developer = harness.developer.clone();
    developer.status = ApprovalStatus::Revoked;
    developer.updated_at = now();
    harness.store.update_developer(&developer).await.unwrap();
    let took = eventually(WITHIN, || async {
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await
            .status()
            == 403
    })
    .await;
    assert!(took < WITHIN);

    // Approved again, the same credentials work again.
    developer.status = ApprovalStatus::Approved;
    developer.updated_at = now();
    harness.store.update_developer(&developer).await.unwrap();
    eventually(WITHIN, || async {
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await
            .status()
            == 200
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_application_is_refused_within_two_seconds() {
    let harness = Harness::start().await;
    let token = harness
        .token_from_idp(&harness.client_id, &harness.client_secret)
        .await;
    seen(harness.get_bearer("/echo", &token).await).await;
    seen(
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await,
    )
    .await;

    harness
        .store
        .delete_application(harness.application.id, None)
        .await
        .unwrap();
    eventually(WITHIN, || async {
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await
            .status()
            == 401
    })
    .await;
    let hits = harness.upstream.hits();
    problem(harness.get_bearer("/echo", &token).await, 401).await;
    problem(
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await,
        401,
    )
    .await;
    assert_eq!(harness.upstream.hits(), hits);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpublishing_an_api_or_changing_its_routes_applies_within_two_seconds() {
    let harness = Harness::start().await;
    seen(
        harness
            .get_literal_basic("/echo/a", &harness.client_id, &harness.client_secret)
            .await,
    )
    .await;

    let mut api = harness.api.clone();
    api.routes[0].paths = vec!["/moved".into()];
    api.routes[0].methods = vec!["GET".into()];
    api.routes[0].strip_path = false;
    api.updated_at = now();
    harness.store.update_api(&api).await.unwrap();
    eventually(WITHIN, || async {
        harness
            .get_literal_basic("/echo/a", &harness.client_id, &harness.client_secret)
            .await
            .status()
            == 404
    })
    .await;
    let moved = seen(
        harness
            .get_literal_basic("/moved/a", &harness.client_id, &harness.client_secret)
            .await,
    )
    .await;
    assert_eq!(
        moved["path"], "/base/moved/a",
        "without strip_path the whole path is kept"
    );
    let post = harness
        .http
        .post(harness.url("/moved/a"))
        .basic_auth(&harness.client_id, Some(&harness.client_secret))
        .send()
        .await
        .unwrap();
    problem(post, 404).await;

    api.published = false;
    api.updated_at = now();
    harness.store.update_api(&api).await.unwrap();
    eventually(WITHIN, || async {
        harness
            .get_literal_basic("/moved/a", &harness.client_id, &harness.client_secret)
            .await
            .status()
            == 404
    })
    .await;
}
