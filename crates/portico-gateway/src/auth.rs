//! The authentication and authorization phases.
//!
//! Authentication turns the `Authorization` header into verified token claims and the
//! `Authorization` value to send upstream:
//!
//! - `Basic` (base64 as `curl -u` sends it, or the literal `client_id:client_secret` of the
//!   seed's curl line; base64 never holds a colon, so the two cannot be confused): the client
//!   id must belong to an application of the strategy's issuer (otherwise the IdP is not
//!   asked), then the credentials are exchanged at the token endpoint (cached, shared,
//!   rejections remembered, rate-limited per client id: see [`crate::cache`]) and the token
//!   obtained is validated like a bearer token, so that both paths yield the same claims.
//! - `Bearer`: the JWT is validated against the issuer's keys (see
//!   [`portico_idp::jwks`]) once, then found in the verified-token cache by its hash, with
//!   its validity period and its key rechecked on every hit.
//!
//! Authorization maps the first `credential_claim` present to an application (unknown: 401)
//! and requires an approved registration of that application for the route's API (403).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use http::{header, HeaderMap, HeaderValue};
use portico_core::ports::IdpError;
use portico_core::SecretString;
use portico_idp::jwks::{self, Expectations, TokenError};
use portico_idp::token_exchange::{
    exchange_client_credentials, ClientCredentialsRequest, ExchangeError,
};

use crate::cache::{cache_key, ExchangeFailure, ExchangedToken, VerifiedToken};
use crate::error::{RequestError, RequestErrorKind};
use crate::gateway::Gateway;
use crate::snapshot::{ApiEntry, AppEntry, StrategyEntry};

/// What the client presented.
pub(crate) enum Credentials<'a> {
    Basic {
        client_id: String,
        client_secret: SecretString,
    },
    Bearer(&'a str),
}

/// The outcome of authentication.
pub(crate) struct Authenticated {
    pub claims: Arc<serde_json::Map<String, serde_json::Value>>,
    /// `Bearer <access token>` for the upstream.
    pub authorization: HeaderValue,
}

fn invalid(reason: impl Into<String>) -> RequestError {
    RequestError::new(RequestErrorKind::InvalidCredentials, reason)
}

/// Reads the `Authorization` header: `Ok(None)` when there is none.
pub(crate) fn parse_authorization(
    headers: &HeaderMap,
) -> Result<Option<Credentials<'_>>, RequestError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid("more than one Authorization header"));
    }
    let value = value
        .to_str()
        .map_err(|_| invalid("the Authorization header is not visible ASCII"))?;
    let (scheme, rest) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| invalid("the Authorization header has no scheme and value"))?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        parse_basic(rest).map(Some)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        if rest.is_empty() || rest.split('.').count() != 3 || rest.contains(' ') {
            return Err(invalid("the bearer token is not a JWT"));
        }
        Ok(Some(Credentials::Bearer(rest)))
    } else {
        Err(invalid(
            "the Authorization scheme is neither Basic nor Bearer",
        ))
    }
}

fn parse_basic(value: &str) -> Result<Credentials<'static>, RequestError> {
    let decoded;
    let pair = if value.contains(':') {
        // The seed's literal form: base64 never contains a colon.
        value
    } else {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value)
            .map_err(|_| invalid("the Basic credentials are not base64"))?;
        decoded =
            String::from_utf8(bytes).map_err(|_| invalid("the Basic credentials are not UTF-8"))?;
        decoded.as_str()
    };
    let (client_id, client_secret) = pair
        .split_once(':')
        .ok_or_else(|| invalid("the Basic credentials have no colon"))?;
    if client_id.is_empty() || client_secret.is_empty() {
        return Err(invalid(
            "the Basic credentials lack a client id or a secret",
        ));
    }
    Ok(Credentials::Basic {
        client_id: client_id.to_owned(),
        client_secret: SecretString::new(client_secret),
    })
}

/// The `iss` claim of a JWT, read without verifying it: only to choose which strategy
/// verifies the token.
pub(crate) fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    #[derive(serde::Deserialize)]
    struct Issuer {
        iss: String,
    }
    serde_json::from_slice::<Issuer>(&bytes)
        .ok()
        .map(|claims| claims.iss)
}

/// The authentication phase.
pub(crate) async fn authenticate(
    gateway: &Gateway,
    strategy: &Arc<StrategyEntry>,
    credentials: Credentials<'_>,
) -> Result<Authenticated, RequestError> {
    match credentials {
        Credentials::Bearer(token) => {
            if !strategy.allow_bearer {
                return Err(invalid("the strategy does not accept bearer tokens"));
            }
            authenticate_bearer(gateway, strategy, token).await
        }
        Credentials::Basic {
            client_id,
            client_secret,
        } => {
            if !strategy.allow_client_credentials {
                return Err(invalid("the strategy does not accept client credentials"));
            }
            authenticate_basic(gateway, strategy, client_id, client_secret).await
        }
    }
}

