//! Builders shared by the integration tests.

use std::sync::Arc;
use std::time::Duration;

use portico_core::id::{ApplicationId, DeveloperId};
use portico_core::ports::ClientRequest;
use portico_core::{Issuer, SecretString};
use portico_idp::{http_client, Auth0Provider, Auth0Settings, HttpClientConfig, RetryPolicy};
use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};

pub async fn emulator() -> Auth0Emulator {
    Auth0Emulator::start(EmulatorConfig::default()).await
}

pub fn client() -> reqwest::Client {
    http_client(&HttpClientConfig::default()).expect("the default HTTP client builds")
}

pub fn settings(issuer: &str, (client_id, client_secret): (String, String)) -> Auth0Settings {
    Auth0Settings {
        issuer: Issuer::parse(issuer).expect("a valid issuer"),
        initial_client_id: client_id,
        initial_client_secret: SecretString::new(client_secret),
        initial_client_audience: None,
    }
}

/// A provider on the emulator's seeded management client, with millisecond retry waits.
pub fn provider(emulator: &Auth0Emulator) -> Arc<Auth0Provider> {
    provider_with(emulator, RetryPolicy::fast())
}

pub fn provider_with(emulator: &Auth0Emulator, retry: RetryPolicy) -> Arc<Auth0Provider> {
    Arc::new(Auth0Provider::new(
        client(),
        settings(&emulator.issuer(), emulator.management_client()),
        retry,
    ))
}

pub fn request(emulator: &Auth0Emulator) -> ClientRequest {
    ClientRequest {
        application_id: ApplicationId::new(),
        developer_id: DeveloperId::new(),
        name: "Weather dashboard".to_owned(),
        description: "Shows the forecast".to_owned(),
        redirect_uri: Some("https://dashboard.example/callback".to_owned()),
        audience: emulator.api_audience(),
        scopes: vec![
            "openid".to_owned(),
            "read:weather".to_owned(),
            "profile".to_owned(),
        ],
    }
}

/// The status `/oauth/token` answers for these credentials and the emulator's API audience.
pub async fn token_status(emulator: &Auth0Emulator, client_id: &str, client_secret: &str) -> u16 {
    client()
        .post(format!("{}/oauth/token", emulator.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("audience", &emulator.api_audience()),
        ])
        .send()
        .await
        .expect("the emulator answers")
        .status()
        .as_u16()
}

/// A loopback port with nothing listening on it.
pub async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

/// Serves `response` verbatim to every connection on a loopback port, for behaviour the
/// emulator does not produce (redirects). Returns the base URL.
pub async fn canned_server(response: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ =
                    tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buffer)).await;
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("http://{address}")
}
