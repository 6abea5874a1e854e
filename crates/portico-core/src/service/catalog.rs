//! What the API provider manages: DCR providers, auth strategies, APIs, portal settings and
//! the approval of registrations.

use super::{not_found_as, Portico};
use crate::error::{CoreError, CoreResult};
use crate::id::*;
use crate::issuer::Issuer;
use crate::model::*;
use crate::ports::{StoreError, Verification};
use crate::secret::SecretString;
use crate::validate::{slugify, Checker};

#[derive(Debug, Clone)]
pub struct NewDcrProvider {
    pub name: String,
    pub provider_type: String,
    pub issuer: String,
    pub initial_client_id: Option<String>,
    pub initial_client_secret: Option<SecretString>,
    pub initial_client_audience: Option<String>,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct DcrProviderChanges {
    pub name: Option<String>,
    pub issuer: Option<String>,
    pub initial_client_id: Option<String>,
    pub initial_client_secret: Option<SecretString>,
    pub initial_client_audience: Option<Option<String>>,
}

#[derive(Debug, Clone)]
pub struct NewAuthStrategy {
    pub name: String,
    pub strategy_type: String,
    pub dcr_provider_id: Option<DcrProviderId>,
    pub openid_connect: OpenIdConnectInput,
}

#[derive(Debug, Clone)]
pub struct OpenIdConnectInput {
    pub issuer: String,
    pub audience: String,
    pub scopes: Vec<String>,
    pub credential_claim: Vec<String>,
    pub auth_methods: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AuthStrategyChanges {
    pub name: Option<String>,
    pub dcr_provider_id: Option<Option<DcrProviderId>>,
    pub openid_connect: Option<OpenIdConnectInput>,
}

#[derive(Debug, Clone)]
pub struct NewApi {
    pub name: String,
    pub slug: Option<String>,
    pub description: String,
    pub version: String,
    pub upstream_url: String,
    pub routes: Vec<Route>,
    pub auth_strategy_id: Option<AuthStrategyId>,
    pub published: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ApiChanges {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub version: Option<String>,
    pub upstream_url: Option<String>,
    pub routes: Option<Vec<Route>>,
    pub auth_strategy_id: Option<Option<AuthStrategyId>>,
    pub published: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct SettingsChanges {
    pub auto_approve_developers: Option<bool>,
    pub auto_approve_registrations: Option<bool>,
    pub default_auth_strategy_id: Option<Option<AuthStrategyId>>,
}

impl Portico {
    // ------------------------------------------------------------ DCR providers

    pub async fn create_dcr_provider(&self, input: NewDcrProvider) -> CoreResult<DcrProvider> {
        let mut checker = Checker::new();
        checker.name("name", &input.name);
        let provider_type = ProviderType::parse(&input.provider_type);
        if provider_type.is_none() {
            checker.fail("provider_type", "must be one of: auth0, builtin");
        }
        let issuer = parse_issuer(&mut checker, "issuer", &input.issuer);
        let dcr_config = match provider_type {
            Some(ProviderType::Auth0) => {
                let client_id = input.initial_client_id.clone().unwrap_or_default();
                if client_id.trim().is_empty() {
                    checker.fail("dcr_config.initial_client_id", "is required for auth0");
                }
                let secret = input.initial_client_secret.clone().unwrap_or_default();
                if secret.is_empty() {
                    checker.fail("dcr_config.initial_client_secret", "is required for auth0");
                }
                Some(DcrConfig::Auth0 {
                    initial_client_id: client_id.trim().to_owned(),
                    initial_client_secret: self.cipher.encrypt(&secret),
                    initial_client_audience: non_empty(input.initial_client_audience),
                })
            }
            Some(ProviderType::Builtin) => Some(DcrConfig::Builtin),
            None => None,
        };
        checker.finish()?;
        let now = self.now();
        let provider = DcrProvider {
            id: DcrProviderId::new(),
            name: input.name.trim().to_owned(),
            provider_type: provider_type.expect("checked"),
            issuer: issuer.expect("checked"),
            dcr_config: dcr_config.expect("checked"),
            created_at: now,
            updated_at: now,
        };
        self.store.insert_dcr_provider(&provider).await?;
        Ok(provider)
    }

    pub async fn dcr_providers(&self) -> CoreResult<Vec<DcrProvider>> {
        Ok(self.store.dcr_providers().await?)
    }

    pub async fn dcr_provider(&self, id: DcrProviderId) -> CoreResult<DcrProvider> {
        self.store
            .dcr_provider(id)
            .await
            .map_err(|error| not_found_as(error, "dcr provider"))
    }

    pub async fn update_dcr_provider(
        &self,
        id: DcrProviderId,
        changes: DcrProviderChanges,
    ) -> CoreResult<DcrProvider> {
        let mut provider = self.dcr_provider(id).await?;
        let mut checker = Checker::new();
        if let Some(name) = &changes.name {
            checker.name("name", name);
            provider.name = name.trim().to_owned();
        }
        if let Some(issuer) = &changes.issuer {
            if let Some(issuer) = parse_issuer(&mut checker, "issuer", issuer) {
                provider.issuer = issuer;
            }
        }
        match &mut provider.dcr_config {
            DcrConfig::Auth0 {
                initial_client_id,
                initial_client_secret,
                initial_client_audience,
            } => {
                if let Some(client_id) = changes.initial_client_id {
                    if client_id.trim().is_empty() {
                        checker.fail("dcr_config.initial_client_id", "must not be empty");
                    }
                    *initial_client_id = client_id.trim().to_owned();
                }
                if let Some(secret) = changes.initial_client_secret {
                    if secret.is_empty() {
                        checker.fail("dcr_config.initial_client_secret", "must not be empty");
                    }
                    *initial_client_secret = self.cipher.encrypt(&secret);
                }
                if let Some(audience) = changes.initial_client_audience {
                    *initial_client_audience = non_empty(audience);
                }
            }
            DcrConfig::Builtin => {
                if changes.initial_client_id.is_some() || changes.initial_client_secret.is_some() {
                    checker.fail("dcr_config", "the builtin provider takes no initial client");
                }
            }
        }
        checker.finish()?;
        provider.updated_at = self.now();
        self.store.update_dcr_provider(&provider).await?;
        Ok(provider)
    }

    pub async fn delete_dcr_provider(&self, id: DcrProviderId) -> CoreResult<()> {
        // Its queued deletions need it to run: without it their clients would stay in the IdP.
        let pending = self
            .store
            .idp_deletions()
            .await?
            .iter()
            .filter(|deletion| deletion.dcr_provider_id == id)
            .count();
        if pending > 0 {
            return Err(CoreError::Conflict(format!(
                "the dcr provider still has {pending} client deletion(s) queued; retry once the identity provider has confirmed them"
            )));
        }
        match self.store.delete_dcr_provider(id).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(CoreError::NotFound("dcr provider")),
            Err(StoreError::Conflict(_)) => Err(CoreError::Conflict(
                "the dcr provider is still used by an auth strategy or an application".into(),
            )),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn verify_dcr_provider(&self, id: DcrProviderId) -> CoreResult<Verification> {
        let provider = self.dcr_provider(id).await?;
        Ok(self.dcr_client(&provider)?.verify().await)
    }

    // ------------------------------------------------------------ Auth strategies

    pub async fn create_auth_strategy(&self, input: NewAuthStrategy) -> CoreResult<AuthStrategy> {
        let mut checker = Checker::new();
        checker.name("name", &input.name);
        if input.strategy_type != "openid_connect" {
            checker.fail("strategy_type", "must be openid_connect");
        }
        let config = check_openid_connect(&mut checker, &input.openid_connect);
        checker.finish()?;
        if let Some(provider_id) = input.dcr_provider_id {
            self.require_provider(provider_id).await?;
        }
        let now = self.now();
        let strategy = AuthStrategy {
            id: AuthStrategyId::new(),
            name: input.name.trim().to_owned(),
            strategy_type: StrategyType::OpenidConnect,
            dcr_provider_id: input.dcr_provider_id,
            openid_connect: config.expect("checked"),
            created_at: now,
            updated_at: now,
        };
        self.store.insert_auth_strategy(&strategy).await?;
        Ok(strategy)
    }

    pub async fn auth_strategies(&self) -> CoreResult<Vec<AuthStrategy>> {
        Ok(self.store.auth_strategies().await?)
    }

    pub async fn auth_strategy(&self, id: AuthStrategyId) -> CoreResult<AuthStrategy> {
        self.store
            .auth_strategy(id)
            .await
            .map_err(|error| not_found_as(error, "auth strategy"))
    }

    pub async fn update_auth_strategy(
        &self,
        id: AuthStrategyId,
        changes: AuthStrategyChanges,
    ) -> CoreResult<AuthStrategy> {
        let mut strategy = self.auth_strategy(id).await?;
        let mut checker = Checker::new();
        if let Some(name) = &changes.name {
            checker.name("name", name);
            strategy.name = name.trim().to_owned();
        }
        if let Some(input) = &changes.openid_connect {
            if let Some(config) = check_openid_connect(&mut checker, input) {
                strategy.openid_connect = config;
            }
        }
        checker.finish()?;
        if let Some(provider_id) = changes.dcr_provider_id {
            if let Some(provider_id) = provider_id {
                self.require_provider(provider_id).await?;
            }
            strategy.dcr_provider_id = provider_id;
        }
        strategy.updated_at = self.now();
        self.store.update_auth_strategy(&strategy).await?;
        Ok(strategy)
    }

    pub async fn delete_auth_strategy(&self, id: AuthStrategyId) -> CoreResult<()> {
        match self.store.delete_auth_strategy(id).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(CoreError::NotFound("auth strategy")),
            Err(StoreError::Conflict(_)) => Err(CoreError::Conflict(
                "the auth strategy is still used by an API, an application or the portal default"
                    .into(),
            )),
            Err(other) => Err(other.into()),
        }
    }

    async fn require_provider(&self, id: DcrProviderId) -> CoreResult<()> {
        match self.store.dcr_provider(id).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound) => Err(CoreError::invalid(
                "dcr_provider_id",
                "no dcr provider has this id",
            )),
            Err(other) => Err(other.into()),
        }
    }

