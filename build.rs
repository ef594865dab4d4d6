//! Generates bunq's typed API from the OpenAPI document under `spec/`.
//!
//! `spec/bunq-api-full.json` (bunq's whole published description) is read
//! unless `BUNQ_OAUTH_SPEC` names another document (YAML or JSON). The
//! operations an OAuth grant covers (`spec/features.json`) are generated,
//! or all of them with the `full-api` feature; then:
//!
//! 1. `build/select.rs` keeps those operations and the schemas they reach;
//! 2. `build/codegen.rs` applies the wire rules (fields bunq sends that its
//!    spec lacks, from bunq's SDK models and `spec/wire-corrections.json`;
//!    `id`/`created`/`updated` on every answered object) and the type rules
//!    (no closed enums, bunq's timestamps, exact numbers, amounts, secrets);
//! 3. `build/shapes.rs` gives every operation its response shape (or the
//!    build stops, naming the operation);
//! 4. progenitor generates the types and the raw request builders
//!    (`$OUT_DIR/bunq_api.rs`, included by `src/generated.rs`);
//! 5. `build/handles.rs` generates a typed handle per resource
//!    (`$OUT_DIR/bunq_handles.rs`, included by `src/api/mod.rs`).

// The build uses part of these modules; tests/ use the rest.
#[allow(dead_code)]
#[path = "build/codegen.rs"]
mod codegen;
#[allow(dead_code)]
#[path = "build/handles.rs"]
mod handles;
#[path = "build/select.rs"]
mod select;
#[allow(dead_code)]
#[path = "build/shapes.rs"]
mod shapes;

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=spec");
    println!("cargo:rerun-if-changed=build");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=BUNQ_OAUTH_SPEC");

    let spec_path = std::env::var_os("BUNQ_OAUTH_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("spec/bunq-api-full.json"));
    if std::env::var_os("BUNQ_OAUTH_SPEC").is_some() {
        println!("cargo:rerun-if-changed={}", spec_path.display());
    }

    if let Err(message) = run(&spec_path) {
        // A build script reports failure by exiting non-zero; say why first.
        eprintln!(
            "error: generating the bunq client from {}: {message}",
            spec_path.display()
        );
        std::process::exit(1);
    }
}

fn run(spec_path: &Path) -> Result<(), String> {
    let features = read("spec/features.json")?;
    let selection = if std::env::var_os("CARGO_FEATURE_FULL_API").is_some() {
        select::Selection::All
    } else {
        select::load_feature(&features, "oauth-grant")?
    };
    let exceptions = shapes::load_exceptions(&read("spec/shape-exceptions.json")?)?;
    let wire = codegen::WireFacts::load(Path::new("spec"))?;
    let generated = codegen::generate_all(spec_path, &selection, &exceptions, &wire)?;
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    write(&out_dir.join("bunq_api.rs"), &generated.progenitor)?;
    write(&out_dir.join("bunq_handles.rs"), &generated.handles)
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
