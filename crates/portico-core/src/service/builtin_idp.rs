//! The built-in identity provider: an OAuth 2.0 authorization server for the
//! client-credentials grant, so that Portico works before any IdP is configured.
//!
//! It is a [`DcrProvider`] like Auth0's (it makes, rotates, renames and deletes clients), and
//! it issues RS256 JWT access tokens that the gateway validates exactly as it validates
//! Auth0's: through the issuer's discovery document and JWKS, served by the portal listener
//! under `/idp`. Nothing here knows HTTP; the web crate maps [`OAuthError`] to RFC 6749's
//! error responses.
//!
//! - Clients are stored with the SHA-256 of their secret (see [`BuiltinClient`]); a client may
//!   ask tokens only for the audience of the strategy it was made for.
//! - The audiences served are those of the auth strategies whose DCR provider is of type
//!   `builtin`; another audience is RFC 8707's `invalid_target`.
//! - Signing keys ([`SigningKeys`]) are generated at first start, stored encrypted, and
//!   rotated with an overlap during which the previous key is still published. They are
//!   cached in memory and read again from the store when older than [`KEY_RELOAD_AFTER`],
//!   so that a rotation made by another process (`portico idp rotate-key`) takes effect
//!   within seconds.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use async_trait::async_trait;
use rand::distributions::{Alphanumeric, DistString};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::{ApplicationSetup, Portico};
use crate::error::{CoreError, CoreResult};
use crate::id::{AuthStrategyId, DcrProviderId};
use crate::issuer::Issuer;
use crate::model::{
    AuthMethod, AuthStrategy, BuiltinClient, DcrConfig, DcrProvider as ProviderRecord,
    OpenIdConnectConfig, ProviderType, SigningKey, StrategyType,
};
use crate::ports::{
    ClientRequest, Clock, CreateError, DcrProvider, IdpError, IssuedClient, KeyMaker, Store,
    StoreError, Verification,
};
use crate::secret::{SecretCipher, SecretString};

/// The name of the provider and of the strategy made at first start.
pub const BUILTIN_NAME: &str = "Built-in";
/// The built-in strategy's audience unless an administrator changes it.
pub const DEFAULT_BUILTIN_AUDIENCE: &str = "portico";
/// How long an access token is valid.
pub const TOKEN_LIFETIME_SECS: i64 = 3600;
/// The only signing algorithm.
pub const SIGNING_ALGORITHM: &str = "RS256";
/// How long keys read from the store are trusted before they are read again.
pub const KEY_RELOAD_AFTER: std::time::Duration = std::time::Duration::from_secs(2);
/// Client ids are this many letters and digits.
pub const CLIENT_ID_LENGTH: usize = 32;
/// Client secrets are this many random bytes (base64url encoded).
const CLIENT_SECRET_BYTES: usize = 32;

// ---------------------------------------------------------------- Token requests

/// A token request as the token endpoint received it, client authentication included
/// (from HTTP Basic or from the form: the web crate has already picked one).
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// Auth0's `audience` parameter (RFC 8707's resource indicator in spirit).
    pub audience: Option<String>,
    /// Space-separated scopes; none means every scope of the client's strategy.
    pub scope: Option<String>,
}

/// A successful token response (RFC 6749 section 5.1).
#[derive(Debug, Clone)]
pub struct TokenResponse {
    pub access_token: SecretString,
    pub token_type: &'static str,
    pub expires_in: i64,
    /// The scopes granted, when there are any.
    pub scope: Option<String>,
}

/// RFC 6749 section 5.2's error codes, plus RFC 8707's `invalid_target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    UnsupportedGrantType,
    InvalidScope,
    InvalidTarget,
    /// Something on Portico's side failed (RFC 6749 section 4.1.2.1's `server_error`).
    ServerError,
}

impl OAuthErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::InvalidTarget => "invalid_target",
            OAuthErrorCode::ServerError => "server_error",
        }
    }
}

/// A refused token request: the code and a description the client may read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: OAuthErrorCode,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    fn invalid_client() -> Self {
        // One answer for an unknown client and for a wrong secret: the caller learns nothing
        // about which client ids exist.
        Self::new(
            OAuthErrorCode::InvalidClient,
            "client authentication failed",
        )
    }

    fn server_error(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "the built-in identity provider failed");
        Self::new(
            OAuthErrorCode::ServerError,
            "the authorization server failed; try again later",
        )
    }
}

