//! The OAuth authorization-code flow over real HTTP (httpmock on loopback):
//! authorize URL, callback, token exchange, connect, and the setup helpers.

mod common;

use std::sync::OnceLock;

use bunq_oauth::{
    AuthorizationCode, Client, ClientSecret, CsrfState, Environment, Error, OAuthConfig,
    OAuthError, OauthClientId, Session, SessionToken, SessionUser, UserId, parse_callback,
};
use common::ServerKey;
use httpmock::prelude::*;

const REDIRECT: &str = "https://app.example/oauth/callback?tenant=a&b=c d";

fn config() -> OAuthConfig {
    OAuthConfig::new(
        "client_abc123def456",
        ClientSecret::new("secret_xyz789uvw012"),
        REDIRECT,
    )
    .unwrap()
}

#[test]
fn the_authorize_url_has_exactly_bunqs_query() {
    let request = config().authorize_url(&Environment::sandbox()).unwrap();
    let url = request.url();
    assert_eq!(url.scheme(), "https");
    assert_eq!(url.host_str(), Some("oauth.sandbox.bunq.com"));
    assert_eq!(url.path(), "/auth");
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        [
            ("response_type".into(), "code".into()),
            ("client_id".into(), "client_abc123def456".into()),
            ("redirect_uri".into(), REDIRECT.into()),
            ("state".into(), request.state().expose_secret().into()),
        ]
    );
    // The redirect URI is encoded, so its own query cannot leak into ours.
    assert!(
        url.as_str().contains(
            "redirect_uri=https%3A%2F%2Fapp.example%2Foauth%2Fcallback%3Ftenant%3Da%26b%3Dc+d"
        ),
        "{url}"
    );
}

#[test]
fn states_are_fresh_and_at_least_128_bits() {
    let a = CsrfState::random().unwrap();
    let b = CsrfState::random().unwrap();
    assert_ne!(a.expose_secret(), b.expose_secret());
    // base64url of 32 random bytes: 43 characters, 256 bits.
    assert_eq!(a.expose_secret().len(), 43);
    assert!(
        a.expose_secret()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    );
    assert_eq!(format!("{a:?}"), "CsrfState([redacted])");
}

#[test]
fn production_endpoints_are_bunqs() {
    assert_eq!(
        Environment::production().oauth_authorize_url().as_str(),
        "https://oauth.bunq.com/auth"
    );
    assert_eq!(
        Environment::production().oauth_token_url().as_str(),
        "https://api.oauth.bunq.com/v1/token"
    );
    assert_eq!(
        Environment::sandbox().oauth_token_url().as_str(),
        "https://api-oauth.sandbox.bunq.com/v1/token"
    );
}

#[test]
fn the_callback_yields_the_code_when_the_state_matches() {
    let state = CsrfState::new("kept-state");
    let code = parse_callback(
        "https://app.example/oauth/callback?code=abc%2B1&state=kept-state",
        &state,
    )
    .unwrap();
    assert_eq!(code.expose_secret(), "abc+1");
    let code = parse_callback("?state=kept-state&code=xyz", &state).unwrap();
    assert_eq!(code.expose_secret(), "xyz");
    let code = parse_callback("code=q&state=kept-state", &state).unwrap();
    assert_eq!(code.expose_secret(), "q");
    // As an HTTP server sees the request target.
    let code = parse_callback("/oauth/callback?code=p&state=kept-state", &state).unwrap();
    assert_eq!(code.expose_secret(), "p");
}

#[test]
fn a_state_mismatch_is_refused() {
    let state = CsrfState::new("kept-state");
    for redirect in [
        "https://app.example/cb?code=abc&state=other-state",
        "https://app.example/cb?code=abc&state=kept-stat",
        "https://app.example/cb?code=abc",
        "https://app.example/cb?code=abc&state=",
    ] {
        let err = parse_callback(redirect, &state).unwrap_err();
        assert!(
            matches!(err, Error::OAuth(OAuthError::StateMismatch)),
            "{redirect}: {err:?}"
        );
    }
}

