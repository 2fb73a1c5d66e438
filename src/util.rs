//! Small shared helpers: atomic file writes and hashing. Every write that matters goes
//! through [`write_atomic`]: temp file in the same folder, fsync, rename, fsync the folder.

pub mod plaintext;

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes `bytes` to `path` so that a crash leaves either the old file or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, bytes, None)
}

/// As [`write_atomic`], with Unix permissions (e.g. `0o600` for keys) set before the rename.
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(mode.unwrap_or(0o644));
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Whether a write failed because its filesystem is full (ENOSPC, or a quota).
pub fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded) || e.raw_os_error() == Some(28)
}

/// A write error in `dir` as the person at the box should read it: a full disk names the
/// folder to clean (the kind stays `StorageFull`, so callers can still tell); any other error
/// is returned as it is.
pub fn no_space_in(dir: &Path, e: std::io::Error) -> std::io::Error {
    if is_disk_full(&e) {
        std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            format!("нет места в {}: диск заполнен; освободите место — уже сохранённое цело, работа продолжится с того же места", dir.display()),
        )
    } else {
        e
    }
}

/// The crash harness's hook (`scripts/chaos.sh`): when `PPE_CRASH_AT` names this point (a
/// comma-separated list may name several), the process aborts here, as a `kill -9` or a power
/// cut at this instant would stop it. Each call sits after a write and before its commit or
/// rename. Without the variable (always, outside the harness) it does nothing.
pub fn crash_point(name: &str) {
    static WANTED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(spec) = WANTED.get_or_init(|| std::env::var("PPE_CRASH_AT").ok()) {
        if crash_point_named(spec, name) {
            eprintln!("PPE_CRASH_AT: crash point {name}");
            std::process::abort();
        }
    }
}

/// Whether the `PPE_CRASH_AT` value `spec` names the point `name`.
pub fn crash_point_named(spec: &str, name: &str) -> bool {
    spec.split(',').any(|p| p.trim() == name)
}

/// fsyncs a folder so a rename in it survives a power cut.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_names_its_folder_and_other_errors_pass_unchanged() {
        let full = no_space_in(Path::new("/var/lib/ppe/scans"), std::io::Error::from_raw_os_error(28));
        assert_eq!(full.kind(), std::io::ErrorKind::StorageFull);
        assert!(full.to_string().starts_with("нет места в /var/lib/ppe/scans"), "{full}");
        assert!(is_disk_full(&full), "still a full disk for callers that tell");
        let denied = no_space_in(Path::new("/x"), std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(denied.kind(), std::io::ErrorKind::PermissionDenied);
        assert!(!denied.to_string().contains("нет места"));
    }

    #[test]
    fn a_crash_point_fires_only_where_named() {
        assert!(crash_point_named("scan.page_written", "scan.page_written"));
        assert!(crash_point_named("bundle.files_written, scan.page_written", "scan.page_written"));
        assert!(!crash_point_named("scan.page_written", "scan.page"));
        assert!(!crash_point_named("", "scan.page_written"));
        // Not named: the call returns (this test process has no PPE_CRASH_AT).
        crash_point("scan.page_written");
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic_mode(&p, b"two", Some(0o600)).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn failed_write_leaves_old_file() {
        // The rename fails (the target is a non-empty folder): what was there stays, and the
        // temporary file written before the rename is removed.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.txt");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("old"), b"old").unwrap();
        assert!(write_atomic(&target, b"new").is_err());
        assert_eq!(std::fs::read(target.join("old")).unwrap(), b"old");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("a.txt")], "no temporary file left beside it");
        // And into a folder that does not exist nothing is created.
        let missing = dir.path().join("no/such/dir/a.txt");
        assert!(write_atomic(&missing, b"x").is_err());
        assert!(!dir.path().join("no").exists());
    }
}
