//! What bunq tells the app: the callbacks a notification filter asks for.
//!
//! A notification filter (`session.api().notification_filter_urls()` for the
//! user, `…notification_filter_url_for_user_monetary_accounts(account)` for one
//! account) names a category (`MUTATION`, `PAYMENT`, `DRAFT_PAYMENT`, …) and
//! an https URL; bunq then POSTs each event there as
//! `{"NotificationUrl":{"target_url","category","event_type","object":{"Payment":{…}}}}`.
//! [`CallbackReceiver`] turns such a request (its peer address and body
//! bytes, from any web framework) into a typed [`Notification`], or a typed
//! [`NotificationError`]:
//!
//! ```
//! use bunq_oauth::notifications::{CallbackReceiver, SourceCheck};
//! use bunq_oauth::api::NotificationObject;
//!
//! // The sandbox and the fake call from anywhere; production from bunq's range.
//! let receiver = CallbackReceiver::new().source(SourceCheck::any());
//! let body = br#"{"NotificationUrl":{"target_url":"https://app.example/bunq",
//!     "category":"MUTATION","event_type":"MUTATION_RECEIVED",
//!     "object":{"Payment":{"id":42,"amount":{"value":"12.50","currency":"EUR"}}}}}"#;
//! let event = receiver.receive("127.0.0.1".parse().unwrap(), body).unwrap();
//! assert_eq!(event.category, "MUTATION");
//! let NotificationObject::Payment(payment) = &event.object else { panic!() };
//! assert_eq!(payment.amount.as_ref().unwrap().value, "12.50");
//! // bunq retries a delivery it thinks failed: handle each event id once.
//! assert_eq!(event.event_id(), "MUTATION/MUTATION_RECEIVED/Payment/42");
//!
//! let production = CallbackReceiver::new(); // bunq's published range by default
//! assert!(production.receive("203.0.113.9".parse().unwrap(), body).is_err());
//! ```
//!
//! Registering a filter, and the route that receives what it asks for:
//!
//! ```
//! use bunq_oauth::NotificationFilter;
//! use bunq_oauth::notifications::{CallbackReceiver, SourceCheck};
//!
//! # #[tokio::main]
//! # async fn main() -> bunq_oauth::Result<()> {
//! # let fake = bunq_oauth_fake::FakeBunq::start().await.expect("the fake bunq");
//! # let client = bunq_oauth::Client::builder().environment(fake.environment()).build()?;
//! # let context = bunq_oauth::ApiContext::create(&client, fake.owner_api_key(), "app").await?;
//! # let session = bunq_oauth::Session::new(&client, context)?;
//! // Register: every MUTATION of the user's accounts goes to your https route.
//! let filter = NotificationFilter::new("MUTATION", "https://app.example/bunq")?;
//! session.notification_filters().add(&[filter]).await?;
//!
//! // In the route: the peer address and the body bytes, from any framework.
//! let receiver = CallbackReceiver::new(); // bunq production's 185.40.108.0/22 only
//! # let receiver = receiver.source(SourceCheck::any());
//! # let (peer, body) = ("127.0.0.1".parse().unwrap(), br#"{"NotificationUrl":{"category":"MUTATION","event_type":"MUTATION_RECEIVED","object":{"Payment":{"id":7}}}}"#);
//! let event = receiver.receive(peer, body)?;
//! // bunq retries deliveries: keep each event id once (a unique key in your database).
//! let mut seen = std::collections::HashSet::new();
//! if seen.insert(event.event_id()) {
//!     println!("{} {}", event.category, event.event_type);
//! }
//! # Ok(()) }
//! ```
//!
//! bunq documents no signature on callbacks: the source range (and https
//! with certificate pinning on bunq's side) is what there is. See
//! `docs/callbacks.md`.

pub(crate) mod error;

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::api::NotificationObject;
use crate::envelope::UnionItem;
pub use error::NotificationError;

/// bunq's production callbacks come from this range (bunq's API
/// documentation, "Callbacks").
pub const BUNQ_PRODUCTION_RANGE: &str = "185.40.108.0/22";

/// The largest body a [`CallbackReceiver`] reads by default: bunq's objects
/// are kilobytes.
pub const DEFAULT_MAX_BODY: usize = 256 * 1024;

