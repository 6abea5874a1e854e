//! `POST /oauth/token`: successful issuance in every encoding, and every documented refusal.

use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{
    content_type, emulator, http, json_body, request_token, token_url, verify_with_jwks,
};

#[tokio::test]
async fn a_form_post_issues_a_token_with_exactly_auth0s_claims() {
    let emulator = emulator().await;
    let audience = emulator.api_audience();
    let (client_id, client_secret) = emulator.add_machine_to_machine_client(
        "Weather app",
        &audience,
        &["read:forecast", "write:forecast"],
    );

    let response = request_token(&emulator, &client_id, &client_secret, &audience).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(&response), "application/json; charset=utf-8");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = json_body(response).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert_eq!(body["scope"], "read:forecast write:forecast");

    let token = body["access_token"].as_str().unwrap();
    let (header, claims) = verify_with_jwks(&emulator, token, &audience);
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(claims["iss"], format!("{}/", emulator.base_url()));
    assert_eq!(claims["sub"], format!("{client_id}@clients"));
    assert_eq!(
        claims["aud"],
        Value::from(audience.clone()),
        "aud is a plain string"
    );
    assert_eq!(claims["azp"], Value::from(client_id.clone()));
    assert_eq!(claims["gty"], "client-credentials");
    assert_eq!(claims["scope"], "read:forecast write:forecast");
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 86_400);
    let mut claim_names: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    claim_names.sort_unstable();
    assert_eq!(
        claim_names,
        ["aud", "azp", "exp", "gty", "iat", "iss", "scope", "sub"]
    );
}

