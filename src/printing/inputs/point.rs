//! The exam point's forms filled from the day: the lists (ППЭ-06-01, 06-02, 07 from the
//! seating and the roster), the statements and acts (ППЭ-08, 10, 14-01, 14-02, 19) and the
//! appeals (ППЭ-02, 03 from `appeals`' records); their sheet-number holders (`form:<ФОРМА>`,
//! `form:<ФОРМА>:<participant>`) with page budgets. Pure, over the [`PrintContext`].

use super::*;
use crate::appeals::Appeal;
use crate::roster::Post;

/// The exam's package as the box received and activated it (ППЭ-14-01, ППЭ-10).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaterialsReceived {
    pub package_id: String,
    pub files: usize,
    pub kim_variants: usize,
    /// The ГЭК member who activated the key (worker id) and when (RFC 3339); empty before.
    pub activated_by: String,
    pub activated_at: String,
}

/// A laid-out point form, its file name set, with the holder whose sheet numbers its pages
/// carry and, for a participant's form, whose it is: what the printed-forms record needs.
#[derive(Debug, Clone)]
pub struct FormDocument {
    pub holder: String,
    pub participant: Option<String>,
    pub doc: PrintDocument,
}

/// Appeals one participant may file on one exam that their forms have sheet numbers for.
pub const APPEALS_PER_PARTICIPANT: usize = 3;

/// The exam point's forms' holders with their page budgets, for the given selection. Budgets
/// are upper bounds from the seating alone (a form that needs more fails instead of printing
/// another document's codes).
pub fn point_form_needs(seats: &[SeatAssignment], what: PrintWhat) -> Vec<(String, Vec<SheetKind>)> {
    let n = seats.len();
    let rooms = auditoriums_of(seats).len();
    let mut needs = Vec::new();
    let mut add = |form: &str, pages: usize| needs.push((format!("form:{form}"), vec![SheetKind::Statement; pages]));
    if matches!(what, PrintWhat::Seating | PrintWhat::All) {
        // One list per school: at worst a school per participant.
        add("ППЭ-06-01", n + n / 15 + 2);
        add("ППЭ-06-02", n / 15 + 2);
        add("ППЭ-07", n / 20 + 6);
    }
    if matches!(what, PrintWhat::Statements | PrintWhat::All) {
        add("ППЭ-08", 3);
        add("ППЭ-10", 4);
        add("ППЭ-14-01", 2);
        add("ППЭ-14-02", rooms / 8 + 2);
        add("ППЭ-19", 3);
    }
    needs
}

/// The appeal forms' holders: ППЭ-02 and ППЭ-03 of each participant who filed one, a page per
/// appeal.
pub fn appeal_form_needs(appeals: &[Appeal]) -> Vec<(String, Vec<SheetKind>)> {
    let mut participants: Vec<&str> = appeals.iter().map(|a| a.participant_id.as_str()).collect();
    participants.sort_unstable();
    participants.dedup();
    participants
        .into_iter()
        .flat_map(|p| ["ППЭ-02", "ППЭ-03"].map(|form| (format!("form:{form}:{p}"), vec![SheetKind::Statement; APPEALS_PER_PARTICIPANT])))
        .collect()
}

fn place_of(post: &Post, seats: &[SeatAssignment]) -> (u8, String, String) {
    match post {
        Post::Head | Post::GekMember | Post::TechSpecialist => (0, String::new(), "штаб ППЭ".into()),
        Post::Medical => (1, String::new(), "медицинский кабинет".into()),
        Post::InRoom { auditorium, responsible } => (2, format!("{auditorium}:{}", u8::from(!responsible)), format!("аудитория {auditorium}")),
        Post::Outside { floor } => (3, format!("{floor:03}"), format!("этаж {floor}")),
        Post::Examiner { auditorium } | Post::Expert { auditorium } => (2, format!("{auditorium}:2"), format!("аудитория {auditorium}")),
        Post::Assistant { participant_id } => {
            let room = seats.iter().find(|s| &s.participant_id == participant_id).map(|s| s.auditorium.clone()).unwrap_or_default();
            (4, room.clone(), if room.is_empty() { "аудитория".into() } else { format!("аудитория {room}") })
        }
    }
}

