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
//!
//! Every write is one transaction that writes the record and the manifest
//! (see `records.rs`), under the lock of the `key check` row; locks are
//! always taken record first, manifest second, so writers never deadlock.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor, Row};

use super::records::{self, Manifest, OAUTH_CONFIG, Sealer};
use super::{
    AppUserId, ContextKey, ContextStore, EncryptionKey, RenewFn, StoreError, StoreFuture,
    StoredContext, StoredEvent,
};
use crate::context::ApiContext;
use crate::error::{Error, Result};
use crate::models::UserId;
use crate::oauth::OAuthConfig;
use crate::secret::CsrfState;

/// The schema migrations, in order: (version, SQLite, PostgreSQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        include_str!("../../migrations/sqlite/0001_contexts.sql"),
        include_str!("../../migrations/postgres/0001_contexts.sql"),
    ),
    (
        2,
        include_str!("../../migrations/sqlite/0002_record_versions.sql"),
        include_str!("../../migrations/postgres/0002_record_versions.sql"),
    ),
    (
        3,
        include_str!("../../migrations/sqlite/0003_revoked_tokens.sql"),
        include_str!("../../migrations/postgres/0003_revoked_tokens.sql"),
    ),
    (
        4,
        include_str!("../../migrations/sqlite/0004_events.sql"),
        include_str!("../../migrations/postgres/0004_events.sql"),
    ),
];

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
    sealer: Sealer,
}

type Tx<'c> = sqlx::Transaction<'c, sqlx::Any>;

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
        if sqlite {
            create_private_sqlite_file(url)?;
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
        migrate(&pool, sqlite).await?;
        let (store_id, created) = check_key_and_id(&pool, &key).await?;
        let sealer = Sealer::new(key, store_id);
        // The connection that created the store creates its manifest; any
        // later one that finds none is looking at a rollback.
        if created {
            sqlx::query(
                "INSERT INTO bunq_oauth_secrets (name, sealed) VALUES ('manifest', $1) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(sealer.first_manifest()?)
            .execute(&pool)
            .await
            .map_err(db)?;
        }
        Ok(SqlStore {
            inner: Arc::new(Inner { pool, sealer }),
        })
    }

    /// Re-seals every record of the store at `url` under `new_key` (key
    /// rotation) in one transaction: contexts, the OAuth configuration, the
    /// manifest and the key check; pending states are dropped (they were
    /// keyed with the old key and live minutes).
    pub async fn rekey(url: &str, old_key: EncryptionKey, new_key: EncryptionKey) -> Result<()> {
        let store = SqlStore::connect(url, old_key).await?;
        store.inner.rekey(new_key).await?;
        store.inner.pool.close().await;
        Ok(())
    }

    /// The schema version this crate's migrations bring a database to.
    pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;
}

/// Creates a SQLite database file that does not exist yet as an empty file
/// of mode 0600 (SQLite would create it 0644, and its journal files follow
/// the database file's mode), so no other user can read the store.
fn create_private_sqlite_file(url: &str) -> Result<()> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(Error::Io {
            path: path.into(),
            source,
        }),
    }
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

