//! The box's one client for the hub: every box → hub call (plan sync, package GETs with
//! `Range`, key requests, tus uploads and the bundle, heartbeats) goes through the
//! `reqwest::Client` made here, with one configuration: mutual TLS from the box's enrolled
//! certificate and the pinned hub CA (rustls with ring), HTTP/1.1, the same timeouts and user
//! agent. It also checks the hub's signed time and reads the hub's error bodies, so no caller
//! parses a header or a refusal by itself.
//!
//! Time is believed only from the hub's own answers to a request that carried a fresh nonce
//! ([`HubClient::send_timed`]): a replayed signed time fails, and a mirror is never sent a nonce
//! nor read for time. Bodies the box parses whole (manifest, plan) are read with a bound
//! ([`read_bounded`]), refused beyond it without buffering more.
//!
//! Plain HTTP only where the configured URL says so (loopback, tests); the tus client works
//! with any `reqwest::Client`, so it still talks to stock tus servers without certificates.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::context::EdgeContext;
use crate::protocol::distribution::{Purpose, SeatingReport, SeatingReportAck, SignedSeed};
use crate::protocol::{self, paths, ErrorBody};

/// Time to open a connection to the hub before the attempt counts as failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the next bytes from the hub: it answers a PATCH only after its fsync, and
/// a box on a slow uplink writes a whole chunk before it reads; a stalled download is cut and
/// resumed by `Range` after this.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest round trip whose signed time the box believes: whoever holds an answer back
/// shifts the box's idea of the hub's time by at most this.
pub const TIME_MAX_ROUND_TRIP: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum HubClientError {
    #[error("чтение {what} {path}: {source}")]
    Read { what: &'static str, path: String, source: std::io::Error },
    #[error("{0}")]
    Tls(String),
    #[error("клиент HTTPS: {0}")]
    Build(reqwest::Error),
    #[error("адрес РЦОИ {url}: {reason}")]
    Url { url: String, reason: String },
}

/// The hub's time as it signed it on an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubTime {
    /// The signed text (RFC 3339), as the hub wrote it.
    pub text: String,
    pub at: DateTime<Utc>,
}

/// A refusal by the hub: its status and, when the body is the hub's [`ErrorBody`], its code
/// and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub body: Option<ErrorBody>,
    /// The body as text (kept when it is not an [`ErrorBody`]).
    pub text: String,
}

impl Refusal {
    /// Reads the refusal from a non-success answer.
    pub async fn read(resp: reqwest::Response) -> Self {
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str::<ErrorBody>(&text).ok();
        Self { status, body, text }
    }

    /// The reason to show a person: the hub's reason, else the body as sent.
    pub fn reason(&self) -> &str {
        self.body.as_ref().map(ErrorBody::reason).unwrap_or(&self.text)
    }
}

impl std::fmt::Display for Refusal {
    /// `reason (code, status)`, or `HTTP status` when the hub sent no error body.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.body {
            Some(b) => write!(f, "{} ({}, {})", b.message, b.error, self.status),
            None => write!(f, "HTTP {}", self.status),
        }
    }
}

