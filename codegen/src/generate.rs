//! The one pass from bunq's OpenAPI document to progenitor's generated client.
//!
//! Shared by `build.rs` (which writes the crate's generated code) and by
//! `tests/regeneration.rs` (which runs the same pass over bunq's whole API
//! description). Every adjustment here is a rule over spec constructs, never a
//! rule about a named operation, so a newer bunq YAML drops in unchanged.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use openapiv3::{
    MediaType, OpenAPI, Operation, Parameter, PathItem, ReferenceOr, Response, Responses,
};
use serde_json::{Value, json};

use crate::shapes::ADDED_MARK;

/// Reads an OpenAPI document, as YAML (`.yaml`, `.yml`) or JSON (anything else).
pub fn load_spec(path: &Path) -> Result<OpenAPI, String> {
    to_openapi(load_document(path)?)
}

/// Reads an OpenAPI document as plain JSON, for the passes that edit it.
pub fn load_document(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let is_yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    if is_yaml {
        serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    } else {
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Reads an edited document as OpenAPI.
pub fn to_openapi(document: Value) -> Result<OpenAPI, String> {
    serde_json::from_value(document).map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))
}

/// String properties, by name, that hold a secret: generated as
/// `crate::values::SecretText`, whose `Debug` prints no value.
pub const SECRET_PROPERTIES: [&str; 12] = [
    "secret",
    "token",
    "token_value",
    "api_key",
    "client_secret",
    "access_token",
    "password",
    "pin_code",
    "cvc2",
    "activation_code",
    "oauth_code",
    "login_code",
];

/// String properties, by name, that hold bunq's timestamps
/// (`2025-08-13 14:45:20.123456`, UTC): generated as `crate::values::Timestamp`.
pub const TIMESTAMP_PROPERTIES: [&str; 2] = ["created", "updated"];

/// The schemas the type rules add, and the crate types that stand for them
/// (with `Amount`, bunq's own schema, kept as decimal text).
pub const REPLACED_SCHEMAS: [(&str, &str); 4] = [
    ("BunqTimestamp", "crate::values::Timestamp"),
    ("BunqSecretText", "crate::values::SecretText"),
    ("BunqNumber", "crate::values::Number"),
    ("Amount", "crate::values::Amount"),
];

/// The fields every object bunq answers with carries, whether or not the
/// spec's read schema lists them: `id`, `created`, `updated`.
pub const COMMON_FIELDS: [(&str, &str); 3] = [
    ("id", "integer"),
    ("created", "string"),
    ("updated", "string"),
];

/// Whether an integer property names an identifier (`id`, `user_id`,
/// `monetary_account_id_fallback`): those stay `i64`.
pub fn is_identifier(name: &str) -> bool {
    name == "id" || name.ends_with("_id") || name.contains("_id_")
}

/// The type rules, over every schema of the document (components and
/// inline), before progenitor sees it:
///
/// - **No closed enums, no string formats.** bunq lists allowed values that
///   grow over time, and its timestamps are not RFC 3339: an `enum` would
///   fail a whole answer on one new value, a `format: date-time` on every
///   timestamp. Both become plain strings.
/// - **Timestamps** ([`TIMESTAMP_PROPERTIES`]) refer to `BunqTimestamp`.
/// - **Secrets** ([`SECRET_PROPERTIES`]) refer to `BunqSecretText`.
/// - **Numbers that are not identifiers** ([`is_identifier`]) refer to
///   `BunqNumber` (`crate::values::Number`, exact decimal text): bunq declares
///   `integer` where it sends fractions (a geolocation's latitude), and a
///   float would round what it keeps.
///
/// `answered` are the schemas any answer of bunq's whole description
/// reaches (so a feature that adds operations changes no type): only they
/// need the wire's numbers; a schema only requests use keeps `i64`, which
/// is easier to write.
pub fn type_rules(document: &mut Value, answered: &BTreeSet<String>) {
    fn walk(value: &mut Value, numbers: bool) {
        match value {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("string") {
                    map.remove("enum");
                    map.remove("format");
                }
                if let Some(Value::Object(properties)) = map.get_mut("properties") {
                    for (name, property) in properties.iter_mut() {
                        let kind = property.get("type").and_then(Value::as_str);
                        let is_string = kind == Some("string");
                        let is_number = matches!(kind, Some("integer" | "number"));
                        let target = if is_number && numbers && !is_identifier(name) {
                            Some("BunqNumber")
                        } else if !is_string {
                            None
                        } else if TIMESTAMP_PROPERTIES.contains(&name.as_str()) {
                            Some("BunqTimestamp")
                        } else if SECRET_PROPERTIES.contains(&name.as_str()) {
                            Some("BunqSecretText")
                        } else {
                            None
                        };
                        if let Some(target) = target {
                            let description = property.get("description").cloned();
                            *property = json!({ "$ref": format!("#/components/schemas/{target}") });
                            if let Some(description) = description {
                                property["description"] = description;
                            }
                        }
                    }
                }
                map.values_mut().for_each(|v| walk(v, numbers));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, numbers)),
            _ => {}
        }
    }
    if let Value::Object(top) = document {
        for (key, part) in top.iter_mut() {
            match (key.as_str(), part) {
                ("components", Value::Object(components)) => {
                    for (kind, inner) in components.iter_mut() {
                        match (kind.as_str(), inner) {
                            ("schemas", Value::Object(schemas)) => {
                                for (name, schema) in schemas.iter_mut() {
                                    walk(schema, answered.contains(name));
                                }
                            }
                            (_, inner) => walk(inner, false),
                        }
                    }
                }
                (_, part) => walk(part, false),
            }
        }
    }
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, _) in REPLACED_SCHEMAS {
            if name != "Amount" {
                schemas.insert(name.to_owned(), json!({ "type": "string" }));
            }
        }
        // Numbers may be sent as text too; the crate's type takes both.
        schemas.insert("BunqNumber".to_owned(), json!({}));
    }
}

