//! bunq's nouns as this crate returns them.
//!
//! Built from the bodies bunq really sends (bunq's user-provisioning guide), which carry more than the
//! OpenAPI schemas declare (`id`, `created`, `updated` on callback URLs).

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};

use crate::error::{Error, Result};
use crate::secret::ClientSecret;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The numeric id.
            pub fn get(self) -> u64 {
                self.0
            }

            /// The id as bunq's paths take it: a signed 64-bit integer (the
            /// spec's `integer`).
            #[allow(dead_code)] // not every kind of id is in a path yet
            pub(crate) fn path(self) -> Result<i64> {
                i64::try_from(self.0)
                    .map_err(|_| Error::InvalidInput(format!("id {} is out of range", self.0)))
            }

            /// An id as the generated operations answer it (the spec's
            /// `integer`); a negative one is not an id.
            #[allow(dead_code)] // not every kind of id is created yet
            pub(crate) fn from_api(id: i64) -> Result<Self> {
                u64::try_from(id).map(Self).map_err(|_| Error::UnexpectedEnvelope {
                    expected: "a positive id".into(),
                    found: id.to_string(),
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<u64> for $name {
            fn from(id: u64) -> Self {
                Self(id)
            }
        }
    };
}

id_type!(
    /// A bunq user id: the `{userID}` in every user-scoped path.
    UserId
);
id_type!(
    /// The numeric id of an OAuth client (used in paths; the OAuth flow uses
    /// the string [`OauthClientDetails::client_id`]).
    OauthClientId
);
id_type!(
    /// The id of a registered callback URL.
    CallbackUrlId
);
id_type!(
    /// The id of a monetary account.
    MonetaryAccountId
);

/// An OAuth client of a bunq user: what an app registers to send users
/// through bunq's authorization page.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct OauthClientDetails {
    /// The numeric id, used in API paths.
    pub id: OauthClientId,
    /// Whether the client can be used.
    pub status: OauthClientStatus,
    /// The name bunq shows the user, if set.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The public client id, used in the authorize URL and the token exchange.
    pub client_id: String,
    /// The client secret, used in the token exchange. Redacted in `Debug`.
    pub secret: ClientSecret,
    /// The registered redirect (callback) URLs.
    #[serde(rename = "callback_url", default, deserialize_with = "null_as_empty")]
    pub callback_urls: Vec<CallbackUrl>,
}

/// A redirect URL registered for an OAuth client. The authorize request's
/// `redirect_uri` must equal one of these exactly.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CallbackUrl {
    /// The id of this callback URL.
    pub id: CallbackUrlId,
    /// When it was registered (UTC).
    #[serde(deserialize_with = "bunq_timestamp")]
    pub created: DateTime<Utc>,
    /// When it was last changed (UTC).
    #[serde(deserialize_with = "bunq_timestamp")]
    pub updated: DateTime<Utc>,
    /// The URL.
    pub url: String,
}

/// The status of an OAuth client. Values bunq adds later arrive as
/// [`OauthClientStatus::Unknown`] instead of failing the call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OauthClientStatus {
    /// Usable.
    Active,
    /// Cancelled.
    Cancelled,
    /// Cancellation requested, not yet done.
    CancelledPending,
    /// A status this version of the crate does not know.
    Unknown(String),
}

impl OauthClientStatus {
    /// The status as bunq spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "ACTIVE",
            Self::Cancelled => "CANCELLED",
            Self::CancelledPending => "CANCELLED_PENDING",
            Self::Unknown(other) => other,
        }
    }
}

impl From<&str> for OauthClientStatus {
    fn from(s: &str) -> Self {
        match s {
            "ACTIVE" => Self::Active,
            "CANCELLED" => Self::Cancelled,
            "CANCELLED_PENDING" => Self::CancelledPending,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for OauthClientStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OauthClientStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Self::from(s.as_str()))
    }
}

/// The user a session acts as, as bunq's session-server (or `GET /user/{id}`)
/// returns it: one of four object types.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionUser {
    /// A natural person (`UserPerson`).
    Person(UserSummary),
    /// A company (`UserCompany`).
    Company(UserSummary),
    /// A payment service provider (`UserPaymentServiceProvider`).
    PaymentServiceProvider(UserSummary),
    /// An OAuth connection (`UserApiKey`): what a session opened with an OAuth
    /// access token acts as.
    ApiKey(OauthConnection),
}

