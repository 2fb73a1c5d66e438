//! The individual kit (индивидуальный комплект) of an exam as data (DOMAIN.md §1): which
//! sheets a participant gets, in print order. An exam's `kit` column names them
//! (`R;A1;A2;A2`); an empty one takes the default of the exam's kind and subject from
//! [`DEFAULT_KITS`]. Issuing, printing, the forms that count sheets and scanning's
//! completeness all ask [`kit_of`], so they cannot disagree. Pure.

use super::{Exam, ExamKind};
use crate::sheet_code::SheetKind;

/// Pages of answer sheet № 2 a kit may hold (ЕГЭ: л.1 and л.2); more room is the
/// additional sheet's (ДБО № 2), issued on request.
pub const MAX_ANSWERS2_PAGES: usize = 2;
/// The longest kit: БР + БО № 1 + two pages of БО № 2 (the hub's upload allowance counts it).
pub const MAX_KIT_SHEETS: usize = 2 + MAX_ANSWERS2_PAGES;

/// The sheets of one participant's kit, in print order: the registration sheet first, then
/// answer sheet № 1 (if any), then the pages of answer sheet № 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kit {
    sheets: Vec<SheetKind>,
}

/// Why a kit string is refused (at plan import, and again wherever a stored one is used).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KitError {
    #[error("комплект «{kit}»: неизвестный код бланка «{code}» (допустимо R, A1, A2 или br, bo1, bo2)")]
    UnknownCode { kit: String, code: String },
    #[error("комплект «{kit}»: «{code}» не входит в комплект (дополнительный бланк и машиночитаемые формы выдаются отдельно)")]
    NotAKitSheet { kit: String, code: String },
    #[error("комплект «{kit}»: нет бланка регистрации (R) или он не первый")]
    RegistrationFirst { kit: String },
    #[error("комплект «{kit}»: бланк {what} указан больше одного раза")]
    Repeated { kit: String, what: &'static str },
    #[error("комплект «{kit}»: листов бланка ответов № 2 больше {max}")]
    TooManyAnswers2 { kit: String, max: usize },
    #[error("комплект «{kit}»: порядок бланков — R, затем A1, затем листы A2")]
    Order { kit: String },
}

/// The codes plan writers may use for each sheet: `SheetKind::code` and a spelled-out alias.
fn parse_code(code: &str) -> Option<SheetKind> {
    match code.to_ascii_lowercase().as_str() {
        "r" | "br" => Some(SheetKind::Registration),
        "a1" | "bo1" => Some(SheetKind::Answers1),
        "a2" | "bo2" => Some(SheetKind::Answers2),
        "d" | "dbo2" => Some(SheetKind::Additional),
        "s" => Some(SheetKind::Statement),
        _ => None,
    }
}

impl Kit {
    /// Reads a `;`-separated list of sheet codes, refusing with a named reason anything that is
    /// not a kit a participant can be given.
    pub fn parse(text: &str) -> Result<Kit, KitError> {
        let kit = text.trim().to_string();
        let mut sheets = Vec::new();
        for code in kit.split(';').map(str::trim).filter(|c| !c.is_empty()) {
            let kind = parse_code(code).ok_or_else(|| KitError::UnknownCode { kit: kit.clone(), code: code.to_string() })?;
            if matches!(kind, SheetKind::Additional | SheetKind::Statement) {
                return Err(KitError::NotAKitSheet { kit: kit.clone(), code: code.to_string() });
            }
            sheets.push(kind);
        }
        Kit::from_sheets(sheets, &kit)
    }

    fn from_sheets(sheets: Vec<SheetKind>, text: &str) -> Result<Kit, KitError> {
        let kit = text.to_string();
        if sheets.first() != Some(&SheetKind::Registration) {
            return Err(KitError::RegistrationFirst { kit });
        }
        let count = |k: SheetKind| sheets.iter().filter(|s| **s == k).count();
        if count(SheetKind::Registration) > 1 {
            return Err(KitError::Repeated { kit, what: "регистрации (R)" });
        }
        if count(SheetKind::Answers1) > 1 {
            return Err(KitError::Repeated { kit, what: "ответов № 1 (A1)" });
        }
        if count(SheetKind::Answers2) > MAX_ANSWERS2_PAGES {
            return Err(KitError::TooManyAnswers2 { kit, max: MAX_ANSWERS2_PAGES });
        }
        if sheets.windows(2).any(|w| w[0] > w[1]) {
            return Err(KitError::Order { kit });
        }
        Ok(Kit { sheets })
    }

    /// The sheets in print order.
    pub fn sheets(&self) -> &[SheetKind] {
        &self.sheets
    }

    pub fn len(&self) -> usize {
        self.sheets.len()
    }

    /// Never true for a parsed kit (it always has its registration sheet).
    pub fn is_empty(&self) -> bool {
        self.sheets.is_empty()
    }

    pub fn has(&self, kind: SheetKind) -> bool {
        self.sheets.contains(&kind)
    }

    /// An additional answer sheet (ДБО № 2) continues answer sheet № 2: only a kit with one
    /// may get it.
    pub fn allows_additional(&self) -> bool {
        self.has(SheetKind::Answers2)
    }

