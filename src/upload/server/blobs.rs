//! Where the hub keeps upload bytes: the [`BlobStore`] interface (content-addressed blobs and
//! the partials of uploads in progress) and its filesystem implementation, [`FsBlobStore`].
//! The upload core, the group commit, finalize and the media import use only the trait, so an
//! object-storage implementation can take the filesystem's place (issue #19) without touching
//! a handler.
//!
//! Filesystem layout under the store's root: `partial/<upload_id>` while uploading,
//! `blobs/<sha256>` when done. A page sent whole is written as an unnamed file (O_TMPFILE) in
//! the blob folder and linked at its address, so it is written once and never renamed.

use std::any::Any;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("нет такого файла или части: {0}")]
    NotFound(String),
    /// An append past what the partial holds: it would leave a gap.
    #[error("в части {upload_id} {held} байт, а запись начинается с {offset}")]
    PartialShort { upload_id: String, offset: u64, held: u64 },
    #[error("хеш содержимого {actual}, а не {expected}")]
    HashMismatch { expected: String, actual: String },
    #[error("диапазон {start}..{end} вне имеющихся {len} байт")]
    BadRange { start: u64, end: u64, len: u64 },
    #[error("недопустимое имя файла или загрузки: {0:?}")]
    BadName(String),
    #[error("запечатанное содержимое из другого хранилища")]
    ForeignSeal,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Whether an append returns before or after its bytes are on stable storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// More bytes follow before anything is acknowledged (a spilled piece of a big body).
    Buffered,
    /// The bytes are durable on return: their offset may be acknowledged.
    Durable,
}

/// Content written, durable and hashed, waiting for its content address
/// ([`BlobStore::complete`]). The token is the implementation's own (a file, a key).
pub struct Sealed {
    sha256: String,
    len: u64,
    token: Box<dyn Any + Send>,
}

impl Sealed {
    /// For implementations of [`BlobStore`].
    pub fn new(sha256: String, len: u64, token: Box<dyn Any + Send>) -> Self {
        Self { sha256, len, token }
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed").field("sha256", &self.sha256).field("len", &self.len).finish_non_exhaustive()
    }
}

/// A partial the store holds (for the sweep of abandoned ones).
#[derive(Debug, Clone)]
pub struct PartialEntry {
    pub upload_id: String,
    pub modified: Option<SystemTime>,
}

/// Upload bytes on the hub. Every call blocks: the core runs them on the blocking pool.
pub trait BlobStore: Send + Sync {
    /// Stores `content` at its content address and returns its SHA-256 and length; content
    /// already there is kept as it is (idempotent). Durable on return.
    fn put(&self, content: &mut dyn Read) -> Result<(String, u64), BlobError>;
    /// The length of the blob with this SHA-256, `None` when it is not here.
    fn stat(&self, sha256: &str) -> Result<Option<u64>, BlobError>;
    /// The blob's bytes, all of them or `range`.
    fn open(&self, sha256: &str, range: Option<Range<u64>>) -> Result<Box<dyn Read + Send>, BlobError>;

