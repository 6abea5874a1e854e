//! Portico's clients of identity providers. Each IdP gets one implementation of the core's
//! [`DcrProvider`](portico_core::ports::DcrProvider) port (today [`Auth0Provider`]; the
//! built-in provider's logic lives in the core, which reaches its RSA keys through
//! [`RsaKeyMaker`]); [`IdpRegistry`] builds and keeps them for stored provider records;
//! [`Discovery`] reads an issuer's OpenID configuration for the gateway. The crate owns the
//! outbound HTTP client ([`http_client`]): no redirects, timeouts always set, and the retry
//! rules of [`RetryPolicy`]. It knows nothing of axum or the store.

mod auth0;
mod builtin_keys;
mod discovery;
mod http;
pub mod jwks;
mod registry;
mod retry;
pub mod token_exchange;

pub use auth0::{Auth0Provider, Auth0Settings, REQUIRED_PERMISSIONS};
pub use builtin_keys::RsaKeyMaker;
pub use discovery::{Discovery, DiscoveryDocument};
pub use http::{http_client, HttpClientConfig, HttpClientError};
pub use registry::IdpRegistry;
pub use retry::RetryPolicy;