/// One event bunq sent.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Notification {
    /// The filter's category: `MUTATION`, `PAYMENT`, `DRAFT_PAYMENT`,
    /// `REQUEST`, `CARD_TRANSACTION_SUCCESSFUL`, `OAUTH`, … (kept as text:
    /// bunq adds categories).
    pub category: String,
    /// What happened: `MUTATION_CREATED`, `MUTATION_RECEIVED`, …
    pub event_type: String,
    /// The URL bunq posted to, as it says.
    pub target_url: Option<String>,
    /// The object, by its wrapper key; a kind this build does not type is
    /// `NotificationObject::Unknown` with its JSON.
    pub object: NotificationObject,
    kind: String,
    id: Option<i64>,
    updated: Option<String>,
    /// SHA-256 of the object's JSON (16 bytes, hex): its identity without an id.
    digest: String,
}

impl Notification {
    /// Parses a callback body. Any bytes give a value or an error, never a
    /// panic; no size limit here (see [`CallbackReceiver`]).
    pub fn parse(body: &[u8]) -> Result<Notification, NotificationError> {
        #[derive(Deserialize)]
        struct Body {
            #[serde(rename = "NotificationUrl")]
            url: Url,
        }
        #[derive(Deserialize)]
        struct Url {
            target_url: Option<String>,
            category: String,
            event_type: String,
            object: BTreeMap<String, Box<RawValue>>,
        }
        #[derive(Deserialize)]
        struct Identity {
            id: Option<i64>,
            updated: Option<String>,
        }
        let parsed: Body = serde_json::from_slice(body)
            .map_err(|e| NotificationError::Malformed(e.to_string()))?;
        let url = parsed.url;
        let mut objects = url.object.into_iter();
        let (Some((kind, raw)), None) = (objects.next(), objects.next()) else {
            return Err(NotificationError::Malformed(
                "`object` must hold exactly one wrapper key".into(),
            ));
        };
        // A kind whose object does not fit this build's type (bunq changed
        // it) is kept as JSON: refusing it would lose the event for good.
        let object = match NotificationObject::from_item(&kind, &raw) {
            Ok(object) => object,
            Err(_) => NotificationObject::Unknown {
                key: kind.clone(),
                value: serde_json::from_str(raw.get())
                    .map_err(|e| NotificationError::Malformed(e.to_string()))?,
            },
        };
        // Any object may lack these; a wrong type is not the event's fault.
        let identity: Identity = serde_json::from_str(raw.get()).unwrap_or(Identity {
            id: None,
            updated: None,
        });
        // Without an id, the object's own bytes tell events apart.
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, raw.get().as_bytes());
        let digest: String = digest.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Notification {
            category: url.category,
            event_type: url.event_type,
            target_url: url.target_url,
            object,
            kind,
            id: identity.id,
            updated: identity.updated,
            digest,
        })
    }

    /// The object's wrapper key (`Payment`).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The object's id, if it has one.
    pub fn object_id(&self) -> Option<i64> {
        self.id
    }

    /// The event in a few words, for a list an app shows: the kind and id,
    /// then a payment's amount and description, or a status.
    pub fn summary(&self) -> String {
        let detail = match &self.object {
            NotificationObject::Payment(p) => {
                let amount = p
                    .amount
                    .as_ref()
                    .map(|a| format!("{} {}", a.value, a.currency))
                    .unwrap_or_default();
                format!("{amount} {}", p.description.as_deref().unwrap_or(""))
            }
            NotificationObject::DraftPayment(d) => d.status.clone().unwrap_or_default(),
            NotificationObject::RequestInquiry(r) => r.status.clone().unwrap_or_default(),
            NotificationObject::RequestResponse(r) => r.status.clone().unwrap_or_default(),
            _ => String::new(),
        };
        let id = self.id.map(|id| format!(" {id}")).unwrap_or_default();
        format!("{}{id} {detail}", self.kind).trim_end().to_owned()
    }

    /// The same for every delivery of one event, different for different
    /// events: `category/event_type/kind/id`, with the object's `updated`
    /// time appended when it has one (an object that changes again is a
    /// new event); an object without an id is named by a digest of its
    /// JSON. At most 200 characters (a longer one becomes a digest). bunq
    /// retries deliveries, so store events under this id and handle each once.
    pub fn event_id(&self) -> String {
        let id = self
            .id
            .map_or_else(|| format!("sha256:{}", self.digest), |id| id.to_string());
        let mut event_id = format!("{}/{}/{}/{id}", self.category, self.event_type, self.kind);
        if let Some(updated) = &self.updated {
            event_id.push('/');
            event_id.push_str(updated);
        }
        if event_id.len() > 200 {
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, event_id.as_bytes());
            return digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        }
        event_id
    }
}

