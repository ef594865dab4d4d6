//! Several app instances behind one address: bunq's budget shared through
//! PostgreSQL (`PostgresBudget`), and sessions renewed ahead of time once
//! across instances. Each "instance" is a `Client` with a budget handle of
//! its own (its own connection pool, as a process of its own has); the
//! fake counts bunq's limits. The load test (`examples/load.rs`) runs
//! instances as real processes, one of them killed. Needs PostgreSQL
//! (`.ci/test` starts one).
#![cfg(feature = "postgres")]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bunq_oauth::store::{ContextKey, ContextStore, EncryptionKey, SqlStore};
use bunq_oauth::{
    ApiContext, Client, Limit, LimitScope, PagedList, PostgresBudget, RateLimits, Session,
};
use bunq_oauth_fake::{FakeBunq, FakeConfig, Fault, FaultKind};
use reqwest::Method;

/// An instance's client: `limits` for every method, bunq's session-server
/// limit set to `session`, its own handle on the shared budget. A place is
/// held half a second past its window: a shared place counts from its
/// call's start, so a call the loaded test machine delays by less than that
/// still reaches the fake inside the limit.
async fn instance(
    fake: &FakeBunq,
    database: &str,
    limits: Limit,
    session: Limit,
    scope: LimitScope,
) -> (Client, PostgresBudget) {
    let budget = PostgresBudget::connect(database, "egress-1").await.unwrap();
    let mut rate_limits = RateLimits::uniform(limits)
        .with_margin(Duration::from_millis(500))
        .with_session_server_scope(scope);
    rate_limits.session_server = session;
    let client = Client::builder()
        .environment(fake.environment())
        .rate_limits(Some(rate_limits))
        .shared_budget(budget.clone())
        .build()
        .unwrap();
    (client, budget)
}

fn fake_limits(
    calls: u32,
    window: Duration,
    session: (u32, Duration),
) -> bunq_oauth_fake::RateLimits {
    let limit = (calls, window);
    bunq_oauth_fake::RateLimits::new(limit, limit, limit, limit, session)
}

#[tokio::test]
async fn two_instances_sharing_a_budget_never_exceed_it() {
    let fake = FakeBunq::start().await.unwrap();
    let database = common::new_postgres_database().await;
    let window = Duration::from_secs(1);
    let (a, budget_a) = instance(
        &fake,
        &database,
        Limit::new(3, window),
        Limit::new(100, window),
        LimitScope::Ip,
    )
    .await;
    let (b, budget_b) = instance(
        &fake,
        &database,
        Limit::new(3, window),
        Limit::new(100, window),
        LimitScope::Ip,
    )
    .await;
    let owner_a = common::owner_session(&a, &fake, "instance a").await;
    let owner_b = common::owner_session(&b, &fake, "instance b").await;
    // bunq's GET limit from here on: 3 per second over every connection.
    fake.set_rate_limits(Some(fake_limits(3, window, (100, window))));
    let before = fake.stats();
    let trips_before = budget_a.round_trips() + budget_b.round_trips();
    let reads = (0..6)
        .flat_map(|_| [owner_a.clone(), owner_b.clone()])
        .map(|owner| async move {
            owner
                .account_summaries()
                .list()
                .await
                .map(|accounts| accounts.items.len())
        });
    let answers = futures::future::join_all(reads).await;
    for answer in answers {
        assert!(
            answer.unwrap() > 0,
            "each read answers the owner's accounts"
        );
    }
    let after = fake.stats();
    assert_eq!(
        after.rate_limited - before.rate_limited,
        0,
        "twelve GETs from two instances within bunq's 3 per second: no 429"
    );
    let endpoint = "GET /v1/user/{id}/monetary-account";
    assert_eq!(
        after.by_endpoint[endpoint] - before.by_endpoint.get(endpoint).copied().unwrap_or(0),
        12
    );
    // One database round trip per paced request, none more (a claim is
    // made however far ahead its place lies, up to an hour).
    let trips = budget_a.round_trips() + budget_b.round_trips() - trips_before;
    assert_eq!(trips, 12, "one claim per paced call");
}

