//! bunq's response envelopes, decoded in one place.
//!
//! Success: `{"Response":[{"<Type>":{…}}, …]}`, one single-key object per item,
//! plus `"Pagination"` on lists. Error: `{"Error":[{"error_description":…}]}`.
//! bunq's OpenAPI schemas describe neither, which is why the generated code
//! returns raw bytes and this module does the decoding.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use bytes::Bytes;

use crate::error::{ApiError, Error, Result, excerpt};
use crate::pagination::{Page, Pagination};
use crate::wire::{Decode, UnknownFields, WireJson};

/// A success answer: the exact body bytes, the operation it answers, and
/// what the client does with fields the types do not know.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) operation: &'static str,
    pub(crate) body: Bytes,
    pub(crate) unknown_fields: crate::wire::UnknownFields,
}

/// A parsed success envelope whose items are still raw JSON.
#[derive(Debug)]
pub(crate) struct Envelope<'a> {
    body: &'a [u8],
    items: Vec<(String, &'a RawValue)>,
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(rename = "Response", borrow)]
    response: Option<Vec<Item<'a>>>,
    #[serde(rename = "Pagination")]
    pagination: Option<Pagination>,
}

impl<'a> Envelope<'a> {
    /// Parses the outer `{"Response":[…]}` structure.
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self> {
        let wire: Wire<'a> = decode_at("Response envelope", "", body, body)?;
        let Some(response) = wire.response else {
            return Err(Error::unexpected(
                "a {\"Response\":[…]} envelope",
                format!("a body with keys [{}]", top_level_keys(body)),
            ));
        };
        let mut items = Vec::with_capacity(response.len());
        for (index, item) in response.into_iter().enumerate() {
            match (item.first, item.second) {
                (Some((key, value)), None) => items.push((key.into_owned(), value)),
                (None, _) => {
                    return Err(Error::unexpected(
                        "one object type per Response item",
                        format!("an empty object at Response[{index}]"),
                    ));
                }
                (Some((first, _)), Some((second, _))) => {
                    return Err(Error::unexpected(
                        "one object type per Response item",
                        format!("keys {first} and {second} at Response[{index}]"),
                    ));
                }
            }
        }
        Ok(Envelope {
            body,
            items,
            pagination: wire.pagination,
        })
    }

    /// The first item of type `key`, which must be present.
    pub(crate) fn one<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        match self.items.iter().position(|(k, _)| k == key) {
            Some(index) => self.decode_item(index),
            None => Err(Error::unexpected(key, self.describe_items())),
        }
    }

    /// The id of a create or update answer: `{"Response":[{"Id":{"id":N}}]}`.
    fn id(&self) -> Result<i64> {
        #[derive(Deserialize)]
        struct BunqId {
            id: i64,
        }
        self.one::<BunqId>("Id").map(|b| b.id)
    }

    /// The user item of a session-server answer (`UserPerson`, `UserCompany`,
    /// `UserApiKey` or `UserPaymentServiceProvider`), decoded and raw.
    pub(crate) fn user(&self) -> Result<(crate::models::SessionUser, Box<RawValue>)> {
        let index = self
            .items
            .iter()
            .position(|(k, _)| crate::models::SessionUser::TYPE_NAMES.contains(&k.as_str()))
            .ok_or_else(|| Error::unexpected("a user object", self.describe_items()))?;
        let (key, raw) = &self.items[index];
        let user = crate::models::SessionUser::from_typed(key, raw.get()).map_err(|e| {
            Error::decode(
                key.as_str(),
                format!("Response[{index}].{key}"),
                e,
                self.body,
            )
        })?;
        let wrapped = format!(
            "{{{}:{}}}",
            serde_json::Value::String(key.clone()),
            raw.get()
        );
        let raw = RawValue::from_string(wrapped)
            .map_err(|e| Error::decode(key.as_str(), format!("Response[{index}]"), e, self.body))?;
        Ok((user, raw))
    }

    /// Fails unless the answer holds exactly one item.
    fn exactly_one(&self, operation: &str) -> Result<()> {
        if self.items.len() == 1 {
            Ok(())
        } else {
            Err(Error::unexpected(
                format!("{operation}: exactly one item"),
                self.describe_items(),
            ))
        }
    }

    /// Item `index` decoded as `T`, with its JSON kept and its unknown
    /// fields noted.
    fn received<T: DeserializeOwned + Decode>(
        &self,
        index: usize,
        unknown: &mut Unknown<'_>,
    ) -> Result<T> {
        let mut item: T = self.decode_item(index)?;
        item.keep_wire(WireJson::within(unknown.body, self.items[index].1));
        unknown.note(index, &item);
        Ok(item)
    }

    /// Item `index` as one of several kinds, with its JSON kept and its
    /// unknown fields noted.
    fn received_union<T: UnionItem>(&self, index: usize, unknown: &mut Unknown<'_>) -> Result<T> {
        let (key, raw) = &self.items[index];
        let mut item = T::from_item(key, raw).map_err(|e| {
            Error::decode(
                key.as_str(),
                format!("Response[{index}].{key}"),
                e,
                self.body,
            )
        })?;
        item.keep_wire(WireJson::within(unknown.body, raw));
        unknown.note(index, &item);
        Ok(item)
    }

    fn decode_item<T: DeserializeOwned>(&self, index: usize) -> Result<T> {
        let (key, raw) = &self.items[index];
        let path = format!("Response[{index}].{key}");
        decode_at(key, &path, raw.get().as_bytes(), self.body)
    }

    fn describe_items(&self) -> String {
        if self.items.is_empty() {
            "an empty Response array".to_owned()
        } else {
            let keys: Vec<&str> = self.items.iter().map(|(k, _)| k.as_str()).collect();
            format!("Response items [{}]", keys.join(", "))
        }
    }
}

