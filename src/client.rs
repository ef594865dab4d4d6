//! [`Client`]: where bunq is and how to talk to it (headers, timeouts, limits).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::{Host, Url};

use crate::error::{Error, Result};
use crate::pacing::{Limiter, RateLimits};
use crate::retry::RetryPolicy;
use crate::transport::SigningPolicy;

/// Which bunq to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// `https://api.bunq.com/v1`: real money.
    Production,
    /// `https://public-api.sandbox.bunq.com/v1`: bunq's test environment.
    Sandbox,
}

impl Environment {
    /// The API base URL, as the `servers` of bunq's OpenAPI document give it.
    pub fn api_url(self) -> &'static str {
        match self {
            Environment::Production => "https://api.bunq.com/v1",
            Environment::Sandbox => "https://public-api.sandbox.bunq.com/v1",
        }
    }
}

/// A handle on one bunq API host. Cheap to clone; clones share one connection pool.
///
/// ```
/// use bunq_oauth::{Client, Environment};
/// let client = Client::builder()
///     .environment(Environment::Sandbox)
///     .user_agent("my-app/1.0")
///     .build()?;
/// assert_eq!(client.api_url(), "https://public-api.sandbox.bunq.com/v1");
/// # Ok::<(), bunq_oauth::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) api_url: String,
    pub(crate) http: reqwest::Client,
    /// bunq's standard headers, validated once at build time.
    pub(crate) headers: HeaderMap,
    pub(crate) max_response_bytes: usize,
    pub(crate) verify_responses: bool,
    pub(crate) signing_policy: SigningPolicy,
    pub(crate) min_session_interval: Duration,
    pub(crate) limiter: Option<Limiter>,
    pub(crate) retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_url", &self.inner.api_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client. Defaults: production, a 30 s total and
    /// 10 s connect timeout, responses up to 4 MiB, bunq's rate limits, the
    /// default [`RetryPolicy`], answers' signatures checked.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The API base URL this client sends to, without a trailing slash.
    pub fn api_url(&self) -> &str {
        &self.inner.api_url
    }
}

/// Options for a [`Client`]. Every setter is optional.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    environment: Environment,
    api_url: Option<String>,
    user_agent: String,
    language: String,
    region: String,
    geolocation: String,
    timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: usize,
    verify_responses: bool,
    signing_policy: SigningPolicy,
    min_session_interval: Duration,
    rate_limits: Option<RateLimits>,
    retry: RetryPolicy,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            environment: Environment::Production,
            api_url: None,
            user_agent: concat!("bunq-oauth/", env!("CARGO_PKG_VERSION")).to_owned(),
            language: "en_US".to_owned(),
            region: "en_US".to_owned(),
            geolocation: "0 0 0 0 000".to_owned(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_response_bytes: 4 * 1024 * 1024,
            verify_responses: true,
            signing_policy: SigningPolicy::Required,
            min_session_interval: Duration::from_secs(30),
            rate_limits: Some(RateLimits::default()),
            retry: RetryPolicy::default(),
        }
    }
}

impl ClientBuilder {
    /// bunq production or sandbox. Ignored when [`api_url`](Self::api_url) is set.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Any bunq-compatible API base URL, including the version path, for
    /// example `http://127.0.0.1:8080/v1`. `http://` is accepted only for
    /// loopback hosts.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// The `User-Agent` header (bunq requires one).
    pub fn user_agent(mut self, value: impl Into<String>) -> Self {
        self.user_agent = value.into();
        self
    }

    /// `X-Bunq-Language`, for example `en_US` or `nl_NL`; it sets the language
    /// of bunq's translated error descriptions.
    pub fn language(mut self, value: impl Into<String>) -> Self {
        self.language = value.into();
        self
    }

    /// `X-Bunq-Region`, for example `en_US` or `nl_NL`.
    pub fn region(mut self, value: impl Into<String>) -> Self {
        self.region = value.into();
        self
    }

    /// `X-Bunq-Geolocation`: `longitude latitude altitude radius country`;
    /// `0 0 0 0 000` (the default) means unknown.
    pub fn geolocation(mut self, value: impl Into<String>) -> Self {
        self.geolocation = value.into();
        self
    }

