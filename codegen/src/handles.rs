//! The typed operations: one handle per resource path, one method per
//! operation, each sending through the session (bunq's headers, pacing,
//! retries, signing, verification) and unwrapping the answer by its shape.
//!
//! Everything here is derived from the spec, the response shapes
//! (`codegen/src/shapes.rs`) and progenitor's generated methods; no operation is
//! named. The output is Rust source that `src/api/mod.rs` includes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};

use crate::shapes::{OperationShape, Shape};

/// One generated operation, for the coverage table.
#[derive(Debug, Clone)]
pub struct Row {
    /// `GET`, `POST`, …
    pub method: String,
    /// The spec's path.
    pub path: String,
    /// The spec's `operationId`.
    pub operation_id: String,
    /// How the answer is unwrapped.
    pub shape: Shape,
    /// How a caller reaches it: `payments(monetary_account_id).list_page(page)`.
    pub call: String,
    /// What it returns.
    pub returns: String,
}

/// A progenitor method: its name and its arguments (name, type as source).
#[derive(Debug, Clone)]
struct Method {
    name: String,
    args: Vec<(String, String)>,
}

/// The generated source and the coverage rows.
pub struct Output {
    /// Rust source for `src/api/mod.rs`.
    pub source: String,
    /// One row per generated operation.
    pub rows: Vec<Row>,
}

