//! How an exam is held (DOMAIN.md §1, issue 18): its technology as data — an exam's
//! `technology` plan column, or the default of its kind and subject — and, in this one pure
//! place, what follows from it: the room kinds it uses, what is collected per participant
//! (answer sheets, an audio recording, answer files), the forms of its rooms, the extra time of
//! ОВЗ participants and the minutes one participant takes in a conducting or recording room.
//! An auditorium's `room_kind` column says how the room is equipped; [`room_kind_for`] gives
//! its kind in one exam. Pure.

use serde::{Deserialize, Serialize};

use super::{Auditorium, Exam, ExamKind};

/// The technology of an exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Technology {
    /// КИМ and answer sheets in ordinary auditoriums.
    Written,
    /// One participant at a time with a собеседник, scored on the spot by an эксперт, the
    /// answer recorded (ИС-9; ГВЭ устно).
    OralInterview,
    /// The answer recorded at a computer with a headset, scored later at РЦОИ (ЕГЭ ИЯ
    /// «Говорение»).
    OralRecorded,
    /// One workstation per participant, answers saved at the station (КЕГЭ).
    Computer,
}

/// The kind of an auditorium in one exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    /// An ordinary auditorium of a written exam.
    Standard,
    /// Where participants wait for their turn: аудитория ожидания (ИС-9), аудитория
    /// подготовки («Говорение»).
    Waiting,
    /// Where one participant at a time answers: аудитория проведения (ИС-9), аудитория
    /// проведения — записи ответов («Говорение»).
    Conducting,
    /// One seat = one workstation (КЕГЭ).
    Workstation,
}

impl Technology {
    pub const ALL: [Technology; 4] = [Self::Written, Self::OralInterview, Self::OralRecorded, Self::Computer];

    pub fn code(self) -> &'static str {
        match self {
            Self::Written => "written",
            Self::OralInterview => "oral_interview",
            Self::OralRecorded => "oral_recorded",
            Self::Computer => "computer",
        }
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Written => "письменная",
            Self::OralInterview => "устная, с собеседником",
            Self::OralRecorded => "устная, с записью ответа",
            Self::Computer => "компьютерная",
        }
    }

    /// The code, the Russian title, or a short Russian word; empty is `None` (the default).
    pub fn parse(text: &str) -> Option<Option<Self>> {
        let t = text.trim().to_lowercase();
        if t.is_empty() {
            return Some(None);
        }
        let named = Self::ALL.into_iter().find(|k| k.code() == t || k.title_ru() == t).or(match t.as_str() {
            "письменно" => Some(Self::Written),
            "собеседование" | "устно" => Some(Self::OralInterview),
            "запись" | "говорение" => Some(Self::OralRecorded),
            "кегэ" | "компьютер" => Some(Self::Computer),
            _ => None,
        });
        named.map(Some)
    }

    /// An oral technology: participants answer aloud, one at a time.
    pub fn is_oral(self) -> bool {
        matches!(self, Self::OralInterview | Self::OralRecorded)
    }

    /// What follows from the technology.
    pub fn profile(self) -> &'static TechnologyProfile {
        PROFILES.iter().find(|p| p.technology == self).unwrap_or(&PROFILES[0])
    }
}

impl RoomKind {
    pub const ALL: [RoomKind; 4] = [Self::Standard, Self::Waiting, Self::Conducting, Self::Workstation];

