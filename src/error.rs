//! The crate's one error type.

use std::fmt;

use crate::notifications::error::NotificationError;
use crate::oauth::error::OAuthError;
use crate::psd2::error::CertificateError;
use crate::redact::redact_text;
use crate::signing::error::SignatureError;
use crate::store::error::StoreError;

/// A boxed source error (transport errors keep their cause without making the
/// HTTP stack's types part of this crate's API).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to bunq.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// bunq answered with a non-success status; see [`ApiError`].
    #[error(transparent)]
    Api(#[from] ApiError),

    /// A [`ContextStore`](crate::store::ContextStore) failed; see [`StoreError`](crate::store::StoreError).
    #[error(transparent)]
    Store(#[from] StoreError),

    /// The request could not be completed at the HTTP level.
    #[error("could not complete the request to bunq ({})", if *.sent { "it may have reached bunq" } else { "it did not reach bunq" })]
    Transport {
        /// Whether the request may have been (partly) sent. `false` means it
        /// provably never reached the server (for example, connection refused).
        sent: bool,
        /// The `X-Bunq-Client-Request-Id` of the last attempt.
        request_id: Option<String>,
        /// The underlying HTTP error.
        #[source]
        source: BoxError,
    },

    /// The request took longer than the configured timeout.
    #[error("the request to bunq timed out ({})", if *.sent { "it may have reached bunq" } else { "it did not reach bunq" })]
    Timeout {
        /// Whether the request may have been (partly) sent. `false` means it
        /// timed out while connecting and provably never reached the server.
        sent: bool,
        /// The `X-Bunq-Client-Request-Id` of the last attempt.
        request_id: Option<String>,
        /// The underlying HTTP error.
        #[source]
        source: BoxError,
    },

    /// A `POST` may or may not have been handled: the connection broke after
    /// the request was sent. It was not retried, since that could duplicate a
    /// write. Check bunq's state (or ask bunq's support, quoting the request
    /// id) before sending it again.
    #[error(
        "the outcome of the request is unknown: the connection broke after sending it (request id {request_id})"
    )]
    OutcomeUnknown {
        /// The `X-Bunq-Client-Request-Id` sent.
        request_id: String,
        /// The underlying HTTP error.
        #[source]
        source: BoxError,
    },

    /// The body was not what the envelope promised (not JSON, a missing or
    /// mistyped field).
    #[error("could not decode {what} at `{path}`: {message} (body starts: {excerpt})")]
    Decode {
        /// What was being decoded, for example `OauthClient`.
        what: String,
        /// Where in the body decoding failed, for example `Response[0].OauthClient.id`.
        path: String,
        /// What serde said.
        message: String,
        /// The start of the body, with secret-looking values masked.
        excerpt: String,
    },

    /// The body was valid JSON but not the envelope this call expects, for
    /// example an empty `Response` array or an item of another type.
    #[error("unexpected response envelope: expected {expected}, found {found}")]
    UnexpectedEnvelope {
        /// What the call expected.
        expected: String,
        /// What the body held instead.
        found: String,
    },

    /// A list went on past [`ClientBuilder::max_list_pages`](crate::ClientBuilder::max_list_pages)
    /// pages: a server handing out pages without end, or a list longer than
    /// the client was told to read. The items read so far were delivered.
    #[error("the list went on past {pages} pages; stopped (ClientBuilder::max_list_pages)")]
    ListTooLong {
        /// The pages read.
        pages: u32,
    },

    /// bunq sent fields the generated types do not know, and the client
    /// was told to refuse them ([`UnknownFields::Refuse`](crate::api::UnknownFields::Refuse)).
    /// Only the fields' paths are named, never their values.
    #[error("{operation}: bunq sent fields this build does not know: {}", .fields.join(", "))]
    UnknownFields {
        /// The operation whose answer held them.
        operation: String,
        /// JSON pointers below each object, prefixed by its place in the
        /// answer: `Response[0]/geolocation/speed`.
        fields: Vec<String>,
    },

    /// The OAuth flow stopped: a CSRF state mismatch, a refusal, a missing
    /// code, or the token endpoint's OAuth error.
    #[error(transparent)]
    OAuth(#[from] OAuthError),

    /// A request could not be signed (on every request path: the handshake
    /// and the API calls alike), or an answer's `X-Bunq-Server-Signature`
    /// was missing or did not match bunq's key: the body was not trusted.
    #[error("signature check failed: {0}")]
    Signature(#[from] SignatureError),

    /// A PSD2 certificate, its chain or its key is unusable (found before
    /// anything is sent).
    #[error("PSD2 certificate: {0}")]
    Certificate(#[from] CertificateError),

    /// A callback from bunq was refused: its sender, its size or its body.
    #[error("callback: {0}")]
    Notification(#[from] NotificationError),

    /// The response body exceeded the configured size limit.
    #[error("the response body is larger than the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The limit in bytes.
        limit: usize,
    },

    /// A file (a saved context) could not be read or written.
    #[error("cannot access {}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// The client was configured with an invalid value.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// An argument cannot be sent to bunq (for example an id out of range).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl Error {
    pub(crate) fn decode(
        what: impl Into<String>,
        path: impl Into<String>,
        message: impl fmt::Display,
        body: &[u8],
    ) -> Self {
        Error::Decode {
            what: what.into(),
            path: path.into(),
            message: crate::redact::redact_quoted(&message.to_string()),
            excerpt: excerpt(body),
        }
    }

    pub(crate) fn unexpected(expected: impl Into<String>, found: impl Into<String>) -> Self {
        Error::UnexpectedEnvelope {
            expected: expected.into(),
            found: found.into(),
        }
    }

    /// The HTTP status bunq answered with, if this error came from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(api) => Some(api.status),
            _ => None,
        }
    }
}

/// bunq answered with an error status.
///
/// `messages` holds every `error_description` of bunq's
/// `{"Error":[{"error_description": …}]}` body. Quote `response_id` (bunq's
/// `X-Bunq-Client-Response-Id`) when asking bunq's support about a call.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status code.
    pub status: u16,
    /// Every `error_description` in bunq's error body, in order.
    pub messages: Vec<String>,
    /// The `X-Bunq-Client-Response-Id` header, if bunq sent one.
    pub response_id: Option<String>,
    /// The start of the body when it was not bunq's error envelope (an HTML
    /// page from a proxy, say), with secret-looking values masked.
    pub body_excerpt: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bunq answered HTTP {}", self.status)?;
        if let Some(reason) = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
        {
            write!(f, " {reason}")?;
        }
        if !self.messages.is_empty() {
            write!(f, ": {}", self.messages.join("; "))?;
        } else if let Some(body) = &self.body_excerpt {
            write!(f, " (body starts: {body})")?;
        }
        if let Some(id) = &self.response_id {
            write!(f, " [response id {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

const EXCERPT_CHARS: usize = 200;

/// The start of a body for an error message: at most 200 characters, lossy
/// UTF-8, secret-looking values (JSON or query style) masked.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let head = &body[..body.len().min(EXCERPT_CHARS * 4)];
    let text = String::from_utf8_lossy(head);
    let redacted = redact_text(&text);
    let mut out: String = redacted.chars().take(EXCERPT_CHARS).collect();
    if redacted.chars().count() > EXCERPT_CHARS || head.len() < body.len() {
        out.push('…');
    }
    out
}