/// The fields-every-object rule: each schema bunq answers objects with
/// (`answers`) gets [`COMMON_FIELDS`] it lacks, marked [`ADDED_MARK`] (so
/// the decoders never require them). bunq's read schemas leave them out
/// in places (a callback URL, a scheduled payment, a draft-payment) where
/// bunq sends them.
pub fn common_fields_rule(document: &mut Value, answers: &BTreeSet<String>) {
    for name in answers {
        let Some(Value::Object(properties)) =
            document.pointer_mut(&format!("/components/schemas/{name}/properties"))
        else {
            continue;
        };
        for (field, kind) in COMMON_FIELDS {
            if !has_property(properties, field) {
                let mut property = json!({ "type": kind, "readOnly": true });
                property[ADDED_MARK] = "every bunq object".into();
                properties.insert(field.to_owned(), property);
            }
        }
    }
}

/// One entry of `spec/wire-corrections.json`: a field bunq sends that
/// neither its spec nor its SDK models describe.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// The schemas that get the field (those the document lacks are skipped).
    pub schemas: Vec<String>,
    /// The field's name on the wire.
    pub property: String,
    /// Its type, in the vocabulary of `spec/sdk-models.json`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Why the field is added.
    pub reason: String,
    /// Where the fact comes from.
    pub source: String,
}

/// Reads `spec/wire-corrections.json`.
/// Each correction must say why and where from.
pub fn load_corrections(text: &str) -> Result<Vec<Correction>, String> {
    let corrections: Vec<Correction> =
        serde_json::from_str(text).map_err(|e| format!("spec/wire-corrections.json: {e}"))?;
    match corrections
        .iter()
        .find(|c| c.reason.trim().is_empty() || c.source.trim().is_empty())
    {
        Some(c) => Err(format!(
            "spec/wire-corrections.json: `{}` needs a reason and a source",
            c.property
        )),
        None => Ok(corrections),
    }
}

/// The fields-bunq-sends rule: what bunq's SDK models (`spec/sdk-models.json`,
/// generated from bunq's internal description, richer than its published
/// spec) and `spec/wire-corrections.json` give a schema that the schema
/// lacks is added to it, typed as they say and marked [`ADDED_MARK`].
///
/// An SDK endpoint model `X` names the schemas `XRead` and `XListing`, and
/// `X` itself where no request body reaches it or where an operation
/// answers with it (`answers`: `MonetaryAccountBank`, a kind of the
/// accounts' answer and a request body too; the fields are optional and
/// read-only); an object model names the schema of its name. Union schemas (every property a kind) and the SDK's kind fields
/// (capitalised) are left alone. A type naming a model the spec lacks is
/// any JSON value.
pub fn wire_fields_rule(
    document: &mut Value,
    sdk_models: &Value,
    corrections: &[Correction],
    answers: &BTreeSet<String>,
) -> Result<(), String> {
    let request = request_schemas(document);
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(());
    };
    let models = sdk_models
        .get("models")
        .and_then(Value::as_object)
        .ok_or("spec/sdk-models.json has no `models` object")?;
    let is_union = |schema: &Value| {
        schema
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty() && p.keys().all(|k| k.starts_with(char::is_uppercase)))
    };
    let mut additions: Vec<(String, String, String, &'static str)> = Vec::new();
    for (model_name, model) in models {
        let (name, object) = match model_name.strip_prefix("object_.") {
            Some(name) => (name, true),
            None => (
                model_name.as_str(),
                model.get("kind").and_then(Value::as_str) == Some("object"),
            ),
        };
        let targets: Vec<String> = if object {
            vec![name.to_owned()]
        } else {
            let mut targets = vec![format!("{name}Read"), format!("{name}Listing")];
            if !request.contains(name) || answers.contains(name) {
                targets.push(name.to_owned());
            }
            targets
        };
        let Some(fields) = model.get("fields").and_then(Value::as_object) else {
            continue;
        };
        for target in targets {
            if schemas.get(&target).is_none_or(is_union) {
                continue;
            }
            for (field, kind) in fields {
                if field.starts_with(char::is_uppercase) {
                    continue;
                }
                let kind = kind.as_str().ok_or_else(|| {
                    format!("spec/sdk-models.json: {model_name}.{field} has no type")
                })?;
                additions.push((
                    target.clone(),
                    field.clone(),
                    kind.to_owned(),
                    "bunq's SDK models",
                ));
            }
        }
    }
    for correction in corrections {
        for target in &correction.schemas {
            additions.push((
                target.clone(),
                correction.property.clone(),
                correction.kind.clone(),
                "spec/wire-corrections.json",
            ));
        }
    }
    for (target, field, kind, source) in additions {
        let mut schema = sdk_type_schema(&kind, schemas)?;
        let Some(Value::Object(properties)) = schemas
            .get_mut(&target)
            .and_then(|s| s.as_object_mut())
            .map(|s| s.entry("properties").or_insert_with(|| json!({})))
        else {
            continue;
        };
        if has_property(properties, &field) {
            continue;
        }
        if schema.get("$ref").is_none() {
            schema[ADDED_MARK] = source.into();
            schema["readOnly"] = true.into();
        }
        properties.insert(field, schema);
    }
    Ok(())
}