// ---------------------------------------------------------------- Signing keys

/// The built-in IdP's signing keys: generation, rotation, and a short-lived in-memory copy.
pub struct SigningKeys {
    store: Arc<dyn Store>,
    maker: Arc<dyn KeyMaker>,
    cipher: SecretCipher,
    clock: Arc<dyn Clock>,
    cache: RwLock<Option<Arc<LoadedKeys>>>,
}

/// The keys as read from the store at one moment.
struct LoadedKeys {
    loaded_at: Instant,
    /// The key that signs new tokens, decrypted.
    signing: Option<(String, SecretString)>,
    /// The JWKS document.
    jwks: Value,
}

/// What a rotation did.
#[derive(Debug, Clone)]
pub struct Rotation {
    /// The key that now signs new tokens.
    pub new_kid: String,
    /// The keys that were in use before, with the moment each stops being published.
    pub retiring: Vec<(String, OffsetDateTime)>,
}

impl SigningKeys {
    pub fn new(
        store: Arc<dyn Store>,
        maker: Arc<dyn KeyMaker>,
        cipher: SecretCipher,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            maker,
            cipher,
            clock,
            cache: RwLock::new(None),
        }
    }

    /// Makes the first key when there is no key in use; answers whether it made one. Called
    /// at start, so that the first token request does not wait for RSA key generation.
    pub async fn ensure_signing_key(&self) -> CoreResult<bool> {
        let keys = self.store.signing_keys().await?;
        if keys.iter().any(|key| key.retires_at.is_none()) {
            return Ok(false);
        }
        let key = self.generate().await?;
        self.store.insert_signing_key(&key).await?;
        tracing::info!(kid = %key.kid, "generated the built-in identity provider's signing key");
        self.invalidate();
        Ok(true)
    }

    /// Makes a new key the one that signs, and keeps publishing the keys used so far for
    /// `overlap`, so that the tokens they signed stay valid until then.
    pub async fn rotate(&self, overlap: time::Duration) -> CoreResult<Rotation> {
        let new_key = self.generate().await?;
        // The new key goes in first: at no moment is there no key in use.
        self.store.insert_signing_key(&new_key).await?;
        let retires_at = self.clock.now() + overlap;
        let mut retiring = Vec::new();
        for mut key in self.store.signing_keys().await? {
            if key.kid == new_key.kid || key.retires_at.is_some() {
                continue;
            }
            key.retires_at = Some(retires_at);
            self.store.update_signing_key(&key).await?;
            retiring.push((key.kid, retires_at));
        }
        tracing::info!(kid = %new_key.kid, retiring = retiring.len(), "rotated the built-in identity provider's signing key");
        self.invalidate();
        Ok(Rotation {
            new_kid: new_key.kid,
            retiring,
        })
    }

    /// The JWKS document: `{"keys": [...]}`, the signing key first.
    pub async fn jwks(&self) -> CoreResult<Value> {
        Ok(self.loaded().await?.jwks.clone())
    }

    /// Signs `claims` with the key in use; answers the key id with the token.
    async fn sign(&self, claims: &Value) -> CoreResult<String> {
        let mut loaded = self.loaded().await?;
        if loaded.signing.is_none() {
            // Every key was retired (by hand, or a clock far ahead): make a new one.
            self.ensure_signing_key().await?;
            loaded = self.loaded().await?;
        }
        let (kid, pem) = loaded
            .signing
            .as_ref()
            .ok_or_else(|| CoreError::Internal("no signing key is available".into()))?;
        self.maker
            .sign_rs256(pem, kid, claims)
            .map_err(|error| CoreError::Internal(error.to_string()))
    }

    async fn generate(&self) -> CoreResult<SigningKey> {
        let maker = self.maker.clone();
        // RSA key generation takes a fraction of a second of CPU: keep it off the async threads.
        let generated = tokio::task::spawn_blocking(move || maker.generate_rsa())
            .await
            .map_err(|error| CoreError::Internal(format!("key generation failed: {error}")))?;
        Ok(SigningKey {
            kid: generated.kid,
            algorithm: SIGNING_ALGORITHM.to_owned(),
            private_key: self.cipher.encrypt(&generated.private_pem),
            public_jwk: generated.public_jwk,
            created_at: self.clock.now(),
            retires_at: None,
        })
    }

    fn invalidate(&self) {
        *self
            .cache
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    async fn loaded(&self) -> CoreResult<Arc<LoadedKeys>> {
        let cached = self
            .cache
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if let Some(loaded) = cached {
            if loaded.loaded_at.elapsed() < KEY_RELOAD_AFTER {
                return Ok(loaded);
            }
        }
        // Concurrent callers may each reload; the reads are cheap and the results equal.
        let keys = self.store.signing_keys().await?;
        let now = self.clock.now();
        let signing = match signing_key(&keys, now) {
            Some(key) => Some((key.kid.clone(), self.cipher.decrypt(&key.private_key)?)),
            None => None,
        };
        let loaded = Arc::new(LoadedKeys {
            loaded_at: Instant::now(),
            signing,
            jwks: jwks_document(&keys, now),
        });
        *self
            .cache
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(loaded.clone());
        Ok(loaded)
    }
}

