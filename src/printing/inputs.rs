//! Fills the forms' input structs from the plan and the seating, purely. Sheet numbers come
//! in as a map (the caller reserves and stores them), so a reprint carries the same codes.
//! Attendance-driven fields (protocol statuses, absences, events) are left empty here; the
//! attendance adapters fill them once that room exists.

use std::collections::{BTreeMap, HashMap};

use ring::hmac;

use super::forms::{self, *};
use super::{PrintDocument, PrintWhat, PrintingError};
use crate::model::{Exam, Plan, SeatAssignment, WorkerRole};
use crate::sheet_code::{SheetId, SheetKind};

/// Blank rows of the absence log per auditorium.
pub const ABSENCE_LOG_ROWS: usize = 15;

/// Sheets every printed holder needs: a participant's kit or a machine-read statement.
pub fn kit_kinds() -> Vec<SheetKind> {
    crate::attendance::KIT.to_vec()
}

/// Holder keys (participant ids, or `statement:<form>:<auditorium>`) with the sheet kinds
/// each needs, for the given selection.
pub fn sheet_needs(seats: &[SeatAssignment], what: PrintWhat, auditorium: Option<&str>) -> Vec<(String, Vec<SheetKind>)> {
    let mut needs = Vec::new();
    let chosen = |a: &str| auditorium.is_none_or(|x| x == a);
    if matches!(what, PrintWhat::Sheets | PrintWhat::All) {
        for s in seats.iter().filter(|s| chosen(&s.auditorium)) {
            needs.push((s.participant_id.clone(), kit_kinds()));
        }
    }
    if matches!(what, PrintWhat::Statements | PrintWhat::All) {
        for a in auditoriums_of(seats).into_iter().filter(|a| chosen(a)) {
            needs.push((format!("statement:ППЭ-12-04-МАШ:{a}"), vec![SheetKind::Statement; forms::machine_table_sheet_budget(ABSENCE_LOG_ROWS) as usize]));
        }
        let budget = forms::machine_table_sheet_budget(auditoriums_of(seats).len() + 1) as usize;
        needs.push(("statement:ППЭ-13-02-МАШ".into(), vec![SheetKind::Statement; budget]));
        needs.push(("statement:ППЭ-18-МАШ".into(), vec![SheetKind::Statement]));
    }
    needs
}

fn auditoriums_of(seats: &[SeatAssignment]) -> Vec<String> {
    let mut list: Vec<String> = seats.iter().map(|s| s.auditorium.clone()).collect();
    list.sort();
    list.dedup();
    list
}

pub fn exam_header(plan: &Plan, exam: &Exam, ppe_code: &str) -> ExamHeader {
    let ppe_name = plan.exam_points.iter().find(|p| p.ppe_code == ppe_code).map(|p| p.name.clone()).unwrap_or_default();
    ExamHeader {
        exam_id: exam.exam_id.clone(),
        kind_title: exam.kind.title_ru().to_string(),
        subject_name: exam.subject_name.clone(),
        date: exam.date.clone(),
        ppe_code: ppe_code.to_string(),
        ppe_name,
    }
}

/// Everything needed to lay out an exam point's documents.
pub struct PrintContext<'a> {
    pub plan: &'a Plan,
    pub exam: &'a Exam,
    pub ppe_code: &'a str,
    /// This exam point's seats of this exam, in auditorium and seat order.
    pub seats: &'a [SeatAssignment],
    /// Holder key → sheet numbers in the order of `sheet_needs`.
    pub numbers: &'a HashMap<String, Vec<u32>>,
    pub key: &'a hmac::Key,
}

/// One produced set: the PDFs and the structured records of the machine-read forms.
#[derive(Default)]
pub struct PrintSet {
    pub documents: Vec<PrintDocument>,
    pub records: Vec<(String, serde_json::Value)>,
}

