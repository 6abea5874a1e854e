//! Dynamic Client Registration against an Auth0 tenant through its Management API.
//!
//! Portico holds the credentials of one Auth0 machine-to-machine application (the "initial
//! client") that is authorized for the Management API with the nine permissions in
//! [`REQUIRED_PERMISSIONS`]. With its token it creates one `non_interactive` client per
//! Portico application and grants it the strategy's audience.

mod wire;

use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine;
use portico_core::ports::{
    ClientRequest, CreateError, DcrProvider, IdpError, IssuedClient, Verification,
};
use portico_core::{Issuer, SecretString};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use url::Url;

use crate::discovery::{self, DiscoveryError};
use crate::retry::{self, Repeat, RetryPolicy};

/// How many pages of 100 clients the search after a create of unknown outcome reads at most.
const LOST_CREATE_SCAN_PAGES: u32 = 20;

/// The Management API permissions Portico needs, in the order they are named in messages.
pub const REQUIRED_PERMISSIONS: [&str; 9] = [
    "read:clients",
    "create:clients",
    "update:clients",
    "delete:clients",
    "read:client_grants",
    "create:client_grants",
    "update:client_grants",
    "delete:client_grants",
    "update:client_keys",
];

/// Scopes that belong to OpenID Connect sign-in rather than to an API; Auth0 refuses them in a
/// client grant, so they are left out of it.
const OPENID_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// A cached management token is fetched again this long before it expires.
const TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// What Portico needs to know about one Auth0 tenant.
#[derive(Clone)]
pub struct Auth0Settings {
    pub issuer: Issuer,
    pub initial_client_id: String,
    pub initial_client_secret: SecretString,
    /// The Management API audience; `{issuer}/api/v2/` when `None`. Needed for tenants behind
    /// a custom domain, whose Management API keeps the tenant's own domain.
    pub initial_client_audience: Option<String>,
}

impl fmt::Debug for Auth0Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth0Settings")
            .field("issuer", &self.issuer)
            .field("initial_client_id", &self.initial_client_id)
            .field("initial_client_secret", &self.initial_client_secret)
            .field("initial_client_audience", &self.initial_client_audience)
            .finish()
    }
}

impl Auth0Settings {
    /// The audience the management token is asked for.
    pub fn management_audience(&self) -> String {
        match &self.initial_client_audience {
            Some(audience) if !audience.trim().is_empty() => audience.trim().to_owned(),
            _ => self.issuer.join("api/v2/"),
        }
    }
}

/// The Auth0 implementation of [`DcrProvider`]. Cheap to share; holds the management token
/// cache, so keep one instance per tenant (see [`crate::IdpRegistry`]).
pub struct Auth0Provider {
    http: reqwest::Client,
    settings: Auth0Settings,
    retry: RetryPolicy,
    audience: String,
    token_url: String,
    management_base: Url,
    token: Mutex<Option<ManagementToken>>,
}

impl fmt::Debug for Auth0Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth0Provider")
            .field("settings", &self.settings)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

struct ManagementToken {
    access_token: SecretString,
    refresh_at: Instant,
}

/// A management token as `/oauth/token` issued it.
struct IssuedToken {
    access_token: SecretString,
    expires_in: Duration,
    scopes: Vec<String>,
}

/// Why no management token could be had; kept apart so that `verify` can give advice.
#[derive(Debug)]
enum TokenFailure {
    Rejected {
        status: u16,
        error: String,
        description: String,
    },
    Unavailable(String),
    Invalid(String),
}

impl Auth0Provider {
    pub fn new(http: reqwest::Client, settings: Auth0Settings, retry: RetryPolicy) -> Self {
        let audience = settings.management_audience();
        let token_url = settings.issuer.join("oauth/token");
        // The issuer was validated as an absolute http(s) URL, so appending a path keeps it one.
        let management_base = Url::parse(&settings.issuer.join("api/v2"))
            .expect("an issuer joined with a path is a URL");
        Self {
            http,
            settings,
            retry,
            audience,
            token_url,
            management_base,
            token: Mutex::new(None),
        }
    }

    pub fn settings(&self) -> &Auth0Settings {
        &self.settings
    }

