//! An upstream that cannot be reached is a 502; one that does not answer in time is a 504.

use std::time::{Duration, Instant};

use portico_core::id::ApiId;
use portico_core::model::{Api, Route};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_502_and_a_slow_one_504() {
    let harness = Harness::start().await;

    // A port nothing listens on: bound, then released.
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let now = now();
    let dead = Api {
        id: ApiId::new(),
        name: "Dead".into(),
        slug: "dead".into(),
        description: String::new(),
        version: "1".into(),
        upstream_url: url::Url::parse(&format!("http://127.0.0.1:{closed_port}/")).unwrap(),
        routes: vec![Route {
            paths: vec!["/dead".into()],
            methods: vec![],
            strip_path: true,
        }],
        auth_strategy_id: Some(harness.strategy.id),
        published: true,
        created_at: now,
        updated_at: now,
    };
    harness.store.insert_api(&dead).await.unwrap();
    register(&*harness.store, harness.application.id, dead.id).await;
    // An `https://` upstream that speaks plain HTTP: the TLS handshake fails.
    let not_tls = Api {
        id: ApiId::new(),
        name: "Not TLS".into(),
        slug: "not-tls".into(),
        upstream_url: url::Url::parse(&format!("https://{}/", harness.upstream.address)).unwrap(),
        routes: vec![Route {
            paths: vec!["/not-tls".into()],
            methods: vec![],
            strip_path: true,
        }],
        ..dead.clone()
    };
    harness.store.insert_api(&not_tls).await.unwrap();
    register(&*harness.store, harness.application.id, not_tls.id).await;
    harness.wait_for_refresh().await;

    let response = harness
        .get_literal_basic("/dead/x", &harness.client_id, &harness.client_secret)
        .await;
    let body = problem(response, 502).await;
    assert_eq!(body["title"], "Bad Gateway");
    let response = harness
        .get_literal_basic("/not-tls/x", &harness.client_id, &harness.client_secret)
        .await;
    problem(response, 502).await;
    assert_eq!(
        harness.upstream.hits(),
        0,
        "the TLS handshake never became a request"
    );

    let started = Instant::now();
    let response = harness
        .get_literal_basic("/echo/slow", &harness.client_id, &harness.client_secret)
        .await;
    problem(response, 504).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_millis(3900),
        "the read timeout is 1.5 s, the upstream sleeps 4 s: took {took:?}"
    );

    // The gateway carries on.
    seen(
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await,
    )
    .await;
}
