//! Format-logical control (ФЛК) of plan data, as order 805 §21 defines it, plus the checks
//! any operator expects (SNILS checksum, document shapes, plausible birth dates, required
//! fields, references, duplicates).
//!
//! Pure: takes the plan as raw tables of strings (whatever file format they came from) and
//! returns either a typed [`Plan`] or every problem found, each naming the table, row, column
//! and reason in Russian. Nothing is partially accepted.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};

use crate::model::*;

/// A plan as tables of text cells, the common ground of CSV, XLSX and JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawTable {
    /// One of [`TABLES`].
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<RawRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// Where the row is in its source: line of a CSV, row of a sheet, index in a JSON array.
    pub line: usize,
    pub cells: Vec<String>,
}

/// One problem found by ФЛК.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub table: String,
    /// 0 when the problem is with the table or the file as a whole.
    pub line: usize,
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column.is_empty()) {
            (0, true) => write!(f, "таблица {}: {}", self.table, self.reason),
            (0, false) => write!(f, "таблица {}, столбец {}: {}", self.table, self.column, self.reason),
            (l, true) => write!(f, "таблица {}, строка {l}: {}", self.table, self.reason),
            (l, false) => write!(f, "таблица {}, строка {l}, столбец {}: {}", self.table, self.column, self.reason),
        }
    }
}

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

use Format::*;

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
];

pub const EXAM_POINT_COLUMNS: &[Column] = &[
    col("ppe_code", true, Code, "код ППЭ"),
    col("name", true, Text, "наименование ППЭ"),
    col("address", true, Text, "адрес"),
    col("ate_code", true, Code, "код АТЕ"),
    col("ate_name", true, Text, "наименование АТЕ"),
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
    col("school_code", true, Code, "код образовательной организации"),
    col("school_name", true, Text, "наименование образовательной организации"),
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
    col("roles", true, CodeList, "виды работ, через ;"),
    col("forbidden_subjects", false, CodeList, "предметы, по которым не может быть организатором"),
];

pub const WORKER_ASSIGNMENT_COLUMNS: &[Column] = &[
    col("worker_id", true, Code, "идентификатор работника"),
    col("ppe_code", true, Code, "код ППЭ"),
    col("date", true, Date, "дата"),
    col("reserve", false, Bool, "резерв"),
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
];

pub fn columns_of(table: &str) -> Option<&'static [Column]> {
    TABLES.iter().find(|t| t.0 == table).map(|t| t.1)
}

// ---------------------------------------------------------------------------------------
// Character classes and single-value rules (each pure, each tested).

/// §21 а: Cyrillic (including Ё/ё), Latin, digits.
pub fn is_text_letter(c: char) -> bool {
    c.is_ascii_alphanumeric() || ('А'..='я').contains(&c) || c == 'Ё' || c == 'ё'
}

/// §21 б: the listed signs (space included).
pub fn is_symbol_sign(c: char) -> bool {
    matches!(c, '.' | ',' | ':' | ';' | '-' | '/' | '\\' | '*' | '%' | '#' | '(' | ')' | '_' | ' ')
}

fn first_bad_char(value: &str, ok: impl Fn(char) -> bool) -> Option<char> {
    value.chars().find(|&c| !ok(c))
}

fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("«{c}» (U+{:04X})", c as u32)
    }
}