/// Whether `properties` has `name`, or one that becomes the same Rust field
/// (`Id` and `id` are both `id`).
fn has_property(properties: &serde_json::Map<String, Value>, name: &str) -> bool {
    let snake = |n: &str| heck::ToSnakeCase::to_snake_case(n);
    properties
        .keys()
        .any(|k| k == name || snake(k) == snake(name))
}

/// A type of `spec/sdk-models.json` (`int`, `float`, `str`, `bool`,
/// `list[T]`, a model name, `any`) as a JSON schema.
fn sdk_type_schema(kind: &str, schemas: &serde_json::Map<String, Value>) -> Result<Value, String> {
    Ok(match kind {
        "int" => json!({ "type": "integer" }),
        "float" => json!({ "type": "number" }),
        "str" => json!({ "type": "string" }),
        "bool" => json!({ "type": "boolean" }),
        "any" => json!({}),
        _ => match kind.strip_prefix("list[").and_then(|k| k.strip_suffix(']')) {
            Some(inner) => json!({ "type": "array", "items": sdk_type_schema(inner, schemas)? }),
            None if kind.is_empty()
                || !kind
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_') =>
            {
                return Err(format!("spec/sdk-models.json: unknown type `{kind}`"));
            }
            None => {
                let name = kind.strip_prefix("object_.").unwrap_or(kind);
                if schemas.contains_key(name) {
                    json!({ "$ref": format!("#/components/schemas/{name}") })
                } else {
                    json!({})
                }
            }
        },
    })
}

/// Merges schemas that are the same but for their descriptions (bunq's
/// spec repeats them: every `…Read` equals its `…Listing`, and 240 note
/// schemas are 7 shapes). Every reference goes to one name per group, the
/// shortest (then the first alphabetically); the others are returned as
/// aliases of it, which `generate` declares as type aliases, so every
/// spec name stays usable and each shape compiles once.
pub fn merge_identical_schemas(document: &mut Value) -> BTreeMap<String, String> {
    fn without_descriptions(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, _)| k.as_str() != "description")
                    .map(|(k, v)| (k.clone(), without_descriptions(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(without_descriptions).collect()),
            other => other.clone(),
        }
    }
    fn point_refs(value: &mut Value, canonical: &BTreeMap<String, String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map.iter_mut() {
                    let target = (key == "$ref")
                        .then(|| inner.as_str())
                        .flatten()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                        .and_then(|name| canonical.get(name));
                    match target {
                        Some(target) => *inner = format!("#/components/schemas/{target}").into(),
                        None => point_refs(inner, canonical),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| point_refs(v, canonical)),
            _ => {}
        }
    }
    let Some(schemas) = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
    else {
        return BTreeMap::new();
    };
    // The schemas the crate's own types stand for keep their names: a
    // secret is a string as a timestamp is, but not the same type.
    let mut names: Vec<&String> = schemas
        .keys()
        .filter(|n| !REPLACED_SCHEMAS.iter().any(|(r, _)| r == n))
        .collect();
    names.sort_by_key(|n| (n.len(), n.as_str()));
    // Two schemas that refer to schemas which merge, merge too: repeat
    // until nothing changes.
    let mut canonical: BTreeMap<String, String> =
        names.iter().map(|n| ((*n).clone(), (*n).clone())).collect();
    loop {
        let mut by_shape: BTreeMap<String, String> = BTreeMap::new();
        let mut next = BTreeMap::new();
        for name in &names {
            let mut shape = without_descriptions(&schemas[*name]);
            point_refs(&mut shape, &canonical);
            let first = by_shape
                .entry(shape.to_string())
                .or_insert_with(|| (*name).clone());
            next.insert((*name).clone(), first.clone());
        }
        if next == canonical {
            break;
        }
        canonical = next;
    }
    let aliases: BTreeMap<String, String> = canonical
        .into_iter()
        .filter(|(name, target)| name != target)
        .collect();
    point_refs(document, &aliases);
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.retain(|name, _| !aliases.contains_key(name));
    }
    aliases
}

