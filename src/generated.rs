//! What the generator (`codegen/`, run by `build.rs`) writes from `spec/`:
//! progenitor's types for bunq's schemas, and one request builder per
//! operation. Both sit below the session and the handles, which use them.
//! A browsable sample is in `docs/generated/`.

/// bunq's schemas as Rust types (progenitor's, with the crate's rules).
#[allow(
    missing_docs,
    clippy::all,
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links
)]
mod progenitor {
    include!(concat!(env!("OUT_DIR"), "/bunq_types.rs"));
}
pub use progenitor::types;

/// One function per operation, named after its `operationId`: the request
/// from the path parameters and the body, for the one request path
/// (`transport.rs`). Unused ones are fine: the handles call most of them,
/// the handshake three.
#[allow(dead_code, clippy::too_many_arguments)]
pub(crate) mod calls {
    use super::types;
    use crate::transport::{Call, segment};

    include!(concat!(env!("OUT_DIR"), "/bunq_calls.rs"));
}