/// Checks one value against a format; returns the normalized value or the reason.
pub fn check_format(value: &str, format: Format) -> Result<String, String> {
    match format {
        Text => match first_bad_char(value, |c| is_text_letter(c) || is_symbol_sign(c)) {
            None => Ok(value.to_string()),
            Some(c) => Err(format!("недопустимый символ {} (разрешены буквы, цифры и знаки . , : ; - / \\ * % # ( ) _ пробел)", describe_char(c))),
        },
        Name => {
            if let Some(c) = first_bad_char(value, |c| (is_text_letter(c) && !c.is_ascii_digit()) || c == '-' || c == ' ') {
                return Err(format!("недопустимый символ {} в имени (разрешены буквы, дефис, пробел)", describe_char(c)));
            }
            if value.starts_with('-') || value.ends_with('-') || value.contains("--") || value.contains("  ") {
                return Err("дефис или пробел не на своём месте".into());
            }
            Ok(value.to_string())
        }
        // `.` is kept out of codes: it separates the fields of sheet codes (see sheet_code.rs).
        Code => match first_bad_char(value, |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')) {
            None => Ok(value.to_string()),
            Some(c) => Err(format!("недопустимый символ {} в коде (разрешены латинские буквы, цифры, - _)", describe_char(c))),
        },
        Number => {
            let compact: String = value.chars().filter(|c| *c != ' ').collect();
            if compact.is_empty() || !compact.trim_start_matches('-').chars().all(|c| c.is_ascii_digit()) || compact.trim_start_matches('-').is_empty() {
                return Err(format!("«{value}» не является целым числом"));
            }
            Ok(compact)
        }
        Date => normalize_date(value),
        Time => {
            let t = chrono::NaiveTime::parse_from_str(value, "%H:%M").map_err(|_| format!("«{value}» не является временем ЧЧ:ММ"))?;
            Ok(t.format("%H:%M").to_string())
        }
        Bool => parse_bool(value).map(|b| if b { "true".into() } else { "false".into() }),
        Phone => {
            if let Some(c) = first_bad_char(value, |c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | ' ')) {
                return Err(format!("недопустимый символ {} в телефоне", describe_char(c)));
            }
            let digits = value.chars().filter(char::is_ascii_digit).count();
            if !(5..=15).contains(&digits) {
                return Err(format!("в телефоне {digits} цифр, ожидается от 5 до 15"));
            }
            Ok(value.to_string())
        }
        Email => {
            let ok = value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
            }) && !value.chars().any(|c| c.is_whitespace() || c.is_control());
            if ok { Ok(value.to_string()) } else { Err(format!("«{value}» не похоже на адрес электронной почты")) }
        }
        Snils => normalize_snils(value),
        CodeList => {
            for item in split_list(value) {
                check_format(&item, Code)?;
            }
            Ok(split_list(value).join(";"))
        }
        Enum => Ok(value.to_string()),
    }
}

pub fn split_list(value: &str) -> Vec<String> {
    value.split([';', ',']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

pub fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_lowercase().as_str() {
        "" | "0" | "нет" | "false" | "no" | "н" => Ok(false),
        "1" | "да" | "true" | "yes" | "д" => Ok(true),
        _ => Err(format!("«{value}» не является признаком да/нет")),
    }
}

/// Accepts `ГГГГ.ММ.ДД`, `YYYY-MM-DD` and `DD.MM.YYYY`; returns `ГГГГ.ММ.ДД`.
pub fn normalize_date(value: &str) -> Result<String, String> {
    let v = value.trim();
    // A date written by a spreadsheet may carry a time part: `2008-05-14 00:00:00`, `2008-05-14T00:00:00`.
    let v = v.split(['T', ' ']).next().unwrap_or(v);
    let parsed = NaiveDate::parse_from_str(v, "%Y.%m.%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%Y-%m-%d"))
        .or_else(|_| NaiveDate::parse_from_str(v, "%d.%m.%Y"));
    match parsed {
        Ok(d) if (1900..=2100).contains(&d.year()) && (v.len() == 10) => Ok(d.format("%Y.%m.%d").to_string()),
        _ => Err(format!("«{value}» не является датой (ГГГГ.ММ.ДД, ГГГГ-ММ-ДД или ДД.ММ.ГГГГ)")),
    }
}

pub fn parse_stored_date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y.%m.%d").ok()
}

/// The SNILS control number of its first nine digits.
pub fn snils_checksum(first9: &[u8; 9]) -> u8 {
    let sum: u32 = first9.iter().enumerate().map(|(i, &d)| u32::from(d) * (9 - i as u32)).sum();
    let c = if sum < 100 {
        sum
    } else if sum <= 101 {
        0
    } else {
        let r = sum % 101;
        if r == 100 { 0 } else { r }
    };
    c as u8
}

/// Formats nine digits as a SNILS with its checksum: `XXX-XXX-XXX YY`.
pub fn format_snils(first9: &[u8; 9]) -> String {
    let d: String = first9.iter().map(|d| char::from(b'0' + d)).collect();
    format!("{}-{}-{} {:02}", &d[0..3], &d[3..6], &d[6..9], snils_checksum(first9))
}

/// Accepts `XXX-XXX-XXX YY` or 11 digits; checks the checksum; returns the dashed form.
pub fn normalize_snils(value: &str) -> Result<String, String> {
    let digits: Vec<u8> = value.chars().filter(char::is_ascii_digit).map(|c| c as u8 - b'0').collect();
    if value.chars().any(|c| !(c.is_ascii_digit() || c == '-' || c == ' ')) || digits.len() != 11 {
        return Err(format!("«{value}» не является СНИЛС (11 цифр, XXX-XXX-XXX YY)"));
    }
    let mut first9 = [0u8; 9];
    first9.copy_from_slice(&digits[..9]);
    let given = digits[9] * 10 + digits[10];
    let number: u32 = first9.iter().fold(0, |n, &d| n * 10 + u32::from(d));
    // Numbers up to 001-001-998 were issued before checksums existed.
    if number > 1_001_998 && snils_checksum(&first9) != given {
        return Err(format!("СНИЛС «{value}»: неверная контрольная сумма (ожидается {:02})", snils_checksum(&first9)));
    }
    Ok(format_snils(&first9).replace(&format!(" {:02}", snils_checksum(&first9)), &format!(" {given:02}")))
}

