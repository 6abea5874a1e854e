//! The admin console on the admin listener: sign-in with the admin token, Settings with the
//! Application Setup and Portal tabs, APIs, developers and registrations.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use portico_core::model::{ApprovalStatus, DcrConfig, ProviderType, Route};
use portico_core::service::{ApiChanges, ApplicationSetupInput, NewApi, SettingsChanges};
use portico_core::{CoreError, SecretString};
use serde::Deserialize;

use super::csrf::{Csrf, Posted};
use super::views::{split_list, ApiView, DeveloperView, Names, RegistrationView};
use super::{
    capitalize, not_found, parse, render, safe_next, see_other, Chrome, ConfirmPage, FieldErrors,
    MessagePage, NavItem, PageError, PageState, Surface,
};
use crate::AppState;

/// How long an admin console session lasts.
const ADMIN_SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// The admin console's sessions, kept in memory: the SHA-256 of each session token and when
/// it expires. Nothing about them is stored on disk, so a restart signs administrators out.
#[derive(Default)]
pub struct AdminSessions {
    sessions: Mutex<HashMap<String, Instant>>,
}

impl AdminSessions {
    fn open(&self) -> SecretString {
        let token = SecretString::random(32);
        let now = Instant::now();
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|error| error.into_inner());
        sessions.retain(|_, expires| *expires > now);
        sessions.insert(token.sha256_hex(), now + ADMIN_SESSION_LIFETIME);
        token
    }

    fn is_valid(&self, token: &str) -> bool {
        let sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|error| error.into_inner());
        sessions
            .get(&SecretString::new(token).sha256_hex())
            .is_some_and(|expires| *expires > Instant::now())
    }

    fn close(&self, token: &str) {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|error| error.into_inner());
        sessions.remove(&SecretString::new(token).sha256_hex());
    }
}

#[derive(Clone)]
pub(crate) struct AdminPages {
    app: AppState,
    sessions: Arc<AdminSessions>,
}

impl PageState for AdminPages {
    const SURFACE: Surface = Surface::Admin;
    fn app(&self) -> &AppState {
        &self.app
    }
}

pub(super) fn router(state: AppState) -> Router {
    let pages = AdminPages {
        app: state,
        sessions: Arc::new(AdminSessions::default()),
    };
    Router::new()
        .route("/", get(overview))
        .route("/signin", get(sign_in_form).post(sign_in))
        .route("/signout", post(sign_out))
        .route(
            "/settings",
            get(|| async { see_other("/settings/application-setup") }),
        )
        .route(
            "/settings/application-setup",
            get(setup_form).post(save_setup),
        )
        .route(
            "/settings/portal",
            get(portal_settings_form).post(save_portal_settings),
        )
        .route("/apis", get(apis))
        .route("/apis/new", get(new_api_form).post(create_api))
        .route("/apis/{id}", get(edit_api_form).post(update_api))
        .route("/apis/{id}/publish", post(publish_api))
        .route(
            "/apis/{id}/delete",
            get(confirm_delete_api).post(delete_api),
        )
        .route("/developers", get(developers))
        .route("/developers/{id}/status", post(set_developer_status))
        .route("/registrations", get(registrations))
        .route("/registrations/{id}/status", post(set_registration_status))
        .merge(super::assets())
        .fallback(unknown_page)
        .layer(axum::middleware::from_fn(super::page_headers))
        .with_state(pages)
}

