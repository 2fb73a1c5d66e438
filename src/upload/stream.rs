//! Streaming upload (issue 22): pages, recordings and answer files go up while the scanner is
//! still feeding, and the bundle built at the end only references them. The rules are pure:
//! when a box streams, in which order the files go (the -МАШ forms РЦОИ processes first), how
//! many requests and what chunk size fit the measured link, and when the upload will end given
//! both the scanner and the link (`overlap_eta`). `stream/ops.rs` carries them out.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::bundle::ContentFile;

pub mod ops;

/// The box streams an exam's content while its materials window is open and until the upload
/// deadline, as long as no receipt is held, nothing of the exam is being sent right now and
/// something taken in is not yet on the hub.
pub fn stream_due(
    window_open: DateTime<Utc>,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
    receipt_held: bool,
    running: bool,
    pending: usize,
) -> bool {
    now >= window_open && now <= deadline && !receipt_held && !running && pending > 0
}

/// Where a file stands in the sending order: the machine-read forms (-МАШ) first, since РЦОИ
/// processes them before the answer sheets, then the other statements, then pages, then the
/// participants' recordings and answer files (large, and checked later).
pub fn send_rank(f: &ContentFile) -> u8 {
    if f.form.as_deref().is_some_and(|form| form.ends_with("-МАШ")) {
        0
    } else if f.kind == "statement" {
        1
    } else if f.kind == "page" {
        2
    } else {
        3
    }
}

/// Sorts files into the sending order; within a rank they keep their order (scan order).
pub fn sending_order(files: &mut [ContentFile]) {
    files.sort_by_key(send_rank);
}

/// What is known about the link to the hub: measured throughput and the round trip.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct LinkMeasure {
    pub bytes_per_second: f64,
    pub rtt: Duration,
}

/// How to send over a link: bytes per request and requests in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    pub chunk_size: usize,
    pub parallel: usize,
}

pub const MIN_CHUNK: usize = 256 << 10;
pub const MAX_CHUNK: usize = 4 << 20;
pub const MAX_PARALLEL: usize = 8;

/// Chunk size and parallelism for a link. A chunk carries about four seconds of the link (so
/// a cut costs little to resend and the per-request overhead stays small), within
/// [`MIN_CHUNK`]..[`MAX_CHUNK`]. Requests in flight: just enough to keep the link busy while
/// one request waits a round trip and the hub's fsync, i.e. one plus the bandwidth-delay
/// product over the unit sent per request (a chunk, or a whole page when pages are smaller) —
/// two on a slow link, so the order holds and a heartbeat is never queued behind eight
/// uploads. Unknown link: two requests of 1 MiB.
pub fn tune(link: Option<LinkMeasure>, mean_file_bytes: u64) -> Tuning {
    let Some(link) = link.filter(|l| l.bytes_per_second > 0.0) else {
        return Tuning { chunk_size: 1 << 20, parallel: 2 };
    };
    let chunk = ((link.bytes_per_second * 4.0) as usize).clamp(MIN_CHUNK, MAX_CHUNK) / (64 << 10) * (64 << 10);
    let unit = (mean_file_bytes.max(1) as usize).min(chunk) as f64;
    // The round trip plus about as much again for the hub's fsync before it answers.
    let idle_bytes = link.bytes_per_second * link.rtt.as_secs_f64() * 2.0;
    let parallel = (1.0 + (idle_bytes / unit).ceil()) as usize;
    Tuning { chunk_size: chunk, parallel: parallel.clamp(1, MAX_PARALLEL) }
}

/// The facts the overlap estimate needs, gathered by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OverlapFacts {
    /// Expected pages not yet taken in.
    pub pages_to_scan: u64,
    /// The scanner's measured pace (pages per second), `None` until measured.
    pub pages_per_second: Option<f64>,
    /// Bytes taken in and not yet on the hub.
    pub bytes_unsent: u64,
    /// The mean size of a page taken in (what each page still to scan will add).
    pub mean_page_bytes: f64,
    /// The link's measured throughput, `None` until measured.
    pub link_bytes_per_second: Option<f64>,
}

/// When the upload will be done, with scanning and sending overlapped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OverlapEta {
    /// Seconds until the last page is scanned at the measured pace.
    pub scan_seconds: f64,
    /// Seconds until every byte (those taken in and those still to scan) is sent at the link's rate.
    pub send_seconds: f64,
    /// The larger of the two: the upload ends when both are done.
    pub seconds: f64,
    /// Which one bounds it.
    pub bound_by_link: bool,
}

