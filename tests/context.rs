//! The API context over real HTTP: the handshake's requests and signatures,
//! response verification, session renewal, and the context file.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bunq_oauth::signing::{KeyPair, PublicKey, SignatureError};
use bunq_oauth::{
    ApiContext, ApiKey, Client, Error, OauthClientId, Session, SessionToken, SessionUser, UserId,
};
use chrono::Utc;
use common::{ServerKey, context_file, session_body};
use httpmock::prelude::*;

const CLIENT_BODY: &str = r#"{"Response":[{"OauthClient":{"id":789,"status":"ACTIVE","display_name":null,"client_id":"client_abc123def456","secret":"secret_xyz789uvw012","callback_url":[]}}]}"#;

fn client(server: &MockServer) -> Client {
    Client::builder()
        .environment(common::environment_at(server))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A request's body and its `X-Bunq-Client-Signature`.
type Recorded = (String, Option<String>);

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<Recorded>>>);

impl Captured {
    /// A matcher that records each request's body and client signature.
    fn recorder(&self) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
        let store = self.0.clone();
        move |req| {
            let signature = req
                .headers()
                .get("x-bunq-client-signature")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let entry = (req.body_string(), signature);
            let mut store = store.lock().unwrap();
            if !store.contains(&entry) {
                store.push(entry);
            }
            true
        }
    }

    fn only(&self) -> Recorded {
        let store = self.0.lock().unwrap();
        assert_eq!(store.len(), 1, "{store:?}");
        store[0].clone()
    }
}

fn installation_body(server: &PublicKey) -> String {
    serde_json::json!({"Response": [
        {"Id": {"id": 9}},
        {"Token": {"id": 9, "created": "2025-08-13 14:45:20.123456", "updated": "2025-08-13 14:45:20.123456", "token": "installation-token-XYZ"}},
        {"ServerPublicKey": {"server_public_key": server.to_pem()}}
    ]})
    .to_string()
}

const OAUTH_SESSION: &str = r#"{"Response":[{"Id":{"id":31}},{"Token":{"id":31,"created":"2025-08-13 14:45:20.123456","updated":"2025-08-13 14:45:20.123456","token":"session-token-ABC"}},{"UserApiKey":{"id":42,"created":"2025-08-13 14:45:20.123456","updated":"2025-08-13 14:45:20.123456","requested_by_user":{"UserPerson":{"id":1,"display_name":"App owner","session_timeout":600}},"granted_by_user":{"UserPerson":{"id":2,"display_name":"Granting user","session_timeout":300}}}}]}"#;

