//! A faulty link between the box and the hub, as a remote point's 3G link: a TCP proxy on
//! 127.0.0.1 that cuts connections, stalls, flips bytes, limits the bandwidth (a token bucket
//! per direction, shared by all connections, as one radio link is) and adds latency. TLS passes
//! through untouched, so a flipped byte surfaces as a TLS record failing its MAC (or, on a
//! plain link, as a checksum mismatch). It counts what it did, so a test can check that every
//! fault was caught.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Shortest TLS record a flip goes into when `flip_only_tls_records` is set: requests and
/// answers (and handshake messages), never a closing alert on a connection nobody uses.
pub const MIN_FLIPPED_RECORD: usize = 256;

/// What goes wrong on the link. `Faults::default()` is a clean, fast link.
#[derive(Debug, Clone)]
pub struct Faults {
    /// The first `.1` connections that carry `.0` bytes (both directions) are cut there.
    pub cut_after: Option<(u64, u64)>,
    /// Chance per forwarded segment (at most 1 KiB) that its connection is cut there.
    pub cut_chance: f64,
    /// Each direction pauses for `.1` every `.0` bytes it carries (over all connections).
    pub stall: Option<(u64, Duration)>,
    /// One byte flipped every this many bytes, per direction, over all connections.
    pub flip_every: Option<u64>,
    /// Flip only inside TLS records of at least [`MIN_FLIPPED_RECORD`] bytes (a TLS link);
    /// otherwise any byte (a plain link).
    pub flip_only_tls_records: bool,
    /// Bandwidth per direction.
    pub kbit_per_s: Option<u64>,
    /// Added to every segment, each way.
    pub latency: Duration,
    pub seed: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            cut_after: None,
            cut_chance: 0.0,
            stall: None,
            flip_every: None,
            flip_only_tls_records: true,
            kbit_per_s: None,
            latency: Duration::ZERO,
            seed: 1,
        }
    }
}

/// What the link did.
#[derive(Debug, Default)]
pub struct LinkStats {
    pub connections: AtomicU64,
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
    pub flips: AtomicU64,
    pub cuts: AtomicU64,
    pub stalls: AtomicU64,
    /// Connections that had at least one byte flipped.
    pub flipped_connections: AtomicU64,
}

impl LinkStats {
    pub fn get(&self, counter: &AtomicU64) -> u64 {
        counter.load(Ordering::SeqCst)
    }

    pub fn summary(&self) -> String {
        format!(
            "connections {}, bytes up {} down {}, flips {} (in {} connections), cuts {}, stalls {}",
            self.get(&self.connections),
            self.get(&self.bytes_up),
            self.get(&self.bytes_down),
            self.get(&self.flips),
            self.get(&self.flipped_connections),
            self.get(&self.cuts),
            self.get(&self.stalls)
        )
    }
}

/// The proxy; stops when dropped.
pub struct FaultyLink {
    pub addr: SocketAddr,
    pub stats: Arc<LinkStats>,
    rt: Option<tokio::runtime::Runtime>,
}

