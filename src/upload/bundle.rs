//! The box's bundle of an exam day: a folder `state_dir/bundles/<exam_id>/` with `files/`
//! (the page images, linked from the scan store, the machine-read statements' structured
//! records `records-<form>.json` made from the day's stores, and `record.json`, the machine-readable
//! record of the day) and `manifest.json` (the signed manifest). Built once and reused while
//! the scanned pages stay the same, so a restart uploads the very same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{sign_manifest, AuditHead, Manifest, ManifestFile, SignedManifest, MANIFEST_FORMAT};
use crate::clock::Clock;
use crate::scanning::store as scan_store;
use crate::store::Connection;

pub struct BuiltBundle {
    pub dir: PathBuf,
    pub signed: SignedManifest,
}

impl BuiltBundle {
    pub fn file_path(&self, name: &str) -> PathBuf {
        self.dir.join("files").join(name)
    }

    pub fn read(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join("manifest.json");
        let text = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
        let signed: SignedManifest = serde_json::from_slice(&text).with_context(|| format!("{} is not a signed manifest", path.display()))?;
        Ok(Self { dir: dir.to_path_buf(), signed })
    }
}

pub fn bundle_dir(state_dir: &Path, exam_id: &str) -> PathBuf {
    state_dir.join("bundles").join(exam_id)
}

