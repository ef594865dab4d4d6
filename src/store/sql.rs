//! [`SqlStore`]: contexts in SQLite or PostgreSQL, through one sqlx `Any` pool.
//!
//! The SQL is portable between the two (`$1` placeholders, `ON CONFLICT`,
//! `RETURNING`); only the migrations differ (`migrations/sqlite`,
//! `migrations/postgres`). The store runs them itself and records the schema
//! version in `bunq_oauth_schema`, apart from any app's own migrations.
//!
//! Coordinated renewal opens a transaction whose first statement updates the
//! user's row: PostgreSQL holds that row lock, SQLite its write lock, until
//! commit, so handles on the same database renew one at a time and each sees
//! the session the previous one stored.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor, Row};

use super::{
    AppUserId, ContextKey, ContextStore, EncryptionKey, RenewFn, StoreError, StoreFuture,
    StoredContext, open_context, open_oauth_config, seal_context, seal_oauth_config, state_digest,
};
use crate::context::ApiContext;
use crate::error::{Error, Result};
use crate::models::UserId;
use crate::oauth::OAuthConfig;
use crate::secret::CsrfState;

/// The schema migrations, in order: (version, SQLite, PostgreSQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    include_str!("../../migrations/sqlite/0001_contexts.sql"),
    include_str!("../../migrations/postgres/0001_contexts.sql"),
)];

/// How long SQLite waits for another connection's write lock (a renewal
/// holds it for one session-server call).
const SQLITE_BUSY_TIMEOUT_MS: u32 = 60_000;

/// A [`ContextStore`] in SQLite (`sqlite://app.db`, one file, the app's
/// default) or PostgreSQL (`postgres://…`, shared by several app instances).
#[derive(Debug, Clone)]
pub struct SqlStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: AnyPool,
    key: EncryptionKey,
}

fn db(error: sqlx::Error) -> Error {
    Error::Store(StoreError::Database(Box::new(error)))
}

impl SqlStore {
    /// Connects to `url` (`sqlite://path` — created if missing — or
    /// `postgres://user@host/db`), brings the schema up to date, and checks
    /// `key` against the store ([`StoreError::WrongKey`] if it was created
    /// with another key).
    pub async fn connect(url: &str, key: EncryptionKey) -> Result<SqlStore> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let postgres = url.starts_with("postgres:") || url.starts_with("postgresql:");
        // Each backend is a feature of its own: name the missing one.
        for (wanted, scheme, feature) in [
            (sqlite && !cfg!(feature = "sqlite"), "sqlite://", "sqlite"),
            (
                postgres && !cfg!(feature = "postgres"),
                "postgres://",
                "postgres",
            ),
        ] {
            if wanted {
                return Err(Error::Config(format!(
                    "{scheme} stores need bunq-oauth's `{feature}` feature"
                )));
            }
        }
        let url = if sqlite && !url.contains("mode=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_owned()
        };
        // The URL may hold a password: errors name the scheme only.
        let options: AnyConnectOptions = url.parse().map_err(|e: sqlx::Error| {
            Error::Config(format!(
                "DATABASE_URL is not a sqlite:// or postgres:// URL: {}",
                redact_url_error(&e)
            ))
        })?;
        // One direct connection first: an unreachable server or a refused
        // login fails now, with its own reason, instead of after the pool's
        // acquire timeout.
        AnyConnection::connect_with(&options)
            .await
            .map_err(db)?
            .close()
            .await
            .map_err(db)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        conn.execute(
                            format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}").as_str(),
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(db)?;
        let store = SqlStore {
            inner: Arc::new(Inner { pool, key }),
        };
        store.inner.migrate(sqlite).await?;
        store.inner.check_key().await?;
        Ok(store)
    }

    /// The schema version this crate's migrations bring a database to.
    pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;
}

