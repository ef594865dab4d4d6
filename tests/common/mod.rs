//! The integration tests' one set-up module: a client, the owner's session
//! and a granted user's session on the fake bunq; a server key that signs
//! canned bodies the way bunq does (for httpmock), and a context file for a
//! session in a chosen state.
#![allow(dead_code)]

use bunq_oauth::signing::{KeyPair, PublicKey};
use httpmock::Then;

/// A bunq stand-in's key: signs bodies like bunq's `X-Bunq-Server-Signature`.
pub struct ServerKey {
    pub key: KeyPair,
}

impl ServerKey {
    pub fn new() -> Self {
        ServerKey {
            key: KeyPair::generate().expect("server key"),
        }
    }

    pub fn public(&self) -> PublicKey {
        self.key.public_key()
    }

    /// A 200 answer with `body`, signed.
    pub fn answer(&self, then: Then, body: &str) -> Then {
        let signature = self.key.sign(body.as_bytes()).expect("sign");
        then.status(200)
            .header("x-bunq-server-signature", signature)
            .body(body)
    }
}

/// The JSON of a version-1 context file.
pub fn context_file(
    api_url: &str,
    client_key: &KeyPair,
    server: &PublicKey,
    session_token: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> String {
    serde_json::json!({
        "version": 1,
        "api_url": api_url,
        "api_key": "api-key-secret-0001",
        "private_key_pem": client_key.to_pkcs8_pem().expose_secret(),
        "installation_token": "installation-token-0001",
        "server_public_key_pem": server.to_pem(),
        "device_id": 77,
        "session": {
            "token": session_token,
            "timeout_seconds": 600,
            "expires_at": expires_at,
            "user": {"UserPerson": {"id": 1, "display_name": "Owner", "session_timeout": 600}}
        }
    })
    .to_string()
}

/// A session-server answer with the given token, for user 1.
pub fn session_body(token: &str) -> String {
    format!(
        r#"{{"Response":[{{"Id":{{"id":5001}}}},{{"Token":{{"id":5001,"created":"2025-08-13 14:45:20.123456","updated":"2025-08-13 14:45:20.123456","token":"{token}"}}}},{{"UserPerson":{{"id":1,"display_name":"Owner","session_timeout":600}}}}]}}"#
    )
}

/// A fresh database on the test server, returned as its URL.
#[cfg(feature = "postgres")]
pub async fn new_postgres_database() -> String {
    let admin = std::env::var("BUNQ_OAUTH_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "the PostgreSQL store tests need a server: run .ci/test (the README's test \
             command), which installs and starts one, or set BUNQ_OAUTH_TEST_POSTGRES to an \
             admin URL such as postgres://postgres@127.0.0.1:5432/postgres"
        )
    });
    let name = format!("bunq_oauth_test_{}", uuid_like());
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot reach BUNQ_OAUTH_TEST_POSTGRES: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    url.to_string()
}

