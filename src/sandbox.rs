//! bunq's sandbox, for trying an app without a bank account: a new sandbox
//! user and its API key, and money for its accounts from bunq's "sugar
//! daddy".
//!
//! Both exist only in the sandbox (and in this project's fake bunq); against
//! production they are refused before anything is sent.
//!
//! ```
//! # #[tokio::main]
//! # async fn main() -> bunq_oauth::Result<()> {
//! use bunq_oauth::{Amount, ApiContext, Client, Environment, PagedList, Session, sandbox};
//!
//! # let fake = bunq_oauth_fake::FakeBunq::start().await.expect("the fake bunq");
//! let client = Client::builder().environment(Environment::sandbox()).build()?;
//! # let client = Client::builder().environment(fake.environment()).build()?;
//! let api_key = sandbox::create_user(&client, sandbox::UserKind::Person).await?;
//! let context = ApiContext::create(&client, api_key, "my app").await?;
//! let session = Session::new(&client, context)?;
//! let account = session.account_summaries().list_all().await?[0].id;
//! sandbox::fund(&session, account, &Amount::new("500", "EUR")?).await?;
//! # Ok(())
//! # }
//! ```

use crate::api::types;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::models::MonetaryAccountId;
use crate::secret::ApiKey;
use crate::session::Session;
use crate::values::Amount;

/// The sandbox's "sugar daddy": a request-inquiry to this address is
/// accepted at once and the money arrives (bunq's sandbox documentation).
pub const SUGAR_DADDY: &str = "sugardaddy@bunq.com";

/// The most one request to the sugar daddy may ask, in euro (bunq's sandbox
/// documentation: up to 500 EUR at a time).
pub const MAX_FUNDING_EUR: u32 = 500;

/// Which kind of sandbox user to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    /// `POST /sandbox-user-person`: a person.
    Person,
    /// `POST /sandbox-user-company`: a company.
    Company,
}

/// Creates a sandbox user and answers its API key (`POST /sandbox-user-person`
/// or `/sandbox-user-company`, which need no authentication).
///
/// Use the key as an app owner's: [`ApiContext::create`](crate::ApiContext::create).
/// Against production this is [`Error::Config`], sent nowhere; a build from a
/// description without the operation (bunq's of 2020 had `/sandbox-user`)
/// says so the same way.
pub async fn create_user(client: &Client, kind: UserKind) -> Result<ApiKey> {
    if client.environment().is_production() {
        return Err(Error::Config(
            "bunq production has no sandbox users: use Environment::sandbox()".into(),
        ));
    }
    send_create_user(client, kind).await
}

#[cfg(all(
    bunq_operation = "CREATE_SandboxUserPerson",
    bunq_operation = "CREATE_SandboxUserCompany"
))]
async fn send_create_user(client: &Client, kind: UserKind) -> Result<ApiKey> {
    use crate::generated::calls;
    use crate::transport::CallOptions;

    // No token, nothing to sign with, and no installation's server key to
    // verify the answer with: as `POST /installation`.
    let options = CallOptions {
        unverifiable: true,
        ..Default::default()
    };
    let reply = match kind {
        UserKind::Person => {
            let call = calls::create_sandbox_user_person(&types::SandboxUserPerson::default())?;
            client.send(&call, &options).await?
        }
        UserKind::Company => {
            let call = calls::create_sandbox_user_company(&types::SandboxUserCompany::default())?;
            client.send(&call, &options).await?
        }
    };
    let created: types::SandboxUserPerson = crate::envelope::decode_one(&reply)?;
    created
        .api_key
        .map(|key| ApiKey::new(key.expose_secret()))
        .filter(|key| !key.expose_secret().is_empty())
        .ok_or_else(|| Error::UnexpectedEnvelope {
            expected: format!("{}: an ApiKey with its api_key", reply.operation),
            found: "no api_key".into(),
        })
}

#[cfg(not(all(
    bunq_operation = "CREATE_SandboxUserPerson",
    bunq_operation = "CREATE_SandboxUserCompany"
)))]
async fn send_create_user(_: &Client, _: UserKind) -> Result<ApiKey> {
    Err(Error::Config(
        "this build's bunq description has no /sandbox-user-person or /sandbox-user-company".into(),
    ))
}

/// Asks the sandbox's sugar daddy for `amount` on the session user's
/// `account`: a request-inquiry to [`SUGAR_DADDY`], which the
/// sandbox accepts at once. Answers the request's id.
///
/// Only euro, at most [`MAX_FUNDING_EUR`] a request ([`Error::InvalidInput`]
/// otherwise, sent nowhere); against production [`Error::Config`].
pub async fn fund(session: &Session, account: MonetaryAccountId, amount: &Amount) -> Result<i64> {
    if session.client().environment().is_production() {
        return Err(Error::Config(
            "the sugar daddy lives in bunq's sandbox only; production money is real".into(),
        ));
    }
    let body = funding_request(amount)?;
    session
        .api()
        .request_inquiries(account.path()?)
        .create(&body)
        .await
}

/// The request-inquiry body asking the sugar daddy for `amount`.
fn funding_request(amount: &Amount) -> Result<types::RequestInquiry> {
    let checked = Amount::new(&amount.value, &amount.currency)?;
    let whole: u64 = checked
        .value
        .split('.')
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or(u64::MAX);
    let over = whole > u64::from(MAX_FUNDING_EUR)
        || (whole == u64::from(MAX_FUNDING_EUR)
            && checked
                .value
                .split_once('.')
                .is_some_and(|(_, cents)| cents.bytes().any(|b| b != b'0')));
    if checked.currency != "EUR" || over {
        return Err(Error::InvalidInput(format!(
            "amount {} {}: the sugar daddy gives euro only, at most {MAX_FUNDING_EUR} EUR a request",
            checked.value, checked.currency
        )));
    }
    // The body through serde: the spec's required fields (`allow_bunqme`)
    // must be there, and every other field stays absent.
    serde_json::from_value(serde_json::json!({
        "amount_inquired": {"value": checked.value, "currency": "EUR"},
        "counterparty_alias": {"type": "EMAIL", "value": SUGAR_DADDY, "name": "Sugar Daddy"},
        "description": "Sandbox funding",
        "allow_bunqme": false,
    }))
    .map_err(|e| Error::Config(format!("the generated RequestInquiry type changed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(value: &str) -> Amount {
        Amount::new(value, "EUR").unwrap()
    }

    #[test]
    fn the_funding_request_asks_the_sugar_daddy_in_euro() {
        let body = serde_json::to_value(funding_request(&eur("500.00")).unwrap()).unwrap();
        assert_eq!(body["counterparty_alias"]["value"], SUGAR_DADDY);
        assert_eq!(body["counterparty_alias"]["type"], "EMAIL");
        assert_eq!(body["amount_inquired"]["value"], "500.00");
        assert_eq!(body["amount_inquired"]["currency"], "EUR");
    }

    #[test]
    fn more_than_500_euro_or_another_currency_is_refused() {
        for amount in [eur("500.01"), eur("501"), eur("100000")] {
            assert!(
                matches!(funding_request(&amount), Err(Error::InvalidInput(_))),
                "{amount:?}"
            );
        }
        let usd = Amount::new("10", "USD").unwrap();
        assert!(matches!(funding_request(&usd), Err(Error::InvalidInput(_))));
        assert!(funding_request(&eur("0.01")).is_ok());
    }
}
