//! Every OAuth Client API call, against a local stand-in for bunq that this
//! example starts itself (httpmock on loopback, serving bunq's documented
//! bodies). Run: `cargo run --example walkthrough`.

use bunq_oauth::{Client, OauthClientId, Session, SessionToken, UserId};
use httpmock::prelude::*;

const CREATED: &str = r#"{"Response":[{"Id":{"id":789}}]}"#;
const CLIENT: &str = r#"{"Response":[{"OauthClient":{"id":789,"status":"ACTIVE","display_name":null,"client_id":"client_abc123def456","secret":"secret_xyz789uvw012","callback_url":[{"id":456,"created":"2025-08-13 14:45:20.123456","updated":"2025-08-13 14:45:20.123456","url":"https://yourpartner.com/oauth/callback"}]}}]}"#;
const URL_CREATED: &str = r#"{"Response":[{"Id":{"id":456}}]}"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bunq = MockServer::start_async().await;
    bunq.mock_async(|when, then| {
        when.method(POST).path("/v1/user/1/oauth-client");
        then.status(200).body(CREATED);
    })
    .await;
    bunq.mock_async(|when, then| {
        when.method(GET).path("/v1/user/1/oauth-client/789");
        then.status(200).body(CLIENT);
    })
    .await;
    bunq.mock_async(|when, then| {
        when.method(POST)
            .path("/v1/user/1/oauth-client/789/callback-url");
        then.status(200).body(URL_CREATED);
    })
    .await;

    // The stand-in cannot sign its answers, so the signature check is off.
    let client = Client::builder()
        .api_url(bunq.url("/v1"))
        .verify_response_signatures(false)
        .build()?;
    let session = Session::with_token(&client, UserId(1), SessionToken::new("local-session"));
    println!("local bunq stand-in at {}", client.api_url());

    let id = session.oauth_clients().create().await?;
    println!("1. registered OAuth client {id}");
    let url_id = session
        .callback_urls(id)
        .create("https://yourpartner.com/oauth/callback")
        .await?;
    println!("2. registered callback URL {url_id}");
    let oauth_client = session.oauth_clients().get(OauthClientId(789)).await?;
    println!(
        "3. read it back: client_id {}, status {}, {} callback URL(s), secret {:?}",
        oauth_client.client_id,
        oauth_client.status,
        oauth_client.callback_urls.len(),
        oauth_client.secret
    );
    assert_eq!(oauth_client.callback_urls[0].id, url_id);
    println!("all calls succeeded");
    Ok(())
}