    // ------------------------------------------------------------ management token

    /// The cached token, or a fresh one. The lock is held while fetching so that concurrent
    /// callers wait for one request instead of each sending their own.
    async fn management_token(&self) -> Result<SecretString, IdpError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref() {
            if Instant::now() < token.refresh_at {
                return Ok(token.access_token.clone());
            }
        }
        let issued = self
            .fetch_token()
            .await
            .map_err(|failure| failure.into_idp_error(&self.audience, &self.token_url))?;
        let access_token = issued.access_token.clone();
        *cached = Some(ManagementToken::from(issued));
        Ok(access_token)
    }

    /// Drops the cached token if it is still the one Auth0 refused; another caller may
    /// already have replaced it.
    async fn forget_token(&self, refused: &SecretString) {
        let mut cached = self.token.lock().await;
        if cached
            .as_ref()
            .is_some_and(|token| token.access_token == *refused)
        {
            *cached = None;
        }
    }

    async fn fetch_token(&self) -> Result<IssuedToken, TokenFailure> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.settings.initial_client_id.as_str()),
            (
                "client_secret",
                self.settings.initial_client_secret.expose(),
            ),
            ("audience", self.audience.as_str()),
        ];
        // Asking for a token twice does no harm, so token requests are retried like reads.
        let response = retry::send(&self.retry, Repeat::Safe, "POST /oauth/token", || {
            self.http
                .post(&self.token_url)
                .header("accept", "application/json")
                .form(&form)
        })
        .await
        .map_err(|error| match error {
            IdpError::Unavailable(reason) => TokenFailure::Unavailable(reason),
            other => TokenFailure::Unavailable(other.to_string()),
        })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| TokenFailure::Unavailable(retry::describe(&error)))?;
        if status.is_success() {
            let parsed: wire::TokenResponse = serde_json::from_slice(&body).map_err(|error| {
                tracing::debug!(body = %wire::loggable_body(&body), "unparseable token response");
                TokenFailure::Invalid(format!("the token response could not be read: {error}"))
            })?;
            let scopes = match parsed.scope {
                Some(scope) => split_scopes(&scope),
                None => scopes_from_jwt(parsed.access_token.expose()),
            };
            return Ok(IssuedToken {
                access_token: parsed.access_token,
                // Auth0 always sends `expires_in`; without it, assume its one-day default.
                expires_in: Duration::from_secs(parsed.expires_in.unwrap_or(86_400)),
                scopes,
            });
        }
        if status.is_server_error() {
            return Err(TokenFailure::Unavailable(format!(
                "the token endpoint answered {status}"
            )));
        }
        match serde_json::from_slice::<wire::TokenError>(&body) {
            Ok(error) if status.is_client_error() => Err(TokenFailure::Rejected {
                status: status.as_u16(),
                description: error
                    .error_description
                    .unwrap_or_else(|| error.error.clone()),
                error: error.error,
            }),
            _ => {
                tracing::debug!(status = status.as_u16(), body = %wire::loggable_body(&body), "unexpected token endpoint answer");
                Err(TokenFailure::Invalid(format!(
                    "the token endpoint answered {status} without an OAuth error body"
                )))
            }
        }
    }

    // ------------------------------------------------------------ Management API calls

    fn management_url(&self, segments: &[&str]) -> Url {
        let mut url = self.management_base.clone();
        url.path_segments_mut()
            .expect("http(s) URLs have path segments")
            .pop_if_empty()
            .extend(segments);
        url
    }

    /// Sends one Management API request with the management token; on a 401 the token is
    /// fetched again once and the request repeated once. Any answer but 2xx becomes an error.
    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        repeat: Repeat,
    ) -> Result<Vec<u8>, IdpError> {
        let what = format!("{method} {}", url.path());
        let mut token = self.management_token().await?;
        let mut refreshed = false;
        loop {
            let response = retry::send(&self.retry, repeat, &what, || {
                let mut request = self
                    .http
                    .request(method.clone(), url.clone())
                    .bearer_auth(token.expose())
                    .header("accept", "application/json");
                if let Some(body) = &body {
                    request = request
                        .header("content-type", "application/json")
                        .body(body.clone());
                }
                request
            })
            .await?;
            let status = response.status();
            let bytes = response.bytes().await.map_err(|error| {
                IdpError::Unavailable(format!("{what} failed: {}", retry::describe(&error)))
            })?;
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                // Auth0 refused the token (expired early, or the tenant's keys rotated): it
                // cannot have acted on the request, so one more try is safe for any call.
                tracing::info!(%what, "management token refused; fetching a new one");
                self.forget_token(&token).await;
                token = self.management_token().await?;
                refreshed = true;
                continue;
            }
            if status.is_success() {
                return Ok(bytes.to_vec());
            }
            return Err(management_error(&what, status, &bytes));
        }
    }

    async fn call_json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        repeat: Repeat,
    ) -> Result<T, IdpError> {
        let what = format!("{method} {}", url.path());
        let bytes = self.call(method, url, body, repeat).await?;
        parse(&what, &bytes)
    }

    /// Deletes a client that was made for a failed creation, or reports it as an orphan.
    /// After a create whose outcome is unknown: finds a client made for this application (by
    /// `client_metadata.portico_application_id`) and deletes it. Reads at most
    /// [`LOST_CREATE_SCAN_PAGES`] pages of clients; what cannot be checked is logged with the
    /// application id, the one handle left for a person to clean up by.
    async fn undo_lost_create(&self, request: &ClientRequest, error: IdpError) -> CreateError {
        let application_id = request.application_id.to_string();
        for page in 0..LOST_CREATE_SCAN_PAGES {
            let mut url = self.management_url(&["clients"]);
            url.query_pairs_mut()
                .append_pair("fields", "client_id,client_metadata")
                .append_pair("include_fields", "true")
                .append_pair("app_type", "non_interactive")
                .append_pair("per_page", "100")
                .append_pair("page", &page.to_string());
            let clients: Vec<serde_json::Value> = match self
                .call_json(Method::GET, url, None, Repeat::Safe)
                .await
            {
                Ok(clients) => clients,
                Err(lookup_error) => {
                    tracing::error!(%application_id, error = %lookup_error, "a client creation's outcome is unknown and Auth0 could not be searched; a client tagged with this application id may be orphaned");
                    return error.into();
                }
            };
            let found = clients.iter().find(|client| {
                client["client_metadata"]["portico_application_id"] == application_id.as_str()
            });
            if let Some(client_id) = found.and_then(|client| client["client_id"].as_str()) {
                tracing::warn!(%client_id, %application_id, "found the client of a create that seemed to fail; deleting it");
                return self.undo_create(client_id.to_owned(), error).await;
            }
            if clients.len() < 100 {
                return error.into();
            }
        }
        tracing::error!(%application_id, "a client creation's outcome is unknown and not every client could be searched; a client tagged with this application id may be orphaned");
        error.into()
    }

    async fn undo_create(&self, client_id: String, error: IdpError) -> CreateError {
        match self.delete_client(&client_id).await {
            Ok(()) => CreateError {
                error,
                orphan: None,
            },
            Err(delete_error) => {
                tracing::warn!(%client_id, error = %delete_error, "could not delete the half-made Auth0 client");
                CreateError {
                    error,
                    orphan: Some(client_id),
                }
            }
        }
    }
}