/// Generates the handles for every operation in `shapes`.
///
/// `spec` is the document before the raw-response rule (it still has the
/// response schemas); `progenitor_source` is progenitor's output for it.
pub fn generate(
    spec: &OpenAPI,
    shapes: &[OperationShape],
    progenitor_source: &str,
    aliases: &BTreeMap<String, String>,
) -> Result<Output, String> {
    // Identical schemas compile once: the others are aliases of it, by Rust name.
    let aliases: BTreeMap<String, String> = aliases
        .iter()
        .map(|(alias, target)| (pascal(alias), pascal(target)))
        .collect();
    let canonical = |text: &str| canonical_types(text, &aliases);
    let methods = progenitor_methods(progenitor_source)?;
    let type_names = generated_type_names(progenitor_source)?;

    // Resources, in the spec's order, each with its operations.
    let mut resources: Vec<Resource> = Vec::new();
    for op in shapes {
        let resource_path = crate::select::resource_of(&op.path).to_owned();
        let index = match resources.iter().position(|r| r.path == resource_path) {
            Some(index) => index,
            None => {
                let (name, parents) = resource_name(&op.operation_id).ok_or_else(|| {
                    format!(
                        "{} {}: operationId `{}` is not bunq's `KIND_Name_for_Parents`",
                        op.method, op.path, op.operation_id
                    )
                })?;
                resources.push(Resource {
                    path: resource_path,
                    name,
                    parents,
                    ops: Vec::new(),
                    handle: String::new(),
                });
                resources.len() - 1
            }
        };
        resources[index].ops.push(op.clone());
    }
    name_handles(&mut resources);

    let mut out = String::new();
    let mut rows = Vec::new();
    let mut unions: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut accessors = String::new();

    // Every operation's parts, per resource.
    let mut parts: Vec<Vec<OpParts>> = Vec::new();
    for resource in &resources {
        let mut ops = Vec::new();
        for op in &resource.ops {
            ops.push(op_parts(
                spec,
                resource,
                op,
                &methods,
                &type_names,
                &mut unions,
            )?);
        }
        parts.push(ops);
    }

    // Resources of one name under many parents (bunq's notes: `note-text`
    // and `note-attachment` under 20 kinds of object each) become one
    // handle whose parent is an enum, when every parent offers the same
    // methods with the same types.
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, resource) in resources.iter().enumerate() {
        by_name
            .entry(resource.name.as_str())
            .or_default()
            .push(index);
    }
    let mut shared: Vec<Vec<usize>> = Vec::new();
    for group in by_name.into_values() {
        // Compared by what they compile to: each parent's own schema names
        // may be aliases of one type.
        let signature = |i: usize| -> Signature {
            parts[i]
                .iter()
                .map(|p| {
                    (
                        p.method_name.clone(),
                        p.sig_args.join(","),
                        canonical(&p.returns),
                    )
                })
                .collect()
        };
        // Parents that offer the same methods with the same types, the
        // user from the session or not, and plain integer ids: the largest
        // such set shares a handle; any other parent keeps its own.
        let plain = |i: usize| {
            parts[i].iter().all(|p| {
                p.uses_user == parts[i][0].uses_user && p.fields.iter().all(|(_, t)| t == "i64")
            })
        };
        let mut by_signature: BTreeMap<(Signature, bool), Vec<usize>> = BTreeMap::new();
        for &i in group.iter().filter(|&&i| plain(i) && !parts[i].is_empty()) {
            by_signature
                .entry((signature(i), parts[i][0].uses_user))
                .or_default()
                .push(i);
        }
        if let Some(largest) = by_signature.into_values().max_by_key(Vec::len)
            && largest.len() >= SHARED_AT_LEAST
        {
            shared.push(largest);
        }
    }
    let in_shared: BTreeSet<usize> = shared.iter().flatten().copied().collect();
    // A handle shared by many parents names the one type they all answer with.
    for &i in &in_shared {
        for part in &mut parts[i] {
            part.returns = canonical(&part.returns);
            part.decode = canonical(&part.decode);
            part.item_type = part.item_type.as_deref().map(canonical);
        }
    }
    // The shared handle takes the plain name; a parent left out of it keeps
    // a name with its own parent in front.
    let shared_names: BTreeSet<String> = shared
        .iter()
        .map(|group| plural(&resources[group[0]].name))
        .collect();
    for (index, resource) in resources.iter_mut().enumerate() {
        if !in_shared.contains(&index) && shared_names.contains(&resource.handle) {
            let parent = resource.parents.last().cloned().unwrap_or_default();
            resource.handle = plural(&format!("{parent}{}", resource.name));
        }
    }

    for (index, resource) in resources.iter().enumerate() {
        if in_shared.contains(&index) {
            continue;
        }
        let fields = parts[index]
            .first()
            .map(|p| p.fields.clone())
            .unwrap_or_default();
        let mut body = String::new();
        for part in &parts[index] {
            let send = part.send("self.session", &part.plain_args());
            write_method(&mut body, part, &send);
            rows.push(part.row(&format!(
                "{}({})",
                snake(&resource.handle),
                fields.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        let handle = &resource.handle;
        let field_decls: String = fields
            .iter()
            .map(|(n, t)| format!("    {n}: {t},\n"))
            .collect();
        let params: Vec<String> = fields.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        let _ = write!(
            out,
            "/// `{path}`: bunq's {name} operations. Get one from [`Api::{accessor}`].\n#[derive(Debug, Clone, Copy)]\npub struct {handle}<'s> {{\n    session: &'s crate::Session,\n{field_decls}}}\n\nimpl<'s> {handle}<'s> {{\n{body}}}\n\n",
            path = resource.path,
            name = resource.name,
            accessor = snake(handle),
        );
        let _ = write!(
            accessors,
            "    /// `{path}`: see [`{handle}`].\n    pub fn {accessor}(&self, {params}) -> {handle}<'s> {{\n        {handle} {{ session: self.session, {names} }}\n    }}\n\n",
            path = resource.path,
            accessor = snake(handle),
            params = params.join(", "),
            names = names.join(", "),
        );
    }

    for group in &shared {
        write_shared(
            &mut out,
            &mut accessors,
            &mut rows,
            &resources,
            &parts,
            group,
        );
    }

    let _ = write!(out, "impl<'s> Api<'s> {{\n{accessors}}}\n\n");
    for (name, variants) in &unions {
        write_union(&mut out, name, variants);
    }
    write_table(&mut out, &rows);
    write_every_shape_decoder(&mut out, parts.iter().flatten());
    Ok(Output { source: out, rows })
}

/// `text` with every `types::Alias` replaced by the type it aliases.
fn canonical_types(text: &str, aliases: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("types::") {
        let (before, after) = rest.split_at(start + "types::".len());
        out.push_str(before);
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..end];
        out.push_str(aliases.get(name).map_or(name, String::as_str));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// How many types of each response shape `decode_with_every_shape` runs.
const TYPES_PER_SHAPE: usize = 2;

/// `decode_with_every_shape`: a body through the decoders of this build's
/// first operations of each response shape, as the operations decode. For
/// the hostile-input tests; written here because which types exist depends
/// on the description the crate is built from.
fn write_every_shape_decoder<'a>(out: &mut String, parts: impl Iterator<Item = &'a OpParts>) {
    let mut calls: Vec<String> = Vec::new();
    let mut per_shape: BTreeMap<String, usize> = BTreeMap::new();
    for part in parts {
        let call = match (&part.op.shape, &part.item_type) {
            (Shape::List, Some(item)) => format!("decode_list::<{item}>"),
            (Shape::ListOfUnion, Some(item)) => format!("decode_union_list::<{item}>"),
            (Shape::One, _) => format!("decode_one::<{}>", part.returns),
            (Shape::Union, _) => format!("decode_union::<{}>", part.returns),
            (Shape::MultiItem, _) => format!(
                "decode_items::<{}>",
                part.returns
                    .trim_start_matches("Vec<")
                    .trim_end_matches('>')
            ),
            (Shape::Id, _) => "decode_id".to_owned(),
            (Shape::Uuid, _) => "decode_uuid".to_owned(),
            _ => continue,
        };
        let shape = format!("{:?}", part.op.shape);
        let taken = per_shape.entry(shape).or_default();
        if *taken < TYPES_PER_SHAPE && !calls.contains(&call) {
            *taken += 1;
            calls.push(call);
        }
    }
    let lines: String = calls
        .iter()
        .map(|call| format!("        crate::envelope::{call}(\"every shape\", reply).is_ok(),\n"))
        .collect();
    let _ = write!(
        out,
        "/// Runs `body` through the generated decoders of every response shape (the\n/// first operations of each), as the operations do: for the hostile-input\n/// tests and `examples/hostile_bodies.rs`. Returns how many decoded it.\n#[doc(hidden)]\npub fn decode_with_every_shape(body: &[u8]) -> usize {{\n    let reply = &crate::transport::Reply {{\n        body: ::bytes::Bytes::copy_from_slice(body),\n        unknown_fields: crate::api::UnknownFields::Refuse,\n    }};\n    [\n{lines}    ]\n    .iter()\n    .filter(|ok| **ok)\n    .count()\n}}\n"
    );
}

/// A resource's methods: name, arguments, return type.
type Signature = BTreeSet<(String, String, String)>;

/// How many parents a resource name needs before it gets one shared handle.
const SHARED_AT_LEAST: usize = 3;

/// One operation, ready to emit.
#[derive(Debug, Clone)]
struct OpParts {
    op: OperationShape,
    /// `list_page`, `get`, `create`, …
    method_name: String,
    /// The method's arguments (`page: …`, `item_id: i64`, `body: &types::X`).
    sig_args: Vec<String>,
    /// progenitor's method and its arguments: `user_id`, `self.<field>`, or a method argument.
    progenitor: String,
    call_args: Vec<String>,
    /// The handle's fields (path parameters other than the user and the item).
    fields: Vec<(String, String)>,
    returns: String,
    decode: String,
    item_type: Option<String>,
    is_list: bool,
    uses_user: bool,
}

impl OpParts {
    fn plain_args(&self) -> Vec<String> {
        self.call_args
            .iter()
            .map(|a| a.strip_prefix("self.").unwrap_or(a).to_owned())
            .collect()
    }

    /// The code that sends the call and binds `reply`.
    fn send(&self, session: &str, args: &[String]) -> String {
        let query = if self.is_list {
            "page.query()"
        } else {
            "Vec::new()"
        };
        format!(
            "{session}\n            .send({query}, move |api| async move {{\n                api.{}({}).await\n            }})\n            .await?",
            self.progenitor,
            args.join(", ")
        )
    }

    fn row(&self, handle_call: &str) -> Row {
        Row {
            method: self.op.method.clone(),
            path: self.op.path.clone(),
            operation_id: self.op.operation_id.clone(),
            shape: self.op.shape.clone(),
            call: format!(
                "{handle_call}.{}({})",
                self.method_name,
                self.sig_args
                    .iter()
                    .map(|a| a.split(':').next().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            returns: self.returns.clone(),
        }
    }
}

fn op_parts(
    spec: &OpenAPI,
    resource: &Resource,
    op: &OperationShape,
    methods: &BTreeMap<(String, String), Method>,
    type_names: &BTreeSet<String>,
    unions: &mut BTreeMap<String, BTreeMap<String, String>>,
) -> Result<OpParts, String> {
    let method = methods
        .get(&(op.method.clone(), op.path.clone()))
        .ok_or_else(|| {
            format!(
                "{} {}: progenitor generated no method for it",
                op.method, op.path
            )
        })?;
    let count = |kind: &str| {
        resource
            .ops
            .iter()
            .filter(|o| operation_kind(&o.operation_id) == kind)
            .count()
    };
    let item_param = op.path.ends_with("/{itemId}");
    let from_user = op.path.starts_with("/user/{userID}");
    // Split progenitor's arguments: the user (from the session), the item
    // and the body (the method's), and the rest (the handle's).
    let mut call_args = Vec::new();
    let mut method_args = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    for (index, (name, ty)) in method.args.iter().enumerate() {
        let is_last_path_arg =
            item_param && method.args[index + 1..].iter().all(|(n, _)| n == "body");
        if name == "body" {
            method_args.push(format!("body: {}", ty.replace("'a ", "")));
            call_args.push("body".to_owned());
        } else if index == 0 && from_user && name == "user_id" {
            call_args.push("user_id".to_owned());
        } else if is_last_path_arg {
            method_args.push(format!("{name}: {}", ty.replace("'a ", "")));
            call_args.push(name.clone());
        } else {
            fields.push((name.clone(), ty.replace("'a ", "'s ")));
            call_args.push(format!("self.{name}"));
        }
    }
    let (returns, decode, item_type) = returns_and_decode(spec, op, type_names, unions)?;
    let is_list = matches!(op.shape, Shape::List | Shape::ListOfUnion);
    let method_name = match operation_kind(&op.operation_id) {
        "List_all" if is_list && count("List_all") == 1 => "list_page",
        "List_all" if is_list => {
            return Err(format!(
                "{}: two list operations on one resource",
                resource.path
            ));
        }
        "List_all" if count("READ") > 0 => "read",
        "List_all" | "READ" => "get",
        "CREATE" => "create",
        "UPDATE" => "update",
        "DELETE" => "delete",
        other => return Err(format!("{}: unknown kind {other}", op.operation_id)),
    };
    let mut sig_args = method_args;
    if is_list {
        sig_args.insert(0, "page: crate::pagination::PageRequest".to_owned());
    }
    let uses_user = from_user && call_args.first().is_some_and(|a| a == "user_id");
    Ok(OpParts {
        op: op.clone(),
        method_name: method_name.to_owned(),
        sig_args,
        progenitor: method.name.clone(),
        call_args,
        fields,
        returns,
        decode: decode.replace("{operation}", &op.operation_id),
        item_type,
        is_list,
        uses_user,
    })
}

/// Writes one operation's method(s); `send` binds `reply`, and may read
/// `user_id` and the handle's fields, which the method binds first.
fn write_method(body: &mut String, part: &OpParts, send: &str) {
    let op = &part.op;
    let doc = format!(
        "    /// `{} {}` (`{}`): {}.\n",
        op.method,
        op.path,
        op.operation_id,
        describe(&op.shape)
    );
    let user_line = if part.uses_user {
        "        let user_id = self.session.user_id().path()?;\n"
    } else {
        ""
    };
    let copies: String = part
        .call_args
        .iter()
        .filter_map(|a| a.strip_prefix("self."))
        .map(|f| format!("        let {f} = self.{f};\n"))
        .collect();
    let send = format!("{user_line}{copies}        let reply = {send};\n");
    let operation = &op.operation_id;
    let args = part.sig_args.join(", ");
    let returns = &part.returns;
    let method_name = &part.method_name;
    if part.is_list {
        let item = part.item_type.clone().unwrap_or_default();
        let (bound, decoder) = if op.shape == Shape::List {
            (
                "::serde::de::DeserializeOwned + crate::api::wire::Decode",
                "decode_list",
            )
        } else {
            ("crate::envelope::UnionItem", "decode_union_list")
        };
        let check = part.decode.replace("{items}", "page.items.iter()");
        let _ = write!(
            body,
            "{doc}    pub async fn list_page(&self, {args}) -> crate::Result<{returns}> {{\n        let page = self.list_page_as::<{item}>(page).await?;\n{check}        Ok(page)\n    }}\n\n    /// [`Self::list_page`], each item decoded as `T`.\n    #[allow(dead_code)]\n    pub(crate) async fn list_page_as<T: {bound}>(&self, {args}) -> crate::Result<crate::pagination::Page<T>> {{\n{send}        crate::envelope::{decoder}(\"{operation}\", &reply)\n    }}\n\n    crate::pagination::paged_list!('s, {item}, \"the items of `{}`\");\n\n",
            op.path,
        );
    } else if op.shape == Shape::One {
        // `get_as::<T>`: the same call decoded as the crate's own model
        // (the OAuth client with its typed status, …).
        let _ = write!(
            body,
            "{doc}    pub async fn {method_name}(&self, {args}) -> crate::Result<{returns}> {{\n{send}{decode}\n    }}\n\n    /// [`Self::{method_name}`], decoded as `T`.\n    #[allow(dead_code)]\n    pub(crate) async fn {method_name}_as<T: ::serde::de::DeserializeOwned + crate::api::wire::Decode>(&self, {args}) -> crate::Result<T> {{\n{send}        crate::envelope::decode_one(\"{operation}\", &reply)\n    }}\n\n",
            decode = part.decode,
        );
    } else {
        let _ = write!(
            body,
            "{doc}    pub async fn {method_name}(&self, {args}) -> crate::Result<{returns}> {{\n{send}{decode}\n    }}\n\n",
            decode = part.decode,
        );
    }
}

/// One handle for a resource name under many parents: `NoteTexts<'s>`
/// holding a `NoteTextParent` (one variant per parent, with its ids); each
/// method sends the parent's own operation.
fn write_shared(
    out: &mut String,
    accessors: &mut String,
    rows: &mut Vec<Row>,
    resources: &[Resource],
    parts: &[Vec<OpParts>],
    group: &[usize],
) {
    let first = &resources[group[0]];
    let handle = plural(&first.name);
    let parent_enum = format!("{}Parent", first.name);
    // Variant names: the nearest parents that tell the paths apart.
    let mut variants: Vec<String> = Vec::new();
    for &i in group {
        let parents = &resources[i].parents;
        let mut depth = 1;
        let name = loop {
            let start = parents.len().saturating_sub(depth);
            let candidate: String = parents[start..].concat();
            let clash = group.iter().any(|&j| {
                j != i && {
                    let other = &resources[j].parents;
                    other[other.len().saturating_sub(depth)..].concat() == candidate
                }
            });
            if !clash || depth >= parents.len() {
                break candidate;
            }
            depth += 1;
        };
        variants.push(name);
    }
    let mut decl = String::new();
    for (&i, variant) in group.iter().zip(&variants) {
        let fields = parts[i]
            .first()
            .map(|p| p.fields.clone())
            .unwrap_or_default();
        let fields: String = fields
            .iter()
            .map(|(n, t)| format!("        /// `{{{n}}}` in the path.\n        {n}: {t},\n"))
            .collect();
        let _ = write!(
            decl,
            "    /// `{}`.\n    {variant} {{\n{fields}    }},\n",
            resources[i].path
        );
    }
    let _ = write!(
        out,
        "/// The object a [`{handle}`] handle belongs to: one variant per kind of\n/// parent, with the ids its path needs.\n#[derive(Debug, Clone, Copy, PartialEq, Eq)]\npub enum {parent_enum} {{\n{decl}}}\n\n"
    );
    let mut body = String::new();
    // Each parent's own operation for a method (the same set, by name).
    let own = |i: usize, method: &str| -> &OpParts {
        parts[i]
            .iter()
            .find(|p| p.method_name == method)
            .unwrap_or(&parts[i][0])
    };
    for part in &parts[group[0]] {
        // A `match` on the parent, each arm sending that parent's operation.
        let mut arms = String::new();
        for (&i, variant) in group.iter().zip(&variants) {
            let own = own(i, &part.method_name);
            let names: Vec<String> = own.fields.iter().map(|(n, _)| n.clone()).collect();
            let send = own.send("self\n                .session", &own.plain_args());
            let _ = writeln!(
                arms,
                "            {parent_enum}::{variant} {{ {} }} => {send},",
                names.join(", ")
            );
        }
        let mut generic = part.clone();
        // The arms bind the ids; only the user comes from the session.
        generic.call_args.retain(|a| !a.starts_with("self."));
        let send = format!("match self.parent {{\n{arms}        }}");
        write_method(&mut body, &generic, &send);
        for &i in group {
            let own = own(i, &part.method_name);
            let names: Vec<&str> = own.fields.iter().map(|(n, _)| n.as_str()).collect();
            let variant = &variants[group.iter().position(|&g| g == i).unwrap_or(0)];
            rows.push(own.row(&format!(
                "{}({parent_enum}::{variant} {{ {} }})",
                snake(&handle),
                names.join(", ")
            )));
        }
    }
    let _ = write!(
        out,
        "/// bunq's {name} operations on any of the {count} kinds of object that have\n/// them ([`{parent_enum}`]). Get one from [`Api::{accessor}`].\n#[derive(Debug, Clone, Copy)]\npub struct {handle}<'s> {{\n    session: &'s crate::Session,\n    parent: {parent_enum},\n}}\n\nimpl<'s> {handle}<'s> {{\n{body}}}\n\n",
        name = first.name,
        count = group.len(),
        accessor = snake(&handle),
    );
    let _ = write!(
        accessors,
        "    /// bunq's {name} operations on `parent`: see [`{handle}`].\n    pub fn {accessor}(&self, parent: {parent_enum}) -> {handle}<'s> {{\n        {handle} {{ session: self.session, parent }}\n    }}\n\n",
        name = first.name,
        accessor = snake(&handle),
    );
}

struct Resource {
    path: String,
    name: String,
    parents: Vec<String>,
    ops: Vec<OperationShape>,
    handle: String,
}

/// `List_all_Payment_for_User_MonetaryAccount` → `("Payment", ["User", "MonetaryAccount"])`.
fn resource_name(operation_id: &str) -> Option<(String, Vec<String>)> {
    let kind = operation_kind(operation_id);
    if kind.is_empty() {
        return None;
    }
    let rest = operation_id.get(kind.len()..)?.strip_prefix('_')?;
    let (name, parents) = match rest.split_once("_for_") {
        Some((name, parents)) => (name, parents.split('_').map(str::to_owned).collect()),
        None => (rest, Vec::new()),
    };
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| (name.to_owned(), parents))
}

/// The kind an operation id starts with, in bunq's spelling of today
/// (`CREATE_…`); descriptions before 2020-08 spell it `Create_…`.
fn operation_kind(operation_id: &str) -> &'static str {
    ["List_all", "CREATE", "READ", "UPDATE", "DELETE"]
        .into_iter()
        .find(|k| {
            operation_id
                .get(..k.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(k))
                && operation_id[k.len()..].starts_with('_')
        })
        .unwrap_or("")
}

/// Plural handle names; where two resources share one, the one with more
/// parents is prefixed with its nearest parents until it is unique.
fn name_handles(resources: &mut [Resource]) {
    let mut order: Vec<usize> = (0..resources.len()).collect();
    order.sort_by_key(|&i| (resources[i].parents.len(), resources[i].path.clone()));
    let mut taken = BTreeSet::new();
    for i in order {
        let resource = &resources[i];
        let mut depth = 0;
        let name = loop {
            let start = resource.parents.len().saturating_sub(depth);
            let prefix: String = resource.parents[start..].concat();
            let candidate = plural(&format!("{prefix}{}", resource.name));
            if !taken.contains(&candidate) || depth >= resource.parents.len() {
                break candidate;
            }
            depth += 1;
        };
        taken.insert(name.clone());
        resources[i].handle = name;
    }
}

fn plural(name: &str) -> String {
    let consonant_y = name.ends_with('y')
        && !name.ends_with("ay")
        && !name.ends_with("ey")
        && !name.ends_with("oy")
        && !name.ends_with("uy");
    if consonant_y {
        format!("{}ies", &name[..name.len() - 1])
    } else if ["ss", "x", "ch", "sh"].iter().any(|s| name.ends_with(s)) {
        format!("{name}es")
    } else if name.ends_with('s') {
        // Already plural: `MonetaryAccountSavings`.
        name.to_owned()
    } else {
        format!("{name}s")
    }
}

/// `MonetaryAccountBanks` → `monetary_account_banks`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if prev_lower || (prev_upper && next_lower) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

fn describe(shape: &Shape) -> &'static str {
    match shape {
        Shape::Empty => "answers no body",
        Shape::Bytes => "answers raw bytes (a file)",
        Shape::Id => "answers the new item's id",
        Shape::Uuid => "answers the new item's UUID",
        Shape::One => "answers one object",
        Shape::List => "answers a page of objects",
        Shape::Union => "answers one object of one of several kinds",
        Shape::ListOfUnion => "answers a page of objects of several kinds",
        Shape::MultiItem => "answers several items of different kinds",
    }
}

/// The return type and the decoding code for one operation. For list
/// shapes, also the item type (the decode text is then the id check over
/// `{items}`).
fn returns_and_decode(
    spec: &OpenAPI,
    op: &OperationShape,
    type_names: &BTreeSet<String>,
    unions: &mut BTreeMap<String, BTreeMap<String, String>>,
) -> Result<(String, String, Option<String>), String> {
    let schema = || {
        op.schema
            .clone()
            .or_else(|| item_schema_name(spec, &op.method, &op.path))
            .ok_or_else(|| format!("{} {}: no response schema", op.method, op.path))
    };
    let typed = |name: &str| -> Result<String, String> {
        let rust = pascal(name);
        if type_names.contains(&rust) {
            Ok(format!("types::{rust}"))
        } else {
            Err(format!(
                "{} {}: progenitor generated no type `{rust}` for schema `{name}`",
                op.method, op.path
            ))
        }
    };
    Ok(match op.shape {
        Shape::Empty => (
            "()".into(),
            "        let _ = reply;\n        Ok(())".into(),
            None,
        ),
        Shape::Bytes => (
            "::bytes::Bytes".into(),
            "        Ok(reply.body)".into(),
            None,
        ),
        Shape::Id => (
            "i64".into(),
            "        crate::envelope::decode_id(\"{operation}\", &reply)".into(),
            None,
        ),
        Shape::Uuid => (
            "String".into(),
            "        crate::envelope::decode_uuid(\"{operation}\", &reply)".into(),
            None,
        ),
        Shape::One => {
            let name = schema()?;
            let rust = typed(&name)?;
            let check = if has_id(spec, &name) {
                "        crate::envelope::require_id(\"{operation}\", [item.id.is_some()])?;\n"
            } else {
                ""
            };
            (
                rust.clone(),
                format!(
                    "        let item: {rust} = crate::envelope::decode_one(\"{{operation}}\", &reply)?;\n{check}        Ok(item)"
                ),
                None,
            )
        }
        Shape::List => {
            let name = schema()?;
            let rust = typed(&name)?;
            let check = if has_id(spec, &name) {
                format!(
                    "        crate::envelope::require_id(\"{}\", {{items}}.map(|item| item.id.is_some()))?;\n",
                    op.operation_id
                )
            } else {
                String::new()
            };
            (
                format!("crate::pagination::Page<{rust}>"),
                check,
                Some(rust),
            )
        }
        Shape::Union | Shape::ListOfUnion | Shape::MultiItem => {
            let name = schema()?;
            let variants = union_variants(spec, &name, type_names)?;
            let base = name
                .strip_suffix("Listing")
                .or_else(|| name.strip_suffix("Read"))
                .or_else(|| name.strip_suffix("Create"))
                .unwrap_or(&name);
            let enum_name = if op.shape == Shape::MultiItem {
                format!("{}Item", pascal(base))
            } else {
                pascal(base)
            };
            unions
                .entry(enum_name.clone())
                .or_default()
                .extend(variants);
            match op.shape {
                Shape::Union => (
                    enum_name.clone(),
                    format!(
                        "        crate::envelope::decode_union::<{enum_name}>(\"{{operation}}\", &reply)"
                    ),
                    None,
                ),
                Shape::ListOfUnion => (
                    format!("crate::pagination::Page<{enum_name}>"),
                    String::new(),
                    Some(enum_name),
                ),
                _ => (
                    format!("Vec<{enum_name}>"),
                    format!(
                        "        crate::envelope::decode_items::<{enum_name}>(\"{{operation}}\", &reply)"
                    ),
                    None,
                ),
            }
        }
    })
}

/// The schemas bunq answers objects with: each operation's one object or
/// page item and, where an answer has several kinds, each kind's schema.
/// These are the types that keep the JSON they were decoded from.
pub fn answer_schemas(spec: &OpenAPI, shapes: &[OperationShape]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for op in shapes {
        let Some(name) = op
            .schema
            .clone()
            .or_else(|| item_schema_name(spec, &op.method, &op.path))
        else {
            continue;
        };
        match op.shape {
            Shape::One | Shape::List => {
                out.insert(name);
            }
            Shape::Union | Shape::ListOfUnion | Shape::MultiItem => {
                if let Some(SchemaKind::Type(Type::Object(object))) =
                    component(spec, &name).map(|s| &s.schema_kind)
                {
                    for property in object.properties.values() {
                        if let ReferenceOr::Reference { reference } = property
                            && let Some(target) = reference.strip_prefix("#/components/schemas/")
                        {
                            out.insert(target.to_owned());
                        }
                    }
                }
            }
            Shape::Empty | Shape::Bytes | Shape::Id | Shape::Uuid => {}
        }
    }
    out
}

/// The item schema of the success answer: the array's items, or the schema.
fn item_schema_name(spec: &OpenAPI, method: &str, path: &str) -> Option<String> {
    let ReferenceOr::Item(item) = spec.paths.paths.get(path)? else {
        return None;
    };
    let operation = match method {
        "GET" => item.get.as_ref(),
        "POST" => item.post.as_ref(),
        "PUT" => item.put.as_ref(),
        "DELETE" => item.delete.as_ref(),
        "PATCH" => item.patch.as_ref(),
        _ => None,
    }?;
    let response = [200u16, 201].iter().find_map(|code| {
        operation
            .responses
            .responses
            .get(&openapiv3::StatusCode::Code(*code))
    })?;
    let ReferenceOr::Item(response) = response else {
        return None;
    };
    let schema = response.content.values().find_map(|m| m.schema.clone())?;
    match schema {
        ReferenceOr::Reference { reference } => Some(reference.rsplit('/').next()?.to_owned()),
        ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::Array(array)),
            ..
        }) => match array.items? {
            ReferenceOr::Reference { reference } => Some(reference.rsplit('/').next()?.to_owned()),
            ReferenceOr::Item(_) => None,
        },
        ReferenceOr::Item(_) => None,
    }
}

