//! Application Setup: the seed's Settings > Application Setup form, which connects the portal
//! to an IdP in one step.

use super::catalog::{check_openid_connect, parse_issuer, OpenIdConnectInput};
use super::Portico;
use crate::error::{CoreError, CoreResult};
use crate::id::{AuthStrategyId, DcrProviderId};
use crate::model::*;
use crate::secret::SecretString;
use crate::validate::Checker;

/// The form's fields as typed.
#[derive(Debug, Clone)]
pub struct ApplicationSetupInput {
    pub provider_type: String,
    pub issuer: String,
    pub client_token_audience: String,
    pub scopes: Vec<String>,
    pub consumer_claims: Vec<String>,
    pub initial_client_id: String,
    /// May be left out when a setup for the same provider exists: the stored one is kept.
    pub initial_client_secret: Option<SecretString>,
    pub initial_client_audience: Option<String>,
}

/// The current setup, without the secret.
#[derive(Debug, Clone)]
pub struct ApplicationSetup {
    pub provider: DcrProvider,
    pub strategy: AuthStrategy,
}

#[derive(Debug, Clone)]
pub struct SavedApplicationSetup {
    pub setup: ApplicationSetup,
    pub warnings: Vec<String>,
}

const SETUP_PROVIDER_NAME: &str = "Application Setup";

impl Portico {
    /// The setup in force: the one whose strategy is the portal's default (the saved Auth0
    /// setup or the built-in provider's), else the saved one, else the built-in one; `None`
    /// only when neither exists.
    pub async fn application_setup(&self) -> CoreResult<Option<ApplicationSetup>> {
        let settings = self.store.portal_settings().await?;
        let saved = self.saved_application_setup().await?;
        let builtin = self.builtin_setup().await?;
        let is_default = |setup: &Option<ApplicationSetup>| {
            setup
                .as_ref()
                .is_some_and(|setup| settings.default_auth_strategy_id == Some(setup.strategy.id))
        };
        Ok(if is_default(&saved) {
            saved
        } else if is_default(&builtin) {
            builtin
        } else {
            saved.or(builtin)
        })
    }

    /// The setup that the form saved last (Auth0's), whether or not it is the default.
    async fn saved_application_setup(&self) -> CoreResult<Option<ApplicationSetup>> {
        let settings = self.store.portal_settings().await?;
        let Some(ids) = settings.application_setup else {
            return Ok(None);
        };
        Ok(Some(ApplicationSetup {
            provider: self.store.dcr_provider(ids.dcr_provider_id).await?,
            strategy: self.store.auth_strategy(ids.auth_strategy_id).await?,
        }))
    }

