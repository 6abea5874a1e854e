//! The tenant's data: clients, client grants, APIs (resource servers) and signing keys.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::identifiers::{new_client_grant_id, new_client_id, new_client_secret};
use super::keys::KeyRing;
use super::secret::ClientSecret;
use super::{EmulatorConfig, PORTICO_MANAGEMENT_SCOPES};

/// Everything a tenant holds. Guarded by one mutex in `Shared`; no lock is held across `.await`.
#[derive(Debug)]
pub(crate) struct Tenant {
    /// Clients in creation order, which is also the order Auth0 lists them in.
    pub(crate) clients: Vec<ClientRecord>,
    /// Client grants in creation order.
    pub(crate) grants: Vec<GrantRecord>,
    pub(crate) resource_servers: Vec<ResourceServer>,
    pub(crate) keys: KeyRing,
    pub(crate) tenant_name: String,
    pub(crate) management_client_id: String,
    pub(crate) full_management_client_id: String,
}

impl Tenant {
    /// A tenant with the Management API, the configured custom API, and the two seeded
    /// management clients (Portico's nine scopes, and every scope).
    pub(crate) fn seeded(config: &EmulatorConfig, base_url: &str, keys: KeyRing) -> Tenant {
        let management_audience = format!("{base_url}/api/v2/");
        let mut tenant = Tenant {
            clients: Vec::new(),
            grants: Vec::new(),
            resource_servers: Vec::new(),
            keys,
            tenant_name: config.tenant_name.clone(),
            management_client_id: String::new(),
            full_management_client_id: String::new(),
        };
        tenant.upsert_resource_server(ResourceServer {
            identifier: management_audience.clone(),
            scopes: ALL_MANAGEMENT_SCOPES
                .iter()
                .map(|scope| (*scope).to_owned())
                .collect(),
            token_lifetime: config.token_lifetime,
            include_permissions_claim: false,
        });
        tenant.upsert_resource_server(ResourceServer {
            identifier: config.api_audience.clone(),
            scopes: config.api_scopes.clone(),
            token_lifetime: config.token_lifetime,
            include_permissions_claim: false,
        });
        let (management_client_id, _) = tenant.add_machine_to_machine_client(
            "Portico management (emulator)",
            &management_audience,
            &PORTICO_MANAGEMENT_SCOPES,
            true,
        );
        let (full_management_client_id, _) = tenant.add_machine_to_machine_client(
            "Full management (emulator)",
            &management_audience,
            &ALL_MANAGEMENT_SCOPES,
            true,
        );
        tenant.management_client_id = management_client_id;
        tenant.full_management_client_id = full_management_client_id;
        tenant
    }

    /// Creates a `non_interactive` client allowed the client-credentials grant, plus a grant on
    /// `audience` for `scopes`. Returns `(client_id, client_secret)`.
    pub(crate) fn add_machine_to_machine_client(
        &mut self,
        name: &str,
        audience: &str,
        scopes: &[&str],
        seeded_for_management: bool,
    ) -> (String, String) {
        let mut attributes = Map::new();
        attributes.insert("name".to_owned(), Value::from(name));
        attributes.insert("app_type".to_owned(), Value::from("non_interactive"));
        attributes.insert("grant_types".to_owned(), json!(["client_credentials"]));
        apply_client_defaults(&mut attributes);
        let client_id = new_client_id();
        let secret = new_client_secret();
        self.clients.push(ClientRecord {
            client_id: client_id.clone(),
            secret: ClientSecret::new(secret.clone()),
            secret_usable_from_millis: i64::MIN,
            retired_secrets: Vec::new(),
            attributes,
            seeded_for_management,
        });
        self.grants.push(GrantRecord {
            id: new_client_grant_id(),
            client_id: client_id.clone(),
            audience: audience.to_owned(),
            scope: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
            optional_fields: Map::new(),
        });
        (client_id, secret)
    }

    pub(crate) fn client(&self, client_id: &str) -> Option<&ClientRecord> {
        self.clients
            .iter()
            .find(|client| client.client_id == client_id)
    }

