//! Account summaries: the user's monetary accounts
//! (`GET /user/{userID}/monetary-account`, the generated
//! `List_all_MonetaryAccount_for_User`) decoded into a flat model with the
//! fields most apps need (the IBAN picked from the aliases), read-only.
//! For an OAuth session the accounts are those the granting user shared;
//! `session.api().monetary_accounts()` gives the full generated types.

use serde::Deserialize;

use crate::values::Amount;
use serde_json::value::RawValue;

use crate::envelope::UnionItem;
use crate::error::Result;
use crate::models::MonetaryAccountId;
use std::future::Future;

use crate::pagination::{Page, PageRequest, PagedList};
use crate::session::Session;

impl Session {
    /// The user's monetary accounts (read-only).
    pub fn account_summaries(&self) -> AccountSummaries<'_> {
        AccountSummaries::new(self)
    }
}

/// A monetary account, with the fields most apps need.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountSummary {
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

// The flat summary keeps no JSON: `api().monetary_accounts()` does.
impl crate::wire::Decode for AccountSummary {}

impl UnionItem for AccountSummary {
    /// Every kind of account (`MonetaryAccountBank`, `…Savings`, …) has the
    /// fields read here; the wrapper key is the kind.
    fn from_item(key: &str, raw: &RawValue) -> std::result::Result<Self, serde_json::Error> {
        let wire: Wire = serde_json::from_str(raw.get())?;
        Ok(AccountSummary {
            kind: key.to_owned(),
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
    }
}

#[derive(Deserialize)]
struct Alias {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

/// The monetary accounts of the session's user. Get one from
/// [`Session::account_summaries`].
#[derive(Debug, Clone, Copy)]
pub struct AccountSummaries<'s> {
    session: &'s Session,
}

impl<'s> AccountSummaries<'s> {
    pub(crate) fn new(session: &'s Session) -> Self {
        AccountSummaries { session }
    }

    /// One page of accounts.
    pub async fn list_page(&self, page: PageRequest) -> Result<Page<AccountSummary>> {
        self.session
            .api()
            .monetary_accounts()
            .list_page_as::<AccountSummary>(page)
            .await
    }
}

impl<'s> PagedList for AccountSummaries<'s> {
    type Item = AccountSummary;

    fn list_page(
        &self,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<AccountSummary>>> + Send {
        AccountSummaries::list_page(self, page)
    }

    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