#[async_trait]
impl DcrProvider for Auth0Provider {
    async fn verify(&self) -> Verification {
        let mut errors = Vec::new();
        match discovery::fetch_document(&self.http, &self.retry, &self.settings.issuer).await {
            Ok(_) => {}
            // The tenant answers, so its credentials can still be checked.
            Err(mismatch @ DiscoveryError::IssuerMismatch { .. }) => {
                errors.push(mismatch.message())
            }
            // Nothing else can be checked against an issuer that does not answer.
            Err(other) => {
                return Verification {
                    errors: vec![other.message()],
                }
            }
        }
        match self.fetch_token().await {
            Ok(issued) => {
                let missing = missing_permissions(&issued.scopes);
                if !missing.is_empty() {
                    errors.push(format!(
                        "the Auth0 application is missing the Management API permissions: {}",
                        missing.join(", ")
                    ));
                }
                *self.token.lock().await = Some(ManagementToken::from(issued));
            }
            Err(failure) => errors.push(failure.message(&self.audience, &self.token_url)),
        }
        Verification { errors }
    }

    async fn create_client(&self, request: &ClientRequest) -> Result<IssuedClient, CreateError> {
        let body = wire::CreateClient {
            name: &request.name,
            description: &request.description,
            app_type: "non_interactive",
            grant_types: ["client_credentials"],
            token_endpoint_auth_method: "client_secret_post",
            callbacks: request.redirect_uri.as_deref().map(|uri| [uri]),
            client_metadata: wire::ClientMetadata {
                portico_application_id: request.application_id.to_string(),
                portico_developer_id: request.developer_id.to_string(),
            },
        };
        // Never repeated on a 5xx or a timeout: Auth0 may have made the client already, and a
        // second one would be left behind unknown to Portico.
        let url = self.management_url(&["clients"]);
        let what = format!("POST {}", url.path());
        let bytes = match self
            .call(Method::POST, url, Some(to_json(&body)), Repeat::Once)
            .await
        {
            Ok(bytes) => bytes,
            // A timeout or a 5xx leaves it unknown whether Auth0 made the client. Look for it
            // by the application id in its metadata, so that it is not left behind.
            Err(error @ IdpError::Unavailable(_)) => {
                return Err(self.undo_lost_create(request, error).await);
            }
            Err(error) => return Err(error.into()),
        };
        let created: wire::ClientWithSecret = match parse(&what, &bytes) {
            Ok(created) => created,
            Err(error) => {
                // If the answer names the client it made, that client must not be left behind.
                let client_id = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|value| value.get("client_id")?.as_str().map(str::to_owned));
                return Err(match client_id {
                    Some(client_id) => self.undo_create(client_id, error).await,
                    None => error.into(),
                });
            }
        };

