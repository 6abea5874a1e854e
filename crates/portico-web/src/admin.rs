//! The admin API (`product.md` section 3), on the admin listener under `/v1`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use portico_core::model::ApprovalStatus;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Problem};
use crate::extract::{AdminAuth, JsonBody};
use crate::openapi::AdminSecurity;
use crate::wire::*;
use crate::{parse_id, AppState};

type ApiResult<T> = Result<T, ApiError>;

#[derive(OpenApi)]
#[openapi(
    info(title = "Portico admin API", description = "Manage identity providers, auth strategies, APIs, developers, applications and registrations."),
    components(schemas(Problem)),
    modifiers(&AdminSecurity),
    security(("admin_token" = []))
)]
struct AdminDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(AdminDoc::openapi())
        .routes(routes!(get_application_setup, put_application_setup))
        .routes(routes!(list_dcr_providers, create_dcr_provider))
        .routes(routes!(
            get_dcr_provider,
            patch_dcr_provider,
            delete_dcr_provider
        ))
        .routes(routes!(verify_dcr_provider))
        .routes(routes!(list_auth_strategies, create_auth_strategy))
        .routes(routes!(
            get_auth_strategy,
            patch_auth_strategy,
            delete_auth_strategy
        ))
        .routes(routes!(list_apis, create_api))
        .routes(routes!(get_api, patch_api, delete_api))
        .routes(routes!(get_portal_settings, patch_portal_settings))
        .routes(routes!(list_developers))
        .routes(routes!(patch_developer))
        .routes(routes!(list_applications))
        .routes(routes!(get_application, delete_application))
        .routes(routes!(list_registrations))
        .routes(routes!(patch_registration))
}

// ------------------------------------------------------------------ Application Setup

/// The current Application Setup.
#[utoipa::path(get, path = "/v1/portal/application-setup", tag = "application-setup",
    responses((status = 200, body = ApplicationSetupBody), (status = 404, body = Problem)))]
async fn get_application_setup(
    _: AdminAuth,
    State(state): State<AppState>,
) -> ApiResult<Json<ApplicationSetupBody>> {
    let setup = state
        .portico
        .application_setup()
        .await?
        .ok_or_else(|| ApiError::not_found("application setup"))?;
    Ok(Json(ApplicationSetupBody::new(&setup, Vec::new())))
}

/// Verifies the settings against the IdP, then saves them as the portal's default.
#[utoipa::path(put, path = "/v1/portal/application-setup", tag = "application-setup",
    request_body = ApplicationSetupRequest,
    responses((status = 200, body = ApplicationSetupBody), (status = 400, body = Problem), (status = 422, description = "Verification failed; `detail` and `errors` name each cause", body = Problem)))]
async fn put_application_setup(
    _: AdminAuth,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<ApplicationSetupRequest>,
) -> ApiResult<Json<ApplicationSetupBody>> {
    let saved = state.portico.save_application_setup(request.into()).await?;
    Ok(Json(ApplicationSetupBody::new(
        &saved.setup,
        saved.warnings,
    )))
}

// ------------------------------------------------------------------ DCR providers

#[utoipa::path(get, path = "/v1/dcr-providers", tag = "dcr-providers",
    responses((status = 200, body = ListBody<DcrProviderBody>)))]
async fn list_dcr_providers(
    _: AdminAuth,
    State(state): State<AppState>,
) -> ApiResult<Json<ListBody<DcrProviderBody>>> {
    let providers = state.portico.dcr_providers().await?;
    Ok(Json(ListBody {
        data: providers.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/v1/dcr-providers", tag = "dcr-providers",
    request_body = DcrProviderCreate,
    responses((status = 201, body = DcrProviderBody), (status = 400, body = Problem)))]
async fn create_dcr_provider(
    _: AdminAuth,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<DcrProviderCreate>,
) -> ApiResult<impl IntoResponse> {
    let provider = state.portico.create_dcr_provider(request.into()).await?;
    Ok((StatusCode::CREATED, Json(DcrProviderBody::from(&provider))))
}

#[utoipa::path(get, path = "/v1/dcr-providers/{id}", tag = "dcr-providers",
    params(("id" = String, Path)),
    responses((status = 200, body = DcrProviderBody), (status = 404, body = Problem)))]
