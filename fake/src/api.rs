//! The bunq API under `/v1`: the handshake, users, the OAuth Client API and
//! monetary accounts.
//!
//! [`handle`] runs every request through the same steps: injected fault,
//! rate limit, routing (404/405), authentication, the handler, and the
//! signed answer. Handlers are plain functions over the locked [`State`].

use std::net::Ipv4Addr;

use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use chrono::Utc;
use serde_json::{Map, Value, json};
use tokio::time::Instant;
use url::{Host, Url};

use crate::faults::{self, FaultKind};
use crate::notify::Scope;
use crate::objects::{self, Lookup, Matched, Stored, refused};
use crate::state::{
    DeviceRec, InstallationRec, OauthClientRec, SessionRec, State, UserKind, UserRec,
};
use crate::wire::{
    self, BAD_CREDENTIALS, BAD_SIGNATURE, Failure, Outcome, Query, envelope, id_answer,
    json_object, string_field,
};
use crate::{FakeConfig, Shared, random_hex};
use bunq_oauth::api::Shape;
use bunq_oauth::format_timestamp;
use bunq_oauth::psd2;
use bunq_oauth::signing::PublicKey;

const AUTHENTICATION: &str = "x-bunq-client-authentication";
const CLIENT_SIGNATURE: &str = "x-bunq-client-signature";
/// bunq's refusal of an unsigned request where a signature is required.
const SIGNATURE_REQUIRED: &str = "Request signature is required for this operation.";

const ACTIVE: &str = "ACTIVE";
const CANCELLED: &str = "CANCELLED";

/// Answers one `/v1` request (anything that is not an OAuth page).
pub(super) async fn handle(shared: &Shared, parts: &Parts, body: &[u8]) -> Response {
    let (method, path, headers) = (&parts.method, parts.uri.path(), &parts.headers);
    let template = faults::template(path);
    let answer = |status, body, fault| wire::finish(&shared.key, headers, status, body, fault);

    let fault = {
        let mut state = shared.lock();
        let fault = faults::take(&mut state.faults, method, path);
        state.stats.faults_applied += u64::from(fault.is_some());
        fault
    };
    match fault {
        Some(FaultKind::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(FaultKind::DropBeforeHandling) => return wire::dropped_connection(),
        Some(FaultKind::Status500) => {
            let failure = Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again later.",
            );
            return answer(failure.status, failure.body(), None);
        }
        Some(FaultKind::Status503) => {
            let failure = Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is temporarily unavailable. Please try again later.",
            );
            return answer(failure.status, failure.body(), None);
        }
        Some(FaultKind::Status429) => {
            let limits = shared.lock().rate_limits.unwrap_or_default();
            let (calls, window) = limits.for_request(method, &template).unwrap_or(limits.get);
            let failure = Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                faults::too_many_requests(calls, window),
            );
            return answer(failure.status, failure.body(), None);
        }
        _ => {}
    }

    let limits = shared.lock().rate_limits;
    if let Some(limits) = &limits {
        let credential = headers
            .get(AUTHENTICATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        // Counted per peer address, over all its connections.
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        let refused = {
            let mut state = shared.lock();
            let refused = state
                .limiter
                .check(limits, peer, method, &template, credential, Instant::now())
                .err();
            state.stats.rate_limited += u64::from(refused.is_some());
            refused
        };
        if let Some((calls, window)) = refused {
            let failure = Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                faults::too_many_requests(calls, window),
            );
            return answer(failure.status, failure.body(), None);
        }
    }

    let request = Req {
        method,
        path,
        query: Query::parse(parts.uri.query()),
        headers,
        body,
    };
    let outcome = {
        let mut state = shared.lock();
        let mut cx = Cx {
            state: &mut state,
            config: &shared.config,
            server_pem: &shared.server_pem,
        };
        cx.route(&request)
    };
    match outcome {
        Ok(body) => answer(StatusCode::OK, body, fault),
        Err(failure) => answer(failure.status, failure.body(), fault),
    }
}

/// One API request, its body read.
struct Req<'a> {
    method: &'a Method,
    path: &'a str,
    query: Query,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl Req<'_> {
    /// A header as text; `None` if missing or not visible ASCII.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What a path names.
enum Resource {
    Installation,
    /// `POST /payment-service-provider-credential`: a PSD2 registration.
    Psd2Credential,
    DeviceServer,
    SessionServer,
    /// `DELETE /session/{id}`: closes the calling session.
    Session,
    /// `POST /sandbox-user-person` (`false`) or `-company` (`true`).
    SandboxUser {
        company: bool,
    },
    User(u64, UserResource),
}

enum UserResource {
    Itself,
    OauthClients,
    OauthClient(u64),
    CallbackUrls(u64),
    CallbackUrl(u64, u64),
    Accounts,
    Account(u64),
}

const GET: &[Method] = &[Method::GET];
const POST: &[Method] = &[Method::POST];
const DELETE: &[Method] = &[Method::DELETE];
const GET_POST: &[Method] = &[Method::GET, Method::POST];
const GET_PUT: &[Method] = &[Method::GET, Method::PUT];
const GET_PUT_DELETE: &[Method] = &[Method::GET, Method::PUT, Method::DELETE];

/// A path segment as an id: digits only.
fn id(segment: &str) -> Option<u64> {
    if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse().ok()
}

/// The resource a path below `/v1/` names, and the methods it allows.
fn resolve(segments: &[&str]) -> Option<(Resource, &'static [Method])> {
    use UserResource as U;
    Some(match segments {
        ["installation"] => (Resource::Installation, POST),
        ["payment-service-provider-credential"] => (Resource::Psd2Credential, POST),
        ["device-server"] => (Resource::DeviceServer, POST),
        ["session-server"] => (Resource::SessionServer, POST),
        ["sandbox-user-person"] => (Resource::SandboxUser { company: false }, POST),
        ["sandbox-user-company"] => (Resource::SandboxUser { company: true }, POST),
        ["session", session] => {
            id(session)?;
            (Resource::Session, DELETE)
        }
        ["user", user, rest @ ..] => {
            let (resource, methods) = match rest {
                [] => (U::Itself, GET),
                ["oauth-client"] => (U::OauthClients, GET_POST),
                ["oauth-client", c] => (U::OauthClient(id(c)?), GET_PUT),
                ["oauth-client", c, "callback-url"] => (U::CallbackUrls(id(c)?), GET_POST),
                ["oauth-client", c, "callback-url", i] => {
                    (U::CallbackUrl(id(c)?, id(i)?), GET_PUT_DELETE)
                }
                ["monetary-account"] => (U::Accounts, GET),
                ["monetary-account", a] => (U::Account(id(a)?), GET),
                _ => return None,
            };
            (Resource::User(id(user)?, resource), methods)
        }
        _ => return None,
    })
}

/// The locked state and the fixed parts a handler needs.
struct Cx<'a> {
    state: &'a mut State,
    config: &'a FakeConfig,
    server_pem: &'a str,
}

