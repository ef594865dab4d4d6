//! What bunq sent, beside what the types decoded.
//!
//! bunq's spec is an export with mistakes, so the generated types are built
//! to tolerate the wire (`codegen/src/generate.rs`) and to lose nothing silently:
//! every object an operation answers keeps its JSON exactly as bunq sent it
//! ([`Received::wire_json`]), and [`Received::unknown_fields`] names the
//! fields the type did not decode. [`UnknownFields`] makes a client log or
//! refuse them, to see bunq's drift after a spec update.

use std::fmt;
use std::marker::PhantomData;

use bytes::Bytes;
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// One object's JSON exactly as bunq sent it.
///
/// It shares the answer's buffer (no copy per object): the whole answer's
/// bytes live as long as one of its objects' JSON does, secrets elsewhere in
/// that answer included (a session-server answer's token stays in memory
/// while its user object is kept). It may hold secrets itself, so `Debug`
/// prints only its size; [`get`](Self::get) gives the text.
#[derive(Clone)]
pub struct WireJson(Bytes);

impl WireJson {
    /// `raw`, which the decoder read from `body`: a slice of it.
    pub(crate) fn within(body: &Bytes, raw: &RawValue) -> Self {
        let text = raw.get().as_bytes();
        let start = (text.as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
        match start.checked_add(text.len()) {
            Some(end) if end <= body.len() => WireJson(body.slice(start..end)),
            _ => WireJson(Bytes::copy_from_slice(text)),
        }
    }

    /// A copy of `raw`, read from elsewhere than an answer.
    pub(crate) fn copied(raw: &RawValue) -> Self {
        WireJson(Bytes::copy_from_slice(raw.get().as_bytes()))
    }

    /// The object's JSON text, as bunq sent it.
    pub fn get(&self) -> &str {
        // Sliced from JSON text at a value's bounds: always UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The object as a JSON value, to read a field the type does not know
    /// (`wire.to_value()?["new_field"]`). Fails only where the value cannot
    /// hold what bunq sent: a number beyond `f64` (`1e400`); [`get`](Self::get)
    /// has the text.
    pub fn to_value(&self) -> serde_json::Result<Value> {
        serde_json::from_slice(&self.0)
    }
}

impl fmt::Debug for WireJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WireJson(<{} bytes>)", self.0.len())
    }
}

/// An object decoded from a bunq answer: what bunq sent stays reachable.
///
/// Implemented by every generated type an operation answers with; the
/// union enums (`api::MonetaryAccount`, …) keep the JSON in their variant.
///
/// ```
/// use bunq_oauth::api::{Received, types};
/// # fn show(callback: &types::OauthCallbackUrlRead) {
/// // The JSON bunq sent for this object, fields the type lacks included.
/// if let Some(Ok(wire)) = callback.wire_json().map(|w| w.to_value()) {
///     println!("{}", wire["some_new_field"]);
/// }
/// // JSON pointers of what the type did not decode (`/some_new_field`).
/// for field in callback.unknown_fields() {
///     println!("bunq sent {field}, which this build does not know");
/// }
/// # }
/// ```
pub trait Received: Serialize {
    /// The object's JSON as bunq sent it; `None` for a value not decoded
    /// from an answer (built in code, or nested in another object: the
    /// outer object's JSON holds it).
    fn wire_json(&self) -> Option<&WireJson>;

    /// Sets the JSON the value was decoded from ([`decode_object`](crate::api::decode_object)
    /// and the operations do this).
    #[doc(hidden)]
    fn set_wire_json(&mut self, wire: WireJson);

    /// The fields bunq sent that this type did not decode, as JSON
    /// pointers (`/geolocation/speed`); `null`s and empty lists or objects
    /// are not counted, since nothing is lost with them. Empty for a value
    /// not decoded from an answer.
    fn unknown_fields(&self) -> Vec<String> {
        let Some(wire) = self.wire_json() else {
            return Vec::new();
        };
        match (wire.to_value(), serde_json::to_value(self)) {
            (Ok(wire), Ok(typed)) => unknown_fields(&wire, &typed),
            // A number beyond what a JSON value holds (`1e400`): the object
            // cannot be compared, so all of it counts as unknown.
            _ => vec!["/".to_owned()],
        }
    }
}

