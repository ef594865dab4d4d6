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

/// A number as bunq sent it, kept as its exact decimal text.
///
/// bunq's spec declares some numbers `integer` that bunq sends with
/// fractions (a geolocation's `52.387862883215`), so every number that is
/// not an identifier decodes as this type: any JSON number (or a string
/// holding one) is accepted and no digit is lost, as `f64` or `i64` would
/// lose them. Amounts are [`Amount`], never a `Number`.
///
/// ```
/// use bunq_oauth::api::Number;
/// let n: Number = serde_json::from_str("52.387862883215").unwrap();
/// assert_eq!(n.as_str(), "52.387862883215");
/// assert_eq!(n.as_i64(), None);
/// assert_eq!(Number::from(300).as_i64(), Some(300));
/// assert_eq!(serde_json::to_string(&n).unwrap(), "52.387862883215");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number(Box<str>);

impl Number {
    /// The number's text exactly as bunq sent it (`"52.387862883215"`).
    /// Two numbers are equal when their texts are: `1.0` is not `1`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value, if it is an integer that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The value, if it is an integer that fits a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }

    /// The nearest `f64` (which may round a long fraction).
    pub fn as_f64(&self) -> f64 {
        // The text is a valid JSON number, which Rust's parser accepts.
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({})", self.0)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Number {
    type Err = Error;

    /// Parses JSON number text (`-12`, `0.5`, `1e3`).
    fn from_str(text: &str) -> Result<Self> {
        if is_json_number(text) {
            Ok(Number(text.into()))
        } else {
            Err(Error::InvalidInput(format!("`{text}` is not a number")))
        }
    }
}

macro_rules! number_from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(value: $t) -> Self {
                Number(value.to_string().into())
            }
        }
    )*};
}
number_from_integer!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if let Some(n) = self.as_i64() {
            s.serialize_i64(n)
        } else if let Some(n) = self.as_u64() {
            s.serialize_u64(n)
        } else {
            // serde_json writes a raw value's text as it is: no digit lost.
            let raw = serde_json::value::RawValue::from_string(self.0.to_string())
                .map_err(serde::ser::Error::custom)?;
            raw.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        // The raw JSON text, so no digit goes through a float.
        let raw = <Box<serde_json::value::RawValue>>::deserialize(d)?;
        let text = raw.get();
        let number = match text.strip_prefix('"') {
            // A number sent as a string ("52.1") is still that number.
            Some(_) => serde_json::from_str::<String>(text)
                .ok()
                .filter(|s| is_json_number(s)),
            None => is_json_number(text).then(|| text.to_owned()),
        };
        number
            .map(|n| Number(n.into()))
            .ok_or_else(|| serde::de::Error::custom("not a number"))
    }
}

/// JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(text: &str) -> bool {
    fn digits(s: &[u8]) -> usize {
        s.iter().take_while(|b| b.is_ascii_digit()).count()
    }
    let mut s = text.as_bytes();
    if let [b'-', rest @ ..] = s {
        s = rest;
    }
    let whole = digits(s);
    if whole == 0 || (whole > 1 && s[0] == b'0') {
        return false;
    }
    s = &s[whole..];
    if let [b'.', rest @ ..] = s {
        let n = digits(rest);
        if n == 0 {
            return false;
        }
        s = &rest[n..];
    }
    if let [b'e' | b'E', rest @ ..] = s {
        let rest = match rest {
            [b'+' | b'-', r @ ..] => r,
            r => r,
        };
        let n = digits(rest);
        if n == 0 {
            return false;
        }
        s = &rest[n..];
    }
    s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_any_json_number_or_a_string_holding_one_and_nothing_else() {
        let decode = |text: &str| serde_json::from_str::<Number>(text).map(|n| n.to_string());
        for (text, exact) in [
            ("0", "0"),
            ("-12", "-12"),
            ("52.387862883215", "52.387862883215"),
            ("1e400", "1e400"),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
            (r#""4.5""#, "4.5"),
        ] {
            assert_eq!(decode(text).unwrap(), exact, "{text}");
        }
        for text in [
            r#""abc""#, r#""01""#, r#""1.""#, r#""""#, "true", "{}", "[1]", "null",
        ] {
            assert!(decode(text).is_err(), "{text}");
        }
        assert!("-0.5e-3".parse::<Number>().is_ok());
        assert!("+1".parse::<Number>().is_err());
        // Integers serialize as integers; the rest as their exact text.
        let n: Number = "123456789012345678901234567890".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&n).unwrap(),
            "123456789012345678901234567890"
        );
        assert_eq!(serde_json::to_string(&Number::from(7u8)).unwrap(), "7");
    }
}
