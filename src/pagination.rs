//! bunq's list pages: `count`, `older_id`, `newer_id` and the `Pagination` object.
//!
//! bunq lists newest first. `older_url` in the `Pagination` object leads to the
//! next page of older items; the crate follows that URL's `older_id` rather than
//! computing ids itself (bunq's own docs disagree on which id is which).

use std::future::Future;

use futures::{Stream, TryStreamExt};
use serde::Deserialize;

use crate::error::Result;

/// A list bunq answers page by page: every list handle (generated or
/// handwritten) implements it, so each has the same four ways to read.
///
/// ```no_run
/// # async fn demo(session: &bunq_oauth::Session) -> bunq_oauth::Result<()> {
/// use bunq_oauth::{PageRequest, PagedList};
/// use futures::TryStreamExt;
///
/// let payments = session.api().payments(42);
/// let newest = payments.list().await?; // the first page
/// let page = payments.list_page(PageRequest::new().count(200)).await?;
/// let every: Vec<_> = payments.stream().try_collect().await?; // page after page
/// # let _ = (newest, page, every);
/// # Ok(()) }
/// ```
pub trait PagedList: Copy + Send + Sync {
    /// What the list holds.
    type Item: Send;

    /// One page of the list.
    fn list_page(&self, page: PageRequest)
    -> impl Future<Output = Result<Page<Self::Item>>> + Send;

    /// The most pages [`stream`](Self::stream) reads: the client's
    /// [`max_list_pages`](crate::ClientBuilder::max_list_pages).
    #[doc(hidden)]
    fn max_pages(&self) -> u32;

    /// The first page at bunq's default size, newest first.
    fn list(&self) -> impl Future<Output = Result<Page<Self::Item>>> + Send {
        self.list_page(PageRequest::new())
    }

    /// Every item, page after page (200 a page, following `older_url`), as
    /// a stream that holds one page at a time. It ends after the oldest page
    /// or the first error; a cursor that repeats or goes back up is
    /// [`Error::UnexpectedEnvelope`](crate::Error::UnexpectedEnvelope), one
    /// that never ends stops at the page cap with
    /// [`Error::ListTooLong`](crate::Error::ListTooLong).
    fn stream(&self) -> impl Stream<Item = Result<Self::Item>> + Send {
        let this = *self;
        items(self.max_pages(), move |page| async move {
            this.list_page(page).await
        })
    }

    /// Every item, collected.
    fn list_all(&self) -> impl Future<Output = Result<Vec<Self::Item>>> + Send {
        self.stream().try_collect()
    }
}

/// bunq's `Pagination` object: the URLs (path and query, starting with `/v1/`)
/// of the neighbouring pages, or `None` where there is none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Pagination {
    /// Items newer than anything seen so far (set on the newest page, for polling).
    pub future_url: Option<String>,
    /// The page of newer items.
    pub newer_url: Option<String>,
    /// The page of older items.
    pub older_url: Option<String>,
}

/// One page of a list call.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items on this page, newest first.
    pub items: Vec<T>,
    /// Where the neighbouring pages are.
    pub pagination: Pagination,
}

impl<T> Page<T> {
    pub(crate) fn new(items: Vec<T>, pagination: Pagination) -> Self {
        Page { items, pagination }
    }

    /// The request for the next page of older items, if there is one.
    pub fn older(&self) -> Option<PageRequest> {
        self.pagination
            .older_url
            .as_deref()
            .and_then(PageRequest::from_url)
    }

    /// The request for the page of newer items, if there is one.
    pub fn newer(&self) -> Option<PageRequest> {
        self.pagination
            .newer_url
            .as_deref()
            .and_then(PageRequest::from_url)
    }
}

/// Which page of a list to ask for.
///
/// ```
/// use bunq_oauth::PageRequest;
/// let request = PageRequest::new().count(200).older_than(1234);
/// assert_eq!(request.query(), [("count", "200".to_string()), ("older_id", "1234".to_string())]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    count: Option<u32>,
    older_id: Option<u64>,
    newer_id: Option<u64>,
}

/// bunq's largest page.
pub const MAX_PAGE_SIZE: u32 = 200;

impl PageRequest {
    /// The first page at bunq's default size (10).
    pub fn new() -> Self {
        Self::default()
    }

    /// Items per page; bunq allows at most 200, so larger values are clamped.
    pub fn count(mut self, count: u32) -> Self {
        self.count = Some(count.clamp(1, MAX_PAGE_SIZE));
        self
    }

    /// Items older than the item with this id.
    pub fn older_than(mut self, id: u64) -> Self {
        self.older_id = Some(id);
        self.newer_id = None;
        self
    }

    /// Items newer than the item with this id.
    pub fn newer_than(mut self, id: u64) -> Self {
        self.newer_id = Some(id);
        self.older_id = None;
        self
    }

    /// The query parameters this request adds to a list call.
    pub fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(count) = self.count {
            query.push(("count", count.to_string()));
        }
        if let Some(id) = self.older_id {
            query.push(("older_id", id.to_string()));
        }
        if let Some(id) = self.newer_id {
            query.push(("newer_id", id.to_string()));
        }
        query
    }

    /// Reads `count`, `older_id` and `newer_id` from a bunq pagination URL
    /// such as `/v1/user/1/oauth-client?count=25&older_id=224`.
    pub(crate) fn from_url(url: &str) -> Option<Self> {
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
        let mut request = PageRequest::default();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "count" => request.count = value.parse().ok(),
                "older_id" => request.older_id = value.parse().ok(),
                "newer_id" => request.newer_id = value.parse().ok(),
                _ => {}
            }
        }
        (request.older_id.is_some() || request.newer_id.is_some()).then_some(request)
    }
}