/// The key that signs new tokens: the newest one not being retired, or else the newest one
/// still published.
fn signing_key(keys: &[SigningKey], now: OffsetDateTime) -> Option<&SigningKey> {
    fn newest<'a>(candidates: impl Iterator<Item = &'a SigningKey>) -> Option<&'a SigningKey> {
        candidates.max_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)))
    }
    newest(keys.iter().filter(|key| key.retires_at.is_none())).or_else(|| {
        newest(
            keys.iter()
                .filter(|key| key.retires_at.is_some_and(|at| at > now)),
        )
    })
}

/// The published keys (in use, or retiring later than `now`), newest first.
fn jwks_document(keys: &[SigningKey], now: OffsetDateTime) -> Value {
    let mut published: Vec<&SigningKey> = keys
        .iter()
        .filter(|key| key.retires_at.is_none_or(|at| at > now))
        .collect();
    published.sort_by(|a, b| (b.created_at, &b.kid).cmp(&(a.created_at, &a.kid)));
    let keys: Vec<Value> = published
        .into_iter()
        .filter_map(|key| match serde_json::from_str::<Value>(&key.public_jwk) {
            Ok(jwk) => Some(jwk),
            Err(error) => {
                tracing::error!(kid = %key.kid, %error, "a stored public key is not JSON; it is not published");
                None
            }
        })
        .collect();
    json!({ "keys": keys })
}

// ---------------------------------------------------------------- The provider

/// The built-in identity provider: DCR for the portal, and the token logic of `/idp`.
pub struct BuiltinIdp {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    issuer: Issuer,
    keys: Arc<SigningKeys>,
}

impl BuiltinIdp {
    /// `issuer` is Portico's portal URL followed by `/idp`.
    pub fn new(
        store: Arc<dyn Store>,
        keys: Arc<SigningKeys>,
        clock: Arc<dyn Clock>,
        issuer: Issuer,
    ) -> Self {
        Self {
            store,
            clock,
            issuer,
            keys,
        }
    }

    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    pub fn signing_keys(&self) -> &Arc<SigningKeys> {
        &self.keys
    }

    pub async fn jwks(&self) -> CoreResult<Value> {
        self.keys.jwks().await
    }

