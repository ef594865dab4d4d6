//! Rate limits, retries, faults and paging against the built-in fake bunq
//! with its rate limits and fault injection on.

use std::time::Duration;

use bunq_oauth::signing::SignatureError;
use bunq_oauth::{ApiContext, Client, Error, OauthClientId, PagedList, RetryPolicy, Session};
use bunq_oauth_fake::{FakeBunq, FakeConfig, Fault, FaultKind};
use reqwest::Method;

/// The owner's session on `fake`, with the given client options.
async fn owner(
    fake: &FakeBunq,
    configure: impl FnOnce(bunq_oauth::ClientBuilder) -> bunq_oauth::ClientBuilder,
) -> Session {
    let client = configure(Client::builder().environment(fake.environment()))
        .build()
        .unwrap();
    let context = ApiContext::create(&client, fake.owner_api_key(), "resilience test")
        .await
        .unwrap();
    Session::new(&client, context).unwrap()
}

/// Quick retries, no pacing: the fault tests are about outcomes, not timing.
fn quick(builder: bunq_oauth::ClientBuilder) -> bunq_oauth::ClientBuilder {
    builder
        .rate_limits(None)
        .timeout(Duration::from_millis(800))
        .retry_policy(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(20), Duration::from_millis(100))
                .with_rate_limited_wait(Duration::from_millis(200)),
        )
}

#[tokio::test]
async fn the_fake_answers_429_past_its_limit_and_the_client_waits_it_out() {
    let fake = FakeBunq::start_with(FakeConfig::default().rate_limits(Some(
        bunq_oauth_fake::RateLimits::uniform(2, Duration::from_millis(500)),
    )))
    .await
    .unwrap();
    // Pacing off on purpose: only the retry policy handles the 429s.
    let session = owner(&fake, |b| {
        b.rate_limits(None).retry_policy(
            RetryPolicy::default()
                .with_max_retries(10)
                .with_rate_limited_wait(Duration::from_millis(300)),
        )
    })
    .await;
    let id = session.oauth_client_manager().create().await.unwrap();
    for _ in 0..5 {
        session
            .oauth_client_manager()
            .get(id)
            .await
            .expect("retried until allowed");
    }
    assert!(
        fake.stats().rate_limited > 0,
        "the fake did refuse some calls"
    );
}

async fn client_with_urls(session: &Session) -> OauthClientId {
    session.oauth_client_manager().create().await.unwrap()
}

async fn callback_count(session: &Session, id: OauthClientId) -> usize {
    session
        .callback_url_manager(id)
        .list_all()
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_503_on_a_read_is_retried() {
    let fake = FakeBunq::start().await.unwrap();
    let session = owner(&fake, quick).await;
    let id = client_with_urls(&session).await;
    fake.inject(Fault::new(FaultKind::Status503).on(Method::GET, "/oauth-client/"));
    let before = fake.stats().requests_total;
    session
        .oauth_client_manager()
        .get(id)
        .await
        .expect("retried after the 503");
    assert_eq!(fake.stats().requests_total - before, 2);
}

#[tokio::test]
async fn a_500_on_an_update_is_retried() {
    let fake = FakeBunq::start().await.unwrap();
    let session = owner(&fake, quick).await;
    let id = client_with_urls(&session).await;
    let url = session
        .callback_url_manager(id)
        .create("https://app.example/a")
        .await
        .unwrap();
    fake.inject(Fault::new(FaultKind::Status500).on(Method::PUT, "/callback-url/"));
    session
        .callback_url_manager(id)
        .update(url, "https://app.example/b")
        .await
        .expect("retried");
    assert_eq!(
        session.callback_url_manager(id).get(url).await.unwrap().url,
        "https://app.example/b"
    );
}

#[tokio::test]
async fn a_503_on_a_create_is_reported_not_retried() {
    let fake = FakeBunq::start().await.unwrap();
    let session = owner(&fake, quick).await;
    let id = client_with_urls(&session).await;
    fake.inject(Fault::new(FaultKind::Status503).on(Method::POST, "/callback-url"));
    let err = session
        .callback_url_manager(id)
        .create("https://app.example/a")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "{err:?}");
    assert_eq!(callback_count(&session, id).await, 0);
}

