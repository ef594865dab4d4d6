//! What bunq counts a limit per, learned from its answers: concurrent
//! handshakes for several users against a fake counting session-server per
//! IP (one 429 in all, then paced together) and per installation (no 429,
//! no wait), and a limit the crate does not know (DELETE). In a binary of
//! its own, since it measures time.

use std::time::{Duration, Instant};

use bunq_oauth::{
    ApiContext, CallbackUrlId, Client, Limit, LimitScope, OauthClientId, PagedList, RateLimits,
    Session,
};
use bunq_oauth_fake::{FakeBunq, FakeConfig};

/// bunq's GET/POST/PUT limits, loosened so only the limit under test binds.
fn generous() -> (u32, Duration) {
    (100, Duration::from_secs(1))
}

fn client_for(fake: &FakeBunq, session_window: Duration, scope: LimitScope) -> Client {
    let mut limits = RateLimits::uniform(Limit::new(100, Duration::from_secs(1)))
        .with_margin(Duration::from_millis(50))
        .with_session_server_scope(scope);
    limits.session_server = Limit::new(1, session_window);
    limits.delete = None;
    Client::builder()
        .environment(fake.environment())
        .rate_limits(Some(limits))
        .build()
        .unwrap()
}

/// The owner's session and a new OAuth client with `count` callback URLs.
async fn owner_with_urls(
    client: &Client,
    fake: &FakeBunq,
    count: usize,
) -> (Session, OauthClientId, Vec<CallbackUrlId>) {
    let owner = Session::new(
        client,
        ApiContext::create(client, fake.owner_api_key(), "delete test")
            .await
            .unwrap(),
    )
    .unwrap();
    let oauth_client = owner.oauth_client_manager().create().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..count {
        let url = format!("https://app.example/cb{i}");
        ids.push(
            owner
                .callback_url_manager(oauth_client)
                .create(&url)
                .await
                .unwrap(),
        );
    }
    (owner, oauth_client, ids)
}

/// `users` handshakes at once, each with an installation of its own.
async fn handshakes(client: &Client, fake: &FakeBunq, users: usize) -> Duration {
    let started = Instant::now();
    let all = (0..users).map(|i| {
        let client = client.clone();
        let key = fake.owner_api_key();
        async move { ApiContext::create(&client, key, &format!("user {i}")).await }
    });
    for context in futures::future::join_all(all).await {
        context.expect("every handshake succeeds");
    }
    started.elapsed()
}

fn session_server_limits(window: Duration) -> bunq_oauth_fake::RateLimits {
    bunq_oauth_fake::RateLimits::new(generous(), generous(), generous(), generous(), (1, window))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_counting_per_ip_refuses_one_handshake_then_they_are_paced_together() {
    let window = Duration::from_secs(1);
    let fake = FakeBunq::start_with(
        FakeConfig::default().rate_limits(Some(session_server_limits(window))),
    )
    .await
    .unwrap();
    let client = client_for(&fake, window, LimitScope::Learn);
    let took = handshakes(&client, &fake, 4).await;
    assert_eq!(fake.stats().rate_limited, 1, "one 429 teaches the scope");
    // Four session-server calls, one per window, counted together.
    assert!(took >= window * 3, "{took:?}");

    // The lesson lasts: more handshakes draw no further 429.
    handshakes(&client, &fake, 2).await;
    assert_eq!(fake.stats().rate_limited, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_counting_per_installation_makes_nobody_wait() {
    let window = Duration::from_secs(5);
    let fake = FakeBunq::start_with(FakeConfig::default().rate_limits(Some(
        session_server_limits(window).session_server_per_installation(),
    )))
    .await
    .unwrap();
    let client = client_for(&fake, window, LimitScope::Learn);
    let took = handshakes(&client, &fake, 4).await;
    assert_eq!(fake.stats().rate_limited, 0);
    assert!(
        took < window,
        "four installations' handshakes waited for a window: {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_ip_scope_draws_no_429_at_all() {
    let window = Duration::from_secs(1);
    let fake = FakeBunq::start_with(
        FakeConfig::default().rate_limits(Some(session_server_limits(window))),
    )
    .await
    .unwrap();
    let client = client_for(&fake, window, LimitScope::Ip);
    handshakes(&client, &fake, 3).await;
    assert_eq!(fake.stats().rate_limited, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_on_delete_slows_delete() {
    let three = Duration::from_secs(3);
    let fake = FakeBunq::start_with(FakeConfig::default().rate_limits(Some(
        bunq_oauth_fake::RateLimits::new(
            generous(),
            generous(),
            generous(),
            (1, three),
            (1, Duration::from_secs(1)),
        ),
    )))
    .await
    .unwrap();
    let client = client_for(&fake, Duration::from_secs(1), LimitScope::Learn);
    let (owner, oauth_client, ids) = owner_with_urls(&client, &fake, 3).await;
    let urls = owner.callback_url_manager(oauth_client);
    let started = Instant::now();
    for id in ids {
        urls.delete(id).await.unwrap();
    }
    assert_eq!(
        fake.stats().rate_limited,
        1,
        "one 429 teaches DELETE's limit"
    );
    assert!(urls.list_all().await.unwrap().is_empty());
    // The second DELETE waited out the window after its 429, the third the
    // learned one.
    assert!(started.elapsed() >= three * 2, "{:?}", started.elapsed());
}

/// A burst of DELETEs with the client's default limits, against a server
/// that limits DELETE to 3 per 3 s: paced from the start at the strictest
/// write limit bunq documents (2 per 3 s), none is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_deletes_is_paced_from_the_start() {
    let three = Duration::from_secs(3);
    let fake = FakeBunq::start_with(FakeConfig::default().rate_limits(Some(
        bunq_oauth_fake::RateLimits::new(
            generous(),
            generous(),
            generous(),
            (3, three),
            generous(),
        ),
    )))
    .await
    .unwrap();
    let mut limits = RateLimits::default();
    limits.get = Limit::new(100, Duration::from_secs(1));
    limits.post = Limit::new(100, Duration::from_secs(1));
    let client = Client::builder()
        .environment(fake.environment())
        .rate_limits(Some(limits))
        .build()
        .unwrap();
    let (owner, oauth_client, ids) = owner_with_urls(&client, &fake, 6).await;
    let urls = owner.callback_url_manager(oauth_client);
    // `CallbackUrlManager` is `Copy`: each future holds its own.
    let deletes = ids
        .into_iter()
        .map(|id| async move { urls.delete(id).await });
    for result in futures::future::join_all(deletes).await {
        result.expect("every DELETE succeeds");
    }
    assert_eq!(fake.stats().rate_limited, 0, "no DELETE was refused");
    assert!(urls.list_all().await.unwrap().is_empty());
}
