//! A developer's applications and their registrations: the heart of Dynamic Client
//! Registration. The rule that runs through it: never a half-made application, never an
//! orphaned client in the IdP.

use super::{not_found_as, Portico};
use crate::error::{CoreError, CoreResult};
use crate::id::*;
use crate::model::*;
use crate::ports::{ClientRequest, StoreError};
use crate::secret::{sha256_hex, SecretString};
use crate::validate::Checker;

const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// How long a queued deletion belongs to the request that queued it before the worker may
/// take it over.
const DELETION_LEASE: time::Duration = time::Duration::seconds(120);

#[derive(Debug, Clone)]
pub struct NewApplication {
    pub name: String,
    pub description: String,
    pub redirect_uri: Option<String>,
    pub auth_strategy_id: Option<AuthStrategyId>,
}

#[derive(Debug, Clone, Default)]
pub struct ApplicationChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub redirect_uri: Option<Option<String>>,
}

/// The outcome of a create call.
#[derive(Debug)]
pub enum CreatedApplication {
    /// A new application, with the client secret that will never be shown again.
    Created {
        application: Application,
        client_secret: SecretString,
    },
    /// A retry with an `Idempotency-Key` that already created this application. The secret
    /// is not kept anywhere, so it cannot be shown again; the caller may regenerate it.
    Replayed { application: Application },
}

impl Portico {
    pub async fn create_application(
        &self,
        developer: &Developer,
        input: NewApplication,
        idempotency_key: Option<&str>,
    ) -> CoreResult<CreatedApplication> {
        let mut checker = Checker::new();
        checker.name("name", &input.name);
        checker.description("description", &input.description);
        let redirect_uri = input
            .redirect_uri
            .as_deref()
            .map(str::trim)
            .filter(|uri| !uri.is_empty())
            .map(str::to_owned);
        if let Some(uri) = &redirect_uri {
            checker.redirect_uri("redirect_uri", uri);
        }
        if let Some(key) = idempotency_key {
            if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS {
                checker.fail(
                    "Idempotency-Key",
                    format!("must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters"),
                );
            }
        }
        checker.finish()?;
        let input = NewApplication {
            name: input.name.trim().to_owned(),
            redirect_uri,
            ..input
        };

        if let Some(key) = idempotency_key {
            // The request as the caller sent it, so that a retry matches even if the portal's
            // default strategy changed in between.
            let request_hash = sha256_hex(
                format!(
                    "{}\n{}\n{}\n{}",
                    input.name,
                    input.description,
                    input.redirect_uri.as_deref().unwrap_or(""),
                    input
                        .auth_strategy_id
                        .map(|id| id.to_string())
                        .unwrap_or_default()
                )
                .as_bytes(),
            );
            match self
                .store
                .reserve_idempotency_key(developer.id, key, &request_hash, self.now())
                .await?
            {
                IdempotencyState::Reserved => {}
                IdempotencyState::InProgress { .. } => {
                    return Err(CoreError::Conflict(
                        "a request with this Idempotency-Key is still in progress".into(),
                    ))
                }
                IdempotencyState::Completed {
                    request_hash: stored_hash,
                    application_id,
                } => {
                    if stored_hash != request_hash {
                        return Err(CoreError::Unprocessable(
                            "this Idempotency-Key was used with a different request".into(),
                        ));
                    }
                    let application = self.application(application_id).await?;
                    return Ok(CreatedApplication::Replayed { application });
                }
            }
        }

        // From the IdP call to the recorded application (or the queued deletion of the
        // client), nothing may stop halfway: a caller that hangs up drops this future, so the
        // work runs in a task of its own that finishes regardless.
        let this = self.clone();
        let developer = developer.clone();
        let key = idempotency_key.map(str::to_owned);
        let outcome = tokio::spawn(async move {
            let result = this
                .create_reserved(&developer, input, key.as_deref())
                .await;
            if result.is_err() {
                if let Some(key) = &key {
                    if let Err(error) = this.store.release_idempotency_key(developer.id, key).await
                    {
                        tracing::warn!(%error, "could not release an idempotency key");
                    }
                }
            }
            result
        })
        .await
        .map_err(|error| CoreError::Internal(format!("application creation task: {error}")))?;
        outcome.map(|(application, client_secret)| CreatedApplication::Created {
            application,
            client_secret,
        })
    }

