//! `bunq-oauth`: register OAuth clients and callback URLs, walk through an
//! authorization, and act as a connected user, against bunq's sandbox,
//! production, any bunq-compatible server, or the built-in fake.
//!
//! Exit codes: 0 success; 1 bunq refused (API or OAuth error); 2 usage;
//! 3 configuration or file problem; 4 network or timeout; 5 signature check
//! failed; 6 the response could not be understood.

mod accounts;
mod clients;
mod demo;
mod fake_server;
mod money;
mod notifications;
mod output;
mod psd2;
mod sandbox;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::Output;

#[derive(Parser, Debug)]
#[command(
    name = "bunq-oauth",
    version,
    about = "Connect apps to bunq through OAuth"
)]
struct Cli {
    #[command(flatten)]
    server: server::ServerArgs,

    /// The saved API context to use (default: context.json in the config
    /// directory, $BUNQ_OAUTH_CONFIG_DIR or ~/.config/bunq-oauth).
    #[arg(long, global = true, env = "BUNQ_CONTEXT", value_name = "FILE")]
    context: Option<PathBuf>,

    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,

    /// Show secrets (client secrets) instead of masking them.
    #[arg(long, global = true)]
    show_secret: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the whole OAuth onboarding against the built-in fake bunq, step by step.
    Demo {
        /// Connect as a payment-service provider with a PSD2 (pseudo)
        /// certificate instead of an API key.
        #[arg(long)]
        psd2: bool,
    },
    /// Create an API context from an API key ($BUNQ_API_KEY, or a prompt) and save it.
    Init {
        /// The device description bunq shows.
        #[arg(long, default_value = "bunq-oauth CLI")]
        description: String,
        /// Replace the context already saved there.
        #[arg(long)]
        replace: bool,
    },
    /// Walk a user through bunq's authorization and save their context.
    Authorize(accounts::AuthorizeArgs),
    /// A payment-service provider's way in: a sandbox pseudo certificate,
    /// and registration with a PSD2 certificate instead of an API key.
    #[command(subcommand)]
    Psd2(psd2::Psd2Command),
    /// bunq's sandbox: a new sandbox user (its context saved), money from
    /// the sugar daddy.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    #[command(flatten)]
    AsUser(UserCommand),
    /// Run the built-in fake bunq until stopped, and print how to reach it.
    Fake,
    /// List every bunq operation this build generates: method, path, shape and
    /// how to call it from `session.api()` (the coverage table).
    Operations,
}

/// The commands that act as the saved context's user: each gets the same
/// session, and the context is saved back after it.
#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Manage the OAuth clients of the context's user.
    #[command(subcommand)]
    Clients(clients::ClientsCommand),
    /// Manage the callback (redirect) URLs of an OAuth client.
    #[command(subcommand)]
    Callbacks(clients::CallbacksCommand),
    /// Show the user a saved context acts as.
    Whoami,
    /// List the monetary accounts of a saved context's user.
    Accounts,
    /// Payments of the user's accounts: list, show, create (between the user's own accounts).
    #[command(subcommand)]
    Payments(money::PaymentsCommand),
    /// Draft-payments the user approves in the bunq app: create, show.
    #[command(subcommand, name = "draft-payments")]
    DraftPayments(money::DraftPaymentsCommand),
    /// Request-inquiries (asking someone for money): create, list.
    #[command(subcommand)]
    Requests(money::RequestsCommand),
    /// Callbacks: the user's notification filters, failed deliveries, and
    /// `listen` (a local receiver that prints each event).
    #[command(subcommand)]
    Notifications(notifications::NotificationsCommand),
    /// The user's cards.
    #[command(subcommand)]
    Cards(money::CardsCommand),
}

impl UserCommand {
    /// The payment this command would make or ask approval for, if any.
    fn transfer(&self) -> Option<&money::TransferArgs> {
        match self {
            UserCommand::Payments(command) => command.transfer(),
            UserCommand::DraftPayments(command) => command.transfer(),
            _ => None,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BUNQ_OAUTH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a file or pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let out = Output::new(cli.json, cli.show_secret);
    let result = run(cli, &out).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            out.error(&err);
            ExitCode::from(exit_code(&err))
        }
    }
}

