//! The one request path, typed at every step. A generated operation builds
//! a [`Call`] (method, path, query, JSON body); [`Client::send`] sends it:
//! bunq's headers and the token, the request signature, pacing under bunq's
//! rate limits, retries, the call's deadline, a bounded body read, the
//! server signature checked over the exact bytes, and a non-success status
//! as [`Error::Api`]. Decoding the envelope is left to `envelope.rs`. Only
//! the OAuth token exchange, which is outside bunq's API, uses
//! [`Client::post_outside_api`].

use bytes::{Bytes, BytesMut};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::client::{Client, ClientInner};
use crate::envelope::{Reply, api_error};
use crate::error::{Error, Result};
use crate::pacing::{Permit, Taking};
use crate::retry::{self, Retry};
use crate::secret::SessionToken;
use crate::signing::{KeyPair, PublicKey, SignatureError, SigningPolicy};

/// One request to bunq's API, as a generated operation builds it.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The spec's `operationId`, for errors and logs.
    pub(crate) operation: &'static str,
    method: Method,
    /// Below the API URL, segments percent-encoded: `/user/7/payment`.
    path: String,
    query: Vec<(&'static str, String)>,
    /// The JSON body, exactly as it is signed and sent.
    body: Option<Bytes>,
}

impl Call {
    /// A call of `operation` to `path` (already encoded, see [`segment`]).
    pub(crate) fn new(operation: &'static str, method: Method, path: String) -> Self {
        Call {
            operation,
            method,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    /// Adds query parameters (a list's page).
    pub(crate) fn with_query(mut self, query: Vec<(&'static str, String)>) -> Self {
        self.query = query;
        self
    }

    /// Sets the JSON body.
    pub(crate) fn json<T: serde::Serialize>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::InvalidInput(format!(
                "{}: the body cannot be written: {e}",
                self.operation
            ))
        })?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }
}

/// A path parameter as one percent-encoded path segment.
pub(crate) fn segment(value: impl std::fmt::Display) -> String {
    /// Everything but RFC 3986's unreserved characters is encoded.
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(&value.to_string(), SEGMENT).to_string()
}

/// The credentials and keys of one call.
#[derive(Default, Clone)]
pub(crate) struct CallOptions {
    /// `X-Bunq-Client-Authentication`: an installation or session token.
    pub(crate) token: Option<SessionToken>,
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

/// The request that got an answer: what errors after it must name.
struct Sent {
    method: Method,
    request_id: Option<String>,
}

/// A place under bunq's rate limits, taken for a call before it is sent
/// (see [`Client::take_place`]).
pub(crate) struct Place<'a> {
    permit: Option<Permit<'a>>,
    /// When the wait for it began: the call's deadline counts from there.
    started: tokio::time::Instant,
}

impl Place<'_> {
    /// Whether the call may still start in this place (see
    /// [`Taking::AheadOfLock`]).
    pub(crate) fn still_counts(&self) -> bool {
        self.permit.as_ref().is_none_or(Permit::still_counts)
    }
}

impl Client {
    /// Sends one call and returns its verified body.
    pub(crate) async fn send(&self, call: &Call, options: &CallOptions) -> Result<Reply> {
        let request = self.request(call, options)?;
        let (response, sent) = execute(&self.inner, request, |e| e, None).await?;
        self.finish(call.operation, response, options)
            .await
            .map_err(|e| sent.name(e))
    }

