//! [`ApiContext`]: bunq's three-step handshake and what it leaves behind.
//!
//! installation (send our public key, get an installation token and bunq's
//! public key) → device-server (register the API key for this installation)
//! → session-server (open a session: a session token and the user). The
//! context holds all of it and saves it to a versioned JSON file, so a
//! restarted process skips the handshake.
//!
//! The three calls are generated operations (`CREATE_Installation`,
//! `CREATE_DeviceServer`, `CREATE_SessionServer`) sent on the one request
//! path; what a generator cannot know is kept here: which item of each
//! answer matters, the key pair, the session's expiry, the saved file.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::client::Client;
use crate::envelope::{decode_id, decode_keyed, decode_user};
use crate::error::{Error, Result};
use crate::generated::{calls, types};
use crate::models::{SessionUser, UserId};
use crate::private_file::write_private_file;
use crate::psd2::{CredentialItem, Psd2Certificate, Psd2Credential};
use crate::secret::{AccessToken, ApiKey, InstallationToken, SessionToken};
use crate::signing::{KeyPair, PublicKey};
use crate::transport::{Call, CallOptions, Place};
use crate::values::SecretText;

/// The version of the context file format this crate writes and reads.
pub const CONTEXT_FILE_VERSION: u32 = 1;

/// Used when a user object carries no `session_timeout`.
const FALLBACK_SESSION_TIMEOUT: Duration = Duration::from_secs(300);

/// Everything a bunq API key (or OAuth access token) needs to make calls:
/// the client key pair, the installation token, bunq's public key, the device
/// id and the current session. Cheap to clone; secrets are redacted in `Debug`.
#[derive(Clone)]
pub struct ApiContext {
    pub(crate) fixed: Arc<Installation>,
    pub(crate) session: SessionState,
}

/// The parts that stay fixed for the life of a context.
pub(crate) struct Installation {
    pub(crate) api_url: String,
    pub(crate) api_key: ApiKey,
    pub(crate) key_pair: KeyPair,
    pub(crate) installation_token: InstallationToken,
    pub(crate) server_key: PublicKey,
    pub(crate) device_id: Option<u64>,
}

impl Installation {
    /// A short name for this installation, for per-installation state kept
    /// in memory (a hash of its token; never printed).
    pub(crate) fn id(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.installation_token.expose_secret().hash(&mut hasher);
        hasher.finish()
    }
}

/// One bunq session.
#[derive(Clone)]
pub(crate) struct SessionState {
    pub(crate) token: SessionToken,
    pub(crate) user: SessionUser,
    /// The user object exactly as bunq sent it, for the context file.
    pub(crate) user_json: Box<RawValue>,
    pub(crate) timeout: Duration,
    pub(crate) expires_at: DateTime<Utc>,
}

impl fmt::Debug for ApiContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiContext")
            .field("api_url", &self.fixed.api_url)
            .field("api_key", &self.fixed.api_key)
            .field("key_pair", &self.fixed.key_pair)
            .field("installation_token", &self.fixed.installation_token)
            .field("server_key", &self.fixed.server_key)
            .field("device_id", &self.fixed.device_id)
            .field("session_token", &self.session.token)
            .field("user_id", &self.session.user.id())
            .field("expires_at", &self.session.expires_at)
            .finish()
    }
}

/// Options for [`ApiContext`] creation; see [`ApiContext::builder`].
#[derive(Debug, Clone)]
pub struct ApiContextBuilder {
    credential: Credential,
    description: String,
    permitted_ips: Option<Vec<String>>,
}

/// What the device is registered with.
#[derive(Debug, Clone)]
enum Credential {
    /// An API key or OAuth access token.
    ApiKey(ApiKey),
    /// A PSD2 certificate, exchanged for an API key after installation.
    Psd2(Box<Psd2Certificate>),
}

/// A payment-service provider's registration: its new context and what
/// bunq answered about the credential.
#[derive(Debug, Clone)]
pub struct Psd2Registration {
    /// The provider's context (save it: its API key is bunq's `token_value`).
    pub context: ApiContext,
    /// The credential's id, status and expiry as bunq answered them.
    pub credential: Psd2Credential,
}

impl ApiContextBuilder {
    /// The device description bunq shows the user (default `bunq-oauth`).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The IPs this device may call from. Omitted by default, which binds
    /// the device to the caller's IP; `["*"]` allows any IP (what OAuth apps
    /// on changing addresses use).
    pub fn permitted_ips<I, S>(mut self, ips: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permitted_ips = Some(ips.into_iter().map(Into::into).collect());
        self
    }