fn component<'a>(spec: &'a OpenAPI, name: &str) -> Option<&'a Schema> {
    match spec.components.as_ref()?.schemas.get(name)? {
        ReferenceOr::Item(schema) => Some(schema),
        ReferenceOr::Reference { .. } => None,
    }
}

/// Whether the spec itself gives the schema an `id` (one the build added
/// for the wire, `x-bunq-oauth-added`, is optional: bunq may not send it).
fn has_id(spec: &OpenAPI, name: &str) -> bool {
    let Some(SchemaKind::Type(Type::Object(object))) =
        component(spec, name).map(|s| &s.schema_kind)
    else {
        return false;
    };
    match object.properties.get("id") {
        Some(ReferenceOr::Item(schema)) => !schema
            .schema_data
            .extensions
            .contains_key(crate::shapes::ADDED_MARK),
        Some(ReferenceOr::Reference { .. }) => true,
        None => false,
    }
}

/// A union schema's wrapper keys and the Rust type of each.
fn union_variants(
    spec: &OpenAPI,
    name: &str,
    type_names: &BTreeSet<String>,
) -> Result<BTreeMap<String, String>, String> {
    let Some(SchemaKind::Type(Type::Object(object))) =
        component(spec, name).map(|s| &s.schema_kind)
    else {
        return Err(format!("union schema `{name}` is not an object"));
    };
    let mut variants = BTreeMap::new();
    for (key, property) in &object.properties {
        let rust = match property {
            ReferenceOr::Reference { reference } => {
                let target = pascal(reference.rsplit('/').next().unwrap_or_default());
                if type_names.contains(&target) {
                    format!("types::{target}")
                } else {
                    "::serde_json::Value".to_owned()
                }
            }
            ReferenceOr::Item(_) => "::serde_json::Value".to_owned(),
        };
        variants.insert(key.clone(), rust);
    }
    Ok(variants)
}

