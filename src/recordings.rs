//! Audio recordings of oral exams and КЕГЭ answer files (issue 18 item 4): which exams collect
//! them, how a station's file name names its participant, the defects a file can have (each
//! with its Russian reason), and completeness — who still has no good file. Pure; the decoder
//! checks are in `check`, the workstations of a КЕГЭ room in `workstations`, the SQL in
//! `store`, the use cases in `ops`, `ppe edge recordings` in `cli`.

pub mod check;
pub mod cli;
pub mod facts;
pub mod ops;
pub mod store;
pub mod workstations;

use serde::{Deserialize, Serialize};

use crate::config::RecordingsConfig;
use crate::model::{Exam, ExamKind, Technology};

/// What an exam collects per participant besides scanned sheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// An audio recording of the answer (ИС-9, «Говорение», oral ГВЭ).
    Recording,
    /// A КЕГЭ station's answer file (an archive per participant).
    AnswerFile,
}

impl FileKind {
    /// The bundle manifest's `kind` and the store's column.
    pub fn code(self) -> &'static str {
        match self {
            Self::Recording => "recording",
            Self::AnswerFile => "answer_file",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Recording, Self::AnswerFile].into_iter().find(|k| k.code() == s)
    }
    /// «записи участника …» / «файла ответов участника …».
    pub fn of_participant_ru(self) -> &'static str {
        match self {
            Self::Recording => "записи",
            Self::AnswerFile => "файла ответов",
        }
    }
    /// «запись …» / «файл ответов …», the subject of a sentence.
    pub fn subject_ru(self) -> &'static str {
        match self {
            Self::Recording => "запись",
            Self::AnswerFile => "файл ответов",
        }
    }
}

/// The oral technologies whose recordings differ in length (config `[recordings]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OralKind {
    /// Итоговое собеседование (ИС-9).
    Interview,
    /// ЕГЭ иностранный язык, устная часть («Говорение»).
    Speaking,
    /// Any other oral exam (ГВЭ устно).
    Other,
}

/// What an exam collects, or `None` for a written exam: from its technology's profile
/// (`Exam::technology`, the plan column or the default of kind and subject).
pub fn collected_for(exam: &Exam) -> Option<FileKind> {
    let collected = exam.technology().profile().collected;
    if collected.answer_files {
        Some(FileKind::AnswerFile)
    } else if collected.audio {
        Some(FileKind::Recording)
    } else {
        None
    }
}

/// The exam is held on computers (КЕГЭ): its technology says so.
pub fn is_computer_exam(exam: &Exam) -> bool {
    exam.technology() == Technology::Computer
}

/// Which length range an oral exam's recordings are judged by: ИС-9 the interview's, a
/// recorded oral part («Говорение») the speaking one's, any other oral exam (ГВЭ устно) the
/// general one.
pub fn oral_kind(exam: &Exam) -> OralKind {
    match exam.technology() {
        Technology::OralInterview if exam.kind == ExamKind::Interview => OralKind::Interview,
        Technology::OralRecorded => OralKind::Speaking,
        _ => OralKind::Other,
    }
}

/// Seconds a recording of the exam may last, `[min, max]`, from the config.
pub fn duration_range(exam: &Exam, config: &RecordingsConfig) -> [u32; 2] {
    match oral_kind(exam) {
        OralKind::Interview => config.interview_seconds,
        OralKind::Speaking => config.speaking_seconds,
        OralKind::Other => config.oral_seconds,
    }
}

/// Audio extensions the decoder reads.
pub const AUDIO_EXTENSIONS: &[&str] = &["wav", "mp3", "ogg"];

/// What a file's name says, by the station's pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameParts {
    pub ppe: Option<String>,
    pub room: Option<String>,
    pub place: Option<String>,
    pub participant: Option<String>,
}

