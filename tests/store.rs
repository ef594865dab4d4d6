//! One behavioural suite for every context store: `FileStore`, `SqlStore` on
//! SQLite, and `SqlStore` on a real PostgreSQL server (no mock database).
//!
//! Each behaviour is an `async fn(Backend)`; `suite!` turns it into one test
//! per backend (`file::…`, `sqlite::…`, `postgres::…`). Contexts come from the
//! built-in fake bunq over loopback HTTP.
//!
//! PostgreSQL: `BUNQ_OAUTH_TEST_POSTGRES` names a server's admin URL (for
//! example `postgres://postgres@127.0.0.1:54329/postgres`); each test makes a
//! database of its own there. `.ci/test` installs and starts such a server;
//! without the variable the PostgreSQL tests fail and say so.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bunq_oauth::store::{
    AppUserId, ContextKey, ContextStore, EncryptionKey, FileStore, SqlStore, StoreError,
};
use bunq_oauth::{
    ApiContext, Client, Error, Limit, LimitScope, OAuthConfig, PagedList, RateLimits, RetryPolicy,
    Session,
};
use bunq_oauth_fake::{FakeBunq, Fault, FaultKind};
use chrono::{Duration, Utc};
use sqlx::Connection;

mod common;

#[derive(Debug, Clone, Copy)]
enum Backend {
    File,
    Sqlite,
    Postgres,
}

/// Where one test's store lives; dropped with the test.
struct Place {
    backend: Backend,
    dir: tempfile::TempDir,
    /// The database URL (SQL backends).
    url: String,
}

impl Place {
    async fn new(backend: Backend) -> Place {
        let dir = tempfile::tempdir().unwrap();
        let url = match backend {
            Backend::File => String::new(),
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("store.db").display()),
            Backend::Postgres => common::new_postgres_database().await,
        };
        Place { backend, dir, url }
    }

    fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    async fn open(&self, key: &EncryptionKey) -> bunq_oauth::Result<Arc<dyn ContextStore>> {
        Ok(match self.backend {
            Backend::File => Arc::new(FileStore::open(self.store_dir(), key.clone()).await?),
            Backend::Sqlite | Backend::Postgres => {
                Arc::new(SqlStore::connect(&self.url, key.clone()).await?)
            }
        })
    }

    /// Everything the store has written, as bytes: files, or every column
    /// of every table.
    async fn raw_bytes(&self) -> Vec<u8> {
        match self.backend {
            Backend::File => {
                let mut out = Vec::new();
                read_tree(&self.store_dir(), &mut out);
                out
            }
            Backend::Sqlite => {
                let mut out = Vec::new();
                read_tree(self.dir.path(), &mut out);
                out
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                let mut out = Vec::new();
                for table in [
                    "bunq_oauth_contexts",
                    "bunq_oauth_secrets",
                    "bunq_oauth_pending_states",
                    "bunq_oauth_revoked_tokens",
                ] {
                    let rows: Vec<(String,)> =
                        sqlx::query_as(&format!("SELECT row_to_json(t)::text FROM {table} t"))
                            .fetch_all(&mut conn)
                            .await
                            .unwrap();
                    for (row,) in rows {
                        out.extend_from_slice(row.as_bytes());
                    }
                }
                out
            }
        }
    }

    /// Overwrites user `to`'s record with user `from`'s, as an attacker with
    /// write access to the storage could.
    async fn copy_record(&self, from: u64, to: u64) {
        match self.backend {
            Backend::File => {
                let users = self.store_dir().join("users");
                std::fs::copy(
                    users.join(format!("{from}.json")),
                    users.join(format!("{to}.json")),
                )
                .unwrap();
            }
            Backend::Sqlite | Backend::Postgres => {
                sqlx::any::install_default_drivers();
                let mut conn = sqlx::AnyConnection::connect(&self.url).await.unwrap();
                sqlx::query(
                    "UPDATE bunq_oauth_contexts SET sealed = \
                     (SELECT sealed FROM bunq_oauth_contexts WHERE id = $1) WHERE id = $2",
                )
                .bind(from as i64)
                .bind(to as i64)
                .execute(&mut conn)
                .await
                .unwrap();
            }
        }
    }
}

/// A record as stored, taken and put back by someone with write access to
/// the storage but not the key.
enum Raw {
    File(Vec<u8>),
    Row(Vec<u8>, i64, i64, i64),
}

impl Place {
    fn record_file(&self, id: u64) -> PathBuf {
        match id {
            0 => self.store_dir().join("owner.json"),
            id => self.store_dir().join("users").join(format!("{id}.json")),
        }
    }

    async fn snapshot(&self, id: u64) -> Raw {
        match self.backend {
            Backend::File => Raw::File(std::fs::read(self.record_file(id)).unwrap()),
            Backend::Sqlite | Backend::Postgres => {
                sqlx::any::install_default_drivers();
                let mut conn = sqlx::AnyConnection::connect(&self.url).await.unwrap();
                let row: (Vec<u8>, i64, i64, i64) = sqlx::query_as(
                    "SELECT sealed, version, bunq_user_id, updated_at \
                     FROM bunq_oauth_contexts WHERE id = $1",
                )
                .bind(id as i64)
                .fetch_one(&mut conn)
                .await
                .unwrap();
                Raw::Row(row.0, row.1, row.2, row.3)
            }
        }
    }