/// Prints the generated operations (`bunq_oauth::api::OPERATIONS`).
fn operations(out: &Output) -> Result<(), CliError> {
    let table = bunq_oauth::api::OPERATIONS;
    if out.json {
        let rows: Vec<serde_json::Value> = table
            .iter()
            .map(|op| {
                serde_json::json!({
                    "method": op.method,
                    "path": op.path,
                    "operation_id": op.operation_id,
                    "shape": format!("{:?}", op.shape),
                    "call": op.call,
                    "returns": op.returns,
                })
            })
            .collect();
        return out.print_json(&serde_json::Value::Array(rows));
    }
    let rows: Vec<Vec<String>> = table
        .iter()
        .map(|op| {
            vec![
                op.method.to_owned(),
                op.path.to_owned(),
                format!("{:?}", op.shape),
                format!("api().{}", op.call),
                op.returns.to_owned(),
            ]
        })
        .collect();
    out.table(&["METHOD", "PATH", "SHAPE", "CALL", "RETURNS"], &rows)?;
    out.note(&format!(
        "{} operations generated; build bunq-oauth with the `full-api` feature for all of bunq's 480",
        table.len()
    ));
    Ok(())
}

async fn run(cli: Cli, out: &Output) -> Result<(), CliError> {
    match cli.command {
        Command::Demo { psd2 } => demo::run(out, psd2).await,
        Command::Fake => fake_server::serve(out).await,
        Command::Operations => operations(out),
        Command::Init {
            description,
            replace,
        } => {
            let path = server::new_context_path(&cli.context, replace)?;
            let target = server::Target::resolve(&cli.server).await?;
            accounts::init(&target, &path, &description, out).await
        }
        Command::Authorize(args) => {
            let target = server::Target::resolve(&cli.server).await?;
            accounts::authorize(&target, &cli.context, args, out).await
        }
        Command::Psd2(command) => psd2::run(command, &cli.server, &cli.context, out).await,
        Command::Sandbox(command) => sandbox::run(command, &cli.server, &cli.context, out).await,
        Command::AsUser(command) => run_as_user(command, &cli.server, &cli.context, out).await,
    }
}

/// Resolves the server and the owner's session once, runs the command as
/// that user, and saves the context back.
async fn run_as_user(
    command: UserCommand,
    server: &server::ServerArgs,
    context: &Option<PathBuf>,
    out: &Output,
) -> Result<(), CliError> {
    let production = server.is_production();
    // Refused before anything is sent or any key is asked for.
    money::refuse_production_without_yes(command.transfer(), production)?;
    let target = server::Target::resolve(server).await?;
    let (session, file) = target.owner_session(context, out).await?;
    let result = match command {
        UserCommand::Clients(command) => clients::run_clients(command, &session, out).await,
        UserCommand::Callbacks(command) => clients::run_callbacks(command, &session, out).await,
        UserCommand::Whoami => accounts::whoami(&session, out),
        UserCommand::Accounts => accounts::accounts(&session, out).await,
        UserCommand::Payments(command) => {
            money::run_payments(command, &session, production, out).await
        }
        UserCommand::DraftPayments(command) => {
            money::run_draft_payments(command, &session, production, out).await
        }
        UserCommand::Requests(command) => money::run_requests(command, &session, out).await,
        UserCommand::Cards(command) => money::run_cards(command, &session, out).await,
        UserCommand::Notifications(command) => notifications::run(command, &session, out).await,
    };
    keep(result, &session, file)
}

/// Saves the context back after a command, so that a session the command
/// renewed (or extended by using it) is not renewed again next time.
fn keep(
    result: Result<(), CliError>,
    session: &bunq_oauth::Session,
    file: Option<PathBuf>,
) -> Result<(), CliError> {
    if let Some(path) = file {
        session.save(&path)?;
    }
    result
}

/// What the CLI reports: the crate's errors, and its own usage problems.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An error from the library.
    #[error(transparent)]
    Bunq(#[from] bunq_oauth::Error),
    /// A problem with the command line or its environment.
    #[error("{0}")]
    Usage(String),
    /// A local I/O problem.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn exit_code(err: &CliError) -> u8 {
    use bunq_oauth::Error as E;
    match err {
        CliError::Usage(_) => 2,
        CliError::Io(_) => 3,
        CliError::Bunq(e) => match e {
            E::Api(_) | E::OAuth(_) => 1,
            E::Config(_) | E::Io { .. } | E::InvalidInput(_) | E::Certificate(_) => 3,
            E::Transport { .. } | E::Timeout { .. } => 4,
            E::Signature(_) => 5,
            _ => 6,
        },
    }
}