/// Which sender addresses a [`CallbackReceiver`] accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCheck {
    /// `None`: any address.
    ranges: Option<Vec<(IpAddr, u8)>>,
}

impl SourceCheck {
    /// bunq production's published range, [`BUNQ_PRODUCTION_RANGE`].
    pub fn bunq_production() -> Self {
        // The constant parses; were it not to, nothing would be allowed.
        Self::ranges([BUNQ_PRODUCTION_RANGE]).unwrap_or(SourceCheck {
            ranges: Some(Vec::new()),
        })
    }

    /// Any address: for bunq's sandbox (whose callbacks come from elsewhere)
    /// and the fake.
    pub fn any() -> Self {
        SourceCheck { ranges: None }
    }

    /// These ranges (`185.40.108.0/22`, `2001:db8::/32`, or one address).
    pub fn ranges<I, S>(ranges: I) -> Result<Self, NotificationError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let parsed = ranges
            .into_iter()
            .map(|range| parse_range(range.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SourceCheck {
            ranges: Some(parsed),
        })
    }

    /// Whether `peer` may send callbacks (an IPv4 address mapped into IPv6,
    /// as a dual-stack socket reports it, counts as the IPv4 address).
    pub fn allows(&self, peer: IpAddr) -> bool {
        let Some(ranges) = &self.ranges else {
            return true;
        };
        let peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
            v4 => v4,
        };
        ranges
            .iter()
            .any(|(network, bits)| in_range(peer, *network, *bits))
    }
}

impl Default for SourceCheck {
    fn default() -> Self {
        Self::bunq_production()
    }
}

fn parse_range(text: &str) -> Result<(IpAddr, u8), NotificationError> {
    let bad = || NotificationError::BadRange(text.to_owned());
    let (address, bits) = match text.split_once('/') {
        Some((address, bits)) => (address, Some(bits)),
        None => (text, None),
    };
    let address: IpAddr = address.trim().parse().map_err(|_| bad())?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        Some(bits) => bits.trim().parse::<u8>().map_err(|_| bad())?,
        None => max,
    };
    if bits > max {
        return Err(bad());
    }
    Ok((address, bits))
}

fn in_range(peer: IpAddr, network: IpAddr, bits: u8) -> bool {
    let mask = |width: u32| -> u128 {
        if bits == 0 {
            0
        } else {
            (u128::MAX << (width - u32::from(bits))) & (u128::MAX >> (128 - width))
        }
    };
    match (peer, network) {
        (IpAddr::V4(p), IpAddr::V4(n)) => {
            let m = mask(32);
            (u128::from(u32::from(p)) & m) == (u128::from(u32::from(n)) & m)
        }
        (IpAddr::V6(p), IpAddr::V6(n)) => {
            let m = mask(128);
            (u128::from(p) & m) == (u128::from(n) & m)
        }
        _ => false,
    }
}

/// Checks and parses the callbacks an app receives: the sender's address,
/// the body's size, then the body. Framework-agnostic: give it the peer
/// address and the body bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackReceiver {
    source: SourceCheck,
    max_body: usize,
}

impl Default for CallbackReceiver {
    fn default() -> Self {
        Self::new()
    }
}

