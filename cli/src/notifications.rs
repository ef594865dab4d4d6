//! `bunq-oauth notifications …`: the user's notification filters, failed
//! callbacks, and `listen`, a local receiver that prints each event.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use bunq_oauth::api::types;
use bunq_oauth::notifications::{CallbackReceiver, Notification, SourceCheck};
use bunq_oauth::{MonetaryAccountId, NotificationFilter, NotificationFilters, Session};
use clap::{Args, Subcommand};
use serde_json::json;
use tokio::sync::mpsc;

use crate::CliError;
use crate::output::{Columns, Output};

#[derive(Subcommand, Debug)]
pub enum NotificationsCommand {
    /// Add filters: bunq POSTs the events of each category to the URL.
    Set {
        /// A category (MUTATION, PAYMENT, DRAFT_PAYMENT, REQUEST, OAUTH, …); repeatable.
        #[arg(long, required = true)]
        category: Vec<String>,
        /// The https URL bunq posts to.
        #[arg(long)]
        url: String,
        #[command(flatten)]
        on: On,
    },
    /// The filters now in force.
    List {
        #[command(flatten)]
        on: On,
    },
    /// Remove every filter (of the user, or of one account).
    Clear {
        #[command(flatten)]
        on: On,
    },
    /// Callbacks bunq gave up on after its retries.
    Failures,
    /// Deliver failed callbacks again.
    Replay {
        /// The failures' ids (from `notifications failures`).
        #[arg(required = true)]
        ids: Vec<u64>,
    },
    /// Receive callbacks here and print each; removes its filters when
    /// stopped (Ctrl-C, or after --count events).
    Listen(ListenArgs),
}

/// Whose filters: the user's, or one account's.
#[derive(Args, Debug, Clone, Copy)]
pub struct On {
    /// One monetary account's filters instead of the user's.
    #[arg(long)]
    account: Option<u64>,
}

impl On {
    fn filters(self, session: &Session) -> NotificationFilters<'_> {
        match self.account {
            Some(account) => session.account_notification_filters(MonetaryAccountId(account)),
            None => session.notification_filters(),
        }
    }
}

#[derive(Args, Debug)]
pub struct ListenArgs {
    /// The categories to receive.
    #[arg(long, default_values = ["MUTATION", "DRAFT_PAYMENT", "REQUEST", "OAUTH"])]
    category: Vec<String>,
    /// The loopback port to listen on (0: any free port).
    #[arg(long, default_value_t = 8766)]
    port: u16,
    /// The URL bunq reaches this listener at (a tunnel to the port), if not
    /// http://127.0.0.1:PORT/bunq-callback (enough for the fake).
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Stop after this many events.
    #[arg(long)]
    count: Option<u64>,
    #[command(flatten)]
    on: On,
}

static FILTERS: Columns<NotificationFilter> = Columns {
    header: &["CATEGORY", "TARGET"],
    row: |f, _| vec![f.category.clone(), f.target.clone()],
    json: |f, _| json!({"category": f.category, "target": f.target}),
};

static FAILURES: Columns<types::NotificationFilterFailureListing> = Columns {
    header: &["ID", "CATEGORY", "EVENT", "OBJECT", "STATUS", "REASON"],
    row: |f, _| {
        vec![
            f.id.map(|id| id.to_string()).unwrap_or_default(),
            f.category.clone().unwrap_or_default(),
            f.event_type.clone().unwrap_or_default(),
            f.object_id.map(|id| id.to_string()).unwrap_or_default(),
            f.response_code
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            f.exception_message.clone().unwrap_or_default(),
        ]
    },
    json: |f, _| {
        json!({
            "id": f.id,
            "category": f.category,
            "event_type": f.event_type,
            "object_id": f.object_id,
            "response_code": f.response_code.as_ref().map(|c| c.as_str()),
            "exception_message": f.exception_message,
        })
    },
};

pub async fn run(
    command: NotificationsCommand,
    session: &Session,
    out: &Output,
) -> Result<(), CliError> {
    match command {
        NotificationsCommand::Set { category, url, on } => {
            let filters = category
                .iter()
                .map(|c| NotificationFilter::new(c, &url))
                .collect::<Result<Vec<_>, _>>()?;
            let set = out
                .wait("setting the filters", on.filters(session).add(&filters))
                .await?;
            out.list(&FILTERS, &set)
        }
        NotificationsCommand::List { on } => {
            let set = out
                .wait("listing the filters", on.filters(session).list())
                .await?;
            out.list(&FILTERS, &set)
        }
        NotificationsCommand::Clear { on } => {
            out.wait("clearing the filters", on.filters(session).clear())
                .await?;
            out.line("no notification filters left")
        }
        NotificationsCommand::Failures => {
            let page = out
                .wait(
                    "listing failed callbacks",
                    session
                        .api()
                        .notification_filter_failures()
                        .list_page(Default::default()),
                )
                .await?;
            out.list(&FAILURES, &page.items)
        }
        NotificationsCommand::Replay { ids } => {
            let joined: Vec<String> = ids.iter().map(u64::to_string).collect();
            let body = types::NotificationFilterFailure {
                notification_filter_failed_ids: joined.join(","),
            };
            out.wait(
                "asking bunq to deliver them again",
                session.api().notification_filter_failures().create(&body),
            )
            .await?;
            out.line(&format!("{} callback(s) queued again", ids.len()))
        }
        NotificationsCommand::Listen(args) => listen(args, session, out).await,
    }
}

