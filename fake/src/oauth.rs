//! bunq's OAuth pages: the authorization page (`GET /oauth/auth`) and the
//! token endpoint (`POST /oauth/v1/token`).
//!
//! These are bunq's other hosts, so their answers carry no bunq headers and
//! no signature, and injected faults and rate limits do not apply.

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use chrono::Utc;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::state::{CodeRec, GRANTING_ID, State, UserKind, UserRec};
use crate::wire::Query;
use crate::{FakeConfig, Shared, random_hex};

/// `GET /oauth/auth?response_type=code&client_id=…&redirect_uri=…&state=…`:
/// the granting user approves at once (302 to the redirect URI with `code`
/// and `state`), or refuses when the fake is configured to deny (302 with
/// `error=access_denied`). A request bunq cannot send back anywhere gets a
/// 400 HTML page and no redirect.
pub(super) fn authorize(shared: &Shared, parts: &Parts) -> Response {
    if parts.method != Method::GET {
        return page(StatusCode::METHOD_NOT_ALLOWED, "Open this page with GET.");
    }
    let query = Query::parse(parts.uri.query());
    let location = {
        let mut state = shared.lock();
        redirect_for(&mut state, &shared.config, &query)
    };
    let location = location
        .and_then(|l| HeaderValue::from_str(&l).map_err(|_| "The redirect_uri cannot be used."));
    match location {
        Ok(location) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::FOUND;
            response.headers_mut().insert(header::LOCATION, location);
            response
        }
        Err(reason) => page(StatusCode::BAD_REQUEST, reason),
    }
}

/// Where to send the user back, or why there is nowhere to send them.
fn redirect_for(
    state: &mut State,
    config: &FakeConfig,
    query: &Query,
) -> Result<String, &'static str> {
    if query.get("response_type") != Some("code") {
        return Err("The response_type must be \"code\".");
    }
    let client_id = query.get("client_id").ok_or("The client_id is missing.")?;
    let redirect_uri = query
        .get("redirect_uri")
        .ok_or("The redirect_uri is missing.")?;
    let client = state
        .oauth_clients
        .values()
        .find(|c| c.client_id == client_id && c.status == "ACTIVE")
        .ok_or("Connection not found: there is no active OAuth client with this client_id.")?;
    if !client.callback_urls.values().any(|u| u.url == redirect_uri) {
        return Err(
            "Connection not found: the redirect_uri is not one of the OAuth client's callback URLs.",
        );
    }
    let oauth_client = client.id;
    let csrf_state = query.get("state").map(str::to_owned);
    let mut params = url::form_urlencoded::Serializer::new(String::new());
    if config.deny_authorization {
        params.append_pair("error", "access_denied");
        params.append_pair("error_description", "The user denied access to the app.");
    } else {
        let code = random_hex(32);
        // Who consents: the fixed granting user, or (the fake's own
        // parameter, for many users) a person added with `FakeBunq::add_person`.
        let granted_by = query
            .get("fake_user")
            .and_then(|id| id.parse::<u64>().ok())
            .filter(|id| {
                matches!(
                    state.users.get(id).map(|u| &u.kind),
                    Some(UserKind::Person { .. })
                )
            })
            .unwrap_or(GRANTING_ID);
        state.codes.insert(
            code.clone(),
            CodeRec {
                granted_by,
                oauth_client,
                redirect_uri: redirect_uri.to_owned(),
                state: csrf_state.clone(),
                issued: Instant::now(),
                used: false,
            },
        );
        state.stats.codes_issued += 1;
        params.append_pair("code", &code);
    }
    if let Some(csrf_state) = &csrf_state {
        params.append_pair("state", csrf_state);
    }
    let separator = match redirect_uri.split_once('?') {
        None => "?",
        Some((_, q)) if q.is_empty() || q.ends_with('&') => "",
        Some(_) => "&",
    };
    Ok(format!("{redirect_uri}{separator}{}", params.finish()))
}

/// A small HTML page, as bunq shows when it cannot redirect.
fn page(status: StatusCode, message: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html><head><title>bunq</title></head>\
         <body><h1>Something went wrong</h1><p>{message}</p></body></html>\n"
    );
    let mut response = Response::new(Body::from(html));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// An OAuth error: status, `error`, `error_description`.