    pub fn code(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Waiting => "waiting",
            Self::Conducting => "conducting",
            Self::Workstation => "workstation",
        }
    }

    /// The room's name in an exam of this technology (the forms' words).
    pub fn title_ru(self, technology: Technology) -> &'static str {
        match (self, technology) {
            (Self::Waiting, Technology::OralRecorded) => "аудитория подготовки",
            (Self::Waiting, _) => "аудитория ожидания",
            (Self::Conducting, Technology::OralRecorded) => "аудитория проведения (запись ответов)",
            (Self::Conducting, _) => "аудитория проведения",
            (Self::Workstation, _) => "аудитория с рабочими станциями",
            (Self::Standard, _) => "аудитория",
        }
    }

    /// The code or a Russian word; empty is `None` (the kind follows from the exam).
    pub fn parse(text: &str) -> Option<Option<Self>> {
        let t = text.trim().to_lowercase();
        if t.is_empty() {
            return Some(None);
        }
        let named = Self::ALL.into_iter().find(|k| k.code() == t).or(match t.as_str() {
            "обычная" => Some(Self::Standard),
            "ожидания" | "подготовки" => Some(Self::Waiting),
            "проведения" | "записи" => Some(Self::Conducting),
            "станции" | "кегэ" => Some(Self::Workstation),
            _ => None,
        });
        named.map(Some)
    }

    /// A room holding a queue: participants answer here one at a time.
    pub fn has_queue(self) -> bool {
        self == Self::Conducting
    }
}

/// What one participant leaves behind, to be scanned or taken in and uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Collected {
    /// Paper of the kit (`kit_of`), scanned.
    pub pages: bool,
    /// An audio recording of the answer.
    pub audio: bool,
    /// Answer files saved at a workstation.
    pub answer_files: bool,
}

/// What follows from a technology (DOMAIN.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TechnologyProfile {
    pub technology: Technology,
    /// The room kinds the exam uses, in the participant's way through them.
    pub room_kinds: &'static [RoomKind],
    pub collected: Collected,
    /// Minutes ОВЗ participants with extra time get.
    pub extra_time_min: u32,
    /// Minutes one participant takes in a conducting (recording) room, for the queue's plan.
    pub minutes_per_participant: Option<u32>,
    /// Every form the box prints for an exam of this technology, by code: its rooms' forms,
    /// the exam point's lists and statements and the acts (printed only after their event).
    /// The one list printing (`printing::inputs`) and completeness
    /// (`attendance::expected::required_forms`) follow: a form not here is never printed, so
    /// never required.
    pub forms: &'static [&'static [&'static str]],
}

impl TechnologyProfile {
    /// The exam's day prints `form` (its code, e.g. `ППЭ-05-02`).
    pub fn prints(&self, form: &str) -> bool {
        self.forms.iter().any(|group| group.contains(&form))
    }
}

/// The forms of an exam's day, from its technology alone (the kit changes which sheets a
/// participant gets, never which forms are filled), in the profile's order.
pub fn forms_of_day(technology: Technology) -> Vec<&'static str> {
    technology.profile().forms.iter().flat_map(|group| group.iter().copied()).collect()
}

/// The lists: the auditorium's (05-01, a preparation or waiting room's too) and the point's
/// by school, alphabetical and of workers (06-01, 06-02, 07).
const LISTS: &[&str] = &["ППЭ-05-01", "ППЭ-06-01", "ППЭ-06-02", "ППЭ-07"];
/// A written auditorium's protocol (05-02) and absence log (12-04-МАШ).
const WRITTEN_ROOM: &[&str] = &["ППЭ-05-02", "ППЭ-12-04-МАШ"];
/// What goes with the answer sheets returned: the correction of personal data (12-02) and the
/// return envelope's cover (11).
const SHEET_FORMS: &[&str] = &["ППЭ-12-02", "ППЭ-11"];
/// The point's statements of an exam held at a ППЭ: the medical journal (08), the ГЭК report
/// (10), the materials received (14-01), worker changes (19), the observer's act (18-МАШ).
const POINT_STATEMENTS: &[&str] = &["ППЭ-08", "ППЭ-10", "ППЭ-14-01", "ППЭ-19", "ППЭ-18-МАШ"];
/// Acts, filled only when their event happens (appeal and its review, identity, removal,
/// early finish).
const ACTS: &[&str] = &["ППЭ-02", "ППЭ-03", "ППЭ-20", "ППЭ-21", "ППЭ-22"];

