//! The one request path: every bunq call is a generated operation sent by
//! [`Client::send`], with the hooks below: [`prepare`] (bunq's headers, the
//! session token, query, request signature), [`execute`] (pacing, retries,
//! the deadline) and [`Client::finish`] (bounded body read, server-signature
//! check over the exact bytes, status mapping). Decoding the envelope is
//! left to `envelope.rs`. Only the OAuth token exchange, which is outside
//! bunq's API, uses [`Client::post_outside_api`].

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use progenitor_client::{ByteStream, ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::client::{Client, ClientInner};
use crate::envelope::api_error;
use crate::error::{Error, Result};
use crate::generated;
use crate::retry::{self, Retry};
use crate::secret::SessionToken;
use crate::signing::{KeyPair, PublicKey, SignatureError, SigningPolicy};

/// What progenitor's generated call returns with the crate's raw-response rule.
pub(crate) type RawResult =
    std::result::Result<ResponseValue<ByteStream>, progenitor_client::Error<ByteStream>>;

/// The per-call value handed to the hooks through the generated client.
#[derive(Clone)]
pub struct CallContext {
    headers: HeaderMap,
    query: Vec<(&'static str, String)>,
    signer: Option<(KeyPair, SigningPolicy)>,
    client: Arc<ClientInner>,
    last_attempt: Arc<Mutex<Attempt>>,
}

/// What the last attempt of a call was: for errors that must name it.
#[derive(Debug, Clone, Default)]
struct Attempt {
    method: Option<Method>,
    request_id: Option<String>,
    /// Why the request could not be signed: the generated client's hook can
    /// only return a string, so the typed error waits here.
    signing_error: Option<SignatureError>,
    /// Set when the call's deadline passed while it waited for a place under
    /// the rate limits (the hook can only return an answer, so it returns a
    /// stand-in and the typed error waits here).
    deadline_passed: Option<std::time::Duration>,
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Headers include the session token: never print them.
        f.debug_struct("CallContext").finish_non_exhaustive()
    }
}

impl ClientHooks<CallContext> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> std::result::Result<(), progenitor_client::Error<E>> {
        let ctx = self.inner();
        prepare(request, ctx).map_err(|e| {
            let message = e.to_string();
            ctx.last_attempt
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .signing_error = Some(e);
            progenitor_client::Error::Custom(message)
        })
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let ctx = self.inner();
        execute(&ctx.client, request, &ctx.last_attempt).await
    }
}

