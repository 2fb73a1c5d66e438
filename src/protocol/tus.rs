//! The tus 1.0.0 dialect as our client and server speak it: version, extensions, headers,
//! the checksum-mismatch status.

/// The only protocol version spoken (`Tus-Resumable`, `Tus-Version`).
pub const TUS_VERSION: &str = "1.0.0";
/// OPTIONS header of our hub: creation with the same exam, exam point, file name, declared
/// `sha256` metadata and length returns the upload already there.
pub const IDEMPOTENT_CREATION_HEADER: &str = "Ppe-Idempotent-Creation";
/// Status code tus assigns to a checksum mismatch.
pub const CHECKSUM_MISMATCH: u16 = 460;
/// The checksum algorithm both sides use (`Tus-Checksum-Algorithm`, `Upload-Checksum`).
pub const CHECKSUM_ALGORITHM: &str = "sha256";
/// Content type of a body that carries upload bytes (PATCH, creation-with-upload).
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

pub const TUS_RESUMABLE: &str = "Tus-Resumable";
pub const TUS_EXTENSION: &str = "Tus-Extension";
pub const TUS_CHECKSUM_ALGORITHM: &str = "Tus-Checksum-Algorithm";
pub const UPLOAD_LENGTH: &str = "Upload-Length";
pub const UPLOAD_OFFSET: &str = "Upload-Offset";
pub const UPLOAD_METADATA: &str = "Upload-Metadata";
pub const UPLOAD_CHECKSUM: &str = "Upload-Checksum";
