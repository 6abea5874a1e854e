//! The use cases. [`Portico`] holds the ports and is shared by every surface (JSON APIs,
//! HTML pages, background workers), so that each rule lives in one place.

mod accounts;
mod applications;
mod builtin_idp;
mod catalog;
mod deletions;
mod setup;

use std::sync::Arc;

pub use accounts::{SignIn, SignUp, SESSION_LIFETIME_SECS};
pub use applications::{ApplicationChanges, CreatedApplication, NewApplication};
pub use builtin_idp::{
    BuiltinIdp, OAuthError, OAuthErrorCode, Rotation, SigningKeys, TokenRequest, TokenResponse,
    BUILTIN_NAME, CLIENT_ID_LENGTH, DEFAULT_BUILTIN_AUDIENCE, KEY_RELOAD_AFTER, SIGNING_ALGORITHM,
    TOKEN_LIFETIME_SECS,
};
pub use catalog::{
    ApiChanges, AuthStrategyChanges, DcrProviderChanges, NewApi, NewAuthStrategy, NewDcrProvider,
    OpenIdConnectInput, SettingsChanges,
};
pub use deletions::DELETION_BACKOFF_CAP_SECS;
pub use setup::{ApplicationSetup, ApplicationSetupInput, SavedApplicationSetup};

use crate::error::{CoreError, CoreResult};
use crate::model::{AuthStrategy, DcrConfig, DcrProvider};
use crate::ports::{self, Clock, DcrProviderFactory, Store};
use crate::secret::SecretCipher;

/// Everything the use cases need, wired once by the binary.
#[derive(Clone)]
pub struct Portico {
    store: Arc<dyn Store>,
    providers: Arc<dyn DcrProviderFactory>,
    clock: Arc<dyn Clock>,
    cipher: SecretCipher,
    sign_in_limiter: Arc<accounts::SignInLimiter>,
    builtin_idp: Option<Arc<BuiltinIdp>>,
}

impl Portico {
    pub fn new(
        store: Arc<dyn Store>,
        providers: Arc<dyn DcrProviderFactory>,
        clock: Arc<dyn Clock>,
        cipher: SecretCipher,
    ) -> Self {
        Self {
            store,
            providers,
            clock,
            cipher,
            sign_in_limiter: Arc::new(accounts::SignInLimiter::default()),
            builtin_idp: None,
        }
    }

    /// Serves the built-in identity provider's token endpoint and JWKS through this
    /// `Portico`. The same provider must be the factory's provider for `builtin` records.
    pub fn with_builtin_idp(mut self, builtin_idp: Arc<BuiltinIdp>) -> Self {
        self.builtin_idp = Some(builtin_idp);
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// The DCR client for a stored provider, with its initial secret decrypted.
    fn dcr_client(&self, provider: &DcrProvider) -> CoreResult<Arc<dyn ports::DcrProvider>> {
        let secret = match &provider.dcr_config {
            DcrConfig::Auth0 {
                initial_client_secret,
                ..
            } => Some(self.cipher.decrypt(initial_client_secret)?),
            DcrConfig::Builtin => None,
        };
        Ok(self.providers.provider(provider, secret))
    }

    /// The strategy an application uses and the provider behind it.
    async fn strategy_with_provider(
        &self,
        strategy: AuthStrategy,
    ) -> CoreResult<(AuthStrategy, DcrProvider)> {
        let provider_id = strategy.dcr_provider_id.ok_or_else(|| {
            CoreError::Unprocessable(format!(
                "the auth strategy {} has no DCR provider, so it cannot issue credentials",
                strategy.name
            ))
        })?;
        let provider = self
            .store
            .dcr_provider(provider_id)
            .await
            .map_err(|error| not_found_as(error, "dcr provider"))?;
        Ok((strategy, provider))
    }
}

/// Maps a store's `NotFound` to a `NotFound` naming the object.
fn not_found_as(error: ports::StoreError, what: &'static str) -> CoreError {
    match error {
        ports::StoreError::NotFound => CoreError::NotFound(what),
        other => other.into(),
    }
}
