// What `build.rs` generates for the request builders with the default features
// (`$OUT_DIR/bunq_calls.rs`, included by `src/generated.rs`). Kept for reading;
// `tests/regeneration.rs` checks it is current.

/// `GET /device-server` (`List_all_DeviceServer`).
pub(crate) fn list_all_device_server() -> Call {
    Call::new(
        "List_all_DeviceServer",
        ::reqwest::Method::GET,
        "/device-server".to_owned(),
    )
}
/// `POST /device-server` (`CREATE_DeviceServer`).
pub(crate) fn create_device_server(body: &types::DeviceServer) -> crate::Result<Call> {
    Call::new(
            "CREATE_DeviceServer",
            ::reqwest::Method::POST,
            "/device-server".to_owned(),
        )
        .json(body)
}
/// `GET /device-server/{itemId}` (`READ_DeviceServer`).
pub(crate) fn read_device_server(item_id: i64) -> Call {
    Call::new(
        "READ_DeviceServer",
        ::reqwest::Method::GET,
        format!("/device-server/{}", segment(item_id)),
    )
}
/// `GET /installation` (`List_all_Installation`).
pub(crate) fn list_all_installation() -> Call {
    Call::new(
        "List_all_Installation",
        ::reqwest::Method::GET,
        "/installation".to_owned(),
    )
}
/// `POST /installation` (`CREATE_Installation`).
pub(crate) fn create_installation(body: &types::Installation) -> crate::Result<Call> {
    Call::new("CREATE_Installation", ::reqwest::Method::POST, "/installation".to_owned())
        .json(body)
}
/// `GET /installation/{itemId}` (`READ_Installation`).
pub(crate) fn read_installation(item_id: i64) -> Call {
    Call::new(
        "READ_Installation",
        ::reqwest::Method::GET,
        format!("/installation/{}", segment(item_id)),
    )
}
/// `GET /installation/{installationID}/server-public-key` (`List_all_ServerPublicKey_for_Installation`).
pub(crate) fn list_all_server_public_key_for_installation(installation_id: i64) -> Call {
    Call::new(
        "List_all_ServerPublicKey_for_Installation",
        ::reqwest::Method::GET,
        format!("/installation/{}/server-public-key", segment(installation_id)),
    )
}
/// `POST /payment-service-provider-credential` (`CREATE_PaymentServiceProviderCredential`).
pub(crate) fn create_payment_service_provider_credential(
    body: &types::PaymentServiceProviderCredential,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_PaymentServiceProviderCredential",
            ::reqwest::Method::POST,
            "/payment-service-provider-credential".to_owned(),
        )
        .json(body)
}
/// `GET /payment-service-provider-credential/{itemId}` (`READ_PaymentServiceProviderCredential`).
pub(crate) fn read_payment_service_provider_credential(item_id: i64) -> Call {
    Call::new(
        "READ_PaymentServiceProviderCredential",
        ::reqwest::Method::GET,
        format!("/payment-service-provider-credential/{}", segment(item_id)),
    )
}
/// `POST /sandbox-user-company` (`CREATE_SandboxUserCompany`).
pub(crate) fn create_sandbox_user_company(
    body: &types::SandboxUserCompany,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_SandboxUserCompany",
            ::reqwest::Method::POST,
            "/sandbox-user-company".to_owned(),
        )
        .json(body)
}
/// `POST /sandbox-user-person` (`CREATE_SandboxUserPerson`).
pub(crate) fn create_sandbox_user_person(
    body: &types::SandboxUserPerson,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_SandboxUserPerson",
            ::reqwest::Method::POST,
            "/sandbox-user-person".to_owned(),
        )
        .json(body)
}
/// `POST /session-server` (`CREATE_SessionServer`).
pub(crate) fn create_session_server(body: &types::SessionServer) -> crate::Result<Call> {
    Call::new(
            "CREATE_SessionServer",
            ::reqwest::Method::POST,
            "/session-server".to_owned(),
        )
        .json(body)
}
/// `GET /user` (`List_all_User`).
pub(crate) fn list_all_user() -> Call {
    Call::new("List_all_User", ::reqwest::Method::GET, "/user".to_owned())
}
/// `GET /user/{itemId}` (`READ_User`).
pub(crate) fn read_user(item_id: i64) -> Call {
    Call::new("READ_User", ::reqwest::Method::GET, format!("/user/{}", segment(item_id)))
}
/// `GET /user/{userID}/card` (`List_all_Card_for_User`).
pub(crate) fn list_all_card_for_user(user_id: i64) -> Call {
    Call::new(
        "List_all_Card_for_User",
        ::reqwest::Method::GET,
        format!("/user/{}/card", segment(user_id)),
    )
}
/// `GET /user/{userID}/card/{itemId}` (`READ_Card_for_User`).
pub(crate) fn read_card_for_user(user_id: i64, item_id: i64) -> Call {
    Call::new(
        "READ_Card_for_User",
        ::reqwest::Method::GET,
        format!("/user/{}/card/{}", segment(user_id), segment(item_id)),
    )
}
/// `PUT /user/{userID}/card/{itemId}` (`UPDATE_Card_for_User`).
pub(crate) fn update_card_for_user(
    user_id: i64,
    item_id: i64,
    body: &types::Card,
) -> crate::Result<Call> {
    Call::new(
            "UPDATE_Card_for_User",
            ::reqwest::Method::PUT,
            format!("/user/{}/card/{}", segment(user_id), segment(item_id)),
        )
        .json(body)
}
/// `GET /user/{userID}/monetary-account` (`List_all_MonetaryAccount_for_User`).
pub(crate) fn list_all_monetary_account_for_user(user_id: i64) -> Call {
    Call::new(
        "List_all_MonetaryAccount_for_User",
        ::reqwest::Method::GET,
        format!("/user/{}/monetary-account", segment(user_id)),
    )
}
/// `GET /user/{userID}/monetary-account/{itemId}` (`READ_MonetaryAccount_for_User`).
pub(crate) fn read_monetary_account_for_user(user_id: i64, item_id: i64) -> Call {
    Call::new(
        "READ_MonetaryAccount_for_User",
        ::reqwest::Method::GET,
        format!("/user/{}/monetary-account/{}", segment(user_id), segment(item_id)),
    )
}
/// `GET /user/{userID}/monetary-account-bank` (`List_all_MonetaryAccountBank_for_User`).
pub(crate) fn list_all_monetary_account_bank_for_user(user_id: i64) -> Call {
    Call::new(
        "List_all_MonetaryAccountBank_for_User",
        ::reqwest::Method::GET,
        format!("/user/{}/monetary-account-bank", segment(user_id)),
    )
}
/// `POST /user/{userID}/monetary-account-bank` (`CREATE_MonetaryAccountBank_for_User`).
pub(crate) fn create_monetary_account_bank_for_user(
    user_id: i64,
    body: &types::MonetaryAccountBank,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_MonetaryAccountBank_for_User",
            ::reqwest::Method::POST,
            format!("/user/{}/monetary-account-bank", segment(user_id)),
        )
        .json(body)
}
/// `GET /user/{userID}/monetary-account-bank/{itemId}` (`READ_MonetaryAccountBank_for_User`).
pub(crate) fn read_monetary_account_bank_for_user(user_id: i64, item_id: i64) -> Call {
    Call::new(
        "READ_MonetaryAccountBank_for_User",
        ::reqwest::Method::GET,
        format!("/user/{}/monetary-account-bank/{}", segment(user_id), segment(item_id)),
    )
}
/// `PUT /user/{userID}/monetary-account-bank/{itemId}` (`UPDATE_MonetaryAccountBank_for_User`).
pub(crate) fn update_monetary_account_bank_for_user(
    user_id: i64,
    item_id: i64,
    body: &types::MonetaryAccountBank,
) -> crate::Result<Call> {
    Call::new(
            "UPDATE_MonetaryAccountBank_for_User",
            ::reqwest::Method::PUT,
            format!(
                "/user/{}/monetary-account-bank/{}", segment(user_id), segment(item_id)
            ),
        )
        .json(body)
}
/// `GET /user/{userID}/monetary-account-savings` (`List_all_MonetaryAccountSavings_for_User`).
pub(crate) fn list_all_monetary_account_savings_for_user(user_id: i64) -> Call {
    Call::new(
        "List_all_MonetaryAccountSavings_for_User",
        ::reqwest::Method::GET,
        format!("/user/{}/monetary-account-savings", segment(user_id)),
    )
}
/// `POST /user/{userID}/monetary-account-savings` (`CREATE_MonetaryAccountSavings_for_User`).
pub(crate) fn create_monetary_account_savings_for_user(
    user_id: i64,
    body: &types::MonetaryAccountSavings,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_MonetaryAccountSavings_for_User",
            ::reqwest::Method::POST,
            format!("/user/{}/monetary-account-savings", segment(user_id)),
        )
        .json(body)
}
/// `GET /user/{userID}/monetary-account-savings/{itemId}` (`READ_MonetaryAccountSavings_for_User`).
pub(crate) fn read_monetary_account_savings_for_user(
    user_id: i64,
    item_id: i64,
) -> Call {
    Call::new(
        "READ_MonetaryAccountSavings_for_User",
        ::reqwest::Method::GET,
        format!(
            "/user/{}/monetary-account-savings/{}", segment(user_id), segment(item_id)
        ),
    )
}
/// `PUT /user/{userID}/monetary-account-savings/{itemId}` (`UPDATE_MonetaryAccountSavings_for_User`).
pub(crate) fn update_monetary_account_savings_for_user(
    user_id: i64,
    item_id: i64,
    body: &types::MonetaryAccountSavings,
) -> crate::Result<Call> {
    Call::new(
            "UPDATE_MonetaryAccountSavings_for_User",
            ::reqwest::Method::PUT,
            format!(
                "/user/{}/monetary-account-savings/{}", segment(user_id),
                segment(item_id)
            ),
        )
        .json(body)
}
/// `GET /user/{userID}/monetary-account/{monetary-accountID}/draft-payment` (`List_all_DraftPayment_for_User_MonetaryAccount`).
pub(crate) fn list_all_draft_payment_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
) -> Call {
    Call::new(
        "List_all_DraftPayment_for_User_MonetaryAccount",
        ::reqwest::Method::GET,
        format!(
            "/user/{}/monetary-account/{}/draft-payment", segment(user_id),
            segment(monetary_account_id)
        ),
    )
}
/// `POST /user/{userID}/monetary-account/{monetary-accountID}/draft-payment` (`CREATE_DraftPayment_for_User_MonetaryAccount`).
pub(crate) fn create_draft_payment_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
    body: &types::DraftPayment,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_DraftPayment_for_User_MonetaryAccount",
            ::reqwest::Method::POST,
            format!(
                "/user/{}/monetary-account/{}/draft-payment", segment(user_id),
                segment(monetary_account_id)
            ),
        )
        .json(body)
}
/// `GET /user/{userID}/monetary-account/{monetary-accountID}/draft-payment/{itemId}` (`READ_DraftPayment_for_User_MonetaryAccount`).
pub(crate) fn read_draft_payment_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
    item_id: i64,
) -> Call {
    Call::new(
        "READ_DraftPayment_for_User_MonetaryAccount",
        ::reqwest::Method::GET,
        format!(
            "/user/{}/monetary-account/{}/draft-payment/{}", segment(user_id),
            segment(monetary_account_id), segment(item_id)
        ),
    )
}
/// `PUT /user/{userID}/monetary-account/{monetary-accountID}/draft-payment/{itemId}` (`UPDATE_DraftPayment_for_User_MonetaryAccount`).
pub(crate) fn update_draft_payment_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
    item_id: i64,
    body: &types::DraftPayment,
) -> crate::Result<Call> {
    Call::new(
            "UPDATE_DraftPayment_for_User_MonetaryAccount",
            ::reqwest::Method::PUT,
            format!(
                "/user/{}/monetary-account/{}/draft-payment/{}", segment(user_id),
                segment(monetary_account_id), segment(item_id)
            ),
        )
        .json(body)
}
/// `GET /user/{userID}/monetary-account/{monetary-accountID}/notification-filter-url` (`List_all_NotificationFilterUrl_for_User_MonetaryAccount`).
pub(crate) fn list_all_notification_filter_url_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
) -> Call {
    Call::new(
        "List_all_NotificationFilterUrl_for_User_MonetaryAccount",
        ::reqwest::Method::GET,
        format!(
            "/user/{}/monetary-account/{}/notification-filter-url", segment(user_id),
            segment(monetary_account_id)
        ),
    )
}
/// `POST /user/{userID}/monetary-account/{monetary-accountID}/notification-filter-url` (`CREATE_NotificationFilterUrl_for_User_MonetaryAccount`).
pub(crate) fn create_notification_filter_url_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
    body: &types::NotificationFilterUrlMonetaryAccount,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_NotificationFilterUrl_for_User_MonetaryAccount",
            ::reqwest::Method::POST,
            format!(
                "/user/{}/monetary-account/{}/notification-filter-url", segment(user_id),
                segment(monetary_account_id)
            ),
        )
        .json(body)
}
/// `GET /user/{userID}/monetary-account/{monetary-accountID}/payment` (`List_all_Payment_for_User_MonetaryAccount`).
pub(crate) fn list_all_payment_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
) -> Call {
    Call::new(
        "List_all_Payment_for_User_MonetaryAccount",
        ::reqwest::Method::GET,
        format!(
            "/user/{}/monetary-account/{}/payment", segment(user_id),
            segment(monetary_account_id)
        ),
    )
}
/// `POST /user/{userID}/monetary-account/{monetary-accountID}/payment` (`CREATE_Payment_for_User_MonetaryAccount`).
pub(crate) fn create_payment_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
    body: &types::Payment,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_Payment_for_User_MonetaryAccount",
            ::reqwest::Method::POST,
            format!(
                "/user/{}/monetary-account/{}/payment", segment(user_id),
                segment(monetary_account_id)
            ),
        )
        .json(body)
}
/// `GET /user/{userID}/monetary-account/{monetary-accountID}/payment/{itemId}` (`READ_Payment_for_User_MonetaryAccount`).
pub(crate) fn read_payment_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
    item_id: i64,
) -> Call {
    Call::new(
        "READ_Payment_for_User_MonetaryAccount",
        ::reqwest::Method::GET,
        format!(
            "/user/{}/monetary-account/{}/payment/{}", segment(user_id),
            segment(monetary_account_id), segment(item_id)
        ),
    )
}
/// `GET /user/{userID}/monetary-account/{monetary-accountID}/request-inquiry` (`List_all_RequestInquiry_for_User_MonetaryAccount`).
pub(crate) fn list_all_request_inquiry_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
) -> Call {
    Call::new(
        "List_all_RequestInquiry_for_User_MonetaryAccount",
        ::reqwest::Method::GET,
        format!(
            "/user/{}/monetary-account/{}/request-inquiry", segment(user_id),
            segment(monetary_account_id)
        ),
    )
}
/// `POST /user/{userID}/monetary-account/{monetary-accountID}/request-inquiry` (`CREATE_RequestInquiry_for_User_MonetaryAccount`).
pub(crate) fn create_request_inquiry_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
    body: &types::RequestInquiry,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_RequestInquiry_for_User_MonetaryAccount",
            ::reqwest::Method::POST,
            format!(
                "/user/{}/monetary-account/{}/request-inquiry", segment(user_id),
                segment(monetary_account_id)
            ),
        )
        .json(body)
}
/// `GET /user/{userID}/monetary-account/{monetary-accountID}/request-inquiry/{itemId}` (`READ_RequestInquiry_for_User_MonetaryAccount`).
pub(crate) fn read_request_inquiry_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
    item_id: i64,
) -> Call {
    Call::new(
        "READ_RequestInquiry_for_User_MonetaryAccount",
        ::reqwest::Method::GET,
        format!(
            "/user/{}/monetary-account/{}/request-inquiry/{}", segment(user_id),
            segment(monetary_account_id), segment(item_id)
        ),
    )
}
/// `PUT /user/{userID}/monetary-account/{monetary-accountID}/request-inquiry/{itemId}` (`UPDATE_RequestInquiry_for_User_MonetaryAccount`).
pub(crate) fn update_request_inquiry_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
    item_id: i64,
    body: &types::RequestInquiry,
) -> crate::Result<Call> {
    Call::new(
            "UPDATE_RequestInquiry_for_User_MonetaryAccount",
            ::reqwest::Method::PUT,
            format!(
                "/user/{}/monetary-account/{}/request-inquiry/{}", segment(user_id),
                segment(monetary_account_id), segment(item_id)
            ),
        )
        .json(body)
}
/// `GET /user/{userID}/monetary-account/{monetary-accountID}/request-response` (`List_all_RequestResponse_for_User_MonetaryAccount`).
pub(crate) fn list_all_request_response_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
) -> Call {
    Call::new(
        "List_all_RequestResponse_for_User_MonetaryAccount",
        ::reqwest::Method::GET,
        format!(
            "/user/{}/monetary-account/{}/request-response", segment(user_id),
            segment(monetary_account_id)
        ),
    )
}
/// `GET /user/{userID}/monetary-account/{monetary-accountID}/request-response/{itemId}` (`READ_RequestResponse_for_User_MonetaryAccount`).
pub(crate) fn read_request_response_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
    item_id: i64,
) -> Call {
    Call::new(
        "READ_RequestResponse_for_User_MonetaryAccount",
        ::reqwest::Method::GET,
        format!(
            "/user/{}/monetary-account/{}/request-response/{}", segment(user_id),
            segment(monetary_account_id), segment(item_id)
        ),
    )
}
/// `PUT /user/{userID}/monetary-account/{monetary-accountID}/request-response/{itemId}` (`UPDATE_RequestResponse_for_User_MonetaryAccount`).
pub(crate) fn update_request_response_for_user_monetary_account(
    user_id: i64,
    monetary_account_id: i64,
    item_id: i64,
    body: &types::RequestResponse,
) -> crate::Result<Call> {
    Call::new(
            "UPDATE_RequestResponse_for_User_MonetaryAccount",
            ::reqwest::Method::PUT,
            format!(
                "/user/{}/monetary-account/{}/request-response/{}", segment(user_id),
                segment(monetary_account_id), segment(item_id)
            ),
        )
        .json(body)
}
/// `GET /user/{userID}/notification-filter-failure` (`List_all_NotificationFilterFailure_for_User`).
pub(crate) fn list_all_notification_filter_failure_for_user(user_id: i64) -> Call {
    Call::new(
        "List_all_NotificationFilterFailure_for_User",
        ::reqwest::Method::GET,
        format!("/user/{}/notification-filter-failure", segment(user_id)),
    )
}
/// `POST /user/{userID}/notification-filter-failure` (`CREATE_NotificationFilterFailure_for_User`).
pub(crate) fn create_notification_filter_failure_for_user(
    user_id: i64,
    body: &types::NotificationFilterFailure,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_NotificationFilterFailure_for_User",
            ::reqwest::Method::POST,
            format!("/user/{}/notification-filter-failure", segment(user_id)),
        )
        .json(body)
}
/// `GET /user/{userID}/notification-filter-url` (`List_all_NotificationFilterUrl_for_User`).
pub(crate) fn list_all_notification_filter_url_for_user(user_id: i64) -> Call {
    Call::new(
        "List_all_NotificationFilterUrl_for_User",
        ::reqwest::Method::GET,
        format!("/user/{}/notification-filter-url", segment(user_id)),
    )
}
/// `POST /user/{userID}/notification-filter-url` (`CREATE_NotificationFilterUrl_for_User`).
pub(crate) fn create_notification_filter_url_for_user(
    user_id: i64,
    body: &types::NotificationFilterUrl,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_NotificationFilterUrl_for_User",
            ::reqwest::Method::POST,
            format!("/user/{}/notification-filter-url", segment(user_id)),
        )
        .json(body)
}
/// `GET /user/{userID}/oauth-client` (`List_all_OauthClient_for_User`).
pub(crate) fn list_all_oauth_client_for_user(user_id: i64) -> Call {
    Call::new(
        "List_all_OauthClient_for_User",
        ::reqwest::Method::GET,
        format!("/user/{}/oauth-client", segment(user_id)),
    )
}
/// `POST /user/{userID}/oauth-client` (`CREATE_OauthClient_for_User`).
pub(crate) fn create_oauth_client_for_user(
    user_id: i64,
    body: &types::OauthClient,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_OauthClient_for_User",
            ::reqwest::Method::POST,
            format!("/user/{}/oauth-client", segment(user_id)),
        )
        .json(body)
}
/// `GET /user/{userID}/oauth-client/{itemId}` (`READ_OauthClient_for_User`).
pub(crate) fn read_oauth_client_for_user(user_id: i64, item_id: i64) -> Call {
    Call::new(
        "READ_OauthClient_for_User",
        ::reqwest::Method::GET,
        format!("/user/{}/oauth-client/{}", segment(user_id), segment(item_id)),
    )
}
/// `PUT /user/{userID}/oauth-client/{itemId}` (`UPDATE_OauthClient_for_User`).
pub(crate) fn update_oauth_client_for_user(
    user_id: i64,
    item_id: i64,
    body: &types::OauthClient,
) -> crate::Result<Call> {
    Call::new(
            "UPDATE_OauthClient_for_User",
            ::reqwest::Method::PUT,
            format!("/user/{}/oauth-client/{}", segment(user_id), segment(item_id)),
        )
        .json(body)
}
/// `GET /user/{userID}/oauth-client/{oauth-clientID}/callback-url` (`List_all_CallbackUrl_for_User_OauthClient`).
pub(crate) fn list_all_callback_url_for_user_oauth_client(
    user_id: i64,
    oauth_client_id: i64,
) -> Call {
    Call::new(
        "List_all_CallbackUrl_for_User_OauthClient",
        ::reqwest::Method::GET,
        format!(
            "/user/{}/oauth-client/{}/callback-url", segment(user_id),
            segment(oauth_client_id)
        ),
    )
}
/// `POST /user/{userID}/oauth-client/{oauth-clientID}/callback-url` (`CREATE_CallbackUrl_for_User_OauthClient`).
pub(crate) fn create_callback_url_for_user_oauth_client(
    user_id: i64,
    oauth_client_id: i64,
    body: &types::OauthCallbackUrl,
) -> crate::Result<Call> {
    Call::new(
            "CREATE_CallbackUrl_for_User_OauthClient",
            ::reqwest::Method::POST,
            format!(
                "/user/{}/oauth-client/{}/callback-url", segment(user_id),
                segment(oauth_client_id)
            ),
        )
        .json(body)
}
/// `GET /user/{userID}/oauth-client/{oauth-clientID}/callback-url/{itemId}` (`READ_CallbackUrl_for_User_OauthClient`).
pub(crate) fn read_callback_url_for_user_oauth_client(
    user_id: i64,
    oauth_client_id: i64,
    item_id: i64,
) -> Call {
    Call::new(
        "READ_CallbackUrl_for_User_OauthClient",
        ::reqwest::Method::GET,
        format!(
            "/user/{}/oauth-client/{}/callback-url/{}", segment(user_id),
            segment(oauth_client_id), segment(item_id)
        ),
    )
}
/// `PUT /user/{userID}/oauth-client/{oauth-clientID}/callback-url/{itemId}` (`UPDATE_CallbackUrl_for_User_OauthClient`).
pub(crate) fn update_callback_url_for_user_oauth_client(
    user_id: i64,
    oauth_client_id: i64,
    item_id: i64,
    body: &types::OauthCallbackUrl,
) -> crate::Result<Call> {
    Call::new(
            "UPDATE_CallbackUrl_for_User_OauthClient",
            ::reqwest::Method::PUT,
            format!(
                "/user/{}/oauth-client/{}/callback-url/{}", segment(user_id),
                segment(oauth_client_id), segment(item_id)
            ),
        )
        .json(body)
}
/// `DELETE /user/{userID}/oauth-client/{oauth-clientID}/callback-url/{itemId}` (`DELETE_CallbackUrl_for_User_OauthClient`).
pub(crate) fn delete_callback_url_for_user_oauth_client(
    user_id: i64,
    oauth_client_id: i64,
    item_id: i64,
) -> Call {
    Call::new(
        "DELETE_CallbackUrl_for_User_OauthClient",
        ::reqwest::Method::DELETE,
        format!(
            "/user/{}/oauth-client/{}/callback-url/{}", segment(user_id),
            segment(oauth_client_id), segment(item_id)
        ),
    )
}
