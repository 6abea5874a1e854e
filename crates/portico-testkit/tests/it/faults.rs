//! Injected faults, the rate-limit bucket and request recording.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{emulator, http, json_body, management_token, management_url, request_token};

fn header_number(response: &reqwest::Response, name: &str) -> u64 {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn rate_limit_next_answers_429_with_retry_after_and_rate_limit_headers() {
    let emulator = emulator().await;
    let token = management_token(&emulator).await;
    let url = management_url(&emulator, "/clients");
    emulator.rate_limit_next("GET", "/api/v2/clients", 1, 7);

    let limited = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header_number(&limited, "retry-after"), 7);
    assert_eq!(header_number(&limited, "x-ratelimit-limit"), 50);
    assert_eq!(header_number(&limited, "x-ratelimit-remaining"), 0);
    assert!(header_number(&limited, "x-ratelimit-reset") >= epoch_secs() + 6);
    assert_eq!(
        json_body(limited).await,
        json!({
            "statusCode": 429, "error": "Too Many Requests",
            "message": "Global limit has been reached", "errorCode": "too_many_requests"
        })
    );

    let next = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(next.status(), StatusCode::OK);
    assert!(header_number(&next, "x-ratelimit-remaining") < 50);
    assert!(next.headers().get("retry-after").is_none());

    emulator.rate_limit_next("POST", "/oauth/token", 1, 2);
    let (client_id, secret) = emulator.management_client();
    let token_limited = request_token(
        &emulator,
        &client_id,
        &secret,
        &emulator.management_audience(),
    )
    .await;
    assert_eq!(token_limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header_number(&token_limited, "retry-after"), 2);
    assert_eq!(
        json_body(token_limited).await,
        json!({ "error": "too_many_requests", "error_description": "Global limit has been reached" })
    );
}

#[tokio::test]
async fn an_empty_token_bucket_refuses_management_calls() {
    let emulator = Auth0Emulator::start(EmulatorConfig {
        rate_limit_bucket: 3,
        rate_limit_refill_per_sec: 0,
        ..EmulatorConfig::default()
    })
    .await;
    let token = management_token(&emulator).await;
    let url = management_url(&emulator, "/client-grants");
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = http().get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header_number(&response, "x-ratelimit-limit"), 3);
        remaining.push(header_number(&response, "x-ratelimit-remaining"));
    }
    assert_eq!(remaining, [2, 1, 0]);
    let refused = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header_number(&refused, "retry-after") >= 1);
    assert_eq!(json_body(refused).await["errorCode"], "too_many_requests");
    // The Authentication API has its own limits and is not drained by Management API calls.
    let (client_id, secret) = emulator.management_client();
    assert_eq!(
        request_token(
            &emulator,
            &client_id,
            &secret,
            &emulator.management_audience()
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn fail_next_answers_the_next_matching_requests_with_auth0_error_bodies() {
    let emulator = emulator().await;
    let token = management_token(&emulator).await;
    emulator.fail_next("POST", "/api/v2/clients", 2, 500);
    emulator.fail_next("*", "/oauth/token", 1, 503);

    let post = || {
        http()
            .post(management_url(&emulator, "/clients"))
            .bearer_auth(&token)
            .json(&json!({ "name": "App" }))
            .send()
    };
    for _ in 0..2 {
        let failed = post().await.unwrap();
        assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(failed.headers().contains_key("x-ratelimit-limit"));
        assert_eq!(
            json_body(failed).await,
            json!({ "statusCode": 500, "error": "Internal Server Error", "message": "An internal server error occurred" })
        );
    }
    assert_eq!(post().await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(
        emulator.clients().len(),
        1,
        "failed requests create nothing"
    );
    assert_eq!(emulator.request_count("POST", "/api/v2/clients"), 3);

    let (client_id, secret) = emulator.management_client();
    let unavailable = request_token(
        &emulator,
        &client_id,
        &secret,
        &emulator.management_audience(),
    )
    .await;
    assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        json_body(unavailable).await["error"],
        "temporarily_unavailable"
    );
    assert_eq!(emulator.request_count("POST", "/oauth/token"), 2);
    assert_eq!(emulator.request_count("*", "/"), 5);
}

#[tokio::test]
async fn delay_next_slows_only_the_matching_requests() {
    let emulator = emulator().await;
    emulator.delay_next(
        "GET",
        "/.well-known/jwks.json",
        1,
        Duration::from_millis(400),
    );
    let url = format!("{}/.well-known/jwks.json", emulator.base_url());

    let started = Instant::now();
    assert_eq!(
        http().get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert!(started.elapsed() >= Duration::from_millis(400));

    let started = Instant::now();
    assert_eq!(
        http().get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert!(started.elapsed() < Duration::from_millis(400));
}

#[tokio::test]
async fn a_down_tenant_answers_503_until_it_is_back() {
    let emulator = emulator().await;
    emulator.set_down(true);
    let response = http()
        .get(format!("{}/.well-known/jwks.json", emulator.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = json_body(response).await;
    assert_eq!(body["statusCode"], 503);
    assert_eq!(body["error"], "Service Unavailable");
    assert!(body["message"].is_string());

    emulator.set_down(false);
    let (client_id, secret) = emulator.management_client();
    assert_eq!(
        request_token(
            &emulator,
            &client_id,
            &secret,
            &emulator.management_audience()
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn recorded_requests_never_contain_secrets() {
    let emulator = emulator().await;
    let token = management_token(&emulator).await;
    let (_, management_secret) = emulator.management_client();
    http()
        .post(management_url(&emulator, "/clients"))
        .bearer_auth(&token)
        .json(&json!({ "name": "App", "client_secret": "chosen-secret-value-0123456789" }))
        .send()
        .await
        .unwrap();

    let requests = emulator.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/oauth/token");
    assert_eq!(requests[0].status, 200);
    assert_eq!(
        requests[0].body.as_ref().unwrap()["client_secret"],
        "[redacted]"
    );
    assert_eq!(requests[1].path, "/api/v2/clients");
    assert_eq!(requests[1].status, 201);
    assert_eq!(requests[1].authorization_scheme.as_deref(), Some("Bearer"));
    assert_eq!(requests[1].body.as_ref().unwrap()["name"], "App");

    let printed = format!("{requests:?} {emulator:?}");
    assert!(!printed.contains(&management_secret));
    assert!(!printed.contains("chosen-secret-value"));
    assert!(!printed.contains(&token));

    emulator.clear_requests();
    assert_eq!(emulator.request_count("*", "/"), 0);
}
