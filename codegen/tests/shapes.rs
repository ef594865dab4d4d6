//! The response-shape rules (`codegen/src/shapes.rs`) over every bundled version of
//! bunq's whole description, checked against how bunq's own SDKs decode each
//! answer (`spec/sdk-decoding.json`).

use bunq_oauth_codegen::{generate as codegen, shapes};
use std::collections::BTreeMap;
use std::path::Path;

use shapes::Shape;

fn spec(name: &str) -> openapiv3::OpenAPI {
    codegen::load_spec(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../spec")
            .join(name),
    )
    .expect("the bundled spec parses")
}

fn exceptions() -> Vec<shapes::Exception> {
    shapes::load_exceptions(include_str!("../../spec/shape-exceptions.json")).unwrap()
}

/// How bunq's SDKs decode each operation: (method, path) → shape.
fn sdk() -> BTreeMap<(String, String), Option<Shape>> {
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../spec/sdk-decoding.json")).unwrap();
    rows.iter()
        .map(|row| {
            let shape = match row["sdk_kind"].as_str() {
                Some("none") => Some(Shape::Empty),
                Some("bytes") => Some(Shape::Bytes),
                Some("Id") => Some(Shape::Id),
                Some("Uuid") => Some(Shape::Uuid),
                Some("one") => Some(Shape::One),
                Some("list") => Some(Shape::List),
                Some("one-poly") => Some(Shape::Union),
                Some("list-poly") => Some(Shape::ListOfUnion),
                Some("HANDWRITTEN") => Some(Shape::MultiItem),
                _ => None,
            };
            let key = (
                row["method"].as_str().unwrap().to_owned(),
                row["path"].as_str().unwrap().to_owned(),
            );
            (key, shape)
        })
        .collect()
}

#[test]
fn every_operation_of_the_newest_spec_gets_the_shape_bunqs_sdks_decode() {
    let shapes = shapes::classify_all(&spec("bunq-api-full.json"), &exceptions(), true)
        .expect("every operation has a shape and every exception an operation");
    assert_eq!(shapes.len(), 480);
    let sdk = sdk();
    let (mut by_rule, mut agree, mut equivalent) = (0, 0, Vec::new());
    for op in &shapes {
        by_rule += usize::from(!op.by_exception);
        let Some(Some(theirs)) = sdk.get(&(op.method.clone(), op.path.clone())) else {
            continue;
        };
        if *theirs == op.shape {
            agree += 1;
            continue;
        }
        // An exception that does not read the answer (bunq's answer differs
        // from both its spec and its SDKs' generated code) decodes nothing
        // wrongly.
        if op.by_exception && op.shape == Shape::Empty {
            equivalent.push(format!("{} {}", op.method, op.path));
            continue;
        }
        // Decoded the same way by shape: a single wrapper key that the SDKs
        // treat as a one-key union, or a handwritten SDK decoder for what the
        // spec declares as a plain object or list.
        let same_by_shape = matches!(
            (&op.shape, theirs),
            (Shape::One, Shape::Union)
                | (Shape::List, Shape::ListOfUnion)
                | (Shape::One | Shape::List, Shape::MultiItem)
        );
        assert!(
            same_by_shape,
            "{} {}: rules say {:?}, bunq's SDKs {theirs:?}",
            op.method, op.path, op.shape
        );
        equivalent.push(format!("{} {}", op.method, op.path));
    }
    assert_eq!(by_rule, 461, "19 operations are exceptions");
    // Every row of the table has an SDK decoding (4 of them handwritten).
    assert_eq!(agree + equivalent.len(), 480);
    // 7 decoded the same by shape, and the 3 notification-filter writes
    // whose answer is not read.
    assert!(equivalent.len() <= 10, "{equivalent:?}");
}

#[test]
fn earlier_versions_get_a_shape_for_every_operation_too() {
    for (name, operations) in [
        ("history/bunq-api-2024-01-09.json", 445),
        ("history/bunq-api-2022-06-13.json", 446),
    ] {
        let shapes = shapes::classify_all(&spec(name), &exceptions(), false)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(shapes.len(), operations, "{name}");
    }
}

#[test]
fn a_broken_spec_and_a_stale_exception_fail_with_their_names() {
    let mut broken = spec("bunq-api-full.json");
    let schemas = &mut broken.components.as_mut().unwrap().schemas;
    schemas.shift_remove("CardRead");
    let mut stale = exceptions();
    stale.push(shapes::Exception {
        method: "GET".into(),
        path: "/user/{userID}/no-such-thing".into(),
        shape: Shape::One,
        schema: None,
        reason: "test".into(),
        source: "test".into(),
    });
    let err = shapes::classify_all(&broken, &stale, true).unwrap_err();
    assert!(err.contains("schema `CardRead`"), "{err}");
    assert!(err.contains("GET /user/{userID}/card/{itemId}"), "{err}");
    assert!(err.contains("no-such-thing"), "{err}");
}

#[test]
fn the_nine_oauth_client_operations_have_the_shapes_the_crate_decodes() {
    let shapes = shapes::classify_all(&spec("bunq-oauth-client.yaml"), &exceptions(), false)
        .expect("the OAuth client spec");
    let by_id: BTreeMap<&str, &Shape> = shapes
        .iter()
        .map(|op| (op.operation_id.as_str(), &op.shape))
        .collect();
    assert_eq!(by_id.len(), 9);
    for (id, shape) in [
        ("CREATE_OauthClient_for_User", Shape::Id),
        ("List_all_OauthClient_for_User", Shape::List),
        ("READ_OauthClient_for_User", Shape::One),
        ("UPDATE_OauthClient_for_User", Shape::Id),
        ("DELETE_CallbackUrl_for_User_OauthClient", Shape::Empty),
    ] {
        assert_eq!(by_id.get(id), Some(&&shape), "{id}: {by_id:?}");
    }
}

#[test]
fn an_operation_listed_twice_as_an_exception_is_refused() {
    let entry = r#"{"method": "POST", "path": "/a", "shape": "one", "reason": "r", "source": "s"}"#;
    let twice = format!("[{entry}, {entry}]");
    let refused = shapes::load_exceptions(&twice).unwrap_err();
    assert!(refused.contains("POST /a is listed twice"), "{refused}");
}
