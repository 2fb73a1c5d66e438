//! Fills the forms' input structs from the plan, the seating and the day's record (attendance
//! events, issued sheets, worker replacements, the staff room desk's movements), purely: the
//! caller loads those from the box's stores into a [`DayRecord`]. Sheet numbers come in as a
//! map (the caller reserves and stores them), so a reprint carries the same codes.

use std::collections::HashMap;

use ring::hmac;

use super::forms::*;
use super::{PrintDocument, PrintWhat, PrintingError};
use crate::attendance::{EventKind, ExamEvent, IssuedSheet, ParticipantState, Status};
use crate::model::kit::{kit_of, Kit};
use crate::model::{Exam, Plan, SeatAssignment, Technology, WorkerRole};
use crate::roster::Replacement;
use crate::serial::{Direction, Movement};
use crate::sheet_code::{SheetId, SheetKind};

mod kege;
pub use kege::{kege_room_rows, KegeDay};

/// Rows of the absence log per auditorium, blank ones for hand-written entries included: two
/// full pages.
pub const ABSENCE_LOG_ROWS: usize = 2 * super::forms::machine::layout::ABSENCE_ROWS_PER_PAGE;

/// The holder key of a form's sheet numbers: `form:<ФОРМА>` for the exam point's copy,
/// `form:<ФОРМА>:<auditorium>` per auditorium, `form:<ФОРМА>:<participant_id>` for an act.
pub fn form_holder(form: &str, copy: Option<&str>) -> String {
    match copy {
        Some(c) => format!("form:{form}:{c}"),
        None => format!("form:{form}"),
    }
}

/// Sheet numbers reserved for a form of `rows` table rows: one per page, counted for the
/// worst layout (landscape, every row wrapped onto three lines: 6 rows a page) plus a page for
/// the signatures and one to spare. Numbers are cheap; a form that outgrows its reservation
/// fails to print ([`PrintContext::printed`]) rather than reuse another form's codes.
pub fn form_sheet_budget(rows: usize) -> usize {
    rows.div_ceil(6) + 2
}

/// Pages of a one-page form or act, with room to grow.
const SHORT_FORM_PAGES: usize = 3;

fn form_need(form: &str, copy: Option<&str>, pages: usize) -> (String, Vec<SheetKind>) {
    (form_holder(form, copy), vec![SheetKind::Statement; pages])
}

