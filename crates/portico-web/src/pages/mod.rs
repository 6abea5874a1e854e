//! Server-rendered HTML pages: the admin console on the admin listener and the Dev Portal on
//! the portal listener, in the steps and words of the seed how-to (Settings > Application
//! Setup > Save; My Apps > New App > Create > Proceed).
//!
//! How they are made:
//!
//! - Handlers call the same use cases on [`portico_core::service::Portico`] as the JSON APIs
//!   and map errors through the same [`ApiError`] mapping; no rule lives here twice.
//! - Templates are askama files under `crates/portico-web/templates`, compiled into the
//!   binary; the stylesheet and the small copy-button script are `include_str!`-ed and
//!   served from `/assets/`. Every page works without JavaScript.
//! - Every form carries a CSRF token (see [`csrf`]); a POST without the right one is refused
//!   with a 403 page before anything else happens.
//! - The Dev Portal signs developers in with the same session cookie as the portal API.
//!   The admin console keeps its sessions in memory ([`admin::AdminSessions`]): signing in
//!   with the admin token opens one, it lasts 12 hours or until sign-out, and a restart
//!   signs every administrator out (the admin token is still the one credential).
//! - Pages are `Cache-Control: no-store`; the pages that show a client secret exist only
//!   as the answer to the POST that made it, so no GET can ever show a secret again.

mod admin;
mod csrf;
mod portal;
mod views;

use askama::Template;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use portico_core::{CoreError, FieldError};

pub use admin::AdminSessions;

use crate::error::ApiError;
use crate::extract::SESSION_COOKIE;
use crate::AppState;
use csrf::Csrf;

/// The admin console's pages, to be merged into the admin listener's router.
pub fn admin_router(state: AppState) -> Router {
    admin::router(state)
}

/// The Dev Portal's pages, to be merged into the portal listener's router.
pub fn portal_router(state: AppState) -> Router {
    portal::router(state)
}

/// Which listener a page belongs to. Browsers share cookies between the ports of one host,
/// so the admin console and the Dev Portal use different cookie names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Surface {
    Admin,
    Portal,
}

impl Surface {
    pub(crate) fn session_cookie(self) -> &'static str {
        match self {
            Surface::Admin => "portico_admin_session",
            Surface::Portal => SESSION_COOKIE,
        }
    }

    pub(crate) fn csrf_cookie(self) -> &'static str {
        match self {
            Surface::Admin => "portico_admin_csrf",
            Surface::Portal => "portico_csrf",
        }
    }
}

/// The state of a page router: the shared [`AppState`] and which surface it serves.
pub(crate) trait PageState: Clone + Send + Sync + 'static {
    const SURFACE: Surface;
    fn app(&self) -> &AppState;
}

// ------------------------------------------------------------------ Layout

/// What the layout around every page needs: the title, the navigation, who is signed in,
/// the CSRF token for the sign-out form, and a one-line notice after a redirect.
pub(crate) struct Chrome {
    pub title: String,
    pub product: &'static str,
    pub home: &'static str,
    pub nav: Vec<NavItem>,
    /// The signed-in person's name; `None` shows the sign-in links (portal) or nothing.
    pub account: Option<String>,
    pub show_sign_in_links: bool,
    pub csrf: String,
    pub notice: Option<String>,
}

pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

// ------------------------------------------------------------------ Responses

/// Renders a page with a status; sets the CSRF cookie when this request made a new one.
pub(crate) fn render<T: Template>(status: StatusCode, csrf: &Csrf, page: &T) -> Response {
    let mut response = match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "a page template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Error</title><p>An internal error occurred.</p>"),
            )
                .into_response()
        }
    };
    csrf.apply(&mut response);
    response
}

/// A page that says one thing, with a link onwards: errors, confirmations of a done deed.
#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
    pub link_href: String,
    pub link_label: String,
}

/// "Are you sure?" before something that cannot be undone; a plain form, no JavaScript.
#[derive(Template)]
#[template(path = "confirm.html")]
pub(crate) struct ConfirmPage {
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
    pub action: String,
    pub button: String,
    pub cancel_href: String,
}

