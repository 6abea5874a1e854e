//! The built-in identity provider against standard OAuth clients: curl and the `oauth2`
//! crate fetch tokens that the gateway accepts, and each kind of bad request gets RFC 6749's
//! error and status. Also: the fresh install's default, and switching to Auth0 and back.

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, TokenResponse, TokenUrl};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

/// A started Portico with the Echo upstream published at `/things`, and one developer with
/// one application registered for it.
struct World {
    _dir: tempfile::TempDir,
    portico: TestPortico,
    developer_token: String,
    application: Value,
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let url = portico_store::sqlite_url(&dir.path().join("portico.db"));
        let portico = TestPortico::start(dir.path(), &url).await;
        let (upstream, _task) = portico::demo::start_echo_upstream().await.unwrap();
        let api_id = publish_api(&portico, "things", "/things", upstream, None).await;
        let developer_token = portico.developer("ada@example.com").await;
        let application =
            registered_application(&portico, &developer_token, "Ada's app", &api_id).await;
        World {
            _dir: dir,
            portico,
            developer_token,
            application,
        }
    }

    fn client_id(&self) -> &str {
        self.application["client_id"].as_str().unwrap()
    }

    fn client_secret(&self) -> &str {
        self.application["client_secret"].as_str().unwrap()
    }

    fn token_url(&self) -> String {
        self.portico.portal_url("/idp/oauth/token")
    }

    /// Like [`World::call_gateway`], but gives the gateway the two seconds it may take to
    /// learn of the API and the application; answers the first status that is not 404, 401
    /// or 403, or the last one.
    async fn call_gateway_once_it_knows(&self, authorization: &str) -> StatusCode {
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        loop {
            let status = self.call_gateway(authorization).await;
            let not_yet = [
                StatusCode::NOT_FOUND,
                StatusCode::UNAUTHORIZED,
                StatusCode::FORBIDDEN,
            ];
            if !not_yet.contains(&status) || std::time::Instant::now() > deadline {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Calls `/things` through the gateway with `authorization`; on 200, checks that the
    /// upstream saw this application.
    async fn call_gateway(&self, authorization: &str) -> StatusCode {
        let response = self
            .portico
            .http
            .get(self.portico.proxy_url("/things/weather"))
            .header("authorization", authorization)
            .send()
            .await
            .unwrap();
        let status = response.status();
        if status == StatusCode::OK {
            let echoed: Value = response.json().await.unwrap();
            assert_eq!(
                echoed["headers"]["x-application-id"], self.application["id"],
                "{echoed}"
            );
            assert_eq!(echoed["path"], "/weather");
        }
        status
    }

    /// A form POST to the token endpoint; answers the status, the JSON body and the headers.
    async fn token_request(
        &self,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut request = self.portico.http.post(self.token_url()).form(form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        let response = request.send().await.unwrap();
        let headers = response.headers().clone();
        let (status, body) = read(response).await;
        (status, body, headers)
    }
}

#[tokio::test]
async fn tokens_from_curl_and_from_the_oauth2_crate_pass_the_gateway() {
    let world = World::new().await;

    // curl, exactly as a person types it.
    let output = tokio::process::Command::new("curl")
        .args(["-s", "-u"])
        .arg(format!("{}:{}", world.client_id(), world.client_secret()))
        .args(["-d", "grant_type=client_credentials"])
        .arg(world.token_url())
        .output()
        .await
        .expect("curl runs");
    assert!(output.status.success(), "{output:?}");
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["token_type"], "Bearer", "{answer}");
    assert_eq!(answer["expires_in"], 3600);
    let curl_token = answer["access_token"].as_str().unwrap().to_owned();

    // The oauth2 crate: client_secret_basic with its own form-urlencoding of the pair, and
    // Auth0's audience parameter.
    let client = BasicClient::new(ClientId::new(world.client_id().to_owned()))
        .set_client_secret(ClientSecret::new(world.client_secret().to_owned()))
        .set_token_uri(TokenUrl::new(world.token_url()).unwrap());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let issued = client
        .exchange_client_credentials()
        .add_extra_param("audience", "portico")
        .request_async(&http)
        .await
        .expect("the oauth2 crate gets a token");
    assert_eq!(issued.expires_in(), Some(Duration::from_secs(3600)));
    let library_token = issued.access_token().secret().clone();
    assert_ne!(library_token, curl_token);

    for token in [&curl_token, &library_token] {
        let header = jwt_part(token, 0);
        assert_eq!(header["alg"], "RS256");
        let claims = jwt_part(token, 1);
        assert_eq!(claims["iss"], world.portico.portal_url("/idp"));
        assert_eq!(claims["sub"], world.client_id());
        assert_eq!(claims["azp"], world.client_id());
        assert_eq!(claims["aud"], "portico");
        assert_eq!(claims["scope"], "");
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            3600
        );
        assert!(claims["jti"].as_str().is_some_and(|jti| !jti.is_empty()));
        assert_eq!(
            world
                .call_gateway_once_it_knows(&format!("Bearer {token}"))
                .await,
            StatusCode::OK
        );
    }
    let (_, jwks) = world
        .portico
        .portal(Method::GET, "/idp/.well-known/jwks.json", None, None)
        .await;
    assert_eq!(jwks["keys"][0]["kid"], jwt_part(&curl_token, 0)["kid"]);

    // And the seed's literal Basic header, which the gateway exchanges itself.
    assert_eq!(
        world
            .call_gateway(&format!(
                "Basic {}:{}",
                world.client_id(),
                world.client_secret()
            ))
            .await,
        StatusCode::OK
    );
    world.portico.stop().await;
}

#[tokio::test]
async fn bad_token_requests_get_rfc_6749_errors() {
    let world = World::new().await;
    let grant = [("grant_type", "client_credentials")];

    // Wrong secret, by Basic: 401 with a Basic challenge.
    let (status, body, headers) = world
        .token_request(&grant, Some((world.client_id(), "not-the-secret")))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(headers["www-authenticate"], "Basic realm=\"portico\"");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));

    // Wrong secret, in the form (client_secret_post).
    let (status, body, _) = world
        .token_request(
            &[
                ("grant_type", "client_credentials"),
                ("client_id", world.client_id()),
                ("client_secret", "not-the-secret"),
            ],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_client");

    // Unknown client: the same answer as a wrong secret.
    let (status, unknown, _) = world
        .token_request(&grant, Some(("no-such-client", world.client_secret())))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown, body);

    // An audience this server does not serve.
    let (status, body, _) = world
        .token_request(
            &[
                ("grant_type", "client_credentials"),
                ("audience", "https://api.elsewhere.example"),
            ],
            Some((world.client_id(), world.client_secret())),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_target");

    // A grant this server does not do.
    let (status, body, _) = world
        .token_request(
            &[
                ("grant_type", "password"),
                ("username", "ada"),
                ("password", "x"),
            ],
            Some((world.client_id(), world.client_secret())),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "unsupported_grant_type");

    // A scope the strategy does not hold (the built-in strategy holds none).
    let (status, body, _) = world
        .token_request(
            &[("grant_type", "client_credentials"), ("scope", "admin")],
            Some((world.client_id(), world.client_secret())),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_scope");

    // Missing grant type; two authentication methods at once; not a form.
    let (status, body, _) = world
        .token_request(&[], Some((world.client_id(), world.client_secret())))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (status, body, _) = world
        .token_request(
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", world.client_secret()),
            ],
            Some((world.client_id(), world.client_secret())),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let response = world
        .portico
        .http
        .post(world.token_url())
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );

    // The right request still works after all that.
    let (status, body, headers) = world
        .token_request(&grant, Some((world.client_id(), world.client_secret())))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    world.portico.stop().await;
}