/// Reads a file name (its stem, without extension) by a pattern of literal text and
/// placeholders (`{ppe}`, `{room}`, `{place}`, `{participant}`, `{any}`); each placeholder takes
/// the shortest non-empty text up to the literal that follows it, the last one the rest.
/// `None` when the name does not fit.
pub fn parse_name(stem: &str, pattern: &str) -> Option<NameParts> {
    enum Token<'p> {
        Literal(&'p str),
        Field(&'p str),
    }
    let mut tokens = Vec::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        if let Some(open) = rest.find('{') {
            if open > 0 {
                tokens.push(Token::Literal(&rest[..open]));
            }
            let close = rest[open..].find('}')? + open;
            tokens.push(Token::Field(&rest[open + 1..close]));
            rest = &rest[close + 1..];
        } else {
            tokens.push(Token::Literal(rest));
            rest = "";
        }
    }
    let mut parts = NameParts::default();
    let mut text = stem;
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i] {
            Token::Literal(l) => text = text.strip_prefix(l)?,
            Token::Field(name) => {
                let value = match tokens.get(i + 1) {
                    Some(Token::Literal(next)) => {
                        // Shortest non-empty value: the first occurrence of the next literal after one char.
                        let skip = text.chars().next()?.len_utf8();
                        let at = text[skip..].find(next)? + skip;
                        let (v, r) = text.split_at(at);
                        text = r;
                        v
                    }
                    Some(Token::Field(_)) => return None,
                    None => std::mem::take(&mut text),
                };
                if value.is_empty() {
                    return None;
                }
                let slot = match name {
                    "ppe" => &mut parts.ppe,
                    "room" => &mut parts.room,
                    "place" => &mut parts.place,
                    "participant" => &mut parts.participant,
                    "any" => {
                        i += 1;
                        continue;
                    }
                    _ => return None,
                };
                *slot = Some(value.to_string());
            }
        }
        i += 1;
    }
    text.is_empty().then_some(parts)
}

/// A participant seated for the exam at this point, with their workstation (КЕГЭ: the seat's
/// number, or the reserve one they were moved to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeatedParticipant {
    pub participant_id: String,
    pub auditorium: String,
    pub seat_label: String,
    pub workstation: u16,
}

/// Why a file is kept for a person instead of being counted (each with its Russian reason).
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "defect", rename_all = "snake_case")]
pub enum Defect {
    #[error("имя файла не соответствует шаблону станции «{pattern}»: укажите участника вручную")]
    NameNotUnderstood { pattern: String },
    #[error("файл другого ППЭ ({ppe})")]
    OtherExamPoint { ppe: String },
    #[error("участник с кодом {code} не зарегистрирован на этот экзамен в ППЭ")]
    UnknownParticipant { code: String },
    #[error("в аудитории {room} на месте {place} никто не рассажен")]
    NobodyAtPlace { room: String, place: String },
    #[error("место в имени файла (ауд. {named_room}, {named_place}) не совпадает с рассадкой участника {participant} (ауд. {room}, место {seat}, станция {workstation})")]
    PlaceMismatch { participant: String, named_room: String, named_place: String, room: String, seat: String, workstation: u16 },
    #[error("у участника {participant} уже есть принятый файл ({file_id}): второй файл отложен для разбора")]
    SecondFile { participant: String, file_id: String },
    #[error("формат «{ext}» не принимается (ожидаются: {expected})")]
    Unsupported { ext: String, expected: String },
    #[error("не читается: {0}")]
    Unreadable(String),
    #[error("файл обрезан: читается {decoded_s:.1} с из {declared_s:.1} с")]
    Truncated { decoded_s: f64, declared_s: f64 },
    #[error("длится {seconds:.1} с, меньше ожидаемых {min} с")]
    TooShort { seconds: f64, min: u32 },
    #[error("длится {seconds:.1} с, больше ожидаемых {max} с")]
    TooLong { seconds: f64, max: u32 },
    #[error("тишина: уровень {rms_dbfs:.1} дБ ниже порога {threshold_dbfs:.1} дБ")]
    Silent { rms_dbfs: f64, threshold_dbfs: f64 },
    #[error("архив пуст")]
    EmptyArchive,
}

impl Defect {
    /// A stable code for the store, the record and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NameNotUnderstood { .. } => "name_not_understood",
            Self::OtherExamPoint { .. } => "other_exam_point",
            Self::UnknownParticipant { .. } => "unknown_participant",
            Self::NobodyAtPlace { .. } => "nobody_at_place",
            Self::PlaceMismatch { .. } => "place_mismatch",
            Self::SecondFile { .. } => "second_file",
            Self::Unsupported { .. } => "unsupported",
            Self::Unreadable(_) => "unreadable",
            Self::Truncated { .. } => "truncated",
            Self::TooShort { .. } => "too_short",
            Self::TooLong { .. } => "too_long",
            Self::Silent { .. } => "silent",
            Self::EmptyArchive => "empty_archive",
        }
    }

    /// Whether a person may accept the file as it is (a name they can read, a participant who
    /// kept silent, a long answer), or only a good file from the station replaces it (it does
    /// not decode: nothing РЦОИ could listen to or mark).
    pub fn acceptable_by_a_person(code: &str) -> bool {
        !matches!(code, "unreadable" | "truncated" | "empty_archive" | "unsupported")
    }

    /// The defect says which participant the file is (the name was read and matched).
    pub fn is_about_content(&self) -> bool {
        matches!(
            self,
            Self::Unreadable(_) | Self::Truncated { .. } | Self::TooShort { .. } | Self::TooLong { .. } | Self::Silent { .. } | Self::EmptyArchive
        )
    }
}