/// What a client does with fields bunq sends that the types do not know
/// ([`ClientBuilder::unknown_fields`](crate::ClientBuilder::unknown_fields)).
/// Whatever the choice, each object's JSON stays reachable through
/// [`Received::wire_json`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnknownFields {
    /// Decode what the types know; keep the JSON (the default).
    #[default]
    Keep,
    /// As `Keep`, and log each unknown field's path (never its value) at
    /// `warn`, naming the operation.
    Log,
    /// Refuse the answer with [`Error::UnknownFields`](crate::Error::UnknownFields):
    /// strict mode, for tests against bunq's sandbox after a spec update.
    Refuse,
}

/// A type the decoders fill from bunq's answers. Generated answer types keep
/// the object's JSON (the union enums, in their variant); the handwritten
/// models and plain values keep nothing.
pub(crate) trait Decode {
    /// Keeps the JSON the value was decoded from.
    fn keep_wire(&mut self, wire: WireJson) {
        let _ = wire;
    }

    /// The fields of the kept JSON the value did not decode.
    fn unknown_fields(&self) -> Vec<String> {
        Vec::new()
    }
}

impl Decode for Value {}

// Every generated answer type: its JSON is kept, its unknown fields found.
impl<T: Received> Decode for T {
    fn keep_wire(&mut self, wire: WireJson) {
        self.set_wire_json(wire);
    }

    fn unknown_fields(&self) -> Vec<String> {
        Received::unknown_fields(self)
    }
}

/// The JSON pointers of what `wire` holds and `typed` (the same object
/// serialized back from its type) lacks.
pub(crate) fn unknown_fields(wire: &Value, typed: &Value) -> Vec<String> {
    let mut out = Vec::new();
    lost(wire, Some(typed), &mut String::new(), &mut out);
    out
}

fn lost(wire: &Value, typed: Option<&Value>, path: &mut String, out: &mut Vec<String>) {
    let empty = match wire {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
        _ => false,
    };
    if empty {
        return;
    }
    let Some(typed) = typed else {
        out.push(if path.is_empty() {
            "/".into()
        } else {
            path.clone()
        });
        return;
    };
    let len = path.len();
    match (wire, typed) {
        (Value::Object(fields), Value::Object(known)) => {
            for (key, value) in fields {
                path.push('/');
                path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                lost(value, known.get(key), path, out);
                path.truncate(len);
            }
        }
        (Value::Array(items), Value::Array(known)) => {
            for (index, value) in items.iter().enumerate() {
                path.push_str(&format!("/{index}"));
                lost(value, known.get(index), path, out);
                path.truncate(len);
            }
        }
        // One object where the spec says a list: decoded as a list of one.
        (Value::Object(_), Value::Array(known)) if known.len() == 1 => {
            lost(wire, known.first(), path, out);
        }
        // A bare list where the spec wraps it (`{"Payment":[…]}`).
        (Value::Array(_), Value::Object(known)) if known.len() == 1 => {
            lost(wire, known.values().next(), path, out);
        }
        // Scalars (a number sent as text, …) decoded into some value.
        _ => {}
    }
}

struct ListOrOne<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListOrOne<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list, an object or null")
    }

    fn visit_unit<E>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_none<E>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Vec<T>, D2::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        // A hostile size hint allocates nothing up front.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(items)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<T>, A::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(|one| vec![one])
    }
}

/// The decoder of every generated list field: `null` is an empty list (bunq
/// sends `null` where its spec says array) and a single object is a list of
/// one (bunq sends an object where its spec says array).
pub(crate) fn list_or_one<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(ListOrOne(PhantomData))
}

/// An object whose one field is a list (bunq's `{"Payment":[…]}`
/// wrappers): generated for every such type a field holds.
pub(crate) trait ListWrapper: Sized {
    /// The list's items.
    type Item;
    /// The wrapper around a bare list.
    fn from_list(items: Vec<Self::Item>) -> Self;
}

