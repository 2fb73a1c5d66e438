//! Printing the exam materials (КИМ, instructions): which files, how many copies, to which
//! auditorium, and from when. The bytes come from `materials::open_decrypted` (memory) and go
//! straight into the IPP request (`kim/ops.rs`, `print_exam_materials`); no plaintext file is ever
//! written on the box. The plan of copies is pure.
//!
//! DOMAIN.md §2 and §6: one КИМ copy per participant, of the variant their seat was given,
//! never per variant × seat. The exam's policy (`Exam.kim_print`) says for whom and from when:
//! `InRoom` — in the auditorium, only for the participants marked present, from the start;
//! `Ahead` — the ТОМ model, for every seated participant an hour before the start. A copy is
//! printed once: a later run (a late arrival marked present) prints only the copies not yet
//! printed, and the instructions only for a room that had none.

pub mod ops;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::model::KimPrint;

/// When КИМ printing may start, relative to the exam's start (minutes before it); data with
/// DOMAIN.md's values as the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KimPrintTimes {
    /// `InRoom`: from the start itself (10:00, in front of the participants).
    pub in_room_before_start_min: i64,
    /// `Ahead` (ТОМ): an hour before the start.
    pub ahead_before_start_min: i64,
}

impl Default for KimPrintTimes {
    fn default() -> Self {
        Self { in_room_before_start_min: 0, ahead_before_start_min: 60 }
    }
}

/// The first instant КИМ of an exam with this policy may be printed.
pub fn print_from(policy: KimPrint, start: DateTime<Utc>, times: KimPrintTimes) -> DateTime<Utc> {
    let before = match policy {
        KimPrint::InRoom => times.in_room_before_start_min,
        KimPrint::Ahead => times.ahead_before_start_min,
    };
    start - Duration::minutes(before)
}

/// One seated participant as the plan of copies sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KimSeat {
    pub participant_id: String,
    pub auditorium: String,
    /// The seat label (`3Б`), for the job's title.
    pub seat: String,
    pub variant: u16,
    /// Marked present in the auditorium (attendance).
    pub present: bool,
    /// Their КИМ was printed already.
    pub printed: bool,
}

/// One print job of the materials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialsJob {
    pub file_name: String,
    pub auditorium: String,
    pub copies: u32,
    /// The КИМ variant of the file; `None` for instructions and other files.
    pub variant: Option<u16>,
    /// Whose КИМ this job carries (empty for other files).
    pub participants: Vec<String>,
    /// That participant's seat label (empty for other files).
    pub seat: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KimPlanError {
    #[error("участнику {participant} назначен вариант КИМ {variant}, а в пакете его нет")]
    MissingVariant { participant: String, variant: u16 },
}

/// The jobs for the participants that get a copy now: per auditorium in order, one job per
/// participant in seat order (their variant's file, one copy — so each copy is traceable to its
/// seat and a failed job costs one participant's copy, not a room's), then every other file
/// once — only in a room none of whose participants had a copy before. Rooms with nobody to
/// print for get nothing.
pub fn plan_copies(
    policy: KimPrint,
    kim_by_variant: &BTreeMap<u16, String>,
    other_files: &[String],
    seats: &[KimSeat],
) -> Result<Vec<MaterialsJob>, KimPlanError> {
    let mut rooms: BTreeMap<&str, Vec<&KimSeat>> = BTreeMap::new();
    for s in seats {
        rooms.entry(s.auditorium.as_str()).or_default().push(s);
    }
    let mut others: Vec<&String> = other_files.iter().collect();
    others.sort();
    let mut out = Vec::new();
    for (room, in_room) in rooms {
        let due: Vec<&&KimSeat> = in_room.iter().filter(|s| !s.printed && (policy == KimPrint::Ahead || s.present)).collect();
        if due.is_empty() {
            continue;
        }
        for s in due {
            let file = kim_by_variant
                .get(&s.variant)
                .ok_or_else(|| KimPlanError::MissingVariant { participant: s.participant_id.clone(), variant: s.variant })?;
            out.push(MaterialsJob {
                file_name: file.clone(),
                auditorium: room.to_string(),
                copies: 1,
                variant: Some(s.variant),
                participants: vec![s.participant_id.clone()],
                seat: s.seat.clone(),
            });
        }
        if !in_room.iter().any(|s| s.printed) {
            for name in &others {
                out.push(MaterialsJob {
                    file_name: (*name).clone(),
                    auditorium: room.to_string(),
                    copies: 1,
                    variant: None,
                    participants: Vec::new(),
                    seat: String::new(),
                });
            }
        }
    }
    Ok(out)
}

