//! `portico`: the developer portal and gateway in one process.

use clap::{Parser, Subcommand};
use portico::config::{Config, ServeArgs};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "portico",
    version,
    about = "A self-hosted developer portal and API gateway with OAuth Dynamic Client Registration"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway, the admin API and the Dev Portal.
    Serve(ServeArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            init_tracing(&args.log_format);
            let config = Config::load(&args)?;
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(serve(config))
        }
    }
}

fn init_tracing(format: &str) {
    let filter = EnvFilter::try_from_env("PORTICO_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let mut running = portico::start(config).await?;
    if let Some(token) = &running.generated_admin_token {
        // Printed once, on the start that generated it; it is also in the data dir (0600).
        println!(
            "Generated admin token (stored in the data dir): {}",
            token.expose()
        );
    }
    println!("Portico is ready.");
    println!("  Gateway:    http://{}", running.proxy_addr);
    println!("  Admin API:  http://{}", running.admin_addr);
    println!("  Dev Portal: http://{}", running.portal_addr);
    tokio::select! {
        result = running.wait() => result,
        _ = shutdown_signal() => {
            tracing::info!("shutting down");
            running.shutdown().await
        }
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("a SIGTERM handler can be installed");
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
