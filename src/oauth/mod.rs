//! bunq's OAuth authorization-code flow.
//!
//! 1. [`OAuthConfig::authorize_url`] builds the URL to send the user to,
//!    with a fresh CSRF `state` to keep until the user comes back;
//! 2. [`parse_callback`] checks the redirect (state compared in constant
//!    time; bunq's `error` typed) and yields the authorization code;
//! 3. [`OAuthConfig::exchange_code`] trades the code for an access token at
//!    bunq's token endpoint (parameters in the query string, as bunq
//!    documents);
//! 4. [`ApiContext::for_access_token`](crate::ApiContext::for_access_token) uses the access token as an API key: installation,
//!    device-server and session-server, whose user is a
//!    [`OauthConnection`](crate::OauthConnection).
//!
//! The whole sequence, against the fake bunq (the `bunq-oauth-fake` crate):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use bunq_oauth_fake::FakeBunq;
//! use bunq_oauth::{ApiContext, Client, OAuthConfig, PagedList, Session, parse_callback};
//!
//! let bunq = FakeBunq::start().await?;
//! let client = Client::builder().environment(bunq.environment()).build()?;
//!
//! // Setup, once, as the app owner.
//! let owner = Session::new(&client, ApiContext::create(&client, bunq.owner_api_key(), "app").await?)?;
//! let oauth_client = owner.oauth_client_manager().ensure_active().await?;
//! let redirect_uri = "https://app.example/oauth/callback";
//! owner.callback_url_manager(oauth_client.id).ensure(redirect_uri).await?;
//!
//! // Authorize URL, with the state to keep.
//! let config = OAuthConfig::new(oauth_client.client_id.clone(), oauth_client.secret.clone(), redirect_uri)?;
//! let request = config.authorize_url(client.environment())?;
//!
//! // The user approves; bunq redirects back (the fake approves at once).
//! let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
//! let answer = browser.get(request.url().as_str()).send().await?;
//! let redirect = answer.headers()["location"].to_str()?.to_owned();
//!
//! // Callback, exchange, connect, act as the user.
//! let code = parse_callback(&redirect, request.state())?;
//! let token = config.exchange_code(&client, &code).await?;
//! let user = Session::new(&client, ApiContext::for_access_token(&client, &token, "app").await?)?;
//! let accounts = user.account_summaries().list().await?;
//! assert!(!accounts.items.is_empty());
//! # Ok(())
//! # }
//! ```

use std::fmt;

use serde::Deserialize;
use url::Url;

use crate::client::Client;
use crate::environment::Environment;
use crate::error::{Error, Result, excerpt};
use crate::models::OauthClientDetails;
use crate::secret::{AccessToken, AuthorizationCode, ClientSecret, CsrfState};

pub(crate) mod error;
mod redirect;

pub use error::OAuthError;

/// An OAuth client's settings: who the app is and where bunq sends the user
/// back. Where bunq is comes from the [`Environment`] (a [`Client`]'s).
///
/// ```
/// use bunq_oauth::{ClientSecret, Environment, OAuthConfig};
/// let config = OAuthConfig::new(
///     "client_abc123",
///     ClientSecret::new("secret_xyz"),
///     "https://app.example/oauth/callback",
/// )?;
/// let request = config.authorize_url(&Environment::sandbox())?;
/// assert!(request.url().as_str().starts_with("https://oauth.sandbox.bunq.com/auth?response_type=code"));
/// // Keep request.state() (in the user's session) until bunq redirects back.
/// # Ok::<(), bunq_oauth::Error>(())
/// ```
#[derive(Clone)]
pub struct OAuthConfig {
    client_id: String,
    client_secret: ClientSecret,
    redirect_uri: String,
}

impl fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

impl OAuthConfig {
    /// An OAuth client's id and secret (from
    /// [`OauthClientManager::get`](crate::OauthClientManager::get)) and the redirect URI,
    /// which must equal one of its registered callback URLs exactly. The
    /// redirect carries the authorization code, so it must be `https://`;
    /// `http://` only on loopback (a command line's local listener).
    pub fn new(
        client_id: impl Into<String>,
        client_secret: ClientSecret,
        redirect_uri: impl Into<String>,
    ) -> Result<Self> {
        let redirect_uri = redirect_uri.into();
        check_redirect_scheme(&redirect_uri)?;
        Ok(OAuthConfig {
            client_id: client_id.into(),
            client_secret,
            redirect_uri,
        })
    }

