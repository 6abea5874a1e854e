//! Configuration: one typed tree, read from a TOML file, then overridden by `PORTICO_*`
//! variables and flags (flags win), checked once at start and passed down.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use serde::Deserialize;

/// The settings of `portico serve`, as a TOML file holds them. Every field is optional in the
/// file; the defaults are Kong's port conventions and an embedded SQLite database.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The gateway's listen address; default `0.0.0.0:8000`.
    pub proxy_listen: Option<SocketAddr>,
    /// The admin API and console; default `127.0.0.1:8001` (loopback: it holds the keys).
    pub admin_listen: Option<SocketAddr>,
    /// The Dev Portal's pages and API; default `0.0.0.0:8003`.
    pub portal_listen: Option<SocketAddr>,
    /// Where generated keys and the SQLite database live; default `./portico-data`.
    pub data_dir: Option<PathBuf>,
    /// `sqlite://…` or `postgres://…`; default SQLite in the data dir.
    pub database_url: Option<String>,
    /// The portal's public base URL, used in links and as the built-in IdP's issuer base.
    pub portal_url: Option<String>,
    /// A PEM bundle trusted in addition to the system roots, for IdPs behind a private CA.
    pub ca_file: Option<PathBuf>,
    /// Gateway timeouts and limits.
    #[serde(default)]
    pub gateway: GatewayFileConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayFileConfig {
    /// Seconds to wait for an upstream connection; default 5.
    pub connect_timeout_secs: Option<u64>,
    /// Seconds to wait for an upstream's response head; default 60.
    pub read_timeout_secs: Option<u64>,
    /// The largest request head accepted, in bytes; default 16384.
    pub max_header_bytes: Option<usize>,
}

/// Flags of `portico serve`; each also reads its `PORTICO_*` variable.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The gateway's listen address [default: 0.0.0.0:8000]
    #[arg(long, env = "PORTICO_PROXY_LISTEN")]
    pub proxy_listen: Option<SocketAddr>,
    /// The admin API's listen address [default: 127.0.0.1:8001]
    #[arg(long, env = "PORTICO_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,
    /// The Dev Portal's listen address [default: 0.0.0.0:8003]
    #[arg(long, env = "PORTICO_PORTAL_LISTEN")]
    pub portal_listen: Option<SocketAddr>,
    /// Where keys and the embedded database live [default: ./portico-data]
    #[arg(long, env = "PORTICO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// sqlite://… or postgres://… [default: SQLite in the data dir]
    #[arg(long, env = "PORTICO_DATABASE_URL")]
    pub database_url: Option<String>,
    /// A TOML file with the same settings
    #[arg(long, env = "PORTICO_CONFIG")]
    pub config: Option<PathBuf>,
    /// The portal's public base URL [default: http://<portal listen address>]
    #[arg(long, env = "PORTICO_PORTAL_URL")]
    pub portal_url: Option<String>,
    /// A PEM bundle trusted in addition to the system roots
    #[arg(long, env = "PORTICO_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// Log format: text or json
    #[arg(long, env = "PORTICO_LOG_FORMAT", default_value = "text")]
    pub log_format: String,
}

/// The settings in force, after merging and checking.
#[derive(Debug, Clone)]
pub struct Config {
    pub proxy_listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub portal_listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// The portal's public base URL when one is configured; otherwise [`crate::start`] uses
    /// the address the portal listener is actually bound to (which matters with port 0).
    pub portal_url: Option<url::Url>,
    pub ca_file: Option<PathBuf>,
    pub gateway_connect_timeout_secs: u64,
    pub gateway_read_timeout_secs: u64,
    pub gateway_max_header_bytes: usize,
}

impl Config {
    pub fn load(args: &ServeArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => FileConfig::read(path)?,
            None => FileConfig::default(),
        };
        Self::merge(args, file)
    }

    pub fn merge(args: &ServeArgs, file: FileConfig) -> anyhow::Result<Self> {
        let proxy_listen = args
            .proxy_listen
            .or(file.proxy_listen)
            .unwrap_or_else(|| "0.0.0.0:8000".parse().expect("valid"));
        let admin_listen = args
            .admin_listen
            .or(file.admin_listen)
            .unwrap_or_else(|| "127.0.0.1:8001".parse().expect("valid"));
        let portal_listen = args
            .portal_listen
            .or(file.portal_listen)
            .unwrap_or_else(|| "0.0.0.0:8003".parse().expect("valid"));
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./portico-data"));
        let database_url = args
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| portico_store::sqlite_url(&data_dir.join("portico.db")));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!("database_url must start with sqlite:, postgres:// or postgresql://");
        }
        let portal_url = match args.portal_url.clone().or(file.portal_url) {
            Some(text) => {
                let portal_url = url::Url::parse(&text)
                    .with_context(|| format!("portal_url {text:?} is not a URL"))?;
                if portal_url.scheme() != "http" && portal_url.scheme() != "https" {
                    bail!("portal_url must be an http or https URL");
                }
                // It is also the built-in identity provider's issuer base: check it now.
                builtin_issuer(&portal_url)
                    .with_context(|| format!("portal_url {text:?} cannot be an issuer base"))?;
                Some(portal_url)
            }
            None => None,
        };
        let ca_file = args.ca_file.clone().or(file.ca_file);
        if let Some(path) = &ca_file {
            if !path.is_file() {
                bail!("ca_file {} does not exist", path.display());
            }
        }
        Ok(Self {
            proxy_listen,
            admin_listen,
            portal_listen,
            data_dir,
            database_url,
            portal_url,
            ca_file,
            gateway_connect_timeout_secs: file.gateway.connect_timeout_secs.unwrap_or(5),
            gateway_read_timeout_secs: file.gateway.read_timeout_secs.unwrap_or(60),
            gateway_max_header_bytes: file.gateway.max_header_bytes.unwrap_or(16 * 1024),
        })
    }
}

