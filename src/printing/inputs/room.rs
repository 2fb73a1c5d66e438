//! The auditorium's forms filled from the day: ППЭ-05-01 (two copies), ППЭ-05-02 (planned
//! times, each participant's kit, variant and marks), ППЭ-12-02, ППЭ-11 (the envelope's counts)
//! and the acts about one participant (ППЭ-20 from the identity confirmations, ППЭ-21/22 from
//! the events), each with its sheet numbers: `form:<ФОРМА>:<auditorium>` per room,
//! `form:<ФОРМА>:<participant>` per act.

use super::*;
use crate::attendance::identity::IdentityConfirmation;

/// The holder of a form's sheet numbers.
pub fn form_holder(form: &str, of: &str) -> String {
    format!("form:{form}:{of}")
}

/// The auditorium forms' holders and their sheet budgets, for the rooms of the selection.
pub fn room_form_needs(seats: &[SeatAssignment], what: PrintWhat, auditorium: Option<&str>) -> Vec<(String, Vec<SheetKind>)> {
    let seating = matches!(what, PrintWhat::Seating | PrintWhat::All);
    let statements = matches!(what, PrintWhat::Statements | PrintWhat::All);
    let mut needs = Vec::new();
    for a in auditoriums_of(seats).into_iter().filter(|a| auditorium.is_none_or(|x| x == a)) {
        let n = seats.iter().filter(|s| s.auditorium == a).count();
        let mut need = |form: &str, budget: u32| needs.push((form_holder(form, &a), vec![SheetKind::Statement; budget as usize]));
        if seating {
            need("ППЭ-05-01", 2 * forms::auditorium_list_copy_budget(n));
        }
        if statements {
            need("ППЭ-05-02", forms::auditorium_protocol_budget(n));
            need("ППЭ-12-02", forms::corrections_budget(forms::CORRECTION_BLANK_ROWS));
            need("ППЭ-11", forms::ENVELOPE_BUDGET);
        }
    }
    needs
}

/// The acts' holders (one sheet each) for the day's removals, early finishes and identity
/// confirmations of the selection: they depend on the day, so the caller adds them to
/// `sheet_needs` once the day is loaded.
pub fn act_needs(
    day: &DayRecord,
    seats: &[SeatAssignment],
    what: PrintWhat,
    auditorium: Option<&str>,
    participant: Option<&str>,
) -> Vec<(String, Vec<SheetKind>)> {
    if !matches!(what, PrintWhat::Statements | PrintWhat::All) {
        return Vec::new();
    }
    let chosen =
        |p: &str| participant.is_none_or(|x| x == p) && auditorium.is_none_or(|a| seats.iter().any(|s| s.participant_id == p && s.auditorium == a));
    let events = day.events.iter().filter_map(|e| match e.kind {
        EventKind::Removed => Some(("ППЭ-21", e.participant_id.as_str())),
        EventKind::FinishedEarly => Some(("ППЭ-22", e.participant_id.as_str())),
        _ => None,
    });
    let identities = day.identities.iter().map(|c| ("ППЭ-20", c.participant_id.as_str()));
    events.chain(identities).filter(|(_, p)| chosen(p)).map(|(form, p)| (form_holder(form, p), vec![SheetKind::Statement])).collect()
}

/// A laid-out form with the sheet numbers its pages took.
pub type CodedForm = (PrintDocument, PrintedStatement);

