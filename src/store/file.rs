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
//! dir/revoked/<sha256>   a revoked app token; holds its expiry (Unix seconds)
//! dir/events/<id>/<sha256>  a user's callback event, one file per event id (JSON)
//! dir/**/<name>.rekey    a key rotation's staged copy of <name> (see `rekey`)
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
    StoredContext, StoredEvent,
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
            for sub in ["", "users", "states", "revoked", "events", "locks"] {
                create_private_dir(&dir.join(sub))?;
            }
            publish_once(&dir.join("key-check"), &key.key_check()?)
                .and_then(|check| key.verify_key_check(&check))?;
            settle_rotation(&dir, &key, &mut Steps::unlimited())?;
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
    /// rotation): contexts, the OAuth configuration and the manifest;
    /// pending states are dropped (they were keyed with the old key and live
    /// minutes), revoked tokens kept. Run it with no other handle open.
    ///
    /// A stop at any point leaves a store that one of the keys opens whole:
    /// the re-sealed files are staged beside the old ones, the new key check
    /// replacing the old one is the commit, and the staged files are then
    /// moved into place. Before the commit the old key opens the store (and
    /// drops the staged files); after it the new key does (and finishes the
    /// moves). Running `rekey` again with the same keys completes either way.
    pub async fn rekey(
        dir: impl AsRef<Path>,
        old_key: EncryptionKey,
        new_key: EncryptionKey,
    ) -> Result<()> {
        let dir = dir.as_ref().to_owned();
        // Committed already (an earlier run stopped after its commit):
        // opening with the new key finishes it.
        let committed = {
            let dir = dir.clone();
            let new_key = new_key.clone();
            blocking(move || {
                Ok(read_optional(&dir.join("key-check"))?
                    .is_some_and(|check| new_key.verify_key_check(&check).is_ok()))
            })
            .await?
        };
        if committed {
            return FileStore::open(dir, new_key).await.map(|_| ());
        }
        let old = FileStore::open(dir, old_key).await?;
        let inner = old.inner.clone();
        blocking(move || inner.rekey(new_key, &mut Steps::unlimited())).await
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

/// An event as its file holds it.
#[derive(Serialize, Deserialize)]
struct EventFile {
    event_id: String,
    category: String,
    event_type: String,
    summary: String,
    /// Unix microseconds.
    received_at: i64,
}

/// The events in a user's directory (none if it does not exist); a file
/// removed meanwhile or that does not parse is skipped (and logged).
fn read_events(dir: &Path) -> Result<Vec<(PathBuf, StoredEvent)>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut events = Vec::new();
    for entry in entries {
        let path = entry.map_err(io(dir))?.path();
        // A write in progress (`write_private_file`'s temporary file).
        if path.extension().is_some() {
            continue;
        }
        let bytes = fs::read(&path).map_err(io(&path))?;
        let file: EventFile = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Config(format!("{}: not an event file: {e}", path.display())))?;
        events.push((
            path,
            StoredEvent {
                event_id: file.event_id,
                category: file.category,
                event_type: file.event_type,
                summary: file.summary,
                received_at: DateTime::from_timestamp_micros(file.received_at).unwrap_or_default(),
            },
        ));
    }
    Ok(events)
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
        if let ContextKey::User(id) = key {
            let events = self.events_dir(id);
            match fs::remove_dir_all(&events) {
                Err(e) if e.kind() != ErrorKind::NotFound => return Err(io(&events)(e)),
                _ => {}
            }
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

    /// Re-seals everything under `new_key` (see [`FileStore::rekey`]):
    /// the rotation's marker (the new key check, staged) first, then every
    /// record staged, then the commit, then the moves.
    fn rekey(&self, new_key: EncryptionKey, steps: &mut Steps) -> Result<()> {
        let _lock = self.lock_file("store")?;
        let manifest = self.manifest()?;
        let new = self.sealer.with_key(new_key.clone());
        let key_check = self.dir.join("key-check");
        steps.step()?;
        write_private_file(&staged(&key_check), &new_key.key_check()?)?;
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
            steps.step()?;
            write_private_file(&staged(&self.record_path(key)), &json)?;
        }
        let config_path = self.dir.join("oauth-config");
        if let Some(stored) = read_optional(&config_path)? {
            let (version, sealed) = records::unframe(&stored);
            manifest.check(OAUTH_CONFIG, None, version)?;
            let config = self.sealer.open_oauth_config(version, sealed)?;
            // A legacy configuration gets its first version as it is re-sealed.
            let version = version.max(1);
            steps.step()?;
            write_private_file(
                &staged(&config_path),
                &records::frame(version, &new.seal_oauth_config(version, &config)?),
            )?;
        }
        steps.step()?;
        write_private_file(
            &staged(&self.dir.join("manifest")),
            &new.store_manifest(&manifest)?,
        )?;
        // The commit: from here on the store is under the new key.
        steps.step()?;
        rename_durably(&staged(&key_check), &key_check)?;
        finish_rotation(&self.dir, steps)
    }

    fn events_dir(&self, user: AppUserId) -> PathBuf {
        self.dir.join("events").join(user.0.to_string())
    }

    /// One file per event id: the first write wins, under the write lock.
    fn record_event(&self, user: AppUserId, event: &StoredEvent) -> Result<bool> {
        let _lock = self.lock_file("store")?;
        let dir = self.events_dir(user);
        create_private_dir(&dir)?;
        let oldest = Utc::now() - chrono::Duration::days(super::EVENT_RETENTION_DAYS);
        for (path, kept) in read_events(&dir)? {
            if kept.received_at < oldest {
                fs::remove_file(&path).map_err(io(&path))?;
            }
        }
        // A digest as the file name: any event id is a safe name.
        let path = dir.join(records::revoked_digest(&event.event_id));
        if path.exists() {
            return Ok(false);
        }
        let file = EventFile {
            event_id: event.event_id.clone(),
            category: event.category.clone(),
            event_type: event.event_type.clone(),
            summary: event.summary.clone(),
            received_at: event.received_at.timestamp_micros(),
        };
        let bytes = serde_json::to_vec(&file)
            .map_err(|e| Error::Config(format!("cannot write an event: {e}")))?;
        write_private_file(&path, &bytes)?;
        Ok(true)
    }

    fn recent_events(&self, user: AppUserId, limit: usize) -> Result<Vec<StoredEvent>> {
        let mut events: Vec<StoredEvent> = read_events(&self.events_dir(user))?
            .into_iter()
            .map(|(_, event)| event)
            .collect();
        events.sort_by(|a, b| (b.received_at, &b.event_id).cmp(&(a.received_at, &a.event_id)));
        events.truncate(limit);
        Ok(events)
    }

    fn revoke_token(&self, digest: &str, expires_at: DateTime<Utc>) -> Result<()> {
        let _lock = self.lock_file("store")?;
        purge_expired(&self.dir.join("revoked"))?;
        let path = self.dir.join("revoked").join(digest);
        // Revoked twice: kept until the later expiry.
        let expires_at = match read_optional(&path)?.as_deref().and_then(expiry) {
            Some(earlier) => earlier.max(expires_at.timestamp()),
            None => expires_at.timestamp(),
        };
        write_private_file(&path, expires_at.to_string().as_bytes())
    }

    fn is_token_revoked(&self, digest: &str) -> Result<bool> {
        let path = self.dir.join("revoked").join(digest);
        Ok(read_optional(&path)?.is_some_and(|content| unexpired(&content)))
    }

    fn add_pending_state(&self, digest: &str, expires_at: DateTime<Utc>) -> Result<()> {
        purge_expired(&self.dir.join("states"))?;
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
        Ok(unexpired(&content))
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
        Inner::lock_in(&self.dir, name)
    }

    /// Takes the lock file `locks/<name>` of the store in `dir`.
    fn lock_in(dir: &Path, name: &str) -> Result<fs::File> {
        let path = dir.join("locks").join(name);
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

/// The expiry (Unix seconds) a state or revocation file holds.
fn expiry(content: &[u8]) -> Option<i64> {
    std::str::from_utf8(content)
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
}

fn unexpired(content: &[u8]) -> bool {
    expiry(content).is_some_and(|expires| expires > Utc::now().timestamp())
}

/// Removes the expired files of `dir` (pending states, revocations).
fn purge_expired(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        // Dot files are other writers' files in the making: not ours.
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if let Some(content) = read_optional(&path)?
            && !unexpired(&content)
        {
            let _ = fs::remove_file(&path);
        }
    }
    Ok(())
}

