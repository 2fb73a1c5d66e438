//! Tests of the pure monitoring judgement: a table of situations, and properties over any
//! inputs (done only when verified, never late before the deadline, silent after the limit).

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::*;
use crate::model::Exam;

fn t(s: &str) -> DateTime<Utc> {
    parse_time(s).unwrap()
}

/// ege-02 of the demo region: 10:00 at UTC+7, 235 min, upload due 60 min after the end.
pub(crate) fn exam() -> Exam {
    crate::model::tests::sample_exam()
}

fn schedule() -> Schedule {
    Schedule::at_point(&exam(), None, []).unwrap()
}

fn report(stage: Stage) -> HeartbeatReport {
    HeartbeatReport {
        ppe_code: "0101".into(),
        exam_id: "ege-02".into(),
        box_time: "2027-05-27T02:10:00Z".into(),
        stage,
        materials: MaterialsReport::default(),
        seating_done: false,
        attendance: AttendanceReport::default(),
        pages: PagesReport::default(),
        upload: UploadReport::default(),
        files: Default::default(),
        alarms: vec![],
        last_error: None,
    }
}

fn uploading(done: u64, total: u64) -> HeartbeatReport {
    let mut r = report(Stage::Uploading);
    r.materials.verified = true;
    r.upload = UploadReport { bytes_done: done, bytes_total: total, files_done: 0, files_total: 10, receipt_id: None };
    r
}

