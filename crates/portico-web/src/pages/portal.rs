//! The Dev Portal on the portal listener: the catalog, sign-up and sign-in, My Apps, the
//! Create New Application form, the credentials shown once, and each application's page.

use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::Cookie;
use axum_extra::extract::CookieJar;
use portico_core::id::ApplicationId;
use portico_core::model::{Api, Application, ApprovalStatus, Developer};
use portico_core::service::{ApplicationChanges, CreatedApplication, NewApplication, SignUp};
use portico_core::{CoreError, SecretString};
use serde::Deserialize;

use super::csrf::{Csrf, Posted};
use super::views::{date, ApiView, ApplicationView, Names, RegistrationView};
use super::{
    not_found, parse, render, safe_next, see_other, Chrome, ConfirmPage, FieldErrors, MessagePage,
    NavItem, PageError, PageState, Surface,
};
use crate::portal::session_cookie;
use crate::AppState;

#[derive(Clone)]
pub(crate) struct PortalPages {
    app: AppState,
}

impl PageState for PortalPages {
    const SURFACE: Surface = Surface::Portal;
    fn app(&self) -> &AppState {
        &self.app
    }
}

pub(super) fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(catalog))
        .route("/apis/{key}", get(api_page))
        .route("/signup", get(sign_up_form).post(sign_up))
        .route("/signin", get(sign_in_form).post(sign_in))
        .route("/signout", post(sign_out))
        .route("/apps", get(my_apps))
        .route("/apps/new", get(new_app_form).post(create_app))
        .route("/apps/{id}", get(app_page))
        .route("/apps/{id}/edit", get(edit_app_form).post(update_app))
        .route(
            "/apps/{id}/delete",
            get(confirm_delete_app).post(delete_app),
        )
        .route(
            "/apps/{id}/regenerate-secret",
            get(confirm_regenerate).post(regenerate),
        )
        .route("/apps/{id}/registrations", post(register))
        .route(
            "/apps/{id}/registrations/{registration_id}/delete",
            post(unregister),
        )
        .merge(super::assets())
        .fallback(unknown_page)
        .layer(axum::middleware::from_fn(super::page_headers))
        .with_state(PortalPages { app: state })
}

pub(crate) fn chrome(
    title: &str,
    active: &str,
    csrf: &Csrf,
    developer: Option<&Developer>,
) -> Chrome {
    let mut nav = vec![NavItem {
        href: "/",
        label: "APIs",
        active: active == "catalog",
    }];
    if developer.is_some() {
        nav.push(NavItem {
            href: "/apps",
            label: "My Apps",
            active: active == "apps",
        });
    }
    Chrome {
        title: format!("{title} · Dev Portal"),
        product: "Dev Portal",
        home: "/",
        nav,
        account: developer.map(|developer| developer.full_name.clone()),
        show_sign_in_links: developer.is_none(),
        csrf: csrf.token().to_owned(),
        notice: None,
    }
}

fn notice(code: Option<&str>) -> Option<String> {
    let text = match code? {
        "signed_out" => "You are signed out.",
        "welcome" => "Welcome! Your account is ready. Create an application to get credentials.",
        "registered" => "Registered: the application can call this API now.",
        "registration_pending" => {
            "Registration requested: it waits for approval by the API provider."
        }
        "unregistered" => "Registration removed.",
        "app_saved" => "Application saved.",
        "app_deleted" => "Application deleted. Its credentials no longer work.",
        _ => return None,
    };
    Some(text.to_owned())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    notice: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoFields {}

/// The developer signed in with the session cookie; others are sent to the sign-in page.
struct SignedIn {
    developer: Developer,
}

impl FromRequestParts<PortalPages> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &PortalPages,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        if let Some(cookie) = jar.get(Surface::Portal.session_cookie()) {
            let token = SecretString::new(cookie.value());
            if let Ok(developer) = state.app.portico.developer_for_session(&token).await {
                return Ok(SignedIn { developer });
            }
        }
        let next = if parts.method == Method::GET {
            parts
                .uri
                .path_and_query()
                .map(|value| value.as_str())
                .unwrap_or("/apps")
        } else {
            "/apps"
        };
        let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
        Err(see_other(&format!("/signin?{query}")))
    }
}

/// Whoever is looking: a signed-in developer or nobody in particular.
struct Visitor(Option<Developer>);

