//! An issuer's JSON Web Key Set, cached, and the validation of the access tokens it signs.
//!
//! The gateway keeps one [`JwksCache`] per issuer. Keys are parsed into verifier keys once,
//! when the set is fetched, not on every token. The set is fetched from the `jwks_uri` of the
//! issuer's discovery document on first use (or ahead of it with [`JwksCache::refresh`]),
//! again in the background once it is older than [`JwksConfig::max_age`], and at most once
//! per [`JwksConfig::unknown_kid_refetch_interval`] when a token names a key id the set does
//! not hold, so that a stream of forged `kid`s cannot turn the gateway against the IdP. When a
//! fetch fails the last good set is kept.
//!
//! Only asymmetric algorithms are accepted ([`ALLOWED_ALGORITHMS`]): never `none`, never HMAC,
//! so a token "signed" with the public key as an HMAC secret is refused before any key is used.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use portico_core::ports::IdpError;
use portico_core::Issuer;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::discovery::Discovery;

/// The signature algorithms a token may use: RSA PKCS#1, RSA-PSS and ECDSA.
pub const ALLOWED_ALGORITHMS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// How often a key set is fetched again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksConfig {
    /// The shortest time between two fetches caused by a token whose `kid` is not in the set.
    pub unknown_kid_refetch_interval: Duration,
    /// A set older than this is fetched again in the background on its next use.
    pub max_age: Duration,
    /// After a failed fetch, the next attempt (other than for an unknown `kid`) waits this long.
    pub failure_backoff: Duration,
}

impl Default for JwksConfig {
    fn default() -> Self {
        Self {
            unknown_kid_refetch_interval: Duration::from_secs(10),
            max_age: Duration::from_secs(600),
            failure_backoff: Duration::from_secs(1),
        }
    }
}

/// What a token must satisfy besides its signature and issuer.
#[derive(Debug, Clone, Copy)]
pub struct Expectations<'a> {
    /// A value the `aud` claim must contain.
    pub audience: &'a str,
    /// Seconds of clock skew allowed on `exp` and `nbf`.
    pub leeway_secs: u64,
}

/// A token whose signature, issuer, audience and validity period were checked.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    /// Every claim of the payload.
    pub claims: Map<String, Value>,
    /// The key that verified it, so that a cache can forget the token when the key goes.
    pub kid: Option<String>,
    /// `exp`, in seconds since the epoch.
    pub expires_at: u64,
    /// `nbf`, when present.
    pub not_before: Option<u64>,
}

/// The first of `names` present in `claims` as a non-empty string: how a strategy's
/// `credential_claim` list names the client id.
pub fn first_string_claim<'a>(claims: &'a Map<String, Value>, names: &[String]) -> Option<&'a str> {
    names.iter().find_map(|name| match claims.get(name) {
        Some(Value::String(value)) if !value.is_empty() => Some(value.as_str()),
        _ => None,
    })
}

/// Why a token was refused. Each case is for the log; a client is told only "invalid token".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token uses the algorithm {0:?}, which is not allowed")]
    AlgorithmNotAllowed(String),
    #[error("the token's key id {0:?} is not in the issuer's key set")]
    UnknownKey(Option<String>),
    #[error("the key {0:?} is not meant for this token's algorithm")]
    KeyAlgorithmMismatch(Option<String>),
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued by {found:?}, not by the expected issuer")]
    WrongIssuer { found: Option<String> },
    #[error("the token's audience does not include the expected audience")]
    WrongAudience,
    #[error("the token lacks the claim {0:?}")]
    MissingClaim(&'static str),
    /// No key set could be fetched, so no token can be judged; not the client's fault.
    #[error("the issuer's key set is unavailable: {0}")]
    KeysUnavailable(String),
}

impl TokenError {
    /// Whether the failure lies with the IdP rather than with the token.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, TokenError::KeysUnavailable(_))
    }
}

/// One issuer's key set, and the validation of tokens against it.
pub struct JwksCache {
    http: reqwest::Client,
    discovery: Arc<Discovery>,
    config: JwksConfig,
    /// Readers never wait on a fetch: they clone the current set out of the lock.
    keys: RwLock<Arc<KeySet>>,
    /// Held for the duration of a fetch, so that concurrent misses share one.
    fetch: tokio::sync::Mutex<FetchState>,
}

impl fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksCache")
            .field("issuer", self.discovery.issuer())
            .field("config", &self.config)
            .field("key_ids", &self.current().key_ids())
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct FetchState {
    last_unknown_kid_fetch: Option<Instant>,
    last_failure: Option<Instant>,
}

/// The verifier keys of one fetch.
#[derive(Default)]
struct KeySet {
    by_kid: HashMap<String, Arc<VerificationKey>>,
    /// All keys in the order published, for tokens without a `kid`.
    all: Vec<Arc<VerificationKey>>,
    fetched_at: Option<Instant>,
}

