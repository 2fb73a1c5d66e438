//! The КЕГЭ forms (ППЭ-13-03-К, ППЭ-14-02-К) in a computer exam's print run, filled from the
//! day's data: each room's workstation numbers (one seat = one workstation, the reserve ones
//! after the last seat), who came, who was moved to a reserve workstation (each move listed),
//! and the answer files taken in (the recordings store); ППЭ-05-01 names each participant's
//! workstation. Pure over the [`PrintContext`]; [`KegeDay`] is what the stores hold.

use std::collections::BTreeMap;

use super::{form_holder, form_sheet_budget, local_time, FormDocument, PrintContext};
use crate::attendance::Status;
use crate::config::RecordingsConfig;
use crate::model::{Auditorium, SeatAssignment, Technology};
use crate::printing::forms::{
    kege_materials_pdf, kege_summary_pdf, KegeMaterialsInput, KegeMaterialsRow, KegeMoveRow, KegeRoomRow, KegeSummaryInput,
};
use crate::printing::PrintingError;
use crate::recordings::store::RecordingFileRow;
use crate::recordings::workstations::{reserve_workstations, seat_workstation, WorkstationMove};

/// A computer exam's day as the recordings store holds it: the moves to reserve workstations,
/// the answer files taken in, and each room's count of reserve workstations (config
/// `[recordings]`).
#[derive(Debug, Clone)]
pub struct KegeDay {
    pub moves: Vec<WorkstationMove>,
    pub files: Vec<RecordingFileRow>,
    pub reserve_workstations: u16,
    pub reserve_workstations_by_room: BTreeMap<String, u16>,
}

impl Default for KegeDay {
    fn default() -> Self {
        Self::with_config(&RecordingsConfig::default())
    }
}

impl KegeDay {
    fn with_config(config: &RecordingsConfig) -> Self {
        Self {
            moves: Vec::new(),
            files: Vec::new(),
            reserve_workstations: config.reserve_workstations,
            reserve_workstations_by_room: config.reserve_workstations_by_room.clone(),
        }
    }

    /// The exam's moves and answer files from the store; reserve counts from the default config
    /// until [`KegeDay::use_config`].
    pub fn load(conn: &crate::store::Connection, exam_id: &str) -> anyhow::Result<Self> {
        use anyhow::Context;
        let mut day = Self::default();
        day.moves = crate::recordings::store::moves_for_exam(conn, exam_id).context("load workstation moves")?;
        day.files = crate::recordings::store::files_for_exam(conn, exam_id)
            .context("load answer files")?
            .into_iter()
            .filter(|f| f.kind == crate::recordings::FileKind::AnswerFile.code())
            .collect();
        Ok(day)
    }

    /// The box's own `[recordings]` reserve workstations.
    pub fn use_config(&mut self, config: &RecordingsConfig) {
        self.reserve_workstations = config.reserve_workstations;
        self.reserve_workstations_by_room = config.reserve_workstations_by_room.clone();
    }

    pub fn reserve_for(&self, auditorium: &str) -> u16 {
        self.reserve_workstations_by_room.get(auditorium).copied().unwrap_or(self.reserve_workstations)
    }
}

/// Pages ППЭ-13-03-К or ППЭ-14-02-К may take: a row per room and the total, plus room for the
/// list of moves (a page per 30 seats: far more moves than workstations fail).
pub(super) fn kege_sheet_budget(rooms: usize, seats: usize) -> usize {
    form_sheet_budget(rooms + 1) + seats.div_ceil(30)
}

