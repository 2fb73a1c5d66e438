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

use crate::protocol::tus;

#[derive(Debug, thiserror::Error)]
pub enum TusError {
    #[error("сервер отказал в загрузке: HTTP {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("прекращено после {failures} неудачных попыток подряд; последняя: {last}")]
    TooManyFailures { failures: u32, last: String },
    #[error("локальный файл {path}: {reason}")]
    LocalFile { path: String, reason: String },
    #[error("сервер не поддерживает здесь tus 1.0.0: {0}")]
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
    /// Send the first chunk with the creation request (tus creation-with-upload): `None` asks
    /// OPTIONS whether the server offers it. Saves a round trip and, on our hub, a commit per
    /// file.
    pub creation_with_upload: Option<bool>,
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
            creation_with_upload: None,
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
    /// The upload URL of a file that is already whole on the server (creation-with-upload
    /// took all of it): nothing more will be sent, so the caller may record it lazily.
    fn url_known(&mut self, url: &str) -> Result<(), String> {
        self.url_created(Some(url))
    }
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

/// Where a file's upload stands when [`TusClient::upload`] starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// Never sent: create (with the first chunk, if the server takes it).
    New,
    /// The upload URL recorded before: ask the server's offset and go on.
    Url(String),
    /// Sending may have begun, but no URL was recorded: plain creation first.
    MaybeOnServer,
}

impl From<Option<String>> for Resume {
    fn from(url: Option<String>) -> Self {
        url.map_or(Resume::New, Resume::Url)
    }
}

