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

/// Counts the allocations made on the benchmark thread while counting is on
/// (the local server's threads are not counted).
struct CountingAlloc;

thread_local! {
    static COUNTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            ALLOCATIONS.with(|a| a.set(a.get() + 1));
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// The allocations `run` makes on this thread.
fn allocations<T>(run: impl FnOnce() -> T) -> u64 {
    ALLOCATIONS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    let value = run();
    COUNTING.with(|c| c.set(false));
    drop(value);
    ALLOCATIONS.with(|a| a.get())
}

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
    // The handwritten model (nothing kept) beside the same body through
    // what the generated operations use: the generated type, tolerant, each
    // object's JSON kept.
    let mut group = c.benchmark_group(format!(
        "decode a 200-item callback-url page ({} B)",
        body.len()
    ));
    group.bench_function("handwritten model", |b| {
        b.iter(|| {
            let page = bunq_oauth::bench_support::decode_callback_url_page(std::hint::black_box(
                body.as_bytes(),
            ))
            .expect("decodes");
            assert_eq!(page.items.len(), 200);
            page
        })
    });
    let generated = bunq_oauth::bench_support::callback_url_page_decoder(body.as_bytes());
    group.bench_function("generated type, JSON kept", |b| {
        b.iter(|| {
            let n = std::hint::black_box(&generated)().expect("decodes");
            assert_eq!(n, 200);
        })
    });
    group.finish();
}

