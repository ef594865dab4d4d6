//! [`Session`]: a [`Client`] plus the credentials of one bunq user.

use std::future::Future;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::generated;
use crate::models::{OauthClientId, UserId};
use crate::oauth_clients::{CallbackUrls, OauthClients};
use crate::secret::SessionToken;
use crate::transport::{CallOptions, RawResult, Reply};

/// Acts as one bunq user. Cheap to clone.
///
/// The credentials come from one seam: today a session token you already have
/// ([`Session::with_token`]).
#[derive(Debug, Clone)]
pub struct Session {
    client: Client,
    user_id: UserId,
    token: SessionToken,
}

impl Session {
    /// A session from a token obtained elsewhere, for the user `user_id`.
    pub fn with_token(client: &Client, user_id: UserId, token: SessionToken) -> Self {
        Session {
            client: client.clone(),
            user_id,
            token,
        }
    }

    /// The user this session acts as: the `{userID}` of every path.
    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// The client this session sends through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The user's OAuth clients.
    pub fn oauth_clients(&self) -> OauthClients<'_> {
        OauthClients::new(self)
    }

    /// The callback URLs of one of the user's OAuth clients.
    pub fn callback_urls(&self, oauth_client: OauthClientId) -> CallbackUrls<'_> {
        CallbackUrls::new(self, oauth_client)
    }

    /// Sends one generated operation with this session's credentials.
    pub(crate) async fn send<F, Fut>(
        &self,
        query: Vec<(&'static str, String)>,
        op: F,
    ) -> Result<Reply>
    where
        F: FnOnce(generated::Client) -> Fut,
        Fut: Future<Output = RawResult>,
    {
        let options = CallOptions {
            token: Some(&self.token),
            query,
        };
        self.client.send(options, op).await
    }
}

/// bunq's paths take ids as signed 64-bit integers (the spec's `integer`).
pub(crate) fn path_id(id: u64) -> Result<i64> {
    i64::try_from(id).map_err(|_| Error::InvalidInput(format!("id {id} is out of range")))
}
