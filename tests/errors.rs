//! Every failure class of the request path gets its typed error, over real HTTP.

mod common;

use std::time::Duration;

use bunq_oauth::{Client, Environment, Error, OauthClientId, Session, SessionToken, UserId};
use httpmock::prelude::*;

fn session_with(
    server: &MockServer,
    configure: impl FnOnce(bunq_oauth::ClientBuilder) -> bunq_oauth::ClientBuilder,
) -> Session {
    // These tests are about decoding: answers are unsigned, so the signature
    // check (tested in tests/context.rs) is off here, and each answer is seen
    // once (retries are tested in tests/resilience.rs).
    let client = configure(
        Client::builder()
            .environment(common::environment_at(server))
            .verify_response_signatures(false)
            .retry_policy(bunq_oauth::RetryPolicy::none()),
    )
    .build()
    .expect("client");
    Session::with_token(&client, UserId(1), SessionToken::new("token"))
}

async fn read_with_answer(status: u16, body: &str, headers: &[(&str, &str)]) -> Error {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/oauth-client/789");
            let mut then = then.status(status).body(body);
            for (name, value) in headers {
                then = then.header(*name, *value);
            }
        })
        .await;
    session_with(&server, |b| b)
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .expect_err("the call must fail")
}

#[tokio::test]
async fn bunq_error_envelope_becomes_api_error_with_every_description() {
    let err = read_with_answer(
        400,
        r#"{"Error":[{"error_description":"User credentials are incorrect. Incorrect API key or IP address.","error_description_translated":"User credentials are incorrect. Incorrect API key or IP address."}]}"#,
        &[("x-bunq-client-response-id", "9f0e2b6a-resp")],
    )
    .await;
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 400);
    assert_eq!(
        api.messages,
        ["User credentials are incorrect. Incorrect API key or IP address."]
    );
    assert_eq!(api.response_id.as_deref(), Some("9f0e2b6a-resp"));
    let text = err.to_string();
    assert!(text.contains("Incorrect API key or IP address"), "{text}");
    assert!(text.contains("9f0e2b6a-resp"), "{text}");
    assert_eq!(err.status(), Some(400));
}

