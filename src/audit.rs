//! The hash-chained audit log: every action on the box or the hub, append-only.
//!
//! Each entry's hash is `sha256(prev_hash ‖ canonical entry)`, so deleting, editing or
//! reordering any entry breaks every hash after it. The head goes into the upload bundle so
//! РЦОИ can verify the exam-day history. Entries carry ids, never personal data.

pub mod store;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as it is hashed and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// RFC 3339, from the one clock.
    pub at: String,
    /// Who: an account login, `system`, or a device.
    pub actor: String,
    /// What, as a stable dotted code: `plan.import`, `materials.key_released`, …
    pub action: String,
    /// On what: an id (exam, participant id, job id), never a name.
    pub object: String,
    /// Extra facts as a JSON object.
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// A new entry before it is chained.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub object: &'a str,
    pub details: serde_json::Value,
}

/// An entry handed to a metadata seam with the write it goes with (owned, so it can cross
/// to the blocking pool; ids only, never names).
#[derive(Debug, Clone)]
pub struct AuditNote {
    pub actor: String,
    pub action: &'static str,
    pub object: String,
    pub details: serde_json::Value,
}

impl AuditNote {
    pub fn entry(&self) -> NewEntry<'_> {
        NewEntry { actor: &self.actor, action: self.action, object: &self.object, details: self.details.clone() }
    }
}

/// The canonical bytes of an entry (everything but its own hash), as hashed.
pub fn canonical_bytes(seq: i64, at: &str, actor: &str, action: &str, object: &str, details: &serde_json::Value) -> Vec<u8> {
    // serde_json writes object keys of a Value in sorted order (no preserve_order feature),
    // so this is canonical.
    serde_json::to_vec(&serde_json::json!([seq, at, actor, action, object, details])).unwrap_or_default()
}

pub fn chain_hash(prev_hash: &str, canonical: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical);
    hex::encode(h.finalize())
}

/// Where a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("запись журнала {seq}: хеш предыдущей не совпадает с записью {prev}")]
    BrokenLink { seq: i64, prev: i64 },
    #[error("запись журнала {seq}: хеш не совпадает с содержимым")]
    BadHash { seq: i64 },
    #[error("запись журнала {seq}: пропуск номеров после {prev}")]
    Gap { seq: i64, prev: i64 },
}

/// Verifies a run of entries starting at `prev_hash`; returns the head hash.
pub fn verify_chain(prev_hash: &str, entries: &[AuditEntry]) -> Result<String, ChainError> {
    let mut prev = prev_hash.to_string();
    let mut prev_seq: Option<i64> = None;
    for e in entries {
        if let Some(p) = prev_seq {
            if e.seq != p + 1 {
                return Err(ChainError::Gap { seq: e.seq, prev: p });
            }
        }
        if e.prev_hash != prev {
            return Err(ChainError::BrokenLink { seq: e.seq, prev: e.seq - 1 });
        }
        let expect = chain_hash(&prev, &canonical_bytes(e.seq, &e.at, &e.actor, &e.action, &e.object, &e.details));
        if expect != e.hash {
            return Err(ChainError::BadHash { seq: e.seq });
        }
        prev = e.hash.clone();
        prev_seq = Some(e.seq);
    }
    Ok(prev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn build(n: usize) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (0..n)
            .map(|i| {
                let seq = i as i64 + 1;
                let details = serde_json::json!({"i": i});
                let hash = chain_hash(&prev, &canonical_bytes(seq, "2026-06-01T09:00:00Z", "tech", "x.y", "o", &details));
                let e = AuditEntry { seq, at: "2026-06-01T09:00:00Z".into(), actor: "tech".into(), action: "x.y".into(), object: "o".into(), details, prev_hash: prev.clone(), hash: hash.clone() };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies_to_its_head() {
        let entries = build(5);
        assert_eq!(verify_chain(GENESIS, &entries).unwrap(), entries[4].hash);
    }

    proptest! {
        #[test]
        fn any_edit_or_deletion_is_detected(n in 2usize..20, victim in 0usize..20, delete in any::<bool>()) {
            let mut entries = build(n);
            let victim = victim % n;
            if delete {
                entries.remove(victim);
                // Removing the last entry only shortens the chain: the head changes instead.
                if victim == n - 1 {
                    prop_assert_ne!(verify_chain(GENESIS, &entries).unwrap(), build(n)[n - 1].hash.clone());
                    return Ok(());
                }
            } else {
                entries[victim].object.push('!');
            }
            prop_assert!(verify_chain(GENESIS, &entries).is_err());
        }
    }
}
