//! The JSON bodies of the admin and portal APIs: kept apart from the domain types so that a
//! change of either is a deliberate change of the contract (the OpenAPI snapshot shows it).

use portico_core::model::{self, ApprovalStatus, DcrConfig};
use portico_core::service;
use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// Tells a field left out (`None`) from a field sent as `null` (`Some(None)`).
fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListBody<T> {
    pub data: Vec<T>,
}

// ------------------------------------------------------------------ Application Setup

/// The seed's Settings > Application Setup form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationSetupRequest {
    /// `auth0`, or `builtin` to make the built-in identity provider the default again
    /// (without verification; the other fields do not apply to it and may be left out).
    pub provider_type: String,
    /// For example `https://TENANT.us.auth0.com`, with or without the trailing slash.
    /// Required for `auth0`.
    #[serde(default)]
    pub issuer: String,
    /// Required for `auth0`.
    #[serde(default)]
    pub client_token_audience: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Required for `auth0`, for example `["azp"]`.
    #[serde(default)]
    pub consumer_claims: Vec<String>,
    /// Required for `auth0`.
    #[serde(default)]
    pub initial_client_id: String,
    /// Write-only. May be left out to keep the stored secret of the same initial client.
    #[serde(default)]
    #[schema(value_type = Option<String>, write_only)]
    pub initial_client_secret: Option<portico_core::SecretString>,
    #[serde(default)]
    pub initial_client_audience: Option<String>,
}

