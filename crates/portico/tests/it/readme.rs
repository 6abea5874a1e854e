//! Everything the README tells a person to type is run here: the walkthrough against
//! `portico serve --demo` in its own process, and the Auth0 switch against the emulator.

use std::process::Stdio;
use std::time::Instant;

use serde_json::Value;
use tokio::process::Command;

use crate::demo::{read_until_walkthrough, terminate};
use crate::support::emulator;

/// The shell block that follows `<!-- tested: NAME -->` in the README.
fn readme_block(name: &str) -> String {
    let readme = include_str!("../../../../README.md");
    let marker = format!("<!-- tested: {name} -->");
    let after = readme
        .split_once(&marker)
        .unwrap_or_else(|| panic!("the README has no {marker}"))
        .1;
    let body = after
        .trim_start()
        .strip_prefix("```sh\n")
        .expect("a ```sh block follows the marker");
    body.split_once("\n```")
        .expect("the block ends")
        .0
        .to_owned()
}

async fn bash(script: &str, environment: &[(&str, String)]) -> String {
    let mut command = Command::new("bash");
    command.arg("-c").arg(script).stdin(Stdio::null());
    for (name, value) in environment {
        command.env(name, value);
    }
    let output = command.output().await.expect("bash runs");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn the_readme_walkthrough_and_auth0_switch_work_as_written() {
    let data_dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_portico"))
        .args([
            "serve",
            "--demo",
            "--proxy-listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .args(["--portal-listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data_dir.path())
        .env_remove("PORTICO_ADMIN_TOKEN")
        .env_remove("PORTICO_SECRET_KEY")
        .env_remove("PORTICO_DATABASE_URL")
        .env_remove("PORTICO_PORTAL_URL")
        .env("PORTICO_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the portico binary starts");
    let printed = read_until_walkthrough(&mut child, started).await;
    let printed_value = |name: &str| {
        printed
            .walkthrough
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("the demo printed no {name}"))
            .to_owned()
    };
    let portal = printed_value("PORTAL");
    let gateway = printed_value("GATEWAY");

    // The walkthrough, as written, with the demo's addresses.
    let output = bash(
        &readme_block("walkthrough"),
        &[("PORTAL", portal.clone()), ("GATEWAY", gateway.clone())],
    )
    .await;
    let echoed: Value = output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|value| value.get("headers").is_some())
        .unwrap_or_else(|| panic!("no echo answer:\n{output}"));
    let created = output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|value| value.get("application_id").is_some())
        .unwrap_or_else(|| panic!("no registration:\n{output}"));
    assert_eq!(created["status"], "approved");
    assert_eq!(
        echoed["headers"]["x-application-id"],
        created["application_id"]
    );
    assert_eq!(echoed["path"], "/hello");

    // The Auth0 switch, as written, against the emulator.
    let auth0 = emulator().await;
    let (client_id, client_secret) = auth0.management_client();
    let admin_token =
        std::fs::read_to_string(data_dir.path().join(portico::secrets::ADMIN_TOKEN_FILE))
            .unwrap()
            .trim()
            .to_owned();
    let admin = printed
        .all
        .lines()
        .find_map(|line| line.trim().strip_prefix("Admin console:"))
        .expect("the demo printed the admin console's address")
        .trim()
        .trim_end_matches('/')
        .to_owned();
    let output = bash(
        &readme_block("auth0"),
        &[
            ("ADMIN", admin.clone()),
            ("ADMIN_TOKEN", admin_token.clone()),
            ("AUTH0_ISSUER", auth0.base_url()),
            ("AUTH0_AUDIENCE", auth0.api_audience()),
            ("AUTH0_CLIENT_ID", client_id),
            ("AUTH0_CLIENT_SECRET", client_secret.clone()),
        ],
    )
    .await;
    let saved: Value = serde_json::from_str(output.trim()).unwrap_or_else(|_| panic!("{output}"));
    assert_eq!(saved["provider_type"], "auth0", "{saved}");
    assert!(!output.contains(&client_secret));
    let current: Value = reqwest::Client::new()
        .get(format!("{admin}/v1/portal/application-setup"))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["provider_type"], "auth0");
    assert_eq!(current["client_token_audience"], auth0.api_audience());
    terminate(child).await;
}
