//! [`Session`]: a [`Client`] plus the credentials of one bunq user, renewed as
//! needed.
//!
//! The credentials sit behind one seam, [`Credentials`]: either a token
//! obtained elsewhere, or an [`ApiContext`] whose session this module renews
//! (proactively before it expires, and once when bunq answers that the
//! session is no longer valid). Renewals are single-flight and spaced by the
//! client's `min_session_interval`, since bunq allows one session-server call
//! per 30 seconds.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use chrono::Utc;

use crate::client::Client;
use crate::context::{ApiContext, open_session};
use crate::envelope::Reply;
use crate::error::{ApiError, Error, Result};
use crate::models::{SessionUser, UserId};
use crate::secret::SessionToken;
use crate::signing::PublicKey;
use crate::store::{ContextKey, ContextStore};
use crate::transport::{Call, CallOptions};

/// Renew when less than this much of the session is left.
const RENEW_MARGIN: chrono::Duration = chrono::Duration::seconds(30);

/// Acts as one bunq user. Cheap to clone; clones share one session and one
/// renewal.
#[derive(Debug, Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

#[derive(Debug)]
struct SessionInner {
    client: Client,
    credentials: Credentials,
}

/// Where a session's token, signing key and bunq's public key come from.
#[derive(Debug)]
enum Credentials {
    /// A token obtained elsewhere: used as is, never renewed.
    Token {
        user_id: UserId,
        token: SessionToken,
        server_key: Option<PublicKey>,
    },
    /// A full API context: signed requests, verified answers, renewal.
    Context(Renewing),
}

#[derive(Debug)]
struct Renewing {
    context: Mutex<ApiContext>,
    /// Held for the whole of a renewal; remembers when the last one happened.
    renewal: tokio::sync::Mutex<Option<Instant>>,
    /// Set for [`Session::from_store`]: renewals go through the store's lock
    /// and are saved there.
    store: Option<(Arc<dyn ContextStore>, ContextKey)>,
}

impl Session {
    /// A session over an [`ApiContext`]: signs what bunq requires, checks
    /// every answer's signature, and renews the session by itself.
    ///
    /// Fails if the context was created against another API URL than `client`'s.
    pub fn new(client: &Client, context: ApiContext) -> Result<Self> {
        Self::renewing(client, context, None)
    }

    fn renewing(
        client: &Client,
        context: ApiContext,
        store: Option<(Arc<dyn ContextStore>, ContextKey)>,
    ) -> Result<Self> {
        if context.api_url() != client.api_url() {
            return Err(Error::Config(format!(
                "the context belongs to {}, the client talks to {}",
                context.api_url(),
                client.api_url()
            )));
        }
        Ok(Self::from_credentials(
            client,
            Credentials::Context(Renewing {
                context: Mutex::new(context),
                renewal: tokio::sync::Mutex::new(None),
                store,
            }),
        ))
    }

    /// A session over the context stored under `key`. Its renewals are
    /// coordinated through the store: under the store's lock it first looks
    /// at the stored session, adopts it if another handle (another process,
    /// another app instance) already renewed, and otherwise makes the one
    /// session-server call and stores the result.
    ///
    /// Fails with [`StoreError::NotFound`](crate::store::StoreError::NotFound)
    /// if nothing is stored under `key`, and like [`new`](Self::new) if the
    /// context belongs to another API URL.
    pub async fn from_store(
        client: &Client,
        store: Arc<dyn ContextStore>,
        key: ContextKey,
    ) -> Result<Self> {
        let context = store
            .load(key)
            .await?
            .ok_or(crate::store::StoreError::NotFound { key })?;
        Self::renewing(client, context, Some((store, key)))
    }

    /// A session from a token obtained elsewhere, for the user `user_id`. It
    /// is never renewed. Answers can be checked only with bunq's public key:
    /// add it with [`with_server_key`](Self::with_server_key), or build the
    /// client with `verify_response_signatures(false)`.
    pub fn with_token(client: &Client, user_id: UserId, token: SessionToken) -> Self {
        Self::from_credentials(
            client,
            Credentials::Token {
                user_id,
                token,
                server_key: None,
            },
        )
    }

