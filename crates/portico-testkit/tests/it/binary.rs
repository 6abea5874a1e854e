//! The `auth0-emulator` binary: handshake line, then a working tenant.

use std::process::Stdio;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::support::http;

#[tokio::test]
async fn the_binary_prints_a_handshake_and_serves_tokens() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth0-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--api-audience",
            "https://binary.test",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the emulator binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("the handshake line arrives in time")
    .unwrap();
    let handshake: Value = serde_json::from_str(&line).expect("the handshake is one JSON line");
    let issuer = handshake["issuer"].as_str().unwrap();
    assert!(issuer.starts_with("http://127.0.0.1:") && issuer.ends_with('/'));
    assert_eq!(handshake["api_audience"], "https://binary.test");

    let response = http()
        .post(format!("{issuer}oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_id",
                handshake["management_client_id"].as_str().unwrap(),
            ),
            (
                "client_secret",
                handshake["management_client_secret"].as_str().unwrap(),
            ),
            ("audience", &format!("{issuer}api/v2/")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    child.start_kill().unwrap();
    child.wait().await.unwrap();
}
