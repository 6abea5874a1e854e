//! Stopping and restarting on the same port, key rotation, and hand-signed tokens.

use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{
    create_client, emulator, http, json_body, management_token, management_url, verify_with_jwks,
};

#[tokio::test]
async fn a_restarted_tenant_keeps_its_port_state_and_keys() {
    let mut emulator = Auth0Emulator::start(EmulatorConfig::default()).await;
    let base_url = emulator.base_url();
    let token = management_token(&emulator).await;
    let created = create_client(&emulator, &token, json!({ "name": "Survivor" })).await;
    let url = management_url(
        &emulator,
        &format!("/clients/{}", created["client_id"].as_str().unwrap()),
    );

    emulator.stop().await;
    assert!(!emulator.is_running());
    let refused = http().get(&url).bearer_auth(&token).send().await;
    assert!(refused.is_err(), "a stopped tenant refuses connections");

    emulator.restart().await;
    assert!(emulator.is_running());
    assert_eq!(emulator.base_url(), base_url);
    let response = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the old token and the client survived"
    );
    assert_eq!(json_body(response).await["name"], "Survivor");

    emulator.shutdown().await;
    assert!(http().get(&url).send().await.is_err());
}

#[tokio::test]
async fn rotating_the_signing_key_keeps_or_drops_old_tokens() {
    let emulator = emulator().await;
    let url = management_url(&emulator, "/client-grants");
    let old_token = management_token(&emulator).await;
    let old_kid = jsonwebtoken::decode_header(&old_token)
        .unwrap()
        .kid
        .unwrap();

    emulator.rotate_signing_key(true);
    let keys = emulator.jwks()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[1]["kid"], old_kid.as_str());
    assert_eq!(
        http()
            .get(&url)
            .bearer_auth(&old_token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let new_token = management_token(&emulator).await;
    let (header, _) = verify_with_jwks(&emulator, &new_token, &emulator.management_audience());
    assert_ne!(header.kid.unwrap(), old_kid);

    emulator.rotate_signing_key(false);
    assert_eq!(emulator.jwks()["keys"].as_array().unwrap().len(), 1);
    let rejected = http()
        .get(&url)
        .bearer_auth(&old_token)
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json_body(rejected).await["message"], "Invalid token");
}

#[tokio::test]
async fn hand_signed_tokens_are_judged_like_any_other() {
    let emulator = emulator().await;
    let url = management_url(&emulator, "/client-grants");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": emulator.issuer(), "sub": "forged@clients", "aud": emulator.management_audience(),
        "iat": now, "exp": now + 600, "scope": "read:client_grants", "gty": "client-credentials"
    });

    let signed = emulator.sign_token(&claims);
    assert_eq!(
        http()
            .get(&url)
            .bearer_auth(&signed)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let kid = emulator.jwks()["keys"][0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    for (algorithm, kid) in [
        ("HS256", Some(kid.as_str())),
        ("none", None),
        ("RS256", Some("unknown-kid")),
    ] {
        let forged = emulator.sign_token_with_header(&claims, algorithm, kid);
        let response = http().get(&url).bearer_auth(&forged).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{algorithm} token accepted"
        );
        assert_eq!(json_body(response).await["message"], "Invalid token");
    }

    let mut wrong_audience = claims.clone();
    wrong_audience["aud"] = json!(["https://api.portico.test", "https://other.test"]);
    let response = http()
        .get(&url)
        .bearer_auth(emulator.sign_token(&wrong_audience))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_body(response).await["message"],
        "Bad audience: https://api.portico.test https://other.test"
    );
}
