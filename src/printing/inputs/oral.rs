//! The oral forms filled from the day (issue 18 item 5): which forms an oral exam prints, the
//! sheet numbers they reserve (one holder per form and room), and their inputs from the queue
//! and the expert's protocols (`oral`'s store and pure turns; printing never calls its ops).

use super::*;
use crate::model::{rooms_of_kind, RoomKind};
use crate::oral::{Protocol, Turn, TurnState};

/// The oral part of the day: every turn and every expert's protocol.
#[derive(Debug, Clone, Default)]
pub struct OralDay {
    pub turns: Vec<Turn>,
    pub protocols: Vec<Protocol>,
}

impl OralDay {
    pub fn load(conn: &crate::store::Connection, exam_id: &str, ppe_code: &str) -> anyhow::Result<Self> {
        use anyhow::Context;
        let places = crate::oral::store::places(conn, exam_id, ppe_code).context("load oral queue")?;
        let events = crate::oral::store::events(conn, exam_id, ppe_code).context("load oral queue events")?;
        let protocols = crate::oral::store::protocols(conn, exam_id, ppe_code).context("load expert protocols")?;
        Ok(Self { turns: crate::oral::queue::turns(&places, &events), protocols })
    }
}

/// The holder of a form's sheet numbers: one per form and room (or the point's).
fn holder(form: &str, room: Option<&str>) -> String {
    match room {
        Some(room) => format!("form:{form}:{room}"),
        None => format!("form:{form}"),
    }
}

/// Pages a table form of `rows` rows may take (landscape, wrapped names): generous, since
/// unused numbers are never expected by scanning.
fn budget(rows: usize) -> usize {
    rows.div_ceil(8).max(1) + 1
}