    /// Deletes the store's manifest, as someone with write access could.
    async fn delete_manifest(&self) {
        match self.backend {
            Backend::File => std::fs::remove_file(self.store_dir().join("manifest")).unwrap(),
            Backend::Sqlite | Backend::Postgres => {
                sqlx::any::install_default_drivers();
                let mut conn = sqlx::AnyConnection::connect(&self.url).await.unwrap();
                let deleted = sqlx::query("DELETE FROM bunq_oauth_secrets WHERE name = 'manifest'")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                assert_eq!(deleted.rows_affected(), 1, "the store had a manifest");
            }
        }
    }

    async fn restore(&self, id: u64, raw: Raw) {
        match raw {
            Raw::File(bytes) => std::fs::write(self.record_file(id), bytes).unwrap(),
            Raw::Row(sealed, version, bunq_user_id, updated_at) => {
                let mut conn = sqlx::AnyConnection::connect(&self.url).await.unwrap();
                sqlx::query(
                    "INSERT INTO bunq_oauth_contexts (id, bunq_user_id, sealed, updated_at, version) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
                     sealed = excluded.sealed, version = excluded.version",
                )
                .bind(id as i64)
                .bind(bunq_user_id)
                .bind(sealed)
                .bind(updated_at)
                .bind(version)
                .execute(&mut conn)
                .await
                .unwrap();
            }
        }
    }
}

fn read_tree(dir: &Path, out: &mut Vec<u8>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // File names too: a FileStore's state files are named by digest.
        out.extend(path.file_name().unwrap().as_encoded_bytes());
        if path.is_dir() {
            read_tree(&path, out);
        } else {
            out.extend(std::fs::read(&path).unwrap());
        }
    }
}

/// A client for `fake` that paces by bunq's limits but session-server's,
/// which is `session` for each `scope`.
fn paced_client(fake: &FakeBunq, session: Limit, scope: LimitScope, retry: RetryPolicy) -> Client {
    let mut limits = RateLimits::default().with_session_server_scope(scope);
    limits.session_server = session;
    Client::builder()
        .environment(fake.environment())
        .rate_limits(Some(limits))
        .retry_policy(retry)
        .build()
        .unwrap()
}

/// A fake bunq and a client for it, without pacing (the fake does not limit).
async fn fake() -> (FakeBunq, Client) {
    let fake = FakeBunq::start().await.unwrap();
    let client = Client::builder()
        .environment(fake.environment())
        .rate_limits(None)
        .build()
        .unwrap();
    (fake, client)
}

async fn owner_context(fake: &FakeBunq, client: &Client) -> ApiContext {
    ApiContext::create(client, fake.owner_api_key(), "store test")
        .await
        .unwrap()
}

/// A user connected through OAuth, as the app's callback makes one.
async fn connected_user(fake: &FakeBunq, client: &Client) -> ApiContext {
    let owner = Session::new(client, owner_context(fake, client).await).unwrap();
    let oauth_client = owner.oauth_client_manager().ensure_active().await.unwrap();
    let redirect = "https://app.example/callback";
    owner
        .callback_url_manager(oauth_client.id)
        .ensure(redirect)
        .await
        .unwrap();
    let config = oauth_config(&oauth_client);
    let token = config
        .exchange_code(client, &authorize(&config, client).await)
        .await
        .unwrap();
    bunq_oauth::ApiContext::for_access_token(client, &token, "store test user")
        .await
        .unwrap()
}

/// Plays the user at the fake's authorization page: follows the authorize
/// URL, takes the code from the redirect.
async fn authorize(config: &OAuthConfig, client: &Client) -> bunq_oauth::AuthorizationCode {
    let request = config.authorize_url(client.environment()).unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = http.get(request.url().as_str()).send().await.unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    bunq_oauth::parse_callback(&location, request.state()).unwrap()
}

fn oauth_config(oauth_client: &bunq_oauth::OauthClientDetails) -> OAuthConfig {
    OAuthConfig::new(
        oauth_client.client_id.clone(),
        oauth_client.secret.clone(),
        "https://app.example/callback",
    )
    .unwrap()
}

fn key() -> EncryptionKey {
    EncryptionKey::generate().unwrap()
}

// ---- the behaviours ---------------------------------------------------------

async fn owner_round_trips_and_is_replaced(backend: Backend) {
    let place = Place::new(backend).await;
    let key = key();
    let store = place.open(&key).await.unwrap();
    let (fake, client) = fake().await;
    assert!(store.load(ContextKey::Owner).await.unwrap().is_none());

    let first = owner_context(&fake, &client).await;
    store.save(ContextKey::Owner, &first).await.unwrap();
    let loaded = store.load(ContextKey::Owner).await.unwrap().unwrap();
    assert_eq!(loaded.user_id(), fake.owner_user_id());
    assert_eq!(loaded.api_url(), first.api_url());
    assert_eq!(loaded.device_id(), first.device_id());
    assert_eq!(loaded.session_expires_at(), first.session_expires_at());

    // Saving again replaces: still one owner record, now the second context.
    let second = owner_context(&fake, &client).await;
    store.save(ContextKey::Owner, &second).await.unwrap();
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].key, ContextKey::Owner);
    assert_eq!(listed[0].bunq_user_id, fake.owner_user_id());
    let loaded = store.load(ContextKey::Owner).await.unwrap().unwrap();
    assert_eq!(loaded.device_id(), second.device_id());
    assert_ne!(loaded.device_id(), first.device_id());

    // The loaded context works: a call through it needs no new session.
    let before = fake.stats().session_servers;
    let session = Session::new(&client, loaded).unwrap();
    session.oauth_client_manager().list().await.unwrap();
    assert_eq!(fake.stats().session_servers, before);
}

