//! Callbacks: the notification filters users set, the events that match
//! them, and their delivery over HTTP.
//!
//! As bunq (`docs/callbacks.md` has the sources): a POST of
//! `notification-filter-url` replaces the whole set for the user or the
//! account (an empty list clears it) and a GET lists one
//! `NotificationFilterUrl` item per filter; each event is POSTed as
//! `{"NotificationUrl":{"target_url","category","event_type","object":{"<Kind>":{…}}}}`;
//! a failed delivery is tried again ([`FakeConfig::callback_retries`]: bunq
//! tries 5 more times a minute apart), then kept as a
//! `NotificationFilterFailure` that `POST notification-filter-failure`
//! delivers again.
//!
//! The fake's own choices, where bunq documents nothing: a revoked OAuth
//! connection is category `OAUTH`, event `OAUTH_CONNECTION_REVOKED`, with the
//! connection's `UserApiKey` as the object; http targets are allowed on
//! loopback (bunq wants https).

use std::collections::BTreeMap;
use std::sync::Weak;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use url::{Host, Url};

use crate::Shared;
use crate::state::{State, UserKind};
use crate::wire::{Failure, Outcome, envelope, json_object};
use bunq_oauth::format_timestamp;

/// bunq's limit: two callback URLs per category (its rate-limit page).
const PER_CATEGORY: usize = 2;
/// How long the fake waits for a target to answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Filters, failed deliveries and the queue to the delivery task.
#[derive(Debug, Default)]
pub(super) struct Notifications {
    /// (the user who set them, the account or `None` for the user's) → filters.
    filters: BTreeMap<(u64, Option<u64>), Vec<FilterRec>>,
    failures: BTreeMap<u64, FailureRec>,
    outbox: Option<UnboundedSender<Delivery>>,
}

#[derive(Debug, Clone)]
struct FilterRec {
    id: u64,
    created: String,
    category: String,
    target: String,
}

/// One callback to send.
#[derive(Debug, Clone)]
pub(super) struct Delivery {
    /// The user whose filter asked for it.
    user: u64,
    category: String,
    event_type: String,
    object_id: u64,
    target: String,
    body: Vec<u8>,
}

#[derive(Debug)]
struct FailureRec {
    id: u64,
    created: String,
    delivery: Delivery,
    exception_message: String,
    response_code: Option<u16>,
}

/// Where an event happened, to find the filters it matches.
pub(super) enum Scope {
    /// On an account of this holder: the holder's filters (and those of
    /// OAuth connections that see the holder's accounts) for the user, and
    /// for that account.
    Account { holder: u64, account: u64 },
    /// To these users only (their user-level filters): an OAuth connection
    /// and the app owner it belongs to.
    Users(Vec<u64>),
}

impl Notifications {
    /// Starts the queue; the receiver goes to [`deliver_all`].
    pub(super) fn open_outbox(&mut self) -> UnboundedReceiver<Delivery> {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        self.outbox = Some(sender);
        receiver
    }
}