struct Case {
    name: &'static str,
    now: &'static str,
    latest: Option<(HeartbeatReport, &'static str)>,
    last_progress_at: Option<&'static str>,
    /// (seconds before the latest report, bytes done then)
    earlier_samples: Vec<(i64, u64)>,
    hub: Option<HubUploadFacts>,
    truth: UploadTruth,
    expect: Health,
}

fn run(c: &Case) -> PointStatus {
    let latest = c.latest.as_ref().map(|(r, at)| Arrived { report: r.clone(), received_at: t(at) });
    let mut samples: Vec<ProgressSample> = Vec::new();
    if let Some(a) = &latest {
        for (ago, bytes) in &c.earlier_samples {
            samples.push(ProgressSample { at: a.received_at - Duration::seconds(*ago), bytes_done: *bytes, files_done: 0, pages_scanned: 0 });
        }
        samples.push(ProgressSample::of(&a.report, a.received_at));
    }
    let d = delivered(latest.as_ref().map(|a| &a.report), c.truth, c.hub.as_ref());
    let input = PointInputs {
        schedule: schedule(),
        latest: latest.as_ref(),
        last_progress_at: c.last_progress_at.map(t).or(latest.as_ref().map(|a| a.received_at)),
        samples: &samples,
        delivered: &d,
    };
    point_status(&input, &StatusRules::default(), t(c.now))
}

#[test]
fn schedule_of_the_demo_exam() {
    let s = schedule();
    assert_eq!(s.window_open, t("2027-05-27T02:00:00Z"));
    assert_eq!(s.start, t("2027-05-27T03:00:00Z"));
    assert_eq!(s.deadline, t("2027-05-27T07:55:00Z"));
    let extended = Schedule::at_point(&exam(), None, [TimeNeed { admitted: true, extra_time: true }]).unwrap();
    assert_eq!(extended.deadline, t("2027-05-27T09:25:00Z"), "ОВЗ +1.5 h moves the deadline");
}

#[test]
fn point_status_table() {
    let verified = HubUploadFacts { bundle_verified: true, pages_verified: 40, pages_received: 40, receipt_id: Some("ab".into()), ..Default::default() };
    let mut claims = report(Stage::Uploaded);
    claims.materials.verified = true;
    claims.upload.receipt_id = Some("ab".into());
    let mut no_materials = report(Stage::Pulling);
    no_materials.materials.verified = false;
    let hub = UploadTruth::HubRecords;
    let cases = vec![
        Case { name: "never reported before the window", now: "2027-05-27T01:00:00Z", latest: None, last_progress_at: None, earlier_samples: vec![], hub: None, truth: hub, expect: Health::NotStarted },
        Case { name: "never reported after the window opened", now: "2027-05-27T02:05:00Z", latest: None, last_progress_at: None, earlier_samples: vec![], hub: None, truth: hub, expect: Health::Silent },
        Case { name: "pulling, reported 30 s ago", now: "2027-05-27T02:10:30Z", latest: Some((report(Stage::Pulling), "2027-05-27T02:10:00Z")), last_progress_at: None, earlier_samples: vec![], hub: None, truth: hub, expect: Health::OnTrack },
        Case { name: "exactly at the silent limit is not silent", now: "2027-05-27T02:11:00Z", latest: Some((report(Stage::MaterialsReady), "2027-05-27T02:10:00Z")), last_progress_at: None, earlier_samples: vec![], hub: None, truth: hub, expect: Health::OnTrack },
        Case { name: "one second past the silent limit", now: "2027-05-27T02:11:01Z", latest: Some((report(Stage::MaterialsReady), "2027-05-27T02:10:00Z")), last_progress_at: None, earlier_samples: vec![], hub: None, truth: hub, expect: Health::Silent },
        Case { name: "verified by the hub after the deadline is done", now: "2027-05-27T09:00:00Z", latest: Some((report(Stage::Uploaded), "2027-05-27T07:00:00Z")), last_progress_at: None, earlier_samples: vec![], hub: Some(verified.clone()), truth: hub, expect: Health::Done },
        Case { name: "deadline passed without verification", now: "2027-05-27T07:55:01Z", latest: Some((uploading(5, 10), "2027-05-27T07:55:00Z")), last_progress_at: None, earlier_samples: vec![], hub: None, truth: hub, expect: Health::Late },
        Case { name: "rate meets the deadline", now: "2027-05-27T07:00:00Z", latest: Some((uploading(1_000_000, 2_000_000), "2027-05-27T07:00:00Z")), last_progress_at: None, earlier_samples: vec![(60, 940_000)], hub: None, truth: hub, expect: Health::OnTrack },
        Case { name: "rate cannot meet the deadline", now: "2027-05-27T07:00:00Z", latest: Some((uploading(1_000_000, 20_000_000), "2027-05-27T07:00:00Z")), last_progress_at: None, earlier_samples: vec![(60, 940_000)], hub: None, truth: hub, expect: Health::AtRisk },
        Case { name: "no bytes moved in the window", now: "2027-05-27T07:00:00Z", latest: Some((uploading(1_000_000, 2_000_000), "2027-05-27T07:00:00Z")), last_progress_at: Some("2027-05-27T06:58:00Z"), earlier_samples: vec![(60, 1_000_000)], hub: None, truth: hub, expect: Health::AtRisk },
        Case { name: "no progress past the stall limit", now: "2027-05-27T07:00:00Z", latest: Some((uploading(1_000_000, 2_000_000), "2027-05-27T07:00:00Z")), last_progress_at: Some("2027-05-27T06:54:59Z"), earlier_samples: vec![(60, 1_000_000)], hub: None, truth: hub, expect: Health::Stalled },
        Case { name: "exam started without verified materials", now: "2027-05-27T03:00:10Z", latest: Some((no_materials, "2027-05-27T03:00:00Z")), last_progress_at: None, earlier_samples: vec![], hub: None, truth: hub, expect: Health::AtRisk },
        Case { name: "box claims a receipt the hub does not hold", now: "2027-05-27T07:00:10Z", latest: Some((claims.clone(), "2027-05-27T07:00:00Z")), last_progress_at: None, earlier_samples: vec![], hub: None, truth: hub, expect: Health::AtRisk },
        Case { name: "box reports trusted: its receipt is done", now: "2027-05-27T07:00:10Z", latest: Some((claims, "2027-05-27T07:00:00Z")), last_progress_at: None, earlier_samples: vec![], hub: None, truth: UploadTruth::BoxReports, expect: Health::Done },
        Case { name: "on line before the window", now: "2027-05-27T01:00:10Z", latest: Some((report(Stage::Waiting), "2027-05-27T01:00:00Z")), last_progress_at: None, earlier_samples: vec![], hub: None, truth: hub, expect: Health::NotStarted },
    ];
    for c in &cases {
        let s = run(c);
        assert_eq!(s.health, c.expect, "{}: {}", c.name, s.reason);
        assert!(!s.reason.is_empty(), "{}", c.name);
    }
}

#[test]
fn at_risk_comes_before_the_deadline_and_names_the_time() {
    let c = Case {
        name: "",
        now: "2027-05-27T07:00:00Z",
        latest: Some((uploading(1_000_000, 20_000_000), "2027-05-27T07:00:00Z")),
        last_progress_at: None,
        earlier_samples: vec![(60, 940_000)],
        hub: None,
        truth: UploadTruth::HubRecords,
        expect: Health::AtRisk,
    };
    let s = run(&c);
    assert_eq!(s.health, Health::AtRisk);
    assert_eq!(s.rate_bytes_per_second, Some(1000.0));
    assert!(s.eta_seconds.unwrap() > 3300.0, "{s:?}");
    assert!(s.reason.contains("55 мин"), "{}", s.reason);
}

#[test]
fn report_json_is_snake_case_and_tolerates_unknown_fields_and_stages() {
    let mut r = uploading(5, 10);
    r.upload.receipt_id = Some("abc".into());
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["stage"], "uploading");
    assert_eq!(v["upload"]["bytes_total"], 10);
    assert_eq!(v["materials"]["key_received"], false);
    let newer = r#"{"ppe_code":"0101","exam_id":"ege-02","box_time":"2027-05-27T02:10:00Z","stage":"teleporting","future_field":1}"#;
    let parsed: HeartbeatReport = serde_json::from_str(newer).unwrap();
    assert_eq!(parsed.stage, Stage::Unknown);
    assert_eq!(parsed.upload, UploadReport::default());
}

