//! Character classes and single-value rules of ФЛК (each pure, each tested): formats,
//! dates, SNILS, identity documents, plausible birth dates, words mixing alphabets.

use chrono::{Datelike, NaiveDate};

use super::Format::{self, *};
use crate::model::*;

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

fn is_cyrillic(c: char) -> bool {
    ('А'..='я').contains(&c) || c == 'Ё' || c == 'ё'
}

/// The first word (letters between separators: anything that is not a letter) that mixes
/// Cyrillic and Latin letters, with the reason: «Ивaнов» with a Latin `a` looks right on
/// screen and on paper but is another name to every search and comparison.
pub fn mixed_alphabet_word(value: &str) -> Option<String> {
    value.split(|c: char| !c.is_alphabetic()).find_map(|word| {
        let cyrillic: Vec<char> = word.chars().filter(|&c| is_cyrillic(c)).collect();
        let latin: Vec<char> = word.chars().filter(char::is_ascii_alphabetic).collect();
        if cyrillic.is_empty() || latin.is_empty() {
            return None;
        }
        let (odd, script, among) = if latin.len() <= cyrillic.len() {
            (latin, "латинские", "кириллицы")
        } else {
            (cyrillic, "кириллические", "латиницы")
        };
        let letters: Vec<String> = odd.iter().map(|c| format!("«{c}»")).collect();
        Some(format!("слово «{word}» смешивает кириллицу и латиницу: {script} буквы {} среди {among}", letters.join(", ")))
    })
}

/// Graduates of past years (order 805 §11.3) have no school and no class in the plan.
pub fn is_past_year_graduate(category: &str) -> bool {
    let c = category.trim().to_lowercase().replace('ё', "е");
    c.contains("прошлых лет") || c == "впл"
}

/// Checks one value against a format; returns the normalized value or the reason.
pub fn check_format(value: &str, format: Format) -> Result<String, String> {
    match format {
        Text => match first_bad_char(value, |c| is_text_letter(c) || is_symbol_sign(c)) {
            None => mixed_alphabet_word(value).map_or_else(|| Ok(value.to_string()), Err),
            Some(c) => Err(format!("недопустимый символ {} (разрешены буквы, цифры и знаки . , : ; - / \\ * % # ( ) _ пробел)", describe_char(c))),
        },
        Name => {
            if let Some(c) = first_bad_char(value, |c| (is_text_letter(c) && !c.is_ascii_digit()) || c == '-' || c == ' ') {
                return Err(format!("недопустимый символ {} в имени (разрешены буквы, дефис, пробел)", describe_char(c)));
            }
            if value.starts_with('-') || value.ends_with('-') || value.contains("--") || value.contains("  ") {
                return Err("дефис или пробел не на своём месте".into());
            }
            if let Some(reason) = mixed_alphabet_word(value) {
                return Err(reason);
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
            if compact.is_empty()
                || !compact.trim_start_matches('-').chars().all(|c| c.is_ascii_digit())
                || compact.trim_start_matches('-').is_empty()
            {
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
            let ok = value
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
                && !value.chars().any(|c| c.is_whitespace() || c.is_control());
            if ok {
                Ok(value.to_string())
            } else {
                Err(format!("«{value}» не похоже на адрес электронной почты"))
            }
        }
        Snils => normalize_snils(value),
        CodeList => {
            for item in split_list(value) {
                check_format(&item, Code)?;
            }
            Ok(split_list(value).join(";"))
        }
        Enum => Ok(value.to_string()),
        EnumList => Ok(split_list(value).join(";")),
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
        if r == 100 {
            0
        } else {
            r
        }
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
