//! One async lock per upload (and per content being created) while requests hold it, so two
//! requests never write one upload at once; entries nobody holds are pruned, since a hub sees
//! every page of a region.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::OwnedMutexGuard;

/// The table is swept of unheld entries when it reaches this size.
pub const LOCKS_PRUNE_AT: usize = 4096;

/// Locks a request holds until its bytes are durable (shared with its blocking tasks: a
/// client that goes away drops the request, not the lock).
pub type Held = Arc<Vec<OwnedMutexGuard<()>>>;

#[derive(Default)]
pub struct UploadLocks {
    table: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl UploadLocks {
    /// The lock of `key` (an upload id, or a content key), shared while anyone holds it.
    pub fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.table.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(held) = locks.get(key).and_then(Weak::upgrade) {
            return held;
        }
        if locks.len() >= LOCKS_PRUNE_AT {
            locks.retain(|_, l| l.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(key.to_string(), Arc::downgrade(&lock));
        lock
    }

    /// Entries in the table (held or not yet pruned).
    pub fn len(&self) -> usize {
        self.table.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_locks_are_shared_while_held_and_forgotten_after() {
        let locks = UploadLocks::default();
        let held = locks.lock_for("a");
        assert!(Arc::ptr_eq(&held, &locks.lock_for("a")), "two requests for one upload share its lock");
        for i in 0..3 * LOCKS_PRUNE_AT {
            drop(locks.lock_for(&format!("u{i}")));
        }
        assert!(locks.len() <= LOCKS_PRUNE_AT + 1, "unheld locks are pruned");
        assert!(Arc::ptr_eq(&held, &locks.lock_for("a")), "a held lock survives the sweep");
    }
}
