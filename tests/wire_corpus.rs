//! Real bodies from bunq (`tests/fixtures/wire/`, each with its source in
//! `SOURCES.md`) decode through the generated types, and nothing bunq sent
//! is lost but what `KNOWN_LOST` lists with its reason.
//!
//! bunq's spec is an export with mistakes; these bodies are what bunq
//! sends: floats in a geolocation it declares integer, `null` where it
//! declares a list, fields its read schemas lack.

use std::collections::BTreeMap;
use std::path::Path;

use bunq_oauth::api::{Received, decode_object, types};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// Fields a body holds that the generated types do not decode, with why:
/// (file, JSON pointer below the object, reason).
const KNOWN_LOST: &[(&str, &str, &str)] = &[
    // Fields of 2016-2018 sandbox bodies that bunq has since dropped: no
    // SDK model or spec of ours has them.
    (
        "MonetaryAccountBank_list_sandbox_2016.json",
        "/daily_spent",
        OLD,
    ),
    (
        "MonetaryAccountBank_list_sandbox_2016.json",
        "/monetary_account_profile/profile_action_required",
        OLD,
    ),
    (
        "MonetaryAccountBank_list_sandbox_2016.json",
        "/monetary_account_profile/profile_amount_required",
        OLD,
    ),
    (
        "MonetaryAccountJoint_pending_acceptance.json",
        "/daily_spent",
        OLD,
    ),
    (
        "NotificationUrl_monetary_account_bank.json",
        "/daily_spent",
        OLD,
    ),
    // Keys misspelt in the published fixtures (`"content_type|"`, `"uuid|"`, …).
    (
        "NotificationUrl_monetary_account_bank.json",
        "/avatar/image/0/content_type|",
        TYPO,
    ),
    (
        "NotificationUrl_request_response_attachment_null.json",
        "/counterparty_alias/label_user/uuid|",
        TYPO,
    ),
    (
        "NotificationUrl_scheduled_instance.json",
        "/result_object/Payment/alias/label_user/avatar/image/0/heigh",
        TYPO,
    ),
    (
        "NotificationUrl_scheduled_payment.json",
        "/payment/counterparty_alias/avatar/image/0/width|",
        TYPO,
    ),
    // bunq's spec and SDKs type `user_alias_created` as a user's label; this
    // 2017 body sends an account's label (iban, is_light, label_user).
    (
        "NotificationUrl_request_inquiry_revoked.json",
        "/user_alias_created/iban",
        LABEL,
    ),
    (
        "NotificationUrl_request_inquiry_revoked.json",
        "/user_alias_created/is_light",
        LABEL,
    ),
    (
        "NotificationUrl_request_inquiry_revoked.json",
        "/user_alias_created/label_user",
        LABEL,
    ),
    // Schedules (decoded by the full-api build only) nest request bodies.
    (
        "NotificationUrl_scheduled_instance.json",
        "/result_object/Payment/allow_chat",
        NESTED,
    ),
    (
        "NotificationUrl_scheduled_instance.json",
        "/result_object/Payment/maturity_date",
        NESTED,
    ),
    (
        "NotificationUrl_scheduled_payment.json",
        "/payment/type",
        NESTED,
    ),
    (
        "NotificationUrl_scheduled_payment.json",
        "/payment/sub_type",
        NESTED,
    ),
    (
        "NotificationUrl_scheduled_instance.json",
        "/scheduled_object/ScheduledPayment",
        RENAMED,
    ),
    (
        "NotificationUrl_scheduled_payment.json",
        "/schedule/time_next",
        NESTED,
    ),
];

const NESTED: &str = "nested in a schedule is the spec's request-body schema (`Payment`, `SchedulePaymentEntry`, `Schedule`), which the build keeps as callers write it; kept in wire_json";
const RENAMED: &str = "bunq's wire key `ScheduledPayment` where its spec names the kind `SchedulePayment`; kept in wire_json";

