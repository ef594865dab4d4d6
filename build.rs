//! Generates bunq's typed API from the OpenAPI document under `spec/` with the
//! workspace's generator (`codegen/`, the crate `bunq-oauth-codegen`).
//!
//! `spec/bunq-api-full.json` (bunq's whole published description) is read
//! unless `BUNQ_OAUTH_SPEC` names another document (YAML or JSON). The
//! operations an OAuth grant covers (`spec/features.json`) are generated, or
//! all of them with the `full-api` feature. progenitor's types go to
//! `$OUT_DIR/bunq_types.rs` and the request builders to `bunq_calls.rs`
//! (both included by `src/generated.rs`), the typed handles to
//! `bunq_handles.rs` (included by `src/api/mod.rs`).

use std::path::{Path, PathBuf};

use bunq_oauth_codegen::{Operations, generate_crate_api};

fn main() {
    println!("cargo:rerun-if-changed=spec");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=BUNQ_OAUTH_SPEC");
    let spec_path = std::env::var_os("BUNQ_OAUTH_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("spec/bunq-api-full.json"));
    if std::env::var_os("BUNQ_OAUTH_SPEC").is_some() {
        println!("cargo:rerun-if-changed={}", spec_path.display());
    }
    let operations = if std::env::var_os("CARGO_FEATURE_FULL_API").is_some() {
        Operations::All
    } else {
        Operations::OauthGrant
    };
    if let Err(message) = run(&spec_path, operations) {
        // A build script reports failure by exiting non-zero; say why first.
        eprintln!(
            "error: generating the bunq client from {}: {message}",
            spec_path.display()
        );
        std::process::exit(1);
    }
}

fn run(spec_path: &Path, operations: Operations) -> Result<(), String> {
    let generated = generate_crate_api(spec_path, Path::new("spec"), operations)?;
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    for (name, text) in [
        ("bunq_types.rs", &generated.types),
        ("bunq_calls.rs", &generated.calls),
        ("bunq_handles.rs", &generated.handles),
    ] {
        let path = out_dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    // Handwritten code that calls an operation some documents lack (an
    // optional resource of spec/features.json) asks
    // `cfg(bunq_operation = "<operationId>")`.
    println!("cargo::rustc-check-cfg=cfg(bunq_operation, values(any()))");
    for row in &generated.rows {
        println!("cargo::rustc-cfg=bunq_operation=\"{}\"", row.operation_id);
    }
    Ok(())
}
