//! Callbacks over loopback: notification filters set through the generated
//! operations, each category the fake emits arriving typed at an app's
//! route, a failed delivery retried, listed and replayed (and handled once
//! by its event id), the source check, and hostile bodies.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use bunq_oauth::api::{NotificationObject, types};
use bunq_oauth::notifications::{CallbackReceiver, Notification, NotificationError};
use bunq_oauth::{
    Amount, Error, MonetaryAccountId, NotificationFilter, PagedList, Session, UserId,
};
use bunq_oauth_fake::{FakeBunq, FakeConfig};
use common::CallbackSink;
use proptest::prelude::*;

fn filters(categories: &[&str], target: &str) -> Vec<NotificationFilter> {
    categories
        .iter()
        .map(|c| NotificationFilter::new(c, target).unwrap())
        .collect()
}

/// The granting user's session through an OAuth connection, and their accounts.
async fn connected(fake: &FakeBunq) -> (Session, Vec<(i64, String)>) {
    // Pacing off: after a revocation the session's renewal would otherwise
    // wait out bunq's one session-server call per 30 s.
    let client = common::unpaced_client(fake);
    let owner = common::owner_session(&client, fake, "owner").await;
    let user = common::granted_user(&client, fake, &owner, "https://app.example/cb", "user").await;
    let accounts = user
        .account_summaries()
        .list_all()
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id.get() as i64, a.iban.unwrap_or_default()))
        .collect();
    (user, accounts)
}

fn transfer(value: &str, iban: &str) -> types::Payment {
    types::Payment {
        amount: Some(Amount::new(value, "EUR").unwrap()),
        counterparty_alias: Some(types::CounterpartyAlias {
            type_: Some("IBAN".into()),
            value: Some(iban.into()),
            name: Some("J. Walker".into()),
            ..Default::default()
        }),
        description: Some("Savings".into()),
        ..Default::default()
    }
}

/// The next `n` callbacks, as (category, event type) pairs and the events.
async fn next(sink: &CallbackSink, n: usize) -> (BTreeSet<(String, String)>, Vec<Notification>) {
    let mut events = Vec::new();
    for _ in 0..n {
        events.push(sink.next().await);
    }
    let pairs = events
        .iter()
        .map(|e| (e.category.clone(), e.event_type.clone()))
        .collect();
    (pairs, events)
}

fn pairs(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    list.iter()
        .map(|(c, e)| (c.to_string(), e.to_string()))
        .collect()
}

