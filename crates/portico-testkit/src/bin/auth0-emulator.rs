//! Serves the Auth0 emulator on a fixed address until SIGINT or SIGTERM.
//!
//! Once listening it prints one JSON line on stdout with the issuer, the seeded management
//! credentials and the custom API audience, so a script or a person can point Portico at it.
//! Request logs go to stderr and never contain secrets.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
use serde_json::json;

/// An in-process double of an Auth0 tenant (client credentials, JWKS, Management API clients
/// and client grants).
#[derive(Debug, Parser)]
#[command(name = "auth0-emulator", version)]
struct Arguments {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4000")]
    listen: SocketAddr,
    /// Identifier (audience) of the seeded custom API.
    #[arg(long, default_value = "https://api.portico.test")]
    api_audience: String,
    /// Management API token-bucket size (real free tenants: 10).
    #[arg(long, default_value_t = 50)]
    rate_limit_bucket: u32,
    /// Management API bucket refill per second (real free tenants: 2).
    #[arg(long, default_value_t = 50)]
    rate_limit_refill_per_sec: u32,
    /// Lifetime in seconds of issued access tokens.
    #[arg(long, default_value_t = 86_400)]
    token_lifetime: u64,
    /// Refuse clients that authenticate with another method than their token_endpoint_auth_method.
    #[arg(long)]
    strict_auth_method: bool,
    /// Keep a deleted client's grants instead of deleting them with it.
    #[arg(long)]
    keep_grants_on_client_delete: bool,
    /// Seconds a replaced client secret keeps working.
    #[arg(long, default_value_t = 0)]
    rotate_secret_grace_secs: u64,
    /// Seconds before a new client secret starts working.
    #[arg(long, default_value_t = 0)]
    secret_propagation_delay_secs: u64,
    /// Audience used by /oauth/token when a request names none.
    #[arg(long)]
    default_audience: Option<String>,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let arguments = Arguments::parse();
    let config = EmulatorConfig {
        api_audience: arguments.api_audience,
        rate_limit_bucket: arguments.rate_limit_bucket,
        rate_limit_refill_per_sec: arguments.rate_limit_refill_per_sec,
        token_lifetime: arguments.token_lifetime,
        strict_auth_method: arguments.strict_auth_method,
        cascade_grants_on_client_delete: !arguments.keep_grants_on_client_delete,
        rotate_secret_grace: Duration::from_secs(arguments.rotate_secret_grace_secs),
        secret_propagation_delay: Duration::from_secs(arguments.secret_propagation_delay_secs),
        default_audience: arguments.default_audience,
        ..EmulatorConfig::default()
    };
    let emulator = match Auth0Emulator::try_start_on(arguments.listen, config).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!(
                "auth0-emulator: cannot listen on {}: {error}",
                arguments.listen
            );
            std::process::exit(1);
        }
    };
    let (management_client_id, management_client_secret) = emulator.management_client();
    // This handshake line is the one place the seeded secret is printed: it is what the
    // caller started the emulator for. Logs never contain it.
    let handshake = json!({
        "issuer": emulator.issuer(),
        "base_url": emulator.base_url(),
        "management_audience": emulator.management_audience(),
        "management_client_id": management_client_id,
        "management_client_secret": management_client_secret,
        "api_audience": emulator.api_audience(),
    });
    println!("{handshake}");

    wait_for_termination().await;
    tracing::info!("auth0-emulator: shutting down");
    emulator.shutdown().await;
}

async fn wait_for_termination() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("installing the SIGTERM handler failed");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
