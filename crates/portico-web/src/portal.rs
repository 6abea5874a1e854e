//! The portal API (`product.md` section 4), on the portal listener under `/api/v1`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use portico_core::service::{CreatedApplication, SignUp, SESSION_LIFETIME_SECS};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Problem};
use crate::extract::{CurrentDeveloper, IdempotencyKey, JsonBody, SESSION_COOKIE};
use crate::openapi::PortalSecurity;
use crate::wire::*;
use crate::{parse_id, AppState};

type ApiResult<T> = Result<T, ApiError>;

#[derive(OpenApi)]
#[openapi(
    info(title = "Portico portal API", description = "Developer accounts, the API catalog, applications with their OAuth credentials, and registrations."),
    components(schemas(Problem)),
    modifiers(&PortalSecurity)
)]
struct PortalDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(PortalDoc::openapi())
        .routes(routes!(sign_up))
        .routes(routes!(authenticate))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(list_catalog))
        .routes(routes!(get_catalog_api))
        .routes(routes!(list_applications, create_application))
        .routes(routes!(
            get_application,
            patch_application,
            delete_application
        ))
        .routes(routes!(regenerate_secret))
        .routes(routes!(list_registrations, create_registration))
        .routes(routes!(delete_registration))
}

// ------------------------------------------------------------------ Developer accounts

/// Signs a developer up; approved at once or pending, per the portal settings.
#[utoipa::path(post, path = "/api/v1/developer", tag = "developer", request_body = SignUpRequest,
    responses((status = 201, body = DeveloperBody), (status = 400, body = Problem), (status = 409, body = Problem)))]
async fn sign_up(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<SignUpRequest>,
) -> ApiResult<impl IntoResponse> {
    let developer = state
        .portico
        .sign_up(SignUp {
            email: request.email,
            password: request.password,
            full_name: request.full_name,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(DeveloperBody::from(&developer))))
}

/// Signs in: returns an access token and sets the session cookie.
#[utoipa::path(post, path = "/api/v1/developer/authenticate", tag = "developer", request_body = AuthenticateRequest,
    responses((status = 200, body = TokenBody), (status = 401, body = Problem), (status = 403, body = Problem), (status = 429, body = Problem)))]
async fn authenticate(
    State(state): State<AppState>,
    jar: CookieJar,
    JsonBody(request): JsonBody<AuthenticateRequest>,
) -> ApiResult<impl IntoResponse> {
    let sign_in = state
        .portico
        .sign_in(&request.email, request.password)
        .await?;
    let cookie = session_cookie(&state, sign_in.token.expose().to_owned());
    Ok((
        jar.add(cookie),
        // The body holds a bearer token: no cache may keep it.
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(TokenBody {
            access_token: sign_in.token.expose().to_owned(),
            token_type: "Bearer".into(),
            expires_in: sign_in.expires_in,
        }),
    ))
}

/// The session cookie: HttpOnly, SameSite=Lax, and Secure when the portal is served over HTTPS.
pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.secure_cookies)
        .max_age(time::Duration::seconds(SESSION_LIFETIME_SECS))
        .build()
}

#[utoipa::path(post, path = "/api/v1/developer/logout", tag = "developer",
    responses((status = 204), (status = 401, body = Problem)))]
async fn logout(
    State(state): State<AppState>,
    current: CurrentDeveloper,
    jar: CookieJar,
) -> ApiResult<impl IntoResponse> {
    state.portico.sign_out(&current.session_token).await?;
    Ok((
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        StatusCode::NO_CONTENT,
    ))
}

#[utoipa::path(get, path = "/api/v1/developer/me", tag = "developer",
    responses((status = 200, body = DeveloperBody), (status = 401, body = Problem)))]
async fn me(current: CurrentDeveloper) -> Json<DeveloperBody> {
    Json((&current.developer).into())
}

// ------------------------------------------------------------------ Catalog

