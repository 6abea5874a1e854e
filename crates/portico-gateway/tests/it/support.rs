//! The test harness: a real SQLite store seeded through the `Store` trait, the Auth0
//! emulator, a real upstream HTTP server that echoes what it saw, and the gateway serving on
//! an ephemeral port.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use portico_core::id::*;
use portico_core::model::*;
use portico_core::ports::Store;
use portico_core::{EncryptedSecret, Issuer};
use portico_gateway::{Gateway, GatewayConfig};
use portico_idp::{http_client, HttpClientConfig};
use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Settings of the gateway under test: production shapes with short intervals.
pub fn test_config() -> GatewayConfig {
    let mut config = GatewayConfig {
        connect_timeout: Duration::from_secs(1),
        read_timeout: Duration::from_millis(1500),
        refresh_interval: Duration::from_millis(100),
        header_read_timeout: Duration::from_secs(2),
        body_idle_timeout: Duration::from_millis(500),
        shutdown_grace: Duration::from_secs(5),
        ..GatewayConfig::default()
    };
    config.discovery_retry.initial_backoff = Duration::from_millis(10);
    config
}

/// A running upstream that answers every request with JSON describing what it received,
/// after sleeping when the path ends in `/slow`.
pub struct Upstream {
    pub address: SocketAddr,
    hits: Arc<AtomicUsize>,
    _stop: oneshot::Sender<()>,
}

impl Upstream {
    pub async fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let (stop, mut stopped) = oneshot::channel::<()>();
        let counter = hits.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let counter = counter.clone();
                        tokio::spawn(async move {
                            let service = service_fn(move |request| {
                                let counter = counter.clone();
                                async move { Ok::<_, Infallible>(echo(request, &counter).await) }
                            });
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                    _ = &mut stopped => return,
                }
            }
        });
        Upstream {
            address,
            hits,
            _stop: stop,
        }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("http://{}{}", self.address, path)).unwrap()
    }
}

async fn echo(
    request: hyper::Request<hyper::body::Incoming>,
    hits: &AtomicUsize,
) -> hyper::Response<Full<Bytes>> {
    hits.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    if parts.uri.path().ends_with("/slow") {
        tokio::time::sleep(Duration::from_secs(4)).await;
    }
    if parts.uri.path().ends_with("/pause") {
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let body_len = match body.collect().await {
        Ok(collected) => collected.to_bytes().len() as i64,
        Err(_) => -1,
    };
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in &parts.headers {
        headers
            .entry(name.as_str().to_owned())
            .or_default()
            .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    let seen = json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers,
        "body_len": body_len,
    });
    hyper::Response::builder()
        .header("content-type", "application/json")
        .header("connection", "keep-alive")
        .header("x-upstream", "echo")
        .body(Full::new(Bytes::from(seen.to_string())))
        .unwrap()
}

/// What the harness seeds.
pub struct Seed {
    pub register: bool,
}

impl Default for Seed {
    fn default() -> Self {
        Self { register: true }
    }
}

pub struct Harness {
    pub emulator: Auth0Emulator,
    pub store: Arc<dyn Store>,
    pub upstream: Upstream,
    pub gateway: Arc<Gateway>,
    pub proxy: SocketAddr,
    pub http: reqwest::Client,
    pub provider: DcrProvider,
    pub strategy: AuthStrategy,
    pub api: Api,
    pub developer: Developer,
    pub application: Application,
    pub client_id: String,
    pub client_secret: String,
    shutdown: Option<oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap()
}

impl Harness {
    pub async fn start() -> Harness {
        Self::start_with(test_config(), Seed::default()).await
    }

