//! How JSON bodies fail: a field name for every kind of mistake.

use portico_web::extract::parse_json;
use portico_web::wire::{ApiCreate, ApplicationCreate};

fn failing_field<T: serde::de::DeserializeOwned + std::fmt::Debug>(body: &str) -> String {
    let error = parse_json::<T>(body.as_bytes()).unwrap_err();
    assert_eq!(error.status(), 400);
    error.invalid_parameters()[0].field.clone()
}

#[test]
fn each_mistake_names_its_field() {
    assert_eq!(failing_field::<ApplicationCreate>(r#"{"name": "#), "body");
    assert_eq!(failing_field::<ApplicationCreate>(r#"[1, 2]"#), "body");
    assert_eq!(
        failing_field::<ApplicationCreate>(r#"{"name": true}"#),
        "name"
    );
    assert_eq!(failing_field::<ApplicationCreate>(r#"{}"#), "name");
    assert_eq!(
        failing_field::<ApplicationCreate>(r#"{"name": "x", "extra": 1}"#),
        "extra"
    );
    assert_eq!(
        failing_field::<ApiCreate>(
            r#"{"name": "x", "upstream_url": "http://a", "routes": [{"paths": "/x"}]}"#
        ),
        "routes[0].paths"
    );
    assert_eq!(
        failing_field::<ApiCreate>(r#"{"name": "x", "upstream_url": "http://a", "routes": [{}]}"#),
        "routes[0].paths"
    );
}

#[test]
fn the_secret_never_shows_in_debug_output() {
    let request: portico_web::wire::SignUpRequest =
        parse_json(br#"{"email": "a@b.c", "password": "hunter2-hunter2", "full_name": "A"}"#)
            .unwrap();
    assert!(!format!("{request:?}").contains("hunter2"));
}
