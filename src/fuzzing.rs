//! The body of every fuzz target: one function per parser of bytes that come from outside (a
//! hub's answer, a box's upload, a scanner, a serial reader, a station's files, a config file).
//! The cargo-fuzz targets in `fuzz/` call these, and so does `tests/it/fuzzsmoke.rs`, which
//! runs each over its seeds and deterministic mutations in every `cargo test` — so the short
//! run needs no sanitizer build. Each function calls the parser production uses and asserts
//! what must hold beyond "no panic" (a round trip is stable; a signature never accepts changed
//! bytes); a broken property panics, which is what both runners catch.
//!
//! Compiled always (not behind a feature): a feature would make `cargo test` build the crate a
//! second time; nothing in the `ppe` binary calls this module, so the linker drops it.

mod local;
pub mod seeds;
mod wire;

use chrono::{DateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};

pub use local::{config_toml, gek_keyfile, plan_import, recording_audio, recording_name, scan_image, serial_lines, sheet_code};
pub use wire::{bundle_manifest, heartbeat, key_release, package_manifest, tus_headers};

/// One fuzz target: its name (the cargo-fuzz binary in `fuzz/fuzz_targets/<name>.rs`) and body.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
}

macro_rules! targets {
    ($($name:ident),* $(,)?) => {
        /// Every target; `tests/it/fuzzsmoke.rs` checks that `fuzz/Cargo.toml` lists each one.
        pub const TARGETS: &[Target] = &[$(Target { name: stringify!($name), run: $name }),*];
    };
}

targets! {
    plan_import, package_manifest, bundle_manifest, tus_headers, heartbeat, key_release, sheet_code,
    serial_lines, config_toml, recording_name, recording_audio, scan_image, gek_keyfile
}

/// The hub's clock in every target: inside the seeds' windows, before their expiry.
pub fn fuzz_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 5, 27, 6, 0, 0).single().unwrap_or_default()
}

/// Fixed keys (from fixed seeds, so a run is reproducible): the hub's and the box's Ed25519
/// keys, and the box's sheet-code key.
pub struct FuzzKeys {
    pub hub: ring::signature::Ed25519KeyPair,
    pub hub_public: String,
    pub box_key: ring::signature::Ed25519KeyPair,
    pub box_public: String,
    pub sheet: ring::hmac::Key,
}

pub fn fuzz_keys() -> &'static FuzzKeys {
    static KEYS: std::sync::OnceLock<FuzzKeys> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let pair = |seed: u8| ring::signature::Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap_or_else(|_| unreachable!("a 32-byte seed"));
        let (hub, box_key) = (pair(0x48), pair(0x42));
        FuzzKeys {
            hub_public: crate::keys::ed25519_public_hex(&hub),
            box_public: crate::keys::ed25519_public_hex(&box_key),
            hub,
            box_key,
            sheet: crate::sheet_code::sheet_key(b"fuzz box secret"),
        }
    })
}

/// Copies of `original` with one byte changed each, at places and to values picked by `data`
/// (so the fuzzer steers them): what a signature check must refuse unless nothing signed moved.
fn changed_copies(original: &[u8], data: &[u8], count: usize) -> Vec<Vec<u8>> {
    if original.is_empty() {
        return Vec::new();
    }
    let digest = Sha256::digest(data);
    (0..count.min(8))
        .map(|i| {
            let at = u32::from_le_bytes([digest[4 * i], digest[4 * i + 1], digest[4 * i + 2], 0]) as usize % original.len();
            let mut copy = original.to_vec();
            copy[at] ^= digest[4 * i + 3] | 1;
            copy
        })
        .collect()
}
