//! The load test: app instances as separate processes on one PostgreSQL serve
//! many connected users against the fake bunq with bunq's rate limits on.
//!
//! ```sh
//! .ci/load            # the full run: 1,000 users, 90 s per phase (docs/scaling.md)
//! .ci/load --short    # what CI runs: 60 users, 30 s per phase
//! ```
//!
//! (`.ci/load` starts a throwaway PostgreSQL as `.ci/test` does; with
//! `BUNQ_OAUTH_TEST_POSTGRES` set, `cargo run --release --example load
//! --features sqlite,postgres -- [--short]` runs it directly.)
//!
//! The coordinator (this program without `--instance`) starts the fake bunq,
//! connects the users through the whole OAuth flow into one `SqlStore`, turns
//! bunq's limits on and runs three phases of the same workload: one instance
//! pacing alone, three instances sharing one `PostgresBudget`, and three
//! again with one SIGKILLed half-way. Each instance serves every user (as
//! behind a load balancer): account and payment reads, payments between a
//! user's own accounts, draft-payments. A third of the way into each phase
//! the fake expires the sessions of a few busy users. At the end it reads
//! the fake's books and prints one table, and `--json FILE` writes the
//! figures. It fails (exit 1) when a goal is missed: a 429, a duplicated or
//! lost write, more than one session-server call per expired session, or
//! less than the budget share asked for (`--min-share`, 0.90 by default).

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bunq_oauth::api::{Amount, types};
use bunq_oauth::store::{AppUserId, ContextKey, ContextStore, EncryptionKey, SqlStore};
use bunq_oauth::{
    ApiContext, Client, Environment, LimitScope, OAuthConfig, PagedList, PostgresBudget,
    RateLimits, Session, parse_callback,
};
use bunq_oauth_fake::{FakeBunq, FakeConfig, FakeStats};
use futures::StreamExt;
use serde_json::{Value, json};

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The endpoints the workload uses, as the fake counts them, with bunq's
/// limit on each: calls per 3 s.
const ENDPOINTS: &[(&str, u32)] = &[
    ("GET /v1/user/{id}/monetary-account", 3),
    ("GET /v1/user/{id}/monetary-account/{id}/payment", 3),
    ("POST /v1/user/{id}/monetary-account/{id}/payment", 5),
    ("POST /v1/user/{id}/monetary-account/{id}/draft-payment", 5),
];
const WINDOW: Duration = Duration::from_secs(3);

/// How a run is sized.
#[derive(Debug, Clone)]
struct Plan {
    users: usize,
    instances: usize,
    seconds: u64,
    workers: usize,
    /// Users whose sessions the fake expires in each phase.
    expire: usize,
    min_share: f64,
    json: Option<PathBuf>,
    /// Also run the instances each pacing alone (the full run does).
    control: bool,
    /// Hold the phases to no 429 at all. A shared place counts from its
    /// call's start, so a call the machine delays past the margin may meet
    /// one (retried, never a lost or doubled write); CI's short run on a
    /// shared machine holds them to "retried", the full run to 0.
    no_429: bool,
}

impl Plan {
    fn from_args(args: &[String]) -> Result<Plan, Failure> {
        let short = args.iter().any(|a| a == "--short");
        let mut plan = if short {
            Plan {
                users: 60,
                instances: 3,
                seconds: 30,
                workers: 16,
                expire: 1,
                min_share: 0.90,
                json: None,
                control: false,
                no_429: false,
            }
        } else {
            Plan {
                users: 1000,
                instances: 3,
                seconds: 90,
                // Eight per kind of call: enough that those held up by an
                // expired session (its renewal waits up to 30 s for
                // session-server) do not leave an endpoint idle, even with
                // one instance of three killed; few enough that a call waits
                // seconds, not minutes, for its place.
                workers: 32,
                expire: 2,
                min_share: 0.90,
                json: None,
                control: true,
                no_429: true,
            }
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--short" => {}
                "--users" => plan.users = value()?.parse()?,
                "--instances" => plan.instances = value()?.parse()?,
                "--seconds" => plan.seconds = value()?.parse()?,
                "--workers" => plan.workers = value()?.parse()?,
                "--min-share" => plan.min_share = value()?.parse()?,
                "--json" => plan.json = Some(PathBuf::from(value()?)),
                other => return Err(format!("unknown argument {other}").into()),
            }
        }
        if plan.users < 10 || plan.instances < 2 || plan.seconds < 20 || plan.workers < 4 {
            return Err("at least 10 users, 2 instances, 20 s per phase and 4 workers".into());
        }
        Ok(plan)
    }

    /// Workers per instance: the same workload in every phase, split over
    /// its instances, a multiple of four (one per kind of call).
    fn workers_each(&self, instances: usize) -> usize {
        (self.workers / instances).div_ceil(4) * 4
    }
}

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if args.first().map(String::as_str) == Some("--instance") {
        return runtime.block_on(instance::run());
    }
    let plan = Plan::from_args(&args)?;
    let passed = runtime.block_on(coordinate(plan))?;
    if !passed {
        std::process::exit(1);
    }
    Ok(())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One connected user, as the instances are told about them.
