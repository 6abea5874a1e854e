//! The `portico` binary's library half: configuration, wiring of the concrete adapters,
//! telemetry and graceful shutdown. Tests start Portico through [`start`] exactly as
//! `portico serve` does.

pub mod config;
pub mod demo;
pub mod secrets;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use portico_core::ports::{Clock, SystemClock};
use portico_core::service::{BuiltinIdp, Portico, SigningKeys};
use portico_web::AppState;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use config::Config;

/// How often expired sessions and old idempotency keys are forgotten.
const PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// How often the queue of IdP deletions is looked at.
const DELETION_QUEUE_INTERVAL: Duration = Duration::from_secs(1);

/// A running Portico: its bound addresses and a handle to stop it.
pub struct Running {
    pub proxy_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub portal_addr: SocketAddr,
    /// The portal's base URL: the configured one, or the bound address.
    pub portal_url: url::Url,
    /// The built-in identity provider's issuer (`portal_url` + `/idp`).
    pub builtin_issuer: portico_core::Issuer,
    /// Set when this start generated the admin token (so it is printed once).
    pub generated_admin_token: Option<portico_core::SecretString>,
    /// The admin token in force (generated, read from the data dir, or from the environment).
    pub admin_token: portico_core::SecretString,
    /// The use cases, for the binary's own setup steps (the demo publishes its API with them).
    pub portico: Portico,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<anyhow::Result<()>>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, and waits for every task.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.wait().await
    }

    /// Waits until every task has ended (after a shutdown, or when one fails).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        while let Some(result) = self.tasks.join_next().await {
            match result {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    let _ = self.shutdown.send(true);
                    return Err(error);
                }
                Err(join_error) => {
                    let _ = self.shutdown.send(true);
                    return Err(join_error.into());
                }
            }
        }
        Ok(())
    }
}

/// Binds the three listeners, opens the database (migrating it), makes sure the built-in
/// identity provider has a signing key and is set up (the portal's default on a fresh data
/// dir), and starts serving.
///
/// The listeners are bound first so that, with port 0, the portal URL (and so the built-in
/// IdP's issuer) names the port actually bound.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "could not create the data dir {}",
            config.data_dir.display()
        )
    })?;
    let admin_token = secrets::admin_token(&config.data_dir)?;
    let cipher = secrets::secret_key(&config.data_dir)?;

    let proxy_listener = bind(config.proxy_listen, "proxy").await?;
    let admin_listener = bind(config.admin_listen, "admin").await?;
    let portal_listener = bind(config.portal_listen, "portal").await?;
    let proxy_addr = proxy_listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;
    let portal_addr = portal_listener.local_addr()?;
    let portal_url = config
        .portal_url
        .clone()
        .unwrap_or_else(|| config::default_portal_url(portal_addr));
    let builtin_issuer = config::builtin_issuer(&portal_url)?;

    let store = portico_store::connect(&config.database_url)
        .await
        .map_err(|error| anyhow::anyhow!("could not open the database: {error}"))?;

    let http = portico_idp::http_client(&portico_idp::HttpClientConfig {
        ca_file: config.ca_file.clone(),
        ..Default::default()
    })
    .map_err(|error| anyhow::anyhow!("could not build the outbound HTTP client: {error}"))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let signing_keys = Arc::new(SigningKeys::new(
        store.clone(),
        Arc::new(portico_idp::RsaKeyMaker),
        cipher.clone(),
        clock.clone(),
    ));
    let builtin_idp = Arc::new(BuiltinIdp::new(
        store.clone(),
        signing_keys.clone(),
        clock.clone(),
        builtin_issuer.clone(),
    ));
    let registry = portico_idp::IdpRegistry::new(http.clone(), portico_idp::RetryPolicy::default())
        .with_builtin(builtin_idp.clone());
    let portico = Portico::new(store.clone(), Arc::new(registry), clock, cipher)
        .with_builtin_idp(builtin_idp);
    signing_keys.ensure_signing_key().await.map_err(|error| {
        anyhow::anyhow!("could not make the built-in IdP's signing key: {error}")
    })?;
    portico
        .ensure_builtin_defaults(&builtin_issuer)
        .await
        .map_err(|error| anyhow::anyhow!("could not set up the built-in IdP: {error}"))?;

    let ready = Arc::new(AtomicBool::new(false));
    let state = AppState {
        portico: portico.clone(),
        admin_token: admin_token.value.clone(),
        secure_cookies: portal_url.scheme() == "https",
        ready: ready.clone(),
    };

    let (shutdown, shutdown_receiver) = watch::channel(false);
    let mut tasks = JoinSet::new();

    let admin_router = portico_web::admin_app(state.clone());
    let portal_router = portico_web::portal_app(state.clone());
    tasks.spawn(serve_http(
        admin_listener,
        admin_router,
        shutdown_receiver.clone(),
        "admin",
    ));
    tasks.spawn(serve_http(
        portal_listener,
        portal_router,
        shutdown_receiver.clone(),
        "portal",
    ));

    let gateway_config = portico_gateway::GatewayConfig {
        connect_timeout: Duration::from_secs(config.gateway_connect_timeout_secs),
        read_timeout: Duration::from_secs(config.gateway_read_timeout_secs),
        max_header_bytes: config.gateway_max_header_bytes,
        ..Default::default()
    };
    let gateway = Arc::new(
        portico_gateway::Gateway::new(store.clone(), http.clone(), gateway_config)
            .await
            .map_err(|error| anyhow::anyhow!("could not start the gateway: {error}"))?,
    );
    let gateway_shutdown = wait_for(shutdown_receiver.clone());
    tasks.spawn(async move {
        gateway
            .serve(proxy_listener, gateway_shutdown)
            .await
            .context("the proxy listener failed")
    });

    tasks.spawn(run_deletion_queue(
        portico.clone(),
        shutdown_receiver.clone(),
    ));

    ready.store(true, Ordering::Release);
    tracing::info!(%proxy_addr, %admin_addr, %portal_addr, issuer = %builtin_issuer, "portico is ready");
    Ok(Running {
        proxy_addr,
        admin_addr,
        portal_addr,
        portal_url,
        builtin_issuer,
        generated_admin_token: admin_token.generated.then(|| admin_token.value.clone()),
        admin_token: admin_token.value,
        portico,
        shutdown,
        tasks,
    })
}