impl KeySet {
    fn key_ids(&self) -> Vec<&str> {
        self.by_kid.keys().map(String::as_str).collect()
    }

    /// The key for `kid`; without a `kid`, the only key of a one-key set.
    fn find(&self, kid: Option<&str>) -> Option<Arc<VerificationKey>> {
        match kid {
            Some(kid) => self.by_kid.get(kid).cloned(),
            None if self.all.len() == 1 => self.all.first().cloned(),
            None => None,
        }
    }
}

struct VerificationKey {
    kid: Option<String>,
    key: DecodingKey,
    /// The JWK's own `alg`, when it names one: the token must then use exactly that.
    algorithm: Option<Algorithm>,
}

impl JwksCache {
    pub fn new(http: reqwest::Client, discovery: Arc<Discovery>, config: JwksConfig) -> Self {
        Self {
            http,
            discovery,
            config,
            keys: RwLock::new(Arc::new(KeySet::default())),
            fetch: tokio::sync::Mutex::new(FetchState::default()),
        }
    }

    pub fn issuer(&self) -> &Issuer {
        self.discovery.issuer()
    }

    /// Whether the current set holds a key with this id (or, for `None`, a single key).
    /// A cache of verified tokens asks this on every hit, so that a key withdrawn by the IdP
    /// takes its tokens with it.
    pub fn has_key(&self, kid: Option<&str>) -> bool {
        self.current().find(kid).is_some()
    }

    /// Fetches the set now, keeping the old one when that fails. The gateway calls this when it
    /// first sees an issuer, so that the first token does not wait on the IdP.
    pub async fn refresh(&self) -> Result<(), IdpError> {
        let mut state = self.fetch.lock().await;
        self.fetch_locked(&mut state).await
    }

    /// Checks the token's algorithm, signature, issuer, audience, `exp` and `nbf` (with
    /// leeway), fetching the key set when it has none yet or the token names an unknown key.
    pub async fn validate(
        self: &Arc<Self>,
        token: &str,
        expected: Expectations<'_>,
    ) -> Result<VerifiedToken, TokenError> {
        let header = parse_header(token)?;
        let algorithm = allowed_algorithm(&header.alg)?;
        let key = self.key_for(header.kid.as_deref()).await?;
        if key.algorithm.is_some_and(|required| required != algorithm) {
            return Err(TokenError::KeyAlgorithmMismatch(key.kid.clone()));
        }

        let mut validation = Validation::new(algorithm);
        validation.leeway = expected.leeway_secs;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_audience(&[expected.audience]);
        // Without "aud" among the required claims, jsonwebtoken accepts a token with no
        // audience at all.
        validation.set_required_spec_claims(&["exp", "aud"]);
        // The issuer is compared below, with the trailing slash normalized.
        validation.iss = None;

        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|error| map_decode_error(&error))?;
        let claims = data.claims;