/// What the HTTP handler shares: the receiver, and where events go.
struct Listener {
    receiver: CallbackReceiver,
    events: mpsc::Sender<Notification>,
}

/// A callback route on loopback (`http://127.0.0.1:PORT/bunq-callback`)
/// that hands each parsed event over; stops when dropped.
pub struct LocalReceiver {
    /// The URL bunq is told to post to.
    pub target: String,
    events: mpsc::Receiver<Notification>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl LocalReceiver {
    /// Binds `127.0.0.1:port` (0: any free port); `public_url` is what bunq
    /// posts to when it cannot reach loopback (a tunnel).
    pub async fn start(port: u16, public_url: Option<String>) -> Result<Self, CliError> {
        let socket = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let port = socket.local_addr()?.port();
        let target = public_url.unwrap_or_else(|| format!("http://127.0.0.1:{port}/bunq-callback"));
        let (events, received) = mpsc::channel(64);
        let shared = Arc::new(Listener {
            // Loopback or a tunnel: the sender's address says nothing here.
            receiver: CallbackReceiver::new().source(SourceCheck::any()),
            events,
        });
        let limit = shared.receiver.body_limit();
        let app = axum::Router::new()
            .route(
                "/bunq-callback",
                axum::routing::post(callback).layer(axum::extract::DefaultBodyLimit::max(limit)),
            )
            .with_state(shared);
        let server = axum::serve(
            socket,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        );
        let server = tokio::spawn(async move { server.await });
        Ok(LocalReceiver {
            target,
            events: received,
            server,
        })
    }

    /// The next event; `None` if the server stopped.
    pub async fn next(&mut self) -> Option<Notification> {
        self.events.recv().await
    }
}

impl Drop for LocalReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn listen(args: ListenArgs, session: &Session, out: &Output) -> Result<(), CliError> {
    let mut receiver = LocalReceiver::start(args.port, args.public_url.clone()).await?;
    let target = receiver.target.clone();
    let filters = args
        .category
        .iter()
        .map(|c| NotificationFilter::new(c, &target))
        .collect::<Result<Vec<_>, _>>()?;
    let on = args.on.filters(session);
    out.wait("registering the filters", on.add(&filters))
        .await?;
    eprintln!(
        "listening on {target} for {}; Ctrl-C stops and removes the filters",
        args.category.join(", ")
    );
    let mut seen = 0u64;
    let stopped = loop {
        tokio::select! {
            event = receiver.next() => {
                let Some(event) = event else { break Ok(()) };
                // A failed print still removes the filters below.
                if let Err(e) = print_event(&event, out) {
                    break Err(e);
                }
                seen += 1;
                if args.count.is_some_and(|count| seen >= count) {
                    break Ok(());
                }
            }
            signal = tokio::signal::ctrl_c() => break signal.map_err(CliError::Io),
        }
    };
    drop(receiver);
    out.wait("removing the filters", on.remove_target(&target))
        .await?;
    stopped
}

async fn callback(
    State(listener): State<Arc<Listener>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> StatusCode {
    match listener.receiver.receive(peer.ip(), &body) {
        Ok(event) => {
            // Waits while the printer catches up; if it is gone, the
            // callback was still received.
            let _ = listener.events.send(event).await;
            StatusCode::OK
        }
        Err(e) => {
            eprintln!("refused a callback from {peer}: {e}");
            StatusCode::BAD_REQUEST
        }
    }
}

/// One line per event (`--json`: the event as one JSON object per line).
fn print_event(event: &Notification, out: &Output) -> Result<(), CliError> {
    if out.json {
        let line = json!({
            "event_id": event.event_id(),
            "category": event.category,
            "event_type": event.event_type,
            "kind": event.kind(),
            "object_id": event.object_id(),
        });
        return out.line(&line.to_string());
    }
    out.line(&event_line(event))
}

/// An event as one line: category, event type, and its summary (kind, id,
/// a payment's amount and description, or a status).
pub fn event_line(event: &Notification) -> String {
    format!(
        "{} {} {}",
        event.category,
        event.event_type,
        event.summary()
    )
}
