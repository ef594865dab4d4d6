//! [`Client`]: where bunq is and how to talk to it (headers, timeouts, limits).

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::wire::UnknownFields;

/// [`ClientBuilder::max_list_pages`]'s default.
const DEFAULT_MAX_LIST_PAGES: u32 = 5_000;
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::pacing::{Budget, Limiter, RateLimits};
use crate::retry::RetryPolicy;
use crate::signing::SigningPolicy;

/// A handle on one bunq: its [`Environment`] and how to talk to it. Cheap to
/// clone; clones share one connection pool and one rate limiter.
///
/// ```
/// use bunq_oauth::{Client, Environment};
/// let client = Client::builder()
///     .environment(Environment::sandbox())
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
    pub(crate) environment: Environment,
    pub(crate) http: reqwest::Client,
    /// bunq's standard headers, validated once at build time.
    pub(crate) headers: HeaderMap,
    pub(crate) max_response_bytes: usize,
    pub(crate) verify_responses: bool,
    pub(crate) signing_policy: SigningPolicy,
    pub(crate) min_session_interval: Duration,
    pub(crate) limiter: Option<Limiter>,
    pub(crate) retry: RetryPolicy,
    /// The longest a call may take in all (see [`ClientBuilder::deadline`]).
    pub(crate) deadline: Duration,
    /// What the decoders do with fields the generated types do not know.
    pub(crate) unknown_fields: UnknownFields,
    /// The most pages a list's stream reads (see [`ClientBuilder::max_list_pages`]).
    pub(crate) max_list_pages: u32,
    /// Installations (a hash of their token) that bunq told to sign every
    /// request: they keep doing so for the life of the client.
    signs_everything: Mutex<HashSet<u64>>,
}

impl ClientInner {
    fn lock_signs_everything(&self) -> std::sync::MutexGuard<'_, HashSet<u64>> {
        self.signs_everything
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("environment", &self.inner.environment)
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

    /// Where this client's bunq is.
    pub fn environment(&self) -> &Environment {
        &self.inner.environment
    }

    /// Whether an installation signs every request (see
    /// [`SigningPolicy::All`]). Its id is computed only when some
    /// installation signs everything, so the usual request hashes nothing.
    pub(crate) fn signs_everything(&self, installation: impl FnOnce() -> u64) -> bool {
        if self.inner.signing_policy == SigningPolicy::All {
            return true;
        }
        let marked = self.inner.lock_signs_everything();
        !marked.is_empty() && marked.contains(&installation())
    }

    /// Makes the installation `id` sign every request from now on; `true`
    /// the first time.
    pub(crate) fn sign_everything(&self, installation: u64) -> bool {
        self.inner.lock_signs_everything().insert(installation)
    }

    /// The API base URL this client sends to, without a trailing slash
    /// (its environment's [`api_url`](Environment::api_url)).
    pub fn api_url(&self) -> &str {
        self.inner.environment.api_url()
    }
}

/// Options for a [`Client`]. Every setter is optional.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    environment: Environment,
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
    /// Where the limiter's places are kept (`None`: in this process).
    budget: Option<Arc<dyn Budget>>,
    retry: RetryPolicy,
    proxy: Proxy,
    deadline: Duration,
    unknown_fields: UnknownFields,
    max_list_pages: u32,
}

/// Where requests go through a proxy: never unless asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Proxy {
    None,
    Url(String),
    FromEnvironment,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            environment: Environment::production(),
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
            budget: None,
            retry: RetryPolicy::default(),
            proxy: Proxy::None,
            deadline: Duration::from_secs(120),
            unknown_fields: UnknownFields::Keep,
            max_list_pages: DEFAULT_MAX_LIST_PAGES,
        }
    }
}

impl ClientBuilder {
    /// Which bunq to talk to: [`Environment::production`] (the default),
    /// [`Environment::sandbox`], or [`Environment::custom`] (a proxy, a
    /// local fake).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
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

    /// Shares bunq's budget with every other app instance that uses the
    /// same database and scope name (see [`PostgresBudget`](crate::PostgresBudget)):
    /// for several instances behind one outgoing address. The rate limits
    /// stay those of [`rate_limits`](Self::rate_limits).
    #[cfg(feature = "postgres")]
    pub fn shared_budget(mut self, budget: crate::PostgresBudget) -> Self {
        self.budget = Some(Arc::new(budget));
        self
    }

