//! What can be wrong with a PSD2 certificate before anything is sent (kept
//! apart so that `crate::error` can name it without importing the module).

use chrono::{DateTime, Utc};

/// What is wrong with a PSD2 certificate, its chain or its key, found
/// before anything is sent. No message contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// The certificate is not one X.509 certificate in PEM.
    #[error("the certificate is not an X.509 certificate in PEM: {0}")]
    Unparsable(String),
    /// The chain holds no certificate, or one that does not parse.
    #[error("the certificate chain does not parse: {0}")]
    Chain(String),
    /// The private key is not an RSA PKCS#8 PEM key, or the certificate's
    /// key is not RSA (bunq checks RSA PKCS#1 v1.5 SHA-256 signatures).
    #[error("unusable key: {0}")]
    Key(String),
    /// The private key is not the certificate's key.
    #[error("the private key does not belong to the certificate")]
    KeyMismatch,
    /// The certificate's validity has ended.
    #[error("the certificate expired at {not_after}")]
    Expired {
        /// When it stopped being valid.
        not_after: DateTime<Utc>,
    },
    /// The certificate's validity has not begun.
    #[error("the certificate is not valid before {not_before}")]
    NotYetValid {
        /// When it becomes valid.
        not_before: DateTime<Utc>,
    },
}