const OLD: &str = "a 2016-2018 field bunq no longer describes anywhere; kept in wire_json";
const TYPO: &str = "a key misspelt in the published fixture; kept in wire_json";
const LABEL: &str = "typed as a user's label by bunq's spec and SDKs; kept in wire_json";

/// Decodes one object as bunq's wrapper key `kind` says; `None` for a kind
/// this build does not generate.
fn decode(kind: &str, json: &str) -> Option<Result<Vec<String>, String>> {
    fn check<T: Received + DeserializeOwned>(json: &str) -> Result<Vec<String>, String> {
        let value: T = decode_object(json).map_err(|e| e.to_string())?;
        assert_eq!(
            value.wire_json().map(|w| w.get()),
            Some(json),
            "the JSON is kept as sent"
        );
        Ok(value.unknown_fields())
    }
    Some(match kind {
        "Payment" => check::<types::PaymentRead>(json),
        "DraftPayment" => check::<types::DraftPaymentRead>(json),
        "RequestInquiry" => check::<types::RequestInquiryRead>(json),
        "RequestResponse" => check::<types::RequestResponseRead>(json),
        "MonetaryAccountBank" => check::<types::MonetaryAccountBank>(json),
        "MonetaryAccountJoint" => check::<types::MonetaryAccountJoint>(json),
        "OauthClient" => check::<types::OauthClientRead>(json),
        "OauthCallbackUrl" => check::<types::OauthCallbackUrlRead>(json),
        #[cfg(feature = "full-api")]
        "MasterCardAction" => check::<types::MasterCardActionRead>(json),
        #[cfg(feature = "full-api")]
        "ScheduledPayment" => check::<types::SchedulePaymentRead>(json),
        #[cfg(feature = "full-api")]
        "ScheduledInstance" => check::<types::ScheduleInstanceRead>(json),
        _ => return None,
    })
}

/// The objects of one body, with their wrapper key: the items of a
/// `{"Response":[…]}` answer, a callback's `object`, a `{"Kind":{…}}`, or
/// a bare object (its kind from the file name).
fn objects(file: &str, text: &str) -> Vec<(String, String)> {
    type Map<'a> = BTreeMap<String, &'a RawValue>;
    let top: Map = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let single = |map: &Map| -> (String, String) {
        assert_eq!(map.len(), 1, "{file}: one wrapper key");
        let (key, value) = map.iter().next().unwrap();
        (key.clone(), value.get().to_owned())
    };
    if let Some(items) = top.get("Response") {
        let items: Vec<Map> = serde_json::from_str(items.get()).unwrap();
        return items.iter().map(single).collect();
    }
    if let Some(callback) = top.get("NotificationUrl") {
        let callback: Map = serde_json::from_str(callback.get()).unwrap();
        let object: Map = serde_json::from_str(callback["object"].get()).unwrap();
        return vec![single(&object)];
    }
    if top.len() == 1 && top.keys().all(|k| k.starts_with(char::is_uppercase)) {
        return vec![single(&top)];
    }
    let kind = file.split('_').next().unwrap().to_owned();
    vec![(kind, text.trim().to_owned())]
}

