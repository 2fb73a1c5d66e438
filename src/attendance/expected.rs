//! What scanning checks completeness against: the sheets issued at one exam point for one
//! exam, who was present, and the forms printed with codes (which numbers each form's pages
//! took, and which of them the exam requires, `forms::required_forms`). Attendance builds it
//! (`ops::expected_sheets`); scanning reads it (and re-exports these types).

pub mod forms;

use serde::{Deserialize, Serialize};

pub use self::forms::{
    exam_format, judge_forms, required_forms, ExamFormat, FormCondition, FormPage, FormRequirement, FormScope, PrintedForm, UnprintedForm,
};
use crate::sheet_code::SheetKind;

/// The sheets issued at one exam point for one exam, and who was present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedSheets {
    pub exam_id: String,
    pub ppe_code: String,
    pub participants: Vec<ExpectedParticipant>,
    /// Form pages that must be scanned (sheet numbers of kind `statement`).
    #[serde(default)]
    pub required_statements: Vec<u32>,
    /// Form pages printed with codes that are scanned only when filled (ППЭ-18-МАШ without an
    /// observer, lists at the doors): a page of one matches, its absence is not missing.
    #[serde(default)]
    pub optional_statements: Vec<u32>,
    /// The printed-forms record: every form printed with codes, its copy and its pages.
    #[serde(default)]
    pub forms: Vec<PrintedForm>,
    /// Copies the exam requires that were never printed.
    #[serde(default)]
    pub unprinted_forms: Vec<UnprintedForm>,
}

impl ExpectedSheets {
    /// The form, copy and page a statement sheet number was printed on.
    pub fn form_page(&self, number: u32) -> Option<FormPage> {
        self.forms.iter().find_map(|f| f.page_of(number))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedParticipant {
    pub participant_id: String,
    pub present: bool,
    pub sheets: Vec<IssuedSheet>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IssuedSheet {
    pub kind: SheetKind,
    pub number: u32,
}
