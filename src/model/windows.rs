//! An exam's own windows as data (DOMAIN.md §1, issue 18 item 6): when the hub releases the КИМ
//! key, when it releases the key of the exam's documents package (ИС-9: instructions, expert
//! protocols, statements), and when the upload is due. Each is a plan column holding a moment
//! relative to the exam date in the exam point's local time — `ЧЧ:ММ` on the day, `+Д ЧЧ:ММ`
//! days after it, `-Д ЧЧ:ММ` days before it; empty takes the default of the exam's kind and
//! technology ([`default_windows`]), `нет` (`none`) switches the default off. Without a moment
//! the minute columns rule as before (`materials_open_before_min`,
//! `upload_deadline_after_end_min`), so a written exam's windows do not change. Pure.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{Exam, ExamKind, Technology};

/// A moment relative to an exam's date, in the exam point's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTime {
    /// Days after the exam date (negative: before it).
    pub days: i32,
    /// Minutes after local midnight, `0..1440`.
    pub minute: u16,
}

/// The most days a moment may lie from the exam date (a month either way).
pub const MAX_DAYS: i32 = 31;

impl DayTime {
    pub const fn new(days: i32, hour: u16, minute: u16) -> DayTime {
        DayTime { days, minute: hour * 60 + minute }
    }

    /// `ЧЧ:ММ`, `+Д ЧЧ:ММ` or `-Д ЧЧ:ММ`.
    pub fn parse(text: &str) -> Result<DayTime, String> {
        let t = text.trim();
        let bad = || format!("{t:?}: ожидается ЧЧ:ММ (в день экзамена), +Д ЧЧ:ММ (через Д дней) или -Д ЧЧ:ММ (за Д дней)");
        let (days, time) = match t.split_once(char::is_whitespace) {
            Some((d, time)) => {
                let sign = match d.chars().next() {
                    Some('+') => 1,
                    Some('-') => -1,
                    _ => return Err(bad()),
                };
                let n: i32 = d[1..].parse().map_err(|_| bad())?;
                (sign * n, time.trim())
            }
            None => (0, t),
        };
        if days.abs() > MAX_DAYS {
            return Err(format!("{t:?}: не дальше {MAX_DAYS} дней от даты экзамена"));
        }
        let (h, m) = time.split_once(':').ok_or_else(bad)?;
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 23 || m > 59 || time.len() != 5 {
            return Err(bad());
        }
        Ok(DayTime::new(days, h, m))
    }

    /// The text [`DayTime::parse`] reads back.
    pub fn text(&self) -> String {
        let time = format!("{:02}:{:02}", self.minute / 60, self.minute % 60);
        match self.days {
            0 => time,
            d if d > 0 => format!("+{d} {time}"),
            d => format!("{d} {time}"),
        }
    }

    /// The instant on `date` (`ГГГГ.ММ.ДД`) + `days` at the local time of `utc_offset_min`.
    pub fn instant(&self, date: &str, utc_offset_min: i32) -> Option<DateTime<Utc>> {
        let day = NaiveDate::parse_from_str(date, "%Y.%m.%d").ok()? + Duration::days(i64::from(self.days));
        let local = day.and_hms_opt(0, 0, 0)? + Duration::minutes(i64::from(self.minute));
        Some(local.and_utc() - Duration::minutes(i64::from(utc_offset_min)))
    }
}

/// What a window cell of the plan says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Empty: the default of the exam's kind and technology.
    Default,
    /// `нет`: no such moment even where the default has one.
    Off,
    At(DayTime),
}

/// Reads one window cell.
pub fn parse_setting(cell: &str) -> Result<Setting, String> {
    match cell.trim().to_lowercase().as_str() {
        "" => Ok(Setting::Default),
        "нет" | "none" | "-" => Ok(Setting::Off),
        _ => DayTime::parse(cell).map(Setting::At),
    }
}

/// The windows an exam has when its cells are empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowDefaults {
    /// The КИМ key from this moment (instead of `materials_open_before_min`).
    pub materials_open_at: Option<DayTime>,
    /// The documents package's key from this moment until the exam's end.
    pub documents_open_at: Option<DayTime>,
    /// The upload due at this moment (instead of `upload_deadline_after_end_min`).
    pub upload_due_at: Option<DayTime>,
}