#[test]
fn every_real_body_decodes_and_nothing_is_lost_unexplained() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wire");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "the corpus is there");
    let (mut decoded, mut problems, mut seen) = (0, Vec::new(), Vec::new());
    let mut decoded_files = Vec::new();
    for path in &files {
        let file = path.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        for (kind, json) in objects(file, &text) {
            match decode(&kind, &json) {
                None if ONLY_WITH_FULL_API.contains(&kind.as_str()) => {}
                None => problems.push(format!("{file}: no type for {kind}")),
                Some(Err(e)) => problems.push(format!("{file}: {kind} does not decode: {e}")),
                Some(Ok(lost)) => {
                    decoded += 1;
                    decoded_files.push(file.to_owned());
                    for field in lost {
                        match KNOWN_LOST
                            .iter()
                            .position(|(f, p, _)| *f == file && *p == field)
                        {
                            Some(known) => seen.push(known),
                            None => problems.push(format!("{file}: {kind}{field} is lost")),
                        }
                    }
                }
            }
        }
    }
    // A listed loss that no longer happens is stale: the list must shrink.
    for (index, (file, field, _)) in KNOWN_LOST.iter().enumerate() {
        let decoded_here = decoded_files.iter().any(|f| f == file);
        if !seen.contains(&index) && decoded_here {
            problems.push(format!("{file}: {field} is listed as lost but is not"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let expected = if cfg!(feature = "full-api") { 22 } else { 19 };
    assert_eq!(decoded, expected, "objects decoded");
}

/// Kinds of the corpus whose types only the `full-api` build generates.
const ONLY_WITH_FULL_API: &[&str] = &["MasterCardAction", "ScheduledPayment", "ScheduledInstance"];

/// A number beyond what a JSON value holds cannot be compared: the object
/// counts as unknown whole, never as "nothing unknown".
#[test]
fn an_object_that_cannot_be_compared_is_unknown_whole() {
    let json = r#"{"id":1,"geolocation":{"latitude":1e400}}"#;
    let payment: types::PaymentRead = decode_object(json).unwrap();
    assert_eq!(
        payment
            .geolocation
            .as_ref()
            .unwrap()
            .latitude
            .as_ref()
            .unwrap()
            .as_str(),
        "1e400"
    );
    assert_eq!(payment.unknown_fields(), ["/"]);
    assert!(payment.wire_json().unwrap().to_value().is_err());
}

/// bunq's SDK fields made a card answer 37 kB inline, more than a debug
/// build's task stack holds; large nested objects are boxed.
#[test]
fn answer_types_stay_small_enough_for_a_tasks_stack() {
    for (name, size) in [
        ("CardRead", std::mem::size_of::<types::CardRead>()),
        ("PaymentRead", std::mem::size_of::<types::PaymentRead>()),
        (
            "MonetaryAccountBank",
            std::mem::size_of::<types::MonetaryAccountBank>(),
        ),
        (
            "DraftPaymentRead",
            std::mem::size_of::<types::DraftPaymentRead>(),
        ),
    ] {
        assert!(size <= 8 * 1024, "{name} is {size} bytes");
    }
}

#[test]
fn a_card_payments_geolocation_keeps_every_digit() {
    let text =
        include_str!("fixtures/wire/NotificationUrl_mutation_payment_geolocation_float.json");
    let (_, json) = objects("x", text).remove(0);
    let payment: types::PaymentRead = decode_object(&json).unwrap();
    let geolocation = payment.geolocation.as_ref().expect("a geolocation");
    let latitude = geolocation.latitude.as_ref().unwrap();
    assert_eq!(latitude.as_str(), "52.387862883215");
    assert_eq!(
        geolocation.longitude.as_ref().unwrap().as_str(),
        "4.8333778222355"
    );
}

#[test]
fn nulls_where_the_spec_says_list_decode_as_empty() {
    let text = include_str!("fixtures/wire/NotificationUrl_draft_payment_responses_null.json");
    let (_, json) = objects("x", text).remove(0);
    assert!(json.contains(r#""responses":null"#) || json.contains(r#""responses": null"#));
    let draft: types::DraftPaymentRead = decode_object(&json).unwrap();
    assert!(draft.responses.is_empty());
    assert!(draft.id.is_some() && draft.created.is_some());
}

#[test]
fn a_callback_urls_id_and_times_are_typed() {
    let text = include_str!("fixtures/wire/OauthCallbackUrl_read_provisioning_guide.json");
    let (_, json) = objects("x", text).remove(0);
    let url: types::OauthCallbackUrlRead = decode_object(&json).unwrap();
    assert!(url.id.is_some() && url.created.is_some() && url.updated.is_some());
    assert!(url.unknown_fields().is_empty());
}
