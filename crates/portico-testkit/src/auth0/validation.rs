//! Payload validation for the Management API, worded like Auth0's JSON-schema validator:
//! `Payload validation error: '<rule>' on property <path> (<description>).`

use serde_json::{Map, Value};

/// Whether a client payload creates a client (POST) or changes one (PATCH).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PayloadMode {
    Create,
    Update,
}

/// Why a client payload was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ClientPayloadRejection {
    /// A 400 `invalid_body` with this message.
    Invalid(String),
    /// A 403: `client_id` can only be chosen by Auth0 itself.
    ClientIdChosenByCaller,
}

/// Every client property the Management API accepts (go-auth0 `Client` JSON tags, which match
/// node-auth0's `CreateClientRequestContent`). Anything else is an additional property.
const CLIENT_PROPERTIES: &[&str] = &[
    "name",
    "description",
    "client_secret",
    "app_type",
    "logo_uri",
    "is_first_party",
    "is_token_endpoint_ip_header_trusted",
    "oidc_conformant",
    "callbacks",
    "allowed_origins",
    "web_origins",
    "client_aliases",
    "allowed_clients",
    "allowed_logout_urls",
    "jwt_configuration",
    "signing_keys",
    "encryption_key",
    "sso",
    "sso_disabled",
    "cross_origin_authentication",
    "cross_origin_auth",
    "grant_types",
    "cross_origin_loc",
    "custom_login_page_on",
    "custom_login_page",
    "custom_login_page_preview",
    "form_template",
    "addons",
    "token_endpoint_auth_method",
    "client_metadata",
    "mobile",
    "initiate_login_uri",
    "native_social_login",
    "refresh_token",
    "organization_usage",
    "organization_require_behavior",
    "client_authentication_methods",
    "require_pushed_authorization_requests",
    "oidc_backchannel_logout",
    "oidc_logout",
    "signed_request_object",
    "compliance_level",
    "require_proof_of_possession",
    "default_organization",
    "token_exchange",
    "token_quota",
    "session_transfer",
    "resource_server_identifier",
    "skip_non_verifiable_callback_uri_confirmation_prompt",
    "organization_discovery_methods",
    "async_approval_notification_channels",
    "express_configuration",
    "my_organization_configuration",
    "external_client_id",
    "external_metadata_type",
    "external_metadata_created_by",
    "jwks_uri",
    "third_party_security_mode",
    "redirection_policy",
    "fedcm_login",
];

const APP_TYPES: &[&str] = &[
    "native",
    "spa",
    "regular_web",
    "non_interactive",
    "resource_server",
    "express_configuration",
    "b2b_integration",
    "rms",
    "box",
    "cloudbees",
    "concur",
    "dropbox",
    "mscrm",
    "echosign",
    "egnyte",
    "newrelic",
    "office365",
    "salesforce",
    "sentry",
    "sharepoint",
    "slack",
    "springcm",
    "zendesk",
    "zoom",
    "sso_integration",
    "oag",
];

const TOKEN_ENDPOINT_AUTH_METHODS: &[&str] = &["none", "client_secret_post", "client_secret_basic"];

const GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
    "password",
    "http://auth0.com/oauth/grant-type/password-realm",
    "http://auth0.com/oauth/grant-type/mfa-oob",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
    "http://auth0.com/oauth/legacy/grant-type/delegation/refresh_token",
    "http://auth0.com/oauth/legacy/grant-type/delegation/id_token",
    "http://auth0.com/oauth/legacy/grant-type/access_token",
    "http://auth0.com/oauth/grant-type/passwordless/otp",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:openid:params:grant-type:ciba",
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
];

const JWT_ALGORITHMS: &[&str] = &["HS256", "RS256", "RS512", "PS256"];

const ORGANIZATION_USAGES: &[&str] = &["deny", "allow", "require"];

const ORGANIZATION_REQUIRE_BEHAVIORS: &[&str] =
    &["no_prompt", "pre_login_prompt", "post_login_prompt"];

/// Array properties whose items must be absolute URIs (or empty strings).
const URL_LIST_PROPERTIES: &[&str] = &[
    "callbacks",
    "allowed_origins",
    "web_origins",
    "allowed_logout_urls",
];

/// Array properties whose items are free strings.
const STRING_LIST_PROPERTIES: &[&str] = &["client_aliases", "allowed_clients"];