    /// Verifies the settings against the IdP, then saves them over any earlier setup and
    /// makes them the portal's default. Nothing changes when verification fails.
    ///
    /// With `provider_type` `builtin` it makes the built-in provider's strategy the default
    /// again, without verification (the provider is Portico itself); the other fields do not
    /// apply, and the saved Auth0 setup is kept for a later switch back.
    pub async fn save_application_setup(
        &self,
        input: ApplicationSetupInput,
    ) -> CoreResult<SavedApplicationSetup> {
        if input.provider_type == "builtin" {
            return self.use_builtin_setup().await;
        }
        let existing = self.saved_application_setup().await?;

        let mut checker = Checker::new();
        if input.provider_type != "auth0" {
            checker.fail("provider_type", "must be auth0 or builtin");
        }
        let issuer = parse_issuer(&mut checker, "issuer", &input.issuer);
        if input.client_token_audience.trim().is_empty() {
            checker.fail("client_token_audience", "must not be empty");
        }
        if input.initial_client_id.trim().is_empty() {
            checker.fail("initial_client_id", "must not be empty");
        }
        if input.consumer_claims.is_empty() {
            checker.fail(
                "consumer_claims",
                "must name at least one claim, for example azp",
            );
        }
        // A blank secret means "keep the stored one", which exists only for the same client.
        let stored_secret = existing
            .as_ref()
            .and_then(|setup| match &setup.provider.dcr_config {
                DcrConfig::Auth0 {
                    initial_client_id,
                    initial_client_secret,
                    ..
                } if *initial_client_id == input.initial_client_id.trim() => {
                    Some(initial_client_secret.clone())
                }
                _ => None,
            });
        let secret = match input
            .initial_client_secret
            .clone()
            .filter(|s| !s.is_empty())
        {
            Some(secret) => Some(secret),
            None => match &stored_secret {
                Some(encrypted) => Some(self.cipher.decrypt(encrypted)?),
                None => {
                    checker.fail("initial_client_secret", "must not be empty");
                    None
                }
            },
        };
        checker.finish()?;
        let issuer = issuer.expect("checked");
        let secret = secret.expect("checked");
        let mut oidc_checker = Checker::new();
        let openid_connect = check_openid_connect(
            &mut oidc_checker,
            &OpenIdConnectInput {
                issuer: issuer.as_str().to_owned(),
                audience: input.client_token_audience.clone(),
                scopes: input.scopes.clone(),
                credential_claim: input.consumer_claims.clone(),
                auth_methods: vec!["client_credentials".into(), "bearer".into()],
            },
        );
        // The only rules left are on consumer_claims; report them under the form's name.
        oidc_checker.finish().map_err(|error| match error {
            CoreError::Invalid(fields) => CoreError::Invalid(
                fields
                    .into_iter()
                    .map(|mut field| {
                        field.field = "consumer_claims".into();
                        field
                    })
                    .collect(),
            ),
            other => other,
        })?;

        let now = self.now();
        let provider = DcrProvider {
            id: existing
                .as_ref()
                .map(|setup| setup.provider.id)
                .unwrap_or_else(DcrProviderId::new),
            name: SETUP_PROVIDER_NAME.into(),
            provider_type: ProviderType::Auth0,
            issuer: issuer.clone(),
            dcr_config: DcrConfig::Auth0 {
                initial_client_id: input.initial_client_id.trim().to_owned(),
                initial_client_secret: self.cipher.encrypt(&secret),
                initial_client_audience: input
                    .initial_client_audience
                    .map(|value| value.trim().to_owned())
                    .filter(|value| !value.is_empty()),
            },
            created_at: existing
                .as_ref()
                .map(|setup| setup.provider.created_at)
                .unwrap_or(now),
            updated_at: now,
        };
        let strategy = AuthStrategy {
            id: existing
                .as_ref()
                .map(|setup| setup.strategy.id)
                .unwrap_or_else(AuthStrategyId::new),
            name: SETUP_PROVIDER_NAME.into(),
            strategy_type: StrategyType::OpenidConnect,
            dcr_provider_id: Some(provider.id),
            openid_connect: openid_connect.expect("checked"),
            created_at: existing
                .as_ref()
                .map(|setup| setup.strategy.created_at)
                .unwrap_or(now),
            updated_at: now,
        };

        let verification = self.dcr_client(&provider)?.verify().await;
        if !verification.is_success() {
            return Err(CoreError::VerificationFailed(verification.errors));
        }

        let mut warnings = Vec::new();
        if let Some(previous) = &existing {
            if previous.provider.issuer != provider.issuer {
                let moved = self
                    .store
                    .applications(None)
                    .await?
                    .into_iter()
                    .filter(|application| application.dcr_provider_id == provider.id)
                    .count();
                if moved > 0 {
                    warnings.push(format!(
                        "{moved} existing application(s) were created at {}; their clients will now be managed at {}, where they may not exist",
                        previous.provider.issuer, provider.issuer
                    ));
                }
            }
        }
        self.store
            .save_application_setup(&provider, &strategy)
            .await?;
        tracing::info!(issuer = %provider.issuer, "application setup saved");
        Ok(SavedApplicationSetup {
            setup: ApplicationSetup { provider, strategy },
            warnings,
        })
    }

    async fn use_builtin_setup(&self) -> CoreResult<SavedApplicationSetup> {
        let setup = self.builtin_setup().await?.ok_or_else(|| {
            CoreError::Unprocessable("this server has no built-in identity provider set up".into())
        })?;
        let mut settings = self.store.portal_settings().await?;
        if settings.default_auth_strategy_id != Some(setup.strategy.id) {
            settings.default_auth_strategy_id = Some(setup.strategy.id);
            self.store.update_portal_settings(&settings).await?;
        }
        tracing::info!(issuer = %setup.provider.issuer, "the built-in identity provider is the portal's default again");
        Ok(SavedApplicationSetup {
            setup,
            warnings: Vec::new(),
        })
    }
}
