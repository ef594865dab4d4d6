//! The example app (`examples/psd2_app/`) end to end: the built binary as
//! its own process, against the built-in fake bunq, over loopback HTTP; and a
//! headless Chromium rendering its QR page.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bunq_oauth::PagedList;
use bunq_oauth::store::EncryptionKey;
use bunq_oauth_fake::FakeBunq;
use serde_json::Value;

mod common;

/// `cargo test` builds the examples next to the test binaries.
fn app_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.parent().and_then(Path::parent).unwrap();
    let app = target.join("examples").join("psd2_app");
    assert!(
        app.exists(),
        "{} is missing: `cargo test` builds it (or `cargo build --example psd2_app`)",
        app.display()
    );
    app
}

/// The variables the app reads, so none leaks in from the test's environment.
const APP_ENV: [&str; 13] = [
    "DATABASE_URL",
    "BUNQ_OAUTH_STORE_KEY",
    "BUNQ_ENVIRONMENT",
    "BUNQ_API_URL",
    "BUNQ_OAUTH_AUTHORIZE_URL",
    "BUNQ_OAUTH_TOKEN_URL",
    "BUNQ_API_KEY",
    "PSD2_APP_CERTIFICATE",
    "PSD2_APP_CERTIFICATE_CHAIN",
    "PSD2_APP_CERTIFICATE_KEY",
    "PSD2_APP_LISTEN",
    "PSD2_APP_PUBLIC_URL",
    "PSD2_APP_OPERATOR_TOKEN",
];

/// The operator token the tests start the app with.
const OPERATOR: &str = "operator-token-for-tests-0123456789";

/// The app's configuration for one run against `fake`.
fn app_command(fake: &FakeBunq, database_url: &str, key: &str) -> Command {
    let mut command = Command::new(app_binary());
    for name in APP_ENV {
        command.env_remove(name);
    }
    command
        .env("DATABASE_URL", database_url)
        .env("BUNQ_OAUTH_STORE_KEY", key)
        .env("BUNQ_API_URL", fake.api_url())
        .env("BUNQ_OAUTH_AUTHORIZE_URL", fake.oauth_authorize_url())
        .env("BUNQ_OAUTH_TOKEN_URL", fake.oauth_token_url())
        .env("BUNQ_API_KEY", fake.owner_api_key().expose_secret())
        .env("PSD2_APP_LISTEN", "127.0.0.1:0")
        .env("PSD2_APP_OPERATOR_TOKEN", OPERATOR)
        .stdin(Stdio::null());
    command
}

