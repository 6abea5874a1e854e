//! The gateway: its shared state, the configuration refresher, and the request pipeline.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use portico_core::ports::Store;
use tokio::task::JoinHandle;

use crate::auth;
use crate::cache::{BoundedMap, ExchangeLimits, Exchanges, VerifiedToken};
use crate::config::GatewayConfig;
use crate::context::RequestContext;
use crate::error::{GatewayError, Party, RequestError, RequestErrorKind};
use crate::issuers::IssuerRegistry;
use crate::snapshot::{self, ApiAuth, Snapshot};
use crate::upstream::{self, UpstreamClient};

/// The body of a response: the upstream's, streamed, or the gateway's own problem document.
pub type ResponseBody = Either<Incoming, Full<Bytes>>;

/// Portico's data plane. Build it with [`Gateway::new`], then [`Gateway::serve`] it.
pub struct Gateway {
    store: Arc<dyn Store>,
    pub(crate) idp_http: reqwest::Client,
    pub(crate) config: GatewayConfig,
    snapshot: RwLock<Arc<Snapshot>>,
    issuers: IssuerRegistry,
    pub(crate) exchanges: Arc<Exchanges>,
    pub(crate) verified: BoundedMap<Arc<VerifiedToken>>,
    upstream: UpstreamClient,
    /// Serializes rebuilds, so that two refreshes never race to swap snapshots.
    refresh_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("config", &self.config)
            .field("config_version", &self.config_version())
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Builds the gateway and loads its first configuration snapshot from the store. The key
    /// sets of the issuers it names start loading in the background at once.
    pub async fn new(
        store: Arc<dyn Store>,
        idp_http: reqwest::Client,
        config: GatewayConfig,
    ) -> Result<Gateway, GatewayError> {
        let issuers = IssuerRegistry::new(
            idp_http.clone(),
            config.jwks.clone(),
            config.discovery_ttl,
            config.discovery_retry.clone(),
        );
        let exchanges = Arc::new(Exchanges::new(ExchangeLimits {
            capacity: config.exchanged_token_capacity,
            rejected_ttl: config.rejected_credentials_ttl,
            per_client_limit: config.exchange_limit,
            per_client_window: config.exchange_limit_window,
        }));
        let gateway = Gateway {
            store,
            verified: BoundedMap::new(config.verified_token_capacity),
            upstream: upstream::client(&config),
            idp_http,
            config,
            snapshot: RwLock::new(Arc::new(Snapshot::empty())),
            issuers,
            exchanges,
            refresh_lock: tokio::sync::Mutex::new(()),
        };
        gateway.refresh().await?;
        Ok(gateway)
    }

    /// The configuration version of the snapshot in use.
    pub fn config_version(&self) -> i64 {
        self.snapshot().version
    }

