//! Which bunq the CLI talks to, and where its contexts live.

use std::path::{Path, PathBuf};

use bunq_oauth::{ApiContext, ApiKey, Client, Environment, Session, SigningPolicy};
use bunq_oauth_fake::FakeBunq;
use clap::Args;

use crate::CliError;
use crate::output::Output;

/// Global options that select the server.
#[derive(Args, Debug)]
pub struct ServerArgs {
    /// bunq's sandbox (the default).
    #[arg(long, global = true, conflicts_with_all = ["production", "fake"])]
    sandbox: bool,
    /// bunq production: real money.
    #[arg(long, global = true, conflicts_with = "fake")]
    production: bool,
    /// A fresh built-in fake bunq in this process (no account needed); the
    /// app owner's context is created in memory.
    #[arg(long, global = true)]
    fake: bool,
    /// Any bunq-compatible API base URL, for example http://127.0.0.1:8080/v1.
    #[arg(
        long,
        global = true,
        env = "BUNQ_API_URL",
        value_name = "URL",
        conflicts_with = "fake"
    )]
    api_url: Option<String>,
    /// The OAuth authorization page to use with --api-url.
    #[arg(
        long,
        global = true,
        env = "BUNQ_OAUTH_AUTHORIZE_URL",
        value_name = "URL"
    )]
    oauth_authorize_url: Option<String>,
    /// The OAuth token endpoint to use with --api-url.
    #[arg(long, global = true, env = "BUNQ_OAUTH_TOKEN_URL", value_name = "URL")]
    oauth_token_url: Option<String>,
    /// Sign every request, GET and DELETE included, as bunq's older
    /// documentation asks (by default only what bunq requires is signed, and
    /// an installation starts signing everything when bunq answers 466).
    #[arg(
        long,
        global = true,
        env = "BUNQ_OAUTH_SIGN_ALL",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    sign_all: bool,
}

/// The resolved server: a client for its [`Environment`], and maybe a fake.
pub struct Target {
    pub client: Client,
    /// Kept alive for the whole command when `--fake` is used.
    pub fake: Option<FakeBunq>,
}

impl ServerArgs {
    /// Whether the command runs against bunq production (real money).
    pub fn is_production(&self) -> bool {
        self.production
    }
}

impl Target {
    pub async fn resolve(args: &ServerArgs) -> Result<Target, CliError> {
        let mut builder =
            Client::builder().user_agent(concat!("bunq-oauth-cli/", env!("CARGO_PKG_VERSION")));
        if args.sign_all {
            builder = builder.signing_policy(SigningPolicy::All);
        }
        if args.fake {
            let fake = FakeBunq::start().await?;
            let client = builder.environment(fake.environment()).build()?;
            return Ok(Target {
                client,
                fake: Some(fake),
            });
        }
        let known = if args.production {
            Environment::production()
        } else {
            Environment::sandbox()
        };
        let environment = match &args.api_url {
            // Another bunq; its OAuth pages default to the chosen bunq's.
            Some(api_url) => Environment::custom(
                api_url,
                args.oauth_authorize_url
                    .as_deref()
                    .unwrap_or(known.oauth_authorize_url().as_str()),
                args.oauth_token_url
                    .as_deref()
                    .unwrap_or(known.oauth_token_url().as_str()),
            )?,
            None => known,
        };
        Ok(Target {
            client: builder.environment(environment).build()?,
            fake: None,
        })
    }

    /// The app owner's session: from the saved context, or, with `--fake`,
    /// a context created in memory with the fake's owner key.
    pub async fn owner_session(
        &self,
        context: &Option<PathBuf>,
        out: &Output,
    ) -> Result<(Session, Option<PathBuf>), CliError> {
        if let Some(fake) = &self.fake
            && context.is_none()
        {
            let context = out
                .wait(
                    "creating the API context",
                    ApiContext::create(&self.client, fake.owner_api_key(), "bunq-oauth CLI"),
                )
                .await?;
            return Ok((Session::new(&self.client, context)?, None));
        }
        let path = context_path(context)?;
        let context = ApiContext::load(&path).map_err(|e| match e {
            bunq_oauth::Error::Io { .. } => CliError::Usage(format!(
                "no saved context at {}: run `bunq-oauth init` first (or pass --context FILE)",
                path.display()
            )),
            other => other.into(),
        })?;
        Ok((Session::new(&self.client, context)?, Some(path)))
    }

