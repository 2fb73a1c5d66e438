//! Media import (`ppe hub import DIR`): a bundle's files carried on removable media go into
//! the same content-addressed store as uploads; finalize then checks them exactly like an
//! upload (see `finalize.rs`). A file on the media is read only if it is a regular file (never
//! through a symlink: one to `/dev/zero` or to the hub's CA key must not be read) and never
//! past the size its manifest declares.

use std::io::Read;
use std::path::Path;

use super::blobs::open_regular;
use super::core::{join_error, CoreError};
use super::UploadServerState;

/// Copies a file into the blob store, reading at most `declared_size + 1` bytes (enough to
/// tell it is longer), verifying nothing else: the caller checks the manifest after. Returns
/// the SHA-256 and length stored; `None` when the file is not there; refused when it is not a
/// regular file.
pub async fn store_blob_from_file(state: &UploadServerState, src: &Path, declared_size: u64) -> Result<Option<(String, u64)>, CoreError> {
    let (blobs, src) = (state.blobs.clone(), src.to_path_buf());
    tokio::task::spawn_blocking(move || -> Result<Option<(String, u64)>, CoreError> {
        let input = match open_regular(&src) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(_) => {
                let name = src.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                return Err(CoreError::BadRequest(format!("bundle file `{name}` is not a regular file")));
            }
        };
        let mut bounded = input.take(declared_size.saturating_add(1));
        Ok(Some(blobs.put(&mut bounded)?))
    })
    .await
    .map_err(join_error)?
}
