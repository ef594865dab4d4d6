//! `clients …` and `callbacks …`: the OAuth Client API from the command line.

use bunq_oauth::{
    CallbackUrl, CallbackUrlId, OauthClientDetails, OauthClientId, OauthClientStatus, PagedList,
    Session,
};
use clap::Subcommand;
use serde_json::json;

use crate::CliError;
use crate::output::{Columns, Output};

#[derive(Subcommand, Debug)]
pub enum ClientsCommand {
    /// List the OAuth clients.
    List,
    /// Register a new OAuth client (bunq allows one per user).
    Create,
    /// Show one OAuth client with its id, secret and callback URLs.
    Show {
        /// The numeric OAuth client id.
        id: u64,
    },
    /// Set an OAuth client's status.
    Update {
        /// The numeric OAuth client id.
        id: u64,
        /// ACTIVE or CANCELLED.
        #[arg(long)]
        status: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum CallbacksCommand {
    /// List an OAuth client's callback URLs.
    List {
        /// The numeric OAuth client id.
        #[arg(long)]
        client: u64,
    },
    /// Register a callback URL.
    Add {
        /// The numeric OAuth client id.
        #[arg(long)]
        client: u64,
        /// The URL (https://…).
        url: String,
    },
    /// Change a callback URL.
    Update {
        /// The numeric OAuth client id.
        #[arg(long)]
        client: u64,
        /// The callback URL id.
        id: u64,
        /// The new URL.
        url: String,
    },
    /// Show one callback URL.
    Show {
        /// The numeric OAuth client id.
        #[arg(long)]
        client: u64,
        /// The callback URL id.
        id: u64,
    },
    /// Delete a callback URL.
    #[command(visible_alias = "remove")]
    Delete {
        /// The numeric OAuth client id.
        #[arg(long)]
        client: u64,
        /// The callback URL id.
        id: u64,
    },
}

pub async fn run_clients(
    command: ClientsCommand,
    session: &Session,
    out: &Output,
) -> Result<(), CliError> {
    let clients = session.oauth_client_manager();
    match command {
        ClientsCommand::List => {
            let page = out.wait("listing OAuth clients", clients.list()).await?;
            out.list(&CLIENTS, &page.items)
        }
        ClientsCommand::Create => {
            let id = out
                .wait("registering an OAuth client", clients.create())
                .await?;
            created(out, "OAuth client", id.get())
        }
        ClientsCommand::Show { id } => {
            let client = out
                .wait("reading the OAuth client", clients.get(OauthClientId(id)))
                .await?;
            if out.json {
                return out.print_json(&client_json(&client, out));
            }
            out.line(&format!("id            {}", client.id))?;
            out.line(&format!("status        {}", client.status))?;
            out.line(&format!(
                "display name  {}",
                client.display_name.as_deref().unwrap_or("-")
            ))?;
            out.line(&format!("client id     {}", client.client_id))?;
            out.line(&format!(
                "secret        {}",
                out.secret(client.secret.expose_secret())
            ))?;
            for url in &client.callback_urls {
                out.line(&format!("callback      {}  {}", url.id, url.url))?;
            }
            Ok(())
        }
        ClientsCommand::Update { id, status } => {
            let status = OauthClientStatus::from(status.to_ascii_uppercase().as_str());
            if let OauthClientStatus::Unknown(other) = &status {
                return Err(CliError::Usage(format!(
                    "status must be ACTIVE or CANCELLED, not {other}"
                )));
            }
            let id = out
                .wait(
                    "updating the OAuth client",
                    clients.update(OauthClientId(id), status),
                )
                .await?;
            updated(out, "OAuth client", id.get())
        }
    }
}

pub async fn run_callbacks(
    command: CallbacksCommand,
    session: &Session,
    out: &Output,
) -> Result<(), CliError> {
    match command {
        CallbacksCommand::List { client } => {
            let page = out
                .wait(
                    "listing callback URLs",
                    session.callback_url_manager(OauthClientId(client)).list(),
                )
                .await?;
            out.list(&CALLBACK_URLS, &page.items)
        }
        CallbacksCommand::Add { client, url } => {
            let id = out
                .wait(
                    "registering the callback URL",
                    session
                        .callback_url_manager(OauthClientId(client))
                        .create(&url),
                )
                .await?;
            created(out, "callback URL", id.get())
        }
        CallbacksCommand::Update { client, id, url } => {
            let id = out
                .wait(
                    "updating the callback URL",
                    session
                        .callback_url_manager(OauthClientId(client))
                        .update(CallbackUrlId(id), &url),
                )
                .await?;
            updated(out, "callback URL", id.get())
        }
        CallbacksCommand::Show { client, id } => {
            let url = out
                .wait(
                    "reading the callback URL",
                    session
                        .callback_url_manager(OauthClientId(client))
                        .get(CallbackUrlId(id)),
                )
                .await?;
            if out.json {
                return out.print_json(&callback_json(&url));
            }
            let rows = vec![vec![
                url.id.to_string(),
                url.url.clone(),
                bunq_oauth::format_timestamp(&url.created),
                bunq_oauth::format_timestamp(&url.updated),
            ]];
            out.table(&["ID", "URL", "CREATED (UTC)", "UPDATED (UTC)"], &rows)
        }
        CallbacksCommand::Delete { client, id } => {
            out.wait(
                "deleting the callback URL",
                session
                    .callback_url_manager(OauthClientId(client))
                    .delete(CallbackUrlId(id)),
            )
            .await?;
            if out.json {
                out.print_json(&json!({ "deleted": id }))
            } else {
                out.line(&format!("deleted callback URL {id}"))
            }
        }
    }
}

fn created(out: &Output, what: &str, id: u64) -> Result<(), CliError> {
    if out.json {
        out.print_json(&json!({ "id": id }))
    } else {
        out.line(&format!("created {what} {id}"))
    }
}

fn updated(out: &Output, what: &str, id: u64) -> Result<(), CliError> {
    if out.json {
        out.print_json(&json!({ "id": id }))
    } else {
        out.line(&format!("updated {what} {id}"))
    }
}

pub fn client_json(client: &OauthClientDetails, out: &Output) -> serde_json::Value {
    json!({
        "id": client.id.get(),
        "status": client.status.as_str(),
        "display_name": client.display_name,
        "client_id": client.client_id,
        "secret": out.secret(client.secret.expose_secret()),
        "callback_urls": client.callback_urls.iter().map(callback_json).collect::<Vec<_>>(),
    })
}

pub fn callback_json(url: &CallbackUrl) -> serde_json::Value {
    json!({
        "id": url.id.get(),
        "url": url.url,
        "created": bunq_oauth::format_timestamp(&url.created),
        "updated": bunq_oauth::format_timestamp(&url.updated),
    })
}

/// How OAuth clients print (the secret masked unless `--show-secret`).
const CLIENTS: Columns<OauthClientDetails> = Columns {
    header: &["ID", "STATUS", "CLIENT ID", "SECRET", "CALLBACKS"],
    row: |c, out| {
        vec![
            c.id.to_string(),
            c.status.to_string(),
            c.client_id.clone(),
            out.secret(c.secret.expose_secret()),
            c.callback_urls.len().to_string(),
        ]
    },
    json: client_json,
};

/// How callback URLs print.
const CALLBACK_URLS: Columns<CallbackUrl> = Columns {
    header: &["ID", "URL", "CREATED (UTC)"],
    row: |u, _| {
        vec![
            u.id.to_string(),
            u.url.clone(),
            bunq_oauth::format_timestamp(&u.created),
        ]
    },
    json: |u, _| callback_json(u),
};
