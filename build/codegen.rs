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
/// `crate::api::SecretText`, whose `Debug` prints no value.
pub const SECRET_PROPERTIES: [&str; 11] = [
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
];

/// String properties, by name, that hold bunq's timestamps
/// (`2025-08-13 14:45:20.123456`, UTC): generated as `crate::api::Timestamp`.
pub const TIMESTAMP_PROPERTIES: [&str; 2] = ["created", "updated"];

/// The schemas the type rules add, and the crate types that stand for them
/// (with `Amount`, bunq's own schema, kept as decimal text).
pub const REPLACED_SCHEMAS: [(&str, &str); 3] = [
    ("BunqTimestamp", "crate::api::Timestamp"),
    ("BunqSecretText", "crate::api::SecretText"),
    ("Amount", "crate::api::Amount"),
];

/// The type rules, over every schema of the document (components and
/// inline), before progenitor sees it:
///
/// - **No closed enums, no string formats.** bunq lists allowed values that
///   grow over time, and its timestamps are not RFC 3339: an `enum` would
///   fail a whole answer on one new value, a `format: date-time` on every
///   timestamp. Both become plain strings.
/// - **Timestamps** ([`TIMESTAMP_PROPERTIES`]) refer to `BunqTimestamp`.
/// - **Secrets** ([`SECRET_PROPERTIES`]) refer to `BunqSecretText`.
pub fn type_rules(document: &mut Value) {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("string") {
                    map.remove("enum");
                    map.remove("format");
                }
                if let Some(Value::Object(properties)) = map.get_mut("properties") {
                    for (name, property) in properties.iter_mut() {
                        let is_string =
                            property.get("type").and_then(Value::as_str) == Some("string");
                        let target = if !is_string {
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
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(document);
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, _) in REPLACED_SCHEMAS {
            if name != "Amount" {
                schemas.insert(name.to_owned(), json!({ "type": "string" }));
            }
        }
    }
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
    let mut names = BTreeSet::new();
    let mut queue = Vec::new();
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            for method in crate::select::METHODS {
                if let Some(body) = item.get(method).and_then(|op| op.get("requestBody")) {
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

/// Runs progenitor over an adjusted document and returns formatted Rust source.
///
/// Methods are positional and merged onto one `Client` (bunq's tags differ
/// between its partial and full documents); hooks are `Expected`, with
/// `crate::transport::CallContext` as the per-call value the hooks read.
pub fn generate(
    spec: &OpenAPI,
    exhaustive: &BTreeSet<String>,
    aliases: &BTreeMap<String, String>,
) -> Result<String, String> {
    let mut settings = progenitor::GenerationSettings::default();
    for (schema, rust_type) in REPLACED_SCHEMAS {
        settings.with_replacement(schema, rust_type, std::iter::empty());
    }
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(
            "crate::transport::CallContext"
                .parse::<proc_macro2::TokenStream>()
                .map_err(|e| e.to_string())?,
        );
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(spec)
        .map_err(|e| format!("progenitor: {e}"))?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    mark_non_exhaustive(&mut file, exhaustive);
    declare_aliases(&mut file, aliases)?;
    syn::visit_mut::VisitMut::visit_file_mut(&mut PlainDocs, &mut file);
    Ok(prettyplease::unparse(&file))
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
    /// progenitor's source: the types and the raw request builders.
    pub progenitor: String,
    /// The typed handles (`build/handles.rs`).
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
) -> Result<Generated, String> {
    let mut document = load_document(spec_path)?;
    write_side_rules(&mut document);
    crate::select::select(&mut document, selection)?;
    type_rules(&mut document);
    let request = request_schemas(&document);
    let aliases = merge_identical_schemas(&mut document);
    let exhaustive = request
        .into_iter()
        .map(|name| aliases.get(&name).cloned().unwrap_or(name))
        .collect();
    let typed = to_openapi(document)?;
    let shapes = crate::shapes::classify_all(&typed, exceptions, false)?;
    let mut raw = typed.clone();
    apply_rules(&mut raw);
    // progenitor sees the raw-response document, but every kept schema is
    // still in its components, so each gets its type.
    let progenitor = generate(&raw, &exhaustive, &aliases)?;
    let handles = crate::handles::generate(&typed, &shapes, &progenitor)?;
    Ok(Generated {
        progenitor,
        handles: handles.source,
        rows: handles.rows,
    })
}
