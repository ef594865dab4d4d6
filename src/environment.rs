//! [`Environment`]: where bunq is — its API, its authorization page and its
//! token endpoint, as one value.

use std::fmt;

use url::{Host, Url};

use crate::error::{Error, Result};

/// Where bunq is: the API base URL, the OAuth authorization page and the
/// OAuth token endpoint, together. A [`Client`](crate::Client) owns one; the
/// OAuth flow takes its two OAuth URLs from it.
///
/// ```
/// use bunq_oauth::Environment;
/// let sandbox = Environment::sandbox();
/// assert_eq!(sandbox.api_url(), "https://public-api.sandbox.bunq.com/v1");
/// assert_eq!(sandbox.oauth_authorize_url().as_str(), "https://oauth.sandbox.bunq.com/auth");
///
/// // Any bunq-compatible server, for example a local fake (http only on loopback).
/// let local = Environment::custom(
///     "http://127.0.0.1:8080/v1",
///     "http://127.0.0.1:8080/oauth/auth",
///     "http://127.0.0.1:8080/oauth/v1/token",
/// )?;
/// assert!(!local.is_production());
/// assert!(Environment::custom("http://api.example/v1", "https://a.example", "https://t.example").is_err());
/// # Ok::<(), bunq_oauth::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Environment {
    /// Without a trailing slash, so paths append as `{api_url}/user`.
    api_url: String,
    authorize_url: Url,
    token_url: Url,
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Environment")
            .field("api_url", &self.api_url)
            .field("oauth_authorize_url", &self.authorize_url.as_str())
            .field("oauth_token_url", &self.token_url.as_str())
            .finish()
    }
}

const PRODUCTION_API: &str = "https://api.bunq.com/v1";

impl Environment {
    /// bunq production (real money): `https://api.bunq.com/v1`,
    /// `https://oauth.bunq.com/auth`, `https://api.oauth.bunq.com/v1/token`.
    pub fn production() -> Self {
        Self::known(
            PRODUCTION_API,
            "https://oauth.bunq.com/auth",
            "https://api.oauth.bunq.com/v1/token",
        )
    }

    /// bunq's sandbox: `https://public-api.sandbox.bunq.com/v1`,
    /// `https://oauth.sandbox.bunq.com/auth`,
    /// `https://api-oauth.sandbox.bunq.com/v1/token`.
    pub fn sandbox() -> Self {
        Self::known(
            "https://public-api.sandbox.bunq.com/v1",
            "https://oauth.sandbox.bunq.com/auth",
            "https://api-oauth.sandbox.bunq.com/v1/token",
        )
    }

    /// Any other bunq: the API base URL (with its version path, for example
    /// `http://127.0.0.1:8080/v1`), the authorization page and the token
    /// endpoint. Each must be an absolute `https://` URL (`http://` only on
    /// loopback) without query or fragment.
    pub fn custom(api_url: &str, oauth_authorize_url: &str, oauth_token_url: &str) -> Result<Self> {
        Ok(Environment {
            api_url: validate_base_url(api_url)?,
            authorize_url: endpoint(oauth_authorize_url)?,
            token_url: endpoint(oauth_token_url)?,
        })
    }

    fn known(api_url: &str, authorize_url: &str, token_url: &str) -> Self {
        // Constant, well-formed URLs: a failure here is a typo in this file,
        // which the unit tests below catch.
        Self::custom(api_url, authorize_url, token_url)
            .unwrap_or_else(|e| unreachable!("bunq's own URLs are valid: {e}"))
    }

    /// The API base URL, without a trailing slash.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// bunq's authorization page, where the user grants access.
    pub fn oauth_authorize_url(&self) -> &Url {
        &self.authorize_url
    }

    /// bunq's OAuth token endpoint, where a code becomes an access token.
    pub fn oauth_token_url(&self) -> &Url {
        &self.token_url
    }

    /// Whether this is bunq production, where money is real.
    pub fn is_production(&self) -> bool {
        self.api_url == PRODUCTION_API
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

fn endpoint(text: &str) -> Result<Url> {
    let checked = validate_base_url(text)?;
    Url::parse(&checked).map_err(|e| Error::Config(format!("`{text}`: {e}")))
}

/// Whether a URL's host is this machine (`127.0.0.0/8`, `::1`, `localhost`).
pub(crate) fn is_loopback(url: &Url) -> bool {
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
    fn bunq_environments_are_valid_and_distinct() {
        let (production, sandbox) = (Environment::production(), Environment::sandbox());
        assert!(production.is_production());
        assert!(!sandbox.is_production());
        assert_eq!(production.api_url(), "https://api.bunq.com/v1");
        assert_eq!(
            production.oauth_token_url().as_str(),
            "https://api.oauth.bunq.com/v1/token"
        );
        assert_eq!(
            sandbox.oauth_token_url().as_str(),
            "https://api-oauth.sandbox.bunq.com/v1/token"
        );
        assert_ne!(production, sandbox);
    }

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
    fn custom_checks_all_three() {
        let ok = "http://127.0.0.1:1/v1";
        assert!(Environment::custom(ok, ok, ok).is_ok());
        assert!(Environment::custom("http://x.example/v1", ok, ok).is_err());
        assert!(Environment::custom(ok, "http://x.example/auth", ok).is_err());
        assert!(Environment::custom(ok, ok, "https://t.example/token?x=1").is_err());
    }
}
