//! The recordings inbox of `ppe edge serve` (issue 18 item 4): the folders of
//! `[recordings] inbox` — a recording station's export share, a removable medium (a glob such
//! as `/media/*/*` finds it wherever the desktop mounts it) — swept like the scanner inbox:
//! only settled files, `<folder>/<exam_id>/…` for that exam, `<folder>/…` for the exam of the
//! moment among the exams that collect files. `recordings::ops::import_file` judges and stores
//! each; a bad file is kept with its reason like any other. A taken file moves to
//! `<folder>/.taken/<exam_id>/` (never deleted); on a read-only medium it stays where it is and
//! the record of its source (place, size, time; written with the file) keeps it from being
//! read and taken twice.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::{settled_or_remembered, Seen, TAKEN_DIR};
use crate::context::EdgeContext;
use crate::monitoring::Schedule;
use crate::recordings::ops::{import_file, is_partial, ImportRequest, IncomingFile, RecordingsError, Taken};
use crate::recordings::store::{source_taken, SourceSeen};

/// Whether one path component `name` matches `pattern` (`*` any run of characters, `?` one).
pub fn component_matches(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Greedy matching with one backtrack point: the last `*` seen.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// Audio and archive formats a station could have written that we do not take: such a file is
/// still taken, and kept with its reason («формат … не принимается»), never ignored.
const OTHER_STATION_FORMATS: &[&str] = &["flac", "m4a", "aac", "wma", "opus", "amr", "7z", "rar", "tar", "gz"];

/// Whether the sweep takes a file: what a recording or КЕГЭ station writes (the formats taken,
/// and other audio or archive formats, kept with their reason). Anything else on a medium or a
/// share (`autorun.inf`, a teacher's notes) is not ours and stays where it is.
pub fn is_station_file(name: &str, answer_extensions: &[String]) -> bool {
    let Some((_, ext)) = name.rsplit_once('.') else { return false };
    let ext = ext.to_ascii_lowercase();
    crate::recordings::AUDIO_EXTENSIONS.contains(&ext.as_str())
        || OTHER_STATION_FORMATS.contains(&ext.as_str())
        || answer_extensions.iter().any(|e| e.eq_ignore_ascii_case(&ext))
}

fn is_glob(component: &str) -> bool {
    component.contains(['*', '?'])
}

/// The folders a configured inbox names now: the folder itself, or every folder its glob
/// matches (hidden names only when the pattern asks for them), in name order.
pub fn expand_inbox(pattern: &Path) -> Vec<PathBuf> {
    let mut current = vec![PathBuf::new()];
    for component in pattern.components() {
        let part = component.as_os_str().to_string_lossy().to_string();
        if !is_glob(&part) {
            current.iter_mut().for_each(|p| p.push(component));
            continue;
        }
        let mut next = Vec::new();
        for base in &current {
            let Ok(entries) = std::fs::read_dir(if base.as_os_str().is_empty() { Path::new(".") } else { base }) else { continue };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if (name.starts_with('.') && !part.starts_with('.')) || !component_matches(&part, &name) {
                    continue;
                }
                if e.path().is_dir() {
                    next.push(base.join(&name));
                }
            }
        }
        next.sort();
        current = next;
    }
    current.into_iter().filter(|p| p.is_dir()).collect()
}

/// Where a taken file goes: `<folder>/.taken/<exam_id>/<name>`, or `<name>.N` when a file of
/// that name was taken before (a second take from the station).
fn taken_path(folder: &Path, exam_id: &str, name: &str) -> PathBuf {
    let dir = folder.join(TAKEN_DIR).join(exam_id);
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    (1..).map(|n| dir.join(format!("{name}.{n}"))).find(|p| !p.exists()).unwrap_or(first)
}

fn modified_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified().ok().and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_nanos() as i64).unwrap_or(0)
}

