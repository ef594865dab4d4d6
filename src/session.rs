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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::client::Client;
use crate::context::{
    ApiContext, Installation, SessionState, open_session, open_session_in, session_call,
};
use crate::envelope::Reply;
use crate::error::{ApiError, Error, Result};
use crate::models::{SessionUser, UserId};
use crate::secret::{InstallationToken, SessionToken};
use crate::signing::PublicKey;
use crate::store::{ContextKey, ContextStore};
use crate::transport::{Call, CallOptions, Place};

/// Renew when less than this much of a session is left: 30 s, or a fifth
/// of the session's timeout if that is shorter (a session of a few seconds
/// would otherwise always look expiring).
fn renew_margin(timeout: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(timeout / 5)
        .unwrap_or(chrono::Duration::MAX)
        .min(chrono::Duration::seconds(30))
}

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
    Context(Box<Renewing>),
}

#[derive(Debug)]
struct Renewing {
    context: Mutex<ApiContext>,
    /// Held for the whole of a renewal; remembers when the last one happened.
    renewal: tokio::sync::Mutex<Option<Instant>>,
    /// Set for [`Session::from_store`]: renewals go through the store's lock
    /// and are saved there.
    store: Option<(Arc<dyn ContextStore>, ContextKey)>,
    /// The expiry last written to the store (uses extend it; see `touch`).
    stored_expiry: Mutex<DateTime<Utc>>,
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
        let stored_expiry = Mutex::new(context.session.expires_at);
        Ok(Self::from_credentials(
            client,
            Credentials::Context(Box::new(Renewing {
                stored_expiry,
                context: Mutex::new(context),
                renewal: tokio::sync::Mutex::new(None),
                store,
            })),
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
                let margin = renewing.margin();
                renewing.renew(client, Some(&stale), margin).await?;
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
                let margin = renewing.margin();
                let expiring = renewing.lock().session.expires_at <= Utc::now() + margin;
                if expiring {
                    tracing::info!("the bunq session is about to expire; renewing");
                    renewing.renew(&self.inner.client, None, margin).await?;
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

    /// Renews the session now if it would expire within `ahead`, so that no
    /// call has to wait for a renewal later; answers whether bunq was asked
    /// for a new session. `ahead` counts up to half the session's timeout:
    /// a session used or renewed within the last half of its timeout is
    /// never renewed.
    ///
    /// bunq extends a session each time it is used, so an active user's
    /// session is never renewed: the expiry this checks moves with every
    /// answer, and a session from [`from_store`](Self::from_store) also
    /// sees what other handles (other app instances) stored, uses included.
    /// Across handles on one store the renewal happens once: the others
    /// adopt it. Sessions from a token obtained elsewhere are never renewed.
    ///
    /// Run it for idle users' sessions from time to time, one at a time: each
    /// renewal is a session-server call, and bunq allows one per 30 s.
    ///
    /// ```no_run
    /// # async fn run(sessions: Vec<bunq_oauth::Session>) -> bunq_oauth::Result<()> {
    /// use std::time::Duration;
    /// loop {
    ///     for session in &sessions {
    ///         session.renew_ahead(Duration::from_secs(600)).await?;
    ///     }
    ///     tokio::time::sleep(Duration::from_secs(60)).await;
    /// }
    /// # }
    /// ```
    pub async fn renew_ahead(&self, ahead: std::time::Duration) -> Result<bool> {
        let Credentials::Context(renewing) = &self.inner.credentials else {
            return Ok(false);
        };
        let timeout = renewing.lock().session.timeout;
        // At most half the timeout: a session used or renewed within the
        // last half of its timeout is not renewed (a new one would last no
        // longer).
        let ahead = chrono::Duration::from_std(ahead.min(timeout / 2))
            .unwrap_or(chrono::Duration::MAX)
            .max(renewing.margin());
        let due = Utc::now()
            .checked_add_signed(ahead)
            .is_none_or(|at| renewing.lock().session.expires_at <= at);
        if !due {
            return Ok(false);
        }
        renewing.renew(&self.inner.client, None, ahead).await
    }

    /// bunq extends a session each time it is used: move the local expiry,
    /// and now and then the stored one, so that other handles on the store
    /// know the session is in use and do not renew it ahead of time.
    fn touch(&self, result: &Result<Reply>) {
        let (Ok(_), Credentials::Context(renewing)) = (result, &self.inner.credentials) else {
            return;
        };
        let (token, extended, timeout) = {
            let mut context = renewing.lock();
            let extended = Utc::now() + context.session.timeout;
            if extended <= context.session.expires_at {
                return;
            }
            context.session.expires_at = extended;
            (
                context.session.token.clone(),
                extended,
                context.session.timeout,
            )
        };
        let Some((store, key)) = &renewing.store else {
            return;
        };
        // A store write per quarter of the timeout at most, per user and handle.
        {
            let mut stored = renewing
                .stored_expiry
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let quarter = chrono::Duration::from_std(timeout / 4).unwrap_or(chrono::Duration::MAX);
            if extended - *stored < quarter {
                return;
            }
            *stored = extended;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (store, key) = (store.clone(), *key);
        runtime.spawn(async move {
            let written = store
                .renew_locked(
                    key,
                    Box::new(move |mut current: ApiContext| {
                        Box::pin(async move {
                            // Only the same session, and only later: a renewal
                            // stored meanwhile stays.
                            if current.session.token.expose_secret() == token.expose_secret()
                                && current.session.expires_at < extended
                            {
                                current.session.expires_at = extended;
                            }
                            Ok(current)
                        })
                    }),
                )
                .await;
            if let Err(error) = written {
                tracing::debug!(%error, "could not store the session's extended expiry");
            }
        });
    }
}

impl Renewing {
    /// How much of the session must be left for it to count as fresh.
    fn margin(&self) -> chrono::Duration {
        renew_margin(self.lock().session.timeout)
    }

    fn lock(&self) -> MutexGuard<'_, ApiContext> {
        // A poisoned lock only means another thread panicked mid-update of
        // plain data; the data is still the last complete session.
        self.context
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a new session unless another caller already did while this one
    /// waited. `stale` is the token bunq refused (reactive renewal); `None`
    /// means the session expires within `margin` (proactive renewal).
    /// Answers whether bunq was asked for a new session.
    async fn renew(
        &self,
        client: &Client,
        stale: Option<&SessionToken>,
        margin: chrono::Duration,
    ) -> Result<bool> {
        let mut last = self.renewal.lock().await;
        {
            let context = self.lock();
            let fresh = context.session.expires_at > Utc::now() + margin;
            let replaced =
                stale.is_some_and(|s| s.expose_secret() != context.session.token.expose_secret());
            if replaced || (stale.is_none() && fresh) {
                return Ok(false);
            }
        }
        let why = match stale {
            Some(stale) => Why::Refused(stale.clone()),
            None => Why::Expiring(self.lock().session.token.clone(), margin),
        };
        if let Some(at) = *last {
            let wait = client
                .inner
                .min_session_interval
                .saturating_sub(at.elapsed());
            if !wait.is_zero() {
                // Another handle on the store may have renewed or used the
                // session meanwhile: adopt that rather than wait for a
                // session-server call that is not needed.
                if let Some((store, key)) = &self.store
                    && let Some(current) = adoptable(store.as_ref(), *key, &why).await
                {
                    tracing::info!(
                        "adopted the session another handle on the store opened or extended"
                    );
                    self.adopt(current);
                    return Ok(false);
                }
                tracing::info!(
                    wait_ms = wait.as_millis() as u64,
                    "waiting before the next session-server call (bunq allows one per 30 s)"
                );
                tokio::time::sleep(wait).await;
            }
        }
        let asked = AtomicBool::new(false);
        let result = match &self.store {
            None => {
                let fixed = self.lock().fixed.clone();
                asked.store(true, Ordering::Relaxed);
                let session = open_session(client, &fixed).await;
                tracing::info!(ok = session.is_ok(), "asked bunq for a new session");
                session.map(|session| ApiContext { fixed, session })
            }
            Some((store, key)) => {
                let fixed = self.lock().fixed.clone();
                renew_through_store(client, store.as_ref(), *key, &why, &asked, &fixed).await
            }
        };
        let asked = asked.load(Ordering::Relaxed);
        if asked {
            *last = Some(Instant::now());
        }
        self.adopt(result?);
        Ok(asked)
    }

    /// Uses `context` from now on: a renewal's result, or what the store has.
    fn adopt(&self, context: ApiContext) {
        *self.stored_expiry.lock().unwrap_or_else(|p| p.into_inner()) = context.session.expires_at;
        *self.lock() = context;
    }
}

/// Why a session is renewed.
enum Why {
    /// bunq refused this token.
    Refused(SessionToken),
    /// This token's session expires within the margin.
    Expiring(SessionToken, chrono::Duration),
}

impl Why {
    /// Whether the stored session makes a session-server call unneeded:
    /// another handle renewed it (a token other than ours), or, for an
    /// expiring session, used it so that it no longer expires soon.
    fn adopts(&self, stored: &SessionState, now: DateTime<Utc>) -> bool {
        let same = |token: &SessionToken| token.expose_secret() == stored.token.expose_secret();
        let alive = stored.expires_at > now + renew_margin(stored.timeout);
        match self {
            Why::Refused(stale) => alive && !same(stale),
            Why::Expiring(ours, margin) => {
                alive && (!same(ours) || stored.expires_at > now + *margin)
            }
        }
    }
}

/// A renewal through the store. bunq allows one session-server call per
/// 30 s, and a wait for it under the store's lock would hold up every write
/// to the user (to all of a SQLite store): the place is waited for first,
/// adopting what another handle stores meanwhile, then the session is
/// renewed under the lock in that place. A call bunq refused for its rate
/// limit or that never connected goes round again, for its retry needs a new
/// place, waited for outside the lock too.
async fn renew_through_store(
    client: &Client,
    store: &dyn ContextStore,
    key: ContextKey,
    why: &Why,
    asked: &AtomicBool,
    fixed: &Installation,
) -> Result<ApiContext> {
    let (call, options) = session_call(fixed)?;
    // Rounds that went again: for a place that could not serve, and for a
    // call the retry policy allows to go again.
    let (mut late, mut retries) = (0, 0);
    loop {
        if let Some(current) = adoptable(store, key, why).await {
            return Ok(current);
        }
        let place = tokio::select! {
            biased;
            place = client.take_place(&call, &options) => place,
            current = stored_renewal(store, key, why) => return Ok(current),
        };
        let place = match place {
            Ok(place) => place,
            // The deadline passed: a session stored meanwhile still serves.
            Err(error) => return adoptable(store, key, why).await.ok_or(error),
        };
        let needs_place = AtomicBool::new(false);
        let result = renew_in_store(
            client,
            store,
            key,
            why,
            asked,
            place,
            &fixed.installation_token,
            &needs_place,
        )
        .await;
        let again = if needs_place.load(Ordering::Relaxed) {
            late += 1;
            late <= 2
        } else if result.as_ref().is_err_and(crate::retry::needs_a_new_place) {
            retries += 1;
            retries <= client.inner.retry.max_retries
        } else {
            false
        };
        if !again {
            return result;
        }
        tracing::warn!("renewing again, in a new place under bunq's rate limits");
    }
}

/// The stored context, if its session makes a renewal for `why` unneeded
/// (see [`Why::adopts`]); a store that cannot be read makes it needed.
async fn adoptable(store: &dyn ContextStore, key: ContextKey, why: &Why) -> Option<ApiContext> {
    let current = store.load(key).await.ok()??;
    why.adopts(&current.session, Utc::now()).then_some(current)
}

/// Waits until [`adoptable`] finds a context, looking now and then.
async fn stored_renewal(store: &dyn ContextStore, key: ContextKey, why: &Why) -> ApiContext {
    let mut pause = std::time::Duration::from_millis(250);
    loop {
        tokio::time::sleep(pause).await;
        if let Some(current) = adoptable(store, key, why).await {
            return current;
        }
        pause = (pause * 2).min(std::time::Duration::from_secs(4));
    }
}

/// One renewal under the store's lock: adopts the stored session if another
/// handle renewed it (a token other than the one refused or expiring) or
/// extended it by using it, else opens a new one in `place` (taken for the
/// installation `taken_for`) with one attempt; the store saves the result.
/// Sets `needs_place` if the place cannot serve: the stored installation is
/// another (the user connected again), or a shared place's start passed
/// while this waited for the lock.
#[allow(clippy::too_many_arguments)]
async fn renew_in_store(
    client: &Client,
    store: &dyn ContextStore,
    key: ContextKey,
    why: &Why,
    asked: &AtomicBool,
    place: Place<'_>,
    taken_for: &InstallationToken,
    needs_place: &AtomicBool,
) -> Result<ApiContext> {
    store
        .renew_locked(
            key,
            Box::new(move |current: ApiContext| {
                Box::pin(async move {
                    if why.adopts(&current.session, Utc::now()) {
                        tracing::info!(
                            "adopted the session another handle on the store opened or extended"
                        );
                        // The place goes unused: it counts as used.
                        return Ok(current);
                    }
                    let same = current.fixed.installation_token.expose_secret()
                        == taken_for.expose_secret();
                    if !same || !place.still_counts() {
                        needs_place.store(true, Ordering::Relaxed);
                        return Err(Error::Timeout {
                            sent: false,
                            request_id: None,
                            source: "the place taken under bunq's rate limits did not serve: \
                                     the store's lock came too late, or the user connected again"
                                .into(),
                        });
                    }
                    asked.store(true, Ordering::Relaxed);
                    let session = open_session_in(client, &current.fixed, Some(place)).await?;
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