    /// The canonical codes, `R;A1;A2;A2`.
    pub fn codes(&self) -> String {
        self.sheets.iter().map(|k| k.code()).collect::<Vec<_>>().join(";")
    }

    /// What the forms print: `БР, БО № 1, БО № 2 (2 л.)`.
    pub fn title_ru(&self) -> String {
        let mut parts = vec!["БР".to_string()];
        if self.has(SheetKind::Answers1) {
            parts.push("БО № 1".into());
        }
        match self.sheets.iter().filter(|k| **k == SheetKind::Answers2).count() {
            0 => {}
            1 => parts.push("БО № 2".into()),
            n => parts.push(format!("БО № 2 ({n} л.)")),
        }
        parts.join(", ")
    }
}

/// A default kit: for an exam kind, and for some subjects of it (empty = every subject).
#[derive(Debug, Clone, Copy)]
pub struct DefaultKit {
    pub kind: ExamKind,
    /// Subject codes as the plan writes them (leading zeros ignored); empty matches any.
    pub subject_codes: &'static [&'static str],
    pub kit: &'static str,
    /// What the rule is, for people reading the table.
    pub what: &'static str,
}

/// The defaults by kind and subject, first match wins (DOMAIN.md §1). A region whose kit
/// differs writes it in the exam's `kit` column, which always wins over this table.
pub const DEFAULT_KITS: &[DefaultKit] = &[
    DefaultKit { kind: ExamKind::Ege, subject_codes: &["22"], kit: "R;A1", what: "ЕГЭ математика базовая: БР + БО № 1" },
    DefaultKit {
        kind: ExamKind::Ege,
        subject_codes: &["29", "30", "31", "33", "34"],
        kit: "R",
        what: "ЕГЭ иностранный язык, устная часть: БР (ответ — аудиозапись)",
    },
    DefaultKit {
        kind: ExamKind::Ege, subject_codes: &["25"], kit: "R", what: "КЕГЭ (информатика на компьютерах): БР (ответы — файлы станции)"
    },
    DefaultKit {
        kind: ExamKind::Ege, subject_codes: &[], kit: "R;A1;A2;A2", what: "ЕГЭ письменный: БР + БО № 1 + БО № 2 л. 1 и л. 2"
    },
    DefaultKit { kind: ExamKind::Oge, subject_codes: &[], kit: "R;A1;A2", what: "ОГЭ письменный: БР + БО № 1 + БО № 2" },
    DefaultKit { kind: ExamKind::Gve, subject_codes: &[], kit: "R;A1;A2", what: "ГВЭ письменный: БР + БО № 1 + БО № 2" },
    DefaultKit {
        kind: ExamKind::Essay, subject_codes: &[], kit: "R;A2", what: "итоговое сочинение: БР + бланк записи"
    },
    DefaultKit {
        kind: ExamKind::Interview, subject_codes: &[], kit: "R", what: "итоговое собеседование: БР (ответ — аудиозапись)"
    },
];

fn same_subject(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim().trim_start_matches('0').to_ascii_lowercase();
    norm(a) == norm(b)
}

/// The default kit of an exam kind and subject, from [`DEFAULT_KITS`].
pub fn default_kit(kind: ExamKind, subject_code: &str) -> Kit {
    let rule =
        DEFAULT_KITS.iter().find(|d| d.kind == kind && (d.subject_codes.is_empty() || d.subject_codes.iter().any(|s| same_subject(s, subject_code))));
    // Every kind has a catch-all row (a unit test holds the table to it); the full written
    // kit is what the box gave before kits were data.
    Kit::parse(rule.map_or("R;A1;A2;A2", |d| d.kit))
        .unwrap_or(Kit { sheets: vec![SheetKind::Registration, SheetKind::Answers1, SheetKind::Answers2, SheetKind::Answers2] })
}

/// The kit of an exam: its own `kit` column, or the default of its kind and subject.
pub fn kit_of(exam: &Exam) -> Result<Kit, KitError> {
    if exam.kit.trim().is_empty() {
        Ok(default_kit(exam.kind, &exam.subject_code))
    } else {
        Kit::parse(&exam.kit)
    }
}

/// The check ФЛК runs on an exam's `kit` cell: empty (the default) or a kit [`Kit::parse`]
/// accepts.
pub fn check_kit_cell(text: &str) -> Result<(), KitError> {
    if text.trim().is_empty() {
        Ok(())
    } else {
        Kit::parse(text).map(|_| ())
    }
}

