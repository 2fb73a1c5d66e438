//! Technical readiness of an exam point the day before an exam (DOMAIN.md §2, issue 17 item 4):
//! the staff room's station and each auditorium's printing station are checked, the result
//! is reported to РЦОИ and shown on the dashboard, and the protocols ППЭ-01-01 (per
//! auditorium), ППЭ-01-02 (staff room) and the act ППЭ-01 are printed from it.
//!
//! Pure here: each check is a verdict over facts gathered elsewhere (`probe`: CUPS, SANE, the
//! disk, the hub's signed time, the materials store), with a Russian reason when it fails. A
//! printer passes only when its test page — a sheet with a sheet code made for the check — was
//! printed *and* its code came back decoded from a scan. The box and the hub judge with the same
//! functions: the hub judges the facts a report carries, with the clock offset it measured
//! itself. Runs and reports live in `store`; the use cases in `ops`; the commands in `cli`;
//! the hub's box route in `pages`; the forms in `forms`.

pub mod cli;
pub mod ops;
pub mod pages;
pub mod probe;
pub mod store;

use chrono::Offset;
use serde::{Deserialize, Serialize};

pub use crate::protocol::readiness::{
    PackageFacts, PointFacts, PrinterFacts, ReadinessAck, ReadinessFacts, ReadinessLimits, ReadinessReport, ScannerFacts, StationFacts, TestPageFacts,
};
use crate::protocol::readiness::{MAX_STATIONS, MAX_TEXT_LEN};

/// The staff room's station code.
pub const STAFF_STATION: &str = "staff";

/// The station code of an auditorium's printing station.
pub fn room_station(auditorium: &str) -> String {
    format!("room-{auditorium}")
}

/// The sheet-code holder of a station's test page (its numbers are kind Statement).
pub fn test_page_holder(station: &str) -> String {
    format!("readiness:{station}")
}

/// A station as people call it.
pub fn station_title(station: &StationFacts) -> String {
    match &station.auditorium {
        Some(a) => format!("Аудитория {a}"),
        None => "Штаб ППЭ".to_string(),
    }
}

/// What is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    PrinterReachable,
    TestPrint,
    ScannerReachable,
    ScannerResolution,
    ClockOffset,
    FreeDisk,
    PackagePrestaged,
    ActivationReady,
}

impl CheckKind {
    pub fn title_ru(self) -> &'static str {
        match self {
            Self::PrinterReachable => "Принтер доступен",
            Self::TestPrint => "Тестовая страница напечатана и распознана со скана",
            Self::ScannerReachable => "Сканер доступен",
            Self::ScannerResolution => "Разрешение сканирования",
            Self::ClockOffset => "Расхождение часов с РЦОИ",
            Self::FreeDisk => "Свободное место на диске",
            Self::PackagePrestaged => "Пакет ЭМ загружен заранее",
            Self::ActivationReady => "Всё для активации ключа на месте",
        }
    }
}

/// One check's verdict: what was seen and, when it fails, why (Russian, for people).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub station: String,
    pub check: CheckKind,
    pub passed: bool,
    /// What was found («лист № 0000012 распознан 18:02», «600 dpi»).
    pub seen: String,
    /// Why it fails; empty when it passed.
    pub reason: String,
}

impl Verdict {
    fn pass(station: &str, check: CheckKind, seen: String) -> Self {
        Self { station: station.to_string(), check, passed: true, seen, reason: String::new() }
    }
    fn fail(station: &str, check: CheckKind, seen: String, reason: String) -> Self {
        Self { station: station.to_string(), check, passed: false, seen, reason }
    }
}

fn judge_printer(station: &str, p: &PrinterFacts) -> Vec<Verdict> {
    let reachable = if p.reachable {
        Verdict::pass(station, CheckKind::PrinterReachable, format!("очередь {} отвечает", p.queue))
    } else {
        let seen = format!("очередь {}", p.queue);
        Verdict::fail(station, CheckKind::PrinterReachable, seen, format!("принтер {} недоступен: {}", p.queue, p.detail))
    };
    vec![reachable, judge_test_print(station, p.test_page.as_ref())]
}