async fn authenticate_bearer(
    gateway: &Gateway,
    strategy: &Arc<StrategyEntry>,
    token: &str,
) -> Result<Authenticated, RequestError> {
    let key = cache_key(&strategy.cache_salt, &[token.as_bytes()]);
    let leeway = gateway.config.leeway.as_secs();
    if let Some(verified) = gateway.verified.get(&key) {
        let fresh = jwks::still_valid(
            verified.expires_at,
            verified.not_before,
            leeway,
            jwks::unix_now(),
        );
        if fresh && strategy.idp.jwks.has_key(verified.kid.as_deref()) {
            return Ok(Authenticated {
                claims: verified.claims.clone(),
                authorization: verified.authorization.clone(),
            });
        }
        gateway.verified.remove(&key);
    }
    let verified = strategy
        .idp
        .jwks
        .validate(
            token,
            Expectations {
                audience: &strategy.audience,
                leeway_secs: leeway,
            },
        )
        .await
        .map_err(|error| token_error(gateway, error))?;
    let mut authorization = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| invalid("the bearer token is not a valid header value"))?;
    authorization.set_sensitive(true);
    let entry = Arc::new(VerifiedToken {
        claims: Arc::new(verified.claims),
        kid: verified.kid,
        expires_at: verified.expires_at,
        not_before: verified.not_before,
        authorization,
    });
    gateway.verified.insert(key, entry.clone(), move |entry| {
        jwks::still_valid(entry.expires_at, entry.not_before, leeway, jwks::unix_now())
    });
    Ok(Authenticated {
        claims: entry.claims.clone(),
        authorization: entry.authorization.clone(),
    })
}

fn token_error(gateway: &Gateway, error: TokenError) -> RequestError {
    if error.is_unavailable() {
        RequestError::new(
            RequestErrorKind::IdpUnavailable {
                retry_after: gateway.config.idp_retry_after,
            },
            error.to_string(),
        )
    } else {
        invalid(error.to_string())
    }
}

async fn authenticate_basic(
    gateway: &Gateway,
    strategy: &Arc<StrategyEntry>,
    client_id: String,
    client_secret: SecretString,
) -> Result<Authenticated, RequestError> {
    // A client id that is no application of this issuer cannot pass authorization, so the
    // IdP is not troubled with it.
    if !strategy.applications.contains_key(&client_id) {
        return Err(invalid("the Basic client id is not an application's"));
    }
    let key = cache_key(
        &strategy.cache_salt,
        &[client_id.as_bytes(), client_secret.expose().as_bytes()],
    );
    if let Some(token) = gateway.exchanges.cached(&key) {
        if strategy.idp.jwks.has_key(token.kid.as_deref()) {
            return Ok(Authenticated {
                claims: token.claims.clone(),
                authorization: token.authorization.clone(),
            });
        }
        // The key that signed the token was withdrawn: get a new one.
        gateway.exchanges.forget(&key);
    }
    let work = {
        let http = gateway.idp_http.clone();
        let strategy = strategy.clone();
        let client_id = client_id.clone();
        let leeway = gateway.config.leeway.as_secs();
        let margin = gateway.config.token_expiry_margin;
        move || exchange_and_verify(http, strategy, client_id, client_secret, leeway, margin)
    };
    match gateway.exchanges.exchange(key, &client_id, work).await {
        Ok(token) => Ok(Authenticated {
            claims: token.claims.clone(),
            authorization: token.authorization.clone(),
        }),
        Err(ExchangeFailure::Rejected(reason)) => Err(invalid(format!(
            "the IdP refused the client credentials: {reason}"
        ))),
        Err(ExchangeFailure::RateLimited {
            after_rejection: true,
            ..
        }) => Err(invalid(
            "too many rejected token exchanges for this client id lately; the IdP was not asked",
        )),
        Err(ExchangeFailure::RateLimited {
            after_rejection: false,
            retry_after,
        }) => Err(RequestError::new(
            RequestErrorKind::IdpUnavailable {
                retry_after: retry_after.max(Duration::from_secs(1)),
            },
            "too many failed token exchanges for this client id lately; the IdP was not asked",
        )),
        Err(ExchangeFailure::Unavailable {
            reason,
            retry_after,
        }) => Err(RequestError::new(
            RequestErrorKind::IdpUnavailable {
                retry_after: retry_after.unwrap_or(gateway.config.idp_retry_after),
            },
            reason,
        )),
    }
}

