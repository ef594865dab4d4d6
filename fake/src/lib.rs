//! A fake bunq on loopback, in process, for tests, the demo and the command
//! line: the `bunq-oauth` crate's test double, as a crate of its own.
//!
//! [`FakeBunq::start`] binds `127.0.0.1` on a free port and serves, over real
//! HTTP:
//!
//! - bunq's API under `/v1`: installation, device-server, session-server,
//!   `GET /user/{userID}`, the OAuth Client API (oauth-client and
//!   callback-url, paginated like bunq), monetary accounts, and every other
//!   operation the library generates, from its own table (payments between the
//!   user's accounts move money; draft-payments and request-inquiries wait for
//!   the user: [`FakeBunq::answer_draft_payment`], [`FakeConfig::approve_after`]). Every
//!   answer is signed with the fake's own RSA key
//!   ([`FakeBunq::server_public_key`]) and carries bunq's headers;
//! - bunq's OAuth pages: the authorization page ([`FakeBunq::oauth_authorize_url`]),
//!   which approves at once as the granting user (or denies, see
//!   [`FakeConfig::deny_authorization`]), and the token endpoint
//!   ([`FakeBunq::oauth_token_url`]).
//!
//! Two users exist from the start: the app owner, whose API key is
//! [`FakeBunq::owner_api_key`], and the bunq user who grants access in the
//! OAuth flow ([`FakeBunq::granting_user_id`]), with three monetary accounts.
//! An access token opens sessions as a `UserApiKey` linking the two.
//!
//! For failure testing: [`FakeBunq::inject`] queues [`Fault`]s (error
//! statuses, slow answers, dropped connections, broken bodies or signatures),
//! [`FakeConfig::rate_limits`] turns on bunq's rate limits, and
//! [`FakeBunq::expire_sessions`] invalidates every session token.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use bunq_oauth_fake::FakeBunq;
//! use bunq_oauth::{ApiContext, Client, Session};
//!
//! let fake = FakeBunq::start().await?;
//! let client = Client::builder().environment(fake.environment()).build()?;
//! let context = ApiContext::create(&client, fake.owner_api_key(), "tests").await?;
//! let owner = Session::new(&client, context)?;
//! let id = owner.oauth_client_manager().create().await?;
//! # let _ = id;
//! # Ok(()) }
//! ```
//!
//! The server stops when the [`FakeBunq`] is dropped.

mod api;
mod faults;
mod notify;
mod oauth;
mod objects;
mod state;
mod wire;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State as AxumState};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use tokio::sync::oneshot;
use tokio::time::Instant;

pub use faults::{Fault, FaultKind, RateLimits};

use bunq_oauth::signing::{KeyPair, PublicKey};
use bunq_oauth::{ApiKey, CallbackUrlId, Environment, UserId};
use state::State;

/// The largest request body the fake reads.
const MAX_BODY: usize = 1024 * 1024;
/// At most this many distinct endpoints are counted separately in
/// [`FakeStats::by_endpoint`]; the rest are counted under `other`.
const MAX_ENDPOINTS: usize = 256;

/// How a [`FakeBunq`] behaves. Builder-style; [`Default`] is bunq's behaviour
/// without rate limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeConfig {
    session_timeout: Duration,
    code_ttl: Duration,
    rate_limits: Option<RateLimits>,
    deny_authorization: bool,
    require_signatures: bool,
    approve_after: Option<Duration>,
    callback_retries: (u32, Duration),
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            session_timeout: Duration::from_secs(3600),
            code_ttl: Duration::from_secs(60),
            rate_limits: None,
            deny_authorization: false,
            require_signatures: false,
            approve_after: None,
            callback_retries: (5, Duration::from_secs(60)),
        }
    }
}

impl FakeConfig {
    /// The default configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a session stays valid after its last use (default 3600 s).
    /// Users report it as `session_timeout` in whole seconds, rounded up.
    pub fn session_timeout(mut self, timeout: Duration) -> Self {
        self.session_timeout = timeout;
        self
    }

    /// How long an authorization code can be exchanged (default 60 s).
    pub fn code_ttl(mut self, ttl: Duration) -> Self {
        self.code_ttl = ttl;
        self
    }

    /// The rate limits to enforce on `/v1` (default `None`: no limits).
    /// `Some(RateLimits::default())` enforces bunq's documented limits.
    pub fn rate_limits(mut self, limits: Option<RateLimits>) -> Self {
        self.rate_limits = limits;
        self
    }

    /// Whether the authorization page refuses (`true`: it redirects with
    /// `error=access_denied`) instead of approving (default `false`).
    pub fn deny_authorization(mut self, deny: bool) -> Self {
        self.deny_authorization = deny;
        self
    }