/// A written exam's day (order 805's collection): the lists, the written auditorium's forms,
/// the sheets' forms, the summary (13-02-МАШ) and materials by room (14-02), the point's
/// statements, the acts.
const WRITTEN_FORMS: &[&[&str]] = &[LISTS, WRITTEN_ROOM, SHEET_FORMS, &["ППЭ-13-02-МАШ", "ППЭ-14-02"], POINT_STATEMENTS, ACTS];
/// ИС-9 (held at the school, one participant at a time, nothing written): the lists, per
/// conducting room the ведомость учёта проведения (ИС-02) and the expert's protocol (ИС-03),
/// worker changes (19), the acts. No written protocol, absence log or -МАШ summary.
const INTERVIEW_FORMS: &[&[&str]] = &[LISTS, &["ИС-02", "ИС-03", "ППЭ-19"], ACTS];
/// ЕГЭ ИЯ «Говорение»: the lists, the preparation rooms' protocols (05-03-У), the recording
/// rooms' (05-04-У), the oral part's summary (13-03-У) in place of 13-02-МАШ, the materials by
/// room (14-02), the БР's forms, the point's statements, the acts. No 05-02 or 12-04-МАШ.
const RECORDED_FORMS: &[&[&str]] = &[LISTS, &["ППЭ-05-03-У", "ППЭ-05-04-У", "ППЭ-13-03-У", "ППЭ-14-02"], SHEET_FORMS, POINT_STATEMENTS, ACTS];
/// КЕГЭ: the written exam's forms, with the workstation summary (13-03-К) in place of 13-02-МАШ
/// and the materials issued by room with their workstations (14-02-К) in place of 14-02.
const COMPUTER_FORMS: &[&[&str]] = &[LISTS, WRITTEN_ROOM, SHEET_FORMS, &["ППЭ-13-03-К", "ППЭ-14-02-К"], POINT_STATEMENTS, ACTS];

/// Extra time for participants with special needs in written exams (order 805: +1.5 h).
pub const SPECIAL_NEEDS_EXTRA_MIN: u32 = 90;
/// Extra time in oral parts and the interview (ИС-9): +30 min (DOMAIN.md §1).
pub const ORAL_EXTRA_MIN: u32 = 30;

/// The profiles, one per technology (the regulation's numbers; DOMAIN.md §1).
pub const PROFILES: &[TechnologyProfile] = &[
    TechnologyProfile {
        technology: Technology::Written,
        room_kinds: &[RoomKind::Standard],
        collected: Collected { pages: true, audio: false, answer_files: false },
        extra_time_min: SPECIAL_NEEDS_EXTRA_MIN,
        minutes_per_participant: None,
        forms: WRITTEN_FORMS,
    },
    TechnologyProfile {
        technology: Technology::OralInterview,
        room_kinds: &[RoomKind::Waiting, RoomKind::Conducting],
        collected: Collected { pages: false, audio: true, answer_files: false },
        extra_time_min: ORAL_EXTRA_MIN,
        // ≈15–16 min a participant (ИС-9 regulation).
        minutes_per_participant: Some(15),
        forms: INTERVIEW_FORMS,
    },
    TechnologyProfile {
        technology: Technology::OralRecorded,
        room_kinds: &[RoomKind::Waiting, RoomKind::Conducting],
        collected: Collected { pages: true, audio: true, answer_files: false },
        extra_time_min: ORAL_EXTRA_MIN,
        // ≈17 min with the headset (ЕГЭ ИЯ «Говорение»).
        minutes_per_participant: Some(17),
        forms: RECORDED_FORMS,
    },
    TechnologyProfile {
        technology: Technology::Computer,
        room_kinds: &[RoomKind::Workstation],
        collected: Collected { pages: true, audio: false, answer_files: true },
        extra_time_min: SPECIAL_NEEDS_EXTRA_MIN,
        minutes_per_participant: None,
        forms: COMPUTER_FORMS,
    },
];