#[derive(Debug, Clone)]
struct User {
    app_user: u64,
    bunq_user: u64,
    main: u64,
    savings_iban: String,
}

async fn coordinate(plan: Plan) -> Result<bool, Failure> {
    let admin = std::env::var("BUNQ_OAUTH_TEST_POSTGRES").map_err(|_| {
        "set BUNQ_OAUTH_TEST_POSTGRES to a PostgreSQL admin URL (or run .ci/load, which starts one)"
    })?;
    let database = new_database(&admin).await?;
    let scratch = tempfile::tempdir()?;
    println!(
        "load test: {} users, {} instances, {} s per phase, {} workers split over the instances",
        plan.users, plan.instances, plan.seconds, plan.workers
    );

    let fake = FakeBunq::start_with(
        FakeConfig::new()
            .session_timeout(Duration::from_secs(3600))
            .approve_after(Some(Duration::from_secs(2))),
    )
    .await?;
    let key = EncryptionKey::generate()?;
    let store: Arc<dyn ContextStore> =
        Arc::new(SqlStore::connect(&database, EncryptionKey::parse(&key.to_base64())?).await?);
    let started = std::time::Instant::now();
    let users = connect_users(&fake, &store, plan.users).await?;
    println!(
        "connected {} users through the OAuth flow in {:.1} s",
        users.len(),
        started.elapsed().as_secs_f64()
    );
    let users_file = scratch.path().join("users.txt");
    let mut lines = String::new();
    for user in &users {
        lines.push_str(&format!(
            "{} {} {} {}\n",
            user.app_user, user.bunq_user, user.main, user.savings_iban
        ));
    }
    std::fs::write(&users_file, lines)?;

    fake.set_rate_limits(Some(bunq_oauth_fake::RateLimits::default()));
    let setup = Setup {
        fake: &fake,
        database: &database,
        key: key.to_base64(),
        users: &users,
        users_file: &users_file,
        scratch: scratch.path(),
    };
    let mut phases = Vec::new();
    let mut phase_list = vec![
        ("1 instance", 1, false, false),
        ("shared budget", plan.instances, true, false),
        ("shared, one killed", plan.instances, true, true),
    ];
    if plan.control {
        // What the shared budget prevents: each instance pacing alone.
        phase_list.push(("each alone (control)", plan.instances, false, false));
    }
    // Between phases, bunq's session-server window (30 s) passes since the
    // last renewal, which came a third of the way in at the latest (the
    // next phase's comes a third of the way in at the earliest).
    let gap = Duration::from_secs(31)
        .saturating_sub(startup(&plan))
        .saturating_sub(Duration::from_secs(plan.seconds / 3))
        .max(Duration::from_secs(5));
    for (index, (name, instances, shared, kill)) in phase_list.into_iter().enumerate() {
        if index > 0 {
            tokio::time::sleep(gap).await;
        }
        let mut phase = run_phase(&setup, &plan, index, name, instances, shared, kill).await?;
        phase.control = name.ends_with("(control)");
        phase.print_progress();
        phases.push(phase);
    }
    let passed = report(&plan, &phases);
    if let Some(path) = &plan.json {
        let figures: Vec<Value> = phases.iter().map(Phase::to_json).collect();
        std::fs::write(
            path,
            serde_json::to_vec_pretty(&json!({
                "users": plan.users,
                "instances": plan.instances,
                "seconds": plan.seconds,
                "workers": plan.workers,
                "phases": figures,
                "passed": passed,
            }))?,
        )?;
    }
    drop_database(&admin, &database).await;
    Ok(passed)
}

async fn new_database(admin: &str) -> Result<String, Failure> {
    use sqlx::Connection;
    let name = format!("bunq_oauth_load_{}", now_ms());
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let mut url = url::Url::parse(admin)?;
    url.set_path(&name);
    Ok(url.to_string())
}