/// One exchange at the IdP, in its own task: the secret lives until the request is sent.
async fn exchange_and_verify(
    http: reqwest::Client,
    strategy: Arc<StrategyEntry>,
    client_id: String,
    client_secret: SecretString,
    leeway: u64,
    margin: Duration,
) -> Result<ExchangedToken, ExchangeFailure> {
    let unavailable = |reason: String| ExchangeFailure::Unavailable {
        reason,
        retry_after: None,
    };
    let token_endpoint = strategy
        .idp
        .token_endpoint()
        .await
        .map_err(|error: IdpError| unavailable(format!("discovery failed: {error}")))?;
    let issued = exchange_client_credentials(
        &http,
        ClientCredentialsRequest {
            token_endpoint: &token_endpoint,
            client_id: &client_id,
            client_secret: &client_secret,
            audience: &strategy.audience,
        },
    )
    .await;
    drop(client_secret);
    let issued = match issued {
        Ok(issued) => issued,
        Err(ExchangeError::Rejected {
            status, message, ..
        }) => {
            return Err(ExchangeFailure::Rejected(format!("{status}: {message}")));
        }
        Err(ExchangeError::Unavailable {
            reason,
            retry_after,
        }) => {
            return Err(ExchangeFailure::Unavailable {
                reason,
                retry_after,
            })
        }
        Err(ExchangeError::InvalidResponse { reason, body }) => {
            tracing::warn!(%client_id, %reason, %body, "the token endpoint answered something unexpected");
            return Err(unavailable(reason));
        }
    };
    let verified = strategy
        .idp
        .jwks
        .validate(
            issued.access_token.expose(),
            Expectations {
                audience: &strategy.audience,
                leeway_secs: leeway,
            },
        )
        .await
        .map_err(|error| {
            // The IdP issued a token that does not validate against the strategy: a
            // misconfiguration (issuer or audience) rather than bad credentials.
            if !error.is_unavailable() {
                tracing::error!(%client_id, strategy_id = %strategy.id, %error, "a token issued by the IdP does not validate; check the strategy's issuer and audience");
            }
            unavailable(format!("the issued token does not validate: {error}"))
        })?;
    let now = jwks::unix_now();
    let lifetime_by_claim = Duration::from_secs(verified.expires_at.saturating_sub(now));
    let lifetime = match issued.expires_in {
        Some(expires_in) => lifetime_by_claim.min(Duration::from_secs(expires_in)),
        None => lifetime_by_claim,
    };
    let mut authorization =
        HeaderValue::from_str(&format!("Bearer {}", issued.access_token.expose()))
            .map_err(|_| unavailable("the issued token is not a valid header value".to_owned()))?;
    authorization.set_sensitive(true);
    Ok(ExchangedToken {
        client_id,
        claims: Arc::new(verified.claims),
        kid: verified.kid,
        authorization,
        reuse_until: Instant::now() + lifetime.saturating_sub(margin),
    })
}

/// The authorization phase: the application named by the token, holding an approved
/// registration for the API.
pub(crate) fn authorize(
    strategy: &StrategyEntry,
    api: &ApiEntry,
    authenticated: &Authenticated,
) -> Result<Arc<AppEntry>, RequestError> {
    let client_id =
        portico_idp::jwks::first_string_claim(&authenticated.claims, &strategy.credential_claim)
            .ok_or_else(|| invalid("the token carries none of the strategy's credential claims"))?;
    let application = strategy.applications.get(client_id).ok_or_else(|| {
        invalid(format!(
            "the token's client id {client_id:?} is no application"
        ))
    })?;
    if !application.approved_apis.contains(&api.id) {
        return Err(RequestError::new(
            RequestErrorKind::NotRegistered,
            format!(
                "application {} has no approved registration for API {}",
                application.id, api.id
            ),
        ));
    }
    Ok(application.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_bytes(value).unwrap(),
        );
        headers
    }

    fn basic(value: &[u8]) -> (String, String) {
        match parse_authorization(&headers(value)).unwrap().unwrap() {
            Credentials::Basic {
                client_id,
                client_secret,
            } => (client_id, client_secret.expose().to_owned()),
            Credentials::Bearer(_) => panic!("not basic"),
        }
    }

    #[test]
    fn basic_credentials_in_both_forms() {
        assert_eq!(
            basic(b"Basic abc:def:ghi"),
            ("abc".into(), "def:ghi".into())
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode("abc:s3cr/et+");
        assert_eq!(
            basic(format!("basic {encoded}").as_bytes()),
            ("abc".into(), "s3cr/et+".into())
        );
    }

    #[test]
    fn malformed_authorization_is_refused() {
        for value in [
            &b"Basic"[..],
            b"Basic !!!",
            b"Basic Og==",
            b"Basic :secret",
            b"Basic id:",
            b"Basic bm9jb2xvbg==",
            b"Bearer",
            b"Bearer garbage",
            b"Digest abc",
            b"Basic \xff\xfe",
        ] {
            let error = match parse_authorization(&headers(value)) {
                Err(error) => error,
                Ok(_) => panic!("{:?} was accepted", String::from_utf8_lossy(value)),
            };
            assert_eq!(error.kind, RequestErrorKind::InvalidCredentials);
        }
        assert!(parse_authorization(&HeaderMap::new()).unwrap().is_none());
        assert!(matches!(
            parse_authorization(&headers(b"Bearer a.b.c")).unwrap(),
            Some(Credentials::Bearer("a.b.c"))
        ));
    }
}