    /// The client-credentials grant (RFC 6749 section 4.4).
    pub async fn issue_token(&self, request: TokenRequest) -> Result<TokenResponse, OAuthError> {
        match request.grant_type.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(OAuthError::new(
                    OAuthErrorCode::InvalidRequest,
                    "the grant_type parameter is missing",
                ))
            }
            Some("client_credentials") => {}
            Some(_) => {
                return Err(OAuthError::new(
                    OAuthErrorCode::UnsupportedGrantType,
                    "only the client_credentials grant is supported",
                ))
            }
        }
        let client = self
            .authenticate(request.client_id.as_deref(), request.client_secret.as_ref())
            .await?;
        let served = self
            .served_strategies()
            .await
            .map_err(OAuthError::server_error)?;
        let grant = decide_grant(
            &client,
            &served,
            request.audience.as_deref(),
            request.scope.as_deref(),
        )?;

        let issued_at = self.clock.now().unix_timestamp();
        let scope = grant.scopes.join(" ");
        let claims = json!({
            "iss": self.issuer.as_str(),
            "sub": client.client_id,
            "aud": grant.audience,
            "azp": client.client_id,
            "client_id": client.client_id,
            "iat": issued_at,
            "exp": issued_at + TOKEN_LIFETIME_SECS,
            "scope": scope,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        let token = self
            .keys
            .sign(&claims)
            .await
            .map_err(OAuthError::server_error)?;
        tracing::info!(client_id = %client.client_id, audience = %grant.audience, "issued an access token");
        Ok(TokenResponse {
            access_token: SecretString::new(token),
            token_type: "Bearer",
            expires_in: TOKEN_LIFETIME_SECS,
            scope: (!scope.is_empty()).then_some(scope),
        })
    }

    async fn authenticate(
        &self,
        client_id: Option<&str>,
        client_secret: Option<&SecretString>,
    ) -> Result<BuiltinClient, OAuthError> {
        let (Some(client_id), Some(client_secret)) = (client_id, client_secret) else {
            return Err(OAuthError::new(
                OAuthErrorCode::InvalidClient,
                "client authentication is missing: send client_id and client_secret, or HTTP Basic",
            ));
        };
        let presented = client_secret.sha256_hex();
        match self.store.builtin_client(client_id).await {
            Ok(client) if secret_matches(&presented, &client.secret_hash) => Ok(client),
            Ok(_) | Err(StoreError::NotFound) => Err(OAuthError::invalid_client()),
            Err(error) => Err(OAuthError::server_error(error)),
        }
    }

    /// The strategies whose DCR provider is of type `builtin`: their audiences are the ones
    /// this server issues tokens for.
    async fn served_strategies(&self) -> Result<Vec<AuthStrategy>, StoreError> {
        let builtin: HashSet<DcrProviderId> = self
            .store
            .dcr_providers()
            .await?
            .into_iter()
            .filter(|provider| provider.provider_type == ProviderType::Builtin)
            .map(|provider| provider.id)
            .collect();
        Ok(self
            .store
            .auth_strategies()
            .await?
            .into_iter()
            .filter(|strategy| {
                strategy
                    .dcr_provider_id
                    .is_some_and(|id| builtin.contains(&id))
            })
            .collect())
    }

    fn not_found(client_id: &str) -> IdpError {
        IdpError::Rejected {
            status: 404,
            code: Some("not_found".into()),
            message: format!("the built-in identity provider has no client {client_id}"),
        }
    }
}

/// Compares two SHA-256 hex digests in constant time.
fn secret_matches(presented_hash: &str, stored_hash: &str) -> bool {
    presented_hash
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

/// What a token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    audience: String,
    scopes: Vec<String>,
}

/// Decides the audience and scopes of a token for an authenticated client.
///
/// The audience asked for (the client's own when none is asked for) must be one this server
/// serves and the one the client was made for; the scopes asked for must be among those of
/// the strategy with that audience (all of them when none are asked for).
fn decide_grant(
    client: &BuiltinClient,
    served: &[AuthStrategy],
    audience: Option<&str>,
    scope: Option<&str>,
) -> Result<Grant, OAuthError> {
    let audience = audience
        .map(str::trim)
        .filter(|audience| !audience.is_empty())
        .unwrap_or(&client.audience);
    let Some(strategy) = served
        .iter()
        .find(|strategy| strategy.openid_connect.audience == audience)
    else {
        return Err(OAuthError::new(
            OAuthErrorCode::InvalidTarget,
            format!("this authorization server issues no tokens for the audience {audience:?}"),
        ));
    };
    if audience != client.audience {
        return Err(OAuthError::new(
            OAuthErrorCode::InvalidTarget,
            format!("the client is not granted the audience {audience:?}"),
        ));
    }
    let allowed = &strategy.openid_connect.scopes;
    let scopes = match scope.map(str::split_whitespace) {
        None => allowed.clone(),
        Some(requested) => {
            let mut scopes: Vec<String> = Vec::new();
            for scope in requested {
                if !allowed.iter().any(|allowed| allowed == scope) {
                    return Err(OAuthError::new(
                        OAuthErrorCode::InvalidScope,
                        format!("the scope {scope:?} is not granted to this client"),
                    ));
                }
                if !scopes.iter().any(|kept| kept == scope) {
                    scopes.push(scope.to_owned());
                }
            }
            scopes
        }
    };
    Ok(Grant {
        audience: audience.to_owned(),
        scopes,
    })
}

