//! A PSD2/OAuth web app on bunq, in Rust: bunq's Python example (FastAPI,
//! SQLite) rebuilt on this crate's context store.
//!
//! ```sh
//! cargo run --example psd2_app -- --fake       # against the built-in fake bunq
//! curl -X POST -H "Authorization: Bearer $PSD2_APP_OPERATOR_TOKEN" http://127.0.0.1:8000/setup
//! open http://127.0.0.1:8000/auth               # the authorize link and its QR code
//! ```
//!
//! | route | what |
//! |---|---|
//! | `POST /setup` | the operator only (`Authorization: Bearer …`); one-time and idempotent: the owner's context, an active OAuth client, the callback URL |
//! | `GET /auth` | an HTML page with the authorize link and its QR code (SVG); binds the `state` to this browser (a cookie) |
//! | `GET /callback` | checks `state` against the browser's, exchanges the code, stores the user, registers their callbacks, and signs this browser in: a browser (`Accept: text/html`) goes on to `/me`, others get `{"message":"OAuth success","new_user_id":N}` |
//! | `GET /me` | the signed-in user's page: accounts, recent payments and the events bunq sent (HTML) |
//! | `GET /users/{id}`, `GET /users/{id}/accounts` | the signed-in user's data as JSON; anyone else's is 403, no sign-in 401 |
//! | `POST /logout` | signs this browser out |
//! | `POST /bunq/events/{id}/{token}` | bunq's callbacks for a user (registered at sign-in: MUTATION, DRAFT_PAYMENT, OAUTH): source checked, each event kept once; OAUTH (a revoked connection) signs the user out and deletes their context |
//! | `GET /health` | `{"status":"ok","set_up":…}` once the store answers |
//!
//! Sign-in is a cookie (`HttpOnly`, `SameSite=Lax`; behind https `Secure` and
//! named `__Host-…`) holding the app user id, an expiry and a random nonce,
//! signed with a key derived from `BUNQ_OAUTH_STORE_KEY`, so every instance
//! of the app accepts it. A log-out revokes the nonce in the store
//! ([`ContextStore::revoke_token`]), so every instance, and every restart,
//! refuses the cookie from then on; only a valid sign-in can be logged out.
//! Every answer is `Cache-Control: no-store`.
//!
//! Configuration (environment):
//! - `DATABASE_URL`: `sqlite://psd2_app.db` (default), `postgres://…` (several
//!   instances), or a directory path for a `FileStore`;
//! - `BUNQ_OAUTH_STORE_KEY`: the encryption key for secrets at rest (64 hex
//!   digits or base64 of 32 bytes: `openssl rand -base64 32`);
//! - `BUNQ_ENVIRONMENT` = `sandbox` (default) or `production`; or all three of
//!   `BUNQ_API_URL`, `BUNQ_OAUTH_AUTHORIZE_URL`, `BUNQ_OAUTH_TOKEN_URL`;
//! - `BUNQ_API_KEY`: the app owner's API key, read by `/setup` only; or, for a
//!   licensed payment-service provider, `PSD2_APP_CERTIFICATE` and
//!   `PSD2_APP_CERTIFICATE_KEY` (PEM files: the PSD2 certificate and its
//!   private key) with `PSD2_APP_CERTIFICATE_CHAIN` (default: the certificate
//!   itself, as bunq's sandbox accepts for a pseudo certificate), checked at
//!   start and registered by `/setup`;
//! - `PSD2_APP_OPERATOR_TOKEN`: the token `/setup` requires (with `--fake`,
//!   a random one is made and printed on stderr if it is not set);
//! - `PSD2_APP_LISTEN` (default `127.0.0.1:8000`; port 0 picks one) and
//!   `PSD2_APP_PUBLIC_URL` (default `http://<listen address>`), whose
//!   `/callback` is registered as the callback URL;
//! - `PSD2_APP_CALLBACK_SOURCES`: who may post bunq's callbacks: `any`, or
//!   addresses and networks, comma-separated (default: bunq production's
//!   185.40.108.0/22 in production, any in the sandbox); the callback routes
//!   are under `PSD2_APP_PUBLIC_URL`, which bunq needs as https;
//! - `PSD2_APP_TRUSTED_PROXIES`: the reverse proxies (addresses or networks,
//!   comma-separated) whose `X-Forwarded-For` names the client;
//! - the limits, each with its default: `PSD2_APP_HEADER_TIMEOUT_SECS` (5: to
//!   send a request's headers, and the most a connection idles),
//!   `PSD2_APP_WRITE_TIMEOUT_SECS` (10: for a client to take an answer),
//!   `PSD2_APP_CONNECTION_LIFETIME_SECS` (300), `PSD2_APP_MAX_CONNECTIONS`
//!   (256), `PSD2_APP_CONNECTIONS_PER_ADDRESS` (16), `PSD2_APP_AUTH_PER_MINUTE`
//!   (20 `/auth` calls per address) and `PSD2_APP_TRACKED_ADDRESSES` (10,000
//!   addresses counted a minute; past that, new ones wait for the next).
//!   An address is an IPv4 address or an IPv6 /64. `/setup` allows 5 wrong
//!   tokens per address and minute.
//!
//! `--fake` starts the built-in fake bunq in the process and uses its URLs
//! and owner key; without `BUNQ_OAUTH_STORE_KEY` and `DATABASE_URL` it uses a
//! throwaway key and a SQLite file in a temporary directory.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bunq_oauth::notifications::{CallbackReceiver, NotificationError, SourceCheck};
use bunq_oauth::psd2::Psd2Certificate;
use bunq_oauth::store::{
    AppUserId, ContextKey, ContextStore, EncryptionKey, FileStore, SqlStore, StoreError,
    StoredEvent,
};
use bunq_oauth::{
    ApiContext, ApiKey, Client, Environment, Error, NotificationFilter, OAuthConfig, OAuthError,
    PagedList, Session, SessionUser,
};
use chrono::Utc;
use futures::TryStreamExt;
use serde_json::{Value, json};