const BOOLEAN_PROPERTIES: &[&str] = &[
    "is_first_party",
    "is_token_endpoint_ip_header_trusted",
    "oidc_conformant",
    "sso",
    "sso_disabled",
    "cross_origin_authentication",
    "custom_login_page_on",
    "require_pushed_authorization_requests",
    "require_proof_of_possession",
];

const STRING_PROPERTIES: &[&str] = &[
    "client_secret",
    "logo_uri",
    "initiate_login_uri",
    "custom_login_page",
    "custom_login_page_preview",
    "form_template",
    "cross_origin_loc",
];

pub(crate) const MAXIMUM_METADATA_PROPERTIES: usize = 10;
const MAXIMUM_METADATA_LENGTH: usize = 255;
const MAXIMUM_DESCRIPTION_LENGTH: usize = 140;

/// Checks a POST or PATCH `/clients` body and returns it as an object.
pub(crate) fn validate_client_payload(
    payload: &Value,
    mode: PayloadMode,
) -> Result<&Map<String, Value>, ClientPayloadRejection> {
    let invalid = ClientPayloadRejection::Invalid;
    let Value::Object(fields) = payload else {
        return Err(invalid(general_error(&format!(
            "Expected type object but found type {}",
            json_type(payload)
        ))));
    };
    if fields.contains_key("client_id") {
        return match mode {
            PayloadMode::Create => Err(ClientPayloadRejection::ClientIdChosenByCaller),
            PayloadMode::Update => Err(invalid(general_error(
                "Additional properties not allowed: client_id",
            ))),
        };
    }
    if let Some(unknown) = fields
        .keys()
        .find(|name| !CLIENT_PROPERTIES.contains(&name.as_str()))
    {
        return Err(invalid(general_error(&format!(
            "Additional properties not allowed: {unknown}"
        ))));
    }
    if mode == PayloadMode::Create && !fields.contains_key("name") {
        return Err(invalid(general_error("Missing required property: name")));
    }
    check_client_fields(fields, mode).map_err(invalid)?;
    Ok(fields)
}

fn check_client_fields(fields: &Map<String, Value>, mode: PayloadMode) -> Result<(), String> {
    if let Some(name) = fields.get("name") {
        let name = expect_string(name, "name")?;
        if name.is_empty() {
            return Err(property_error(
                "String is too short (0 chars), minimum 1",
                "name",
            ));
        }
        if name.contains('<') || name.contains('>') {
            return Err(property_error(
                "String does not match pattern: ^[^<>]+$",
                "name",
            ));
        }
    }
    if let Some(description) = fields.get("description") {
        let description = expect_string(description, "description")?;
        let length = description.chars().count();
        if length > MAXIMUM_DESCRIPTION_LENGTH {
            return Err(property_error(
                &format!(
                    "String is too long ({length} chars), maximum {MAXIMUM_DESCRIPTION_LENGTH}"
                ),
                "description",
            ));
        }
    }
    if let Some(app_type) = fields.get("app_type") {
        expect_enum(app_type, "app_type", APP_TYPES)?;
    }
    if let Some(method) = fields.get("token_endpoint_auth_method") {
        expect_enum(
            method,
            "token_endpoint_auth_method",
            TOKEN_ENDPOINT_AUTH_METHODS,
        )?;
    }
    if let Some(grant_types) = fields.get("grant_types") {
        for (index, grant_type) in expect_array(grant_types, "grant_types")?.iter().enumerate() {
            expect_enum(grant_type, &format!("grant_types[{index}]"), GRANT_TYPES)?;
        }
    }
    for property in URL_LIST_PROPERTIES {
        if let Some(urls) = fields.get(*property) {
            for (index, url) in expect_array(urls, property)?.iter().enumerate() {
                let item_path = format!("{property}[{index}]");
                let url = expect_string(url, &item_path)?;
                if !is_absolute_uri_or_empty(url) {
                    return Err(property_error(
                        &format!(
                            "Object didn't pass validation for format absolute-uri-or-empty: {url}"
                        ),
                        &item_path,
                    ));
                }
            }
        }
    }
    for property in STRING_LIST_PROPERTIES {
        if let Some(values) = fields.get(*property) {
            for (index, value) in expect_array(values, property)?.iter().enumerate() {
                expect_string(value, &format!("{property}[{index}]"))?;
            }
        }
    }
    if let Some(metadata) = fields.get("client_metadata") {
        check_client_metadata(metadata, mode)?;
    }
    for property in BOOLEAN_PROPERTIES {
        if let Some(value) = fields.get(*property) {
            if !value.is_boolean() {
                return Err(type_error("boolean", value, property));
            }
        }
    }
    for property in STRING_PROPERTIES {
        if let Some(value) = fields.get(*property) {
            expect_string(value, property)?;
        }
    }
    if let Some(configuration) = fields.get("jwt_configuration") {
        check_jwt_configuration(configuration)?;
    }
    if let Some(usage) = fields.get("organization_usage") {
        expect_enum(usage, "organization_usage", ORGANIZATION_USAGES)?;
    }
    if let Some(behavior) = fields.get("organization_require_behavior") {
        expect_enum(
            behavior,
            "organization_require_behavior",
            ORGANIZATION_REQUIRE_BEHAVIORS,
        )?;
    }
    Ok(())
}

