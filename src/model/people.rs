//! The people of an exam day (order 805 §11, §16, §17): participants and their special
//! conditions, workers and their kinds of work, public observers, and their points and dates.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    #[serde(rename = "М")]
    Male,
    #[serde(rename = "Ж")]
    Female,
}

impl Sex {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_lowercase().as_str() {
            "м" | "m" | "муж" | "мужской" | "male" => Some(Self::Male),
            "ж" | "f" | "w" | "жен" | "женский" | "female" => Some(Self::Female),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Self::Male => "М",
            Self::Female => "Ж",
        }
    }
}

/// Type of an identity document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocType {
    /// паспорт гражданина РФ: series 4 digits, number 6 digits
    PassportRf,
    /// свидетельство о рождении: series like `IV-МЮ`, number 6 digits
    BirthCertificate,
    /// паспорт иностранного гражданина: free shape
    ForeignPassport,
    /// иной документ
    Other,
}

impl DocType {
    pub const ALL: [DocType; 4] =
        [Self::PassportRf, Self::BirthCertificate, Self::ForeignPassport, Self::Other];
    pub fn code(self) -> &'static str {
        match self {
            Self::PassportRf => "passport_rf",
            Self::BirthCertificate => "birth_certificate",
            Self::ForeignPassport => "foreign_passport",
            Self::Other => "other",
        }
    }
    pub fn title_ru(self) -> &'static str {
        match self {
            Self::PassportRf => "паспорт гражданина РФ",
            Self::BirthCertificate => "свидетельство о рождении",
            Self::ForeignPassport => "паспорт иностранного гражданина",
            Self::Other => "иной документ",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_lowercase();
        Self::ALL.into_iter().find(|d| d.code() == t || d.title_ru() == t).or(match t.as_str() {
            "паспорт" | "паспорт рф" | "1" => Some(Self::PassportRf),
            "свидетельство" | "2" => Some(Self::BirthCertificate),
            "3" => Some(Self::ForeignPassport),
            _ => None,
        })
    }
}

/// Category of health limitations (ОВЗ, ребёнок-инвалид, инвалид).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HealthCategory {
    #[default]
    None,
    /// лицо с ОВЗ
    Ovz,
    /// ребёнок-инвалид
    DisabledChild,
    /// инвалид
    Disabled,
}

impl HealthCategory {
    pub const ALL: [HealthCategory; 4] = [Self::None, Self::Ovz, Self::DisabledChild, Self::Disabled];
    pub fn code(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Ovz => "ovz",
            Self::DisabledChild => "disabled_child",
            Self::Disabled => "disabled",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_lowercase();
        if t.is_empty() || t == "нет" {
            return Some(Self::None);
        }
        Self::ALL.into_iter().find(|h| h.code() == t).or(match t.as_str() {
            "овз" => Some(Self::Ovz),
            "ребенок-инвалид" | "ребёнок-инвалид" => Some(Self::DisabledChild),
            "инвалид" => Some(Self::Disabled),
            _ => None,
        })
    }
}

/// Special conditions an exam must provide for a participant (ОВЗ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct SpecialConditions {
    /// +1.5 h
    #[serde(default)]
    pub extra_time: bool,
    #[serde(default)]
    pub separate_room: bool,
    #[serde(default)]
    pub large_print: bool,
    #[serde(default)]
    pub assistant: bool,
    #[serde(default)]
    pub braille: bool,
    #[serde(default)]
    pub computer: bool,
}

impl SpecialConditions {
    pub fn any(&self) -> bool {
        self.extra_time
            || self.separate_room
            || self.large_print
            || self.assistant
            || self.braille
            || self.computer
    }
    /// Conditions that can only be met in an auditorium flagged for special needs.
    pub fn needs_special_room(&self) -> bool {
        self.separate_room || self.braille || self.computer || self.assistant || self.large_print
    }
}

/// A participant of ГИА (order 805 §11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Stable identifier within the region's plan.
    pub participant_id: String,
    pub surname: String,
    pub name: String,
    #[serde(default)]
    pub patronymic: String,
    pub sex: Sex,
    /// `ГГГГ.ММ.ДД`
    pub birth_date: String,
    #[serde(default)]
    pub phone: String,
    pub citizenship: String,
    /// `XXX-XXX-XXX YY` or empty.
    #[serde(default)]
    pub snils: String,
    pub doc_type: DocType,
    #[serde(default)]
    pub doc_series: String,
    pub doc_number: String,
    pub school_code: String,
    pub school_name: String,
    #[serde(default)]
    pub class: String,
    /// очная, очно-заочная, заочная, семейное образование, самообразование
    pub study_form: String,
    /// обучающийся, выпускник прошлых лет, экстерн, обучающийся СПО …
    pub category: String,
    #[serde(default)]
    pub health: HealthCategory,
    #[serde(flatten)]
    pub conditions: SpecialConditions,
    /// допуск к ГИА (§11.2ж): a participant without it is not seated, printed or expected.
    /// Required in new plan files; records stored before the field existed read as admitted.
    #[serde(default = "admitted_by_default")]
    pub admitted: bool,
}

fn admitted_by_default() -> bool {
    true
}

