//! The admin console and Dev Portal pages without a browser: the routers are called in
//! process, with a SQLite store in a temporary dir and the Auth0 emulator as the IdP. The
//! browser tests (`tests/browser`) cover the same pages as a person clicks them.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use portico_core::model::ProviderType;
use portico_core::ports::SystemClock;
use portico_core::service::{ApplicationSetupInput, Portico};
use portico_core::{SecretCipher, SecretString};
use portico_testkit::auth0::{Auth0Emulator, EmulatorConfig};
use portico_web::AppState;
use tower::ServiceExt;

const ADMIN_TOKEN: &str = "admin-token-for-page-tests-0123456789";

struct Harness {
    state: AppState,
    _dir: tempfile::TempDir,
}

async fn harness(secure_cookies: bool) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = portico_store::connect(&portico_store::sqlite_url(&dir.path().join("portico.db")))
        .await
        .unwrap();
    let http = portico_idp::http_client(&portico_idp::HttpClientConfig::default()).unwrap();
    let registry = portico_idp::IdpRegistry::new(http, portico_idp::RetryPolicy::fast());
    let cipher = SecretCipher::from_base64(&SecretCipher::generate_key_base64()).unwrap();
    let portico = Portico::new(store, Arc::new(registry), Arc::new(SystemClock), cipher);
    Harness {
        state: AppState {
            portico,
            admin_token: SecretString::new(ADMIN_TOKEN),
            secure_cookies,
            ready: Arc::new(AtomicBool::new(true)),
        },
        _dir: dir,
    }
}

/// A minimal browser: keeps cookies, reads the CSRF token out of the last page.
struct Browser {
    router: Router,
    cookies: HashMap<String, String>,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    /// The value of the first hidden field `name` inside the form posting to `action`.
    fn field(&self, action: &str, name: &str) -> String {
        let form_start = self
            .body
            .find(&format!("action=\"{action}\""))
            .unwrap_or_else(|| panic!("no form posting to {action}"));
        let rest = &self.body[form_start..];
        let marker = format!("name=\"{name}\" value=\"");
        let start = rest
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} field"))
            + marker.len();
        rest[start..start + rest[start..].find('"').unwrap()].to_owned()
    }

    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect()
    }
}