/// A 200-payment page (each payment as the fake's card payment: labels, a
/// geolocation, a null list) through the decoder the operations use (each
/// object's JSON kept, unknown fields noted when asked), beside the floor
/// in the same run: the same generated types decoded without keeping.
fn decode_payment_page(c: &mut Criterion<ThreadCpu>) {
    let items: Vec<String> = (0..200u32)
        .map(|i| {
            format!(
                r#"{{"Payment":{{"id":{},"created":"2025-04-18 12:31:07.402916","updated":"2025-04-18 12:31:07.402916","monetary_account_id":2083712,"amount":{{"value":"-4.75","currency":"EUR"}},"description":"Coffee Corner {i}","type":"MASTERCARD","sub_type":"PAYMENT","alias":{{"iban":"NL65BUNQ2090411945","display_name":"J. Walker","country":"NL"}},"counterparty_alias":{{"iban":null,"display_name":"Coffee Corner","country":"NL"}},"geolocation":{{"latitude":52.387862883215,"longitude":4.8333778222355,"altitude":0,"radius":65}},"attachment":null,"request_reference_split_the_bill":[],"balance_after_mutation":{{"value":"4118.00","currency":"EUR"}},"status":"SETTLED","maturity_date":"2025-04-18","allow_chat":true}}}}"#,
                10_000 - i
            )
        })
        .collect();
    let body = format!(
        r#"{{"Response":[{}],"Pagination":{{"future_url":null,"newer_url":null,"older_url":"/v1/user/1/monetary-account/2083712/payment?count=200&older_id=9801"}}}}"#,
        items.join(",")
    );
    let mut group = c.benchmark_group(format!("decode a 200-payment page ({} B)", body.len()));
    let kept = bunq_oauth::bench_support::payment_page_decoder(body.as_bytes());
    let floor = bunq_oauth::bench_support::payment_page_floor(body.as_bytes());
    group.bench_function("as the operations do (JSON kept)", |b| {
        b.iter(|| {
            let n = std::hint::black_box(&kept)().expect("decodes");
            assert_eq!(n, 200);
        })
    });
    group.bench_function("floor: the same types, nothing kept", |b| {
        b.iter(|| {
            let n = std::hint::black_box(&floor)().expect("decodes");
            assert_eq!(n, 200);
        })
    });
    group.finish();
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
        let urls = session.callback_url_manager(OauthClientId(789));
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

/// One request through the generated path (`session.api()`) beside the
/// floor: a bare reqwest client on the same runtime (keep-alive, the same
/// headers), aws-lc-rs verifying bunq's signature over the raw bytes (and
/// signing the body of the POST), serde_json decoding the same generated
/// type. Both measured in the same run.
fn generated_vs_floor(c: &mut Criterion<ThreadCpu>) {
    use aws_lc_rs::signature::{self, UnparsedPublicKey};
    use base64::Engine as _;
    use bunq_oauth::api::types;

    let server_key = KeyPair::generate().expect("key");
    let client_key = KeyPair::generate().expect("key");
    let read = r#"{"Response":[{"Payment":{"id":2011,"created":"2025-08-13 14:45:20.123456","updated":"2025-08-13 14:45:20.123456","monetary_account_id":11,"amount":{"value":"-12.50","currency":"EUR"},"description":"Rent share","type":"BUNQ","counterparty_alias":{"iban":"NL98BUNQ9876543210","display_name":"Savings"}}}]}"#;
    let created = r#"{"Response":[{"Id":{"id":2012}}]}"#;
    let server = MockServer::start();
    for (method, path, body) in [
        (GET, "/v1/user/1/monetary-account/11/payment/2011", read),
        (POST, "/v1/user/1/monetary-account/11/payment", created),
    ] {
        let signature = server_key.sign(body.as_bytes()).expect("sign");
        server.mock(|when, then| {
            when.method(method).path(path);
            then.status(200)
                .header("x-bunq-server-signature", signature)
                .body(body);
        });
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    // The crate: a session over a restored context, default options but
    // pacing off, as the floor has none (bunq's real budget would make the
    // loop wait; `signed_request` above counts the pacing bookkeeping).
    let client = Client::builder()
        .environment(common::environment_at(&server))
        .rate_limits(None)
        .build()
        .expect("client");
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
    let session =
        Session::new(&client, ApiContext::load(&path).expect("context")).expect("session");
    let payment = types::Payment {
        amount: Some(bunq_oauth::Amount::new("12.50", "EUR").expect("amount")),
        counterparty_alias: Some(types::CounterpartyAlias {
            type_: Some("IBAN".into()),
            value: Some("NL98BUNQ9876543210".into()),
            name: Some("Savings".into()),
            ..Default::default()
        }),
        description: Some("To savings".into()),
        ..Default::default()
    };

    // The floor.
    let bare = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest");
    let base = client.api_url().to_owned();
    let pem = server_key.public_key().to_pem();
    let der = base64::engine::general_purpose::STANDARD
        .decode(
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .expect("der");
    // aws-lc-rs takes the SubjectPublicKeyInfo DER as it is.
    let verify_key = UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der);
    let signing_pem = client_key.to_pkcs8_pem();
    let signing_der = base64::engine::general_purpose::STANDARD
        .decode(
            signing_pem
                .expose_secret()
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .expect("der");
    let signer = aws_lc_rs::rsa::KeyPair::from_pkcs8(&signing_der).expect("pkcs8");
    #[derive(serde::Deserialize)]
    struct Envelope<T> {
        #[serde(rename = "Response")]
        response: Vec<std::collections::HashMap<String, T>>,
    }
    let floor_request = |method: reqwest::Method, url: String, body: Option<Vec<u8>>| {
        let mut request = bare
            .request(method, url)
            .header("user-agent", "bunq-oauth-bench")
            .header("cache-control", "no-cache")
            .header("x-bunq-geolocation", "0 0 0 0 000")
            .header("x-bunq-language", "en_US")
            .header("x-bunq-region", "en_US")
            .header("x-bunq-client-request-id", uuid::Uuid::new_v4().to_string())
            .header("x-bunq-client-authentication", "bench-session");
        if let Some(body) = body {
            let rng = aws_lc_rs::rand::SystemRandom::new();
            let mut signature = vec![0; signer.public_modulus_len()];
            signer
                .sign(&signature::RSA_PKCS1_SHA256, &rng, &body, &mut signature)
                .expect("sign");
            request = request
                .header(
                    "x-bunq-client-signature",
                    base64::engine::general_purpose::STANDARD.encode(&signature),
                )
                .header("content-type", "application/json")
                .body(body);
        }
        request
    };
    let floor_get = || async {
        let response = floor_request(
            reqwest::Method::GET,
            format!("{base}/user/1/monetary-account/11/payment/2011"),
            None,
        )
        .send()
        .await
        .expect("send");
        let signature = response.headers()["x-bunq-server-signature"]
            .to_str()
            .expect("header")
            .to_owned();
        let bytes = response.bytes().await.expect("body");
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signature)
            .expect("base64");
        verify_key.verify(&bytes, &signature).expect("verify");
        let envelope: Envelope<types::PaymentRead> =
            serde_json::from_slice(&bytes).expect("decode");
        envelope
            .response
            .into_iter()
            .next()
            .and_then(|m| m.into_values().next())
            .expect("one")
    };
    let floor_post = || async {
        let body = serde_json::to_vec(&payment).expect("encode");
        let response = floor_request(
            reqwest::Method::POST,
            format!("{base}/user/1/monetary-account/11/payment"),
            Some(body),
        )
        .send()
        .await
        .expect("send");
        let signature = response.headers()["x-bunq-server-signature"]
            .to_str()
            .expect("header")
            .to_owned();
        let bytes = response.bytes().await.expect("body");
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signature)
            .expect("base64");
        verify_key.verify(&bytes, &signature).expect("verify");
        let envelope: Envelope<types::BunqId> = serde_json::from_slice(&bytes).expect("decode");
        envelope
            .response
            .into_iter()
            .next()
            .and_then(|m| m.into_values().next())
            .expect("one")
    };
    let crate_get = || async { session.api().payments(11).get(2011).await.expect("get") };
    let crate_post = || async {
        session
            .api()
            .payments(11)
            .create(&payment)
            .await
            .expect("create")
    };
    // Warm the connections, and check both sides decode the same.
    assert_eq!(
        runtime.block_on(floor_get()).id,
        runtime.block_on(crate_get()).id
    );
    assert_eq!(
        runtime.block_on(floor_post()).id,
        Some(runtime.block_on(crate_post()))
    );

    // Allocations per request on the client thread, each side once more.
    println!(
        "allocations per request: GET floor {}, crate {}; POST floor {}, crate {}",
        allocations(|| runtime.block_on(floor_get())),
        allocations(|| runtime.block_on(crate_get())),
        allocations(|| runtime.block_on(floor_post())),
        allocations(|| runtime.block_on(crate_post())),
    );
    let mut group = c.benchmark_group("one request, client CPU");
    group.bench_function(
        "unsigned GET payment, floor (reqwest + aws-lc-rs + serde_json)",
        |b| b.iter(|| runtime.block_on(floor_get())),
    );
    group.bench_function(
        "unsigned GET payment, session.api().payments(11).get",
        |b| b.iter(|| runtime.block_on(crate_get())),
    );
    group.bench_function(
        "signed POST payment, floor (reqwest + aws-lc-rs + serde_json)",
        |b| b.iter(|| runtime.block_on(floor_post())),
    );
    group.bench_function(
        "signed POST payment, session.api().payments(11).create",
        |b| b.iter(|| runtime.block_on(crate_post())),
    );
    group.finish();
}

fn config() -> Criterion<ThreadCpu> {
    Criterion::default()
        .with_measurement(ThreadCpu)
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = rsa, decode_page, decode_payment_page, signed_request, generated_vs_floor }
criterion_main!(benches);