#[test]
fn a_denied_authorization_is_typed() {
    let state = CsrfState::new("s");
    let err = parse_callback(
        "https://app.example/cb?error=access_denied&error_description=The+user+denied+access.&state=s",
        &state,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "authorization refused: access_denied (The user denied access.)"
    );
    let Error::OAuth(OAuthError::Denied { error, description }) = err else {
        panic!()
    };
    assert_eq!(error, "access_denied");
    assert_eq!(description.as_deref(), Some("The user denied access."));
}

#[test]
fn a_forged_denial_without_the_state_is_a_state_mismatch() {
    let state = CsrfState::new("kept");
    for forged in [
        "/callback?error=access_denied",
        "/callback?error=access_denied&state=other",
    ] {
        let err = parse_callback(forged, &state).unwrap_err();
        assert!(
            matches!(err, Error::OAuth(OAuthError::StateMismatch)),
            "{forged}: {err:?}"
        );
    }
}

#[test]
fn remote_denial_text_loses_its_control_characters() {
    let state = CsrfState::new("s");
    let err = parse_callback(
        "/callback?state=s&error=access%1B%5B2J_denied&error_description=%1B%5B31mRun+this%07%0Anow",
        &state,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(text.contains("access[2J_denied"), "{text:?}");
}

#[test]
fn a_redirect_uri_must_be_https_except_on_loopback() {
    let secret = || ClientSecret::new("s");
    for ok in [
        "https://app.example/cb",
        "http://127.0.0.1:8765/callback",
        "http://localhost/cb",
    ] {
        assert!(OAuthConfig::new("id", secret(), ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://app.example/cb",
        "http://10.0.0.2/cb",
        "ftp://app.example/cb",
        "not a url",
    ] {
        assert!(
            matches!(OAuthConfig::new("id", secret(), bad), Err(Error::Config(_))),
            "{bad}"
        );
    }
}

#[test]
fn a_missing_code_or_a_malformed_redirect_is_typed() {
    let state = CsrfState::new("s");
    let err = parse_callback("https://app.example/cb?state=s", &state).unwrap_err();
    assert!(
        matches!(err, Error::OAuth(OAuthError::MissingCode)),
        "{err:?}"
    );
    let err = parse_callback("https://app.example/cb?state=s&code=", &state).unwrap_err();
    assert!(
        matches!(err, Error::OAuth(OAuthError::MissingCode)),
        "{err:?}"
    );
    let err = parse_callback("https://app.example/cb?state=s&code=a&code=b", &state).unwrap_err();
    assert!(
        matches!(err, Error::OAuth(OAuthError::MalformedCallback(_))),
        "{err:?}"
    );
    let err = parse_callback("http://[broken", &state).unwrap_err();
    assert!(
        matches!(err, Error::OAuth(OAuthError::MalformedCallback(_))),
        "{err:?}"
    );
}

fn client_at(server: &MockServer) -> Client {
    Client::builder()
        .environment(common::environment_at(server))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_code_exchange_posts_bunqs_query_and_reads_the_token() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/token")
                .query_param("grant_type", "authorization_code")
                .query_param("code", "code-123")
                .query_param("redirect_uri", REDIRECT)
                .query_param("client_id", "client_abc123def456")
                .query_param("client_secret", "secret_xyz789uvw012")
                .is_true(|req| req.query_params().len() == 5 && req.body().is_empty())
                .header_missing("x-bunq-client-authentication")
                .header_missing("x-bunq-client-signature");
            then.status(200).body(
                r#"{"access_token":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","token_type":"bearer","state":"s"}"#,
            );
        })
        .await;
    let token = config()
        .exchange_code(&client_at(&server), &AuthorizationCode::new("code-123"))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        token.expose_secret(),
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );
    assert_eq!(format!("{token:?}"), "AccessToken([redacted])");
}

#[tokio::test]
async fn an_oauth_error_body_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/token");
            then.status(400).body(
                r#"{"error":"invalid_grant","error_description":"The authorization code is invalid or expired."}"#,
            );
        })
        .await;
    let err = config()
        .exchange_code(&client_at(&server), &AuthorizationCode::new("used-code"))
        .await
        .unwrap_err();
    let Error::OAuth(OAuthError::TokenRejected {
        status,
        error,
        description,
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 400);
    assert_eq!(error, "invalid_grant");
    assert_eq!(
        description.as_deref(),
        Some("The authorization code is invalid or expired.")
    );
    // Neither the code nor the client secret shows up in the message.
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("used-code") && !text.contains("secret_xyz"),
        "{text}"
    );
}

