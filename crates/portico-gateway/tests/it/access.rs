//! Valid credentials of a registered application reach the upstream, in each form the
//! contract names, and the upstream sees who called, never the secret.

use std::time::Duration;

use crate::support::*;

/// Checks what the upstream saw of a request of the seeded application.
fn assert_identity(harness: &Harness, seen: &serde_json::Value) {
    let authorization = header(seen, "authorization").expect("no Authorization upstream");
    assert!(authorization.starts_with("Bearer "), "{authorization}");
    assert_eq!(
        header(seen, "x-application-id"),
        Some(harness.application.id.to_string().as_str())
    );
    assert_eq!(header(seen, "x-application-name"), Some("Test App"));
    assert_eq!(
        header(seen, "x-developer-id"),
        Some(harness.developer.id.to_string().as_str())
    );
    assert_eq!(
        header(seen, "x-client-id"),
        Some(harness.client_id.as_str())
    );
    assert_eq!(header(seen, "x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(header(seen, "x-forwarded-proto"), Some("http"));
    assert_eq!(
        header(seen, "x-forwarded-host"),
        Some(harness.proxy.to_string().as_str())
    );
    assert!(
        !seen.to_string().contains(&harness.client_secret),
        "the upstream saw the client secret"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_curl_line_reaches_the_upstream() {
    let harness = Harness::start().await;
    let response = harness
        .http
        .get(harness.url("/echo/hello/world?x=1&y=2"))
        .header(
            "authorization",
            format!("Basic {}:{}", harness.client_id, harness.client_secret),
        )
        // Copies of the gateway's headers are replaced, never passed on.
        .header("x-application-id", "spoofed")
        .header("x-client-id", "spoofed")
        .header("x-request-id", "caller-chosen-id.1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "caller-chosen-id.1");
    assert_eq!(response.headers()["x-upstream"], "echo");
    assert!(
        response.headers().get("connection").is_none(),
        "hop-by-hop response headers are removed"
    );
    let seen = seen(response).await;
    assert_eq!(
        seen["path"], "/base/hello/world",
        "strip_path joins the remainder"
    );
    assert_eq!(seen["query"], "x=1&y=2");
    assert_eq!(header(&seen, "x-request-id"), Some("caller-chosen-id.1"));
    assert_identity(&harness, &seen);
    assert_eq!(harness.upstream.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_u_base64_credentials_reach_the_upstream() {
    let harness = Harness::start().await;
    let response = harness
        .http
        .post(harness.url("/echo"))
        .basic_auth(&harness.client_id, Some(&harness.client_secret))
        .body("twelve bytes")
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(request_id.len(), 36, "a generated request id is a UUID");
    let seen = seen(response).await;
    assert_eq!(seen["method"], "POST");
    assert_eq!(
        seen["path"], "/base",
        "the route's own path maps to the upstream's"
    );
    assert_eq!(seen["body_len"], 12, "the body is passed on");
    assert_eq!(header(&seen, "x-request-id"), Some(request_id.as_str()));
    assert_identity(&harness, &seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_token_from_the_idp_reaches_the_upstream() {
    let harness = Harness::start().await;
    let token = harness
        .token_from_idp(&harness.client_id, &harness.client_secret)
        .await;
    for _ in 0..3 {
        let seen = seen(harness.get_bearer("/echo/items", &token).await).await;
        assert_eq!(
            header(&seen, "authorization"),
            Some(format!("Bearer {token}").as_str())
        );
        assert_identity(&harness, &seen);
    }
    assert_eq!(harness.upstream.hits(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unregistered_application_gets_403_until_it_is_registered() {
    let harness = Harness::start_with(test_config(), Seed { register: false }).await;
    let token = harness
        .token_from_idp(&harness.client_id, &harness.client_secret)
        .await;
    problem(harness.get_bearer("/echo", &token).await, 403).await;
    problem(
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await,
        403,
    )
    .await;
    assert_eq!(harness.upstream.hits(), 0);

    register(&*harness.store, harness.application.id, harness.api.id).await;
    let took = eventually(Duration::from_secs(2), || async {
        harness.get_bearer("/echo", &token).await.status() == 200
    })
    .await;
    assert!(took < Duration::from_secs(2));
    seen(
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_match_on_segment_boundaries_and_unknown_paths_are_404() {
    let harness = Harness::start().await;
    for path in ["/echoes", "/", "/other/echo"] {
        let response = harness
            .get_literal_basic(path, &harness.client_id, &harness.client_secret)
            .await;
        let body = problem(response, 404).await;
        assert_eq!(body["title"], "Not Found");
    }
    assert_eq!(harness.upstream.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_requests_in_flight_finish() {
    let mut harness = Harness::start().await;
    let in_flight = {
        let request = harness
            .http
            .get(harness.url("/echo/pause"))
            .basic_auth(&harness.client_id, Some(&harness.client_secret))
            .send();
        tokio::spawn(request)
    };
    // Let the request reach the upstream, which takes 400 ms to answer.
    eventually(Duration::from_secs(2), || async {
        harness.upstream.hits() == 1
    })
    .await;
    harness.shutdown_gateway().await;
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        harness.http.get(harness.url("/echo")).send().await.is_err(),
        "the listener is closed after shutdown"
    );
}
