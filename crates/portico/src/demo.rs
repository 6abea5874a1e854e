//! `portico serve --demo`: Portico with something to call. An echo upstream runs inside the
//! process on a loopback port, an API named `Echo` routes `/echo` to it, and once the gateway
//! routes it the binary prints a walkthrough (curl and sed only) that a person can paste into
//! a shell: sign up, sign in, create an application, register it for Echo, and call Echo
//! through the gateway with the seed's `Authorization: Basic $CLIENT_ID:$CLIENT_SECRET`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::http::{HeaderMap, Method, Uri};
use axum::Json;
use portico_core::model::{Api, Route};
use portico_core::service::{ApiChanges, NewApi, Portico};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::Running;

/// The demo API's slug and route.
pub const ECHO_SLUG: &str = "echo";
pub const ECHO_ROUTE: &str = "/echo";

/// The marker lines around the printed walkthrough, so that a program can cut it out.
pub const WALKTHROUGH_BEGIN: &str = "# ---8<--- Portico demo walkthrough";
pub const WALKTHROUGH_END: &str = "# ---8<--- end of walkthrough";

/// How long the demo waits for the gateway to route `/echo` after publishing it.
const ROUTE_WAIT: Duration = Duration::from_secs(10);

/// Starts the echo upstream on `127.0.0.1` at an ephemeral port. It answers every request
/// with JSON: `{"method", "path", "query", "headers"}` (header names lower-case; repeated
/// headers joined with `, `).
pub async fn start_echo_upstream() -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("could not listen for the echo upstream")?;
    let address = listener.local_addr()?;
    let router = axum::Router::new().fallback(echo);
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::warn!(%error, "the echo upstream stopped");
        }
    });
    Ok((address, task))
}

async fn echo(method: Method, uri: Uri, headers: HeaderMap) -> Json<Value> {
    let mut by_name: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        by_name
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    Json(json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "headers": by_name,
    }))
}

/// Creates the `Echo` API, or points an existing one (from an earlier demo on the same data
/// dir) at this run's upstream. Its auth strategy is the portal's default.
pub async fn publish_echo(portico: &Portico, upstream: SocketAddr) -> anyhow::Result<Api> {
    let upstream_url = format!("http://{upstream}/");
    let routes = vec![Route {
        paths: vec![ECHO_ROUTE.to_owned()],
        methods: Vec::new(),
        strip_path: true,
    }];
    let existing = portico
        .apis()
        .await?
        .into_iter()
        .find(|api| api.slug == ECHO_SLUG);
    let api = match existing {
        Some(api) => {
            portico
                .update_api(
                    api.id,
                    ApiChanges {
                        upstream_url: Some(upstream_url),
                        routes: Some(routes),
                        published: Some(true),
                        ..ApiChanges::default()
                    },
                )
                .await?
        }
        None => {
            portico
                .create_api(NewApi {
                    name: "Echo".to_owned(),
                    slug: Some(ECHO_SLUG.to_owned()),
                    description:
                        "Answers with the request it received: method, path, query and headers."
                            .to_owned(),
                    version: "1.0.0".to_owned(),
                    upstream_url,
                    routes,
                    auth_strategy_id: None,
                    published: true,
                })
                .await?
        }
    };
    Ok(api)
}

