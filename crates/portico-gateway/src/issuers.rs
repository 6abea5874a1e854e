//! One client per issuer: its discovery document and its key set, shared by every strategy
//! and every snapshot that names the issuer, so that a configuration change does not throw
//! away fetched keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use portico_core::ports::IdpError;
use portico_core::Issuer;
use portico_idp::jwks::{JwksCache, JwksConfig};
use portico_idp::{Discovery, RetryPolicy};

pub(crate) struct IssuerClient {
    discovery: Arc<Discovery>,
    pub jwks: Arc<JwksCache>,
    /// The last token endpoint the discovery document named, used while the document
    /// cannot be fetched again.
    last_token_endpoint: Mutex<Option<Arc<str>>>,
}

impl IssuerClient {
    pub fn issuer(&self) -> &portico_core::Issuer {
        self.discovery.issuer()
    }

    /// The token endpoint from the discovery document (or the last one known).
    pub async fn token_endpoint(&self) -> Result<Arc<str>, IdpError> {
        match self.discovery.document().await {
            Ok(document) => {
                let endpoint: Arc<str> = Arc::from(document.token_endpoint.as_str());
                *self
                    .last_token_endpoint
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(endpoint.clone());
                Ok(endpoint)
            }
            Err(error) => {
                let last = self
                    .last_token_endpoint
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .clone();
                last.ok_or(error)
            }
        }
    }
}

pub(crate) struct IssuerRegistry {
    http: reqwest::Client,
    jwks_config: JwksConfig,
    discovery_ttl: std::time::Duration,
    discovery_retry: RetryPolicy,
    clients: Mutex<HashMap<String, Arc<IssuerClient>>>,
}

impl IssuerRegistry {
    pub fn new(
        http: reqwest::Client,
        jwks_config: JwksConfig,
        discovery_ttl: std::time::Duration,
        discovery_retry: RetryPolicy,
    ) -> Self {
        Self {
            http,
            jwks_config,
            discovery_ttl,
            discovery_retry,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The issuer's client; a new one starts fetching the key set at once in the background,
    /// so that the first token does not wait for it.
    pub fn client_for(&self, issuer: &Issuer) -> Arc<IssuerClient> {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = clients.get(issuer.as_str()) {
            return client.clone();
        }
        let discovery = Arc::new(
            Discovery::new(
                self.http.clone(),
                issuer.clone(),
                self.discovery_retry.clone(),
            )
            .with_time_to_live(self.discovery_ttl),
        );
        let jwks = Arc::new(JwksCache::new(
            self.http.clone(),
            discovery.clone(),
            self.jwks_config.clone(),
        ));
        let client = Arc::new(IssuerClient {
            discovery,
            jwks: jwks.clone(),
            last_token_endpoint: Mutex::new(None),
        });
        clients.insert(issuer.as_str().to_owned(), client.clone());
        let issuer = issuer.clone();
        tokio::spawn(async move {
            if let Err(error) = jwks.refresh().await {
                tracing::warn!(%issuer, %error, "could not fetch the issuer's key set yet; it is fetched again on first use");
            }
        });
        client
    }
}