    pub(crate) fn client_mut(&mut self, client_id: &str) -> Option<&mut ClientRecord> {
        self.clients
            .iter_mut()
            .find(|client| client.client_id == client_id)
    }

    pub(crate) fn is_management_seed(&self, client_id: &str) -> bool {
        self.client(client_id)
            .is_some_and(|client| client.seeded_for_management)
    }

    pub(crate) fn resource_server(&self, identifier: &str) -> Option<&ResourceServer> {
        self.resource_servers
            .iter()
            .find(|resource_server| resource_server.identifier == identifier)
    }

    pub(crate) fn resource_server_mut(&mut self, identifier: &str) -> Option<&mut ResourceServer> {
        self.resource_servers
            .iter_mut()
            .find(|resource_server| resource_server.identifier == identifier)
    }

    pub(crate) fn upsert_resource_server(&mut self, resource_server: ResourceServer) {
        match self.resource_server_mut(&resource_server.identifier) {
            Some(existing) => *existing = resource_server,
            None => self.resource_servers.push(resource_server),
        }
    }

    /// The grant that lets `client_id` obtain client-credentials tokens for `audience`.
    /// Grants for user flows (`subject_type: user`) do not count.
    pub(crate) fn client_credentials_grant(
        &self,
        client_id: &str,
        audience: &str,
    ) -> Option<&GrantRecord> {
        self.grants.iter().find(|grant| {
            grant.client_id == client_id
                && grant.audience == audience
                && grant.subject_type() == "client"
        })
    }

    pub(crate) fn grant(&self, grant_id: &str) -> Option<&GrantRecord> {
        self.grants.iter().find(|grant| grant.id == grant_id)
    }

    pub(crate) fn grant_mut(&mut self, grant_id: &str) -> Option<&mut GrantRecord> {
        self.grants.iter_mut().find(|grant| grant.id == grant_id)
    }
}

/// Fills in the fields Auth0 sets on a new client when the caller leaves them out.
///
/// The values are those of recorded real 201 responses: the four default grant types even
/// for `non_interactive` apps, first-party, not OIDC-conformant, a 36000 s ID-token lifetime.
pub(crate) fn apply_client_defaults(attributes: &mut Map<String, Value>) {
    let defaults = [
        ("is_first_party", json!(true)),
        ("is_token_endpoint_ip_header_trusted", json!(false)),
        ("oidc_conformant", json!(false)),
        ("sso_disabled", json!(false)),
        ("cross_origin_authentication", json!(false)),
        ("custom_login_page_on", json!(true)),
        ("callback_url_template", json!(false)),
        (
            "grant_types",
            json!([
                "authorization_code",
                "implicit",
                "refresh_token",
                "client_credentials"
            ]),
        ),
        (
            "refresh_token",
            json!({
                "expiration_type": "non-expiring",
                "leeway": 0,
                "infinite_token_lifetime": true,
                "infinite_idle_token_lifetime": true,
                "token_lifetime": 31_557_600,
                "idle_token_lifetime": 2_592_000,
                "rotation_type": "non-rotating"
            }),
        ),
    ];
    for (field, value) in defaults {
        attributes.entry(field.to_owned()).or_insert(value);
    }
    // Public app types (SPAs and native apps) cannot keep a secret, so Auth0 gives them no
    // token-endpoint authentication; everything else posts its secret in the body.
    if !attributes.contains_key("token_endpoint_auth_method") {
        let is_public = matches!(
            attributes.get("app_type").and_then(Value::as_str),
            Some("spa") | Some("native")
        );
        let method = if is_public {
            "none"
        } else {
            "client_secret_post"
        };
        attributes.insert("token_endpoint_auth_method".to_owned(), Value::from(method));
    }
    complete_jwt_configuration(attributes);
    attributes
        .entry("signing_keys".to_owned())
        .or_insert_with(|| {
            json!([{
                "cert": "-----BEGIN CERTIFICATE-----\nMIIemulatorPlaceholderCertificate\n-----END CERTIFICATE-----\n",
                "pkcs7": "-----BEGIN PKCS7-----\nMIIemulatorPlaceholder\n-----END PKCS7-----\n",
                "subject": "deprecated"
            }])
        });
}