/// The printer's test: the page was printed (CUPS completed the job) and its code was decoded
/// from a scan; a page CUPS completed but nobody scanned back proves nothing about paper.
pub fn judge_test_print(station: &str, page: Option<&TestPageFacts>) -> Verdict {
    let check = CheckKind::TestPrint;
    let Some(page) = page else {
        return Verdict::fail(station, check, "—".into(), "тестовая страница не печаталась".into());
    };
    let number = format!("лист № {:07}", page.sheet_number);
    let printed = matches!(page.job_state.as_str(), "completed" | "confirmed");
    if !printed {
        let why = if page.job_reason.is_empty() { String::new() } else { format!(" ({})", page.job_reason) };
        return Verdict::fail(
            station,
            check,
            number.clone(),
            format!("тестовая страница ({number}) не напечатана: задание в состоянии «{}»{why}", page.job_state),
        );
    }
    match &page.scanned_at {
        Some(at) => Verdict::pass(station, check, format!("{number} напечатан и распознан со скана ({at})")),
        None => Verdict::fail(
            station,
            check,
            format!("{number} напечатан"),
            format!("тестовая страница ({number}) не отсканирована: её код не распознан со скана"),
        ),
    }
}

fn judge_scanner(s: &ScannerFacts, limits: &ReadinessLimits) -> Vec<Verdict> {
    let station = STAFF_STATION;
    let source = match (s.device.is_empty(), &s.inbox) {
        (false, _) => format!("SANE {}", s.device),
        (true, Some(inbox)) => format!("папка {inbox}"),
        (true, None) => "не задан".to_string(),
    };
    let reachable = if s.reachable {
        Verdict::pass(station, CheckKind::ScannerReachable, source)
    } else if s.device.is_empty() && s.inbox.is_none() {
        Verdict::fail(station, CheckKind::ScannerReachable, source, "сканер не настроен: [scanner] device или inbox в ppe.toml".into())
    } else {
        Verdict::fail(station, CheckKind::ScannerReachable, source, format!("сканер недоступен: {}", s.detail))
    };
    let dpi = if s.configured_dpi == 0 { 300 } else { s.configured_dpi };
    let seen = match s.device_max_dpi {
        Some(max) => format!("{dpi} dpi (устройство до {max} dpi)"),
        None => format!("{dpi} dpi"),
    };
    let resolution = if dpi < limits.min_scanner_dpi {
        Verdict::fail(
            station,
            CheckKind::ScannerResolution,
            seen,
            format!("сканирование с разрешением {dpi} dpi, нужно не меньше {} dpi", limits.min_scanner_dpi),
        )
    } else if let Some(max) = s.device_max_dpi.filter(|m| *m < dpi) {
        Verdict::fail(station, CheckKind::ScannerResolution, seen, format!("сканер даёт не больше {max} dpi, а настроено {dpi} dpi"))
    } else {
        Verdict::pass(station, CheckKind::ScannerResolution, seen)
    };
    vec![reachable, resolution]
}

/// The clock: within the limit of the hub's (the windows are judged by the hub's clock, but
/// the forms and the records carry the box's).
pub fn judge_clock(offset_ms: Option<i64>, limits: &ReadinessLimits) -> Verdict {
    let check = CheckKind::ClockOffset;
    let Some(ms) = offset_ms else {
        return Verdict::fail(STAFF_STATION, check, "—".into(), "подписанное время РЦОИ не получено: нет связи с РЦОИ".into());
    };
    let secs = ms as f64 / 1000.0;
    let seen = format!("{secs:+.1} с");
    if ms.unsigned_abs() > u64::from(limits.max_clock_offset_secs) * 1000 {
        Verdict::fail(
            STAFF_STATION,
            check,
            seen,
            format!("часы станции расходятся с РЦОИ на {secs:+.0} с, допустимо ±{} с", limits.max_clock_offset_secs),
        )
    } else {
        Verdict::pass(STAFF_STATION, check, seen)
    }
}

fn judge_disk(free: Option<u64>, limits: &ReadinessLimits) -> Verdict {
    let check = CheckKind::FreeDisk;
    let Some(free) = free else {
        return Verdict::fail(STAFF_STATION, check, "—".into(), "свободное место не определено".into());
    };
    let mb = free / (1 << 20);
    let seen = format!("{mb} МБ");
    if mb < limits.min_free_disk_mb {
        Verdict::fail(STAFF_STATION, check, seen, format!("свободно {mb} МБ, нужно не меньше {} МБ", limits.min_free_disk_mb))
    } else {
        Verdict::pass(STAFF_STATION, check, seen)
    }
}

