//! What the box shows on every page and on its home page: the alarms of the day and the one next
//! thing to do for an exam. The rules are pure over plain facts; `alarms` gathers the facts.

use chrono::{DateTime, Utc};

use super::numbers::BoxNumbers;
use super::{box_state, exams_of_the_day, gather_box_numbers, local_time_text, DayError};
use crate::model::ExamId;
use crate::monitoring::Schedule;
use crate::store::Connection;

/// What the alarm rules need to know about one exam of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExamAlarmFacts {
    pub exam_id: ExamId,
    /// The exam's own schedule at this point (its latest end is `schedule.end`).
    pub schedule: Schedule,
    pub failed_print_jobs: usize,
    pub key_received: bool,
    /// Pages still missing with no receipt held; read only once the exam has ended.
    pub missing_pages_without_receipt: u64,
}

/// The alarm bar: the box's alarm list (materials, upload deadline) first, then per exam of the
/// day failed print jobs, a materials window open without the key, pages missing after the end.
pub fn alarm_lines(materials_alarms: Vec<String>, exams: &[ExamAlarmFacts], now: DateTime<Utc>) -> Vec<String> {
    let mut out = materials_alarms;
    for e in exams {
        if e.failed_print_jobs > 0 {
            out.push(format!("{}: принтер — не напечатано заданий: {} (раздел «Печать»: повторить)", e.exam_id, e.failed_print_jobs));
        }
        if now >= e.schedule.window_open && !e.key_received {
            out.push(format!("{}: окно материалов открыто, а ключ ещё не получен", e.exam_id));
        }
        if now > e.schedule.end && e.missing_pages_without_receipt > 0 {
            out.push(format!("{}: не хватает отсканированных страниц: {}", e.exam_id, e.missing_pages_without_receipt));
        }
    }
    out
}

/// The alarms shown on every page of the box's UI, read from its stores.
pub fn alarms(conn: &Connection, ppe_code: &str, now: DateTime<Utc>) -> Result<Vec<String>, DayError> {
    let materials: Vec<String> =
        crate::materials::store::alarms(conn).map_err(box_state)?.into_iter().map(|(exam, _, message, _)| format!("{exam}: {message}")).collect();
    let plan = crate::plan::store::load_plan(conn).map_err(box_state)?;
    let mut facts = Vec::new();
    for (e, s) in exams_of_the_day(&plan, ppe_code, now) {
        let missing_pages_without_receipt = if now > s.end {
            let n = gather_box_numbers(conn, &e.exam_id, ppe_code)?;
            if n.upload.receipt_id.is_none() {
                n.pages.missing
            } else {
                0
            }
        } else {
            0
        };
        facts.push(ExamAlarmFacts {
            failed_print_jobs: crate::printing::store::print_jobs_for_exam(conn, &e.exam_id)
                .map_err(box_state)?
                .iter()
                .filter(|j| j.state.is_failed())
                .count(),
            key_received: crate::materials::store::key_get(conn, &e.exam_id).map_err(box_state)?.is_some(),
            exam_id: ExamId::from(e.exam_id),
            schedule: s,
            missing_pages_without_receipt,
        });
    }
    Ok(alarm_lines(materials, &facts, now))
}

/// What people did that the box numbers do not carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub kits_issued: bool,
    /// The ГЭК member activated the key of the current package.
    pub activated: bool,
    pub roster_done: bool,
}

impl Progress {
    pub fn load(conn: &Connection, exam_id: &str, ppe_code: &str) -> Result<Progress, DayError> {
        let activated = match crate::materials::store::key_get(conn, exam_id).map_err(box_state)? {
            Some(pkg) => crate::materials::store::activation_get(conn, exam_id, &pkg).map_err(box_state)?.is_some(),
            None => false,
        };
        Ok(Progress {
            kits_issued: !crate::attendance::store::issued_sheets(conn, exam_id, ppe_code).map_err(box_state)?.is_empty(),
            activated,
            roster_done: !crate::roster::store::roster_get(conn, exam_id, ppe_code).map_err(box_state)?.is_empty(),
        })
    }
}

