//! Scanning after the exam: which page is which sheet, and whether everything is there.
//!
//! Pure rules here: a page's decoded codes → a verdict (matched to an issued sheet or to a
//! printed form's copy and page, or a reason a person must resolve it), and the completeness
//! check (every present participant's every issued sheet scanned, none for absent ones, every
//! page of every form the exam requires there, named «ППЭ-05-02, аудитория 101, лист 2 из 2»).
//! The scanner, the inbox folder and the disk are in `intake`; SQL in `store`; commands in
//! `cli`. The issued sheets and printed forms come in as [`ExpectedSheets`] (attendance's
//! record, or a JSON file a command names).

pub mod cli;
pub mod intake;
pub mod marks;
pub mod ops;
pub mod page_policy;
pub mod store;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::sheet_code::{self, SheetId, SheetKind};

// The expected sheets are built by attendance (which issues them); scanning checks pages
// and completeness against them.
pub use crate::attendance::expected::{ExpectedParticipant, ExpectedSheets, FormPage, IssuedSheet, PrintedForm, UnprintedForm};

impl ExpectedSheets {
    /// Who was issued this sheet (statements belong to nobody).
    pub fn owner_of(&self, kind: SheetKind, number: u32) -> Option<Option<&str>> {
        if kind == SheetKind::Statement && (self.required_statements.contains(&number) || self.optional_statements.contains(&number)) {
            return Some(None);
        }
        self.participants.iter().find(|p| p.sheets.iter().any(|s| s.kind == kind && s.number == number)).map(|p| Some(p.participant_id.as_str()))
    }
}

/// What became of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageStatus {
    /// Its code verifies and names a sheet issued here (or, with no list, of this exam point).
    Matched,
    /// No code of ours could be read.
    Unreadable,
    /// A code of ours whose MAC or check digit fails.
    Forged,
    /// A valid code of another exam or exam point.
    OtherExam,
    /// The same sheet was scanned already.
    Duplicate,
    /// A valid code of this exam point that was never issued.
    Unexpected,
}

impl PageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Matched => "matched",
            Self::Unreadable => "unreadable",
            Self::Forged => "forged",
            Self::OtherExam => "other_exam",
            Self::Duplicate => "duplicate",
            Self::Unexpected => "unexpected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Matched, Self::Unreadable, Self::Forged, Self::OtherExam, Self::Duplicate, Self::Unexpected].into_iter().find(|x| x.as_str() == s)
    }
    /// Whether a person must look at it.
    pub fn to_resolve(self) -> bool {
        self != Self::Matched
    }
    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Matched => "сопоставлен",
            Self::Unreadable => "код не читается",
            Self::Forged => "код не проходит проверку",
            Self::OtherExam => "бланк другого экзамена или ППЭ",
            Self::Duplicate => "повторный скан того же бланка",
            Self::Unexpected => "бланк не выдавался в этом ППЭ",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageVerdict {
    pub status: PageStatus,
    pub code_text: Option<String>,
    pub sheet: Option<SheetId>,
    pub participant_id: Option<String>,
    pub reason: String,
    /// The form, copy and page «лист N из M» of a form's page, from the printed-forms record.
    pub form: Option<FormPage>,
}

/// Decides what a page is, from the texts of the codes found on it. `already_scanned` says
/// whether a matched page of that sheet exists.
pub fn classify_page(
    codes: &[String],
    key: &ring::hmac::Key,
    exam_id: &str,
    ppe_code: &str,
    expected: Option<&ExpectedSheets>,
    already_scanned: &dyn Fn(&SheetId) -> bool,
) -> PageVerdict {
    let mut forged: Option<(String, String)> = None;
    let mut decoded: Option<(String, SheetId)> = None;
    for text in codes {
        match sheet_code::decode(text, key) {
            Ok(id) => {
                decoded = Some((text.clone(), id));
                break;
            }
            Err(sheet_code::SheetCodeError::Foreign) => {}
            Err(e) => forged = forged.or(Some((text.clone(), e.to_string()))),
        }
    }
    let verdict =
        |status, code_text, sheet, participant_id, reason: String| PageVerdict { status, code_text, sheet, participant_id, reason, form: None };
    let Some((text, id)) = decoded else {
        return match forged {
            Some((text, why)) => verdict(PageStatus::Forged, Some(text), None, None, why),
            None => verdict(PageStatus::Unreadable, None, None, None, "no sheet code found on the page".into()),
        };
    };
    if id.exam_id != exam_id || id.ppe_code != ppe_code {
        let why = format!("sheet of exam {} at exam point {}", id.exam_id, id.ppe_code);
        return verdict(PageStatus::OtherExam, Some(text), Some(id), None, why);
    }
    if already_scanned(&id) {
        return verdict(PageStatus::Duplicate, Some(text), Some(id), None, "this sheet is scanned already".into());
    }
    let owner = match expected {
        None => None,
        Some(exp) => match exp.owner_of(id.kind, id.number) {
            Some(owner) => owner.map(str::to_string),
            None => return verdict(PageStatus::Unexpected, Some(text), Some(id), None, "sheet was not issued here".into()),
        },
    };
    let form = expected.filter(|_| id.kind == SheetKind::Statement).and_then(|exp| exp.form_page(id.number));
    // An act's page belongs to its participant.
    let owner = owner.or_else(|| form.as_ref().and_then(|f| f.participant_id.clone()));
    PageVerdict { form, ..verdict(PageStatus::Matched, Some(text), Some(id), owner, String::new()) }
}