/// Waits until the gateway routes `/echo` (it answers something other than 404 without
/// credentials): the gateway reads a published API within a second.
pub async fn wait_until_routed(proxy_addr: SocketAddr) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()?;
    let url = format!("http://{}{ECHO_ROUTE}", loopback(proxy_addr));
    let deadline = Instant::now() + ROUTE_WAIT;
    loop {
        if let Ok(response) = client.get(&url).send().await {
            if response.status() != reqwest::StatusCode::NOT_FOUND {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            anyhow::bail!("the gateway did not route {ECHO_ROUTE} within {ROUTE_WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An address to reach a listener from this machine: loopback for an unspecified address.
fn loopback(address: SocketAddr) -> SocketAddr {
    let mut reachable = address;
    if address.ip().is_unspecified() {
        reachable.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    reachable
}

/// What the demo prints once it is ready.
pub fn banner(running: &Running, echo: &Api, data_dir: &std::path::Path) -> String {
    let portal = running.portal_url.as_str().trim_end_matches('/').to_owned();
    let admin = format!("http://{}", loopback(running.admin_addr));
    let gateway = format!("http://{}", loopback(running.proxy_addr));
    format!(
        "Portico demo is ready.\n\
         \x20 Dev Portal:     {portal}/\n\
         \x20 Admin console:  {admin}/\n\
         \x20 Admin token:    {token}\n\
         \x20                 (printed because this is a local demo; {token_source})\n\
         \x20 Gateway:        {gateway}{ECHO_ROUTE} serves the Echo API (id {api_id})\n\
         \x20 Identity provider (built-in): {issuer}\n\
         \n\
         Try it: paste these lines into a shell (they need curl and sed).\n\
         {walkthrough}",
        token = running.admin_token.expose(),
        token_source = if std::env::var_os("PORTICO_ADMIN_TOKEN").is_some() {
            "it comes from PORTICO_ADMIN_TOKEN".to_owned()
        } else {
            format!(
                "it is kept in {}",
                data_dir.join(crate::secrets::ADMIN_TOKEN_FILE).display()
            )
        },
        api_id = echo.id,
        issuer = running.builtin_issuer,
        walkthrough = walkthrough(&portal, &gateway, &echo.id.to_string()),
    )
}

/// The copy-paste sequence of the seed's journey against this server. Re-runnable: a second
/// sign-up answers 409 and the sign-in that follows works all the same.
pub fn walkthrough(portal: &str, gateway: &str, echo_api_id: &str) -> String {
    format!(
        r#"{WALKTHROUGH_BEGIN}
PORTAL={portal}
GATEWAY={gateway}
# 1. Sign up as a developer (a second run answers 409: the account exists), then sign in.
curl -s -X POST "$PORTAL/api/v1/developer" -H 'Content-Type: application/json' -d '{{"email":"demo@example.com","password":"demo-password-1234","full_name":"Demo Developer"}}'; echo
TOKEN=$(curl -s -X POST "$PORTAL/api/v1/developer/authenticate" -H 'Content-Type: application/json' -d '{{"email":"demo@example.com","password":"demo-password-1234"}}' | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
# 2. Create an application. Its client secret is shown in this answer only.
APP=$(curl -s -X POST "$PORTAL/api/v1/applications" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"name":"Demo app","redirect_uri":"https://example.com/callback","description":"Calls the Echo API"}}')
APP_ID=$(echo "$APP" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
CLIENT_ID=$(echo "$APP" | sed -n 's/.*"client_id":"\([^"]*\)".*/\1/p')
CLIENT_SECRET=$(echo "$APP" | sed -n 's/.*"client_secret":"\([^"]*\)".*/\1/p')
echo "application $APP_ID, client id $CLIENT_ID"
# 3. Register it for the Echo API (approved at once: auto-approval is on by default).
curl -s -X POST "$PORTAL/api/v1/applications/$APP_ID/registrations" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"api_id":"{echo_api_id}"}}'; echo
# 4. Call Echo through the gateway with the application's credentials, as the seed's curl line
#    does (after a moment: the gateway takes up to two seconds to learn of a new application).
sleep 2
curl -s "$GATEWAY/echo/hello?from=demo" -H "Authorization: Basic $CLIENT_ID:$CLIENT_SECRET"; echo
{WALKTHROUGH_END}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walkthrough_uses_only_curl_sed_and_the_shell() {
        let text = walkthrough("http://127.0.0.1:8003", "http://127.0.0.1:8000", "0000");
        assert!(text.starts_with(WALKTHROUGH_BEGIN));
        assert!(text.trim_end().ends_with(WALKTHROUGH_END));
        assert!(text.contains(r#"-H "Authorization: Basic $CLIENT_ID:$CLIENT_SECRET""#));
        assert!(text.contains(r#"{"api_id":"0000"}"#));
        for line in text.lines().filter(|line| !line.starts_with('#')) {
            let allowed = [
                "curl ",
                "echo ",
                "sleep 2",
                "PORTAL=",
                "GATEWAY=",
                "TOKEN=$(curl ",
                "APP=$(curl ",
            ];
            let extraction = line.contains("=$(echo \"$APP\" | sed -n ");
            assert!(
                allowed.iter().any(|start| line.starts_with(start)) || extraction,
                "unexpected command: {line}"
            );
            assert!(!line.contains("jq"), "{line}");
        }
    }

    #[test]
    fn unspecified_addresses_are_reached_on_loopback() {
        assert_eq!(
            loopback("0.0.0.0:8000".parse().unwrap()).to_string(),
            "127.0.0.1:8000"
        );
        assert_eq!(
            loopback("[::]:8000".parse().unwrap()).to_string(),
            "[::1]:8000"
        );
        assert_eq!(
            loopback("10.0.0.1:8000".parse().unwrap()).to_string(),
            "10.0.0.1:8000"
        );
    }
}
