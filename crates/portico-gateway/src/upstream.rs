//! The upstream phases: the request filter (hop-by-hop headers out, forwarding and identity
//! headers in), the call through the pooled keep-alive client with its timeouts, and the
//! response filter. Bodies are streamed both ways, never collected.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderName};
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderValue, Request, Response, Uri};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::time::Sleep;

use crate::config::GatewayConfig;
use crate::context::{RequestContext, X_REQUEST_ID};
use crate::error::{RequestError, RequestErrorKind};

pub(crate) type UpstreamClient = Client<HttpsConnector<HttpConnector>, ClientBody>;

/// The pooled upstream client: plain HTTP, or HTTPS verified against the system's trusted
/// roots (Mozilla's when the system has none). Idle connections are kept per upstream
/// (scheme, host and port) for `pool_idle_timeout`.
pub(crate) fn client(config: &GatewayConfig) -> UpstreamClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(config.connect_timeout));
    connector.set_nodelay(true);
    // The TLS layer below handles `https://`; the TCP connector must let it through.
    connector.enforce_http(false);
    let roots = match HttpsConnectorBuilder::new().with_native_roots() {
        Ok(native) => native,
        Err(error) => {
            tracing::info!(%error, "no system trust store for upstream TLS; using Mozilla's roots");
            HttpsConnectorBuilder::new().with_webpki_roots()
        }
    };
    let connector = roots
        .https_or_http()
        .enable_http1()
        .wrap_connector(connector);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(config.pool_idle_timeout)
        .pool_max_idle_per_host(config.pool_max_idle_per_host)
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(connector)
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_APPLICATION_ID: HeaderName = HeaderName::from_static("x-application-id");
const X_APPLICATION_NAME: HeaderName = HeaderName::from_static("x-application-name");
const X_DEVELOPER_ID: HeaderName = HeaderName::from_static("x-developer-id");
const X_CLIENT_ID: HeaderName = HeaderName::from_static("x-client-id");
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

/// Headers that describe one connection, not the message (RFC 9110 section 7.6.1).
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    KEEP_ALIVE,
    PROXY_CONNECTION,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Headers only the gateway may set on the upstream request.
const GATEWAY_SET: [HeaderName; 9] = [
    header::HOST,
    header::EXPECT,
    X_APPLICATION_ID,
    X_APPLICATION_NAME,
    X_DEVELOPER_ID,
    X_CLIENT_ID,
    X_REQUEST_ID,
    X_FORWARDED_PROTO,
    X_FORWARDED_HOST,
];

fn remove_hop_by_hop(headers: &mut HeaderMap) {
    // Names listed in `Connection` are hop-by-hop too.
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in listed.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
}

/// Builds the upstream request from the client's: the URI of the route's upstream, the
/// headers filtered, and the body streamed through an idle timeout.
pub(crate) fn upstream_request(
    ctx: &RequestContext,
    request: Request<Incoming>,
    upstream_path: &str,
    body_idle_timeout: Duration,
    body_state: Arc<AtomicU8>,
) -> Result<Request<ClientBody>, RequestError> {
    let api = ctx.api.as_ref().expect("the route phase ran");
    let (mut parts, body) = request.into_parts();

    let path_and_query = match parts.uri.query() {
        Some(query) => PathAndQuery::try_from(format!("{upstream_path}?{query}")),
        None => PathAndQuery::try_from(upstream_path),
    }
    .map_err(|_| RequestError::new(RequestErrorKind::BadRequest, "the upstream path is invalid"))?;
    parts.uri = Uri::builder()
        .scheme(api.upstream.scheme.clone())
        .authority(api.upstream.authority.clone())
        .path_and_query(path_and_query)
        .build()
        .map_err(|_| {
            RequestError::new(
                RequestErrorKind::Internal,
                "could not build the upstream URI",
            )
        })?;
    // The upstream connection is HTTP/1.1 whatever the client spoke.
    parts.version = http::Version::HTTP_11;

    let headers = &mut parts.headers;
    let original_host = headers.get(header::HOST).cloned();
    remove_hop_by_hop(headers);
    for name in &GATEWAY_SET {
        headers.remove(name);
    }
    set_forwarded_for(headers, ctx.peer);
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
    if let Some(host) = original_host {
        headers.insert(X_FORWARDED_HOST, host);
    }
    if let Some(authorization) = &ctx.upstream_authorization {
        headers.insert(header::AUTHORIZATION, authorization.clone());
    }
    if let Some(application) = &ctx.application {
        headers.insert(X_APPLICATION_ID, application.application_id_header.clone());
        headers.insert(
            X_APPLICATION_NAME,
            application.application_name_header.clone(),
        );
        headers.insert(X_DEVELOPER_ID, application.developer_id_header.clone());
        headers.insert(X_CLIENT_ID, application.client_id_header.clone());
    }
    headers.insert(X_REQUEST_ID, ctx.request_id.clone());

    let body = ClientBody::new(body, body_idle_timeout, body_state);
    Ok(Request::from_parts(parts, body))
}

