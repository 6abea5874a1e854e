//! Turns stored DCR provider records into live providers, keeping them between calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use portico_core::id::DcrProviderId;
use portico_core::model::{self, DcrConfig, ProviderType};
use portico_core::ports::{
    ClientRequest, CreateError, DcrProvider, DcrProviderFactory, IdpError, IssuedClient,
    Verification,
};
use portico_core::SecretString;
use time::OffsetDateTime;

use crate::auth0::{Auth0Provider, Auth0Settings};
use crate::retry::RetryPolicy;

/// The [`DcrProviderFactory`] the binary wires in: one [`Auth0Provider`] per Auth0 record,
/// kept until the record's `updated_at` changes so that its management token is reused,
/// and the built-in IdP when one is registered.
pub struct IdpRegistry {
    http: reqwest::Client,
    retry: RetryPolicy,
    builtin: Option<Arc<dyn DcrProvider>>,
    built: Mutex<HashMap<DcrProviderId, Built>>,
}

struct Built {
    updated_at: OffsetDateTime,
    provider: Arc<dyn DcrProvider>,
}

impl std::fmt::Debug for IdpRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpRegistry")
            .field("retry", &self.retry)
            .field("has_builtin", &self.builtin.is_some())
            .finish_non_exhaustive()
    }
}

impl IdpRegistry {
    pub fn new(http: reqwest::Client, retry: RetryPolicy) -> Self {
        Self {
            http,
            retry,
            builtin: None,
            built: Mutex::new(HashMap::new()),
        }
    }

    /// The provider that serves records of type `builtin`.
    pub fn with_builtin(mut self, builtin: Arc<dyn DcrProvider>) -> Self {
        self.builtin = Some(builtin);
        self
    }

    fn build(
        &self,
        provider: &model::DcrProvider,
        initial_client_secret: Option<SecretString>,
    ) -> Arc<dyn DcrProvider> {
        match (provider.provider_type, &provider.dcr_config) {
            (
                ProviderType::Auth0,
                DcrConfig::Auth0 {
                    initial_client_id,
                    initial_client_audience,
                    ..
                },
            ) => match initial_client_secret {
                Some(secret) => Arc::new(Auth0Provider::new(
                    self.http.clone(),
                    Auth0Settings {
                        issuer: provider.issuer.clone(),
                        initial_client_id: initial_client_id.clone(),
                        initial_client_secret: secret,
                        initial_client_audience: initial_client_audience.clone(),
                    },
                    self.retry.clone(),
                )),
                None => Arc::new(UnusableProvider::new(
                    500,
                    "the Auth0 provider has no initial client secret; enter it again in Application Setup",
                )),
            },
            (ProviderType::Builtin, DcrConfig::Builtin) => match &self.builtin {
                Some(builtin) => builtin.clone(),
                None => Arc::new(UnusableProvider::new(
                    501,
                    "the built-in identity provider is not available",
                )),
            },
            (provider_type, _) => Arc::new(UnusableProvider::new(
                500,
                format!(
                    "the DCR provider is stored as type {} with settings of another type",
                    provider_type.as_str()
                ),
            )),
        }
    }
}

impl DcrProviderFactory for IdpRegistry {
    fn provider(
        &self,
        provider: &model::DcrProvider,
        initial_client_secret: Option<SecretString>,
    ) -> Arc<dyn DcrProvider> {
        // A poisoned lock only means another thread panicked while inserting; the map is
        // still a valid cache.
        let mut built = self
            .built
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(existing) = built.get(&provider.id) {
            if existing.updated_at == provider.updated_at {
                return existing.provider.clone();
            }
        }
        // Without its secret an Auth0 record builds a provider that only reports the fact;
        // that one is not kept, so the next call with the secret builds the real one.
        let keep = provider.provider_type != ProviderType::Auth0 || initial_client_secret.is_some();
        let fresh = self.build(provider, initial_client_secret);
        if !keep {
            return fresh;
        }
        built.insert(
            provider.id,
            Built {
                updated_at: provider.updated_at,
                provider: fresh.clone(),
            },
        );
        fresh
    }
}

