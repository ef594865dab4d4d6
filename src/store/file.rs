//! [`FileStore`]: a directory of mode-0600 files, each written atomically.
//!
//! ```text
//! dir/key-check          proves the encryption key (sealed constant)
//! dir/owner.json         the owner's context  ┐ {"version":1, "bunq_user_id":…,
//! dir/users/<id>.json    a user's context     ┘  "updated_at":…, "sealed":"<base64>"}
//! dir/users/<id>.deleted an empty tombstone, so a deleted user's id is never reused
//! dir/oauth-config       the OAuth client configuration (sealed)
//! dir/states/<sha256>    a pending OAuth state; holds its expiry (Unix seconds)
//! dir/locks/<record>     renewal locks (`flock`), so processes renew one at a time
//! ```

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    AppUserId, ContextKey, ContextStore, EncryptionKey, RenewFn, StoreError, StoreFuture,
    StoredContext, open_context, open_oauth_config, seal_context, seal_oauth_config, state_digest,
};
use crate::context::ApiContext;
use crate::error::{Error, Result};
use crate::models::UserId;
use crate::oauth::OAuthConfig;
use crate::private_file::write_private_file;
use crate::secret::CsrfState;

const RECORD_VERSION: u32 = 1;

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
    key: EncryptionKey,
}

/// A context file's content: what `list` needs in clear, the rest sealed.
#[derive(Serialize, Deserialize)]
struct RecordFile {
    version: u32,
    bunq_user_id: u64,
    updated_at: DateTime<Utc>,
    sealed: String,
}

impl FileStore {
    /// Opens the store in `dir`, creating it (mode 0700) if needed. A store
    /// created with another key is [`StoreError::WrongKey`].
    pub async fn open(dir: impl AsRef<Path>, key: EncryptionKey) -> Result<FileStore> {
        let inner = Inner {
            dir: dir.as_ref().to_owned(),
            key,
        };
        blocking(move || {
            for sub in ["", "users", "states", "locks"] {
                create_private_dir(&inner.dir.join(sub))?;
            }
            inner.check_key()?;
            Ok(FileStore {
                inner: Arc::new(inner),
            })
        })
        .await
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

    fn check_key(&self) -> Result<()> {
        let path = self.dir.join("key-check");
        if let Some(check) = read_optional(&path)? {
            return self.key.verify_key_check(&check);
        }
        // First open: publish the check without overwriting one another
        // process may have published meanwhile, then verify what is there.
        let tmp = self
            .dir
            .join(format!(".key-check.{}", uuid::Uuid::new_v4().simple()));
        write_private_file(&tmp, &self.key.key_check()?)?;
        let linked = fs::hard_link(&tmp, &path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                let check = fs::read(&path).map_err(io(&path))?;
                self.key.verify_key_check(&check)
            }
            Err(e) => Err(io(&path)(e)),
        }
    }

    fn encode(&self, key: ContextKey, context: &ApiContext) -> Result<Vec<u8>> {
        let record = RecordFile {
            version: RECORD_VERSION,
            bunq_user_id: context.user_id().get(),
            updated_at: Utc::now(),
            sealed: STANDARD.encode(seal_context(&self.key, key, context)?),
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
        if record.version != RECORD_VERSION {
            return Err(corrupt(format!(
                "unknown record version {}",
                record.version
            )));
        }
        Ok(record)
    }

    fn load(&self, key: ContextKey) -> Result<Option<ApiContext>> {
        match read_optional(&self.record_path(key))? {
            Some(bytes) => self.decode_context(key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// A record file's context: decrypted, parsed, its RSA key loaded.
    fn decode_context(&self, key: ContextKey, bytes: &[u8]) -> Result<ApiContext> {
        let record = self.decode_record(key, bytes)?;
        let sealed = STANDARD.decode(&record.sealed).map_err(|e| {
            Error::Store(StoreError::Corrupt {
                record: key.record(),
                reason: e.to_string(),
            })
        })?;
        open_context(&self.key, key, &sealed)
    }

    fn save(&self, key: ContextKey, context: &ApiContext) -> Result<()> {
        let path = self.record_path(key);
        if matches!(key, ContextKey::User(_)) && !path.exists() {
            return Err(StoreError::NotFound { key }.into());
        }
        write_private_file(&path, &self.encode(key, context)?)
    }

    fn add_user(&self, context: &ApiContext) -> Result<AppUserId> {
        let users = self.dir.join("users");
        let mut next = self.used_ids()?.last().map_or(1, |id| id.0 + 1);
        loop {
            let id = AppUserId(next);
            let path = self.record_path(ContextKey::User(id));
            let tmp = users.join(format!(".new.{}", uuid::Uuid::new_v4().simple()));
            write_private_file(&tmp, &self.encode(ContextKey::User(id), context)?)?;
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
        let keys = std::iter::once(ContextKey::Owner)
            .chain(self.user_ids()?.into_iter().map(ContextKey::User));
        let mut out = Vec::new();
        for key in keys {
            // A record deleted since the directory was read is skipped.
            if let Some(bytes) = read_optional(&self.record_path(key))? {
                let record = self.decode_record(key, &bytes)?;
                out.push(StoredContext {
                    key,
                    bunq_user_id: UserId(record.bunq_user_id),
                    updated_at: record.updated_at,
                });
            }
        }
        Ok(out)
    }

    fn delete(&self, key: ContextKey) -> Result<bool> {
        let path = self.record_path(key);
        if let ContextKey::User(id) = key
            && path.exists()
        {
            write_private_file(&self.dir.join("users").join(format!("{id}.deleted")), b"")?;
        }
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io(&path)(e)),
        }
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
            let path = entry.map_err(io(&states))?.path();
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
        let path = self.inner.record_path(key);
        Box::pin(async move {
            match blocking(move || read_optional(&path)).await? {
                Some(bytes) => self.inner.decode_context(key, &bytes).map(Some),
                None => Ok(None),
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
        self.run(move |s| {
            write_private_file(
                &s.dir.join("oauth-config"),
                &seal_oauth_config(&s.key, &config)?,
            )
        })
    }

    fn load_oauth_config(&self) -> StoreFuture<'_, Option<OAuthConfig>> {
        self.run(|s| match read_optional(&s.dir.join("oauth-config"))? {
            Some(sealed) => open_oauth_config(&s.key, &sealed).map(Some),
            None => Ok(None),
        })
    }

    fn add_pending_state<'a>(
        &'a self,
        state: &'a CsrfState,
        expires_at: DateTime<Utc>,
    ) -> StoreFuture<'a, ()> {
        let digest = state_digest(state);
        self.run(move |s| s.add_pending_state(&digest, expires_at))
    }

    fn take_pending_state<'a>(&'a self, state: &'a CsrfState) -> StoreFuture<'a, bool> {
        let digest = state_digest(state);
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
                let result =
                    write_private_file(&inner.record_path(key), &inner.encode(key, &saved)?);
                drop(lock);
                result
            })
            .await?;
            Ok(renewed)
        })
    }
}
