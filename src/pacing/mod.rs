//! Client-side pacing: stay inside bunq's rate limits instead of collecting 429s.
//!
//! bunq limits calls per endpoint: GET 3, POST 5, PUT 2 per 3 seconds, and
//! `session-server` 1 per 30 seconds. The limiter keeps, per method and
//! endpoint (the path with ids replaced by `{id}`), a fixed number of places;
//! a call holds one from its start until a window after its answer, so many
//! concurrent tasks share one budget without a 429, whatever the jitter.
//! One limiter is shared by every clone of a [`Client`](crate::Client).
//!
//! bunq's documents disagree on what a limit is counted per ("per IP per
//! endpoint" on some pages, "per device, API key, session, or IP" on
//! another), and document no limit for DELETE. So the limiter learns from
//! bunq's answers: session-server starts per installation and, on bunq's
//! first 429 there, is counted per IP (every installation of this process
//! together) from then on. DELETE starts at the strictest limit bunq
//! documents for a write (PUT's 2 per 3 s), and a 429 on DELETE, or on a
//! method left without a limit, sets one call per window. Either way one
//! 429 teaches it, logged once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::Method;
use tokio::time::Instant;

mod local;
#[cfg(feature = "postgres")]
mod postgres;

use local::LocalBudget;
#[cfg(feature = "postgres")]
pub use postgres::PostgresBudget;

/// A budget: at most `calls` starts in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Calls allowed per window.
    pub calls: u32,
    /// The length of the window.
    pub window: Duration,
}

impl Limit {
    /// `calls` per `window`.
    pub const fn new(calls: u32, window: Duration) -> Self {
        Limit { calls, window }
    }
}

/// The limits the client keeps to, per endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimits {
    /// `GET` per endpoint (bunq: 3 per 3 s).
    pub get: Limit,
    /// `POST` per endpoint (bunq: 5 per 3 s).
    pub post: Limit,
    /// `PUT` per endpoint (bunq: 2 per 3 s).
    pub put: Limit,
    /// `DELETE` per endpoint. bunq documents none, so the default is the
    /// strictest limit it documents for a write (PUT: 2 per 3 s), and a 429
    /// on a DELETE tightens it to one call per `Retry-After` window. `None`:
    /// not paced until bunq answers a DELETE with 429.
    pub delete: Option<Limit>,
    /// `POST /session-server` (bunq: 1 per 30 s).
    pub session_server: Limit,
    /// What the session-server limit is counted per (default: learned).
    pub session_server_scope: LimitScope,
    /// Added to every wait, so that clock and network jitter do not land a
    /// call just inside bunq's window (default 100 ms).
    pub margin: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        let three_seconds = Duration::from_secs(3);
        RateLimits {
            get: Limit::new(3, three_seconds),
            post: Limit::new(5, three_seconds),
            put: Limit::new(2, three_seconds),
            delete: Some(Limit::new(2, three_seconds)),
            session_server: Limit::new(1, Duration::from_secs(30)),
            session_server_scope: LimitScope::Learn,
            margin: Duration::from_millis(100),
        }
    }
}

impl RateLimits {
    /// The same limit for every method (session-server keeps bunq's 1 per 30 s).
    pub fn uniform(limit: Limit) -> Self {
        RateLimits {
            get: limit,
            post: limit,
            put: limit,
            delete: Some(limit),
            ..RateLimits::default()
        }
    }

    /// Sets what the session-server limit is counted per.
    pub fn with_session_server_scope(mut self, scope: LimitScope) -> Self {
        self.session_server_scope = scope;
        self
    }

    /// Sets the safety margin added to every wait.
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The configured limit; `None` where bunq documents none.
    fn limit_for(&self, method: &Method, endpoint: &str) -> Option<Limit> {
        if is_session_server(method, endpoint) {
            return Some(self.session_server);
        }
        match *method {
            Method::GET | Method::HEAD => Some(self.get),
            Method::PUT | Method::PATCH => Some(self.put),
            Method::DELETE => self.delete,
            _ => Some(self.post),
        }
    }
}

/// What a rate limit is counted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LimitScope {
    /// Start per installation; after bunq's first 429 on the endpoint, count
    /// per IP. Until a second installation's call has gone through within a
    /// window of another's (which proves bunq counts per installation), calls
    /// of different installations are sent one at a time, so that a server
    /// counting per IP refuses at most one.
    #[default]
    Learn,
    /// Per installation: an app serving many users opens their sessions in
    /// parallel.
    Installation,
    /// Per IP: every installation of this process shares one budget.
    Ip,
}

