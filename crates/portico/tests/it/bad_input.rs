//! Bad input gets a 400 naming the field, reaches no IdP, and loses nothing.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

async fn post_raw(
    portico: &TestPortico,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    read(
        portico
            .http
            .post(portico.portal_url("/api/v1/applications"))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn fields(problem: &Value) -> Vec<String> {
    problem["invalid_parameters"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|item| item["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn malformed_bodies_are_400s_naming_the_field_and_reach_no_idp() {
    let emulator = emulator().await;
    let data_dir = tempfile::tempdir().unwrap();
    let portico = TestPortico::start(
        data_dir.path(),
        &portico_store::sqlite_url(&data_dir.path().join("p.db")),
    )
    .await;
    assert_eq!(portico.application_setup(&emulator).await.0, StatusCode::OK);
    let token = portico.developer("bad@example.com").await;
    let json_type = "application/json";

    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        ("malformed JSON", json_type, b"{\"name\": ".to_vec(), "body"),
        ("not JSON at all", "text/plain", b"name=x".to_vec(), "body"),
        ("wrong type", json_type, br#"{"name": 42}"#.to_vec(), "name"),
        (
            "missing field",
            json_type,
            br#"{"description": "no name"}"#.to_vec(),
            "name",
        ),
        (
            "unknown field",
            json_type,
            br#"{"name": "x", "colour": "red"}"#.to_vec(),
            "colour",
        ),
        (
            "141-character description",
            json_type,
            json!({"name": "x", "description": "d".repeat(141)})
                .to_string()
                .into_bytes(),
            "description",
        ),
        (
            "bad redirect URI",
            json_type,
            br#"{"name": "x", "redirect_uri": "not a url"}"#.to_vec(),
            "redirect_uri",
        ),
        (
            "2 MiB body",
            json_type,
            {
                let mut body = br#"{"name": "x", "description": ""#.to_vec();
                body.extend(std::iter::repeat_n(b'a', 2 * 1024 * 1024));
                body.extend(br#""}"#);
                body
            },
            "body",
        ),
    ];
    for (case, content_type, body, field) in cases {
        let (status, problem) = post_raw(&portico, &token, content_type, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {problem}");
        assert_eq!(problem["status"], 400, "{case}");
        assert!(
            problem["instance"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "{case}: the request id"
        );
        assert!(
            fields(&problem)
                .iter()
                .any(|named| named == field || named.ends_with(field)),
            "{case}: {problem}"
        );
    }
    assert_eq!(
        emulator.request_count("POST", "/api/v2/clients"),
        0,
        "nothing reached Auth0"
    );
    let (_, listed) = portico
        .portal(Method::GET, "/api/v1/applications", Some(&token), None)
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0);

    // The same rules hold on the admin side.
    let (status, problem) = portico
        .admin(
            Method::POST,
            "/v1/apis",
            Some(
                json!({"name": "x", "upstream_url": "ftp://nope", "routes": [{"paths": ["nope"]}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let named = fields(&problem);
    assert!(
        named.contains(&"upstream_url".to_owned())
            && named.contains(&"routes[0].paths[0]".to_owned()),
        "{problem}"
    );
}

#[tokio::test]
async fn another_developers_application_is_not_found_and_the_admin_api_needs_its_token() {
    let emulator = emulator().await;
    let data_dir = tempfile::tempdir().unwrap();
    let portico = TestPortico::start(
        data_dir.path(),
        &portico_store::sqlite_url(&data_dir.path().join("p.db")),
    )
    .await;
    assert_eq!(portico.application_setup(&emulator).await.0, StatusCode::OK);
    let owner = portico.developer("owner@example.com").await;
    let intruder = portico.developer("intruder@example.com").await;
    let (status, created) = portico
        .portal(
            Method::POST,
            "/api/v1/applications",
            Some(&owner),
            Some(json!({"name": "Mine", "description": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let path = format!("/api/v1/applications/{}", created["id"].as_str().unwrap());
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({"name": "Theirs"}));
        let (status, _) = portico
            .portal(method.clone(), &path, Some(&intruder), body)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
    }
    let (status, still) = portico.portal(Method::GET, &path, Some(&owner), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(still["name"], "Mine");
    assert!(emulator
        .client(created["client_id"].as_str().unwrap())
        .is_some());

    let (status, _) = portico
        .portal(Method::GET, "/api/v1/applications", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    for token in [None, Some("wrong-token")] {
        let mut request = portico.http.get(portico.admin_url("/v1/applications"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
    }
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_account() {
    let data_dir = tempfile::tempdir().unwrap();
    let portico = TestPortico::start(
        data_dir.path(),
        &portico_store::sqlite_url(&data_dir.path().join("p.db")),
    )
    .await;
    let _ = portico.developer("locked@example.com").await;
    let attempt = |password: &'static str| {
        portico.portal(
            Method::POST,
            "/api/v1/developer/authenticate",
            None,
            Some(json!({"email": "locked@example.com", "password": password})),
        )
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong password").await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        attempt("correct horse battery").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}