/// The whole-set rule: a request body whose schema has one property, a list,
/// sends that list even when it is empty. Such a body is a whole set (bunq's
/// notification filters: a POST replaces the set, and
/// `{"notification_filters":[]}` clears it), and `{}` would say nothing, so
/// the list is made required. Decoding still takes a missing list as empty
/// (`tolerate_lists`), for the same schema nested in answers.
pub fn whole_set_bodies_rule(document: &mut Value) {
    let mut bodies = BTreeSet::new();
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            for method in crate::select::METHODS {
                let schema = item
                    .get(method)
                    .and_then(|op| op.pointer("/requestBody/content/application~1json/schema/$ref"))
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"));
                if let Some(name) = schema {
                    bodies.insert(name.to_owned());
                }
            }
        }
    }
    for name in bodies {
        let Some(schema) = document
            .pointer_mut(&format!("/components/schemas/{name}"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let list = match schema.get("properties").and_then(Value::as_object) {
            Some(properties) if properties.len() == 1 => properties
                .iter()
                .find(|(_, p)| p.get("type").and_then(Value::as_str) == Some("array"))
                .map(|(name, _)| name.clone()),
            _ => None,
        };
        if let Some(list) = list {
            let required = schema.entry("required").or_insert_with(|| json!([]));
            if let Some(required) = required.as_array_mut()
                && !required.iter().any(|r| r == &Value::String(list.clone()))
            {
                required.push(Value::String(list));
            }
        }
    }
}

/// The write-side rule: in a schema that request bodies reach, a writable
/// property that refers to `LabelMonetaryAccount` (the public label bunq
/// answers with) refers to `CounterpartyAlias`, an object with the
/// properties of both `LabelMonetaryAccount` and `Pointer`
/// (`{"type":"IBAN","value":…,"name":…}`). bunq's writes take a Pointer
/// there (its API reference documents `counterparty_alias` of a payment, a
/// draft-payment entry and a request-inquiry as a Pointer, and bunq's SDKs
/// send one) while its answers carry the label; the same schemas serve
/// both, so the property must hold either.
pub fn write_side_rules(document: &mut Value) {
    let properties = |name: &str| {
        document
            .pointer(&format!("/components/schemas/{name}/properties"))
            .and_then(Value::as_object)
            .cloned()
    };
    let (Some(pointer), Some(label)) = (properties("Pointer"), properties("LabelMonetaryAccount"))
    else {
        return;
    };
    let mut merged = label;
    merged.extend(pointer);
    let mut changed = false;
    for name in request_schemas(document) {
        let Some(Value::Object(properties)) =
            document.pointer_mut(&format!("/components/schemas/{name}/properties"))
        else {
            continue;
        };
        for property in properties.values_mut() {
            let label = property.get("$ref").and_then(Value::as_str)
                == Some("#/components/schemas/LabelMonetaryAccount");
            let read_only = property.get("readOnly").and_then(Value::as_bool) == Some(true);
            if label && !read_only {
                property["$ref"] = "#/components/schemas/CounterpartyAlias".into();
                changed = true;
            }
        }
    }
    if changed
        && let Some(schemas) = document
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
    {
        schemas.insert(
            "CounterpartyAlias".into(),
            json!({
                "type": "object",
                "description": "The other side of a payment, a draft-payment or a request: \
                    to send one, set `type`, `value` and `name` (a Pointer, such as \
                    an IBAN); bunq answers with its public label (`iban`, \
                    `display_name`, …).",
                "properties": merged,
            }),
        );
    }
}

/// The schemas request bodies reach (directly or nested): these stay
/// constructible with a struct literal; every other generated struct is
/// `#[non_exhaustive]`, so a field bunq adds is not a breaking change.
pub fn request_schemas(document: &Value) -> BTreeSet<String> {
    schemas_reached(document, "requestBody")
}

/// The schemas that the operations' `part` (`requestBody` or `responses`)
/// reach, directly or nested.
pub fn schemas_reached(document: &Value, part: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut queue = Vec::new();
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            for method in crate::select::METHODS {
                if let Some(body) = item.get(method).and_then(|op| op.get(part)) {
                    crate::select::collect_refs(body, &mut |name| queue.push(name));
                }
            }
        }
    }
    while let Some(name) = queue.pop() {
        if names.insert(name.clone())
            && let Some(schema) = document.pointer(&format!("/components/schemas/{name}"))
        {
            crate::select::collect_refs(schema, &mut |next| queue.push(next));
        }
    }
    names
}

