//! `init`, `authorize`, `whoami`, `accounts`: contexts and connected users.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bunq_oauth::{
    ApiContext, AuthorizationCode, CsrfState, OAuthConfig, OAuthError, PagedList, Session,
    SessionUser, parse_callback,
};
use clap::Args;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::CliError;
use crate::output::{Columns, Output};
use crate::server::{Target, config_dir, ensure_parent};

pub async fn init(
    target: &Target,
    path: &Path,
    description: &str,
    out: &Output,
) -> Result<(), CliError> {
    let key = target.api_key()?;
    let created = out
        .wait(
            "creating the API context (installation, device, session)",
            ApiContext::create(&target.client, key, description),
        )
        .await?;
    ensure_parent(path)?;
    created.save(path)?;
    if out.json {
        out.print_json(&json!({
            "context": path.display().to_string(),
            "user_id": created.user_id().get(),
            "user_type": created.user().type_name(),
        }))
    } else {
        out.line(&format!(
            "saved the context of {} {} to {}",
            created.user().type_name(),
            created.user_id(),
            path.display()
        ))
    }
}

#[derive(Args, Debug)]
pub struct AuthorizeArgs {
    /// The redirect URL to register and use. Default: a listener on
    /// http://127.0.0.1:PORT/callback that receives bunq's redirect.
    #[arg(long, value_name = "URL")]
    redirect_uri: Option<String>,
    /// The loopback port to listen on for the redirect (0: any free port).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// Paste the redirect URL from the browser instead of listening.
    #[arg(long, requires = "redirect_uri")]
    paste: bool,
    /// Where to save the connected user's context (default: user-ID.json in
    /// the config directory).
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Replace the context already saved at `--save`.
    #[arg(long, requires = "save")]
    replace: bool,
    /// How long to wait for the redirect, in seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

pub async fn authorize(
    target: &Target,
    context: &Option<PathBuf>,
    args: AuthorizeArgs,
    out: &Output,
) -> Result<(), CliError> {
    if let Some(path) = &args.save {
        crate::server::refuse_to_replace(path, args.replace)?;
    }
    let (owner, owner_file) = target.owner_session(context, out).await?;
    let listener = if args.paste {
        None
    } else {
        Some(tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?)
    };
    let redirect_uri = match (&args.redirect_uri, &listener) {
        (Some(uri), _) => uri.clone(),
        (None, Some(listener)) => format!(
            "http://127.0.0.1:{}/callback",
            listener.local_addr()?.port()
        ),
        (None, None) => return Err(CliError::Usage("--paste needs --redirect-uri".into())),
    };
    let oauth_client = out
        .wait(
            "finding the OAuth client",
            owner.oauth_client_manager().ensure_active(),
        )
        .await?;
    // The preflight: a near miss of a registered callback URL is an error
    // (bunq's app would say "Connection not found"); a new one is registered.
    // The listener's own loopback URL is registered for this flow only.
    let mut temporary = None;
    let config = match OAuthConfig::for_client(&oauth_client, &redirect_uri) {
        Err(bunq_oauth::Error::OAuth(OAuthError::RedirectUriNotRegistered { .. })) => {
            let id = out
                .wait(
                    "registering the redirect URL",
                    owner
                        .callback_url_manager(oauth_client.id)
                        .create(&redirect_uri),
                )
                .await?;
            if args.redirect_uri.is_none() {
                out.note(&format!(
                    "registered {redirect_uri} for this authorization only; it is removed afterwards"
                ));
                temporary = Some(id);
            } else {
                out.note(&format!("registered {redirect_uri} as a callback URL"));
            }
            OAuthConfig::new(
                oauth_client.client_id.clone(),
                oauth_client.secret.clone(),
                &redirect_uri,
            )?
        }
        other => other?,
    };
    // The code is exchanged before a temporary callback URL goes: bunq
    // checks the redirect URI at the exchange too.
    let token = async {
        let code = receive_code(target, &config, listener, &args, out).await?;
        let token = out
            .wait(
                "exchanging the code",
                config.exchange_code(&target.client, &code),
            )
            .await?;
        Ok::<_, CliError>(token)
    }
    .await;
    if let Some(id) = temporary {
        let removed = owner.callback_url_manager(oauth_client.id).delete(id).await;
        match removed {
            Ok(()) => out.note(&format!(
                "removed the temporary callback URL {redirect_uri}"
            )),
            Err(e) => out.note(&format!(
                "could not remove the temporary callback URL {redirect_uri} (id {id}): {e}; \
                 remove it with `bunq-oauth callbacks delete --client {} {id}`",
                oauth_client.id
            )),
        }
    }
    let token = token?;
    let user_context = out
        .wait(
            "connecting as the user (installation, device, session)",
            bunq_oauth::ApiContext::for_access_token(&target.client, &token, "bunq-oauth CLI"),
        )
        .await?;
    let path = match args.save {
        Some(path) => path,
        None => config_dir()?.join(format!("user-{}.json", user_context.user_id())),
    };
    ensure_parent(&path)?;
    user_context.save(&path)?;
    if let Some(file) = owner_file {
        owner.save(file)?;
    }
    let session = Session::new(&target.client, user_context)?;
    if out.json {
        let mut value = user_json(&session);
        value["context"] = json!(path.display().to_string());
        out.print_json(&value)
    } else {
        out.line(&format!(
            "authorized: saved the user's context to {}",
            path.display()
        ))?;
        print_user(&session, out)
    }
}

/// Shows the authorize link and waits for the authorization code: from the
/// loopback listener, or pasted.
async fn receive_code(
    target: &Target,
    config: &OAuthConfig,
    listener: Option<tokio::net::TcpListener>,
    args: &AuthorizeArgs,
    out: &Output,
) -> Result<AuthorizationCode, CliError> {
    let request = config.authorize_url(target.client.environment())?;
    out.note(&format!(
        "Open this URL (or scan the QR code with the bunq app) to authorize:

{}
",
        request.url()
    ));
    if let Ok(qr) = qr_code(request.url().as_str()) {
        out.note(&qr);
    }
    // With the built-in fake there is no person to click: act as the browser.
    if target.fake.is_some() && listener.is_some() {
        let url = request.url().to_string();
        tokio::spawn(async move {
            // The fake is on loopback: no proxy from the environment.
            let browser = reqwest::Client::builder().no_proxy().build();
            let followed = match browser {
                Ok(browser) => browser.get(url).send().await.map(drop),
                Err(e) => Err(e),
            };
            if let Err(e) = followed {
                tracing::warn!("the simulated browser could not follow the redirect: {e}");
            }
        });
    }
    match listener {
        Some(listener) => {
            out.wait(
                "waiting for bunq's redirect",
                receive_redirect(
                    listener,
                    request.state().clone(),
                    Duration::from_secs(args.timeout),
                ),
            )
            .await
        }
        None => {
            out.note("Paste the URL bunq redirected to:");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            Ok(parse_callback(line.trim(), request.state())?)
        }
    }
}

/// How long one connection to the listener may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves the loopback listener until a request carries this flow's `state`
/// (with a code, or bunq's refusal), answering each browser with a short
/// page. Connections are served concurrently, each with a read timeout, so a
/// silent one blocks nobody; a request for another host, another path or
/// another state is answered and ignored, never taken as the redirect.
async fn receive_redirect(
    listener: tokio::net::TcpListener,
    state: CsrfState,
    timeout: Duration,
) -> Result<AuthorizationCode, CliError> {
    let port = listener.local_addr()?.port();
    let (sender, mut received) = tokio::sync::mpsc::channel(1);
    let serve = async {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => return e,
            };
            let (state, sender) = (state.clone(), sender.clone());
            tokio::spawn(async move {
                if let Some(outcome) = serve_one(stream, port, &state).await {
                    let _ = sender.send(outcome).await;
                }
            });
        }
    };
    let outcome = async {
        tokio::select! {
            error = serve => Err::<_, CliError>(CliError::Io(error)),
            outcome = received.recv() => Ok(outcome),
        }
    };
    match tokio::time::timeout(timeout, outcome).await {
        Ok(Ok(Some(result))) => Ok(result?),
        Ok(Ok(None)) => Err(CliError::Usage("the listener stopped".into())),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(CliError::Usage(format!(
            "no redirect arrived within {} s",
            timeout.as_secs()
        ))),
    }
}

