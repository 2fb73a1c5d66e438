//! What scanning checks completeness against: the sheets issued at one exam point for one
//! exam, who was present, and the machine-read statements printed with codes. Attendance
//! builds it (`ops::expected_sheets`); scanning reads it (and re-exports these types).

use serde::{Deserialize, Serialize};

use crate::sheet_code::SheetKind;

/// The sheets issued at one exam point for one exam, and who was present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedSheets {
    pub exam_id: String,
    pub ppe_code: String,
    pub participants: Vec<ExpectedParticipant>,
    /// Machine-read statements that must be scanned (sheet numbers of kind `statement`).
    #[serde(default)]
    pub required_statements: Vec<u32>,
    /// Statements printed with codes that are scanned only when filled (ППЭ-18-МАШ, when an
    /// observer came): a page of one matches, its absence is not missing.
    #[serde(default)]
    pub optional_statements: Vec<u32>,
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