/// A running app; killed when dropped.
struct App {
    child: Child,
    base: String,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl App {
    /// Starts the app and waits for its `listening on http://…` line.
    async fn start(mut command: Command) -> App {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let line = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::task::spawn_blocking(move || {
                let mut stdout = BufReader::new(stdout);
                let mut line = String::new();
                stdout.read_line(&mut line).unwrap();
                // Keep reading, so the app never writes to a closed pipe.
                std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
                line
            }),
        )
        .await
        .expect("the app did not start within 30 s")
        .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        App { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        json(http().get(self.url(path)).send().await.unwrap()).await
    }

    /// `GET path` as a browser holding `cookies`.
    async fn get_as(&self, cookies: &str, path: &str) -> (u16, Value) {
        json(
            http()
                .get(self.url(path))
                .header("cookie", cookies)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn setup(&self) -> Value {
        let (status, body) = json(
            http()
                .post(self.url("/setup"))
                .bearer_auth(OPERATOR)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// The authorize link on `/auth`, and the cookie that binds its state
    /// to the browser that asked.
    async fn authorize_link(&self) -> (String, String) {
        let page = http().get(self.url("/auth")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let cookie = cookies(&page);
        let html = page.text().await.unwrap();
        let start = html
            .find("id=\"authorize\" href=\"")
            .expect("no authorize link")
            + 21;
        let end = start + html[start..].find('"').unwrap();
        (html[start..end].replace("&amp;", "&"), cookie)
    }

    /// Plays the user: `/auth`, the fake's authorization page, and back to
    /// the app's callback in the same browser. Returns the callback URL, the
    /// app's answer, and the browser's sign-in cookie.
    async fn connect_user(&self) -> (String, u16, Value, String) {
        let (link, state_cookie) = self.authorize_link().await;
        let bunq = http().get(&link).send().await.unwrap();
        assert_eq!(bunq.status(), 302, "the fake's authorization page");
        let callback = bunq.headers()["location"].to_str().unwrap().to_owned();
        assert!(callback.starts_with(&self.url("/callback?")), "{callback}");
        let answer = http()
            .get(&callback)
            .header("cookie", &state_cookie)
            .send()
            .await
            .unwrap();
        let login = cookies(&answer);
        let (status, body) = json(answer).await;
        (callback, status, body, login)
    }
}

/// The cookies an answer sets, as a `Cookie` header would send them back
/// (cleared ones left out).
fn cookies(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter(|pair| !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, body)
}

fn new_key() -> String {
    EncryptionKey::generate().unwrap().to_base64()
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("app.db").display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_auth_callback_and_accounts_end_to_end() {
    let fake = FakeBunq::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(app_command(&fake, &sqlite_url(&dir), &new_key())).await;
    // Health says nothing about the users.
    assert_eq!(
        app.get("/health").await,
        (200, serde_json::json!({"status": "ok", "set_up": false}))
    );

    // /auth before /setup: a clear refusal, not a broken link.
    let early = http().get(app.url("/auth")).send().await.unwrap();
    assert_eq!(early.status(), 409);
    assert!(early.text().await.unwrap().contains("POST /setup"));

    // Setup twice: one owner context, one OAuth client, one callback URL.
    let first = app.setup().await;
    let second = app.setup().await;
    assert_eq!(first, second);
    assert_eq!(first["owner_user_id"], fake.owner_user_id().get());
    assert_eq!(first["callback_url"], app.url("/callback"));
    let stats = fake.stats();
    assert_eq!(
        (
            stats.installations,
            stats.oauth_clients,
            stats.callback_urls
        ),
        (1, 1, 1)
    );

    // auth → bunq → callback → stored user.
    let (callback, status, body, login) = app.connect_user().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"message": "OAuth success", "new_user_id": 1})
    );
    let tokens = fake.stats().tokens_issued;
    assert_eq!(tokens, 1);

    // The user and their accounts, through a session from the store.
    let (status, user) = app.get_as(&login, "/users/1").await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["type"], "UserApiKey");
    assert_eq!(user["granted_by"]["id"], fake.granting_user_id().get());
    let (status, accounts) = app.get_as(&login, "/users/1/accounts").await;
    assert_eq!(status, 200, "{accounts}");
    let accounts = accounts["accounts"].as_array().unwrap().clone();
    assert!(!accounts.is_empty());
    for account in &accounts {
        let iban = account["iban"].as_str().unwrap();
        assert!(iban.starts_with("NL") && iban.contains("BUNQ"), "{iban}");
        assert_eq!(account["balance"]["currency"], "EUR");
    }

    // The same redirect again: refused before any exchange (whatever the
    // browser: here one that holds no state).
    let (status, body) = json(http().get(&callback).send().await.unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("another browser"),
        "{body}"
    );
    // A state the app never issued: refused too.
    let (status, _) = app.get("/callback?code=abc&state=never-issued").await;
    assert_eq!(status, 400);
    let (status, _) = app.get("/callback?code=abc").await;
    assert_eq!(status, 400);
    assert_eq!(fake.stats().tokens_issued, tokens, "no code was exchanged");

    // bunq's denial, with a state the app did issue.
    let (link, state_cookie) = app.authorize_link().await;
    let state = url::Url::parse(&link)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let denied =
        format!("/callback?error=access_denied&error_description=The+user+declined&state={state}");
    let (status, body) = app.get_as(&state_cookie, &denied).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("access_denied"),
        "{body}"
    );

    // Another id than the signed-in user's: refused, exists or not.
    assert_eq!(app.get_as(&login, "/users/2").await.0, 403);
    assert_eq!(
        app.get("/health").await.1,
        serde_json::json!({"status": "ok", "set_up": true})
    );
    assert_eq!(fake.stats().installations, 2, "the owner and one user");
}

/// A payment-service provider sets the app up with its PSD2 certificate
/// instead of an API key; its users connect as with any app. A certificate
/// whose key does not match stops the app at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_registers_a_provider_from_certificate_files() {
    let fake = FakeBunq::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let made =
        bunq_oauth::psd2::SandboxCertificate::generate("App Test", &["PISP", "AISP"]).unwrap();
    let (certificate, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    made.save(&certificate, &key).unwrap();
    let with_certificate = |key: &Path| {
        let mut command = app_command(&fake, &sqlite_url(&dir), &new_key());
        command
            .env_remove("BUNQ_API_KEY")
            .env("PSD2_APP_CERTIFICATE", &certificate)
            .env("PSD2_APP_CERTIFICATE_KEY", key);
        command
    };

    // Another certificate's key: refused at start, with the reason.
    let other = bunq_oauth::psd2::SandboxCertificate::generate("Other", &["AISP"]).unwrap();
    let other_key = dir.path().join("other-key.pem");
    other
        .save(&dir.path().join("other.pem"), &other_key)
        .unwrap();
    let mut refused = with_certificate(&other_key)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = refused.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = refused.kill();
            panic!("the app started with another certificate's key");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    refused
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("does not belong to the certificate"),
        "{stderr}"
    );
    assert_eq!(fake.stats().psd2_credentials, 0);

    let app = App::start(with_certificate(&key)).await;
    let first = app.setup().await;
    assert_eq!(app.setup().await, first, "setup stays idempotent");
    assert_eq!(fake.stats().psd2_credentials, 1);
    assert_ne!(first["owner_user_id"], fake.owner_user_id().get());
    let (_, status, body, login) = app.connect_user().await;
    assert_eq!(status, 200, "{body}");
    let (status, accounts) = app.get_as(&login, "/users/1/accounts").await;
    assert_eq!(status, 200, "{accounts}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_rest_encrypted_and_a_wrong_key_stops_the_app() {
    let fake = FakeBunq::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite_url(&dir);
    let key = new_key();
    let login;
    {
        let app = App::start(app_command(&fake, &database, &key)).await;
        app.setup().await;
        let (_, status, body, cookie) = app.connect_user().await;
        assert_eq!(
            (status, &body["new_user_id"]),
            (200, &Value::from(1)),
            "{body}"
        );
        login = cookie;
    }

    // The database file holds no secret in clear.
    let client = common::fake_client(&fake);
    let owner = common::owner_session(&client, &fake, "test").await;
    let client_secret = owner.oauth_client_manager().list_all().await.unwrap()[0]
        .secret
        .expose_secret()
        .to_owned();
    let mut raw = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        std::fs::File::open(entry.unwrap().path())
            .unwrap()
            .read_to_end(&mut raw)
            .unwrap();
    }
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.len() > 4000);
    for secret in [
        fake.owner_api_key().expose_secret(),
        &client_secret,
        "PRIVATE KEY",
        "installation_token",
    ] {
        assert!(!raw.contains(secret), "a secret is stored in clear");
    }

