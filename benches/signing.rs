//! What signing costs: RSA-2048 PKCS#1 v1.5 SHA-256 sign and verify of typical
//! bunq bodies, and the whole client-side CPU of one signed request against a
//! local server (request building, headers, signing, HTTP, signature check,
//! envelope decoding). Compare with `openssl speed rsa2048` on the same machine.
//!
//! Every figure is the CPU time of the benchmark thread (`CLOCK_THREAD_CPUTIME_ID`):
//! the client runs on a current-thread runtime on that thread, the local server on
//! its own threads, so the server's work is not counted.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Duration;

use bunq_oauth::signing::KeyPair;
use bunq_oauth::{
    ApiContext, CallbackUrlId, Client, Limit, OauthClientId, RateLimits, Session, SigningPolicy,
};
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use httpmock::prelude::*;

/// Criterion measurement: the calling thread's CPU time.
struct ThreadCpu;

struct Nanos;

impl ValueFormatter for Nanos {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e-3, "µs")
        } else {
            (1e-6, "ms")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        _throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        values.iter_mut().for_each(|v| *v = 0.0);
        "n/a"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

impl Measurement for ThreadCpu {
    type Intermediate = cpu_time::ThreadTime;
    type Value = Duration;
    fn start(&self) -> Self::Intermediate {
        cpu_time::ThreadTime::now()
    }
    fn end(&self, start: Self::Intermediate) -> Self::Value {
        start.elapsed()
    }
    fn add(&self, a: &Self::Value, b: &Self::Value) -> Self::Value {
        *a + *b
    }
    fn zero(&self) -> Self::Value {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Self::Value) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanos
    }
}

const SESSION_BODY: &[u8] =
    br#"{"secret":"4b9a1c0e6f3d2a8b7c5e9f1a3d6b8c0e2f4a6b8d0c2e4f6a8b0d2c4e6f8a0b2c"}"#;
const ANSWER_BODY: &[u8] = br#"{"Response":[{"OauthClient":{"id":789,"status":"ACTIVE","display_name":null,"client_id":"client_abc123def456","secret":"secret_xyz789uvw012","callback_url":[{"id":456,"created":"2025-08-13 14:45:20.123456","updated":"2025-08-13 14:45:20.123456","url":"https://yourpartner.com/oauth/callback"}]}}]}"#;

fn rsa(c: &mut Criterion<ThreadCpu>) {
    let key = KeyPair::generate().expect("key");
    let public = key.public_key();
    let signature = key.sign(ANSWER_BODY).expect("sign");
    let mut group = c.benchmark_group("rsa2048");
    group.bench_function("sign session-server body (73 B)", |b| {
        b.iter(|| key.sign(std::hint::black_box(SESSION_BODY)).expect("sign"))
    });
    group.bench_function("verify OauthClient answer (297 B)", |b| {
        b.iter(|| {
            public
                .verify(std::hint::black_box(ANSWER_BODY), &signature)
                .expect("verify")
        })
    });
    group.finish();
}

fn decode_page(c: &mut Criterion<ThreadCpu>) {
    let items: Vec<String> = (0..200u32)
        .map(|i| {
            format!(
                r#"{{"OauthCallbackUrl":{{"id":{},"created":"2025-08-13 14:45:20.123456","updated":"2025-08-13 14:45:20.123456","url":"https://yourpartner.com/oauth/callback/{i}"}}}}"#,
                10_000 - i
            )
        })
        .collect();
    let body = format!(
        r#"{{"Response":[{}],"Pagination":{{"future_url":null,"newer_url":null,"older_url":"/v1/user/1/oauth-client/789/callback-url?count=200&older_id=9801"}}}}"#,
        items.join(",")
    );
    c.bench_function(
        &format!("decode a 200-item callback-url page ({} B)", body.len()),
        |b| {
            b.iter(|| {
                let page = bunq_oauth::bench_support::decode_callback_url_page(
                    std::hint::black_box(body.as_bytes()),
                )
                .expect("decodes");
                assert_eq!(page.items.len(), 200);
                page
            })
        },
    );
}

fn signed_request(c: &mut Criterion<ThreadCpu>) {
    let server_key = KeyPair::generate().expect("key");
    let answer = r#"{"Response":[{"Id":{"id":456}}]}"#;
    let server_signature = server_key.sign(answer.as_bytes()).expect("sign");
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(PUT)
            .path("/v1/user/1/oauth-client/789/callback-url/456")
            .header_exists("x-bunq-client-signature");
        then.status(200)
            .header("x-bunq-server-signature", server_signature.clone())
            .body(answer);
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // Pacing on (its bookkeeping is part of the cost) with a budget the
    // benchmark never exhausts, so no iteration sleeps; and pacing off.
    let generous = RateLimits::uniform(Limit::new(1_000_000, Duration::from_secs(1)));
    for (name, limits) in [("pacing on", Some(generous)), ("pacing off", None)] {
        let client = Client::builder()
            .environment(common::environment_at(&server))
            .signing_policy(SigningPolicy::AllWithBody)
            .rate_limits(limits)
            .build()
            .expect("client");
        // A session over an API context (restored from a context file), so the
        // request is signed with the client key and the answer checked.
        let client_key = KeyPair::generate().expect("key");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("context.json");
        let expires = chrono::Utc::now() + chrono::Duration::hours(1);
        let file = common::context_file(
            client.api_url(),
            &client_key,
            &server_key.public_key(),
            "bench-session",
            expires,
        );
        std::fs::write(&path, file).expect("context file");
        let context = ApiContext::load(&path).expect("context");
        let session = Session::new(&client, context).expect("session");
        let urls = session.callback_urls(OauthClientId(789));
        let update = || async {
            urls.update(CallbackUrlId(456), "https://yourpartner.com/oauth/callback")
                .await
                .expect("request")
        };
        runtime.block_on(update());
        c.bench_function(
            &format!("full signed PUT callback-url, client CPU, {name}"),
            |b| b.iter(|| runtime.block_on(update())),
        );
    }
}

fn config() -> Criterion<ThreadCpu> {
    Criterion::default()
        .with_measurement(ThreadCpu)
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = rsa, decode_page, signed_request }
criterion_main!(benches);
