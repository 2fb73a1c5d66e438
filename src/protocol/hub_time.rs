//! The hub's signed time, bound to the asking box's nonce: a box sends a fresh random nonce
//! with a request ([`TIME_NONCE_HEADER`]) and the hub's answer carries its clock and an Ed25519
//! signature over time ‖ nonce, so a box with a wrong clock still judges windows by the hub and
//! a signed time recorded earlier (or served by a mirror) is useless to replay.

use serde::{Deserialize, Serialize};

/// The box's fresh nonce (64 lowercase hex: 32 random bytes) on a request to the hub.
pub const TIME_NONCE_HEADER: &str = "x-ppe-time-nonce";
/// The hub's clock (RFC 3339) on an answer to a request that carried a nonce.
pub const HUB_TIME_HEADER: &str = "x-ppe-hub-time";
/// The hub's signature (hex) over [`time_signature_message`] of [`HUB_TIME_HEADER`] and the
/// request's nonce.
pub const HUB_TIME_SIGNATURE_HEADER: &str = "x-ppe-hub-time-signature";

/// The answer of `GET /v1/time` (the same time and signature as its headers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTime {
    pub hub_time: String,
    pub nonce: String,
    pub signature: String,
}

/// Whether a nonce has the one shape the hub signs: 64 lowercase hex digits.
pub fn is_time_nonce(nonce: &str) -> bool {
    nonce.len() == 64 && nonce.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The bytes the hub signs for its time (domain-separated from every other signature). Neither
/// part can hold the separator: the time is RFC 3339, the nonce hex.
pub fn time_signature_message(hub_time: &str, nonce: &str) -> Vec<u8> {
    format!("ppe-hub-time-v2|{hub_time}|{nonce}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_64_digit_lowercase_hex_nonce_is_signed() {
        assert!(is_time_nonce(&"0a".repeat(32)));
        for bad in ["", "0a", &"0A".repeat(32), &"0a".repeat(33), &format!("{}|x", "0".repeat(62))] {
            assert!(!is_time_nonce(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_signed_message_binds_the_nonce() {
        let n1 = "1".repeat(64);
        let n2 = "2".repeat(64);
        assert_ne!(time_signature_message("2027-05-27T02:00:00Z", &n1), time_signature_message("2027-05-27T02:00:00Z", &n2));
    }
}
