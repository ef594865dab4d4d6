//! Connecting as a licensed payment-service provider: a PSD2 (QSEAL)
//! certificate instead of an API key.
//!
//! bunq's flow (its PSD2 guide and its SDKs' `create_for_psd2`): after
//! `POST /installation`, the provider signs its installation's public key
//! (PEM) followed by the installation token with the **certificate's**
//! private key, and sends the certificate, its chain and that signature to
//! `POST /payment-service-provider-credential`. bunq answers a
//! `CredentialPasswordIp` whose `token_value` is the API key from then on;
//! device-server and session-server follow as with any API key. See
//! [`ApiContext::create_for_psd2`](crate::ApiContext::create_for_psd2).
//!
//! Everything that can be checked locally is checked before anything is
//! sent: the certificate and chain parse, the certificate is valid now,
//! its key is RSA and the private key given is its key.
//!
//! Registered, the provider is an app like any other (OAuth client,
//! callback URL, the user's grant):
//!
//! ```
//! use bunq_oauth::{ApiContext, Client, Session, psd2::Psd2Certificate};
//!
//! # #[tokio::main]
//! # async fn main() -> bunq_oauth::Result<()> {
//! # let fake = bunq_oauth_fake::FakeBunq::start().await.expect("the fake bunq");
//! # let client = Client::builder().environment(fake.environment()).build()?;
//! # let dir = tempfile::tempdir().expect("a scratch directory");
//! # let made = bunq_oauth::psd2::SandboxCertificate::generate("My App", &["PISP", "AISP"])?;
//! # made.save(&dir.path().join("psd2-certificate.pem"), &dir.path().join("psd2-key.pem"))?;
//! // From your trust service provider; for the sandbox `bunq-oauth psd2 certificate` makes one.
//! let read = |name: &str| std::fs::read_to_string(name).expect("the certificate files");
//! # let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).expect("file");
//! let certificate = Psd2Certificate::from_pem(
//!     &read("psd2-certificate.pem"),
//!     &read("psd2-certificate.pem"), // the chain: a pseudo certificate is its own
//!     &read("psd2-key.pem"),
//! )?; // checked here: parses, valid now, the key is the certificate's
//! let registration = ApiContext::create_for_psd2(&client, certificate, "my app").await?;
//! println!("credential {:?}", registration.credential.status);
//! let provider = Session::new(&client, registration.context)?;
//! let oauth_client = provider.oauth_client_manager().ensure_active().await?;
//! # let _ = oauth_client;
//! # Ok(()) }
//! ```

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use x509_cert::Certificate;
use x509_cert::der::{DecodePem, Encode};

use crate::signing::{KeyPair, PublicKey};

pub(crate) mod error;
pub use error::CertificateError;

/// A PSD2 certificate (PEM), its chain (PEM: the intermediate and root; in
/// bunq's sandbox a self-signed certificate is its own chain) and its
/// private key, checked against each other.
///
/// `Debug` shows the subject and validity, never the key.
#[derive(Clone)]
pub struct Psd2Certificate {
    certificate_pem: String,
    chain_pem: String,
    key: KeyPair,
    subject: String,
    self_signed: bool,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
}

