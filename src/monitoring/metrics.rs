//! `/metrics`: Prometheus text of the monitoring's own counters and the region's state, from
//! the hub's live view (never SQL on the request path); the build, and what the hub's listener
//! saw of box requests ([`RequestMetrics`], filled by [`record_requests`]): latency histograms
//! by route, upload bytes, key releases by result.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

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
    metric(
        "ppe_build_info",
        "gauge",
        "The running build: always 1, the version and commit as labels.",
        vec![(format!("{{version=\"{}\",commit=\"{}\"}}", label(env!("CARGO_PKG_VERSION")), label(BUILD_COMMIT)), 1)],
    );
    let r = &c.requests;
    metric(
        "ppe_upload_bytes_total",
        "counter",
        "Bytes of bundle files accepted by upload PATCH requests.",
        vec![(String::new(), r.upload_bytes.load(Relaxed))],
    );
    metric(
        "ppe_key_releases_total",
        "counter",
        "Key requests of boxes by result (released, refused by the rules, failed).",
        KEY_RESULTS.iter().zip(&r.key_releases).map(|(k, n)| (format!("{{result=\"{k}\"}}"), n.load(Relaxed))).collect(),
    );
    r.write_histogram(&mut out);
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
    let now = hub.clock().now();
    let lag: Vec<(String, f64)> = by_exam
        .iter()
        .filter_map(|(exam, rs)| {
            let oldest = rs.iter().filter_map(|r| r.last_seen_at.as_deref()).filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).min()?;
            Some((format!("{{exam_id=\"{}\"}}", label(exam)), (now - oldest.with_timezone(&chrono::Utc)).num_milliseconds().max(0) as f64 / 1000.0))
        })
        .collect();
    let _ = writeln!(out, "# HELP ppe_heartbeat_lag_seconds Seconds since the heartbeat of the exam's longest-silent point that has reported.\n# TYPE ppe_heartbeat_lag_seconds gauge");
    for (labels, v) in lag {
        let _ = writeln!(out, "ppe_heartbeat_lag_seconds{labels} {v}");
    }
    let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<(String, u64)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in lines {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    metric("ppe_monitoring_points", "gauge", "Exam points by health.", points);
    metric("ppe_monitoring_pages", "gauge", "Pages of an exam by funnel step; only verified is done.", pages);
    out
}

/// The commit the binary was built from (build.rs; `unknown` outside a git checkout).
pub const BUILD_COMMIT: &str = env!("PPE_GIT_COMMIT");

/// Upper bounds of the latency buckets, seconds (a tus PATCH of 4 MiB on a slow uplink takes
/// tens of seconds; a heartbeat milliseconds).
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// The route classes a request is counted under (a small, fixed label set).
const ROUTES: [&str; 8] = ["upload", "key", "heartbeat", "package", "plan", "time", "distribution", "other"];
const KEY_RESULTS: [&str; 3] = ["released", "refused", "failed"];

/// What the hub's listener saw of requests, for `/metrics`.
#[derive(Debug, Default)]
pub struct RequestMetrics {
    /// Per route class: requests at or under each bucket bound (not cumulative), then the rest.
    buckets: [[AtomicU64; 13]; 8],
    count: [AtomicU64; 8],
    sum_micros: [AtomicU64; 8],
    upload_bytes: AtomicU64,
    key_releases: [AtomicU64; 3],
}

/// The route class of a request path.
pub fn route_class(path: &str) -> &'static str {
    use crate::protocol::paths;
    let class = if path.starts_with(paths::UPLOADS) {
        "upload"
    } else if path.starts_with("/v1/exams/") && path.ends_with("/key") || path.starts_with(paths::GEK_CHALLENGE) {
        "key"
    } else if path == paths::HEARTBEAT {
        "heartbeat"
    } else if path.starts_with(paths::PACKAGES) {
        "package"
    } else if path.starts_with(paths::PLAN) {
        "plan"
    } else if path == paths::TIME {
        "time"
    } else if path.starts_with(paths::DISTRIBUTION) {
        "distribution"
    } else {
        "other"
    };
    class
}