#[tokio::test]
async fn handshake_signs_what_bunq_requires_and_reads_multi_item_envelopes() {
    let server = MockServer::start_async().await;
    let bunq = ServerKey::new();
    let (installation, device, session) = (
        Captured::default(),
        Captured::default(),
        Captured::default(),
    );
    let installation_mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/installation")
                .header("content-type", "application/json")
                .header_missing("x-bunq-client-authentication")
                .header_missing("x-bunq-client-signature")
                .is_true(installation.recorder());
            bunq.answer(then, &installation_body(&bunq.public()));
        })
        .await;
    let device_mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/device-server")
                .header("x-bunq-client-authentication", "installation-token-XYZ")
                .header("cache-control", "no-cache")
                .header_exists("x-bunq-client-request-id")
                .is_true(device.recorder());
            bunq.answer(then, r#"{"Response":[{"Id":{"id":77}}]}"#);
        })
        .await;
    let session_mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/session-server")
                .header("x-bunq-client-authentication", "installation-token-XYZ")
                .is_true(session.recorder());
            bunq.answer(then, OAUTH_SESSION);
        })
        .await;

    let client = client(&server);
    let context = ApiContext::builder(ApiKey::new("api-key-1"))
        .description("test device")
        .permitted_ips(["*"])
        .create(&client)
        .await
        .expect("handshake");
    installation_mock.assert_async().await;
    device_mock.assert_async().await;
    session_mock.assert_async().await;

    // Installation: our public key as SubjectPublicKeyInfo PEM, unsigned.
    let (installation_body, signature) = installation.only();
    assert_eq!(signature, None);
    let sent: serde_json::Value = serde_json::from_str(&installation_body).unwrap();
    let client_pem = sent["client_public_key"].as_str().unwrap();
    assert!(
        client_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"),
        "{client_pem}"
    );
    let client_key = PublicKey::from_pem(client_pem).unwrap();

    // device-server and session-server: exact bodies, signed over those bytes.
    let (device_body, device_signature) = device.only();
    assert_eq!(
        device_body,
        r#"{"description":"test device","permitted_ips":["*"],"secret":"api-key-1"}"#
    );
    client_key
        .verify(
            device_body.as_bytes(),
            &device_signature.expect("device-server is signed"),
        )
        .expect("device-server signature verifies with the installed key");
    let (session_body, session_signature) = session.only();
    assert_eq!(session_body, r#"{"secret":"api-key-1"}"#);
    client_key
        .verify(
            session_body.as_bytes(),
            &session_signature.expect("session-server is signed"),
        )
        .expect("session-server signature verifies with the installed key");

    // Tokens and ids were found by key in the multi-item envelopes.
    assert_eq!(context.user_id(), UserId(42));
    assert_eq!(context.device_id(), Some(77));
    // A UserApiKey session lasts the shorter of the two users' timeouts.
    assert_eq!(context.session_timeout(), Duration::from_secs(300));
    let SessionUser::ApiKey(key) = context.user() else {
        panic!("{:?}", context.user())
    };
    assert_eq!(key.requested_by_user.id(), UserId(1));
    assert_eq!(key.granted_by_user.id(), UserId(2));

    // The generated operations run through the context: session token on the
    // wire, the answer's signature checked.
    let read = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/user/42/oauth-client/789")
                .header("x-bunq-client-authentication", "session-token-ABC");
            bunq.answer(then, CLIENT_BODY);
        })
        .await;
    let session = Session::new(&client, context).unwrap();
    let oauth_client = session
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap();
    assert_eq!(oauth_client.client_id, "client_abc123def456");
    read.assert_async().await;
}

async fn read_with(
    then_sign: impl FnOnce(httpmock::Then, &ServerKey),
) -> Result<bunq_oauth::OauthClientDetails, Error> {
    let server = MockServer::start_async().await;
    let bunq = ServerKey::new();
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/oauth-client/789");
            then_sign(then, &bunq);
        })
        .await;
    Session::with_token(&client(&server), UserId(1), SessionToken::new("t"))
        .with_server_key(bunq.public())
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
}

#[tokio::test]
async fn a_correct_signature_is_accepted() {
    let client = read_with(|then, bunq| {
        bunq.answer(then, CLIENT_BODY);
    })
    .await
    .unwrap();
    assert_eq!(client.id, OauthClientId(789));
}