async fn migrate(pool: &AnyPool, sqlite: bool) -> Result<()> {
    // Two instances starting at once can race on CREATE TABLE IF NOT
    // EXISTS in PostgreSQL; the loser simply tries again.
    let mut attempt = 0;
    loop {
        match migrate_once(pool, sqlite).await {
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

async fn migrate_once(pool: &AnyPool, sqlite: bool) -> Result<()> {
    pool.execute(
        "CREATE TABLE IF NOT EXISTS bunq_oauth_schema \
                 (id INTEGER PRIMARY KEY, version BIGINT NOT NULL)",
    )
    .await
    .map_err(db)?;
    sqlx::query(
        "INSERT INTO bunq_oauth_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
    )
    .execute(pool)
    .await
    .map_err(db)?;
    let mut tx = pool.begin().await.map_err(db)?;
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

/// Publishes the key check and the store id if none exist (first open),
/// then verifies whichever check is there (two first opens with different
/// keys cannot both win) and returns the store id, and whether this call
/// created it.
async fn check_key_and_id(pool: &AnyPool, key: &EncryptionKey) -> Result<(String, bool)> {
    let mut created = false;
    for (name, value) in [
        ("key check", key.key_check()?),
        ("store id", records::new_store_id()?.into_bytes()),
    ] {
        let inserted = sqlx::query(
            "INSERT INTO bunq_oauth_secrets (name, sealed) VALUES ($1, $2) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .execute(pool)
        .await
        .map_err(db)?;
        created = name == "store id" && inserted.rows_affected() == 1;
    }
    let check = secret(pool, "key check").await?.unwrap_or_default();
    key.verify_key_check(&check)?;
    let id = secret(pool, "store id").await?.unwrap_or_default();
    Ok((String::from_utf8_lossy(&id).into_owned(), created))
}

async fn secret<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    name: &str,
) -> Result<Option<Vec<u8>>> {
    sqlx::query("SELECT sealed FROM bunq_oauth_secrets WHERE name = $1")
        .bind(name)
        .fetch_optional(executor)
        .await
        .map_err(db)?
        .map(|row| row.try_get::<Vec<u8>, _>(0).map_err(db))
        .transpose()
}

impl Inner {
    /// Takes the write lock of a transaction (the `key check` row: a row
    /// lock in PostgreSQL, the write lock in SQLite) and reads the manifest.
    async fn lock_manifest(&self, tx: &mut Tx<'_>) -> Result<Manifest> {
        let floor = self.sealer.manifest_floor();
        sqlx::query("UPDATE bunq_oauth_secrets SET sealed = sealed WHERE name = 'key check'")
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        let stored = secret(&mut **tx, "manifest").await?;
        self.sealer.open_manifest(floor, stored.as_deref())
    }

    /// The manifest, outside a write (read before any record, so a record
    /// read after it is never older than what it says).
    async fn manifest(&self) -> Result<Manifest> {
        let floor = self.sealer.manifest_floor();
        let stored = secret(&self.pool, "manifest").await?;
        self.sealer.open_manifest(floor, stored.as_deref())
    }

    async fn write_manifest(&self, tx: &mut Tx<'_>, manifest: &Manifest) -> Result<()> {
        sqlx::query(
            "INSERT INTO bunq_oauth_secrets (name, sealed) VALUES ('manifest', $1) \
             ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed",
        )
        .bind(self.sealer.store_manifest(manifest)?)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// Commits, then notes the manifest written (only once it is).
    async fn commit(&self, tx: Tx<'_>, manifest: &Manifest) -> Result<()> {
        tx.commit().await.map_err(db)?;
        self.sealer.wrote_manifest(manifest.generation);
        Ok(())
    }

    /// Locks a record's row for this transaction (a no-op write); `false`
    /// if there is no such row.
    async fn lock_row(&self, tx: &mut Tx<'_>, id: i64) -> Result<bool> {
        let locked =
            sqlx::query("UPDATE bunq_oauth_contexts SET renewals = renewals WHERE id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(db)?;
        Ok(locked.rows_affected() > 0)
    }

    /// The row's version, for the next write.
    async fn row_version(&self, tx: &mut Tx<'_>, id: i64) -> Result<i64> {
        sqlx::query("SELECT version FROM bunq_oauth_contexts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db)?
            .map(|row| row.try_get::<i64, _>(0).map_err(db))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// Writes a record's row (inserted for the owner) and notes it in the
    /// manifest; in a transaction holding the record's and the write lock.
    async fn write_row(
        &self,
        tx: &mut Tx<'_>,
        manifest: &mut Manifest,
        key: ContextKey,
        context: &ApiContext,
    ) -> Result<()> {
        let id = row_id(key)?;
        let on_row = u64::try_from(self.row_version(tx, id).await?).unwrap_or_default();
        let version = manifest.next_version(&key.record()).max(on_row + 1);
        sqlx::query(
            "INSERT INTO bunq_oauth_contexts (id, bunq_user_id, sealed, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
             bunq_user_id = excluded.bunq_user_id, sealed = excluded.sealed, \
             updated_at = excluded.updated_at, version = excluded.version",
        )
        .bind(id)
        .bind(bunq_user_id_column(context)?)
        .bind(self.sealer.seal_context(key, version, context)?)
        .bind(Utc::now().timestamp())
        .bind(version_column(version)?)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        manifest.wrote(&key.record(), version);
        self.write_manifest(tx, manifest).await
    }

    async fn add_user(&self, context: &ApiContext) -> Result<AppUserId> {
        let bunq_user_id = bunq_user_id_column(context)?;
        // The id is part of the sealed record's associated data, so take it
        // first and seal second, in one transaction.
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut manifest = self.lock_manifest(&mut tx).await?;
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
        let ContextKey::User(user) = key else {
            // id 0 is only ever written explicitly, for the owner.
            return Err(Error::Store(StoreError::Corrupt {
                record: "owner".into(),
                reason: "the database handed out id 0".into(),
            }));
        };
        self.write_row(&mut tx, &mut manifest, key, context).await?;
        self.commit(tx, &manifest).await?;
        Ok(user)
    }

    async fn save(&self, key: ContextKey, context: &ApiContext) -> Result<()> {
        let id = row_id(key)?;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let exists = self.lock_row(&mut tx, id).await?;
        let mut manifest = self.lock_manifest(&mut tx).await?;
        let deleted = matches!(key, ContextKey::User(user) if manifest.is_deleted(user.0));
        if matches!(key, ContextKey::User(_)) && (!exists || deleted) {
            return Err(StoreError::NotFound { key }.into());
        }
        self.write_row(&mut tx, &mut manifest, key, context).await?;
        self.commit(tx, &manifest).await
    }

    async fn load(&self, key: ContextKey) -> Result<Option<ApiContext>> {
        let manifest = self.manifest().await?;
        let row = sqlx::query("SELECT sealed, version FROM bunq_oauth_contexts WHERE id = $1")
            .bind(row_id(key)?)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        match row {
            Some(row) => self.open_row(&manifest, key, &row).map(Some),
            None => Ok(None),
        }
    }

    /// A row's context: checked against the manifest, then opened.
    fn open_row(
        &self,
        manifest: &Manifest,
        key: ContextKey,
        row: &sqlx::any::AnyRow,
    ) -> Result<ApiContext> {
        let sealed: Vec<u8> = row.try_get(0).map_err(db)?;
        let version = u64::try_from(row.try_get::<i64, _>(1).map_err(db)?).unwrap_or_default();
        manifest.check(&key.record(), Some(key), version)?;
        self.sealer.open_context(key, version, &sealed)
    }

    async fn list(&self) -> Result<Vec<StoredContext>> {
        let manifest = self.manifest().await?;
        let rows = sqlx::query(
            "SELECT id, bunq_user_id, updated_at, version FROM bunq_oauth_contexts ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get(0).map_err(db)?;
            let bunq_user_id: i64 = row.try_get(1).map_err(db)?;
            let updated_at: i64 = row.try_get(2).map_err(db)?;
            let version: i64 = row.try_get(3).map_err(db)?;
            let key = key_of(id);
            // A rolled-back or deleted user's record: not listed.
            let version = u64::try_from(version).unwrap_or_default();
            if manifest.check(&key.record(), Some(key), version).is_err() {
                continue;
            }
            out.push(StoredContext {
                key,
                bunq_user_id: UserId(bunq_user_id as u64),
                updated_at: timestamp(updated_at),
            });
        }
        Ok(out)
    }

    async fn delete(&self, key: ContextKey) -> Result<bool> {
        let id = row_id(key)?;
        let mut tx = self.pool.begin().await.map_err(db)?;
        // The row first: a renewal in flight holds it and finishes before.
        self.lock_row(&mut tx, id).await?;
        let mut manifest = self.lock_manifest(&mut tx).await?;
        let done = sqlx::query("DELETE FROM bunq_oauth_contexts WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let removed = done.rows_affected() > 0;
        if removed {
            manifest.deleted(key);
            self.write_manifest(&mut tx, &manifest).await?;
        }
        if let ContextKey::User(_) = key {
            sqlx::query("DELETE FROM bunq_oauth_events WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        self.commit(tx, &manifest).await?;
        Ok(removed)
    }

    async fn save_oauth_config(&self, config: &OAuthConfig) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut manifest = self.lock_manifest(&mut tx).await?;
        let version = manifest.next_version(OAUTH_CONFIG);
        let sealed = self.sealer.seal_oauth_config(version, config)?;
        sqlx::query(
            "INSERT INTO bunq_oauth_secrets (name, sealed) VALUES ('oauth config', $1) \
             ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed",
        )
        .bind(records::frame(version, &sealed))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        manifest.wrote(OAUTH_CONFIG, version);
        self.write_manifest(&mut tx, &manifest).await?;
        self.commit(tx, &manifest).await
    }

    async fn load_oauth_config(&self) -> Result<Option<OAuthConfig>> {
        let manifest = self.manifest().await?;
        let Some(stored) = secret(&self.pool, "oauth config").await? else {
            return Ok(None);
        };
        let (version, sealed) = records::unframe(&stored);
        manifest.check(OAUTH_CONFIG, None, version)?;
        self.sealer.open_oauth_config(version, sealed).map(Some)
    }

    /// Re-seals everything under `new_key` in one transaction.
    async fn rekey(&self, new_key: EncryptionKey) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let manifest = self.lock_manifest(&mut tx).await?;
        let new = self.sealer.with_key(new_key.clone());
        let rows = sqlx::query("SELECT id, sealed, version FROM bunq_oauth_contexts ORDER BY id")
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        for row in &rows {
            let id: i64 = row.try_get(0).map_err(db)?;
            let key = key_of(id);
            let sealed: Vec<u8> = row.try_get(1).map_err(db)?;
            let version = u64::try_from(row.try_get::<i64, _>(2).map_err(db)?).unwrap_or_default();
            manifest.check(&key.record(), Some(key), version)?;
            let context = self.sealer.open_context(key, version, &sealed)?;
            // A legacy record gets its first version as it is re-sealed.
            let version = version.max(1);
            sqlx::query("UPDATE bunq_oauth_contexts SET sealed = $2, version = $3 WHERE id = $1")
                .bind(id)
                .bind(new.seal_context(key, version, &context)?)
                .bind(version_column(version)?)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        if let Some(stored) = secret(&mut *tx, "oauth config").await? {
            let (version, sealed) = records::unframe(&stored);
            manifest.check(OAUTH_CONFIG, None, version)?;
            let config = self.sealer.open_oauth_config(version, sealed)?;
            let version = version.max(1);
            sqlx::query("UPDATE bunq_oauth_secrets SET sealed = $1 WHERE name = 'oauth config'")
                .bind(records::frame(
                    version,
                    &new.seal_oauth_config(version, &config)?,
                ))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        for (name, value) in [
            ("manifest", new.store_manifest(&manifest)?),
            ("key check", new_key.key_check()?),
        ] {
            sqlx::query(
                "INSERT INTO bunq_oauth_secrets (name, sealed) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed",
            )
            .bind(name)
            .bind(value)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        // Keyed with the old key: no longer findable.
        sqlx::query("DELETE FROM bunq_oauth_pending_states")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    /// Drops the expired rows of `table` (pending states, revoked tokens).
    async fn purge_expired(&self, table: &str) -> Result<()> {
        sqlx::query(&format!("DELETE FROM {table} WHERE expires_at <= $1"))
            .bind(Utc::now().timestamp())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn add_pending_state(&self, digest: String, expires_at: DateTime<Utc>) -> Result<()> {
        self.purge_expired("bunq_oauth_pending_states").await?;
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

    async fn revoke_token(&self, digest: String, expires_at: DateTime<Utc>) -> Result<()> {
        self.purge_expired("bunq_oauth_revoked_tokens").await?;
        // Revoked twice: kept until the later expiry.
        sqlx::query(
            "INSERT INTO bunq_oauth_revoked_tokens (digest, expires_at) VALUES ($1, $2) \
             ON CONFLICT (digest) DO UPDATE SET expires_at = \
             CASE WHEN excluded.expires_at > bunq_oauth_revoked_tokens.expires_at \
             THEN excluded.expires_at ELSE bunq_oauth_revoked_tokens.expires_at END",
        )
        .bind(digest)
        .bind(expires_at.timestamp())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn is_token_revoked(&self, digest: String) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM bunq_oauth_revoked_tokens WHERE digest = $1 AND expires_at > $2",
        )
        .bind(digest)
        .bind(Utc::now().timestamp())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(row.is_some())
    }

    async fn record_event(&self, user: AppUserId, event: &StoredEvent) -> Result<bool> {
        let id = row_id(ContextKey::User(user))?;
        let oldest = Utc::now() - chrono::Duration::days(super::EVENT_RETENTION_DAYS);
        sqlx::query("DELETE FROM bunq_oauth_events WHERE received_at < $1")
            .bind(oldest.timestamp_micros())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        // The primary key decides: one row per (user, event id), whichever
        // instance gets there first.
        let done = sqlx::query(
            "INSERT INTO bunq_oauth_events \
             (user_id, event_id, category, event_type, summary, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, event_id) DO NOTHING",
        )
        .bind(id)
        .bind(event.event_id.as_str())
        .bind(event.category.as_str())
        .bind(event.event_type.as_str())
        .bind(event.summary.as_str())
        .bind(event.received_at.timestamp_micros())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn recent_events(&self, user: AppUserId, limit: usize) -> Result<Vec<StoredEvent>> {
        let id = row_id(ContextKey::User(user))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT event_id, category, event_type, summary, received_at \
             FROM bunq_oauth_events WHERE user_id = $1 \
             ORDER BY received_at DESC, event_id DESC LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let micros: i64 = row.try_get(4).map_err(db)?;
                Ok(StoredEvent {
                    event_id: row.try_get(0).map_err(db)?,
                    category: row.try_get(1).map_err(db)?,
                    event_type: row.try_get(2).map_err(db)?,
                    summary: row.try_get(3).map_err(db)?,
                    received_at: DateTime::from_timestamp_micros(micros).unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn renew_locked<'a>(&self, key: ContextKey, renew: RenewFn<'a>) -> Result<ApiContext> {
        let id = row_id(key)?;
        let manifest = self.manifest().await?;
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
        let row = sqlx::query("SELECT sealed, version FROM bunq_oauth_contexts WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let current = self.open_row(&manifest, key, &row)?;
        // On error the transaction rolls back when dropped: nothing changes.
        let renewed = renew(current).await?;
        let mut manifest = self.lock_manifest(&mut tx).await?;
        self.write_row(&mut tx, &mut manifest, key, &renewed)
            .await?;
        self.commit(tx, &manifest).await?;
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
        Box::pin(self.inner.load_oauth_config())
    }

    fn add_pending_state<'a>(
        &'a self,
        state: &'a CsrfState,
        expires_at: DateTime<Utc>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(
            self.inner
                .add_pending_state(self.inner.sealer.state_digest(state), expires_at),
        )
    }

    fn take_pending_state<'a>(&'a self, state: &'a CsrfState) -> StoreFuture<'a, bool> {
        Box::pin(
            self.inner
                .take_pending_state(self.inner.sealer.state_digest(state)),
        )
    }

    fn revoke_token<'a>(
        &'a self,
        token: &'a str,
        expires_at: DateTime<Utc>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(
            self.inner
                .revoke_token(records::revoked_digest(token), expires_at),
        )
    }

    fn is_token_revoked<'a>(&'a self, token: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(self.inner.is_token_revoked(records::revoked_digest(token)))
    }

    fn record_event<'a>(
        &'a self,
        user: AppUserId,
        event: &'a StoredEvent,
    ) -> StoreFuture<'a, bool> {
        Box::pin(self.inner.record_event(user, event))
    }

    fn recent_events(&self, user: AppUserId, limit: usize) -> StoreFuture<'_, Vec<StoredEvent>> {
        Box::pin(self.inner.recent_events(user, limit))
    }

    fn renew_locked<'a>(
        &'a self,
        key: ContextKey,
        renew: RenewFn<'a>,
    ) -> StoreFuture<'a, ApiContext> {
        Box::pin(self.inner.renew_locked(key, renew))
    }
}

/// A record version as a BIGINT column.
fn version_column(version: u64) -> Result<i64> {
    i64::try_from(version)
        .map_err(|_| Error::InvalidInput(format!("record version {version} is out of range")))
}

/// bunq user ids are below 2^63; a larger one cannot be stored in a BIGINT.
fn bunq_user_id_column(context: &ApiContext) -> Result<i64> {
    i64::try_from(context.user_id().get())
        .map_err(|_| Error::InvalidInput(format!("user id {} is out of range", context.user_id())))
}