    /// Runs installation, device-server and session-server against `client`'s
    /// bunq, with a freshly generated 2048-bit RSA key pair (for a PSD2
    /// certificate, the provider's registration between installation and
    /// device-server).
    pub async fn create(self, client: &Client) -> Result<ApiContext> {
        Ok(self.handshake(client).await?.0)
    }

    /// As [`create`](Self::create) for a builder from
    /// [`ApiContext::builder_for_psd2`], returning bunq's answer about the
    /// credential beside the context.
    ///
    /// # Errors
    /// [`Error::Config`] when the builder holds an API key, not a certificate.
    pub async fn register_psd2(self, client: &Client) -> Result<Psd2Registration> {
        if matches!(self.credential, Credential::ApiKey(_)) {
            return Err(Error::Config(
                "register_psd2 needs a builder from ApiContext::builder_for_psd2".into(),
            ));
        }
        match self.handshake(client).await? {
            (context, Some(credential)) => Ok(Psd2Registration {
                context,
                credential,
            }),
            (_, None) => Err(Error::unexpected("a PSD2 credential", "none")),
        }
    }

    async fn handshake(self, client: &Client) -> Result<(ApiContext, Option<Psd2Credential>)> {
        let key_pair = tokio::task::spawn_blocking(KeyPair::generate)
            .await
            .map_err(|e| Error::Config(format!("key generation did not finish: {e}")))??;

        // 1. installation: unauthenticated, unsigned, and nothing to verify with yet.
        let body = types::Installation {
            client_public_key: key_pair.public_key().to_pem(),
        };
        let options = CallOptions {
            unverifiable: true,
            ..Default::default()
        };
        let reply = client
            .send(&calls::create_installation(&body)?, &options)
            .await?;
        let installation_token =
            InstallationToken::new(decode_keyed::<TokenItem>(&reply, "Token")?.token);
        let server_pem =
            decode_keyed::<ServerPublicKeyItem>(&reply, "ServerPublicKey")?.server_public_key;
        let server_key = PublicKey::from_pem(&server_pem)?;
        // Every call below: with the installation token, signed, verified.
        let options = CallOptions {
            token: Some(SessionToken::new(installation_token.expose_secret())),
            signer: Some(key_pair.clone()),
            server_key: Some(server_key.clone()),
            ..Default::default()
        };

        // 1b. a PSD2 provider exchanges its certificate for an API key.
        let (api_key, credential) = match self.credential {
            Credential::ApiKey(api_key) => (api_key, None),
            Credential::Psd2(certificate) => {
                let body = types::PaymentServiceProviderCredential {
                    client_payment_service_provider_certificate: certificate
                        .certificate_pem()
                        .to_owned(),
                    client_payment_service_provider_certificate_chain: certificate
                        .chain_pem()
                        .to_owned(),
                    client_public_key_signature: certificate.sign_installation(
                        &body.client_public_key,
                        installation_token.expose_secret(),
                    )?,
                };
                let reply = client
                    .send(
                        &calls::create_payment_service_provider_credential(&body)?,
                        &options,
                    )
                    .await?;
                let item = decode_keyed::<CredentialItem>(&reply, "CredentialPasswordIp")?;
                let token = item.token_value.filter(|t| !t.is_empty()).ok_or_else(|| {
                    Error::unexpected("a CredentialPasswordIp with a token_value", "none")
                })?;
                let credential = Psd2Credential {
                    id: item.id,
                    status: item.status,
                    expiry_time: item.expiry_time,
                };
                tracing::info!(
                    status = credential.status.as_deref().unwrap_or(""),
                    expiry_time = credential.expiry_time.as_deref().unwrap_or(""),
                    "bunq registered the payment-service provider's certificate"
                );
                (ApiKey::new(token), Some(credential))
            }
        };

        // 2. device-server.
        let body = types::DeviceServer {
            description: self.description,
            secret: SecretText::new(api_key.expose_secret()),
            permitted_ips: self.permitted_ips.unwrap_or_default(),
        };
        let reply = client
            .send(&calls::create_device_server(&body)?, &options)
            .await?;
        let device_id = u64::try_from(decode_id(&reply)?)
            .map_err(|_| Error::unexpected("a device id of 0 or more", "a negative one"))?;

        let fixed = Arc::new(Installation {
            api_url: client.api_url().to_owned(),
            api_key,
            key_pair,
            installation_token,
            server_key,
            device_id: Some(device_id),
        });
        // 3. session-server.
        let session = open_session(client, &fixed).await?;
        Ok((ApiContext { fixed, session }, credential))
    }
}

#[derive(Deserialize)]
struct TokenItem {
    token: String,
}

#[derive(Deserialize)]
struct ServerPublicKeyItem {
    server_public_key: String,
}

