//! `portico serve --demo` as a person runs it: the real binary in its own process on a fresh
//! data dir, its printed walkthrough pasted into bash, then the application's secret
//! regenerated and the application deleted, each seen at the gateway.

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::within;

/// What the demo printed, read up to the end of its walkthrough.
pub(crate) struct Printed {
    pub walkthrough: String,
    /// From the process's start to the "ready" line.
    pub ready_after: Duration,
    pub all: String,
}

pub(crate) async fn read_until_walkthrough(child: &mut Child, started: Instant) -> Printed {
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut all = String::new();
    let mut walkthrough = String::new();
    let mut ready_after = None;
    let mut inside = false;
    let read = async {
        while let Some(line) = lines.next_line().await.expect("stdout reads") {
            all.push_str(&line);
            all.push('\n');
            if line.starts_with("Portico demo is ready") {
                ready_after = Some(started.elapsed());
            }
            if line == portico::demo::WALKTHROUGH_BEGIN {
                inside = true;
            }
            if inside {
                walkthrough.push_str(&line);
                walkthrough.push('\n');
            }
            if line == portico::demo::WALKTHROUGH_END {
                return true;
            }
        }
        false
    };
    let complete = tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .unwrap_or(false);
    assert!(complete, "the demo printed no complete walkthrough:\n{all}");
    // The rest of stdout is drained in the background, so that the demo never blocks on it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Printed {
        walkthrough,
        ready_after: ready_after.expect("the ready line comes before the walkthrough"),
        all,
    }
}

/// The value of `NAME=` as the extra lines at the end of the script print it.
fn variable(output: &str, name: &str) -> String {
    output
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("the walkthrough set no {name}:\n{output}"))
        .to_owned()
}

async fn gateway_status(gateway: &str, authorization: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{gateway}/echo"))
        .header("authorization", authorization)
        .send()
        .await
        .unwrap()
        .status()
}

/// Stops the demo as a terminal's Ctrl-C or a service manager would, and waits for it.
pub(crate) async fn terminate(mut child: Child) {
    let pid = child.id().expect("the demo is still running");
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    match tokio::time::timeout(Duration::from_secs(40), child.wait()).await {
        Ok(exit) => assert!(exit.unwrap().success(), "the demo exits cleanly on SIGTERM"),
        Err(_) => {
            child.kill().await.unwrap();
            panic!("the demo did not stop within 40 s of SIGTERM");
        }
    }
}

#[tokio::test]
async fn the_printed_walkthrough_reaches_the_echo_api_and_regenerate_and_delete_take_effect() {
    let data_dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["serve", "--demo"])
        .arg("--data-dir")
        .arg(data_dir.path())
        .args(["--proxy-listen", "127.0.0.1:0"])
        .args(["--admin-listen", "127.0.0.1:0"])
        .args(["--portal-listen", "127.0.0.1:0"])
        // Nothing of the environment may leak in: the demo must work out of the box.
        .env_remove("PORTICO_ADMIN_TOKEN")
        .env_remove("PORTICO_SECRET_KEY")
        .env_remove("PORTICO_CONFIG")
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
    eprintln!(
        "measurement: `portico serve --demo` was ready {:.2} s after the process started (fresh data dir, {} build)",
        printed.ready_after.as_secs_f64(),
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    let token_file = data_dir.path().join(portico::secrets::ADMIN_TOKEN_FILE);
    let admin_token = std::fs::read_to_string(&token_file).unwrap();
    assert!(
        printed
            .all
            .contains(&format!("Admin token:    {}", admin_token.trim())),
        "{}",
        printed.all
    );
    assert!(printed.all.contains("Admin console:  http://127.0.0.1:"));

    // Paste the walkthrough into bash, and let it tell what it set.
    let script = format!(
        "{}\nprintf 'APP_ID=%s\\nCLIENT_ID=%s\\nCLIENT_SECRET=%s\\nTOKEN=%s\\nPORTAL=%s\\nGATEWAY=%s\\n' \
         \"$APP_ID\" \"$CLIENT_ID\" \"$CLIENT_SECRET\" \"$TOKEN\" \"$PORTAL\" \"$GATEWAY\"\n",
        printed.walkthrough
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("bash runs");
    let output = String::from_utf8(output.stdout).unwrap();
    let application_id = variable(&output, "APP_ID");
    let client_id = variable(&output, "CLIENT_ID");
    let old_secret = variable(&output, "CLIENT_SECRET");
    let developer_token = variable(&output, "TOKEN");
    let portal = variable(&output, "PORTAL");
    let gateway = variable(&output, "GATEWAY");
    assert!(!application_id.is_empty() && !client_id.is_empty() && !old_secret.is_empty());

    // The echo upstream's answer, through the gateway, names the application.
    let echoed: Value = output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|value| value.get("headers").is_some())
        .unwrap_or_else(|| panic!("no echo answer in the walkthrough's output:\n{output}"));
    assert_eq!(
        echoed["headers"]["x-application-id"],
        application_id.as_str()
    );
    assert_eq!(echoed["headers"]["x-client-id"], client_id.as_str());
    assert_eq!(echoed["method"], "GET");
    assert_eq!(echoed["path"], "/hello");
    assert_eq!(echoed["query"], "from=demo");
    let upstream_authorization = echoed["headers"]["authorization"].as_str().unwrap();
    assert!(upstream_authorization.starts_with("Bearer "));
    assert!(!upstream_authorization.contains(&old_secret));

    // Regenerate the secret: the old one is refused at the gateway within two seconds.
    let portal_api = reqwest::Client::new();
    let response = portal_api
        .post(format!(
            "{portal}/api/v1/applications/{application_id}/regenerate-secret"
        ))
        .bearer_auth(&developer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let rotated: Value = response.json().await.unwrap();
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    let old_basic = format!("Basic {client_id}:{old_secret}");
    let new_basic = format!("Basic {client_id}:{new_secret}");
    let refused_after = within(Duration::from_secs(2), || async {
        gateway_status(&gateway, &old_basic).await == StatusCode::UNAUTHORIZED
    })
    .await
    .expect("the old secret is refused within 2 s of its regeneration");
    eprintln!("the old secret was refused {refused_after:?} after the regeneration");
    assert_eq!(gateway_status(&gateway, &new_basic).await, StatusCode::OK);

    // Delete the application: its credentials are refused.
    let response = portal_api
        .delete(format!("{portal}/api/v1/applications/{application_id}"))
        .bearer_auth(&developer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(
        within(Duration::from_secs(2), || async {
            gateway_status(&gateway, &new_basic).await == StatusCode::UNAUTHORIZED
        })
        .await
        .is_some(),
        "the deleted application's credentials are refused"
    );

    terminate(child).await;
}