/// Checks series and number against the document type; returns normalized (series, number).
pub fn check_document(doc_type: DocType, series: &str, number: &str) -> Result<(String, String), String> {
    let series_compact: String = series.chars().filter(|c| !c.is_whitespace()).collect();
    match doc_type {
        DocType::PassportRf => {
            if series_compact.len() != 4 || !series_compact.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("серия паспорта РФ «{series}»: ожидается 4 цифры"));
            }
            if number.len() != 6 || !number.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("номер паспорта РФ «{number}»: ожидается 6 цифр"));
            }
            Ok((series_compact, number.to_string()))
        }
        DocType::BirthCertificate => {
            let upper = series_compact.to_uppercase();
            let ok = upper.split_once('-').is_some_and(|(roman, letters)| {
                !roman.is_empty()
                    && roman.chars().all(|c| matches!(c, 'I' | 'V' | 'X' | 'L' | 'C' | 'І'))
                    && letters.chars().count() == 2
                    && letters.chars().all(|c| ('А'..='Я').contains(&c) || c == 'Ё')
            });
            if !ok {
                return Err(format!("серия свидетельства о рождении «{series}»: ожидается римское число, дефис и две буквы (IV-МЮ)"));
            }
            if number.len() != 6 || !number.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("номер свидетельства о рождении «{number}»: ожидается 6 цифр"));
            }
            Ok((upper, number.to_string()))
        }
        DocType::ForeignPassport | DocType::Other => {
            if number.chars().filter(|c| c.is_alphanumeric()).count() < 4 {
                return Err(format!("номер документа «{number}»: слишком короткий"));
            }
            Ok((series.to_string(), number.to_string()))
        }
    }
}

/// Whether a birth date is plausible for a participant of an exam of `level` held on
/// `exam_date`: ГИА-9 participants are 12–25 years old, ГИА-11 participants (including
/// graduates of past years) 14–80.
pub fn check_birth_date(birth: NaiveDate, level: u8, exam_date: NaiveDate) -> Result<(), String> {
    let age = exam_date.years_since(birth).map(i64::from).unwrap_or(-1);
    let (lo, hi) = if level == 9 { (12, 25) } else { (14, 80) };
    if age < lo || age > hi {
        return Err(format!("дата рождения {}: возраст {age} лет неправдоподобен для ГИА-{level} (ожидается {lo}–{hi})", birth.format("%Y.%m.%d")));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Tables to a typed plan.

struct RowReader<'a> {
    table: &'a str,
    line: usize,
    index: &'a HashMap<&'a str, usize>,
    cells: &'a [String],
    columns: &'static [Column],
    issues: &'a mut Vec<Issue>,
    ok: bool,
}

impl RowReader<'_> {
    fn problem(&mut self, column: &str, reason: String) {
        self.ok = false;
        self.issues.push(Issue { table: self.table.to_string(), line: self.line, column: column.to_string(), reason });
    }

    fn raw(&self, name: &str) -> String {
        self.index.get(name).and_then(|&i| self.cells.get(i)).map(|s| s.trim().to_string()).unwrap_or_default()
    }

    /// A checked, normalized value ("" for an absent optional one).
    fn get(&mut self, name: &str) -> String {
        let Some(column) = self.columns.iter().find(|c| c.name == name) else { return String::new() };
        let value = self.raw(name);
        if value.is_empty() {
            if column.required {
                self.problem(name, "обязательное поле не заполнено".into());
            }
            return String::new();
        }
        match check_format(&value, column.format) {
            Ok(v) => v,
            Err(reason) => {
                self.problem(name, reason);
                String::new()
            }
        }
    }

    fn number<T: std::str::FromStr + Default>(&mut self, name: &str, range: std::ops::RangeInclusive<i64>) -> T {
        let v = self.get(name);
        if v.is_empty() {
            return T::default();
        }
        match v.parse::<i64>() {
            Ok(n) if range.contains(&n) => v.parse().unwrap_or_default(),
            _ => {
                self.problem(name, format!("{v} вне допустимого диапазона {}–{}", range.start(), range.end()));
                T::default()
            }
        }
    }

    fn flag(&mut self, name: &str) -> bool {
        self.get(name) == "true"
    }

    fn list(&mut self, name: &str) -> Vec<String> {
        split_list(&self.get(name))
    }

    fn parse_enum<T>(&mut self, name: &str, parse: impl Fn(&str) -> Option<T>, allowed: &str) -> Option<T> {
        let v = self.get(name);
        if v.is_empty() {
            return parse("");
        }
        let parsed = parse(&v);
        if parsed.is_none() {
            self.problem(name, format!("«{v}»: недопустимое значение (допустимо: {allowed})"));
        }
        parsed
    }
}

