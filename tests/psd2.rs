//! A payment-service provider registers with a PSD2 certificate instead of
//! an API key, over loopback against the fake bunq: the whole provider path
//! (pseudo certificate, registration, its OAuth client and a user's grant),
//! the exact bytes bunq checks, and each refusal typed and changing nothing.

mod common;

use bunq_oauth::psd2::{
    CertificateError, Psd2Certificate, SandboxCertificate, installation_signature_message,
};
use bunq_oauth::signing::KeyPair;
use bunq_oauth::{ApiContext, Error, PagedList, Session, SessionUser};
use bunq_oauth_fake::FakeBunq;

fn sandbox_certificate() -> SandboxCertificate {
    SandboxCertificate::generate("bunq-oauth test", &["PISP", "AISP"]).unwrap()
}

#[tokio::test]
async fn a_provider_registers_with_its_certificate_and_runs_the_oauth_flow() {
    let fake = FakeBunq::start().await.unwrap();
    // Pacing off: the renewal below would otherwise wait out bunq's one
    // session-server call per 30 s.
    let client = common::unpaced_client(&fake);
    let sandbox = sandbox_certificate();
    let certificate = sandbox.to_psd2_certificate().unwrap();
    assert_eq!(certificate.subject(), "C=NL,CN=bunq-oauth test PISP AISP");

    let registration = ApiContext::create_for_psd2(&client, certificate, "provider")
        .await
        .unwrap();
    assert_eq!(
        registration.credential.status.as_deref(),
        Some("PENDING_FIRST_USE")
    );
    assert!(registration.credential.expiry_time.is_some());
    let context = registration.context;
    let SessionUser::PaymentServiceProvider(user) = context.user() else {
        panic!("expected a provider, got {}", context.user().type_name());
    };
    assert_ne!(user.id, fake.owner_user_id());

    // Saved and loaded like any context; the loaded one still works.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("provider.json");
    context.save(&path).unwrap();
    let loaded = ApiContext::load(&path).unwrap();
    assert_eq!(loaded.user_id(), context.user_id());
    let provider = Session::new(&client, loaded).unwrap();

    // The provider makes its OAuth client and a user grants it access.
    let granted =
        common::granted_user(&client, &fake, &provider, "https://psp.example/cb", "psu").await;
    let accounts = granted.account_summaries().list().await.unwrap();
    assert!(!accounts.items.is_empty());
    // The session renews with the credential's token as its API key.
    fake.expire_sessions();
    let before = fake.stats().session_servers;
    let clients = provider.oauth_client_manager().list().await.unwrap();
    assert_eq!(clients.items.len(), 1);
    assert_eq!(fake.stats().session_servers, before + 1);
}

#[test]
fn the_signature_is_over_the_installation_key_pem_and_the_token() {
    let sandbox = sandbox_certificate();
    let certificate = sandbox.to_psd2_certificate().unwrap();
    let installation = KeyPair::generate().unwrap().public_key().to_pem();
    // What bunq's Java SDK signs: the PEM as sent, which ends in one
    // newline, then the token, with nothing between.
    assert!(installation.ends_with("-----END PUBLIC KEY-----\n"));
    let java = [installation.as_bytes(), b"token-123"].concat();
    assert_eq!(
        installation_signature_message(&installation, "token-123").as_bytes(),
        java.as_slice()
    );
    // What its Python SDK signs: a PEM without the newline, then "\n", then
    // the token: the same bytes, so either form of the PEM gives them.
    let python_pem = installation.strip_suffix('\n').unwrap();
    let python = [python_pem.as_bytes(), b"\n", b"token-123"].concat();
    assert_eq!(python, java);
    assert_eq!(
        installation_signature_message(python_pem, "token-123").as_bytes(),
        java.as_slice()
    );
    // Signed with the certificate's key, checked with the certificate's.
    let signer = KeyPair::from_pkcs8_pem(sandbox.private_key_pem.expose_secret()).unwrap();
    let signature = signer.sign(&java).unwrap();
    certificate.public_key().verify(&java, &signature).unwrap();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// No text given as a certificate, chain or key panics: every one is
    /// a typed error or a certificate.
    #[test]
    fn any_text_is_a_typed_error_never_a_panic(
        cut in 0usize..2000,
        junk in "(-----(BEGIN|END) CERTIFICATE-----|[A-Za-z0-9+/=\r\n ]){0,40}",
    ) {
        let pem = &SANDBOX.certificate_pem;
        let key = SANDBOX.private_key_pem.expose_secret();
        let cut = pem.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(pem.len());
        let truncated = &pem[..cut];
        for (certificate, chain) in [
            (truncated, pem.as_str()),
            (pem.as_str(), truncated),
            (junk.as_str(), pem.as_str()),
            (pem.as_str(), junk.as_str()),
        ] {
            let _ = Psd2Certificate::from_pem(certificate, chain, key);
        }
        let _ = Psd2Certificate::from_pem(pem, pem, &junk);
        let _ = bunq_oauth::psd2::read_certificate(&junk);
    }
}

static SANDBOX: std::sync::LazyLock<SandboxCertificate> =
    std::sync::LazyLock::new(sandbox_certificate);

