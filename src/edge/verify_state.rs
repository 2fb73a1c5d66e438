//! The box's (and the hub's) own consistency checks, run after a crash by the crash harness
//! (`tests/it/chaos.rs`, `scripts/chaos.sh`): the database's integrity, the audit chain from
//! genesis, every stored page's file with its size and hash, no page stored twice, no page
//! file without its row, and a built bundle's files against its signed manifest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::store::Connection;

/// What kind of damage a problem is (the harness's table columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Damage {
    /// Recorded but not there (a page row whose file is missing, a manifest file absent).
    Lost,
    /// There twice (two rows of the same bytes) or a file no row accounts for.
    Duplicated,
    /// There but wrong (a hash or size that differs, a failed integrity check, a broken chain).
    Corrupted,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub damage: Damage,
    pub detail: String,
}

/// The result of a check: what was counted and every problem found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StateReport {
    /// Stored pages per exam.
    pub pages: BTreeMap<String, usize>,
    /// Temporary files a killed atomic write left (`.<name>.tmp-…`): never data, not counted
    /// as damage.
    pub temp_leftovers: usize,
    pub problems: Vec<Problem>,
}

impl StateReport {
    fn problem(&mut self, damage: Damage, detail: String) {
        self.problems.push(Problem { damage, detail });
    }

    pub fn count(&self, damage: Damage) -> usize {
        self.problems.iter().filter(|p| p.damage == damage).count()
    }
}

/// `PRAGMA integrity_check` and the audit chain from genesis (box and hub alike).
pub fn database(conn: &Connection) -> StateReport {
    let mut report = StateReport::default();
    match crate::store::integrity::integrity_check(conn) {
        Ok(lines) if lines == ["ok"] => {}
        Ok(lines) => report.problem(Damage::Corrupted, format!("integrity_check: {}", lines.join("; "))),
        Err(e) => report.problem(Damage::Corrupted, format!("integrity_check: {e}")),
    }
    match crate::audit::store::all(conn) {
        Ok(entries) => {
            if let Err(e) = crate::audit::verify_chain(crate::audit::GENESIS, &entries) {
                report.problem(Damage::Corrupted, format!("audit chain: {e}"));
            }
        }
        Err(e) => report.problem(Damage::Corrupted, format!("audit log: {e}")),
    }
    report
}

fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// Every check of [`database`], then the pages under `state_dir/scans/<exam>/` against their
/// rows and every bundle under `state_dir/bundles/<exam>/` against its manifest.
pub fn box_state(conn: &Connection, state_dir: &Path) -> anyhow::Result<StateReport> {
    let mut report = database(conn);
    let scans = state_dir.join("scans");
    let exams: Vec<String> = match std::fs::read_dir(&scans) {
        Ok(d) => d.flatten().filter(|e| e.path().is_dir()).map(|e| e.file_name().to_string_lossy().to_string()).filter(|n| n != "spool").collect(),
        Err(_) => Vec::new(),
    };
    for exam in exams {
        let rows = crate::scanning::store::pages_for_exam(conn, &exam)?;
        report.pages.insert(exam.clone(), rows.len());
        let mut seen = BTreeSet::new();
        let mut paths = BTreeSet::new();
        for row in &rows {
            if !seen.insert(row.sha256.clone()) {
                report.problem(Damage::Duplicated, format!("{exam}: page {} stored twice", row.sha256));
            }
            paths.insert(std::path::PathBuf::from(&row.path));
            check_file(&mut report, Path::new(&row.path), &row.sha256, row.size, &format!("{exam}: page {}", row.page_id));
        }
        for entry in std::fs::read_dir(scans.join(&exam))?.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if is_temp_name(&name) {
                report.temp_leftovers += 1;
            } else if !paths.contains(&entry.path()) {
                report.problem(Damage::Duplicated, format!("{exam}: file {name} has no page row"));
            }
        }
    }
    let bundles = state_dir.join("bundles");
    for entry in std::fs::read_dir(&bundles).map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default() {
        let dir = entry.path();
        if !dir.join("manifest.json").exists() {
            continue;
        }
        let built = match crate::upload::bundle::BuiltBundle::read(&dir) {
            Ok(b) => b,
            Err(e) => {
                report.problem(Damage::Corrupted, format!("{}: {e:#}", dir.join("manifest.json").display()));
                continue;
            }
        };
        for f in &built.signed.manifest.files {
            check_file(
                &mut report,
                &built.file_path(&f.name),
                &f.sha256,
                f.size,
                &format!("bundle {}: {}", entry.file_name().to_string_lossy(), f.name),
            );
        }
    }
    Ok(report)
}

fn check_file(report: &mut StateReport, path: &Path, sha256: &str, size: u64, what: &str) {
    match std::fs::read(path) {
        Err(e) => report.problem(Damage::Lost, format!("{what}: {} ({e})", path.display())),
        Ok(bytes) if bytes.len() as u64 != size || crate::util::sha256_hex(&bytes) != sha256 => {
            report.problem(Damage::Corrupted, format!("{what}: {} differs from its record", path.display()))
        }
        Ok(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn box_with_one_page() -> (tempfile::TempDir, Connection, std::path::PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let state = t.path().join("state");
        std::fs::create_dir_all(state.join("scans/e1")).unwrap();
        let conn = crate::store::open(&state.join("ppe.db")).unwrap();
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"k");
        let clock = crate::clock::Clock::real();
        let intake = crate::scanning::intake::Intake::new(&conn, &clock, "e1", "0101", &key, state.join("scans"), "test");
        intake.ingest_page(b"page one", "a.png", "png", 0).unwrap();
        (t, conn, state)
    }

    #[test]
    fn a_sound_box_passes_and_each_kind_of_damage_is_named() {
        let (_t, conn, state) = box_with_one_page();
        let r = box_state(&conn, &state).unwrap();
        assert_eq!(r.problems, vec![], "{r:?}");
        assert_eq!(r.pages["e1"], 1);

        // A file no row accounts for, and a temporary file of a killed write (not damage).
        std::fs::write(state.join("scans/e1/stray.png"), b"x").unwrap();
        std::fs::write(state.join("scans/e1/.p.png.tmp-0"), b"x").unwrap();
        let r = box_state(&conn, &state).unwrap();
        assert_eq!((r.count(Damage::Duplicated), r.temp_leftovers), (1, 1), "{r:?}");
        std::fs::remove_file(state.join("scans/e1/stray.png")).unwrap();

        // The page's bytes changed, then gone.
        let page = crate::scanning::store::pages_for_exam(&conn, "e1").unwrap().remove(0);
        std::fs::write(&page.path, b"page 0ne").unwrap();
        assert_eq!(box_state(&conn, &state).unwrap().count(Damage::Corrupted), 1);
        std::fs::remove_file(&page.path).unwrap();
        let r = box_state(&conn, &state).unwrap();
        assert_eq!((r.count(Damage::Lost), r.count(Damage::Corrupted)), (1, 0), "{r:?}");
    }
}