fn is_session_server(method: &Method, endpoint: &str) -> bool {
    *method == Method::POST && endpoint.ends_with("/session-server")
}

/// What the limiter learned from bunq's answers.
#[derive(Debug, Default)]
struct Learned {
    /// Session-server's scope, once known (only with [`LimitScope::Learn`]).
    session_scope: Option<LimitScope>,
    /// The last session-server call bunq accepted: its installation and when
    /// it started.
    last_session: Option<(u64, Instant)>,
    /// Limits for methods that had none, from a 429.
    methods: HashMap<Method, Limit>,
}

/// Something learned from a 429 that every instance sharing a budget should
/// know (see [`Budget::teach`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lesson {
    /// bunq counts session-server calls per IP.
    SessionServerPerIp,
    /// bunq limits a method its documents give no limit (or only a guess).
    MethodLimit(Method, Limit),
}

/// The window given to a method that had no limit, when bunq's 429 names
/// none (`Retry-After`): bunq's usual window.
const LEARNED_WINDOW: Duration = Duration::from_secs(3);

/// Method, endpoint, and scope (an installation, for session-server; 0 for
/// everything counted per IP).
pub(crate) type PlaceKey = (Method, String, u64);

/// A place taken for one call (see [`Budget`]).
#[derive(Debug)]
pub(crate) struct Taken {
    key: PlaceKey,
    /// The place's id in a [`LocalBudget`]; unused for a shared one.
    id: u64,
    /// How long the place stays taken after the call finished (local) or
    /// started (shared).
    hold: Duration,
    /// Taken in the shared budget (else in this process's, also a shared
    /// budget's fallback while its database cannot be reached).
    shared: bool,
}

/// Where the places of bunq's budget are kept: in this process
/// ([`LocalBudget`], the default), or in a database every instance behind
/// one outgoing address shares (`PostgresBudget`).
pub(crate) trait Budget: std::fmt::Debug + Send + Sync {
    /// Waits until one of `limit.calls` places on `key` is free, and takes
    /// it. A shared budget may claim a place that starts up to `horizon`
    /// ahead (the caller then sleeps until its start); this process's own
    /// takes a place only when it is free.
    fn take<'a>(
        &'a self,
        key: &'a PlaceKey,
        limit: Limit,
        hold: Duration,
        horizon: Duration,
    ) -> BoxFuture<'a, Taken>;
    /// The call that took `taken` has its answer, or gave up.
    fn finish(&self, taken: Taken);
    /// Session-server turned out to be counted per IP: the places each
    /// installation's calls hold (but `own`'s) now count against the shared one.
    fn merge_installations(
        &self,
        _method: &Method,
        _endpoint: &str,
        _own: Option<u64>,
        _hold: Duration,
    ) {
    }
    /// Tells the other instances what this one learned.
    fn teach(&self, _lesson: Lesson) {}
    /// What other instances learned since the last call.
    fn news(&self) -> Vec<Lesson> {
        Vec::new()
    }
}

/// How a place is taken (see [`Limiter::acquire`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taking {
    /// For a call sent at once: a shared budget may claim the place however
    /// far ahead it starts.
    ForCall,
    /// Ahead of a lock the caller takes before it sends (a session renewal
    /// through a store). The place is held [`LOCK_ALLOWANCE`] longer, time to
    /// take the lock, and a shared budget claims it only when it is nearly
    /// due: a wait that ends without a call (another instance renewed) then
    /// leaves nothing spent.
    AheadOfLock,
}

/// How much longer a place taken [`Taking::AheadOfLock`] stays taken.
const LOCK_ALLOWANCE: Duration = Duration::from_secs(1);

/// How far ahead a place taken [`Taking::AheadOfLock`] may start when a
/// shared budget claims it.
const NEARLY_DUE: Duration = Duration::from_millis(250);

/// The limiter: bunq's limits, what was learned about them, and the budget
/// that hands out places.
///
/// A call holds one of its endpoint's `calls` places from the moment it
/// starts until `window` (+ margin) after its answer arrives. bunq counts a
/// call when it arrives, which is never after the answer, so the next call
/// in that place starts a full window after bunq counted the last one,
/// however late the network or the scheduler delivered it.
#[derive(Debug)]
pub(crate) struct Limiter {
    limits: RateLimits,
    budget: Arc<dyn Budget>,
    learned: Mutex<Learned>,
    /// Held by a session-server call while its scope is still being learned.
    probe: Arc<tokio::sync::Mutex<()>>,
}

