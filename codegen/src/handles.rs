//! The typed operations: one handle per resource path, one method per
//! operation, each building its request ([`calls`](#calls)), sending it
//! through the session (bunq's headers, pacing, retries, signing,
//! verification) and unwrapping the answer by its shape.
//!
//! Everything here is derived from the spec and the response shapes
//! (`codegen/src/shapes.rs`); no operation is named. Two modules of Rust
//! come out, emitted with `quote!`:
//!
//! - **calls** (`$OUT_DIR/bunq_calls.rs`): one function per operation,
//!   named after its `operationId` (`CREATE_Installation` →
//!   `create_installation`), taking the path parameters and the body and
//!   returning the request;
//! - **handles** (`$OUT_DIR/bunq_handles.rs`): the resource handles, their
//!   accessors on `Api`, the enums of answers with several kinds, and the
//!   table of operations.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToSnakeCase;
use openapiv3::{OpenAPI, Operation, Parameter, ReferenceOr, Schema, SchemaKind, Type};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

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

/// The generated source and the coverage rows.
pub struct Output {
    /// The request builders, one per operation (the `calls` module).
    pub calls: String,
    /// The handles, included by `src/api/mod.rs`.
    pub source: String,
    /// One row per generated operation.
    pub rows: Vec<Row>,
}

/// Where a path parameter's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// `{userID}` first in a `/user/…` path: the session's user.
    User,
    /// The handle's own ids (`payments(monetary_account_id)`).
    Field,
    /// The item a method acts on (`get(item_id)`).
    Item,
}

/// One path parameter of an operation.
#[derive(Debug, Clone)]
struct Param {
    /// As Rust names it: `monetary_account_id`.
    name: String,
    /// `{monetary-accountID}` as the path writes it.
    template: String,
    /// `i64` or `&str`.
    rust: String,
    role: Role,
}

impl Param {
    /// Its type where a handle holds it.
    fn field_type(&self) -> String {
        self.rust.replace('&', "&'s ")
    }
}

/// One operation, ready to emit.
#[derive(Debug, Clone)]
struct OpParts {
    op: OperationShape,
    /// `list_page`, `get`, `create`, …
    method_name: String,
    /// The request builder in `calls`: the `operationId` in snake case.
    call_fn: String,
    /// The path parameters in path order.
    params: Vec<Param>,
    /// The body type (`types::PaymentCreate`), if the operation takes one.
    body: Option<String>,
    returns: String,
    /// A list's item, or the enum of a several-item answer.
    item_type: Option<String>,
    /// Every decoded object must carry an `id` (the spec gives it one).
    id_check: bool,
}

impl OpParts {
    fn is_list(&self) -> bool {
        matches!(self.op.shape, Shape::List | Shape::ListOfUnion)
    }

    fn uses_user(&self) -> bool {
        self.params.iter().any(|p| p.role == Role::User)
    }

    /// The handle's fields: `(name, type)`.
    fn fields(&self) -> Vec<(String, String)> {
        self.params
            .iter()
            .filter(|p| p.role == Role::Field)
            .map(|p| (p.name.clone(), p.field_type()))
            .collect()
    }

