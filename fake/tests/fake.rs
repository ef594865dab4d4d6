//! The built-in fake bunq over real HTTP on loopback: the crate's own client
//! against it, and raw requests (reqwest) for what the crate never sends.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bunq_oauth::signing::{KeyPair, PublicKey, SignatureError};
use bunq_oauth::{
    ApiContext, Client, Error, OAuthConfig, OAuthError, OauthClientDetails, OauthClientId,
    OauthClientStatus, PageRequest, PagedList, RetryPolicy, Session, SessionToken, SessionUser,
    parse_callback,
};
use bunq_oauth_fake::{FakeBunq, FakeConfig, Fault, FaultKind, RateLimits};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const REDIRECT: &str = "https://app.example/oauth/callback";

/// The crate's client for `fake`: no client-side pacing, no retries.
fn client(fake: &FakeBunq) -> Client {
    Client::builder()
        .environment(fake.environment())
        .rate_limits(None)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn owner(fake: &FakeBunq) -> (Client, Session) {
    let client = client(fake);
    let context = ApiContext::create(&client, fake.owner_api_key(), "fake tests")
        .await
        .unwrap();
    let session = Session::new(&client, context).unwrap();
    (client, session)
}

/// The owner's session, an active OAuth client with `REDIRECT` registered,
/// and the OAuth settings pointing at the fake.
async fn oauth_setup(fake: &FakeBunq) -> (Client, Session, OauthClientDetails, OAuthConfig) {
    let (client, owner) = owner(fake).await;
    let oauth_client = owner.oauth_client_manager().ensure_active().await.unwrap();
    owner
        .callback_url_manager(oauth_client.id)
        .ensure(REDIRECT)
        .await
        .unwrap();
    let config = OAuthConfig::new(
        oauth_client.client_id.clone(),
        oauth_client.secret.clone(),
        REDIRECT,
    )
    .unwrap();
    (client, owner, oauth_client, config)
}

/// A browser stand-in that does not follow redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Opens `url` and returns the redirect's `Location`.
async fn follow(url: &str) -> String {
    let response = browser().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The status and `error_description`s of a bunq error.
fn api_error(err: &Error) -> (u16, String) {
    match err {
        Error::Api(api) => (api.status, api.messages.join(" | ")),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Raw HTTP with our own key, for what the crate never sends.
struct Raw {
    http: reqwest::Client,
    api: String,
    key: KeyPair,
    installation_token: String,
    server_key: PublicKey,
}

/// A raw answer: status, headers, exact body bytes.
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    async fn read(response: reqwest::Response) -> Answer {
        Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.bytes().await.unwrap().to_vec(),
        }
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn signature(&self) -> Option<&str> {
        self.headers
            .get("x-bunq-server-signature")
            .map(|v| v.to_str().unwrap())
    }

    /// Checks the server signature over the exact body bytes.
    fn verify(&self, key: &PublicKey) -> Result<(), SignatureError> {
        key.verify(&self.body, self.signature().ok_or(SignatureError::Missing)?)
    }

    fn description(&self) -> String {
        self.json()["Error"][0]["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Raw {
    /// `POST /installation` with a fresh key.
    async fn install(fake: &FakeBunq) -> Raw {
        let http = reqwest::Client::new();
        let key = KeyPair::generate().unwrap();
        let api = fake.api_url();
        let answer = Answer::read(
            http.post(format!("{api}/installation"))
                .json(&json!({"client_public_key": key.public_key().to_pem()}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        let body = answer.json();
        let items = body["Response"].as_array().unwrap();
        let find = |kind: &str| items.iter().find_map(|i| i.get(kind)).unwrap().clone();
        Raw {
            installation_token: find("Token")["token"].as_str().unwrap().to_owned(),
            server_key: PublicKey::from_pem(
                find("ServerPublicKey")["server_public_key"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap(),
            http,
            api,
            key,
        }
    }

    /// A `POST` with the installation token and the given signature header.
    async fn post(&self, path: &str, body: &str, signature: Option<String>) -> Answer {
        let mut request = self
            .http
            .post(format!("{}{path}", self.api))
            .header("x-bunq-client-authentication", &self.installation_token)
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(signature) = signature {
            request = request.header("x-bunq-client-signature", signature);
        }
        Answer::read(request.send().await.unwrap()).await
    }

    async fn post_signed(&self, path: &str, body: &str) -> Answer {
        let signature = self.key.sign(body.as_bytes()).unwrap();
        self.post(path, body, Some(signature)).await
    }

    /// Installation, device-server and session-server for `secret`: the
    /// session token and the user item.
    async fn session(fake: &FakeBunq, secret: &str) -> (Raw, String, Value) {
        let raw = Raw::install(fake).await;
        let device = json!({"description": "raw", "secret": secret}).to_string();
        assert_eq!(
            raw.post_signed("/device-server", &device).await.status,
            StatusCode::OK
        );
        let answer = raw
            .post_signed("/session-server", &json!({"secret": secret}).to_string())
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        answer.verify(&raw.server_key).unwrap();
        let body = answer.json();
        let items = body["Response"].as_array().unwrap().clone();
        let token = items.iter().find_map(|i| i.get("Token")).unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let user = items[2].clone();
        (raw, token, user)
    }

    /// A request with a session token.
    async fn call(&self, method: Method, path: &str, token: &str) -> Answer {
        let response = self
            .http
            .request(method, format!("{}{path}", self.api))
            .header("x-bunq-client-authentication", token)
            .send()
            .await
            .unwrap();
        Answer::read(response).await
    }
}

// --- handshake, signatures ----------------------------------------------

#[tokio::test]
async fn the_crate_handshake_works_and_answers_verify_with_the_server_key() {
    let fake = FakeBunq::start().await.unwrap();
    let client = client(&fake);
    let context = ApiContext::create(&client, fake.owner_api_key(), "fake tests")
        .await
        .unwrap();
    assert_eq!(context.user_id(), fake.owner_user_id());
    assert!(
        matches!(context.user(), SessionUser::Person(_)),
        "{:?}",
        context.user()
    );
    assert_eq!(context.session_timeout(), Duration::from_secs(3600));
    assert!(context.device_id().is_some());
    let stats = fake.stats();
    assert_eq!(
        (
            stats.installations,
            stats.device_servers,
            stats.session_servers
        ),
        (1, 1, 1)
    );
    assert_eq!(stats.by_endpoint["POST /v1/session-server"], 1);

    // The crate checked every answer after installation with the key the
    // fake handed out; a call through the session does the same.
    let session = Session::new(&client, context).unwrap();
    let user = session.user().unwrap();
    assert_eq!(user.id(), fake.owner_user_id());
    assert!(
        session
            .oauth_client_manager()
            .list()
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn every_answer_is_signed_with_the_server_key_and_carries_bunq_headers() {
    let fake = FakeBunq::start().await.unwrap();
    let key = KeyPair::generate().unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/installation", fake.api_url()))
        .header("x-bunq-client-request-id", "req-123")
        .json(&json!({"client_public_key": key.public_key().to_pem()}))
        .send()
        .await
        .unwrap();
    let answer = Answer::read(response).await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.verify(&fake.server_public_key()).unwrap();
    assert_eq!(answer.headers["x-bunq-client-request-id"], "req-123");
    assert_eq!(
        answer.headers["x-bunq-client-response-id"]
            .to_str()
            .unwrap()
            .len(),
        36
    );
    let body = answer.json();
    let items = body["Response"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["Id"]["id"], items[1]["Token"]["id"]);
    let token = items[1]["Token"]["token"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    let pem = items[2]["ServerPublicKey"]["server_public_key"]
        .as_str()
        .unwrap();
    assert_eq!(PublicKey::from_pem(pem).unwrap(), fake.server_public_key());
    // bunq timestamps: `YYYY-MM-DD hh:mm:ss.ffffff`.
    let created = items[1]["Token"]["created"].as_str().unwrap();
    assert!(bunq_oauth::parse_timestamp(created).is_some(), "{created}");
    assert_eq!(created.len(), 26, "{created}");

    // Error answers are signed too, and a tampered body does not verify.
    let error = Answer::read(
        reqwest::Client::new()
            .get(format!("{}/user/1", fake.api_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(error.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error.description(), "Insufficient authorisation.");
    assert!(error.headers.contains_key("x-bunq-client-response-id"));
    error.verify(&fake.server_public_key()).unwrap();
    let mut tampered = error;
    tampered.body.push(b' ');
    assert!(tampered.verify(&fake.server_public_key()).is_err());
}

#[tokio::test]
async fn a_bad_or_missing_client_signature_is_refused() {
    let fake = FakeBunq::start().await.unwrap();
    let raw = Raw::install(&fake).await;
    let body =
        json!({"description": "raw", "secret": fake.owner_api_key().expose_secret()}).to_string();

    // Signed over other bytes, by another key, or not at all: refused.
    let other_bytes = raw.key.sign(format!("{body} ").as_bytes()).unwrap();
    let other_key = KeyPair::generate().unwrap().sign(body.as_bytes()).unwrap();
    for signature in [
        Some(other_bytes),
        Some(other_key),
        Some("bm90IGEgc2lnbmF0dXJl".to_owned()),
        None,
    ] {
        let answer = raw.post("/device-server", &body, signature).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.description(), "The request signature is invalid.");
        answer.verify(&fake.server_public_key()).unwrap();
    }
    assert_eq!(fake.stats().device_servers, 0);

    let answer = raw.post_signed("/device-server", &body).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.json()["Response"][0]["Id"]["id"].as_u64().is_some());
    assert_eq!(fake.stats().device_servers, 1);

    // On a session call a signature is optional, but must verify if present.
    let secret = json!({"secret": fake.owner_api_key().expose_secret()}).to_string();
    let session = raw.post_signed("/session-server", &secret).await.json();
    let token = session["Response"][1]["Token"]["token"].as_str().unwrap();
    let path = format!("{}/user/{}", fake.api_url(), fake.owner_user_id());
    let signed_empty = raw.key.sign(b"").unwrap();
    let wrong = raw.key.sign(b"x").unwrap();
    for (signature, status) in [
        (None, StatusCode::OK),
        (Some(signed_empty), StatusCode::OK),
        (Some(wrong), StatusCode::BAD_REQUEST),
    ] {
        let mut request = raw
            .http
            .get(&path)
            .header("x-bunq-client-authentication", token);
        if let Some(signature) = signature {
            request = request.header("x-bunq-client-signature", signature);
        }
        assert_eq!(request.send().await.unwrap().status(), status);
    }
}

#[tokio::test]
async fn device_and_session_server_check_tokens_and_secrets() {
    let fake = FakeBunq::start().await.unwrap();
    let raw = Raw::install(&fake).await;
    let owner_key = fake.owner_api_key().expose_secret().to_owned();

    let unknown = raw
        .post_signed(
            "/device-server",
            &json!({"description": "d", "secret": "sandbox_not_a_key"}).to_string(),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.description(),
        "User credentials are incorrect. Incorrect API key or IP address."
    );
    let missing = raw
        .post_signed("/device-server", &json!({"secret": owner_key}).to_string())
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(
        missing.description().contains("description"),
        "{}",
        missing.description()
    );
    let bad_ips = raw
        .post_signed(
            "/device-server",
            &json!({"description": "d", "secret": owner_key, "permitted_ips": ["::1"]}).to_string(),
        )
        .await;
    assert_eq!(bad_ips.status, StatusCode::BAD_REQUEST);

    // The key is valid but has no device on this installation yet.
    let session_body = json!({"secret": owner_key}).to_string();
    let early = raw.post_signed("/session-server", &session_body).await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST);
    assert_eq!(fake.stats().session_servers, 0);

    // An unknown installation token.
    let mut stranger = Raw::install(&fake).await;
    stranger.installation_token = "0".repeat(64);
    let refused = stranger.post_signed("/session-server", &session_body).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let device =
        json!({"description": "d", "secret": owner_key, "permitted_ips": ["1.2.3.4", "*"]});
    assert_eq!(
        raw.post_signed("/device-server", &device.to_string())
            .await
            .status,
        StatusCode::OK
    );
    let opened = raw.post_signed("/session-server", &session_body).await;
    assert_eq!(opened.status, StatusCode::OK);
    let body = opened.json();
    let person = &body["Response"][2]["UserPerson"];
    assert_eq!(person["id"], fake.owner_user_id().get());
    assert_eq!(person["session_timeout"], 3600);
    assert_eq!(
        body["Response"][0]["Id"]["id"],
        body["Response"][1]["Token"]["id"]
    );
    assert_eq!(fake.stats().session_servers, 1);
}

// --- OAuth Client API ------------------------------------------------------

#[tokio::test]
async fn oauth_client_crud_with_one_client_per_user() {
    let fake = FakeBunq::start().await.unwrap();
    let (_client, owner) = owner(&fake).await;
    let clients = owner.oauth_client_manager();

    let id = clients.create().await.unwrap();
    let created = clients.get(id).await.unwrap();
    assert_eq!(created.id, id);
    assert_eq!(created.status, OauthClientStatus::Active);
    assert_eq!(created.display_name, None);
    assert!(created.callback_urls.is_empty());
    assert_eq!(created.secret.expose_secret().len(), 64);

    let second = clients.create().await.unwrap_err();
    let (status, message) = api_error(&second);
    assert_eq!(status, 400);
    assert!(message.contains("only have one OAuth client"), "{message}");
    let second = clients
        .create_with_status(OauthClientStatus::Active)
        .await
        .unwrap_err();
    assert_eq!(api_error(&second).0, 400);
    assert_eq!(fake.stats().oauth_clients, 1);

    let page = clients.list().await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].client_id, created.client_id);
    assert_eq!(page.pagination.older_url, None);

    assert_eq!(
        clients
            .update(id, OauthClientStatus::Cancelled)
            .await
            .unwrap(),
        id
    );
    assert_eq!(
        clients.get(id).await.unwrap().status,
        OauthClientStatus::Cancelled
    );
    let bogus = clients
        .update(id, OauthClientStatus::from("SUSPENDED"))
        .await
        .unwrap_err();
    assert_eq!(api_error(&bogus).0, 400);
    let unknown = clients
        .get(OauthClientId(id.get() + 1000))
        .await
        .unwrap_err();
    assert_eq!(api_error(&unknown).0, 404);

    // With the first one cancelled, a new one may be created; then the old
    // one cannot be reactivated beside it.
    let replacement = clients.create().await.unwrap();
    assert!(replacement.get() > id.get(), "ids increase");
    let reactivate = clients
        .update(id, OauthClientStatus::Active)
        .await
        .unwrap_err();
    assert_eq!(api_error(&reactivate).0, 400);
    assert_eq!(clients.list().await.unwrap().items.len(), 2);
}

#[tokio::test]
async fn another_users_id_is_not_found() {
    let fake = FakeBunq::start().await.unwrap();
    let (raw, token, _) = Raw::session(&fake, fake.owner_api_key().expose_secret()).await;
    let client = client(&fake);
    let as_granting_user =
        Session::with_token(&client, fake.granting_user_id(), SessionToken::new(&token))
            .with_server_key(fake.server_public_key());
    let err = as_granting_user
        .oauth_client_manager()
        .list()
        .await
        .unwrap_err();
    let (status, message) = api_error(&err);
    assert_eq!(status, 404);
    assert!(message.contains("not found"), "{message}");
    let err = as_granting_user
        .account_summaries()
        .list()
        .await
        .unwrap_err();
    assert_eq!(api_error(&err).0, 404);

    // The same token on the owner's own id works.
    let own = Session::with_token(&client, fake.owner_user_id(), SessionToken::new(&token))
        .with_server_key(fake.server_public_key());
    assert!(
        own.oauth_client_manager()
            .list()
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let answer = raw
        .call(
            Method::GET,
            &format!("/user/{}", fake.granting_user_id()),
            &token,
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn callback_url_crud_and_validation() {
    let fake = FakeBunq::start().await.unwrap();
    let (_client, owner) = owner(&fake).await;
    let oauth_client = owner.oauth_client_manager().create().await.unwrap();
    let urls = owner.callback_url_manager(oauth_client);

    let id = urls.create(REDIRECT).await.unwrap();
    let local = urls.create("http://127.0.0.1:8080/callback").await.unwrap();
    assert!(local.get() > id.get());
    // Not https: the library refuses these before sending.
    for bad in [
        "http://app.example/callback",
        "ftp://app.example/callback",
        "not a url",
    ] {
        let err = urls.create(bad).await.unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{bad}: {err:?}");
    }
    // https with a fragment: sent, and the fake refuses it as bunq does.
    let err = urls
        .create("https://app.example/callback#fragment")
        .await
        .unwrap_err();
    assert_eq!(api_error(&err).0, 400);
    let duplicate = urls.create(REDIRECT).await.unwrap_err();
    let (status, message) = api_error(&duplicate);
    assert_eq!(status, 400);
    assert!(message.contains("already registered"), "{message}");

    let read = urls.get(id).await.unwrap();
    assert_eq!(read.url, REDIRECT);
    assert_eq!(read.created, read.updated);
    let client = owner
        .oauth_client_manager()
        .get(oauth_client)
        .await
        .unwrap();
    let listed: Vec<_> = client
        .callback_urls
        .iter()
        .map(|u| u.url.as_str())
        .collect();
    assert_eq!(listed, [REDIRECT, "http://127.0.0.1:8080/callback"]);

    assert_eq!(urls.update(id, "https://app.example/v2").await.unwrap(), id);
    let updated = urls.get(id).await.unwrap();
    assert_eq!(updated.url, "https://app.example/v2");
    assert!(updated.updated >= updated.created);
    let clash = urls
        .update(id, "http://127.0.0.1:8080/callback")
        .await
        .unwrap_err();
    assert_eq!(api_error(&clash).0, 400);

    urls.delete(local).await.unwrap();
    assert_eq!(api_error(&urls.get(local).await.unwrap_err()).0, 404);
    assert_eq!(api_error(&urls.delete(local).await.unwrap_err()).0, 404);
    let left: Vec<_> = urls
        .list()
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(left, [id]);
    assert_eq!(fake.stats().callback_urls, 2);

    // Another client id, even a real one of nobody, is not found.
    let elsewhere = owner.callback_url_manager(OauthClientId(oauth_client.get() + 77));
    assert_eq!(api_error(&elsewhere.list().await.unwrap_err()).0, 404);
}

#[tokio::test]
async fn callback_url_pages_yield_each_item_once_newest_first() {
    let fake = FakeBunq::start().await.unwrap();
    let (_client, owner) = owner(&fake).await;
    let oauth_client = owner.oauth_client_manager().create().await.unwrap();
    let ids = fake.add_callback_urls(fake.owner_user_id(), oauth_client.get(), 25);
    assert_eq!(ids.len(), 25);
    assert!(
        fake.add_callback_urls(fake.granting_user_id(), oauth_client.get(), 1)
            .is_empty()
    );
    let urls = owner.callback_url_manager(oauth_client);

    let first = urls.list_page(PageRequest::new().count(10)).await.unwrap();
    let user = fake.owner_user_id();
    assert_eq!(
        first.pagination.older_url.as_deref(),
        Some(
            format!(
                "/v1/user/{user}/oauth-client/{oauth_client}/callback-url?count=10&older_id={}",
                ids[15]
            )
            .as_str()
        )
    );
    assert_eq!(first.pagination.newer_url, None);

    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut request = PageRequest::new().count(10);
    loop {
        let page = urls.list_page(request).await.unwrap();
        pages.push(page.items.len());
        seen.extend(page.items.iter().map(|u| u.id));
        match page.older() {
            Some(older) => request = older,
            None => break,
        }
    }
    assert_eq!(pages, [10, 10, 5]);
    let newest_first: Vec<_> = ids.iter().rev().copied().collect();
    assert_eq!(seen, newest_first);

    // Back from the second page to the first through newer_url.
    let second = urls.list_page(first.older().unwrap()).await.unwrap();
    let back = urls.list_page(second.newer().unwrap()).await.unwrap();
    let back_ids: Vec<_> = back.items.iter().map(|u| u.id).collect();
    let first_ids: Vec<_> = first.items.iter().map(|u| u.id).collect();
    assert_eq!(back_ids, first_ids);
    // The default page holds 10.
    assert_eq!(urls.list().await.unwrap().items.len(), 10);
}

#[tokio::test]
async fn page_sizes_above_200_are_refused() {
    let fake = FakeBunq::start().await.unwrap();
    let (raw, token, _) = Raw::session(&fake, fake.owner_api_key().expose_secret()).await;
    let path = format!("/user/{}/monetary-account", fake.owner_user_id());
    for (query, status) in [
        ("?count=200", StatusCode::OK),
        ("?count=201", StatusCode::BAD_REQUEST),
        ("?count=0", StatusCode::BAD_REQUEST),
        ("?count=ten", StatusCode::BAD_REQUEST),
        ("?older_id=1&newer_id=2", StatusCode::BAD_REQUEST),
    ] {
        let answer = raw
            .call(Method::GET, &format!("{path}{query}"), &token)
            .await;
        assert_eq!(answer.status, status, "{query}");
    }
    let page = raw.call(Method::GET, &path, &token).await.json();
    assert_eq!(page["Response"].as_array().unwrap().len(), 1);
    assert_eq!(
        page["Response"][0]["MonetaryAccountBank"]["user_id"],
        fake.owner_user_id().get()
    );
    assert_eq!(
        page["Pagination"],
        json!({"future_url": null, "newer_url": null, "older_url": null})
    );
}

// --- OAuth flow ------------------------------------------------------------

#[tokio::test]
async fn authorize_redirects_with_code_and_state() {
    let fake = FakeBunq::start().await.unwrap();
    let (_client, owner, oauth_client, config) = oauth_setup(&fake).await;
    let request = config.authorize_url(&fake.environment()).unwrap();
    let location = follow(request.url().as_str()).await;
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    let code = parse_callback(&location, request.state()).unwrap();
    assert_eq!(code.expose_secret().len(), 64);
    assert_eq!(fake.stats().codes_issued, 1);

    // A registered redirect URI with a query gets the parameters after `&`.
    let with_query = "https://app.example/cb?tenant=7";
    owner
        .callback_url_manager(oauth_client.id)
        .create(with_query)
        .await
        .unwrap();
    let url = format!(
        "{}?response_type=code&client_id={}&redirect_uri={}&state=a%20b%26c",
        fake.oauth_authorize_url(),
        config.client_id(),
        "https%3A%2F%2Fapp.example%2Fcb%3Ftenant%3D7",
    );
    let location = follow(&url).await;
    let parsed = url::Url::parse(&location).unwrap();
    let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    assert_eq!(pairs[0], ("tenant".into(), "7".into()));
    assert_eq!(pairs[1].0, "code");
    assert_eq!(pairs[2], ("state".into(), "a b&c".into()));
}

#[tokio::test]
async fn authorize_refuses_what_it_cannot_redirect() {
    let fake = FakeBunq::start().await.unwrap();
    let (_client, owner, oauth_client, config) = oauth_setup(&fake).await;
    let base = fake.oauth_authorize_url();
    let id = &oauth_client.client_id;
    let cases = [
        // Not registered: a trailing slash is another URL.
        format!(
            "{base}?response_type=code&client_id={id}&redirect_uri=https%3A%2F%2Fapp.example%2Foauth%2Fcallback%2F&state=s"
        ),
        format!(
            "{base}?response_type=code&client_id={id}&redirect_uri=https%3A%2F%2Fevil.example%2F&state=s"
        ),
        format!(
            "{base}?response_type=token&client_id={id}&redirect_uri=https%3A%2F%2Fapp.example%2Foauth%2Fcallback"
        ),
        format!(
            "{base}?response_type=code&client_id=nobody&redirect_uri=https%3A%2F%2Fapp.example%2Foauth%2Fcallback"
        ),
        format!("{base}?response_type=code&client_id={id}"),
        format!("{base}?%ff%fe=%00"),
    ];
    for url in &cases {
        let response = browser().get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{url}");
        assert!(response.headers().get("location").is_none());
        assert!(response.text().await.unwrap().contains("<html>"));
    }
    // A cancelled client cannot authorize.
    owner
        .oauth_client_manager()
        .update(oauth_client.id, OauthClientStatus::Cancelled)
        .await
        .unwrap();
    let request = config.authorize_url(&fake.environment()).unwrap();
    let response = browser().get(request.url().as_str()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fake.stats().codes_issued, 0);
}

#[tokio::test]
async fn a_denying_user_sends_access_denied() {
    let fake = FakeBunq::start_with(FakeConfig::new().deny_authorization(true))
        .await
        .unwrap();
    let (_client, _owner, _oauth_client, config) = oauth_setup(&fake).await;
    let request = config.authorize_url(&fake.environment()).unwrap();
    let location = follow(request.url().as_str()).await;
    assert!(
        location.starts_with(&format!("{REDIRECT}?error=access_denied")),
        "{location}"
    );
    match parse_callback(&location, request.state()).unwrap_err() {
        Error::OAuth(OAuthError::Denied { error, description }) => {
            assert_eq!(error, "access_denied");
            assert!(description.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.stats().codes_issued, 0);
}

#[tokio::test]
async fn a_code_is_exchanged_once() {
    let fake = FakeBunq::start().await.unwrap();
    let (client, _owner, oauth_client, config) = oauth_setup(&fake).await;
    let request = config.authorize_url(&fake.environment()).unwrap();
    let location = follow(request.url().as_str()).await;
    let code = parse_callback(&location, request.state()).unwrap();
    let token = config.exchange_code(&client, &code).await.unwrap();
    assert_eq!(token.expose_secret().len(), 64);
    assert!(token.expose_secret().bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(fake.stats().tokens_issued, 1);

    match config.exchange_code(&client, &code).await.unwrap_err() {
        Error::OAuth(OAuthError::TokenRejected {
            status,
            error,
            description,
        }) => {
            assert_eq!((status, error.as_str()), (400, "invalid_grant"));
            assert_eq!(
                description.as_deref(),
                Some("The authorization code is invalid or expired.")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.stats().tokens_issued, 1);

    // The raw answer: bearer token and the state from the authorize request.
    let request = config.authorize_url(&fake.environment()).unwrap();
    let location = follow(request.url().as_str()).await;
    let code = parse_callback(&location, request.state()).unwrap();
    let mut url = url::Url::parse(&fake.oauth_token_url()).unwrap();
    url.query_pairs_mut()
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code.expose_secret())
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("client_id", config.client_id())
        .append_pair("client_secret", oauth_client.secret.expose_secret());
    let answer: Value = reqwest::Client::new()
        .post(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["token_type"], "bearer");
    assert_eq!(answer["state"], request.state().expose_secret());
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let fake = FakeBunq::start_with(FakeConfig::new().code_ttl(Duration::from_millis(200)))
        .await
        .unwrap();
    let (client, _owner, _oauth_client, config) = oauth_setup(&fake).await;
    let request = config.authorize_url(&fake.environment()).unwrap();
    let code = parse_callback(&follow(request.url().as_str()).await, request.state()).unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    match config.exchange_code(&client, &code).await.unwrap_err() {
        Error::OAuth(OAuthError::TokenRejected { status, error, .. }) => {
            assert_eq!((status, error.as_str()), (400, "invalid_grant"));
        }
        other => panic!("{other:?}"),
    }
    // A fresh code used at once works.
    let request = config.authorize_url(&fake.environment()).unwrap();
    let code = parse_callback(&follow(request.url().as_str()).await, request.state()).unwrap();
    config.exchange_code(&client, &code).await.unwrap();
}

#[tokio::test]
async fn the_token_endpoint_checks_client_grant_type_and_redirect() {
    let fake = FakeBunq::start().await.unwrap();
    let (client, owner, oauth_client, config) = oauth_setup(&fake).await;
    let fresh_code = || async {
        let request = config.authorize_url(&fake.environment()).unwrap();
        parse_callback(&follow(request.url().as_str()).await, request.state()).unwrap()
    };
    let rejected = |err: Error| match err {
        Error::OAuth(OAuthError::TokenRejected { status, error, .. }) => (status, error),
        other => panic!("{other:?}"),
    };

    let code = fresh_code().await;
    let wrong_secret = OAuthConfig::new(
        oauth_client.client_id.clone(),
        bunq_oauth::ClientSecret::new("wrong"),
        REDIRECT,
    )
    .unwrap();
    let err = wrong_secret
        .exchange_code(&client, &code)
        .await
        .unwrap_err();
    assert_eq!(rejected(err), (401, "invalid_client".to_owned()));
    // The code survived the failed attempt.
    config.exchange_code(&client, &code).await.unwrap();

    // Another redirect_uri than the code was issued for.
    let code = fresh_code().await;
    owner
        .callback_url_manager(oauth_client.id)
        .create("https://app.example/other")
        .await
        .unwrap();
    let other_redirect = OAuthConfig::new(
        oauth_client.client_id.clone(),
        oauth_client.secret.clone(),
        "https://app.example/other",
    )
    .unwrap();
    let err = other_redirect
        .exchange_code(&client, &code)
        .await
        .unwrap_err();
    assert_eq!(rejected(err), (400, "invalid_grant".to_owned()));

    // Raw: an unsupported grant_type, a missing parameter.
    let post = |query: &'static str| {
        let url = format!("{}?{query}", fake.oauth_token_url());
        async move {
            let response = reqwest::Client::new().post(url).send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = post("grant_type=client_credentials").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");
    let (status, body) = post("grant_type=authorization_code&code=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(fake.stats().tokens_issued, 1);
}

#[tokio::test]
async fn an_access_token_opens_a_user_api_key_session_with_the_granting_users_accounts() {
    let fake = FakeBunq::start().await.unwrap();
    let (client, _owner, _oauth_client, config) = oauth_setup(&fake).await;
    let request = config.authorize_url(&fake.environment()).unwrap();
    let code = parse_callback(&follow(request.url().as_str()).await, request.state()).unwrap();
    let token = config.exchange_code(&client, &code).await.unwrap();

    let context = bunq_oauth::ApiContext::for_access_token(&client, &token, "user device")
        .await
        .unwrap();
    let SessionUser::ApiKey(key) = context.user().clone() else {
        panic!("{:?}", context.user())
    };
    assert_eq!(key.requested_by_user.id(), fake.owner_user_id());
    assert_eq!(key.granted_by_user.id(), fake.granting_user_id());
    assert!(matches!(*key.requested_by_user, SessionUser::Person(_)));
    assert_ne!(key.id, fake.owner_user_id());
    assert_ne!(key.id, fake.granting_user_id());
    assert_eq!(context.user_id(), key.id);

    // The same token gives the same UserApiKey id again.
    let again = bunq_oauth::ApiContext::for_access_token(&client, &token, "second device")
        .await
        .unwrap();
    assert_eq!(again.user_id(), key.id);

    let user = Session::new(&client, context).unwrap();
    let accounts = user.account_summaries().list().await.unwrap();
    let summary: Vec<_> = accounts
        .items
        .iter()
        .map(|a| {
            (
                a.id.0,
                a.description.clone().unwrap(),
                a.balance.as_ref().unwrap().value.clone(),
                a.iban.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                2083721,
                "Medical".into(),
                "1643.00".into(),
                "NL09BUNQ2090405775".into()
            ),
            (
                2083719,
                "Car".into(),
                "954.00".into(),
                "NL17BUNQ2090415428".into()
            ),
            (
                2083712,
                "Main".into(),
                "4118.00".into(),
                "NL65BUNQ2090411945".into()
            ),
        ]
    );
    assert!(
        accounts
            .items
            .iter()
            .all(|a| a.kind == "MonetaryAccountBank")
    );
    let first = user
        .account_summaries()
        .list_page(PageRequest::new().count(2))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let rest = user
        .account_summaries()
        .list_page(first.older().unwrap())
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].id.0, 2083712);

    // GET /user/{id} answers the UserApiKey; the connection cannot manage
    // OAuth clients.
    let (raw, session_token, item) = Raw::session(&fake, token.expose_secret()).await;
    assert_eq!(item["UserApiKey"]["id"], key.id.get());
    assert_eq!(
        item["UserApiKey"]["granted_by_user"]["UserPerson"]["id"],
        fake.granting_user_id().get()
    );
    let me = raw
        .call(Method::GET, &format!("/user/{}", key.id), &session_token)
        .await;
    assert_eq!(me.json()["Response"][0]["UserApiKey"]["id"], key.id.get());
    let forbidden = raw
        .call(
            Method::GET,
            &format!("/user/{}/oauth-client", key.id),
            &session_token,
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

// --- sessions --------------------------------------------------------------

#[tokio::test]
async fn expired_sessions_are_renewed_by_the_crate() {
    let fake = FakeBunq::start().await.unwrap();
    let (_client, owner) = owner(&fake).await;
    owner.oauth_client_manager().list().await.unwrap();
    let before = fake.stats().session_servers;
    fake.expire_sessions();
    assert!(
        owner
            .oauth_client_manager()
            .list()
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(fake.stats().session_servers, before + 1);
    // And the new session keeps working without another renewal.
    owner.account_summaries().list().await.unwrap();
    assert_eq!(fake.stats().session_servers, before + 1);

    // A raw old token stays refused.
    let (raw, token, _) = Raw::session(&fake, fake.owner_api_key().expose_secret()).await;
    fake.expire_sessions();
    let answer = raw
        .call(
            Method::GET,
            &format!("/user/{}", fake.owner_user_id()),
            &token,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.description(), "Insufficient authorisation.");
}

#[tokio::test]
async fn sessions_time_out_after_their_last_use() {
    let fake = FakeBunq::start_with(FakeConfig::new().session_timeout(Duration::from_millis(600)))
        .await
        .unwrap();
    let (raw, token, user) = Raw::session(&fake, fake.owner_api_key().expose_secret()).await;
    assert_eq!(
        user["UserPerson"]["session_timeout"], 1,
        "rounded up to whole seconds"
    );
    let path = format!("/user/{}", fake.owner_user_id());
    for _ in 0..3 {
        // Each call is within the timeout of the previous one, so the
        // session lives longer than one timeout in total.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            raw.call(Method::GET, &path, &token).await.status,
            StatusCode::OK
        );
    }
    tokio::time::sleep(Duration::from_millis(900)).await;
    let answer = raw.call(Method::GET, &path, &token).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.description(), "Insufficient authorisation.");
}

// --- rate limits -----------------------------------------------------------

#[tokio::test]
async fn rate_limits_answer_429_after_the_limit_per_endpoint() {
    let limits = RateLimits::uniform(2, Duration::from_secs(1));
    let fake = FakeBunq::start_with(FakeConfig::new().rate_limits(Some(limits)))
        .await
        .unwrap();
    let (_client, owner) = owner(&fake).await;
    let clients = owner.oauth_client_manager();
    clients.list().await.unwrap();
    clients.list().await.unwrap();
    let err = clients.list().await.unwrap_err();
    let (status, message) = api_error(&err);
    assert_eq!(status, 429);
    assert_eq!(
        message,
        "Too many requests. You can do a maximum of 2 calls per 1 second to this endpoint."
    );
    assert_eq!(fake.stats().rate_limited, 1);
    // Another endpoint has its own budget; the first frees up after the window.
    owner.account_summaries().list().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    clients.list().await.unwrap();
    assert_eq!(fake.stats().rate_limited, 1);
}

#[tokio::test]
async fn session_server_has_its_own_limit() {
    let fake = FakeBunq::start_with(FakeConfig::new().rate_limits(Some(RateLimits::default())))
        .await
        .unwrap();
    let client = client(&fake);
    ApiContext::create(&client, fake.owner_api_key(), "first")
        .await
        .unwrap();
    let err = ApiContext::create(&client, fake.owner_api_key(), "second")
        .await
        .unwrap_err();
    let (status, message) = api_error(&err);
    assert_eq!(status, 429);
    assert!(
        message.contains("maximum of 1 calls per 30 second"),
        "{message}"
    );
    let stats = fake.stats();
    assert_eq!(
        (
            stats.session_servers,
            stats.installations,
            stats.rate_limited
        ),
        (1, 2, 1)
    );
}

// --- faults ----------------------------------------------------------------

/// A fake with an owner session and one OAuth client.
async fn with_client() -> (FakeBunq, Session, OauthClientId) {
    let fake = FakeBunq::start().await.unwrap();
    let (_client, owner) = owner(&fake).await;
    let id = owner.oauth_client_manager().create().await.unwrap();
    (fake, owner, id)
}

#[tokio::test]
async fn status_faults_answer_bunq_errors_without_handling() {
    let fake = FakeBunq::start().await.unwrap();
    let (raw, token, _) = Raw::session(&fake, fake.owner_api_key().expose_secret()).await;
    let path = format!("/user/{}/oauth-client", fake.owner_user_id());
    for (kind, status) in [
        (FaultKind::Status500, StatusCode::INTERNAL_SERVER_ERROR),
        (FaultKind::Status503, StatusCode::SERVICE_UNAVAILABLE),
        (FaultKind::Status429, StatusCode::TOO_MANY_REQUESTS),
    ] {
        fake.inject(Fault::new(kind));
        let answer = raw.call(Method::POST, &path, &token).await;
        assert_eq!(answer.status, status);
        answer.verify(&fake.server_public_key()).unwrap();
        assert!(!answer.description().is_empty());
        if kind == FaultKind::Status429 {
            assert!(answer.description().starts_with("Too many requests."));
        }
    }
    assert_eq!(fake.stats().oauth_clients, 0, "nothing was handled");
    assert_eq!(fake.stats().faults_applied, 3);
    assert_eq!(fake.stats().rate_limited, 0);
    // Used up: the next request is handled.
    assert_eq!(
        raw.call(Method::GET, &path, &token).await.status,
        StatusCode::OK
    );

    // The crate's default retry policy rides over a 503 on a GET.
    let retrying = Client::builder()
        .environment(fake.environment())
        .rate_limits(None)
        .retry_policy(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(10), Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    let context = ApiContext::create(&retrying, fake.owner_api_key(), "retry")
        .await
        .unwrap();
    let owner = Session::new(&retrying, context).unwrap();
    fake.inject(Fault::new(FaultKind::Status503).on(Method::GET, "/oauth-client"));
    let before = fake.stats().requests_total;
    owner.oauth_client_manager().list().await.unwrap();
    assert_eq!(fake.stats().requests_total, before + 2);
}

#[tokio::test]
async fn a_slow_fault_delays_a_normal_answer() {
    let (fake, owner, id) = with_client().await;
    fake.inject(Fault::new(FaultKind::Slow(Duration::from_millis(400))));
    let started = Instant::now();
    let read = owner.oauth_client_manager().get(id).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(read.id, id);
    let started = Instant::now();
    owner.oauth_client_manager().get(id).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(400));
}

#[tokio::test]
async fn a_connection_dropped_before_handling_changes_nothing() {
    let fake = FakeBunq::start().await.unwrap();
    let (_client, owner) = owner(&fake).await;
    fake.inject(Fault::new(FaultKind::DropBeforeHandling).on(Method::POST, "/oauth-client"));
    let err = owner.oauth_client_manager().create().await.unwrap_err();
    assert!(
        matches!(err, Error::OutcomeUnknown { .. } | Error::Transport { .. }),
        "{err:?}"
    );
    assert!(
        owner
            .oauth_client_manager()
            .list()
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(fake.stats().oauth_clients, 0);
    // The client can simply try again.
    owner.oauth_client_manager().create().await.unwrap();
}

#[tokio::test]
async fn a_connection_dropped_after_handling_keeps_the_change() {
    let fake = FakeBunq::start().await.unwrap();
    let (_client, owner) = owner(&fake).await;
    fake.inject(Fault::new(FaultKind::DropAfterHandling).on(Method::POST, "/oauth-client"));
    let err = owner.oauth_client_manager().create().await.unwrap_err();
    assert!(
        matches!(err, Error::OutcomeUnknown { .. } | Error::Transport { .. }),
        "{err:?}"
    );
    let listed = owner.oauth_client_manager().list().await.unwrap().items;
    assert_eq!(
        listed.len(),
        1,
        "the client was created although no answer came"
    );
    assert_eq!(fake.stats().oauth_clients, 1);
    // So a blind retry is refused: the one-client rule sees the first.
    assert_eq!(
        api_error(&owner.oauth_client_manager().create().await.unwrap_err()).0,
        400
    );
}

#[tokio::test]
async fn malformed_json_is_signed_but_undecodable() {
    let (fake, owner, id) = with_client().await;
    fake.inject(Fault::new(FaultKind::MalformedJson));
    let err = owner.oauth_client_manager().get(id).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");

    let (raw, token, _) = Raw::session(&fake, fake.owner_api_key().expose_secret()).await;
    fake.inject(Fault::new(FaultKind::MalformedJson).on_path("/oauth-client"));
    let answer = raw
        .call(
            Method::GET,
            &format!("/user/{}/oauth-client/{id}", fake.owner_user_id()),
            &token,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.verify(&fake.server_public_key()).unwrap();
    assert!(serde_json::from_slice::<Value>(&answer.body).is_err());
    assert!(answer.body.starts_with(b"{\"Response\""));
}

#[tokio::test]
async fn bad_and_missing_signatures_are_caught_by_the_crate() {
    let (fake, owner, id) = with_client().await;
    fake.inject(Fault::new(FaultKind::BadSignature));
    let err = owner.oauth_client_manager().get(id).await.unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Mismatch)),
        "{err:?}"
    );
    fake.inject(Fault::new(FaultKind::MissingSignature));
    let err = owner.oauth_client_manager().get(id).await.unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::Missing)),
        "{err:?}"
    );

    let (raw, token, _) = Raw::session(&fake, fake.owner_api_key().expose_secret()).await;
    let path = format!("/user/{}/oauth-client/{id}", fake.owner_user_id());
    fake.inject(Fault::new(FaultKind::BadSignature));
    let answer = raw.call(Method::GET, &path, &token).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.signature().is_some());
    assert_eq!(
        answer.verify(&fake.server_public_key()),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(answer.json()["Response"][0]["OauthClient"]["id"], id.get());
    fake.inject(Fault::new(FaultKind::MissingSignature));
    let answer = raw.call(Method::GET, &path, &token).await;
    assert_eq!(answer.signature(), None);
    // Untouched afterwards.
    owner.oauth_client_manager().get(id).await.unwrap();
}

#[tokio::test]
async fn unknown_fields_are_added_and_signed() {
    let (fake, owner, id) = with_client().await;
    let (raw, token, _) = Raw::session(&fake, fake.owner_api_key().expose_secret()).await;
    let plain = owner.oauth_client_manager().get(id).await.unwrap();
    // Two requests hit it: the crate's, then a raw one to look at the body.
    fake.inject(Fault::new(FaultKind::UnknownFields).times(2));
    let extended = owner.oauth_client_manager().get(id).await.unwrap();
    assert_eq!(extended.client_id, plain.client_id);
    assert_eq!(
        extended.secret.expose_secret(),
        plain.secret.expose_secret()
    );

    let answer = raw
        .call(
            Method::GET,
            &format!("/user/{}/oauth-client/{id}", fake.owner_user_id()),
            &token,
        )
        .await;
    answer.verify(&fake.server_public_key()).unwrap();
    let body = answer.json();
    let top: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert!(top.len() > 1, "{top:?}");
    let item = body["Response"][0]["OauthClient"].as_object().unwrap();
    assert!(item.len() > 6, "{item:?}");
    assert_eq!(fake.stats().faults_applied, 2);
}

#[tokio::test]
async fn faults_follow_their_filters_and_times() {
    let (fake, owner, id) = with_client().await;
    fake.inject(
        Fault::new(FaultKind::Status500)
            .on(Method::PUT, "/oauth-client")
            .times(2),
    );
    // GETs pass untouched.
    owner.oauth_client_manager().get(id).await.unwrap();
    owner.oauth_client_manager().list().await.unwrap();
    for _ in 0..2 {
        let err = owner
            .oauth_client_manager()
            .update(id, OauthClientStatus::Active)
            .await
            .unwrap_err();
        assert_eq!(api_error(&err).0, 500);
    }
    owner
        .oauth_client_manager()
        .update(id, OauthClientStatus::Active)
        .await
        .unwrap();
    // times(0) is ignored; clear_faults drops what is queued.
    fake.inject(Fault::new(FaultKind::Status500).times(0));
    fake.inject(Fault::new(FaultKind::Status503).on_path("/monetary-account"));
    fake.clear_faults();
    owner.oauth_client_manager().get(id).await.unwrap();
    owner.account_summaries().list().await.unwrap();
    assert_eq!(fake.stats().faults_applied, 2);
}

// --- robustness, lifecycle -------------------------------------------------

#[tokio::test]
async fn garbage_gets_bunq_errors_and_the_fake_keeps_working() {
    let fake = FakeBunq::start().await.unwrap();
    let http = reqwest::Client::new();
    let api = fake.api_url();
    let key = fake.server_public_key();
    let send = |method: Method, path: &str, body: Vec<u8>| {
        http.request(method, format!("{api}{path}"))
            .body(body)
            .send()
    };
    let cases: Vec<(Method, &str, Vec<u8>, StatusCode)> = vec![
        (Method::POST, "/installation", b"not json".to_vec(), StatusCode::BAD_REQUEST),
        (Method::POST, "/installation", b"[]".to_vec(), StatusCode::BAD_REQUEST),
        (Method::POST, "/installation", br#"{"client_public_key":5}"#.to_vec(), StatusCode::BAD_REQUEST),
        (Method::POST, "/installation", br#"{"client_public_key":"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}"#.to_vec(), StatusCode::BAD_REQUEST),
        (Method::POST, "/installation", vec![0xff, 0xfe, 0x00], StatusCode::BAD_REQUEST),
        (Method::PUT, "/installation", Vec::new(), StatusCode::METHOD_NOT_ALLOWED),
        // A generated read beside the handshake: it needs a session.
        (Method::GET, "/installation", Vec::new(), StatusCode::UNAUTHORIZED),
        (Method::DELETE, "/user/1/oauth-client", Vec::new(), StatusCode::METHOD_NOT_ALLOWED),
        (Method::GET, "/nothing-here", Vec::new(), StatusCode::NOT_FOUND),
        (Method::GET, "/user/abc", Vec::new(), StatusCode::NOT_FOUND),
        (Method::GET, "/user/99999999999999999999999", Vec::new(), StatusCode::NOT_FOUND),
        (Method::GET, "/user/1/oauth-client/1/callback-url/1/extra", Vec::new(), StatusCode::NOT_FOUND),
        (Method::GET, "/user/1", Vec::new(), StatusCode::UNAUTHORIZED),
        (Method::POST, "/session-server", b"{}".to_vec(), StatusCode::UNAUTHORIZED),
        (Method::POST, "/installation", vec![b' '; 2 * 1024 * 1024], StatusCode::PAYLOAD_TOO_LARGE),
    ];
    for (method, path, body, status) in cases {
        let answer = Answer::read(send(method.clone(), path, body).await.unwrap()).await;
        assert_eq!(answer.status, status, "{method} {path}");
        assert!(!answer.description().is_empty(), "{method} {path}");
        answer.verify(&key).unwrap();
    }
    // A token header that is not text.
    let odd = reqwest::header::HeaderValue::from_bytes(b"\xff\xfe").unwrap();
    let response = http
        .get(format!("{api}/user/1"))
        .header("x-bunq-client-authentication", odd)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Still serving.
    let (_client, owner) = owner(&fake).await;
    owner.oauth_client_manager().create().await.unwrap();
}

#[tokio::test]
async fn dropping_the_fake_stops_the_server() {
    let fake = FakeBunq::start().await.unwrap();
    let url = format!("{}/installation", fake.api_url());
    let http = reqwest::Client::new();
    assert_eq!(
        http.post(&url).body("{}").send().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    drop(fake);
    let mut refused = false;
    for _ in 0..40 {
        // A new client each time: no pooled connection to reuse.
        match reqwest::Client::new().post(&url).body("{}").send().await {
            Err(e) if e.is_connect() => {
                refused = true;
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert!(refused, "the port still accepts connections");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_on_a_multi_thread_runtime_get_unique_ids() {
    let fake = FakeBunq::start().await.unwrap();
    let (_client, owner) = owner(&fake).await;
    let oauth_client = owner.oauth_client_manager().create().await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let owner = owner.clone();
            tokio::spawn(async move {
                owner
                    .callback_url_manager(oauth_client)
                    .create(&format!("https://app.example/cb/{n}"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for task in tasks {
        assert!(ids.insert(task.await.unwrap()));
    }
    let listed = owner
        .callback_url_manager(oauth_client)
        .list_page(PageRequest::new().count(200))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 20);
    assert!(listed.items.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(fake.stats().callback_urls, 20);
    let by_endpoint = fake.stats().by_endpoint;
    assert_eq!(
        by_endpoint["POST /v1/user/{id}/oauth-client/{id}/callback-url"],
        20
    );
}

#[test]
fn a_fake_outlives_its_starting_task_on_a_runtime_it_shares() {
    // Started inside one task, used from another: the server is a task of
    // the runtime, not of the caller.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let fake = tokio::spawn(FakeBunq::start()).await.unwrap().unwrap();
        let (_client, owner) = owner(&fake).await;
        assert_eq!(owner.user_id(), fake.owner_user_id());
    });
}