        let grant = wire::CreateClientGrant {
            client_id: &created.client_id,
            audience: &request.audience,
            scope: api_scopes(&request.scopes),
        };
        let granted = self
            .call(
                Method::POST,
                self.management_url(&["client-grants"]),
                Some(to_json(&grant)),
                Repeat::Once,
            )
            .await;
        if let Err(error) = granted {
            tracing::warn!(client_id = %created.client_id, %error, "granting the audience failed; deleting the client");
            return Err(self.undo_create(created.client_id, error).await);
        }
        tracing::info!(client_id = %created.client_id, application_id = %request.application_id, "created Auth0 client");
        Ok(IssuedClient {
            client_id: created.client_id,
            client_secret: created.client_secret,
        })
    }

    async fn update_client(
        &self,
        client_id: &str,
        request: &ClientRequest,
    ) -> Result<(), IdpError> {
        let body = wire::UpdateClient {
            name: &request.name,
            description: &request.description,
            callbacks: request.redirect_uri.as_deref().into_iter().collect(),
        };
        self.call(
            Method::PATCH,
            self.management_url(&["clients", client_id]),
            Some(to_json(&body)),
            Repeat::Safe,
        )
        .await?;
        Ok(())
    }

    async fn rotate_secret(&self, client_id: &str) -> Result<SecretString, IdpError> {
        // Not repeated on a 5xx or a timeout: a second rotation would discard the secret of
        // the first, which may already be in effect.
        let rotated: wire::ClientWithSecret = self
            .call_json(
                Method::POST,
                self.management_url(&["clients", client_id, "rotate-secret"]),
                None,
                Repeat::Once,
            )
            .await?;
        Ok(rotated.client_secret)
    }

    async fn delete_client(&self, client_id: &str) -> Result<(), IdpError> {
        // Auth0 does not document that deleting a client deletes its grants, so they go first.
        let mut grants_url = self.management_url(&["client-grants"]);
        grants_url
            .query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("per_page", "100");
        let grants: wire::ClientGrantList = self
            .call_json(Method::GET, grants_url, None, Repeat::Safe)
            .await?;
        for grant in grants.into_grants() {
            let deleted = self
                .call(
                    Method::DELETE,
                    self.management_url(&["client-grants", &grant.id]),
                    None,
                    Repeat::Safe,
                )
                .await;
            ignore_not_found(deleted)?;
        }
        let deleted = self
            .call(
                Method::DELETE,
                self.management_url(&["clients", client_id]),
                None,
                Repeat::Safe,
            )
            .await;
        ignore_not_found(deleted)?;
        tracing::info!(%client_id, "deleted Auth0 client");
        Ok(())
    }
}