async fn drop_database(admin: &str, database: &str) {
    use sqlx::Connection;
    let Some(name) = database.rsplit('/').next() else {
        return;
    };
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

/// The owner's OAuth client, then each user through bunq's authorize page,
/// the code exchange and the connection, into the store (limits off: this
/// is the set-up, not the test).
async fn connect_users(
    fake: &FakeBunq,
    store: &Arc<dyn ContextStore>,
    count: usize,
) -> Result<Vec<User>, Failure> {
    let client = Client::builder()
        .environment(fake.environment())
        .rate_limits(None)
        .build()?;
    let owner = ApiContext::create(&client, fake.owner_api_key(), "load test owner").await?;
    let owner = Session::new(&client, owner)?;
    let redirect = "https://load.example/oauth/callback";
    let oauth_client = owner.oauth_client_manager().ensure_active().await?;
    owner
        .callback_url_manager(oauth_client.id)
        .ensure(redirect)
        .await?;
    let oauth_client = owner.oauth_client_manager().get(oauth_client.id).await?;
    let config = OAuthConfig::for_client(&oauth_client, redirect)?;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()?;
    let done = AtomicU64::new(0);
    let connect = |n: usize| {
        let (client, config, browser, store, done) = (&client, &config, &browser, store, &done);
        async move {
            let (person, [main, savings]) = fake.add_person(&format!("Load User {n}"), "100000.00");
            let request = config.authorize_url(&fake.environment())?;
            let mut url = request.url().clone();
            url.query_pairs_mut()
                .append_pair("fake_user", &person.0.to_string());
            let answer = browser.get(url.as_str()).send().await?;
            let location = answer
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .ok_or("the authorize page did not redirect")?
                .to_owned();
            let code = parse_callback(&location, request.state())?;
            let token = config.exchange_code(client, &code).await?;
            let context = ApiContext::for_access_token(client, &token, "load test").await?;
            let bunq_user = context.user_id().0;
            let app_user = store.add_user(&context).await?;
            let connected = done.fetch_add(1, Ordering::Relaxed) + 1;
            if connected % 100 == 0 {
                println!("  {connected} users connected");
            }
            Ok::<User, Failure>(User {
                app_user: app_user.0,
                bunq_user,
                main,
                savings_iban: fake
                    .account_iban(savings)
                    .ok_or("the savings account has no IBAN")?,
            })
        }
    };
    let users: Vec<Result<User, Failure>> = futures::stream::iter(0..count)
        .map(connect)
        .buffer_unordered(8)
        .collect()
        .await;
    users.into_iter().collect()
}

struct Setup<'a> {
    fake: &'a FakeBunq,
    database: &'a str,
    key: String,
    users: &'a [User],
    users_file: &'a Path,
    scratch: &'a Path,
}

/// What one phase measured.
#[derive(Debug, Default)]
struct Phase {
    name: String,
    instances: usize,
    seconds: u64,
    /// Requests to the workload's endpoints the fake answered in the phase.
    endpoint_requests: BTreeMap<String, u64>,
    requests_total: u64,
    rate_limited: u64,
    budget_share: f64,
    ops_ok: u64,
    ops_failed: u64,
    errors: BTreeMap<String, u64>,
    p50_ms: u64,
    p99_ms: u64,
    round_trips_per_request: f64,
    /// How late the slowest instance started its workers (loading every
    /// user's session from the store), in ms after the phase's clock.
    late_ms: u64,
    /// CPU time the instances spent in the phase (their workers' span).
    instance_cpu_ms: u64,
    /// CPU time of this process (the fake, mostly) over the phase.
    fake_cpu_ms: u64,
    expired_users: Vec<u64>,
    /// Session-server calls per expired user in the phase.
    renewals_of_expired: Vec<u64>,
    /// Session-server calls of users whose sessions were not expired.
    other_renewals: u64,
    writes_recorded: u64,
    writes_duplicated: u64,
    writes_lost: u64,
    /// Writes in flight when an instance was killed: sent or not.
    writes_unknown: u64,
    writes_unknown_made: u64,
    killed: bool,
    /// Run to show what happens without a shared budget: not held to the goals.
    control: bool,
}

