//! Client-side pacing under load: 20 concurrent tasks against the fake with
//! its rate limit on. Alone in its own test binary, because it measures time:
//! sibling tests generating RSA keys on the same two cores delayed requests
//! past the limiter's 100 ms margin and made the fake count a 429 (seen once
//! in CI while this test shared tests/resilience.rs).

use std::time::{Duration, Instant};

use bunq_oauth::{ApiContext, Client, Error, Limit, PagedList, RateLimits, RetryPolicy, Session};
use bunq_oauth_fake::{FakeBunq, FakeConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_tasks_stay_inside_the_rate_limit_and_use_all_of_it() {
    let window = Duration::from_secs(1);
    let fake = FakeBunq::start_with(
        FakeConfig::default().rate_limits(Some(bunq_oauth_fake::RateLimits::uniform(10, window))),
    )
    .await
    .unwrap();
    let limits = RateLimits::uniform(Limit::new(10, window)).with_margin(Duration::ZERO);
    let client = Client::builder()
        .environment(fake.environment())
        .rate_limits(Some(limits))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let context = ApiContext::create(&client, fake.owner_api_key(), "pacing test")
        .await
        .unwrap();
    let session = Session::new(&client, context).unwrap();
    let id = session.oauth_client_manager().create().await.unwrap();

    // The round trip of ten calls in flight at once, on another endpoint
    // (its own budget): the client frees a place a window after the answer
    // arrives, so each window of the burst below also costs about this.
    let calibration = Instant::now();
    let burst = (0..10).map(|_| async { session.oauth_client_manager().list().await });
    for page in futures::future::join_all(burst).await {
        page.unwrap();
    }
    let round_trip = calibration.elapsed();

    let started = Instant::now();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move {
                for _ in 0..10 {
                    session.oauth_client_manager().get(id).await?;
                }
                Ok::<_, Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("no call is refused");
    }
    let took = started.elapsed();
    eprintln!("200 paced GETs took {took:?} (a burst of ten takes {round_trip:?})");
    assert_eq!(fake.stats().rate_limited, 0, "no 429 was needed");
    // 200 calls at 10 per second: the 20th batch of ten starts 19 windows in
    // (never earlier), each window lengthened by the round trip.
    let limits_allow = window * 19;
    assert!(
        took >= limits_allow,
        "faster than the limit allows: {took:?}"
    );
    let with_round_trips = (window + round_trip) * 19 + round_trip;
    assert!(
        took <= with_round_trips.mul_f64(1.15),
        "more than 15% over the limit's pace with round trips ({with_round_trips:?}): {took:?}"
    );
}