/// What the server offers, as far as this client cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerFeatures {
    pub sha256: bool,
    pub creation_with_upload: bool,
    /// Our hub: creation with the same content (declared `sha256` metadata) returns the upload
    /// already there, so a lost URL costs no resend.
    pub idempotent_creation: bool,
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

    /// The extensions of the server that this client uses, from one OPTIONS request.
    pub async fn server_features(&self, endpoint: &Url) -> Result<ServerFeatures, String> {
        let resp = self.http.request(reqwest::Method::OPTIONS, endpoint.clone()).send().await.map_err(|e| e.to_string())?;
        let get = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        let extensions = get(tus::TUS_EXTENSION);
        let has = |x: &str| extensions.split(',').any(|e| e.trim() == x);
        Ok(ServerFeatures {
            sha256: has("checksum") && get(tus::TUS_CHECKSUM_ALGORITHM).split(',').any(|a| a.trim() == tus::CHECKSUM_ALGORITHM),
            creation_with_upload: has("creation-with-upload"),
            idempotent_creation: get(tus::IDEMPOTENT_CREATION_HEADER).split(',').any(|a| a.trim() == tus::CHECKSUM_ALGORITHM),
        })
    }

    /// Uploads `path` to the tus `endpoint`, from where `resume` says it stands. `whole_sha256`,
    /// when the caller knows the file's SHA-256 (the bundle manifest does), is the checksum of
    /// a chunk that is the whole file, so a page is not hashed twice.
    pub async fn upload(
        &self,
        endpoint: &Url,
        path: &Path,
        metadata: &[(String, String)],
        resume: impl Into<Resume>,
        whole_sha256: Option<[u8; 32]>,
        events: &mut dyn TusEvents,
    ) -> Result<TusOutcome, TusError> {
        let resume = resume.into();
        let local = |reason: String| TusError::LocalFile { path: path.display().to_string(), reason };
        // One hop to the blocking pool to open, one per chunk to read (positional reads).
        let (file, size) = {
            let path = path.to_path_buf();
            tokio::task::spawn_blocking(move || -> std::io::Result<(std::fs::File, u64)> {
                let file = std::fs::File::open(&path)?;
                let size = file.metadata()?.len();
                Ok((file, size))
            })
            .await
            .map_err(|e| local(e.to_string()))?
            .map_err(|e| local(e.to_string()))?
        };
        let file = std::sync::Arc::new(file);
        let needs_probe = self.options.checksum == ChecksumMode::Auto || self.options.creation_with_upload.is_none();
        // If OPTIONS itself fails, the link is down; our hub offers both, so assume them.
        let offered = if needs_probe {
            self.server_features(endpoint).await.unwrap_or(ServerFeatures { sha256: true, creation_with_upload: true, idempotent_creation: false })
        } else {
            ServerFeatures::default()
        };
        let send_checksum = match self.options.checksum {
            ChecksumMode::Always => true,
            ChecksumMode::Never => false,
            ChecksumMode::Auto => offered.sha256,
        };
        // A file that may be on the server already is asked for by plain creation first (our
        // hub answers with the same upload and its offset), so it is not sent again.
        let mut with_upload = self.options.creation_with_upload.unwrap_or(offered.creation_with_upload) && !matches!(resume, Resume::MaybeOnServer);
        // After a 460, the file's bytes are hashed as read: if the file changed since its
        // manifest, the bytes that are there arrive intact and the hub refuses the bundle
        // with the reason (hash mismatch) instead of refusing every chunk.
        let mut whole_sha256 = whole_sha256;
        let checksum_of = |whole_sha256: Option<[u8; 32]>, offset: u64, chunk: &[u8]| -> Option<String> {
            if !send_checksum {
                return None;
            }
            let digest = match whole_sha256 {
                Some(d) if offset == 0 && chunk.len() as u64 == size => d.to_vec(),
                _ => ring::digest::digest(&ring::digest::SHA256, chunk).as_ref().to_vec(),
            };
            Some(base64::engine::general_purpose::STANDARD.encode(digest))
        };
        let mut url: Option<Url> = match resume {
            Resume::Url(u) => Url::parse(&u).ok(),
            Resume::New | Resume::MaybeOnServer => None,
        };
        let mut known_offset: Option<u64> = None;
        let mut resumed_from: Option<u64> = None;
        let mut bytes_sent = 0u64;
        let mut failures = 0u32;
        let mut pause = self.options.backoff_initial;
        loop {
            let attempt: Attempt<bool> = 'attempt: {
                let Some(current) = url.clone() else {
                    let first = if with_upload {
                        let len = (size as usize).min(self.options.chunk_size);
                        let chunk = read_chunk(&file, 0, len).await.map_err(|e| local(e.to_string()))?;
                        let sum = checksum_of(whole_sha256, 0, &chunk);
                        bytes_sent += len as u64;
                        Some((chunk, sum))
                    } else {
                        None
                    };
                    match self.create(endpoint, size, metadata, first).await {
                        Attempt::Ok((u, offset)) => {
                            if offset >= size {
                                events.url_known(u.as_str()).map_err(TusError::Callback)?;
                            } else {
                                events.url_created(Some(u.as_str())).map_err(TusError::Callback)?;
                            }
                            url = Some(u);
                            // Our hub hands back an upload of the same content with its offset.
                            known_offset = Some(offset);
                            resumed_from.get_or_insert(if with_upload { 0 } else { offset });
                            if offset > 0 {
                                events.acknowledged(offset);
                            }
                            break 'attempt Attempt::Ok(offset >= size);
                        }
                        Attempt::Transient(e) => {
                            // The server may hold the upload now: ask before sending again.
                            with_upload = false;
                            break 'attempt Attempt::Transient(e);
                        }
                        // A first chunk refused by its checksum: create again.
                        Attempt::Resync(e) if with_upload => break 'attempt Attempt::Resync(e),
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
                let chunk = read_chunk(&file, offset, len).await.map_err(|e| local(e.to_string()))?;
                let checksum = checksum_of(whole_sha256, offset, &chunk);
                bytes_sent += len as u64;
                match self.patch(&current, offset, chunk, checksum.as_deref()).await {
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
                    whole_sha256 = None;
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

    /// tus creation; with `first` (a chunk from offset 0 and its checksum), creation-with-upload.
    async fn create(
        &self,
        endpoint: &Url,
        size: u64,
        metadata: &[(String, String)],
        first: Option<(bytes::Bytes, Option<String>)>,
    ) -> Attempt<(Url, u64)> {
        let meta = metadata
            .iter()
            .map(|(k, v)| format!("{k} {}", base64::engine::general_purpose::STANDARD.encode(v.as_bytes())))
            .collect::<Vec<_>>()
            .join(",");
        let mut req = self
            .http
            .post(endpoint.clone())
            .header(tus::TUS_RESUMABLE, tus::VERSION)
            .header(tus::UPLOAD_LENGTH, size.to_string())
            .header(tus::UPLOAD_METADATA, meta);
        req = match first {
            Some((chunk, checksum)) => {
                let mut r = req.header("Content-Type", tus::OFFSET_OCTET_STREAM);
                if let Some(c) = checksum {
                    r = r.header(tus::UPLOAD_CHECKSUM, format!("{} {c}", tus::CHECKSUM_ALGORITHM));
                }
                r.body(chunk)
            }
            None => req.header(reqwest::header::CONTENT_LENGTH, "0"),
        };
        let resp = match req.send().await {
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
        let resp = match self.http.head(url.clone()).header(tus::TUS_RESUMABLE, tus::VERSION).send().await {
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

    async fn patch(&self, url: &Url, offset: u64, chunk: bytes::Bytes, checksum: Option<&str>) -> Attempt<u64> {
        let mut req = self
            .http
            .patch(url.clone())
            .header(tus::TUS_RESUMABLE, tus::VERSION)
            .header(tus::UPLOAD_OFFSET, offset.to_string())
            .header("Content-Type", tus::OFFSET_OCTET_STREAM)
            .body(chunk);
        if let Some(c) = checksum {
            req = req.header(tus::UPLOAD_CHECKSUM, format!("{} {c}", tus::CHECKSUM_ALGORITHM));
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

/// `len` bytes of the file from `offset`, read on the blocking pool.
async fn read_chunk(file: &std::sync::Arc<std::fs::File>, offset: u64, len: usize) -> std::io::Result<bytes::Bytes> {
    let file = file.clone();
    let buf = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        std::os::unix::fs::FileExt::read_exact_at(&*file, &mut buf, offset)?;
        Ok(buf)
    })
    .await
    .map_err(std::io::Error::other)??;
    Ok(bytes::Bytes::from(buf))
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
    resp.headers().get(tus::UPLOAD_OFFSET)?.to_str().ok()?.trim().parse().ok()
}

/// The Russian reason of the hub's error body (`message_ru`), as `: reason`, so a box that
/// gives up says why (507: no room on the hub's disk); empty for any other body.
fn hub_reason(body: &str) -> String {
    let reason = serde_json::from_str::<serde_json::Value>(body).ok().and_then(|v| v.get("message_ru")?.as_str().map(str::to_string));
    reason.map(|r| format!(": {}", r.chars().take(300).collect::<String>())).unwrap_or_default()
}

/// Which answers are worth another try. 4xx other than these is the server's final word.
fn classify<T>(status: StatusCode, body: String) -> Attempt<T> {
    match status.as_u16() {
        404 | 410 => Attempt::Lost,
        409 => Attempt::Resync("offset conflict (409)".into()),
        tus::CHECKSUM_MISMATCH => Attempt::Resync("checksum mismatch (460): chunk corrupted on the way".into()),
        423 | 429 => Attempt::Transient(format!("HTTP {status}{}", hub_reason(&body))),
        s if s >= 500 => Attempt::Transient(format!("HTTP {status}{}", hub_reason(&body))),
        s => Attempt::Refused(s, body),
    }
}
