//! The narrow traits through which the core reaches storage, identity providers and time.
//! Only the binary picks the concrete types; everything else holds `Arc<dyn Trait>`.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::id::*;
use crate::model::{self, *};
use crate::secret::SecretString;

// ---------------------------------------------------------------- Clock

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

// ---------------------------------------------------------------- Store

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the text names the rule (for example `developer email`).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed; the text is for the log only.
    #[error("database error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything Portico keeps. One implementation per backend, chosen once from the database URL.
///
/// Methods that change several rows do so atomically. Times are passed in by the caller
/// (from the [`Clock`]) so that stores never read the clock themselves.
#[async_trait]
pub trait Store: Send + Sync {
    // Portal settings (one row, created with defaults by the migrations).
    async fn portal_settings(&self) -> StoreResult<PortalSettings>;
    async fn update_portal_settings(&self, settings: &PortalSettings) -> StoreResult<()>;

    // DCR providers.
    async fn insert_dcr_provider(&self, provider: &model::DcrProvider) -> StoreResult<()>;
    async fn dcr_provider(&self, id: DcrProviderId) -> StoreResult<model::DcrProvider>;
    async fn dcr_providers(&self) -> StoreResult<Vec<model::DcrProvider>>;
    async fn update_dcr_provider(&self, provider: &model::DcrProvider) -> StoreResult<()>;
    /// Fails with `Conflict` while an auth strategy or an application still uses the provider.
    async fn delete_dcr_provider(&self, id: DcrProviderId) -> StoreResult<()>;

    // Application auth strategies.
    async fn insert_auth_strategy(&self, strategy: &AuthStrategy) -> StoreResult<()>;
    async fn auth_strategy(&self, id: AuthStrategyId) -> StoreResult<AuthStrategy>;
    async fn auth_strategies(&self) -> StoreResult<Vec<AuthStrategy>>;
    async fn update_auth_strategy(&self, strategy: &AuthStrategy) -> StoreResult<()>;
    /// Fails with `Conflict` while an API or an application still uses the strategy.
    async fn delete_auth_strategy(&self, id: AuthStrategyId) -> StoreResult<()>;

    /// Saves Application Setup in one transaction: inserts or updates the provider and the
    /// strategy, and makes them the portal's default and its Application Setup.
    async fn save_application_setup(
        &self,
        provider: &model::DcrProvider,
        strategy: &AuthStrategy,
    ) -> StoreResult<()>;

    // APIs. Slugs are unique.
    async fn insert_api(&self, api: &Api) -> StoreResult<()>;
    async fn api(&self, id: ApiId) -> StoreResult<Api>;
    async fn apis(&self) -> StoreResult<Vec<Api>>;
    async fn update_api(&self, api: &Api) -> StoreResult<()>;
    /// Deletes the API and its registrations.
    async fn delete_api(&self, id: ApiId) -> StoreResult<()>;

    // Developers. Emails are unique.
    async fn insert_developer(&self, developer: &Developer) -> StoreResult<()>;
    async fn developer(&self, id: DeveloperId) -> StoreResult<Developer>;
    async fn developer_by_email(&self, email: &str) -> StoreResult<Developer>;
    async fn developers(&self) -> StoreResult<Vec<Developer>>;
    async fn update_developer(&self, developer: &Developer) -> StoreResult<()>;

