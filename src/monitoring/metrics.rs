//! `/metrics`: Prometheus text of the monitoring's own counters and the region's state, from
//! the hub's live view (never SQL on the request path).

use std::fmt::Write as _;

use super::live::MonitoringHub;
use super::{Health, PointRow, Summary};

fn label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Prometheus text exposition of the monitoring's own counters and the region's state.
pub fn metrics_text(hub: &MonitoringHub) -> String {
    use std::sync::atomic::Ordering::Relaxed;
    let c = hub.counters();
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<(String, u64)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in lines {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    metric("ppe_monitoring_reports_accepted_total", "counter", "Heartbeats accepted.", vec![(String::new(), c.reports_accepted.load(Relaxed))]);
    metric(
        "ppe_monitoring_reports_refused_total",
        "counter",
        "Heartbeats refused, by reason.",
        c.refused().into_iter().map(|(r, n)| (format!("{{reason=\"{r}\"}}"), n)).collect(),
    );
    metric("ppe_monitoring_reports_persisted_total", "counter", "Heartbeats committed to the hub database.", vec![(String::new(), c.reports_persisted.load(Relaxed))]);
    metric("ppe_monitoring_write_batches_total", "counter", "Transactions of the heartbeat writer.", vec![(String::new(), c.write_batches.load(Relaxed))]);
    metric("ppe_monitoring_write_errors_total", "counter", "Heartbeat batches that failed to commit.", vec![(String::new(), c.write_errors.load(Relaxed))]);
    metric("ppe_monitoring_events_sent_total", "counter", "Change messages broadcast to dashboards.", vec![(String::new(), c.events_sent.load(Relaxed))]);
    metric("ppe_monitoring_dashboard_clients", "gauge", "Dashboards connected for live updates.", vec![(String::new(), hub.sse_clients() as u64)]);
    let rows = hub.rows(None, None);
    let mut by_exam: std::collections::BTreeMap<String, Vec<&PointRow>> = std::collections::BTreeMap::new();
    for r in &rows {
        by_exam.entry(r.exam_id.clone()).or_default().push(r);
    }
    let summaries: Vec<(String, Summary)> = by_exam.iter().map(|(e, rs)| (e.clone(), super::summarize(rs.iter().copied()))).collect();
    let mut points = Vec::new();
    let mut pages = Vec::new();
    for (exam, s) in &summaries {
        for h in Health::ALL {
            points.push((format!("{{exam_id=\"{}\",health=\"{}\"}}", label(exam), h.code()), u64::from(s.totals.count(h))));
        }
        for (step, n) in [("expected", s.funnel.expected), ("scanned", s.funnel.scanned), ("received", s.funnel.received), ("verified", s.funnel.verified)] {
            pages.push((format!("{{exam_id=\"{}\",step=\"{step}\"}}", label(exam)), n));
        }
    }
    metric("ppe_monitoring_points", "gauge", "Exam points by health.", points);
    metric("ppe_monitoring_pages", "gauge", "Pages of an exam by funnel step; only verified is done.", pages);
    out
}