    /// Sets bunq's public key for a [`with_token`](Self::with_token) session.
    /// Has no effect on a session over an [`ApiContext`], which has its own.
    pub fn with_server_key(self, key: PublicKey) -> Self {
        let Credentials::Token { user_id, token, .. } = &self.inner.credentials else {
            return self;
        };
        Self::from_credentials(
            &self.inner.client,
            Credentials::Token {
                user_id: *user_id,
                token: token.clone(),
                server_key: Some(key),
            },
        )
    }

    fn from_credentials(client: &Client, credentials: Credentials) -> Self {
        Session {
            inner: Arc::new(SessionInner {
                client: client.clone(),
                credentials,
            }),
        }
    }

    /// The user this session acts as: the `{userID}` of every path.
    pub fn user_id(&self) -> UserId {
        match &self.inner.credentials {
            Credentials::Token { user_id, .. } => *user_id,
            Credentials::Context(r) => r.lock().user_id(),
        }
    }

    /// The user object from the latest session-server answer (`None` for a
    /// [`with_token`](Self::with_token) session).
    pub fn user(&self) -> Option<SessionUser> {
        match &self.inner.credentials {
            Credentials::Token { .. } => None,
            Credentials::Context(r) => Some(r.lock().user().clone()),
        }
    }

    /// A copy of the current context, with the latest session, to
    /// [`save`](ApiContext::save). `None` for a token session.
    pub fn context(&self) -> Option<ApiContext> {
        match &self.inner.credentials {
            Credentials::Token { .. } => None,
            Credentials::Context(r) => Some(r.lock().clone()),
        }
    }

    /// Saves the current context (see [`ApiContext::save`]).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        match self.context() {
            Some(context) => context.save(path),
            None => Err(Error::InvalidInput(
                "a session made from a bare token has no context to save".into(),
            )),
        }
    }

    /// The client this session sends through.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Sends one call with this session's credentials. Two refusals that
    /// bunq makes before handling a request (so nothing was done) are
    /// answered once: "session no longer valid" renews the session, and
    /// "signature required" makes the installation sign every request from
    /// then on.
    pub(crate) async fn send(&self, call: Call) -> Result<Reply> {
        let client = &self.inner.client;
        let first = self.options().await?;
        let stale = first.token.clone();
        let signed_everything = first.sign_everything;
        let result = client.send(&call, &first).await;
        let result = match (&result, &self.inner.credentials, stale) {
            (Err(Error::Api(api)), Credentials::Context(renewing), Some(stale))
                if session_invalid(api) =>
            {
                tracing::info!(
                    status = api.status,
                    "bunq says the session is no longer valid; renewing once"
                );
                renewing.renew(client, Some(&stale)).await?;
                client.send(&call, &self.options().await?).await
            }
            (Err(Error::Api(api)), Credentials::Context(renewing), _)
                if signature_required(api) && !signed_everything =>
            {
                let installation = renewing.lock().fixed.id();
                if client.sign_everything(installation) {
                    tracing::warn!(
                        status = api.status,
                        "bunq requires a signature on every request: this installation signs all of them from now on"
                    );
                }
                client.send(&call, &self.options().await?).await
            }
            _ => result,
        };
        self.touch(&result);
        result
    }

    /// The token, key and server key for the next attempt; renews first if
    /// the session is about to expire.
    async fn options(&self) -> Result<CallOptions> {
        match &self.inner.credentials {
            Credentials::Token {
                token, server_key, ..
            } => Ok(CallOptions {
                token: Some(token.clone()),
                server_key: server_key.clone(),
                ..Default::default()
            }),
            Credentials::Context(renewing) => {
                let expiring = renewing.lock().session.expires_at <= Utc::now() + RENEW_MARGIN;
                if expiring {
                    tracing::info!("the bunq session is about to expire; renewing");
                    renewing.renew(&self.inner.client, None).await?;
                }
                let context = renewing.lock();
                Ok(CallOptions {
                    token: Some(context.session.token.clone()),
                    signer: Some(context.fixed.key_pair.clone()),
                    server_key: Some(context.fixed.server_key.clone()),
                    unverifiable: false,
                    sign_everything: self.inner.client.signs_everything(|| context.fixed.id()),
                })
            }
        }
    }

    /// bunq extends a session each time it is used: move the local expiry.
    fn touch(&self, result: &Result<Reply>) {
        if let (Ok(_), Credentials::Context(renewing)) = (result, &self.inner.credentials) {
            let mut context = renewing.lock();
            let extended = Utc::now() + context.session.timeout;
            if extended > context.session.expires_at {
                context.session.expires_at = extended;
            }
        }
    }
}