/// The longest session timeout taken as given: bunq's settings go up to
/// days, and any server value beyond this is clamped, so no expiry
/// computed from it can overflow.
const MAX_SESSION_TIMEOUT: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// A user's `session_timeout` (seconds) as the session's timeout: the
/// fallback when missing or zero, clamped to [`MAX_SESSION_TIMEOUT`].
pub(crate) fn session_timeout(seconds: Option<u64>) -> Duration {
    seconds
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .unwrap_or(FALLBACK_SESSION_TIMEOUT)
        .min(MAX_SESSION_TIMEOUT)
}

/// `POST /session-server` with the installation token, signed; returns the
/// new session. Used at creation and for every renewal.
pub(crate) async fn open_session(client: &Client, fixed: &Installation) -> Result<SessionState> {
    open_session_in(client, fixed, None).await
}

/// The session-server call for `fixed`: the call and its options.
pub(crate) fn session_call(fixed: &Installation) -> Result<(Call, CallOptions)> {
    let body = types::SessionServer {
        secret: SecretText::new(fixed.api_key.expose_secret()),
    };
    let options = CallOptions {
        token: Some(SessionToken::new(fixed.installation_token.expose_secret())),
        signer: Some(fixed.key_pair.clone()),
        server_key: Some(fixed.server_key.clone()),
        ..Default::default()
    };
    Ok((calls::create_session_server(&body)?, options))
}

/// [`open_session`] in a place under bunq's rate limits taken beforehand
/// (see [`Client::take_place`]); `None` takes one now.
pub(crate) async fn open_session_in(
    client: &Client,
    fixed: &Installation,
    place: Option<Place<'_>>,
) -> Result<SessionState> {
    let (call, options) = session_call(fixed)?;
    tracing::debug!("opening a bunq session (POST /session-server)");
    let reply = match place {
        Some(place) => client.send_in_place(&call, &options, place).await?,
        None => client.send(&call, &options).await?,
    };
    let token = SessionToken::new(decode_keyed::<TokenItem>(&reply, "Token")?.token);
    let (user, user_json) = decode_user(&reply)?;
    let timeout = session_timeout(user.session_timeout());
    Ok(SessionState {
        token,
        user,
        user_json,
        timeout,
        expires_at: Utc::now() + timeout,
    })
}

impl ApiContext {
    /// Options for creating a context from `api_key`: a bunq API key or an
    /// OAuth access token.
    pub fn builder(api_key: ApiKey) -> ApiContextBuilder {
        ApiContextBuilder {
            credential: Credential::ApiKey(api_key),
            description: "bunq-oauth".to_owned(),
            permitted_ips: None,
        }
    }

    /// Options for registering as a payment-service provider with a PSD2
    /// certificate instead of an API key; finish with
    /// [`ApiContextBuilder::register_psd2`] (or `create`).
    pub fn builder_for_psd2(certificate: Psd2Certificate) -> ApiContextBuilder {
        ApiContextBuilder {
            credential: Credential::Psd2(Box::new(certificate)),
            description: "bunq-oauth".to_owned(),
            permitted_ips: None,
        }
    }

    /// Registers a payment-service provider: installation, the certificate
    /// exchanged for an API key at `POST /payment-service-provider-credential`,
    /// device-server and session-server. The context saves, loads and renews
    /// as any other; its user is a `UserPaymentServiceProvider`.
    ///
    /// # Errors
    /// bunq's refusal as [`Error::Api`] (a certificate bunq does not accept,
    /// a signature it cannot check); what is wrong locally is found earlier,
    /// by [`Psd2Certificate::from_pem`].
    pub async fn create_for_psd2(
        client: &Client,
        certificate: Psd2Certificate,
        description: &str,
    ) -> Result<Psd2Registration> {
        ApiContext::builder_for_psd2(certificate)
            .description(description)
            .register_psd2(client)
            .await
    }

    /// Opens an API context for an OAuth access token (installation,
    /// device-server with `permitted_ips: ["*"]`, session-server) and checks
    /// that bunq's session user is a `UserApiKey` ([`OauthConnection`](crate::OauthConnection)): use
    /// its id as `{userID}`.
    pub async fn for_access_token(
        client: &Client,
        token: &AccessToken,
        description: &str,
    ) -> Result<ApiContext> {
        let context = ApiContext::builder(ApiKey::new(token.expose_secret()))
            .description(description)
            .permitted_ips(["*"])
            .create(client)
            .await?;
        match context.user() {
            SessionUser::ApiKey(_) => Ok(context),
            other => Err(Error::unexpected(
                "a UserApiKey session for an OAuth access token",
                other.type_name(),
            )),
        }
    }

    /// Runs the handshake with default options and the given device
    /// description. See [`ApiContextBuilder::create`].
    pub async fn create(client: &Client, api_key: ApiKey, description: &str) -> Result<ApiContext> {
        ApiContext::builder(api_key)
            .description(description)
            .create(client)
            .await
    }

