//! Management API authentication (401/400) and scope checks (403).

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{access_token, emulator, http, json_body, management_token, management_url};

#[tokio::test]
async fn every_authentication_failure_has_auth0s_status_and_body() {
    let emulator = emulator().await;
    let url = management_url(&emulator, "/clients");

    let missing = http().get(&url).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert!(
        missing.headers().contains_key("x-ratelimit-remaining"),
        "401s carry rate-limit headers"
    );
    assert_eq!(
        json_body(missing).await,
        json!({
            "statusCode": 401, "error": "Unauthorized", "message": "Missing authentication",
            "attributes": { "error": "Missing authentication" }
        })
    );

    let garbage = http()
        .get(&url)
        .bearer_auth("not.a.jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json_body(garbage).await["message"], "Invalid token");

    let malformed = http()
        .get(&url)
        .header("authorization", "Bearer two tokens")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(malformed).await,
        json!({ "statusCode": 400, "error": "Bad Request", "message": "Bad HTTP authentication header format" })
    );

    let audience = emulator.api_audience();
    let credentials = emulator.add_machine_to_machine_client("App", &audience, &["read:clients"]);
    let custom_api_token = access_token(&emulator, &credentials, &audience).await;
    let wrong_audience = http()
        .get(&url)
        .bearer_auth(custom_api_token)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_audience.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        json_body(wrong_audience).await["message"],
        format!("Bad audience: {audience}")
    );

    let token = management_token(&emulator).await;
    emulator.set_clock_offset(86_400);
    let expired = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        json_body(expired).await,
        json!({
            "statusCode": 401,
            "error": "Unauthorized",
            "message": "Expired token received for JSON Web Token validation",
            "attributes": { "error": "Expired token received for JSON Web Token validation" }
        })
    );
    // A minute short of expiry: seconds that pass while the test runs must not tip it over.
    emulator.set_clock_offset(86_340);
    let still_valid = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(still_valid.status(), StatusCode::OK);
}

#[tokio::test]
async fn missing_scopes_are_403_and_checked_before_existence() {
    let emulator = emulator().await;
    let reader = emulator.add_management_client(&["read:clients"]);
    let reader_token = access_token(&emulator, &reader, &emulator.management_audience()).await;

    let create = http()
        .post(management_url(&emulator, "/clients"))
        .bearer_auth(&reader_token)
        .json(&json!({ "name": "App" }))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_body(create).await,
        json!({
            "statusCode": 403,
            "error": "Forbidden",
            "message": "Insufficient scope, expected any of: create:clients",
            "errorCode": "insufficient_scope"
        })
    );

    // An unknown grant id must still be a 403 for a caller without the read scope.
    let unknown_grant = http()
        .get(management_url(
            &emulator,
            "/client-grants/cgr_doesnotexist0000",
        ))
        .bearer_auth(&reader_token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_grant.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_body(unknown_grant).await["message"],
        "Insufficient scope, expected any of: read:client_grants"
    );

    let updater = emulator.add_management_client(&["update:clients"]);
    let updater_token = access_token(&emulator, &updater, &emulator.management_audience()).await;
    let rotate = http()
        .post(management_url(&emulator, "/clients/unknown/rotate-secret"))
        .bearer_auth(&updater_token)
        .send()
        .await
        .unwrap();
    assert_eq!(rotate.status(), StatusCode::FORBIDDEN);
    let set_secret = http()
        .patch(management_url(&emulator, "/clients/unknown"))
        .bearer_auth(&updater_token)
        .json(&json!({ "client_secret": "chosen" }))
        .send()
        .await
        .unwrap();
    assert_eq!(set_secret.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_body(set_secret).await["message"],
        "Insufficient scope, expected any of: update:client_keys"
    );

    // Portico's own credentials hold exactly the nine scopes.
    let token = management_token(&emulator).await;
    let (_, claims) =
        crate::support::verify_with_jwks(&emulator, &token, &emulator.management_audience());
    let mut scopes: Vec<&str> = claims["scope"].as_str().unwrap().split(' ').collect();
    scopes.sort_unstable();
    let mut expected = portico_testkit::auth0::PORTICO_MANAGEMENT_SCOPES.to_vec();
    expected.sort_unstable();
    assert_eq!(scopes, expected);
}