/// Sends a prepared request: paced by the rate limiter, retried as the
/// retry policy allows (each retry with a fresh request id), every wait logged.
async fn execute(
    client: &ClientInner,
    mut request: reqwest::Request,
    last_attempt: &Mutex<Attempt>,
) -> reqwest::Result<reqwest::Response> {
    let method = request.method().clone();
    let started = tokio::time::Instant::now();
    // `None`: a deadline too far away to represent, so no deadline.
    let deadline = started.checked_add(client.deadline);
    let mut retries = 0;
    loop {
        // Held until the answer's headers arrive (see pacing::Limiter).
        let permit = match &client.limiter {
            Some(limiter) => {
                let credential = request
                    .headers()
                    .get("x-bunq-client-authentication")
                    .map(|v| v.as_bytes());
                let acquire = limiter.acquire(&method, request.url().path(), credential);
                let permit = match deadline {
                    Some(deadline) => tokio::time::timeout_at(deadline, acquire).await.ok(),
                    None => Some(acquire.await),
                };
                let Some(permit) = permit else {
                    last_attempt
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .deadline_passed = Some(started.elapsed());
                    return Ok(stand_in_answer());
                };
                Some(permit)
            }
            None => None,
        };
        // A copy to send again, made only while a retry is still possible.
        let again = (retries < client.retry.max_retries)
            .then(|| request.try_clone())
            .flatten();
        {
            let mut last = last_attempt.lock().unwrap_or_else(|p| p.into_inner());
            last.method = Some(method.clone());
            last.request_id = header_text(request.headers(), REQUEST_ID);
        }
        // Kept only when the line below is logged: no copy per request otherwise.
        let path = tracing::enabled!(tracing::Level::DEBUG)
            .then(|| request.url().path().to_owned())
            .unwrap_or_default();
        let started = std::time::Instant::now();
        let result = client.http.execute(request).await;
        let retry_after: Option<u64> = result
            .as_ref()
            .ok()
            .and_then(|r| header_text(r.headers(), "retry-after"))
            .and_then(|v| v.trim().parse().ok());
        // One line per request: no query (it may carry secrets), no headers
        // but bunq's response id.
        match &result {
            Ok(response) => tracing::debug!(
                %method,
                path,
                status = response.status().as_u16(),
                ms = started.elapsed().as_millis() as u64,
                response_id = header_text(response.headers(), "x-bunq-client-response-id").unwrap_or_default(),
                "bunq request"
            ),
            Err(err) => tracing::debug!(
                %method,
                path,
                ms = started.elapsed().as_millis() as u64,
                error = if err.is_connect() { "connection failed" } else { "connection broken" },
                "bunq request"
            ),
        }
        if let (Some(permit), Ok(response)) = (&permit, &result) {
            permit.observe(
                response.status().as_u16(),
                retry_after.map(std::time::Duration::from_secs),
            );
        }
        drop(permit);
        let decision = match &result {
            Ok(response) => {
                retry::for_status(&client.retry, &method, response.status(), retry_after)
            }
            Err(err) => retry::for_error(&method, err),
        };
        let Some(mut next) = again.filter(|_| decision != Retry::No) else {
            return result;
        };
        let wait = match (decision, &client.limiter) {
            // Without Retry-After, wait at least the endpoint's window (30 s
            // for session-server), or the retry would meet the same limit.
            (Retry::After(wait), Some(limiter)) if retry_after.is_none() => {
                wait.max(limiter.window(&method, next.url().path()))
            }
            (Retry::After(wait), _) => wait,
            _ => client.retry.backoff(retries + 1),
        };
        // A wait that would end past the call's deadline is not started: the
        // answer stands (bunq's 429 says how long it wanted).
        let ends_past_deadline = deadline.is_some_and(|deadline| {
            tokio::time::Instant::now()
                .checked_add(wait)
                .is_none_or(|end| end > deadline)
        });
        if ends_past_deadline {
            tracing::warn!(%method, path = next.url().path(), wait_ms = wait.as_millis() as u64, "not retrying: the wait would end past the call's deadline");
            return result;
        }
        retries += 1;
        let reason = match &result {
            Ok(response) => format!("HTTP {}", response.status().as_u16()),
            Err(err) if err.is_connect() => "connection failed".to_owned(),
            Err(_) => "connection broken".to_owned(),
        };
        tracing::warn!(%method, path = next.url().path(), retry = retries, wait_ms = wait.as_millis() as u64, reason, "retrying a bunq request");
        tokio::time::sleep(wait).await;
        if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
            next.headers_mut()
                .insert(HeaderName::from_static(REQUEST_ID), id);
        }
        request = next;
    }
}

const REQUEST_ID: &str = "x-bunq-client-request-id";

/// What the hook returns when a call's deadline passed before it could be
/// sent; never decoded: the stashed `deadline_passed` turns it into
/// [`Error::Timeout`].
fn stand_in_answer() -> reqwest::Response {
    reqwest::Response::from(
        http::Response::builder()
            .status(http::StatusCode::SERVICE_UNAVAILABLE)
            .body(Vec::<u8>::new())
            .unwrap_or_default(),
    )
}

/// Puts bunq's headers, the query and (where the policy says so) the body
/// signature on a built request. The signature covers the exact body bytes
/// that go on the wire.
fn prepare(request: &mut reqwest::Request, ctx: &CallContext) -> Result<(), SignatureError> {
    let headers = request.headers_mut();
    // progenitor adds `api-version` from the spec's info.version; bunq does
    // not document it, so the wire carries only bunq's own headers.
    headers.remove("api-version");
    for (name, value) in &ctx.headers {
        headers.insert(name, value.clone());
    }
    if !ctx.query.is_empty() {
        request.url_mut().query_pairs_mut().extend_pairs(&ctx.query);
    }
    if let Some((key, policy)) = &ctx.signer {
        let body = request
            .body()
            .and_then(|b| b.as_bytes())
            .unwrap_or_default();
        if policy.must_sign(request.method(), request.url().path(), !body.is_empty()) {
            let signature = key.sign(body)?;
            let value = HeaderValue::from_str(&signature)
                .map_err(|_| SignatureError::MalformedSignature)?;
            request
                .headers_mut()
                .insert(HeaderName::from_static("x-bunq-client-signature"), value);
        }
    }
    Ok(())
}

/// A success answer: the exact body bytes, and what the client does with
/// fields the types do not know.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) body: Bytes,
    pub(crate) unknown_fields: crate::api::UnknownFields,
}