use addresses::{AddressGroup, PerMinute, TrustedProxies};
use server::Limits;

mod addresses;
mod server;

/// How long an authorize link stays valid.
const STATE_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);
/// How long a sign-in lasts.
const LOGIN_LIFETIME: chrono::Duration = chrono::Duration::hours(1);
/// The cookie that binds an authorize link's state to the browser that asked.
const STATE_COOKIE: &str = "psd2_state";
/// The sign-in cookie.
const LOGIN_COOKIE: &str = "psd2_login";
/// Wrong `/setup` tokens allowed per client address and minute.
const SETUP_FAILURES_PER_MINUTE: u32 = 5;
/// The shortest operator token accepted.
const MIN_OPERATOR_TOKEN: usize = 16;

struct Config {
    bunq: Environment,
    database_url: String,
    key: EncryptionKey,
    owner: Option<OwnerCredential>,
    listen: String,
    public_url: Option<String>,
    operator_token: String,
    limits: Limits,
    auth_per_minute: u32,
    tracked_addresses: usize,
    proxies: TrustedProxies,
    /// Who may post bunq's callbacks.
    callback_sources: SourceCheck,
}

/// How `/setup` makes the owner's context.
enum OwnerCredential {
    /// The app owner's API key.
    ApiKey(ApiKey),
    /// A payment-service provider's PSD2 certificate, registered with bunq.
    Certificate(Psd2Certificate),
}

/// What every request handler shares.
struct App {
    client: Client,
    store: Arc<dyn ContextStore>,
    owner: Option<OwnerCredential>,
    callback_url: String,
    /// One session per user in this instance, so concurrent requests share
    /// one renewal; instances coordinate through the store.
    sessions: Mutex<HashMap<ContextKey, Session>>,
    /// `/setup` runs one at a time.
    setup: tokio::sync::Mutex<()>,
    /// What `/setup` requires as `Authorization: Bearer …`.
    operator_token: String,
    /// Signs the sign-in cookies.
    cookie_key: aws_lc_rs::hmac::Key,
    /// Whether cookies get `Secure` and the `__Host-` prefix (the public
    /// URL is https).
    secure_cookies: bool,
    /// Whose `X-Forwarded-For` to believe.
    proxies: Arc<TrustedProxies>,
    /// `/auth` calls per client address and minute.
    auth_calls: PerMinute,
    /// Wrong `/setup` tokens per client address and minute.
    setup_failures: PerMinute,
    /// The base of each user's callback route (`…/bunq/events`).
    events_url: String,
    /// Checks bunq's callbacks: their source and size.
    callbacks: CallbackReceiver,
}

type Shared = Arc<App>;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(std::io::stderr)
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("psd2_app: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let fake_flag = std::env::args().skip(1).any(|a| a == "--fake");
    if let Some(other) = std::env::args().skip(1).find(|a| a != "--fake") {
        return Err(format!(
            "unknown argument `{other}` (the only flag is --fake)"
        ));
    }
    // Kept alive for the life of the app when --fake is given.
    let (_fake, _scratch, config) = if fake_flag {
        let fake = bunq_oauth_fake::FakeBunq::start()
            .await
            .map_err(|e| format!("cannot start the fake bunq: {e}"))?;
        let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
        let config = fake_config(&fake, &scratch)?;
        (Some(fake), Some(scratch), config)
    } else {
        (None, None, env_config()?)
    };

    let client = Client::builder()
        .environment(config.bunq)
        .user_agent("bunq-oauth-psd2-app/0.1")
        // The app collects whole lists (a user's accounts) into one answer:
        // 10 pages (2,000 items) bound what a hostile server can make it hold.
        .max_list_pages(10)
        .build()
        .map_err(|e| e.to_string())?;
    // The cookie key, derived from the store key: every instance has it.
    let cookie_key = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA256,
        format!("psd2_app sign-in cookies:{}", config.key.to_base64()).as_bytes(),
    );
    let store = open_store(&config.database_url, config.key)
        .await
        .map_err(|e| format!("cannot open the store at DATABASE_URL: {e}"))?;

    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let address: SocketAddr = listener.local_addr().map_err(|e| e.to_string())?;
    let public_url = config
        .public_url
        .unwrap_or_else(|| format!("http://{address}"));
    let proxies = Arc::new(config.proxies);
    let app = Arc::new(App {
        client,
        store,
        owner: config.owner,
        callback_url: format!("{}/callback", public_url.trim_end_matches('/')),
        sessions: Mutex::new(HashMap::new()),
        setup: tokio::sync::Mutex::new(()),
        operator_token: config.operator_token,
        cookie_key,
        secure_cookies: public_url.starts_with("https://"),
        proxies: proxies.clone(),
        auth_calls: PerMinute::new(config.auth_per_minute, config.tracked_addresses),
        setup_failures: PerMinute::new(SETUP_FAILURES_PER_MINUTE, config.tracked_addresses),
        events_url: format!("{}/bunq/events", public_url.trim_end_matches('/')),
        callbacks: CallbackReceiver::new().source(config.callback_sources),
    });
    // Not println!: a closed stdout must not stop the app.
    let _ = writeln!(
        std::io::stdout(),
        "listening on http://{address}\nnext: curl -X POST {public_url}/setup   then open {public_url}/auth"
    );
    server::serve(listener, router(app), config.limits, proxies).await
}