/// `client_metadata`: at most 10 string values, names and values at most 255 characters, names
/// from a restricted alphabet. On PATCH a `null` value deletes the key, so it is allowed there.
fn check_client_metadata(metadata: &Value, mode: PayloadMode) -> Result<(), String> {
    let Value::Object(entries) = metadata else {
        return Err(type_error("object", metadata, "client_metadata"));
    };
    check_metadata_count(entries.len())?;
    for (key, value) in entries {
        let key_length = key.chars().count();
        if key_length == 0
            || key_length > MAXIMUM_METADATA_LENGTH
            || !key.chars().all(is_metadata_key_character)
        {
            return Err(property_error(
                &format!("Object didn't pass validation for format client-metadata-key: {key}"),
                "client_metadata",
            ));
        }
        let value_path = format!("client_metadata.{key}");
        match value {
            Value::Null if mode == PayloadMode::Update => {}
            Value::String(text) => {
                let length = text.chars().count();
                if length > MAXIMUM_METADATA_LENGTH {
                    return Err(property_error(
                        &format!("String is too long ({length} chars), maximum {MAXIMUM_METADATA_LENGTH}"),
                        &value_path,
                    ));
                }
            }
            other => return Err(type_error("string", other, &value_path)),
        }
    }
    Ok(())
}

/// Also used after a PATCH merge, where the total can exceed the limit even though the
/// request itself named few keys.
pub(crate) fn check_metadata_count(count: usize) -> Result<(), String> {
    if count > MAXIMUM_METADATA_PROPERTIES {
        return Err(property_error(
            &format!(
                "Too many properties defined ({count}), maximum {MAXIMUM_METADATA_PROPERTIES}"
            ),
            "client_metadata",
        ));
    }
    Ok(())
}

fn is_metadata_key_character(character: char) -> bool {
    character.is_ascii_alphanumeric() || ":,-+=_*?\"/\\()<>@\t ".contains(character)
}

fn check_jwt_configuration(configuration: &Value) -> Result<(), String> {
    let Value::Object(configuration) = configuration else {
        return Err(type_error("object", configuration, "jwt_configuration"));
    };
    if let Some(lifetime) = configuration.get("lifetime_in_seconds") {
        if !(lifetime.is_u64() || lifetime.is_i64()) {
            return Err(type_error(
                "integer",
                lifetime,
                "jwt_configuration.lifetime_in_seconds",
            ));
        }
    }
    if let Some(secret_encoded) = configuration.get("secret_encoded") {
        if !secret_encoded.is_boolean() {
            return Err(type_error(
                "boolean",
                secret_encoded,
                "jwt_configuration.secret_encoded",
            ));
        }
    }
    if let Some(algorithm) = configuration.get("alg") {
        expect_enum(algorithm, "jwt_configuration.alg", JWT_ALGORITHMS)?;
    }
    if let Some(scopes) = configuration.get("scopes") {
        if !scopes.is_object() {
            return Err(type_error("object", scopes, "jwt_configuration.scopes"));
        }
    }
    Ok(())
}

/// Auth0's `absolute-uri-or-empty` format. Wildcards such as `https://*.example.com` parse as
/// URLs, which matches Auth0 accepting them.
fn is_absolute_uri_or_empty(value: &str) -> bool {
    value.is_empty() || url::Url::parse(value).is_ok()
}