fn judge_package(p: &PackageFacts) -> Vec<Verdict> {
    let prestaged = match p.manifest_version {
        None => Verdict::fail(STAFF_STATION, CheckKind::PackagePrestaged, "—".into(), "пакет ЭМ не загружен: выполните ppe edge prestage".into()),
        Some(v) if p.files_verified < p.files_total || p.files_total == 0 => Verdict::fail(
            STAFF_STATION,
            CheckKind::PackagePrestaged,
            format!("версия {v}, файлов {} из {}", p.files_verified, p.files_total),
            format!("пакет ЭМ загружен не полностью: проверено {} файлов из {}", p.files_verified, p.files_total),
        ),
        Some(v) => Verdict::pass(STAFF_STATION, CheckKind::PackagePrestaged, format!("версия {v}, файлов {}", p.files_total)),
    };
    let mut missing = Vec::new();
    if !p.unwrap_key_present {
        missing.push("ключ станции для получения ключа ЭМ (keys.x25519_key_file)");
    }
    if !p.hub_key_pinned {
        missing.push("ключ подписи РЦОИ (hub.signing_public_key)");
    }
    if p.gek_members == 0 {
        missing.push("член ГЭК, назначенный в ППЭ на дату экзамена");
    }
    let seen = format!("членов ГЭК: {}", p.gek_members);
    let activation = if missing.is_empty() {
        Verdict::pass(STAFF_STATION, CheckKind::ActivationReady, seen)
    } else {
        Verdict::fail(STAFF_STATION, CheckKind::ActivationReady, seen, format!("для активации нет: {}", missing.join("; ")))
    };
    vec![prestaged, activation]
}

/// Every verdict of a run: each station's printer, then the staff room's scanner, clock, disk,
/// package and activation.
pub fn judge(facts: &ReadinessFacts, limits: &ReadinessLimits) -> Vec<Verdict> {
    let mut out = Vec::new();
    for s in &facts.stations {
        out.extend(judge_printer(&s.station, &s.printer));
    }
    out.extend(judge_scanner(&facts.point.scanner, limits));
    out.push(judge_clock(facts.point.clock_offset_ms, limits));
    out.push(judge_disk(facts.point.free_disk_bytes, limits));
    out.extend(judge_package(&facts.point.package));
    out
}

/// The point is ready when every check passed and there is a staff room station; `failing`
/// names each failed check with its station («Аудитория 0102: тестовая страница …»).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub ready: bool,
    pub failing: Vec<String>,
}

pub fn summarize(facts: &ReadinessFacts, verdicts: &[Verdict]) -> Summary {
    let title = |code: &str| facts.stations.iter().find(|s| s.station == code).map(station_title).unwrap_or_else(|| "Штаб ППЭ".to_string());
    let mut failing: Vec<String> = verdicts.iter().filter(|v| !v.passed).map(|v| format!("{}: {}", title(&v.station), v.reason)).collect();
    if !facts.stations.iter().any(|s| s.station == STAFF_STATION) {
        failing.insert(0, "Штаб ППЭ: станция штаба не проверена".to_string());
    }
    Summary { ready: failing.is_empty(), failing }
}

/// Why the hub refuses a report's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadReport {
    #[error("отчёт о готовности ППЭ {reported} не может прислать ППЭ {caller}")]
    WrongPoint { caller: String, reported: String },
    #[error("отчёт о готовности не читается: {0}")]
    Shape(String),
}

/// The hub's checks of a report before it is judged or stored.
pub fn check_report(report: &ReadinessReport, caller: &str) -> Result<(), BadReport> {
    if report.ppe_code != caller {
        return Err(BadReport::WrongPoint { caller: caller.to_string(), reported: report.ppe_code.clone() });
    }
    let shape = |m: &str| Err(BadReport::Shape(m.to_string()));
    if report.exam_id.is_empty() || report.exam_id.len() > 64 {
        return shape("код экзамена");
    }
    if report.facts.stations.len() > MAX_STATIONS {
        return shape("слишком много станций");
    }
    let long = |t: &str| t.chars().count() > MAX_TEXT_LEN;
    let station_texts = report.facts.stations.iter().flat_map(|s| {
        let page = s.printer.test_page.iter().flat_map(|p| [p.job_state.as_str(), p.job_reason.as_str(), p.printed_at.as_str()]);
        [s.station.as_str(), s.printer.queue.as_str(), s.printer.detail.as_str()].into_iter().chain(s.auditorium.as_deref()).chain(page)
    });
    let scanner = &report.facts.point.scanner;
    if station_texts.chain([scanner.device.as_str(), scanner.detail.as_str(), report.box_time.as_str(), report.run_at.as_str()]).any(long) {
        return shape("слишком длинный текст");
    }
    Ok(())
}

