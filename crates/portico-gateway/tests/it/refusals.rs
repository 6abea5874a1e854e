//! Everything without valid credentials of a registered application is refused with 401 and
//! reaches no upstream.

use std::time::Duration;

use base64::Engine;
use serde_json::json;

use portico_gateway::GatewayConfig;

use crate::support::*;

async fn assert_refused(what: &str, request: reqwest::RequestBuilder, token_presented: bool) {
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 401, "{what}: expected 401");
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    if token_presented {
        assert_eq!(
            challenge, r#"Bearer realm="portico", error="invalid_token""#,
            "{what}"
        );
    } else {
        assert_eq!(challenge, r#"Bearer realm="portico""#, "{what}");
    }
    let body = problem(response, 401).await;
    assert_eq!(body["title"], "Unauthorized", "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_and_tokens_are_refused_before_the_upstream() {
    let harness = Harness::start().await;
    let url = harness.url("/echo/x");
    let get = || harness.http.get(&url);
    let claims = harness.claims();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let with = |changes: serde_json::Value| {
        let mut claims = claims.clone();
        for (name, value) in changes.as_object().unwrap() {
            claims[name] = value.clone();
        }
        claims
    };
    let jwks = harness.emulator.jwks();
    let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_owned();

    assert_refused("no credentials", get(), false).await;
    assert_refused(
        "wrong secret",
        get().header(
            "authorization",
            format!("Basic {}:wrong-secret", harness.client_id),
        ),
        true,
    )
    .await;
    assert_refused(
        "wrong secret, base64",
        get().basic_auth(&harness.client_id, Some("wrong-secret")),
        true,
    )
    .await;
    for malformed in [
        "Basic",
        "Basic !!!not-base64",
        "Basic Og==",
        "Basic bm9jb2xvbg==",
        "Digest x",
    ] {
        assert_refused(
            &format!("malformed: {malformed}"),
            get().header("authorization", malformed),
            true,
        )
        .await;
    }
    assert_refused(
        "unknown client id",
        get().header("authorization", "Basic nobody:secret"),
        true,
    )
    .await;
    assert_refused("garbage token", get().bearer_auth("garbage"), true).await;
    assert_refused("garbage JWT", get().bearer_auth("a.b.c"), true).await;

    let signed = |claims: &serde_json::Value| harness.emulator.sign_token(claims);
    let cases = [
        (
            "alg none",
            harness
                .emulator
                .sign_token_with_header(&claims, "none", Some(&kid)),
        ),
        (
            "HS256 keyed with the public key",
            harness
                .emulator
                .sign_token_with_header(&claims, "HS256", Some(&kid)),
        ),
        (
            "RS256 header over another algorithm's signature",
            harness
                .emulator
                .sign_token_with_header(&claims, "RS512", Some(&kid)),
        ),
        (
            "wrong issuer",
            signed(&with(json!({"iss": "https://evil.example.com/"}))),
        ),
        (
            "wrong audience",
            signed(&with(json!({"aud": "https://other.api"}))),
        ),
        ("no audience", {
            let mut claims = claims.clone();
            claims.as_object_mut().unwrap().remove("aud");
            signed(&claims)
        }),
        (
            "expired",
            signed(&with(json!({"iat": now - 7200, "exp": now - 3600}))),
        ),
        ("not yet valid", signed(&with(json!({"nbf": now + 3600})))),
        (
            "azp of no application",
            signed(&with(json!({"azp": "not-an-application"}))),
        ),
        ("no azp", {
            let mut claims = claims.clone();
            claims.as_object_mut().unwrap().remove("azp");
            signed(&claims)
        }),
        (
            "unknown kid",
            harness
                .emulator
                .sign_token_with_header(&claims, "RS256", Some("no-such-key")),
        ),
    ];
    for (what, token) in &cases {
        assert_refused(what, get().bearer_auth(token), true).await;
    }
    // A tampered payload under a valid signature.
    let valid = signed(&claims);
    let mut parts: Vec<&str> = valid.split('.').collect();
    let forged_payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(with(json!({"azp": "someone-else"})).to_string());
    parts[1] = &forged_payload;
    assert_refused("tampered payload", get().bearer_auth(parts.join(".")), true).await;

    assert_eq!(
        harness.upstream.hits(),
        0,
        "a refused request reached the upstream"
    );

    // The same signing path with valid claims does get through, so the refusals above are
    // about what was spoiled.
    seen(get().bearer_auth(&valid).send().await.unwrap()).await;
    assert_eq!(harness.upstream.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_in_authorization_is_a_401() {
    let harness = Harness::start().await;
    let value = reqwest::header::HeaderValue::from_bytes(b"Basic \xff\xfe:\xfd").unwrap();
    assert_refused(
        "invalid UTF-8",
        harness
            .http
            .get(harness.url("/echo"))
            .header("authorization", value),
        true,
    )
    .await;
    assert_eq!(harness.upstream.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_kid_causes_one_key_set_refetch_not_one_per_request() {
    let harness = Harness::start().await;
    // A valid token first, so that the key set is certainly loaded.
    let token = harness.emulator.sign_token(&harness.claims());
    seen(harness.get_bearer("/echo", &token).await).await;
    let fetches_before = harness
        .emulator
        .request_count("GET", "/.well-known/jwks.json");

    let forged =
        harness
            .emulator
            .sign_token_with_header(&harness.claims(), "RS256", Some("forged-kid"));
    let mut requests = Vec::new();
    for _ in 0..30 {
        requests.push(harness.get_bearer("/echo", &forged));
    }
    for response in futures::future::join_all(requests).await {
        assert_eq!(response.status(), 401);
    }
    for _ in 0..10 {
        assert_eq!(harness.get_bearer("/echo", &forged).await.status(), 401);
    }
    let refetches = harness
        .emulator
        .request_count("GET", "/.well-known/jwks.json")
        - fetches_before;
    assert_eq!(refetches, 1, "40 requests with an unknown kid");
    assert_eq!(harness.upstream.hits(), 1);
    // Valid tokens are unaffected.
    tokio::time::sleep(Duration::from_millis(10)).await;
    seen(harness.get_bearer("/echo", &token).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_token_is_refused_once_it_expires() {
    let config = GatewayConfig {
        leeway: Duration::ZERO,
        ..test_config()
    };
    let harness = Harness::start_with(config, Seed::default()).await;
    let mut claims = harness.claims();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    claims["exp"] = json!(now + 2);
    let token = harness.emulator.sign_token(&claims);
    seen(harness.get_bearer("/echo", &token).await).await;
    seen(harness.get_bearer("/echo", &token).await).await;
    // `exp` has whole seconds: past it for certain.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    problem(harness.get_bearer("/echo", &token).await, 401).await;
    assert_eq!(harness.upstream.hits(), 2);
}
