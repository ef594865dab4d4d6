//! What an OAuth grant is for, against the fake bunq over loopback, through
//! the generated operations: payments between the user's own accounts,
//! draft-payments the user approves, request-inquiries, and the refusals.

use std::time::Duration;

use bunq_oauth::api::{self, types};
use bunq_oauth::{Amount, Error, PagedList, Session};
use bunq_oauth_fake::{FakeBunq, FakeConfig, Fault, FaultKind};

mod common;

const REDIRECT: &str = "https://app.example/oauth/callback";

/// The fake, a client, and a session as the user who granted access.
async fn connected(config: FakeConfig) -> (FakeBunq, Session) {
    let fake = FakeBunq::start_with(config).await.unwrap();
    let client = common::fake_client(&fake);
    let owner = common::owner_session(&client, &fake, "grant test").await;
    let user = common::granted_user(&client, &fake, &owner, REDIRECT, "grant test").await;
    (fake, user)
}

/// The user's accounts as (id, IBAN, balance).
async fn accounts(user: &Session) -> Vec<(i64, String, String)> {
    let page = user.api().monetary_accounts().list().await.unwrap();
    page.items
        .iter()
        .filter_map(|account| match account {
            api::MonetaryAccount::MonetaryAccountBank(bank) => {
                let iban = bank
                    .alias
                    .iter()
                    .find(|a| a.type_.as_deref() == Some("IBAN"))?
                    .value
                    .clone()?;
                Some((bank.id?, iban, bank.balance.as_ref()?.value.clone()))
            }
            _ => None,
        })
        .collect()
}

fn payment(value: &str, iban: &str, description: &str) -> types::Payment {
    types::Payment {
        amount: Some(Amount::new(value, "EUR").unwrap()),
        counterparty_alias: Some(alias(iban)),
        description: Some(description.into()),
        ..Default::default()
    }
}

