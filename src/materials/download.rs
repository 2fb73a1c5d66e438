//! The ciphertext's transfer onto the box: from the network (hub or mirror) with `Range`
//! resume after any break, or copied from removable media; hashed in the same pass, refused the
//! moment it is longer than the manifest states (or the server says it is longer or shorter),
//! and moved into its content-addressed place only once length and SHA-256 match.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::pull::{backoff_delay, net, refused, PullError, PullReport};
use super::{verify_cipher_file, FileEntry, MaterialsError};

pub(super) fn rehash_in_place(path: &Path, f: &FileEntry) -> Result<(), PullError> {
    let mut hasher = Sha256::new();
    let len = std::fs::File::open(path).and_then(|mut file| std::io::copy(&mut file, &mut HashWriter(&mut hasher))).map_err(MaterialsError::from)?;
    let sha = hex::encode(hasher.finalize());
    if let Err(e) = verify_cipher_file(f, len, &sha) {
        let _ = std::fs::remove_file(path);
        return Err(e.into());
    }
    Ok(())
}

fn part_path(dir: &Path, f: &FileEntry) -> PathBuf {
    dir.join(format!("{}.part", f.cipher_sha256))
}

/// Moves a complete, verified `.part` into place (rename + folder fsync).
fn finish(dir: &Path, f: &FileEntry, len: u64, hasher: Sha256) -> Result<(), PullError> {
    let part = part_path(dir, f);
    let sha = hex::encode(hasher.finalize());
    if let Err(e) = verify_cipher_file(f, len, &sha) {
        let _ = std::fs::remove_file(&part);
        return Err(e.into());
    }
    crate::util::crash_point("pull.part_verified");
    std::fs::rename(&part, dir.join(f.cipher_file_name())).map_err(MaterialsError::from)?;
    crate::util::sync_dir(dir).map_err(MaterialsError::from)?;
    Ok(())
}

/// Reads what an earlier run left in `.part` into the hasher (local disk, not the network).
fn resume_state(dir: &Path, f: &FileEntry) -> Result<(u64, Sha256), PullError> {
    let part = part_path(dir, f);
    let mut hasher = Sha256::new();
    let Ok(mut file) = std::fs::File::open(&part) else { return Ok((0, hasher)) };
    let len = file.metadata().map_err(MaterialsError::from)?.len();
    if len > f.cipher_len {
        drop(file);
        std::fs::remove_file(&part).map_err(MaterialsError::from)?;
        return Ok((0, Sha256::new()));
    }
    let copied = std::io::copy(&mut file, &mut HashWriter(&mut hasher)).map_err(MaterialsError::from)?;
    Ok((copied, hasher))
}

struct HashWriter<'a>(&'a mut Sha256);
impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(super) fn copy_from_media(src: &Path, dir: &Path, f: &FileEntry, report: &mut PullReport) -> Result<(), PullError> {
    use std::io::Read;
    let mut input = std::fs::File::open(src).map_err(|e| PullError::Other(anyhow::anyhow!("{}: {e}", src.display())))?;
    let part = part_path(dir, f);
    let full = |e| MaterialsError::from(crate::util::no_space_in(dir, e));
    let mut out = std::fs::File::create(&part).map_err(full)?;
    let mut hasher = Sha256::new();
    let mut len = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf).map_err(MaterialsError::from)?;
        if n == 0 {
            break;
        }
        len += n as u64;
        if len > f.cipher_len {
            drop(out);
            let _ = std::fs::remove_file(&part);
            return Err(MaterialsError::TooLong { name: f.name.clone(), limit: f.cipher_len }.into());
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(full)?;
    }
    out.sync_all().map_err(full)?;
    drop(out);
    finish(dir, f, len, hasher)?;
    let _ = report;
    Ok(())
}

