//! An in-process double of an Auth0 tenant.
//!
//! The emulator serves, on a real TCP port, the parts of Auth0 that Portico uses:
//!
//! - `POST /oauth/token` with the `client_credentials` grant (form or JSON bodies,
//!   `client_secret_post` or HTTP Basic client authentication);
//! - `GET /.well-known/jwks.json` and `GET /.well-known/openid-configuration`;
//! - the Management API v2 for clients (`/api/v2/clients...`) and client grants
//!   (`/api/v2/client-grants...`), authenticated by the emulator's own access tokens and
//!   checked against the Management API scope table, with Auth0's rate-limit headers.
//!
//! Everything is answered with the status codes and JSON error bodies that the reference
//! contract (`shared/reference/auth0-management-api.md`) records from real tenants, so that
//! code tested against the emulator behaves the same against Auth0.
//!
//! Tests drive the emulator through [`Auth0Emulator`]: they read the seeded management
//! credentials, inspect what Portico created, count requests, and inject faults (errors,
//! rate limits, delays, outages, key rotation and clock skew).
//!
//! ```no_run
//! use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
//!
//! # async fn example() {
//! let emulator = Auth0Emulator::start(EmulatorConfig::default()).await;
//! // Point the code under test at `emulator.base_url()` with these credentials.
//! let (client_id, client_secret) = emulator.management_client();
//! # let _ = (client_id, client_secret);
//! // Make the next two client creations fail the way a struggling tenant does.
//! emulator.fail_next("POST", "/api/v2/clients", 2, 503);
//! // ... exercise the code, then inspect what reached the tenant.
//! assert_eq!(emulator.request_count("POST", "/api/v2/clients"), 2);
//! assert!(emulator.clients().is_empty());
//! # }
//! ```
//!
//! Differences from a real tenant that tests should know about: the issuer is plain
//! `http://127.0.0.1:PORT/`; only the client-credentials grant is served; the JWKS carries no
//! `x5c`/`x5t` certificate fields; the Authentication API (`/oauth/token`) is not rate limited
//! unless a test injects it; and `set_down` answers 503 where a real outage is usually a
//! connection error (use [`Auth0Emulator::stop`] for that).

mod control;
mod http_responses;
mod identifiers;
mod keys;
mod management;
mod secret;
mod server;
mod tenant;
mod token_endpoint;
mod traffic;
mod validation;
mod well_known;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

pub use traffic::RecordedRequest;

use keys::KeyRing;
use server::RunningServer;
use tenant::Tenant;
use traffic::{FaultAction, TrafficControl};

/// The scopes that Portico's own management credentials hold, and nothing more.
///
/// The seeded [`Auth0Emulator::management_client`] holds exactly these, so a test against the
/// emulator fails if Portico ever needs a scope it will not have in production.
pub const PORTICO_MANAGEMENT_SCOPES: [&str; 9] = [
    "read:client_grants",
    "create:client_grants",
    "delete:client_grants",
    "update:client_grants",
    "read:clients",
    "create:clients",
    "delete:clients",
    "update:clients",
    "update:client_keys",
];

