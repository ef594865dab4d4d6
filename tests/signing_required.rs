//! A bunq that wants every request signed (its older documentation; the
//! fake with `require_signatures`): the client signs GET and DELETE too when
//! asked, and learns it from bunq's first 466 by itself.

use bunq_oauth::{ApiContext, Client, PagedList, Session, SigningPolicy};
use bunq_oauth_fake::{FakeBunq, FakeConfig};

mod common;

async fn strict_fake() -> FakeBunq {
    FakeBunq::start_with(FakeConfig::default().require_signatures(true))
        .await
        .unwrap()
}

fn client(fake: &FakeBunq, policy: SigningPolicy) -> Client {
    Client::builder()
        .environment(fake.environment())
        .signing_policy(policy)
        .build()
        .unwrap()
}

#[tokio::test]
async fn signing_everything_satisfies_a_strict_bunq_from_the_first_request() {
    let fake = strict_fake().await;
    let client = client(&fake, SigningPolicy::All);
    let owner = common::owner_session(&client, &fake, "strict").await;
    let id = owner.oauth_client_manager().create().await.unwrap();
    owner.oauth_client_manager().get(id).await.unwrap();
    let url = owner
        .callback_url_manager(id)
        .create("https://app.example/cb")
        .await
        .unwrap();
    owner.callback_url_manager(id).delete(url).await.unwrap();
    owner.account_summaries().list().await.unwrap();
    assert_eq!(fake.stats().unsigned_refused, 0);
}

#[tokio::test]
async fn the_first_466_makes_the_installation_sign_everything_from_then_on() {
    let fake = strict_fake().await;
    let client = client(&fake, SigningPolicy::Required);
    let context = ApiContext::create(&client, fake.owner_api_key(), "learns")
        .await
        .unwrap();
    let owner = Session::new(&client, context.clone()).unwrap();
    // An unsigned GET is refused once (nothing handled), then sent signed.
    let page = owner.oauth_client_manager().list().await.unwrap();
    assert!(page.items.is_empty());
    assert_eq!(fake.stats().unsigned_refused, 1);
    // From then on every request of this installation is signed, through
    // any session over it, DELETE included.
    let id = owner.oauth_client_manager().create().await.unwrap();
    let again = Session::new(&client, context).unwrap();
    let url = again
        .callback_url_manager(id)
        .create("https://app.example/cb")
        .await
        .unwrap();
    again.callback_url_manager(id).delete(url).await.unwrap();
    assert_eq!(fake.stats().unsigned_refused, 1);
    // A write refused with 466 was not handled, so sending it again after
    // signing made one OAuth client, not two.
    assert_eq!(fake.stats().oauth_clients, 1);
}