/// Why the plan slice was not taken.
#[derive(Debug, thiserror::Error)]
pub enum PlanFetchError {
    #[error("РЦОИ: {0}")]
    Network(#[from] reqwest::Error),
    #[error("РЦОИ ответил: {0}")]
    Refused(Refusal),
    #[error("подпись плана неверна")]
    BadSignature,
    #[error("план ППЭ длиннее {limit} байт: ответ отвергнут")]
    TooLong { limit: u64 },
}

/// The most bytes of a plan slice the box reads (a region's largest exam point is far below).
pub const PLAN_MAX_BYTES: u64 = 16 << 20;

/// Why a bounded body was not read.
#[derive(Debug, thiserror::Error)]
pub enum BoundedReadError {
    #[error("{0}")]
    Network(#[from] reqwest::Error),
    #[error("ответ длиннее {limit} байт")]
    TooLong { limit: u64 },
}

/// Reads an answer's body of at most `limit` bytes: refused at once when its stated length is
/// longer, else as soon as the bytes received pass the bound, so an endless answer costs at
/// most `limit` and one network chunk of memory.
pub async fn read_bounded(mut resp: reqwest::Response, limit: u64) -> Result<Vec<u8>, BoundedReadError> {
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(BoundedReadError::TooLong { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(BoundedReadError::TooLong { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A fresh random nonce for one request whose answer's time the box will believe.
fn fresh_time_nonce() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The box's client for its hub (cheap to clone: the connection pool is shared).
#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    hub_url: String,
    mirror_url: Option<String>,
    ppe_code: String,
    hub_public_key: String,
    /// [`TIME_MAX_ROUND_TRIP`] (shorter in tests).
    time_max_round_trip: Duration,
}

impl HubClient {
    /// The client of `ppe.toml`: the box's certificate and key, the pinned hub CA and the
    /// hub's signing key. TLS material is read when the hub or mirror URL is `https://`.
    pub fn from_context(ctx: &EdgeContext) -> Result<Self, HubClientError> {
        let hub = &ctx.config.hub;
        let mirror_url = hub.mirror_url.as_deref().filter(|m| !m.is_empty()).map(|m| m.trim_end_matches('/').to_string());
        let needs_tls = hub.url.starts_with("https://") || mirror_url.as_deref().is_some_and(|m| m.starts_with("https://"));
        let tls = if needs_tls { Some(mutual_tls(ctx)?) } else { None };
        let http = build_http(&ctx.config.ppe_code, tls)?;
        Ok(Self {
            http,
            hub_url: hub.url.trim_end_matches('/').to_string(),
            mirror_url,
            ppe_code: ctx.config.ppe_code.clone(),
            hub_public_key: hub.signing_public_key.clone(),
            time_max_round_trip: TIME_MAX_ROUND_TRIP,
        })
    }

    /// A client over plain HTTP with the same configuration and no certificates (loopback
    /// hubs in tests).
    pub fn plain(hub_url: &str, ppe_code: &str, hub_public_key: &str) -> Result<Self, HubClientError> {
        Ok(Self {
            http: build_http(ppe_code, None)?,
            hub_url: hub_url.trim_end_matches('/').to_string(),
            mirror_url: None,
            ppe_code: ppe_code.to_string(),
            hub_public_key: hub_public_key.to_string(),
            time_max_round_trip: TIME_MAX_ROUND_TRIP,
        })
    }

    /// The configured HTTP client (for the tus client and the calls below).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The hub's URL of `path` (one of [`protocol::paths`]).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.hub_url)
    }

    /// Where a file of this exam point's package of `exam_id` is fetched: the mirror when one
    /// is configured (any static server holding the hub's publish folder), else the hub.
    pub fn package_url(&self, exam_id: &str, file: &str) -> String {
        let base = match &self.mirror_url {
            Some(m) => m.clone(),
            None => self.url(paths::PACKAGES),
        };
        format!("{base}/{exam_id}/{}/{file}", self.ppe_code)
    }

    /// The hub's tus endpoint.
    pub fn uploads_endpoint(&self) -> Result<reqwest::Url, HubClientError> {
        let url = self.url(paths::UPLOADS);
        reqwest::Url::parse(&url).map_err(|e| HubClientError::Url { url: self.hub_url.clone(), reason: e.to_string() })
    }

    /// The hub's time from an answer's headers, if it is signed with the pinned hub key over
    /// this request's `nonce` (anything else, e.g. a replayed answer, is logged and ignored).
    fn hub_time(&self, headers: &reqwest::header::HeaderMap, nonce: &str) -> Option<HubTime> {
        let text = headers.get(protocol::HUB_TIME_HEADER)?.to_str().ok()?;
        let sig = headers.get(protocol::HUB_TIME_SIGNATURE_HEADER)?.to_str().ok()?;
        if !crate::keys::verify_ed25519(&self.hub_public_key, &protocol::time_signature_message(text, nonce), sig) {
            tracing::warn!(hub_time = text, "hub time not signed for this request's nonce (replayed or forged); ignored");
            return None;
        }
        let at = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
        Some(HubTime { text: text.to_string(), at })
    }

    /// Sends a request to the hub itself (`req` built on [`Self::url`], never a mirror URL) with
    /// a fresh time nonce; returns the answer and the hub's time when it is signed for it and
    /// came back within [`TIME_MAX_ROUND_TRIP`].
    pub async fn send_timed(&self, req: reqwest::RequestBuilder) -> Result<(reqwest::Response, Option<HubTime>), reqwest::Error> {
        let nonce = fresh_time_nonce();
        let sent = std::time::Instant::now();
        let resp = req.header(protocol::TIME_NONCE_HEADER, &nonce).send().await?;
        let round_trip = sent.elapsed();
        let time = self.hub_time(resp.headers(), &nonce).filter(|t| {
            let in_time = round_trip <= self.time_max_round_trip;
            if !in_time {
                tracing::warn!(hub_time = %t.text, ?round_trip, "hub time answered too late to be believed; ignored");
            }
            in_time
        });
        Ok((resp, time))
    }

    /// Asks the hub for its time (`GET /v1/time`); `None` if the answer carries none signed for
    /// this request.
    pub async fn time(&self) -> Result<Option<HubTime>, reqwest::Error> {
        let (_, time) = self.send_timed(self.http.get(self.url(paths::TIME))).await?;
        Ok(time)
    }

    /// The exam point's slice of the plan (at most [`PLAN_MAX_BYTES`]), its body checked
    /// against the hub's signature.
    pub async fn plan(&self) -> Result<Vec<u8>, PlanFetchError> {
        let resp = self.http.get(self.url(paths::PLAN)).send().await?;
        if !resp.status().is_success() {
            return Err(PlanFetchError::Refused(Refusal::read(resp).await));
        }
        let sig = resp.headers().get(protocol::SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string).unwrap_or_default();
        let body = read_bounded(resp, PLAN_MAX_BYTES).await.map_err(|e| match e {
            BoundedReadError::Network(e) => PlanFetchError::Network(e),
            BoundedReadError::TooLong { limit } => PlanFetchError::TooLong { limit },
        })?;
        if !crate::keys::verify_ed25519(&self.hub_public_key, &body, &sig) {
            return Err(PlanFetchError::BadSignature);
        }
        Ok(body)
    }
}

/// Why a distribution call (seed, seating report) did not go through.
#[derive(Debug, thiserror::Error)]
pub enum DistributionCallError {
    #[error("РЦОИ недоступен: {0}")]
    Network(#[from] reqwest::Error),
    #[error("РЦОИ отказал: {}", .0.reason())]
    Refused(Refusal),
    #[error("ответ РЦОИ не читается: {0}")]
    BadBody(String),
}

/// The most bytes of a seed answer (or a report's acknowledgement) the box reads.
const SEED_MAX_BYTES: u64 = 64 << 10;

impl HubClient {
    /// The seed of `purpose` of an exam for this exam point, as the hub signed it (the caller
    /// checks the signature: `distribution::check_signed_seed`).
    pub async fn seed(&self, exam_id: &str, purpose: Purpose) -> Result<SignedSeed, DistributionCallError> {
        let resp = self.http.get(self.url(&paths::seed(exam_id, purpose.code()))).send().await?;
        read_distribution_answer(resp).await
    }

    /// Reports the seating of an exam to the hub (the box is known by its certificate).
    pub async fn report_seating(&self, report: &SeatingReport) -> Result<SeatingReportAck, DistributionCallError> {
        let resp = self.http.post(self.url(&paths::seating_report(&report.exam_id))).json(report).send().await?;
        read_distribution_answer(resp).await
    }
}

impl HubClient {
    /// Reports the technical readiness of an exam's stations (the day before) to the hub.
    pub async fn report_readiness(&self, report: &crate::protocol::readiness::ReadinessReport) -> Result<crate::protocol::readiness::ReadinessAck, DistributionCallError> {
        let resp = self.http.post(self.url(paths::READINESS)).json(report).send().await?;
        read_distribution_answer(resp).await
    }
}

/// A distribution answer: the hub's refusal, or a small JSON body.
async fn read_distribution_answer<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T, DistributionCallError> {
    if !resp.status().is_success() {
        return Err(DistributionCallError::Refused(Refusal::read(resp).await));
    }
    let body = read_bounded(resp, SEED_MAX_BYTES).await.map_err(|e| DistributionCallError::BadBody(e.to_string()))?;
    serde_json::from_slice(&body).map_err(|e| DistributionCallError::BadBody(e.to_string()))
}

/// One configuration for every box → hub connection. HTTP/1.1 only: a large download is one
/// stream per connection, and HTTP/2 flow-control windows capped a single stream at a quarter
/// of curl's throughput (docs/benchmarks.md); files in flight at once use a connection each.
fn build_http(ppe_code: &str, tls: Option<rustls::ClientConfig>) -> Result<reqwest::Client, HubClientError> {
    // reqwest is built without a crypto provider of its own: ring is the process's one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .user_agent(format!("ppe/{} ({ppe_code})", env!("CARGO_PKG_VERSION")))
        .http1_only();
    if let Some(tls) = tls {
        builder = builder.use_preconfigured_tls(tls);
    }
    builder.build().map_err(HubClientError::Build)
}

/// rustls: trust only the hub CA, present the box's certificate.
fn mutual_tls(ctx: &EdgeContext) -> Result<rustls::ClientConfig, HubClientError> {
    let read = |what: &'static str, path: &std::path::Path| std::fs::read(path).map_err(|source| HubClientError::Read { what, path: path.display().to_string(), source });
    let tls = |what: &str, e: &dyn std::fmt::Display| HubClientError::Tls(format!("{what}: {e}"));
    let ca = read("hub CA", &ctx.config.hub.ca_file)?;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(&ca) {
        roots.add(c.map_err(|e| tls("hub CA PEM", &e))?).map_err(|e| tls("hub CA certificate", &e))?;
    }
    let cert = read("client certificate", &ctx.config.keys.tls_cert_file)?;
    let key = read("client key", &ctx.config.keys.tls_key_file)?;
    let certs = CertificateDer::pem_slice_iter(&cert).collect::<Result<Vec<_>, _>>().map_err(|e| tls("client certificate PEM", &e))?;
    let key = PrivateKeyDer::from_pem_slice(&key).map_err(|e| tls("client key PEM", &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls("TLS versions", &e))?
        .with_root_certificates(roots)
        .with_client_auth_cert(certs, key)
        .map_err(|e| tls("client certificate and key", &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_come_from_the_mirror_when_one_is_set_and_urls_never_double_a_slash() {
        let mut c = HubClient::plain("http://hub.example/", "0101", "00").unwrap();
        assert_eq!(c.url(paths::PLAN), "http://hub.example/v1/plan");
        assert_eq!(c.package_url("ege-02", "manifest.json"), "http://hub.example/v1/packages/ege-02/0101/manifest.json");
        assert_eq!(c.uploads_endpoint().unwrap().as_str(), "http://hub.example/v1/uploads");
        c.mirror_url = Some("https://mirror.example".into());
        assert_eq!(c.package_url("ege-02", "a.enc"), "https://mirror.example/ege-02/0101/a.enc");
    }

    #[test]
    fn only_the_hub_client_builds_a_reqwest_client() {
        // Every box → hub call shares one configuration; CUPS (IPP) has its own client.
        let builders: Vec<String> = crate::protocol::production_sources()
            .into_iter()
            .filter(|(path, _)| path != "hub_client.rs")
            .filter(|(_, text)| ["reqwest::Client::builder(", "reqwest::Client::new(", "reqwest::ClientBuilder"].iter().any(|sign| text.contains(sign)))
            .map(|(path, _)| path)
            .collect();
        assert!(builders.is_empty(), "HTTP clients configured outside hub_client.rs: {builders:?}");
    }

    /// A plain-HTTP server answering one request with `head` then zeros until the client hangs
    /// up; returns its port and the count of body bytes it got out.
    fn endless_server(head: String) -> (u16, std::sync::Arc<std::sync::atomic::AtomicU64>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = sent.clone();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                request.push(byte[0]);
            }
            let zeros = vec![0u8; 64 << 10];
            let mut ok = conn.write_all(head.as_bytes()).is_ok();
            while ok {
                ok = conn.write_all(&zeros).is_ok();
                counter.fetch_add(zeros.len() as u64, std::sync::atomic::Ordering::SeqCst);
            }
        });
        (port, sent)
    }

    #[tokio::test]
    async fn an_endless_or_oversized_plan_answer_is_refused_at_the_bound_without_buffering_it() {
        for head in ["HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_string(), format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", 1u64 << 40)] {
            let (port, sent) = endless_server(head.clone());
            let c = HubClient::plain(&format!("http://127.0.0.1:{port}"), "0101", "00").unwrap();
            let err = c.plan().await.unwrap_err();
            assert!(matches!(err, PlanFetchError::TooLong { limit: PLAN_MAX_BYTES }), "{head:?}: {err}");
            let sent = sent.load(std::sync::atomic::Ordering::SeqCst);
            assert!(sent < PLAN_MAX_BYTES + (32 << 20), "{head:?}: the client read on: {sent} bytes");
        }
    }

    /// A plain-HTTP "hub" that signs its time over the nonce it is sent, after `delay`.
    fn signing_server(key: ring::signature::Ed25519KeyPair, delay: Duration) -> u16 {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let mut conn = conn.unwrap();
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                    request.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                let nonce = text.lines().find_map(|l| l.strip_prefix(&format!("{}: ", protocol::TIME_NONCE_HEADER))).unwrap_or_default().trim().to_string();
                let time = "2027-05-27T02:00:00Z";
                let sig = crate::keys::sign_hex(&key, &protocol::time_signature_message(time, &nonce));
                std::thread::sleep(delay);
                let answer = format!("HTTP/1.1 200 OK\r\n{}: {time}\r\n{}: {sig}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", protocol::HUB_TIME_HEADER, protocol::HUB_TIME_SIGNATURE_HEADER);
                let _ = conn.write_all(answer.as_bytes());
            }
        });
        port
    }

    #[tokio::test]
    async fn a_signed_time_held_back_past_the_round_trip_bound_is_ignored() {
        let key = crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
        let public = crate::keys::ed25519_public_hex(&key);
        let port = signing_server(key, Duration::from_millis(300));
        let mut c = HubClient::plain(&format!("http://127.0.0.1:{port}"), "0101", &public).unwrap();
        c.time_max_round_trip = Duration::from_secs(5);
        assert_eq!(c.time().await.unwrap().map(|t| t.text).as_deref(), Some("2027-05-27T02:00:00Z"), "in time and signed for its nonce");
        c.time_max_round_trip = Duration::from_millis(100);
        assert_eq!(c.time().await.unwrap(), None, "held back 300 ms against a 100 ms bound");
    }

    #[test]
    fn hub_time_is_believed_only_with_the_pinned_key_and_this_requests_nonce() {
        let hub = crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
        let other = crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
        let c = HubClient::plain("http://h", "0101", &crate::keys::ed25519_public_hex(&hub)).unwrap();
        let (mine, earlier) = (fresh_time_nonce(), fresh_time_nonce());
        assert!(protocol::is_time_nonce(&mine) && mine != earlier, "fresh, random and of the signed shape");
        let headers = |key: &ring::signature::Ed25519KeyPair, nonce: &str| {
            let mut h = reqwest::header::HeaderMap::new();
            let time = "2027-05-27T02:00:00Z";
            h.insert(protocol::HUB_TIME_HEADER, time.parse().unwrap());
            h.insert(protocol::HUB_TIME_SIGNATURE_HEADER, crate::keys::sign_hex(key, &protocol::time_signature_message(time, nonce)).parse().unwrap());
            h
        };
        let t = c.hub_time(&headers(&hub, &mine), &mine).unwrap();
        assert_eq!(t.text, "2027-05-27T02:00:00Z");
        assert_eq!(t.at, DateTime::parse_from_rfc3339("2027-05-27T02:00:00Z").unwrap());
        assert_eq!(c.hub_time(&headers(&other, &mine), &mine), None, "signed by another key");
        assert_eq!(c.hub_time(&headers(&hub, &earlier), &mine), None, "a genuine answer to another request, replayed");
        assert_eq!(c.hub_time(&reqwest::header::HeaderMap::new(), &mine), None);
    }
}
