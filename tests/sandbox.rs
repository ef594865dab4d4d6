//! bunq's sandbox in one step, over loopback: a sandbox user from
//! `POST /sandbox-user-person` (or `-company`) whose API key opens a context,
//! and money from the sugar daddy; each refusal typed and sending nothing
//! where it can be seen locally.

mod common;

use bunq_oauth::sandbox::{self, SUGAR_DADDY, UserKind};
use bunq_oauth::{
    Amount, ApiContext, Client, Environment, Error, MonetaryAccountId, PagedList, Session,
    SessionUser,
};
use bunq_oauth_fake::FakeBunq;
use httpmock::prelude::*;

fn eur(value: &str) -> Amount {
    Amount::new(value, "EUR").unwrap()
}

/// A new sandbox user's session on the fake, and its one account.
async fn sandbox_user(client: &Client, kind: UserKind) -> (Session, MonetaryAccountId) {
    let api_key = sandbox::create_user(client, kind).await.unwrap();
    assert!(api_key.expose_secret().starts_with("sandbox_"));
    let context = ApiContext::create(client, api_key, "sandbox test")
        .await
        .unwrap();
    let session = Session::new(client, context).unwrap();
    let accounts = session.account_summaries().list_all().await.unwrap();
    assert_eq!(accounts.len(), 1, "a new sandbox user has one account");
    (session, accounts[0].id)
}

async fn balance(session: &Session, account: MonetaryAccountId) -> String {
    let accounts = session.account_summaries().list_all().await.unwrap();
    let account = accounts.iter().find(|a| a.id == account).unwrap();
    account.balance.clone().unwrap().value
}

#[tokio::test]
async fn a_sandbox_person_and_company_get_their_own_api_keys() {
    let fake = FakeBunq::start().await.unwrap();
    let client = common::fake_client(&fake);

    let (person, person_account) = sandbox_user(&client, UserKind::Person).await;
    let (company, company_account) = sandbox_user(&client, UserKind::Company).await;
    assert!(matches!(person.user(), Some(SessionUser::Person(_))));
    assert!(matches!(company.user(), Some(SessionUser::Company(_))));
    assert_ne!(person.user_id(), company.user_id());
    assert_ne!(person.user_id(), fake.owner_user_id());
    assert_ne!(person_account, company_account);
    assert_eq!(fake.stats().sandbox_users, 2);
    // Each sees only its own account, and it starts empty.
    assert_eq!(balance(&person, person_account).await, "0.00");
    let owner = common::owner_session(&client, &fake, "owner").await;
    let owner_accounts = owner.account_summaries().list_all().await.unwrap();
    assert!(owner_accounts.iter().all(|a| a.id != person_account));
}

#[tokio::test]
async fn the_sugar_daddy_funds_a_sandbox_account_at_once() {
    let fake = FakeBunq::start().await.unwrap();
    let client = common::fake_client(&fake);
    let (session, account) = sandbox_user(&client, UserKind::Person).await;

    let request = sandbox::fund(&session, account, &eur("500")).await.unwrap();
    sandbox::fund(&session, account, &eur("0.5")).await.unwrap();
    assert_eq!(balance(&session, account).await, "500.50");

    let account_path = i64::try_from(account.get()).unwrap();
    let asked = session
        .api()
        .request_inquiries(account_path)
        .get(request)
        .await
        .unwrap();
    assert_eq!(asked.status.as_deref(), Some("ACCEPTED"));
    let to = asked.counterparty_alias.unwrap();
    assert_eq!(to.display_name.as_deref(), Some("Sugar Daddy"));
    // The money arrived as payments into the account.
    let payments = session
        .api()
        .payments(account_path)
        .list()
        .await
        .unwrap()
        .items;
    let mut received: Vec<String> = payments
        .iter()
        .map(|p| p.amount.clone().unwrap().value)
        .collect();
    received.sort();
    assert_eq!(received, ["0.50", "500.00"]);
}

