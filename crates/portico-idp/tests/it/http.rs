//! The outbound HTTP client.

use portico_core::ports::DcrProvider;
use portico_idp::{Auth0Provider, RetryPolicy};

use crate::support::{canned_server, client, settings};

const REDIRECT: &str = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

#[tokio::test]
async fn redirects_are_not_followed() {
    let base = canned_server(REDIRECT).await;
    let response = client().get(format!("{base}/start")).send().await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        "http://127.0.0.1:9/elsewhere"
    );

    // A redirecting issuer is reported, not followed.
    let provider = Auth0Provider::new(
        client(),
        settings(&base, ("id".to_owned(), "secret".to_owned())),
        RetryPolicy::fast(),
    );
    assert_eq!(
        provider.verify().await.errors,
        [format!(
            "could not read the issuer's discovery document at {base}/.well-known/openid-configuration: it answered 302 Found; check the Issuer URL"
        )]
    );
}