type OAuthFailure = (StatusCode, &'static str, String);

/// `POST /oauth/v1/token?grant_type=authorization_code&code=…&redirect_uri=…&client_id=…&client_secret=…`.
/// Parameters come from the query string, as bunq documents; a
/// form-encoded body is read too (the other form bunq's docs show).
pub(super) fn token(shared: &Shared, parts: &Parts, body: &[u8]) -> Response {
    if parts.method != Method::POST {
        let failure = (
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "Use POST.".to_owned(),
        );
        return oauth_json(failure.0, oauth_error(&failure));
    }
    let mut query = Query::parse(parts.uri.query());
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if form {
        query.merge(Query::parse(std::str::from_utf8(body).ok()));
    }
    let result = {
        let mut state = shared.lock();
        exchange(&mut state, &shared.config, &query)
    };
    match result {
        Ok(answer) => oauth_json(StatusCode::OK, answer),
        Err(failure) => oauth_json(failure.0, oauth_error(&failure)),
    }
}

/// Checks the exchange and issues an access token, with its `UserApiKey`.
fn exchange(state: &mut State, config: &FakeConfig, query: &Query) -> Result<Value, OAuthFailure> {
    if query.get("grant_type") != Some("authorization_code") {
        return Err((
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The grant_type must be authorization_code.".to_owned(),
        ));
    }
    let required = |name: &'static str| {
        query.get(name).ok_or((
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("The parameter {name} is missing."),
        ))
    };
    let code = required("code")?;
    let redirect_uri = required("redirect_uri")?;
    let client_id = required("client_id")?;
    let client_secret = required("client_secret")?;
    let client = state
        .oauth_clients
        .values()
        .find(|c| c.client_id == client_id && c.status == "ACTIVE")
        .filter(|c| c.secret == client_secret)
        .ok_or((
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.".to_owned(),
        ))?;
    let (oauth_client, requested_by) = (client.id, client.user);
    let now = Instant::now();
    let grant = state.codes.get_mut(code).filter(|c| {
        !c.used
            && c.oauth_client == oauth_client
            && c.redirect_uri == redirect_uri
            && now.saturating_duration_since(c.issued) < config.code_ttl
    });
    let Some(grant) = grant else {
        return Err((
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The authorization code is invalid or expired.".to_owned(),
        ));
    };
    grant.used = true;
    let csrf_state = grant.state.clone();
    let granted_by = grant.granted_by;
    let token = random_hex(32);
    let user = state.next_id();
    state.users.insert(
        user,
        UserRec {
            id: user,
            created: Utc::now(),
            kind: UserKind::ApiKey {
                requested_by,
                granted_by,
            },
        },
    );
    state.secrets.insert(token.clone(), user);
    state.add_history(user);
    state.stats.tokens_issued += 1;
    let mut answer = json!({"access_token": token, "token_type": "bearer"});
    if let (Some(csrf_state), Some(map)) = (csrf_state, answer.as_object_mut()) {
        map.insert("state".into(), Value::String(csrf_state));
    }
    Ok(answer)
}

fn oauth_error((_, error, description): &OAuthFailure) -> Value {
    json!({"error": error, "error_description": description})
}

fn oauth_json(status: StatusCode, body: Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::OauthClientRec;

    fn state_with_client(callback: &str) -> State {
        let mut state = State::new("key", None);
        let mut client = OauthClientRec {
            id: 1,
            user: 7,
            status: "ACTIVE",
            client_id: "cid".into(),
            secret: "sec".into(),
            callback_urls: Default::default(),
        };
        client.callback_urls.insert(
            2,
            crate::state::CallbackRec {
                id: 2,
                created: Utc::now(),
                updated: Utc::now(),
                url: callback.into(),
            },
        );
        state.oauth_clients.insert(1, client);
        state
    }

    #[test]
    fn redirect_appends_to_an_existing_query() {
        let mut state = state_with_client("https://app.example/cb?tenant=a");
        let query = Query::parse(Some(
            "response_type=code&client_id=cid&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Ftenant%3Da&state=x%26y",
        ));
        let location = redirect_for(&mut state, &FakeConfig::default(), &query).unwrap();
        assert!(
            location.starts_with("https://app.example/cb?tenant=a&code="),
            "{location}"
        );
        assert!(location.ends_with("&state=x%26y"), "{location}");
        let denied = redirect_for(
            &mut state,
            &FakeConfig::default().deny_authorization(true),
            &query,
        )
        .unwrap();
        assert!(
            denied.contains("?tenant=a&error=access_denied&"),
            "{denied}"
        );
    }

    #[test]
    fn unknown_redirect_uri_is_refused() {
        let mut state = state_with_client("https://app.example/cb");
        let query = Query::parse(Some(
            "response_type=code&client_id=cid&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%2F",
        ));
        assert!(redirect_for(&mut state, &FakeConfig::default(), &query).is_err());
        assert_eq!(state.stats.codes_issued, 0);
    }
}