/// The overlap estimate: max(pages still to scan ÷ scanner rate, bytes still to send ÷ link
/// rate), where bytes still to send count the pages still to scan at the mean page size.
/// `None` while a rate that matters is not measured yet (pages remain without a scanner pace,
/// or bytes remain without a link rate).
pub fn overlap_eta(f: &OverlapFacts) -> Option<OverlapEta> {
    let scan_seconds = match (f.pages_to_scan, f.pages_per_second) {
        (0, _) => 0.0,
        (n, Some(rate)) if rate > 0.0 => n as f64 / rate,
        _ => return None,
    };
    let bytes = f.bytes_unsent as f64 + f.pages_to_scan as f64 * f.mean_page_bytes.max(0.0);
    let send_seconds = match f.link_bytes_per_second {
        _ if bytes <= 0.0 => 0.0,
        Some(rate) if rate > 0.0 => bytes / rate,
        _ => return None,
    };
    let seconds = scan_seconds.max(send_seconds);
    Some(OverlapEta { scan_seconds, send_seconds, seconds, bound_by_link: send_seconds > scan_seconds })
}

/// The upload will miss its deadline at this estimate.
pub fn overlap_misses_deadline(eta: &OverlapEta, now: DateTime<Utc>, deadline: DateTime<Utc>) -> bool {
    now + chrono::Duration::milliseconds((eta.seconds * 1000.0) as i64) > deadline
}

/// The scanner's pace from the times pages were taken in (oldest first): pages per second over
/// the last `window` pages. `None` with fewer than two pages or no time between them.
pub fn scanner_pace(scanned_at: &[DateTime<Utc>], window: usize) -> Option<f64> {
    let recent = &scanned_at[scanned_at.len().saturating_sub(window.max(2))..];
    let (first, last) = (recent.first()?, recent.last()?);
    let secs = (*last - *first).num_milliseconds() as f64 / 1000.0;
    (recent.len() >= 2 && secs > 0.0).then(|| (recent.len() - 1) as f64 / secs)
}

