#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod account_summaries;
pub mod api;
mod client;
mod context;
mod envelope;
mod environment;
mod error;
mod generated;
#[cfg(test)]
mod hostile_input;
mod models;
mod notification_filters;
pub mod notifications;
pub mod oauth;
mod oauth_clients;
mod pacing;
mod pagination;
mod private_file;
pub mod psd2;
mod redact;
mod retry;
pub mod sandbox;
mod secret;
mod session;
pub mod signing;
pub mod store;
mod transport;
mod values;
mod wire;

pub use account_summaries::{AccountSummaries, AccountSummary};
pub use api::Amount;
pub use client::{Client, ClientBuilder};
pub use context::{ApiContext, ApiContextBuilder, CONTEXT_FILE_VERSION, Psd2Registration};
pub use environment::Environment;
pub use error::{ApiError, BoxError, Error, Result};
pub use models::{
    CallbackUrl, CallbackUrlId, MonetaryAccountId, OauthClientDetails, OauthClientId,
    OauthClientStatus, OauthConnection, SessionUser, UserId, UserSummary, format_timestamp,
    parse_timestamp,
};
pub use notification_filters::{NotificationFilter, NotificationFilters};
pub use oauth::{AuthorizationRequest, OAuthConfig, OAuthError, parse_callback};
pub use oauth_clients::{CallbackUrlManager, OauthClientManager};
#[cfg(feature = "postgres")]
pub use pacing::PostgresBudget;
pub use pacing::{Limit, LimitScope, RateLimits};
pub use pagination::{MAX_PAGE_SIZE, Page, PageRequest, PagedList, Pagination};
pub use retry::RetryPolicy;
pub use secret::{
    AccessToken, ApiKey, AuthorizationCode, ClientSecret, CsrfState, InstallationToken,
    PrivateKeyPem, SessionToken,
};
pub use session::Session;
pub use signing::SigningPolicy;

/// Entry points for `benches/`: not part of the API, may change at any time.
/// Each decoder is the one the operations use (`envelope.rs`), except the
/// floor.
#[doc(hidden)]
pub mod bench_support {
    use crate::envelope::Reply;

    /// Decodes a callback-URL list body as `callback_urls(id).list()` does
    /// (the handwritten model, nothing kept).
    pub fn decode_callback_url_page(body: &[u8]) -> crate::Result<crate::Page<crate::CallbackUrl>> {
        crate::envelope::decode_list(&reply(body))
    }

    /// A decoder of one callback-URL list body as `api().callback_urls(id)
    /// .list()` decodes it (each object's JSON kept): the body is read once,
    /// each call decodes it and returns the number of items.
    pub fn callback_url_page_decoder(body: &[u8]) -> impl Fn() -> crate::Result<usize> {
        let reply = reply(body);
        move || {
            crate::envelope::decode_list::<crate::api::types::OauthCallbackUrlRead>(&reply)
                .map(|page| page.items.len())
        }
    }

    /// A decoder of one payment list body as `payments(account).list()`
    /// decodes it (each object's JSON kept).
    pub fn payment_page_decoder(body: &[u8]) -> impl Fn() -> crate::Result<usize> {
        let reply = reply(body);
        move || {
            crate::envelope::decode_list::<crate::api::types::PaymentRead>(&reply)
                .map(|page| page.items.len())
        }
    }

    /// The floor: the same body into the same types by serde_json alone, as
    /// `{"Response":[{"Payment":…}]}`: no envelope checks, nothing kept.
    pub fn payment_page_floor(body: &[u8]) -> impl Fn() -> crate::Result<usize> {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(rename = "Response")]
            response: Vec<Item>,
        }
        #[derive(serde::Deserialize)]
        struct Item {
            #[serde(rename = "Payment")]
            _payment: crate::api::types::PaymentRead,
        }
        let body = body.to_vec();
        move || {
            serde_json::from_slice::<Body>(&body)
                .map(|b| b.response.len())
                .map_err(|e| crate::Error::decode("Payment", String::new(), e, &body))
        }
    }

    fn reply(body: &[u8]) -> Reply {
        Reply {
            operation: "bench",
            body: bytes::Bytes::copy_from_slice(body),
            unknown_fields: crate::wire::UnknownFields::Keep,
        }
    }
}
