//! The OpenID Connect discovery document of an issuer, fetched once and kept for a while.

use std::sync::Arc;
use std::time::{Duration, Instant};

use portico_core::ports::IdpError;
use portico_core::Issuer;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::retry::{self, Repeat, RetryPolicy};

/// The parts of `{issuer}/.well-known/openid-configuration` that Portico uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DiscoveryDocument {
    /// As the issuer writes it (Auth0 adds a trailing slash).
    pub issuer: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

/// Fetches and caches one issuer's discovery document; the gateway asks it for the token
/// endpoint and the JWKS address. The document is checked to name the configured issuer.
pub struct Discovery {
    http: reqwest::Client,
    issuer: Issuer,
    retry: RetryPolicy,
    time_to_live: Duration,
    cached: Mutex<Option<(Instant, Arc<DiscoveryDocument>)>>,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovery")
            .field("issuer", &self.issuer)
            .field("time_to_live", &self.time_to_live)
            .finish_non_exhaustive()
    }
}

impl Discovery {
    /// Keeps the document for an hour.
    pub fn new(http: reqwest::Client, issuer: Issuer, retry: RetryPolicy) -> Self {
        Self {
            http,
            issuer,
            retry,
            time_to_live: Duration::from_secs(3600),
            cached: Mutex::new(None),
        }
    }

    pub fn with_time_to_live(mut self, time_to_live: Duration) -> Self {
        self.time_to_live = time_to_live;
        self
    }

    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// `{issuer}/.well-known/openid-configuration`.
    pub fn url(&self) -> String {
        discovery_url(&self.issuer)
    }

    /// The cached document, or a fresh one once the cache has expired. Concurrent callers
    /// share one fetch.
    pub async fn document(&self) -> Result<Arc<DiscoveryDocument>, IdpError> {
        let mut cached = self.cached.lock().await;
        if let Some((fetched_at, document)) = cached.as_ref() {
            if fetched_at.elapsed() < self.time_to_live {
                return Ok(document.clone());
            }
        }
        let document = Arc::new(
            fetch_document(&self.http, &self.retry, &self.issuer)
                .await
                .map_err(DiscoveryError::into_idp_error)?,
        );
        *cached = Some((Instant::now(), document.clone()));
        Ok(document)
    }

    /// Forgets the cached document, for example after a token failed to validate against keys
    /// that may have moved.
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }
}

pub(crate) fn discovery_url(issuer: &Issuer) -> String {
    issuer.join(".well-known/openid-configuration")
}

/// Why the discovery document could not be used; each case has its own advice.
#[derive(Debug, Clone)]
pub(crate) enum DiscoveryError {
    Unreachable { url: String, reason: String },
    Status { url: String, status: u16 },
    Invalid { url: String, reason: String },
    IssuerMismatch { configured: String, found: String },
}

impl DiscoveryError {
    /// A sentence a person can act on.
    pub(crate) fn message(&self) -> String {
        match self {
            DiscoveryError::Unreachable { url, reason } => {
                format!("could not reach the issuer at {url}: {reason}")
            }
            DiscoveryError::Status { url, status } => format!(
                "could not read the issuer's discovery document at {url}: it answered {}; check the Issuer URL",
                status_text(*status)
            ),
            DiscoveryError::Invalid { url, reason } => format!(
                "the issuer's discovery document at {url} is not a valid OpenID configuration: {reason}"
            ),
            DiscoveryError::IssuerMismatch { configured, found } => format!(
                "the issuer's discovery document names the issuer {found}, not the configured {configured}; set the Issuer URL to {found}"
            ),
        }
    }

    fn into_idp_error(self) -> IdpError {
        let message = self.message();
        match self {
            DiscoveryError::Unreachable { .. } => IdpError::Unavailable(message),
            DiscoveryError::Status { status, .. } if status >= 500 => {
                IdpError::Unavailable(message)
            }
            DiscoveryError::Status { status, .. } => IdpError::Rejected {
                status,
                code: None,
                message,
            },
            DiscoveryError::Invalid { .. } | DiscoveryError::IssuerMismatch { .. } => {
                IdpError::InvalidResponse(message)
            }
        }
    }
}

pub(crate) async fn fetch_document(
    http: &reqwest::Client,
    retry: &RetryPolicy,
    issuer: &Issuer,
) -> Result<DiscoveryDocument, DiscoveryError> {
    let url = discovery_url(issuer);
    let response = retry::send(retry, Repeat::Safe, "the discovery request", || {
        http.get(&url).header("accept", "application/json")
    })
    .await
    .map_err(|error| DiscoveryError::Unreachable {
        url: url.clone(),
        reason: match error {
            IdpError::Unavailable(reason) => reason,
            other => other.to_string(),
        },
    })?;
    let status = response.status();
    if !status.is_success() {
        return Err(DiscoveryError::Status {
            url,
            status: status.as_u16(),
        });
    }
    let body = response
        .bytes()
        .await
        .map_err(|error| DiscoveryError::Unreachable {
            url: url.clone(),
            reason: retry::describe(&error),
        })?;
    let document: DiscoveryDocument = serde_json::from_slice(&body).map_err(|error| {
        tracing::debug!(%url, body = %String::from_utf8_lossy(&body[..body.len().min(2048)]), "unparseable discovery document");
        DiscoveryError::Invalid {
            url: url.clone(),
            reason: error.to_string(),
        }
    })?;
    if !issuer.matches(&document.issuer) {
        return Err(DiscoveryError::IssuerMismatch {
            configured: issuer.as_str().to_owned(),
            found: document.issuer,
        });
    }
    Ok(document)
}

fn status_text(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}