impl Phase {
    fn print_progress(&self) {
        println!(
            "phase \"{}\": {} ops ok, {} failed, {} 429s, budget share {:.1}%, \
             slowest instance started {} ms late, CPU: instances {} ms, fake {} ms",
            self.name,
            self.ops_ok,
            self.ops_failed,
            self.rate_limited,
            self.budget_share * 100.0,
            self.late_ms,
            self.instance_cpu_ms,
            self.fake_cpu_ms
        );
    }

    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "control": self.control,
            "killed": self.killed,
            "instances": self.instances,
            "seconds": self.seconds,
            "requests_total": self.requests_total,
            "endpoint_requests": self.endpoint_requests,
            "rate_limited": self.rate_limited,
            "budget_share": self.budget_share,
            "ops_ok": self.ops_ok,
            "ops_failed": self.ops_failed,
            "errors": self.errors,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "db_round_trips_per_request": self.round_trips_per_request,
            "instance_late_ms": self.late_ms,
            "instance_cpu_ms": self.instance_cpu_ms,
            "fake_cpu_ms": self.fake_cpu_ms,
            "expired_users": self.expired_users,
            "session_servers_per_expired_user": self.renewals_of_expired,
            "other_session_servers": self.other_renewals,
            "writes_recorded": self.writes_recorded,
            "writes_duplicated": self.writes_duplicated,
            "writes_lost": self.writes_lost,
            "writes_unknown_at_kill": self.writes_unknown,
            "writes_unknown_at_kill_made": self.writes_unknown_made,
        })
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_phase(
    setup: &Setup<'_>,
    plan: &Plan,
    index: usize,
    name: &str,
    instances: usize,
    shared: bool,
    kill: bool,
) -> Result<Phase, Failure> {
    let fake = setup.fake;
    let start_ms = now_ms() + startup(plan).as_millis() as u64;
    let seconds = plan.seconds;
    let mut children: Vec<(Child, PathBuf)> = Vec::new();
    for instance in 0..instances {
        let report = setup
            .scratch
            .join(format!("phase{index}-instance{instance}.jsonl"));
        let environment = fake.environment();
        let child = Command::new(std::env::current_exe()?)
            .arg("--instance")
            .env("LOAD_INSTANCE", instance.to_string())
            .env("LOAD_DATABASE", setup.database)
            .env("LOAD_KEY", &setup.key)
            .env("LOAD_API", environment.api_url())
            .env("LOAD_AUTHORIZE", environment.oauth_authorize_url().as_str())
            .env("LOAD_TOKEN", environment.oauth_token_url().as_str())
            .env("LOAD_USERS", setup.users_file)
            .env("LOAD_START_MS", start_ms.to_string())
            .env("LOAD_SECONDS", seconds.to_string())
            .env("LOAD_WORKERS", plan.workers_each(instances).to_string())
            .env(
                "LOAD_SHARED",
                if shared {
                    "phase".to_owned() + &index.to_string()
                } else {
                    String::new()
                },
            )
            .env("LOAD_REPORT", &report)
            .spawn()?;
        children.push((child, report));
    }

    // The phase's clock, on the fake's books.
    sleep_until_ms(start_ms).await;
    let before = fake.stats();
    let cpu = cpu_time::ProcessTime::now();
    // A third of the way in, the sessions of a few busy users expire (the
    // workload's first users are its busiest).
    sleep_until_ms(start_ms + seconds * 1000 / 3).await;
    let expired: Vec<u64> = setup
        .users
        .iter()
        .take(plan.expire)
        .map(|u| u.bunq_user)
        .collect();
    for user in &expired {
        fake.expire_sessions_of(bunq_oauth::UserId(*user));
    }
    if kill {
        sleep_until_ms(start_ms + seconds * 1000 / 2).await;
        let (victim, _) = &mut children[0];
        victim.kill()?;
        println!("  killed instance 0 (SIGKILL) at {} s", seconds / 2);
    }
    sleep_until_ms(start_ms + seconds * 1000).await;
    let after = fake.stats();
    let fake_cpu = cpu.elapsed();
    // Instances finish their last calls and write their summaries.
    for (child, _) in &mut children {
        let _ = tokio::task::block_in_place(|| child.wait());
    }
    // Grace for the calls still in flight at the end (they are outside the
    // phase's count but their writes are checked).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let end = fake.stats();

    let mut phase = Phase {
        name: name.to_owned(),
        instances,
        seconds,
        killed: kill,
        fake_cpu_ms: fake_cpu.as_millis() as u64,
        expired_users: expired.clone(),
        ..Phase::default()
    };
    count_requests(&mut phase, &before, &after, seconds);
    for user in &expired {
        let calls = |s: &FakeStats| s.session_servers_by_user.get(user).copied().unwrap_or(0);
        phase.renewals_of_expired.push(calls(&end) - calls(&before));
    }
    let renewals = end.session_servers - before.session_servers;
    phase.other_renewals = renewals - phase.renewals_of_expired.iter().sum::<u64>();

    let mut latencies = Vec::new();
    let mut round_trips = 0;
    let mut requests = 0;
    let mut recorded = Vec::new();
    let mut unknown = Vec::new();
    for (_, report) in &children {
        let summary = read_report(report, &mut recorded, &mut unknown)?;
        if let Some(summary) = summary {
            phase.ops_ok += summary["ops_ok"].as_u64().unwrap_or(0);
            phase.ops_failed += summary["ops_failed"].as_u64().unwrap_or(0);
            round_trips += summary["round_trips"].as_u64().unwrap_or(0);
            phase.instance_cpu_ms += summary["cpu_ms"].as_u64().unwrap_or(0);
            phase.late_ms = phase.late_ms.max(summary["late_ms"].as_u64().unwrap_or(0));
            requests += summary["requests"].as_u64().unwrap_or(0);
            if let Some(errors) = summary["errors"].as_object() {
                for (error, count) in errors {
                    *phase.errors.entry(error.clone()).or_default() += count.as_u64().unwrap_or(0);
                }
            }
            latencies.extend(
                summary["latencies_ms"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_u64),
            );
        }
    }
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    phase.p50_ms = at(0.50);
    phase.p99_ms = at(0.99);
    phase.round_trips_per_request = if requests == 0 {
        0.0
    } else {
        round_trips as f64 / requests as f64
    };
    check_writes(&mut phase, fake, index, &recorded, &unknown);
    Ok(phase)
}

