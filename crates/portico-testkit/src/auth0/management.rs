//! The Management API v2 endpoints for clients and client grants.
//!
//! Every handler runs the same steps in Auth0's order: authenticate the bearer token (401s),
//! check the endpoint's scopes (403, before any lookup so an unauthorized caller cannot probe
//! for ids), validate the query and body (400s), then look up and act (404, 409, success).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::http_responses::{
    insufficient_scope, invalid_body, invalid_json_payload, invalid_query_string, json_response,
    management_error, management_unauthorized, no_content_response, Refusal,
};
use super::identifiers::{new_client_grant_id, new_client_id, new_client_secret};
use super::secret::ClientSecret;
use super::tenant::{apply_client_defaults, complete_jwt_configuration, ClientRecord, GrantRecord};
use super::validation::{
    check_metadata_count, validate_client_payload, validate_grant_creation, validate_grant_update,
    ClientPayloadRejection, PayloadMode,
};
use super::Shared;

type HandlerResult = Result<Response, Refusal>;

/// Turns a handler outcome into the response sent, whichever way it went.
fn respond(result: HandlerResult) -> Response {
    match result {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(),
    }
}

pub(crate) async fn list_clients(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    respond(list_clients_or_refuse(&shared, &headers, query.as_deref()))
}

pub(crate) async fn get_client(
    State(shared): State<Arc<Shared>>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    respond(get_client_or_refuse(
        &shared,
        &client_id,
        &headers,
        query.as_deref(),
    ))
}

pub(crate) async fn create_client(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(create_client_or_refuse(&shared, &headers, &body))
}

pub(crate) async fn update_client(
    State(shared): State<Arc<Shared>>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(update_client_or_refuse(
        &shared, &client_id, &headers, &body,
    ))
}

pub(crate) async fn delete_client(
    State(shared): State<Arc<Shared>>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(delete_client_or_refuse(&shared, &client_id, &headers))
}

pub(crate) async fn rotate_client_secret(
    State(shared): State<Arc<Shared>>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(rotate_client_secret_or_refuse(
        &shared, &client_id, &headers,
    ))
}

pub(crate) async fn list_client_grants(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    respond(list_client_grants_or_refuse(
        &shared,
        &headers,
        query.as_deref(),
    ))
}