impl FromRequestParts<PortalPages> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &PortalPages,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(Surface::Portal.session_cookie()) else {
            return Ok(Visitor(None));
        };
        let token = SecretString::new(cookie.value());
        Ok(Visitor(
            state.app.portico.developer_for_session(&token).await.ok(),
        ))
    }
}

/// Unknown paths: an HTML page for browsers, the API's plain 404 (made a problem) otherwise.
async fn unknown_page(Visitor(developer): Visitor, csrf: Csrf, request: Request) -> Response {
    if !super::wants_html_not_found(&request) {
        return StatusCode::NOT_FOUND.into_response();
    }
    not_found(
        chrome("Not found", "", &csrf, developer.as_ref()),
        &csrf,
        "page",
        "/",
    )
}

fn error_page(
    csrf: &Csrf,
    developer: Option<&Developer>,
    error: PageError,
    what: &str,
    back: &str,
) -> Response {
    if error.status == StatusCode::NOT_FOUND {
        return not_found(chrome("Not found", "", csrf, developer), csrf, what, back);
    }
    render(
        error.status,
        csrf,
        &MessagePage {
            chrome: chrome("Something went wrong", "", csrf, developer),
            heading: "That did not work".into(),
            message: error.message,
            link_href: back.into(),
            link_label: "Go back".into(),
        },
    )
}

/// The developer's own application named by a path id; any other id is "not found".
async fn own_application(
    pages: &PortalPages,
    developer: &Developer,
    id: &str,
) -> Result<Application, CoreError> {
    match parse(id) {
        Some(id) => pages.app.portico.own_application(developer, id).await,
        None => Err(CoreError::NotFound("application")),
    }
}

// ------------------------------------------------------------------ Catalog

#[derive(Template)]
#[template(path = "portal/catalog.html")]
struct CatalogPage {
    chrome: Chrome,
    apis: Vec<ApiView>,
}

async fn catalog(
    State(pages): State<PortalPages>,
    Visitor(developer): Visitor,
    csrf: Csrf,
    Query(query): Query<PageQuery>,
) -> Response {
    match pages.app.portico.published_apis().await {
        Ok(apis) => {
            let mut chrome = chrome("APIs", "catalog", &csrf, developer.as_ref());
            chrome.notice = notice(query.notice.as_deref());
            render(
                StatusCode::OK,
                &csrf,
                &CatalogPage {
                    chrome,
                    apis: apis.iter().map(ApiView::from).collect(),
                },
            )
        }
        Err(error) => error_page(&csrf, developer.as_ref(), error.into(), "page", "/"),
    }
}

struct AppChoice {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "portal/api.html")]
struct ApiPage {
    chrome: Chrome,
    api: ApiView,
    signed_in: bool,
    /// The developer's applications not yet registered for this API.
    choices: Vec<AppChoice>,
    /// The developer's applications already registered, with their status.
    registered: Vec<(String, String, super::views::StatusView)>,
}

/// An API of the catalog by slug or id.
async fn find_api(pages: &PortalPages, key: &str) -> Result<Api, CoreError> {
    if let Some(id) = parse(key) {
        return pages.app.portico.published_api(id).await;
    }
    pages
        .app
        .portico
        .published_apis()
        .await?
        .into_iter()
        .find(|api| api.slug == key)
        .ok_or(CoreError::NotFound("api"))
}

async fn api_page(
    State(pages): State<PortalPages>,
    Visitor(developer): Visitor,
    csrf: Csrf,
    Path(key): Path<String>,
) -> Response {
    let api = match find_api(&pages, &key).await {
        Ok(api) => api,
        Err(error) => return error_page(&csrf, developer.as_ref(), error.into(), "API", "/"),
    };
    let mut choices = Vec::new();
    let mut registered = Vec::new();
    if let Some(developer) = &developer {
        let applications = pages
            .app
            .portico
            .applications_of(developer)
            .await
            .unwrap_or_default();
        for application in applications {
            let registrations = pages
                .app
                .portico
                .registrations_of(developer, application.id)
                .await
                .unwrap_or_default();
            match registrations
                .iter()
                .find(|registration| registration.api_id == api.id)
            {
                Some(registration) => registered.push((
                    application.id.to_string(),
                    application.name.clone(),
                    registration.status.into(),
                )),
                None => choices.push(AppChoice {
                    id: application.id.to_string(),
                    name: application.name.clone(),
                }),
            }
        }
    }
    render(
        StatusCode::OK,
        &csrf,
        &ApiPage {
            chrome: chrome(&api.name, "catalog", &csrf, developer.as_ref()),
            api: ApiView::from(&api),
            signed_in: developer.is_some(),
            choices,
            registered,
        },
    )
}

