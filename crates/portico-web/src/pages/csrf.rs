//! CSRF protection for every form.
//!
//! Each browser gets a random seed in an HttpOnly cookie (`portico_csrf` on the portal,
//! `portico_admin_csrf` on the admin console). The token in a form's hidden `_csrf` field is
//! the SHA-256 of that seed together with the session cookie's value, so it cannot be made
//! without reading the cookies, and it changes when the person signs in or out. A POST is
//! accepted only when the field matches (compared in constant time); anything else is
//! refused with a 403 page before the handler runs. `SameSite=Lax` on the cookies is a
//! second line of defence.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use portico_core::secret::sha256_hex;
use portico_core::SecretString;
use serde::de::DeserializeOwned;

use super::{render, MessagePage, PageState, Surface};

/// The hidden field every form carries.
pub(crate) const CSRF_FIELD: &str = "_csrf";

/// The CSRF token of this request, and the seed cookie to set when the browser had none.
pub(crate) struct Csrf {
    token: String,
    new_seed: Option<Cookie<'static>>,
}

impl Csrf {
    fn from_jar(jar: &CookieJar, surface: Surface, secure: bool) -> Csrf {
        let session = jar
            .get(surface.session_cookie())
            .map(|cookie| cookie.value().to_owned())
            .unwrap_or_default();
        match jar.get(surface.csrf_cookie()) {
            Some(seed) if is_seed(seed.value()) => Csrf {
                token: derive(surface, seed.value(), &session),
                new_seed: None,
            },
            _ => {
                let seed = SecretString::random(32);
                let token = derive(surface, seed.expose(), &session);
                let cookie = Cookie::build((surface.csrf_cookie(), seed.expose().to_owned()))
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(secure)
                    .build();
                Csrf {
                    token,
                    new_seed: Some(cookie),
                }
            }
        }
    }

    /// The value for the hidden `_csrf` field.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Sets the seed cookie on `response` if this request made one.
    pub fn apply(&self, response: &mut Response) {
        if let Some(cookie) = &self.new_seed {
            if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
    }
}

fn is_seed(value: &str) -> bool {
    (20..=100).contains(&value.len())
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

fn derive(surface: Surface, seed: &str, session: &str) -> String {
    let label = match surface {
        Surface::Admin => "admin",
        Surface::Portal => "portal",
    };
    sha256_hex(format!("portico-csrf\n{label}\n{seed}\n{session}").as_bytes())
}

impl<S: PageState> FromRequestParts<S> for Csrf {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        Ok(Csrf::from_jar(&jar, S::SURFACE, state.app().secure_cookies))
    }
}

/// A form POST whose CSRF token was checked, parsed into `T` (unknown fields ignored).
pub(crate) struct Posted<T> {
    pub form: T,
    pub csrf: Csrf,
}

impl<S: PageState, T: DeserializeOwned> FromRequest<S> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(request.headers());
        let surface = S::SURFACE;
        let csrf = Csrf::from_jar(&jar, surface, state.app().secure_cookies);
        let has_seed = jar
            .get(surface.csrf_cookie())
            .is_some_and(|cookie| is_seed(cookie.value()));
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| bad_form::<S>(&csrf))?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| bad_form::<S>(&csrf))?;
        let sent = pairs
            .iter()
            .find(|(name, _)| name == CSRF_FIELD)
            .map(|(_, value)| SecretString::new(value.as_str()));
        let expected = SecretString::new(csrf.token());
        if !has_seed || sent.as_ref() != Some(&expected) {
            tracing::warn!("a form was posted without a valid CSRF token");
            return Err(forbidden::<S>(&csrf));
        }
        let form = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|_| bad_form::<S>(&csrf))?;
        Ok(Posted { form, csrf })
    }
}

fn forbidden<S: PageState>(csrf: &Csrf) -> Response {
    render(
        StatusCode::FORBIDDEN,
        csrf,
        &MessagePage {
            chrome: super::bare_chrome(S::SURFACE, "Form refused", csrf),
            heading: "This form could not be accepted".into(),
            message: "It was sent without the security token of this page, or the page was open for too long. Go back, reload the page and try again.".into(),
            link_href: "/".into(),
            link_label: "Go to the start page".into(),
        },
    )
}

fn bad_form<S: PageState>(csrf: &Csrf) -> Response {
    render(
        StatusCode::BAD_REQUEST,
        csrf,
        &MessagePage {
            chrome: super::bare_chrome(S::SURFACE, "Form not understood", csrf),
            heading: "This form could not be read".into(),
            message: "Go back, check what you typed and try again.".into(),
            link_href: "/".into(),
            link_label: "Go to the start page".into(),
        },
    )
}
