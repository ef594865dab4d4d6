//! A user's monetary accounts (`GET /user/{userID}/monetary-account`), read-only.
//!
//! Not part of bunq's OAuth Client spec; written by hand on the same request
//! path. For an OAuth session the accounts are those the granting user shared.

use serde::Deserialize;

use crate::envelope::Envelope;
use crate::error::Result;
use crate::models::{MonetaryAccountId, UserId};
use crate::pagination::{Page, PageRequest, paged_list};
use crate::session::Session;

impl Session {
    /// The user's monetary accounts (read-only).
    pub fn monetary_accounts(&self) -> MonetaryAccounts<'_> {
        MonetaryAccounts::new(self)
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

    paged_list!('s, MonetaryAccount, "accounts");

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
