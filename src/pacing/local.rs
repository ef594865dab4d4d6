//! The budget kept in this process: the default, right for one app instance
//! per outgoing address.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::Method;
use tokio::time::Instant;

use super::{Budget, Limit, PlaceKey, Taken};

/// Places per key: a call holds one from its start until `hold` after it
/// finished, so concurrent tasks share one budget whatever the jitter.
#[derive(Debug, Default)]
pub(crate) struct LocalBudget {
    places: Mutex<Places>,
    /// Woken when a call finishes (its place gets a release time).
    finished: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct Places {
    next_id: u64,
    /// Per key: (place id, free again at; `None` while the call is in flight).
    taken: HashMap<PlaceKey, Vec<(u64, Option<Instant>)>>,
}

impl LocalBudget {
    fn lock(&self) -> std::sync::MutexGuard<'_, Places> {
        self.places.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// [`Budget::take`], awaitable without boxing (a shared budget falls
    /// back to it).
    pub(crate) async fn take_place(&self, key: &PlaceKey, limit: Limit, hold: Duration) -> Taken {
        let mut logged = false;
        loop {
            // Registered before the check, so a call finishing in between
            // still wakes this one.
            let finished = self.finished.notified();
            tokio::pin!(finished);
            finished.as_mut().enable();
            let free_at = {
                let mut places = self.lock();
                let Places { next_id, taken } = &mut *places;
                let taken = taken.entry(key.clone()).or_default();
                let now = Instant::now();
                taken.retain(|(_, free)| free.is_none_or(|t| t > now));
                if taken.len() < limit.calls as usize {
                    let id = *next_id;
                    *next_id += 1;
                    taken.push((id, None));
                    return Taken {
                        key: key.clone(),
                        id,
                        hold,
                        shared: false,
                    };
                }
                taken.iter().filter_map(|(_, free)| *free).min()
            };
            if !logged {
                logged = true;
                tracing::debug!(method = %key.0, endpoint = key.1, "pacing to stay inside bunq's rate limit");
            }
            match free_at {
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = &mut finished => {}
                    }
                }
                None => finished.await,
            }
        }
    }

    /// [`Budget::finish`] for a place this budget handed out.
    pub(crate) fn finish_place(&self, taken: Taken) {
        let mut places = self.lock();
        if let Some(place) = places
            .taken
            .get_mut(&taken.key)
            .and_then(|places| places.iter_mut().find(|(i, _)| *i == taken.id))
        {
            place.1 = Some(Instant::now() + taken.hold);
        }
        drop(places);
        self.finished.notify_waiters();
    }
}

impl Budget for LocalBudget {
    fn take<'a>(
        &'a self,
        key: &'a PlaceKey,
        limit: Limit,
        hold: Duration,
        _horizon: Duration,
    ) -> BoxFuture<'a, Taken> {
        Box::pin(self.take_place(key, limit, hold))
    }

    fn finish(&self, taken: Taken) {
        self.finish_place(taken);
    }

    /// bunq counted the other installations' calls: their places (a call
    /// still in flight holds its place for a full window more) now count
    /// against the one per-IP budget, so the next call waits for them.
    fn merge_installations(
        &self,
        method: &Method,
        endpoint: &str,
        own: Option<u64>,
        hold: Duration,
    ) {
        let mut places = self.lock();
        let Places { next_id, taken } = &mut *places;
        let now = Instant::now();
        let counted: Vec<Instant> = taken
            .iter()
            .filter(|((m, e, scope), _)| m == method && e == endpoint && *scope != 0)
            .flat_map(|(_, places)| places.iter())
            .filter(|(id, _)| Some(*id) != own)
            .map(|(_, free)| free.unwrap_or(now + hold))
            .collect();
        let shared = taken
            .entry((method.clone(), endpoint.to_owned(), 0))
            .or_default();
        for free in counted {
            shared.push((*next_id, Some(free)));
            *next_id += 1;
        }
    }
}
