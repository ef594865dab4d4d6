//! [`FileStore`]: a directory of mode-0600 files, each written atomically.
//!
//! ```text
//! dir/key-check          proves the encryption key (sealed constant)
//! dir/store-id           this store's id (bound into every sealed record)
//! dir/manifest           every record's latest version, the deleted users (sealed)
//! dir/owner.json         the owner's context  ┐ {"version":2, "seq":…, "bunq_user_id":…,
//! dir/users/<id>.json    a user's context     ┘  "updated_at":…, "sealed":"<base64>"}
//! dir/users/<id>.deleted an empty tombstone, so a deleted user's id is never reused
//! dir/oauth-config       the OAuth client configuration (sealed)
//! dir/states/<hmac>      a pending OAuth state; holds its expiry (Unix seconds)
//! dir/locks/store        the write lock (`flock`): one writer at a time
//! dir/locks/<record>     renewal locks, so processes renew one at a time
//! ```

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::records::{self, Manifest, OAUTH_CONFIG, Sealer};
use super::{
    AppUserId, ContextKey, ContextStore, EncryptionKey, RenewFn, StoreError, StoreFuture,
    StoredContext,
};
use crate::context::ApiContext;
use crate::error::{Error, Result};
use crate::models::UserId;
use crate::oauth::OAuthConfig;
use crate::private_file::write_private_file;
use crate::secret::CsrfState;

/// The record file format: 2 carries `seq`, the record's version (1 did not).
const RECORD_FORMAT: u32 = 2;

/// A [`ContextStore`] in a directory: the embedded default, for one app
/// instance (several processes on one machine are safe too: writes are
/// atomic renames and renewals take a file lock).
#[derive(Debug, Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    sealer: Sealer,
}

/// A context file's content: what `list` needs in clear, the rest sealed.
#[derive(Serialize, Deserialize)]
struct RecordFile {
    version: u32,
    /// The record's version, bound into the seal (0 in format 1).
    #[serde(default)]
    seq: u64,
    bunq_user_id: u64,
    updated_at: DateTime<Utc>,
    sealed: String,
}

impl FileStore {
    /// Opens the store in `dir`, creating it (mode 0700) if needed. A store
    /// created with another key is [`StoreError::WrongKey`].
    pub async fn open(dir: impl AsRef<Path>, key: EncryptionKey) -> Result<FileStore> {
        let dir = dir.as_ref().to_owned();
        blocking(move || {
            for sub in ["", "users", "states", "locks"] {
                create_private_dir(&dir.join(sub))?;
            }
            publish_once(&dir.join("key-check"), &key.key_check()?)
                .and_then(|check| key.verify_key_check(&check))?;
            let new_id = records::new_store_id()?;
            let store_id = publish_once(&dir.join("store-id"), new_id.as_bytes())?;
            let store_id = String::from_utf8(store_id).map_err(|_| {
                Error::Store(StoreError::Corrupt {
                    record: "store id".into(),
                    reason: "not text".into(),
                })
            })?;
            let sealer = Sealer::new(key, store_id.trim().to_owned());
            // The open that created the store creates its manifest; any
            // later open that finds none is looking at a rollback.
            if store_id == new_id {
                publish_once(&dir.join("manifest"), &sealer.first_manifest()?)?;
            }
            Ok(FileStore {
                inner: Arc::new(Inner { dir, sealer }),
            })
        })
        .await
    }

    /// Re-seals every record of the store in `dir` under `new_key` (key
    /// rotation): contexts, the OAuth configuration, the manifest, then the
    /// key check; pending states are dropped (they were keyed with the old
    /// key and live minutes). Run it with no other handle open. Each file is
    /// replaced atomically but the whole is not one transaction: if it stops
    /// midway, restore the directory from its backup and run it again.
    pub async fn rekey(
        dir: impl AsRef<Path>,
        old_key: EncryptionKey,
        new_key: EncryptionKey,
    ) -> Result<()> {
        let old = FileStore::open(dir, old_key).await?;
        let inner = old.inner.clone();
        blocking(move || inner.rekey(new_key)).await
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    fn run<T, F>(&self, f: F) -> StoreFuture<'static, T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        Box::pin(blocking(move || f(&inner)))
    }
}

/// Runs blocking file work off the async runtime's threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Config(format!("a store task did not finish: {e}")))?
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io(dir))
}

