//! The generated operations (`session.api()`) over real HTTP (httpmock on
//! loopback): typed answers, pages and streams, union answers, request
//! bodies, and the shape checks that keep an all-`Option` type from
//! "decoding" the wrong body.

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use bunq_oauth::api::{self, types};
use bunq_oauth::{Amount, Client, Error, PageRequest, PagedList, Session, SessionToken, UserId};
use common::ServerKey;
use futures::TryStreamExt;
use httpmock::prelude::*;

const TOKEN: &str = "session-token-0123456789";

fn bunq_key() -> &'static ServerKey {
    static KEY: OnceLock<ServerKey> = OnceLock::new();
    KEY.get_or_init(ServerKey::new)
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn session(server: &MockServer) -> Session {
    let client = Client::builder()
        .environment(common::environment_at(server))
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    Session::with_token(&client, UserId(1), SessionToken::new(TOKEN))
        .with_server_key(bunq_key().public())
}

const PAYMENTS: &str = "/v1/user/1/monetary-account/11/payment";

#[tokio::test]
async fn payments_come_typed_page_after_page() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PAYMENTS)
                .query_param_missing("older_id")
                .header("x-bunq-client-authentication", TOKEN);
            bunq_key().answer(then, &fixture("payment_list.json"));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PAYMENTS)
                .query_param("older_id", "2010");
            bunq_key().answer(
                then,
                r#"{"Response":[{"Payment":{"id":2009,"amount":{"value":"0.01","currency":"EUR"}}}],"Pagination":{"older_url":null,"newer_url":null,"future_url":null}}"#,
            );
        })
        .await;

    let session = session(&server);
    let page = session.api().payments(11).list().await.unwrap();
    assert_eq!(page.items.len(), 2);
    let payment = &page.items[0];
    assert_eq!(payment.id, Some(2011));
    assert_eq!(payment.description.as_deref(), Some("Rent share"));
    // Amounts stay decimal text; timestamps are bunq's, parsed.
    let amount = payment.amount.as_ref().unwrap();
    assert_eq!(
        (amount.value.as_str(), amount.currency.as_str()),
        ("-12.50", "EUR")
    );
    assert_eq!(
        payment.created.unwrap().to_string(),
        "2025-08-13 14:45:20.123456"
    );
    assert_eq!(
        payment.counterparty_alias.as_ref().unwrap().iban.as_deref(),
        Some("NL98BUNQ9876543210")
    );

    let all: Vec<types::PaymentListing> = session
        .api()
        .payments(11)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<Option<i64>> = all.iter().map(|p| p.id).collect();
    assert_eq!(ids, [Some(2011), Some(2010), Some(2009)]);
    assert_eq!(first.calls_async().await, 2);
    assert_eq!(second.calls_async().await, 1);
}

#[tokio::test]
async fn a_payment_is_created_from_a_typed_body_and_answers_its_id() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path(PAYMENTS).json_body(serde_json::json!({
                "amount": {"value": "12.50", "currency": "EUR"},
                "counterparty_alias": {"type": "IBAN", "value": "NL98BUNQ9876543210", "name": "Savings"},
                "description": "To savings",
            }));
            bunq_key().answer(then, r#"{"Response":[{"Id":{"id":2012}}]}"#);
        })
        .await;
    let body = types::Payment {
        amount: Some(Amount::new("12.50", "EUR").unwrap()),
        counterparty_alias: Some(types::CounterpartyAlias {
            type_: Some("IBAN".into()),
            value: Some("NL98BUNQ9876543210".into()),
            name: Some("Savings".into()),
            ..Default::default()
        }),
        description: Some("To savings".into()),
        ..Default::default()
    };
    let id = session(&server)
        .api()
        .payments(11)
        .create(&body)
        .await
        .unwrap();
    assert_eq!(id, 2012);
    create.assert_async().await;
}