/// Auth0 always returns `jwt_configuration` with `secret_encoded` and `lifetime_in_seconds`,
/// keeping whatever the caller set alongside them.
pub(crate) fn complete_jwt_configuration(attributes: &mut Map<String, Value>) {
    let configuration = attributes
        .entry("jwt_configuration".to_owned())
        .or_insert_with(|| json!({}));
    if let Value::Object(configuration) = configuration {
        configuration
            .entry("secret_encoded".to_owned())
            .or_insert(json!(false));
        configuration
            .entry("lifetime_in_seconds".to_owned())
            .or_insert(json!(36_000));
    }
}

/// One application (client) of the tenant.
#[derive(Debug)]
pub(crate) struct ClientRecord {
    pub(crate) client_id: String,
    pub(crate) secret: ClientSecret,
    /// When the current secret starts working at `/oauth/token` (emulated slow propagation).
    pub(crate) secret_usable_from_millis: i64,
    /// Replaced secrets that still work until their grace period ends.
    pub(crate) retired_secrets: Vec<RetiredSecret>,
    /// Every wire field except `client_id` and `client_secret`, as Auth0 would return them.
    pub(crate) attributes: Map<String, Value>,
    /// Management clients seeded by the emulator (left out of the inspection helpers).
    pub(crate) seeded_for_management: bool,
}

#[derive(Debug)]
pub(crate) struct RetiredSecret {
    pub(crate) secret: ClientSecret,
    pub(crate) usable_until_millis: i64,
}

/// Fields that only callers holding `read:client_keys` or `read:client_credentials` may see.
pub(crate) const KEY_FIELDS: [&str; 4] = [
    "client_secret",
    "encryption_key",
    "signing_keys",
    "client_authentication_methods",
];

impl ClientRecord {
    /// The client as the Management API returns it; key material only when `include_keys`.
    pub(crate) fn to_wire(&self, tenant_name: &str, include_keys: bool) -> Value {
        let mut object = self.attributes.clone();
        object.insert("tenant".to_owned(), Value::from(tenant_name));
        object.insert("global".to_owned(), Value::from(false));
        object.insert("client_id".to_owned(), Value::from(self.client_id.clone()));
        if include_keys {
            object.insert(
                "client_secret".to_owned(),
                Value::from(self.secret.expose().to_owned()),
            );
        } else {
            for field in KEY_FIELDS {
                object.remove(field);
            }
        }
        Value::Object(object)
    }

    /// Whether `candidate` is a secret `/oauth/token` accepts right now. Every stored secret is
    /// compared, so the time taken does not reveal which one (if any) matched.
    pub(crate) fn accepts_secret(&self, candidate: &str, now_millis: i64) -> bool {
        let current_matches =
            self.secret.matches(candidate) && now_millis >= self.secret_usable_from_millis;
        let retired_matches = self
            .retired_secrets
            .iter()
            .map(|retired| {
                retired.secret.matches(candidate) && now_millis < retired.usable_until_millis
            })
            .fold(false, |accumulated, matched| accumulated | matched);
        current_matches | retired_matches
    }

    /// Installs a new secret. The old one keeps working for the grace period, and for as long
    /// as the new one is still propagating, because Auth0 never leaves a client without any
    /// usable secret during a rotation.
    pub(crate) fn replace_secret(
        &mut self,
        new_secret: ClientSecret,
        now_millis: i64,
        grace: Duration,
        propagation_delay: Duration,
    ) {
        let propagation_millis = propagation_delay.as_millis() as i64;
        let old_secret_lifetime_millis = (grace.as_millis() as i64).max(propagation_millis);
        self.retired_secrets
            .retain(|retired| retired.usable_until_millis > now_millis);
        if old_secret_lifetime_millis > 0 {
            let old_secret = std::mem::replace(&mut self.secret, new_secret);
            self.retired_secrets.push(RetiredSecret {
                secret: old_secret,
                usable_until_millis: now_millis + old_secret_lifetime_millis,
            });
        } else {
            self.secret = new_secret;
        }
        self.secret_usable_from_millis = now_millis + propagation_millis;
    }