pub(crate) fn chrome(title: &str, active: &str, csrf: &Csrf, signed_in: bool) -> Chrome {
    let items: &[(&'static str, &'static str, &'static str)] = if signed_in {
        &[
            ("/", "Overview", "overview"),
            ("/apis", "APIs", "apis"),
            ("/developers", "Developers", "developers"),
            ("/registrations", "Registrations", "registrations"),
            ("/settings/application-setup", "Settings", "settings"),
        ]
    } else {
        &[]
    };
    Chrome {
        title: format!("{title} · Portico Admin"),
        product: "Admin",
        home: "/",
        nav: items
            .iter()
            .map(|(href, label, key)| NavItem {
                href,
                label,
                active: *key == active,
            })
            .collect(),
        account: signed_in.then(|| "Administrator".to_owned()),
        show_sign_in_links: false,
        csrf: csrf.token().to_owned(),
        notice: None,
    }
}

/// The fixed sentences a redirect may ask a page to show (`?notice=...`).
fn notice(code: Option<&str>) -> Option<String> {
    let text = match code? {
        "setup_saved" => "Application Setup saved. New applications are now registered with this identity provider.",
        "builtin_saved" => "Application Setup saved. New applications now get their credentials from Portico's built-in identity provider.",
        "settings_saved" => "Portal settings saved.",
        "api_created" => "API created.",
        "api_saved" => "API saved.",
        "api_published" => "API published: it is in the Dev Portal's catalog and routed by the gateway.",
        "api_unpublished" => "API unpublished: it is no longer in the catalog.",
        "api_deleted" => "API deleted.",
        "developer_updated" => "Developer updated.",
        "registration_updated" => "Registration updated.",
        "signed_out" => "You are signed out.",
        _ => return None,
    };
    Some(text.to_owned())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    notice: Option<String>,
    next: Option<String>,
    status: Option<String>,
}

/// Passes only requests with a live admin console session; others go to the sign-in page.
pub(crate) struct Admin;

impl FromRequestParts<AdminPages> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminPages,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        if jar
            .get(Surface::Admin.session_cookie())
            .is_some_and(|cookie| state.sessions.is_valid(cookie.value()))
        {
            return Ok(Admin);
        }
        let next = if parts.method == axum::http::Method::GET {
            parts
                .uri
                .path_and_query()
                .map(|value| value.as_str())
                .unwrap_or("/")
        } else {
            "/"
        };
        let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
        Err(see_other(&format!("/signin?{query}")))
    }
}

/// Unknown paths: an HTML page for browsers, the API's plain 404 (made a problem) otherwise.
async fn unknown_page(State(pages): State<AdminPages>, csrf: Csrf, request: Request) -> Response {
    if !super::wants_html_not_found(&request) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let jar = CookieJar::from_headers(request.headers());
    let signed_in = is_signed_in(&jar, &pages);
    not_found(
        chrome("Not found", "", &csrf, signed_in),
        &csrf,
        "page",
        "/",
    )
}

fn is_signed_in(jar: &CookieJar, state: &AdminPages) -> bool {
    jar.get(Surface::Admin.session_cookie())
        .is_some_and(|cookie| state.sessions.is_valid(cookie.value()))
}