/// Writes `bytes` to `path` unless a file is there already (never replacing
/// one another process published meanwhile), and returns what is there.
fn publish_once(path: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    if let Some(existing) = read_optional(path)? {
        return Ok(existing);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".publish.{}", uuid::Uuid::new_v4().simple()));
    write_private_file(&tmp, bytes)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(bytes.to_vec()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => fs::read(path).map_err(io(path)),
        Err(e) => Err(io(path)(e)),
    }
}

/// Reads a file; `None` if it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e)),
    }
}

impl Inner {
    fn record_path(&self, key: ContextKey) -> PathBuf {
        match key {
            ContextKey::Owner => self.dir.join("owner.json"),
            ContextKey::User(id) => self.dir.join("users").join(format!("{id}.json")),
        }
    }

    fn encode(&self, key: ContextKey, seq: u64, context: &ApiContext) -> Result<Vec<u8>> {
        let record = RecordFile {
            version: RECORD_FORMAT,
            seq,
            bunq_user_id: context.user_id().get(),
            updated_at: Utc::now(),
            sealed: STANDARD.encode(self.sealer.seal_context(key, seq, context)?),
        };
        serde_json::to_vec_pretty(&record).map_err(|e| Error::InvalidInput(e.to_string()))
    }

    fn decode_record(&self, key: ContextKey, bytes: &[u8]) -> Result<RecordFile> {
        let corrupt = |reason: String| {
            Error::Store(StoreError::Corrupt {
                record: key.record(),
                reason,
            })
        };
        let record: RecordFile =
            serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        if record.version != RECORD_FORMAT && record.version != 1 {
            return Err(corrupt(format!(
                "unknown record version {}",
                record.version
            )));
        }
        Ok(record)
    }

    /// The manifest: read before any record, so a record written after it
    /// was read is newer, never older, than what it says.
    fn manifest(&self) -> Result<Manifest> {
        let floor = self.sealer.manifest_floor();
        let stored = read_optional(&self.dir.join("manifest"))?;
        self.sealer.open_manifest(floor, stored.as_deref())
    }

    fn write_manifest(&self, manifest: &Manifest) -> Result<()> {
        write_private_file(
            &self.dir.join("manifest"),
            &self.sealer.store_manifest(manifest)?,
        )?;
        self.sealer.wrote_manifest(manifest.generation);
        Ok(())
    }

