//! When and how long to wait before asking an identity provider again.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use portico_core::ports::IdpError;
use rand::Rng;
use reqwest::{RequestBuilder, Response, StatusCode};

/// The retry budgets of IdP calls. Configurable so that tests can run with millisecond waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Extra attempts after a 5xx answer, a timeout or a dropped connection, for calls that
    /// are safe to repeat (reads, deletes, updates, token requests).
    pub retries: u32,
    /// The wait before the first retry; it doubles for each further one.
    pub initial_backoff: Duration,
    /// The longest single backoff wait.
    pub max_backoff: Duration,
    /// The longest single wait on a 429, whatever `Retry-After` asks for.
    pub max_rate_limit_wait: Duration,
    /// How long one call may spend waiting on 429s in total before it gives up.
    pub rate_limit_budget: Duration,
    /// The wait on a 429 that names no time in `Retry-After` or `x-ratelimit-reset`.
    pub default_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
            max_rate_limit_wait: Duration::from_secs(10),
            rate_limit_budget: Duration::from_secs(30),
            default_rate_limit_wait: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The same shape as the default with waits of a few milliseconds, for tests.
    pub fn fast() -> Self {
        Self {
            retries: 3,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            max_rate_limit_wait: Duration::from_secs(2),
            rate_limit_budget: Duration::from_secs(5),
            default_rate_limit_wait: Duration::from_millis(10),
        }
    }

    fn backoff(&self, retry: u32) -> Duration {
        let base = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_backoff);
        // A little jitter keeps many Portico instances from retrying in lockstep.
        let jitter = rand::thread_rng().gen_range(0.0..0.25);
        base.mul_f64(1.0 + jitter)
    }
}

/// Whether a request may be sent again after a failure that leaves its effect unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Reads, deletes, updates: sending twice does no harm.
    Safe,
    /// Creations and secret rotations: a second send could make a second client or
    /// throw away the secret the first one produced.
    Once,
}

/// At most this many 429s are waited out in one call, whatever the budget, so that a
/// `Retry-After: 0` loop cannot spin.
const MAX_RATE_LIMITED_TRIES: u32 = 20;

/// Sends the request built by `build`, waiting out 429s within the policy's budget and, for
/// [`Repeat::Safe`] calls, retrying 5xx answers and transport failures with backoff.
///
/// Returns the last response, whatever its status (a 5xx only once retries are spent); a
/// transport failure becomes [`IdpError::Unavailable`].
pub(crate) async fn send(
    policy: &RetryPolicy,
    repeat: Repeat,
    what: &str,
    build: impl Fn() -> RequestBuilder,
) -> Result<Response, IdpError> {
    let mut rate_limit_waited = Duration::ZERO;
    let mut rate_limited_tries = 0;
    let mut retries = 0;
    loop {
        match build().send().await {
            Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                rate_limited_tries += 1;
                let wait = rate_limit_wait(&response, policy);
                if rate_limit_waited + wait > policy.rate_limit_budget
                    || rate_limited_tries > MAX_RATE_LIMITED_TRIES
                {
                    return Err(IdpError::Unavailable(format!(
                        "rate limited by Auth0 on {what}: still limited after waiting {:.1} s",
                        rate_limit_waited.as_secs_f64()
                    )));
                }
                tracing::info!(
                    what,
                    wait_ms = wait.as_millis() as u64,
                    "rate limited by the identity provider; waiting"
                );
                tokio::time::sleep(wait).await;
                rate_limit_waited += wait;
            }
            Ok(response)
                if response.status().is_server_error()
                    && repeat == Repeat::Safe
                    && retries < policy.retries =>
            {
                let wait = policy.backoff(retries);
                tracing::warn!(
                    what,
                    status = response.status().as_u16(),
                    wait_ms = wait.as_millis() as u64,
                    "identity provider failed; retrying"
                );
                retries += 1;
                tokio::time::sleep(wait).await;
            }
            Ok(response) => return Ok(response),
            // A refused connection never reached the server, so even a creation may go again.
            Err(error)
                if retries < policy.retries && (repeat == Repeat::Safe || error.is_connect()) =>
            {
                let wait = policy.backoff(retries);
                tracing::warn!(what, error = %describe(&error), wait_ms = wait.as_millis() as u64, "could not reach the identity provider; retrying");
                retries += 1;
                tokio::time::sleep(wait).await;
            }
            Err(error) => {
                return Err(IdpError::Unavailable(format!(
                    "{what} failed: {}",
                    describe(&error)
                )))
            }
        }
    }
}

/// `Retry-After` in seconds, else `x-ratelimit-reset` (epoch seconds) minus now, capped.
fn rate_limit_wait(response: &Response, policy: &RetryPolicy) -> Duration {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let wait = wait_from_headers(header("retry-after"), header("x-ratelimit-reset"), now)
        .unwrap_or(policy.default_rate_limit_wait);
    // Never less than a little, so that the budget is really spent; never more than the cap.
    wait.max(Duration::from_millis(100).min(policy.max_rate_limit_wait))
        .min(policy.max_rate_limit_wait)
}

fn wait_from_headers(
    retry_after: Option<&str>,
    ratelimit_reset: Option<&str>,
    now_epoch_seconds: f64,
) -> Option<Duration> {
    if let Some(seconds) = retry_after.and_then(|value| value.parse::<f64>().ok()) {
        if seconds.is_finite() && seconds >= 0.0 {
            return Some(Duration::from_secs_f64(seconds));
        }
    }
    let reset = ratelimit_reset.and_then(|value| value.parse::<f64>().ok())?;
    if !reset.is_finite() {
        return None;
    }
    Some(Duration::from_secs_f64(
        (reset - now_epoch_seconds).max(0.0),
    ))
}

/// A transport error in words, with its causes but without the URL's query string.
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_wins_over_the_reset_time() {
        assert_eq!(
            wait_from_headers(Some("3"), Some("1000"), 990.0),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            wait_from_headers(None, Some("1000"), 990.0),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            wait_from_headers(Some("soon"), Some("1000"), 1005.0),
            Some(Duration::ZERO)
        );
        assert_eq!(wait_from_headers(None, None, 1000.0), None);
        assert_eq!(wait_from_headers(Some("-1"), None, 1000.0), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let first = policy.backoff(0);
        assert!(first >= Duration::from_millis(200) && first < Duration::from_millis(250));
        let third = policy.backoff(2);
        assert!(third >= Duration::from_millis(800) && third < Duration::from_millis(1000));
        let late = policy.backoff(30);
        assert!(late >= Duration::from_secs(2) && late < Duration::from_millis(2500));
    }
}