/// One call's place; frees it `window` after it is dropped (when the answer
/// arrived, or the call gave up).
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
    taken: Option<Taken>,
    method: Method,
    endpoint: String,
    /// The installation (a hash of its token) for session-server.
    installation: u64,
    started: Instant,
    /// How much longer than usual the place is held (see [`Taking`]).
    extra: Duration,
    /// Keeps other installations' session-server calls waiting while the
    /// scope is being learned; released with the permit.
    _probe: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Permit<'_> {
    /// Whether a call may still start in this place: a local place is held
    /// from the call's answer, so always; a shared one is held from its
    /// start, so only within the extra hold it was taken with and half the
    /// margin.
    pub(crate) fn still_counts(&self) -> bool {
        self.taken.as_ref().is_none_or(|taken| !taken.shared)
            || self.started.elapsed() <= self.extra + self.limiter.limits.margin / 2
    }

    /// Learns from bunq's answer to this call (before the place is freed,
    /// so the next caller already paces by what was learned).
    pub(crate) fn observe(&self, status: u16, retry_after: Option<Duration>) {
        let limiter = self.limiter;
        let mut learned = limiter.learned_lock();
        if is_session_server(&self.method, &self.endpoint) {
            if limiter.limits.session_server_scope != LimitScope::Learn {
                return;
            }
            if status == 429 && learned.session_scope != Some(LimitScope::Ip) {
                learned.session_scope = Some(LimitScope::Ip);
                drop(learned);
                let hold = limiter.limits.session_server.window + limiter.limits.margin;
                // The refused call's own place, if this process holds it.
                let own = self
                    .taken
                    .as_ref()
                    .filter(|taken| !taken.shared)
                    .map(|taken| taken.id);
                limiter
                    .budget
                    .merge_installations(&self.method, &self.endpoint, own, hold);
                limiter.budget.teach(Lesson::SessionServerPerIp);
                tracing::warn!(
                    endpoint = %self.endpoint,
                    "bunq counts session-server calls per IP: pacing every installation of this process together from now on"
                );
            } else if (200..300).contains(&status) && learned.session_scope.is_none() {
                let window = limiter.limits.session_server.window;
                if let Some((other, at)) = learned.last_session
                    && other != self.installation
                    && self.started.saturating_duration_since(at) < window
                {
                    learned.session_scope = Some(LimitScope::Installation);
                    tracing::debug!("bunq counts session-server calls per installation");
                }
                learned.last_session = Some((self.installation, self.started));
            }
        } else if status == 429
            && (self.method == Method::DELETE
                || limiter
                    .limits
                    .limit_for(&self.method, &self.endpoint)
                    .is_none())
            && !learned.methods.contains_key(&self.method)
        {
            let window = retry_after
                .unwrap_or(LEARNED_WINDOW)
                .clamp(Duration::from_secs(1), Duration::from_secs(60));
            let limit = Limit::new(1, window);
            learned.methods.insert(self.method.clone(), limit);
            drop(learned);
            limiter
                .budget
                .teach(Lesson::MethodLimit(self.method.clone(), limit));
            tracing::warn!(
                method = %self.method,
                window_ms = window.as_millis() as u64,
                "bunq limits this method though its documents name no limit: one call per window from now on"
            );
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(taken) = self.taken.take() {
            self.limiter.budget.finish(taken);
        }
    }
}

impl Limiter {
    /// A limiter whose budget is this process's own.
    pub(crate) fn new(limits: RateLimits) -> Self {
        Self::with_budget(limits, Arc::new(LocalBudget::default()))
    }