/// What one call needs besides the operation itself.
#[derive(Default, Clone)]
pub(crate) struct CallOptions {
    /// `X-Bunq-Client-Authentication`: an installation or session token.
    pub(crate) token: Option<SessionToken>,
    pub(crate) query: Vec<(&'static str, String)>,
    /// The client's key, to sign what the signing policy says.
    pub(crate) signer: Option<KeyPair>,
    /// bunq's key, to check `X-Bunq-Server-Signature`. `None` before
    /// installation has returned one.
    pub(crate) server_key: Option<PublicKey>,
    /// Set only for `POST /installation`, the one answer with no key to check.
    pub(crate) unverifiable: bool,
    /// Sign this request whatever the policy (bunq asked this installation
    /// to sign everything).
    pub(crate) sign_everything: bool,
}

impl Client {
    fn call_context(&self, options: &CallOptions) -> Result<CallContext> {
        let mut headers = self.inner.headers.clone();
        let request_id = uuid::Uuid::new_v4().to_string();
        headers.insert(
            HeaderName::from_static(REQUEST_ID),
            HeaderValue::from_str(&request_id).map_err(|_| Error::Config("request id".into()))?,
        );
        if let Some(token) = &options.token {
            let mut value = HeaderValue::from_str(token.expose_secret())
                .map_err(|_| Error::Config("the token is not a valid header value".into()))?;
            value.set_sensitive(true);
            headers.insert(
                HeaderName::from_static("x-bunq-client-authentication"),
                value,
            );
        }
        Ok(CallContext {
            headers,
            query: options.query.clone(),
            signer: options.signer.as_ref().map(|key| {
                let policy = if options.sign_everything {
                    SigningPolicy::All
                } else {
                    self.inner.signing_policy
                };
                (key.clone(), policy)
            }),
            client: self.inner.clone(),
            last_attempt: Arc::default(),
        })
    }

    /// Runs one generated operation and returns its verified body.
    ///
    /// `op` receives a generated client carrying this call's headers and calls
    /// one generated method on it.
    pub(crate) async fn send<F, Fut>(&self, options: CallOptions, op: F) -> Result<Reply>
    where
        F: FnOnce(generated::Client) -> Fut,
        Fut: Future<Output = RawResult>,
    {
        let ctx = self.call_context(&options)?;
        let last_attempt = ctx.last_attempt.clone();
        let api = generated::Client::new_with_client(self.api_url(), self.inner.http.clone(), ctx);
        let response = match op(api).await {
            Ok(response) => response,
            Err(progenitor_client::Error::ErrorResponse(response)) => response,
            Err(other) => return Err(name_attempt(from_generated(other), &last_attempt)),
        };
        deadline_passed(&last_attempt)?;
        self.finish(response, &options)
            .await
            .map_err(|e| name_attempt(e, &last_attempt))
    }

    /// Sends a bodyless `POST` to a URL outside bunq's API (the OAuth token
    /// endpoint) with the client's `User-Agent`, timeouts, pacing and
    /// retries, and reads the answer bounded. bunq's API headers and
    /// signatures do not apply. The URL may carry secrets, so no error
    /// quotes it; a connection that breaks after sending is
    /// [`Error::OutcomeUnknown`], as for every other `POST`.
    pub(crate) async fn post_outside_api(&self, url: url::Url) -> Result<(u16, Bytes)> {
        let mut request = reqwest::Request::new(Method::POST, url);
        let headers = request.headers_mut();
        if let Some(agent) = self.inner.headers.get(reqwest::header::USER_AGENT) {
            headers.insert(reqwest::header::USER_AGENT, agent.clone());
        }
        if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
            headers.insert(HeaderName::from_static(REQUEST_ID), id);
        }
        let last_attempt = Mutex::default();
        let response = execute(&self.inner, request, &last_attempt)
            .await
            .map_err(|e| name_attempt(transport_error(e.without_url()), &last_attempt))?;
        deadline_passed(&last_attempt)?;
        let status = response.status().as_u16();
        let body = read_response(response, self.inner.max_response_bytes)
            .await
            .map_err(|e| name_attempt(e, &last_attempt))?;
        Ok((status, body))
    }