impl Renewing {
    fn lock(&self) -> MutexGuard<'_, ApiContext> {
        // A poisoned lock only means another thread panicked mid-update of
        // plain data; the data is still the last complete session.
        self.context
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a new session unless another caller already did while this one
    /// waited. `stale` is the token bunq refused (reactive renewal); `None`
    /// means the session is expiring (proactive renewal).
    async fn renew(&self, client: &Client, stale: Option<&SessionToken>) -> Result<()> {
        let mut last = self.renewal.lock().await;
        {
            let context = self.lock();
            let fresh = context.session.expires_at > Utc::now() + RENEW_MARGIN;
            let replaced =
                stale.is_some_and(|s| s.expose_secret() != context.session.token.expose_secret());
            if replaced || (stale.is_none() && fresh) {
                return Ok(());
            }
        }
        if let Some(at) = *last {
            let wait = client
                .inner
                .min_session_interval
                .saturating_sub(at.elapsed());
            if !wait.is_zero() {
                tracing::info!(
                    wait_ms = wait.as_millis() as u64,
                    "waiting before the next session-server call (bunq allows one per 30 s)"
                );
                tokio::time::sleep(wait).await;
            }
        }
        let result = match &self.store {
            None => {
                let fixed = self.lock().fixed.clone();
                let session = open_session(client, &fixed).await;
                tracing::info!(ok = session.is_ok(), "asked bunq for a new session");
                session.map(|session| ApiContext { fixed, session })
            }
            Some((store, key)) => renew_in_store(client, store.as_ref(), *key, stale).await,
        };
        *last = Some(Instant::now());
        *self.lock() = result?;
        Ok(())
    }
}

/// A renewal under the store's lock: adopts the stored session if it is
/// fresh and not the one bunq refused (another handle renewed), else opens
/// a new one; the store saves the result.
async fn renew_in_store(
    client: &Client,
    store: &dyn ContextStore,
    key: ContextKey,
    stale: Option<&SessionToken>,
) -> Result<ApiContext> {
    let stale = stale.cloned();
    store
        .renew_locked(
            key,
            Box::new(move |current: ApiContext| {
                Box::pin(async move {
                    let refused = stale.as_ref().is_some_and(|s| {
                        s.expose_secret() == current.session.token.expose_secret()
                    });
                    let fresh = current.session.expires_at > Utc::now() + RENEW_MARGIN;
                    if fresh && !refused {
                        tracing::info!("adopted the session another handle on the store opened");
                        return Ok(current);
                    }
                    let session = open_session(client, &current.fixed).await?;
                    tracing::info!("opened a new bunq session");
                    Ok(ApiContext {
                        fixed: current.fixed,
                        session,
                    })
                })
            }),
        )
        .await
}

/// bunq's refusal of an unsigned request where it wants a signature: 466
/// "Request signature is required for this operation.".
fn signature_required(error: &ApiError) -> bool {
    error.status == 466
        || error.messages.iter().any(|m| {
            m.to_ascii_lowercase()
                .contains("request signature is required")
        })
}

/// bunq's answer to a request with an expired or closed session: 401 with
/// "Insufficient authorisation." or "Insufficient authentication.".
fn session_invalid(error: &ApiError) -> bool {
    error.status == 401
        && error.messages.iter().any(|m| {
            let m = m.to_ascii_lowercase();
            m.contains("insufficient authori") || m.contains("insufficient authenticat")
        })
}
