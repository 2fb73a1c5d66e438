//! The 1 s ticker: every row is recomputed, compared by fingerprint with what was last
//! broadcast, and only what changed goes out to the dashboards as one compact message; a
//! lagging dashboard gets a catch-up instead of the messages it missed.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{lock, MonitoringHub, PointKey, FACTS_REFRESH_SECS, PLAN_REFRESH_SECS};
use crate::monitoring::{summarize, PointRow};

/// A row as last broadcast: its JSON, a fingerprint, and the tick it changed in.
pub(super) struct SentRow {
    fingerprint: u64,
    json: String,
    seq: u64,
}

#[derive(Default)]
pub(super) struct TickerState {
    pub(super) seq: u64,
    rows: HashMap<PointKey, SentRow>,
    summaries: HashMap<String, (u64, String)>,
}

impl MonitoringHub {
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<str>> {
        self.shared.events.subscribe()
    }

    pub fn sse_clients(&self) -> usize {
        self.shared.events.receiver_count()
    }

    /// Computes every row, compares it with what was last broadcast and, if anything changed,
    /// broadcasts one compact message: the changed rows and the changed summaries (per exam
    /// and per exam and АТЕ). Returns the message.
    pub fn tick(&self) -> Option<Arc<str>> {
        let rows = self.rows(None, None);
        let now = self.clock.now_rfc3339();
        let mut groups: BTreeMap<String, Vec<&PointRow>> = BTreeMap::new();
        for r in &rows {
            groups.entry(r.exam_id.clone()).or_default().push(r);
            groups.entry(format!("{}|{}", r.exam_id, r.ate_code)).or_default().push(r);
        }
        let mut t = lock(&self.shared.ticker);
        let seq = t.seq + 1;
        let mut changed_rows: Vec<&str> = Vec::new();
        let mut changed_keys: Vec<PointKey> = Vec::new();
        for r in &rows {
            let json = serde_json::to_string(r).unwrap_or_default();
            let fp = fingerprint(&json);
            let key = (r.exam_id.clone(), r.ppe_code.clone());
            match t.rows.get(&key) {
                Some(sent) if sent.fingerprint == fp => {}
                _ => {
                    t.rows.insert(key.clone(), SentRow { fingerprint: fp, json, seq });
                    changed_keys.push(key);
                }
            }
        }
        let mut changed_summaries: Vec<(String, String)> = Vec::new();
        for (k, group) in &groups {
            let json = serde_json::to_string(&summarize(group.iter().copied())).unwrap_or_default();
            let fp = fingerprint(&json);
            if t.summaries.get(k).is_none_or(|(old, _)| *old != fp) {
                t.summaries.insert(k.clone(), (fp, json.clone()));
                changed_summaries.push((k.clone(), json));
            }
        }
        if changed_keys.is_empty() && changed_summaries.is_empty() {
            return None;
        }
        t.seq = seq;
        for k in &changed_keys {
            if let Some(s) = t.rows.get(k) {
                changed_rows.push(&s.json);
            }
        }
        let msg: Arc<str> = event_json(seq, &now, changed_rows.into_iter(), changed_summaries.iter().map(|(k, v)| (k.as_str(), v.as_str()))).into();
        drop(t);
        if self.shared.events.send(msg.clone()).is_ok() {
            self.shared.counters.events_sent.fetch_add(1, Ordering::Relaxed);
        }
        Some(msg)
    }

    /// Rows changed after tick `since` and every summary: what a client that rendered the page
    /// at `since` (or lagged behind) needs to be current.
    pub fn catch_up(&self, since: u64) -> Option<(u64, Arc<str>)> {
        let t = lock(&self.shared.ticker);
        if t.seq <= since {
            return None;
        }
        let rows = t.rows.values().filter(|r| r.seq > since).map(|r| r.json.as_str());
        let summaries = t.summaries.iter().map(|(k, (_, v))| (k.as_str(), v.as_str()));
        Some((t.seq, event_json(t.seq, &self.clock.now_rfc3339(), rows, summaries).into()))
    }

    pub fn seq(&self) -> u64 {
        lock(&self.shared.ticker).seq
    }

    /// The ticker and the periodic re-reads of the plan and the hub's records, on the current
    /// tokio runtime, until the hub is dropped.
    pub fn spawn_background(&self) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(&self.shared);
        let clock = self.clock.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut n: u64 = 0;
            loop {
                interval.tick().await;
                let Some(shared) = weak.upgrade() else { return };
                let hub = MonitoringHub { shared, clock: clock.clone() };
                n += 1;
                let refresh_plan = n.is_multiple_of(PLAN_REFRESH_SECS);
                let refresh_facts = n.is_multiple_of(FACTS_REFRESH_SECS);
                let h = hub.clone();
                let done = tokio::task::spawn_blocking(move || {
                    if refresh_plan {
                        if let Err(e) = h.refresh_plan() {
                            tracing::warn!("monitoring: plan re-read failed: {e}");
                        }
                    }
                    if refresh_facts {
                        if let Err(e) = h.refresh_facts() {
                            tracing::warn!("monitoring: upload records re-read failed: {e}");
                        }
                    }
                    h.tick();
                })
                .await;
                if let Err(e) = done {
                    tracing::error!("monitoring ticker: {e}");
                }
            }
        })
    }
}

fn fingerprint(s: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// `{"seq":N,"now":"…","rows":[…],"summaries":{"exam":{…},"exam|ate":{…}}}` from pieces that
/// are JSON already (rows are serialized once per change, not once per client).
fn event_json<'a>(seq: u64, now: &str, rows: impl Iterator<Item = &'a str>, summaries: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = format!("{{\"seq\":{seq},\"now\":{},\"rows\":[", serde_json::Value::String(now.to_string()));
    for (i, r) in rows.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r);
    }
    out.push_str("],\"summaries\":{");
    for (i, (k, v)) in summaries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::Value::String(k.to_string()).to_string());
        out.push(':');
        out.push_str(v);
    }
    out.push_str("}}");
    out
}