async fn get_dcr_provider(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<DcrProviderBody>> {
    let provider = state.portico.dcr_provider(parse_id(&id)?).await?;
    Ok(Json((&provider).into()))
}

#[utoipa::path(patch, path = "/v1/dcr-providers/{id}", tag = "dcr-providers",
    params(("id" = String, Path)), request_body = DcrProviderPatch,
    responses((status = 200, body = DcrProviderBody), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn patch_dcr_provider(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<DcrProviderPatch>,
) -> ApiResult<Json<DcrProviderBody>> {
    let provider = state
        .portico
        .update_dcr_provider(parse_id(&id)?, request.into())
        .await?;
    Ok(Json((&provider).into()))
}

#[utoipa::path(delete, path = "/v1/dcr-providers/{id}", tag = "dcr-providers",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_dcr_provider(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.portico.delete_dcr_provider(parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks the provider's settings against the IdP.
#[utoipa::path(post, path = "/v1/dcr-providers/{id}/verify", tag = "dcr-providers",
    params(("id" = String, Path)),
    responses((status = 200, body = VerifyBody), (status = 404, body = Problem)))]
async fn verify_dcr_provider(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<VerifyBody>> {
    let verification = state.portico.verify_dcr_provider(parse_id(&id)?).await?;
    Ok(Json(VerifyBody {
        status: if verification.is_success() {
            "success"
        } else {
            "failed"
        }
        .into(),
        errors: verification.errors,
    }))
}

// ------------------------------------------------------------------ Auth strategies

#[utoipa::path(get, path = "/v1/application-auth-strategies", tag = "application-auth-strategies",
    responses((status = 200, body = ListBody<AuthStrategyBody>)))]
async fn list_auth_strategies(
    _: AdminAuth,
    State(state): State<AppState>,
) -> ApiResult<Json<ListBody<AuthStrategyBody>>> {
    let strategies = state.portico.auth_strategies().await?;
    Ok(Json(ListBody {
        data: strategies.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/v1/application-auth-strategies", tag = "application-auth-strategies",
    request_body = AuthStrategyCreate,
    responses((status = 201, body = AuthStrategyBody), (status = 400, body = Problem)))]
async fn create_auth_strategy(
    _: AdminAuth,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<AuthStrategyCreate>,
) -> ApiResult<impl IntoResponse> {
    let strategy = state.portico.create_auth_strategy(request.into()).await?;
    Ok((StatusCode::CREATED, Json(AuthStrategyBody::from(&strategy))))
}

#[utoipa::path(get, path = "/v1/application-auth-strategies/{id}", tag = "application-auth-strategies",
    params(("id" = String, Path)),
    responses((status = 200, body = AuthStrategyBody), (status = 404, body = Problem)))]
