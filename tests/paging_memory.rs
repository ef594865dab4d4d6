//! Paging a long list holds one page at a time. In its own test binary:
//! the heap is counted for the whole process, so no other test may
//! allocate while it measures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bunq_oauth::{ApiContext, Client, PagedList, Session};
use bunq_oauth_fake::FakeBunq;
use futures::StreamExt;

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

async fn owner(fake: &FakeBunq) -> Session {
    let client = Client::builder()
        .environment(fake.environment())
        .rate_limits(None)
        .build()
        .unwrap();
    let context = ApiContext::create(&client, fake.owner_api_key(), "paging memory test")
        .await
        .unwrap();
    Session::new(&client, context).unwrap()
}

/// Streams every callback URL of a client with `count` of them and returns
/// the ids seen and the peak heap growth while streaming.
async fn stream_urls(count: usize) -> (Vec<u64>, usize) {
    let fake = FakeBunq::start().await.unwrap();
    let session = owner(&fake).await;
    let id = session.oauth_client_manager().create().await.unwrap();
    fake.add_callback_urls(session.user_id(), id.get(), count);
    let urls = session.callback_url_manager(id);
    let mut seen = Vec::with_capacity(count);
    let baseline = LIVE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let mut stream = std::pin::pin!(urls.stream());
    while let Some(url) = stream.next().await {
        seen.push(url.unwrap().id.get());
    }
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(baseline);
    (seen, peak)
}

#[tokio::test]
async fn paging_over_a_thousand_callback_urls_yields_each_once_in_order_in_constant_memory() {
    let (small_ids, small_peak) = stream_urls(400).await;
    let (ids, peak) = stream_urls(1000).await;
    assert_eq!(small_ids.len(), 400);
    assert_eq!(ids.len(), 1000);
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 1000, "each exactly once");
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "newest first, in order"
    );
    // The id vectors are preallocated before the baseline; what grows while
    // streaming is one page at a time, whatever the total.
    assert!(
        peak < small_peak * 3 / 2,
        "peak heap growth {peak} B for 1000 items vs {small_peak} B for 400"
    );
}
