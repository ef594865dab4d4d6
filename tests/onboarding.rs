//! The whole OAuth onboarding against the built-in fake bunq, as an app runs
//! it: setup → authorize URL → redirect → callback → exchange → connect →
//! accounts. Every log line of the run is captured and checked for secrets.

use std::io::Write;
use std::sync::{Arc, Mutex};

use bunq_oauth::{OAuthConfig, PagedList, Session, SessionUser, parse_callback};
use bunq_oauth_fake::FakeBunq;

mod common;

const REDIRECT: &str = "https://app.example/oauth/callback";

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_whole_onboarding_runs_and_logs_no_secret() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = FakeBunq::start().await.unwrap();
    let client = common::fake_client(&fake);

    // Setup, as the app owner.
    let owner = common::owner_session(&client, &fake, "onboarding test").await;
    assert_eq!(owner.user_id(), fake.owner_user_id());
    let oauth_client = owner.oauth_client_manager().ensure_active().await.unwrap();
    owner
        .callback_url_manager(oauth_client.id)
        .ensure(REDIRECT)
        .await
        .unwrap();
    // Running setup again creates nothing.
    let again = owner.oauth_client_manager().ensure_active().await.unwrap();
    assert_eq!(again.id, oauth_client.id);
    owner
        .callback_url_manager(oauth_client.id)
        .ensure(REDIRECT)
        .await
        .unwrap();
    assert_eq!(
        owner
            .callback_url_manager(oauth_client.id)
            .list_all()
            .await
            .unwrap()
            .len(),
        1
    );

    // Authorize: the user approves at bunq, bunq redirects back.
    let config = OAuthConfig::new(
        oauth_client.client_id.clone(),
        oauth_client.secret.clone(),
        REDIRECT,
    )
    .unwrap();
    let request = config.authorize_url(&fake.environment()).unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(request.url().as_str()).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT), "{location}");

    let code = parse_callback(&location, request.state()).unwrap();
    let token = config.exchange_code(&client, &code).await.unwrap();
    // A code works once.
    assert!(config.exchange_code(&client, &code).await.is_err());

    let user = Session::new(
        &client,
        bunq_oauth::ApiContext::for_access_token(&client, &token, "onboarding test")
            .await
            .unwrap(),
    )
    .unwrap();
    let Some(SessionUser::ApiKey(key)) = user.user() else {
        panic!("{:?}", user.user())
    };
    assert_eq!(user.user_id(), key.id);
    assert_eq!(key.requested_by_user.id(), fake.owner_user_id());
    assert_eq!(key.granted_by_user.id(), fake.granting_user_id());

    let accounts = user.account_summaries().list().await.unwrap();
    assert!(!accounts.items.is_empty());
    assert!(
        accounts
            .items
            .iter()
            .all(|a| a.iban.as_deref().is_some_and(|i| i.starts_with("NL")))
    );
    assert!(accounts.items.iter().all(|a| a.balance.is_some()));

    // No secret of the run in any log line or Debug output.
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("opening a bunq session"),
        "logging was captured: {logged}"
    );
    let debug =
        format!("{owner:?} {user:?} {config:?} {token:?} {code:?} {request:?} {oauth_client:?}");
    for secret in [
        fake.owner_api_key().expose_secret().to_owned(),
        oauth_client.secret.expose_secret().to_owned(),
        token.expose_secret().to_owned(),
        code.expose_secret().to_owned(),
        request.state().expose_secret().to_owned(),
    ] {
        assert!(!logged.contains(&secret), "a secret was logged: {logged}");
        assert!(
            !debug.contains(&secret),
            "a secret is in Debug output: {debug}"
        );
    }
}
