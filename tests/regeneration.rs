//! The generator (`codegen/`) is general: run here exactly as `build.rs` runs
//! it, over every bundled version of bunq's description, it shows that what
//! bunq adds reaches the user with no handwritten change and that what bunq
//! removes breaks only the code that called it.

use bunq_oauth_codegen::{generate as codegen, handles, select, shapes};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

const NEWEST: &str = "spec/bunq-api-full.json";
const V2020: &str = "spec/history/bunq-api-2020-01-25.json";
const V2022: &str = "spec/history/bunq-api-2022-06-13.json";
const V2024: &str = "spec/history/bunq-api-2024-01-09.json";

fn path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn grant() -> select::Selection {
    select::load_feature(include_str!("../spec/features.json"), "oauth-grant").unwrap()
}

fn exceptions() -> Vec<shapes::Exception> {
    shapes::load_exceptions(include_str!("../spec/shape-exceptions.json")).unwrap()
}

fn generate(spec: &Path, selection: &select::Selection) -> codegen::Generated {
    let wire = codegen::WireFacts::load(&path("spec")).expect("spec/ wire facts");
    codegen::generate_all(spec, selection, &exceptions(), &wire)
        .unwrap_or_else(|e| panic!("{}: {e}", spec.display()))
}

/// The pass with bunq's spec alone (no SDK models or corrections), to see
/// what a spec update alone brings.
fn generate_from_spec_alone(spec: &Path, selection: &select::Selection) -> codegen::Generated {
    codegen::generate_all(
        spec,
        selection,
        &exceptions(),
        &codegen::WireFacts::default(),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", spec.display()))
}

/// The fields of each generated struct in `types`, by struct name.
fn struct_fields(source: &str) -> BTreeMap<String, BTreeSet<String>> {
    let file = syn::parse_file(source).expect("generated code parses");
    let mut out = BTreeMap::new();
    for item in file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        for item in module.content.into_iter().flat_map(|(_, items)| items) {
            if let syn::Item::Struct(s) = item
                && let syn::Fields::Named(fields) = s.fields
            {
                let names = fields
                    .named
                    .iter()
                    .filter_map(|f| f.ident.as_ref().map(|i| i.to_string()))
                    .collect();
                out.insert(s.ident.to_string(), names);
            }
        }
    }
    out
}

/// Each handle's source (`pub struct X` through its `impl`), by name.
fn handle_sources(source: &str) -> BTreeMap<String, String> {
    let file = syn::parse_file(source).expect("handles parse");
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for item in file.items {
        if let syn::Item::Impl(imp) = &item
            && let syn::Type::Path(p) = &*imp.self_ty
        {
            let name = p.path.segments.last().unwrap().ident.to_string();
            let text = quote::ToTokens::to_token_stream(&item).to_string();
            out.entry(name).or_default().push_str(&text);
        }
    }
    out
}

#[test]
fn the_default_build_generates_what_an_oauth_grant_covers() {
    let generated = generate(&path(NEWEST), &grant());
    assert_eq!(generated.rows.len(), 56);
    let calls: BTreeMap<&str, &str> = generated
        .rows
        .iter()
        .map(|r| (r.operation_id.as_str(), r.call.as_str()))
        .collect();
    for (operation, call) in [
        (
            "List_all_Payment_for_User_MonetaryAccount",
            "payments(monetary_account_id).list_page(page)",
        ),
        (
            "CREATE_DraftPayment_for_User_MonetaryAccount",
            "draft_payments(monetary_account_id).create(body)",
        ),
        ("UPDATE_Card_for_User", "cards().update(item_id, body)"),
        (
            "List_all_RequestResponse_for_User_MonetaryAccount",
            "request_responses(monetary_account_id).list_page(page)",
        ),
        ("CREATE_SessionServer", "session_servers().create(body)"),
        (
            "DELETE_CallbackUrl_for_User_OauthClient",
            "callback_urls(oauth_client_id).delete(item_id)",
        ),
    ] {
        assert_eq!(calls.get(operation), Some(&call), "{operation}");
    }
    // No header parameter reaches a signature; every answer is raw bytes
    // decoded by the handles.
    assert!(!generated.types.contains("x_bunq_client"));
    assert!(!generated.handles.contains("user_agent"));
    // Only reached schemas are generated: nothing of bunq's other 434
    // operations (a whitelist, an invoice, …).
    let fields = struct_fields(&generated.types);
    assert!(fields.contains_key("PaymentRead"));
    assert!(!fields.contains_key("InvoiceRead"));
    assert!(!fields.contains_key("WhitelistSddRead"));
}