impl PrintContext<'_> {
    /// The form's first sheet, when its numbers were reserved.
    fn form_sheet(&self, holder: &str) -> Option<SheetId> {
        self.numbers.get(holder).and_then(|n| n.first()).map(|n| self.sheet(SheetKind::Statement, *n))
    }

    /// The form's first sheet; the form is not printed without its code.
    fn required_sheet(&self, holder: &str) -> Result<SheetId, PrintingError> {
        Ok(self.sheet(SheetKind::Statement, self.numbers_of(holder)?[0]))
    }

    fn coded(&self, mut doc: PrintDocument, holder: &str, file_name: String) -> Result<CodedForm, PrintingError> {
        let form = doc.form.clone();
        // Completeness per exam kind decides which of these scanning requires.
        let printed = self.printed(holder, &form, doc.pages, false)?;
        doc.file_name = file_name;
        Ok((doc, printed))
    }

    /// The head of the exam point on the exam's date, by the plan (empty when none is assigned).
    fn head(&self) -> String {
        self.plan.workers_with_role_at(self.ppe_code, &self.exam.date, WorkerRole::Head).first().map(|w| w.full_name()).unwrap_or_default()
    }

    fn name_of(&self, worker_id: &str) -> String {
        if worker_id.is_empty() {
            String::new()
        } else {
            worker_name(self.plan, worker_id)
        }
    }

    /// The valid registration sheet's number of a participant (`0000042`), empty before kits.
    fn registration_of(&self, participant_id: &str) -> String {
        self.day
            .sheets_of(participant_id)
            .filter(|s| !s.voided && s.kind == SheetKind::Registration)
            .map(|s| format!("{:07}", s.number))
            .last()
            .unwrap_or_default()
    }

    pub fn auditorium_list(&self, auditorium: &str) -> AuditoriumListInput {
        let rows = self.seats_in(auditorium).map(|s| {
            let p = self.person(&s.participant_id);
            SeatingRow { seat: s.seat_label(), surname: p.surname, name: p.name, patronymic: p.patronymic, document: p.document }
        });
        AuditoriumListInput {
            exam: exam_header(self.plan, self.exam, self.ppe_code),
            auditorium: auditorium.to_string(),
            rows: rows.collect(),
            first_sheet: self.form_sheet(&form_holder("ППЭ-05-01", auditorium)),
        }
    }

    /// The exam's planned start and end in the room (with extra time when a participant there
    /// has it); the box records no actual start or end, so those are written in by hand.
    pub fn room_times(&self, auditorium: &str) -> RoomTimes {
        let local = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| local_time(self.exam, &t.to_rfc3339())).unwrap_or_default();
        let extra =
            self.seats_in(auditorium).any(|s| self.plan.participants.iter().any(|p| p.participant_id == s.participant_id && p.conditions.extra_time));
        RoomTimes {
            planned_start: self.exam.start.clone(),
            planned_end: local(self.exam.end_utc()),
            planned_end_extra: extra.then(|| local(self.exam.extended_end_utc())),
            actual_start: None,
            actual_end: None,
        }
    }

    pub fn auditorium_protocol(&self, auditorium: &str) -> Result<AuditoriumProtocolInput, PrintingError> {
        Ok(AuditoriumProtocolInput {
            exam: exam_header(self.plan, self.exam, self.ppe_code),
            auditorium: auditorium.to_string(),
            rows: self.protocol_rows(auditorium),
            kit_replacements: self.kit_replacements(auditorium),
            kit: self.kit()?.title_ru(),
            times: self.room_times(auditorium),
            first_sheet: self.form_sheet(&form_holder("ППЭ-05-02", auditorium)),
        })
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
                    registration: self.registration_of(&s.participant_id),
                }
            })
            .collect()
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
            let kit_numbers = |kit: u32| {
                self.day
                    .sheets_of(&e.participant_id)
                    .filter(|s| s.kit == kit && s.kind != SheetKind::Additional)
                    .map(|s| s.number)
                    .collect::<Vec<_>>()
            };
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

    pub fn corrections(&self, auditorium: &str) -> CorrectionsInput {
        CorrectionsInput {
            exam: exam_header(self.plan, self.exam, self.ppe_code),
            auditorium: auditorium.to_string(),
            rows: Vec::new(),
            blank_rows: forms::CORRECTION_BLANK_ROWS,
            first_sheet: self.form_sheet(&form_holder("ППЭ-12-02", auditorium)),
        }
    }

    /// ППЭ-11: who sat in the room and what its envelope holds, from the issued sheets.
    pub fn envelope_cover(&self, auditorium: &str) -> Result<EnvelopeCoverInput, PrintingError> {
        let kit = self.kit()?;
        let mut c =
            EnvelopeCounts { answers2: kit.allows_additional().then_some(0), additional: kit.allows_additional().then_some(0), ..Default::default() };
        for s in self.seats_in(auditorium) {
            let state = self.day.state_of(&s.participant_id);
            c.planned += 1;
            c.present += u32::from(state.status.sat());
            c.absent += u32::from(state.status == Status::Absent);
            c.removed += u32::from(state.status == Status::Removed);
            c.early += u32::from(state.status == Status::FinishedEarly);
            let sheets: Vec<&IssuedSheet> = self.day.sheets_of(&s.participant_id).collect();
            c.spoiled += sheets.iter().filter(|x| x.voided).count() as u32;
            if state.status == Status::Absent {
                c.unused_kits += u32::from(sheets.iter().any(|x| !x.voided));
                continue;
            }
            for sheet in sheets.iter().filter(|x| !x.voided) {
                match sheet.kind {
                    SheetKind::Registration => c.registration += 1,
                    SheetKind::Answers1 => c.answers1 += 1,
                    SheetKind::Answers2 => c.answers2 = c.answers2.map(|n| n + 1),
                    SheetKind::Additional => c.additional = c.additional.map(|n| n + 1),
                    SheetKind::Statement => {}
                }
            }
        }
        Ok(EnvelopeCoverInput {
            exam: exam_header(self.plan, self.exam, self.ppe_code),
            auditorium: auditorium.to_string(),
            kit: kit.title_ru(),
            counts: c,
            first_sheet: self.form_sheet(&form_holder("ППЭ-11", auditorium)),
        })
    }

    /// The auditorium's own forms of the selection, each with its code and sheet numbers:
    /// ППЭ-05-01 with the seating lists; ППЭ-05-02, ППЭ-12-02 and ППЭ-11 with the statements.
    pub fn room_forms(&self, auditorium: &str, what: PrintWhat) -> Result<Vec<CodedForm>, PrintingError> {
        let a = auditorium;
        let mut out = Vec::new();
        if matches!(what, PrintWhat::Seating | PrintWhat::All) {
            let holder = form_holder("ППЭ-05-01", a);
            let input = AuditoriumListInput { first_sheet: Some(self.required_sheet(&holder)?), ..self.auditorium_list(a) };
            out.push(self.coded(auditorium_list_pdf(&input, self.key)?, &holder, format!("ppe-05-01-{a}.pdf"))?);
        }
        if matches!(what, PrintWhat::Statements | PrintWhat::All) {
            let holder = form_holder("ППЭ-05-02", a);
            let input = AuditoriumProtocolInput { first_sheet: Some(self.required_sheet(&holder)?), ..self.auditorium_protocol(a)? };
            out.push(self.coded(auditorium_protocol_pdf(&input, self.key)?, &holder, format!("ppe-05-02-{a}.pdf"))?);
            let holder = form_holder("ППЭ-12-02", a);
            let input = CorrectionsInput { first_sheet: Some(self.required_sheet(&holder)?), ..self.corrections(a) };
            out.push(self.coded(corrections_pdf(&input, self.key)?, &holder, format!("ppe-12-02-{a}.pdf"))?);
            let holder = form_holder("ППЭ-11", a);
            let input = EnvelopeCoverInput { first_sheet: Some(self.required_sheet(&holder)?), ..self.envelope_cover(a)? };
            out.push(self.coded(envelope_cover_pdf(&input, self.key)?, &holder, format!("ppe-11-{a}.pdf"))?);
        }
        Ok(out)
    }

    fn event_act_input(&self, e: &ExamEvent, seat: &SeatAssignment, form: &str) -> EventActInput {
        EventActInput {
            exam: exam_header(self.plan, self.exam, self.ppe_code),
            auditorium: seat.auditorium.clone(),
            seat: seat.seat_label(),
            participant: self.person(&e.participant_id),
            at: local_time(self.exam, &e.at),
            reason: e.reason.clone(),
            kit_sheets: self.day.sheets_of(&e.participant_id).filter(|s| !s.voided).map(|s| format!("{:07}", s.number)).collect(),
            gek_member: self.name_of(&e.gek_worker_id),
            medical_worker: self.name_of(&e.medical_worker_id),
            head: self.head(),
            registration: self.registration_of(&e.participant_id),
            first_sheet: self.form_sheet(&form_holder(form, &e.participant_id)),
        }
    }

    fn identity_act_input(&self, c: &IdentityConfirmation) -> IdentityActInput {
        let seat = self.seats.iter().find(|s| s.participant_id == c.participant_id);
        let participant = self.plan.participants.iter().find(|p| p.participant_id == c.participant_id);
        let school = participant.filter(|p| !p.school_code.is_empty()).map(|p| format!("{} — {}", p.school_code, p.school_name)).unwrap_or_default();
        IdentityActInput {
            exam: exam_header(self.plan, self.exam, self.ppe_code),
            auditorium: seat.map(|s| s.auditorium.clone()).unwrap_or_default(),
            seat: seat.map(SeatAssignment::seat_label).unwrap_or_default(),
            participant: self.person(&c.participant_id),
            school,
            class: participant.map(|p| p.class.clone()).unwrap_or_default(),
            escort_name: c.escort_name.clone(),
            escort_document: c.escort_document.clone(),
            at: local_time(self.exam, &c.at),
            gek_member: self.name_of(&c.gek_worker_id),
            head: self.head(),
            first_sheet: self.form_sheet(&form_holder("ППЭ-20", &c.participant_id)),
        }
    }

    /// The acts about one participant (ППЭ-21 removal, ППЭ-22 early finish, ППЭ-20 identity)
    /// from the day: all of them, or one participant's, or one auditorium's, each with the
    /// sheet numbers it took when they were reserved. File names carry the participant id.
    pub fn participant_acts(
        &self,
        participant: Option<&str>,
        auditorium: Option<&str>,
    ) -> Result<Vec<(PrintDocument, Option<PrintedStatement>)>, PrintingError> {
        let chosen = |p: &str, room: Option<&str>| participant.is_none_or(|x| x == p) && auditorium.is_none_or(|a| room == Some(a));
        let mut docs = Vec::new();
        for e in &self.day.events {
            if !matches!(e.kind, EventKind::Removed | EventKind::FinishedEarly) {
                continue;
            }
            let Some(seat) = self.seats.iter().find(|s| s.participant_id == e.participant_id) else { continue };
            if !chosen(&e.participant_id, Some(&seat.auditorium)) {
                continue;
            }
            let (form, file) = if e.kind == EventKind::Removed { ("ППЭ-21", "ppe-21") } else { ("ППЭ-22", "ppe-22") };
            let input = self.event_act_input(e, seat, form);
            let doc = if e.kind == EventKind::Removed { removal_act_pdf(&input, self.key)? } else { early_finish_act_pdf(&input, self.key)? };
            docs.push(self.act(doc, form, &e.participant_id, format!("{file}-{}.pdf", e.participant_id))?);
        }
        for c in &self.day.identities {
            let room = self.seats.iter().find(|s| s.participant_id == c.participant_id).map(|s| s.auditorium.as_str());
            if !chosen(&c.participant_id, room) {
                continue;
            }
            let doc = identity_act_pdf(&self.identity_act_input(c), self.key)?;
            docs.push(self.act(doc, "ППЭ-20", &c.participant_id, format!("ppe-20-{}.pdf", c.participant_id))?);
        }
        Ok(docs)
    }

    fn act(
        &self,
        mut doc: PrintDocument,
        form: &str,
        participant: &str,
        file_name: String,
    ) -> Result<(PrintDocument, Option<PrintedStatement>), PrintingError> {
        let holder = form_holder(form, participant);
        if self.numbers.contains_key(&holder) {
            let (doc, printed) = self.coded(doc, &holder, file_name)?;
            return Ok((doc, Some(printed)));
        }
        doc.file_name = file_name;
        Ok((doc, None))
    }

    /// The acts' documents only (see [`Self::participant_acts`]).
    pub fn event_acts(&self, participant: Option<&str>, auditorium: Option<&str>) -> Result<Vec<PrintDocument>, PrintingError> {
        Ok(self.participant_acts(participant, auditorium)?.into_iter().map(|(doc, _)| doc).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::print_fixtures::{demo_day, demo_numbers, demo_seating};

    fn day_parts() -> (Plan, Exam, Vec<SeatAssignment>, DayRecord) {
        let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 14, ..Default::default() });
        let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").cloned().unwrap();
        let ppe_code = plan.registrations.iter().find(|r| r.exam_id == exam.exam_id).map(|r| r.ppe_code.clone()).unwrap();
        let seats = demo_seating(&plan, &exam.exam_id, &ppe_code);
        let numbers = demo_numbers(&sheet_needs(&kit_of(&exam).unwrap(), &seats, PrintWhat::All, None));
        let day = demo_day(&plan, &exam, &seats, &numbers);
        (plan, exam, seats, day)
    }

    #[test]
    fn each_room_holds_its_forms_numbers_by_what_is_printed() {
        let (_, _, seats, _) = day_parts();
        let room = seats[0].auditorium.clone();
        let holders = |what| room_form_needs(&seats, what, Some(&room)).into_iter().map(|(h, k)| (h, k.len())).collect::<Vec<_>>();
        let n = seats.iter().filter(|s| s.auditorium == room).count();
        assert_eq!(
            holders(PrintWhat::Seating),
            [(format!("form:ППЭ-05-01:{room}"), 2 * forms::auditorium_list_copy_budget(n) as usize)],
            "two copies"
        );
        let statements: Vec<String> = holders(PrintWhat::Statements).into_iter().map(|(h, _)| h).collect();
        assert_eq!(statements, ["ППЭ-05-02", "ППЭ-12-02", "ППЭ-11"].map(|f| form_holder(f, &room)));
        assert!(holders(PrintWhat::Sheets).is_empty(), "kits alone hold no form numbers");
    }

    #[test]
    fn acts_are_held_per_participant_for_the_days_removals_early_finishes_and_identities() {
        let (_, exam, seats, mut day) = day_parts();
        let forms_of = |day: &DayRecord, what, room: Option<&str>, who: Option<&str>| {
            act_needs(day, &seats, what, room, who).into_iter().map(|(h, _)| h).collect::<Vec<_>>()
        };
        // demo_day: seat 0 finished early, seat 1 was removed.
        let (early, removed) = (&seats[0].participant_id, &seats[1].participant_id);
        assert_eq!(forms_of(&day, PrintWhat::All, None, None), [form_holder("ППЭ-22", early), form_holder("ППЭ-21", removed)]);
        assert_eq!(forms_of(&day, PrintWhat::Statements, None, Some(removed)), [form_holder("ППЭ-21", removed)]);
        assert!(forms_of(&day, PrintWhat::Seating, None, None).is_empty(), "acts print with the statements");
        let elsewhere = format!("{}-9", seats[0].auditorium);
        assert!(forms_of(&day, PrintWhat::All, Some(&elsewhere), None).is_empty(), "another room's acts are not this room's");
        day.identities.push(IdentityConfirmation {
            exam_id: exam.exam_id.clone(),
            ppe_code: seats[5].ppe_code.clone(),
            participant_id: seats[5].participant_id.clone(),
            escort_name: "Петрова Мария Ивановна".into(),
            escort_document: "паспорт 4510 123456".into(),
            gek_worker_id: "w".into(),
            at: "2027-05-27T02:50:00Z".into(),
            actor: "organizer".into(),
        });
        assert_eq!(forms_of(&day, PrintWhat::All, None, Some(&seats[5].participant_id)), [form_holder("ППЭ-20", &seats[5].participant_id)]);
    }

    #[test]
    fn the_envelope_counts_sheets_by_kind_spoiled_and_unused_kits() {
        let (plan, exam, seats, day) = day_parts();
        let numbers = HashMap::new();
        let key = crate::sheet_code::sheet_key(b"k");
        let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &seats[0].ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
        let c = context.envelope_cover(&seats[0].auditorium).unwrap().counts;
        let sat = c.present;
        // Every sitter's kit (БР, БО № 1, two БО № 2 pages); seat 3's first kit spoiled; seat 5 absent.
        assert_eq!((c.registration, c.answers1, c.answers2, c.additional), (sat, sat, Some(2 * sat), Some(0)), "{c:?}");
        assert_eq!((c.absent, c.unused_kits, c.spoiled), (1, 1, 4), "{c:?}");
        let times = context.room_times(&seats[0].auditorium);
        assert_eq!((times.planned_start.as_str(), times.actual_start), ("10:00", None));
    }
}