fn write_union(out: &mut String, name: &str, variants: &BTreeMap<String, String>) {
    let mut decl = String::new();
    let mut arms = String::new();
    let mut keep_arms = String::new();
    let mut unknown_arms = String::new();
    for (key, rust) in variants {
        let variant = pascal(key);
        // Boxed: bunq's objects are large and differ in size (a user is
        // kilobytes, an id one number).
        let _ = writeln!(
            decl,
            "    /// Under the wrapper key `{key}`.\n    {variant}(Box<{rust}>),"
        );
        let _ = writeln!(
            arms,
            "            \"{key}\" => ::serde_json::from_str(raw.get()).map(Self::{variant}),"
        );
        let _ = writeln!(
            keep_arms,
            "            Self::{variant}(v) => crate::api::wire::Decode::keep_wire(&mut **v, wire),"
        );
        let _ = writeln!(
            unknown_arms,
            "            Self::{variant}(v) => crate::api::wire::Decode::unknown_fields(&**v),"
        );
    }
    let _ = write!(
        out,
        "/// One of the kinds bunq answers here, by its wrapper key; a kind this\n/// build does not know is kept as [`{name}::Unknown`].\n#[derive(Debug, Clone)]\n#[non_exhaustive]\npub enum {name} {{\n{decl}    /// A wrapper key this build does not know, with its JSON.\n    Unknown {{\n        /// The wrapper key.\n        key: String,\n        /// The object under it.\n        value: ::serde_json::Value,\n    }},\n}}\n\nimpl crate::api::wire::Decode for {name} {{\n    fn keep_wire(&mut self, wire: crate::api::WireJson) {{\n        match self {{\n{keep_arms}            Self::Unknown {{ .. }} => {{}}\n        }}\n    }}\n\n    fn unknown_fields(&self) -> ::std::vec::Vec<::std::string::String> {{\n        match self {{\n{unknown_arms}            // A kind this build does not know is unknown whole.\n            Self::Unknown {{ key, .. }} => ::std::vec![::std::format!(\"/{{key}}\")],\n        }}\n    }}\n}}\n\nimpl crate::envelope::UnionItem for {name} {{\n    fn from_item(key: &str, raw: &::serde_json::value::RawValue) -> ::std::result::Result<Self, ::serde_json::Error> {{\n        match key {{\n{arms}            _ => ::serde_json::from_str(raw.get()).map(|value| Self::Unknown {{ key: key.to_owned(), value }}),\n        }}\n    }}\n}}\n\n"
    );
}

