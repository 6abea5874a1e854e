//! The one per-request context that the phases of the pipeline fill in, in order.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::snapshot::{ApiEntry, AppEntry, Snapshot};

pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What is known about a request so far. Each phase reads what earlier phases wrote.
pub(crate) struct RequestContext {
    /// Taken from the request when sane, else generated; echoed in every response.
    pub request_id: HeaderValue,
    pub peer: SocketAddr,
    pub started: Instant,
    /// The configuration the whole request is judged against, even if a newer one is
    /// swapped in meanwhile.
    pub snapshot: Arc<Snapshot>,
    /// Set by the route phase.
    pub api: Option<Arc<ApiEntry>>,
    /// Set by the authorization phase.
    pub application: Option<Arc<AppEntry>>,
    /// Set by the authentication phase: the `Authorization` value sent upstream.
    pub upstream_authorization: Option<HeaderValue>,
}

impl RequestContext {
    pub fn new(headers: &HeaderMap, peer: SocketAddr, snapshot: Arc<Snapshot>) -> Self {
        Self {
            request_id: request_id(headers),
            peer,
            started: Instant::now(),
            snapshot,
            api: None,
            application: None,
            upstream_authorization: None,
        }
    }

    /// The request id as text, for logs.
    pub fn request_id_str(&self) -> &str {
        self.request_id.to_str().unwrap_or("-")
    }
}

/// The incoming `X-Request-Id` when it is 1 to 128 characters of `[A-Za-z0-9._:-]`, so
/// that it is safe in logs and headers; otherwise a new random UUID.
fn request_id(headers: &HeaderMap) -> HeaderValue {
    let mut incoming = headers.get_all(X_REQUEST_ID).iter();
    if let (Some(value), None) = (incoming.next(), incoming.next()) {
        let bytes = value.as_bytes();
        let sane = !bytes.is_empty()
            && bytes.len() <= 128
            && bytes
                .iter()
                .all(|byte| byte.is_ascii_alphanumeric() || b"._:-".contains(byte));
        if sane {
            return value.clone();
        }
    }
    generate_request_id()
}

fn generate_request_id() -> HeaderValue {
    let uuid = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let mut buffer = uuid::Uuid::encode_buffer();
    let text = uuid.hyphenated().encode_lower(&mut buffer);
    HeaderValue::from_str(text).expect("a UUID is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sane_request_id_is_kept_and_any_other_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("abc-123_x.y:z"));
        assert_eq!(request_id(&headers), "abc-123_x.y:z");

        for insane in ["", "has space", "semi;colon", &"x".repeat(129)] {
            let mut headers = HeaderMap::new();
            headers.insert(X_REQUEST_ID, HeaderValue::from_str(insane).unwrap());
            let generated = request_id(&headers);
            assert_ne!(generated, insane);
            assert_eq!(generated.len(), 36);
        }

        let mut twice = HeaderMap::new();
        twice.append(X_REQUEST_ID, HeaderValue::from_static("a"));
        twice.append(X_REQUEST_ID, HeaderValue::from_static("b"));
        assert_eq!(request_id(&twice).len(), 36);
    }
}