impl RequestMetrics {
    /// One answered request: its route class, how long it took, its method and status, and the
    /// body length it declared.
    pub fn record(&self, path: &str, method: &axum::http::Method, status: u16, seconds: f64, content_length: Option<u64>) {
        let route = route_class(path);
        let i = ROUTES.iter().position(|r| *r == route).unwrap_or(ROUTES.len() - 1);
        let b = BUCKETS.iter().position(|le| seconds <= *le).unwrap_or(BUCKETS.len());
        self.buckets[i][b].fetch_add(1, Ordering::Relaxed);
        self.count[i].fetch_add(1, Ordering::Relaxed);
        self.sum_micros[i].fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        if route == "upload" && method == axum::http::Method::PATCH && (200..300).contains(&status) {
            self.upload_bytes.fetch_add(content_length.unwrap_or(0), Ordering::Relaxed);
        }
        if route == "key" && method == axum::http::Method::POST && path.ends_with("/key") {
            let result = match status {
                200..=299 => 0,
                400..=499 => 1,
                _ => 2,
            };
            self.key_releases[result].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn write_histogram(&self, out: &mut String) {
        let name = "ppe_http_request_duration_seconds";
        let _ = writeln!(out, "# HELP {name} Time to answer box requests on the hub's listener, by route class.\n# TYPE {name} histogram");
        for (i, route) in ROUTES.iter().enumerate() {
            let mut cumulative = 0;
            for (b, le) in BUCKETS.iter().enumerate() {
                cumulative += self.buckets[i][b].load(Ordering::Relaxed);
                let _ = writeln!(out, "{name}_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}");
            }
            let count = self.count[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}");
            let _ = writeln!(out, "{name}_sum{{route=\"{route}\"}} {}", self.sum_micros[i].load(Ordering::Relaxed) as f64 / 1e6);
            let _ = writeln!(out, "{name}_count{{route=\"{route}\"}} {count}");
        }
    }
}

/// Middleware on the hub's listener: times every request and counts what [`RequestMetrics`]
/// keeps. Bodies are not read here (the declared length is what a successful PATCH wrote).
pub async fn record_requests(State(hub): State<MonitoringHub>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let length = request.headers().get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let response = next.run(request).await;
    hub.counters().requests.record(&path, &method, response.status().as_u16(), started.elapsed().as_secs_f64(), length);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_under_their_route_and_bucket() {
        let m = RequestMetrics::default();
        m.record("/v1/uploads/abc", &axum::http::Method::PATCH, 204, 0.2, Some(4096));
        m.record("/v1/uploads/abc", &axum::http::Method::PATCH, 409, 0.2, Some(4096));
        m.record("/v1/exams/ege-01/key", &axum::http::Method::POST, 200, 0.004, None);
        m.record("/v1/exams/ege-01/key", &axum::http::Method::POST, 403, 0.004, None);
        m.record("/v1/exams/ege-01/key", &axum::http::Method::POST, 500, 40.0, None);
        assert_eq!(m.upload_bytes.load(Ordering::Relaxed), 4096, "only a PATCH that was taken counts");
        assert_eq!(m.key_releases.iter().map(|n| n.load(Ordering::Relaxed)).collect::<Vec<_>>(), [1, 1, 1]);
        let mut out = String::new();
        m.write_histogram(&mut out);
        assert!(out.contains("ppe_http_request_duration_seconds_bucket{route=\"upload\",le=\"0.25\"} 2\n"), "{out}");
        assert!(out.contains("ppe_http_request_duration_seconds_bucket{route=\"upload\",le=\"0.1\"} 0\n"), "{out}");
        assert!(out.contains("ppe_http_request_duration_seconds_bucket{route=\"key\",le=\"30\"} 2\n"), "{out}");
        assert!(out.contains("ppe_http_request_duration_seconds_bucket{route=\"key\",le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("ppe_http_request_duration_seconds_count{route=\"key\"} 3\n"), "{out}");
    }

    #[test]
    fn route_classes_follow_the_protocol_paths() {
        for (path, class) in [
            ("/v1/uploads/bundles", "upload"),
            ("/v1/exams/x/key", "key"),
            ("/v1/heartbeat", "heartbeat"),
            ("/v1/packages/a/b/c", "package"),
            ("/v1/plan", "plan"),
            ("/v1/time", "time"),
            ("/", "other"),
        ] {
            assert_eq!(route_class(path), class, "{path}");
        }
    }
}