/// A value bunq sends under one of several wrapper keys (`UserPerson`,
/// `MonetaryAccountBank`, …): the generated union enums.
pub(crate) trait UnionItem: Decode + Sized {
    /// Decodes the object under `key`; an unknown key is kept, not refused.
    fn from_item(key: &str, raw: &RawValue) -> std::result::Result<Self, serde_json::Error>;
}

// The decoders the generated operations call, one per response shape
// (`codegen/src/shapes.rs`). Each checks the shape before it decodes: an
// all-`Option` type would "decode" anything, so a body of the wrong shape
// must be refused here, naming the operation. Each decoded object keeps
// its JSON, and the client's `UnknownFields` policy is applied to it.

/// Exactly one item, decoded as `T`.
pub(crate) fn decode_one<T: DeserializeOwned + Decode>(reply: &Reply) -> Result<T> {
    let envelope = Envelope::parse(&reply.body)?;
    envelope.exactly_one(reply.operation)?;
    let mut unknown = Unknown::new(reply);
    let item = envelope.received(0, &mut unknown)?;
    unknown.finish()?;
    Ok(item)
}

/// A page of items, each decoded as `T`.
pub(crate) fn decode_list<T: DeserializeOwned + Decode>(reply: &Reply) -> Result<Page<T>> {
    let envelope = Envelope::parse(&reply.body)?;
    let mut unknown = Unknown::new(reply);
    let items = (0..envelope.items.len())
        .map(|index| envelope.received(index, &mut unknown))
        .collect::<Result<Vec<T>>>()?;
    unknown.finish()?;
    Ok(Page::new(
        items,
        envelope.pagination.clone().unwrap_or_default(),
    ))
}

/// Exactly one item of one of several kinds.
pub(crate) fn decode_union<T: UnionItem>(reply: &Reply) -> Result<T> {
    let envelope = Envelope::parse(&reply.body)?;
    envelope.exactly_one(reply.operation)?;
    let mut unknown = Unknown::new(reply);
    let item = envelope.received_union(0, &mut unknown)?;
    unknown.finish()?;
    Ok(item)
}

/// A page of items of several kinds.
pub(crate) fn decode_union_list<T: UnionItem>(reply: &Reply) -> Result<Page<T>> {
    let envelope = Envelope::parse(&reply.body)?;
    let items = decode_unions(reply, &envelope)?;
    Ok(Page::new(
        items,
        envelope.pagination.clone().unwrap_or_default(),
    ))
}

/// Several items of different kinds in one answer (installation,
/// session-server); at least one.
pub(crate) fn decode_items<T: UnionItem>(reply: &Reply) -> Result<Vec<T>> {
    let envelope = Envelope::parse(&reply.body)?;
    if envelope.items.is_empty() {
        return Err(Error::unexpected(
            format!("{}: at least one item", reply.operation),
            envelope.describe_items(),
        ));
    }
    decode_unions(reply, &envelope)
}

