//! The crate's own types for three kinds of bunq values, used by the
//! generated types in place of plain strings.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::models::{format_timestamp, parse_timestamp};

/// A bunq timestamp (`2025-08-13 14:45:20.123456`, always UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_timestamp(&self.0))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&format_timestamp(&self.0))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_timestamp(&text).map(Timestamp).ok_or_else(|| {
            serde::de::Error::custom("not a bunq timestamp (YYYY-MM-DD hh:mm:ss.ffffff)")
        })
    }
}

/// A secret bunq sends or takes as text (a client secret, a token, a PIN):
/// `Debug` prints no value; [`expose_secret`](Self::expose_secret) gives it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(String);

impl SecretText {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for where it must leave the process.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText([redacted])")
    }
}

impl From<String> for SecretText {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretText {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl Serialize for SecretText {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

/// An amount as bunq sends it: a currency and a decimal string (`"12.50"`),
/// kept as text so no precision is lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Amount {
    /// The decimal value, for example `4118.00` (negative for money out).
    pub value: String,
    /// ISO 4217 code, for example `EUR`.
    pub currency: String,
}

impl Amount {
    /// An amount to send: a positive decimal with at most two decimals
    /// (`"12.5"`, `"0.01"`) and a three-letter currency code (`"EUR"`).
    ///
    /// ```
    /// # use bunq_oauth::Amount;
    /// assert_eq!(Amount::new("12.50", "EUR").unwrap().value, "12.50");
    /// assert!(Amount::new("1.234", "EUR").is_err());
    /// assert!(Amount::new("0", "EUR").is_err());
    /// assert!(Amount::new("5", "euro").is_err());
    /// ```
    pub fn new(value: &str, currency: &str) -> Result<Self> {
        let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let well_formed = !whole.is_empty()
            && whole.len() <= 15
            && digits(whole)
            && digits(fraction)
            && fraction.len() <= 2
            && (fraction.is_empty() != value.contains('.'));
        if !well_formed {
            return Err(Error::InvalidInput(format!(
                "amount `{value}`: expected a positive decimal with at most two decimals, such as 12.50"
            )));
        }
        if whole.bytes().chain(fraction.bytes()).all(|b| b == b'0') {
            return Err(Error::InvalidInput(format!(
                "amount `{value}`: must be more than zero"
            )));
        }
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::InvalidInput(format!(
                "currency `{currency}`: expected an ISO 4217 code such as EUR"
            )));
        }
        Ok(Amount {
            value: value.to_owned(),
            currency: currency.to_owned(),
        })
    }
}