#[test]
fn the_type_rules_hold_in_the_generated_code() {
    let generated = generate(&path(NEWEST), &grant());
    let source: String = generated
        .types
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    // Timestamps, secrets and amounts are the crate's types.
    assert!(source.contains("pubcreated:::std::option::Option<crate::values::Timestamp>"));
    assert!(source.contains("pubsecret:::std::option::Option<crate::values::SecretText>"));
    assert!(source.contains("pubamount:::std::option::Option<crate::values::Amount>"));
    // No closed enums from bunq's schemas, no float anywhere.
    let file = syn::parse_file(&generated.types).unwrap();
    for item in file.items {
        if let syn::Item::Mod(module) = item
            && module.ident == "types"
        {
            for item in module.content.unwrap().1 {
                if let syn::Item::Enum(e) = item {
                    panic!("a closed enum was generated: {}", e.ident);
                }
            }
        }
    }
    assert!(!source.contains("f64") && !source.contains("f32"));
    // Answers are non-exhaustive; request bodies are plain structs.
    let marked = |name: &str| {
        let at = source
            .find(&format!("pubstruct{name}{{"))
            .unwrap_or_else(|| panic!("{name}"));
        source[..at].ends_with("#[non_exhaustive]")
    };
    assert!(marked("PaymentRead"));
    assert!(marked("MonetaryAccountBankRead"));
    assert!(!marked("Payment"));
    assert!(!marked("DraftPayment"));
}

