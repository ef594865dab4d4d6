//! Every other operation the library generates, served from the same table
//! the client is generated from (`bunq_oauth::api::OPERATIONS`), not from a
//! second list: objects kept per collection path with ids, bunq's envelopes
//! and pagination, `{"Id":…}` on creates, 404 with bunq's error body for an
//! unknown id.
//!
//! Where it matters to an app, the fake behaves like bunq (see
//! [`Objects::create`]): a payment moves money between the user's own
//! accounts; a draft-payment and a request-inquiry stay `PENDING` until the
//! user answers them (the control API: [`crate::FakeBunq::answer_draft_payment`],
//! [`crate::FakeBunq::answer_request_inquiry`], or
//! [`crate::FakeConfig::approve_after`]).
//!
//! Assumptions, not bunq's documented behaviour: the status and text of
//! the refusals (a payment to someone else's IBAN by an OAuth connection:
//! 400 with "…create a draft-payment…"; too little money: 400 "Insufficient
//! balance."), and the wrapper key of an object, which is the name in the
//! operation's id (`Payment` from `List_all_Payment_for_User_MonetaryAccount`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::http::{Method, StatusCode};
use bunq_oauth::api::{OPERATIONS, Operation, Shape};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::wire::{Failure, Outcome, Query, envelope, id_answer, json_object};

/// bunq's longest description of a payment.
pub(super) const MAX_DESCRIPTION: usize = 140;

/// One operation of the table matched to a request path.
#[derive(Debug)]
pub(super) struct Matched {
    pub(super) operation: &'static Operation,
    /// The ids in the path, in order (`{userID}` first).
    pub(super) ids: Vec<u64>,
    /// The collection the object lives in (the path less a trailing item id).
    pub(super) collection: String,
    /// The trailing `{itemId}`, if the path has one.
    pub(super) item: Option<u64>,
}

impl Matched {
    /// The object's wrapper key: the name in the operation's id.
    pub(super) fn key(&self) -> &'static str {
        let id = self.operation.operation_id;
        let rest = id.split_once('_').map_or(id, |(_, rest)| rest);
        let rest = rest.strip_prefix("all_").unwrap_or(rest);
        rest.split("_for_").next().unwrap_or(rest)
    }
}

/// What the table says about a path: the operation for this method, or the
/// methods it allows (405), or nothing (404).
pub(super) enum Lookup {
    Found(Matched),
    WrongMethod,
    Unknown,
}

/// Matches `path` (below `/v1`, starting with `/`) against the table.
pub(super) fn lookup(method: &Method, path: &str) -> Lookup {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut wrong_method = false;
    for operation in OPERATIONS {
        let template: Vec<&str> = operation.path.trim_start_matches('/').split('/').collect();
        if template.len() != segments.len() {
            continue;
        }
        let mut ids = Vec::new();
        let fits = template.iter().zip(&segments).all(|(t, s)| {
            if t.starts_with('{') {
                match s.parse::<u64>() {
                    Ok(id) if s.bytes().all(|b| b.is_ascii_digit()) => {
                        ids.push(id);
                        true
                    }
                    _ => false,
                }
            } else {
                t == s
            }
        });
        if !fits {
            continue;
        }
        if operation.method != method.as_str() {
            wrong_method = true;
            continue;
        }
        let has_item = operation.path.ends_with("/{itemId}");
        let collection = if has_item {
            path.rsplit_once('/').map_or(path, |(c, _)| c).to_owned()
        } else {
            path.to_owned()
        };
        return Lookup::Found(Matched {
            operation,
            item: has_item.then(|| ids.last().copied()).flatten(),
            ids,
            collection,
        });
    }
    if wrong_method {
        Lookup::WrongMethod
    } else {
        Lookup::Unknown
    }
}

/// A stored object: its wrapper key and its fields.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    pub(super) key: String,
    pub(super) value: Map<String, Value>,
    /// When a pending draft-payment or request is answered by itself
    /// ([`crate::FakeConfig::approve_after`]).
    pub(super) answer_at: Option<Instant>,
}