#[tokio::test]
async fn what_one_instance_learns_from_a_429_the_next_knows_from_its_start() {
    let fake = FakeBunq::start_with(FakeConfig::new().rate_limits(Some(fake_limits(
        100,
        Duration::from_secs(1),
        (1, Duration::from_secs(4)),
    ))))
    .await
    .unwrap();
    let database = common::new_postgres_database().await;
    let generous = Limit::new(100, Duration::from_secs(1));
    let session = Limit::new(1, Duration::from_secs(4));
    let (a, _) = instance(&fake, &database, generous, session, LimitScope::Learn).await;
    // bunq answers instance A's session-server call with 429: A learns that
    // session-server is counted per IP, and tells the others.
    fake.inject(
        Fault::new(FaultKind::Status429)
            .on(Method::POST, "/session-server")
            .times(1),
    );
    ApiContext::create(&a, fake.owner_api_key(), "instance a")
        .await
        .unwrap();
    assert_eq!(fake.stats().faults_applied, 1);
    let lessons = wait_for_lessons(&database, 1).await;
    assert_eq!(lessons, ["session-server per ip"]);

    // Instance B starts after: two handshakes at once for two users, paced
    // per IP from its first call (learning it would have cost a 429).
    let (b, _) = instance(&fake, &database, generous, session, LimitScope::Learn).await;
    let before = fake.stats();
    let (one, two) = tokio::join!(
        ApiContext::create(&b, fake.owner_api_key(), "instance b, one"),
        ApiContext::create(&b, fake.owner_api_key(), "instance b, two"),
    );
    one.unwrap();
    two.unwrap();
    let after = fake.stats();
    assert_eq!(after.session_servers - before.session_servers, 2);
    assert_eq!(
        after.rate_limited - before.rate_limited,
        0,
        "B knew the scope A learned: no 429"
    );
}

#[tokio::test]
async fn places_taken_per_installation_count_per_address_once_a_429_says_so() {
    // The fake's own session-server limit is generous: only the injected
    // 429 refuses, so any wait below is the budget's.
    let fake = FakeBunq::start_with(FakeConfig::new().rate_limits(Some(fake_limits(
        100,
        Duration::from_secs(1),
        (100, Duration::from_secs(1)),
    ))))
    .await
    .unwrap();
    let database = common::new_postgres_database().await;
    let generous = Limit::new(100, Duration::from_secs(1));
    let session = Limit::new(1, Duration::from_secs(6));
    let (a, _) = instance(&fake, &database, generous, session, LimitScope::Learn).await;
    let (b, _) = instance(&fake, &database, generous, session, LimitScope::Learn).await;
    // A's handshake: its session-server call holds a place of A's
    // installation's own for 6 s (+ margin) from its start.
    let a_started = Instant::now();
    ApiContext::create(&a, fake.owner_api_key(), "instance a")
        .await
        .unwrap();
    // Another installation's session-server call, in instance B, goes at
    // once and meets bunq's 429: session-server is counted per address.
    fake.inject(
        Fault::new(FaultKind::Status429)
            .on(Method::POST, "/session-server")
            .times(1),
    );
    let refused = tokio::spawn({
        let (b, key) = (b.clone(), fake.owner_api_key());
        async move { ApiContext::create(&b, key, "instance b, refused").await }
    });
    assert_eq!(
        wait_for_lessons(&database, 1).await,
        ["session-server per ip"]
    );
    // A third installation's call now waits for A's place, which counts
    // against the address from the lesson on (it would go at once if only
    // places taken per address counted).
    ApiContext::create(&b, fake.owner_api_key(), "instance b, third")
        .await
        .unwrap();
    assert!(
        a_started.elapsed() >= Duration::from_secs(6),
        "the third installation's session-server call waited for A's place: {:?}",
        a_started.elapsed()
    );
    refused.await.unwrap().unwrap();
    assert_eq!(fake.stats().faults_applied, 1);
}

