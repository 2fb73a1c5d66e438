//! The scanner's spool folders: a run killed between scanimage and the intake leaves its pages
//! there; the next scan takes them in before anything else (the crash harness found them lost).

use std::path::{Path, PathBuf};

use super::{scan_store, Intake, IntakeReport, ScanError};

impl Intake<'_> {
    /// Takes in the spools of this exam other than `current` (`<exam>-<uuid>`) that a killed
    /// run left behind, then clears them: their pages went through the scanner already.
    pub(super) fn take_in_leftover_spools(&self, current: &Path) -> Result<IntakeReport, ScanError> {
        let mut total = IntakeReport::default();
        let prefix = format!("{}-", self.exam_id);
        let left: Vec<PathBuf> = std::fs::read_dir(self.scans_dir.join("spool"))
            .map(|d| d.flatten().map(|e| e.path()).collect::<Vec<PathBuf>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|p| {
                p != current
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.strip_prefix(&prefix))
                        .is_some_and(|u| u.len() == 32 && u.chars().all(|c| c.is_ascii_hexdigit()))
            })
            .collect();
        for spool in left {
            total.absorb(self.ingest_folder(&spool)?);
            self.clear_spool(&spool);
        }
        Ok(total)
    }

    /// Empties a spool only of pages now stored; a partial file stays for a person.
    pub(super) fn clear_spool(&self, spool: &Path) {
        if let Ok(entries) = std::fs::read_dir(spool) {
            for e in entries.flatten() {
                let p = e.path();
                if let Ok(bytes) = std::fs::read(&p) {
                    let sha = crate::util::sha256_hex(&bytes);
                    if scan_store::page_by_sha256(self.conn, self.exam_id, &sha).ok().flatten().is_some() {
                        let _ = std::fs::remove_file(&p);
                    }
                }
            }
        }
        let _ = std::fs::remove_dir(spool);
    }
}

impl IntakeReport {
    /// Adds the pages of another folder (a spool a killed run left).
    pub(super) fn absorb(&mut self, r: IntakeReport) {
        (self.stored, self.already_had, self.matched, self.to_resolve) =
            (self.stored + r.stored, self.already_had + r.already_had, self.matched + r.matched, self.to_resolve + r.to_resolve);
    }
}