/// Settings of an emulated tenant. `EmulatorConfig::default()` suits most tests.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Identifier (audience) of the custom API seeded at start, as Portico's gateway would use it.
    pub api_audience: String,
    /// Scopes defined on the seeded custom API. Auth0 does not check grant scopes against
    /// them in the emulator, so this is informational.
    pub api_scopes: Vec<String>,
    /// Size of the Management API token bucket (the `x-ratelimit-limit` header). Real free
    /// tenants allow bursts of 10; the default of 50 keeps tests from being flaky.
    pub rate_limit_bucket: u32,
    /// Tokens added to the Management API bucket per second. Real free tenants refill 2 per
    /// second; the default of 50 keeps tests from being flaky. Zero means the bucket never refills.
    pub rate_limit_refill_per_sec: u32,
    /// Token lifetime in seconds of the seeded APIs (the Management API and the custom API).
    /// Auth0's default is 86400.
    pub token_lifetime: u64,
    /// When true, `/oauth/token` refuses a client that authenticates with a method other than
    /// its `token_endpoint_auth_method` (Basic for a `client_secret_post` client and the other
    /// way round). Auth0's behaviour here is undocumented, so the default accepts both.
    pub strict_auth_method: bool,
    /// When true (the default), deleting a client also deletes its client grants. Set false to
    /// leave orphaned grants behind, which lets tests exercise that cleanup path.
    pub cascade_grants_on_client_delete: bool,
    /// How long a replaced client secret (rotate-secret, or PATCH of `client_secret`) keeps
    /// working at `/oauth/token`. Auth0 documents up to 30 seconds; zero makes tests deterministic.
    pub rotate_secret_grace: Duration,
    /// How long a new client secret takes before `/oauth/token` accepts it, emulating Auth0's
    /// slow secret propagation. The old secret keeps working meanwhile. Zero by default.
    pub secret_propagation_delay: Duration,
    /// The tenant's default audience, used by `/oauth/token` when the request names none.
    /// Auth0 tenants have none unless configured, which yields a 403.
    pub default_audience: Option<String>,
    /// The tenant name reported in the `tenant` field of client objects.
    pub tenant_name: String,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            api_audience: "https://api.portico.test".to_owned(),
            api_scopes: Vec::new(),
            rate_limit_bucket: 50,
            rate_limit_refill_per_sec: 50,
            token_lifetime: 86_400,
            strict_auth_method: false,
            cascade_grants_on_client_delete: true,
            rotate_secret_grace: Duration::ZERO,
            secret_propagation_delay: Duration::ZERO,
            default_audience: None,
            tenant_name: "portico-emulator".to_owned(),
        }
    }
}

/// A running emulated Auth0 tenant listening on a loopback port.
///
/// The tenant's state (clients, grants, keys, recorded requests) lives as long as this value,
/// across [`Auth0Emulator::stop`] and [`Auth0Emulator::restart`], so tests can take the tenant
/// away and bring it back on the same port. Dropping the value stops the listener.
pub struct Auth0Emulator {
    shared: Arc<Shared>,
    listen_address: SocketAddr,
    server: Option<RunningServer>,
}

impl std::fmt::Debug for Auth0Emulator {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The seeded management secrets live in the shared state, so it is deliberately left out.
        formatter
            .debug_struct("Auth0Emulator")
            .field("base_url", &self.shared.base_url)
            .field("running", &self.server.is_some())
            .finish_non_exhaustive()
    }
}

impl Auth0Emulator {
    /// Starts an emulator on 127.0.0.1 with an ephemeral port.
    ///
    /// # Panics
    /// Panics when the loopback address cannot be bound, which only happens on a broken host.
    pub async fn start(config: EmulatorConfig) -> Auth0Emulator {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
    }

    /// Starts an emulator on a given address (port 0 picks an ephemeral port).
    ///
    /// # Panics
    /// Panics when the address cannot be bound; use [`Auth0Emulator::try_start_on`] to handle that.
    pub async fn start_on(address: SocketAddr, config: EmulatorConfig) -> Auth0Emulator {
        match Self::try_start_on(address, config).await {
            Ok(emulator) => emulator,
            Err(error) => panic!("the Auth0 emulator could not listen on {address}: {error}"),
        }
    }

    /// Starts an emulator on a given address, reporting a bind failure instead of panicking.
    pub async fn try_start_on(
        address: SocketAddr,
        config: EmulatorConfig,
    ) -> std::io::Result<Auth0Emulator> {
        let listener = tokio::net::TcpListener::bind(address).await?;
        let bound_address = listener.local_addr()?;
        let base_url = format!("http://{}", reachable_address(bound_address));
        // Generating a 2048-bit RSA key takes a noticeable fraction of a second, so it runs on
        // the blocking pool instead of stalling the runtime's worker.
        let keys = tokio::task::spawn_blocking(KeyRing::generate)
            .await
            .expect("RSA key generation panicked");
        let tenant = Tenant::seeded(&config, &base_url, keys);
        let traffic =
            TrafficControl::new(config.rate_limit_bucket, config.rate_limit_refill_per_sec);
        let shared = Arc::new(Shared {
            config,
            base_url,
            tenant: Mutex::new(tenant),
            traffic: Mutex::new(traffic),
            recorded_requests: Mutex::new(Vec::new()),
            down: AtomicBool::new(false),
            clock_offset_secs: AtomicI64::new(0),
        });
        let server = RunningServer::spawn(listener, shared.clone());
        Ok(Auth0Emulator {
            shared,
            listen_address: bound_address,
            server: Some(server),
        })
    }