    // Another key: the app refuses to start, and says why.
    let output = tokio::task::spawn_blocking({
        let mut command = app_command(&fake, &database, &new_key());
        move || command.output().unwrap()
    })
    .await
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("encryption key"), "{stderr}");
    assert!(output.stdout.is_empty(), "it must not start listening");

    // The right key: the stored user is served again, with its stored session.
    let before = fake.stats().session_servers;
    let app = App::start(app_command(&fake, &database, &key)).await;
    // The sign-in cookie outlives the restart: it is signed with a key
    // derived from the store key.
    let (status, accounts) = app.get_as(&login, "/users/1/accounts").await;
    assert_eq!(status, 200, "{accounts}");
    assert_eq!(
        fake.stats().session_servers,
        before,
        "the stored session was reused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_flag_runs_the_app_with_no_configuration() {
    let mut command = Command::new(app_binary());
    for name in APP_ENV {
        command.env_remove(name);
    }
    command
        .arg("--fake")
        .env("PSD2_APP_LISTEN", "127.0.0.1:0")
        .env("PSD2_APP_OPERATOR_TOKEN", OPERATOR)
        .stdin(Stdio::null());
    let app = App::start(command).await;
    let setup = app.setup().await;
    assert!(setup["oauth_client_id"].as_u64().is_some(), "{setup}");
    let (_, status, body, login) = app.connect_user().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.get_as(&login, "/users/1/accounts").await.0, 200);
}

/// Two instances of the app on one PostgreSQL database, as a deployment
/// behind a load balancer runs it: a user connected through one is served by
/// both, and when bunq expires the session, 20 concurrent requests across
/// the two make one session-server call between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgres_share_users_and_one_renewal() {
    let fake = FakeBunq::start().await.unwrap();
    let database = common::new_postgres_database().await;
    let key = new_key();
    let a = App::start(app_command(&fake, &database, &key)).await;
    // One public address for both, as behind a load balancer: a's.
    let mut second = app_command(&fake, &database, &key);
    second.env("PSD2_APP_PUBLIC_URL", &a.base);
    let b = App::start(second).await;
    a.setup().await;
    // The second instance finds the owner, the OAuth client and the
    // callback URL already there.
    b.setup().await;
    let stats = fake.stats();
    assert_eq!(
        (
            stats.installations,
            stats.oauth_clients,
            stats.callback_urls
        ),
        (1, 1, 1)
    );
    // The user opens b's /auth; bunq sends them back to a's /callback, which
    // finds the state b stored.
    // (Cookies go by host, not port: the browser sends b's state cookie to a.)
    let (link, state_cookie) = b.authorize_link().await;
    let bunq = http().get(&link).send().await.unwrap();
    let callback = bunq.headers()["location"].to_str().unwrap().to_owned();
    assert!(callback.starts_with(&a.url("/callback?")), "{callback}");
    let answer = http()
        .get(&callback)
        .header("cookie", &state_cookie)
        .send()
        .await
        .unwrap();
    let login = cookies(&answer);
    let (status, body) = json(answer).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["new_user_id"], 1);
    // One sign-in, accepted by both instances.
    assert_eq!(a.get_as(&login, "/users/1/accounts").await.0, 200);
    assert_eq!(b.get_as(&login, "/users/1/accounts").await.0, 200);

    // The renewal may wait up to 30 s: the instance that connected the user
    // opened a session for that installation moments ago, and bunq allows one
    // session-server call per 30 s (the client paces it).
    fake.expire_sessions();
    let before = fake.stats().session_servers;
    let calls = (0..20).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.get_as(&login, "/users/1/accounts")
    });
    for (status, body) in futures::future::join_all(calls).await {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(fake.stats().session_servers - before, 1);
}

