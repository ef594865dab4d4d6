//! Where an app keeps its connected users: a [`ContextStore`] holds the
//! [`ApiContext`] of the app owner and of every user who connected through
//! OAuth, the app's [`OAuthConfig`], the pending OAuth `state` values, and
//! the app's revoked sign-in tokens.
//!
//! - [`FileStore`]: a directory of mode-0600 files, written atomically.
//! - [`SqlStore`] (features `sqlite`, `postgres`): SQLite (one file) or PostgreSQL (for
//!   several app instances), with the schema migrations this crate ships.
//!
//! Every secret is encrypted at rest with AES-256-GCM under the operator's
//! [`EncryptionKey`]; opening a store with another key fails with
//! [`StoreError::WrongKey`]. Each record is sealed bound to the store, its
//! name and its version, and a sealed manifest of every record's latest
//! version makes a rolled-back or replayed record [`StoreError::RolledBack`].
//! `FileStore::rekey` and `SqlStore::rekey` rotate the key. Sessions made with [`Session::from_store`]
//! renew through the store: the store's lock makes one session-server call
//! for all handles on it (processes, app instances), and every handle adopts
//! the new session.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use bunq_oauth::store::{AppUserId, ContextKey, ContextStore, EncryptionKey, SqlStore};
//! use bunq_oauth::{Client, Environment, PagedList, Session};
//!
//! # async fn run(context: bunq_oauth::ApiContext) -> bunq_oauth::Result<()> {
//! let key = EncryptionKey::parse(&std::env::var("BUNQ_OAUTH_STORE_KEY").unwrap_or_default())?;
//! let store: Arc<dyn ContextStore> = Arc::new(SqlStore::connect("sqlite://app.db", key).await?);
//! let client = Client::builder().environment(Environment::sandbox()).build()?;
//!
//! // In the OAuth callback: `context` from `ApiContext::for_access_token` gets the app's own id.
//! let id: AppUserId = store.add_user(&context).await?;
//!
//! // Later, in any instance: act as that user; renewals go through the store.
//! let session = Session::from_store(&client, store.clone(), ContextKey::User(id)).await?;
//! let accounts = session.account_summaries().list().await?;
//! println!("{} accounts", accounts.items.len());
//! # Ok(()) }
//! ```
//!
//! [`Session::from_store`]: crate::Session::from_store

use std::fmt;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use crate::context::ApiContext;
use crate::error::Result;
use crate::models::UserId;
use crate::oauth::OAuthConfig;
use crate::secret::CsrfState;

mod events;
mod file;
mod seal;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;

pub(crate) mod error;
pub(crate) mod key;
mod records;

pub use error::StoreError;
pub use events::{EVENT_RETENTION_DAYS, StoredEvent};
pub use file::FileStore;
pub use key::{AppUserId, ContextKey};
pub use seal::EncryptionKey;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::SqlStore;

/// One entry of [`ContextStore::list`]: what is known without decrypting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContext {
    /// The record.
    pub key: ContextKey,
    /// bunq's id of the session user (`{userID}` in paths).
    pub bunq_user_id: UserId,
    /// When the record was last written.
    pub updated_at: DateTime<Utc>,
}

/// A boxed future, so that stores can be used as `Arc<dyn ContextStore>`.
pub type StoreFuture<'a, T> = BoxFuture<'a, Result<T>>;

/// The work a coordinated renewal runs while it holds a record's lock: given
/// the context as stored now, the context to store (the same one if another
/// handle already renewed).
pub type RenewFn<'a> = Box<dyn FnOnce(ApiContext) -> BoxFuture<'a, Result<ApiContext>> + Send + 'a>;

/// Storage for the contexts of an app's owner and connected users, the
/// app's OAuth client, and pending OAuth states. Secrets are encrypted at
/// rest. Implemented by [`FileStore`] and [`SqlStore`].
pub trait ContextStore: Send + Sync + fmt::Debug {
    /// Stores a newly connected user's context under a fresh [`AppUserId`].
    fn add_user<'a>(&'a self, context: &'a ApiContext) -> StoreFuture<'a, AppUserId>;

    /// Writes `context` to `key`: the owner's record is created or replaced;
    /// a user's must exist ([`StoreError::NotFound`] otherwise, since user
    /// ids come from [`add_user`](Self::add_user)).
    fn save<'a>(&'a self, key: ContextKey, context: &'a ApiContext) -> StoreFuture<'a, ()>;

    /// The context stored under `key`, if any.
    fn load(&self, key: ContextKey) -> StoreFuture<'_, Option<ApiContext>>;

    /// Every stored record, owner first, then users by id.
    fn list(&self) -> StoreFuture<'_, Vec<StoredContext>>;

    /// Deletes a record; `false` if there was none.
    fn delete(&self, key: ContextKey) -> StoreFuture<'_, bool>;

    /// Stores the app's OAuth client configuration (the client secret
    /// encrypted), replacing any earlier one.
    fn save_oauth_config<'a>(&'a self, config: &'a OAuthConfig) -> StoreFuture<'a, ()>;

    /// The configuration saved by [`save_oauth_config`](Self::save_oauth_config).
    fn load_oauth_config(&self) -> StoreFuture<'_, Option<OAuthConfig>>;

    /// Remembers an OAuth `state` handed out in an authorize URL, until
    /// `expires_at`. Only its HMAC-SHA256 under a key derived from the
    /// store's key is stored.
    fn add_pending_state<'a>(
        &'a self,
        state: &'a CsrfState,
        expires_at: DateTime<Utc>,
    ) -> StoreFuture<'a, ()>;

    /// Consumes a pending state: `true` exactly once for a state added and
    /// not yet expired, `false` for an unknown, expired or replayed one.
    fn take_pending_state<'a>(&'a self, state: &'a CsrfState) -> StoreFuture<'a, bool>;

    /// Revokes one of the app's own tokens (a sign-in cookie's nonce, say)
    /// until `expires_at`, when it would have expired anyway; after that the
    /// entry is dropped. Every handle on the store (every app instance, and
    /// after a restart) sees the revocation. Only a SHA-256 digest is stored,
    /// and revocations survive a key rotation.
    fn revoke_token<'a>(&'a self, token: &'a str, expires_at: DateTime<Utc>)
    -> StoreFuture<'a, ()>;

    /// Whether `token` was revoked by [`revoke_token`](Self::revoke_token)
    /// and its revocation has not expired.
    fn is_token_revoked<'a>(&'a self, token: &'a str) -> StoreFuture<'a, bool>;

    /// Keeps a callback event for `user` once: `true` the first time its
    /// [`event_id`](StoredEvent::event_id) is recorded for the user, `false`
    /// for a repeat (bunq retries deliveries, several instances may get the
    /// same one). Events older than [`EVENT_RETENTION_DAYS`] are dropped;
    /// deleting the user deletes their events.
    fn record_event<'a>(&'a self, user: AppUserId, event: &'a StoredEvent)
    -> StoreFuture<'a, bool>;

    /// The user's latest events, newest first, at most `limit`.
    fn recent_events(&self, user: AppUserId, limit: usize) -> StoreFuture<'_, Vec<StoredEvent>>;

    /// Runs `renew` on the context stored under `key` while holding that
    /// record's lock against every other handle on the same store, stores
    /// what it returns, and returns it. Used by [`Session::from_store`]
    /// sessions; see the module docs.
    ///
    /// [`Session::from_store`]: crate::Session::from_store
    fn renew_locked<'a>(
        &'a self,
        key: ContextKey,
        renew: RenewFn<'a>,
    ) -> StoreFuture<'a, ApiContext>;
}
