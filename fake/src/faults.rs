//! Injected faults and the fake's rate limiter.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;

use axum::http::Method;
use tokio::time::Instant;

/// What an injected [`Fault`] does to the request it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer 500 with a bunq `Error` body (signed) without handling the request.
    Status500,
    /// Answer 503 with a bunq `Error` body (signed) without handling the request.
    Status503,
    /// Answer 429 with bunq's "Too many requests" `Error` body (signed)
    /// without handling the request.
    Status429,
    /// Wait this long, then handle and answer the request normally.
    Slow(Duration),
    /// Close the connection without handling or answering the request: no
    /// state changes.
    DropBeforeHandling,
    /// Handle the request fully (its state changes happen), then close the
    /// connection without sending the answer.
    DropAfterHandling,
    /// Handle the request, then send its answer truncated to invalid JSON,
    /// with a correct signature over the truncated bytes.
    MalformedJson,
    /// Handle the request and send its answer with a signature over other
    /// bytes (valid base64, wrong signature).
    BadSignature,
    /// Handle the request and send its answer without
    /// `X-Bunq-Server-Signature`.
    MissingSignature,
    /// Handle the request and send its answer with extra, unknown fields in
    /// every item and at the top level, correctly signed: what a newer bunq
    /// might send.
    UnknownFields,
}

/// A fault queued with [`FakeBunq::inject`](crate::FakeBunq::inject): it hits
/// the next `times` requests to the bunq API (`/v1/…`) that match its
/// optional method and path filters.
///
/// ```
/// use std::time::Duration;
/// use bunq_oauth_fake::{Fault, FaultKind};
/// use reqwest::Method;
/// // The next POST whose path contains "/oauth-client" gets a 503.
/// let fault = Fault::new(FaultKind::Status503).on(Method::POST, "/oauth-client");
/// // The next two requests of any kind are slow.
/// let slow = Fault::new(FaultKind::Slow(Duration::from_millis(300))).times(2);
/// # let _ = (fault, slow);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub(super) kind: FaultKind,
    method: Option<Method>,
    path_contains: Option<String>,
    pub(super) remaining: u32,
}

impl Fault {
    /// A fault that hits the next request to the API, whatever its method
    /// and path.
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            method: None,
            path_contains: None,
            remaining: 1,
        }
    }

    /// Hits only requests with this method whose path contains
    /// `path_contains` (for example `"/oauth-client"`; the path starts with
    /// `/v1/`).
    pub fn on(self, method: Method, path_contains: impl Into<String>) -> Self {
        self.on_method(method).on_path(path_contains)
    }

    /// Hits only requests with this method.
    pub fn on_method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Hits only requests whose path contains `path_contains`.
    pub fn on_path(mut self, path_contains: impl Into<String>) -> Self {
        self.path_contains = Some(path_contains.into());
        self
    }

    /// Hits this many matching requests (default 1) before it is used up.
    pub fn times(mut self, times: u32) -> Self {
        self.remaining = times;
        self
    }

    /// What the fault does.
    pub fn kind(&self) -> FaultKind {
        self.kind
    }

    pub(super) fn matches(&self, method: &Method, path: &str) -> bool {
        self.method.as_ref().is_none_or(|m| m == method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|part| path.contains(part))
    }
}

impl From<FaultKind> for Fault {
    fn from(kind: FaultKind) -> Self {
        Fault::new(kind)
    }
}

/// Takes the first queued fault that matches, using up one of its times.
pub(super) fn take(queue: &mut Vec<Fault>, method: &Method, path: &str) -> Option<FaultKind> {
    let index = queue
        .iter()
        .position(|f| f.remaining > 0 && f.matches(method, path))?;
    let fault = &mut queue[index];
    let kind = fault.kind;
    fault.remaining -= 1;
    if fault.remaining == 0 {
        queue.remove(index);
    }
    Some(kind)
}

/// Rate limits the fake enforces: at most `calls` requests per `window`, per
/// method and endpoint (the path with ids replaced by `{id}`), in a sliding
/// window. Each field is `(calls, window)`.
///
/// The default is bunq's documented limits: GET 3, POST 5, PUT 2 per 3
/// seconds, DELETE like POST, and `POST /session-server` 1 per 30 seconds
/// (instead of the POST limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `GET` per endpoint.
    pub get: (u32, Duration),
    /// `POST` per endpoint (except `/session-server`).
    pub post: (u32, Duration),
    /// `PUT` per endpoint.
    pub put: (u32, Duration),
    /// `DELETE` per endpoint.
    pub delete: (u32, Duration),
    /// `POST /session-server`.
    pub session_server: (u32, Duration),
    /// Whether session-server is counted per installation (its
    /// `X-Bunq-Client-Authentication`) rather than per IP, the default.
    /// bunq's pages say both; this lets a test try each.
    pub session_server_per_installation: bool,
}

impl Default for RateLimits {
    fn default() -> Self {
        let three = Duration::from_secs(3);
        RateLimits {
            get: (3, three),
            post: (5, three),
            put: (2, three),
            delete: (5, three),
            session_server: (1, Duration::from_secs(30)),
            session_server_per_installation: false,
        }
    }
}