        match claims.get("iss") {
            Some(Value::String(iss)) if self.issuer().matches(iss) => {}
            Some(Value::String(iss)) => {
                return Err(TokenError::WrongIssuer {
                    found: Some(iss.clone()),
                })
            }
            _ => return Err(TokenError::WrongIssuer { found: None }),
        }
        let expires_at = claims
            .get("exp")
            .and_then(numeric_date)
            .ok_or(TokenError::MissingClaim("exp"))?;
        let not_before = claims.get("nbf").and_then(numeric_date);
        Ok(VerifiedToken {
            claims,
            kid: header.kid,
            expires_at,
            not_before,
        })
    }

    fn current(&self) -> Arc<KeySet> {
        self.keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    async fn key_for(
        self: &Arc<Self>,
        kid: Option<&str>,
    ) -> Result<Arc<VerificationKey>, TokenError> {
        let keys = self.current();
        match keys.fetched_at {
            None => return self.initial_fetch_then_find(kid).await,
            Some(fetched_at) if fetched_at.elapsed() > self.config.max_age => {
                self.refresh_in_background();
            }
            Some(_) => {}
        }
        if let Some(key) = keys.find(kid) {
            return Ok(key);
        }
        self.refetch_for_unknown_kid(kid).await
    }

    async fn initial_fetch_then_find(
        &self,
        kid: Option<&str>,
    ) -> Result<Arc<VerificationKey>, TokenError> {
        let mut state = self.fetch.lock().await;
        // Someone else may have fetched while this task waited for the lock.
        if self.current().fetched_at.is_none() {
            // While the IdP is failing, requests are not queued behind one fetch each.
            if state
                .last_failure
                .is_some_and(|at| at.elapsed() < self.config.failure_backoff)
            {
                return Err(TokenError::KeysUnavailable(
                    "the last attempt to fetch the key set failed moments ago".to_owned(),
                ));
            }
            if let Err(error) = self.fetch_locked(&mut state).await {
                return Err(TokenError::KeysUnavailable(error.to_string()));
            }
        }
        self.current()
            .find(kid)
            .ok_or_else(|| TokenError::UnknownKey(kid.map(str::to_owned)))
    }

    async fn refetch_for_unknown_kid(
        &self,
        kid: Option<&str>,
    ) -> Result<Arc<VerificationKey>, TokenError> {
        let unknown = || TokenError::UnknownKey(kid.map(str::to_owned));
        let mut state = self.fetch.lock().await;
        // A fetch that finished while this task waited may have brought the key.
        if let Some(key) = self.current().find(kid) {
            return Ok(key);
        }
        if state
            .last_unknown_kid_fetch
            .is_some_and(|at| at.elapsed() < self.config.unknown_kid_refetch_interval)
        {
            return Err(unknown());
        }
        state.last_unknown_kid_fetch = Some(Instant::now());
        let fetched = self.fetch_locked(&mut state).await;
        match self.current().find(kid) {
            Some(key) => Ok(key),
            // The key may well exist: the IdP could not be asked, so this is no verdict.
            None => match fetched {
                Err(error) => {
                    tracing::warn!(issuer = %self.issuer(), %error, "could not refetch the key set; keeping the last good one");
                    Err(TokenError::KeysUnavailable(error.to_string()))
                }
                Ok(()) => Err(unknown()),
            },
        }
    }

    fn refresh_in_background(self: &Arc<Self>) {
        let cache = self.clone();
        tokio::spawn(async move {
            // Whoever holds the lock is already fetching.
            let Ok(mut state) = cache.fetch.try_lock() else {
                return;
            };
            let stale = cache
                .current()
                .fetched_at
                .is_none_or(|at| at.elapsed() > cache.config.max_age);
            let backing_off = state
                .last_failure
                .is_some_and(|at| at.elapsed() < cache.config.failure_backoff);
            if stale && !backing_off {
                if let Err(error) = cache.fetch_locked(&mut state).await {
                    tracing::warn!(issuer = %cache.issuer(), %error, "could not refresh the key set; keeping the last good one");
                }
            }
        });
    }

    /// Fetches and installs a new set; the caller holds the fetch lock.
    async fn fetch_locked(&self, state: &mut FetchState) -> Result<(), IdpError> {
        match self.fetch_key_set().await {
            Ok(key_set) => {
                tracing::debug!(issuer = %self.issuer(), keys = key_set.all.len(), "fetched the key set");
                *self
                    .keys
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(key_set);
                state.last_failure = None;
                Ok(())
            }
            Err(error) => {
                state.last_failure = Some(Instant::now());
                Err(error)
            }
        }
    }

    async fn fetch_key_set(&self) -> Result<KeySet, IdpError> {
        let document = self.discovery.document().await?;
        let response = self
            .http
            .get(&document.jwks_uri)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|error| {
                IdpError::Unavailable(format!(
                    "fetching the key set at {}: {}",
                    document.jwks_uri,
                    crate::retry::describe(&error)
                ))
            })?;
        let status = response.status();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(IdpError::Unavailable(format!(
                "the key set at {} answered {status}",
                document.jwks_uri
            )));
        }
        if !status.is_success() {
            return Err(IdpError::Rejected {
                status: status.as_u16(),
                code: None,
                message: format!("the key set at {} answered {status}", document.jwks_uri),
            });
        }
        let body = response.bytes().await.map_err(|error| {
            IdpError::Unavailable(format!(
                "reading the key set at {}: {}",
                document.jwks_uri,
                crate::retry::describe(&error)
            ))
        })?;
        parse_key_set(&body).map_err(|reason| {
            IdpError::InvalidResponse(format!(
                "the key set at {} is not a JWKS: {reason}",
                document.jwks_uri
            ))
        })
    }
}

