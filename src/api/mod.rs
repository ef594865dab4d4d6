//! bunq's API as its published description defines it: generated, typed,
//! unwrapped.
//!
//! Every operation the build generates (by default those an OAuth grant
//! covers, see `spec/features.json`; with the `full-api` feature all of
//! bunq's 480) is a method on a handle, one handle per resource path,
//! reached from [`Session::api`](crate::Session::api):
//!
//! ```no_run
//! # async fn demo(session: &bunq_oauth::Session) -> bunq_oauth::Result<()> {
//! use bunq_oauth::PagedList;
//! use futures::TryStreamExt;
//!
//! let api = session.api();
//! let accounts = api.monetary_accounts().list_page(Default::default()).await?;
//! for payment in api.payments(42).list().await?.items {
//!     println!("{:?} {:?}", payment.amount, payment.description);
//! }
//! let everything: Vec<_> = api.payments(42).stream().try_collect().await?;
//! # let _ = (accounts, everything);
//! # Ok(()) }
//! ```
//!
//! Each call goes through the session's one request path (bunq's headers,
//! pacing, retries, signing, the server signature checked) and the answer
//! is unwrapped by its shape: a page, one object, one of several kinds (an
//! enum with an `Unknown` variant), a new id, bytes. A body of another shape
//! is [`Error::UnexpectedEnvelope`](crate::Error::UnexpectedEnvelope) naming
//! the operation, never an empty value.
//!
//! The types in [`types`] are progenitor's, from bunq's schemas, with the
//! crate's rules (`codegen/src/generate.rs`): every field optional (bunq's read
//! schemas declare none required), unknown fields ignored, no closed enums
//! (bunq's allowed values are strings), `created`/`updated` as
//! [`Timestamp`], amounts as [`Amount`] (decimal text), secrets as
//! [`SecretText`]. Answer types are `#[non_exhaustive]`, so a field bunq
//! adds is not a breaking change; request bodies are plain structs.
//!
//! [`OPERATIONS`] lists every generated operation with its shape and call
//! (the command line prints it: `bunq-oauth operations`).

pub use crate::generated::types;
pub use crate::values::{Amount, Number, SecretText, Timestamp};
pub use crate::wire::{Received, UnknownFields, WireJson};

use crate::generated::calls;
use crate::session::Session;

/// The generated operations of one session. Get it from [`Session::api`].
#[derive(Debug, Clone, Copy)]
pub struct Api<'s> {
    session: &'s Session,
}

impl Session {
    /// bunq's API, generated from the spec: one handle per resource (see
    /// [`api`](crate::api)).
    pub fn api(&self) -> Api<'_> {
        Api { session: self }
    }
}

/// One generated operation: a row of [`OPERATIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: &'static str,
    /// The path as bunq's spec writes it.
    pub path: &'static str,
    /// The spec's `operationId`.
    pub operation_id: &'static str,
    /// How the answer is unwrapped.
    pub shape: Shape,
    /// How to call it from [`Api`]: `payments(monetary_account_id).create(body)`.
    pub call: &'static str,
    /// What the call returns.
    pub returns: &'static str,
}

/// How an operation's answer is unwrapped from bunq's envelope
/// (`codegen/src/shapes.rs` decides it from the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Shape {
    /// No body worth reading (a delete).
    Empty,
    /// Raw bytes (a file).
    Bytes,
    /// `{"Id":{"id":N}}`: a write that answers the new id.
    Id,
    /// `{"Uuid":{"uuid":…}}`: a write that answers a UUID.
    Uuid,
    /// One object.
    One,
    /// A page of objects.
    List,
    /// One object of one of several kinds.
    Union,
    /// A page of objects of several kinds.
    ListOfUnion,
    /// Several items of different kinds in one answer.
    MultiItem,
}

include!(concat!(env!("OUT_DIR"), "/bunq_handles.rs"));

/// Decodes one of bunq's objects (the JSON under its wrapper key, such as
/// the `{…}` of `{"Payment":{…}}`) as the operations do: tolerant where
/// bunq's spec and wire disagree, with the JSON kept ([`Received`]). For
/// objects that reach the app another way than an answer, such as a
/// callback's, or a body saved earlier.
///
/// ```
/// use bunq_oauth::api::{Received, decode_object, types};
/// let json = r#"{"id":7,"url":"https://app.example/cb","created":"2025-01-02 03:04:05.000000","kind":"new"}"#;
/// let callback: types::OauthCallbackUrlRead = decode_object(json)?;
/// assert_eq!(callback.id, Some(7));
/// assert_eq!(callback.unknown_fields(), ["/kind"]);
/// # Ok::<(), bunq_oauth::Error>(())
/// ```
pub fn decode_object<T: Received + serde::de::DeserializeOwned>(json: &str) -> crate::Result<T> {
    let raw: &serde_json::value::RawValue = serde_json::from_str(json)
        .map_err(|e| crate::Error::decode("object", String::new(), e, json.as_bytes()))?;
    let mut value: T =
        crate::envelope::decode_at("object", "", raw.get().as_bytes(), json.as_bytes())?;
    value.set_wire_json(WireJson::copied(raw));
    Ok(value)
}
