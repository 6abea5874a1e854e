//! `portico`: the developer portal and gateway in one process.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
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
    Serve(Serve),
    /// The built-in identity provider.
    #[command(subcommand)]
    Idp(IdpCommand),
}

#[derive(Debug, Args)]
struct Serve {
    #[command(flatten)]
    args: ServeArgs,
    /// Also run an echo upstream, publish it as the API `Echo` at /echo, and print the admin
    /// token and a curl walkthrough of the developer journey
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Subcommand)]
enum IdpCommand {
    /// Make a new signing key; the previous ones stay published for the overlap, so that
    /// tokens they signed stay valid until then. A running server picks the change up
    /// within seconds.
    RotateKey(RotateKeyArgs),
}

#[derive(Debug, Args)]
struct RotateKeyArgs {
    /// How long the previous keys stay published, e.g. 24h, 30m, 90s or 2d
    #[arg(long, default_value = "24h", value_parser = parse_duration, conflicts_with = "overlap_secs")]
    overlap: Duration,
    /// The overlap in seconds
    #[arg(long)]
    overlap_secs: Option<u64>,
    /// Where keys and the embedded database live [default: ./portico-data]
    #[arg(long, env = "PORTICO_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// sqlite://… or postgres://… [default: SQLite in the data dir]
    #[arg(long, env = "PORTICO_DATABASE_URL")]
    database_url: Option<String>,
    /// A TOML file with the same settings as `portico serve`
    #[arg(long, env = "PORTICO_CONFIG")]
    config: Option<PathBuf>,
}

/// `90s`, `30m`, `24h`, `2d`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(index) => text.split_at(index),
        None => (text, "s"),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 24h, 30m, 90s or 2d"))?;
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit must be s, m, h or d")),
    };
    number
        .checked_mul(seconds_per_unit)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

fn main() -> anyhow::Result<()> {
    // The demo reports how long it took to be ready, from the start of the process.
    let started = Instant::now();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(serve_command) => {
            init_tracing(&serve_command.args.log_format);
            let config = Config::load(&serve_command.args)?;
            runtime()?.block_on(serve(config, serve_command.demo, started))
        }
        Command::Idp(IdpCommand::RotateKey(args)) => {
            init_tracing("text");
            let serve_args = ServeArgs {
                proxy_listen: None,
                admin_listen: None,
                portal_listen: None,
                data_dir: args.data_dir,
                database_url: args.database_url,
                config: args.config,
                portal_url: None,
                ca_file: None,
                log_format: "text".into(),
            };
            let config = Config::load(&serve_args)?;
            let overlap = args
                .overlap_secs
                .map(Duration::from_secs)
                .unwrap_or(args.overlap);
            let rotation = runtime()?.block_on(portico::rotate_signing_key(&config, overlap))?;
            println!("New signing key: {}", rotation.new_kid);
            for (kid, retires_at) in &rotation.retiring {
                let until = retires_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_else(|_| retires_at.to_string());
                println!("Previous key {kid} stays published until {until}");
            }
            Ok(())
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
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

async fn serve(config: Config, demo: bool, started: Instant) -> anyhow::Result<()> {
    let data_dir = config.data_dir.clone();
    let mut running = portico::start(config).await?;
    // The demo's banner prints the token itself.
    if let Some(token) = running.generated_admin_token.as_ref().filter(|_| !demo) {
        // Printed once, on the start that generated it; it is also in the data dir (0600).
        println!(
            "Generated admin token (stored in the data dir): {}",
            token.expose()
        );
    }
    // Kept until the process ends: the demo's upstream runs as long as Portico does.
    let mut _echo_upstream = None;
    if demo {
        let (echo_addr, echo_task) = portico::demo::start_echo_upstream().await?;
        _echo_upstream = Some(echo_task);
        let echo = portico::demo::publish_echo(&running.portico, echo_addr).await?;
        portico::demo::wait_until_routed(running.proxy_addr).await?;
        println!("{}", portico::demo::banner(&running, &echo, &data_dir));
        println!(
            "Ready {:.1} s after the process started.",
            started.elapsed().as_secs_f64()
        );
    } else {
        println!("Portico is ready.");
        println!("  Gateway:    http://{}", running.proxy_addr);
        println!("  Admin API:  http://{}", running.admin_addr);
        println!("  Dev Portal: {}", running.portal_url);
        println!("  Identity provider (built-in): {}", running.builtin_issuer);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_read_as_durations() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1_800)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn the_command_line_parses() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let cli =
            Cli::try_parse_from(["portico", "idp", "rotate-key", "--overlap-secs", "5"]).unwrap();
        match cli.command {
            Command::Idp(IdpCommand::RotateKey(args)) => assert_eq!(args.overlap_secs, Some(5)),
            other => panic!("parsed as {other:?}"),
        }
        let cli = Cli::try_parse_from(["portico", "serve", "--demo"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Serve(Serve { demo: true, .. })
        ));
    }
}