/// Each connected user's data is theirs alone: no sign-in is 401, another
/// user's id 403, a forged or expired cookie 401, a callback in another
/// browser signs nobody in, /setup needs the operator's token, and a
/// log-out ends the sign-in. `/me` shows the user's accounts and payments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_pages_are_theirs_alone() {
    let fake = FakeBunq::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(app_command(&fake, &sqlite_url(&dir), &new_key())).await;

    // /setup: the operator's token, nothing else.
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("operator-token-for-tests-0123456789"),
    ] {
        let mut request = http().post(app.url("/setup"));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let (status, body) = json(request.send().await.unwrap()).await;
        assert_eq!(status, 401, "{auth:?}: {body}");
    }
    assert_eq!(fake.stats().installations, 0, "nothing was set up");
    app.setup().await;

    let (_, status, first, alice) = app.connect_user().await;
    assert_eq!(status, 200, "{first}");
    let (_, status, second, bob) = app.connect_user().await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(
        (
            first["new_user_id"].as_u64(),
            second["new_user_id"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert!(alice.contains("psd2_login=") && alice != bob);

    // Their own: yes. Each other's, a guessed id, no cookie: no data.
    assert_eq!(app.get_as(&alice, "/users/1/accounts").await.0, 200);
    assert_eq!(app.get_as(&bob, "/users/2").await.0, 200);
    assert_eq!(app.get_as(&alice, "/users/2/accounts").await.0, 403);
    assert_eq!(app.get_as(&bob, "/users/1").await.0, 403);
    assert_eq!(app.get_as(&alice, "/users/3").await.0, 403);
    let (status, body) = app.get("/users/1/accounts").await;
    assert_eq!(status, 401, "{body}");
    assert!(body.get("accounts").is_none());

    // A forged cookie: another id under Alice's signature, a changed
    // signature, an expired one.
    let value = alice.trim_start_matches("psd2_login=");
    let parts: Vec<&str> = value.split('.').collect();
    let other_id = format!(
        "psd2_login={}.2.{}.{}.{}",
        parts[0], parts[2], parts[3], parts[4]
    );
    let bad_mac = format!(
        "psd2_login={}.{}.{}.{}.{}",
        parts[0],
        parts[1],
        parts[2],
        parts[3],
        "00".repeat(32)
    );
    let expired = format!(
        "psd2_login={}.{}.1.{}.{}",
        parts[0], parts[1], parts[3], parts[4]
    );
    for forged in [other_id, bad_mac, expired, "psd2_login=garbage".into()] {
        assert_eq!(app.get_as(&forged, "/users/2").await.0, 401, "{forged}");
        assert_eq!(app.get_as(&forged, "/users/1").await.0, 401, "{forged}");
    }

    // A callback link that someone else started and approved, opened in
    // this browser (which holds no state, or another state): no sign-in.
    let tokens = fake.stats().tokens_issued;
    let (link, _theirs) = app.authorize_link().await;
    let bunq = http().get(&link).send().await.unwrap();
    let callback = bunq.headers()["location"].to_str().unwrap().to_owned();
    let (_, mine) = app.authorize_link().await;
    let answer = http()
        .get(&callback)
        .header("cookie", &mine)
        .send()
        .await
        .unwrap();
    assert!(cookies(&answer).is_empty(), "no sign-in cookie");
    let (status, body) = json(answer).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(fake.stats().tokens_issued, tokens, "no code was exchanged");

    // /me: the user's accounts and recent payments, as HTML.
    let me = http()
        .get(app.url("/me"))
        .header("cookie", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let html = me.text().await.unwrap();
    assert!(
        html.contains("id=\"accounts\"") && html.contains("NL"),
        "{html}"
    );
    assert!(html.contains("id=\"payments\""), "{html}");
    assert_eq!(
        http().get(app.url("/me")).send().await.unwrap().status(),
        401
    );

    // Log-out: the cookie no longer works here.
    let out = http()
        .post(app.url("/logout"))
        .header("cookie", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    assert_eq!(app.get_as(&alice, "/users/1").await.0, 401);
    assert_eq!(app.get_as(&bob, "/users/2").await.0, 200, "Bob is still in");

    // Errors say what happened, not where: no store path, no bunq detail.
    let (status, body) = app.get_as(&bob, "/users/2").await;
    assert_eq!(status, 200, "{body}");
    fake.inject(bunq_oauth_fake::Fault::new(bunq_oauth_fake::FaultKind::Status500).times(10));
    let (status, body) = app.get_as(&bob, "/users/2/accounts").await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"], "bunq could not complete the request");
    fake.clear_faults();
}

/// The app on a fresh SQLite store against a fresh fake, with `settings`
/// (environment variables) on top of the tests' configuration.
async fn app_with(settings: &[(&str, &str)]) -> (FakeBunq, tempfile::TempDir, App) {
    let fake = FakeBunq::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut command = app_command(&fake, &sqlite_url(&dir), &new_key());
    command.envs(settings.iter().copied());
    let app = App::start(command).await;
    (fake, dir, app)
}

/// A TCP connection to `address` from the loopback address `source`
/// (127.0.0.0/8 is all loopback on Linux), as from another client.
async fn connect_from(source: [u8; 4], address: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(std::net::SocketAddr::from((source, 0)))
        .unwrap();
    socket.connect(address.parse().unwrap()).await.unwrap()
}

/// An HTTP client whose connections come from the loopback address `source`.
fn http_from(source: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::from(source))
        .build()
        .unwrap()
}

/// One complete `GET /health` on a fresh connection: the answer's first
/// bytes, or empty if the app closed it unanswered.
async fn raw_health(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// One `GET /health` on a kept-alive connection: the answer's head, or
/// `None` once the app has closed the connection.
async fn keep_alive_health(stream: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .ok()?;
    let mut answer = Vec::new();
    loop {
        let mut chunk = [0u8; 1024];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        answer.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_owned())
                })
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                return Some(head.to_owned());
            }
        }
    }
}

