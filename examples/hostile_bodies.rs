//! Runs hostile bodies through every generated decoder (one per response
//! shape, as the operations call them) and the callback parser, and reports how many ran and how
//! many panicked. Outside CI (minutes, not seconds); `cargo test` runs a
//! bounded sample of the same through proptest (`src/hostile_input.rs`).
//!
//! ```text
//! cargo run --release --example hostile_bodies            # 10 million
//! cargo run --release --example hostile_bodies -- 50000   # fewer
//! ```
//!
//! Bodies are real answers (`tests/fixtures/`) with random edits (bytes
//! replaced, inserted, removed, the body cut), random bytes, and envelopes
//! of the wrong shape. Exits non-zero if any body panicked.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

const SEEDS: &[&str] = &[
    include_str!("../tests/fixtures/payment_list.json"),
    include_str!("../tests/fixtures/monetary_account_list.json"),
    include_str!("../tests/fixtures/oauth_client_read.json"),
    include_str!("../tests/fixtures/oauth_client_list.json"),
    include_str!("../tests/fixtures/callback_url_list.json"),
    include_str!("../tests/fixtures/oauth_client_create.json"),
    r#"{"Response":[{"Id":{"id":1}},{"Token":{"token":"t","created":"2025-01-01 00:00:00.000000"}},{"UserApiKey":{"id":4}}]}"#,
    r#"{"Response":[{"Uuid":{"uuid":"1f0c"}}]}"#,
    r#"{"Response":[{"Payment":{}}],"Pagination":{"older_url":"/v1/x?older_id=1"}}"#,
    r#"{"Error":[{"error_description":"Insufficient authorisation."}]}"#,
    // bunq's callbacks (the callback parser gets every body too).
    include_str!("../tests/fixtures/wire/NotificationUrl_mutation_created_bunq.json"),
    include_str!("../tests/fixtures/wire/NotificationUrl_draft_payment_responses_null.json"),
    include_str!("../tests/fixtures/wire/NotificationUrl_request_inquiry_revoked.json"),
];

/// xorshift64*: fast, no dependency, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to JSON, more often than chance would pick them.
const INTERESTING: &[u8] = b"{}[]\":,0123456789-.eE\\ntfu \xff\x00";

fn hostile(rng: &mut Rng, body: &mut Vec<u8>) {
    body.clear();
    match rng.below(10) {
        // Random bytes.
        0 => body.extend((0..rng.below(256)).map(|_| rng.next() as u8)),
        // A seed with edits (most of them).
        _ => {
            body.extend_from_slice(SEEDS[rng.below(SEEDS.len())].as_bytes());
            for _ in 0..=rng.below(6) {
                if body.is_empty() {
                    break;
                }
                let at = rng.below(body.len());
                let byte = if rng.below(2) == 0 {
                    INTERESTING[rng.below(INTERESTING.len())]
                } else {
                    rng.next() as u8
                };
                match rng.below(4) {
                    0 => body[at] = byte,
                    1 => body.insert(at, byte),
                    2 => {
                        body.remove(at);
                    }
                    _ => body.truncate(at),
                }
            }
        }
    }
}

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000_000);
    // Panics are counted, not printed one by one.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut body = Vec::with_capacity(4096);
    let (mut panics, mut decoded) = (0u64, 0u64);
    let started = Instant::now();
    for _ in 0..count {
        hostile(&mut rng, &mut body);
        match catch_unwind(AssertUnwindSafe(|| {
            let callback = bunq_oauth::notifications::Notification::parse(&body).is_ok();
            bunq_oauth::api::decode_with_every_shape(&body) + usize::from(callback)
        })) {
            Ok(n) => decoded += n as u64,
            Err(_) => panics += 1,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{count} hostile bodies through the generated decoders and the callback parser in {seconds:.1}s: {panics} panics, {decoded} decodes succeeded (a mutated body can still be valid)"
    );
    if panics > 0 {
        std::process::exit(1);
    }
}
