//! Objects to store. Times are whole microseconds, the precision stores keep.

use std::sync::Arc;

use portico_core::id::*;
use portico_core::model::*;
use portico_core::ports::{Store, StoreError};
use portico_core::{EncryptedSecret, Issuer};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// A fixed instant plus `seconds`; ids and times of a test never depend on the clock.
pub fn at(seconds: i64) -> OffsetDateTime {
    datetime!(2025-03-01 12:00:00.123_456 UTC) + Duration::seconds(seconds)
}

pub fn issuer() -> Issuer {
    Issuer::parse("https://tenant.us.auth0.com/").unwrap()
}

/// An Auth0 provider whose encrypted secret holds every byte value, to catch any text
/// conversion on the way.
pub fn auth0_provider() -> DcrProvider {
    DcrProvider {
        id: DcrProviderId::new(),
        name: "Auth0 tenant".to_owned(),
        provider_type: ProviderType::Auth0,
        issuer: issuer(),
        dcr_config: DcrConfig::Auth0 {
            initial_client_id: "initial-client".to_owned(),
            initial_client_secret: EncryptedSecret((0..=255).collect()),
            initial_client_audience: Some("https://tenant.us.auth0.com/api/v2/".to_owned()),
        },
        created_at: at(0),
        updated_at: at(0),
    }
}

pub fn builtin_provider() -> DcrProvider {
    DcrProvider {
        id: DcrProviderId::new(),
        name: "Built-in".to_owned(),
        provider_type: ProviderType::Builtin,
        issuer: Issuer::parse("http://localhost:8003").unwrap(),
        dcr_config: DcrConfig::Builtin,
        created_at: at(1),
        updated_at: at(1),
    }
}

pub fn strategy(provider: Option<DcrProviderId>) -> AuthStrategy {
    AuthStrategy {
        id: AuthStrategyId::new(),
        name: "OpenID Connect".to_owned(),
        strategy_type: StrategyType::OpenidConnect,
        dcr_provider_id: provider,
        openid_connect: OpenIdConnectConfig {
            issuer: issuer(),
            audience: "https://api.example.com".to_owned(),
            scopes: vec!["openid".to_owned(), "read:things".to_owned()],
            credential_claim: vec!["azp".to_owned(), "client_id".to_owned()],
            auth_methods: vec![AuthMethod::ClientCredentials, AuthMethod::Bearer],
        },
        created_at: at(2),
        updated_at: at(2),
    }
}

pub fn api(slug: &str, strategy: Option<AuthStrategyId>) -> Api {
    Api {
        id: ApiId::new(),
        name: format!("API {slug}"),
        slug: slug.to_owned(),
        description: "Things, as a service".to_owned(),
        version: "1.0.0".to_owned(),
        upstream_url: url::Url::parse("http://127.0.0.1:9000/things/").unwrap(),
        routes: vec![
            Route {
                paths: vec![format!("/{slug}")],
                methods: vec![],
                strip_path: true,
            },
            Route {
                paths: vec![format!("/{slug}/admin"), format!("/{slug}/ops")],
                methods: vec!["GET".to_owned(), "POST".to_owned()],
                strip_path: false,
            },
        ],
        auth_strategy_id: strategy,
        published: true,
        created_at: at(3),
        updated_at: at(3),
    }
}

pub fn developer(email: &str) -> Developer {
    Developer {
        id: DeveloperId::new(),
        email: email.to_owned(),
        full_name: "Ada Lovelace".to_owned(),
        status: ApprovalStatus::Approved,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        created_at: at(4),
        updated_at: at(4),
    }
}

/// The rows an application needs: a provider, a strategy and a developer.
pub struct World {
    pub provider: DcrProvider,
    pub strategy: AuthStrategy,
    pub developer: Developer,
}

impl World {
    pub async fn new(store: &Arc<dyn Store>) -> Self {
        let provider = auth0_provider();
        let strategy = strategy(Some(provider.id));
        let developer = developer("ada@example.com");
        store.insert_dcr_provider(&provider).await.unwrap();
        store.insert_auth_strategy(&strategy).await.unwrap();
        store.insert_developer(&developer).await.unwrap();
        Self {
            provider,
            strategy,
            developer,
        }
    }

    pub fn application(&self, client_id: &str) -> Application {
        Application {
            id: ApplicationId::new(),
            developer_id: self.developer.id,
            name: format!("App {client_id}"),
            description: "Calls things".to_owned(),
            redirect_uri: Some("https://app.example.com/callback".to_owned()),
            client_id: client_id.to_owned(),
            auth_strategy_id: self.strategy.id,
            dcr_provider_id: self.provider.id,
            created_at: at(10),
            updated_at: at(10),
        }
    }

    pub fn deletion(&self, client_id: &str, next_attempt_at: OffsetDateTime) -> PendingIdpDeletion {
        PendingIdpDeletion {
            id: PendingDeletionId::new(),
            dcr_provider_id: self.provider.id,
            client_id: client_id.to_owned(),
            attempts: 0,
            next_attempt_at,
            last_error: None,
            created_at: at(20),
        }
    }
}

pub fn registration(
    application: ApplicationId,
    api: ApiId,
    status: ApprovalStatus,
) -> Registration {
    Registration {
        id: RegistrationId::new(),
        application_id: application,
        api_id: api,
        status,
        created_at: at(30),
        updated_at: at(30),
    }
}

/// Asserts a `Conflict` naming `rule`.
#[track_caller]
pub fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, rule: &str) {
    match result {
        Err(StoreError::Conflict(found)) => assert_eq!(found, rule),
        other => panic!("expected Conflict({rule:?}), got {other:?}"),
    }
}

/// Asserts a `Conflict`, whatever rule it names.
#[track_caller]
pub fn assert_any_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("expected a Conflict, got {other:?}"),
    }
}

#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}