fn write_table(out: &mut String, rows: &[Row]) {
    let _ = writeln!(
        out,
        "/// Every operation this build generates: method, path, operationId,\n/// shape, how to call it, and what it returns.\npub const OPERATIONS: &[Operation] = &["
    );
    for row in rows {
        let _ = writeln!(
            out,
            "    Operation {{ method: {:?}, path: {:?}, operation_id: {:?}, shape: {:?}, call: {:?}, returns: {:?} }},",
            row.method,
            row.path,
            row.operation_id,
            format!("{:?}", row.shape),
            row.call,
            row.returns
        );
    }
    let _ = writeln!(out, "];");
}

/// progenitor's type naming (heck's UpperCamelCase, as typify does).
fn pascal(name: &str) -> String {
    heck::ToUpperCamelCase::to_upper_camel_case(name)
}

/// progenitor's methods by (METHOD, path), read from their doc comments
/// ("Sends a `GET` request to `/path`").
fn progenitor_methods(source: &str) -> Result<BTreeMap<(String, String), Method>, String> {
    let file = syn::parse_file(source).map_err(|e| format!("generated code: {e}"))?;
    let mut out = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Impl(imp) = item else { continue };
        for member in &imp.items {
            let syn::ImplItem::Fn(f) = member else {
                continue;
            };
            let doc: String = f
                .attrs
                .iter()
                .filter_map(|a| match &a.meta {
                    syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        }) => Some(s.value()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            let Some(rest) = doc.split("Sends a `").nth(1) else {
                continue;
            };
            let mut parts = rest.split('`');
            let (Some(method), Some(_), Some(path)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let args = f
                .sig
                .inputs
                .iter()
                .filter_map(|input| match input {
                    syn::FnArg::Typed(pat) => {
                        let name = quote::ToTokens::to_token_stream(&pat.pat).to_string();
                        let ty = quote::ToTokens::to_token_stream(&pat.ty).to_string();
                        Some((name, ty.replace(" :: ", "::").replace("& ", "&")))
                    }
                    syn::FnArg::Receiver(_) => None,
                })
                .collect();
            out.insert(
                (method.to_owned(), path.to_owned()),
                Method {
                    name: f.sig.ident.to_string(),
                    args,
                },
            );
        }
    }
    Ok(out)
}

/// The names of the structs and enums in progenitor's `types` module.
fn generated_type_names(source: &str) -> Result<BTreeSet<String>, String> {
    let file = syn::parse_file(source).map_err(|e| format!("generated code: {e}"))?;
    let mut names = BTreeSet::new();
    for item in &file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "types" {
            continue;
        }
        for item in module.content.iter().flat_map(|(_, items)| items) {
            match item {
                syn::Item::Struct(s) => {
                    names.insert(s.ident.to_string());
                }
                syn::Item::Enum(e) => {
                    names.insert(e.ident.to_string());
                }
                syn::Item::Type(t) => {
                    names.insert(t.ident.to_string());
                }
                _ => {}
            }
        }
    }
    Ok(names)
}
