//! The plan's tables and their columns: which cells each table has, which are required,
//! and the format (order 805 §21) each cell is checked against.

use Format::*;

/// How a cell is checked (order 805 §21 formats, plus stricter shapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// §21 а + б: letters, digits and the listed signs.
    Text,
    /// Personal names: letters, hyphen, space.
    Name,
    /// Identifiers and codes: Latin letters, digits, `-`, `_`.
    Code,
    /// §21 в: digits and `,`, `-`, space; here a whole number.
    Number,
    /// §21 г: a date, stored `ГГГГ.ММ.ДД`.
    Date,
    /// `ЧЧ:ММ`
    Time,
    /// да/нет, true/false, 1/0
    Bool,
    /// A phone number: digits, `+`, `(`, `)`, `-`, space.
    Phone,
    /// An e-mail address.
    Email,
    /// SNILS, `XXX-XXX-XXX YY`, checksum checked.
    Snils,
    /// A `;`-separated list of codes.
    CodeList,
    /// One of a closed set of values (checked by the converter).
    Enum,
    /// A `;`-separated list of values of a closed set, codes or Russian titles (checked by the converter).
    EnumList,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    pub format: Format,
    /// Russian title for documentation and messages.
    pub title: &'static str,
}

const fn col(name: &'static str, required: bool, format: Format, title: &'static str) -> Column {
    Column { name, required, format, title }
}

pub const EXAM_COLUMNS: &[Column] = &[
    col("exam_id", true, Code, "идентификатор экзамена"),
    col("kind", true, Enum, "форма: ege, oge, gve, interview, essay"),
    col("level", true, Number, "уровень: 9 или 11"),
    col("subject_code", true, Code, "код предмета"),
    col("subject_name", true, Text, "наименование предмета"),
    col("date", true, Date, "дата экзамена"),
    col("start", true, Time, "время начала"),
    col("duration_min", true, Number, "продолжительность, мин"),
    col("materials_open_before_min", true, Number, "окно материалов открывается за N мин до начала"),
    col("materials_close_after_start_min", true, Number, "ключи не выдаются через N мин после начала"),
    col("upload_deadline_after_end_min", true, Number, "срок передачи: N мин после окончания"),
    col("utc_offset_min", false, Number, "смещение местного времени от UTC, мин"),
    col("kit", false, CodeList, "комплект участника: коды бланков через ; (пусто — по виду экзамена)"),
    col("kim_print", false, Enum, "печать КИМ: in_room (в аудитории) или ahead (заранее, ТОМ)"),
    col("technology", false, Enum, "технология: written, oral_interview, oral_recorded, computer (пусто — по виду экзамена и предмету)"),
    // Moments relative to the exam date, local time (model/windows.rs); empty: by kind and technology.
    col(
        "materials_open_at",
        false,
        Enum,
        "окно КИМ открывается: ЧЧ:ММ в день экзамена или ±Д ЧЧ:ММ (пусто — по виду экзамена, ИС-9 07:30; нет — за N мин до начала)",
    ),
    col("documents_open_at", false, Enum, "пакет документов выдаётся с: -Д ЧЧ:ММ (пусто — ИС-9 за 7 дней в 10:00; нет — без пакета)"),
    col("upload_due_at", false, Enum, "срок передачи: +Д ЧЧ:ММ после даты экзамена (пусто — ИС-9 +6 23:59; нет — N мин после окончания)"),
];

pub const EXAM_POINT_COLUMNS: &[Column] = &[
    col("ppe_code", true, Code, "код ППЭ"),
    col("name", true, Text, "наименование ППЭ"),
    col("address", true, Text, "адрес"),
    col("ate_code", true, Code, "код АТЕ"),
    col("ate_name", true, Text, "наименование АТЕ"),
    col("point_type", false, Enum, "тип ППЭ: ordinary, home, tom, uis, abroad (или по-русски)"),
    // Required in new plans; an old file takes the offset of the point's exams (compat.rs).
    col("utc_offset_min", false, Number, "смещение местного времени ППЭ от UTC, мин (Томск 420)"),
];

pub const AUDITORIUM_COLUMNS: &[Column] = &[
    col("ppe_code", true, Code, "код ППЭ"),
    col("auditorium", true, Code, "номер аудитории"),
    col("rows", true, Number, "рядов"),
    col("columns", true, Number, "мест в ряду"),
    col("capacity", true, Number, "вместимость"),
    col("special_needs", false, Bool, "для участников с ОВЗ"),
    col("video", false, Bool, "видеонаблюдение"),
    col("oral", false, Bool, "для устных ответов"),
    col("reserve", false, Bool, "резервная"),
    col("unusable_seats", false, Text, "неиспользуемые места, через ;"),
    col("floor", false, Number, "этаж"),
    col(
        "room_kind",
        false,
        Enum,
        "вид аудитории для устных и компьютерных экзаменов: waiting, conducting, workstation, standard (пусто — по признаку oral)",
    ),
];