/// ИС-9 by seed 002: instructions, expert protocols and statements from 07.02 at 10:00 for the
/// 14.02 interview (a week before), КИМ on the day from 07:30, the records transferred to РЦОИ
/// not later than 20.02 (six days after, by the end of that day).
pub const INTERVIEW_WINDOWS: WindowDefaults = WindowDefaults {
    materials_open_at: Some(DayTime::new(0, 7, 30)),
    documents_open_at: Some(DayTime::new(-7, 10, 0)),
    upload_due_at: Some(DayTime::new(6, 23, 59)),
};

/// The default windows by exam kind and technology: the interview (ИС-9) has its own calendar;
/// every other exam (ГВЭ устно included, which shares the technology but not the calendar)
/// has none, so its minute columns rule.
pub fn default_windows(kind: ExamKind, technology: Technology) -> WindowDefaults {
    match (kind, technology) {
        (ExamKind::Interview, Technology::OralInterview) => INTERVIEW_WINDOWS,
        _ => WindowDefaults::default(),
    }
}

/// A cell's moment, or the default's where the cell is empty (an unreadable cell, refused by
/// ФЛК, counts as empty).
fn resolve(cell: &str, default: Option<DayTime>) -> Option<DayTime> {
    match parse_setting(cell) {
        Ok(Setting::At(at)) => Some(at),
        Ok(Setting::Off) => None,
        Ok(Setting::Default) | Err(_) => default,
    }
}

/// The exam's moments after its cells and defaults.
pub fn windows_of(exam: &Exam) -> WindowDefaults {
    let d = default_windows(exam.kind, exam.technology());
    WindowDefaults {
        materials_open_at: resolve(&exam.materials_open_at, d.materials_open_at),
        documents_open_at: resolve(&exam.documents_open_at, d.documents_open_at),
        upload_due_at: resolve(&exam.upload_due_at, d.upload_due_at),
    }
}

