//! Which operations a build keeps: `spec/features.json`'s resources must be
//! in the document, its optional resources are kept only where they are.

use std::path::Path;

use bunq_oauth_codegen::{generate, select};

fn document(name: &str) -> serde_json::Value {
    generate::load_document(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../spec")
            .join(name),
    )
    .expect("the bundled description reads")
}

fn feature() -> select::Selection {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/features.json"),
    )
    .unwrap();
    select::load_feature(&text, "oauth-grant").unwrap()
}

fn kept(doc: &serde_json::Value) -> Vec<&str> {
    doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn optional_resources_are_kept_where_the_document_has_them() {
    let mut newest = document("bunq-api-full.json");
    select::select(&mut newest, &feature()).unwrap();
    assert!(kept(&newest).contains(&"/sandbox-user-person"));
    assert!(kept(&newest).contains(&"/sandbox-user-company"));

    // bunq's 2020 description has `/sandbox-user` instead: still selectable.
    let mut old = document("history/bunq-api-2020-01-25.json");
    select::select(&mut old, &feature()).unwrap();
    assert!(!kept(&old).iter().any(|p| p.starts_with("/sandbox-user")));
    assert!(kept(&old).contains(&"/installation"));
}

#[test]
fn a_missing_required_resource_is_named() {
    let mut doc = document("bunq-api-full.json");
    doc["paths"]
        .as_object_mut()
        .unwrap()
        .retain(|path, _| !path.starts_with("/user/{userID}/card"));
    let message = select::select(&mut doc, &feature()).unwrap_err();
    assert!(message.contains("/user/{userID}/card"), "{message}");
    assert!(!message.contains("sandbox"), "{message}");
}

#[test]
fn a_feature_without_resources_is_refused() {
    let refused = select::load_feature(r#"{"x": {"optional_resources": []}}"#, "x");
    assert!(refused.unwrap_err().contains("x.resources"));
    let wrong = select::load_feature(
        r#"{"x": {"resources": ["/a"], "optional_resources": 3}}"#,
        "x",
    );
    assert!(wrong.unwrap_err().contains("not a list"));
}
