//! The use cases of recordings and answer files: take in a folder (a recording station's
//! export, removable media, the inbox), attach a kept file to a participant or set it aside,
//! move a КЕГЭ participant to a reserve workstation. Each file is written atomically under
//! `state_dir/recordings/<exam_id>/<sha256>.<ext>` before its row commits with its audit entry
//! (one transaction per file); a bad file is stored and kept with its reason, never dropped.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::check::{check_archive, decode_audio, judge_audio};
use super::facts::{exam_files, ExamFiles, FactsError};
use super::store::{self as rec_store, RecordingFileRow};
use super::workstations::{check_move, current_workstations, WorkstationError, WorkstationMove};
use super::{match_file, parse_name, Defect, FileKind, AUDIO_EXTENSIONS};
use crate::audit::NewEntry;
use crate::clock::Clock;
use crate::config::RecordingsConfig;
use crate::store::{Connection, StoreError};

/// A store call's error as the store's own (SQL stays in store files).
trait Db<T> {
    fn db(self) -> Result<T, StoreError>;
}

impl<T, E: Into<StoreError>> Db<T> for Result<T, E> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(Into::into)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RecordingsError {
    #[error(transparent)]
    Facts(#[from] FactsError),
    #[error("не удалось прочитать {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("диск заполнен: файл {name} не сохранён; уже принятые файлы ({stored}) целы. Освободите место и повторите приём")]
    DiskFull { name: String, stored: usize },
    #[error("не удалось сохранить файл {name} в {path}: {reason}; уже принятые файлы ({stored}) целы")]
    Storage { name: String, path: String, reason: String, stored: usize },
    #[error("файла {0} нет среди принятых")]
    NoSuchFile(String),
    #[error("файл {file_id} уже разобран (статус «{status}»)")]
    AlreadyResolved { file_id: String, status: String },
    #[error("файл {file_id} нельзя принять как есть ({reason}): перепишите исправный файл со станции и примите его")]
    NotAcceptable { file_id: String, reason: String },
    #[error("участник {0} не зарегистрирован на этот экзамен в ППЭ")]
    UnknownParticipant(String),
    #[error("у участника {participant} уже есть принятый файл {file_id}: сначала отложите его")]
    AlreadyHasFile { participant: String, file_id: String },
    #[error("укажите причину")]
    ReasonRequired,
    #[error("аудитории {0} нет в плане ППЭ")]
    NoSuchRoom(String),
    #[error(transparent)]
    Workstation(#[from] WorkstationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where files come from and who takes them in.
pub struct ImportRequest<'a> {
    pub exam_id: &'a str,
    pub ppe_code: &'a str,
    pub dir: &'a Path,
    /// `state_dir/recordings`.
    pub store_dir: PathBuf,
    pub actor: &'a str,
}

/// One file of an import and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedFile {
    pub source_name: String,
    pub file_id: String,
    pub status: String,
    pub participant_id: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub stored: usize,
    pub matched: usize,
    pub to_resolve: usize,
    /// Same bytes taken in before: nothing new stored.
    pub already_had: usize,
    pub files: Vec<ImportedFile>,
}

/// A station may still be writing these; they are taken once renamed.
pub fn is_partial(name: &str) -> bool {
    name.starts_with('.') || [".part", ".tmp", ".crdownload"].iter().any(|s| name.ends_with(s))
}

/// What the content and the name of one file say: whose it is, what it is, what is wrong.
struct Verdict {
    participant_id: Option<String>,
    defect: Option<Defect>,
    duration_ms: Option<u64>,
    rms_dbfs: Option<f64>,
    facts: String,
}

fn judge_file(bytes: &[u8], name: &str, ext: &str, day: &ExamFiles, ppe_code: &str, config: &RecordingsConfig, conn: &Connection) -> Result<Verdict, StoreError> {
    let stem = name.rfind('.').map_or(name, |dot| &name[..dot]);
    let pattern = match day.kind {
        FileKind::Recording => &config.audio_name_pattern,
        FileKind::AnswerFile => &config.answer_name_pattern,
    };
    let whose = match parse_name(stem, pattern) {
        None => Err(Defect::NameNotUnderstood { pattern: pattern.clone() }),
        Some(parts) => match_file(&parts, ppe_code, &day.seated).map_err(|e| match e {
            Defect::NameNotUnderstood { .. } => Defect::NameNotUnderstood { pattern: pattern.clone() },
            other => other,
        }),
    };
    let mut v = Verdict { participant_id: whose.as_ref().ok().cloned(), defect: None, duration_ms: None, rms_dbfs: None, facts: String::new() };
    let content = match day.kind {
        FileKind::Recording if AUDIO_EXTENSIONS.contains(&ext) => decode_audio(bytes, ext).and_then(|facts| {
            v.duration_ms = Some(facts.duration_ms);
            v.rms_dbfs = Some(facts.rms_dbfs);
            v.facts = serde_json::to_string(&facts).unwrap_or_default();
            judge_audio(&facts, super::duration_range(&day.exam, config), config.silence_dbfs)
        }),
        FileKind::Recording => Err(Defect::Unsupported { ext: ext.to_string(), expected: AUDIO_EXTENSIONS.join(", ") }),
        FileKind::AnswerFile if ext == "zip" && config.answer_extensions.iter().any(|e| e == "zip") => {
            check_archive(bytes, config.answer_max_unpacked_bytes).map(|facts| v.facts = serde_json::to_string(&facts).unwrap_or_default())
        }
        FileKind::AnswerFile if config.answer_extensions.iter().any(|e| e.eq_ignore_ascii_case(ext)) => Ok(()),
        FileKind::AnswerFile => Err(Defect::Unsupported { ext: ext.to_string(), expected: config.answer_extensions.join(", ") }),
    };
    v.defect = match (content, whose) {
        (Err(content), _) => Some(content),
        (Ok(()), Err(name)) => Some(name),
        (Ok(()), Ok(participant)) => {
            let other = rec_store::files_for_exam(conn, &day.exam.exam_id)?
                .into_iter()
                .find(|f| f.status == "matched" && f.participant_id.as_deref() == Some(participant.as_str()));
            other.map(|f| Defect::SecondFile { participant, file_id: f.file_id })
        }
    };
    Ok(v)
}

fn is_disk_full(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(28) || e.kind() == std::io::ErrorKind::StorageFull
}

/// One file to take in: its name and bytes as the station wrote them, and where it lay when
/// the daemon took it from an inbox (recorded in the file's transaction, so a file on a
/// read-only medium is taken once).
pub struct IncomingFile<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
    pub source: Option<&'a rec_store::SourceSeen>,
}

