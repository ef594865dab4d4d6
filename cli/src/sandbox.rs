//! `bunq-oauth sandbox`: a sandbox user in one command, and money for its
//! accounts from bunq's sugar daddy. Refused against production.

use std::path::PathBuf;

use bunq_oauth::sandbox::{self, UserKind};
use bunq_oauth::{Amount, ApiContext, MonetaryAccountId};
use clap::Subcommand;
use serde_json::json;

use crate::CliError;
use crate::output::Output;
use crate::server::{ServerArgs, Target, ensure_parent, new_context_path};

#[derive(Subcommand, Debug)]
pub enum SandboxCommand {
    /// Create a sandbox user and save its context, as `init` does with an
    /// API key. The key is printed masked (`--show-secret` to see it).
    User {
        /// A company instead of a person.
        #[arg(long)]
        company: bool,
        /// The device description bunq shows.
        #[arg(long, default_value = "bunq-oauth CLI")]
        description: String,
        /// Replace the context already saved there.
        #[arg(long)]
        replace: bool,
    },
    /// Ask the sandbox's sugar daddy for money: a request-inquiry to
    /// sugardaddy@bunq.com, accepted at once (at most 500 EUR a request).
    Fund {
        /// The monetary account the money goes to.
        #[arg(long)]
        account: u64,
        /// The amount in euro, a decimal with at most two decimals.
        #[arg(long, default_value = "500.00")]
        amount: String,
    },
}

pub async fn run(
    command: SandboxCommand,
    server: &ServerArgs,
    context: &Option<PathBuf>,
    out: &Output,
) -> Result<(), CliError> {
    if server.is_production() {
        return Err(CliError::Usage(
            "sandbox users and the sugar daddy exist in bunq's sandbox only".into(),
        ));
    }
    match command {
        SandboxCommand::User {
            company,
            description,
            replace,
        } => {
            let path = new_context_path(context, replace)?;
            let target = Target::resolve(server).await?;
            let kind = if company {
                UserKind::Company
            } else {
                UserKind::Person
            };
            let api_key = out
                .wait(
                    "creating a sandbox user",
                    sandbox::create_user(&target.client, kind),
                )
                .await?;
            let shown_key = out.secret(api_key.expose_secret());
            let created = out
                .wait(
                    "creating its API context (installation, device, session)",
                    ApiContext::create(&target.client, api_key, &description),
                )
                .await?;
            ensure_parent(&path)?;
            created.save(&path)?;
            if out.json {
                out.print_json(&json!({
                    "context": path.display().to_string(),
                    "user_id": created.user_id().get(),
                    "user_type": created.user().type_name(),
                    "api_key": shown_key,
                }))
            } else {
                out.line(&format!(
                    "created sandbox {} {} (API key {shown_key}); saved its context to {}",
                    created.user().type_name(),
                    created.user_id(),
                    path.display()
                ))
            }
        }
        SandboxCommand::Fund { account, amount } => {
            let amount = Amount::new(&amount, "EUR")?;
            let target = Target::resolve(server).await?;
            let (session, file) = target.owner_session(context, out).await?;
            let result = out
                .wait(
                    "asking the sugar daddy",
                    sandbox::fund(&session, MonetaryAccountId(account), &amount),
                )
                .await;
            if let Some(path) = file {
                session.save(&path)?;
            }
            let id = result?;
            if out.json {
                out.print_json(&json!({
                    "request_id": id,
                    "account": account,
                    "amount": amount.value,
                    "currency": amount.currency,
                }))
            } else {
                out.line(&format!(
                    "request {id}: {} {} from {} to account {account}",
                    amount.value,
                    amount.currency,
                    sandbox::SUGAR_DADDY
                ))
            }
        }
    }
}