fn parse_key_set(body: &[u8]) -> Result<KeySet, String> {
    #[derive(Deserialize)]
    struct RawSet {
        keys: Vec<Value>,
    }
    let raw: RawSet = serde_json::from_slice(body).map_err(|error| error.to_string())?;
    let mut key_set = KeySet {
        fetched_at: Some(Instant::now()),
        ..KeySet::default()
    };
    // Keys that cannot be used (symmetric ones, encryption keys, unknown types) are skipped
    // one by one, so that one odd key does not take the whole set down.
    for raw_key in raw.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(raw_key) else {
            continue;
        };
        if matches!(&jwk.common.public_key_use, Some(usage) if *usage != PublicKeyUse::Signature) {
            continue;
        }
        if !matches!(
            jwk.algorithm,
            AlgorithmParameters::RSA(_) | AlgorithmParameters::EllipticCurve(_)
        ) {
            continue;
        }
        let algorithm = match jwk.common.key_algorithm {
            None => None,
            Some(named) => match named
                .to_string()
                .parse::<Algorithm>()
                .ok()
                .filter(|algorithm| ALLOWED_ALGORITHMS.contains(algorithm))
            {
                Some(algorithm) => Some(algorithm),
                // A key meant for another algorithm (or for encryption) is no use here.
                None => continue,
            },
        };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        let kid = jwk.common.key_id.clone();
        let key = Arc::new(VerificationKey {
            kid: kid.clone(),
            key,
            algorithm,
        });
        if let Some(kid) = kid {
            key_set.by_kid.insert(kid, key.clone());
        }
        key_set.all.push(key);
    }
    // A set with nothing usable would replace the last good one and refuse every token; it
    // is a failed fetch instead, and the last good set stays.
    if key_set.all.is_empty() {
        return Err("it holds no usable signing key".to_owned());
    }
    Ok(key_set)
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

fn parse_header(token: &str) -> Result<RawHeader, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

fn allowed_algorithm(name: &str) -> Result<Algorithm, TokenError> {
    name.parse::<Algorithm>()
        .ok()
        .filter(|algorithm| ALLOWED_ALGORITHMS.contains(algorithm))
        .ok_or_else(|| TokenError::AlgorithmNotAllowed(name.to_owned()))
}

fn map_decode_error(error: &jsonwebtoken::errors::Error) -> TokenError {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::ExpiredSignature => TokenError::Expired,
        ErrorKind::ImmatureSignature => TokenError::NotYetValid,
        ErrorKind::InvalidAudience => TokenError::WrongAudience,
        ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => TokenError::WrongAudience,
        ErrorKind::MissingRequiredClaim(_) => TokenError::MissingClaim("exp"),
        ErrorKind::InvalidSignature => TokenError::BadSignature,
        ErrorKind::InvalidAlgorithm => TokenError::KeyAlgorithmMismatch(None),
        _ => TokenError::Malformed,
    }
}

fn numeric_date(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number
            .as_u64()
            .or_else(|| number.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        _ => None,
    }
}

/// Seconds since the epoch, the clock `exp` and `nbf` are read against.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// Whether a token verified earlier is still inside its validity period, with `leeway_secs`
/// of skew: what a cache of verified tokens checks on every hit.
pub fn still_valid(expires_at: u64, not_before: Option<u64>, leeway_secs: u64, now: u64) -> bool {
    expires_at.saturating_add(leeway_secs) >= now
        && not_before.is_none_or(|nbf| nbf <= now.saturating_add(leeway_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_asymmetric_algorithms_are_allowed() {
        assert!(allowed_algorithm("RS256").is_ok());
        assert!(allowed_algorithm("ES384").is_ok());
        assert!(allowed_algorithm("PS512").is_ok());
        for refused in ["none", "HS256", "HS384", "HS512", "EdDSA", "", "rs256"] {
            assert_eq!(
                allowed_algorithm(refused),
                Err(TokenError::AlgorithmNotAllowed(refused.to_owned()))
            );
        }
    }

    #[test]
    fn a_token_needs_three_parts_and_a_json_header() {
        assert!(parse_header("garbage").is_err());
        assert!(parse_header("a.b").is_err());
        assert!(parse_header("a.b.c.d").is_err());
        assert!(parse_header("!!!.b.c").is_err());
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"alg":"none","typ":"JWT"}"#);
        let parsed = parse_header(&format!("{header}.e30.")).unwrap();
        assert_eq!(parsed.alg, "none");
        assert_eq!(parsed.kid, None);
    }

    #[test]
    fn symmetric_and_encryption_keys_are_skipped() {
        let set = parse_key_set(
            br#"{"keys":[
                {"kty":"oct","k":"c2VjcmV0","kid":"hmac"},
                {"kty":"RSA","use":"enc","kid":"enc","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"},
                {"kty":"RSA","use":"sig","alg":"RS256","kid":"good","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"},
                {"kty":"weird"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(set.key_ids(), vec!["good"]);
        assert!(
            set.find(None).is_some(),
            "a one-key set serves tokens without kid"
        );
        assert!(set.find(Some("hmac")).is_none());
    }

    #[test]
    fn a_set_with_no_usable_key_is_a_failed_fetch() {
        assert!(parse_key_set(br#"{"keys":[]}"#).is_err());
        assert!(parse_key_set(br#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#).is_err());
    }

    #[test]
    fn validity_is_rechecked_with_leeway() {
        assert!(still_valid(1_000, None, 60, 1_050));
        assert!(!still_valid(1_000, None, 60, 1_061));
        assert!(still_valid(2_000, Some(1_100), 60, 1_050));
        assert!(!still_valid(2_000, Some(1_200), 60, 1_050));
    }
}
