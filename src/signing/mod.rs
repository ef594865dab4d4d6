//! RSA request signing and response verification, as bunq does it.
//!
//! bunq signs with RSA PKCS#1 v1.5 over SHA-256, and carries signatures as
//! standard, padded base64:
//!
//! - a client signs the exact request body bytes and sends the result as
//!   `X-Bunq-Client-Signature`, with a [`KeyPair`] whose public half it
//!   registered at installation;
//! - bunq signs the exact raw response body bytes and sends the result as
//!   `X-Bunq-Server-Signature`; the client checks it with bunq's
//!   [`PublicKey`], the `-----BEGIN PUBLIC KEY-----` PEM that installation
//!   returned.
//!
//! Keys are exchanged as PEM: the public key as SubjectPublicKeyInfo
//! (`-----BEGIN PUBLIC KEY-----`, 64-character lines, `\n` newlines), the
//! private key as PKCS#8 (`-----BEGIN PRIVATE KEY-----`). The cryptography is
//! aws-lc-rs; the PEM framing is this module's own.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa;
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use reqwest::Method;

use crate::secret::PrivateKeyPem;

pub(crate) mod error;

pub use error::SignatureError;

const PRIVATE_KEY_LABEL: &str = "PRIVATE KEY";
const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";
const RSA_PUBLIC_KEY_LABEL: &str = "RSA PUBLIC KEY";

/// Smallest and largest RSA modulus accepted, in bits. The bounds of
/// aws-lc-rs's `RSA_PKCS1_2048_8192_SHA256`, checked when a key is loaded so
/// that an unusable key fails there rather than at every verification.
const MIN_BITS: usize = 2048;
const MAX_BITS: usize = 8192;

/// Longest part of a PEM label quoted back in an error message.
const MAX_QUOTED_LABEL: usize = 40;

/// Which requests carry an `X-Bunq-Client-Signature`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SigningPolicy {
    /// What bunq requires: `device-server`, `session-server`, and calls that
    /// create or accept a payment (a `POST`/`PUT` on a path with a `payment`
    /// segment, or a `PUT` on a `request-response`).
    #[default]
    Required,
    /// Every request that has a body, besides the required ones.
    AllWithBody,
    /// Every authenticated request, `GET` and `DELETE` included (a request
    /// without a body signs zero bytes), as bunq's SDKs and its older
    /// documentation do. A client switches an installation to this by itself
    /// when bunq answers that a signature is required.
    All,
}

impl SigningPolicy {
    pub(crate) fn must_sign(self, method: &Method, path: &str, has_body: bool) -> bool {
        let segments = || path.split('/').filter(|s| !s.is_empty());
        let required = segments().any(|s| s == "device-server" || s == "session-server")
            || ((method == Method::POST || method == Method::PUT)
                && segments().any(|s| s.contains("payment")))
            || (method == Method::PUT && segments().any(|s| s == "request-response"));
        match self {
            SigningPolicy::Required => required,
            SigningPolicy::AllWithBody => required || has_body,
            SigningPolicy::All => true,
        }
    }
}

fn invalid(message: impl Into<String>) -> SignatureError {
    SignatureError::InvalidKey(message.into())
}

/// An RSA-2048 private key (client key, or the fake server's key).
///
/// Signs with RSA PKCS#1 v1.5 over SHA-256. Cloning is cheap (the key is
/// shared behind an [`Arc`]); `Debug` prints `KeyPair([redacted])`.
#[derive(Clone)]
pub struct KeyPair(Arc<KeyPairInner>);

struct KeyPairInner {
    key: rsa::KeyPair,
    /// The PKCS#8 DER, kept so that [`KeyPair::to_pkcs8_pem`] cannot fail.
    /// aws-lc-rs zeroes this buffer when it is dropped.
    pkcs8: Pkcs8V1Der<'static>,
    public: PublicKey,
}

impl KeyPair {
    /// Generates a new 2048-bit RSA key pair (public exponent 65537).
    ///
    /// # Errors
    /// [`SignatureError::KeyGeneration`] if aws-lc-rs fails to generate it.
    pub fn generate() -> Result<KeyPair, SignatureError> {
        let key = rsa::KeyPair::generate(rsa::KeySize::Rsa2048)
            .map_err(|_| SignatureError::KeyGeneration)?;
        KeyPair::from_key(key).map_err(|_| SignatureError::KeyGeneration)
    }

    /// Loads a private key from a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`),
    /// as written by [`KeyPair::to_pkcs8_pem`] or `openssl genrsa` (OpenSSL 3).
    ///
    /// Surrounding whitespace and `\r\n` line ends are accepted.
    ///
    /// # Errors
    /// [`SignatureError::InvalidKey`] if the text is not one PKCS#8
    /// `PRIVATE KEY` PEM block (an encrypted key, a PKCS#1
    /// `RSA PRIVATE KEY` block and anything else are refused), is not an RSA
    /// key, or the key is outside 2048 to 8192 bits.
    pub fn from_pkcs8_pem(pem: &str) -> Result<KeyPair, SignatureError> {
        let (_, der) = pem_decode(pem, &[PRIVATE_KEY_LABEL])?;
        let key = rsa::KeyPair::from_pkcs8(&der)
            .map_err(|e| invalid(format!("not a usable RSA PKCS#8 private key ({e})")))?;
        KeyPair::from_key(key)
    }

