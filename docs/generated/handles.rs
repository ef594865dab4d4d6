// What `build.rs` generates for the typed handles with the default features
// (`$OUT_DIR/bunq_handles.rs`, included by `src/api/mod.rs`). Kept for reading;
// `tests/regeneration.rs` checks it is current.

/// `/device-server`: bunq's DeviceServer operations. Get one from [`Api::device_servers`].
#[derive(Debug, Clone, Copy)]
pub struct DeviceServers<'s> {
    session: &'s crate::Session,
}
impl<'s> DeviceServers<'s> {
    /// `GET /device-server` (`List_all_DeviceServer`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::DeviceServerListing>> {
        let page = self.list_page_as::<types::DeviceServerListing>(page).await?;
        crate::envelope::require_id(
            "List_all_DeviceServer",
            page.items.iter().map(|item| item.id.is_some()),
        )?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let reply = self
            .session
            .send(calls::list_all_device_server().with_query(page.query()))
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `POST /device-server` (`CREATE_DeviceServer`): answers the new item's id.
    pub async fn create(&self, body: &types::DeviceServer) -> crate::Result<i64> {
        let reply = self.session.send(calls::create_device_server(body)?).await?;
        crate::envelope::decode_id(&reply)
    }
    /// `GET /device-server/{itemId}` (`READ_DeviceServer`): answers one object.
    pub async fn get(&self, item_id: i64) -> crate::Result<types::DeviceServerRead> {
        let item: types::DeviceServerRead = self.get_as(item_id).await?;
        crate::envelope::require_id("READ_DeviceServer", [item.id.is_some()])?;
        Ok(item)
    }
    /// [`Self::get`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn get_as<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(
        &self,
        item_id: i64,
    ) -> crate::Result<T> {
        let reply = self.session.send(calls::read_device_server(item_id)).await?;
        crate::envelope::decode_one(&reply)
    }
}
impl<'s> crate::pagination::PagedList for DeviceServers<'s> {
    type Item = types::DeviceServerListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<types::DeviceServerListing>>,
    > + Send {
        DeviceServers::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/installation`: bunq's Installation operations. Get one from [`Api::installations`].
#[derive(Debug, Clone, Copy)]
pub struct Installations<'s> {
    session: &'s crate::Session,
}
impl<'s> Installations<'s> {
    /// `GET /installation` (`List_all_Installation`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::InstallationListing>> {
        let page = self.list_page_as::<types::InstallationListing>(page).await?;
        crate::envelope::require_id(
            "List_all_Installation",
            page.items.iter().map(|item| item.id.is_some()),
        )?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let reply = self
            .session
            .send(calls::list_all_installation().with_query(page.query()))
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `POST /installation` (`CREATE_Installation`): answers several items of different kinds.
    pub async fn create(
        &self,
        body: &types::Installation,
    ) -> crate::Result<Vec<InstallationItem>> {
        let reply = self.session.send(calls::create_installation(body)?).await?;
        crate::envelope::decode_items(&reply)
    }
    /// `GET /installation/{itemId}` (`READ_Installation`): answers one object.
    pub async fn get(&self, item_id: i64) -> crate::Result<types::InstallationRead> {
        let item: types::InstallationRead = self.get_as(item_id).await?;
        crate::envelope::require_id("READ_Installation", [item.id.is_some()])?;
        Ok(item)
    }
    /// [`Self::get`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn get_as<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(
        &self,
        item_id: i64,
    ) -> crate::Result<T> {
        let reply = self.session.send(calls::read_installation(item_id)).await?;
        crate::envelope::decode_one(&reply)
    }
}
impl<'s> crate::pagination::PagedList for Installations<'s> {
    type Item = types::InstallationListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<types::InstallationListing>>,
    > + Send {
        Installations::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/installation/{installationID}/server-public-key`: bunq's ServerPublicKey operations. Get one from [`Api::server_public_keys`].
#[derive(Debug, Clone, Copy)]
pub struct ServerPublicKeys<'s> {
    session: &'s crate::Session,
    installation_id: i64,
}
impl<'s> ServerPublicKeys<'s> {
    /// `GET /installation/{installationID}/server-public-key` (`List_all_ServerPublicKey_for_Installation`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<
        crate::pagination::Page<types::InstallationServerPublicKeyListing>,
    > {
        let page = self
            .list_page_as::<types::InstallationServerPublicKeyListing>(page)
            .await?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let reply = self
            .session
            .send(
                calls::list_all_server_public_key_for_installation(self.installation_id)
                    .with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_list(&reply)
    }
}
impl<'s> crate::pagination::PagedList for ServerPublicKeys<'s> {
    type Item = types::InstallationServerPublicKeyListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<
            crate::pagination::Page<types::InstallationServerPublicKeyListing>,
        >,
    > + Send {
        ServerPublicKeys::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/payment-service-provider-credential`: bunq's PaymentServiceProviderCredential operations. Get one from [`Api::payment_service_provider_credentials`].
#[derive(Debug, Clone, Copy)]
pub struct PaymentServiceProviderCredentials<'s> {
    session: &'s crate::Session,
}
impl<'s> PaymentServiceProviderCredentials<'s> {
    /// `POST /payment-service-provider-credential` (`CREATE_PaymentServiceProviderCredential`): answers one object.
    pub async fn create(
        &self,
        body: &types::PaymentServiceProviderCredential,
    ) -> crate::Result<types::PaymentServiceProviderCredentialRead> {
        let item: types::PaymentServiceProviderCredentialRead = self
            .create_as(body)
            .await?;
        crate::envelope::require_id(
            "CREATE_PaymentServiceProviderCredential",
            [item.id.is_some()],
        )?;
        Ok(item)
    }
    /// [`Self::create`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn create_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(&self, body: &types::PaymentServiceProviderCredential) -> crate::Result<T> {
        let reply = self
            .session
            .send(calls::create_payment_service_provider_credential(body)?)
            .await?;
        crate::envelope::decode_one(&reply)
    }
    /// `GET /payment-service-provider-credential/{itemId}` (`READ_PaymentServiceProviderCredential`): answers one object.
    pub async fn get(
        &self,
        item_id: i64,
    ) -> crate::Result<types::PaymentServiceProviderCredentialRead> {
        let item: types::PaymentServiceProviderCredentialRead = self
            .get_as(item_id)
            .await?;
        crate::envelope::require_id(
            "READ_PaymentServiceProviderCredential",
            [item.id.is_some()],
        )?;
        Ok(item)
    }
    /// [`Self::get`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn get_as<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(
        &self,
        item_id: i64,
    ) -> crate::Result<T> {
        let reply = self
            .session
            .send(calls::read_payment_service_provider_credential(item_id))
            .await?;
        crate::envelope::decode_one(&reply)
    }
}
/// `/sandbox-user-company`: bunq's SandboxUserCompany operations. Get one from [`Api::sandbox_user_companies`].
#[derive(Debug, Clone, Copy)]
pub struct SandboxUserCompanies<'s> {
    session: &'s crate::Session,
}
impl<'s> SandboxUserCompanies<'s> {
    /// `POST /sandbox-user-company` (`CREATE_SandboxUserCompany`): answers one object.
    pub async fn create(
        &self,
        body: &types::SandboxUserCompany,
    ) -> crate::Result<types::SandboxUserCompany> {
        let item: types::SandboxUserCompany = self.create_as(body).await?;
        Ok(item)
    }
    /// [`Self::create`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn create_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(&self, body: &types::SandboxUserCompany) -> crate::Result<T> {
        let reply = self.session.send(calls::create_sandbox_user_company(body)?).await?;
        crate::envelope::decode_one(&reply)
    }
}
/// `/sandbox-user-person`: bunq's SandboxUserPerson operations. Get one from [`Api::sandbox_user_persons`].
#[derive(Debug, Clone, Copy)]
pub struct SandboxUserPersons<'s> {
    session: &'s crate::Session,
}
impl<'s> SandboxUserPersons<'s> {
    /// `POST /sandbox-user-person` (`CREATE_SandboxUserPerson`): answers one object.
    pub async fn create(
        &self,
        body: &types::SandboxUserPerson,
    ) -> crate::Result<types::SandboxUserPerson> {
        let item: types::SandboxUserPerson = self.create_as(body).await?;
        Ok(item)
    }
    /// [`Self::create`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn create_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(&self, body: &types::SandboxUserPerson) -> crate::Result<T> {
        let reply = self.session.send(calls::create_sandbox_user_person(body)?).await?;
        crate::envelope::decode_one(&reply)
    }
}
/// `/session-server`: bunq's SessionServer operations. Get one from [`Api::session_servers`].
#[derive(Debug, Clone, Copy)]
pub struct SessionServers<'s> {
    session: &'s crate::Session,
}
impl<'s> SessionServers<'s> {
    /// `POST /session-server` (`CREATE_SessionServer`): answers several items of different kinds.
    pub async fn create(
        &self,
        body: &types::SessionServer,
    ) -> crate::Result<Vec<SessionServerItem>> {
        let reply = self.session.send(calls::create_session_server(body)?).await?;
        crate::envelope::decode_items(&reply)
    }
}
/// `/user`: bunq's User operations. Get one from [`Api::users`].
#[derive(Debug, Clone, Copy)]
pub struct Users<'s> {
    session: &'s crate::Session,
}
impl<'s> Users<'s> {
    /// `GET /user` (`List_all_User`): answers a page of objects of several kinds.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<User>> {
        let page = self.list_page_as::<User>(page).await?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<T: crate::envelope::UnionItem>(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let reply = self
            .session
            .send(calls::list_all_user().with_query(page.query()))
            .await?;
        crate::envelope::decode_union_list(&reply)
    }
    /// `GET /user/{itemId}` (`READ_User`): answers one object of one of several kinds.
    pub async fn get(&self, item_id: i64) -> crate::Result<User> {
        let reply = self.session.send(calls::read_user(item_id)).await?;
        crate::envelope::decode_union(&reply)
    }
}
impl<'s> crate::pagination::PagedList for Users<'s> {
    type Item = User;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<User>>,
    > + Send {
        Users::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/card`: bunq's Card operations. Get one from [`Api::cards`].
#[derive(Debug, Clone, Copy)]
pub struct Cards<'s> {
    session: &'s crate::Session,
}
impl<'s> Cards<'s> {
    /// `GET /user/{userID}/card` (`List_all_Card_for_User`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::CardListing>> {
        let page = self.list_page_as::<types::CardListing>(page).await?;
        crate::envelope::require_id(
            "List_all_Card_for_User",
            page.items.iter().map(|item| item.id.is_some()),
        )?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::list_all_card_for_user(user_id).with_query(page.query()))
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `GET /user/{userID}/card/{itemId}` (`READ_Card_for_User`): answers one object.
    pub async fn get(&self, item_id: i64) -> crate::Result<types::CardRead> {
        let item: types::CardRead = self.get_as(item_id).await?;
        crate::envelope::require_id("READ_Card_for_User", [item.id.is_some()])?;
        Ok(item)
    }
    /// [`Self::get`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn get_as<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(
        &self,
        item_id: i64,
    ) -> crate::Result<T> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::read_card_for_user(user_id, item_id))
            .await?;
        crate::envelope::decode_one(&reply)
    }
    /// `PUT /user/{userID}/card/{itemId}` (`UPDATE_Card_for_User`): answers one object.
    pub async fn update(
        &self,
        item_id: i64,
        body: &types::Card,
    ) -> crate::Result<types::CardRead> {
        let item: types::CardRead = self.update_as(item_id, body).await?;
        crate::envelope::require_id("UPDATE_Card_for_User", [item.id.is_some()])?;
        Ok(item)
    }
    /// [`Self::update`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn update_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(&self, item_id: i64, body: &types::Card) -> crate::Result<T> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::update_card_for_user(user_id, item_id, body)?)
            .await?;
        crate::envelope::decode_one(&reply)
    }
}
impl<'s> crate::pagination::PagedList for Cards<'s> {
    type Item = types::CardListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<types::CardListing>>,
    > + Send {
        Cards::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/monetary-account`: bunq's MonetaryAccount operations. Get one from [`Api::monetary_accounts`].
#[derive(Debug, Clone, Copy)]
pub struct MonetaryAccounts<'s> {
    session: &'s crate::Session,
}
impl<'s> MonetaryAccounts<'s> {
    /// `GET /user/{userID}/monetary-account` (`List_all_MonetaryAccount_for_User`): answers a page of objects of several kinds.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<MonetaryAccount>> {
        let page = self.list_page_as::<MonetaryAccount>(page).await?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<T: crate::envelope::UnionItem>(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::list_all_monetary_account_for_user(user_id)
                    .with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_union_list(&reply)
    }
    /// `GET /user/{userID}/monetary-account/{itemId}` (`READ_MonetaryAccount_for_User`): answers one object of one of several kinds.
    pub async fn get(&self, item_id: i64) -> crate::Result<MonetaryAccount> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::read_monetary_account_for_user(user_id, item_id))
            .await?;
        crate::envelope::decode_union(&reply)
    }
}
impl<'s> crate::pagination::PagedList for MonetaryAccounts<'s> {
    type Item = MonetaryAccount;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<MonetaryAccount>>,
    > + Send {
        MonetaryAccounts::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/monetary-account-bank`: bunq's MonetaryAccountBank operations. Get one from [`Api::monetary_account_banks`].
#[derive(Debug, Clone, Copy)]
pub struct MonetaryAccountBanks<'s> {
    session: &'s crate::Session,
}
impl<'s> MonetaryAccountBanks<'s> {
    /// `GET /user/{userID}/monetary-account-bank` (`List_all_MonetaryAccountBank_for_User`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::MonetaryAccountBankListing>> {
        let page = self.list_page_as::<types::MonetaryAccountBankListing>(page).await?;
        crate::envelope::require_id(
            "List_all_MonetaryAccountBank_for_User",
            page.items.iter().map(|item| item.id.is_some()),
        )?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::list_all_monetary_account_bank_for_user(user_id)
                    .with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `POST /user/{userID}/monetary-account-bank` (`CREATE_MonetaryAccountBank_for_User`): answers the new item's id.
    pub async fn create(&self, body: &types::MonetaryAccountBank) -> crate::Result<i64> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::create_monetary_account_bank_for_user(user_id, body)?)
            .await?;
        crate::envelope::decode_id(&reply)
    }
    /// `GET /user/{userID}/monetary-account-bank/{itemId}` (`READ_MonetaryAccountBank_for_User`): answers one object.
    pub async fn get(
        &self,
        item_id: i64,
    ) -> crate::Result<types::MonetaryAccountBankRead> {
        let item: types::MonetaryAccountBankRead = self.get_as(item_id).await?;
        crate::envelope::require_id(
            "READ_MonetaryAccountBank_for_User",
            [item.id.is_some()],
        )?;
        Ok(item)
    }
    /// [`Self::get`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn get_as<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(
        &self,
        item_id: i64,
    ) -> crate::Result<T> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::read_monetary_account_bank_for_user(user_id, item_id))
            .await?;
        crate::envelope::decode_one(&reply)
    }
    /// `PUT /user/{userID}/monetary-account-bank/{itemId}` (`UPDATE_MonetaryAccountBank_for_User`): answers the new item's id.
    pub async fn update(
        &self,
        item_id: i64,
        body: &types::MonetaryAccountBank,
    ) -> crate::Result<i64> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::update_monetary_account_bank_for_user(user_id, item_id, body)?)
            .await?;
        crate::envelope::decode_id(&reply)
    }
}
impl<'s> crate::pagination::PagedList for MonetaryAccountBanks<'s> {
    type Item = types::MonetaryAccountBankListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<
            crate::pagination::Page<types::MonetaryAccountBankListing>,
        >,
    > + Send {
        MonetaryAccountBanks::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/monetary-account-savings`: bunq's MonetaryAccountSavings operations. Get one from [`Api::monetary_account_savings`].
#[derive(Debug, Clone, Copy)]
pub struct MonetaryAccountSavings<'s> {
    session: &'s crate::Session,
}
impl<'s> MonetaryAccountSavings<'s> {
    /// `GET /user/{userID}/monetary-account-savings` (`List_all_MonetaryAccountSavings_for_User`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::MonetaryAccountSavingsListing>> {
        let page = self
            .list_page_as::<types::MonetaryAccountSavingsListing>(page)
            .await?;
        crate::envelope::require_id(
            "List_all_MonetaryAccountSavings_for_User",
            page.items.iter().map(|item| item.id.is_some()),
        )?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::list_all_monetary_account_savings_for_user(user_id)
                    .with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `POST /user/{userID}/monetary-account-savings` (`CREATE_MonetaryAccountSavings_for_User`): answers the new item's id.
    pub async fn create(
        &self,
        body: &types::MonetaryAccountSavings,
    ) -> crate::Result<i64> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::create_monetary_account_savings_for_user(user_id, body)?)
            .await?;
        crate::envelope::decode_id(&reply)
    }
    /// `GET /user/{userID}/monetary-account-savings/{itemId}` (`READ_MonetaryAccountSavings_for_User`): answers one object.
    pub async fn get(
        &self,
        item_id: i64,
    ) -> crate::Result<types::MonetaryAccountSavingsRead> {
        let item: types::MonetaryAccountSavingsRead = self.get_as(item_id).await?;
        crate::envelope::require_id(
            "READ_MonetaryAccountSavings_for_User",
            [item.id.is_some()],
        )?;
        Ok(item)
    }
    /// [`Self::get`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn get_as<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(
        &self,
        item_id: i64,
    ) -> crate::Result<T> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::read_monetary_account_savings_for_user(user_id, item_id))
            .await?;
        crate::envelope::decode_one(&reply)
    }
    /// `PUT /user/{userID}/monetary-account-savings/{itemId}` (`UPDATE_MonetaryAccountSavings_for_User`): answers the new item's id.
    pub async fn update(
        &self,
        item_id: i64,
        body: &types::MonetaryAccountSavings,
    ) -> crate::Result<i64> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::update_monetary_account_savings_for_user(user_id, item_id, body)?,
            )
            .await?;
        crate::envelope::decode_id(&reply)
    }
}
impl<'s> crate::pagination::PagedList for MonetaryAccountSavings<'s> {
    type Item = types::MonetaryAccountSavingsListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<
            crate::pagination::Page<types::MonetaryAccountSavingsListing>,
        >,
    > + Send {
        MonetaryAccountSavings::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/monetary-account/{monetary-accountID}/draft-payment`: bunq's DraftPayment operations. Get one from [`Api::draft_payments`].
#[derive(Debug, Clone, Copy)]
pub struct DraftPayments<'s> {
    session: &'s crate::Session,
    monetary_account_id: i64,
}
impl<'s> DraftPayments<'s> {
    /// `GET /user/{userID}/monetary-account/{monetary-accountID}/draft-payment` (`List_all_DraftPayment_for_User_MonetaryAccount`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::DraftPaymentListing>> {
        let page = self.list_page_as::<types::DraftPaymentListing>(page).await?;
        crate::envelope::require_id(
            "List_all_DraftPayment_for_User_MonetaryAccount",
            page.items.iter().map(|item| item.id.is_some()),
        )?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::list_all_draft_payment_for_user_monetary_account(
                        user_id,
                        self.monetary_account_id,
                    )
                    .with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `POST /user/{userID}/monetary-account/{monetary-accountID}/draft-payment` (`CREATE_DraftPayment_for_User_MonetaryAccount`): answers the new item's id.
    pub async fn create(&self, body: &types::DraftPayment) -> crate::Result<i64> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::create_draft_payment_for_user_monetary_account(
                    user_id,
                    self.monetary_account_id,
                    body,
                )?,
            )
            .await?;
        crate::envelope::decode_id(&reply)
    }
    /// `GET /user/{userID}/monetary-account/{monetary-accountID}/draft-payment/{itemId}` (`READ_DraftPayment_for_User_MonetaryAccount`): answers one object.
    pub async fn get(&self, item_id: i64) -> crate::Result<types::DraftPaymentRead> {
        let item: types::DraftPaymentRead = self.get_as(item_id).await?;
        crate::envelope::require_id(
            "READ_DraftPayment_for_User_MonetaryAccount",
            [item.id.is_some()],
        )?;
        Ok(item)
    }
    /// [`Self::get`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn get_as<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(
        &self,
        item_id: i64,
    ) -> crate::Result<T> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::read_draft_payment_for_user_monetary_account(
                    user_id,
                    self.monetary_account_id,
                    item_id,
                ),
            )
            .await?;
        crate::envelope::decode_one(&reply)
    }
    /// `PUT /user/{userID}/monetary-account/{monetary-accountID}/draft-payment/{itemId}` (`UPDATE_DraftPayment_for_User_MonetaryAccount`): answers the new item's id.
    pub async fn update(
        &self,
        item_id: i64,
        body: &types::DraftPayment,
    ) -> crate::Result<i64> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::update_draft_payment_for_user_monetary_account(
                    user_id,
                    self.monetary_account_id,
                    item_id,
                    body,
                )?,
            )
            .await?;
        crate::envelope::decode_id(&reply)
    }
}
impl<'s> crate::pagination::PagedList for DraftPayments<'s> {
    type Item = types::DraftPaymentListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<types::DraftPaymentListing>>,
    > + Send {
        DraftPayments::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/monetary-account/{monetary-accountID}/notification-filter-url`: bunq's NotificationFilterUrl operations. Get one from [`Api::monetary_account_notification_filter_urls`].
#[derive(Debug, Clone, Copy)]
pub struct MonetaryAccountNotificationFilterUrls<'s> {
    session: &'s crate::Session,
    monetary_account_id: i64,
}
impl<'s> MonetaryAccountNotificationFilterUrls<'s> {
    /// `GET /user/{userID}/monetary-account/{monetary-accountID}/notification-filter-url` (`List_all_NotificationFilterUrl_for_User_MonetaryAccount`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::NotificationFilterUrl>> {
        let page = self.list_page_as::<types::NotificationFilterUrl>(page).await?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::list_all_notification_filter_url_for_user_monetary_account(
                        user_id,
                        self.monetary_account_id,
                    )
                    .with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `POST /user/{userID}/monetary-account/{monetary-accountID}/notification-filter-url` (`CREATE_NotificationFilterUrl_for_User_MonetaryAccount`): answers no body.
    pub async fn create(
        &self,
        body: &types::NotificationFilterUrlMonetaryAccount,
    ) -> crate::Result<()> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::create_notification_filter_url_for_user_monetary_account(
                    user_id,
                    self.monetary_account_id,
                    body,
                )?,
            )
            .await?;
        let _ = reply;
        Ok(())
    }
}
impl<'s> crate::pagination::PagedList for MonetaryAccountNotificationFilterUrls<'s> {
    type Item = types::NotificationFilterUrl;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<types::NotificationFilterUrl>>,
    > + Send {
        MonetaryAccountNotificationFilterUrls::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/monetary-account/{monetary-accountID}/payment`: bunq's Payment operations. Get one from [`Api::payments`].
#[derive(Debug, Clone, Copy)]
pub struct Payments<'s> {
    session: &'s crate::Session,
    monetary_account_id: i64,
}
impl<'s> Payments<'s> {
    /// `GET /user/{userID}/monetary-account/{monetary-accountID}/payment` (`List_all_Payment_for_User_MonetaryAccount`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::PaymentListing>> {
        let page = self.list_page_as::<types::PaymentListing>(page).await?;
        crate::envelope::require_id(
            "List_all_Payment_for_User_MonetaryAccount",
            page.items.iter().map(|item| item.id.is_some()),
        )?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::list_all_payment_for_user_monetary_account(
                        user_id,
                        self.monetary_account_id,
                    )
                    .with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `POST /user/{userID}/monetary-account/{monetary-accountID}/payment` (`CREATE_Payment_for_User_MonetaryAccount`): answers the new item's id.
    pub async fn create(&self, body: &types::Payment) -> crate::Result<i64> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::create_payment_for_user_monetary_account(
                    user_id,
                    self.monetary_account_id,
                    body,
                )?,
            )
            .await?;
        crate::envelope::decode_id(&reply)
    }
    /// `GET /user/{userID}/monetary-account/{monetary-accountID}/payment/{itemId}` (`READ_Payment_for_User_MonetaryAccount`): answers one object.
    pub async fn get(&self, item_id: i64) -> crate::Result<types::PaymentRead> {
        let item: types::PaymentRead = self.get_as(item_id).await?;
        crate::envelope::require_id(
            "READ_Payment_for_User_MonetaryAccount",
            [item.id.is_some()],
        )?;
        Ok(item)
    }
    /// [`Self::get`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn get_as<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(
        &self,
        item_id: i64,
    ) -> crate::Result<T> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::read_payment_for_user_monetary_account(
                    user_id,
                    self.monetary_account_id,
                    item_id,
                ),
            )
            .await?;
        crate::envelope::decode_one(&reply)
    }
}
impl<'s> crate::pagination::PagedList for Payments<'s> {
    type Item = types::PaymentListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<types::PaymentListing>>,
    > + Send {
        Payments::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/monetary-account/{monetary-accountID}/request-inquiry`: bunq's RequestInquiry operations. Get one from [`Api::request_inquiries`].
#[derive(Debug, Clone, Copy)]
pub struct RequestInquiries<'s> {
    session: &'s crate::Session,
    monetary_account_id: i64,
}
impl<'s> RequestInquiries<'s> {
    /// `GET /user/{userID}/monetary-account/{monetary-accountID}/request-inquiry` (`List_all_RequestInquiry_for_User_MonetaryAccount`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::RequestInquiryListing>> {
        let page = self.list_page_as::<types::RequestInquiryListing>(page).await?;
        crate::envelope::require_id(
            "List_all_RequestInquiry_for_User_MonetaryAccount",
            page.items.iter().map(|item| item.id.is_some()),
        )?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::list_all_request_inquiry_for_user_monetary_account(
                        user_id,
                        self.monetary_account_id,
                    )
                    .with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `POST /user/{userID}/monetary-account/{monetary-accountID}/request-inquiry` (`CREATE_RequestInquiry_for_User_MonetaryAccount`): answers the new item's id.
    pub async fn create(&self, body: &types::RequestInquiry) -> crate::Result<i64> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::create_request_inquiry_for_user_monetary_account(
                    user_id,
                    self.monetary_account_id,
                    body,
                )?,
            )
            .await?;
        crate::envelope::decode_id(&reply)
    }
    /// `GET /user/{userID}/monetary-account/{monetary-accountID}/request-inquiry/{itemId}` (`READ_RequestInquiry_for_User_MonetaryAccount`): answers one object.
    pub async fn get(&self, item_id: i64) -> crate::Result<types::RequestInquiryRead> {
        let item: types::RequestInquiryRead = self.get_as(item_id).await?;
        crate::envelope::require_id(
            "READ_RequestInquiry_for_User_MonetaryAccount",
            [item.id.is_some()],
        )?;
        Ok(item)
    }
    /// [`Self::get`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn get_as<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(
        &self,
        item_id: i64,
    ) -> crate::Result<T> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::read_request_inquiry_for_user_monetary_account(
                    user_id,
                    self.monetary_account_id,
                    item_id,
                ),
            )
            .await?;
        crate::envelope::decode_one(&reply)
    }
    /// `PUT /user/{userID}/monetary-account/{monetary-accountID}/request-inquiry/{itemId}` (`UPDATE_RequestInquiry_for_User_MonetaryAccount`): answers one object.
    pub async fn update(
        &self,
        item_id: i64,
        body: &types::RequestInquiry,
    ) -> crate::Result<types::RequestInquiryUpdate> {
        let item: types::RequestInquiryUpdate = self.update_as(item_id, body).await?;
        crate::envelope::require_id(
            "UPDATE_RequestInquiry_for_User_MonetaryAccount",
            [item.id.is_some()],
        )?;
        Ok(item)
    }
    /// [`Self::update`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn update_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(&self, item_id: i64, body: &types::RequestInquiry) -> crate::Result<T> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::update_request_inquiry_for_user_monetary_account(
                    user_id,
                    self.monetary_account_id,
                    item_id,
                    body,
                )?,
            )
            .await?;
        crate::envelope::decode_one(&reply)
    }
}
impl<'s> crate::pagination::PagedList for RequestInquiries<'s> {
    type Item = types::RequestInquiryListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<types::RequestInquiryListing>>,
    > + Send {
        RequestInquiries::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/monetary-account/{monetary-accountID}/request-response`: bunq's RequestResponse operations. Get one from [`Api::request_responses`].
#[derive(Debug, Clone, Copy)]
pub struct RequestResponses<'s> {
    session: &'s crate::Session,
    monetary_account_id: i64,
}
impl<'s> RequestResponses<'s> {
    /// `GET /user/{userID}/monetary-account/{monetary-accountID}/request-response` (`List_all_RequestResponse_for_User_MonetaryAccount`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::RequestResponseListing>> {
        let page = self.list_page_as::<types::RequestResponseListing>(page).await?;
        crate::envelope::require_id(
            "List_all_RequestResponse_for_User_MonetaryAccount",
            page.items.iter().map(|item| item.id.is_some()),
        )?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::list_all_request_response_for_user_monetary_account(
                        user_id,
                        self.monetary_account_id,
                    )
                    .with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `GET /user/{userID}/monetary-account/{monetary-accountID}/request-response/{itemId}` (`READ_RequestResponse_for_User_MonetaryAccount`): answers one object.
    pub async fn get(&self, item_id: i64) -> crate::Result<types::RequestResponseRead> {
        let item: types::RequestResponseRead = self.get_as(item_id).await?;
        crate::envelope::require_id(
            "READ_RequestResponse_for_User_MonetaryAccount",
            [item.id.is_some()],
        )?;
        Ok(item)
    }
    /// [`Self::get`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn get_as<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(
        &self,
        item_id: i64,
    ) -> crate::Result<T> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::read_request_response_for_user_monetary_account(
                    user_id,
                    self.monetary_account_id,
                    item_id,
                ),
            )
            .await?;
        crate::envelope::decode_one(&reply)
    }
    /// `PUT /user/{userID}/monetary-account/{monetary-accountID}/request-response/{itemId}` (`UPDATE_RequestResponse_for_User_MonetaryAccount`): answers one object.
    pub async fn update(
        &self,
        item_id: i64,
        body: &types::RequestResponse,
    ) -> crate::Result<types::RequestResponseRead> {
        let item: types::RequestResponseRead = self.update_as(item_id, body).await?;
        crate::envelope::require_id(
            "UPDATE_RequestResponse_for_User_MonetaryAccount",
            [item.id.is_some()],
        )?;
        Ok(item)
    }
    /// [`Self::update`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn update_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(&self, item_id: i64, body: &types::RequestResponse) -> crate::Result<T> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::update_request_response_for_user_monetary_account(
                    user_id,
                    self.monetary_account_id,
                    item_id,
                    body,
                )?,
            )
            .await?;
        crate::envelope::decode_one(&reply)
    }
}
impl<'s> crate::pagination::PagedList for RequestResponses<'s> {
    type Item = types::RequestResponseListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<types::RequestResponseListing>>,
    > + Send {
        RequestResponses::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/notification-filter-failure`: bunq's NotificationFilterFailure operations. Get one from [`Api::notification_filter_failures`].
#[derive(Debug, Clone, Copy)]
pub struct NotificationFilterFailures<'s> {
    session: &'s crate::Session,
}
impl<'s> NotificationFilterFailures<'s> {
    /// `GET /user/{userID}/notification-filter-failure` (`List_all_NotificationFilterFailure_for_User`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<
        crate::pagination::Page<types::NotificationFilterFailureListing>,
    > {
        let page = self
            .list_page_as::<types::NotificationFilterFailureListing>(page)
            .await?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::list_all_notification_filter_failure_for_user(user_id)
                    .with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `POST /user/{userID}/notification-filter-failure` (`CREATE_NotificationFilterFailure_for_User`): answers no body.
    pub async fn create(
        &self,
        body: &types::NotificationFilterFailure,
    ) -> crate::Result<()> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::create_notification_filter_failure_for_user(user_id, body)?)
            .await?;
        let _ = reply;
        Ok(())
    }
}
impl<'s> crate::pagination::PagedList for NotificationFilterFailures<'s> {
    type Item = types::NotificationFilterFailureListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<
            crate::pagination::Page<types::NotificationFilterFailureListing>,
        >,
    > + Send {
        NotificationFilterFailures::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/notification-filter-url`: bunq's NotificationFilterUrl operations. Get one from [`Api::notification_filter_urls`].
#[derive(Debug, Clone, Copy)]
pub struct NotificationFilterUrls<'s> {
    session: &'s crate::Session,
}
impl<'s> NotificationFilterUrls<'s> {
    /// `GET /user/{userID}/notification-filter-url` (`List_all_NotificationFilterUrl_for_User`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::NotificationFilterUrl>> {
        let page = self.list_page_as::<types::NotificationFilterUrl>(page).await?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::list_all_notification_filter_url_for_user(user_id)
                    .with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `POST /user/{userID}/notification-filter-url` (`CREATE_NotificationFilterUrl_for_User`): answers no body.
    pub async fn create(
        &self,
        body: &types::NotificationFilterUrl,
    ) -> crate::Result<()> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::create_notification_filter_url_for_user(user_id, body)?)
            .await?;
        let _ = reply;
        Ok(())
    }
}
impl<'s> crate::pagination::PagedList for NotificationFilterUrls<'s> {
    type Item = types::NotificationFilterUrl;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<types::NotificationFilterUrl>>,
    > + Send {
        NotificationFilterUrls::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/oauth-client`: bunq's OauthClient operations. Get one from [`Api::oauth_clients`].
#[derive(Debug, Clone, Copy)]
pub struct OauthClients<'s> {
    session: &'s crate::Session,
}
impl<'s> OauthClients<'s> {
    /// `GET /user/{userID}/oauth-client` (`List_all_OauthClient_for_User`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::OauthClientListing>> {
        let page = self.list_page_as::<types::OauthClientListing>(page).await?;
        crate::envelope::require_id(
            "List_all_OauthClient_for_User",
            page.items.iter().map(|item| item.id.is_some()),
        )?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::list_all_oauth_client_for_user(user_id).with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `POST /user/{userID}/oauth-client` (`CREATE_OauthClient_for_User`): answers the new item's id.
    pub async fn create(&self, body: &types::OauthClient) -> crate::Result<i64> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::create_oauth_client_for_user(user_id, body)?)
            .await?;
        crate::envelope::decode_id(&reply)
    }
    /// `GET /user/{userID}/oauth-client/{itemId}` (`READ_OauthClient_for_User`): answers one object.
    pub async fn get(&self, item_id: i64) -> crate::Result<types::OauthClientRead> {
        let item: types::OauthClientRead = self.get_as(item_id).await?;
        crate::envelope::require_id("READ_OauthClient_for_User", [item.id.is_some()])?;
        Ok(item)
    }
    /// [`Self::get`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn get_as<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(
        &self,
        item_id: i64,
    ) -> crate::Result<T> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::read_oauth_client_for_user(user_id, item_id))
            .await?;
        crate::envelope::decode_one(&reply)
    }
    /// `PUT /user/{userID}/oauth-client/{itemId}` (`UPDATE_OauthClient_for_User`): answers the new item's id.
    pub async fn update(
        &self,
        item_id: i64,
        body: &types::OauthClient,
    ) -> crate::Result<i64> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(calls::update_oauth_client_for_user(user_id, item_id, body)?)
            .await?;
        crate::envelope::decode_id(&reply)
    }
}
impl<'s> crate::pagination::PagedList for OauthClients<'s> {
    type Item = types::OauthClientListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<types::OauthClientListing>>,
    > + Send {
        OauthClients::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
/// `/user/{userID}/oauth-client/{oauth-clientID}/callback-url`: bunq's CallbackUrl operations. Get one from [`Api::callback_urls`].
#[derive(Debug, Clone, Copy)]
pub struct CallbackUrls<'s> {
    session: &'s crate::Session,
    oauth_client_id: i64,
}
impl<'s> CallbackUrls<'s> {
    /// `GET /user/{userID}/oauth-client/{oauth-clientID}/callback-url` (`List_all_CallbackUrl_for_User_OauthClient`): answers a page of objects.
    pub async fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<types::OauthCallbackUrlListing>> {
        let page = self.list_page_as::<types::OauthCallbackUrlListing>(page).await?;
        Ok(page)
    }
    /// [`Self::list_page`], each item decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn list_page_as<
        T: ::serde::de::DeserializeOwned + crate::wire::Decode,
    >(
        &self,
        page: crate::pagination::PageRequest,
    ) -> crate::Result<crate::pagination::Page<T>> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::list_all_callback_url_for_user_oauth_client(
                        user_id,
                        self.oauth_client_id,
                    )
                    .with_query(page.query()),
            )
            .await?;
        crate::envelope::decode_list(&reply)
    }
    /// `POST /user/{userID}/oauth-client/{oauth-clientID}/callback-url` (`CREATE_CallbackUrl_for_User_OauthClient`): answers the new item's id.
    pub async fn create(&self, body: &types::OauthCallbackUrl) -> crate::Result<i64> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::create_callback_url_for_user_oauth_client(
                    user_id,
                    self.oauth_client_id,
                    body,
                )?,
            )
            .await?;
        crate::envelope::decode_id(&reply)
    }
    /// `GET /user/{userID}/oauth-client/{oauth-clientID}/callback-url/{itemId}` (`READ_CallbackUrl_for_User_OauthClient`): answers one object.
    pub async fn get(&self, item_id: i64) -> crate::Result<types::OauthCallbackUrlRead> {
        let item: types::OauthCallbackUrlRead = self.get_as(item_id).await?;
        Ok(item)
    }
    /// [`Self::get`], decoded as `T`.
    #[allow(dead_code)]
    pub(crate) async fn get_as<T: ::serde::de::DeserializeOwned + crate::wire::Decode>(
        &self,
        item_id: i64,
    ) -> crate::Result<T> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::read_callback_url_for_user_oauth_client(
                    user_id,
                    self.oauth_client_id,
                    item_id,
                ),
            )
            .await?;
        crate::envelope::decode_one(&reply)
    }
    /// `PUT /user/{userID}/oauth-client/{oauth-clientID}/callback-url/{itemId}` (`UPDATE_CallbackUrl_for_User_OauthClient`): answers the new item's id.
    pub async fn update(
        &self,
        item_id: i64,
        body: &types::OauthCallbackUrl,
    ) -> crate::Result<i64> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::update_callback_url_for_user_oauth_client(
                    user_id,
                    self.oauth_client_id,
                    item_id,
                    body,
                )?,
            )
            .await?;
        crate::envelope::decode_id(&reply)
    }
    /// `DELETE /user/{userID}/oauth-client/{oauth-clientID}/callback-url/{itemId}` (`DELETE_CallbackUrl_for_User_OauthClient`): answers no body.
    pub async fn delete(&self, item_id: i64) -> crate::Result<()> {
        let user_id = self.session.user_id().path()?;
        let reply = self
            .session
            .send(
                calls::delete_callback_url_for_user_oauth_client(
                    user_id,
                    self.oauth_client_id,
                    item_id,
                ),
            )
            .await?;
        let _ = reply;
        Ok(())
    }
}
impl<'s> crate::pagination::PagedList for CallbackUrls<'s> {
    type Item = types::OauthCallbackUrlListing;
    fn list_page(
        &self,
        page: crate::pagination::PageRequest,
    ) -> impl ::std::future::Future<
        Output = crate::Result<crate::pagination::Page<types::OauthCallbackUrlListing>>,
    > + Send {
        CallbackUrls::list_page(self, page)
    }
    fn max_pages(&self) -> u32 {
        self.session.client().inner.max_list_pages
    }
}
impl<'s> Api<'s> {
    /// `/device-server`: see [`DeviceServers`].
    pub fn device_servers(&self) -> DeviceServers<'s> {
        DeviceServers {
            session: self.session,
        }
    }
    /// `/installation`: see [`Installations`].
    pub fn installations(&self) -> Installations<'s> {
        Installations {
            session: self.session,
        }
    }
    /// `/installation/{installationID}/server-public-key`: see [`ServerPublicKeys`].
    pub fn server_public_keys(&self, installation_id: i64) -> ServerPublicKeys<'s> {
        ServerPublicKeys {
            session: self.session,
            installation_id,
        }
    }
    /// `/payment-service-provider-credential`: see [`PaymentServiceProviderCredentials`].
    pub fn payment_service_provider_credentials(
        &self,
    ) -> PaymentServiceProviderCredentials<'s> {
        PaymentServiceProviderCredentials {
            session: self.session,
        }
    }
    /// `/sandbox-user-company`: see [`SandboxUserCompanies`].
    pub fn sandbox_user_companies(&self) -> SandboxUserCompanies<'s> {
        SandboxUserCompanies {
            session: self.session,
        }
    }
    /// `/sandbox-user-person`: see [`SandboxUserPersons`].
    pub fn sandbox_user_persons(&self) -> SandboxUserPersons<'s> {
        SandboxUserPersons {
            session: self.session,
        }
    }
    /// `/session-server`: see [`SessionServers`].
    pub fn session_servers(&self) -> SessionServers<'s> {
        SessionServers {
            session: self.session,
        }
    }
    /// `/user`: see [`Users`].
    pub fn users(&self) -> Users<'s> {
        Users { session: self.session }
    }
    /// `/user/{userID}/card`: see [`Cards`].
    pub fn cards(&self) -> Cards<'s> {
        Cards { session: self.session }
    }
    /// `/user/{userID}/monetary-account`: see [`MonetaryAccounts`].
    pub fn monetary_accounts(&self) -> MonetaryAccounts<'s> {
        MonetaryAccounts {
            session: self.session,
        }
    }
    /// `/user/{userID}/monetary-account-bank`: see [`MonetaryAccountBanks`].
    pub fn monetary_account_banks(&self) -> MonetaryAccountBanks<'s> {
        MonetaryAccountBanks {
            session: self.session,
        }
    }
    /// `/user/{userID}/monetary-account-savings`: see [`MonetaryAccountSavings`].
    pub fn monetary_account_savings(&self) -> MonetaryAccountSavings<'s> {
        MonetaryAccountSavings {
            session: self.session,
        }
    }
    /// `/user/{userID}/monetary-account/{monetary-accountID}/draft-payment`: see [`DraftPayments`].
    pub fn draft_payments(&self, monetary_account_id: i64) -> DraftPayments<'s> {
        DraftPayments {
            session: self.session,
            monetary_account_id,
        }
    }
    /// `/user/{userID}/monetary-account/{monetary-accountID}/notification-filter-url`: see [`MonetaryAccountNotificationFilterUrls`].
    pub fn monetary_account_notification_filter_urls(
        &self,
        monetary_account_id: i64,
    ) -> MonetaryAccountNotificationFilterUrls<'s> {
        MonetaryAccountNotificationFilterUrls {
            session: self.session,
            monetary_account_id,
        }
    }
    /// `/user/{userID}/monetary-account/{monetary-accountID}/payment`: see [`Payments`].
    pub fn payments(&self, monetary_account_id: i64) -> Payments<'s> {
        Payments {
            session: self.session,
            monetary_account_id,
        }
    }
    /// `/user/{userID}/monetary-account/{monetary-accountID}/request-inquiry`: see [`RequestInquiries`].
    pub fn request_inquiries(&self, monetary_account_id: i64) -> RequestInquiries<'s> {
        RequestInquiries {
            session: self.session,
            monetary_account_id,
        }
    }
    /// `/user/{userID}/monetary-account/{monetary-accountID}/request-response`: see [`RequestResponses`].
    pub fn request_responses(&self, monetary_account_id: i64) -> RequestResponses<'s> {
        RequestResponses {
            session: self.session,
            monetary_account_id,
        }
    }
    /// `/user/{userID}/notification-filter-failure`: see [`NotificationFilterFailures`].
    pub fn notification_filter_failures(&self) -> NotificationFilterFailures<'s> {
        NotificationFilterFailures {
            session: self.session,
        }
    }
    /// `/user/{userID}/notification-filter-url`: see [`NotificationFilterUrls`].
    pub fn notification_filter_urls(&self) -> NotificationFilterUrls<'s> {
        NotificationFilterUrls {
            session: self.session,
        }
    }
    /// `/user/{userID}/oauth-client`: see [`OauthClients`].
    pub fn oauth_clients(&self) -> OauthClients<'s> {
        OauthClients {
            session: self.session,
        }
    }
    /// `/user/{userID}/oauth-client/{oauth-clientID}/callback-url`: see [`CallbackUrls`].
    pub fn callback_urls(&self, oauth_client_id: i64) -> CallbackUrls<'s> {
        CallbackUrls {
            session: self.session,
            oauth_client_id,
        }
    }
}
/** One of the kinds bunq answers here, by its wrapper key; a kind this
 build does not know is kept as [`InstallationItem::Unknown`].*/
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum InstallationItem {
    /// Under the wrapper key `Id`.
    Id(Box<types::BunqId>),
    /// Under the wrapper key `ServerPublicKey`.
    ServerPublicKey(Box<types::InstallationServerPublicKey>),
    /// Under the wrapper key `Token`.
    Token(Box<types::InstallationToken>),
    /// A wrapper key this build does not know, with its JSON.
    Unknown {
        /// The wrapper key.
        key: String,
        /// The object under it.
        value: ::serde_json::Value,
    },
}
impl crate::wire::Decode for InstallationItem {
    fn keep_wire(&mut self, wire: crate::wire::WireJson) {
        match self {
            Self::Id(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::ServerPublicKey(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::Token(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::Unknown { .. } => {}
        }
    }
    fn unknown_fields(&self) -> ::std::vec::Vec<::std::string::String> {
        match self {
            Self::Id(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::ServerPublicKey(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::Token(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::Unknown { key, .. } => ::std::vec![::std::format!("/{key}")],
        }
    }
}
impl crate::envelope::UnionItem for InstallationItem {
    fn from_item(
        key: &str,
        raw: &::serde_json::value::RawValue,
    ) -> ::std::result::Result<Self, ::serde_json::Error> {
        match key {
            "Id" => ::serde_json::from_str(raw.get()).map(Self::Id),
            "ServerPublicKey" => {
                ::serde_json::from_str(raw.get()).map(Self::ServerPublicKey)
            }
            "Token" => ::serde_json::from_str(raw.get()).map(Self::Token),
            _ => {
                ::serde_json::from_str(raw.get())
                    .map(|value| Self::Unknown {
                        key: key.to_owned(),
                        value,
                    })
            }
        }
    }
}
/** One of the kinds bunq answers here, by its wrapper key; a kind this
 build does not know is kept as [`MonetaryAccount::Unknown`].*/
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MonetaryAccount {
    /// Under the wrapper key `MonetaryAccountBank`.
    MonetaryAccountBank(Box<types::MonetaryAccountBank>),
    /// Under the wrapper key `MonetaryAccountCard`.
    MonetaryAccountCard(Box<types::MonetaryAccountCard>),
    /// Under the wrapper key `MonetaryAccountExternal`.
    MonetaryAccountExternal(Box<types::MonetaryAccountExternal>),
    /// Under the wrapper key `MonetaryAccountExternalSavings`.
    MonetaryAccountExternalSavings(Box<types::MonetaryAccountExternalSavings>),
    /// Under the wrapper key `MonetaryAccountInvestment`.
    MonetaryAccountInvestment(Box<types::MonetaryAccountInvestment>),
    /// Under the wrapper key `MonetaryAccountJoint`.
    MonetaryAccountJoint(Box<types::MonetaryAccountJoint>),
    /// Under the wrapper key `MonetaryAccountLight`.
    MonetaryAccountLight(Box<types::MonetaryAccountLight>),
    /// Under the wrapper key `MonetaryAccountSavings`.
    MonetaryAccountSavings(Box<types::MonetaryAccountSavings>),
    /// Under the wrapper key `MonetaryAccountSwitchService`.
    MonetaryAccountSwitchService(Box<types::MonetaryAccountSwitchService>),
    /// A wrapper key this build does not know, with its JSON.
    Unknown {
        /// The wrapper key.
        key: String,
        /// The object under it.
        value: ::serde_json::Value,
    },
}
impl crate::wire::Decode for MonetaryAccount {
    fn keep_wire(&mut self, wire: crate::wire::WireJson) {
        match self {
            Self::MonetaryAccountBank(v) => {
                crate::wire::Decode::keep_wire(&mut **v, wire)
            }
            Self::MonetaryAccountCard(v) => {
                crate::wire::Decode::keep_wire(&mut **v, wire)
            }
            Self::MonetaryAccountExternal(v) => {
                crate::wire::Decode::keep_wire(&mut **v, wire)
            }
            Self::MonetaryAccountExternalSavings(v) => {
                crate::wire::Decode::keep_wire(&mut **v, wire)
            }
            Self::MonetaryAccountInvestment(v) => {
                crate::wire::Decode::keep_wire(&mut **v, wire)
            }
            Self::MonetaryAccountJoint(v) => {
                crate::wire::Decode::keep_wire(&mut **v, wire)
            }
            Self::MonetaryAccountLight(v) => {
                crate::wire::Decode::keep_wire(&mut **v, wire)
            }
            Self::MonetaryAccountSavings(v) => {
                crate::wire::Decode::keep_wire(&mut **v, wire)
            }
            Self::MonetaryAccountSwitchService(v) => {
                crate::wire::Decode::keep_wire(&mut **v, wire)
            }
            Self::Unknown { .. } => {}
        }
    }
    fn unknown_fields(&self) -> ::std::vec::Vec<::std::string::String> {
        match self {
            Self::MonetaryAccountBank(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::MonetaryAccountCard(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::MonetaryAccountExternal(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::MonetaryAccountExternalSavings(v) => {
                crate::wire::Decode::unknown_fields(&**v)
            }
            Self::MonetaryAccountInvestment(v) => {
                crate::wire::Decode::unknown_fields(&**v)
            }
            Self::MonetaryAccountJoint(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::MonetaryAccountLight(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::MonetaryAccountSavings(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::MonetaryAccountSwitchService(v) => {
                crate::wire::Decode::unknown_fields(&**v)
            }
            Self::Unknown { key, .. } => ::std::vec![::std::format!("/{key}")],
        }
    }
}
impl crate::envelope::UnionItem for MonetaryAccount {
    fn from_item(
        key: &str,
        raw: &::serde_json::value::RawValue,
    ) -> ::std::result::Result<Self, ::serde_json::Error> {
        match key {
            "MonetaryAccountBank" => {
                ::serde_json::from_str(raw.get()).map(Self::MonetaryAccountBank)
            }
            "MonetaryAccountCard" => {
                ::serde_json::from_str(raw.get()).map(Self::MonetaryAccountCard)
            }
            "MonetaryAccountExternal" => {
                ::serde_json::from_str(raw.get()).map(Self::MonetaryAccountExternal)
            }
            "MonetaryAccountExternalSavings" => {
                ::serde_json::from_str(raw.get())
                    .map(Self::MonetaryAccountExternalSavings)
            }
            "MonetaryAccountInvestment" => {
                ::serde_json::from_str(raw.get()).map(Self::MonetaryAccountInvestment)
            }
            "MonetaryAccountJoint" => {
                ::serde_json::from_str(raw.get()).map(Self::MonetaryAccountJoint)
            }
            "MonetaryAccountLight" => {
                ::serde_json::from_str(raw.get()).map(Self::MonetaryAccountLight)
            }
            "MonetaryAccountSavings" => {
                ::serde_json::from_str(raw.get()).map(Self::MonetaryAccountSavings)
            }
            "MonetaryAccountSwitchService" => {
                ::serde_json::from_str(raw.get()).map(Self::MonetaryAccountSwitchService)
            }
            _ => {
                ::serde_json::from_str(raw.get())
                    .map(|value| Self::Unknown {
                        key: key.to_owned(),
                        value,
                    })
            }
        }
    }
}
/** One of the kinds bunq answers here, by its wrapper key; a kind this
 build does not know is kept as [`SessionServerItem::Unknown`].*/
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SessionServerItem {
    /// Under the wrapper key `Id`.
    Id(Box<types::BunqId>),
    /// Under the wrapper key `Token`.
    Token(Box<types::SessionServerToken>),
    /// Under the wrapper key `UserApiKey`.
    UserApiKey(Box<types::UserApiKey>),
    /// Under the wrapper key `UserCompany`.
    UserCompany(Box<types::UserCompany>),
    /// Under the wrapper key `UserPaymentServiceProvider`.
    UserPaymentServiceProvider(Box<types::UserPaymentServiceProvider>),
    /// Under the wrapper key `UserPerson`.
    UserPerson(Box<types::UserPerson>),
    /// A wrapper key this build does not know, with its JSON.
    Unknown {
        /// The wrapper key.
        key: String,
        /// The object under it.
        value: ::serde_json::Value,
    },
}
impl crate::wire::Decode for SessionServerItem {
    fn keep_wire(&mut self, wire: crate::wire::WireJson) {
        match self {
            Self::Id(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::Token(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::UserApiKey(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::UserCompany(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::UserPaymentServiceProvider(v) => {
                crate::wire::Decode::keep_wire(&mut **v, wire)
            }
            Self::UserPerson(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::Unknown { .. } => {}
        }
    }
    fn unknown_fields(&self) -> ::std::vec::Vec<::std::string::String> {
        match self {
            Self::Id(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::Token(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::UserApiKey(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::UserCompany(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::UserPaymentServiceProvider(v) => {
                crate::wire::Decode::unknown_fields(&**v)
            }
            Self::UserPerson(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::Unknown { key, .. } => ::std::vec![::std::format!("/{key}")],
        }
    }
}
impl crate::envelope::UnionItem for SessionServerItem {
    fn from_item(
        key: &str,
        raw: &::serde_json::value::RawValue,
    ) -> ::std::result::Result<Self, ::serde_json::Error> {
        match key {
            "Id" => ::serde_json::from_str(raw.get()).map(Self::Id),
            "Token" => ::serde_json::from_str(raw.get()).map(Self::Token),
            "UserApiKey" => ::serde_json::from_str(raw.get()).map(Self::UserApiKey),
            "UserCompany" => ::serde_json::from_str(raw.get()).map(Self::UserCompany),
            "UserPaymentServiceProvider" => {
                ::serde_json::from_str(raw.get()).map(Self::UserPaymentServiceProvider)
            }
            "UserPerson" => ::serde_json::from_str(raw.get()).map(Self::UserPerson),
            _ => {
                ::serde_json::from_str(raw.get())
                    .map(|value| Self::Unknown {
                        key: key.to_owned(),
                        value,
                    })
            }
        }
    }
}
/** One of the kinds bunq answers here, by its wrapper key; a kind this
 build does not know is kept as [`User::Unknown`].*/
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum User {
    /// Under the wrapper key `UserApiKey`.
    UserApiKey(Box<types::UserApiKey>),
    /// Under the wrapper key `UserCompany`.
    UserCompany(Box<types::UserCompany>),
    /// Under the wrapper key `UserPaymentServiceProvider`.
    UserPaymentServiceProvider(Box<types::UserPaymentServiceProvider>),
    /// Under the wrapper key `UserPerson`.
    UserPerson(Box<types::UserPerson>),
    /// A wrapper key this build does not know, with its JSON.
    Unknown {
        /// The wrapper key.
        key: String,
        /// The object under it.
        value: ::serde_json::Value,
    },
}
impl crate::wire::Decode for User {
    fn keep_wire(&mut self, wire: crate::wire::WireJson) {
        match self {
            Self::UserApiKey(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::UserCompany(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::UserPaymentServiceProvider(v) => {
                crate::wire::Decode::keep_wire(&mut **v, wire)
            }
            Self::UserPerson(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::Unknown { .. } => {}
        }
    }
    fn unknown_fields(&self) -> ::std::vec::Vec<::std::string::String> {
        match self {
            Self::UserApiKey(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::UserCompany(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::UserPaymentServiceProvider(v) => {
                crate::wire::Decode::unknown_fields(&**v)
            }
            Self::UserPerson(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::Unknown { key, .. } => ::std::vec![::std::format!("/{key}")],
        }
    }
}
impl crate::envelope::UnionItem for User {
    fn from_item(
        key: &str,
        raw: &::serde_json::value::RawValue,
    ) -> ::std::result::Result<Self, ::serde_json::Error> {
        match key {
            "UserApiKey" => ::serde_json::from_str(raw.get()).map(Self::UserApiKey),
            "UserCompany" => ::serde_json::from_str(raw.get()).map(Self::UserCompany),
            "UserPaymentServiceProvider" => {
                ::serde_json::from_str(raw.get()).map(Self::UserPaymentServiceProvider)
            }
            "UserPerson" => ::serde_json::from_str(raw.get()).map(Self::UserPerson),
            _ => {
                ::serde_json::from_str(raw.get())
                    .map(|value| Self::Unknown {
                        key: key.to_owned(),
                        value,
                    })
            }
        }
    }
}
/// Every operation this build generates: method, path, operationId,
/// shape, how to call it, and what it returns.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        method: "GET",
        path: "/device-server",
        operation_id: "List_all_DeviceServer",
        shape: Shape::List,
        call: "device_servers().list_page(page)",
        returns: "crate::pagination::Page<types::DeviceServerListing>",
    },
    Operation {
        method: "POST",
        path: "/device-server",
        operation_id: "CREATE_DeviceServer",
        shape: Shape::Id,
        call: "device_servers().create(body)",
        returns: "i64",
    },
    Operation {
        method: "GET",
        path: "/device-server/{itemId}",
        operation_id: "READ_DeviceServer",
        shape: Shape::One,
        call: "device_servers().get(item_id)",
        returns: "types::DeviceServerRead",
    },
    Operation {
        method: "GET",
        path: "/installation",
        operation_id: "List_all_Installation",
        shape: Shape::List,
        call: "installations().list_page(page)",
        returns: "crate::pagination::Page<types::InstallationListing>",
    },
    Operation {
        method: "POST",
        path: "/installation",
        operation_id: "CREATE_Installation",
        shape: Shape::MultiItem,
        call: "installations().create(body)",
        returns: "Vec<InstallationItem>",
    },
    Operation {
        method: "GET",
        path: "/installation/{itemId}",
        operation_id: "READ_Installation",
        shape: Shape::One,
        call: "installations().get(item_id)",
        returns: "types::InstallationRead",
    },
    Operation {
        method: "GET",
        path: "/installation/{installationID}/server-public-key",
        operation_id: "List_all_ServerPublicKey_for_Installation",
        shape: Shape::List,
        call: "server_public_keys(installation_id).list_page(page)",
        returns: "crate::pagination::Page<types::InstallationServerPublicKeyListing>",
    },
    Operation {
        method: "POST",
        path: "/payment-service-provider-credential",
        operation_id: "CREATE_PaymentServiceProviderCredential",
        shape: Shape::One,
        call: "payment_service_provider_credentials().create(body)",
        returns: "types::PaymentServiceProviderCredentialRead",
    },
    Operation {
        method: "GET",
        path: "/payment-service-provider-credential/{itemId}",
        operation_id: "READ_PaymentServiceProviderCredential",
        shape: Shape::One,
        call: "payment_service_provider_credentials().get(item_id)",
        returns: "types::PaymentServiceProviderCredentialRead",
    },
    Operation {
        method: "POST",
        path: "/sandbox-user-company",
        operation_id: "CREATE_SandboxUserCompany",
        shape: Shape::One,
        call: "sandbox_user_companies().create(body)",
        returns: "types::SandboxUserCompany",
    },
    Operation {
        method: "POST",
        path: "/sandbox-user-person",
        operation_id: "CREATE_SandboxUserPerson",
        shape: Shape::One,
        call: "sandbox_user_persons().create(body)",
        returns: "types::SandboxUserPerson",
    },
    Operation {
        method: "POST",
        path: "/session-server",
        operation_id: "CREATE_SessionServer",
        shape: Shape::MultiItem,
        call: "session_servers().create(body)",
        returns: "Vec<SessionServerItem>",
    },
    Operation {
        method: "GET",
        path: "/user",
        operation_id: "List_all_User",
        shape: Shape::ListOfUnion,
        call: "users().list_page(page)",
        returns: "crate::pagination::Page<User>",
    },
    Operation {
        method: "GET",
        path: "/user/{itemId}",
        operation_id: "READ_User",
        shape: Shape::Union,
        call: "users().get(item_id)",
        returns: "User",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/card",
        operation_id: "List_all_Card_for_User",
        shape: Shape::List,
        call: "cards().list_page(page)",
        returns: "crate::pagination::Page<types::CardListing>",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/card/{itemId}",
        operation_id: "READ_Card_for_User",
        shape: Shape::One,
        call: "cards().get(item_id)",
        returns: "types::CardRead",
    },
    Operation {
        method: "PUT",
        path: "/user/{userID}/card/{itemId}",
        operation_id: "UPDATE_Card_for_User",
        shape: Shape::One,
        call: "cards().update(item_id, body)",
        returns: "types::CardRead",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account",
        operation_id: "List_all_MonetaryAccount_for_User",
        shape: Shape::ListOfUnion,
        call: "monetary_accounts().list_page(page)",
        returns: "crate::pagination::Page<MonetaryAccount>",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account/{itemId}",
        operation_id: "READ_MonetaryAccount_for_User",
        shape: Shape::Union,
        call: "monetary_accounts().get(item_id)",
        returns: "MonetaryAccount",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account-bank",
        operation_id: "List_all_MonetaryAccountBank_for_User",
        shape: Shape::List,
        call: "monetary_account_banks().list_page(page)",
        returns: "crate::pagination::Page<types::MonetaryAccountBankListing>",
    },
    Operation {
        method: "POST",
        path: "/user/{userID}/monetary-account-bank",
        operation_id: "CREATE_MonetaryAccountBank_for_User",
        shape: Shape::Id,
        call: "monetary_account_banks().create(body)",
        returns: "i64",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account-bank/{itemId}",
        operation_id: "READ_MonetaryAccountBank_for_User",
        shape: Shape::One,
        call: "monetary_account_banks().get(item_id)",
        returns: "types::MonetaryAccountBankRead",
    },
    Operation {
        method: "PUT",
        path: "/user/{userID}/monetary-account-bank/{itemId}",
        operation_id: "UPDATE_MonetaryAccountBank_for_User",
        shape: Shape::Id,
        call: "monetary_account_banks().update(item_id, body)",
        returns: "i64",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account-savings",
        operation_id: "List_all_MonetaryAccountSavings_for_User",
        shape: Shape::List,
        call: "monetary_account_savings().list_page(page)",
        returns: "crate::pagination::Page<types::MonetaryAccountSavingsListing>",
    },
    Operation {
        method: "POST",
        path: "/user/{userID}/monetary-account-savings",
        operation_id: "CREATE_MonetaryAccountSavings_for_User",
        shape: Shape::Id,
        call: "monetary_account_savings().create(body)",
        returns: "i64",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account-savings/{itemId}",
        operation_id: "READ_MonetaryAccountSavings_for_User",
        shape: Shape::One,
        call: "monetary_account_savings().get(item_id)",
        returns: "types::MonetaryAccountSavingsRead",
    },
    Operation {
        method: "PUT",
        path: "/user/{userID}/monetary-account-savings/{itemId}",
        operation_id: "UPDATE_MonetaryAccountSavings_for_User",
        shape: Shape::Id,
        call: "monetary_account_savings().update(item_id, body)",
        returns: "i64",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/draft-payment",
        operation_id: "List_all_DraftPayment_for_User_MonetaryAccount",
        shape: Shape::List,
        call: "draft_payments(monetary_account_id).list_page(page)",
        returns: "crate::pagination::Page<types::DraftPaymentListing>",
    },
    Operation {
        method: "POST",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/draft-payment",
        operation_id: "CREATE_DraftPayment_for_User_MonetaryAccount",
        shape: Shape::Id,
        call: "draft_payments(monetary_account_id).create(body)",
        returns: "i64",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/draft-payment/{itemId}",
        operation_id: "READ_DraftPayment_for_User_MonetaryAccount",
        shape: Shape::One,
        call: "draft_payments(monetary_account_id).get(item_id)",
        returns: "types::DraftPaymentRead",
    },
    Operation {
        method: "PUT",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/draft-payment/{itemId}",
        operation_id: "UPDATE_DraftPayment_for_User_MonetaryAccount",
        shape: Shape::Id,
        call: "draft_payments(monetary_account_id).update(item_id, body)",
        returns: "i64",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/notification-filter-url",
        operation_id: "List_all_NotificationFilterUrl_for_User_MonetaryAccount",
        shape: Shape::List,
        call: "monetary_account_notification_filter_urls(monetary_account_id).list_page(page)",
        returns: "crate::pagination::Page<types::NotificationFilterUrl>",
    },
    Operation {
        method: "POST",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/notification-filter-url",
        operation_id: "CREATE_NotificationFilterUrl_for_User_MonetaryAccount",
        shape: Shape::Empty,
        call: "monetary_account_notification_filter_urls(monetary_account_id).create(body)",
        returns: "()",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/payment",
        operation_id: "List_all_Payment_for_User_MonetaryAccount",
        shape: Shape::List,
        call: "payments(monetary_account_id).list_page(page)",
        returns: "crate::pagination::Page<types::PaymentListing>",
    },
    Operation {
        method: "POST",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/payment",
        operation_id: "CREATE_Payment_for_User_MonetaryAccount",
        shape: Shape::Id,
        call: "payments(monetary_account_id).create(body)",
        returns: "i64",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/payment/{itemId}",
        operation_id: "READ_Payment_for_User_MonetaryAccount",
        shape: Shape::One,
        call: "payments(monetary_account_id).get(item_id)",
        returns: "types::PaymentRead",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/request-inquiry",
        operation_id: "List_all_RequestInquiry_for_User_MonetaryAccount",
        shape: Shape::List,
        call: "request_inquiries(monetary_account_id).list_page(page)",
        returns: "crate::pagination::Page<types::RequestInquiryListing>",
    },
    Operation {
        method: "POST",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/request-inquiry",
        operation_id: "CREATE_RequestInquiry_for_User_MonetaryAccount",
        shape: Shape::Id,
        call: "request_inquiries(monetary_account_id).create(body)",
        returns: "i64",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/request-inquiry/{itemId}",
        operation_id: "READ_RequestInquiry_for_User_MonetaryAccount",
        shape: Shape::One,
        call: "request_inquiries(monetary_account_id).get(item_id)",
        returns: "types::RequestInquiryRead",
    },
    Operation {
        method: "PUT",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/request-inquiry/{itemId}",
        operation_id: "UPDATE_RequestInquiry_for_User_MonetaryAccount",
        shape: Shape::One,
        call: "request_inquiries(monetary_account_id).update(item_id, body)",
        returns: "types::RequestInquiryUpdate",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/request-response",
        operation_id: "List_all_RequestResponse_for_User_MonetaryAccount",
        shape: Shape::List,
        call: "request_responses(monetary_account_id).list_page(page)",
        returns: "crate::pagination::Page<types::RequestResponseListing>",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/request-response/{itemId}",
        operation_id: "READ_RequestResponse_for_User_MonetaryAccount",
        shape: Shape::One,
        call: "request_responses(monetary_account_id).get(item_id)",
        returns: "types::RequestResponseRead",
    },
    Operation {
        method: "PUT",
        path: "/user/{userID}/monetary-account/{monetary-accountID}/request-response/{itemId}",
        operation_id: "UPDATE_RequestResponse_for_User_MonetaryAccount",
        shape: Shape::One,
        call: "request_responses(monetary_account_id).update(item_id, body)",
        returns: "types::RequestResponseRead",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/notification-filter-failure",
        operation_id: "List_all_NotificationFilterFailure_for_User",
        shape: Shape::List,
        call: "notification_filter_failures().list_page(page)",
        returns: "crate::pagination::Page<types::NotificationFilterFailureListing>",
    },
    Operation {
        method: "POST",
        path: "/user/{userID}/notification-filter-failure",
        operation_id: "CREATE_NotificationFilterFailure_for_User",
        shape: Shape::Empty,
        call: "notification_filter_failures().create(body)",
        returns: "()",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/notification-filter-url",
        operation_id: "List_all_NotificationFilterUrl_for_User",
        shape: Shape::List,
        call: "notification_filter_urls().list_page(page)",
        returns: "crate::pagination::Page<types::NotificationFilterUrl>",
    },
    Operation {
        method: "POST",
        path: "/user/{userID}/notification-filter-url",
        operation_id: "CREATE_NotificationFilterUrl_for_User",
        shape: Shape::Empty,
        call: "notification_filter_urls().create(body)",
        returns: "()",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/oauth-client",
        operation_id: "List_all_OauthClient_for_User",
        shape: Shape::List,
        call: "oauth_clients().list_page(page)",
        returns: "crate::pagination::Page<types::OauthClientListing>",
    },
    Operation {
        method: "POST",
        path: "/user/{userID}/oauth-client",
        operation_id: "CREATE_OauthClient_for_User",
        shape: Shape::Id,
        call: "oauth_clients().create(body)",
        returns: "i64",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/oauth-client/{itemId}",
        operation_id: "READ_OauthClient_for_User",
        shape: Shape::One,
        call: "oauth_clients().get(item_id)",
        returns: "types::OauthClientRead",
    },
    Operation {
        method: "PUT",
        path: "/user/{userID}/oauth-client/{itemId}",
        operation_id: "UPDATE_OauthClient_for_User",
        shape: Shape::Id,
        call: "oauth_clients().update(item_id, body)",
        returns: "i64",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/oauth-client/{oauth-clientID}/callback-url",
        operation_id: "List_all_CallbackUrl_for_User_OauthClient",
        shape: Shape::List,
        call: "callback_urls(oauth_client_id).list_page(page)",
        returns: "crate::pagination::Page<types::OauthCallbackUrlListing>",
    },
    Operation {
        method: "POST",
        path: "/user/{userID}/oauth-client/{oauth-clientID}/callback-url",
        operation_id: "CREATE_CallbackUrl_for_User_OauthClient",
        shape: Shape::Id,
        call: "callback_urls(oauth_client_id).create(body)",
        returns: "i64",
    },
    Operation {
        method: "GET",
        path: "/user/{userID}/oauth-client/{oauth-clientID}/callback-url/{itemId}",
        operation_id: "READ_CallbackUrl_for_User_OauthClient",
        shape: Shape::One,
        call: "callback_urls(oauth_client_id).get(item_id)",
        returns: "types::OauthCallbackUrlRead",
    },
    Operation {
        method: "PUT",
        path: "/user/{userID}/oauth-client/{oauth-clientID}/callback-url/{itemId}",
        operation_id: "UPDATE_CallbackUrl_for_User_OauthClient",
        shape: Shape::Id,
        call: "callback_urls(oauth_client_id).update(item_id, body)",
        returns: "i64",
    },
    Operation {
        method: "DELETE",
        path: "/user/{userID}/oauth-client/{oauth-clientID}/callback-url/{itemId}",
        operation_id: "DELETE_CallbackUrl_for_User_OauthClient",
        shape: Shape::Empty,
        call: "callback_urls(oauth_client_id).delete(item_id)",
        returns: "()",
    },
];
/// Runs `body` through the generated decoders of every response shape (the
/// first operations of each), as the operations do: for the hostile-input
/// tests and `examples/hostile_bodies.rs`. Returns how many decoded it.
#[doc(hidden)]
pub fn decode_with_every_shape(body: &[u8]) -> usize {
    let reply = &crate::envelope::Reply {
        operation: "every shape",
        body: ::bytes::Bytes::copy_from_slice(body),
        unknown_fields: crate::wire::UnknownFields::Refuse,
    };
    [
        crate::envelope::decode_list::<types::DeviceServerListing>(reply).is_ok(),
        crate::envelope::decode_id(reply).is_ok(),
        crate::envelope::decode_one::<types::DeviceServerRead>(reply).is_ok(),
        crate::envelope::decode_list::<types::InstallationListing>(reply).is_ok(),
        crate::envelope::decode_items::<InstallationItem>(reply).is_ok(),
        crate::envelope::decode_one::<types::InstallationRead>(reply).is_ok(),
        crate::envelope::decode_items::<SessionServerItem>(reply).is_ok(),
        crate::envelope::decode_union_list::<User>(reply).is_ok(),
        crate::envelope::decode_union::<User>(reply).is_ok(),
        crate::envelope::decode_union_list::<MonetaryAccount>(reply).is_ok(),
        crate::envelope::decode_union::<MonetaryAccount>(reply).is_ok(),
    ]
        .iter()
        .filter(|ok| **ok)
        .count()
}
/** One of the kinds bunq answers here, by its wrapper key; a kind this
 build does not know is kept as [`NotificationObject::Unknown`].*/
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum NotificationObject {
    /// Under the wrapper key `DraftPayment`.
    DraftPayment(Box<types::DraftPaymentRead>),
    /// Under the wrapper key `Payment`.
    Payment(Box<types::PaymentRead>),
    /// Under the wrapper key `RequestInquiry`.
    RequestInquiry(Box<types::RequestInquiryRead>),
    /// Under the wrapper key `RequestResponse`.
    RequestResponse(Box<types::RequestResponseRead>),
    /// A wrapper key this build does not know, with its JSON.
    Unknown {
        /// The wrapper key.
        key: String,
        /// The object under it.
        value: ::serde_json::Value,
    },
}
impl crate::wire::Decode for NotificationObject {
    fn keep_wire(&mut self, wire: crate::wire::WireJson) {
        match self {
            Self::DraftPayment(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::Payment(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::RequestInquiry(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::RequestResponse(v) => crate::wire::Decode::keep_wire(&mut **v, wire),
            Self::Unknown { .. } => {}
        }
    }
    fn unknown_fields(&self) -> ::std::vec::Vec<::std::string::String> {
        match self {
            Self::DraftPayment(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::Payment(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::RequestInquiry(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::RequestResponse(v) => crate::wire::Decode::unknown_fields(&**v),
            Self::Unknown { key, .. } => ::std::vec![::std::format!("/{key}")],
        }
    }
}
impl crate::envelope::UnionItem for NotificationObject {
    fn from_item(
        key: &str,
        raw: &::serde_json::value::RawValue,
    ) -> ::std::result::Result<Self, ::serde_json::Error> {
        match key {
            "DraftPayment" => ::serde_json::from_str(raw.get()).map(Self::DraftPayment),
            "Payment" => ::serde_json::from_str(raw.get()).map(Self::Payment),
            "RequestInquiry" => {
                ::serde_json::from_str(raw.get()).map(Self::RequestInquiry)
            }
            "RequestResponse" => {
                ::serde_json::from_str(raw.get()).map(Self::RequestResponse)
            }
            _ => {
                ::serde_json::from_str(raw.get())
                    .map(|value| Self::Unknown {
                        key: key.to_owned(),
                        value,
                    })
            }
        }
    }
}
