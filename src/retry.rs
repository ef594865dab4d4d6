//! Which failed requests are sent again, and after how long.
//!
//! Idempotent methods (`GET`, `PUT`, `DELETE`) are retried on a connection
//! that could not be opened, a 5xx answer and a 429. A `POST` is retried only
//! when it provably was not handled: the connection was refused, or bunq's
//! rate limiter answered 429. A `POST` whose connection broke after sending is
//! never sent again: it fails with [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown)
//! and the request id used. Each retry carries a fresh
//! `X-Bunq-Client-Request-Id` (bunq refuses a repeated one).

use std::time::Duration;

use reqwest::{Method, StatusCode};

/// Retry settings. The default: up to 3 retries, backoff 200 ms doubling to
/// at most 5 s with jitter, 429s waited out for `Retry-After`, else for
/// `rate_limited_wait` (3 s) or the endpoint's rate-limit window if longer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 turns retrying off).
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    pub initial_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// How long to wait after a 429 without `Retry-After` (bunq's window).
    pub rate_limited_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            rate_limited_wait: Duration::from_secs(3),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of retries.
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets the first backoff and the cap.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Sets the wait after a 429 that carries no `Retry-After`.
    pub fn with_rate_limited_wait(mut self, wait: Duration) -> Self {
        self.rate_limited_wait = wait;
        self
    }

    /// Exponential backoff for retry number `retry` (1-based), capped, with
    /// "equal jitter": between half and all of the capped value.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let capped = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        let half = capped / 2;
        half + half.mul_f64(jitter())
    }
}

/// The longest `Retry-After` taken as given (a day).
const MAX_RETRY_AFTER_SECS: u64 = 24 * 60 * 60;

/// Why a failed attempt may be sent again, if it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Not retryable.
    No,
    /// Retry after the backoff.
    Backoff,
    /// bunq's rate limiter answered: retry after this long.
    After(Duration),
}

pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// The decision for an answer with `status` (and its `Retry-After`, seconds).
pub(crate) fn for_status(
    policy: &RetryPolicy,
    method: &Method,
    status: StatusCode,
    retry_after: Option<u64>,
) -> Retry {
    if status == StatusCode::TOO_MANY_REQUESTS {
        // Refused by the rate limiter: not handled, safe for any method.
        // Any server value is clamped: a day is past every deadline anyway.
        let wait = retry_after
            .map(|seconds| Duration::from_secs(seconds.min(MAX_RETRY_AFTER_SECS)))
            .unwrap_or(policy.rate_limited_wait);
        return Retry::After(wait.saturating_add(wait.mul_f64(0.1 * jitter())));
    }
    if status.is_server_error() && is_idempotent(method) {
        return Retry::Backoff;
    }
    Retry::No
}

/// Whether a call sent once in a place taken ahead of it (a session
/// renewal through a store) may go again in a new place: bunq refused it
/// for its rate limit, or it never connected.
pub(crate) fn needs_a_new_place(error: &crate::Error) -> bool {
    match error {
        crate::Error::Api(error) => error.status == 429,
        crate::Error::Transport { sent: false, .. } => true,
        _ => false,
    }
}

/// The decision for a transport error.
pub(crate) fn for_error(method: &Method, err: &reqwest::Error) -> Retry {
    if err.is_timeout() {
        Retry::No
    } else if err.is_connect() || is_idempotent(method) {
        // A refused connection never reached bunq, so even a POST is safe.
        Retry::Backoff
    } else {
        Retry::No
    }
}

/// A uniform number in [0, 1) from the system CSPRNG (0.5 if it fails; the
/// jitter only spreads retries, it protects nothing).
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match aws_lc_rs::rand::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_millis(500));
        for (retry, full) in [(1, 100), (2, 200), (3, 400), (4, 500), (10, 500)] {
            let d = policy.backoff(retry).as_millis() as u64;
            assert!(d >= full / 2 && d <= full, "retry {retry}: {d} ms");
        }
    }

    #[test]
    fn writes_are_retried_only_when_provably_unhandled() {
        let p = RetryPolicy::default();
        assert_eq!(
            for_status(&p, &Method::POST, StatusCode::SERVICE_UNAVAILABLE, None),
            Retry::No
        );
        assert_eq!(
            for_status(&p, &Method::GET, StatusCode::SERVICE_UNAVAILABLE, None),
            Retry::Backoff
        );
        assert_eq!(
            for_status(&p, &Method::PUT, StatusCode::INTERNAL_SERVER_ERROR, None),
            Retry::Backoff
        );
        assert!(
            matches!(for_status(&p, &Method::POST, StatusCode::TOO_MANY_REQUESTS, Some(1)), Retry::After(d) if d >= Duration::from_secs(1) && d < Duration::from_millis(1100))
        );
        assert_eq!(
            for_status(&p, &Method::POST, StatusCode::BAD_REQUEST, None),
            Retry::No
        );
    }
}