#[tokio::test]
async fn filters_are_replaced_listed_and_cleared_per_user_and_account() {
    let fake = FakeBunq::start().await.unwrap();
    // Pacing off: a dozen calls in a row would wait out bunq's GET limit.
    let client = common::unpaced_client(&fake);
    let owner = common::owner_session(&client, &fake, "owner").await;
    let account = owner.account_summaries().list_all().await.unwrap()[0].id;
    let target = "https://app.example/bunq";

    let user = owner.notification_filters();
    assert!(user.list().await.unwrap().is_empty());
    let set = user
        .add(&filters(&["MUTATION", "PAYMENT"], target))
        .await
        .unwrap();
    assert_eq!(set, filters(&["MUTATION", "PAYMENT"], target));
    // Adding what is there keeps it once; the account's set is its own.
    let set = user.add(&filters(&["MUTATION"], target)).await.unwrap();
    assert_eq!(set.len(), 2);
    let on_account = owner.account_notification_filters(account);
    assert!(on_account.list().await.unwrap().is_empty());
    on_account
        .replace(&filters(&["DRAFT_PAYMENT"], target))
        .await
        .unwrap();
    assert_eq!(user.list().await.unwrap().len(), 2);

    // The generated listing decodes one filter per item, typed.
    let items = owner
        .api()
        .notification_filter_urls()
        .list()
        .await
        .unwrap()
        .items;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].notification_target.as_deref(), Some(target));

    // bunq allows two URLs per category: the fake refuses a third, and
    // nothing changes.
    let three: Vec<_> = (0..3)
        .map(|i| NotificationFilter::new("MUTATION", &format!("https://app.example/{i}")).unwrap())
        .collect();
    let refused = user.replace(&three).await.unwrap_err();
    assert_eq!(refused.status(), Some(400), "{refused:?}");
    assert_eq!(user.list().await.unwrap().len(), 2);

    user.clear().await.unwrap();
    assert!(user.list().await.unwrap().is_empty());
    assert_eq!(on_account.list().await.unwrap().len(), 1);
    // Not https: refused before anything is sent.
    let sent = fake.stats().requests_total;
    assert!(matches!(
        NotificationFilter::new("MUTATION", "http://app.example/bunq"),
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(fake.stats().requests_total, sent);
}

#[tokio::test]
async fn each_category_the_fake_emits_arrives_typed() {
    let fake = FakeBunq::start().await.unwrap();
    let sink = CallbackSink::start().await;
    let (user, accounts) = connected(&fake).await;
    let categories = [
        "MUTATION",
        "PAYMENT",
        "DRAFT_PAYMENT",
        "REQUEST",
        "CARD_TRANSACTION_SUCCESSFUL",
        "OAUTH",
    ];
    user.notification_filters()
        .add(&filters(&categories, &sink.url))
        .await
        .unwrap();

    // A payment between the user's own accounts: money leaves one, arrives at the other.
    let (from, to_iban) = (accounts[0].0, accounts[1].1.clone());
    let paid = user
        .api()
        .payments(from)
        .create(&transfer("10.00", &to_iban))
        .await
        .unwrap();
    let (seen, events) = next(&sink, 4).await;
    assert_eq!(
        seen,
        pairs(&[
            ("MUTATION", "MUTATION_CREATED"),
            ("MUTATION", "MUTATION_RECEIVED"),
            ("PAYMENT", "PAYMENT_CREATED"),
            ("PAYMENT", "PAYMENT_RECEIVED"),
        ])
    );
    for event in &events {
        let NotificationObject::Payment(payment) = &event.object else {
            panic!("{event:?}");
        };
        let value = &payment.amount.as_ref().unwrap().value;
        if event.event_type.ends_with("CREATED") {
            assert_eq!(payment.id, Some(paid));
            assert_eq!(value, "-10.00");
        } else {
            assert_eq!(value, "10.00");
        }
    }

    // A draft-payment the user approves: its answer, then the money leaving.
    let draft = types::DraftPayment {
        entries: vec![types::DraftPaymentEntry {
            amount: Some(Amount::new("20.00", "EUR").unwrap()),
            counterparty_alias: transfer("1", "NL91ABNA0417164300").counterparty_alias,
            description: Some("Rent".into()),
            ..Default::default()
        }],
        number_of_required_accepts: 1.into(),
        previous_updated_timestamp: None,
        schedule: None,
        status: None,
    };
    let draft_id = user
        .api()
        .draft_payments(from)
        .create(&draft)
        .await
        .unwrap();
    assert!(
        sink.quiet_for(Duration::from_millis(300)).await,
        "nothing while pending"
    );
    assert!(fake.answer_draft_payment(draft_id as u64, true));
    let (seen, events) = next(&sink, 3).await;
    assert_eq!(
        seen,
        pairs(&[
            ("DRAFT_PAYMENT", "DRAFT_PAYMENT_ACCEPTED"),
            ("MUTATION", "MUTATION_CREATED"),
            ("PAYMENT", "PAYMENT_CREATED"),
        ])
    );
    let answered = events
        .iter()
        .find_map(|e| match &e.object {
            NotificationObject::DraftPayment(d) => Some(d),
            _ => None,
        })
        .unwrap();
    assert_eq!(answered.id, Some(draft_id));
    assert_eq!(answered.status.as_deref(), Some("ACCEPTED"));

    // A request-inquiry the other side rejects.
    let request: types::RequestInquiry = serde_json::from_value(serde_json::json!({
        "amount_inquired": {"value": "5.00", "currency": "EUR"},
        "counterparty_alias": {"type": "EMAIL", "value": "friend@example.com"},
        "description": "Lunch",
        "allow_bunqme": false,
    }))
    .unwrap();
    let request_id = user
        .api()
        .request_inquiries(from)
        .create(&request)
        .await
        .unwrap();
    assert!(fake.answer_request_inquiry(request_id as u64, false));
    let event = sink.next().await;
    assert_eq!(
        (event.category.as_str(), event.event_type.as_str()),
        ("REQUEST", "REQUEST_INQUIRY_REJECTED")
    );
    let NotificationObject::RequestInquiry(rejected) = &event.object else {
        panic!("{event:?}");
    };
    assert_eq!(rejected.id, Some(request_id));

    // A card payment at a shop (the fake's control API).
    let action = fake
        .card_payment(fake.granting_user_id(), from as u64, 450, "Coffee Shop")
        .unwrap();
    let (seen, events) = next(&sink, 3).await;
    assert!(seen.contains(&(
        "CARD_TRANSACTION_SUCCESSFUL".to_owned(),
        "CARD_PAYMENT_ALLOWED".to_owned()
    )));
    let card = events
        .iter()
        .find(|e| e.category == "CARD_TRANSACTION_SUCCESSFUL")
        .unwrap();
    assert_eq!(card.kind(), "MasterCardAction");
    assert_eq!(card.object_id(), Some(action as i64));

    // The user revokes the connection in the bunq app.
    let connection = UserId(user.user_id().get());
    assert!(fake.revoke_connection(connection));
    let event = sink.next().await;
    assert_eq!(
        (event.category.as_str(), event.event_type.as_str()),
        ("OAUTH", "OAUTH_CONNECTION_REVOKED")
    );
    assert_eq!(event.object_id(), Some(connection.get() as i64));
    // Its session is gone, and renewing it with the revoked token fails.
    let gone = user.account_summaries().list().await.unwrap_err();
    assert!(matches!(gone.status(), Some(400 | 401)), "{gone:?}");
}

#[tokio::test]
async fn a_failed_delivery_is_retried_then_listed_replayed_and_handled_once() {
    let fake =
        FakeBunq::start_with(FakeConfig::new().callback_retries(2, Duration::from_millis(50)))
            .await
            .unwrap();
    let sink = CallbackSink::start().await;
    let (user, accounts) = connected(&fake).await;
    let from = MonetaryAccountId(accounts[0].0 as u64);
    // On the paying account only: one event per payment.
    user.account_notification_filters(from)
        .replace(&filters(&["MUTATION"], &sink.url))
        .await
        .unwrap();
    sink.answer(500);
    user.api()
        .payments(accounts[0].0)
        .create(&transfer("1.00", &accounts[1].1))
        .await
        .unwrap();

    // Three tries (one and two retries) of the same event...
    let mut handled = HashSet::new();
    for _ in 0..3 {
        let event = sink.next().await;
        assert_eq!(event.event_type, "MUTATION_CREATED");
        handled.insert(event.event_id());
    }
    // ...handled once by its id.
    assert_eq!(handled.len(), 1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while fake.stats().callbacks_failed < 1 {
        assert!(tokio::time::Instant::now() < deadline, "{:?}", fake.stats());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(fake.stats().callback_attempts, 3);

    let failures = user
        .api()
        .notification_filter_failures()
        .list()
        .await
        .unwrap()
        .items;
    assert_eq!(failures.len(), 1);
    let failure = &failures[0];
    assert_eq!(failure.event_type.as_deref(), Some("MUTATION_CREATED"));
    assert_eq!(
        failure.response_code.as_ref().and_then(|c| c.as_i64()),
        Some(500)
    );

    // Replayed once the app is back: delivered, and no longer listed.
    sink.answer(200);
    let ids = failure.id.unwrap().to_string();
    user.api()
        .notification_filter_failures()
        .create(&types::NotificationFilterFailure {
            notification_filter_failed_ids: ids,
        })
        .await
        .unwrap();
    let replayed = sink.next().await;
    assert!(handled.contains(&replayed.event_id()), "the same event");
    let failures = user
        .api()
        .notification_filter_failures()
        .list()
        .await
        .unwrap();
    assert!(failures.items.is_empty());
    // An unknown failure id is bunq's 404, nothing delivered.
    let unknown = user
        .api()
        .notification_filter_failures()
        .create(&types::NotificationFilterFailure {
            notification_filter_failed_ids: "999999".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));
}

#[tokio::test]
async fn a_callback_from_outside_the_allowed_range_is_refused() {
    let fake = FakeBunq::start().await.unwrap();
    let sink = CallbackSink::start().await;
    let (user, accounts) = connected(&fake).await;
    user.notification_filters()
        .replace(&filters(&["MUTATION"], &sink.url))
        .await
        .unwrap();
    user.api()
        .payments(accounts[0].0)
        .create(&transfer("1.00", &accounts[1].1))
        .await
        .unwrap();
    let (peer, body) = sink.next_raw().await;
    // bunq production's range by default: the fake's loopback is outside it.
    let refused = CallbackReceiver::new().receive(peer.ip(), &body);
    assert!(matches!(
        refused,
        Err(NotificationError::SourceNotAllowed { .. })
    ));
    // And a body over the limit, before it is parsed.
    let small = CallbackReceiver::new()
        .source(bunq_oauth::notifications::SourceCheck::any())
        .max_body(body.len() - 1);
    assert!(matches!(
        small.receive(peer.ip(), &body),
        Err(NotificationError::TooLarge { .. })
    ));
}

/// The real callbacks under tests/fixtures/wire parse, each to its kind.
#[test]
fn bunqs_real_callbacks_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wire");
    let mut parsed = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("NotificationUrl_") {
            continue;
        }
        let body = std::fs::read(&path).unwrap();
        let event = Notification::parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        let typed = !matches!(event.object, NotificationObject::Unknown { .. });
        let expect_typed = [
            "Payment",
            "DraftPayment",
            "RequestInquiry",
            "RequestResponse",
        ]
        .contains(&event.kind())
            || cfg!(feature = "full-api");
        if expect_typed {
            assert!(typed, "{name}: {} stayed Unknown", event.kind());
        }
        parsed += 1;
    }
    assert_eq!(parsed, 10);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any bytes: a value or a typed error, never a panic.
    #[test]
    fn hostile_bodies_never_panic_the_parser(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Notification::parse(&body);
    }

    /// A real callback cut anywhere, or with a byte changed: the same.
    #[test]
    fn damaged_real_callbacks_never_panic(cut in 0usize..4000, at in 0usize..4000, byte in any::<u8>()) {
        let body = include_bytes!("fixtures/wire/NotificationUrl_mutation_created_bunq.json");
        let _ = Notification::parse(&body[..cut.min(body.len())]);
        let mut changed = body.to_vec();
        let at = at % changed.len();
        changed[at] = byte;
        let _ = Notification::parse(&changed);
    }
}

/// The filter list decoded from what bunq really sends: the production
/// answer quoted in bunq/sdk_php#177 (one `NotificationFilterUrl` per filter,
/// escaped slashes), and one with the fields bunq's SDK models add and a
/// `Pagination`, over real HTTP. (bunq's partner description's example also
/// sends `all_user_id` as numbers where the SDK models say strings: that
/// body does not decode yet; see the stop note.)
#[tokio::test]
async fn bunqs_real_filter_answers_decode() {
    use httpmock::prelude::*;
    let server = MockServer::start_async().await;
    let key = common::ServerKey::new();
    let bodies = [
        r#"{"Response":[{"NotificationFilterUrl":{"category":"MUTATION","notification_target":"https:\/\/somewebsite.com"}}]}"#,
        r#"{"Response":[{"NotificationFilterUrl":{"id":7,"created":"2025-01-01 10:00:00.000000","category":"MUTATION","notification_target":"https://webhook.site/callback"}}],"Pagination":{"future_url":null,"newer_url":null,"older_url":null}}"#,
    ];
    let client = bunq_oauth::Client::builder()
        .environment(common::environment_at(&server))
        .build()
        .unwrap();
    let session = Session::with_token(&client, UserId(42), bunq_oauth::SessionToken::new("t"))
        .with_server_key(key.public());
    for (body, target) in bodies
        .iter()
        .zip(["https://somewebsite.com", "https://webhook.site/callback"])
    {
        let mock = server
            .mock_async(|when, then| {
                when.method(GET).path("/v1/user/42/notification-filter-url");
                key.answer(then, body);
            })
            .await;
        let filters = session.notification_filters().list().await.unwrap();
        assert_eq!(
            filters,
            [NotificationFilter::new("MUTATION", target).unwrap()]
        );
        mock.delete_async().await;
    }
}