impl State {
    /// `POST …/notification-filter-url`: the body's filters replace the
    /// set; answers the set now in force, one item per filter.
    pub(super) fn set_notification_filters(
        &mut self,
        user: u64,
        account: Option<u64>,
        body: &[u8],
    ) -> Outcome {
        let body = json_object(body)?;
        let entries = body
            .get("notification_filters")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                Failure::bad_request("The field \"notification_filters\" is required.")
            })?;
        let mut filters = Vec::with_capacity(entries.len());
        let now = format_timestamp(&Utc::now());
        for entry in entries {
            let category = entry
                .get("category")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
                .ok_or_else(|| {
                    Failure::bad_request("Each notification filter needs a category.")
                })?;
            let target = entry
                .get("notification_target")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    Failure::bad_request("Each notification filter needs a notification_target.")
                })?;
            valid_target(target)?;
            let same = filters
                .iter()
                .filter(|f: &&FilterRec| f.category == category)
                .count();
            if same >= PER_CATEGORY {
                return Err(Failure::bad_request(format!(
                    "At most {PER_CATEGORY} callback URLs per category ({category})."
                )));
            }
            filters.push(FilterRec {
                id: self.next_id(),
                created: now.clone(),
                category: category.to_owned(),
                target: target.to_owned(),
            });
        }
        if filters.is_empty() {
            self.notifications.filters.remove(&(user, account));
        } else {
            self.notifications.filters.insert((user, account), filters);
        }
        Ok(self.list_notification_filters(user, account))
    }

    /// `GET …/notification-filter-url`: one `NotificationFilterUrl` item per filter.
    pub(super) fn list_notification_filters(&self, user: u64, account: Option<u64>) -> Value {
        let items = self
            .notifications
            .filters
            .get(&(user, account))
            .into_iter()
            .flatten()
            .map(|f| {
                json!({"NotificationFilterUrl": {
                    "id": f.id,
                    "created": f.created,
                    "updated": f.created,
                    "category": f.category,
                    "notification_target": f.target,
                }})
            })
            .collect();
        envelope(items)
    }

    /// `GET …/notification-filter-failure`: the user's failed deliveries.
    pub(super) fn list_notification_failures(&self, user: u64) -> Value {
        let items = self
            .notifications
            .failures
            .values()
            .rev()
            .filter(|f| f.delivery.user == user)
            .map(|f| {
                json!({"NotificationFilterFailure": {
                    "id": f.id,
                    "created": f.created,
                    "updated": f.created,
                    "notification_filters": [{
                        "category": f.delivery.category,
                        "notification_target": f.delivery.target,
                    }],
                    "category": f.delivery.category,
                    "event_type": f.delivery.event_type,
                    "object_id": f.delivery.object_id,
                    "exception_message": f.exception_message,
                    "response_code": f.response_code,
                }})
            })
            .collect();
        envelope(items)
    }

    /// `POST …/notification-filter-failure` with
    /// `{"notification_filter_failed_ids":"1,2"}`: delivers those again
    /// (each leaves the list; one that fails again comes back).
    pub(super) fn replay_notification_failures(&mut self, user: u64, body: &[u8]) -> Outcome {
        let body = json_object(body)?;
        let ids = body
            .get("notification_filter_failed_ids")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Failure::bad_request("The field \"notification_filter_failed_ids\" is required.")
            })?;
        let ids: Vec<u64> = ids
            .split(',')
            .map(|id| id.trim().parse::<u64>())
            .collect::<Result<_, _>>()
            .map_err(|_| {
                Failure::bad_request("The failure ids must be numbers, comma-separated.")
            })?;
        if ids.is_empty() || ids.len() > 100 {
            return Err(Failure::bad_request("Give 1 to 100 failure ids."));
        }
        let failures = &self.notifications.failures;
        if ids
            .iter()
            .any(|id| failures.get(id).is_none_or(|f| f.delivery.user != user))
        {
            return Err(Failure::not_found("NotificationFilterFailure"));
        }
        for id in ids {
            if let Some(failure) = self.notifications.failures.remove(&id) {
                self.send(failure.delivery);
            }
        }
        Ok(envelope(Vec::new()))
    }

    /// An event: queues a callback to every matching filter's target.
    pub(super) fn notify(
        &mut self,
        scope: Scope,
        category: &str,
        event_type: &str,
        key: &str,
        object: &Map<String, Value>,
    ) {
        let object_id = object.get("id").and_then(Value::as_u64).unwrap_or(0);
        let matching: Vec<(u64, String)> = self
            .notifications
            .filters
            .iter()
            .filter(|((owner, on), _)| match &scope {
                Scope::Account { holder, account } => {
                    self.account_holder(*owner) == *holder && on.is_none_or(|a| a == *account)
                }
                Scope::Users(users) => on.is_none() && users.contains(owner),
            })
            .flat_map(|((owner, _), filters)| {
                filters
                    .iter()
                    .filter(|f| f.category == category)
                    .map(|f| (*owner, f.target.clone()))
            })
            .collect();
        for (user, target) in matching {
            let body = json!({"NotificationUrl": {
                "target_url": target,
                "category": category,
                "event_type": event_type,
                "object": { key: object },
            }});
            self.send(Delivery {
                user,
                category: category.to_owned(),
                event_type: event_type.to_owned(),
                object_id,
                target,
                body: serde_json::to_vec(&body).unwrap_or_default(),
            });
        }
    }

    /// The user revokes an OAuth connection: its tokens and sessions go,
    /// and its and its owner's `OAUTH` filters hear of it.
    pub(super) fn revoke_connection(&mut self, connection: u64) -> bool {
        let Some(UserKind::ApiKey { requested_by, .. }) =
            self.users.get(&connection).map(|u| u.kind.clone())
        else {
            return false;
        };
        self.secrets.retain(|_, user| *user != connection);
        self.sessions
            .retain(|_, session| session.user != connection);
        let object = match self.user_json(connection, 0) {
            Value::Object(mut wrapped) => wrapped
                .remove("UserApiKey")
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default(),
            _ => Map::new(),
        };
        self.notify(
            Scope::Users(vec![connection, requested_by]),
            "OAUTH",
            "OAUTH_CONNECTION_REVOKED",
            "UserApiKey",
            &object,
        );
        // Told once (above); its filters go with the connection.
        self.notifications
            .filters
            .retain(|(owner, _), _| *owner != connection);
        true
    }

    fn send(&mut self, delivery: Delivery) {
        if let Some(outbox) = &self.notifications.outbox {
            self.stats.callbacks_queued += 1;
            // The delivery task ends only with the fake.
            let _ = outbox.send(delivery);
        }
    }
}