    /// Reads the body (bounded), checks bunq's signature over the exact bytes,
    /// and maps a non-success status to [`Error::Api`].
    async fn finish(
        &self,
        response: ResponseValue<ByteStream>,
        options: &CallOptions,
    ) -> Result<Reply> {
        let status = response.status();
        let response_id = header_text(response.headers(), "x-bunq-client-response-id");
        let signature = header_text(response.headers(), "x-bunq-server-signature");
        let body = read_body(response.into_inner(), self.inner.max_response_bytes).await?;
        if self.inner.verify_responses && !options.unverifiable {
            match (&options.server_key, signature) {
                (Some(key), Some(signature)) => key.verify(&body, &signature)?,
                // bunq does not always sign error answers; a missing signature
                // never hides the error itself.
                (_, None) if !status.is_success() => {}
                (Some(_), None) => return Err(Error::Signature(SignatureError::Missing)),
                (None, _) => return Err(Error::Signature(SignatureError::NoServerKey)),
            }
        }
        if !status.is_success() {
            return Err(Error::Api(api_error(status.as_u16(), response_id, &body)));
        }
        Ok(Reply {
            body,
            unknown_fields: self.inner.unknown_fields,
        })
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads a plain reqwest answer's body, bounded like every other.
pub(crate) async fn read_response(response: reqwest::Response, limit: usize) -> Result<Bytes> {
    read_body(ResponseValue::stream(response).into_inner(), limit).await
}

/// Reads a body chunk by chunk and stops as soon as it passes `limit`.
async fn read_body(stream: ByteStream, limit: usize) -> Result<Bytes> {
    let mut stream = stream.into_inner();
    let mut body = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(transport_error)?;
        if body.len() + chunk.len() > limit {
            return Err(Error::ResponseTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

pub(crate) fn transport_error(err: reqwest::Error) -> Error {
    // A connect error (a connect timeout included) means nothing reached bunq.
    let sent = !err.is_connect();
    if err.is_timeout() {
        Error::Timeout {
            sent,
            request_id: None,
            source: Box::new(err),
        }
    } else {
        Error::Transport {
            sent,
            request_id: None,
            source: Box::new(err),
        }
    }
}

/// [`Error::Timeout`] if the call's deadline passed while it waited for a
/// place under the rate limits (nothing was sent).
fn deadline_passed(last_attempt: &Mutex<Attempt>) -> Result<()> {
    let last = last_attempt.lock().unwrap_or_else(|p| p.into_inner());
    match last.deadline_passed {
        None => Ok(()),
        Some(waited) => Err(Error::Timeout {
            sent: false,
            request_id: last.request_id.clone(),
            source: format!(
                "waited {} ms for a place under bunq's rate limits: the call's deadline passed",
                waited.as_millis()
            )
            .into(),
        }),
    }
}

/// Adds the last attempt's request id to a transport error, and turns a
/// `POST` that may have reached bunq into [`Error::OutcomeUnknown`]: it is
/// not retried, and the caller must check before sending it again.
fn name_attempt(err: Error, last_attempt: &Mutex<Attempt>) -> Error {
    let last = last_attempt
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match err {
        Error::Transport {
            sent: true, source, ..
        } if last
            .method
            .as_ref()
            .is_some_and(|m| !retry::is_idempotent(m)) =>
        {
            Error::OutcomeUnknown {
                request_id: last.request_id.unwrap_or_default(),
                source,
            }
        }
        Error::Transport { sent, source, .. } => Error::Transport {
            sent,
            request_id: last.request_id,
            source,
        },
        Error::Timeout { sent, source, .. } => Error::Timeout {
            sent,
            request_id: last.request_id,
            source,
        },
        // The hook that signs could only report a string; the typed
        // error it left behind wins.
        Error::InvalidInput(message) => match last.signing_error {
            Some(signing) => Error::Signature(signing),
            None => Error::InvalidInput(message),
        },
        other => other,
    }
}

/// Maps the generated client's errors. With raw responses only transport
/// errors and request-building errors can arrive here.
fn from_generated(err: progenitor_client::Error<ByteStream>) -> Error {
    use progenitor_client::Error as G;
    match err {
        G::CommunicationError(e) | G::ResponseBodyError(e) | G::InvalidUpgrade(e) => {
            transport_error(e)
        }
        G::InvalidRequest(message) | G::Custom(message) => Error::InvalidInput(message),
        G::InvalidResponsePayload(body, e) => Error::decode("response", "", e, &body),
        G::ErrorResponse(_) | G::UnexpectedResponse(_) => Error::unexpected(
            "a response the raw-response rule covers",
            "an undeclared one",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated client's signing hook can only report a string; the
    /// typed error it leaves behind must come out as `Error::Signature`, as
    /// on the handshake path.
    #[test]
    fn a_signing_failure_on_the_generated_path_is_a_signature_error() {
        let attempt = Mutex::new(Attempt {
            signing_error: Some(SignatureError::KeyGeneration),
            ..Attempt::default()
        });
        let err = name_attempt(Error::InvalidInput("from the hook".into()), &attempt);
        assert!(
            matches!(err, Error::Signature(SignatureError::KeyGeneration)),
            "{err:?}"
        );
        // Without a stashed signing failure, invalid input stays what it is.
        let err = name_attempt(
            Error::InvalidInput("bad id".into()),
            &Mutex::new(Attempt::default()),
        );
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    }
}
