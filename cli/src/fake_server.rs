//! `bunq-oauth fake`: the built-in fake bunq as a standalone server, for
//! trying the other commands (or another client) across processes.

use bunq_oauth_fake::FakeBunq;
use serde_json::json;

use crate::CliError;
use crate::output::Output;

pub async fn serve(out: &Output) -> Result<(), CliError> {
    let fake = FakeBunq::start().await?;
    if out.json {
        out.print_json(&json!({
            "api_url": fake.api_url(),
            "oauth_authorize_url": fake.oauth_authorize_url(),
            "oauth_token_url": fake.oauth_token_url(),
            "api_key": fake.owner_api_key().expose_secret(),
        }))?;
    } else {
        out.line("# the built-in fake bunq is running; for the other commands:")?;
        out.line(&format!("export BUNQ_API_URL={}", fake.api_url()))?;
        out.line(&format!(
            "export BUNQ_OAUTH_AUTHORIZE_URL={}",
            fake.oauth_authorize_url()
        ))?;
        out.line(&format!(
            "export BUNQ_OAUTH_TOKEN_URL={}",
            fake.oauth_token_url()
        ))?;
        out.line(&format!(
            "export BUNQ_API_KEY={}",
            fake.owner_api_key().expose_secret()
        ))?;
        out.line("# stop with Ctrl-C")?;
    }
    tokio::signal::ctrl_c().await?;
    drop(fake);
    Ok(())
}
