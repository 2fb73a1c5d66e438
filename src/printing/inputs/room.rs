//! The auditorium's forms filled from the day: ППЭ-05-01 (two copies), ППЭ-05-02 (planned
//! times, each participant's kit, variant and marks), ППЭ-12-02, ППЭ-11 (the envelope's counts)
//! and the acts about one participant (ППЭ-20 from the identity confirmations, ППЭ-21/22 from
//! the events), each with its sheet numbers (`form:<ФОРМА>:<auditorium>` per room,
//! `form:<ФОРМА>:<participant>` per act; `sheet_needs` and `act_needs` reserve them).

use super::*;
use crate::attendance::identity::IdentityConfirmation;

/// The acts of the day's events (ППЭ-21 removal, ППЭ-22 early finish) and identity
/// confirmations (ППЭ-20), one copy per participant: all, one auditorium's, or one participant's.
pub fn act_needs(day: &DayRecord, seats: &[SeatAssignment], auditorium: Option<&str>, participant: Option<&str>) -> Vec<(String, Vec<SheetKind>)> {
    let mut needs = Vec::new();
    for e in &day.events {
        let Some(form) = act_form(e.kind) else { continue };
        let Some(seat) = seats.iter().find(|s| s.participant_id == e.participant_id) else { continue };
        if auditorium.is_some_and(|a| a != seat.auditorium) || participant.is_some_and(|p| p != e.participant_id) {
            continue;
        }
        let need = form_need(form, Some(&e.participant_id), SHORT_FORM_PAGES);
        if !needs.contains(&need) {
            needs.push(need);
        }
    }
    for c in &day.identities {
        let room = seats.iter().find(|s| s.participant_id == c.participant_id).map(|s| s.auditorium.as_str());
        if auditorium.is_some_and(|a| room != Some(a)) || participant.is_some_and(|p| p != c.participant_id) {
            continue;
        }
        needs.push(form_need("ППЭ-20", Some(&c.participant_id), SHORT_FORM_PAGES));
    }
    needs
}

/// The act an event is recorded on, if any.
pub(super) fn act_form(kind: EventKind) -> Option<&'static str> {
    match kind {
        EventKind::Removed => Some("ППЭ-21"),
        EventKind::FinishedEarly => Some("ППЭ-22"),
        _ => None,
    }
}

/// `ЧЧ:ММ` at the exam point for an RFC 3339 instant (the forms are read by people there).
pub fn local_time(exam: &Exam, at: &str) -> String {
    let offset = chrono::FixedOffset::east_opt(exam.utc_offset_min * 60);
    match (chrono::DateTime::parse_from_rfc3339(at), offset) {
        (Ok(t), Some(offset)) => t.with_timezone(&offset).format("%H:%M").to_string(),
        _ => at.to_string(),
    }
}

pub(super) fn worker_name(plan: &Plan, worker_id: &str) -> String {
    plan.workers.iter().find(|w| w.worker_id == worker_id).map(|w| w.full_name()).unwrap_or_else(|| worker_id.to_string())
}