impl Cx<'_> {
    fn route(&mut self, req: &Req<'_>) -> Outcome {
        let not_found = || Failure::new(StatusCode::NOT_FOUND, "The requested URL was not found.");
        let segments: Vec<&str> = req
            .path
            .strip_prefix("/v1/")
            .ok_or_else(not_found)?
            .split('/')
            .collect();
        let Some((resource, allowed)) = resolve(&segments) else {
            // Everything else the library generates: from its table.
            return self.generated(req);
        };
        if !allowed.contains(req.method) {
            // The same path may have other operations in the library's table
            // (`GET /installation` beside the handshake's `POST`).
            let below = req.path.strip_prefix("/v1").unwrap_or(req.path);
            if matches!(objects::lookup(req.method, below), Lookup::Found(_)) {
                return self.generated(req);
            }
            return Err(Failure::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("The method {} is not allowed on this URL.", req.method),
            ));
        }
        match resource {
            Resource::Installation => self.installation(req),
            Resource::Psd2Credential => self.psd2_credential(req),
            Resource::DeviceServer => self.device_server(req),
            Resource::SessionServer => self.session_server(req),
            Resource::SandboxUser { company } => Ok(self.sandbox_user(company)),
            Resource::Session => {
                let (_, token) = self.authenticate(req)?;
                self.state.sessions.remove(&token);
                Ok(envelope(Vec::new()))
            }
            Resource::User(user, resource) => {
                let (session_user, _) = self.authenticate(req)?;
                if user != session_user {
                    return Err(Failure::not_found("User"));
                }
                self.user_call(user, resource, req)
            }
        }
    }

    fn user_call(&mut self, user: u64, resource: UserResource, req: &Req<'_>) -> Outcome {
        use UserResource as U;
        if matches!(
            resource,
            U::OauthClients | U::OauthClient(_) | U::CallbackUrls(_) | U::CallbackUrl(..)
        ) && self.is_api_key(user)
        {
            return Err(Failure::new(
                StatusCode::FORBIDDEN,
                "An OAuth connection cannot manage OAuth clients.",
            ));
        }
        let (m, path, query) = (req.method, req.path, &req.query);
        match resource {
            U::Itself => Ok(envelope(vec![
                self.state.user_json(user, self.timeout_secs()),
            ])),
            U::OauthClients if *m == Method::POST => self.create_oauth_client(user, req.body),
            U::OauthClients => {
                let clients = &self.state.oauth_clients;
                let ids = clients
                    .values()
                    .filter(|c| c.user == user)
                    .map(|c| c.id)
                    .collect();
                wire::paginate(path, query, ids, |id| clients.get(&id).map(|c| c.json()))
            }
            U::OauthClient(c) if *m == Method::PUT => self.update_oauth_client(user, c, req.body),
            U::OauthClient(c) => Ok(envelope(vec![self.oauth_client(user, c)?.json()])),
            U::CallbackUrls(c) if *m == Method::POST => {
                self.oauth_client(user, c)?;
                let url = valid_callback_url(req.body)?;
                self.unique_url(c, &url, None)?;
                self.state
                    .add_callback_url(c, |_| url)
                    .map(id_answer)
                    .ok_or_else(|| Failure::not_found("OauthClient"))
            }
            U::CallbackUrls(c) => {
                let urls = &self.oauth_client(user, c)?.callback_urls;
                let ids = urls.keys().copied().collect();
                wire::paginate(path, query, ids, |id| urls.get(&id).map(|u| u.json()))
            }
            U::CallbackUrl(c, i) => self.callback_url_call(user, c, i, req),
            U::Accounts => {
                let holder = self.state.account_holder(user);
                let accounts = &self.state.accounts;
                let ids = accounts.of_user(holder).map(|a| a.id).collect();
                wire::paginate(path, query, ids, |id| {
                    accounts.get(id).map(|a| a.json.clone())
                })
            }
            U::Account(a) => {
                let holder = self.state.account_holder(user);
                self.state
                    .accounts
                    .held(a, holder)
                    .map(|acc| envelope(vec![acc.json.clone()]))
                    .ok_or_else(|| Failure::not_found("MonetaryAccount"))
            }
        }
    }

    // --- the generated operations ----------------------------------------

    /// An operation of the library's table that has no handler of its own.
    fn generated(&mut self, req: &Req<'_>) -> Outcome {
        let below = req.path.strip_prefix("/v1").unwrap_or(req.path);
        let matched = match objects::lookup(req.method, below) {
            Lookup::Found(matched) => matched,
            Lookup::WrongMethod => {
                return Err(Failure::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    format!("The method {} is not allowed on this URL.", req.method),
                ));
            }
            Lookup::Unknown => {
                return Err(Failure::new(
                    StatusCode::NOT_FOUND,
                    "The requested URL was not found.",
                ));
            }
        };
        let (user, session_token) = self.authenticate(req)?;
        let operation = matched.operation;
        if let Some(outcome) = self.installation_reads(&matched, &session_token, req) {
            return outcome;
        }
        if operation.path.starts_with("/user/{userID}") && matched.ids.first() != Some(&user) {
            return Err(Failure::not_found("User"));
        }
        let holder = self.state.account_holder(user);
        let account = operation
            .path
            .starts_with("/user/{userID}/monetary-account/{monetary-accountID}/")
            .then(|| matched.ids.get(1).copied())
            .flatten();
        if let Some(account) = account
            && self.state.accounts.held(account, holder).is_none()
        {
            return Err(Failure::not_found("MonetaryAccount"));
        }
        self.settle_pending();
        let now = format_timestamp(&Utc::now());
        // `GET /user`: the signed-in user is not an object of the store.
        if (operation.method, operation.path) == ("GET", "/user") {
            let timeout = self.timeout_secs();
            let state = &self.state;
            return wire::paginate(req.path, &req.query, vec![user], |id| {
                Some(state.user_json(id, timeout))
            });
        }
        if let Some(outcome) = self.notification_call(&matched, user, account, req) {
            return outcome;
        }
        if let Some(outcome) = self.account_kind_call(&matched, user, req, &now) {
            return outcome;
        }
        if let Some(outcome) = self.held_call(&matched, user, account, req, &now) {
            return outcome;
        }
        let below_collection = matched.collection.clone();
        match (operation.method, operation.shape) {
            ("GET", Shape::List) => {
                self.state
                    .objects
                    .list(&below_collection, req.path, &req.query)
            }
            ("GET", Shape::One) => self.state.objects.read(&matched),
            ("POST", Shape::Id) => self.create(&matched, user, account, req.body, &now),
            ("PUT", _) => self.state.objects.update(&matched, req.body, &now),
            ("DELETE", _) => self.state.objects.delete(&matched),
            _ => Err(Failure::new(
                StatusCode::NOT_IMPLEMENTED,
                format!(
                    "The fake bunq does not simulate {} {}.",
                    operation.method, operation.path
                ),
            )),
        }
    }

    /// Notification filters (the user's or an account's) and failed
    /// callbacks: `crate::notify`.
    fn notification_call(
        &mut self,
        matched: &Matched,
        user: u64,
        account: Option<u64>,
        req: &Req<'_>,
    ) -> Option<Outcome> {
        let (method, path) = (matched.operation.method, matched.operation.path);
        Some(if path.ends_with("/notification-filter-url") {
            match method {
                "POST" => self.state.set_notification_filters(user, account, req.body),
                _ => Ok(self.state.list_notification_filters(user, account)),
            }
        } else if path.ends_with("/notification-filter-failure") {
            match method {
                "POST" => self.state.replay_notification_failures(user, req.body),
                _ => Ok(self.state.list_notification_failures(user)),
            }
        } else {
            return None;
        })
    }

    /// `POST` of a generated operation: stores the object with a new id.
    /// Payments move money; draft-payments and requests wait for the user.
    fn create(
        &mut self,
        matched: &Matched,
        user: u64,
        account: Option<u64>,
        body: &[u8],
        now: &str,
    ) -> Outcome {
        let mut fields = wire::json_object(body)?;
        let key = matched.key();
        let mut answer_at = None;
        match (key, account) {
            ("Payment", Some(account)) => {
                let transfer = objects::transfer(&fields)?;
                let id = self.pay(user, account, &transfer, now, false)?;
                return Ok(id_answer(id));
            }
            ("DraftPayment", Some(_)) => {
                let entries = fields
                    .get("entries")
                    .and_then(Value::as_array)
                    .filter(|e| !e.is_empty())
                    .ok_or_else(|| refused("A draft-payment needs at least one entry."))?;
                for entry in entries {
                    let entry = entry
                        .as_object()
                        .ok_or_else(|| refused("Each entry must be an object."))?;
                    objects::transfer(entry)?;
                }
                fields.insert("status".into(), "PENDING".into());
                // As bunq sends a pending draft-payment: `null` where its
                // spec says list and object.
                fields.insert("responses".into(), Value::Null);
                fields.insert("object".into(), Value::Null);
                answer_at = self.config.approve_after.map(|d| Instant::now() + d);
            }
            ("RequestInquiry", Some(account)) if is_sugar_daddy(&fields) => {
                return self.ask_sugar_daddy(user, account, fields, now);
            }
            ("RequestInquiry", Some(_)) => {
                let amount = fields
                    .get("amount_inquired")
                    .and_then(|a| a.get("value"))
                    .and_then(Value::as_str)
                    .and_then(objects::cents)
                    .filter(|c| *c > 0);
                if amount.is_none() {
                    return Err(refused(
                        "The field \"amount_inquired\" needs a positive amount with at most two decimals.",
                    ));
                }
                if !fields.contains_key("counterparty_alias") {
                    return Err(refused("The field \"counterparty_alias\" is required."));
                }
                fields.insert("status".into(), "PENDING".into());
                answer_at = self.config.approve_after.map(|d| Instant::now() + d);
            }
            _ => {}
        }
        let id = self.state.next_id();
        fields.insert("id".into(), id.into());
        fields.insert("created".into(), now.into());
        fields.insert("updated".into(), now.into());
        if let Some(account) = account {
            fields.insert("monetary_account_id".into(), account.into());
        }
        self.state.objects.insert(
            &matched.collection,
            id,
            Stored {
                key: key.to_owned(),
                value: fields,
                answer_at,
            },
        );
        Ok(id_answer(id))
    }

    /// The caller's installation and devices: `GET /installation[/{id}]`,
    /// its server public key, `GET /device-server[/{id}]`.
    fn installation_reads(
        &self,
        matched: &Matched,
        session_token: &str,
        req: &Req<'_>,
    ) -> Option<Outcome> {
        let installation_token = self
            .state
            .sessions
            .get(session_token)
            .map(|s| s.installation_token.clone())
            .unwrap_or_default();
        let installation = self.state.installations.get(&installation_token);
        let own_id = installation.map(|i| i.id);
        let devices: Vec<&DeviceRec> = self
            .state
            .devices
            .iter()
            .filter(|d| d.installation_token == installation_token)
            .collect();
        let device_json = |d: &DeviceRec| {
            json!({"DeviceServer": {
                "id": d.id,
                "created": d.created,
                "updated": d.created,
                "description": d.description,
                "ip": "127.0.0.1",
                "status": "ACTIVE",
            }})
        };
        Some(match matched.operation.operation_id {
            "List_all_Installation" => {
                let ids = own_id.into_iter().collect();
                wire::paginate(req.path, &req.query, ids, |id| {
                    Some(json!({"Installation": {"id": id}}))
                })
            }
            "READ_Installation" => match (matched.item, own_id) {
                (Some(item), Some(own)) if item == own => {
                    Ok(envelope(vec![json!({"Installation": {"id": own}})]))
                }
                _ => Err(Failure::not_found("Installation")),
            },
            "List_all_ServerPublicKey_for_Installation" => {
                if matched.ids.first().copied() != own_id {
                    return Some(Err(Failure::not_found("Installation")));
                }
                Ok(envelope(vec![json!({"ServerPublicKey": {
                    "server_public_key": self.server_pem,
                }})]))
            }
            "List_all_DeviceServer" => {
                let ids = devices.iter().map(|d| d.id).collect();
                wire::paginate(req.path, &req.query, ids, |id| {
                    devices.iter().find(|d| d.id == id).map(|d| device_json(d))
                })
            }
            "READ_DeviceServer" => devices
                .iter()
                .find(|d| Some(d.id) == matched.item)
                .map(|d| envelope(vec![device_json(d)]))
                .ok_or_else(|| Failure::not_found("DeviceServer")),
            _ => return None,
        })
    }

    /// Cards and request-responses: what the user holds from the start. A
    /// card's update may assign one of the user's accounts to it; an OAuth
    /// connection reads request-responses but does not answer them (403: the
    /// fake's assumption of what the grant allows).
    fn held_call(
        &mut self,
        matched: &Matched,
        user: u64,
        account: Option<u64>,
        req: &Req<'_>,
        now: &str,
    ) -> Option<Outcome> {
        let kind = matched.key();
        let keys: &[&str] = match kind {
            "Card" => &["CardDebit", "CardCredit", "CardMaestro"],
            "RequestResponse" => &["RequestResponse"],
            _ => return None,
        };
        let holder = self.state.account_holder(user);
        let mine = |h: &crate::state::HeldRec| {
            h.user == holder && keys.contains(&h.key) && (account.is_none() || h.account == account)
        };
        let wrap = |h: &crate::state::HeldRec| json!({ h.key: h.json });
        Some(match (matched.operation.method, matched.item) {
            ("GET", None) => {
                let held = &self.state.held;
                let ids = held.iter().filter(|h| mine(h)).map(|h| h.id).collect();
                wire::paginate(req.path, &req.query, ids, |id| {
                    held.iter().find(|h| h.id == id).map(wrap)
                })
            }
            ("GET", Some(id)) => self
                .state
                .held
                .iter()
                .find(|h| h.id == id && mine(h))
                .map(|h| envelope(vec![wrap(h)]))
                .ok_or_else(|| Failure::not_found(kind)),
            ("PUT", Some(id)) => {
                let fields = match wire::json_object(req.body) {
                    Ok(fields) => fields,
                    Err(e) => return Some(Err(e)),
                };
                if kind == "RequestResponse" && self.is_api_key(user) {
                    return Some(Err(Failure::new(
                        StatusCode::FORBIDDEN,
                        "An OAuth connection can read requests, not answer them.",
                    )));
                }
                // Only the user's own accounts can go on their card.
                let own_accounts: Vec<u64> =
                    self.state.accounts.of_user(holder).map(|a| a.id).collect();
                if let Some(assignments) =
                    fields.get("pin_code_assignment").and_then(Value::as_array)
                {
                    let foreign = assignments.iter().any(|a| {
                        a.get("monetary_account_id")
                            .and_then(Value::as_u64)
                            .is_none_or(|id| !own_accounts.contains(&id))
                    });
                    if foreign {
                        return Some(Err(refused(
                            "A card can only be assigned the user's own accounts.",
                        )));
                    }
                }
                let Some(held) = self.state.held.iter_mut().find(|h| h.id == id && mine(h)) else {
                    return Some(Err(Failure::not_found(kind)));
                };
                if let Value::Object(inner) = &mut held.json {
                    for (name, value) in fields {
                        if matches!(
                            name.as_str(),
                            "pin_code_assignment" | "status" | "card_limit"
                        ) {
                            inner.insert(name, value);
                        }
                    }
                    inner.insert("updated".into(), now.into());
                }
                Ok(envelope(vec![json!({ held.key: held.json })]))
            }
            _ => Err(Failure::not_found(kind)),
        })
    }

    /// `…/monetary-account-bank` and `…/monetary-account-savings`: the
    /// user's accounts of that kind (the same accounts as
    /// `…/monetary-account`); a create opens one with a new IBAN and a zero
    /// balance, an update changes its fields.
    fn account_kind_call(
        &mut self,
        matched: &Matched,
        user: u64,
        req: &Req<'_>,
        now: &str,
    ) -> Option<Outcome> {
        let key = matched.key();
        if !matches!(key, "MonetaryAccountBank" | "MonetaryAccountSavings") {
            return None;
        }
        let holder = self.state.account_holder(user);
        let mine = |a: &crate::state::AccountRec| a.user == holder && a.json.get(key).is_some();
        Some(match (matched.operation.method, matched.item) {
            ("GET", None) => {
                let accounts = &self.state.accounts;
                let ids = accounts
                    .of_user(holder)
                    .filter(|a| mine(a))
                    .map(|a| a.id)
                    .collect();
                wire::paginate(req.path, &req.query, ids, |id| {
                    accounts.get(id).map(|a| a.json.clone())
                })
            }
            ("GET", Some(id)) => self
                .state
                .accounts
                .get(id)
                .filter(|a| mine(a))
                .map(|a| envelope(vec![a.json.clone()]))
                .ok_or_else(|| Failure::not_found(key)),
            ("POST", _) => {
                let fields = match wire::json_object(req.body) {
                    Ok(fields) => fields,
                    Err(e) => return Some(Err(e)),
                };
                let currency = fields
                    .get("currency")
                    .and_then(Value::as_str)
                    .unwrap_or("EUR");
                if currency != "EUR" {
                    return Some(Err(refused(format!(
                        "The currency \"{currency}\" is not supported."
                    ))));
                }
                let id = self.state.next_id();
                let mut account = json!({
                    "id": id,
                    "created": now,
                    "updated": now,
                    "alias": [{"type": "IBAN", "value": objects::make_iban(id), "name": "J. Walker"}],
                    "balance": {"currency": "EUR", "value": "0.00"},
                    "currency": "EUR",
                    "description": fields.get("description").cloned().unwrap_or(Value::Null),
                    "status": "ACTIVE",
                    "user_id": holder,
                });
                if let Some(goal) = fields.get("savings_goal") {
                    account["savings_goal"] = goal.clone();
                }
                self.state.accounts.push(crate::state::AccountRec {
                    id,
                    user: holder,
                    json: json!({ key: account }),
                });
                Ok(id_answer(id))
            }
            ("PUT", Some(id)) => {
                let fields = match wire::json_object(req.body) {
                    Ok(fields) => fields,
                    Err(e) => return Some(Err(e)),
                };
                let Some(account) = self
                    .state
                    .accounts
                    .get_mut(id)
                    .filter(|a| a.user == holder && a.json.get(key).is_some())
                else {
                    return Some(Err(Failure::not_found(key)));
                };
                if let Some(Value::Object(inner)) = account.json.get_mut(key) {
                    for (name, value) in fields {
                        // What bunq lets an update change, not the money.
                        if matches!(
                            name.as_str(),
                            "description" | "status" | "setting" | "savings_goal"
                        ) {
                            inner.insert(name, value);
                        }
                    }
                    inner.insert("updated".into(), now.into());
                }
                Ok(id_answer(id))
            }
            _ => Err(Failure::not_found(key)),
        })
    }

    /// A payment from `account`: between the user's own accounts both
    /// balances move and both see it; to anyone else only an owner's API
    /// key may pay directly (an OAuth connection must ask with a
    /// draft-payment). Returns the sender's payment id.
    fn pay(
        &mut self,
        user: u64,
        account: u64,
        transfer: &objects::Transfer,
        now: &str,
        approved_by_user: bool,
    ) -> Result<u64, Failure> {
        let holder = self.state.account_holder(user);
        let counterparty = self
            .state
            .accounts
            .of_user(holder)
            .find(|a| account_iban(&a.json) == Some(transfer.iban.as_str()))
            .map(|a| a.id);
        if counterparty.is_none() && self.is_api_key(user) && !approved_by_user {
            return Err(refused(
                "An OAuth connection can only pay between the user's own accounts; \
                 create a draft-payment for the user to approve instead.",
            ));
        }
        if counterparty == Some(account) {
            return Err(refused("A payment cannot go to the account it comes from."));
        }
        if balance(self.state, account) < transfer.cents {
            return Err(refused("Insufficient balance."));
        }
        add_to_balance(self.state, account, -transfer.cents);
        let from_label = self.label(account);
        let to_label = match counterparty {
            Some(to) => self.label(to),
            None => json!({"iban": transfer.iban, "display_name": transfer.name}),
        };
        let record = |id: u64, on: u64, cents: i64, alias: &Value, other: &Value| {
            json!({
                "id": id,
                "created": now,
                "updated": now,
                "monetary_account_id": on,
                "amount": {"value": objects::decimal(cents), "currency": transfer.currency},
                "description": transfer.description,
                "type": "BUNQ",
                "sub_type": "PAYMENT",
                "alias": alias,
                "counterparty_alias": other,
            })
        };
        let sent = self.state.next_id();
        let value = record(sent, account, -transfer.cents, &from_label, &to_label);
        self.store_payment(user, account, sent, value);
        if let Some(to) = counterparty {
            add_to_balance(self.state, to, transfer.cents);
            let received = self.state.next_id();
            let value = record(received, to, transfer.cents, &to_label, &from_label);
            self.store_payment(user, to, received, value);
        }
        Ok(sent)
    }

    /// Stores a payment on `account` and tells the filters (`MUTATION`
    /// and `PAYMENT`: created when money leaves, received when it arrives).
    fn store_payment(&mut self, user: u64, account: u64, id: u64, value: Value) {
        let Value::Object(value) = value else {
            return;
        };
        let outgoing = value
            .get("amount")
            .and_then(|a| a.get("value"))
            .and_then(Value::as_str)
            .is_some_and(|v| v.starts_with('-'));
        let side = if outgoing { "CREATED" } else { "RECEIVED" };
        if let Some(holder) = self.state.accounts.get(account).map(|a| a.user) {
            for category in ["MUTATION", "PAYMENT"] {
                let scope = Scope::Account { holder, account };
                let event = format!("{category}_{side}");
                self.state
                    .notify(scope, category, &event, "Payment", &value);
            }
        }
        self.state.objects.insert(
            &format!("/user/{user}/monetary-account/{account}/payment"),
            id,
            Stored {
                key: "Payment".into(),
                value,
                answer_at: None,
            },
        );
    }

    /// An account's public label, as payments show it.
    fn label(&self, account: u64) -> Value {
        let json = self.state.accounts.get(account).map(|a| &a.json);
        let inner = json.and_then(account_fields);
        json!({
            "iban": json.and_then(account_iban),
            "display_name": inner.and_then(|i| i.get("display_name")),
            "country": "NL",
        })
    }

    /// A card payment at a merchant (the control API): `None` if the
    /// account is not the holder's or the balance is too low.
    fn card_payment(
        &mut self,
        holder: u64,
        account: u64,
        cents: i64,
        merchant: &str,
    ) -> Option<u64> {
        let owned = self.state.accounts.held(account, holder).is_some();
        if !owned || cents <= 0 || balance(self.state, account) < cents {
            return None;
        }
        add_to_balance(self.state, account, -cents);
        let now = format_timestamp(&Utc::now());
        let amount = json!({"value": objects::decimal(-cents), "currency": "EUR"});
        let merchant_label = json!({"display_name": merchant, "country": "NL"});
        let payment = self.state.next_id();
        let value = json!({
            "id": payment,
            "created": now,
            "updated": now,
            "monetary_account_id": account,
            "amount": amount,
            "description": merchant,
            "type": "MASTERCARD",
            "sub_type": "PAYMENT",
            "alias": self.label(account),
            "counterparty_alias": merchant_label,
        });
        self.store_payment(holder, account, payment, value);
        let action = self.state.next_id();
        let Value::Object(action_json) = json!({
            "id": action,
            "created": now,
            "updated": now,
            "monetary_account_id": account,
            "amount_local": amount,
            "amount_billing": amount,
            "decision": "ALLOWED",
            "description": merchant,
            "counterparty_alias": merchant_label,
            "payment_status": "PAYMENT_SUCCESSFUL",
        }) else {
            return None;
        };
        let scope = Scope::Account { holder, account };
        self.state.notify(
            scope,
            "CARD_TRANSACTION_SUCCESSFUL",
            "CARD_PAYMENT_ALLOWED",
            "MasterCardAction",
            &action_json,
        );
        Some(action)
    }

    /// Answers the pending draft-payments and requests whose time has come
    /// ([`FakeConfig::approve_after`]): the user approves them.
    fn settle_pending(&mut self) {
        for (id, key) in self.state.objects.take_due(Instant::now()) {
            self.answer(&key, id, true);
        }
    }

    /// The user accepts or rejects a pending draft-payment or request
    /// inquiry, as in the bunq app. An accepted draft-payment is paid,
    /// entry by entry. `false` if there is no such pending object.
    fn answer(&mut self, key: &str, id: u64, accept: bool) -> bool {
        let Some((collection, object)) = self.state.objects.find_mut(key, id) else {
            return false;
        };
        object.answer_at = None;
        if object.value.get("status").and_then(Value::as_str) != Some("PENDING") {
            return false;
        }
        let status = if accept { "ACCEPTED" } else { "REJECTED" };
        object.value.insert("status".into(), status.into());
        let answered = object.value.clone();
        let account = object
            .value
            .get("monetary_account_id")
            .and_then(Value::as_u64);
        let entries: Vec<Map<String, Value>> = object
            .value
            .get("entries")
            .and_then(Value::as_array)
            .map(|e| e.iter().filter_map(|e| e.as_object().cloned()).collect())
            .unwrap_or_default();
        // The collection is `/user/{user}/…`: whose objects these are.
        let user = collection
            .strip_prefix("/user/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|u| u.parse::<u64>().ok());
        if let (Some(account), Some(user)) = (account, user) {
            let (category, event) = match key {
                "DraftPayment" => ("DRAFT_PAYMENT", format!("DRAFT_PAYMENT_{status}")),
                _ => ("REQUEST", format!("REQUEST_INQUIRY_{status}")),
            };
            let holder = self.state.account_holder(user);
            let scope = Scope::Account { holder, account };
            self.state.notify(scope, category, &event, key, &answered);
        }
        let now = format_timestamp(&Utc::now());
        if key == "DraftPayment"
            && accept
            && let (Some(account), Some(user)) = (account, user)
        {
            for entry in entries {
                if let Ok(transfer) = objects::transfer(&entry) {
                    // Approved in the app: the user's own payment, so
                    // the OAuth connection's limits do not apply.
                    let _ = self.pay(user, account, &transfer, &now, true);
                }
            }
        }
        true
    }

    /// `session_timeout` as users report it: whole seconds, rounded up.
    fn timeout_secs(&self) -> u64 {
        let timeout = self.config.session_timeout;
        timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0)
    }

    fn is_api_key(&self, user: u64) -> bool {
        self.state
            .users
            .get(&user)
            .is_some_and(|u| matches!(u.kind, UserKind::ApiKey { .. }))
    }

    // --- handshake -------------------------------------------------------

    /// `POST /installation`: no token, no signature.
    fn installation(&mut self, req: &Req<'_>) -> Outcome {
        let body = json_object(req.body)?;
        let pem = string_field(&body, "client_public_key")?;
        let client_key = PublicKey::from_pem(pem).map_err(|_| {
            Failure::bad_request("The client_public_key is not an RSA public key in PEM format.")
        })?;
        let id = self.state.next_id();
        let token = random_hex(32);
        self.state
            .installations
            .insert(token.clone(), InstallationRec { id, client_key });
        self.state.stats.installations += 1;
        let now = format_timestamp(&Utc::now());
        Ok(envelope(vec![
            json!({"Id": {"id": id}}),
            json!({"Token": {"id": id, "created": now, "updated": now, "token": token}}),
            json!({"ServerPublicKey": {"server_public_key": self.server_pem}}),
        ]))
    }

    /// The installation token of a device-server or session-server call,
    /// after checking the body's signature with the installation's key.
    fn installation_auth(&self, req: &Req<'_>) -> Result<String, Failure> {
        let token = req
            .header(AUTHENTICATION)
            .ok_or_else(Failure::unauthorized)?;
        let installation = self
            .state
            .installations
            .get(token)
            .ok_or_else(Failure::unauthorized)?;
        let signature = req
            .header(CLIENT_SIGNATURE)
            .ok_or_else(|| Failure::bad_request(BAD_SIGNATURE))?;
        installation
            .client_key
            .verify(req.body, signature)
            .map_err(|_| Failure::bad_request(BAD_SIGNATURE))?;
        Ok(token.to_owned())
    }

    /// `POST /payment-service-provider-credential`: checks the provider's
    /// signature (its installation's public key PEM and the installation
    /// token, signed with the certificate's key) and answers a
    /// `CredentialPasswordIp` whose `token_value` is a new provider user's
    /// API key, usable for one device-server call.
    fn psd2_credential(&mut self, req: &Req<'_>) -> Outcome {
        let installation_token = self.installation_auth(req)?;
        let body = json_object(req.body)?;
        let certificate = string_field(&body, "client_payment_service_provider_certificate")?;
        let chain = string_field(&body, "client_payment_service_provider_certificate_chain")?;
        let signature = string_field(&body, "client_public_key_signature")?;
        let (certificate_key, distinguished_name) =
            psd2::read_certificate(certificate).map_err(|_| {
                Failure::bad_request(
                    "The certificate is not a valid X.509 certificate in PEM format.",
                )
            })?;
        if psd2::read_certificate(chain).is_err() {
            return Err(Failure::bad_request(
                "The certificate chain is not valid X.509 certificates in PEM format.",
            ));
        }
        let client_key = self
            .state
            .installations
            .get(&installation_token)
            .map(|i| i.client_key.to_pem())
            .ok_or_else(Failure::unauthorized)?;
        let message = psd2::installation_signature_message(&client_key, &installation_token);
        certificate_key
            .verify(message.as_bytes(), signature)
            .map_err(|_| Failure::bad_request("The public key signature is not valid."))?;
        let user = self.state.next_id();
        self.state.users.insert(
            user,
            UserRec {
                id: user,
                created: Utc::now(),
                kind: UserKind::PaymentServiceProvider { distinguished_name },
            },
        );
        let token_value = random_hex(32);
        self.state.secrets.insert(token_value.clone(), user);
        self.state.first_use.insert(token_value.clone());
        self.state.stats.psd2_credentials += 1;
        let id = self.state.next_id();
        let now = Utc::now();
        let expiry = format_timestamp(&(now + chrono::Duration::hours(1)));
        let now = format_timestamp(&now);
        Ok(envelope(vec![json!({"CredentialPasswordIp": {
            "id": id,
            "created": now,
            "updated": now,
            "status": "PENDING_FIRST_USE",
            "expiry_time": expiry,
            "token_value": token_value,
            "permitted_device": null,
        }})]))
    }

    /// `POST /device-server`: registers an API key or access token for an
    /// installation.
    fn device_server(&mut self, req: &Req<'_>) -> Outcome {
        let installation_token = self.installation_auth(req)?;
        let body = json_object(req.body)?;
        let description = string_field(&body, "description")?.to_owned();
        let secret = string_field(&body, "secret")?;
        if let Some(ips) = body.get("permitted_ips") {
            check_permitted_ips(ips)?;
        }
        if !self.state.secrets.contains_key(secret) {
            return Err(Failure::bad_request(BAD_CREDENTIALS));
        }
        // A PSD2 credential's token registers one device, once.
        if self.state.first_use.contains(secret)
            && self.state.devices.iter().any(|d| d.secret == secret)
        {
            return Err(Failure::bad_request(BAD_CREDENTIALS));
        }
        let id = self.state.next_id();
        self.state.devices.push(DeviceRec {
            id,
            created: format_timestamp(&Utc::now()),
            description,
            installation_token,
            secret: secret.to_owned(),
        });
        self.state.stats.device_servers += 1;
        Ok(id_answer(id))
    }

    /// `POST /session-server`: opens a session for a secret registered on
    /// this installation.
    fn session_server(&mut self, req: &Req<'_>) -> Outcome {
        let installation_token = self.installation_auth(req)?;
        let body = json_object(req.body)?;
        let secret = string_field(&body, "secret")?;
        let registered = self
            .state
            .devices
            .iter()
            .any(|d| d.installation_token == installation_token && d.secret == secret);
        let user = match self.state.secrets.get(secret) {
            Some(user) if registered => *user,
            _ => return Err(Failure::bad_request(BAD_CREDENTIALS)),
        };
        let id = self.state.next_id();
        let token = random_hex(32);
        self.state.sessions.insert(
            token.clone(),
            SessionRec {
                user,
                installation_token,
                last_used: Instant::now(),
            },
        );
        self.state.stats.session_servers += 1;
        *self
            .state
            .stats
            .session_servers_by_user
            .entry(user)
            .or_default() += 1;
        let now = format_timestamp(&Utc::now());
        Ok(envelope(vec![
            json!({"Id": {"id": id}}),
            json!({"Token": {"id": id, "created": now, "updated": now, "token": token}}),
            self.state.user_json(user, self.timeout_secs()),
        ]))
    }

    /// `POST /sandbox-user-person` or `-company`: no authentication (bunq
    /// asks only the usual headers). A new user with one empty EUR
    /// account, and its API key under `ApiKey`, as bunq's SDKs read it.
    fn sandbox_user(&mut self, company: bool) -> Value {
        let user = self.state.next_id();
        let kind = if company {
            UserKind::Company {
                name: format!("Sandbox Company {user} B.V."),
            }
        } else {
            UserKind::Person {
                display_name: format!("Sandbox User {user}"),
                nick_name: format!("Sandbox {user}"),
            }
        };
        let holder = match &kind {
            UserKind::Company { name } => name.clone(),
            _ => format!("Sandbox User {user}"),
        };
        let now = Utc::now();
        self.state.users.insert(
            user,
            UserRec {
                id: user,
                created: now,
                kind,
            },
        );
        self.state.open_account(user, &holder, "0.00", "Main");
        let api_key = format!("sandbox_{}", random_hex(28));
        self.state.secrets.insert(api_key.clone(), user);
        self.state.stats.sandbox_users += 1;
        envelope(vec![json!({"ApiKey": {"api_key": api_key}})])
    }

    /// A request-inquiry to the sandbox's sugar daddy: accepted at once,
    /// and the money arrives on `account` as a payment. More than 500 EUR
    /// at a time is refused (bunq's sandbox documentation; the refusal's
    /// text is the fake's).
    fn ask_sugar_daddy(
        &mut self,
        user: u64,
        account: u64,
        mut fields: Map<String, Value>,
        now: &str,
    ) -> Outcome {
        let amount = fields.get("amount_inquired");
        let currency = amount
            .and_then(|a| a.get("currency"))
            .and_then(Value::as_str);
        let cents = amount
            .and_then(|a| a.get("value"))
            .and_then(Value::as_str)
            .and_then(objects::cents)
            .filter(|c| *c > 0);
        let cents = match (cents, currency) {
            (Some(cents), Some("EUR")) if cents <= SUGAR_DADDY_MAX_CENTS => cents,
            _ => {
                return Err(refused(
                    "The sugar daddy gives a positive amount of at most 500.00 EUR at a time.",
                ));
            }
        };
        let id = self.state.next_id();
        fields.insert("id".into(), id.into());
        fields.insert("created".into(), now.into());
        fields.insert("updated".into(), now.into());
        fields.insert("monetary_account_id".into(), account.into());
        fields.insert("status".into(), "ACCEPTED".into());
        // bunq answers the counterparty as a label, not the alias asked.
        fields.insert("counterparty_alias".into(), sugar_daddy_label());
        fields.insert(
            "amount_responded".into(),
            json!({"value": objects::decimal(cents), "currency": "EUR"}),
        );
        let collection = format!("/user/{user}/monetary-account/{account}/request-inquiry");
        let holder = self.state.account_holder(user);
        let scope = Scope::Account { holder, account };
        let event = "REQUEST_INQUIRY_ACCEPTED";
        self.state
            .notify(scope, "REQUEST", event, "RequestInquiry", &fields);
        self.state.objects.insert(
            &collection,
            id,
            Stored {
                key: "RequestInquiry".into(),
                value: fields,
                answer_at: None,
            },
        );
        add_to_balance(self.state, account, cents);
        let payment = self.state.next_id();
        let value = json!({
            "id": payment,
            "created": now,
            "updated": now,
            "monetary_account_id": account,
            "amount": {"value": objects::decimal(cents), "currency": "EUR"},
            "description": "Sandbox funding",
            "type": "BUNQ",
            "sub_type": "REQUEST",
            "alias": self.label(account),
            "counterparty_alias": sugar_daddy_label(),
            "request_reference_split_the_bill": [],
        });
        self.store_payment(user, account, payment, value);
        Ok(id_answer(id))
    }

    /// The session of a call: its user and token. Checks expiry (and
    /// extends the session), and the signature if one is present.
    fn authenticate(&mut self, req: &Req<'_>) -> Result<(u64, String), Failure> {
        let token = req
            .header(AUTHENTICATION)
            .ok_or_else(Failure::unauthorized)?;
        let now = Instant::now();
        let session = self
            .state
            .sessions
            .get(token)
            .ok_or_else(Failure::unauthorized)?;
        if now.saturating_duration_since(session.last_used) >= self.config.session_timeout {
            *self
                .state
                .stats
                .expired_sessions_by_user
                .entry(session.user)
                .or_default() += 1;
            self.state.sessions.remove(token);
            return Err(Failure::unauthorized());
        }
        if self.config.require_signatures && req.header(CLIENT_SIGNATURE).is_none() {
            self.state.stats.unsigned_refused += 1;
            return Err(Failure::new(
                StatusCode::from_u16(466).unwrap_or(StatusCode::BAD_REQUEST),
                SIGNATURE_REQUIRED,
            ));
        }
        if let Some(signature) = req.header(CLIENT_SIGNATURE) {
            let verified = self
                .state
                .installations
                .get(&session.installation_token)
                .is_some_and(|i| i.client_key.verify(req.body, signature).is_ok());
            if !verified {
                return Err(Failure::bad_request(BAD_SIGNATURE));
            }
        }
        let user = session.user;
        if let Some(session) = self.state.sessions.get_mut(token) {
            session.last_used = now;
        }
        Ok((user, token.to_owned()))
    }

    // --- OAuth clients ---------------------------------------------------

    fn oauth_client(&self, user: u64, id: u64) -> Result<&OauthClientRec, Failure> {
        self.state
            .oauth_clients
            .get(&id)
            .filter(|c| c.user == user)
            .ok_or_else(|| Failure::not_found("OauthClient"))
    }

    /// Refuses a second OAuth client that is not cancelled: bunq allows one
    /// at a time.
    fn one_at_a_time(&self, user: u64, except: Option<u64>) -> Result<(), Failure> {
        let other = self
            .state
            .oauth_clients
            .values()
            .any(|c| c.user == user && c.status != CANCELLED && Some(c.id) != except);
        if other {
            return Err(Failure::bad_request(
                "You can only have one OAuth client at a time; cancel the existing one first.",
            ));
        }
        Ok(())
    }

    /// `POST /user/{u}/oauth-client` with `{}` or `{"status":…}` (an empty
    /// body or `[]` is read as `{}`).
    fn create_oauth_client(&mut self, user: u64, body: &[u8]) -> Outcome {
        let status = match serde_json::from_slice::<Value>(body) {
            _ if body.iter().all(u8::is_ascii_whitespace) => ACTIVE,
            Ok(Value::Array(items)) if items.is_empty() => ACTIVE,
            _ => match json_object(body)?.get("status") {
                None | Some(Value::Null) => ACTIVE,
                Some(status) => parse_status(status)?,
            },
        };
        if status == ACTIVE {
            self.one_at_a_time(user, None)?;
        }
        let id = self.state.next_id();
        self.state.oauth_clients.insert(
            id,
            OauthClientRec {
                id,
                user,
                status,
                client_id: random_hex(16),
                secret: random_hex(32),
                callback_urls: Default::default(),
            },
        );
        self.state.stats.oauth_clients += 1;
        Ok(id_answer(id))
    }

    /// `PUT /user/{u}/oauth-client/{id}` with `{"status":"ACTIVE"|"CANCELLED"}`.
    fn update_oauth_client(&mut self, user: u64, id: u64, body: &[u8]) -> Outcome {
        self.oauth_client(user, id)?;
        let body = json_object(body)?;
        let status = parse_status(body.get("status").unwrap_or(&Value::Null))?;
        if status == ACTIVE {
            self.one_at_a_time(user, Some(id))?;
        }
        if let Some(client) = self.state.oauth_clients.get_mut(&id) {
            client.status = status;
        }
        Ok(id_answer(id))
    }

    // --- callback URLs ---------------------------------------------------

    /// Refuses a URL the client already has (other than item `except`).
    fn unique_url(&self, client: u64, url: &str, except: Option<u64>) -> Result<(), Failure> {
        let taken = self.state.oauth_clients.get(&client).is_some_and(|c| {
            c.callback_urls
                .values()
                .any(|u| u.url == url && Some(u.id) != except)
        });
        if taken {
            return Err(Failure::bad_request(
                "This callback URL is already registered for this OAuth client.",
            ));
        }
        Ok(())
    }

    /// `GET`, `PUT`, `DELETE …/callback-url/{item}`.
    fn callback_url_call(&mut self, user: u64, client: u64, item: u64, req: &Req<'_>) -> Outcome {
        let exists = self
            .oauth_client(user, client)?
            .callback_urls
            .contains_key(&item);
        if !exists {
            return Err(Failure::not_found("OauthCallbackUrl"));
        }
        let url = if *req.method == Method::PUT {
            let url = valid_callback_url(req.body)?;
            self.unique_url(client, &url, Some(item))?;
            Some(url)
        } else {
            None
        };
        let not_found = || Failure::not_found("OauthCallbackUrl");
        let urls = &mut self
            .state
            .oauth_clients
            .get_mut(&client)
            .ok_or_else(not_found)?
            .callback_urls;
        if *req.method == Method::DELETE {
            urls.remove(&item);
            return Ok(envelope(Vec::new()));
        }
        let entry = urls.get_mut(&item).ok_or_else(not_found)?;
        match url {
            Some(url) => {
                entry.url = url;
                entry.updated = Utc::now();
                Ok(id_answer(item))
            }
            None => Ok(envelope(vec![entry.json()])),
        }
    }
}