/// Appends the client's address to `X-Forwarded-For`.
fn set_forwarded_for(headers: &mut HeaderMap, peer: SocketAddr) {
    let peer_ip = peer.ip().to_string();
    let mut value = String::new();
    for existing in headers.get_all(X_FORWARDED_FOR) {
        if let Ok(existing) = existing.to_str() {
            value.push_str(existing);
            value.push_str(", ");
        }
    }
    value.push_str(&peer_ip);
    match HeaderValue::from_str(&value) {
        Ok(value) => {
            headers.insert(X_FORWARDED_FOR, value);
        }
        Err(_) => {
            headers.insert(
                X_FORWARDED_FOR,
                HeaderValue::from_str(&peer_ip).expect("an IP address is a valid header value"),
            );
        }
    }
}

/// Sends the request; the response head must come within `read_timeout`.
pub(crate) async fn send(
    client: &UpstreamClient,
    request: Request<ClientBody>,
    read_timeout: Duration,
    body_state: &AtomicU8,
) -> Result<Response<Incoming>, RequestError> {
    let outcome = tokio::time::timeout(read_timeout, client.request(request)).await;
    let client_body_failure = || match body_state.load(Ordering::SeqCst) {
        BODY_TIMED_OUT => Some(RequestError::new(
            RequestErrorKind::ClientBodyTimeout,
            "the client stopped sending its request body",
        )),
        BODY_BROKEN => Some(RequestError::new(
            RequestErrorKind::BadClientBody,
            "the client's request body broke off",
        )),
        _ => None,
    };
    match outcome {
        Ok(Ok(response)) => Ok(response),
        Err(_elapsed) => Err(client_body_failure().unwrap_or_else(|| {
            RequestError::new(
                RequestErrorKind::UpstreamTimeout,
                format!(
                    "no response head from the upstream within {} ms",
                    read_timeout.as_millis()
                ),
            )
        })),
        Ok(Err(error)) => {
            if let Some(failure) = client_body_failure() {
                return Err(failure);
            }
            let reason = describe(&error);
            if error.is_connect() && caused_by_timeout(&error) {
                Err(RequestError::new(RequestErrorKind::UpstreamTimeout, reason))
            } else {
                Err(RequestError::new(
                    RequestErrorKind::UpstreamUnreachable,
                    reason,
                ))
            }
        }
    }
}

fn caused_by_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        source = cause.source();
    }
    false
}

fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The response filter: hop-by-hop headers out, the request id in.
pub(crate) fn filter_response(response: &mut Response<Incoming>, request_id: &HeaderValue) {
    let headers = response.headers_mut();
    remove_hop_by_hop(headers);
    headers.insert(X_REQUEST_ID, request_id.clone());
}

const BODY_OK: u8 = 0;
const BODY_TIMED_OUT: u8 = 1;
const BODY_BROKEN: u8 = 2;

pub(crate) fn body_state() -> Arc<AtomicU8> {
    Arc::new(AtomicU8::new(BODY_OK))
}

/// The client's request body on its way upstream. It fails when the client leaves it idle
/// for too long or it breaks off, and records which, so that the gateway can blame the
/// client (408 or 400) rather than the upstream.
pub(crate) struct ClientBody {
    inner: Incoming,
    idle_timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    state: Arc<AtomicU8>,
}

impl ClientBody {
    fn new(inner: Incoming, idle_timeout: Duration, state: Arc<AtomicU8>) -> Self {
        Self {
            inner,
            idle_timeout,
            deadline: Box::pin(tokio::time::sleep(idle_timeout)),
            state,
        }
    }
}

impl Body for ClientBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let next = tokio::time::Instant::now() + this.idle_timeout;
                this.deadline.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                this.state.store(BODY_BROKEN, Ordering::SeqCst);
                Poll::Ready(Some(Err(Box::new(error))))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_ready() {
                    this.state.store(BODY_TIMED_OUT, Ordering::SeqCst);
                    Poll::Ready(Some(Err(
                        "the client's request body was idle too long".into()
                    )))
                } else {
                    Poll::Pending
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_go_including_those_named_in_connection() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-private"),
        );
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("x-kept", HeaderValue::from_static("yes"));
        remove_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 1);
        assert_eq!(headers["x-kept"], "yes");
    }

    #[test]
    fn forwarded_for_is_appended() {
        let peer: SocketAddr = "10.0.0.9:1234".parse().unwrap();
        let mut headers = HeaderMap::new();
        set_forwarded_for(&mut headers, peer);
        assert_eq!(headers[X_FORWARDED_FOR], "10.0.0.9");
        headers.insert(X_FORWARDED_FOR, HeaderValue::from_static("1.2.3.4"));
        set_forwarded_for(&mut headers, peer);
        assert_eq!(headers[X_FORWARDED_FOR], "1.2.3.4, 10.0.0.9");
    }
}
