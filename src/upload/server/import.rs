//! Media import (`ppe hub import DIR`): a bundle's files carried on removable media go into
//! the same content-addressed store as uploads; finalize then checks them exactly like an
//! upload (see `finalize.rs`).

use std::path::Path;

use super::core::{join_error, CoreError};
use super::UploadServerState;

/// Copies a file into the blob store, verifying nothing: the caller checks the manifest after.
/// Returns the SHA-256.
pub async fn store_blob_from_file(state: &UploadServerState, src: &Path) -> Result<String, CoreError> {
    let (blobs, src) = (state.blobs.clone(), src.to_path_buf());
    tokio::task::spawn_blocking(move || -> Result<String, CoreError> {
        let mut input = std::fs::File::open(&src)?;
        Ok(blobs.put(&mut input)?.0)
    })
    .await
    .map_err(join_error)?
}