#[tokio::test]
async fn a_union_answer_is_an_enum_that_keeps_kinds_it_does_not_know() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/monetary-account");
            let body = fixture("monetary_account_list.json")
                .replace("MonetaryAccountInvestment", "MonetaryAccountFromTheFuture");
            bunq_key().answer(then, &body);
        })
        .await;
    let page = session(&server)
        .api()
        .monetary_accounts()
        .list()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 3);
    match &page.items[0] {
        api::MonetaryAccount::MonetaryAccountBank(bank) => {
            assert_eq!(bank.id, Some(11));
            assert_eq!(bank.balance.as_ref().unwrap().value, "87.50");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &page.items[1],
        api::MonetaryAccount::MonetaryAccountSavings(s) if s.id == Some(12)
    ));
    match &page.items[2] {
        api::MonetaryAccount::Unknown { key, value } => {
            assert_eq!(key, "MonetaryAccountFromTheFuture");
            assert_eq!(value["id"], 13);
        }
        other => panic!("{other:?}"),
    }
}

/// Answers of the wrong shape are refused, naming the operation: never an
/// all-`None` value.
#[tokio::test]
async fn a_body_of_the_wrong_shape_is_an_unexpected_envelope() {
    let server = MockServer::start_async().await;
    let cases = [
        // Two items where one is answered.
        (
            "/v1/user/1/monetary-account/11/payment/1",
            r#"{"Response":[{"Payment":{"id":1}},{"Payment":{"id":2}}]}"#,
            "exactly one item",
        ),
        // An object without its id.
        (
            "/v1/user/1/monetary-account/11/payment/2",
            r#"{"Response":[{"Payment":{}}]}"#,
            "an object with an `id`",
        ),
        // Nothing at all.
        (
            "/v1/user/1/monetary-account/11/payment/3",
            r#"{"Response":[]}"#,
            "exactly one item",
        ),
    ];
    for (path, body, _) in cases {
        server
            .mock_async(|when, then| {
                when.method(GET).path(path);
                bunq_key().answer(then, body);
            })
            .await;
    }
    let session = session(&server);
    for (index, (_, _, expected_text)) in cases.iter().enumerate() {
        let err = session
            .api()
            .payments(11)
            .get(index as i64 + 1)
            .await
            .unwrap_err();
        let Error::UnexpectedEnvelope { expected, .. } = &err else {
            panic!("case {index}: {err:?}")
        };
        assert!(
            expected.contains("READ_Payment_for_User_MonetaryAccount")
                && expected.contains(expected_text),
            "case {index}: {expected}"
        );
    }

    // A list item without an id, and a create that answers no id.
    server
        .mock_async(|when, then| {
            when.method(GET).path(PAYMENTS);
            bunq_key().answer(
                then,
                r#"{"Response":[{"Payment":{"id":1}},{"Payment":{"description":"x"}}]}"#,
            );
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(PAYMENTS);
            bunq_key().answer(then, r#"{"Response":[{"Payment":{"id":1}}]}"#);
        })
        .await;
    let err = session.api().payments(11).list().await.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedEnvelope { found, .. } if found.contains("Response[1]")),
        "{err:?}"
    );
    let err = session
        .api()
        .payments(11)
        .create(&types::Payment::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedEnvelope { .. }), "{err:?}");
}

#[tokio::test]
async fn secrets_in_generated_types_never_reach_debug_output() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/oauth-client/5");
            bunq_key().answer(
                then,
                r#"{"Response":[{"OauthClient":{"id":5,"status":"ACTIVE","client_id":"public-id","secret":"s3cr3t-value-never-printed","callback_url":[]}}]}"#,
            );
        })
        .await;
    let client = session(&server).api().oauth_clients().get(5).await.unwrap();
    let printed = format!("{client:?}");
    assert!(!printed.contains("s3cr3t-value-never-printed"), "{printed}");
    assert!(printed.contains("public-id"), "{printed}");
    assert_eq!(
        client.secret.as_ref().unwrap().expose_secret(),
        "s3cr3t-value-never-printed"
    );
}

#[tokio::test]
async fn a_page_request_goes_on_the_wire() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/user/1/monetary-account/11/draft-payment")
                .query_param("count", "200");
            bunq_key().answer(then, r#"{"Response":[],"Pagination":{"older_url":null,"newer_url":null,"future_url":null}}"#);
        })
        .await;
    let page = session(&server)
        .api()
        .draft_payments(11)
        .list_page(PageRequest::new().count(200))
        .await
        .unwrap();
    assert!(page.items.is_empty());
    list.assert_async().await;
}