/// `ACTIVE` or `CANCELLED`; anything else is refused.
fn parse_status(value: &Value) -> Result<&'static str, Failure> {
    match value.as_str() {
        Some(ACTIVE) => Ok(ACTIVE),
        Some(CANCELLED) => Ok(CANCELLED),
        _ => Err(Failure::bad_request(
            "The status must be ACTIVE or CANCELLED.",
        )),
    }
}

/// The `url` of a callback-url body: https, or http on a loopback host;
/// visible ASCII, no fragment.
fn valid_callback_url(body: &[u8]) -> Result<String, Failure> {
    let body = json_object(body)?;
    let url = string_field(&body, "url")?;
    let invalid = |why: &str| Failure::bad_request(format!("The callback URL is invalid: {why}."));
    if url.is_empty() || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid("use visible ASCII characters only"));
    }
    let parsed = Url::parse(url).map_err(|_| invalid("not an absolute URL"))?;
    if parsed.fragment().is_some() {
        return Err(invalid("it must not have a fragment"));
    }
    let loopback = match parsed.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(url.to_owned()),
        "http" if loopback => Ok(url.to_owned()),
        _ => Err(invalid("use https (http only on 127.0.0.1 or localhost)")),
    }
}

/// `permitted_ips`: a list of IPv4 addresses or `*` (bunq takes no IPv6).
fn check_permitted_ips(ips: &Value) -> Result<(), Failure> {
    let valid = ips.as_array().is_some_and(|ips| {
        ips.iter().all(|ip| {
            ip.as_str()
                .is_some_and(|ip| ip == "*" || ip.parse::<Ipv4Addr>().is_ok())
        })
    });
    if valid {
        Ok(())
    } else {
        Err(Failure::bad_request(
            "permitted_ips must be a list of IPv4 addresses or \"*\".",
        ))
    }
}

