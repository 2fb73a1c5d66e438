//! The readiness papers filled from a run, purely: ППЭ-01-01 for each auditorium's printing
//! station, ППЭ-01-02 for the staff room (each check with what was found and whether it holds)
//! and the act ППЭ-01 (the point's rooms and stations counted, the readiness items, the
//! conclusion). Signers are prefilled from the plan's workers of the point on the exam's date.
//! Sheet numbers come in from the caller (`ops::print_forms` reserves them per holder).

use super::{station_title, CheckKind, ReadinessFacts, Verdict, STAFF_STATION};
use crate::model::{Exam, Plan, WorkerRole};
use crate::printing::forms::{ExamHeader, ReadinessActInput, ReadinessLine, ReadinessProtocolInput, ReadinessSigners};

/// The sheet-code holder of a readiness form: `form:ППЭ-01-01:<auditorium>`, `form:ППЭ-01-02`,
/// `form:ППЭ-01`.
pub fn form_holder(form: &str, auditorium: Option<&str>) -> String {
    match auditorium {
        Some(a) => format!("form:{form}:{a}"),
        None => format!("form:{form}"),
    }
}

/// Pages a readiness form may take (its sheet numbers are reserved up front).
pub const FORM_PAGE_BUDGET: u32 = 2;

pub fn line_of(v: &Verdict) -> ReadinessLine {
    ReadinessLine { title: v.check.title_ru().to_string(), seen: v.seen.clone(), passed: v.passed, note: v.reason.clone() }
}

/// The first worker of each signing role at the point on the exam's date.
pub fn signers(plan: &Plan, ppe_code: &str, exam: &Exam) -> ReadinessSigners {
    let first = |role: WorkerRole| plan.workers_with_role_at(ppe_code, &exam.date, role).first().map(|w| w.full_name()).unwrap_or_default();
    ReadinessSigners { tech_specialist: first(WorkerRole::TechSpecialist), head: first(WorkerRole::Head), gek_member: first(WorkerRole::GekMember) }
}

/// One protocol per station, in the run's order: the staff room's is ППЭ-01-02, each
/// auditorium's ППЭ-01-01. `first_sheet` is left for the caller.
pub fn protocols(
    header: &ExamHeader,
    facts: &ReadinessFacts,
    verdicts: &[Verdict],
    signers: &ReadinessSigners,
    checked_at: &str,
) -> Vec<ReadinessProtocolInput> {
    facts
        .stations
        .iter()
        .map(|s| ReadinessProtocolInput {
            exam: header.clone(),
            auditorium: s.auditorium.clone(),
            queue: s.printer.queue.clone(),
            checked_at: checked_at.to_string(),
            lines: verdicts.iter().filter(|v| v.station == s.station).map(line_of).collect(),
            signers: signers.clone(),
            first_sheet: None,
        })
        .collect()
}

/// The form code of a station's protocol.
pub fn protocol_form(input: &ReadinessProtocolInput) -> &'static str {
    if input.auditorium.is_some() {
        "ППЭ-01-01"
    } else {
        "ППЭ-01-02"
    }
}

/// ППЭ-01: the point's rooms and stations counted, then one item per part of the readiness.
pub fn act(
    header: &ExamHeader,
    plan: &Plan,
    ppe_code: &str,
    facts: &ReadinessFacts,
    verdicts: &[Verdict],
    signers: &ReadinessSigners,
    checked_at: &str,
) -> ReadinessActInput {
    let rooms: Vec<_> = plan.auditoriums.iter().filter(|a| a.ppe_code == ppe_code).collect();
    let count = |f: &dyn Fn(&&crate::model::Auditorium) -> bool| rooms.iter().filter(|a| f(a)).count() as u32;
    let room_stations: Vec<_> = facts.stations.iter().filter(|s| s.auditorium.is_some()).collect();
    let counts = vec![
        ("Аудиторий в ППЭ".to_string(), rooms.len() as u32),
        ("из них с видеонаблюдением".to_string(), count(&|a| a.video)),
        ("из них для участников с ОВЗ".to_string(), count(&|a| a.special_needs)),
        ("из них резервных".to_string(), count(&|a| a.reserve)),
        ("Станций печати ЭМ в аудиториях, проверено".to_string(), room_stations.len() as u32),
        ("Станций сканирования в штабе ППЭ".to_string(), u32::from(facts.stations.iter().any(|s| s.station == STAFF_STATION))),
    ];
    let holds = |station: &dyn Fn(&str) -> bool, checks: &[CheckKind]| -> (bool, Vec<String>) {
        let failed: Vec<String> = verdicts
            .iter()
            .filter(|v| station(&v.station) && checks.contains(&v.check) && !v.passed)
            .map(|v| {
                let title = facts.stations.iter().find(|s| s.station == v.station).map(station_title).unwrap_or_else(|| "Штаб ППЭ".into());
                format!("{title}: {}", v.reason)
            })
            .collect();
        (failed.is_empty(), failed)
    };
    let printers = [CheckKind::PrinterReachable, CheckKind::TestPrint];
    let item = |title: &str, seen: String, (passed, failed): (bool, Vec<String>)| ReadinessLine {
        title: title.to_string(),
        seen,
        passed,
        note: failed.join("; "),
    };
    let ready_rooms = room_stations.iter().filter(|s| verdicts.iter().filter(|v| v.station == s.station).all(|v| v.passed)).count();
    let staff = |code: &str| code == STAFF_STATION;
    let seen = |checks: &[CheckKind]| {
        verdicts.iter().filter(|v| staff(&v.station) && checks.contains(&v.check)).map(|v| v.seen.clone()).collect::<Vec<_>>().join("; ")
    };
    let lines = vec![
        item(
            "Станции печати ЭМ в аудиториях готовы, тестовая печать распознана",
            format!("готовы {ready_rooms} из {}", room_stations.len()),
            holds(&|c| !staff(c), &printers),
        ),
        item("Принтер штаба ППЭ готов, тестовая печать распознана", seen(&[CheckKind::TestPrint]), holds(&staff, &printers)),
        item(
            "Станция сканирования готова",
            seen(&[CheckKind::ScannerReachable, CheckKind::ScannerResolution]),
            holds(&staff, &[CheckKind::ScannerReachable, CheckKind::ScannerResolution]),
        ),
        item("Часы станций сверены с РЦОИ", seen(&[CheckKind::ClockOffset]), holds(&staff, &[CheckKind::ClockOffset])),
        item("Свободного места на диске достаточно", seen(&[CheckKind::FreeDisk]), holds(&staff, &[CheckKind::FreeDisk])),
        item(
            "Пакет ЭМ загружен, для активации ключа всё на месте",
            seen(&[CheckKind::PackagePrestaged, CheckKind::ActivationReady]),
            holds(&staff, &[CheckKind::PackagePrestaged, CheckKind::ActivationReady]),
        ),
    ];
    ReadinessActInput { exam: header.clone(), checked_at: checked_at.to_string(), counts, lines, signers: signers.clone(), first_sheet: None }
}