/// Builds (or reuses) the bundle of an exam.
pub fn build_or_reuse(
    conn: &Connection,
    clock: &Clock,
    state_dir: &Path,
    exam_id: &str,
    ppe_code: &str,
    box_key: &ring::signature::Ed25519KeyPair,
    expected: Option<&crate::scanning::ExpectedSheets>,
    rebuild: bool,
) -> anyhow::Result<BuiltBundle> {
    let dir = bundle_dir(state_dir, exam_id);
    let pages = scan_store::pages_for_exam(conn, exam_id)?;
    let statement_records = statement_records(conn, exam_id, ppe_code)?;
    let statement_hashes: Vec<String> = statement_records.iter().map(|(_, bytes)| crate::util::sha256_hex(bytes)).collect();
    // Recordings and КЕГЭ answer files accepted for participants travel as their own entries.
    let participant_files = crate::recordings::facts::bundle_files(conn, exam_id)?;
    if !rebuild && dir.join("manifest.json").exists() {
        let existing = BuiltBundle::read(&dir)?;
        let mut had: Vec<&str> = existing.signed.manifest.files.iter().filter(|f| f.kind != "record").map(|f| f.sha256.as_str()).collect();
        let mut now: Vec<&str> = pages
            .iter()
            .map(|p| p.sha256.as_str())
            .chain(statement_hashes.iter().map(String::as_str))
            .chain(participant_files.iter().map(|f| f.sha256.as_str()))
            .collect();
        had.sort();
        now.sort();
        // Reused only with the same offline activations of the key by phone attached.
        if had == now && crate::materials::phone_code::bundle::attach(conn, existing.signed.clone(), box_key)? == existing.signed {
            return Ok(existing);
        }
    }
    let files_dir = dir.join("files");
    // The old manifest goes first: a build that fails half-way (a full disk) leaves no
    // manifest over a half-filled folder that a later run could take for a whole bundle.
    let old_manifest = dir.join("manifest.json");
    if old_manifest.exists() {
        std::fs::remove_file(&old_manifest).with_context(|| format!("remove {}", old_manifest.display()))?;
        crate::util::sync_dir(&dir)?;
    }
    let full = |e| crate::util::no_space_in(&files_dir, e);
    if files_dir.exists() {
        std::fs::remove_dir_all(&files_dir).with_context(|| format!("clear {}", files_dir.display()))?;
    }
    std::fs::create_dir_all(&files_dir).map_err(full).with_context(|| format!("create {}", files_dir.display()))?;
    let mut files = Vec::new();
    for f in content_files_of(&pages, &participant_files) {
        let dst = files_dir.join(&f.name);
        if std::fs::hard_link(&f.path, &dst).is_err() {
            std::fs::copy(&f.path, &dst).map_err(full).with_context(|| format!("copy {} into the bundle", f.path.display()))?;
        }
        files.push(f.manifest_file());
    }
    for ((name, bytes), sha256) in statement_records.iter().zip(statement_hashes) {
        crate::util::write_atomic(&files_dir.join(name), bytes).map_err(full)?;
        files.push(ManifestFile { name: name.clone(), kind: STATEMENT_RECORD_KIND.into(), sha256, size: bytes.len() as u64, participant_id: None });
    }
    let (seq, hash) = crate::audit::store::head(conn)?;
    let now = clock.now_rfc3339();
    let seating = crate::seating::store::seat_assignments_for_exam(conn, exam_id).unwrap_or_default();
    let audit: Vec<_> = crate::audit::store::all(conn)?;
    let statuses: Vec<crate::scanning::PageStatus> = pages.iter().filter_map(|p| crate::scanning::PageStatus::parse(&p.status)).collect();
    let by_status = crate::scanning::count_by_status(&statuses);
    let completeness = match expected {
        Some(exp) => Some(crate::scanning::intake::completeness_now(conn, exam_id, exp)?),
        None => None,
    };
    let record = serde_json::json!({
        "expected": expected,
        "completeness": completeness,
        "format": "ppe-day-record-1",
        "exam_id": exam_id,
        "ppe_code": ppe_code,
        "created_at": now,
        "seating": seating,
        // Each participant's КИМ variant (and its seat), so РЦОИ can mark the work.
        "variants": crate::seating::variants::store::variants_for_exam(conn, exam_id, ppe_code)?,
        "pages": pages.iter().map(|p| serde_json::json!({
            "page_id": p.page_id, "sha256": p.sha256, "size": p.size, "scanned_at": p.scanned_at,
            "status": p.status, "reason": p.reason, "sheet_kind": p.sheet_kind, "sheet_number": p.sheet_number,
            "participant_id": p.participant_id, "resolved_by": p.resolved_by,
            "form": p.form, "auditorium": p.auditorium, "form_page": p.form_page, "form_pages": p.form_pages,
        })).collect::<Vec<_>>(),
        "pages_by_status": by_status,
        // Every recording and answer file taken in, kept ones with their reasons.
        "participant_files": crate::recordings::store::files_for_exam(conn, exam_id)?,
        "audit": audit,
    });
    let record_bytes = serde_json::to_vec_pretty(&record)?;
    crate::util::write_atomic(&files_dir.join("record.json"), &record_bytes).map_err(full)?;
    files.push(ManifestFile {
        name: "record.json".into(),
        kind: "record".into(),
        sha256: crate::util::sha256_hex(&record_bytes),
        size: record_bytes.len() as u64,
        participant_id: None,
    });
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    counts.insert("pages".into(), pages.len() as u64);
    for (k, v) in by_status {
        counts.insert(format!("pages_{k}"), v);
    }
    counts.insert("seated".into(), seating.len() as u64);
    for kind in crate::protocol::bundle::PARTICIPANT_FILE_KINDS {
        let n = participant_files.iter().filter(|f| f.kind == *kind).count() as u64;
        if n > 0 {
            counts.insert(format!("{kind}s"), n);
        }
    }
    counts.insert("audit_entries".into(), seq.max(0) as u64);
    let manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        exam_id: exam_id.to_string(),
        ppe_code: ppe_code.to_string(),
        created_at: now,
        files,
        counts,
        audit_head: AuditHead { seq, hash },
    };
    let signed = crate::materials::phone_code::bundle::attach(conn, sign_manifest(manifest, box_key), box_key)?;
    crate::util::crash_point("bundle.files_written");
    crate::util::write_atomic(&dir.join("manifest.json"), &serde_json::to_vec_pretty(&signed)?).map_err(|e| crate::util::no_space_in(&dir, e))?;
    Ok(BuiltBundle { dir, signed })
}

/// A file of an exam's content that a bundle references: a page image (named by its hash, as
/// in the manifest) or a participant's recording or answer file, with where its bytes lie on
/// the box. The streaming upload sends these while scanning goes on; the bundle built at the
/// end names the very same files, so the hub finds them among what it already holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentFile {
    pub name: String,
    pub kind: String,
    pub sha256: String,
    pub size: u64,
    pub participant_id: Option<String>,
    pub path: PathBuf,
    /// The printed form a page belongs to (`ППЭ-13-02-МАШ`, …), for the sending order.
    pub form: Option<String>,
}

impl ContentFile {
    pub fn manifest_file(&self) -> ManifestFile {
        ManifestFile {
            name: self.name.clone(),
            kind: self.kind.clone(),
            sha256: self.sha256.clone(),
            size: self.size,
            participant_id: self.participant_id.clone(),
        }
    }
}

