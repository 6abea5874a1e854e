//! The axum router and the task that serves it.

use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{control, http_responses, management, token_endpoint, traffic, well_known, Shared};

/// How long a stop waits for in-flight requests before cutting them off.
const GRACEFUL_STOP_TIMEOUT: Duration = Duration::from_secs(2);

/// A listener being served on a background task.
pub(crate) struct RunningServer {
    stop_sender: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl RunningServer {
    pub(crate) fn spawn(listener: TcpListener, shared: Arc<Shared>) -> RunningServer {
        let (stop_sender, stop_receiver) = oneshot::channel::<()>();
        let router = router(shared);
        let task = tokio::spawn(async move {
            let stopped = async {
                // A dropped sender also means "stop": the emulator handle is gone.
                let _ = stop_receiver.await;
            };
            if let Err(error) = axum::serve(listener, router)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::warn!(%error, "the Auth0 emulator stopped serving");
            }
        });
        RunningServer { stop_sender, task }
    }

    /// Stops accepting connections, lets in-flight requests finish for a short while, then
    /// aborts, so that the port is free when this returns.
    pub(crate) async fn stop(self) {
        let _ = self.stop_sender.send(());
        let mut task = self.task;
        if tokio::time::timeout(GRACEFUL_STOP_TIMEOUT, &mut task)
            .await
            .is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }

    /// Asks the server to stop without waiting (used from `Drop`, which cannot await).
    pub(crate) fn signal_stop(self) {
        let _ = self.stop_sender.send(());
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/.well-known/jwks.json", get(well_known::jwks))
        .route(
            "/.well-known/openid-configuration",
            get(well_known::openid_configuration),
        )
        .route("/oauth/token", post(token_endpoint::issue_token))
        .route(
            "/api/v2/clients",
            get(management::list_clients).post(management::create_client),
        )
        .route(
            "/api/v2/clients/{client_id}",
            get(management::get_client)
                .patch(management::update_client)
                .delete(management::delete_client),
        )
        .route(
            "/api/v2/clients/{client_id}/rotate-secret",
            post(management::rotate_client_secret),
        )
        .route(
            "/api/v2/client-grants",
            get(management::list_client_grants).post(management::create_client_grant),
        )
        .route(
            "/api/v2/client-grants/{grant_id}",
            get(management::get_client_grant)
                .patch(management::update_client_grant)
                .delete(management::delete_client_grant),
        )
        // hapi answers unknown routes and unsupported methods alike with a 404.
        .fallback(|| async { http_responses::route_not_found() })
        .method_not_allowed_fallback(|| async { http_responses::route_not_found() })
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            traffic::traffic_middleware,
        ))
        // Added after the traffic layer on purpose: the control endpoint is not traffic.
        .route("/__emulator/fail-next", post(control::fail_next))
        .with_state(shared)
}