    /// Which failed requests are retried, and how (see [`RetryPolicy`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sends `https://` requests through this proxy (an `http://` proxy
    /// tunnels them with CONNECT, so it sees no content). Never used for
    /// loopback hosts or plain `http://`. Without this (or
    /// [`proxy_from_environment`](Self::proxy_from_environment)) no proxy is
    /// used, whatever `HTTP_PROXY` or `HTTPS_PROXY` say.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Proxy::Url(url.into());
        self
    }

    /// Sends `https://` requests through the proxy that `HTTPS_PROXY` (or
    /// `https_proxy`) names, except for the hosts `NO_PROXY` lists. As with
    /// [`proxy`](Self::proxy), loopback hosts and plain `http://` never go
    /// through it.
    pub fn proxy_from_environment(mut self) -> Self {
        self.proxy = Proxy::FromEnvironment;
        self
    }

    /// The longest one call may take in all: waiting for a place under
    /// bunq's rate limits, the attempts, and the waits between retries
    /// (default 120 s). A wait that would end past it is not started: the
    /// call fails with [`Error::Timeout`] (a place never came free) or with
    /// bunq's 429 (its `Retry-After` is too far away).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// What to do with fields bunq sends that the generated types do not
    /// know: keep them reachable ([`UnknownFields::Keep`], the default), also
    /// log their paths, or refuse the answer (strict mode, to see bunq's
    /// drift after a spec update). See [`api::Received`](crate::api::Received).
    pub fn unknown_fields(mut self, policy: UnknownFields) -> Self {
        self.unknown_fields = policy;
        self
    }

    /// The most pages one list's `stream()` or `list_all()` reads (default
    /// 5,000: a million items at 200 a page, more than any real account
    /// holds). A server that hands out pages without end stops there with
    /// [`Error::ListTooLong`]; `list_page` reads one page and is not capped.
    pub fn max_list_pages(mut self, pages: u32) -> Self {
        self.max_list_pages = pages.max(1);
        self
    }

    /// Validates the options and builds the client.
    pub fn build(self) -> Result<Client> {
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
        let mut http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            // bunq answers API calls directly; a redirect would be a proxy's
            // doing and must not carry the session token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            // reqwest would read HTTP_PROXY and friends by itself; only an
            // explicit choice below sends anything through a proxy.
            .no_proxy();
        if let Some(proxy) = self.proxy.build()? {
            http = http.proxy(proxy);
        }
        let http = http
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(ClientInner {
                environment: self.environment,
                http,
                headers,
                max_response_bytes: self.max_response_bytes,
                verify_responses: self.verify_responses,
                signing_policy: self.signing_policy,
                min_session_interval: self.min_session_interval,
                limiter: self.rate_limits.map(|limits| match self.budget {
                    Some(budget) => Limiter::with_budget(limits, budget),
                    None => Limiter::new(limits),
                }),
                retry: self.retry,
                signs_everything: Mutex::default(),
                deadline: self.deadline,
                unknown_fields: self.unknown_fields,
                max_list_pages: self.max_list_pages,
            }),
        })
    }
}

impl Proxy {
    fn build(&self) -> Result<Option<reqwest::Proxy>> {
        let (url, no_proxy) = match self {
            Proxy::None => return Ok(None),
            Proxy::Url(url) => (url.clone(), None),
            Proxy::FromEnvironment => {
                let Some(url) = ["HTTPS_PROXY", "https_proxy"]
                    .iter()
                    .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
                else {
                    return Ok(None);
                };
                (url, reqwest::NoProxy::from_env())
            }
        };
        let proxy = url::Url::parse(&url)
            .map_err(|e| Error::Config(format!("the proxy `{url}` is not a URL: {e}")))?;
        let custom =
            reqwest::Proxy::custom(move |target| goes_through_proxy(target).then(|| proxy.clone()));
        Ok(Some(custom.no_proxy(no_proxy)))
    }
}

/// Only encrypted traffic to another machine may pass a proxy.
fn goes_through_proxy(target: &url::Url) -> bool {
    target.scheme() == "https" && !crate::environment::is_loopback(target)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn only_https_to_other_hosts_may_pass_a_proxy() {
        let go = |u: &str| goes_through_proxy(&url::Url::parse(u).unwrap());
        assert!(go("https://api.bunq.com/v1/user"));
        assert!(!go("http://127.0.0.1:8080/v1/user"));
        assert!(!go("https://127.0.0.1:8443/v1/user"));
        assert!(!go("https://localhost/v1"));
        assert!(!go("https://[::1]/v1"));
        assert!(!go("http://api.example/v1"));
    }

    #[test]
    fn a_bad_proxy_url_is_a_config_error() {
        let err = Client::builder().proxy("not a url").build().unwrap_err();
        assert!(
            matches!(err, Error::Config(ref m) if m.contains("proxy")),
            "{err}"
        );
    }
}