/// Half-sent requests do not hold the app: each connection has 5 s to send
/// its headers, at most 256 are served at once, and a real request still
/// gets through while 300 silent ones (from 30 addresses) are open. `/auth`
/// is rate-limited per address, and an `X-Forwarded-For` from a client that
/// is not a trusted proxy changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_and_auth_floods_are_bounded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (_fake, _dir, app) = app_with(&[]).await;
    let address = app.base.trim_start_matches("http://").to_owned();

    let mut silent = Vec::new();
    for client in 10..40 {
        for _ in 0..10 {
            let mut stream = connect_from([127, 0, 0, client], &address).await;
            stream
                .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
            silent.push(stream);
        }
    }
    let started = Instant::now();
    let (status, _) = tokio::time::timeout(Duration::from_secs(20), app.get("/health"))
        .await
        .expect("a real request is served while 300 silent ones wait");
    assert_eq!(status, 200);
    // Every half-sent request is closed by the app, none answered with data
    // it asked for; within the header timeout and the backlog's wait.
    for stream in &mut silent {
        let mut buf = [0u8; 512];
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("the app closes a silent connection");
        let text = String::from_utf8_lossy(&buf[..read.unwrap_or(0)]).into_owned();
        assert!(!text.contains("\"status\""), "{text}");
    }
    assert!(started.elapsed() < Duration::from_secs(30));

    // /auth: 20 per minute from one address, then 429; a forwarded address
    // is the client's own claim here (no trusted proxy), so it changes nothing.
    app.setup().await;
    let mut statuses = Vec::new();
    for i in 0..22 {
        statuses.push(
            http()
                .get(app.url("/auth"))
                .header("x-forwarded-for", format!("203.0.113.{i}"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert!(statuses[..20].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(&statuses[20..], [429, 429]);
}

/// A client address holds a few connections at most; a client that sends
/// requests and never reads the answers loses its connection at the write
/// timeout (and its slot with it); a connection that never idles still
/// ends at its lifetime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_bounded_per_address_and_in_time() {
    use tokio::io::AsyncWriteExt;

    let (fake, _dir, app) = app_with(&[
        ("PSD2_APP_CONNECTIONS_PER_ADDRESS", "4"),
        ("PSD2_APP_WRITE_TIMEOUT_SECS", "1"),
        ("PSD2_APP_HEADER_TIMEOUT_SECS", "30"),
    ])
    .await;
    let address = app.base.trim_start_matches("http://").to_owned();

    // Four half-sent requests from one address: a fifth connection from it
    // is closed unanswered, while another address is served.
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = connect_from([127, 0, 0, 2], &address).await;
        stream.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
        held.push(stream);
    }
    let mut fifth = connect_from([127, 0, 0, 2], &address).await;
    let answer = raw_health(&mut fifth).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    let mut other = connect_from([127, 0, 0, 3], &address).await;
    let answer = raw_health(&mut other).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Four clients from one address that pipeline requests and never read:
    // each connection is closed at the write timeout, so the writers stop
    // with an error, and the address's slots are free again.
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let address = address.clone();
            tokio::spawn(async move {
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                socket
                    .bind(std::net::SocketAddr::from(([127, 0, 0, 4], 0)))
                    .unwrap();
                // A small window, so the app's answers back up quickly.
                socket.set_recv_buffer_size(4096).unwrap();
                let mut stream = socket.connect(address.parse().unwrap()).await.unwrap();
                let requests = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n".repeat(100);
                loop {
                    if stream.write_all(&requests).await.is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        tokio::time::timeout(Duration::from_secs(60), writer)
            .await
            .expect("the app closes a connection whose answers are not read")
            .unwrap();
    }
    let mut again = connect_from([127, 0, 0, 4], &address).await;
    let answer = raw_health(&mut again).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(held);

    // A connection that is never idle long ends at its lifetime all the same.
    let other_dir = tempfile::tempdir().unwrap();
    let mut command = app_command(&fake, &sqlite_url(&other_dir), &new_key());
    command.env("PSD2_APP_CONNECTION_LIFETIME_SECS", "2");
    drop(app);
    let app = App::start(command).await;
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let mut closed = false;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        match keep_alive_health(&mut stream).await {
            None => {
                closed = true;
                break;
            }
            Some(head) if head.to_ascii_lowercase().contains("connection: close") => {
                closed = true;
                break;
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    assert!(closed, "the connection outlived its lifetime");
}

/// Behind trusted proxies the forwarded address is the client: each gets
/// its own `/auth` budget, an IPv6 /64 shares one, and a minute counts a
/// bounded number of addresses (new ones past it wait). A proxy list that
/// does not parse stops the app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_limits_count_forwarded_addresses() {
    let (fake, dir, app) = app_with(&[
        ("PSD2_APP_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8"),
        ("PSD2_APP_AUTH_PER_MINUTE", "3"),
        ("PSD2_APP_TRACKED_ADDRESSES", "5"),
    ])
    .await;
    app.setup().await;
    let auth = |forwarded: &'static str| {
        let url = app.url("/auth");
        async move {
            http()
                .get(url)
                // The client's own claim, what the outer proxy saw, then
                // the inner proxy (trusted, so skipped).
                .header(
                    "x-forwarded-for",
                    format!("192.0.2.1, {forwarded}, 10.0.0.5"),
                )
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut statuses = Vec::new();
    for forwarded in [
        "203.0.113.1",
        "203.0.113.1",
        "203.0.113.1",
        "203.0.113.1", // a fourth from one address: refused
        "203.0.113.2", // another address: its own budget
        "2001:db8:0:1::1",
        "2001:db8:0:1::2",
        "2001:db8:0:1:ffff::3",
        "2001:db8:0:1::4", // the same /64, a fourth time: refused
        "203.0.113.3",
        "203.0.113.4",     // five addresses counted this minute
        "203.0.113.5",     // a sixth waits for the next minute
        "2001:db8:0:2::1", // so does another /64
    ] {
        statuses.push(auth(forwarded).await);
    }
    assert_eq!(
        statuses,
        [
            200, 200, 200, 429, 200, 200, 200, 200, 429, 200, 200, 429, 429
        ]
    );

    let mut command = app_command(&fake, &sqlite_url(&dir), &new_key());
    command.env("PSD2_APP_TRUSTED_PROXIES", "10.0.0.0/33");
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PSD2_APP_TRUSTED_PROXIES"), "{stderr}");
}

/// A log-out is kept in the store: the other instance refuses the cookie at
/// once, and so does the first after a restart. Only a valid sign-in can be
/// logged out: forged or junk cookies revoke nothing and store nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_out_holds_on_every_instance_and_after_a_restart() {
    let fake = FakeBunq::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let database = store.display().to_string();
    let key = new_key();
    let a = App::start(app_command(&fake, &database, &key)).await;
    let mut second = app_command(&fake, &database, &key);
    second.env("PSD2_APP_PUBLIC_URL", &a.base);
    let b = App::start(second).await;
    a.setup().await;
    let (_, status, _, alice) = a.connect_user().await;
    assert_eq!(status, 200);
    let (_, status, _, bob) = a.connect_user().await;
    assert_eq!(status, 200);
    let revoked = || std::fs::read_dir(store.join("revoked")).unwrap().count();

    // Bob's nonce in a cookie without his signature, and junk cookies of
    // 200 kB: no sign-out, nothing kept.
    let parts: Vec<&str> = bob.trim_start_matches("psd2_login=").split('.').collect();
    let forged = format!(
        "psd2_login=v1.{}.{}.{}.{}",
        parts[1],
        parts[2],
        parts[3],
        "00".repeat(32)
    );
    let junk = format!("psd2_login={}", "x.".repeat(100_000));
    for cookie in std::iter::once(forged).chain(std::iter::repeat_n(junk, 20)) {
        let out = http()
            .post(a.url("/logout"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 200);
    }
    assert_eq!(revoked(), 0, "nothing stored for an invalid sign-in");
    assert_eq!(a.get_as(&bob, "/users/2").await.0, 200);
    assert_eq!(b.get_as(&bob, "/users/2").await.0, 200);

    // Alice logs out on a: both refuse her cookie, b at once.
    let out = http()
        .post(a.url("/logout"))
        .header("cookie", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    assert_eq!(revoked(), 1);
    assert_eq!(b.get_as(&alice, "/users/1").await.0, 401);
    assert_eq!(a.get_as(&alice, "/users/1").await.0, 401);

    // And after a restart.
    drop(a);
    let a = App::start(app_command(&fake, &database, &key)).await;
    assert_eq!(a.get_as(&alice, "/users/1").await.0, 401);
    assert_eq!(a.get_as(&bob, "/users/2").await.0, 200, "Bob is still in");
}

/// Behind https the cookies are `__Host-` (Secure, path /); no answer may
/// be cached; `/auth` shows a visitor no internal detail; wrong `/setup`
/// tokens are limited per address (another address still gets in).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_caching_errors_and_setup_guesses_are_guarded() {
    let fake = FakeBunq::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut command = app_command(&fake, &store.display().to_string(), &new_key());
    command.env("PSD2_APP_PUBLIC_URL", "https://app.example");
    let app = App::start(command).await;

    // Five wrong tokens from one address: then even the right one is
    // refused from there for a minute; another address gets in.
    for _ in 0..5 {
        let answer = http()
            .post(app.url("/setup"))
            .bearer_auth("operator-token-for-tests-01234567")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 401);
    }
    let answer = http()
        .post(app.url("/setup"))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 429);
    let answer = http_from([127, 0, 0, 2])
        .post(app.url("/setup"))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    let page = http().get(app.url("/auth")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let set_cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("__Host-psd2_state="), "{set_cookie}");
    for attribute in ["; Path=/;", "; Secure", "; HttpOnly"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    for path in ["/callback?code=a&state=b", "/health", "/users/1"] {
        let answer = http().get(app.url(path)).send().await.unwrap();
        assert_eq!(answer.headers()["cache-control"], "no-store", "{path}");
    }

    // The store fails (its states directory replaced by a file): the
    // visitor gets a generic page, not the error.
    std::fs::remove_dir_all(store.join("states")).unwrap();
    std::fs::write(store.join("states"), b"").unwrap();
    let page = http().get(app.url("/auth")).send().await.unwrap();
    assert_eq!(page.status(), 500);
    let html = page.text().await.unwrap();
    assert!(html.contains("went wrong on our side"), "{html}");
    assert!(
        !html.contains("states") && !html.contains(&*dir.path().to_string_lossy()),
        "{html}"
    );
}

/// Debian's Chromium, headless, as root-safe as the machine allows.
fn chromium(profile: &Path, args: &[&str]) -> std::process::Output {
    let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or_else(|| {
            panic!(
                "the browser check needs Chromium: `apt-get install chromium` (Debian), or run \
                 .ci/test, which installs it"
            )
        });
    let mut child = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=900,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    std::process::Output {
        status,
        stdout: reader.join().unwrap(),
        stderr: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_renders_the_auth_page_with_its_qr_code() {
    let fake = FakeBunq::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(app_command(&fake, &sqlite_url(&dir), &new_key())).await;
    app.setup().await;
    let page = app.url("/auth");

    // The DOM as the browser built it: the QR as SVG and the link.
    let profile = tempfile::tempdir().unwrap();
    let dom = tokio::task::spawn_blocking({
        let (profile, page) = (profile.path().to_owned(), page.clone());
        move || chromium(&profile, &["--dump-dom", &page])
    })
    .await
    .unwrap();
    assert!(dom.status.success());
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<svg"), "no SVG in the rendered page");
    assert!(dom.contains("id=\"authorize\""), "no authorize link");
    assert!(
        dom.contains(&fake.oauth_authorize_url()),
        "the link goes elsewhere"
    );

    // A screenshot, kept as an artifact: the QR code shows up as dark modules.
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("psd2_auth.png");
    let _ = std::fs::remove_file(&shot);
    let profile = tempfile::tempdir().unwrap();
    let output = tokio::task::spawn_blocking({
        let (profile, page, shot) = (profile.path().to_owned(), page.clone(), shot.clone());
        move || {
            chromium(
                &profile,
                &[&format!("--screenshot={}", shot.display()), &page],
            )
        }
    })
    .await
    .unwrap();
    assert!(output.status.success());
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let channels = frame.color_type.samples();
    let (width, height) = (frame.width as usize, frame.height as usize);
    let luma = |x: usize, y: usize| {
        let i = (y * width + x) * channels;
        let sum: u32 = pixels[i..i + 3].iter().map(|&c| c as u32).sum();
        (sum / 3) as u8
    };
    // Decode the QR code as a phone would: it must carry the page's link.
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, luma);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "QR codes found in {}", shot.display());
    let (_, content) = grids[0].decode().expect("the QR code decodes");
    assert!(
        content.starts_with(&fake.oauth_authorize_url()) && content.contains("state="),
        "the QR code carries {content:?}"
    );
}

/// The signed-in user's page in a real browser: one Chromium profile opens
/// `/auth`, follows the authorize link through bunq back to the callback
/// (the browser keeps the state cookie, then the sign-in cookie), lands on
/// `/me` with the user's accounts. Another profile gets no data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_shows_the_signed_in_user_their_page_only() {
    let fake = FakeBunq::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(app_command(&fake, &sqlite_url(&dir), &new_key())).await;
    app.setup().await;
    let browse = |profile: PathBuf, url: String| {
        tokio::task::spawn_blocking(move || {
            let output = chromium(&profile, &["--dump-dom", &url]);
            assert!(output.status.success());
            String::from_utf8_lossy(&output.stdout).into_owned()
        })
    };
    let profile = tempfile::tempdir().unwrap();
    let auth = browse(profile.path().to_owned(), app.url("/auth"))
        .await
        .unwrap();
    let start = auth.find("id=\"authorize\" href=\"").expect("a link") + 21;
    let end = start + auth[start..].find('"').unwrap();
    let link = auth[start..end].replace("&amp;", "&");
    // After consenting, the browser lands on the user's page.
    let callback = browse(profile.path().to_owned(), link).await.unwrap();
    assert!(
        callback.contains("id=\"accounts\""),
        "not on /me: {callback}"
    );
    assert!(callback.contains("id=\"events\""), "{callback}");
    let me = browse(profile.path().to_owned(), app.url("/me"))
        .await
        .unwrap();
    assert!(me.contains("id=\"accounts\""), "{me}");
    assert!(me.contains("NL65BUNQ2090411945"), "the user's IBAN: {me}");
    assert!(me.contains("4118.00 EUR"), "{me}");

    let stranger = tempfile::tempdir().unwrap();
    let other = browse(stranger.path().to_owned(), app.url("/me"))
        .await
        .unwrap();
    assert!(other.contains("not signed in"), "{other}");
    assert!(!other.contains("NL65BUNQ"), "{other}");
}

/// The path of app user `id`'s callback route: what the app registers with
/// bunq (an HMAC of the id under the app's key, computed here the same way).
fn events_path(key: &str, id: u64) -> String {
    let cookie_key = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA256,
        format!("psd2_app sign-in cookies:{key}").as_bytes(),
    );
    let mac = aws_lc_rs::hmac::sign(&cookie_key, format!("events:{id}").as_bytes());
    let token: String = mac.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("/bunq/events/{id}/{token}")
}

/// `GET /me` as a browser holding `cookies`: its status and HTML.
async fn me(app: &App, cookies: &str) -> (u16, String) {
    let answer = http()
        .get(app.url("/me"))
        .header("cookie", cookies)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_reach_each_user_once_and_a_revocation_signs_out() {
    let fake = FakeBunq::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = new_key();
    let app = App::start(app_command(&fake, &sqlite_url(&dir), &key)).await;
    app.setup().await;

    // Alice signs in as a browser: she lands on /me.
    let (link, state_cookie) = app.authorize_link().await;
    let bunq = http().get(&link).send().await.unwrap();
    let callback = bunq.headers()["location"].to_str().unwrap().to_owned();
    let landed = http()
        .get(&callback)
        .header("cookie", &state_cookie)
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(landed.status(), 303);
    assert_eq!(landed.headers()["location"], "/me");
    let alice = cookies(&landed);
    // Bob signs in as a client that asks for JSON.
    let (_, status, body, bob) = app.connect_user().await;
    assert_eq!((status, &body["new_user_id"]), (200, &serde_json::json!(2)));

    // A card payment on the account both connections see: each user's
    // route gets it, and each /me shows it once.
    let account = 2_083_712;
    fake.card_payment(fake.granting_user_id(), account, 450, "Corner Shop")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (a, b) = (me(&app, &alice).await.1, me(&app, &bob).await.1);
        if a.contains("MUTATION_CREATED") && b.contains("MUTATION_CREATED") {
            assert_eq!(a.matches("MUTATION_CREATED").count(), 1, "{a}");
            assert!(a.contains("-4.50 EUR Corner Shop"), "{a}");
            break;
        }
        assert!(Instant::now() < deadline, "no callback shown:\n{a}\n{b}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // bunq's retry of one event (the same body again): kept once.
    let body = r#"{"NotificationUrl":{"category":"MUTATION","event_type":"MUTATION_RECEIVED",
        "object":{"Payment":{"id":777001,"amount":{"value":"9.99","currency":"EUR"},"description":"Refund"}}}}"#;
    for _ in 0..3 {
        let answer = http()
            .post(app.url(&events_path(&key, 1)))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }
    let page = me(&app, &alice).await.1;
    assert_eq!(page.matches("9.99 EUR Refund").count(), 1, "{page}");
    assert!(!me(&app, &bob).await.1.contains("Refund"), "Bob's page");
    // Another user's route with Alice's token, a hostile body: refused.
    let forged = events_path(&key, 1).replace("/events/1/", "/events/2/");
    let answer = http()
        .post(app.url(&forged))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    let answer = http()
        .post(app.url(&events_path(&key, 1)))
        .body("{\"NotificationUrl\":")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);

    // Alice revokes the connection in the bunq app: bunq's OAUTH callback
    // signs her out and deletes her context; Bob is unaffected.
    let (_, alice_user) = app.get_as(&alice, "/users/1").await;
    let connection = alice_user["bunq_user_id"].as_u64().unwrap();
    assert!(fake.revoke_connection(bunq_oauth::UserId(connection)));
    // The app asks bunq first (a session renewal, which bunq's limits pace
    // up to 30 s after the sign-in's session).
    let deadline = Instant::now() + Duration::from_secs(90);
    while me(&app, &alice).await.0 != 401 {
        assert!(Instant::now() < deadline, "Alice is still signed in");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get_as(&alice, "/users/1").await.0, 401);
    assert_eq!(me(&app, &bob).await.0, 200);
}