#[tokio::test]
async fn html_500_keeps_the_status_and_an_excerpt() {
    let err = read_with_answer(
        500,
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        &[],
    )
    .await;
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 500);
    assert!(api.messages.is_empty());
    assert!(
        api.body_excerpt
            .as_deref()
            .unwrap_or("")
            .starts_with("<html>"),
        "{api:?}"
    );
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let err = read_with_answer(200, r#"{"Response":[{"OauthClient":{"id":789,"#, &[]).await;
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn an_item_of_another_type_is_refused_naming_it() {
    // bunq's spec does not give the wrapper key, so it is not checked; an
    // object that is not an OAuth client still fails to decode as one,
    // and the error names the key it came under.
    let err = read_with_answer(200, r#"{"Response":[{"UserPerson":{"id":1}}]}"#, &[]).await;
    let Error::Decode { what, path, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(what, "UserPerson");
    assert_eq!(path, "Response[0].UserPerson");
}

#[tokio::test]
async fn two_items_where_one_is_answered_is_an_unexpected_envelope() {
    let err = read_with_answer(
        200,
        r#"{"Response":[{"OauthClient":{"id":1}},{"OauthClient":{"id":2}}]}"#,
        &[],
    )
    .await;
    let Error::UnexpectedEnvelope { expected, found } = &err else {
        panic!("{err:?}")
    };
    assert!(expected.contains("READ_OauthClient_for_User"), "{expected}");
    assert!(found.contains("OauthClient, OauthClient"), "{found}");
}

#[tokio::test]
async fn an_empty_response_array_is_an_unexpected_envelope() {
    let err = read_with_answer(200, r#"{"Response":[]}"#, &[]).await;
    assert!(
        matches!(&err, Error::UnexpectedEnvelope { found, .. } if found == "an empty Response array"),
        "{err:?}"
    );
}

/// The trap bunq's spec sets: its response schemas have every field optional
/// and no envelope, so a generated decoder "succeeds" with empty values. Both
/// the bare object the spec describes and an envelope with missing fields
/// must fail loudly here.
#[tokio::test]
async fn bodies_the_spec_schema_would_accept_as_empty_values_are_errors() {
    let bare = read_with_answer(
        200,
        r#"{"id":789,"status":"ACTIVE","client_id":"c","secret":"s","callback_url":[]}"#,
        &[],
    )
    .await;
    assert!(matches!(bare, Error::UnexpectedEnvelope { .. }), "{bare:?}");

    let empty = read_with_answer(200, r#"{"Response":[{"OauthClient":{}}]}"#, &[]).await;
    let Error::Decode { path, message, .. } = &empty else {
        panic!("{empty:?}")
    };
    assert_eq!(path, "Response[0].OauthClient");
    assert!(message.contains("missing field"), "{message}");
}

#[tokio::test]
async fn decode_errors_never_quote_the_client_secret() {
    let err = read_with_answer(
        200,
        r#"{"Response":[{"OauthClient":{"id":"not a number","status":"ACTIVE","client_id":"c","secret":"hunter2-secret","callback_url":[]}}]}"#,
        &[],
    )
    .await;
    let Error::Decode { path, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, "Response[0].OauthClient.id");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
}

#[tokio::test]
async fn unknown_fields_and_statuses_are_tolerated() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/oauth-client/789");
            then.status(200).body(
                r#"{"Response":[{"OauthClient":{"id":789,"status":"PAUSED","display_name":"App","client_id":"c","secret":"s","callback_url":null,"new_field":{"x":1}}}],"Extra":true}"#,
            );
        })
        .await;
    let client = session_with(&server, |b| b)
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap();
    assert_eq!(client.status.as_str(), "PAUSED");
    assert_eq!(client.display_name.as_deref(), Some("App"));
    assert!(client.callback_urls.is_empty());
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/oauth-client/789");
            then.status(200).delay(Duration::from_secs(3)).body("{}");
        })
        .await;
    let err = session_with(&server, |b| b.timeout(Duration::from_millis(300)))
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap_err();
    // The request reached the server before the answer was late.
    assert!(matches!(err, Error::Timeout { sent: true, .. }), "{err:?}");
    assert!(err.to_string().contains("may have reached bunq"), "{err}");
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let server = MockServer::start_async().await;
    let big = format!(
        r#"{{"Response":[{{"Id":{{"id":1}}}}],"pad":"{}"}}"#,
        "x".repeat(10_000)
    );
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/oauth-client/789");
            then.status(200).body(big);
        })
        .await;
    let err = session_with(&server, |b| b.max_response_bytes(1024))
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 1024 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_that_was_not_sent() {
    // Bind then drop a listener to get a loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = format!("http://127.0.0.1:{port}/v1");
    let client = Client::builder()
        .environment(Environment::custom(&nowhere, &nowhere, &nowhere).unwrap())
        .build()
        .unwrap();
    let err = Session::with_token(&client, UserId(1), SessionToken::new("t"))
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { sent: false, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn plain_http_to_a_non_loopback_host_is_refused() {
    let err = Environment::custom(
        "http://api.bunq.com/v1",
        "https://oauth.bunq.com/auth",
        "https://api.oauth.bunq.com/v1/token",
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn an_extreme_retry_after_is_an_error_at_once_not_a_panic_or_a_sleep() {
    for retry_after in ["18446744073709551615", "100000000"] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(GET).path("/v1/user/1/oauth-client/789");
                then.status(429)
                    .header("retry-after", retry_after)
                    .body(r#"{"Error":[{"error_description":"Too many requests."}]}"#);
            })
            .await;
        let started = std::time::Instant::now();
        let err = session_with(&server, |b| {
            b.retry_policy(bunq_oauth::RetryPolicy::default())
        })
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap_err();
        assert_eq!(err.status(), Some(429), "{retry_after}: {err:?}");
        assert!(err.to_string().contains("Too many requests"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5), "{retry_after}");
    }
}

#[tokio::test]
async fn a_wait_for_a_place_past_the_deadline_is_a_timeout_that_sent_nothing() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/oauth-client/789");
            then.status(200)
                .body(r#"{"Response":[{"OauthClient":{"id":789,"status":"ACTIVE","client_id":"c","secret":"s","callback_url":[]}}]}"#);
        })
        .await;
    let limits =
        bunq_oauth::RateLimits::uniform(bunq_oauth::Limit::new(1, Duration::from_secs(60)));
    let session = session_with(&server, |b| {
        b.rate_limits(Some(limits))
            .deadline(Duration::from_millis(500))
    });
    session
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let err = session
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { sent: false, .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        mock.calls_async().await,
        1,
        "the second call was never sent"
    );
}
