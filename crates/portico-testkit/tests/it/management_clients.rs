//! `/api/v2/clients`: create, read, list, update, rotate, delete.

use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{
    content_type, create_client, create_m2m_client_with_grant, emulator, full_management_token,
    http, json_body, management_token, management_url, request_token,
};

#[tokio::test]
async fn creating_a_client_returns_the_full_object_with_auth0s_defaults() {
    let emulator = emulator().await;
    let token = management_token(&emulator).await;
    let response = http()
        .post(management_url(&emulator, "/clients"))
        .bearer_auth(&token)
        .json(&json!({
            "name": "Weather app",
            "app_type": "non_interactive",
            "client_metadata": { "portico_app_id": "app_123" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(content_type(&response), "application/json; charset=utf-8");
    let client = json_body(response).await;

    let client_id = client["client_id"].as_str().unwrap();
    assert_eq!(client_id.len(), 32);
    assert!(client_id
        .chars()
        .all(|character| character.is_ascii_alphanumeric()));
    let secret = client["client_secret"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    assert!(secret
        .chars()
        .all(|character| character.is_ascii_alphanumeric() || "-_".contains(character)));

    assert_eq!(client["name"], "Weather app");
    assert_eq!(client["app_type"], "non_interactive");
    assert_eq!(
        client["client_metadata"],
        json!({ "portico_app_id": "app_123" })
    );
    assert_eq!(
        client["grant_types"],
        json!([
            "authorization_code",
            "implicit",
            "refresh_token",
            "client_credentials"
        ])
    );
    assert_eq!(client["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(client["is_first_party"], true);
    assert_eq!(client["oidc_conformant"], false);
    assert_eq!(
        client["jwt_configuration"],
        json!({ "secret_encoded": false, "lifetime_in_seconds": 36000 })
    );
    for unset in ["callbacks", "description", "allowed_origins", "logo_uri"] {
        assert!(
            client.get(unset).is_none(),
            "{unset} should be left out, not null"
        );
    }
    assert_eq!(emulator.client(client_id).unwrap()["client_secret"], secret);
    assert_eq!(
        emulator.clients().len(),
        1,
        "management clients are not listed by clients()"
    );
}

#[tokio::test]
async fn invalid_client_payloads_are_refused_with_auth0s_messages() {
    let emulator = emulator().await;
    let token = management_token(&emulator).await;
    let post = |body: String| {
        http()
            .post(management_url(&emulator, "/clients"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let missing_name = post(json!({ "app_type": "non_interactive" }).to_string())
        .await
        .unwrap();
    assert_eq!(missing_name.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(missing_name).await,
        json!({
            "statusCode": 400,
            "error": "Bad Request",
            "message": "Payload validation error: 'Missing required property: name'.",
            "errorCode": "invalid_body"
        })
    );

    let many_keys: serde_json::Map<String, Value> = (0..11)
        .map(|index| (format!("key{index}"), Value::from("v")))
        .collect();
    let cases = [
        (json!({ "name": "" }), "on property name"),
        (json!({ "name": "<script>" }), "on property name"),
        (
            json!({ "name": "a", "description": "d".repeat(141) }),
            "'String is too long (141 chars), maximum 140' on property description",
        ),
        (
            json!({ "name": "a", "client_metadata": many_keys }),
            "'Too many properties defined (11), maximum 10' on property client_metadata",
        ),
        (
            json!({ "name": "a", "client_metadata": { "n": 1 } }),
            "on property client_metadata.n",
        ),
        (
            json!({ "name": "a", "client_metadata": { "long": "v".repeat(256) } }),
            "maximum 255",
        ),
        (
            json!({ "name": "a", "callbacks": ["https://ok.test/cb", "no scheme"] }),
            "on property callbacks[1]",
        ),
        (
            json!({ "name": "a", "app_type": "robot" }),
            "on property app_type",
        ),
        (
            json!({ "name": "a", "token_endpoint_auth_method": "private_key_jwt" }),
            "on property token_endpoint_auth_method",
        ),
        (
            json!({ "name": "a", "grant_types": ["client_credentials", "magic"] }),
            "on property grant_types[1]",
        ),
    ];
    for (body, expected_fragment) in cases {
        let response = post(body.to_string()).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let error = json_body(response).await;
        assert_eq!(error["errorCode"], "invalid_body");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.starts_with("Payload validation error: '"),
            "{message}"
        );
        assert!(
            message.contains(expected_fragment),
            "{message} lacks {expected_fragment}"
        );
    }

    let not_json = post("{\"name\": ".to_owned()).await.unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(not_json).await,
        json!({ "statusCode": 400, "error": "Bad Request", "message": "Invalid request payload JSON format" })
    );

    let chosen_id = post(json!({ "name": "a", "client_id": "mine" }).to_string())
        .await
        .unwrap();
    assert_eq!(chosen_id.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_body(chosen_id).await["message"],
        "This operation must be authorized by Auth0"
    );
    assert!(
        emulator.clients().is_empty(),
        "no refused payload may create a client"
    );
}

#[tokio::test]
async fn reading_a_client_hides_its_secret_without_read_client_keys() {
    let emulator = emulator().await;
    let token = management_token(&emulator).await;
    let created = create_client(
        &emulator,
        &token,
        json!({ "name": "App", "app_type": "non_interactive" }),
    )
    .await;
    let client_id = created["client_id"].as_str().unwrap();
    let url = management_url(&emulator, &format!("/clients/{client_id}"));

    let without_keys = json_body(http().get(&url).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!(without_keys["client_id"], client_id);
    assert_eq!(without_keys["name"], "App");
    for hidden in ["client_secret", "signing_keys", "encryption_key"] {
        assert!(
            without_keys.get(hidden).is_none(),
            "{hidden} leaked: {without_keys}"
        );
    }

    let full_token = full_management_token(&emulator).await;
    let with_keys = json_body(
        http()
            .get(&url)
            .bearer_auth(&full_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(with_keys["client_secret"], created["client_secret"]);

    let selected = json_body(
        http()
            .get(format!("{url}?fields=client_id,name&include_fields=true"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut names: Vec<&str> = selected
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["client_id", "name", "tenant"]);

    let unknown = http()
        .get(management_url(&emulator, "/clients/doesnotexist"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        json_body(unknown).await,
        json!({
            "statusCode": 404, "error": "Not Found",
            "message": "The client does not exist", "errorCode": "inexistent_client"
        })
    );
}

#[tokio::test]
async fn listing_clients_pages_filters_and_counts() {
    let emulator = emulator().await;
    let token = management_token(&emulator).await;
    for name in ["One", "Two", "Three"] {
        create_client(
            &emulator,
            &token,
            json!({ "name": name, "app_type": "regular_web" }),
        )
        .await;
    }
    let list = |query: &'static str| {
        http()
            .get(management_url(&emulator, &format!("/clients{query}")))
            .bearer_auth(&token)
            .send()
    };

    // Two seeded management clients (non_interactive) plus the three regular_web ones.
    let everything = json_body(list("").await.unwrap()).await;
    assert_eq!(everything.as_array().unwrap().len(), 5);
    assert!(everything
        .as_array()
        .unwrap()
        .iter()
        .all(|client| client.get("client_secret").is_none()));

    let page = json_body(
        list("?app_type=regular_web&include_totals=true&per_page=2&page=1")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["start"], 2);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["clients"].as_array().unwrap().len(), 1);
    assert_eq!(page["clients"][0]["name"], "Three");

    let too_many = list("?per_page=101").await.unwrap();
    assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(too_many).await["errorCode"],
        "invalid_query_string"
    );
}

#[tokio::test]
async fn patching_merges_metadata_replaces_arrays_and_404s_unknown_ids() {
    let emulator = emulator().await;
    let token = management_token(&emulator).await;
    let created = create_client(
        &emulator,
        &token,
        json!({
            "name": "App",
            "callbacks": ["https://a.test/cb", "https://b.test/cb"],
            "client_metadata": { "keep": "1", "drop": "2" }
        }),
    )
    .await;
    let client_id = created["client_id"].as_str().unwrap();
    let url = management_url(&emulator, &format!("/clients/{client_id}"));

    let response = http()
        .patch(&url)
        .bearer_auth(&token)
        .json(&json!({
            "description": "Forecasts",
            "callbacks": ["https://c.test/cb"],
            "client_metadata": { "drop": null, "add": "3" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated = json_body(response).await;
    assert_eq!(updated["description"], "Forecasts");
    assert_eq!(updated["name"], "App");
    assert_eq!(updated["callbacks"], json!(["https://c.test/cb"]));
    assert_eq!(
        updated["client_metadata"],
        json!({ "keep": "1", "add": "3" })
    );
    assert!(updated.get("client_secret").is_none());

    let invalid = http()
        .patch(&url)
        .bearer_auth(&token)
        .json(&json!({ "name": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);

    let unknown = http()
        .patch(management_url(&emulator, "/clients/doesnotexist"))
        .bearer_auth(&token)
        .json(&json!({ "description": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(json_body(unknown).await["errorCode"], "inexistent_client");
}

#[tokio::test]
async fn rotating_the_secret_invalidates_the_old_one_immediately() {
    let emulator = emulator().await;
    let token = management_token(&emulator).await;
    let audience = emulator.api_audience();
    let (client_id, old_secret) =
        create_m2m_client_with_grant(&emulator, &token, &audience, &["read:a"]).await;
    assert_eq!(
        request_token(&emulator, &client_id, &old_secret, &audience)
            .await
            .status(),
        StatusCode::OK
    );

    let response = http()
        .post(management_url(
            &emulator,
            &format!("/clients/{client_id}/rotate-secret"),
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let rotated = json_body(response).await;
    assert_eq!(rotated["client_id"], Value::from(client_id.clone()));
    assert_eq!(rotated["name"], "Weather app");
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_eq!(new_secret.len(), 64);
    assert_ne!(new_secret, old_secret);

    let old = request_token(&emulator, &client_id, &old_secret, &audience).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json_body(old).await["error"], "access_denied");
    assert_eq!(
        request_token(&emulator, &client_id, new_secret, &audience)
            .await
            .status(),
        StatusCode::OK
    );

    let unknown = http()
        .post(management_url(
            &emulator,
            "/clients/doesnotexist/rotate-secret",
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn rotation_grace_and_slow_propagation_follow_the_emulator_clock() {
    let emulator = Auth0Emulator::start(EmulatorConfig {
        rotate_secret_grace: std::time::Duration::from_secs(30),
        secret_propagation_delay: std::time::Duration::from_secs(10),
        ..EmulatorConfig::default()
    })
    .await;
    let token = management_token(&emulator).await;
    let audience = emulator.api_audience();
    let (client_id, old_secret) =
        create_m2m_client_with_grant(&emulator, &token, &audience, &[]).await;
    let rotated = json_body(
        http()
            .post(management_url(
                &emulator,
                &format!("/clients/{client_id}/rotate-secret"),
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let new_secret = rotated["client_secret"].as_str().unwrap();

    assert_eq!(
        request_token(&emulator, &client_id, &old_secret, &audience)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        request_token(&emulator, &client_id, new_secret, &audience)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "the new secret is still propagating"
    );
    emulator.set_clock_offset(11);
    assert_eq!(
        request_token(&emulator, &client_id, new_secret, &audience)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        request_token(&emulator, &client_id, &old_secret, &audience)
            .await
            .status(),
        StatusCode::OK
    );
    emulator.set_clock_offset(31);
    assert_eq!(
        request_token(&emulator, &client_id, &old_secret, &audience)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn deleting_a_client_is_204_cascades_its_grants_and_kills_its_secret() {
    let emulator = emulator().await;
    let token = management_token(&emulator).await;
    let audience = emulator.api_audience();
    let (client_id, secret) =
        create_m2m_client_with_grant(&emulator, &token, &audience, &["read:a"]).await;
    assert_eq!(emulator.client_grants().len(), 1);

    let url = management_url(&emulator, &format!("/clients/{client_id}"));
    for attempt in ["first", "repeat"] {
        let response = http()
            .delete(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::NO_CONTENT,
            "{attempt} delete"
        );
        assert_eq!(content_type(&response), "application/json; charset=utf-8");
        assert!(response.text().await.unwrap().is_empty());
    }
    assert!(emulator.client(&client_id).is_none());
    assert!(
        emulator.client_grants().is_empty(),
        "grants are deleted with their client"
    );
    assert_eq!(
        http()
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        request_token(&emulator, &client_id, &secret, &audience)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn without_cascade_a_deleted_clients_grants_stay_behind() {
    let emulator = Auth0Emulator::start(EmulatorConfig {
        cascade_grants_on_client_delete: false,
        ..EmulatorConfig::default()
    })
    .await;
    let token = management_token(&emulator).await;
    let (client_id, _) =
        create_m2m_client_with_grant(&emulator, &token, &emulator.api_audience(), &[]).await;
    let response = http()
        .delete(management_url(&emulator, &format!("/clients/{client_id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let orphans = emulator.client_grants();
    assert_eq!(orphans.len(), 1);
    assert_eq!(orphans[0]["client_id"], Value::from(client_id));
}