impl CallbackReceiver {
    /// bunq production's source range, bodies up to [`DEFAULT_MAX_BODY`].
    pub fn new() -> Self {
        CallbackReceiver {
            source: SourceCheck::default(),
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Which senders to accept.
    pub fn source(mut self, source: SourceCheck) -> Self {
        self.source = source;
        self
    }

    /// The largest body to accept, in bytes.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The largest body this receiver accepts: read no more than this from
    /// the request (and refuse the request if there is more).
    pub fn body_limit(&self) -> usize {
        self.max_body
    }

    /// One callback: refused if the peer is not allowed or the body is too
    /// large, else parsed.
    pub fn receive(&self, peer: IpAddr, body: &[u8]) -> Result<Notification, NotificationError> {
        if !self.source.allows(peer) {
            return Err(NotificationError::SourceNotAllowed { peer });
        }
        if body.len() > self.max_body {
            return Err(NotificationError::TooLarge {
                size: body.len(),
                limit: self.max_body,
            });
        }
        Notification::parse(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bunqs_range_holds_its_addresses_and_no_others() {
        let check = SourceCheck::bunq_production();
        for inside in [
            "185.40.108.0",
            "185.40.109.17",
            "185.40.111.255",
            "::ffff:185.40.110.1",
        ] {
            assert!(check.allows(inside.parse().unwrap()), "{inside}");
        }
        for outside in [
            "185.40.107.255",
            "185.40.112.0",
            "10.0.0.1",
            "::1",
            "2001:db8::1",
        ] {
            assert!(!check.allows(outside.parse().unwrap()), "{outside}");
        }
    }

    #[test]
    fn ranges_parse_or_say_which_does_not() {
        let check = SourceCheck::ranges(["2001:db8::/32", "127.0.0.1"]).unwrap();
        assert!(check.allows("2001:db8:1::5".parse().unwrap()));
        assert!(check.allows("127.0.0.1".parse().unwrap()));
        assert!(!check.allows("127.0.0.2".parse().unwrap()));
        assert!(
            SourceCheck::ranges(["0.0.0.0/0"])
                .unwrap()
                .allows("8.8.8.8".parse().unwrap())
        );
        for bad in ["185.40.108.0/33", "not-an-ip", "10.0.0.0/x", "::/129"] {
            assert_eq!(
                SourceCheck::ranges([bad]),
                Err(NotificationError::BadRange(bad.into()))
            );
        }
    }

    #[test]
    fn a_body_that_is_not_one_callback_is_refused() {
        for body in [
            &b""[..],
            b"{}",
            b"[]",
            br#"{"NotificationUrl":{"category":"MUTATION","event_type":"X","object":{}}}"#,
            br#"{"NotificationUrl":{"category":"MUTATION","event_type":"X","object":{"A":{},"B":{}}}}"#,
            br#"{"NotificationUrl":{"event_type":"X","object":{"Payment":{}}}}"#,
        ] {
            assert!(
                matches!(Notification::parse(body), Err(NotificationError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn a_kind_this_build_does_not_type_keeps_its_json() {
        let body = br#"{"NotificationUrl":{"category":"SUPPORT","event_type":"CHAT_MESSAGE",
            "object":{"SomethingNew":{"id":7,"text":"hi"}}}}"#;
        let event = Notification::parse(body).unwrap();
        let NotificationObject::Unknown { key, value } = &event.object else {
            panic!("{:?}", event.object);
        };
        assert_eq!(key, "SomethingNew");
        assert_eq!(value["text"], "hi");
        assert_eq!(event.event_id(), "SUPPORT/CHAT_MESSAGE/SomethingNew/7");
    }

    #[test]
    fn an_object_that_does_not_fit_its_type_or_has_no_id_is_kept_apart() {
        // A Payment whose id is text: kept as JSON, not refused.
        let odd = br#"{"NotificationUrl":{"category":"M","event_type":"X","object":{"Payment":{"id":"x"}}}}"#;
        let event = Notification::parse(odd).unwrap();
        assert!(matches!(event.object, NotificationObject::Unknown { .. }));
        // Two objects without ids are two events; the same one twice is one.
        let body = |text: &str| {
            format!(
                r#"{{"NotificationUrl":{{"category":"C","event_type":"E","object":{{"New":{{"text":"{text}"}}}}}}}}"#
            )
        };
        let (a, b) = (
            Notification::parse(body("a").as_bytes()).unwrap(),
            Notification::parse(body("b").as_bytes()).unwrap(),
        );
        assert_ne!(a.event_id(), b.event_id());
        assert_eq!(
            a.event_id(),
            Notification::parse(body("a").as_bytes())
                .unwrap()
                .event_id()
        );
        // A huge `updated` does not make a huge id.
        let long = format!(
            r#"{{"NotificationUrl":{{"category":"C","event_type":"E","object":{{"Payment":{{"id":1,"updated":"{}"}}}}}}}}"#,
            "9".repeat(5000)
        );
        assert!(
            Notification::parse(long.as_bytes())
                .unwrap()
                .event_id()
                .len()
                <= 200
        );
    }

    #[test]
    fn too_large_or_from_elsewhere_is_refused_before_parsing() {
        let receiver = CallbackReceiver::new().max_body(10);
        let peer = "185.40.108.5".parse().unwrap();
        assert_eq!(
            receiver.receive(peer, &[b'x'; 11]).unwrap_err(),
            NotificationError::TooLarge {
                size: 11,
                limit: 10
            }
        );
        let outside = "192.0.2.1".parse().unwrap();
        assert_eq!(
            receiver.receive(outside, b"{}").unwrap_err(),
            NotificationError::SourceNotAllowed { peer: outside }
        );
    }
}
