//! Fills the forms' input structs from the plan, the seating and the day's record (attendance
//! events, issued sheets, worker replacements, the staff room desk's movements), purely: the
//! caller loads those from the box's stores into a [`DayRecord`]. Sheet numbers come in as a
//! map (the caller reserves and stores them), so a reprint carries the same codes.

use std::collections::HashMap;

use ring::hmac;

use super::forms::{self, *};
use super::{PrintDocument, PrintWhat, PrintingError};
use crate::attendance::{EventKind, ExamEvent, IssuedSheet, ParticipantState, Status};
use crate::model::kit::{kit_of, Kit};
use crate::model::{Exam, Plan, SeatAssignment, WorkerRole};
use crate::roster::Replacement;
use crate::serial::{Direction, Movement};
use crate::sheet_code::{SheetId, SheetKind};

mod kege;
pub use kege::kege_room_rows;

/// Blank rows of the absence log per auditorium.
pub const ABSENCE_LOG_ROWS: usize = 15;

/// Holder keys (participant ids, or `statement:<form>:<auditorium>`) with the sheet kinds
/// each needs, for the given selection: a participant needs the exam's kit.
pub fn sheet_needs(kit: &Kit, seats: &[SeatAssignment], what: PrintWhat, auditorium: Option<&str>) -> Vec<(String, Vec<SheetKind>)> {
    let mut needs = Vec::new();
    let chosen = |a: &str| auditorium.is_none_or(|x| x == a);
    if matches!(what, PrintWhat::Sheets | PrintWhat::All) {
        for s in seats.iter().filter(|s| chosen(&s.auditorium)) {
            needs.push((s.participant_id.clone(), kit.sheets().to_vec()));
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
    /// What happened on the day; empty before the exam (the forms then print blank columns).
    pub day: &'a DayRecord,
}

/// The exam day as the box's stores hold it, for filling statements and acts.
#[derive(Debug, Clone, Default)]
pub struct DayRecord {
    /// Attendance events of the exam, in the order recorded.
    pub events: Vec<ExamEvent>,
    /// Every sheet issued at this exam point, voided ones too.
    pub issued: Vec<IssuedSheet>,
    /// Worker replacements (ППЭ-19).
    pub replacements: Vec<Replacement>,
    /// Issues and returns scanned at the staff room desk (ППЭ-14-02).
    pub movements: Vec<Movement>,
    /// The КИМ variant of each seated participant (empty before the variant plan is drawn).
    pub variants: std::collections::BTreeMap<String, u16>,
}

impl DayRecord {
    fn events_of<'a>(&'a self, participant_id: &'a str) -> impl Iterator<Item = &'a ExamEvent> + 'a {
        self.events.iter().filter(move |e| e.participant_id == participant_id)
    }

    /// A participant's state after their events; events were checked when recorded, so a
    /// sequence that no longer applies (never expected) shows as unmarked rather than failing
    /// the whole statement.
    pub fn state_of(&self, participant_id: &str) -> ParticipantState {
        crate::attendance::state_of(self.events_of(participant_id)).unwrap_or_default()
    }

    fn sheets_of<'a>(&'a self, participant_id: &'a str) -> impl Iterator<Item = &'a IssuedSheet> + 'a {
        self.issued.iter().filter(move |s| s.participant_id.as_deref() == Some(participant_id))
    }
}

pub use crate::attendance::PrintedStatement;

/// One produced set: the PDFs and the sheet numbers the machine-read statements took.
#[derive(Default)]
pub struct PrintSet {
    pub documents: Vec<PrintDocument>,
    pub statements: Vec<PrintedStatement>,
}

/// A machine-read statement's structured record (ППЭ-12-04-МАШ per auditorium, ППЭ-13-02-МАШ,
/// ППЭ-18-МАШ) as the upload bundle carries it: a file name (`ppe-13-02-mash.json`) and the
/// data РЦОИ processes before the answer sheets.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementRecord {
    pub name: String,
    pub data: serde_json::Value,
}

impl StatementRecord {
    fn new(name: String, record: impl serde::Serialize) -> Self {
        // Through `Value`: the keys come out sorted, as the records always were.
        Self { name, data: serde_json::to_value(record).unwrap_or_default() }
    }
}

