//! The JSON bodies exchanged with Auth0, kept apart from the domain types.

use portico_core::SecretString;
use serde::{Deserialize, Serialize};

/// `POST /api/v2/clients`.
#[derive(Debug, Serialize)]
pub(crate) struct CreateClient<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub app_type: &'static str,
    pub grant_types: [&'static str; 1],
    pub token_endpoint_auth_method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callbacks: Option<[&'a str; 1]>,
    pub client_metadata: ClientMetadata,
}

/// Tags an Auth0 client with the Portico objects it belongs to; Auth0 takes string values only.
#[derive(Debug, Serialize)]
pub(crate) struct ClientMetadata {
    pub portico_application_id: String,
    pub portico_developer_id: String,
}

/// `PATCH /api/v2/clients/{id}`. `callbacks` is always sent, so that removing the redirect URI
/// clears it at Auth0 (arrays are replaced whole).
#[derive(Debug, Serialize)]
pub(crate) struct UpdateClient<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub callbacks: Vec<&'a str>,
}

/// `POST /api/v2/client-grants`.
#[derive(Debug, Serialize)]
pub(crate) struct CreateClientGrant<'a> {
    pub client_id: &'a str,
    pub audience: &'a str,
    pub scope: Vec<&'a str>,
}

/// The parts of a client Portico reads from `POST /clients` and `POST …/rotate-secret`.
#[derive(Debug, Deserialize)]
pub(crate) struct ClientWithSecret {
    pub client_id: String,
    pub client_secret: SecretString,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ClientGrant {
    pub id: String,
}

/// `GET /api/v2/client-grants` answers a bare array, or a page object when totals or
/// checkpoints are asked for.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ClientGrantList {
    Plain(Vec<ClientGrant>),
    Paged { client_grants: Vec<ClientGrant> },
}

impl ClientGrantList {
    pub fn into_grants(self) -> Vec<ClientGrant> {
        match self {
            ClientGrantList::Plain(grants) => grants,
            ClientGrantList::Paged { client_grants } => client_grants,
        }
    }
}

/// The Management API's error body: `{statusCode, error, message, errorCode}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ManagementError {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, rename = "errorCode")]
    pub error_code: Option<String>,
}

/// `POST /oauth/token` success.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: SecretString,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// `POST /oauth/token` failure: `{error, error_description}`.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenError {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
}

/// Keys whose values are never logged.
const SECRET_KEYS: [&str; 6] = [
    "client_secret",
    "access_token",
    "id_token",
    "refresh_token",
    "signing_keys",
    "encryption_key",
];

/// A response body fit for a debug log: secret fields of JSON bodies are replaced, and any
/// other body is cut before the first secret-looking key.
pub(crate) fn loggable_body(body: &[u8]) -> String {
    const LIMIT: usize = 2048;
    if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) {
        redact(&mut value);
        let mut text = value.to_string();
        truncate(&mut text, LIMIT);
        return text;
    }
    let mut text = String::from_utf8_lossy(body).into_owned();
    let first_secret = SECRET_KEYS.iter().filter_map(|key| text.find(key)).min();
    if let Some(position) = first_secret {
        text.truncate(position);
        text.push_str("…[redacted]");
    }
    truncate(&mut text, LIMIT);
    text
}

fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.as_str()) {
                    *field = serde_json::Value::String("[redacted]".to_owned());
                } else {
                    redact(field);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

fn truncate(text: &mut String, limit: usize) {
    if text.len() > limit {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_create_body_is_what_auth0_expects() {
        let body = CreateClient {
            name: "Weather app",
            description: "Reads the forecast",
            app_type: "non_interactive",
            grant_types: ["client_credentials"],
            token_endpoint_auth_method: "client_secret_post",
            callbacks: Some(["https://app.example/callback"]),
            client_metadata: ClientMetadata {
                portico_application_id: "a-1".into(),
                portico_developer_id: "d-1".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({
                "name": "Weather app",
                "description": "Reads the forecast",
                "app_type": "non_interactive",
                "grant_types": ["client_credentials"],
                "token_endpoint_auth_method": "client_secret_post",
                "callbacks": ["https://app.example/callback"],
                "client_metadata": {"portico_application_id": "a-1", "portico_developer_id": "d-1"}
            })
        );
        let without_callback = CreateClient {
            callbacks: None,
            ..body
        };
        assert!(serde_json::to_value(&without_callback)
            .unwrap()
            .get("callbacks")
            .is_none());
    }

    #[test]
    fn grant_lists_come_in_both_shapes() {
        let plain: ClientGrantList = serde_json::from_str(r#"[{"id":"cgr_1"}]"#).unwrap();
        assert_eq!(plain.into_grants()[0].id, "cgr_1");
        let paged: ClientGrantList =
            serde_json::from_str(r#"{"total":1,"client_grants":[{"id":"cgr_2"}]}"#).unwrap();
        assert_eq!(paged.into_grants()[0].id, "cgr_2");
    }

    #[test]
    fn logged_bodies_hold_no_secret() {
        let json_body =
            br#"{"client_id":"abc","client_secret":"s3cret","nested":[{"access_token":"t0ken"}]}"#;
        let logged = loggable_body(json_body);
        assert!(logged.contains("abc"));
        assert!(!logged.contains("s3cret") && !logged.contains("t0ken"));

        let truncated = br#"{"client_id":"abc","client_secret":"s3cret","na"#;
        let logged = loggable_body(truncated);
        assert!(logged.contains("abc"));
        assert!(!logged.contains("s3cret"));

        assert_eq!(
            loggable_body(b"<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }
}
