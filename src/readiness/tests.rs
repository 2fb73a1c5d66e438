//! The readiness rules in both directions: each check holds on good facts and fails with its
//! Russian reason on bad ones; a printer passes only with its test page scanned back; the hub's
//! judgement uses its own clock offset.

use super::*;

fn page(state: &str, scanned: bool) -> TestPageFacts {
    TestPageFacts {
        sheet_number: 12,
        cups_job_id: Some(7),
        job_state: state.into(),
        job_reason: String::new(),
        printed_at: "2027-05-26T10:00:00Z".into(),
        scanned_at: scanned.then(|| "2027-05-26T10:05:00Z".to_string()),
    }
}

fn station(code: &str, auditorium: Option<&str>, test_page: Option<TestPageFacts>) -> StationFacts {
    StationFacts {
        station: code.into(),
        auditorium: auditorium.map(str::to_string),
        printer: PrinterFacts { queue: "ppe".into(), reachable: true, detail: String::new(), test_page },
    }
}

/// A point where everything holds.
fn good() -> ReadinessFacts {
    ReadinessFacts {
        stations: vec![
            station(STAFF_STATION, None, Some(page("completed", true))),
            station("room-0101", Some("0101"), Some(page("completed", true))),
        ],
        point: PointFacts {
            clock_offset_ms: Some(1_500),
            free_disk_bytes: Some(10 << 30),
            scanner: ScannerFacts {
                device: "test:0".into(),
                inbox: None,
                reachable: true,
                detail: String::new(),
                configured_dpi: 300,
                device_max_dpi: Some(600),
            },
            package: PackageFacts {
                manifest_version: Some(3),
                files_total: 2,
                files_verified: 2,
                unwrap_key_present: true,
                hub_key_pinned: true,
                gek_members: 2,
            },
        },
    }
}

fn failing(facts: &ReadinessFacts) -> Vec<String> {
    summarize(facts, &judge(facts, &ReadinessLimits::default())).failing
}

#[test]
fn a_point_where_every_check_holds_is_ready() {
    let facts = good();
    let verdicts = judge(&facts, &ReadinessLimits::default());
    assert!(verdicts.iter().all(|v| v.passed && v.reason.is_empty()), "{verdicts:#?}");
    // Two checks per printing station, six for the staff room's point checks.
    assert_eq!(verdicts.len(), 2 * 2 + 6);
    assert!(summarize(&facts, &verdicts).ready);
}

#[test]
fn a_test_page_not_scanned_back_fails_the_printer_naming_the_room() {
    let mut facts = good();
    facts.stations[1].printer.test_page = Some(page("completed", false));
    let f = failing(&facts);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].starts_with("Аудитория 0101: тестовая страница (лист № 0000012) не отсканирована"), "{f:?}");
    // Completed by CUPS only is not printed; nor is a stopped job, nor none at all.
    facts.stations[1].printer.test_page = Some(TestPageFacts { job_reason: "нет бумаги".into(), ..page("stopped", true) });
    assert!(failing(&facts)[0].contains("не напечатана: задание в состоянии «stopped» (нет бумаги)"), "{:?}", failing(&facts));
    facts.stations[1].printer.test_page = None;
    assert!(failing(&facts)[0].contains("тестовая страница не печаталась"));
    let v = judge_test_print("staff", Some(&page("confirmed", true)));
    assert!(v.passed && v.seen.contains("распознан"), "{v:?}");
}

#[test]
fn an_unreachable_printer_fails_with_cups_reason() {
    let mut facts = good();
    facts.stations[0].printer.reachable = false;
    facts.stations[0].printer.detail = "очередь остановлена".into();
    assert_eq!(failing(&facts), vec!["Штаб ППЭ: принтер ppe недоступен: очередь остановлена".to_string()]);
}

#[test]
fn the_scanner_must_be_there_and_scan_at_the_regions_resolution() {
    let mut facts = good();
    facts.point.scanner.configured_dpi = 200;
    assert!(failing(&facts)[0].contains("200 dpi, нужно не меньше 300 dpi"), "{:?}", failing(&facts));
    // 0 in the config is 300.
    facts.point.scanner.configured_dpi = 0;
    assert!(failing(&facts).is_empty());
    // The limit is data: a region asking 400 dpi refuses 300.
    let strict = ReadinessLimits { min_scanner_dpi: 400, ..Default::default() };
    assert!(!judge(&facts, &strict).iter().find(|v| v.check == CheckKind::ScannerResolution).unwrap().passed);
    // A device that cannot scan as configured.
    facts.point.scanner.configured_dpi = 1200;
    assert!(failing(&facts)[0].contains("не больше 600 dpi"), "{:?}", failing(&facts));
    facts.point.scanner = ScannerFacts { configured_dpi: 300, ..Default::default() };
    assert!(failing(&facts)[0].contains("сканер не настроен"), "{:?}", failing(&facts));
    facts.point.scanner = ScannerFacts {
        device: "test:0".into(), detail: "устройство не найдено".into(), configured_dpi: 300, ..Default::default()
    };
    assert!(failing(&facts)[0].contains("сканер недоступен: устройство не найдено"));
}