#[tokio::test]
async fn funding_over_500_euro_or_in_another_currency_is_refused_before_sending() {
    let fake = FakeBunq::start().await.unwrap();
    let client = common::fake_client(&fake);
    let (session, account) = sandbox_user(&client, UserKind::Person).await;
    let before = fake.stats().requests_total;
    for amount in [
        eur("500.01"),
        eur("1000"),
        Amount::new("10", "USD").unwrap(),
    ] {
        let refused = sandbox::fund(&session, account, &amount).await;
        assert!(
            matches!(refused, Err(Error::InvalidInput(ref m)) if m.contains("500")),
            "{amount:?}: {refused:?}"
        );
    }
    assert_eq!(fake.stats().requests_total, before, "nothing was sent");
    assert_eq!(balance(&session, account).await, "0.00");
}

#[tokio::test]
async fn the_fake_refuses_a_sugar_daddy_request_over_500_euro_with_bunqs_error() {
    // The generated operation, not `sandbox::fund`: what a client that skips
    // the local check gets from the sandbox.
    let fake = FakeBunq::start().await.unwrap();
    let client = common::fake_client(&fake);
    let (session, account) = sandbox_user(&client, UserKind::Person).await;
    let body: bunq_oauth::api::types::RequestInquiry = serde_json::from_value(serde_json::json!({
        "amount_inquired": {"value": "750.00", "currency": "EUR"},
        "counterparty_alias": {"type": "EMAIL", "value": SUGAR_DADDY},
        "description": "too much",
        "allow_bunqme": false,
    }))
    .unwrap();
    let account_path = i64::try_from(account.get()).unwrap();
    let refused = session
        .api()
        .request_inquiries(account_path)
        .create(&body)
        .await;
    match refused {
        Err(Error::Api(e)) => {
            assert_eq!(e.status, 400);
            assert!(e.to_string().contains("500.00 EUR"), "{e}");
        }
        other => panic!("expected bunq's refusal, got {other:?}"),
    }
    assert_eq!(balance(&session, account).await, "0.00");
}

#[tokio::test]
async fn production_has_no_sandbox_users_and_no_sugar_daddy() {
    let client = Client::builder()
        .environment(Environment::production())
        .build()
        .unwrap();
    // Refused before anything is sent: no network here, so a sent request
    // would be a transport error, not a configuration error.
    let refused = sandbox::create_user(&client, UserKind::Person).await;
    assert!(
        matches!(refused, Err(Error::Config(ref m)) if m.contains("sandbox")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_answer_without_an_api_key_is_an_error_not_an_empty_key() {
    let server = MockServer::start_async().await;
    for body in [
        r#"{"Response":[{"ApiKey":{}}]}"#,
        r#"{"Response":[{"ApiKey":{"api_key":""}}]}"#,
        r#"{"Response":[]}"#,
        r#"{"Error":[{"error_description":"nope"}]}"#,
    ] {
        let mock = server
            .mock_async(|when, then| {
                when.method(POST).path("/v1/sandbox-user-person");
                then.status(200).body(body);
            })
            .await;
        let client = Client::builder()
            .environment(common::environment_at(&server))
            .build()
            .unwrap();
        let answer = sandbox::create_user(&client, UserKind::Person).await;
        assert!(
            matches!(
                answer,
                Err(Error::UnexpectedEnvelope { .. } | Error::Decode { .. })
            ),
            "{body}: {answer:?}"
        );
        mock.delete_async().await;
    }
}

#[tokio::test]
async fn a_sandbox_user_key_is_never_printed() {
    let fake = FakeBunq::start().await.unwrap();
    let client = common::fake_client(&fake);
    let api_key = sandbox::create_user(&client, UserKind::Company)
        .await
        .unwrap();
    let printed = format!("{api_key:?}");
    assert!(!printed.contains(api_key.expose_secret()), "{printed}");
}
