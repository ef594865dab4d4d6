//! [`StoreError`]: a leaf below `error.rs` (it imports only the record names).

use crate::store::key::ContextKey;

/// What a store can get wrong, apart from I/O ([`Error::Io`](crate::Error::Io)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store was created with another encryption key.
    #[error("the encryption key does not open this store (it was created with another key)")]
    WrongKey,
    /// No such record.
    #[error("no stored context for {key}")]
    NotFound {
        /// The record asked for.
        key: ContextKey,
    },
    /// A record is unreadable.
    #[error("the stored record `{record}` cannot be read: {reason}")]
    Corrupt {
        /// The record's name.
        record: String,
        /// Why (never its content).
        reason: String,
    },
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A record is older than one the store already had (a rolled-back or
    /// replayed copy), or belongs to a deleted user.
    #[error(
        "the stored record `{record}` is older than the store's latest or was deleted: rolled back or replayed, so it is not used"
    )]
    RolledBack {
        /// The record's name.
        record: String,
    },
}