/// One pass over every configured recordings inbox. Returns the files still settling.
pub fn sweep(ctx: &EdgeContext, exams: &[(String, Schedule)], now: DateTime<Utc>, seen: &Seen) -> anyhow::Result<Seen> {
    let mut next = Seen::new();
    if ctx.config.recordings.inbox.is_empty() {
        return Ok(next);
    }
    let conn = ctx.db()?;
    let plan = crate::plan::store::load_plan(&conn)?;
    let collecting: Vec<(String, Schedule)> = exams
        .iter()
        .filter(|(id, _)| plan.exams.iter().any(|e| &e.exam_id == id && crate::recordings::collected_for(e).is_some()))
        .cloned()
        .collect();
    if collecting.is_empty() {
        return Ok(next);
    }
    let folders: Vec<PathBuf> = ctx.config.recordings.inbox.iter().flat_map(|p| expand_inbox(p)).collect();
    let wall = Instant::now();
    for folder in folders {
        for (exam_id, dir) in super::inbox_batches(&folder, &collecting, now) {
            let day = match crate::recordings::facts::exam_files(&conn, &exam_id, &ctx.config.ppe_code) {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(exam = %exam_id, "recordings inbox: {e}");
                    continue;
                }
            };
            let request = ImportRequest {
                exam_id: &exam_id,
                ppe_code: &ctx.config.ppe_code,
                dir: &dir,
                store_dir: ctx.config.state_dir.join("recordings"),
                actor: "inbox",
            };
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
            files.sort();
            for f in files {
                let name = f.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                let Ok(meta) = std::fs::metadata(&f) else { continue };
                if is_partial(&name) || !is_station_file(&name, &ctx.config.recordings.answer_extensions) {
                    continue;
                }
                let source = SourceSeen { path: f.display().to_string(), size: meta.len(), modified_ns: modified_ns(&meta) };
                if source_taken(&conn, &source)? || !settled_or_remembered(seen, &mut next, &f, &meta, wall) {
                    continue;
                }
                let bytes = match std::fs::read(&f) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(exam = %exam_id, "recordings inbox: a file cannot be read (it stays): {e}");
                        continue;
                    }
                };
                let incoming = IncomingFile { name: &name, bytes: &bytes, source: Some(&source) };
                match import_file(&conn, &ctx.clock, &ctx.config.recordings, &day, &request, &incoming, 0) {
                    Ok(Taken::Stored(t)) => tracing::info!(exam = %exam_id, file_id = %t.file_id, status = %t.status, "recordings inbox: file taken"),
                    Ok(Taken::AlreadyHad | Taken::Empty) => {}
                    Err(e @ (RecordingsError::DiskFull { .. } | RecordingsError::Storage { .. })) => {
                        tracing::error!(exam = %exam_id, "recordings inbox: file not taken (it stays in the inbox): {e}");
                        return Ok(next);
                    }
                    Err(e) => {
                        tracing::warn!(exam = %exam_id, "recordings inbox: {e}");
                        continue;
                    }
                }
                // Kept under its hash and recorded: the inbox copy is no longer the only one.
                let to = taken_path(&folder, &exam_id, &name);
                let moved = to.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|_| std::fs::rename(&f, &to));
                if let Err(e) = moved {
                    tracing::debug!(exam = %exam_id, "recordings inbox: a taken file stays where it is (read-only medium?), remembered: {e}");
                }
            }
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glob_component_matches_names_as_a_shell_does() {
        for (p, n) in [("*", "FLASH"), ("REC*", "REC_0101"), ("*_0101", "REC_0101"), ("?EC*", "REC"), ("a*b*c", "aXXbYYc"), ("*.*", "a.b")] {
            assert!(component_matches(p, n), "{p} ~ {n}");
        }
        for (p, n) in [("REC*", "rec_0101"), ("?", ""), ("a*b", "a"), ("*_0101", "REC_0102"), ("ab", "abc"), ("a*b*c", "aXXbYY")] {
            assert!(!component_matches(p, n), "{p} !~ {n}");
        }
    }

    #[test]
    fn only_what_a_station_writes_is_taken_from_a_medium() {
        let answers = vec!["zip".to_string(), "kege".to_string()];
        for name in ["0101_103_1_P0000001.wav", "a.MP3", "a.ogg", "a.m4a", "a.flac", "kege_101_1.zip", "kege_101_1.KEGE"] {
            assert!(is_station_file(name, &answers), "{name} is taken (a format we do not take is kept with its reason)");
        }
        for name in ["autorun.inf", "notes.txt", "desktop.ini", "README", "photo.jpg"] {
            assert!(!is_station_file(name, &answers), "{name} is not ours");
        }
    }

    #[test]
    fn a_medium_is_found_wherever_it_is_mounted() {
        let t = tempfile::tempdir().unwrap();
        for d in ["media/ivanov/REC_A", "media/petrov/REC_B", "media/petrov/other", "media/.hidden/REC_C"] {
            std::fs::create_dir_all(t.path().join(d)).unwrap();
        }
        std::fs::write(t.path().join("media/ivanov/REC_file"), b"x").unwrap();
        let found = expand_inbox(&t.path().join("media/*/REC*"));
        assert_eq!(found, vec![t.path().join("media/ivanov/REC_A"), t.path().join("media/petrov/REC_B")], "folders only, hidden users skipped");
        assert_eq!(expand_inbox(&t.path().join("media/*/*")).len(), 3);
        assert_eq!(expand_inbox(&t.path().join("media/ivanov/REC_A")), vec![t.path().join("media/ivanov/REC_A")], "a plain folder is itself");
        assert!(expand_inbox(&t.path().join("media/nobody/*")).is_empty(), "nothing mounted: nothing swept");
    }

    #[test]
    fn a_second_take_of_the_same_name_does_not_overwrite_the_first() {
        let t = tempfile::tempdir().unwrap();
        let first = taken_path(t.path(), "is-9", "a.wav");
        assert_eq!(first, t.path().join(".taken/is-9/a.wav"));
        std::fs::create_dir_all(first.parent().unwrap()).unwrap();
        std::fs::write(&first, b"1").unwrap();
        assert_eq!(taken_path(t.path(), "is-9", "a.wav"), t.path().join(".taken/is-9/a.wav.1"));
    }
}