impl FaultyLink {
    /// Listens on 127.0.0.1 and forwards every connection to `upstream` through `faults`.
    pub fn start(upstream: SocketAddr, faults: Faults) -> FaultyLink {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let stats = Arc::new(LinkStats::default());
        let link = Arc::new(Link {
            buckets: [Bucket::new(faults.kbit_per_s), Bucket::new(faults.kbit_per_s)],
            until_flip: [Mutex::new(faults.flip_every.unwrap_or(0) as i64), Mutex::new(faults.flip_every.unwrap_or(0) as i64)],
            carried: [AtomicU64::new(0), AtomicU64::new(0)],
            cut_left: AtomicU64::new(faults.cut_after.map_or(0, |c| c.1)),
            faults,
            stats: stats.clone(),
        });
        rt.spawn(async move {
            let mut id = 0u64;
            while let Ok((client, _)) = listener.accept().await {
                id += 1;
                let link = link.clone();
                tokio::spawn(async move { link.serve(client, upstream, id).await });
            }
        });
        FaultyLink { addr, stats, rt: Some(rt) }
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for FaultyLink {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

struct Link {
    faults: Faults,
    stats: Arc<LinkStats>,
    /// [up (client → upstream), down].
    buckets: [Bucket; 2],
    until_flip: [Mutex<i64>; 2],
    carried: [AtomicU64; 2],
    cut_left: AtomicU64,
}

/// How a direction of a connection ended.
enum End {
    Closed,
    Cut,
}

/// One connection's shared state.
struct Conn {
    carried: AtomicU64,
    flipped: std::sync::atomic::AtomicBool,
    rng: Mutex<rand::rngs::StdRng>,
}

impl Link {
    async fn serve(self: Arc<Self>, client: tokio::net::TcpStream, upstream: SocketAddr, id: u64) {
        let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { return };
        self.stats.connections.fetch_add(1, Ordering::SeqCst);
        let _ = (client.set_nodelay(true), server.set_nodelay(true));
        let conn = Arc::new(Conn {
            carried: AtomicU64::new(0),
            flipped: Default::default(),
            rng: Mutex::new(rand::rngs::StdRng::seed_from_u64(self.faults.seed.wrapping_mul(1_000_003).wrapping_add(id))),
        });
        let (cr, cw) = client.into_split();
        let (sr, sw) = server.into_split();
        // Either direction ending ends the connection: a cut at once, a close once its bytes
        // are delivered.
        tokio::select! {
            _ = self.pipe(cr, sw, 0, &conn) => {}
            _ = self.pipe(sr, cw, 1, &conn) => {}
        }
    }

    async fn pipe(&self, mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf, dir: usize, conn: &Conn) -> End {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(Vec<u8>, tokio::time::Instant)>(512);
        let segment = if self.faults.kbit_per_s.is_some() { 1024 } else { 16 * 1024 };
        let mut records = Records::new(self.faults.flip_only_tls_records);
        let reading = async move {
            let mut buf = vec![0u8; segment];
            loop {
                let n = match from.read(&mut buf).await {
                    Ok(0) | Err(_) => return End::Closed,
                    Ok(n) => n,
                };
                self.buckets[dir].take(n).await;
                if let Some((every, pause)) = self.faults.stall {
                    let before = self.carried[dir].fetch_add(n as u64, Ordering::SeqCst);
                    if (before + n as u64) / every > before / every {
                        self.stats.stalls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(pause).await;
                    }
                }
                let mut bytes = buf[..n].to_vec();
                self.flip(dir, &mut bytes, &mut records, conn);
                if self.cut_here(n as u64, conn) {
                    self.stats.cuts.fetch_add(1, Ordering::SeqCst);
                    return End::Cut;
                }
                let counter = if dir == 0 { &self.stats.bytes_up } else { &self.stats.bytes_down };
                counter.fetch_add(n as u64, Ordering::SeqCst);
                if tx.send((bytes, tokio::time::Instant::now() + self.faults.latency)).await.is_err() {
                    return End::Closed;
                }
            }
        };
        let writing = async move {
            while let Some((bytes, due)) = rx.recv().await {
                tokio::time::sleep_until(due).await;
                if to.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            let _ = to.shutdown().await;
        };
        tokio::pin!(writing);
        let end = tokio::select! {
            end = reading => end,
            _ = &mut writing => return End::Closed,
        };
        if let End::Closed = end {
            // The sender is gone with `reading`: what is queued is still delivered.
            writing.await;
        }
        end
    }

    fn flip(&self, dir: usize, bytes: &mut [u8], records: &mut Records, conn: &Conn) {
        let Some(every) = self.faults.flip_every else {
            for b in bytes.iter() {
                records.advance(*b);
            }
            return;
        };
        let mut until = self.until_flip[dir].lock().unwrap();
        for i in 0..bytes.len() {
            let eligible = records.advance(bytes[i]);
            *until -= 1;
            if *until <= 0 && eligible {
                let bit = conn.rng.lock().unwrap().gen_range(0..8);
                bytes[i] ^= 1 << bit;
                *until = every as i64;
                self.stats.flips.fetch_add(1, Ordering::SeqCst);
                if !conn.flipped.swap(true, Ordering::SeqCst) {
                    self.stats.flipped_connections.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    }

    fn cut_here(&self, n: u64, conn: &Conn) -> bool {
        let carried = conn.carried.fetch_add(n, Ordering::SeqCst) + n;
        if let Some((after, _)) = self.faults.cut_after {
            if carried >= after && carried - n < after && self.cut_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| c.checked_sub(1)).is_ok()
            {
                return true;
            }
        }
        self.faults.cut_chance > 0.0 && conn.rng.lock().unwrap().gen_bool(self.faults.cut_chance.min(1.0))
    }
}

/// A token bucket of one direction (`None`: unlimited).
struct Bucket {
    bytes_per_s: Option<f64>,
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    fn new(kbit_per_s: Option<u64>) -> Self {
        Bucket { bytes_per_s: kbit_per_s.map(|k| k as f64 * 1000.0 / 8.0), state: Mutex::new((0.0, Instant::now())) }
    }

    /// Waits until `n` bytes may pass.
    async fn take(&self, n: usize) {
        let Some(rate) = self.bytes_per_s else { return };
        // A burst of at most 20 ms of the link's bytes (or one segment).
        let cap = (rate * 0.02).max(n as f64);
        loop {
            let wait = {
                let mut s = self.state.lock().unwrap();
                let now = Instant::now();
                s.0 = (s.0 + now.duration_since(s.1).as_secs_f64() * rate).min(cap);
                s.1 = now;
                if s.0 >= n as f64 {
                    s.0 -= n as f64;
                    return;
                }
                Duration::from_secs_f64((n as f64 - s.0) / rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// Where a direction's bytes are in the TLS record stream (5-byte header: type, version,
/// length), so flips land inside records a receiver must authenticate.
struct Records {
    tls: bool,
    head: [u8; 5],
    have: usize,
    left: usize,
    eligible: bool,
}

impl Records {
    fn new(tls: bool) -> Self {
        Records { tls, head: [0; 5], have: 0, left: 0, eligible: false }
    }

    /// Feeds one byte; whether it may be flipped.
    fn advance(&mut self, b: u8) -> bool {
        if !self.tls {
            return true;
        }
        if self.left > 0 {
            self.left -= 1;
            return self.eligible;
        }
        self.head[self.have] = b;
        self.have += 1;
        if self.have == 5 {
            let len = u16::from_be_bytes([self.head[3], self.head[4]]) as usize;
            // Encrypted records (TLS 1.3 puts its handshake in them too) of some size.
            self.eligible = self.head[0] == 23 && len >= MIN_FLIPPED_RECORD;
            self.left = len;
            self.have = 0;
        }
        false
    }
}