pub(crate) async fn get_client_grant(
    State(shared): State<Arc<Shared>>,
    Path(grant_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(get_client_grant_or_refuse(&shared, &grant_id, &headers))
}

pub(crate) async fn create_client_grant(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(create_client_grant_or_refuse(&shared, &headers, &body))
}

pub(crate) async fn update_client_grant(
    State(shared): State<Arc<Shared>>,
    Path(grant_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(update_client_grant_or_refuse(
        &shared, &grant_id, &headers, &body,
    ))
}

pub(crate) async fn delete_client_grant(
    State(shared): State<Arc<Shared>>,
    Path(grant_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(delete_client_grant_or_refuse(&shared, &grant_id, &headers))
}

// ---------------------------------------------------------------------------------------------
// Clients.

fn list_clients_or_refuse(
    shared: &Shared,
    headers: &HeaderMap,
    raw_query: Option<&str>,
) -> HandlerResult {
    let caller = authenticate(shared, headers)?;
    caller.require_any(&["read:clients", "read:client_keys"])?;
    let query = QueryParameters::parse(raw_query)?;
    let selection = FieldSelection::from_query(&query)?;
    let include_totals = query.boolean("include_totals")?.unwrap_or(false);
    let page = query.integer("page", 0, None)?.unwrap_or(0);
    let per_page = query.integer("per_page", 0, Some(100))?.unwrap_or(50);
    let is_global = query.boolean("is_global")?;
    let is_first_party = query.boolean("is_first_party")?;
    let app_types: Option<Vec<&str>> = query.text("app_type").map(|list| {
        list.split(',')
            .map(str::trim)
            .filter(|app_type| !app_type.is_empty())
            .collect()
    });

    let tenant = shared.lock_tenant();
    let matching: Vec<&ClientRecord> = tenant
        .clients
        .iter()
        // Emulated clients are never the tenant's global client.
        .filter(|_| is_global != Some(true))
        .filter(|client| {
            is_first_party.is_none_or(|wanted| {
                client
                    .attributes
                    .get("is_first_party")
                    .and_then(Value::as_bool)
                    == Some(wanted)
            })
        })
        .filter(|client| {
            app_types.as_ref().is_none_or(|wanted| {
                client
                    .attributes
                    .get("app_type")
                    .and_then(Value::as_str)
                    .is_some_and(|app_type| wanted.contains(&app_type))
            })
        })
        .collect();
    let start = page.saturating_mul(per_page);
    let clients: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(per_page)
        .map(|client| selection.apply(client.to_wire(&tenant.tenant_name, caller.can_read_keys())))
        .collect();
    let body = if include_totals {
        json!({ "total": matching.len(), "start": start, "limit": per_page, "clients": clients })
    } else {
        Value::Array(clients)
    };
    Ok(json_response(StatusCode::OK, &body))
}

fn get_client_or_refuse(
    shared: &Shared,
    client_id: &str,
    headers: &HeaderMap,
    raw_query: Option<&str>,
) -> HandlerResult {
    let caller = authenticate(shared, headers)?;
    caller.require_any(&["read:clients", "read:client_keys"])?;
    let query = QueryParameters::parse(raw_query)?;
    let selection = FieldSelection::from_query(&query)?;
    let tenant = shared.lock_tenant();
    let client = tenant.client(client_id).ok_or_else(client_not_found)?;
    let body = selection.apply(client.to_wire(&tenant.tenant_name, caller.can_read_keys()));
    Ok(json_response(StatusCode::OK, &body))
}

fn create_client_or_refuse(shared: &Shared, headers: &HeaderMap, body: &Bytes) -> HandlerResult {
    let caller = authenticate(shared, headers)?;
    caller.require_any(&["create:clients"])?;
    let payload = parse_json_body(body)?;
    let fields =
        validate_client_payload(&payload, PayloadMode::Create).map_err(client_payload_rejected)?;
    if fields.contains_key("client_authentication_methods") {
        caller.require_any(&["create:client_credentials"])?;
    }

    let mut attributes = fields.clone();
    let secret = match attributes.remove("client_secret") {
        Some(Value::String(chosen)) => chosen,
        _ => new_client_secret(),
    };
    apply_client_defaults(&mut attributes);
    let record = ClientRecord {
        client_id: new_client_id(),
        secret: ClientSecret::new(secret),
        secret_usable_from_millis: i64::MIN,
        retired_secrets: Vec::new(),
        attributes,
        seeded_for_management: false,
    };
    let mut tenant = shared.lock_tenant();
    // The creation response is one of the two places where Auth0 hands out the secret.
    let body = record.to_wire(&tenant.tenant_name, true);
    tenant.clients.push(record);
    Ok(json_response(StatusCode::CREATED, &body))
}

fn update_client_or_refuse(
    shared: &Shared,
    client_id: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> HandlerResult {
    let caller = authenticate(shared, headers)?;
    caller.require_any(&["update:clients", "update:client_keys"])?;
    let payload = parse_json_body(body)?;
    let fields =
        validate_client_payload(&payload, PayloadMode::Update).map_err(client_payload_rejected)?;
    if fields.contains_key("client_secret") {
        caller.require_any(&["update:client_keys"])?;
    }
    if fields.contains_key("client_authentication_methods") {
        caller.require_any(&["update:client_credentials"])?;
    }

    let now_millis = shared.now_millis();
    let mut tenant = shared.lock_tenant();
    let tenant_name = tenant.tenant_name.clone();
    let client = tenant.client_mut(client_id).ok_or_else(client_not_found)?;

    // The changes are built on a copy and committed only once all of them are valid, so a
    // refused PATCH leaves the client untouched.
    let mut attributes = client.attributes.clone();
    let mut new_secret = None;
    for (field, value) in fields {
        match field.as_str() {
            "client_secret" => new_secret = value.as_str().map(str::to_owned),
            "client_metadata" => {
                let merged = merge_metadata(attributes.get("client_metadata"), value);
                check_metadata_count(merged.len()).map_err(|message| invalid_body(&message))?;
                attributes.insert(field.clone(), Value::Object(merged));
            }
            _ => {
                attributes.insert(field.clone(), value.clone());
            }
        }
    }
    complete_jwt_configuration(&mut attributes);
    client.attributes = attributes;
    if let Some(new_secret) = new_secret {
        client.replace_secret(
            ClientSecret::new(new_secret),
            now_millis,
            shared.config.rotate_secret_grace,
            shared.config.secret_propagation_delay,
        );
    }
    let body = client.to_wire(&tenant_name, caller.can_read_keys());
    Ok(json_response(StatusCode::OK, &body))
}

/// PATCH merges `client_metadata` key by key; a `null` value removes the key.
fn merge_metadata(existing: Option<&Value>, changes: &Value) -> Map<String, Value> {
    let mut merged = existing
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(changes) = changes.as_object() {
        for (key, value) in changes {
            if value.is_null() {
                merged.remove(key);
            } else {
                merged.insert(key.clone(), value.clone());
            }
        }
    }
    merged
}

fn delete_client_or_refuse(shared: &Shared, client_id: &str, headers: &HeaderMap) -> HandlerResult {
    let caller = authenticate(shared, headers)?;
    caller.require_any(&["delete:clients"])?;
    let mut tenant = shared.lock_tenant();
    let existed = tenant
        .clients
        .iter()
        .any(|client| client.client_id == client_id);
    tenant
        .clients
        .retain(|client| client.client_id != client_id);
    if existed && shared.config.cascade_grants_on_client_delete {
        tenant.grants.retain(|grant| grant.client_id != client_id);
    }
    // Auth0 answers 204 even for an id that never existed or is already gone.
    Ok(no_content_response())
}

fn rotate_client_secret_or_refuse(
    shared: &Shared,
    client_id: &str,
    headers: &HeaderMap,
) -> HandlerResult {
    let caller = authenticate(shared, headers)?;
    caller.require_any(&["update:client_keys"])?;
    let now_millis = shared.now_millis();
    let mut tenant = shared.lock_tenant();
    let tenant_name = tenant.tenant_name.clone();
    let client = tenant.client_mut(client_id).ok_or_else(client_not_found)?;
    client.replace_secret(
        ClientSecret::new(new_client_secret()),
        now_millis,
        shared.config.rotate_secret_grace,
        shared.config.secret_propagation_delay,
    );
    // The rotation response is the other place where Auth0 hands out the secret.
    Ok(json_response(
        StatusCode::OK,
        &client.to_wire(&tenant_name, true),
    ))
}

fn client_not_found() -> Response {
    management_error(
        StatusCode::NOT_FOUND,
        "The client does not exist",
        Some("inexistent_client"),
    )
}

fn client_payload_rejected(rejection: ClientPayloadRejection) -> Response {
    match rejection {
        ClientPayloadRejection::Invalid(message) => invalid_body(&message),
        ClientPayloadRejection::ClientIdChosenByCaller => management_error(
            StatusCode::FORBIDDEN,
            "This operation must be authorized by Auth0",
            None,
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Client grants.

fn list_client_grants_or_refuse(
    shared: &Shared,
    headers: &HeaderMap,
    raw_query: Option<&str>,
) -> HandlerResult {
    let caller = authenticate(shared, headers)?;
    caller.require_any(&["read:client_grants"])?;
    let query = QueryParameters::parse(raw_query)?;
    let client_id = query.text("client_id");
    let audience = query.text("audience");
    let subject_type = query.text("subject_type");
    let allow_any_organization = query.boolean("allow_any_organization")?;
    let checkpoint_paging = query.text("from").is_some() || query.text("take").is_some();
    let take = query.integer("take", 1, Some(100))?.unwrap_or(50);
    let include_totals = query.boolean("include_totals")?.unwrap_or(false);
    let page = query.integer("page", 0, None)?.unwrap_or(0);
    let per_page = query.integer("per_page", 1, Some(100))?.unwrap_or(50);

    let tenant = shared.lock_tenant();
    let matching: Vec<&GrantRecord> = tenant
        .grants
        .iter()
        .filter(|grant| client_id.is_none_or(|wanted| grant.client_id == wanted))
        .filter(|grant| audience.is_none_or(|wanted| grant.audience == wanted))
        .filter(|grant| subject_type.is_none_or(|wanted| grant.subject_type() == wanted))
        .filter(|grant| {
            allow_any_organization.is_none_or(|wanted| {
                grant
                    .optional_fields
                    .get("allow_any_organization")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    == wanted
            })
        })
        .collect();

    let body = if checkpoint_paging {
        // The checkpoint is the id of the first grant of the next page, which stays valid
        // while earlier grants are deleted.
        let start = match query.text("from") {
            Some(from) => matching
                .iter()
                .position(|grant| grant.id == from)
                .unwrap_or(matching.len()),
            None => 0,
        };
        let grants: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(take)
            .map(|grant| grant.to_wire())
            .collect();
        let mut body = Map::new();
        body.insert("client_grants".to_owned(), Value::Array(grants));
        if let Some(next) = matching.get(start.saturating_add(take)) {
            body.insert("next".to_owned(), Value::from(next.id.clone()));
        }
        Value::Object(body)
    } else {
        let start = page.saturating_mul(per_page);
        let grants: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(per_page)
            .map(|grant| grant.to_wire())
            .collect();
        if include_totals {
            json!({ "total": matching.len(), "start": start, "limit": per_page, "client_grants": grants })
        } else {
            Value::Array(grants)
        }
    };
    Ok(json_response(StatusCode::OK, &body))
}

fn get_client_grant_or_refuse(
    shared: &Shared,
    grant_id: &str,
    headers: &HeaderMap,
) -> HandlerResult {
    let caller = authenticate(shared, headers)?;
    caller.require_any(&["read:client_grants"])?;
    let tenant = shared.lock_tenant();
    let grant = tenant.grant(grant_id).ok_or_else(grant_not_found)?;
    Ok(json_response(StatusCode::OK, &grant.to_wire()))
}

fn create_client_grant_or_refuse(
    shared: &Shared,
    headers: &HeaderMap,
    body: &Bytes,
) -> HandlerResult {
    let caller = authenticate(shared, headers)?;
    caller.require_any(&["create:client_grants"])?;
    let payload = parse_json_body(body)?;
    let fields = validate_grant_creation(&payload).map_err(|message| invalid_body(&message))?;
    let client_id = fields["client_id"].as_str().unwrap_or_default();
    let audience = fields["audience"].as_str().unwrap_or_default();

    let mut tenant = shared.lock_tenant();
    if tenant.client(client_id).is_none() {
        return Err(management_error(
            StatusCode::NOT_FOUND,
            "Client not found",
            Some("inexistent_client"),
        )
        .into());
    }
    if tenant.resource_server(audience).is_none() {
        return Err(management_error(
            StatusCode::NOT_FOUND,
            &format!("No resource with identifier {audience}"),
            Some("inexistent_resource_server"),
        )
        .into());
    }
    let mut optional_fields = fields.clone();
    optional_fields.remove("client_id");
    optional_fields.remove("audience");
    let scope: Vec<String> = optional_fields
        .remove("scope")
        .and_then(|scope| serde_json::from_value(scope).ok())
        .unwrap_or_default();
    let grant = GrantRecord {
        id: new_client_grant_id(),
        client_id: client_id.to_owned(),
        audience: audience.to_owned(),
        scope,
        optional_fields,
    };
    let duplicate = tenant.grants.iter().any(|existing| {
        existing.client_id == grant.client_id
            && existing.audience == grant.audience
            && existing.subject_type() == grant.subject_type()
    });
    if duplicate {
        return Err(management_error(
            StatusCode::CONFLICT,
            &format!("A client grant already exists between {client_id} and {audience}"),
            None,
        )
        .into());
    }
    let body = grant.to_wire();
    tenant.grants.push(grant);
    Ok(json_response(StatusCode::CREATED, &body))
}

fn update_client_grant_or_refuse(
    shared: &Shared,
    grant_id: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> HandlerResult {
    let caller = authenticate(shared, headers)?;
    caller.require_any(&["update:client_grants"])?;
    let payload = parse_json_body(body)?;
    let fields = validate_grant_update(&payload).map_err(|message| invalid_body(&message))?;
    let mut tenant = shared.lock_tenant();
    let grant = tenant.grant_mut(grant_id).ok_or_else(grant_not_found)?;
    for (field, value) in fields {
        if field == "scope" {
            // The list is replaced whole, never merged.
            grant.scope = serde_json::from_value(value.clone()).unwrap_or_default();
        } else {
            grant.optional_fields.insert(field.clone(), value.clone());
        }
    }
    Ok(json_response(StatusCode::OK, &grant.to_wire()))
}

fn delete_client_grant_or_refuse(
    shared: &Shared,
    grant_id: &str,
    headers: &HeaderMap,
) -> HandlerResult {
    let caller = authenticate(shared, headers)?;
    caller.require_any(&["delete:client_grants"])?;
    // Removing the grant stops token issuance for the pair at once; 204 even if it was gone.
    shared
        .lock_tenant()
        .grants
        .retain(|grant| grant.id != grant_id);
    Ok(no_content_response())
}

fn grant_not_found() -> Response {
    management_error(
        StatusCode::NOT_FOUND,
        "The grant does not exist.",
        Some("inexistent_client_grant"),
    )
}

// ---------------------------------------------------------------------------------------------
// Authentication, bodies and query strings.

/// The scopes carried by a verified Management API token.
struct Caller {
    scopes: Vec<String>,
}

impl Caller {
    fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|held| held == scope)
    }

    fn require_any(&self, accepted: &[&str]) -> Result<(), Refusal> {
        if accepted.iter().any(|scope| self.has(scope)) {
            Ok(())
        } else {
            Err(insufficient_scope(accepted).into())
        }
    }

    /// Secrets and other key material are shown only to these scopes.
    fn can_read_keys(&self) -> bool {
        self.has("read:client_keys") || self.has("read:client_credentials")
    }
}

/// Verifies the bearer token as Auth0 does: signature and issuer, then expiry (with the test
/// clock offset), then audience. Each failure has its own 401 message.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Refusal> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(management_unauthorized("Missing authentication").into());
    };
    let bad_format = || {
        management_error(
            StatusCode::BAD_REQUEST,
            "Bad HTTP authentication header format",
            None,
        )
    };
    let value = value.to_str().map_err(|_| bad_format())?;
    let mut parts = value.split_whitespace();
    let scheme = parts.next().ok_or_else(bad_format)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        // Another scheme is not an attempt at bearer authentication at all.
        return Err(management_unauthorized("Missing authentication").into());
    }
    let token = parts.next().ok_or_else(bad_format)?;
    if parts.next().is_some() {
        return Err(bad_format().into());
    }

    let invalid_token = || management_unauthorized("Invalid token");
    let claims = shared
        .lock_tenant()
        .keys
        .verify(token)
        .map_err(|_| invalid_token())?;
    if claims.get("iss").and_then(Value::as_str) != Some(shared.issuer().as_str()) {
        return Err(invalid_token().into());
    }
    let expires_at = claims
        .get("exp")
        .and_then(|exp| exp.as_i64().or_else(|| exp.as_f64().map(|exp| exp as i64)))
        .ok_or_else(invalid_token)?;
    if shared.now_secs() >= expires_at {
        return Err(management_unauthorized(
            "Expired token received for JSON Web Token validation",
        )
        .into());
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(audience)) => vec![audience.as_str()],
        Some(Value::Array(audiences)) => audiences.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let management_audience = shared.management_audience();
    if !audiences.contains(&management_audience.as_str()) {
        return Err(
            management_unauthorized(&format!("Bad audience: {}", audiences.join(" "))).into(),
        );
    }

    let mut scopes: Vec<String> = claims
        .get("scope")
        .and_then(Value::as_str)
        .map(|scope| scope.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    if let Some(Value::Array(permissions)) = claims.get("permissions") {
        scopes.extend(
            permissions
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned),
        );
    }
    Ok(Caller { scopes })
}

/// An empty body counts as an empty object, so a body-less PATCH is a no-op and a body-less
/// POST fails validation on its first required property, as with Auth0.
fn parse_json_body(body: &Bytes) -> Result<Value, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|_| invalid_json_payload().into())
}

/// The query string as name/value pairs; the last occurrence of a name wins.
struct QueryParameters {
    pairs: Vec<(String, String)>,
}

impl QueryParameters {
    fn parse(raw_query: Option<&str>) -> Result<QueryParameters, Refusal> {
        let pairs = serde_urlencoded::from_str(raw_query.unwrap_or(""))
            .map_err(|_| invalid_query_string("Query validation error: 'Invalid query string'."))?;
        Ok(QueryParameters { pairs })
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(candidate, _)| candidate == name)
            .map(|(_, value)| value.as_str())
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, Refusal> {
        match self.text(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(query_error("Expected type boolean but found type string", name).into()),
        }
    }

    fn integer(
        &self,
        name: &str,
        minimum: usize,
        maximum: Option<usize>,
    ) -> Result<Option<usize>, Refusal> {
        let Some(text) = self.text(name) else {
            return Ok(None);
        };
        let number: i64 = text
            .parse()
            .map_err(|_| query_error("Expected type integer but found type string", name))?;
        if number < minimum as i64 {
            return Err(query_error(
                &format!("Number is less than the minimum of {minimum}"),
                name,
            )
            .into());
        }
        let number = number as usize;
        if let Some(maximum) = maximum {
            if number > maximum {
                return Err(query_error(
                    &format!("Number is greater than the maximum of {maximum}"),
                    name,
                )
                .into());
            }
        }
        Ok(Some(number))
    }
}

fn query_error(rule: &str, property: &str) -> Response {
    let description = match property {
        "include_totals" => "Return results inside an object that contains the total result count (true) or as a direct array of results (false, default).",
        "page" => "Page index of the results to return. First page is 0.",
        "per_page" => "Number of results per page. Default value is 50, maximum value is 100",
        "take" => "Number of results per page. Defaults to 50.",
        "include_fields" => "Whether specified fields are to be included (true) or excluded (false).",
        "is_global" => "Optional filter on the global client parameter.",
        "is_first_party" => "Optional filter on whether or not a client is a first-party client.",
        "allow_any_organization" => "Optional filter on allow_any_organization.",
        _ => "See the Management API reference",
    };
    invalid_query_string(&format!(
        "Query validation error: '{rule}' on property {property} ({description})."
    ))
}

/// The `fields` / `include_fields` query parameters.
struct FieldSelection {
    fields: Vec<String>,
    include: bool,
}

impl FieldSelection {
    fn from_query(query: &QueryParameters) -> Result<FieldSelection, Refusal> {
        let fields = query
            .text("fields")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|field| !field.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let include = query.boolean("include_fields")?.unwrap_or(true);
        Ok(FieldSelection { fields, include })
    }

    /// Keeps (or drops) the named fields. Auth0 was recorded returning `tenant` even when only
    /// `client_id` was asked for, so `tenant` always survives an inclusion list.
    fn apply(&self, value: Value) -> Value {
        if self.fields.is_empty() {
            return value;
        }
        let Value::Object(object) = value else {
            return value;
        };
        let selected = object
            .into_iter()
            .filter(|(name, _)| {
                let listed = self.fields.iter().any(|field| field == name);
                if self.include {
                    listed || name == "tenant"
                } else {
                    !listed
                }
            })
            .collect();
        Value::Object(selected)
    }
}
