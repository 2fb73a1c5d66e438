//! The box's tus 1.0.0 client: creation, HEAD for the server's offset, PATCH with
//! `Upload-Checksum: sha256 <base64>` (when the server offers the checksum extension), resume
//! from the server's offset after any break, retries with exponential backoff. Works against
//! our hub and stock tus servers.
//!
//! The caller persists the upload URL the moment it exists ([`TusEvents::url_created`]), so a
//! box killed mid-file resumes the same upload after a restart and re-sends at most the chunk
//! that was in flight.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use reqwest::{StatusCode, Url};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

#[derive(Debug, thiserror::Error)]
pub enum TusError {
    #[error("the server refused the upload: HTTP {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("gave up after {failures} failed attempts in a row; last: {last}")]
    TooManyFailures { failures: u32, last: String },
    #[error("local file {path}: {reason}")]
    LocalFile { path: String, reason: String },
    #[error("the server does not speak tus 1.0.0 here: {0}")]
    Protocol(String),
    #[error("{0}")]
    Callback(String),
}

/// When to send `Upload-Checksum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumMode {
    /// If the server lists `checksum` and `sha256` in OPTIONS (our hub does; stock
    /// @tus/server does not).
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone)]
pub struct TusClientOptions {
    pub chunk_size: usize,
    pub checksum: ChecksumMode,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// Failed attempts in a row before giving up (the caller may start again).
    pub max_failures: u32,
}

impl Default for TusClientOptions {
    fn default() -> Self {
        Self {
            chunk_size: 4 << 20,
            checksum: ChecksumMode::Auto,
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(10),
            max_failures: 30,
        }
    }
}

/// What the caller hears while a file goes up.
pub trait TusEvents {
    /// A new upload URL exists (`None`: the old one is gone and a new one will be made).
    /// Persist it before returning: bytes are sent only after this.
    fn url_created(&mut self, url: Option<&str>) -> Result<(), String>;
    /// The server acknowledged `offset` bytes of this file.
    fn acknowledged(&mut self, _offset: u64) {}
    /// An attempt failed and will be retried.
    fn retrying(&mut self, _reason: &str) {}
}

/// The result of one file's upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TusOutcome {
    pub url: String,
    /// Body bytes sent in PATCH requests, re-sends included.
    pub bytes_sent: u64,
    /// Offset the server had when this run started (resumed from).
    pub resumed_from: u64,
}

pub struct TusClient {
    http: reqwest::Client,
    options: TusClientOptions,
}

enum Attempt<T> {
    Ok(T),
    /// Retry after a pause.
    Transient(String),
    /// The upload URL is gone (404/410): create a new one.
    Lost,
    /// Retry at once from the server's offset (409, 460).
    Resync(String),
    /// The server's final word (a 4xx other than the ones above).
    Refused(u16, String),
}

impl TusClient {
    pub fn new(http: reqwest::Client, options: TusClientOptions) -> Self {
        Self { http, options }
    }

    /// Whether the server offers sha256 checksums.
    pub async fn server_offers_sha256(&self, endpoint: &Url) -> Result<bool, String> {
        let resp = self.http.request(reqwest::Method::OPTIONS, endpoint.clone()).send().await.map_err(|e| e.to_string())?;
        let get = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        Ok(get("tus-extension").split(',').any(|e| e.trim() == "checksum") && get("tus-checksum-algorithm").contains("sha256"))
    }