/// Holder keys (participant ids, or `form:<ФОРМА>[:<copy>]`) with the sheet kinds each needs,
/// for the given selection: a participant needs the exam's kit, each form its technology
/// prints (`TechnologyProfile::forms`) one number per page it may take. Acts depend on the
/// day's events: [`act_needs`]; the oral forms' rooms on the plan: [`oral_sheet_needs`].
pub fn sheet_needs(
    technology: Technology,
    kit: &Kit,
    seats: &[SeatAssignment],
    what: PrintWhat,
    auditorium: Option<&str>,
) -> Vec<(String, Vec<SheetKind>)> {
    let prints = |form: &str| technology.profile().prints(form);
    let mut needs = Vec::new();
    let chosen = |a: &str| auditorium.is_none_or(|x| x == a);
    let rooms = auditoriums_of(seats);
    let seated = |a: &str| seats.iter().filter(|s| s.auditorium == a).count();
    if matches!(what, PrintWhat::Sheets | PrintWhat::All) {
        for s in seats.iter().filter(|s| chosen(&s.auditorium)) {
            needs.push((s.participant_id.clone(), kit.sheets().to_vec()));
        }
    }
    let seating = matches!(what, PrintWhat::Seating | PrintWhat::All);
    let statements = matches!(what, PrintWhat::Statements | PrintWhat::All);
    for a in rooms.iter().filter(|a| chosen(a)) {
        let mut room_needs = Vec::new();
        if seating {
            // Two copies, each numbered on its own (the second from the first + one copy's budget).
            room_needs.push(("ППЭ-05-01", 2 * auditorium_list_copy_budget(seated(a)) as usize));
        }
        if statements {
            // A replaced kit adds three lines under the protocol's table.
            room_needs.push(("ППЭ-05-02", form_sheet_budget(seated(a) * 2)));
            room_needs.push(("ППЭ-12-02", form_sheet_budget(CORRECTION_BLANK_ROWS)));
            room_needs.push(("ППЭ-11", SHORT_FORM_PAGES));
            room_needs.push(("ППЭ-12-04-МАШ", form_sheet_budget(ABSENCE_LOG_ROWS.max(seated(a)))));
        }
        needs.extend(room_needs.into_iter().filter(|(form, _)| prints(form)).map(|(form, pages)| form_need(form, Some(a), pages)));
    }
    if statements && auditorium.is_none() {
        let point = [
            ("ППЭ-13-02-МАШ", form_sheet_budget(rooms.len() + 1)),
            // One act per observer accredited for the day.
            ("ППЭ-18-МАШ", super::forms::machine::OBSERVATION_ACT_PAGES),
            ("ППЭ-13-03-К", kege::kege_sheet_budget(rooms.len(), seats.len())),
            ("ППЭ-14-02-К", kege::kege_sheet_budget(rooms.len(), 0)),
        ];
        needs.extend(point.into_iter().filter(|(form, _)| prints(form)).map(|(form, pages)| form_need(form, None, pages)));
    }
    if auditorium.is_none() {
        needs.extend(point::point_form_needs(seats, what).into_iter().filter(|(holder, _)| prints(holder.trim_start_matches("form:"))));
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
    /// The roster's posts (ППЭ-07 by room, the names that sign the point's forms).
    pub roster: Vec<crate::roster::RosterEntry>,
    /// Appeals about the procedure and their reviews (ППЭ-02, 03, 10).
    pub appeals: Vec<crate::appeals::Appeal>,
    /// The exam's package as received and activated (ППЭ-14-01, 10).
    pub materials: Option<MaterialsReceived>,
    /// The queues and expert's protocols of an oral exam (empty for a written one).
    pub oral: OralDay,
    /// Participants without an identity document identified by their escort (ППЭ-20).
    pub identities: Vec<crate::attendance::identity::IdentityConfirmation>,
    /// A computer exam's workstation moves and answer files (empty for another exam).
    pub kege: KegeDay,
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
pub fn statement_records(
    plan: &Plan,
    exam: &Exam,
    ppe_code: &str,
    seats: &[SeatAssignment],
    numbers: &HashMap<String, Vec<u32>>,
    day: &DayRecord,
) -> Result<Vec<StatementRecord>, PrintingError> {
    // The key signs sheet codes drawn on pages; a record draws none.
    let key = crate::sheet_code::sheet_key(b"");
    PrintContext { plan, exam, ppe_code, seats, numbers, key: &key, day }.records(None)
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
            Some(p) => PersonOnForm {
                participant_id: p.participant_id.clone(),
                surname: p.surname.clone(),
                name: p.name.clone(),
                patronymic: p.patronymic.clone(),
                document: p.document(),
            },
            None => PersonOnForm {
                participant_id: participant_id.to_string(),
                surname: String::new(),
                name: String::new(),
                patronymic: String::new(),
                document: String::new(),
            },
        }
    }

    pub fn build(&self, what: PrintWhat, auditorium: Option<&str>) -> Result<PrintSet, PrintingError> {
        let header = exam_header(self.plan, self.exam, self.ppe_code);
        let auditoriums: Vec<String> = auditoriums_of(self.seats).into_iter().filter(|a| auditorium.is_none_or(|x| x == a)).collect();
        if auditoriums.is_empty() {
            return Err(PrintingError::NothingToPrint(format!(
                "нет рассадки на экзамен {} в ППЭ {}: сначала выполните рассадку",
                self.exam.exam_id, self.ppe_code
            )));
        }
        let kit = self.kit()?.title_ru();
        let mut set = PrintSet::default();
        let sheets = matches!(what, PrintWhat::Sheets | PrintWhat::All);
        let seating = matches!(what, PrintWhat::Seating | PrintWhat::All);
        let statements = matches!(what, PrintWhat::Statements | PrintWhat::All);
        for a in &auditoriums {
            if sheets {
                let mut doc = kits_pdf(&self.kits(a)?, self.key)?;
                doc.title = format!("Комплекты, аудитория {a}");
                doc.file_name = format!("kits-{a}.pdf");
                set.documents.push(doc);
            }
            self.room_forms(&mut set, a, what)?;
            if statements && self.prints("ППЭ-12-04-МАШ") {
                let holder = form_holder("ППЭ-12-04-МАШ", Some(a));
                let filled = self.absence_rows(a);
                let blank = AbsenceRow {
                    auditorium: a.clone(),
                    seat: String::new(),
                    name: String::new(),
                    left_at: String::new(),
                    returned_at: String::new(),
                    reason: String::new(),
                };
                let mut rows = filled;
                // Blank rows stay for absences written by hand after this print.
                rows.resize(rows.len().max(ABSENCE_LOG_ROWS), blank);
                let input = AbsenceLogInput { exam: header.clone(), auditorium: a.clone(), first_sheet: self.first_sheet(&holder)?, rows };
                self.add_form(&mut set, &holder, absence_log_pdf(&input, self.key)?, format!("ppe-12-04-mash-{a}.pdf"), None)?;
            }
        }
        if seating && auditorium.is_none() {
            for f in self.point_lists()? {
                let name = f.doc.file_name.clone();
                self.add_form(&mut set, &f.holder, f.doc, name, f.participant.as_deref())?;
            }
        }
        if statements {
            // The oral forms of the technology (ИС-02, ИС-03, 05-03-У, 05-04-У, 13-03-У), the chosen room's only.
            for (doc, printed) in self.oral_documents(auditorium)? {
                set.statements.push(printed);
                set.documents.push(doc);
            }
        }
        if statements && auditorium.is_none() {
            if self.prints("ППЭ-13-02-МАШ") {
                let holder = form_holder("ППЭ-13-02-МАШ", None);
                let input = SummaryStatementInput {
                    exam: header.clone(),
                    first_sheet: self.first_sheet(&holder)?,
                    rows: self.summary_rows(&auditoriums),
                    kit: kit.clone(),
                    head: self.head(),
                    gek_members: self.names_of(WorkerRole::GekMember),
                };
                self.add_form(&mut set, &holder, summary_statement_pdf(&input, self.key)?, "ppe-13-02-mash.pdf".into(), None)?;
            }
            if self.prints("ППЭ-18-МАШ") {
                let holder = form_holder("ППЭ-18-МАШ", None);
                let input = ObservationActInput { exam: header.clone(), observers: self.observers(), first_sheet: self.first_sheet(&holder)? };
                // Required back only when a public observer came (`required_forms`).
                self.add_form(&mut set, &holder, observation_act_pdf(&input, self.key)?, "ppe-18-mash.pdf".into(), None)?;
            }
            let mut point_forms = self.point_statements(&auditoriums)?;
            point_forms.extend(self.kege_documents(&auditoriums)?);
            for f in point_forms {
                let name = f.doc.file_name.clone();
                self.add_form(&mut set, &f.holder, f.doc, name, f.participant.as_deref())?;
            }
        }
        if statements {
            let acts = self.event_acts(None, auditorium)?;
            set.documents.extend(acts.documents);
            set.statements.extend(acts.statements);
        }
        Ok(set)
    }

    /// The exam's technology prints `form` (`TechnologyProfile::forms`, the one list).
    pub fn prints(&self, form: &str) -> bool {
        self.exam.technology().profile().prints(form)
    }

    /// The first sheet of a form's reserved numbers (its page `i` carries number `first + i`).
    fn first_sheet(&self, holder: &str) -> Result<SheetId, PrintingError> {
        let first =
            *self.numbers_of(holder)?.first().ok_or_else(|| PrintingError::NothingToPrint(format!("для «{holder}» не выделены номера бланков")))?;
        Ok(self.sheet(SheetKind::Statement, first))
    }

    /// Adds a laid-out form to the set with the record of the numbers its pages took.
    fn add_form(
        &self,
        set: &mut PrintSet,
        holder: &str,
        mut doc: PrintDocument,
        file_name: String,
        participant: Option<&str>,
    ) -> Result<(), PrintingError> {
        set.statements.push(self.printed(holder, &doc, participant)?);
        doc.file_name = file_name;
        set.documents.push(doc);
        Ok(())
    }

    /// The machine-read statements' records: what their filled forms say, as data (the
    /// absence log without the blank rows left for hand-written entries). One auditorium's
    /// absence log only, or every auditorium's with the exam point's summary and observer's act.
    pub fn records(&self, auditorium: Option<&str>) -> Result<Vec<StatementRecord>, PrintingError> {
        let header = exam_header(self.plan, self.exam, self.ppe_code);
        let auditoriums: Vec<String> = auditoriums_of(self.seats).into_iter().filter(|a| auditorium.is_none_or(|x| x == a)).collect();
        if auditoriums.is_empty() {
            return Err(PrintingError::NothingToPrint(format!(
                "нет рассадки на экзамен {} в ППЭ {}: сначала выполните рассадку",
                self.exam.exam_id, self.ppe_code
            )));
        }
        let mut records = Vec::new();
        for a in auditoriums.iter().filter(|_| self.prints("ППЭ-12-04-МАШ")) {
            let input = AbsenceLogInput {
                exam: header.clone(),
                auditorium: a.clone(),
                first_sheet: self.first_sheet(&form_holder("ППЭ-12-04-МАШ", Some(a)))?,
                rows: self.absence_rows(a),
            };
            records.push(StatementRecord::new(format!("ppe-12-04-mash-{a}.json"), absence_log_record(&input)));
        }
        if auditorium.is_none() && self.prints("ППЭ-13-02-МАШ") {
            let input = SummaryStatementInput {
                exam: header.clone(),
                first_sheet: self.first_sheet(&form_holder("ППЭ-13-02-МАШ", None))?,
                rows: self.summary_rows(&auditoriums),
                kit: self.kit()?.title_ru(),
                head: self.head(),
                gek_members: self.names_of(WorkerRole::GekMember),
            };
            records.push(StatementRecord::new("ppe-13-02-mash.json".into(), summary_statement_record(&input)));
        }
        if auditorium.is_none() && self.prints("ППЭ-18-МАШ") {
            let input =
                ObservationActInput {
                    exam: header, observers: self.observers(), first_sheet: self.first_sheet(&form_holder("ППЭ-18-МАШ", None))?
                };
            records.push(StatementRecord::new("ppe-18-mash.json".into(), observation_act_record(&input)));
        }
        Ok(records)
    }

    /// The sheet numbers a printed form's pages took, with its copy; more pages than numbers
    /// reserved would print codes of another document, so that fails instead. Whether its
    /// scans are required is the exam's table's (`attendance::expected::required_forms`).
    pub fn printed(&self, holder: &str, doc: &PrintDocument, participant: Option<&str>) -> Result<PrintedStatement, PrintingError> {
        let numbers = self.numbers_of(holder)?;
        let (form, pages) = (doc.form.as_str(), doc.pages as usize);
        if pages > numbers.len() {
            return Err(PrintingError::NothingToPrint(format!(
                "{form}: {pages} стр., а номеров бланков выделено {}; записи не помещаются в форму",
                numbers.len()
            )));
        }
        use crate::attendance::expected::FormCondition;
        let required = match crate::attendance::expected::required_forms(self.exam).iter().find(|r| r.form == form).map(|r| r.condition) {
            Some(FormCondition::Always | FormCondition::IfPrinted) => true,
            Some(FormCondition::IfObserver) => !super::observers::observers_on(self.plan, self.ppe_code, &self.exam.date).is_empty(),
            Some(FormCondition::Optional) | None => false,
        };
        Ok(PrintedStatement {
            holder: holder.to_string(),
            form: form.to_string(),
            auditorium: doc.auditorium.clone(),
            participant_id: participant.map(str::to_string),
            numbers: numbers[..pages].to_vec(),
            required,
        })
    }

    fn seats_in<'s>(&'s self, auditorium: &'s str) -> impl Iterator<Item = &'s SeatAssignment> + 's {
        self.seats.iter().filter(move |s| s.auditorium == auditorium)
    }

    /// Additional answer sheets (ДБО № 2) issued to these participants, or `None` where the
    /// exam's kit has no answer sheet № 2 (the forms print «—»).
    fn additional_of<'p>(&self, participants: impl Iterator<Item = &'p str>) -> Option<u32> {
        let applies = self.kit().map(|k| k.allows_additional()).unwrap_or(true);
        let count = participants.map(|p| self.day.sheets_of(p).filter(|x| x.kind == SheetKind::Additional).count() as u32).sum();
        applies.then_some(count)
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
                let mut row = SummaryRow {
                    auditorium: a.clone(),
                    planned: 0,
                    present: 0,
                    absent: 0,
                    removed: 0,
                    early: 0,
                    sheets_issued: 0,
                    sheets_spoiled: 0,
                    additional,
                };
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

    /// The public observers of the point on the day, each prefilled on an act of their own.
    fn observers(&self) -> Vec<ObserverOnForm> {
        super::observers::observers_on(self.plan, self.ppe_code, &self.exam.date)
            .into_iter()
            .map(|o| ObserverOnForm { name: o.full_name(), certificate: o.certificate_number.clone() })
            .collect()
    }
}

mod point;
pub use point::*;

mod room;
use room::worker_name;
pub use room::{act_needs, local_time};

mod oral;
#[cfg(test)]
mod tests;
pub use oral::{oral_sheet_needs, OralDay};