#[test]
fn report_checks_refuse_what_a_hub_must_not_believe() {
    let ok = report(Stage::Pulling);
    assert!(ok.check().is_ok());
    let mut bad = ok.clone();
    bad.ppe_code = "../0101".into();
    assert!(matches!(bad.check(), Err(MonitoringError::Malformed(_))));
    let mut bad = ok.clone();
    bad.box_time = "вчера".into();
    assert!(bad.check().is_err());
    let mut bad = ok.clone();
    bad.alarms = vec!["x".into(); MAX_ALARMS + 1];
    assert!(bad.check().is_err());
    let mut bad = ok.clone();
    bad.upload = UploadReport { bytes_done: 11, bytes_total: 10, ..Default::default() };
    assert!(bad.check().is_err());
    let mut bad = ok;
    bad.last_error = Some("я".repeat(MAX_TEXT_LEN + 1));
    assert!(bad.check().is_err());
}

#[test]
fn progress_and_offsets() {
    let a = uploading(5, 10);
    let mut b = a.clone();
    assert!(made_progress(None, &a));
    assert!(!made_progress(Some(&a), &b));
    b.upload.bytes_done = 6;
    assert!(made_progress(Some(&a), &b));
    let mut c = a.clone();
    c.stage = Stage::Uploaded;
    assert!(made_progress(Some(&a), &c));
    assert_eq!(clock_offset_ms(t("2027-05-27T02:10:03Z"), t("2027-05-27T02:10:00Z")), 3000);
    assert_eq!(clock_offset_text(-185_000), "−3 мин 5 с");
    assert_eq!(clock_offset_text(2_500), "+2.5 с");
    assert_eq!(time_left_text(t("2027-05-27T08:00:00Z"), t("2027-05-27T06:55:00Z")), "1 ч 05 мин");
    assert_eq!(time_left_text(t("2027-05-27T08:00:00Z"), t("2027-05-27T08:12:00Z")), "−12 мин");
    assert_eq!(bytes_text(1536), "1.5 КБ");
}

#[test]
fn stage_codes_round_trip() {
    for s in Stage::ALL {
        assert_eq!(Stage::parse(s.code()), s);
        assert_eq!(serde_json::to_value(s).unwrap(), s.code());
    }
}

fn row(exam: &str, code: &str, health: Health) -> PointRow {
    PointRow {
        exam_id: exam.into(),
        ppe_code: code.into(),
        name: String::new(),
        ate_code: "01".into(),
        ate_name: "Город".into(),
        stage: Stage::Pulling,
        stage_since: None,
        health,
        reason: String::new(),
        deadline: "2027-05-27T07:55:00Z".into(),
        last_seen_at: None,
        clock_offset_ms: None,
        last_error: None,
        alarms: vec![],
        bytes_done: 0,
        bytes_total: 0,
        files_done: 0,
        files_total: 0,
        rate_bytes_per_second: None,
        pages_expected: 10,
        pages_scanned: 8,
        pages_received: 6,
        pages_verified: 4,
        files: Default::default(),
        seating_done: true,
        attendance: AttendanceReport::default(),
        materials: MaterialsReport { pulled: true, verified: true, manifest_version: Some(2), key_received: true, printed: false },
        published_version: Some(3),
        key_released: true,
        receipt_id: None,
    }
}

#[test]
fn summary_counts_funnel_and_prestart() {
    let mut rows = vec![row("e", "1", Health::Done), row("e", "2", Health::Late), row("e", "3", Health::Silent)];
    rows[0].materials.manifest_version = Some(3);
    let s = summarize(&rows);
    assert_eq!(s.totals.points, 3);
    assert_eq!((s.totals.done, s.totals.late, s.totals.silent), (1, 1, 1));
    assert_eq!(s.funnel, Funnel { expected: 30, scanned: 24, received: 18, verified: 12, points_with_expected: 0 });
    assert_eq!((s.prestart.current_version_verified, s.prestart.outdated_version, s.prestart.key_released), (1, 2, 3));
}