/// The MIME type CUPS is told for a package file, from its extension; anything unknown is
/// left to CUPS's own typing.
pub fn document_format(file_name: &str) -> &'static str {
    match file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("ps") => "application/postscript",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(p: &str, room: &str, variant: u16, present: bool, printed: bool) -> KimSeat {
        KimSeat { participant_id: p.into(), auditorium: room.into(), seat: format!("1{p}"), variant, present, printed }
    }

    fn kim() -> BTreeMap<u16, String> {
        [(1, "1-kim-variant-1.pdf".to_string()), (2, "1-kim-variant-2.pdf".to_string())].into()
    }

    fn view(jobs: &[MaterialsJob]) -> Vec<(&str, &str, u32)> {
        jobs.iter().map(|j| (j.auditorium.as_str(), j.file_name.as_str(), j.copies)).collect()
    }

    #[test]
    fn in_room_prints_one_copy_per_present_participant_of_their_variant() {
        let seats = vec![
            seat("a", "101", 1, true, false),
            seat("b", "101", 2, true, false),
            seat("c", "101", 1, false, false),
            seat("d", "101", 1, true, false),
            seat("e", "102", 2, false, false),
        ];
        let jobs = plan_copies(KimPrint::InRoom, &kim(), &["2-instruction.pdf".into()], &seats).unwrap();
        // 3 present of 4 in 101, one copy each of their own variant; nobody present in 102.
        assert_eq!(
            view(&jobs),
            vec![
                ("101", "1-kim-variant-1.pdf", 1),
                ("101", "1-kim-variant-2.pdf", 1),
                ("101", "1-kim-variant-1.pdf", 1),
                ("101", "2-instruction.pdf", 1)
            ]
        );
        let whose: Vec<(&str, Option<u16>)> = jobs.iter().map(|j| (j.participants.first().map(String::as_str).unwrap_or(""), j.variant)).collect();
        assert_eq!(whose, vec![("a", Some(1)), ("b", Some(2)), ("d", Some(1)), ("", None)]);
    }

    #[test]
    fn ahead_prints_for_every_seated_participant_absent_or_not() {
        let seats = vec![seat("a", "101", 1, false, false), seat("b", "101", 2, false, false), seat("c", "102", 1, true, false)];
        let jobs = plan_copies(KimPrint::Ahead, &kim(), &["2-instruction.pdf".into()], &seats).unwrap();
        assert_eq!(
            view(&jobs),
            vec![
                ("101", "1-kim-variant-1.pdf", 1),
                ("101", "1-kim-variant-2.pdf", 1),
                ("101", "2-instruction.pdf", 1),
                ("102", "1-kim-variant-1.pdf", 1),
                ("102", "2-instruction.pdf", 1)
            ]
        );
    }

    #[test]
    fn a_later_run_prints_only_the_copies_not_printed_and_no_second_instruction() {
        let seats = vec![seat("a", "101", 1, true, true), seat("late", "101", 2, true, false), seat("x", "101", 1, true, true)];
        let jobs = plan_copies(KimPrint::InRoom, &kim(), &["2-instruction.pdf".into()], &seats).unwrap();
        assert_eq!(view(&jobs), vec![("101", "1-kim-variant-2.pdf", 1)]);
        let all_printed: Vec<_> = seats.iter().map(|s| KimSeat { printed: true, ..s.clone() }).collect();
        assert!(plan_copies(KimPrint::InRoom, &kim(), &[], &all_printed).unwrap().is_empty());
    }

    #[test]
    fn a_variant_missing_from_the_package_is_refused_by_name() {
        let e = plan_copies(KimPrint::Ahead, &kim(), &[], &[seat("a", "101", 3, true, false)]).unwrap_err();
        assert_eq!(e, KimPlanError::MissingVariant { participant: "a".into(), variant: 3 });
        assert!(e.to_string().contains("вариант КИМ 3"));
    }

    #[test]
    fn printing_opens_at_the_start_in_the_room_and_an_hour_before_for_tom_points() {
        let start: DateTime<Utc> = "2027-05-27T03:00:00Z".parse().unwrap();
        assert_eq!(print_from(KimPrint::InRoom, start, KimPrintTimes::default()), start);
        assert_eq!(print_from(KimPrint::Ahead, start, KimPrintTimes::default()), start - Duration::minutes(60));
        let region = KimPrintTimes { in_room_before_start_min: 10, ..Default::default() };
        assert_eq!(print_from(KimPrint::InRoom, start, region), start - Duration::minutes(10));
    }

    #[test]
    fn kits_and_the_protocol_carry_each_participants_variant() {
        use crate::demo::print_fixtures::{demo_day, demo_numbers, demo_seating};
        use crate::printing::inputs::{sheet_needs, PrintContext};
        let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 12, ..Default::default() });
        let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").cloned().unwrap();
        let ppe = plan.registrations.iter().find(|r| r.exam_id == exam.exam_id).map(|r| r.ppe_code.clone()).unwrap();
        let seats = demo_seating(&plan, &exam.exam_id, &ppe);
        let numbers =
            demo_numbers(&sheet_needs(exam.technology(), &crate::model::kit::kit_of(&exam).unwrap(), &seats, crate::printing::PrintWhat::All, None));
        let day = demo_day(&plan, &exam, &seats, &numbers);
        let key = crate::sheet_code::sheet_key(b"k");
        let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe, seats: &seats, numbers: &numbers, key: &key, day: &day };
        let room = &seats[0].auditorium;
        let kits = context.kits(room).unwrap();
        let rows = context.protocol_rows(room);
        for (kit, row) in kits.iter().zip(&rows) {
            let variant = day.variants[&kit.participant.participant_id];
            assert_eq!(kit.variant, Some(variant));
            assert_eq!(row.variant, variant.to_string());
            // The code on each sheet of the kit carries it under the MAC.
            let code = crate::sheet_code::encode_with_variant(&kit.sheets[0], kit.variant, &key);
            assert_eq!(crate::sheet_code::decode_with_variant(&code, &key).unwrap().1, Some(variant));
        }
        assert!(rows.iter().any(|r| r.variant == "1") && rows.iter().any(|r| r.variant == "2"), "two variants in the room");
        // Before the variant plan is drawn, the field stays blank (written in by hand).
        let blank = crate::printing::inputs::DayRecord::default();
        let early = PrintContext { day: &blank, ..context };
        assert_eq!(early.kits(room).unwrap()[0].variant, None);
        assert_eq!(early.protocol_rows(room)[0].variant, "");
    }
}