#[tokio::test]
async fn a_429_on_a_create_is_retried_once_and_creates_once() {
    let fake = FakeBunq::start().await.unwrap();
    let session = owner(&fake, quick).await;
    let id = client_with_urls(&session).await;
    fake.inject(Fault::new(FaultKind::Status429).on(Method::POST, "/callback-url"));
    session
        .callback_url_manager(id)
        .create("https://app.example/a")
        .await
        .expect("retried after the 429");
    assert_eq!(callback_count(&session, id).await, 1);
}

#[tokio::test]
async fn a_connection_dropped_before_handling_a_create_is_outcome_unknown() {
    let fake = FakeBunq::start().await.unwrap();
    let session = owner(&fake, quick).await;
    let id = client_with_urls(&session).await;
    fake.inject(Fault::new(FaultKind::DropBeforeHandling).on(Method::POST, "/callback-url"));
    let err = session
        .callback_url_manager(id)
        .create("https://app.example/a")
        .await
        .unwrap_err();
    let Error::OutcomeUnknown { request_id, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        request_id.len(),
        36,
        "the request id is named: {request_id}"
    );
    assert_eq!(
        callback_count(&session, id).await,
        0,
        "not handled, not retried"
    );
}

#[tokio::test]
async fn a_connection_dropped_after_handling_a_create_is_outcome_unknown_and_not_duplicated() {
    let fake = FakeBunq::start().await.unwrap();
    let session = owner(&fake, quick).await;
    let id = client_with_urls(&session).await;
    fake.inject(Fault::new(FaultKind::DropAfterHandling).on(Method::POST, "/callback-url"));
    let err = session
        .callback_url_manager(id)
        .create("https://app.example/a")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(
        callback_count(&session, id).await,
        1,
        "handled once, never sent again"
    );
}

#[tokio::test]
async fn a_connection_dropped_on_a_read_is_retried() {
    let fake = FakeBunq::start().await.unwrap();
    let session = owner(&fake, quick).await;
    let id = client_with_urls(&session).await;
    fake.inject(Fault::new(FaultKind::DropBeforeHandling).on(Method::GET, "/oauth-client/"));
    session
        .oauth_client_manager()
        .get(id)
        .await
        .expect("retried");
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout_naming_the_request() {
    let fake = FakeBunq::start().await.unwrap();
    let session = owner(&fake, quick).await;
    let id = client_with_urls(&session).await;
    fake.inject(
        Fault::new(FaultKind::Slow(Duration::from_secs(3))).on(Method::GET, "/oauth-client/"),
    );
    let err = session.oauth_client_manager().get(id).await.unwrap_err();
    let Error::Timeout { request_id, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(request_id.is_some());
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let fake = FakeBunq::start().await.unwrap();
    let session = owner(&fake, quick).await;
    let id = client_with_urls(&session).await;
    fake.inject(Fault::new(FaultKind::MalformedJson).on(Method::GET, "/oauth-client/"));
    let err = session.oauth_client_manager().get(id).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn bad_and_missing_signatures_are_refused() {
    let fake = FakeBunq::start().await.unwrap();
    let session = owner(&fake, quick).await;
    let id = client_with_urls(&session).await;
    fake.inject(Fault::new(FaultKind::BadSignature).on(Method::GET, "/oauth-client/"));
    let err = session.oauth_client_manager().get(id).await.unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Mismatch)),
        "{err:?}"
    );
    fake.inject(Fault::new(FaultKind::MissingSignature).on(Method::GET, "/oauth-client/"));
    let err = session.oauth_client_manager().get(id).await.unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Missing)),
        "{err:?}"
    );
    // A refused signature on a create: the write happened once, and the
    // client did not send it again.
    fake.inject(Fault::new(FaultKind::BadSignature).on(Method::POST, "/callback-url"));
    let err = session
        .callback_url_manager(id)
        .create("https://app.example/a")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Signature(_)), "{err:?}");
    assert_eq!(callback_count(&session, id).await, 1);
}

#[tokio::test]
async fn unknown_extra_fields_are_ignored() {
    let fake = FakeBunq::start().await.unwrap();
    let session = owner(&fake, quick).await;
    let id = client_with_urls(&session).await;
    fake.inject(Fault::new(FaultKind::UnknownFields).on(Method::GET, "/oauth-client/"));
    let client = session.oauth_client_manager().get(id).await.unwrap();
    assert_eq!(client.id, id);
    assert_eq!(fake.stats().oauth_clients, 1);
}