// ------------------------------------------------------------------ Sign-up, sign-in, sign-out

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignUpFields {
    full_name: String,
    email: String,
    password: String,
}

#[derive(Template)]
#[template(path = "portal/signup.html")]
struct SignUpPage {
    chrome: Chrome,
    full_name: String,
    email: String,
    errors: FieldErrors,
    error: Option<String>,
}

async fn sign_up_form(Visitor(developer): Visitor, csrf: Csrf) -> Response {
    if developer.is_some() {
        return see_other("/apps");
    }
    render(
        StatusCode::OK,
        &csrf,
        &SignUpPage {
            chrome: chrome("Sign up", "signup", &csrf, None),
            full_name: String::new(),
            email: String::new(),
            errors: FieldErrors::default(),
            error: None,
        },
    )
}

async fn sign_up(
    State(pages): State<PortalPages>,
    jar: CookieJar,
    Posted { form, csrf }: Posted<SignUpFields>,
) -> Response {
    let portico = &pages.app.portico;
    let password = SecretString::new(form.password);
    let result = portico
        .sign_up(SignUp {
            email: form.email.clone(),
            password: password.clone(),
            full_name: form.full_name.clone(),
        })
        .await;
    match result {
        Ok(developer) if developer.status == ApprovalStatus::Approved => {
            // Approved at once: sign in straight away, as people expect after signing up.
            match portico.sign_in(&developer.email, password).await {
                Ok(sign_in) => {
                    let cookie = session_cookie(&pages.app, sign_in.token.expose().to_owned());
                    (jar.add(cookie), see_other("/apps?notice=welcome")).into_response()
                }
                Err(_) => see_other("/signin"),
            }
        }
        Ok(_) => render(
            StatusCode::OK,
            &csrf,
            &MessagePage {
                chrome: chrome("Thanks for signing up", "", &csrf, None),
                heading: "Thanks for signing up".into(),
                message: "Your account waits for approval by the portal's administrator. You can sign in once it is approved.".into(),
                link_href: "/".into(),
                link_label: "Browse the APIs".into(),
            },
        ),
        Err(error) => {
            let error = PageError::from(error);
            render(
                error.status,
                &csrf,
                &SignUpPage {
                    chrome: chrome("Sign up", "signup", &csrf, None),
                    full_name: form.full_name,
                    email: form.email,
                    errors: FieldErrors::new(error.fields),
                    error: Some(error.message),
                },
            )
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignInFields {
    email: String,
    password: String,
    next: String,
}

#[derive(Template)]
#[template(path = "portal/signin.html")]
struct SignInPage {
    chrome: Chrome,
    email: String,
    next: String,
    error: Option<String>,
}

async fn sign_in_form(
    Visitor(developer): Visitor,
    csrf: Csrf,
    Query(query): Query<PageQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref().unwrap_or("/apps"), "/apps");
    if developer.is_some() {
        return see_other(&next);
    }
    let mut chrome = chrome("Sign in", "signin", &csrf, None);
    chrome.notice = notice(query.notice.as_deref());
    render(
        StatusCode::OK,
        &csrf,
        &SignInPage {
            chrome,
            email: String::new(),
            next,
            error: None,
        },
    )
}

async fn sign_in(
    State(pages): State<PortalPages>,
    jar: CookieJar,
    Posted { form, csrf }: Posted<SignInFields>,
) -> Response {
    let next = safe_next(&form.next, "/apps");
    match pages
        .app
        .portico
        .sign_in(&form.email, SecretString::new(form.password))
        .await
    {
        Ok(sign_in) => {
            let cookie = session_cookie(&pages.app, sign_in.token.expose().to_owned());
            (jar.add(cookie), see_other(&next)).into_response()
        }
        Err(error) => {
            let error = PageError::from(error);
            render(
                error.status,
                &csrf,
                &SignInPage {
                    chrome: chrome("Sign in", "signin", &csrf, None),
                    email: form.email,
                    next,
                    error: Some(error.message),
                },
            )
        }
    }
}

async fn sign_out(
    State(pages): State<PortalPages>,
    jar: CookieJar,
    _: Posted<NoFields>,
) -> Response {
    if let Some(cookie) = jar.get(Surface::Portal.session_cookie()) {
        let _ = pages
            .app
            .portico
            .sign_out(&SecretString::new(cookie.value()))
            .await;
    }
    (
        jar.remove(Cookie::build(Surface::Portal.session_cookie()).path("/")),
        see_other("/?notice=signed_out"),
    )
        .into_response()
}

// ------------------------------------------------------------------ My Apps

#[derive(Template)]
#[template(path = "portal/apps.html")]
struct AppsPage {
    chrome: Chrome,
    apps: Vec<ApplicationView>,
}

async fn my_apps(
    State(pages): State<PortalPages>,
    SignedIn { developer }: SignedIn,
    csrf: Csrf,
    Query(query): Query<PageQuery>,
) -> Response {
    match pages.app.portico.applications_of(&developer).await {
        Ok(applications) => {
            let mut chrome = chrome("My Apps", "apps", &csrf, Some(&developer));
            chrome.notice = notice(query.notice.as_deref());
            render(
                StatusCode::OK,
                &csrf,
                &AppsPage {
                    chrome,
                    apps: applications.iter().map(ApplicationView::from).collect(),
                },
            )
        }
        Err(error) => error_page(&csrf, Some(&developer), error.into(), "page", "/"),
    }
}

/// The Create New Application form (and the edit form) as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
struct AppFields {
    name: String,
    redirect_uri: String,
    description: String,
    /// Made when the form is shown, so that a form sent twice makes one application.
    idempotency_key: String,
}

#[derive(Template)]
#[template(path = "portal/app_form.html")]
struct AppFormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    submit: String,
    cancel_href: String,
    form: AppFields,
    errors: FieldErrors,
    error: Option<String>,
    setup_missing: bool,
}

async fn setup_missing(pages: &PortalPages) -> bool {
    pages
        .app
        .portico
        .portal_settings()
        .await
        .map(|settings| settings.default_auth_strategy_id.is_none())
        .unwrap_or(false)
}

async fn new_app_form(
    State(pages): State<PortalPages>,
    SignedIn { developer }: SignedIn,
    csrf: Csrf,
) -> Response {
    render(
        StatusCode::OK,
        &csrf,
        &AppFormPage {
            chrome: chrome("Create New Application", "apps", &csrf, Some(&developer)),
            heading: "Create New Application".into(),
            action: "/apps/new".into(),
            submit: "Create".into(),
            cancel_href: "/apps".into(),
            form: AppFields {
                idempotency_key: SecretString::random(18).expose().to_owned(),
                ..AppFields::default()
            },
            errors: FieldErrors::default(),
            error: None,
            setup_missing: setup_missing(&pages).await,
        },
    )
}

/// Shows a client secret once: the answer to the POST that made it, never a GET.
#[derive(Template)]
#[template(path = "portal/credentials.html")]
struct CredentialsPage {
    chrome: Chrome,
    heading: String,
    intro: String,
    application_id: String,
    client_id: String,
    client_secret: String,
}

async fn create_app(
    State(pages): State<PortalPages>,
    SignedIn { developer }: SignedIn,
    Posted { form, csrf }: Posted<AppFields>,
) -> Response {
    let key = form.idempotency_key.trim();
    let key = (!key.is_empty() && key.len() <= 255).then_some(key);
    let input = NewApplication {
        name: form.name.clone(),
        description: form.description.trim().to_owned(),
        redirect_uri: Some(form.redirect_uri.trim().to_owned()).filter(|uri| !uri.is_empty()),
        auth_strategy_id: None,
    };
    match pages
        .app
        .portico
        .create_application(&developer, input, key)
        .await
    {
        Ok(CreatedApplication::Created {
            application,
            client_secret,
        }) => render(
            StatusCode::OK,
            &csrf,
            &CredentialsPage {
                chrome: chrome("Application created", "apps", &csrf, Some(&developer)),
                heading: "Application created".into(),
                intro: format!(
                    "{} is registered with the identity provider. These are its credentials.",
                    application.name
                ),
                application_id: application.id.to_string(),
                client_id: application.client_id.clone(),
                client_secret: client_secret.expose().to_owned(),
            },
        ),
        Ok(CreatedApplication::Replayed { application }) => render(
            StatusCode::OK,
            &csrf,
            &MessagePage {
                chrome: chrome("Application already created", "apps", &csrf, Some(&developer)),
                heading: "This application was already created".into(),
                message: format!(
                    "This form was sent before and created {}. Its Client Secret was shown only that first time; if you did not store it, regenerate it on the application's page.",
                    application.name
                ),
                link_href: format!("/apps/{}", application.id),
                link_label: "Open the application".into(),
            },
        ),
        Err(error) => {
            let error = PageError::from(error);
            let message = if error.fields.is_empty() {
                format!("The application was not created. {}", error.message)
            } else {
                error.message
            };
            render(
                error.status,
                &csrf,
                &AppFormPage {
                    chrome: chrome("Create New Application", "apps", &csrf, Some(&developer)),
                    heading: "Create New Application".into(),
                    action: "/apps/new".into(),
                    submit: "Create".into(),
                    cancel_href: "/apps".into(),
                    form,
                    errors: FieldErrors::new(error.fields),
                    error: Some(message),
                    setup_missing: false,
                },
            )
        }
    }
}

// ------------------------------------------------------------------ An application's page

struct ApiChoice {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "portal/app.html")]
struct AppPage {
    chrome: Chrome,
    app: ApplicationView,
    registrations: Vec<RegistrationView>,
    choices: Vec<ApiChoice>,
    error: Option<String>,
}

