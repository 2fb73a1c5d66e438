//! The numbers of one exam at this box, as the heartbeat reports them and the UI, `edge status`
//! and the duties judge them: materials, printing, seating, attendance, scanning completeness,
//! upload progress and receipt, alarms.

use crate::protocol::heartbeat::{AttendanceReport, FilesReport, MaterialsReport, PagesReport, UploadReport};
use crate::store::Connection;

use super::{box_state, DayError};

/// What the box knows about one exam, gathered by the caller from its own stores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoxNumbers {
    pub exam_id: String,
    pub materials: MaterialsReport,
    /// The package download is running now.
    pub pulling: bool,
    /// A print run is in progress now.
    pub printing: bool,
    pub seating_done: bool,
    pub attendance: AttendanceReport,
    pub pages: PagesReport,
    /// Recordings or КЕГЭ answer files (`recordings::facts::completeness_now`).
    pub files: FilesReport,
    /// The scanner is taking pages in now.
    pub scanning: bool,
    pub upload: UploadReport,
    pub alarms: Vec<String>,
    pub last_error: Option<String>,
}

/// Reads the box's own stores into [`BoxNumbers`] for one exam (materials, printing, seating,
/// attendance, scanning completeness, upload progress and receipt, alarms). Blocking; run it
/// off the async threads. What is running right now (`pulling`, `printing`, `scanning`) and the
/// last error are the caller's to add.
pub fn gather_box_numbers(conn: &Connection, exam_id: &str, ppe_code: &str) -> Result<BoxNumbers, DayError> {
    let mut n = BoxNumbers { exam_id: exam_id.to_string(), ..Default::default() };
    if let Some((version, json)) = crate::materials::store::manifest_get(conn, exam_id).map_err(box_state)? {
        n.materials.pulled = true;
        n.materials.manifest_version = Some(version);
        // The store keeps the manifest as the hub signed it (`SignedManifest`), exactly its bytes.
        if let Ok(crate::materials::SignedManifest { manifest: m, .. }) = serde_json::from_str(&json) {
            let verified = crate::materials::store::files_verified(conn, exam_id, &m.package_id).map_err(box_state)?;
            n.materials.verified = m.files.iter().all(|f| verified.contains(&f.name));
        }
    }
    n.materials.key_received = crate::materials::store::key_get(conn, exam_id).map_err(box_state)?.is_some();
    n.materials.printed = crate::printing::store::print_jobs_for_exam(conn, exam_id).map_err(box_state)?.iter().any(|j| j.confirmed_by.is_some());
    n.seating_done = !crate::seating::store::seat_assignments_for_exam(conn, exam_id).map_err(box_state)?.is_empty();

    let plan = crate::plan::store::load_plan(conn).map_err(box_state)?;
    // A participant without допуск к ГИА is never seated, so never marked: not planned either.
    let not_admitted: std::collections::HashSet<&str> = plan.participants.iter().filter(|p| !p.admitted).map(|p| p.participant_id.as_str()).collect();
    let planned = plan.registrations.iter().filter(|r| r.exam_id == exam_id && r.ppe_code == ppe_code && !not_admitted.contains(r.participant_id.as_str())).count();
    let states = crate::attendance::ops::states(conn, exam_id).map_err(box_state)?;
    let c = crate::attendance::counts(states.values());
    let marked = c.planned - c.unmarked;
    n.attendance = AttendanceReport {
        planned: planned as u32,
        present: states.values().filter(|s| s.status.sat()).count() as u32,
        absent: c.absent as u32,
        removed: c.removed as u32,
        early: c.finished_early as u32,
        closed: planned > 0 && marked >= planned,
    };
    let expected = crate::attendance::ops::expected_sheets(conn, exam_id, ppe_code).map_err(box_state)?;
    let sheets: usize = expected.participants.iter().filter(|p| p.present).map(|p| p.sheets.len()).sum();
    let scanned = crate::scanning::store::pages_for_exam(conn, exam_id).map_err(box_state)?.iter().filter(|p| p.status == "matched").count();
    let completeness = crate::scanning::intake::completeness_now(conn, exam_id, &expected).map_err(box_state)?;
    n.pages = PagesReport {
        expected: if n.attendance.closed { (sheets + expected.required_statements.len()) as u64 } else { 0 },
        scanned: scanned as u64,
        missing: (completeness.missing_sheets.len() + completeness.missing_statements.len()) as u64,
    };
    n.files = files_report(conn, exam_id, ppe_code, n.attendance.closed)?;
    let (bytes_done, bytes_total, files_done, files_total) = crate::upload::store::box_upload_progress(conn, exam_id).map_err(box_state)?;
    let receipt = crate::upload::store::receipt_latest(conn, exam_id).map_err(box_state)?.map(|(manifest, _)| manifest);
    n.upload = UploadReport { bytes_done, bytes_total, files_done, files_total, receipt_id: receipt };
    n.alarms = crate::materials::store::alarms(conn).map_err(box_state)?.into_iter().filter(|a| a.0 == exam_id).map(|a| a.2).collect();
    Ok(n)
}