impl Browser {
    fn new(router: Router) -> Self {
        Self {
            router,
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, request: Request<Body>) -> Page {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all(header::SET_COOKIE) {
            let cookie = value.to_str().unwrap();
            let pair = cookie.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || cookie.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = Request::get(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let request = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }
}

async fn save_setup(portico: &Portico, emulator: &Auth0Emulator) {
    let (client_id, client_secret) = emulator.management_client();
    portico
        .save_application_setup(ApplicationSetupInput {
            provider_type: "auth0".into(),
            issuer: emulator.issuer(),
            client_token_audience: emulator.api_audience(),
            scopes: vec!["openid".into()],
            consumer_claims: vec!["azp".into()],
            initial_client_id: client_id,
            initial_client_secret: Some(SecretString::new(client_secret)),
            initial_client_audience: None,
        })
        .await
        .unwrap();
}

/// Signs a developer up through the pages; auto-approval signs them in at once.
async fn signed_up(browser: &mut Browser, email: &str) {
    let form = browser.get("/signup").await;
    let csrf = form.field("/signup", "_csrf");
    let done = browser
        .post(
            "/signup",
            &[
                ("_csrf", &csrf),
                ("full_name", "Test Developer"),
                ("email", email),
                ("password", "long-enough-password"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/apps?notice=welcome");
}

#[tokio::test]
async fn a_form_posted_without_its_csrf_token_is_refused() {
    let harness = harness(false).await;
    let mut browser = Browser::new(portico_web::portal_app(harness.state.clone()));
    let form = browser.get("/signup").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.field("/signup", "_csrf");
    let fields = [
        ("full_name", "Mallory"),
        ("email", "mallory@example.com"),
        ("password", "long-enough-password"),
    ];

    let missing = browser.post("/signup", &fields).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(missing.body.contains("This form could not be accepted"));

    let mut wrong = fields.to_vec();
    wrong.push((
        "_csrf",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ));
    assert_eq!(
        browser.post("/signup", &wrong).await.status,
        StatusCode::FORBIDDEN
    );

    // The right token from another browser (without its seed cookie) is refused as well.
    let mut stranger = Browser::new(portico_web::portal_app(harness.state.clone()));
    let mut stolen = fields.to_vec();
    stolen.push(("_csrf", &csrf));
    assert_eq!(
        stranger.post("/signup", &stolen).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(harness.state.portico.developers().await.unwrap().is_empty());

    let accepted = browser.post("/signup", &stolen).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    assert_eq!(harness.state.portico.developers().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_client_secret_is_shown_once_and_never_on_a_get() {
    let emulator = Auth0Emulator::start(EmulatorConfig::default()).await;
    let harness = harness(false).await;
    save_setup(&harness.state.portico, &emulator).await;
    let mut browser = Browser::new(portico_web::portal_app(harness.state.clone()));
    signed_up(&mut browser, "ada@example.com").await;

    let form = browser.get("/apps/new").await;
    assert!(form.body.contains("Create New Application"));
    let csrf = form.field("/apps/new", "_csrf");
    let key = form.field("/apps/new", "idempotency_key");
    let fields = [
        ("_csrf", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("name", "Weather dashboard"),
        ("redirect_uri", "https://dashboard.example.com/callback"),
        ("description", "Shows the forecast."),
    ];
    let created = browser.post("/apps/new", &fields).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.headers[header::CACHE_CONTROL], "no-store");
    let marker = "id=\"client-secret\" class=\"secret-value\" data-shown-once>";
    let start = created.body.find(marker).expect("the secret is shown") + marker.len();
    let secret = &created.body[start..start + created.body[start..].find('<').unwrap()];
    assert!(secret.len() >= 32);
    assert!(created.body.contains("shown only once"));
    let application = &harness.state.portico.applications().await.unwrap()[0];
    assert!(
        emulator
            .clients()
            .iter()
            .any(|client| client["client_id"] == application.client_id.as_str()),
        "the client exists in the IdP"
    );

    for path in [
        "/apps".to_owned(),
        "/apps/new".to_owned(),
        format!("/apps/{}", application.id),
        format!("/apps/{}/edit", application.id),
        format!("/apps/{}/regenerate-secret", application.id),
        "/".to_owned(),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "GET {path}");
        assert!(!page.body.contains(secret), "GET {path} shows the secret");
    }

    // The same form sent again (a reload of the POST) makes nothing new and shows no secret.
    let resent = browser.post("/apps/new", &fields).await;
    assert_eq!(resent.status, StatusCode::OK);
    assert!(resent.body.contains("already created"));
    assert!(!resent.body.contains(secret));
    assert_eq!(harness.state.portico.applications().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_create_shows_the_idps_words_and_creates_nothing() {
    let emulator = Auth0Emulator::start(EmulatorConfig::default()).await;
    let harness = harness(false).await;
    save_setup(&harness.state.portico, &emulator).await;
    let mut browser = Browser::new(portico_web::portal_app(harness.state.clone()));
    signed_up(&mut browser, "grace@example.com").await;
    let form = browser.get("/apps/new").await;
    let csrf = form.field("/apps/new", "_csrf");
    emulator.fail_next("POST", "/api/v2/clients", 1, 503);
    let failed = browser
        .post(
            "/apps/new",
            &[("_csrf", &csrf), ("name", "Compiler"), ("description", "")],
        )
        .await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY);
    assert!(failed.body.contains("The application was not created."));
    assert!(failed.body.contains("identity provider is unavailable"));
    assert!(
        failed.body.contains("value=\"Compiler\""),
        "what was typed is kept"
    );
    assert!(harness
        .state
        .portico
        .applications()
        .await
        .unwrap()
        .is_empty());

    // Field errors are shown next to their inputs.
    let long = "x".repeat(141);
    let invalid = browser
        .post(
            "/apps/new",
            &[("_csrf", &csrf), ("name", ""), ("description", &long)],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(invalid
        .body
        .contains("id=\"name-error\">Name must not be empty"));
    assert!(invalid
        .body
        .contains("id=\"description-error\">Description must be at most 140 characters"));
}

#[tokio::test]
async fn the_admin_console_signs_in_with_the_admin_token() {
    let harness = harness(true).await;
    let mut browser = Browser::new(portico_web::admin_app(harness.state.clone()));
    let start = browser.get("/").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    assert_eq!(start.location(), "/signin?next=%2F");

    let form = browser.get("/signin?next=%2Fapis").await;
    let csrf = form.field("/signin", "_csrf");
    let csrf_cookie = form.set_cookies().join("\n");
    assert!(csrf_cookie.contains("portico_admin_csrf="));
    assert!(csrf_cookie.contains("HttpOnly"));
    assert!(csrf_cookie.contains("SameSite=Lax"));
    assert!(csrf_cookie.contains("Secure"));

    let wrong = browser
        .post(
            "/signin",
            &[
                ("_csrf", &csrf),
                ("admin_token", "guess"),
                ("next", "/apis"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(!wrong.body.contains(ADMIN_TOKEN));

    let signed_in = browser
        .post(
            "/signin",
            &[
                ("_csrf", &csrf),
                ("admin_token", ADMIN_TOKEN),
                ("next", "/apis"),
            ],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.location(), "/apis");
    let session_cookie = signed_in.set_cookies().join("\n");
    assert!(session_cookie.contains("portico_admin_session="));
    assert!(session_cookie.contains("HttpOnly"));
    assert!(session_cookie.contains("SameSite=Lax"));
    assert!(session_cookie.contains("Secure"));
    assert!(
        !session_cookie.contains(ADMIN_TOKEN),
        "the session is not the token"
    );

    let overview = browser.get("/").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains("Overview"));
    assert_eq!(overview.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(overview.headers[header::X_FRAME_OPTIONS], "DENY");
    assert!(overview.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));

    // An off-site `next` is not followed.
    let csrf = overview.field("/signout", "_csrf");
    let session = browser.cookies["portico_admin_session"].clone();
    let signed_out = browser.post("/signout", &[("_csrf", &csrf)]).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    // The old session no longer works, even if a browser kept the cookie.
    browser
        .cookies
        .insert("portico_admin_session".into(), session);
    assert_eq!(browser.get("/").await.status, StatusCode::SEE_OTHER);

    let form = browser.get("/signin").await;
    let csrf = form.field("/signin", "_csrf");
    let offsite = browser
        .post(
            "/signin",
            &[
                ("_csrf", &csrf),
                ("admin_token", ADMIN_TOKEN),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(offsite.location(), "/");
}

#[tokio::test]
async fn a_wrong_initial_client_secret_keeps_the_form_and_saves_nothing() {
    let emulator = Auth0Emulator::start(EmulatorConfig::default()).await;
    let harness = harness(false).await;
    let mut browser = Browser::new(portico_web::admin_app(harness.state.clone()));
    let form = browser.get("/signin").await;
    let csrf = form.field("/signin", "_csrf");
    browser
        .post(
            "/signin",
            &[
                ("_csrf", &csrf),
                ("admin_token", ADMIN_TOKEN),
                ("next", "/"),
            ],
        )
        .await;
    let setup = browser.get("/settings/application-setup").await;
    assert_eq!(setup.status, StatusCode::OK);
    let csrf = setup.field("/settings/application-setup", "_csrf");
    let (client_id, _) = emulator.management_client();
    let issuer = emulator.issuer();
    let audience = emulator.api_audience();
    let failed = browser
        .post(
            "/settings/application-setup",
            &[
                ("_csrf", &csrf),
                ("provider_type", "auth0"),
                ("issuer", &issuer),
                ("client_token_audience", &audience),
                ("scopes", "openid"),
                ("consumer_claims", "azp"),
                ("initial_client_id", &client_id),
                ("initial_client_secret", "typed-wrong-secret-value"),
            ],
        )
        .await;
    assert_eq!(failed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(failed
        .body
        .contains("could not verify these settings with Auth0"));
    assert!(failed.body.contains(&format!("value=\"{client_id}\"")));
    assert!(failed.body.contains(&format!("value=\"{audience}\"")));
    assert!(!failed.body.contains("typed-wrong-secret-value"));
    // Nothing was saved: no Auth0 setup exists (a built-in one may).
    let current = harness.state.portico.application_setup().await.unwrap();
    assert!(current.is_none_or(|setup| setup.provider.provider_type != ProviderType::Auth0));
}

#[test]
fn pages_stay_out_of_the_openapi_documents() {
    for document in [portico_web::admin_openapi(), portico_web::portal_openapi()] {
        let json = serde_json::to_value(&document).unwrap();
        for path in json["paths"].as_object().unwrap().keys() {
            assert!(
                path.starts_with("/v1/") || path.starts_with("/api/v1/") || path == "/status",
                "{path} is not an API path"
            );
        }
    }
}

#[tokio::test]
async fn unknown_paths_answer_html_to_browsers_and_problems_to_api_clients() {
    let harness = harness(false).await;
    for router in [
        portico_web::admin_app(harness.state.clone()),
        portico_web::portal_app(harness.state.clone()),
    ] {
        let mut browser = Browser::new(router);
        let page = browser
            .send(
                Request::get("/no-such-page")
                    .header(header::ACCEPT, "text/html,application/xhtml+xml")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.body.contains("Page not found"));
        for path in [
            "/no-such-page",
            "/v1/no-such-thing",
            "/api/v1/no-such-thing",
        ] {
            let problem = browser.get(path).await;
            assert_eq!(problem.status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(
                problem.headers[header::CONTENT_TYPE],
                "application/problem+json",
                "{path}"
            );
        }
    }
}
