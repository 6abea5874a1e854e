//! The gateway's caches: verified bearer tokens, and client-credentials exchanges with their
//! single-flight, their memory of rejections and their rate limit.
//!
//! Every key is a SHA-256 digest ([`CacheKey`]) of the strategy's issuer and audience and of
//! the token or of `client_id:client_secret`: no cache ever holds a client secret, and a
//! token verified for one audience is never taken as verified for another.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::future::{BoxFuture, FutureExt, Shared};
use http::HeaderValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub(crate) type CacheKey = [u8; 32];

/// SHA-256 over the parts, each followed by a zero byte.
pub(crate) fn cache_key(salt: &[u8], parts: &[&[u8]]) -> CacheKey {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    for part in parts {
        hasher.update(part);
        hasher.update([0u8]);
    }
    hasher.finalize().into()
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps hold plain data that stays consistent even if a holder panicked.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A hash map that never grows past its capacity: when full, dead entries are dropped
/// first, then arbitrary ones until a tenth of the room is free again.
pub(crate) struct BoundedMap<V> {
    capacity: usize,
    map: Mutex<HashMap<CacheKey, V>>,
}

impl<V: Clone> BoundedMap<V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &CacheKey) -> Option<V> {
        lock(&self.map).get(key).cloned()
    }

    pub fn insert(&self, key: CacheKey, value: V, is_live: impl Fn(&V) -> bool) {
        let mut map = lock(&self.map);
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.retain(|_, value| is_live(value));
            let target = self.capacity - self.capacity / 10 - 1;
            if map.len() > target {
                let excess: Vec<CacheKey> = map.keys().take(map.len() - target).copied().collect();
                for key in excess {
                    map.remove(&key);
                }
            }
        }
        map.insert(key, value);
    }

    pub fn remove(&self, key: &CacheKey) {
        lock(&self.map).remove(key);
    }

    pub fn retain(&self, keep: impl Fn(&V) -> bool) {
        lock(&self.map).retain(|_, value| keep(value));
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        lock(&self.map).len()
    }
}

/// A token whose signature, issuer, audience and validity were checked, ready for reuse.
pub(crate) struct VerifiedToken {
    pub claims: Arc<Map<String, Value>>,
    pub kid: Option<String>,
    pub expires_at: u64,
    pub not_before: Option<u64>,
    /// `Bearer <token>`, for the upstream request.
    pub authorization: HeaderValue,
}

/// The access token obtained for a client id and secret.
pub(crate) struct ExchangedToken {
    pub client_id: String,
    pub claims: Arc<Map<String, Value>>,
    pub kid: Option<String>,
    /// `Bearer <token>`, for the upstream request.
    pub authorization: HeaderValue,
    /// Shortly before the token expires.
    pub reuse_until: Instant,
}

/// Why an exchange gave no token. Cloneable, as every waiter of a shared exchange gets it.
#[derive(Debug, Clone)]
pub(crate) enum ExchangeFailure {
    /// The IdP refused the credentials, now or within the remembered period.
    Rejected(String),
    /// Too many exchanges for this client id lately; the IdP was not asked.
    RateLimited {
        /// Whether the client id's last exchange was rejected: then the credentials are
        /// most likely guesses (401); otherwise the IdP was failing (503).
        after_rejection: bool,
        /// When the window admits another exchange.
        retry_after: Duration,
    },
    /// The IdP could not judge the credentials.
    Unavailable {
        reason: String,
        retry_after: Option<Duration>,
    },
}

#[derive(Default)]
struct ClientWindow {
    /// Start times of the exchanges within the window.
    starts: VecDeque<Instant>,
    /// Whether the last exchange that finished was a rejection.
    last_rejected: bool,
}

#[derive(Clone)]
struct Rejection {
    client_id: Arc<str>,
    until: Instant,
}

type Flight = Shared<BoxFuture<'static, Result<Arc<ExchangedToken>, ExchangeFailure>>>;

/// Settings of [`Exchanges`].
#[derive(Debug, Clone)]
pub(crate) struct ExchangeLimits {
    pub capacity: usize,
    pub rejected_ttl: Duration,
    pub per_client_limit: u32,
    pub per_client_window: Duration,
}

/// Client-credentials exchanges: cached tokens, exchanges in flight, remembered rejections
/// and the per-client-id rate limit.
pub(crate) struct Exchanges {
    limits: ExchangeLimits,
    ready: BoundedMap<Arc<ExchangedToken>>,
    rejected: BoundedMap<Rejection>,
    in_flight: Mutex<HashMap<CacheKey, Flight>>,
    /// Recent exchanges per client id.
    recent: Mutex<HashMap<String, ClientWindow>>,
    /// Bumped when a client's exchanges are dropped, so that an exchange already in flight
    /// does not put a token back that was obtained under the old state.
    generation: AtomicU64,
    exchanges_started: AtomicU64,
}

