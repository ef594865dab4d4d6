//! A user's monetary accounts (`GET /user/{userID}/monetary-account`), read-only.
//!
//! Not part of bunq's OAuth Client spec; written by hand on the same request
//! path. For an OAuth session the accounts are those the granting user shared.

use futures::Stream;
use serde::Deserialize;

use crate::envelope::Envelope;
use crate::error::Result;
use crate::models::UserId;
use crate::pagination::{Page, PageRequest};
use crate::session::Session;

/// The id of a monetary account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(transparent)]
pub struct MonetaryAccountId(pub u64);

impl std::fmt::Display for MonetaryAccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// An amount as bunq sends it: a currency and a decimal string (`"12.50"`),
/// kept as text so no precision is lost.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Amount {
    /// ISO 4217 code, for example `EUR`.
    pub currency: String,
    /// The decimal value, for example `4118.00`.
    pub value: String,
}

/// A monetary account, with the fields most apps need.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MonetaryAccount {
    /// bunq's object type, for example `MonetaryAccountBank` or `MonetaryAccountSavings`.
    pub kind: String,
    /// The account id.
    pub id: MonetaryAccountId,
    /// The account's description (its name in the app).
    pub description: Option<String>,
    /// The current balance.
    pub balance: Option<Amount>,
    /// `ACTIVE`, `BLOCKED`, `CANCELLED`, …
    pub status: Option<String>,
    /// The IBAN, from the account's `IBAN` alias.
    pub iban: Option<String>,
}

#[derive(Deserialize)]
struct Wire {
    id: MonetaryAccountId,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    balance: Option<Amount>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    alias: Option<Vec<Alias>>,
}

#[derive(Deserialize)]
struct Alias {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

/// The monetary accounts of the session's user. Get one from
/// [`Session::monetary_accounts`].
#[derive(Debug, Clone, Copy)]
pub struct MonetaryAccounts<'s> {
    session: &'s Session,
}

impl<'s> MonetaryAccounts<'s> {
    pub(crate) fn new(session: &'s Session) -> Self {
        MonetaryAccounts { session }
    }

    /// The first page of accounts.
    pub async fn list(&self) -> Result<Page<MonetaryAccount>> {
        self.list_page(PageRequest::new()).await
    }

    /// Every account, page after page, as a stream.
    pub fn stream(&self) -> impl Stream<Item = Result<MonetaryAccount>> + 's {
        let this = *self;
        crate::pagination::items(move |page| async move { this.list_page(page).await })
    }

    /// One page of accounts.
    pub async fn list_page(&self, page: PageRequest) -> Result<Page<MonetaryAccount>> {
        let UserId(user) = self.session.user_id();
        let reply = self
            .session
            .get_raw(&format!("/user/{user}/monetary-account"), page.query())
            .await?;
        let page = Envelope::parse(&reply.body)?.list_by_prefix::<Wire>("MonetaryAccount")?;
        let items = page
            .items
            .into_iter()
            .map(|(kind, wire)| MonetaryAccount {
                kind,
                id: wire.id,
                description: wire.description,
                balance: wire.balance,
                status: wire.status,
                iban: wire
                    .alias
                    .unwrap_or_default()
                    .into_iter()
                    .find(|a| a.kind == "IBAN")
                    .map(|a| a.value),
            })
            .collect();
        Ok(Page::new(items, page.pagination))
    }
}