    /// How many bytes the upload's partial holds, `None` when there is none.
    fn partial_len(&self, upload_id: &str) -> Result<Option<u64>, BlobError>;
    /// Writes `data` at `offset` of the upload's partial (created when missing). Bytes past
    /// `offset` are from a chunk never acknowledged and are dropped first; a partial holding
    /// fewer than `offset` bytes is refused ([`BlobError::PartialShort`]): never a gap.
    fn partial_append(&self, upload_id: &str, offset: u64, data: &[bytes::Bytes], durability: Durability) -> Result<(), BlobError>;
    /// Cuts the partial back to `len` bytes (a refused body), durably.
    fn partial_truncate(&self, upload_id: &str, len: u64) -> Result<(), BlobError>;
    /// The partial's bytes read back, all of them or `range`.
    fn partial_read(&self, upload_id: &str, range: Option<Range<u64>>) -> Result<Box<dyn Read + Send>, BlobError>;
    /// Hashes the whole partial for completion; with `expected`, another hash is refused
    /// ([`BlobError::HashMismatch`]) and nothing changes.
    fn seal_partial(&self, upload_id: &str, expected_sha256: Option<&str>) -> Result<Sealed, BlobError>;
    /// A whole content received in one body, already hashed by the caller as it arrived
    /// (`sha256`), written durably in one go; `upload_id` names the partial to fall back on.
    fn seal_whole(&self, upload_id: &str, data: &[bytes::Bytes], sha256: &str) -> Result<Sealed, BlobError>;
    /// Gives sealed content its content address (content already there is kept) and drops
    /// the partial. The new name is durable after [`Self::sync`]. `true` when content written
    /// by [`Self::seal_whole`] was linked where it lies (no copy, no rename).
    fn complete(&self, sealed: Sealed) -> Result<bool, BlobError>;
    /// Makes the names [`Self::complete`] gave durable (once per group of completions).
    fn sync(&self) -> Result<(), BlobError>;
    /// Drops the partial, if any.
    fn partial_remove(&self, upload_id: &str) -> Result<(), BlobError>;
    /// Every partial held.
    fn partials(&self) -> Result<Vec<PartialEntry>, BlobError>;
    /// Bytes still free where the store writes, `None` when it cannot tell.
    fn free_bytes(&self) -> Option<u64> {
        None
    }

    /// Completes a partial whose hash must be `expected_sha256`, durably; refused (and nothing
    /// linked) when it is not.
    fn complete_partial(&self, upload_id: &str, expected_sha256: &str) -> Result<(), BlobError> {
        let sealed = self.seal_partial(upload_id, Some(expected_sha256))?;
        self.complete(sealed)?;
        self.sync()
    }
}

/// SHA-256 (hex) and length of a stream.
pub fn sha256_reader(r: &mut dyn Read) -> std::io::Result<(String, u64)> {
    // ring's SHA-256 (SHA-NI assembly) is the fastest here.
    let mut h = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 1 << 16];
    let mut len = 0u64;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        len += n as u64;
    }
    Ok((hex::encode(h.finish()), len))
}

/// Today's store: folders on the hub's filesystem.
pub struct FsBlobStore {
    root: PathBuf,
}

/// What [`FsBlobStore`] seals.
enum FsSealed {
    /// Written unnamed in the blob folder (O_TMPFILE), fsynced.
    Unnamed { file: std::fs::File, upload_id: String },
    /// In `partial/<upload_id>`, fsynced.
    Partial(String),
    /// No byte: the empty blob (or an empty partial, if one was made).
    Empty(String),
}

impl FsBlobStore {
    /// The store under `root` (`state_dir/uploads` on the hub); creates its folders.
    pub fn open(root: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.join("partial"))?;
        std::fs::create_dir_all(root.join("blobs"))?;
        Ok(Self { root })
    }

    fn blob_dir(&self) -> PathBuf {
        self.root.join("blobs")
    }

    /// Where a completed file with this SHA-256 lives.
    pub fn blob_path(&self, sha256: &str) -> Result<PathBuf, BlobError> {
        if !crate::protocol::bundle::is_sha256_hex(sha256) {
            return Err(BlobError::BadName(sha256.to_string()));
        }
        Ok(self.blob_dir().join(sha256))
    }

    fn partial_path(&self, upload_id: &str) -> Result<PathBuf, BlobError> {
        let plain = !upload_id.is_empty() && upload_id.len() <= 128 && upload_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !plain {
            return Err(BlobError::BadName(upload_id.to_string()));
        }
        Ok(self.root.join("partial").join(upload_id))
    }

    /// A partial that is there, renamed to (or, with the content there already, dropped for)
    /// its content address.
    fn move_partial(&self, partial: &Path, blob: &Path) -> Result<(), BlobError> {
        if blob.exists() {
            std::fs::remove_file(partial)?;
        } else {
            std::fs::rename(partial, blob)?;
        }
        Ok(())
    }
}