/// Recordings or answer files of an exam that collects them, counted like pages: expected
/// only once attendance is closed.
fn files_report(conn: &Connection, exam_id: &str, ppe_code: &str, closed: bool) -> Result<FilesReport, DayError> {
    let Some((kind, c)) = crate::recordings::facts::completeness_now(conn, exam_id, ppe_code).map_err(box_state)? else {
        return Ok(FilesReport::default());
    };
    Ok(FilesReport {
        kind: kind.code().to_string(),
        expected: if closed { c.expected } else { 0 },
        taken: c.received,
        missing: if closed { c.missing.len() as u64 } else { 0 },
        to_resolve: c.to_resolve,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_numbers_come_from_the_box_stores() {
        let mut conn = crate::store::open_in_memory().unwrap();
        let empty = gather_box_numbers(&conn, "ege-02", "0101").unwrap();
        assert_eq!(empty, BoxNumbers { exam_id: "ege-02".into(), ..Default::default() });
        let manifest = serde_json::json!({"signature": "00", "manifest": {
            "format": "x", "package_id": "pkg1", "exam_id": "ege-02", "ppe_code": "0101", "version": 3, "created": "", "expires": "",
            "window_open": "", "window_close": "",
            "files": [{"name": "kim.pdf", "role": "kim", "plain_len": 1, "cipher_len": 1, "plain_sha256": "", "cipher_sha256": "", "chunk_size": 1, "nonce_prefix": ""}]
        }});
        let tx = conn.transaction().unwrap();
        crate::materials::store::manifest_accept(&tx, "ege-02", "0101", 3, "pkg1", &manifest.to_string(), "t").unwrap();
        crate::materials::store::key_received(&tx, "ege-02", "pkg1", 3, "t", "t").unwrap();
        tx.commit().unwrap();
        let n = gather_box_numbers(&conn, "ege-02", "0101").unwrap();
        assert!(n.materials.pulled && !n.materials.verified && n.materials.key_received, "{:?}", n.materials);
        crate::materials::store::file_verified(&conn, "ege-02", "pkg1", "kim.pdf", "", 1, "t").unwrap();
        crate::upload::store::upload_file_ensure(&conn, "ege-02", "a.png", "00", 100).unwrap();
        crate::upload::store::upload_file_ensure(&conn, "ege-02", "b.png", "01", 300).unwrap();
        crate::upload::store::upload_file_complete(&conn, "ege-02", "a.png", "t").unwrap();
        let n = gather_box_numbers(&conn, "ege-02", "0101").unwrap();
        assert_eq!(n.materials, MaterialsReport { pulled: true, verified: true, manifest_version: Some(3), key_received: true, printed: false });
        assert_eq!(n.upload, UploadReport { bytes_done: 100, bytes_total: 400, files_done: 1, files_total: 2, receipt_id: None });
        crate::upload::store::receipt_insert(&conn, "ege-02", "feed", "{}", "t").unwrap();
        assert_eq!(gather_box_numbers(&conn, "ege-02", "0101").unwrap().upload.receipt_id.as_deref(), Some("feed"));
        assert!(gather_box_numbers(&conn, "oge-01", "0101").unwrap().upload.receipt_id.is_none(), "per exam");
    }

}