fn router(app: Shared) -> Router {
    Router::new()
        .route("/setup", post(setup))
        .route("/auth", get(auth))
        .route("/callback", get(callback))
        .route("/me", get(me))
        .route("/logout", post(logout))
        .route("/users/{id}", get(user))
        .route("/users/{id}/accounts", get(accounts))
        .route("/health", get(health))
        .route(
            "/bunq/events/{id}/{token}",
            // Read no more than the receiver accepts, before any check.
            post(bunq_event).layer(axum::extract::DefaultBodyLimit::max(
                app.callbacks.body_limit(),
            )),
        )
        .with_state(app)
        // Sign-in pages, states and users' data: never kept by a cache.
        .layer(axum::middleware::map_response(
            |mut response: Response| async move {
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    header::HeaderValue::from_static("no-store"),
                );
                response
            },
        ))
}

// ---- configuration ----------------------------------------------------------

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_config() -> Result<Config, String> {
    let key = env("BUNQ_OAUTH_STORE_KEY").ok_or(
        "BUNQ_OAUTH_STORE_KEY is not set: the key that encrypts the stored secrets \
         (`openssl rand -base64 32`); or run with --fake",
    )?;
    let key = EncryptionKey::parse(&key).map_err(|e| format!("BUNQ_OAUTH_STORE_KEY: {e}"))?;
    let environment = match env("BUNQ_ENVIRONMENT").as_deref() {
        None | Some("sandbox") => Environment::sandbox(),
        Some("production") => Environment::production(),
        Some(other) => {
            return Err(format!(
                "BUNQ_ENVIRONMENT is `{other}`; use sandbox or production"
            ));
        }
    };
    let urls = (
        env("BUNQ_API_URL"),
        env("BUNQ_OAUTH_AUTHORIZE_URL"),
        env("BUNQ_OAUTH_TOKEN_URL"),
    );
    let bunq = match urls {
        (None, None, None) => environment,
        (Some(api_url), Some(authorize_url), Some(token_url)) => {
            Environment::custom(&api_url, &authorize_url, &token_url).map_err(|e| e.to_string())?
        }
        _ => {
            return Err(
                "set all three of BUNQ_API_URL, BUNQ_OAUTH_AUTHORIZE_URL and \
                 BUNQ_OAUTH_TOKEN_URL, or none"
                    .into(),
            );
        }
    };
    let operator_token = env("PSD2_APP_OPERATOR_TOKEN").ok_or(
        "PSD2_APP_OPERATOR_TOKEN is not set: the token POST /setup requires \
         (`openssl rand -hex 32`); or run with --fake",
    )?;
    Config::new(
        bunq,
        env("DATABASE_URL").unwrap_or_else(|| "sqlite://psd2_app.db".into()),
        key,
        owner_credential()?,
        operator_token,
    )
}

/// `BUNQ_API_KEY`, or a PSD2 certificate from the files the environment
/// names (checked now, so a wrong file stops the app at start).
fn owner_credential() -> Result<Option<OwnerCredential>, String> {
    let api_key = env("BUNQ_API_KEY").map(ApiKey::new);
    let Some(certificate_path) = env("PSD2_APP_CERTIFICATE") else {
        return Ok(api_key.map(OwnerCredential::ApiKey));
    };
    if api_key.is_some() {
        return Err("set BUNQ_API_KEY or PSD2_APP_CERTIFICATE, not both".into());
    }
    let read = |name: &str, path: &str| {
        std::fs::read_to_string(path).map_err(|e| format!("{name} ({path}): {e}"))
    };
    let key_path = env("PSD2_APP_CERTIFICATE_KEY")
        .ok_or("PSD2_APP_CERTIFICATE_KEY is not set: the certificate's private key (PEM)")?;
    let certificate = read("PSD2_APP_CERTIFICATE", &certificate_path)?;
    let chain = match env("PSD2_APP_CERTIFICATE_CHAIN") {
        Some(path) => read("PSD2_APP_CERTIFICATE_CHAIN", &path)?,
        None => certificate.clone(),
    };
    let key = read("PSD2_APP_CERTIFICATE_KEY", &key_path)?;
    Psd2Certificate::from_pem(&certificate, &chain, &key)
        .map(|c| Some(OwnerCredential::Certificate(c)))
        .map_err(|e| e.to_string())
}