    /// Whether every request with a session token must carry a valid
    /// `X-Bunq-Client-Signature` (default `false`: only where bunq's current
    /// pages require one). Without it the fake answers 466 "Request
    /// signature is required for this operation.", as bunq's older
    /// documentation describes for every request.
    pub fn require_signatures(mut self, require: bool) -> Self {
        self.require_signatures = require;
        self
    }

    /// The user approves every draft-payment and request-inquiry this long
    /// after it was made, as they would in the bunq app (default `None`:
    /// they stay `PENDING` until [`FakeBunq::answer_draft_payment`] or
    /// [`FakeBunq::answer_request_inquiry`]).
    pub fn approve_after(mut self, delay: Option<Duration>) -> Self {
        self.approve_after = delay;
        self
    }

    /// How often a callback whose target fails is tried again, and how long
    /// apart (default 5 times, a minute apart, as bunq documents); after
    /// that it is listed by `GET notification-filter-failure`.
    pub fn callback_retries(mut self, retries: u32, interval: Duration) -> Self {
        self.callback_retries = (retries, interval);
        self
    }
}

/// A snapshot of what a [`FakeBunq`] has done, from [`FakeBunq::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeStats {
    /// Every HTTP request received, on any path, whatever the answer.
    pub requests_total: u64,
    /// Requests per endpoint: `"<METHOD> <path>"` with ids as `{id}`, for
    /// example `"GET /v1/user/{id}/oauth-client"`.
    pub by_endpoint: BTreeMap<String, u64>,
    /// Installations created.
    pub installations: u64,
    /// PSD2 credentials issued (payment-service providers registered).
    pub psd2_credentials: u64,
    /// Sandbox users created (`POST /sandbox-user-person` or `-company`).
    pub sandbox_users: u64,
    /// Device-servers registered.
    pub device_servers: u64,
    /// Sessions opened (successful `POST /session-server` calls).
    pub session_servers: u64,
    /// Sessions opened, per bunq user id.
    pub session_servers_by_user: BTreeMap<u64, u64>,
    /// Requests refused because their session had expired (unused for
    /// longer than the session timeout), per bunq user id.
    pub expired_sessions_by_user: BTreeMap<u64, u64>,
    /// 429 answers sent by the rate limiter (an injected
    /// [`FaultKind::Status429`] counts under `faults_applied`).
    pub rate_limited: u64,
    /// Requests hit by an injected [`Fault`].
    pub faults_applied: u64,
    /// 466 answers to unsigned requests ([`FakeConfig::require_signatures`]).
    pub unsigned_refused: u64,
    /// OAuth clients created.
    pub oauth_clients: u64,
    /// Callback URLs created, through the API or [`FakeBunq::add_callback_urls`].
    pub callback_urls: u64,
    /// Authorization codes issued by the authorization page.
    pub codes_issued: u64,
    /// Access tokens issued by the token endpoint.
    pub tokens_issued: u64,
    /// Callbacks queued for delivery (one per matching filter and event,
    /// and one per replayed failure).
    pub callbacks_queued: u64,
    /// Callback POSTs sent, retries included.
    pub callback_attempts: u64,
    /// Callbacks a target accepted (any 2xx).
    pub callbacks_delivered: u64,
    /// Callbacks given up on after every retry (listed as failures).
    pub callbacks_failed: u64,
}

/// What the server task and the [`FakeBunq`] handle share.
struct Shared {
    config: FakeConfig,
    key: KeyPair,
    server_pem: String,
    owner_api_key: String,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means a handler panicked mid-update; the data is
        // still usable for a fake.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running fake bunq on `127.0.0.1`. Dropping it stops the server: no new
/// connections are accepted and open ones close once their request is done.
pub struct FakeBunq {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl fmt::Debug for FakeBunq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeBunq")
            .field("base_url", &self.base_url())
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl FakeBunq {
    /// Starts a fake with [`FakeConfig::default`]. Must be called inside a
    /// tokio runtime (current-thread or multi-thread); the server runs as a
    /// task of that runtime.
    pub async fn start() -> io::Result<FakeBunq> {
        Self::start_with(FakeConfig::default()).await
    }

    /// Starts a fake with `config`: generates its RSA key, binds
    /// `127.0.0.1:0` and spawns the server task.
    pub async fn start_with(config: FakeConfig) -> io::Result<FakeBunq> {
        let key = tokio::task::spawn_blocking(KeyPair::generate)
            .await
            .map_err(io::Error::other)?
            .map_err(io::Error::other)?;
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let owner_api_key = format!("sandbox_{}", random_hex(24));
        let rate_limits = config.rate_limits;
        let shared = Arc::new(Shared {
            config,
            server_pem: key.public_key().to_pem(),
            key,
            state: Mutex::new(State::new(&owner_api_key, rate_limits)),
            owner_api_key,
        });
        let queue = shared.lock().notifications.open_outbox();
        tokio::spawn(notify::deliver_all(Arc::downgrade(&shared), queue));
        let app = Router::new().fallback(entry).with_state(shared.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let stop = async move {
                // A send or a dropped sender both mean stop.
                let _ = stopped.await;
            };
            // Each request knows its peer: bunq's limits are counted per IP.
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
            {
                tracing::warn!("the fake bunq server stopped: {e}");
            }
        });
        Ok(FakeBunq {
            shared,
            addr,
            shutdown: Some(shutdown),
        })
    }

