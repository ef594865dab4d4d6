//! The OAuth onboarding as an app would write it, against the built-in fake
//! bunq (no account needed): `cargo run --example onboarding`.
//!
//! Against bunq's sandbox, replace the fake's URLs and key with
//! `Environment::sandbox()` and your sandbox API key, and send the user to the
//! authorize URL instead of fetching it here.

use bunq_oauth::{ApiContext, Client, OAuthConfig, PagedList, Session, parse_callback};
use bunq_oauth_fake::FakeBunq;

const REDIRECT: &str = "https://app.example/oauth/callback";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bunq = FakeBunq::start().await?;
    let client = Client::builder().environment(bunq.environment()).build()?;

    // 1. One-time setup as the app owner: API context, OAuth client, callback URL.
    let owner = Session::new(
        &client,
        ApiContext::create(&client, bunq.owner_api_key(), "my app").await?,
    )?;
    let oauth_client = owner.oauth_client_manager().ensure_active().await?;
    owner
        .callback_url_manager(oauth_client.id)
        .ensure(REDIRECT)
        .await?;
    println!(
        "OAuth client {} ready (client_id {})",
        oauth_client.id, oauth_client.client_id
    );

    // 2. Send the user to bunq with a fresh CSRF state.
    let config = OAuthConfig::new(
        oauth_client.client_id.clone(),
        oauth_client.secret.clone(),
        REDIRECT,
    )?;
    let request = config.authorize_url(&bunq.environment())?;
    println!("authorize at {}", request.url());

    // 3. The user approves; bunq redirects to REDIRECT?code=…&state=… (the fake
    //    approves at once; a browser would follow this redirect to your app).
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = browser.get(request.url().as_str()).send().await?;
    let redirect = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("bunq did not redirect")?
        .to_owned();

    // 4. Your callback handler: check the state, exchange the code.
    let code = parse_callback(&redirect, request.state())?;
    let token = config.exchange_code(&client, &code).await?;

    // 5. Act as the user: the access token is their API key.
    let user = Session::new(
        &client,
        bunq_oauth::ApiContext::for_access_token(&client, &token, "my app").await?,
    )?;
    println!("connected as UserApiKey {}", user.user_id());
    for account in user.account_summaries().list().await?.items {
        let balance = account
            .balance
            .map(|b| format!("{} {}", b.value, b.currency))
            .unwrap_or_default();
        println!(
            "  {} {:<10} {:>12}  {}",
            account.id,
            account.description.unwrap_or_default(),
            balance,
            account.iban.unwrap_or_default()
        );
    }
    Ok(())
}