impl Config {
    /// The rest of the configuration, read from the environment.
    fn new(
        bunq: Environment,
        database_url: String,
        key: EncryptionKey,
        owner: Option<OwnerCredential>,
        operator_token: String,
    ) -> Result<Config, String> {
        if operator_token.len() < MIN_OPERATOR_TOKEN {
            return Err(format!(
                "PSD2_APP_OPERATOR_TOKEN is shorter than {MIN_OPERATOR_TOKEN} characters \
                 (`openssl rand -hex 32` makes a good one)"
            ));
        }
        let seconds = |name: &str, default: u64| -> Result<Duration, String> {
            number(name, default)
                .and_then(|s| match s {
                    0 => Err(format!("{name} must be at least 1")),
                    s => Ok(s),
                })
                .map(Duration::from_secs)
        };
        let count = |name: &str, default: u64| -> Result<usize, String> {
            number(name, default).and_then(|n| {
                usize::try_from(n)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("{name} must be at least 1"))
            })
        };
        let production = bunq.is_production();
        Ok(Config {
            bunq,
            database_url,
            key,
            owner,
            listen: env("PSD2_APP_LISTEN").unwrap_or_else(|| "127.0.0.1:8000".into()),
            public_url: env("PSD2_APP_PUBLIC_URL"),
            operator_token,
            limits: Limits {
                header_timeout: seconds("PSD2_APP_HEADER_TIMEOUT_SECS", 5)?,
                write_timeout: seconds("PSD2_APP_WRITE_TIMEOUT_SECS", 10)?,
                lifetime: seconds("PSD2_APP_CONNECTION_LIFETIME_SECS", 300)?,
                connections: count("PSD2_APP_MAX_CONNECTIONS", 256)?,
                connections_per_address: count("PSD2_APP_CONNECTIONS_PER_ADDRESS", 16)?,
            },
            auth_per_minute: u32::try_from(count("PSD2_APP_AUTH_PER_MINUTE", 20)?)
                .map_err(|_| "PSD2_APP_AUTH_PER_MINUTE is too large".to_owned())?,
            tracked_addresses: count("PSD2_APP_TRACKED_ADDRESSES", 10_000)?,
            proxies: TrustedProxies::parse(&env("PSD2_APP_TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|e| format!("PSD2_APP_TRUSTED_PROXIES: {e}"))?,
            // bunq production calls from its published range; its sandbox
            // (and the fake) from anywhere.
            callback_sources: match env("PSD2_APP_CALLBACK_SOURCES") {
                Some(list) if list.trim() == "any" => SourceCheck::any(),
                Some(list) => SourceCheck::ranges(list.split(','))
                    .map_err(|e| format!("PSD2_APP_CALLBACK_SOURCES: {e}"))?,
                None if production => SourceCheck::bunq_production(),
                None => SourceCheck::any(),
            },
        })
    }
}

/// A whole-number setting, or its default.
fn number(name: &str, default: u64) -> Result<u64, String> {
    match env(name) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{name} is `{text}`: a whole number is needed")),
    }
}

fn fake_config(
    fake: &bunq_oauth_fake::FakeBunq,
    scratch: &tempfile::TempDir,
) -> Result<Config, String> {
    let key = match env("BUNQ_OAUTH_STORE_KEY") {
        Some(key) => {
            EncryptionKey::parse(&key).map_err(|e| format!("BUNQ_OAUTH_STORE_KEY: {e}"))?
        }
        None => {
            eprintln!("psd2_app: no BUNQ_OAUTH_STORE_KEY; using a throwaway key for this run");
            EncryptionKey::generate().map_err(|e| e.to_string())?
        }
    };
    let database_url = env("DATABASE_URL")
        .unwrap_or_else(|| format!("sqlite://{}", scratch.path().join("psd2_app.db").display()));
    eprintln!("psd2_app: the fake bunq runs at {}", fake.base_url());
    let operator_token = match env("PSD2_APP_OPERATOR_TOKEN") {
        Some(token) => token,
        None => {
            let token = random_token().map_err(|e| e.to_string())?;
            eprintln!("psd2_app: PSD2_APP_OPERATOR_TOKEN for this run: {token}");
            token
        }
    };
    Config::new(
        fake.environment(),
        database_url,
        key,
        Some(OwnerCredential::ApiKey(fake.owner_api_key())),
        operator_token,
    )
}

/// `sqlite://…` and `postgres://…` go to [`SqlStore`], anything else is a
/// [`FileStore`] directory.
async fn open_store(url: &str, key: EncryptionKey) -> bunq_oauth::Result<Arc<dyn ContextStore>> {
    if url.starts_with("sqlite:") || url.starts_with("postgres:") || url.starts_with("postgresql:")
    {
        Ok(Arc::new(SqlStore::connect(url, key).await?))
    } else {
        Ok(Arc::new(FileStore::open(url, key).await?))
    }
}

// ---- routes -----------------------------------------------------------------

