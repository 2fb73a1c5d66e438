//! The TLS listener both HTTPS servers run on (the hub's, with client certificates, and the
//! box UI's): handshakes in their own tasks within caps (in flight, per address, open
//! connections), closed at once past a cap with throttled logging, then HTTP/1.1 per
//! connection with a header read timeout, a body idle timeout and a lingering close.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::ConnectInfo;
use axum::Router;
use tokio::net::{TcpListener, TcpStream};

use super::tls::PeerInfo;

/// What the listener lets anyone hold (`hub.toml` `[limits]`): a TLS handshake gets
/// `handshake` and a request's headers (or an idle keep-alive connection) `header_read`; at
/// most `max_handshakes` handshakes run at once (a sixteenth of them from one address) and
/// `max_connections` connections are open, `max_per_ip` of them from one address. A connection past a cap is closed at once, so
/// stalled clients cannot make the accept loop spawn without bound.
#[derive(Debug, Clone)]
pub struct ListenerLimits {
    pub handshake: Duration,
    pub header_read: Duration,
    /// A request body (any route's) that sends nothing for this long ends with an error.
    pub body_idle: Duration,
    pub max_handshakes: usize,
    pub max_connections: usize,
    pub max_per_ip: usize,
}

impl ListenerLimits {
    pub fn from_config(l: &crate::config::HubLimitsConfig) -> Self {
        Self {
            handshake: Duration::from_secs(l.handshake_secs.max(1)),
            header_read: Duration::from_secs(l.header_read_secs.max(1)),
            body_idle: Duration::from_secs(l.body_idle_secs.max(1)),
            max_handshakes: l.max_handshakes.max(1) as usize,
            max_connections: l.max_connections.max(1) as usize,
            max_per_ip: l.max_per_ip_or_all(),
        }
    }
}

impl ListenerLimits {
    /// Handshakes one address may have in flight: a sixteenth of all of them.
    pub fn max_handshakes_per_ip(&self) -> usize {
        (self.max_handshakes / 16).max(1)
    }
}

impl Default for ListenerLimits {
    fn default() -> Self {
        Self::from_config(&crate::config::HubLimitsConfig::default())
    }
}

/// Open connections per remote address.
#[derive(Default)]
struct PerAddress(std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>);

impl PerAddress {
    fn enter(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<AddressSlot> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(AddressSlot { table: self.clone(), ip })
    }
}

struct AddressSlot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Held for as long as a connection is open (its share of the connection caps).
pub struct ConnectionPermit {
    _global: tokio::sync::OwnedSemaphorePermit,
    _address: AddressSlot,
}

type Accepted = (tokio_rustls::server::TlsStream<TcpStream>, PeerInfo, ConnectionPermit);

/// A listener that hands out connections whose TLS handshake is already complete.
/// Handshakes run in their own tasks so a slow or hostile client cannot stall the others, and
/// within [`ListenerLimits`].
pub struct TlsListener {
    rx: tokio::sync::mpsc::Receiver<Accepted>,
    local: SocketAddr,
    limits: ListenerLimits,
}

impl TlsListener {
    pub fn new(listener: TcpListener, tls: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        Self::with_limits(listener, tls, ListenerLimits::default())
    }

