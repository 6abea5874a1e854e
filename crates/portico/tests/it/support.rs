//! Starts Portico exactly as `portico serve` does, on ephemeral loopback ports, against a
//! fresh SQLite file or a fresh PostgreSQL database, and talks to it over real HTTP.

use std::path::PathBuf;

use portico::config::{Config, FileConfig, ServeArgs};
use portico::Running;
use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database for one test: a file in a temporary dir, or a PostgreSQL database created for
/// the test and dropped afterwards.
pub struct TestDatabase {
    pub url: String,
    postgres_name: Option<String>,
}

const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn postgres_admin_url() -> String {
    std::env::var("PORTICO_TEST_POSTGRES_URL").unwrap_or_else(|_| POSTGRES_ADMIN_URL.to_owned())
}

impl TestDatabase {
    pub async fn create(backend: Backend, data_dir: &std::path::Path) -> TestDatabase {
        match backend {
            Backend::Sqlite => TestDatabase {
                url: portico_store::sqlite_url(&data_dir.join("portico.db")),
                postgres_name: None,
            },
            Backend::Postgres => {
                let name = format!("portico_it_{}", uuid_like());
                run_postgres_admin(&format!("CREATE DATABASE {name}")).await;
                let admin = postgres_admin_url();
                let base = admin
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .unwrap_or(&admin);
                TestDatabase {
                    url: format!("{base}/{name}"),
                    postgres_name: Some(name),
                }
            }
        }
    }

    pub async fn drop_database(self) {
        if let Some(name) = self.postgres_name {
            run_postgres_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }
}

async fn run_postgres_admin(statement: &str) {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .expect("PostgreSQL must be reachable at 127.0.0.1:5432 (or PORTICO_TEST_POSTGRES_URL)");
    sqlx::Executor::execute(&mut connection, statement)
        .await
        .expect("admin statement");
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| rng.sample(rand::distributions::Alphanumeric) as char)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A running Portico plus what a test needs to talk to it.
pub struct TestPortico {
    pub running: Option<Running>,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub admin_token: String,
    pub http: reqwest::Client,
}

pub fn serve_args(data_dir: &std::path::Path, database_url: &str) -> ServeArgs {
    ServeArgs {
        proxy_listen: Some("127.0.0.1:0".parse().unwrap()),
        admin_listen: Some("127.0.0.1:0".parse().unwrap()),
        portal_listen: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(data_dir.to_path_buf()),
        database_url: Some(database_url.to_owned()),
        config: None,
        portal_url: None,
        ca_file: None,
        log_format: "text".into(),
    }
}

impl TestPortico {
    pub async fn start(data_dir: &std::path::Path, database_url: &str) -> TestPortico {
        let config =
            Config::merge(&serve_args(data_dir, database_url), FileConfig::default()).unwrap();
        let running = portico::start(config).await.expect("portico starts");
        let admin_token =
            std::fs::read_to_string(data_dir.join(portico::secrets::ADMIN_TOKEN_FILE))
                .unwrap()
                .trim()
                .to_owned();
        TestPortico {
            running: Some(running),
            data_dir: data_dir.to_path_buf(),
            database_url: database_url.to_owned(),
            admin_token,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    fn running(&self) -> &Running {
        self.running.as_ref().expect("running")
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}{}", self.running().admin_addr, path)
    }

    pub fn portal_url(&self, path: &str) -> String {
        format!("http://{}{}", self.running().portal_addr, path)
    }

    #[allow(dead_code)] // used by the gateway tests
    pub fn proxy_url(&self, path: &str) -> String {
        format!("http://{}{}", self.running().proxy_addr, path)
    }

    /// Stops Portico (graceful) and starts it again on the same data dir and database.
    pub async fn restart(&mut self) {
        self.running.take().unwrap().shutdown().await.unwrap();
        let restarted = TestPortico::start(&self.data_dir, &self.database_url).await;
        self.running = restarted.running;
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.unwrap();
        }
    }

