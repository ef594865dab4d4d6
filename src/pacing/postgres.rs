//! [`PostgresBudget`]: bunq's budget shared by every app instance that uses
//! one PostgreSQL database and one scope name.
//!
//! Each (method, endpoint, scope) has one row holding its places' "free at"
//! times. A call claims the place that frees first, in one statement (a
//! function, so one round trip): the row is locked, the database's clock read
//! after the lock, and the place set free `hold` after the call's start,
//! which may lie ahead (the caller sleeps until then). So every request costs
//! one round trip, waiting included.
//!
//! Within an instance, the calls to one key take turns: the next claims only
//! once the one before has started. So an instance holds at most one claim
//! ahead per key, and one that dies leaves behind its calls in flight (each
//! place free a window after its start) and at most one claim ahead per
//! key: the others lose that place, never more.
//!
//! Unlike the in-process budget, a place is held from its call's start, not
//! from its answer (telling the database about the answer would cost a
//! second round trip): a call that reaches bunq later than the margin after
//! its start may meet a 429, which is retried (a 429 is never processed).
//!
//! Lessons (bunq's 429 showing a limit it does not document) are rows of
//! their own; each claim answers how many there are, and an instance that
//! sees more than it knows reads them.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::local::LocalBudget;
use reqwest::Method;

use super::{Budget, Lesson, Limit, PlaceKey, Taken};
use crate::error::{Error, Result};
use crate::store::StoreError;

/// Tables and the claiming function, created once under an advisory lock
/// (several instances may start at once).
const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS bunq_oauth_budget (
        scope TEXT NOT NULL,
        place_key TEXT NOT NULL,
        free_at TIMESTAMPTZ[] NOT NULL,
        PRIMARY KEY (scope, place_key)
    )",
    "CREATE TABLE IF NOT EXISTS bunq_oauth_budget_lessons (
        scope TEXT NOT NULL,
        lesson TEXT NOT NULL,
        learned_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (scope, lesson)
    )",
    r#"CREATE OR REPLACE FUNCTION bunq_oauth_take_place(
        p_scope TEXT, p_key TEXT, p_calls INTEGER, p_hold_us BIGINT, p_ahead_us BIGINT)
    RETURNS TABLE (claimed BOOLEAN, wait_us BIGINT, lessons BIGINT)
    LANGUAGE plpgsql AS $$
    DECLARE
        places TIMESTAMPTZ[];
        now_ts TIMESTAMPTZ;
        pick INTEGER := 1;
        start_ts TIMESTAMPTZ;
    BEGIN
        INSERT INTO bunq_oauth_budget (scope, place_key, free_at)
            VALUES (p_scope, p_key, '{}') ON CONFLICT (scope, place_key) DO NOTHING;
        SELECT b.free_at INTO places FROM bunq_oauth_budget b
            WHERE b.scope = p_scope AND b.place_key = p_key FOR UPDATE;
        -- After the lock: a claim never starts before the last one was made.
        now_ts := clock_timestamp();
        IF cardinality(places) > p_calls THEN
            -- The limit was lowered: keep the places that are busy longest.
            places := ARRAY(SELECT x FROM unnest(places) AS x ORDER BY x DESC LIMIT p_calls);
        END IF;
        IF cardinality(places) < p_calls THEN
            places := places || now_ts;
        END IF;
        FOR i IN 2 .. cardinality(places) LOOP
            IF places[i] < places[pick] THEN pick := i; END IF;
        END LOOP;
        start_ts := greatest(places[pick], now_ts);
        claimed := start_ts <= now_ts + p_ahead_us * interval '1 microsecond';
        IF claimed THEN
            places[pick] := start_ts + p_hold_us * interval '1 microsecond';
            UPDATE bunq_oauth_budget SET free_at = places
                WHERE scope = p_scope AND place_key = p_key;
        END IF;
        wait_us := floor(extract(epoch FROM start_ts - now_ts) * 1000000)::BIGINT;
        lessons := (SELECT count(*) FROM bunq_oauth_budget_lessons l WHERE l.scope = p_scope);
        RETURN NEXT;
    END
    $$"#,
];

