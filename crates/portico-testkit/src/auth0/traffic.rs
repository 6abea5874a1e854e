//! What happens to every request before it reaches a handler: recording, outages, injected
//! faults, and the Management API's token-bucket rate limit with its headers.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value};

use super::http_responses;
use super::Shared;

/// One request the emulator answered, for assertions in tests.
///
/// Secrets never appear: every `client_secret` value in the body is replaced by
/// `"[redacted]"`, and headers (which may carry Basic credentials or tokens) are not kept,
/// except for the name of the `Authorization` scheme.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// The HTTP method, upper case (`"POST"`).
    pub method: String,
    /// The path without the query string (`"/api/v2/clients"`).
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The status the emulator answered with.
    pub status: u16,
    /// The JSON body, or the form body turned into a JSON object of strings; `None` when empty.
    /// A body that is neither is kept as a JSON string saying how long it was.
    pub body: Option<Value>,
    /// The scheme of the `Authorization` header (`"Basic"`, `"Bearer"`), if one was sent.
    pub authorization_scheme: Option<String>,
}

/// Larger bodies than this are not something Portico sends; refusing them keeps memory bounded.
const MAXIMUM_BODY_BYTES: usize = 1024 * 1024;

/// Fault rules set by tests, and the Management API rate-limit bucket.
#[derive(Debug)]
pub(crate) struct TrafficControl {
    rules: Vec<FaultRule>,
    bucket: TokenBucket,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum FaultAction {
    Fail {
        status: u16,
    },
    RateLimit {
        retry_after_secs: u64,
    },
    Delay(Duration),
    /// Handles the request (its effects happen) and then answers with this status instead,
    /// as a proxy in front of a tenant does when the tenant's answer is lost.
    LoseResponse {
        status: u16,
    },
}

#[derive(Debug)]
struct FaultRule {
    method: String,
    path_prefix: String,
    remaining: usize,
    action: FaultAction,
}

impl TrafficControl {
    pub(crate) fn new(bucket_size: u32, refill_per_sec: u32) -> TrafficControl {
        TrafficControl {
            rules: Vec::new(),
            bucket: TokenBucket::new(bucket_size, refill_per_sec),
        }
    }

    pub(crate) fn add_rule(
        &mut self,
        method: &str,
        path_prefix: &str,
        count: usize,
        action: FaultAction,
    ) {
        if count == 0 {
            return;
        }
        self.rules.push(FaultRule {
            method: method.to_owned(),
            path_prefix: path_prefix.to_owned(),
            remaining: count,
            action,
        });
    }

    /// Consumes one use of the oldest matching delay rule.
    fn take_delay(&mut self, method: &str, path: &str) -> Option<Duration> {
        let action = self.take_rule(method, path, |action| {
            matches!(action, FaultAction::Delay(_))
        })?;
        match action {
            FaultAction::Delay(delay) => Some(delay),
            _ => None,
        }
    }

    /// Consumes one use of the oldest matching failure or rate-limit rule.
    fn take_failure(&mut self, method: &str, path: &str) -> Option<FaultAction> {
        self.take_rule(method, path, |action| {
            !matches!(action, FaultAction::Delay(_))
        })
    }

    fn take_rule(
        &mut self,
        method: &str,
        path: &str,
        wanted: impl Fn(&FaultAction) -> bool,
    ) -> Option<FaultAction> {
        let position = self.rules.iter().position(|rule| {
            wanted(&rule.action) && request_matches(&rule.method, &rule.path_prefix, method, path)
        })?;
        let rule = &mut self.rules[position];
        let action = rule.action;
        rule.remaining -= 1;
        if rule.remaining == 0 {
            self.rules.remove(position);
        }
        Some(action)
    }
}

/// A rule or query matches when the method is equal (ignoring case) or `"*"`, and the path
/// starts with the prefix.
pub(crate) fn request_matches(
    rule_method: &str,
    path_prefix: &str,
    method: &str,
    path: &str,
) -> bool {
    (rule_method == "*" || rule_method.eq_ignore_ascii_case(method))
        && path.starts_with(path_prefix)
}

/// Auth0's Management API limit: a bucket of `capacity` requests refilled continuously.
#[derive(Debug)]
struct TokenBucket {
    capacity: f64,
    refill_per_sec: f64,
    available: f64,
    last_refill: Instant,
}

/// The values of the `x-ratelimit-*` headers (and `Retry-After` when refused).
#[derive(Clone, Copy, Debug)]
struct RateLimitHeaders {
    limit: u64,
    remaining: u64,
    reset_epoch_secs: u64,
    retry_after_secs: Option<u64>,
}

impl TokenBucket {
    fn new(capacity: u32, refill_per_sec: u32) -> TokenBucket {
        TokenBucket {
            capacity: f64::from(capacity),
            refill_per_sec: f64::from(refill_per_sec),
            available: f64::from(capacity),
            last_refill: Instant::now(),
        }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let elapsed_secs = now.duration_since(self.last_refill).as_secs_f64();
        self.available = (self.available + elapsed_secs * self.refill_per_sec).min(self.capacity);
        self.last_refill = now;
    }