fn decode_unions<T: UnionItem>(reply: &Reply, envelope: &Envelope<'_>) -> Result<Vec<T>> {
    let mut unknown = Unknown::new(reply);
    let items = (0..envelope.items.len())
        .map(|index| envelope.received_union(index, &mut unknown))
        .collect::<Result<Vec<T>>>()?;
    unknown.finish()?;
    Ok(items)
}

/// The id of a create or update: exactly one item, `{"Id":{"id":N}}`.
pub(crate) fn decode_id(reply: &Reply) -> Result<i64> {
    let envelope = Envelope::parse(&reply.body)?;
    envelope.exactly_one(reply.operation)?;
    envelope.id()
}

/// The first item under the wrapper key `key`, which must be present: for
/// the handshake, which reads one part of a several-item answer (the
/// `Token` of installation and session-server).
pub(crate) fn decode_keyed<T: DeserializeOwned>(reply: &Reply, key: &str) -> Result<T> {
    Envelope::parse(&reply.body)?.one(key)
}

/// The user of a session-server answer, decoded and as bunq sent it.
pub(crate) fn decode_user(reply: &Reply) -> Result<(crate::models::SessionUser, Box<RawValue>)> {
    Envelope::parse(&reply.body)?.user()
}

/// The UUID of a create: exactly one item, `{"Uuid":{"uuid":"…"}}`.
#[cfg_attr(not(feature = "full-api"), allow(dead_code))] // no default operation answers one
pub(crate) fn decode_uuid(reply: &Reply) -> Result<String> {
    #[derive(Deserialize)]
    struct BunqUuid {
        uuid: String,
    }
    let envelope = Envelope::parse(&reply.body)?;
    envelope.exactly_one(reply.operation)?;
    envelope.one::<BunqUuid>("Uuid").map(|b| b.uuid)
}

/// The fields of one answer the types did not know, gathered per the
/// client's policy and acted on once the answer is decoded.
struct Unknown<'a> {
    operation: &'a str,
    /// The answer the objects' JSON is sliced from.
    body: &'a Bytes,
    policy: UnknownFields,
    fields: Vec<String>,
}

impl<'a> Unknown<'a> {
    fn new(reply: &'a Reply) -> Self {
        Unknown {
            operation: reply.operation,
            body: &reply.body,
            policy: reply.unknown_fields,
            fields: Vec::new(),
        }
    }

    fn note<T: Decode>(&mut self, index: usize, item: &T) {
        if self.policy != UnknownFields::Keep {
            let prefix = format!("Response[{index}]");
            self.fields.extend(
                item.unknown_fields()
                    .into_iter()
                    .map(|f| format!("{prefix}{f}")),
            );
        }
    }

    fn finish(self) -> Result<()> {
        if self.fields.is_empty() {
            return Ok(());
        }
        match self.policy {
            UnknownFields::Refuse => Err(Error::UnknownFields {
                operation: self.operation.to_owned(),
                fields: self.fields,
            }),
            _ => {
                tracing::warn!(
                    operation = self.operation,
                    fields = %self.fields.join(", "),
                    "bunq sent fields this build does not know"
                );
                Ok(())
            }
        }
    }
}

/// Every decoded item of a type that has an `id` must carry one: an object
/// with none is not the object the operation answers.
pub(crate) fn require_id(operation: &str, present: impl IntoIterator<Item = bool>) -> Result<()> {
    match present.into_iter().position(|p| !p) {
        None => Ok(()),
        Some(index) => Err(Error::unexpected(
            format!("{operation}: an object with an `id`"),
            format!("an object without one at Response[{index}]"),
        )),
    }
}

