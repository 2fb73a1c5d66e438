//! The package-key exchange on the wire: what a box sends to ask for a package key and what
//! the hub answers. Signing, wrapping and opening are `materials::wrap`; whether a key may be
//! released is `materials::release`.

use serde::{Deserialize, Serialize};

use crate::model::{ExamId, PpeCode, WorkerId};

/// What a box sends to ask for a package key (signed by the box's Ed25519 key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    pub exam_id: ExamId,
    pub ppe_code: PpeCode,
    /// The box's ephemeral X25519 public key, hex.
    pub box_public: String,
    /// The box's own clock at the request (informative; the hub judges by its own clock).
    pub box_time: String,
    pub signature: String,
    /// The ГЭК member's proof: without one the hub releases nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gek: Option<GekProof>,
}

/// A ГЭК member's proof in a key request: their signature, with the credential РЦОИ enrolled,
/// over `gek::proof_message` (member, exam, exam point, the hub's challenge, the request's
/// `box_public`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GekProof {
    pub worker_id: WorkerId,
    /// The one-time challenge from [`crate::protocol::paths::GEK_CHALLENGE`], hex.
    pub challenge: String,
    /// Ed25519 signature by the member's key file (empty with a security key).
    #[serde(default)]
    pub signature: String,
    /// A security key's assertion instead: the browser's `PublicKeyCredential` as JSON text,
    /// over the WebAuthn challenge the hub issued with `challenge` (bound to this member and
    /// this request's `box_public`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webauthn: Option<String>,
}

/// What a box sends to get a challenge for a ГЭК proof (its certificate says who it is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GekChallengeRequest {
    pub exam_id: ExamId,
    /// For a security key: the member and the key request it will sign for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_key: Option<SecurityKeyChallengeRequest>,
}

/// Who will touch their security key, and the `box_public` of the key request it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityKeyChallengeRequest {
    pub worker_id: WorkerId,
    pub box_public: String,
}

/// A one-time challenge, good for one key request of this box for this exam until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GekChallenge {
    pub challenge: String,
    pub expires_at: String,
    /// For a security key: webauthn-rs's `RequestChallengeResponse` as JSON text (the options
    /// of the browser's `navigator.credentials.get`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webauthn: Option<String>,
}

/// The hub's answer: the wrapped key, which package it opens, the hub's time; all signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRelease {
    pub exam_id: ExamId,
    pub ppe_code: PpeCode,
    pub package_id: String,
    pub version: u64,
    pub box_public: String,
    pub hub_public: String,
    pub wrapped_key: String,
    pub hub_time: String,
    pub signature: String,
}

/// The hub's answer to a box's pre-stage request for the key by phone
/// ([`crate::protocol::paths::phone_seal`], a signed [`KeyRequest`] without a ГЭК proof): the
/// box's own 32-byte secret wrapped to the request's X25519 key exactly as a package key is
/// ([`KeyRelease`], whose `package_id` and `version` name the package sealed), and the package
/// key sealed under that secret and the code's secret (hex); all signed by the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneSeal {
    pub release: KeyRelease,
    pub sealed_key: String,
    /// PBKDF2 iterations of the seal.
    pub iterations: u32,
    /// The hub's signature over [`phone_seal_message`].
    pub signature: String,
}

/// The bytes the hub signs for a [`PhoneSeal`] (the release's own signature binds the rest).
pub fn phone_seal_message(release_signature: &str, sealed_key: &str, iterations: u32) -> Vec<u8> {
    format!("ppe-phone-seal-v1|{release_signature}|{sealed_key}|{iterations}").into_bytes()
}