/// The lessons stored for the budget, once `count` are there.
async fn wait_for_lessons(database: &str, count: usize) -> Vec<String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(database).await.unwrap();
    let started = Instant::now();
    loop {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT lesson FROM bunq_oauth_budget_lessons")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        if rows.len() >= count || started.elapsed() > Duration::from_secs(20) {
            return rows.into_iter().map(|(lesson,)| lesson).collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_instance_that_dies_holding_places_frees_them_after_a_window() {
    let fake = FakeBunq::start().await.unwrap();
    let database = common::new_postgres_database().await;
    let window = Duration::from_secs(2);
    let session = Limit::new(100, Duration::from_secs(1));
    let (a, _) = instance(
        &fake,
        &database,
        Limit::new(2, window),
        session,
        LimitScope::Ip,
    )
    .await;
    let (b, _) = instance(
        &fake,
        &database,
        Limit::new(2, window),
        session,
        LimitScope::Ip,
    )
    .await;
    let owner_a = common::owner_session(&a, &fake, "instance a").await;
    let owner_b = common::owner_session(&b, &fake, "instance b").await;
    // Instance A takes both places with two calls that bunq answers only
    // after 20 s, and dies with them in flight.
    fake.inject(
        Fault::new(FaultKind::Slow(Duration::from_secs(20)))
            .on(Method::GET, "/monetary-account")
            .times(2),
    );
    let dying = tokio::spawn(async move {
        let (one, two) = (owner_a.account_summaries(), owner_a.account_summaries());
        let (x, y) = tokio::join!(one.list(), two.list());
        (x.is_ok(), y.is_ok())
    });
    // Both of A's calls have reached bunq (the fake counts requests on arrival).
    let endpoint = "GET /v1/user/{id}/monetary-account";
    let started = Instant::now();
    while fake.stats().by_endpoint.get(endpoint).copied().unwrap_or(0) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "A's calls never arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    dying.abort();
    drop(a);

    // B's call gets a place once A's places run out (one window after A's
    // calls started), not when A's calls would have ended (20 s).
    let started = Instant::now();
    let accounts = owner_b.account_summaries().list().await.unwrap();
    assert!(!accounts.items.is_empty());
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(10),
        "B waited {waited:?}: a dead instance's places are free a window after their calls started"
    );
}

#[tokio::test]
async fn renewing_ahead_happens_once_across_instances_and_never_for_a_session_in_use() {
    let timeout = Duration::from_secs(12);
    let fake = FakeBunq::start_with(FakeConfig::new().session_timeout(timeout))
        .await
        .unwrap();
    let database = common::new_postgres_database().await;
    let setup = common::unpaced_client(&fake);
    let owner = common::owner_session(&setup, &fake, "owner").await;
    let user = common::granted_user(&setup, &fake, &owner, "https://app.example/cb", "user").await;
    let key_text = EncryptionKey::generate().unwrap().to_base64();
    let store = |text: String| {
        let database = database.clone();
        async move {
            Arc::new(
                SqlStore::connect(&database, EncryptionKey::parse(&text).unwrap())
                    .await
                    .unwrap(),
            ) as Arc<dyn ContextStore>
        }
    };
    let store_a = store(key_text.clone()).await;
    let store_b = store(key_text.clone()).await;
    let app_user = store_a.add_user(&user.context().unwrap()).await.unwrap();
    let bunq_user = user.user_id().0;
    let (a, b) = (common::unpaced_client(&fake), common::unpaced_client(&fake));
    let session_a = Session::from_store(&a, store_a, ContextKey::User(app_user))
        .await
        .unwrap();
    let session_b = Session::from_store(&b, store_b, ContextKey::User(app_user))
        .await
        .unwrap();
    let renewals = || {
        fake.stats()
            .session_servers_by_user
            .get(&bunq_user)
            .copied()
            .unwrap_or(0)
    };
    let before = renewals();

    // Once the session has been idle for half its timeout, both instances
    // find it due (renew_ahead looks at most half a timeout ahead): one
    // renews, the other adopts what it stored.
    tokio::time::sleep(timeout / 2).await;
    let ahead = timeout;
    let (renewed_a, renewed_b) =
        tokio::join!(session_a.renew_ahead(ahead), session_b.renew_ahead(ahead));
    let renewed = [renewed_a.unwrap(), renewed_b.unwrap()];
    assert_eq!(
        renewed.iter().filter(|r| **r).count(),
        1,
        "one session-server call: {renewed:?}"
    );
    assert_eq!(renewals(), before + 1);
    // Both use the new session.
    session_a.account_summaries().list().await.unwrap();
    session_b.account_summaries().list().await.unwrap();

    // One keeps using the session; the one that renewed sits idle until its
    // own estimate says the session is about to expire. bunq extended the
    // session on every use, and those uses reached the store: the idle one
    // renews nothing, and does not wait out bunq's 30 s between its own
    // session-server calls to find that out.
    let (busy, idle) = if renewed[0] {
        (&session_b, &session_a)
    } else {
        (&session_a, &session_b)
    };
    let idle_since = Instant::now();
    while idle_since.elapsed() < timeout - Duration::from_secs(1) {
        busy.account_summaries().list().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let asked = Instant::now();
    let renewed = idle.renew_ahead(Duration::from_secs(2)).await.unwrap();
    assert!(!renewed, "the session is in use: not renewed");
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "adopting the stored session took {:?}",
        asked.elapsed()
    );
    assert_eq!(renewals(), before + 1);
    idle.account_summaries().list().await.unwrap();
    assert_eq!(
        fake.stats()
            .expired_sessions_by_user
            .get(&bunq_user)
            .copied()
            .unwrap_or(0),
        0,
        "no call met an expired session"
    );
}