    fn load(&self, key: ContextKey) -> Result<Option<ApiContext>> {
        let manifest = self.manifest()?;
        match read_optional(&self.record_path(key))? {
            Some(bytes) => self.decode_context(&manifest, key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// A record file's context: checked against the manifest, decrypted,
    /// parsed, its RSA key loaded.
    fn decode_context(
        &self,
        manifest: &Manifest,
        key: ContextKey,
        bytes: &[u8],
    ) -> Result<ApiContext> {
        let record = self.decode_record(key, bytes)?;
        manifest.check(&key.record(), Some(key), record.seq)?;
        let sealed = STANDARD.decode(&record.sealed).map_err(|e| {
            Error::Store(StoreError::Corrupt {
                record: key.record(),
                reason: e.to_string(),
            })
        })?;
        self.sealer.open_context(key, record.seq, &sealed)
    }

    /// The version the next write of `key` gets: above the manifest's and
    /// above the file's (after a crash the file may be ahead).
    fn next_seq(&self, manifest: &Manifest, key: ContextKey) -> Result<u64> {
        let on_file = match read_optional(&self.record_path(key))? {
            Some(bytes) => self.decode_record(key, &bytes)?.seq,
            None => 0,
        };
        Ok(manifest.next_version(&key.record()).max(on_file + 1))
    }

    /// Writes a record and notes it in the manifest; hold the write lock.
    fn write_record(
        &self,
        manifest: &mut Manifest,
        key: ContextKey,
        context: &ApiContext,
    ) -> Result<()> {
        let seq = self.next_seq(manifest, key)?;
        write_private_file(&self.record_path(key), &self.encode(key, seq, context)?)?;
        manifest.wrote(&key.record(), seq);
        self.write_manifest(manifest)
    }

    /// Whether a user's record may be written: it exists and was not deleted
    /// (checked under the write lock, so a delete cannot slip in between).
    fn user_exists(&self, manifest: &Manifest, key: ContextKey) -> bool {
        match key {
            ContextKey::Owner => true,
            ContextKey::User(id) => {
                !manifest.is_deleted(id.0)
                    && !self.tombstone(id).exists()
                    && self.record_path(key).exists()
            }
        }
    }

    fn tombstone(&self, id: AppUserId) -> PathBuf {
        self.dir.join("users").join(format!("{id}.deleted"))
    }

    fn save(&self, key: ContextKey, context: &ApiContext) -> Result<()> {
        let _lock = self.lock_file("store")?;
        let mut manifest = self.manifest()?;
        if !self.user_exists(&manifest, key) {
            return Err(StoreError::NotFound { key }.into());
        }
        self.write_record(&mut manifest, key, context)
    }

    fn add_user(&self, context: &ApiContext) -> Result<AppUserId> {
        let _lock = self.lock_file("store")?;
        let mut manifest = self.manifest()?;
        let users = self.dir.join("users");
        let mut next = self.used_ids()?.last().map_or(1, |id| id.0 + 1);
        loop {
            let id = AppUserId(next);
            let key = ContextKey::User(id);
            if manifest.is_deleted(id.0) {
                next += 1;
                continue;
            }
            let path = self.record_path(key);
            let tmp = users.join(format!(".new.{}", uuid::Uuid::new_v4().simple()));
            let seq = manifest.next_version(&key.record());
            write_private_file(&tmp, &self.encode(key, seq, context)?)?;
            // A hard link never replaces an existing file: if another
            // process took this id first, try the next one.
            let linked = fs::hard_link(&tmp, &path);
            let _ = fs::remove_file(&tmp);
            match linked {
                Ok(()) => {
                    #[cfg(unix)]
                    fs::File::open(&users)
                        .and_then(|d| d.sync_all())
                        .map_err(io(&users))?;
                    manifest.wrote(&key.record(), seq);
                    self.write_manifest(&manifest)?;
                    return Ok(id);
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => next += 1,
                Err(e) => return Err(io(&path)(e)),
            }
        }
    }

    /// The ids of stored users, ascending.
    fn user_ids(&self) -> Result<Vec<AppUserId>> {
        self.ids_with(&[".json"])
    }

    /// The ids of stored and deleted users, ascending: the next id is above
    /// all of them.
    fn used_ids(&self) -> Result<Vec<AppUserId>> {
        self.ids_with(&[".json", ".deleted"])
    }

    fn ids_with(&self, suffixes: &[&str]) -> Result<Vec<AppUserId>> {
        let users = self.dir.join("users");
        let mut ids = Vec::new();
        for entry in fs::read_dir(&users).map_err(io(&users))? {
            let entry = entry.map_err(io(&users))?;
            let name = entry.file_name();
            let id = name.to_str().and_then(|n| {
                suffixes
                    .iter()
                    .find_map(|s| n.strip_suffix(s))
                    .and_then(|n| n.parse::<u64>().ok())
            });
            if let Some(id) = id {
                ids.push(AppUserId(id));
            }
        }
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    fn list(&self) -> Result<Vec<StoredContext>> {
        let manifest = self.manifest()?;
        let keys = std::iter::once(ContextKey::Owner)
            .chain(self.user_ids()?.into_iter().map(ContextKey::User));
        let mut out = Vec::new();
        for key in keys {
            // A record deleted since the directory was read is skipped.
            if let Some(bytes) = read_optional(&self.record_path(key))? {
                let record = self.decode_record(key, &bytes)?;
                if manifest
                    .check(&key.record(), Some(key), record.seq)
                    .is_err()
                {
                    // A rolled-back or deleted user's record: not listed.
                    continue;
                }
                out.push(StoredContext {
                    key,
                    bunq_user_id: UserId(record.bunq_user_id),
                    updated_at: record.updated_at,
                });
            }
        }
        Ok(out)
    }

    /// Deletes under the record's renewal lock (a renewal in flight
    /// finishes first and cannot write the record back afterwards) and the
    /// write lock.
    fn delete(&self, key: ContextKey) -> Result<bool> {
        let _renewal = self.lock(key)?;
        let _lock = self.lock_file("store")?;
        let mut manifest = self.manifest()?;
        let path = self.record_path(key);
        let existed = path.exists();
        if let ContextKey::User(id) = key
            && existed
        {
            write_private_file(&self.tombstone(id), b"")?;
        }
        let removed = match fs::remove_file(&path) {
            Ok(()) => true,
            Err(e) if e.kind() == ErrorKind::NotFound => false,
            Err(e) => return Err(io(&path)(e)),
        };
        if existed || removed {
            manifest.deleted(key);
            self.write_manifest(&manifest)?;
        }
        Ok(removed)
    }

    fn save_oauth_config(&self, config: &OAuthConfig) -> Result<()> {
        let _lock = self.lock_file("store")?;
        let mut manifest = self.manifest()?;
        let version = manifest.next_version(OAUTH_CONFIG);
        let sealed = self.sealer.seal_oauth_config(version, config)?;
        write_private_file(
            &self.dir.join("oauth-config"),
            &records::frame(version, &sealed),
        )?;
        manifest.wrote(OAUTH_CONFIG, version);
        self.write_manifest(&manifest)
    }

    fn load_oauth_config(&self) -> Result<Option<OAuthConfig>> {
        let manifest = self.manifest()?;
        let Some(stored) = read_optional(&self.dir.join("oauth-config"))? else {
            return Ok(None);
        };
        let (version, sealed) = records::unframe(&stored);
        manifest.check(OAUTH_CONFIG, None, version)?;
        self.sealer.open_oauth_config(version, sealed).map(Some)
    }

    /// Re-seals everything under `new_key` (see [`FileStore::rekey`]).
    fn rekey(&self, new_key: EncryptionKey) -> Result<()> {
        let _lock = self.lock_file("store")?;
        let manifest = self.manifest()?;
        let new = self.sealer.with_key(new_key.clone());
        let keys = std::iter::once(ContextKey::Owner)
            .chain(self.user_ids()?.into_iter().map(ContextKey::User));
        for key in keys {
            let Some(bytes) = read_optional(&self.record_path(key))? else {
                continue;
            };
            let mut record = self.decode_record(key, &bytes)?;
            let context = self.decode_context(&manifest, key, &bytes)?;
            // A legacy record gets its first version as it is re-sealed.
            record.seq = record.seq.max(1);
            record.version = RECORD_FORMAT;
            record.sealed = STANDARD.encode(new.seal_context(key, record.seq, &context)?);
            let json = serde_json::to_vec_pretty(&record)
                .map_err(|e| Error::InvalidInput(e.to_string()))?;
            write_private_file(&self.record_path(key), &json)?;
        }
        let config_path = self.dir.join("oauth-config");
        if let Some(stored) = read_optional(&config_path)? {
            let (version, sealed) = records::unframe(&stored);
            manifest.check(OAUTH_CONFIG, None, version)?;
            let config = self.sealer.open_oauth_config(version, sealed)?;
            // A legacy configuration gets its first version as it is re-sealed.
            let version = version.max(1);
            write_private_file(
                &config_path,
                &records::frame(version, &new.seal_oauth_config(version, &config)?),
            )?;
        }
        write_private_file(&self.dir.join("manifest"), &new.store_manifest(&manifest)?)?;
        // Keyed with the old key: no longer findable.
        let states = self.dir.join("states");
        for entry in fs::read_dir(&states).map_err(io(&states))? {
            let _ = fs::remove_file(entry.map_err(io(&states))?.path());
        }
        write_private_file(&self.dir.join("key-check"), &new_key.key_check()?)
    }

    fn add_pending_state(&self, digest: &str, expires_at: DateTime<Utc>) -> Result<()> {
        self.purge_expired_states()?;
        let path = self.dir.join("states").join(digest);
        write_private_file(&path, expires_at.timestamp().to_string().as_bytes())
    }

    fn take_pending_state(&self, digest: &str) -> Result<bool> {
        let path = self.dir.join("states").join(digest);
        let Some(content) = read_optional(&path)? else {
            return Ok(false);
        };
        // Whoever removes the file consumed the state; a second taker finds
        // nothing to remove.
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io(&path)(e)),
        }
        Ok(state_unexpired(&content))
    }

    fn purge_expired_states(&self) -> Result<()> {
        let states = self.dir.join("states");
        for entry in fs::read_dir(&states).map_err(io(&states))? {
            let entry = entry.map_err(io(&states))?;
            // Dot files are other writers' files in the making: not ours.
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            if let Some(content) = read_optional(&path)?
                && !state_unexpired(&content)
            {
                let _ = fs::remove_file(&path);
            }
        }
        Ok(())
    }

    /// Takes the record's renewal lock (blocking until other holders, in
    /// any process, release it); released when the file is dropped.
    fn lock(&self, key: ContextKey) -> Result<fs::File> {
        let name = match key {
            ContextKey::Owner => "owner".to_owned(),
            ContextKey::User(id) => format!("user-{id}"),
        };
        self.lock_file(&name)
    }

    /// Takes the lock file `locks/<name>`.
    fn lock_file(&self, name: &str) -> Result<fs::File> {
        let path = self.dir.join("locks").join(name);
        let mut options = fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path).map_err(io(&path))?;
        file.lock().map_err(io(&path))?;
        Ok(file)
    }
}

fn state_unexpired(content: &[u8]) -> bool {
    std::str::from_utf8(content)
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .is_some_and(|expires| expires > Utc::now().timestamp())
}

impl ContextStore for FileStore {
    fn add_user<'a>(&'a self, context: &'a ApiContext) -> StoreFuture<'a, AppUserId> {
        let context = context.clone();
        self.run(move |s| s.add_user(&context))
    }

    fn save<'a>(&'a self, key: ContextKey, context: &'a ApiContext) -> StoreFuture<'a, ()> {
        let context = context.clone();
        self.run(move |s| s.save(key, &context))
    }

    fn load(&self, key: ContextKey) -> StoreFuture<'_, Option<ApiContext>> {
        // Only the read goes to a blocking thread; the decoding (mostly the
        // RSA key parse, ~0.4 ms) stays on the caller's, as in SqlStore: on
        // the benchmark machine a blocking-thread hop made it 3 ms instead.
        let inner = self.inner.clone();
        Box::pin(async move {
            let read = blocking(move || {
                let manifest = inner.manifest()?;
                Ok((manifest, read_optional(&inner.record_path(key))?))
            });
            match read.await? {
                (manifest, Some(bytes)) => {
                    self.inner.decode_context(&manifest, key, &bytes).map(Some)
                }
                (_, None) => Ok(None),
            }
        })
    }

    fn list(&self) -> StoreFuture<'_, Vec<StoredContext>> {
        self.run(|s| s.list())
    }