    pub fn with_limits(listener: TcpListener, tls: Arc<rustls::ServerConfig>, limits: ListenerLimits) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        let kept = limits.clone();
        let connections = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
        let handshakes = Arc::new(tokio::sync::Semaphore::new(limits.max_handshakes));
        let addresses = Arc::new(PerAddress::default());
        let handshaking = Arc::new(PerAddress::default());
        tokio::spawn(async move {
            let mut refused = RefusalLog::default();
            loop {
                let (tcp, remote) = match listener.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!("accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // Past a cap the connection is closed at once: nothing is spawned for it.
                let Ok(global) = connections.clone().try_acquire_owned() else {
                    refused.note(remote, "connections");
                    continue;
                };
                let Some(address) = addresses.enter(remote.ip(), limits.max_per_ip) else {
                    refused.note(remote, "connections from one address");
                    continue;
                };
                // One address gets a share of the handshakes, so stalled handshakes from a few
                // hosts leave room for the boxes.
                let Some(own_handshake) = handshaking.enter(remote.ip(), limits.max_handshakes_per_ip()) else {
                    refused.note(remote, "handshakes from one address");
                    continue;
                };
                let Ok(handshake) = handshakes.clone().try_acquire_owned() else {
                    refused.note(remote, "handshakes");
                    continue;
                };
                let permit = ConnectionPermit { _global: global, _address: address };
                let (acceptor, tx, timeout) = (acceptor.clone(), tx.clone(), limits.handshake);
                tokio::spawn(async move {
                    let outcome = tokio::time::timeout(timeout, acceptor.accept(tcp)).await;
                    drop((handshake, own_handshake));
                    match outcome {
                        Ok(Ok(tls)) => {
                            let cert_sha256 = tls.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| crate::util::sha256_hex(c.as_ref()));
                            let _ = tx.send((tls, PeerInfo { remote, cert_sha256 }, permit)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(peer = %remote, "TLS handshake refused: {e}"),
                        Err(_) => tracing::debug!(peer = %remote, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { rx, local, limits: kept })
    }

    /// The next connection with its handshake done.
    pub async fn accept(&mut self) -> Option<Accepted> {
        self.rx.recv().await
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

/// Connections closed at a cap, logged at most once every 10 s (an attack must not flood the
/// journal).
#[derive(Default)]
struct RefusalLog {
    since_logged: u64,
    last: Option<std::time::Instant>,
}

impl RefusalLog {
    fn note(&mut self, remote: SocketAddr, cap: &'static str) {
        self.since_logged += 1;
        if self.last.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            tracing::warn!(peer = %remote, refused = self.since_logged, "connections closed at the cap on {cap}");
            self.since_logged = 0;
            self.last = Some(std::time::Instant::now());
        }
    }
}

/// Serves `app` on `listener` within its limits until `stop` completes (or the listener
/// fails): HTTP/1.1 (the only protocol offered in ALPN, see [`super::tls::server_config`])
/// with hyper's header read timeout, every request body cut after `body_idle` of silence, each
/// connection in its own task holding its [`ConnectionPermit`], the peer as
/// `ConnectInfo<PeerInfo>`, and a lingering close so a refusal reaches the client.
pub async fn serve(mut listener: TlsListener, app: Router, stop: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
    let (header_read, body_idle) = (listener.limits.header_read, listener.limits.body_idle);
    tokio::pin!(stop);
    loop {
        let (stream, peer, permit) = tokio::select! {
            next = listener.accept() => match next {
                Some(x) => x,
                None => anyhow::bail!("the TLS listener stopped"),
            },
            _ = &mut stop => return Ok(()),
        };
        let app = app.clone();
        tokio::spawn(async move {
            let _permit = permit;
            // Every body gets the idle timeout (a stalled heartbeat, manifest or form too).
            let service = tower::ServiceExt::map_request(app, move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer.clone()));
                req.map(|b| axum::body::Body::new(tower_http::timeout::TimeoutBody::new(body_idle, b)))
            });
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_read);
            let served = http.serve_connection(hyper_util::rt::TokioIo::new(stream), hyper_util::service::TowerToHyperService::new(service)).without_shutdown().await;
            match served {
                Ok(parts) => linger(parts.io.into_inner()).await,
                Err(e) => tracing::debug!("connection ended: {e}"),
            }
        });
    }
}

/// How long and how much a closing connection is still read (and dropped) after its last
/// answer.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 16 << 20;

/// A lingering close: the answer is sent and our side shut, then whatever the client is still
/// sending (the rest of a body the hub refused without reading) is read and dropped for a
/// moment, so the client reads the refusal instead of a reset connection.
async fn linger(mut stream: tokio_rustls::server::TlsStream<TcpStream>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if stream.shutdown().await.is_err() {
        return;
    }
    let mut buf = vec![0u8; 16 << 10];
    let mut left = LINGER_BYTES;
    let _ = tokio::time::timeout(LINGER, async {
        while left > 0 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    })
    .await;
}
