//! bunq's OAuth Client API: `/user/{userID}/oauth-client` and its callback URLs.
//!
//! Each method is one generated operation ([`crate::api::OauthClients`],
//! [`crate::api::CallbackUrls`]) decoded into this crate's models, which know
//! what the spec does not: the status as an enum, the secret as a
//! [`ClientSecret`](crate::ClientSecret), ids as typed ids. The helpers
//! (`ensure_active`, `ensure`) are what a generator cannot know.

use crate::error::Result;
use crate::generated::types;
use crate::models::{
    CallbackUrl, CallbackUrlId, OauthClientDetails, OauthClientId, OauthClientStatus,
};
use std::future::Future;

use crate::pagination::{Page, PageRequest, PagedList};
use crate::session::Session;

impl Session {
    /// The user's OAuth clients.
    pub fn oauth_client_manager(&self) -> OauthClientManager<'_> {
        OauthClientManager::new(self)
    }

    /// The callback URLs of one of the user's OAuth clients.
    pub fn callback_url_manager(&self, oauth_client: OauthClientId) -> CallbackUrlManager<'_> {
        CallbackUrlManager::new(self, oauth_client)
    }
}

/// The OAuth clients of the session's user. Get one from [`Session::oauth_client_manager`].
#[derive(Debug, Clone, Copy)]
pub struct OauthClientManager<'s> {
    session: &'s Session,
}

impl<'s> OauthClientManager<'s> {
    pub(crate) fn new(session: &'s Session) -> Self {
        OauthClientManager { session }
    }

    /// Registers a new OAuth client (`POST /user/{userID}/oauth-client` with
    /// body `{}`, as bunq's current docs send) and returns its id. bunq allows
    /// one OAuth client per user.
    pub async fn create(&self) -> Result<OauthClientId> {
        self.create_with(types::OauthClient { status: None }).await
    }

    /// Registers a new OAuth client with an explicit status (body
    /// `{"status":"…"}`, as bunq's SDKs send).
    pub async fn create_with_status(&self, status: OauthClientStatus) -> Result<OauthClientId> {
        let body = types::OauthClient {
            status: Some(status.as_str().to_owned()),
        };
        self.create_with(body).await
    }

    async fn create_with(&self, body: types::OauthClient) -> Result<OauthClientId> {
        let id = self.api().create(&body).await?;
        OauthClientId::from_api(id)
    }

    fn api(&self) -> crate::api::OauthClients<'s> {
        self.session.api().oauth_clients()
    }

    /// The user's ACTIVE OAuth client, created if there is none (bunq allows
    /// one per user). Safe to call at every start: it creates nothing when an
    /// active client exists.
    pub async fn ensure_active(&self) -> Result<OauthClientDetails> {
        let active =
            crate::pagination::find(self.stream(), |c| c.status == OauthClientStatus::Active);
        if let Some(found) = active.await? {
            return Ok(found);
        }
        let id = self.create().await?;
        tracing::info!(%id, "registered a new OAuth client");
        self.get(id).await
    }

    /// One page of the user's OAuth clients.
    pub async fn list_page(&self, page: PageRequest) -> Result<Page<OauthClientDetails>> {
        self.api().list_page_as(page).await
    }

    /// One OAuth client, with its secret and callback URLs
    /// (`GET /user/{userID}/oauth-client/{id}`).
    pub async fn get(&self, id: OauthClientId) -> Result<OauthClientDetails> {
        self.api().get_as(id.path()?).await
    }

    /// Changes an OAuth client's status (`PUT /user/{userID}/oauth-client/{id}`,
    /// body `{"status":"ACTIVE"}` or `"CANCELLED"`); returns the id bunq echoes.
    pub async fn update(
        &self,
        id: OauthClientId,
        status: OauthClientStatus,
    ) -> Result<OauthClientId> {
        let body = types::OauthClient {
            status: Some(status.as_str().to_owned()),
        };
        let id = self.api().update(id.path()?, &body).await?;
        OauthClientId::from_api(id)
    }
}

impl<'s> PagedList for OauthClientManager<'s> {
    type Item = OauthClientDetails;

    fn list_page(
        &self,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<OauthClientDetails>>> + Send {
        OauthClientManager::list_page(self, page)
    }

    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}

/// The callback (redirect) URLs of one OAuth client. Get one from
/// [`Session::callback_url_manager`].
#[derive(Debug, Clone, Copy)]
pub struct CallbackUrlManager<'s> {
    session: &'s Session,
    oauth_client: OauthClientId,
}

impl<'s> CallbackUrlManager<'s> {
    pub(crate) fn new(session: &'s Session, oauth_client: OauthClientId) -> Self {
        CallbackUrlManager {
            session,
            oauth_client,
        }
    }

    fn api(&self) -> Result<crate::api::CallbackUrls<'s>> {
        Ok(self.session.api().callback_urls(self.oauth_client.path()?))
    }

    /// Registers a redirect URL (`POST …/oauth-client/{id}/callback-url`,
    /// body `{"url":…}`) and returns its id. A URL that is not absolute
    /// `https://` (`http://` only on loopback) is refused before sending,
    /// as [`Error::Config`](crate::Error::Config).
    pub async fn create(&self, url: &str) -> Result<CallbackUrlId> {
        // Refused here, before bunq sees it, by the rule the redirect meets.
        crate::oauth::check_redirect_scheme(url)?;
        let body = types::OauthCallbackUrl {
            url: url.to_owned(),
            id: None,
            created: None,
            updated: None,
        };
        CallbackUrlId::from_api(self.api()?.create(&body).await?)
    }

    /// The callback URL equal to `url`, registered if it is not yet (no
    /// duplicate is created).
    pub async fn ensure(&self, url: &str) -> Result<CallbackUrl> {
        if let Some(found) = crate::pagination::find(self.stream(), |u| u.url == url).await? {
            return Ok(found);
        }
        let id = self.create(url).await?;
        tracing::info!(%id, "registered a new callback URL");
        self.get(id).await
    }

    /// One page of the client's callback URLs
    /// (`GET …/oauth-client/{id}/callback-url`).
    pub async fn list_page(&self, page: PageRequest) -> Result<Page<CallbackUrl>> {
        self.api()?.list_page_as(page).await
    }

    /// One callback URL (`GET …/callback-url/{id}`).
    pub async fn get(&self, id: CallbackUrlId) -> Result<CallbackUrl> {
        self.api()?.get_as(id.path()?).await
    }

    /// Changes a callback URL (`PUT …/callback-url/{id}`, body `{"url":…}`);
    /// returns the id bunq echoes.
    pub async fn update(&self, id: CallbackUrlId, url: &str) -> Result<CallbackUrlId> {
        crate::oauth::check_redirect_scheme(url)?;
        let body = types::OauthCallbackUrl {
            url: url.to_owned(),
            id: None,
            created: None,
            updated: None,
        };
        CallbackUrlId::from_api(self.api()?.update(id.path()?, &body).await?)
    }

    /// Removes a callback URL (`DELETE …/callback-url/{id}`). bunq does not
    /// document the success body, so any 2xx body is accepted.
    pub async fn delete(&self, id: CallbackUrlId) -> Result<()> {
        self.api()?.delete(id.path()?).await
    }
}

impl<'s> PagedList for CallbackUrlManager<'s> {
    type Item = CallbackUrl;

    fn list_page(
        &self,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<CallbackUrl>>> + Send {
        CallbackUrlManager::list_page(self, page)
    }

    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