/// The decoder of a field holding a [`ListWrapper`]: the wrapper object as
/// the spec says, or the bare list (as bunq's SDKs read it), or `null`.
pub(crate) fn wrapper_or_list<'de, D, W>(d: D) -> Result<Option<W>, D::Error>
where
    D: Deserializer<'de>,
    W: ListWrapper + Deserialize<'de>,
    W::Item: Deserialize<'de>,
{
    struct WrapperOrList<W>(PhantomData<W>);

    impl<'de, W> Visitor<'de> for WrapperOrList<W>
    where
        W: ListWrapper + Deserialize<'de>,
        W::Item: Deserialize<'de>,
    {
        type Value = Option<W>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object, a list or null")
        }

        fn visit_unit<E>(self) -> Result<Option<W>, E> {
            Ok(None)
        }

        fn visit_none<E>(self) -> Result<Option<W>, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<W>, D2::Error> {
            d.deserialize_any(self)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<W>, A::Error> {
            let items = ListOrOne::<W::Item>(PhantomData).visit_seq(seq)?;
            Ok(Some(W::from_list(items)))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<W>, A::Error> {
            W::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    d.deserialize_any(WrapperOrList(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        id: i64,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Holder {
        #[serde(default, deserialize_with = "list_or_one")]
        items: Vec<Item>,
    }

    #[test]
    fn a_list_field_takes_null_one_object_or_a_list() {
        let decode = |text: &str| serde_json::from_str::<Holder>(text).map(|h| h.items);
        assert_eq!(decode(r#"{"items":null}"#).unwrap(), []);
        assert_eq!(decode(r#"{}"#).unwrap(), []);
        assert_eq!(decode(r#"{"items":{"id":1}}"#).unwrap(), [Item { id: 1 }]);
        assert_eq!(
            decode(r#"{"items":[{"id":1},{"id":2}]}"#).unwrap(),
            [Item { id: 1 }, Item { id: 2 }]
        );
        assert!(decode(r#"{"items":"x"}"#).is_err());
        assert!(decode(r#"{"items":[{"id":"x"}]}"#).is_err());
    }

    #[test]
    fn an_objects_json_shares_the_answers_bytes() {
        let body = Bytes::from_static(br#"{"a":{"b":1.50}}"#);
        let items: std::collections::BTreeMap<&str, &RawValue> =
            serde_json::from_slice(&body).unwrap();
        let wire = WireJson::within(&body, items["a"]);
        assert_eq!(wire.get(), r#"{"b":1.50}"#);
        assert_eq!(wire.0.as_ptr(), body[5..].as_ptr(), "a slice, not a copy");
        assert_eq!(wire.to_value().unwrap()["b"], 1.5);
        // JSON read from elsewhere is copied.
        let elsewhere = RawValue::from_string("[1]".into()).unwrap();
        assert_eq!(WireJson::within(&body, &elsewhere).get(), "[1]");
        assert_eq!(format!("{wire:?}"), "WireJson(<10 bytes>)");
    }

    #[test]
    fn unknown_fields_are_named_by_pointer_and_empty_values_are_not() {
        let wire = json!({
            "id": 1, "new": {"deep": 2}, "gone": null, "none": [], "obj": {},
            "list": [{"a": 1, "b": 2}], "one": {"x": 1, "y/z": 2}
        });
        let typed = json!({"id": 1, "list": [{"a": 1}], "new": {}, "one": [{"x": 1}]});
        // A bare list decoded into its wrapper is compared item by item.
        let bare = json!({"payments": [{"id": 1, "extra": 2}]});
        let wrapped = json!({"payments": {"Payment": [{"id": 1}]}});
        assert_eq!(unknown_fields(&bare, &wrapped), ["/payments/0/extra"]);
        assert_eq!(
            unknown_fields(&wire, &typed),
            ["/list/0/b", "/new/deep", "/one/y~1z"]
        );
        assert!(unknown_fields(&wire, &wire).is_empty());
    }
}