/// The one next thing to do for an exam, from the box's numbers and the clock.
pub fn next_step(n: &BoxNumbers, p: &Progress, s: &Schedule, now: DateTime<Utc>, offset_min: i32) -> String {
    if n.upload.receipt_id.is_some() {
        return "Готово: квитанция РЦОИ получена, выгрузка проверена".into();
    }
    if now < s.window_open {
        if !n.seating_done {
            return "Рассадить участников (раздел «Рассадка»)".into();
        }
        if !p.roster_done {
            return "Распределить работников по аудиториям (раздел «Работники»)".into();
        }
        if !p.kits_issued {
            return "Выдать индивидуальные комплекты (раздел «Явка и события»)".into();
        }
        return format!("Всё готово; ждать окна материалов ({})", local_time_text(s.window_open, offset_min));
    }
    if !n.materials.key_received {
        if !n.materials.verified {
            return "Получить материалы от РЦОИ (раздел «Материалы»)".into();
        }
        // The key comes only against the ГЭК member's own credential.
        return "Член ГЭК: получить ключ от РЦОИ своим личным ключом и ПИН-кодом (раздел «Материалы»)".into();
    }
    if !p.activated {
        return "Член ГЭК: активировать ключ материалов (раздел «Материалы»)".into();
    }
    if now < s.start {
        return "Напечатать материалы по аудиториям и выдать организаторам (раздел «Печать»)".into();
    }
    if now < s.end || !n.attendance.closed {
        return "Отмечать явку и события в аудиториях (раздел «Явка и события»)".into();
    }
    // An exam of recordings or answer files alone (ИС-9 without printed forms) scans nothing.
    if n.pages.missing > 0 || (n.pages.scanned == 0 && n.files.kind.is_empty()) {
        return format!("Сканировать бланки: не хватает страниц {} (раздел «Сканирование»)", n.pages.missing);
    }
    if n.files.missing > 0 || n.files.to_resolve > 0 {
        let what = if n.files.kind == "answer_file" { "файлы ответов" } else { "записи" };
        return format!("Принять {what}: нет у участников {}, к разбору файлов {} (ppe edge recordings list)", n.files.missing, n.files.to_resolve);
    }
    "Выгрузка в РЦОИ идёт или скоро начнётся сама (раздел «Выгрузка»)".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn schedule() -> Schedule {
        Schedule {
            window_open: t("2027-05-27T02:00:00Z"),
            start: t("2027-05-27T03:00:00Z"),
            end: t("2027-05-27T07:00:00Z"),
            deadline: t("2027-05-27T08:00:00Z"),
        }
    }

    #[test]
    fn the_next_thing_to_do_follows_the_day() {
        let s = schedule();
        let mut n = BoxNumbers::default();
        let step = |n: &BoxNumbers, now: &str, kits: bool, act: bool, roster: bool| {
            next_step(n, &Progress { kits_issued: kits, activated: act, roster_done: roster }, &s, t(now), 420)
        };
        assert!(step(&n, "2027-05-26T10:00:00Z", false, false, false).contains("Рассадить"));
        n.seating_done = true;
        assert!(step(&n, "2027-05-26T10:00:00Z", false, false, false).contains("работников"));
        assert!(step(&n, "2027-05-26T10:00:00Z", false, false, true).contains("комплекты"));
        assert!(step(&n, "2027-05-26T10:00:00Z", true, false, true).contains("ждать окна"));
        assert!(step(&n, "2027-05-27T02:05:00Z", true, false, true).contains("Получить материалы"));
        n.materials.verified = true;
        assert!(step(&n, "2027-05-27T02:05:00Z", true, false, true).contains("личным ключом"));
        n.materials.key_received = true;
        assert!(step(&n, "2027-05-27T02:10:00Z", true, false, true).contains("ГЭК"));
        assert!(step(&n, "2027-05-27T02:20:00Z", true, true, true).contains("Напечатать"));
        assert!(step(&n, "2027-05-27T04:00:00Z", true, true, true).contains("явку"));
        n.attendance.closed = true;
        n.pages.missing = 3;
        assert!(step(&n, "2027-05-27T07:10:00Z", true, true, true).contains("не хватает страниц 3"));
        let mut oral = n.clone();
        oral.pages = Default::default();
        oral.files = crate::protocol::heartbeat::FilesReport { kind: "recording".into(), expected: 4, taken: 3, missing: 1, to_resolve: 1 };
        assert_eq!(step(&oral, "2027-05-27T07:10:00Z", true, true, true), "Принять записи: нет у участников 1, к разбору файлов 1 (ppe edge recordings list)");
        oral.files.missing = 0;
        oral.files.to_resolve = 0;
        assert!(step(&oral, "2027-05-27T07:10:00Z", true, true, true).contains("начнётся сама"), "no pages to scan: the recordings are all");
        n.upload.receipt_id = Some("r".into());
        assert!(step(&n, "2027-05-27T07:30:00Z", true, true, true).starts_with("Готово"));
    }

    #[test]
    fn alarms_name_the_exam_and_come_only_when_due() {
        let facts = ExamAlarmFacts {
            exam_id: "ege-02".into(),
            schedule: schedule(),
            failed_print_jobs: 0,
            key_received: false,
            missing_pages_without_receipt: 0,
        };
        assert!(alarm_lines(vec![], std::slice::from_ref(&facts), t("2027-05-27T01:59:00Z")).is_empty(), "before the window nothing is due");
        assert_eq!(
            alarm_lines(vec!["ege-02: срок".into()], std::slice::from_ref(&facts), t("2027-05-27T02:00:00Z")),
            ["ege-02: срок", "ege-02: окно материалов открыто, а ключ ещё не получен"]
        );
        let later = ExamAlarmFacts { failed_print_jobs: 2, key_received: true, missing_pages_without_receipt: 4, ..facts };
        assert_eq!(
            alarm_lines(vec![], std::slice::from_ref(&later), t("2027-05-27T06:00:00Z")),
            ["ege-02: принтер — не напечатано заданий: 2 (раздел «Печать»: повторить)"],
            "pages are missing only after the end"
        );
        assert_eq!(alarm_lines(vec![], &[later], t("2027-05-27T07:01:00Z")).last().unwrap(), "ege-02: не хватает отсканированных страниц: 4");
    }
}