/// An error answer: a status and `{"error": "…"}`. The crate's messages
/// quote bunq but never a secret.
struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<Error> for Failure {
    /// The details go to the log; the client gets a generic message (an
    /// error can name a store path or quote bunq about someone else).
    fn from(error: Error) -> Self {
        let (status, message) = match &error {
            Error::Store(StoreError::NotFound { .. }) => (StatusCode::NOT_FOUND, "not found"),
            Error::OAuth(_) | Error::InvalidInput(_) => (
                StatusCode::BAD_REQUEST,
                "the request could not be completed: start again at /auth",
            ),
            Error::Api(_) | Error::Signature(_) | Error::Decode { .. } => (
                StatusCode::BAD_GATEWAY,
                "bunq could not complete the request",
            ),
            Error::Timeout { .. } | Error::Transport { .. } => {
                (StatusCode::GATEWAY_TIMEOUT, "bunq did not answer in time")
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
        };
        tracing::warn!(%status, error = %error, "request failed");
        Failure(status, message.into())
    }
}

type Answer = Result<Json<Value>, Failure>;

async fn setup(
    State(app): State<Shared>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Answer {
    // Guessing the token: a few tries per address and minute.
    let client = AddressGroup::of(app.proxies.client(peer.ip(), &headers));
    if app.setup_failures.used_up(client) {
        return Err(Failure(
            StatusCode::TOO_MANY_REQUESTS,
            "too many wrong tokens from this address: try again in a minute".into(),
        ));
    }
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !same(offered.as_bytes(), app.operator_token.as_bytes()) {
        app.setup_failures.take(client);
        return Err(Failure(
            StatusCode::UNAUTHORIZED,
            "/setup is for the operator: send Authorization: Bearer <PSD2_APP_OPERATOR_TOKEN>"
                .into(),
        ));
    }
    let _one_at_a_time = app.setup.lock().await;
    let owner = match app.store.load(ContextKey::Owner).await? {
        Some(_) => app.session(ContextKey::Owner).await?,
        None => {
            let builder = match &app.owner {
                Some(OwnerCredential::ApiKey(key)) => ApiContext::builder(key.clone()),
                Some(OwnerCredential::Certificate(certificate)) => {
                    ApiContext::builder_for_psd2(certificate.clone())
                }
                None => {
                    return Err(Failure(
                        StatusCode::CONFLICT,
                        "neither BUNQ_API_KEY nor PSD2_APP_CERTIFICATE is set: /setup needs \
                         the app owner's API key or the provider's certificate once"
                            .into(),
                    ));
                }
            };
            let context = builder
                .description("bunq-oauth psd2_app")
                .permitted_ips(["*"])
                .create(&app.client)
                .await?;
            app.store.save(ContextKey::Owner, &context).await?;
            app.session(ContextKey::Owner).await?
        }
    };
    let oauth_client = owner.oauth_client_manager().ensure_active().await?;
    owner
        .callback_url_manager(oauth_client.id)
        .ensure(&app.callback_url)
        .await?;
    let config = OAuthConfig::new(
        oauth_client.client_id.clone(),
        oauth_client.secret.clone(),
        app.callback_url.clone(),
    )?;
    app.store.save_oauth_config(&config).await?;
    Ok(Json(json!({
        "owner_user_id": owner.user_id().get(),
        "oauth_client_id": oauth_client.id.get(),
        "callback_url": app.callback_url,
    })))
}

async fn auth(
    State(app): State<Shared>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let page_error = |status: StatusCode, text: &str| {
        (
            status,
            Html(page("Cannot connect", &format!("<p>{}</p>", escape(text)))),
        )
            .into_response()
    };
    let client = AddressGroup::of(app.proxies.client(peer.ip(), &headers));
    if !app.auth_calls.take(client) {
        return Err(page_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in attempts: try again in a minute.",
        ));
    }
    // The details go to the log; a visitor learns nothing about the app.
    let internal = |e: Error| {
        tracing::warn!(error = %e, "/auth failed");
        page_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side: try again later.",
        )
    };
    let Some(config) = app.store.load_oauth_config().await.map_err(internal)? else {
        return Err(page_error(
            StatusCode::CONFLICT,
            "The app is not set up yet: run POST /setup first.",
        ));
    };
    let request = config
        .authorize_url(app.client.environment())
        .map_err(internal)?;
    app.store
        .add_pending_state(request.state(), Utc::now() + STATE_LIFETIME)
        .await
        .map_err(internal)?;
    let url = request.url().as_str();
    let state_cookie = app.cookie(
        STATE_COOKIE,
        request.state().expose_secret(),
        STATE_LIFETIME,
    );
    let qr = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| internal(Error::InvalidInput(format!("the QR code: {e}"))))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(280, 280)
        .quiet_zone(true)
        .build();
    let html = Html(page(
        "Connect your bunq account",
        &format!(
            "<p>Scan the code with the bunq app, or open the link on this device.</p>\
             <div id=\"qr\">{qr}</div>\
             <p><a id=\"authorize\" href=\"{href}\">Connect with bunq</a></p>\
             <p class=\"small\">The link works once, for {minutes} minutes, in this browser.</p>",
            href = escape(url),
            minutes = STATE_LIFETIME.num_minutes(),
        ),
    ));
    Ok(([(header::SET_COOKIE, state_cookie)], html).into_response())
}