/// Time for the instances to start and load every user's context before
/// a phase's clock starts.
fn startup(plan: &Plan) -> Duration {
    Duration::from_millis(4000 + plan.users as u64 * 8)
}

async fn sleep_until_ms(at: u64) {
    let now = now_ms();
    if at > now {
        tokio::time::sleep(Duration::from_millis(at - now)).await;
    }
}

fn count_requests(phase: &mut Phase, before: &FakeStats, after: &FakeStats, seconds: u64) {
    phase.requests_total = after.requests_total - before.requests_total;
    phase.rate_limited = after.rate_limited - before.rate_limited;
    let mut used = 0.0;
    let mut budget = 0.0;
    for (endpoint, calls) in ENDPOINTS {
        let count = |s: &FakeStats| s.by_endpoint.get(*endpoint).copied().unwrap_or(0);
        let made = count(after) - count(before);
        phase.endpoint_requests.insert((*endpoint).to_owned(), made);
        used += made as f64;
        budget += f64::from(*calls) * seconds as f64 / WINDOW.as_secs_f64();
    }
    phase.budget_share = used / budget;
}

/// Reads an instance's report: writes it recorded, writes in flight, and
/// its summary (none if it was killed).
fn read_report(
    path: &Path,
    recorded: &mut Vec<(String, String, u64)>,
    unknown: &mut Vec<(String, String)>,
) -> Result<Option<Value>, Failure> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(None);
    };
    let mut intents: BTreeMap<String, String> = BTreeMap::new();
    let mut summary = None;
    for line in std::io::BufReader::new(file).lines() {
        let line = line?;
        // A line cut by SIGKILL is not a record.
        let Ok(value) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let text = |k: &str| value[k].as_str().unwrap_or_default().to_owned();
        if value.get("intent").is_some() {
            intents.insert(text("intent"), text("kind"));
        } else if let Some(id) = value["wrote"].as_u64() {
            intents.remove(&text("description"));
            recorded.push((text("kind"), text("description"), id));
        } else if value.get("failed").is_some() {
            // Refused by bunq with an answer: nothing was made.
            intents.remove(&text("failed"));
        } else if value.get("summary").is_some() {
            summary = Some(value["summary"].clone());
        }
    }
    unknown.extend(intents.into_iter().map(|(d, k)| (k, d)));
    Ok(summary)
}

