//! bunq's wire format on the server side: `Response`/`Error` envelopes,
//! pagination, and signed answers with bunq's headers.

use std::io;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::faults::FaultKind;
use bunq_oauth::signing::KeyPair;

/// The description bunq gives for a missing, expired or unknown token.
pub(super) const NO_AUTH: &str = "Insufficient authorisation.";
/// The description bunq gives for a signature that does not verify.
pub(super) const BAD_SIGNATURE: &str = "The request signature is invalid.";
/// The description bunq gives for an unknown API key or access token.
pub(super) const BAD_CREDENTIALS: &str =
    "User credentials are incorrect. Incorrect API key or IP address.";

const REQUEST_ID: &str = "x-bunq-client-request-id";
const RESPONSE_ID: &str = "x-bunq-client-response-id";
const SERVER_SIGNATURE: &str = "x-bunq-server-signature";

/// A refused request: the status and the `error_description`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    pub(super) status: StatusCode,
    pub(super) description: String,
}

impl Failure {
    pub(super) fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Failure {
            status,
            description: description.into(),
        }
    }

    pub(super) fn bad_request(description: impl Into<String>) -> Self {
        Failure::new(StatusCode::BAD_REQUEST, description)
    }

    pub(super) fn unauthorized() -> Self {
        Failure::new(StatusCode::UNAUTHORIZED, NO_AUTH)
    }

    pub(super) fn not_found(what: &str) -> Self {
        Failure::new(StatusCode::NOT_FOUND, format!("{what} not found."))
    }

    /// `{"Error":[{"error_description":…,"error_description_translated":…}]}`.
    pub(super) fn body(&self) -> Value {
        json!({"Error": [{
            "error_description": self.description,
            "error_description_translated": self.description,
        }]})
    }
}

/// What a handler answers: 200 with a `Response` envelope, or a failure.
pub(super) type Outcome = Result<Value, Failure>;

/// `{"Response":[items…]}`.
pub(super) fn envelope(items: Vec<Value>) -> Value {
    json!({ "Response": items })
}

/// `{"Response":[{"Id":{"id":id}}]}`.
pub(super) fn id_answer(id: u64) -> Value {
    envelope(vec![json!({"Id": {"id": id}})])
}

/// The request body as a JSON object.
pub(super) fn json_object(body: &[u8]) -> Result<Map<String, Value>, Failure> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(_) => Err(Failure::bad_request("The request body is not valid JSON.")),
    }
}

/// A required string field of a request body.
pub(super) fn string_field<'a>(
    map: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a str, Failure> {
    match map.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Failure::bad_request(format!(
            "The field \"{name}\" must be a string."
        ))),
        None => Err(Failure::bad_request(format!(
            "The field \"{name}\" is required."
        ))),
    }
}

/// A request's query parameters, decoded.
#[derive(Debug, Default)]
pub(super) struct Query(Vec<(String, String)>);

