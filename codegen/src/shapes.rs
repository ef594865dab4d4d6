//! Response shapes by rule: how each operation's answer is unwrapped from
//! bunq's `{"Response":[…]}` envelope, derived from the spec alone.
//!
//! bunq's published description says which schema an answer has but not the
//! envelope around it, nor the wrapper key (`Payment` in
//! `{"Response":[{"Payment":{…}}]}`), which bunq's SDKs hard-code. General
//! rules over the spec recover the shape; no rule names an operation. The
//! few operations where bunq answers otherwise than its spec says are data,
//! in `spec/shape-exceptions.json`, each with its reason and source.
//!
//! `codegen/tests/shapes.rs` checks the rules on every bundled spec version
//! and against how bunq's SDKs decode each answer.

use std::collections::BTreeMap;

use openapiv3::{OpenAPI, Operation, ReferenceOr, Schema, SchemaKind, Type};

/// The extension that marks a property the build added for the wire (from
/// bunq's SDK models, `spec/wire-corrections.json`, or the fields every
/// bunq object carries), with where it came from. The shape checks never
/// require such a property.
pub const ADDED_MARK: &str = "x-bunq-oauth-added";

/// How an operation's answer is unwrapped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// No body worth reading (DELETE).
    Empty,
    /// Raw bytes (a `*Content` schema: a file, a PDF, an image).
    Bytes,
    /// `{"Response":[{"Id":{"id":N}}]}`: a write that answers the new id.
    Id,
    /// `{"Response":[{"Uuid":{"uuid":…}}]}`: a write that answers a UUID.
    Uuid,
    /// One object under a single wrapper key.
    One,
    /// A page of objects, each under a single wrapper key.
    List,
    /// One object under one of several wrapper keys (`UserPerson`, …).
    Union,
    /// A page whose items are each under one of several wrapper keys.
    ListOfUnion,
    /// Several items of different kinds in one answer (installation,
    /// session-server: `Id`, `Token`, a key or a user).
    MultiItem,
}

/// One operation and its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationShape {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path as the spec writes it.
    pub path: String,
    /// The spec's `operationId`.
    pub operation_id: String,
    /// The shape.
    pub shape: Shape,
    /// The schema to decode the answer with, where an exception names one
    /// (the spec's schema is wrong there); `None`: the spec's.
    pub schema: Option<String>,
    /// Whether an exception, not a rule, decided it.
    pub by_exception: bool,
}

/// An operation where bunq answers otherwise than its spec says.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Exception {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path as the spec writes it.
    pub path: String,
    /// The shape bunq really answers with.
    pub shape: Shape,
    /// The schema of what bunq really answers, where the spec's is wrong.
    #[serde(default)]
    pub schema: Option<String>,
    /// Why the rule is wrong here.
    pub reason: String,
    /// Where that is documented or observed.
    pub source: String,
}

/// Reads `spec/shape-exceptions.json`.
/// Two entries for one operation are refused: one would silently win.
pub fn load_exceptions(text: &str) -> Result<Vec<Exception>, String> {
    let exceptions: Vec<Exception> =
        serde_json::from_str(text).map_err(|e| format!("shape exceptions: {e}"))?;
    let mut seen = std::collections::BTreeSet::new();
    for e in &exceptions {
        if !seen.insert((e.method.as_str(), e.path.as_str())) {
            return Err(format!(
                "shape exceptions: {} {} is listed twice",
                e.method, e.path
            ));
        }
    }
    Ok(exceptions)
}

/// Every operation of `spec` with its shape. Fails, naming the operation,
/// when one gets no shape or its answer names a schema the spec does not
/// have; with `strict`, also when an exception names an operation the spec
/// no longer has (the newest spec, where the exceptions were made).
pub fn classify_all(
    spec: &OpenAPI,
    exceptions: &[Exception],
    strict: bool,
) -> Result<Vec<OperationShape>, String> {
    let mut by_key: BTreeMap<(String, String), &Exception> = BTreeMap::new();
    for exception in exceptions {
        by_key.insert(
            (exception.method.clone(), exception.path.clone()),
            exception,
        );
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (path, method, operation) in operations(spec) {
        let operation_id = operation.operation_id.clone().unwrap_or_default();
        let exception = by_key.remove(&(method.to_owned(), path.to_owned()));
        let shape = match exception {
            Some(exception) => Ok(exception.shape.clone()),
            None => classify(spec, method, operation),
        };
        match shape {
            Ok(shape) => out.push(OperationShape {
                method: method.to_owned(),
                path: path.to_owned(),
                operation_id,
                shape,
                schema: exception.and_then(|e| e.schema.clone()),
                by_exception: exception.is_some(),
            }),
            Err(e) => errors.push(format!("{method} {path} ({operation_id}): {e}")),
        }
    }
    if strict {
        for (method, path) in by_key.keys() {
            errors.push(format!(
                "spec/shape-exceptions.json names {method} {path}, which the spec no longer has"
            ));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.join("\n"))
    }
}

/// Every operation as (path, method, operation), in the spec's order.
fn operations(spec: &OpenAPI) -> Vec<(&str, &'static str, &Operation)> {
    let mut out = Vec::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, operation) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
        ] {
            if let Some(operation) = operation {
                out.push((path.as_str(), method, operation));
            }
        }
    }
    out
}