/// sqlx's URL errors can quote the URL; keep only what names no secret.
fn redact_url_error(error: &sqlx::Error) -> &'static str {
    match error {
        sqlx::Error::Configuration(_) => "unsupported or malformed URL",
        _ => "invalid URL",
    }
}

fn row_id(key: ContextKey) -> Result<i64> {
    match key {
        ContextKey::Owner => Ok(0),
        ContextKey::User(AppUserId(id)) => i64::try_from(id)
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| Error::InvalidInput(format!("user id {id} is out of range"))),
    }
}

fn key_of(id: i64) -> ContextKey {
    if id == 0 {
        ContextKey::Owner
    } else {
        ContextKey::User(AppUserId(id as u64))
    }
}

fn timestamp(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).single().unwrap_or_default()
}

impl Inner {
    async fn migrate(&self, sqlite: bool) -> Result<()> {
        // Two instances starting at once can race on CREATE TABLE IF NOT
        // EXISTS in PostgreSQL; the loser simply tries again.
        let mut attempt = 0;
        loop {
            match self.migrate_once(sqlite).await {
                Ok(()) => return Ok(()),
                Err(e) if attempt < 3 => {
                    attempt += 1;
                    tracing::debug!(error = %e, "schema migration raced; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn migrate_once(&self, sqlite: bool) -> Result<()> {
        self.pool
            .execute(
                "CREATE TABLE IF NOT EXISTS bunq_oauth_schema \
                 (id INTEGER PRIMARY KEY, version BIGINT NOT NULL)",
            )
            .await
            .map_err(db)?;
        sqlx::query(
            "INSERT INTO bunq_oauth_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
        )
        .execute(&self.pool)
        .await
        .map_err(db)?;
        let mut tx = self.pool.begin().await.map_err(db)?;
        // The update locks the version row: one migrator at a time.
        sqlx::query("UPDATE bunq_oauth_schema SET version = version WHERE id = 1")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let current: i64 = sqlx::query("SELECT version FROM bunq_oauth_schema WHERE id = 1")
            .fetch_one(&mut *tx)
            .await
            .and_then(|row| row.try_get(0))
            .map_err(db)?;
        if current > SqlStore::SCHEMA_VERSION {
            return Err(Error::Config(format!(
                "the database schema is version {current}; this crate knows up to {}",
                SqlStore::SCHEMA_VERSION
            )));
        }
        for (version, sqlite_sql, postgres_sql) in MIGRATIONS {
            if *version <= current {
                continue;
            }
            let sql = if sqlite { sqlite_sql } else { postgres_sql };
            tracing::info!(version, "applying bunq-oauth store migration");
            (&mut *tx).execute(*sql).await.map_err(db)?;
            sqlx::query("UPDATE bunq_oauth_schema SET version = $1 WHERE id = 1")
                .bind(*version)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn check_key(&self) -> Result<()> {
        // Publish a check if none exists (first open), then verify whichever
        // one is there: two first opens with different keys cannot both win.
        sqlx::query(
            "INSERT INTO bunq_oauth_secrets (name, sealed) VALUES ('key check', $1) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(self.key.key_check()?)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        let sealed = self.secret("key check").await?.unwrap_or_default();
        self.key.verify_key_check(&sealed)
    }

    async fn secret(&self, name: &str) -> Result<Option<Vec<u8>>> {
        sqlx::query("SELECT sealed FROM bunq_oauth_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| row.try_get::<Vec<u8>, _>(0).map_err(db))
            .transpose()
    }

    async fn add_user(&self, context: &ApiContext) -> Result<AppUserId> {
        let bunq_user_id = bunq_user_id_column(context)?;
        // The id is part of the sealed record's associated data, so take it
        // first and seal second, in one transaction.
        let mut tx = self.pool.begin().await.map_err(db)?;
        let id: i64 = sqlx::query(
            "INSERT INTO bunq_oauth_contexts (bunq_user_id, sealed, updated_at) \
             VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(bunq_user_id)
        .bind(Vec::<u8>::new())
        .bind(Utc::now().timestamp())
        .fetch_one(&mut *tx)
        .await
        .and_then(|row| row.try_get(0))
        .map_err(db)?;
        let key = key_of(id);
        sqlx::query("UPDATE bunq_oauth_contexts SET sealed = $1 WHERE id = $2")
            .bind(seal_context(&self.key, key, context)?)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        match key {
            ContextKey::User(id) => Ok(id),
            // id 0 is only ever written explicitly, for the owner.
            ContextKey::Owner => Err(Error::Store(StoreError::Corrupt {
                record: "owner".into(),
                reason: "the database handed out id 0".into(),
            })),
        }
    }

    async fn save(&self, key: ContextKey, context: &ApiContext) -> Result<()> {
        let id = row_id(key)?;
        let sealed = seal_context(&self.key, key, context)?;
        let bunq_user_id = bunq_user_id_column(context)?;
        let now = Utc::now().timestamp();
        let written = match key {
            ContextKey::Owner => sqlx::query(
                "INSERT INTO bunq_oauth_contexts (id, bunq_user_id, sealed, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET \
                 bunq_user_id = excluded.bunq_user_id, sealed = excluded.sealed, \
                 updated_at = excluded.updated_at",
            ),
            ContextKey::User(_) => sqlx::query(
                "UPDATE bunq_oauth_contexts SET bunq_user_id = $2, sealed = $3, updated_at = $4 \
                 WHERE id = $1",
            ),
        }
        .bind(id)
        .bind(bunq_user_id)
        .bind(sealed)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        if written.rows_affected() == 0 {
            return Err(StoreError::NotFound { key }.into());
        }
        Ok(())
    }

    async fn load(&self, key: ContextKey) -> Result<Option<ApiContext>> {
        let row = sqlx::query("SELECT sealed FROM bunq_oauth_contexts WHERE id = $1")
            .bind(row_id(key)?)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        match row {
            Some(row) => {
                let sealed: Vec<u8> = row.try_get(0).map_err(db)?;
                open_context(&self.key, key, &sealed).map(Some)
            }
            None => Ok(None),
        }
    }

    async fn list(&self) -> Result<Vec<StoredContext>> {
        let rows =
            sqlx::query("SELECT id, bunq_user_id, updated_at FROM bunq_oauth_contexts ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get(0).map_err(db)?;
                let bunq_user_id: i64 = row.try_get(1).map_err(db)?;
                let updated_at: i64 = row.try_get(2).map_err(db)?;
                Ok(StoredContext {
                    key: key_of(id),
                    bunq_user_id: UserId(bunq_user_id as u64),
                    updated_at: timestamp(updated_at),
                })
            })
            .collect()
    }

    async fn delete(&self, key: ContextKey) -> Result<bool> {
        let done = sqlx::query("DELETE FROM bunq_oauth_contexts WHERE id = $1")
            .bind(row_id(key)?)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() > 0)
    }

    async fn save_oauth_config(&self, config: &OAuthConfig) -> Result<()> {
        sqlx::query(
            "INSERT INTO bunq_oauth_secrets (name, sealed) VALUES ('oauth config', $1) \
             ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed",
        )
        .bind(seal_oauth_config(&self.key, config)?)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn add_pending_state(&self, digest: String, expires_at: DateTime<Utc>) -> Result<()> {
        let now = Utc::now().timestamp();
        sqlx::query("DELETE FROM bunq_oauth_pending_states WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        sqlx::query(
            "INSERT INTO bunq_oauth_pending_states (digest, expires_at) VALUES ($1, $2) \
             ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at",
        )
        .bind(digest)
        .bind(expires_at.timestamp())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn take_pending_state(&self, digest: String) -> Result<bool> {
        // One statement consumes it: a concurrent second taker deletes nothing.
        let done = sqlx::query(
            "DELETE FROM bunq_oauth_pending_states WHERE digest = $1 AND expires_at > $2",
        )
        .bind(&digest)
        .bind(Utc::now().timestamp())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            // An expired state is spent too.
            sqlx::query("DELETE FROM bunq_oauth_pending_states WHERE digest = $1")
                .bind(&digest)
                .execute(&self.pool)
                .await
                .map_err(db)?;
        }
        Ok(done.rows_affected() > 0)
    }

    async fn renew_locked<'a>(&self, key: ContextKey, renew: RenewFn<'a>) -> Result<ApiContext> {
        let id = row_id(key)?;
        let mut tx = self.pool.begin().await.map_err(db)?;
        // First statement of the transaction, and a write: PostgreSQL locks
        // the row, SQLite takes its write lock, both until commit.
        let locked =
            sqlx::query("UPDATE bunq_oauth_contexts SET renewals = renewals + 1 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound { key }.into());
        }
        let sealed: Vec<u8> = sqlx::query("SELECT sealed FROM bunq_oauth_contexts WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .and_then(|row| row.try_get(0))
            .map_err(db)?;
        let current = open_context(&self.key, key, &sealed)?;
        // On error the transaction rolls back when dropped: nothing changes.
        let renewed = renew(current).await?;
        sqlx::query(
            "UPDATE bunq_oauth_contexts SET bunq_user_id = $2, sealed = $3, updated_at = $4 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(bunq_user_id_column(&renewed)?)
        .bind(seal_context(&self.key, key, &renewed)?)
        .bind(Utc::now().timestamp())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(renewed)
    }
}

impl ContextStore for SqlStore {
    fn add_user<'a>(&'a self, context: &'a ApiContext) -> StoreFuture<'a, AppUserId> {
        Box::pin(self.inner.add_user(context))
    }

    fn save<'a>(&'a self, key: ContextKey, context: &'a ApiContext) -> StoreFuture<'a, ()> {
        Box::pin(self.inner.save(key, context))
    }

    fn load(&self, key: ContextKey) -> StoreFuture<'_, Option<ApiContext>> {
        Box::pin(self.inner.load(key))
    }

    fn list(&self) -> StoreFuture<'_, Vec<StoredContext>> {
        Box::pin(self.inner.list())
    }

    fn delete(&self, key: ContextKey) -> StoreFuture<'_, bool> {
        Box::pin(self.inner.delete(key))
    }

    fn save_oauth_config<'a>(&'a self, config: &'a OAuthConfig) -> StoreFuture<'a, ()> {
        Box::pin(self.inner.save_oauth_config(config))
    }

    fn load_oauth_config(&self) -> StoreFuture<'_, Option<OAuthConfig>> {
        Box::pin(async move {
            match self.inner.secret("oauth config").await? {
                Some(sealed) => open_oauth_config(&self.inner.key, &sealed).map(Some),
                None => Ok(None),
            }
        })
    }

    fn add_pending_state<'a>(
        &'a self,
        state: &'a CsrfState,
        expires_at: DateTime<Utc>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(
            self.inner
                .add_pending_state(state_digest(state), expires_at),
        )
    }

    fn take_pending_state<'a>(&'a self, state: &'a CsrfState) -> StoreFuture<'a, bool> {
        Box::pin(self.inner.take_pending_state(state_digest(state)))
    }

    fn renew_locked<'a>(
        &'a self,
        key: ContextKey,
        renew: RenewFn<'a>,
    ) -> StoreFuture<'a, ApiContext> {
        Box::pin(self.inner.renew_locked(key, renew))
    }
}

/// bunq user ids are below 2^63; a larger one cannot be stored in a BIGINT.
fn bunq_user_id_column(context: &ApiContext) -> Result<i64> {
    i64::try_from(context.user_id().get())
        .map_err(|_| Error::InvalidInput(format!("user id {} is out of range", context.user_id())))
}