/// Checks a POST `/client-grants` body.
pub(crate) fn validate_grant_creation(payload: &Value) -> Result<&Map<String, Value>, String> {
    let Value::Object(fields) = payload else {
        return Err(general_error(&format!(
            "Expected type object but found type {}",
            json_type(payload)
        )));
    };
    const ALLOWED: &[&str] = &[
        "client_id",
        "audience",
        "scope",
        "subject_type",
        "organization_usage",
        "allow_any_organization",
        "authorization_details_types",
        "allow_all_scopes",
        "default_for",
    ];
    reject_additional_properties(fields, ALLOWED)?;
    if !fields.contains_key("client_id") {
        return Err(general_error("Missing required property: client_id"));
    }
    if !fields.contains_key("audience") {
        return Err(general_error("Missing required property: audience"));
    }
    let client_id = expect_string(&fields["client_id"], "client_id")?;
    if client_id.is_empty() {
        return Err(property_error(
            "String is too short (0 chars), minimum 1",
            "client_id",
        ));
    }
    let audience = expect_string(&fields["audience"], "audience")?;
    if audience.is_empty() {
        return Err(property_error(
            "String is too short (0 chars), minimum 1",
            "audience",
        ));
    }
    if let Some(subject_type) = fields.get("subject_type") {
        expect_enum(subject_type, "subject_type", &["client", "user"])?;
    }
    check_grant_common_fields(fields)?;
    Ok(fields)
}

/// Checks a PATCH `/client-grants/{id}` body: `client_id` and `audience` cannot change.
pub(crate) fn validate_grant_update(payload: &Value) -> Result<&Map<String, Value>, String> {
    let Value::Object(fields) = payload else {
        return Err(general_error(&format!(
            "Expected type object but found type {}",
            json_type(payload)
        )));
    };
    const ALLOWED: &[&str] = &[
        "scope",
        "organization_usage",
        "allow_any_organization",
        "authorization_details_types",
        "allow_all_scopes",
    ];
    reject_additional_properties(fields, ALLOWED)?;
    check_grant_common_fields(fields)?;
    Ok(fields)
}

fn check_grant_common_fields(fields: &Map<String, Value>) -> Result<(), String> {
    if let Some(scope) = fields.get("scope") {
        for (index, item) in expect_array(scope, "scope")?.iter().enumerate() {
            expect_string(item, &format!("scope[{index}]"))?;
        }
    }
    if let Some(usage) = fields.get("organization_usage") {
        expect_enum(usage, "organization_usage", ORGANIZATION_USAGES)?;
    }
    for property in ["allow_any_organization", "allow_all_scopes"] {
        if let Some(value) = fields.get(property) {
            if !value.is_boolean() {
                return Err(type_error("boolean", value, property));
            }
        }
    }
    if let Some(types) = fields.get("authorization_details_types") {
        for (index, item) in expect_array(types, "authorization_details_types")?
            .iter()
            .enumerate()
        {
            expect_string(item, &format!("authorization_details_types[{index}]"))?;
        }
    }
    Ok(())
}

fn reject_additional_properties(
    fields: &Map<String, Value>,
    allowed: &[&str],
) -> Result<(), String> {
    match fields.keys().find(|name| !allowed.contains(&name.as_str())) {
        Some(unknown) => Err(general_error(&format!(
            "Additional properties not allowed: {unknown}"
        ))),
        None => Ok(()),
    }
}

fn expect_string<'value>(value: &'value Value, path: &str) -> Result<&'value str, String> {
    value
        .as_str()
        .ok_or_else(|| type_error("string", value, path))
}

fn expect_array<'value>(value: &'value Value, path: &str) -> Result<&'value Vec<Value>, String> {
    value
        .as_array()
        .ok_or_else(|| type_error("array", value, path))
}

fn expect_enum(value: &Value, path: &str, allowed: &[&str]) -> Result<(), String> {
    let text = expect_string(value, path)?;
    if allowed.contains(&text) {
        Ok(())
    } else {
        Err(property_error(
            &format!("No enum match for: \"{text}\""),
            path,
        ))
    }
}

fn type_error(expected: &str, found: &Value, path: &str) -> String {
    property_error(
        &format!(
            "Expected type {expected} but found type {}",
            json_type(found)
        ),
        path,
    )
}

/// The JSON-schema type name, as the validator reports it (`integer` for whole numbers).
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn general_error(rule: &str) -> String {
    format!("Payload validation error: '{rule}'.")
}