impl From<IssuedToken> for ManagementToken {
    fn from(issued: IssuedToken) -> Self {
        let margin = TOKEN_REFRESH_MARGIN.min(issued.expires_in / 2);
        Self {
            access_token: issued.access_token,
            refresh_at: Instant::now() + issued.expires_in - margin,
        }
    }
}

impl TokenFailure {
    /// A sentence a person can act on, for `verify` and for failed operations alike.
    fn message(&self, audience: &str, token_url: &str) -> String {
        match self {
            TokenFailure::Rejected { status: 401, .. } => {
                "the initial client credentials were rejected by Auth0: check Initial Client ID and Initial Client Secret".to_owned()
            }
            TokenFailure::Rejected {
                status: 403,
                error,
                description,
            } if error == "unauthorized_client" => format!(
                "the Auth0 application may not use the Client Credentials grant: {description}"
            ),
            TokenFailure::Rejected {
                status: 403,
                description,
                ..
            } => format!(
                "the Auth0 application is not authorized for the Management API ({audience}): {description}"
            ),
            TokenFailure::Rejected {
                status,
                error,
                description,
            } => format!(
                "Auth0 refused a Management API token ({status} {error}): {description}"
            ),
            TokenFailure::Unavailable(reason) => {
                format!("could not get a Management API token from {token_url}: {reason}")
            }
            TokenFailure::Invalid(reason) => {
                format!("Auth0's token endpoint at {token_url} sent an unexpected answer: {reason}")
            }
        }
    }

    fn into_idp_error(self, audience: &str, token_url: &str) -> IdpError {
        let message = self.message(audience, token_url);
        match self {
            TokenFailure::Rejected { status, error, .. } => IdpError::Rejected {
                status,
                code: Some(error),
                message,
            },
            TokenFailure::Unavailable(_) => IdpError::Unavailable(message),
            TokenFailure::Invalid(_) => IdpError::InvalidResponse(message),
        }
    }
}

/// The nine permissions that `granted` lacks, in their canonical order.
fn missing_permissions(granted: &[String]) -> Vec<&'static str> {
    REQUIRED_PERMISSIONS
        .into_iter()
        .filter(|permission| !granted.iter().any(|scope| scope == permission))
        .collect()
}

fn split_scopes(scope: &str) -> Vec<String> {
    scope.split_whitespace().map(str::to_owned).collect()
}

/// The `scope` claim of a JWT, read without checking the signature: only to tell the person
/// configuring Portico which permissions are missing when the token response omits `scope`.
fn scopes_from_jwt(token: &str) -> Vec<String> {
    let claims = token.split('.').nth(1).and_then(|payload| {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        serde_json::from_slice::<serde_json::Value>(&bytes).ok()
    });
    claims
        .as_ref()
        .and_then(|claims| claims.get("scope")?.as_str())
        .map(split_scopes)
        .unwrap_or_default()
}

/// The requested scopes without OpenID Connect's, deduplicated, in their given order.
fn api_scopes(scopes: &[String]) -> Vec<&str> {
    let mut kept: Vec<&str> = Vec::new();
    for scope in scopes.iter().map(|scope| scope.trim()) {
        if !scope.is_empty() && !OPENID_SCOPES.contains(&scope) && !kept.contains(&scope) {
            kept.push(scope);
        }
    }
    kept
}

fn to_json(body: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(body).expect("request bodies are plain structs of strings")
}

fn parse<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, IdpError> {
    serde_json::from_slice(bytes).map_err(|error| {
        tracing::debug!(%what, body = %wire::loggable_body(bytes), "unparseable Auth0 answer");
        IdpError::InvalidResponse(format!(
            "Auth0's answer to {what} could not be read: {error}"
        ))
    })
}

