//! The one writer thread: accepted heartbeats are committed in batches (at least every
//! `WRITER_BATCH_MS`), a flush waits for everything queued before it.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{Shared, WRITER_BATCH_MS};
use crate::monitoring::store::{self as mstore, HeartbeatWrite};
use crate::store::Connection;

pub(super) enum WriterMsg {
    Write(Box<HeartbeatWrite>),
    Flush(std::sync::mpsc::Sender<()>),
}

pub(super) fn writer_loop(mut conn: Connection, rx: std::sync::mpsc::Receiver<WriterMsg>, shared: std::sync::Weak<Shared>) {
    let max_wait = std::time::Duration::from_millis(WRITER_BATCH_MS);
    while let Ok(first) = rx.recv() {
        let mut batch: Vec<HeartbeatWrite> = Vec::new();
        let mut flushes = Vec::new();
        let started = Instant::now();
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                WriterMsg::Write(w) => batch.push(*w),
                WriterMsg::Flush(done) => {
                    flushes.push(done);
                    // A flush asks for everything queued before it: commit now.
                    while let Ok(m) = rx.try_recv() {
                        match m {
                            WriterMsg::Write(w) => batch.push(*w),
                            WriterMsg::Flush(d) => flushes.push(d),
                        }
                    }
                    break;
                }
            }
            if batch.len() >= 5_000 {
                break;
            }
            let left = max_wait.saturating_sub(started.elapsed());
            next = rx.recv_timeout(left).ok();
        }
        let n = batch.len() as u64;
        let result = if batch.is_empty() { Ok(()) } else { mstore::heartbeat_write_batch(&mut conn, &batch) };
        if let Some(shared) = shared.upgrade() {
            match result {
                Ok(()) => {
                    shared.counters.reports_persisted.fetch_add(n, Ordering::Relaxed);
                    shared.counters.write_batches.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    shared.counters.write_errors.fetch_add(1, Ordering::Relaxed);
                    tracing::error!("monitoring: {n} heartbeats not persisted: {e}");
                }
            }
        }
        for f in flushes {
            let _ = f.send(());
        }
    }
}