    /// The tenant's base URL, for example `http://127.0.0.1:40123` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The token issuer, the base URL **with** a trailing slash, exactly as Auth0 writes `iss`.
    pub fn issuer(&self) -> String {
        self.shared.issuer()
    }

    /// The Management API audience, `<issuer>api/v2/`.
    pub fn management_audience(&self) -> String {
        self.shared.management_audience()
    }

    /// The identifier of the seeded custom API (from [`EmulatorConfig::api_audience`]).
    pub fn api_audience(&self) -> String {
        self.shared.config.api_audience.clone()
    }

    /// The seeded management client as `(client_id, client_secret)`. Its grant on the
    /// Management API holds exactly [`PORTICO_MANAGEMENT_SCOPES`].
    pub fn management_client(&self) -> (String, String) {
        self.seeded_credentials(|tenant| &tenant.management_client_id)
    }

    /// A seeded management client holding every Management API scope, including
    /// `read:client_keys`, for tests that need to read secrets back.
    pub fn full_management_client(&self) -> (String, String) {
        self.seeded_credentials(|tenant| &tenant.full_management_client_id)
    }

    /// Creates another machine-to-machine client authorized for the Management API with
    /// exactly `scopes`, for tests of missing permissions. Returns `(client_id, client_secret)`.
    pub fn add_management_client(&self, scopes: &[&str]) -> (String, String) {
        let management_audience = self.management_audience();
        let mut tenant = self.shared.lock_tenant();
        tenant.add_machine_to_machine_client(
            "Extra management client (emulator)",
            &management_audience,
            scopes,
            true,
        )
    }

    /// Creates an ordinary machine-to-machine client (as if a developer registered it) with a
    /// grant on `audience` for `scopes`. It shows up in [`Auth0Emulator::clients`].
    /// Returns `(client_id, client_secret)`.
    pub fn add_machine_to_machine_client(
        &self,
        name: &str,
        audience: &str,
        scopes: &[&str],
    ) -> (String, String) {
        let mut tenant = self.shared.lock_tenant();
        tenant.add_machine_to_machine_client(name, audience, scopes, false)
    }

    /// Defines (or redefines) an API (resource server) that clients can be granted.
    pub fn add_resource_server(&self, identifier: &str, scopes: &[&str], token_lifetime: u64) {
        let mut tenant = self.shared.lock_tenant();
        tenant.upsert_resource_server(tenant::ResourceServer {
            identifier: identifier.to_owned(),
            scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
            token_lifetime,
            include_permissions_claim: false,
        });
    }

    /// Turns on RBAC with "Add Permissions in the Access Token" for an API: its tokens then
    /// carry a `permissions` array repeating the granted scopes. Does nothing for an unknown API.
    pub fn enable_permissions_claim(&self, identifier: &str) {
        let mut tenant = self.shared.lock_tenant();
        if let Some(resource_server) = tenant.resource_server_mut(identifier) {
            resource_server.include_permissions_claim = true;
        }
    }

    /// All clients except the seeded management ones, as Auth0 would return them to a caller
    /// holding `read:client_keys` (so **with** `client_secret`).
    pub fn clients(&self) -> Vec<Value> {
        let tenant = self.shared.lock_tenant();
        tenant
            .clients
            .iter()
            .filter(|client| !client.seeded_for_management)
            .map(|client| client.to_wire(&tenant.tenant_name, true))
            .collect()
    }

    /// One client (management clients included) with its `client_secret`, if it exists.
    pub fn client(&self, client_id: &str) -> Option<Value> {
        let tenant = self.shared.lock_tenant();
        tenant
            .client(client_id)
            .map(|client| client.to_wire(&tenant.tenant_name, true))
    }

