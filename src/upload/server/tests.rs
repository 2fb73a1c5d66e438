//! The upload core through its public calls: checksums, creation with upload, lost partials,
//! stale requests, idempotent creation by content, identity, expiry.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::*;
use crate::context::BoxIdentity;

/// The bytes stored at a content address, read through the blob store.
fn blob(st: &UploadServerState, sha: &str) -> Vec<u8> {
    let mut out = Vec::new();
    st.blobs.open(sha, None).unwrap().read_to_end(&mut out).unwrap();
    out
}

fn partial(st: &UploadServerState, upload_id: &str) -> Vec<u8> {
    let mut out = Vec::new();
    st.blobs.partial_read(upload_id, None).unwrap().read_to_end(&mut out).unwrap();
    out
}

fn state(dir: &Path) -> UploadServerState {
    let key = crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
    UploadServerState::in_folder(dir, Clock::real(), key).unwrap()
}

fn meta() -> UploadMetadata {
    UploadMetadata::from_pairs(BTreeMap::from([("exam_id".to_string(), "ege-02".to_string()), ("ppe_code".to_string(), "0101".to_string())]))
}

fn chunks(parts: Vec<Result<&'static [u8], &'static str>>) -> impl futures_util::Stream<Item = Result<bytes::Bytes, &'static str>> + Unpin {
    futures_util::stream::iter(parts.into_iter().map(|p| p.map(bytes::Bytes::from_static)))
}

#[tokio::test]
async fn checksum_mismatch_keeps_no_byte_and_offset_stays() {
    let dir = tempfile::tempdir().unwrap();
    let st = Arc::new(state(dir.path()));
    let row = UploadCore::create(&st, 6, meta(), None).unwrap();
    let wrong: [u8; 32] = Sha256::digest(b"abX").into();
    let e = UploadCore::append(&st, &row.upload_id, 0, chunks(vec![Ok(b"abc")]), Some(wrong), None).await.unwrap_err();
    assert!(matches!(e, CoreError::ChecksumMismatch));
    assert_eq!(UploadCore::status(&st, &row.upload_id, None).unwrap().upload_offset, 0);
    let right: [u8; 32] = Sha256::digest(b"abc").into();
    let r = UploadCore::append(&st, &row.upload_id, 0, chunks(vec![Ok(b"abc")]), Some(right), None).await.unwrap();
    assert_eq!(r.upload_offset, 3);
    let e = UploadCore::append(&st, &row.upload_id, 0, chunks(vec![Ok(b"def")]), None, None).await.unwrap_err();
    assert!(matches!(e, CoreError::OffsetMismatch { server: 3, .. }));
    // A body broken off without a checksum keeps what arrived.
    let r = UploadCore::append(&st, &row.upload_id, 3, chunks(vec![Ok(b"d"), Err("reset")]), None, None).await.unwrap();
    assert_eq!(r.upload_offset, 4);
    let r = UploadCore::append(&st, &row.upload_id, 4, chunks(vec![Ok(b"ef")]), None, None).await.unwrap();
    let sha = r.stored_sha256.unwrap();
    assert_eq!(sha, crate::util::sha256_hex(b"abcdef"));
    assert_eq!(blob(&st, &sha), b"abcdef");
}

fn with_sha(data: &[u8]) -> UploadMetadata {
    let mut m = meta();
    m.file_name = "p.png".into();
    m.sha256 = crate::util::sha256_hex(data);
    m
}