async fn callback(
    State(app): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, Failure> {
    let query: HashMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let state = query
        .get("state")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Failure(StatusCode::BAD_REQUEST, "the redirect has no state".into()))?;
    // The state must be the one this browser asked for at /auth: a link
    // someone else started (and approved with their own bunq account) does
    // not sign this browser in (login CSRF).
    let browser_state = app.cookie_value(&headers, STATE_COOKIE).unwrap_or_default();
    if !same(browser_state.as_bytes(), state.as_bytes()) {
        return Err(Failure(
            StatusCode::BAD_REQUEST,
            "this sign-in was started in another browser: start again at /auth".into(),
        ));
    }
    let state = bunq_oauth::CsrfState::new(state.as_str());
    // Taken before anything else: a state works once, even for a denial.
    if !app.store.take_pending_state(&state).await? {
        return Err(Failure(
            StatusCode::BAD_REQUEST,
            "unknown, expired or already used state: start again at /auth".into(),
        ));
    }
    let target = uri.path_and_query().map_or("", |p| p.as_str());
    let code = bunq_oauth::parse_callback(target, &state).map_err(|e| match e {
        Error::OAuth(OAuthError::Denied { .. }) => Failure(StatusCode::FORBIDDEN, e.to_string()),
        other => other.into(),
    })?;
    let config = app.store.load_oauth_config().await?.ok_or_else(|| {
        Failure(
            StatusCode::CONFLICT,
            "the app is not set up: run POST /setup".into(),
        )
    })?;
    let token = config.exchange_code(&app.client, &code).await?;
    let context =
        bunq_oauth::ApiContext::for_access_token(&app.client, &token, "bunq-oauth psd2_app user")
            .await?;
    let id = app.store.add_user(&context).await?;
    tracing::info!(
        app_user_id = id.0,
        bunq_user_id = context.user_id().get(),
        "user connected"
    );
    app.register_callbacks(id).await;
    let login = app.login_cookie(id)?;
    let clear_state = app.cookie(STATE_COOKIE, "", chrono::Duration::zero());
    let cookies = axum::response::AppendHeaders([
        (header::SET_COOKIE, login),
        (header::SET_COOKIE, clear_state),
    ]);
    // A browser goes on to its page; a client that asks for JSON gets it.
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_page {
        return Ok((StatusCode::SEE_OTHER, cookies, [(header::LOCATION, "/me")]).into_response());
    }
    Ok((
        cookies,
        Json(json!({ "message": "OAuth success", "new_user_id": id.0 })),
    )
        .into_response())
}

/// The token revoked when a user's connection is: all their sign-ins.
fn revoked_user(user: AppUserId) -> String {
    format!("user {} revoked", user.0)
}

/// The categories the app asks bunq to post for each user.
const CALLBACK_CATEGORIES: [&str; 3] = ["MUTATION", "DRAFT_PAYMENT", "OAUTH"];

/// How many events `/me` shows.
const EVENTS_SHOWN: usize = 20;

/// `POST /bunq/events/{id}/{token}`: a callback from bunq for app user
/// `id`. The token (an HMAC of the id under the app's key) makes the URL
/// unguessable; the source and size are checked, the body parsed, and the
/// event kept once (bunq retries). An OAUTH event (the user revoked the
/// connection in the bunq app) deletes the user's context, which signs
/// them out.
async fn bunq_event(
    State(app): State<Shared>,
    Path((id, token)): Path<(u64, String)>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<StatusCode, Failure> {
    let user = AppUserId(id);
    if !same(app.events_token(user).as_bytes(), token.as_bytes()) {
        return Err(Failure(StatusCode::NOT_FOUND, "not found".into()));
    }
    let sender = app.proxies.client(peer.ip(), &headers);
    let event = app.callbacks.receive(sender, &body).map_err(|e| {
        let status = match e {
            NotificationError::SourceNotAllowed { .. } => StatusCode::FORBIDDEN,
            NotificationError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        tracing::warn!(app_user_id = id, "refused a callback: {e}");
        Failure(status, e.to_string())
    })?;
    if app.store.load(ContextKey::User(user)).await?.is_none() {
        // Gone (revoked earlier): nothing to keep; bunq need not retry.
        return Ok(StatusCode::OK);
    }
    if event.category == "OAUTH" {
        // A callback is not signed: bunq must confirm that the connection
        // no longer works before the user is signed out. That takes a
        // renewal (paced by bunq's limits), so bunq gets its answer now.
        let app = app.clone();
        tokio::spawn(async move {
            if let Err(e) = app.end_revoked(user).await {
                tracing::warn!(app_user_id = user.0, status = ?e.status(), "revocation not handled");
            }
        });
        return Ok(StatusCode::OK);
    }
    let new = app
        .store
        .record_event(user, &StoredEvent::from_notification(&event))
        .await?;
    tracing::info!(app_user_id = id, new, event = %event.event_id(), "callback");
    Ok(StatusCode::OK)
}

/// The signed-in user's page: their accounts and recent payments.
async fn me(State(app): State<Shared>, headers: HeaderMap) -> Result<Html<String>, Failure> {
    let id = app.signed_in(&headers).await?;
    let session = app.session(ContextKey::User(id)).await?;
    let accounts = session.account_summaries().list().await?;
    let mut body = String::from(
        "<table id=\"accounts\"><tr><th>Account</th><th>IBAN</th><th>Balance</th></tr>",
    );
    for account in &accounts.items {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(account.description.as_deref().unwrap_or("")),
            escape(account.iban.as_deref().unwrap_or("")),
            escape(
                &account
                    .balance
                    .as_ref()
                    .map(|b| format!("{} {}", b.value, b.currency))
                    .unwrap_or_default()
            ),
        ));
    }
    body.push_str("</table><h2>Recent payments</h2><table id=\"payments\">");
    body.push_str("<tr><th>Account</th><th>Amount</th><th>Description</th></tr>");
    let mut payments_shown = 0;
    for account in accounts.items.iter().take(3) {
        let payments = session
            .api()
            .payments(account.id.get() as i64)
            .list()
            .await?;
        for payment in &payments.items {
            payments_shown += 1;
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(account.description.as_deref().unwrap_or("")),
                escape(
                    &payment
                        .amount
                        .as_ref()
                        .map(|a| format!("{} {}", a.value, a.currency))
                        .unwrap_or_default()
                ),
                escape(payment.description.as_deref().unwrap_or("")),
            ));
        }
    }
    body.push_str("</table><h2>Recent events from bunq</h2><table id=\"events\">");
    body.push_str("<tr><th>Received</th><th>Event</th><th>What</th></tr>");
    let events = app.store.recent_events(id, EVENTS_SHOWN).await?;
    for event in &events {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            event.received_at.format("%Y-%m-%d %H:%M:%S"),
            escape(&event.event_type),
            escape(&event.summary),
        ));
    }
    body.push_str("</table>");
    if events.is_empty() && payments_shown == 0 {
        body.push_str(
            "<p id=\"nothing-yet\">No payments or events yet: they appear here as bunq \
             tells the app.</p>",
        );
    }
    body.push_str("<form method=\"post\" action=\"/logout\"><button>Sign out</button></form>");
    Ok(Html(page("Your bunq accounts", &body)))
}

