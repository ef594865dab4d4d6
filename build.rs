//! Generates the raw bunq operations from the OpenAPI document under `spec/`.
//!
//! `spec/bunq-oauth-client.yaml` is read unless `BUNQ_OAUTH_SPEC` names another
//! document (YAML or JSON); the rules in `build/codegen.rs` are applied; progenitor
//! writes `$OUT_DIR/bunq_api.rs`, which `src/generated.rs` includes.

#[path = "build/codegen.rs"]
mod codegen;
#[allow(dead_code)] // the shapes are checked here; the generator does not use them yet
#[path = "build/shapes.rs"]
mod shapes;

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=spec");
    println!("cargo:rerun-if-changed=build");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=BUNQ_OAUTH_SPEC");

    let spec_path = std::env::var_os("BUNQ_OAUTH_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("spec/bunq-oauth-client.yaml"));
    if spec_path.is_absolute() || std::env::var_os("BUNQ_OAUTH_SPEC").is_some() {
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

fn run(spec_path: &std::path::Path) -> Result<(), String> {
    let mut spec = codegen::load_spec(spec_path)?;
    // Every operation must get a response shape (rules, or an exception in
    // spec/shape-exceptions.json); a dangling `$ref` stops the build here,
    // naming the schema and the operation. Exceptions for operations this
    // document does not have are checked in tests/shapes.rs against bunq's
    // whole description, not here: the default build reads a partial one.
    let exceptions = std::fs::read_to_string("spec/shape-exceptions.json")
        .map_err(|e| format!("cannot read spec/shape-exceptions.json: {e}"))?;
    shapes::classify_all(&spec, &shapes::load_exceptions(&exceptions)?, false)?;
    codegen::apply_rules(&mut spec);
    let source = codegen::generate(&spec)?;
    let out_dir = std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?;
    let out = PathBuf::from(out_dir).join("bunq_api.rs");
    std::fs::write(&out, source).map_err(|e| format!("cannot write {}: {e}", out.display()))
}