    fn delete(&self, key: ContextKey) -> StoreFuture<'_, bool> {
        self.run(move |s| s.delete(key))
    }

    fn save_oauth_config<'a>(&'a self, config: &'a OAuthConfig) -> StoreFuture<'a, ()> {
        let config = config.clone();
        self.run(move |s| s.save_oauth_config(&config))
    }

    fn load_oauth_config(&self) -> StoreFuture<'_, Option<OAuthConfig>> {
        self.run(|s| s.load_oauth_config())
    }

    fn add_pending_state<'a>(
        &'a self,
        state: &'a CsrfState,
        expires_at: DateTime<Utc>,
    ) -> StoreFuture<'a, ()> {
        let digest = self.inner.sealer.state_digest(state);
        self.run(move |s| s.add_pending_state(&digest, expires_at))
    }

    fn take_pending_state<'a>(&'a self, state: &'a CsrfState) -> StoreFuture<'a, bool> {
        let digest = self.inner.sealer.state_digest(state);
        self.run(move |s| s.take_pending_state(&digest))
    }

    fn renew_locked<'a>(
        &'a self,
        key: ContextKey,
        renew: RenewFn<'a>,
    ) -> StoreFuture<'a, ApiContext> {
        Box::pin(async move {
            let inner = self.inner.clone();
            let (lock, current) = blocking(move || {
                let lock = inner.lock(key)?;
                let current = inner.load(key)?;
                Ok((lock, current))
            })
            .await?;
            let current = current.ok_or(StoreError::NotFound { key })?;
            let renewed = renew(current).await?;
            let inner = self.inner.clone();
            let saved = renewed.clone();
            blocking(move || {
                let result = (|| {
                    let _write = inner.lock_file("store")?;
                    let mut manifest = inner.manifest()?;
                    // Deleted meanwhile (by a process that did not wait for
                    // the renewal lock): stays deleted.
                    if !inner.user_exists(&manifest, key) {
                        return Err(StoreError::NotFound { key }.into());
                    }
                    inner.write_record(&mut manifest, key, &saved)
                })();
                drop(lock);
                result
            })
            .await?;
            Ok(renewed)
        })
    }
}