/// What became of one incoming file.
#[derive(Debug, Clone, PartialEq)]
pub enum Taken {
    Stored(ImportedFile),
    /// The same bytes were taken in before: nothing new stored.
    AlreadyHad,
    /// Empty: a station still writing it, or nothing to keep.
    Empty,
}

/// Takes in every file of a folder, in name order. Stops at the first file that cannot be
/// stored (disk full): everything before it is kept and counted.
pub fn import_folder(conn: &Connection, clock: &Clock, config: &RecordingsConfig, r: &ImportRequest<'_>) -> Result<ImportReport, RecordingsError> {
    let day = exam_files(conn, r.exam_id, r.ppe_code)?;
    let read_err = |p: &Path, e: std::io::Error| RecordingsError::Read { path: p.display().to_string(), reason: e.to_string() };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(r.dir)
        .map_err(|e| read_err(r.dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !is_partial(&p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()))
        .collect();
    paths.sort();
    let mut report = ImportReport::default();
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|e| read_err(&path, e))?;
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        match import_file(conn, clock, config, &day, r, &IncomingFile { name: &name, bytes: &bytes, source: None }, report.stored)? {
            Taken::Stored(f) => {
                report.stored += 1;
                if f.status == "matched" {
                    report.matched += 1;
                } else {
                    report.to_resolve += 1;
                }
                report.files.push(f);
            }
            Taken::AlreadyHad => report.already_had += 1,
            Taken::Empty => {}
        }
    }
    Ok(report)
}