/// The Russian line of the estimate for `edge status` and the UI.
pub fn overlap_text_ru(eta: &OverlapEta) -> String {
    let minutes = |s: f64| (s / 60.0).ceil() as i64;
    let bound = if eta.bound_by_link { "ограничивает канал" } else { "ограничивает сканирование" };
    format!(
        "выгрузка закончится примерно через {} мин (сканирование ещё {} мин, передача ещё {} мин; {bound})",
        minutes(eta.seconds),
        minutes(eta.scan_seconds),
        minutes(eta.send_seconds)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, kind: &str, form: Option<&str>) -> ContentFile {
        ContentFile {
            name: name.into(),
            kind: kind.into(),
            sha256: "aa".repeat(32),
            size: 1,
            participant_id: None,
            path: name.into(),
            form: form.map(str::to_string),
        }
    }

    #[test]
    fn machine_read_forms_go_first_then_statements_then_pages_then_recordings() {
        let mut files = vec![
            file("p1", "page", None),
            file("rec", "recording", None),
            file("s0502", "statement", Some("ППЭ-05-02")),
            file("p2", "page", None),
            file("m1302", "statement", Some("ППЭ-13-02-МАШ")),
            file("m1204", "statement", Some("ППЭ-12-04-МАШ")),
        ];
        sending_order(&mut files);
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["m1302", "m1204", "s0502", "p1", "p2", "rec"], "scan order kept within a rank");
        assert_eq!(send_rank(&file("x", "page", Some("ППЭ-05-02"))), 2, "a form that is not -МАШ is not first");
    }

    #[test]
    fn streaming_runs_only_inside_the_window_without_a_receipt_and_with_something_to_send() {
        let t = |m: i64| DateTime::from_timestamp(1_800_000_000 + m * 60, 0).unwrap();
        let (open, deadline) = (t(0), t(300));
        assert!(stream_due(open, deadline, t(100), false, false, 3));
        assert!(!stream_due(open, deadline, t(-1), false, false, 3), "before the materials window nothing is sent");
        assert!(!stream_due(open, deadline, t(301), false, false, 3), "after the deadline");
        assert!(!stream_due(open, deadline, t(100), true, false, 3), "the receipt is held");
        assert!(!stream_due(open, deadline, t(100), false, true, 3), "one sender per exam");
        assert!(!stream_due(open, deadline, t(100), false, false, 0), "nothing pending");
    }

    #[test]
    fn a_slow_link_gets_two_requests_and_small_chunks_a_fast_one_more() {
        let slow = LinkMeasure { bytes_per_second: 250_000.0, rtt: Duration::from_millis(200) };
        assert_eq!(tune(Some(slow), 300_000), Tuning { chunk_size: 960 << 10, parallel: 2 });
        let one_mbit = LinkMeasure { bytes_per_second: 125_000.0, rtt: Duration::from_millis(200) };
        assert_eq!(tune(Some(one_mbit), 300_000).chunk_size, MIN_CHUNK + (192 << 10));
        let lan = LinkMeasure { bytes_per_second: 100e6, rtt: Duration::from_millis(5) };
        let fast = tune(Some(lan), 300_000);
        assert_eq!(fast.chunk_size, MAX_CHUNK);
        assert!(fast.parallel > 2 && fast.parallel <= MAX_PARALLEL, "{fast:?}");
        let far = LinkMeasure { bytes_per_second: 10e6, rtt: Duration::from_millis(600) };
        assert_eq!(tune(Some(far), 300_000).parallel, MAX_PARALLEL, "never more than the cap");
        assert_eq!(tune(None, 300_000), Tuning { chunk_size: 1 << 20, parallel: 2 }, "unknown link");
        assert_eq!(tune(Some(LinkMeasure::default()), 300_000), Tuning { chunk_size: 1 << 20, parallel: 2 }, "a zero rate is unknown");
    }

    #[test]
    fn the_overlap_is_the_slower_of_scanning_and_sending() {
        // The hour of issue 22: 1 200 pages of 300 KB, 40 pages/min, 2 Mbit/s.
        let hour = OverlapFacts {
            pages_to_scan: 1200,
            pages_per_second: Some(40.0 / 60.0),
            bytes_unsent: 0,
            mean_page_bytes: 300_000.0,
            link_bytes_per_second: Some(250_000.0),
        };
        let e = overlap_eta(&hour).unwrap();
        assert!((e.scan_seconds - 1800.0).abs() < 1e-6, "{e:?}");
        assert_eq!(e.send_seconds, 1440.0);
        assert_eq!(e.seconds, e.scan_seconds, "the scanner bounds it: sending hides behind it");
        assert!(!e.bound_by_link);
        // At 1 Mbit/s the link bounds it.
        let e = overlap_eta(&OverlapFacts { link_bytes_per_second: Some(125_000.0), ..hour }).unwrap();
        assert_eq!((e.seconds, e.bound_by_link), (2880.0, true));
        // Scanning done, a backlog left: only the link.
        let e = overlap_eta(&OverlapFacts { pages_to_scan: 0, pages_per_second: None, bytes_unsent: 500_000, ..hour }).unwrap();
        assert_eq!((e.scan_seconds, e.send_seconds), (0.0, 2.0));
        // Everything sent and scanned: done now.
        let done = OverlapFacts { pages_to_scan: 0, bytes_unsent: 0, link_bytes_per_second: None, pages_per_second: None, ..hour };
        assert_eq!(overlap_eta(&done).unwrap().seconds, 0.0);
    }

    #[test]
    fn no_estimate_while_a_rate_that_matters_is_unmeasured() {
        let base = OverlapFacts {
            pages_to_scan: 10,
            pages_per_second: Some(1.0),
            bytes_unsent: 100,
            mean_page_bytes: 10.0,
            link_bytes_per_second: Some(10.0),
        };
        assert!(overlap_eta(&base).is_some());
        assert_eq!(overlap_eta(&OverlapFacts { pages_per_second: None, ..base }), None, "pages remain, no scanner pace");
        assert_eq!(overlap_eta(&OverlapFacts { pages_per_second: Some(0.0), ..base }), None);
        assert_eq!(overlap_eta(&OverlapFacts { link_bytes_per_second: None, ..base }), None, "bytes remain, no link rate");
    }

    #[test]
    fn the_deadline_alarm_follows_the_overlap() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let eta = OverlapEta { scan_seconds: 1800.0, send_seconds: 2880.0, seconds: 2880.0, bound_by_link: true };
        assert!(overlap_misses_deadline(&eta, now, now + chrono::Duration::minutes(45)), "48 min needed, 45 left");
        assert!(!overlap_misses_deadline(&eta, now, now + chrono::Duration::minutes(50)));
        let text = overlap_text_ru(&eta);
        assert!(text.contains("48 мин") && text.contains("ограничивает канал"), "{text}");
    }

    #[test]
    fn the_scanner_pace_comes_from_the_recent_pages() {
        let t = |s: i64| DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap();
        assert_eq!(scanner_pace(&[], 20), None);
        assert_eq!(scanner_pace(&[t(0)], 20), None);
        assert_eq!(scanner_pace(&[t(0), t(0)], 20), None, "no time between them");
        // 40 pages/min: one every 1.5 s.
        let pages: Vec<_> = (0..10).map(|i| t(i * 3 / 2)).collect();
        let pace = scanner_pace(&pages, 20).unwrap();
        assert!((pace - 9.0 / 13.0).abs() < 1e-9, "{pace}");
        // A pause long ago does not count once it leaves the window.
        let mut paused = vec![t(-3600)];
        paused.extend((0..10).map(|i| t(i)));
        assert_eq!(scanner_pace(&paused, 10), Some(1.0));
    }
}