impl Psd2Certificate {
    /// Reads and checks a certificate, its chain and the certificate's
    /// private key (PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`).
    ///
    /// # Errors
    /// [`CertificateError`] (inside [`crate::Error::Certificate`]) when one
    /// does not parse, the key is not the certificate's, or the certificate
    /// is not valid now.
    pub fn from_pem(
        certificate: &str,
        chain: &str,
        private_key: &str,
    ) -> crate::Result<Psd2Certificate> {
        let parsed = parse_certificate(certificate)?;
        // x509-cert 0.2 underflows on an empty chain: refuse it first.
        let chain_text = chain.trim();
        if chain_text.is_empty() {
            return Err(CertificateError::Chain("it holds no certificate".into()).into());
        }
        let chain_certificates = Certificate::load_pem_chain(chain_text.as_bytes())
            .map_err(|e| CertificateError::Chain(e.to_string()))?;
        if chain_certificates.is_empty() {
            return Err(CertificateError::Chain("it holds no certificate".into()).into());
        }
        let certificate_key = certificate_public_key(&parsed)?;
        let key = KeyPair::from_pkcs8_pem(private_key)
            .map_err(|e| CertificateError::Key(e.to_string()))?;
        if key.public_key() != certificate_key {
            return Err(CertificateError::KeyMismatch.into());
        }
        let validity = &parsed.tbs_certificate.validity;
        let not_before = to_utc(validity.not_before.to_unix_duration());
        let not_after = to_utc(validity.not_after.to_unix_duration());
        let now = Utc::now();
        if now < not_before {
            return Err(CertificateError::NotYetValid { not_before }.into());
        }
        if now > not_after {
            return Err(CertificateError::Expired { not_after }.into());
        }
        Ok(Psd2Certificate {
            certificate_pem: certificate.trim().to_owned() + "\n",
            chain_pem: chain.trim().to_owned() + "\n",
            key,
            subject: parsed.tbs_certificate.subject.to_string(),
            self_signed: parsed.tbs_certificate.subject == parsed.tbs_certificate.issuer,
            not_before,
            not_after,
        })
    }

    /// The certificate's subject as RFC 4514 writes it (last attribute
    /// first), for example `C=NL,CN=My App PISP AISP`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Whether the certificate is its own issuer: a sandbox pseudo
    /// certificate, which bunq's production refuses.
    pub fn is_self_signed(&self) -> bool {
        self.self_signed
    }

    /// When the certificate stops being valid.
    pub fn not_after(&self) -> DateTime<Utc> {
        self.not_after
    }

    /// The certificate as PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The chain as PEM.
    pub fn chain_pem(&self) -> &str {
        &self.chain_pem
    }

    /// The certificate's public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// `client_public_key_signature`: the installation's public key as
    /// sent (PEM, ending in one newline) followed by the installation
    /// token, signed with the certificate's key (RSA PKCS#1 v1.5 SHA-256,
    /// base64).
    pub(crate) fn sign_installation(
        &self,
        client_public_key_pem: &str,
        installation_token: &str,
    ) -> crate::Result<String> {
        Ok(self.key.sign(
            installation_signature_message(client_public_key_pem, installation_token).as_bytes(),
        )?)
    }
}

/// The exact text bunq checks the provider's signature over: the public key
/// PEM with one trailing newline, then the installation token (bunq's
/// SDKs: python `public_key_to_string(key) + "\n" + token`, java's PEM
/// ending in `\n` + token).
pub fn installation_signature_message(
    client_public_key_pem: &str,
    installation_token: &str,
) -> String {
    format!("{}\n{installation_token}", client_public_key_pem.trim_end())
}

/// The RSA public key inside a certificate.
fn certificate_public_key(certificate: &Certificate) -> Result<PublicKey, CertificateError> {
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| CertificateError::Unparsable(e.to_string()))?;
    PublicKey::from_spki_der(&spki)
        .map_err(|e| CertificateError::Key(format!("the certificate's key: {e}")))
}

/// A certificate in PEM, read once: its public key and its subject
/// (RFC 4514, for example `C=NL,CN=My App PISP AISP`), for a server that
/// checks a provider's signature, such as the fake bunq.
///
/// # Errors
/// [`CertificateError`] when it does not parse or its key is not RSA.
pub fn read_certificate(certificate_pem: &str) -> Result<(PublicKey, String), CertificateError> {
    let parsed = parse_certificate(certificate_pem)?;
    let subject = parsed.tbs_certificate.subject.to_string();
    Ok((certificate_public_key(&parsed)?, subject))
}

fn parse_certificate(pem: &str) -> Result<Certificate, CertificateError> {
    Certificate::from_pem(pem.trim().as_bytes())
        .map_err(|e| CertificateError::Unparsable(e.to_string()))
}