#[test]
fn the_operation_table_lists_every_generated_operation() {
    let table = api::OPERATIONS;
    let expected = if cfg!(feature = "full-api") { 480 } else { 56 };
    assert_eq!(table.len(), expected);
    let mut ids: Vec<&str> = table.iter().map(|op| op.operation_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), table.len(), "an operation twice");
    let create = table
        .iter()
        .find(|op| op.operation_id == "CREATE_DraftPayment_for_User_MonetaryAccount")
        .unwrap();
    assert_eq!(create.method, "POST");
    assert_eq!(create.shape, bunq_oauth::api::Shape::Id);
    assert_eq!(
        create.call,
        "draft_payments(monetary_account_id).create(body)"
    );
}

/// What bunq sends that the types do not know stays reachable (`Keep`),
/// and a client can be told to log it or refuse the answer (strict mode),
/// naming the field but never its value.
#[tokio::test]
async fn unknown_fields_are_kept_or_refused_as_the_client_is_told() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PAYMENTS);
            bunq_key().answer(
                then,
                r#"{"Response":[{"Payment":{"id":2011,"description":"Lunch","new_field":{"secret_value":"do-not-print"},"geolocation":{"latitude":52.1,"speed":3}}}],"Pagination":{"older_url":null,"newer_url":null,"future_url":null}}"#,
            );
        })
        .await;

    let page = session(&server).api().payments(11).list().await.unwrap();
    let payment = &page.items[0];
    use bunq_oauth::api::Received;
    assert_eq!(
        payment.unknown_fields(),
        ["/geolocation/speed", "/new_field"]
    );
    let wire = payment
        .wire_json()
        .expect("the JSON is kept")
        .to_value()
        .unwrap();
    assert_eq!(wire["new_field"]["secret_value"], "do-not-print");
    assert!(!format!("{payment:?}").contains("do-not-print"));

    let strict = Client::builder()
        .environment(common::environment_at(&server))
        .unknown_fields(api::UnknownFields::Refuse)
        .build()
        .unwrap();
    let strict = Session::with_token(&strict, UserId(1), SessionToken::new(TOKEN))
        .with_server_key(bunq_key().public());
    match strict.api().payments(11).list().await {
        Err(Error::UnknownFields { operation, fields }) => {
            assert_eq!(operation, "List_all_Payment_for_User_MonetaryAccount");
            assert_eq!(
                fields,
                ["Response[0]/geolocation/speed", "Response[0]/new_field"]
            );
        }
        other => panic!("expected UnknownFields, got {other:?}"),
    }
    let message = strict
        .api()
        .payments(11)
        .list()
        .await
        .unwrap_err()
        .to_string();
    assert!(!message.contains("do-not-print"), "{message}");
}

/// A server that hands out pages without end (each `older_url` one id
/// lower, valid every time) stops a stream at the client's page cap with a
/// typed error, after exactly that many requests.
#[tokio::test]
async fn endless_pages_stop_at_the_page_cap() {
    let server = MockServer::start_async().await;
    let page = |id: u64| {
        format!(
            r#"{{"Response":[{{"Payment":{{"id":{id},"description":"again"}}}}],"Pagination":{{"older_url":"/v1/user/1/monetary-account/11/payment?count=200&older_id={id}","newer_url":null,"future_url":null}}}}"#
        )
    };
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PAYMENTS)
                .query_param_missing("older_id");
            bunq_key().answer(then, &page(100));
        })
        .await;
    let mut older = Vec::new();
    for id in (90..100u64).rev() {
        let body = page(id);
        older.push(
            server
                .mock_async(move |when, then| {
                    when.method(GET)
                        .path(PAYMENTS)
                        .query_param("older_id", (id + 1).to_string());
                    bunq_key().answer(then, &body);
                })
                .await,
        );
    }
    let client = Client::builder()
        .environment(common::environment_at(&server))
        .max_list_pages(3)
        .rate_limits(None)
        .build()
        .unwrap();
    let session = Session::with_token(&client, UserId(1), SessionToken::new(TOKEN))
        .with_server_key(bunq_key().public());
    match session.api().payments(11).list_all().await {
        Err(Error::ListTooLong { pages }) => assert_eq!(pages, 3),
        other => panic!("expected ListTooLong, got {other:?}"),
    }
    // Three pages read (ids 100, 99, 98), no fourth request.
    assert_eq!(first.calls_async().await, 1);
    assert_eq!(older[0].calls_async().await, 1);
    assert_eq!(older[1].calls_async().await, 1);
    assert_eq!(older[2].calls_async().await, 0);
}