/// Signs this browser out: a valid sign-in's nonce is revoked in the store
/// until the cookie would have expired (every instance sees it); anything
/// else is only cleared from the browser, and nothing of it is kept.
async fn logout(State(app): State<Shared>, headers: HeaderMap) -> Result<Response, Failure> {
    if let Some(sign_in) = app.verified_sign_in(&headers) {
        app.store
            .revoke_token(&sign_in.nonce, sign_in.expires_at)
            .await?;
    }
    let clear = app.cookie(LOGIN_COOKIE, "", chrono::Duration::zero());
    Ok((
        [(header::SET_COOKIE, clear)],
        Json(json!({ "message": "signed out" })),
    )
        .into_response())
}

async fn user(State(app): State<Shared>, Path(id): Path<u64>, headers: HeaderMap) -> Answer {
    app.only(&headers, id).await?;
    let session = app.session(ContextKey::User(AppUserId(id))).await?;
    let mut body = json!({
        "id": id,
        "bunq_user_id": session.user_id().get(),
    });
    if let Some(user) = session.user() {
        body["type"] = json!(user.type_name());
        if let SessionUser::ApiKey(connection) = &user {
            body["granted_by"] = describe(&connection.granted_by_user);
        }
    }
    Ok(Json(body))
}

async fn accounts(State(app): State<Shared>, Path(id): Path<u64>, headers: HeaderMap) -> Answer {
    app.only(&headers, id).await?;
    let session = app.session(ContextKey::User(AppUserId(id))).await?;
    let accounts: Vec<_> = session.account_summaries().stream().try_collect().await?;
    let accounts: Vec<Value> = accounts
        .iter()
        .map(|a| {
            json!({
                "type": a.kind,
                "id": a.id.0,
                "description": a.description,
                "status": a.status,
                "iban": a.iban,
                "balance": a.balance.as_ref().map(|b| json!({"currency": b.currency, "value": b.value})),
            })
        })
        .collect();
    Ok(Json(json!({ "user_id": id, "accounts": accounts })))
}

/// One small read of the store; nothing about its users.
async fn health(State(app): State<Shared>) -> Answer {
    let set_up = app.store.load_oauth_config().await?.is_some();
    Ok(Json(json!({ "status": "ok", "set_up": set_up })))
}

/// A sign-in cookie whose signature and expiry are good.
struct SignIn {
    user: AppUserId,
    nonce: String,
    expires_at: chrono::DateTime<Utc>,
}

impl App {
    /// A cookie's name: `__Host-` first behind https, which binds it to
    /// this host and path `/` (no subdomain can set or shadow it). Browsers
    /// take that prefix only with `Secure`, so a plain-http run goes without.
    fn cookie_name(&self, name: &str) -> String {
        if self.secure_cookies {
            format!("__Host-{name}")
        } else {
            name.to_owned()
        }
    }

    /// A cookie for this app: `HttpOnly`, `SameSite=Lax` (sent when bunq
    /// redirects the browser back), path `/`, `Secure` behind https.
    fn cookie(&self, name: &str, value: &str, lifetime: chrono::Duration) -> String {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        format!(
            "{}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
            self.cookie_name(name),
            lifetime.num_seconds()
        )
    }

    /// This app's cookie `name` from the request.
    fn cookie_value(&self, headers: &HeaderMap, name: &str) -> Option<String> {
        cookie(headers, &self.cookie_name(name))
    }

    /// A signed sign-in cookie for `user`: `v1.<id>.<expiry>.<nonce>.<mac>`.
    fn login_cookie(&self, user: AppUserId) -> Result<String, Failure> {
        let nonce = random_token().map_err(Failure::from)?;
        let expires = (Utc::now() + LOGIN_LIFETIME).timestamp();
        let payload = format!("v1.{}.{expires}.{nonce}", user.0);
        let mac = aws_lc_rs::hmac::sign(&self.cookie_key, payload.as_bytes());
        let value = format!("{payload}.{}", hex(mac.as_ref()));
        Ok(self.cookie(LOGIN_COOKIE, &value, LOGIN_LIFETIME))
    }

    /// The sign-in cookie, if its signature and expiry are good (whether
    /// it was logged out is the store's to say).
    fn verified_sign_in(&self, headers: &HeaderMap) -> Option<SignIn> {
        let value = self.cookie_value(headers, LOGIN_COOKIE)?;
        let (payload, mac) = value.rsplit_once('.')?;
        aws_lc_rs::hmac::verify(&self.cookie_key, payload.as_bytes(), &unhex(mac)?).ok()?;
        let parts: Vec<&str> = payload.split('.').collect();
        let ["v1", id, expires, nonce] = parts.as_slice() else {
            return None;
        };
        let expires_at = chrono::DateTime::from_timestamp(expires.parse().ok()?, 0)?;
        if expires_at < Utc::now() {
            return None;
        }
        Some(SignIn {
            user: AppUserId(id.parse().ok()?),
            nonce: (*nonce).to_owned(),
            expires_at,
        })
    }