#[utoipa::path(get, path = "/api/v1/apis", tag = "catalog", responses((status = 200, body = ListBody<CatalogApiBody>)))]
async fn list_catalog(State(state): State<AppState>) -> ApiResult<Json<ListBody<CatalogApiBody>>> {
    let apis = state.portico.published_apis().await?;
    Ok(Json(ListBody {
        data: apis.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/apis/{id}", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = CatalogApiBody), (status = 404, body = Problem)))]
async fn get_catalog_api(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<CatalogApiBody>> {
    Ok(Json(
        (&state.portico.published_api(parse_id(&id)?).await?).into(),
    ))
}

// ------------------------------------------------------------------ Applications

#[utoipa::path(get, path = "/api/v1/applications", tag = "applications",
    responses((status = 200, body = ListBody<ApplicationBody>), (status = 401, body = Problem)))]
async fn list_applications(
    State(state): State<AppState>,
    current: CurrentDeveloper,
) -> ApiResult<Json<ListBody<ApplicationBody>>> {
    let applications = state.portico.applications_of(&current.developer).await?;
    Ok(Json(ListBody {
        data: applications.iter().map(Into::into).collect(),
    }))
}

/// The seed's New App: registers a client at the IdP and shows its secret once. With an
/// `Idempotency-Key`, a retry returns the application made the first time (200, without the
/// secret, which Portico does not keep) and never makes a second IdP client.
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications", request_body = ApplicationCreate,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = ApplicationCreatedBody), (status = 200, description = "Replay of an earlier create with the same Idempotency-Key", body = ApplicationCreatedBody),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 502, body = Problem)))]
async fn create_application(
    State(state): State<AppState>,
    current: CurrentDeveloper,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(request): JsonBody<ApplicationCreate>,
) -> ApiResult<Response> {
    let created = state
        .portico
        .create_application(&current.developer, request.into(), key.as_deref())
        .await?;
    let (status, application, secret) = match created {
        CreatedApplication::Created {
            application,
            client_secret,
        } => (
            StatusCode::CREATED,
            application,
            Some(client_secret.expose().to_owned()),
        ),
        CreatedApplication::Replayed { application } => (StatusCode::OK, application, None),
    };
    let replayed = secret.is_none();
    let body = ApplicationCreatedBody {
        id: application.id.as_uuid(),
        name: application.name,
        description: application.description,
        redirect_uri: application.redirect_uri,
        client_id: application.client_id,
        client_secret: secret,
        auth_strategy_id: application.auth_strategy_id.as_uuid(),
        created_at: application.created_at,
    };
    let mut response = (status, Json(body)).into_response();
    // The body holds a secret: no cache may keep it.
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications", params(("id" = String, Path)),
    responses((status = 200, body = ApplicationBody), (status = 404, body = Problem)))]
async fn get_application(
    State(state): State<AppState>,
    current: CurrentDeveloper,
    Path(id): Path<String>,
) -> ApiResult<Json<ApplicationBody>> {
    let application = state
        .portico
        .own_application(&current.developer, parse_id(&id)?)
        .await?;
    Ok(Json((&application).into()))
}

#[utoipa::path(patch, path = "/api/v1/applications/{id}", tag = "applications", params(("id" = String, Path)), request_body = ApplicationPatch,
    responses((status = 200, body = ApplicationBody), (status = 400, body = Problem), (status = 404, body = Problem), (status = 502, body = Problem)))]
async fn patch_application(
    State(state): State<AppState>,
    current: CurrentDeveloper,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ApplicationPatch>,
) -> ApiResult<Json<ApplicationBody>> {
    let application = state
        .portico
        .update_application(&current.developer, parse_id(&id)?, request.into())
        .await?;
    Ok(Json((&application).into()))
}

#[utoipa::path(delete, path = "/api/v1/applications/{id}", tag = "applications", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_application(
    State(state): State<AppState>,
    current: CurrentDeveloper,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .portico
        .delete_own_application(&current.developer, parse_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotates the client secret at the IdP and shows the new one once.
#[utoipa::path(post, path = "/api/v1/applications/{id}/regenerate-secret", tag = "applications", params(("id" = String, Path)),
    responses((status = 201, body = RegeneratedSecretBody), (status = 404, body = Problem), (status = 502, body = Problem)))]
async fn regenerate_secret(
    State(state): State<AppState>,
    current: CurrentDeveloper,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (application, secret) = state
        .portico
        .regenerate_secret(&current.developer, parse_id(&id)?)
        .await?;
    let mut response = (
        StatusCode::CREATED,
        Json(RegeneratedSecretBody {
            client_id: application.client_id,
            client_secret: secret.expose().to_owned(),
        }),
    )
        .into_response();
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    Ok(response)
}

// ------------------------------------------------------------------ Registrations

#[utoipa::path(get, path = "/api/v1/applications/{id}/registrations", tag = "registrations", params(("id" = String, Path)),
    responses((status = 200, body = ListBody<RegistrationBody>), (status = 404, body = Problem)))]
async fn list_registrations(
    State(state): State<AppState>,
    current: CurrentDeveloper,
    Path(id): Path<String>,
) -> ApiResult<Json<ListBody<RegistrationBody>>> {
    let registrations = state
        .portico
        .registrations_of(&current.developer, parse_id(&id)?)
        .await?;
    Ok(Json(ListBody {
        data: registrations.iter().map(Into::into).collect(),
    }))
}

/// Asks for access to an API: approved at once when the portal auto-approves, else pending.
#[utoipa::path(post, path = "/api/v1/applications/{id}/registrations", tag = "registrations", params(("id" = String, Path)), request_body = RegistrationCreate,
    responses((status = 201, body = RegistrationBody), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn create_registration(
    State(state): State<AppState>,
    current: CurrentDeveloper,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<RegistrationCreate>,
) -> ApiResult<impl IntoResponse> {
    let registration = state
        .portico
        .register(&current.developer, parse_id(&id)?, model_id(request.api_id))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(RegistrationBody::from(&registration)),
    ))
}

#[utoipa::path(delete, path = "/api/v1/applications/{id}/registrations/{registration_id}", tag = "registrations",
    params(("id" = String, Path), ("registration_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_registration(
    State(state): State<AppState>,
    current: CurrentDeveloper,
    Path((id, registration_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .portico
        .unregister(
            &current.developer,
            parse_id(&id)?,
            parse_id(&registration_id)?,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
