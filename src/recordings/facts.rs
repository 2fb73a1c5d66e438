//! The facts the recordings rules judge, read from the box's stores: the exam and what it
//! collects, the point's rooms, who is seated where (with their workstation), who sat the exam
//! (attendance), and completeness now. Read only; the upload's bundle and `edge status` ask
//! here too, so they count what the intake counts.

use std::collections::BTreeMap;

use super::store as rec_store;
use super::workstations::current_workstations;
use super::{completeness, FileKind, FileState, FilesCompleteness, SeatedParticipant};
use crate::model::{Auditorium, Exam};
use crate::store::{Connection, StoreError};

/// One exam's facts at one exam point.
#[derive(Debug, Clone)]
pub struct ExamFiles {
    pub exam: Exam,
    pub kind: FileKind,
    pub rooms: Vec<Auditorium>,
    /// Seated participants with their workstation; registered ones not seated (yet) with an
    /// empty room and workstation 0, so a file naming their code still matches.
    pub seated: Vec<SeatedParticipant>,
}

#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("экзамена {0} нет в плане ППЭ")]
    ExamNotInPlan(String),
    #[error("экзамен {0} письменный: аудиозаписи и файлы ответов на нём не собираются")]
    NotCollected(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("участник {participant}: {source}")]
    Attendance { participant: String, source: crate::attendance::AttendanceError },
}

/// The exam's facts, or why it collects no files.
pub fn exam_files(conn: &Connection, exam_id: &str, ppe_code: &str) -> Result<ExamFiles, FactsError> {
    let plan = crate::plan::store::load_plan(conn).map_err(StoreError::from)?;
    let exam = plan.exams.iter().find(|e| e.exam_id == exam_id).cloned().ok_or_else(|| FactsError::ExamNotInPlan(exam_id.to_string()))?;
    let kind = super::collected_for(&exam).ok_or_else(|| FactsError::NotCollected(exam_id.to_string()))?;
    let rooms: Vec<Auditorium> = plan.auditoriums.iter().filter(|a| a.ppe_code == ppe_code).cloned().collect();
    let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, exam_id).map_err(StoreError::from)?.into_iter().filter(|s| s.ppe_code == ppe_code).collect();
    let moves = rec_store::moves_for_exam(conn, exam_id).map_err(StoreError::from)?;
    let current = current_workstations(&rooms, &seats, &moves);
    let mut seated: Vec<SeatedParticipant> = seats
        .iter()
        .map(|s| {
            let (auditorium, workstation) = current.get(&s.participant_id).cloned().unwrap_or_else(|| (s.auditorium.clone(), 0));
            SeatedParticipant { participant_id: s.participant_id.clone(), auditorium, seat_label: s.seat_label(), workstation }
        })
        .collect();
    for r in plan.registrations.iter().filter(|r| r.exam_id == exam_id && r.ppe_code == ppe_code) {
        if !seated.iter().any(|s| s.participant_id == r.participant_id) {
            seated.push(SeatedParticipant { participant_id: r.participant_id.clone(), auditorium: String::new(), seat_label: String::new(), workstation: 0 });
        }
    }
    Ok(ExamFiles { exam, kind, rooms, seated })
}

/// Participants of this point who sat the exam (present, removed, finished early), by attendance.
pub fn participants_who_sat(conn: &Connection, exam_id: &str, at_point: &[SeatedParticipant]) -> Result<Vec<String>, FactsError> {
    let mut by: BTreeMap<String, Vec<crate::attendance::ExamEvent>> = BTreeMap::new();
    for e in crate::attendance::store::events_for_exam(conn, exam_id).map_err(StoreError::from)? {
        by.entry(e.participant_id.clone()).or_default().push(e);
    }
    let mut sat = Vec::new();
    for (participant, events) in by {
        if !at_point.iter().any(|s| s.participant_id == participant) {
            continue;
        }
        let state = crate::attendance::state_of(&events).map_err(|source| FactsError::Attendance { participant: participant.clone(), source })?;
        if state.status.sat() {
            sat.push(participant);
        }
    }
    Ok(sat)
}

/// The files of an exam as completeness sees them.
pub fn file_states(conn: &Connection, exam_id: &str) -> Result<Vec<FileState>, StoreError> {
    Ok(rec_store::files_for_exam(conn, exam_id)?
        .into_iter()
        .map(|f| FileState { file_id: f.file_id, source_name: f.source_name, participant_id: f.participant_id, status: f.status, reason: f.reason })
        .collect())
}

/// Completeness of the exam's recordings or answer files now; `None` for a written exam.
pub fn completeness_now(conn: &Connection, exam_id: &str, ppe_code: &str) -> Result<Option<(FileKind, FilesCompleteness)>, FactsError> {
    let facts = match exam_files(conn, exam_id, ppe_code) {
        Ok(f) => f,
        Err(FactsError::NotCollected(_) | FactsError::ExamNotInPlan(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let sat = participants_who_sat(conn, exam_id, &facts.seated)?;
    Ok(Some((facts.kind, completeness(&sat, &file_states(conn, exam_id)?))))
}

/// A participant's file as the upload bundle carries it: `<sha256>.<ext>` under `files/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    pub name: String,
    /// `recording` or `answer_file`.
    pub kind: String,
    pub participant_id: String,
    pub sha256: String,
    pub size: u64,
    /// Where the box keeps it.
    pub path: std::path::PathBuf,
}

/// The exam's accepted files (matched, by intake or by a person), for the bundle; kept and
/// set-aside files stay on the box (the bundle's record lists them with their reasons).
pub fn bundle_files(conn: &Connection, exam_id: &str) -> Result<Vec<BundleFile>, StoreError> {
    Ok(rec_store::files_for_exam(conn, exam_id)?
        .into_iter()
        .filter(|f| f.status == "matched")
        .filter_map(|f| {
            let path = std::path::PathBuf::from(&f.path);
            let ext = path.extension().map(|e| e.to_string_lossy().to_string()).unwrap_or_else(|| "bin".into());
            Some(BundleFile { name: format!("{}.{ext}", f.sha256), kind: f.kind, participant_id: f.participant_id?, sha256: f.sha256, size: f.size, path })
        })
        .collect())
}