    /// The signed-in user: a valid, unexpired cookie that no instance
    /// logged out; 401 otherwise.
    async fn signed_in(&self, headers: &HeaderMap) -> Result<AppUserId, Failure> {
        let unauthorized = || {
            Failure(
                StatusCode::UNAUTHORIZED,
                "not signed in: connect your bunq account at /auth".into(),
            )
        };
        let sign_in = self.verified_sign_in(headers).ok_or_else(unauthorized)?;
        if self.store.is_token_revoked(&sign_in.nonce).await?
            || self
                .store
                .is_token_revoked(&revoked_user(sign_in.user))
                .await?
        {
            return Err(unauthorized());
        }
        Ok(sign_in.user)
    }

    /// 401 without a sign-in, 403 for another user's id.
    async fn only(&self, headers: &HeaderMap, id: u64) -> Result<(), Failure> {
        if self.signed_in(headers).await?.0 == id {
            Ok(())
        } else {
            Err(Failure(StatusCode::FORBIDDEN, "not your account".into()))
        }
    }

    /// The secret part of a user's callback URL: an HMAC of the user id.
    fn events_token(&self, user: AppUserId) -> String {
        let mac = aws_lc_rs::hmac::sign(&self.cookie_key, format!("events:{}", user.0).as_bytes());
        hex(mac.as_ref())
    }

    /// Asks bunq to post the user's MUTATION, DRAFT_PAYMENT and OAUTH
    /// events to their callback route. A failure (bunq wants https; a
    /// local app has none) is logged, not the sign-in's failure.
    async fn register_callbacks(&self, user: AppUserId) {
        let target = format!("{}/{}/{}", self.events_url, user.0, self.events_token(user));
        let result = async {
            let filters = CALLBACK_CATEGORIES
                .iter()
                .map(|c| NotificationFilter::new(c, &target))
                .collect::<bunq_oauth::Result<Vec<_>>>()?;
            let session = self.session(ContextKey::User(user)).await?;
            session.notification_filters().add(&filters).await
        }
        .await;
        if let Err(e) = result {
            // Not the error's text: it can quote the target, whose token
            // must stay secret.
            tracing::warn!(
                app_user_id = user.0,
                status = ?e.status(),
                "callbacks not registered (bunq posts to https URLs only)"
            );
        }
    }

    /// After an OAUTH callback: if bunq refuses the connection, every
    /// sign-in of the user ends, on every instance (a sign-in lasts
    /// LOGIN_LIFETIME at most), and their context is deleted.
    async fn end_revoked(&self, user: AppUserId) -> bunq_oauth::Result<()> {
        if !self.connection_revoked(user).await {
            tracing::warn!(
                app_user_id = user.0,
                "an OAUTH callback, but the connection works"
            );
            return Ok(());
        }
        let until = Utc::now() + LOGIN_LIFETIME;
        self.store.revoke_token(&revoked_user(user), until).await?;
        self.store.delete(ContextKey::User(user)).await?;
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&ContextKey::User(user));
        tracing::info!(app_user_id = user.0, "the user revoked the connection");
        Ok(())
    }

    /// Whether bunq refuses the user's connection now (asked with a call:
    /// a refused renewal or request is 400, 401 or 403).
    async fn connection_revoked(&self, user: AppUserId) -> bool {
        let key = ContextKey::User(user);
        let Ok(session) = self.session(key).await else {
            return false;
        };
        match session.account_summaries().list().await {
            Ok(_) => false,
            Err(e) => matches!(e.status(), Some(400 | 401 | 403)),
        }
    }

    /// This instance's session for `key`, made from the store on first use.
    async fn session(&self, key: ContextKey) -> bunq_oauth::Result<Session> {
        if let Some(session) = self
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(session.clone());
        }
        let session = Session::from_store(&self.client, self.store.clone(), key).await?;
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        // Two first requests may race: keep the first, so they share renewals.
        Ok(sessions.entry(key).or_insert(session).clone())
    }
}

fn describe(user: &SessionUser) -> Value {
    match user {
        SessionUser::Person(u)
        | SessionUser::Company(u)
        | SessionUser::PaymentServiceProvider(u) => json!({
            "type": user.type_name(),
            "id": u.id.get(),
            "display_name": u.display_name,
        }),
        other => json!({ "type": other.type_name(), "id": other.id().get() }),
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title}</title><style>\
         body{{font-family:sans-serif;max-width:36rem;margin:3rem auto;text-align:center}}\
         #qr svg{{width:280px;height:280px}} .small{{color:#666;font-size:.9rem}}\
         </style></head><body><h1>{title}</h1>{body}</body></html>",
        title = escape(title),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A cookie's value from the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Equal, in time that depends on neither where they differ nor their
/// lengths: their SHA-256 digests are compared.
fn same(a: &[u8], b: &[u8]) -> bool {
    let digest = |x: &[u8]| aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, x);
    !a.is_empty()
        && aws_lc_rs::constant_time::verify_slices_are_equal(digest(a).as_ref(), digest(b).as_ref())
            .is_ok()
}

/// 32 random bytes as hex.
fn random_token() -> bunq_oauth::Result<String> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| Error::Config("the system random generator failed".into()))?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
