//! The tus 1.0.0 dialect as our client and server speak it: version, extensions, headers,
//! the checksum algorithm and the checksum-mismatch status. The box's client
//! (`upload/tus_client.rs`) and the hub's server (`upload/server/tus.rs`) both take them from
//! here, so neither imports the other for a header name.

/// The protocol version, sent in `Tus-Resumable` and offered in `Tus-Version`.
pub const VERSION: &str = "1.0.0";
/// The extensions our hub offers (`Tus-Extension`).
pub const EXTENSIONS: &str = "creation,creation-with-upload,checksum,termination,expiration";
/// The one checksum algorithm spoken (`Tus-Checksum-Algorithm`, `Upload-Checksum: sha256 …`).
pub const CHECKSUM_ALGORITHM: &str = "sha256";
/// Status code tus assigns to a checksum mismatch.
pub const CHECKSUM_MISMATCH: u16 = 460;
/// The media type of a body that carries upload bytes (PATCH, creation-with-upload).
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

pub const TUS_RESUMABLE: &str = "Tus-Resumable";
pub const TUS_VERSION: &str = "Tus-Version";
pub const TUS_EXTENSION: &str = "Tus-Extension";
pub const TUS_MAX_SIZE: &str = "Tus-Max-Size";
pub const TUS_CHECKSUM_ALGORITHM: &str = "Tus-Checksum-Algorithm";
pub const UPLOAD_LENGTH: &str = "Upload-Length";
pub const UPLOAD_OFFSET: &str = "Upload-Offset";
pub const UPLOAD_METADATA: &str = "Upload-Metadata";
pub const UPLOAD_CHECKSUM: &str = "Upload-Checksum";
pub const UPLOAD_EXPIRES: &str = "Upload-Expires";

/// OPTIONS header of our hub (not a tus extension): creation with the same exam, exam point,
/// file name, declared `sha256` metadata and length returns the upload already there, so a box
/// may send a page with its creation request and keep its URL lazily.
pub const IDEMPOTENT_CREATION_HEADER: &str = "Ppe-Idempotent-Creation";