impl Exchanges {
    pub fn new(limits: ExchangeLimits) -> Self {
        Self {
            ready: BoundedMap::new(limits.capacity),
            rejected: BoundedMap::new(limits.capacity),
            limits,
            in_flight: Mutex::new(HashMap::new()),
            recent: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            exchanges_started: AtomicU64::new(0),
        }
    }

    /// How many exchanges were sent to an IdP since start.
    pub fn exchanges_started(&self) -> u64 {
        self.exchanges_started.load(Ordering::Relaxed)
    }

    /// The cached token for these credentials, while it may still be reused.
    pub fn cached(&self, key: &CacheKey) -> Option<Arc<ExchangedToken>> {
        let token = self.ready.get(key)?;
        if token.reuse_until > Instant::now() {
            Some(token)
        } else {
            self.ready.remove(key);
            None
        }
    }

    pub fn forget(&self, key: &CacheKey) {
        self.ready.remove(key);
    }

    /// A token for these credentials: joins an exchange already in flight for them, or
    /// starts one with `exchange` unless they were rejected lately or the client id is over
    /// its limit. The exchange runs in its own task, so a client that hangs up does not
    /// cancel it for the others waiting on it.
    pub async fn exchange<F>(
        self: &Arc<Self>,
        key: CacheKey,
        client_id: &str,
        exchange: impl FnOnce() -> F,
    ) -> Result<Arc<ExchangedToken>, ExchangeFailure>
    where
        F: Future<Output = Result<ExchangedToken, ExchangeFailure>> + Send + 'static,
    {
        if let Some(rejection) = self.rejected.get(&key) {
            if rejection.until > Instant::now() {
                return Err(ExchangeFailure::Rejected(
                    "the IdP rejected these credentials lately".to_owned(),
                ));
            }
            self.rejected.remove(&key);
        }
        let flight = {
            let mut in_flight = lock(&self.in_flight);
            if let Some(flight) = in_flight.get(&key) {
                flight.clone()
            } else {
                // A flight that just ended stored its outcome before leaving `in_flight`.
                if let Some(token) = self.cached(&key) {
                    return Ok(token);
                }
                if self
                    .rejected
                    .get(&key)
                    .is_some_and(|rejection| rejection.until > Instant::now())
                {
                    return Err(ExchangeFailure::Rejected(
                        "the IdP rejected these credentials lately".to_owned(),
                    ));
                }
                self.admit(client_id)?;
                self.exchanges_started.fetch_add(1, Ordering::Relaxed);
                let generation = self.generation.load(Ordering::SeqCst);
                let exchanges = self.clone();
                let client_id: Arc<str> = Arc::from(client_id);
                let work = exchange();
                let task = tokio::spawn(async move {
                    let result = work.await;
                    exchanges.complete(key, client_id, generation, result)
                });
                let cleanup = self.clone();
                let flight: Flight = async move {
                    task.await.unwrap_or_else(|_| {
                        // The task panicked before `complete` could clear its entry.
                        lock(&cleanup.in_flight).remove(&key);
                        Err(ExchangeFailure::Unavailable {
                            reason: "the exchange task failed".to_owned(),
                            retry_after: None,
                        })
                    })
                }
                .boxed()
                .shared();
                in_flight.insert(key, flight.clone());
                flight
            }
        };
        flight.await
    }

    fn complete(
        &self,
        key: CacheKey,
        client_id: Arc<str>,
        generation: u64,
        result: Result<ExchangedToken, ExchangeFailure>,
    ) -> Result<Arc<ExchangedToken>, ExchangeFailure> {
        let rejected = matches!(result, Err(ExchangeFailure::Rejected(_)));
        if let Some(window) = lock(&self.recent).get_mut(&*client_id) {
            window.last_rejected = rejected;
        }
        // The generation is checked, the outcome stored and the flight removed under the
        // `in_flight` lock, which `invalidate_client` also holds: an invalidation cannot fall
        // between the check and the insert and so let a token of an old secret back in.
        let mut in_flight = lock(&self.in_flight);
        let current = self.generation.load(Ordering::SeqCst) == generation;
        let result = result.map(Arc::new);
        match &result {
            Ok(token) if current && token.reuse_until > Instant::now() => {
                self.ready.insert(key, token.clone(), |token| {
                    token.reuse_until > Instant::now()
                });
            }
            Err(ExchangeFailure::Rejected(_)) if current => {
                let rejection = Rejection {
                    client_id,
                    until: Instant::now() + self.limits.rejected_ttl,
                };
                self.rejected
                    .insert(key, rejection, |rejection| rejection.until > Instant::now());
            }
            _ => {}
        }
        in_flight.remove(&key);
        result
    }

