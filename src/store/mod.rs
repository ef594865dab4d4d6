//! Where an app keeps its connected users: a [`ContextStore`] holds the
//! [`ApiContext`] of the app owner and of every user who connected through
//! OAuth, the app's [`OAuthConfig`], and the pending OAuth `state` values.
//!
//! - [`FileStore`]: a directory of mode-0600 files, written atomically.
//! - [`SqlStore`] (feature `sql`): SQLite (one file) or PostgreSQL (for
//!   several app instances), with the schema migrations this crate ships.
//!
//! Every secret is encrypted at rest with AES-256-GCM under the operator's
//! [`EncryptionKey`]; opening a store with another key fails with
//! [`StoreError::WrongKey`]. Sessions made with [`Session::from_store`]
//! renew through the store: the store's lock makes one session-server call
//! for all handles on it (processes, app instances), and every handle adopts
//! the new session.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use bunq_oauth::store::{AppUserId, ContextKey, ContextStore, EncryptionKey, SqlStore};
//! use bunq_oauth::{Client, Environment, Session};
//!
//! # async fn run(context: bunq_oauth::ApiContext) -> bunq_oauth::Result<()> {
//! let key = EncryptionKey::parse(&std::env::var("BUNQ_OAUTH_STORE_KEY").unwrap_or_default())?;
//! let store: Arc<dyn ContextStore> = Arc::new(SqlStore::connect("sqlite://app.db", key).await?);
//! let client = Client::builder().environment(Environment::Sandbox).build()?;
//!
//! // In the OAuth callback: `context` from `oauth::connect` gets the app's own id.
//! let id: AppUserId = store.add_user(&context).await?;
//!
//! // Later, in any instance: act as that user; renewals go through the store.
//! let session = Session::from_store(&client, store.clone(), ContextKey::User(id)).await?;
//! let accounts = session.monetary_accounts().list().await?;
//! println!("{} accounts", accounts.items.len());
//! # Ok(()) }
//! ```
//!
//! [`Session::from_store`]: crate::Session::from_store

use std::fmt;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::context::ApiContext;
use crate::error::{Error, Result};
use crate::models::UserId;
use crate::oauth::OAuthConfig;
use crate::secret::CsrfState;

mod file;
mod seal;
#[cfg(feature = "sql")]
mod sql;

pub use file::FileStore;
pub use seal::EncryptionKey;
#[cfg(feature = "sql")]
pub use sql::SqlStore;

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

/// What a store can get wrong, apart from I/O ([`Error::Io`]).
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
    Database(#[source] crate::BoxError),
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
    /// `expires_at`. Only its SHA-256 is stored.
    fn add_pending_state<'a>(
        &'a self,
        state: &'a CsrfState,
        expires_at: DateTime<Utc>,
    ) -> StoreFuture<'a, ()>;

    /// Consumes a pending state: `true` exactly once for a state added and
    /// not yet expired, `false` for an unknown, expired or replayed one.
    fn take_pending_state<'a>(&'a self, state: &'a CsrfState) -> StoreFuture<'a, bool>;

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

/// The stored form of an [`OAuthConfig`], sealed as one record.
#[derive(Serialize, Deserialize)]
struct OAuthConfigRecord {
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    authorize_endpoint: String,
    token_endpoint: String,
}

/// The record name [`OAuthConfig`] is sealed under.
const OAUTH_CONFIG_RECORD: &str = "oauth config";

fn seal_oauth_config(key: &EncryptionKey, config: &OAuthConfig) -> Result<Vec<u8>> {
    let record = OAuthConfigRecord {
        client_id: config.client_id().to_owned(),
        client_secret: config.client_secret().expose_secret().to_owned(),
        redirect_uri: config.redirect_uri().to_owned(),
        authorize_endpoint: config.authorize_endpoint().to_string(),
        token_endpoint: config.token_endpoint().to_string(),
    };
    let json = serde_json::to_vec(&record).map_err(|e| Error::InvalidInput(e.to_string()))?;
    key.seal(OAUTH_CONFIG_RECORD, &json)
}

fn open_oauth_config(key: &EncryptionKey, sealed: &[u8]) -> Result<OAuthConfig> {
    let json = key.open(OAUTH_CONFIG_RECORD, sealed)?;
    let record: OAuthConfigRecord = serde_json::from_slice(&json).map_err(|e| {
        Error::Store(StoreError::Corrupt {
            record: OAUTH_CONFIG_RECORD.into(),
            reason: e.to_string(),
        })
    })?;
    OAuthConfig::from_parts(
        record.client_id,
        record.client_secret,
        record.redirect_uri,
        &record.authorize_endpoint,
        &record.token_endpoint,
    )
}

fn seal_context(key: &EncryptionKey, record: ContextKey, context: &ApiContext) -> Result<Vec<u8>> {
    key.seal(&record.record(), &context.to_json()?)
}

fn open_context(key: &EncryptionKey, record: ContextKey, sealed: &[u8]) -> Result<ApiContext> {
    let json = key.open(&record.record(), sealed)?;
    ApiContext::from_json(&json).map_err(|e| {
        Error::Store(StoreError::Corrupt {
            record: record.record(),
            reason: e.to_string(),
        })
    })
}

/// A pending state's stored form: hex SHA-256, so a database dump holds no
/// usable state.
fn state_digest(state: &CsrfState) -> String {
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, state.expose_secret().as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
