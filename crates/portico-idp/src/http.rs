//! The one outbound HTTP client Portico uses to talk to identity providers.

use std::path::PathBuf;
use std::time::Duration;

/// How the outbound HTTP client is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpClientConfig {
    /// A PEM bundle of extra trusted root certificates (the binary reads it from
    /// `PORTICO_CA_FILE`), added to the system and Mozilla roots.
    pub ca_file: Option<PathBuf>,
    /// How long establishing a connection (TCP and TLS) may take.
    pub connect_timeout: Duration,
    /// How long a whole request may take, from connecting to the last byte of the body.
    pub request_timeout: Duration,
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        Self {
            ca_file: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpClientError {
    #[error("could not read the CA bundle {path}: {source}")]
    ReadCaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the CA bundle {path} is not valid PEM: {reason}")]
    InvalidCaFile { path: PathBuf, reason: String },
    #[error("the CA bundle {path} holds no certificate")]
    EmptyCaFile { path: PathBuf },
    #[error("could not build the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
}

/// Builds the outbound client: rustls with the system and Mozilla roots plus the optional
/// bundle, timeouts always set, and no redirects followed, so that a configured URL cannot
/// bounce Portico (and the credentials it sends) to another host.
pub fn http_client(config: &HttpClientConfig) -> Result<reqwest::Client, HttpClientError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .user_agent(concat!("portico/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &config.ca_file {
        let pem = std::fs::read(path).map_err(|source| HttpClientError::ReadCaFile {
            path: path.clone(),
            source,
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|error| {
            HttpClientError::InvalidCaFile {
                path: path.clone(),
                reason: error.to_string(),
            }
        })?;
        if certificates.is_empty() {
            return Err(HttpClientError::EmptyCaFile { path: path.clone() });
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(HttpClientError::Build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_five_and_fifteen_seconds() {
        let config = HttpClientConfig::default();
        assert_eq!(config.connect_timeout, Duration::from_secs(5));
        assert_eq!(config.request_timeout, Duration::from_secs(15));
        assert!(http_client(&config).is_ok());
    }

    #[test]
    fn a_ca_bundle_is_added() {
        let path = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/isrg-root-x1.pem"
        ));
        let config = HttpClientConfig {
            ca_file: Some(path),
            ..HttpClientConfig::default()
        };
        assert!(http_client(&config).is_ok());
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_refused() {
        let missing = HttpClientConfig {
            ca_file: Some(PathBuf::from("/nonexistent/portico-ca.pem")),
            ..HttpClientConfig::default()
        };
        assert!(matches!(
            http_client(&missing),
            Err(HttpClientError::ReadCaFile { .. })
        ));

        let empty = tempfile::NamedTempFile::new().unwrap();
        let config = HttpClientConfig {
            ca_file: Some(empty.path().to_path_buf()),
            ..HttpClientConfig::default()
        };
        assert!(matches!(
            http_client(&config),
            Err(HttpClientError::EmptyCaFile { .. })
        ));
    }
}