async fn users_get_fresh_ids_that_are_never_reused(backend: Backend) {
    let place = Place::new(backend).await;
    let store = place.open(&key()).await.unwrap();
    let (fake, client) = fake().await;
    let user = connected_user(&fake, &client).await;

    let a = store.add_user(&user).await.unwrap();
    let b = store.add_user(&user).await.unwrap();
    let c = store.add_user(&user).await.unwrap();
    assert_eq!((a, b, c), (AppUserId(1), AppUserId(2), AppUserId(3)));
    store
        .save(ContextKey::Owner, &owner_context(&fake, &client).await)
        .await
        .unwrap();
    let keys: Vec<ContextKey> = store.list().await.unwrap().iter().map(|s| s.key).collect();
    assert_eq!(
        keys,
        [
            ContextKey::Owner,
            ContextKey::User(a),
            ContextKey::User(b),
            ContextKey::User(c)
        ]
    );
    let listed = store.list().await.unwrap();
    assert_eq!(listed[1].bunq_user_id, user.user_id());
    assert!(listed[1].updated_at <= Utc::now() + Duration::seconds(1));

    // Delete the newest: gone, a second delete finds nothing, and its id is
    // not handed out again (an app may still refer to it).
    assert!(store.delete(ContextKey::User(c)).await.unwrap());
    assert!(!store.delete(ContextKey::User(c)).await.unwrap());
    assert!(store.load(ContextKey::User(c)).await.unwrap().is_none());
    let d = store.add_user(&user).await.unwrap();
    assert_eq!(d, AppUserId(4));
    assert_eq!(store.list().await.unwrap().len(), 4);
}

async fn saving_an_unknown_user_is_not_found(backend: Backend) {
    let place = Place::new(backend).await;
    let store = place.open(&key()).await.unwrap();
    let (fake, client) = fake().await;
    let context = owner_context(&fake, &client).await;
    let err = store
        .save(ContextKey::User(AppUserId(7)), &context)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Store(StoreError::NotFound {
                key: ContextKey::User(AppUserId(7))
            })
        ),
        "{err:?}"
    );
    assert!(store.list().await.unwrap().is_empty());
    // A session from a key with nothing stored is the same typed error.
    let err = Session::from_store(&client, store.clone(), ContextKey::User(AppUserId(7)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Store(StoreError::NotFound { .. })),
        "{err:?}"
    );
}

async fn a_wrong_key_is_refused_at_open_and_the_right_one_reads_everything(backend: Backend) {
    let place = Place::new(backend).await;
    let right = key();
    let (fake, client) = fake().await;
    {
        let store = place.open(&right).await.unwrap();
        let owner = owner_context(&fake, &client).await;
        store.save(ContextKey::Owner, &owner).await.unwrap();
        store.add_user(&owner).await.unwrap();
    }
    let err = place.open(&key()).await.unwrap_err();
    assert!(matches!(err, Error::Store(StoreError::WrongKey)), "{err:?}");
    assert!(err.to_string().contains("encryption key"), "{err}");

    // Reopened with the right key (a restart): everything is there.
    let store = place.open(&right).await.unwrap();
    assert_eq!(store.list().await.unwrap().len(), 2);
    let owner = store.load(ContextKey::Owner).await.unwrap().unwrap();
    assert_eq!(owner.user_id(), fake.owner_user_id());
    assert!(
        store
            .load(ContextKey::User(AppUserId(1)))
            .await
            .unwrap()
            .is_some()
    );
}

async fn secrets_are_encrypted_at_rest(backend: Backend) {
    let place = Place::new(backend).await;
    let store = place.open(&key()).await.unwrap();
    let (fake, client) = fake().await;
    let owner = owner_context(&fake, &client).await;
    store.save(ContextKey::Owner, &owner).await.unwrap();
    let session = Session::new(&client, owner).unwrap();
    let oauth_client = session
        .oauth_client_manager()
        .ensure_active()
        .await
        .unwrap();
    let config = oauth_config(&oauth_client);
    store.save_oauth_config(&config).await.unwrap();
    let request = config.authorize_url(&fake.environment()).unwrap();
    store
        .add_pending_state(request.state(), Utc::now() + Duration::minutes(10))
        .await
        .unwrap();

    let raw = place.raw_bytes().await;
    assert!(raw.len() > 1000, "the store wrote {} bytes", raw.len());
    let raw = String::from_utf8_lossy(&raw);
    let client_secret = oauth_client.secret;
    for (what, secret) in [
        ("API key", fake.owner_api_key().expose_secret().to_owned()),
        ("client secret", client_secret.expose_secret().to_owned()),
        ("OAuth state", request.state().expose_secret().to_owned()),
        ("private key", "PRIVATE KEY".to_owned()),
        ("context JSON", "installation_token".to_owned()),
        // Pending states are keyed digests: the plain SHA-256 of a state
        // (which anyone could compute and insert) is nowhere.
        (
            "unkeyed state digest",
            sha256_hex(request.state().expose_secret()),
        ),
    ] {
        assert!(!raw.contains(&secret), "the {what} is stored in clear");
    }
}