pub(super) async fn download_with_retries(client: &reqwest::Client, url: &str, dir: &Path, f: &FileEntry, max_attempts: u32, report: &mut PullReport) -> Result<(), PullError> {
    let (mut have, mut hasher) = resume_state(dir, f)?;
    report.bytes_resumed += have;
    let mut rng = rand::thread_rng();
    let mut attempt = 0;
    loop {
        let before = have;
        match download_once(client, url, dir, f, &mut have, &mut hasher, report).await {
            Ok(()) => return finish(dir, f, have, hasher),
            Err(e) if e.is_retryable() && (have > before || attempt + 1 < max_attempts.max(1)) => {
                // A link that breaks again and again but moves the file on is not given up on:
                // only failures in a row without a byte gained count.
                if have > before {
                    attempt = 0;
                }
                let wait = backoff_delay(attempt, &mut rng);
                tracing::warn!(file = %f.name, have, "download interrupted ({e}); resuming in {wait:?}");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The whole file's length as a successful answer states it: `Content-Range: bytes a-b/N` of
/// a 206, `Content-Length` of a 200; `None` when the server does not say.
fn stated_length(status: reqwest::StatusCode, headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let header = |name| headers.get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok());
    match status {
        reqwest::StatusCode::PARTIAL_CONTENT => header(reqwest::header::CONTENT_RANGE)?.rsplit_once('/')?.1.trim().parse().ok(),
        reqwest::StatusCode::OK => header(reqwest::header::CONTENT_LENGTH)?.trim().parse().ok(),
        _ => None,
    }
}

/// One HTTP request: `Range: bytes=have-`, appending to `.part` while hashing.
async fn download_once(client: &reqwest::Client, url: &str, dir: &Path, f: &FileEntry, have: &mut u64, hasher: &mut Sha256, report: &mut PullReport) -> Result<(), PullError> {
    if *have == f.cipher_len {
        return Ok(());
    }
    let mut req = client.get(url);
    if *have > 0 {
        req = req.header(reqwest::header::RANGE, format!("bytes={}-", *have));
    }
    let mut resp = req.send().await.map_err(net)?;
    let part = part_path(dir, f);
    let status = resp.status();
    // A server stating another length serves another file (truncated, padded, replaced): no
    // retry cures that, and nothing of it is kept.
    if let Some(stated) = stated_length(status, resp.headers()).filter(|n| *n != f.cipher_len) {
        let _ = std::fs::remove_file(&part);
        return Err(PullError::Rejected(if stated > f.cipher_len {
            MaterialsError::TooLong { name: f.name.clone(), limit: f.cipher_len }
        } else {
            MaterialsError::LengthMismatch { name: f.name.clone(), expected: f.cipher_len, found: stated }
        }));
    }
    let file = if status == reqwest::StatusCode::PARTIAL_CONTENT {
        let start = resp
            .headers()
            .get(reqwest::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("bytes "))
            .and_then(|v| v.split('-').next())
            .and_then(|v| v.parse::<u64>().ok());
        if start != Some(*have) {
            return Err(PullError::Network(format!("server answered a range starting at {start:?}, asked {}", *have)));
        }
        std::fs::OpenOptions::new().append(true).create(true).open(&part).map_err(|e| MaterialsError::from(crate::util::no_space_in(dir, e)))?
    } else if status.is_success() {
        // The server ignored the range: start over from the first byte.
        *have = 0;
        *hasher = Sha256::new();
        std::fs::File::create(&part).map_err(|e| MaterialsError::from(crate::util::no_space_in(dir, e)))?
    } else if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(PullError::Network(format!("HTTP {}", status.as_u16())));
    } else {
        return Err(refused(resp).await);
    };
    // Hashing and writing run on their own thread, overlapping with TLS decryption of the
    // next bytes (measured: the single-threaded loop was the bottleneck against curl).
    let (tx, mut rx) = tokio::sync::mpsc::channel::<axum::body::Bytes>(32);
    let mut sink_hasher = std::mem::take(hasher);
    let sink = std::thread::spawn(move || -> (Sha256, std::io::Result<()>) {
        let mut out = std::io::BufWriter::with_capacity(256 << 10, file);
        let written = (|| {
            while let Some(chunk) = rx.blocking_recv() {
                sink_hasher.update(&chunk);
                out.write_all(&chunk)?;
            }
            // Whatever arrived intact is kept for the next attempt, even when the stream broke.
            out.flush()?;
            out.get_ref().sync_data()
        })();
        (sink_hasher, written)
    });
    let result = async {
        while let Some(chunk) = resp.chunk().await.map_err(net)? {
            if *have + chunk.len() as u64 > f.cipher_len {
                return Err(PullError::Rejected(MaterialsError::TooLong { name: f.name.clone(), limit: f.cipher_len }));
            }
            let n = chunk.len() as u64;
            if tx.send(chunk).await.is_err() {
                break;
            }
            *have += n;
            report.bytes_downloaded += n;
        }
        Ok(())
    }
    .await;
    drop(tx);
    let (sink_hasher, written) = sink.join().map_err(|_| PullError::Other(anyhow::anyhow!("writer thread panicked")))?;
    *hasher = sink_hasher;
    // A local write failure leaves `have` unknown: not retryable within this run (a full
    // disk names the folder; the bytes written so far stay in `.part` for the next run).
    written.map_err(|e| MaterialsError::from(crate::util::no_space_in(dir, e)))?;
    if let Err(PullError::Rejected(_)) = &result {
        let _ = std::fs::remove_file(&part);
        return Err(PullError::Rejected(MaterialsError::TooLong { name: f.name.clone(), limit: f.cipher_len }));
    }
    result?;
    if *have < f.cipher_len {
        return Err(PullError::Network(format!("connection closed at {} of {} bytes", *have, f.cipher_len)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stated_length_is_the_whole_files_in_both_answers_and_none_when_unsaid() {
        let headers = |pairs: &[(reqwest::header::HeaderName, &str)]| {
            let mut h = reqwest::header::HeaderMap::new();
            for (k, v) in pairs {
                h.insert(k.clone(), v.parse().unwrap());
            }
            h
        };
        use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE};
        use reqwest::StatusCode;
        assert_eq!(stated_length(StatusCode::OK, &headers(&[(CONTENT_LENGTH, "4112")])), Some(4112));
        assert_eq!(stated_length(StatusCode::PARTIAL_CONTENT, &headers(&[(CONTENT_RANGE, "bytes 100-4111/4112"), (CONTENT_LENGTH, "4012")])), Some(4112));
        assert_eq!(stated_length(StatusCode::PARTIAL_CONTENT, &headers(&[(CONTENT_RANGE, "bytes 100-4111/*")])), None);
        assert_eq!(stated_length(StatusCode::OK, &headers(&[])), None, "chunked: the stream is bounded instead");
        assert_eq!(stated_length(StatusCode::NOT_FOUND, &headers(&[(CONTENT_LENGTH, "12")])), None);
    }
}
