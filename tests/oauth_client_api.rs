//! The nine OAuth Client API operations over real HTTP (httpmock on loopback):
//! what goes on the wire, and the typed values parsed from bunq's bodies.

mod common;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bunq_oauth::{
    CallbackUrlId, Client, OauthClientId, OauthClientStatus, PageRequest, PagedList, Session,
    SessionToken, UserId,
};
use common::ServerKey;
use httpmock::prelude::*;
use httpmock::{Then, When};

const USER_AGENT: &str = "bunq-oauth-tests/1.0";
const TOKEN: &str = "session-token-0123456789";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// One bunq key for the whole file: every answer is signed as bunq signs it.
fn bunq_key() -> &'static ServerKey {
    static KEY: OnceLock<ServerKey> = OnceLock::new();
    KEY.get_or_init(ServerKey::new)
}

fn answer(then: Then, body: impl AsRef<str>) {
    bunq_key().answer(then, body.as_ref());
}

fn session(server: &MockServer) -> Session {
    let client = Client::builder()
        .environment(common::environment_at(server))
        .user_agent(USER_AGENT)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    Session::with_token(&client, UserId(1), SessionToken::new(TOKEN))
        .with_server_key(bunq_key().public())
}

/// Every bunq header with its exact value, a request id, and no `api-version`.
fn bunq_headers(when: When) -> When {
    when.header("user-agent", USER_AGENT)
        .header("cache-control", "no-cache")
        .header("x-bunq-geolocation", "0 0 0 0 000")
        .header("x-bunq-language", "en_US")
        .header("x-bunq-region", "en_US")
        .header("x-bunq-client-authentication", TOKEN)
        .header_exists("x-bunq-client-request-id")
        .header_missing("api-version")
}

#[tokio::test]
async fn create_oauth_client_posts_an_empty_object_and_returns_the_id() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            bunq_headers(when)
                .method(POST)
                .path("/v1/user/1/oauth-client")
                .header("content-type", "application/json")
                .body("{}");
            answer(then, fixture("oauth_client_create.json"));
        })
        .await;
    let id = session(&server)
        .oauth_client_manager()
        .create()
        .await
        .unwrap();
    assert_eq!(id, OauthClientId(789));
    mock.assert_async().await;
}

#[tokio::test]
async fn create_oauth_client_with_status_sends_it() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            bunq_headers(when)
                .method(POST)
                .path("/v1/user/1/oauth-client")
                .body(r#"{"status":"ACTIVE"}"#);
            answer(then, fixture("oauth_client_create.json"));
        })
        .await;
    let id = session(&server)
        .oauth_client_manager()
        .create_with_status(OauthClientStatus::Active)
        .await
        .unwrap();
    assert_eq!(id, OauthClientId(789));
    mock.assert_async().await;
}

#[tokio::test]
async fn list_oauth_clients_returns_items_and_pagination() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            bunq_headers(when)
                .method(GET)
                .path("/v1/user/1/oauth-client")
                .query_param_missing("count");
            answer(then, fixture("oauth_client_list.json"));
        })
        .await;
    let page = session(&server)
        .oauth_client_manager()
        .list()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(page.items.len(), 1);
    let client = &page.items[0];
    assert_eq!(client.id, OauthClientId(789));
    assert_eq!(client.client_id, "client_abc123def456");
    assert_eq!(client.callback_urls.len(), 1);
    assert_eq!(
        client.callback_urls[0].url,
        "https://yourpartner.com/oauth/callback"
    );
    assert_eq!(
        page.pagination.future_url.as_deref(),
        Some("/v1/user/1/oauth-client?count=10&newer_id=789")
    );
    assert!(page.older().is_none());
}

#[tokio::test]
async fn read_oauth_client_unwraps_the_envelope() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            bunq_headers(when)
                .method(GET)
                .path("/v1/user/1/oauth-client/789")
                .header_missing("content-type");
            answer(then, fixture("oauth_client_read.json"));
        })
        .await;
    let client = session(&server)
        .oauth_client_manager()
        .get(OauthClientId(789))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(client.id, OauthClientId(789));
    assert_eq!(client.status, OauthClientStatus::Active);
    assert_eq!(client.display_name, None);
    assert_eq!(client.client_id, "client_abc123def456");
    assert_eq!(client.secret.expose_secret(), "secret_xyz789uvw012");
    assert!(client.callback_urls.is_empty());
    let debug = format!("{client:?}");
    assert!(!debug.contains("secret_xyz789uvw012"), "{debug}");
}

#[tokio::test]
async fn update_oauth_client_puts_the_status() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            bunq_headers(when)
                .method(PUT)
                .path("/v1/user/1/oauth-client/789")
                .body(r#"{"status":"CANCELLED"}"#);
            answer(then, fixture("oauth_client_create.json"));
        })
        .await;
    let id = session(&server)
        .oauth_client_manager()
        .update(OauthClientId(789), OauthClientStatus::Cancelled)
        .await
        .unwrap();
    assert_eq!(id, OauthClientId(789));
    mock.assert_async().await;
}