    fn from_key(key: rsa::KeyPair) -> Result<KeyPair, SignatureError> {
        let pkcs8: Pkcs8V1Der<'static> = key
            .as_der()
            .map_err(|_| invalid("could not encode the private key as PKCS#8"))?;
        // `public_key()` is PKCS#1 `RSAPublicKey` DER, which `from_der` takes.
        let public = PublicKey::from_der(key.public_key().as_ref())?;
        Ok(KeyPair(Arc::new(KeyPairInner { key, pkcs8, public })))
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`,
    /// 64-character lines, `\n` newlines), for storage.
    pub fn to_pkcs8_pem(&self) -> PrivateKeyPem {
        PrivateKeyPem::new(pem_encode(PRIVATE_KEY_LABEL, self.0.pkcs8.as_ref()))
    }

    /// The public half of this key, to register with bunq (or, in a fake
    /// server, to hand out at installation).
    pub fn public_key(&self) -> PublicKey {
        self.0.public.clone()
    }

    /// Signs `message` (the exact bytes to be sent) with RSA PKCS#1 v1.5 over
    /// SHA-256 and returns the signature as standard, padded base64, the form
    /// of the `X-Bunq-Client-Signature` and `X-Bunq-Server-Signature` headers.
    ///
    /// PKCS#1 v1.5 is deterministic: the same key and message always give
    /// the same signature.
    ///
    /// # Errors
    /// [`SignatureError::InvalidKey`] if aws-lc-rs refuses to sign with the
    /// key; this does not happen with a key this type accepted.
    pub fn sign(&self, message: &[u8]) -> Result<String, SignatureError> {
        let key = &self.0.key;
        let mut signature = vec![0; key.public_modulus_len()];
        // aws-lc-rs ignores the random source for RSA signing.
        key.sign(
            &signature::RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            message,
            &mut signature,
        )
        .map_err(|_| invalid("the private key could not produce a signature"))?;
        Ok(STANDARD.encode(signature))
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyPair([redacted])")
    }
}

/// An RSA public key (bunq's server key, or a client's key as the fake server
/// sees it).
///
/// Verifies RSA PKCS#1 v1.5 SHA-256 signatures. Cloning is cheap. Two keys are
/// equal when their SubjectPublicKeyInfo encodings are. `Debug` shows the key
/// size and the SHA-256 of the SubjectPublicKeyInfo DER, a fingerprint to
/// tell keys apart in logs.
#[derive(Clone)]
pub struct PublicKey(Arc<PublicKeyInner>);

struct PublicKeyInner {
    /// Parsed once for `RSA_PKCS1_2048_8192_SHA256`, so that verifying does
    /// not parse the key again.
    parsed: ParsedPublicKey,
    /// The SubjectPublicKeyInfo DER, whatever form the key was loaded from.
    spki: Box<[u8]>,
    bits: usize,
}

impl PublicKey {
    /// Loads a public key from a SubjectPublicKeyInfo PEM
    /// (`-----BEGIN PUBLIC KEY-----`, what bunq returns at installation) or a
    /// PKCS#1 PEM (`-----BEGIN RSA PUBLIC KEY-----`).
    ///
    /// Surrounding whitespace and `\r\n` line ends are accepted.
    ///
    /// # Errors
    /// [`SignatureError::InvalidKey`] if the text is not one such PEM block,
    /// the contents do not match the label, the key is not RSA, or it is
    /// outside 2048 to 8192 bits.
    pub fn from_pem(pem: &str) -> Result<PublicKey, SignatureError> {
        let (label, der) = pem_decode(pem, &[PUBLIC_KEY_LABEL, RSA_PUBLIC_KEY_LABEL])?;
        // SubjectPublicKeyInfo opens with a nested SEQUENCE (the algorithm),
        // PKCS#1 `RSAPublicKey` with an INTEGER (the modulus). aws-lc-rs
        // parses either, so check here that the label tells the truth.
        let (expected_tag, form) = if label == PUBLIC_KEY_LABEL {
            (DER_SEQUENCE, "SubjectPublicKeyInfo")
        } else {
            (DER_INTEGER, "PKCS#1 RSAPublicKey")
        };
        if first_inner_tag(&der) != Some(expected_tag) {
            return Err(invalid(format!(
                "the `{label}` PEM block does not hold a {form} structure"
            )));
        }
        PublicKey::from_der(&der)
    }

    /// Parses SubjectPublicKeyInfo DER (the key inside a certificate).
    pub(crate) fn from_spki_der(der: &[u8]) -> Result<PublicKey, SignatureError> {
        if first_inner_tag(der) != Some(DER_SEQUENCE) {
            return Err(invalid("not a SubjectPublicKeyInfo structure"));
        }
        PublicKey::from_der(der)
    }

    /// Parses PKCS#1 `RSAPublicKey` or SubjectPublicKeyInfo DER.
    fn from_der(der: &[u8]) -> Result<PublicKey, SignatureError> {
        let key = rsa::PublicKey::from_der(der)
            .map_err(|e| invalid(format!("not a usable RSA public key ({e})")))?;
        let bits = modulus_bits(key.modulus().big_endian_without_leading_zero());
        if !(MIN_BITS..=MAX_BITS).contains(&bits) {
            return Err(invalid(format!(
                "the RSA key has {bits} bits; {MIN_BITS} to {MAX_BITS} are accepted"
            )));
        }
        let spki = key
            .as_der()
            .map_err(|_| invalid("could not encode the public key as SubjectPublicKeyInfo"))?;
        let parsed = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, spki.as_ref())
            .map_err(|e| invalid(format!("not a usable RSA public key ({e})")))?;
        Ok(PublicKey(Arc::new(PublicKeyInner {
            parsed,
            spki: spki.as_ref().into(),
            bits,
        })))
    }

    /// The key as SubjectPublicKeyInfo PEM: `-----BEGIN PUBLIC KEY-----\n`,
    /// the base64 in lines of 64 characters, `-----END PUBLIC KEY-----\n`.
    /// This is the form bunq expects as `client_public_key` at installation.
    pub fn to_pem(&self) -> String {
        pem_encode(PUBLIC_KEY_LABEL, &self.0.spki)
    }

    /// Checks that `signature_base64` (standard, padded base64, as in the
    /// `X-Bunq-Server-Signature` header; surrounding whitespace is ignored)
    /// is this key's RSA PKCS#1 v1.5 SHA-256 signature of `message`, the
    /// exact bytes that were signed.
    ///
    /// # Errors
    /// - [`SignatureError::MalformedSignature`] if the signature is empty or
    ///   not base64;
    /// - [`SignatureError::Mismatch`] if it is not a valid signature of
    ///   `message` under this key (including a signature of the wrong
    ///   length).
    pub fn verify(&self, message: &[u8], signature_base64: &str) -> Result<(), SignatureError> {
        let trimmed = signature_base64.trim();
        if trimmed.is_empty() {
            return Err(SignatureError::MalformedSignature);
        }
        let signature = STANDARD
            .decode(trimmed)
            .map_err(|_| SignatureError::MalformedSignature)?;
        self.0
            .parsed
            .verify_sig(message, &signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.spki == other.0.spki
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.0.spki);
        let fingerprint: String = digest
            .as_ref()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        f.debug_struct("PublicKey")
            .field("bits", &self.0.bits)
            .field("spki_sha256", &fingerprint)
            .finish()
    }
}

/// The number of significant bits of a big-endian integer without leading
/// zero bytes.
fn modulus_bits(big_endian: &[u8]) -> usize {
    match big_endian.first() {
        None => 0,
        Some(&first) => big_endian.len() * 8 - first.leading_zeros() as usize,
    }
}

const DER_SEQUENCE: u8 = 0x30;
const DER_INTEGER: u8 = 0x02;

/// The tag of the first element inside a DER SEQUENCE, if `der` starts with
/// one whose header is well formed.
fn first_inner_tag(der: &[u8]) -> Option<u8> {
    if *der.first()? != DER_SEQUENCE {
        return None;
    }
    let length = *der.get(1)?;
    let header = match length {
        0..=0x7f => 2,
        0x81..=0x84 => 2 + usize::from(length & 0x7f),
        _ => return None,
    };
    der.get(header).copied()
}

/// Decodes one PEM block whose label is one of `labels`, returning the label
/// found and the decoded bytes.
///
/// Tolerates surrounding whitespace, `\r\n` line ends and whitespace around
/// lines; refuses text before BEGIN or after END, RFC 1421 headers
/// (`Proc-Type:`, as in encrypted keys), an empty body and bad base64. Error
/// messages never quote the body.
fn pem_decode<'l>(pem: &str, labels: &[&'l str]) -> Result<(&'l str, Vec<u8>), SignatureError> {
    let expected = labels
        .iter()
        .map(|label| format!("`{label}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    let text = pem.trim();
    if text.is_empty() {
        return Err(invalid(format!(
            "the input is empty; expected a {expected} PEM block"
        )));
    }
    let mut lines = text.lines().map(str::trim);
    let begin = lines
        .next()
        .and_then(|line| line.strip_prefix("-----BEGIN "))
        .and_then(|rest| rest.strip_suffix("-----"));
    let Some(begin) = begin else {
        return Err(invalid(format!(
            "the input does not start with a PEM BEGIN line; expected a {expected} PEM block"
        )));
    };
    let Some(label) = labels.iter().copied().find(|label| *label == begin) else {
        let quoted: String = begin.chars().take(MAX_QUOTED_LABEL).collect();
        return Err(invalid(format!(
            "expected a {expected} PEM block, found `{quoted}`"
        )));
    };

    let mut body = String::with_capacity(text.len());
    let mut ended = false;
    for line in lines {
        if ended {
            return Err(invalid("unexpected text after the PEM END line"));
        }
        if let Some(end) = line.strip_prefix("-----END ") {
            if end.strip_suffix("-----") != Some(label) {
                return Err(invalid(format!(
                    "the PEM END line does not match `-----BEGIN {label}-----`"
                )));
            }
            ended = true;
            continue;
        }
        if line.contains(':') {
            return Err(invalid(
                "PEM headers (as in encrypted keys) are not supported",
            ));
        }
        body.extend(line.chars().filter(|c| !c.is_ascii_whitespace()));
    }
    if !ended {
        return Err(invalid(format!(
            "the PEM block has no `-----END {label}-----` line"
        )));
    }
    if body.is_empty() {
        return Err(invalid("the PEM block is empty"));
    }
    let der = STANDARD
        .decode(body.as_bytes())
        .map_err(|_| invalid("the PEM body is not valid base64"))?;
    Ok((label, der))
}

/// Encodes `der` as a PEM block: standard base64 in lines of 64 characters,
/// `\n` newlines, a trailing newline.
fn pem_encode(label: &str, der: &[u8]) -> String {
    const LINE: usize = 64;
    let body = STANDARD.encode(der);
    let mut out = String::with_capacity(body.len() + body.len() / LINE + 2 * label.len() + 32);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for (i, c) in body.chars().enumerate() {
        if i > 0 && i % LINE == 0 {
            out.push('\n');
        }
        out.push(c);
    }
    out.push_str("\n-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"AttachmentPublic":{"description":"test"}}"#;

    fn key() -> KeyPair {
        KeyPair::generate().expect("generate an RSA-2048 key")
    }

    /// The base64 lines between BEGIN and END.
    fn body_lines(pem: &str) -> Vec<&str> {
        pem.lines()
            .filter(|line| !line.starts_with("-----"))
            .collect()
    }

    fn assert_invalid_key<T: fmt::Debug>(result: Result<T, SignatureError>, what: &str) {
        match result {
            Err(SignatureError::InvalidKey(message)) => assert!(!message.is_empty(), "{what}"),
            other => panic!("{what}: expected InvalidKey, got {other:?}"),
        }
    }

    #[test]
    fn sign_then_verify() {
        let key = key();
        let signature = key.sign(BODY).unwrap();
        // 256 bytes of signature for a 2048-bit key, padded base64.
        assert_eq!(signature.len(), 344, "{signature}");
        assert_eq!(STANDARD.decode(&signature).unwrap().len(), 256);
        assert_eq!(key.public_key().verify(BODY, &signature), Ok(()));
        // Deterministic padding: signing again gives the same bytes.
        assert_eq!(key.sign(BODY).unwrap(), signature);
        // Surrounding whitespace in the header value is ignored.
        assert_eq!(
            key.public_key().verify(BODY, &format!(" {signature}\r\n")),
            Ok(())
        );
        // The empty body can be signed too (a GET request).
        let empty = key.sign(b"").unwrap();
        assert_eq!(key.public_key().verify(b"", &empty), Ok(()));
        assert_eq!(
            key.public_key().verify(BODY, &empty),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn flipped_message_byte_is_mismatch() {
        let key = key();
        let signature = key.sign(BODY).unwrap();
        for i in [0, BODY.len() / 2, BODY.len() - 1] {
            let mut tampered = BODY.to_vec();
            tampered[i] ^= 0x01;
            assert_eq!(
                key.public_key().verify(&tampered, &signature),
                Err(SignatureError::Mismatch),
                "byte {i}"
            );
        }
        let mut longer = BODY.to_vec();
        longer.push(b'\n');
        assert_eq!(
            key.public_key().verify(&longer, &signature),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn flipped_signature_byte_or_wrong_length_is_mismatch() {
        let key = key();
        let mut raw = STANDARD.decode(key.sign(BODY).unwrap()).unwrap();
        raw[100] ^= 0x80;
        assert_eq!(
            key.public_key().verify(BODY, &STANDARD.encode(&raw)),
            Err(SignatureError::Mismatch)
        );
        raw[100] ^= 0x80;
        assert_eq!(
            key.public_key().verify(BODY, &STANDARD.encode(&raw[1..])),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            key.public_key().verify(BODY, &STANDARD.encode([0u8; 4])),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn signature_from_another_key_is_mismatch() {
        let (ours, theirs) = (key(), key());
        assert_ne!(ours.public_key(), theirs.public_key());
        let signature = theirs.sign(BODY).unwrap();
        assert_eq!(
            ours.public_key().verify(BODY, &signature),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(theirs.public_key().verify(BODY, &signature), Ok(()));
    }

    #[test]
    fn non_base64_signature_is_malformed() {
        // OpenSSL's fixture signature holds both `+` and `/`.
        let key = PublicKey::from_pem(OPENSSL_PUBLIC_KEY).unwrap();
        let signature = OPENSSL_SIGNATURE;
        assert_eq!(key.verify(OPENSSL_BODY, signature), Ok(()));
        let url_safe = signature.replace('+', "-").replace('/', "_");
        assert!(signature.contains('+') && signature.contains('/'));
        for bad in [
            "not base64!",
            "",
            "   \r\n",
            "@@@@",
            "abc",
            &signature[..signature.len() - 1],
            &url_safe,
            &format!("{} {}", &signature[..8], &signature[8..]),
        ] {
            assert_eq!(
                key.verify(OPENSSL_BODY, bad),
                Err(SignatureError::MalformedSignature),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn private_pem_round_trip_keeps_the_key() {
        let original = key();
        let pem = original.to_pkcs8_pem();
        let text = pem.expose_secret();
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
        assert!(text.ends_with("\n-----END PRIVATE KEY-----\n"));
        assert!(text.lines().all(|line| line.len() <= 64));

        let reloaded = KeyPair::from_pkcs8_pem(text).unwrap();
        assert_eq!(reloaded.public_key(), original.public_key());
        let signature = reloaded.sign(BODY).unwrap();
        assert_eq!(original.public_key().verify(BODY, &signature), Ok(()));
        assert_eq!(signature, original.sign(BODY).unwrap());
        // Writing it out again gives the same text.
        assert_eq!(reloaded.to_pkcs8_pem().expose_secret(), text);
    }

    #[test]
    fn public_pem_round_trip_and_format() {
        let key = key();
        let pem = key.public_key().to_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
        assert!(pem.ends_with("\n-----END PUBLIC KEY-----\n"), "{pem}");
        assert!(!pem.contains('\r'));
        let lines = body_lines(&pem);
        // 294 bytes of SubjectPublicKeyInfo: 392 base64 characters.
        assert_eq!(lines.concat().len(), 392, "{pem}");
        let (last, full) = lines.split_last().unwrap();
        assert!(full.iter().all(|line| line.len() == 64), "{pem}");
        assert!(!last.is_empty() && last.len() <= 64, "{pem}");
        assert!(pem.lines().all(|line| line.len() <= 64), "{pem}");

        let reloaded = PublicKey::from_pem(&pem).unwrap();
        assert_eq!(reloaded, key.public_key());
        assert_eq!(reloaded.to_pem(), pem);
        assert_eq!(reloaded.verify(BODY, &key.sign(BODY).unwrap()), Ok(()));
    }

    #[test]
    fn pem_tolerates_crlf_and_surrounding_whitespace() {
        let key = key();
        let public = key.public_key().to_pem();
        let private = key.to_pkcs8_pem().expose_secret().to_owned();
        let signature = key.sign(BODY).unwrap();

        let crlf_public = format!("\r\n  \t{}  \r\n\r\n", public.replace('\n', "\r\n"));
        let reloaded = PublicKey::from_pem(&crlf_public).unwrap();
        assert_eq!(reloaded.verify(BODY, &signature), Ok(()));
        // Without a trailing newline, and with indented lines.
        let indented: String = public.trim_end().replace('\n', "\n    ");
        assert_eq!(PublicKey::from_pem(&indented).unwrap(), key.public_key());

        let crlf_private = format!("\n{}\n", private.replace('\n', "\r\n"));
        let reloaded = KeyPair::from_pkcs8_pem(&crlf_private).unwrap();
        assert_eq!(reloaded.sign(BODY).unwrap(), signature);
    }

    #[test]
    fn garbage_empty_and_wrong_label_are_invalid_key() {
        let key = key();
        let public = key.public_key().to_pem();
        let private = key.to_pkcs8_pem().expose_secret().to_owned();

        for input in ["", "   \n\t\r\n", "garbage", "-----BEGIN PUBLIC KEY-----"] {
            assert_invalid_key(PublicKey::from_pem(input), input);
            assert_invalid_key(KeyPair::from_pkcs8_pem(input), input);
        }
        // Each label where the other is expected.
        assert_invalid_key(KeyPair::from_pkcs8_pem(&public), "public as private");
        assert_invalid_key(PublicKey::from_pem(&private), "private as public");
        // Other labels, with a real key body.
        let relabel = |pem: &str, from: &str, to: &str| pem.replace(from, to);
        assert_invalid_key(
            PublicKey::from_pem(&relabel(&public, "PUBLIC KEY", "CERTIFICATE")),
            "certificate label",
        );
        assert_invalid_key(
            KeyPair::from_pkcs8_pem(&relabel(&private, "PRIVATE KEY", "RSA PRIVATE KEY")),
            "pkcs1 private label",
        );
        assert_invalid_key(
            KeyPair::from_pkcs8_pem(&relabel(&private, "PRIVATE KEY", "ENCRYPTED PRIVATE KEY")),
            "encrypted label",
        );
        // The SubjectPublicKeyInfo body under the PKCS#1 label.
        assert_invalid_key(
            PublicKey::from_pem(&relabel(&public, "PUBLIC KEY", "RSA PUBLIC KEY")),
            "spki under the RSA PUBLIC KEY label",
        );
        // BEGIN and END labels that differ.
        let mismatched = public.replace("END PUBLIC KEY", "END RSA PUBLIC KEY");
        assert_invalid_key(PublicKey::from_pem(&mismatched), "mismatched END");
        // No END line.
        let (no_end, _) = public.split_at(public.find("-----END").unwrap());
        assert_invalid_key(PublicKey::from_pem(no_end), "no END");
        // Text after the END line (a second block).
        assert_invalid_key(
            PublicKey::from_pem(&format!("{public}{public}")),
            "two blocks",
        );
        // Text before the BEGIN line.
        assert_invalid_key(
            PublicKey::from_pem(&format!("key:\n{public}")),
            "text before",
        );
        // Header lines.
        let with_header = private.replacen('\n', "\nProc-Type: 4,ENCRYPTED\n\n", 1);
        assert_invalid_key(KeyPair::from_pkcs8_pem(&with_header), "PEM header");
        // An empty body, a body that is not base64, base64 that is not DER.
        assert_invalid_key(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"),
            "empty body",
        );
        assert_invalid_key(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----"),
            "not base64",
        );
        assert_invalid_key(
            PublicKey::from_pem(
                "-----BEGIN PUBLIC KEY-----\naGVsbG8gd29ybGQ=\n-----END PUBLIC KEY-----",
            ),
            "not DER",
        );
        assert_invalid_key(
            KeyPair::from_pkcs8_pem(
                "-----BEGIN PRIVATE KEY-----\naGVsbG8gd29ybGQ=\n-----END PRIVATE KEY-----",
            ),
            "not DER",
        );
        // A truncated body: valid base64, truncated DER.
        let lines = body_lines(&public);
        let truncated = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines[..lines.len() - 2].join("\n")
        );
        assert_invalid_key(PublicKey::from_pem(&truncated), "truncated DER");
    }

    #[test]
    fn non_rsa_and_small_keys_are_invalid_key() {
        assert_invalid_key(PublicKey::from_pem(EC_P256_PUBLIC_KEY), "EC public key");
        assert_invalid_key(
            KeyPair::from_pkcs8_pem(EC_P256_PRIVATE_KEY),
            "EC private key",
        );
        match PublicKey::from_pem(RSA_1024_PUBLIC_KEY) {
            Err(SignatureError::InvalidKey(message)) => {
                assert!(message.contains("1024"), "{message}")
            }
            other => panic!("expected InvalidKey for RSA-1024, got {other:?}"),
        }
    }

    #[test]
    fn error_messages_do_not_quote_key_material() {
        let key = key();
        let private = key.to_pkcs8_pem().expose_secret().to_owned();
        let lines = body_lines(&private);
        // The body without its BEGIN line: the first line is key material.
        let headless = lines.join("\n");
        let Err(SignatureError::InvalidKey(message)) = KeyPair::from_pkcs8_pem(&headless) else {
            panic!("a headless PEM must be refused");
        };
        assert!(
            lines.iter().all(|line| !message.contains(&line[..16])),
            "{message}"
        );
        // A BEGIN line made of key material.
        let odd = format!("-----BEGIN {}-----\n{}\n", lines[1], private);
        let Err(SignatureError::InvalidKey(message)) = KeyPair::from_pkcs8_pem(&odd) else {
            panic!("an unknown label must be refused");
        };
        assert!(!message.contains(lines[1]), "{message}");
    }

    #[test]
    fn debug_never_shows_key_material() {
        let key = key();
        let debug = format!("{key:?}");
        assert_eq!(debug, "KeyPair([redacted])");
        let private = key.to_pkcs8_pem();
        assert_eq!(format!("{private:?}"), "PrivateKeyPem([redacted])");
        for line in body_lines(private.expose_secret()) {
            assert!(!debug.contains(line));
            assert!(!format!("{:?}", key.public_key()).contains(line));
        }
        let public = format!("{:?}", key.public_key());
        assert!(
            public.starts_with("PublicKey { bits: 2048, spki_sha256: \""),
            "{public}"
        );
    }

    #[test]
    fn keys_are_send_sync_and_clone() {
        fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
        assert_shareable::<KeyPair>();
        assert_shareable::<PublicKey>();
        assert_shareable::<SignatureError>();
        // A clone is the same key.
        let key = key();
        let copy = key.clone();
        assert_eq!(
            key.public_key().verify(BODY, &copy.sign(BODY).unwrap()),
            Ok(())
        );
    }

    /// OpenSSL verifies what we sign and we verify what OpenSSL signs: the
    /// fixtures below were made with OpenSSL 3.0 (`openssl genrsa 2048`,
    /// `openssl dgst -sha256 -sign key.pem body.txt | base64 -w0`).
    #[test]
    fn verifies_an_openssl_signature() {
        let public = PublicKey::from_pem(OPENSSL_PUBLIC_KEY).unwrap();
        assert_eq!(public.verify(OPENSSL_BODY, OPENSSL_SIGNATURE), Ok(()));
        let mut tampered = OPENSSL_BODY.to_vec();
        tampered[0] = b'[';
        assert_eq!(
            public.verify(&tampered, OPENSSL_SIGNATURE),
            Err(SignatureError::Mismatch)
        );
        // Our encoding of OpenSSL's key is byte for byte OpenSSL's PEM.
        assert_eq!(public.to_pem(), OPENSSL_PUBLIC_KEY);
    }

    #[test]
    fn accepts_the_pkcs1_public_key_form() {
        let pkcs1 = PublicKey::from_pem(OPENSSL_RSA_PUBLIC_KEY).unwrap();
        assert_eq!(pkcs1, PublicKey::from_pem(OPENSSL_PUBLIC_KEY).unwrap());
        assert_eq!(pkcs1.verify(OPENSSL_BODY, OPENSSL_SIGNATURE), Ok(()));
        assert_eq!(pkcs1.to_pem(), OPENSSL_PUBLIC_KEY);
        // And refuses the PKCS#1 body under the SubjectPublicKeyInfo label.
        let relabelled = OPENSSL_RSA_PUBLIC_KEY.replace("RSA PUBLIC KEY", "PUBLIC KEY");
        assert_invalid_key(PublicKey::from_pem(&relabelled), "pkcs1 under PUBLIC KEY");
    }

    /// PKCS#1 v1.5 is deterministic, so signing OpenSSL's body with OpenSSL's
    /// key must reproduce OpenSSL's signature exactly.
    #[test]
    fn signs_exactly_as_openssl_does() {
        let key = KeyPair::from_pkcs8_pem(OPENSSL_PRIVATE_KEY).unwrap();
        assert_eq!(key.sign(OPENSSL_BODY).unwrap(), OPENSSL_SIGNATURE);
        assert_eq!(
            key.public_key(),
            PublicKey::from_pem(OPENSSL_PUBLIC_KEY).unwrap()
        );
        assert_eq!(key.to_pkcs8_pem().expose_secret(), OPENSSL_PRIVATE_KEY);
    }

    // Test-only keys, made for these tests and used nowhere else.

    /// A test-only RSA-2048 key from `openssl genrsa 2048` (PKCS#8).
    const OPENSSL_PRIVATE_KEY: &str = r#"-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCq8nAG5jqmgcpd
u7iXXxyHtz9OyVwc3OjQZ6CyPJwPWO+n5ADeJ/wpy42VfJLXujvJlAuOsJoTly8n
KNn0J03NViKoE6HT/BvzpdnMpg+me/IUSFmLtmtzQOW1lFkeIoMIgRluNXVm13VI
BYRB/VgIMYM9i+9iPpeC0xoaWQJnPMrqyhn1VSWCGzFGe0vYul/9zHHHV40E9nzl
0UYZrsIfiUFkMWMUO1JzXeGRXzDrVohN4hlcMOY7v1v9Mk7Urck72Q8ZAvJUyPSR
SibiSUeeLPuI8VC9os0cxA0JZsKc1MRIB70xDmLVfxZuIbNcBVDfHoq2l19C+B73
BKVUd+kBAgMBAAECggEABjkIY509Of3JhxCj+eaoHDdLIla+zVIsAMIfnb1fv53w
2L9lBLFB7aePl4ckX/P95IBIzMCYVemP+YX0K9NucptrFuE4EoZqjLusf6r1MONG
1FQvO6BqrZRe3aBGf4v+vHAuo84QYFZW2kX7zYcnuDdNMWVcU8rhgGKniu6ojBIh
aPpEzrDiO8vO+ZEMaC9mXMB3dP2vq6THH6TroWSIj3twua14f03Az/iPr4TTCeqY
TDMxx783NP7HljjjhKYCrpRCLb+sA4fzyVKKnI2J+1Ei8Tt3WA0QN0xOWtkYaeML
Fj+0ZJbd1i7U8LfgRA8v/vVv+D+p+nQb/aZnD74MXQKBgQDwnYmRTX175npgE+nD
uWXCUfY9dBunwoULvGYidnrFKBlbaRzgOoQKvaJumn6jhkPtGhF8+50l3XAExflj
6RuGcM3k0pb7Vh1R5ZDDeqILNRGaIzb0C79+T9kJqLYzbNtWneDNpufVkqXbRiX6
L1PHGHdH8UiYq+k9WZQ7Hh1oxwKBgQC14IxaDX7tY5vw/enrkkcSeiLMsEEVJ6PC
K2GPMpWJJO92+fNDRu2Z3ZMjZ7W/ki5gPbS2h+NOmYuMnm/Z6HA+pvV6rvSOmTuS
gmlO5icW1ScoDjp/Omky7uoMhKAKqhzg4bAvSNgQdQhTa5IrkkPdLIyMhlJdM5Mb
qI6QQVKn9wKBgQDgte+lAJ6BWNTO56n4PSv4l30FFWtCeBqyxCcKZmXvvKw5v2fV
TTDFqyaIbsZ4R0smoqLUe1Pe6ffUrWNkWG55Vt4ipj2Uym6lbmSM+vlcyBoBPoPy
1Qnol/+U0rgePLp3IQiyZv66abN1ngSXqx1tob68NG1dD6fKwN77evtyPwKBgCj2
54XM7l63hcMU3aACdWGTAs2JkU8be4XbUYD4Srf2Cr2IdKMdkZyLTH23+TapzSo+
G7rVBnyIlubYNKcm9EkYP8gfKdQIbWOFXgS4T+uTnNsnwUMwu8sOBsdFA+sC/7gi
/RTZWljykyp+2xBXRFPHmex4wIpfeG3NXDbfj6dnAoGAPXea3pg1420MfKmohsSY
GA8NHfVt4+VJ0zA5YNZi0vyOQYKy+J/zfM8OWqCyco47e5RvH2UIkg/h/NeYAlS3
pb/ri//3rFcC8iAwewftzWIGiH2nac9Gup5c7iNgaJaw+zfRSHpBtGrByIjZzxC9
XFCN0QDXw1NT/CXkEJUDJXA=
-----END PRIVATE KEY-----
"#;

    /// Its public key, from `openssl rsa -pubout`.
    const OPENSSL_PUBLIC_KEY: &str = r#"-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqvJwBuY6poHKXbu4l18c
h7c/TslcHNzo0GegsjycD1jvp+QA3if8KcuNlXyS17o7yZQLjrCaE5cvJyjZ9CdN
zVYiqBOh0/wb86XZzKYPpnvyFEhZi7Zrc0DltZRZHiKDCIEZbjV1Ztd1SAWEQf1Y
CDGDPYvvYj6XgtMaGlkCZzzK6soZ9VUlghsxRntL2Lpf/cxxx1eNBPZ85dFGGa7C
H4lBZDFjFDtSc13hkV8w61aITeIZXDDmO79b/TJO1K3JO9kPGQLyVMj0kUom4klH
niz7iPFQvaLNHMQNCWbCnNTESAe9MQ5i1X8WbiGzXAVQ3x6KtpdfQvge9wSlVHfp
AQIDAQAB
-----END PUBLIC KEY-----
"#;

    /// The same public key, from `openssl rsa -RSAPublicKey_out` (PKCS#1).
    const OPENSSL_RSA_PUBLIC_KEY: &str = r#"-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAqvJwBuY6poHKXbu4l18ch7c/TslcHNzo0GegsjycD1jvp+QA3if8
KcuNlXyS17o7yZQLjrCaE5cvJyjZ9CdNzVYiqBOh0/wb86XZzKYPpnvyFEhZi7Zr
c0DltZRZHiKDCIEZbjV1Ztd1SAWEQf1YCDGDPYvvYj6XgtMaGlkCZzzK6soZ9VUl
ghsxRntL2Lpf/cxxx1eNBPZ85dFGGa7CH4lBZDFjFDtSc13hkV8w61aITeIZXDDm
O79b/TJO1K3JO9kPGQLyVMj0kUom4klHniz7iPFQvaLNHMQNCWbCnNTESAe9MQ5i
1X8WbiGzXAVQ3x6KtpdfQvge9wSlVHfpAQIDAQAB
-----END RSA PUBLIC KEY-----
"#;

    /// The message OpenSSL signed.
    const OPENSSL_BODY: &[u8] =
        br#"{"description":"bunq-oauth known answer","amount":{"value":"12.50","currency":"EUR"}}"#;

    /// `openssl dgst -sha256 -sign key.pem body.txt | base64 -w0`.
    const OPENSSL_SIGNATURE: &str = r#"QXuUXooDapMmdceHh2gYn7Qxg25dgQnj7mMUK4m4pMGQBBPIcvl6QbO+/D+2UmBjZZZCSfyfAqctlnY5yLnj0oq245yKqcQUzhumNKa1dnVG6+TnDvCR3HglAIR5+klyiBBK+458j0/fCVxJ9Cuh3l5CTjtTHSZY588kuthNHbPnHps46myomlpijh2P91sZCjdlerwxPWUJUK8C+NK97uHKXzBIALnIqrDGgeUb5+I1Bo57xsVYKg4tJI3wrJpuMps56Ig+qSUTHFpvrC5jyv4PsJsRaDdt8WXb0hOH1eM7y9T1Xa3SkMoQOn4Sm9c8drEl+X5CTh8no9abLipWOw=="#;

    /// A P-256 public key (`openssl ecparam -name prime256v1 -genkey`), not RSA.
    const EC_P256_PUBLIC_KEY: &str = r#"-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExrh4KC2hK3vIc2h0+ufHrzey4rwV
LM/g6X90lHqCXNJcrytwaloqQLD3dbC+awsa1LAYLvDJQ87ZpkA6+Kv0LA==
-----END PUBLIC KEY-----
"#;

    /// Its private key as PKCS#8.
    const EC_P256_PRIVATE_KEY: &str = r#"-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgEtNLMS6fqOSnLtgL
oEcYQpgW4jeXQ8Kim5s1AZUrV1qhRANCAATGuHgoLaEre8hzaHT658evN7LivBUs
z+Dpf3SUeoJc0lyvK3BqWipAsPd1sL5rCxrUsBgu8MlDztmmQDr4q/Qs
-----END PRIVATE KEY-----
"#;

    /// An RSA-1024 public key (`openssl genrsa 1024`), too small.
    const RSA_1024_PUBLIC_KEY: &str = r#"-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC73XpELljEdqBIC7LhABeghDMa
zVClP8lbk4B+iYk5bIm14ggSll8mX/fmw+fP4bZdhyioycN5d4Ex4KkiZk3w5t3C
J9j5Gfq8ffhjaUfZggtCX9wEfvpvCIaa/Qksgpdw8JlcfUIkXnhZTDWoNP0v5cuK
sjMn2+bWn6TNOHyKYQIDAQAB
-----END PUBLIC KEY-----
"#;

    #[test]
    fn signing_policy_follows_bunq_requirements() {
        let p = SigningPolicy::Required;
        assert!(p.must_sign(&Method::POST, "/v1/session-server", true));
        assert!(p.must_sign(&Method::POST, "/v1/device-server", true));
        assert!(p.must_sign(&Method::POST, "/v1/user/1/monetary-account/2/payment", true));
        assert!(p.must_sign(
            &Method::POST,
            "/v1/user/1/monetary-account/2/draft-payment",
            true
        ));
        assert!(p.must_sign(
            &Method::PUT,
            "/v1/user/1/monetary-account/2/request-response/3",
            true
        ));
        assert!(!p.must_sign(&Method::GET, "/v1/user/1/monetary-account/2/payment", false));
        assert!(!p.must_sign(&Method::POST, "/v1/user/1/oauth-client", true));
        assert!(!p.must_sign(&Method::POST, "/v1/installation", true));
        let all = SigningPolicy::AllWithBody;
        assert!(all.must_sign(&Method::POST, "/v1/user/1/oauth-client", true));
        assert!(!all.must_sign(&Method::GET, "/v1/user/1/oauth-client", false));
        let every = SigningPolicy::All;
        assert!(every.must_sign(&Method::GET, "/v1/user/1/oauth-client", false));
        assert!(every.must_sign(
            &Method::DELETE,
            "/v1/user/1/oauth-client/2/callback-url/3",
            false
        ));
    }
}