fn sha256_hex(text: &str) -> String {
    use std::fmt::Write;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

async fn a_record_moved_onto_another_does_not_open(backend: Backend) {
    let place = Place::new(backend).await;
    let store = place.open(&key()).await.unwrap();
    let (fake, client) = fake().await;
    let context = owner_context(&fake, &client).await;
    store.add_user(&context).await.unwrap();
    store.add_user(&context).await.unwrap();
    place.copy_record(1, 2).await;
    assert!(
        store
            .load(ContextKey::User(AppUserId(1)))
            .await
            .unwrap()
            .is_some()
    );
    let err = store
        .load(ContextKey::User(AppUserId(2)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Store(StoreError::Corrupt { ref record, .. }) if record == "user 2"),
        "{err:?}"
    );
}

async fn the_oauth_config_round_trips(backend: Backend) {
    let place = Place::new(backend).await;
    let key = key();
    let store = place.open(&key).await.unwrap();
    let (fake, client) = fake().await;
    assert!(store.load_oauth_config().await.unwrap().is_none());
    let session = Session::new(&client, owner_context(&fake, &client).await).unwrap();
    let oauth_client = session
        .oauth_client_manager()
        .ensure_active()
        .await
        .unwrap();
    session
        .callback_url_manager(oauth_client.id)
        .ensure("https://app.example/callback")
        .await
        .unwrap();
    let config = oauth_config(&oauth_client);
    store.save_oauth_config(&config).await.unwrap();
    store.save_oauth_config(&config).await.unwrap();

    let loaded = place
        .open(&key)
        .await
        .unwrap()
        .load_oauth_config()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.client_id(), config.client_id());
    assert_eq!(loaded.redirect_uri(), config.redirect_uri());
    let url = loaded
        .authorize_url(&fake.environment())
        .unwrap()
        .url()
        .to_string();
    assert!(url.starts_with(&fake.oauth_authorize_url()), "{url}");
    // The secret survived: the stored config can exchange a code.
    let code = authorize(&loaded, &client).await;
    loaded.exchange_code(&client, &code).await.unwrap();
}

