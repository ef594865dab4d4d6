//! The one pass from bunq's OpenAPI document to progenitor's generated client.
//!
//! Shared by `build.rs` (which writes the crate's generated code) and by
//! `tests/regeneration.rs` (which runs the same pass over bunq's whole API
//! description). Every adjustment here is a rule over spec constructs, never a
//! rule about a named operation, so a newer bunq YAML drops in unchanged.

use std::path::Path;

use openapiv3::{
    MediaType, OpenAPI, Operation, Parameter, PathItem, ReferenceOr, Response, Responses,
};

/// Reads an OpenAPI document, as YAML (`.yaml`, `.yml`) or JSON (anything else).
pub fn load_spec(path: &Path) -> Result<OpenAPI, String> {
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
pub fn generate(spec: &OpenAPI) -> Result<String, String> {
    let mut settings = progenitor::GenerationSettings::default();
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
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}
