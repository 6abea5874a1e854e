use std::sync::Arc;

use portico_core::id::*;
use portico_core::model::*;
use portico_core::ports::Store;
use portico_core::EncryptedSecret;

use crate::fixtures::*;

contract_tests!(
    defaults_approve_automatically,
    updates_round_trip,
    unknown_strategy_conflicts,
    application_setup_inserts_then_updates_in_place,
    application_setup_is_all_or_nothing,
);

async fn defaults_approve_automatically(store: Arc<dyn Store>) {
    let settings = store.portal_settings().await.unwrap();
    assert!(settings.auto_approve_developers);
    assert!(settings.auto_approve_registrations);
    assert_eq!(settings, PortalSettings::default());
}

async fn updates_round_trip(store: Arc<dyn Store>) {
    let provider = auth0_provider();
    let strategy = strategy(Some(provider.id));
    store.insert_dcr_provider(&provider).await.unwrap();
    store.insert_auth_strategy(&strategy).await.unwrap();

    let settings = PortalSettings {
        auto_approve_developers: false,
        auto_approve_registrations: false,
        default_auth_strategy_id: Some(strategy.id),
        application_setup: Some(ApplicationSetupIds {
            dcr_provider_id: provider.id,
            auth_strategy_id: strategy.id,
        }),
    };
    store.update_portal_settings(&settings).await.unwrap();
    assert_eq!(store.portal_settings().await.unwrap(), settings);

    store
        .update_portal_settings(&PortalSettings::default())
        .await
        .unwrap();
    assert_eq!(
        store.portal_settings().await.unwrap(),
        PortalSettings::default()
    );
}

async fn unknown_strategy_conflicts(store: Arc<dyn Store>) {
    let settings = PortalSettings {
        default_auth_strategy_id: Some(AuthStrategyId::new()),
        ..PortalSettings::default()
    };
    assert_any_conflict(store.update_portal_settings(&settings).await);
    assert_eq!(
        store.portal_settings().await.unwrap(),
        PortalSettings::default()
    );
}

async fn application_setup_inserts_then_updates_in_place(store: Arc<dyn Store>) {
    let provider = auth0_provider();
    let strategy = strategy(Some(provider.id));
    store
        .save_application_setup(&provider, &strategy)
        .await
        .unwrap();

    assert_eq!(store.dcr_provider(provider.id).await.unwrap(), provider);
    assert_eq!(store.auth_strategy(strategy.id).await.unwrap(), strategy);
    let settings = store.portal_settings().await.unwrap();
    assert_eq!(settings.default_auth_strategy_id, Some(strategy.id));
    assert_eq!(
        settings.application_setup,
        Some(ApplicationSetupIds {
            dcr_provider_id: provider.id,
            auth_strategy_id: strategy.id,
        })
    );
    // The other settings are left alone.
    assert!(settings.auto_approve_developers);

    // Saving again updates both rows in place and keeps their creation time.
    let mut changed_provider = provider.clone();
    changed_provider.name = "Renamed tenant".to_owned();
    changed_provider.dcr_config = DcrConfig::Auth0 {
        initial_client_id: "another-client".to_owned(),
        initial_client_secret: EncryptedSecret(vec![9, 8, 7]),
        initial_client_audience: None,
    };
    changed_provider.created_at = at(500);
    changed_provider.updated_at = at(600);
    let mut changed_strategy = strategy.clone();
    changed_strategy.openid_connect.audience = "https://other.example.com".to_owned();
    changed_strategy.created_at = at(500);
    changed_strategy.updated_at = at(600);
    store
        .save_application_setup(&changed_provider, &changed_strategy)
        .await
        .unwrap();

    assert_eq!(
        store.dcr_provider(provider.id).await.unwrap(),
        DcrProvider {
            created_at: provider.created_at,
            ..changed_provider
        }
    );
    assert_eq!(
        store.auth_strategy(strategy.id).await.unwrap(),
        AuthStrategy {
            created_at: strategy.created_at,
            ..changed_strategy
        }
    );
    assert_eq!(store.dcr_providers().await.unwrap().len(), 1);
    assert_eq!(store.auth_strategies().await.unwrap().len(), 1);
}

async fn application_setup_is_all_or_nothing(store: Arc<dyn Store>) {
    let provider = auth0_provider();
    // The strategy names a provider that does not exist, so the second write fails.
    let strategy = strategy(Some(DcrProviderId::new()));
    assert_any_conflict(store.save_application_setup(&provider, &strategy).await);

    assert_not_found(store.dcr_provider(provider.id).await);
    assert_not_found(store.auth_strategy(strategy.id).await);
    assert_eq!(
        store.portal_settings().await.unwrap(),
        PortalSettings::default()
    );
}