#[tokio::test]
async fn a_tampered_body_is_refused() {
    let err = read_with(|then, bunq| {
        let signature = bunq.key.sign(CLIENT_BODY.as_bytes()).unwrap();
        let tampered = CLIENT_BODY.replace("client_abc123def456", "client_attacker0001");
        then.status(200)
            .header("x-bunq-server-signature", signature)
            .body(tampered);
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Mismatch)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_signature_by_another_key_is_refused() {
    let err = read_with(|then, _| {
        let other = KeyPair::generate().unwrap();
        let signature = other.sign(CLIENT_BODY.as_bytes()).unwrap();
        then.status(200)
            .header("x-bunq-server-signature", signature)
            .body(CLIENT_BODY);
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Mismatch)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_missing_signature_is_refused() {
    let err = read_with(|then, _| {
        then.status(200).body(CLIENT_BODY);
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Missing)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_garbled_signature_header_is_refused() {
    let err = read_with(|then, _| {
        then.status(200)
            .header("x-bunq-server-signature", "%%% not base64")
            .body(CLIENT_BODY);
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::MalformedSignature)),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unsigned_error_answer_still_reports_bunqs_error() {
    let err = read_with(|then, _| {
        then.status(404)
            .body(r#"{"Error":[{"error_description":"OauthClient not found."}]}"#);
    })
    .await
    .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.messages, ["OauthClient not found."]);
}

#[tokio::test]
async fn verification_can_be_turned_off_explicitly() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/oauth-client/789");
            then.status(200).body(CLIENT_BODY);
        })
        .await;
    let client = Client::builder()
        .environment(common::environment_at(&server))
        .verify_response_signatures(false)
        .build()
        .unwrap();
    let read = Session::with_token(&client, UserId(1), SessionToken::new("t"))
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap();
    assert_eq!(read.id, OauthClientId(789));
    // With the check on, a session without bunq's key cannot trust answers.
    let strict = Client::builder()
        .environment(common::environment_at(&server))
        .build()
        .unwrap();
    let err = Session::with_token(&strict, UserId(1), SessionToken::new("t"))
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::NoServerKey)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_bad_signature_during_the_handshake_fails_creation() {
    let server = MockServer::start_async().await;
    let bunq = ServerKey::new();
    let impostor = ServerKey::new();
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/installation");
            bunq.answer(then, &installation_body(&bunq.public()));
        })
        .await;
    let session_server = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/session-server");
            bunq.answer(then, OAUTH_SESSION);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/device-server");
            impostor.answer(then, r#"{"Response":[{"Id":{"id":77}}]}"#);
        })
        .await;
    let err = ApiContext::create(&client(&server), ApiKey::new("k"), "d")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Mismatch)),
        "{err:?}"
    );
    assert_eq!(
        session_server.calls_async().await,
        0,
        "no session after a forged answer"
    );
}

/// bunq's session-server, handing out `fresh-token` for a signed request.
async fn mock_session_server<'a>(server: &'a MockServer, bunq: &ServerKey) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/session-server")
                .header("x-bunq-client-authentication", "installation-token-0001")
                .body(r#"{"secret":"api-key-secret-0001"}"#)
                .header_exists("x-bunq-client-signature");
            bunq.answer(then, &session_body("fresh-token"));
        })
        .await
}

/// A session restored from a context file in a chosen state.
fn restored_session(
    server: &MockServer,
    bunq: &ServerKey,
    token: &str,
    expires_in: chrono::Duration,
    min_interval: Duration,
) -> Session {
    // Pacing off: these tests count session-server calls, not rate limits.
    let client = Client::builder()
        .environment(common::environment_at(server))
        .min_session_interval(min_interval)
        .rate_limits(None)
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("context.json");
    let key = KeyPair::generate().unwrap();
    let json = context_file(
        client.api_url(),
        &key,
        &bunq.public(),
        token,
        Utc::now() + expires_in,
    );
    std::fs::write(&path, json).unwrap();
    Session::new(&client, ApiContext::load(&path).unwrap()).unwrap()
}