#[tokio::test]
async fn a_non_oauth_failure_of_the_token_endpoint_keeps_the_status() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/token");
            then.status(502).body("<html>Bad Gateway</html>");
        })
        .await;
    let err = config()
        .exchange_code(&client_at(&server), &AuthorizationCode::new("c"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(OAuthError::TokenEndpoint { status: 502, body_excerpt }) if body_excerpt.contains("Bad Gateway")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_error_page_that_echoes_the_request_does_not_leak_the_code_or_secret() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/token");
            then.status(400).body(
                "<html><h1>Bad Request</h1><p>POST /v1/token?grant_type=authorization_code\
                 &code=code-echoed-123&redirect_uri=x&client_id=client_abc123def456\
                 &client_secret=secret_xyz789uvw012</p></html>",
            );
        })
        .await;
    let err = config()
        .exchange_code(
            &client_at(&server),
            &AuthorizationCode::new("code-echoed-123"),
        )
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("Bad Request"), "{text}");
    assert!(
        !text.contains("code-echoed-123") && !text.contains("secret_xyz789uvw012"),
        "{text}"
    );
}

#[tokio::test]
async fn a_refused_connection_to_the_token_endpoint_does_not_print_the_secret() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = format!("http://127.0.0.1:{port}/v1");
    let client = Client::builder()
        .environment(Environment::custom(&nowhere, &nowhere, &format!("{nowhere}/token")).unwrap())
        .build()
        .unwrap();
    let err = config()
        .exchange_code(&client, &AuthorizationCode::new("code-zzz"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { sent: false, .. }),
        "{err:?}"
    );
    let mut text = format!("{err} {err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    assert!(
        !text.contains("secret_xyz") && !text.contains("code-zzz"),
        "{text}"
    );
}

fn bunq_key() -> &'static ServerKey {
    static KEY: OnceLock<ServerKey> = OnceLock::new();
    KEY.get_or_init(ServerKey::new)
}

#[tokio::test]
async fn connect_opens_a_context_whose_user_is_the_user_api_key() {
    let server = MockServer::start_async().await;
    let bunq = bunq_key();
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/installation");
            bunq.answer(then, &serde_json::json!({"Response": [
                {"Id": {"id": 1}},
                {"Token": {"id": 1, "created": "2025-08-13 14:45:20.123456", "updated": "2025-08-13 14:45:20.123456", "token": "installation-for-token"}},
                {"ServerPublicKey": {"server_public_key": bunq.public().to_pem()}}
            ]}).to_string());
        })
        .await;
    let device = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/device-server")
                .json_body(serde_json::json!({"description": "my app", "secret": "access-token-1", "permitted_ips": ["*"]}));
            bunq.answer(then, r#"{"Response":[{"Id":{"id":2}}]}"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/session-server").json_body(serde_json::json!({"secret": "access-token-1"}));
            bunq.answer(then, r#"{"Response":[{"Id":{"id":3}},{"Token":{"id":3,"created":"2025-08-13 14:45:20.123456","updated":"2025-08-13 14:45:20.123456","token":"oauth-session"}},{"UserApiKey":{"id":4242,"requested_by_user":{"UserCompany":{"id":10,"display_name":"App BV","session_timeout":3600}},"granted_by_user":{"UserPerson":{"id":20,"display_name":"J. Walker","session_timeout":900}}}}]}"#);
        })
        .await;
    let client = Client::builder()
        .environment(common::environment_at(&server))
        .build()
        .unwrap();
    let context = bunq_oauth::ApiContext::for_access_token(
        &client,
        &bunq_oauth::AccessToken::new("access-token-1"),
        "my app",
    )
    .await
    .unwrap();
    device.assert_async().await;
    assert_eq!(context.user_id(), UserId(4242));
    let SessionUser::ApiKey(key) = context.user() else {
        panic!("{:?}", context.user())
    };
    assert_eq!(key.id, UserId(4242));
    assert!(
        matches!(key.requested_by_user.as_ref(), SessionUser::Company(u) if u.id == UserId(10))
    );
    assert!(matches!(key.granted_by_user.as_ref(), SessionUser::Person(u) if u.id == UserId(20)));
}

