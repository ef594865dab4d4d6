#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod envelope;
mod error;
mod generated;
mod models;
mod oauth_clients;
mod pagination;
mod secret;
mod session;
mod transport;

pub use client::{Client, ClientBuilder, Environment};
pub use error::{ApiError, BoxError, Error, Result};
pub use models::{
    CallbackUrlId, OauthCallbackUrl, OauthClient, OauthClientId, OauthClientStatus, UserId,
    format_timestamp, parse_timestamp,
};
pub use oauth_clients::{CallbackUrls, OauthClients};
pub use pagination::{MAX_PAGE_SIZE, Page, PageRequest, Pagination};
pub use secret::{ClientSecret, SessionToken};
pub use session::Session;