/// bunq's rate limits are counted per outgoing IP address. Several app
/// instances behind one address share one budget: give each instance's
/// [`ClientBuilder`](crate::ClientBuilder) a `PostgresBudget` on the same
/// database with the same scope name, and together they keep to bunq's
/// limits (what one instance learns from a 429 is shared too).
///
/// One instance per address needs none of this: the default in-process
/// budget is exact and costs no database round trip. Use this when two or
/// more instances send from one address; give instances behind different
/// addresses different scope names.
///
/// Each paced request costs one database round trip, waiting included; an
/// instance that dies costs the others at most one place per endpoint it
/// was using. If the database fails or takes over 2 s to answer, calls go
/// on paced by this instance alone (logged), and it asks the database again
/// every 5 s. Pacing alone, instances know nothing of each other: together
/// they may then exceed bunq's limits and meet 429s, which are retried
/// (bunq processes no call it answers with 429).
///
/// ```no_run
/// # async fn run() -> bunq_oauth::Result<()> {
/// use bunq_oauth::{Client, Environment, PostgresBudget};
/// let budget = PostgresBudget::connect("postgres://app@db/app", "egress-1").await?;
/// let client = Client::builder()
///     .environment(Environment::sandbox())
///     .shared_budget(budget)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresBudget {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    scope: String,
    /// How many lessons this instance has read.
    seen: AtomicU64,
    /// Lessons read but not yet taken in by the limiter.
    news: Mutex<Vec<Lesson>>,
    round_trips: AtomicU64,
    /// Per key, the turn to claim (see the module docs).
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Paces this instance alone while the database cannot be reached.
    fallback: LocalBudget,
    /// Set when the database failed: it is not asked again before then.
    retry_at: Mutex<Option<Instant>>,
    /// Merges of installations' places under way: claims wait for them, so
    /// none is made on the address's key before what it must hold is there.
    merging: AtomicU64,
    merged: tokio::sync::Notify,
}

impl fmt::Debug for PostgresBudget {
    // No URL: it may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresBudget")
            .field("scope", &self.inner.scope)
            .field("round_trips", &self.round_trips())
            .finish_non_exhaustive()
    }
}

fn db(error: sqlx::Error) -> Error {
    Error::Store(StoreError::Database(Box::new(error)))
}

impl PostgresBudget {
    /// Connects to PostgreSQL at `url` (`postgres://…`) and creates the
    /// budget's tables if they are missing. `scope` names the budget: every
    /// instance sending from the same outgoing address uses the same name.
    pub async fn connect(url: &str, scope: impl Into<String>) -> Result<Self> {
        let scope = scope.into();
        if scope.is_empty() || scope.len() > 200 {
            return Err(Error::InvalidInput(
                "a budget's scope name is 1 to 200 bytes".into(),
            ));
        }
        // sqlx's URL errors can quote the URL, password included.
        let options: PgConnectOptions = url
            .parse()
            .map_err(|_| Error::Config("the budget's URL is not a postgres:// URL".into()))?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(db)?;
        let mut tx = pool.begin().await.map_err(db)?;
        // Serialises concurrent creators: CREATE … IF NOT EXISTS and CREATE
        // OR REPLACE race each other otherwise.
        sqlx::query("SELECT pg_advisory_xact_lock(7321906453286217001)")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        let budget = PostgresBudget {
            inner: Arc::new(Inner {
                pool,
                scope,
                seen: AtomicU64::new(0),
                news: Mutex::new(Vec::new()),
                round_trips: AtomicU64::new(0),
                turns: Mutex::new(HashMap::new()),
                fallback: LocalBudget::default(),
                retry_at: Mutex::new(None),
                merging: AtomicU64::new(0),
                merged: tokio::sync::Notify::new(),
            }),
        };
        // What other instances learned before this one started applies from
        // its first call.
        budget.read_lessons().await;
        Ok(budget)
    }

    /// Database round trips this budget made so far (claims and lesson
    /// reads and writes), for measuring what sharing costs.
    pub fn round_trips(&self) -> u64 {
        self.inner.round_trips.load(Ordering::Relaxed)
    }

    fn counted(&self) {
        self.inner.round_trips.fetch_add(1, Ordering::Relaxed);
    }

    /// One claim: `Ok((claimed, wait, lessons))`.
    async fn claim(
        &self,
        name: &str,
        limit: Limit,
        hold: Duration,
        horizon: Duration,
    ) -> Result<(bool, Duration, u64)> {
        self.counted();
        let row = sqlx::query(
            "SELECT claimed, wait_us, lessons FROM bunq_oauth_take_place($1, $2, $3, $4, $5)",
        )
        .bind(&self.inner.scope)
        .bind(name)
        .bind(i32::try_from(limit.calls).unwrap_or(i32::MAX))
        .bind(micros(hold))
        .bind(micros(horizon))
        .fetch_one(&self.inner.pool)
        .await
        .map_err(db)?;
        let claimed: bool = row.try_get("claimed").map_err(db)?;
        let wait: i64 = row.try_get("wait_us").map_err(db)?;
        let lessons: i64 = row.try_get("lessons").map_err(db)?;
        let wait = Duration::from_micros(u64::try_from(wait).unwrap_or(0));
        Ok((claimed, wait, u64::try_from(lessons).unwrap_or(0)))
    }