/// Takes in one file: judged (decoded, matched), written atomically under its hash, then its
/// row, the source it came from and its audit entry in one transaction. `stored` counts the
/// files stored before it (for the disk-full message).
pub fn import_file(
    conn: &Connection,
    clock: &Clock,
    config: &RecordingsConfig,
    day: &ExamFiles,
    r: &ImportRequest<'_>,
    f: &IncomingFile<'_>,
    stored: usize,
) -> Result<Taken, RecordingsError> {
    let (name, bytes) = (f.name.to_string(), f.bytes);
    if bytes.is_empty() {
        return Ok(Taken::Empty);
    }
    let ext = Path::new(&name).extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let sha256 = crate::util::sha256_hex(bytes);
    if rec_store::file_by_sha256(conn, r.exam_id, &sha256).db()?.is_some() {
        if let Some(source) = f.source {
            rec_store::source_record(conn, source, r.exam_id, &sha256, &clock.now_rfc3339()).db()?;
        }
        return Ok(Taken::AlreadyHad);
    }
    let v = judge_file(bytes, &name, &ext, day, r.ppe_code, config, conn)?;
    let safe_ext = if !ext.is_empty() && ext.len() <= 8 && ext.chars().all(|c| c.is_ascii_alphanumeric()) { ext.as_str() } else { "bin" };
    let target = r.store_dir.join(r.exam_id).join(format!("{sha256}.{safe_ext}"));
    let stored_err = |e: std::io::Error| {
        if is_disk_full(&e) {
            RecordingsError::DiskFull { name: name.clone(), stored }
        } else {
            RecordingsError::Storage { name: name.clone(), path: target.display().to_string(), reason: e.to_string(), stored }
        }
    };
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(stored_err)?;
    }
    crate::util::write_atomic(&target, bytes).map_err(stored_err)?;
    let now = clock.now_rfc3339();
    let row = RecordingFileRow {
        file_id: uuid::Uuid::new_v4().simple().to_string(),
        exam_id: r.exam_id.to_string(),
        kind: day.kind.code().to_string(),
        sha256: sha256.clone(),
        size: bytes.len() as u64,
        path: target.display().to_string(),
        source_name: name.clone(),
        taken_at: now.clone(),
        // A file whose name did not match is nobody's until a person says whose it is.
        participant_id: v.participant_id.clone().filter(|_| v.defect.as_ref().is_none_or(|d| d.is_about_content() || d.code() == "second_file")),
        duration_ms: v.duration_ms,
        rms_dbfs: v.rms_dbfs,
        facts: v.facts,
        status: if v.defect.is_some() { "to_resolve" } else { "matched" }.into(),
        defect: v.defect.as_ref().map(|d| d.code().to_string()).unwrap_or_default(),
        reason: v.defect.as_ref().map(|d| d.to_string()).unwrap_or_default(),
        resolved_by: None,
        resolved_at: None,
        resolution: String::new(),
    };
    let tx = conn.unchecked_transaction().db()?;
    rec_store::file_insert(&tx, &row).db()?;
    if let Some(source) = f.source {
        rec_store::source_record(&tx, source, r.exam_id, &sha256, &now).db()?;
    }
    crate::audit::store::append(
        &tx,
        &now,
        NewEntry {
            actor: r.actor,
            action: "recordings.file_taken",
            object: &row.file_id,
            details: serde_json::json!({
                "exam_id": r.exam_id, "kind": row.kind, "sha256": sha256, "size": row.size, "status": row.status,
                "defect": row.defect, "participant_id": row.participant_id, "duration_ms": row.duration_ms,
            }),
        },
    )
    .db()?;
    tx.commit().db()?;
    Ok(Taken::Stored(ImportedFile {
        source_name: name,
        file_id: row.file_id,
        status: row.status,
        participant_id: row.participant_id,
        reason: row.reason,
    }))
}

/// A person's decision on a kept file.
pub struct ResolveRequest<'a> {
    pub exam_id: &'a str,
    pub ppe_code: &'a str,
    pub file_id: &'a str,
    pub actor: &'a str,
    /// Why (what the person checked, or why the file is set aside).
    pub note: &'a str,
}

fn kept_file(conn: &Connection, r: &ResolveRequest<'_>) -> Result<RecordingFileRow, RecordingsError> {
    let row = rec_store::file_get(conn, r.file_id).db()?.filter(|f| f.exam_id == r.exam_id).ok_or_else(|| RecordingsError::NoSuchFile(r.file_id.to_string()))?;
    Ok(row)
}

