//! Client-side pacing under load: 20 concurrent tasks against the fake with
//! its rate limit on. Alone in its own test binary, because it measures time:
//! sibling tests generating RSA keys on the same two cores delayed requests
//! past the limiter's 100 ms margin and made the fake count a 429 (seen once
//! in CI while this test shared tests/resilience.rs).
#![cfg(feature = "fake")]

use std::time::{Duration, Instant};

use bunq_oauth::fake::{FakeBunq, FakeConfig};
use bunq_oauth::{ApiContext, Client, Error, Limit, RateLimits, RetryPolicy, Session};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_tasks_stay_inside_the_rate_limit_and_use_all_of_it() {
    let window = Duration::from_secs(1);
    let fake = FakeBunq::start_with(
        FakeConfig::default().rate_limits(Some(bunq_oauth::fake::RateLimits::uniform(10, window))),
    )
    .await
    .unwrap();
    let limits =
        RateLimits::uniform(Limit::new(10, window)).with_margin(Duration::from_millis(100));
    let client = Client::builder()
        .api_url(fake.api_url())
        .rate_limits(Some(limits))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let context = ApiContext::create(&client, fake.owner_api_key(), "pacing test")
        .await
        .unwrap();
    let session = Session::new(&client, context).unwrap();
    let id = session.oauth_clients().create().await.unwrap();

    let started = Instant::now();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move {
                for _ in 0..10 {
                    session.oauth_clients().get(id).await?;
                }
                Ok::<_, Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("no call is refused");
    }
    let took = started.elapsed();
    eprintln!("200 paced GETs took {took:?}");
    assert_eq!(fake.stats().rate_limited, 0, "no 429 was needed");
    // 200 calls at 10 per second: the 20th batch of ten starts 19 windows in.
    let allowed = window * 19;
    assert!(
        took >= allowed.mul_f64(0.95),
        "faster than the limit allows: {took:?}"
    );
    assert!(
        took <= allowed.mul_f64(1.15),
        "more than 15% over the limit's pace: {took:?}"
    );
}
