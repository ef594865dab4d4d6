//! `bunq-oauth demo`: the whole OAuth onboarding against the built-in fake
//! bunq, one step at a time, with how long each step took.

use std::future::Future;
use std::time::{Duration, Instant};

use bunq_oauth::api::types;
use bunq_oauth::psd2::SandboxCertificate;
use bunq_oauth::{AccountSummary, Amount, NotificationFilter, PagedList};
use bunq_oauth::{ApiContext, Client, OAuthConfig, Session, SessionUser, parse_callback};
use bunq_oauth_fake::{FakeBunq, FakeConfig};

use crate::CliError;
use crate::accounts::{ACCOUNTS, qr_code};
use crate::notifications::{LocalReceiver, event_line};
use crate::output::Output;

/// The redirect URL the demo app registers. Nothing listens there: the demo
/// reads bunq's redirect from the `Location` header, as a browser would follow it.
const REDIRECT_URI: &str = "https://demo-app.example/oauth/callback";

struct Steps<'a> {
    out: &'a Output,
    number: usize,
    started: Instant,
}

impl Steps<'_> {
    async fn run<T>(
        &mut self,
        title: &str,
        step: impl Future<Output = Result<T, CliError>>,
    ) -> Result<T, CliError> {
        self.number += 1;
        self.out.line(&format!("\n{}. {title}", self.number))?;
        let started = Instant::now();
        let result = self.out.wait(title, step).await;
        let took = started.elapsed();
        match &result {
            Ok(_) => self.out.line(&format!("   ok ({})", millis(took)))?,
            Err(e) => self
                .out
                .line(&format!("   FAILED after {}: {e}", millis(took)))?,
        }
        result
    }
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Runs the demo; with `psd2`, the app is a payment-service provider that
/// registers with a pseudo certificate instead of an API key.
pub async fn run(out: &Output, psd2: bool) -> Result<(), CliError> {
    let mut steps = Steps {
        out,
        number: 0,
        started: Instant::now(),
    };
    out.line("bunq-oauth demo: an app connects to a bunq user through OAuth, against the built-in fake bunq")?;

    let fake = steps
        .run("Start the fake bunq on loopback", async {
            // The user approves draft-payments in their app after a moment.
            let config = FakeConfig::new().approve_after(Some(Duration::from_millis(800)));
            Ok(FakeBunq::start_with(config).await?)
        })
        .await?;
    out.line(&format!("   API at {}", fake.api_url()))?;
    let client = Client::builder()
        .environment(fake.environment())
        .user_agent(concat!("bunq-oauth-demo/", env!("CARGO_PKG_VERSION")))
        .build()?;

    let owner = if psd2 {
        let certificate = steps
            .run(
                "Make a sandbox pseudo certificate (self-signed, CN ending in PISP AISP)",
                async {
                    let made = tokio::task::spawn_blocking(|| {
                        SandboxCertificate::generate("bunq-oauth demo", &["PISP", "AISP"])
                    })
                    .await
                    .map_err(|e| {
                        CliError::Usage(format!("certificate generation stopped: {e}"))
                    })??;
                    Ok(made.to_psd2_certificate()?)
                },
            )
            .await?;
        out.line(&format!(
            "   {} valid until {}",
            certificate.subject(),
            certificate.not_after().format("%Y-%m-%d")
        ))?;
        let registration = steps
            .run(
                "Register as a payment-service provider (installation, PSD2 credential signed with the certificate's key, device-server, session-server)",
                async {
                    Ok(ApiContext::create_for_psd2(&client, certificate, "bunq-oauth demo").await?)
                },
            )
            .await?;
        out.line(&format!(
            "   credential {}; its token is the provider's API key from now on",
            registration.credential.status.as_deref().unwrap_or("?")
        ))?;
        Session::new(&client, registration.context)?
    } else {
        steps
            .run(
                "Create the app owner's API context (installation, device-server, session-server)",
                async {
                    let context =
                        ApiContext::create(&client, fake.owner_api_key(), "bunq-oauth demo")
                            .await?;
                    Ok(Session::new(&client, context)?)
                },
            )
            .await?
    };
    out.line(&format!(
        "   signed in as {} {}; every answer's signature checked against bunq's key",
        owner.user().map(|u| u.type_name()).unwrap_or("user"),
        owner.user_id()
    ))?;

    let oauth_client = steps
        .run(
            "Register an OAuth client (reused if one is active)",
            async { Ok(owner.oauth_client_manager().ensure_active().await?) },
        )
        .await?;
    out.line(&format!(
        "   OAuth client {}: client_id {}, secret {}",
        oauth_client.id,
        oauth_client.client_id,
        out.secret(oauth_client.secret.expose_secret())
    ))?;

    let callback = steps
        .run("Add the app's callback URL", async {
            Ok(owner
                .callback_url_manager(oauth_client.id)
                .ensure(REDIRECT_URI)
                .await?)
        })
        .await?;
    out.line(&format!(
        "   callback URL {}: {}",
        callback.id, callback.url
    ))?;

    let config = OAuthConfig::new(
        oauth_client.client_id.clone(),
        oauth_client.secret.clone(),
        REDIRECT_URI,
    )?;
    let request = steps
        .run("Build the authorize URL with a fresh CSRF state", async {
            Ok(config.authorize_url(client.environment())?)
        })
        .await?;
    out.line(&format!("   {}", request.url()))?;
    if let Ok(qr) = qr_code(request.url().as_str()) {
        out.line("   The user scans this with the bunq app:")?;
        out.line(&qr)?;
    }

    let redirect = steps
        .run(
            "The user approves; follow bunq's redirect back to the app",
            async { follow_redirect(request.url().as_str()).await },
        )
        .await?;
    out.line(&format!(
        "   redirected to {}",
        describe_redirect(&redirect)
    ))?;

    let code = parse_callback(&redirect, request.state())?;
    let token = steps
        .run(
            "Check the state and exchange the code for an access token",
            async { Ok(config.exchange_code(&client, &code).await?) },
        )
        .await?;
    out.line(&format!(
        "   access token {}",
        out.secret(token.expose_secret())
    ))?;

    let user = steps
        .run(
            "Connect as the user: the access token is an API key (installation, device, session)",
            async {
                Ok(Session::new(
                    &client,
                    bunq_oauth::ApiContext::for_access_token(&client, &token, "bunq-oauth demo")
                        .await?,
                )?)
            },
        )
        .await?;
    if let Some(SessionUser::ApiKey(key)) = user.user() {
        out.line(&format!(
            "   UserApiKey {} (the userID for every call)",
            key.id
        ))?;
        out.line(&format!(
            "   requested by {} {}",
            key.requested_by_user.type_name(),
            key.requested_by_user.id()
        ))?;
        out.line(&format!(
            "   granted by   {} {}",
            key.granted_by_user.type_name(),
            key.granted_by_user.id()
        ))?;
    }

    let accounts = steps
        .run("List the user's monetary accounts", async {
            Ok(user.account_summaries().list().await?)
        })
        .await?;
    out.list(&ACCOUNTS, &accounts.items)?;
    if accounts.items.is_empty() {
        return Err(CliError::Usage(
            "the user has no accounts: the onboarding did not complete".into(),
        ));
    }

    // What the grant is for: payments between the user's own accounts and
    // draft-payments the user approves.
    let (main, other) = match (accounts.items.first(), accounts.items.get(1)) {
        (Some(main), Some(other)) => (main.clone(), other.clone()),
        _ => {
            return Err(CliError::Usage(
                "the user needs two accounts for the payment steps".into(),
            ));
        }
    };
    let main_id = main.id.get() as i64;
    let recent = steps
        .run(
            &format!("Read the recent payments of {}", describe(&main)),
            async { Ok(user.api().payments(main_id).list().await?) },
        )
        .await?;
    out.line(&format!("   {} payments so far", recent.items.len()))?;

    let to_iban = other.iban.clone().unwrap_or_default();
    let paid = steps
        .run(
            &format!(
                "Pay 25.00 EUR from {} to {} (both the user's own accounts)",
                describe(&main),
                describe(&other)
            ),
            async {
                let body = types::Payment {
                    amount: Some(Amount::new("25.00", "EUR")?),
                    counterparty_alias: Some(iban_alias(&to_iban, "J. Walker")),
                    description: Some("bunq-oauth demo: between own accounts".into()),
                    ..Default::default()
                };
                Ok(user.api().payments(main_id).create(&body).await?)
            },
        )
        .await?;
    out.line(&format!("   payment {paid}; balances now:"))?;
    let after = user.account_summaries().list().await?;
    out.list(&ACCOUNTS, &after.items)?;

    let mut listener = steps
        .run(
            "Start the app's callback route and ask bunq to post DRAFT_PAYMENT events to it",
            async {
                let listener = LocalReceiver::start(0, None).await?;
                let filter = NotificationFilter::new("DRAFT_PAYMENT", &listener.target)?;
                user.notification_filters().add(&[filter]).await?;
                Ok(listener)
            },
        )
        .await?;
    out.line(&format!("   callbacks to {}", listener.target))?;

    let draft = steps
        .run(
            "Ask the user to approve a draft-payment of 40.00 EUR to their landlord",
            async {
                let body = types::DraftPayment {
                    entries: vec![types::DraftPaymentEntry {
                        amount: Some(Amount::new("40.00", "EUR")?),
                        counterparty_alias: Some(iban_alias("NL91ABNA0417164300", "Landlord")),
                        description: Some("bunq-oauth demo: rent share".into()),
                        ..Default::default()
                    }],
                    number_of_required_accepts: 1.into(),
                    previous_updated_timestamp: None,
                    schedule: None,
                    status: None,
                };
                Ok(user.api().draft_payments(main_id).create(&body).await?)
            },
        )
        .await?;
    let status = steps
        .run("Wait for the user to approve it in the bunq app", async {
            loop {
                let read = user.api().draft_payments(main_id).get(draft).await?;
                match read.status.as_deref() {
                    Some("PENDING") | None => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    Some(status) => break Ok(status.to_owned()),
                }
            }
        })
        .await?;
    out.line(&format!("   draft-payment {draft}: {status}"))?;
    let event = steps
        .run("Receive the callback bunq sent for the approval", async {
            loop {
                let event = tokio::time::timeout(Duration::from_secs(10), listener.next())
                    .await
                    .map_err(|_| CliError::Usage("no callback within 10 s".into()))?
                    .ok_or_else(|| CliError::Usage("the callback route stopped".into()))?;
                if event.category == "DRAFT_PAYMENT" && event.object_id() == Some(draft) {
                    break Ok(event);
                }
            }
        })
        .await?;
    out.line(&format!("   {}", event_line(&event)))?;

    out.line(&format!(
        "\nOnboarding complete: {} steps in {}.",
        steps.number,
        millis(steps.started.elapsed())
    ))?;
    Ok(())
}