/// How a sheet of a kit is named to a person (completeness lines, forms): the pages of answer
/// sheet № 2 by their place, `бланк ответов № 2, лист 2 из 2`. `page` and `pages` count the
/// answer sheet № 2 pages of that kit.
pub fn sheet_title_ru(kind: SheetKind, page: usize, pages: usize) -> String {
    if kind == SheetKind::Answers2 && pages > 1 {
        format!("{}, лист {page} из {pages}", kind.title_ru())
    } else {
        kind.title_ru().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SheetKind::*;

    fn exam(kind: ExamKind, subject: &str, kit: &str) -> Exam {
        // Through serde, so fields added to `Exam` with their defaults do not touch this test.
        serde_json::from_value(serde_json::json!({
            "exam_id": "e", "kind": kind, "level": 11, "subject_code": subject, "subject_name": "", "date": "2027.05.27", "start": "10:00",
            "duration_min": 235, "materials_open_before_min": 60, "materials_close_after_start_min": 30, "upload_deadline_after_end_min": 60, "kit": kit,
        }))
        .unwrap()
    }

    fn sheets(kind: ExamKind, subject: &str) -> Vec<SheetKind> {
        kit_of(&exam(kind, subject, "")).unwrap().sheets().to_vec()
    }

    #[test]
    fn the_defaults_follow_kind_and_subject() {
        assert_eq!(sheets(ExamKind::Ege, "02"), [Registration, Answers1, Answers2, Answers2], "ЕГЭ профильная: БО № 2 л. 1 и л. 2");
        assert_eq!(sheets(ExamKind::Ege, "22"), [Registration, Answers1], "ЕГЭ базовая: no БО № 2");
        assert_eq!(sheets(ExamKind::Ege, "022"), [Registration, Answers1], "leading zeros do not matter");
        assert_eq!(sheets(ExamKind::Ege, "29"), [Registration], "oral part: БР only");
        assert_eq!(sheets(ExamKind::Ege, "25"), [Registration], "КЕГЭ: БР only");
        assert_eq!(sheets(ExamKind::Oge, "22"), [Registration, Answers1, Answers2], "subject 22 is base maths in ЕГЭ only");
        assert_eq!(sheets(ExamKind::Gve, "01"), [Registration, Answers1, Answers2]);
        assert_eq!(sheets(ExamKind::Essay, "20"), [Registration, Answers2]);
        assert_eq!(sheets(ExamKind::Interview, "01"), [Registration]);
    }

    #[test]
    fn every_kind_has_a_catch_all_default_and_every_default_parses() {
        for d in DEFAULT_KITS {
            let kit = Kit::parse(d.kit).unwrap_or_else(|e| panic!("{}: {e}", d.what));
            assert!(kit.len() <= MAX_KIT_SHEETS, "{}", d.what);
        }
        for kind in ExamKind::ALL {
            assert!(DEFAULT_KITS.iter().any(|d| d.kind == kind && d.subject_codes.is_empty()), "{kind:?} has no catch-all row");
        }
    }

    #[test]
    fn the_exam_column_wins_over_the_default_in_either_spelling() {
        assert_eq!(kit_of(&exam(ExamKind::Ege, "02", "R;A1")).unwrap().sheets(), [Registration, Answers1]);
        assert_eq!(kit_of(&exam(ExamKind::Ege, "22", "br; bo1; bo2; BO2")).unwrap().codes(), "R;A1;A2;A2");
        assert_eq!(Kit::parse("R;A1;A2;A2").unwrap().title_ru(), "БР, БО № 1, БО № 2 (2 л.)");
        assert_eq!(Kit::parse("R;A1").unwrap().title_ru(), "БР, БО № 1");
    }

    #[test]
    fn a_bad_kit_is_refused_with_a_named_reason() {
        let refused = |text: &str| Kit::parse(text).unwrap_err().to_string();
        assert!(refused("R;X").contains("неизвестный код бланка «X»"), "{}", refused("R;X"));
        assert!(refused("R;A1;D").contains("не входит в комплект"));
        assert!(refused("R;S").contains("не входит в комплект"));
        assert!(refused("A1;A2").contains("нет бланка регистрации"));
        assert!(refused("").contains("нет бланка регистрации"));
        assert!(refused("R;R;A1").contains("больше одного раза"));
        assert!(refused("R;A1;A1").contains("больше одного раза"));
        assert!(refused("R;A1;A2;A2;A2").contains("больше 2"));
        assert!(refused("R;A2;A1").contains("порядок бланков"));
        assert!(kit_of(&exam(ExamKind::Ege, "02", "R;Q")).is_err(), "a stored bad kit is not silently replaced by the default");
        assert!(check_kit_cell("").is_ok() && check_kit_cell("R;A1").is_ok() && check_kit_cell("R;Q").is_err());
    }

    #[test]
    fn only_a_kit_with_answer_sheet_2_allows_the_additional_sheet() {
        assert!(default_kit(ExamKind::Ege, "02").allows_additional());
        assert!(default_kit(ExamKind::Essay, "20").allows_additional());
        assert!(!default_kit(ExamKind::Ege, "22").allows_additional());
        assert!(!default_kit(ExamKind::Ege, "29").allows_additional());
    }

    #[test]
    fn answer_sheet_2_pages_are_named_by_their_place() {
        assert_eq!(sheet_title_ru(Answers2, 2, 2), "бланк ответов № 2, лист 2 из 2");
        assert_eq!(sheet_title_ru(Answers2, 1, 1), "бланк ответов № 2");
        assert_eq!(sheet_title_ru(Answers1, 1, 1), "бланк ответов № 1");
    }
}