    /// Settings for a registered OAuth client (from
    /// [`OauthClientManager::get`](crate::OauthClientManager::get) or
    /// [`ensure_active`](crate::OauthClientManager::ensure_active)), after a
    /// preflight: `redirect_uri` must equal one of its callback URLs exactly.
    /// A near miss (case of the host, a trailing slash, `www.`, the scheme,
    /// a default port, a query) is [`OAuthError::RedirectUriNearMiss`],
    /// naming the registered URL; no match at all is
    /// [`OAuthError::RedirectUriNotRegistered`]. Either would otherwise
    /// surface only in bunq's app, as "Connection not found".
    ///
    /// ```
    /// # fn run(oauth_client: &bunq_oauth::OauthClientDetails) -> bunq_oauth::Result<()> {
    /// use bunq_oauth::{Error, OAuthConfig, OAuthError};
    /// match OAuthConfig::for_client(oauth_client, "https://app.example/oauth/callback/") {
    ///     Err(Error::OAuth(OAuthError::RedirectUriNearMiss { registered, .. })) => {
    ///         println!("did you mean {registered}?");
    ///     }
    ///     other => { other?; }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn for_client(
        oauth_client: &OauthClientDetails,
        redirect_uri: impl Into<String>,
    ) -> Result<Self> {
        let redirect_uri = redirect_uri.into();
        let registered: Vec<&str> = oauth_client
            .callback_urls
            .iter()
            .map(|u| u.url.as_str())
            .collect();
        redirect::check(&redirect_uri, &registered)?;
        Self::new(
            oauth_client.client_id.clone(),
            oauth_client.secret.clone(),
            redirect_uri,
        )
    }

    /// The public client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The redirect URI sent in both the authorize request and the exchange.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    pub(crate) fn client_secret(&self) -> &ClientSecret {
        &self.client_secret
    }

    /// Builds `environment`'s authorize URL (`response_type=code`,
    /// `client_id`, `redirect_uri`, `state`) with a new 256-bit random `state`.
    pub fn authorize_url(&self, environment: &Environment) -> Result<AuthorizationRequest> {
        let state = CsrfState::random()?;
        let mut url = environment.oauth_authorize_url().clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("state", state.expose_secret());
        Ok(AuthorizationRequest { url, state })
    }

    /// Exchanges an authorization code for an access token at `client`'s
    /// token endpoint: `POST` with `grant_type=authorization_code`, `code`,
    /// `redirect_uri`, `client_id` and `client_secret` in the query string
    /// and no body, as bunq documents. Uses `client`'s HTTP settings
    /// (timeouts, size limit, retries that cannot duplicate the exchange);
    /// bunq's API headers and signatures do not apply to this endpoint. A
    /// connection that breaks after sending is
    /// [`Error::OutcomeUnknown`]: the code may have been used.
    pub async fn exchange_code(
        &self,
        client: &Client,
        code: &AuthorizationCode,
    ) -> Result<AccessToken> {
        let mut url = client.environment().oauth_token_url().clone();
        url.query_pairs_mut()
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code.expose_secret())
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.client_secret.expose_secret());
        let (status, body) = client.post_outside_api(url).await?;
        if (200..300).contains(&status) {
            #[derive(Deserialize)]
            struct Token {
                access_token: String,
                #[serde(default)]
                token_type: Option<String>,
            }
            let token: Token = serde_json::from_slice(&body)
                .map_err(|e| Error::decode("OAuth token answer", "", e, &body))?;
            if let Some(kind) = &token.token_type
                && !kind.eq_ignore_ascii_case("bearer")
            {
                tracing::warn!(token_type = %kind, "unexpected OAuth token_type");
            }
            return Ok(AccessToken::new(token.access_token));
        }
        #[derive(Deserialize)]
        struct OAuthErrorBody {
            error: String,
            #[serde(default)]
            error_description: Option<String>,
        }
        match serde_json::from_slice::<OAuthErrorBody>(&body) {
            Ok(e) => Err(Error::OAuth(OAuthError::TokenRejected {
                status,
                error: e.error,
                description: e.error_description,
            })),
            Err(_) => Err(Error::OAuth(OAuthError::TokenEndpoint {
                status,
                body_excerpt: excerpt(&body),
            })),
        }
    }
}