#[tokio::test]
async fn create_callback_url_posts_the_url() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            bunq_headers(when)
                .method(POST)
                .path("/v1/user/1/oauth-client/789/callback-url")
                .body(r#"{"url":"https://yourpartner.com/oauth/callback"}"#);
            answer(then, fixture("callback_url_create.json"));
        })
        .await;
    let id = session(&server)
        .callback_url_manager(OauthClientId(789))
        .create("https://yourpartner.com/oauth/callback")
        .await
        .unwrap();
    assert_eq!(id, CallbackUrlId(456));
    mock.assert_async().await;
}

#[tokio::test]
async fn list_callback_urls_pages_with_count_and_older_id() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            bunq_headers(when)
                .method(GET)
                .path("/v1/user/1/oauth-client/789/callback-url")
                .query_param("count", "2")
                .query_param_missing("older_id");
            answer(then, fixture("callback_url_list.json"));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            bunq_headers(when)
                .method(GET)
                .path("/v1/user/1/oauth-client/789/callback-url")
                .query_param("count", "2")
                .query_param("older_id", "456");
            answer(then, r#"{"Response":[],"Pagination":{"future_url":null,"newer_url":null,"older_url":null}}"#);
        })
        .await;
    let session = session(&server);
    let urls = session.callback_url_manager(OauthClientId(789));
    let page = urls.list_page(PageRequest::new().count(2)).await.unwrap();
    let ids: Vec<_> = page.items.iter().map(|u| u.id.get()).collect();
    assert_eq!(ids, [457, 456]);
    assert_eq!(page.items[0].url, "https://yourpartner.com/oauth/callback2");
    assert_eq!(
        page.items[0].updated.to_rfc3339(),
        "2025-08-14T09:30:00.500+00:00"
    );
    let older = page.older().expect("an older page");
    let next = urls.list_page(older).await.unwrap();
    assert!(next.items.is_empty());
    first.assert_async().await;
    second.assert_async().await;
}

#[tokio::test]
async fn read_callback_url_parses_bunq_timestamps() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            bunq_headers(when)
                .method(GET)
                .path("/v1/user/1/oauth-client/789/callback-url/456");
            answer(then, fixture("callback_url_read.json"));
        })
        .await;
    let url = session(&server)
        .callback_url_manager(OauthClientId(789))
        .get(CallbackUrlId(456))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(url.id, CallbackUrlId(456));
    assert_eq!(url.url, "https://yourpartner.com/oauth/callback");
    assert_eq!(url.created.to_rfc3339(), "2025-08-13T14:45:20.123456+00:00");
    assert_eq!(url.updated, url.created);
}

#[tokio::test]
async fn update_callback_url_puts_the_url() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            bunq_headers(when)
                .method(PUT)
                .path("/v1/user/1/oauth-client/789/callback-url/456")
                .body(r#"{"url":"https://yourpartner.com/oauth/v2"}"#);
            answer(then, fixture("callback_url_create.json"));
        })
        .await;
    let id = session(&server)
        .callback_url_manager(OauthClientId(789))
        .update(CallbackUrlId(456), "https://yourpartner.com/oauth/v2")
        .await
        .unwrap();
    assert_eq!(id, CallbackUrlId(456));
    mock.assert_async().await;
}

#[tokio::test]
async fn delete_callback_url_sends_delete() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            bunq_headers(when)
                .method(DELETE)
                .path("/v1/user/1/oauth-client/789/callback-url/456");
            answer(then, r#"{"Response":[]}"#);
        })
        .await;
    session(&server)
        .callback_url_manager(OauthClientId(789))
        .delete(CallbackUrlId(456))
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn every_request_gets_a_fresh_request_id() {
    let server = MockServer::start_async().await;
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    server
        .mock_async(move |when, then| {
            bunq_headers(when)
                .method(GET)
                .path("/v1/user/1/oauth-client/789")
                .is_true(move |req| {
                    let id = req
                        .headers()
                        .get("x-bunq-client-request-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    if let Some(id) = id {
                        record.lock().unwrap().push(id);
                    }
                    true
                });
            answer(then, fixture("oauth_client_read.json"));
        })
        .await;
    let session = session(&server);
    for _ in 0..3 {
        session
            .oauth_client_manager()
            .get(OauthClientId(789))
            .await
            .unwrap();
    }
    let mut ids = seen.lock().unwrap().clone();
    assert!(ids.len() >= 3, "{ids:?}");
    ids.sort();
    ids.dedup();
    // httpmock may evaluate a matcher more than once per request, so compare
    // distinct ids with the number of requests.
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids.iter().all(|id| uuid_like(id)), "{ids:?}");
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().filter(|c| *c == '-').count() == 4
}