/// Reads one request and answers it; returns the flow's outcome if the
/// request carried this flow's state.
async fn serve_one(
    mut stream: tokio::net::TcpStream,
    port: u16,
    state: &CsrfState,
) -> Option<Result<AuthorizationCode, bunq_oauth::Error>> {
    let head = tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&head);
    let target = text
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .unwrap_or("")
        .to_owned();
    let host = text.lines().skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("host")
            .then(|| value.trim().to_owned())
    });
    // The browser names this listener; anything else (a page elsewhere
    // rebinding a name to 127.0.0.1) is not bunq's redirect.
    let own_host = host.as_deref().is_some_and(|h| {
        h == format!("127.0.0.1:{port}") || h.eq_ignore_ascii_case(&format!("localhost:{port}"))
    });
    let outcome = if !own_host || !target.starts_with("/callback") {
        None
    } else {
        match parse_callback(&target, state) {
            Err(bunq_oauth::Error::OAuth(OAuthError::StateMismatch)) => None,
            other => Some(other),
        }
    };
    let (status, page) = match &outcome {
        None if !own_host => ("421 Misdirected Request", "Not this listener."),
        None if !target.starts_with("/callback") => ("404 Not Found", "Not found."),
        None => (
            "400 Bad Request",
            "This link does not belong to the authorization bunq-oauth is waiting for.",
        ),
        Some(Ok(_)) => redirect_page(false),
        Some(Err(_)) => redirect_page(true),
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    outcome
}

