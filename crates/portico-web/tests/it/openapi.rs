//! The OpenAPI documents are generated from the code; these snapshots make every contract
//! change show up in review. Update with `cargo insta review` (or INSTA_UPDATE=always).

#[test]
fn admin_openapi_document() {
    let document = portico_web::admin_openapi();
    let json = serde_json::to_value(&document).unwrap();
    assert_eq!(json["openapi"], "3.1.0");
    insta::assert_json_snapshot!("admin_openapi", json);
}

#[test]
fn portal_openapi_document() {
    let document = portico_web::portal_openapi();
    let json = serde_json::to_value(&document).unwrap();
    assert_eq!(json["openapi"], "3.1.0");
    insta::assert_json_snapshot!("portal_openapi", json);
}

#[test]
fn every_contract_path_is_documented() {
    let admin = serde_json::to_value(portico_web::admin_openapi()).unwrap();
    for path in [
        "/v1/portal/application-setup",
        "/v1/dcr-providers",
        "/v1/dcr-providers/{id}",
        "/v1/dcr-providers/{id}/verify",
        "/v1/application-auth-strategies",
        "/v1/application-auth-strategies/{id}",
        "/v1/apis",
        "/v1/apis/{id}",
        "/v1/portal/settings",
        "/v1/developers",
        "/v1/developers/{id}",
        "/v1/applications",
        "/v1/applications/{id}",
        "/v1/registrations",
        "/v1/registrations/{id}",
    ] {
        assert!(admin["paths"].get(path).is_some(), "admin {path}");
    }
    let portal = serde_json::to_value(portico_web::portal_openapi()).unwrap();
    for path in [
        "/api/v1/developer",
        "/api/v1/developer/authenticate",
        "/api/v1/developer/logout",
        "/api/v1/developer/me",
        "/api/v1/apis",
        "/api/v1/apis/{id}",
        "/api/v1/applications",
        "/api/v1/applications/{id}",
        "/api/v1/applications/{id}/regenerate-secret",
        "/api/v1/applications/{id}/registrations",
        "/api/v1/applications/{id}/registrations/{registration_id}",
    ] {
        assert!(portal["paths"].get(path).is_some(), "portal {path}");
    }
    // Write-only secrets are marked so, and no response schema carries the initial secret.
    let setup_body = &admin["components"]["schemas"]["ApplicationSetupBody"];
    assert!(setup_body["properties"]
        .get("initial_client_secret")
        .is_none());
}