/// The objects of the generic operations, per collection path, with two
/// indexes so that no request scans every object (a fake with thousands of
/// users holds hundreds of thousands).
#[derive(Debug, Default)]
pub(super) struct Objects {
    by_collection: BTreeMap<String, BTreeMap<u64, Stored>>,
    /// Object id → its collection.
    located: HashMap<u64, String>,
    /// Pending objects that answer themselves, by when (see [`Stored::answer_at`]).
    due: BTreeSet<(Instant, u64)>,
}

impl Objects {
    /// The object `id` of kind `key` anywhere (ids are unique across
    /// kinds), with its collection.
    pub(super) fn find_mut(&mut self, key: &str, id: u64) -> Option<(String, &mut Stored)> {
        let collection = self.located.get(&id)?;
        let object = self.by_collection.get_mut(collection)?.get_mut(&id)?;
        (object.key == key).then(|| (collection.clone(), object))
    }

    pub(super) fn insert(&mut self, collection: &str, id: u64, stored: Stored) {
        if let Some(at) = stored.answer_at {
            self.due.insert((at, id));
        }
        self.located.insert(id, collection.to_owned());
        self.by_collection
            .entry(collection.to_owned())
            .or_default()
            .insert(id, stored);
    }

    /// The pending objects whose time to answer has come, with their kind;
    /// taken off the queue.
    pub(super) fn take_due(&mut self, now: Instant) -> Vec<(u64, String)> {
        let mut due = Vec::new();
        while let Some(&(at, id)) = self.due.first() {
            if at > now {
                break;
            }
            self.due.pop_first();
            let object = self
                .located
                .get(&id)
                .and_then(|c| self.by_collection.get(c)?.get(&id));
            if let Some(object) = object.filter(|o| o.answer_at.is_some()) {
                due.push((id, object.key.clone()));
            }
        }
        due
    }

    /// The collections and their objects, for a control API's reading.
    pub(super) fn collections(&self) -> impl Iterator<Item = (&String, &BTreeMap<u64, Stored>)> {
        self.by_collection.iter()
    }

    /// `GET` of a collection: a page, newest first.
    pub(super) fn list(&self, collection: &str, path: &str, query: &Query) -> Outcome {
        let empty = BTreeMap::new();
        let objects = self.by_collection.get(collection).unwrap_or(&empty);
        let ids = objects.keys().copied().collect();
        crate::wire::paginate(path, query, ids, |id| {
            objects.get(&id).map(|o| json!({ &o.key: o.value }))
        })
    }

    /// `GET` of one object.
    pub(super) fn read(&self, matched: &Matched) -> Outcome {
        let key = matched.key();
        matched
            .item
            .and_then(|id| self.by_collection.get(&matched.collection)?.get(&id))
            .map(|o| envelope(vec![json!({ &o.key: o.value })]))
            .ok_or_else(|| Failure::not_found(key))
    }

    /// `PUT`: the body's fields over the object's; answers the id, or the
    /// object where bunq does (the table's shape says which).
    pub(super) fn update(&mut self, matched: &Matched, body: &[u8], now: &str) -> Outcome {
        let key = matched.key();
        let fields = json_object(body)?;
        let object = matched
            .item
            .and_then(|id| {
                self.by_collection
                    .get_mut(&matched.collection)?
                    .get_mut(&id)
            })
            .ok_or_else(|| Failure::not_found(key))?;
        for (name, value) in fields {
            if !matches!(name.as_str(), "id" | "created" | "updated") {
                object.value.insert(name, value);
            }
        }
        object.value.insert("updated".into(), now.into());
        match (matched.operation.shape, matched.item) {
            (Shape::One, _) => Ok(envelope(vec![json!({ &object.key: object.value })])),
            (_, Some(id)) => Ok(id_answer(id)),
            (_, None) => Err(Failure::not_found(key)),
        }
    }

