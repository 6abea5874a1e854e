//! `portico idp rotate-key`, run as its own process against the database of a running
//! server: tokens signed with the old key still pass at the gateway during the overlap,
//! new tokens carry the new key, and the old key leaves the JWKS when the overlap ends.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::*;

async fn token(portico: &TestPortico, client_id: &str, client_secret: &str) -> String {
    let response = portico
        .http
        .post(portico.portal_url("/idp/oauth/token"))
        .basic_auth(client_id, Some(client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

fn kid(token: &str) -> String {
    jwt_part(token, 0)["kid"].as_str().unwrap().to_owned()
}

async fn published_kids(portico: &TestPortico) -> Vec<String> {
    let (status, jwks) = portico
        .portal(Method::GET, "/idp/.well-known/jwks.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_owned())
        .collect()
}

async fn gateway_status(portico: &TestPortico, token: &str) -> StatusCode {
    portico
        .http
        .get(portico.proxy_url("/things"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Runs the real binary's `idp rotate-key` on the server's data dir and database.
async fn rotate_key(portico: &TestPortico, overlap_secs: u64) -> String {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .args([
            "idp",
            "rotate-key",
            "--overlap-secs",
            &overlap_secs.to_string(),
        ])
        .arg("--data-dir")
        .arg(&portico.data_dir)
        .arg("--database-url")
        .arg(&portico.database_url)
        .env_remove("PORTICO_SECRET_KEY")
        .env_remove("PORTICO_CONFIG")
        .env("PORTICO_LOG", "warn")
        .output()
        .await
        .expect("the portico binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "rotate-key failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("New signing key: "))
        .unwrap_or_else(|| panic!("no new key in {stdout:?}"))
        .trim()
        .to_owned()
}

#[tokio::test]
async fn old_tokens_pass_during_the_overlap_and_new_tokens_use_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let url = portico_store::sqlite_url(&dir.path().join("portico.db"));
    let portico = TestPortico::start(dir.path(), &url).await;
    let (upstream, _task) = portico::demo::start_echo_upstream().await.unwrap();
    let api_id = publish_api(&portico, "things", "/things", upstream, None).await;
    let developer = portico.developer("ada@example.com").await;
    let application: Value = registered_application(&portico, &developer, "App", &api_id).await;
    let client_id = application["client_id"].as_str().unwrap();
    let client_secret = application["client_secret"].as_str().unwrap();

    let first_key = published_kids(&portico).await;
    assert_eq!(first_key.len(), 1);
    // Signed with the first key, and not shown to the gateway before the rotation, so that
    // the gateway has to validate it against the key set it holds afterwards.
    let old_token = token(&portico, client_id, client_secret).await;
    assert_eq!(kid(&old_token), first_key[0]);
    // The gateway learns of the API and the application within two seconds.
    let warm_up = token(&portico, client_id, client_secret).await;
    assert!(
        within(Duration::from_secs(3), || async {
            gateway_status(&portico, &warm_up).await == StatusCode::OK
        })
        .await
        .is_some(),
        "the gateway admits a token of the first key"
    );

    let overlap_secs = 6;
    let new_kid = rotate_key(&portico, overlap_secs).await;
    assert_ne!(new_kid, first_key[0]);
    let rotated_at = std::time::Instant::now();

    // The server reads the keys again within two seconds.
    let new_token = loop {
        let fresh = token(&portico, client_id, client_secret).await;
        if kid(&fresh) == new_kid {
            break fresh;
        }
        assert!(
            rotated_at.elapsed() < Duration::from_secs(4),
            "new tokens still carry the old key"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!(
        "new tokens carried the new key {:?} after the rotation",
        rotated_at.elapsed()
    );
    assert_eq!(
        published_kids(&portico).await,
        [new_kid.clone(), first_key[0].clone()]
    );

    // The gateway learns the new key from the JWKS (an unknown kid makes it fetch again)…
    assert_eq!(gateway_status(&portico, &new_token).await, StatusCode::OK);
    // …and still accepts a token of the old key it has never seen, during the overlap.
    assert!(rotated_at.elapsed() < Duration::from_secs(overlap_secs));
    assert_eq!(gateway_status(&portico, &old_token).await, StatusCode::OK);

    // When the overlap ends, the old key leaves the key set.
    assert!(
        within(Duration::from_secs(overlap_secs + 4), || async {
            published_kids(&portico).await == [new_kid.clone()]
        })
        .await
        .is_some(),
        "the old key is withdrawn after the overlap"
    );
    portico.stop().await;
}