impl PrintContext<'_> {
    fn sheet(&self, kind: SheetKind, number: u32) -> SheetId {
        SheetId { exam_id: self.exam.exam_id.clone(), ppe_code: self.ppe_code.to_string(), kind, number }
    }

    fn numbers_of(&self, holder: &str) -> Result<&[u32], PrintingError> {
        self.numbers.get(holder).map(Vec::as_slice).ok_or_else(|| PrintingError::NothingToPrint(format!("для «{holder}» не выделены номера бланков")))
    }

    fn person(&self, participant_id: &str) -> PersonOnForm {
        match self.plan.participants.iter().find(|p| p.participant_id == participant_id) {
            Some(p) => PersonOnForm { participant_id: p.participant_id.clone(), surname: p.surname.clone(), name: p.name.clone(), patronymic: p.patronymic.clone(), document: p.document() },
            None => PersonOnForm { participant_id: participant_id.to_string(), surname: String::new(), name: String::new(), patronymic: String::new(), document: String::new() },
        }
    }

    pub fn kits(&self, auditorium: &str) -> Result<Vec<KitInput>, PrintingError> {
        let header = exam_header(self.plan, self.exam, self.ppe_code);
        let kinds = kit_kinds();
        self.seats
            .iter()
            .filter(|s| s.auditorium == auditorium)
            .map(|s| {
                let numbers = self.numbers_of(&s.participant_id)?;
                Ok(KitInput {
                    exam: header.clone(),
                    auditorium: s.auditorium.clone(),
                    seat_label: s.seat_label(),
                    participant: self.person(&s.participant_id),
                    sheets: kinds.iter().zip(numbers).map(|(k, n)| self.sheet(*k, *n)).collect(),
                })
            })
            .collect()
    }

    pub fn build(&self, what: PrintWhat, auditorium: Option<&str>) -> Result<PrintSet, PrintingError> {
        let header = exam_header(self.plan, self.exam, self.ppe_code);
        let auditoriums: Vec<String> = auditoriums_of(self.seats).into_iter().filter(|a| auditorium.is_none_or(|x| x == a)).collect();
        if auditoriums.is_empty() {
            return Err(PrintingError::NothingToPrint(format!("нет рассадки на экзамен {} в ППЭ {}: сначала выполните рассадку", self.exam.exam_id, self.ppe_code)));
        }
        let mut set = PrintSet::default();
        let mut push = |mut doc: PrintDocument, name: String| {
            doc.file_name = name;
            set.documents.push(doc);
        };
        let sheets = matches!(what, PrintWhat::Sheets | PrintWhat::All);
        let seating = matches!(what, PrintWhat::Seating | PrintWhat::All);
        let statements = matches!(what, PrintWhat::Statements | PrintWhat::All);
        for a in &auditoriums {
            if sheets {
                let mut doc = kits_pdf(&self.kits(a)?, self.key)?;
                doc.title = format!("Комплекты, аудитория {a}");
                push(doc, format!("kits-{a}.pdf"));
            }
            if seating {
                let rows = self.seats.iter().filter(|s| &s.auditorium == a).map(|s| {
                    let p = self.person(&s.participant_id);
                    SeatingRow { seat: s.seat_label(), name: p.full_name(), document: p.document }
                });
                push(auditorium_list_pdf(&AuditoriumListInput { exam: header.clone(), auditorium: a.clone(), rows: rows.collect() })?, format!("ppe-05-01-{a}.pdf"));
            }
            if statements {
                let rows = self.seats.iter().filter(|s| &s.auditorium == a).map(|s| {
                    let p = self.person(&s.participant_id);
                    ProtocolRow { seat: s.seat_label(), name: p.full_name(), document: p.document, status: String::new(), late_at: None, removed: false, early: false, sheets_issued: kit_kinds().len() as u32, sheets_replaced: 0 }
                });
                push(auditorium_protocol_pdf(&AuditoriumProtocolInput { exam: header.clone(), auditorium: a.clone(), rows: rows.collect() })?, format!("ppe-05-02-{a}.pdf"));
                let first = self.numbers_of(&format!("statement:ППЭ-12-04-МАШ:{a}"))?[0];
                let blank = AbsenceRow { auditorium: a.clone(), seat: String::new(), name: String::new(), left_at: String::new(), returned_at: String::new(), reason: String::new() };
                let input = AbsenceLogInput { exam: header.clone(), auditorium: a.clone(), first_sheet: self.sheet(SheetKind::Statement, first), rows: vec![blank; ABSENCE_LOG_ROWS] };
                push(absence_log_pdf(&input, self.key)?, format!("ppe-12-04-mash-{a}.pdf"));
                set.records.push((format!("ppe-12-04-mash-{a}.json"), serde_json::to_value(absence_log_record(&input)).unwrap_or_default()));
            }
        }
        if seating && auditorium.is_none() {
            let rows = self.seats.iter().map(|s| {
                let p = self.person(&s.participant_id);
                EntranceRow { name: p.full_name(), document: p.document, auditorium: s.auditorium.clone(), seat: s.seat_label() }
            });
            push(entrance_list_pdf(&EntranceListInput { exam: header.clone(), rows: rows.collect() })?, "ppe-06-02.pdf".into());
            push(workers_list_pdf(&WorkersListInput { exam: header.clone(), rows: self.workers() })?, "ppe-07.pdf".into());
        }
        if statements && auditorium.is_none() {
            let mut per: BTreeMap<String, u32> = BTreeMap::new();
            for s in self.seats {
                *per.entry(s.auditorium.clone()).or_default() += 1;
            }
            let rows = per.iter().map(|(a, n)| SummaryRow { auditorium: a.clone(), planned: *n, present: 0, absent: 0, removed: 0, early: 0, sheets_issued: n * kit_kinds().len() as u32, sheets_spoiled: 0 }).collect();
            let first = self.numbers_of("statement:ППЭ-13-02-МАШ")?[0];
            let input = SummaryStatementInput { exam: header.clone(), first_sheet: self.sheet(SheetKind::Statement, first), rows };
            push(summary_statement_pdf(&input, self.key)?, "ppe-13-02-mash.pdf".into());
            set.records.push(("ppe-13-02-mash.json".into(), serde_json::to_value(summary_statement_record(&input)).unwrap_or_default()));
            let rows = per.iter().map(|(a, n)| MaterialsRow { auditorium: a.clone(), packages_issued: 1, kits_issued: *n, issued_at: String::new(), kits_returned: 0, returned_at: String::new() }).collect();
            push(materials_record_pdf(&MaterialsRecordInput { exam: header.clone(), rows })?, "ppe-14-02.pdf".into());
            let first = self.numbers_of("statement:ППЭ-18-МАШ")?[0];
            let input = ObservationActInput { exam: header.clone(), observer: String::new(), sheet: self.sheet(SheetKind::Statement, first), items: observation_items() };
            push(observation_act_pdf(&input, self.key)?, "ppe-18-mash.pdf".into());
            set.records.push(("ppe-18-mash.json".into(), serde_json::to_value(observation_act_record(&input)).unwrap_or_default()));
            push(worker_replacement_pdf(&WorkerReplacementInput { exam: header.clone(), rows: Vec::new() })?, "ppe-19.pdf".into());
        }
        Ok(set)
    }

    fn workers(&self) -> Vec<WorkerRow> {
        let mut rows: Vec<WorkerRow> = self
            .plan
            .worker_assignments
            .iter()
            .filter(|w| w.ppe_code == self.ppe_code && w.date == self.exam.date)
            .filter_map(|w| self.plan.workers.iter().find(|x| x.worker_id == w.worker_id).map(|x| (w, x)))
            .map(|(assignment, worker)| {
                let role = worker.roles.first().copied().unwrap_or(WorkerRole::OrganizerInRoom);
                let post = if assignment.reserve {
                    "резерв"
                } else {
                    match role {
                        WorkerRole::Head | WorkerRole::GekMember | WorkerRole::TechSpecialist => "штаб ППЭ",
                        WorkerRole::OrganizerInRoom | WorkerRole::Assistant => "аудитория",
                        WorkerRole::OrganizerOutside => "вне аудитории",
                    }
                };
                WorkerRow { name: worker.full_name(), role: role.title_ru().to_string(), post: post.to_string() }
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        rows
    }
}

pub fn observation_items() -> Vec<String> {
    [
        "Участники прошли в ППЭ по документам, удостоверяющим личность",
        "Личные вещи оставлены в местах хранения",
        "Материалы вскрыты в аудитории в присутствии участников",
        "Нарушений порядка в аудиториях не выявлено",
        "Материалы упакованы и переданы в штаб ППЭ",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// A simple seating for demos, benchmarks and tests (row by row, auditorium by auditorium);
/// the real algorithm is `seating`'s.
pub fn demo_seating(plan: &Plan, exam_id: &str, ppe_code: &str) -> Vec<SeatAssignment> {
    let mut participants: Vec<&str> = plan.registrations.iter().filter(|r| r.exam_id == exam_id && r.ppe_code == ppe_code).map(|r| r.participant_id.as_str()).collect();
    participants.sort();
    let mut seats = Vec::new();
    let mut next = participants.into_iter();
    'outer: for a in plan.auditoriums.iter().filter(|a| a.ppe_code == ppe_code && !a.reserve) {
        for row in 1..=a.rows {
            for column in 1..=a.columns {
                let Some(pid) = next.next() else { break 'outer };
                seats.push(SeatAssignment { exam_id: exam_id.into(), participant_id: pid.into(), ppe_code: ppe_code.into(), auditorium: a.auditorium.clone(), row, column, manual: false });
            }
        }
    }
    seats
}

/// Sheet numbers for a demo or benchmark, given out in order without a database.
pub fn demo_numbers(needs: &[(String, Vec<SheetKind>)]) -> HashMap<String, Vec<u32>> {
    let mut next = 1u32;
    needs
        .iter()
        .map(|(holder, kinds)| {
            let numbers = (next..next + kinds.len() as u32).collect();
            next += kinds.len() as u32;
            (holder.clone(), numbers)
        })
        .collect()
}

/// A demo exam point's complete set (every form, acts with sample events) from a generated
/// region: for `docs/forms/`, benchmarks and tests.
pub fn demo_set(participants: usize, key: &hmac::Key) -> Result<(PrintSet, Vec<SeatAssignment>, String), PrintingError> {
    let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants, ..Default::default() });
    let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").or(plan.exams.first()).cloned().ok_or_else(|| PrintingError::NothingToPrint("демо-план без экзаменов".into()))?;
    let ppe_code = plan.registrations.iter().find(|r| r.exam_id == exam.exam_id).map(|r| r.ppe_code.clone()).unwrap_or_default();
    let seats = demo_seating(&plan, &exam.exam_id, &ppe_code);
    let needs = sheet_needs(&seats, PrintWhat::All, None);
    let numbers = demo_numbers(&needs);
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe_code, seats: &seats, numbers: &numbers, key };
    let mut set = context.build(PrintWhat::All, None)?;
    let header = exam_header(&plan, &exam, &ppe_code);
    if let Some(seat) = seats.first() {
        let person = context.person(&seat.participant_id);
        let kit: Vec<String> = numbers.get(&seat.participant_id).map(|n| n.iter().map(|x| format!("{x:07}")).collect()).unwrap_or_default();
        let event = EventActInput {
            exam: header.clone(),
            auditorium: seat.auditorium.clone(),
            seat: seat.seat_label(),
            participant: person,
            at: "11:42".into(),
            reason: "Использование мобильного телефона во время экзамена (зафиксировано организатором в аудитории).".into(),
            kit_sheets: kit,
        };
        let mut doc = removal_act_pdf(&event)?;
        doc.file_name = "ppe-21.pdf".into();
        set.documents.push(doc);
        let mut early = event.clone();
        early.at = "12:15".into();
        early.reason = "Ухудшение самочувствия; осмотр медицинского работника, участник не может продолжить экзамен.".into();
        let mut doc = early_finish_act_pdf(&early)?;
        doc.file_name = "ppe-22.pdf".into();
        set.documents.push(doc);
    }
    let names: Vec<String> = plan.workers.iter().take(2).map(|w| w.full_name()).collect();
    if names.len() == 2 {
        let input = WorkerReplacementInput {
            exam: header,
            rows: vec![ReplacementRow { time: "08:55".into(), replaced: names[0].clone(), replacement: names[1].clone(), post: "аудитория".into(), reason: "болезнь".into() }],
        };
        if let Some(slot) = set.documents.iter_mut().find(|d| d.file_name == "ppe-19.pdf") {
            let file_name = slot.file_name.clone();
            *slot = worker_replacement_pdf(&input)?;
            slot.file_name = file_name;
        }
    }
    Ok((set, seats, ppe_code))
}