fn error_page(csrf: &Csrf, error: PageError, back: &str) -> Response {
    if error.status == StatusCode::NOT_FOUND {
        return not_found(chrome("Not found", "", csrf, true), csrf, "page", back);
    }
    render(
        error.status,
        csrf,
        &MessagePage {
            chrome: chrome("Something went wrong", "", csrf, true),
            heading: "That did not work".into(),
            message: error.message,
            link_href: back.into(),
            link_label: "Go back".into(),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoFields {}

// ------------------------------------------------------------------ Overview

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    setup_issuer: Option<String>,
    setup_provider: &'static str,
    api_count: usize,
    published_count: usize,
    developer_count: usize,
    pending_developers: usize,
    pending_registrations: usize,
    application_count: usize,
}

async fn overview(_: Admin, State(pages): State<AdminPages>, csrf: Csrf) -> Response {
    let portico = &pages.app.portico;
    let result = async {
        let setup = portico.application_setup().await?;
        let apis = portico.apis().await?;
        let developers = portico.developers().await?;
        let pending = portico.registrations(Some(ApprovalStatus::Pending)).await?;
        let applications = portico.applications().await?;
        Ok::<_, CoreError>(OverviewPage {
            chrome: chrome("Overview", "overview", &csrf, true),
            setup_provider: match setup.as_ref().map(|setup| setup.provider.provider_type) {
                Some(ProviderType::Auth0) => "Auth0",
                Some(ProviderType::Builtin) => "Built-in",
                None => "",
            },
            setup_issuer: setup.map(|setup| setup.provider.issuer.as_str().to_owned()),
            api_count: apis.len(),
            published_count: apis.iter().filter(|api| api.published).count(),
            developer_count: developers.len(),
            pending_developers: developers
                .iter()
                .filter(|developer| developer.status == ApprovalStatus::Pending)
                .count(),
            pending_registrations: pending.len(),
            application_count: applications.len(),
        })
    }
    .await;
    match result {
        Ok(page) => render(StatusCode::OK, &csrf, &page),
        Err(error) => error_page(&csrf, error.into(), "/"),
    }
}

// ------------------------------------------------------------------ Sign-in

#[derive(Template)]
#[template(path = "admin/signin.html")]
struct SignInPage {
    chrome: Chrome,
    next: String,
    error: Option<String>,
}

async fn sign_in_form(
    State(pages): State<AdminPages>,
    jar: CookieJar,
    csrf: Csrf,
    Query(query): Query<PageQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref().unwrap_or("/"), "/");
    if is_signed_in(&jar, &pages) {
        return see_other(&next);
    }
    let mut chrome = chrome("Sign in", "", &csrf, false);
    chrome.notice = notice(query.notice.as_deref());
    render(
        StatusCode::OK,
        &csrf,
        &SignInPage {
            chrome,
            next,
            error: None,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignInFields {
    admin_token: String,
    next: String,
}

async fn sign_in(
    State(pages): State<AdminPages>,
    jar: CookieJar,
    Posted { form, csrf }: Posted<SignInFields>,
) -> Response {
    let next = safe_next(&form.next, "/");
    if SecretString::new(form.admin_token.trim()) != pages.app.admin_token {
        tracing::warn!("an admin console sign-in with a wrong admin token");
        return render(
            StatusCode::UNAUTHORIZED,
            &csrf,
            &SignInPage {
                chrome: chrome("Sign in", "", &csrf, false),
                next,
                error: Some("That admin token is not right. Use the token that portico serve printed on its first start (it is also in the data dir, in the file admin-token).".into()),
            },
        );
    }
    let token = pages.sessions.open();
    let cookie = Cookie::build((Surface::Admin.session_cookie(), token.expose().to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(pages.app.secure_cookies)
        .max_age(time::Duration::seconds(
            ADMIN_SESSION_LIFETIME.as_secs() as i64
        ))
        .build();
    (jar.add(cookie), see_other(&next)).into_response()
}

async fn sign_out(
    State(pages): State<AdminPages>,
    jar: CookieJar,
    _: Posted<NoFields>,
) -> Response {
    if let Some(cookie) = jar.get(Surface::Admin.session_cookie()) {
        pages.sessions.close(cookie.value());
    }
    (
        jar.remove(Cookie::build(Surface::Admin.session_cookie()).path("/")),
        see_other("/signin?notice=signed_out"),
    )
        .into_response()
}

// ------------------------------------------------------------------ Settings > Application Setup

/// The Application Setup form as typed. The secret is read once and never written back.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SetupFields {
    provider_type: String,
    issuer: String,
    client_token_audience: String,
    scopes: String,
    consumer_claims: String,
    initial_client_id: String,
    initial_client_secret: String,
    initial_client_audience: String,
}

#[derive(Template)]
#[template(path = "admin/application_setup.html")]
struct SetupPage {
    chrome: Chrome,
    form: SetupFields,
    errors: FieldErrors,
    /// One sentence above the form when saving failed.
    error: Option<String>,
    /// The verifier's causes, one per line.
    problems: Vec<String>,
    warnings: Vec<String>,
    has_stored_secret: bool,
    configured: bool,
}

async fn setup_form(
    _: Admin,
    State(pages): State<AdminPages>,
    csrf: Csrf,
    Query(query): Query<PageQuery>,
) -> Response {
    let setup = match pages.app.portico.application_setup().await {
        Ok(setup) => setup,
        Err(error) => return error_page(&csrf, error.into(), "/"),
    };
    let form = match &setup {
        Some(setup) => {
            let (initial_client_id, initial_client_audience) = match &setup.provider.dcr_config {
                DcrConfig::Auth0 {
                    initial_client_id,
                    initial_client_audience,
                    ..
                } => (
                    initial_client_id.clone(),
                    initial_client_audience.clone().unwrap_or_default(),
                ),
                DcrConfig::Builtin => (String::new(), String::new()),
            };
            let oidc = &setup.strategy.openid_connect;
            SetupFields {
                provider_type: setup.provider.provider_type.as_str().to_owned(),
                issuer: setup.provider.issuer.as_str().to_owned(),
                client_token_audience: oidc.audience.clone(),
                scopes: oidc.scopes.join(" "),
                consumer_claims: oidc.credential_claim.join(" "),
                initial_client_id,
                initial_client_secret: String::new(),
                initial_client_audience,
            }
        }
        None => SetupFields {
            provider_type: "auth0".into(),
            ..SetupFields::default()
        },
    };
    let mut chrome = chrome("Application Setup", "settings", &csrf, true);
    chrome.notice = notice(query.notice.as_deref());
    render(
        StatusCode::OK,
        &csrf,
        &SetupPage {
            chrome,
            form,
            errors: FieldErrors::default(),
            error: None,
            problems: Vec::new(),
            warnings: Vec::new(),
            has_stored_secret: setup
                .as_ref()
                .is_some_and(|setup| setup.provider.provider_type == ProviderType::Auth0),
            configured: setup.is_some(),
        },
    )
}

async fn save_setup(
    _: Admin,
    State(pages): State<AdminPages>,
    Posted { form, csrf }: Posted<SetupFields>,
) -> Response {
    let mut form = form;
    let secret = std::mem::take(&mut form.initial_client_secret);
    let portico = &pages.app.portico;
    let existing = portico.application_setup().await.ok().flatten();
    let page = |status: StatusCode,
                form: SetupFields,
                errors: FieldErrors,
                error: Option<String>,
                problems: Vec<String>| {
        render(
            status,
            &csrf,
            &SetupPage {
                chrome: chrome("Application Setup", "settings", &csrf, true),
                form,
                errors,
                error,
                problems,
                warnings: Vec::new(),
                has_stored_secret: existing
                    .as_ref()
                    .is_some_and(|setup| setup.provider.provider_type == ProviderType::Auth0),
                configured: existing.is_some(),
            },
        )
    };
    if form.provider_type == "builtin" {
        // The built-in provider needs none of the fields: the core decides whether this
        // server has one and makes it the default again, or says why not.
        let input = ApplicationSetupInput {
            provider_type: "builtin".into(),
            issuer: String::new(),
            client_token_audience: String::new(),
            scopes: Vec::new(),
            consumer_claims: Vec::new(),
            initial_client_id: String::new(),
            initial_client_secret: None,
            initial_client_audience: None,
        };
        return match portico.save_application_setup(input).await {
            Ok(_) => see_other("/settings/application-setup?notice=builtin_saved"),
            Err(error) => {
                let error = PageError::from(error);
                let mut errors = FieldErrors::default();
                errors.push(
                    "provider_type",
                    "The built-in identity provider is not available on this server yet. Choose Auth0.",
                );
                page(
                    error.status,
                    form,
                    errors,
                    Some(format!("Nothing was saved. {}", error.message)),
                    Vec::new(),
                )
            }
        };
    }
    let input = ApplicationSetupInput {
        provider_type: form.provider_type.trim().to_owned(),
        issuer: form.issuer.trim().to_owned(),
        client_token_audience: form.client_token_audience.trim().to_owned(),
        scopes: split_list(&form.scopes),
        consumer_claims: split_list(&form.consumer_claims),
        initial_client_id: form.initial_client_id.trim().to_owned(),
        initial_client_secret: (!secret.trim().is_empty())
            .then(|| SecretString::new(secret.trim())),
        initial_client_audience: Some(form.initial_client_audience.trim().to_owned())
            .filter(|value| !value.is_empty()),
    };
    drop(secret);
    match portico.save_application_setup(input).await {
        Ok(saved) if saved.warnings.is_empty() => {
            see_other("/settings/application-setup?notice=setup_saved")
        }
        Ok(saved) => {
            let mut chrome = chrome("Application Setup", "settings", &csrf, true);
            chrome.notice = notice(Some("setup_saved"));
            render(
                StatusCode::OK,
                &csrf,
                &SetupPage {
                    chrome,
                    form,
                    errors: FieldErrors::default(),
                    error: None,
                    problems: Vec::new(),
                    warnings: saved.warnings,
                    has_stored_secret: true,
                    configured: true,
                },
            )
        }
        Err(CoreError::VerificationFailed(problems)) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            FieldErrors::default(),
            Some("Portico could not verify these settings with Auth0, so nothing was saved. Fix what is listed below, enter the Initial Client Secret again, and click Save.".into()),
            problems.iter().map(|problem| capitalize(problem)).collect(),
        ),
        Err(error) => {
            let error = PageError::from(error);
            page(
                error.status,
                form,
                FieldErrors::new(error.fields),
                Some(format!("Nothing was saved. {}", error.message)),
                Vec::new(),
            )
        }
    }
}

// ------------------------------------------------------------------ Settings > Portal

#[derive(Template)]
#[template(path = "admin/portal_settings.html")]
struct PortalSettingsPage {
    chrome: Chrome,
    auto_approve_developers: bool,
    auto_approve_registrations: bool,
}

async fn portal_settings_form(
    _: Admin,
    State(pages): State<AdminPages>,
    csrf: Csrf,
    Query(query): Query<PageQuery>,
) -> Response {
    match pages.app.portico.portal_settings().await {
        Ok(settings) => {
            let mut chrome = chrome("Portal settings", "settings", &csrf, true);
            chrome.notice = notice(query.notice.as_deref());
            render(
                StatusCode::OK,
                &csrf,
                &PortalSettingsPage {
                    chrome,
                    auto_approve_developers: settings.auto_approve_developers,
                    auto_approve_registrations: settings.auto_approve_registrations,
                },
            )
        }
        Err(error) => error_page(&csrf, error.into(), "/"),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PortalSettingsFields {
    auto_approve_developers: Option<String>,
    auto_approve_registrations: Option<String>,
}

async fn save_portal_settings(
    _: Admin,
    State(pages): State<AdminPages>,
    Posted { form, csrf }: Posted<PortalSettingsFields>,
) -> Response {
    let changes = SettingsChanges {
        auto_approve_developers: Some(form.auto_approve_developers.is_some()),
        auto_approve_registrations: Some(form.auto_approve_registrations.is_some()),
        default_auth_strategy_id: None,
    };
    match pages.app.portico.update_portal_settings(changes).await {
        Ok(_) => see_other("/settings/portal?notice=settings_saved"),
        Err(error) => error_page(&csrf, error.into(), "/settings/portal"),
    }
}

// ------------------------------------------------------------------ APIs

#[derive(Template)]
#[template(path = "admin/apis.html")]
struct ApisPage {
    chrome: Chrome,
    apis: Vec<ApiView>,
}

async fn apis(
    _: Admin,
    State(pages): State<AdminPages>,
    csrf: Csrf,
    Query(query): Query<PageQuery>,
) -> Response {
    match pages.app.portico.apis().await {
        Ok(apis) => {
            let mut chrome = chrome("APIs", "apis", &csrf, true);
            chrome.notice = notice(query.notice.as_deref());
            render(
                StatusCode::OK,
                &csrf,
                &ApisPage {
                    chrome,
                    apis: apis.iter().map(ApiView::from).collect(),
                },
            )
        }
        Err(error) => error_page(&csrf, error.into(), "/"),
    }
}

/// The API form as typed. Routes are one list of paths with shared methods.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ApiFields {
    name: String,
    slug: String,
    version: String,
    description: String,
    upstream_url: String,
    paths: String,
    methods: String,
    strip_path: Option<String>,
    published: Option<String>,
    auth_strategy_id: String,
}

impl ApiFields {
    fn routes(&self) -> Vec<Route> {
        let paths = split_list(&self.paths);
        if paths.is_empty() {
            return Vec::new();
        }
        vec![Route {
            paths,
            methods: split_list(&self.methods)
                .into_iter()
                .map(|method| method.to_ascii_uppercase())
                .collect(),
            strip_path: self.strip_path.is_some(),
        }]
    }

    fn strategy(&self) -> Option<portico_core::id::AuthStrategyId> {
        parse(self.auth_strategy_id.trim())
    }
}

struct StrategyChoice {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "admin/api_form.html")]
struct ApiFormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    submit: String,
    api_id: Option<String>,
    form: ApiFields,
    strategies: Vec<StrategyChoice>,
    merged_routes: usize,
    errors: FieldErrors,
    error: Option<String>,
}

fn api_field(field: &str) -> String {
    if field.starts_with("routes") && field.contains("methods") {
        "methods".into()
    } else if field.starts_with("routes") {
        "paths".into()
    } else {
        field.to_owned()
    }
}

async fn strategies(pages: &AdminPages) -> Vec<StrategyChoice> {
    pages
        .app
        .portico
        .auth_strategies()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|strategy| StrategyChoice {
            id: strategy.id.to_string(),
            name: strategy.name,
        })
        .collect()
}

async fn new_api_form(_: Admin, State(pages): State<AdminPages>, csrf: Csrf) -> Response {
    render(
        StatusCode::OK,
        &csrf,
        &ApiFormPage {
            chrome: chrome("New API", "apis", &csrf, true),
            heading: "New API".into(),
            action: "/apis/new".into(),
            submit: "Create API".into(),
            api_id: None,
            form: ApiFields {
                version: "1.0".into(),
                strip_path: Some("on".into()),
                ..ApiFields::default()
            },
            strategies: strategies(&pages).await,
            merged_routes: 0,
            errors: FieldErrors::default(),
            error: None,
        },
    )
}

async fn create_api(
    _: Admin,
    State(pages): State<AdminPages>,
    Posted { form, csrf }: Posted<ApiFields>,
) -> Response {
    let input = NewApi {
        name: form.name.clone(),
        slug: Some(form.slug.trim().to_owned()).filter(|slug| !slug.is_empty()),
        description: form.description.trim().to_owned(),
        version: form.version.trim().to_owned(),
        upstream_url: form.upstream_url.trim().to_owned(),
        routes: form.routes(),
        auth_strategy_id: form.strategy(),
        published: form.published.is_some(),
    };
    match pages.app.portico.create_api(input).await {
        Ok(_) => see_other("/apis?notice=api_created"),
        Err(error) => {
            let error = PageError::from(error);
            render(
                error.status,
                &csrf,
                &ApiFormPage {
                    chrome: chrome("New API", "apis", &csrf, true),
                    heading: "New API".into(),
                    action: "/apis/new".into(),
                    submit: "Create API".into(),
                    api_id: None,
                    form,
                    strategies: strategies(&pages).await,
                    merged_routes: 0,
                    errors: FieldErrors::mapped(error.fields, api_field),
                    error: Some(error.message),
                },
            )
        }
    }
}

async fn edit_api_form(
    _: Admin,
    State(pages): State<AdminPages>,
    csrf: Csrf,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse(&id) else {
        return not_found(
            chrome("Not found", "apis", &csrf, true),
            &csrf,
            "API",
            "/apis",
        );
    };
    let api = match pages.app.portico.api(id).await {
        Ok(api) => api,
        Err(error) => return error_page(&csrf, error.into(), "/apis"),
    };
    let form = ApiFields {
        name: api.name.clone(),
        slug: api.slug.clone(),
        version: api.version.clone(),
        description: api.description.clone(),
        upstream_url: api.upstream_url.to_string(),
        paths: api
            .routes
            .iter()
            .flat_map(|route| route.paths.iter().cloned())
            .collect::<Vec<_>>()
            .join("\n"),
        methods: api
            .routes
            .first()
            .map(|route| route.methods.join(", "))
            .unwrap_or_default(),
        strip_path: api
            .routes
            .first()
            .is_none_or(|route| route.strip_path)
            .then(|| "on".into()),
        published: api.published.then(|| "on".into()),
        auth_strategy_id: api
            .auth_strategy_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
    };
    render(
        StatusCode::OK,
        &csrf,
        &ApiFormPage {
            chrome: chrome(&api.name, "apis", &csrf, true),
            heading: format!("Edit {}", api.name),
            action: format!("/apis/{}", api.id),
            submit: "Save".into(),
            api_id: Some(api.id.to_string()),
            form,
            strategies: strategies(&pages).await,
            merged_routes: if api.routes.len() > 1 {
                api.routes.len()
            } else {
                0
            },
            errors: FieldErrors::default(),
            error: None,
        },
    )
}

async fn update_api(
    _: Admin,
    State(pages): State<AdminPages>,
    Path(id): Path<String>,
    Posted { form, csrf }: Posted<ApiFields>,
) -> Response {
    let Some(api_id) = parse(&id) else {
        return not_found(
            chrome("Not found", "apis", &csrf, true),
            &csrf,
            "API",
            "/apis",
        );
    };
    let changes = ApiChanges {
        name: Some(form.name.clone()),
        slug: Some(form.slug.trim().to_owned()),
        description: Some(form.description.trim().to_owned()),
        version: Some(form.version.trim().to_owned()),
        upstream_url: Some(form.upstream_url.trim().to_owned()),
        routes: Some(form.routes()),
        auth_strategy_id: Some(form.strategy()),
        published: Some(form.published.is_some()),
    };
    match pages.app.portico.update_api(api_id, changes).await {
        Ok(_) => see_other("/apis?notice=api_saved"),
        Err(error) => {
            let error = PageError::from(error);
            if error.status == StatusCode::NOT_FOUND {
                return error_page(&csrf, error, "/apis");
            }
            render(
                error.status,
                &csrf,
                &ApiFormPage {
                    chrome: chrome("Edit API", "apis", &csrf, true),
                    heading: format!("Edit {}", form.name),
                    action: format!("/apis/{id}"),
                    submit: "Save".into(),
                    api_id: Some(id),
                    form,
                    strategies: strategies(&pages).await,
                    merged_routes: 0,
                    errors: FieldErrors::mapped(error.fields, api_field),
                    error: Some(error.message),
                },
            )
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PublishFields {
    published: String,
}

async fn publish_api(
    _: Admin,
    State(pages): State<AdminPages>,
    Path(id): Path<String>,
    Posted { form, csrf }: Posted<PublishFields>,
) -> Response {
    let Some(api_id) = parse(&id) else {
        return not_found(
            chrome("Not found", "apis", &csrf, true),
            &csrf,
            "API",
            "/apis",
        );
    };
    let published = form.published == "true";
    let changes = ApiChanges {
        published: Some(published),
        ..ApiChanges::default()
    };
    match pages.app.portico.update_api(api_id, changes).await {
        Ok(_) if published => see_other("/apis?notice=api_published"),
        Ok(_) => see_other("/apis?notice=api_unpublished"),
        Err(error) => error_page(&csrf, error.into(), "/apis"),
    }
}

async fn confirm_delete_api(
    _: Admin,
    State(pages): State<AdminPages>,
    csrf: Csrf,
    Path(id): Path<String>,
) -> Response {
    let Some(api_id) = parse(&id) else {
        return not_found(
            chrome("Not found", "apis", &csrf, true),
            &csrf,
            "API",
            "/apis",
        );
    };
    match pages.app.portico.api(api_id).await {
        Ok(api) => render(
            StatusCode::OK,
            &csrf,
            &ConfirmPage {
                chrome: chrome("Delete API", "apis", &csrf, true),
                heading: format!("Delete {}?", api.name),
                message: "The API leaves the catalog and the gateway stops routing it. Its registrations are deleted with it. This cannot be undone.".into(),
                action: format!("/apis/{}/delete", api.id),
                button: "Delete API".into(),
                cancel_href: format!("/apis/{}", api.id),
            },
        ),
        Err(error) => error_page(&csrf, error.into(), "/apis"),
    }
}

async fn delete_api(
    _: Admin,
    State(pages): State<AdminPages>,
    Path(id): Path<String>,
    Posted { csrf, .. }: Posted<NoFields>,
) -> Response {
    let Some(api_id) = parse(&id) else {
        return not_found(
            chrome("Not found", "apis", &csrf, true),
            &csrf,
            "API",
            "/apis",
        );
    };
    match pages.app.portico.delete_api(api_id).await {
        Ok(()) => see_other("/apis?notice=api_deleted"),
        Err(error) => error_page(&csrf, error.into(), "/apis"),
    }
}

// ------------------------------------------------------------------ Developers

#[derive(Template)]
#[template(path = "admin/developers.html")]
struct DevelopersPage {
    chrome: Chrome,
    developers: Vec<DeveloperView>,
}

async fn developers(
    _: Admin,
    State(pages): State<AdminPages>,
    csrf: Csrf,
    Query(query): Query<PageQuery>,
) -> Response {
    match pages.app.portico.developers().await {
        Ok(developers) => {
            let mut chrome = chrome("Developers", "developers", &csrf, true);
            chrome.notice = notice(query.notice.as_deref());
            render(
                StatusCode::OK,
                &csrf,
                &DevelopersPage {
                    chrome,
                    developers: developers.iter().map(DeveloperView::from).collect(),
                },
            )
        }
        Err(error) => error_page(&csrf, error.into(), "/"),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatusFields {
    status: String,
    back: String,
}

async fn set_developer_status(
    _: Admin,
    State(pages): State<AdminPages>,
    Path(id): Path<String>,
    Posted { form, csrf }: Posted<StatusFields>,
) -> Response {
    let (Some(developer_id), Some(status)) = (parse(&id), ApprovalStatus::parse(&form.status))
    else {
        return not_found(
            chrome("Not found", "developers", &csrf, true),
            &csrf,
            "developer",
            "/developers",
        );
    };
    match pages
        .app
        .portico
        .set_developer_status(developer_id, status)
        .await
    {
        Ok(_) => see_other("/developers?notice=developer_updated"),
        Err(error) => error_page(&csrf, error.into(), "/developers"),
    }
}

// ------------------------------------------------------------------ Registrations

#[derive(Template)]
#[template(path = "admin/registrations.html")]
struct RegistrationsPage {
    chrome: Chrome,
    show_all: bool,
    registrations: Vec<RegistrationView>,
}

async fn registrations(
    _: Admin,
    State(pages): State<AdminPages>,
    csrf: Csrf,
    Query(query): Query<PageQuery>,
) -> Response {
    let show_all = query.status.as_deref() == Some("all");
    let portico = &pages.app.portico;
    let result = async {
        let registrations = portico
            .registrations((!show_all).then_some(ApprovalStatus::Pending))
            .await?;
        let names = Names {
            apis: portico
                .apis()
                .await?
                .into_iter()
                .map(|api| (api.id.to_string(), (api.name, api.slug)))
                .collect(),
            applications: portico
                .applications()
                .await?
                .into_iter()
                .map(|application| {
                    (
                        application.id.to_string(),
                        (application.name, application.developer_id.to_string()),
                    )
                })
                .collect(),
            developers: portico
                .developers()
                .await?
                .into_iter()
                .map(|developer| {
                    (
                        developer.id.to_string(),
                        format!("{} <{}>", developer.full_name, developer.email),
                    )
                })
                .collect(),
        };
        Ok::<_, CoreError>(
            registrations
                .iter()
                .map(|registration| names.registration(registration))
                .collect(),
        )
    }
    .await;
    match result {
        Ok(registrations) => {
            let mut chrome = chrome("Registrations", "registrations", &csrf, true);
            chrome.notice = notice(query.notice.as_deref());
            render(
                StatusCode::OK,
                &csrf,
                &RegistrationsPage {
                    chrome,
                    show_all,
                    registrations,
                },
            )
        }
        Err(error) => error_page(&csrf, error.into(), "/"),
    }
}

async fn set_registration_status(
    _: Admin,
    State(pages): State<AdminPages>,
    Path(id): Path<String>,
    Posted { form, csrf }: Posted<StatusFields>,
) -> Response {
    let (Some(registration_id), Some(status)) = (parse(&id), ApprovalStatus::parse(&form.status))
    else {
        return not_found(
            chrome("Not found", "registrations", &csrf, true),
            &csrf,
            "registration",
            "/registrations",
        );
    };
    let back = if form.back == "all" {
        "/registrations?status=all&notice=registration_updated"
    } else {
        "/registrations?notice=registration_updated"
    };
    match pages
        .app
        .portico
        .set_registration_status(registration_id, status)
        .await
    {
        Ok(_) => see_other(back),
        Err(error) => error_page(&csrf, error.into(), "/registrations"),
    }
}
