//! The gateway's settings, checked once and passed down.

use std::time::Duration;

use portico_idp::jwks::JwksConfig;
use portico_idp::RetryPolicy;

/// How the gateway listens, talks to upstreams and to identity providers, and caches.
///
/// The defaults suit production; tests shorten the intervals.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// How long connecting to an upstream may take (then 504).
    pub connect_timeout: Duration,
    /// How long an upstream may take to send its response head after the request was sent
    /// (then 504). The response body is streamed without a deadline.
    pub read_timeout: Duration,
    /// The largest request head (request line and headers) accepted; larger ones get 431.
    pub max_header_bytes: usize,
    /// How often the store's configuration version is polled for changes.
    pub refresh_interval: Duration,
    /// How long a client may take to send its request head before the connection is closed.
    pub header_read_timeout: Duration,
    /// How long a client may leave its request body idle before the request fails with 408.
    pub body_idle_timeout: Duration,
    /// How long an idle upstream connection stays pooled; keep it below the upstreams'
    /// own keep-alive timeout so that a pooled connection is not closed under a request.
    pub pool_idle_timeout: Duration,
    /// The most idle connections kept per upstream.
    pub pool_max_idle_per_host: usize,
    /// How long before its expiry an exchanged access token stops being reused.
    pub token_expiry_margin: Duration,
    /// How long credentials the IdP rejected are refused without asking it again.
    pub rejected_credentials_ttl: Duration,
    /// The most client-credentials exchanges per client id within `exchange_limit_window`;
    /// beyond it the gateway answers 401 without contacting the IdP.
    pub exchange_limit: u32,
    pub exchange_limit_window: Duration,
    /// Clock skew allowed on `exp` and `nbf`.
    pub leeway: Duration,
    /// When each issuer's key set is fetched again.
    pub jwks: JwksConfig,
    /// How long an issuer's discovery document is kept.
    pub discovery_ttl: Duration,
    /// Retries of discovery requests; kept short, as a request may be waiting on them.
    pub discovery_retry: RetryPolicy,
    /// The most verified bearer tokens remembered (each is verified once, then looked up).
    pub verified_token_capacity: usize,
    /// The most exchanged tokens (and rejected credentials) remembered.
    pub exchanged_token_capacity: usize,
    /// The `Retry-After` of a 503 when the IdP named no time of its own.
    pub idp_retry_after: Duration,
    /// How long a graceful shutdown waits for requests in flight before dropping them.
    pub shutdown_grace: Duration,
    /// Proxies published APIs that have no auth strategy (none of their own and no portal
    /// default) without authentication. Off by default: such an API is refused with 401,
    /// because the contract is that nothing reaches an upstream without the credentials of a
    /// registered application. Meant for benchmarks of the bare proxy.
    pub open_apis_without_strategy: bool,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(60),
            max_header_bytes: 16 * 1024,
            refresh_interval: Duration::from_millis(500),
            header_read_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(30),
            pool_idle_timeout: Duration::from_secs(30),
            pool_max_idle_per_host: 256,
            token_expiry_margin: Duration::from_secs(30),
            rejected_credentials_ttl: Duration::from_secs(30),
            exchange_limit: 5,
            exchange_limit_window: Duration::from_secs(10),
            leeway: Duration::from_secs(60),
            jwks: JwksConfig::default(),
            discovery_ttl: Duration::from_secs(3600),
            discovery_retry: RetryPolicy {
                retries: 1,
                initial_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_millis(500),
                max_rate_limit_wait: Duration::from_secs(1),
                rate_limit_budget: Duration::from_secs(2),
                default_rate_limit_wait: Duration::from_millis(500),
            },
            verified_token_capacity: 10_000,
            exchanged_token_capacity: 10_000,
            idp_retry_after: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(30),
            open_apis_without_strategy: false,
        }
    }
}