    /// Reads the scope's lessons (all of them: there are a handful at most).
    async fn read_lessons(&self) {
        self.counted();
        let rows = sqlx::query("SELECT lesson FROM bunq_oauth_budget_lessons WHERE scope = $1")
            .bind(&self.inner.scope)
            .fetch_all(&self.inner.pool)
            .await;
        let Ok(rows) = rows else { return };
        let lessons: Vec<Lesson> = rows
            .iter()
            .filter_map(|row| row.try_get::<String, _>("lesson").ok())
            .filter_map(|line| Lesson::from_line(&line))
            .collect();
        self.inner.seen.store(rows.len() as u64, Ordering::Relaxed);
        self.inner
            .news
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(lessons);
    }

    fn database_failed(&self, error: &dyn fmt::Display) {
        let was_down = self
            .retry_at()
            .replace(Instant::now() + RETRY_AFTER)
            .is_some();
        if !was_down {
            tracing::warn!(%error, "the shared rate-limit budget's database failed: pacing this instance alone until it answers");
        }
    }

    fn retry_at(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.inner
            .retry_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// A claim, unless the database failed lately; `None` when it fails
    /// now or did lately (the caller paces alone).
    async fn try_claim(
        &self,
        name: &str,
        limit: Limit,
        hold: Duration,
        horizon: Duration,
    ) -> Option<(bool, Duration, u64)> {
        if self.retry_at().is_some_and(|at| Instant::now() < at) {
            return None;
        }
        match tokio::time::timeout(CLAIM_TIMEOUT, self.claim(name, limit, hold, horizon)).await {
            Ok(Ok(answer)) => {
                if self.retry_at().take().is_some() {
                    tracing::info!("the shared rate-limit budget's database answers again");
                }
                Some(answer)
            }
            Ok(Err(error)) => {
                self.database_failed(&error);
                None
            }
            Err(_) => {
                self.database_failed(&format_args!(
                    "no answer within {} s",
                    CLAIM_TIMEOUT.as_secs()
                ));
                None
            }
        }
    }

    /// Waits for the merges under way (at most a claim's timeout each).
    async fn merges_done(&self) {
        loop {
            // Created before the check, so a merge that ends between the
            // two still wakes it.
            let merged = self.inner.merged.notified();
            if self.inner.merging.load(Ordering::SeqCst) == 0
                || tokio::time::timeout(CLAIM_TIMEOUT, merged).await.is_err()
            {
                return;
            }
        }
    }

    /// Session-server turned out to be counted per IP: the places every
    /// installation's session-server calls hold, in every instance, move to
    /// the address's one row. In one transaction, the row locked first, so
    /// no claim on it is lost.
    async fn merge(&self, method: &Method, endpoint: &str) -> std::result::Result<(), sqlx::Error> {
        let shared = place_name(&(method.clone(), endpoint.to_owned(), 0));
        let prefix = format!("{method} {endpoint} ");
        self.counted();
        let mut tx = self.inner.pool.begin().await?;
        sqlx::query(
            "INSERT INTO bunq_oauth_budget (scope, place_key, free_at) VALUES ($1, $2, '{}') \
             ON CONFLICT (scope, place_key) DO NOTHING",
        )
        .bind(&self.inner.scope)
        .bind(&shared)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "SELECT 1 FROM bunq_oauth_budget WHERE scope = $1 AND place_key = $2 FOR UPDATE",
        )
        .bind(&self.inner.scope)
        .bind(&shared)
        .execute(&mut *tx)
        .await?;
        // The claim function keeps the busiest places if there are more
        // than the limit allows.
        sqlx::query(
            "UPDATE bunq_oauth_budget SET free_at = ARRAY(
                SELECT x FROM bunq_oauth_budget b, unnest(b.free_at) AS x
                WHERE b.scope = $1 AND left(b.place_key, length($3)) = $3
                    AND x > clock_timestamp()
                ORDER BY x DESC)
             WHERE scope = $1 AND place_key = $2",
        )
        .bind(&self.inner.scope)
        .bind(&shared)
        .bind(&prefix)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}

/// How long a claim may take before the database counts as failed.
const CLAIM_TIMEOUT: Duration = Duration::from_secs(2);

/// How long an instance paces alone after the database failed before it
/// asks it again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// The furthest ahead a claim is made. Only a queue of that length (an
/// hour's worth of one endpoint's calls) asks twice.
const CLAIM_HORIZON: Duration = Duration::from_secs(3600);

impl Lesson {
    /// The lesson as one line of text (how a shared budget stores it).
    fn to_line(&self) -> String {
        match self {
            Lesson::SessionServerPerIp => "session-server per ip".to_owned(),
            Lesson::MethodLimit(method, limit) => {
                format!(
                    "limit {method} {} {}",
                    limit.calls,
                    limit.window.as_millis()
                )
            }
        }
    }