/// The structured records of an exam point's machine-read statements, purely from the day's
/// data: the plan, the seating, the statements' sheet numbers and what happened on the day.
/// No PDF is made; the records carry no sheet code MAC.
pub fn statement_records(plan: &Plan, exam: &Exam, ppe_code: &str, seats: &[SeatAssignment], numbers: &HashMap<String, Vec<u32>>, day: &DayRecord) -> Result<Vec<StatementRecord>, PrintingError> {
    // The key signs sheet codes drawn on pages; a record draws none.
    let key = crate::sheet_code::sheet_key(b"");
    PrintContext { plan, exam, ppe_code, seats, numbers, key: &key, day }.records(None)
}

/// `ЧЧ:ММ` at the exam point for an RFC 3339 instant (the forms are read by people there).
pub fn local_time(exam: &Exam, at: &str) -> String {
    let offset = chrono::FixedOffset::east_opt(exam.utc_offset_min * 60);
    match (chrono::DateTime::parse_from_rfc3339(at), offset) {
        (Ok(t), Some(offset)) => t.with_timezone(&offset).format("%H:%M").to_string(),
        _ => at.to_string(),
    }
}

fn worker_name(plan: &Plan, worker_id: &str) -> String {
    plan.workers.iter().find(|w| w.worker_id == worker_id).map(|w| w.full_name()).unwrap_or_else(|| worker_id.to_string())
}