    /// The user the session acts as.
    pub fn user(&self) -> &SessionUser {
        &self.session.user
    }

    /// The `{userID}` for every call.
    pub fn user_id(&self) -> UserId {
        self.session.user.id()
    }

    /// The API base URL the context was created against.
    pub fn api_url(&self) -> &str {
        &self.fixed.api_url
    }

    /// The device-server id bunq assigned, if known.
    pub fn device_id(&self) -> Option<u64> {
        self.fixed.device_id
    }

    /// When the current session expires unless it is used (local estimate).
    pub fn session_expires_at(&self) -> DateTime<Utc> {
        self.session.expires_at
    }

    /// The session's timeout: how long bunq keeps an unused session.
    pub fn session_timeout(&self) -> Duration {
        self.session.timeout
    }

    /// Saves the context as JSON, atomically (a temporary file in the same
    /// directory, synced, then renamed over `path`), readable only by the
    /// owner (mode 0600 on Unix).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write_private_file(path.as_ref(), &self.to_json()?)
    }

    /// The context file's JSON (secrets in clear: callers encrypt or write
    /// it mode 0600).
    pub(crate) fn to_json(&self) -> Result<Vec<u8>> {
        let file = ContextFile {
            version: CONTEXT_FILE_VERSION,
            api_url: self.fixed.api_url.clone(),
            api_key: self.fixed.api_key.expose_secret().to_owned(),
            private_key_pem: self
                .fixed
                .key_pair
                .to_pkcs8_pem()
                .expose_secret()
                .to_owned(),
            installation_token: self.fixed.installation_token.expose_secret().to_owned(),
            server_public_key_pem: self.fixed.server_key.to_pem(),
            device_id: self.fixed.device_id,
            session: SessionFile {
                token: self.session.token.expose_secret().to_owned(),
                timeout_seconds: self.session.timeout.as_secs(),
                expires_at: self.session.expires_at,
                user: self.session.user_json.clone(),
            },
        };
        serde_json::to_vec_pretty(&file).map_err(|e| Error::InvalidInput(e.to_string()))
    }

    /// Restores a context saved by [`save`](Self::save); no bunq call is made.
    pub fn load(path: impl AsRef<Path>) -> Result<ApiContext> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&bytes).map_err(|e| match e {
            Error::Config(message) => Error::Config(format!("{}: {message}", path.display())),
            other => other,
        })
    }

    pub(crate) fn from_json(bytes: &[u8]) -> Result<ApiContext> {
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        // Messages from serde_json name a position, never the content, so no
        // secret from the file can end up in an error.
        let version: Version = serde_json::from_slice(bytes)
            .map_err(|e| Error::Config(format!("not a bunq-oauth context file: {e}")))?;
        if version.version != CONTEXT_FILE_VERSION {
            return Err(Error::Config(format!(
                "context file version {} is not supported (this crate reads version {CONTEXT_FILE_VERSION})",
                version.version
            )));
        }
        let file: ContextFile = serde_json::from_slice(bytes)
            .map_err(|e| Error::Config(format!("not a bunq-oauth context file: {e}")))?;
        // The saved user is bunq's wrapped object, which `SessionUser` decodes itself.
        let user: SessionUser = serde_json::from_str(file.session.user.get())
            .map_err(|e| Error::Config(format!("the saved user cannot be read: {e}")))?;
        Ok(ApiContext {
            fixed: Arc::new(Installation {
                api_url: file.api_url,
                api_key: ApiKey::new(file.api_key),
                key_pair: KeyPair::from_pkcs8_pem(&file.private_key_pem)?,
                installation_token: InstallationToken::new(file.installation_token),
                server_key: PublicKey::from_pem(&file.server_public_key_pem)?,
                device_id: file.device_id,
            }),
            session: SessionState {
                token: SessionToken::new(file.session.token),
                user,
                user_json: file.session.user,
                timeout: session_timeout(Some(file.session.timeout_seconds)),
                expires_at: file.session.expires_at,
            },
        })
    }
}

/// The context file, version 1.
#[derive(Serialize, Deserialize)]
struct ContextFile {
    version: u32,
    api_url: String,
    api_key: String,
    private_key_pem: String,
    installation_token: String,
    server_public_key_pem: String,
    device_id: Option<u64>,
    session: SessionFile,
}

#[derive(Serialize, Deserialize)]
struct SessionFile {
    token: String,
    timeout_seconds: u64,
    expires_at: DateTime<Utc>,
    /// bunq's user object as received: `{"UserApiKey":{…}}`.
    user: Box<RawValue>,
}