impl PrintContext<'_> {
    /// A computer exam's place on ППЭ-05-01: the workstation (the reserve one after a move,
    /// `ст. 19 (была 2; 1Б)`) with the seat (`ст. 2 (1Б)`); any other exam's seat label.
    pub(super) fn place_label(&self, s: &SeatAssignment) -> String {
        let room = self.plan.auditoriums.iter().find(|a| a.ppe_code == self.ppe_code && a.auditorium == s.auditorium);
        match room.filter(|_| self.exam.technology() == Technology::Computer) {
            None => s.seat_label(),
            Some(room) => {
                let seat = seat_workstation(room, s.row, s.column);
                match self.day.kege.moves.iter().rfind(|m| m.participant_id == s.participant_id) {
                    Some(m) => format!("ст. {} (была {seat}; {})", m.to_workstation, s.seat_label()),
                    None => format!("ст. {seat} ({})", s.seat_label()),
                }
            }
        }
    }

    /// ППЭ-13-03-К and ППЭ-14-02-К, where the exam's technology prints them.
    pub(super) fn kege_documents(&self, auditoriums: &[String]) -> Result<Vec<FormDocument>, PrintingError> {
        let (summary, materials) = (self.prints("ППЭ-13-03-К"), self.prints("ППЭ-14-02-К"));
        if !summary && !materials {
            return Ok(Vec::new());
        }
        let header = super::exam_header(self.plan, self.exam, self.ppe_code);
        let rooms: Vec<Auditorium> = self.plan.auditoriums.iter().filter(|a| a.ppe_code == self.ppe_code).cloned().collect();
        let status = |p: &str| self.day.state_of(p).status;
        let reserve = |room: &str| self.day.kege.reserve_for(room);
        let rows = kege_room_rows(&rooms, self.seats, &status, &self.day.kege.moves, &self.day.kege.files, &reserve);
        let mut docs = Vec::new();
        let document = |holder: String, mut doc: crate::printing::PrintDocument, file: &str| {
            doc.file_name = file.to_string();
            FormDocument { holder, participant: None, doc }
        };
        if summary {
            let holder = form_holder("ППЭ-13-03-К", None);
            let input =
                KegeSummaryInput { exam: header.clone(), rows: rows.clone(), moves: self.kege_moves(), first_sheet: self.first_sheet(&holder)? };
            docs.push(document(holder, kege_summary_pdf(&input, self.key)?, "ppe-13-03-k.pdf"));
        }
        if materials {
            let holder = form_holder("ППЭ-14-02-К", None);
            let desk = self.materials_rows(auditoriums);
            let rows = rows
                .into_iter()
                .map(|room| {
                    let m = desk.iter().find(|m| m.auditorium == room.auditorium);
                    KegeMaterialsRow {
                        forms_issued: m.map_or(0, |m| m.kits_issued),
                        issued_at: m.map(|m| m.issued_at.clone()).unwrap_or_default(),
                        forms_returned: m.map_or(0, |m| m.kits_returned),
                        returned_at: m.map(|m| m.returned_at.clone()).unwrap_or_default(),
                        room,
                    }
                })
                .collect();
            let input = KegeMaterialsInput { exam: header, rows, first_sheet: self.first_sheet(&holder)? };
            docs.push(document(holder, kege_materials_pdf(&input, self.key)?, "ppe-14-02-k.pdf"));
        }
        Ok(docs)
    }

    /// Every move of this point's participants to a reserve workstation, in the order made.
    pub(super) fn kege_moves(&self) -> Vec<KegeMoveRow> {
        self.day
            .kege
            .moves
            .iter()
            .filter(|m| self.seats.iter().any(|s| s.participant_id == m.participant_id))
            .map(|m| KegeMoveRow {
                auditorium: m.auditorium.clone(),
                name: self.person(&m.participant_id).full_name(),
                from_workstation: m.from_workstation,
                to_workstation: m.to_workstation,
                reason: m.reason.clone(),
                at: local_time(self.exam, &m.moved_at),
            })
            .collect()
    }
}

/// `1–15`, `7`, or empty.
fn range_text(numbers: &[u16]) -> String {
    match (numbers.iter().min(), numbers.iter().max()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) if usize::from(b - a) + 1 == numbers.len() => format!("{a}–{b}"),
        _ => numbers.iter().map(u16::to_string).collect::<Vec<_>>().join(", "),
    }
}

/// One row per auditorium with seats, in auditorium order. `status` is a participant's
/// attendance now; `reserve` the room's reserve workstations (config).
pub fn kege_room_rows(
    rooms: &[Auditorium],
    seats: &[SeatAssignment],
    status: &dyn Fn(&str) -> Status,
    moves: &[WorkstationMove],
    files: &[RecordingFileRow],
    reserve: &dyn Fn(&str) -> u16,
) -> Vec<KegeRoomRow> {
    let mut codes: Vec<&str> = seats.iter().map(|s| s.auditorium.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
        .into_iter()
        .filter_map(|code| {
            let room = rooms.iter().find(|r| r.auditorium == code)?;
            let here: Vec<&SeatAssignment> = seats.iter().filter(|s| s.auditorium == code).collect();
            let mut numbers: Vec<u16> = here.iter().map(|s| seat_workstation(room, s.row, s.column)).collect();
            numbers.sort_unstable();
            let count = |want: Status| here.iter().filter(|s| status(&s.participant_id) == want).count() as u32;
            let is_here = |p: &Option<String>| p.as_deref().is_some_and(|p| here.iter().any(|s| s.participant_id == p));
            let mut moved: Vec<&str> = moves.iter().filter(|m| m.auditorium == code).map(|m| m.participant_id.as_str()).collect();
            moved.sort_unstable();
            moved.dedup();
            Some(KegeRoomRow {
                auditorium: code.to_string(),
                workstations: range_text(&numbers),
                reserve_workstations: range_text(&reserve_workstations(room, reserve(code)).collect::<Vec<_>>()),
                seated: here.len() as u32,
                present: count(Status::Present),
                absent: count(Status::Absent),
                removed: count(Status::Removed),
                finished_early: count(Status::FinishedEarly),
                moved_to_reserve: moved.len() as u32,
                answer_files: files.iter().filter(|f| f.status == "matched" && is_here(&f.participant_id)).count() as u32,
                files_to_resolve: files.iter().filter(|f| f.status == "to_resolve" && is_here(&f.participant_id)).count() as u32,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workstation_numbers_read_as_ranges() {
        assert_eq!(range_text(&[1, 2, 3, 4]), "1–4");
        assert_eq!(range_text(&[7]), "7");
        assert_eq!(range_text(&[1, 2, 5]), "1, 2, 5");
        assert_eq!(range_text(&[]), "");
    }
}