    /// Makes the IdP client and records the application; validated input, key reserved.
    async fn create_reserved(
        &self,
        developer: &Developer,
        input: NewApplication,
        idempotency_key: Option<&str>,
    ) -> CoreResult<(Application, SecretString)> {
        let strategy = self
            .strategy_for_new_application(input.auth_strategy_id)
            .await?;
        let (strategy, provider) = self.strategy_with_provider(strategy).await?;
        let client = self.dcr_client(&provider)?;

        let request = ClientRequest {
            application_id: ApplicationId::new(),
            developer_id: developer.id,
            name: input.name,
            description: input.description,
            redirect_uri: input.redirect_uri,
            audience: strategy.openid_connect.audience.clone(),
            scopes: strategy.openid_connect.scopes.clone(),
        };
        let issued = match client.create_client(&request).await {
            Ok(issued) => issued,
            Err(error) => {
                if let Some(orphan) = &error.orphan {
                    self.queue_idp_deletion(provider.id, orphan, &error.error.to_string())
                        .await;
                }
                return Err(error.error.into());
            }
        };

        let now = self.now();
        let application = Application {
            id: request.application_id,
            developer_id: developer.id,
            name: request.name,
            description: request.description,
            redirect_uri: request.redirect_uri,
            client_id: issued.client_id.clone(),
            auth_strategy_id: strategy.id,
            dcr_provider_id: provider.id,
            created_at: now,
            updated_at: now,
        };
        if let Err(error) = self
            .store
            .insert_application(&application, idempotency_key)
            .await
        {
            // The IdP holds a client that Portico could not record: remove it again.
            tracing::error!(%error, client_id = %issued.client_id, "storing a new application failed; deleting its IdP client");
            if let Err(delete_error) = client.delete_client(&issued.client_id).await {
                self.queue_idp_deletion(provider.id, &issued.client_id, &delete_error.to_string())
                    .await;
            }
            return Err(error.into());
        }
        tracing::info!(application_id = %application.id, client_id = %application.client_id, "application created");
        Ok((application, issued.client_secret))
    }

    /// The DCR provider that made the application's client.
    async fn provider_of(&self, application: &Application) -> CoreResult<DcrProvider> {
        self.store
            .dcr_provider(application.dcr_provider_id)
            .await
            .map_err(|error| not_found_as(error, "dcr provider"))
    }

    async fn strategy_for_new_application(
        &self,
        requested: Option<AuthStrategyId>,
    ) -> CoreResult<AuthStrategy> {
        let strategy_id = match requested {
            Some(id) => id,
            None => self
                .store
                .portal_settings()
                .await?
                .default_auth_strategy_id
                .ok_or_else(|| {
                    CoreError::Unprocessable(
                        "the portal has no default auth strategy yet: an administrator must save the Application Setup first"
                            .into(),
                    )
                })?,
        };
        match self.store.auth_strategy(strategy_id).await {
            Ok(strategy) => Ok(strategy),
            Err(StoreError::NotFound) if requested.is_some() => Err(CoreError::invalid(
                "auth_strategy_id",
                "no auth strategy has this id",
            )),
            Err(error) => Err(not_found_as(error, "auth strategy")),
        }
    }

    /// All applications (admin view).
    pub async fn applications(&self) -> CoreResult<Vec<Application>> {
        Ok(self.store.applications(None).await?)
    }

    pub async fn applications_of(&self, developer: &Developer) -> CoreResult<Vec<Application>> {
        Ok(self.store.applications(Some(developer.id)).await?)
    }

    pub async fn application(&self, id: ApplicationId) -> CoreResult<Application> {
        self.store
            .application(id)
            .await
            .map_err(|error| not_found_as(error, "application"))
    }

    /// The developer's own application; another developer's answers "not found", so that
    /// ids reveal nothing.
    pub async fn own_application(
        &self,
        developer: &Developer,
        id: ApplicationId,
    ) -> CoreResult<Application> {
        match self.application(id).await? {
            application if application.developer_id == developer.id => Ok(application),
            _ => Err(CoreError::NotFound("application")),
        }
    }

    pub async fn update_application(
        &self,
        developer: &Developer,
        id: ApplicationId,
        changes: ApplicationChanges,
    ) -> CoreResult<Application> {
        let mut application = self.own_application(developer, id).await?;
        let mut checker = Checker::new();
        if let Some(name) = &changes.name {
            checker.name("name", name);
        }
        if let Some(description) = &changes.description {
            checker.description("description", description);
        }
        if let Some(Some(uri)) = &changes.redirect_uri {
            if !uri.trim().is_empty() {
                checker.redirect_uri("redirect_uri", uri.trim());
            }
        }
        checker.finish()?;

        let before = application.clone();
        if let Some(name) = changes.name {
            application.name = name.trim().to_owned();
        }
        if let Some(description) = changes.description {
            application.description = description;
        }
        if let Some(uri) = changes.redirect_uri {
            application.redirect_uri = uri
                .map(|uri| uri.trim().to_owned())
                .filter(|uri| !uri.is_empty());
        }
        let idp_relevant = before.name != application.name
            || before.description != application.description
            || before.redirect_uri != application.redirect_uri;
        if idp_relevant {
            // The client lives at the IdP that made it, whatever the strategy points at now.
            let provider = self.provider_of(&application).await?;
            let strategy = self
                .store
                .auth_strategy(application.auth_strategy_id)
                .await?;
            let request = ClientRequest {
                application_id: application.id,
                developer_id: application.developer_id,
                name: application.name.clone(),
                description: application.description.clone(),
                redirect_uri: application.redirect_uri.clone(),
                audience: strategy.openid_connect.audience.clone(),
                scopes: strategy.openid_connect.scopes.clone(),
            };
            self.dcr_client(&provider)?
                .update_client(&application.client_id, &request)
                .await?;
        }
        application.updated_at = self.now();
        self.store.update_application(&application).await?;
        Ok(application)
    }