/// One `Response` item as it is read: its first key and value, and the name
/// of a second key if there is one (which `Envelope::parse` refuses). No
/// map is built: a key without escapes is borrowed from the body.
struct Item<'a> {
    first: Option<(std::borrow::Cow<'a, str>, &'a RawValue)>,
    second: Option<(String, ())>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Item<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Item<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object with one key")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let first = map
                    .next_entry::<Key<'de>, &'de RawValue>()?
                    .map(|(key, value)| (key.0, value));
                let second = map
                    .next_entry::<String, serde::de::IgnoredAny>()?
                    .map(|(key, _)| (key, ()));
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Item { first, second })
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// A key, borrowed from the body unless it had escapes (serde's own `Cow`
/// always copies).
struct Key<'a>(std::borrow::Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// Decodes `bytes` as `T`, reporting the JSON path of a failure below `prefix`.
pub(crate) fn decode_at<'de, T: Deserialize<'de>>(
    what: &str,
    prefix: &str,
    bytes: &'de [u8],
    whole_body: &[u8],
) -> Result<T> {
    // The common case first, at serde_json's own speed; only a failure is
    // decoded again with the path tracked, to name where it failed.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let full_path = |inner: String| match (prefix.is_empty(), inner == ".") {
        (true, _) => inner,
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{inner}"),
    };
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = full_path(err.path().to_string());
        Error::decode(what, path, err.into_inner(), whole_body)
    })?;
    de.end()
        .map_err(|err| Error::decode(what, full_path(".".into()), err, whole_body))?;
    Ok(value)
}

fn top_level_keys(body: &[u8]) -> String {
    serde_json::from_slice::<BTreeMap<String, serde::de::IgnoredAny>>(body)
        .map(|m| m.into_keys().collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|_| "?".to_owned())
}

/// Builds the [`ApiError`] for a non-success answer. Never fails: a body that is
/// not bunq's error envelope is kept as an excerpt, and the status survives.
pub(crate) fn api_error(status: u16, response_id: Option<String>, body: &[u8]) -> ApiError {
    #[derive(Deserialize)]
    struct ErrorBody {
        #[serde(rename = "Error")]
        error: Vec<ErrorItem>,
    }
    #[derive(Deserialize)]
    struct ErrorItem {
        error_description: Option<String>,
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) if !parsed.error.is_empty() => ApiError {
            status,
            messages: parsed
                .error
                .into_iter()
                .filter_map(|item| item.error_description)
                .collect(),
            response_id,
            body_excerpt: None,
        },
        _ => ApiError {
            status,
            messages: Vec::new(),
            response_id,
            body_excerpt: (!body.is_empty()).then(|| excerpt(body)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_items_by_key_not_position() {
        let body = br#"{"Response":[{"Id":{"id":7}},{"Token":{"token":"t"}}]}"#;
        let env = Envelope::parse(body).unwrap();
        assert_eq!(env.id().unwrap(), 7);
        #[derive(Deserialize)]
        struct Token {
            token: String,
        }
        assert_eq!(env.one::<Token>("Token").unwrap().token, "t");
    }

    #[test]
    fn empty_response_is_unexpected() {
        let env = Envelope::parse(br#"{"Response":[]}"#).unwrap();
        let err = env.id().unwrap_err();
        assert!(
            matches!(&err, Error::UnexpectedEnvelope { found, .. } if found == "an empty Response array"),
            "{err}"
        );
    }

    #[test]
    fn decode_error_names_the_path() {
        let env = Envelope::parse(br#"{"Response":[{"Id":{"id":"x"}}]}"#).unwrap();
        match env.id().unwrap_err() {
            Error::Decode { path, .. } => assert_eq!(path, "Response[0].Id.id"),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn a_failure_after_an_exact_number_is_named_at_its_own_path() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Geo {
            latitude: crate::values::Number,
            label: String,
        }
        let body = br#"{"latitude":52.387862883215,"label":3}"#;
        match decode_at::<Geo>("Geo", "", body, body) {
            Err(Error::Decode { path, .. }) => assert_eq!(path, "label"),
            other => panic!("{other:?}"),
        }
        let body = br#"{"latitude":52.387862883215,"label":"x"}"#;
        let geo: Geo = decode_at("Geo", "", body, body).unwrap();
        assert_eq!(geo.latitude.as_str(), "52.387862883215");
    }

    #[test]
    fn trailing_garbage_is_a_decode_error() {
        let err = Envelope::parse(br#"{"Response":[]} x"#).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err}");
    }

    #[test]
    fn error_envelope_keeps_every_description() {
        let body = br#"{"Error":[{"error_description":"a","error_description_translated":"A"},{"error_description":"b"}]}"#;
        let err = api_error(400, Some("rid".into()), body);
        assert_eq!(err.messages, ["a", "b"]);
        assert_eq!(
            err.to_string(),
            "bunq answered HTTP 400 Bad Request: a; b [response id rid]"
        );
    }
}