/// Applies the crate's rules to a parsed document, in place.
///
/// 1. **Header parameters are removed** (inline ones and `$ref`s to
///    `components/parameters` that are `in: header`). bunq declares its seven
///    standard headers on every operation; progenitor would turn them into seven
///    positional arguments per method. The crate's request hook sets them in one
///    place instead (`src/transport.rs`).
/// 2. **Every response becomes raw bytes**: an operation's responses are replaced
///    by one `default` response with content type `*/*` and no schema. The
///    spec's response schemas describe neither the `{"Response":[...]}` envelope
///    nor most fields (every field optional), so decoding with them "succeeds"
///    with empty values. Raw bytes also give the exact body that bunq signed.
///    The handwritten layer (`src/envelope.rs`) decodes the envelope.
pub fn apply_rules(spec: &mut OpenAPI) {
    let header_param_refs: Vec<String> = spec
        .components
        .as_ref()
        .map(|c| {
            c.parameters
                .iter()
                .filter(|(_, p)| matches!(p, ReferenceOr::Item(Parameter::Header { .. })))
                .map(|(name, _)| format!("#/components/parameters/{name}"))
                .collect()
        })
        .unwrap_or_default();
    let is_header = |p: &ReferenceOr<Parameter>| match p {
        ReferenceOr::Item(param) => matches!(param, Parameter::Header { .. }),
        ReferenceOr::Reference { reference } => header_param_refs.contains(reference),
    };

    for (_, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        item.parameters.retain(|p| !is_header(p));
        for op in operations_mut(item) {
            op.parameters.retain(|p| !is_header(p));
            op.responses = raw_responses();
        }
    }
}

