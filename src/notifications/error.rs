//! Why a callback from bunq was refused (kept apart so that `crate::error`
//! can name it without importing the module).

use std::net::IpAddr;

/// Why a callback body or its sender was refused. A `Malformed` message is
/// serde's, which can quote a short value of the body: log it as untrusted
/// text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// The sender's address is outside the allowed ranges.
    #[error("a callback from {peer}, outside the allowed source ranges")]
    SourceNotAllowed {
        /// The peer address the app saw.
        peer: IpAddr,
    },
    /// The body is larger than the receiver's limit.
    #[error("a callback body of {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// The body's size.
        size: usize,
        /// The receiver's limit.
        limit: usize,
    },
    /// The body is not bunq's `{"NotificationUrl":{…}}`.
    #[error("not a bunq callback body: {0}")]
    Malformed(String),
    /// A source range that does not parse (`185.40.108.0/22`).
    #[error("not an address range: `{0}`")]
    BadRange(String),
}
