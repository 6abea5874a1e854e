//! The processes `scripts/bench-gateway.sh` measures; not part of Portico.
//!
//! - `bench_stack upstream`: a tiny HTTP server answering `hello world\n` to everything, on an
//!   ephemeral port; prints `UPSTREAM=host:port`.
//! - `bench_stack gateway HOST:PORT`: the Auth0 emulator, a SQLite store in a temporary folder
//!   and the gateway in front of that upstream, with two APIs: `/open/` without an auth
//!   strategy (proxied openly for this benchmark only) and `/auth/` behind the emulator's
//!   client credentials. Prints `GATEWAY`, `BASIC` (the seed's literal header value) and
//!   `BEARER` (a token from the emulator), then serves until interrupted. The runtime has
//!   `WORKERS` worker threads (default 1; 0 for a current-thread runtime).

use std::convert::Infallible;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use portico_core::id::*;
use portico_core::model::*;
use portico_core::{EncryptedSecret, Issuer};
use portico_gateway::{Gateway, GatewayConfig};
use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
use time::OffsetDateTime;
use tokio::net::TcpListener;

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let workers = std::env::var("WORKERS")
        .ok()
        .and_then(|workers| workers.parse().ok())
        .unwrap_or(1usize);
    // `WORKERS=0` selects tokio's current-thread runtime (perf-anchors.md section 4.2).
    let runtime = if workers == 0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    }
    .expect("a runtime");
    match arguments.first().map(String::as_str) {
        Some("upstream") => runtime.block_on(upstream()),
        Some("gateway") if arguments.len() == 2 => runtime.block_on(gateway(&arguments[1])),
        _ => {
            eprintln!("usage: bench_stack upstream | bench_stack gateway HOST:PORT");
            std::process::exit(2);
        }
    }
}

fn announce(line: &str) {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}").expect("stdout");
    stdout.flush().expect("stdout");
}

async fn upstream() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    announce(&format!(
        "UPSTREAM={}",
        listener.local_addr().expect("address")
    ));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|_request| async {
                Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                    b"hello world\n",
                ))))
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn gateway(upstream: &str) {
    let directory = tempfile::tempdir().expect("a temporary folder");
    let store = portico_store::connect(&portico_store::sqlite_url(
        &directory.path().join("bench.sqlite"),
    ))
    .await
    .expect("the store");
    let emulator = Auth0Emulator::start(EmulatorConfig::default()).await;
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("now");
    let issuer = Issuer::parse(&emulator.issuer()).expect("issuer");
    let upstream_url = url::Url::parse(&format!("http://{upstream}/")).expect("upstream URL");

    let provider = DcrProvider {
        id: DcrProviderId::new(),
        name: "Emulated Auth0".into(),
        provider_type: ProviderType::Auth0,
        issuer: issuer.clone(),
        dcr_config: DcrConfig::Auth0 {
            initial_client_id: emulator.management_client().0,
            initial_client_secret: EncryptedSecret(vec![0; 40]),
            initial_client_audience: None,
        },
        created_at: now,
        updated_at: now,
    };
    store
        .insert_dcr_provider(&provider)
        .await
        .expect("provider");
    let strategy = AuthStrategy {
        id: AuthStrategyId::new(),
        name: "Auth0".into(),
        strategy_type: StrategyType::OpenidConnect,
        dcr_provider_id: Some(provider.id),
        openid_connect: OpenIdConnectConfig {
            issuer,
            audience: emulator.api_audience(),
            scopes: vec![],
            credential_claim: vec!["azp".into()],
            auth_methods: vec![AuthMethod::ClientCredentials, AuthMethod::Bearer],
        },
        created_at: now,
        updated_at: now,
    };
    store
        .insert_auth_strategy(&strategy)
        .await
        .expect("strategy");
    let api = |slug: &str, strategy: Option<AuthStrategyId>| Api {
        id: ApiId::new(),
        name: slug.into(),
        slug: slug.into(),
        description: String::new(),
        version: "1".into(),
        upstream_url: upstream_url.clone(),
        routes: vec![Route {
            paths: vec![format!("/{slug}")],
            methods: vec![],
            strip_path: true,
        }],
        auth_strategy_id: strategy,
        published: true,
        created_at: now,
        updated_at: now,
    };
    let open = api("open", None);
    let protected = api("auth", Some(strategy.id));
    store.insert_api(&open).await.expect("open API");
    store.insert_api(&protected).await.expect("protected API");
    let developer = Developer {
        id: DeveloperId::new(),
        email: "bench@example.com".into(),
        full_name: "Bench".into(),
        status: ApprovalStatus::Approved,
        password_hash: "-".into(),
        created_at: now,
        updated_at: now,
    };
    store.insert_developer(&developer).await.expect("developer");
    let (client_id, client_secret) =
        emulator.add_machine_to_machine_client("Bench App", &emulator.api_audience(), &[]);
    let application = Application {
        id: ApplicationId::new(),
        developer_id: developer.id,
        name: "Bench App".into(),
        description: String::new(),
        redirect_uri: None,
        client_id: client_id.clone(),
        auth_strategy_id: strategy.id,
        dcr_provider_id: provider.id,
        created_at: now,
        updated_at: now,
    };
    store
        .insert_application(&application, None)
        .await
        .expect("application");
    store
        .insert_registration(&Registration {
            id: RegistrationId::new(),
            application_id: application.id,
            api_id: protected.id,
            status: ApprovalStatus::Approved,
            created_at: now,
            updated_at: now,
        })
        .await
        .expect("registration");

    let http = portico_idp::http_client(&portico_idp::HttpClientConfig::default()).expect("http");
    let token: serde_json::Value = http
        .post(format!("{}/oauth/token", emulator.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.as_str()),
            ("audience", emulator.api_audience().as_str()),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token response");
    let config = GatewayConfig {
        open_apis_without_strategy: true,
        refresh_interval: Duration::from_secs(1),
        ..GatewayConfig::default()
    };
    let gateway = Arc::new(
        Gateway::new(store, http, config)
            .await
            .expect("the gateway"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    announce(&format!(
        "GATEWAY={}",
        listener.local_addr().expect("address")
    ));
    announce(&format!("BASIC='Basic {client_id}:{client_secret}'"));
    announce(&format!(
        "BEARER='Bearer {}'",
        token["access_token"].as_str().expect("access token")
    ));
    gateway
        .serve(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .expect("serve");
    emulator.shutdown().await;
}