    /// Reads [`Lesson::to_line`]'s text back; `None` for anything else (a
    /// newer version's lesson is ignored, not an error).
    fn from_line(line: &str) -> Option<Lesson> {
        if line == "session-server per ip" {
            return Some(Lesson::SessionServerPerIp);
        }
        let mut words = line.strip_prefix("limit ")?.split(' ');
        let method = Method::from_bytes(words.next()?.as_bytes()).ok()?;
        let calls = words.next()?.parse().ok()?;
        let window = Duration::from_millis(words.next()?.parse().ok()?);
        words
            .next()
            .is_none()
            .then_some(Lesson::MethodLimit(method, Limit::new(calls, window)))
    }
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

/// A key's name in the table, the same in every process.
fn place_name((method, endpoint, scope): &PlaceKey) -> String {
    format!("{method} {endpoint} {scope:016x}")
}

impl Budget for PostgresBudget {
    fn take<'a>(
        &'a self,
        key: &'a PlaceKey,
        limit: Limit,
        hold: Duration,
        horizon: Duration,
    ) -> BoxFuture<'a, Taken> {
        let horizon = horizon.min(CLAIM_HORIZON);
        Box::pin(async move {
            let name = place_name(key);
            let turn = self
                .inner
                .turns
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(name.clone())
                .or_default()
                .clone();
            // Held until this call's start: tokio's mutex is fair, so calls
            // claim in the order they came.
            let _turn = turn.lock().await;
            self.merges_done().await;
            loop {
                match self.try_claim(&name, limit, hold, horizon).await {
                    None => return self.inner.fallback.take_place(key, limit, hold).await,
                    Some((claimed, wait, lessons)) => {
                        if lessons > self.inner.seen.load(Ordering::Relaxed) {
                            self.read_lessons().await;
                        }
                        if claimed {
                            tokio::time::sleep(wait).await;
                            return Taken {
                                key: key.clone(),
                                id: 0,
                                hold,
                                shared: true,
                            };
                        }
                        // Further ahead than the claim may start (an hour,
                        // or nearly due; see Taking): ask again when within.
                        tracing::debug!(method = %key.0, endpoint = key.1, "pacing to stay inside bunq's rate limit (shared)");
                        tokio::time::sleep(wait.saturating_sub(horizon)).await;
                    }
                }
            }
        })
    }

    fn finish(&self, taken: Taken) {
        if !taken.shared {
            self.inner.fallback.finish_place(taken);
        }
    }

    fn merge_installations(
        &self,
        method: &Method,
        endpoint: &str,
        own: Option<u64>,
        hold: Duration,
    ) {
        // This instance's own places while it paced alone.
        self.inner
            .fallback
            .merge_installations(method, endpoint, own, hold);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (budget, method, endpoint) = (self.clone(), method.clone(), endpoint.to_owned());
        self.inner.merging.fetch_add(1, Ordering::SeqCst);
        runtime.spawn(async move {
            let merged =
                tokio::time::timeout(CLAIM_TIMEOUT, budget.merge(&method, &endpoint)).await;
            match merged {
                Ok(Ok(())) => {}
                Ok(Err(error)) => budget.database_failed(&db(error)),
                Err(_) => budget.database_failed(&"a merge took over 2 s"),
            }
            budget.inner.merging.fetch_sub(1, Ordering::SeqCst);
            budget.inner.merged.notify_waiters();
        });
    }

    fn teach(&self, lesson: Lesson) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let budget = self.clone();
        runtime.spawn(async move {
            budget.counted();
            let written = sqlx::query(
                "INSERT INTO bunq_oauth_budget_lessons (scope, lesson) VALUES ($1, $2) \
                 ON CONFLICT (scope, lesson) DO NOTHING",
            )
            .bind(&budget.inner.scope)
            .bind(lesson.to_line())
            .execute(&budget.inner.pool)
            .await;
            if let Err(error) = written {
                budget.database_failed(&db(error));
            }
        });
    }

    fn news(&self) -> Vec<Lesson> {
        std::mem::take(&mut *self.inner.news.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lessons_read_back_as_written() {
        for lesson in [
            Lesson::SessionServerPerIp,
            Lesson::MethodLimit(Method::DELETE, Limit::new(1, Duration::from_millis(2500))),
        ] {
            assert_eq!(Lesson::from_line(&lesson.to_line()), Some(lesson));
        }
        // A newer version's lesson, or a damaged one, is ignored.
        for line in [
            "limit DELETE 1",
            "limit DELETE x 3000",
            "limit DELETE 1 3000 extra",
            "per ip",
        ] {
            assert_eq!(Lesson::from_line(line), None, "{line}");
        }
    }
}