    /// `DELETE`.
    pub(super) fn delete(&mut self, matched: &Matched) -> Outcome {
        let key = matched.key();
        matched
            .item
            .and_then(|id| {
                let removed = self
                    .by_collection
                    .get_mut(&matched.collection)?
                    .remove(&id)?;
                self.located.remove(&id);
                Some(removed)
            })
            .map(|_| envelope(Vec::new()))
            .ok_or_else(|| Failure::not_found(key))
    }
}

/// An amount in cents from bunq's decimal text; refuses more than two
/// decimals, a sign, and anything that is not a number.
pub(super) fn cents(value: &str) -> Option<i64> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (value.contains('.') && !digits(fraction)) || fraction.len() > 2 {
        return None;
    }
    let whole: i64 = whole.parse().ok().filter(|w: &i64| *w < 1_000_000_000)?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    Some(whole * 100 + fraction)
}

/// Cents as bunq's decimal text (`-12.50`).
pub(super) fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// Whether `iban` is a well-formed IBAN with valid check digits (ISO 13616).
pub(super) fn valid_iban(iban: &str) -> bool {
    let ok_chars = iban.len() >= 15
        && iban.len() <= 34
        && iban
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && iban.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
        && iban.as_bytes()[2..4].iter().all(u8::is_ascii_digit);
    if !ok_chars {
        return false;
    }
    let rearranged = format!("{}{}", &iban[4..], &iban[..4]);
    let mut remainder: u32 = 0;
    for c in rearranged.chars() {
        let value = c.to_digit(36).unwrap_or(0);
        let digits = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * digits + value) % 97;
    }
    remainder == 1
}

/// A Dutch bunq IBAN with valid check digits for account number `n`.
pub(super) fn make_iban(n: u64) -> String {
    let bban = format!("BUNQ2090{:06}", n % 1_000_000);
    let mut remainder: u32 = 0;
    for c in format!("{bban}NL00").chars() {
        let value = c.to_digit(36).unwrap_or(0);
        let digits = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * digits + value) % 97;
    }
    format!("NL{:02}{bban}", 98 - remainder)
}

/// The amount and counterparty of a payment or a draft-payment entry,
/// checked as bunq checks them.
pub(super) struct Transfer {
    pub(super) cents: i64,
    pub(super) currency: String,
    pub(super) iban: String,
    pub(super) name: String,
    pub(super) description: String,
}

pub(super) fn transfer(fields: &Map<String, Value>) -> Result<Transfer, Failure> {
    let amount = fields
        .get("amount")
        .ok_or_else(|| Failure::bad_request("The field \"amount\" is required."))?;
    let value = amount.get("value").and_then(Value::as_str).unwrap_or("");
    let cents = cents(value).filter(|c| *c > 0).ok_or_else(|| {
        Failure::bad_request(format!(
            "The amount \"{value}\" is not valid: give a positive amount with at most two decimals."
        ))
    })?;
    let currency = amount.get("currency").and_then(Value::as_str).unwrap_or("");
    if currency != "EUR" {
        return Err(Failure::bad_request(format!(
            "The currency \"{currency}\" is not supported for this account."
        )));
    }
    let alias = fields
        .get("counterparty_alias")
        .ok_or_else(|| Failure::bad_request("The field \"counterparty_alias\" is required."))?;
    let kind = alias.get("type").and_then(Value::as_str).unwrap_or("");
    let iban = alias.get("value").and_then(Value::as_str).unwrap_or("");
    if kind != "IBAN" || !valid_iban(iban) {
        return Err(Failure::bad_request(format!(
            "The counterparty \"{iban}\" is not a valid IBAN."
        )));
    }
    let description = fields
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(Failure::bad_request(format!(
            "The description is longer than {MAX_DESCRIPTION} characters."
        )));
    }
    Ok(Transfer {
        cents,
        currency: currency.to_owned(),
        iban: iban.to_owned(),
        name: alias
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        description,
    })
}

/// A 400 in bunq's shape.
pub(super) fn refused(text: impl Into<String>) -> Failure {
    Failure::new(StatusCode::BAD_REQUEST, text)
}