fn alias(iban: &str) -> types::CounterpartyAlias {
    types::CounterpartyAlias {
        type_: Some("IBAN".into()),
        value: Some(iban.into()),
        name: Some("J. Walker".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_payment_between_the_users_own_accounts_moves_money_and_both_see_it() {
    let (_fake, user) = connected(FakeConfig::new()).await;
    let before = accounts(&user).await;
    let (from, to) = (&before[0], &before[1]);
    let id = user
        .api()
        .payments(from.0)
        .create(&payment("12.50", &to.1, "To the car fund"))
        .await
        .unwrap();

    let after = accounts(&user).await;
    let cents = |v: &str| (v.parse::<f64>().unwrap() * 100.0).round() as i64;
    assert_eq!(cents(&after[0].2), cents(&from.2) - 1250);
    assert_eq!(cents(&after[1].2), cents(&to.2) + 1250);

    let sent = user.api().payments(from.0).get(id).await.unwrap();
    assert_eq!(sent.amount.unwrap().value, "-12.50");
    assert_eq!(sent.description.as_deref(), Some("To the car fund"));
    let received = user.api().payments(to.0).list().await.unwrap();
    assert_eq!(received.items.len(), 1);
    assert_eq!(
        received.items[0].amount.as_ref().unwrap().value,
        "12.50",
        "the other side sees it"
    );
}

/// bunq's wire where its spec is wrong: the user's card payment (a
/// geolocation with fractions where the spec says integer, `null` where it
/// says list, fields its read schema lacks) lists with the rest, every
/// digit and field kept.
#[tokio::test]
async fn a_card_payment_with_a_geolocation_lists_with_every_field_kept() {
    use bunq_oauth::api::Received;
    let (_fake, user) = connected(FakeConfig::default()).await;
    let page = user.api().payments(2_083_712).list().await.unwrap();
    let card = page
        .items
        .iter()
        .find(|p| p.type_.as_deref() == Some("MASTERCARD"))
        .expect("the card payment is listed");
    let geolocation = card.geolocation.as_ref().expect("a geolocation");
    assert_eq!(
        geolocation.latitude.as_ref().map(|n| n.as_str()),
        Some("52.387862883215")
    );
    assert!(card.attachment.is_empty(), "null is an empty list");
    assert_eq!(card.status.as_deref(), Some("SETTLED"));
    assert_eq!(card.allow_chat, Some(true));
    assert!(
        card.unknown_fields().is_empty(),
        "{:?}",
        card.unknown_fields()
    );
    assert!(card.wire_json().unwrap().get().contains("52.387862883215"));
}

#[tokio::test]
async fn payments_list_page_after_page() {
    let (_fake, user) = connected(FakeConfig::new()).await;
    let list = accounts(&user).await;
    for n in 1..=5 {
        user.api()
            .payments(list[0].0)
            .create(&payment("0.01", &list[1].1, &format!("#{n}")))
            .await
            .unwrap();
    }
    let first = user
        .api()
        .payments(list[0].0)
        .list_page(bunq_oauth::PageRequest::new().count(2))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    assert!(first.older().is_some());
    let all: Vec<String> =
        futures::TryStreamExt::try_collect::<Vec<_>>(user.api().payments(list[0].0).stream())
            .await
            .unwrap()
            .into_iter()
            .filter_map(|p| p.description)
            .collect();
    assert_eq!(all, ["#5", "#4", "#3", "#2", "#1"]);
}

#[tokio::test]
async fn an_oauth_connection_cannot_pay_someone_else_and_nothing_changes() {
    let (_fake, user) = connected(FakeConfig::new()).await;
    let before = accounts(&user).await;
    let err = user
        .api()
        .payments(before[0].0)
        .create(&payment("5.00", "NL91ABNA0417164300", "Not allowed"))
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 400);
    assert!(api.messages[0].contains("draft-payment"), "{api}");
    assert_eq!(accounts(&user).await, before);
    assert!(
        user.api()
            .payments(before[0].0)
            .list()
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn bad_payments_are_refused_and_change_nothing() {
    let (_fake, user) = connected(FakeConfig::new()).await;
    let before = accounts(&user).await;
    let own = before[1].1.clone();
    let mut wrong_currency = payment("1.00", &own, "x");
    wrong_currency.amount =
        Some(serde_json::from_str(r#"{"value":"1.00","currency":"XYZ"}"#).unwrap());
    let mut three_decimals = payment("1.00", &own, "x");
    three_decimals.amount =
        Some(serde_json::from_str(r#"{"value":"1.001","currency":"EUR"}"#).unwrap());
    let mut negative = payment("1.00", &own, "x");
    negative.amount = Some(serde_json::from_str(r#"{"value":"-1.00","currency":"EUR"}"#).unwrap());
    for (what, body) in [
        ("not an IBAN", payment("1.00", "NL00BUNQ0000000000", "x")),
        (
            "too long a description",
            payment("1.00", &own, &"x".repeat(141)),
        ),
        ("an unknown currency", wrong_currency),
        ("three decimals", three_decimals),
        ("a negative amount", negative),
        ("more than the balance", payment("999999.00", &own, "x")),
    ] {
        let err = user
            .api()
            .payments(before[0].0)
            .create(&body)
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(400), "{what}: {err:?}");
    }
    // Refused before sending: the crate's own checks.
    assert!(Amount::new("1.234", "EUR").is_err());
    assert!(Amount::new("0.00", "EUR").is_err());
    assert_eq!(accounts(&user).await, before);
}

#[tokio::test]
async fn a_draft_payment_waits_for_the_user_then_pays() {
    let (fake, user) = connected(FakeConfig::new()).await;
    let before = accounts(&user).await;
    let draft = types::DraftPayment {
        entries: vec![types::DraftPaymentEntry {
            amount: Some(Amount::new("20.00", "EUR").unwrap()),
            counterparty_alias: Some(alias("NL91ABNA0417164300")),
            description: Some("Rent".into()),
            ..Default::default()
        }],
        number_of_required_accepts: 1.into(),
        previous_updated_timestamp: None,
        schedule: None,
        status: None,
    };
    let id = user
        .api()
        .draft_payments(before[0].0)
        .create(&draft)
        .await
        .unwrap();
    let pending = user
        .api()
        .draft_payments(before[0].0)
        .get(id)
        .await
        .unwrap();
    assert_eq!(pending.status.as_deref(), Some("PENDING"));
    assert_eq!(accounts(&user).await, before, "nothing moves while pending");

    assert!(fake.answer_draft_payment(id as u64, true));
    let accepted = user
        .api()
        .draft_payments(before[0].0)
        .get(id)
        .await
        .unwrap();
    assert_eq!(accepted.status.as_deref(), Some("ACCEPTED"));
    let after = accounts(&user).await;
    let cents = |v: &str| (v.parse::<f64>().unwrap() * 100.0).round() as i64;
    assert_eq!(cents(&after[0].2), cents(&before[0].2) - 2000);
    // Answered once only.
    assert!(!fake.answer_draft_payment(id as u64, false));

    // A draft-payment to nobody is refused.
    let empty = types::DraftPayment {
        entries: Vec::new(),
        ..draft
    };
    let err = user
        .api()
        .draft_payments(before[0].0)
        .create(&empty)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
}

#[tokio::test]
async fn the_fake_approves_on_its_own_when_asked_to() {
    let (_fake, user) =
        connected(FakeConfig::new().approve_after(Some(Duration::from_millis(50)))).await;
    let account = accounts(&user).await[0].0;
    let inquiry = types::RequestInquiry {
        amount_inquired: Some(Amount::new("7.50", "EUR").unwrap()),
        counterparty_alias: Some(types::CounterpartyAlias {
            type_: Some("EMAIL".into()),
            value: Some("friend@example.com".into()),
            name: Some("Friend".into()),
            ..Default::default()
        }),
        description: Some("Lunch".into()),
        allow_bunqme: false,
        ..serde_json::from_str("{\"allow_bunqme\":false}").unwrap()
    };
    let id = user
        .api()
        .request_inquiries(account)
        .create(&inquiry)
        .await
        .unwrap();
    let listed = user.api().request_inquiries(account).list().await.unwrap();
    assert_eq!(listed.items[0].status.as_deref(), Some("PENDING"));
    tokio::time::sleep(Duration::from_millis(80)).await;
    let answered = user.api().request_inquiries(account).get(id).await.unwrap();
    assert_eq!(answered.status.as_deref(), Some("ACCEPTED"));
}

#[tokio::test]
async fn unknown_ids_and_other_users_accounts_are_bunqs_404() {
    let (_fake, user) = connected(FakeConfig::new()).await;
    let account = accounts(&user).await[0].0;
    let err = user.api().payments(account).get(999_999).await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 404);
    assert_eq!(api.messages, ["Payment not found."]);
    // The app owner's account is not the user's.
    let err = user.api().payments(2_083_650).list().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
}

/// The connection breaks after bunq made the payment: the crate does not
/// send it again (a POST is never retried blindly), and exactly one payment
/// exists.
#[tokio::test]
async fn a_payment_is_never_duplicated_when_the_connection_breaks_after_bunq_made_it() {
    let (fake, user) = connected(FakeConfig::new()).await;
    let list = accounts(&user).await;
    fake.inject(Fault::new(FaultKind::DropAfterHandling).on(reqwest::Method::POST, "/payment"));
    let err = user
        .api()
        .payments(list[0].0)
        .create(&payment("3.00", &list[1].1, "Once"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    let made = user.api().payments(list[0].0).list().await.unwrap();
    assert_eq!(made.items.len(), 1, "exactly one payment");
}

/// The user, and accounts by kind: a savings account opened through the
/// generated create gets an IBAN, shows in both lists, and takes a payment.
#[tokio::test]
async fn the_user_and_accounts_by_kind() {
    let (_fake, user) = connected(FakeConfig::new()).await;
    let users = user.api().users().list().await.unwrap();
    assert!(matches!(
        users.items.as_slice(),
        [api::User::UserApiKey(key)] if key.id == Some(user.user_id().get() as i64)
    ));

    let banks = user.api().monetary_account_banks().list().await.unwrap();
    assert_eq!(banks.items.len(), 3);
    let savings = types::MonetaryAccountSavings {
        currency: Some("EUR".into()),
        description: Some("Holiday".into()),
        ..serde_json::from_str(
            r#"{"currency":"EUR","savings_goal":{"value":"500.00","currency":"EUR"}}"#,
        )
        .unwrap()
    };
    let id = user
        .api()
        .monetary_account_savings()
        .create(&savings)
        .await
        .unwrap();
    let opened = user.api().monetary_account_savings().get(id).await.unwrap();
    assert_eq!(opened.description.as_deref(), Some("Holiday"));
    assert_eq!(opened.balance.as_ref().unwrap().value, "0.00");
    let iban = opened
        .alias
        .iter()
        .find_map(|a| a.value.clone())
        .expect("an IBAN");
    assert_eq!(accounts(&user).await.len(), 3, "banks only in this helper");
    let all = user.api().monetary_accounts().list().await.unwrap();
    assert_eq!(all.items.len(), 4);

    user.api()
        .payments(banks.items[0].id.unwrap())
        .create(&payment("100.00", &iban, "Saving up"))
        .await
        .unwrap();
    let saved = user.api().monetary_account_savings().get(id).await.unwrap();
    assert_eq!(saved.balance.unwrap().value, "100.00");

    let renamed = types::MonetaryAccountSavings {
        description: Some("Summer".into()),
        ..savings
    };
    user.api()
        .monetary_account_savings()
        .update(id, &renamed)
        .await
        .unwrap();
    let read = user.api().monetary_account_savings().get(id).await.unwrap();
    assert_eq!(read.description.as_deref(), Some("Summer"));
    assert_eq!(
        read.balance.unwrap().value,
        "100.00",
        "an update moves no money"
    );
}

/// Cards: read, and assign one of the user's accounts (not someone else's).
/// Request-responses: read, but an OAuth connection does not answer them.
#[tokio::test]
async fn cards_and_requests_made_to_the_user() {
    let (_fake, user) = connected(FakeConfig::new()).await;
    let cards = user.api().cards().list().await.unwrap();
    assert_eq!(cards.items.len(), 1);
    let card = &cards.items[0];
    assert_eq!(card.name_on_card.as_deref(), Some("J. WALKER"));
    let id = card.id.unwrap();
    let car = accounts(&user)
        .await
        .into_iter()
        .find(|(_, iban, _)| iban == "NL17BUNQ2090415428")
        .unwrap()
        .0;
    let assign = |account: i64| -> types::Card {
        serde_json::from_value(serde_json::json!({
            "pin_code_assignment": [{"type": "PRIMARY", "monetary_account_id": account}]
        }))
        .unwrap()
    };
    let updated = user.api().cards().update(id, &assign(car)).await.unwrap();
    assert_eq!(
        updated.pin_code_assignment[0].monetary_account_id,
        Some(car),
        "{updated:?}"
    );
    let err = user
        .api()
        .cards()
        .update(id, &assign(2_083_650))
        .await
        .unwrap_err();
    assert_eq!(
        err.status(),
        Some(400),
        "the owner's account is not the user's"
    );
    assert_eq!(
        user.api()
            .cards()
            .get(id)
            .await
            .unwrap()
            .pin_code_assignment[0]
            .monetary_account_id,
        Some(car)
    );

    let main = 2_083_712;
    let requests = user.api().request_responses(main).list().await.unwrap();
    assert_eq!(requests.items.len(), 1);
    let request = &requests.items[0];
    assert_eq!(request.status.as_deref(), Some("PENDING"));
    assert_eq!(request.amount_inquired.as_ref().unwrap().value, "15.00");
    let answer: types::RequestResponse =
        serde_json::from_value(serde_json::json!({"status": "ACCEPTED"})).unwrap();
    let err = user
        .api()
        .request_responses(main)
        .update(request.id.unwrap(), &answer)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");
    assert!(
        user.api()
            .request_responses(2_083_719)
            .list()
            .await
            .unwrap()
            .items
            .is_empty(),
        "requests are per account"
    );
}

/// The caller's own installation, its server key and its device, through
/// the generated reads.
#[tokio::test]
async fn the_installation_and_device_read_back() {
    let (fake, user) = connected(FakeConfig::new()).await;
    let installations = user.api().installations().list().await.unwrap();
    assert_eq!(installations.items.len(), 1);
    let id = installations.items[0].id.unwrap();
    assert_eq!(
        user.api().installations().get(id).await.unwrap().id,
        Some(id)
    );
    let keys = user.api().server_public_keys(id).list().await.unwrap();
    let pem = keys.items[0].server_public_key.clone().unwrap();
    assert_eq!(pem, fake.server_public_key().to_pem());
    let devices = user.api().device_servers().list().await.unwrap();
    assert_eq!(devices.items.len(), 1);
    assert_eq!(devices.items[0].description.as_deref(), Some("grant test"));
    let device = devices.items[0].id.unwrap();
    assert_eq!(
        user.api().device_servers().get(device).await.unwrap().id,
        Some(device)
    );
    // Someone else's installation: bunq's 404.
    let err = user
        .api()
        .installations()
        .get(id + 1_000)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
}