/// Subject codes of oral parts by exam kind (ФИС ГИА: ЕГЭ ИЯ «Говорение» — английский 29,
/// немецкий 30, французский 31, испанский 33, китайский 34).
pub const ORAL_SUBJECT_CODES: &[(ExamKind, &str)] =
    &[(ExamKind::Ege, "29"), (ExamKind::Ege, "30"), (ExamKind::Ege, "31"), (ExamKind::Ege, "33"), (ExamKind::Ege, "34")];
/// Words of a subject name that mark an oral part, lower case («устная часть», «ГВЭ устно»,
/// «Говорение»).
pub const ORAL_NAME_MARKS: &[&str] = &["устн", "говорение"];
/// Subject codes held on computers by default (КЕГЭ: информатика, 25).
pub const COMPUTER_SUBJECT_CODES: &[(ExamKind, &str)] = &[(ExamKind::Ege, "25")];
/// Words of a subject name that mark an exam on computers, lower case («КЕГЭ», «на
/// компьютере»).
pub const COMPUTER_NAME_MARKS: &[&str] = &["кегэ", "компьютер"];

/// The technology of an exam kind and subject when the plan names none: ИС-9 an interview,
/// ЕГЭ ИЯ «Говорение» and oral parts of ЕГЭ recorded, ГВЭ устно an interview with an
/// examiner, КЕГЭ (or a subject named «… на компьютере», «КЕГЭ») on computers, the rest
/// written.
pub fn default_technology(kind: ExamKind, subject_code: &str, subject_name: &str) -> Technology {
    let code = subject_code.trim().trim_start_matches('0');
    let name = subject_name.to_lowercase();
    let listed = |table: &[(ExamKind, &str)]| table.iter().any(|(k, c)| *k == kind && c.trim_start_matches('0') == code);
    let oral_name = ORAL_NAME_MARKS.iter().any(|mark| name.contains(mark));
    match kind {
        ExamKind::Interview => Technology::OralInterview,
        ExamKind::Ege if listed(ORAL_SUBJECT_CODES) || oral_name => Technology::OralRecorded,
        _ if oral_name => Technology::OralInterview,
        _ if listed(COMPUTER_SUBJECT_CODES) || COMPUTER_NAME_MARKS.iter().any(|mark| name.contains(mark)) => Technology::Computer,
        _ => Technology::Written,
    }
}

/// The technology of an exam: its own `technology` column, or the default of its kind and
/// subject.
pub fn technology_of(exam: &Exam) -> Technology {
    exam.technology.unwrap_or_else(|| default_technology(exam.kind, &exam.subject_code, &exam.subject_name))
}

/// The kind of an auditorium in an exam of `technology`: a written exam's rooms are ordinary;
/// an oral exam's rooms are conducting rooms where the plan says so (`room_kind`
/// `conducting` or `workstation`, or the `oral` flag when the column is empty) and waiting
/// rooms otherwise; every room of a computer exam holds workstations.
pub fn room_kind_for(technology: Technology, auditorium: &Auditorium) -> RoomKind {
    match technology {
        Technology::Written => RoomKind::Standard,
        Technology::Computer => RoomKind::Workstation,
        Technology::OralInterview | Technology::OralRecorded => match auditorium.room_kind {
            Some(RoomKind::Conducting | RoomKind::Workstation) => RoomKind::Conducting,
            Some(RoomKind::Waiting | RoomKind::Standard) => RoomKind::Waiting,
            None if auditorium.oral => RoomKind::Conducting,
            None => RoomKind::Waiting,
        },
    }
}