    /// Takes one request's worth from the bucket, or says how long to wait.
    fn try_take(&mut self) -> RateLimitHeaders {
        self.refill();
        if self.available >= 1.0 {
            self.available -= 1.0;
            self.headers(None)
        } else {
            let retry_after_secs = self.seconds_until(1.0);
            self.headers(Some(retry_after_secs))
        }
    }

    /// The current headers without spending anything (for injected failures).
    fn peek(&mut self) -> RateLimitHeaders {
        self.refill();
        self.headers(None)
    }

    fn headers(&self, retry_after_secs: Option<u64>) -> RateLimitHeaders {
        RateLimitHeaders {
            limit: self.capacity as u64,
            remaining: self.available.floor() as u64,
            reset_epoch_secs: epoch_secs_now() + self.seconds_until(self.capacity),
            retry_after_secs,
        }
    }

    /// Whole seconds (rounded up, at least 1 when anything is missing) until `level` tokens are
    /// available. A bucket that never refills reports a minute, since "never" has no header value.
    fn seconds_until(&self, level: f64) -> u64 {
        let missing = level - self.available;
        if missing <= 0.0 {
            return 0;
        }
        if self.refill_per_sec <= 0.0 {
            return 60;
        }
        ((missing / self.refill_per_sec).ceil() as u64).max(1)
    }
}

/// The rate-limit reset is compared by clients with their own clock, so it uses real time and
/// ignores the test clock offset.
fn epoch_secs_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

fn attach_rate_limit_headers(response: &mut Response, values: RateLimitHeaders) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(values.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(values.remaining));
    headers.insert(
        "x-ratelimit-reset",
        HeaderValue::from(values.reset_epoch_secs),
    );
    if let Some(retry_after_secs) = values.retry_after_secs {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    }
}

fn is_management_api(path: &str) -> bool {
    path == "/api/v2" || path.starts_with("/api/v2/")
}

/// The middleware wrapped around every route (fallback included).
pub(crate) async fn traffic_middleware(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let authorization_scheme = authorization_scheme(&parts.headers);

    let (response, recorded_body) = match axum::body::to_bytes(body, MAXIMUM_BODY_BYTES).await {
        Ok(bytes) => {
            let recorded_body = recordable_body(&parts.headers, &bytes);
            let request = Request::from_parts(parts, Body::from(bytes));
            (
                apply_traffic_rules(&shared, request, &method, &path, next).await,
                recorded_body,
            )
        }
        Err(_) => (
            http_responses::management_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload content length greater than maximum allowed: 1048576",
                None,
            ),
            None,
        ),
    };

    let status = response.status().as_u16();
    // Only the request line and status are logged: bodies and headers may carry secrets.
    tracing::info!(method = %method, path = %path, status, "auth0 emulator request");
    shared.lock_recorded_requests().push(RecordedRequest {
        method,
        path,
        query,
        status,
        body: recorded_body,
        authorization_scheme,
    });
    response
}

