//! `/api/v2/client-grants` and its effect on `/oauth/token`.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{
    create_client, emulator, http, json_body, management_token, management_url, request_token,
    verify_with_jwks,
};

#[tokio::test]
async fn a_created_client_and_grant_yield_tokens_and_duplicates_conflict() {
    let emulator = emulator().await;
    let token = management_token(&emulator).await;
    let audience = emulator.api_audience();
    let client = create_client(
        &emulator,
        &token,
        json!({ "name": "App", "app_type": "non_interactive", "grant_types": ["client_credentials"] }),
    )
    .await;
    let client_id = client["client_id"].as_str().unwrap();
    let secret = client["client_secret"].as_str().unwrap();

    let before_grant = request_token(&emulator, client_id, secret, &audience).await;
    assert_eq!(before_grant.status(), StatusCode::FORBIDDEN);

    let post_grant = |body: Value| {
        http()
            .post(management_url(&emulator, "/client-grants"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let created = post_grant(
        json!({ "client_id": client_id, "audience": audience, "scope": ["read:forecast"] }),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let grant = json_body(created).await;
    let grant_id = grant["id"].as_str().unwrap();
    assert!(
        grant_id.starts_with("cgr_") && grant_id.len() == 20,
        "{grant_id}"
    );
    assert!(grant_id[4..]
        .chars()
        .all(|character| character.is_ascii_alphanumeric()));
    assert_eq!(
        grant,
        json!({ "id": grant_id, "client_id": client_id, "audience": audience, "scope": ["read:forecast"] })
    );

    let issued = json_body(request_token(&emulator, client_id, secret, &audience).await).await;
    let (_, claims) = verify_with_jwks(
        &emulator,
        issued["access_token"].as_str().unwrap(),
        &audience,
    );
    assert_eq!(claims["scope"], "read:forecast");

    let duplicate =
        post_grant(json!({ "client_id": client_id, "audience": audience, "scope": [] }))
            .await
            .unwrap();
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    let conflict = json_body(duplicate).await;
    assert_eq!(conflict["statusCode"], 409);
    assert_eq!(conflict["error"], "Conflict");

    let unknown_client =
        post_grant(json!({ "client_id": "nope", "audience": audience, "scope": [] }))
            .await
            .unwrap();
    assert_eq!(unknown_client.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        json_body(unknown_client).await["message"],
        "Client not found"
    );

    let unknown_api =
        post_grant(json!({ "client_id": client_id, "audience": "https://nope.test", "scope": [] }))
            .await
            .unwrap();
    assert_eq!(unknown_api.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        json_body(unknown_api).await["message"],
        "No resource with identifier https://nope.test"
    );

    let missing_audience = post_grant(json!({ "client_id": client_id, "scope": [] }))
        .await
        .unwrap();
    assert_eq!(missing_audience.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(missing_audience).await["message"],
        "Payload validation error: 'Missing required property: audience'."
    );
    let scope_not_array =
        post_grant(json!({ "client_id": client_id, "audience": audience, "scope": "read:a" }))
            .await
            .unwrap();
    assert_eq!(scope_not_array.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(scope_not_array).await["errorCode"],
        "invalid_body"
    );
    assert_eq!(emulator.client_grants().len(), 1);
}

#[tokio::test]
async fn grants_can_be_listed_read_narrowed_and_deleted() {
    let emulator = emulator().await;
    let token = management_token(&emulator).await;
    let audience = emulator.api_audience();
    let (client_id, secret) = crate::support::create_m2m_client_with_grant(
        &emulator,
        &token,
        &audience,
        &["read:a", "write:a"],
    )
    .await;
    let get = |query: String| {
        http()
            .get(management_url(&emulator, &format!("/client-grants{query}")))
            .bearer_auth(&token)
            .send()
    };

    let listed = json_body(
        get(format!("?client_id={client_id}&include_totals=true"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["start"], 0);
    assert_eq!(listed["limit"], 50);
    let grant_id = listed["client_grants"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The two seeded management grants plus ours, walked with checkpoint paging.
    let first_page = json_body(get("?take=2".to_owned()).await.unwrap()).await;
    assert_eq!(first_page["client_grants"].as_array().unwrap().len(), 2);
    let next = first_page["next"].as_str().unwrap();
    let last_page = json_body(get(format!("?take=2&from={next}")).await.unwrap()).await;
    assert_eq!(
        last_page["client_grants"][0]["id"],
        Value::from(grant_id.clone())
    );
    assert!(last_page.get("next").is_none());

    let by_audience = json_body(
        get(format!("?audience={}", emulator.management_audience()))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(by_audience.as_array().unwrap().len(), 2);

    let url = management_url(&emulator, &format!("/client-grants/{grant_id}"));
    let fetched = json_body(http().get(&url).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!(fetched["scope"], json!(["read:a", "write:a"]));

    let patched = http()
        .patch(&url)
        .bearer_auth(&token)
        .json(&json!({ "scope": ["read:a"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(json_body(patched).await["scope"], json!(["read:a"]));
    let narrowed = json_body(request_token(&emulator, &client_id, &secret, &audience).await).await;
    assert_eq!(narrowed["scope"], "read:a");

    let move_audience = http()
        .patch(&url)
        .bearer_auth(&token)
        .json(&json!({ "audience": "https://elsewhere.test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(move_audience.status(), StatusCode::BAD_REQUEST);

    for attempt in ["first", "repeat"] {
        let deleted = http()
            .delete(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT, "{attempt} delete");
    }
    let after_delete = request_token(&emulator, &client_id, &secret, &audience).await;
    assert_eq!(
        after_delete.status(),
        StatusCode::FORBIDDEN,
        "no grant, no token"
    );

    let gone = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        json_body(gone).await,
        json!({
            "statusCode": 404, "error": "Not Found",
            "message": "The grant does not exist.", "errorCode": "inexistent_client_grant"
        })
    );
    let patch_gone = http()
        .patch(&url)
        .bearer_auth(&token)
        .json(&json!({ "scope": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(patch_gone.status(), StatusCode::NOT_FOUND);
}