/// The redirect URI carries the authorization code: https, or http on loopback.
/// A redirect (or callback) URL must be an absolute `https://` URL, or
/// `http://` on loopback: the authorization code travels in it.
pub(crate) fn check_redirect_scheme(redirect_uri: &str) -> Result<()> {
    let url = Url::parse(redirect_uri).map_err(|e| {
        Error::Config(format!(
            "redirect_uri `{redirect_uri}` is not an absolute URL ({e}): it must be https (http only on loopback)"
        ))
    })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if crate::environment::is_loopback(&url) => Ok(()),
        other => Err(Error::Config(format!(
            "redirect_uri `{redirect_uri}` uses {other}: the authorization code travels in it, so it must be https (http only on loopback)"
        ))),
    }
}

/// The URL to send the user to, and the `state` to keep until they return.
#[derive(Clone)]
pub struct AuthorizationRequest {
    url: Url,
    state: CsrfState,
}

/// The URL carries the state: `Debug` masks it there too.
impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.url.clone();
        let pairs: Vec<(String, String)> = self
            .url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "state" {
                    "[redacted]".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        f.debug_struct("AuthorizationRequest")
            .field("url", &url.as_str())
            .field("state", &self.state)
            .finish()
    }
}

impl AuthorizationRequest {
    /// The authorize URL (show it as a link or a QR code).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The CSRF state: store it with the user's session and pass it to
    /// [`parse_callback`].
    pub fn state(&self) -> &CsrfState {
        &self.state
    }

    /// Both halves.
    pub fn into_parts(self) -> (Url, CsrfState) {
        (self.url, self.state)
    }
}

/// Reads bunq's redirect back to the app: the full redirect URL, its path
/// and query (`/callback?code=…`, as an HTTP server sees it), or just the
/// query (with or without `?`). Returns the authorization code if the
/// `state` equals `expected` (compared in constant time).
pub fn parse_callback(redirect: &str, expected: &CsrfState) -> Result<AuthorizationCode> {
    let query = match Url::parse(redirect) {
        Ok(url) => url.query().unwrap_or_default().to_owned(),
        // A path with its query (`/callback?code=…`), or the query alone.
        Err(_) if !redirect.contains("://") => match redirect.split_once('?') {
            Some((_, query)) => query.to_owned(),
            None => redirect.to_owned(),
        },
        Err(e) => return Err(OAuthError::MalformedCallback(e.to_string()).into()),
    };
    let (mut code, mut state, mut error, mut description) = (None, None, None, None);
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match key.as_ref() {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_description" => &mut description,
            _ => continue,
        };
        if slot.is_some() {
            return Err(OAuthError::MalformedCallback(format!("`{key}` appears twice")).into());
        }
        *slot = Some(value.into_owned());
    }
    // The state first: a redirect that does not carry this request's state
    // came from someone else, whatever else it says (a forged denial too).
    let matches = state.is_some_and(|s| {
        aws_lc_rs::constant_time::verify_slices_are_equal(
            s.as_bytes(),
            expected.expose_secret().as_bytes(),
        )
        .is_ok()
    });
    if !matches {
        return Err(OAuthError::StateMismatch.into());
    }
    if let Some(error) = error {
        // Remote text, shown to a person: no control characters (a terminal
        // would run escape sequences).
        return Err(OAuthError::Denied {
            error: printable(&error),
            description: description.as_deref().map(printable),
        }
        .into());
    }
    match code {
        Some(code) if !code.is_empty() => Ok(AuthorizationCode::new(code)),
        _ => Err(OAuthError::MissingCode.into()),
    }
}

/// `text` without control characters, at most 300 characters.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}