    /// Waits (within the client's deadline) for a place for `call` under
    /// bunq's rate limits and takes it, so that a caller can wait before it
    /// locks anything, and send with [`send_in_place`](Self::send_in_place)
    /// once it holds the lock. A place dropped unused counts as used.
    pub(crate) async fn take_place(&self, call: &Call, options: &CallOptions) -> Result<Place<'_>> {
        let started = tokio::time::Instant::now();
        let url = self.url(call)?;
        let credential = options.token.as_ref().map(|t| t.expose_secret().as_bytes());
        let permit = wait_for_place(
            &self.inner,
            &call.method,
            url.path(),
            credential,
            Taking::AheadOfLock,
            started,
            None,
        )
        .await?;
        Ok(Place { permit, started })
    }

    /// [`send`](Self::send) in a place taken with
    /// [`take_place`](Self::take_place), once: a retry needs a new place,
    /// which the caller waits for outside whatever it locked.
    pub(crate) async fn send_in_place(
        &self,
        call: &Call,
        options: &CallOptions,
        place: Place<'_>,
    ) -> Result<Reply> {
        let request = self.request(call, options)?;
        let (response, sent) = execute(&self.inner, request, |e| e, Some(place)).await?;
        self.finish(call.operation, response, options)
            .await
            .map_err(|e| sent.name(e))
    }

    /// The call's URL: the API's, the path, the query.
    fn url(&self, call: &Call) -> Result<url::Url> {
        let mut url =
            url::Url::parse(&format!("{}{}", self.api_url(), call.path)).map_err(|e| {
                Error::InvalidInput(format!("{}: not a valid URL: {e}", call.operation))
            })?;
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        Ok(url)
    }

    /// The call as a request: bunq's headers, the token, the query, the
    /// body, and (where the policy says so) the signature over the exact
    /// body bytes that go on the wire.
    fn request(&self, call: &Call, options: &CallOptions) -> Result<reqwest::Request> {
        let mut request = reqwest::Request::new(call.method.clone(), self.url(call)?);
        let headers = request.headers_mut();
        headers.clone_from(&self.inner.headers);
        headers.insert(HeaderName::from_static(REQUEST_ID), new_request_id());
        if let Some(token) = &options.token {
            let mut value = HeaderValue::from_str(token.expose_secret())
                .map_err(|_| Error::Config("the token is not a valid header value".into()))?;
            value.set_sensitive(true);
            headers.insert(
                HeaderName::from_static("x-bunq-client-authentication"),
                value,
            );
        }
        let body = call.body.clone().unwrap_or_default();
        if call.body.is_some() {
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        if let Some(key) = &options.signer {
            let policy = if options.sign_everything {
                SigningPolicy::All
            } else {
                self.inner.signing_policy
            };
            if policy.must_sign(&call.method, request.url().path(), !body.is_empty()) {
                let signature = key.sign(&body)?;
                let value = HeaderValue::from_str(&signature)
                    .map_err(|_| SignatureError::MalformedSignature)?;
                request
                    .headers_mut()
                    .insert(HeaderName::from_static("x-bunq-client-signature"), value);
            }
        }
        if call.body.is_some() {
            *request.body_mut() = Some(body.into());
        }
        Ok(request)
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
        headers.insert(HeaderName::from_static(REQUEST_ID), new_request_id());
        let (response, sent) =
            execute(&self.inner, request, reqwest::Error::without_url, None).await?;
        let status = response.status().as_u16();
        let body = read_response(response, self.inner.max_response_bytes)
            .await
            .map_err(|e| sent.name(e))?;
        Ok((status, body))
    }

    /// Reads the body (bounded), checks bunq's signature over the exact bytes,
    /// and maps a non-success status to [`Error::Api`].
    async fn finish(
        &self,
        operation: &'static str,
        response: reqwest::Response,
        options: &CallOptions,
    ) -> Result<Reply> {
        let status = response.status();
        let response_id = header_text(response.headers(), "x-bunq-client-response-id");
        let signature = header_text(response.headers(), "x-bunq-server-signature");
        let body = read_response(response, self.inner.max_response_bytes).await?;
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
            operation,
            body,
            unknown_fields: self.inner.unknown_fields,
        })
    }
}