fn not_found(what: &str) -> impl FnOnce(std::io::Error) -> BlobError + '_ {
    move |e| if e.kind() == std::io::ErrorKind::NotFound { BlobError::NotFound(what.to_string()) } else { BlobError::Io(e) }
}

/// The length of a regular file (a symlink, a device or a folder in its place is not one: the
/// store made none of those, so it is refused rather than followed).
fn len_of(path: &Path) -> Result<Option<u64>, BlobError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Ok(Some(m.len())),
        Ok(_) => Err(not_regular(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn not_regular(path: &Path) -> BlobError {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    BlobError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{name}: not a regular file")))
}

/// Opens a file for reading only if it is a regular file, never through a symlink
/// (O_NOFOLLOW; O_NONBLOCK so a FIFO put in its place cannot hang the open).
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::openat(rustix::fs::CWD, path, OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty())?;
    let file = std::fs::File::from(fd);
    if !file.metadata()?.file_type().is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "not a regular file"));
    }
    Ok(file)
}

fn open_range(path: &Path, name: &str, range: Option<Range<u64>>) -> Result<Box<dyn Read + Send>, BlobError> {
    let mut f = open_regular(path).map_err(not_found(name))?;
    let Some(r) = range else { return Ok(Box::new(f)) };
    let len = f.metadata()?.len();
    if r.start > r.end || r.end > len {
        return Err(BlobError::BadRange { start: r.start, end: r.end, len });
    }
    f.seek(SeekFrom::Start(r.start))?;
    Ok(Box::new(f.take(r.end - r.start)))
}

impl BlobStore for FsBlobStore {
    fn put(&self, content: &mut dyn Read) -> Result<(String, u64), BlobError> {
        use std::io::Write;
        let tmp = self.partial_path(&format!("import-{}", uuid::Uuid::new_v4().simple()))?;
        let mut out = std::fs::File::create(&tmp)?;
        let mut h = ring::digest::Context::new(&ring::digest::SHA256);
        let mut buf = vec![0u8; 1 << 16];
        let mut len = 0u64;
        loop {
            let n = content.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            len += n as u64;
        }
        out.sync_all()?;
        drop(out);
        let sha = hex::encode(h.finish());
        let blob = self.blob_path(&sha)?;
        if blob.exists() {
            std::fs::remove_file(&tmp)?;
        } else {
            std::fs::rename(&tmp, &blob)?;
            crate::util::sync_dir(&self.blob_dir())?;
        }
        Ok((sha, len))
    }

    fn stat(&self, sha256: &str) -> Result<Option<u64>, BlobError> {
        len_of(&self.blob_path(sha256)?)
    }

    fn open(&self, sha256: &str, range: Option<Range<u64>>) -> Result<Box<dyn Read + Send>, BlobError> {
        open_range(&self.blob_path(sha256)?, sha256, range)
    }

    fn partial_len(&self, upload_id: &str) -> Result<Option<u64>, BlobError> {
        len_of(&self.partial_path(upload_id)?)
    }