    /// Every API (resource server) of the tenant, the Management API included, in the shape
    /// of Auth0's `/api/v2/resource-servers` objects.
    pub fn resource_servers(&self) -> Vec<Value> {
        let tenant = self.shared.lock_tenant();
        tenant
            .resource_servers
            .iter()
            .map(tenant::ResourceServer::to_wire)
            .collect()
    }

    /// All client grants except those of the seeded management clients, in creation order.
    pub fn client_grants(&self) -> Vec<Value> {
        let tenant = self.shared.lock_tenant();
        tenant
            .grants
            .iter()
            .filter(|grant| !tenant.is_management_seed(&grant.client_id))
            .map(tenant::GrantRecord::to_wire)
            .collect()
    }

    /// How many requests the emulator has seen with this method (`"*"` for any) whose path
    /// starts with `path_prefix`, for example `("POST", "/oauth/token")`.
    pub fn request_count(&self, method: &str, path_prefix: &str) -> usize {
        self.shared
            .lock_recorded_requests()
            .iter()
            .filter(|request| {
                traffic::request_matches(method, path_prefix, &request.method, &request.path)
            })
            .count()
    }

    /// Every request seen so far, oldest first, with `client_secret` values redacted.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock_recorded_requests().clone()
    }

    /// Forgets the recorded requests, so a test can count only what follows.
    pub fn clear_requests(&self) {
        self.shared.lock_recorded_requests().clear();
    }

    /// Makes the next `n` requests matching `method` (exact, or `"*"`) and `path_prefix` fail
    /// with `status` and the error body Auth0 uses for that status.
    pub fn fail_next(&self, method: &str, path_prefix: &str, n: usize, status: u16) {
        self.shared
            .lock_traffic()
            .add_rule(method, path_prefix, n, FaultAction::Fail { status });
    }

    /// Lets the next `n` matching requests take effect, then answers each with `status`
    /// instead of the real answer: the caller cannot know that it succeeded.
    pub fn lose_response_next(&self, method: &str, path_prefix: &str, n: usize, status: u16) {
        self.shared.lock_traffic().add_rule(
            method,
            path_prefix,
            n,
            FaultAction::LoseResponse { status },
        );
    }

    /// Makes the next `n` matching requests answer 429 with `Retry-After: retry_after_secs`
    /// and the `x-ratelimit-*` headers, independently of the real token bucket.
    pub fn rate_limit_next(
        &self,
        method: &str,
        path_prefix: &str,
        n: usize,
        retry_after_secs: u64,
    ) {
        self.shared.lock_traffic().add_rule(
            method,
            path_prefix,
            n,
            FaultAction::RateLimit { retry_after_secs },
        );
    }

    /// Delays the next `n` matching requests by `delay` before they are answered normally
    /// (or by whatever other fault applies to them).
    pub fn delay_next(&self, method: &str, path_prefix: &str, n: usize, delay: Duration) {
        self.shared
            .lock_traffic()
            .add_rule(method, path_prefix, n, FaultAction::Delay(delay));
    }

    /// While `down` is true every request is answered 503 with Auth0's error body.
    ///
    /// A real outage is usually a connection error or a timeout rather than a polite 503;
    /// tests that want those should call [`Auth0Emulator::stop`] (and later
    /// [`Auth0Emulator::restart`]) or [`Auth0Emulator::shutdown`] instead.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    /// Replaces the signing key with a new one (new `kid`). With `keep_old_published` the old
    /// public key stays in the JWKS, as during Auth0's rotation window, so tokens it signed
    /// still verify; without it, those tokens stop verifying everywhere, the emulator included.
    pub fn rotate_signing_key(&self, keep_old_published: bool) {
        // Key generation happens outside the lock so concurrent requests are not stalled.
        let new_key = keys::SigningKey::generate();
        self.shared
            .lock_tenant()
            .keys
            .install(new_key, keep_old_published);
    }

    /// Shifts the emulator's notion of "now" by `secs` (negative goes back). It applies to the
    /// `iat`/`exp` of issued tokens, to the expiry check of Management API tokens and to
    /// secret grace periods, so a test can make tokens expire without waiting.
    pub fn set_clock_offset(&self, secs: i64) {
        self.shared.clock_offset_secs.store(secs, Ordering::SeqCst);
    }

    /// The JSON Web Key Set currently published at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Value {
        self.shared.lock_tenant().keys.jwks()
    }

    /// Signs arbitrary claims with the current key (RS256, current `kid`), for negative
    /// gateway tests such as wrong audience, wrong issuer or expired tokens.
    pub fn sign_token(&self, claims: &Value) -> String {
        self.shared.lock_tenant().keys.sign_rs256(claims)
    }

    /// Signs claims under a header naming `algorithm` and `kid` (no `kid` when `None`).
    ///
    /// `"RS256"` signs with the current private key, `"HS256"` signs with HMAC keyed by the
    /// current public key in PEM form (the classic algorithm-confusion attack), `"none"` leaves
    /// the signature empty, and any other value carries an RS256 signature under a lying header.
    pub fn sign_token_with_header(
        &self,
        claims: &Value,
        algorithm: &str,
        kid: Option<&str>,
    ) -> String {
        self.shared
            .lock_tenant()
            .keys
            .sign_with_header(claims, algorithm, kid)
    }

    /// Whether the emulator is currently listening.
    pub fn is_running(&self) -> bool {
        self.server.is_some()
    }

    /// Stops listening (the port is freed and open connections are closed) while keeping the
    /// tenant's state, so [`Auth0Emulator::restart`] can bring the same tenant back.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }

    /// Listens again on the same address with the same state (clients, grants, keys,
    /// recorded requests). Stops first if still running.
    ///
    /// # Panics
    /// Panics when the port cannot be bound again within a few seconds (something else took it).
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut last_error = None;
        for _attempt in 0..100 {
            match tokio::net::TcpListener::bind(self.listen_address).await {
                Ok(listener) => {
                    self.server = Some(RunningServer::spawn(listener, self.shared.clone()));
                    return;
                }
                Err(error) => {
                    last_error = Some(error);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        panic!(
            "the Auth0 emulator could not listen on {} again: {:?}",
            self.listen_address, last_error
        );
    }

    /// Stops listening for good and frees the port.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    fn seeded_credentials(&self, pick: impl Fn(&Tenant) -> &String) -> (String, String) {
        let tenant = self.shared.lock_tenant();
        let client_id = pick(&tenant).clone();
        let client = tenant
            .client(&client_id)
            .expect("a seeded management client was deleted through the Management API");
        (client_id, client.secret.expose().to_owned())
    }
}