    pub async fn start_with(config: GatewayConfig, seed: Seed) -> Harness {
        // `RUST_LOG=portico_gateway=debug` shows why each request was refused.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let store =
            portico_store::connect(&portico_store::sqlite_url(&dir.path().join("db.sqlite")))
                .await
                .unwrap();
        let emulator = Auth0Emulator::start(EmulatorConfig::default()).await;
        let upstream = Upstream::start().await;
        let now = now();

        let (management_id, _) = emulator.management_client();
        let issuer = Issuer::parse(&emulator.issuer()).unwrap();
        let provider = DcrProvider {
            id: DcrProviderId::new(),
            name: "Emulated Auth0".into(),
            provider_type: ProviderType::Auth0,
            issuer: issuer.clone(),
            dcr_config: DcrConfig::Auth0 {
                initial_client_id: management_id,
                initial_client_secret: EncryptedSecret(vec![0; 40]),
                initial_client_audience: None,
            },
            created_at: now,
            updated_at: now,
        };
        store.insert_dcr_provider(&provider).await.unwrap();
        let strategy = AuthStrategy {
            id: AuthStrategyId::new(),
            name: "Auth0 client credentials".into(),
            strategy_type: StrategyType::OpenidConnect,
            dcr_provider_id: Some(provider.id),
            openid_connect: OpenIdConnectConfig {
                issuer,
                audience: emulator.api_audience(),
                scopes: vec!["openid".into()],
                credential_claim: vec!["azp".into()],
                auth_methods: vec![AuthMethod::ClientCredentials, AuthMethod::Bearer],
            },
            created_at: now,
            updated_at: now,
        };
        store.insert_auth_strategy(&strategy).await.unwrap();
        let api = Api {
            id: ApiId::new(),
            name: "Echo".into(),
            slug: "echo".into(),
            description: "Echoes what it receives".into(),
            version: "1".into(),
            upstream_url: upstream.url("/base"),
            routes: vec![Route {
                paths: vec!["/echo".into()],
                methods: vec![],
                strip_path: true,
            }],
            auth_strategy_id: Some(strategy.id),
            published: true,
            created_at: now,
            updated_at: now,
        };
        store.insert_api(&api).await.unwrap();
        let developer = Developer {
            id: DeveloperId::new(),
            email: format!("dev-{}@example.com", DeveloperId::new()),
            full_name: "Dee Veloper".into(),
            status: ApprovalStatus::Approved,
            password_hash: "not-a-real-hash".into(),
            created_at: now,
            updated_at: now,
        };
        store.insert_developer(&developer).await.unwrap();
        let (client_id, client_secret) =
            emulator.add_machine_to_machine_client("Test App", &emulator.api_audience(), &[]);
        let application = Application {
            id: ApplicationId::new(),
            developer_id: developer.id,
            name: "Test App".into(),
            description: String::new(),
            redirect_uri: None,
            client_id: client_id.clone(),
            auth_strategy_id: strategy.id,
            dcr_provider_id: provider.id,
            created_at: now,
            updated_at: now,
        };
        store.insert_application(&application, None).await.unwrap();

        if seed.register {
            register(&*store, application.id, api.id).await;
        }

        let idp_http = http_client(&HttpClientConfig {
            ca_file: None,
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(3),
        })
        .unwrap();
        let gateway = Arc::new(Gateway::new(store.clone(), idp_http, config).await.unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = listener.local_addr().unwrap();
        let (shutdown, shutdown_signal) = oneshot::channel::<()>();
        let served = tokio::spawn(gateway.clone().serve(listener, async move {
            let _ = shutdown_signal.await;
        }));

        Harness {
            emulator,
            store,
            upstream,
            gateway,
            proxy,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            provider,
            strategy,
            api,
            developer,
            application,
            client_id,
            client_secret,
            shutdown: Some(shutdown),
            served: Some(served),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.proxy, path)
    }

    /// The seed's curl line: `Authorization: Basic CLIENT_ID:CLIENT_SECRET`, unencoded.
    pub async fn get_literal_basic(
        &self,
        path: &str,
        client_id: &str,
        secret: &str,
    ) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .header("authorization", format!("Basic {client_id}:{secret}"))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_bearer(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// An access token straight from the emulator's token endpoint.
    pub async fn token_from_idp(&self, client_id: &str, secret: &str) -> String {
        let response: Value = self
            .http
            .post(format!("{}/oauth/token", self.emulator.base_url()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("audience", &self.emulator.api_audience()),
            ])
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        response["access_token"].as_str().unwrap().to_owned()
    }

    /// Claims of a valid access token of the seeded application, for the test to spoil.
    pub fn claims(&self) -> Value {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        json!({
            "iss": self.emulator.issuer(),
            "sub": format!("{}@clients", self.client_id),
            "aud": self.emulator.api_audience(),
            "azp": self.client_id,
            "gty": "client-credentials",
            "iat": now,
            "exp": now + 3600,
        })
    }

    pub fn token_requests(&self) -> usize {
        self.emulator.request_count("POST", "/oauth/token")
    }

    /// A Management API token of the seeded management client.
    pub async fn management_token(&self) -> String {
        let (client_id, secret) = self.emulator.management_client();
        let response: Value = self
            .http
            .post(format!("{}/oauth/token", self.emulator.base_url()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id.as_str()),
                ("client_secret", secret.as_str()),
                ("audience", &self.emulator.management_audience()),
            ])
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        response["access_token"].as_str().unwrap().to_owned()
    }

    /// Another application of the seeded developer, with its own emulator client and an
    /// approved registration for the seeded API.
    pub async fn add_application(&self, name: &str) -> (Application, String) {
        let (client_id, secret) =
            self.emulator
                .add_machine_to_machine_client(name, &self.emulator.api_audience(), &[]);
        let now = now();
        let application = Application {
            id: ApplicationId::new(),
            developer_id: self.developer.id,
            name: name.into(),
            description: String::new(),
            redirect_uri: None,
            client_id,
            auth_strategy_id: self.strategy.id,
            dcr_provider_id: self.provider.id,
            created_at: now,
            updated_at: now,
        };
        self.store
            .insert_application(&application, None)
            .await
            .unwrap();
        register(&*self.store, application.id, self.api.id).await;
        self.wait_for_refresh().await;
        (application, secret)
    }

    /// Waits until the gateway has loaded the store's current configuration.
    pub async fn wait_for_refresh(&self) {
        let target = self.store.config_version().await.unwrap();
        eventually(Duration::from_secs(2), || async {
            self.gateway.config_version() == target
        })
        .await;
    }

    /// Stops the gateway the way the binary does and waits for `serve` to return.
    pub async fn shutdown_gateway(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(served) = self.served.take() {
            served.await.unwrap().unwrap();
        }
    }
}

pub async fn register(
    store: &dyn Store,
    application_id: ApplicationId,
    api_id: ApiId,
) -> Registration {
    let now = now();
    let registration = Registration {
        id: RegistrationId::new(),
        application_id,
        api_id,
        status: ApprovalStatus::Approved,
        created_at: now,
        updated_at: now,
    };
    store.insert_registration(&registration).await.unwrap();
    registration
}

/// Polls `check` every 20 ms until it holds; panics after `limit`. Returns the time taken.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "the condition did not hold within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The problem document of a refused request, checked for its shape.
pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["instance"], request_id.as_str());
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    body
}

/// What the echo upstream reported.
pub async fn seen(response: reqwest::Response) -> Value {
    assert_eq!(
        response.status().as_u16(),
        200,
        "the request did not reach the upstream"
    );
    response.json().await.unwrap()
}

pub fn header<'a>(seen: &'a Value, name: &str) -> Option<&'a str> {
    let values = seen["headers"][name].as_array()?;
    assert_eq!(values.len(), 1, "{name} sent more than once: {values:?}");
    values[0].as_str()
}
