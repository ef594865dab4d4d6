//! What the crate's handwritten layer needs from a description is checked by
//! the generator, with a message naming what is missing.

use std::path::Path;

use bunq_oauth_codegen::{check_required_operations, generate};

fn document(name: &str) -> serde_json::Value {
    generate::load_document(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../spec")
            .join(name),
    )
    .expect("the bundled description reads")
}

#[test]
fn every_bundled_description_has_what_the_handwritten_layer_calls() {
    for name in [
        "bunq-api-full.json",
        "history/bunq-api-2024-01-09.json",
        "history/bunq-api-2022-06-13.json",
        "history/bunq-api-2020-01-25.json",
    ] {
        check_required_operations(&document(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn a_missing_handshake_operation_is_named_with_what_needs_it() {
    let mut doc = document("bunq-api-full.json");
    let paths = doc["paths"].as_object_mut().unwrap();
    paths.remove("/session-server");
    paths["/user/{userID}/oauth-client/{oauth-clientID}/callback-url/{itemId}"]
        .as_object_mut()
        .unwrap()
        .remove("delete");
    let message = check_required_operations(&doc).unwrap_err();
    assert!(
        message.contains("POST /session-server, used by ApiContext::create"),
        "{message}"
    );
    assert!(
        message.contains("DELETE /user/{userID}/oauth-client/{oauth-clientID}/callback-url/{itemId}, used by Session::callback_url_manager"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 3, "{message}");
}
