//! An immutable picture of everything the gateway reads from the store, rebuilt whenever the
//! store's configuration version changes and swapped in whole, so that each request sees one
//! consistent configuration and lookups on the request path are plain hash-map reads.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use http::uri::{Authority, Scheme};
use http::{HeaderValue, Method};
use portico_core::id::{ApiId, ApplicationId, AuthStrategyId, DcrProviderId, DeveloperId};
use portico_core::model::{ApprovalStatus, AuthMethod};
use portico_core::ports::{Store, StoreError};
use portico_core::Issuer;
use time::OffsetDateTime;

use crate::issuers::{IssuerClient, IssuerRegistry};

pub(crate) struct Snapshot {
    pub version: i64,
    pub routes: RouteTable,
    /// Per client id, the applications using it and their `updated_at`: when this changes
    /// between two snapshots, the client's cached token exchanges are dropped.
    pub application_versions: HashMap<String, Vec<(ApplicationId, OffsetDateTime)>>,
}

impl Snapshot {
    pub fn empty() -> Self {
        Self {
            version: i64::MIN,
            routes: RouteTable::default(),
            application_versions: HashMap::new(),
        }
    }

    /// Client ids whose applications were deleted or changed (a regenerated secret updates
    /// the application) between `self` and `newer`.
    pub fn changed_clients(&self, newer: &Snapshot) -> Vec<String> {
        self.application_versions
            .iter()
            .filter(|(client_id, versions)| {
                newer.application_versions.get(*client_id) != Some(versions)
            })
            .map(|(client_id, _)| client_id.clone())
            .collect()
    }
}

/// A published API as the gateway needs it.
pub(crate) struct ApiEntry {
    pub id: ApiId,
    pub upstream: Upstream,
    pub auth: ApiAuth,
}

pub(crate) enum ApiAuth {
    /// The API's strategy; for an API that follows the portal's default, also the other
    /// strategies that have applications, so that applications made before the default
    /// changed keep working with the IdP that made them.
    Strategy(Arc<StrategyEntry>, Vec<Arc<StrategyEntry>>),
    /// No strategy, and the configuration allows proxying such APIs openly.
    Open,
    /// No strategy: every request is refused.
    Unconfigured,
}

pub(crate) struct Upstream {
    pub scheme: Scheme,
    pub authority: Authority,
    /// The upstream URL's path, to which the request's remaining path is appended.
    pub base_path: String,
}

/// An auth strategy with the applications that can authenticate through it.
pub(crate) struct StrategyEntry {
    pub id: AuthStrategyId,
    pub audience: String,
    pub credential_claim: Vec<String>,
    pub allow_client_credentials: bool,
    pub allow_bearer: bool,
    pub idp: Arc<IssuerClient>,
    /// Applications whose provider has this strategy's issuer, by client id.
    pub applications: HashMap<String, Arc<AppEntry>>,
    /// Mixed into cache keys, so that a token verified for one issuer and audience is never
    /// taken as verified for another.
    pub cache_salt: Vec<u8>,
}

impl StrategyEntry {
    /// Whether these credentials belong to this strategy: a Basic client id that is one of
    /// its applications, or a bearer token whose (not yet verified) issuer is its issuer.
    /// Only chooses which strategy verifies them; the verification itself decides.
    pub fn claims_credentials(&self, credentials: &crate::auth::Credentials<'_>) -> bool {
        match credentials {
            crate::auth::Credentials::Basic { client_id, .. } => {
                self.applications.contains_key(client_id)
            }
            crate::auth::Credentials::Bearer(token) => crate::auth::unverified_issuer(token)
                .is_some_and(|issuer| self.idp.issuer().matches(&issuer)),
        }
    }
}

pub(crate) struct AppEntry {
    pub id: ApplicationId,
    pub client_id: String,
    pub approved_apis: HashSet<ApiId>,
    /// The identity headers sent upstream, encoded once.
    pub application_id_header: HeaderValue,
    pub application_name_header: HeaderValue,
    pub developer_id_header: HeaderValue,
    pub client_id_header: HeaderValue,
}