/// One matched sheet as the completeness check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedSheet {
    pub kind: SheetKind,
    pub number: u32,
    pub participant_id: Option<String>,
}

/// What is missing or wrong before the bundle may go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Completeness {
    /// Present participants' sheets not scanned: (participant_id, kind, number).
    pub missing_sheets: Vec<(String, SheetKind, u32)>,
    /// Sheets scanned for participants marked absent.
    pub sheets_of_absent: Vec<(String, SheetKind, u32)>,
    pub missing_statements: Vec<u32>,
    /// Copies of forms the exam requires that were never printed: «ППЭ-05-02, аудитория 101».
    pub unprinted_forms: Vec<String>,
    /// Pages waiting for a person.
    pub to_resolve: u64,
    /// The place of each answer sheet № 2 page in its kit (sheet number → page, pages), so a
    /// missing one is named «лист 2 из 2».
    #[serde(skip)]
    pub answers2_pages: BTreeMap<u32, (usize, usize)>,
    /// Where each missing statement number was printed: «ППЭ-05-02, аудитория 101, лист 2 из 2».
    #[serde(skip)]
    pub statement_places: BTreeMap<u32, String>,
}

impl Completeness {
    pub fn holds(&self) -> bool {
        self.missing_sheets.is_empty()
            && self.sheets_of_absent.is_empty()
            && self.missing_statements.is_empty()
            && self.unprinted_forms.is_empty()
            && self.to_resolve == 0
    }

    /// Lines for the operator (Russian), exactly what is missing.
    pub fn lines_ru(&self) -> Vec<String> {
        let mut out = Vec::new();
        let title = |k: SheetKind, n: u32| {
            let (page, pages) = self.answers2_pages.get(&n).copied().unwrap_or((1, 1));
            crate::model::kit::sheet_title_ru(k, page, pages)
        };
        for (p, k, n) in &self.missing_sheets {
            out.push(format!("нет скана: участник {p}, {} № {n:07}", title(*k, *n)));
        }
        for (p, k, n) in &self.sheets_of_absent {
            out.push(format!("участник {p} отмечен отсутствующим, но отсканирован {} № {n:07}", k.title_ru()));
        }
        for n in &self.missing_statements {
            match self.statement_places.get(n) {
                Some(place) => out.push(format!("нет скана {place} (№ {n:07})")),
                None => out.push(format!("нет скана формы № {n:07}")),
            }
        }
        for place in &self.unprinted_forms {
            out.push(format!("нет скана {place}: форма не напечатана"));
        }
        if self.to_resolve > 0 {
            out.push(format!("ждут разбора: {} стр.", self.to_resolve));
        }
        out
    }
}

pub fn completeness(expected: &ExpectedSheets, scanned: &[ScannedSheet], to_resolve: u64) -> Completeness {
    let have: BTreeSet<(SheetKind, u32)> = scanned.iter().map(|s| (s.kind, s.number)).collect();
    let mut c = Completeness { to_resolve, ..Default::default() };
    for p in &expected.participants {
        // Only the sheets issued to this participant are asked for: the exam's kit, as
        // attendance issued it (a base-maths kit has no answer sheet № 2 to miss).
        let mut answers2: Vec<u32> = p.sheets.iter().filter(|s| s.kind == SheetKind::Answers2).map(|s| s.number).collect();
        answers2.sort_unstable();
        for (i, n) in answers2.iter().enumerate() {
            c.answers2_pages.insert(*n, (i + 1, answers2.len()));
        }
        for s in &p.sheets {
            let scanned = have.contains(&(s.kind, s.number));
            if p.present && !scanned {
                c.missing_sheets.push((p.participant_id.clone(), s.kind, s.number));
            }
            if !p.present && scanned {
                c.sheets_of_absent.push((p.participant_id.clone(), s.kind, s.number));
            }
        }
    }
    for n in &expected.required_statements {
        if !have.contains(&(SheetKind::Statement, *n)) {
            c.missing_statements.push(*n);
            if let Some(page) = expected.form_page(*n) {
                c.statement_places.insert(*n, page.place_ru());
            }
        }
    }
    c.unprinted_forms = expected.unprinted_forms.iter().map(UnprintedForm::place_ru).collect();
    c
}