    /// How many client-credentials exchanges the gateway has sent to identity providers.
    pub fn token_exchanges(&self) -> u64 {
        self.exchanges.exchanges_started()
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Rebuilds the snapshot when the store's configuration version has changed; returns
    /// whether it did. Cached exchanges of applications that were deleted or changed are
    /// dropped at the swap.
    pub async fn refresh(&self) -> Result<bool, GatewayError> {
        let _rebuilding = self.refresh_lock.lock().await;
        let current = self.snapshot();
        let version = self.store.config_version().await?;
        if version == current.version {
            return Ok(false);
        }
        let next = Arc::new(
            snapshot::load(
                &*self.store,
                &self.issuers,
                self.config.open_apis_without_strategy,
            )
            .await?,
        );
        let changed = current.changed_clients(&next);
        *self
            .snapshot
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = next.clone();
        for client_id in &changed {
            self.exchanges.invalidate_client(client_id);
        }
        tracing::info!(
            version = next.version,
            has_routes = !next.routes.is_empty(),
            invalidated_clients = changed.len(),
            "gateway configuration loaded"
        );
        Ok(true)
    }

    /// Spawns the task that polls the store every `refresh_interval` and swaps in a new
    /// snapshot when the configuration changed. [`Gateway::serve`] runs one itself.
    pub fn spawn_refresher(self: &Arc<Self>) -> JoinHandle<()> {
        let gateway = Arc::downgrade(self);
        let interval = self.config.refresh_interval;
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(gateway) = gateway.upgrade() else {
                    return;
                };
                if let Err(error) = gateway.refresh().await {
                    tracing::warn!(%error, "could not refresh the gateway configuration; keeping the current one");
                }
            }
        })
    }

    /// Handles one request; never fails: a refusal is a problem response.
    pub(crate) async fn handle(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<ResponseBody> {
        let mut ctx = RequestContext::new(request.headers(), peer, self.snapshot());
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        match self.pipeline(&mut ctx, request).await {
            Ok(response) => {
                tracing::debug!(
                    request_id = ctx.request_id_str(),
                    %method,
                    path,
                    status = response.status().as_u16(),
                    elapsed_us = ctx.started.elapsed().as_micros() as u64,
                    "proxied"
                );
                response.map(Either::Left)
            }
            Err(error) => {
                let status = error.status().as_u16();
                let party = error.party().as_str();
                if matches!(error.party(), Party::Client) {
                    tracing::info!(request_id = ctx.request_id_str(), %method, path, status, party, reason = %error.reason, "request refused");
                } else {
                    tracing::warn!(request_id = ctx.request_id_str(), %method, path, status, party, retry_safe = error.retry_safe(), reason = %error.reason, "request failed");
                }
                error.to_response(&ctx.request_id).map(Either::Right)
            }
        }
    }

    /// The phases, in order: route, authenticate, authorize, (limit), upstream request
    /// filter, upstream call, response filter.
    async fn pipeline(
        &self,
        ctx: &mut RequestContext,
        request: Request<Incoming>,
    ) -> Result<Response<Incoming>, RequestError> {
        // 1. Route.
        let path = request.uri().path();
        if snapshot::has_dot_segment(path) {
            return Err(RequestError::new(
                RequestErrorKind::BadRequest,
                "the path holds a dot segment",
            ));
        }
        let snapshot = ctx.snapshot.clone();
        let route = snapshot
            .routes
            .find(request.method(), path)
            .ok_or_else(|| RequestError::new(RequestErrorKind::NoRoute, "no route matches"))?;
        let api = route.api.clone();
        let upstream_path = route.upstream_path;
        ctx.api = Some(api.clone());

        // 2. Authenticate, and 3. authorize.
        match &api.auth {
            ApiAuth::Strategy(primary, earlier_defaults) => {
                let credentials =
                    auth::parse_authorization(request.headers())?.ok_or_else(|| {
                        RequestError::new(RequestErrorKind::MissingCredentials, "no credentials")
                    })?;
                let strategy =
                    if earlier_defaults.is_empty() || primary.claims_credentials(&credentials) {
                        primary
                    } else {
                        earlier_defaults
                            .iter()
                            .find(|other| other.claims_credentials(&credentials))
                            .unwrap_or(primary)
                    };
                let authenticated = auth::authenticate(self, strategy, credentials).await?;
                let application = auth::authorize(strategy, &api, &authenticated)?;
                ctx.upstream_authorization = Some(authenticated.authorization);
                ctx.application = Some(application);
            }
            ApiAuth::Open => {}
            ApiAuth::Unconfigured => {
                let kind = if request.headers().contains_key(http::header::AUTHORIZATION) {
                    RequestErrorKind::InvalidCredentials
                } else {
                    RequestErrorKind::MissingCredentials
                };
                return Err(RequestError::new(
                    kind,
                    "the API has no auth strategy and the portal has no default",
                ));
            }
        }

        // 4. Limit: request rate limits are not part of the contract yet; the limit on token
        //    exchanges per client id lives in the authentication phase.

        // 5. Upstream request filter and call.
        let body_state = upstream::body_state();
        let upstream_request = upstream::upstream_request(
            ctx,
            request,
            &upstream_path,
            self.config.body_idle_timeout,
            body_state.clone(),
        )?;
        let mut response = upstream::send(
            &self.upstream,
            upstream_request,
            self.config.read_timeout,
            &body_state,
        )
        .await?;

        // 6. Response filter.
        upstream::filter_response(&mut response, &ctx.request_id);
        Ok(response)
    }
}