/// Sends a request: paced by the rate limiter, retried as the retry policy
/// allows (each retry with a fresh request id), every wait logged; or, in
/// a `place` taken for it, once, with the deadline counted from that wait.
/// Transport errors pass through `scrub` first (the token exchange's URL
/// carries secrets). Errors name the last request sent.
async fn execute<'c>(
    client: &'c ClientInner,
    mut request: reqwest::Request,
    scrub: fn(reqwest::Error) -> reqwest::Error,
    place: Option<Place<'c>>,
) -> Result<(reqwest::Response, Sent)> {
    let method = request.method().clone();
    let (started, mut place, max_retries) = match place {
        Some(Place { permit, started }) => (started, permit, 0),
        None => (tokio::time::Instant::now(), None, client.retry.max_retries),
    };
    // `None`: a deadline too far away to represent, so no deadline.
    let deadline = started.checked_add(client.deadline);
    let mut retries = 0;
    // The request id of the last attempt that was sent.
    let mut last_sent: Option<String> = None;
    loop {
        // Held until the answer's headers arrive (see pacing::Limiter).
        let permit = match place.take() {
            Some(permit) => Some(permit),
            None => {
                let credential = request
                    .headers()
                    .get("x-bunq-client-authentication")
                    .map(|v| v.as_bytes());
                wait_for_place(
                    client,
                    &method,
                    request.url().path(),
                    credential,
                    Taking::ForCall,
                    started,
                    last_sent.clone(),
                )
                .await?
            }
        };
        // A copy to send again, made only while a retry is still possible.
        let again = (retries < max_retries)
            .then(|| request.try_clone())
            .flatten();
        last_sent = header_text(request.headers(), REQUEST_ID);
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
        let sent = Sent {
            method: method.clone(),
            request_id: last_sent.clone(),
        };
        let Some(mut next) = again.filter(|_| decision != Retry::No) else {
            return sent.result(result, scrub);
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
            return sent.result(result, scrub);
        }
        retries += 1;
        let reason = match &result {
            Ok(response) => format!("HTTP {}", response.status().as_u16()),
            Err(err) if err.is_connect() => "connection failed".to_owned(),
            Err(_) => "connection broken".to_owned(),
        };
        tracing::warn!(%method, path = next.url().path(), retry = retries, wait_ms = wait.as_millis() as u64, reason, "retrying a bunq request");
        tokio::time::sleep(wait).await;
        next.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), new_request_id());
        request = next;
    }
}

/// Waits for a place under bunq's rate limits, taken as `taking` says,
/// until the deadline of the call that began at `started`; `None` if the
/// client does not pace.
async fn wait_for_place<'c>(
    client: &'c ClientInner,
    method: &Method,
    path: &str,
    credential: Option<&[u8]>,
    taking: Taking,
    started: tokio::time::Instant,
    last_sent: Option<String>,
) -> Result<Option<Permit<'c>>> {
    let Some(limiter) = &client.limiter else {
        return Ok(None);
    };
    let acquire = limiter.acquire(method, path, credential, taking);
    let permit = match started.checked_add(client.deadline) {
        Some(deadline) => tokio::time::timeout_at(deadline, acquire).await.ok(),
        None => Some(acquire.await),
    };
    permit.map(Some).ok_or_else(|| Error::Timeout {
        sent: false,
        request_id: last_sent,
        source: format!(
            "waited {} ms for a place under bunq's rate limits: the call's deadline passed",
            started.elapsed().as_millis()
        )
        .into(),
    })
}

const REQUEST_ID: &str = "x-bunq-client-request-id";

fn new_request_id() -> HeaderValue {
    HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("00000000-0000-4000-8000-000000000000"))
}

impl Sent {
    /// The attempt's outcome, a transport error named.
    fn result(
        self,
        result: reqwest::Result<reqwest::Response>,
        scrub: fn(reqwest::Error) -> reqwest::Error,
    ) -> Result<(reqwest::Response, Sent)> {
        match result {
            Ok(response) => Ok((response, self)),
            Err(err) => Err(self.name(transport_error(scrub(err)))),
        }
    }

    /// Adds the request id to a transport error, and turns a `POST` that
    /// may have reached bunq into [`Error::OutcomeUnknown`]: it is not
    /// retried, and the caller must check before sending it again.
    fn name(&self, err: Error) -> Error {
        let request_id = self.request_id.clone();
        match err {
            Error::Transport {
                sent: true, source, ..
            } if !retry::is_idempotent(&self.method) => Error::OutcomeUnknown {
                request_id: request_id.unwrap_or_default(),
                source,
            },
            Error::Transport { sent, source, .. } => Error::Transport {
                sent,
                request_id,
                source,
            },
            Error::Timeout { sent, source, .. } => Error::Timeout {
                sent,
                request_id,
                source,
            },
            other => other,
        }
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads an answer's body chunk by chunk and stops as soon as it passes `limit`.
pub(crate) async fn read_response(mut response: reqwest::Response, limit: usize) -> Result<Bytes> {
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
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
