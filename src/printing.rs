//! Printing: personalized answer-sheet kits, seating lists, statements and acts as PDF
//! (made purely from plain input structs), and their trip through CUPS.
//!
//! Forms are pure functions `input -> PDF bytes` (`forms`), drawn with a small page builder
//! over printpdf (`pdf`); spooling (`cups`) takes bytes and never a file, so decrypted exam
//! materials can go to the printer from memory. Jobs and confirmations live in `store`.

pub mod cli;
pub mod cups;
pub mod forms;
pub mod kim;
pub mod observers;
pub mod ops;
pub mod inputs;
pub mod pdf;
pub mod records;
pub mod store;

use serde::{Deserialize, Serialize};

/// What went wrong making or printing a form, phrased so the operator can act on it.
#[derive(Debug, thiserror::Error)]
pub enum PrintingError {
    /// A silent blank box in a participant's name is not acceptable: fail instead.
    #[error("в шрифте нет символа {character:?} (U+{codepoint:04X}) в тексте «{text}»: исправьте данные или шрифт")]
    MissingGlyph { character: char, codepoint: u32, text: String },
    #[error("встроенный шрифт не читается")]
    FontUnreadable,
    #[error("код листа не помещается в двумерный штрихкод: {0}")]
    Code(String),
    #[error("печатать нечего: {0}")]
    NothingToPrint(String),
    /// The exam's kit in the plan is not one a participant can be given.
    #[error(transparent)]
    Kit(#[from] crate::model::kit::KitError),
    #[error("сервер печати CUPS {uri}: {reason}")]
    Cups { uri: String, reason: String },
    #[error("задание печати {0} не найдено")]
    UnknownJob(i64),
    #[error("задание печати {job}: {reason}")]
    JobState { job: i64, reason: String },
}

/// What the operator asked to print (`--what`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum PrintWhat {
    Sheets,
    Seating,
    Statements,
    All,
    /// The exam materials (КИМ, instructions) decrypted in memory and sent to the printer
    /// from there; never written to a file. Not part of `all`.
    Kim,
}

/// One generated document: its file name (`--out`), its title (CUPS job name), its bytes.
#[derive(Debug, Clone)]
pub struct PrintDocument {
    pub file_name: String,
    pub title: String,
    /// Form code, e.g. `ППЭ-05-02`; empty for answer-sheet kits.
    pub form: String,
    pub auditorium: Option<String>,
    pub pages: u32,
    pub bytes: Vec<u8>,
}

/// States of a print job as we track them (IPP job-state plus the human confirmation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Written to `--out` instead of a printer.
    Written,
    Pending,
    Held,
    Processing,
    Stopped,
    /// CUPS finished it: it left the queue, which is NOT proof of paper.
    Completed,
    Canceled,
    Aborted,
    /// A person confirmed the printed run was received: only now it counts as printed.
    Confirmed,
}

impl JobState {
    pub fn code(self) -> &'static str {
        match self {
            Self::Written => "written",
            Self::Pending => "pending",
            Self::Held => "held",
            Self::Processing => "processing",
            Self::Stopped => "stopped",
            Self::Completed => "completed",
            Self::Canceled => "canceled",
            Self::Aborted => "aborted",
            Self::Confirmed => "confirmed",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Written,
            Self::Pending,
            Self::Held,
            Self::Processing,
            Self::Stopped,
            Self::Completed,
            Self::Canceled,
            Self::Aborted,
            Self::Confirmed,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
    /// From IPP `job-state` (RFC 8011 §5.3.7).
    pub fn from_ipp(value: i32) -> Self {
        match value {
            3 => Self::Pending,
            4 => Self::Held,
            5 => Self::Processing,
            6 => Self::Stopped,
            7 => Self::Canceled,
            8 => Self::Aborted,
            _ => Self::Completed,
        }
    }
    /// A job in this state will not print by itself: it may be reprinted.
    pub fn is_failed(self) -> bool {
        matches!(self, Self::Stopped | Self::Canceled | Self::Aborted)
    }
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Canceled | Self::Aborted | Self::Confirmed | Self::Written)
    }
}