impl From<ApplicationSetupRequest> for service::ApplicationSetupInput {
    fn from(request: ApplicationSetupRequest) -> Self {
        Self {
            provider_type: request.provider_type,
            issuer: request.issuer,
            client_token_audience: request.client_token_audience,
            scopes: request.scopes,
            consumer_claims: request.consumer_claims,
            initial_client_id: request.initial_client_id,
            initial_client_secret: request.initial_client_secret,
            initial_client_audience: request.initial_client_audience,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationSetupBody {
    pub provider_type: String,
    pub issuer: String,
    pub client_token_audience: String,
    pub scopes: Vec<String>,
    pub consumer_claims: Vec<String>,
    pub initial_client_id: Option<String>,
    pub initial_client_audience: Option<String>,
    pub dcr_provider_id: Uuid,
    pub auth_strategy_id: Uuid,
    pub warnings: Vec<String>,
}

impl ApplicationSetupBody {
    pub fn new(setup: &service::ApplicationSetup, warnings: Vec<String>) -> Self {
        let (initial_client_id, initial_client_audience) = match &setup.provider.dcr_config {
            DcrConfig::Auth0 {
                initial_client_id,
                initial_client_audience,
                ..
            } => (
                Some(initial_client_id.clone()),
                initial_client_audience.clone(),
            ),
            DcrConfig::Builtin => (None, None),
        };
        let oidc = &setup.strategy.openid_connect;
        Self {
            provider_type: setup.provider.provider_type.as_str().into(),
            issuer: setup.provider.issuer.to_string(),
            client_token_audience: oidc.audience.clone(),
            scopes: oidc.scopes.clone(),
            consumer_claims: oidc.credential_claim.clone(),
            initial_client_id,
            initial_client_audience,
            dcr_provider_id: setup.provider.id.as_uuid(),
            auth_strategy_id: setup.strategy.id.as_uuid(),
            warnings,
        }
    }
}

// ------------------------------------------------------------------ DCR providers

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DcrConfigRequest {
    #[serde(default)]
    pub initial_client_id: Option<String>,
    /// Write-only.
    #[serde(default)]
    #[schema(value_type = Option<String>, write_only)]
    pub initial_client_secret: Option<portico_core::SecretString>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub initial_client_audience: Option<Option<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DcrProviderCreate {
    pub name: String,
    /// `auth0` or `builtin`.
    pub provider_type: String,
    pub issuer: String,
    #[serde(default)]
    pub dcr_config: Option<DcrConfigRequest>,
}

impl From<DcrProviderCreate> for service::NewDcrProvider {
    fn from(request: DcrProviderCreate) -> Self {
        let config = request.dcr_config;
        Self {
            name: request.name,
            provider_type: request.provider_type,
            issuer: request.issuer,
            initial_client_id: config.as_ref().and_then(|c| c.initial_client_id.clone()),
            initial_client_secret: config
                .as_ref()
                .and_then(|c| c.initial_client_secret.clone()),
            initial_client_audience: config.and_then(|c| c.initial_client_audience.flatten()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DcrProviderPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub dcr_config: Option<DcrConfigRequest>,
}

impl From<DcrProviderPatch> for service::DcrProviderChanges {
    fn from(request: DcrProviderPatch) -> Self {
        let config = request.dcr_config;
        Self {
            name: request.name,
            issuer: request.issuer,
            initial_client_id: config.as_ref().and_then(|c| c.initial_client_id.clone()),
            initial_client_secret: config
                .as_ref()
                .and_then(|c| c.initial_client_secret.clone()),
            initial_client_audience: config.and_then(|c| c.initial_client_audience),
        }
    }
}

/// The provider's configuration as returned: the secret is write-only and never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct DcrConfigBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_client_audience: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DcrProviderBody {
    pub id: Uuid,
    pub name: String,
    pub provider_type: String,
    pub issuer: String,
    pub dcr_config: DcrConfigBody,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&model::DcrProvider> for DcrProviderBody {
    fn from(provider: &model::DcrProvider) -> Self {
        let dcr_config = match &provider.dcr_config {
            DcrConfig::Auth0 {
                initial_client_id,
                initial_client_audience,
                ..
            } => DcrConfigBody {
                initial_client_id: Some(initial_client_id.clone()),
                initial_client_audience: initial_client_audience.clone(),
            },
            DcrConfig::Builtin => DcrConfigBody {
                initial_client_id: None,
                initial_client_audience: None,
            },
        };
        Self {
            id: provider.id.as_uuid(),
            name: provider.name.clone(),
            provider_type: provider.provider_type.as_str().into(),
            issuer: provider.issuer.to_string(),
            dcr_config,
            created_at: provider.created_at,
            updated_at: provider.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyBody {
    /// `success` or `failed`.
    pub status: String,
    pub errors: Vec<String>,
}

// ------------------------------------------------------------------ Auth strategies

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenIdConnectBody {
    pub issuer: String,
    pub audience: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub credential_claim: Vec<String>,
    /// `client_credentials` and/or `bearer`; both when left out.
    #[serde(default)]
    pub auth_methods: Vec<String>,
}

impl From<OpenIdConnectBody> for service::OpenIdConnectInput {
    fn from(body: OpenIdConnectBody) -> Self {
        Self {
            issuer: body.issuer,
            audience: body.audience,
            scopes: body.scopes,
            credential_claim: body.credential_claim,
            auth_methods: body.auth_methods,
        }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StrategyConfigs {
    #[serde(rename = "openid-connect")]
    pub openid_connect: OpenIdConnectBody,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthStrategyCreate {
    pub name: String,
    /// `openid_connect`.
    pub strategy_type: String,
    #[serde(default)]
    pub dcr_provider_id: Option<Uuid>,
    pub configs: StrategyConfigs,
}

impl From<AuthStrategyCreate> for service::NewAuthStrategy {
    fn from(request: AuthStrategyCreate) -> Self {
        Self {
            name: request.name,
            strategy_type: request.strategy_type,
            dcr_provider_id: request.dcr_provider_id.map(model_id),
            openid_connect: request.configs.openid_connect.into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthStrategyPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub dcr_provider_id: Option<Option<Uuid>>,
    #[serde(default)]
    pub configs: Option<StrategyConfigs>,
}

impl From<AuthStrategyPatch> for service::AuthStrategyChanges {
    fn from(request: AuthStrategyPatch) -> Self {
        Self {
            name: request.name,
            dcr_provider_id: request.dcr_provider_id.map(|id| id.map(model_id)),
            openid_connect: request.configs.map(|configs| configs.openid_connect.into()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthStrategyBody {
    pub id: Uuid,
    pub name: String,
    pub strategy_type: String,
    pub dcr_provider_id: Option<Uuid>,
    pub configs: StrategyConfigs,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&model::AuthStrategy> for AuthStrategyBody {
    fn from(strategy: &model::AuthStrategy) -> Self {
        let oidc = &strategy.openid_connect;
        Self {
            id: strategy.id.as_uuid(),
            name: strategy.name.clone(),
            strategy_type: "openid_connect".into(),
            dcr_provider_id: strategy.dcr_provider_id.map(|id| id.as_uuid()),
            configs: StrategyConfigs {
                openid_connect: OpenIdConnectBody {
                    issuer: oidc.issuer.to_string(),
                    audience: oidc.audience.clone(),
                    scopes: oidc.scopes.clone(),
                    credential_claim: oidc.credential_claim.clone(),
                    auth_methods: oidc
                        .auth_methods
                        .iter()
                        .map(|method| match method {
                            model::AuthMethod::ClientCredentials => "client_credentials".into(),
                            model::AuthMethod::Bearer => "bearer".into(),
                        })
                        .collect(),
                },
            },
            created_at: strategy.created_at,
            updated_at: strategy.updated_at,
        }
    }
}

// ------------------------------------------------------------------ APIs

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteBody {
    /// Path prefixes; each must start with `/`.
    pub paths: Vec<String>,
    /// Upper-case HTTP methods; empty means all.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Whether the matched prefix is removed before the request goes upstream.
    #[serde(default = "default_true")]
    pub strip_path: bool,
}

fn default_true() -> bool {
    true
}

impl From<RouteBody> for model::Route {
    fn from(body: RouteBody) -> Self {
        Self {
            paths: body.paths,
            methods: body.methods,
            strip_path: body.strip_path,
        }
    }
}

impl From<&model::Route> for RouteBody {
    fn from(route: &model::Route) -> Self {
        Self {
            paths: route.paths.clone(),
            methods: route.methods.clone(),
            strip_path: route.strip_path,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiCreate {
    pub name: String,
    /// Derived from the name when left out.
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub version: String,
    /// An `http` or `https` URL.
    pub upstream_url: String,
    #[serde(default)]
    pub routes: Vec<RouteBody>,
    /// Null means the portal's default strategy.
    #[serde(default)]
    pub auth_strategy_id: Option<Uuid>,
    #[serde(default)]
    pub published: bool,
}

impl From<ApiCreate> for service::NewApi {
    fn from(request: ApiCreate) -> Self {
        Self {
            name: request.name,
            slug: request.slug,
            description: request.description,
            version: request.version,
            upstream_url: request.upstream_url,
            routes: request.routes.into_iter().map(Into::into).collect(),
            auth_strategy_id: request.auth_strategy_id.map(model_id),
            published: request.published,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub upstream_url: Option<String>,
    #[serde(default)]
    pub routes: Option<Vec<RouteBody>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub auth_strategy_id: Option<Option<Uuid>>,
    #[serde(default)]
    pub published: Option<bool>,
}

impl From<ApiPatch> for service::ApiChanges {
    fn from(request: ApiPatch) -> Self {
        Self {
            name: request.name,
            slug: request.slug,
            description: request.description,
            version: request.version,
            upstream_url: request.upstream_url,
            routes: request
                .routes
                .map(|routes| routes.into_iter().map(Into::into).collect()),
            auth_strategy_id: request.auth_strategy_id.map(|id| id.map(model_id)),
            published: request.published,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiBody {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub version: String,
    pub upstream_url: String,
    pub routes: Vec<RouteBody>,
    pub auth_strategy_id: Option<Uuid>,
    pub published: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&model::Api> for ApiBody {
    fn from(api: &model::Api) -> Self {
        Self {
            id: api.id.as_uuid(),
            name: api.name.clone(),
            slug: api.slug.clone(),
            description: api.description.clone(),
            version: api.version.clone(),
            upstream_url: api.upstream_url.to_string(),
            routes: api.routes.iter().map(Into::into).collect(),
            auth_strategy_id: api.auth_strategy_id.map(|id| id.as_uuid()),
            published: api.published,
            created_at: api.created_at,
            updated_at: api.updated_at,
        }
    }
}

/// An API as the portal's catalog shows it: no upstream address.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogApiBody {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub version: String,
    /// The gateway paths the API is served on.
    pub paths: Vec<String>,
}

impl From<&model::Api> for CatalogApiBody {
    fn from(api: &model::Api) -> Self {
        Self {
            id: api.id.as_uuid(),
            name: api.name.clone(),
            slug: api.slug.clone(),
            description: api.description.clone(),
            version: api.version.clone(),
            paths: api
                .routes
                .iter()
                .flat_map(|route| route.paths.iter().cloned())
                .collect(),
        }
    }
}

// ------------------------------------------------------------------ Settings

#[derive(Debug, Serialize, ToSchema)]
pub struct PortalSettingsBody {
    pub auto_approve_developers: bool,
    pub auto_approve_registrations: bool,
    pub default_auth_strategy_id: Option<Uuid>,
}

impl From<&model::PortalSettings> for PortalSettingsBody {
    fn from(settings: &model::PortalSettings) -> Self {
        Self {
            auto_approve_developers: settings.auto_approve_developers,
            auto_approve_registrations: settings.auto_approve_registrations,
            default_auth_strategy_id: settings.default_auth_strategy_id.map(|id| id.as_uuid()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalSettingsPatch {
    #[serde(default)]
    pub auto_approve_developers: Option<bool>,
    #[serde(default)]
    pub auto_approve_registrations: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub default_auth_strategy_id: Option<Option<Uuid>>,
}

impl From<PortalSettingsPatch> for service::SettingsChanges {
    fn from(request: PortalSettingsPatch) -> Self {
        Self {
            auto_approve_developers: request.auto_approve_developers,
            auto_approve_registrations: request.auto_approve_registrations,
            default_auth_strategy_id: request.default_auth_strategy_id.map(|id| id.map(model_id)),
        }
    }
}

// ------------------------------------------------------------------ Developers

#[derive(Debug, Serialize, ToSchema)]
pub struct DeveloperBody {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    /// `approved`, `pending`, `rejected` or `revoked`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&model::Developer> for DeveloperBody {
    fn from(developer: &model::Developer) -> Self {
        Self {
            id: developer.id.as_uuid(),
            email: developer.email.clone(),
            full_name: developer.full_name.clone(),
            status: developer.status.as_str().into(),
            created_at: developer.created_at,
            updated_at: developer.updated_at,
        }
    }
}

/// A change of status: `approved`, `pending`, `rejected` or `revoked`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusPatch {
    pub status: String,
}

impl StatusPatch {
    pub fn parse(&self) -> Result<ApprovalStatus, crate::error::ApiError> {
        ApprovalStatus::parse(&self.status).ok_or_else(|| {
            crate::error::ApiError::invalid_field(
                "status",
                "must be one of: approved, pending, rejected, revoked",
            )
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    pub email: String,
    #[schema(value_type = String, write_only)]
    pub password: portico_core::SecretString,
    pub full_name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthenticateRequest {
    pub email: String,
    #[schema(value_type = String, write_only)]
    pub password: portico_core::SecretString,
}

#[derive(Serialize, ToSchema)]
pub struct TokenBody {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the session ends.
    pub expires_in: i64,
}

// ------------------------------------------------------------------ Applications

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationCreate {
    pub name: String,
    #[serde(default)]
    pub redirect_uri: Option<String>,
    /// At most 140 characters (Auth0's limit).
    #[serde(default)]
    pub description: String,
    /// The portal's default strategy when left out.
    #[serde(default)]
    pub auth_strategy_id: Option<Uuid>,
}

impl From<ApplicationCreate> for service::NewApplication {
    fn from(request: ApplicationCreate) -> Self {
        Self {
            name: request.name,
            description: request.description,
            redirect_uri: request.redirect_uri,
            auth_strategy_id: request.auth_strategy_id.map(model_id),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub redirect_uri: Option<Option<String>>,
}

impl From<ApplicationPatch> for service::ApplicationChanges {
    fn from(request: ApplicationPatch) -> Self {
        Self {
            name: request.name,
            description: request.description,
            redirect_uri: request.redirect_uri,
        }
    }
}

/// The answer to a create: the only response that ever carries the client secret.
#[derive(Serialize, ToSchema)]
pub struct ApplicationCreatedBody {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub redirect_uri: Option<String>,
    pub client_id: String,
    /// Shown once; Portico does not keep it. Absent when an `Idempotency-Key` replay
    /// returns an application created earlier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub auth_strategy_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An application as the developer sees it later: never a secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationBody {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub redirect_uri: Option<String>,
    pub client_id: String,
    pub auth_strategy_id: Uuid,
    pub dcr_provider_id: Uuid,
    pub developer_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&model::Application> for ApplicationBody {
    fn from(application: &model::Application) -> Self {
        Self {
            id: application.id.as_uuid(),
            name: application.name.clone(),
            description: application.description.clone(),
            redirect_uri: application.redirect_uri.clone(),
            client_id: application.client_id.clone(),
            auth_strategy_id: application.auth_strategy_id.as_uuid(),
            dcr_provider_id: application.dcr_provider_id.as_uuid(),
            developer_id: application.developer_id.as_uuid(),
            created_at: application.created_at,
            updated_at: application.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RegeneratedSecretBody {
    pub client_id: String,
    /// Shown once; Portico does not keep it.
    pub client_secret: String,
}

// ------------------------------------------------------------------ Registrations

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationCreate {
    pub api_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationBody {
    pub id: Uuid,
    /// `approved`, `pending`, `rejected` or `revoked`; only `approved` lets traffic through.
    pub status: String,
    pub api_id: Uuid,
    pub application_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&model::Registration> for RegistrationBody {
    fn from(registration: &model::Registration) -> Self {
        Self {
            id: registration.id.as_uuid(),
            status: registration.status.as_str().into(),
            api_id: registration.api_id.as_uuid(),
            application_id: registration.application_id.as_uuid(),
            created_at: registration.created_at,
            updated_at: registration.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusBody {
    /// `ok` once the database is migrated and every listener is up.
    pub status: String,
    pub version: String,
}

pub fn model_id<Kind>(uuid: Uuid) -> portico_core::id::Id<Kind> {
    portico_core::id::Id::from_uuid(uuid)
}