/// Whose file it is, by its name: the participant code when the name carries one (checked
/// against the seating when it names a place too), else the one seated at the named room and
/// place (a workstation number, or a seat label).
pub fn match_file(parts: &NameParts, ppe_code: &str, seated: &[SeatedParticipant]) -> Result<String, Defect> {
    if let Some(ppe) = &parts.ppe {
        if ppe != ppe_code {
            return Err(Defect::OtherExamPoint { ppe: ppe.clone() });
        }
    }
    let at_place = |room: &str, place: &str| -> Option<&SeatedParticipant> {
        seated.iter().find(|s| {
            s.auditorium == room
                && (place.parse::<u16>().ok() == Some(s.workstation) || s.seat_label.eq_ignore_ascii_case(place) || s.seat_label == place)
        })
    };
    if let Some(code) = &parts.participant {
        let Some(who) = seated.iter().find(|s| &s.participant_id == code) else {
            return Err(Defect::UnknownParticipant { code: code.clone() });
        };
        if let (Some(room), Some(place)) = (&parts.room, &parts.place) {
            if at_place(room, place).map(|s| &s.participant_id) != Some(&who.participant_id) {
                return Err(Defect::PlaceMismatch {
                    participant: who.participant_id.clone(),
                    named_room: room.clone(),
                    named_place: place.clone(),
                    room: who.auditorium.clone(),
                    seat: who.seat_label.clone(),
                    workstation: who.workstation,
                });
            }
        }
        return Ok(who.participant_id.clone());
    }
    match (&parts.room, &parts.place) {
        (Some(room), Some(place)) => {
            at_place(room, place).map(|s| s.participant_id.clone()).ok_or_else(|| Defect::NobodyAtPlace { room: room.clone(), place: place.clone() })
        }
        _ => Err(Defect::NameNotUnderstood { pattern: String::new() }),
    }
}

/// A file as completeness sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    pub file_id: String,
    pub source_name: String,
    pub participant_id: Option<String>,
    /// `matched`, `to_resolve` or `set_aside`.
    pub status: String,
    pub reason: String,
}

/// Who is expected to have a file (those who sat the exam) and what is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FilesCompleteness {
    pub expected: u64,
    pub received: u64,
    /// Participants without a good file, with the reason a file they have was kept.
    pub missing: Vec<(String, Option<String>)>,
    /// Files a person must resolve.
    pub to_resolve: u64,
    /// Unmatched files to resolve: (file name, reason).
    pub unmatched: Vec<(String, String)>,
}

impl FilesCompleteness {
    pub fn holds(&self) -> bool {
        self.missing.is_empty() && self.to_resolve == 0
    }

    /// «нет записи участника …», «запись участника … не читается: …», a file to resolve.
    pub fn lines_ru(&self, kind: FileKind) -> Vec<String> {
        let mut lines = Vec::new();
        for (p, reason) in &self.missing {
            lines.push(match reason {
                None => format!("нет {} участника {p}", kind.of_participant_ru()),
                // «запись участника P не читается: …», «… длится 3.0 с, меньше …», «…: тишина: …».
                Some(r) if r.starts_with("не ") || r.starts_with("длится") => format!("{} участника {p} {r}", kind.subject_ru()),
                Some(r) => format!("{} участника {p}: {r}", kind.subject_ru()),
            });
        }
        for (name, reason) in &self.unmatched {
            lines.push(format!("файл «{name}» не сопоставлен с участником: {reason}"));
        }
        lines
    }
}

/// Completeness of an exam's files: every participant who sat has a matched file; files kept
/// for a person are counted (set-aside ones are not).
pub fn completeness(sat: &[String], files: &[FileState]) -> FilesCompleteness {
    let mut c = FilesCompleteness { expected: sat.len() as u64, ..Default::default() };
    for p in sat {
        let theirs: Vec<&FileState> = files.iter().filter(|f| f.participant_id.as_deref() == Some(p.as_str())).collect();
        if theirs.iter().any(|f| f.status == "matched") {
            c.received += 1;
        } else {
            let kept = theirs.iter().find(|f| f.status == "to_resolve").map(|f| f.reason.clone());
            c.missing.push((p.clone(), kept));
        }
    }
    for f in files.iter().filter(|f| f.status == "to_resolve") {
        c.to_resolve += 1;
        if f.participant_id.is_none() {
            c.unmatched.push((f.source_name.clone(), f.reason.clone()));
        }
    }
    c
}

#[cfg(test)]
mod tests;