async fn app_page_response(
    pages: &PortalPages,
    developer: &Developer,
    csrf: &Csrf,
    id: ApplicationId,
    notice_code: Option<&str>,
    failure: Option<PageError>,
) -> Response {
    let portico = &pages.app.portico;
    let loaded = async {
        let application = portico.own_application(developer, id).await?;
        let registrations = portico.registrations_of(developer, id).await?;
        let published = portico.published_apis().await?;
        let all_apis = portico.apis().await?;
        Ok::<_, CoreError>((application, registrations, published, all_apis))
    }
    .await;
    let (application, registrations, published, all_apis) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            return error_page(csrf, Some(developer), error.into(), "application", "/apps")
        }
    };
    let names = Names {
        apis: all_apis
            .iter()
            .map(|api| (api.id.to_string(), (api.name.clone(), api.slug.clone())))
            .collect(),
        applications: [(
            application.id.to_string(),
            (application.name.clone(), developer.id.to_string()),
        )]
        .into_iter()
        .collect(),
        developers: Default::default(),
    };
    let choices = published
        .iter()
        .filter(|api| {
            !registrations
                .iter()
                .any(|registration| registration.api_id == api.id)
        })
        .map(|api| ApiChoice {
            id: api.id.to_string(),
            // The version tells apart APIs that share a name.
            name: if published
                .iter()
                .filter(|other| other.name == api.name)
                .count()
                > 1
            {
                format!("{} ({})", api.name, api.version)
            } else {
                api.name.clone()
            },
        })
        .collect();
    let mut chrome = chrome(&application.name, "apps", csrf, Some(developer));
    chrome.notice = notice(notice_code);
    let status = failure
        .as_ref()
        .map(|failure| failure.status)
        .unwrap_or(StatusCode::OK);
    render(
        status,
        csrf,
        &AppPage {
            chrome,
            app: ApplicationView::from(&application),
            registrations: registrations
                .iter()
                .map(|registration| names.registration(registration))
                .collect(),
            choices,
            error: failure.map(|failure| failure.message),
        },
    )
}

