//! [`OAuthError`]: why the OAuth flow stopped. A leaf: it imports nothing of
//! the crate, so `error.rs` can hold it without importing the flow.

/// Why the OAuth flow stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// The redirect's `state` is missing or differs from the one issued:
    /// the redirect did not come from this user's authorization request.
    #[error("the OAuth state does not match the one issued (possible CSRF)")]
    StateMismatch,
    /// The redirect carries neither a code nor an error.
    #[error("the OAuth redirect carries no authorization code")]
    MissingCode,
    /// The user (or bunq) refused the authorization.
    #[error("authorization refused: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Denied {
        /// bunq's `error`, for example `access_denied`.
        error: String,
        /// bunq's `error_description`, if any.
        description: Option<String>,
    },
    /// The redirect URL could not be read.
    #[error("the OAuth redirect is not a URL or query string: {0}")]
    MalformedCallback(String),
    /// The token endpoint refused the exchange with an OAuth error, for
    /// example `invalid_grant` for a used or expired code.
    #[error("bunq refused the code exchange (HTTP {status}): {error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    TokenRejected {
        /// The HTTP status.
        status: u16,
        /// The OAuth `error` code.
        error: String,
        /// The OAuth `error_description`.
        description: Option<String>,
    },
    /// The token endpoint failed without an OAuth error body.
    #[error("the token endpoint answered HTTP {status} (body starts: {body_excerpt})")]
    TokenEndpoint {
        /// The HTTP status.
        status: u16,
        /// The start of the body, secret-looking values masked.
        body_excerpt: String,
    },
    /// The redirect URI is not one of the OAuth client's callback URLs, but
    /// nearly equals one: bunq compares them exactly, and its app would
    /// show the user "Connection not found".
    #[error("redirect_uri `{redirect_uri}` is not registered for this OAuth client, but `{registered}` is: they differ in {}. bunq compares them exactly; use the registered one or register this one", differences.join(", "))]
    RedirectUriNearMiss {
        /// The redirect URI asked for.
        redirect_uri: String,
        /// The registered callback URL it nearly equals.
        registered: String,
        /// How they differ (`a trailing slash`, `` `www.` ``, `scheme (http vs https)`, …).
        differences: Vec<String>,
    },
    /// The redirect URI is not registered for the OAuth client at all.
    #[error(
        "redirect_uri `{redirect_uri}` is not registered for this OAuth client: register it first (`session.callback_url_manager(id).create(url)`, or `bunq-oauth callbacks add --client ID URL`)"
    )]
    RedirectUriNotRegistered {
        /// The redirect URI asked for.
        redirect_uri: String,
    },
}