    /// A limiter handing out places from `budget`.
    pub(crate) fn with_budget(limits: RateLimits, budget: Arc<dyn Budget>) -> Self {
        Limiter {
            limits,
            budget,
            learned: Mutex::new(Learned::default()),
            probe: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    fn learned_lock(&self) -> std::sync::MutexGuard<'_, Learned> {
        self.learned.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes in what other instances learned (a shared budget's news).
    fn apply_news(&self) {
        for lesson in self.budget.news() {
            let mut learned = self.learned_lock();
            match lesson {
                Lesson::SessionServerPerIp => {
                    if self.limits.session_server_scope == LimitScope::Learn
                        && learned.session_scope != Some(LimitScope::Ip)
                    {
                        learned.session_scope = Some(LimitScope::Ip);
                        tracing::info!(
                            "another instance learned that bunq counts session-server calls per IP"
                        );
                    }
                }
                Lesson::MethodLimit(method, limit) => {
                    learned.methods.entry(method).or_insert(limit);
                }
            }
        }
    }

    /// The limit in force: learned from a 429 on DELETE (whose configured
    /// limit is a guess), else configured, else learned.
    fn limit(&self, method: &Method, endpoint: &str) -> Option<Limit> {
        let learned = || self.learned_lock().methods.get(method).copied();
        match *method {
            Method::DELETE => learned().or_else(|| self.limits.limit_for(method, endpoint)),
            _ => self.limits.limit_for(method, endpoint).or_else(learned),
        }
    }

    /// What session-server is counted per, as far as is known.
    fn session_scope(&self) -> LimitScope {
        match self.limits.session_server_scope {
            LimitScope::Learn => self
                .learned_lock()
                .session_scope
                .unwrap_or(LimitScope::Learn),
            configured => configured,
        }
    }

    /// The window of the limit that applies to `method` on `path` (bunq's
    /// usual 3 s where none is known).
    pub(crate) fn window(&self, method: &Method, path: &str) -> Duration {
        self.limit(method, &endpoint_of(path))
            .map_or(LEARNED_WINDOW, |limit| limit.window)
    }

    /// Waits until a call to `path` with `method` may start, and takes a
    /// place for it; keep the permit until the answer has arrived.
    ///
    /// `credential` is the request's `X-Bunq-Client-Authentication`. It
    /// matters for session-server only, whose limit may belong to one
    /// installation (see [`LimitScope`]). Other limits are per endpoint.
    pub(crate) async fn acquire(
        &self,
        method: &Method,
        path: &str,
        credential: Option<&[u8]>,
        taking: Taking,
    ) -> Permit<'_> {
        let (extra, horizon) = match taking {
            Taking::ForCall => (Duration::ZERO, Duration::MAX),
            Taking::AheadOfLock => (LOCK_ALLOWANCE, NEARLY_DUE),
        };
        self.apply_news();
        let endpoint = endpoint_of(path);
        let installation = credential.map_or(0, installation_of);
        let mut permit = Permit {
            limiter: self,
            taken: None,
            method: method.clone(),
            endpoint: endpoint.clone(),
            installation,
            started: Instant::now(),
            extra,
            _probe: None,
        };
        let session = is_session_server(method, &endpoint);
        if session && self.session_scope() == LimitScope::Learn {
            // One installation's call at a time until the scope is known.
            permit._probe = Some(self.probe.clone().lock_owned().await);
        }
        let Some(limit) = self.limit(method, &endpoint).filter(|l| l.calls > 0) else {
            permit.started = Instant::now();
            return permit;
        };
        // Read after the probe: the call before may have taught the scope.
        let scope = match self.session_scope() {
            LimitScope::Ip => 0,
            _ if session => installation,
            _ => 0,
        };
        let key = (method.clone(), endpoint, scope);
        let hold = limit.window + self.limits.margin + extra;
        permit.taken = Some(self.budget.take(&key, limit, hold, horizon).await);
        permit.started = Instant::now();
        permit
    }
}

/// An installation's name in the budget: the first 8 bytes of its token's
/// SHA-256, the same in every process (never 0, which means "per IP").
fn installation_of(token: &[u8]) -> u64 {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_ref()[..8]);
    u64::from_be_bytes(first).max(1)
}

/// The endpoint a path belongs to: numeric segments become `{id}`, and the
/// version prefix and query are dropped.
pub(crate) fn endpoint_of(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let mut out = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        if segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str("{id}");
        } else {
            out.push_str(segment);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_group_ids() {
        assert_eq!(
            endpoint_of("/v1/user/12/oauth-client/7/callback-url/3"),
            "/v1/user/{id}/oauth-client/{id}/callback-url/{id}"
        );
        assert_eq!(endpoint_of("/v1/session-server"), "/v1/session-server");
        assert_eq!(
            endpoint_of("/v1/user/1/oauth-client?count=10"),
            "/v1/user/{id}/oauth-client"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn slots_follow_the_window() {
        let limiter = Limiter::new(
            RateLimits::uniform(Limit::new(3, Duration::from_secs(3))).with_margin(Duration::ZERO),
        );
        let start = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..7 {
            drop(
                limiter
                    .acquire(
                        &Method::GET,
                        "/v1/user/1/oauth-client",
                        None,
                        Taking::ForCall,
                    )
                    .await,
            );
            starts.push(start.elapsed().as_secs());
        }
        assert_eq!(starts, [0, 0, 0, 3, 3, 3, 6]);
        // Another endpoint has its own budget.
        limiter
            .acquire(
                &Method::GET,
                "/v1/user/1/monetary-account",
                None,
                Taking::ForCall,
            )
            .await;
        assert_eq!(start.elapsed().as_secs(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn session_server_is_limited_per_installation() {
        let limiter = Limiter::new(RateLimits::default().with_margin(Duration::ZERO));
        let start = Instant::now();
        let session = "/v1/session-server";
        limiter
            .acquire(
                &Method::POST,
                session,
                Some(b"installation-a"),
                Taking::ForCall,
            )
            .await;
        limiter
            .acquire(
                &Method::POST,
                session,
                Some(b"installation-b"),
                Taking::ForCall,
            )
            .await;
        assert_eq!(start.elapsed().as_secs(), 0, "two installations, no wait");
        limiter
            .acquire(
                &Method::POST,
                session,
                Some(b"installation-a"),
                Taking::ForCall,
            )
            .await;
        assert_eq!(
            start.elapsed().as_secs(),
            30,
            "the same installation waits 30 s"
        );
    }

    #[test]
    fn windows_follow_the_endpoint() {
        let limiter = Limiter::new(RateLimits::default());
        let session = limiter.window(&Method::POST, "/v1/session-server");
        assert_eq!(session, Duration::from_secs(30));
        let get = limiter.window(&Method::GET, "/v1/user/1/oauth-client");
        assert_eq!(get, Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_on_session_server_makes_it_per_ip() {
        let limiter = Limiter::new(RateLimits::default().with_margin(Duration::ZERO));
        let start = Instant::now();
        let session = "/v1/session-server";
        let first = limiter
            .acquire(
                &Method::POST,
                session,
                Some(b"installation-a"),
                Taking::ForCall,
            )
            .await;
        first.observe(200, None);
        drop(first);
        let refused = limiter
            .acquire(
                &Method::POST,
                session,
                Some(b"installation-b"),
                Taking::ForCall,
            )
            .await;
        assert_eq!(start.elapsed().as_secs(), 0, "per installation at first");
        refused.observe(429, None);
        drop(refused);
        // Learned: every installation shares one budget now.
        limiter
            .acquire(
                &Method::POST,
                session,
                Some(b"installation-c"),
                Taking::ForCall,
            )
            .await;
        assert_eq!(start.elapsed().as_secs(), 30);
    }

    #[tokio::test(start_paused = true)]
    async fn a_configured_scope_is_never_changed() {
        let limiter = Limiter::new(
            RateLimits::default()
                .with_margin(Duration::ZERO)
                .with_session_server_scope(LimitScope::Installation),
        );
        let start = Instant::now();
        let session = "/v1/session-server";
        for installation in [b"a", b"b", b"c"] {
            let permit = limiter
                .acquire(&Method::POST, session, Some(installation), Taking::ForCall)
                .await;
            permit.observe(429, None);
        }
        assert_eq!(start.elapsed().as_secs(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn delete_is_paced_as_a_write_until_bunq_limits_it_further() {
        let limiter = Limiter::new(RateLimits::default().with_margin(Duration::ZERO));
        let start = Instant::now();
        let path = "/v1/user/1/oauth-client/2/callback-url/3";
        for _ in 0..6 {
            drop(
                limiter
                    .acquire(&Method::DELETE, path, None, Taking::ForCall)
                    .await,
            );
        }
        // Two per 3 s from the start: six take three windows less one.
        assert_eq!(start.elapsed().as_secs(), 6, "PUT's 2 per 3 s");
        let refused = limiter
            .acquire(&Method::DELETE, path, None, Taking::ForCall)
            .await;
        refused.observe(429, Some(Duration::from_secs(5)));
        drop(refused);
        let learned = Instant::now();
        for _ in 0..3 {
            drop(
                limiter
                    .acquire(&Method::DELETE, path, None, Taking::ForCall)
                    .await,
            );
        }
        // One per 5 s now: the first of three may start at once, the
        // third two windows after it at the earliest.
        assert!(
            learned.elapsed() >= Duration::from_secs(10),
            "one DELETE per 5 s, learned: {:?}",
            learned.elapsed()
        );
    }
}