/// Maps a non-2xx Management API answer: 5xx to `Unavailable`, 4xx with Auth0's error body
/// to `Rejected` keeping its words, anything else to `InvalidResponse`.
fn management_error(what: &str, status: StatusCode, body: &[u8]) -> IdpError {
    let parsed = serde_json::from_slice::<wire::ManagementError>(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|error| error.message.clone().or_else(|| error.error.clone()));
    if status.is_server_error() {
        return IdpError::Unavailable(match message {
            Some(message) => format!("Auth0 answered {status} to {what}: {message}"),
            None => format!("Auth0 answered {status} to {what}"),
        });
    }
    match (status.is_client_error(), parsed, message) {
        (true, Some(parsed), Some(message)) => IdpError::Rejected {
            status: status.as_u16(),
            code: parsed.error_code,
            message,
        },
        _ => {
            tracing::debug!(%what, status = status.as_u16(), body = %wire::loggable_body(body), "unexpected Auth0 answer");
            IdpError::InvalidResponse(format!(
                "Auth0 answered {status} to {what} without a Management API error body"
            ))
        }
    }
}

fn ignore_not_found(result: Result<Vec<u8>, IdpError>) -> Result<(), IdpError> {
    match result {
        Ok(_) | Err(IdpError::Rejected { status: 404, .. }) => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_permissions_keep_the_canonical_order() {
        let granted: Vec<String> = REQUIRED_PERMISSIONS
            .iter()
            .filter(|scope| !matches!(**scope, "create:client_grants" | "read:clients"))
            .map(|scope| scope.to_string())
            .collect();
        assert_eq!(
            missing_permissions(&granted),
            ["read:clients", "create:client_grants"]
        );
        let all: Vec<String> = REQUIRED_PERMISSIONS.iter().map(|s| s.to_string()).collect();
        assert!(missing_permissions(&all).is_empty());
    }

    #[test]
    fn openid_scopes_stay_out_of_the_grant() {
        let scopes: Vec<String> = [
            "openid",
            "read:weather",
            "profile",
            "read:weather",
            "email",
            "write:weather",
            "offline_access",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(api_scopes(&scopes), ["read:weather", "write:weather"]);
    }

    #[test]
    fn scopes_are_read_from_the_token_when_the_response_omits_them() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"scope":"read:clients create:clients"}"#);
        let token = format!("eyJhbGciOiJSUzI1NiJ9.{payload}.signature");
        assert_eq!(scopes_from_jwt(&token), ["read:clients", "create:clients"]);
        assert!(scopes_from_jwt("not-a-jwt").is_empty());
    }

    #[test]
    fn management_errors_keep_auth0_words() {
        let body = br#"{"statusCode":404,"error":"Not Found","message":"The client does not exist","errorCode":"inexistent_client"}"#;
        match management_error("GET /api/v2/clients/x", StatusCode::NOT_FOUND, body) {
            IdpError::Rejected {
                status,
                code,
                message,
            } => {
                assert_eq!(status, 404);
                assert_eq!(code.as_deref(), Some("inexistent_client"));
                assert_eq!(message, "The client does not exist");
            }
            other => panic!("expected Rejected, got {other:?}"),
        }
        assert!(matches!(
            management_error("x", StatusCode::BAD_GATEWAY, b"<html>"),
            IdpError::Unavailable(_)
        ));
        assert!(matches!(
            management_error("x", StatusCode::BAD_REQUEST, b"<html>"),
            IdpError::InvalidResponse(_)
        ));
    }

    #[test]
    fn debug_output_hides_the_initial_secret() {
        let settings = Auth0Settings {
            issuer: Issuer::parse("https://tenant.example").unwrap(),
            initial_client_id: "client".into(),
            initial_client_secret: SecretString::new("hunter2"),
            initial_client_audience: None,
        };
        assert_eq!(
            settings.management_audience(),
            "https://tenant.example/api/v2/"
        );
        let provider = Auth0Provider::new(reqwest::Client::new(), settings, RetryPolicy::fast());
        let debug = format!("{provider:?}");
        assert!(debug.contains("[redacted]") && !debug.contains("hunter2"));
        assert_eq!(
            provider
                .management_url(&["clients", "a/b", "rotate-secret"])
                .as_str(),
            "https://tenant.example/api/v2/clients/a%2Fb/rotate-secret"
        );
    }
}