impl SessionUser {
    /// bunq's object type name, for example `UserApiKey`.
    pub fn type_name(&self) -> &'static str {
        match self {
            SessionUser::Person(_) => "UserPerson",
            SessionUser::Company(_) => "UserCompany",
            SessionUser::PaymentServiceProvider(_) => "UserPaymentServiceProvider",
            SessionUser::ApiKey(_) => "UserApiKey",
        }
    }

    /// The id to use as `{userID}` in paths.
    pub fn id(&self) -> UserId {
        match self {
            SessionUser::Person(u)
            | SessionUser::Company(u)
            | SessionUser::PaymentServiceProvider(u) => u.id,
            SessionUser::ApiKey(k) => k.id,
        }
    }

    /// The session timeout in seconds that applies to a session of this user.
    /// For an OAuth connection bunq's sources disagree on whose setting
    /// governs, so the shorter of the two is used.
    pub fn session_timeout(&self) -> Option<u64> {
        match self {
            SessionUser::Person(u)
            | SessionUser::Company(u)
            | SessionUser::PaymentServiceProvider(u) => u.session_timeout,
            SessionUser::ApiKey(k) => {
                match (
                    k.requested_by_user.session_timeout(),
                    k.granted_by_user.session_timeout(),
                ) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        }
    }

    /// The object type names this crate decodes as a [`SessionUser`].
    pub(crate) const TYPE_NAMES: [&'static str; 4] = [
        "UserPerson",
        "UserCompany",
        "UserPaymentServiceProvider",
        "UserApiKey",
    ];

    /// Decodes the inner object of a `{"<type>": {…}}` user item.
    pub(crate) fn from_typed(type_name: &str, inner: &str) -> Result<Self, serde_json::Error> {
        Ok(match type_name {
            "UserPerson" => SessionUser::Person(serde_json::from_str(inner)?),
            "UserCompany" => SessionUser::Company(serde_json::from_str(inner)?),
            "UserPaymentServiceProvider" => {
                SessionUser::PaymentServiceProvider(serde_json::from_str(inner)?)
            }
            "UserApiKey" => SessionUser::ApiKey(serde_json::from_str(inner)?),
            other => {
                return Err(serde::de::Error::unknown_variant(other, &Self::TYPE_NAMES));
            }
        })
    }
}

/// `{"UserPerson": {…}}` and its siblings, as bunq nests them.
impl<'de> Deserialize<'de> for SessionUser {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map =
            std::collections::BTreeMap::<String, Box<serde_json::value::RawValue>>::deserialize(d)?;
        let mut entries = map.into_iter();
        match (entries.next(), entries.next()) {
            (Some((type_name, inner)), None) => {
                SessionUser::from_typed(&type_name, inner.get()).map_err(serde::de::Error::custom)
            }
            _ => Err(serde::de::Error::custom(
                "expected exactly one user object type",
            )),
        }
    }
}

/// The fields this crate reads from a person, company or PSP user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UserSummary {
    /// The user id.
    pub id: UserId,
    /// The name bunq shows.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The user's auto-logout setting in seconds: how long a session lasts.
    #[serde(default)]
    pub session_timeout: Option<u64>,
}

/// An OAuth connection between an app's owner and a bunq user.
///
/// Use [`OauthConnection::id`] as `{userID}` in paths; the items (accounts,
/// payments) are the granting user's.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OauthConnection {
    /// This connection's own user id: the `{userID}` for every call.
    pub id: UserId,
    /// The user that asked for access: the app's owner.
    pub requested_by_user: Box<SessionUser>,
    /// The bunq user who granted access.
    pub granted_by_user: Box<SessionUser>,
}

/// bunq's timestamp format: `2025-08-13 14:45:20.123456`, always UTC.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

/// Parses a bunq timestamp (UTC, no zone suffix).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    // Lists carry two timestamps per item; chrono's format-string parser was
    // 40% of decoding a page, so the exact shape bunq sends is read by hand.
    // Anything else goes to chrono, so what is accepted does not change.
    parse_timestamp_fast(text).or_else(|| parse_timestamp_chrono(text))
}

pub(crate) fn parse_timestamp_chrono(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, TIMESTAMP_FORMAT)
        .ok()
        .map(|naive| naive.and_utc())
}

/// `YYYY-MM-DD hh:mm:ss` with an optional `.` and 1 to 9 digits.
fn parse_timestamp_fast(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(digits)? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let year = i32::try_from(number(&b[0..4])?).ok()?;
    let date = chrono::NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..10])?)?;
    let time = chrono::NaiveTime::from_hms_nano_opt(
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
        nanos,
    )?;
    Some(date.and_time(time).and_utc())
}

/// Formats a time the way bunq does, with microseconds.
pub fn format_timestamp(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

fn bunq_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    parse_timestamp(&text).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "`{}` is not a bunq timestamp (YYYY-MM-DD hh:mm:ss.ffffff)",
            text.chars().take(40).collect::<String>()
        ))
    })
}

fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

// The handwritten models keep no JSON: the generated types of the same
// operations (`session.api()`) do.
impl crate::wire::Decode for OauthClientDetails {}
impl crate::wire::Decode for CallbackUrl {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_in_bunq_format() {
        let t = parse_timestamp("2025-08-13 14:45:20.123456").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-08-13T14:45:20.123456+00:00");
        assert_eq!(format_timestamp(&t), "2025-08-13 14:45:20.123456");
        assert!(parse_timestamp("2025-08-13T14:45:20Z").is_none());
        assert!(parse_timestamp("").is_none());
    }

    #[test]
    fn unknown_status_is_kept() {
        let s: OauthClientStatus = serde_json::from_str(r#""SUSPENDED""#).unwrap();
        assert_eq!(s, OauthClientStatus::Unknown("SUSPENDED".into()));
        assert_eq!(s.as_str(), "SUSPENDED");
    }

    #[test]
    fn secret_is_redacted_in_debug() {
        let client: OauthClientDetails = serde_json::from_str(
            r#"{"id":1,"status":"ACTIVE","display_name":null,"client_id":"c","secret":"hunter2","callback_url":[]}"#,
        )
        .unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("ClientSecret([redacted])"), "{debug}");
    }
}