    /// Counts an exchange against the client id's window, or refuses it.
    fn admit(&self, client_id: &str) -> Result<(), ExchangeFailure> {
        let now = Instant::now();
        let window = self.limits.per_client_window;
        let mut recent = lock(&self.recent);
        if recent.len() > self.limits.capacity {
            recent.retain(|_, client| {
                client
                    .starts
                    .back()
                    .is_some_and(|at| now.duration_since(*at) < window)
            });
        }
        let client = recent.entry(client_id.to_owned()).or_default();
        while client
            .starts
            .front()
            .is_some_and(|at| now.duration_since(*at) >= window)
        {
            client.starts.pop_front();
        }
        if client.starts.len() >= self.limits.per_client_limit as usize {
            let oldest = client.starts.front().copied().unwrap_or(now);
            return Err(ExchangeFailure::RateLimited {
                after_rejection: client.last_rejected,
                retry_after: window.saturating_sub(now.duration_since(oldest)),
            });
        }
        client.starts.push_back(now);
        Ok(())
    }

    /// Drops every cached token and remembered rejection of a client id, and its rate-limit
    /// window: its application was deleted or changed (a regenerated secret).
    pub fn invalidate_client(&self, client_id: &str) {
        {
            // See `complete`: held so that no exchange stores its outcome in between.
            let _in_flight = lock(&self.in_flight);
            self.generation.fetch_add(1, Ordering::SeqCst);
            self.ready.retain(|token| token.client_id != client_id);
            self.rejected
                .retain(|rejection| &*rejection.client_id != client_id);
        }
        lock(&self.recent).remove(client_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn limits() -> ExchangeLimits {
        ExchangeLimits {
            capacity: 100,
            rejected_ttl: Duration::from_secs(30),
            per_client_limit: 3,
            per_client_window: Duration::from_secs(10),
        }
    }

    fn token(client_id: &str) -> ExchangedToken {
        ExchangedToken {
            client_id: client_id.to_owned(),
            claims: Arc::new(Map::new()),
            kid: None,
            authorization: HeaderValue::from_static("Bearer x"),
            reuse_until: Instant::now() + Duration::from_secs(60),
        }
    }

    #[test]
    fn a_bounded_map_stays_bounded() {
        let map = BoundedMap::new(10);
        for i in 0..100u8 {
            map.insert([i; 32], i, |_| true);
            assert!(map.len() <= 10);
        }
        assert_eq!(map.get(&[99; 32]), Some(99));
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_exchange() {
        let exchanges = Arc::new(Exchanges::new(limits()));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut waiters = Vec::new();
        for _ in 0..20 {
            let exchanges = exchanges.clone();
            let calls = calls.clone();
            waiters.push(tokio::spawn(async move {
                exchanges
                    .exchange([1; 32], "client", || async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(token("client"))
                    })
                    .await
                    .map(|_| ())
            }));
        }
        for waiter in waiters {
            waiter.await.unwrap().unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(exchanges.cached(&[1; 32]).is_some());
    }

    #[tokio::test]
    async fn rejections_are_remembered_and_exchanges_limited() {
        let exchanges = Arc::new(Exchanges::new(limits()));
        let rejected = || async { Err(ExchangeFailure::Rejected("no".into())) };
        for _ in 0..5 {
            assert!(matches!(
                exchanges.exchange([2; 32], "client", rejected).await,
                Err(ExchangeFailure::Rejected(_))
            ));
        }
        assert_eq!(exchanges.exchanges_started(), 1);
        // Other wrong secrets of the same client id: two more exchanges, then the limit.
        for i in 3..10u8 {
            let _ = exchanges.exchange([i; 32], "client", rejected).await;
        }
        assert_eq!(exchanges.exchanges_started(), 3);
        assert!(matches!(
            exchanges.exchange([42; 32], "client", rejected).await,
            Err(ExchangeFailure::RateLimited {
                after_rejection: true,
                ..
            })
        ));
        // An unavailable IdP is not remembered as a rejection.
        let unavailable = || async {
            Err(ExchangeFailure::Unavailable {
                reason: "down".into(),
                retry_after: None,
            })
        };
        for _ in 0..3 {
            let _ = exchanges.exchange([50; 32], "other", unavailable).await;
        }
        assert!(exchanges.rejected.get(&[50; 32]).is_none());
        // Over the limit after failures of the IdP, not after rejections.
        assert!(matches!(
            exchanges.exchange([50; 32], "other", unavailable).await,
            Err(ExchangeFailure::RateLimited {
                after_rejection: false,
                ..
            })
        ));
        // Invalidation forgets the rejections and the window.
        exchanges.invalidate_client("client");
        assert!(exchanges.rejected.get(&[2; 32]).is_none());
        assert!(exchanges.admit("client").is_ok());
    }
}
