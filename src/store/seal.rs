//! Secrets at rest: AES-256-GCM (aws-lc-rs) under the operator's key.
//!
//! A sealed record is `version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`. The
//! record's name (`owner`, `user 3`, …) is the associated data, so a sealed
//! blob copied onto another record does not open.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::error::{Error, Result};
use crate::store::StoreError;

const FORMAT_VERSION: u8 = 1;
const KEY_LEN: usize = 32;
/// The plaintext of the record that proves an operator key opens a store.
const KEY_CHECK: &[u8] = b"bunq-oauth store key check";

/// The 256-bit key that encrypts a store's secrets. Give it as 64 hex digits
/// or as base64 of 32 bytes (for example `openssl rand -base64 32`).
/// Redacted in `Debug`.
#[derive(Clone)]
pub struct EncryptionKey {
    bytes: [u8; KEY_LEN],
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionKey([redacted])")
    }
}

impl EncryptionKey {
    /// Parses a key from 64 hex digits or base64 (standard or URL-safe) of 32
    /// bytes. The error never quotes the input.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let bytes = if text.len() == 2 * KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..KEY_LEN)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<std::result::Result<Vec<u8>, _>>()
                .ok()
        } else {
            STANDARD
                .decode(text)
                .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
                .ok()
        };
        match bytes.and_then(|b| <[u8; KEY_LEN]>::try_from(b).ok()) {
            Some(bytes) => Ok(EncryptionKey { bytes }),
            None => Err(Error::Config(
                "the encryption key must be 32 bytes: 64 hex digits, or base64 \
                 (`openssl rand -base64 32`)"
                    .into(),
            )),
        }
    }

    /// A new random key, from the operating system's CSPRNG.
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; KEY_LEN];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| Error::Config("the system random number generator failed".into()))?;
        Ok(EncryptionKey { bytes })
    }

    /// The raw key, for keys derived from it.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key as base64, to hand to an operator once. Keep it secret.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.bytes)
    }

    fn aead(&self) -> LessSafeKey {
        // Only fails for a wrong key length, which the type rules out.
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.bytes).expect("32-byte AES key"))
    }

    /// Encrypts `plaintext` for the record `record`.
    pub(crate) fn seal(&self, record: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce)
            .map_err(|_| Error::Config("the system random number generator failed".into()))?;
        let mut body = plaintext.to_vec();
        self.aead()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(record.as_bytes()),
                &mut body,
            )
            .map_err(|_| Error::Config("encryption failed".into()))?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + body.len());
        sealed.push(FORMAT_VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// Decrypts a record sealed by [`seal`](Self::seal) for `record`. A wrong
    /// key, an altered blob or a blob of another record is
    /// [`StoreError::Corrupt`]; nothing is returned unauthenticated.
    pub(crate) fn open(&self, record: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        let corrupt = |reason: &str| {
            Error::Store(StoreError::Corrupt {
                record: record.to_owned(),
                reason: reason.to_owned(),
            })
        };
        let (&version, rest) = sealed.split_first().ok_or_else(|| corrupt("it is empty"))?;
        if version != FORMAT_VERSION {
            return Err(corrupt(&format!("unknown format version {version}")));
        }
        if rest.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(corrupt("it is too short"));
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| corrupt("bad nonce"))?;
        let mut body = body.to_vec();
        let plain = self
            .aead()
            .open_in_place(nonce, Aad::from(record.as_bytes()), &mut body)
            .map_err(|_| {
                corrupt("it does not decrypt: altered, moved from another record, or sealed under another key")
            })?;
        let len = plain.len();
        body.truncate(len);
        Ok(body)
    }

    /// A blob that proves, later, that the same key is in use.
    pub(crate) fn key_check(&self) -> Result<Vec<u8>> {
        self.seal("key check", KEY_CHECK)
    }

    /// Checks a blob from [`key_check`](Self::key_check): a different key is
    /// [`StoreError::WrongKey`].
    pub(crate) fn verify_key_check(&self, sealed: &[u8]) -> Result<()> {
        match self.open("key check", sealed) {
            Ok(plain) if plain == KEY_CHECK => Ok(()),
            _ => Err(Error::Store(StoreError::WrongKey)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let key = EncryptionKey::generate().unwrap();
        let sealed = key.seal("user 1", b"secret").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(key.open("user 1", &sealed).unwrap(), b"secret");
        // Another record name, another key, a flipped bit: all refused.
        assert!(key.open("user 2", &sealed).is_err());
        let other = EncryptionKey::generate().unwrap();
        assert!(other.open("user 1", &sealed).is_err());
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(key.open("user 1", &flipped).is_err());
        assert!(key.open("user 1", &[]).is_err());
        assert!(key.open("user 1", &[1, 2, 3]).is_err());
    }

    #[test]
    fn key_check_names_a_wrong_key() {
        let key = EncryptionKey::generate().unwrap();
        let check = key.key_check().unwrap();
        key.verify_key_check(&check).unwrap();
        let err = EncryptionKey::generate()
            .unwrap()
            .verify_key_check(&check)
            .unwrap_err();
        assert!(matches!(err, Error::Store(StoreError::WrongKey)), "{err:?}");
    }

    #[test]
    fn parses_hex_and_base64_and_never_quotes_input() {
        let key = EncryptionKey::generate().unwrap();
        let b64 = key.to_base64();
        assert_eq!(EncryptionKey::parse(&b64).unwrap().bytes, key.bytes);
        let hex: String = key.bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(EncryptionKey::parse(&hex).unwrap().bytes, key.bytes);
        let err = EncryptionKey::parse("hunter2-not-a-key")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(EncryptionKey::parse(&hex[..62]).is_err());
        assert_eq!(format!("{key:?}"), "EncryptionKey([redacted])");
    }
}