    /// The limit for a whole request, body included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The limit for opening a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest response body accepted; a larger one is
    /// [`Error::ResponseTooLarge`].
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Whether to check `X-Bunq-Server-Signature` on every answer (default
    /// `true`). With the check on, a success answer whose signature is
    /// missing or does not match bunq's key is [`Error::Signature`] and its
    /// body is never decoded. Turn it off only for a server that cannot sign
    /// (a recording, a proxy that rewrites bodies) and never for real money.
    pub fn verify_response_signatures(mut self, verify: bool) -> Self {
        self.verify_responses = verify;
        self
    }

    /// Which requests are signed (default: those bunq requires).
    pub fn signing_policy(mut self, policy: SigningPolicy) -> Self {
        self.signing_policy = policy;
        self
    }

    /// The shortest time between two `session-server` calls of one session
    /// (default 30 s, bunq's limit for that endpoint). A renewal that comes
    /// sooner waits for the rest of the interval.
    pub fn min_session_interval(mut self, interval: Duration) -> Self {
        self.min_session_interval = interval;
        self
    }

    /// The rate limits to pace requests to (default: bunq's documented
    /// limits); `None` turns pacing off. One limiter is shared by all clones
    /// of the built client.
    pub fn rate_limits(mut self, limits: Option<RateLimits>) -> Self {
        self.rate_limits = limits;
        self
    }

    /// Which failed requests are retried, and how (see [`RetryPolicy`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Validates the options and builds the client.
    pub fn build(self) -> Result<Client> {
        let api_url = match &self.api_url {
            Some(url) => validate_base_url(url)?,
            None => self.environment.api_url().to_owned(),
        };
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("user-agent", &self.user_agent),
            ("x-bunq-language", &self.language),
            ("x-bunq-region", &self.region),
            ("x-bunq-geolocation", &self.geolocation),
            ("cache-control", &"no-cache".to_owned()),
        ] {
            let value = HeaderValue::from_str(value)
                .map_err(|_| Error::Config(format!("{name} is not a valid header value")))?;
            headers.insert(HeaderName::from_static(name), value);
        }
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            // bunq answers API calls directly; a redirect would be a proxy's
            // doing and must not carry the session token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(ClientInner {
                api_url,
                http,
                headers,
                max_response_bytes: self.max_response_bytes,
                verify_responses: self.verify_responses,
                signing_policy: self.signing_policy,
                min_session_interval: self.min_session_interval,
                limiter: self.rate_limits.map(Limiter::new),
                retry: self.retry,
            }),
        })
    }
}

/// Checks a base URL: absolute, https (or http on loopback), no query or
/// fragment; returns it without a trailing slash.
pub(crate) fn validate_base_url(text: &str) -> Result<String> {
    let url = Url::parse(text).map_err(|e| Error::Config(format!("`{text}` is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::Config(format!(
                "`{text}` uses plain http, which is allowed only for loopback hosts"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "`{text}`: unsupported scheme {other}"
            )));
        }
    }
    if url.query().is_some() || url.fragment().is_some() || url.cannot_be_a_base() {
        return Err(Error::Config(format!(
            "`{text}` must be a base URL without query or fragment"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            validate_base_url("http://127.0.0.1:8080/v1/").unwrap(),
            "http://127.0.0.1:8080/v1"
        );
        assert!(validate_base_url("http://[::1]:80/v1").is_ok());
        assert!(validate_base_url("http://localhost/v1").is_ok());
        assert!(validate_base_url("https://api.bunq.com/v1").is_ok());
        for bad in [
            "http://api.bunq.com/v1",
            "http://10.0.0.1/v1",
            "ftp://127.0.0.1/v1",
            "https://api.bunq.com/v1?x=1",
            "not a url",
            "",
        ] {
            assert!(
                matches!(validate_base_url(bad), Err(Error::Config(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn invalid_header_values_are_config_errors() {
        let err = Client::builder()
            .user_agent("bad\nvalue")
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::Config(ref m) if m.contains("user-agent")),
            "{err}"
        );
    }
}