    /// Where this fake is, to build a [`Client`](bunq_oauth::Client) with:
    /// its API, authorization page and token endpoint.
    pub fn environment(&self) -> Environment {
        // Loopback http URLs of a bound socket: always valid.
        Environment::custom(
            &self.api_url(),
            &self.oauth_authorize_url(),
            &self.oauth_token_url(),
        )
        .unwrap_or_else(|e| unreachable!("the fake's own URLs are valid: {e}"))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The API base: `http://127.0.0.1:PORT/v1`.
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.base_url())
    }

    /// The authorization page: `http://127.0.0.1:PORT/oauth/auth`.
    pub fn oauth_authorize_url(&self) -> String {
        format!("{}/oauth/auth", self.base_url())
    }

    /// The token endpoint: `http://127.0.0.1:PORT/oauth/v1/token`.
    pub fn oauth_token_url(&self) -> String {
        format!("{}/oauth/v1/token", self.base_url())
    }

    /// The app owner's API key (random per fake, `sandbox_` prefix).
    pub fn owner_api_key(&self) -> ApiKey {
        ApiKey::new(self.shared.owner_api_key.clone())
    }

    /// The app owner's user id (a `UserPerson`).
    pub fn owner_user_id(&self) -> UserId {
        UserId(state::OWNER_ID)
    }

    /// The id of the bunq user who approves authorization requests (a
    /// `UserPerson` with three monetary accounts).
    pub fn granting_user_id(&self) -> UserId {
        UserId(state::GRANTING_ID)
    }

    /// Adds a person who can grant OAuth connections: the authorize page
    /// consents as them when its URL carries `fake_user=<id>` (a parameter
    /// of the fake's own, for apps with many users; without it the fixed
    /// granting user consents). The person has a main account holding
    /// `balance` EUR (`"1000.00"`) and an empty savings account; answers the
    /// person's id and the two accounts' ids.
    pub fn add_person(&self, display_name: &str, balance: &str) -> (UserId, [u64; 2]) {
        let (user, accounts) = self.shared.lock().add_person(display_name, balance);
        (UserId(user), accounts)
    }

    /// Turns the rate limits on or off, or changes them, from now on (an app
    /// with many users can be set up without them, then run under them).
    pub fn set_rate_limits(&self, limits: Option<RateLimits>) {
        self.shared.lock().rate_limits = limits;
    }

    /// The key every API answer is signed with.
    pub fn server_public_key(&self) -> PublicKey {
        self.shared.key.public_key()
    }