/// Every item of a list, page after page (200 per page, following
/// `older_url`), fetched lazily: at most one page is held at a time. The
/// stream ends after the oldest page or the first error. bunq's ids only
/// grow, so each `older_url` must point below the one before: a cursor that
/// repeats, goes back up or leaves `older_id` out ends the stream with
/// [`Error::UnexpectedEnvelope`](crate::Error::UnexpectedEnvelope), never in a
/// loop. A cursor that creeps down by one forever stops after `max_pages`
/// pages with [`Error::ListTooLong`](crate::Error::ListTooLong).
pub(crate) fn items<'a, T, F, Fut>(max_pages: u32, fetch: F) -> impl Stream<Item = Result<T>> + 'a
where
    T: 'a,
    F: Fn(PageRequest) -> Fut + 'a,
    Fut: Future<Output = Result<Page<T>>> + 'a,
{
    let first = PageRequest::new().count(MAX_PAGE_SIZE);
    futures::stream::try_unfold(
        (Some(first), 0u32, fetch),
        move |(next, pages, fetch)| async move {
            let Some(request) = next else {
                return Ok::<_, crate::Error>(None);
            };
            if pages >= max_pages {
                return Err(crate::Error::ListTooLong { pages });
            }
            let page = fetch(request.clone()).await?;
            let older = match page.older() {
                None => None,
                Some(older) => Some(next_older(&request, older)?),
            };
            Ok(Some((page.items, (older, pages + 1, fetch))))
        },
    )
    .map_ok(|items| futures::stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
}

/// Checks that `older` moves below `current` and keeps the page size.
fn next_older(current: &PageRequest, older: PageRequest) -> Result<PageRequest> {
    let moves_down = match (older.older_id, current.older_id) {
        (Some(next), Some(now)) => next < now,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if !moves_down {
        return Err(crate::Error::unexpected(
            "an older_url whose older_id is below the current page's",
            format!("older_id {:?} after {:?}", older.older_id, current.older_id),
        ));
    }
    Ok(match older.count {
        Some(_) => older,
        None => older.count(MAX_PAGE_SIZE),
    })
}

/// The first item of `items` that `matches`, reading no further pages than needed.
pub(crate) async fn find<T>(
    items: impl Stream<Item = Result<T>>,
    matches: impl Fn(&T) -> bool,
) -> Result<Option<T>> {
    let mut items = std::pin::pin!(items);
    while let Some(item) = items.try_next().await? {
        if matches(&item) {
            return Ok(Some(item));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bunq_pagination_urls() {
        let r =
            PageRequest::from_url("/v1/user/1/monetary-account/1/payment?count=25&older_id=224")
                .unwrap();
        assert_eq!(r, PageRequest::new().count(25).older_than(224));
        assert_eq!(PageRequest::from_url("/v1/user/1/payment?count=25"), None);
        assert_eq!(PageRequest::from_url("garbage"), None);
    }

    #[test]
    fn count_is_clamped_to_bunq_maximum() {
        assert_eq!(
            PageRequest::new().count(5000).query(),
            [("count", "200".to_string())]
        );
    }

    #[test]
    fn the_cursor_must_move_to_older_items() {
        let first = PageRequest::new().count(200);
        let second = next_older(&first, PageRequest::new().older_than(500)).unwrap();
        assert_eq!(second, PageRequest::new().older_than(500).count(200));
        assert!(next_older(&second, PageRequest::new().older_than(499)).is_ok());
        for bad in [
            PageRequest::new().older_than(500),
            PageRequest::new().older_than(501),
            PageRequest::new().newer_than(10),
        ] {
            assert!(
                matches!(
                    next_older(&second, bad.clone()),
                    Err(crate::Error::UnexpectedEnvelope { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[tokio::test]
    async fn alternating_cursors_end_in_an_error_not_a_loop() {
        use futures::StreamExt;
        use std::sync::atomic::{AtomicU64, Ordering};
        let calls = AtomicU64::new(0);
        // A server that alternates between two cursors forever.
        let stream = items(1_000, |_| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                let older_id = if n.is_multiple_of(2) { 10 } else { 20 };
                Ok(Page::new(
                    vec![n],
                    Pagination {
                        older_url: Some(format!("/v1/x?count=200&older_id={older_id}")),
                        ..Pagination::default()
                    },
                ))
            }
        });
        let collected: Vec<Result<u64>> = stream.take(10).collect().await;
        assert!(collected.len() < 10, "{collected:?}");
        assert!(matches!(
            collected.last(),
            Some(Err(crate::Error::UnexpectedEnvelope { .. }))
        ));
    }

    #[tokio::test]
    async fn a_cursor_that_creeps_down_forever_stops_at_the_page_cap() {
        use futures::StreamExt;
        use std::sync::atomic::{AtomicU64, Ordering};
        let calls = AtomicU64::new(0);
        // Each page points one id lower: valid, and endless.
        let stream = items(4, |request: PageRequest| {
            calls.fetch_add(1, Ordering::SeqCst);
            let below = request.older_id.unwrap_or(u64::MAX) - 1;
            async move {
                Ok(Page::new(
                    vec![below],
                    Pagination {
                        older_url: Some(format!("/v1/x?count=200&older_id={below}")),
                        ..Pagination::default()
                    },
                ))
            }
        });
        let collected: Vec<Result<u64>> = stream.collect().await;
        assert_eq!(calls.load(Ordering::SeqCst), 4, "four pages read, no more");
        assert_eq!(collected.iter().filter(|r| r.is_ok()).count(), 4);
        assert!(matches!(
            collected.last(),
            Some(Err(crate::Error::ListTooLong { pages: 4 }))
        ));
    }
}