/// The request line and headers, at most 16 KiB.
async fn read_head(stream: &mut tokio::net::TcpStream) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(head)
}

/// The page the browser shows after this flow's redirect: whether access
/// was refused (or the redirect was unusable) or the code arrived.
fn redirect_page(refused: bool) -> (&'static str, &'static str) {
    if refused {
        (
            "403 Forbidden",
            "bunq-oauth: access was refused at bunq, so nothing was authorized. You can close this window.",
        )
    } else {
        (
            "200 OK",
            "bunq-oauth received the authorization. You can close this window.",
        )
    }
}

pub fn qr_code(text: &str) -> Result<String, qrcode::types::QrError> {
    let code = qrcode::QrCode::new(text.as_bytes())?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .build())
}

pub fn whoami(session: &Session, out: &Output) -> Result<(), CliError> {
    if out.json {
        out.print_json(&user_json(session))
    } else {
        print_user(session, out)
    }
}

fn user_json(session: &Session) -> serde_json::Value {
    let describe = |user: &SessionUser| {
        let name = match user {
            SessionUser::Person(u)
            | SessionUser::Company(u)
            | SessionUser::PaymentServiceProvider(u) => u.display_name.clone(),
            _ => None,
        };
        json!({ "type": user.type_name(), "id": user.id().get(), "display_name": name })
    };
    match session.user() {
        Some(SessionUser::ApiKey(key)) => json!({
            "type": "UserApiKey",
            "id": key.id.get(),
            "requested_by_user": describe(&key.requested_by_user),
            "granted_by_user": describe(&key.granted_by_user),
        }),
        Some(user) => describe(&user),
        None => json!({ "id": session.user_id().get() }),
    }
}

fn print_user(session: &Session, out: &Output) -> Result<(), CliError> {
    let value = user_json(session);
    let name = |v: &serde_json::Value| {
        format!(
            "{} {} ({})",
            v["type"].as_str().unwrap_or("?"),
            v["id"],
            v["display_name"].as_str().unwrap_or("-")
        )
    };
    if value["type"] == "UserApiKey" {
        out.line(&format!(
            "UserApiKey {} (use this id as userID)",
            value["id"]
        ))?;
        out.line(&format!(
            "  requested by  {}",
            name(&value["requested_by_user"])
        ))?;
        out.line(&format!(
            "  granted by    {}",
            name(&value["granted_by_user"])
        ))
    } else {
        out.line(&name(&value))
    }
}

pub async fn accounts(session: &Session, out: &Output) -> Result<(), CliError> {
    let page = out
        .wait(
            "listing monetary accounts",
            session.account_summaries().list(),
        )
        .await?;
    out.list(&ACCOUNTS, &page.items)
}

/// How monetary accounts print: id, description, balance, IBAN, type.
pub const ACCOUNTS: Columns<bunq_oauth::AccountSummary> = Columns {
    header: &["ID", "DESCRIPTION", "BALANCE", "IBAN", "TYPE"],
    row: |a, _| {
        vec![
            a.id.to_string(),
            a.description.clone().unwrap_or_default(),
            a.balance
                .as_ref()
                .map(|b| format!("{} {}", b.value, b.currency))
                .unwrap_or_default(),
            a.iban.clone().unwrap_or_default(),
            a.kind.clone(),
        ]
    },
    json: |a, _| {
        json!({
            "id": a.id.0,
            "type": a.kind,
            "description": a.description,
            "balance": a.balance.as_ref().map(|b| json!({"currency": b.currency, "value": b.value})),
            "iban": a.iban,
            "status": a.status,
        })
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_is_told_when_access_was_refused() {
        let (status, page) = redirect_page(true);
        assert!(
            status.starts_with("403") && page.contains("refused"),
            "{page}"
        );
        let (status, page) = redirect_page(false);
        assert!(
            status.starts_with("200") && page.contains("received"),
            "{page}"
        );
    }
}
