//! The gateway and the identity provider: the IdP is protected from floods, key rotation
//! needs no restart, and an unreachable IdP is a 503, not a 401.

use std::time::Duration;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_requests_with_the_same_credentials_cause_one_token_request() {
    let harness = Harness::start().await;
    let before = harness.token_requests();
    for _ in 0..100 {
        let response = harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await;
        assert_eq!(response.status(), 200);
    }
    assert_eq!(harness.token_requests() - before, 1);
    assert_eq!(harness.gateway.token_exchanges(), 1);
    assert_eq!(harness.upstream.hits(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_cause_at_most_a_handful_of_token_requests() {
    let harness = Harness::start().await;
    let before = harness.token_requests();
    // The same wrong secret: the rejection is remembered.
    for _ in 0..100 {
        let response = harness
            .get_literal_basic("/echo", &harness.client_id, "wrong-secret")
            .await;
        assert_eq!(response.status(), 401);
    }
    assert_eq!(harness.token_requests() - before, 1);
    // A hundred different wrong secrets for the client id: the per-client limit holds.
    for attempt in 0..100 {
        let response = harness
            .get_literal_basic("/echo", &harness.client_id, &format!("guess-{attempt}"))
            .await;
        assert_eq!(response.status(), 401);
    }
    assert!(
        harness.token_requests() - before <= 5,
        "{} token requests for 200 wrong credentials",
        harness.token_requests() - before
    );
    // Unknown client ids never reach the IdP.
    let before_unknown = harness.token_requests();
    for attempt in 0..50 {
        let response = harness
            .get_literal_basic("/echo", &format!("unknown-{attempt}"), "secret")
            .await;
        assert_eq!(response.status(), 401);
    }
    assert_eq!(harness.token_requests(), before_unknown);
    assert_eq!(harness.upstream.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_cause_one_token_request() {
    let harness = Harness::start().await;
    // A slow token endpoint widens the window in which the requests overlap.
    harness
        .emulator
        .delay_next("POST", "/oauth/token", 1, Duration::from_millis(300));
    let before = harness.token_requests();
    let requests = (0..50).map(|_| {
        harness
            .http
            .get(harness.url("/echo"))
            .basic_auth(&harness.client_id, Some(&harness.client_secret))
            .send()
    });
    for response in futures::future::join_all(requests).await {
        assert_eq!(response.unwrap().status(), 200);
    }
    assert_eq!(harness.token_requests() - before, 1);
    assert_eq!(harness.upstream.hits(), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotation_needs_no_restart() {
    let harness = Harness::start().await;
    let old_token = harness
        .token_from_idp(&harness.client_id, &harness.client_secret)
        .await;
    seen(harness.get_bearer("/echo", &old_token).await).await;
    seen(
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await,
    )
    .await;

    harness.emulator.rotate_signing_key(true);
    let new_token = harness
        .token_from_idp(&harness.client_id, &harness.client_secret)
        .await;
    assert_ne!(new_token, old_token);
    seen(harness.get_bearer("/echo", &new_token).await).await;
    // The old key is still published, so its tokens keep working.
    seen(harness.get_bearer("/echo", &old_token).await).await;
    // New credentials are exchanged for a token under the new key and accepted too.
    let (second, secret) = harness.add_application("Second App").await;
    seen(
        harness
            .get_literal_basic("/echo", &second.client_id, &secret)
            .await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_idp_is_a_503_with_retry_after_and_is_not_remembered() {
    let mut harness = Harness::start().await;
    // Load the discovery document and keys while the IdP is up.
    let token = harness
        .token_from_idp(&harness.client_id, &harness.client_secret)
        .await;
    seen(harness.get_bearer("/echo", &token).await).await;

    // The IdP answers 5xx.
    harness.emulator.set_down(true);
    let response = harness
        .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
        .await;
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    problem(response, 503).await;
    // Tokens verified with the last good keys still pass.
    seen(harness.get_bearer("/echo", &token).await).await;
    // Many requests during the outage: all 503 (never 401), and the IdP is spared.
    let (outage, outage_secret) = harness.add_application("Outage App").await;
    let before = harness.token_requests();
    for _ in 0..20 {
        let response = harness
            .get_literal_basic("/echo", &outage.client_id, &outage_secret)
            .await;
        assert!(response.headers().contains_key("retry-after"));
        problem(response, 503).await;
    }
    assert!(harness.token_requests() - before <= 5);
    harness.emulator.set_down(false);
    // Not remembered as a rejection: the same credentials work once the IdP is back.
    seen(
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await,
    )
    .await;

    // The IdP rate-limits the exchange.
    let (application, secret) = harness.add_application("Rate-limited App").await;
    harness
        .emulator
        .rate_limit_next("POST", "/oauth/token", 1, 7);
    let response = harness
        .get_literal_basic("/echo", &application.client_id, &secret)
        .await;
    assert_eq!(response.headers()["retry-after"], "7");
    problem(response, 503).await;
    seen(
        harness
            .get_literal_basic("/echo", &application.client_id, &secret)
            .await,
    )
    .await;

    // The IdP cannot be reached at all.
    let (application, secret) = harness.add_application("Unreachable App").await;
    harness.emulator.stop().await;
    let response = harness
        .get_literal_basic("/echo", &application.client_id, &secret)
        .await;
    assert!(response.headers().contains_key("retry-after"));
    problem(response, 503).await;
    harness.emulator.restart().await;
    seen(
        harness
            .get_literal_basic("/echo", &application.client_id, &secret)
            .await,
    )
    .await;
}
