//! Property tests: any byte sequence a server or a proxy sends goes through
//! the response path (envelope and error decoding, models, timestamps,
//! signature headers, pagination URLs, redirects, error excerpts) without a
//! panic and with bounded output. Seeded with the real bodies kept in
//! `tests/fixtures/` and mutated from there; the case count is bounded so it
//! runs in every `cargo test`.

use proptest::prelude::*;

use crate::envelope::{api_error, decode_id, decode_keyed, decode_list, decode_one, decode_user};
use crate::error::excerpt;
use crate::models::{CallbackUrl, OauthClientDetails, SessionUser, parse_timestamp};
use crate::pagination::PageRequest;
use crate::redact::redact_json_text;
use crate::secret::CsrfState;
use crate::signing::KeyPair;

/// The corpus: real bodies from `tests/fixtures/` (bunq's documented answers; see `tests/fixtures/README.md`).
const SEEDS: &[&str] = &[
    include_str!("../tests/fixtures/oauth_client_create.json"),
    include_str!("../tests/fixtures/oauth_client_read.json"),
    include_str!("../tests/fixtures/oauth_client_list.json"),
    include_str!("../tests/fixtures/callback_url_create.json"),
    include_str!("../tests/fixtures/callback_url_read.json"),
    include_str!("../tests/fixtures/callback_url_list.json"),
    include_str!("../tests/fixtures/payment_list.json"),
    include_str!("../tests/fixtures/monetary_account_list.json"),
    r#"{"Error":[{"error_description":"Insufficient authorisation.","error_description_translated":"Insufficient authorisation."}]}"#,
    r#"{"Response":[{"Id":{"id":1}},{"Token":{"token":"t"}},{"UserApiKey":{"id":4,"requested_by_user":{"UserPerson":{"id":1}},"granted_by_user":{"UserCompany":{"id":2}}}}]}"#,
];

/// A seed body with random edits: truncation, byte replacements, insertions.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        0..SEEDS.len(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..8),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(seed, edits, cut, truncate)| {
            let mut body = SEEDS[seed].as_bytes().to_vec();
            for (at, byte, kind) in edits {
                if body.is_empty() {
                    break;
                }
                let i = at.index(body.len());
                match kind {
                    0 => body[i] = byte,
                    1 => body.insert(i, byte),
                    _ => {
                        body.remove(i);
                    }
                }
            }
            if truncate && !body.is_empty() {
                body.truncate(cut.index(body.len()));
            }
            body
        })
}

fn any_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        mutated(),
        prop::collection::vec(any::<u8>(), 0..512),
        "\\PC{0,300}".prop_map(String::into_bytes),
    ]
}

/// Runs a body through every decoder of the response path.
fn decode_everything(body: &[u8]) {
    let reply = crate::envelope::Reply {
        operation: "hostile",
        body: bytes::Bytes::copy_from_slice(body),
        unknown_fields: crate::wire::UnknownFields::Refuse,
    };
    let _ = decode_id(&reply);
    let _ = decode_keyed::<serde_json::Value>(&reply, "Token");
    let _ = decode_one::<OauthClientDetails>(&reply);
    let _ = decode_list::<CallbackUrl>(&reply);
    let _ = decode_list::<OauthClientDetails>(&reply);
    let _ = decode_user(&reply);
    crate::api::decode_with_every_shape(body);
    let _ = serde_json::from_slice::<SessionUser>(body);
    let error = api_error(500, None, body);
    if let Some(text) = &error.body_excerpt {
        assert!(
            text.chars().count() <= 201,
            "excerpt of {} chars",
            text.chars().count()
        );
    }
    let _ = error.to_string();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_body_panics_the_decoders(body in any_body()) {
        decode_everything(&body);
    }

    #[test]
    fn excerpts_are_bounded_and_mask_secrets(body in any_body(), secret in "[a-z0-9]{12,24}") {
        let text = excerpt(&body);
        prop_assert!(text.chars().count() <= 201);
        let with_secret = format!(r#"{{"secret":"{secret}","x":1}}"#);
        prop_assert!(!excerpt(with_secret.as_bytes()).contains(&secret));
        let _ = redact_json_text(&String::from_utf8_lossy(&body));
    }

    #[test]
    fn timestamps_never_panic(text in "\\PC{0,40}", digits in "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{1,9}") {
        let _ = parse_timestamp(&text);
        let _ = parse_timestamp(&digits);
    }

    #[test]
    fn the_fast_timestamp_parser_agrees_with_chrono(
        text in "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,11})?",
        other in "\\PC{0,30}",
    ) {
        prop_assert_eq!(parse_timestamp(&text), crate::models::parse_timestamp_chrono(&text));
        prop_assert_eq!(parse_timestamp(&other), crate::models::parse_timestamp_chrono(&other));
    }

    #[test]
    fn signature_headers_never_panic(header in "\\PC{0,400}", body in any_body()) {
        let key = test_key();
        prop_assert!(key.public_key().verify(&body, &header).is_err());
    }

    #[test]
    fn extreme_retry_after_values_give_a_bounded_wait(
        seconds in prop_oneof![any::<u64>(), Just(u64::MAX), 0u64..100],
        text in "\\PC{0,30}",
    ) {
        let policy = crate::retry::RetryPolicy::default();
        for retry_after in [Some(seconds), text.trim().parse().ok(), None] {
            let decision = crate::retry::for_status(
                &policy,
                &reqwest::Method::POST,
                reqwest::StatusCode::TOO_MANY_REQUESTS,
                retry_after,
            );
            let crate::retry::Retry::After(wait) = decision else {
                panic!("a 429 is always retryable: {decision:?}");
            };
            // Bounded: a day and its jitter at most.
            prop_assert!(wait <= std::time::Duration::from_secs(24 * 3600).mul_f64(1.1));
        }
    }

    #[test]
    fn extreme_session_timeouts_give_a_representable_expiry(seconds in any::<u64>()) {
        let timeout = crate::context::session_timeout(Some(seconds));
        prop_assert!(timeout > std::time::Duration::ZERO);
        // The expiry computations of a session never overflow.
        let _ = chrono::Utc::now() + timeout;
    }

    #[test]
    fn redaction_never_panics_and_masks_query_secrets(text in "\\PC{0,300}", secret in "[a-z0-9]{12,24}") {
        let _ = crate::redact::redact_text(&text);
        let echoed = format!("{text} code={secret}&client_secret={secret}");
        prop_assert!(!crate::redact::redact_text(&echoed).contains(&secret));
    }

    #[test]
    fn pagination_urls_and_redirects_never_panic(url in "\\PC{0,200}") {
        let _ = PageRequest::from_url(&url);
        let _ = crate::oauth::parse_callback(&url, &CsrfState::new("state"));
    }
}

/// One key for the signature property (generating one per case is slow).
fn test_key() -> &'static KeyPair {
    static KEY: std::sync::OnceLock<KeyPair> = std::sync::OnceLock::new();
    KEY.get_or_init(|| KeyPair::generate().expect("key generation"))
}