async fn app_page(
    State(pages): State<PortalPages>,
    SignedIn { developer }: SignedIn,
    csrf: Csrf,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let Some(id) = parse(&id) else {
        return not_found(
            chrome("Not found", "apps", &csrf, Some(&developer)),
            &csrf,
            "application",
            "/apps",
        );
    };
    app_page_response(&pages, &developer, &csrf, id, query.notice.as_deref(), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RegisterFields {
    api_id: String,
    /// Where to go afterwards: the application (default) or the API's page.
    back: String,
}

async fn register(
    State(pages): State<PortalPages>,
    SignedIn { developer }: SignedIn,
    Path(id): Path<String>,
    Posted { form, csrf }: Posted<RegisterFields>,
) -> Response {
    let Some(application_id) = parse(&id) else {
        return not_found(
            chrome("Not found", "apps", &csrf, Some(&developer)),
            &csrf,
            "application",
            "/apps",
        );
    };
    let Some(api_id) = parse(form.api_id.trim()) else {
        let failure = PageError {
            status: StatusCode::BAD_REQUEST,
            message: "Choose an API to register for.".into(),
            fields: Vec::new(),
        };
        return app_page_response(
            &pages,
            &developer,
            &csrf,
            application_id,
            None,
            Some(failure),
        )
        .await;
    };
    match pages
        .app
        .portico
        .register(&developer, application_id, api_id)
        .await
    {
        Ok(registration) => {
            let code = if registration.status == ApprovalStatus::Approved {
                "registered"
            } else {
                "registration_pending"
            };
            see_other(&format!("/apps/{application_id}?notice={code}"))
        }
        Err(error) => {
            let mut failure = PageError::from(error);
            if !failure.fields.is_empty() {
                failure.message =
                    "That API cannot be registered for: it is not in the catalog any more.".into();
            }
            app_page_response(
                &pages,
                &developer,
                &csrf,
                application_id,
                None,
                Some(failure),
            )
            .await
        }
    }
}

async fn unregister(
    State(pages): State<PortalPages>,
    SignedIn { developer }: SignedIn,
    Path((id, registration_id)): Path<(String, String)>,
    Posted { csrf, .. }: Posted<NoFields>,
) -> Response {
    let (Some(application_id), Some(registration_id)) = (parse(&id), parse(&registration_id))
    else {
        return not_found(
            chrome("Not found", "apps", &csrf, Some(&developer)),
            &csrf,
            "registration",
            "/apps",
        );
    };
    match pages
        .app
        .portico
        .unregister(&developer, application_id, registration_id)
        .await
    {
        Ok(()) => see_other(&format!("/apps/{application_id}?notice=unregistered")),
        Err(error) => {
            app_page_response(
                &pages,
                &developer,
                &csrf,
                application_id,
                None,
                Some(error.into()),
            )
            .await
        }
    }
}

// ------------------------------------------------------------------ Edit, delete, regenerate

async fn edit_app_form(
    State(pages): State<PortalPages>,
    SignedIn { developer }: SignedIn,
    csrf: Csrf,
    Path(id): Path<String>,
) -> Response {
    let application = own_application(&pages, &developer, &id).await;
    match application {
        Ok(application) => render(
            StatusCode::OK,
            &csrf,
            &AppFormPage {
                chrome: chrome("Edit application", "apps", &csrf, Some(&developer)),
                heading: format!("Edit {}", application.name),
                action: format!("/apps/{}/edit", application.id),
                submit: "Save".into(),
                cancel_href: format!("/apps/{}", application.id),
                form: AppFields {
                    name: application.name.clone(),
                    redirect_uri: application.redirect_uri.clone().unwrap_or_default(),
                    description: application.description.clone(),
                    idempotency_key: String::new(),
                },
                errors: FieldErrors::default(),
                error: None,
                setup_missing: false,
            },
        ),
        Err(error) => error_page(
            &csrf,
            Some(&developer),
            error.into(),
            "application",
            "/apps",
        ),
    }
}

async fn update_app(
    State(pages): State<PortalPages>,
    SignedIn { developer }: SignedIn,
    Path(id): Path<String>,
    Posted { form, csrf }: Posted<AppFields>,
) -> Response {
    let Some(application_id) = parse(&id) else {
        return not_found(
            chrome("Not found", "apps", &csrf, Some(&developer)),
            &csrf,
            "application",
            "/apps",
        );
    };
    let changes = ApplicationChanges {
        name: Some(form.name.clone()),
        description: Some(form.description.trim().to_owned()),
        redirect_uri: Some(Some(form.redirect_uri.trim().to_owned()).filter(|uri| !uri.is_empty())),
    };
    match pages
        .app
        .portico
        .update_application(&developer, application_id, changes)
        .await
    {
        Ok(_) => see_other(&format!("/apps/{application_id}?notice=app_saved")),
        Err(error) => {
            let error = PageError::from(error);
            if error.status == StatusCode::NOT_FOUND {
                return error_page(&csrf, Some(&developer), error, "application", "/apps");
            }
            render(
                error.status,
                &csrf,
                &AppFormPage {
                    chrome: chrome("Edit application", "apps", &csrf, Some(&developer)),
                    heading: "Edit application".into(),
                    action: format!("/apps/{application_id}/edit"),
                    submit: "Save".into(),
                    cancel_href: format!("/apps/{application_id}"),
                    form,
                    errors: FieldErrors::new(error.fields),
                    error: Some(error.message),
                    setup_missing: false,
                },
            )
        }
    }
}

async fn confirm_delete_app(
    State(pages): State<PortalPages>,
    SignedIn { developer }: SignedIn,
    csrf: Csrf,
    Path(id): Path<String>,
) -> Response {
    let application = own_application(&pages, &developer, &id).await;
    match application {
        Ok(application) => render(
            StatusCode::OK,
            &csrf,
            &ConfirmPage {
                chrome: chrome("Delete application", "apps", &csrf, Some(&developer)),
                heading: format!("Delete {}?", application.name),
                message: format!(
                    "Its credentials (Client ID {}) stop working at once, its registrations are removed, and its client is deleted from the identity provider. This cannot be undone.",
                    application.client_id
                ),
                action: format!("/apps/{}/delete", application.id),
                button: "Delete application".into(),
                cancel_href: format!("/apps/{}", application.id),
            },
        ),
        Err(error) => error_page(&csrf, Some(&developer), error.into(), "application", "/apps"),
    }
}

async fn delete_app(
    State(pages): State<PortalPages>,
    SignedIn { developer }: SignedIn,
    Path(id): Path<String>,
    Posted { csrf, .. }: Posted<NoFields>,
) -> Response {
    let result = match parse(&id) {
        Some(id) => {
            pages
                .app
                .portico
                .delete_own_application(&developer, id)
                .await
        }
        None => Err(CoreError::NotFound("application")),
    };
    match result {
        Ok(()) => see_other("/apps?notice=app_deleted"),
        Err(error) => error_page(
            &csrf,
            Some(&developer),
            error.into(),
            "application",
            "/apps",
        ),
    }
}

async fn confirm_regenerate(
    State(pages): State<PortalPages>,
    SignedIn { developer }: SignedIn,
    csrf: Csrf,
    Path(id): Path<String>,
) -> Response {
    let application = own_application(&pages, &developer, &id).await;
    match application {
        Ok(application) => render(
            StatusCode::OK,
            &csrf,
            &ConfirmPage {
                chrome: chrome("Regenerate secret", "apps", &csrf, Some(&developer)),
                heading: format!("Regenerate the Client Secret of {}?", application.name),
                message: "The identity provider issues a new Client Secret, shown to you once. The current secret stops working: update every program that uses it.".into(),
                action: format!("/apps/{}/regenerate-secret", application.id),
                button: "Regenerate secret".into(),
                cancel_href: format!("/apps/{}", application.id),
            },
        ),
        Err(error) => error_page(&csrf, Some(&developer), error.into(), "application", "/apps"),
    }
}

async fn regenerate(
    State(pages): State<PortalPages>,
    SignedIn { developer }: SignedIn,
    Path(id): Path<String>,
    Posted { csrf, .. }: Posted<NoFields>,
) -> Response {
    let result = match parse(&id) {
        Some(id) => pages.app.portico.regenerate_secret(&developer, id).await,
        None => Err(CoreError::NotFound("application")),
    };
    match result {
        Ok((application, secret)) => render(
            StatusCode::OK,
            &csrf,
            &CredentialsPage {
                chrome: chrome("New client secret", "apps", &csrf, Some(&developer)),
                heading: "New Client Secret".into(),
                intro: format!(
                    "The identity provider issued a new Client Secret for {} on {}. The old one no longer works.",
                    application.name,
                    date(application.updated_at)
                ),
                application_id: application.id.to_string(),
                client_id: application.client_id.clone(),
                client_secret: secret.expose().to_owned(),
            },
        ),
        Err(error) => error_page(&csrf, Some(&developer), error.into(), "application", "/apps"),
    }
}
