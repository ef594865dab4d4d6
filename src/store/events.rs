//! The callback events an app keeps per user: each recorded once by its id,
//! read back newest first.

use chrono::{DateTime, Utc};

use crate::notifications::Notification;

/// How long a store keeps an event (and so recognises a repeat of it):
/// bunq retries a delivery for minutes and replays failures on request.
pub const EVENT_RETENTION_DAYS: i64 = 30;

/// One event as an app keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// [`Notification::event_id`]: the same for every delivery of the event.
    pub event_id: String,
    /// `MUTATION`, `DRAFT_PAYMENT`, `OAUTH`, …
    pub category: String,
    /// `MUTATION_RECEIVED`, …
    pub event_type: String,
    /// [`Notification::summary`]: what the app shows.
    pub summary: String,
    /// When the app received it.
    pub received_at: DateTime<Utc>,
}

impl StoredEvent {
    /// The event to keep for a notification received now.
    pub fn from_notification(event: &Notification) -> Self {
        StoredEvent {
            event_id: event.event_id(),
            category: event.category.clone(),
            event_type: event.event_type.clone(),
            summary: event.summary(),
            received_at: Utc::now(),
        }
    }
}