fn new_client_id() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), CLIENT_ID_LENGTH)
}

fn unavailable(error: StoreError) -> IdpError {
    IdpError::Unavailable(format!(
        "the built-in identity provider's store failed: {error}"
    ))
}

#[async_trait]
impl DcrProvider for BuiltinIdp {
    /// Nothing to verify: the provider is Portico itself.
    async fn verify(&self) -> Verification {
        Verification { errors: Vec::new() }
    }

    async fn create_client(&self, request: &ClientRequest) -> Result<IssuedClient, CreateError> {
        let secret = SecretString::random(CLIENT_SECRET_BYTES);
        let now = self.clock.now();
        let client = BuiltinClient {
            client_id: new_client_id(),
            secret_hash: secret.sha256_hex(),
            name: request.name.clone(),
            audience: request.audience.clone(),
            application_id: Some(request.application_id),
            created_at: now,
            updated_at: now,
        };
        self.store
            .insert_builtin_client(&client)
            .await
            .map_err(unavailable)?;
        Ok(IssuedClient {
            client_id: client.client_id,
            client_secret: secret,
        })
    }

    async fn update_client(
        &self,
        client_id: &str,
        request: &ClientRequest,
    ) -> Result<(), IdpError> {
        let mut client = match self.store.builtin_client(client_id).await {
            Ok(client) => client,
            Err(StoreError::NotFound) => return Err(Self::not_found(client_id)),
            Err(error) => return Err(unavailable(error)),
        };
        // Like an IdP's client update, this changes the name only; the audience granted
        // stays the one the client was made for.
        client.name = request.name.clone();
        client.updated_at = self.clock.now();
        match self.store.update_builtin_client(&client).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(Self::not_found(client_id)),
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn rotate_secret(&self, client_id: &str) -> Result<SecretString, IdpError> {
        let mut client = match self.store.builtin_client(client_id).await {
            Ok(client) => client,
            Err(StoreError::NotFound) => return Err(Self::not_found(client_id)),
            Err(error) => return Err(unavailable(error)),
        };
        let secret = SecretString::random(CLIENT_SECRET_BYTES);
        client.secret_hash = secret.sha256_hex();
        client.updated_at = self.clock.now();
        match self.store.update_builtin_client(&client).await {
            Ok(()) => Ok(secret),
            Err(StoreError::NotFound) => Err(Self::not_found(client_id)),
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn delete_client(&self, client_id: &str) -> Result<(), IdpError> {
        self.store
            .delete_builtin_client(client_id)
            .await
            .map_err(unavailable)
    }
}

// ---------------------------------------------------------------- Portal defaults

impl Portico {
    /// The built-in identity provider, when the binary wired one.
    pub fn builtin_idp(&self) -> Option<&Arc<BuiltinIdp>> {
        self.builtin_idp.as_ref()
    }

    /// Makes sure the built-in provider and its strategy exist and name `issuer`, and makes
    /// the strategy the portal's default when there is none, so that a fresh install can
    /// issue credentials at once. Called at every start: the portal URL, and so the issuer,
    /// may have changed since the last one.
    pub async fn ensure_builtin_defaults(&self, issuer: &Issuer) -> CoreResult<ApplicationSetup> {
        let now = self.now();
        let providers = self.store.dcr_providers().await?;
        let builtin_providers: Vec<&ProviderRecord> = providers
            .iter()
            .filter(|provider| provider.provider_type == ProviderType::Builtin)
            .collect();
        // Every builtin record is served by the one built-in IdP, so all take its issuer.
        for provider in &builtin_providers {
            if provider.issuer != *issuer {
                let mut moved = (*provider).clone();
                moved.issuer = issuer.clone();
                moved.updated_at = now;
                self.store.update_dcr_provider(&moved).await?;
                tracing::info!(from = %provider.issuer, to = %issuer, "the built-in identity provider's issuer changed with the portal URL");
            }
        }
        let provider = match builtin_providers.first() {
            Some(provider) => {
                let mut provider = (*provider).clone();
                provider.issuer = issuer.clone();
                provider
            }
            None => {
                let provider = ProviderRecord {
                    id: DcrProviderId::new(),
                    name: BUILTIN_NAME.to_owned(),
                    provider_type: ProviderType::Builtin,
                    issuer: issuer.clone(),
                    dcr_config: DcrConfig::Builtin,
                    created_at: now,
                    updated_at: now,
                };
                self.store.insert_dcr_provider(&provider).await?;
                provider
            }
        };
        let builtin_ids: HashSet<DcrProviderId> = builtin_providers
            .iter()
            .map(|provider| provider.id)
            .chain([provider.id])
            .collect();

        let strategies = self.store.auth_strategies().await?;
        for strategy in &strategies {
            let served = strategy
                .dcr_provider_id
                .is_some_and(|id| builtin_ids.contains(&id));
            if served && strategy.openid_connect.issuer != *issuer {
                let mut moved = strategy.clone();
                moved.openid_connect.issuer = issuer.clone();
                moved.updated_at = now;
                self.store.update_auth_strategy(&moved).await?;
            }
        }
        let strategy = match strategies
            .iter()
            .find(|strategy| strategy.dcr_provider_id == Some(provider.id))
        {
            Some(strategy) => {
                let mut strategy = strategy.clone();
                strategy.openid_connect.issuer = issuer.clone();
                strategy
            }
            None => {
                let strategy = AuthStrategy {
                    id: AuthStrategyId::new(),
                    name: BUILTIN_NAME.to_owned(),
                    strategy_type: StrategyType::OpenidConnect,
                    dcr_provider_id: Some(provider.id),
                    openid_connect: OpenIdConnectConfig {
                        issuer: issuer.clone(),
                        audience: DEFAULT_BUILTIN_AUDIENCE.to_owned(),
                        scopes: Vec::new(),
                        credential_claim: vec!["azp".to_owned()],
                        auth_methods: vec![AuthMethod::ClientCredentials, AuthMethod::Bearer],
                    },
                    created_at: now,
                    updated_at: now,
                };
                self.store.insert_auth_strategy(&strategy).await?;
                strategy
            }
        };

        let mut settings = self.store.portal_settings().await?;
        if settings.default_auth_strategy_id.is_none() {
            settings.default_auth_strategy_id = Some(strategy.id);
            self.store.update_portal_settings(&settings).await?;
            tracing::info!(strategy_id = %strategy.id, "the built-in identity provider is the portal's default");
        }
        Ok(ApplicationSetup { provider, strategy })
    }

    /// The built-in provider (the oldest of type `builtin`) and its first strategy, if both
    /// exist.
    pub async fn builtin_setup(&self) -> CoreResult<Option<ApplicationSetup>> {
        let Some(provider) = self
            .store
            .dcr_providers()
            .await?
            .into_iter()
            .find(|provider| provider.provider_type == ProviderType::Builtin)
        else {
            return Ok(None);
        };
        let strategy = self
            .store
            .auth_strategies()
            .await?
            .into_iter()
            .find(|strategy| strategy.dcr_provider_id == Some(provider.id));
        Ok(strategy.map(|strategy| ApplicationSetup { provider, strategy }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::ApplicationId;
    use crate::secret::EncryptedSecret;
    use time::macros::datetime;

    fn at(seconds: i64) -> OffsetDateTime {
        datetime!(2025-03-01 12:00:00 UTC) + time::Duration::seconds(seconds)
    }

    fn key(kid: &str, created: i64, retires: Option<i64>) -> SigningKey {
        SigningKey {
            kid: kid.to_owned(),
            algorithm: SIGNING_ALGORITHM.to_owned(),
            private_key: EncryptedSecret(vec![1, 2, 3]),
            public_jwk: json!({"kty": "RSA", "kid": kid}).to_string(),
            created_at: at(created),
            retires_at: retires.map(at),
        }
    }

    fn strategy(audience: &str, scopes: &[&str]) -> AuthStrategy {
        AuthStrategy {
            id: AuthStrategyId::new(),
            name: "Built-in".into(),
            strategy_type: StrategyType::OpenidConnect,
            dcr_provider_id: Some(DcrProviderId::new()),
            openid_connect: OpenIdConnectConfig {
                issuer: Issuer::parse("http://127.0.0.1:8003/idp").unwrap(),
                audience: audience.into(),
                scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
                credential_claim: vec!["azp".into()],
                auth_methods: vec![AuthMethod::ClientCredentials],
            },
            created_at: at(0),
            updated_at: at(0),
        }
    }

    fn client(audience: &str) -> BuiltinClient {
        BuiltinClient {
            client_id: "client".into(),
            secret_hash: SecretString::new("s3cret").sha256_hex(),
            name: "App".into(),
            audience: audience.into(),
            application_id: Some(ApplicationId::new()),
            created_at: at(0),
            updated_at: at(0),
        }
    }

    #[test]
    fn the_newest_key_in_use_signs_and_retiring_keys_stay_published() {
        let keys = vec![
            key("old", 0, Some(100)),
            key("current", 10, None),
            key("gone", 1, Some(5)),
        ];
        assert_eq!(signing_key(&keys, at(50)).unwrap().kid, "current");
        let jwks = jwks_document(&keys, at(50));
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|jwk| jwk["kid"].as_str().unwrap())
            .collect();
        assert_eq!(kids, ["current", "old"]);
        // After the overlap only the key in use is left.
        let jwks = jwks_document(&keys, at(100));
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn with_every_key_retiring_the_newest_published_one_signs() {
        let keys = vec![key("a", 0, Some(100)), key("b", 10, Some(100))];
        assert_eq!(signing_key(&keys, at(50)).unwrap().kid, "b");
        assert!(signing_key(&keys, at(100)).is_none());
    }

    #[test]
    fn secrets_are_compared_by_hash() {
        let stored = SecretString::new("s3cret").sha256_hex();
        assert!(secret_matches(
            &SecretString::new("s3cret").sha256_hex(),
            &stored
        ));
        assert!(!secret_matches(
            &SecretString::new("s3cre").sha256_hex(),
            &stored
        ));
        assert!(!secret_matches("", &stored));
    }

    #[test]
    fn the_audience_defaults_to_the_clients_own() {
        let served = [strategy("portico", &["read"])];
        let grant = decide_grant(&client("portico"), &served, None, None).unwrap();
        assert_eq!(
            grant,
            Grant {
                audience: "portico".into(),
                scopes: vec!["read".into()]
            }
        );
        let grant = decide_grant(&client("portico"), &served, Some(" portico "), None).unwrap();
        assert_eq!(grant.audience, "portico");
    }

    #[test]
    fn an_audience_not_served_or_not_granted_is_an_invalid_target() {
        let served = [
            strategy("portico", &[]),
            strategy("https://api.example", &[]),
        ];
        let error = decide_grant(&client("portico"), &served, Some("elsewhere"), None).unwrap_err();
        assert_eq!(error.code, OAuthErrorCode::InvalidTarget);
        let error = decide_grant(
            &client("portico"),
            &served,
            Some("https://api.example"),
            None,
        )
        .unwrap_err();
        assert_eq!(error.code, OAuthErrorCode::InvalidTarget);
        // A client whose strategy's audience changed since is served no more.
        let error = decide_grant(&client("renamed"), &served, None, None).unwrap_err();
        assert_eq!(error.code, OAuthErrorCode::InvalidTarget);
    }

    #[test]
    fn scopes_must_be_among_the_strategys() {
        let served = [strategy("portico", &["read", "write"])];
        let grant =
            decide_grant(&client("portico"), &served, None, Some("write read write")).unwrap();
        assert_eq!(grant.scopes, ["write", "read"]);
        let grant = decide_grant(&client("portico"), &served, None, Some("")).unwrap();
        assert!(grant.scopes.is_empty());
        let error =
            decide_grant(&client("portico"), &served, None, Some("read admin")).unwrap_err();
        assert_eq!(error.code, OAuthErrorCode::InvalidScope);
        assert!(error.description.contains("admin"));
    }

    #[test]
    fn client_ids_are_long_and_alphanumeric() {
        let id = new_client_id();
        assert_eq!(id.len(), CLIENT_ID_LENGTH);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(id, new_client_id());
    }
}