/// bunq's 2024-01 → 2025-04 update, as it happened: the fields added to the
/// answers the default build decodes appear in the generated types, and
/// the operations added appear in the full build's table, with no change
/// to anything handwritten.
#[test]
fn what_bunq_added_in_2025_reaches_the_user() {
    let old_doc = codegen::load_document(&path(V2024)).unwrap();
    let new_doc = codegen::load_document(&path(NEWEST)).unwrap();
    // The spec alone: bunq's SDK models (the same for both) would already
    // give the old build some of the fields the new spec adds.
    let old = generate_from_spec_alone(&path(V2024), &grant());
    let new = generate_from_spec_alone(&path(NEWEST), &grant());
    let (old_fields, new_fields) = (struct_fields(&old.types), struct_fields(&new.types));
    let properties = |doc: &Value, name: &str| -> BTreeSet<String> {
        doc.pointer(&format!("/components/schemas/{name}/properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut added = 0;
    for (name, fields) in &new_fields {
        let Some(before) = old_fields.get(name) else {
            continue;
        };
        for property in properties(&new_doc, name).difference(&properties(&old_doc, name)) {
            // Fields are snake case, a Rust keyword with a trailing `_`
            // (`type` → `type_`).
            let snake = heck::ToSnakeCase::to_snake_case(property.as_str());
            let field = |fields: &BTreeSet<String>| {
                fields.contains(&snake) || fields.contains(&format!("{snake}_"))
            };
            assert!(field(fields), "{name}.{property} not generated");
            assert!(!field(before), "{name}.{property} was already there");
            added += 1;
        }
    }
    // PaymentRead's payment_fee, CardRead's product_type, …
    assert!(new_fields["PaymentRead"].contains("payment_fee"));
    assert!(added >= 20, "only {added} added fields found");

    // Operations added: in the full builds' tables, each with a call.
    let ops = |doc: &Value| -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in select::METHODS {
                if item.get(method).is_some() {
                    out.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        out
    };
    let added_ops: Vec<_> = ops(&new_doc).difference(&ops(&old_doc)).cloned().collect();
    assert_eq!(added_ops.len(), 45);
    let full = generate(&path(NEWEST), &select::Selection::All);
    assert_eq!(full.rows.len(), 480);
    let rows: BTreeMap<(String, String), &handles::Row> = full
        .rows
        .iter()
        .map(|r| ((r.method.clone(), r.path.clone()), r))
        .collect();
    for op in &added_ops {
        let row = rows
            .get(op)
            .unwrap_or_else(|| panic!("{op:?} not generated"));
        assert!(!row.call.is_empty());
    }

    // bunq's notes (note-text and note-attachment under 20 kinds of object
    // each, 200 operations) are one handle per note kind, whose parent is
    // an enum: not 200 methods.
    let notes: Vec<&handles::Row> = full
        .rows
        .iter()
        .filter(|r| r.operation_id.contains("_NoteText_"))
        .collect();
    assert_eq!(notes.len(), 100);
    assert!(
        notes
            .iter()
            .all(|r| r.call.starts_with("note_texts(NoteTextParent::")),
        "{:?}",
        notes.iter().map(|r| &r.call).collect::<Vec<_>>()
    );
    let handles = handle_sources(&full.handles);
    assert!(handles.contains_key("NoteTexts"));
    assert!(handles.contains_key("NoteAttachments"));
    assert!(
        !handles
            .keys()
            .any(|k| k.ends_with("NoteTexts") && k != "NoteTexts")
    );
    assert!(full.handles.contains("pub enum NoteTextParent"));
}

/// Every bundled version builds, in full, through the same pass.
#[test]
fn every_bundled_version_generates_in_full() {
    for (version, operations) in [(V2020, 398), (V2022, 446), (V2024, 445)] {
        let generated = generate(&path(version), &select::Selection::All);
        assert_eq!(generated.rows.len(), operations, "{version}");
        syn::parse_file(&generated.handles).expect("the handles parse");
    }
}

/// `docs/generated/` holds what the default build generates for the
/// request builders and the typed handles, so a newcomer can read them
/// without building. Regenerate with `BUNQ_OAUTH_BLESS=1 cargo test --test
/// regeneration`.
#[test]
fn the_browsable_sample_of_the_handles_is_current() {
    let generated = generate(&path(NEWEST), &grant());
    for (name, what, included_by, text) in [
        (
            "calls.rs",
            "the request builders",
            "`src/generated.rs`",
            &generated.calls,
        ),
        (
            "handles.rs",
            "the typed handles",
            "`src/api/mod.rs`",
            &generated.handles,
        ),
    ] {
        let sample = format!(
            "// What `build.rs` generates for {what} with the default features\n\
             // (`$OUT_DIR/bunq_{name}`, included by {included_by}). Kept for reading;\n\
             // `tests/regeneration.rs` checks it is current.\n\n{text}"
        );
        let file = path(&format!("docs/generated/{name}"));
        if std::env::var_os("BUNQ_OAUTH_BLESS").is_some() {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, &sample).unwrap();
        }
        let kept = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            kept == sample,
            "docs/generated/{name} is not what the build generates: \
             run `BUNQ_OAUTH_BLESS=1 cargo test --test regeneration` and commit it"
        );
    }
}

/// Identical schemas compile once, but every operation's signature names
/// its own schema (the others are type aliases of it): listing installations
/// never returns another resource's type. Only a handle shared by many
/// parents names the one type they all compile to.
#[test]
fn every_operation_names_its_own_schemas() {
    let generated = generate(&path(NEWEST), &select::Selection::All);
    let doc = codegen::load_document(&path(NEWEST)).unwrap();
    // The schema bunq's description names for an operation's answer.
    let own_schema = |method: &str, path: &str| -> Option<String> {
        let pointer = format!(
            "/paths/{}/{}/responses/200/content/application~1json/schema/$ref",
            path.replace('~', "~0").replace('/', "~1"),
            method.to_lowercase()
        );
        let reference = doc.pointer(&pointer)?.as_str()?;
        Some(reference.strip_prefix("#/components/schemas/")?.to_owned())
    };
    let mut checked = 0;
    for row in &generated.rows {
        // A handle shared by many parents (bunq's notes) names the one type
        // their identical schemas compile to.
        if !matches!(row.shape, shapes::Shape::One | shapes::Shape::List)
            || row.call.contains("Parent::")
        {
            continue;
        }
        // Where bunq answers otherwise than its spec says, the exception
        // names the schema (spec/shape-exceptions.json).
        let excepted = exceptions()
            .iter()
            .any(|e| e.method == row.method && e.path == row.path);
        let Some(schema) = own_schema(&row.method, &row.path).filter(|_| !excepted) else {
            continue;
        };
        let name = heck::ToUpperCamelCase::to_upper_camel_case(schema.as_str());
        assert!(
            row.returns.contains(&format!("types::{name}>"))
                || row.returns == format!("types::{name}"),
            "{} {} returns {}, its own schema is {schema}",
            row.method,
            row.path,
            row.returns
        );
        checked += 1;
    }
    assert!(checked > 60, "only {checked} operations checked");
}

/// bunq's description of 2021-10-20 (morning) refers to 95 schemas it does
/// not define: the build stops with one message naming each and where it is
/// used, for the default operations and for all of them, and never panics.
#[test]
fn a_description_with_missing_schemas_stops_with_one_message() {
    let broken = path("spec/history/bunq-api-2021-10-20-broken.json");
    let wire = codegen::WireFacts::load(&path("spec")).unwrap();
    for selection in [grant(), select::Selection::All] {
        let message = match codegen::generate_all(&broken, &selection, &exceptions(), &wire) {
            Ok(_) => panic!("a description with missing schemas generated"),
            Err(message) => message,
        };
        assert!(message.contains("does not define"), "{message}");
        assert!(
            message.contains("schemas/DraftPayment, used by "),
            "{message}"
        );
        let listed = message.lines().skip(1).count();
        if selection == select::Selection::All {
            assert_eq!(listed, 95, "{message}");
            assert!(
                message.contains("schemas/AttachmentPublic, used by "),
                "{message}"
            );
        } else {
            assert!((1..95).contains(&listed), "{message}");
        }
    }
}

/// Removing an operation from the spec removes its method and nothing else:
/// every other handle generates to the same code.
#[test]
fn a_removed_operation_breaks_only_its_callers() {
    let base = generate(&path(NEWEST), &grant());
    let mut doc = codegen::load_document(&path(NEWEST)).unwrap();
    doc["paths"]["/user/{userID}/monetary-account/{monetary-accountID}/payment/{itemId}"]
        .as_object_mut()
        .unwrap()
        .remove("get");
    let reduced_path =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spec-without-read-payment.json");
    std::fs::write(&reduced_path, serde_json::to_vec(&doc).unwrap()).unwrap();
    let reduced = generate(&reduced_path, &grant());
    assert_eq!(reduced.rows.len(), base.rows.len() - 1);
    let (before, after) = (
        handle_sources(&base.handles),
        handle_sources(&reduced.handles),
    );
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (name, text) in &before {
        if name == "Payments" {
            assert!(text.contains("read_payment_for_user_monetary_account"));
            assert!(!after[name].contains("read_payment_for_user_monetary_account"));
        } else if name == "NotificationObject" {
            // Callbacks type a kind by its read's schema, else its
            // listing's: a Payment callback stays typed.
            assert!(
                after[name].contains("Self :: Payment (v)"),
                "{}",
                after[name]
            );
        } else {
            assert_eq!(text, &after[name], "{name} changed");
        }
    }
}

/// A copy of bunq's newest description with one more operation and one
/// more field, written for `.ci/run`, which builds the crate from it
/// (`BUNQ_OAUTH_SPEC`) and runs the OAuth client tests again. Here: the
/// operation gets a method and the field a struct member.
#[test]
fn an_extra_operation_and_field_are_generated() {
    let mut doc = codegen::load_document(&path(NEWEST)).unwrap();
    let item = "/user/{userID}/monetary-account/{monetary-accountID}/payment/{itemId}";
    let mut delete = doc["paths"][item]["get"].clone();
    delete["operationId"] = "DELETE_Payment_for_User_MonetaryAccount".into();
    doc["paths"][item]["delete"] = delete;
    doc["components"]["schemas"]["PaymentRead"]["properties"]["carbon_footprint"] =
        serde_json::json!({ "type": "string", "description": "A field bunq might add." });

    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spec-with-extra-operation.json");
    std::fs::write(&out, serde_json::to_vec(&doc).unwrap()).unwrap();
    let generated = generate(&out, &grant());
    let row = generated
        .rows
        .iter()
        .find(|r| r.operation_id == "DELETE_Payment_for_User_MonetaryAccount")
        .expect("the new operation has a row");
    assert_eq!(row.call, "payments(monetary_account_id).delete(item_id)");
    assert!(struct_fields(&generated.types)["PaymentRead"].contains("carbon_footprint"));
}

/// The crate's environments are the servers bunq's description names.
#[test]
fn environments_are_the_spec_servers() {
    let spec = codegen::load_spec(&path(NEWEST)).unwrap();
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

/// bunq's SDK models (`spec/sdk-models.json`) as a field-and-type oracle:
/// every field they read of an object the default build answers with is a
/// field of its generated type, and every number they read is exact
/// (`api::Number`) unless it is an identifier (`i64`).
#[test]
fn every_field_bunqs_sdks_read_reaches_the_answer_types() {
    let generated = generate(&path(NEWEST), &grant());
    let file = syn::parse_file(&generated.types).expect("generated code parses");
    let mut types: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for item in file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        for item in module.content.into_iter().flat_map(|(_, items)| items) {
            if let syn::Item::Struct(s) = item {
                let fields = s
                    .fields
                    .iter()
                    .filter_map(|f| {
                        let ty = &f.ty;
                        Some((
                            f.ident.as_ref()?.to_string(),
                            quote::quote!(#ty).to_string(),
                        ))
                    })
                    .collect();
                types.insert(s.ident.to_string(), fields);
            }
        }
    }
    let sdk: Value =
        serde_json::from_str(&std::fs::read_to_string(path("spec/sdk-models.json")).unwrap())
            .unwrap();
    let (mut checked, mut problems) = (0, Vec::new());
    for (model, description) in sdk["models"].as_object().unwrap() {
        let sdk_fields = description["fields"].as_object().unwrap();
        // An anchor (`MonetaryAccount`: one field per kind) is a union
        // answer; its fields are checked on each kind. bunq's error body is
        // read by the crate's own `ApiError`, never a generated type.
        let anchor = sdk_fields.keys().any(|f| f.starts_with(char::is_uppercase));
        if anchor
            || model == "Error"
            || description.get("only_in").and_then(Value::as_str) == Some("python")
        {
            continue;
        }
        let name = model.trim_start_matches("object_.");
        let object = model.starts_with("object_.")
            || description.get("kind").and_then(Value::as_str) == Some("object");
        let targets = if object {
            vec![name.to_owned()]
        } else {
            vec![format!("{name}Read"), format!("{name}Listing")]
        };
        for target in targets {
            let Some(fields) = types.get(&heck::ToUpperCamelCase::to_upper_camel_case(
                target.as_str(),
            )) else {
                continue;
            };
            for (field, kind) in sdk_fields {
                let snake = heck::ToSnakeCase::to_snake_case(field.as_str());
                let Some(rust) = fields
                    .get(&snake)
                    .or_else(|| fields.get(&format!("{snake}_")))
                else {
                    problems.push(format!("{target}.{field} is missing"));
                    continue;
                };
                checked += 1;
                let numeric = matches!(kind.as_str(), Some("int" | "float"));
                if numeric && !codegen::is_identifier(field) && !rust.contains("Number") {
                    problems.push(format!("{target}.{field} is `{rust}`, not an exact number"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 200, "only {checked} fields checked");
}
