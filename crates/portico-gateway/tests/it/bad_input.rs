//! Malformed requests sent over a raw TCP connection: each gets a 4xx, nothing crashes or
//! hangs, and the next request is served normally.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

/// Sends raw bytes and returns everything the gateway answers until it closes the
/// connection or goes quiet for a moment; panics if it answers nothing within 5 s.
async fn raw(address: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    // The gateway may close the connection before reading everything it was sent.
    let _ = stream.write_all(request).await;
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let quiet = if received.is_empty() {
            deadline - tokio::time::Instant::now()
        } else {
            Duration::from_millis(300)
        };
        match tokio::time::timeout(quiet, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
            Err(_) if received.is_empty() => panic!(
                "the gateway hung on {:?}",
                String::from_utf8_lossy(&request[..request.len().min(80)])
            ),
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&received).into_owned()
}

fn status_of(response: &str) -> u16 {
    response
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
}

async fn assert_still_serving(harness: &Harness) {
    seen(
        harness
            .get_literal_basic("/echo", &harness.client_id, &harness.client_secret)
            .await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_a_4xx_and_the_gateway_carries_on() {
    let harness = Harness::start().await;
    let credentials = format!("{}:{}", harness.client_id, harness.client_secret);
    assert_still_serving(&harness).await;
    let hits_before = harness.upstream.hits();
    let assert_not_proxied = |what: &str| {
        assert_eq!(
            harness.upstream.hits(),
            hits_before,
            "{what} reached the upstream"
        );
    };

    let oversized_headers = format!(
        "GET /echo HTTP/1.1\r\nHost: gw\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    assert_eq!(
        status_of(&raw(harness.proxy, oversized_headers.as_bytes()).await),
        431
    );
    assert_not_proxied("oversized headers");

    let long_request_line = format!(
        "GET /echo/{} HTTP/1.1\r\nHost: gw\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let status = status_of(&raw(harness.proxy, long_request_line.as_bytes()).await);
    assert!(
        (400..500).contains(&status),
        "64 KiB request line: {status}"
    );
    assert_not_proxied("a long request line");

    let invalid_utf8 =
        b"GET /echo HTTP/1.1\r\nHost: gw\r\nAuthorization: Basic \xff\xfe:\xc3\x28\r\n\r\n";
    let response = raw(harness.proxy, invalid_utf8).await;
    assert_eq!(status_of(&response), 401);
    assert!(response.contains("application/problem+json"));
    assert_not_proxied("invalid UTF-8");

    let bad_length = format!(
        "POST /echo HTTP/1.1\r\nHost: gw\r\nAuthorization: Basic {credentials}\r\nContent-Length: abc\r\n\r\nhello"
    );
    assert_eq!(
        status_of(&raw(harness.proxy, bad_length.as_bytes()).await),
        400
    );
    let conflicting_lengths = format!(
        "POST /echo HTTP/1.1\r\nHost: gw\r\nAuthorization: Basic {credentials}\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello"
    );
    assert_eq!(
        status_of(&raw(harness.proxy, conflicting_lengths.as_bytes()).await),
        400
    );
    assert_not_proxied("a bad Content-Length");
    assert_still_serving(&harness).await;

    // Fewer bytes than announced, then silence: the body times out with 408.
    let short_body = format!(
        "POST /echo HTTP/1.1\r\nHost: gw\r\nAuthorization: Basic {credentials}\r\nContent-Length: 100\r\n\r\nonly ten b"
    );
    assert_eq!(
        status_of(&raw(harness.proxy, short_body.as_bytes()).await),
        408
    );
    assert_still_serving(&harness).await;

    // More bytes than announced: the rest is read as a next request, which is malformed.
    let long_body = format!(
        "POST /echo HTTP/1.1\r\nHost: gw\r\nAuthorization: Basic {credentials}\r\nContent-Length: 5\r\n\r\nhello, and more\r\n\r\n"
    );
    let response = raw(harness.proxy, long_body.as_bytes()).await;
    assert_eq!(status_of(&response), 200);
    assert!(response.contains("\"body_len\":5"), "{response}");
    assert!(response.contains("HTTP/1.1 400"), "{response}");
    assert_still_serving(&harness).await;

    let hits_before = harness.upstream.hits();
    let dot_segments = format!(
        "GET /echo/../admin HTTP/1.1\r\nHost: gw\r\nAuthorization: Basic {credentials}\r\n\r\n"
    );
    assert_eq!(
        status_of(&raw(harness.proxy, dot_segments.as_bytes()).await),
        400
    );
    let encoded_dot_segments = format!(
        "GET /echo/%2E%2e/admin HTTP/1.1\r\nHost: gw\r\nAuthorization: Basic {credentials}\r\n\r\n"
    );
    assert_eq!(
        status_of(&raw(harness.proxy, encoded_dot_segments.as_bytes()).await),
        400
    );
    let binary_path = b"GET /echo/\xff\x00 HTTP/1.1\r\nHost: gw\r\n\r\n";
    assert_eq!(status_of(&raw(harness.proxy, binary_path).await), 400);
    let garbage = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n";
    let response = raw(harness.proxy, garbage).await;
    assert!(response.is_empty() || status_of(&response) == 400);

    assert_eq!(
        harness.upstream.hits(),
        hits_before,
        "a malformed request reached the upstream"
    );
    assert_still_serving(&harness).await;
}