impl Participant {
    pub fn full_name(&self) -> String {
        join_name(&self.surname, &self.name, &self.patronymic)
    }
    pub fn document(&self) -> String {
        if self.doc_series.is_empty() {
            self.doc_number.clone()
        } else {
            format!("{} {}", self.doc_series, self.doc_number)
        }
    }
}

pub fn join_name(surname: &str, name: &str, patronymic: &str) -> String {
    let mut s = format!("{surname} {name}");
    if !patronymic.is_empty() {
        s.push(' ');
        s.push_str(patronymic);
    }
    s
}

/// A participant registered for an exam at an exam point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub exam_id: String,
    pub participant_id: String,
    pub ppe_code: String,
}

/// Roles a worker may hold in an exam point (order 805 §16 "вид работ").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum WorkerRole {
    /// руководитель ППЭ
    Head,
    /// член ГЭК
    GekMember,
    /// технический специалист
    TechSpecialist,
    /// организатор в аудитории
    OrganizerInRoom,
    /// организатор вне аудитории
    OrganizerOutside,
    /// ассистент
    Assistant,
    /// медицинский работник
    Medical,
    /// экзаменатор-собеседник (oral ГВЭ, ИС-9)
    Examiner,
    /// эксперт, оценивающий ответы (ИС-9)
    Expert,
    /// специалист по проведению лабораторных работ
    LabSpecialist,
    /// технический специалист по видеонаблюдению
    VideoTechnician,
}

impl WorkerRole {
    pub const ALL: [WorkerRole; 11] = [
        Self::Head,
        Self::GekMember,
        Self::TechSpecialist,
        Self::OrganizerInRoom,
        Self::OrganizerOutside,
        Self::Assistant,
        Self::Medical,
        Self::Examiner,
        Self::Expert,
        Self::LabSpecialist,
        Self::VideoTechnician,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::Head => "head",
            Self::GekMember => "gek_member",
            Self::TechSpecialist => "tech_specialist",
            Self::OrganizerInRoom => "organizer_in_room",
            Self::OrganizerOutside => "organizer_outside",
            Self::Assistant => "assistant",
            Self::Medical => "medical",
            Self::Examiner => "examiner",
            Self::Expert => "expert",
            Self::LabSpecialist => "lab_specialist",
            Self::VideoTechnician => "video_technician",
        }
    }
    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Head => "руководитель ППЭ",
            Self::GekMember => "член ГЭК",
            Self::TechSpecialist => "технический специалист",
            Self::OrganizerInRoom => "организатор в аудитории",
            Self::OrganizerOutside => "организатор вне аудитории",
            Self::Assistant => "ассистент",
            Self::Medical => "медицинский работник",
            Self::Examiner => "экзаменатор-собеседник",
            Self::Expert => "эксперт",
            Self::LabSpecialist => "специалист по проведению лабораторных работ",
            Self::VideoTechnician => "технический специалист по видеонаблюдению",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_lowercase();
        Self::ALL.into_iter().find(|r| r.code() == t || r.title_ru().to_lowercase() == t)
    }
}

/// A worker of exam points (order 805 §16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worker {
    pub worker_id: String,
    pub surname: String,
    pub name: String,
    #[serde(default)]
    pub patronymic: String,
    pub birth_year: u16,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub snils: String,
    pub doc_type: DocType,
    #[serde(default)]
    pub doc_series: String,
    pub doc_number: String,
    pub workplace: String,
    /// Code of the school the worker teaches at, if any (teacher-conflict rule).
    #[serde(default)]
    pub workplace_school_code: String,
    pub position: String,
    /// Subject codes of the worker's specialization, `;`-separated in flat formats.
    #[serde(default)]
    pub specializations: Vec<String>,
    /// Roles the worker may be assigned to.
    pub roles: Vec<WorkerRole>,
    /// Subjects the worker may not organize (seed 000, note 5).
    #[serde(default)]
    pub forbidden_subjects: Vec<String>,
}

impl Worker {
    pub fn full_name(&self) -> String {
        join_name(&self.surname, &self.name, &self.patronymic)
    }
}

/// A worker assigned to an exam point on a date (пункт-дата).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerAssignment {
    pub worker_id: String,
    pub ppe_code: String,
    /// `ГГГГ.ММ.ДД`
    pub date: String,
    /// Held in reserve for replacements.
    #[serde(default)]
    pub reserve: bool,
}

/// A public observer accredited for exam points (order 805 §17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observer {
    pub observer_id: String,
    pub surname: String,
    pub name: String,
    #[serde(default)]
    pub patronymic: String,
    pub sex: Sex,
    pub birth_year: u16,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    pub doc_type: DocType,
    #[serde(default)]
    pub doc_series: String,
    pub doc_number: String,
    /// The body that accredited the observer (орган, осуществивший аккредитацию).
    pub accrediting_body: String,
    /// Number of the observer's certificate (удостоверение).
    pub certificate_number: String,
}

impl Observer {
    pub fn full_name(&self) -> String {
        join_name(&self.surname, &self.name, &self.patronymic)
    }
}

/// An observer accredited for an exam point on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObserverAssignment {
    pub observer_id: String,
    pub ppe_code: String,
    /// `ГГГГ.ММ.ДД`
    pub date: String,
}