/// Reads the store and builds a snapshot. The version is read first, so that a write that
/// lands during the build shows up as a newer version at the next poll.
pub(crate) async fn load(
    store: &dyn Store,
    issuers: &IssuerRegistry,
    open_apis_without_strategy: bool,
) -> Result<Snapshot, StoreError> {
    let version = store.config_version().await?;
    let settings = store.portal_settings().await?;
    let providers = store.dcr_providers().await?;
    let strategies = store.auth_strategies().await?;
    let apis = store.apis().await?;
    let applications = store.applications(None).await?;
    // Only an approved developer's applications may call APIs: a revoked, rejected or pending
    // developer's applications keep their credentials but get 403 everywhere.
    let approved_developers: HashSet<DeveloperId> = store
        .developers()
        .await?
        .into_iter()
        .filter(|developer| developer.status == ApprovalStatus::Approved)
        .map(|developer| developer.id)
        .collect();
    let registrations = store.registrations(Some(ApprovalStatus::Approved)).await?;

    let provider_issuers: HashMap<DcrProviderId, &Issuer> = providers
        .iter()
        .map(|provider| (provider.id, &provider.issuer))
        .collect();

    let mut approved: HashMap<ApplicationId, HashSet<ApiId>> = HashMap::new();
    for registration in registrations
        .iter()
        .filter(|registration| registration.status == ApprovalStatus::Approved)
    {
        approved
            .entry(registration.application_id)
            .or_default()
            .insert(registration.api_id);
    }

    let mut application_versions: HashMap<String, Vec<(ApplicationId, OffsetDateTime)>> =
        HashMap::new();
    // Applications by the issuer of their provider, each with its provider id.
    let mut by_issuer: HashMap<&str, Vec<(DcrProviderId, Arc<AppEntry>)>> = HashMap::new();
    for application in &applications {
        application_versions
            .entry(application.client_id.clone())
            .or_default()
            .push((application.id, application.updated_at));
        let Some(issuer) = provider_issuers.get(&application.dcr_provider_id) else {
            continue;
        };
        let entry = Arc::new(AppEntry {
            id: application.id,
            client_id: application.client_id.clone(),
            approved_apis: approved
                .remove(&application.id)
                .filter(|_| approved_developers.contains(&application.developer_id))
                .unwrap_or_default(),
            application_id_header: header_value(&application.id.to_string()),
            application_name_header: header_value(&application.name),
            developer_id_header: header_value(&application.developer_id.to_string()),
            client_id_header: header_value(&application.client_id),
        });
        by_issuer
            .entry(issuer.as_str())
            .or_default()
            .push((application.dcr_provider_id, entry));
    }
    for versions in application_versions.values_mut() {
        versions.sort();
    }

    let mut strategy_entries: HashMap<AuthStrategyId, Arc<StrategyEntry>> = HashMap::new();
    for strategy in &strategies {
        let config = &strategy.openid_connect;
        let mut applications: HashMap<String, Arc<AppEntry>> = HashMap::new();
        if let Some(candidates) = by_issuer.get(config.issuer.as_str()) {
            // When two providers at one issuer know the same client id, the strategy's own
            // provider wins.
            for (provider_id, app) in candidates {
                let own = Some(*provider_id) == strategy.dcr_provider_id;
                if own || !applications.contains_key(&app.client_id) {
                    applications.insert(app.client_id.clone(), app.clone());
                }
            }
        }
        let mut cache_salt = Vec::new();
        cache_salt.extend_from_slice(config.issuer.as_str().as_bytes());
        cache_salt.push(0);
        cache_salt.extend_from_slice(config.audience.as_bytes());
        cache_salt.push(0);
        strategy_entries.insert(
            strategy.id,
            Arc::new(StrategyEntry {
                id: strategy.id,
                audience: config.audience.clone(),
                credential_claim: config.credential_claim.clone(),
                allow_client_credentials: config
                    .auth_methods
                    .contains(&AuthMethod::ClientCredentials),
                allow_bearer: config.auth_methods.contains(&AuthMethod::Bearer),
                idp: issuers.client_for(&config.issuer),
                applications,
                cache_salt,
            }),
        );
    }

    let mut routes = RouteTable::default();
    let mut published: Vec<_> = apis.iter().filter(|api| api.published).collect();
    // Older APIs first, so that of two APIs claiming the same prefix the older one wins,
    // the same way at every rebuild.
    published.sort_by_key(|api| (api.created_at, api.id));
    for api in published {
        let Some(upstream) = upstream_of(&api.upstream_url) else {
            tracing::warn!(api_id = %api.id, upstream_url = %api.upstream_url, "the API's upstream URL cannot be proxied (only http:// and https:// upstreams are supported); its routes are left out");
            continue;
        };
        let strategy_id = api.auth_strategy_id.or(settings.default_auth_strategy_id);
        let auth = match strategy_id.and_then(|id| strategy_entries.get(&id)) {
            Some(strategy) => {
                let earlier_defaults = if api.auth_strategy_id.is_none() {
                    strategy_entries
                        .values()
                        .filter(|other| other.id != strategy.id && !other.applications.is_empty())
                        .cloned()
                        .collect()
                } else {
                    Vec::new()
                };
                ApiAuth::Strategy(strategy.clone(), earlier_defaults)
            }
            None if open_apis_without_strategy => ApiAuth::Open,
            None => ApiAuth::Unconfigured,
        };
        let entry = Arc::new(ApiEntry {
            id: api.id,
            upstream,
            auth,
        });
        for route in &api.routes {
            let methods = route
                .methods
                .iter()
                .filter_map(|method| {
                    Method::from_bytes(method.trim().to_ascii_uppercase().as_bytes()).ok()
                })
                .collect::<Vec<_>>();
            for path in &route.paths {
                match normalize_prefix(path) {
                    Some(prefix) => routes.insert(
                        prefix,
                        RouteEntry {
                            methods: methods.clone(),
                            strip_path: route.strip_path,
                            api: entry.clone(),
                        },
                    ),
                    None => {
                        tracing::warn!(api_id = %api.id, path, "a route path is not usable; it is left out")
                    }
                }
            }
        }
    }

    Ok(Snapshot {
        version,
        routes,
        application_versions,
    })
}

