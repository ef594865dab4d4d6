//! Redacted newtypes for every secret the crate handles.
//!
//! Each prints as `Name([redacted])` in `Debug`, has no `Display` and no
//! `Serialize`, and gives its value only through `expose_secret()`, so a secret
//! cannot reach a log line by accident and every use is easy to grep for.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Result};

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value itself. Call this only where the value must
            /// leave the process (a request header, a request body, a file).
            pub fn expose_secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(Self)
            }
        }
    };
}

secret_string!(
    /// A bunq session token, sent as `X-Bunq-Client-Authentication`.
    SessionToken
);

secret_string!(
    /// A bunq API key or an OAuth access token used as one (bunq treats both
    /// the same): the `secret` of device-server and session-server.
    ApiKey
);

secret_string!(
    /// The token bunq returns at installation; it authenticates the
    /// device-server and session-server calls.
    InstallationToken
);

secret_string!(
    /// A PKCS#8 PEM private key.
    PrivateKeyPem
);

secret_string!(
    /// An OAuth access token: used as an API key for the user who granted it.
    AccessToken
);

secret_string!(
    /// A single-use OAuth authorization code from bunq's redirect.
    AuthorizationCode
);

secret_string!(
    /// The CSRF `state` of one authorization request: keep it until the user
    /// comes back and compare it with [`parse_callback`](crate::oauth::parse_callback).
    CsrfState
);

impl CsrfState {
    /// 256 bits from the operating system's CSPRNG (through aws-lc-rs),
    /// base64url without padding.
    pub fn random() -> Result<Self> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| Error::Config("the system random number generator failed".into()))?;
        Ok(CsrfState::new(URL_SAFE_NO_PAD.encode(bytes)))
    }
}

secret_string!(
    /// The secret of an OAuth client, used in the code-for-token exchange.
    ClientSecret
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let token = SessionToken::new("tok-123");
        assert_eq!(format!("{token:?}"), "SessionToken([redacted])");
        assert_eq!(token.expose_secret(), "tok-123");
    }
}