/// The responses every operation gets from rule 2.
fn raw_responses() -> Responses {
    let mut response = Response {
        description: "Raw response; decoded by the handwritten envelope layer.".into(),
        ..Default::default()
    };
    response.content.insert("*/*".into(), MediaType::default());
    Responses {
        default: Some(ReferenceOr::Item(response)),
        ..Default::default()
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Runs progenitor over an adjusted document and returns its `types`
/// module, with the crate's rules applied. The request builders progenitor
/// also writes are dropped: `handles.rs` builds each operation's request
/// from the spec (`calls`), sent on the crate's one request path.
pub fn generate(
    spec: &OpenAPI,
    exhaustive: &BTreeSet<String>,
    aliases: &BTreeMap<String, String>,
    answers: &BTreeSet<String>,
) -> Result<syn::File, String> {
    let mut settings = progenitor::GenerationSettings::default();
    for (schema, rust_type) in REPLACED_SCHEMAS {
        settings.with_replacement(schema, rust_type, std::iter::empty());
    }
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_tag(progenitor::TagStyle::Merged);
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(spec)
        .map_err(|e| format!("progenitor: {e}"))?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    file.items
        .retain(|item| matches!(item, syn::Item::Mod(module) if module.ident == "types"));
    if file.items.is_empty() {
        return Err("progenitor generated no `types` module".into());
    }
    mark_non_exhaustive(&mut file, exhaustive);
    tolerate_lists(&mut file);
    tolerate_list_wrappers(&mut file, answers);
    box_large_fields(&mut file, exhaustive);
    keep_wire_json(&mut file, answers, exhaustive)?;
    declare_aliases(&mut file, aliases)?;
    syn::visit_mut::VisitMut::visit_file_mut(&mut PlainDocs, &mut file);
    Ok(file)
}

/// Every list field decodes `null` or absence as empty and one object as a
/// list of one (`crate::wire::list_or_one`): bunq sends all three where its
/// spec says array.
fn tolerate_lists(file: &mut syn::File) {
    for item in types_items(file).into_iter().flatten() {
        let syn::Item::Struct(s) = item else { continue };
        for field in s.fields.iter_mut() {
            if generic_of(&field.ty, "Vec").is_some() {
                field.attrs.push(syn::parse_quote!(
                    #[serde(deserialize_with = "crate::wire::list_or_one")]
                ));
                // A required list (the whole-set rule) may still be absent
                // where its schema is nested in an answer.
                let has_default = field.attrs.iter().any(|a| {
                    a.path().is_ident("serde") && quote::quote!(#a).to_string().contains("default")
                });
                if field.ident.is_some() && !has_default {
                    field.attrs.push(syn::parse_quote!(#[serde(default)]));
                }
            }
        }
        // Every field optional or a list: a body to build with
        // `..Default::default()`, required lists included.
        let all_defaultable = matches!(s.fields, syn::Fields::Named(_))
            && s.fields.iter().all(|f| {
                generic_of(&f.ty, "Vec").is_some() || generic_of(&f.ty, "Option").is_some()
            });
        let derives_default = s.attrs.iter().any(|a| {
            a.path().is_ident("derive") && quote::quote!(#a).to_string().contains("Default")
        });
        if all_defaultable && !derives_default {
            s.attrs.push(syn::parse_quote!(#[derive(Default)]));
        }
    }
}

/// An object whose one field is a list (bunq's `{"Payment":[…]}`
/// wrappers) also decodes from the bare list, wherever a field holds one:
/// bunq's spec wraps a payment batch's `payments`, its SDKs read a list.
fn tolerate_list_wrappers(file: &mut syn::File, answers: &BTreeSet<String>) {
    let pascal = |name: &str| heck::ToUpperCamelCase::to_upper_camel_case(name);
    let answers: BTreeSet<String> = answers.iter().map(|n| pascal(n)).collect();
    let Some(items) = types_items(file) else {
        return;
    };
    let mut wrappers: BTreeMap<String, syn::Item> = BTreeMap::new();
    for item in items.iter() {
        let syn::Item::Struct(s) = item else { continue };
        let syn::Fields::Named(fields) = &s.fields else {
            continue;
        };
        let [field] = fields.named.iter().collect::<Vec<_>>()[..] else {
            continue;
        };
        // bunq's wrappers name a kind (`Payment`): a capitalised wire key.
        let capitalised = field.attrs.iter().any(|a| {
            quote::quote!(#a).to_string().contains("rename = \"")
                && serde_rename(a).is_some_and(|r| r.starts_with(char::is_uppercase))
        });
        let Some(inner) = generic_of(&field.ty, "Vec").filter(|_| capitalised) else {
            continue;
        };
        if answers.contains(&s.ident.to_string()) {
            continue;
        }
        let (name, field_name) = (&s.ident, field.ident.as_ref());
        wrappers.insert(
            name.to_string(),
            syn::parse_quote!(
                impl crate::wire::ListWrapper for #name {
                    type Item = #inner;
                    fn from_list(items: ::std::vec::Vec<#inner>) -> Self {
                        Self { #field_name: items }
                    }
                }
            ),
        );
    }
    let mut used = BTreeSet::new();
    for item in items.iter_mut() {
        let syn::Item::Struct(s) = item else { continue };
        for field in s.fields.iter_mut() {
            let wrapper = generic_of(&field.ty, "Option").and_then(|inner| match inner {
                syn::Type::Path(p) => p.path.segments.last().map(|seg| seg.ident.to_string()),
                _ => None,
            });
            if let Some(wrapper) = wrapper.filter(|w| wrappers.contains_key(w)) {
                field.attrs.push(syn::parse_quote!(
                    #[serde(default, deserialize_with = "crate::wire::wrapper_or_list")]
                ));
                used.insert(wrapper);
            }
        }
    }
    items.extend(
        wrappers
            .into_iter()
            .filter(|(name, _)| used.contains(name))
            .map(|(_, item)| item),
    );
}

/// A nested object larger than this (estimated) is boxed in its field.
const INLINE_LIMIT: usize = 256;

/// Boxes each optional field of an answer type whose generated struct is
/// large: bunq's SDK models nest big objects (a card holds its company
/// card, which holds limits, …), and inline they made a card answer 37 kB,
/// more than a debug build's task stack holds. Sizes are estimated
/// bottom-up, each struct after its own large fields are boxed. Request
/// bodies (`exhaustive`) keep their fields inline, as callers write them.
fn box_large_fields(file: &mut syn::File, exhaustive: &BTreeSet<String>) {
    let pascal = |name: &str| heck::ToUpperCamelCase::to_upper_camel_case(name);
    let requests: BTreeSet<String> = exhaustive.iter().map(|n| pascal(n)).collect();
    fn estimate(
        name: &str,
        structs: &BTreeMap<String, Vec<syn::Type>>,
        requests: &BTreeSet<String>,
        sizes: &mut BTreeMap<String, usize>,
    ) -> usize {
        if let Some(size) = sizes.get(name) {
            return *size;
        }
        // A struct on its own path (typify boxes recursion already).
        sizes.insert(name.to_owned(), 8);
        let size = structs[name]
            .iter()
            .map(|ty| match nested_struct(ty, structs) {
                Some(inner) => {
                    let inner = estimate(&inner, structs, requests, sizes);
                    if inner > INLINE_LIMIT && !requests.contains(name) {
                        8
                    } else {
                        inner + 8
                    }
                }
                None => 24,
            })
            .sum();
        sizes.insert(name.to_owned(), size);
        size
    }
    let Some(items) = types_items(file) else {
        return;
    };
    let structs: BTreeMap<String, Vec<syn::Type>> = items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some((
                s.ident.to_string(),
                s.fields.iter().map(|f| f.ty.clone()).collect(),
            )),
            _ => None,
        })
        .collect();
    let mut sizes = BTreeMap::new();
    let names: Vec<String> = structs.keys().cloned().collect();
    for name in &names {
        estimate(name, &structs, &requests, &mut sizes);
    }
    for item in items.iter_mut() {
        let syn::Item::Struct(s) = item else { continue };
        if requests.contains(&s.ident.to_string()) {
            continue;
        }
        for field in s.fields.iter_mut() {
            let Some(inner) = nested_struct(&field.ty, &structs) else {
                continue;
            };
            if sizes[&inner] > INLINE_LIMIT {
                let ident = syn::Ident::new(&inner, proc_macro2::Span::call_site());
                field.ty = syn::parse_quote!(::std::option::Option<::std::boxed::Box<#ident>>);
            }
        }
    }
}

/// The generated struct an `Option<Struct>` field holds inline.
fn nested_struct(ty: &syn::Type, structs: &BTreeMap<String, Vec<syn::Type>>) -> Option<String> {
    match generic_of(ty, "Option")? {
        syn::Type::Path(p) if p.path.segments.len() == 1 => {
            let name = p.path.segments[0].ident.to_string();
            structs.contains_key(&name).then_some(name)
        }
        _ => None,
    }
}

/// The wire name a `#[serde(rename = "…")]` attribute gives a field.
fn serde_rename(attr: &syn::Attribute) -> Option<String> {
    if !attr.path().is_ident("serde") {
        return None;
    }
    let mut rename = None;
    let _ = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("rename") {
            rename = Some(meta.value()?.parse::<syn::LitStr>()?.value());
        } else if meta.input.peek(syn::Token![=]) {
            let _: syn::Expr = meta.value()?.parse()?;
        }
        Ok(())
    });
    rename
}

/// `T` of a type written `…::Outer<T>`.
fn generic_of<'a>(ty: &'a syn::Type, outer: &str) -> Option<&'a syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let segment = p.path.segments.last().filter(|s| s.ident == outer)?;
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}

/// Each type bunq answers objects with (`answers`, by schema name) keeps
/// the JSON it was decoded from: a `wire_json` field (skipped by serde) and
/// `crate::wire::Received` (which gives the decoders' `Decode`). The field is private in answer types, which are
/// `#[non_exhaustive]`; in a type that is also a request body it is public,
/// so callers can still write the body (`..Default::default()`).
fn keep_wire_json(
    file: &mut syn::File,
    answers: &BTreeSet<String>,
    exhaustive: &BTreeSet<String>,
) -> Result<(), String> {
    let pascal = |name: &str| heck::ToUpperCamelCase::to_upper_camel_case(name);
    let keeping: BTreeSet<String> = answers.iter().map(|name| pascal(name)).collect();
    let requests: BTreeSet<String> = exhaustive.iter().map(|name| pascal(name)).collect();
    let Some(items) = types_items(file) else {
        return Ok(());
    };
    let mut impls: Vec<syn::Item> = Vec::new();
    for item in items.iter_mut() {
        let syn::Item::Struct(s) = item else { continue };
        if !keeping.contains(&s.ident.to_string()) {
            continue;
        }
        let request = requests.contains(&s.ident.to_string());
        let syn::Fields::Named(fields) = &mut s.fields else {
            continue;
        };
        if fields
            .named
            .iter()
            .any(|f| f.ident.as_ref().is_some_and(|i| i == "wire_json"))
        {
            return Err(format!(
                "{} has a property named `wire_json`, which the build uses",
                s.ident
            ));
        }
        fields.named.push(if request {
            syn::parse_quote!(
                /// The JSON bunq sent, when this value was decoded from an
                /// answer (see `crate::wire::Received`); `None` in a body you build.
                #[serde(skip)]
                pub wire_json: ::std::option::Option<crate::wire::WireJson>
            )
        } else {
            syn::parse_quote!(
                #[serde(skip)]
                wire_json: ::std::option::Option<crate::wire::WireJson>
            )
        });
        let name = &s.ident;
        impls.push(syn::parse_quote!(
            impl crate::wire::Received for #name {
                fn wire_json(&self) -> ::std::option::Option<&crate::wire::WireJson> {
                    self.wire_json.as_ref()
                }
                fn set_wire_json(&mut self, wire: crate::wire::WireJson) {
                    self.wire_json = ::std::option::Option::Some(wire);
                }
            }
        ));
    }
    // Answer types that are not objects (a newtype, an enum) keep nothing.
    for item in items.iter() {
        let name = match item {
            syn::Item::Struct(s) if !matches!(s.fields, syn::Fields::Named(_)) => &s.ident,
            syn::Item::Enum(e) => &e.ident,
            _ => continue,
        };
        if keeping.contains(&name.to_string()) {
            impls.push(syn::parse_quote!(impl crate::wire::Decode for #name {}));
        }
    }
    items.extend(impls);
    Ok(())
}

/// `pub type Alias = Canonical;` in `types` for every merged schema.
fn declare_aliases(file: &mut syn::File, aliases: &BTreeMap<String, String>) -> Result<(), String> {
    let pascal = |name: &str| heck::ToUpperCamelCase::to_upper_camel_case(name);
    let Some(items) = types_items(file) else {
        return Ok(());
    };
    for (alias, target) in aliases {
        let text = format!(
            "/// bunq's `{alias}`: the same schema as [`{target}`], so the same type.\npub type {} = {};",
            pascal(alias),
            pascal(target)
        );
        items.push(syn::parse_str(&text).map_err(|e| format!("alias {alias}: {e}"))?);
    }
    Ok(())
}

/// The items of progenitor's `types` module, if it has one.
fn types_items(file: &mut syn::File) -> Option<&mut Vec<syn::Item>> {
    file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => {
            module.content.as_mut().map(|(_, items)| items)
        }
        _ => None,
    })
}

/// bunq's descriptions become doc comments; rustdoc would run any code
/// block in them (indented or fenced) as a Rust doctest. Every line is
/// unindented and every fence marked as text.
struct PlainDocs;

impl syn::visit_mut::VisitMut for PlainDocs {
    fn visit_attribute_mut(&mut self, attr: &mut syn::Attribute) {
        if let syn::Meta::NameValue(nv) = &mut attr.meta
            && nv.path.is_ident("doc")
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) = &mut nv.value
        {
            let plain: Vec<String> = text
                .value()
                .lines()
                .map(|line| {
                    let line = line.trim_start();
                    if line.starts_with("```") {
                        "```text".to_owned()
                    } else {
                        line.to_owned()
                    }
                })
                .collect();
            *text = syn::LitStr::new(&plain.join("\n"), text.span());
        }
    }
}

/// Adds `#[non_exhaustive]` to every generated struct in `types` but those
/// named in `exhaustive` (the request bodies, which callers build).
fn mark_non_exhaustive(file: &mut syn::File, exhaustive: &BTreeSet<String>) {
    for item in types_items(file).into_iter().flatten() {
        if let syn::Item::Struct(s) = item
            && matches!(s.fields, syn::Fields::Named(_))
            && !exhaustive.contains(&s.ident.to_string())
        {
            s.attrs.push(syn::parse_quote!(#[non_exhaustive]));
        }
    }
}

/// What one build generates.
pub struct Generated {
    /// progenitor's `types` module, with the crate's rules.
    pub types: String,
    /// The request builders, one per operation (`codegen/src/handles.rs`).
    pub calls: String,
    /// The typed handles (`codegen/src/handles.rs`).
    pub handles: String,
    /// One row per generated operation.
    pub rows: Vec<crate::handles::Row>,
}

/// The whole pass, as `build.rs` runs it: select, type rules, shapes,
/// progenitor, handles. Exceptions naming operations this document lacks
/// are fine here (older documents, partial selections); `tests/shapes.rs`
/// checks them against bunq's whole description.
pub fn generate_all(
    spec_path: &Path,
    selection: &crate::select::Selection,
    exceptions: &[crate::shapes::Exception],
    wire: &WireFacts,
) -> Result<Generated, String> {
    let mut document = load_document(spec_path)?;
    // What this build reaches must exist, before any pass looks at it.
    let mut reached = document.clone();
    crate::select::select(&mut reached, selection)?;
    crate::select::check_refs(&reached)?;
    write_side_rules(&mut document);
    whole_set_bodies_rule(&mut document);
    // What bunq answers with, over its whole description: the same for
    // every selection, so a feature that adds operations changes no type.
    let whole = to_openapi(document.clone())?;
    let answers = crate::handles::answer_schemas(
        &whole,
        &crate::shapes::classify_all(&whole, exceptions, false)?,
    );
    let answered = schemas_reached(&document, "responses");
    wire_fields_rule(&mut document, &wire.sdk_models, &wire.corrections, &answers)?;
    crate::select::select(&mut document, selection)?;
    let shapes = crate::shapes::classify_all(&to_openapi(document.clone())?, exceptions, false)?;
    common_fields_rule(&mut document, &answers);
    type_rules(&mut document, &answered);
    let request = request_schemas(&document);
    // The handles name each operation's own schemas (merged ones stay
    // usable as type aliases), never another resource's.
    let named = to_openapi(document.clone())?;
    let aliases = merge_identical_schemas(&mut document);
    let canonical = |name: String| aliases.get(&name).cloned().unwrap_or(name);
    let exhaustive = request.into_iter().map(canonical).collect();
    let answers = answers.into_iter().map(canonical).collect();
    let typed = to_openapi(document)?;
    let mut raw = typed.clone();
    apply_rules(&mut raw);
    // progenitor sees the raw-response document, but every kept schema is
    // still in its components, so each gets its type.
    let types = generate(&raw, &exhaustive, &aliases, &answers)?;
    let type_names = crate::handles::generated_type_names(&types);
    let handles = crate::handles::generate(&named, &shapes, &type_names, &aliases)?;
    let notification =
        crate::handles::notification_object(&wire.sdk_models, &type_names, &answers)?;
    Ok(Generated {
        types: prettyplease::unparse(&types),
        calls: crate::pretty(&handles.calls)?,
        handles: crate::pretty(&format!("{}\n{notification}", handles.source))?,
        rows: handles.rows,
    })
}

/// What the build knows of bunq's wire beyond its spec: bunq's SDK models
/// (`spec/sdk-models.json`) and the corrections (`spec/wire-corrections.json`).
/// The default knows nothing: the spec alone.
#[derive(Debug, Clone)]
pub struct WireFacts {
    /// `spec/sdk-models.json`, parsed.
    pub sdk_models: Value,
    /// `spec/wire-corrections.json`, parsed.
    pub corrections: Vec<Correction>,
}

impl Default for WireFacts {
    fn default() -> Self {
        WireFacts {
            sdk_models: json!({ "models": {} }),
            corrections: Vec::new(),
        }
    }
}

impl WireFacts {
    /// Reads both files from a `spec/` directory.
    pub fn load(spec_dir: &Path) -> Result<Self, String> {
        let read = |name: &str| {
            let path = spec_dir.join(name);
            std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        Ok(WireFacts {
            sdk_models: serde_json::from_str(&read("sdk-models.json")?)
                .map_err(|e| format!("spec/sdk-models.json: {e}"))?,
            corrections: load_corrections(&read("wire-corrections.json")?)?,
        })
    }
}