/// The IBAN of an account, from its `IBAN` alias.
fn account_iban(json: &Value) -> Option<&str> {
    account_fields(json)?
        .get("alias")?
        .as_array()?
        .iter()
        .find(|a| a.get("type").and_then(Value::as_str) == Some("IBAN"))?
        .get("value")?
        .as_str()
}

/// The sandbox's sugar daddy: a request-inquiry to this address is
/// accepted at once.
const SUGAR_DADDY: &str = "sugardaddy@bunq.com";
/// The most one request to the sugar daddy may ask: 500.00 EUR.
const SUGAR_DADDY_MAX_CENTS: i64 = 50_000;
/// The account the sugar daddy's payments come from (the fake's; valid
/// check digits).
const SUGAR_DADDY_IBAN: &str = "NL97BUNQ2025000001";

/// The sugar daddy as payments and requests show it.
fn sugar_daddy_label() -> Value {
    json!({"iban": SUGAR_DADDY_IBAN, "display_name": "Sugar Daddy", "country": "NL"})
}

/// Whether a request-inquiry's body asks the sugar daddy.
fn is_sugar_daddy(fields: &Map<String, Value>) -> bool {
    fields
        .get("counterparty_alias")
        .and_then(|alias| alias.get("value"))
        .and_then(Value::as_str)
        .is_some_and(|email| email.eq_ignore_ascii_case(SUGAR_DADDY))
}