    fn partial_append(&self, upload_id: &str, offset: u64, data: &[bytes::Bytes], durability: Durability) -> Result<(), BlobError> {
        let path = self.partial_path(upload_id)?;
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&path)?;
        let held = f.metadata()?.len();
        // Never fill a gap with zeros: a partial shorter than the offset lost bytes.
        if held < offset {
            return Err(BlobError::PartialShort { upload_id: upload_id.to_string(), offset, held });
        }
        if held > offset {
            f.set_len(offset)?;
        }
        f.seek(SeekFrom::Start(offset))?;
        write_chunks(&mut f, data)?;
        if durability == Durability::Durable {
            f.sync_data()?;
        }
        Ok(())
    }

    fn partial_truncate(&self, upload_id: &str, len: u64) -> Result<(), BlobError> {
        let f = std::fs::OpenOptions::new().write(true).open(self.partial_path(upload_id)?).map_err(not_found(upload_id))?;
        f.set_len(len)?;
        f.sync_data()?;
        Ok(())
    }

    fn partial_read(&self, upload_id: &str, range: Option<Range<u64>>) -> Result<Box<dyn Read + Send>, BlobError> {
        open_range(&self.partial_path(upload_id)?, upload_id, range)
    }

    fn seal_partial(&self, upload_id: &str, expected_sha256: Option<&str>) -> Result<Sealed, BlobError> {
        let mut f = open_regular(&self.partial_path(upload_id)?).map_err(not_found(upload_id))?;
        let (sha, len) = sha256_reader(&mut f)?;
        if let Some(expected) = expected_sha256 {
            if !expected.eq_ignore_ascii_case(&sha) {
                return Err(BlobError::HashMismatch { expected: expected.to_string(), actual: sha });
            }
        }
        Ok(Sealed::new(sha, len, Box::new(FsSealed::Partial(upload_id.to_string()))))
    }

    fn seal_whole(&self, upload_id: &str, data: &[bytes::Bytes], sha256: &str) -> Result<Sealed, BlobError> {
        let len: u64 = data.iter().map(|d| d.len() as u64).sum();
        if len == 0 {
            return Ok(Sealed::new(sha256.to_string(), 0, Box::new(FsSealed::Empty(upload_id.to_string()))));
        }
        match open_unnamed(&self.blob_dir()) {
            Ok(mut file) => {
                write_chunks(&mut file, data)?;
                file.sync_data()?;
                Ok(Sealed::new(sha256.to_string(), len, Box::new(FsSealed::Unnamed { file, upload_id: upload_id.to_string() })))
            }
            // No O_TMPFILE on this filesystem: through a named partial.
            Err(_) => {
                self.partial_append(upload_id, 0, data, Durability::Durable)?;
                Ok(Sealed::new(sha256.to_string(), len, Box::new(FsSealed::Partial(upload_id.to_string()))))
            }
        }
    }

    fn complete(&self, sealed: Sealed) -> Result<bool, BlobError> {
        let blob = self.blob_path(&sealed.sha256)?;
        let token = sealed.token.downcast::<FsSealed>().map_err(|_| BlobError::ForeignSeal)?;
        match *token {
            FsSealed::Unnamed { file, upload_id } => {
                // An upload created earlier may have left an empty partial behind.
                match std::fs::remove_file(self.partial_path(&upload_id)?) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => {}
                }
                if blob.exists() {
                    return Ok(false);
                }
                match link_unnamed(&file, &blob) {
                    Ok(()) => Ok(true),
                    Err(e) => {
                        // No /proc (or no linkat here): copy the bytes to a named file instead.
                        tracing::warn!("linking an unnamed upload file failed ({e}); copying it");
                        let mut bytes = Vec::new();
                        let mut f = &file;
                        f.seek(SeekFrom::Start(0))?;
                        f.read_to_end(&mut bytes)?;
                        crate::util::write_atomic(&blob, &bytes)?;
                        Ok(false)
                    }
                }
            }
            FsSealed::Partial(upload_id) => {
                self.move_partial(&self.partial_path(&upload_id)?, &blob)?;
                Ok(false)
            }
            FsSealed::Empty(upload_id) => {
                let partial = self.partial_path(&upload_id)?;
                if partial.exists() {
                    self.move_partial(&partial, &blob)?;
                } else if !blob.exists() {
                    crate::util::write_atomic(&blob, b"")?;
                }
                Ok(false)
            }
        }
    }

    fn sync(&self) -> Result<(), BlobError> {
        Ok(crate::util::sync_dir(&self.blob_dir())?)
    }

    fn partial_remove(&self, upload_id: &str) -> Result<(), BlobError> {
        match std::fs::remove_file(self.partial_path(upload_id)?) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    fn free_bytes(&self) -> Option<u64> {
        super::limits::free_bytes(&self.root)
    }

    fn partials(&self) -> Result<Vec<PartialEntry>, BlobError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.root.join("partial"))?.flatten() {
            let modified = entry.metadata().and_then(|m| m.modified()).ok();
            out.push(PartialEntry { upload_id: entry.file_name().to_string_lossy().to_string(), modified });
        }
        Ok(out)
    }
}

