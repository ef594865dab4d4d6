//! Client-side pacing: stay inside bunq's rate limits instead of collecting 429s.
//!
//! bunq limits calls per endpoint and IP: GET 3, POST 5, PUT 2 per 3 seconds,
//! and `session-server` 1 per 30 seconds. The limiter keeps, per method and
//! endpoint (the path with ids replaced by `{id}`), a fixed number of places;
//! a call holds one from its start until a window after its answer, so many
//! concurrent tasks share one budget without a 429, whatever the jitter.
//! One limiter is shared by every clone of a [`Client`](crate::Client).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::Method;
use tokio::time::Instant;

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
    /// `DELETE` per endpoint (bunq documents none; treated like `POST`).
    pub delete: Limit,
    /// `POST /session-server` (bunq: 1 per 30 s).
    pub session_server: Limit,
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
            delete: Limit::new(5, three_seconds),
            session_server: Limit::new(1, Duration::from_secs(30)),
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
            delete: limit,
            ..RateLimits::default()
        }
    }

    /// Sets the safety margin added to every wait.
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    fn limit_for(&self, method: &Method, endpoint: &str) -> Limit {
        if endpoint.ends_with("/session-server") {
            return self.session_server;
        }
        match *method {
            Method::GET | Method::HEAD => self.get,
            Method::PUT | Method::PATCH => self.put,
            Method::DELETE => self.delete,
            _ => self.post,
        }
    }
}

/// The shared limiter.
///
/// A call holds one of its endpoint's `calls` places from the moment it
/// starts until `window` (+ margin) after its answer arrives. bunq counts a
/// call when it arrives, which is never after the answer, so the next call
/// in that place starts a full window after bunq counted the last one,
/// however late the network or the scheduler delivered it.
#[derive(Debug)]
pub(crate) struct Limiter {
    limits: RateLimits,
    places: Mutex<Places>,
    /// Woken when a call in flight finishes (its place gets a release time).
    finished: tokio::sync::Notify,
}

/// Method, endpoint, and scope (an installation, for session-server).
type PlaceKey = (Method, String, u64);

#[derive(Debug, Default)]
struct Places {
    next_id: u64,
    /// Per method, endpoint and scope: (place id, free again at; `None`
    /// while the call is in flight).
    taken: HashMap<PlaceKey, Vec<(u64, Option<Instant>)>>,
}

/// One call's place; frees it `window` after it is dropped (when the answer
/// arrived, or the call gave up).
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
    key: Option<(PlaceKey, u64, Duration)>,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let Some((key, id, hold)) = self.key.take() else {
            return;
        };
        let mut places = self.limiter.lock();
        if let Some(place) = places
            .taken
            .get_mut(&key)
            .and_then(|taken| taken.iter_mut().find(|(i, _)| *i == id))
        {
            place.1 = Some(Instant::now() + hold);
        }
        drop(places);
        self.limiter.finished.notify_waiters();
    }
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Limiter {
            limits,
            places: Mutex::new(Places::default()),
            finished: tokio::sync::Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Places> {
        self.places.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The window of the limit that applies to `method` on `path`.
    pub(crate) fn window(&self, method: &Method, path: &str) -> Duration {
        self.limits.limit_for(method, &endpoint_of(path)).window
    }

    /// Waits until a call to `path` with `method` may start, and takes a
    /// place for it; keep the permit until the answer has arrived.
    ///
    /// `credential` is the request's `X-Bunq-Client-Authentication`. It
    /// matters for session-server only: that limit belongs to one
    /// installation, or an app serving many users could open one session per
    /// 30 seconds in all. Other limits are per endpoint, as bunq documents.
    pub(crate) async fn acquire(
        &self,
        method: &Method,
        path: &str,
        credential: Option<&[u8]>,
    ) -> Permit<'_> {
        let endpoint = endpoint_of(path);
        let limit = self.limits.limit_for(method, &endpoint);
        let scope = match credential {
            Some(token) if endpoint.ends_with("/session-server") => {
                use std::hash::{Hash, Hasher};
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                token.hash(&mut hasher);
                hasher.finish()
            }
            _ => 0,
        };
        if limit.calls == 0 {
            return Permit {
                limiter: self,
                key: None,
            };
        }
        let key = (method.clone(), endpoint, scope);
        let hold = limit.window + self.limits.margin;
        let mut logged = false;
        loop {
            // Registered before the check, so a call finishing in between
            // still wakes this one.
            let finished = self.finished.notified();
            tokio::pin!(finished);
            finished.as_mut().enable();
            let free_at = {
                let mut places = self.lock();
                let Places { next_id, taken } = &mut *places;
                let taken = taken.entry(key.clone()).or_default();
                let now = Instant::now();
                taken.retain(|(_, free)| free.is_none_or(|t| t > now));
                if taken.len() < limit.calls as usize {
                    let id = *next_id;
                    *next_id += 1;
                    taken.push((id, None));
                    return Permit {
                        limiter: self,
                        key: Some((key, id, hold)),
                    };
                }
                taken.iter().filter_map(|(_, free)| *free).min()
            };
            if !logged {
                logged = true;
                tracing::debug!(%method, endpoint = key.1, "pacing to stay inside bunq's rate limit");
            }
            match free_at {
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = &mut finished => {}
                    }
                }
                None => finished.await,
            }
        }
    }
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
                    .acquire(&Method::GET, "/v1/user/1/oauth-client", None)
                    .await,
            );
            starts.push(start.elapsed().as_secs());
        }
        assert_eq!(starts, [0, 0, 0, 3, 3, 3, 6]);
        // Another endpoint has its own budget.
        limiter
            .acquire(&Method::GET, "/v1/user/1/monetary-account", None)
            .await;
        assert_eq!(start.elapsed().as_secs(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn session_server_is_limited_per_installation() {
        let limiter = Limiter::new(RateLimits::default().with_margin(Duration::ZERO));
        let start = Instant::now();
        let session = "/v1/session-server";
        limiter
            .acquire(&Method::POST, session, Some(b"installation-a"))
            .await;
        limiter
            .acquire(&Method::POST, session, Some(b"installation-b"))
            .await;
        assert_eq!(start.elapsed().as_secs(), 0, "two installations, no wait");
        limiter
            .acquire(&Method::POST, session, Some(b"installation-a"))
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
}
