//! Serving connections with bounds a hostile client cannot stretch: a
//! deadline for each request's headers (which is also the idle deadline
//! between requests), a write deadline (a client that stops reading loses
//! its connection), a total lifetime, at most so many connections at once
//! and per client address.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

use crate::addresses::{AddressGroup, TrustedProxies};

/// The connection limits (each a `PSD2_APP_…` setting).
#[derive(Debug, Clone)]
pub struct Limits {
    /// To send a request's headers, and the most a connection may idle
    /// between requests.
    pub header_timeout: Duration,
    /// The most an answer's write may wait for the client to read.
    pub write_timeout: Duration,
    /// A connection's whole life; then it closes after the request in
    /// flight.
    pub lifetime: Duration,
    /// Connections served at once; more wait in the kernel's backlog.
    pub connections: usize,
    /// Connections one address group may hold (a trusted proxy's are not
    /// counted: its clients are many).
    pub connections_per_address: usize,
}

/// How long a connection past its lifetime may take to finish the request
/// in flight (a bunq call can wait on its rate limit).
const GRACE: Duration = Duration::from_secs(60);

/// Serves `router` on `listener` within `limits`, giving handlers the
/// peer's address.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    proxies: Arc<TrustedProxies>,
) -> Result<(), String> {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.connections));
    let per_address = Arc::new(Mutex::new(HashMap::new()));
    loop {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                continue;
            }
        };
        let slot = if proxies.trusts(peer.ip()) {
            None
        } else {
            match AddressSlot::take(&per_address, peer, limits.connections_per_address) {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!(%peer, "too many connections from this address");
                    continue; // dropping the stream closes it
                }
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(
            router
                .clone()
                .layer(axum::Extension(axum::extract::ConnectInfo(peer))),
        );
        let limits = limits.clone();
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let io = hyper_util::rt::TokioIo::new(WriteDeadline::new(stream, limits.write_timeout));
            let connection = http.serve_connection(io, service);
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = tokio::time::sleep(limits.lifetime) => {
                    connection.as_mut().graceful_shutdown();
                    tokio::time::timeout(GRACE, connection.as_mut())
                        .await
                        .unwrap_or(Ok(()))
                }
            };
            if let Err(e) = ended {
                tracing::debug!(%peer, "connection ended: {e}");
            }
            drop((slot, permit));
        });
    }
}

/// One of an address group's connection slots, given back when dropped.
struct AddressSlot {
    group: AddressGroup,
    counts: Arc<Mutex<HashMap<AddressGroup, usize>>>,
}

impl AddressSlot {
    fn take(
        counts: &Arc<Mutex<HashMap<AddressGroup, usize>>>,
        peer: SocketAddr,
        limit: usize,
    ) -> Option<AddressSlot> {
        let group = AddressGroup::of(peer.ip());
        let mut map = counts.lock().unwrap_or_else(|p| p.into_inner());
        let count = map.entry(group).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            group,
            counts: counts.clone(),
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = map.get_mut(&self.group) {
            *count -= 1;
            // Entries exist only for open connections: the map stays small.
            if *count == 0 {
                map.remove(&self.group);
            }
        }
    }
}

/// A socket whose writes fail once one has made no progress for `limit`:
/// a client that sends requests but never reads the answers cannot keep
/// the connection (and its slot) forever.
struct WriteDeadline {
    stream: TcpStream,
    limit: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl WriteDeadline {
    fn new(stream: TcpStream, limit: Duration) -> WriteDeadline {
        WriteDeadline {
            stream,
            limit,
            stalled: None,
        }
    }

    /// Passes `poll`'s result on; a pending one starts (or checks) the clock.
    fn bounded<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut TcpStream>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match poll(Pin::new(&mut self.stream), cx) {
            Poll::Ready(result) => {
                self.stalled = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let limit = self.limit;
                let clock = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                ready!(clock.as_mut().poll(cx));
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client did not read the answer in time",
                )))
            }
        }
    }
}

impl AsyncRead for WriteDeadline {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteDeadline {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().bounded(cx, |s, cx| s.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().bounded(cx, |s, cx| s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().bounded(cx, |s, cx| s.poll_shutdown(cx))
    }
}