pub const PARTICIPANT_COLUMNS: &[Column] = &[
    col("participant_id", true, Code, "идентификатор участника"),
    col("surname", true, Name, "фамилия"),
    col("name", true, Name, "имя"),
    col("patronymic", false, Name, "отчество"),
    col("sex", true, Enum, "пол: М или Ж"),
    col("birth_date", true, Date, "дата рождения"),
    col("phone", false, Phone, "контактный телефон"),
    col("citizenship", true, Text, "гражданство"),
    col("snils", false, Snils, "СНИЛС"),
    col("doc_type", true, Enum, "тип документа"),
    col("doc_series", false, Text, "серия документа"),
    col("doc_number", true, Text, "номер документа"),
    // Required except for graduates of past years (order 805 §11.3): checked per row.
    col("school_code", false, Code, "код образовательной организации (нет у выпускников прошлых лет)"),
    col("school_name", false, Text, "наименование образовательной организации (нет у выпускников прошлых лет)"),
    col("class", false, Text, "класс"),
    col("study_form", true, Text, "форма обучения"),
    col("category", true, Text, "категория участника"),
    col("health", false, Enum, "ОВЗ/инвалидность: none, ovz, disabled_child, disabled"),
    col("extra_time", false, Bool, "увеличение продолжительности на 1,5 ч"),
    col("separate_room", false, Bool, "отдельная аудитория"),
    col("large_print", false, Bool, "увеличенный шрифт"),
    col("assistant", false, Bool, "ассистент"),
    col("braille", false, Bool, "шрифт Брайля"),
    col("computer", false, Bool, "компьютер"),
    // Required in new plans; a file without the column is an old one (see validate/compat.rs).
    col("admitted", false, Bool, "допуск к ГИА (§11.2ж): да/нет"),
];

pub const REGISTRATION_COLUMNS: &[Column] = &[
    col("exam_id", true, Code, "идентификатор экзамена"),
    col("participant_id", true, Code, "идентификатор участника"),
    col("ppe_code", true, Code, "код ППЭ"),
];

pub const WORKER_COLUMNS: &[Column] = &[
    col("worker_id", true, Code, "идентификатор работника"),
    col("surname", true, Name, "фамилия"),
    col("name", true, Name, "имя"),
    col("patronymic", false, Name, "отчество"),
    col("birth_year", true, Number, "год рождения"),
    col("phone", false, Phone, "контактный телефон"),
    col("email", false, Email, "адрес электронной почты"),
    col("snils", false, Snils, "СНИЛС"),
    col("doc_type", true, Enum, "тип документа"),
    col("doc_series", false, Text, "серия документа"),
    col("doc_number", true, Text, "номер документа"),
    col("workplace", true, Text, "место работы"),
    col("workplace_school_code", false, Code, "код ОО места работы"),
    col("position", true, Text, "должность"),
    col("specializations", false, CodeList, "предметная специализация, коды через ;"),
    col("roles", true, EnumList, "виды работ через ; (коды или названия)"),
    col("forbidden_subjects", false, CodeList, "предметы, по которым не может быть организатором"),
];

pub const WORKER_ASSIGNMENT_COLUMNS: &[Column] = &[
    col("worker_id", true, Code, "идентификатор работника"),
    col("ppe_code", true, Code, "код ППЭ"),
    col("date", true, Date, "дата"),
    col("reserve", false, Bool, "резерв"),
];

pub const OBSERVER_COLUMNS: &[Column] = &[
    col("observer_id", true, Code, "идентификатор общественного наблюдателя"),
    col("surname", true, Name, "фамилия"),
    col("name", true, Name, "имя"),
    col("patronymic", false, Name, "отчество"),
    col("sex", true, Enum, "пол: М или Ж"),
    col("birth_year", true, Number, "год рождения"),
    col("phone", false, Phone, "контактный телефон"),
    col("email", false, Email, "адрес электронной почты"),
    col("doc_type", true, Enum, "тип документа"),
    col("doc_series", false, Text, "серия документа"),
    col("doc_number", true, Text, "номер документа"),
    col("accrediting_body", true, Text, "орган, осуществивший аккредитацию"),
    col("certificate_number", true, Text, "номер удостоверения общественного наблюдателя"),
];

pub const OBSERVER_ASSIGNMENT_COLUMNS: &[Column] = &[
    col("observer_id", true, Code, "идентификатор общественного наблюдателя"),
    col("ppe_code", true, Code, "код ППЭ"),
    col("date", true, Date, "дата"),
];

/// Table names in dependency order, with their columns.
pub const TABLES: &[(&str, &[Column])] = &[
    ("exams", EXAM_COLUMNS),
    ("exam_points", EXAM_POINT_COLUMNS),
    ("auditoriums", AUDITORIUM_COLUMNS),
    ("participants", PARTICIPANT_COLUMNS),
    ("registrations", REGISTRATION_COLUMNS),
    ("workers", WORKER_COLUMNS),
    ("worker_assignments", WORKER_ASSIGNMENT_COLUMNS),
    ("observers", OBSERVER_COLUMNS),
    ("observer_assignments", OBSERVER_ASSIGNMENT_COLUMNS),
];

pub fn columns_of(table: &str) -> Option<&'static [Column]> {
    TABLES.iter().find(|t| t.0 == table).map(|t| t.1)
}