fn to_utc(since_epoch: std::time::Duration) -> DateTime<Utc> {
    i64::try_from(since_epoch.as_secs())
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl fmt::Debug for Psd2Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Psd2Certificate")
            .field("subject", &self.subject)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// What bunq answered the registration: its credential. The `token_value`
/// becomes the context's API key and is not kept here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Psd2Credential {
    /// The credential's id.
    pub id: Option<i64>,
    /// bunq's status, for example `PENDING_FIRST_USE` until the first
    /// device-server call, then `ACTIVE`.
    pub status: Option<String>,
    /// While `PENDING_FIRST_USE`: when the credential expires unused.
    pub expiry_time: Option<String>,
}

/// `{"CredentialPasswordIp":{…}}` as bunq sends it.
#[derive(Deserialize)]
pub(crate) struct CredentialItem {
    pub(crate) id: Option<i64>,
    pub(crate) status: Option<String>,
    pub(crate) expiry_time: Option<String>,
    pub(crate) token_value: Option<String>,
}

#[cfg(feature = "sandbox-certificate")]
mod sandbox {
    use super::*;

    /// A pseudo certificate for bunq's sandbox, with its key.
    pub struct SandboxCertificate {
        /// The self-signed certificate (PEM); it is also its own chain.
        pub certificate_pem: String,
        /// Its private key (PKCS#8 PEM), redacted in `Debug`.
        pub private_key_pem: crate::PrivateKeyPem,
    }

    impl fmt::Debug for SandboxCertificate {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SandboxCertificate")
                .field("certificate_pem", &self.certificate_pem)
                .field("private_key_pem", &"[redacted]")
                .finish()
        }
    }

    impl SandboxCertificate {
        /// Makes a self-signed certificate with a fresh 2048-bit RSA key,
        /// valid for a year, whose subject is `CN=<name> <roles>, C=NL`:
        /// bunq's sandbox accepts such pseudo certificates when the common
        /// name ends in the roles (`PISP`, `AISP`), its PSD2 guide says.
        ///
        /// # Errors
        /// [`crate::Error::Config`] when the certificate cannot be made.
        pub fn generate(name: &str, roles: &[&str]) -> crate::Result<SandboxCertificate> {
            let key = KeyPair::generate()?;
            let pkcs8 = key.to_pkcs8_pem();
            let signer = rcgen::KeyPair::from_pem(pkcs8.expose_secret())
                .map_err(|e| crate::Error::Config(format!("the certificate key: {e}")))?;
            let mut params = rcgen::CertificateParams::default();
            let common_name = std::iter::once(name.trim())
                .chain(roles.iter().map(|r| r.trim()))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, common_name);
            params
                .distinguished_name
                .push(rcgen::DnType::CountryName, "NL");
            let today = Utc::now().date_naive();
            use chrono::Datelike;
            let day = |d: chrono::NaiveDate| {
                rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
            };
            params.not_before = day(today - chrono::Days::new(1));
            params.not_after = day(today + chrono::Days::new(365));
            let certificate = params.self_signed(&signer).map_err(|e| {
                crate::Error::Config(format!("could not make the certificate: {e}"))
            })?;
            Ok(SandboxCertificate {
                certificate_pem: certificate.pem(),
                private_key_pem: pkcs8,
            })
        }

        /// Writes the certificate and its key, each atomically with mode
        /// 0600 (the key is a secret; the certificate is kept beside it).
        ///
        /// # Errors
        /// [`crate::Error::Io`] when a file cannot be written.
        pub fn save(
            &self,
            certificate: &std::path::Path,
            private_key: &std::path::Path,
        ) -> crate::Result<()> {
            crate::private_file::write_private_file(certificate, self.certificate_pem.as_bytes())?;
            crate::private_file::write_private_file(
                private_key,
                self.private_key_pem.expose_secret().as_bytes(),
            )
        }

        /// The certificate, checked, ready for
        /// [`ApiContext::create_for_psd2`](crate::ApiContext::create_for_psd2)
        /// (its own chain).
        ///
        /// # Errors
        /// As [`Psd2Certificate::from_pem`].
        pub fn to_psd2_certificate(&self) -> crate::Result<Psd2Certificate> {
            Psd2Certificate::from_pem(
                &self.certificate_pem,
                &self.certificate_pem,
                self.private_key_pem.expose_secret(),
            )
        }
    }
}

#[cfg(feature = "sandbox-certificate")]
pub use sandbox::SandboxCertificate;