/// Checks a filter's target: https, or http on loopback (the fake only).
fn valid_target(target: &str) -> Result<(), Failure> {
    let invalid = || {
        Failure::bad_request(format!(
            "The notification target \"{target}\" is invalid: use an https URL."
        ))
    };
    let url = Url::parse(target).map_err(|_| invalid())?;
    let loopback = match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(invalid()),
    }
}

/// The delivery task: each queued callback in its own task, so a slow
/// target delays no other.
/// It holds the fake weakly, and ends when the fake is dropped (the queue closes).
pub(super) async fn deliver_all(shared: Weak<Shared>, mut queue: UnboundedReceiver<Delivery>) {
    let client = match reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        // The targets are the app's own routes, usually on loopback: never
        // through a proxy named in the environment.
        .no_proxy()
        .user_agent("bunq-oauth-fake callbacks")
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!("the fake cannot deliver callbacks: {e}");
            return;
        }
    };
    while let Some(delivery) = queue.recv().await {
        tokio::spawn(deliver(shared.clone(), client.clone(), delivery));
    }
}

/// One callback: tried, then tried again on the configured schedule, then
/// kept as a failure.
async fn deliver(shared: Weak<Shared>, client: reqwest::Client, delivery: Delivery) {
    let Some((retries, interval)) = shared.upgrade().map(|s| s.config.callback_retries) else {
        return;
    };
    let lock = |f: &dyn Fn(&mut State)| {
        if let Some(shared) = shared.upgrade() {
            f(&mut shared.lock());
        }
    };
    let mut outcome = (String::new(), None);
    for attempt in 0..=retries {
        if attempt > 0 {
            tokio::time::sleep(interval).await;
        }
        // The fake is gone: no more tries (a later test may own the port).
        if shared.strong_count() == 0 {
            return;
        }
        lock(&|state| state.stats.callback_attempts += 1);
        let sent = client
            .post(&delivery.target)
            .header("content-type", "application/json")
            .body(delivery.body.clone())
            .send()
            .await;
        match sent {
            Ok(answer) if answer.status().is_success() => {
                lock(&|state| state.stats.callbacks_delivered += 1);
                return;
            }
            Ok(answer) => {
                let status = answer.status().as_u16();
                outcome = (format!("The target answered HTTP {status}."), Some(status));
            }
            Err(e) if e.is_timeout() => {
                outcome = (
                    format!("No answer within {} seconds.", DELIVERY_TIMEOUT.as_secs()),
                    None,
                );
            }
            Err(_) => outcome = ("The target could not be reached.".to_owned(), None),
        }
    }
    let Some(shared) = shared.upgrade() else {
        return;
    };
    let mut state = shared.lock();
    let id = state.next_id();
    state.stats.callbacks_failed += 1;
    state.notifications.failures.insert(
        id,
        FailureRec {
            id,
            created: format_timestamp(&Utc::now()),
            delivery,
            exception_message: outcome.0,
            response_code: outcome.1,
        },
    );
}