async fn twenty_concurrent_reads(session: &Session) {
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(
                async move { session.oauth_client_manager().get(OauthClientId(789)).await },
            )
        })
        .collect();
    for task in tasks {
        let client = task.await.unwrap().expect("every caller succeeds");
        assert_eq!(client.id, OauthClientId(789));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_session_is_renewed_once_for_twenty_concurrent_callers() {
    let server = MockServer::start_async().await;
    let bunq = ServerKey::new();
    let session_server = mock_session_server(&server, &bunq).await;
    let reads = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/user/1/oauth-client/789")
                .header("x-bunq-client-authentication", "fresh-token");
            bunq.answer(then, CLIENT_BODY);
        })
        .await;
    let session = restored_session(
        &server,
        &bunq,
        "stale-token",
        chrono::Duration::seconds(-5),
        Duration::from_secs(30),
    );
    twenty_concurrent_reads(&session).await;
    assert_eq!(session_server.calls_async().await, 1);
    assert_eq!(reads.calls_async().await, 20);
    assert!(session.context().unwrap().session_expires_at() > Utc::now());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_invalid_session_answer_renews_once_for_twenty_concurrent_callers() {
    let server = MockServer::start_async().await;
    let bunq = ServerKey::new();
    let session_server = mock_session_server(&server, &bunq).await;
    let refused = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/user/1/oauth-client/789")
                .header("x-bunq-client-authentication", "revoked-token");
            then.status(401)
                .body(r#"{"Error":[{"error_description":"Insufficient authorisation.","error_description_translated":"Insufficient authorisation."}]}"#);
        })
        .await;
    let reads = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/user/1/oauth-client/789")
                .header("x-bunq-client-authentication", "fresh-token");
            bunq.answer(then, CLIENT_BODY);
        })
        .await;
    let session = restored_session(
        &server,
        &bunq,
        "revoked-token",
        chrono::Duration::minutes(10),
        Duration::from_secs(30),
    );
    twenty_concurrent_reads(&session).await;
    // What the code guarantees: one renewal, and every caller answered
    // once with the fresh token. How many callers sent the revoked token
    // first depends on when each started (a caller that starts after the
    // renewal never does), so only "at least the first" is certain.
    assert_eq!(session_server.calls_async().await, 1);
    let refused = refused.calls_async().await;
    assert!((1..=20).contains(&refused), "{refused} refused calls");
    assert_eq!(reads.calls_async().await, 20);
}

#[tokio::test]
async fn a_second_renewal_waits_for_the_session_server_interval() {
    let server = MockServer::start_async().await;
    let bunq = ServerKey::new();
    let session_server = mock_session_server(&server, &bunq).await;
    // bunq refuses every token: the call renews once, retries once, and
    // reports the error; a second call must not renew again right away.
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/user/1/oauth-client/789");
            then.status(401)
                .body(r#"{"Error":[{"error_description":"Insufficient authentication."}]}"#);
        })
        .await;
    let interval = Duration::from_millis(700);
    let session = restored_session(
        &server,
        &bunq,
        "revoked-token",
        chrono::Duration::minutes(10),
        interval,
    );
    let err = session
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(
        session_server.calls_async().await,
        1,
        "one renewal per call"
    );
    let started = std::time::Instant::now();
    let err = session
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(session_server.calls_async().await, 2);
    assert!(
        started.elapsed() >= interval,
        "renewed after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_context_from_another_api_url_is_refused() {
    let server = MockServer::start_async().await;
    let bunq = ServerKey::new();
    let session = restored_session(
        &server,
        &bunq,
        "t",
        chrono::Duration::minutes(10),
        Duration::from_secs(30),
    );
    let context = session.context().unwrap();
    let production = Client::builder().build().unwrap();
    let err = Session::new(&production, context).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[cfg(unix)]
#[test]
fn the_context_file_round_trips_with_mode_0600_and_is_replaced_atomically() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    let bunq = ServerKey::new();
    let key = KeyPair::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.json");
    let expires = Utc::now() + chrono::Duration::minutes(10);
    std::fs::write(
        &source,
        context_file(
            "http://127.0.0.1:1/v1",
            &key,
            &bunq.public(),
            "session-1",
            expires,
        ),
    )
    .unwrap();
    let context = ApiContext::load(&source).unwrap();

    let path = dir.path().join("context.json");
    std::fs::write(&path, "old contents").unwrap();
    // A second name for the old file: an in-place write would change it too.
    let old = dir.path().join("old.json");
    std::fs::hard_link(&path, &old).unwrap();
    let old_inode = std::fs::metadata(&path).unwrap().ino();

    context.save(&path).unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_ne!(meta.ino(), old_inode, "the file was replaced by a rename");
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "old contents");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&source).unwrap()).unwrap();
    assert_eq!(saved["version"], 1);
    for field in [
        "api_url",
        "api_key",
        "private_key_pem",
        "installation_token",
        "server_public_key_pem",
        "device_id",
    ] {
        assert_eq!(saved[field], original[field], "{field}");
    }
    assert_eq!(saved["session"]["token"], "session-1");
    assert_eq!(saved["session"]["user"], original["session"]["user"]);

    let restored = ApiContext::load(&path).unwrap();
    assert_eq!(restored.user_id(), UserId(1));
    assert_eq!(restored.device_id(), Some(77));
    assert_eq!(restored.session_expires_at(), context.session_expires_at());
}