impl Drop for Auth0Emulator {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.signal_stop();
        }
    }
}

/// Derives the address that clients should use: a wildcard bind address is not reachable as
/// such, so the loopback address of the same family stands in for it.
fn reachable_address(bound_address: SocketAddr) -> SocketAddr {
    let host = match bound_address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(host, bound_address.port())
}

/// State shared by the HTTP handlers and the test-facing handle.
pub(crate) struct Shared {
    pub(crate) config: EmulatorConfig,
    pub(crate) base_url: String,
    pub(crate) tenant: Mutex<Tenant>,
    pub(crate) traffic: Mutex<TrafficControl>,
    pub(crate) recorded_requests: Mutex<Vec<RecordedRequest>>,
    pub(crate) down: AtomicBool,
    pub(crate) clock_offset_secs: AtomicI64,
}

impl Shared {
    pub(crate) fn issuer(&self) -> String {
        format!("{}/", self.base_url)
    }

    pub(crate) fn management_audience(&self) -> String {
        format!("{}/api/v2/", self.base_url)
    }

    /// The emulator's "now" in milliseconds since the epoch, including the test clock offset.
    pub(crate) fn now_millis(&self) -> i64 {
        let real_millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis() as i64)
            .unwrap_or(0);
        real_millis + self.clock_offset_secs.load(Ordering::SeqCst) * 1000
    }

    /// The emulator's "now" in whole seconds since the epoch, including the test clock offset.
    pub(crate) fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    // A panic inside a handler must not make every later test assertion panic too, so a
    // poisoned lock is simply taken over: the state is plain data and stays consistent.
    pub(crate) fn lock_tenant(&self) -> MutexGuard<'_, Tenant> {
        self.tenant
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn lock_traffic(&self) -> MutexGuard<'_, TrafficControl> {
        self.traffic
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn lock_recorded_requests(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        self.recorded_requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