impl PrintContext<'_> {
    /// Each participant's kit of an auditorium: the sheets, the variant, and the БР's subject,
    /// school and class from the plan.
    pub fn kits(&self, auditorium: &str) -> Result<Vec<KitInput>, PrintingError> {
        let header = exam_header(self.plan, self.exam, self.ppe_code);
        let kit = self.kit()?;
        self.seats
            .iter()
            .filter(|s| s.auditorium == auditorium)
            .map(|s| {
                let numbers = self.numbers_of(&s.participant_id)?;
                let who = self.plan.participants.iter().find(|p| p.participant_id == s.participant_id);
                Ok(KitInput {
                    exam: header.clone(),
                    auditorium: s.auditorium.clone(),
                    seat_label: s.seat_label(),
                    participant: self.person(&s.participant_id),
                    sheets: kit.sheets().iter().zip(numbers).map(|(k, n)| self.sheet(*k, *n)).collect(),
                    variant: self.day.variants.get(&s.participant_id).copied(),
                    subject_code: self.exam.subject_code.clone(),
                    school_code: who.map(|p| p.school_code.clone()).unwrap_or_default(),
                    class: who.map(|p| p.class.clone()).unwrap_or_default(),
                })
            })
            .collect()
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

    pub fn auditorium_list(&self, auditorium: &str) -> Result<AuditoriumListInput, PrintingError> {
        let rows = self.seats_in(auditorium).map(|s| {
            let p = self.person(&s.participant_id);
            SeatingRow { seat: self.place_label(s), surname: p.surname, name: p.name, patronymic: p.patronymic, document: p.document }
        });
        Ok(AuditoriumListInput {
            exam: exam_header(self.plan, self.exam, self.ppe_code),
            auditorium: auditorium.to_string(),
            rows: rows.collect(),
            first_sheet: self.first_sheet(&form_holder("ППЭ-05-01", Some(auditorium)))?,
        })
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
            first_sheet: self.first_sheet(&form_holder("ППЭ-05-02", Some(auditorium)))?,
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

    pub fn corrections(&self, auditorium: &str) -> Result<CorrectionsInput, PrintingError> {
        Ok(CorrectionsInput {
            exam: exam_header(self.plan, self.exam, self.ppe_code),
            auditorium: auditorium.to_string(),
            rows: Vec::new(),
            blank_rows: CORRECTION_BLANK_ROWS,
            first_sheet: self.first_sheet(&form_holder("ППЭ-12-02", Some(auditorium)))?,
        })
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
            first_sheet: self.first_sheet(&form_holder("ППЭ-11", Some(auditorium)))?,
        })
    }

    /// The auditorium's own forms of the selection that the exam's technology prints, each
    /// with its code and sheet numbers: ППЭ-05-01 with the seating lists; ППЭ-05-02, ППЭ-12-02
    /// and ППЭ-11 with the statements.
    pub fn room_forms(&self, set: &mut PrintSet, a: &str, what: PrintWhat) -> Result<(), PrintingError> {
        if matches!(what, PrintWhat::Seating | PrintWhat::All) && self.prints("ППЭ-05-01") {
            let doc = auditorium_list_pdf(&self.auditorium_list(a)?, self.key)?;
            self.add_form(set, &form_holder("ППЭ-05-01", Some(a)), doc, format!("ppe-05-01-{a}.pdf"), None)?;
        }
        if matches!(what, PrintWhat::Statements | PrintWhat::All) {
            if self.prints("ППЭ-05-02") {
                let doc = auditorium_protocol_pdf(&self.auditorium_protocol(a)?, self.key)?;
                self.add_form(set, &form_holder("ППЭ-05-02", Some(a)), doc, format!("ppe-05-02-{a}.pdf"), None)?;
            }
            if self.prints("ППЭ-12-02") {
                let doc = corrections_pdf(&self.corrections(a)?, self.key)?;
                self.add_form(set, &form_holder("ППЭ-12-02", Some(a)), doc, format!("ppe-12-02-{a}.pdf"), None)?;
            }
            if self.prints("ППЭ-11") {
                let doc = envelope_cover_pdf(&self.envelope_cover(a)?, self.key)?;
                self.add_form(set, &form_holder("ППЭ-11", Some(a)), doc, format!("ppe-11-{a}.pdf"), None)?;
            }
        }
        Ok(())
    }

    fn event_act_input(&self, e: &ExamEvent, seat: &SeatAssignment, form: &str) -> Result<EventActInput, PrintingError> {
        Ok(EventActInput {
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
            first_sheet: self.first_sheet(&form_holder(form, Some(&e.participant_id)))?,
        })
    }

    fn identity_act_input(&self, c: &IdentityConfirmation) -> Result<IdentityActInput, PrintingError> {
        let seat = self.seats.iter().find(|s| s.participant_id == c.participant_id);
        let participant = self.plan.participants.iter().find(|p| p.participant_id == c.participant_id);
        let school = participant.filter(|p| !p.school_code.is_empty()).map(|p| format!("{} — {}", p.school_code, p.school_name)).unwrap_or_default();
        Ok(IdentityActInput {
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
            first_sheet: self.first_sheet(&form_holder("ППЭ-20", Some(&c.participant_id)))?,
        })
    }

    /// The acts about one participant (ППЭ-21 removal, ППЭ-22 early finish, ППЭ-20 identity)
    /// from the day: all of them, or one participant's, or one auditorium's, each with the
    /// sheet numbers its pages took ([`act_needs`] reserves them). File names carry the
    /// participant id.
    pub fn event_acts(&self, participant: Option<&str>, auditorium: Option<&str>) -> Result<PrintSet, PrintingError> {
        let chosen = |p: &str, room: Option<&str>| participant.is_none_or(|x| x == p) && auditorium.is_none_or(|a| room == Some(a));
        let mut set = PrintSet::default();
        for e in &self.day.events {
            let Some(form) = act_form(e.kind) else { continue };
            let Some(seat) = self.seats.iter().find(|s| s.participant_id == e.participant_id) else { continue };
            if !chosen(&e.participant_id, Some(&seat.auditorium)) {
                continue;
            }
            let input = self.event_act_input(e, seat, form)?;
            let doc = if e.kind == EventKind::Removed { removal_act_pdf(&input, self.key)? } else { early_finish_act_pdf(&input, self.key)? };
            let file = format!("{}-{}.pdf", form.to_lowercase().replace("ппэ", "ppe"), e.participant_id);
            self.add_form(&mut set, &form_holder(form, Some(&e.participant_id)), doc, file, Some(&e.participant_id))?;
        }
        for c in &self.day.identities {
            let room = self.seats.iter().find(|s| s.participant_id == c.participant_id).map(|s| s.auditorium.as_str());
            if !chosen(&c.participant_id, room) {
                continue;
            }
            let doc = identity_act_pdf(&self.identity_act_input(c)?, self.key)?;
            self.add_form(
                &mut set,
                &form_holder("ППЭ-20", Some(&c.participant_id)),
                doc,
                format!("ppe-20-{}.pdf", c.participant_id),
                Some(&c.participant_id),
            )?;
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::print_fixtures::{demo_day, demo_numbers, demo_seating};

    fn day_parts() -> (Plan, Exam, Vec<SeatAssignment>, DayRecord, HashMap<String, Vec<u32>>) {
        let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 14, ..Default::default() });
        let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").cloned().unwrap();
        let ppe_code = plan.registrations.iter().find(|r| r.exam_id == exam.exam_id).map(|r| r.ppe_code.clone()).unwrap();
        let seats = demo_seating(&plan, &exam.exam_id, &ppe_code);
        let numbers = demo_numbers(&sheet_needs(exam.technology(), &kit_of(&exam).unwrap(), &seats, PrintWhat::All, None));
        let day = demo_day(&plan, &exam, &seats, &numbers);
        (plan, exam, seats, day, numbers)
    }

    #[test]
    fn each_room_holds_its_forms_numbers_by_what_is_printed() {
        let (_, exam, seats, _, _) = day_parts();
        let room = seats[0].auditorium.clone();
        let kit = kit_of(&exam).unwrap();
        let holders = |what| {
            sheet_needs(exam.technology(), &kit, &seats, what, Some(&room))
                .into_iter()
                .filter(|(h, _)| h.starts_with("form:"))
                .map(|(h, k)| (h, k.len()))
                .collect::<Vec<_>>()
        };
        let n = seats.iter().filter(|s| s.auditorium == room).count();
        assert_eq!(holders(PrintWhat::Seating), [(format!("form:ППЭ-05-01:{room}"), 2 * auditorium_list_copy_budget(n) as usize)], "two copies");
        let statements: Vec<String> = holders(PrintWhat::Statements).into_iter().map(|(h, _)| h).collect();
        assert_eq!(statements, ["ППЭ-05-02", "ППЭ-12-02", "ППЭ-11", "ППЭ-12-04-МАШ"].map(|f| form_holder(f, Some(&room))));
        assert!(holders(PrintWhat::Sheets).is_empty(), "kits alone hold no form numbers");
    }

    #[test]
    fn acts_are_held_per_participant_for_the_days_removals_early_finishes_and_identities() {
        let (_, exam, seats, mut day, _) = day_parts();
        let forms_of = |day: &DayRecord, room: Option<&str>, who: Option<&str>| {
            act_needs(day, &seats, room, who).into_iter().map(|(h, _)| h).collect::<Vec<_>>()
        };
        // demo_day: seat 0 finished early, seat 1 was removed.
        let (early, removed) = (&seats[0].participant_id, &seats[1].participant_id);
        assert_eq!(forms_of(&day, None, None), [form_holder("ППЭ-22", Some(early)), form_holder("ППЭ-21", Some(removed))]);
        assert_eq!(forms_of(&day, None, Some(removed)), [form_holder("ППЭ-21", Some(removed))]);
        let elsewhere = format!("{}-9", seats[0].auditorium);
        assert!(forms_of(&day, Some(&elsewhere), None).is_empty(), "another room's acts are not this room's");
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
        assert_eq!(forms_of(&day, None, Some(&seats[5].participant_id)), [form_holder("ППЭ-20", Some(&seats[5].participant_id))]);
    }

    #[test]
    fn the_envelope_counts_sheets_by_kind_spoiled_and_unused_kits() {
        let (plan, exam, seats, day, numbers) = day_parts();
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