    /// The owner's API key for `init`: $BUNQ_API_KEY, the fake's, or a prompt.
    pub fn api_key(&self) -> Result<ApiKey, CliError> {
        if let Ok(key) = std::env::var("BUNQ_API_KEY")
            && !key.trim().is_empty()
        {
            return Ok(ApiKey::new(key.trim()));
        }
        if let Some(fake) = &self.fake {
            return Ok(fake.owner_api_key());
        }
        let key = rpassword::prompt_password("bunq API key (input hidden): ").map_err(|e| {
            CliError::Usage(format!("cannot read the API key: {e}; set BUNQ_API_KEY"))
        })?;
        if key.trim().is_empty() {
            return Err(CliError::Usage("no API key given".into()));
        }
        Ok(ApiKey::new(key.trim()))
    }
}

/// Where contexts live: `--context`, else the config directory's `context.json`.
pub fn context_path(context: &Option<PathBuf>) -> Result<PathBuf, CliError> {
    match context {
        Some(path) => Ok(path.clone()),
        None => Ok(config_dir()?.join("context.json")),
    }
}

/// Where a command that makes a new context saves it (see [`refuse_to_replace`]).
pub fn new_context_path(context: &Option<PathBuf>, replace: bool) -> Result<PathBuf, CliError> {
    let path = context_path(context)?;
    refuse_to_replace(&path, replace)?;
    Ok(path)
}

/// Refuses, before anything is sent to bunq, to save a new context over a
/// file already at `path` unless `replace` is set: the context there would
/// be lost with its installation. A dangling link, or a path that cannot be
/// looked at, counts as taken.
pub fn refuse_to_replace(path: &Path, replace: bool) -> Result<(), CliError> {
    let free = matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound);
    if free || replace {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "{} already holds a context: pass --replace to replace it, or name another file",
        path.display()
    )))
}

/// `$BUNQ_OAUTH_CONFIG_DIR`, `$XDG_CONFIG_HOME/bunq-oauth` or
/// `~/.config/bunq-oauth`. It holds credentials, so an existing one must be
/// owned by this user and writable by nobody else (who could swap a
/// context file); a missing one is created `0700` when first written.
pub fn config_dir() -> Result<PathBuf, CliError> {
    let dir = if let Some(dir) = std::env::var_os("BUNQ_OAUTH_CONFIG_DIR") {
        PathBuf::from(dir)
    } else if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME") {
        Path::new(&dir).join("bunq-oauth")
    } else if let Some(home) = std::env::var_os("HOME") {
        Path::new(&home).join(".config").join("bunq-oauth")
    } else {
        return Err(CliError::Usage(
            "no config directory: set BUNQ_OAUTH_CONFIG_DIR or pass --context FILE".into(),
        ));
    };
    if dir.exists() {
        check_private_dir(&dir)?;
    }
    Ok(dir)
}

/// Creates a missing parent directory of a context file, readable only by
/// the owner. An existing directory is left as it is.
pub fn ensure_parent(path: &Path) -> Result<(), CliError> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    Ok(())
}

/// Refuses a directory another user owns, or that group or others may
/// write to.
fn check_private_dir(dir: &Path) -> Result<(), CliError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(dir)?;
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(CliError::Usage(format!(
                "{} belongs to another user (uid {}): refusing to keep credentials there",
                dir.display(),
                meta.uid()
            )));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(CliError::Usage(format!(
                "{} can be written by others (mode {:o}): refusing to keep credentials there; chmod go-w it",
                dir.display(),
                meta.mode() & 0o777
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