const ACTIVE_CLIENT_LIST: &str = r#"{"Response":[{"OauthClient":{"id":789,"status":"ACTIVE","display_name":null,"client_id":"client_abc123def456","secret":"secret_xyz789uvw012","callback_url":[]}}],"Pagination":{"future_url":null,"newer_url":null,"older_url":null}}"#;

fn owner_session(server: &MockServer) -> Session {
    let client = Client::builder()
        .environment(common::environment_at(server))
        .build()
        .unwrap();
    Session::with_token(&client, UserId(1), SessionToken::new("owner-session"))
        .with_server_key(bunq_key().public())
}

#[tokio::test]
async fn setup_helpers_create_nothing_when_client_and_callback_exist() {
    let server = MockServer::start_async().await;
    let bunq = bunq_key();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/user/1/oauth-client")
                .query_param("count", "200");
            bunq.answer(then, ACTIVE_CLIENT_LIST);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/oauth-client/789/callback-url").query_param("count", "200");
            bunq.answer(then, &format!(
                r#"{{"Response":[{{"OauthCallbackUrl":{{"id":456,"created":"2025-08-13 14:45:20.123456","updated":"2025-08-13 14:45:20.123456","url":"{REDIRECT}"}}}}],"Pagination":{{"future_url":null,"newer_url":null,"older_url":null}}}}"#
            ));
        })
        .await;
    let writes = server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(500);
        })
        .await;
    let session = owner_session(&server);
    let oauth_client = session
        .oauth_client_manager()
        .ensure_active()
        .await
        .unwrap();
    assert_eq!(oauth_client.id, OauthClientId(789));
    assert_eq!(oauth_client.secret.expose_secret(), "secret_xyz789uvw012");
    let url = session
        .callback_url_manager(oauth_client.id)
        .ensure(REDIRECT)
        .await
        .unwrap();
    assert_eq!(url.id.get(), 456);
    assert_eq!(writes.calls_async().await, 0, "nothing was created");
}

#[tokio::test]
async fn setup_helpers_create_what_is_missing() {
    let server = MockServer::start_async().await;
    let bunq = bunq_key();
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/oauth-client");
            bunq.answer(then, r#"{"Response":[{"OauthClient":{"id":700,"status":"CANCELLED","display_name":null,"client_id":"old","secret":"old","callback_url":[]}}],"Pagination":{"future_url":null,"newer_url":null,"older_url":null}}"#);
        })
        .await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/user/1/oauth-client").body("{}");
            bunq.answer(then, r#"{"Response":[{"Id":{"id":789}}]}"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/oauth-client/789");
            bunq.answer(then, r#"{"Response":[{"OauthClient":{"id":789,"status":"ACTIVE","display_name":null,"client_id":"client_new","secret":"secret_new","callback_url":[]}}]}"#);
        })
        .await;
    let session = owner_session(&server);
    let oauth_client = session
        .oauth_client_manager()
        .ensure_active()
        .await
        .unwrap();
    assert_eq!(oauth_client.client_id, "client_new");
    create.assert_async().await;
}

#[tokio::test]
async fn a_token_exchange_whose_connection_breaks_after_sending_is_outcome_unknown() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncReadExt;

    // A token endpoint that reads the whole request, then hangs up unanswered.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let api = format!("http://127.0.0.1:{port}/v1");
    let client = Client::builder()
        .environment(Environment::custom(&api, &api, &format!("{api}/token")).unwrap())
        .build()
        .unwrap();
    let err = config()
        .exchange_code(&client, &AuthorizationCode::new("code-after-send"))
        .await
        .unwrap_err();
    let Error::OutcomeUnknown { request_id, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(!request_id.is_empty());
    // Not sent again: bunq may have used the single-use code.
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("code-after-send") && !text.contains("secret_xyz789uvw012"),
        "{text}"
    );
}