/// Counts by status, for the bundle and `status`.
pub fn count_by_status(statuses: &[PageStatus]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for s in statuses {
        *m.entry(s.as_str().to_string()).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ring::hmac::Key {
        sheet_code::sheet_key(b"box")
    }

    fn code(exam: &str, ppe: &str, kind: SheetKind, n: u32) -> String {
        sheet_code::encode(&SheetId { exam_id: exam.into(), ppe_code: ppe.into(), kind, number: n }, &key())
    }

    fn expected() -> ExpectedSheets {
        ExpectedSheets {
            exam_id: "ege-02".into(),
            ppe_code: "0101".into(),
            participants: vec![
                ExpectedParticipant {
                    participant_id: "p1".into(),
                    present: true,
                    sheets: vec![IssuedSheet { kind: SheetKind::Registration, number: 1 }, IssuedSheet { kind: SheetKind::Answers1, number: 2 }],
                },
                ExpectedParticipant {
                    participant_id: "p2".into(),
                    present: false,
                    sheets: vec![IssuedSheet { kind: SheetKind::Registration, number: 3 }],
                },
            ],
            required_statements: vec![9],
            ..Default::default()
        }
    }

    #[test]
    fn pages_are_classified_by_their_codes() {
        let exp = expected();
        let none = |_: &SheetId| false;
        let c = |codes: Vec<String>| classify_page(&codes, &key(), "ege-02", "0101", Some(&exp), &none);
        let v = c(vec!["junk".into(), code("ege-02", "0101", SheetKind::Answers1, 2)]);
        assert_eq!((v.status, v.participant_id.as_deref()), (PageStatus::Matched, Some("p1")));
        assert_eq!(c(vec![]).status, PageStatus::Unreadable);
        assert_eq!(c(vec![code("oge-01", "0101", SheetKind::Answers1, 2)]).status, PageStatus::OtherExam);
        assert_eq!(c(vec![code("ege-02", "0202", SheetKind::Answers1, 2)]).status, PageStatus::OtherExam);
        assert_eq!(c(vec![code("ege-02", "0101", SheetKind::Answers1, 77)]).status, PageStatus::Unexpected);
        let forged = sheet_code::encode(
            &SheetId { exam_id: "ege-02".into(), ppe_code: "0101".into(), kind: SheetKind::Answers1, number: 2 },
            &sheet_code::sheet_key(b"other"),
        );
        assert_eq!(c(vec![forged]).status, PageStatus::Forged);
        let statement = c(vec![code("ege-02", "0101", SheetKind::Statement, 9)]);
        assert_eq!((statement.status, statement.participant_id), (PageStatus::Matched, None));
        let all = |_: &SheetId| true;
        let dup = classify_page(&[code("ege-02", "0101", SheetKind::Answers1, 2)], &key(), "ege-02", "0101", Some(&exp), &all);
        assert_eq!(dup.status, PageStatus::Duplicate);
    }

    #[test]
    fn completeness_lists_exactly_what_is_missing() {
        let exp = expected();
        let scanned = vec![
            ScannedSheet { kind: SheetKind::Registration, number: 1, participant_id: Some("p1".into()) },
            ScannedSheet { kind: SheetKind::Registration, number: 3, participant_id: Some("p2".into()) },
        ];
        let c = completeness(&exp, &scanned, 1);
        assert_eq!(c.missing_sheets, vec![("p1".to_string(), SheetKind::Answers1, 2)]);
        assert_eq!(c.sheets_of_absent, vec![("p2".to_string(), SheetKind::Registration, 3)]);
        assert_eq!(c.missing_statements, vec![9]);
        assert!(!c.holds());
        assert_eq!(c.lines_ru().len(), 4);
        let full = vec![
            ScannedSheet { kind: SheetKind::Registration, number: 1, participant_id: None },
            ScannedSheet { kind: SheetKind::Answers1, number: 2, participant_id: None },
            ScannedSheet { kind: SheetKind::Statement, number: 9, participant_id: None },
        ];
        assert!(completeness(&exp, &full, 0).holds());
    }

    #[test]
    fn a_form_page_is_matched_to_its_form_room_and_page_and_a_missing_one_is_named() {
        let mut exp = expected();
        let form = |name: &str, room: Option<&str>, numbers: &[u32]| PrintedForm {
            form: name.into(),
            auditorium: room.map(str::to_string),
            participant_id: None,
            numbers: numbers.to_vec(),
            required: true,
        };
        exp.forms = vec![form("ППЭ-05-02", Some("101"), &[20, 21]), form("ППЭ-13-02-МАШ", None, &[9])];
        exp.required_statements = vec![9, 20, 21];
        exp.unprinted_forms = vec![UnprintedForm { form: "ППЭ-05-02".into(), auditorium: Some("102".into()) }];
        let none = |_: &SheetId| false;
        let v = classify_page(&[code("ege-02", "0101", SheetKind::Statement, 21)], &key(), "ege-02", "0101", Some(&exp), &none);
        assert_eq!(v.status, PageStatus::Matched);
        assert_eq!(v.form.as_ref().map(FormPage::place_ru).as_deref(), Some("ППЭ-05-02, аудитория 101, лист 2 из 2"));
        let kit = classify_page(&[code("ege-02", "0101", SheetKind::Answers1, 2)], &key(), "ege-02", "0101", Some(&exp), &none);
        assert_eq!(kit.form, None, "a kit's sheet is no form's page");
        let scanned = |numbers: &[u32]| -> Vec<ScannedSheet> {
            let mut all = vec![
                ScannedSheet { kind: SheetKind::Registration, number: 1, participant_id: None },
                ScannedSheet { kind: SheetKind::Answers1, number: 2, participant_id: None },
            ];
            all.extend(numbers.iter().map(|n| ScannedSheet { kind: SheetKind::Statement, number: *n, participant_id: None }));
            all
        };
        let c = completeness(&exp, &scanned(&[9, 20]), 0);
        assert_eq!(
            c.lines_ru(),
            ["нет скана ППЭ-05-02, аудитория 101, лист 2 из 2 (№ 0000021)", "нет скана ППЭ-05-02, аудитория 102: форма не напечатана"]
        );
        exp.unprinted_forms.clear();
        assert!(completeness(&exp, &scanned(&[9, 20, 21]), 0).holds());
        assert!(!completeness(&exp, &scanned(&[20, 21]), 0).holds(), "the summary's page is required too");
    }

    /// One present participant issued the exam's kit from sheet number 1, as attendance does.
    fn expected_kit(exam: crate::model::ExamKind, subject: &str) -> ExpectedSheets {
        let kit = crate::model::kit::default_kit(exam, subject);
        let sheets = kit.sheets().iter().enumerate().map(|(i, kind)| IssuedSheet { kind: *kind, number: i as u32 + 1 }).collect();
        ExpectedSheets { participants: vec![ExpectedParticipant { participant_id: "p1".into(), present: true, sheets }], ..Default::default() }
    }

    fn scanned_all_but(exp: &ExpectedSheets, left_out: &[u32]) -> Vec<ScannedSheet> {
        exp.participants[0]
            .sheets
            .iter()
            .filter(|s| !left_out.contains(&s.number))
            .map(|s| ScannedSheet { kind: s.kind, number: s.number, participant_id: None })
            .collect()
    }

    #[test]
    fn a_base_maths_kit_is_complete_without_any_answer_sheet_2() {
        let exp = expected_kit(crate::model::ExamKind::Ege, "22");
        assert!(exp.participants[0].sheets.iter().all(|s| s.kind != SheetKind::Answers2));
        let c = completeness(&exp, &scanned_all_but(&exp, &[]), 0);
        assert!(c.holds(), "{:?}", c.lines_ru());
        let c = completeness(&exp, &scanned_all_but(&exp, &[2]), 0);
        assert_eq!(c.lines_ru(), ["нет скана: участник p1, бланк ответов № 1 № 0000002"]);
    }

    #[test]
    fn a_full_kit_missing_its_answer_sheet_2_page_2_is_incomplete_and_names_the_page() {
        let exp = expected_kit(crate::model::ExamKind::Ege, "02");
        assert!(completeness(&exp, &scanned_all_but(&exp, &[]), 0).holds());
        let c = completeness(&exp, &scanned_all_but(&exp, &[4]), 0);
        assert!(!c.holds());
        assert_eq!(c.missing_sheets, vec![("p1".to_string(), SheetKind::Answers2, 4)]);
        assert_eq!(c.lines_ru(), ["нет скана: участник p1, бланк ответов № 2, лист 2 из 2 № 0000004"]);
        // ОГЭ's kit has one page of answer sheet № 2: named without a page.
        let exp = expected_kit(crate::model::ExamKind::Oge, "01");
        assert_eq!(completeness(&exp, &scanned_all_but(&exp, &[3]), 0).lines_ru(), ["нет скана: участник p1, бланк ответов № 2 № 0000003"]);
    }
}