/// The rules, in order.
fn classify(spec: &OpenAPI, method: &str, operation: &Operation) -> Result<Shape, String> {
    if method == "DELETE" {
        return Ok(Shape::Empty);
    }
    let schema = success_schema(operation).ok_or("no success answer with a schema")?;
    // An array of items, or one object.
    let (item, is_list) = match schema {
        ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::Array(array)),
            ..
        }) => {
            let items = array.items.as_ref().ok_or("an array without items")?;
            (unbox(items), true)
        }
        other => (other.clone(), false),
    };
    // `FooContent`, `FooContentListing`, `FooContentRead`: a file's bytes.
    let name = reference_name(&item);
    let content = name.is_some_and(|n| {
        let base = n.strip_suffix("Listing").or_else(|| n.strip_suffix("Read"));
        base.unwrap_or(n).ends_with("Content")
    });
    if content {
        return Ok(Shape::Bytes);
    }
    let resolved = resolve(spec, &item)?;
    let properties: Vec<&str> = match &resolved.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            object.properties.keys().map(String::as_str).collect()
        }
        _ => Vec::new(),
    };
    let is_write = method == "POST" || method == "PUT";
    // Properties that are all PascalCase are wrapper keys: several of them
    // make a union (or, for a write, several items in one answer); one is
    // just the object's own key.
    let wrapper_keys = properties.len() >= 2
        && properties
            .iter()
            .all(|p| p.chars().next().is_some_and(|c| c.is_ascii_uppercase()));
    Ok(match (is_list, properties.as_slice()) {
        (false, ["Id"] | ["id"]) if is_write => Shape::Id,
        (false, ["Uuid"] | ["uuid"]) => Shape::Uuid,
        (false, _) if is_write && wrapper_keys => Shape::MultiItem,
        (false, _) if wrapper_keys => Shape::Union,
        (true, _) if wrapper_keys => Shape::ListOfUnion,
        (false, _) => Shape::One,
        (true, _) => Shape::List,
    })
}

/// The schema of the 200 (or 201) answer.
fn success_schema(operation: &Operation) -> Option<ReferenceOr<Schema>> {
    let responses = &operation.responses.responses;
    let response = [200u16, 201]
        .iter()
        .find_map(|code| responses.get(&openapiv3::StatusCode::Code(*code)))?;
    let ReferenceOr::Item(response) = response else {
        return None;
    };
    response
        .content
        .values()
        .find_map(|media| media.schema.clone())
}

fn unbox(items: &ReferenceOr<Box<Schema>>) -> ReferenceOr<Schema> {
    match items {
        ReferenceOr::Reference { reference } => ReferenceOr::Reference {
            reference: reference.clone(),
        },
        ReferenceOr::Item(schema) => ReferenceOr::Item((**schema).clone()),
    }
}

fn reference_name(schema: &ReferenceOr<Schema>) -> Option<&str> {
    match schema {
        ReferenceOr::Reference { reference } => reference.rsplit('/').next(),
        ReferenceOr::Item(_) => None,
    }
}

/// Follows `$ref`s to a schema; a dangling one names the missing schema.
fn resolve(spec: &OpenAPI, schema: &ReferenceOr<Schema>) -> Result<Schema, String> {
    let mut current = schema.clone();
    for _ in 0..16 {
        match current {
            ReferenceOr::Item(schema) => return Ok(schema),
            ReferenceOr::Reference { reference } => {
                let name = reference.rsplit('/').next().unwrap_or_default().to_owned();
                current = spec
                    .components
                    .as_ref()
                    .and_then(|c| c.schemas.get(&name))
                    .cloned()
                    .ok_or_else(|| {
                        format!(
                            "its answer refers to schema `{name}`, which the spec does not have"
                        )
                    })?;
            }
        }
    }
    Err("a reference cycle".into())
}