async fn get_auth_strategy(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<AuthStrategyBody>> {
    let strategy = state.portico.auth_strategy(parse_id(&id)?).await?;
    Ok(Json((&strategy).into()))
}

#[utoipa::path(patch, path = "/v1/application-auth-strategies/{id}", tag = "application-auth-strategies",
    params(("id" = String, Path)), request_body = AuthStrategyPatch,
    responses((status = 200, body = AuthStrategyBody), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn patch_auth_strategy(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<AuthStrategyPatch>,
) -> ApiResult<Json<AuthStrategyBody>> {
    let strategy = state
        .portico
        .update_auth_strategy(parse_id(&id)?, request.into())
        .await?;
    Ok(Json((&strategy).into()))
}

#[utoipa::path(delete, path = "/v1/application-auth-strategies/{id}", tag = "application-auth-strategies",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_auth_strategy(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.portico.delete_auth_strategy(parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------------ APIs

#[utoipa::path(get, path = "/v1/apis", tag = "apis", responses((status = 200, body = ListBody<ApiBody>)))]
async fn list_apis(
    _: AdminAuth,
    State(state): State<AppState>,
) -> ApiResult<Json<ListBody<ApiBody>>> {
    let apis = state.portico.apis().await?;
    Ok(Json(ListBody {
        data: apis.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/v1/apis", tag = "apis", request_body = ApiCreate,
    responses((status = 201, body = ApiBody), (status = 400, body = Problem), (status = 409, body = Problem)))]
async fn create_api(
    _: AdminAuth,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<ApiCreate>,
) -> ApiResult<impl IntoResponse> {
    let api = state.portico.create_api(request.into()).await?;
    Ok((StatusCode::CREATED, Json(ApiBody::from(&api))))
}

#[utoipa::path(get, path = "/v1/apis/{id}", tag = "apis", params(("id" = String, Path)),
    responses((status = 200, body = ApiBody), (status = 404, body = Problem)))]
async fn get_api(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiBody>> {
    let api = state.portico.api(parse_id(&id)?).await?;
    Ok(Json((&api).into()))
}

#[utoipa::path(patch, path = "/v1/apis/{id}", tag = "apis", params(("id" = String, Path)), request_body = ApiPatch,
    responses((status = 200, body = ApiBody), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn patch_api(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ApiPatch>,
) -> ApiResult<Json<ApiBody>> {
    let api = state
        .portico
        .update_api(parse_id(&id)?, request.into())
        .await?;
    Ok(Json((&api).into()))
}

#[utoipa::path(delete, path = "/v1/apis/{id}", tag = "apis", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_api(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.portico.delete_api(parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------------ Settings

#[utoipa::path(get, path = "/v1/portal/settings", tag = "portal", responses((status = 200, body = PortalSettingsBody)))]
async fn get_portal_settings(
    _: AdminAuth,
    State(state): State<AppState>,
) -> ApiResult<Json<PortalSettingsBody>> {
    Ok(Json((&state.portico.portal_settings().await?).into()))
}

#[utoipa::path(patch, path = "/v1/portal/settings", tag = "portal", request_body = PortalSettingsPatch,
    responses((status = 200, body = PortalSettingsBody), (status = 400, body = Problem)))]
async fn patch_portal_settings(
    _: AdminAuth,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<PortalSettingsPatch>,
) -> ApiResult<Json<PortalSettingsBody>> {
    Ok(Json(
        (&state.portico.update_portal_settings(request.into()).await?).into(),
    ))
}

// ------------------------------------------------------------------ Developers and applications

#[utoipa::path(get, path = "/v1/developers", tag = "developers", responses((status = 200, body = ListBody<DeveloperBody>)))]
async fn list_developers(
    _: AdminAuth,
    State(state): State<AppState>,
) -> ApiResult<Json<ListBody<DeveloperBody>>> {
    let developers = state.portico.developers().await?;
    Ok(Json(ListBody {
        data: developers.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(patch, path = "/v1/developers/{id}", tag = "developers", params(("id" = String, Path)), request_body = StatusPatch,
    responses((status = 200, body = DeveloperBody), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn patch_developer(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<StatusPatch>,
) -> ApiResult<Json<DeveloperBody>> {
    let developer = state
        .portico
        .set_developer_status(parse_id(&id)?, request.parse()?)
        .await?;
    Ok(Json((&developer).into()))
}

#[utoipa::path(get, path = "/v1/applications", tag = "applications", responses((status = 200, body = ListBody<ApplicationBody>)))]
async fn list_applications(
    _: AdminAuth,
    State(state): State<AppState>,
) -> ApiResult<Json<ListBody<ApplicationBody>>> {
    let applications = state.portico.applications().await?;
    Ok(Json(ListBody {
        data: applications.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(get, path = "/v1/applications/{id}", tag = "applications", params(("id" = String, Path)),
    responses((status = 200, body = ApplicationBody), (status = 404, body = Problem)))]
async fn get_application(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ApplicationBody>> {
    Ok(Json(
        (&state.portico.application(parse_id(&id)?).await?).into(),
    ))
}

/// Deletes the application at once; its IdP client is deleted now or, if the IdP cannot be
/// reached, by the retry queue later.
#[utoipa::path(delete, path = "/v1/applications/{id}", tag = "applications", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_application(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .portico
        .delete_application_as_admin(parse_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------------ Registrations

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct RegistrationFilter {
    /// `approved`, `pending`, `rejected` or `revoked`.
    status: Option<String>,
}

#[utoipa::path(get, path = "/v1/registrations", tag = "registrations", params(RegistrationFilter),
    responses((status = 200, body = ListBody<RegistrationBody>), (status = 400, body = Problem)))]
async fn list_registrations(
    _: AdminAuth,
    State(state): State<AppState>,
    query: Result<Query<RegistrationFilter>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<ListBody<RegistrationBody>>> {
    let Query(filter) =
        query.map_err(|rejection| ApiError::invalid_field("query", rejection.body_text()))?;
    let status = match filter.status.as_deref() {
        None => None,
        Some(value) => Some(ApprovalStatus::parse(value).ok_or_else(|| {
            ApiError::invalid_field(
                "status",
                "must be one of: approved, pending, rejected, revoked",
            )
        })?),
    };
    let registrations = state.portico.registrations(status).await?;
    Ok(Json(ListBody {
        data: registrations.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(patch, path = "/v1/registrations/{id}", tag = "registrations", params(("id" = String, Path)), request_body = StatusPatch,
    responses((status = 200, body = RegistrationBody), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn patch_registration(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<StatusPatch>,
) -> ApiResult<Json<RegistrationBody>> {
    let registration = state
        .portico
        .set_registration_status(parse_id(&id)?, request.parse()?)
        .await?;
    Ok(Json((&registration).into()))
}