    /// The method's arguments as text: `page: …`, `item_id: i64`, `body: &types::X`.
    fn sig_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.is_list() {
            args.push("page: crate::pagination::PageRequest".to_owned());
        }
        for p in self.params.iter().filter(|p| p.role == Role::Item) {
            args.push(format!("{}: {}", p.name, p.rust));
        }
        if let Some(body) = &self.body {
            args.push(format!("body: &{body}"));
        }
        args
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
                self.sig_args()
                    .iter()
                    .map(|a| a.split(':').next().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            returns: self.returns.clone(),
        }
    }

    /// The expression that builds this operation's request, with each
    /// field read from `field(name)`; a `?` where the body must be written.
    fn call_expr(&self, field: impl Fn(&str) -> TokenStream) -> TokenStream {
        let function = ident(&self.call_fn);
        let args = self.params.iter().map(|p| match p.role {
            Role::User => quote!(user_id),
            Role::Field => field(&p.name),
            Role::Item => {
                let name = ident(&p.name);
                quote!(#name)
            }
        });
        let body = self.body.as_ref().map(|_| quote!(body));
        let args = args.chain(body);
        let question = self.body.as_ref().map(|_| quote!(?));
        quote!(calls::#function(#(#args),*)#question)
    }
}

/// Generates the calls and handles for every operation in `shapes`.
///
/// `spec` is the document with each operation's own schema names (before
/// identical schemas are merged; `aliases` maps each merged name to the one
/// that is compiled); `type_names` are the types progenitor generated.
pub fn generate(
    spec: &OpenAPI,
    shapes: &[OperationShape],
    type_names: &BTreeSet<String>,
    aliases: &BTreeMap<String, String>,
) -> Result<Output, String> {
    // Identical schemas compile once: the others are aliases of it, by Rust name.
    let aliases: BTreeMap<String, String> = aliases
        .iter()
        .map(|(alias, target)| (pascal(alias), pascal(target)))
        .collect();
    let canonical = |text: &str| canonical_types(text, &aliases);

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

    let mut unions: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    // Every operation's parts, per resource.
    let mut parts: Vec<Vec<OpParts>> = Vec::new();
    for resource in &resources {
        let mut ops = Vec::new();
        for op in &resource.ops {
            ops.push(op_parts(spec, resource, op, type_names, &mut unions)?);
        }
        parts.push(ops);
    }
    let calls = write_calls(parts.iter().flatten())?;

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
                        canonical(&p.sig_args().join(",")),
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
                p.uses_user() == parts[i][0].uses_user()
                    && p.fields().iter().all(|(_, t)| t == "i64")
            })
        };
        let mut by_signature: BTreeMap<(Signature, bool), Vec<usize>> = BTreeMap::new();
        for &i in group.iter().filter(|&&i| plain(i) && !parts[i].is_empty()) {
            by_signature
                .entry((signature(i), parts[i][0].uses_user()))
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
    // A handle shared by many parents names the one type they all take and
    // answer with.
    for &i in &in_shared {
        for part in &mut parts[i] {
            part.returns = canonical(&part.returns);
            part.body = part.body.as_deref().map(canonical);
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

    let mut items: Vec<TokenStream> = Vec::new();
    let mut accessors: Vec<TokenStream> = Vec::new();
    let mut rows = Vec::new();
    for (index, resource) in resources.iter().enumerate() {
        if in_shared.contains(&index) {
            continue;
        }
        let (handle, accessor) = write_handle(resource, &parts[index], &mut rows)?;
        items.push(handle);
        accessors.push(accessor);
    }
    for group in &shared {
        let (handle, accessor) = write_shared(&resources, &parts, group, &mut rows)?;
        items.push(handle);
        accessors.push(accessor);
    }
    items.push(quote! {
        impl<'s> Api<'s> {
            #(#accessors)*
        }
    });
    for (name, variants) in &unions {
        items.push(write_union(name, variants)?);
    }
    items.push(write_table(&rows));
    items.push(write_every_shape_decoder(parts.iter().flatten())?);
    let source = quote!(#(#items)*).to_string();
    Ok(Output {
        calls,
        source,
        rows,
    })
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

/// An identifier from generated text.
fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// A Rust type from its text (`types::PaymentRead`, `Vec<UserItem>`).
fn ty(text: &str) -> Result<TokenStream, String> {
    syn::parse_str::<syn::Type>(text)
        .map(|t| quote!(#t))
        .map_err(|e| format!("generated type `{text}` does not parse: {e}"))
}

/// The `calls` module's functions: per operation, its request from the
/// path parameters and the body. The path's format string keeps the spec's
/// literal parts; each parameter is one percent-encoded segment.
fn write_calls<'a>(parts: impl Iterator<Item = &'a OpParts>) -> Result<String, String> {
    let mut functions = Vec::new();
    let mut seen = BTreeSet::new();
    for part in parts {
        if !seen.insert(part.call_fn.clone()) {
            return Err(format!(
                "two operations make the function `{}` (operationIds differing only in case)",
                part.call_fn
            ));
        }
        let op = &part.op;
        let doc = format!(" `{} {}` (`{}`).", op.method, op.path, op.operation_id);
        let function = ident(&part.call_fn);
        let mut template = op.path.clone();
        for p in &part.params {
            template = template.replace(&format!("{{{}}}", p.template), "{}");
        }
        let names: Vec<Ident> = part.params.iter().map(|p| ident(&p.name)).collect();
        let types = part
            .params
            .iter()
            .map(|p| ty(&p.rust))
            .collect::<Result<Vec<_>, _>>()?;
        let operation = &op.operation_id;
        let method = ident(&op.method.to_uppercase());
        let path = if names.is_empty() {
            quote!(#template.to_owned())
        } else {
            quote!(format!(#template, #(segment(#names)),*))
        };
        let request = quote! {
            Call::new(#operation, ::reqwest::Method::#method, #path)
        };
        functions.push(match &part.body {
            Some(body) => {
                let body = ty(body)?;
                quote! {
                    #[doc = #doc]
                    pub(crate) fn #function(#(#names: #types,)* body: &#body) -> crate::Result<Call> {
                        #request.json(body)
                    }
                }
            }
            None => quote! {
                #[doc = #doc]
                pub(crate) fn #function(#(#names: #types),*) -> Call {
                    #request
                }
            },
        });
    }
    Ok(quote!(#(#functions)*).to_string())
}

/// How many types of each response shape `decode_with_every_shape` runs.
const TYPES_PER_SHAPE: usize = 2;

/// `decode_with_every_shape`: a body through the decoders of this build's
/// first operations of each response shape, as the operations decode. For
/// the hostile-input tests; written here because which types exist depends
/// on the description the crate is built from.
fn write_every_shape_decoder<'a>(
    parts: impl Iterator<Item = &'a OpParts>,
) -> Result<TokenStream, String> {
    let mut calls: Vec<String> = Vec::new();
    let mut per_shape: BTreeMap<String, usize> = BTreeMap::new();
    for part in parts {
        let call = match (&part.op.shape, &part.item_type) {
            (Shape::List, Some(item)) => format!("decode_list::<{item}>"),
            (Shape::ListOfUnion, Some(item)) => format!("decode_union_list::<{item}>"),
            (Shape::One, _) => format!("decode_one::<{}>", part.returns),
            (Shape::Union, _) => format!("decode_union::<{}>", part.returns),
            (Shape::MultiItem, Some(item)) => format!("decode_items::<{item}>"),
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
    let calls = calls
        .iter()
        .map(|call| {
            syn::parse_str::<syn::Expr>(&format!("crate::envelope::{call}"))
                .map_err(|e| format!("`{call}` does not parse: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(quote! {
        /// Runs `body` through the generated decoders of every response shape (the
        /// first operations of each), as the operations do: for the hostile-input
        /// tests and `examples/hostile_bodies.rs`. Returns how many decoded it.
        #[doc(hidden)]
        pub fn decode_with_every_shape(body: &[u8]) -> usize {
            let reply = &crate::envelope::Reply {
                operation: "every shape",
                body: ::bytes::Bytes::copy_from_slice(body),
                unknown_fields: crate::wire::UnknownFields::Refuse,
            };
            [#(#calls(reply).is_ok()),*].iter().filter(|ok| **ok).count()
        }
    })
}

/// A resource's methods: name, arguments, return type.
type Signature = BTreeSet<(String, String, String)>;

/// How many parents a resource name needs before it gets one shared handle.
const SHARED_AT_LEAST: usize = 3;

/// The operation `method path` of the spec.
fn operation<'a>(spec: &'a OpenAPI, method: &str, path: &str) -> Option<&'a Operation> {
    let ReferenceOr::Item(item) = spec.paths.paths.get(path)? else {
        return None;
    };
    match method {
        "GET" => item.get.as_ref(),
        "POST" => item.post.as_ref(),
        "PUT" => item.put.as_ref(),
        "DELETE" => item.delete.as_ref(),
        "PATCH" => item.patch.as_ref(),
        _ => None,
    }
}

/// The Rust type of the path parameter `name` of `method path`: `i64` for
/// an integer, `&str` otherwise.
fn path_param_type(spec: &OpenAPI, method: &str, path: &str, name: &str) -> Result<String, String> {
    let item = match spec.paths.paths.get(path) {
        Some(ReferenceOr::Item(item)) => Some(item),
        _ => None,
    };
    let declared = item
        .into_iter()
        .flat_map(|item| item.parameters.iter())
        .chain(
            operation(spec, method, path)
                .into_iter()
                .flat_map(|op| op.parameters.iter()),
        )
        .filter_map(|p| match p {
            ReferenceOr::Item(p) => Some(p),
            ReferenceOr::Reference { reference } => spec
                .components
                .as_ref()?
                .parameters
                .get(reference.rsplit('/').next()?)?
                .as_item(),
        })
        .find_map(|p| match p {
            Parameter::Path { parameter_data, .. } if parameter_data.name == name => {
                Some(parameter_data)
            }
            _ => None,
        })
        .ok_or_else(|| format!("{method} {path}: the path parameter `{name}` is not declared"))?;
    let integer = match &declared.format {
        openapiv3::ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) => {
            matches!(schema.schema_kind, SchemaKind::Type(Type::Integer(_)))
        }
        _ => false,
    };
    Ok(if integer { "i64" } else { "&str" }.to_owned())
}

/// The schema name of the operation's JSON body, if it has one.
fn body_schema(spec: &OpenAPI, method: &str, path: &str) -> Result<Option<String>, String> {
    let Some(body) = operation(spec, method, path).and_then(|op| op.request_body.as_ref()) else {
        return Ok(None);
    };
    let ReferenceOr::Item(body) = body else {
        return Err(format!("{method} {path}: the request body is a reference"));
    };
    match body
        .content
        .get("application/json")
        .and_then(|m| m.schema.as_ref())
    {
        Some(ReferenceOr::Reference { reference }) => {
            Ok(reference.rsplit('/').next().map(str::to_owned))
        }
        Some(ReferenceOr::Item(_)) => Err(format!(
            "{method} {path}: the request body is an inline schema, not a named one"
        )),
        None => Err(format!("{method} {path}: the request body is not JSON")),
    }
}

fn op_parts(
    spec: &OpenAPI,
    resource: &Resource,
    op: &OperationShape,
    type_names: &BTreeSet<String>,
    unions: &mut BTreeMap<String, BTreeMap<String, String>>,
) -> Result<OpParts, String> {
    let count = |kind: &str| {
        resource
            .ops
            .iter()
            .filter(|o| operation_kind(&o.operation_id) == kind)
            .count()
    };
    // The path parameters, in path order: the user (from the session), the
    // item (the method's) and the rest (the handle's).
    let templates: Vec<&str> = op
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect();
    let mut params = Vec::new();
    for (index, template) in templates.iter().enumerate() {
        let role = if index == 0 && op.path.starts_with("/user/{userID}") {
            Role::User
        } else if index + 1 == templates.len() && op.path.ends_with("/{itemId}") {
            Role::Item
        } else {
            Role::Field
        };
        params.push(Param {
            name: template.to_snake_case(),
            template: (*template).to_owned(),
            rust: path_param_type(spec, &op.method, &op.path, template)?,
            role,
        });
    }
    let body = match body_schema(spec, &op.method, &op.path)? {
        Some(name) => Some(typed(op, &name, type_names)?),
        None => None,
    };
    let (returns, item_type, id_check) = returns_and_item(spec, op, type_names, unions)?;
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
    Ok(OpParts {
        op: op.clone(),
        method_name: method_name.to_owned(),
        call_fn: op.operation_id.to_snake_case(),
        params,
        body,
        returns,
        item_type,
        id_check,
    })
}

/// The operation's doc line.
fn doc_line(op: &OperationShape) -> String {
    format!(
        " `{} {}` (`{}`): {}.",
        op.method,
        op.path,
        op.operation_id,
        describe(&op.shape)
    )
}

/// One operation's method(s). `call` builds the request; it may read
/// `user_id`, which the method binds first when the path needs it.
fn write_method(part: &OpParts, call: TokenStream) -> Result<TokenStream, String> {
    let doc = doc_line(&part.op);
    let operation = &part.op.operation_id;
    let method_name = ident(&part.method_name);
    let returns = ty(&part.returns)?;
    let mut args = Vec::new();
    for p in part.params.iter().filter(|p| p.role == Role::Item) {
        let name = ident(&p.name);
        let rust = ty(&p.rust)?;
        args.push(quote!(#name: #rust));
    }
    if let Some(body) = &part.body {
        let body = ty(body)?;
        args.push(quote!(body: &#body));
    }
    let arg_names: Vec<Ident> = part
        .params
        .iter()
        .filter(|p| p.role == Role::Item)
        .map(|p| ident(&p.name))
        .chain(part.body.as_ref().map(|_| ident("body")))
        .collect();
    let user = part
        .uses_user()
        .then(|| quote!(let user_id = self.session.user_id().path()?;));
    let send = quote! {
        #user
        let reply = self.session.send(#call).await?;
    };
    let id_check = |items: TokenStream| {
        part.id_check
            .then(|| quote!(crate::envelope::require_id(#operation, #items)?;))
    };
    Ok(match &part.op.shape {
        Shape::List | Shape::ListOfUnion if !args.is_empty() => {
            return Err(format!(
                "{} {}: a list that takes an item id or a body",
                part.op.method, part.op.path
            ));
        }
        Shape::List | Shape::ListOfUnion => {
            let item = ty(part.item_type.as_deref().unwrap_or_default())?;
            let (bound, decoder) = if part.op.shape == Shape::List {
                (
                    quote!(::serde::de::DeserializeOwned + crate::wire::Decode),
                    quote!(decode_list),
                )
            } else {
                (
                    quote!(crate::envelope::UnionItem),
                    quote!(decode_union_list),
                )
            };
            let check = id_check(quote!(page.items.iter().map(|item| item.id.is_some())));
            let call_with_page = quote!(#call.with_query(page.query()));
            let user = &user;
            quote! {
                #[doc = #doc]
                pub async fn list_page(&self, page: crate::pagination::PageRequest) -> crate::Result<#returns> {
                    let page = self.list_page_as::<#item>(page).await?;
                    #check
                    Ok(page)
                }

                /// [`Self::list_page`], each item decoded as `T`.
                #[allow(dead_code)]
                pub(crate) async fn list_page_as<T: #bound>(&self, page: crate::pagination::PageRequest) -> crate::Result<crate::pagination::Page<T>> {
                    #user
                    let reply = self.session.send(#call_with_page).await?;
                    crate::envelope::#decoder(&reply)
                }
            }
        }
        Shape::One => {
            let check = id_check(quote!([item.id.is_some()]));
            let as_name = format_ident!("{}_as", part.method_name);
            let doc_as = format!(" [`Self::{}`], decoded as `T`.", part.method_name);
            quote! {
                #[doc = #doc]
                pub async fn #method_name(&self, #(#args),*) -> crate::Result<#returns> {
                    let item: #returns = self.#as_name(#(#arg_names),*).await?;
                    #check
                    Ok(item)
                }

                #[doc = #doc_as]
                #[allow(dead_code)]
                pub(crate) async fn #as_name<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(&self, #(#args),*) -> crate::Result<T> {
                    #send
                    crate::envelope::decode_one(&reply)
                }
            }
        }
        other => {
            let decode = match other {
                Shape::Empty => quote!(let _ = reply; Ok(())),
                Shape::Bytes => quote!(Ok(reply.body)),
                Shape::Id => quote!(crate::envelope::decode_id(&reply)),
                Shape::Uuid => quote!(crate::envelope::decode_uuid(&reply)),
                Shape::Union => quote!(crate::envelope::decode_union(&reply)),
                _ => quote!(crate::envelope::decode_items(&reply)),
            };
            quote! {
                #[doc = #doc]
                pub async fn #method_name(&self, #(#args),*) -> crate::Result<#returns> {
                    #send
                    #decode
                }
            }
        }
    })
}

/// `PagedList` for a handle with a list operation: `list`, `stream` and
/// `list_all` come with the trait.
fn paged_list(handle: &Ident, parts: &[OpParts]) -> Result<Option<TokenStream>, String> {
    let Some(item) = parts
        .iter()
        .find(|p| p.is_list())
        .and_then(|p| p.item_type.as_deref())
    else {
        return Ok(None);
    };
    let item = ty(item)?;
    Ok(Some(quote! {
        impl<'s> crate::pagination::PagedList for #handle<'s> {
            type Item = #item;

            fn list_page(
                &self,
                page: crate::pagination::PageRequest,
            ) -> impl ::std::future::Future<Output = crate::Result<crate::pagination::Page<#item>>> + Send {
                #handle::list_page(self, page)
            }

            fn max_pages(&self) -> u32 {
                self.session.client().inner.max_list_pages
            }
        }
    }))
}

/// A handle of its own: the struct, its methods, and its accessor on `Api`.
fn write_handle(
    resource: &Resource,
    parts: &[OpParts],
    rows: &mut Vec<Row>,
) -> Result<(TokenStream, TokenStream), String> {
    let fields = parts.first().map(OpParts::fields).unwrap_or_default();
    let names: Vec<Ident> = fields.iter().map(|(n, _)| ident(n)).collect();
    let types = fields
        .iter()
        .map(|(_, t)| ty(t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut methods = Vec::new();
    for part in parts {
        let call = part.call_expr(|name| {
            let name = ident(name);
            quote!(self.#name)
        });
        methods.push(write_method(part, call)?);
        rows.push(part.row(&format!(
            "{}({})",
            snake(&resource.handle),
            fields
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let handle = ident(&resource.handle);
    let paged = paged_list(&handle, parts)?;
    let accessor = ident(&snake(&resource.handle));
    let doc = format!(
        " `{}`: bunq's {} operations. Get one from [`Api::{accessor}`].",
        resource.path, resource.name
    );
    let accessor_doc = format!(" `{}`: see [`{handle}`].", resource.path);
    Ok((
        quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, Copy)]
            pub struct #handle<'s> {
                session: &'s crate::Session,
                #(#names: #types,)*
            }

            impl<'s> #handle<'s> {
                #(#methods)*
            }

            #paged
        },
        quote! {
            #[doc = #accessor_doc]
            pub fn #accessor(&self, #(#names: #types),*) -> #handle<'s> {
                #handle { session: self.session, #(#names),* }
            }
        },
    ))
}

/// One handle for a resource name under many parents: `NoteTexts<'s>`
/// holding a `NoteTextParent` (one variant per parent, with its ids); each
/// method builds the parent's own request.
fn write_shared(
    resources: &[Resource],
    parts: &[Vec<OpParts>],
    group: &[usize],
    rows: &mut Vec<Row>,
) -> Result<(TokenStream, TokenStream), String> {
    let first = &resources[group[0]];
    let handle_name = plural(&first.name);
    let parent_name = format!("{}Parent", first.name);
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
    let parent = ident(&parent_name);
    let mut declarations = Vec::new();
    for (&i, variant) in group.iter().zip(&variants) {
        let fields = parts[i].first().map(OpParts::fields).unwrap_or_default();
        let docs = fields
            .iter()
            .map(|(n, _)| format!(" `{{{n}}}` in the path."));
        let names = fields.iter().map(|(n, _)| ident(n));
        let types = fields
            .iter()
            .map(|(_, t)| ty(t))
            .collect::<Result<Vec<_>, _>>()?;
        let doc = format!(" `{}`.", resources[i].path);
        let variant = ident(variant);
        declarations.push(quote! {
            #[doc = #doc]
            #variant { #(#[doc = #docs] #names: #types,)* }
        });
    }
    // Each parent's own operation for a method (the same set, by name).
    let own = |i: usize, method: &str| -> &OpParts {
        parts[i]
            .iter()
            .find(|p| p.method_name == method)
            .unwrap_or(&parts[i][0])
    };
    let mut methods = Vec::new();
    for part in &parts[group[0]] {
        // A `match` on the parent, each arm that parent's request.
        let mut arms = Vec::new();
        for (&i, variant) in group.iter().zip(&variants) {
            let own = own(i, &part.method_name);
            let names: Vec<Ident> = own.fields().iter().map(|(n, _)| ident(n)).collect();
            let call = own.call_expr(|name| {
                let name = ident(name);
                quote!(#name)
            });
            let variant = ident(variant);
            arms.push(quote!(#parent::#variant { #(#names),* } => #call));
            rows.push(own.row(&format!(
                "{}({parent_name}::{} {{ {} }})",
                snake(&handle_name),
                variant,
                own.fields()
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        methods.push(write_method(
            part,
            quote!(match self.parent { #(#arms,)* }),
        )?);
    }
    let handle = ident(&handle_name);
    let paged = paged_list(&handle, &parts[group[0]])?;
    let accessor = ident(&snake(&handle_name));
    let parent_doc = format!(
        " The object a [`{handle_name}`] handle belongs to: one variant per kind of\n parent, with the ids its path needs."
    );
    let doc = format!(
        " bunq's {} operations on any of the {} kinds of object that have\n them ([`{parent_name}`]). Get one from [`Api::{accessor}`].",
        first.name,
        group.len()
    );
    let accessor_doc = format!(
        " bunq's {} operations on `parent`: see [`{handle_name}`].",
        first.name
    );
    Ok((
        quote! {
            #[doc = #parent_doc]
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub enum #parent {
                #(#declarations,)*
            }

            #[doc = #doc]
            #[derive(Debug, Clone, Copy)]
            pub struct #handle<'s> {
                session: &'s crate::Session,
                parent: #parent,
            }

            impl<'s> #handle<'s> {
                #(#methods)*
            }

            #paged
        },
        quote! {
            #[doc = #accessor_doc]
            pub fn #accessor(&self, parent: #parent) -> #handle<'s> {
                #handle { session: self.session, parent }
            }
        },
    ))
}

/// `NotificationObject`: what a callback from bunq carries under `object`,
/// one variant per kind of bunq's SDK model `NotificationAnchorObject`
/// (`spec/sdk-models.json`; bunq's spec has no schema for callbacks) whose
/// read or listing schema (`PaymentRead`, `PaymentListing`, or the kind's
/// own) this build has as an answer type.
/// Other kinds decode as `Unknown`, their JSON kept; `full-api` types more.
pub fn notification_object(
    sdk_models: &serde_json::Value,
    type_names: &BTreeSet<String>,
    answers: &BTreeSet<String>,
) -> Result<TokenStream, String> {
    // Without bunq's SDK models (a build from the spec alone) every kind
    // is `Unknown`.
    let empty = serde_json::Map::new();
    let kinds = sdk_models
        .pointer("/models/NotificationAnchorObject/fields")
        .and_then(serde_json::Value::as_object)
        .unwrap_or(&empty);
    let variants: BTreeMap<String, String> = kinds
        .keys()
        .filter_map(|kind| {
            // Only types bunq answers objects with decode as one (a union
            // such as `MonetaryAccountRead` does not); the read's schema,
            // else the listing's.
            [
                format!("{kind}Read"),
                format!("{kind}Listing"),
                kind.clone(),
            ]
            .into_iter()
            .find(|name| answers.contains(name) && type_names.contains(&pascal(name)))
            .map(|name| (kind.clone(), format!("types::{}", pascal(&name))))
        })
        .collect();
    write_union("NotificationObject", &variants)
}

/// An enum of the kinds an answer may have, by wrapper key, with an
/// `Unknown` variant for a key this build does not know.
fn write_union(name: &str, variants: &BTreeMap<String, String>) -> Result<TokenStream, String> {
    let name_ident = ident(name);
    let keys: Vec<&String> = variants.keys().collect();
    let idents: Vec<Ident> = keys.iter().map(|k| ident(&pascal(k))).collect();
    let types = variants
        .values()
        .map(|t| ty(t))
        .collect::<Result<Vec<_>, _>>()?;
    let docs = keys
        .iter()
        .map(|k| format!(" Under the wrapper key `{k}`."));
    let doc = format!(
        " One of the kinds bunq answers here, by its wrapper key; a kind this\n build does not know is kept as [`{name}::Unknown`]."
    );
    Ok(quote! {
        #[doc = #doc]
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum #name_ident {
            // Boxed: bunq's objects are large and differ in size (a user is
            // kilobytes, an id one number).
            #(#[doc = #docs] #idents(Box<#types>),)*
            /// A wrapper key this build does not know, with its JSON.
            Unknown {
                /// The wrapper key.
                key: String,
                /// The object under it.
                value: ::serde_json::Value,
            },
        }

        impl crate::wire::Decode for #name_ident {
            fn keep_wire(&mut self, wire: crate::wire::WireJson) {
                match self {
                    #(Self::#idents(v) => crate::wire::Decode::keep_wire(&mut **v, wire),)*
                    Self::Unknown { .. } => {}
                }
            }

            fn unknown_fields(&self) -> ::std::vec::Vec<::std::string::String> {
                match self {
                    #(Self::#idents(v) => crate::wire::Decode::unknown_fields(&**v),)*
                    // A kind this build does not know is unknown whole.
                    Self::Unknown { key, .. } => ::std::vec![::std::format!("/{key}")],
                }
            }
        }

        impl crate::envelope::UnionItem for #name_ident {
            fn from_item(key: &str, raw: &::serde_json::value::RawValue) -> ::std::result::Result<Self, ::serde_json::Error> {
                match key {
                    #(#keys => ::serde_json::from_str(raw.get()).map(Self::#idents),)*
                    _ => ::serde_json::from_str(raw.get()).map(|value| Self::Unknown { key: key.to_owned(), value }),
                }
            }
        }
    })
}

fn write_table(rows: &[Row]) -> TokenStream {
    let entries = rows.iter().map(|row| {
        let (method, path, operation_id, call, returns) = (
            &row.method,
            &row.path,
            &row.operation_id,
            &row.call,
            &row.returns,
        );
        let shape = ident(&format!("{:?}", row.shape));
        quote! {
            Operation {
                method: #method,
                path: #path,
                operation_id: #operation_id,
                shape: Shape::#shape,
                call: #call,
                returns: #returns,
            }
        }
    });
    quote! {
        /// Every operation this build generates: method, path, operationId,
        /// shape, how to call it, and what it returns.
        pub const OPERATIONS: &[Operation] = &[#(#entries),*];
    }
}

/// progenitor's type naming (heck's UpperCamelCase, as typify does).
fn pascal(name: &str) -> String {
    heck::ToUpperCamelCase::to_upper_camel_case(name)
}

/// `types::X` for the schema `name`, which progenitor must have generated.
fn typed(op: &OperationShape, name: &str, type_names: &BTreeSet<String>) -> Result<String, String> {
    let rust = pascal(name);
    if type_names.contains(&rust) {
        Ok(format!("types::{rust}"))
    } else {
        Err(format!(
            "{} {}: progenitor generated no type `{rust}` for schema `{name}`",
            op.method, op.path
        ))
    }
}

/// The names of the structs, enums and aliases in progenitor's `types` module.
pub fn generated_type_names(file: &syn::File) -> BTreeSet<String> {
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
    names
}

/// The return type, the item type (a list's, or the enum of a several-item
/// answer), and whether every object must carry an `id`.
fn returns_and_item(
    spec: &OpenAPI,
    op: &OperationShape,
    type_names: &BTreeSet<String>,
    unions: &mut BTreeMap<String, BTreeMap<String, String>>,
) -> Result<(String, Option<String>, bool), String> {
    let schema = || {
        op.schema
            .clone()
            .or_else(|| item_schema_name(spec, &op.method, &op.path))
            .ok_or_else(|| format!("{} {}: no response schema", op.method, op.path))
    };
    Ok(match op.shape {
        Shape::Empty => ("()".into(), None, false),
        Shape::Bytes => ("::bytes::Bytes".into(), None, false),
        Shape::Id => ("i64".into(), None, false),
        Shape::Uuid => ("String".into(), None, false),
        Shape::One => {
            let name = schema()?;
            let rust = typed(op, &name, type_names)?;
            (rust, None, has_id(spec, &name))
        }
        Shape::List => {
            let name = schema()?;
            let rust = typed(op, &name, type_names)?;
            (
                format!("crate::pagination::Page<{rust}>"),
                Some(rust),
                has_id(spec, &name),
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
                Shape::Union => (enum_name, None, false),
                Shape::ListOfUnion => (
                    format!("crate::pagination::Page<{enum_name}>"),
                    Some(enum_name),
                    false,
                ),
                _ => (format!("Vec<{enum_name}>"), Some(enum_name), false),
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
    let operation = operation(spec, method, path)?;
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