/// Every write recorded is in the fake exactly once, no write is there
/// twice, and writes in flight at a kill are there at most once.
fn check_writes(
    phase: &mut Phase,
    fake: &FakeBunq,
    index: usize,
    recorded: &[(String, String, u64)],
    unknown: &[(String, String)],
) {
    let prefix = format!("load p{index} ");
    let mut made: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for payment in fake.objects_of_kind("Payment") {
        let outgoing = payment["amount"]["value"]
            .as_str()
            .is_some_and(|v| v.starts_with('-'));
        let description = payment["description"].as_str().unwrap_or_default();
        if outgoing && description.starts_with(&prefix) {
            let id = payment["id"].as_u64().unwrap_or(0);
            made.entry(description.to_owned()).or_default().push(id);
        }
    }
    for draft in fake.objects_of_kind("DraftPayment") {
        let description = draft["entries"][0]["description"]
            .as_str()
            .unwrap_or_default();
        if description.starts_with(&prefix) {
            let id = draft["id"].as_u64().unwrap_or(0);
            made.entry(description.to_owned()).or_default().push(id);
        }
    }
    // A draft-payment approved becomes a payment to someone else: those
    // payments are the draft's, not a second write.
    phase.writes_recorded = recorded.len() as u64;
    for (_, description, id) in recorded {
        match made.get(description) {
            Some(ids) if ids.contains(id) => {}
            _ => phase.writes_lost += 1,
        }
    }
    for (description, ids) in &made {
        let extra = ids.len().saturating_sub(1) as u64;
        // An approved draft-payment's own payment shares its description.
        let drafts_paid = u64::from(ids.len() == 2 && description.contains(" draft "));
        phase.writes_duplicated += extra - drafts_paid;
    }
    phase.writes_unknown = unknown.len() as u64;
    phase.writes_unknown_made = unknown
        .iter()
        .filter(|(_, description)| made.contains_key(description))
        .count() as u64;
}

fn report(plan: &Plan, phases: &[Phase]) -> bool {
    println!();
    println!(
        "{:<22} {:>9} {:>6} {:>7} {:>8} {:>8} {:>9} {:>11} {:>10} {:>8}",
        "phase",
        "answered",
        "429s",
        "budget",
        "p50 ms",
        "p99 ms",
        "db rt/req",
        "renewals*",
        "dup/lost",
        "failed"
    );
    let mut passed = true;
    for phase in phases {
        let renewals_ok =
            phase.renewals_of_expired.iter().all(|n| *n <= 1) && phase.other_renewals == 0;
        let writes_ok = phase.writes_duplicated == 0 && phase.writes_lost == 0;
        // A killed instance's claims ahead are lost (one place per endpoint
        // at most): the killed phase is held to the same goal.
        let share_ok = phase.budget_share >= plan.min_share;
        let ok = phase.control
            || ((phase.rate_limited == 0 || !plan.no_429)
                && renewals_ok
                && writes_ok
                && share_ok
                && phase.ops_failed == 0);
        passed &= ok;
        println!(
            "{:<22} {:>9} {:>6} {:>6.1}% {:>8} {:>8} {:>9.2} {:>11} {:>10} {:>8}{}",
            phase.name,
            phase.requests_total,
            phase.rate_limited,
            phase.budget_share * 100.0,
            phase.p50_ms,
            phase.p99_ms,
            phase.round_trips_per_request,
            format!("{:?}+{}", phase.renewals_of_expired, phase.other_renewals),
            format!("{}/{}", phase.writes_duplicated, phase.writes_lost),
            phase.ops_failed,
            if ok { "" } else { "  <- goal missed" }
        );
        if !phase.errors.is_empty() {
            println!("    errors: {:?}", phase.errors);
        }
        if phase.killed {
            println!(
                "    killed instance: {} writes in flight, {} of them made (each at most once)",
                phase.writes_unknown, phase.writes_unknown_made
            );
        }
    }
    println!(
        "* session-server calls per expired user (goal: 1 each) + for anyone else (goal: 0); \
         budget = share of bunq's limits on the workload's {} endpoints (goal >= {:.0}%); \
         429s: goal {}",
        ENDPOINTS.len(),
        plan.min_share * 100.0,
        if plan.no_429 {
            "0"
        } else {
            "every one retried, no call failed (--short)"
        }
    );
    println!(
        "{}",
        if passed {
            "all goals met"
        } else {
            "GOALS MISSED"
        }
    );
    passed
}

/// One app instance: its own process, every user's session from the
/// store, a pool of workers, a report file.
mod instance {
    use super::*;
    use rand_like::Rng;

    fn env(name: &str) -> Result<String, Failure> {
        std::env::var(name).map_err(|_| format!("{name} is not set").into())
    }

    pub(super) async fn run() -> Result<(), Failure> {
        let instance: usize = env("LOAD_INSTANCE")?.parse()?;
        let database = env("LOAD_DATABASE")?;
        let key = EncryptionKey::parse(&env("LOAD_KEY")?)?;
        let environment = Environment::custom(
            &env("LOAD_API")?,
            &env("LOAD_AUTHORIZE")?,
            &env("LOAD_TOKEN")?,
        )?;
        let start_ms: u64 = env("LOAD_START_MS")?.parse()?;
        let seconds: u64 = env("LOAD_SECONDS")?.parse()?;
        let workers: usize = env("LOAD_WORKERS")?.parse()?;
        let shared = env("LOAD_SHARED")?;
        let report_path = env("LOAD_REPORT")?;
        let phase = report_path
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_prefix("phase"))
            .and_then(|f| f.chars().next())
            .unwrap_or('0');