#[test]
fn local_problems_are_typed_before_anything_is_sent() {
    let sandbox = sandbox_certificate();
    let other = sandbox_certificate();
    let pem = &sandbox.certificate_pem;
    let key = sandbox.private_key_pem.expose_secret();

    let mismatch = Psd2Certificate::from_pem(pem, pem, other.private_key_pem.expose_secret());
    assert!(matches!(
        mismatch,
        Err(Error::Certificate(CertificateError::KeyMismatch))
    ));
    let garbage = Psd2Certificate::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n", pem, key);
    assert!(matches!(
        garbage,
        Err(Error::Certificate(CertificateError::Unparsable(_)))
    ));
    for chain in [
        "",
        "\r\n",
        "-----BEGIN CERTIFICATE-----",
        "junk\n-----END CERTIFICATE-----",
    ] {
        let no_chain = Psd2Certificate::from_pem(pem, chain, key);
        assert!(
            matches!(
                no_chain,
                Err(Error::Certificate(CertificateError::Chain(_)))
            ),
            "{chain:?}: {no_chain:?}"
        );
    }
    let not_a_key = Psd2Certificate::from_pem(pem, pem, "not a key");
    assert!(matches!(
        not_a_key,
        Err(Error::Certificate(CertificateError::Key(_)))
    ));
    // The key never shows in Debug.
    let certificate = sandbox.to_psd2_certificate().unwrap();
    let shown = format!("{certificate:?} {sandbox:?}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    assert!(shown.contains("[redacted]"));
}

#[tokio::test]
async fn a_reused_credential_token_registers_no_second_device() {
    let fake = FakeBunq::start().await.unwrap();
    let client = common::fake_client(&fake);
    let certificate = sandbox_certificate().to_psd2_certificate().unwrap();
    let registration = ApiContext::create_for_psd2(&client, certificate, "provider")
        .await
        .unwrap();
    let devices = fake.stats().device_servers;
    // The credential's token is the context's API key: a second handshake
    // with it is refused by bunq's rule (usable once), typed, and adds no device.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.json");
    registration.context.save(&path).unwrap();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let token = saved["api_key"].as_str().unwrap().to_owned();
    let again = ApiContext::create(&client, bunq_oauth::ApiKey::new(token), "again").await;
    assert!(matches!(again, Err(Error::Api(_))), "{again:?}");
    assert_eq!(fake.stats().device_servers, devices);
}

/// A self-signed certificate for `key` valid between the two dates.
fn certificate_valid(key: &KeyPair, from: (i32, u8, u8), to: (i32, u8, u8)) -> String {
    let signer = rcgen::KeyPair::from_pem(key.to_pkcs8_pem().expose_secret()).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Old App PISP");
    params.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
    params.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
    params.self_signed(&signer).unwrap().pem()
}

#[test]
fn an_expired_or_future_certificate_is_refused_locally() {
    let key = KeyPair::generate().unwrap();
    let pem_key = key.to_pkcs8_pem();
    let expired = certificate_valid(&key, (2020, 1, 1), (2021, 1, 1));
    let refused = Psd2Certificate::from_pem(&expired, &expired, pem_key.expose_secret());
    assert!(
        matches!(
            refused,
            Err(Error::Certificate(CertificateError::Expired { not_after })) if not_after.to_rfc3339().starts_with("2021-01-01")
        ),
        "{refused:?}"
    );
    let future = certificate_valid(&key, (2999, 1, 1), (3000, 1, 1));
    let refused = Psd2Certificate::from_pem(&future, &future, pem_key.expose_secret());
    assert!(
        matches!(
            refused,
            Err(Error::Certificate(CertificateError::NotYetValid { .. }))
        ),
        "{refused:?}"
    );
}

/// What bunq sees from a client that signs the wrong bytes: the fake
/// refuses with bunq's error body and makes no provider user.
#[tokio::test]
async fn a_tampered_signature_is_refused_by_bunq_and_changes_nothing() {
    let fake = FakeBunq::start().await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let api = fake.api_url();
    let installation_key = KeyPair::generate().unwrap();
    let body = serde_json::json!({"client_public_key": installation_key.public_key().to_pem()});
    let answer: serde_json::Value = http
        .post(format!("{api}/installation"))
        .header("x-bunq-client-request-id", "t-1")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer["Response"][1]["Token"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let sandbox = sandbox_certificate();
    let signer = KeyPair::from_pkcs8_pem(sandbox.private_key_pem.expose_secret()).unwrap();
    let right = installation_signature_message(&installation_key.public_key().to_pem(), &token);
    let send = |signature: String| {
        let body = serde_json::json!({
            "client_payment_service_provider_certificate": sandbox.certificate_pem,
            "client_payment_service_provider_certificate_chain": sandbox.certificate_pem,
            "client_public_key_signature": signature,
        })
        .to_string();
        let request_signature = installation_key.sign(body.as_bytes()).unwrap();
        http.post(format!("{api}/payment-service-provider-credential"))
            .header("x-bunq-client-request-id", "t-2")
            .header("x-bunq-client-authentication", &token)
            .header("x-bunq-client-signature", request_signature)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let before = fake.stats().psd2_credentials;
    // Signed over the PEM without its newline: not what bunq checks.
    let tampered = right.replacen("-----\n", "-----", 1);
    let answer = send(signer.sign(tampered.as_bytes()).unwrap())
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let error: serde_json::Value = answer.json().await.unwrap();
    assert!(
        error["Error"][0]["error_description"]
            .as_str()
            .unwrap()
            .contains("signature"),
        "{error}"
    );
    // Signed by the installation key instead of the certificate's.
    let answer = send(installation_key.sign(right.as_bytes()).unwrap())
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert_eq!(fake.stats().psd2_credentials, before);
    // The right bytes, the right key: accepted.
    let answer = send(signer.sign(right.as_bytes()).unwrap()).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(fake.stats().psd2_credentials, before + 1);
}
