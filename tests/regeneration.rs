//! The build pass (`build/codegen.rs`) is general: it is run here over our spec,
//! over our spec plus an unrelated operation, and over bunq's whole published
//! API description, exactly as `build.rs` runs it.

#[path = "../build/codegen.rs"]
mod codegen;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use openapiv3::{OpenAPI, Parameter, ReferenceOr};
use quote::ToTokens;

const NINE: [&str; 9] = [
    "create_oauth_client_for_user",
    "list_all_oauth_client_for_user",
    "read_oauth_client_for_user",
    "update_oauth_client_for_user",
    "create_callback_url_for_user_oauth_client",
    "list_all_callback_url_for_user_oauth_client",
    "read_callback_url_for_user_oauth_client",
    "update_callback_url_for_user_oauth_client",
    "delete_callback_url_for_user_oauth_client",
];

fn our_spec() -> OpenAPI {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/bunq-oauth-client.yaml");
    codegen::load_spec(&path).expect("spec/ parses")
}

/// The generated `impl Client` methods, by name, as token text.
fn generated_methods(spec: &OpenAPI) -> BTreeMap<String, String> {
    let mut spec = spec.clone();
    codegen::apply_rules(&mut spec);
    let source = codegen::generate(&spec).expect("progenitor accepts the adjusted spec");
    let file = syn::parse_file(&source).expect("generated code parses");
    let mut methods = BTreeMap::new();
    for item in file.items {
        if let syn::Item::Impl(imp) = item {
            for member in imp.items {
                if let syn::ImplItem::Fn(f) = member
                    && f.sig.asyncness.is_some()
                {
                    let tokens = f.to_token_stream().to_string();
                    methods.insert(f.sig.ident.to_string(), tokens);
                }
            }
        }
    }
    methods
}

#[test]
fn the_pass_removes_header_parameters_and_makes_responses_raw() {
    let mut spec = our_spec();
    let before: usize = spec
        .operations()
        .map(|(_, _, op)| op.parameters.len())
        .sum();
    codegen::apply_rules(&mut spec);
    let mut operations = 0;
    for (_, _, op) in spec.operations() {
        operations += 1;
        for p in &op.parameters {
            match p {
                ReferenceOr::Item(Parameter::Header { .. }) => panic!("header parameter left"),
                ReferenceOr::Reference { reference } => {
                    panic!("a $ref parameter left: {reference} (ours are all headers)")
                }
                ReferenceOr::Item(_) => {}
            }
        }
        assert!(op.responses.responses.is_empty());
        assert!(op.responses.default.is_some());
    }
    let after: usize = spec
        .operations()
        .map(|(_, _, op)| op.parameters.len())
        .sum();
    assert_eq!(operations, 9);
    // 9 operations x 7 standard headers removed; path parameters stay.
    assert_eq!(before - after, 9 * 7);
}

#[test]
fn the_nine_operations_are_generated_without_header_arguments() {
    let methods = generated_methods(&our_spec());
    let names: Vec<&str> = methods.keys().map(String::as_str).collect();
    let mut expected = NINE.to_vec();
    expected.sort();
    assert_eq!(names, expected);
    for (name, text) in &methods {
        assert!(
            !text.contains("user_agent"),
            "{name} still takes header arguments"
        );
        let compact: String = text.split_whitespace().collect();
        assert!(
            compact.contains("ResponseValue<ByteStream>"),
            "{name} is not raw"
        );
    }
}

/// A copy of the spec with one more, unrelated operation: the nine generate
/// to the same code, and the copy is written for `.ci/run`, which builds the
/// crate from it (`BUNQ_OAUTH_SPEC`) and runs the operation tests again.
#[test]
fn an_extra_operation_leaves_the_nine_unchanged() {
    let base = our_spec();
    let mut extended = base.clone();
    let template = extended
        .paths
        .paths
        .get("/user/{userID}/oauth-client")
        .cloned()
        .expect("the list path");
    let ReferenceOr::Item(mut item) = template else {
        panic!("inline path item")
    };
    item.post = None;
    let get = item.get.as_mut().expect("a GET");
    get.operation_id = Some("List_all_ExtraThing_for_User".into());
    get.description = Some("An operation the crate does not wrap.".into());
    extended
        .paths
        .paths
        .insert("/user/{userID}/extra-thing".into(), ReferenceOr::Item(item));

    let before = generated_methods(&base);
    let after = generated_methods(&extended);
    assert!(after.contains_key("list_all_extra_thing_for_user"));
    assert_eq!(after.len(), 10);
    for name in NINE {
        assert_eq!(before.get(name), after.get(name), "{name} changed");
    }

    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spec-with-extra-operation.yaml");
    let yaml = serde_norway::to_string(&extended).expect("serialises");
    std::fs::write(&out, yaml).expect("writes the extended spec");
    let reread = codegen::load_spec(&out).expect("reads back");
    assert_eq!(reread.operations().count(), 10);
}

#[test]
fn environments_are_the_spec_servers() {
    let spec = our_spec();
    let urls: Vec<String> = spec
        .servers
        .iter()
        .map(|s| {
            let mut url = s.url.clone();
            for (name, var) in s.variables.iter().flatten() {
                url = url.replace(&format!("{{{name}}}"), &var.default);
            }
            url
        })
        .collect();
    assert_eq!(
        urls,
        [
            bunq_oauth::Environment::sandbox().api_url(),
            bunq_oauth::Environment::production().api_url()
        ]
    );
}

/// bunq's whole API description (480 operations, bundled in `spec/`) goes
/// through the same pass and progenitor accepts the result.
#[test]
fn the_pass_handles_bunqs_whole_api() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/bunq-api-full.json");
    let spec = codegen::load_spec(&path).expect("the full spec parses");
    assert_eq!(spec.operations().count(), 480);
    let methods = generated_methods(&spec);
    assert_eq!(methods.len(), 480);
    for name in NINE {
        assert!(
            methods.contains_key(name),
            "{name} missing from the full spec"
        );
    }
    // The nine generate identically from the full document and from ours.
    let ours = generated_methods(&our_spec());
    for name in NINE {
        assert_eq!(
            ours.get(name),
            methods.get(name),
            "{name} differs in the full spec"
        );
    }
}
