//! The package-key exchange on the wire: what a box sends to ask for a package key and what
//! the hub answers. Signing, wrapping and opening are `materials::wrap`; whether a key may be
//! released is `materials::release`.

use serde::{Deserialize, Serialize};

use crate::model::{ExamId, PpeCode};

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