        let users: Vec<User> = std::fs::read_to_string(env("LOAD_USERS")?)?
            .lines()
            .filter_map(|line| {
                let mut words = line.split(' ');
                Some(User {
                    app_user: words.next()?.parse().ok()?,
                    bunq_user: words.next()?.parse().ok()?,
                    main: words.next()?.parse().ok()?,
                    savings_iban: words.next()?.to_owned(),
                })
            })
            .collect();
        // bunq counts session-server per IP on the pages that say so; an
        // app that knows it says so instead of learning it from a 429.
        let limits = RateLimits::default().with_session_server_scope(LimitScope::Ip);
        let mut builder = Client::builder()
            .environment(environment)
            .rate_limits(Some(limits));
        let budget = if shared.is_empty() {
            None
        } else {
            let budget = PostgresBudget::connect(&database, shared).await?;
            builder = builder.shared_budget(budget.clone());
            Some(budget)
        };
        let client = builder.build()?;
        let store: Arc<dyn ContextStore> = Arc::new(SqlStore::connect(&database, key).await?);
        let mut sessions = Vec::with_capacity(users.len());
        for user in &users {
            let session = Session::from_store(
                &client,
                store.clone(),
                ContextKey::User(AppUserId(user.app_user)),
            )
            .await?;
            sessions.push(session);
        }

