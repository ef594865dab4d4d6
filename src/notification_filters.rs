//! Notification filters: which events bunq POSTs to which URL, for the
//! session's user or one of its accounts.
//!
//! bunq keeps one set per user and per account, and a POST replaces the
//! whole set (an empty list clears it), so adding one filter means reading
//! the set first: [`NotificationFilters::add`] does that. The POST's answer
//! (the set now in force, where bunq's spec says an `Id`) is not read; the
//! set is read back with the GET, whose items bunq sends one per filter.

use crate::error::{Error, Result};
use crate::models::MonetaryAccountId;
use crate::pagination::PagedList;
use crate::session::Session;

/// One filter: bunq POSTs the events of `category` to `target`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NotificationFilter {
    /// `MUTATION`, `PAYMENT`, `DRAFT_PAYMENT`, `REQUEST`,
    /// `CARD_TRANSACTION_SUCCESSFUL`, `OAUTH`, … (bunq adds categories).
    pub category: String,
    /// The https URL bunq POSTs to.
    pub target: String,
}

impl NotificationFilter {
    /// A filter, checked: an upper-case category, an https target (http
    /// only on loopback, for a fake bunq). [`Error::InvalidInput`] otherwise.
    pub fn new(category: &str, target: &str) -> Result<Self> {
        if category.is_empty()
            || !category
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'_')
        {
            return Err(Error::InvalidInput(format!(
                "notification category `{category}`: expected bunq's upper-case name, such as MUTATION"
            )));
        }
        let url = url::Url::parse(target)
            .map_err(|e| Error::InvalidInput(format!("notification target `{target}`: {e}")))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        let allowed = match url.scheme() {
            "https" => url.host().is_some(),
            "http" => loopback,
            _ => false,
        };
        if !allowed {
            return Err(Error::InvalidInput(format!(
                "notification target `{target}`: bunq posts to https URLs only"
            )));
        }
        Ok(NotificationFilter {
            category: category.to_owned(),
            target: target.to_owned(),
        })
    }
}

/// The notification filters of the session's user, or of one account.
/// Get one from [`Session::notification_filters`] or
/// [`Session::account_notification_filters`].
#[derive(Debug, Clone, Copy)]
pub struct NotificationFilters<'s> {
    session: &'s Session,
    account: Option<MonetaryAccountId>,
}

impl Session {
    /// The user's notification filters (events on any of their accounts,
    /// and the user's own: `OAUTH`, …).
    pub fn notification_filters(&self) -> NotificationFilters<'_> {
        NotificationFilters {
            session: self,
            account: None,
        }
    }

    /// One account's notification filters.
    pub fn account_notification_filters(
        &self,
        account: MonetaryAccountId,
    ) -> NotificationFilters<'_> {
        NotificationFilters {
            session: self,
            account: Some(account),
        }
    }
}

impl NotificationFilters<'_> {
    /// The filters now in force.
    pub async fn list(&self) -> Result<Vec<NotificationFilter>> {
        // Every page: a POST replaces the whole set, so `add` must not
        // write back a part of it.
        let items = match self.account {
            None => {
                self.session
                    .api()
                    .notification_filter_urls()
                    .list_all()
                    .await?
            }
            Some(account) => {
                self.session
                    .api()
                    .monetary_account_notification_filter_urls(account.path()?)
                    .list_all()
                    .await?
            }
        };
        items
            .into_iter()
            .map(|item| match (item.category, item.notification_target) {
                (Some(category), Some(target)) => Ok(NotificationFilter { category, target }),
                _ => Err(Error::UnexpectedEnvelope {
                    expected: "a NotificationFilterUrl with its category and notification_target"
                        .into(),
                    found: "a filter without them".into(),
                }),
            })
            .collect()
    }

    /// Replaces the whole set with `filters` (none: clears it) and answers
    /// the set now in force.
    pub async fn replace(&self, filters: &[NotificationFilter]) -> Result<Vec<NotificationFilter>> {
        let entries: Vec<serde_json::Value> = filters
            .iter()
            .map(|f| serde_json::json!({"category": f.category, "notification_target": f.target}))
            .collect();
        // Built through serde into whatever body type the operation takes:
        // bunq's descriptions name it differently over the years
        // (`NotificationFilterUrlUser` in 2020, `NotificationFilterUrl` now).
        let json = serde_json::json!({ "notification_filters": entries });
        let body_error =
            |e: serde_json::Error| Error::Config(format!("the generated filter body changed: {e}"));
        match self.account {
            None => {
                let body = serde_json::from_value(json).map_err(body_error)?;
                self.session
                    .api()
                    .notification_filter_urls()
                    .create(&body)
                    .await?;
            }
            Some(account) => {
                let body = serde_json::from_value(json).map_err(body_error)?;
                self.session
                    .api()
                    .monetary_account_notification_filter_urls(account.path()?)
                    .create(&body)
                    .await?;
            }
        }
        self.list().await
    }

    /// Adds `filters` to the set (those already there are kept once).
    pub async fn add(&self, filters: &[NotificationFilter]) -> Result<Vec<NotificationFilter>> {
        let mut set = self.list().await?;
        for filter in filters {
            if !set.contains(filter) {
                set.push(filter.clone());
            }
        }
        self.replace(&set).await
    }

    /// Removes every filter that posts to `target`; the others stay.
    pub async fn remove_target(&self, target: &str) -> Result<Vec<NotificationFilter>> {
        let mut set = self.list().await?;
        let before = set.len();
        set.retain(|f| f.target != target);
        if set.len() == before {
            return Ok(set);
        }
        self.replace(&set).await
    }

    /// Removes every filter.
    pub async fn clear(&self) -> Result<()> {
        self.replace(&[]).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_needs_bunqs_category_and_an_https_target() {
        assert!(NotificationFilter::new("MUTATION", "https://app.example/bunq").is_ok());
        assert!(NotificationFilter::new("MUTATION", "http://127.0.0.1:8080/cb").is_ok());
        for (category, target) in [
            ("mutation", "https://app.example/bunq"),
            ("", "https://app.example/bunq"),
            ("MUTATION", "http://app.example/bunq"),
            ("MUTATION", "ftp://app.example/bunq"),
            ("MUTATION", "not a url"),
        ] {
            assert!(
                matches!(
                    NotificationFilter::new(category, target),
                    Err(Error::InvalidInput(_))
                ),
                "{category} {target}"
            );
        }
    }
}