fn post_role(post: &Post) -> String {
    match post {
        Post::InRoom { responsible: true, .. } => "ответственный организатор в аудитории".into(),
        other => other.role().title_ru().to_string(),
    }
}

impl PrintContext<'_> {
    /// The form's first sheet from its reserved numbers (`None`: printed without a code).
    fn first_of(&self, holder: &str) -> Option<SheetId> {
        self.numbers.get(holder).and_then(|n| n.first()).map(|n| self.sheet(SheetKind::Statement, *n))
    }

    /// A coded form longer than its reserved numbers would print another document's codes.
    fn within_budget(&self, holder: &str, mut doc: PrintDocument, file_name: &str) -> Result<FormDocument, PrintingError> {
        if let Some(numbers) = self.numbers.get(holder) {
            if doc.pages as usize > numbers.len() {
                return Err(PrintingError::NothingToPrint(format!(
                    "{}: {} стр., а номеров листов выделено {}; записи не помещаются в форму",
                    doc.form,
                    doc.pages,
                    numbers.len()
                )));
            }
        }
        doc.file_name = file_name.to_string();
        Ok(FormDocument { holder: holder.to_string(), participant: None, doc })
    }

    /// Names of the workers holding posts of `role` on the roster; without a roster, those the
    /// plan assigns to the point that day with the role.
    pub fn names_of(&self, role: WorkerRole) -> Vec<String> {
        let mut names: Vec<String> = if self.day.roster.is_empty() {
            self.plan.workers_with_role_at(self.ppe_code, &self.exam.date, role).into_iter().map(|w| w.full_name()).collect()
        } else {
            self.day.roster.iter().filter(|e| e.post.role() == role).map(|e| worker_name(self.plan, &e.worker_id)).collect()
        };
        names.sort();
        names.dedup();
        names
    }

    pub(super) fn head(&self) -> String {
        self.names_of(WorkerRole::Head).into_iter().next().unwrap_or_default()
    }

    fn entrance_rows(&self) -> Vec<EntranceRow> {
        self.seats
            .iter()
            .map(|s| {
                let p = self.person(&s.participant_id);
                let planned = self.plan.participants.iter().find(|x| x.participant_id == s.participant_id);
                EntranceRow {
                    name: p.full_name(),
                    document: p.document,
                    auditorium: s.auditorium.clone(),
                    seat: s.seat_label(),
                    school_code: planned.map(|x| x.school_code.clone()).unwrap_or_default(),
                    school_name: planned.map(|x| x.school_name.clone()).unwrap_or_default(),
                    class: planned.map(|x| x.class.clone()).unwrap_or_default(),
                }
            })
            .collect()
    }

    /// ППЭ-06-01, 06-02 and 07 (those the exam's technology prints), each with its file name.
    pub fn point_lists(&self) -> Result<Vec<FormDocument>, PrintingError> {
        let header = exam_header(self.plan, self.exam, self.ppe_code);
        let rows = self.entrance_rows();
        let mut lists = Vec::new();
        if self.prints("ППЭ-06-01") {
            let input = EntranceListInput { exam: header.clone(), rows: rows.clone(), first_sheet: self.first_of("form:ППЭ-06-01") };
            lists.push(self.within_budget("form:ППЭ-06-01", lists_by_school_pdf(&input, self.key)?, "ppe-06-01.pdf")?);
        }
        if self.prints("ППЭ-06-02") {
            let input = EntranceListInput { exam: header.clone(), rows, first_sheet: self.first_of("form:ППЭ-06-02") };
            lists.push(self.within_budget("form:ППЭ-06-02", entrance_list_pdf(&input, self.key)?, "ppe-06-02.pdf")?);
        }
        if self.prints("ППЭ-07") {
            let input = WorkersListInput { exam: header, rows: self.workers(), first_sheet: self.first_of("form:ППЭ-07"), head: self.head() };
            lists.push(self.within_budget("form:ППЭ-07", workers_list_pdf(&input, self.key)?, "ppe-07.pdf")?);
        }
        Ok(lists)
    }

    /// ППЭ-07 rows: the roster's posts by place of work in the point (staff room, medical room,
    /// each auditorium with its responsible organizer first, each floor, assistants), the
    /// reserve, then the public observers. Without a roster: the plan's workers of the day.
    pub fn workers(&self) -> Vec<WorkerRow> {
        let on_day: Vec<_> = self.plan.worker_assignments.iter().filter(|w| w.ppe_code == self.ppe_code && w.date == self.exam.date).collect();
        let workplace = |id: &str| self.plan.workers.iter().find(|w| w.worker_id == id).map(|w| w.workplace.clone()).unwrap_or_default();
        let mut keyed: Vec<((u8, String, String), WorkerRow)> = Vec::new();
        for e in &self.day.roster {
            let (order, sort, post) = place_of(&e.post, self.seats);
            let name = worker_name(self.plan, &e.worker_id);
            keyed.push(((order, sort, name.clone()), WorkerRow { name, role: post_role(&e.post), post, workplace: workplace(&e.worker_id) }));
        }
        for a in on_day.iter().filter(|a| !self.day.roster.iter().any(|e| e.worker_id == a.worker_id)) {
            let Some(worker) = self.plan.workers.iter().find(|x| x.worker_id == a.worker_id) else { continue };
            let role = worker.roles.first().copied().unwrap_or(WorkerRole::OrganizerInRoom);
            let (order, post) = if a.reserve || !self.day.roster.is_empty() {
                (5, "резерв".to_string())
            } else {
                match role {
                    WorkerRole::OrganizerInRoom | WorkerRole::Assistant | WorkerRole::Examiner | WorkerRole::Expert | WorkerRole::LabSpecialist => {
                        (2, "аудитория".into())
                    }
                    WorkerRole::OrganizerOutside => (3, "вне аудитории".into()),
                    _ => (0, "штаб ППЭ".into()),
                }
            };
            let name = worker.full_name();
            keyed.push((
                (order, String::new(), name.clone()),
                WorkerRow { name, role: role.title_ru().to_string(), post, workplace: worker.workplace.clone() },
            ));
        }
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut rows: Vec<WorkerRow> = keyed.into_iter().map(|(_, r)| r).collect();
        rows.extend(crate::printing::observers::observer_rows(self.plan, self.ppe_code, &self.exam.date));
        rows
    }

    /// ППЭ-08 rows: early finishes confirmed by the medical worker, and leaves to the medical
    /// room (the absence log's «медпункт») with their return.
    pub fn medical_rows(&self) -> Vec<MedicalRow> {
        let room = |p: &str| self.seats.iter().find(|s| s.participant_id == p).map(|s| s.auditorium.clone()).unwrap_or_default();
        let mut rows: Vec<MedicalRow> = Vec::new();
        let mut open: HashMap<&str, usize> = HashMap::new();
        for e in &self.day.events {
            let name = || self.person(&e.participant_id).full_name();
            match e.kind {
                EventKind::FinishedEarly if !e.medical_worker_id.is_empty() => {
                    let outcome =
                        format!("осмотр, экзамен завершён досрочно (медицинский работник {})", worker_name(self.plan, &e.medical_worker_id));
                    rows.push(MedicalRow {
                        name: name(),
                        auditorium: room(&e.participant_id),
                        at: local_time(self.exam, &e.at),
                        reason: e.reason.clone(),
                        outcome,
                        early_finish: true,
                    });
                }
                EventKind::Left if e.reason.to_lowercase().contains("мед") => {
                    open.insert(e.participant_id.as_str(), rows.len());
                    rows.push(MedicalRow {
                        name: name(),
                        auditorium: room(&e.participant_id),
                        at: local_time(self.exam, &e.at),
                        reason: e.reason.clone(),
                        outcome: String::new(),
                        early_finish: false,
                    });
                }
                EventKind::Returned => {
                    if let Some(i) = open.remove(e.participant_id.as_str()) {
                        rows[i].outcome = format!("вернулся в аудиторию в {}", local_time(self.exam, &e.at));
                    }
                }
                _ => {}
            }
        }
        rows
    }

    fn medical_workers(&self) -> Vec<String> {
        let mut names = self.names_of(WorkerRole::Medical);
        if names.is_empty() {
            names =
                self.day.events.iter().filter(|e| !e.medical_worker_id.is_empty()).map(|e| worker_name(self.plan, &e.medical_worker_id)).collect();
            names.sort();
            names.dedup();
        }
        names
    }

    fn appeals_of_exam(&self) -> impl Iterator<Item = &Appeal> {
        self.day.appeals.iter().filter(|a| a.exam_id == self.exam.exam_id && a.ppe_code == self.ppe_code)
    }

    /// ППЭ-10: the members, times and counts the box knows, and the day's events in time order.
    pub fn gek_report(&self) -> GekReportInput {
        let states: Vec<ParticipantState> = self.seats.iter().map(|s| self.day.state_of(&s.participant_id)).collect();
        let count = |f: &dyn Fn(&ParticipantState) -> bool| states.iter().filter(|s| f(s)).count().to_string();
        let activated = self.day.materials.as_ref().filter(|m| !m.activated_at.is_empty());
        let appeals: Vec<&Appeal> = self.appeals_of_exam().collect();
        let reviewed = appeals.iter().filter(|a| a.review.is_some()).count();
        let upheld = appeals.iter().filter(|a| a.review.as_ref().is_some_and(|r| r.upheld)).count();
        let facts = vec![
            (
                "Начало экзамена по расписанию (местное время), продолжительность".to_string(),
                format!("{}, {} мин", self.exam.start, self.exam.duration_min),
            ),
            (
                "Ключ доступа к экзаменационным материалам активирован".into(),
                activated
                    .map(|m| format!("{} членом ГЭК {}", local_time(self.exam, &m.activated_at), worker_name(self.plan, &m.activated_by)))
                    .unwrap_or_default(),
            ),
            ("Аудиторий задействовано".into(), auditoriums_of(self.seats).len().to_string()),
            ("Распределено участников в ППЭ".into(), self.seats.len().to_string()),
            ("Явились на экзамен".into(), count(&|s| s.status.sat())),
            ("Не явились".into(), count(&|s| s.status == Status::Absent)),
            ("Опоздали".into(), count(&|s| s.late_at.is_some())),
            ("Удалены с экзамена (ППЭ-21)".into(), count(&|s| s.status == Status::Removed)),
            ("Не закончили экзамен по объективным причинам (ППЭ-22)".into(), count(&|s| s.status == Status::FinishedEarly)),
            (
                "Подано апелляций о нарушении порядка (ППЭ-02) / рассмотрено (ППЭ-03) / факты подтвердились".into(),
                format!("{} / {reviewed} / {upheld}", appeals.len()),
            ),
            ("Замен работников ППЭ (ППЭ-19)".into(), self.day.replacements.iter().filter(|r| r.exam_id == self.exam.exam_id).count().to_string()),
            ("Окончание экзамена в последней аудитории".into(), String::new()),
            ("Завершение сканирования и передачи материалов в РЦОИ".into(), String::new()),
        ];
        let room = |p: &str| self.seats.iter().find(|s| s.participant_id == p).map(|s| s.auditorium.clone()).unwrap_or_default();
        let mut events: Vec<(String, ReportEvent)> = Vec::new();
        for e in self.day.events.iter().filter(|e| matches!(e.kind, EventKind::Removed | EventKind::FinishedEarly)) {
            let kind = if e.kind == EventKind::Removed {
                "Удаление участника (ППЭ-21)"
            } else {
                "Досрочное завершение (ППЭ-22)"
            };
            let event = ReportEvent {
                at: local_time(self.exam, &e.at),
                kind: kind.into(),
                auditorium: room(&e.participant_id),
                who: self.person(&e.participant_id).full_name(),
                what: e.reason.clone(),
            };
            events.push((e.at.clone(), event));
        }
        for a in &appeals {
            let what = a.review.as_ref().map(|r| format!("рассмотрена: {}", r.conclusion_ru())).unwrap_or_else(|| "не рассмотрена".into());
            let event = ReportEvent {
                at: local_time(self.exam, &a.filed_at),
                kind: format!("Апелляция № {} (ППЭ-02)", a.appeal_id),
                auditorium: room(&a.participant_id),
                who: self.person(&a.participant_id).full_name(),
                what,
            };
            events.push((a.filed_at.clone(), event));
        }
        events.sort_by(|a, b| a.0.cmp(&b.0));
        GekReportInput {
            exam: exam_header(self.plan, self.exam, self.ppe_code),
            gek_members: self.names_of(WorkerRole::GekMember),
            head: self.head(),
            facts,
            events: events.into_iter().map(|(_, e)| e).collect(),
            first_sheet: self.first_of("form:ППЭ-10"),
        }
    }

    /// ППЭ-14-01: what the ГЭК member hands over, counted from the package and the plan.
    pub fn materials_receipt(&self) -> Result<MaterialsReceiptInput, PrintingError> {
        let kit = self.kit()?.title_ru();
        let m = self.day.materials.as_ref();
        let activated = m.filter(|m| !m.activated_at.is_empty());
        let package = m.map(|m| format!(" (пакет {}, вариантов КИМ: {})", m.package_id, m.kim_variants)).unwrap_or_default();
        let items = vec![
            ReceivedItem {
                what: format!("Экзаменационные материалы в электронном виде{package}"),
                count: m.map(|m| m.files.to_string()).unwrap_or_default(),
                note: "файлов пакета".into(),
            },
            ReceivedItem {
                what: "Ключ доступа к экзаменационным материалам (токен члена ГЭК)".into(),
                count: if activated.is_some() { "1".into() } else { String::new() },
                note: activated
                    .map(|m| {
                        format!("активирован в {} членом ГЭК {}", local_time(self.exam, &m.activated_at), worker_name(self.plan, &m.activated_by))
                    })
                    .unwrap_or_default(),
            },
            ReceivedItem {
                what: format!("Индивидуальные комплекты участников, печать в ППЭ ({kit})"),
                count: self.seats.len().to_string(),
                note: "по числу распределённых участников".into(),
            },
            ReceivedItem {
                what: "Возвратные доставочные пакеты для аудиторий".into(),
                count: auditoriums_of(self.seats).len().to_string(),
                note: "по одному на аудиторию".into(),
            },
        ];
        Ok(MaterialsReceiptInput {
            exam: exam_header(self.plan, self.exam, self.ppe_code),
            items,
            received_at: activated.map(|m| local_time(self.exam, &m.activated_at)).unwrap_or_default(),
            gek_members: self.names_of(WorkerRole::GekMember),
            head: self.head(),
            first_sheet: self.first_of("form:ППЭ-14-01"),
        })
    }

    /// ППЭ-14-02 rows from the staff room desk's scans: a kit counts once however many of its
    /// sheets were scanned; a sheet not issued to anyone counts as its own kit. The responsible
    /// organizer of each auditorium from the roster.
    pub fn materials_rows(&self, auditoriums: &[String]) -> Vec<MaterialsRow> {
        let owner: HashMap<(SheetKind, u32), (&str, u32)> =
            self.day.issued.iter().filter_map(|s| s.participant_id.as_deref().map(|p| ((s.kind, s.number), (p, s.kit)))).collect();
        let organizer = |a: &str| {
            let in_room = |responsible: bool| {
                self.day
                    .roster
                    .iter()
                    .find(|e| matches!(&e.post, Post::InRoom { auditorium, responsible: r } if auditorium == a && *r == responsible))
                    .map(|e| worker_name(self.plan, &e.worker_id))
            };
            in_room(true).or_else(|| in_room(false)).unwrap_or_default()
        };
        auditoriums
            .iter()
            .map(|a| {
                let mut row = MaterialsRow {
                    auditorium: a.clone(),
                    kits_issued: 0,
                    sheets_issued: 0,
                    issued_at: String::new(),
                    kits_returned: 0,
                    sheets_returned: 0,
                    returned_at: String::new(),
                    organizer: organizer(a),
                };
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

    /// ППЭ-08, 10, 14-01, 14-02, 19 (those the exam's technology prints) and every appeal's
    /// ППЭ-02 and 03, each with its file name.
    pub fn point_statements(&self, auditoriums: &[String]) -> Result<Vec<FormDocument>, PrintingError> {
        let header = exam_header(self.plan, self.exam, self.ppe_code);
        let kit = self.kit()?.title_ru();
        let mut docs = Vec::new();
        if self.prints("ППЭ-08") {
            let input = MedicalJournalInput {
                exam: header.clone(),
                rows: self.medical_rows(),
                medical_workers: self.medical_workers(),
                first_sheet: self.first_of("form:ППЭ-08"),
            };
            docs.push(self.within_budget("form:ППЭ-08", medical_journal_pdf(&input, self.key)?, "ppe-08.pdf")?);
        }
        if self.prints("ППЭ-10") {
            docs.push(self.within_budget("form:ППЭ-10", gek_report_pdf(&self.gek_report(), self.key)?, "ppe-10.pdf")?);
        }
        if self.prints("ППЭ-14-01") {
            docs.push(self.within_budget("form:ППЭ-14-01", materials_receipt_pdf(&self.materials_receipt()?, self.key)?, "ppe-14-01.pdf")?);
        }
        if self.prints("ППЭ-14-02") {
            let input = MaterialsRecordInput {
                exam: header.clone(),
                rows: self.materials_rows(auditoriums),
                kit,
                first_sheet: self.first_of("form:ППЭ-14-02"),
                head: self.head(),
            };
            docs.push(self.within_budget("form:ППЭ-14-02", materials_record_pdf(&input, self.key)?, "ppe-14-02.pdf")?);
        }
        if self.prints("ППЭ-19") {
            let input = WorkerReplacementInput {
                exam: header,
                rows: self.replacement_rows(),
                first_sheet: self.first_of("form:ППЭ-19"),
                head: self.head(),
                gek_members: self.names_of(WorkerRole::GekMember),
            };
            docs.push(self.within_budget("form:ППЭ-19", worker_replacement_pdf(&input, self.key)?, "ppe-19.pdf")?);
        }
        docs.extend(self.appeal_documents(None)?);
        Ok(docs)
    }

    /// ППЭ-02 and ППЭ-03 of every appeal of the exam at the point, or of one; the k-th appeal of
    /// a participant takes the k-th number of their forms' holders.
    pub fn appeal_documents(&self, only: Option<i64>) -> Result<Vec<FormDocument>, PrintingError> {
        let header = exam_header(self.plan, self.exam, self.ppe_code);
        let mut docs = Vec::new();
        let mut per_participant: HashMap<&str, usize> = HashMap::new();
        for a in self.appeals_of_exam() {
            let k = per_participant.entry(a.participant_id.as_str()).or_insert(0);
            let index = *k;
            *k += 1;
            if only.is_some_and(|id| id != a.appeal_id) {
                continue;
            }
            let seat = self.seats.iter().find(|s| s.participant_id == a.participant_id);
            let mut input = AppealFormInput {
                exam: header.clone(),
                appeal_number: a.appeal_id,
                auditorium: seat.map(|s| s.auditorium.clone()).unwrap_or_default(),
                seat: seat.map(|s| s.seat_label()).unwrap_or_default(),
                participant: self.person(&a.participant_id),
                filed_at: local_time(self.exam, &a.filed_at),
                text: a.text.clone(),
                gek_member: worker_name(self.plan, &a.gek_worker_id),
                review: a.review.as_ref().map(|r| AppealReviewOnForm {
                    reviewed_at: local_time(self.exam, &r.reviewed_at),
                    gek_member: worker_name(self.plan, &r.gek_worker_id),
                    findings: r.findings.clone(),
                    upheld: r.upheld,
                }),
                sheet: None,
            };
            for (form, file) in [("ППЭ-02", "ppe-02"), ("ППЭ-03", "ppe-03")] {
                let holder = format!("form:{form}:{}", a.participant_id);
                input.sheet = match self.numbers.get(&holder) {
                    Some(numbers) => Some(self.sheet(
                        SheetKind::Statement,
                        *numbers.get(index).ok_or_else(|| {
                            PrintingError::NothingToPrint(format!(
                                "{form}: у участника больше {} апелляций, номеров листов не хватает",
                                numbers.len()
                            ))
                        })?,
                    )),
                    None => None,
                };
                let mut doc = if form == "ППЭ-02" { appeal_pdf(&input, self.key)? } else { appeal_review_pdf(&input, self.key)? };
                doc.file_name = format!("{file}-{}.pdf", a.appeal_id);
                docs.push(FormDocument { holder, participant: Some(a.participant_id.clone()), doc });
            }
        }
        Ok(docs)
    }
}

#[cfg(test)]
mod tests;