#[test]
fn unreadable_context_files_are_clear_errors_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("context.json");
    std::fs::write(&path, r#"{"version":2,"api_key":"api-key-secret-0001"}"#).unwrap();
    let err = ApiContext::load(&path).unwrap_err();
    assert!(err.to_string().contains("version 2"), "{err}");
    std::fs::write(&path, r#"{"version":1,"api_key":"api-key-secret-0001"}"#).unwrap();
    let err = ApiContext::load(&path).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(!err.to_string().contains("api-key-secret"), "{err}");
    let err = ApiContext::load(dir.path().join("missing.json")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}

#[tokio::test]
async fn no_secret_appears_in_debug_output() {
    let server = MockServer::start_async().await;
    let bunq = ServerKey::new();
    let session = restored_session(
        &server,
        &bunq,
        "session-token-secret",
        chrono::Duration::minutes(10),
        Duration::from_secs(30),
    );
    let context = session.context().unwrap();
    let key = KeyPair::generate().unwrap();
    let pem = key.to_pkcs8_pem();
    let pem_line = pem.expose_secret().lines().nth(1).unwrap().to_owned();
    let outputs = [
        format!("{context:?}"),
        format!("{session:?}"),
        format!("{:?}", session.client()),
        format!("{key:?}"),
        format!("{pem:?}"),
        format!("{:?}", ApiKey::new("api-key-secret-0001")),
        format!("{:?}", SessionToken::new("session-token-secret")),
        format!("{:?}", bunq_oauth::ClientSecret::new("client-secret-0001")),
        format!(
            "{:?}",
            bunq_oauth::InstallationToken::new("installation-token-0001")
        ),
    ];
    for text in &outputs {
        for secret in [
            "api-key-secret-0001",
            "session-token-secret",
            "installation-token-0001",
            "client-secret-0001",
            pem_line.as_str(),
        ] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }
    assert!(outputs[0].contains("ApiKey([redacted])"), "{}", outputs[0]);
}

#[tokio::test]
async fn a_huge_session_timeout_from_bunq_is_clamped_not_a_panic() {
    let server = MockServer::start_async().await;
    let bunq = ServerKey::new();
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/installation");
            bunq.answer(then, &installation_body(&bunq.public()));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/device-server");
            bunq.answer(then, r#"{"Response":[{"Id":{"id":77}}]}"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/session-server");
            bunq.answer(
                then,
                &OAUTH_SESSION.replace(
                    r#""session_timeout":600"#,
                    r#""session_timeout":18446744073709551615"#,
                ),
            );
        })
        .await;
    let context = ApiContext::create(&client(&server), ApiKey::new("api-key-1"), "huge")
        .await
        .expect("a signed answer with a huge session_timeout is used, clamped");
    assert!(context.session_timeout() <= Duration::from_secs(90 * 24 * 3600));
    assert!(context.session_expires_at() <= Utc::now() + chrono::Duration::days(91));
}

#[tokio::test]
async fn renewing_ahead_never_renews_a_fresh_session_however_far_ahead_it_looks() {
    let fake = bunq_oauth_fake::FakeBunq::start().await.unwrap();
    let client = common::unpaced_client(&fake);
    let session = common::owner_session(&client, &fake, "ahead").await;
    let before = fake.stats().session_servers;
    // Asking for more than the session's timeout (or for all time) looks at
    // most half a timeout ahead: a session just opened is not due.
    for ahead in [
        session.context().unwrap().session_timeout() * 2,
        Duration::from_secs(u64::MAX / 4),
        Duration::MAX,
    ] {
        assert!(!session.renew_ahead(ahead).await.unwrap(), "{ahead:?}");
    }
    assert_eq!(fake.stats().session_servers, before);
}
