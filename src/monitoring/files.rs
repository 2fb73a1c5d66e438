//! Recordings of oral exams and КЕГЭ answer files on the dashboard (issue 18 item 7), counted
//! like pages: expected (participants who sat, as the box reports once attendance closes) →
//! taken on the box → received by the hub → verified (in a bundle the hub accepted). Pure: the
//! hub's own numbers come from `store::hub_upload_facts_for_exam`, the box's from its
//! heartbeat (`protocol::heartbeat::FilesReport`).

use serde::{Deserialize, Serialize};

use super::{HeartbeatReport, HubUploadFacts, UploadTruth};

/// The bundle manifest's kinds of participant files.
pub const RECORDING: &str = "recording";
pub const ANSWER_FILE: &str = "answer_file";

/// One point's recordings or answer files on one exam; all zero and `kind` empty when the
/// exam collects none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilesRow {
    /// `recording` or `answer_file`; empty for a written exam.
    pub kind: String,
    pub expected: u64,
    /// Accepted on the box (the box's own count).
    pub taken: u64,
    pub received: u64,
    pub verified: u64,
}

impl FilesRow {
    /// «записи» / «файлы ответов»: what the operator reads on the row.
    pub fn title_ru(&self) -> &'static str {
        kind_title_ru(&self.kind)
    }
}

pub fn kind_title_ru(kind: &str) -> &'static str {
    match kind {
        RECORDING => "записи",
        ANSWER_FILE => "файлы ответов",
        "" => "",
        _ => "файлы участников",
    }
}

/// The row of a point from what its box reports and what the hub holds. `planned_kind` is
/// what the plan says the exam collects (the row of a silent box knows it too). The hub's
/// records are the truth when it has them; otherwise the box's word (taken and uploaded ⇒
/// received, a receipt ⇒ verified), like pages.
pub fn files_row(report: Option<&HeartbeatReport>, truth: UploadTruth, hub: Option<&HubUploadFacts>, planned_kind: Option<&str>) -> FilesRow {
    let reported = report.map(|r| &r.files);
    let kind = reported.map(|f| f.kind.clone()).filter(|k| !k.is_empty()).or_else(|| planned_kind.map(str::to_string)).unwrap_or_default();
    if kind.is_empty() {
        return FilesRow::default();
    }
    let (expected, taken) = reported.map(|f| (f.expected, f.taken)).unwrap_or((0, 0));
    let (received, verified) = match truth {
        UploadTruth::HubRecords => {
            let none = HubUploadFacts::default();
            let hub = hub.unwrap_or(&none);
            let verified = if hub.bundle_verified { hub.participant_files_verified } else { 0 };
            (hub.participant_files_received.max(verified), verified)
        }
        UploadTruth::BoxReports => match report {
            Some(r) if r.upload.receipt_id.is_some() => (taken, taken),
            Some(r) if r.upload.bytes_total > 0 && r.upload.bytes_done >= r.upload.bytes_total => (taken, 0),
            _ => (0, 0),
        },
    };
    FilesRow { kind, expected, taken, received, verified }
}

/// Recordings or answer files over some rows: expected → taken → received → verified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilesFunnel {
    pub expected: u64,
    pub taken: u64,
    pub received: u64,
    pub verified: u64,
    /// Points whose exam collects these files.
    pub points: u32,
}

impl FilesFunnel {
    pub fn add(&mut self, f: &FilesRow) {
        self.expected += f.expected;
        self.taken += f.taken;
        self.received += f.received;
        self.verified += f.verified;
        self.points += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::{FilesReport, UploadReport};

    fn box_says(taken: u64, receipt: bool) -> HeartbeatReport {
        HeartbeatReport {
            files: FilesReport { kind: RECORDING.into(), expected: 4, taken, missing: 4 - taken, to_resolve: 0 },
            upload: UploadReport { bytes_done: 10, bytes_total: 10, receipt_id: receipt.then(|| "feed".into()), ..Default::default() },
            ..Default::default()
        }
    }

    #[test]
    fn the_hub_counts_what_it_holds_and_verified_only_in_an_accepted_bundle() {
        let r = box_says(4, true);
        let mut hub = HubUploadFacts { participant_files_received: 3, ..Default::default() };
        assert_eq!(
            files_row(Some(&r), UploadTruth::HubRecords, Some(&hub), Some(RECORDING)),
            FilesRow { kind: RECORDING.into(), expected: 4, taken: 4, received: 3, verified: 0 },
            "the box's receipt claim verifies nothing"
        );
        hub.participant_files_verified = 4;
        assert_eq!(files_row(Some(&r), UploadTruth::HubRecords, Some(&hub), None).verified, 0, "counted, but the bundle is not accepted");
        hub.bundle_verified = true;
        let row = files_row(Some(&r), UploadTruth::HubRecords, Some(&hub), None);
        assert_eq!((row.received, row.verified), (4, 4), "a bundle carried on media: verified files were received");
    }

    #[test]
    fn a_silent_box_of_an_oral_exam_still_shows_recordings_and_a_written_exam_none() {
        let row = files_row(None, UploadTruth::HubRecords, None, Some(ANSWER_FILE));
        assert_eq!(row, FilesRow { kind: ANSWER_FILE.into(), ..Default::default() });
        assert_eq!(row.title_ru(), "файлы ответов");
        assert_eq!(files_row(Some(&HeartbeatReport::default()), UploadTruth::HubRecords, None, None), FilesRow::default());
        assert_eq!(FilesRow::default().title_ru(), "");
    }

    #[test]
    fn by_the_boxes_word_uploaded_is_received_and_a_receipt_verified() {
        assert_eq!(files_row(Some(&box_says(3, false)), UploadTruth::BoxReports, None, None).received, 3);
        assert_eq!(files_row(Some(&box_says(3, false)), UploadTruth::BoxReports, None, None).verified, 0);
        assert_eq!(files_row(Some(&box_says(3, true)), UploadTruth::BoxReports, None, None).verified, 3);
        let mut half = box_says(3, false);
        half.upload.bytes_done = 5;
        assert_eq!(files_row(Some(&half), UploadTruth::BoxReports, None, None).received, 0);
    }

    #[test]
    fn the_funnel_adds_rows() {
        let mut f = FilesFunnel::default();
        f.add(&FilesRow { kind: RECORDING.into(), expected: 4, taken: 4, received: 3, verified: 2 });
        f.add(&FilesRow { kind: RECORDING.into(), expected: 5, taken: 1, received: 0, verified: 0 });
        assert_eq!(f, FilesFunnel { expected: 9, taken: 5, received: 3, verified: 2, points: 2 });
    }
}