/// A provider that cannot work, answering every call with the same explicit error instead of
/// panicking: the built-in IdP before one is registered, or a record missing its secret.
#[derive(Debug, Clone)]
struct UnusableProvider {
    status: u16,
    message: String,
}

impl UnusableProvider {
    fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn error(&self) -> IdpError {
        IdpError::Rejected {
            status: self.status,
            code: None,
            message: self.message.clone(),
        }
    }
}

#[async_trait]
impl DcrProvider for UnusableProvider {
    async fn verify(&self) -> Verification {
        Verification {
            errors: vec![self.message.clone()],
        }
    }

    async fn create_client(&self, _request: &ClientRequest) -> Result<IssuedClient, CreateError> {
        Err(self.error().into())
    }

    async fn update_client(
        &self,
        _client_id: &str,
        _request: &ClientRequest,
    ) -> Result<(), IdpError> {
        Err(self.error())
    }

    async fn rotate_secret(&self, _client_id: &str) -> Result<SecretString, IdpError> {
        Err(self.error())
    }

    async fn delete_client(&self, _client_id: &str) -> Result<(), IdpError> {
        Err(self.error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_core::{EncryptedSecret, Issuer};

    fn record(provider_type: ProviderType) -> model::DcrProvider {
        let now = OffsetDateTime::now_utc();
        model::DcrProvider {
            id: DcrProviderId::new(),
            name: "tenant".into(),
            provider_type,
            issuer: Issuer::parse("https://tenant.example").unwrap(),
            dcr_config: match provider_type {
                ProviderType::Auth0 => DcrConfig::Auth0 {
                    initial_client_id: "initial".into(),
                    initial_client_secret: EncryptedSecret(vec![0; 40]),
                    initial_client_audience: None,
                },
                ProviderType::Builtin => DcrConfig::Builtin,
            },
            created_at: now,
            updated_at: now,
        }
    }

    fn registry() -> IdpRegistry {
        IdpRegistry::new(reqwest::Client::new(), RetryPolicy::fast())
    }

    #[test]
    fn providers_are_kept_until_the_record_changes() {
        let registry = registry();
        let mut provider = record(ProviderType::Auth0);
        let first = registry.provider(&provider, Some(SecretString::new("s")));
        let again = registry.provider(&provider, Some(SecretString::new("s")));
        assert!(Arc::ptr_eq(&first, &again));

        provider.updated_at += time::Duration::seconds(1);
        let rebuilt = registry.provider(&provider, Some(SecretString::new("s2")));
        assert!(!Arc::ptr_eq(&first, &rebuilt));
    }

    #[tokio::test]
    async fn builtin_without_a_registered_provider_says_so() {
        let provider = registry().provider(&record(ProviderType::Builtin), None);
        match provider.delete_client("x").await {
            Err(IdpError::Rejected {
                status, message, ..
            }) => {
                assert_eq!(status, 501);
                assert_eq!(message, "the built-in identity provider is not available");
            }
            other => panic!("expected a 501 rejection, got {other:?}"),
        }
        assert!(!provider.verify().await.is_success());
        assert!(provider.rotate_secret("x").await.is_err());
    }

    #[tokio::test]
    async fn builtin_calls_go_to_the_registered_provider() {
        let builtin: Arc<dyn DcrProvider> = Arc::new(UnusableProvider::new(
            418,
            "the registered built-in provider",
        ));
        let registry = registry().with_builtin(builtin.clone());
        let provider = registry.provider(&record(ProviderType::Builtin), None);
        assert!(Arc::ptr_eq(&provider, &builtin));
    }

    #[tokio::test]
    async fn an_auth0_record_without_its_secret_fails_explicitly() {
        let provider = registry().provider(&record(ProviderType::Auth0), None);
        let verification = provider.verify().await;
        assert!(verification.errors[0].contains("no initial client secret"));
    }
}