    /// The fake's configuration.
    pub fn config(&self) -> &FakeConfig {
        &self.shared.config
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> FakeStats {
        self.shared.lock().stats.clone()
    }

    /// Queues a fault for upcoming `/v1` requests that match its filters.
    /// Faults apply in the order queued; one request gets at most one fault.
    /// A fault with `times(0)` is ignored.
    pub fn inject(&self, fault: Fault) {
        if fault.remaining > 0 {
            self.shared.lock().faults.push(fault);
        }
    }

    /// Removes every queued fault that has not been used up.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Invalidates every current session token: the next call with one gets
    /// 401 `Insufficient authorisation.`. Installations and devices stay, so
    /// a new session-server call works.
    pub fn expire_sessions(&self) {
        self.shared.lock().sessions.clear();
    }

    /// Expires every session of `user` (a connection's id, as its context
    /// names it): the next request with one is refused as bunq refuses an
    /// expired session, and counted in [`FakeStats::expired_sessions_by_user`].
    pub fn expire_sessions_of(&self, user: UserId) {
        let timeout = self.shared.config.session_timeout;
        let mut state = self.shared.lock();
        let now = Instant::now();
        state.sessions.retain(|_, session| {
            if session.user != user.0 {
                return true;
            }
            match now.checked_sub(timeout) {
                Some(long_ago) => {
                    session.last_used = long_ago;
                    true
                }
                None => false,
            }
        });
    }

    /// The IBAN of the account `id`, if there is one.
    pub fn account_iban(&self, id: u64) -> Option<String> {
        let state = self.shared.lock();
        let account = state.accounts.get(id)?;
        account.json["MonetaryAccountBank"]["alias"][0]["value"]
            .as_str()
            .map(str::to_owned)
    }

    /// Every object of one kind the API made or holds (`"Payment"`,
    /// `"DraftPayment"`, …), as its fields: for checking what an app's
    /// writes left behind.
    pub fn objects_of_kind(&self, kind: &str) -> Vec<serde_json::Value> {
        let state = self.shared.lock();
        state
            .objects
            .collections()
            .flat_map(|(_, objects)| objects.values())
            .filter(|object| object.key == kind)
            .map(|object| serde_json::Value::Object(object.value.clone()))
            .collect()
    }

    /// Registers `count` callback URLs (`https://bulk.example/callback/<id>`)
    /// for `user`'s OAuth client `oauth_client`, for paging tests. Returns
    /// their ids, oldest first; none if the client does not exist or is not
    /// `user`'s.
    pub fn add_callback_urls(
        &self,
        user: UserId,
        oauth_client: u64,
        count: usize,
    ) -> Vec<CallbackUrlId> {
        let mut state = self.shared.lock();
        if state
            .oauth_clients
            .get(&oauth_client)
            .is_none_or(|c| c.user != user.get())
        {
            return Vec::new();
        }
        let mut ids = Vec::with_capacity(count);
        for _ in 0..count {
            let url = |id| format!("https://bulk.example/callback/{id}");
            match state.add_callback_url(oauth_client, url) {
                Some(id) => ids.push(CallbackUrlId(id)),
                None => break,
            }
        }
        ids
    }
}

impl FakeBunq {
    /// The user accepts (`true`) or rejects a pending draft-payment in the
    /// bunq app: accepted, its entries are paid. `false` if there is no
    /// pending draft-payment `id`.
    pub fn answer_draft_payment(&self, id: u64, accept: bool) -> bool {
        api::answer_pending(&self.shared, "DraftPayment", id, accept)
    }

    /// The user accepts or rejects a pending request-inquiry. `false` if
    /// there is no pending request-inquiry `id`.
    pub fn answer_request_inquiry(&self, id: u64, accept: bool) -> bool {
        api::answer_pending(&self.shared, "RequestInquiry", id, accept)
    }

    /// The user pays `cents` (euro cents) by card at `merchant` from their
    /// `account`: a payment out, and a `CARD_TRANSACTION_SUCCESSFUL`
    /// callback with a `MasterCardAction`. Returns the action's id; `None`
    /// if the account is not `holder`'s or holds too little.
    pub fn card_payment(
        &self,
        holder: UserId,
        account: u64,
        cents: i64,
        merchant: &str,
    ) -> Option<u64> {
        api::card_payment(&self.shared, holder.get(), account, cents, merchant)
    }

    /// The user revokes an OAuth connection in the bunq app: its access
    /// token and sessions stop working, and an `OAUTH` callback goes to the
    /// connection's and its app owner's filters. `connection` is the
    /// connection's `UserApiKey` id; `false` if there is none.
    pub fn revoke_connection(&self, connection: UserId) -> bool {
        self.shared.lock().revoke_connection(connection.get())
    }
}

impl Drop for FakeBunq {
    fn drop(&mut self) {
        // Closes the callback queue: the delivery task ends.
        self.shared.lock().notifications = Default::default();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Every request enters here: counted, then routed to the OAuth pages or
/// the API.
async fn entry(AxumState(shared): AxumState<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    count(&shared, &parts.method, parts.uri.path());
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        let failure = wire::Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        );
        return wire::finish(
            &shared.key,
            &parts.headers,
            failure.status,
            failure.body(),
            None,
        );
    };
    match parts.uri.path() {
        "/oauth/auth" => oauth::authorize(&shared, &parts),
        "/oauth/v1/token" => oauth::token(&shared, &parts, &body),
        _ => api::handle(&shared, &parts, &body).await,
    }
}

fn count(shared: &Shared, method: &Method, path: &str) {
    let mut state = shared.lock();
    let stats = &mut state.stats;
    stats.requests_total += 1;
    let mut endpoint = format!("{method} {}", faults::template(path));
    if !stats.by_endpoint.contains_key(&endpoint) && stats.by_endpoint.len() >= MAX_ENDPOINTS {
        endpoint = "other".to_owned();
    }
    *stats.by_endpoint.entry(endpoint).or_default() += 1;
}

/// `bytes` random bytes from the system CSPRNG, as lowercase hex.
fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if aws_lc_rs::rand::fill(&mut buf).is_err() {
        // Practically unreachable; uuid draws from the OS generator too.
        for (i, b) in buf.iter_mut().enumerate() {
            *b = uuid::Uuid::new_v4().as_bytes()[i % 16];
        }
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
