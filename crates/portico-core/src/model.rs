//! The domain objects of `product.md` section 2, free of wire and storage concerns.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::id::*;
use crate::issuer::Issuer;
use crate::secret::EncryptedSecret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderType {
    Auth0,
    Builtin,
}

impl ProviderType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::Auth0 => "auth0",
            ProviderType::Builtin => "builtin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "auth0" => Some(ProviderType::Auth0),
            "builtin" => Some(ProviderType::Builtin),
            _ => None,
        }
    }
}

/// The provider-specific part of a DCR provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DcrConfig {
    Auth0 {
        initial_client_id: String,
        /// Write-only: encrypted at rest, never returned by any API.
        initial_client_secret: EncryptedSecret,
        /// The Management API audience, for tenants behind a custom domain.
        initial_client_audience: Option<String>,
    },
    Builtin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcrProvider {
    pub id: DcrProviderId,
    pub name: String,
    pub provider_type: ProviderType,
    pub issuer: Issuer,
    pub dcr_config: DcrConfig,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientCredentials,
    Bearer,
}

/// `configs.openid-connect` of an application auth strategy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIdConnectConfig {
    pub issuer: Issuer,
    /// The seed's Client Token Audience.
    pub audience: String,
    pub scopes: Vec<String>,
    /// The seed's Consumer Claims: the first one present in a token names the client id.
    pub credential_claim: Vec<String>,
    pub auth_methods: Vec<AuthMethod>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyType {
    OpenidConnect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthStrategy {
    pub id: AuthStrategyId,
    pub name: String,
    pub strategy_type: StrategyType,
    pub dcr_provider_id: Option<DcrProviderId>,
    pub openid_connect: OpenIdConnectConfig,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub paths: Vec<String>,
    /// Empty means every method.
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default = "default_true")]
    pub strip_path: bool,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    pub id: ApiId,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub version: String,
    pub upstream_url: url::Url,
    pub routes: Vec<Route>,
    /// `None` means the portal's default strategy.
    pub auth_strategy_id: Option<AuthStrategyId>,
    pub published: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Status of a developer and of a registration: the same four words in both places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Approved,
    Pending,
    Rejected,
    Revoked,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Rejected => "rejected",
            ApprovalStatus::Revoked => "revoked",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "approved" => Some(ApprovalStatus::Approved),
            "pending" => Some(ApprovalStatus::Pending),
            "rejected" => Some(ApprovalStatus::Rejected),
            "revoked" => Some(ApprovalStatus::Revoked),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Developer {
    pub id: DeveloperId,
    /// Stored lower-cased, so that sign-in is case-insensitive on the address.
    pub email: String,
    pub full_name: String,
    pub status: ApprovalStatus,
    /// An argon2id PHC string; never the password.
    pub password_hash: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A developer's signed-in session; only the SHA-256 of its token is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub developer_id: DeveloperId,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: ApplicationId,
    pub developer_id: DeveloperId,
    pub name: String,
    pub description: String,
    pub redirect_uri: Option<String>,
    /// The IdP's client id; Portico never stores the client secret of an IdP-managed client.
    pub client_id: String,
    pub auth_strategy_id: AuthStrategyId,
    pub dcr_provider_id: DcrProviderId,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub id: RegistrationId,
    pub application_id: ApplicationId,
    pub api_id: ApiId,
    pub status: ApprovalStatus,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSettings {
    pub auto_approve_developers: bool,
    pub auto_approve_registrations: bool,
    /// The strategy new applications get when they name none.
    pub default_auth_strategy_id: Option<AuthStrategyId>,
    /// The provider and strategy that Application Setup manages (overwritten on each save).
    pub application_setup: Option<ApplicationSetupIds>,
}

impl Default for PortalSettings {
    fn default() -> Self {
        Self {
            auto_approve_developers: true,
            auto_approve_registrations: true,
            default_auth_strategy_id: None,
            application_setup: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicationSetupIds {
    pub dcr_provider_id: DcrProviderId,
    pub auth_strategy_id: AuthStrategyId,
}

/// An IdP client deletion that could not be done yet; retried with backoff until it succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingIdpDeletion {
    pub id: PendingDeletionId,
    pub dcr_provider_id: DcrProviderId,
    pub client_id: String,
    pub attempts: u32,
    pub next_attempt_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
}

/// The state of an `Idempotency-Key` for application creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyState {
    /// This caller now holds the key and must complete or release it.
    Reserved,
    /// Another request with the key is still running.
    InProgress { request_hash: String },
    /// A request with the key created this application.
    Completed {
        request_hash: String,
        application_id: ApplicationId,
    },
}

/// A client of the built-in identity provider, made for one application.
///
/// The secret itself is never kept: only its SHA-256. A fast hash is right here (unlike for
/// passwords): the secret is 32 random bytes, so there is nothing to guess or look up, and
/// the token endpoint checks it on every exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinClient {
    pub client_id: String,
    /// SHA-256 of the client secret, lower-case hex.
    pub secret_hash: String,
    pub name: String,
    /// The one audience the client may ask tokens for: its strategy's, when it was made.
    pub audience: String,
    /// The application the client was made for; `None` only for clients made outside of
    /// an application's creation.
    pub application_id: Option<ApplicationId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One signing key of the built-in identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// The key id, named in each token's header and in the JWKS.
    pub kid: String,
    /// Always `RS256` today.
    pub algorithm: String,
    /// The private key as PKCS#8 PEM, encrypted with the [`crate::SecretCipher`].
    pub private_key: EncryptedSecret,
    /// The public key as a JWK (JSON text), as the JWKS publishes it.
    pub public_jwk: String,
    pub created_at: OffsetDateTime,
    /// When the key stops being published; `None` for the key in use. Set by a rotation, so
    /// that tokens the old key signed still validate for the overlap.
    pub retires_at: Option<OffsetDateTime>,
}
