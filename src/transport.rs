//! The one request path: every bunq call goes through [`Client::send`] (a
//! generated operation) or [`Client::send_raw`] (the few handwritten calls
//! that bunq's OAuth Client spec does not cover: the handshake and monetary
//! accounts).
//!
//! Both share [`prepare`] (bunq's headers, the session token, query, request
//! signature) and [`Client::finish`] (bounded body read, server-signature
//! check over the exact bytes, status mapping). Decoding the envelope is left
//! to `envelope.rs`.

use std::fmt;
use std::future::Future;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use progenitor_client::{ByteStream, ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use crate::client::Client;
use crate::envelope::api_error;
use crate::error::{Error, Result};
use crate::generated;
use crate::secret::SessionToken;
use crate::signing::{KeyPair, PublicKey, SignatureError};

/// What progenitor's generated call returns with the crate's raw-response rule.
pub(crate) type RawResult =
    std::result::Result<ResponseValue<ByteStream>, progenitor_client::Error<ByteStream>>;

/// Which requests carry an `X-Bunq-Client-Signature`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SigningPolicy {
    /// What bunq requires: `device-server`, `session-server`, and calls that
    /// create or accept a payment (a `POST`/`PUT` on a path with a `payment`
    /// segment, or a `PUT` on a `request-response`).
    #[default]
    Required,
    /// Every request that has a body, besides the required ones.
    AllWithBody,
}

impl SigningPolicy {
    fn must_sign(self, method: &Method, path: &str, has_body: bool) -> bool {
        let segments = || path.split('/').filter(|s| !s.is_empty());
        let required = segments().any(|s| s == "device-server" || s == "session-server")
            || ((method == Method::POST || method == Method::PUT)
                && segments().any(|s| s.contains("payment")))
            || (method == Method::PUT && segments().any(|s| s == "request-response"));
        required || (self == SigningPolicy::AllWithBody && has_body)
    }
}

/// The per-call value handed to the hooks through the generated client.
#[derive(Clone)]
pub struct CallContext {
    headers: HeaderMap,
    query: Vec<(&'static str, String)>,
    signer: Option<(KeyPair, SigningPolicy)>,
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
        prepare(request, self.inner()).map_err(|e| progenitor_client::Error::Custom(e.to_string()))
    }
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
            let value = HeaderValue::from_str(&signature).map_err(|_| SignatureError::Mismatch)?;
            request
                .headers_mut()
                .insert(HeaderName::from_static("x-bunq-client-signature"), value);
        }
    }
    Ok(())
}

/// A success answer: the exact body bytes.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) body: Bytes,
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
}

impl Client {
    fn call_context(&self, options: &CallOptions) -> Result<CallContext> {
        let mut headers = self.inner.headers.clone();
        let request_id = uuid::Uuid::new_v4().to_string();
        headers.insert(
            HeaderName::from_static("x-bunq-client-request-id"),
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
            signer: options
                .signer
                .as_ref()
                .map(|key| (key.clone(), self.inner.signing_policy)),
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
        let api = generated::Client::new_with_client(
            &self.inner.api_url,
            self.inner.http.clone(),
            self.call_context(&options)?,
        );
        let response = match op(api).await {
            Ok(response) => response,
            Err(progenitor_client::Error::ErrorResponse(response)) => response,
            Err(other) => return Err(from_generated(other)),
        };
        self.finish(response, &options).await
    }

    /// Sends a handwritten call: `path` below the API base (`/installation`),
    /// an optional JSON body sent as these exact bytes.
    pub(crate) async fn send_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        options: CallOptions,
    ) -> Result<Reply> {
        let url = format!("{}{}", self.inner.api_url, path);
        let mut builder = self.inner.http.request(method, url);
        if let Some(body) = body {
            builder = builder.header(CONTENT_TYPE, "application/json").body(body);
        }
        let mut request = builder
            .build()
            .map_err(|e| Error::InvalidInput(format!("cannot build the request: {e}")))?;
        prepare(&mut request, &self.call_context(&options)?).map_err(Error::Signature)?;
        let response = self
            .inner
            .http
            .execute(request)
            .await
            .map_err(transport_error)?;
        self.finish(ResponseValue::stream(response), &options).await
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
        Ok(Reply { body })
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
    if err.is_timeout() {
        Error::Timeout {
            source: Box::new(err),
        }
    } else {
        Error::Transport {
            // A connect error means nothing reached bunq.
            sent: !err.is_connect(),
            source: Box::new(err),
        }
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

    #[test]
    fn signing_policy_follows_bunq_requirements() {
        let p = SigningPolicy::Required;
        assert!(p.must_sign(&Method::POST, "/v1/session-server", true));
        assert!(p.must_sign(&Method::POST, "/v1/device-server", true));
        assert!(p.must_sign(&Method::POST, "/v1/user/1/monetary-account/2/payment", true));
        assert!(p.must_sign(
            &Method::POST,
            "/v1/user/1/monetary-account/2/draft-payment",
            true
        ));
        assert!(p.must_sign(
            &Method::PUT,
            "/v1/user/1/monetary-account/2/request-response/3",
            true
        ));
        assert!(!p.must_sign(&Method::GET, "/v1/user/1/monetary-account/2/payment", false));
        assert!(!p.must_sign(&Method::POST, "/v1/user/1/oauth-client", true));
        assert!(!p.must_sign(&Method::POST, "/v1/installation", true));
        let all = SigningPolicy::AllWithBody;
        assert!(all.must_sign(&Method::POST, "/v1/user/1/oauth-client", true));
        assert!(!all.must_sign(&Method::GET, "/v1/user/1/oauth-client", false));
    }
}