    /// Uploads `path` to the tus `endpoint`, resuming `resume_url` if given.
    pub async fn upload(
        &self,
        endpoint: &Url,
        path: &Path,
        metadata: &[(String, String)],
        resume_url: Option<String>,
        events: &mut dyn TusEvents,
    ) -> Result<TusOutcome, TusError> {
        let local = |reason: String| TusError::LocalFile { path: path.display().to_string(), reason };
        let size = tokio::fs::metadata(path).await.map_err(|e| local(e.to_string()))?.len();
        let mut file = tokio::fs::File::open(path).await.map_err(|e| local(e.to_string()))?;
        let send_checksum = match self.options.checksum {
            ChecksumMode::Always => true,
            ChecksumMode::Never => false,
            // If OPTIONS itself fails, the link is down; our hub offers checksums, so assume it.
            ChecksumMode::Auto => self.server_offers_sha256(endpoint).await.unwrap_or(true),
        };
        let mut url: Option<Url> = resume_url.and_then(|u| Url::parse(&u).ok());
        let mut known_offset: Option<u64> = None;
        let mut resumed_from: Option<u64> = None;
        let mut bytes_sent = 0u64;
        let mut failures = 0u32;
        let mut pause = self.options.backoff_initial;
        let mut buf = Vec::with_capacity(self.options.chunk_size.min(size as usize + 1));
        loop {
            let attempt: Attempt<bool> = 'attempt: {
                let Some(current) = url.clone() else {
                    match self.create(endpoint, size, metadata).await {
                        Attempt::Ok((u, offset)) => {
                            events.url_created(Some(u.as_str())).map_err(TusError::Callback)?;
                            url = Some(u);
                            // Our hub hands back an upload of the same content with its offset.
                            known_offset = Some(offset);
                            resumed_from.get_or_insert(offset);
                            if offset > 0 {
                                events.acknowledged(offset);
                            }
                            break 'attempt Attempt::Ok(false);
                        }
                        Attempt::Transient(e) => break 'attempt Attempt::Transient(e),
                        Attempt::Refused(status, body) => return Err(TusError::Refused { status, body }),
                        Attempt::Lost | Attempt::Resync(_) => return Err(TusError::Protocol("creation answered 404/409".into())),
                    }
                };
                let offset = match known_offset {
                    Some(o) => o,
                    None => match self.head(&current).await {
                        Attempt::Ok(o) => {
                            resumed_from.get_or_insert(o);
                            known_offset = Some(o);
                            events.acknowledged(o);
                            o
                        }
                        other => break 'attempt map_other(other),
                    },
                };
                if offset >= size {
                    break 'attempt Attempt::Ok(true);
                }
                let len = ((size - offset) as usize).min(self.options.chunk_size);
                buf.resize(len, 0);
                if let Err(e) = async {
                    file.seek(std::io::SeekFrom::Start(offset)).await?;
                    file.read_exact(&mut buf).await
                }
                .await
                {
                    return Err(local(e.to_string()));
                }
                let checksum = send_checksum.then(|| base64::engine::general_purpose::STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, &buf)));
                bytes_sent += len as u64;
                match self.patch(&current, offset, buf.clone(), checksum.as_deref()).await {
                    Attempt::Ok(new_offset) => {
                        known_offset = Some(new_offset);
                        events.acknowledged(new_offset);
                        Attempt::Ok(new_offset >= size)
                    }
                    other => map_other(other),
                }
            };
            match attempt {
                Attempt::Ok(done) => {
                    failures = 0;
                    pause = self.options.backoff_initial;
                    if done {
                        let url = url.map(|u| u.to_string()).unwrap_or_default();
                        return Ok(TusOutcome { url, bytes_sent, resumed_from: resumed_from.unwrap_or(0) });
                    }
                }
                Attempt::Refused(status, body) => return Err(TusError::Refused { status, body }),
                Attempt::Lost => {
                    events.url_created(None).map_err(TusError::Callback)?;
                    url = None;
                    known_offset = None;
                }
                Attempt::Resync(reason) | Attempt::Transient(reason) if failures + 1 >= self.options.max_failures => {
                    return Err(TusError::TooManyFailures { failures: failures + 1, last: reason });
                }
                Attempt::Resync(reason) => {
                    failures += 1;
                    known_offset = None;
                    events.retrying(&reason);
                }
                Attempt::Transient(reason) => {
                    failures += 1;
                    known_offset = None;
                    events.retrying(&reason);
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(self.options.backoff_max);
                }
            }
        }
    }

    async fn create(&self, endpoint: &Url, size: u64, metadata: &[(String, String)]) -> Attempt<(Url, u64)> {
        let meta = metadata
            .iter()
            .map(|(k, v)| format!("{k} {}", base64::engine::general_purpose::STANDARD.encode(v.as_bytes())))
            .collect::<Vec<_>>()
            .join(",");
        let resp = self
            .http
            .post(endpoint.clone())
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", size.to_string())
            .header("Upload-Metadata", meta)
            .header("Content-Length", "0")
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => return Attempt::Transient(format!("creation: {e}")),
        };
        let status = resp.status();
        if status == StatusCode::CREATED {
            let Some(loc) = resp.headers().get("location").and_then(|v| v.to_str().ok()) else {
                return Attempt::Transient("creation answered without Location".into());
            };
            let offset = upload_offset(&resp).filter(|o| *o <= size).unwrap_or(0);
            return match endpoint.join(loc) {
                Ok(u) => Attempt::Ok((u, offset)),
                Err(e) => Attempt::Transient(format!("bad Location {loc}: {e}")),
            };
        }
        classify(status, resp.text().await.unwrap_or_default())
    }

    async fn head(&self, url: &Url) -> Attempt<u64> {
        let resp = match self.http.head(url.clone()).header("Tus-Resumable", "1.0.0").send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Transient(format!("HEAD: {e}")),
        };
        let status = resp.status();
        if status.is_success() {
            return match upload_offset(&resp) {
                Some(o) => Attempt::Ok(o),
                None => Attempt::Transient("HEAD answered without Upload-Offset".into()),
            };
        }
        classify(status, String::new())
    }

    async fn patch(&self, url: &Url, offset: u64, chunk: Vec<u8>, checksum: Option<&str>) -> Attempt<u64> {
        let mut req = self
            .http
            .patch(url.clone())
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(chunk);
        if let Some(c) = checksum {
            req = req.header("Upload-Checksum", format!("sha256 {c}"));
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Transient(format!("PATCH: {e}")),
        };
        let status = resp.status();
        if status == StatusCode::NO_CONTENT || status.is_success() {
            return match upload_offset(&resp) {
                Some(o) => Attempt::Ok(o),
                None => Attempt::Transient("PATCH answered without Upload-Offset".into()),
            };
        }
        classify(status, resp.text().await.unwrap_or_default())
    }
}

fn map_other<T, U>(a: Attempt<T>) -> Attempt<U> {
    match a {
        Attempt::Ok(_) => Attempt::Transient("unexpected".into()),
        Attempt::Transient(e) => Attempt::Transient(e),
        Attempt::Lost => Attempt::Lost,
        Attempt::Resync(e) => Attempt::Resync(e),
        Attempt::Refused(s, b) => Attempt::Refused(s, b),
    }
}

fn upload_offset(resp: &reqwest::Response) -> Option<u64> {
    resp.headers().get("upload-offset")?.to_str().ok()?.trim().parse().ok()
}

/// Which answers are worth another try. 4xx other than these is the server's final word.
fn classify<T>(status: StatusCode, body: String) -> Attempt<T> {
    match status.as_u16() {
        404 | 410 => Attempt::Lost,
        409 => Attempt::Resync("offset conflict (409)".into()),
        460 => Attempt::Resync("checksum mismatch (460): chunk corrupted on the way".into()),
        423 | 429 => Attempt::Transient(format!("HTTP {status}")),
        s if s >= 500 => Attempt::Transient(format!("HTTP {status}")),
        s => Attempt::Refused(s, body),
    }
}
