//! Discovery and JWKS documents.

use reqwest::StatusCode;

use crate::support::{content_type, emulator, http, json_body};

#[tokio::test]
async fn discovery_and_jwks_describe_the_tenant() {
    let emulator = emulator().await;
    let base = emulator.base_url();
    assert!(!base.ends_with('/'));
    assert_eq!(emulator.issuer(), format!("{base}/"));
    assert_eq!(emulator.management_audience(), format!("{base}/api/v2/"));

    let discovery = http()
        .get(format!("{base}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.status(), StatusCode::OK);
    let discovery = json_body(discovery).await;
    assert_eq!(discovery["issuer"], format!("{base}/"));
    assert_eq!(discovery["token_endpoint"], format!("{base}/oauth/token"));
    assert_eq!(
        discovery["jwks_uri"],
        format!("{base}/.well-known/jwks.json")
    );
    let methods = discovery["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    for method in [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ] {
        assert!(
            methods.iter().any(|supported| supported == method),
            "{method} missing"
        );
    }
    assert!(discovery["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .iter()
        .any(|algorithm| algorithm == "RS256"));

    let jwks = http()
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(content_type(&jwks), "application/json; charset=utf-8");
    let jwks = json_body(jwks).await;
    assert_eq!(jwks, emulator.jwks());
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["e"], "AQAB");
    assert!(!key["kid"].as_str().unwrap().is_empty());
    // A 2048-bit modulus is 256 bytes, 342 characters of unpadded base64url.
    assert_eq!(key["n"].as_str().unwrap().len(), 342);
}
