//! The proxy listener: HTTP/1.1 with keep-alive, a limit on the request head, a deadline on
//! reading it, and a graceful shutdown that lets requests in flight finish.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::gateway::Gateway;

/// hyper refuses a read buffer smaller than this.
const MIN_BUFFER: usize = 8 * 1024;

impl Gateway {
    /// Serves on the listener until `shutdown` resolves, then stops accepting, lets the
    /// requests in flight finish (for at most `shutdown_grace`) and returns. Runs the
    /// configuration refresher meanwhile.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let refresher = self.spawn_refresher();
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .keep_alive(true)
            .header_read_timeout(self.config.header_read_timeout)
            .max_header_size(self.config.max_header_bytes)
            // The buffer must hold a whole head; anything larger is refused by the size limit
            // above with 431 before the buffer is exhausted.
            .max_buf_size((self.config.max_header_bytes + 1024).max(MIN_BUFFER));
        let graceful = GracefulShutdown::new();
        tracing::info!(address = ?listener.local_addr().ok(), "gateway listening");

        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(accepted) => accepted,
                        Err(error) => {
                            // Typically out of file descriptors: wait for some to free up
                            // rather than spin.
                            tracing::warn!(%error, "could not accept a connection");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let gateway = self.clone();
                    let service = service_fn(move |request| {
                        let gateway = gateway.clone();
                        async move { Ok::<_, Infallible>(gateway.handle(request, peer).await) }
                    });
                    let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                    tokio::spawn(async move {
                        if let Err(error) = connection.await {
                            tracing::debug!(%peer, %error, "connection ended with an error");
                        }
                    });
                }
                () = &mut shutdown => break,
            }
        }

        drop(listener);
        refresher.abort();
        tracing::info!("gateway shutting down; finishing requests in flight");
        if tokio::time::timeout(self.config.shutdown_grace, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("requests still in flight after the shutdown grace period were dropped");
        }
        Ok(())
    }
}