/// An account's fields, under its one wrapper key (`MonetaryAccountBank`, …).
fn account_fields(json: &Value) -> Option<&Value> {
    json.as_object()?.values().next()
}

/// An account's balance in cents (0 if unknown).
fn balance(state: &State, account: u64) -> i64 {
    state
        .accounts
        .get(account)
        .and_then(|a| account_fields(&a.json)?.pointer("/balance/value"))
        .and_then(Value::as_str)
        .and_then(|v| {
            objects::cents(v.trim_start_matches('-'))
                .map(|c| if v.starts_with('-') { -c } else { c })
        })
        .unwrap_or(0)
}

fn add_to_balance(state: &mut State, account: u64, cents: i64) {
    let now = balance(state, account) + cents;
    if let Some(value) = state.accounts.get_mut(account).and_then(|a| {
        a.json
            .as_object_mut()?
            .values_mut()
            .next()?
            .pointer_mut("/balance/value")
    }) {
        *value = objects::decimal(now).into();
    }
}

/// The control API's card payment: `cents` leave `account` of `holder` for
/// `merchant`; the payment and a `MasterCardAction` are told to the filters.
pub(super) fn card_payment(
    shared: &Shared,
    holder: u64,
    account: u64,
    cents: i64,
    merchant: &str,
) -> Option<u64> {
    with_cx(shared, |cx| {
        cx.card_payment(holder, account, cents, merchant)
    })
}