// ---- key rotation -----------------------------------------------------------

/// The suffix of a key rotation's staged files.
const STAGED: &str = ".rekey";

/// Where a key rotation stages the new `path`.
fn staged(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(STAGED);
    path.with_file_name(name)
}

/// The staged files in the store's directory and its `users/`.
fn staged_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for sub in [dir.to_owned(), dir.join("users")] {
        for entry in fs::read_dir(&sub).map_err(io(&sub))? {
            let path = entry.map_err(io(&sub))?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if name.ends_with(STAGED) && !name.starts_with('.') {
                found.push(path);
            }
        }
    }
    Ok(found)
}

/// `rename`, then a sync of the directory so the rename survives a crash.
fn rename_durably(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(io(to))?;
    #[cfg(unix)]
    {
        let dir = to.parent().unwrap_or(Path::new("."));
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    Ok(())
}

/// Counts a key rotation's file operations, so a test can stop one after
/// any of them as a crash would.
struct Steps {
    left: Option<usize>,
}

impl Steps {
    fn unlimited() -> Steps {
        Steps { left: None }
    }

    fn step(&mut self) -> Result<()> {
        match &mut self.left {
            Some(0) => Err(Error::Config("the key rotation was stopped".into())),
            Some(left) => {
                *left -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }
}

/// What a key rotation that stopped left behind, settled by the open that
/// holds the store's key (checked under the write lock): before its commit
/// (the staged key check still there) the staged files are dropped; after
/// it they are moved into place.
fn settle_rotation(dir: &Path, key: &EncryptionKey, steps: &mut Steps) -> Result<()> {
    if staged_files(dir)?.is_empty() {
        return Ok(());
    }
    let lock = Inner::lock_in(dir, "store")?;
    // Another process may have settled it, or rotated the key, meanwhile.
    let check = fs::read(dir.join("key-check")).map_err(io(dir))?;
    key.verify_key_check(&check)?;
    let marker = staged(&dir.join("key-check"));
    if marker.exists() {
        for path in staged_files(dir)? {
            if path != marker {
                steps.step()?;
                fs::remove_file(&path).map_err(io(&path))?;
            }
        }
        steps.step()?;
        fs::remove_file(&marker).map_err(io(&marker))?;
    } else {
        finish_rotation(dir, steps)?;
    }
    drop(lock);
    Ok(())
}

/// Moves a committed rotation's staged files into place (each move atomic,
/// the whole idempotent) and drops the pending states keyed with the old key.
fn finish_rotation(dir: &Path, steps: &mut Steps) -> Result<()> {
    for path in staged_files(dir)? {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let target = path.with_file_name(name.trim_end_matches(STAGED));
        steps.step()?;
        rename_durably(&path, &target)?;
    }
    let states = dir.join("states");
    for entry in fs::read_dir(&states).map_err(io(&states))? {
        let _ = fs::remove_file(entry.map_err(io(&states))?.path());
    }
    Ok(())
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

    fn revoke_token<'a>(
        &'a self,
        token: &'a str,
        expires_at: DateTime<Utc>,
    ) -> StoreFuture<'a, ()> {
        let digest = records::revoked_digest(token);
        self.run(move |s| s.revoke_token(&digest, expires_at))
    }

    fn is_token_revoked<'a>(&'a self, token: &'a str) -> StoreFuture<'a, bool> {
        let digest = records::revoked_digest(token);
        self.run(move |s| s.is_token_revoked(&digest))
    }

    fn record_event<'a>(
        &'a self,
        user: AppUserId,
        event: &'a StoredEvent,
    ) -> StoreFuture<'a, bool> {
        let event = event.clone();
        self.run(move |s| s.record_event(user, &event))
    }

    fn recent_events(&self, user: AppUserId, limit: usize) -> StoreFuture<'_, Vec<StoredEvent>> {
        self.run(move |s| s.recent_events(user, limit))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::ClientSecret;
    use crate::signing::KeyPair;

    fn key(byte: &str) -> EncryptionKey {
        EncryptionKey::parse(&byte.repeat(32)).unwrap()
    }

    fn context(bunq_user_id: u64, key_pair: &KeyPair) -> ApiContext {
        let json = serde_json::json!({
            "version": 1,
            "api_url": "https://bunq.invalid/v1",
            "api_key": format!("api-key-{bunq_user_id}"),
            "private_key_pem": key_pair.to_pkcs8_pem().expose_secret(),
            "installation_token": "installation-token",
            "server_public_key_pem": key_pair.public_key().to_pem(),
            "device_id": 7,
            "session": {
                "token": format!("session-{bunq_user_id}"),
                "timeout_seconds": 600,
                "expires_at": "2030-01-01T00:00:00Z",
                "user": {"UserPerson": {"id": bunq_user_id}}
            }
        });
        ApiContext::from_json(json.to_string().as_bytes()).unwrap()
    }

    /// What a store holds, read whole: every listed record's context, the
    /// OAuth configuration's client id, whether the token is revoked.
    async fn contents(store: &FileStore) -> (Vec<(ContextKey, Vec<u8>)>, Option<String>, bool) {
        let mut records = Vec::new();
        for stored in store.list().await.unwrap() {
            let context = store.load(stored.key).await.unwrap().unwrap();
            records.push((stored.key, context.to_json().unwrap()));
        }
        let config = store.load_oauth_config().await.unwrap();
        let revoked = store.is_token_revoked("signed-out").await.unwrap();
        (records, config.map(|c| c.client_id().to_owned()), revoked)
    }

    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    /// A rotation stopped after any of its file operations (as a crash
    /// would stop it) leaves a store that exactly one of the two keys opens,
    /// with every record, the OAuth configuration and the revocations; and
    /// running the rotation again completes it.
    #[tokio::test]
    async fn a_key_rotation_stopped_at_any_step_leaves_a_store_one_key_opens_whole() {
        let (old, new) = (key("ab"), key("cd"));
        let template = tempfile::tempdir().unwrap();
        let key_pair = KeyPair::generate().unwrap();
        let store = FileStore::open(template.path(), old.clone()).await.unwrap();
        store
            .save(ContextKey::Owner, &context(1, &key_pair))
            .await
            .unwrap();
        for bunq_user_id in 2..6 {
            store
                .add_user(&context(bunq_user_id, &key_pair))
                .await
                .unwrap();
        }
        store.delete(ContextKey::User(AppUserId(2))).await.unwrap();
        let config = OAuthConfig::new(
            "client-id",
            ClientSecret::new("client-secret"),
            "https://app.example/callback",
        )
        .unwrap();
        store.save_oauth_config(&config).await.unwrap();
        store
            .revoke_token("signed-out", Utc::now() + chrono::Duration::hours(1))
            .await
            .unwrap();
        let expected = contents(&store).await;
        assert_eq!(expected.0.len(), 4, "the owner and three users");
        drop(store);

        // The whole rotation's steps: a marker, 4 records, the configuration
        // and the manifest staged, the commit, 6 moves.
        let steps = 14;
        for stop in 0..=steps {
            let scratch = tempfile::tempdir().unwrap();
            let dir = scratch.path().join("store");
            copy_dir(template.path(), &dir);
            let inner = FileStore::open(&dir, old.clone()).await.unwrap().inner;
            let stopped = blocking({
                let new = new.clone();
                move || inner.rekey(new, &mut Steps { left: Some(stop) })
            })
            .await;
            assert_eq!(stopped.is_err(), stop < steps, "stopped after {stop} steps");

            let committed = stop >= 8;
            let (opens, refused) = if committed {
                (&new, &old)
            } else {
                (&old, &new)
            };
            let store = FileStore::open(&dir, opens.clone()).await.unwrap();
            assert_eq!(
                contents(&store).await,
                expected,
                "stopped after {stop} steps"
            );
            assert!(
                staged_files(&dir).unwrap().is_empty(),
                "settled by the open"
            );
            let wrong = FileStore::open(&dir, refused.clone()).await.unwrap_err();
            assert!(
                matches!(wrong, Error::Store(StoreError::WrongKey)),
                "stopped after {stop} steps: {wrong:?}"
            );
            drop(store);

            FileStore::rekey(&dir, old.clone(), new.clone())
                .await
                .unwrap();
            let store = FileStore::open(&dir, new.clone()).await.unwrap();
            assert_eq!(
                contents(&store).await,
                expected,
                "rotated after a stop at {stop}"
            );
            assert!(FileStore::open(&dir, old.clone()).await.is_err());
        }
    }
}