/// The auditoriums of a point that are of `kind` in an exam of `technology` (reserve rooms
/// left out), by code: the conducting rooms whose queues seating fills and the roster staffs.
pub fn rooms_of_kind<'a>(auditoriums: &'a [Auditorium], ppe_code: &str, technology: Technology, kind: RoomKind) -> Vec<&'a Auditorium> {
    let mut rooms: Vec<&Auditorium> =
        auditoriums.iter().filter(|a| a.ppe_code == ppe_code && !a.reserve && room_kind_for(technology, a) == kind).collect();
    rooms.sort_by(|a, b| a.auditorium.cmp(&b.auditorium));
    rooms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(kind: Option<RoomKind>, oral: bool) -> Auditorium {
        serde_json::from_value(serde_json::json!({
            "ppe_code": "0101", "auditorium": "01", "rows": 5, "columns": 5, "capacity": 25, "oral": oral, "room_kind": kind,
        }))
        .unwrap()
    }

    #[test]
    fn the_defaults_follow_kind_and_subject() {
        assert_eq!(default_technology(ExamKind::Interview, "01", "Итоговое собеседование"), Technology::OralInterview);
        assert_eq!(default_technology(ExamKind::Ege, "29", "Английский язык"), Technology::OralRecorded, "by the code");
        assert_eq!(default_technology(ExamKind::Ege, "99", "Немецкий язык (устная часть)"), Technology::OralRecorded, "by the name");
        assert_eq!(default_technology(ExamKind::Ege, "25", "Информатика"), Technology::Computer);
        assert_eq!(default_technology(ExamKind::Gve, "01", "Русский язык (устно)"), Technology::OralInterview);
        assert_eq!(default_technology(ExamKind::Ege, "02", "Математика"), Technology::Written);
        assert_eq!(default_technology(ExamKind::Oge, "29", "Английский язык"), Technology::Written, "29 is oral in ЕГЭ only");
        assert_eq!(default_technology(ExamKind::Oge, "25", "Информатика"), Technology::Written, "ОГЭ informatics is written unless the plan says");
        assert_eq!(default_technology(ExamKind::Oge, "05", "Информатика (на компьютере)"), Technology::Computer, "or its name");
    }

    #[test]
    fn the_plan_column_wins_and_parses_in_either_spelling() {
        assert_eq!(Technology::parse(""), Some(None));
        assert_eq!(Technology::parse("computer"), Some(Some(Technology::Computer)));
        assert_eq!(Technology::parse("КЕГЭ"), Some(Some(Technology::Computer)));
        assert_eq!(Technology::parse("Говорение"), Some(Some(Technology::OralRecorded)));
        assert_eq!(Technology::parse("телепатия"), None, "an unknown word is refused, not defaulted");
        assert_eq!(RoomKind::parse("ожидания"), Some(Some(RoomKind::Waiting)));
        assert_eq!(RoomKind::parse("кухня"), None);
        for t in Technology::ALL {
            assert_eq!(Technology::parse(t.code()), Some(Some(t)));
            assert_eq!(t.profile().technology, t, "every technology has its profile");
        }
        for k in RoomKind::ALL {
            assert_eq!(RoomKind::parse(k.code()), Some(Some(k)));
        }
    }

    #[test]
    fn oral_exams_get_30_minutes_and_a_length_per_participant_written_ones_90_and_none() {
        assert_eq!(Technology::OralInterview.profile().extra_time_min, 30);
        assert_eq!(Technology::OralRecorded.profile().extra_time_min, 30);
        assert_eq!(Technology::Written.profile().extra_time_min, 90);
        assert_eq!(Technology::Computer.profile().extra_time_min, 90);
        assert_eq!(Technology::OralInterview.profile().minutes_per_participant, Some(15));
        assert_eq!(Technology::OralRecorded.profile().minutes_per_participant, Some(17));
        assert_eq!(Technology::Written.profile().minutes_per_participant, None);
        assert!(Technology::OralInterview.profile().collected.audio && !Technology::OralInterview.profile().collected.pages);
        assert!(Technology::Computer.profile().collected.answer_files);
        assert!(!Technology::Written.profile().collected.audio);
    }

    #[test]
    fn a_rooms_kind_follows_the_exams_technology_and_the_rooms_column() {
        use RoomKind::*;
        use Technology::*;
        assert_eq!(room_kind_for(Written, &room(Some(Conducting), true)), Standard, "a written exam's rooms are ordinary");
        assert_eq!(room_kind_for(OralInterview, &room(Some(Conducting), false)), Conducting);
        assert_eq!(room_kind_for(OralInterview, &room(Some(Waiting), true)), Waiting, "the column wins over the oral flag");
        assert_eq!(room_kind_for(OralInterview, &room(None, true)), Conducting, "the oral flag when the column is empty");
        assert_eq!(room_kind_for(OralRecorded, &room(None, false)), Waiting);
        assert_eq!(room_kind_for(OralRecorded, &room(Some(Workstation), false)), Conducting, "a computer room records");
        assert_eq!(room_kind_for(Computer, &room(None, false)), Workstation);
        assert_eq!(Waiting.title_ru(OralRecorded), "аудитория подготовки");
        assert_eq!(Waiting.title_ru(OralInterview), "аудитория ожидания");
        assert!(Conducting.has_queue() && !Waiting.has_queue());
    }

    #[test]
    fn each_technology_prints_its_own_forms_and_not_the_others() {
        use Technology::*;
        let prints = |t: Technology, form: &str| t.profile().prints(form);
        // A written day: as always.
        for form in ["ППЭ-05-01", "ППЭ-05-02", "ППЭ-12-04-МАШ", "ППЭ-13-02-МАШ", "ППЭ-14-02", "ППЭ-18-МАШ", "ППЭ-21"] {
            assert!(prints(Written, form), "written prints {form}");
        }
        for form in ["ИС-02", "ИС-03", "ППЭ-05-03-У", "ППЭ-13-03-У", "ППЭ-13-03-К", "ППЭ-14-02-К"] {
            assert!(!prints(Written, form), "written never prints {form}");
        }
        // ИС-9: its ведомость and protocol, its lists, no written auditorium forms.
        for form in ["ИС-02", "ИС-03", "ППЭ-05-01", "ППЭ-06-02", "ППЭ-07", "ППЭ-21"] {
            assert!(prints(OralInterview, form), "ИС-9 prints {form}");
        }
        for form in ["ППЭ-05-02", "ППЭ-12-04-МАШ", "ППЭ-13-02-МАШ", "ППЭ-14-02", "ППЭ-05-04-У", "ППЭ-13-03-К"] {
            assert!(!prints(OralInterview, form), "ИС-9 never prints {form}");
        }
        // «Говорение»: preparation and recording protocols and the oral summary.
        for form in ["ППЭ-05-03-У", "ППЭ-05-04-У", "ППЭ-13-03-У", "ППЭ-05-01", "ППЭ-14-02", "ППЭ-18-МАШ"] {
            assert!(prints(OralRecorded, form), "«Говорение» prints {form}");
        }
        for form in ["ППЭ-05-02", "ППЭ-12-04-МАШ", "ППЭ-13-02-МАШ", "ИС-02", "ИС-03", "ППЭ-14-02-К"] {
            assert!(!prints(OralRecorded, form), "«Говорение» never prints {form}");
        }
        // КЕГЭ: the written room forms, its own summary and materials record in place of the written ones.
        for form in ["ППЭ-05-02", "ППЭ-12-04-МАШ", "ППЭ-13-03-К", "ППЭ-14-02-К", "ППЭ-05-01", "ППЭ-18-МАШ"] {
            assert!(prints(Computer, form), "КЕГЭ prints {form}");
        }
        for form in ["ППЭ-13-02-МАШ", "ППЭ-14-02", "ППЭ-05-03-У", "ИС-02"] {
            assert!(!prints(Computer, form), "КЕГЭ never prints {form}");
        }
        for t in Technology::ALL {
            let forms = forms_of_day(t);
            let mut unique = forms.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), forms.len(), "{t:?}: each form once");
            assert!(ACTS.iter().all(|a| forms.contains(a)), "{t:?}: the acts exist whenever their event happens");
        }
    }
}