    pub async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.admin_url(path))
            .bearer_auth(&self.admin_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.unwrap()).await
    }

    pub async fn portal(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.portal_url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.unwrap()).await
    }

    /// Saves Application Setup for the emulator's tenant, as the seed's form would.
    pub async fn application_setup(&self, emulator: &Auth0Emulator) -> (StatusCode, Value) {
        let (client_id, client_secret) = emulator.management_client();
        self.admin(
            Method::PUT,
            "/v1/portal/application-setup",
            Some(json!({
                "provider_type": "auth0",
                "issuer": emulator.base_url(),
                "client_token_audience": emulator.api_audience(),
                "scopes": ["openid"],
                "consumer_claims": ["azp"],
                "initial_client_id": client_id,
                "initial_client_secret": client_secret,
            })),
        )
        .await
    }

    /// Signs a developer up and in; returns the access token.
    pub async fn developer(&self, email: &str) -> String {
        let (status, body) = self
            .portal(
                Method::POST,
                "/api/v1/developer",
                None,
                Some(json!({"email": email, "password": "correct horse battery", "full_name": "Ada Lovelace"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = self
            .portal(
                Method::POST,
                "/api/v1/developer/authenticate",
                None,
                Some(json!({"email": email, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }
}

/// An API routed at `route` to `upstream` and published, with the given strategy (`None`:
/// the portal's default); returns its id.
#[allow(dead_code)] // not every test module publishes an API
pub async fn publish_api(
    portico: &TestPortico,
    slug: &str,
    route: &str,
    upstream: std::net::SocketAddr,
    auth_strategy_id: Option<&str>,
) -> String {
    let (status, api) = portico
        .admin(
            Method::POST,
            "/v1/apis",
            Some(json!({
                "name": slug,
                "slug": slug,
                "upstream_url": format!("http://{upstream}/"),
                "routes": [{"paths": [route]}],
                "auth_strategy_id": auth_strategy_id,
                "published": true,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{api}");
    api["id"].as_str().unwrap().to_owned()
}

/// An application of the developer behind `token`, registered for `api_id`; returns the
/// creation answer (with `client_id` and the only copy of `client_secret`).
#[allow(dead_code)] // not every test module creates applications
pub async fn registered_application(
    portico: &TestPortico,
    token: &str,
    name: &str,
    api_id: &str,
) -> Value {
    let (status, created) = portico
        .portal(
            Method::POST,
            "/api/v1/applications",
            Some(token),
            Some(json!({"name": name, "redirect_uri": "https://app.example.com/callback", "description": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, registration) = portico
        .portal(
            Method::POST,
            &format!(
                "/api/v1/applications/{}/registrations",
                created["id"].as_str().unwrap()
            ),
            Some(token),
            Some(json!({"api_id": api_id})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{registration}");
    assert_eq!(registration["status"], "approved");
    created
}

/// The claims of a JWT, unverified (the gateway verifies; tests only look).
#[allow(dead_code)]
pub fn jwt_part(token: &str, index: usize) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(index).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// Polls `probe` every 50 ms until it answers true or `within` has passed; answers how long
/// it took, or `None`.
#[allow(dead_code)]
pub async fn within<Probe, Fut>(
    within: std::time::Duration,
    mut probe: Probe,
) -> Option<std::time::Duration>
where
    Probe: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    loop {
        if probe().await {
            return Some(started.elapsed());
        }
        if started.elapsed() > within {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

pub async fn emulator() -> Auth0Emulator {
    Auth0Emulator::start(EmulatorConfig::default()).await
}

/// Asks the emulator's token endpoint for a token with an application's credentials.
pub async fn token_status(
    emulator: &Auth0Emulator,
    client_id: &str,
    client_secret: &str,
) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{}/oauth/token", emulator.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("audience", &emulator.api_audience()),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

/// Polls `condition` for up to `seconds`.
pub async fn eventually(seconds: u64, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    condition()
}

/// Every log line written by any test in this binary, at debug level and above: tests check
/// that no secret they handled appears in it.
pub fn captured_logs() -> String {
    let buffer = log_buffer();
    let bytes = buffer.lock().unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn log_buffer() -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    static BUFFER: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Vec<u8>>>> =
        std::sync::OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let writer_buffer = buffer.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
                .with_ansi(false)
                .with_writer(move || LogWriter(writer_buffer.clone()))
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
            buffer
        })
        .clone()
}

/// Starts capturing logs (idempotent); call before starting Portico.
pub fn capture_logs() {
    let _ = log_buffer();
}

struct LogWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