/// Two instances renew one user's expired session at once, through one
/// store and one budget where session-server is counted per address: one
/// session-server call, and the instance that adopts the other's session
/// leaves no place spent (it waits for its place unclaimed until the place
/// is nearly due, and adopts long before). Another user's renewal then
/// waits for one window at most, not for places nobody used.
#[tokio::test]
async fn a_renewal_adopted_across_instances_spends_no_place() {
    let fake = FakeBunq::start().await.unwrap();
    let database = common::new_postgres_database().await;
    let setup = common::unpaced_client(&fake);
    let owner = common::owner_session(&setup, &fake, "owner").await;
    let user = common::granted_user(&setup, &fake, &owner, "https://app.example/cb", "user").await;
    let generous = Limit::new(100, Duration::from_secs(1));
    // Long enough that the adopting instance never reaches its place.
    let window = Duration::from_secs(20);
    let session_limit = Limit::new(1, window);
    let (a, _) = instance(&fake, &database, generous, session_limit, LimitScope::Ip).await;
    let (b, _) = instance(&fake, &database, generous, session_limit, LimitScope::Ip).await;
    let key = EncryptionKey::generate().unwrap().to_base64();
    let store = || async {
        Arc::new(
            SqlStore::connect(&database, EncryptionKey::parse(&key).unwrap())
                .await
                .unwrap(),
        ) as Arc<dyn ContextStore>
    };
    let store_a = store().await;
    let app_user = store_a.add_user(&user.context().unwrap()).await.unwrap();
    let session_a = Session::from_store(&a, store_a, ContextKey::User(app_user))
        .await
        .unwrap();
    let store_b = store().await;
    let session_b = Session::from_store(&b, store_b, ContextKey::User(app_user))
        .await
        .unwrap();

    fake.expire_sessions();
    let before = fake.stats().session_servers;
    let (summaries_a, summaries_b) = (session_a.account_summaries(), session_b.account_summaries());
    let (from_a, from_b) = tokio::join!(summaries_a.list(), summaries_b.list());
    from_a.unwrap();
    from_b.unwrap();
    let after = fake.stats().session_servers;
    assert_eq!(after - before, 1);

    // The address's session-server place: held by the one call, a window
    // (and margin and lock allowance) from its start, no more.
    let mut db = <sqlx::PgConnection as sqlx::Connection>::connect(&database)
        .await
        .unwrap();
    let (ahead_ms,): (f64,) = sqlx::query_as(
        "SELECT COALESCE(MAX(EXTRACT(EPOCH FROM (f - clock_timestamp())) * 1000), 0)::FLOAT8
         FROM bunq_oauth_budget, unnest(free_at) AS f
         WHERE place_key LIKE 'POST /v1/session-server %'",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    let one_place = window + Duration::from_millis(500) + Duration::from_secs(1);
    assert!(
        ahead_ms > 0.0 && ahead_ms <= one_place.as_millis() as f64,
        "the session-server place frees {ahead_ms} ms from now: one place is {one_place:?}"
    );
}