async fn pending_states_are_taken_once_and_expire(backend: Backend) {
    let place = Place::new(backend).await;
    let store = place.open(&key()).await.unwrap();
    let live = bunq_oauth::CsrfState::random().unwrap();
    let expired = bunq_oauth::CsrfState::random().unwrap();
    let unknown = bunq_oauth::CsrfState::random().unwrap();
    store
        .add_pending_state(&live, Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    store
        .add_pending_state(&expired, Utc::now() - Duration::seconds(1))
        .await
        .unwrap();
    assert!(store.take_pending_state(&live).await.unwrap());
    assert!(!store.take_pending_state(&live).await.unwrap(), "replayed");
    assert!(
        !store.take_pending_state(&expired).await.unwrap(),
        "expired"
    );
    assert!(
        !store.take_pending_state(&unknown).await.unwrap(),
        "unknown"
    );

    // Two callbacks racing with the same state: exactly one wins.
    let raced = bunq_oauth::CsrfState::random().unwrap();
    store
        .add_pending_state(&raced, Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        store.take_pending_state(&raced),
        store.take_pending_state(&raced)
    );
    assert!(a.unwrap() ^ b.unwrap(), "exactly one take wins");
}

/// A revoked token is revoked for every handle on the store (every app
/// instance, and after a restart) until its expiry; nothing else is.
async fn revoked_tokens_are_seen_by_every_handle_until_they_expire(backend: Backend) {
    let place = Place::new(backend).await;
    let key = key();
    let first = place.open(&key).await.unwrap();
    let second = place.open(&key).await.unwrap();
    assert!(!second.is_token_revoked("alice").await.unwrap());
    first
        .revoke_token("alice", Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    first
        .revoke_token("bob", Utc::now() - Duration::seconds(1))
        .await
        .unwrap();
    assert!(second.is_token_revoked("alice").await.unwrap());
    assert!(!second.is_token_revoked("bob").await.unwrap(), "expired");
    assert!(!second.is_token_revoked("alicf").await.unwrap());
    // Revoked again with an earlier expiry: the later one holds.
    second
        .revoke_token("alice", Utc::now() - Duration::seconds(1))
        .await
        .unwrap();
    drop((first, second));
    let reopened = place.open(&key).await.unwrap();
    assert!(reopened.is_token_revoked("alice").await.unwrap());
    // Only a digest is stored.
    let raw = String::from_utf8_lossy(&place.raw_bytes().await).into_owned();
    assert!(!raw.contains("alice"));
}

/// Two app instances (two store handles, two clients) and 20 concurrent
/// requests for one user whose session bunq expired: one session-server
/// call between them, and both go on with the new session.
async fn two_handles_renew_an_expired_session_once(backend: Backend) {
    let place = Place::new(backend).await;
    let key = key();
    let (fake, _) = fake().await;
    let instance = || {
        Client::builder()
            .environment(fake.environment())
            .rate_limits(None)
            .build()
            .unwrap()
    };
    let (client_a, client_b) = (instance(), instance());
    let user = connected_user(&fake, &client_a).await;
    let store_a = place.open(&key).await.unwrap();
    let store_b = place.open(&key).await.unwrap();
    let id = store_a.add_user(&user).await.unwrap();
    let key_user = ContextKey::User(id);
    let a = Session::from_store(&client_a, store_a.clone(), key_user)
        .await
        .unwrap();
    let b = Session::from_store(&client_b, store_b.clone(), key_user)
        .await
        .unwrap();

    fake.expire_sessions();
    let before = fake.stats();
    let calls = (0..20).map(|i| {
        let session = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move { session.account_summaries().list().await }
    });
    for result in futures::future::join_all(calls).await {
        let page = result.unwrap();
        assert!(!page.items.is_empty());
    }
    let after = fake.stats();
    assert_eq!(
        after.session_servers - before.session_servers,
        1,
        "session-server calls for 20 requests on two handles"
    );

    // Both handles hold the new session, and so does the store: 20 more
    // requests and a third handle's request make exactly 21 calls, no 401.
    let c = Session::from_store(&instance(), place.open(&key).await.unwrap(), key_user)
        .await
        .unwrap();
    let again = (0..21).map(|i| {
        let session = [&a, &b, &c][i % 3].clone();
        async move { session.account_summaries().list().await }
    });
    for result in futures::future::join_all(again).await {
        result.unwrap();
    }
    let last = fake.stats();
    assert_eq!(last.session_servers, after.session_servers);
    assert_eq!(last.requests_total - after.requests_total, 21);
}

/// A renewal that waits for bunq's session-server place (one call an hour
/// here, taken by another user's renewal) holds no lock on the stored
/// context meanwhile: another handle renews the same user through the store
/// (it would wait for that lock forever), and the waiting renewal adopts
/// its session instead of asking bunq.
async fn a_renewal_waiting_for_its_place_holds_no_lock_and_adopts(backend: Backend) {
    let place = Place::new(backend).await;
    let key = key();
    let (fake, plain) = fake().await;
    let hourly = Limit::new(1, std::time::Duration::from_secs(3600));
    let paced = paced_client(&fake, hourly, LimitScope::Ip, RetryPolicy::default());
    let store = place.open(&key).await.unwrap();
    let first = store
        .add_user(&connected_user(&fake, &plain).await)
        .await
        .unwrap();
    let second = store
        .add_user(&connected_user(&fake, &plain).await)
        .await
        .unwrap();
    let first = Session::from_store(&paced, store.clone(), ContextKey::User(first))
        .await
        .unwrap();
    let paced_second = Session::from_store(&paced, store.clone(), ContextKey::User(second))
        .await
        .unwrap();

    fake.expire_sessions();
    // The first user's renewal takes the hour's one place.
    first.account_summaries().list().await.unwrap();
    let before = fake.stats();
    let waiting = tokio::spawn(async move { paced_second.account_summaries().list().await });
    // Not needed for what is asserted: lets the renewal above reach its wait.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let other_handle = Session::from_store(
        &plain,
        place.open(&key).await.unwrap(),
        ContextKey::User(second),
    )
    .await
    .unwrap();
    let limit = std::time::Duration::from_secs(60);
    tokio::time::timeout(limit, other_handle.account_summaries().list())
        .await
        .expect("the other handle waited for a lock the waiting renewal held")
        .unwrap();
    let adopted = tokio::time::timeout(limit, waiting)
        .await
        .expect("the waiting renewal did not adopt the stored session")
        .unwrap()
        .unwrap();
    assert!(!adopted.items.is_empty());
    assert_eq!(
        fake.stats().session_servers - before.session_servers,
        1,
        "one session-server call: the other handle's"
    );
}

/// A renewal's session-server call that bunq refuses for its rate limit
/// goes again in a new place, as the retry policy allows, and the renewed
/// session is stored; with no retries the 429 is the answer.
async fn a_refused_renewal_goes_again_in_a_new_place(backend: Backend) {
    let place = Place::new(backend).await;
    let key = key();
    let (fake, plain) = fake().await;
    let each_second = Limit::new(1, std::time::Duration::from_secs(1));
    let paced = |retry| paced_client(&fake, each_second, LimitScope::Installation, retry);
    let store = place.open(&key).await.unwrap();
    let id = store
        .add_user(&connected_user(&fake, &plain).await)
        .await
        .unwrap();
    let user = ContextKey::User(id);
    let refuse_once = || {
        fake.inject(
            Fault::new(FaultKind::Status429)
                .on(reqwest::Method::POST, "/session-server")
                .times(1),
        )
    };

    fake.expire_sessions();
    let strict = Session::from_store(&paced(RetryPolicy::none()), store.clone(), user)
        .await
        .unwrap();
    refuse_once();
    let refused = strict.account_summaries().list().await.unwrap_err();
    assert!(
        matches!(&refused, Error::Api(e) if e.status == 429),
        "{refused:?}"
    );

    let patient = Session::from_store(&paced(RetryPolicy::default()), store.clone(), user)
        .await
        .unwrap();
    refuse_once();
    let before = fake.stats();
    assert!(
        !patient
            .account_summaries()
            .list()
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let after = fake.stats();
    assert_eq!(after.faults_applied - before.faults_applied, 1);
    assert_eq!(after.session_servers - before.session_servers, 1);
    // The session was stored: a new handle uses it without renewing.
    let again = Session::from_store(&plain, store.clone(), user)
        .await
        .unwrap();
    again.account_summaries().list().await.unwrap();
    assert_eq!(fake.stats().session_servers, after.session_servers);
}

/// Ten users connecting at once through two handles get ten different ids.
async fn concurrent_adds_get_distinct_ids(backend: Backend) {
    let place = Place::new(backend).await;
    let key = key();
    let (a, b) = (
        place.open(&key).await.unwrap(),
        place.open(&key).await.unwrap(),
    );
    let (fake, client) = fake().await;
    let context = owner_context(&fake, &client).await;
    let adds = (0..10).map(|i| {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let context = context.clone();
        async move { store.add_user(&context).await }
    });
    let mut ids: Vec<u64> = futures::future::join_all(adds)
        .await
        .into_iter()
        .map(|r| r.unwrap().0)
        .collect();
    ids.sort();
    assert_eq!(ids, (1..=10).collect::<Vec<u64>>());
    assert_eq!(a.list().await.unwrap().len(), 10);
}

async fn a_rolled_back_record_is_refused(backend: Backend) {
    an_old_record_put_back_is_refused(backend, false).await;
}

/// Deleting the manifest does not reopen the rollback check: every store
/// has one from its creation, so its absence is a rollback, for the handle
/// that was open and for a fresh one.
async fn a_deleted_manifest_is_a_rollback(backend: Backend) {
    an_old_record_put_back_is_refused(backend, true).await;
}

/// Someone with write access (no key) puts an older sealed record back,
/// having deleted the manifest first or not: the open handle and a fresh
/// one both refuse it.
async fn an_old_record_put_back_is_refused(backend: Backend, delete_manifest: bool) {
    let place = Place::new(backend).await;
    let key = key();
    let store = place.open(&key).await.unwrap();
    let (fake, client) = fake().await;
    let first = owner_context(&fake, &client).await;
    store.save(ContextKey::Owner, &first).await.unwrap();
    let old = place.snapshot(0).await;
    let second = owner_context(&fake, &client).await;
    store.save(ContextKey::Owner, &second).await.unwrap();
    if delete_manifest {
        place.delete_manifest().await;
    }
    place.restore(0, old).await;
    for handle in [store.clone(), place.open(&key).await.unwrap()] {
        let err = handle.load(ContextKey::Owner).await.unwrap_err();
        assert!(
            matches!(err, Error::Store(StoreError::RolledBack { .. })),
            "{err:?}"
        );
    }
}

async fn a_deleted_user_put_back_is_refused(backend: Backend) {
    let place = Place::new(backend).await;
    let store = place.open(&key()).await.unwrap();
    let (fake, client) = fake().await;
    let id = store
        .add_user(&owner_context(&fake, &client).await)
        .await
        .unwrap();
    let record = place.snapshot(id.0).await;
    assert!(store.delete(ContextKey::User(id)).await.unwrap());
    place.restore(id.0, record).await;
    let err = store.load(ContextKey::User(id)).await.unwrap_err();
    assert!(
        matches!(err, Error::Store(StoreError::RolledBack { .. })),
        "{err:?}"
    );
    assert!(
        store
            .list()
            .await
            .unwrap()
            .iter()
            .all(|c| c.key != ContextKey::User(id)),
        "not listed either"
    );
}

async fn a_record_from_another_store_with_the_same_key_does_not_open(backend: Backend) {
    let (a, b) = (Place::new(backend).await, Place::new(backend).await);
    let key = key();
    let (store_a, store_b) = (a.open(&key).await.unwrap(), b.open(&key).await.unwrap());
    let (fake, client) = fake().await;
    store_a
        .save(ContextKey::Owner, &owner_context(&fake, &client).await)
        .await
        .unwrap();
    store_b
        .save(ContextKey::Owner, &owner_context(&fake, &client).await)
        .await
        .unwrap();
    b.restore(0, a.snapshot(0).await).await;
    let err = store_b.load(ContextKey::Owner).await.unwrap_err();
    assert!(
        matches!(err, Error::Store(StoreError::Corrupt { .. })),
        "{err:?}"
    );
}

async fn rekey_reseals_everything_under_the_new_key(backend: Backend) {
    let place = Place::new(backend).await;
    let old_key = key();
    let store = place.open(&old_key).await.unwrap();
    let (fake, client) = fake().await;
    let owner = owner_context(&fake, &client).await;
    store.save(ContextKey::Owner, &owner).await.unwrap();
    let user = store.add_user(&owner).await.unwrap();
    let session = Session::new(&client, owner.clone()).unwrap();
    let oauth_client = session
        .oauth_client_manager()
        .ensure_active()
        .await
        .unwrap();
    store
        .save_oauth_config(&oauth_config(&oauth_client))
        .await
        .unwrap();
    let state = bunq_oauth::CsrfState::random().unwrap();
    store
        .add_pending_state(&state, Utc::now() + Duration::minutes(5))
        .await
        .unwrap();
    store
        .revoke_token("signed-out", Utc::now() + Duration::minutes(5))
        .await
        .unwrap();
    drop(store);

    let new_key = EncryptionKey::generate().unwrap();
    match backend {
        Backend::File => FileStore::rekey(place.store_dir(), old_key.clone(), new_key.clone())
            .await
            .unwrap(),
        _ => SqlStore::rekey(&place.url, old_key.clone(), new_key.clone())
            .await
            .unwrap(),
    }
    let err = place.open(&old_key).await.unwrap_err();
    assert!(matches!(err, Error::Store(StoreError::WrongKey)), "{err:?}");
    let store = place.open(&new_key).await.unwrap();
    let loaded = store.load(ContextKey::Owner).await.unwrap().unwrap();
    assert_eq!(loaded.user_id(), owner.user_id());
    assert!(store.load(ContextKey::User(user)).await.unwrap().is_some());
    let config = store.load_oauth_config().await.unwrap().unwrap();
    assert_eq!(config.client_id(), oauth_client.client_id);
    // States were keyed with the old key: gone, and taking one is refused.
    assert!(!store.take_pending_state(&state).await.unwrap());
    // Revocations are not keyed: still revoked.
    assert!(store.is_token_revoked("signed-out").await.unwrap());
    // Writing and reading on go on as before.
    store.save(ContextKey::Owner, &owner).await.unwrap();
    assert!(store.load(ContextKey::Owner).await.unwrap().is_some());
}

/// A payment-service provider's context (registered with a PSD2 pseudo
/// certificate) is stored, loaded and renewed like an API key's.
async fn a_psd2_provider_is_stored_loaded_and_renewed(backend: Backend) {
    let place = Place::new(backend).await;
    let store = place.open(&key()).await.unwrap();
    let (fake, client) = fake().await;
    let certificate =
        bunq_oauth::psd2::SandboxCertificate::generate("Store Test", &["PISP", "AISP"])
            .unwrap()
            .to_psd2_certificate()
            .unwrap();
    let provider = ApiContext::create_for_psd2(&client, certificate, "store test")
        .await
        .unwrap()
        .context;
    store.save(ContextKey::Owner, &provider).await.unwrap();
    let loaded = store.load(ContextKey::Owner).await.unwrap().unwrap();
    assert_eq!(loaded.user().type_name(), "UserPaymentServiceProvider");
    assert_eq!(loaded.user_id(), provider.user_id());

    let session = Session::from_store(&client, store.clone(), ContextKey::Owner)
        .await
        .unwrap();
    fake.expire_sessions();
    let before = fake.stats().session_servers;
    session.oauth_client_manager().list().await.unwrap();
    assert_eq!(fake.stats().session_servers, before + 1);
    // The renewed session is what the store holds now.
    let renewed = store.load(ContextKey::Owner).await.unwrap().unwrap();
    assert!(renewed.session_expires_at() > loaded.session_expires_at());
}

/// Callback events: each kept once per user (a repeat is `false`), read
/// back newest first, per user, and gone with the user.
async fn events_are_kept_once_per_user_newest_first(backend: Backend) {
    use bunq_oauth::store::StoredEvent;
    let place = Place::new(backend).await;
    let key = key();
    let store = place.open(&key).await.unwrap();
    let (fake, client) = fake().await;
    let context = owner_context(&fake, &client).await;
    let (alice, bob) = (
        store.add_user(&context).await.unwrap(),
        store.add_user(&context).await.unwrap(),
    );
    let event = |id: &str, seconds: i64| StoredEvent {
        event_id: id.to_owned(),
        category: "MUTATION".into(),
        event_type: "MUTATION_RECEIVED".into(),
        summary: format!("Payment {id} 1.00 EUR"),
        received_at: Utc::now() - Duration::seconds(seconds),
    };
    assert!(store.record_event(alice, &event("a/1", 30)).await.unwrap());
    assert!(store.record_event(alice, &event("a/2", 20)).await.unwrap());
    // bunq's retry of the same event, even at another time: kept once.
    assert!(!store.record_event(alice, &event("a/1", 10)).await.unwrap());
    assert!(store.record_event(bob, &event("a/1", 5)).await.unwrap());
    let recent = store.recent_events(alice, 10).await.unwrap();
    let ids: Vec<&str> = recent.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["a/2", "a/1"]);
    assert_eq!(recent[1].summary, "Payment a/1 1.00 EUR");
    assert_eq!(store.recent_events(alice, 1).await.unwrap().len(), 1);
    // A second handle sees them, and repeats are refused there too.
    let other = place.open(&key).await.unwrap();
    assert!(!other.record_event(alice, &event("a/2", 1)).await.unwrap());
    // Older than the retention: dropped on the next write.
    let old = event("a/old", Duration::days(31).num_seconds());
    assert!(store.record_event(alice, &old).await.unwrap());
    assert!(store.record_event(alice, &event("a/3", 0)).await.unwrap());
    let ids: Vec<String> = store
        .recent_events(alice, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(ids, ["a/3", "a/2", "a/1"]);
    // Deleting a user deletes their events, and only theirs.
    assert!(store.delete(ContextKey::User(alice)).await.unwrap());
    assert!(store.recent_events(alice, 10).await.unwrap().is_empty());
    assert_eq!(store.recent_events(bob, 10).await.unwrap().len(), 1);
}

macro_rules! suite {
    ($($behaviour:ident),* $(,)?) => {
        mod file {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $behaviour() { super::$behaviour(super::Backend::File).await })*
        }
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $behaviour() { super::$behaviour(super::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $behaviour() { super::$behaviour(super::Backend::Postgres).await })*
        }
    };
}

suite!(
    owner_round_trips_and_is_replaced,
    users_get_fresh_ids_that_are_never_reused,
    saving_an_unknown_user_is_not_found,
    a_wrong_key_is_refused_at_open_and_the_right_one_reads_everything,
    secrets_are_encrypted_at_rest,
    a_record_moved_onto_another_does_not_open,
    the_oauth_config_round_trips,
    pending_states_are_taken_once_and_expire,
    two_handles_renew_an_expired_session_once,
    a_renewal_waiting_for_its_place_holds_no_lock_and_adopts,
    a_refused_renewal_goes_again_in_a_new_place,
    concurrent_adds_get_distinct_ids,
    a_rolled_back_record_is_refused,
    a_deleted_manifest_is_a_rollback,
    a_deleted_user_put_back_is_refused,
    a_record_from_another_store_with_the_same_key_does_not_open,
    rekey_reseals_everything_under_the_new_key,
    revoked_tokens_are_seen_by_every_handle_until_they_expire,
    a_psd2_provider_is_stored_loaded_and_renewed,
    events_are_kept_once_per_user_newest_first,
);

#[cfg(unix)]
#[tokio::test]
async fn file_store_files_and_directories_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let store = FileStore::open(&root, key()).await.unwrap();
    let (fake, client) = fake().await;
    let context = owner_context(&fake, &client).await;
    store.save(ContextKey::Owner, &context).await.unwrap();
    let user = store.add_user(&context).await.unwrap();
    let event = bunq_oauth::store::StoredEvent {
        event_id: "MUTATION/MUTATION_RECEIVED/Payment/1".into(),
        category: "MUTATION".into(),
        event_type: "MUTATION_RECEIVED".into(),
        summary: "Payment 1".into(),
        received_at: Utc::now(),
    };
    assert!(store.record_event(user, &event).await.unwrap());
    store
        .add_pending_state(
            &bunq_oauth::CsrfState::random().unwrap(),
            Utc::now() + Duration::minutes(1),
        )
        .await
        .unwrap();
    let mut checked = 0;
    let mut stack = vec![root];
    while let Some(path) = stack.pop() {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        if path.is_dir() {
            assert_eq!(mode, 0o700, "{}", path.display());
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            assert_eq!(mode, 0o600, "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 4, "checked {checked} files");
}

#[tokio::test]
async fn a_database_from_a_newer_crate_is_refused() {
    let place = Place::new(Backend::Sqlite).await;
    let key = key();
    drop(place.open(&key).await.unwrap());
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&place.url).await.unwrap();
    sqlx::query("UPDATE bunq_oauth_schema SET version = 99 WHERE id = 1")
        .execute(&mut conn)
        .await
        .unwrap();
    let err = place.open(&key).await.unwrap_err();
    assert!(err.to_string().contains("version 99"), "{err}");
}

/// A database URL's password appears in no error and no `Debug` output.
#[tokio::test]
async fn a_database_password_is_never_printed() {
    let password = "hunter2-database-password";
    let refused = SqlStore::connect(
        &format!("postgres://app:{password}@127.0.0.1:1/app?connect_timeout=2"),
        key(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(refused, Error::Store(StoreError::Database(_))),
        "{refused:?}"
    );
    for text in [refused.to_string(), format!("{refused:?}")] {
        assert!(!text.contains(password), "{text}");
    }
    let malformed = SqlStore::connect(&format!("mysql://app:{password}@x/app"), key())
        .await
        .unwrap_err();
    assert!(
        !format!("{malformed:?}").contains(password),
        "{malformed:?}"
    );

    // Connected (the test server trusts loopback, so any password works).
    let place = Place::new(Backend::Postgres).await;
    let mut url = url::Url::parse(&place.url).unwrap();
    url.set_password(Some(password)).unwrap();
    let store = SqlStore::connect(url.as_str(), key()).await.unwrap();
    assert!(!format!("{store:?}").contains(password));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_store_a_delete_during_a_renewal_stays_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FileStore::open(dir.path(), key()).await.unwrap());
    let (fake, client) = fake().await;
    let id = store
        .add_user(&owner_context(&fake, &client).await)
        .await
        .unwrap();
    let user = ContextKey::User(id);
    let (started, renewing) = tokio::sync::oneshot::channel();
    let renewal = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .renew_locked(
                    user,
                    Box::new(move |current| {
                        Box::pin(async move {
                            let _ = started.send(());
                            // A slow session-server call.
                            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                            Ok(current)
                        })
                    }),
                )
                .await
        })
    };
    renewing.await.unwrap();
    // The delete waits for the renewal, which cannot write the user back.
    assert!(store.delete(user).await.unwrap());
    renewal.await.unwrap().unwrap();
    assert!(store.load(user).await.unwrap().is_none());
    assert!(store.list().await.unwrap().iter().all(|c| c.key != user));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_store_many_concurrent_states_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path(), key()).await.unwrap();
    // An expired state, so every add purges while others write.
    store
        .add_pending_state(
            &bunq_oauth::CsrfState::random().unwrap(),
            Utc::now() - Duration::minutes(1),
        )
        .await
        .unwrap();
    let states: Vec<_> = (0..400)
        .map(|_| bunq_oauth::CsrfState::random().unwrap())
        .collect();
    let adds = states
        .iter()
        .map(|s| store.add_pending_state(s, Utc::now() + Duration::minutes(5)));
    for result in futures::future::join_all(adds).await {
        result.expect("no write is disturbed by another's purge");
    }
    for state in &states {
        assert!(store.take_pending_state(state).await.unwrap());
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_store_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let store = SqlStore::connect(&format!("sqlite://{}", path.display()), key())
        .await
        .unwrap();
    let (fake, client) = fake().await;
    store
        .save(ContextKey::Owner, &owner_context(&fake, &client).await)
        .await
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
}