/// (form, room) of every oral form an exam prints at the point, those its technology's profile
/// names (`TechnologyProfile::forms`): ППЭ-05-03-У per preparation (seated) room; per
/// conducting room the ИС-9 ведомость (ИС-02) and expert's protocol (ИС-03) or the recording
/// room's ППЭ-05-04-У; ППЭ-13-03-У for the point.
fn oral_forms(plan: &Plan, exam: &Exam, ppe_code: &str, seats: &[SeatAssignment]) -> Vec<(OralRoomFormOrSummary, Option<String>)> {
    use OralRoomFormOrSummary::*;
    let technology = exam.technology();
    let prints = |form: OralRoomFormOrSummary| technology.profile().prints(form.code());
    let mut out = Vec::new();
    if prints(Room(OralRoomForm::Preparation)) {
        out.extend(super::auditoriums_of(seats).into_iter().map(|room| (Room(OralRoomForm::Preparation), Some(room))));
    }
    for room in rooms_of_kind(&plan.auditoriums, ppe_code, technology, RoomKind::Conducting) {
        for form in [Room(OralRoomForm::InterviewConduct), Expert, Room(OralRoomForm::Recording)].into_iter().filter(|f| prints(*f)) {
            out.push((form, Some(room.auditorium.clone())));
        }
    }
    if prints(Summary) {
        out.push((Summary, None));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OralRoomFormOrSummary {
    Room(OralRoomForm),
    Expert,
    Summary,
}

impl OralRoomFormOrSummary {
    fn code(self) -> &'static str {
        match self {
            Self::Room(f) => f.code(),
            Self::Expert => "ИС-03",
            Self::Summary => "ППЭ-13-03-У",
        }
    }
}

/// The sheet numbers the oral forms need, for `sheet_needs`' caller (statements only: they
/// print with the statements).
pub fn oral_sheet_needs(
    plan: &Plan,
    exam: &Exam,
    ppe_code: &str,
    seats: &[SeatAssignment],
    what: PrintWhat,
    auditorium: Option<&str>,
) -> Vec<(String, Vec<SheetKind>)> {
    if !matches!(what, PrintWhat::Statements | PrintWhat::All) {
        return Vec::new();
    }
    oral_forms(plan, exam, ppe_code, seats)
        .into_iter()
        .filter(|(_, room)| auditorium.is_none() || room.as_deref() == auditorium)
        .map(|(form, room)| (holder(form.code(), room.as_deref()), vec![SheetKind::Statement; budget(seats.len())]))
        .collect()
}

impl PrintContext<'_> {
    /// The oral forms of the exam (none for a written one), each with its printed record.
    pub fn oral_documents(&self, auditorium: Option<&str>) -> Result<Vec<(PrintDocument, PrintedStatement)>, PrintingError> {
        let mut out = Vec::new();
        let header = exam_header(self.plan, self.exam, self.ppe_code);
        for (form, room) in oral_forms(self.plan, self.exam, self.ppe_code, self.seats) {
            if auditorium.is_some() && room.as_deref() != auditorium {
                continue;
            }
            let holder = holder(form.code(), room.as_deref());
            let first_sheet = Some(self.sheet(SheetKind::Statement, self.numbers_of(&holder)?[0]));
            let room_code = room.clone().unwrap_or_default();
            let (doc, file) = match form {
                OralRoomFormOrSummary::Room(f) => {
                    let input = OralRoomInput {
                        exam: header.clone(),
                        auditorium: room_code.clone(),
                        rows: self.turn_rows(f, &room_code),
                        staff: staff_of(f),
                        first_sheet,
                    };
                    (oral_room_pdf(f, &input, self.key)?, format!("{}-{room_code}.pdf", file_stem(f.code())))
                }
                OralRoomFormOrSummary::Expert => {
                    let input = self.expert_protocol(&header, &room_code, first_sheet);
                    (expert_protocol_pdf(&input, self.key)?, format!("is-03-{room_code}.pdf"))
                }
                OralRoomFormOrSummary::Summary => {
                    let input = OralSummaryInput { exam: header.clone(), rows: self.oral_summary_rows(), first_sheet };
                    (oral_summary_pdf(&input, self.key)?, "ppe-13-03-u.pdf".to_string())
                }
            };
            let printed = self.printed(&holder, &doc, None)?;
            let mut doc = doc;
            doc.file_name = file;
            out.push((doc, printed));
        }
        Ok(out)
    }

    fn class_of(&self, participant_id: &str) -> String {
        self.plan.participants.iter().find(|p| p.participant_id == participant_id).map(|p| p.class.clone()).unwrap_or_default()
    }

    fn note(&self, t: &Turn) -> String {
        let mut notes = Vec::new();
        if t.state == TurnState::Absent {
            notes.push("не явился".to_string());
        }
        if t.late {
            notes.push("опоздал".to_string());
        }
        if let Some(from) = t.moved_from.last() {
            notes.push(format!("переведён из ауд. {from}"));
        }
        notes.join("; ")
    }

    /// Rows of a room form: the conducting room's queue, or the participants seated in a
    /// preparation room with the recording room they went to.
    fn turn_rows(&self, form: OralRoomForm, room: &str) -> Vec<TurnRow> {
        let time = |t: Option<&str>| t.map(|t| local_time(self.exam, t)).unwrap_or_default();
        let row = |position: u32, t: &Turn| {
            let person = self.person(&t.participant_id);
            let who = if form == OralRoomForm::InterviewConduct { self.class_of(&t.participant_id) } else { person.document.clone() };
            TurnRow {
                position,
                name: person.full_name(),
                class_or_document: who,
                auditorium: t.auditorium.clone(),
                started: time(t.started_at()),
                finished: time(t.finished_at()),
                note: self.note(t),
            }
        };
        match form {
            OralRoomForm::Preparation => self
                .seats
                .iter()
                .filter(|s| s.auditorium == room)
                .enumerate()
                .map(|(i, s)| match self.day.oral.turns.iter().find(|t| t.participant_id == s.participant_id) {
                    // The preparation room's times: from the exam's start to leaving for the recording room.
                    Some(t) => TurnRow { started: self.exam.start.clone(), finished: time(t.started_at()), ..row(i as u32 + 1, t) },
                    None => {
                        let person = self.person(&s.participant_id);
                        TurnRow {
                            position: i as u32 + 1,
                            name: person.full_name(),
                            class_or_document: person.document,
                            auditorium: String::new(),
                            started: String::new(),
                            finished: String::new(),
                            note: String::new(),
                        }
                    }
                })
                .collect(),
            _ => self.day.oral.turns.iter().filter(|t| t.auditorium == room).enumerate().map(|(i, t)| row(i as u32 + 1, t)).collect(),
        }
    }

    fn expert_protocol(&self, header: &ExamHeader, room: &str, first_sheet: Option<SheetId>) -> ExpertProtocolInput {
        let scale = &crate::oral::CURRENT;
        let criteria: Vec<String> = scale.criteria().map(|c| c.code.to_string()).collect();
        let rows = self
            .day
            .oral
            .turns
            .iter()
            .filter(|t| t.auditorium == room && t.state != TurnState::Absent)
            .map(|t| {
                let protocol = self.day.oral.protocols.iter().find(|p| p.participant_id == t.participant_id);
                let points = criteria.iter().map(|c| protocol.and_then(|p| p.score.points.get(c)).map(u8::to_string).unwrap_or_default()).collect();
                ExpertRow {
                    name: self.person(&t.participant_id).full_name(),
                    class: self.class_of(&t.participant_id),
                    points,
                    total: protocol.map(|p| p.score.total.to_string()).unwrap_or_default(),
                    result: protocol.map(|p| p.score.result_ru().to_string()).unwrap_or_default(),
                }
            })
            .collect();
        let expert =
            self.day.oral.protocols.iter().find(|p| p.auditorium == room).map(|p| worker_name(self.plan, &p.expert_worker_id)).unwrap_or_default();
        let legend = scale
            .tasks
            .iter()
            .map(|t| {
                format!(
                    "{}: {}",
                    t.title,
                    t.criteria.iter().map(|c| format!("{} — {} (до {})", c.code, c.title, c.max)).collect::<Vec<_>>().join("; ")
                )
            })
            .collect();
        let mut legend: Vec<String> = legend;
        legend.push(format!(
            "Максимум {} баллов; зачёт — от {} баллов (участники с ОВЗ — по сниженному порогу)",
            scale.max_points(),
            scale.pass_points
        ));
        ExpertProtocolInput { exam: header.clone(), auditorium: room.into(), criteria, legend, rows, expert, first_sheet }
    }

    fn oral_summary_rows(&self) -> Vec<OralSummaryRow> {
        let technology = self.exam.technology();
        let mut rows: Vec<OralSummaryRow> = super::auditoriums_of(self.seats)
            .into_iter()
            .map(|a| {
                let listed = self.seats.iter().filter(|s| s.auditorium == a).count();
                let absent = self
                    .seats
                    .iter()
                    .filter(|s| s.auditorium == a)
                    .filter(|s| self.day.oral.turns.iter().any(|t| t.participant_id == s.participant_id && t.state == TurnState::Absent))
                    .count();
                OralSummaryRow { kind: RoomKind::Waiting.title_ru(technology).into(), listed, answered: 0, absent, auditorium: a }
            })
            .collect();
        for room in rooms_of_kind(&self.plan.auditoriums, self.ppe_code, technology, RoomKind::Conducting) {
            let turns: Vec<&Turn> = self.day.oral.turns.iter().filter(|t| t.auditorium == room.auditorium).collect();
            rows.push(OralSummaryRow {
                auditorium: room.auditorium.clone(),
                kind: RoomKind::Conducting.title_ru(technology).into(),
                listed: turns.len(),
                answered: turns.iter().filter(|t| t.finished_at().is_some()).count(),
                absent: turns.iter().filter(|t| t.state == TurnState::Absent).count(),
            });
        }
        rows
    }
}

fn file_stem(code: &str) -> String {
    code.to_lowercase().replace("ппэ", "ppe").replace("ис", "is").replace('у', "u")
}

/// Who signs a room form.
fn staff_of(form: OralRoomForm) -> Vec<(String, String)> {
    let roles: &[&str] = match form {
        OralRoomForm::InterviewConduct => &["Экзаменатор-собеседник", "Эксперт"],
        OralRoomForm::Preparation => &["Организатор в аудитории", "Организатор в аудитории"],
        OralRoomForm::Recording => &["Организатор в аудитории", "Технический специалист"],
    };
    roles.iter().map(|r| (r.to_string(), String::new())).collect()
}
