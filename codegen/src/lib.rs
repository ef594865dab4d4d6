//! The generator behind `bunq-oauth`: bunq's OpenAPI description in, Rust out.
//!
//! `bunq-oauth`'s `build.rs` calls [`generate_crate_api`] and writes the two
//! files it returns into `OUT_DIR`; the tests of both crates call the same
//! functions over every bundled version of bunq's description. The passes,
//! in order:
//!
//! 1. [`select`] keeps the operations a feature asks for and the schemas they
//!    reach;
//! 2. [`generate`] applies the wire rules (fields bunq sends that its spec
//!    lacks, from bunq's SDK models and `spec/wire-corrections.json`;
//!    `id`/`created`/`updated` on every answered object) and the type rules
//!    (no closed enums, bunq's timestamps, exact numbers, amounts, secrets),
//!    then runs progenitor for the types and raw request builders;
//! 3. [`shapes`] gives every operation its response shape (one object, a
//!    list, an id, nothing), or stops naming the operation;
//! 4. [`handles`] writes a typed handle per resource on top of progenitor's
//!    builders.
//!
//! Every rule is about spec constructs, never about a named operation, so a
//! newer description from bunq drops in unchanged.

pub mod generate;
pub mod handles;
pub mod select;
pub mod shapes;

use std::path::Path;

pub use generate::Generated;

/// Which of bunq's operations to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operations {
    /// Those an OAuth grant covers (`spec/features.json`, `oauth-grant`).
    OauthGrant,
    /// All of them (the `full-api` feature).
    All,
}

/// Generated source laid out as rustfmt would (for the browsable sample
/// in `docs/generated/`).
pub fn pretty(source: &str) -> Result<String, String> {
    let file = syn::parse_file(source).map_err(|e| format!("generated code: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// The operations the crate's handwritten layer calls, and what calls them.
/// Everything else it reaches through the generated handles, which follow
/// the description; a description without one of these cannot build the
/// crate, and the build says which.
pub const REQUIRED_OPERATIONS: [(&str, &str, &str); 13] = [
    ("post", "/installation", "ApiContext::create"),
    (
        "post",
        "/payment-service-provider-credential",
        "ApiContext::create_for_psd2",
    ),
    ("post", "/device-server", "ApiContext::create"),
    (
        "post",
        "/session-server",
        "ApiContext::create and session renewal",
    ),
    (
        "get",
        "/user/{userID}/monetary-account",
        "Session::account_summaries",
    ),
    (
        "post",
        "/user/{userID}/oauth-client",
        "Session::oauth_client_manager",
    ),
    (
        "get",
        "/user/{userID}/oauth-client",
        "Session::oauth_client_manager",
    ),
    (
        "get",
        "/user/{userID}/oauth-client/{itemId}",
        "Session::oauth_client_manager",
    ),
    (
        "put",
        "/user/{userID}/oauth-client/{itemId}",
        "Session::oauth_client_manager",
    ),
    ("post", CALLBACK_URLS, "Session::callback_url_manager"),
    ("get", CALLBACK_URLS, "Session::callback_url_manager"),
    ("get", CALLBACK_URL, "Session::callback_url_manager"),
    ("delete", CALLBACK_URL, "Session::callback_url_manager"),
];

const CALLBACK_URLS: &str = "/user/{userID}/oauth-client/{oauth-clientID}/callback-url";
const CALLBACK_URL: &str = "/user/{userID}/oauth-client/{oauth-clientID}/callback-url/{itemId}";

/// Stops when the description lacks an operation of
/// [`REQUIRED_OPERATIONS`], naming each missing one and what needs it.
pub fn check_required_operations(document: &serde_json::Value) -> Result<(), String> {
    let missing: Vec<String> = REQUIRED_OPERATIONS
        .iter()
        .filter(|(method, path, _)| {
            document
                .get("paths")
                .and_then(|paths| paths.get(*path))
                .and_then(|item| item.get(*method))
                .is_none()
        })
        .map(|(method, path, user)| format!("\n  {} {path}, used by {user}", method.to_uppercase()))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the description lacks operations the crate's handwritten layer calls:{}",
            missing.concat()
        ))
    }
}

/// Generates `bunq-oauth`'s API from the description at `spec_path`, with the
/// project's rule files from `spec_dir` (`features.json`,
/// `shape-exceptions.json`, `sdk-models.json`, `wire-corrections.json`).
pub fn generate_crate_api(
    spec_path: &Path,
    spec_dir: &Path,
    operations: Operations,
) -> Result<Generated, String> {
    let read = |name: &str| {
        let path = spec_dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    check_required_operations(&generate::load_document(spec_path)?)?;
    let selection = match operations {
        Operations::All => select::Selection::All,
        Operations::OauthGrant => select::load_feature(&read("features.json")?, "oauth-grant")?,
    };
    let exceptions = shapes::load_exceptions(&read("shape-exceptions.json")?)?;
    let wire = generate::WireFacts::load(spec_dir)?;
    generate::generate_all(spec_path, &selection, &exceptions, &wire)
}