/// Rows converted to typed records, each remembering its source line.
#[derive(Default)]
struct Located {
    exams: Vec<(usize, Exam)>,
    exam_points: Vec<(usize, ExamPoint)>,
    auditoriums: Vec<(usize, Auditorium)>,
    participants: Vec<(usize, Participant)>,
    registrations: Vec<(usize, Registration)>,
    workers: Vec<(usize, Worker)>,
    worker_assignments: Vec<(usize, WorkerAssignment)>,
    /// Keys of rows refused already (`table/key`): references to them are not reported
    /// again, so one bad participant gives one message, not one per registration.
    rejected: HashSet<String>,
}

/// Runs ФЛК over raw tables. Either the whole plan is good, or every problem is returned.
pub fn check_plan(tables: &[RawTable]) -> Result<Plan, Vec<Issue>> {
    let mut issues = Vec::new();
    let mut located = Located::default();
    let mut seen_tables = HashSet::new();
    for table in tables {
        let Some(columns) = columns_of(&table.name) else {
            issues.push(Issue { table: table.name.clone(), line: 0, column: String::new(), reason: format!("неизвестная таблица (ожидаются: {})", TABLES.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")) });
            continue;
        };
        if !seen_tables.insert(table.name.as_str()) {
            issues.push(Issue { table: table.name.clone(), line: 0, column: String::new(), reason: "таблица встречается дважды".into() });
            continue;
        }
        let index: HashMap<&str, usize> = table.columns.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
        let mut header_ok = true;
        for c in &table.columns {
            if !columns.iter().any(|k| k.name == c) {
                issues.push(Issue { table: table.name.clone(), line: 0, column: c.clone(), reason: "неизвестный столбец".into() });
                header_ok = false;
            }
        }
        for c in columns.iter().filter(|c| c.required) {
            if !index.contains_key(c.name) {
                issues.push(Issue { table: table.name.clone(), line: 0, column: c.name.to_string(), reason: format!("нет обязательного столбца ({})", c.title) });
                header_ok = false;
            }
        }
        if !header_ok {
            continue;
        }
        for row in &table.rows {
            let mut r = RowReader { table: &table.name, line: row.line, index: &index, cells: &row.cells, columns, issues: &mut issues, ok: true };
            if row.cells.len() > table.columns.len() && row.cells[table.columns.len()..].iter().any(|c| !c.trim().is_empty()) {
                r.problem("", format!("в строке {} значений, а столбцов {}", row.cells.len(), table.columns.len()));
            }
            convert_row(&table.name, &mut r, &mut located);
            if !r.ok {
                let key_column = columns[0].name;
                let key = r.raw(key_column);
                located.rejected.insert(format!("{}/{key}", table.name));
            }
        }
    }
    cross_check(&located, &mut issues);
    if issues.is_empty() {
        Ok(Plan {
            exams: located.exams.into_iter().map(|x| x.1).collect(),
            exam_points: located.exam_points.into_iter().map(|x| x.1).collect(),
            auditoriums: located.auditoriums.into_iter().map(|x| x.1).collect(),
            participants: located.participants.into_iter().map(|x| x.1).collect(),
            registrations: located.registrations.into_iter().map(|x| x.1).collect(),
            workers: located.workers.into_iter().map(|x| x.1).collect(),
            worker_assignments: located.worker_assignments.into_iter().map(|x| x.1).collect(),
        })
    } else {
        Err(issues)
    }
}

fn convert_row(table: &str, r: &mut RowReader<'_>, out: &mut Located) {
    let line = r.line;
    match table {
        "exams" => {
            let exam = Exam {
                exam_id: r.get("exam_id"),
                kind: r.parse_enum("kind", ExamKind::parse, "ege, oge, gve, interview, essay").unwrap_or(ExamKind::Ege),
                level: r.number("level", 9..=11),
                subject_code: r.get("subject_code"),
                subject_name: r.get("subject_name"),
                date: r.get("date"),
                start: r.get("start"),
                duration_min: r.number("duration_min", 1..=600),
                materials_open_before_min: r.number("materials_open_before_min", 0..=10_080),
                materials_close_after_start_min: r.number("materials_close_after_start_min", 0..=1_440),
                upload_deadline_after_end_min: r.number("upload_deadline_after_end_min", 1..=43_200),
                utc_offset_min: if r.raw("utc_offset_min").is_empty() { default_utc_offset() } else { r.number("utc_offset_min", -720..=840) },
            };
            if r.ok && exam.level != 9 && exam.level != 11 {
                r.problem("level", format!("уровень {}: допустимо 9 или 11", exam.level));
            }
            let expected_level = match exam.kind {
                ExamKind::Ege | ExamKind::Essay => Some(11),
                ExamKind::Oge | ExamKind::Interview => Some(9),
                ExamKind::Gve => None,
            };
            if r.ok && expected_level.is_some_and(|l| l != exam.level) {
                r.problem("level", format!("{} проводится для уровня {}, указан {}", exam.kind.title_ru(), expected_level.unwrap_or(0), exam.level));
            }
            if r.ok {
                out.exams.push((line, exam));
            }
        }
        "exam_points" => {
            let p = ExamPoint { ppe_code: r.get("ppe_code"), name: r.get("name"), address: r.get("address"), ate_code: r.get("ate_code"), ate_name: r.get("ate_name") };
            if r.ok {
                out.exam_points.push((line, p));
            }
        }
        "auditoriums" => {
            let a = Auditorium {
                ppe_code: r.get("ppe_code"),
                auditorium: r.get("auditorium"),
                rows: r.number("rows", 1..=50),
                columns: r.number("columns", 1..=SEAT_LETTERS.len() as i64),
                capacity: r.number("capacity", 1..=1400),
                special_needs: r.flag("special_needs"),
                video: r.flag("video"),
                oral: r.flag("oral"),
                reserve: r.flag("reserve"),
                unusable_seats: r.get("unusable_seats"),
                floor: r.number("floor", 0..=100),
            };
            if r.ok {
                let mut unusable = 0u32;
                for label in split_list(&a.unusable_seats) {
                    match parse_seat_label(&label) {
                        Some((row, c)) if row <= a.rows && c <= a.columns => unusable += 1,
                        _ => r.problem("unusable_seats", format!("место «{label}» не существует в сетке {}×{}", a.rows, a.columns)),
                    }
                }
                let seats = u32::from(a.rows) * u32::from(a.columns) - unusable.min(u32::from(a.rows) * u32::from(a.columns));
                if u32::from(a.capacity) > seats {
                    r.problem("capacity", format!("вместимость {} больше числа мест {seats} ({}×{} без неиспользуемых)", a.capacity, a.rows, a.columns));
                }
            }
            if r.ok {
                out.auditoriums.push((line, a));
            }
        }
        "participants" => {
            let doc_type = r.parse_enum("doc_type", DocType::parse, "passport_rf, birth_certificate, foreign_passport, other");
            let mut p = Participant {
                participant_id: r.get("participant_id"),
                surname: r.get("surname"),
                name: r.get("name"),
                patronymic: r.get("patronymic"),
                sex: r.parse_enum("sex", Sex::parse, "М, Ж").unwrap_or(Sex::Male),
                birth_date: r.get("birth_date"),
                phone: r.get("phone"),
                citizenship: r.get("citizenship"),
                snils: r.get("snils"),
                doc_type: doc_type.unwrap_or(DocType::Other),
                doc_series: r.get("doc_series"),
                doc_number: r.get("doc_number"),
                school_code: r.get("school_code"),
                school_name: r.get("school_name"),
                class: r.get("class"),
                study_form: r.get("study_form"),
                category: r.get("category"),
                health: r.parse_enum("health", HealthCategory::parse, "none, ovz, disabled_child, disabled").unwrap_or_default(),
                conditions: SpecialConditions {
                    extra_time: r.flag("extra_time"),
                    separate_room: r.flag("separate_room"),
                    large_print: r.flag("large_print"),
                    assistant: r.flag("assistant"),
                    braille: r.flag("braille"),
                    computer: r.flag("computer"),
                },
            };
            if doc_type.is_some() && !p.doc_number.is_empty() {
                match check_document(p.doc_type, &p.doc_series, &p.doc_number) {
                    Ok((s, n)) => (p.doc_series, p.doc_number) = (s, n),
                    Err(reason) => r.problem(if reason.contains("серия") { "doc_series" } else { "doc_number" }, reason),
                }
            }
            if r.ok && p.conditions.any() && p.health == HealthCategory::None {
                r.problem("health", "особые условия указаны, но категория ОВЗ/инвалидности не указана".into());
            }
            if r.ok {
                out.participants.push((line, p));
            }
        }
        "registrations" => {
            let g = Registration { exam_id: r.get("exam_id"), participant_id: r.get("participant_id"), ppe_code: r.get("ppe_code") };
            if r.ok {
                out.registrations.push((line, g));
            }
        }
        "workers" => {
            let doc_type = r.parse_enum("doc_type", DocType::parse, "passport_rf, birth_certificate, foreign_passport, other");
            let roles_raw = r.list("roles");
            let mut roles = Vec::new();
            for code in &roles_raw {
                match WorkerRole::parse(code) {
                    Some(role) => roles.push(role),
                    None => r.problem("roles", format!("«{code}»: неизвестный вид работ (допустимо: {})", WorkerRole::ALL.map(|w| w.code()).join(", "))),
                }
            }
            let mut w = Worker {
                worker_id: r.get("worker_id"),
                surname: r.get("surname"),
                name: r.get("name"),
                patronymic: r.get("patronymic"),
                birth_year: r.number("birth_year", 1920..=2010),
                phone: r.get("phone"),
                email: r.get("email"),
                snils: r.get("snils"),
                doc_type: doc_type.unwrap_or(DocType::Other),
                doc_series: r.get("doc_series"),
                doc_number: r.get("doc_number"),
                workplace: r.get("workplace"),
                workplace_school_code: r.get("workplace_school_code"),
                position: r.get("position"),
                specializations: r.list("specializations"),
                roles,
                forbidden_subjects: r.list("forbidden_subjects"),
            };
            if doc_type.is_some() && !w.doc_number.is_empty() {
                match check_document(w.doc_type, &w.doc_series, &w.doc_number) {
                    Ok((s, n)) => (w.doc_series, w.doc_number) = (s, n),
                    Err(reason) => r.problem(if reason.contains("серия") { "doc_series" } else { "doc_number" }, reason),
                }
            }
            if r.ok {
                out.workers.push((line, w));
            }
        }
        "worker_assignments" => {
            let a = WorkerAssignment { worker_id: r.get("worker_id"), ppe_code: r.get("ppe_code"), date: r.get("date"), reserve: r.flag("reserve") };
            if r.ok {
                out.worker_assignments.push((line, a));
            }
        }
        _ => {}
    }
}

fn issue(table: &str, line: usize, column: &str, reason: String) -> Issue {
    Issue { table: table.into(), line, column: column.into(), reason }
}

/// Checks across rows: unique keys, references, duplicate persons, ages for the exams taken.
fn cross_check(p: &Located, issues: &mut Vec<Issue>) {
    fn unique<'a, T>(rows: &'a [(usize, T)], table: &str, column: &str, key: impl Fn(&'a T) -> String, issues: &mut Vec<Issue>) -> HashMap<String, usize> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (line, row) in rows {
            let k = key(row);
            if let Some(first) = seen.get(&k) {
                issues.push(issue(table, *line, column, format!("значение «{k}» повторяет строку {first}")));
            } else {
                seen.insert(k, *line);
            }
        }
        seen
    }
    let exams = unique(&p.exams, "exams", "exam_id", |e| e.exam_id.clone(), issues);
    let points = unique(&p.exam_points, "exam_points", "ppe_code", |e| e.ppe_code.clone(), issues);
    unique(&p.auditoriums, "auditoriums", "auditorium", |a| format!("{}/{}", a.ppe_code, a.auditorium), issues);
    let participants = unique(&p.participants, "participants", "participant_id", |x| x.participant_id.clone(), issues);
    let workers = unique(&p.workers, "workers", "worker_id", |w| w.worker_id.clone(), issues);
    unique(&p.registrations, "registrations", "participant_id", |g| format!("{}/{}", g.exam_id, g.participant_id), issues);
    unique(&p.worker_assignments, "worker_assignments", "date", |a| format!("{}/{}/{}", a.worker_id, a.ppe_code, a.date), issues);

    // The same person (same document) twice in one plan.
    let mut docs: HashMap<String, usize> = HashMap::new();
    for (line, x) in &p.participants {
        let key = format!("{}|{}|{}", x.doc_type.code(), x.doc_series.to_uppercase(), x.doc_number);
        if let Some(first) = docs.get(&key) {
            issues.push(issue("participants", *line, "doc_number", format!("документ {} {} уже указан у участника в строке {first}: один человек дважды", x.doc_series, x.doc_number)));
        } else {
            docs.insert(key, *line);
        }
    }
    let mut worker_docs: HashMap<String, usize> = HashMap::new();
    for (line, w) in &p.workers {
        let key = format!("{}|{}|{}", w.doc_type.code(), w.doc_series.to_uppercase(), w.doc_number);
        if let Some(first) = worker_docs.get(&key) {
            issues.push(issue("workers", *line, "doc_number", format!("документ {} {} уже указан у работника в строке {first}: один человек дважды", w.doc_series, w.doc_number)));
        } else {
            worker_docs.insert(key, *line);
        }
    }

    for (line, a) in &p.auditoriums {
        if !points.contains_key(&a.ppe_code) {
            issues.push(issue("auditoriums", *line, "ppe_code", format!("ППЭ «{}» нет в таблице exam_points", a.ppe_code)));
        }
    }
    let exam_by_id: HashMap<&str, &Exam> = p.exams.iter().map(|(_, e)| (e.exam_id.as_str(), e)).collect();
    let participant_by_id: HashMap<&str, &Participant> = p.participants.iter().map(|(_, x)| (x.participant_id.as_str(), x)).collect();
    for (line, g) in &p.registrations {
        if !exams.contains_key(&g.exam_id) && !p.rejected.contains(&format!("exams/{}", g.exam_id)) {
            issues.push(issue("registrations", *line, "exam_id", format!("экзамена «{}» нет в таблице exams", g.exam_id)));
        }
        if !participants.contains_key(&g.participant_id) && !p.rejected.contains(&format!("participants/{}", g.participant_id)) {
            issues.push(issue("registrations", *line, "participant_id", format!("участника «{}» нет в таблице participants", g.participant_id)));
        }
        if !points.contains_key(&g.ppe_code) && !p.rejected.contains(&format!("exam_points/{}", g.ppe_code)) {
            issues.push(issue("registrations", *line, "ppe_code", format!("ППЭ «{}» нет в таблице exam_points", g.ppe_code)));
        }
        if let (Some(exam), Some(person)) = (exam_by_id.get(g.exam_id.as_str()), participant_by_id.get(g.participant_id.as_str())) {
            if let (Some(birth), Some(day)) = (parse_stored_date(&person.birth_date), parse_stored_date(&exam.date)) {
                if let Err(reason) = check_birth_date(birth, exam.level, day) {
                    let pline = participants.get(&g.participant_id).copied().unwrap_or(0);
                    issues.push(issue("participants", pline, "birth_date", format!("{reason} (экзамен {})", exam.exam_id)));
                }
            }
        }
    }
    for (line, a) in &p.worker_assignments {
        if !workers.contains_key(&a.worker_id) && !p.rejected.contains(&format!("workers/{}", a.worker_id)) {
            issues.push(issue("worker_assignments", *line, "worker_id", format!("работника «{}» нет в таблице workers", a.worker_id)));
        }
        if !points.contains_key(&a.ppe_code) {
            issues.push(issue("worker_assignments", *line, "ppe_code", format!("ППЭ «{}» нет в таблице exam_points", a.ppe_code)));
        }
    }
    issues.sort_by(|a, b| {
        let order = |t: &str| TABLES.iter().position(|x| x.0 == t).unwrap_or(usize::MAX);
        (order(&a.table), a.line).cmp(&(order(&b.table), b.line))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_format_follows_order_805() {
        assert!(check_format("Гимназия №1", Text).is_err(), "№ is not in §21");
        assert!(check_format("МАОУ Гимназия 1 (корп. 2), г. Томск", Text).is_ok());
        assert!(check_format("School-1_a/b", Text).is_ok());
        assert!(check_format("тире — длинное", Text).is_err());
        assert!(check_format("табуляция\t", Text).is_err());
    }

    #[test]
    fn names_allow_letters_hyphen_space_only() {
        assert!(check_format("Римский-Корсаков", Name).is_ok());
        assert!(check_format("Ёлкина", Name).is_ok());
        assert!(check_format("Smith", Name).is_ok());
        assert!(check_format("Иванов2", Name).is_err());
        assert!(check_format("-Иванов", Name).is_err());
        assert!(check_format("Иван  Иваныч", Name).is_err());
        assert!(check_format("О'Коннор", Name).is_err());
    }

    #[test]
    fn numbers_codes_times_bools_phones_emails() {
        assert_eq!(check_format("1 200", Number).unwrap(), "1200");
        assert!(check_format("12a", Number).is_err());
        assert!(check_format("-", Number).is_err());
        assert!(check_format("PPE-0101", Code).is_ok());
        assert!(check_format("ППЭ0101", Code).is_err());
        assert!(check_format("ege.02", Code).is_err(), "dots separate sheet-code fields");
        assert_eq!(check_format("9:05", Time).unwrap(), "09:05");
        assert!(check_format("25:00", Time).is_err());
        assert_eq!(check_format("Да", Bool).unwrap(), "true");
        assert_eq!(check_format("0", Bool).unwrap(), "false");
        assert!(check_format("может быть", Bool).is_err());
        assert!(check_format("+7 (913) 123-45-67", Phone).is_ok());
        assert!(check_format("8-913-abc", Phone).is_err());
        assert!(check_format("123", Phone).is_err());
        assert!(check_format("a.b@school.ru", Email).is_ok());
        assert!(check_format("a.b@school", Email).is_err());
        assert!(check_format("@school.ru", Email).is_err());
        assert_eq!(check_format("ege, oge", CodeList).unwrap(), "ege;oge");
        assert!(check_format("ege;огэ", CodeList).is_err());
    }

    #[test]
    fn dates_are_normalized_from_three_shapes() {
        assert_eq!(normalize_date("2008.05.14").unwrap(), "2008.05.14");
        assert_eq!(normalize_date("2008-05-14").unwrap(), "2008.05.14");
        assert_eq!(normalize_date("14.05.2008").unwrap(), "2008.05.14");
        assert_eq!(normalize_date("2008-05-14 00:00:00").unwrap(), "2008.05.14");
        assert!(normalize_date("2008.02.30").is_err());
        assert!(normalize_date("14/05/2008").is_err());
        assert!(normalize_date("1800.01.01").is_err());
        assert!(normalize_date("").is_err());
    }

    #[test]
    fn snils_checksum_known_values() {
        // 112-233-445 95 is the textbook example.
        assert_eq!(normalize_snils("112-233-445 95").unwrap(), "112-233-445 95");
        assert_eq!(normalize_snils("11223344595").unwrap(), "112-233-445 95");
        assert!(normalize_snils("112-233-445 96").unwrap_err().contains("контрольная"));
        assert!(normalize_snils("112-233-445").is_err());
        assert!(normalize_snils("112-233-44a 95").is_err());
        // Old numbers carry no checksum.
        assert!(normalize_snils("001-001-001 00").is_ok());
    }

    #[test]
    fn documents_have_their_shapes() {
        assert_eq!(check_document(DocType::PassportRf, "69 12", "345678").unwrap().0, "6912");
        assert!(check_document(DocType::PassportRf, "691", "345678").is_err());
        assert!(check_document(DocType::PassportRf, "6912", "34567").is_err());
        assert!(check_document(DocType::BirthCertificate, "IV-МЮ", "123456").is_ok());
        assert!(check_document(DocType::BirthCertificate, "4-МЮ", "123456").is_err());
        assert!(check_document(DocType::BirthCertificate, "IV-MU", "123456").is_err());
        assert!(check_document(DocType::ForeignPassport, "", "AB12345").is_ok());
        assert!(check_document(DocType::Other, "", "1").is_err());
    }

    #[test]
    fn birth_dates_are_plausible_for_the_level() {
        let day = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        assert!(check_birth_date(NaiveDate::from_ymd_opt(2010, 3, 1).unwrap(), 9, day).is_ok());
        assert!(check_birth_date(NaiveDate::from_ymd_opt(2020, 3, 1).unwrap(), 9, day).is_err());
        assert!(check_birth_date(NaiveDate::from_ymd_opt(1990, 3, 1).unwrap(), 11, day).is_ok());
        assert!(check_birth_date(NaiveDate::from_ymd_opt(1990, 3, 1).unwrap(), 9, day).is_err());
        assert!(check_birth_date(NaiveDate::from_ymd_opt(1900, 3, 1).unwrap(), 11, day).is_err());
    }

    proptest! {
        #[test]
        fn any_generated_snils_is_accepted_and_any_other_checksum_refused(digits in proptest::array::uniform9(0u8..10), wrong in 0u8..100) {
            let s = format_snils(&digits);
            prop_assert_eq!(normalize_snils(&s).unwrap(), s.clone());
            let number: u32 = digits.iter().fold(0, |n, &d| n * 10 + u32::from(d));
            if number > 1_001_998 && wrong != snils_checksum(&digits) {
                let bad = format!("{} {:02}", &s[..11], wrong);
                prop_assert!(normalize_snils(&bad).is_err());
            }
        }

        #[test]
        fn dates_in_any_accepted_shape_normalize_to_the_same_day(y in 1901i32..2099, m in 1u32..13, d in 1u32..29) {
            let stored = format!("{y:04}.{m:02}.{d:02}");
            prop_assert_eq!(normalize_date(&format!("{y:04}-{m:02}-{d:02}")).unwrap(), stored.clone());
            prop_assert_eq!(normalize_date(&format!("{d:02}.{m:02}.{y:04}")).unwrap(), stored.clone());
            prop_assert_eq!(normalize_date(&stored).unwrap(), stored);
        }

        #[test]
        fn check_format_never_panics(s in "\\PC*") {
            for f in [Text, Name, Code, Number, Date, Time, Bool, Phone, Email, Snils, CodeList] {
                let _ = check_format(&s, f);
            }
        }
    }
}

#[cfg(test)]
mod doc_tests {
    #[test]
    fn plan_format_doc_lists_every_column() {
        let doc = include_str!("../docs/plan-format.md");
        for (table, columns) in super::TABLES {
            assert!(doc.contains(&format!("### `{table}`")), "docs/plan-format.md lacks table {table}");
            for c in *columns {
                assert!(doc.contains(&format!("| `{}` |", c.name)), "docs/plan-format.md lacks {table}.{}", c.name);
            }
        }
    }
}