fn any_health() -> impl Strategy<Value = Health> {
    prop::sample::select(Health::ALL.to_vec())
}

fn any_stage() -> impl Strategy<Value = Stage> {
    prop::sample::select(Stage::ALL.to_vec())
}

prop_compose! {
    fn any_report()(stage in any_stage(), total in 0u64..1_000_000, frac in 0.0f64..=1.0, pages in 0u64..500,
                    verified in any::<bool>(), receipt in proptest::option::of("[a-f0-9]{8}"), err in proptest::option::of(".{0,40}"))
                    -> HeartbeatReport {
        let mut r = report(stage);
        r.upload.bytes_total = total;
        r.upload.bytes_done = (total as f64 * frac) as u64;
        r.pages.scanned = pages;
        r.materials.verified = verified;
        r.upload.receipt_id = receipt;
        r.last_error = err;
        r
    }
}

proptest! {
    #[test]
    fn done_if_and_only_if_verified_and_never_late_before_the_deadline(
        rep in proptest::option::of(any_report()),
        seen_ago in 0i64..20_000,
        now_offset in -30_000i64..30_000,
        hub_verified in any::<bool>(),
        trust_hub in any::<bool>(),
    ) {
        let s = schedule();
        let now = s.deadline + Duration::seconds(now_offset);
        let latest = rep.map(|r| Arrived { report: r, received_at: now - Duration::seconds(seen_ago) });
        let facts = HubUploadFacts { bundle_verified: hub_verified, receipt_id: hub_verified.then(|| "r".into()), ..Default::default() };
        let truth = if trust_hub { UploadTruth::HubRecords } else { UploadTruth::BoxReports };
        let d = delivered(latest.as_ref().map(|a| &a.report), truth, Some(&facts));
        let samples: Vec<ProgressSample> = latest.iter().map(|a| ProgressSample::of(&a.report, a.received_at)).collect();
        let input = PointInputs { schedule: s, latest: latest.as_ref(), last_progress_at: latest.as_ref().map(|a| a.received_at), samples: &samples, delivered: &d };
        let rules = StatusRules::default();
        let st = point_status(&input, &rules, now);
        prop_assert_eq!(st.health == Health::Done, d.verified);
        if !d.verified {
            prop_assert_eq!(st.health == Health::Late, now > s.deadline);
            if now <= s.deadline {
                if let Some(a) = &latest {
                    prop_assert_eq!(st.health == Health::Silent, now - a.received_at > rules.silent_after, "{:?}", st);
                }
            }
        }
        if trust_hub {
            prop_assert_eq!(d.verified, hub_verified, "the hub trusts its own receipts over a box's claim");
        }
    }

    #[test]
    fn measured_rate_is_the_slope_over_the_window(points in prop::collection::vec((1i64..120, 0u64..100_000), 1..30)) {
        let start = t("2027-05-27T07:00:00Z");
        let mut at = start;
        let mut bytes = 0u64;
        let mut samples = vec![];
        for (dt, db) in points {
            at += Duration::seconds(dt);
            bytes += db;
            samples.push(ProgressSample { at, bytes_done: bytes, files_done: 0, pages_scanned: 0 });
        }
        let window = Duration::minutes(5);
        match measured_rate(&samples, window) {
            None => prop_assert!(samples.len() == 1 || samples.iter().filter(|s| at - s.at <= window).count() == 1),
            Some(rate) => {
                let first = samples.iter().find(|s| at - s.at <= window).unwrap();
                let expect = (bytes - first.bytes_done) as f64 / (at - first.at).num_seconds() as f64;
                prop_assert!((rate - expect).abs() < 1e-6);
                prop_assert!(rate >= 0.0);
            }
        }
    }

    #[test]
    fn worst_first_and_totals_add_up(healths in prop::collection::vec(any_health(), 0..60)) {
        let mut rows: Vec<PointRow> = healths.iter().enumerate().map(|(i, h)| row("e", &format!("{i:04}"), *h)).collect();
        sort_worst_first(&mut rows);
        prop_assert!(rows.windows(2).all(|w| w[0].health.severity() <= w[1].health.severity()));
        let s = summarize(&rows);
        prop_assert_eq!(s.totals.points as usize, rows.len());
        prop_assert_eq!(Health::ALL.iter().map(|h| s.totals.count(*h)).sum::<u32>(), s.totals.points);
    }

    #[test]
    fn report_round_trips_through_json(r in any_report()) {
        let text = serde_json::to_string(&r).unwrap();
        let back: HeartbeatReport = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, r);
    }
}