impl RateLimits {
    /// Custom limits, each `(calls, window)`.
    pub fn new(
        get: (u32, Duration),
        post: (u32, Duration),
        put: (u32, Duration),
        delete: (u32, Duration),
        session_server: (u32, Duration),
    ) -> Self {
        RateLimits {
            get,
            post,
            put,
            delete,
            session_server,
            session_server_per_installation: false,
        }
    }

    /// Counts session-server per installation instead of per IP.
    pub fn session_server_per_installation(mut self) -> Self {
        self.session_server_per_installation = true;
        self
    }

    /// The same limit for GET, POST, PUT and DELETE; session-server keeps
    /// bunq's 1 per 30 seconds.
    pub fn uniform(calls: u32, window: Duration) -> Self {
        let limit = (calls, window);
        RateLimits {
            get: limit,
            post: limit,
            put: limit,
            delete: limit,
            ..RateLimits::default()
        }
    }

    /// The limit for a request, given its endpoint template. Methods bunq
    /// documents no limit for (HEAD, OPTIONS, …) are not limited.
    pub(super) fn for_request(&self, method: &Method, template: &str) -> Option<(u32, Duration)> {
        if *method == Method::POST && template == "/v1/session-server" {
            Some(self.session_server)
        } else if *method == Method::GET {
            Some(self.get)
        } else if *method == Method::POST {
            Some(self.post)
        } else if *method == Method::PUT {
            Some(self.put)
        } else if *method == Method::DELETE {
            Some(self.delete)
        } else {
            None
        }
    }
}

/// bunq's description of a rate-limit refusal, for `calls` per `window`.
pub(super) fn too_many_requests(calls: u32, window: Duration) -> String {
    let window = if window.subsec_nanos() == 0 {
        window.as_secs().to_string()
    } else {
        window.as_secs_f64().to_string()
    };
    format!(
        "Too many requests. You can do a maximum of {calls} calls per {window} second to this endpoint."
    )
}

/// Sliding windows of recent request times, per peer address, method,
/// endpoint and scope (an installation token for session-server counted per
/// installation, else empty).
#[derive(Debug, Default)]
pub(super) struct Limiter {
    windows: HashMap<(Option<IpAddr>, Method, String, String), VecDeque<Instant>>,
}

impl Limiter {
    /// Records a request at `now` if the limit allows it; otherwise returns
    /// the limit it exceeds (refused requests are not recorded).
    pub(super) fn check(
        &mut self,
        limits: &RateLimits,
        peer: Option<IpAddr>,
        method: &Method,
        template: &str,
        credential: &str,
        now: Instant,
    ) -> Result<(), (u32, Duration)> {
        let Some((calls, window)) = limits.for_request(method, template) else {
            return Ok(());
        };
        let per_installation = limits.session_server_per_installation
            && *method == Method::POST
            && template == "/v1/session-server";
        let scope = if per_installation { credential } else { "" };
        let times = self
            .windows
            .entry((peer, method.clone(), template.to_owned(), scope.to_owned()))
            .or_default();
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() >= calls as usize {
            return Err((calls, window));
        }
        times.push_back(now);
        Ok(())
    }
}

/// The endpoint a path belongs to: every segment made only of digits becomes
/// `{id}` (`/v1/user/7/oauth-client/9` → `/v1/user/{id}/oauth-client/{id}`).
pub(super) fn template(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_replace_ids() {
        assert_eq!(
            template("/v1/user/7/oauth-client/9/callback-url"),
            "/v1/user/{id}/oauth-client/{id}/callback-url"
        );
        assert_eq!(template("/v1/session-server"), "/v1/session-server");
        assert_eq!(template("/v1/user/x7/"), "/v1/user/x7/");
    }

    #[test]
    fn faults_match_filters_and_wear_out() {
        let mut queue = vec![
            Fault::new(FaultKind::Status500)
                .on(Method::POST, "/oauth-client")
                .times(2),
        ];
        assert_eq!(
            take(&mut queue, &Method::GET, "/v1/user/1/oauth-client"),
            None
        );
        for _ in 0..2 {
            assert_eq!(
                take(&mut queue, &Method::POST, "/v1/user/1/oauth-client"),
                Some(FaultKind::Status500)
            );
        }
        assert!(queue.is_empty());
    }

    #[test]
    fn sliding_window_limits_per_endpoint() {
        let limits = RateLimits::default();
        let mut limiter = Limiter::default();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(
                limiter
                    .check(&limits, None, &Method::GET, "/v1/a", "", start)
                    .is_ok()
            );
        }
        assert_eq!(
            limiter.check(&limits, None, &Method::GET, "/v1/a", "", start),
            Err((3, Duration::from_secs(3)))
        );
        // Another endpoint has its own window; the first frees up later.
        assert!(
            limiter
                .check(&limits, None, &Method::GET, "/v1/b", "", start)
                .is_ok()
        );
        let later = start + Duration::from_secs(3);
        assert!(
            limiter
                .check(&limits, None, &Method::GET, "/v1/a", "", later)
                .is_ok()
        );
        // Another address has its own budget.
        let other = Some(IpAddr::from([127, 0, 0, 2]));
        assert!(
            limiter
                .check(&limits, other, &Method::GET, "/v1/a", "", start)
                .is_ok()
        );
        assert_eq!(
            too_many_requests(3, Duration::from_secs(3)),
            "Too many requests. You can do a maximum of 3 calls per 3 second to this endpoint."
        );
    }
}