impl Query {
    pub(super) fn parse(query: Option<&str>) -> Self {
        Query(
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Adds the pairs of another query that this one lacks.
    pub(super) fn merge(&mut self, other: Query) {
        for (k, v) in other.0 {
            if self.get(&k).is_none() {
                self.0.push((k, v));
            }
        }
    }
}

/// bunq's default and largest page sizes.
const DEFAULT_COUNT: u64 = 10;
const MAX_COUNT: u64 = 200;

/// One page of a list, newest (highest id) first, with bunq's `Pagination`.
///
/// `ids` are the ids of every item in the list (any order); `item` renders
/// one of them, and is called only for the items on the page, so a long
/// list costs one page of JSON, not all of it.
///
/// `count` (default 10, at most 200), `older_id` (items older than that id)
/// and `newer_id` (the items just newer than that id). `older_url` continues
/// from the oldest item on the page, `newer_url` from the newest; either is
/// `null` when there is nothing beyond. `future_url` is set only on a
/// `newer_id` page that reaches the newest item (for polling); bunq's own
/// answers (bunq's PSD2/OAuth example) leave it `null` on a plain first page.
pub(super) fn paginate(
    path: &str,
    query: &Query,
    mut ids: Vec<u64>,
    item: impl Fn(u64) -> Option<Value>,
) -> Outcome {
    let count = match query.get("count") {
        None => DEFAULT_COUNT,
        Some(text) => match text.parse::<u64>() {
            Ok(n) if (1..=MAX_COUNT).contains(&n) => n,
            _ => {
                return Err(Failure::bad_request(format!(
                    "The count must be a number from 1 to {MAX_COUNT}."
                )));
            }
        },
    };
    let id_param = |name: &str| -> Result<Option<u64>, Failure> {
        query
            .get(name)
            .map(|text| {
                text.parse::<u64>().map_err(|_| {
                    Failure::bad_request(format!("The {name} must be a positive number."))
                })
            })
            .transpose()
    };
    let (older_id, newer_id) = (id_param("older_id")?, id_param("newer_id")?);
    ids.sort_unstable_by_key(|id| std::cmp::Reverse(*id));
    let limit = usize::try_from(count).unwrap_or(usize::MAX);
    let page: Vec<u64> = match (older_id, newer_id) {
        (Some(_), Some(_)) => {
            return Err(Failure::bad_request(
                "Use either older_id or newer_id, not both.",
            ));
        }
        (Some(older), None) => ids
            .iter()
            .copied()
            .filter(|id| *id < older)
            .take(limit)
            .collect(),
        (None, Some(newer)) => {
            // The items just above `newer`, shown newest first.
            let mut above: Vec<u64> = ids
                .iter()
                .rev()
                .copied()
                .filter(|id| *id > newer)
                .take(limit)
                .collect();
            above.reverse();
            above
        }
        (None, None) => ids.iter().copied().take(limit).collect(),
    };
    let (newest, oldest) = (ids.first().copied(), ids.last().copied());
    let (first, last) = (page.first().copied(), page.last().copied());
    let url = |key: &str, id: u64| Value::String(format!("{path}?count={count}&{key}={id}"));
    let older_url = match (last, oldest) {
        (Some(last), Some(oldest)) if last > oldest => url("older_id", last),
        _ => Value::Null,
    };
    let newer_url = match (first, newest) {
        (Some(first), Some(newest)) if first < newest => url("newer_id", first),
        _ => Value::Null,
    };
    let future_url = match (newer_id, first) {
        (Some(_), Some(first)) if Some(first) == newest => url("newer_id", first),
        (Some(newer), None) => url("newer_id", newer),
        _ => Value::Null,
    };
    let items: Vec<Value> = page.into_iter().filter_map(item).collect();
    Ok(json!({
        "Response": items,
        "Pagination": {
            "future_url": future_url,
            "newer_url": newer_url,
            "older_url": older_url,
        },
    }))
}

/// Serialises an API answer, applies a post-handling fault, signs the exact
/// bytes and adds bunq's headers.
pub(super) fn finish(
    key: &KeyPair,
    request_headers: &HeaderMap,
    status: StatusCode,
    mut body: Value,
    fault: Option<FaultKind>,
) -> Response {
    if fault == Some(FaultKind::DropAfterHandling) {
        return dropped_connection();
    }
    if fault == Some(FaultKind::UnknownFields) {
        add_unknown_fields(&mut body);
    }
    let mut bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    if fault == Some(FaultKind::MalformedJson) {
        bytes.truncate((bytes.len() / 2).max(1));
    }
    let signature = match fault {
        Some(FaultKind::MissingSignature) => None,
        Some(FaultKind::BadSignature) => {
            let mut other = bytes.clone();
            other.extend_from_slice(b" ");
            key.sign(&other).ok()
        }
        _ => key.sign(&bytes).ok(),
    };
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert(HeaderName::from_static(RESPONSE_ID), id);
    }
    if let Some(id) = request_headers.get(REQUEST_ID) {
        headers.insert(HeaderName::from_static(REQUEST_ID), id.clone());
    }
    if let Some(signature) = signature.and_then(|s| HeaderValue::from_str(&s).ok()) {
        headers.insert(HeaderName::from_static(SERVER_SIGNATURE), signature);
    }
    response
}

/// A response whose body fails at once: hyper then closes the connection
/// without writing anything, so the client sees the connection drop with
/// no answer.
pub(super) fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, io::Error>(io::Error::other("fake bunq: connection dropped on purpose"))
    });
    Response::new(Body::from_stream(failing))
}

/// Adds fields no version of this crate knows: at the top level, inside
/// every `Response` item's object, and in every `Error` entry.
fn add_unknown_fields(body: &mut Value) {
    let Value::Object(top) = body else { return };
    for (key, value) in top.iter_mut() {
        let Value::Array(items) = value else { continue };
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            if key == "Error" {
                item.insert("error_code_from_the_future".into(), json!(4711));
                continue;
            }
            for inner in item.values_mut().filter_map(Value::as_object_mut) {
                inner.insert("field_from_the_future".into(), json!({"nested": [1, 2]}));
            }
        }
    }
    top.insert(
        "TopLevelFromTheFuture".into(),
        json!({"note": "unknown to this client"}),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(page: &Value) -> Vec<u64> {
        page["Response"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["X"]["id"].as_u64().unwrap())
            .collect()
    }

    fn page(query: &str, n: u64) -> Outcome {
        let ids = (1..=n).collect();
        paginate("/v1/x", &Query::parse(Some(query)), ids, |id| {
            Some(json!({"X": {"id": id}}))
        })
    }

    #[test]
    fn pages_walk_from_newest_to_oldest() {
        let first = page("count=10", 25).unwrap();
        assert_eq!(ids(&first), (16..=25).rev().collect::<Vec<_>>());
        assert_eq!(
            first["Pagination"]["older_url"],
            "/v1/x?count=10&older_id=16"
        );
        assert_eq!(first["Pagination"]["newer_url"], Value::Null);
        assert_eq!(first["Pagination"]["future_url"], Value::Null);
        let last = page("count=10&older_id=6", 25).unwrap();
        assert_eq!(ids(&last), vec![5, 4, 3, 2, 1]);
        assert_eq!(last["Pagination"]["older_url"], Value::Null);
        assert_eq!(last["Pagination"]["newer_url"], "/v1/x?count=10&newer_id=5");
        let newer = page("count=3&newer_id=5", 25).unwrap();
        assert_eq!(ids(&newer), vec![8, 7, 6]);
        let top = page("count=3&newer_id=23", 25).unwrap();
        assert_eq!(ids(&top), vec![25, 24]);
        assert_eq!(top["Pagination"]["future_url"], "/v1/x?count=3&newer_id=25");
    }

    #[test]
    fn bad_page_parameters_are_refused() {
        for bad in [
            "count=0",
            "count=201",
            "count=x",
            "older_id=-1",
            "older_id=1&newer_id=2",
        ] {
            let err = page(bad, 3).unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{bad}");
        }
        let empty = page("", 0).unwrap();
        assert_eq!(empty["Response"], json!([]));
        assert_eq!(empty["Pagination"]["older_url"], Value::Null);
    }
}