#[tokio::test]
async fn the_discovery_document_names_the_endpoints() {
    let world = World::new().await;
    let (status, document) = world
        .portico
        .portal(
            Method::GET,
            "/idp/.well-known/openid-configuration",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["issuer"], world.portico.portal_url("/idp"));
    assert_eq!(document["token_endpoint"], world.token_url());
    assert_eq!(
        document["jwks_uri"],
        world.portico.portal_url("/idp/.well-known/jwks.json")
    );
    assert_eq!(
        document["grant_types_supported"],
        json!(["client_credentials"])
    );
    assert_eq!(
        document["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
    // The routes are not part of the portal API's contract.
    let (_, openapi) = world
        .portico
        .portal(Method::GET, "/openapi.json", None, None)
        .await;
    assert!(!openapi["paths"]
        .as_object()
        .unwrap()
        .keys()
        .any(|path| path.starts_with("/idp")));
    world.portico.stop().await;
}

#[tokio::test]
async fn a_fresh_install_uses_the_builtin_idp_until_auth0_is_set_up_and_again_after() {
    let emulator = emulator().await;
    let world = World::new().await;
    let portico = &world.portico;

    let (status, builtin_setup) = portico
        .admin(Method::GET, "/v1/portal/application-setup", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{builtin_setup}");
    assert_eq!(builtin_setup["provider_type"], "builtin");
    assert_eq!(builtin_setup["issuer"], portico.portal_url("/idp"));
    assert_eq!(builtin_setup["client_token_audience"], "portico");
    assert_eq!(builtin_setup["consumer_claims"], json!(["azp"]));
    // The first application was made by the built-in provider.
    assert_eq!(world.client_id().len(), 32);
    assert!(emulator.client(world.client_id()).is_none());

    // An API bound to the built-in strategy itself, so that it keeps that strategy whatever
    // the portal's default becomes.
    let (upstream, _task) = portico::demo::start_echo_upstream().await.unwrap();
    let pinned_api = publish_api(
        portico,
        "pinned",
        "/pinned",
        upstream,
        Some(builtin_setup["auth_strategy_id"].as_str().unwrap()),
    )
    .await;
    let pinned_app =
        registered_application(portico, &world.developer_token, "Pinned app", &pinned_api).await;
    let basic = |app: &Value| {
        format!(
            "Basic {}:{}",
            app["client_id"].as_str().unwrap(),
            app["client_secret"].as_str().unwrap()
        )
    };
    let call_pinned = |authorization: String| async move {
        portico
            .http
            .get(portico.proxy_url("/pinned"))
            .header("authorization", authorization)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert!(within(Duration::from_secs(3), || async {
        call_pinned(basic(&pinned_app)).await == StatusCode::OK
    })
    .await
    .is_some());

    // Saving Application Setup for Auth0 makes it the default for new applications.
    let (status, auth0_setup) = portico.application_setup(&emulator).await;
    assert_eq!(status, StatusCode::OK, "{auth0_setup}");
    let (_, current) = portico
        .admin(Method::GET, "/v1/portal/application-setup", None)
        .await;
    assert_eq!(current["provider_type"], "auth0");
    let (status, auth0_app) = portico
        .portal(
            Method::POST,
            "/api/v1/applications",
            Some(&world.developer_token),
            Some(json!({"name": "Auth0 app", "description": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{auth0_app}");
    assert!(emulator
        .client(auth0_app["client_id"].as_str().unwrap())
        .is_some());

    // An API that follows the portal's default keeps admitting the applications the
    // built-in provider made, and admits Auth0's new ones as well.
    assert_eq!(
        world
            .call_gateway_once_it_knows(&basic(&world.application))
            .await,
        StatusCode::OK
    );
    let (_, catalog) = portico
        .portal(Method::GET, "/api/v1/apis", None, None)
        .await;
    let things_id = catalog["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|api| api["slug"] == "things")
        .unwrap()["id"]
        .clone();
    let (status, _) = portico
        .portal(
            Method::POST,
            &format!(
                "/api/v1/applications/{}/registrations",
                auth0_app["id"].as_str().unwrap()
            ),
            Some(&world.developer_token),
            Some(json!({ "api_id": things_id })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let auth0_basic = basic(&auth0_app);
    let reached = within(Duration::from_secs(3), || async {
        let response = portico
            .http
            .get(portico.proxy_url("/things"))
            .header("authorization", auth0_basic.as_str())
            .send()
            .await
            .unwrap();
        response.status() == StatusCode::OK
            && response.json::<Value>().await.unwrap()["headers"]["x-application-id"]
                == auth0_app["id"]
    })
    .await;
    assert!(reached.is_some(), "the Auth0 application reaches the API");
    assert_eq!(
        world.call_gateway(&basic(&world.application)).await,
        StatusCode::OK
    );

    // The built-in provider's applications keep working, secret rotation included.
    assert_eq!(call_pinned(basic(&pinned_app)).await, StatusCode::OK);
    let (status, rotated) = portico
        .portal(
            Method::POST,
            &format!(
                "/api/v1/applications/{}/regenerate-secret",
                pinned_app["id"].as_str().unwrap()
            ),
            Some(&world.developer_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    assert!(within(Duration::from_secs(3), || async {
        call_pinned(basic(&rotated)).await == StatusCode::OK
    })
    .await
    .is_some());

    // And the form switches back to the built-in provider without verification.
    let (status, switched) = portico
        .admin(
            Method::PUT,
            "/v1/portal/application-setup",
            Some(json!({"provider_type": "builtin"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{switched}");
    assert_eq!(switched["provider_type"], "builtin");
    assert_eq!(
        switched["auth_strategy_id"],
        builtin_setup["auth_strategy_id"]
    );
    let (_, settings) = portico
        .admin(Method::GET, "/v1/portal/settings", None)
        .await;
    assert_eq!(
        settings["default_auth_strategy_id"],
        builtin_setup["auth_strategy_id"]
    );
    let (status, again) = portico
        .portal(
            Method::POST,
            "/api/v1/applications",
            Some(&world.developer_token),
            Some(json!({"name": "Built-in again", "description": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert!(emulator
        .client(again["client_id"].as_str().unwrap())
        .is_none());
    world.portico.stop().await;
}
