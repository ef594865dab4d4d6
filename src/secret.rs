//! Redacted newtypes for every secret the crate handles.
//!
//! Each prints as `Name([redacted])` in `Debug`, has no `Display` and no
//! `Serialize`, and gives its value only through `expose_secret()`, so a secret
//! cannot reach a log line by accident and every use is easy to grep for.

use std::fmt;

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

secret_string!(
    /// The secret of an OAuth client, used in the code-for-token exchange.
    ClientSecret
);

/// Masks the value of every JSON string whose key looks secret (`secret`,
/// `token`, `key`, `password`, `code`) in a body excerpt. Works on truncated or
/// malformed JSON too, since error messages quote bodies that failed to parse.
pub(crate) fn redact_json_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        let (before, from_quote) = rest.split_at(start);
        out.push_str(before);
        let Some(key_len) = from_quote[1..].find('"') else {
            out.push_str(from_quote);
            return out;
        };
        let key = &from_quote[1..1 + key_len];
        let after_key = &from_quote[key_len + 2..];
        out.push_str(&from_quote[..key_len + 2]);
        rest = after_key;
        let trimmed = after_key.trim_start();
        if !is_secret_key(key) || !trimmed.starts_with(':') {
            continue;
        }
        let value = trimmed[1..].trim_start();
        if !value.starts_with('"') {
            continue;
        }
        // Skip the string value, honouring escapes; keep the structure visible.
        let skipped = after_key.len() - value.len();
        out.push_str(&after_key[..skipped]);
        out.push_str("\"[redacted]\"");
        let bytes = value.as_bytes();
        let mut i = 1;
        while i < bytes.len() && bytes[i] != b'"' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        rest = value.get(i + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["secret", "token", "key", "password"]
        .iter()
        .any(|word| key.contains(word))
        || key == "code"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let token = SessionToken::new("tok-123");
        assert_eq!(format!("{token:?}"), "SessionToken([redacted])");
        assert_eq!(token.expose_secret(), "tok-123");
    }

    #[test]
    fn redacts_secret_values_in_json_text() {
        let body = r#"{"OauthClient":{"id":1,"client_id":"abc","secret":"s3cr\"et","url":"x"}}"#;
        let red = redact_json_text(body);
        assert!(!red.contains("s3cr"), "{red}");
        // client_id is public (it is part of the authorize URL).
        assert!(red.contains(r#""client_id":"abc""#), "{red}");
        assert!(red.contains(r#""secret":"[redacted]""#), "{red}");
    }

    #[test]
    fn redacts_in_truncated_json() {
        let red = redact_json_text(r#"{"Token":{"token":"abcdef"#);
        assert!(!red.contains("abcdef"), "{red}");
        let red = redact_json_text(r#"{"url":"https://x","status":"ACTIVE"}"#);
        assert_eq!(red, r#"{"url":"https://x","status":"ACTIVE"}"#);
    }
}