/// The content files of an exam as they stand now (every page taken in, whatever its status,
/// and every accepted recording or answer file).
pub fn content_files(conn: &Connection, exam_id: &str) -> anyhow::Result<Vec<ContentFile>> {
    let pages = scan_store::pages_for_exam(conn, exam_id)?;
    let participant_files = crate::recordings::facts::bundle_files(conn, exam_id)?;
    Ok(content_files_of(&pages, &participant_files))
}

fn content_files_of(pages: &[scan_store::ScannedPageRow], participant_files: &[crate::recordings::facts::BundleFile]) -> Vec<ContentFile> {
    let mut out = Vec::with_capacity(pages.len() + participant_files.len());
    for p in pages {
        let path = PathBuf::from(&p.path);
        let ext = path.extension().map(|e| e.to_string_lossy().to_string()).unwrap_or_else(|| "img".into());
        let kind = if p.sheet_kind.as_deref() == Some("statement") { "statement" } else { "page" };
        out.push(ContentFile {
            name: format!("{}.{ext}", p.sha256),
            kind: kind.into(),
            sha256: p.sha256.clone(),
            size: p.size,
            participant_id: None,
            path,
            form: p.form.clone(),
        });
    }
    for f in participant_files {
        out.push(ContentFile {
            name: f.name.clone(),
            kind: f.kind.clone(),
            sha256: f.sha256.clone(),
            size: f.size,
            participant_id: Some(f.participant_id.clone()),
            path: f.path.clone(),
            form: None,
        });
    }
    out
}

/// Manifest kind of a machine-read statement's structured record (ППЭ-12-04-МАШ, ППЭ-13-02-МАШ,
/// ППЭ-18-МАШ): РЦОИ processes these before the answer sheets.
pub const STATEMENT_RECORD_KIND: &str = "statement_record";

/// The machine-read statements' structured records, filled from the stores as they are now
/// (a statement printed blank before the exam still sends the day's data), and the appeals
/// record when an appeal was filed, as bundle file names `records-<name>` with their bytes,
/// sorted by name.
fn statement_records(conn: &Connection, exam_id: &str, ppe_code: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let records = match crate::printing::records::statement_records(conn, &exam_id.into(), &ppe_code.into()) {
        Ok(records) => records,
        Err(e) => {
            tracing::warn!(exam_id, error = %e, "statement records not made; the bundle goes without them");
            Vec::new()
        }
    };
    // What was read from the -МАШ forms' scans (and decided by a person) rides in their records.
    let read = crate::scanning::marks::store::fields_for_exam(conn, exam_id)?;
    let records = crate::scanning::marks::with_answers(&read, records);
    let mut out = Vec::new();
    // Appeals about the procedure (ППЭ-02) and their reviews (ППЭ-03) filed at the point.
    let appeals = crate::appeals::store::appeals_for_exam(conn, exam_id, ppe_code)?;
    if !appeals.is_empty() {
        let record = crate::appeals::AppealsRecord::new(exam_id, ppe_code, appeals);
        out.push((format!("records-{}", crate::appeals::AppealsRecord::FILE_NAME), serde_json::to_vec_pretty(&record)?));
    }
    // The queue and the expert's protocols of an oral exam (ИС-9, «Говорение»).
    if let Some(record) = crate::oral::ops::record(conn, &exam_id.into(), &ppe_code.into())? {
        out.push((format!("records-{}", crate::oral::OralRecord::FILE_NAME), serde_json::to_vec_pretty(&record)?));
    }
    for record in records {
        let name = format!("records-{}", record.name);
        if !super::is_safe_file_name(&name) {
            anyhow::bail!("record {name} has a name the hub refuses (only Latin letters, digits, - _ .): rename the auditorium code");
        }
        out.push((name, serde_json::to_vec_pretty(&record.data)?));
    }
    out.sort();
    Ok(out)
}

/// Copies a bundle to removable media: `to/manifest.json` and `to/files/*`, each atomically.
pub fn export_to(bundle: &BuiltBundle, to: &Path) -> anyhow::Result<()> {
    let files = to.join("files");
    std::fs::create_dir_all(&files).with_context(|| format!("create {}", files.display()))?;
    for f in &bundle.signed.manifest.files {
        let bytes = std::fs::read(bundle.file_path(&f.name)).with_context(|| format!("read {}", f.name))?;
        crate::util::write_atomic(&files.join(&f.name), &bytes).with_context(|| format!("write {}", files.join(&f.name).display()))?;
    }
    crate::util::write_atomic(&to.join("manifest.json"), &serde_json::to_vec_pretty(&bundle.signed)?)?;
    Ok(())
}
