//! Issuer URLs, validated once when parsed.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::{Host, Url};

/// An OAuth issuer: `https://`, or `http://` on a loopback host only.
///
/// Kept without a trailing slash; Auth0 writes its issuer with one, so comparisons go
/// through [`Issuer::matches`], which ignores it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Issuer(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssuerError {
    #[error("must be an absolute URL")]
    NotAUrl,
    #[error("must use https (http is allowed only for localhost, 127.0.0.0/8 and [::1])")]
    NotHttps,
    #[error("must not carry a query, a fragment or credentials")]
    Extras,
}

impl Issuer {
    /// An issuer entered by a user: `https://`, or `http://` on a loopback host only.
    pub fn parse(value: &str) -> Result<Self, IssuerError> {
        let url = Url::parse(value.trim()).map_err(|_| IssuerError::NotAUrl)?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(IssuerError::NotHttps),
            _ => return Err(IssuerError::NotAUrl),
        }
        Self::checked(url)
    }

    /// Portico's own issuer (the built-in identity provider's), from the portal URL that the
    /// operator configured. Plain `http://` is accepted on any host here: the rule against it
    /// protects credentials sent to a third party that a user typed in, whereas this is the
    /// address at which the operator chose to serve Portico itself; refusing it would only
    /// stop Portico from starting behind a plain-HTTP address the operator already uses.
    pub fn from_trusted_url(url: &Url) -> Result<Self, IssuerError> {
        match url.scheme() {
            "https" | "http" => Self::checked(url.clone()),
            _ => Err(IssuerError::NotAUrl),
        }
    }

    /// An issuer that Portico stored earlier: it was checked on its way in (by [`parse`] or
    /// [`from_trusted_url`]), so only its shape is checked again.
    ///
    /// [`parse`]: Issuer::parse
    /// [`from_trusted_url`]: Issuer::from_trusted_url
    pub fn from_stored(value: &str) -> Result<Self, IssuerError> {
        let url = Url::parse(value.trim()).map_err(|_| IssuerError::NotAUrl)?;
        Self::from_trusted_url(&url)
    }

    fn checked(url: Url) -> Result<Self, IssuerError> {
        if url.host().is_none() {
            return Err(IssuerError::NotAUrl);
        }
        if url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(IssuerError::Extras);
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }

    /// Without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{issuer}/{path}`, for discovery and Management API URLs.
    pub fn join(&self, path: &str) -> String {
        format!("{}/{}", self.0, path.trim_start_matches('/'))
    }

    /// Whether `other` names this issuer, ignoring one trailing slash.
    pub fn matches(&self, other: &str) -> bool {
        other.strip_suffix('/').unwrap_or(other) == self.0
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Issuer({})", self.0)
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Issuer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Deserialization reads what Portico stored (an auth strategy's JSON column), so it is as
/// lenient as [`Issuer::from_stored`]; issuers that users send arrive as strings and go
/// through [`Issuer::parse`].
impl<'de> Deserialize<'de> for Issuer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Issuer::from_stored(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_slash_is_normalized() {
        let issuer = Issuer::parse("https://tenant.us.auth0.com/").unwrap();
        assert_eq!(issuer.as_str(), "https://tenant.us.auth0.com");
        assert!(issuer.matches("https://tenant.us.auth0.com/"));
        assert!(issuer.matches("https://tenant.us.auth0.com"));
        assert!(!issuer.matches("https://other.us.auth0.com/"));
        assert_eq!(
            issuer.join("/oauth/token"),
            "https://tenant.us.auth0.com/oauth/token"
        );
    }

    #[test]
    fn portico_own_issuer_may_be_plain_http_anywhere() {
        let url = Url::parse("http://portal.internal:8003/idp").unwrap();
        assert_eq!(
            Issuer::from_trusted_url(&url).unwrap().as_str(),
            "http://portal.internal:8003/idp"
        );
        assert!(Issuer::from_stored("http://portal.internal:8003/idp").is_ok());
        let with_query = Url::parse("https://portal.example/idp?x=1").unwrap();
        assert_eq!(
            Issuer::from_trusted_url(&with_query),
            Err(IssuerError::Extras)
        );
        let ftp = Url::parse("ftp://portal.example/idp").unwrap();
        assert_eq!(Issuer::from_trusted_url(&ftp), Err(IssuerError::NotAUrl));
    }

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(Issuer::parse("http://127.0.0.1:4000").is_ok());
        assert!(Issuer::parse("http://localhost:4000/").is_ok());
        assert!(Issuer::parse("http://[::1]:4000").is_ok());
        assert_eq!(
            Issuer::parse("http://tenant.auth0.com"),
            Err(IssuerError::NotHttps)
        );
        assert_eq!(Issuer::parse("not a url"), Err(IssuerError::NotAUrl));
        assert_eq!(Issuer::parse("ftp://x.example"), Err(IssuerError::NotAUrl));
        assert_eq!(
            Issuer::parse("https://x.example/?a=b"),
            Err(IssuerError::Extras)
        );
    }
}