#[tokio::test]
async fn creation_with_upload_takes_a_whole_file_in_one_request_and_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let st = Arc::new(state(dir.path()));
    let sum: [u8; 32] = Sha256::digest(b"abcdef").into();
    let row = UploadCore::create_with_upload(&st, 6, with_sha(b"abcdef"), chunks(vec![Ok(b"abc"), Ok(b"def")]), Some(sum), None).await.unwrap();
    assert_eq!(row.upload_offset, 6);
    let sha = row.stored_sha256.clone().expect("complete in the creation request");
    assert_eq!(blob(&st, &sha), b"abcdef");
    assert_eq!(st.blobs.partial_len(&row.upload_id).unwrap(), None);
    let names: Vec<_> = std::fs::read_dir(dir.path().join("uploads/blobs")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from(&sha)], "only the content address, no temporary name");
    // Where the filesystem has O_TMPFILE (ext4, xfs, btrfs, tmpfs), the page was written
    // unnamed and linked, not written under a partial name and moved.
    if blobs::open_unnamed(&dir.path().join("uploads/blobs")).is_ok() {
        assert_eq!(st.group.linked.load(std::sync::atomic::Ordering::SeqCst), 1, "written unnamed and linked");
    }
    assert_eq!(st.group.batches.load(std::sync::atomic::Ordering::SeqCst), 1, "row, offset and completion in one commit");
    let stored = UploadCore::status(&st, &row.upload_id, None).unwrap();
    assert_eq!((stored.upload_offset, stored.stored_sha256), (6, Some(sha)));
    // The same content again: the body is read and dropped, the answer is the finished upload.
    let before = st.bytes_received_total.load(std::sync::atomic::Ordering::SeqCst);
    let again = UploadCore::create_with_upload(&st, 6, with_sha(b"abcdef"), chunks(vec![Ok(b"abcdef")]), Some(sum), None).await.unwrap();
    assert_eq!((again.upload_id.as_str(), again.upload_offset), (row.upload_id.as_str(), 6));
    assert_eq!(st.bytes_received_total.load(std::sync::atomic::Ordering::SeqCst), before + 6);
}

#[tokio::test]
async fn creation_with_upload_refused_by_checksum_creates_nothing_and_a_first_chunk_continues() {
    let dir = tempfile::tempdir().unwrap();
    let st = Arc::new(state(dir.path()));
    let wrong: [u8; 32] = Sha256::digest(b"abX").into();
    let e = UploadCore::create_with_upload(&st, 6, with_sha(b"abcdef"), chunks(vec![Ok(b"abc")]), Some(wrong), None).await.unwrap_err();
    assert!(matches!(e, CoreError::ChecksumMismatch));
    assert!(st.meta.uploads_for_point("ege-02", "0101").unwrap().is_empty(), "no upload was created");
    // A first chunk of a bigger file: the upload exists with that offset, PATCH goes on.
    let right: [u8; 32] = Sha256::digest(b"abc").into();
    let row = UploadCore::create_with_upload(&st, 6, with_sha(b"abcdef"), chunks(vec![Ok(b"abc")]), Some(right), None).await.unwrap();
    assert_eq!((row.upload_offset, row.completed_at.is_none()), (3, true));
    let done = UploadCore::append(&st, &row.upload_id, 3, chunks(vec![Ok(b"def")]), None, None).await.unwrap();
    assert_eq!(done.stored_sha256.unwrap(), crate::util::sha256_hex(b"abcdef"));
    // An empty file completes with its creation.
    let empty = UploadCore::create_with_upload(&st, 0, with_sha(b""), chunks(vec![]), None, None).await.unwrap();
    assert_eq!(empty.stored_sha256.as_deref(), Some(crate::util::sha256_hex(b"").as_str()));
    assert_eq!(blob(&st, &crate::util::sha256_hex(b"")), b"");
}

#[tokio::test]
async fn a_lost_partial_file_resets_the_offset_instead_of_leaving_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let st = Arc::new(state(dir.path()));
    let row = UploadCore::create(&st, 6, meta(), None).unwrap();
    UploadCore::append(&st, &row.upload_id, 0, chunks(vec![Ok(b"abc")]), None, None).await.unwrap();
    st.blobs.partial_remove(&row.upload_id).unwrap();
    let e = UploadCore::append(&st, &row.upload_id, 3, chunks(vec![Ok(b"def")]), None, None).await.unwrap_err();
    assert!(matches!(e, CoreError::OffsetMismatch { client: 3, server: 0 }), "{e:?}");
    assert_eq!(UploadCore::status(&st, &row.upload_id, None).unwrap().upload_offset, 0);
    UploadCore::append(&st, &row.upload_id, 0, chunks(vec![Ok(b"abcdef")]), None, None).await.unwrap();
    assert_eq!(blob(&st, &crate::util::sha256_hex(b"abcdef")), b"abcdef");
}