/// The portal URL of a listener bound to `address`, when none is configured: loopback for
/// an unspecified address (`0.0.0.0`, `[::]`), so that links and the issuer work on this
/// machine.
pub fn default_portal_url(address: SocketAddr) -> url::Url {
    let host = match address.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
        ip if ip.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    url::Url::parse(&format!("http://{host}:{}", address.port()))
        .expect("an IP address and a port make a URL")
}

/// The built-in identity provider's issuer: the portal URL followed by `/idp`.
pub fn builtin_issuer(portal_url: &url::Url) -> anyhow::Result<portico_core::Issuer> {
    let text = format!("{}/idp", portal_url.as_str().trim_end_matches('/'));
    let url = url::Url::parse(&text).with_context(|| format!("{text:?} is not a URL"))?;
    portico_core::Issuer::from_trusted_url(&url)
        .map_err(|error| anyhow::anyhow!("the issuer {text:?} {error}"))
}

impl FileConfig {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the config file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in the config file {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        Ok(toml::from_str(text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_flags() -> ServeArgs {
        ServeArgs {
            proxy_listen: None,
            admin_listen: None,
            portal_listen: None,
            data_dir: None,
            database_url: None,
            config: None,
            portal_url: None,
            ca_file: None,
            log_format: "text".into(),
        }
    }

    #[test]
    fn the_example_config_parses() {
        let text = include_str!("../../../portico.example.toml");
        let file = FileConfig::parse(text).unwrap();
        let config = Config::merge(&no_flags(), file).unwrap();
        assert_eq!(config.proxy_listen.to_string(), "0.0.0.0:8000");
        assert_eq!(config.gateway_read_timeout_secs, 60);
    }

    #[test]
    fn defaults_follow_the_spec() {
        let config = Config::merge(&no_flags(), FileConfig::default()).unwrap();
        assert_eq!(config.proxy_listen.to_string(), "0.0.0.0:8000");
        assert_eq!(config.admin_listen.to_string(), "127.0.0.1:8001");
        assert_eq!(config.portal_listen.to_string(), "0.0.0.0:8003");
        assert_eq!(config.data_dir, PathBuf::from("./portico-data"));
        assert!(config.database_url.starts_with("sqlite:"));
        assert!(config.database_url.contains("portico-data/portico.db"));
    }

    #[test]
    fn flags_win_over_the_file() {
        let file = FileConfig::parse(
            "admin_listen = \"127.0.0.1:9001\"\nportal_listen = \"127.0.0.1:9003\"",
        )
        .unwrap();
        let mut flags = no_flags();
        flags.admin_listen = Some("127.0.0.1:7001".parse().unwrap());
        let config = Config::merge(&flags, file).unwrap();
        assert_eq!(config.admin_listen.to_string(), "127.0.0.1:7001");
        assert_eq!(config.portal_listen.to_string(), "127.0.0.1:9003");
    }

    #[test]
    fn the_portal_url_defaults_to_the_bound_address_and_bases_the_issuer() {
        assert!(Config::merge(&no_flags(), FileConfig::default())
            .unwrap()
            .portal_url
            .is_none());
        let bound = default_portal_url("0.0.0.0:41234".parse().unwrap());
        assert_eq!(bound.as_str(), "http://127.0.0.1:41234/");
        assert_eq!(
            builtin_issuer(&bound).unwrap().as_str(),
            "http://127.0.0.1:41234/idp"
        );
        assert_eq!(
            default_portal_url("[::]:8003".parse().unwrap()).as_str(),
            "http://[::1]:8003/"
        );
        let mut flags = no_flags();
        flags.portal_url = Some("http://portal.internal:8003/dev/".into());
        let configured = Config::merge(&flags, FileConfig::default()).unwrap();
        let portal_url = configured.portal_url.unwrap();
        assert_eq!(
            builtin_issuer(&portal_url).unwrap().as_str(),
            "http://portal.internal:8003/dev/idp"
        );
        flags.portal_url = Some("https://portal.example/?x=1".into());
        assert!(Config::merge(&flags, FileConfig::default()).is_err());
    }

    #[test]
    fn unknown_keys_and_bad_urls_are_refused() {
        assert!(FileConfig::parse("proxy_lisen = \"0.0.0.0:1\"").is_err());
        let mut flags = no_flags();
        flags.database_url = Some("mysql://x".into());
        assert!(Config::merge(&flags, FileConfig::default()).is_err());
    }
}
