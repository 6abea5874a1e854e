//! Portico's data plane: the proxy listener that lets a request reach an API's upstream only
//! with valid credentials of an application holding an approved registration for that API
//! (product spec section 5).
//!
//! # The pipeline
//!
//! Every request runs the same phases, in this order, filling one per-request context
//! (`context::RequestContext`):
//!
//! 0. **Accept** (hyper, HTTP/1.1): a request head larger than
//!    [`GatewayConfig::max_header_bytes`] is answered 431 (414 for an overlong URI) and one
//!    not sent within `header_read_timeout` closes the connection. The request id is taken
//!    from a sane incoming `X-Request-Id` or generated, and echoed in every response.
//! 1. **Route**: the longest route prefix of a published API that allows the method; a prefix
//!    matches on segment boundaries (`/echo` matches `/echo` and `/echo/x`, not `/echoes`).
//!    Paths with `.`/`..` segments are refused (400). No match: 404.
//! 2. **Authenticate** (per the API's strategy, its own or the portal's default): `Basic`
//!    credentials (base64 or the literal `id:secret`) exchanged for a token, or a `Bearer`
//!    JWT, both validated against the issuer's keys. Missing: 401; refused: 401 with
//!    `error="invalid_token"`; IdP unavailable: 503 with `Retry-After`. An API that follows
//!    the portal's default also takes credentials of applications made under an earlier
//!    default (a Basic client id of another strategy's application, or a token of another
//!    strategy's issuer), each verified by the strategy that made them.
//! 3. **Authorize**: the first `credential_claim` names the client id, which must be an
//!    application (else 401) with an approved registration for the API (else 403).
//! 4. **Limit**: no request rate limits yet; the limit on token exchanges per client id is
//!    part of authentication.
//! 5. **Upstream request**: hop-by-hop headers removed; `X-Forwarded-For` appended,
//!    `X-Forwarded-Proto` and `-Host` set; `Authorization: Bearer <access token>` and the
//!    `X-Application-Id`, `-Name`, `X-Developer-Id`, `X-Client-Id`, `X-Request-Id` headers set
//!    by the gateway (incoming copies removed). Sent over pooled keep-alive connections with
//!    the body streamed; connection refused: 502; connect or response-head timeout: 504; a
//!    client body left idle: 408.
//! 6. **Response filter**: hop-by-hop headers removed, `X-Request-Id` added, body streamed.
//!
//! Refusals are `application/problem+json` whose `instance` is the request id; the reason
//! is logged with the request id (at info for the client's faults, warn for the others),
//! never with a secret or a token.
//!
//! # State and caches
//!
//! - The **snapshot**: everything read from the store (routes, strategies, applications by
//!   client id with their approved APIs), rebuilt when `Store::config_version` changes (polled
//!   every `refresh_interval`) and swapped whole; a request keeps the snapshot it started
//!   with. When an application disappears or its `updated_at` changes (a regenerated secret),
//!   every cached exchange of its client id is dropped at the swap.
//! - Per issuer: the discovery document and the JWKS cache ([`portico_idp::jwks`]).
//! - **Verified bearer tokens**, keyed by SHA-256 of issuer, audience and token; bounded;
//!   expiry and key rechecked on every hit.
//! - **Token exchanges**, keyed by SHA-256 of issuer, audience, client id and secret (never
//!   the secret itself): tokens until `token_expiry_margin` before they expire; one exchange
//!   in flight per key (single-flight); IdP rejections remembered for
//!   `rejected_credentials_ttl`; at most `exchange_limit` exchanges per client id per
//!   `exchange_limit_window`, beyond which the IdP is not asked: the answer is 401 when the
//!   client id's last exchange was rejected (a correct secret needs one exchange per token
//!   lifetime, so only a client guessing secrets gets there, and the 401 tells it nothing it
//!   did not know), and 503 with `Retry-After` when the IdP was failing, so that an outage
//!   never turns into 401s. IdP failures (unreachable, 5xx, 429) give 503 and are not
//!   remembered as rejections.

mod auth;
mod cache;
mod config;
mod context;
mod error;
mod gateway;
mod issuers;
mod server;
mod snapshot;
mod upstream;

pub use config::GatewayConfig;
pub use error::{GatewayError, Party, RequestError, RequestErrorKind};
pub use gateway::{Gateway, ResponseBody};
