//! The redirect preflight: bunq accepts an authorize request only if its
//! `redirect_uri` equals one of the OAuth client's callback URLs exactly; a
//! near miss (a trailing slash, `www.`, http for https, …) shows the user
//! "Connection not found" in bunq's app. Caught here instead, before the user
//! is sent anywhere.

use url::Url;

use crate::oauth::error::OAuthError;

/// Compares `redirect_uri` with the registered callback URLs: `Ok` on an
/// exact match; otherwise the error names the nearest registered URL and how
/// they differ, or says that none is close.
pub(crate) fn check(redirect_uri: &str, registered: &[&str]) -> Result<(), OAuthError> {
    if registered.contains(&redirect_uri) {
        return Ok(());
    }
    let near = registered.iter().find_map(|candidate| {
        let differences = differences(redirect_uri, candidate)?;
        Some((candidate.to_string(), differences))
    });
    Err(match near {
        Some((registered, differences)) => OAuthError::RedirectUriNearMiss {
            redirect_uri: redirect_uri.to_owned(),
            registered,
            differences,
        },
        None => OAuthError::RedirectUriNotRegistered {
            redirect_uri: redirect_uri.to_owned(),
        },
    })
}

/// How two URLs differ if they are the same callback but for the ways people
/// usually get it wrong; `None` if they are different callbacks.
fn differences(wanted: &str, registered: &str) -> Option<Vec<String>> {
    let (a, b) = (Url::parse(wanted).ok()?, Url::parse(registered).ok()?);
    let host = |url: &Url| {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        host.strip_prefix("www.").map(str::to_owned).unwrap_or(host)
    };
    let path = |url: &Url| url.path().trim_end_matches('/').to_owned();
    let scheme_ok = |url: &Url| matches!(url.scheme(), "http" | "https");
    if !scheme_ok(&a) || !scheme_ok(&b) || host(&a) != host(&b) || path(&a) != path(&b) {
        return None;
    }
    // Ports count only where neither is its scheme's default.
    if a.port().is_some() && b.port().is_some() && a.port() != b.port() {
        return None;
    }
    let mut found = Vec::new();
    if a.scheme() != b.scheme() {
        found.push(format!("scheme ({} vs {})", a.scheme(), b.scheme()));
    }
    let raw_host = |text: &str| {
        let after = text.split_once("://").map_or(text, |(_, rest)| rest);
        after
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let (host_a, host_b) = (raw_host(wanted), raw_host(registered));
    let www = |h: &str| h.to_ascii_lowercase().starts_with("www.");
    if www(&host_a) != www(&host_b) {
        found.push("`www.`".to_owned());
    }
    if !host_a.eq_ignore_ascii_case(&host_b) && host_a.contains(':') != host_b.contains(':') {
        found.push("an explicit default port".to_owned());
    }
    if host_a != host_b && host_a.eq_ignore_ascii_case(&host_b) {
        found.push("upper and lower case in the host".to_owned());
    }
    if a.path().ends_with('/') != b.path().ends_with('/') {
        found.push("a trailing slash".to_owned());
    }
    if a.query() != b.query() || a.fragment() != b.fragment() {
        found.push("the query string".to_owned());
    }
    if found.is_empty() {
        found.push("spelling (bunq compares the text exactly)".to_owned());
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTERED: &str = "https://app.example/oauth/callback";

    fn near_miss(wanted: &str) -> Vec<String> {
        match check(wanted, &[REGISTERED]) {
            Err(OAuthError::RedirectUriNearMiss {
                registered,
                differences,
                ..
            }) => {
                assert_eq!(registered, REGISTERED);
                differences
            }
            other => panic!("{wanted}: {other:?}"),
        }
    }

    #[test]
    fn an_exact_match_passes() {
        assert_eq!(
            check(REGISTERED, &["https://other.example/cb", REGISTERED]),
            Ok(())
        );
    }

    #[test]
    fn near_misses_name_the_registered_url_and_the_difference() {
        let cases = [
            ("https://app.example/oauth/callback/", "trailing slash"),
            ("https://www.app.example/oauth/callback", "www."),
            ("http://app.example/oauth/callback", "scheme"),
            ("https://App.Example/oauth/callback", "case"),
            ("https://app.example:443/oauth/callback", "default port"),
            ("https://app.example/oauth/callback?tenant=1", "query"),
        ];
        for (wanted, difference) in cases {
            let found = near_miss(wanted);
            assert!(
                found.iter().any(|d| d.contains(difference)),
                "{wanted}: {found:?}"
            );
        }
    }

    #[test]
    fn another_callback_is_not_a_near_miss() {
        for wanted in [
            "https://app.example/other",
            "https://evil.example/oauth/callback",
            "https://app.example:8443/oauth/callback2",
            "not a url",
        ] {
            assert_eq!(
                check(wanted, &[REGISTERED]),
                Err(OAuthError::RedirectUriNotRegistered {
                    redirect_uri: wanted.to_owned()
                }),
                "{wanted}"
            );
        }
        // Nothing registered at all.
        assert!(matches!(
            check(REGISTERED, &[]),
            Err(OAuthError::RedirectUriNotRegistered { .. })
        ));
    }
}
