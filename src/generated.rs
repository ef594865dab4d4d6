//! The raw operations progenitor generates from `spec/` (see `build.rs`).
//!
//! Private: only `transport.rs` and the resource handles call into it, and no
//! generated type appears in the public API.
#![allow(
    missing_docs,
    dead_code,
    unused_imports,
    clippy::all,
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links
)]

include!(concat!(env!("OUT_DIR"), "/bunq_api.rs"));