/// The hub's judgement of a report: the facts as the box sent them, the clock offset the hub
/// measured (box time in the report against the hub's clock at arrival).
pub fn judge_report(report: &ReadinessReport, hub_offset_ms: i64) -> (Vec<Verdict>, Summary) {
    let mut facts = report.facts.clone();
    facts.point.clock_offset_ms = Some(hub_offset_ms);
    let verdicts = judge(&facts, &report.limits);
    let summary = summarize(&facts, &verdicts);
    (verdicts, summary)
}

/// A point's readiness for an exam as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PointReadiness {
    Ready { received_at: String },
    NotReady { received_at: String, failing: Vec<String> },
    NotReported,
}

impl PointReadiness {
    pub fn title_ru(&self) -> &'static str {
        match self {
            Self::Ready { .. } => "готов",
            Self::NotReady { .. } => "не готов",
            Self::NotReported => "нет отчёта",
        }
    }
}

/// One row of the dashboard's readiness table: a point assigned to an exam of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRow {
    pub exam_id: String,
    pub exam_title: String,
    pub ppe_code: String,
    pub ppe_name: String,
    pub ate_name: String,
    pub readiness: PointReadiness,
    /// Box − hub as the hub measured it, milliseconds.
    pub clock_offset_ms: Option<i64>,
}

/// Every (exam, point) of a date with the latest report of each, not reported ones too, in
/// exam then point order. `reports` are the latest per (exam, point).
pub fn day_table(plan: &crate::model::Plan, date: &str, reports: &[store::HubReportRow]) -> Vec<DayRow> {
    let mut rows = Vec::new();
    let mut exams: Vec<&crate::model::Exam> = plan.exams.iter().filter(|e| e.date == date).collect();
    exams.sort_by(|a, b| a.start.cmp(&b.start).then(a.exam_id.cmp(&b.exam_id)));
    for exam in exams {
        let points: std::collections::BTreeSet<&str> =
            plan.registrations.iter().filter(|r| r.exam_id == exam.exam_id).map(|r| r.ppe_code.as_str()).collect();
        for code in points {
            let point = plan.exam_points.iter().find(|p| p.ppe_code == code);
            let report = reports.iter().find(|r| r.exam_id == exam.exam_id && r.ppe_code == code);
            let readiness = match report {
                None => PointReadiness::NotReported,
                Some(r) if r.ready => PointReadiness::Ready { received_at: r.received_at.clone() },
                Some(r) => PointReadiness::NotReady { received_at: r.received_at.clone(), failing: r.failing.clone() },
            };
            rows.push(DayRow {
                exam_id: exam.exam_id.clone(),
                exam_title: format!("{} {}", exam.kind.title_ru(), exam.subject_name),
                ppe_code: code.to_string(),
                ppe_name: point.map(|p| p.name.clone()).unwrap_or_default(),
                ate_name: point.map(|p| p.ate_name.clone()).unwrap_or_default(),
                readiness,
                clock_offset_ms: report.map(|r| r.clock_offset_ms),
            });
        }
    }
    rows
}

/// The next exam day by the hub's clock: the earliest exam date (`ГГГГ.ММ.ДД`) not before
/// today, today judged in each exam's own zone. `None`: no exam ahead.
pub fn next_exam_day(exams: &[crate::model::Exam], now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    exams
        .iter()
        .filter(|e| {
            let offset = chrono::FixedOffset::east_opt(e.utc_offset_min * 60).unwrap_or(chrono::Utc.fix());
            let today = now.with_timezone(&offset).format("%Y.%m.%d").to_string();
            e.date >= today
        })
        .map(|e| e.date.clone())
        .min()
}

#[cfg(test)]
mod tests;