impl PrintContext<'_> {
    fn sheet(&self, kind: SheetKind, number: u32) -> SheetId {
        SheetId { exam_id: self.exam.exam_id.clone(), ppe_code: self.ppe_code.to_string(), kind, number }
    }

    /// The exam's kit (its `kit` column or the default of its kind and subject).
    pub fn kit(&self) -> Result<Kit, PrintingError> {
        Ok(kit_of(self.exam)?)
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
        let kit = self.kit()?;
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
                    sheets: kit.sheets().iter().zip(numbers).map(|(k, n)| self.sheet(*k, *n)).collect(),
                    variant: self.day.variants.get(&s.participant_id).copied(),
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
        let kit = self.kit()?.title_ru();
        let mut set = PrintSet::default();
        let mut statements_printed = Vec::new();
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
                let protocol = AuditoriumProtocolInput { exam: header.clone(), auditorium: a.clone(), rows: self.protocol_rows(a), kit_replacements: self.kit_replacements(a), kit: kit.clone() };
                push(auditorium_protocol_pdf(&protocol)?, format!("ppe-05-02-{a}.pdf"));
                let holder = format!("statement:ППЭ-12-04-МАШ:{a}");
                let first = self.numbers_of(&holder)?[0];
                let filled = self.absence_rows(a);
                let blank = AbsenceRow { auditorium: a.clone(), seat: String::new(), name: String::new(), left_at: String::new(), returned_at: String::new(), reason: String::new() };
                let mut rows = filled;
                // Blank rows stay for absences written by hand after this print.
                rows.resize(rows.len().max(ABSENCE_LOG_ROWS), blank);
                let input = AbsenceLogInput { exam: header.clone(), auditorium: a.clone(), first_sheet: self.sheet(SheetKind::Statement, first), rows };
                let doc = absence_log_pdf(&input, self.key)?;
                statements_printed.push(self.printed(&holder, "ППЭ-12-04-МАШ", doc.pages, true)?);
                push(doc, format!("ppe-12-04-mash-{a}.pdf"));
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
            let holder = "statement:ППЭ-13-02-МАШ";
            let first = self.numbers_of(holder)?[0];
            let input = SummaryStatementInput { exam: header.clone(), first_sheet: self.sheet(SheetKind::Statement, first), rows: self.summary_rows(&auditoriums), kit: kit.clone() };
            let doc = summary_statement_pdf(&input, self.key)?;
            statements_printed.push(self.printed(holder, "ППЭ-13-02-МАШ", doc.pages, true)?);
            push(doc, "ppe-13-02-mash.pdf".into());
            push(materials_record_pdf(&MaterialsRecordInput { exam: header.clone(), rows: self.materials_rows(&auditoriums), kit: kit.clone() })?, "ppe-14-02.pdf".into());
            let holder = "statement:ППЭ-18-МАШ";
            let first = self.numbers_of(holder)?[0];
            let input = ObservationActInput { exam: header.clone(), observer: super::observers::observer_line(self.plan, self.ppe_code, &self.exam.date), sheet: self.sheet(SheetKind::Statement, first), items: observation_items() };
            let doc = observation_act_pdf(&input, self.key)?;
            // Filled in only when a public observer came: never required by scanning.
            statements_printed.push(self.printed(holder, "ППЭ-18-МАШ", doc.pages, false)?);
            push(doc, "ppe-18-mash.pdf".into());
            push(worker_replacement_pdf(&WorkerReplacementInput { exam: header.clone(), rows: self.replacement_rows() })?, "ppe-19.pdf".into());
        }
        if statements {
            for doc in self.event_acts(None, auditorium)? {
                set.documents.push(doc);
            }
        }
        set.statements = statements_printed;
        Ok(set)
    }

    /// The machine-read statements' records: what their filled forms say, as data (the
    /// absence log without the blank rows left for hand-written entries). One auditorium's
    /// absence log only, or every auditorium's with the exam point's summary and observer's act.
    pub fn records(&self, auditorium: Option<&str>) -> Result<Vec<StatementRecord>, PrintingError> {
        let header = exam_header(self.plan, self.exam, self.ppe_code);
        let auditoriums: Vec<String> = auditoriums_of(self.seats).into_iter().filter(|a| auditorium.is_none_or(|x| x == a)).collect();
        if auditoriums.is_empty() {
            return Err(PrintingError::NothingToPrint(format!("нет рассадки на экзамен {} в ППЭ {}: сначала выполните рассадку", self.exam.exam_id, self.ppe_code)));
        }
        let first_sheet = |holder: &str| -> Result<SheetId, PrintingError> { Ok(self.sheet(SheetKind::Statement, self.numbers_of(holder)?[0])) };
        let mut records = Vec::new();
        for a in &auditoriums {
            let input = AbsenceLogInput { exam: header.clone(), auditorium: a.clone(), first_sheet: first_sheet(&format!("statement:ППЭ-12-04-МАШ:{a}"))?, rows: self.absence_rows(a) };
            records.push(StatementRecord::new(format!("ppe-12-04-mash-{a}.json"), absence_log_record(&input)));
        }
        if auditorium.is_none() {
            let input = SummaryStatementInput { exam: header.clone(), first_sheet: first_sheet("statement:ППЭ-13-02-МАШ")?, rows: self.summary_rows(&auditoriums), kit: self.kit()?.title_ru() };
            records.push(StatementRecord::new("ppe-13-02-mash.json".into(), summary_statement_record(&input)));
            let input = ObservationActInput { exam: header, observer: super::observers::observer_line(self.plan, self.ppe_code, &self.exam.date), sheet: first_sheet("statement:ППЭ-18-МАШ")?, items: observation_items() };
            records.push(StatementRecord::new("ppe-18-mash.json".into(), observation_act_record(&input)));
        }
        Ok(records)
    }

    /// The sheet numbers a machine-read statement's pages took; more pages than numbers
    /// reserved would print codes of another document, so that fails instead.
    fn printed(&self, holder: &str, form: &str, pages: u32, required: bool) -> Result<PrintedStatement, PrintingError> {
        let numbers = self.numbers_of(holder)?;
        if pages as usize > numbers.len() {
            return Err(PrintingError::NothingToPrint(format!("{form}: {pages} стр., а номеров бланков выделено {}; записи не помещаются в форму", numbers.len())));
        }
        Ok(PrintedStatement { holder: holder.to_string(), form: form.to_string(), numbers: numbers[..pages as usize].to_vec(), required })
    }

    fn seats_in<'s>(&'s self, auditorium: &'s str) -> impl Iterator<Item = &'s SeatAssignment> + 's {
        self.seats.iter().filter(move |s| s.auditorium == auditorium)
    }

    /// ППЭ-05-02 rows: each seated participant's attendance and sheets.
    pub fn protocol_rows(&self, auditorium: &str) -> Vec<ProtocolRow> {
        self.seats_in(auditorium)
            .map(|s| {
                let p = self.person(&s.participant_id);
                let state = self.day.state_of(&s.participant_id);
                let status = match state.status {
                    Status::Unmarked => "",
                    Status::Absent => "не явился",
                    Status::Present | Status::Removed | Status::FinishedEarly => "явился",
                };
                ProtocolRow {
                    seat: s.seat_label(),
                    name: p.full_name(),
                    document: p.document,
                    status: status.into(),
                    late_at: state.late_at.as_deref().map(|t| local_time(self.exam, t)),
                    removed: state.status == Status::Removed,
                    early: state.status == Status::FinishedEarly,
                    sheets_issued: self.day.sheets_of(&s.participant_id).filter(|x| x.kind != SheetKind::Additional).count() as u32,
                    sheets_replaced: state.kits_replaced,
                    additional: self.additional_of(std::iter::once(s.participant_id.as_str())),
                    variant: self.day.variants.get(&s.participant_id).map(u16::to_string).unwrap_or_default(),
                }
            })
            .collect()
    }

    /// Additional answer sheets (ДБО № 2) issued to these participants, or `None` where the
    /// exam's kit has no answer sheet № 2 (the forms print «—»).
    fn additional_of<'p>(&self, participants: impl Iterator<Item = &'p str>) -> Option<u32> {
        let applies = self.kit().map(|k| k.allows_additional()).unwrap_or(true);
        let count = participants.map(|p| self.day.sheets_of(p).filter(|x| x.kind == SheetKind::Additional).count() as u32).sum();
        applies.then_some(count)
    }

    /// Kit replacements in an auditorium: the k-th replacement of a participant voided kit k
    /// and issued kit k + 1.
    pub fn kit_replacements(&self, auditorium: &str) -> Vec<KitReplacementNote> {
        let seated: HashMap<&str, &SeatAssignment> = self.seats_in(auditorium).map(|s| (s.participant_id.as_str(), s)).collect();
        let mut count: HashMap<&str, u32> = HashMap::new();
        let mut notes = Vec::new();
        for e in self.day.events.iter().filter(|e| e.kind == EventKind::KitReplaced) {
            let Some(seat) = seated.get(e.participant_id.as_str()) else { continue };
            let k = count.entry(e.participant_id.as_str()).or_insert(0);
            *k += 1;
            let kit_numbers = |kit: u32| self.day.sheets_of(&e.participant_id).filter(|s| s.kit == kit && s.kind != SheetKind::Additional).map(|s| s.number).collect::<Vec<_>>();
            notes.push(KitReplacementNote {
                at: local_time(self.exam, &e.at),
                seat: seat.seat_label(),
                name: self.person(&e.participant_id).full_name(),
                reason: e.reason.clone(),
                voided: kit_numbers(*k),
                issued: kit_numbers(*k + 1),
            });
        }
        notes
    }

    /// ППЭ-12-04-МАШ rows: every leave with its return, in the order they happened.
    pub fn absence_rows(&self, auditorium: &str) -> Vec<AbsenceRow> {
        let seated: HashMap<&str, &SeatAssignment> = self.seats_in(auditorium).map(|s| (s.participant_id.as_str(), s)).collect();
        let mut rows: Vec<AbsenceRow> = Vec::new();
        let mut open: HashMap<&str, usize> = HashMap::new();
        for e in &self.day.events {
            let Some(seat) = seated.get(e.participant_id.as_str()) else { continue };
            match e.kind {
                EventKind::Left => {
                    open.insert(e.participant_id.as_str(), rows.len());
                    rows.push(AbsenceRow {
                        auditorium: auditorium.to_string(),
                        seat: seat.seat_label(),
                        name: self.person(&e.participant_id).full_name(),
                        left_at: local_time(self.exam, &e.at),
                        returned_at: String::new(),
                        reason: e.reason.clone(),
                    });
                }
                EventKind::Returned => {
                    if let Some(i) = open.remove(e.participant_id.as_str()) {
                        rows[i].returned_at = local_time(self.exam, &e.at);
                    }
                }
                _ => {}
            }
        }
        rows
    }

    /// ППЭ-13-02-МАШ rows: per auditorium, planned against what happened.
    pub fn summary_rows(&self, auditoriums: &[String]) -> Vec<SummaryRow> {
        auditoriums
            .iter()
            .map(|a| {
                let additional = self.additional_of(self.seats_in(a).map(|s| s.participant_id.as_str()));
                let mut row = SummaryRow { auditorium: a.clone(), planned: 0, present: 0, absent: 0, removed: 0, early: 0, sheets_issued: 0, sheets_spoiled: 0, additional };
                for s in self.seats_in(a) {
                    row.planned += 1;
                    let state = self.day.state_of(&s.participant_id);
                    row.present += u32::from(state.status.sat());
                    row.absent += u32::from(state.status == Status::Absent);
                    row.removed += u32::from(state.status == Status::Removed);
                    row.early += u32::from(state.status == Status::FinishedEarly);
                    for sheet in self.day.sheets_of(&s.participant_id).filter(|x| x.kind != SheetKind::Additional) {
                        row.sheets_issued += 1;
                        row.sheets_spoiled += u32::from(sheet.voided);
                    }
                }
                row
            })
            .collect()
    }

    /// ППЭ-14-02 rows from the staff room desk's scans: a kit counts once however many of its
    /// sheets were scanned; a sheet not issued to anyone counts as its own kit.
    pub fn materials_rows(&self, auditoriums: &[String]) -> Vec<MaterialsRow> {
        let owner: HashMap<(SheetKind, u32), (&str, u32)> =
            self.day.issued.iter().filter_map(|s| s.participant_id.as_deref().map(|p| ((s.kind, s.number), (p, s.kit)))).collect();
        auditoriums
            .iter()
            .map(|a| {
                let mut row = MaterialsRow { auditorium: a.clone(), kits_issued: 0, sheets_issued: 0, issued_at: String::new(), kits_returned: 0, sheets_returned: 0, returned_at: String::new() };
                let mut kits: [std::collections::BTreeSet<String>; 2] = Default::default();
                for m in self.day.movements.iter().filter(|m| &m.auditorium == a && m.exam_id == self.exam.exam_id) {
                    let kit = match owner.get(&(m.sheet.kind, m.sheet.number)) {
                        Some((p, k)) => format!("{p}#{k}"),
                        None => format!("{}:{}", m.sheet.kind.code(), m.sheet.number),
                    };
                    let at = local_time(self.exam, &m.at);
                    match m.direction {
                        Direction::Issue => {
                            row.sheets_issued += 1;
                            kits[0].insert(kit);
                            if row.issued_at.is_empty() {
                                row.issued_at = at;
                            }
                        }
                        Direction::Return => {
                            row.sheets_returned += 1;
                            kits[1].insert(kit);
                            row.returned_at = at;
                        }
                    }
                }
                row.kits_issued = kits[0].len() as u32;
                row.kits_returned = kits[1].len() as u32;
                row
            })
            .collect()
    }

    /// ППЭ-19 rows from the roster's replacement record.
    pub fn replacement_rows(&self) -> Vec<ReplacementRow> {
        self.day
            .replacements
            .iter()
            .filter(|r| r.exam_id == self.exam.exam_id)
            .map(|r| ReplacementRow {
                time: local_time(self.exam, &r.at),
                replaced: worker_name(self.plan, &r.absent_worker_id),
                replacement: worker_name(self.plan, &r.replacement_worker_id),
                post: r.post.title_ru(),
                reason: r.reason.clone(),
            })
            .collect()
    }

    /// The acts of removal (ППЭ-21) and early finish (ППЭ-22) from the events: all of them,
    /// or one participant's, or one auditorium's. File names carry the participant id.
    pub fn event_acts(&self, participant: Option<&str>, auditorium: Option<&str>) -> Result<Vec<PrintDocument>, PrintingError> {
        let header = exam_header(self.plan, self.exam, self.ppe_code);
        let mut docs = Vec::new();
        for e in &self.day.events {
            if !matches!(e.kind, EventKind::Removed | EventKind::FinishedEarly) || participant.is_some_and(|p| p != e.participant_id) {
                continue;
            }
            let Some(seat) = self.seats.iter().find(|s| s.participant_id == e.participant_id) else { continue };
            if auditorium.is_some_and(|a| a != seat.auditorium) {
                continue;
            }
            let input = EventActInput {
                exam: header.clone(),
                auditorium: seat.auditorium.clone(),
                seat: seat.seat_label(),
                participant: self.person(&e.participant_id),
                at: local_time(self.exam, &e.at),
                reason: e.reason.clone(),
                kit_sheets: self.day.sheets_of(&e.participant_id).filter(|s| !s.voided).map(|s| format!("{:07}", s.number)).collect(),
                gek_member: if e.gek_worker_id.is_empty() { String::new() } else { worker_name(self.plan, &e.gek_worker_id) },
            };
            let (mut doc, form) = if e.kind == EventKind::Removed { (removal_act_pdf(&input)?, "ppe-21") } else { (early_finish_act_pdf(&input)?, "ppe-22") };
            doc.file_name = format!("{form}-{}.pdf", e.participant_id);
            docs.push(doc);
        }
        Ok(docs)
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
                        WorkerRole::Medical | WorkerRole::VideoTechnician => "штаб ППЭ",
                        WorkerRole::Examiner | WorkerRole::Expert | WorkerRole::LabSpecialist => "аудитория",
                    }
                };
                WorkerRow { name: worker.full_name(), role: role.title_ru().to_string(), post: post.to_string() }
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        rows.extend(super::observers::observer_rows(self.plan, self.ppe_code, &self.exam.date));
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

#[cfg(test)]
mod tests;