fn upstream_of(url: &url::Url) -> Option<Upstream> {
    let scheme = match url.scheme() {
        "http" => Scheme::HTTP,
        "https" => Scheme::HTTPS,
        _ => return None,
    };
    let host = url.host_str()?;
    let port = url.port_or_known_default()?;
    let authority = format!("{host}:{port}").parse::<Authority>().ok()?;
    Some(Upstream {
        scheme,
        authority,
        base_path: url.path().to_owned(),
    })
}

/// Header values must be visible ASCII; names and ids that are not are percent-encoded
/// (as are `%` signs), so that an upstream can always decode them the same way.
pub(crate) fn header_value(text: &str) -> HeaderValue {
    let plain = text
        .bytes()
        .all(|byte| (b' '..=b'~').contains(&byte) && byte != b'%');
    if plain {
        if let Ok(value) = HeaderValue::from_str(text) {
            return value;
        }
    }
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if (b' '..=b'~').contains(&byte) && byte != b'%' {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    HeaderValue::from_str(&encoded).expect("percent-encoded text is a valid header value")
}

/// `/echo/` → `/echo`; `echo` → `/echo`; `/` stays. Paths with a query, a fragment, spaces
/// or dot segments are refused.
fn normalize_prefix(path: &str) -> Option<String> {
    let path = path.trim();
    if path.is_empty()
        || path.bytes().any(|byte| {
            byte.is_ascii_whitespace() || byte.is_ascii_control() || byte == b'?' || byte == b'#'
        })
        || has_dot_segment(path)
    {
        return None;
    }
    let mut prefix = String::with_capacity(path.len() + 1);
    if !path.starts_with('/') {
        prefix.push('/');
    }
    prefix.push_str(path);
    while prefix.len() > 1 && prefix.ends_with('/') {
        prefix.pop();
    }
    Some(prefix)
}

/// Whether a path holds a `.` or `..` segment, literally or percent-encoded. Such paths are
/// refused, because an upstream that resolves them could be led outside the API's base path.
pub(crate) fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|segment| {
        let decoded = segment.replace("%2e", ".").replace("%2E", ".");
        decoded == "." || decoded == ".."
    })
}

#[derive(Default)]
pub(crate) struct RouteTable {
    by_prefix: HashMap<String, Vec<RouteEntry>>,
}

struct RouteEntry {
    /// Empty means every method.
    methods: Vec<Method>,
    strip_path: bool,
    api: Arc<ApiEntry>,
}

pub(crate) struct RouteMatch<'a> {
    pub api: &'a Arc<ApiEntry>,
    /// The path to request upstream (without the query).
    pub upstream_path: String,
}

impl RouteTable {
    fn insert(&mut self, prefix: String, entry: RouteEntry) {
        self.by_prefix.entry(prefix).or_default().push(entry);
    }

    pub fn is_empty(&self) -> bool {
        self.by_prefix.is_empty()
    }

    /// The route with the longest prefix of `path` that allows `method`. A prefix matches
    /// the path itself and the path below it: `/echo` matches `/echo` and `/echo/x`, not
    /// `/echoes`. Costs one hash lookup per path segment.
    pub fn find<'a>(&'a self, method: &Method, path: &str) -> Option<RouteMatch<'a>> {
        let mut end = path.len();
        loop {
            let candidate = if end == 0 { "/" } else { &path[..end] };
            if let Some(entries) = self.by_prefix.get(candidate) {
                if let Some(entry) = entries
                    .iter()
                    .find(|entry| entry.methods.is_empty() || entry.methods.contains(method))
                {
                    let remainder = if !entry.strip_path || candidate == "/" {
                        path
                    } else {
                        &path[candidate.len()..]
                    };
                    return Some(RouteMatch {
                        api: &entry.api,
                        upstream_path: join_path(&entry.api.upstream.base_path, remainder),
                    });
                }
            }
            if end <= 1 {
                return None;
            }
            end = path[..end].rfind('/').unwrap_or(0);
        }
    }
}