/// The layout for pages shown before anyone is known (error pages of the extractors).
pub(crate) fn bare_chrome(surface: Surface, title: &str, csrf: &Csrf) -> Chrome {
    match surface {
        Surface::Admin => admin::chrome(title, "", csrf, false),
        Surface::Portal => portal::chrome(title, "", csrf, None),
    }
}

/// A "not found" page in the surface's layout.
pub(crate) fn not_found(chrome: Chrome, csrf: &Csrf, what: &str, back: &str) -> Response {
    render(
        StatusCode::NOT_FOUND,
        csrf,
        &MessagePage {
            chrome,
            heading: format!("{} not found", capitalize_word(what)),
            message: format!("There is no {what} at this address, or it was deleted."),
            link_href: back.into(),
            link_label: "Go back".into(),
        },
    )
}

/// Whether an unknown path should get an HTML "not found" page: a browser asking for a page,
/// not a client of the JSON APIs (those keep their problem+json 404).
pub(crate) fn wants_html_not_found(request: &Request) -> bool {
    let path = request.uri().path();
    let api = ["/v1/", "/api/", "/idp/"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
        || path == "/openapi.json";
    let accepts_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("text/html"));
    !api && accepts_html
}

fn capitalize_word(word: &str) -> String {
    let mut characters = word.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

/// A redirect after a successful POST (303, so the browser follows with a GET).
/// A path or form id; a malformed one reads as "no such thing", as an unknown one does.
pub(crate) fn parse<Kind>(value: &str) -> Option<portico_core::id::Id<Kind>> {
    value.parse().ok()
}

pub(crate) fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// Only same-site paths may be redirected to after signing in.
pub(crate) fn safe_next(next: &str, fallback: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|character| character.is_control());
    if ok {
        next.to_owned()
    } else {
        fallback.to_owned()
    }
}

/// A failed use case, as a page shows it: a status, one sentence, and the fields to mark.
pub(crate) struct PageError {
    pub status: StatusCode,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl From<CoreError> for PageError {
    fn from(error: CoreError) -> Self {
        // The one error mapping of the crate decides the status and the words.
        let api_error = ApiError::from(error);
        let fields: Vec<FieldError> = api_error
            .invalid_parameters()
            .iter()
            .map(|parameter| FieldError::new(&parameter.field, &parameter.reason))
            .collect();
        let message = if fields.is_empty() {
            capitalize(api_error.detail())
        } else {
            "Some fields need your attention.".to_owned()
        };
        PageError {
            status: api_error.status(),
            message,
            fields,
        }
    }
}

pub(crate) fn capitalize(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(characters.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

/// Field errors for a form: `get` answers the reason for one field, or "".
#[derive(Default)]
pub(crate) struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new(fields: Vec<FieldError>) -> Self {
        Self(fields)
    }

    /// Renames core field names (`routes[0].paths[1]`) to the form's inputs.
    pub fn mapped(fields: Vec<FieldError>, map: impl Fn(&str) -> String) -> Self {
        Self(
            fields
                .into_iter()
                .map(|field| FieldError::new(map(&field.field), field.reason))
                .collect(),
        )
    }

    pub fn get(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.reason.as_str())
            .unwrap_or("")
    }

    pub fn push(&mut self, field: &str, reason: &str) {
        self.0.push(FieldError::new(field, reason));
    }
}

// ------------------------------------------------------------------ Security headers, assets

/// Headers every page gets: no framing, no sniffing, no caching, and a policy that allows
/// only this origin's own stylesheet, script and form targets.
pub(crate) async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if is_html {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

const STYLESHEET: &str = include_str!("../../assets/portico.css");
const SCRIPT: &str = include_str!("../../assets/portico.js");

/// `/assets/portico.css` and `/assets/portico.js`, compiled into the binary.
pub(crate) fn assets<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/assets/portico.css",
            get(|| async { asset("text/css; charset=utf-8", STYLESHEET) }),
        )
        .route(
            "/assets/portico.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}