    // Sessions, looked up by the SHA-256 of their token.
    async fn insert_session(&self, session: &Session) -> StoreResult<()>;
    /// Only sessions that have not expired at `now`.
    async fn session(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Session>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn delete_sessions_of(&self, developer_id: DeveloperId) -> StoreResult<()>;
    /// Forgets what has outlived its use: sessions expired at `now`, and idempotency keys
    /// created before `keys_created_before`. Returns how many rows went.
    async fn purge_expired(
        &self,
        now: OffsetDateTime,
        keys_created_before: OffsetDateTime,
    ) -> StoreResult<u64>;

    // Applications.
    /// Inserts the application; with a key, also marks that `Idempotency-Key` completed,
    /// in the same transaction.
    async fn insert_application(
        &self,
        application: &Application,
        idempotency_key: Option<&str>,
    ) -> StoreResult<()>;
    async fn application(&self, id: ApplicationId) -> StoreResult<Application>;
    async fn application_by_client_id(
        &self,
        dcr_provider_id: DcrProviderId,
        client_id: &str,
    ) -> StoreResult<Application>;
    /// All applications, or those of one developer, oldest first.
    async fn applications(
        &self,
        developer_id: Option<DeveloperId>,
    ) -> StoreResult<Vec<Application>>;
    async fn update_application(&self, application: &Application) -> StoreResult<()>;
    /// Deletes the application with its registrations and, in the same transaction,
    /// queues `deletion` (the IdP client's removal) when one is given.
    async fn delete_application(
        &self,
        id: ApplicationId,
        deletion: Option<&PendingIdpDeletion>,
    ) -> StoreResult<()>;

    // Idempotency keys of application creation, per developer.
    /// Reserves the key for this request, or tells who holds it.
    async fn reserve_idempotency_key(
        &self,
        developer_id: DeveloperId,
        key: &str,
        request_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<IdempotencyState>;
    /// Gives up a reservation whose request failed, so that a retry may run again.
    async fn release_idempotency_key(
        &self,
        developer_id: DeveloperId,
        key: &str,
    ) -> StoreResult<()>;

    // Registrations. One per (application, API).
    async fn insert_registration(&self, registration: &Registration) -> StoreResult<()>;
    async fn registration(&self, id: RegistrationId) -> StoreResult<Registration>;
    async fn registrations_of(
        &self,
        application_id: ApplicationId,
    ) -> StoreResult<Vec<Registration>>;
    async fn registrations(&self, status: Option<ApprovalStatus>)
        -> StoreResult<Vec<Registration>>;
    async fn update_registration(&self, registration: &Registration) -> StoreResult<()>;
    async fn delete_registration(&self, id: RegistrationId) -> StoreResult<()>;

    // The durable queue of IdP client deletions.
    async fn enqueue_idp_deletion(&self, deletion: &PendingIdpDeletion) -> StoreResult<()>;
    /// Deletions whose `next_attempt_at` has passed, oldest first.
    async fn due_idp_deletions(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<PendingIdpDeletion>>;
    async fn idp_deletions(&self) -> StoreResult<Vec<PendingIdpDeletion>>;
    async fn update_idp_deletion(&self, deletion: &PendingIdpDeletion) -> StoreResult<()>;
    async fn remove_idp_deletion(&self, id: PendingDeletionId) -> StoreResult<()>;

    /// A number that changes whenever anything the gateway reads changes (APIs, strategies,
    /// providers, portal settings, applications, registrations, developer statuses), so the
    /// gateway can poll cheaply.
    async fn config_version(&self) -> StoreResult<i64>;

    // The built-in identity provider's clients, by client id (unique: `Conflict("builtin
    // client id")`). They hold the SHA-256 of their secret, never the secret.
    async fn insert_builtin_client(&self, client: &BuiltinClient) -> StoreResult<()>;
    async fn builtin_client(&self, client_id: &str) -> StoreResult<BuiltinClient>;
    /// Writes every field but the client id and `created_at`.
    async fn update_builtin_client(&self, client: &BuiltinClient) -> StoreResult<()>;
    /// Succeeds also when the client is already gone, as IdPs answer a repeated deletion.
    async fn delete_builtin_client(&self, client_id: &str) -> StoreResult<()>;

    // The built-in identity provider's signing keys, by key id (unique: `Conflict("signing
    // key id")`). Private keys are stored encrypted.
    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()>;
    /// Every key, retired ones included, oldest first.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;
    /// Writes every field but the key id and `created_at`.
    async fn update_signing_key(&self, key: &SigningKey) -> StoreResult<()>;
}

// ---------------------------------------------------------------- Identity providers

/// How a call to an IdP failed. Three cases are kept apart, as the IdP client needs to tell
/// them apart to decide on retries and on what the user is told.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IdpError {
    /// The IdP answered with an error; `message` is its own words.
    #[error("the identity provider refused the request ({status}): {message}")]
    Rejected {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// The IdP could not be reached, timed out, answered 5xx, or kept answering 429 past
    /// our retry budget.
    #[error("the identity provider is unavailable: {0}")]
    Unavailable(String),
    /// The IdP answered something we could not understand.
    #[error("the identity provider sent an unexpected response: {0}")]
    InvalidResponse(String),
}

/// What an application's IdP client is made from.
#[derive(Debug, Clone)]
pub struct ClientRequest {
    pub application_id: ApplicationId,
    pub developer_id: DeveloperId,
    pub name: String,
    pub description: String,
    pub redirect_uri: Option<String>,
    /// The strategy's audience, to which the client is granted access.
    pub audience: String,
    pub scopes: Vec<String>,
}

/// A client the IdP made; the secret is handed to the developer once and then dropped.
#[derive(Debug, Clone)]
pub struct IssuedClient {
    pub client_id: String,
    pub client_secret: SecretString,
}

/// The outcome of checking a provider's settings against the IdP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Each cause of failure, in words a person can act on; empty means success.
    pub errors: Vec<String>,
}

impl Verification {
    pub fn is_success(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Dynamic Client Registration against one IdP tenant.
#[async_trait]
pub trait DcrProvider: Send + Sync {
    async fn verify(&self) -> Verification;
    /// Creates the client and grants it the audience. Never leaves a half-made client behind:
    /// when the grant fails the client is deleted, or its deletion is reported in
    /// [`CreateError::orphan`] so that the caller can queue it.
    async fn create_client(&self, request: &ClientRequest) -> Result<IssuedClient, CreateError>;
    async fn update_client(&self, client_id: &str, request: &ClientRequest)
        -> Result<(), IdpError>;
    async fn rotate_secret(&self, client_id: &str) -> Result<SecretString, IdpError>;
    /// Succeeds also when the client is already gone.
    async fn delete_client(&self, client_id: &str) -> Result<(), IdpError>;
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{error}")]
pub struct CreateError {
    pub error: IdpError,
    /// A client that was made but could not be deleted again; it must be queued for deletion.
    pub orphan: Option<String>,
}

impl From<IdpError> for CreateError {
    fn from(error: IdpError) -> Self {
        Self {
            error,
            orphan: None,
        }
    }
}

// ---------------------------------------------------------------- Signing keys

/// A fresh key pair made by a [`KeyMaker`].
pub struct GeneratedKey {
    pub kid: String,
    /// The private key as PKCS#8 PEM.
    pub private_pem: SecretString,
    /// The public key as a JWK, JSON text (with `kid`, `alg`, `use`).
    pub public_jwk: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("signing failed: {0}")]
pub struct SigningError(pub String);

/// Makes and uses the built-in identity provider's RSA keys; the cryptography lives outside
/// the core.
pub trait KeyMaker: Send + Sync {
    /// A new RSA key pair (2048 bits) with a fresh key id. Slow (a fraction of a second):
    /// the core calls it off the async threads.
    fn generate_rsa(&self) -> GeneratedKey;
    /// A compact JWS of `claims`, RS256, with `kid` in its header.
    fn sign_rs256(
        &self,
        private_pem: &SecretString,
        kid: &str,
        claims: &serde_json::Value,
    ) -> Result<String, SigningError>;
}

/// Builds a [`DcrProvider`] for a stored provider. Implementations may cache what they build
/// (management tokens live in it) and must rebuild when `provider.updated_at` changes.
pub trait DcrProviderFactory: Send + Sync {
    fn provider(
        &self,
        provider: &crate::model::DcrProvider,
        initial_client_secret: Option<SecretString>,
    ) -> std::sync::Arc<dyn DcrProvider>;
}