    pub(crate) fn allows_client_credentials(&self) -> bool {
        self.attributes
            .get("grant_types")
            .and_then(Value::as_array)
            .is_some_and(|grant_types| {
                grant_types
                    .iter()
                    .any(|grant_type| grant_type.as_str() == Some("client_credentials"))
            })
    }

    pub(crate) fn token_endpoint_auth_method(&self) -> &str {
        self.attributes
            .get("token_endpoint_auth_method")
            .and_then(Value::as_str)
            .unwrap_or("client_secret_post")
    }
}

/// A client grant: `client_id` may obtain tokens for `audience` with `scope`.
#[derive(Clone, Debug)]
pub(crate) struct GrantRecord {
    pub(crate) id: String,
    pub(crate) client_id: String,
    pub(crate) audience: String,
    pub(crate) scope: Vec<String>,
    /// Optional fields the caller set (`subject_type`, `organization_usage`, ...), echoed back.
    pub(crate) optional_fields: Map<String, Value>,
}

impl GrantRecord {
    pub(crate) fn to_wire(&self) -> Value {
        let mut object = self.optional_fields.clone();
        object.insert("id".to_owned(), Value::from(self.id.clone()));
        object.insert("client_id".to_owned(), Value::from(self.client_id.clone()));
        object.insert("audience".to_owned(), Value::from(self.audience.clone()));
        object.insert("scope".to_owned(), json!(self.scope));
        Value::Object(object)
    }

    /// Auth0 treats a grant without `subject_type` as a client (machine-to-machine) grant.
    pub(crate) fn subject_type(&self) -> &str {
        self.optional_fields
            .get("subject_type")
            .and_then(Value::as_str)
            .unwrap_or("client")
    }
}

/// An API (resource server) that tokens can be issued for.
#[derive(Clone, Debug)]
pub(crate) struct ResourceServer {
    pub(crate) identifier: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) token_lifetime: u64,
    /// RBAC with "Add Permissions in the Access Token": tokens carry a `permissions` array.
    pub(crate) include_permissions_claim: bool,
}

impl ResourceServer {
    pub(crate) fn to_wire(&self) -> Value {
        let scopes: Vec<Value> = self
            .scopes
            .iter()
            .map(|scope| json!({ "value": scope, "description": scope }))
            .collect();
        let token_dialect = if self.include_permissions_claim {
            "access_token_authz"
        } else {
            "access_token"
        };
        json!({
            "identifier": self.identifier,
            "scopes": scopes,
            "token_lifetime": self.token_lifetime,
            "signing_alg": "RS256",
            "enforce_policies": self.include_permissions_claim,
            "token_dialect": token_dialect
        })
    }
}

/// The Management API scopes the emulator knows, Portico's nine included.
pub(crate) const ALL_MANAGEMENT_SCOPES: [&str; 52] = [
    "read:client_grants",
    "create:client_grants",
    "delete:client_grants",
    "update:client_grants",
    "read:users",
    "update:users",
    "delete:users",
    "create:users",
    "read:users_app_metadata",
    "update:users_app_metadata",
    "delete:users_app_metadata",
    "create:users_app_metadata",
    "read:user_custom_blocks",
    "create:user_custom_blocks",
    "delete:user_custom_blocks",
    "create:user_tickets",
    "read:clients",
    "update:clients",
    "delete:clients",
    "create:clients",
    "read:client_keys",
    "update:client_keys",
    "delete:client_keys",
    "create:client_keys",
    "read:client_credentials",
    "update:client_credentials",
    "delete:client_credentials",
    "create:client_credentials",
    "read:connections",
    "update:connections",
    "delete:connections",
    "create:connections",
    "read:resource_servers",
    "update:resource_servers",
    "delete:resource_servers",
    "create:resource_servers",
    "read:rules",
    "update:rules",
    "delete:rules",
    "create:rules",
    "read:tenant_settings",
    "update:tenant_settings",
    "read:logs",
    "read:stats",
    "read:roles",
    "create:roles",
    "update:roles",
    "delete:roles",
    "read:organizations",
    "create:organizations",
    "update:organizations",
    "delete:organizations",
];