/// The window cells of an exam row that ФЛК refuses, as (column, Russian reason): a cell that
/// does not read, a КИМ window opening after it closes, documents released after the КИМ, an
/// upload due before the exam ends.
pub fn window_problems(exam: &Exam) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (column, cell) in
        [("materials_open_at", &exam.materials_open_at), ("documents_open_at", &exam.documents_open_at), ("upload_due_at", &exam.upload_due_at)]
    {
        if let Err(e) = parse_setting(cell) {
            out.push((column, e));
        }
    }
    if !out.is_empty() {
        return out;
    }
    let (Some((open, close)), Some(end)) = (exam.materials_window(), exam.end_utc()) else { return out };
    if open >= close {
        out.push(("materials_open_at", "окно КИМ открывается не раньше, чем закрывается".to_string()));
    }
    if exam.documents_window().is_some_and(|(docs, _)| docs > open) {
        out.push(("documents_open_at", "документы выдаются позже КИМ".to_string()));
    }
    if exam.upload_deadline(end) <= end {
        out.push(("upload_due_at", "срок передачи раньше окончания экзамена".to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::sample_exam;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// ИС-9 of seed 002: 14.02 at 09:00 in Tomsk (UTC+7), all cells empty.
    fn interview() -> Exam {
        Exam {
            exam_id: "is-9".into(),
            kind: ExamKind::Interview,
            level: 9,
            subject_code: "01".into(),
            subject_name: "Итоговое собеседование".into(),
            date: "2024.02.14".into(),
            start: "09:00".into(),
            duration_min: 480,
            ..sample_exam()
        }
    }

    #[test]
    fn moments_read_and_write_back_and_refuse_what_is_not_a_moment() {
        for (text, days, minute) in [("07:30", 0, 450), ("+6 23:59", 6, 1439), ("-7 10:00", -7, 600), ("+0 00:00", 0, 0)] {
            let d = DayTime::parse(text).unwrap();
            assert_eq!((d.days, d.minute), (days, minute), "{text}");
            assert_eq!(DayTime::parse(&d.text()).unwrap(), d);
        }
        for bad in ["7:30", "24:00", "07:60", "6 10:00", "+x 10:00", "+40 10:00", "завтра", "07:30:00"] {
            assert!(DayTime::parse(bad).is_err(), "{bad} refused");
        }
        assert_eq!(parse_setting("").unwrap(), Setting::Default);
        assert_eq!(parse_setting("Нет").unwrap(), Setting::Off);
        assert!(parse_setting("когда-нибудь").unwrap_err().contains("ЧЧ:ММ"));
    }

    #[test]
    fn the_interview_of_seed_002_has_its_own_calendar() {
        let e = interview();
        let (open, close) = e.materials_window().unwrap();
        assert_eq!(open, t("2024-02-14T07:30:00+07:00"), "КИМ from 07:30 on the day");
        assert_eq!(close, t("2024-02-14T09:30:00+07:00"), "closes as today: start + materials_close_after_start_min");
        let (docs, docs_close) = e.documents_window().unwrap();
        assert_eq!(docs, t("2024-02-07T10:00:00+07:00"), "documents from 07.02 at 10:00");
        assert_eq!(docs_close, e.extended_end_utc().unwrap(), "until the exam's end");
        assert_eq!(e.upload_deadline(e.end_utc().unwrap()), t("2024-02-20T23:59:00+07:00"), "transfer not later than 20.02");
        assert!(window_problems(&e).is_empty());
    }

    #[test]
    fn a_written_exam_keeps_its_minute_windows_and_has_no_documents_package() {
        let e = sample_exam();
        let start = e.start_utc().unwrap();
        assert_eq!(e.materials_window().unwrap(), (start - Duration::minutes(60), start + Duration::minutes(30)));
        assert_eq!(e.documents_window(), None);
        let end = e.end_utc().unwrap();
        assert_eq!(e.upload_deadline(end), end + Duration::minutes(60));
        let oral_gve = Exam { kind: ExamKind::Gve, subject_name: "Русский язык (устно)".into(), ..sample_exam() };
        assert_eq!(oral_gve.technology(), Technology::OralInterview);
        assert_eq!(oral_gve.documents_window(), None, "ГВЭ устно shares the technology, not ИС-9's calendar");
    }

    #[test]
    fn cells_override_the_default_or_switch_it_off() {
        let e = Exam { materials_open_at: "08:00".into(), documents_open_at: "-3 09:00".into(), upload_due_at: "+2 18:00".into(), ..interview() };
        assert_eq!(e.materials_window().unwrap().0, t("2024-02-14T08:00:00+07:00"));
        assert_eq!(e.documents_window().unwrap().0, t("2024-02-11T09:00:00+07:00"));
        assert_eq!(e.upload_deadline(e.end_utc().unwrap()), t("2024-02-16T18:00:00+07:00"));
        let off = Exam { materials_open_at: "нет".into(), documents_open_at: "нет".into(), upload_due_at: "нет".into(), ..interview() };
        assert_eq!(off.materials_window().unwrap().0, off.start_utc().unwrap() - Duration::minutes(60), "the minute column rules again");
        assert_eq!(off.documents_window(), None);
        assert_eq!(off.upload_deadline(off.end_utc().unwrap()), off.end_utc().unwrap() + Duration::minutes(60));
        let written = Exam { upload_due_at: "+1 12:00".into(), ..sample_exam() };
        assert_eq!(written.upload_deadline(written.end_utc().unwrap()), t("2027-05-28T12:00:00+07:00"), "any exam may name a moment");
    }

    #[test]
    fn flk_refuses_unreadable_cells_and_impossible_orders() {
        let named = |e: &Exam| window_problems(e).into_iter().map(|(c, _)| c).collect::<Vec<_>>();
        assert_eq!(named(&Exam { materials_open_at: "утром".into(), ..interview() }), ["materials_open_at"]);
        assert_eq!(named(&Exam { materials_open_at: "10:00".into(), ..interview() }), ["materials_open_at"], "opens after it closes (09:30)");
        assert_eq!(named(&Exam { documents_open_at: "+1 10:00".into(), ..interview() }), ["documents_open_at"], "documents after the КИМ");
        assert_eq!(named(&Exam { upload_due_at: "12:00".into(), ..interview() }), ["upload_due_at"], "due before the end (17:00)");
        assert!(named(&sample_exam()).is_empty());
    }

    #[test]
    fn an_interview_upload_two_days_later_is_in_time_and_ten_days_later_is_late() {
        let e = interview();
        let deadline = e.upload_deadline(e.extended_end_utc().unwrap());
        let end = e.end_utc().unwrap();
        assert!(end + Duration::days(2) <= deadline);
        assert!(end + Duration::days(10) > deadline);
    }
}