        let report = Arc::new(Report::open(&report_path)?);
        let late_ms = now_ms().saturating_sub(start_ms);
        super::sleep_until_ms(start_ms).await;
        let cpu = cpu_time::ProcessTime::now();
        let deadline = tokio::time::Instant::now()
            + Duration::from_millis((start_ms + seconds * 1000).saturating_sub(now_ms()));
        let users = Arc::new(users);
        let sessions = Arc::new(sessions);
        let mut tasks = Vec::new();
        for worker in 0..workers {
            let (users, sessions, report) = (users.clone(), sessions.clone(), report.clone());
            let seed = (instance * 1000 + worker) as u64 + start_ms;
            tasks.push(tokio::spawn(async move {
                let mut rng = Rng::new(seed);
                let mut seq = 0u64;
                while tokio::time::Instant::now() < deadline {
                    // Half the calls go to the first ten users (the busy
                    // ones), the rest anywhere.
                    let n = if rng.below(2) == 0 {
                        rng.below(10.min(users.len() as u64))
                    } else {
                        rng.below(users.len() as u64)
                    } as usize;
                    let (user, session) = (&users[n], &sessions[n]);
                    seq += 1;
                    // Each kind of call has its own workers, as an app's
                    // features call bunq independently: a kind bunq allows
                    // less of never holds back another (with one pool, the
                    // workers gather in the slowest kind's queue).
                    let op = worker % 4;
                    let description = format!(
                        "load p{phase} i{instance} w{worker} {} #{seq}",
                        if op == 3 { "draft" } else { "pay" }
                    );
                    let started = std::time::Instant::now();
                    let result = match op {
                        0 => session.account_summaries().list().await.map(|_| ()),
                        1 => session
                            .api()
                            .payments(user.main as i64)
                            .list()
                            .await
                            .map(|_| ()),
                        2 => pay(session, user, &description, &report).await,
                        _ => draft(session, user, &description, &report).await,
                    };
                    report.op(started.elapsed(), result);
                }
            }));
        }
        for task in tasks {
            task.await?;
        }
        let cpu_ms = cpu.elapsed().as_millis() as u64;
        let requests = report.requests.load(Ordering::Relaxed);
        report.summary(Summary {
            round_trips: budget.map_or(0, |b| b.round_trips()),
            requests,
            late_ms,
            cpu_ms,
        })?;
        Ok(())
    }

    async fn pay(
        session: &Session,
        user: &User,
        description: &str,
        report: &Report,
    ) -> bunq_oauth::Result<()> {
        let body = types::Payment {
            amount: Some(Amount::new("0.01", "EUR")?),
            counterparty_alias: Some(types::CounterpartyAlias {
                type_: Some("IBAN".into()),
                value: Some(user.savings_iban.clone()),
                name: Some("Savings".into()),
                ..Default::default()
            }),
            description: Some(description.to_owned()),
            ..Default::default()
        };
        report.intent("payment", description);
        let made = session.api().payments(user.main as i64).create(&body).await;
        report.outcome("payment", description, &made);
        made.map(|_| ())
    }

    async fn draft(
        session: &Session,
        user: &User,
        description: &str,
        report: &Report,
    ) -> bunq_oauth::Result<()> {
        let body = types::DraftPayment {
            entries: vec![types::DraftPaymentEntry {
                amount: Some(Amount::new("0.02", "EUR")?),
                counterparty_alias: Some(types::CounterpartyAlias {
                    type_: Some("IBAN".into()),
                    value: Some("NL91ABNA0417164300".into()),
                    name: Some("Landlord".into()),
                    ..Default::default()
                }),
                description: Some(description.to_owned()),
                ..Default::default()
            }],
            number_of_required_accepts: 1.into(),
            previous_updated_timestamp: None,
            schedule: None,
            status: None,
        };
        report.intent("draft-payment", description);
        let made = session
            .api()
            .draft_payments(user.main as i64)
            .create(&body)
            .await;
        report.outcome("draft-payment", description, &made);
        made.map(|_| ())
    }

    /// What the workers did: ops that succeeded, that failed (by error),
    /// and the latency of each success.
    #[derive(Default)]
    struct Tally {
        ok: u64,
        failed: u64,
        errors: BTreeMap<String, u64>,
        latencies_ms: Vec<u64>,
    }

    /// An instance's counts at the end of its phase.
    struct Summary {
        round_trips: u64,
        requests: u64,
        late_ms: u64,
        cpu_ms: u64,
    }

    /// The instance's report file: a line per write intent and outcome as
    /// they happen (so a SIGKILL leaves what was known), then a summary.
    struct Report {
        file: std::sync::Mutex<std::fs::File>,
        requests: AtomicU64,
        ops: std::sync::Mutex<Tally>,
    }

    impl Report {
        fn open(path: &str) -> Result<Report, Failure> {
            Ok(Report {
                file: std::sync::Mutex::new(std::fs::File::create(path)?),
                requests: AtomicU64::new(0),
                ops: std::sync::Mutex::new(Tally::default()),
            })
        }

        fn line(&self, value: Value) {
            let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(file, "{value}");
        }

        fn intent(&self, kind: &str, description: &str) {
            self.line(json!({"intent": description, "kind": kind}));
        }

        fn outcome<T: std::fmt::Display>(
            &self,
            kind: &str,
            description: &str,
            made: &bunq_oauth::Result<T>,
        ) {
            match made {
                Ok(id) => {
                    let id: u64 = id.to_string().parse().unwrap_or(0);
                    self.line(json!({"wrote": id, "kind": kind, "description": description}));
                }
                // bunq answered: nothing was made.
                Err(bunq_oauth::Error::Api(_)) => self.line(json!({"failed": description})),
                // No answer: the outcome stays unknown (an intent).
                Err(_) => {}
            }
        }

        fn op(&self, took: Duration, result: bunq_oauth::Result<()>) {
            self.requests.fetch_add(1, Ordering::Relaxed);
            let mut ops = self.ops.lock().unwrap_or_else(|p| p.into_inner());
            match result {
                Ok(()) => {
                    ops.ok += 1;
                    ops.latencies_ms.push(took.as_millis() as u64);
                }
                Err(error) => {
                    ops.failed += 1;
                    let kind = format!("{error}").chars().take(120).collect::<String>();
                    *ops.errors.entry(kind).or_default() += 1;
                }
            }
        }

        fn summary(&self, counts: Summary) -> Result<(), Failure> {
            let ops = self.ops.lock().unwrap_or_else(|p| p.into_inner());
            self.line(json!({"summary": {
                "ops_ok": ops.ok,
                "ops_failed": ops.failed,
                "errors": ops.errors,
                "latencies_ms": ops.latencies_ms,
                "round_trips": counts.round_trips,
                "requests": counts.requests,
                "late_ms": counts.late_ms,
                "cpu_ms": counts.cpu_ms,
            }}));
            Ok(())
        }
    }
}

/// A small deterministic generator (xorshift), so the workload needs no
/// dependency and each worker's choices are reproducible from its seed.
mod rand_like {
    pub(super) struct Rng(u64);

    impl Rng {
        pub(super) fn new(seed: u64) -> Rng {
            Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }

        /// A number in `0..n` (`n` > 0).
        pub(super) fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n.max(1)
        }
    }
}
