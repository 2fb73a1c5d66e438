//! Oral exams on the box (issue 18): the queues of the conducting (recording) rooms and the
//! ИС-9 expert's protocols. Seating puts the participants in the waiting rooms; `queue.rs`
//! places them into the queues of the conducting rooms and follows each turn (who is next,
//! start and end times — the ведомость учёта проведения —, absent, late, moved); `criteria.rs`
//! holds the ИС-9 criteria as data and checks a protocol; `ops.rs` the use cases (one
//! transaction + audit entry each; the expert's account is checked on every protocol);
//! `store.rs` the SQL; `cli.rs` `ppe edge oral`. What a technology implies is
//! `model::technology`'s. The bundle carries the queue and the protocols as
//! `records-oral.json` ([`OralRecord`]).

pub mod cli;
pub mod criteria;
pub mod ops;
pub mod queue;
pub mod store;

use serde::{Deserialize, Serialize};

pub use criteria::{Scale, Score, ScoreError, CURRENT};
pub use queue::{EventKind, QueueError, Turn, TurnState};

/// The expert's protocol of one participant (ИС-9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protocol {
    pub exam_id: String,
    pub ppe_code: String,
    pub participant_id: String,
    /// The conducting room where the participant answered.
    pub auditorium: String,
    /// The expert (a worker of the plan) and the box account they entered it with.
    pub expert_worker_id: String,
    pub expert_login: String,
    /// The criteria version scored against.
    pub scale: String,
    pub score: Score,
    /// RFC 3339, the box clock.
    pub scored_at: String,
}

/// The record of an oral exam in the upload bundle: every turn with its times and every
/// protocol, signed with the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OralRecord {
    pub format: String,
    pub exam_id: String,
    pub ppe_code: String,
    pub technology: crate::model::Technology,
    pub scale: String,
    pub max_points: u32,
    pub turns: Vec<Turn>,
    pub protocols: Vec<Protocol>,
}

impl OralRecord {
    pub const FORMAT: &'static str = "ppe-oral-v1";
    /// The bundle file is `records-oral.json`.
    pub const FILE_NAME: &'static str = "oral.json";
}

/// A criterion code as a `'static` column title (the codes of every scale are static); an
/// unknown code prints as `?`.
pub fn criterion_title(code: &str) -> &'static str {
    CURRENT.criteria().find(|c| c.code == code).map_or("?", |c| c.code)
}