/// `portico idp rotate-key`: a new signing key for the built-in identity provider, the
/// previous ones still published for `overlap`. Works while a server runs on the same
/// database: the server reads the keys again within seconds.
pub async fn rotate_signing_key(
    config: &Config,
    overlap: Duration,
) -> anyhow::Result<portico_core::service::Rotation> {
    let cipher = secrets::secret_key(&config.data_dir)?;
    let store = portico_store::connect(&config.database_url)
        .await
        .map_err(|error| anyhow::anyhow!("could not open the database: {error}"))?;
    let keys = SigningKeys::new(
        store,
        Arc::new(portico_idp::RsaKeyMaker),
        cipher,
        Arc::new(SystemClock),
    );
    let overlap = time::Duration::try_from(overlap)
        .map_err(|_| anyhow::anyhow!("the overlap is too long"))?;
    keys.rotate(overlap)
        .await
        .map_err(|error| anyhow::anyhow!("could not rotate the signing key: {error}"))
}

async fn bind(address: SocketAddr, name: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("could not listen on {address} for the {name} listener"))
}

async fn wait_for(mut receiver: watch::Receiver<bool>) {
    while !*receiver.borrow_and_update() {
        if receiver.changed().await.is_err() {
            return;
        }
    }
}

async fn serve_http(
    listener: TcpListener,
    router: axum::Router,
    shutdown: watch::Receiver<bool>,
    name: &'static str,
) -> anyhow::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(wait_for(shutdown))
    .await
    .with_context(|| format!("the {name} listener failed"))
}

/// Retries queued IdP deletions until shutdown; failures are logged by the core.
async fn run_deletion_queue(
    portico: Portico,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let stop = wait_for(shutdown);
    tokio::pin!(stop);
    let mut interval = tokio::time::interval(DELETION_QUEUE_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut purge = tokio::time::interval(PURGE_INTERVAL);
    purge.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = interval.tick() => {
                if let Err(error) = portico.process_due_idp_deletions().await {
                    tracing::warn!(%error, "the IdP deletion queue could not be processed");
                }
            }
            _ = purge.tick() => {
                match portico.purge_expired().await {
                    Ok(0) => {}
                    Ok(purged) => tracing::info!(purged, "expired sessions and idempotency keys forgotten"),
                    Err(error) => tracing::warn!(%error, "expired sessions could not be purged"),
                }
            }
        }
    }
}
