//! The names of store records: [`ContextKey`] and the app's [`AppUserId`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// The app's own id for a connected user (the seed app's `new_user_id`),
/// assigned by the store. Not a bunq id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppUserId(pub u64);

impl fmt::Display for AppUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which context a store record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContextKey {
    /// The app owner's context (the API key that owns the OAuth client).
    Owner,
    /// A user connected through OAuth.
    User(AppUserId),
}

impl ContextKey {
    /// The record's name: also the associated data its secrets are sealed
    /// with, so a blob moved onto another record does not decrypt.
    pub(crate) fn record(self) -> String {
        match self {
            ContextKey::Owner => "owner".to_owned(),
            ContextKey::User(id) => format!("user {id}"),
        }
    }
}

impl fmt::Display for ContextKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.record())
    }
}