#[cfg(feature = "postgres")]
fn uuid_like() -> String {
    let key = bunq_oauth::store::EncryptionKey::generate()
        .unwrap()
        .to_base64();
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// A bunq at an httpmock server: the API under `/v1`, the authorization
/// page at `/auth` and the token endpoint at `/v1/token`.
pub fn environment_at(server: &httpmock::MockServer) -> bunq_oauth::Environment {
    bunq_oauth::Environment::custom(
        &server.url("/v1"),
        &server.url("/auth"),
        &server.url("/v1/token"),
    )
    .expect("httpmock's URLs are loopback URLs")
}

/// A client for the fake bunq, with the default options.
pub fn fake_client(fake: &bunq_oauth_fake::FakeBunq) -> bunq_oauth::Client {
    bunq_oauth::Client::builder()
        .environment(fake.environment())
        .build()
        .unwrap()
}

/// A client for the fake without pacing: for tests whose calls come faster
/// than bunq's limits allow (a renewal within 30 s of a session, a dozen
/// calls in a row), which pacing would make wait.
pub fn unpaced_client(fake: &bunq_oauth_fake::FakeBunq) -> bunq_oauth::Client {
    bunq_oauth::Client::builder()
        .environment(fake.environment())
        .rate_limits(None)
        .build()
        .unwrap()
}

/// A session as the fake's owner (its API key's user), after the handshake.
pub async fn owner_session(
    client: &bunq_oauth::Client,
    fake: &bunq_oauth_fake::FakeBunq,
    description: &str,
) -> bunq_oauth::Session {
    let context = bunq_oauth::ApiContext::create(client, fake.owner_api_key(), description)
        .await
        .unwrap();
    bunq_oauth::Session::new(client, context).unwrap()
}

/// The granting user's session after the whole OAuth flow at the fake: the
/// owner's active OAuth client with `redirect` registered, the authorize
/// page (which the fake approves at once), the code exchanged, the token
/// connected.
pub async fn granted_user(
    client: &bunq_oauth::Client,
    fake: &bunq_oauth_fake::FakeBunq,
    owner: &bunq_oauth::Session,
    redirect: &str,
    description: &str,
) -> bunq_oauth::Session {
    let oauth_client = owner.oauth_client_manager().ensure_active().await.unwrap();
    owner
        .callback_url_manager(oauth_client.id)
        .ensure(redirect)
        .await
        .unwrap();
    let oauth_client = owner
        .oauth_client_manager()
        .get(oauth_client.id)
        .await
        .unwrap();
    let config = bunq_oauth::OAuthConfig::for_client(&oauth_client, redirect).unwrap();
    let request = config.authorize_url(&fake.environment()).unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(request.url().as_str()).send().await.unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let code = bunq_oauth::parse_callback(&location, request.state()).unwrap();
    let token = config.exchange_code(client, &code).await.unwrap();
    let context = bunq_oauth::ApiContext::for_access_token(client, &token, description)
        .await
        .unwrap();
    bunq_oauth::Session::new(client, context).unwrap()
}

/// An app's callback route on loopback, for the fake's callbacks: records
/// each body it is sent, delivered or not, answering `status` (settable, to
/// make deliveries fail).
pub struct CallbackSink {
    pub url: String,
    status: std::sync::Arc<std::sync::atomic::AtomicU16>,
    received:
        tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<(std::net::SocketAddr, Vec<u8>)>>,
}

impl CallbackSink {
    pub async fn start() -> Self {
        use axum::extract::{ConnectInfo, State};
        type Shared = (
            std::sync::Arc<std::sync::atomic::AtomicU16>,
            tokio::sync::mpsc::UnboundedSender<(std::net::SocketAddr, Vec<u8>)>,
        );
        async fn record(
            State((status, sender)): State<Shared>,
            ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
            body: axum::body::Bytes,
        ) -> axum::http::StatusCode {
            let status = status.load(std::sync::atomic::Ordering::SeqCst);
            let _ = sender.send((peer, body.to_vec()));
            axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK)
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let url = format!("http://{}/bunq-callback", listener.local_addr().unwrap());
        let status = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(200));
        let (sender, received) = tokio::sync::mpsc::unbounded_channel();
        let app = axum::Router::new()
            .route("/bunq-callback", axum::routing::post(record))
            .with_state((status.clone(), sender));
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        CallbackSink {
            url,
            status,
            received: tokio::sync::Mutex::new(received),
        }
    }

    /// Answer every callback from now on with `status`.
    pub fn answer(&self, status: u16) {
        self.status
            .store(status, std::sync::atomic::Ordering::SeqCst);
    }

    /// The next callback received, as the app would parse it; fails the
    /// test if none arrives within 20 s.
    pub async fn next(&self) -> bunq_oauth::notifications::Notification {
        let (peer, body) = self.next_raw().await;
        bunq_oauth::notifications::CallbackReceiver::new()
            .source(bunq_oauth::notifications::SourceCheck::ranges(["127.0.0.1"]).unwrap())
            .receive(peer.ip(), &body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)))
    }

    /// The next received callback's peer and body.
    pub async fn next_raw(&self) -> (std::net::SocketAddr, Vec<u8>) {
        let mut received = self.received.lock().await;
        tokio::time::timeout(std::time::Duration::from_secs(20), received.recv())
            .await
            .expect("a callback within 20 s")
            .expect("the sink is running")
    }

    /// Whether another callback arrives within `wait`.
    pub async fn quiet_for(&self, wait: std::time::Duration) -> bool {
        let mut received = self.received.lock().await;
        tokio::time::timeout(wait, received.recv()).await.is_err()
    }
}