    async fn require_strategy(&self, field: &str, id: AuthStrategyId) -> CoreResult<()> {
        match self.store.auth_strategy(id).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound) => {
                Err(CoreError::invalid(field, "no auth strategy has this id"))
            }
            Err(other) => Err(other.into()),
        }
    }

    // ------------------------------------------------------------ APIs

    pub async fn create_api(&self, input: NewApi) -> CoreResult<Api> {
        let mut checker = Checker::new();
        checker.name("name", &input.name);
        let slug = input.slug.clone().unwrap_or_else(|| slugify(&input.name));
        check_slug(&mut checker, &slug);
        let upstream_url = checker.http_url("upstream_url", &input.upstream_url);
        check_routes(&mut checker, &input.routes);
        checker.finish()?;
        if let Some(strategy_id) = input.auth_strategy_id {
            self.require_strategy("auth_strategy_id", strategy_id)
                .await?;
        }
        let now = self.now();
        let api = Api {
            id: ApiId::new(),
            name: input.name.trim().to_owned(),
            slug,
            description: input.description,
            version: input.version,
            upstream_url: upstream_url.expect("checked"),
            routes: input.routes,
            auth_strategy_id: input.auth_strategy_id,
            published: input.published,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_api(&api).await.map_err(slug_conflict)?;
        Ok(api)
    }

    pub async fn apis(&self) -> CoreResult<Vec<Api>> {
        Ok(self.store.apis().await?)
    }

    pub async fn api(&self, id: ApiId) -> CoreResult<Api> {
        self.store
            .api(id)
            .await
            .map_err(|error| not_found_as(error, "api"))
    }

    /// The portal's catalog: published APIs only.
    pub async fn published_apis(&self) -> CoreResult<Vec<Api>> {
        Ok(self
            .store
            .apis()
            .await?
            .into_iter()
            .filter(|api| api.published)
            .collect())
    }

    pub async fn published_api(&self, id: ApiId) -> CoreResult<Api> {
        match self.api(id).await? {
            api if api.published => Ok(api),
            _ => Err(CoreError::NotFound("api")),
        }
    }

    pub async fn update_api(&self, id: ApiId, changes: ApiChanges) -> CoreResult<Api> {
        let mut api = self.api(id).await?;
        let mut checker = Checker::new();
        if let Some(name) = changes.name {
            checker.name("name", &name);
            api.name = name.trim().to_owned();
        }
        if let Some(slug) = changes.slug {
            check_slug(&mut checker, &slug);
            api.slug = slug;
        }
        if let Some(description) = changes.description {
            api.description = description;
        }
        if let Some(version) = changes.version {
            api.version = version;
        }
        if let Some(upstream_url) = changes.upstream_url {
            if let Some(url) = checker.http_url("upstream_url", &upstream_url) {
                api.upstream_url = url;
            }
        }
        if let Some(routes) = changes.routes {
            check_routes(&mut checker, &routes);
            api.routes = routes;
        }
        if let Some(published) = changes.published {
            api.published = published;
        }
        checker.finish()?;
        if let Some(strategy_id) = changes.auth_strategy_id {
            if let Some(strategy_id) = strategy_id {
                self.require_strategy("auth_strategy_id", strategy_id)
                    .await?;
            }
            api.auth_strategy_id = strategy_id;
        }
        api.updated_at = self.now();
        self.store.update_api(&api).await.map_err(slug_conflict)?;
        Ok(api)
    }

    pub async fn delete_api(&self, id: ApiId) -> CoreResult<()> {
        self.store
            .delete_api(id)
            .await
            .map_err(|error| not_found_as(error, "api"))
    }

    // ------------------------------------------------------------ Settings and registrations

    pub async fn portal_settings(&self) -> CoreResult<PortalSettings> {
        Ok(self.store.portal_settings().await?)
    }

    pub async fn update_portal_settings(
        &self,
        changes: SettingsChanges,
    ) -> CoreResult<PortalSettings> {
        let mut settings = self.store.portal_settings().await?;
        if let Some(value) = changes.auto_approve_developers {
            settings.auto_approve_developers = value;
        }
        if let Some(value) = changes.auto_approve_registrations {
            settings.auto_approve_registrations = value;
        }
        if let Some(strategy_id) = changes.default_auth_strategy_id {
            if let Some(strategy_id) = strategy_id {
                self.require_strategy("default_auth_strategy_id", strategy_id)
                    .await?;
            }
            settings.default_auth_strategy_id = strategy_id;
        }
        self.store.update_portal_settings(&settings).await?;
        Ok(settings)
    }

    pub async fn registrations(
        &self,
        status: Option<ApprovalStatus>,
    ) -> CoreResult<Vec<Registration>> {
        Ok(self.store.registrations(status).await?)
    }

    /// Approves, rejects or revokes a registration; the gateway follows within seconds.
    pub async fn set_registration_status(
        &self,
        id: RegistrationId,
        status: ApprovalStatus,
    ) -> CoreResult<Registration> {
        let mut registration = self
            .store
            .registration(id)
            .await
            .map_err(|error| not_found_as(error, "registration"))?;
        registration.status = status;
        registration.updated_at = self.now();
        self.store.update_registration(&registration).await?;
        Ok(registration)
    }
}

pub(crate) fn parse_issuer(checker: &mut Checker, field: &str, value: &str) -> Option<Issuer> {
    match Issuer::parse(value) {
        Ok(issuer) => Some(issuer),
        Err(error) => {
            checker.fail(field, error.to_string());
            None
        }
    }
}

pub(crate) fn check_openid_connect(
    checker: &mut Checker,
    input: &OpenIdConnectInput,
) -> Option<OpenIdConnectConfig> {
    let prefix = "configs.openid-connect";
    let issuer = parse_issuer(checker, &format!("{prefix}.issuer"), &input.issuer);
    if input.audience.trim().is_empty() {
        checker.fail(&format!("{prefix}.audience"), "must not be empty");
    }
    if input.credential_claim.is_empty()
        || input
            .credential_claim
            .iter()
            .any(|claim| claim.trim().is_empty())
    {
        checker.fail(
            &format!("{prefix}.credential_claim"),
            "must name at least one claim, for example azp",
        );
    }
    let mut auth_methods = Vec::new();
    for method in &input.auth_methods {
        match method.as_str() {
            "client_credentials" => auth_methods.push(AuthMethod::ClientCredentials),
            "bearer" => auth_methods.push(AuthMethod::Bearer),
            _ => checker.fail(
                &format!("{prefix}.auth_methods"),
                "each must be client_credentials or bearer",
            ),
        }
    }
    if input.auth_methods.is_empty() {
        auth_methods = vec![AuthMethod::ClientCredentials, AuthMethod::Bearer];
    }
    Some(OpenIdConnectConfig {
        issuer: issuer?,
        audience: input.audience.trim().to_owned(),
        scopes: input.scopes.clone(),
        credential_claim: input
            .credential_claim
            .iter()
            .map(|claim| claim.trim().to_owned())
            .collect(),
        auth_methods,
    })
}

fn check_slug(checker: &mut Checker, slug: &str) {
    if slug.is_empty()
        || slug.len() > 100
        || !slug.chars().all(|character| {
            character.is_ascii_lowercase() || character.is_ascii_digit() || character == '-'
        })
    {
        checker.fail(
            "slug",
            "must be 1 to 100 lower-case letters, digits or dashes",
        );
    }
}

fn check_routes(checker: &mut Checker, routes: &[Route]) {
    for (route_index, route) in routes.iter().enumerate() {
        if route.paths.is_empty() {
            checker.fail(
                &format!("routes[{route_index}].paths"),
                "must hold at least one path",
            );
        }
        for (path_index, path) in route.paths.iter().enumerate() {
            checker.route_path(&format!("routes[{route_index}].paths[{path_index}]"), path);
        }
        for (method_index, method) in route.methods.iter().enumerate() {
            if method.is_empty() || !method.chars().all(|c| c.is_ascii_uppercase()) {
                checker.fail(
                    &format!("routes[{route_index}].methods[{method_index}]"),
                    "must be an upper-case HTTP method such as GET",
                );
            }
        }
    }
}

fn slug_conflict(error: StoreError) -> CoreError {
    match error {
        StoreError::Conflict(_) => {
            CoreError::Conflict("an API with this slug already exists".into())
        }
        StoreError::NotFound => CoreError::NotFound("api"),
        other => other.into(),
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}