/// Attaches a kept file to a participant (the person read the name, or heard that the silence
/// is the participant's own): matched from now on. A file that does not decode cannot be
/// accepted; a participant has one accepted file at a time.
pub fn attach(conn: &Connection, clock: &Clock, r: &ResolveRequest<'_>, participant_id: &str) -> Result<RecordingFileRow, RecordingsError> {
    let row = kept_file(conn, r)?;
    if row.status != "to_resolve" {
        return Err(RecordingsError::AlreadyResolved { file_id: row.file_id, status: row.status });
    }
    if !Defect::acceptable_by_a_person(&row.defect) {
        return Err(RecordingsError::NotAcceptable { file_id: row.file_id, reason: row.reason });
    }
    if r.note.trim().is_empty() {
        return Err(RecordingsError::ReasonRequired);
    }
    let day = exam_files(conn, r.exam_id, r.ppe_code)?;
    if !day.seated.iter().any(|s| s.participant_id == participant_id) {
        return Err(RecordingsError::UnknownParticipant(participant_id.to_string()));
    }
    if let Some(other) = rec_store::files_for_exam(conn, r.exam_id)
        .db()?
        .into_iter()
        .find(|f| f.status == "matched" && f.participant_id.as_deref() == Some(participant_id) && f.file_id != row.file_id)
    {
        return Err(RecordingsError::AlreadyHasFile { participant: participant_id.to_string(), file_id: other.file_id });
    }
    resolve(conn, clock, r, "matched", Some(participant_id), "recordings.file_attached")
}

/// Sets a file aside (kept, not counted, not sent): a foreign file, a second take.
pub fn set_aside(conn: &Connection, clock: &Clock, r: &ResolveRequest<'_>) -> Result<RecordingFileRow, RecordingsError> {
    let row = kept_file(conn, r)?;
    if row.status == "set_aside" {
        return Err(RecordingsError::AlreadyResolved { file_id: row.file_id, status: row.status });
    }
    if r.note.trim().is_empty() {
        return Err(RecordingsError::ReasonRequired);
    }
    resolve(conn, clock, r, "set_aside", None, "recordings.file_set_aside")
}

fn resolve(conn: &Connection, clock: &Clock, r: &ResolveRequest<'_>, status: &str, participant_id: Option<&str>, action: &str) -> Result<RecordingFileRow, RecordingsError> {
    let now = clock.now_rfc3339();
    let tx = conn.unchecked_transaction().db()?;
    rec_store::file_resolve(&tx, r.file_id, status, participant_id, r.actor, &now, r.note.trim()).db()?;
    crate::audit::store::append(&tx, &now, NewEntry {
        actor: r.actor,
        action,
        object: r.file_id,
        details: serde_json::json!({"exam_id": r.exam_id, "status": status, "participant_id": participant_id}),
    })
    .db()?;
    tx.commit().db()?;
    rec_store::file_get(conn, r.file_id).db()?.ok_or_else(|| RecordingsError::NoSuchFile(r.file_id.to_string()))
}

/// A КЕГЭ participant moved to a reserve workstation of their room.
pub struct MoveRequest<'a> {
    pub exam_id: &'a str,
    pub ppe_code: &'a str,
    pub participant_id: &'a str,
    pub to_workstation: u16,
    pub reason: &'a str,
    pub actor: &'a str,
}

pub fn move_workstation(conn: &Connection, clock: &Clock, config: &RecordingsConfig, r: &MoveRequest<'_>) -> Result<WorkstationMove, RecordingsError> {
    let day = exam_files(conn, r.exam_id, r.ppe_code)?;
    let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, r.exam_id).db()?.into_iter().filter(|s| s.ppe_code == r.ppe_code).collect();
    let current = current_workstations(&day.rooms, &seats, &rec_store::moves_for_exam(conn, r.exam_id).db()?);
    let (room_code, _) = current.get(r.participant_id).ok_or_else(|| WorkstationError::NotSeated(r.participant_id.to_string()))?;
    let room = day.rooms.iter().find(|a| &a.auditorium == room_code).ok_or_else(|| RecordingsError::NoSuchRoom(room_code.clone()))?;
    let from = check_move(room, config.reserve_for(&room.auditorium), &current, r.participant_id, r.to_workstation, r.reason)?;
    let now = clock.now_rfc3339();
    let m = WorkstationMove {
        exam_id: r.exam_id.to_string(),
        participant_id: r.participant_id.to_string(),
        auditorium: room.auditorium.clone(),
        from_workstation: from,
        to_workstation: r.to_workstation,
        reason: r.reason.trim().to_string(),
        moved_at: now.clone(),
        actor: r.actor.to_string(),
    };
    let tx = conn.unchecked_transaction().db()?;
    let id = rec_store::move_insert(&tx, &m).db()?;
    crate::audit::store::append(&tx, &now, NewEntry {
        actor: r.actor,
        action: "recordings.workstation_moved",
        object: r.participant_id,
        details: serde_json::json!({"exam_id": r.exam_id, "move_id": id, "auditorium": m.auditorium, "from": from, "to": m.to_workstation}),
    })
    .db()?;
    tx.commit().db()?;
    Ok(m)
}