#[tokio::test]
async fn a_stale_request_never_resets_a_completed_upload() {
    let dir = tempfile::tempdir().unwrap();
    let st = Arc::new(state(dir.path()));
    let row = UploadCore::create(&st, 6, meta(), None).unwrap();
    let half = UploadCore::append(&st, &row.upload_id, 0, chunks(vec![Ok(b"abc")]), None, None).await.unwrap();
    UploadCore::append(&st, &row.upload_id, 3, chunks(vec![Ok(b"def")]), None, None).await.unwrap();
    // A request that read the row at offset 3 finds no partial (it became the blob).
    let e = UploadCore::partial_lost(&st, &half);
    assert!(matches!(e, CoreError::OffsetMismatch { client: 3, server: 6 }), "{e:?}");
    let now = UploadCore::status(&st, &row.upload_id, None).unwrap();
    assert_eq!((now.upload_offset, now.completed_at.is_some()), (6, true));
}

#[tokio::test]
async fn a_body_of_many_small_frames_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let st = Arc::new(state(dir.path()));
    // More frames than one writev takes (IOV_MAX), each a few bytes.
    let frames: Vec<bytes::Bytes> = (0..1500u32).map(|i| bytes::Bytes::from(format!("{i:05}"))).collect();
    let whole: Vec<u8> = frames.iter().flat_map(|f| f.iter().copied()).collect();
    let body = futures_util::stream::iter(frames.into_iter().map(Ok::<_, &'static str>));
    let row = UploadCore::create(&st, whole.len() as u64 + 3, meta(), None).unwrap();
    let r = UploadCore::append(&st, &row.upload_id, 0, body, None, None).await.unwrap();
    assert_eq!(r.upload_offset, whole.len() as u64);
    assert_eq!(partial(&st, &row.upload_id), whole);
    let r = UploadCore::append(&st, &row.upload_id, r.upload_offset, chunks(vec![Ok(b"end")]), None, None).await.unwrap();
    let mut all = whole.clone();
    all.extend_from_slice(b"end");
    assert_eq!(blob(&st, r.stored_sha256.as_deref().unwrap()), all);
}

#[tokio::test]
async fn box_that_lost_the_url_gets_the_same_upload_back_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let st = Arc::new(state(dir.path()));
    let mut m = meta();
    m.file_name = "p.png".into();
    m.sha256 = crate::util::sha256_hex(b"abcdef");
    let first = UploadCore::create(&st, 6, m.clone(), None).unwrap();
    UploadCore::append(&st, &first.upload_id, 0, chunks(vec![Ok(b"abc")]), None, None).await.unwrap();
    let again = UploadCore::create(&st, 6, m.clone(), None).unwrap();
    assert_eq!((again.upload_id.as_str(), again.upload_offset), (first.upload_id.as_str(), 3));
    let mut other = m;
    other.sha256 = crate::util::sha256_hex(b"abcdeX");
    assert_ne!(UploadCore::create(&st, 6, other, None).unwrap().upload_id, first.upload_id);
}

#[tokio::test]
async fn another_exam_points_upload_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let st = Arc::new(state(dir.path()));
    let other = BoxIdentity { ppe_code: "0202".into() };
    assert!(matches!(UploadCore::create(&st, 1, meta(), Some(&other)), Err(CoreError::Forbidden(_))));
    let row = UploadCore::create(&st, 1, meta(), None).unwrap();
    assert!(matches!(UploadCore::status(&st, &row.upload_id, Some(&other)), Err(CoreError::NotFound)));
}

#[tokio::test]
async fn expired_upload_is_gone_and_swept() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = state(dir.path());
    st.expire_after = chrono::Duration::seconds(-10);
    let row = UploadCore::create(&st, 5, meta(), None).unwrap();
    assert!(matches!(UploadCore::status(&st, &row.upload_id, None), Err(CoreError::Gone)));
    assert_eq!(UploadCore::expire(&st).unwrap(), 1);
    assert!(matches!(UploadCore::status(&st, &row.upload_id, None), Err(CoreError::NotFound)));
}