/// Opens the authorize URL as a browser would, without following the final
/// redirect, and returns where bunq sends the user.
async fn follow_redirect(url: &str) -> Result<String, CliError> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // The fake is on loopback: no proxy from the environment.
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| CliError::Usage(format!("cannot build the browser stand-in: {e}")))?;
    let response = browser
        .get(url)
        .send()
        .await
        .map_err(|e| CliError::Usage(format!("the authorize page did not answer: {e}")))?;
    if !response.status().is_redirection() {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        return Err(CliError::Usage(format!(
            "the authorize page answered {status} instead of a redirect: {}",
            body.chars().take(200).collect::<String>()
        )));
    }
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| CliError::Usage("the redirect carries no Location".into()))
}

/// Where the redirect goes and which parameters it carries, without values
/// (the code is a secret until used).
fn describe_redirect(redirect: &str) -> String {
    match url::Url::parse(redirect) {
        Ok(url) => {
            let names: Vec<String> = url.query_pairs().map(|(k, _)| format!("{k}=…")).collect();
            format!(
                "{}{}?{}",
                url.origin().ascii_serialization(),
                url.path(),
                names.join("&")
            )
        }
        Err(_) => "(unreadable redirect)".to_owned(),
    }
}

/// An account as the demo names it: its description and id.
fn describe(account: &AccountSummary) -> String {
    format!(
        "{} ({})",
        account.description.as_deref().unwrap_or("account"),
        account.id
    )
}

/// The other side of a payment, given by IBAN.
fn iban_alias(iban: &str, name: &str) -> types::CounterpartyAlias {
    types::CounterpartyAlias {
        type_: Some("IBAN".into()),
        value: Some(iban.into()),
        name: Some(name.into()),
        ..Default::default()
    }
}