async fn apply_traffic_rules(
    shared: &Shared,
    request: Request,
    method: &str,
    path: &str,
    next: Next,
) -> Response {
    if shared.down.load(std::sync::atomic::Ordering::SeqCst) {
        return http_responses::service_unavailable();
    }
    let delay = shared.lock_traffic().take_delay(method, path);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let management = is_management_api(path);
    let failure = shared.lock_traffic().take_failure(method, path);
    match failure {
        Some(FaultAction::RateLimit { retry_after_secs }) => {
            injected_rate_limit(shared, path, retry_after_secs)
        }
        Some(FaultAction::Fail { status: 429 }) => injected_rate_limit(shared, path, 1),
        Some(FaultAction::LoseResponse { status }) => {
            let _ = next.run(request).await;
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            http_responses::injected_failure(path, status)
        }
        Some(FaultAction::Fail { status }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = http_responses::injected_failure(path, status);
            if management {
                let values = shared.lock_traffic().bucket.peek();
                attach_rate_limit_headers(&mut response, values);
            }
            response
        }
        Some(FaultAction::Delay(_)) | None => {
            if !management {
                return next.run(request).await;
            }
            let values = shared.lock_traffic().bucket.try_take();
            if values.retry_after_secs.is_some() {
                let mut response = http_responses::management_rate_limited();
                attach_rate_limit_headers(&mut response, values);
                return response;
            }
            let mut response = next.run(request).await;
            attach_rate_limit_headers(&mut response, values);
            response
        }
    }
}

fn injected_rate_limit(shared: &Shared, path: &str, retry_after_secs: u64) -> Response {
    let mut response = http_responses::injected_failure(path, StatusCode::TOO_MANY_REQUESTS);
    let limit = shared.lock_traffic().bucket.capacity as u64;
    attach_rate_limit_headers(
        &mut response,
        RateLimitHeaders {
            limit,
            remaining: 0,
            reset_epoch_secs: epoch_secs_now() + retry_after_secs,
            retry_after_secs: Some(retry_after_secs),
        },
    );
    response
}

fn authorization_scheme(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.split_whitespace().next().map(str::to_owned)
}

/// Turns a request body into something safe to keep: JSON or form fields as JSON, with every
/// `client_secret` redacted.
fn recordable_body(headers: &HeaderMap, bytes: &Bytes) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let parsed = if is_form {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .ok()
            .map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(name, value)| (name, Value::String(value)))
                        .collect::<Map<String, Value>>(),
                )
            })
    } else {
        serde_json::from_slice::<Value>(bytes).ok()
    };
    let mut body = parsed
        .unwrap_or_else(|| Value::String(format!("[unparsed body of {} bytes]", bytes.len())));
    redact_secrets(&mut body);
    Some(body)
}

fn redact_secrets(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (name, field) in object.iter_mut() {
                if name == "client_secret" {
                    *field = Value::from("[redacted]");
                } else {
                    redact_secrets(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_secrets),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_and_json_bodies_are_recorded_without_secrets() {
        let mut form_headers = HeaderMap::new();
        form_headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let form = recordable_body(
            &form_headers,
            &Bytes::from_static(
                b"client_id=abc&client_secret=hunter2&grant_type=client_credentials",
            ),
        )
        .expect("a form body is recorded");
        assert_eq!(form["client_id"], "abc");
        assert_eq!(form["client_secret"], "[redacted]");

        let json = recordable_body(
            &HeaderMap::new(),
            &Bytes::from_static(br#"{"name":"x","nested":[{"client_secret":"hunter2"}]}"#),
        )
        .expect("a JSON body is recorded");
        assert!(!json.to_string().contains("hunter2"));
        assert_eq!(json["nested"][0]["client_secret"], "[redacted]");
    }

    #[test]
    fn rules_apply_to_the_next_n_matching_requests_only() {
        let mut traffic = TrafficControl::new(10, 1);
        traffic.add_rule(
            "POST",
            "/api/v2/clients",
            2,
            FaultAction::Fail { status: 500 },
        );
        assert!(traffic.take_failure("GET", "/api/v2/clients").is_none());
        assert!(traffic.take_failure("POST", "/oauth/token").is_none());
        assert!(traffic
            .take_failure("post", "/api/v2/clients/abc")
            .is_some());
        assert!(traffic.take_failure("POST", "/api/v2/clients").is_some());
        assert!(traffic.take_failure("POST", "/api/v2/clients").is_none());
    }

    #[test]
    fn an_empty_bucket_refuses_with_a_retry_after() {
        let mut bucket = TokenBucket::new(2, 1);
        assert_eq!(bucket.try_take().remaining, 1);
        assert_eq!(bucket.try_take().remaining, 0);
        let refused = bucket.try_take();
        assert_eq!(refused.retry_after_secs, Some(1));
        assert!(refused.reset_epoch_secs > epoch_secs_now());
    }
}
