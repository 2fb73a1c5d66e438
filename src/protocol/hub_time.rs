//! The hub's signed time: every answer of the hub carries its clock and an Ed25519 signature
//! over it, so a box with a wrong clock still judges windows by the hub.

use serde::{Deserialize, Serialize};

/// The hub's clock (RFC 3339) on every answer.
pub const HUB_TIME_HEADER: &str = "x-ppe-hub-time";
/// The hub's signature (hex) over [`time_signature_message`] of [`HUB_TIME_HEADER`].
pub const HUB_TIME_SIGNATURE_HEADER: &str = "x-ppe-hub-time-signature";

/// The answer of `GET /v1/time`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTime {
    pub hub_time: String,
    pub signature: String,
}

/// The bytes the hub signs for its time (domain-separated from every other signature).
pub fn time_signature_message(hub_time: &str) -> Vec<u8> {
    format!("ppe-hub-time-v1|{hub_time}").into_bytes()
}