/// Runs a control-API call on the locked state.
fn with_cx<T>(shared: &Shared, call: impl FnOnce(&mut Cx<'_>) -> T) -> T {
    let mut state = shared.lock();
    let mut cx = Cx {
        state: &mut state,
        config: &shared.config,
        server_pem: &shared.server_pem,
    };
    call(&mut cx)
}

/// The control API's answer for the user: accept or reject a pending
/// draft-payment or request-inquiry.
pub(super) fn answer_pending(shared: &Shared, key: &str, id: u64, accept: bool) -> bool {
    with_cx(shared, |cx| cx.answer(key, id, accept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_methods() {
        let r = |p: &str| {
            let segments: Vec<&str> = p.split('/').collect();
            resolve(&segments).map(|(_, m)| m)
        };
        assert_eq!(r("installation"), Some(POST));
        assert_eq!(
            r("user/1/oauth-client/2/callback-url/3"),
            Some(GET_PUT_DELETE)
        );
        assert_eq!(r("user/1/oauth-client/x"), None);
        assert_eq!(r("user/+1"), None);
        assert_eq!(r("user/1/oauth-client/"), None);
        assert_eq!(r("user/99999999999999999999999"), None);
        assert_eq!(r(""), None);
    }

    #[test]
    fn callback_urls_must_be_https_or_loopback() {
        let check = |url: &str| valid_callback_url(json!({ "url": url }).to_string().as_bytes());
        assert!(check("https://app.example/cb").is_ok());
        assert!(check("https://app.example/cb?x=1").is_ok());
        assert!(check("http://127.0.0.1:8080/cb").is_ok());
        assert!(check("http://localhost/cb").is_ok());
        for bad in [
            "http://app.example/cb",
            "ftp://127.0.0.1/",
            "https://app.example/cb#frag",
            "/relative",
            "https://app.example/a b",
            "",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert!(valid_callback_url(b"{\"url\":5}").is_err());
        assert!(valid_callback_url(b"not json").is_err());
    }
}