    /// Rotates the client secret at the IdP. The application's `updated_at` moves, which
    /// tells the gateway to drop what it cached for the old secret.
    pub async fn regenerate_secret(
        &self,
        developer: &Developer,
        id: ApplicationId,
    ) -> CoreResult<(Application, SecretString)> {
        let mut application = self.own_application(developer, id).await?;
        let provider = self.provider_of(&application).await?;
        let secret = self
            .dcr_client(&provider)?
            .rotate_secret(&application.client_id)
            .await?;
        application.updated_at = self.now();
        self.store.update_application(&application).await?;
        tracing::info!(application_id = %application.id, "client secret regenerated");
        Ok((application, secret))
    }

    pub async fn delete_own_application(
        &self,
        developer: &Developer,
        id: ApplicationId,
    ) -> CoreResult<()> {
        let application = self.own_application(developer, id).await?;
        self.delete_application(application).await
    }

    pub async fn delete_application_as_admin(&self, id: ApplicationId) -> CoreResult<()> {
        let application = self.application(id).await?;
        self.delete_application(application).await
    }

    /// Removes the application from Portico at once (the gateway stops honouring it) and
    /// queues the IdP client's deletion in the same transaction, then tries that deletion
    /// straight away. If the IdP cannot be reached the queue retries it later, also across
    /// restarts.
    async fn delete_application(&self, application: Application) -> CoreResult<()> {
        let now = self.now();
        let deletion = PendingIdpDeletion {
            id: PendingDeletionId::new(),
            dcr_provider_id: application.dcr_provider_id,
            client_id: application.client_id.clone(),
            attempts: 0,
            // The attempt below runs now; the queue's worker takes the row only if that
            // attempt never records its outcome (a crash), so the two never race.
            next_attempt_at: now + DELETION_LEASE,
            last_error: None,
            created_at: now,
        };
        self.store
            .delete_application(application.id, Some(&deletion))
            .await
            .map_err(|error| not_found_as(error, "application"))?;
        tracing::info!(application_id = %application.id, client_id = %application.client_id, "application deleted");
        self.attempt_idp_deletion(deletion).await;
        Ok(())
    }

    // ------------------------------------------------------------ Registrations

    pub async fn register(
        &self,
        developer: &Developer,
        application_id: ApplicationId,
        api_id: ApiId,
    ) -> CoreResult<Registration> {
        let application = self.own_application(developer, application_id).await?;
        let api = match self.store.api(api_id).await {
            Ok(api) if api.published => api,
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(CoreError::invalid("api_id", "no published API has this id"))
            }
            Err(other) => return Err(other.into()),
        };
        let settings = self.store.portal_settings().await?;
        let now = self.now();
        let registration = Registration {
            id: RegistrationId::new(),
            application_id: application.id,
            api_id: api.id,
            status: if settings.auto_approve_registrations {
                ApprovalStatus::Approved
            } else {
                ApprovalStatus::Pending
            },
            created_at: now,
            updated_at: now,
        };
        match self.store.insert_registration(&registration).await {
            Ok(()) => Ok(registration),
            Err(StoreError::Conflict(_)) => Err(CoreError::Conflict(
                "the application is already registered for this API".into(),
            )),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn registrations_of(
        &self,
        developer: &Developer,
        application_id: ApplicationId,
    ) -> CoreResult<Vec<Registration>> {
        let application = self.own_application(developer, application_id).await?;
        Ok(self.store.registrations_of(application.id).await?)
    }

    pub async fn unregister(
        &self,
        developer: &Developer,
        application_id: ApplicationId,
        registration_id: RegistrationId,
    ) -> CoreResult<()> {
        let application = self.own_application(developer, application_id).await?;
        match self.store.registration(registration_id).await {
            Ok(registration) if registration.application_id == application.id => {}
            Ok(_) | Err(StoreError::NotFound) => return Err(CoreError::NotFound("registration")),
            Err(other) => return Err(other.into()),
        }
        self.store
            .delete_registration(registration_id)
            .await
            .map_err(|error| not_found_as(error, "registration"))
    }
}