#[tokio::test]
async fn json_bodies_and_basic_authentication_are_accepted_unless_strict() {
    let emulator = emulator().await;
    let audience = emulator.api_audience();
    let (client_id, client_secret) =
        emulator.add_machine_to_machine_client("App", &audience, &["read:a"]);

    let json_response = http()
        .post(token_url(&emulator))
        .json(&json!({
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "audience": audience
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(json_response.status(), StatusCode::OK);

    let basic_response = http()
        .post(token_url(&emulator))
        .basic_auth(&client_id, Some(&client_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", audience.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(basic_response.status(), StatusCode::OK);
    let basic_request = emulator.requests().pop().unwrap();
    assert_eq!(basic_request.authorization_scheme.as_deref(), Some("Basic"));

    let strict = Auth0Emulator::start(EmulatorConfig {
        strict_auth_method: true,
        ..EmulatorConfig::default()
    })
    .await;
    let (client_id, client_secret) =
        strict.add_machine_to_machine_client("App", &audience, &["read:a"]);
    let refused = http()
        .post(token_url(&strict))
        .basic_auth(&client_id, Some(&client_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", audience.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::UNAUTHORIZED,
        "a client_secret_post client may not use Basic"
    );
    assert_eq!(
        request_token(&strict, &client_id, &client_secret, &audience)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_credential_failure_is_401_access_denied() {
    let emulator = emulator().await;
    let audience = emulator.api_audience();
    let (client_id, client_secret) = emulator.add_machine_to_machine_client("App", &audience, &[]);
    let expected = json!({ "error": "access_denied", "error_description": "Unauthorized" });

    let unknown_client =
        request_token(&emulator, "unknownclientid", &client_secret, &audience).await;
    let wrong_secret = request_token(
        &emulator,
        &client_id,
        &format!("{client_secret}x"),
        &audience,
    )
    .await;
    let bad_basic = http()
        .post(token_url(&emulator))
        .header("authorization", "Basic !!!not-base64")
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", audience.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let missing_secret = http()
        .post(token_url(&emulator))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("audience", audience.as_str()),
        ])
        .send()
        .await
        .unwrap();
    for response in [unknown_client, wrong_secret, bad_basic, missing_secret] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(json_body(response).await, expected);
    }
}

#[tokio::test]
async fn permission_failures_are_403_with_auth0s_descriptions() {
    let emulator = emulator().await;
    let audience = emulator.api_audience();
    let (client_id, client_secret) =
        emulator.add_machine_to_machine_client("App", &audience, &["read:a", "read:b"]);

    let no_audience = http()
        .post(token_url(&emulator))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(no_audience.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_body(no_audience).await,
        json!({
            "error": "access_denied",
            "error_description": "No audience parameter was provided, and no default audience has been configured"
        })
    );

    let unknown_audience = request_token(
        &emulator,
        &client_id,
        &client_secret,
        "https://nowhere.test",
    )
    .await;
    assert_eq!(unknown_audience.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_body(unknown_audience).await["error_description"],
        "Service not enabled within domain: https://nowhere.test"
    );

    emulator.add_resource_server("https://other.test", &["x"], 3600);
    let no_grant = request_token(&emulator, &client_id, &client_secret, "https://other.test").await;
    assert_eq!(no_grant.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_body(no_grant).await,
        json!({
            "error": "access_denied",
            "error_description": "Client is not authorized to access \"https://other.test\". You need to create a \"client-grant\" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"
        })
    );

    let scope_request = |scope: &'static str| {
        http()
            .post(token_url(&emulator))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id.as_str()),
                ("client_secret", client_secret.as_str()),
                ("audience", audience.as_str()),
                ("scope", scope),
            ])
            .send()
    };
    let too_much = scope_request("read:a write:c delete:d").await.unwrap();
    assert_eq!(too_much.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_body(too_much).await,
        json!({ "error": "access_denied", "error_description": "Client has not been granted scopes: write:c delete:d" })
    );
    let subset = scope_request("read:b").await.unwrap();
    assert_eq!(subset.status(), StatusCode::OK);
    assert_eq!(json_body(subset).await["scope"], "read:b");
}

#[tokio::test]
async fn a_client_without_the_client_credentials_grant_type_is_403_unauthorized_client() {
    let emulator = emulator().await;
    let token = crate::support::management_token(&emulator).await;
    let client = crate::support::create_client(
        &emulator,
        &token,
        json!({ "name": "Web app", "app_type": "regular_web", "grant_types": ["authorization_code"] }),
    )
    .await;
    let client_id = client["client_id"].as_str().unwrap();
    let grant = http()
        .post(crate::support::management_url(&emulator, "/client-grants"))
        .bearer_auth(&token)
        .json(&json!({ "client_id": client_id, "audience": emulator.api_audience(), "scope": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(grant.status(), StatusCode::CREATED);

    let response = request_token(
        &emulator,
        client_id,
        client["client_secret"].as_str().unwrap(),
        &emulator.api_audience(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_body(response).await,
        json!({
            "error": "unauthorized_client",
            "error_description": "Grant type 'client_credentials' not allowed for the client.",
            "error_uri": "https://auth0.com/docs/clients/client-grant-types"
        })
    );
}

#[tokio::test]
async fn malformed_requests_are_400() {
    let emulator = emulator().await;
    let missing_grant_type = http()
        .post(token_url(&emulator))
        .form(&[("client_id", "a"), ("client_secret", "b")])
        .send()
        .await
        .unwrap();
    assert_eq!(missing_grant_type.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(missing_grant_type).await["error"],
        "invalid_request"
    );

    let password_grant = http()
        .post(token_url(&emulator))
        .form(&[("grant_type", "password"), ("client_id", "a")])
        .send()
        .await
        .unwrap();
    assert_eq!(password_grant.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(password_grant).await["error"],
        "unsupported_grant_type"
    );

    let broken_json = http()
        .post(token_url(&emulator))
        .header("content-type", "application/json")
        .body("{\"grant_type\":")
        .send()
        .await
        .unwrap();
    assert_eq!(broken_json.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(broken_json).await,
        json!({ "statusCode": 400, "error": "Bad Request", "message": "Invalid request payload JSON format" })
    );
}

#[tokio::test]
async fn the_apis_token_lifetime_sets_expires_in_and_empty_grants_omit_scope() {
    let emulator = emulator().await;
    emulator.add_resource_server("https://short.test", &[], 7200);
    let (client_id, client_secret) =
        emulator.add_machine_to_machine_client("App", "https://short.test", &[]);
    let response = request_token(&emulator, &client_id, &client_secret, "https://short.test").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_body(response).await;
    assert_eq!(body["expires_in"], 7200);
    assert!(
        body.get("scope").is_none(),
        "no scope field for an empty grant: {body}"
    );
    let (_, claims) = verify_with_jwks(
        &emulator,
        body["access_token"].as_str().unwrap(),
        "https://short.test",
    );
    assert!(claims.get("scope").is_none());
    assert!(claims.get("permissions").is_none());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        7200
    );

    emulator.enable_permissions_claim(&emulator.api_audience());
    let (client_id, client_secret) =
        emulator.add_machine_to_machine_client("RBAC app", &emulator.api_audience(), &["read:a"]);
    let body = json_body(
        request_token(
            &emulator,
            &client_id,
            &client_secret,
            &emulator.api_audience(),
        )
        .await,
    )
    .await;
    let (_, claims) = verify_with_jwks(
        &emulator,
        body["access_token"].as_str().unwrap(),
        &emulator.api_audience(),
    );
    assert_eq!(claims["permissions"], json!(["read:a"]));
}
