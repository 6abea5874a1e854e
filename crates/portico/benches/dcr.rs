//! Measures what Portico adds to an application creation beyond Auth0's own time, and how
//! long listing 1,000 applications takes. Run with `cargo bench -p portico --bench dcr`.
//!
//! Auth0 is the in-process emulator. Its own time is measured by making the same two
//! Management API calls Portico makes (create client, create client grant) straight from
//! this program over the same loopback HTTP; Portico's overhead is the difference between
//! the medians.

use std::time::{Duration, Instant};

use portico::config::{Config, FileConfig, ServeArgs};
use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
use serde_json::{json, Value};

const CREATIONS: usize = 200;
const LISTED: usize = 1000;

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn percentile(samples: &mut [Duration], fraction: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * fraction).round() as usize]
}

#[tokio::main]
async fn main() {
    let emulator = Auth0Emulator::start(EmulatorConfig {
        rate_limit_bucket: 1_000_000,
        rate_limit_refill_per_sec: 1_000_000,
        ..EmulatorConfig::default()
    })
    .await;
    let data_dir = tempfile::tempdir().unwrap();
    let args = ServeArgs {
        proxy_listen: Some("127.0.0.1:0".parse().unwrap()),
        admin_listen: Some("127.0.0.1:0".parse().unwrap()),
        portal_listen: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(data_dir.path().to_path_buf()),
        database_url: std::env::var("BENCH_DATABASE_URL").ok(),
        config: None,
        portal_url: None,
        ca_file: None,
        log_format: "text".into(),
    };
    let running = portico::start(Config::merge(&args, FileConfig::default()).unwrap())
        .await
        .unwrap();
    let admin_token = std::fs::read_to_string(data_dir.path().join("admin-token")).unwrap();
    let admin_token = admin_token.trim();
    let http = reqwest::Client::new();
    let admin = |path: &str| format!("http://{}{}", running.admin_addr, path);
    let portal = |path: &str| format!("http://{}{}", running.portal_addr, path);

    let (management_id, management_secret) = emulator.management_client();
    let response = http
        .put(admin("/v1/portal/application-setup"))
        .bearer_auth(admin_token)
        .json(&json!({
            "provider_type": "auth0", "issuer": emulator.base_url(),
            "client_token_audience": emulator.api_audience(), "scopes": ["openid"],
            "consumer_claims": ["azp"], "initial_client_id": management_id,
            "initial_client_secret": management_secret,
        }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    http.post(portal("/api/v1/developer"))
        .json(&json!({"email": "bench@example.com", "password": "benchmark-password", "full_name": "Bench"}))
        .send()
        .await
        .unwrap();
    let token: Value = http
        .post(portal("/api/v1/developer/authenticate"))
        .json(&json!({"email": "bench@example.com", "password": "benchmark-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();

    // Auth0's own time for the two calls of a creation.
    let management_token: Value = http
        .post(format!("{}/oauth/token", emulator.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", management_id.as_str()),
            ("client_secret", management_secret.as_str()),
            ("audience", emulator.management_audience().as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let management_token = management_token["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut direct = Vec::with_capacity(CREATIONS);
    for index in 0..CREATIONS {
        let started = Instant::now();
        let client: Value = http
            .post(format!("{}/api/v2/clients", emulator.base_url()))
            .bearer_auth(&management_token)
            .json(&json!({"name": format!("direct {index}"), "description": "", "app_type": "non_interactive",
                "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_post",
                "callbacks": ["https://example.com/cb"], "client_metadata": {"portico_application_id": "x", "portico_developer_id": "y"}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let grant = http
            .post(format!("{}/api/v2/client-grants", emulator.base_url()))
            .bearer_auth(&management_token)
            .json(&json!({"client_id": client["client_id"], "audience": emulator.api_audience(), "scope": []}))
            .send()
            .await
            .unwrap();
        assert!(grant.status().is_success());
        direct.push(started.elapsed());
    }

    // The same through Portico.
    let mut through_portico = Vec::with_capacity(CREATIONS);
    for index in 0..CREATIONS {
        let started = Instant::now();
        let response = http
            .post(portal("/api/v1/applications"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("app {index}"), "redirect_uri": "https://example.com/cb", "description": ""}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.bytes().await.unwrap();
        through_portico.push(started.elapsed());
    }

    for index in CREATIONS..LISTED {
        let response = http
            .post(portal("/api/v1/applications"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("app {index}"), "description": ""}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let mut listing = Vec::new();
    let mut admin_listing = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let body: Value = http
            .get(portal("/api/v1/applications"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listing.push(started.elapsed());
        assert_eq!(body["data"].as_array().unwrap().len(), LISTED);
        let started = Instant::now();
        let body: Value = http
            .get(admin("/v1/applications"))
            .bearer_auth(admin_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        admin_listing.push(started.elapsed());
        assert_eq!(body["data"].as_array().unwrap().len(), LISTED);
    }

    let direct_median = median(&mut direct);
    let portico_median = median(&mut through_portico);
    println!(
        "backend: {}",
        std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| "sqlite (data dir)".into())
    );
    println!("application creation over {CREATIONS} runs:");
    println!(
        "  Auth0 emulator alone (client + grant): median {:?}, p90 {:?}",
        direct_median,
        percentile(&mut direct, 0.9)
    );
    println!(
        "  through Portico:                       median {:?}, p90 {:?}",
        portico_median,
        percentile(&mut through_portico, 0.9)
    );
    println!(
        "  Portico's median overhead:             {:?}",
        portico_median.saturating_sub(direct_median)
    );
    println!("listing {LISTED} applications (20 runs):");
    println!(
        "  portal GET /api/v1/applications: median {:?}, max {:?}",
        median(&mut listing),
        listing.iter().max().unwrap()
    );
    println!(
        "  admin  GET /v1/applications:     median {:?}, max {:?}",
        median(&mut admin_listing),
        admin_listing.iter().max().unwrap()
    );
    running.shutdown().await.unwrap();
}
