//! Which of bunq's operations a build generates, and the schemas they reach.
//!
//! bunq's whole description has 480 operations and 711 schemas. The default
//! build generates the operations an OAuth grant covers, listed as resource
//! paths in `spec/features.json`; the `full-api` feature generates all of
//! them. Either way only the schemas the chosen operations reach are kept,
//! so progenitor never sees the rest.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::Value;

/// The operations to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every operation of the document (`full-api`).
    All,
    /// The operations whose path, less a trailing `/{itemId}`, is one of
    /// `required` (the document must have each) or of `optional` (kept
    /// where the document has them: bunq renamed or added them over time).
    Resources {
        /// Resources the document must have.
        required: Vec<String>,
        /// Resources generated only where the document has them.
        optional: Vec<String>,
    },
}

/// The methods the build generates, lower case as in OpenAPI.
pub const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// Reads the resource paths of one feature from `spec/features.json`:
/// its `resources` and its `optional_resources` (may be absent).
pub fn load_feature(text: &str, feature: &str) -> Result<Selection, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("spec/features.json: {e}"))?;
    let list = |name: &str| -> Result<Vec<String>, String> {
        let Some(entries) = value.get(feature).and_then(|f| f.get(name)) else {
            return Ok(Vec::new());
        };
        entries
            .as_array()
            .ok_or_else(|| format!("spec/features.json: `{feature}.{name}` is not a list"))?
            .iter()
            .map(|r| {
                r.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("spec/features.json: `{r}` is not a path"))
            })
            .collect()
    };
    let required = list("resources")?;
    if required.is_empty() {
        return Err(format!(
            "spec/features.json has no `{feature}.resources` list"
        ));
    }
    Ok(Selection::Resources {
        required,
        optional: list("optional_resources")?,
    })
}

/// The resource an operation's path belongs to: the path less a trailing
/// `/{itemId}` (bunq's name for the item of a collection).
pub fn resource_of(path: &str) -> &str {
    path.strip_suffix("/{itemId}").unwrap_or(path)
}

/// Removes the operations `selection` leaves out, then every schema no
/// remaining operation reaches. Fails when a listed resource has no
/// operation in the document (a typo, or bunq removed it).
pub fn select(spec: &mut Value, selection: &Selection) -> Result<(), String> {
    if let Selection::Resources { required, optional } = selection {
        let paths = spec
            .get_mut("paths")
            .and_then(Value::as_object_mut)
            .ok_or("the document has no paths")?;
        let mut found = BTreeSet::new();
        paths.retain(|path, _| {
            let resource = resource_of(path);
            let keep = required.iter().chain(optional).any(|r| r == resource);
            if keep {
                found.insert(resource_of(path).to_owned());
            }
            keep
        });
        let missing: Vec<&str> = required
            .iter()
            .filter(|r| !found.contains(r.as_str()))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "spec/features.json lists resources the document does not have: {}",
                missing.join(", ")
            ));
        }
    }
    prune_schemas(spec);
    Ok(())
}

/// Keeps only the component schemas that the paths reach, directly or
/// through other schemas.
fn prune_schemas(spec: &mut Value) {
    let mut reached = BTreeSet::new();
    let mut queue: VecDeque<String> = VecDeque::new();
    if let Some(paths) = spec.get("paths") {
        collect_refs(paths, &mut |name| queue.push_back(name));
    }
    let schemas = spec
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    while let Some(name) = queue.pop_front() {
        if !reached.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = schemas.get(&name) {
            collect_refs(schema, &mut |next| queue.push_back(next));
        }
    }
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.retain(|name, _| reached.contains(name));
    }
}

/// Calls `found` with the name of every `#/components/schemas/…` reference.
pub fn collect_refs(value: &Value, found: &mut impl FnMut(String)) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "$ref"
                    && let Some(name) = inner
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    found(name.to_owned());
                } else {
                    collect_refs(inner, found);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, found)),
        _ => {}
    }
}

/// Stops on a `$ref` to a component the document does not define, before
/// progenitor sees it (typify panics on one): one message naming each
/// missing component and where it is used. bunq has published such a
/// description (2021-10-20, 95 missing schemas).
pub fn check_refs(spec: &Value) -> Result<(), String> {
    let mut users: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut note = |target: &str, user: &str| {
        if resolve(spec, target).is_none() {
            users
                .entry(target.trim_start_matches("#/components/").to_owned())
                .or_default()
                .insert(user.to_owned());
        }
    };
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(operation) = item.get(method) {
                    let user = format!("{} {path}", method.to_uppercase());
                    all_refs(operation, &mut |target| note(target, &user));
                }
            }
        }
    }
    if let Some(components) = spec.get("components").and_then(Value::as_object) {
        for (kind, entries) in components {
            for (name, component) in entries.as_object().into_iter().flatten() {
                let user = format!("{kind}/{name}");
                all_refs(component, &mut |target| note(target, &user));
            }
        }
    }
    if users.is_empty() {
        return Ok(());
    }
    let mut message = format!(
        "the description refers to {} component(s) it does not define:",
        users.len()
    );
    for (missing, used_by) in &users {
        let shown: Vec<&str> = used_by.iter().take(3).map(String::as_str).collect();
        let more = match used_by.len().saturating_sub(shown.len()) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        message.push_str(&format!(
            "\n  {missing}, used by {}{more}",
            shown.join(", ")
        ));
    }
    Err(message)
}

/// What a local `$ref` (`#/components/…`) points at, if it exists.
fn resolve<'a>(spec: &'a Value, target: &str) -> Option<&'a Value> {
    let pointer = target.strip_prefix('#')?;
    spec.pointer(pointer)
}

/// Calls `found` with every local `$ref` target inside `value`.
fn all_refs(value: &Value, found: &mut impl FnMut(&str)) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner.as_str()) {
                    ("$ref", Some(target)) if target.starts_with("#/") => found(target),
                    _ => all_refs(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| all_refs(v, found)),
        _ => {}
    }
}
