//! The upload of an exam day on the wire: the bundle manifest the box signs and sends
//! (`POST /v1/uploads/bundles`, and `manifest.json` on removable media) and the receipt the hub
//! signs back. The exact bytes signed are part of the agreement, so they are defined here; the
//! checks both sides run are in `upload`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Format tag of a bundle manifest; bumped on any incompatible change.
pub const MANIFEST_FORMAT: &str = "ppe-bundle-1";
/// Format tag of a hub receipt.
pub const RECEIPT_FORMAT: &str = "ppe-receipt-1";

/// Most files a bundle manifest may list (a big exam point scans a few thousand pages).
pub const MAX_FILES: usize = 100_000;
/// Largest file a bundle may hold (the hub's upload limit is not above it).
pub const MAX_FILE_SIZE: u64 = 4 << 30;
/// Longest exam id, exam point code, file kind or count name.
pub const MAX_CODE_LEN: usize = 64;
/// Most named counts in a manifest.
pub const MAX_COUNTS: usize = 64;

/// A SHA-256 as written on the wire: 64 lowercase hex digits (never a path).
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// An exam id, exam point code, file kind or count name: letters, digits, `-`, `_`.
pub fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_CODE_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// One file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Path inside the bundle's `files/` folder (no `/`, no `..`).
    pub name: String,
    /// `page`, `statement`, `record`, `statement_record`, `recording`, `answer_file`.
    pub kind: String,
    /// 64 lowercase hex digits ([`is_sha256_hex`]).
    pub sha256: String,
    /// At most [`MAX_FILE_SIZE`].
    pub size: u64,
    /// Whose file it is, for a participant's own file ([`PARTICIPANT_FILE_KINDS`]: a recording,
    /// a КЕГЭ answer file); absent otherwise, so manifests without such files sign the same bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<String>,
}

/// Kinds of files that are one participant's own and must name them: an audio recording of
/// an oral answer, a КЕГЭ station's answer file.
pub const PARTICIPANT_FILE_KINDS: &[&str] = &["recording", "answer_file"];

/// A participant's file as the hub's receipt lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptFile {
    pub name: String,
    pub kind: String,
    pub participant_id: String,
    pub sha256: String,
    pub size: u64,
}

/// The audit-log head at the time the bundle was built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

/// What the box signs: every file with its hash and size, counts, and the audit head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub exam_id: String,
    pub ppe_code: String,
    pub created_at: String,
    pub files: Vec<ManifestFile>,
    /// e.g. pages, matched_pages, to_resolve, participants_expected.
    pub counts: BTreeMap<String, u64>,
    pub audit_head: AuditHead,
}

/// A manifest with the box's signature over [`Manifest::canonical_bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedManifest {
    pub manifest: Manifest,
    pub box_signature_hex: String,
    /// The key by phone's offline activations, signed apart and bound to the manifest's hash:
    /// outside `manifest`, so the manifest signs the same bytes and an older hub (which ignores
    /// a field it does not know) still verifies and accepts the bundle; absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_activations: Option<OfflineActivations>,
}

/// Format tag of [`OfflineActivations`].
pub const OFFLINE_ACTIVATIONS_FORMAT: &str = "ppe-offline-activation-1";
/// Most offline activations a bundle may carry.
pub const MAX_OFFLINE_ACTIVATIONS: usize = 16;

/// One activation of the package key by a code dictated over the phone, as the box recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfflineActivation {
    pub exam_id: String,
    pub package_id: String,
    pub version: u64,
    /// The box login that typed the code (`cli` from the terminal).
    pub typed_by: String,
    /// That account's worker id, when typed in the box UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    /// The hub's time the code carries (RFC 3339, whole minutes).
    pub code_hub_time: String,
    /// The box's own clock when the code was typed.
    pub box_time: String,
}

/// The offline activations of a bundle, signed by the box over [`Self::signed_bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfflineActivations {
    pub format: String,
    /// [`Manifest::sha256`] of the manifest they travel with.
    pub manifest_sha256: String,
    pub activations: Vec<OfflineActivation>,
    pub box_signature_hex: String,
}

impl OfflineActivations {
    /// The exact bytes the box signs: everything but the signature.
    pub fn signed_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&(&self.format, &self.manifest_sha256, &self.activations)).unwrap_or_default()
    }
}

/// What the hub signs when it has every file of a bundle and the box's signature verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptBody {
    pub format: String,
    pub exam_id: String,
    pub ppe_code: String,
    pub manifest_sha256: String,
    pub file_count: u64,
    pub total_bytes: u64,
    pub audit_head: AuditHead,
    /// The hub's clock (the box's may be wrong).
    pub received_at: String,
    /// `upload` or `media`.
    pub via: String,
    /// Every recording and answer file received, with its hash (absent when there are none,
    /// so receipts of written exams sign the same bytes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participant_files: Vec<ReceiptFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub receipt: ReceiptBody,
    pub hub_signature_hex: String,
}

impl Manifest {
    /// The exact bytes the box signs and the hub verifies. serde writes struct fields in
    /// declaration order and `counts` is a sorted map, so this is deterministic.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn sha256(&self) -> String {
        crate::util::sha256_hex(&self.canonical_bytes())
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

impl ReceiptBody {
    /// The exact bytes the hub signs and the box verifies.
    pub fn signed_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}
