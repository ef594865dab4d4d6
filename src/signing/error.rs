//! [`SignatureError`]: a leaf that imports nothing of the crate, so
//! `error.rs` can hold it without importing the signing code.

/// Why a key could not be used or a signature did not verify.
///
/// No message ever contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The key could not be used: unparsable PEM or DER, a wrong PEM label,
    /// not an RSA key, or an RSA key outside 2048 to 8192 bits.
    #[error("invalid key: {0}")]
    InvalidKey(String),

    /// The signature is not base64 (standard alphabet, padded), or is empty.
    #[error("the signature is not valid base64")]
    MalformedSignature,

    /// The signature does not match the message for this public key.
    #[error("the signature does not match the message")]
    Mismatch,

    /// aws-lc-rs could not generate an RSA key pair.
    #[error("could not generate an RSA key pair")]
    KeyGeneration,

    /// A success answer came without an `X-Bunq-Server-Signature` header.
    #[error("the answer carries no X-Bunq-Server-Signature")]
    Missing,

    /// Signature checking is on, but this session knows no server public key
    /// (a [`Session::with_token`](crate::Session::with_token) without
    /// [`with_server_key`](crate::Session::with_server_key)).
    #[error("no server public key to check the answer's signature with")]
    NoServerKey,
}
