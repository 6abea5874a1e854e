//! Rate limits, retries, token caching and outages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use portico_core::ports::{DcrProvider, IdpError};
use portico_idp::{http_client, Auth0Provider, HttpClientConfig, RetryPolicy};

use crate::support::{emulator, provider, provider_with, request, settings};

#[tokio::test]
async fn rate_limits_are_waited_out() {
    let emulator = emulator().await;
    let provider = provider(&emulator);
    emulator.rate_limit_next("POST", "/api/v2/clients", 2, 1);

    let started = Instant::now();
    let issued = provider
        .create_client(&request(&emulator))
        .await
        .expect("created after the rate limit");
    let waited = started.elapsed();

    assert!(emulator.client(&issued.client_id).is_some());
    assert_eq!(emulator.request_count("POST", "/api/v2/clients"), 3);
    assert_eq!(emulator.clients().len(), 1);
    assert!(
        waited >= Duration::from_millis(1900),
        "waited only {waited:?} for two Retry-After: 1"
    );
}

#[tokio::test]
async fn a_rate_limit_beyond_the_budget_makes_the_call_unavailable() {
    let emulator = emulator().await;
    let provider = provider_with(
        &emulator,
        RetryPolicy {
            rate_limit_budget: Duration::from_millis(1500),
            ..RetryPolicy::fast()
        },
    );
    // Warm the token cache so that only the Management API call is limited.
    provider.delete_client("nothing").await.unwrap();
    emulator.rate_limit_next("*", "/api/v2/", 10, 1);

    match provider.delete_client("nothing").await {
        Err(IdpError::Unavailable(message)) => {
            assert!(message.starts_with("rate limited by Auth0"), "{message}")
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    // One wait of a second fits in the budget, a second one does not.
    assert_eq!(
        emulator.request_count("GET", "/api/v2/client-grants"),
        1 + 2
    );
}

#[tokio::test]
async fn the_management_token_is_fetched_once_for_many_calls() {
    let emulator = emulator().await;
    let provider = provider(&emulator);
    let request = request(&emulator);

    let issued = provider.create_client(&request).await.unwrap();
    provider
        .update_client(&issued.client_id, &request)
        .await
        .unwrap();
    provider.rotate_secret(&issued.client_id).await.unwrap();
    provider.delete_client(&issued.client_id).await.unwrap();

    assert_eq!(emulator.request_count("POST", "/oauth/token"), 1);
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let emulator = emulator().await;
    let provider = provider(&emulator);

    let calls: Vec<_> = (0..8)
        .map(|index| {
            let provider = provider.clone();
            tokio::spawn(async move { provider.delete_client(&format!("client-{index}")).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().expect("deleted");
    }

    assert_eq!(emulator.request_count("POST", "/oauth/token"), 1);
}

#[tokio::test]
async fn an_expired_token_is_fetched_again_once() {
    let emulator = emulator().await;
    let provider = provider(&emulator);
    let request = request(&emulator);
    let issued = provider.create_client(&request).await.unwrap();

    // Two days on, Auth0 refuses the cached token although Portico thinks it still valid.
    emulator.set_clock_offset(2 * 86_400);
    emulator.clear_requests();
    provider
        .update_client(&issued.client_id, &request)
        .await
        .expect("updated with a fresh token");

    assert_eq!(emulator.request_count("POST", "/oauth/token"), 1);
    let patches: Vec<u16> = emulator
        .requests()
        .into_iter()
        .filter(|recorded| recorded.method == "PATCH")
        .map(|recorded| recorded.status)
        .collect();
    assert_eq!(patches, [401, 200]);
}

#[tokio::test]
async fn a_second_401_is_not_retried_again() {
    let emulator = emulator().await;
    let provider = provider(&emulator);
    emulator.fail_next("PATCH", "/api/v2/clients/", 5, 401);

    match provider
        .update_client("some-client", &request(&emulator))
        .await
    {
        Err(IdpError::Rejected { status, .. }) => assert_eq!(status, 401),
        other => panic!("expected a 401 rejection, got {other:?}"),
    }
    assert_eq!(emulator.request_count("PATCH", "/api/v2/clients/"), 2);
    assert_eq!(emulator.request_count("POST", "/oauth/token"), 2);
}

#[tokio::test]
async fn a_5xx_on_patch_is_retried() {
    let emulator = emulator().await;
    let provider = provider(&emulator);
    let request = request(&emulator);
    let issued = provider.create_client(&request).await.unwrap();

    emulator.fail_next("PATCH", "/api/v2/clients/", 2, 503);
    provider
        .update_client(&issued.client_id, &request)
        .await
        .expect("updated on the third attempt");
    assert_eq!(emulator.request_count("PATCH", "/api/v2/clients/"), 3);
}

#[tokio::test]
async fn a_5xx_on_create_is_not_retried() {
    let emulator = emulator().await;
    let provider = provider(&emulator);

    emulator.fail_next("POST", "/api/v2/clients", 1, 500);
    let error = provider
        .create_client(&request(&emulator))
        .await
        .expect_err("the creation failed");

    match &error.error {
        IdpError::Unavailable(message) => {
            assert!(
                message.contains("An internal server error occurred"),
                "{message}"
            )
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(error.orphan, None);
    assert_eq!(emulator.request_count("POST", "/api/v2/clients"), 1);
    assert_eq!(emulator.request_count("POST", "/api/v2/client-grants"), 0);
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_leaves_no_client_behind() {
    let emulator = emulator().await;
    let provider = provider(&emulator);

    // Auth0 makes the client, but the answer never arrives.
    emulator.lose_response_next("POST", "/api/v2/clients", 1, 502);
    let error = provider
        .create_client(&request(&emulator))
        .await
        .expect_err("the outcome was unknown");

    assert!(matches!(error.error, IdpError::Unavailable(_)), "{error:?}");
    assert_eq!(error.orphan, None);
    assert_eq!(emulator.request_count("POST", "/api/v2/clients"), 1);
    assert!(
        emulator.request_count("GET", "/api/v2/clients") >= 1,
        "Auth0 was searched for the client"
    );
    assert!(
        emulator.clients().is_empty(),
        "the client made for the application was found and deleted"
    );
}

#[tokio::test]
async fn a_5xx_on_rotate_is_not_retried() {
    let emulator = emulator().await;
    let provider = provider(&emulator);
    let issued = provider.create_client(&request(&emulator)).await.unwrap();

    emulator.fail_next("POST", "/api/v2/clients/", 1, 502);
    assert!(matches!(
        provider.rotate_secret(&issued.client_id).await,
        Err(IdpError::Unavailable(_))
    ));
    assert_eq!(
        emulator.request_count(
            "POST",
            &format!("/api/v2/clients/{}/rotate-secret", issued.client_id)
        ),
        1
    );
}

#[tokio::test]
async fn deleting_while_auth0_is_down_is_unavailable() {
    let emulator = emulator().await;
    let provider = provider(&emulator);
    let issued = provider.create_client(&request(&emulator)).await.unwrap();

    emulator.set_down(true);
    assert!(matches!(
        provider.delete_client(&issued.client_id).await,
        Err(IdpError::Unavailable(_))
    ));
    emulator.set_down(false);
    assert!(emulator.client(&issued.client_id).is_some());

    emulator.shutdown().await;
    match provider.delete_client(&issued.client_id).await {
        Err(IdpError::Unavailable(message)) => {
            assert!(message.contains("could not connect"), "{message}")
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_slow_answer_times_out_as_unavailable() {
    let emulator = emulator().await;
    let http = http_client(&HttpClientConfig {
        request_timeout: Duration::from_millis(300),
        ..HttpClientConfig::default()
    })
    .unwrap();
    let provider = Arc::new(Auth0Provider::new(
        http,
        settings(&emulator.issuer(), emulator.management_client()),
        RetryPolicy {
            retries: 1,
            ..RetryPolicy::fast()
        },
    ));
    emulator.delay_next("GET", "/api/v2/client-grants", 2, Duration::from_secs(1));

    match provider.delete_client("some-client").await {
        Err(IdpError::Unavailable(message)) => assert!(message.contains("timed out"), "{message}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}