fn join_path(base: &str, remainder: &str) -> String {
    if remainder.is_empty() {
        return if base.is_empty() {
            "/".to_owned()
        } else {
            base.to_owned()
        };
    }
    let base = base.trim_end_matches('/');
    let mut joined = String::with_capacity(base.len() + remainder.len() + 1);
    joined.push_str(base);
    if !remainder.starts_with('/') {
        joined.push('/');
    }
    joined.push_str(remainder);
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(base_path: &str) -> Arc<ApiEntry> {
        Arc::new(ApiEntry {
            id: ApiId::new(),
            upstream: Upstream {
                scheme: Scheme::HTTP,
                authority: "127.0.0.1:9".parse().unwrap(),
                base_path: base_path.to_owned(),
            },
            auth: ApiAuth::Unconfigured,
        })
    }

    fn table(routes: &[(&str, &[&str], bool, &Arc<ApiEntry>)]) -> RouteTable {
        let mut table = RouteTable::default();
        for (path, methods, strip_path, api) in routes {
            table.insert(
                normalize_prefix(path).unwrap(),
                RouteEntry {
                    methods: methods.iter().map(|m| m.parse().unwrap()).collect(),
                    strip_path: *strip_path,
                    api: (*api).clone(),
                },
            );
        }
        table
    }

    #[test]
    fn the_longest_prefix_wins_on_segment_boundaries() {
        let echo = api("/");
        let deep = api("/v2/");
        let root = api("/root");
        let table = table(&[
            ("/echo", &[], true, &echo),
            ("/echo/deep/", &[], true, &deep),
            ("/", &[], false, &root),
        ]);
        let get = Method::GET;
        let found = table.find(&get, "/echo").unwrap();
        assert!(Arc::ptr_eq(found.api, &echo));
        assert_eq!(found.upstream_path, "/");
        let found = table.find(&get, "/echo/a/b").unwrap();
        assert!(Arc::ptr_eq(found.api, &echo));
        assert_eq!(found.upstream_path, "/a/b");
        let found = table.find(&get, "/echo/deep/x").unwrap();
        assert!(Arc::ptr_eq(found.api, &deep));
        assert_eq!(found.upstream_path, "/v2/x");
        let found = table.find(&get, "/echo/deep").unwrap();
        assert_eq!(found.upstream_path, "/v2/");
        let found = table.find(&get, "/echoes").unwrap();
        assert!(
            Arc::ptr_eq(found.api, &root),
            "/echo must not match /echoes"
        );
        assert_eq!(found.upstream_path, "/root/echoes");
        let found = table.find(&get, "/").unwrap();
        assert_eq!(found.upstream_path, "/root/");
    }

    #[test]
    fn methods_filter_and_no_match_is_none() {
        let reads = api("/r");
        let writes = api("/w");
        let table = table(&[
            ("/items", &["GET"], true, &reads),
            ("/items", &["POST", "PUT"], false, &writes),
        ]);
        assert!(Arc::ptr_eq(
            table.find(&Method::GET, "/items/1").unwrap().api,
            &reads
        ));
        let post = table.find(&Method::POST, "/items/1").unwrap();
        assert!(Arc::ptr_eq(post.api, &writes));
        assert_eq!(post.upstream_path, "/w/items/1");
        assert!(table.find(&Method::DELETE, "/items").is_none());
        assert!(table.find(&Method::GET, "/other").is_none());
    }

    #[test]
    fn prefixes_are_normalized_and_dot_segments_refused() {
        assert_eq!(normalize_prefix("/echo/").as_deref(), Some("/echo"));
        assert_eq!(normalize_prefix("echo").as_deref(), Some("/echo"));
        assert_eq!(normalize_prefix("/").as_deref(), Some("/"));
        assert_eq!(normalize_prefix("/a?b"), None);
        assert_eq!(normalize_prefix("/a/../b"), None);
        assert!(has_dot_segment("/echo/../admin"));
        assert!(has_dot_segment("/echo/%2e%2E/admin"));
        assert!(has_dot_segment("/echo/."));
        assert!(!has_dot_segment("/echo/.well-known/x..y"));
    }

    #[test]
    fn identity_headers_are_encoded_when_needed() {
        assert_eq!(header_value("My App"), "My App");
        assert_eq!(header_value("Café 100%"), "Caf%C3%A9 100%25");
        assert_eq!(header_value("a\r\nb"), "a%0D%0Ab");
    }
}