fn property_error(rule: &str, path: &str) -> String {
    format!(
        "Payload validation error: '{rule}' on property {path} ({}).",
        describe_property(path)
    )
}

/// The property descriptions Auth0 appends to validation messages (from its schema).
fn describe_property(path: &str) -> &'static str {
    let property = path.split(['[', '.']).next().unwrap_or(path);
    match property {
        "name" => "The name of the client. Must contain at least one character. Does not allow '<' or '>'.",
        "description" => "Free text description of the purpose of the Client. (Max character length: <code>140</code>)",
        "app_type" => "The type of application this client represents",
        "token_endpoint_auth_method" => "Defines the requested authentication method for the token endpoint. Possible values are 'none' (public client without a client secret), 'client_secret_post' (client uses HTTP POST parameters) or 'client_secret_basic' (client uses HTTP Basic)",
        "grant_types" => "A set of grant types that the client is authorized to use",
        "callbacks" => "A set of URLs that are valid to call back from Auth0 when authenticating users",
        "allowed_origins" => "A set of URLs that represents valid origins for CORS",
        "web_origins" => "A set of URLs that represents valid web origins for use with web message response mode",
        "allowed_logout_urls" => "A set of URLs that are valid to redirect to after logout from Auth0.",
        "client_aliases" => "List of audiences for SAML protocol",
        "allowed_clients" => "A set of client ids that are allowed to request delegation tokens",
        "client_metadata" => "Metadata associated with the client, in the form of an object with string values (max 255 chars).  Maximum of 10 metadata properties allowed.  Field names (max 255 chars) are alphanumeric and may only include the following special characters:  :,-+=_*?\"/\\()<>@ [Tab] [Space]",
        "jwt_configuration" => "An object that holds settings related to how JWTs are created",
        "client_id" => "The id of the client",
        "audience" => "The audience (API identifier) of this client grant",
        "scope" => "Scopes allowed for this client grant.",
        "subject_type" => "Defines the type of subject for this grant",
        "organization_usage" => "Defines how organizations can be used with this client",
        _ => "See the Management API reference",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(payload: Value, mode: PayloadMode) -> String {
        match validate_client_payload(&payload, mode) {
            Err(ClientPayloadRejection::Invalid(message)) => message,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn client_payload_errors_are_worded_like_auth0() {
        assert_eq!(
            message(json!({}), PayloadMode::Create),
            "Payload validation error: 'Missing required property: name'."
        );
        assert!(message(json!({"name": ""}), PayloadMode::Create)
            .starts_with("Payload validation error: 'String is too short (0 chars), minimum 1' on property name ("));
        assert!(message(json!({"name": "a<b"}), PayloadMode::Create).contains("on property name"));
        assert!(message(json!({"name": "a", "description": "x".repeat(141)}), PayloadMode::Create)
            .starts_with("Payload validation error: 'String is too long (141 chars), maximum 140' on property description ("));
        assert!(message(
            json!({"name": "a", "callbacks": ["not a url"]}),
            PayloadMode::Create
        )
        .contains("absolute-uri-or-empty: not a url' on property callbacks[0]"));
        assert!(message(
            json!({"name": "a", "app_type": "robot"}),
            PayloadMode::Create
        )
        .contains("'No enum match for: \"robot\"' on property app_type"));
        assert!(message(
            json!({"name": "a", "client_metadata": {"n": 1}}),
            PayloadMode::Create
        )
        .contains("'Expected type string but found type integer' on property client_metadata.n"));
        assert_eq!(
            message(json!({"name": "a", "colour": "red"}), PayloadMode::Create),
            "Payload validation error: 'Additional properties not allowed: colour'."
        );
    }

    #[test]
    fn metadata_nulls_are_allowed_only_when_updating() {
        let payload = json!({"client_metadata": {"gone": null}});
        assert!(validate_client_payload(&payload, PayloadMode::Update).is_ok());
        let payload = json!({"name": "a", "client_metadata": {"gone": null}});
        assert!(validate_client_payload(&payload, PayloadMode::Create).is_err());
    }

    #[test]
    fn a_caller_chosen_client_id_is_forbidden_on_create() {
        assert_eq!(
            validate_client_payload(&json!({"name": "a", "client_id": "x"}), PayloadMode::Create),
            Err(ClientPayloadRejection::ClientIdChosenByCaller)
        );
    }
}