/// Writes the body frames as they arrived (writev), without gathering them into one buffer.
fn write_chunks(f: &mut std::fs::File, chunks: &[bytes::Bytes]) -> std::io::Result<()> {
    use std::io::{IoSlice, Write};
    let mut slices: Vec<IoSlice<'_>> = chunks.iter().filter(|c| !c.is_empty()).map(|c| IoSlice::new(c)).collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        // IOV_MAX is 1024 on Linux.
        let n = f.write_vectored(&rest[..rest.len().min(512)])?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::WriteZero, "write returned 0"));
        }
        IoSlice::advance_slices(&mut rest, n);
    }
    Ok(())
}

/// Opens an unnamed file in `dir` (O_TMPFILE): it has no name until [`link_unnamed`] gives it
/// one, and vanishes if the process dies first.
pub fn open_unnamed(dir: &Path) -> std::io::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::openat(rustix::fs::CWD, dir, OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC, Mode::from_raw_mode(0o640))?;
    Ok(std::fs::File::from(fd))
}

/// Gives an unnamed file its name (linkat through /proc/self/fd, which needs no privilege).
fn link_unnamed(file: &std::fs::File, to: &Path) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    rustix::fs::linkat(rustix::fs::CWD, proc_path.as_str(), rustix::fs::CWD, to, rustix::fs::AtFlags::SYMLINK_FOLLOW)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, FsBlobStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path().join("uploads")).unwrap();
        (dir, store)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
        n.sort();
        n
    }

    fn read(mut r: Box<dyn Read + Send>) -> Vec<u8> {
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        out
    }

    fn b(data: &'static [u8]) -> bytes::Bytes {
        bytes::Bytes::from_static(data)
    }

    #[test]
    fn put_twice_is_idempotent_and_leaves_one_blob_and_no_partial() {
        let (dir, s) = store();
        let (sha, len) = s.put(&mut &b"abcdef"[..]).unwrap();
        assert_eq!((sha.as_str(), len), (crate::util::sha256_hex(b"abcdef").as_str(), 6));
        assert_eq!(s.put(&mut &b"abcdef"[..]).unwrap(), (sha.clone(), 6), "the same address again");
        assert_eq!(names(&dir.path().join("uploads/blobs")), vec![sha.clone()]);
        assert!(s.partials().unwrap().is_empty(), "no temporary left behind");
        assert_eq!(s.stat(&sha).unwrap(), Some(6));
        assert_eq!(read(s.open(&sha, None).unwrap()), b"abcdef");
    }

    #[test]
    fn ranges_read_what_they_name_and_a_range_past_the_end_is_refused() {
        let (_dir, s) = store();
        let (sha, _) = s.put(&mut &b"0123456789"[..]).unwrap();
        assert_eq!(read(s.open(&sha, Some(2..5)).unwrap()), b"234");
        assert_eq!(read(s.open(&sha, Some(10..10)).unwrap()), b"");
        assert!(matches!(s.open(&sha, Some(4..11)), Err(BlobError::BadRange { len: 10, .. })));
        s.partial_append("u1", 0, &[b(b"hello")], Durability::Durable).unwrap();
        assert_eq!(read(s.partial_read("u1", Some(1..4)).unwrap()), b"ell");
        let missing = crate::util::sha256_hex(b"nothing");
        assert_eq!(s.stat(&missing).unwrap(), None);
        assert!(matches!(s.open(&missing, None), Err(BlobError::NotFound(_))));
        assert!(matches!(s.open("../etc/passwd", None), Err(BlobError::BadName(_))));
    }

    #[test]
    fn partial_append_at_a_wrong_offset_is_refused_and_unacknowledged_bytes_are_dropped() {
        let (_dir, s) = store();
        s.partial_append("u1", 0, &[b(b"abc")], Durability::Durable).unwrap();
        let e = s.partial_append("u1", 5, &[b(b"fgh")], Durability::Durable).unwrap_err();
        assert!(matches!(e, BlobError::PartialShort { offset: 5, held: 3, .. }), "{e:?}");
        assert_eq!(s.partial_len("u1").unwrap(), Some(3), "nothing written by the refused append");
        // Bytes past the offset are from a chunk never acknowledged.
        s.partial_append("u1", 2, &[b(b"CD"), b(b"E")], Durability::Buffered).unwrap();
        assert_eq!(read(s.partial_read("u1", None).unwrap()), b"abCDE");
        s.partial_truncate("u1", 1).unwrap();
        assert_eq!(read(s.partial_read("u1", None).unwrap()), b"a");
        assert!(matches!(s.partial_append("../x", 0, &[b(b"a")], Durability::Durable), Err(BlobError::BadName(_))));
    }

    #[test]
    fn completion_with_a_wrong_hash_is_refused_and_nothing_is_linked() {
        let (dir, s) = store();
        s.partial_append("u1", 0, &[b(b"abc")], Durability::Durable).unwrap();
        let wrong = crate::util::sha256_hex(b"abd");
        let e = s.complete_partial("u1", &wrong).unwrap_err();
        assert!(matches!(e, BlobError::HashMismatch { .. }), "{e:?}");
        assert!(names(&dir.path().join("uploads/blobs")).is_empty(), "nothing linked");
        assert_eq!(s.partial_len("u1").unwrap(), Some(3), "the partial is kept");
        let right = crate::util::sha256_hex(b"abc");
        s.complete_partial("u1", &right).unwrap();
        assert_eq!(read(s.open(&right, None).unwrap()), b"abc");
        assert_eq!(s.partial_len("u1").unwrap(), None, "the partial became the blob");
    }

    #[test]
    fn a_blob_that_is_a_symlink_or_a_device_is_refused_not_followed() {
        let (dir, s) = store();
        let secret = dir.path().join("ca.key");
        std::fs::write(&secret, b"secret").unwrap();
        let as_link = "11".repeat(32);
        std::os::unix::fs::symlink(&secret, dir.path().join("uploads/blobs").join(&as_link)).unwrap();
        let zero = "22".repeat(32);
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("uploads/blobs").join(&zero)).unwrap();
        for sha in [&as_link, &zero] {
            assert!(s.stat(sha).is_err(), "stat of a symlink is refused");
            assert!(s.open(sha, None).is_err(), "open of a symlink is refused");
        }
        assert!(matches!(s.stat(&"AB".repeat(32)), Err(BlobError::BadName(_))), "uppercase is not a content address");
        assert!(open_regular(Path::new("/dev/zero")).is_err(), "a device is not a regular file");
    }

    #[test]
    fn whole_content_is_linked_at_its_address_and_the_same_content_again_is_kept_once() {
        let (dir, s) = store();
        let sha = crate::util::sha256_hex(b"page");
        let linked = s.complete(s.seal_whole("u1", &[b(b"pa"), b(b"ge")], &sha).unwrap()).unwrap();
        s.sync().unwrap();
        assert_eq!(linked, open_unnamed(&dir.path().join("uploads/blobs")).is_ok(), "linked where O_TMPFILE exists");
        assert!(!s.complete(s.seal_whole("u2", &[b(b"page")], &sha).unwrap()).unwrap(), "already there: nothing linked");
        assert_eq!(names(&dir.path().join("uploads/blobs")), vec![sha.clone()]);
        assert_eq!(read(s.open(&sha, None).unwrap()), b"page");
        // The empty content has an address too.
        let empty = crate::util::sha256_hex(b"");
        s.complete(s.seal_whole("u3", &[], &empty).unwrap()).unwrap();
        assert_eq!(s.stat(&empty).unwrap(), Some(0));
        assert!(s.partials().unwrap().is_empty());
    }
}