#[test]
fn the_clock_must_be_within_the_limit_of_the_hubs_both_ways() {
    let limits = ReadinessLimits::default();
    assert!(judge_clock(Some(60_000), &limits).passed);
    assert!(judge_clock(Some(-59_000), &limits).passed);
    let late = judge_clock(Some(-61_000), &limits);
    assert!(!late.passed && late.reason.contains("на -61 с, допустимо ±60 с"), "{late:?}");
    assert!(!judge_clock(Some(61_000), &limits).passed);
    assert!(judge_clock(None, &limits).reason.contains("нет связи с РЦОИ"));
    assert!(judge_clock(Some(61_000), &ReadinessLimits { max_clock_offset_secs: 120, ..limits }).passed);
}

#[test]
fn free_disk_and_the_package_and_activation_are_checked() {
    let mut facts = good();
    facts.point.free_disk_bytes = Some(100 << 20);
    assert!(failing(&facts)[0].contains("свободно 100 МБ, нужно не меньше 2048 МБ"));
    facts = good();
    facts.point.package.files_verified = 1;
    assert!(failing(&facts)[0].contains("проверено 1 файлов из 2"));
    facts.point.package.manifest_version = None;
    assert!(failing(&facts)[0].contains("пакет ЭМ не загружен"));
    facts = good();
    facts.point.package.gek_members = 0;
    facts.point.package.unwrap_key_present = false;
    let f = failing(&facts);
    assert!(f[0].contains("keys.x25519_key_file") && f[0].contains("член ГЭК"), "{f:?}");
}

#[test]
fn a_run_without_the_staff_room_station_is_not_ready() {
    let mut facts = good();
    facts.stations.remove(0);
    let s = summarize(&facts, &judge(&facts, &ReadinessLimits::default()));
    assert!(!s.ready && s.failing[0].contains("станция штаба не проверена"), "{s:?}");
}

#[test]
fn the_hub_judges_with_the_offset_it_measured_not_the_boxs_claim() {
    let report = ReadinessReport {
        ppe_code: "0101".into(),
        exam_id: "ege-02".into(),
        box_time: "2027-05-26T10:00:00Z".into(),
        run_at: "2027-05-26T09:50:00Z".into(),
        limits: ReadinessLimits::default(),
        facts: good(),
    };
    assert!(judge_report(&report, 2_000).1.ready);
    let (_, s) = judge_report(&report, 3_600_000);
    assert!(!s.ready && s.failing[0].contains("расходятся с РЦОИ"), "{s:?}");
    assert!(check_report(&report, "0101").is_ok());
    assert!(matches!(check_report(&report, "0102"), Err(BadReport::WrongPoint { .. })));
    let mut long = report.clone();
    long.facts.stations[0].printer.detail = "x".repeat(1000);
    assert!(matches!(check_report(&long, "0101"), Err(BadReport::Shape(_))));
}

#[test]
fn the_next_exam_day_is_the_earliest_not_before_today_in_the_exams_zone() {
    let exam = |id: &str, date: &str| crate::model::Exam { exam_id: id.into(), date: date.into(), ..crate::model::tests::sample_exam() };
    let exams = vec![exam("a", "2027.05.27"), exam("b", "2027.05.31"), exam("c", "2027.05.20")];
    let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
    assert_eq!(next_exam_day(&exams, t("2027-05-26T09:00:00Z")).as_deref(), Some("2027.05.27"));
    // 27.05 18:00Z is already 28.05 in Tomsk (+7): the 27th is past there.
    assert_eq!(next_exam_day(&exams, t("2027-05-27T18:00:00Z")).as_deref(), Some("2027.05.31"));
    assert_eq!(next_exam_day(&exams, t("2027-06-01T00:00:00Z")), None);
}

#[test]
fn the_day_table_shows_every_assigned_point_ready_not_ready_or_not_reported() {
    let mut plan = crate::model::Plan { exams: vec![crate::model::tests::sample_exam()], ..Default::default() };
    for (p, code) in [("p1", "0101"), ("p2", "0102"), ("p3", "0103")] {
        plan.registrations.push(crate::model::Registration { exam_id: "ege-02".into(), participant_id: p.into(), ppe_code: code.into() });
    }
    let row = |code: &str, ready: bool| store::HubReportRow {
        exam_id: "ege-02".into(),
        ppe_code: code.into(),
        received_at: "2027-05-26T10:00:00Z".into(),
        clock_offset_ms: 500,
        ready,
        failing: if ready {
            vec![]
        } else {
            vec!["Аудитория 0101: тестовая страница (лист № 0000002) не отсканирована".into()]
        },
    };
    let table = day_table(&plan, "2027.05.27", &[row("0101", true), row("0102", false)]);
    let states: Vec<(&str, &str)> = table.iter().map(|r| (r.ppe_code.as_str(), r.readiness.title_ru())).collect();
    assert_eq!(states, vec![("0101", "готов"), ("0102", "не готов"), ("0103", "нет отчёта")]);
    assert!(matches!(&table[1].readiness, PointReadiness::NotReady { failing, .. } if failing[0].contains("не отсканирована")));
    assert!(day_table(&plan, "2027.05.28", &[]).is_empty());
}
