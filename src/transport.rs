//! The one request path: every bunq call goes through [`Client::send`].
//!
//! The generated operations build the request (method, path, JSON body); the
//! hook below adds bunq's headers, the session token and any query; `send`
//! reads the answer as exact bytes (bounded), and turns a non-success status
//! into [`Error::Api`]. Decoding the envelope is left to `envelope.rs`.

use std::fmt;
use std::future::Future;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use progenitor_client::{ByteStream, ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::client::Client;
use crate::envelope::api_error;
use crate::error::{Error, Result};
use crate::generated;
use crate::secret::SessionToken;

/// What progenitor's generated call returns with the crate's raw-response rule.
pub(crate) type RawResult =
    std::result::Result<ResponseValue<ByteStream>, progenitor_client::Error<ByteStream>>;

/// The per-call value handed to the hooks through the generated client.
#[derive(Clone)]
pub struct CallContext {
    headers: HeaderMap,
    query: Vec<(&'static str, String)>,
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
        Ok(())
    }
}

/// A success answer: status, headers and the exact body bytes.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) body: Bytes,
}

/// What one call needs besides the operation itself.
#[derive(Default)]
pub(crate) struct CallOptions<'a> {
    pub(crate) token: Option<&'a SessionToken>,
    pub(crate) query: Vec<(&'static str, String)>,
}

impl Client {
    /// Runs one generated operation with bunq's headers and returns its body.
    ///
    /// `op` receives a generated client carrying this call's headers and calls
    /// one generated method on it.
    pub(crate) async fn send<F, Fut>(&self, options: CallOptions<'_>, op: F) -> Result<Reply>
    where
        F: FnOnce(generated::Client) -> Fut,
        Fut: Future<Output = RawResult>,
    {
        let mut headers = self.inner.headers.clone();
        let request_id = uuid::Uuid::new_v4().to_string();
        headers.insert(
            HeaderName::from_static("x-bunq-client-request-id"),
            HeaderValue::from_str(&request_id).map_err(|_| Error::Config("request id".into()))?,
        );
        if let Some(token) = options.token {
            let mut value = HeaderValue::from_str(token.expose_secret()).map_err(|_| {
                Error::Config("the session token is not a valid header value".into())
            })?;
            value.set_sensitive(true);
            headers.insert(
                HeaderName::from_static("x-bunq-client-authentication"),
                value,
            );
        }
        let api = generated::Client::new_with_client(
            &self.inner.api_url,
            self.inner.http.clone(),
            CallContext {
                headers,
                query: options.query,
            },
        );
        let response = match op(api).await {
            Ok(response) => response,
            Err(progenitor_client::Error::ErrorResponse(response)) => response,
            Err(other) => return Err(from_generated(other)),
        };
        let status = response.status();
        let response_id = header_text(response.headers(), "x-bunq-client-response-id");
        let body = read_body(response.into_inner(), self.inner.max_response_bytes).await?;
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
